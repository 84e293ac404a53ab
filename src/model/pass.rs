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
