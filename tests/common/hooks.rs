//! Tool calls as Claude Code sends them to `leash hook claude`, and what
//! the journal says of them: for the tests of the gate's answers.

use serde_json::{Value, json};

use super::Repo;

/// A `PreToolUse` hook event of session `session` in the checkout.
pub fn pre_tool_use(r: &Repo, session: &str, id: &str, tool: &str, input: Value) -> Value {
    json!({
        "session_id": session,
        "transcript_path": "/dev/null",
        "cwd": r.path().display().to_string(),
        "hook_event_name": "PreToolUse",
        "permission_mode": "acceptEdits",
        "tool_name": tool,
        "tool_use_id": id,
        "tool_input": input,
    })
}

/// A `Write` of `x` to `rel`.
pub fn write(r: &Repo, session: &str, id: &str, rel: &str) -> Value {
    let path = r.file(rel).display().to_string();
    pre_tool_use(
        r,
        session,
        id,
        "Write",
        json!({"file_path": path, "content": "x\n"}),
    )
}

/// A `Bash` call of `command`.
pub fn bash(r: &Repo, session: &str, id: &str, command: &str) -> Value {
    pre_tool_use(r, session, id, "Bash", json!({ "command": command }))
}

/// The hook's answer to `input`: its `permissionDecision`.
pub fn answer(r: &Repo, input: &Value) -> String {
    let out = r
        .hook("claude", &input.to_string())
        .wait_with_output()
        .unwrap();
    permission(&out.stdout)
}

/// The `permissionDecision` of a hook's output.
pub fn permission(stdout: &[u8]) -> String {
    let v: Value = serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(stdout)));
    v["hookSpecificOutput"]["permissionDecision"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// The journal's request and decision of the action of `tool_use_id`.
pub fn decided(r: &Repo, tool_use_id: &str) -> (Value, Value) {
    let events = r.events();
    let req = events
        .iter()
        .find(|e| e["kind"] == "action_requested" && e["tool_use_id"] == tool_use_id)
        .unwrap_or_else(|| panic!("no action for {tool_use_id}"))
        .clone();
    let dec = events
        .iter()
        .find(|e| e["kind"] == "action_decided" && e["action"] == req["action"])
        .unwrap_or_else(|| panic!("no decision for {tool_use_id}"))
        .clone();
    (req, dec)
}
