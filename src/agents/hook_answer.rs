//! What the hook gate answers, in each agent's dialect, and whether a hook
//! input is one the gate can read at all. Kept apart from how the gate
//! classifies an action: this module knows the agents' wire formats, not
//! leash's policy.
//!
//! Every tool call gets an explicit answer: `allow`, `deny` or (Claude
//! only) `ask`. Silence is the answer only to events that are not tool
//! calls, and to tool calls the operator chose to defer to the agent's own
//! permission prompts (`[gate] allowed = "defer"`).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

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

impl Answer {
    /// No answer on stdout: the agent goes on by its own rules. Only for
    /// events that are not tool calls, and for deferred tool calls.
    pub fn silence() -> Answer {
        Answer::default()
    }

    /// Silence on stdout, a problem on stderr: an event that is not a tool
    /// call never blocks the agent.
    pub fn note(message: impl Into<String>) -> Answer {
        Answer {
            stderr: message.into(),
            ..Answer::default()
        }
    }
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
    /// The Landlock ABI the agent runs confined by, when the gate answers
    /// for `leash shell` (recorded on the session).
    pub confined: Option<u32>,
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
            confined: None,
        }
    }
}

fn pre_tool_use(decision: &str, reason: &str) -> serde_json::Map<String, Value> {
    let Value::Object(m) = json!({
        "hookEventName": "PreToolUse",
        "permissionDecision": decision,
        "permissionDecisionReason": reason,
    }) else {
        unreachable!("a JSON object literal")
    };
    m
}

fn answer(specific: serde_json::Map<String, Value>) -> Answer {
    Answer {
        stdout: json!({ "hookSpecificOutput": specific }).to_string(),
        ..Answer::default()
    }
}

/// A deny. Both agents take Claude's shape; Codex insists on a non-empty
/// reason, so there always is one.
pub fn deny(reason: &str) -> Answer {
    let reason = if reason.trim().is_empty() {
        "denied by leash"
    } else {
        reason
    };
    answer(pre_tool_use("deny", reason))
}

/// An explicit allow. Claude takes `permissionDecision: "allow"` as is;
/// Codex honours an allow only together with `updatedInput`, so it gets the
/// tool's own input back unchanged.
pub fn allow(dialect: Dialect, reason: &str, tool_input: &Value) -> Answer {
    let mut specific = pre_tool_use("allow", reason);
    if dialect == Dialect::Codex {
        specific.insert("updatedInput".into(), tool_input.clone());
    }
    answer(specific)
}

/// Leaves the call to the agent's own prompt. Claude asks its user (and
/// denies in `-p` mode); Codex rejects "ask" as invalid output, so it gets
/// silence, which leaves the choice to Codex.
pub fn ask(dialect: Dialect, reason: &str) -> Answer {
    match dialect {
        Dialect::Claude => answer(pre_tool_use("ask", reason)),
        Dialect::Codex => Answer::silence(),
    }
}

/// Hook events leash knows that are not a tool call waiting for a
/// decision: they never block the agent, whatever is wrong with them.
const NOT_TOOL_CALLS: &[&str] = &[
    "SessionStart",
    "UserPromptSubmit",
    "PostToolUse",
    "PostToolBatch",
    "Stop",
    "SubagentStop",
    "SessionEnd",
    "Notification",
    "PreCompact",
];

/// True unless the input names, as a string, a hook event that is known
/// not to be a tool call: an input leash cannot place is answered like a
/// tool call, with a decision.
pub fn is_tool_call(value: &Value) -> bool {
    !matches!(
        value.get("hook_event_name"),
        Some(Value::String(e)) if NOT_TOOL_CALLS.contains(&e.as_str())
    )
}

/// "a string", "a number", …: what a JSON value is, for messages.
pub use super::hooks_config::kind as kind_of;

/// Fields every event may carry; when present they must be strings.
const TEXT_FIELDS: &[&str] = &[
    "session_id",
    "cwd",
    "transcript_path",
    "prompt",
    "last_assistant_message",
    "reason",
    "tool_use_id",
];

/// The fields of a tool's input that say what it writes, runs or reads:
/// `(tool, field, required)`. A field of the wrong type would hide a path
/// or a command from the classification, so it is refused.
const TOOL_FIELDS: &[(&str, &str, bool)] = &[
    ("Write", "file_path", true),
    ("Edit", "file_path", true),
    ("MultiEdit", "file_path", true),
    ("Read", "file_path", true),
    ("NotebookEdit", "notebook_path", false),
    ("NotebookEdit", "file_path", false),
    ("NotebookRead", "notebook_path", false),
    ("NotebookRead", "file_path", false),
    ("Bash", "command", true),
    ("apply_patch", "command", true),
    ("WebFetch", "url", true),
    ("Grep", "path", false),
    ("Glob", "path", false),
    ("LS", "path", false),
];

/// The first thing about a hook input that leash cannot read, as a
/// sentence naming the field and what was expected; `None` when the input
/// is readable.
pub fn problem(value: &Value) -> Option<String> {
    let Value::Object(map) = value else {
        return Some(format!(
            "the hook input must be a JSON object, got {}",
            kind_of(value)
        ));
    };
    let event = match map.get("hook_event_name") {
        None => {
            return Some(
                "`hook_event_name` is missing; expected the name of the hook event, \
                 such as \"PreToolUse\""
                    .into(),
            );
        }
        Some(Value::String(e)) => e.as_str(),
        Some(other) => {
            return Some(format!(
                "`hook_event_name` must be a string, got {}",
                kind_of(other)
            ));
        }
    };
    if event != "PreToolUse" && !NOT_TOOL_CALLS.contains(&event) {
        return Some(format!(
            "`hook_event_name` {} is not a hook event leash answers; expected \
             \"PreToolUse\" for a tool call, or one of {}",
            Value::String(event.chars().take(60).collect()),
            NOT_TOOL_CALLS.join(", ")
        ));
    }
    for field in TEXT_FIELDS {
        if let Some(v) = map.get(*field)
            && !v.is_string()
            && !(v.is_null() && *field != "cwd")
        {
            return Some(format!("`{field}` must be a string, got {}", kind_of(v)));
        }
    }
    if event != "PreToolUse" && event != "PostToolUse" {
        return None;
    }
    let tool = match map.get("tool_name") {
        None => return Some("`tool_name` is missing; expected the tool's name".into()),
        Some(Value::String(t)) if t.trim().is_empty() => {
            return Some("`tool_name` is empty; expected the tool's name".into());
        }
        Some(Value::String(t)) => t.as_str(),
        Some(other) => {
            return Some(format!(
                "`tool_name` must be a string, got {}",
                kind_of(other)
            ));
        }
    };
    let input = match map.get("tool_input") {
        None => return Some("`tool_input` is missing; expected an object".into()),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Some(format!(
                "`tool_input` must be an object, got {}",
                kind_of(other)
            ));
        }
    };
    for (name, field, required) in TOOL_FIELDS {
        if *name != tool {
            continue;
        }
        match input.get(*field) {
            Some(Value::String(_)) => {}
            None if !required => {}
            None => {
                return Some(format!(
                    "`tool_input.{field}` is missing; {tool} needs it as a string"
                ));
            }
            Some(other) => {
                return Some(format!(
                    "`tool_input.{field}` must be a string, got {}",
                    kind_of(other)
                ));
            }
        }
    }
    None
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
    let reason = "leash's hook gate failed internally; the tool call is denied to be safe";
    let tool_call = serde_json::from_slice::<Value>(input)
        .map(|v| is_tool_call(&v))
        .unwrap_or(true);
    if tool_call {
        deny(reason)
    } else {
        Answer::note(format!("leash: {reason}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_allow_carries_the_input_back_and_claude_allow_does_not() {
        let input = json!({"command": "ls"});
        let codex: Value =
            serde_json::from_str(&allow(Dialect::Codex, "ok", &input).stdout).unwrap();
        assert_eq!(codex["hookSpecificOutput"]["permissionDecision"], "allow");
        assert_eq!(codex["hookSpecificOutput"]["updatedInput"], input);
        let claude: Value =
            serde_json::from_str(&allow(Dialect::Claude, "ok", &input).stdout).unwrap();
        assert_eq!(claude["hookSpecificOutput"]["permissionDecision"], "allow");
        assert!(claude["hookSpecificOutput"].get("updatedInput").is_none());
    }

    #[test]
    fn problems_name_the_field_and_what_was_expected() {
        let base = json!({"hook_event_name": "PreToolUse", "tool_name": "Write",
                          "tool_input": {"file_path": "/a", "content": "x"}});
        assert_eq!(problem(&base), None);
        let with = |key: &str, v: Value| {
            let mut e = base.clone();
            e[key] = v;
            problem(&e).unwrap()
        };
        assert_eq!(
            with("tool_input", json!("x")),
            "`tool_input` must be an object, got a string"
        );
        assert_eq!(
            with("tool_name", json!(3)),
            "`tool_name` must be a string, got a number"
        );
        assert_eq!(
            with("cwd", json!(3)),
            "`cwd` must be a string, got a number"
        );
        assert_eq!(
            with("tool_input", json!({"file_path": ["/a"]})),
            "`tool_input.file_path` must be a string, got an array"
        );
        assert!(with("hook_event_name", json!("Nope")).contains("not a hook event"));
        assert!(
            problem(&json!({}))
                .unwrap()
                .contains("`hook_event_name` is missing")
        );
    }

    #[test]
    fn only_named_known_events_are_not_tool_calls() {
        assert!(is_tool_call(&json!({})));
        assert!(is_tool_call(&json!({"hook_event_name": 1})));
        assert!(is_tool_call(&json!({"hook_event_name": "Whatever"})));
        assert!(is_tool_call(&json!({"hook_event_name": "PreToolUse"})));
        assert!(!is_tool_call(&json!({"hook_event_name": "Stop"})));
    }
}
