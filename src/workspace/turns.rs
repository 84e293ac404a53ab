//! Turns: the one place any turn is created (its id given, `turn_created`
//! appended) and the one place any turn's end meets policy (class, level,
//! verdict); and isolated turns: resolve what to run, create the turn,
//! supervise the agent in its worktree, commit what it left, classify the
//! end and apply policy.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use git2::Oid;

use super::observer::TurnObserver;
use super::{Error, Result, Workspace, crash_point, io_error, turn_ref};
use crate::agents::adapter::{StreamFormat, Summary};
use crate::agents::claude::Claude;
use crate::agents::codex::Codex;
use crate::agents::confine;
use crate::agents::process::{self, Spawn};
use crate::agents::run::{
    codex_require_refusal, codex_sandboxes_itself, one_line, program_found, program_missing,
};
use crate::checkpoint;
use crate::config::{self, AgentFormat, ConfineMode};
use crate::event::Event;
use crate::model::{
    AutonomyLevel, DecidedBy, Decision, Escalation, FailureClass, FollowHow, RiskClass, TurnKind,
    TurnSpec, TurnState,
};
use crate::policy::{self, Exit, TurnEnd, Verdict};
use crate::state::Turn;
use crate::words::quote_argv;

/// A spec resolved against the workspace's tasks and agents.
#[derive(Debug, Clone)]
pub(super) struct Resolved {
    task: Option<String>,
    pub(super) agent: String,
    pub(super) argv: Vec<String>,
    /// The agent session a follow-up continues.
    session: Option<String>,
    risk: RiskClass,
    title: String,
    prompt: Option<String>,
    deliverable: Option<String>,
    autonomy: Option<crate::model::AutonomyLevel>,
}

/// How the agent's run ended, as the supervisor saw it.
struct Ended {
    exit: Exit,
    printed: bool,
    spawn_error: Option<String>,
    reported: Option<crate::model::FailureClass>,
    /// Paths outside the worktree whose writes the kernel refused.
    refused: Vec<String>,
    /// Why a pipeline pass was stopped over its budget.
    over_budget: Option<String>,
}

impl Workspace {
    /// The spec that starts turn `id`'s work again as a new turn: the same
    /// task (while tasks.toml still has it), agent or command, declared risk
    /// and prompt — or `prompt` instead — on the turn's own base, or on the
    /// branch head with `on_head` (the way forward for a turn whose branch
    /// moved under it). A pipeline's pass is refused: it runs again only
    /// within its run (`leash pipeline resume`).
    pub fn replay_spec(&self, id: &str, on_head: bool, prompt: Option<String>) -> Result<TurnSpec> {
        let t = self.turn(id)?;
        // A pass outside its run would lose its contract, its mode (a
        // read-only pass could write) and the outs of the passes before:
        // it runs again only within its run.
        if let Some((p, a)) = self.state.pass_of(id) {
            return Err(Error::Refused(format!(
                "{id} is pass {} of pipeline run {}: a pass starts again only within its run, \
                 held to its contract — `leash pipeline resume {}` reruns it once it failed or \
                 was rejected, `leash run --task {}` starts a new run",
                a.pass, p.id, p.id, p.task
            )));
        }
        let task = t
            .task
            .clone()
            .filter(|name| self.tasks.find(name).is_some());
        let agent =
            (task.is_none() && self.config.agents.contains_key(&t.agent)).then(|| t.agent.clone());
        let command = if task.is_none() && agent.is_none() {
            match &t.command {
                Some(argv) if !argv.is_empty() => argv.clone(),
                _ => {
                    return Err(Error::Refused(format!(
                        "{id} ran `{}`, which is neither a configured agent nor a recorded command: \
                         there is nothing to start again",
                        t.agent
                    )));
                }
            }
        } else {
            Vec::new()
        };
        Ok(TurnSpec {
            task,
            agent,
            risk: Some(t.declared_risk),
            title: Some(format!("replay of {id}: {}", t.title)),
            prompt: prompt.or_else(|| t.prompt.clone()),
            command,
            timeout: None,
            base: if on_head { None } else { t.base.clone() },
            follows: None,
        })
    }

    pub(super) fn resolve(&self, spec: &TurnSpec) -> Result<Resolved> {
        let today = chrono::Local::now().date_naive();
        let task = match &spec.task {
            Some(name) => Some(
                self.tasks
                    .find(name)
                    .map(|t| t.expand_dates(today))
                    .ok_or_else(|| {
                        Error::Refused(format!(
                            "no task `{name}` in {} (defined: {})",
                            config::TASKS_FILE,
                            if self.tasks.tasks.is_empty() {
                                "none".to_string()
                            } else {
                                self.tasks
                                    .tasks
                                    .iter()
                                    .map(|t| t.name.clone())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ))
                    })?,
            ),
            None => None,
        };
        if let Some(t) = task.as_ref().filter(|t| !t.passes.is_empty()) {
            let passes: Vec<&str> = t.passes.iter().map(|p| p.name.as_str()).collect();
            return Err(Error::Refused(format!(
                "task `{}` is a pipeline ({}): start it with `leash run --task {}`, which runs \
                 its passes one by one",
                t.name,
                passes.join(" → "),
                t.name
            )));
        }
        self.resolve_task(spec, task.as_ref(), today)
    }

    /// Resolves `spec` with `task` as the task it names (a pipeline's pass
    /// is given here as the task it runs as).
    pub(super) fn resolve_task(
        &self,
        spec: &TurnSpec,
        task: Option<&config::TaskConfig>,
        today: chrono::NaiveDate,
    ) -> Result<Resolved> {
        let task = task.cloned();
        let prompt = spec
            .prompt
            .clone()
            .or_else(|| task.as_ref().and_then(|t| t.prompt.clone()))
            .map(|p| config::expand_date_placeholders(&p, today));
        let command = if !spec.command.is_empty() {
            Some(spec.command.clone())
        } else if spec.agent.is_none() {
            task.as_ref().and_then(|t| t.command.clone())
        } else {
            None
        };
        let agent_name = spec
            .agent
            .clone()
            .or_else(|| task.as_ref().and_then(|t| t.agent.clone()));
        let (agent, argv) = match (command, agent_name) {
            (Some(_), Some(a)) if !spec.command.is_empty() => {
                return Err(Error::Refused(format!(
                    "give either --agent {a} or a command after `--`, not both"
                )));
            }
            (Some(argv), _) => ("generic".to_string(), argv),
            (None, Some(name)) => {
                let agent = self.config.agents.get(&name).ok_or_else(|| {
                    Error::Refused(format!(
                        "no agent `{name}` in {} (configured: {})",
                        config::CONFIG_FILE,
                        if self.config.agents.is_empty() {
                            "none".to_string()
                        } else {
                            self.config
                                .agents
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ))
                })?;
                let needs_prompt = agent.command.iter().any(|a| a.contains("{prompt}"));
                if needs_prompt && prompt.is_none() {
                    return Err(Error::Refused(format!(
                        "agent `{name}` needs a prompt: give --prompt or a task with one"
                    )));
                }
                (name, agent.command.clone())
            }
            (None, None) => {
                return Err(Error::Refused(
                    "nothing to run: give a command after `--`, --agent with --prompt, or --task"
                        .into(),
                ));
            }
        };
        let (argv, session) = self.follow_argv(spec, &agent, argv)?;
        // "{prompt}" becomes exactly one argument, whatever it contains.
        let argv: Vec<String> = argv
            .into_iter()
            .map(|a| match &prompt {
                Some(p) => a.replace("{prompt}", p),
                None => a,
            })
            .collect();
        let risk = spec
            .risk
            .or(task.as_ref().and_then(|t| t.risk))
            .unwrap_or(self.config.default_risk);
        let title = spec
            .title
            .clone()
            .or_else(|| task.as_ref().and_then(|t| t.title.clone()))
            .or_else(|| prompt.as_deref().map(one_line))
            .or_else(|| task.as_ref().map(|t| t.name.clone()))
            .unwrap_or_else(|| one_line(&quote_argv(&argv)));
        Ok(Resolved {
            task: task.as_ref().map(|t| t.name.clone()),
            agent,
            argv,
            session,
            risk,
            title,
            prompt,
            deliverable: task.as_ref().and_then(|t| t.deliverable.clone()),
            autonomy: task.as_ref().and_then(|t| t.autonomy),
        })
    }

    /// Creates a turn: resolves the spec, records `turn_created` (owned by
    /// this process until `turn_started`), and raises its class by the
    /// command rules. Returns the new id.
    pub fn create_turn(&mut self, spec: &TurnSpec) -> Result<String> {
        self.ensure_unblocked()?;
        let r = self.resolve(spec)?;
        self.create_resolved(&r, spec, |_| Vec::new())
    }

    /// [`Self::create_turn`] for a resolved spec; `extra` makes the events
    /// appended with its `turn_created`, for the new id.
    pub(super) fn create_resolved(
        &mut self,
        r: &Resolved,
        spec: &TurnSpec,
        extra: impl FnOnce(&str) -> Vec<Event>,
    ) -> Result<String> {
        let branch = checkpoint::current_branch(&self.repo)?;
        // A turn lands on the branch it started from: on a detached HEAD it
        // could never land, so none is created.
        if branch.is_none() {
            let at = checkpoint::head_commit(&self.repo)?
                .map(|h| format!(" (at {})", checkpoint::short(&h.to_string())))
                .unwrap_or_default();
            return Err(Error::Refused(format!(
                "HEAD is detached{at}: a turn lands on the branch it starts from, so check \
                 one out first (`git switch main`, or `git switch -c NAME` to make one here); \
                 no turn was created"
            )));
        }
        if let Some(program) = r.argv.first()
            && !program_found(program)
        {
            return Err(Error::Refused(program_missing(&r.agent, program)));
        }
        if let Some(why) = self.cannot_confine(confine::probe_abi(), &r.agent) {
            return Err(Error::Refused(format!("{why}; no turn was created")));
        }
        if self.confine_mode(&r.agent) == ConfineMode::Require {
            let format = self.config.agents.get(&r.agent).map(|a| a.format);
            if let Some(why) = codex_sandboxes_itself(format, &r.argv) {
                return Err(Error::Refused(format!(
                    "{}; no turn was created",
                    codex_require_refusal(&self.confine_key(&r.agent), &why)
                )));
            }
        }
        // A resumed turn goes on from where its parent started.
        let resumed = match &spec.follows {
            Some((FollowHow::Resume, parent)) => Some(self.turn(parent)?.base.clone()),
            _ => None,
        };
        let base = match &spec.base {
            _ if resumed.is_some() => resumed.flatten(),
            Some(b) => Some(
                self.repo
                    .revparse_single(b)
                    .and_then(|o| o.peel_to_commit())
                    .map_err(|e| Error::Refused(format!("base `{b}` is not a commit: {e}")))?
                    .id()
                    .to_string(),
            ),
            None => checkpoint::head_commit(&self.repo)?.map(|o| o.to_string()),
        };
        let rules = policy::RiskRules::compile(&self.config.risk).map_err(Error::Refused)?;
        let hits: Vec<_> = if r.agent == "generic" {
            rules.classify_argv(&r.argv).hits
        } else {
            Vec::new()
        };
        let (_, escalations) = policy::escalate(r.risk, hits);
        let pid = std::process::id();
        let worktrees = self.worktree_path("t0");
        let worktrees = worktrees.parent().expect("a worktree path has a parent");
        let id = self.create_turn_with(|id| {
            let id = id.to_string();
            let mut events = vec![Event::TurnCreated {
                turn: id.clone(),
                task: r.task.clone(),
                agent: r.agent.clone(),
                turn_kind: TurnKind::Isolated,
                risk: r.risk,
                base: base.clone(),
                branch: branch.clone(),
                command: Some(r.argv.clone()),
                prompt: r.prompt.clone(),
                title: r.title.clone(),
                deliverable: r.deliverable.clone(),
                autonomy: r.autonomy,
                supervisor_pid: Some(pid),
                supervisor_start: process::start_time(pid),
                session: None,
                policy: None,
                worktree: Some(worktrees.join(&id).display().to_string()),
            }];
            events.extend(escalations.iter().map(|e| Event::RiskEscalated {
                turn: id.clone(),
                from: e.from,
                to: e.to,
                because: e.because.clone(),
            }));
            if let Some((how, parent)) = &spec.follows {
                events.push(Event::TurnFollows {
                    turn: id.clone(),
                    parent: parent.clone(),
                    how: *how,
                    session: r.session.clone(),
                });
            }
            events.extend(extra(&id));
            events
        })?;
        let dir = self.turn_dir(&id);
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        Ok(id)
    }

    /// Creates a turn — the one place a turn gets its id: past every turn
    /// in the journal and every turn a ref still names (a journal lost while
    /// the refs stayed must not hand out an id whose commit is still kept).
    /// `events` makes the turn's `turn_created` (and what goes with it) for
    /// the id, appended under the journal lock. Returns the id.
    pub(crate) fn create_turn_with(
        &mut self,
        events: impl FnOnce(&str) -> Vec<Event>,
    ) -> Result<String> {
        let taken = self.highest_turn_ref();
        self.transact(|state| {
            let id = state.next_turn_id(taken);
            let events = events(&id);
            debug_assert!(
                matches!(events.first(), Some(Event::TurnCreated { turn, .. }) if *turn == id)
            );
            Ok((events, id))
        })
    }

    /// How a turn ends under policy: its class raised by the paths it
    /// changed (`changed` says whether it changed anything), the autonomy
    /// level that governs it at that class — floored when it touched a
    /// protected path, or a generic turn runs leash itself — and the
    /// verdict for its `failure` and invariants.
    pub(crate) fn conclude_turn(
        &self,
        turn: &Turn,
        changed: bool,
        paths: &[String],
        failure: Option<FailureClass>,
        invariants_pass: bool,
    ) -> Result<Conclusion> {
        let rules = policy::RiskRules::compile(&self.config.risk).map_err(Error::Refused)?;
        let hits: Vec<_> = paths
            .iter()
            .flat_map(|p| rules.classify_changed(p))
            .collect();
        // A diff that touches a protected path (or a generic turn that runs
        // leash itself) never lands by itself.
        let protected = policy::any_protected(&hits)
            || (turn.agent == "generic"
                && policy::any_protected(
                    &rules
                        .classify_argv(turn.command.as_deref().unwrap_or_default())
                        .hits,
                ));
        let (class, escalations) = policy::escalate(turn.risk, hits);
        let mut with_class = turn.clone();
        with_class.risk = class;
        let level = policy::floor_level(self.level_for(&with_class), protected);
        let verdict = policy::verdict(&TurnEnd {
            changed,
            failure,
            class,
            level,
            invariants_pass,
        });
        Ok(Conclusion {
            escalations,
            level,
            verdict,
        })
    }

    fn highest_turn_ref(&self) -> u64 {
        let Ok(refs) = self.repo.references_glob("refs/leash/*/t*") else {
            return 0;
        };
        refs.flatten()
            .filter_map(|r| {
                r.name()
                    .ok()
                    .and_then(|n| n.rsplit('/').next())
                    .and_then(crate::model::turn_number)
            })
            .max()
            .unwrap_or(0)
    }

    /// Runs a created turn to its end: worktree, agent, turn commit,
    /// escalation by the paths it touched, failure class, policy — and
    /// lands it when policy says so. Returns the turn's final state.
    pub fn supervise(&mut self, id: &str, spec: &TurnSpec) -> Result<TurnState> {
        let turn = self.turn(id)?.clone();
        let format = self.config.agents.get(&turn.agent).map(|a| a.format);
        let argv = self.with_gate(id, format, turn.command.clone().unwrap_or_default())?;
        // The turn is governed by the policy committed at its base, as its
        // gate is; how to run its agent was resolved when it was created.
        let base = turn.base.as_deref().map(Oid::from_str).transpose()?;
        if spec.base.is_some() {
            self.use_policy_at(base)?;
        }
        // With the gate in the agent's hooks, actions are journaled by the
        // gate; the stream adapter only reads usage and the outcome.
        let gated = argv.len() > turn.command.as_ref().map_or(0, Vec::len);
        let worktree = turn
            .worktree
            .as_deref()
            .map(PathBuf::from)
            .unwrap_or_else(|| self.worktree_path(id));
        // Cancellation: a signal to the supervisor ends the agent gracefully.
        let cancel = Arc::new(AtomicBool::new(false));
        for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            signal_hook::flag::register(sig, cancel.clone()).map_err(io_error(&worktree))?;
        }
        crash_point("worktree_creating");
        if let super::follow::Place::Checkout(at) = self.place_worktree(id, &worktree)?
            && let Err(e) = checkpoint::create_worktree_with(&self.repo, id, &worktree, at, || {
                crash_point("worktree_half_made")
            })
        {
            // The agent never starts: say why with the turn, rather
            // than leave it for recovery to find without a reason.
            self.append(vec![Event::TurnInterrupted {
                turn: id.to_string(),
                reason: Some(format!("its worktree could not be made: {e}")),
            }])?;
            return Err(e.into());
        }
        let log = self.turn_dir(id).join("output.log");
        // The turn's own temp dir, removed when the turn is over.
        let tmp = tempfile::Builder::new()
            .prefix(&format!("leash-{id}-"))
            .tempdir()
            .map_err(io_error(&std::env::temp_dir()))?;
        let tmp_path = tmp.path().display().to_string();
        let mut env = vec![
            ("LEASH_TURN".to_string(), id.to_string()),
            (
                "LEASH_WORKSPACE".to_string(),
                self.root.display().to_string(),
            ),
        ];
        for key in ["TMPDIR", "TMP", "TEMP"] {
            env.push((key.to_string(), tmp_path.clone()));
        }
        // A plain command reads its prompt here (a follow-up's too).
        if let Some(p) = &turn.prompt {
            env.push(("LEASH_PROMPT".to_string(), p.clone()));
        }
        let prepared = match self.confinement(id, &worktree, tmp.path(), &turn.agent, format) {
            Ok((event, prepared)) => {
                self.append(vec![event])?;
                Ok(prepared)
            }
            Err(why) => Err(why),
        };
        // What the agent may write, to tell its refusals from other errors.
        let granted: Option<Vec<PathBuf>> = match &prepared {
            Ok(Some(p)) => Some(p.writable.clone()),
            _ => None,
        };
        // A confined agent's hooks are answered here, outside its sandbox.
        let _relay = match granted {
            Some(_) => {
                let relay = crate::agents::gate_relay::Relay::start(
                    super::gate::handle,
                    &self.root,
                    id,
                    &worktree,
                    tmp.path(),
                )
                .map_err(io_error(&std::env::temp_dir()))?;
                env.push((
                    crate::agents::gate_relay::SOCKET_ENV.to_string(),
                    relay.socket.display().to_string(),
                ));
                Some(relay)
            }
            None => None,
        };
        let timeout = spec.timeout.or(self.config.run.timeout);
        let grace = self.config.run.grace;
        let rules = policy::RiskRules::compile(&self.config.risk).map_err(Error::Refused)?;
        let cwd = Some(worktree.display().to_string());
        let parser: Option<Box<dyn StreamFormat>> = match format {
            Some(AgentFormat::Claude) => Some(Box::new(Claude { cwd })),
            Some(AgentFormat::Codex) => Some(Box::new(Codex { cwd })),
            _ => None,
        };
        let default_risk = self.config.default_risk;
        let mut observer = TurnObserver {
            ws: self,
            turn: id.to_string(),
            worktree: worktree.display().to_string(),
            parser,
            summary: Summary::default(),
            open: HashMap::new(),
            journal_actions: !gated,
            risk: turn.risk,
            rules,
            default_risk,
            last_usage: None,
            model: None,
            argv_model: crate::agents::adapter::model_in_argv(&argv),
            budget: None,
        };
        observer.budget = (observer.ws.state.pass_of(id))
            .and_then(|(_, a)| super::budget::BudgetWatch::start(a.budget));
        let finished = match prepared {
            Ok(confine) => process::run(
                Spawn {
                    argv: &argv,
                    cwd: &worktree,
                    env,
                    log: &log,
                    timeout,
                    grace,
                    cancel,
                    confine,
                },
                &mut observer,
            ),
            Err(why) => Err(std::io::Error::other(format!(
                "the agent was not started: {why}"
            ))),
        };
        // Its last lines may have come after its exit was seen: a pass
        // that ended over its budget is over it all the same.
        observer.over_budget();
        let structured = observer.parser.is_some();
        let summary = observer.summary;
        let over_budget = observer.budget.and_then(|w| w.over);
        crash_point("agent_exited");
        let (exit, mut printed, spawn_error) = match finished {
            Ok(f) => (f.exit, f.printed, None),
            Err(e) => {
                let _ = fs::write(&log, format!("leash: {e}\n"));
                (Exit::Code(127), false, Some(e.to_string()))
            }
        };
        self.refresh()?;
        let refused = match &granted {
            Some(granted) => self.journal_refusals(id, &log, &worktree, granted)?,
            None => Vec::new(),
        };
        drop(tmp);
        let refused_by_agent = self
            .turn(id)?
            .denials
            .as_ref()
            .is_some_and(|d| d.by_agent());
        let reported = policy::reported_failure(
            summary.failure.as_ref().map(|(class, _)| *class),
            refused_by_agent,
        )
        .filter(|_| over_budget.is_none())
        .or(over_budget.as_ref().map(|_| FailureClass::BudgetExceeded));
        if structured {
            // A known stream's final message is its result, not the JSON.
            printed = summary
                .final_message
                .as_deref()
                .is_some_and(|m| !m.trim().is_empty());
        }
        self.finish(
            id,
            &worktree,
            base,
            Ended {
                exit,
                printed,
                spawn_error,
                reported,
                refused,
                over_budget,
            },
        )
    }

    /// Reads the agent's output for writes the kernel refused (see
    /// [`confine::refusals`]), journals each as `write_refused`, and returns
    /// their paths.
    fn journal_refusals(
        &mut self,
        id: &str,
        log: &Path,
        worktree: &Path,
        granted: &[PathBuf],
    ) -> Result<Vec<String>> {
        // The end of a long log is where an agent reports what failed.
        const WINDOW: u64 = 4 << 20;
        let text = {
            use std::io::{Read, Seek, SeekFrom};
            let mut buf = Vec::new();
            if let Ok(mut f) = fs::File::open(log) {
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                let _ = f.seek(SeekFrom::Start(len.saturating_sub(WINDOW)));
                let _ = f.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        };
        let cwd = worktree
            .canonicalize()
            .unwrap_or_else(|_| worktree.to_path_buf());
        let mut granted = granted.to_vec();
        granted.push(worktree.to_path_buf());
        let found = confine::refusals(&text, &cwd, &granted);
        if !found.is_empty() {
            self.append(
                found
                    .iter()
                    .map(|r| Event::WriteRefused {
                        turn: id.to_string(),
                        path: r.path.clone(),
                        line: r.line.clone(),
                    })
                    .collect(),
            )?;
        }
        Ok(found.into_iter().map(|r| r.path).collect())
    }

    fn finish(
        &mut self,
        id: &str,
        worktree: &Path,
        base: Option<Oid>,
        ended: Ended,
    ) -> Result<TurnState> {
        let Ended {
            exit,
            printed,
            spawn_error,
            reported,
            refused,
            over_budget,
        } = ended;
        let turn = self.turn(id)?.clone();
        let message = self.turn_message(&turn);
        let commit = checkpoint::commit_worktree(worktree, base, &message, &turn_ref(id))?;
        let stats = {
            let base_tree = checkpoint::tree_of(&self.repo, base)?;
            let tree = checkpoint::tree_of(&self.repo, Some(commit))?;
            checkpoint::stats(&self.repo, &base_tree, &tree)?
        };
        let changed = stats.files_changed > 0;
        let deliverable_ok = turn.deliverable.as_deref().map(|d| {
            let rel = config::expand_date_placeholders(d, chrono::Local::now().date_naive());
            fs::metadata(worktree.join(rel)).is_ok_and(|m| m.is_file() && m.len() > 0)
        });
        // The invariants run on the turn's tree (its worktree) before
        // policy decides; a newly dangling reference names the failure.
        // What the turn read and cited: its unread and stale sources are
        // listed for review, and checked when `citations` is configured.
        let sources = self.turn_sources(&turn, commit).ok();
        let citations = sources
            .as_ref()
            .map(|s| self.citations_of(worktree, s))
            .unwrap_or_default();
        let check = self.check_turn(worktree, base, turn.deliverable.as_deref(), sources)?;
        let mut failure = policy::end_failure(exit, changed, !printed, deliverable_ok, reported)
            .or_else(|| check.failure().filter(|_| changed));
        // A refused write that cost the turn its deliverable is what the
        // turn failed of, whatever the agent's exit said after it.
        use crate::model::FailureClass;
        let refused_failure = !refused.is_empty()
            && (!changed || deliverable_ok == Some(false))
            && matches!(
                failure,
                None | Some(FailureClass::Crashed | FailureClass::EmptyDeliverable)
            );
        if refused_failure {
            failure = Some(FailureClass::ContractViolation);
        }
        // A pipeline's pass is held to its contract, named file and rule.
        let contract = self
            .pass_contract(id, worktree, &stats.paths)
            .filter(|_| matches!(failure, None | Some(FailureClass::EmptyDeliverable)));
        if let Some((class, _)) = &contract {
            failure = Some(*class);
        }
        let Conclusion {
            escalations,
            level,
            verdict,
        } = self.conclude_turn(&turn, changed, &stats.paths, failure, check.all_pass())?;
        let mut reason = policy::outcome_reason(&verdict, turn.denials.as_ref());
        if !check.all_pass() {
            let failing = check.failing();
            reason.push_str(&format!("; invariants failing: {}", failing.join(", ")));
            if !check.introduced.is_empty() {
                reason.push_str(&format!(" (introduced: {})", check.introduced.join(", ")));
            }
        }
        if let Some((class, said)) = &contract {
            let prefix = class.reason_prefix();
            reason = reason.replacen(&prefix, &format!("{prefix}{said}; "), 1);
        }
        if refused_failure {
            let prefix = FailureClass::ContractViolation.reason_prefix();
            let mut list: Vec<&str> = refused.iter().take(3).map(String::as_str).collect();
            let more = refused.len().saturating_sub(list.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let said = format!("{prefix}write outside the worktree refused: ");
            list.dedup();
            reason = reason.replacen(&prefix, &format!("{said}{}{more}; ", list.join(", ")), 1);
        }
        if let Some(over) = &over_budget {
            reason = super::budget::over_budget_reason(&reason, over);
        }
        if let Some(e) = &spawn_error {
            reason = format!("{e}; {reason}");
        }
        let (code, signal) = match exit {
            Exit::Code(c) => (Some(c), None),
            Exit::Signal(s) => (None, Some(s)),
            Exit::TimedOut | Exit::Cancelled => (None, Some(libc::SIGTERM)),
        };
        // Policy landing holds the land lock from the decision on, so no
        // operator decision can slip in between.
        let _lock = matches!(verdict, Verdict::Land { .. })
            .then(|| self.land_lock())
            .transpose()?;
        let mut events: Vec<Event> = escalations
            .iter()
            .map(|e| Event::RiskEscalated {
                turn: id.to_string(),
                from: e.from,
                to: e.to,
                because: e.because.clone(),
            })
            .collect();
        if !self.config.invariants.is_empty() {
            events.push(self.checked_event(Some(id), commit.to_string(), &check));
        }
        events.push(Event::TurnFinished {
            turn: id.to_string(),
            exit: code,
            signal,
            failure,
            commit: Some(commit.to_string()),
            files_changed: stats.files_changed,
            insertions: stats.insertions,
            deletions: stats.deletions,
            autonomy: Some(level),
            reason: reason.clone(),
            paths: stats.paths.clone(),
            message_empty: !printed,
            citations: citations.clone(),
        });
        if let Verdict::Land { rule } = &verdict {
            events.push(Event::TurnDecided {
                turn: id.to_string(),
                decision: Decision::Approve,
                by: DecidedBy::Policy,
                reason: Some(rule.clone()),
                partial: None,
                receipt: None,
            });
        }
        self.append(events)?;
        match verdict {
            Verdict::Land { .. } => {
                if let Err(e) = self.land_decided(id) {
                    self.notices.push(format!(
                        "{id} was not landed by policy: {e}; it waits for review"
                    ));
                }
            }
            Verdict::NoChanges | Verdict::Failed { .. } => self.discard_worktree(id),
            Verdict::Review { .. } => {}
        }
        self.notify_review(id);
        Ok(self.turn(id)?.state)
    }
}

/// What policy makes of a turn's end (see [`Workspace::conclude_turn`]).
pub(crate) struct Conclusion {
    /// Each rise of the turn's class by the paths it changed, in order.
    pub escalations: Vec<Escalation>,
    /// The autonomy level that governed the decision.
    pub level: AutonomyLevel,
    pub verdict: Verdict,
}
