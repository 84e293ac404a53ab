//! Pipeline runs folded from the journal: each run of a task with passes,
//! the attempts at its passes (one turn each), and where the run stands,
//! read from those turns' states — so a run survives a restart of leash
//! like everything else, and a pass whose supervisor died is the
//! interrupted turn recovery made of it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::State;
use crate::event::Event;
use crate::model::{Contract, FailureClass, PassGate, PassMode, TurnState, run_number, words};

/// One run of a pipeline task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: String,
    pub task: String,
    /// Its passes' names, in order: as committed when it started, or when
    /// it was last resumed.
    pub passes: Vec<String>,
    pub started: String,
    /// Each pass started, in order; a resumed pass has several.
    pub attempts: Vec<PassAttempt>,
    /// Set when the operator cancelled it, with their reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<String>,
}

/// One pass started as one turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassAttempt {
    pub pass: String,
    pub turn: String,
    pub out: String,
    pub contract: Contract,
    pub mode: PassMode,
    pub gate: PassGate,
    pub role: Option<String>,
}

/// Where a pipeline run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineState {
    /// A pass's turn is running.
    Running,
    /// A pass's diff waits for the operator; the next pass starts when it lands.
    AwaitingReview,
    /// A pass landed and the next has not started: its gate asks for the
    /// operator, or its supervisor stopped (`leash pipeline resume` goes on).
    Paused,
    /// A pass failed, was rejected or interrupted: the run stopped there.
    Failed,
    /// Every pass landed.
    Done,
    Cancelled,
}

words!(PipelineState, "a pipeline state", {
    Running => "running",
    AwaitingReview => "awaiting_review",
    Paused => "paused",
    Failed => "failed",
    Done => "done",
    Cancelled => "cancelled",
});

/// A pass as a run stands: its latest attempt's turn, or none yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PassView<'a> {
    pub name: &'a str,
    /// `None` while it has not started.
    pub attempt: Option<&'a PassAttempt>,
    /// Its turn's state (`None` before it started, or when the turn is
    /// not in the journal).
    pub state: Option<TurnState>,
    pub failure: Option<FailureClass>,
    /// Why its turn ended as it did.
    pub reason: Option<&'a str>,
    /// How many times it was started.
    pub attempts: usize,
}

impl PassView<'_> {
    /// `pending`, or its turn's state — `failed` for a turn that waits for
    /// review with a failure (the run does not wait for it).
    pub fn word(&self) -> &'static str {
        match (self.attempt, self.state, self.failure) {
            (None, _, _) => "pending",
            (Some(_), Some(TurnState::AwaitingReview), Some(_)) => "failed",
            (Some(_), Some(s), _) => s.as_str(),
            (Some(_), None, _) => "unknown",
        }
    }
}

impl Pipeline {
    /// Its latest attempt, the pass it is at.
    pub fn current(&self) -> Option<&PassAttempt> {
        self.attempts.last()
    }
}

impl State {
    /// Every pipeline run, oldest first.
    pub fn pipelines(&self) -> &[Pipeline] {
        &self.pipelines
    }

    /// One pipeline run by id.
    pub fn pipeline(&self, id: &str) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.id == id)
    }

    /// The run and pass a turn was started for.
    pub fn pass_of(&self, turn: &str) -> Option<(&Pipeline, &PassAttempt)> {
        self.pipelines
            .iter()
            .rev()
            .find_map(|p| p.attempts.iter().find(|a| a.turn == turn).map(|a| (p, a)))
    }

    /// The id the next pipeline run gets.
    pub fn next_run_id(&self) -> String {
        let n = self
            .pipelines
            .iter()
            .filter_map(|p| run_number(&p.id))
            .max()
            .unwrap_or(0);
        format!("p{}", n + 1)
    }

    /// The passes of a run, in order, as it stands.
    pub fn pass_views<'a>(&'a self, p: &'a Pipeline) -> Vec<PassView<'a>> {
        p.passes
            .iter()
            .map(|name| {
                let tries: Vec<&PassAttempt> =
                    p.attempts.iter().filter(|a| &a.pass == name).collect();
                let attempt = tries.last().copied();
                let turn = attempt.and_then(|a| self.turn(&a.turn));
                PassView {
                    name,
                    attempt,
                    state: turn.map(|t| t.state),
                    failure: turn.and_then(|t| t.failure),
                    reason: turn.map(|t| t.reason.as_str()),
                    attempts: tries.len(),
                }
            })
            .collect()
    }

    /// Where a run stands (see [`PipelineState`]).
    pub fn pipeline_state(&self, p: &Pipeline) -> PipelineState {
        if p.cancelled.is_some() {
            return PipelineState::Cancelled;
        }
        let Some(current) = p.current() else {
            return PipelineState::Paused;
        };
        let Some(turn) = self.turn(&current.turn) else {
            return PipelineState::Failed;
        };
        match (turn.state, turn.failure) {
            (TurnState::Running, _) => PipelineState::Running,
            (TurnState::AwaitingReview, None) => PipelineState::AwaitingReview,
            (TurnState::Landed, _) if p.passes.last() == Some(&current.pass) => PipelineState::Done,
            (TurnState::Landed, _) => PipelineState::Paused,
            _ => PipelineState::Failed,
        }
    }

    /// Folds a pipeline event; true when the event is about pipelines only.
    pub(super) fn apply_pipeline(&mut self, event: &Event, ts: &str) -> bool {
        match event {
            Event::PipelineStarted { run, task, passes } => {
                if self.pipeline(run).is_some() {
                    self.warnings
                        .push(format!("pipeline {run} started twice; ignored"));
                } else {
                    self.pipelines.push(Pipeline {
                        id: run.clone(),
                        task: task.clone(),
                        passes: passes.clone(),
                        started: ts.to_string(),
                        attempts: Vec::new(),
                        cancelled: None,
                    });
                }
                true
            }
            Event::PassStarted {
                run,
                pass,
                turn,
                out,
                contract,
                mode,
                gate,
                role,
            } => {
                match self.pipelines.iter_mut().find(|p| &p.id == run) {
                    Some(p) => p.attempts.push(PassAttempt {
                        pass: pass.clone(),
                        turn: turn.clone(),
                        out: out.clone(),
                        contract: contract.clone(),
                        mode: *mode,
                        gate: *gate,
                        role: role.clone(),
                    }),
                    None => self
                        .warnings
                        .push(format!("pass {pass} of unknown pipeline {run}; ignored")),
                }
                // The turn's own log lists it too.
                false
            }
            Event::PipelineResumed { run, passes, .. } => {
                if let Some(p) = self.pipelines.iter_mut().find(|p| &p.id == run) {
                    p.passes = passes.clone();
                }
                true
            }
            Event::PipelineCancelled { run, reason } => {
                if let Some(p) = self.pipelines.iter_mut().find(|p| &p.id == run) {
                    p.cancelled = Some(reason.clone().unwrap_or_default());
                }
                true
            }
            _ => false,
        }
    }
}
