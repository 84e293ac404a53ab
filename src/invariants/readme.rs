//! `readme`: every folder under the given roots (the roots included) has a
//! non-empty `README.md`, so an agent entering a folder learns what it is for.
//!
//! Hidden folders (`.github`, `.cache`, …) below a root are tooling, not
//! workspace content, and are not required to have one; `.git` and `.leash`
//! are never looked at. A README of only whitespace counts as empty.

use std::collections::BTreeSet;

use super::options::Options;
use super::tree::{self, Entry, Tree};
use super::{Report, finding};

/// The options `readme` knows.
pub(crate) const KEYS: &[&str] = &["roots"];

/// A `readme` invariant.
pub(crate) struct Spec {
    roots: Vec<String>,
}

/// Reads the options of a `readme` invariant.
pub(crate) fn parse(o: &Options) -> Result<Spec, String> {
    let expected = "an array of folders such as [\"operations\", \"docs\"]";
    let roots = o
        .paths("roots", expected)?
        .ok_or_else(|| format!("missing option `roots`; expected {expected}"))?;
    Ok(Spec { roots })
}

/// Checks every folder under the roots.
pub(crate) fn check(t: &Tree, s: &Spec) -> Result<Report, String> {
    let mut findings = Vec::new();
    let mut dirs = BTreeSet::new();
    for root in &s.roots {
        match t.stat(root) {
            Entry::Dir => {}
            Entry::Missing => {
                findings.push(finding(
                    tree::show(root),
                    None,
                    "configured root folder does not exist",
                ));
                continue;
            }
            _ => {
                findings.push(finding(
                    tree::show(root),
                    None,
                    "configured root is not a folder",
                ));
                continue;
            }
        }
        dirs.insert(root.clone());
        let walk = t.walk(root)?;
        let below = walk.dirs.into_iter().filter(|d| !hidden_below(root, d));
        dirs.extend(below);
    }
    for dir in &dirs {
        let readme = tree::join_name(dir, "README.md");
        match t.stat(&readme) {
            Entry::File if t.is_blank(&readme)? => {
                findings.push(finding(&readme, None, "README.md is empty"))
            }
            Entry::File => {}
            Entry::Missing => {
                findings.push(finding(tree::show(dir), None, "folder has no README.md"))
            }
            _ => findings.push(finding(&readme, None, "README.md is not a file")),
        }
    }
    Ok(Report::findings(findings))
}

/// Whether some component of `dir` below `root` starts with a dot.
fn hidden_below(root: &str, dir: &str) -> bool {
    let rest = if root.is_empty() {
        dir
    } else {
        dir.strip_prefix(root).unwrap_or(dir)
    };
    rest.split('/').any(|c| c.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use crate::invariants::testutil::*;
    use crate::invariants::{Outcome, run_one};

    const CFG: &str = "roots = [\"operations\", \"docs\"]";

    #[test]
    fn passes_when_every_folder_has_one() {
        let t = tree(&[
            ("operations/README.md", "ops"),
            ("operations/deploy/README.md", "deploy"),
            ("operations/.cache/x", "hidden folders need none"),
            ("docs/README.md", "docs"),
            ("elsewhere/x.md", "not under a root"),
        ]);
        let r = run_one(t.path(), &inv("r", "readme", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }

    #[test]
    fn names_missing_and_empty_readmes() {
        let t = tree(&[
            ("operations/README.md", "ops"),
            ("operations/deploy/README.md", "  \n"),
            ("operations/deploy/old/", ""),
            ("docs/guide.md", "no readme at the root of docs"),
        ]);
        let r = run_one(t.path(), &inv("r", "readme", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Fail);
        assert_eq!(
            lines(&r),
            vec![
                "docs folder has no README.md",
                "operations/deploy/README.md README.md is empty",
                "operations/deploy/old folder has no README.md",
            ]
        );
    }

    #[test]
    fn the_workspace_root_as_a_root() {
        let t = tree(&[
            ("README.md", "top"),
            ("a/README.md", "a"),
            ("b/", ""),
            (".leash/config.toml", ""),
        ]);
        let r = run_one(t.path(), &inv("r", "readme", "roots = [\".\"]"), &ctx());
        assert_eq!(lines(&r), vec!["b folder has no README.md"]);
    }

    #[test]
    fn missing_root_fails_and_bad_config_degrades() {
        let t = tree(&[("operations/README.md", "x")]);
        let r = run_one(t.path(), &inv("r", "readme", CFG), &ctx());
        assert_eq!(
            lines(&r),
            vec!["docs configured root folder does not exist"]
        );
        let r = run_one(
            t.path(),
            &inv("r", "readme", "roots = [\"docs\"]\nrecursive = true"),
            &ctx(),
        );
        assert_eq!(r.outcome, Outcome::Degraded);
        assert_eq!(
            r.detail,
            "invalid configuration: unknown option `recursive` for kind `readme`; expected one of: roots"
        );
    }
}
