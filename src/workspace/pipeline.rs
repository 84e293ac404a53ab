//! Pipelines (`[[task.pass]]` in `.leash/tasks.toml`): start a run, run
//! its passes one by one — each an isolated turn on the branch head, which
//! holds the landed result of the pass before —, wait for the operator
//! where a pass waits for review, stop at a failure; resume and cancel a
//! run; and the contract each pass's turn is held to when it ends. A run
//! is state folded from the journal (`state::pipelines`), so whichever
//! process drives it, and after any restart, it reads the same.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use git2::Oid;

use super::{Error, Result, Workspace, io_error};
use crate::checkpoint;
use crate::config::{self, PassConfig, TaskConfig};
use crate::event::Event;
use crate::invariants;
use crate::model::{FailureClass, PassGate, PassMode, TurnSpec, TurnState};
use crate::state::{Pipeline, PipelineState};

/// How often a run waiting for the operator reads the journal again.
const POLL: Duration = Duration::from_millis(100);

/// A pass to start now, and the prompt to give it instead of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassStart {
    pub pass: String,
    pub prompt: Option<String>,
}

impl Workspace {
    /// Whether task `name`, as committed, is a pipeline.
    pub fn is_pipeline(&self, name: &str) -> bool {
        self.tasks.find(name).is_some_and(|t| !t.passes.is_empty())
    }

    /// Starts a run of pipeline task `task`: records `pipeline_started`
    /// and returns the run's id and its first pass, for
    /// [`Self::drive_pipeline`].
    pub fn start_pipeline(&mut self, task: &str) -> Result<(String, PassStart)> {
        self.ensure_unblocked()?;
        let t = self
            .tasks
            .find(task)
            .filter(|t| !t.passes.is_empty())
            .ok_or_else(|| {
                Error::Refused(format!(
                    "task `{task}` has no [[task.pass]] in the committed {}",
                    config::TASKS_FILE
                ))
            })?;
        let passes: Vec<String> = t.passes.iter().map(|p| p.name.clone()).collect();
        let first = PassStart {
            pass: passes[0].clone(),
            prompt: None,
        };
        let task = t.name.clone();
        let id = self.transact(|state| {
            let id = state.next_run_id();
            let started = Event::PipelineStarted {
                run: id.clone(),
                task: task.clone(),
                passes: passes.clone(),
            };
            Ok((vec![started], id))
        })?;
        Ok((id, first))
    }

    /// Drives run `run` on from where it stands: starts `first` when
    /// given, then each next pass once the one before has landed — by
    /// policy, or by the operator, whom it waits for — until the run is
    /// done, stops at a failure, pauses at a pass whose gate is `review`,
    /// or is cancelled. A signal ends the wait, not the run: `leash
    /// pipeline resume` goes on. `started` hears of each pass's turn.
    pub fn drive_pipeline(
        &mut self,
        run: &str,
        mut first: Option<PassStart>,
        started: &mut dyn FnMut(&str, &str),
    ) -> Result<PipelineState> {
        let stop = Arc::new(AtomicBool::new(false));
        for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            signal_hook::flag::register(sig, stop.clone()).map_err(io_error(Path::new(run)))?;
        }
        loop {
            self.refresh()?;
            let p = self.pipeline(run)?.clone();
            if let Some(start) = first.take() {
                let turn = self.start_pass(&p, &start)?;
                started(&start.pass, &turn);
                let spec = pass_spec(&p);
                self.supervise(&turn, &spec)?;
                continue;
            }
            let state = self.state.pipeline_state(&p);
            let current = p.current().cloned();
            match state {
                PipelineState::AwaitingReview if !stop.load(Ordering::Relaxed) => {
                    std::thread::sleep(POLL);
                }
                PipelineState::Paused if !stop.load(Ordering::Relaxed) => {
                    let next = match &current {
                        None => p.passes.first(),
                        Some(c) if c.gate == PassGate::Review => return Ok(state),
                        Some(c) => p
                            .passes
                            .iter()
                            .position(|n| *n == c.pass)
                            .and_then(|i| p.passes.get(i + 1)),
                    };
                    let Some(next) = next else {
                        return Ok(state);
                    };
                    first = Some(PassStart {
                        pass: next.clone(),
                        prompt: None,
                    });
                }
                _ => return Ok(state),
            }
        }
    }

    /// Readies run `run` to go on (for [`Self::drive_pipeline`]): a failed,
    /// rejected or interrupted pass starts again — as `tasks.toml` defines
    /// it at the branch head now, with `prompt` instead of its own when
    /// given —; a paused run starts its next pass; a pass awaiting review
    /// is waited for. A failed pass whose turn still waits for review is
    /// rejected first, as superseded. Returns the pass to start, if any.
    pub fn resume_pipeline(
        &mut self,
        run: &str,
        prompt: Option<String>,
    ) -> Result<Option<PassStart>> {
        self.ensure_unblocked()?;
        let p = self.pipeline(run)?.clone();
        let current = p.current().cloned();
        let again = match self.state.pipeline_state(&p) {
            PipelineState::Cancelled => {
                return Err(Error::Refused(format!(
                    "{run} was cancelled; start a new run with `leash run --task {}`",
                    p.task
                )));
            }
            PipelineState::Done => {
                return Err(Error::Refused(format!("{run} is done: every pass landed")));
            }
            PipelineState::Running => {
                let c = current.expect("a running run has a pass");
                return Err(Error::Refused(format!(
                    "{run} is running pass {} as {}; cancel it first (`leash pipeline cancel {run}`)",
                    c.pass, c.turn
                )));
            }
            PipelineState::AwaitingReview => {
                let c = current.expect("a run awaiting review has a pass");
                if prompt.is_some() {
                    return Err(Error::Refused(format!(
                        "pass {} of {run} ({}) waits for review: approve it (the run then goes \
                         on) or reject it, then resume with --prompt",
                        c.pass, c.turn
                    )));
                }
                return Ok(None);
            }
            PipelineState::Failed => {
                let c = current.expect("a failed run has a pass");
                if self.turn(&c.turn)?.state == TurnState::AwaitingReview {
                    self.reject(
                        &c.turn,
                        format!("superseded: pipeline {run} resumed at pass {}", c.pass),
                        None,
                    )?;
                }
                c.pass
            }
            PipelineState::Paused => {
                let next = match &current {
                    None => p.passes.first(),
                    Some(c) => p
                        .passes
                        .iter()
                        .position(|n| *n == c.pass)
                        .and_then(|i| p.passes.get(i + 1)),
                };
                next.cloned()
                    .ok_or_else(|| Error::Refused(format!("{run} has no pass left to start")))?
            }
        };
        // The definition as committed now is what runs.
        let head = checkpoint::head_commit(&self.repo)?;
        self.use_policy_at(head)?;
        let task = self.pipeline_task(&p)?;
        if task.pass(&again).is_none() {
            return Err(Error::Refused(format!(
                "pass `{again}` is no longer a pass of task `{}` in the committed {}; start a \
                 new run with `leash run --task {}`",
                p.task,
                config::TASKS_FILE,
                p.task
            )));
        }
        let passes: Vec<String> = task.passes.iter().map(|p| p.name.clone()).collect();
        // Under the journal lock, the run is still where it was seen: two
        // resumes at once start the pass once.
        let seen = p.attempts.len();
        self.transact(|state| {
            let now = state.pipeline(run).map(|p| p.attempts.len());
            if now != Some(seen) {
                return Err(Error::Refused(format!(
                    "{run} moved on while it was being resumed; see `leash pipeline show {run}`"
                )));
            }
            let resumed = Event::PipelineResumed {
                run: run.to_string(),
                pass: again.clone(),
                passes: passes.clone(),
            };
            Ok((vec![resumed], ()))
        })?;
        Ok(Some(PassStart {
            pass: again,
            prompt,
        }))
    }

    /// Cancels run `run`: no further pass starts, and a pass running now
    /// is cancelled like any turn (its id is returned).
    pub fn cancel_pipeline(&mut self, run: &str, reason: Option<String>) -> Result<Option<String>> {
        let p = self.pipeline(run)?.clone();
        let state = self.state.pipeline_state(&p);
        if matches!(state, PipelineState::Done | PipelineState::Cancelled) {
            return Err(Error::Refused(format!(
                "{run} is {state}; nothing to cancel"
            )));
        }
        self.append(vec![Event::PipelineCancelled {
            run: run.to_string(),
            reason,
        }])?;
        match p.current() {
            Some(c) if state == PipelineState::Running => {
                self.cancel(&c.turn)?;
                Ok(Some(c.turn.clone()))
            }
            _ => Ok(None),
        }
    }

    /// The contract failure of turn `turn`, when it is a pipeline's pass:
    /// its `out` in `worktree` checked, and for a read-only pass the paths
    /// it `changed`.
    pub(super) fn pass_contract(
        &self,
        turn: &str,
        worktree: &Path,
        changed: &[String],
    ) -> Option<(FailureClass, String)> {
        let (_, a) = self.state.pass_of(turn)?;
        invariants::check_pass(worktree, &a.out, &a.contract, a.mode, changed)
    }

    fn pipeline(&self, run: &str) -> Result<&Pipeline> {
        self.state.pipeline(run).ok_or_else(|| {
            Error::Refused(format!(
                "no pipeline run `{run}` (see `leash pipeline list`)"
            ))
        })
    }

    fn pipeline_task(&self, p: &Pipeline) -> Result<TaskConfig> {
        self.tasks
            .find(&p.task)
            .filter(|t| !t.passes.is_empty())
            .cloned()
            .ok_or_else(|| {
                Error::Refused(format!(
                    "task `{}` of {} is no longer a pipeline in the committed {}",
                    p.task,
                    p.id,
                    config::TASKS_FILE
                ))
            })
    }

    /// Creates the turn of pass `start.pass` of run `p`, on the branch
    /// head, with the pass as committed there; returns its id.
    fn start_pass(&mut self, p: &Pipeline, start: &PassStart) -> Result<String> {
        let head = checkpoint::head_commit(&self.repo)?;
        // The pass before has landed: the head holds it, or the run
        // would start on something else than what it built.
        if let Some(before) = p.current()
            && let Some(landed) = self
                .turn(&before.turn)
                .ok()
                .and_then(|t| t.landed_commit.clone())
            && let (Some(head), Ok(landed)) = (head, Oid::from_str(&landed))
            && head != landed
            && !self.repo.graph_descendant_of(head, landed)?
        {
            return Err(Error::Refused(format!(
                "the branch head no longer holds pass {} ({}) of {}; switch back to its branch",
                before.pass, before.turn, p.id
            )));
        }
        self.use_policy_at(head)?;
        let task = self.pipeline_task(p)?;
        let pass = task.pass(&start.pass).cloned().ok_or_else(|| {
            Error::Refused(format!(
                "pass `{}` is not a pass of task `{}` in the committed {}",
                start.pass,
                task.name,
                config::TASKS_FILE
            ))
        })?;
        let today = chrono::Local::now().date_naive();
        let fill = Placeholders::new(p, &task, today);
        let out = fill.out(&pass);
        let prompt = start
            .prompt
            .clone()
            .or_else(|| pass.prompt.clone())
            .map(|text| fill.prompt(&pass, &text, &out));
        let title = task
            .title
            .as_deref()
            .map(|t| fill.text(t, &out))
            .unwrap_or_else(|| task.name.clone());
        let as_task = TaskConfig {
            name: task.name.clone(),
            agent: pass.agent.clone().or(task.agent.clone()),
            risk: pass.risk.or(task.risk),
            prompt,
            command: pass
                .command
                .as_ref()
                .map(|argv| argv.iter().map(|a| fill.text(a, &out)).collect()),
            title: Some(format!("{title} · {}", pass.name)),
            deliverable: Some(out.clone()),
            autonomy: pass.autonomy.or(task.autonomy),
            ..TaskConfig::default()
        };
        let spec = pass_spec(p);
        let r = self.resolve_task(&spec, Some(&as_task), today)?;
        let run = p.id.clone();
        self.create_resolved(&r, &spec, |turn| {
            vec![Event::PassStarted {
                run,
                pass: pass.name.clone(),
                turn: turn.to_string(),
                out,
                contract: pass.contract.clone(),
                mode: pass.mode,
                gate: pass.gate,
                role: pass.role.clone(),
                budget: pass.budget,
            }]
        })
    }
}

/// The spec a pass's turn is created and supervised with: on the branch
/// head, with the run's task.
fn pass_spec(p: &Pipeline) -> TurnSpec {
    TurnSpec {
        task: Some(p.task.clone()),
        agent: None,
        risk: None,
        title: None,
        prompt: None,
        command: Vec::new(),
        timeout: None,
        base: None,
        follows: None,
    }
}

/// What a pass's placeholders stand for in run `p`.
struct Placeholders {
    task: String,
    run: String,
    today: chrono::NaiveDate,
    /// `{<pass>.out}` of each pass of the task: its latest attempt's out
    /// in this run, else its `out` as it would be.
    outs: Vec<(String, String)>,
}

impl Placeholders {
    fn new(p: &Pipeline, task: &TaskConfig, today: chrono::NaiveDate) -> Placeholders {
        let mut fill = Placeholders {
            task: task.name.clone(),
            run: p.id.clone(),
            today,
            outs: Vec::new(),
        };
        let outs = task
            .passes
            .iter()
            .map(|pass| {
                let out = p
                    .attempts
                    .iter()
                    .rev()
                    .find(|a| a.pass == pass.name)
                    .map(|a| a.out.clone())
                    .unwrap_or_else(|| fill.out(pass));
                (format!("{{{}.out}}", pass.name), out)
            })
            .collect();
        fill.outs = outs;
        fill
    }

    /// The pass's `out`, filled in.
    fn out(&self, pass: &PassConfig) -> String {
        config::expand_date_placeholders(&pass.out, self.today)
            .replace("{task}", &self.task)
            .replace("{run}", &self.run)
    }

    /// `text` with every placeholder filled in, `{out}` as `out`.
    fn text(&self, text: &str, out: &str) -> String {
        let mut s = config::expand_date_placeholders(text, self.today)
            .replace("{task}", &self.task)
            .replace("{run}", &self.run)
            .replace("{out}", out);
        for (name, value) in &self.outs {
            s = s.replace(name, value);
        }
        s
    }

    /// The prompt of `pass`: a preamble naming its role and what it may
    /// change, then `text` filled in.
    fn prompt(&self, pass: &PassConfig, text: &str, out: &str) -> String {
        let mut preamble = Vec::new();
        if let Some(role) = &pass.role {
            preamble.push(format!("You are the {role} of this pipeline."));
        }
        if pass.mode == PassMode::ReadOnly {
            preamble.push(format!(
                "This pass is read-only: change no file but {out}, where your findings go."
            ));
        }
        let body = self.text(text, out);
        if preamble.is_empty() {
            body
        } else {
            format!("{}\n\n{body}", preamble.join(" "))
        }
    }
}
