//! The journal's events (schema v1, DESIGN §2). Each variant is one `kind`;
//! its fields are the line's other keys. Optional fields are omitted when
//! empty so that lines stay short and old readers stay happy.

use serde::{Deserialize, Serialize};

use crate::model::short;

use crate::model::{
    AutonomyLevel, Budget, BudgetKind, Contract, DecidedBy, Decision, FailureClass, PartialVerdict,
    PassGate, PassMode, Receipt, RiskClass, TurnKind,
};

/// One line of the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub v: u32,
    pub seq: u64,
    pub ts: String,
    #[serde(flatten)]
    pub event: Event,
}

/// One event of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A turn exists. `turn_kind` is DESIGN's `kind: isolated|in_place`,
    /// renamed because `kind` is the event's own tag.
    TurnCreated {
        turn: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task: Option<String>,
        agent: String,
        turn_kind: TurnKind,
        risk: RiskClass,
        /// The commit the turn starts from; `None` on an unborn branch.
        base: Option<String>,
        /// The branch the turn will land on; `None` when HEAD is detached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<String>,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deliverable: Option<String>,
        /// The task's own autonomy override, if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        autonomy: Option<AutonomyLevel>,
        /// The process that owns the turn until `turn_started`, so that a
        /// turn whose creator died before starting is not left running.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supervisor_pid: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supervisor_start: Option<u64>,
        /// The agent session an in-place turn belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// The commit whose committed `.leash/` policy governs an in-place
        /// turn: the branch head when its session's first turn began, kept
        /// for the whole session, so that an agent that commits a looser
        /// config (or moves HEAD to one) is still judged by the policy its
        /// session started under.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy: Option<String>,
        /// Where an isolated turn's worktree will be created: journaled
        /// before creation starts, so recovery can prune a half-made one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        worktree: Option<String>,
    },
    TurnStarted {
        turn: String,
        supervisor_pid: u32,
        /// Start time of the supervisor (clock ticks since boot), to tell
        /// it from a later process that reused its pid.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supervisor_start: Option<u64>,
        agent_pid: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_start: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        worktree: Option<String>,
    },
    /// How an isolated turn's agent is confined, journaled just before it
    /// starts: whether Landlock applies, its ABI, what is writable, and the
    /// TCP ports connects may reach when the network is denied. A turn
    /// without this event (an older journal, an in-place turn) says nothing
    /// about confinement.
    TurnConfined {
        turn: String,
        confined: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        abi: Option<u32>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        writable: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        connect_ports: Option<Vec<u16>>,
        /// Why a turn runs unconfined, or what confinement could not cover.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        warning: Option<String>,
    },
    /// A write the kernel refused to a confined turn, recognised in the
    /// agent's own error output: the path and the line that said so.
    WriteRefused {
        turn: String,
        path: String,
        line: String,
    },
    /// The unread and stale sources of a waiting turn's citations, checked
    /// again after another turn landed on its branch (replacing those of
    /// its `turn_finished`).
    SourcesChecked {
        turn: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        citations: Vec<crate::invariants::Citation>,
    },
    /// A follow-up turn's link to its parent, journaled with its
    /// `turn_created`: sent back by `leash revise` or continued by `leash
    /// resume`, and the agent session it continues (if any).
    TurnFollows {
        turn: String,
        parent: String,
        how: crate::model::FollowHow,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
    /// The agent's own session id, as its stream named it (Claude's
    /// `session_id`, Codex's `thread_id`): what `leash revise` and `leash
    /// resume` continue.
    AgentSession {
        turn: String,
        session: String,
    },
    /// The time a rate limit the turn hit resets, as the agent's error
    /// named it (RFC 3339): `leash resume` waits for it.
    LimitResets {
        turn: String,
        at: String,
    },
    /// The operator's comment on a line of a turn's diff (`C` in the Diff
    /// tab): what a turn sent back to its agent is told.
    LineCommented {
        turn: String,
        path: String,
        /// The line on the turn's side (context and added lines).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<u32>,
        /// The line on the base's side, for a removed line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_line: Option<u32>,
        text: String,
    },
    ActionRequested {
        turn: String,
        action: String,
        tool: String,
        summary: String,
        #[serde(default)]
        input: serde_json::Value,
        risk: RiskClass,
        needs: Needs,
        /// The agent's own id of the tool call, to pair its result.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool_use_id: Option<String>,
    },
    ActionDecided {
        action: String,
        decision: ActionDecision,
        by: DecidedBy,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// How the operator decided (see [`Receipt`]); none for policy,
        /// timeouts, unattended answers and the agent's own refusals.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<Receipt>,
    },
    ActionDone {
        action: String,
        ok: bool,
        #[serde(default)]
        paths_read: Vec<String>,
        #[serde(default)]
        paths_written: Vec<String>,
        #[serde(default)]
        urls: Vec<String>,
        /// What the action read, with the blob or hash of what it saw.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        sources: Vec<crate::provenance::Source>,
        /// Shell commands (and server tools) whose reads cannot be known.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unknown_reads: Vec<String>,
        /// The blob each write left, per path.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        written: Vec<crate::provenance::Written>,
    },
    Usage {
        turn: String,
        input_tokens: u64,
        output_tokens: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context_window: Option<u64>,
        /// The model the agent's stream named for its session, when it
        /// named one (the note of a landed turn and `Assisted-by` carry it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        /// The request this usage is of (Claude's message id): a later
        /// usage of the same request replaces it rather than adds to it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
        /// The run's total (Claude's result): it replaces what the
        /// turn's requests added up to.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        total: bool,
        /// Dollars for what this usage counts: as the agent reported them,
        /// else priced by `[prices]` of the config when the usage was
        /// journaled; `None` when neither knows.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost_usd: Option<f64>,
    },
    /// A running pass crossed 80 % of one of its budgets (once per budget).
    BudgetWarning {
        turn: String,
        /// `tokens`, `usd` or `time` (seconds).
        what: BudgetKind,
        spent: f64,
        limit: f64,
    },
    TurnFinished {
        turn: String,
        /// Exit code; `None` when the agent was killed by a signal.
        exit: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure: Option<FailureClass>,
        /// The turn commit on `refs/leash/turns/<turn>`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commit: Option<String>,
        files_changed: usize,
        insertions: usize,
        deletions: usize,
        /// The level that governed the decision at the end.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        autonomy: Option<AutonomyLevel>,
        /// Why the turn ends the way it does, in a sentence.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
        /// Every repo-relative path the diff touches.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        paths: Vec<String>,
        /// Whether the agent printed a final message at all.
        #[serde(default)]
        message_empty: bool,
        /// Citations in the lines the turn added whose sources it never
        /// read, or read before they changed on the branch.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        citations: Vec<crate::invariants::Citation>,
    },
    RiskEscalated {
        turn: String,
        from: RiskClass,
        to: RiskClass,
        because: String,
    },
    InvariantsChecked {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn: Option<String>,
        tree: String,
        #[serde(default)]
        results: Vec<serde_json::Value>,
        /// Names of the failing invariants the turn introduced (the other
        /// failures were inherited from its base).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        introduced: Vec<String>,
        /// The tree is the turn's change merged onto a branch that moved
        /// (checked for landing), not the turn's own commit.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        merged: bool,
        /// The file beside the journal (`checks/<this>.json`, named by the
        /// git blob id of its bytes) holding every finding, when `results`
        /// keep only the first of them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        findings: Option<String>,
    },
    TurnDecided {
        turn: String,
        decision: Decision,
        by: DecidedBy,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// An approval of some hunks only: which, and the commits of the
        /// split.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partial: Option<PartialVerdict>,
        /// How the operator decided (see [`Receipt`]); none for policy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<Receipt>,
    },
    /// Write-ahead intent: `branch` is about to move from `old` to `target`.
    LandingStarted {
        turn: String,
        target: String,
        branch: String,
        old: Option<String>,
    },
    TurnLanded {
        turn: String,
        commit: String,
        /// The branch head when it had moved since the turn's base.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drift_from: Option<String>,
    },
    /// A landing intent that did not complete; the turn waits again.
    LandingAborted {
        turn: String,
        reason: String,
        /// Set when the refusal names the turn's failure (a conflict with a
        /// moved branch is `concurrent_drift`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure: Option<FailureClass>,
    },
    TurnRejected {
        turn: String,
        kept_at: String,
    },
    /// Write-ahead intent of a rollback, shaped like `landing_started`.
    RollbackStarted {
        turn: String,
        target: String,
        branch: String,
        old: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    TurnRolledBack {
        turn: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commit: Option<String>,
    },
    RollbackAborted {
        turn: String,
        reason: String,
    },
    TurnInterrupted {
        turn: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An interactive agent session began (its SessionStart hook).
    SessionStarted {
        session: String,
        agent: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
        /// The agent's own transcript file, shown as an in-place turn's
        /// output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<String>,
        /// The Landlock ABI the session was confined by, when `leash shell`
        /// started it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confined: Option<u32>,
    },
    /// An interactive agent session ended (its SessionEnd hook).
    SessionEnded {
        session: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A git lock file that a killed leash process left under `.git`,
    /// removed by recovery before it finished or undid that process's work.
    LockRemoved {
        /// The lock file, relative to the repository's `.git`.
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn: Option<String>,
        reason: String,
    },
    /// A pipeline run of a task with passes began (`leash run --task`).
    PipelineStarted {
        run: String,
        task: String,
        /// Its passes' names, in order, as the committed tasks file had them.
        passes: Vec<String>,
    },
    /// A pass of a pipeline run began as turn `turn` (appended with the
    /// turn's `turn_created`): what its `out` must be, as committed then.
    PassStarted {
        run: String,
        pass: String,
        turn: String,
        /// Repo-relative, placeholders filled in.
        out: String,
        #[serde(default)]
        contract: Contract,
        #[serde(default)]
        mode: PassMode,
        #[serde(default)]
        gate: PassGate,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
        /// What the pass may spend, as its definition said when it started.
        #[serde(default)]
        budget: Budget,
    },
    /// The operator resumed a pipeline run at `pass`, with the passes as
    /// the committed tasks file has them now.
    PipelineResumed {
        run: String,
        pass: String,
        passes: Vec<String>,
    },
    /// The operator cancelled a pipeline run: no further pass starts.
    PipelineCancelled {
        run: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The operator was told, by the `[notify] command`, that `item` (an
    /// action id, or the turn's own id for its review) waits for them: no
    /// process tells them of it again.
    Notified {
        turn: String,
        item: String,
        /// Why the command could not be started, when it could not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        warning: Option<String>,
    },
    AutonomySet {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        class: Option<RiskClass>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task: Option<String>,
        level: AutonomyLevel,
        by: DecidedBy,
    },
    /// A `[[risk]]` rule the operator confirmed was added to
    /// `.leash/config.toml` in a commit of its own on `branch`.
    RuleAdded {
        commit: String,
        branch: String,
        /// `allow docs/** as medium`, `raise git push* to high`.
        rule: String,
        /// The actions (or turns) whose answers proposed it.
        #[serde(default)]
        from: Vec<String>,
        by: DecidedBy,
    },
}

/// True for a full object id as leash writes them: 40 lowercase or
/// uppercase hex digits (SHA-1) or 64 (SHA-256).
pub fn is_full_oid(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hunk numbers as a list: `1, 3`; `none` when empty.
fn hunk_numbers(hunks: &[crate::model::HunkRef]) -> String {
    if hunks.is_empty() {
        return "none".into();
    }
    let n: Vec<String> = hunks.iter().map(|h| h.n.to_string()).collect();
    n.join(", ")
}

/// A hostile id shown in a message: one line, at most 60 characters.
fn one_line(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(60)
        .collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// Whether an action waits for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Needs {
    Approval,
    None,
}

/// The answer to an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionDecision {
    Allow,
    Deny,
    /// Left to the agent's own permission rules: leash neither allowed nor
    /// denied it (`[gate] allowed = "defer"`, or `unattended = "ask"`).
    Defer,
}

mod describe;

impl ActionDecision {
    /// The word for it in sentences: "allowed", "denied", "deferred to
    /// the agent".
    pub fn done_word(self) -> &'static str {
        match self {
            ActionDecision::Allow => "allowed",
            ActionDecision::Deny => "denied",
            ActionDecision::Defer => "deferred to the agent",
        }
    }
}

impl Event {
    /// The `kind` word of the event.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::TurnCreated { .. } => "turn_created",
            Event::TurnStarted { .. } => "turn_started",
            Event::ActionRequested { .. } => "action_requested",
            Event::ActionDecided { .. } => "action_decided",
            Event::ActionDone { .. } => "action_done",
            Event::Usage { .. } => "usage",
            Event::BudgetWarning { .. } => "budget_warning",
            Event::TurnFinished { .. } => "turn_finished",
            Event::RiskEscalated { .. } => "risk_escalated",
            Event::InvariantsChecked { .. } => "invariants_checked",
            Event::TurnDecided { .. } => "turn_decided",
            Event::LandingStarted { .. } => "landing_started",
            Event::TurnLanded { .. } => "turn_landed",
            Event::LandingAborted { .. } => "landing_aborted",
            Event::TurnRejected { .. } => "turn_rejected",
            Event::RollbackStarted { .. } => "rollback_started",
            Event::TurnRolledBack { .. } => "turn_rolled_back",
            Event::RollbackAborted { .. } => "rollback_aborted",
            Event::TurnInterrupted { .. } => "turn_interrupted",
            Event::LockRemoved { .. } => "lock_removed",
            Event::AutonomySet { .. } => "autonomy_set",
            Event::RuleAdded { .. } => "rule_added",
            Event::SessionStarted { .. } => "session_started",
            Event::SessionEnded { .. } => "session_ended",
            Event::TurnConfined { .. } => "turn_confined",
            Event::WriteRefused { .. } => "write_refused",
            Event::SourcesChecked { .. } => "sources_checked",
            Event::LineCommented { .. } => "line_commented",
            Event::TurnFollows { .. } => "turn_follows",
            Event::AgentSession { .. } => "agent_session",
            Event::LimitResets { .. } => "limit_resets",
            Event::Notified { .. } => "notified",
            Event::PipelineStarted { .. } => "pipeline_started",
            Event::PassStarted { .. } => "pass_started",
            Event::PipelineResumed { .. } => "pipeline_resumed",
            Event::PipelineCancelled { .. } => "pipeline_cancelled",
        }
    }

    /// The turn an event belongs to, when it names one directly.
    pub fn turn(&self) -> Option<&str> {
        match self {
            Event::TurnCreated { turn, .. }
            | Event::TurnStarted { turn, .. }
            | Event::ActionRequested { turn, .. }
            | Event::Usage { turn, .. }
            | Event::BudgetWarning { turn, .. }
            | Event::TurnFinished { turn, .. }
            | Event::RiskEscalated { turn, .. }
            | Event::TurnDecided { turn, .. }
            | Event::LandingStarted { turn, .. }
            | Event::TurnLanded { turn, .. }
            | Event::LandingAborted { turn, .. }
            | Event::TurnRejected { turn, .. }
            | Event::RollbackStarted { turn, .. }
            | Event::TurnRolledBack { turn, .. }
            | Event::RollbackAborted { turn, .. }
            | Event::TurnInterrupted { turn, .. }
            | Event::TurnConfined { turn, .. }
            | Event::WriteRefused { turn, .. }
            | Event::SourcesChecked { turn, .. }
            | Event::LineCommented { turn, .. }
            | Event::TurnFollows { turn, .. }
            | Event::AgentSession { turn, .. }
            | Event::LimitResets { turn, .. }
            | Event::Notified { turn, .. }
            | Event::PassStarted { turn, .. } => Some(turn),
            Event::InvariantsChecked { turn, .. } | Event::LockRemoved { turn, .. } => {
                turn.as_deref()
            }
            Event::ActionDecided { action, .. } | Event::ActionDone { action, .. } => {
                action.split('.').next()
            }
            Event::AutonomySet { .. }
            | Event::RuleAdded { .. }
            | Event::SessionStarted { .. }
            | Event::SessionEnded { .. }
            | Event::PipelineStarted { .. }
            | Event::PipelineResumed { .. }
            | Event::PipelineCancelled { .. } => None,
        }
    }

    /// Checks the ids an event carries against leash's own grammar: turn
    /// ids `t<digits>`, action ids `t<digits>.a<digits>`, full hex object
    /// ids, valid branch and ref names, worktree paths named for their turn.
    /// A line that fails is damaged and never acted on.
    pub fn check_ids(&self) -> Result<(), String> {
        use crate::model::{is_action_id, is_turn_id};
        if let Some(turn) = self.turn()
            && !is_turn_id(turn)
        {
            return Err(format!("turn id `{}` is not t<digits>", one_line(turn)));
        }
        if let Event::PipelineStarted { run, .. }
        | Event::PassStarted { run, .. }
        | Event::PipelineResumed { run, .. }
        | Event::PipelineCancelled { run, .. } = self
            && !crate::model::is_run_id(run)
        {
            return Err(format!(
                "pipeline run id `{}` is not p<digits>",
                one_line(run)
            ));
        }
        let action = match self {
            Event::ActionRequested { action, turn, .. } => {
                if action.split_once(".a").map(|(t, _)| t) != Some(turn.as_str()) {
                    return Err(format!(
                        "action id `{}` does not belong to {turn}",
                        one_line(action)
                    ));
                }
                Some(action)
            }
            Event::ActionDecided { action, .. } | Event::ActionDone { action, .. } => Some(action),
            Event::TurnFollows { parent, .. } if !is_turn_id(parent) => {
                return Err(format!("parent `{}` is not t<digits>", one_line(parent)));
            }
            // What was notified is the turn itself or one of its actions.
            Event::Notified { turn, item, .. } if item != turn => {
                if item.split_once(".a").map(|(t, _)| t) != Some(turn.as_str()) {
                    return Err(format!(
                        "notified item `{}` does not belong to {turn}",
                        one_line(item)
                    ));
                }
                Some(item)
            }
            _ => None,
        };
        if let Some(a) = action
            && !is_action_id(a)
        {
            return Err(format!(
                "action id `{}` is not t<digits>.a<digits>",
                one_line(a)
            ));
        }
        let mut oids: Vec<(&str, &str)> = Vec::new();
        let mut branches: Vec<&str> = Vec::new();
        let mut worktree = None;
        match self {
            Event::TurnCreated {
                base,
                branch,
                worktree: w,
                ..
            } => {
                oids.extend(base.as_deref().map(|b| ("base", b)));
                branches.extend(branch.as_deref());
                worktree = w.as_deref();
            }
            Event::TurnStarted { worktree: w, .. } => worktree = w.as_deref(),
            Event::TurnFinished { commit, .. } => {
                oids.extend(commit.as_deref().map(|c| ("commit", c)));
            }
            Event::TurnDecided {
                partial: Some(p), ..
            } => {
                oids.push(("partial commit", &p.commit));
                oids.push(("partial remainder", &p.remainder));
            }
            Event::LandingStarted {
                target,
                branch,
                old,
                ..
            }
            | Event::RollbackStarted {
                target,
                branch,
                old,
                ..
            } => {
                oids.push(("target", target));
                oids.extend(old.as_deref().map(|o| ("old", o)));
                branches.push(branch);
            }
            Event::TurnLanded {
                commit, drift_from, ..
            } => {
                oids.push(("commit", commit));
                oids.extend(drift_from.as_deref().map(|d| ("drift_from", d)));
            }
            Event::TurnRolledBack { commit, .. } => {
                oids.extend(commit.as_deref().map(|c| ("commit", c)));
            }
            Event::RuleAdded { commit, branch, .. } => {
                oids.push(("commit", commit));
                branches.push(branch);
            }
            Event::TurnRejected { kept_at, .. }
                if !kept_at.starts_with("refs/leash/")
                    || !git2::Reference::is_valid_name(kept_at) =>
            {
                return Err(format!(
                    "kept_at `{}` is not a ref under refs/leash/",
                    one_line(kept_at)
                ));
            }
            _ => {}
        }
        for (field, oid) in oids {
            if !is_full_oid(oid) {
                return Err(format!(
                    "{field} `{}` is not a full object id (40 hex digits)",
                    one_line(oid)
                ));
            }
        }
        for b in branches {
            if !git2::Reference::is_valid_name(&format!("refs/heads/{b}")) {
                return Err(format!(
                    "branch `{}` is not a valid branch name",
                    one_line(b)
                ));
            }
        }
        if let Some(w) = worktree {
            let named = std::path::Path::new(w)
                .file_name()
                .is_some_and(|n| Some(n.to_string_lossy().as_ref()) == self.turn());
            if !named {
                return Err(format!(
                    "worktree `{}` is not a path named for its turn",
                    one_line(w)
                ));
            }
        }
        Ok(())
    }
}
