//! Isolated turns: resolve what to run, create the turn, supervise the agent
//! in its worktree, commit what it left, classify the end and apply policy.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use git2::Oid;

use std::collections::HashMap;

use super::adapter::{Item, StreamFormat, Summary, ToolUse, Usage};
use super::claude::Claude;
use super::codex::Codex;
use super::confine;
use super::hooks_config;
use super::process::{self, Spawn};
use crate::checkpoint;
use crate::config;
use crate::config::{AgentFormat, ConfineMode, NetworkMode};
use crate::event::Event;
use crate::model::{DecidedBy, Decision, RiskClass, TurnKind, TurnState};
use crate::policy::{self, Exit, TurnEnd, Verdict};
use crate::workspace::{Error, Result, Workspace, crash_point, io_error, turn_ref};

/// What the operator asked to run (`leash run`'s options).
#[derive(Debug, Clone, Default)]
pub struct TurnSpec {
    pub task: Option<String>,
    pub agent: Option<String>,
    pub risk: Option<RiskClass>,
    pub title: Option<String>,
    pub prompt: Option<String>,
    /// A command given after `--`: a generic agent.
    pub command: Vec<String>,
    pub timeout: Option<Duration>,
    /// Start from this commit instead of the branch head (a replay).
    pub base: Option<String>,
}

/// A spec resolved against the workspace's tasks and agents.
#[derive(Debug, Clone)]
struct Resolved {
    task: Option<String>,
    agent: String,
    argv: Vec<String>,
    risk: RiskClass,
    title: String,
    prompt: Option<String>,
    deliverable: Option<String>,
    autonomy: Option<crate::model::AutonomyLevel>,
}

const TITLE_MAX: usize = 72;

/// A turn's title from text: its first non-blank line, cut to a commit
/// subject's length.
pub(crate) fn one_line(s: &str) -> String {
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() > TITLE_MAX {
        let cut: String = line.chars().take(TITLE_MAX - 1).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

/// A command line as a person would type it: each word quoted for a POSIX
/// shell when it needs it (`sh -c 'echo hi > note.md'`).
pub(crate) fn quote_argv(argv: &[String]) -> String {
    argv.iter()
        .map(|a| hooks_config::shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `program` can be started: a bare name is looked up in PATH as
/// the OS would; an absolute path must be an executable file. A relative
/// path is resolved in the turn's worktree, which does not exist yet, so it
/// is not checked here.
pub(crate) fn program_found(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return !Path::new(program).is_absolute() || executable(Path::new(program));
    }
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| executable(&dir.join(program)))
}

/// Why a turn cannot start its program, and how to install it.
fn program_missing(agent: &str, program: &str) -> String {
    let name = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.to_string());
    let install = match name.as_str() {
        "claude" => Some(("Claude Code", "npm install -g @anthropic-ai/claude-code")),
        "codex" => Some(("Codex", "npm install -g @openai/codex")),
        _ => None,
    };
    let whose = if agent == "generic" {
        String::new()
    } else {
        format!(" (agent `{agent}`)")
    };
    match install {
        Some((product, how)) => format!(
            "`{program}`{whose} is not installed, or not on PATH: install {product} with \
             `{how}`, then run this again; no turn was created"
        ),
        None if agent == "generic" => format!(
            "command not found: `{program}` (not on PATH, or not executable); no turn was created"
        ),
        None => format!(
            "command not found: `{program}`, the command of agent `{agent}` in {} (not on \
             PATH, or not executable): install it or fix [agents.{agent}] command; no turn \
             was created",
            config::CONFIG_FILE
        ),
    }
}

impl Workspace {
    /// The spec that starts turn `id`'s work again as a new turn: the same
    /// task (while tasks.toml still has it), agent or command, declared risk
    /// and prompt — or `prompt` instead — on the turn's own base, or on the
    /// branch head with `on_head` (the way forward for a turn whose branch
    /// moved under it).
    pub fn replay_spec(&self, id: &str, on_head: bool, prompt: Option<String>) -> Result<TurnSpec> {
        let t = self.turn(id)?;
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
        })
    }

    fn resolve(&self, spec: &TurnSpec) -> Result<Resolved> {
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
        let base = match &spec.base {
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
        // Ids are never reused, even if a journal was lost while refs stayed.
        let taken = self.highest_turn_ref();
        let pid = std::process::id();
        let worktrees = self.worktree_path("t0");
        let worktrees = worktrees.parent().expect("a worktree path has a parent");
        let id = self.transact(|state| {
            let id = crate::model::turn_id(state.max_turn.max(taken) + 1);
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
            Ok((events, id))
        })?;
        let dir = self.turn_dir(&id);
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        Ok(id)
    }

    /// The agent's argv with leash's hook gate added, so the gate decides
    /// tool calls inside isolated turns too: Claude gets `--settings` with
    /// leash's hooks, Codex `-c hooks.…` overrides (and the trust bypass its
    /// headless mode needs for hooks it has not reviewed).
    fn with_gate(
        &self,
        id: &str,
        format: Option<AgentFormat>,
        mut argv: Vec<String>,
    ) -> Result<Vec<String>> {
        // The scripted demo agent speaks Claude's stream but runs no hooks.
        if argv.get(1).map(String::as_str) == Some("demo-agent") {
            return Ok(argv);
        }
        let exe = std::env::current_exe().map_err(io_error(Path::new("leash")))?;
        let timeout = self.config.gate.approval_timeout.as_secs() + 30;
        match format {
            Some(AgentFormat::Claude) if !argv.is_empty() => {
                let path = self.turn_dir(id).join("claude-settings.json");
                let settings =
                    hooks_config::settings_for_turn(&exe, hooks_config::Agent::Claude, timeout);
                fs::write(&path, settings).map_err(io_error(&path))?;
                argv.splice(1..1, ["--settings".to_string(), path.display().to_string()]);
            }
            Some(AgentFormat::Codex) if !argv.is_empty() => {
                let command = hooks_config::hook_command(&exe, hooks_config::Agent::Codex);
                let at = if argv.get(1).map(String::as_str) == Some("exec") {
                    2
                } else {
                    1
                };
                let mut extra = Vec::new();
                for (event, t) in [("PreToolUse", timeout), ("PostToolUse", 30)] {
                    extra.push("-c".to_string());
                    extra.push(format!(
                        "hooks.{event}=[{{matcher=\"*\",hooks=[{{type=\"command\",command={},timeout={t}}}]}}]",
                        toml_string(&command)
                    ));
                }
                extra.push("--dangerously-bypass-hook-trust".to_string());
                argv.splice(at..at, extra);
            }
            _ => {}
        }
        Ok(argv)
    }

    /// How isolated turns would be confined here and now, for `leash
    /// check`: the kernel's Landlock ABI (0: none) and, when they would not
    /// be confined as configured, why.
    pub fn confinement_status(&self) -> ConfinementStatus {
        let run = &self.config.run;
        let abi = confine::probe_abi();
        let warning = if run.confine == ConfineMode::Off {
            Some(format!(
                "confinement is off ([run] confine = \"off\" in {}): isolated turns may write \
                 anywhere their user can",
                config::CONFIG_FILE
            ))
        } else if let Some(why) = self.cannot_confine(abi, "") {
            Some(format!("{why}: isolated turns will be refused"))
        } else if abi == 0 {
            let required = self.agents_requiring_confinement();
            Some(if required.is_empty() {
                "this kernel has no Landlock (or it is disabled): isolated turns run \
                 unconfined and may write anywhere their user can"
                    .to_string()
            } else {
                format!(
                    "this kernel has no Landlock (or it is disabled): isolated turns run \
                     unconfined and may write anywhere their user can, and turns of {} \
                     (confine = \"require\") will be refused",
                    required.join(", ")
                )
            })
        } else if run.network == NetworkMode::Deny && abi < confine::NET_ABI {
            Some(format!(
                "network = \"deny\" is not enforced: this kernel's Landlock (ABI {abi}) has \
                 no TCP rules (ABI {} or later)",
                confine::NET_ABI
            ))
        } else {
            None
        };
        ConfinementStatus {
            mode: run.confine,
            abi,
            confined: run.confine != ConfineMode::Off && abi > 0,
            network: run.network,
            allow_connect_ports: run.allow_connect_ports.clone(),
            warning,
        }
    }

    /// How turns of `agent` are confined: its own `[agents.NAME] confine`
    /// when it has one, else `[run] confine`.
    pub fn confine_mode(&self, agent: &str) -> ConfineMode {
        self.config
            .agents
            .get(agent)
            .and_then(|a| a.confine)
            .unwrap_or(self.config.run.confine)
    }

    /// The config key that sets `agent`'s confinement, for messages.
    fn confine_key(&self, agent: &str) -> String {
        match self.config.agents.get(agent).and_then(|a| a.confine) {
            Some(_) => format!("[agents.{agent}] confine"),
            None => "[run] confine".to_string(),
        }
    }

    /// The agents whose own `confine = "require"` refuses their turns where
    /// they cannot be confined.
    fn agents_requiring_confinement(&self) -> Vec<String> {
        self.config
            .agents
            .iter()
            .filter(|(_, a)| a.confine == Some(ConfineMode::Require))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Why a turn of `agent` may not start on a kernel of Landlock ABI
    /// `abi` under `confine = "require"`; `None` when it may.
    fn cannot_confine(&self, abi: u32, agent: &str) -> Option<String> {
        let run = &self.config.run;
        if self.confine_mode(agent) != ConfineMode::Require {
            return None;
        }
        let key = self.confine_key(agent);
        if abi == 0 {
            return Some(format!(
                "{key} = \"require\" in {}, and this kernel has no Landlock \
                 (or it is disabled): the agent cannot be confined",
                config::CONFIG_FILE
            ));
        }
        if run.network == NetworkMode::Deny && abi < confine::NET_ABI {
            return Some(format!(
                "{key} = \"require\" and [run] network = \"deny\" in {}, and this \
                 kernel's Landlock (ABI {abi}) has no TCP rules (ABI {} or later)",
                config::CONFIG_FILE,
                confine::NET_ABI
            ));
        }
        None
    }

    /// Decides how turn `id` is confined and builds its ruleset: the event
    /// that records it, and the ruleset to enforce (none when the turn runs
    /// unconfined). `Err` when it must not start at all.
    fn confinement(
        &self,
        id: &str,
        worktree: &Path,
        tmp: &Path,
        agent: &str,
        format: Option<AgentFormat>,
    ) -> std::result::Result<(Event, Option<confine::Prepared>), String> {
        let run = &self.config.run;
        let unconfined = |warning: String| Event::TurnConfined {
            turn: id.to_string(),
            confined: false,
            abi: None,
            writable: Vec::new(),
            connect_ports: None,
            warning: Some(warning),
        };
        let mode = self.confine_mode(agent);
        if mode == ConfineMode::Off {
            return Ok((
                unconfined(format!(
                    "confinement is off ({} = \"off\" in {}): the agent may write \
                     anywhere its user can",
                    self.confine_key(agent),
                    config::CONFIG_FILE
                )),
                None,
            ));
        }
        let abi = confine::probe_abi();
        if let Some(why) = self.cannot_confine(abi, agent) {
            return Err(why);
        }
        if abi == 0 {
            return Ok((
                unconfined(
                    "this kernel has no Landlock (or it is disabled): the agent runs \
                     unconfined and may write anywhere its user can"
                        .to_string(),
                ),
                None,
            ));
        }
        // Codex sandboxes the commands it runs with bubblewrap, which must
        // mount and map user ids: inside a Landlock domain the kernel
        // refuses both, and every command would fail before it ran (its
        // legacy Landlock mode fails here too). One sandbox or the other:
        // a Codex that sandboxes itself runs in its own, said on the turn;
        // one told not to (`--sandbox danger-full-access`) runs in leash's.
        if let Some(why) = codex_sandboxes_itself(
            format,
            self.turn(id)
                .ok()
                .and_then(|t| t.command.as_deref())
                .unwrap_or_default(),
        ) {
            if mode == ConfineMode::Require {
                return Err(codex_require_refusal(&self.confine_key(agent), &why));
            }
            return Ok((
                unconfined(format!(
                    "{why}: this turn is confined by Codex's sandbox, not by leash's \
                     (`--sandbox danger-full-access` in the agent's command hands it to leash)"
                )),
                None,
            ));
        }
        let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let mut writable = vec![canon(worktree), canon(tmp)];
        // Git in the worktree: its own admin dir (index, HEAD, logs) and
        // the shared object store; refs, config and hooks stay out of reach.
        let common = self.repo.commondir().to_path_buf();
        writable.push(canon(&common.join("objects")));
        writable.push(canon(
            &common.join("worktrees").join(checkpoint::worktree_name(id)),
        ));
        writable.extend(confine::devices());
        // The scripted demo agent speaks Claude's stream but keeps no state.
        let demo = self
            .turn(id)
            .ok()
            .and_then(|t| t.command.as_ref())
            .is_some_and(|argv| argv.get(1).map(String::as_str) == Some("demo-agent"));
        let state_paths = match self
            .config
            .agents
            .get(agent)
            .and_then(|a| a.writable.clone())
        {
            Some(paths) => paths,
            None if demo => Vec::new(),
            None => confine::default_writable(format.unwrap_or_default()),
        };
        writable.extend(confine::state_paths(&state_paths));
        // The hook gate runs as the agent's child, inside the sandbox: it
        // hands its calls to the supervisor (`gate_relay`), so the journal
        // stays out of reach.
        let (connect_ports, warning) = confine::connect_ports(run, abi);
        let prepared = confine::prepare(
            abi,
            &confine::Request {
                writable,
                connect_ports,
            },
        )?;
        let event = Event::TurnConfined {
            turn: id.to_string(),
            confined: true,
            abi: Some(abi),
            writable: prepared
                .writable
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            connect_ports: prepared.connect_ports.clone(),
            warning,
        };
        Ok((event, Some(prepared)))
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
        checkpoint::create_worktree_with(&self.repo, id, &worktree, base, || {
            crash_point("worktree_half_made")
        })?;
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
                let relay = super::gate_relay::Relay::start(&self.root, id, &worktree, tmp.path())
                    .map_err(io_error(&std::env::temp_dir()))?;
                env.push((
                    super::gate_relay::SOCKET_ENV.to_string(),
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
        };
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
        let structured = observer.parser.is_some();
        let summary = observer.summary;
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
        );
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

        let rules = policy::RiskRules::compile(&self.config.risk).map_err(Error::Refused)?;
        let hits: Vec<_> = stats
            .paths
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
        let deliverable_ok = turn.deliverable.as_deref().map(|d| {
            let rel = config::expand_date_placeholders(d, chrono::Local::now().date_naive());
            fs::metadata(worktree.join(rel)).is_ok_and(|m| m.is_file() && m.len() > 0)
        });
        // The invariants run on the turn's tree (its worktree) before
        // policy decides; a newly dangling reference names the failure.
        let check = self.check_turn(worktree, base, turn.deliverable.as_deref())?;
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
        let mut with_class = turn.clone();
        with_class.risk = class;
        let level = policy::floor_level(self.level_for(&with_class), protected);
        let verdict = policy::verdict(&TurnEnd {
            changed,
            failure,
            class,
            level,
            invariants_pass: check.all_pass(),
        });
        let mut reason = policy::outcome_reason(&verdict, turn.denials.as_ref());
        if !check.all_pass() {
            let failing: Vec<&str> = check
                .results
                .iter()
                .filter(|r| !crate::checks::passes(r))
                .map(|r| r.name.as_str())
                .collect();
            reason.push_str(&format!("; invariants failing: {}", failing.join(", ")));
            if !check.introduced.is_empty() {
                reason.push_str(&format!(" (introduced: {})", check.introduced.join(", ")));
            }
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
            events.push(Self::checked_event(Some(id), commit.to_string(), &check));
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
        });
        if let Verdict::Land { rule } = &verdict {
            events.push(Event::TurnDecided {
                turn: id.to_string(),
                decision: Decision::Approve,
                by: DecidedBy::Policy,
                reason: Some(rule.clone()),
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
        Ok(self.turn(id)?.state)
    }
}

/// How isolated turns would be confined, as `leash check` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConfinementStatus {
    pub mode: ConfineMode,
    /// The kernel's Landlock ABI; 0 when it has none.
    pub abi: u32,
    /// Whether turns would run confined.
    pub confined: bool,
    pub network: NetworkMode,
    pub allow_connect_ports: Vec<u16>,
    pub warning: Option<String>,
}

impl ConfinementStatus {
    /// One line for a person.
    pub fn sentence(&self) -> String {
        let mut s = if self.confined {
            format!(
                "isolated turns run confined (Landlock ABI {}, confine = \"{}\")",
                self.abi, self.mode
            )
        } else {
            format!(
                "isolated turns run UNCONFINED (confine = \"{}\")",
                self.mode
            )
        };
        if self.confined && self.network == NetworkMode::Deny && self.abi >= confine::NET_ABI {
            let ports: Vec<String> = self
                .allow_connect_ports
                .iter()
                .map(u16::to_string)
                .collect();
            s.push_str(&format!(
                "; outbound TCP only to port {}",
                if ports.is_empty() {
                    "(none)".to_string()
                } else {
                    ports.join(", ")
                }
            ));
        }
        s
    }
}

/// A TOML string holding `s`, for a `-c key=value` override.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// How the agent's run ended, as the supervisor saw it.
struct Ended {
    exit: Exit,
    printed: bool,
    spawn_error: Option<String>,
    reported: Option<crate::model::FailureClass>,
    /// Paths outside the worktree whose writes the kernel refused.
    refused: Vec<String>,
}

/// Turns what a running agent says into journal events as it says it:
/// each tool call is an action (`action_requested`, then `action_done`),
/// token usage is journaled, and an action that writes under a high-risk
/// path or runs a high-risk command raises the turn's class at once.
struct TurnObserver<'w> {
    ws: &'w mut Workspace,
    turn: String,
    worktree: String,
    parser: Option<Box<dyn StreamFormat>>,
    summary: Summary,
    /// Tool calls waiting for their result: tool_use id → (action id, call).
    open: HashMap<String, (String, ToolUse)>,
    /// False when the hook gate journals the actions itself.
    journal_actions: bool,
    risk: RiskClass,
    rules: policy::RiskRules,
    default_risk: RiskClass,
    last_usage: Option<Usage>,
}

/// Longest string kept in a journaled tool input; the journal holds state,
/// not file contents.
const INPUT_MAX: usize = 2000;

/// A tool input with long strings cut, fit for the journal.
pub(crate) fn shorten(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) if s.len() > INPUT_MAX => {
            let mut cut = INPUT_MAX;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            serde_json::Value::String(format!(
                "{}… ({})",
                &s[..cut],
                crate::words::count(s.len() - cut, "more byte")
            ))
        }
        serde_json::Value::Object(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), shorten(v))).collect())
        }
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(shorten).collect()),
        other => other.clone(),
    }
}

impl TurnObserver<'_> {
    fn action_events(&mut self, items: &[Item]) -> Vec<Event> {
        let mut events = Vec::new();
        for item in items {
            match item {
                Item::ToolUse(t) if self.journal_actions => {
                    let n = self
                        .ws
                        .state
                        .turn(&self.turn)
                        .map_or(0, |t| t.actions.len())
                        + 1
                        + events
                            .iter()
                            .filter(|e| matches!(e, Event::ActionRequested { .. }))
                            .count();
                    let action = format!("{}.a{n}", self.turn);
                    let worktree = Path::new(&self.worktree);
                    let hits = policy::classify_action(
                        &self.rules,
                        self.default_risk,
                        worktree,
                        worktree,
                        &t.tool,
                        &t.paths_written,
                        &t.commands,
                    );
                    let class = hits
                        .iter()
                        .map(|h| h.class)
                        .max()
                        .unwrap_or(self.risk)
                        .max(self.risk);
                    let (to, escalations) = policy::escalate(self.risk, hits);
                    self.risk = to;
                    events.extend(escalations.into_iter().map(|e| Event::RiskEscalated {
                        turn: self.turn.clone(),
                        from: e.from,
                        to: e.to,
                        because: e.because,
                    }));
                    events.push(Event::ActionRequested {
                        turn: self.turn.clone(),
                        action: action.clone(),
                        tool: t.tool.clone(),
                        summary: t.summary.clone(),
                        input: shorten(&t.input),
                        risk: class,
                        needs: crate::event::Needs::None,
                        tool_use_id: Some(t.id.clone()),
                    });
                    self.open.insert(t.id.clone(), (action, t.clone()));
                }
                Item::ToolResult { id, ok, .. } => {
                    if let Some((action, t)) = self.open.remove(id) {
                        events.push(Event::ActionDone {
                            action,
                            ok: *ok,
                            paths_read: t.paths_read,
                            paths_written: t.paths_written,
                            urls: t.urls,
                        });
                    }
                }
                Item::Usage(u) if self.last_usage != Some(*u) => {
                    self.last_usage = Some(*u);
                    events.push(Event::Usage {
                        turn: self.turn.clone(),
                        input_tokens: u.input_tokens,
                        output_tokens: u.output_tokens,
                        context_window: u.context_window,
                    });
                }
                _ => {}
            }
        }
        events
    }
}

impl TurnObserver<'_> {
    /// The agent refused the tool call `id` by its own rules: when leash
    /// had let it through (allowed or deferred), that refusal is what
    /// happened to it, journaled as a deny by the agent. A call leash
    /// denied itself, or one already refused, is left as it is.
    ///
    /// Claude's stream names the call by the id its hooks saw; Codex's
    /// stream has ids of its own, so its refusal is matched to the latest
    /// open action of the same tool (and, for a command, the same line).
    fn refused(&mut self, id: &str, tool: &str, summary: &str, message: &str) -> Result<()> {
        use crate::event::ActionDecision;
        let turn = self.turn.clone();
        self.ws.transact(|state| {
            let open = |a: &&crate::state::ActionInfo| {
                a.done.is_none()
                    && a.decision
                        .as_ref()
                        .is_none_or(|d| d.decision != ActionDecision::Deny)
            };
            let action = state.turn(&turn).and_then(|t| {
                let by_id = t
                    .actions
                    .iter()
                    .rev()
                    .find(|a| !id.is_empty() && a.tool_use_id.as_deref() == Some(id));
                match by_id {
                    Some(a) => Some(a).filter(|a| {
                        a.decision
                            .as_ref()
                            .is_none_or(|d| d.decision != ActionDecision::Deny)
                    }),
                    None => t.actions.iter().rev().filter(open).find(|a| {
                        a.tool == tool && (tool == "apply_patch" || a.summary == summary)
                    }),
                }
            });
            let Some(a) = action else {
                return Ok((vec![], ()));
            };
            Ok((
                vec![Event::ActionDecided {
                    action: a.id.clone(),
                    decision: crate::event::ActionDecision::Deny,
                    by: DecidedBy::Agent,
                    reason: Some(super::adapter::shorten(message, 400)),
                }],
                (),
            ))
        })
    }
}

impl process::Observer for TurnObserver<'_> {
    fn started(&mut self, agent_pid: u32, agent_start: Option<u64>) {
        let me = std::process::id();
        let started = Event::TurnStarted {
            turn: self.turn.clone(),
            supervisor_pid: me,
            supervisor_start: process::start_time(me),
            agent_pid,
            agent_start,
            worktree: Some(self.worktree.clone()),
        };
        if let Err(e) = self.ws.append(vec![started]) {
            self.ws
                .notices
                .push(format!("could not journal the start of {}: {e}", self.turn));
        }
    }

    fn line(&mut self, line: &str) {
        let Some(parser) = &self.parser else { return };
        let items = parser.parse_line(line);
        self.summary.feed(&items);
        let events = self.action_events(&items);
        if !events.is_empty()
            && let Err(e) = self.ws.append(events)
        {
            self.ws
                .notices
                .push(format!("could not journal an action of {}: {e}", self.turn));
        }
        for item in &items {
            if let Item::Refused {
                id,
                tool,
                summary,
                message,
            } = item
                && let Err(e) = self.refused(id, tool, summary, message)
            {
                self.ws.notices.push(format!(
                    "could not journal the agent's refusal in {}: {e}",
                    self.turn
                ));
            }
        }
    }
}

/// Why leash leaves a Codex turn to Codex's own sandbox, when it does.
fn codex_sandboxes_itself(format: Option<AgentFormat>, argv: &[String]) -> Option<String> {
    let mode = codex_own_sandbox(argv).filter(|_| format == Some(AgentFormat::Codex))?;
    Some(format!(
        "Codex sandboxes its own commands ({mode}) with bubblewrap, which cannot run inside \
         Landlock"
    ))
}

fn codex_require_refusal(key: &str, why: &str) -> String {
    format!(
        "{key} = \"require\" in {}, and {why}: give the agent's command `--sandbox \
         danger-full-access` so that leash's confinement is its sandbox",
        config::CONFIG_FILE
    )
}

/// The sandbox a Codex command line asks Codex to apply to its own
/// commands (`--sandbox MODE`, `-s MODE`, or read-only by default), or
/// `None` when it is told to apply none (`danger-full-access`, or
/// `--dangerously-bypass-approvals-and-sandbox`).
fn codex_own_sandbox(argv: &[String]) -> Option<String> {
    let mut mode = "read-only".to_string();
    let mut args = argv.iter().skip(1);
    while let Some(a) = args.next() {
        if a == "--dangerously-bypass-approvals-and-sandbox" || a == "--yolo" {
            return None;
        }
        if let Some(m) = a.strip_prefix("--sandbox=") {
            mode = m.to_string();
        } else if (a == "--sandbox" || a == "-s")
            && let Some(m) = args.next()
        {
            mode = m.clone();
        }
    }
    (mode != "danger-full-access").then_some(mode)
}

#[cfg(test)]
mod codex_sandbox_tests {
    use super::codex_own_sandbox;

    fn argv(words: &str) -> Vec<String> {
        words.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_codex_command_line_says_which_sandbox_codex_applies_itself() {
        let mode = |w: &str| codex_own_sandbox(&argv(w));
        assert_eq!(
            mode("codex exec --json --sandbox workspace-write hi").as_deref(),
            Some("workspace-write")
        );
        assert_eq!(
            mode("codex exec -s read-only hi").as_deref(),
            Some("read-only")
        );
        assert_eq!(mode("codex exec hi").as_deref(), Some("read-only"));
        assert_eq!(mode("codex exec --sandbox=danger-full-access hi"), None);
        assert_eq!(mode("codex exec --sandbox danger-full-access hi"), None);
        assert_eq!(
            mode("codex exec --dangerously-bypass-approvals-and-sandbox hi"),
            None
        );
    }
}
