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

use super::adapter::ToolUse;
use super::claude::describe_tool;
use crate::config::Unattended;
use crate::event::{ActionDecision, Event, Needs};
use crate::model::{AutonomyLevel, DecidedBy};
use crate::policy::{self, TaskOverride};
use crate::workspace::{Error, Result, Workspace};

/// Which agent's hook dialect to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Claude,
    Codex,
}

impl Dialect {
    /// The agent's name in the journal.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Claude => "claude",
            Dialect::Codex => "codex",
        }
    }
}

/// What the hook process prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Where the gate runs: the variables leash and the agents set.
#[derive(Debug, Clone, Default)]
pub struct GateEnv {
    /// `LEASH_WORKSPACE`: set inside isolated turns.
    pub workspace: Option<PathBuf>,
    /// `LEASH_TURN`: the isolated turn the agent runs in.
    pub turn: Option<String>,
    /// `CLAUDE_PROJECT_DIR`, or the hook's own working directory.
    pub project_dir: Option<PathBuf>,
    /// How often to look for the operator's decision while waiting.
    pub poll: Duration,
}

impl GateEnv {
    /// The environment of this process.
    pub fn from_process() -> GateEnv {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        GateEnv {
            workspace: var("LEASH_WORKSPACE").map(PathBuf::from),
            turn: var("LEASH_TURN").map(|v| v.to_string_lossy().into_owned()),
            project_dir: var("CLAUDE_PROJECT_DIR")
                .map(PathBuf::from)
                .or_else(|| std::env::current_dir().ok()),
            poll: Duration::from_millis(100),
        }
    }
}

/// Both agents take Claude's shape of a deny; Codex insists on a non-empty
/// reason, so there always is one.
fn deny(reason: &str) -> Answer {
    let reason = if reason.trim().is_empty() {
        "denied by leash"
    } else {
        reason
    };
    Answer {
        stdout: json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }})
        .to_string(),
        stderr: String::new(),
        code: 0,
    }
}

fn allow(dialect: Dialect, reason: &str) -> Answer {
    match dialect {
        Dialect::Claude => Answer {
            stdout: json!({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "allow",
                "permissionDecisionReason": reason,
            }})
            .to_string(),
            ..Answer::default()
        },
        // Codex honours "allow" only with updatedInput; saying nothing lets
        // the tool run.
        Dialect::Codex => Answer::default(),
    }
}

fn ask(dialect: Dialect, reason: &str) -> Answer {
    match dialect {
        Dialect::Claude => Answer {
            stdout: json!({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "ask",
                "permissionDecisionReason": reason,
            }})
            .to_string(),
            ..Answer::default()
        },
        // Codex rejects "ask"; silence leaves the choice to it.
        Dialect::Codex => Answer::default(),
    }
}

/// Handles one hook call. Never panics into an open gate: the caller also
/// wraps it, and any error on a tool call becomes a deny.
pub fn handle(dialect: Dialect, input: &[u8], env: &GateEnv) -> Answer {
    let value: Value = match serde_json::from_slice(input) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) | Err(_) => {
            let text = String::from_utf8_lossy(input);
            let reason = format!(
                "leash could not read the hook input: expected one JSON object with \
                 \"hook_event_name\", got {} bytes{}",
                input.len(),
                if text.trim().is_empty() {
                    " (empty)".to_string()
                } else {
                    String::new()
                }
            );
            return if text.contains("PreToolUse") || !text.contains("hook_event_name") {
                deny(&reason)
            } else {
                Answer {
                    stderr: reason,
                    ..Answer::default()
                }
            };
        }
    };
    let event = value
        .get("hook_event_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match gate(dialect, &event, &value, env) {
        Ok(answer) => answer,
        Err(e) if event == "PreToolUse" || event.is_empty() => {
            deny(&format!("leash could not decide this tool call: {e}"))
        }
        // Other events never block the agent; the problem is reported.
        Err(e) => Answer {
            stderr: format!("leash: {event}: {e}"),
            ..Answer::default()
        },
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn session_started(dialect: Dialect, session: &str, value: &Value) -> Event {
    Event::SessionStarted {
        session: session.to_string(),
        agent: dialect.name().into(),
        cwd: text(value, "cwd").map(str::to_string),
        transcript: text(value, "transcript_path").map(str::to_string),
    }
}

fn open(value: &Value, env: &GateEnv) -> Result<Workspace> {
    let dir = env
        .workspace
        .clone()
        .or_else(|| text(value, "cwd").map(PathBuf::from))
        .or_else(|| env.project_dir.clone())
        .ok_or_else(|| Error::Refused("the hook input names no working directory".into()))?;
    Workspace::open(&dir)
}

fn gate(dialect: Dialect, event: &str, value: &Value, env: &GateEnv) -> Result<Answer> {
    let session = text(value, "session_id").unwrap_or("unknown").to_string();
    match event {
        "SessionStart" => {
            let mut ws = open(value, env)?;
            if env.turn.is_none() {
                ws.append(vec![session_started(dialect, &session, value)])?;
            }
            Ok(Answer::default())
        }
        "UserPromptSubmit" => {
            if env.turn.is_none() {
                let mut ws = open(value, env)?;
                // Hooks installed mid-session never saw its start.
                if !ws.state.sessions.contains_key(&session) {
                    ws.append(vec![session_started(dialect, &session, value)])?;
                }
                let prompt = text(value, "prompt").unwrap_or("").to_string();
                ws.start_in_place(&session, dialect.name(), &prompt)?;
            }
            Ok(Answer::default())
        }
        "PreToolUse" => {
            let mut ws = open(value, env)?;
            pre_tool_use(&mut ws, dialect, &session, value, env)
        }
        "PostToolUse" => {
            let mut ws = open(value, env)?;
            post_tool_use(&mut ws, dialect, &session, value, env)?;
            Ok(Answer::default())
        }
        "Stop" => {
            if env.turn.is_none() {
                let mut ws = open(value, env)?;
                let message = text(value, "last_assistant_message").unwrap_or("");
                if let Some(id) = ws.state.running_in_place(&session).map(|t| t.id.clone()) {
                    ws.finish_in_place(&id, !message.trim().is_empty())?;
                }
            }
            Ok(Answer::default())
        }
        "SessionEnd" => {
            if env.turn.is_none() {
                let mut ws = open(value, env)?;
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
            .map(|p| super::adapter::relative_to(&p, cwd))
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
    let turn = ws.turn(&turn_id)?.clone();
    // An isolated turn works in its own worktree under the policy committed
    // at its base; an in-place turn in the checkout under the branch's.
    let root = if env.turn.is_some() {
        let base = turn.base.as_deref().map(git2::Oid::from_str).transpose()?;
        ws.use_policy_at(base)?;
        turn.worktree
            .as_deref()
            .map(PathBuf::from)
            .unwrap_or_else(|| ws.worktree_path(&turn_id))
    } else {
        ws.root.clone()
    };
    let rules = policy::RiskRules::compile(&ws.config.risk).map_err(Error::Refused)?;
    let hits = policy::classify_action(
        &rules,
        ws.config.default_risk,
        &root,
        &cwd.as_deref()
            .map(PathBuf::from)
            .unwrap_or_else(|| root.clone()),
        &tool.tool,
        &tool.paths_written,
        &tool.commands,
    );
    let class = hits
        .iter()
        .map(|h| h.class)
        .max()
        .unwrap_or(turn.declared_risk)
        .max(turn.declared_risk);
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
    let needs = mutating && level == AutonomyLevel::Manual;
    let operator = ws.console_present();
    let unattended = ws.config.gate.unattended;
    let what = tool.summary.clone();
    // Allocate the action id and record it under the journal lock.
    let action = ws.transact(|state| {
        let t = state
            .turn(&turn_id)
            .ok_or_else(|| Error::UnknownTurn(turn_id.clone()))?;
        let action = format!("{turn_id}.a{}", t.actions.len() + 1);
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
            input: super::run::shorten(&tool.input),
            risk: class,
            needs: if needs { Needs::Approval } else { Needs::None },
            tool_use_id: Some(tool.id.clone()).filter(|i| !i.is_empty()),
        });
        if !needs {
            events.push(Event::ActionDecided {
                action: action.clone(),
                decision: ActionDecision::Allow,
                by: DecidedBy::Policy,
                reason: Some(if mutating {
                    format!("{class} = {level}: runs freely")
                } else {
                    "reads only".to_string()
                }),
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
                    ActionDecision::Allow,
                    format!("no operator is present; {what} is left to the agent to ask"),
                ),
            };
            events.push(Event::ActionDecided {
                action: action.clone(),
                decision,
                by: DecidedBy::Unattended,
                reason: Some(reason),
            });
        }
        Ok((events, action))
    })?;
    if !needs {
        // Policy needs no operator: the agent's own permissions apply.
        return Ok(Answer::default());
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
    wait_for_operator(ws, dialect, &action, env)
}

/// Waits for `action_decided` on `action`, from the console or `leash
/// allow|deny` in any terminal, up to the approval timeout.
fn wait_for_operator(
    ws: &mut Workspace,
    dialect: Dialect,
    action: &str,
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
                    allow(dialect, &format!("allowed by the {} in leash", d.by))
                }
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
            }],
            (),
        ))
    })
}

/// Reads the whole hook input from stdin, bounded so a runaway writer
/// cannot exhaust memory (what is cut makes the JSON invalid: a deny).
pub fn read_input(from: impl std::io::Read) -> Vec<u8> {
    use std::io::Read;
    let mut buf = Vec::new();
    let _ = from.take(64 * 1024 * 1024).read_to_end(&mut buf);
    buf
}

/// The answer when the gate itself panicked: a tool call is denied, any
/// other event passes with the problem on stderr.
pub fn handle_panic(_dialect: Dialect, input: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(input);
    let reason = "leash's hook gate failed internally; the tool call is denied to be safe";
    if text.contains("PreToolUse") || !text.contains("hook_event_name") {
        deny(reason)
    } else {
        Answer {
            stderr: format!("leash: {reason}"),
            ..Answer::default()
        }
    }
}
