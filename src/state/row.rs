//! A turn as `leash turns --json` lists it. The fold snapshot keeps each
//! settled turn's row ready (`snapshot/rows.jsonl`), so the list of a long
//! history is copied rather than parsed and written again: a change here
//! changes the fold's id (see `journal::snapshot`), and the rows are made
//! anew.

use super::Confinement;
use super::{Denials, Intent, LineComment, MergedCheck, RollbackAsked, Turn, TurnDecision};
use crate::model::TurnState;

/// A turn as `leash turns --json` lists it: every folded field but its
/// events and actions (`leash show TURN --json` has those), with `autonomy`
/// filled in for turns that have not finished yet.
#[derive(serde::Serialize)]
pub struct TurnRow<'a> {
    id: &'a str,
    task: &'a Option<String>,
    agent: &'a str,
    kind: crate::model::TurnKind,
    state: TurnState,
    risk: crate::model::RiskClass,
    declared_risk: crate::model::RiskClass,
    autonomy: crate::model::AutonomyLevel,
    task_autonomy: Option<crate::model::AutonomyLevel>,
    failure: Option<crate::model::FailureClass>,
    base: &'a Option<String>,
    branch: &'a Option<String>,
    commit: &'a Option<String>,
    landed_commit: &'a Option<String>,
    rollback_commit: &'a Option<String>,
    kept_at: &'a Option<String>,
    title: &'a str,
    command: &'a Option<Vec<String>>,
    prompt: &'a Option<String>,
    deliverable: &'a Option<String>,
    created: &'a str,
    started: &'a Option<String>,
    finished: &'a Option<String>,
    exit: Option<i32>,
    signal: Option<i32>,
    files_changed: usize,
    insertions: usize,
    deletions: usize,
    paths: &'a [String],
    message_empty: bool,
    reason: &'a str,
    escalations: &'a [crate::model::Escalation],
    decision: &'a Option<TurnDecision>,
    drift_from: &'a Option<String>,
    supervisor_pid: Option<u32>,
    supervisor_start: Option<u64>,
    agent_pid: Option<u32>,
    agent_start: Option<u64>,
    worktree: &'a Option<String>,
    pending: &'a Option<Intent>,
    notes: &'a [String],
    session: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: &'a Option<String>,
    action_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_action_at: &'a Option<String>,
    invariants: &'a [crate::invariants::CheckResult],
    #[serde(skip_serializing_if = "Option::is_none")]
    invariants_findings: &'a Option<String>,
    introduced: &'a [String],
    merged: &'a Option<MergedCheck>,
    denials: &'a Option<Denials>,
    confinement: &'a Option<Confinement>,
    refused_writes: &'a [String],
    citations: &'a [crate::invariants::Citation],
    #[serde(skip_serializing_if = "Option::is_none")]
    model: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback: &'a Option<RollbackAsked>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    comments: &'a [LineComment],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    notified: &'a [String],
    /// What it spent (the turn keeps how it was folded; a listing shows
    /// the sum).
    spend: super::Spent,
}

impl<'a> TurnRow<'a> {
    /// The row of `t`, its autonomy `autonomy` (the turn's own, or for a
    /// turn that has none the level that applies now).
    pub fn at(t: &'a Turn, autonomy: crate::model::AutonomyLevel) -> TurnRow<'a> {
        TurnRow {
            id: &t.id,
            task: &t.task,
            agent: &t.agent,
            kind: t.kind,
            state: t.state,
            risk: t.risk,
            declared_risk: t.declared_risk,
            autonomy,
            task_autonomy: t.task_autonomy,
            failure: t.failure,
            base: &t.base,
            branch: &t.branch,
            commit: &t.commit,
            landed_commit: &t.landed_commit,
            rollback_commit: &t.rollback_commit,
            kept_at: &t.kept_at,
            title: &t.title,
            command: &t.command,
            prompt: &t.prompt,
            deliverable: &t.deliverable,
            created: &t.created,
            started: &t.started,
            finished: &t.finished,
            exit: t.exit,
            signal: t.signal,
            files_changed: t.files_changed,
            insertions: t.insertions,
            deletions: t.deletions,
            paths: &t.paths,
            message_empty: t.message_empty,
            reason: &t.reason,
            escalations: &t.escalations,
            decision: &t.decision,
            drift_from: &t.drift_from,
            supervisor_pid: t.supervisor_pid,
            supervisor_start: t.supervisor_start,
            agent_pid: t.agent_pid,
            agent_start: t.agent_start,
            worktree: &t.worktree,
            pending: &t.pending,
            notes: &t.notes,
            session: &t.session,
            policy: &t.policy,
            action_count: t.action_count,
            last_action_at: &t.last_action_at,
            invariants: &t.invariants,
            invariants_findings: &t.invariants_findings,
            introduced: &t.introduced,
            merged: &t.merged,
            denials: &t.denials,
            confinement: &t.confinement,
            refused_writes: &t.refused_writes,
            citations: &t.citations,
            model: &t.model,
            rollback: &t.rollback,
            comments: &t.comments,
            notified: &t.notified,
            spend: t.spend.spent(),
        }
    }
}
