//! Invariants (DESIGN §6): named integrity checks over a workspace tree,
//! configured as `[[invariant]]` tables in `.leash/config.toml`.
//!
//! The runner is here; each kind lives in a file of its own. A check that
//! cannot run as configured, errors or panics is `degraded`, never `pass`:
//! a broken check must not look like a clean tree.

mod boot;
mod citations;
mod command;
mod contract;
mod deliverable;
mod layout;
mod markdown;
mod options;
mod readme;
mod references;
mod routing;
mod schema;
mod separation;
mod tree;

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use options::Options;

pub use citations::{Citation, Problem, Require, TurnSources, check_citations};
pub use contract::{SchemaSource, Within, check_pass, is_inside, within};

/// The invariant kinds of DESIGN §6.
use crate::model::INVARIANT_KINDS as KINDS;

/// An `[[invariant]]` table, as the workspace config reads it.
pub use crate::model::InvariantConfig;
use crate::model::Pos;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// The check failed, its fix was applied to the tree, and it now passes.
    Fixed,
    /// The check could not run fully (bad config, timeout, I/O error).
    Degraded,
    /// Nothing to check (e.g. no deliverable was declared).
    Skipped,
}

/// One thing wrong in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Repo-relative, `/`-separated; "" when the finding is about no file.
    pub path: String,
    /// 1-based.
    pub line: Option<u32>,
    pub message: String,
    /// The path that is missing, as written (references, routes, boot files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// A file the layout fix moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    pub from: String,
    pub to: String,
}

/// What a fix changed in the tree, for the commit message: files moved and
/// files whose references were rewritten. Present on a result whenever its
/// fix changed anything, also when the check still fails afterwards (a
/// partial fix is still a change the caller commits).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixReport {
    pub moved: Vec<Moved>,
    /// Repo-relative paths (after the moves) of the rewritten files.
    pub rewritten: Vec<String>,
}

impl FixReport {
    /// True when the fix changed nothing.
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty() && self.rewritten.is_empty()
    }
}

impl fmt::Display for FixReport {
    /// One line per move, then one naming the rewritten files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.moved {
            writeln!(f, "moved {} → {}", m.from, m.to)?;
        }
        if !self.rewritten.is_empty() {
            writeln!(f, "rewrote references in {}", self.rewritten.join(", "))?;
        }
        Ok(())
    }
}

/// The result of one invariant over one tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    pub kind: String,
    pub outcome: Outcome,
    /// Sorted by path, then line.
    pub findings: Vec<Finding>,
    /// How many findings the check made when `findings` holds only the
    /// first of them, as the journal keeps them (all of them are in the
    /// check's file beside it); `None`: every finding is here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings_total: Option<usize>,
    /// Why it was degraded or skipped; a command's output tail (≤ 4 KiB);
    /// what a fix changed, readable.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    pub millis: u64,
    /// What the fix changed, when it changed anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<FixReport>,
}

impl CheckResult {
    /// How many findings the check made.
    pub fn finding_count(&self) -> usize {
        self.findings_total.unwrap_or(self.findings.len())
    }

    /// This result with at most `keep` findings, saying how many it made.
    pub fn abridged(&self, keep: usize) -> CheckResult {
        let mut r = self.clone();
        if r.findings.len() > keep {
            r.findings_total = Some(self.finding_count());
            r.findings.truncate(keep);
        }
        r
    }
}

/// Whether a result lets a guarded turn land.
pub fn passes(r: &CheckResult) -> bool {
    matches!(r.outcome, Outcome::Pass | Outcome::Fixed | Outcome::Skipped)
}

/// The parsed results of an `invariants_checked` event.
pub fn parse_results(values: &[serde_json::Value]) -> Vec<CheckResult> {
    values
        .iter()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect()
}

/// What a check knows besides the tree.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The date `{today}` stands for.
    pub today: chrono::NaiveDate,
    /// The turn's declared deliverable, repo-relative; `{today}` and
    /// `{yesterday}` may still be in it.
    pub deliverable: Option<String>,
    /// Apply the fixes of fixable kinds (layout) to the files under the root.
    pub fix: bool,
    /// What the turn whose tree this is read and added (`citations`);
    /// `None` when the tree is not a turn's.
    pub sources: Option<TurnSources>,
}

/// What a kind's check reports; the runner adds name, kind and timing.
#[derive(Debug, Default)]
pub(crate) struct Report {
    outcome: Option<Outcome>,
    findings: Vec<Finding>,
    detail: String,
    fix: Option<FixReport>,
}

impl Report {
    /// Pass when nothing was found, else fail.
    pub(crate) fn findings(findings: Vec<Finding>) -> Report {
        Report {
            findings,
            ..Report::default()
        }
    }

    /// A fixed outcome regardless of findings.
    pub(crate) fn outcome(outcome: Outcome, detail: impl Into<String>) -> Report {
        Report {
            outcome: Some(outcome),
            detail: detail.into(),
            ..Report::default()
        }
    }

    /// Adds a detail text.
    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> Report {
        self.detail = detail.into();
        self
    }
}

/// Builds a finding.
pub(crate) fn finding(path: &str, line: Option<u32>, message: impl Into<String>) -> Finding {
    Finding {
        path: path.to_string(),
        line,
        message: message.into(),
        target: None,
    }
}

/// "`raw` does not exist", saying where it was looked for when that is
/// not just `raw` itself (a reference relative to a file, or a date).
pub(crate) fn not_found(what: &str, raw: &str, candidates: &[String]) -> String {
    match candidates {
        [] => format!("{what} `{raw}` leads outside the workspace"),
        [c] if c == raw => format!("{what} `{raw}` does not exist"),
        [c] => format!("{what} `{raw}` does not exist (looked for {c})"),
        cs => format!(
            "{what} `{raw}` does not exist (looked for {})",
            cs.join(" and ")
        ),
    }
}

/// A missing-target finding: the target is the path as written.
pub(crate) fn dangling(
    path: &str,
    line: u32,
    what: &str,
    raw: &str,
    candidates: &[String],
) -> Finding {
    Finding {
        target: Some(raw.to_string()),
        ..finding(path, Some(line), not_found(what, raw, candidates))
    }
}

/// A configured invariant, its options read.
enum Spec {
    Boot(boot::Spec),
    Citations(citations::Spec),
    Readme(readme::Spec),
    Routing(routing::Spec),
    References(references::Spec),
    Separation(separation::Spec),
    Layout(layout::Spec),
    Deliverable(deliverable::Spec),
    Command(command::Spec),
}

impl Spec {
    fn parse(inv: &InvariantConfig) -> Result<Spec, String> {
        let keys: &[&str] = match inv.kind.as_str() {
            "boot" => boot::KEYS,
            "citations" => citations::KEYS,
            "readme" => readme::KEYS,
            "routing" => routing::KEYS,
            "references" => references::KEYS,
            "separation" => separation::KEYS,
            "layout" => layout::KEYS,
            "deliverable" => deliverable::KEYS,
            "command" => command::KEYS,
            other => {
                return Err(format!(
                    "`{other}` is not an invariant kind; expected one of: {}",
                    KINDS.join(", ")
                ));
            }
        };
        let o = Options::new(&inv.kind, &inv.options, keys)?;
        Ok(match inv.kind.as_str() {
            "boot" => Spec::Boot(boot::parse(&o)?),
            "citations" => Spec::Citations(citations::parse(&o)?),
            "readme" => Spec::Readme(readme::parse(&o)?),
            "routing" => Spec::Routing(routing::parse(&o)?),
            "references" => Spec::References(references::parse(&o)?),
            "separation" => Spec::Separation(separation::parse(&o)?),
            "layout" => Spec::Layout(layout::parse(&o)?),
            "deliverable" => Spec::Deliverable(deliverable::parse(&o)?),
            _ => Spec::Command(command::parse(&o)?),
        })
    }

    fn check(&self, root: &Path, ctx: &Context) -> Result<Report, String> {
        // A command needs no walkable tree, only a working directory.
        if let Spec::Command(s) = self {
            return command::check(root, s);
        }
        let t = tree::Tree::new(root)?;
        match self {
            Spec::Boot(s) => boot::check(&t, s, ctx),
            Spec::Citations(s) => citations::check(&t, s, ctx),
            Spec::Readme(s) => readme::check(&t, s),
            Spec::Routing(s) => routing::check(&t, s, ctx),
            Spec::References(s) => references::check(&t, s, ctx),
            Spec::Separation(s) => separation::check(&t, s),
            Spec::Layout(s) => layout::check(&t, s, ctx),
            Spec::Deliverable(s) => deliverable::check(&t, s, ctx),
            Spec::Command(_) => unreachable!("handled above"),
        }
    }
}

/// Checks an invariant's kind and options without running it: `Err` names
/// the key and what was expected. For the config loader.
pub fn validate(cfg: &InvariantConfig) -> Result<(), String> {
    Spec::parse(cfg).map(|_| ())
}

/// Checks the kind and options of every invariant, for the loader of the
/// config, so that a typo is reported where it is written rather than as a
/// degraded check later: `Err` is where the first wrong one's table starts
/// and what is wrong.
pub fn check_options(invariants: &[InvariantConfig]) -> Result<(), (Pos, String)> {
    for inv in invariants {
        if let Err(message) = validate(inv) {
            return Err((inv.at, format!("invariant `{}`: {message}", inv.name)));
        }
    }
    Ok(())
}

/// Runs every configured invariant over the directory `root` (a checkout of
/// the tree to check); results come in config order. With `ctx.fix` the
/// fixable kinds run first, so every other check sees the fixed tree; the
/// caller commits what they changed (see [`CheckResult::fix`]).
pub fn run_all(root: &Path, invariants: &[InvariantConfig], ctx: &Context) -> Vec<CheckResult> {
    let mut order: Vec<usize> = (0..invariants.len()).collect();
    if ctx.fix {
        order.sort_by_key(|&i| invariants[i].kind != "layout");
    }
    let mut results: Vec<Option<CheckResult>> = vec![None; invariants.len()];
    for i in order {
        results[i] = Some(run_one(root, &invariants[i], ctx));
    }
    results.into_iter().flatten().collect()
}

/// Runs one invariant over the directory `root`.
pub fn run_one(root: &Path, inv: &InvariantConfig, ctx: &Context) -> CheckResult {
    let started = Instant::now();
    let report = match Spec::parse(inv) {
        Err(e) => Report::outcome(Outcome::Degraded, format!("invalid configuration: {e}")),
        // A bug in one kind must not take down the console or the other
        // checks; it shows up as this check being degraded.
        Ok(spec) => match catch_unwind(AssertUnwindSafe(|| spec.check(root, ctx))) {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Report::outcome(Outcome::Degraded, e),
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Report::outcome(Outcome::Degraded, format!("the check crashed: {why}"))
            }
        },
    };
    let mut findings = report.findings;
    findings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    let outcome = report.outcome.unwrap_or(if findings.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail
    });
    CheckResult {
        name: inv.name.clone(),
        kind: inv.kind.clone(),
        outcome,
        findings,
        findings_total: None,
        detail: report.detail,
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        fix: report.fix,
    }
}

/// A short summary like "6 ✓ 1 ✗ 1 ~": ✓ pass and fixed, ✗ fail, ~ degraded;
/// skipped is not counted, and zero ✗ or ~ are left out. Empty for no results.
pub fn summary(results: &[CheckResult]) -> String {
    if results.is_empty() {
        return String::new();
    }
    let count = |f: &dyn Fn(Outcome) -> bool| results.iter().filter(|r| f(r.outcome)).count();
    let ok = count(&|o| matches!(o, Outcome::Pass | Outcome::Fixed));
    let failed = count(&|o| o == Outcome::Fail);
    let degraded = count(&|o| o == Outcome::Degraded);
    let mut s = format!("{ok} ✓");
    if failed > 0 {
        s.push_str(&format!(" {failed} ✗"));
    }
    if degraded > 0 {
        s.push_str(&format!(" {degraded} ~"));
    }
    s
}

fn fails(o: Outcome) -> bool {
    matches!(o, Outcome::Fail | Outcome::Degraded)
}

/// Results that fail (fail or degraded) in `now` but did not fail in
/// `before` (matched by name): what a turn introduced. The rest of now's
/// failures were inherited.
pub fn introduced<'a>(now: &'a [CheckResult], before: &[CheckResult]) -> Vec<&'a CheckResult> {
    let failed_before: HashMap<&str, bool> = before
        .iter()
        .map(|r| (r.name.as_str(), fails(r.outcome)))
        .collect();
    now.iter()
        .filter(|r| {
            fails(r.outcome) && !failed_before.get(r.name.as_str()).copied().unwrap_or(false)
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn the_loader_checks_a_kinds_own_keys() {
        // config::tests::invariants_need_a_name_and_a_known_kind: this
        // table starts at 1:1.
        let mut bad = inv("r", "readme", "rots = [\".\"]");
        bad.at = Pos { line: 1, column: 1 };
        let good = inv("b", "boot", "manifest = \"AGENTS.md\"");
        assert_eq!(check_options(std::slice::from_ref(&good)), Ok(()));
        let (at, message) = check_options(&[good, bad]).unwrap_err();
        assert_eq!((at.line, at.column), (1, 1), "{message}");
        for n in ["invariant `r`", "unknown option `rots`"] {
            assert!(message.contains(n), "`{n}` not in: {message}");
        }
    }

    fn result(name: &str, outcome: Outcome) -> CheckResult {
        CheckResult {
            name: name.into(),
            kind: "readme".into(),
            outcome,
            findings: vec![],
            findings_total: None,
            detail: String::new(),
            millis: 0,
            fix: None,
        }
    }

    #[test]
    fn summary_counts() {
        use Outcome::*;
        let rs: Vec<_> = [Pass, Pass, Fixed, Fail, Degraded, Skipped, Pass, Pass, Pass]
            .iter()
            .enumerate()
            .map(|(i, o)| result(&i.to_string(), *o))
            .collect();
        assert_eq!(summary(&rs), "6 ✓ 1 ✗ 1 ~");
        assert_eq!(summary(&rs[..3]), "3 ✓");
        assert_eq!(summary(&rs[3..6]), "0 ✓ 1 ✗ 1 ~");
        assert_eq!(summary(&[]), "");
    }

    #[test]
    fn introduced_versus_inherited() {
        use Outcome::*;
        let before = [
            result("a", Fail),
            result("b", Pass),
            result("c", Degraded),
            result("d", Skipped),
        ];
        let now = [
            result("a", Fail),     // inherited
            result("b", Degraded), // introduced
            result("c", Fail),     // inherited: failing either way
            result("d", Fail),     // introduced
            result("e", Fail),     // new invariant: introduced
            result("f", Pass),
        ];
        let names: Vec<&str> = introduced(&now, &before)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, vec!["b", "d", "e"]);
    }

    #[test]
    fn unknown_kind_and_bad_options_degrade() {
        let t = tree(&[]);
        let ctx = ctx();
        let r = run_one(t.path(), &inv("x", "bot", ""), &ctx);
        assert_eq!(r.outcome, Outcome::Degraded);
        assert!(
            r.detail
                .contains("`bot` is not an invariant kind; expected one of: boot, readme")
        );
        let r = run_one(t.path(), &inv("x", "readme", "roots = \"docs\""), &ctx);
        assert_eq!(r.outcome, Outcome::Degraded);
        assert_eq!(
            r.detail,
            "invalid configuration: `roots` must be an array of folders such as [\"operations\", \"docs\"], found the string \"docs\""
        );
        assert!(validate(&inv("x", "readme", "roots = [\"docs\"]")).is_ok());
        assert!(
            validate(&inv("x", "readme", ""))
                .unwrap_err()
                .contains("missing option `roots`")
        );
    }

    #[test]
    fn results_serialize_to_the_documented_schema() {
        let mut r = result("n", Outcome::Fail);
        r.findings.push(finding("a.md", Some(3), "m"));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"name": "n", "kind": "readme", "outcome": "fail",
                "findings": [{"path": "a.md", "line": 3, "message": "m"}], "millis": 0})
        );
        let back: CheckResult = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn run_all_keeps_config_order_and_fixes_first() {
        let t = tree(&[
            ("memory/2026-02-13.md", "notes"),
            // Points where the notes belong: resolves only after the move.
            ("AGENTS.md", "read `memory/2026-02-13/durable_notes.md`"),
        ]);
        let invs = [
            inv("refs", "references", ""),
            inv(
                "mem",
                "layout",
                "root = \"memory\"\npattern = \"YYYY-MM-DD/**\"\nfix = \"YYYY-MM-DD/durable_notes.md\"",
            ),
        ];
        let mut c = ctx();
        c.fix = true;
        let rs = run_all(t.path(), &invs, &c);
        assert_eq!(rs[0].name, "refs");
        // The references check ran after the move and its rewrite.
        assert_eq!(rs[0].outcome, Outcome::Pass, "{:?}", rs[0]);
        assert_eq!(rs[1].outcome, Outcome::Fixed);
        assert_eq!(summary(&rs), "2 ✓");
    }
}
