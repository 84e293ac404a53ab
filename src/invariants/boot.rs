//! `boot`: every file the boot manifest (e.g. `AGENTS.md`) names exists and
//! is not empty, so an agent that follows its boot sequence finds what it
//! is told to read.
//!
//! The manifest names files as `` `path` ``, `[text](path)` or bare words
//! such as operations/MEMORY.md (a bare word counts when it contains a `/`
//! or ends in .md .txt .toml .json .yaml .yml). A name is looked up relative
//! to the manifest's folder, then to the root; `{today}`/`{yesterday}` become
//! dates. Each target is reported once, at its first mention. The steps
//! of a fenced list (`1) Read SOUL.md`, `2) Read USER.md + IDENTITY.md`)
//! count too, and a manifest that names no file at all is a finding.

use std::collections::HashSet;

use super::markdown::scan_boot;
use super::options::Options;
use super::tree::{self, Entry, Tree};
use super::{Context, Report, dangling, finding};

/// The options `boot` knows.
pub(crate) const KEYS: &[&str] = &["manifest"];

/// A `boot` invariant.
pub(crate) struct Spec {
    manifest: String,
}

/// Reads the options of a `boot` invariant.
pub(crate) fn parse(o: &Options) -> Result<Spec, String> {
    Ok(Spec {
        manifest: o.req_path("manifest", "the boot file, a path such as \"AGENTS.md\"")?,
    })
}

/// Checks the files the manifest names.
pub(crate) fn check(t: &Tree, s: &Spec, ctx: &Context) -> Result<Report, String> {
    let manifest = s.manifest.as_str();
    let problem = match t.stat(manifest) {
        Entry::File => None,
        Entry::Missing => Some("the boot manifest does not exist"),
        Entry::Outside => Some("the boot manifest points outside the workspace"),
        Entry::Dir | Entry::Other => Some("the boot manifest is not a file"),
    };
    if let Some(p) = problem {
        return Ok(Report::findings(vec![finding(manifest, None, p)]));
    }
    let text = String::from_utf8_lossy(&t.read(manifest)?).into_owned();
    if text.trim().is_empty() {
        return Ok(Report::findings(vec![finding(
            manifest,
            None,
            "the boot manifest is empty",
        )]));
    }
    let dir = tree::parent(manifest);
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    let mentions = scan_boot(&text);
    if mentions.is_empty() {
        // A boot sequence that names nothing checks nothing: never a pass.
        return Ok(Report::findings(vec![finding(
            manifest,
            None,
            "the boot manifest names no file to read (name them as `path`, [text](path) or a bare name such as SOUL.md)",
        )]));
    }
    for m in mentions {
        let path = tree::expand_dates(&m.path, ctx.today);
        let cands = tree::candidates(dir, &path);
        let found = cands.iter().find(|c| t.exists(c));
        if !seen.insert(found.or(cands.first()).cloned().unwrap_or_default()) {
            continue;
        }
        let Some(found) = found else {
            findings.push(dangling(manifest, m.line, "boot file", &m.raw, &cands));
            continue;
        };
        let empty = match t.stat(found) {
            Entry::File => t.is_blank(found)?,
            Entry::Dir => !t.dir_has_entries(found)?,
            Entry::Outside => {
                let mut f = finding(
                    manifest,
                    Some(m.line),
                    format!("boot file `{}` points outside the workspace", m.raw),
                );
                f.target = Some(m.raw.to_string());
                findings.push(f);
                continue;
            }
            Entry::Other | Entry::Missing => false,
        };
        if empty {
            let mut f = finding(
                manifest,
                Some(m.line),
                format!("boot file `{}` is empty ({found})", m.raw),
            );
            f.target = Some(m.raw.to_string());
            findings.push(f);
        }
    }
    Ok(Report::findings(findings))
}

#[cfg(test)]
mod tests {
    use crate::invariants::testutil::*;
    use crate::invariants::{Outcome, run_one};

    const CFG: &str = "manifest = \"AGENTS.md\"";

    #[test]
    fn passes_when_every_named_file_is_there() {
        let t = tree(&[
            (
                "AGENTS.md",
                "# Boot\n1. Read operations/MEMORY.md.\n2. Read `docs/style.md` and [today](memory/{today}/plan.md)\n\
                 3. Open `memory/{yesterday}/` for context; see ./AGENTS.md again.\n",
            ),
            ("operations/MEMORY.md", "m"),
            ("docs/style.md", "s"),
            ("memory/2026-02-13/plan.md", "p"),
            ("memory/2026-02-12/notes.md", "n"),
        ]);
        let r = run_one(t.path(), &inv("boot", "boot", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }

    #[test]
    fn names_missing_and_empty_files_once() {
        let t = tree(&[
            (
                "AGENTS.md",
                "Read operations/MEMORY.md first.\n\nThen `memory/{today}/plan.md`,\n\
                 then [style](docs/style.md) and operations/MEMORY.md again.\n\
                 ```\ncat `ignored/in/fence.md`\n```\n",
            ),
            ("operations/MEMORY.md", " \n\t\n"),
            ("docs/style.md", "ok"),
        ]);
        let r = run_one(t.path(), &inv("boot", "boot", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Fail);
        assert_eq!(
            lines(&r),
            vec![
                "AGENTS.md:1 boot file `operations/MEMORY.md` is empty (operations/MEMORY.md) [operations/MEMORY.md]",
                "AGENTS.md:3 boot file `memory/{today}/plan.md` does not exist (looked for memory/2026-02-13/plan.md) [memory/{today}/plan.md]",
            ]
        );
    }

    #[test]
    fn manifest_in_a_folder_resolves_relative_to_it() {
        let t = tree(&[
            ("agents/BOOT.md", "Read `steps.md` and `agents/steps.md`.\n"),
            ("agents/steps.md", "x"),
        ]);
        let r = run_one(
            t.path(),
            &inv("boot", "boot", "manifest = \"agents/BOOT.md\""),
            &ctx(),
        );
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }

    #[test]
    fn missing_or_empty_manifest_fails() {
        let t = tree(&[("EMPTY.md", "\n")]);
        let r = run_one(t.path(), &inv("boot", "boot", CFG), &ctx());
        assert_eq!(
            lines(&r),
            vec!["AGENTS.md the boot manifest does not exist"]
        );
        let r = run_one(
            t.path(),
            &inv("boot", "boot", "manifest = \"EMPTY.md\""),
            &ctx(),
        );
        assert_eq!(lines(&r), vec!["EMPTY.md the boot manifest is empty"]);
    }

    #[test]
    fn bad_config_degrades() {
        let t = tree(&[]);
        let r = run_one(t.path(), &inv("boot", "boot", ""), &ctx());
        assert_eq!(r.outcome, Outcome::Degraded);
        assert_eq!(
            r.detail,
            "invalid configuration: missing option `manifest`; expected the boot file, a path such as \"AGENTS.md\""
        );
        let r = run_one(
            t.path(),
            &inv("boot", "boot", "manifest = [\"A.md\"]"),
            &ctx(),
        );
        assert!(
            r.detail.contains("`manifest` must be the boot file"),
            "{}",
            r.detail
        );
    }

    #[test]
    fn a_boot_list_in_a_fence_is_read() {
        // The way agent workspaces write it: a fenced list of steps, names
        // joined by `+`, `and` and commas; the shell example stays one.
        let t = tree(&[
            (
                "AGENTS.md",
                "# Every session\n\n```text\n1) Read SOUL.md\n2) Read USER.md + IDENTITY.md\n\
                 3) Read TOOLS.md,HEARTBEAT.md and MEMORY.md\n```\n\n```sh\ncat example/only.md\n```\n",
            ),
            ("SOUL.md", "s"),
            ("USER.md", " \n"),
            ("TOOLS.md", "t"),
            ("HEARTBEAT.md", "h"),
            ("MEMORY.md", "m"),
        ]);
        let r = run_one(t.path(), &inv("boot", "boot", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Fail, "{r:?}");
        assert_eq!(
            lines(&r),
            vec![
                "AGENTS.md:5 boot file `USER.md` is empty (USER.md) [USER.md]",
                "AGENTS.md:5 boot file `IDENTITY.md` does not exist [IDENTITY.md]",
            ]
        );
    }

    #[test]
    fn a_manifest_that_names_no_file_is_a_finding() {
        let t = tree(&[(
            "AGENTS.md",
            "# Boot\nRead your soul, then your user.\n```\ncat example/only.md\n```\n",
        )]);
        let r = run_one(t.path(), &inv("boot", "boot", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Fail, "{r:?}");
        assert_eq!(
            lines(&r),
            vec![
                "AGENTS.md the boot manifest names no file to read (name them as `path`, [text](path) or a bare name such as SOUL.md)"
            ]
        );
    }
}
