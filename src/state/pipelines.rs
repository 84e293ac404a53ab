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
use crate::model::{
    Budget, Contract, FailureClass, PassGate, PassMode, TurnState, run_number, words,
};

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
    /// What it may spend (see [`State::turn_spent`] for what it spent).
    #[serde(default)]
    pub budget: Budget,
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
                    // An interrupted turn says why in its notes.
                    reason: turn.and_then(|t| {
                        Some(t.reason.as_str())
                            .filter(|r| !r.is_empty())
                            .or(t.notes.last().map(String::as_str))
                    }),
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
                budget,
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
                        budget: *budget,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Record;

    fn fold(lines: &[&str]) -> State {
        let mut state = State::default();
        for (i, line) in lines.iter().enumerate() {
            state.apply(&Record {
                v: crate::journal::VERSION,
                seq: i as u64 + 1,
                ts: "2026-01-01T00:00:00.000Z".into(),
                event: serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")),
            });
        }
        state
    }

    const STARTED: &str =
        r#"{"kind":"pipeline_started","run":"p1","task":"post","passes":["extract","draft"]}"#;

    fn created(turn: &str) -> String {
        format!(
            r#"{{"kind":"turn_created","turn":"{turn}","task":"post","agent":"generic","turn_kind":"isolated","risk":"low","base":null,"title":"post"}}"#
        )
    }

    fn pass(turn: &str, pass: &str, gate: &str) -> String {
        format!(
            r#"{{"kind":"pass_started","run":"p1","pass":"{pass}","turn":"{turn}","out":"{pass}.md","contract":{{"json":true}},"mode":"read-only","gate":"{gate}"}}"#
        )
    }

    fn finished(turn: &str, files: u32, failure: Option<&str>) -> String {
        let failure = failure
            .map(|f| format!(r#","failure":"{f}""#))
            .unwrap_or_default();
        format!(
            r#"{{"kind":"turn_finished","turn":"{turn}","exit":0,"files_changed":{files},"insertions":1,"deletions":0,"reason":"why"{failure}}}"#
        )
    }

    fn landed(turn: &str) -> String {
        format!(
            r#"{{"kind":"turn_landed","turn":"{turn}","commit":"0123456789012345678901234567890123456789"}}"#
        )
    }

    fn state_of(lines: &[&str]) -> (PipelineState, Vec<&'static str>) {
        let s = fold(lines);
        let p = s.pipeline("p1").expect("folded");
        let words = s.pass_views(p).iter().map(|v| v.word()).collect();
        (s.pipeline_state(p), words)
    }

    #[test]
    fn a_run_stands_where_its_latest_pass_turn_stands() {
        use PipelineState::*;
        let (c1, p1, f1, l1) = (
            created("t1"),
            pass("t1", "extract", "auto"),
            finished("t1", 1, None),
            landed("t1"),
        );
        let (c2, p2) = (created("t2"), pass("t2", "draft", "auto"));
        assert_eq!(state_of(&[STARTED]), (Paused, vec!["pending", "pending"]));
        assert_eq!(
            state_of(&[STARTED, &c1, &p1]),
            (Running, vec!["running", "pending"])
        );
        assert_eq!(
            state_of(&[STARTED, &c1, &p1, &f1]),
            (AwaitingReview, vec!["awaiting_review", "pending"])
        );
        assert_eq!(
            state_of(&[STARTED, &c1, &p1, &f1, &l1]),
            (Paused, vec!["landed", "pending"])
        );
        let failed = finished("t2", 1, Some("contract_violation"));
        assert_eq!(
            state_of(&[STARTED, &c1, &p1, &f1, &l1, &c2, &p2, &failed]),
            (Failed, vec!["landed", "failed"])
        );
        let (f2, l2) = (finished("t2", 1, None), landed("t2"));
        assert_eq!(
            state_of(&[STARTED, &c1, &p1, &f1, &l1, &c2, &p2, &f2, &l2]),
            (Done, vec!["landed", "landed"])
        );
        let cancelled = r#"{"kind":"pipeline_cancelled","run":"p1","reason":"enough"}"#;
        assert_eq!(state_of(&[STARTED, &c1, &p1, cancelled]).0, Cancelled);
        let s = fold(&[STARTED, &c1, &p1]);
        let (p, a) = s.pass_of("t1").unwrap();
        assert_eq!(
            (p.id.as_str(), a.pass.as_str(), a.mode),
            ("p1", "extract", PassMode::ReadOnly)
        );
        assert!(a.contract.json);
        assert_eq!(s.next_run_id(), "p2");
        // The pass's start is in its turn's own log.
        assert_eq!(s.turn("t1").unwrap().log[1].kind, "pass_started");
    }

    #[test]
    fn a_resumed_run_takes_the_passes_as_committed_now() {
        let resumed = r#"{"kind":"pipeline_resumed","run":"p1","pass":"draft","passes":["extract","draft","audit"]}"#;
        let s = fold(&[STARTED, resumed]);
        assert_eq!(
            s.pipeline("p1").unwrap().passes,
            ["extract", "draft", "audit"]
        );
        let twice = fold(&[STARTED, STARTED]);
        assert_eq!(twice.pipelines().len(), 1);
        assert!(twice.warnings[0].contains("started twice"));
    }
}
