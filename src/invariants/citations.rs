//! `citations`: claims checked against the sources a turn read. In the
//! lines a turn added to Markdown and text files under the roots, every
//! Markdown link, backticked path, footnote or reference URL and bare URL
//! is a citation. With `require = "read"` (the default) a citation of
//! something the turn never read is an *unread source*, and a cited file
//! the turn read that changed on the branch since is a *stale source*; with
//! `require = "exists"` only a cited file that does not exist is a finding.
//!
//! Files the turn wrote count as read (it knows what it wrote). A folder
//! counts as read when the turn read it or something in it. Without a turn
//! (a check of the workspace, or of a merged tree) the kind is skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::markdown::{scan, scan_urls};
use super::options::Options;
use super::tree::{self, Tree};
use super::{Context, Outcome, Report, finding};

/// The options `citations` knows.
pub(crate) const KEYS: &[&str] = &["roots", "require"];

/// What a citation must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Require {
    /// The turn read what it cites (and a cited file did not change since).
    Read,
    /// A cited file exists.
    Exists,
}

/// A `citations` invariant.
pub(crate) struct Spec {
    roots: Vec<String>,
    require: Require,
}

/// Reads the options of a `citations` invariant.
pub(crate) fn parse(o: &Options) -> Result<Spec, String> {
    let roots = o
        .paths("roots", "an array of folders such as [\".\"]")?
        .unwrap_or_else(|| vec![String::new()]);
    let expected = "\"read\" or \"exists\"";
    let require = match o.string("require", expected)?.as_deref() {
        None | Some("read") => Require::Read,
        Some("exists") => Require::Exists,
        Some(other) => return Err(format!("`require` is \"{other}\"; expected {expected}")),
    };
    Ok(Spec { roots, require })
}

/// What is wrong with a citation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The turn never read what it cites.
    Unread,
    /// The turn read the cited file, and it changed on the branch since.
    Stale,
    /// The cited file does not exist.
    Missing,
}

/// A citation with a problem, in a file the turn changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The citing file, repo-relative.
    pub path: String,
    /// 1-based, in the turn's version of the file.
    pub line: u32,
    /// The path or URL as written.
    pub target: String,
    pub problem: Problem,
    /// For a stale source: how it changed ("changed by t2 in 1a2b3c4").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Citation {
    /// One sentence for a person.
    pub fn message(&self) -> String {
        match self.problem {
            Problem::Unread => format!(
                "unread source: `{}` was never read by the turn",
                self.target
            ),
            Problem::Stale => format!(
                "stale source: `{}` changed on the branch since the turn read it{}",
                self.target,
                self.detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ),
            Problem::Missing => format!("cited `{}` does not exist", self.target),
        }
    }
}

/// What a turn read and added, for checking its citations.
#[derive(Debug, Clone, Default)]
pub struct TurnSources {
    /// The lines the turn added (1-based, in its version), per file.
    pub added: BTreeMap<String, BTreeSet<u32>>,
    /// Repository paths (files and folders) whose text or listing the
    /// turn read, and the files it wrote.
    pub read: BTreeSet<String>,
    /// URLs the turn fetched or read.
    pub urls: BTreeSet<String>,
    /// Files read that changed on the branch since: path → how.
    pub stale: BTreeMap<String, String>,
}

/// A URL as compared: without its fragment and trailing slash.
fn url_key(url: &str) -> &str {
    url.split('#').next().unwrap_or(url).trim_end_matches('/')
}

/// The citations with a problem in the lines the turn added to files under
/// `roots` in the tree at `root`.
pub fn check_citations(
    root: &Path,
    roots: &[String],
    require: Require,
    sources: &TurnSources,
    today: chrono::NaiveDate,
) -> Result<Vec<Citation>, String> {
    let t = Tree::new(root)?;
    citations(&t, roots, require, sources, today)
}

fn under(path: &str, root: &str) -> bool {
    root.is_empty()
        || root == "."
        || path == root
        || path.strip_prefix(root).is_some_and(|r| r.starts_with('/'))
}

fn citations(
    t: &Tree,
    roots: &[String],
    require: Require,
    src: &TurnSources,
    today: chrono::NaiveDate,
) -> Result<Vec<Citation>, String> {
    let urls: BTreeSet<&str> = src.urls.iter().map(|u| url_key(u)).collect();
    let read = |c: &String| {
        src.read.contains(c)
            || src.read.iter().any(|r| {
                r.strip_prefix(c.as_str())
                    .is_some_and(|r| r.starts_with('/'))
            })
    };
    let mut out = Vec::new();
    for (file, lines) in &src.added {
        let lower = file.to_ascii_lowercase();
        let texty = [".md", ".markdown", ".txt"]
            .iter()
            .any(|e| lower.ends_with(e));
        if !texty || !roots.iter().any(|r| under(file, r)) || !t.exists(file) {
            continue;
        }
        let bytes = t.read(file)?;
        if super::references::is_binary(&bytes) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let dir = tree::parent(file);
        let mut seen = BTreeSet::new();
        let mut push = |line: u32, target: &str, problem: Problem, detail: Option<String>| {
            if seen.insert((line, target.to_string())) {
                out.push(Citation {
                    path: file.clone(),
                    line,
                    target: target.to_string(),
                    problem,
                    detail,
                });
            }
        };
        for m in scan(&text, false)
            .into_iter()
            .filter(|m| lines.contains(&m.line))
        {
            let path = tree::expand_dates(&m.path, today);
            let cands = tree::candidates(dir, &path);
            match require {
                Require::Exists => {
                    if !cands.iter().any(|c| t.exists(c)) {
                        push(m.line, &m.raw, Problem::Missing, None);
                    }
                }
                Require::Read => match cands.iter().find(|c| read(c)) {
                    None => push(m.line, &m.raw, Problem::Unread, None),
                    Some(c) => {
                        if let Some(how) = src.stale.get(c) {
                            push(m.line, &m.raw, Problem::Stale, Some(how.clone()));
                        }
                    }
                },
            }
        }
        if require == Require::Read {
            for (line, url) in scan_urls(&text) {
                if lines.contains(&line) && !urls.contains(url_key(&url)) {
                    push(line, &url, Problem::Unread, None);
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Ok(out)
}

/// Checks the citations of the turn the context carries.
pub(crate) fn check(t: &Tree, s: &Spec, ctx: &Context) -> Result<Report, String> {
    let Some(src) = &ctx.sources else {
        return Ok(Report::outcome(
            Outcome::Skipped,
            "citations are checked on a turn's tree, against what the turn read",
        ));
    };
    let findings = citations(t, &s.roots, s.require, src, ctx.today)?
        .into_iter()
        .map(|c| super::Finding {
            target: Some(c.target.clone()),
            ..finding(&c.path, Some(c.line), c.message())
        })
        .collect();
    Ok(Report::findings(findings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invariants::testutil::*;
    use crate::invariants::{Context, run_one};

    fn sources(added: &[(&str, &[u32])], read: &[&str], urls: &[&str]) -> TurnSources {
        TurnSources {
            added: added
                .iter()
                .map(|(f, l)| (f.to_string(), l.iter().copied().collect()))
                .collect(),
            read: read.iter().map(|s| s.to_string()).collect(),
            urls: urls.iter().map(|s| s.to_string()).collect(),
            stale: BTreeMap::new(),
        }
    }

    const NOTE: &str = "# Summary\n\
                        Old line citing `docs/old.md`.\n\
                        The figure is 42 ([source](../docs/source.md)), see `docs/other.md`.\n\
                        Per https://example.com/page/ and [^1].\n\
                        [^1]: https://example.com/footnote\n";

    #[test]
    fn citations_in_added_lines_are_checked_against_what_the_turn_read() {
        let t = tree(&[
            ("notes/summary.md", NOTE),
            ("docs/source.md", "x"),
            ("docs/other.md", "y"),
        ]);
        let mut src = sources(
            &[("notes/summary.md", &[3, 4, 5])],
            &["docs/source.md"],
            &["https://example.com/page"],
        );
        let found =
            check_citations(t.path(), &[String::new()], Require::Read, &src, ctx().today).unwrap();
        let got: Vec<(u32, &str, Problem)> = found
            .iter()
            .map(|c| (c.line, c.target.as_str(), c.problem))
            .collect();
        assert_eq!(
            got,
            [
                (3, "docs/other.md", Problem::Unread),
                (5, "https://example.com/footnote", Problem::Unread),
            ],
            "line 2 was not added; the source and the page were read"
        );
        assert!(
            found[0]
                .message()
                .starts_with("unread source: `docs/other.md`")
        );

        src.stale
            .insert("docs/source.md".into(), "changed by t2 in 1a2b3c4".into());
        let found =
            check_citations(t.path(), &[String::new()], Require::Read, &src, ctx().today).unwrap();
        assert_eq!(found[0].problem, Problem::Stale);
        assert_eq!(found[0].target, "../docs/source.md");
        assert!(
            found[0].message().contains("(changed by t2 in 1a2b3c4)"),
            "{}",
            found[0].message()
        );

        // `exists`: only a cited file that is not there.
        let src = sources(&[("notes/summary.md", &[2, 3, 4, 5])], &[], &[]);
        let found = check_citations(
            t.path(),
            &[String::new()],
            Require::Exists,
            &src,
            ctx().today,
        )
        .unwrap();
        let got: Vec<(&str, Problem)> = found
            .iter()
            .map(|c| (c.target.as_str(), c.problem))
            .collect();
        assert_eq!(got, [("docs/old.md", Problem::Missing)]);
        // Outside the roots, nothing.
        let found =
            check_citations(t.path(), &["docs".into()], Require::Read, &src, ctx().today).unwrap();
        assert!(found.is_empty());
    }

    #[test]
    fn the_kind_is_skipped_without_a_turn_and_fails_on_an_unread_source() {
        let t = tree(&[("notes/a.md", "See `docs/b.md`.\n"), ("docs/b.md", "b")]);
        let r = run_one(t.path(), &inv("cites", "citations", ""), &ctx());
        assert_eq!(r.outcome, crate::invariants::Outcome::Skipped);
        let with = Context {
            sources: Some(sources(&[("notes/a.md", &[1])], &[], &[])),
            ..ctx()
        };
        let r = run_one(t.path(), &inv("cites", "citations", ""), &with);
        assert_eq!(r.outcome, crate::invariants::Outcome::Fail);
        assert_eq!(r.findings[0].path, "notes/a.md");
        assert_eq!(r.findings[0].target.as_deref(), Some("docs/b.md"));
        let with = Context {
            sources: Some(sources(&[("notes/a.md", &[1])], &["docs"], &[])),
            ..ctx()
        };
        let r = run_one(t.path(), &inv("cites", "citations", ""), &with);
        assert_eq!(
            r.outcome,
            crate::invariants::Outcome::Fail,
            "a listing is not a read of the file"
        );
        let r = run_one(
            t.path(),
            &inv("cites", "citations", "require = \"maybe\""),
            &ctx(),
        );
        assert_eq!(r.outcome, crate::invariants::Outcome::Degraded);
        assert!(
            r.detail.contains("expected \"read\" or \"exists\""),
            "{}",
            r.detail
        );
    }
}
