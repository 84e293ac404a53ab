//! `separation`: store separation. Instructions and artifacts live apart,
//! so no path under `under` may match a `forbid` glob (e.g. feedback or
//! logs inside `operations/`).
//!
//! Globs are relative to `under`; `*` stays inside one path component and
//! `**` crosses them, as in the `[[risk]]` rules. Files and folders are both
//! matched; `.git` and `.leash` are not looked at. A missing `under` holds
//! nothing forbidden and passes, with a detail saying so.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::options::Options;
use super::tree::{self, Entry, Tree};
use super::{Report, finding};

/// The options `separation` knows.
pub(crate) const KEYS: &[&str] = &["under", "forbid"];

/// A `separation` invariant.
pub(crate) struct Spec {
    under: String,
    forbid: Vec<String>,
    set: GlobSet,
}

/// Reads the options of a `separation` invariant.
pub(crate) fn parse(o: &Options) -> Result<Spec, String> {
    let under = o.req_path("under", "a folder such as \"operations\"")?;
    let expected = "an array of globs such as [\"**/feedback*\", \"**/*.log\"]";
    let forbid = o
        .strings("forbid", expected)?
        .ok_or_else(|| format!("missing option `forbid`; expected {expected}"))?;
    if forbid.is_empty() {
        return Err(format!(
            "`forbid` is empty, so nothing would be checked; expected {expected}"
        ));
    }
    let mut b = GlobSetBuilder::new();
    for g in &forbid {
        let glob = GlobBuilder::new(g)
            .literal_separator(true)
            // Explicit: globset's default differs on Windows.
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("`forbid` holds an invalid glob \"{g}\": {}", e.kind()))?;
        b.add(glob);
    }
    let set = b
        .build()
        .map_err(|e| format!("`forbid` cannot be compiled: {e}"))?;
    Ok(Spec { under, forbid, set })
}

/// Checks every path under `under`.
pub(crate) fn check(t: &Tree, s: &Spec) -> Result<Report, String> {
    match t.stat(&s.under) {
        Entry::Dir => {}
        Entry::Missing => {
            return Ok(Report::findings(vec![]).with_detail(format!(
                "{} does not exist; nothing to check",
                tree::show(&s.under)
            )));
        }
        _ => {
            return Ok(Report::findings(vec![finding(
                &s.under,
                None,
                "`under` is not a folder",
            )]));
        }
    }
    let walk = t.walk(&s.under)?;
    let mut findings = Vec::new();
    for path in walk.files.iter().chain(&walk.dirs) {
        let rel = if s.under.is_empty() {
            path.as_str()
        } else {
            &path[s.under.len() + 1..]
        };
        if let Some(&i) = s.set.matches(rel).first() {
            findings.push(finding(
                path,
                None,
                format!(
                    "matches `{}`, which is forbidden under {}",
                    s.forbid[i],
                    tree::show(&s.under)
                ),
            ));
        }
    }
    Ok(Report::findings(findings))
}

#[cfg(test)]
mod tests {
    use crate::invariants::testutil::*;
    use crate::invariants::{Outcome, run_one};

    const CFG: &str = "under = \"operations\"\nforbid = [\"**/feedback*\", \"**/*.log\"]";

    #[test]
    fn passes_when_nothing_forbidden_is_there() {
        let t = tree(&[
            ("operations/README.md", "x"),
            ("operations/deploy/steps.md", "x"),
            ("memory/feedback.md", "artifacts may live elsewhere"),
            ("memory/run.log", "x"),
        ]);
        let r = run_one(t.path(), &inv("sep", "separation", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }

    #[test]
    fn names_every_forbidden_path() {
        let t = tree(&[
            ("operations/feedback.md", "x"),
            ("operations/deploy/run.log", "x"),
            ("operations/feedback/", ""),
            ("operations/deploy/logs.md", "not a .log file"),
        ]);
        let r = run_one(t.path(), &inv("sep", "separation", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Fail);
        assert_eq!(
            lines(&r),
            vec![
                "operations/deploy/run.log matches `**/*.log`, which is forbidden under operations",
                "operations/feedback matches `**/feedback*`, which is forbidden under operations",
                "operations/feedback.md matches `**/feedback*`, which is forbidden under operations",
            ]
        );
    }

    #[test]
    fn missing_under_passes_with_a_detail() {
        let t = tree(&[("x.md", "x")]);
        let r = run_one(t.path(), &inv("sep", "separation", CFG), &ctx());
        assert_eq!(
            (r.outcome, r.detail.as_str()),
            (Outcome::Pass, "operations does not exist; nothing to check")
        );
    }

    #[test]
    fn bad_config_degrades() {
        let t = tree(&[]);
        for (cfg, want) in [
            ("under = \"operations\"", "missing option `forbid`"),
            ("under = \"operations\"\nforbid = []", "`forbid` is empty"),
            (
                "under = \"operations\"\nforbid = [\"a[\"]",
                "`forbid` holds an invalid glob \"a[\"",
            ),
            ("forbid = [\"*.log\"]", "missing option `under`"),
            (
                "under = \"operations\"\nforbid = [\"*.log\"]\nallow = []",
                "unknown option `allow`",
            ),
        ] {
            let r = run_one(t.path(), &inv("sep", "separation", cfg), &ctx());
            assert_eq!(r.outcome, Outcome::Degraded);
            assert!(r.detail.contains(want), "{cfg}: {}", r.detail);
        }
    }
}
