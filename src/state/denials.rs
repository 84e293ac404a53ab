//! A turn's denied actions, counted as they are decided.

use serde::{Deserialize, Serialize};

use super::{ActionInfo, ActionVerdict};
use crate::event::ActionDecision;
use crate::model::DecidedBy;

/// The denied actions of a turn, in a form that fits in its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Denials {
    /// How many actions were denied.
    pub count: usize,
    /// How many each decider denied, in the order they first denied.
    pub by: Vec<DeniedBy>,
    /// The first denied action.
    pub first_action: String,
    /// What it was ("Write notes/a.md").
    pub first_summary: String,
    /// Why it was denied, when someone said.
    pub first_reason: Option<String>,
}

/// How many actions one decider denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeniedBy {
    pub by: DecidedBy,
    pub count: usize,
}

impl Denials {
    /// The denials among `actions`, if any.
    pub fn of(actions: &[ActionInfo]) -> Option<Denials> {
        let denied: Vec<(&ActionInfo, &ActionVerdict)> = actions
            .iter()
            .filter_map(|a| a.decision.as_ref().map(|d| (a, d)))
            .filter(|(_, d)| d.decision == ActionDecision::Deny)
            .collect();
        let (first, verdict) = denied.first()?;
        let mut by: Vec<DeniedBy> = Vec::new();
        for (_, d) in &denied {
            match by.iter_mut().find(|b| b.by == d.by) {
                Some(b) => b.count += 1,
                None => by.push(DeniedBy { by: d.by, count: 1 }),
            }
        }
        Some(Denials {
            count: denied.len(),
            by,
            first_action: first.id.clone(),
            first_summary: first.summary.clone(),
            first_reason: verdict.reason.clone(),
        })
    }

    /// One sentence: "2 actions denied (1 by the agent, 1 unattended);
    /// first: Write notes/a.md — why".
    pub fn sentence(&self) -> String {
        let by: Vec<String> = self
            .by
            .iter()
            .map(|b| format!("{} {}", b.count, by_words(b.by)))
            .collect();
        format!(
            "{} {} denied ({}); first: {}{}",
            self.count,
            if self.count == 1 { "action" } else { "actions" },
            by.join(", "),
            self.first_summary,
            self.first_reason
                .as_deref()
                .map(|r| format!(" — {r}"))
                .unwrap_or_default()
        )
    }

    /// Whether the agent itself refused any of them.
    pub fn by_agent(&self) -> bool {
        self.by.iter().any(|b| b.by == DecidedBy::Agent)
    }
}

/// "by the operator", "unattended", "by the agent", …
fn by_words(by: DecidedBy) -> &'static str {
    match by {
        DecidedBy::Operator => "by the operator",
        DecidedBy::Policy => "by policy",
        DecidedBy::Timeout => "by timeout",
        DecidedBy::Unattended => "unattended",
        DecidedBy::Agent => "by the agent",
    }
}

impl Denials {
    /// Counts one more denied action (`a`, whose decision is the deny).
    /// Denials only grow — a deny is never replaced — so this keeps them
    /// without the turn's other actions.
    pub(crate) fn add(denials: &mut Option<Denials>, a: &ActionInfo) {
        let Some(ActionVerdict { by, reason, .. }) = &a.decision else {
            return;
        };
        let Some(d) = denials else {
            *denials = Some(Denials {
                count: 1,
                by: vec![DeniedBy { by: *by, count: 1 }],
                first_action: a.id.clone(),
                first_summary: a.summary.clone(),
                first_reason: reason.clone(),
            });
            return;
        };
        d.count += 1;
        match d.by.iter_mut().find(|b| b.by == *by) {
            Some(b) => b.count += 1,
            None => d.by.push(DeniedBy { by: *by, count: 1 }),
        }
        if action_number(&a.id) < action_number(&d.first_action) {
            d.first_action = a.id.clone();
            d.first_summary = a.summary.clone();
            d.first_reason = reason.clone();
        }
    }
}

/// `t5.a12` → 12; an id outside the grammar sorts last.
fn action_number(id: &str) -> u64 {
    id.rsplit_once(".a")
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(u64::MAX)
}
