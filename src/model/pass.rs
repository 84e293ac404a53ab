//! The shapes of a pipeline's passes that the config, the journal and the
//! fold share: what a pass's `out` must be (its contract), whether it may
//! change anything else (its mode), whether the pipeline waits for the
//! operator after it (its gate), and what it may spend (its budget).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a pass's `out` must be. Non-empty always; the rest on request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// It parses as JSON.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub json: bool,
    /// A JSON Schema it is valid against: a repo-relative path, read as
    /// committed at the pass's base (so the pass cannot loosen it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Markdown headings it holds: `"Sources"` at any level, `"## Sources"`
    /// at that level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headings: Vec<String>,
    /// At most this many bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
}

/// Whether a pass may change files other than its `out`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PassMode {
    #[default]
    #[serde(rename = "write")]
    Write,
    /// Its findings are its `out`; any other change is a contract violation.
    #[serde(rename = "read-only")]
    ReadOnly,
}

words!(PassMode, "a pass mode", { Write => "write", ReadOnly => "read-only" });

/// Whether the pipeline waits for the operator after a pass that landed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassGate {
    /// The next pass starts as soon as this one lands.
    #[default]
    Auto,
    /// The pipeline pauses after this pass lands, even by policy, until
    /// the operator resumes it.
    Review,
}

words!(PassGate, "a pass gate", { Auto => "auto", Review => "review" });

/// The share of a budget at which a pass is warned about (journaled once
/// by its supervisor, shown in the console's warning colour).
pub const BUDGET_WARN_AT: f64 = 0.8;

/// What a pass may spend; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Duration>,
}

/// One of a pass's budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetKind {
    Tokens,
    Usd,
    /// Seconds of the clock.
    Time,
}

words!(BudgetKind, "a budget", { Tokens => "tokens", Usd => "usd", Time => "time" });

impl BudgetKind {
    /// `spent` (or `limit`) as a person reads it: `162 400`, `$1.25`, `1m 30s`.
    pub fn show(self, amount: f64) -> String {
        match self {
            BudgetKind::Tokens => group_thousands(amount.max(0.0).round() as u64),
            BudgetKind::Usd => format!("${amount:.2}"),
            // Under a minute the clock's tenths matter: a second's budget
            // was passed at 1.1s, not at "1s".
            BudgetKind::Time if amount < 59.95 && (amount - amount.round()).abs() >= 0.05 => {
                format!("{amount:.1}s")
            }
            BudgetKind::Time => {
                let secs = amount.max(0.0).round() as u64;
                match (secs / 3600, secs / 60 % 60, secs % 60) {
                    (0, 0, s) => format!("{s}s"),
                    (0, m, 0) => format!("{m}m"),
                    (0, m, s) => format!("{m}m {s}s"),
                    (h, 0, _) => format!("{h}h"),
                    (h, m, _) => format!("{h}h {m}m"),
                }
            }
        }
    }

    /// "tokens: 162 400 spent of a budget of 150 000".
    pub fn over(self, spent: f64, limit: f64) -> String {
        let (mut shown, budget) = (self.show(spent), self.show(limit));
        // Just past a second's budget reads "1.02s", not "1s of 1s".
        if shown == budget && self == BudgetKind::Time && spent < 60.0 {
            shown = format!("{spent:.2}s");
        }
        format!("{self}: {shown} spent of a budget of {budget}")
    }
}

/// `162400` → `162 400`.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

impl Budget {
    /// Its limits, by kind, as numbers (seconds for time).
    pub fn limits(&self) -> Vec<(BudgetKind, f64)> {
        let mut out = Vec::new();
        if let Some(t) = self.tokens {
            out.push((BudgetKind::Tokens, t as f64));
        }
        if let Some(u) = self.usd {
            out.push((BudgetKind::Usd, u));
        }
        if let Some(t) = self.time {
            out.push((BudgetKind::Time, t.as_secs_f64()));
        }
        out
    }

    /// Whether it sets no limit at all.
    pub fn is_empty(&self) -> bool {
        self.limits().is_empty()
    }
}

/// Whether `id` is a pipeline run's id: `p` and digits, as `p3`.
pub fn is_run_id(id: &str) -> bool {
    id.strip_prefix('p')
        .is_some_and(|n| !n.is_empty() && n.len() <= 19 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The number of a pipeline run's id (`p3` → 3).
pub fn run_number(id: &str) -> Option<u64> {
    id.strip_prefix('p').and_then(|n| n.parse().ok())
}

/// Whether `name` may name a pass: letters, digits, `-` and `_`, so that
/// `{name.out}` in a prompt is never ambiguous.
pub fn is_pass_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_and_pass_names() {
        assert!(is_run_id("p1") && is_run_id("p42"));
        assert!(!is_run_id("p") && !is_run_id("t1") && !is_run_id("p1x"));
        assert_eq!(run_number("p12"), Some(12));
        assert!(is_pass_name("extract") && is_pass_name("step_2-a"));
        assert!(!is_pass_name("") && !is_pass_name("a.b") && !is_pass_name("a b"));
    }

    #[test]
    fn budgets_read_as_a_person_counts() {
        assert_eq!(
            BudgetKind::Tokens.over(162_400.0, 150_000.0),
            "tokens: 162 400 spent of a budget of 150 000"
        );
        assert_eq!(BudgetKind::Tokens.show(999.0), "999");
        assert_eq!(BudgetKind::Tokens.show(1_000_000.0), "1 000 000");
        assert_eq!(
            BudgetKind::Usd.over(1.254, 1.0),
            "usd: $1.25 spent of a budget of $1.00"
        );
        assert_eq!(BudgetKind::Time.show(90.0), "1m 30s");
        assert_eq!(BudgetKind::Time.show(600.0), "10m");
        assert_eq!(BudgetKind::Time.show(2.0), "2s");
        assert_eq!(BudgetKind::Time.show(1.13), "1.1s");
        assert_eq!(BudgetKind::Time.show(3720.0), "1h 2m");
    }

    #[test]
    fn just_over_a_time_budget_reads_as_over_it() {
        assert_eq!(
            BudgetKind::Time.over(1.02, 1.0),
            "time: 1.02s spent of a budget of 1s"
        );
        assert_eq!(
            BudgetKind::Time.over(1.1, 1.0),
            "time: 1.1s spent of a budget of 1s"
        );
        assert_eq!(
            BudgetKind::Tokens.over(160_301.0, 150_000.0),
            "tokens: 160 301 spent of a budget of 150 000"
        );
    }

    #[test]
    fn words_and_wire_names_agree() {
        assert_eq!("read-only".parse::<PassMode>(), Ok(PassMode::ReadOnly));
        assert_eq!(
            serde_json::to_string(&PassMode::ReadOnly).unwrap(),
            "\"read-only\""
        );
        assert_eq!(
            serde_json::to_string(&PassGate::Review).unwrap(),
            "\"review\""
        );
        assert!(
            "maybe"
                .parse::<PassGate>()
                .unwrap_err()
                .contains("auto, review")
        );
    }
}
