//! What the fold keeps of invariant checks: the workspace's latest, and a
//! landed turn's check of the merged tree.

use serde::{Deserialize, Serialize};

/// The latest check of the workspace as a whole (`leash check`, or a turn's
/// tree, whichever came last).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastCheck {
    pub ts: String,
    pub turn: Option<String>,
    pub results: Vec<crate::invariants::CheckResult>,
    /// The commit whose tree was checked (for `leash check`, the head the
    /// checkout stood on).
    #[serde(default)]
    pub commit: String,
    /// Where every finding is when `results` keep only the first few (see
    /// `Workspace::full_results`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<String>,
}

/// A check of the merged tree a turn landed as.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MergedCheck {
    /// The commit checked: the merge of the turn onto the moved branch.
    pub tree: String,
    pub results: Vec<crate::invariants::CheckResult>,
    /// Where every finding is when `results` keep only the first few.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<String>,
}
