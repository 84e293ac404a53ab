//! Leash's state, derived by folding the journal's events (event sourcing).
//! Folding is pure: the same journal always gives the same state.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

mod brief;
mod checks;
mod confinement;
mod denials;
mod pipelines;
mod queries;
mod row;
mod spend;

use brief::TurnMeta;
pub use brief::{Need, OrderKey, Span, Stored, order_key, order_key_at};
pub use checks::{LastCheck, MergedCheck};
pub use confinement::Confinement;
pub use denials::{Denials, DeniedBy};
pub use pipelines::{PassAttempt, PassView, Pipeline, PipelineState};
pub use row::TurnRow;
pub use spend::{BudgetWarned, Spent, TurnSpend};

use crate::event::Record;
use crate::event::{ActionDecision, Event, Needs};
use crate::model::Escalation;
use crate::model::{
    AutonomyLevel, DecidedBy, Decision, FailureClass, RiskClass, TurnKind, TurnState, turn_number,
};

/// Everything known about one turn.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Turn {
    pub id: String,
    pub task: Option<String>,
    pub agent: String,
    pub kind: TurnKind,
    pub state: TurnState,
    /// Current class: declared, then raised by escalations.
    pub risk: RiskClass,
    pub declared_risk: RiskClass,
    /// Level that governed the end-of-turn decision (set when it finished).
    pub autonomy: Option<AutonomyLevel>,
    /// The task's own autonomy override, captured when the turn was created.
    pub task_autonomy: Option<AutonomyLevel>,
    pub failure: Option<FailureClass>,
    pub base: Option<String>,
    pub branch: Option<String>,
    /// The turn commit (`refs/leash/turns/<id>`).
    pub commit: Option<String>,
    pub landed_commit: Option<String>,
    pub rollback_commit: Option<String>,
    pub kept_at: Option<String>,
    pub title: String,
    pub command: Option<Vec<String>>,
    pub prompt: Option<String>,
    pub deliverable: Option<String>,
    pub created: String,
    pub started: Option<String>,
    pub finished: Option<String>,
    pub exit: Option<i32>,
    pub signal: Option<i32>,
    #[serde(default)]
    pub files_changed: usize,
    #[serde(default)]
    pub insertions: usize,
    #[serde(default)]
    pub deletions: usize,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub message_empty: bool,
    pub reason: String,
    #[serde(default)]
    pub escalations: Vec<Escalation>,
    pub decision: Option<TurnDecision>,
    pub drift_from: Option<String>,
    pub supervisor_pid: Option<u32>,
    pub supervisor_start: Option<u64>,
    pub agent_pid: Option<u32>,
    pub agent_start: Option<u64>,
    pub worktree: Option<String>,
    /// A write-ahead intent (landing or rollback) not yet completed.
    pub pending: Option<Intent>,
    /// Things worth telling about the turn: aborted landings, interruptions.
    #[serde(default)]
    pub notes: Vec<String>,
    /// What of this turn the operator was told of by the `[notify]`
    /// command: action ids, or the turn's own id for its review.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notified: Vec<String>,
    /// Sequence numbers of every event about this turn, in order. Detail:
    /// empty while the turn is held in brief (see [`State::is_full`]).
    #[serde(default)]
    pub events: Vec<u64>,
    /// Those events as readable lines, for the console's Events tab.
    /// Detail, like `events`.
    #[serde(skip)]
    pub log: Vec<EventLine>,
    /// The agent session of an in-place turn.
    pub session: Option<String>,
    /// The commit whose committed policy governs an in-place turn (see
    /// `turn_created`'s `policy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The turn's actions (tool calls), in order. While the turn is held in
    /// brief (see [`State::is_full`]) only those not yet done are here.
    #[serde(default)]
    pub actions: Vec<ActionInfo>,
    /// How many actions the turn asked for, held in brief or not.
    #[serde(default)]
    pub action_count: usize,
    /// When its latest action was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_action_at: Option<String>,
    /// The latest invariant results on the turn's tree.
    #[serde(default)]
    pub invariants: Vec<crate::invariants::CheckResult>,
    /// Where every finding of `invariants` is when they keep only the
    /// first few (see `Workspace::full_results`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invariants_findings: Option<String>,
    /// Failing invariants the turn introduced (the rest it inherited).
    #[serde(default)]
    pub introduced: Vec<String>,
    /// The check of the tree the turn landed as when the branch had moved
    /// (its change merged onto the new head). It does not replace the
    /// turn's own results: those say what the turn introduced.
    pub merged: Option<MergedCheck>,
    /// The actions that were denied, by leash or by the agent; `None` when
    /// none was.
    pub denials: Option<Denials>,
    /// How the turn's agent was confined (`turn_confined`); `None` when
    /// the journal does not say (in-place turns, older journals).
    pub confinement: Option<Confinement>,
    /// Writes the kernel refused, as recognised in the agent's output.
    #[serde(default)]
    pub refused_writes: Vec<String>,
    /// Unread and stale sources its added lines cite, as found when it
    /// finished (`turn_finished`).
    #[serde(default)]
    pub citations: Vec<crate::invariants::Citation>,
    /// The model the agent's stream named (`usage`'s `model`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The last rollback asked for: when, and why (`rollback_started`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackAsked>,
    /// The operator's comments on lines of its diff (`line_commented`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<LineComment>,
    /// The turn this one follows up (`turn_follows`): revised or resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<crate::model::FollowUp>,
    /// The agent's own session id, as its stream named it (`agent_session`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_session: Option<String>,
    /// When the rate limit it hit resets (`limit_resets`, RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_resets: Option<String>,
    /// What it spent, from its `usage` events (see [`State::turn_spent`]).
    #[serde(default)]
    pub spend: TurnSpend,
}

/// A comment on a line of a turn's diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineComment {
    pub ts: String,
    pub path: String,
    /// The line on the turn's side; `None` for a removed line.
    pub line: Option<u32>,
    /// The line on the base's side, for a removed line.
    pub old_line: Option<u32>,
    pub text: String,
}

/// A rollback as the operator asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RollbackAsked {
    pub ts: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// One action (tool call) of a turn, as far as the journal knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionInfo {
    pub id: String,
    pub tool: String,
    pub summary: String,
    pub input: serde_json::Value,
    pub risk: RiskClass,
    /// Whether it waited (or waits) for the operator.
    pub needs_approval: bool,
    pub tool_use_id: Option<String>,
    pub requested: String,
    /// The decision that applied: leash's, or the agent's refusal of a call
    /// leash let through.
    pub decision: Option<ActionVerdict>,
    /// Leash's own decision when the agent overruled it (refused a call
    /// leash allowed or deferred to it).
    pub overruled: Option<ActionVerdict>,
    /// `Some(ok)` once it ran.
    pub done: Option<bool>,
    pub paths_read: Vec<String>,
    pub paths_written: Vec<String>,
    /// What it read, with the blob or hash of what it saw (provenance).
    #[serde(default)]
    pub sources: Vec<crate::provenance::Source>,
    /// Commands whose reads cannot be known.
    #[serde(default)]
    pub unknown_reads: Vec<String>,
    /// The blob each write left, per path.
    #[serde(default)]
    pub written: Vec<crate::provenance::Written>,
}

/// The answer an action got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionVerdict {
    pub decision: ActionDecision,
    pub by: DecidedBy,
    pub reason: Option<String>,
    /// How the operator decided, when an operator did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<crate::model::Receipt>,
}

/// An interactive agent session seen through its hooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub agent: String,
    pub cwd: Option<String>,
    pub transcript: Option<String>,
    pub started: String,
    pub ended: Option<String>,
    /// The Landlock ABI, when `leash shell` started the session confined.
    pub confined: Option<u32>,
    /// The policy commit of its latest in-place turn that had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// One event of a turn, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    pub seq: u64,
    pub ts: String,
    pub kind: &'static str,
    pub text: String,
}

/// A recorded decision on a turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnDecision {
    pub decision: Decision,
    pub by: DecidedBy,
    pub reason: Option<String>,
    pub ts: String,
    /// An approval of some hunks only (`turn_decided`'s `partial`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<crate::model::PartialVerdict>,
    /// How the operator decided (`turn_decided`'s `receipt`); `None` for
    /// policy, and for decisions journaled before receipts were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<crate::model::Receipt>,
}

/// A git mutation that was announced but whose completion is not recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub op: IntentOp,
    /// The journal line that announced it.
    pub seq: u64,
    pub target: String,
    pub branch: String,
    pub old: Option<String>,
}

/// Which write-ahead operation an intent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentOp {
    Land,
    Rollback,
}

/// Where action `id` (`t5.a2`) is among a turn's actions: the gate numbers
/// them in order from 1, so its number says where, without a search over
/// a turn of thousands of actions; any other id is looked for.
fn action_index(actions: &[ActionInfo], id: &str) -> Option<usize> {
    let by_number = id
        .rsplit_once(".a")
        .and_then(|(_, n)| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1))
        .filter(|&i| actions.get(i).is_some_and(|a| a.id == id));
    by_number.or_else(|| actions.iter().position(|a| a.id == id))
}

/// The folded state of a workspace's journal.
#[derive(Debug, Default, Clone)]
pub struct State {
    pub last_seq: u64,
    turns: Vec<Turn>,
    index: HashMap<String, usize>,
    /// Slider positions set by operators; the config's `[autonomy]` applies
    /// to a class with no entry here.
    pub autonomy: BTreeMap<RiskClass, AutonomyLevel>,
    /// Per-task overrides set by operators.
    pub task_autonomy: BTreeMap<String, AutonomyLevel>,
    /// Lines that could not be used (damaged or of an unknown kind).
    pub warnings: Vec<String>,
    /// The highest turn number seen, so new ids never collide.
    pub max_turn: u64,
    /// Interactive sessions, by id.
    pub sessions: BTreeMap<String, Session>,
    /// The latest invariant check.
    pub last_check: Option<LastCheck>,
    /// The latest check of what the branch head holds: `leash check`, or
    /// the tree a turn landed as. `commit` says which head it describes.
    pub head_check: Option<LastCheck>,
    /// Per turn (as `turns`): where its events are in the journal, and
    /// whether it is held whole.
    meta: Vec<TurnMeta>,
    /// True while the turns that were settled at the last snapshot are not
    /// loaded (the hook gate's view): only live turns are here.
    pub(crate) settled_left_out: bool,
    /// Pipeline runs, oldest first.
    pub(crate) pipelines: Vec<Pipeline>,
}

impl State {
    /// All turns, oldest first.
    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    /// One turn by id.
    pub fn turn(&self, id: &str) -> Option<&Turn> {
        self.index.get(id).map(|&i| &self.turns[i])
    }

    /// The id the next turn gets: past every turn in the journal and past
    /// `taken`, the highest turn number still held elsewhere (a ref that
    /// outlived a lost journal).
    pub fn next_turn_id(&self, taken: u64) -> String {
        crate::model::turn_id(self.max_turn.max(taken) + 1)
    }

    /// Folds one record into the state.
    pub fn apply(&mut self, record: &Record) {
        self.apply_at(record, None);
    }

    /// Folds one record read from the journal at `at` (its line's byte
    /// range), so that the turn it is about can be read again whole.
    pub fn apply_at(&mut self, record: &Record, at: Option<Span>) {
        self.last_seq = self.last_seq.max(record.seq);
        let seq = record.seq;
        let ts = &record.ts;
        if let Event::TurnCreated {
            turn,
            task,
            agent,
            turn_kind,
            risk,
            base,
            branch,
            command,
            prompt,
            title,
            deliverable,
            autonomy,
            supervisor_pid,
            supervisor_start,
            session,
            policy,
            worktree,
        } = &record.event
        {
            if self.index.contains_key(turn) {
                self.warnings
                    .push(format!("event {seq}: turn {turn} created twice; ignored"));
                return;
            }
            if let Some(n) = turn_number(turn) {
                self.max_turn = self.max_turn.max(n);
            }
            if let (Some(s), Some(p)) = (session, policy)
                && let Some(s) = self.sessions.get_mut(s)
            {
                s.policy = Some(p.clone());
            }
            self.index.insert(turn.clone(), self.turns.len());
            self.meta.push(TurnMeta::new(at));
            self.turns.push(Turn {
                id: turn.clone(),
                task: task.clone(),
                agent: agent.clone(),
                kind: *turn_kind,
                state: TurnState::Running,
                risk: *risk,
                declared_risk: *risk,
                autonomy: None,
                task_autonomy: *autonomy,
                failure: None,
                base: base.clone(),
                branch: branch.clone(),
                commit: None,
                landed_commit: None,
                rollback_commit: None,
                kept_at: None,
                title: title.clone(),
                command: command.clone(),
                prompt: prompt.clone(),
                deliverable: deliverable.clone(),
                created: ts.clone(),
                started: None,
                finished: None,
                exit: None,
                signal: None,
                files_changed: 0,
                insertions: 0,
                deletions: 0,
                paths: Vec::new(),
                message_empty: false,
                citations: Vec::new(),
                reason: String::new(),
                escalations: Vec::new(),
                decision: None,
                drift_from: None,
                supervisor_pid: *supervisor_pid,
                supervisor_start: *supervisor_start,
                agent_pid: None,
                agent_start: None,
                worktree: worktree.clone(),
                pending: None,
                notes: Vec::new(),
                notified: Vec::new(),
                events: vec![seq],
                log: vec![EventLine {
                    seq,
                    ts: ts.clone(),
                    kind: record.event.kind(),
                    text: record.event.describe(),
                }],
                session: session.clone(),
                policy: policy.clone(),
                actions: Vec::new(),
                action_count: 0,
                last_action_at: None,
                invariants: Vec::new(),
                invariants_findings: None,
                introduced: Vec::new(),
                merged: None,
                denials: None,
                confinement: None,
                refused_writes: Vec::new(),
                model: None,
                rollback: None,
                comments: Vec::new(),
                follows: None,
                agent_session: None,
                limit_resets: None,
                spend: TurnSpend::default(),
            });
            return;
        }
        if self.apply_pipeline(&record.event, ts) {
            return;
        }
        match &record.event {
            Event::SessionStarted {
                session,
                agent,
                cwd,
                transcript,
                confined,
            } => {
                self.sessions.insert(
                    session.clone(),
                    Session {
                        id: session.clone(),
                        agent: agent.clone(),
                        cwd: cwd.clone(),
                        transcript: transcript.clone(),
                        started: ts.clone(),
                        ended: None,
                        confined: *confined,
                        policy: None,
                    },
                );
                return;
            }
            Event::SessionEnded { session, .. } => {
                if let Some(s) = self.sessions.get_mut(session) {
                    s.ended = Some(ts.clone());
                }
                return;
            }
            // The rule is in the committed config; the journal only says
            // who added it and why.
            Event::RuleAdded { .. } => return,
            _ => {}
        }
        if let Event::AutonomySet {
            class, task, level, ..
        } = &record.event
        {
            if let Some(class) = class {
                self.autonomy.insert(*class, *level);
            }
            if let Some(task) = task {
                self.task_autonomy.insert(task.clone(), *level);
            }
            return;
        }
        if let Event::InvariantsChecked {
            turn,
            results,
            tree,
            findings,
            ..
        } = &record.event
        {
            let check = LastCheck {
                ts: ts.clone(),
                turn: turn.clone(),
                results: crate::invariants::parse_results(results),
                commit: tree.clone(),
                findings: findings.clone(),
            };
            if turn.is_none() {
                self.head_check = Some(check.clone());
            }
            self.last_check = Some(check);
        }
        if let Event::TurnLanded { turn, commit, .. } = &record.event
            && let Some(t) = self.turn(turn)
        {
            // What the branch now holds is what was checked for the landing:
            // the merged tree when the branch had moved, else the turn's own.
            let (results, findings) = match &t.merged {
                Some(m) => (m.results.clone(), m.findings.clone()),
                None => (t.invariants.clone(), t.invariants_findings.clone()),
            };
            if !results.is_empty() {
                self.head_check = Some(LastCheck {
                    ts: ts.clone(),
                    turn: Some(turn.clone()),
                    results,
                    commit: commit.clone(),
                    findings,
                });
            }
        }
        let Some(id) = record.event.turn().map(str::to_string) else {
            return;
        };
        let Some(&i) = self.index.get(&id) else {
            self.warnings.push(format!(
                "event {seq} ({}) names unknown turn {id}; ignored",
                record.event.kind()
            ));
            return;
        };
        let t = &mut self.turns[i];
        if self.meta[i].touch(at) {
            t.events.push(seq);
            t.log.push(EventLine {
                seq,
                ts: ts.clone(),
                kind: record.event.kind(),
                text: record.event.describe(),
            });
        }
        match &record.event {
            Event::TurnStarted {
                supervisor_pid,
                supervisor_start,
                agent_pid,
                agent_start,
                worktree,
                ..
            } => {
                t.started = Some(ts.clone());
                t.supervisor_pid = Some(*supervisor_pid);
                t.supervisor_start = *supervisor_start;
                t.agent_pid = Some(*agent_pid);
                t.agent_start = *agent_start;
                if worktree.is_some() {
                    t.worktree = worktree.clone();
                }
            }
            Event::TurnConfined {
                confined,
                abi,
                writable,
                connect_ports,
                warning,
                ..
            } => {
                t.confinement = Some(Confinement {
                    confined: *confined,
                    abi: *abi,
                    writable: writable.clone(),
                    connect_ports: connect_ports.clone(),
                    warning: warning.clone(),
                });
            }
            Event::SourcesChecked { citations, .. } => t.citations = citations.clone(),
            Event::TurnFollows {
                parent,
                how,
                session,
                ..
            } => {
                t.follows = Some(crate::model::FollowUp {
                    parent: parent.clone(),
                    how: *how,
                    session: session.clone(),
                })
            }
            Event::AgentSession { session, .. } => t.agent_session = Some(session.clone()),
            Event::LimitResets { at, .. } => t.limit_resets = Some(at.clone()),
            Event::LineCommented {
                path,
                line,
                old_line,
                text,
                ..
            } => t.comments.push(LineComment {
                ts: ts.clone(),
                path: path.clone(),
                line: *line,
                old_line: *old_line,
                text: text.clone(),
            }),
            Event::WriteRefused { path, .. } => {
                if !t.refused_writes.contains(path) {
                    t.refused_writes.push(path.clone());
                }
            }
            Event::RiskEscalated {
                from, to, because, ..
            } => {
                t.risk = t.risk.max(*to);
                t.escalations.push(Escalation {
                    from: *from,
                    to: *to,
                    because: because.clone(),
                });
            }
            Event::TurnFinished {
                exit,
                signal,
                failure,
                commit,
                files_changed,
                insertions,
                deletions,
                autonomy,
                reason,
                paths,
                message_empty,
                citations,
                ..
            } => {
                t.citations = citations.clone();
                t.finished = Some(ts.clone());
                t.exit = *exit;
                t.signal = *signal;
                t.failure = *failure;
                t.commit = commit.clone();
                t.files_changed = *files_changed;
                t.insertions = *insertions;
                t.deletions = *deletions;
                t.autonomy = *autonomy;
                t.reason = reason.clone();
                t.paths = paths.clone();
                t.message_empty = *message_empty;
                t.state = if *files_changed > 0 {
                    TurnState::AwaitingReview
                } else if failure.is_some() {
                    TurnState::Failed
                } else {
                    TurnState::NoChanges
                };
            }
            Event::TurnDecided {
                decision,
                by,
                reason,
                partial,
                receipt,
                ..
            } => {
                t.decision = Some(TurnDecision {
                    decision: *decision,
                    by: *by,
                    reason: reason.clone(),
                    ts: ts.clone(),
                    partial: partial.clone(),
                    receipt: receipt.clone(),
                });
            }
            Event::LandingStarted {
                target,
                branch,
                old,
                ..
            } => {
                t.pending = Some(Intent {
                    op: IntentOp::Land,
                    seq,
                    target: target.clone(),
                    branch: branch.clone(),
                    old: old.clone(),
                });
            }
            Event::TurnLanded {
                commit, drift_from, ..
            } => {
                t.pending = None;
                t.landed_commit = Some(commit.clone());
                t.drift_from = drift_from.clone();
                t.state = TurnState::Landed;
                // A partial landing kept the rest of the turn aside.
                if t.decision.as_ref().is_some_and(|d| d.partial.is_some()) {
                    t.kept_at = Some(crate::model::rejected_ref(&t.id));
                }
            }
            Event::LandingAborted {
                reason, failure, ..
            } => {
                t.pending = None;
                if failure.is_some() {
                    t.failure = *failure;
                }
                t.decision = None;
                t.notes.push(format!("landing did not complete: {reason}"));
            }
            Event::TurnRejected { kept_at, .. } => {
                t.kept_at = Some(kept_at.clone());
                t.state = TurnState::Rejected;
            }
            Event::RollbackStarted {
                target,
                branch,
                old,
                reason,
                ..
            } => {
                t.rollback = Some(RollbackAsked {
                    ts: ts.clone(),
                    reason: reason.clone(),
                });
                t.pending = Some(Intent {
                    op: IntentOp::Rollback,
                    seq,
                    target: target.clone(),
                    branch: branch.clone(),
                    old: old.clone(),
                });
            }
            Event::TurnRolledBack { commit, .. } => {
                t.pending = None;
                t.rollback_commit = commit.clone();
                t.state = TurnState::RolledBack;
            }
            Event::RollbackAborted { reason, .. } => {
                t.pending = None;
                t.notes.push(format!("rollback did not complete: {reason}"));
            }
            Event::TurnInterrupted { reason, .. } => {
                t.state = TurnState::Interrupted;
                t.finished.get_or_insert_with(|| ts.clone());
                t.failure.get_or_insert(FailureClass::Interrupted);
                if let Some(reason) = reason {
                    t.notes.push(reason.clone());
                }
            }
            Event::ActionRequested {
                action,
                tool,
                summary,
                input,
                risk,
                needs,
                tool_use_id,
                ..
            } => {
                t.action_count += 1;
                t.last_action_at = Some(ts.clone());
                t.actions.push(ActionInfo {
                    id: action.clone(),
                    tool: tool.clone(),
                    summary: summary.clone(),
                    input: input.clone(),
                    risk: *risk,
                    needs_approval: *needs == Needs::Approval,
                    tool_use_id: tool_use_id.clone(),
                    requested: ts.clone(),
                    decision: None,
                    overruled: None,
                    done: None,
                    paths_read: Vec::new(),
                    paths_written: Vec::new(),
                    sources: Vec::new(),
                    unknown_reads: Vec::new(),
                    written: Vec::new(),
                })
            }
            Event::ActionDecided {
                action,
                decision,
                by,
                reason,
                receipt,
            } => {
                if let Some(a) = action_index(&t.actions, action).map(|i| &mut t.actions[i]) {
                    let verdict = ActionVerdict {
                        decision: *decision,
                        by: *by,
                        reason: reason.clone(),
                        receipt: receipt.clone(),
                    };
                    let denied_before = a.decision.as_ref().map(|d| d.decision);
                    match &a.decision {
                        // Whoever decided first stands (an operator and a
                        // timeout may race)…
                        None => a.decision = Some(verdict),
                        // …except that an agent refusing a call leash let
                        // through is what really happened to it.
                        Some(d)
                            if *by == DecidedBy::Agent
                                && *decision == ActionDecision::Deny
                                && d.decision != ActionDecision::Deny
                                && a.overruled.is_none() =>
                        {
                            a.overruled = a.decision.replace(verdict);
                        }
                        Some(_) => {}
                    }
                    // Only a deny can change what was denied (the first
                    // decision stands, an allow never overrules, and a deny
                    // is never replaced), so denials only ever grow.
                    if *decision == ActionDecision::Deny
                        && denied_before != Some(ActionDecision::Deny)
                        && a.decision.as_ref().map(|d| d.decision) == Some(ActionDecision::Deny)
                    {
                        let a = a.clone();
                        Denials::add(&mut t.denials, &a);
                    }
                }
            }
            Event::ActionDone {
                action,
                ok,
                paths_read,
                paths_written,
                sources,
                unknown_reads,
                written,
                ..
            } => {
                if let Some(a) = action_index(&t.actions, action).map(|i| &mut t.actions[i]) {
                    a.done = Some(*ok);
                    a.paths_read = paths_read.clone();
                    a.paths_written = paths_written.clone();
                    a.sources = sources.clone();
                    a.unknown_reads = unknown_reads.clone();
                    a.written = written.clone();
                }
            }
            Event::InvariantsChecked {
                results,
                introduced,
                tree,
                merged,
                findings,
                ..
            } => {
                let results = crate::invariants::parse_results(results);
                // A check of another tree than the turn's commit is of its
                // change merged onto a moved branch (journals from before
                // `merged` was recorded say so only this way).
                if *merged || t.commit.as_ref().is_some_and(|c| c != tree) {
                    t.merged = Some(MergedCheck {
                        tree: tree.clone(),
                        results,
                        findings: findings.clone(),
                    });
                } else {
                    t.invariants = results;
                    t.invariants_findings = findings.clone();
                    t.introduced = introduced.clone();
                }
            }
            Event::Notified { item, .. } if !t.notified.contains(item) => {
                t.notified.push(item.clone())
            }
            Event::Notified { .. }
            | Event::TurnCreated { .. }
            | Event::LockRemoved { .. }
            | Event::AutonomySet { .. }
            | Event::RuleAdded { .. }
            | Event::SessionStarted { .. }
            | Event::SessionEnded { .. }
            | Event::PipelineStarted { .. }
            | Event::PassStarted { .. }
            | Event::PipelineResumed { .. }
            | Event::PipelineCancelled { .. } => {}
            Event::Usage { model, .. } => {
                if model.is_some() {
                    t.model = model.clone();
                }
                t.spend.fold(&record.event);
            }
            Event::BudgetWarning { .. } => t.spend.fold(&record.event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TurnKind;

    fn fold(events: Vec<Event>) -> State {
        let mut state = State::default();
        for (i, event) in events.into_iter().enumerate() {
            state.apply(&Record {
                v: crate::journal::VERSION,
                seq: i as u64 + 1,
                ts: "2026-01-01T00:00:00.000Z".into(),
                event,
            });
        }
        state
    }

    fn created() -> Event {
        Event::TurnCreated {
            turn: "t1".into(),
            task: None,
            agent: "claude".into(),
            turn_kind: TurnKind::Isolated,
            risk: RiskClass::Low,
            base: None,
            branch: None,
            command: None,
            prompt: None,
            title: "t".into(),
            deliverable: None,
            autonomy: None,
            supervisor_pid: None,
            supervisor_start: None,
            session: None,
            policy: None,
            worktree: None,
        }
    }

    #[test]
    fn a_decision_s_receipt_folds_and_lines_without_one_read_as_before() {
        let line = |json: &str| -> Event { serde_json::from_str(json).unwrap() };
        let s = fold(vec![
            created(),
            line(
                r#"{"kind":"turn_decided","turn":"t1","decision":"reject","by":"operator","reason":"no"}"#,
            ),
        ]);
        assert_eq!(
            s.turn("t1").unwrap().decision.as_ref().unwrap().receipt,
            None
        );
        let s = fold(vec![
            created(),
            approval("t1.a1"),
            line(
                r#"{"kind":"action_decided","action":"t1.a1","decision":"allow","by":"operator",
                "receipt":{"front":"cli","decided_at":"2026-01-01T00:00:09.500Z"}}"#,
            ),
            line(
                r#"{"kind":"turn_decided","turn":"t1","decision":"approve","by":"operator",
                "receipt":{"front":"console","shown_at":"2026-01-01T00:00:01.000Z",
                "decided_at":"2026-01-01T00:00:13.250Z","diff_read_to_end":true,
                "tabs":["output","diff"]}}"#,
            ),
        ]);
        let t = s.turn("t1").unwrap();
        let r = t.decision.as_ref().unwrap().receipt.clone().unwrap();
        assert_eq!(r.front, crate::model::Front::Console);
        assert_eq!(r.seconds(), Some(12.25));
        assert_eq!(r.tabs, ["output", "diff"]);
        assert_eq!(
            r.describe(),
            "in the console, 12.2 s after it was shown; diff read to the end (output, diff)"
        );
        let a = t.actions[0]
            .decision
            .as_ref()
            .unwrap()
            .receipt
            .clone()
            .unwrap();
        assert_eq!((a.front, a.seconds()), (crate::model::Front::Cli, None));
        assert_eq!(
            a.describe_action(),
            "from the command line, not known when it was shown"
        );
        // Written back, a decision without a receipt has no `receipt` key.
        let plain = serde_json::to_string(&turn_decided(Decision::Approve, DecidedBy::Policy));
        assert!(!plain.unwrap().contains("receipt"));
    }

    #[test]
    fn confinement_folds_and_old_lines_read_as_before() {
        // A line written before confinement existed: no `confined` key.
        let old: Event =
            serde_json::from_str(r#"{"kind":"session_started","session":"s","agent":"claude"}"#)
                .unwrap();
        let s = fold(vec![old, created()]);
        assert_eq!(s.sessions["s"].confined, None);
        assert_eq!(s.turn("t1").unwrap().confinement, None);
        let s = fold(vec![
            created(),
            Event::TurnConfined {
                turn: "t1".into(),
                confined: true,
                abi: Some(7),
                writable: vec!["/w/t1".into()],
                connect_ports: Some(vec![443]),
                warning: None,
            },
            Event::WriteRefused {
                turn: "t1".into(),
                path: "/etc/x".into(),
                line: "sh: cannot create /etc/x: Permission denied".into(),
            },
        ]);
        let t = s.turn("t1").unwrap();
        let c = t.confinement.as_ref().unwrap();
        assert_eq!(
            c.summary(),
            "yes, by Landlock ABI 7 (1 writable path); network denied except TCP 443"
        );
        assert_eq!(t.refused_writes, ["/etc/x"]);
        assert!(t.log.iter().any(|l| l.kind == "write_refused"));
    }

    fn requested(action: &str) -> Event {
        Event::ActionRequested {
            turn: "t1".into(),
            action: action.into(),
            tool: "Write".into(),
            summary: format!("Write {action}.md"),
            input: serde_json::Value::Null,
            risk: RiskClass::Low,
            needs: Needs::None,
            tool_use_id: None,
        }
    }

    #[test]
    fn actions_are_found_by_their_number_and_by_search_when_it_does_not_fit() {
        // In order, as the gate numbers them; then one out of order and one
        // named otherwise (an older journal, a hand-written line).
        let s = fold(vec![
            created(),
            requested("t1.a1"),
            requested("t1.a2"),
            requested("t1.a4"),
            requested("t1.other"),
            decided("t1.a2", ActionDecision::Deny, DecidedBy::Operator, "no"),
            decided("t1.a4", ActionDecision::Allow, DecidedBy::Policy, "ok"),
            decided("t1.other", ActionDecision::Allow, DecidedBy::Policy, "ok"),
        ]);
        let t = s.turn("t1").unwrap();
        for (id, at) in [("t1.a1", 0), ("t1.a2", 1), ("t1.a4", 2), ("t1.other", 3)] {
            assert_eq!(action_index(&t.actions, id), Some(at), "{id}");
            assert_eq!(s.action(id).map(|(_, a)| a.id.as_str()), Some(id));
        }
        assert_eq!(action_index(&t.actions, "t1.a9"), None);
        assert_eq!(action_index(&t.actions, "t1.a0"), None);
        let decision = |id: &str| {
            s.action(id)
                .unwrap()
                .1
                .decision
                .as_ref()
                .map(|d| d.decision)
        };
        assert_eq!(decision("t1.a2"), Some(ActionDecision::Deny));
        assert_eq!(decision("t1.a4"), Some(ActionDecision::Allow));
        assert_eq!(decision("t1.other"), Some(ActionDecision::Allow));
        // The deny is counted; the allows after it changed nothing.
        assert!(t.denials.is_some());
        assert_eq!(t.denials, Denials::of(&t.actions));
    }

    fn decided(action: &str, decision: ActionDecision, by: DecidedBy, why: &str) -> Event {
        Event::ActionDecided {
            action: action.into(),
            decision,
            by,
            reason: Some(why.into()),
            receipt: None,
        }
    }

    #[test]
    fn an_agent_refusal_overrules_leash_allow_and_is_counted_as_a_denial() {
        use ActionDecision::*;
        let s = fold(vec![
            created(),
            requested("t1.a1"),
            decided("t1.a1", Allow, DecidedBy::Policy, "runs freely"),
            decided("t1.a1", Deny, DecidedBy::Agent, "not granted"),
            // A second report of the same refusal changes nothing.
            decided("t1.a1", Deny, DecidedBy::Agent, "listed again"),
            requested("t1.a2"),
            decided("t1.a2", Deny, DecidedBy::Unattended, "no operator"),
            // Leash's deny stands: an agent cannot un-deny or re-deny it.
            decided("t1.a2", Deny, DecidedBy::Agent, "also refused"),
            requested("t1.a3"),
            decided("t1.a3", Deny, DecidedBy::Timeout, "late"),
            // The first decision stands between operator and timeout.
            decided("t1.a3", Allow, DecidedBy::Operator, "too late"),
        ]);
        let t = s.turn("t1").unwrap();
        let a1 = &t.actions[0];
        let d = a1.decision.as_ref().unwrap();
        assert_eq!((d.decision, d.by), (Deny, DecidedBy::Agent));
        assert_eq!(d.reason.as_deref(), Some("not granted"));
        assert_eq!(a1.overruled.as_ref().unwrap().by, DecidedBy::Policy);
        assert_eq!(
            t.actions[1].decision.as_ref().unwrap().by,
            DecidedBy::Unattended
        );
        assert_eq!(
            t.actions[2].decision.as_ref().unwrap().by,
            DecidedBy::Timeout
        );
        let denials = t.denials.as_ref().unwrap();
        assert_eq!(denials.count, 3);
        assert!(denials.by_agent());
        assert_eq!(
            denials.sentence(),
            "3 actions denied (1 by the agent, 1 unattended, 1 by timeout); \
             first: Write t1.a1.md — not granted"
        );
    }

    #[test]
    fn a_deferred_action_is_not_a_denial_until_the_agent_refuses_it() {
        use ActionDecision::*;
        let mut events = vec![
            created(),
            requested("t1.a1"),
            decided("t1.a1", Defer, DecidedBy::Policy, "left to the agent"),
        ];
        assert!(fold(events.clone()).turn("t1").unwrap().denials.is_none());
        events.push(decided("t1.a1", Deny, DecidedBy::Agent, "refused"));
        let s = fold(events);
        let a = &s.turn("t1").unwrap().actions[0];
        assert_eq!(a.overruled.as_ref().unwrap().decision, Defer);
        assert_eq!(a.decision.as_ref().unwrap().by, DecidedBy::Agent);
    }

    fn checked(tree: &str, outcome: &str, introduced: &[&str], merged: bool) -> Event {
        Event::InvariantsChecked {
            turn: Some("t1".into()),
            tree: tree.into(),
            results: vec![serde_json::json!({
                "name": "refs", "kind": "references", "outcome": outcome,
                "findings": [], "millis": 1
            })],
            introduced: introduced.iter().map(|s| s.to_string()).collect(),
            merged,
            findings: None,
        }
    }

    fn finished(commit: &str) -> Event {
        Event::TurnFinished {
            turn: "t1".into(),
            exit: Some(0),
            signal: None,
            failure: None,
            commit: Some(commit.into()),
            files_changed: 1,
            insertions: 1,
            deletions: 0,
            autonomy: None,
            reason: String::new(),
            paths: vec!["a.md".into()],
            message_empty: false,
            citations: Vec::new(),
        }
    }

    /// A turn's citations come from its end and are replaced by a later
    /// check; an old `action_done` without provenance folds to none.
    #[test]
    fn citations_fold_from_the_end_and_the_latest_check() {
        use crate::invariants::{Citation, Problem};
        let cite = |problem| Citation {
            path: "notes/a.md".into(),
            line: 1,
            target: "docs/source.md".into(),
            problem,
            detail: None,
        };
        let mut end = finished("aaaa");
        if let Event::TurnFinished { citations, .. } = &mut end {
            citations.push(cite(Problem::Unread));
        }
        let old_done: Event = serde_json::from_str(
            r#"{"kind":"action_done","action":"t1.a1","ok":true,"paths_read":["r.md"]}"#,
        )
        .unwrap();
        let s = fold(vec![created(), requested("t1.a1"), old_done, end]);
        let t = s.turn("t1").unwrap();
        assert_eq!(t.citations, [cite(Problem::Unread)]);
        assert!(t.actions[0].sources.is_empty() && t.actions[0].written.is_empty());
        let s = fold(vec![
            created(),
            finished("aaaa"),
            Event::SourcesChecked {
                turn: "t1".into(),
                citations: vec![cite(Problem::Stale)],
            },
        ]);
        assert_eq!(s.turn("t1").unwrap().citations, [cite(Problem::Stale)]);
    }

    #[test]
    fn a_merged_check_keeps_the_turns_own_result_and_becomes_the_heads() {
        let landed = Event::TurnLanded {
            turn: "t1".into(),
            commit: "cccc".into(),
            drift_from: Some("bbbb".into()),
        };
        // Recorded as merged, and (older journals) told by its tree alone.
        for merged in [true, false] {
            let s = fold(vec![
                created(),
                checked("aaaa", "fail", &["refs"], false),
                finished("aaaa"),
                checked("cccc", "pass", &[], merged),
                landed.clone(),
            ]);
            let t = s.turn("t1").unwrap();
            assert_eq!(t.invariants[0].outcome, crate::invariants::Outcome::Fail);
            assert_eq!(t.introduced, ["refs"], "what the turn introduced stays");
            let m = t.merged.as_ref().expect("the merged check is kept apart");
            assert_eq!(m.tree, "cccc");
            assert_eq!(m.results[0].outcome, crate::invariants::Outcome::Pass);
            // The head holds the merged tree: its check is the head's.
            let head = s.head_check.as_ref().unwrap();
            assert_eq!(head.commit, "cccc");
            assert_eq!(head.results[0].outcome, crate::invariants::Outcome::Pass);
        }
        // A waiting turn's check is not the head's.
        let s = fold(vec![
            created(),
            checked("aaaa", "fail", &["refs"], false),
            finished("aaaa"),
        ]);
        assert!(s.head_check.is_none());
        assert!(s.last_check.is_some());
    }

    /// What the fold made of turn t1, in the fields a table can compare.
    #[derive(Debug, Clone, PartialEq)]
    struct Seen {
        state: TurnState,
        failure: Option<FailureClass>,
        risk: RiskClass,
        escalations: usize,
        started: bool,
        finished: bool,
        exit: Option<i32>,
        counts: (usize, usize, usize),
        paths: Vec<String>,
        decision: Option<(Decision, DecidedBy)>,
        pending: Option<IntentOp>,
        landed: Option<String>,
        drift_from: Option<String>,
        kept_at: Option<String>,
        rolled_back_as: Option<String>,
        notes: usize,
        /// (id, needs approval, decision, done) of each action.
        actions: Vec<(String, bool, Option<ActionDecision>, Option<bool>)>,
        denials: usize,
        /// Events folded into the turn, and its log lines.
        events: usize,
    }

    impl Seen {
        fn of(t: &Turn) -> Seen {
            assert_eq!(t.events.len(), t.log.len(), "one log line per event");
            Seen {
                state: t.state,
                failure: t.failure,
                risk: t.risk,
                escalations: t.escalations.len(),
                started: t.started.is_some(),
                finished: t.finished.is_some(),
                exit: t.exit,
                counts: (t.files_changed, t.insertions, t.deletions),
                paths: t.paths.clone(),
                decision: t.decision.as_ref().map(|d| (d.decision, d.by)),
                pending: t.pending.as_ref().map(|p| p.op),
                landed: t.landed_commit.clone(),
                drift_from: t.drift_from.clone(),
                kept_at: t.kept_at.clone(),
                rolled_back_as: t.rollback_commit.clone(),
                notes: t.notes.len(),
                actions: t
                    .actions
                    .iter()
                    .map(|a| {
                        (
                            a.id.clone(),
                            a.needs_approval,
                            a.decision.as_ref().map(|d| d.decision),
                            a.done,
                        )
                    })
                    .collect(),
                denials: t.denials.as_ref().map_or(0, |d| d.count),
                events: t.events.len(),
            }
        }

        /// A turn just created: running, nothing else known.
        fn created() -> Seen {
            Seen {
                state: TurnState::Running,
                failure: None,
                risk: RiskClass::Low,
                escalations: 0,
                started: false,
                finished: false,
                exit: None,
                counts: (0, 0, 0),
                paths: Vec::new(),
                decision: None,
                pending: None,
                landed: None,
                drift_from: None,
                kept_at: None,
                rolled_back_as: None,
                notes: 0,
                actions: Vec::new(),
                denials: 0,
                events: 1,
            }
        }

        /// After `created()`, `finished("aaaa")` (one file, +1).
        fn awaiting() -> Seen {
            Seen {
                state: TurnState::AwaitingReview,
                finished: true,
                exit: Some(0),
                counts: (1, 1, 0),
                paths: vec!["a.md".into()],
                events: 2,
                ..Seen::created()
            }
        }
    }

    fn started() -> Event {
        Event::TurnStarted {
            turn: "t1".into(),
            supervisor_pid: 10,
            supervisor_start: Some(1),
            agent_pid: 11,
            agent_start: Some(2),
            worktree: Some("/w/t1".into()),
        }
    }

    fn ended(files: usize, failure: Option<FailureClass>, exit: Option<i32>) -> Event {
        Event::TurnFinished {
            turn: "t1".into(),
            exit,
            signal: None,
            failure,
            commit: Some("aaaa".into()),
            files_changed: files,
            insertions: files * 2,
            deletions: files,
            autonomy: None,
            reason: String::new(),
            paths: (0..files).map(|i| format!("f{i}.md")).collect(),
            message_empty: false,
            citations: Vec::new(),
        }
    }

    fn turn_decided(decision: Decision, by: DecidedBy) -> Event {
        Event::TurnDecided {
            turn: "t1".into(),
            decision,
            by,
            reason: None,
            partial: None,
            receipt: None,
        }
    }

    fn landing_started() -> Event {
        Event::LandingStarted {
            turn: "t1".into(),
            target: "bbbb".into(),
            branch: "main".into(),
            old: Some("0000".into()),
        }
    }

    fn landed(drift_from: Option<&str>) -> Event {
        Event::TurnLanded {
            turn: "t1".into(),
            commit: "bbbb".into(),
            drift_from: drift_from.map(str::to_string),
        }
    }

    fn approval(action: &str) -> Event {
        Event::ActionRequested {
            turn: "t1".into(),
            action: action.into(),
            tool: "Bash".into(),
            summary: "git push".into(),
            input: serde_json::Value::Null,
            risk: RiskClass::High,
            needs: Needs::Approval,
            tool_use_id: Some("tu1".into()),
        }
    }

    fn done(action: &str, ok: bool) -> Event {
        Event::ActionDone {
            action: action.into(),
            ok,
            paths_read: vec!["r.md".into()],
            paths_written: vec!["w.md".into()],
            urls: Vec::new(),
            sources: Vec::new(),
            unknown_reads: Vec::new(),
            written: Vec::new(),
        }
    }

    /// The fold, event kind by event kind: a table of journals and what
    /// turn t1 is after each.
    #[test]
    fn the_fold_of_each_event_kind_into_a_turn() {
        use ActionDecision::{Allow, Deny};
        use DecidedBy::{Agent, Operator, Policy};
        let action = |id: &str, needs: bool, d: Option<ActionDecision>, done: Option<bool>| {
            (id.to_string(), needs, d, done)
        };
        let table: Vec<(&str, Vec<Event>, Seen)> = vec![
            ("created", vec![created()], Seen::created()),
            (
                "started",
                vec![created(), started()],
                Seen {
                    started: true,
                    events: 2,
                    ..Seen::created()
                },
            ),
            (
                "escalated twice, the class only rises",
                vec![
                    created(),
                    Event::RiskEscalated {
                        turn: "t1".into(),
                        from: RiskClass::Low,
                        to: RiskClass::High,
                        because: "rule".into(),
                    },
                    Event::RiskEscalated {
                        turn: "t1".into(),
                        from: RiskClass::High,
                        to: RiskClass::Medium,
                        because: "late".into(),
                    },
                ],
                Seen {
                    risk: RiskClass::High,
                    escalations: 2,
                    events: 3,
                    ..Seen::created()
                },
            ),
            (
                "finished with changes: awaiting review",
                vec![created(), finished("aaaa")],
                Seen::awaiting(),
            ),
            (
                "finished without changes",
                vec![created(), ended(0, None, Some(0))],
                Seen {
                    state: TurnState::NoChanges,
                    finished: true,
                    exit: Some(0),
                    events: 2,
                    ..Seen::created()
                },
            ),
            (
                "failed without changes",
                vec![created(), ended(0, Some(FailureClass::Crashed), Some(1))],
                Seen {
                    state: TurnState::Failed,
                    failure: Some(FailureClass::Crashed),
                    finished: true,
                    exit: Some(1),
                    events: 2,
                    ..Seen::created()
                },
            ),
            (
                "failed with changes still waits for review",
                vec![created(), ended(2, Some(FailureClass::Crashed), None)],
                Seen {
                    state: TurnState::AwaitingReview,
                    failure: Some(FailureClass::Crashed),
                    finished: true,
                    counts: (2, 4, 2),
                    paths: vec!["f0.md".into(), "f1.md".into()],
                    events: 2,
                    ..Seen::created()
                },
            ),
            (
                "approved, landing under way",
                vec![
                    created(),
                    finished("aaaa"),
                    turn_decided(Decision::Approve, Operator),
                    landing_started(),
                ],
                Seen {
                    decision: Some((Decision::Approve, Operator)),
                    pending: Some(IntentOp::Land),
                    events: 4,
                    ..Seen::awaiting()
                },
            ),
            (
                "landed by policy on a moved branch",
                vec![
                    created(),
                    finished("aaaa"),
                    turn_decided(Decision::Approve, Policy),
                    landing_started(),
                    landed(Some("9999")),
                ],
                Seen {
                    state: TurnState::Landed,
                    decision: Some((Decision::Approve, Policy)),
                    landed: Some("bbbb".into()),
                    drift_from: Some("9999".into()),
                    events: 5,
                    ..Seen::awaiting()
                },
            ),
            (
                "a landing aborted withdraws the approval and says why",
                vec![
                    created(),
                    finished("aaaa"),
                    turn_decided(Decision::Approve, Operator),
                    landing_started(),
                    Event::LandingAborted {
                        turn: "t1".into(),
                        reason: "conflict".into(),
                        failure: Some(FailureClass::ConcurrentDrift),
                    },
                ],
                Seen {
                    failure: Some(FailureClass::ConcurrentDrift),
                    notes: 1,
                    events: 5,
                    ..Seen::awaiting()
                },
            ),
            (
                "rejected",
                vec![
                    created(),
                    finished("aaaa"),
                    turn_decided(Decision::Reject, Operator),
                    Event::TurnRejected {
                        turn: "t1".into(),
                        kept_at: "refs/leash/rejected/t1".into(),
                    },
                ],
                Seen {
                    state: TurnState::Rejected,
                    decision: Some((Decision::Reject, Operator)),
                    kept_at: Some("refs/leash/rejected/t1".into()),
                    events: 4,
                    ..Seen::awaiting()
                },
            ),
            (
                "rolled back",
                vec![
                    created(),
                    finished("aaaa"),
                    turn_decided(Decision::Approve, Operator),
                    landing_started(),
                    landed(None),
                    Event::RollbackStarted {
                        turn: "t1".into(),
                        target: "cccc".into(),
                        branch: "main".into(),
                        old: Some("bbbb".into()),
                        reason: None,
                    },
                    Event::TurnRolledBack {
                        turn: "t1".into(),
                        commit: Some("cccc".into()),
                    },
                ],
                Seen {
                    state: TurnState::RolledBack,
                    decision: Some((Decision::Approve, Operator)),
                    landed: Some("bbbb".into()),
                    rolled_back_as: Some("cccc".into()),
                    events: 7,
                    ..Seen::awaiting()
                },
            ),
            (
                "a rollback aborted leaves the turn landed, with a note",
                vec![
                    created(),
                    finished("aaaa"),
                    turn_decided(Decision::Approve, Operator),
                    landing_started(),
                    landed(None),
                    Event::RollbackStarted {
                        turn: "t1".into(),
                        target: "cccc".into(),
                        branch: "main".into(),
                        old: Some("bbbb".into()),
                        reason: None,
                    },
                    Event::RollbackAborted {
                        turn: "t1".into(),
                        reason: "lock".into(),
                    },
                ],
                Seen {
                    state: TurnState::Landed,
                    decision: Some((Decision::Approve, Operator)),
                    landed: Some("bbbb".into()),
                    notes: 1,
                    events: 7,
                    ..Seen::awaiting()
                },
            ),
            (
                "interrupted while running",
                vec![
                    created(),
                    started(),
                    Event::TurnInterrupted {
                        turn: "t1".into(),
                        reason: Some("supervisor gone".into()),
                    },
                ],
                Seen {
                    state: TurnState::Interrupted,
                    failure: Some(FailureClass::Interrupted),
                    started: true,
                    finished: true,
                    notes: 1,
                    events: 3,
                    ..Seen::created()
                },
            ),
            (
                "actions: asked, answered, run; a denial is counted",
                vec![
                    created(),
                    approval("t1.a1"),
                    decided("t1.a1", Allow, Operator, "fine"),
                    done("t1.a1", true),
                    requested("t1.a2"),
                    decided("t1.a2", Deny, Agent, "refused"),
                    // An action of no turn's is ignored by the turn.
                    done("t1.a9", false),
                ],
                Seen {
                    actions: vec![
                        action("t1.a1", true, Some(Allow), Some(true)),
                        action("t1.a2", false, Some(Deny), None),
                    ],
                    denials: 1,
                    events: 7,
                    ..Seen::created()
                },
            ),
            (
                "what is not the turn's leaves it alone",
                vec![
                    created(),
                    Event::AutonomySet {
                        class: Some(RiskClass::Low),
                        task: None,
                        level: AutonomyLevel::Auto,
                        by: Operator,
                    },
                    Event::SessionStarted {
                        session: "s".into(),
                        agent: "claude".into(),
                        cwd: None,
                        transcript: None,
                        confined: None,
                    },
                    Event::Usage {
                        turn: "t1".into(),
                        input_tokens: 10,
                        output_tokens: 5,
                        context_window: None,
                        model: None,
                        request: None,
                        total: false,
                        cost_usd: None,
                    },
                ],
                Seen {
                    events: 2,
                    ..Seen::created()
                },
            ),
        ];
        for (name, events, expected) in table {
            let s = fold(events);
            assert!(s.warnings.is_empty(), "{name}: {:?}", s.warnings);
            let t = s.turn("t1").unwrap_or_else(|| panic!("{name}: no t1"));
            assert_eq!(Seen::of(t), expected, "{name}");
        }
    }

    #[test]
    fn the_fold_keeps_the_workspace_wide_state_and_warns_of_what_it_cannot_use() {
        let mut second = created();
        if let Event::TurnCreated { turn, .. } = &mut second {
            *turn = "t7".into();
        }
        let s = fold(vec![
            created(),
            second,
            // Created twice: the first stands.
            created(),
            // Of a turn nobody created.
            Event::TurnRejected {
                turn: "t3".into(),
                kept_at: "x".into(),
            },
            Event::AutonomySet {
                class: Some(RiskClass::High),
                task: None,
                level: AutonomyLevel::Review,
                by: DecidedBy::Operator,
            },
            Event::AutonomySet {
                class: None,
                task: Some("notes".into()),
                level: AutonomyLevel::Auto,
                by: DecidedBy::Operator,
            },
            Event::SessionStarted {
                session: "s".into(),
                agent: "codex".into(),
                cwd: Some("/w".into()),
                transcript: None,
                confined: Some(6),
            },
            Event::SessionEnded {
                session: "s".into(),
                reason: None,
            },
        ]);
        assert_eq!(s.turns().len(), 2);
        assert_eq!(s.max_turn, 7);
        assert_eq!(s.next_turn_id(0), "t8");
        // A ref that outlived the journal holds a higher number.
        assert_eq!(s.next_turn_id(12), "t13");
        assert_eq!(s.last_seq, 8);
        assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
        assert!(s.warnings[0].contains("created twice"), "{:?}", s.warnings);
        assert!(
            s.warnings[1].contains("unknown turn t3"),
            "{:?}",
            s.warnings
        );
        assert_eq!(
            s.autonomy.get(&RiskClass::High),
            Some(&AutonomyLevel::Review)
        );
        assert_eq!(s.task_autonomy.get("notes"), Some(&AutonomyLevel::Auto));
        let session = &s.sessions["s"];
        assert_eq!(
            (session.agent.as_str(), session.confined),
            ("codex", Some(6))
        );
        assert!(session.ended.is_some());
    }
}
