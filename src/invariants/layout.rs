//! `layout`: every file under `root` matches `pattern` (e.g. memory notes
//! live in `memory/YYYY-MM-DD/…`), so agents and people find a day's notes
//! where they expect them. `README.md` directly in `root` is always allowed;
//! `.git` and `.leash` are not looked at. A missing `root` passes, with a
//! detail saying so.
//!
//! Pattern syntax, relative to `root`: `YYYY-MM-DD` is a real calendar date,
//! `*` and `?` stay inside one component, `**` is a whole component that
//! spans any number of them (at the end: at least one). Other glob syntax is
//! refused, so a pattern means exactly what it says.
//!
//! The fix (with `fix = "YYYY-MM-DD/durable_notes.md"` and `Context::fix`)
//! moves a flat `root/<date>.<ext>` to the fix path for that date, when the
//! extensions agree and the destination does not exist yet, then rewrites
//! the references to it (see `references::rewrite_moved`).

use std::collections::HashMap;
use std::fs;

use super::options::Options;
use super::references;
use super::tree::{self, Entry, Tree};
use super::{Context, FixReport, Moved, Outcome, Report, finding};

/// The options `layout` knows.
pub(crate) const KEYS: &[&str] = &["root", "pattern", "fix"];

/// Stands for a date in patterns and the fix path.
const DATE: &str = "YYYY-MM-DD";

/// A `layout` invariant.
pub(crate) struct Spec {
    root: String,
    pattern: Pattern,
    fix: Option<String>,
}

/// A compiled layout pattern.
struct Pattern {
    text: String,
    segments: Vec<Segment>,
}

enum Segment {
    /// `**`
    Any,
    Component(Vec<Token>),
}

#[derive(Clone, Copy)]
enum Token {
    Literal(char),
    Star,
    One,
    Date,
}

/// Reads the options of a `layout` invariant.
pub(crate) fn parse(o: &Options) -> Result<Spec, String> {
    let root = o.req_path("root", "a folder such as \"memory\"")?;
    let pattern = compile(&o.req_string("pattern", "a pattern such as \"YYYY-MM-DD/**\"")?)?;
    let fix = o.string("fix", "a path such as \"YYYY-MM-DD/durable_notes.md\"")?;
    if let Some(f) = &fix {
        let bad = f.is_empty()
            || f.starts_with('/')
            || !f.contains(DATE)
            || f.contains(['*', '?', '[', '{', '\\'])
            || f.split('/').any(|c| c.is_empty() || c == "." || c == "..");
        if bad {
            return Err(format!(
                "`fix` = \"{f}\" must be a plain relative path containing {DATE}, such as \"{DATE}/durable_notes.md\""
            ));
        }
        if !pattern.matches(&f.replace(DATE, "2000-01-01")) {
            return Err(format!(
                "`fix` = \"{f}\" does not match `pattern` = \"{}\", so moving files there would not fix them",
                pattern.text
            ));
        }
    }
    Ok(Spec { root, pattern, fix })
}

fn compile(text: &str) -> Result<Pattern, String> {
    let expected = "a pattern such as \"YYYY-MM-DD/**\"";
    if text.is_empty() || text.starts_with('/') {
        return Err(format!(
            "`pattern` must be relative to `root`; expected {expected}"
        ));
    }
    if let Some(c) = text
        .chars()
        .find(|c| matches!(c, '[' | ']' | '{' | '}' | '\\'))
    {
        return Err(format!(
            "`pattern` = \"{text}\" uses `{c}`, which layout patterns do not support; \
             they know {DATE}, `*`, `?` and `**`"
        ));
    }
    let mut segments = Vec::new();
    for c in text.split('/') {
        if c.is_empty() || c == "." || c == ".." {
            return Err(format!(
                "`pattern` = \"{text}\" has an empty, `.` or `..` component; expected {expected}"
            ));
        }
        if c == "**" {
            segments.push(Segment::Any);
            continue;
        }
        if c.contains("**") {
            return Err(format!(
                "`pattern` = \"{text}\": `**` must be a whole path component"
            ));
        }
        let mut tokens = Vec::new();
        let mut rest = c;
        while let Some(ch) = rest.chars().next() {
            if let Some(r) = rest.strip_prefix(DATE) {
                tokens.push(Token::Date);
                rest = r;
                continue;
            }
            tokens.push(match ch {
                '*' => Token::Star,
                '?' => Token::One,
                c => Token::Literal(c),
            });
            rest = &rest[ch.len_utf8()..];
        }
        segments.push(Segment::Component(tokens));
    }
    Ok(Pattern {
        text: text.to_string(),
        segments,
    })
}

impl Pattern {
    /// Whether a path relative to the layout root matches.
    fn matches(&self, rel: &str) -> bool {
        let comps: Vec<&str> = rel.split('/').collect();
        match_segments(&self.segments, &comps)
    }
}

fn match_segments(segs: &[Segment], comps: &[&str]) -> bool {
    match segs.split_first() {
        None => comps.is_empty(),
        Some((Segment::Any, [])) => !comps.is_empty(),
        Some((Segment::Any, rest)) => (0..=comps.len()).any(|k| match_segments(rest, &comps[k..])),
        Some((Segment::Component(tokens), rest)) => match comps.split_first() {
            Some((c, more)) => match_component(tokens, c) && match_segments(rest, more),
            None => false,
        },
    }
}

fn match_component(tokens: &[Token], s: &str) -> bool {
    let Some((first, rest)) = tokens.split_first() else {
        return s.is_empty();
    };
    match first {
        Token::Star => (0..=s.len())
            .filter(|&k| s.is_char_boundary(k))
            .any(|k| match_component(rest, &s[k..])),
        Token::One => s
            .chars()
            .next()
            .is_some_and(|c| match_component(rest, &s[c.len_utf8()..])),
        Token::Date => {
            s.len() >= 10
                && s.is_char_boundary(10)
                && tree::parse_date(&s[..10]).is_some()
                && match_component(rest, &s[10..])
        }
        Token::Literal(c) => s.strip_prefix(*c).is_some_and(|r| match_component(rest, r)),
    }
}

/// What the fix would do with one offender.
enum Plan {
    /// Not a flat dated file of the fix's kind.
    None,
    Move(String),
    /// The destination already exists; moving would overwrite it.
    Blocked(String),
}

impl Spec {
    /// The files under the root that do not match, repo-relative.
    fn offenders(&self, t: &Tree) -> Result<Vec<String>, String> {
        let walk = t.walk(&self.root)?;
        Ok(walk
            .files
            .into_iter()
            .filter(|f| {
                let rel = if self.root.is_empty() {
                    f.as_str()
                } else {
                    &f[self.root.len() + 1..]
                };
                rel != "README.md" && !self.pattern.matches(rel)
            })
            .collect())
    }

    fn plan(&self, t: &Tree, offender: &str) -> Plan {
        let Some(fix) = &self.fix else {
            return Plan::None;
        };
        if tree::parent(offender) != self.root {
            return Plan::None;
        }
        let (stem, ext) = split_ext(tree::file_name(offender));
        if tree::parse_date(stem).is_none() || ext != split_ext(fix).1 {
            return Plan::None;
        }
        let dest = tree::join_name(&self.root, &fix.replace(DATE, stem));
        if t.exists(&dest) {
            Plan::Blocked(dest)
        } else {
            Plan::Move(dest)
        }
    }

    fn shown(&self) -> String {
        tree::join_name(&self.root, &self.pattern.text)
    }

    fn describe(&self, t: &Tree, offender: &str) -> super::Finding {
        let mut msg = format!("does not match `{}`", self.shown());
        match self.plan(t, offender) {
            Plan::None => {}
            Plan::Move(dest) => msg.push_str(&format!("; the fix moves it to {dest}")),
            Plan::Blocked(dest) => msg.push_str(&format!("; not fixable: {dest} already exists")),
        }
        finding(offender, None, msg)
    }
}

/// `("2026-02-13", Some("md"))` for `2026-02-13.md`.
fn split_ext(name: &str) -> (&str, Option<&str>) {
    let name = tree::file_name(name);
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], Some(&name[i + 1..])),
        _ => (name, None),
    }
}

/// Checks the layout, fixing it first when asked to.
pub(crate) fn check(t: &Tree, s: &Spec, ctx: &Context) -> Result<Report, String> {
    match t.stat(&s.root) {
        Entry::Dir => {}
        Entry::Missing => {
            return Ok(Report::findings(vec![]).with_detail(format!(
                "{} does not exist; nothing to check",
                tree::show(&s.root)
            )));
        }
        _ => {
            return Ok(Report::findings(vec![finding(
                &s.root,
                None,
                "`root` is not a folder",
            )]));
        }
    }
    let offenders = s.offenders(t)?;
    if !(ctx.fix && s.fix.is_some()) || offenders.is_empty() {
        return Ok(Report::findings(
            offenders.iter().map(|o| s.describe(t, o)).collect(),
        ));
    }
    let (report, mut errors) = fix(t, s, &offenders)?;
    t.forget();
    let remaining = s.offenders(t)?;
    let mut out = if remaining.is_empty() && errors.is_empty() {
        let fixed = report
            .moved
            .iter()
            .map(|m| {
                finding(
                    &m.from,
                    None,
                    format!("did not match `{}`; moved to {}", s.shown(), m.to),
                )
            })
            .collect();
        Report {
            outcome: Some(Outcome::Fixed),
            ..Report::findings(fixed)
        }
    } else {
        // A failed move is already explained; the rest still do not match.
        let explained: Vec<String> = errors.iter().map(|e| e.path.clone()).collect();
        let rest = remaining.iter().filter(|r| !explained.contains(r));
        errors.extend(rest.map(|o| s.describe(t, o)));
        Report::findings(errors)
    };
    if !report.is_empty() {
        out.detail = report.to_string();
        out.fix = Some(report);
    }
    Ok(out)
}

/// Moves what can be moved, then rewrites the references to it. Returns
/// what changed and a finding for each move that failed.
fn fix(
    t: &Tree,
    s: &Spec,
    offenders: &[String],
) -> Result<(FixReport, Vec<super::Finding>), String> {
    let mut report = FixReport::default();
    let mut errors = Vec::new();
    let mut moves = HashMap::new();
    for o in offenders {
        let Plan::Move(dest) = s.plan(t, o) else {
            continue;
        };
        let to = t.path(&dest);
        let moved = to
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| fs::rename(t.path(o), &to));
        match moved {
            Ok(()) => {
                moves.insert(o.clone(), dest.clone());
                report.moved.push(Moved {
                    from: o.clone(),
                    to: dest,
                });
            }
            Err(e) => errors.push(finding(
                o,
                None,
                format!(
                    "does not match `{}`; could not move it to {dest}: {e}",
                    s.shown()
                ),
            )),
        }
    }
    if !moves.is_empty() {
        t.forget();
        report.rewritten = references::rewrite_moved(t, &moves)?;
    }
    Ok((report, errors))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::invariants::testutil::*;
    use crate::invariants::{FixReport, Moved, Outcome, run_one};

    const CFG: &str =
        "root = \"memory\"\npattern = \"YYYY-MM-DD/**\"\nfix = \"YYYY-MM-DD/durable_notes.md\"";

    #[test]
    fn pattern_matching() {
        let p = super::compile("YYYY-MM-DD/**").unwrap();
        assert!(p.matches("2026-02-13/a.md") && p.matches("2026-02-13/x/y.txt"));
        assert!(
            !p.matches("2026-02-13") && !p.matches("2026-02-30/a.md") && !p.matches("notes/a.md")
        );
        let p = super::compile("**/YYYY-MM-DD-*.md").unwrap();
        assert!(p.matches("2026-01-01-standup.md") && p.matches("a/b/2026-01-01-x.md"));
        assert!(!p.matches("a/2026-01-01-x.txt") && !p.matches("a/2026-13-01-x.md"));
        let p = super::compile("?.md").unwrap();
        assert!(p.matches("é.md") && !p.matches("ab.md"));
    }

    #[test]
    fn passes_on_a_dated_layout() {
        let t = tree(&[
            ("memory/README.md", "r"),
            ("memory/2026-02-13/durable_notes.md", "n"),
            ("memory/2026-02-12/sub/x.json", "{}"),
            ("notes.md", "outside the root"),
        ]);
        let r = run_one(t.path(), &inv("mem", "layout", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }

    #[test]
    fn names_offenders_and_what_the_fix_would_do() {
        let t = tree(&[
            ("memory/2026-02-13.md", "flat"),
            ("memory/2026-02-14.md", "flat, but its destination exists"),
            ("memory/2026-02-14/durable_notes.md", "x"),
            ("memory/2026-02-15.txt", "another kind of file"),
            ("memory/notes.md", "no date"),
            ("memory/2026-02-30/x.md", "no such date"),
            ("memory/sub/README.md", "only the root README is allowed"),
        ]);
        let r = run_one(t.path(), &inv("mem", "layout", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Fail);
        assert_eq!(
            lines(&r),
            vec![
                "memory/2026-02-13.md does not match `memory/YYYY-MM-DD/**`; the fix moves it to memory/2026-02-13/durable_notes.md",
                "memory/2026-02-14.md does not match `memory/YYYY-MM-DD/**`; not fixable: memory/2026-02-14/durable_notes.md already exists",
                "memory/2026-02-15.txt does not match `memory/YYYY-MM-DD/**`",
                "memory/2026-02-30/x.md does not match `memory/YYYY-MM-DD/**`",
                "memory/notes.md does not match `memory/YYYY-MM-DD/**`",
                "memory/sub/README.md does not match `memory/YYYY-MM-DD/**`",
            ]
        );
        assert!(
            t.path().join("memory/2026-02-13.md").exists(),
            "nothing moves without ctx.fix"
        );
    }

    #[test]
    fn fix_moves_and_rewrites_then_a_rerun_passes() {
        let t = tree(&[
            (
                "memory/2026-02-13.md",
                "Based on [a](../docs/a.md#s), `2026-02-12/x.md` and `docs/a.md`.\n",
            ),
            ("memory/2026-02-12/x.md", "x"),
            (
                "AGENTS.md",
                "Read [notes](memory/2026-02-13.md#today) and `memory/2026-02-13.md`.\n\
                 ```\n`memory/2026-02-13.md` stays in fences\n```\n",
            ),
            (
                "docs/a.md",
                "[n](../memory/2026-02-13.md), [r](/memory/2026-02-13.md), [same](./../memory/2026-02-13.md)\n\
                 template `memory/{yesterday}/x.md` and bare memory/2026-02-13.md stay\n",
            ),
        ]);
        let invs = [inv("mem", "layout", CFG), inv("refs", "references", "")];
        let mut c = ctx();
        c.fix = true;
        let r = run_one(t.path(), &invs[0], &c);
        assert_eq!(r.outcome, Outcome::Fixed, "{r:?}");
        assert_eq!(
            lines(&r),
            vec![
                "memory/2026-02-13.md did not match `memory/YYYY-MM-DD/**`; moved to memory/2026-02-13/durable_notes.md"
            ]
        );
        let dest = "memory/2026-02-13/durable_notes.md";
        assert_eq!(
            r.fix,
            Some(FixReport {
                moved: vec![Moved {
                    from: "memory/2026-02-13.md".into(),
                    to: dest.into()
                }],
                rewritten: vec!["AGENTS.md".into(), "docs/a.md".into(), dest.into()],
            })
        );
        assert_eq!(
            r.detail,
            "moved memory/2026-02-13.md → memory/2026-02-13/durable_notes.md\n\
             rewrote references in AGENTS.md, docs/a.md, memory/2026-02-13/durable_notes.md\n"
        );
        let read = |p: &str| fs::read_to_string(t.path().join(p)).unwrap();
        assert!(!t.path().join("memory/2026-02-13.md").exists());
        assert_eq!(
            read(dest),
            "Based on [a](../../docs/a.md#s), `../2026-02-12/x.md` and `docs/a.md`.\n"
        );
        assert_eq!(
            read("AGENTS.md"),
            "Read [notes](memory/2026-02-13/durable_notes.md#today) and `memory/2026-02-13/durable_notes.md`.\n\
             ```\n`memory/2026-02-13.md` stays in fences\n```\n"
        );
        assert_eq!(
            read("docs/a.md"),
            "[n](../memory/2026-02-13/durable_notes.md), [r](/memory/2026-02-13/durable_notes.md), \
             [same](./../memory/2026-02-13/durable_notes.md)\n\
             template `memory/{yesterday}/x.md` and bare memory/2026-02-13.md stay\n"
        );
        let again = run_one(t.path(), &invs[0], &ctx());
        assert_eq!(again.outcome, Outcome::Pass, "{again:?}");
        let refs = run_one(t.path(), &invs[1], &ctx());
        assert_eq!(refs.outcome, Outcome::Pass, "{refs:?}");
    }

    #[test]
    fn partial_fix_still_fails_and_reports_the_move() {
        let t = tree(&[
            ("memory/2026-02-13.md", "flat"),
            ("memory/2026-02-14.md", "blocked"),
            ("memory/2026-02-14/durable_notes.md", "x"),
            ("memory/misc.md", "no date"),
        ]);
        let mut c = ctx();
        c.fix = true;
        let r = run_one(t.path(), &inv("mem", "layout", CFG), &c);
        assert_eq!(r.outcome, Outcome::Fail);
        assert_eq!(
            lines(&r),
            vec![
                "memory/2026-02-14.md does not match `memory/YYYY-MM-DD/**`; not fixable: memory/2026-02-14/durable_notes.md already exists",
                "memory/misc.md does not match `memory/YYYY-MM-DD/**`",
            ]
        );
        assert_eq!(r.fix.unwrap().moved.len(), 1);
        assert_eq!(
            fs::read_to_string(t.path().join("memory/2026-02-13/durable_notes.md")).unwrap(),
            "flat"
        );
        assert_eq!(
            fs::read_to_string(t.path().join("memory/2026-02-14/durable_notes.md")).unwrap(),
            "x"
        );
    }

    #[test]
    fn missing_root_passes_and_bad_config_degrades() {
        let t = tree(&[]);
        let r = run_one(t.path(), &inv("mem", "layout", CFG), &ctx());
        assert_eq!(
            (r.outcome, r.detail.as_str()),
            (Outcome::Pass, "memory does not exist; nothing to check")
        );
        for (cfg, want) in [
            ("root = \"memory\"", "missing option `pattern`"),
            (
                "root = \"memory\"\npattern = \"[0-9]*/**\"",
                "uses `[`, which layout patterns do not support",
            ),
            (
                "root = \"memory\"\npattern = \"a**/x\"",
                "`**` must be a whole path component",
            ),
            (
                "root = \"memory\"\npattern = \"YYYY-MM-DD/**\"\nfix = \"notes.md\"",
                "must be a plain relative path containing YYYY-MM-DD",
            ),
            (
                "root = \"memory\"\npattern = \"YYYY-MM-DD/*.md\"\nfix = \"YYYY-MM-DD.md\"",
                "does not match `pattern`",
            ),
            (
                "root = \"memory\"\npattern = \"YYYY-MM-DD/**\"\nfix = true",
                "`fix` must be a path such as",
            ),
        ] {
            let r = run_one(t.path(), &inv("mem", "layout", cfg), &ctx());
            assert_eq!(r.outcome, Outcome::Degraded);
            assert!(r.detail.contains(want), "{cfg}: {}", r.detail);
        }
    }
}
