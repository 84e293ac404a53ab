//! The hook gate through the real binary, fed hook events shaped like the
//! captured samples: what it allows, denies and waits for, in-place turns,
//! and `leash hooks install|uninstall`.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::Repo;
use serde_json::{Value, json};

fn hook(r: &Repo, agent: &str, input: &str) -> std::process::Child {
    let mut child = r
        .cmd(&["hook", agent])
        .env_remove("LEASH_TURN")
        .env_remove("LEASH_WORKSPACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child
}

fn answer(out: Output) -> (i32, Option<Value>, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let v = (!stdout.trim().is_empty())
        .then(|| serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}")));
    (
        out.status.code().unwrap(),
        v,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn call(r: &Repo, agent: &str, input: &Value) -> (i32, Option<Value>, String) {
    answer(
        hook(r, agent, &input.to_string())
            .wait_with_output()
            .unwrap(),
    )
}

fn decision(v: &Option<Value>) -> Option<String> {
    v.as_ref()?["hookSpecificOutput"]["permissionDecision"]
        .as_str()
        .map(str::to_string)
}

fn reason(v: &Option<Value>) -> String {
    v.as_ref().unwrap()["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .to_string()
}

fn event(r: &Repo, name: &str, extra: Value) -> Value {
    let mut v = json!({
        "session_id": "sess-1",
        "transcript_path": "/dev/null",
        "cwd": r.path().display().to_string(),
        "hook_event_name": name,
        "permission_mode": "acceptEdits",
    });
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

fn write(r: &Repo, rel: &str, id: &str) -> Value {
    event(
        r,
        "PreToolUse",
        json!({"tool_name": "Write", "tool_use_id": id,
               "tool_input": {"file_path": r.file(rel).display().to_string(), "content": "x\n"}}),
    )
}

#[test]
fn malformed_input_is_a_deny_that_says_why() {
    let r = Repo::initialised();
    for agent in ["claude", "codex"] {
        for input in [
            "",
            "not json",
            "{\"hook_event_name\": \"PreToolUse\"",
            "[1,2]",
        ] {
            let (code, v, _) = answer(hook(&r, agent, input).wait_with_output().unwrap());
            assert_eq!(code, 0, "{agent} {input:?}");
            assert_eq!(decision(&v).as_deref(), Some("deny"), "{agent} {input:?}");
            assert!(
                reason(&v).contains("could not read the hook input"),
                "{}",
                reason(&v)
            );
        }
    }
    // An unreadable workspace is a deny too, never a pass.
    let mut e = write(&r, "a.md", "x");
    e["cwd"] = json!("/nonexistent/place");
    let (_, v, _) = call(&r, "claude", &e);
    assert_eq!(decision(&v).as_deref(), Some("deny"));
}

#[test]
fn a_high_risk_write_with_no_console_is_denied_at_once() {
    let r = Repo::initialised();
    let (code, v, _) = call(&r, "claude", &write(&r, "operations/x.md", "toolu_1"));
    assert_eq!(code, 0);
    assert_eq!(decision(&v).as_deref(), Some("deny"));
    assert!(
        reason(&v).contains("no operator is present"),
        "{}",
        reason(&v)
    );
    let events = r.events();
    let req = events
        .iter()
        .find(|e| e["kind"] == "action_requested")
        .unwrap();
    assert_eq!(req["needs"], "approval");
    assert_eq!(req["risk"], "high");
    assert_eq!(req["tool_use_id"], "toolu_1");
    let dec = events
        .iter()
        .find(|e| e["kind"] == "action_decided")
        .unwrap();
    assert_eq!(dec["by"], "unattended");
    assert_eq!(dec["decision"], "deny");
    // The session got an in-place turn for it.
    let t = r.turn("t1");
    assert_eq!(t["kind"], "in_place");

    // Codex's dialect: the same deny, with a non-empty reason.
    let mut codex = event(
        &r,
        "PreToolUse",
        json!({"tool_name": "apply_patch", "tool_use_id": "call_1",
               "tool_input": {"command": "*** Begin Patch\n*** Add File: operations/y.md\n+y\n*** End Patch\n"}}),
    );
    codex["session_id"] = json!("sess-2");
    let (_, v, _) = call(&r, "codex", &codex);
    assert_eq!(decision(&v).as_deref(), Some("deny"));
    assert!(!reason(&v).is_empty());
}

#[test]
fn a_low_risk_write_and_a_read_pass_by_policy_and_are_recorded() {
    let r = Repo::initialised();
    r.ok(&["autonomy", "medium", "review"]);
    let (code, v, _) = call(&r, "claude", &write(&r, "notes/a.md", "toolu_2"));
    assert_eq!(
        (code, v),
        (0, None),
        "no answer: the agent's own permissions apply"
    );
    let mut read = write(&r, "operations/x.md", "toolu_3");
    read["tool_name"] = json!("Read");
    let (_, v, _) = call(&r, "claude", &read);
    assert_eq!(v, None, "reading never waits");
    let decided: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_decided")
        .collect();
    assert_eq!(decided.len(), 2);
    assert!(
        decided
            .iter()
            .all(|d| d["by"] == "policy" && d["decision"] == "allow")
    );

    // PostToolUse records what the action did.
    let post = event(
        &r,
        "PostToolUse",
        json!({"tool_name": "Write", "tool_use_id": "toolu_2",
               "tool_input": {"file_path": r.file("notes/a.md").display().to_string(), "content": "x"},
               "tool_response": {"type": "create"}}),
    );
    call(&r, "claude", &post);
    let done = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "action_done")
        .unwrap();
    assert_eq!(done["action"], "t1.a1");
    assert_eq!(done["paths_written"], json!(["notes/a.md"]));
}

#[test]
fn with_an_operator_present_the_hook_waits_for_allow_or_deny_from_another_terminal() {
    let r = Repo::initialised();
    let _console = r.hold_console();
    let child = hook(
        &r,
        "claude",
        &write(&r, "operations/x.md", "toolu_4").to_string(),
    );
    r.wait_for_event("the action to wait", |e| {
        e["kind"] == "action_requested" && e["needs"] == "approval"
    });
    let listed = r.ok(&["actions", "--json"]).json();
    assert_eq!(listed[0]["id"], "t1.a1");
    assert_eq!(listed[0]["summary"], "Write operations/x.md");
    r.ok(&["allow", "t1.a1"]);
    let (_, v, _) = answer(child.wait_with_output().unwrap());
    assert_eq!(decision(&v).as_deref(), Some("allow"));
    let again = r.run(&["deny", "t1.a1", "--reason", "late"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already decided"), "{}", again.stderr);

    let child = hook(&r, "codex", &write(&r, "AGENTS.md", "toolu_5").to_string());
    r.wait_for_event("the second action to wait", |e| {
        e["kind"] == "action_requested" && e["action"] == "t1.a2"
    });
    r.ok(&["deny", "t1.a2", "--reason", "not that file"]);
    let (_, v, _) = answer(child.wait_with_output().unwrap());
    assert_eq!(decision(&v).as_deref(), Some("deny"));
    assert!(reason(&v).contains("not that file"), "{}", reason(&v));
}

#[test]
fn an_unanswered_action_is_denied_at_the_approval_timeout() {
    let r = Repo::initialised();
    let config = r
        .read(".leash/config.toml")
        .replace("approval_timeout = \"10m\"", "approval_timeout = \"1s\"");
    assert!(
        config.contains("approval_timeout = \"1s\""),
        "the template sets approval_timeout"
    );
    r.write(".leash/config.toml", &config);
    let _console = r.hold_console();
    let (_, v, _) = call(&r, "claude", &write(&r, "operations/x.md", "toolu_6"));
    assert_eq!(decision(&v).as_deref(), Some("deny"));
    assert!(reason(&v).contains("timeout"), "{}", reason(&v));
    let dec = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "action_decided")
        .unwrap();
    assert_eq!(dec["by"], "timeout");
}

#[test]
fn an_in_place_turn_spans_prompt_to_stop_and_reject_restores_its_files() {
    let r = Repo::initialised();
    r.write("keep.md", "user file\n");
    r.git(&["add", "keep.md"]);
    r.git(&["commit", "-q", "-m", "keep"]);
    r.write("staged.md", "staged by the user\n");
    r.git(&["add", "staged.md"]);
    let index_before = std::fs::read(r.path().join(".git/index")).unwrap();
    let status_before = r.git(&["status", "--porcelain"]);
    let head_before = r.head();

    call(
        &r,
        "claude",
        &event(&r, "SessionStart", json!({"source": "startup"})),
    );
    call(
        &r,
        "claude",
        &event(&r, "UserPromptSubmit", json!({"prompt": "tidy the notes"})),
    );
    let t = r.turn("t1");
    assert_eq!(t["kind"], "in_place");
    assert_eq!(t["state"], "running");
    assert_eq!(t["title"], "tidy the notes");

    // The agent edits through its tools and through the shell alike.
    std::fs::write(r.file("README.md"), "changed by a tool\n").unwrap();
    std::fs::write(r.file("keep.md"), "changed by a bash command\n").unwrap();
    std::fs::write(r.file("new.md"), "created\n").unwrap();
    call(
        &r,
        "claude",
        &event(
            &r,
            "Stop",
            json!({"stop_hook_active": false, "last_assistant_message": "done"}),
        ),
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review", "medium = review");
    assert_eq!(t["files_changed"], 3);
    let diff = r.ok(&["diff", "t1", "--color", "never"]).stdout;
    assert!(diff.contains("+changed by a bash command"), "{diff}");

    // The user's index, HEAD and branch were never touched.
    assert_eq!(
        std::fs::read(r.path().join(".git/index")).unwrap(),
        index_before
    );
    assert_eq!(r.head(), head_before);
    let status = r.git(&["status", "--porcelain"]);
    assert!(
        status.contains("A  staged.md"),
        "{status}\nbefore:\n{status_before}"
    );

    // The user edits one of the files again before deciding.
    std::fs::write(r.file("new.md"), "edited by the user since\n").unwrap();
    let out = r.ok(&["reject", "t1", "--reason", "not now"]);
    assert!(
        out.stdout.contains("restored to their start content"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("left as it is: new.md"),
        "{}",
        out.stdout
    );
    assert_eq!(r.read("README.md"), "original line\n");
    assert_eq!(
        r.read("keep.md"),
        "user file\n",
        "the shell edit is undone too"
    );
    assert_eq!(
        r.read("new.md"),
        "edited by the user since\n",
        "an edit since is kept"
    );
    assert_eq!(r.turn("t1")["state"], "rejected");
    assert_eq!(
        std::fs::read(r.path().join(".git/index")).unwrap(),
        index_before
    );
}

#[test]
fn a_low_risk_in_place_turn_is_accepted_by_policy() {
    let r = Repo::initialised();
    r.ok(&["autonomy", "medium", "auto"]);
    call(
        &r,
        "claude",
        &event(&r, "UserPromptSubmit", json!({"prompt": "note it"})),
    );
    std::fs::write(r.file("note.md"), "n\n").unwrap();
    call(
        &r,
        "claude",
        &event(&r, "Stop", json!({"last_assistant_message": "noted"})),
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "landed");
    assert_eq!(
        r.read("note.md"),
        "n\n",
        "accepting leaves the checkout as it is"
    );
    // A rollback of an accepted in-place turn restores the start.
    r.ok(&["rollback", "t1"]);
    assert!(!r.file("note.md").exists());
    assert_eq!(r.turn("t1")["state"], "rolled_back");
}

#[test]
fn hooks_install_merges_and_uninstall_takes_exactly_leash_out() {
    let r = Repo::new();
    let mine = json!({"permissions": {"allow": ["Bash(ls)"]},
                      "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-check"}]}]}});
    r.write(
        ".claude/settings.json",
        &serde_json::to_string_pretty(&mine).unwrap(),
    );
    let out = r.ok(&["hooks", "install", "claude", "--json"]).json();
    assert_eq!(out["unchanged"], false);
    let merged: Value = serde_json::from_str(&r.read(".claude/settings.json")).unwrap();
    assert_eq!(merged["permissions"], mine["permissions"]);
    let pre = merged["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2);
    assert_eq!(pre[0]["hooks"][0]["command"], "my-check");
    let cmd = pre[1]["hooks"][0]["command"].as_str().unwrap();
    assert!(cmd.ends_with("leash hook claude"), "{cmd}");
    for ev in [
        "SessionStart",
        "UserPromptSubmit",
        "PostToolUse",
        "Stop",
        "SessionEnd",
    ] {
        assert!(merged["hooks"][ev].is_array(), "{ev}");
    }
    let again = r.ok(&["hooks", "install", "claude", "--json"]).json();
    assert_eq!(again["unchanged"], true, "idempotent");
    r.ok(&["hooks", "uninstall", "claude"]);
    let back: Value = serde_json::from_str(&r.read(".claude/settings.json")).unwrap();
    assert_eq!(back, mine);

    r.ok(&["hooks", "install", "codex"]);
    let codex: Value = serde_json::from_str(&r.read(".codex/hooks.json")).unwrap();
    assert!(
        codex["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .ends_with("leash hook codex")
    );
}

#[test]
fn the_hook_answers_silently_for_events_it_does_not_gate() {
    let r = Repo::initialised();
    for name in ["SessionStart", "Notification", "PreCompact"] {
        let (code, v, _) = call(&r, "claude", &event(&r, name, json!({})));
        assert_eq!((code, v), (0, None), "{name}");
    }
    let started = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "session_started")
        .count();
    assert_eq!(started, 1, "SessionStart is journaled");
}

#[test]
fn cancelling_an_in_place_turn_whose_agent_vanished_ends_it_for_review() {
    let r = Repo::initialised();
    call(
        &r,
        "claude",
        &event(&r, "UserPromptSubmit", json!({"prompt": "then it crashed"})),
    );
    std::fs::write(r.file("half.md"), "half\n").unwrap();
    // No Stop ever comes.
    let out = r.ok(&["cancel", "t1"]);
    assert!(out.stdout.contains("t1 ended in place"), "{}", out.stdout);
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review");
    assert_eq!(t["paths"], json!(["half.md"]));
}
