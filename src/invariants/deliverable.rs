//! `deliverable`: the turn produced the artifact it declared, and it is
//! not empty (an empty one is the "silent corruption" failure class).
//! Optionally it parses as JSON (`json = true`) or holds Markdown headings
//! (`headings = ["## Summary"]`, matched by level and text, ATX style,
//! outside fenced code). Without a declared deliverable the check is skipped.

use super::options::Options;
use super::tree::{self, Entry, Tree};
use super::{Context, Outcome, Report, finding};

/// The options `deliverable` knows.
pub(crate) const KEYS: &[&str] = &["json", "headings"];

/// A `deliverable` invariant.
pub(crate) struct Spec {
    json: bool,
    headings: Vec<(usize, String)>,
}

/// Reads the options of a `deliverable` invariant.
pub(crate) fn parse(o: &Options) -> Result<Spec, String> {
    let expected = "an array of Markdown headings such as [\"## Summary\"]";
    let mut headings = Vec::new();
    for h in o.strings("headings", expected)?.unwrap_or_default() {
        let parsed =
            heading(&h).ok_or_else(|| format!("`headings` holds \"{h}\"; expected {expected}"))?;
        headings.push(parsed);
    }
    Ok(Spec {
        json: o.bool("json")?.unwrap_or(false),
        headings,
    })
}

/// `(level, text)` of an ATX heading line such as `## Summary ##`.
pub(super) fn heading(line: &str) -> Option<(usize, String)> {
    let line = line.trim();
    let level = line.bytes().take_while(|&b| b == b'#').count();
    let rest = &line[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim_end();
    (!text.is_empty()).then(|| (level, text.to_string()))
}

/// Checks the declared deliverable.
pub(crate) fn check(t: &Tree, s: &Spec, ctx: &Context) -> Result<Report, String> {
    let Some(declared) = &ctx.deliverable else {
        return Ok(Report::outcome(
            Outcome::Skipped,
            "the turn declares no deliverable",
        ));
    };
    let expanded = tree::expand_dates(declared, ctx.today);
    let Some(path) =
        tree::normalize(&expanded).filter(|p| !p.is_empty() && !expanded.starts_with('/'))
    else {
        return Ok(Report::findings(vec![finding(
            &expanded,
            None,
            "the declared deliverable is not a path inside the workspace",
        )]));
    };
    let one = |msg: String| Ok(Report::findings(vec![finding(&path, None, msg)]));
    match t.stat(&path) {
        Entry::File => {}
        Entry::Missing => return one("the declared deliverable was not produced".into()),
        Entry::Dir if s.json || !s.headings.is_empty() => {
            return one("the declared deliverable is a folder, but a file is expected".into());
        }
        Entry::Dir if !t.dir_has_entries(&path)? => {
            return one("the declared deliverable is an empty folder".into());
        }
        Entry::Dir => return Ok(Report::findings(vec![])),
        Entry::Outside => {
            return one("the declared deliverable points outside the workspace".into());
        }
        Entry::Other => return one("the declared deliverable is not a regular file".into()),
    }
    if t.is_blank(&path)? {
        return one("the declared deliverable is empty".into());
    }
    let text = String::from_utf8_lossy(&t.read(&path)?).into_owned();
    let mut findings = Vec::new();
    if s.json
        && let Err(e) = serde_json::from_str::<serde_json::Value>(&text)
    {
        let line = u32::try_from(e.line()).ok().filter(|&l| l > 0);
        findings.push(finding(&path, line, format!("not valid JSON: {e}")));
    }
    if !s.headings.is_empty() {
        let present = headings_in(&text);
        for (level, want) in &s.headings {
            if !present.iter().any(|(l, h)| l == level && h == want) {
                let hashes = "#".repeat(*level);
                findings.push(finding(
                    &path,
                    None,
                    format!("missing heading `{hashes} {want}`"),
                ));
            }
        }
    }
    Ok(Report::findings(findings))
}

/// The ATX headings of a Markdown text, outside fenced code.
pub(super) fn headings_in(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(f), Some(m)) if f == m => fence = None,
            (None, None) => out.extend(heading(line)),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::invariants::testutil::*;
    use crate::invariants::{Context, Outcome, run_one};

    fn with(deliverable: &str) -> Context {
        Context {
            deliverable: Some(deliverable.into()),
            ..ctx()
        }
    }

    #[test]
    fn skipped_without_a_declared_deliverable() {
        let t = tree(&[]);
        let r = run_one(t.path(), &inv("d", "deliverable", ""), &ctx());
        assert_eq!(
            (r.outcome, r.detail.as_str()),
            (Outcome::Skipped, "the turn declares no deliverable")
        );
    }

    #[test]
    fn passes_when_produced_with_its_headings() {
        let t = tree(&[
            (
                "memory/2026-02-13/draft.md",
                "# Draft\n\n## Summary ##\ntext\n## Sources\n",
            ),
            ("out/data.json", "{\"a\": [1, 2]}\n"),
        ]);
        let cfg = "headings = [\"## Summary\", \"##  Sources\"]";
        let r = run_one(
            t.path(),
            &inv("d", "deliverable", cfg),
            &with("memory/{today}/draft.md"),
        );
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
        let r = run_one(
            t.path(),
            &inv("d", "deliverable", "json = true"),
            &with("out/data.json"),
        );
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }

    #[test]
    fn missing_empty_invalid_or_incomplete() {
        let t = tree(&[
            ("empty.md", " \n\n"),
            ("bad.json", "{\n  \"a\": 1,\n}\n"),
            ("draft.md", "# Draft\n### Summary\n```\n## Sources\n```\n"),
        ]);
        let d = |cfg: &str, path: &str| {
            lines(&run_one(
                t.path(),
                &inv("d", "deliverable", cfg),
                &with(path),
            ))
        };
        assert_eq!(
            d("", "memory/{today}/draft.md"),
            vec!["memory/2026-02-13/draft.md the declared deliverable was not produced"]
        );
        assert_eq!(
            d("", "empty.md"),
            vec!["empty.md the declared deliverable is empty"]
        );
        assert_eq!(
            d("json = true", "bad.json"),
            vec!["bad.json:3 not valid JSON: trailing comma at line 3 column 1"]
        );
        assert_eq!(
            d(
                "headings = [\"## Summary\", \"## Sources\", \"# Draft\"]",
                "draft.md"
            ),
            vec![
                "draft.md missing heading `## Summary`",
                "draft.md missing heading `## Sources`"
            ]
        );
        assert_eq!(
            d("", "../elsewhere.md"),
            vec!["../elsewhere.md the declared deliverable is not a path inside the workspace"]
        );
    }

    #[test]
    fn bad_config_degrades() {
        let t = tree(&[("a.md", "x")]);
        for (cfg, want) in [
            (
                "json = \"yes\"",
                "`json` must be true or false, found the string \"yes\"",
            ),
            (
                "headings = [\"Summary\"]",
                "`headings` holds \"Summary\"; expected an array of Markdown headings",
            ),
            (
                "path = \"a.md\"",
                "unknown option `path` for kind `deliverable`; expected one of: json, headings",
            ),
        ] {
            let r = run_one(t.path(), &inv("d", "deliverable", cfg), &with("a.md"));
            assert_eq!(r.outcome, Outcome::Degraded);
            assert!(r.detail.contains(want), "{cfg}: {}", r.detail);
        }
    }
}
