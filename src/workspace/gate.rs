//! The hook gate: `leash hook claude|codex`, called by the agents with one
//! event as JSON on stdin. It records sessions, in-place turns and actions
//! in the journal, decides each tool call by policy — the action's class
//! (path rules on what it writes, command rules on what it runs) against the
//! autonomy of that class — and, when an operator is needed, waits for one.
//!
//! The gate must never fail open: malformed input, an unreadable workspace
//! or an internal error answers a tool call with a deny that says why.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Error, Result, Workspace};
use crate::agents::adapter::ToolUse;
use crate::agents::claude::describe_tool;
use crate::agents::hook_answer::{self, allow, ask, deny};
pub use crate::agents::hook_answer::{Answer, Dialect, GateEnv, handle_panic, read_input};
use crate::config::{self, Allowed, Unattended};
use crate::event::{ActionDecision, Event, Needs};
use crate::model::{AutonomyLevel, DecidedBy};
use crate::policy::{self, TaskOverride};

/// Handles one hook call. Never panics into an open gate: the caller also
/// wraps it, and any error on a tool call becomes a deny.
pub fn handle(dialect: Dialect, input: &[u8], env: &GateEnv) -> Answer {
    let value: Value = match serde_json::from_slice(input) {
        Ok(v @ Value::Object(_)) => v,
        // Input that cannot be placed as any event is answered as a tool
        // call would be: a deny that says why (harmless to other events).
        Ok(other) => {
            return deny(&format!(
                "leash could not read the hook input: expected one JSON object with \
                 \"hook_event_name\", got {}",
                hook_answer::kind_of(&other)
            ));
        }
        Err(e) => {
            let empty = input.iter().all(u8::is_ascii_whitespace);
            return deny(&format!(
                "leash could not read the hook input: expected one JSON object with \
                 \"hook_event_name\", got {} bytes{}",
                input.len(),
                if empty {
                    " (empty)".to_string()
                } else {
                    format!(" that are not JSON ({e})")
                }
            ));
        }
    };
    let tool_call = hook_answer::is_tool_call(&value);
    // An input leash cannot read is a deny that names the field, for a
    // tool call; any other event goes on, with the problem on stderr.
    if let Some(problem) = hook_answer::problem(&value) {
        let reason = format!("leash could not read the hook input: {problem}");
        return if tool_call {
            deny(&reason)
        } else {
            Answer::note(format!("leash: {reason}"))
        };
    }
    let event = text(&value, "hook_event_name").unwrap_or("").to_string();
    let mut found = match initialised(&value, env) {
        Ok(repo) => Some(repo),
        Err(reason) => {
            return if tool_call {
                deny(&reason)
            } else {
                Answer::note(format!("leash: {reason}"))
            };
        }
    };
    match gate(dialect, &event, &value, env, &mut found) {
        Ok(answer) => answer,
        Err(e) if tool_call => deny(&format!("leash could not decide this tool call: {e}")),
        // Other events never block the agent; the problem is reported.
        Err(e) => Answer::note(format!("leash: {event}: {e}")),
    }
}

/// The directory the gate works for: the workspace of an isolated turn,
/// else the hook's `cwd`, else the agent's project directory.
fn gate_dir(value: &Value, env: &GateEnv) -> Option<PathBuf> {
    env.workspace
        .clone()
        .or_else(|| text(value, "cwd").map(PathBuf::from))
        .or_else(|| env.project_dir.clone())
}

/// Whether leash is on where the hook was called: a git repository with a
/// working tree whose `.leash/config.toml` is committed or present. Hooks
/// installed in a repository leash was never initialised in, or called
/// outside any repository, must not pass tool calls unrecorded. Reads are
/// denied there too: an allow from leash skips the agent's own checks, and
/// with no policy to apply and no journal to record it in, leash has no
/// ground to grant one; the deny says how to turn leash on or off.
/// The repository found is handed on, so the workspace is not looked for
/// twice.
fn initialised(value: &Value, env: &GateEnv) -> std::result::Result<git2::Repository, String> {
    let Some(dir) = gate_dir(value, env) else {
        return Err(
            "the hook input names no working directory (`cwd`), so leash cannot \
                    tell which repository this tool call is in"
                .into(),
        );
    };
    let repo = git2::Repository::discover(&dir).map_err(|_| {
        format!(
            "leash found no git repository at {}: leash supervises agents in a git \
             repository; run the agent inside one, or remove leash's hooks from this \
             agent's settings",
            dir.display()
        )
    })?;
    let Some(root) = repo.workdir() else {
        return Err(format!(
            "{} is a bare repository: leash needs a working tree",
            dir.display()
        ));
    };
    let present = root.join(config::CONFIG_FILE).is_file();
    let committed = || {
        repo.head().and_then(|h| h.peel_to_tree()).is_ok_and(|t| {
            t.get_path(std::path::Path::new(config::CONFIG_FILE))
                .is_ok()
        })
    };
    if present || committed() {
        return Ok(repo);
    }
    let root: PathBuf = root.components().collect();
    Err(format!(
        "leash is not initialised in {}: run `leash init` or `leash hooks uninstall`",
        root.display()
    ))
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn session_started(dialect: Dialect, session: &str, value: &Value, env: &GateEnv) -> Event {
    Event::SessionStarted {
        session: session.to_string(),
        agent: dialect.name().into(),
        cwd: text(value, "cwd").map(str::to_string),
        transcript: text(value, "transcript_path").map(str::to_string),
        confined: env.confined,
    }
}

/// The gate's workspace: in the repository `initialised` found, if it is
/// still at hand.
fn open(found: &mut Option<git2::Repository>, value: &Value, env: &GateEnv) -> Result<Workspace> {
    if let Some(repo) = found.take() {
        return Workspace::open_for_gate_in(repo);
    }
    let dir = gate_dir(value, env)
        .ok_or_else(|| Error::Refused("the hook input names no working directory".into()))?;
    Workspace::open_for_gate(&dir)
}

fn gate(
    dialect: Dialect,
    event: &str,
    value: &Value,
    env: &GateEnv,
    found: &mut Option<git2::Repository>,
) -> Result<Answer> {
    let session = text(value, "session_id").unwrap_or("unknown").to_string();
    match event {
        "SessionStart" => {
            let mut ws = open(found, value, env)?;
            if env.turn.is_none() {
                ws.append(vec![session_started(dialect, &session, value, env)])?;
            }
            Ok(Answer::default())
        }
        "UserPromptSubmit" => {
            if env.turn.is_none() {
                let mut ws = open(found, value, env)?;
                // Hooks installed mid-session never saw its start.
                if !ws.state.sessions.contains_key(&session) {
                    ws.append(vec![session_started(dialect, &session, value, env)])?;
                }
                let prompt = text(value, "prompt").unwrap_or("").to_string();
                ws.start_in_place(&session, dialect.name(), &prompt)?;
            }
            Ok(Answer::default())
        }
        "PreToolUse" => {
            let mut ws = open(found, value, env)?;
            pre_tool_use(&mut ws, dialect, &session, value, env)
        }
        "PostToolUse" => {
            let mut ws = open(found, value, env)?;
            post_tool_use(&mut ws, dialect, &session, value, env)?;
            Ok(Answer::default())
        }
        "Stop" => {
            if env.turn.is_none() {
                let mut ws = open(found, value, env)?;
                let message = text(value, "last_assistant_message").unwrap_or("");
                if let Some(id) = ws.state.running_in_place(&session).map(|t| t.id.clone()) {
                    ws.finish_in_place(&id, !message.trim().is_empty())?;
                }
            }
            Ok(Answer::default())
        }
        "SessionEnd" => {
            if env.turn.is_none() {
                let mut ws = open(found, value, env)?;
                if let Some(id) = ws.state.running_in_place(&session).map(|t| t.id.clone()) {
                    ws.finish_in_place(&id, true)?;
                }
                ws.append(vec![Event::SessionEnded {
                    session,
                    reason: text(value, "reason").map(str::to_string),
                }])?;
            }
            Ok(Answer::default())
        }
        // The agent waits for its user: an entry in the queue, and the
        // notify command.
        "Notification" => {
            let mut ws = open(found, value, env)?;
            if let Some(turn) = ws.needs_you_turn(&session, env.turn.as_deref()) {
                let message = text(value, "message").unwrap_or("the agent waits for you");
                let summary = format!("{}: {message}", dialect.name());
                ws.agent_needs_you(
                    &turn,
                    dialect.name(),
                    super::needs_you::NOTIFICATION_TOOL,
                    &summary,
                    value.clone(),
                )?;
            }
            Ok(Answer::default())
        }
        // Events leash does not act on are answered with silence.
        _ => Ok(Answer::default()),
    }
}

/// Tools that only look: they never need an operator.
const READ_ONLY: &[&str] = &[
    "Read",
    "NotebookRead",
    "Grep",
    "Glob",
    "LS",
    "WebSearch",
    "TodoWrite",
    "BashOutput",
    "ToolSearch",
    "ListMcpResourcesTool",
    "ReadMcpResourceTool",
    // Asks the agent's user at its own prompt; it changes nothing, and is
    // put in the queue as the agent's "I need you".
    "AskUserQuestion",
];

/// The paths a Codex patch adds, updates, deletes or moves to.
pub fn patch_paths(patch: &str) -> Vec<String> {
    let mut out: Vec<String> = patch
        .lines()
        .filter_map(|l| {
            [
                "*** Add File: ",
                "*** Update File: ",
                "*** Delete File: ",
                "*** Move to: ",
            ]
            .iter()
            .find_map(|p| l.strip_prefix(p))
        })
        .map(|p| p.trim().to_string())
        .collect();
    out.dedup();
    out
}

/// Describes a hooked tool call the way the stream adapters do.
fn describe(dialect: Dialect, value: &Value, cwd: Option<&str>) -> ToolUse {
    let id = text(value, "tool_use_id").unwrap_or("");
    let tool = text(value, "tool_name").unwrap_or("unknown");
    let input = value.get("tool_input").cloned().unwrap_or(Value::Null);
    if dialect == Dialect::Codex && tool == "apply_patch" {
        let patch = text(&input, "command").unwrap_or("");
        let paths: Vec<String> = patch_paths(patch)
            .into_iter()
            .map(|p| crate::agents::adapter::relative_to(&p, cwd))
            .collect();
        let mut t = ToolUse::new(id, tool, input.clone());
        t.summary = format!("apply_patch: {}", paths.join(", "));
        t.paths_written = paths;
        return t;
    }
    let mut t = describe_tool(id, tool, input.clone(), cwd);
    t.input = input;
    t
}

/// Finds (or, for an agent whose prompt hook did not run, makes) the turn a
/// hooked action belongs to.
fn turn_for(ws: &mut Workspace, dialect: Dialect, session: &str, env: &GateEnv) -> Result<String> {
    if let Some(t) = &env.turn {
        ws.turn(t)?;
        return Ok(t.clone());
    }
    if let Some(t) = ws.state.running_in_place(session) {
        return Ok(t.id.clone());
    }
    ws.start_in_place(session, dialect.name(), "")
}

/// The facts of a turn the gate decides with.
struct TurnFacts {
    base: Option<String>,
    worktree: Option<String>,
    policy: Option<String>,
    task: Option<String>,
    risk: crate::model::RiskClass,
    declared_risk: crate::model::RiskClass,
}

fn pre_tool_use(
    ws: &mut Workspace,
    dialect: Dialect,
    session: &str,
    value: &Value,
    env: &GateEnv,
) -> Result<Answer> {
    let turn_id = turn_for(ws, dialect, session, env)?;
    let cwd = text(value, "cwd").map(str::to_string);
    let tool = describe(dialect, value, cwd.as_deref());
    // What the gate needs of the turn (not the turn: it may hold
    // thousands of actions).
    let turn = {
        let t = ws.turn(&turn_id)?;
        TurnFacts {
            base: t.base.clone(),
            worktree: t.worktree.clone(),
            policy: t.policy.clone(),
            task: t.task.clone(),
            risk: t.risk,
            declared_risk: t.declared_risk,
        }
    };
    // An isolated turn works in its own worktree under the policy committed
    // at its base; an in-place turn in the checkout under the policy its
    // session started under (the branch head then).
    let root = if env.turn.is_some() {
        let base = turn.base.as_deref().map(git2::Oid::from_str).transpose()?;
        ws.use_policy_at(base)?;
        turn.worktree
            .as_deref()
            .map(PathBuf::from)
            .unwrap_or_else(|| ws.worktree_path(&turn_id))
    } else {
        // The policy the session started under, whatever HEAD holds now.
        ws.use_policy_of(turn.policy.as_deref())?;
        ws.root.clone()
    };
    let rules = policy::RiskRules::compile(&ws.config.risk).map_err(Error::Refused)?;
    let work_dir = cwd
        .as_deref()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.clone());
    let written = written_as_given(&tool);
    let hits = policy::classify_action(
        &rules,
        ws.config.default_risk,
        &root,
        &work_dir,
        &tool.tool,
        &written,
        &tool.commands,
    );
    // A call that `lower = true` rules cover whole is classed by them
    // alone: the operator said such calls are of that class.
    let lowered = rules.lowered(
        &root,
        &work_dir,
        &tool.tool,
        &written,
        &tool.commands,
        &hits,
    );
    let (class, hits) = match lowered {
        Some(low) => (
            low.iter()
                .map(|h| h.class)
                .max()
                .unwrap_or(turn.declared_risk),
            low,
        ),
        None => (
            hits.iter()
                .map(|h| h.class)
                .max()
                .unwrap_or(turn.declared_risk)
                .max(turn.declared_risk),
            hits,
        ),
    };
    let protected = hits
        .iter()
        .find(|h| h.kind == policy::HitKind::Protected)
        .map(|h| h.to_string());
    let (_, escalations) = policy::escalate(turn.risk, hits);
    let task = turn
        .task
        .as_deref()
        .and_then(|t| ws.task_autonomy(t))
        .map(|level| TaskOverride {
            declared: turn.declared_risk,
            level,
        });
    // Protected paths and commands never run above manual, whatever the
    // sliders or a task say.
    let level = policy::floor_level(
        policy::autonomy_for(class, &ws.sliders(), task),
        protected.is_some(),
    );
    let mutating = !READ_ONLY.contains(&tool.tool.as_str());
    let contained =
        edits_only_the_turns_worktree(env, &tool, &written, &work_dir, protected.is_some());
    // A read-only pass of a pipeline may change nothing but its `out`.
    let refusal = mutating
        .then(|| read_only_refusal(ws, &turn_id, &root, &work_dir, &tool, &written))
        .flatten();
    let needs = refusal.is_none() && mutating && level == AutonomyLevel::Manual && !contained;
    let operator = ws.console_present();
    let unattended = ws.config.gate.unattended;
    let what = tool.summary.clone();
    let free = match refusal {
        Some(why) => Some((ActionDecision::Deny, why)),
        None => (!needs).then(|| {
            free_pass(
                ws.config.gate.allowed,
                &tool,
                mutating,
                contained,
                format!("{class} = {level}"),
            )
        }),
    };
    // Allocate the action id and record it under the journal lock.
    let action = ws.transact(|state| {
        let t = state
            .turn(&turn_id)
            .ok_or_else(|| Error::UnknownTurn(turn_id.clone()))?;
        let action = format!("{turn_id}.a{}", t.action_count + 1);
        let mut events: Vec<Event> = escalations
            .iter()
            .map(|e| Event::RiskEscalated {
                turn: turn_id.clone(),
                from: e.from,
                to: e.to,
                because: e.because.clone(),
            })
            .collect();
        events.push(Event::ActionRequested {
            turn: turn_id.clone(),
            action: action.clone(),
            tool: tool.tool.clone(),
            summary: tool.summary.clone(),
            input: crate::agents::run::shorten(&tool.input),
            risk: class,
            needs: if needs { Needs::Approval } else { Needs::None },
            tool_use_id: Some(tool.id.clone()).filter(|i| !i.is_empty()),
        });
        if let Some((decision, reason)) = &free {
            events.push(Event::ActionDecided {
                action: action.clone(),
                decision: *decision,
                by: DecidedBy::Policy,
                reason: Some(reason.clone()),
                receipt: None,
            });
        } else if !operator {
            let (decision, reason) = match (unattended, &protected) {
                // A protected action is never left to the agent to ask.
                (_, Some(rule)) => (
                    ActionDecision::Deny,
                    format!(
                        "no operator is present (no leash console is open) to approve {what}, \
                         and {rule}; open `leash` to supervise"
                    ),
                ),
                (Unattended::Deny, None) => (
                    ActionDecision::Deny,
                    format!(
                        "no operator is present (no leash console is open) to approve {what} \
                         ({class} = manual); open `leash` to supervise, or change the autonomy"
                    ),
                ),
                (Unattended::Ask, _) => (
                    ActionDecision::Defer,
                    format!("no operator is present; {what} is left to the agent to ask"),
                ),
            };
            events.push(Event::ActionDecided {
                action: action.clone(),
                decision,
                by: DecidedBy::Unattended,
                reason: Some(reason),
                receipt: None,
            });
        }
        Ok((events, action))
    })?;
    if let Some((decision, reason)) = free {
        if tool.tool == super::needs_you::ASK_USER_TOOL {
            let question = super::needs_you::question_of(&tool.input);
            let summary = format!("{} asks: {question}", dialect.name());
            // The question goes on whatever this says: it is the agent's
            // user it asks.
            let _ = ws.agent_needs_you(
                &turn_id,
                dialect.name(),
                super::needs_you::ASK_USER_TOOL,
                &summary,
                tool.input.clone(),
            );
        }
        return Ok(answer_to(dialect, decision, &reason, &tool.input));
    }
    if !operator {
        let (_, a) = ws.state.action(&action).expect("just recorded");
        let reason = a
            .decision
            .as_ref()
            .and_then(|d| d.reason.clone())
            .unwrap_or_default();
        return Ok(match (unattended, &protected) {
            (Unattended::Ask, None) => ask(dialect, &format!("leash: {reason}")),
            _ => deny(&format!("leash: {reason}")),
        });
    }
    ws.notify_once(
        &turn_id,
        &action,
        &format!("leash: {turn_id} needs your approval"),
        &what,
    );
    wait_for_operator(ws, dialect, &action, &tool.input, env)
}

/// The file-editing tools, whose every written path is named in their input.
const FILE_EDITS: &[&str] = &["Write", "Edit", "MultiEdit", "NotebookEdit", "apply_patch"];

/// The paths a tool writes as the agent named them (absolute, or relative
/// to its `cwd`): the summary's paths are normalised by text, which would
/// take `link/..` past a symlink the kernel follows. Tools whose input
/// names no path keep the summary's.
fn written_as_given(tool: &ToolUse) -> Vec<String> {
    let given: Vec<String> = if tool.tool == "apply_patch" {
        patch_paths(text(&tool.input, "command").unwrap_or(""))
    } else {
        ["file_path", "notebook_path"]
            .iter()
            .find_map(|k| text(&tool.input, k))
            .map(str::to_string)
            .into_iter()
            .collect()
    };
    if given.len() == tool.paths_written.len() {
        given
    } else {
        tool.paths_written.clone()
    }
}

/// True when `tool` is a file edit of an isolated turn that is its own
/// work: nothing it writes is protected (so, with the turn's worktree as
/// the workspace, every path lands inside it, symlinks followed) and no
/// file it changes has other hard links, which the edit would change too.
/// Its diff waits at the turn's end anyway, so it needs no operator one
/// action at a time.
fn edits_only_the_turns_worktree(
    env: &GateEnv,
    tool: &ToolUse,
    written: &[String],
    cwd: &std::path::Path,
    protected: bool,
) -> bool {
    use std::os::unix::fs::MetadataExt;
    env.turn.is_some()
        && !protected
        && FILE_EDITS.contains(&tool.tool.as_str())
        && !written.is_empty()
        && written.iter().all(|p| {
            std::fs::metadata(cwd.join(p)).map_or(true, |m| !(m.is_file() && m.nlink() > 1))
        })
}

/// Why a mutating call of turn `turn` is refused when the turn is a
/// read-only pass of a pipeline: anything but a file edit of its `out`
/// (paths as given, from `cwd`, read lexically inside `root`).
fn read_only_refusal(
    ws: &Workspace,
    turn: &str,
    root: &std::path::Path,
    cwd: &std::path::Path,
    tool: &ToolUse,
    written: &[String],
) -> Option<String> {
    use std::path::Component;
    let (run, pass) = ws
        .state
        .pass_of(turn)
        .filter(|(_, a)| a.mode == crate::model::PassMode::ReadOnly)?;
    let is_out = |p: &String| {
        let mut at = PathBuf::new();
        for c in cwd.join(p).components() {
            match c {
                Component::ParentDir => {
                    at.pop();
                }
                Component::CurDir => {}
                c => at.push(c),
            }
        }
        at.strip_prefix(root)
            .is_ok_and(|rel| rel == std::path::Path::new(&pass.out))
    };
    let only_out = FILE_EDITS.contains(&tool.tool.as_str())
        && !written.is_empty()
        && written.iter().all(is_out);
    (!only_out).then(|| {
        format!(
            "pass {} of {} is read-only: it may change only {}",
            pass.pass, run.id, pass.out
        )
    })
}

/// What leash decides for a call that needs no operator, and why.
fn free_pass(
    allowed: Allowed,
    tool: &ToolUse,
    mutating: bool,
    contained: bool,
    autonomy: String,
) -> (ActionDecision, String) {
    let explicit = match allowed {
        Allowed::Explicit => ActionDecision::Allow,
        Allowed::Defer => ActionDecision::Defer,
    };
    if !mutating {
        // An explicit allow would skip the agent's own checks on reading
        // outside its directory, which leash's policy does not cover.
        if tool.paths_read.iter().any(|p| p.starts_with('/')) {
            return (
                ActionDecision::Defer,
                "reads outside the agent's directory: left to the agent's own permissions".into(),
            );
        }
        return (explicit, "reads only".into());
    }
    if contained {
        return (
            explicit,
            format!(
                "{autonomy}: edits only the turn's own worktree; its diff waits at the turn's end"
            ),
        );
    }
    (explicit, format!("{autonomy}: runs freely"))
}

/// The agent-dialect answer to a decision leash made without an operator.
fn answer_to(dialect: Dialect, decision: ActionDecision, reason: &str, input: &Value) -> Answer {
    match decision {
        ActionDecision::Allow => allow(dialect, &format!("leash: {reason}"), input),
        ActionDecision::Deny => deny(&format!("leash: {reason}")),
        ActionDecision::Defer => Answer::silence(),
    }
}

/// Waits for `action_decided` on `action`, from the console or `leash
/// allow|deny` in any terminal, up to the approval timeout.
fn wait_for_operator(
    ws: &mut Workspace,
    dialect: Dialect,
    action: &str,
    input: &Value,
    env: &GateEnv,
) -> Result<Answer> {
    let deadline = Instant::now() + ws.config.gate.approval_timeout;
    let poll = if env.poll.is_zero() {
        Duration::from_millis(100)
    } else {
        env.poll
    };
    loop {
        ws.refresh()?;
        if let Some((_, a)) = ws.state.action(action)
            && let Some(d) = &a.decision
        {
            let reason = d.reason.clone().unwrap_or_default();
            return Ok(match d.decision {
                ActionDecision::Allow => {
                    allow(dialect, &format!("allowed by the {} in leash", d.by), input)
                }
                ActionDecision::Defer => Answer::silence(),
                ActionDecision::Deny => deny(&format!(
                    "leash: denied by the {}{}",
                    d.by,
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                )),
            });
        }
        if Instant::now() >= deadline {
            let timeout = humantime::format_duration(ws.config.gate.approval_timeout).to_string();
            let action_id = action.to_string();
            ws.transact(|state| {
                let open = state
                    .action(&action_id)
                    .is_some_and(|(_, a)| a.decision.is_none());
                let ev = Event::ActionDecided {
                    action: action_id.clone(),
                    decision: ActionDecision::Deny,
                    by: DecidedBy::Timeout,
                    reason: Some(format!("no operator answered within {timeout}")),
                    receipt: None,
                };
                Ok((if open { vec![ev] } else { vec![] }, ()))
            })?;
            // Whoever decided first (the timeout or a late operator) stands.
            continue;
        }
        std::thread::sleep(poll);
    }
}

fn post_tool_use(
    ws: &mut Workspace,
    dialect: Dialect,
    session: &str,
    value: &Value,
    env: &GateEnv,
) -> Result<()> {
    let turn_id = match &env.turn {
        Some(t) => t.clone(),
        None => match ws.state.running_in_place(session) {
            Some(t) => t.id.clone(),
            None => return Ok(()),
        },
    };
    let cwd = text(value, "cwd").map(str::to_string);
    let tool = describe(dialect, value, cwd.as_deref());
    let response = value.get("tool_response");
    let ok = match response {
        Some(Value::Object(m)) => {
            !m.contains_key("error") && m.get("is_error") != Some(&json!(true))
        }
        Some(Value::String(s)) => {
            !s.starts_with("Exit code: 1") && !s.to_lowercase().starts_with("error")
        }
        _ => true,
    };
    let id = tool.id.clone();
    let prov = ws.provenance_of(
        &turn_id,
        &tool,
        cwd.as_deref().map(std::path::Path::new),
        response,
    );
    ws.transact(|state| {
        let Some(t) = state.turn(&turn_id) else {
            return Ok((vec![], ()));
        };
        let Some(a) = t.actions.iter().rev().find(|a| {
            !id.is_empty() && a.tool_use_id.as_deref() == Some(id.as_str()) && a.done.is_none()
        }) else {
            return Ok((vec![], ()));
        };
        Ok((
            vec![Event::ActionDone {
                action: a.id.clone(),
                ok,
                paths_read: tool.paths_read.clone(),
                paths_written: tool.paths_written.clone(),
                urls: tool.urls.clone(),
                sources: prov.sources.clone(),
                unknown_reads: prov.unknown_reads.clone(),
                written: prov.written.clone(),
            }],
            (),
        ))
    })
}
