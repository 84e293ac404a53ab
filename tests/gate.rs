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
    r.git(&["commit", "-qam", "a short approval timeout"]);
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

fn bash(r: &Repo, command: &str, id: &str) -> Value {
    event(
        r,
        "PreToolUse",
        json!({"tool_name": "Bash", "tool_use_id": id,
               "tool_input": {"command": command}}),
    )
}

/// Commits `.leash/` as it is in the working tree.
fn commit_policy(r: &Repo, config: &str) {
    r.write(".leash/config.toml", config);
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "policy"]);
}

/// The template with every slider at `auto`, committed: whatever is still
/// held is held by protection, not by the sliders.
fn all_auto(r: &Repo) {
    let config = r
        .read(".leash/config.toml")
        .replace("low = \"guarded\"", "low = \"auto\"")
        .replace("medium = \"review\"", "medium = \"auto\"")
        .replace("high = \"manual\"", "high = \"auto\"");
    assert_eq!(config.matches("= \"auto\"").count(), 3, "{config}");
    commit_policy(r, &config);
}

/// The decision the journal holds for the action of `tool_use_id`.
fn decided(r: &Repo, tool_use_id: &str) -> (Value, Value) {
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

/// Asserts the gate denied the call as protected, unattended.
fn denied_as_protected(r: &Repo, input: &Value, id: &str) {
    let (code, v, _) = call(r, "claude", input);
    assert_eq!(code, 0);
    assert_eq!(decision(&v).as_deref(), Some("deny"), "{id}: {v:?}");
    let why = reason(&v);
    assert!(why.contains("rule `protected`"), "{id}: {why}");
    assert!(why.contains("never above manual"), "{id}: {why}");
    let (req, dec) = decided(r, id);
    assert_eq!(req["risk"], "high", "{id}");
    assert_eq!(req["needs"], "approval", "{id}");
    assert_eq!(
        (&dec["decision"], &dec["by"]),
        (&json!("deny"), &json!("unattended"))
    );
}

/// Asserts the gate let the call run by policy (whatever it answers).
fn allowed_by_policy(r: &Repo, input: &Value, id: &str) {
    let (code, v, _) = call(r, "claude", input);
    assert_eq!(code, 0);
    assert_ne!(decision(&v).as_deref(), Some("deny"), "{id}: {v:?}");
    let (_, dec) = decided(r, id);
    assert_eq!(
        (&dec["decision"], &dec["by"]),
        (&json!("allow"), &json!("policy")),
        "{id}"
    );
}

/// Asserts the gate held the call for an operator (denied unattended)
/// without it being protected.
fn held(r: &Repo, input: &Value, id: &str) -> Value {
    let (_, v, _) = call(r, "claude", input);
    assert_eq!(decision(&v).as_deref(), Some("deny"), "{id}: {v:?}");
    assert!(
        reason(&v).contains("no operator is present"),
        "{}",
        reason(&v)
    );
    let (req, _) = decided(r, id);
    assert_eq!(req["needs"], "approval", "{id}");
    req
}

#[test]
fn an_agent_cannot_write_its_own_policy() {
    let r = Repo::initialised();
    // Seen: a medium-risk Write put `high = "auto"` into the config. The
    // write itself is now protected.
    let loosen = event(
        &r,
        "PreToolUse",
        json!({"tool_name": "Write", "tool_use_id": "toolu_cfg",
               "tool_input": {"file_path": r.file(".leash/config.toml").display().to_string(),
                              "content": "[autonomy]\nhigh = \"auto\"\n"}}),
    );
    denied_as_protected(&r, &loosen, "toolu_cfg");
}

#[test]
fn an_uncommitted_policy_edit_changes_nothing_until_committed() {
    let r = Repo::initialised();
    held(
        &r,
        &write(&r, "operations/x.md", "toolu_before"),
        "toolu_before",
    );
    // With the file changed on disk, uncommitted, the next high-risk write
    // is denied as before.
    let config = r
        .read(".leash/config.toml")
        .replace("high = \"manual\"", "high = \"auto\"");
    r.write(".leash/config.toml", &config);
    held(&r, &write(&r, "operations/x.md", "toolu_ops"), "toolu_ops");
    // The CLI says the edit is ignored.
    let out = r.ok(&["check"]);
    assert!(
        out.stderr
            .contains("uncommitted policy change ignored until committed: .leash/config.toml"),
        "{}",
        out.stderr
    );
    // Once committed (by a person), it applies; protection does not move.
    r.git(&["commit", "-qam", "high is auto"]);
    assert!(!r.ok(&["check"]).stderr.contains("uncommitted"));
    allowed_by_policy(
        &r,
        &write(&r, "operations/y.md", "toolu_ops2"),
        "toolu_ops2",
    );
    denied_as_protected(
        &r,
        &write(&r, ".leash/tasks.toml", "toolu_tasks"),
        "toolu_tasks",
    );
}

#[test]
fn protected_paths_are_high_and_manual_whatever_the_sliders_say() {
    let r = Repo::initialised();
    all_auto(&r);
    // An operator's slider in the journal cannot lower it either.
    r.ok(&["autonomy", "high", "auto"]);
    let outside = tempfile::tempdir().unwrap();
    for (i, path) in [
        r.file(".claude/settings.json"),
        r.file(".claude/settings.local.json"),
        r.file(".codex/config.toml"),
        r.file(".gemini/settings.json"),
        r.file(".git/hooks/pre-commit"),
        r.file(".leash/config.toml"),
        outside.path().join("elsewhere.md"),
        r.file("notes/../../escape.md"),
    ]
    .iter()
    .enumerate()
    {
        let id = format!("toolu_p{i}");
        let mut e = write(&r, "x", &id);
        e["tool_input"]["file_path"] = json!(path.display().to_string());
        denied_as_protected(&r, &e, &id);
    }
    // Codex's patches too.
    let patch = json!({"command": "*** Begin Patch\n*** Add File: .codex/hooks.json\n+{}\n*** End Patch\n"});
    let e = event(
        &r,
        "PreToolUse",
        json!({"tool_name": "apply_patch", "tool_use_id": "toolu_patch", "tool_input": patch}),
    );
    let (_, v, _) = call(&r, "codex", &e);
    assert_eq!(decision(&v).as_deref(), Some("deny"));
    assert!(reason(&v).contains("rule `protected`"), "{}", reason(&v));
    // A redirection into the agents' settings is a write there.
    denied_as_protected(
        &r,
        &bash(&r, "echo '{}' > .claude/settings.json", "toolu_redir"),
        "toolu_redir",
    );
    // So is a command that edits or copies over a file it names.
    for (command, id) in [
        ("sed -i 's/manual/auto/' .leash/config.toml", "toolu_sed"),
        ("cp /tmp/mine.json .claude/settings.json", "toolu_cp"),
        ("tee -a .codex/config.toml < x", "toolu_tee"),
        ("git add .leash && git commit -m policy", "toolu_git"),
    ] {
        denied_as_protected(&r, &bash(&r, command, id), id);
    }
    // Ordinary writes run freely at auto.
    allowed_by_policy(&r, &write(&r, "notes/a.md", "toolu_ok"), "toolu_ok");
    allowed_by_policy(&r, &write(&r, "operations/a.md", "toolu_ok2"), "toolu_ok2");
    // Unattended "ask" never leaves a protected write to the agent.
    let config = r
        .read(".leash/config.toml")
        .replace("unattended = \"deny\"", "unattended = \"ask\"");
    assert!(config.contains("unattended = \"ask\""));
    commit_policy(&r, &config);
    denied_as_protected(
        &r,
        &write(&r, ".claude/settings.json", "toolu_ask"),
        "toolu_ask",
    );
}

#[test]
fn an_agent_running_leash_itself_is_protected() {
    let r = Repo::initialised();
    all_auto(&r);
    for (i, command) in [
        "leash allow t1.a1",
        "leash autonomy high auto",
        "leash approve t1",
        "leash deny t1.a2",
        "leash reject t1 --reason x",
        "leash rollback t1",
        "/usr/local/bin/leash approve t1",
        "./target/debug/leash allow t1.a1",
        "cd /tmp && leash approve t1",
        "sh -c 'leash approve t1'",
        "env LEASH=1 nohup leash allow t1.a1",
    ]
    .iter()
    .enumerate()
    {
        let id = format!("toolu_l{i}");
        denied_as_protected(&r, &bash(&r, command, &id), &id);
    }
    allowed_by_policy(
        &r,
        &bash(&r, "echo leash approve", "toolu_echo"),
        "toolu_echo",
    );
}

#[test]
fn a_write_through_a_symlink_is_classed_where_it_lands() {
    let r = Repo::initialised();
    std::fs::create_dir_all(r.file("operations")).unwrap();
    std::fs::create_dir_all(r.file("notes")).unwrap();
    std::os::unix::fs::symlink("../operations", r.file("notes/oplink")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), r.file("notes/out")).unwrap();
    std::os::unix::fs::symlink("../.claude", r.file("notes/cl")).unwrap();
    let req = held(
        &r,
        &write(&r, "notes/oplink/x.md", "toolu_link"),
        "toolu_link",
    );
    assert_eq!(req["risk"], "high");
    let because = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "risk_escalated")
        .unwrap()["because"]
        .clone();
    assert_eq!(
        because,
        "path operations/x.md matches rule `operations/**` (high)"
    );
    denied_as_protected(&r, &write(&r, "notes/out/x.md", "toolu_out"), "toolu_out");
    denied_as_protected(
        &r,
        &write(&r, "notes/cl/settings.json", "toolu_cl"),
        "toolu_cl",
    );
    allowed_by_policy(
        &r,
        &write(&r, "notes/plain.md", "toolu_plain"),
        "toolu_plain",
    );
}

#[test]
fn command_rules_match_parsed_commands() {
    let r = Repo::initialised();
    for (i, command) in [
        "git  push",
        "GIT_TRACE=1 git push",
        "env git push",
        "rm -fr /",
        "sudo rm -r -f x",
        "bash -c \"git push origin\"",
        "cd x && git push",
        "echo $(git push)",
        "ls | xargs rm -rf",
        "rm --recursive --force build",
        "git -C . push --force",
    ]
    .iter()
    .enumerate()
    {
        let id = format!("toolu_c{i}");
        let req = held(&r, &bash(&r, command, &id), &id);
        assert_eq!(req["risk"], "high", "{command}");
    }
    let steps: Vec<String> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "risk_escalated")
        .map(|e| e["because"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        steps,
        ["command `git push` matches rule `git push*` (high)"],
        "one step to high, by the first command"
    );
    // A line leash cannot read is high, and says why.
    let r = Repo::initialised();
    held(
        &r,
        &bash(&r, "echo 'unclosed && git push", "toolu_u"),
        "toolu_u",
    );
    let because = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "risk_escalated")
        .unwrap()["because"]
        .clone();
    assert!(
        because
            .as_str()
            .unwrap()
            .contains("cannot be read (a single quote is never closed)"),
        "{because}"
    );
    // Plain commands still run freely.
    let r = Repo::initialised();
    r.ok(&["autonomy", "medium", "review"]);
    allowed_by_policy(&r, &bash(&r, "git status && git log", "toolu_s"), "toolu_s");
}

#[test]
fn tools_rules_class_tools_leash_does_not_know() {
    let r = Repo::initialised();
    let config = r.read(".leash/config.toml")
        + "\n[[risk]]\ntools = [\"mcp__deploy__*\"]\nclass = \"high\"\n";
    commit_policy(&r, &config);
    let mcp = |name: &str, id: &str| {
        event(
            &r,
            "PreToolUse",
            json!({"tool_name": name, "tool_use_id": id, "tool_input": {"env": "prod"}}),
        )
    };
    let req = held(&r, &mcp("mcp__deploy__release", "toolu_m1"), "toolu_m1");
    assert_eq!(req["risk"], "high");
    // Another tool leash does not know gets default_risk (medium here).
    allowed_by_policy(&r, &mcp("mcp__notes__search", "toolu_m2"), "toolu_m2");
    let (req, _) = decided(&r, "toolu_m2");
    assert_eq!(req["risk"], "medium");
    // A bad tool pattern is an error with file, line and column.
    r.write(
        ".leash/config.toml",
        &(config + "\n[[risk]]\ntools = [\"mcp__[x\"]\nclass = \"high\"\n"),
    );
    r.git(&["commit", "-qam", "bad pattern"]);
    let out = r.run(&["turns"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains(".leash/config.toml:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("invalid tool glob `mcp__[x`"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_isolated_turn_is_gated_in_its_worktree_by_the_policy_of_its_base() {
    let r = Repo::initialised();
    r.ok(&[
        "run", "--detach", "--risk", "low", "--", "sh", "-c", "sleep 60",
    ]);
    r.wait_for_event("the turn's start", |e| e["kind"] == "turn_started");
    let worktree = std::path::PathBuf::from(
        r.ok(&["show", "t1", "--json"]).json()["worktree"]
            .as_str()
            .unwrap(),
    );
    // The branch's policy changes after the turn started: the turn keeps
    // the policy of its base.
    let config = r
        .read(".leash/config.toml")
        .replace("low = \"guarded\"", "low = \"manual\"");
    commit_policy(&r, &config);
    let in_turn = |path: &std::path::Path, id: &str| {
        let input = json!({
            "session_id": "sess-iso",
            "cwd": worktree.display().to_string(),
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_use_id": id,
            "tool_input": {"file_path": path.display().to_string(), "content": "x\n"},
        });
        let mut child = r
            .cmd(&["hook", "claude"])
            .env("LEASH_TURN", "t1")
            .env("LEASH_WORKSPACE", r.path())
            .current_dir(&worktree)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        answer(child.wait_with_output().unwrap())
    };
    let (_, v, _) = in_turn(&worktree.join("notes/a.md"), "toolu_in");
    assert_ne!(decision(&v).as_deref(), Some("deny"), "{v:?}");
    let (_, dec) = decided(&r, "toolu_in");
    assert_eq!(dec["by"], "policy", "low = guarded at the turn's base");
    // Out of its worktree, into the operator's checkout: protected.
    for (path, id) in [
        (r.file("notes/a.md"), "toolu_checkout"),
        (worktree.join(".leash/config.toml"), "toolu_wt_cfg"),
        (worktree.join(".claude/settings.json"), "toolu_wt_claude"),
    ] {
        let (_, v, _) = in_turn(&path, id);
        assert_eq!(decision(&v).as_deref(), Some("deny"), "{id}: {v:?}");
        assert!(reason(&v).contains("rule `protected`"), "{}", reason(&v));
        let (req, _) = decided(&r, id);
        assert_eq!(req["risk"], "high", "{id}");
    }
    r.ok(&["cancel", "t1"]);
    r.wait_for_event("the turn's end", |e| e["kind"] == "turn_finished");
}
