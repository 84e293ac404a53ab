//! The hook gate through the real binary, fed hook events shaped like the
//! captured samples: what it allows, denies and waits for, in-place turns,
//! and `leash hooks install|uninstall`.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::Repo;
use common::hooks::decided;
use serde_json::{Value, json};

fn hook(r: &Repo, agent: &str, input: &str) -> std::process::Child {
    r.hook(agent, input)
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
    assert_eq!(code, 0);
    assert_eq!(
        decision(&v).as_deref(),
        Some("allow"),
        "an explicit allow: the agent's own prompts do not second-guess policy"
    );
    let mut read = write(&r, "operations/x.md", "toolu_3");
    read["tool_name"] = json!("Read");
    let (_, v, _) = call(&r, "claude", &read);
    assert_eq!(
        decision(&v).as_deref(),
        Some("allow"),
        "reading never waits"
    );
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
    assert_eq!(t["failure"], "cancelled");
    assert_eq!(t["paths"], json!(["half.md"]));
}

/// Hook inputs that are valid JSON but that leash cannot read, with what
/// the deny's reason must name.
fn unreadable(r: &Repo) -> Vec<(&'static str, Value, &'static str)> {
    let good = write(r, "notes/a.md", "toolu_m");
    let with = |key: &str, v: Value| {
        let mut e = good.clone();
        e[key] = v;
        e
    };
    let without = |key: &str| {
        let mut e = good.clone();
        e.as_object_mut().unwrap().remove(key);
        e
    };
    let input = |key: &str, v: Value| {
        let mut e = good.clone();
        e["tool_input"][key] = v;
        e
    };
    let tool = |name: &str, key: &str, v: Value| {
        let mut e = good.clone();
        e["tool_name"] = json!(name);
        e["tool_input"] = json!({ key: v });
        e
    };
    vec![
        ("empty object", json!({}), "`hook_event_name` is missing"),
        (
            "tool_input a string",
            with("tool_input", json!("x")),
            "`tool_input` must be an object, got a string",
        ),
        (
            "tool_input null",
            with("tool_input", Value::Null),
            "`tool_input` must be an object, got null",
        ),
        (
            "tool_input missing",
            without("tool_input"),
            "`tool_input` is missing",
        ),
        (
            "tool_name missing",
            without("tool_name"),
            "`tool_name` is missing",
        ),
        (
            "tool_name a number",
            with("tool_name", json!(7)),
            "`tool_name` must be a string, got a number",
        ),
        (
            "hook_event_name missing",
            without("hook_event_name"),
            "`hook_event_name` is missing",
        ),
        (
            "hook_event_name unknown",
            with("hook_event_name", json!("PreToolUseX")),
            "\"PreToolUseX\" is not a hook event leash answers",
        ),
        (
            "hook_event_name a number",
            with("hook_event_name", json!(1)),
            "`hook_event_name` must be a string, got a number",
        ),
        (
            "file_path an array",
            input("file_path", json!(["/etc/passwd"])),
            "`tool_input.file_path` must be a string, got an array",
        ),
        (
            "cwd a number",
            with("cwd", json!(42)),
            "`cwd` must be a string, got a number",
        ),
        (
            "session_id an object",
            with("session_id", json!({"id": 1})),
            "`session_id` must be a string, got an object",
        ),
        (
            "Bash command a number",
            tool("Bash", "command", json!(1)),
            "`tool_input.command` must be a string, got a number",
        ),
        (
            "apply_patch without its patch",
            tool("apply_patch", "patch", json!("*** Begin Patch")),
            "`tool_input.command` is missing",
        ),
    ]
}

#[test]
fn every_unreadable_tool_call_is_denied_with_the_field_named_in_both_dialects() {
    let r = Repo::initialised();
    for agent in ["claude", "codex"] {
        for (name, input, expected) in unreadable(&r) {
            let (code, v, stderr) = call(&r, agent, &input);
            assert_eq!(code, 0, "{agent} {name}: {stderr}");
            assert_eq!(
                decision(&v).as_deref(),
                Some("deny"),
                "{agent} {name}: an explicit answer, never silence"
            );
            let why = reason(&v);
            assert!(
                why.contains(expected) && why.contains("could not read the hook input"),
                "{agent} {name}: {why}"
            );
        }
    }
    // Nothing unreadable was acted on.
    assert!(
        r.events().iter().all(|e| e["kind"] != "action_requested"),
        "{:?}",
        r.events()
    );
}

#[test]
fn unreadable_events_that_are_not_tool_calls_pass_and_say_why_on_stderr() {
    let r = Repo::initialised();
    for agent in ["claude", "codex"] {
        for (name, extra, expected) in [
            ("SessionStart", json!({"cwd": 3}), "`cwd` must be a string"),
            (
                "Stop",
                json!({"session_id": []}),
                "`session_id` must be a string",
            ),
            (
                "PostToolUse",
                json!({"tool_name": "Write", "tool_input": "x"}),
                "`tool_input` must be an object",
            ),
            (
                "UserPromptSubmit",
                json!({"prompt": {"text": "hi"}}),
                "`prompt` must be a string",
            ),
        ] {
            let (code, v, stderr) = call(&r, agent, &event(&r, name, extra));
            assert_eq!((code, v), (0, None), "{agent} {name}: never blocks");
            assert!(stderr.contains(expected), "{agent} {name}: {stderr}");
        }
    }
    assert!(r.events().is_empty(), "{:?}", r.events());
}

#[test]
fn policy_allow_is_explicit_in_each_dialect_and_journaled_as_allow() {
    let r = Repo::initialised();
    r.ok(&["autonomy", "medium", "review"]);
    let claude = write(&r, "notes/a.md", "toolu_c");
    let (_, v, _) = call(&r, "claude", &claude);
    let out = &v.as_ref().unwrap()["hookSpecificOutput"];
    assert_eq!(out["permissionDecision"], "allow");
    assert!(out.get("updatedInput").is_none(), "{out}");

    // Codex honours allow only with updatedInput: its own input, unchanged.
    let patch = "*** Begin Patch\n*** Add File: notes/b.md\n+b\n*** End Patch\n";
    let mut codex = event(
        &r,
        "PreToolUse",
        json!({"tool_name": "apply_patch", "tool_use_id": "call_1",
               "tool_input": {"command": patch}}),
    );
    codex["session_id"] = json!("sess-codex");
    let (_, v, _) = call(&r, "codex", &codex);
    let out = &v.as_ref().unwrap()["hookSpecificOutput"];
    assert_eq!(out["permissionDecision"], "allow");
    assert_eq!(out["updatedInput"], json!({"command": patch}));
    assert!(!out["permissionDecisionReason"].as_str().unwrap().is_empty());

    let decided: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_decided")
        .collect();
    assert_eq!(decided.len(), 2);
    assert!(
        decided
            .iter()
            .all(|d| d["decision"] == "allow" && d["by"] == "policy"),
        "{decided:?}"
    );

    // Reading outside the agent's directory is left to the agent's own
    // checks, which an explicit allow would skip; the journal says so.
    let mut read = write(&r, "notes/a.md", "toolu_r");
    read["tool_name"] = json!("Read");
    read["tool_input"] = json!({"file_path": "/etc/hostname"});
    let (code, v, _) = call(&r, "claude", &read);
    assert_eq!((code, v), (0, None));
    let last = r
        .events()
        .into_iter()
        .rfind(|e| e["kind"] == "action_decided")
        .unwrap();
    assert_eq!(last["decision"], "defer", "{last}");
}

#[test]
fn allowed_defer_answers_nothing_and_journals_deferred_never_allow() {
    let r = Repo::initialised();
    r.ok(&["autonomy", "medium", "review"]);
    let config = r
        .read(".leash/config.toml")
        .replace("allowed = \"explicit\"", "allowed = \"defer\"");
    assert!(
        config.contains("allowed = \"defer\""),
        "the template sets it"
    );
    r.write(".leash/config.toml", &config);
    r.git(&["commit", "-qam", "defer"]);
    for agent in ["claude", "codex"] {
        let mut e = write(&r, "notes/a.md", &format!("toolu_{agent}"));
        e["session_id"] = json!(agent);
        let (code, v, _) = call(&r, agent, &e);
        assert_eq!(
            (code, v),
            (0, None),
            "{agent}: the agent's own rules decide"
        );
    }
    let decided: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_decided")
        .collect();
    assert_eq!(decided.len(), 2);
    assert!(
        decided.iter().all(|d| d["decision"] == "defer"),
        "{decided:?}"
    );
    let log = r.ok(&["show", "t1"]).stdout;
    assert!(log.contains("deferred to the agent"), "{log}");

    // A wrong word is refused with the file, its position and the choices.
    r.write(
        ".leash/config.toml",
        &config.replace("allowed = \"defer\"", "allowed = \"sometimes\""),
    );
    // Policy is read as committed.
    r.git(&["commit", "-qam", "a wrong word"]);
    let bad = r.run(&["run", "--", "true"]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains(".leash/config.toml:")
            && bad.stderr.contains("gate.allowed")
            && bad.stderr.contains("explicit, defer"),
        "{}",
        bad.stderr
    );
}

#[test]
fn hooks_in_a_repository_without_leash_deny_tool_calls_and_say_how_to_fix_it() {
    let r = Repo::new();
    for agent in ["claude", "codex"] {
        for tool in ["Write", "Read"] {
            let mut e = write(&r, "notes/a.md", "toolu_x");
            e["tool_name"] = json!(tool);
            let (code, v, _) = call(&r, agent, &e);
            assert_eq!(code, 0);
            assert_eq!(decision(&v).as_deref(), Some("deny"), "{agent} {tool}");
            let why = reason(&v);
            let root = r.path().canonicalize().unwrap();
            assert!(
                why.contains(&format!(
                    "leash is not initialised in {}: run `leash init` or `leash hooks uninstall`",
                    root.display()
                )),
                "{why}"
            );
        }
        // Other events pass, with the same news on stderr.
        let (code, v, stderr) = call(&r, agent, &event(&r, "SessionStart", json!({})));
        assert_eq!((code, v), (0, None));
        assert!(stderr.contains("not initialised"), "{stderr}");
    }
    assert!(
        !r.path().join(".git/leash").exists(),
        "nothing was written into a repository leash is not on"
    );

    // Outside any git repository: a deny that says so.
    let nowhere = tempfile::tempdir().unwrap();
    let mut e = write(&r, "notes/a.md", "toolu_y");
    e["cwd"] = json!(nowhere.path().display().to_string());
    e["tool_input"]["file_path"] = json!(nowhere.path().join("a.md").display().to_string());
    let out = r
        .cmd(&["hook", "claude"])
        .current_dir(nowhere.path())
        .env_remove("LEASH_TURN")
        .env_remove("LEASH_WORKSPACE")
        .env_remove("CLAUDE_PROJECT_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(e.to_string().as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let (_, v, _) = answer(out);
    assert_eq!(decision(&v).as_deref(), Some("deny"));
    assert!(
        reason(&v).contains("found no git repository"),
        "{}",
        reason(&v)
    );
}

/// A shell function for agent scripts: `pre TOOL_USE_ID PATH` asks leash's
/// gate (as Claude's hook would) about a Write of PATH from the agent's
/// directory, and prints the answer.
const PRE: &str = r#"pre() {
  printf '{"hook_event_name":"PreToolUse","session_id":"s","cwd":"%s","tool_name":"Write","tool_use_id":"%s","tool_input":{"file_path":"%s","content":"x"}}' "$PWD" "$1" "$2" | "$LEASH_BIN" hook claude
}
"#;

#[test]
fn an_isolated_turn_edits_its_own_worktree_freely_and_everything_else_is_gated() {
    let r = Repo::initialised();
    // The script writes what the gate answered, and files through symlinks,
    // outside its worktree: this test is about the gate, so confinement
    // (tests/confine.rs) is off.
    let config =
        r.read(".leash/config.toml")
            .replacen("# confine = \"require\"", "confine = \"off\"", 1);
    r.write(".leash/config.toml", &config);
    r.git(&["commit", "-qam", "no confinement"]);
    let out = tempfile::tempdir().unwrap();
    let outside = out.path().join("outside.md");
    let script = format!(
        "{PRE}
         pre w1 \"$PWD/notes/a.md\" > \"$OUT/inside.json\"
         grep -q '\"allow\"' \"$OUT/inside.json\" && mkdir -p notes && echo a > notes/a.md
         pre w2 \"$OUT/outside.md\" > \"$OUT/outside.json\"
         pre w3 \"$PWD/.leash/config.toml\" > \"$OUT/protected.json\"
         pre w4 \"$PWD/notes/../../escape.md\" > \"$OUT/escape.json\"
         ln -s \"$OUT\" link && ln -s \"$OUT/new.md\" dangling && ln -s \"$OUT/sub\" up && mkdir \"$OUT/sub\"
         pre w5 \"$PWD/link/x.md\" > \"$OUT/through_link.json\"
         pre w6 \"$PWD/dangling\" > \"$OUT/dangling.json\"
         pre w7 \"$PWD/up/../y.md\" > \"$OUT/link_then_up.json\"
         rm link dangling up
         true"
    );
    // High risk is `manual`, and no console is open.
    let run = r
        .cmd(&["run", "--risk", "high", "--", "sh", "-c", &script])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .env("OUT", out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read = |name: &str| -> Option<Value> {
        Some(
            serde_json::from_str(&std::fs::read_to_string(out.path().join(name)).unwrap()).unwrap(),
        )
    };
    let inside = read("inside.json");
    assert_eq!(
        decision(&inside).as_deref(),
        Some("allow"),
        "an edit inside the turn's own worktree needs no operator: {inside:?}"
    );
    assert!(reason(&inside).contains("its diff waits at the turn's end"));
    for escaped in [
        "outside.json",
        "protected.json",
        "escape.json",
        "through_link.json",
        "dangling.json",
        "link_then_up.json",
    ] {
        let v = read(escaped);
        assert_eq!(decision(&v).as_deref(), Some("deny"), "{escaped}: {v:?}");
        assert!(reason(&v).contains("no operator is present"), "{escaped}");
    }
    assert!(!outside.exists());
    // The diff still waits at the turn gate (high = manual).
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review", "{t}");
    assert_eq!(t["paths"], json!(["notes/a.md"]));
    assert_eq!(t["denials"]["count"], 6, "{t}");
    assert!(
        t["reason"].as_str().unwrap().contains("6 actions denied"),
        "{t}"
    );
}

#[test]
fn a_turn_whose_edits_were_denied_says_so_instead_of_no_changes_answered() {
    let r = Repo::initialised();
    let out = tempfile::tempdir().unwrap();
    let script =
        format!("{PRE}\npre w1 \"$OUT/outside.md\" > /dev/null\necho I could not write it");
    let run = r
        .cmd(&["run", "--risk", "high", "--", "sh", "-c", &script])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .env("OUT", out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "no_changes", "{t}");
    let why = t["reason"].as_str().unwrap();
    assert!(!why.contains("answered without editing"), "{why}");
    assert!(
        why.contains("1 action denied (1 unattended") && why.contains("no operator is present"),
        "{why}"
    );
    assert_eq!(t["denials"]["count"], 1);
    assert_eq!(
        t["denials"]["by"],
        json!([{"by": "unattended", "count": 1}])
    );
    assert!(
        t["denials"]["first_reason"]
            .as_str()
            .unwrap()
            .contains("no operator is present")
    );
    let show = r.ok(&["show", "t1"]).stdout;
    assert!(
        show.contains("denied     1 action denied (1 unattended"),
        "{show}"
    );
    let json = r.ok(&["show", "t1", "--json"]).json();
    assert_eq!(json["denials"]["count"], 1);
}

#[test]
fn a_write_the_agent_refuses_after_leash_allowed_it_is_a_denial_by_the_agent() {
    let r = Repo::initialised();
    let out = tempfile::tempdir().unwrap();
    // A stand-in for Claude Code in `-p` mode refusing a Write by its own
    // permission mode after the gate allowed it: the stream it prints then.
    let agent = out.path().join("claude-like");
    let lines = [
        json!({"type":"system","subtype":"init","cwd":"WT","session_id":"s1","model":"m"}),
        json!({"type":"assistant","message":{"id":"m1","content":[{"type":"tool_use","id":"toolu_1","name":"Write","input":{"file_path":"WT/notes/hello.md","content":"hi"}}]},"session_id":"s1"}),
        json!({"type":"system","subtype":"permission_denied","tool_name":"Write","tool_use_id":"toolu_1","message":"Claude requested permissions to write to WT/notes/hello.md, but you haven't granted it yet."}),
        json!({"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","is_error":true,"content":"Claude requested permissions to write to WT/notes/hello.md, but you haven't granted it yet."}]},"session_id":"s1"}),
        json!({"type":"assistant","message":{"id":"m2","content":[{"type":"text","text":"I could not write the note."}]},"session_id":"s1"}),
        json!({"type":"result","subtype":"success","is_error":false,"result":"I could not write the note.","session_id":"s1","permission_denials":[{"tool_name":"Write","tool_use_id":"toolu_1","tool_input":{"file_path":"WT/notes/hello.md","content":"hi"}}]}),
    ];
    let stream: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(out.path().join("stream.jsonl"), stream).unwrap();
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\n{PRE}\npre toolu_1 \"$PWD/notes/hello.md\" > \"$OUT/answer.json\"\n\
             sed \"s|WT|$PWD|g\" \"$OUT/stream.jsonl\"\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut config = r.read(".leash/config.toml");
    // The agent reports what the gate answered in $OUT, outside its
    // worktree: a path its confinement must let it write.
    config.push_str(&format!(
        "\n[agents.claudelike]\ncommand = [{}, \"{{prompt}}\"]\nformat = \"claude\"\nwritable = [{}]\n",
        json!(agent.display().to_string()),
        json!(out.path().display().to_string())
    ));
    r.write(".leash/config.toml", &config);
    r.git(&["commit", "-qam", "a claude-like agent"]);
    let run = r
        .cmd(&[
            "run",
            "--agent",
            "claudelike",
            "--risk",
            "low",
            "--prompt",
            "make a hello note",
        ])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .env("OUT", out.path())
        .output()
        .unwrap();
    let answer: Option<Value> =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("answer.json")).unwrap())
            .ok();
    assert_eq!(decision(&answer).as_deref(), Some("allow"), "{answer:?}");
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let decided: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_decided" && e["action"] == "t1.a1")
        .collect();
    assert_eq!(decided.len(), 2, "{decided:?}");
    assert_eq!(decided[0]["by"], "policy");
    assert_eq!(decided[1]["by"], "agent");
    assert_eq!(decided[1]["decision"], "deny");
    assert!(
        decided[1]["reason"]
            .as_str()
            .unwrap()
            .contains("you haven't granted it yet"),
        "{decided:?}"
    );
    let t = r.turn("t1");
    assert_eq!(t["failure"], "contract_violation", "{t}");
    assert_eq!(t["state"], "failed");
    assert_eq!(t["denials"]["by"], json!([{"by": "agent", "count": 1}]));
    let action = &t["actions"][0];
    assert_eq!(action["decision"]["by"], "agent");
    assert_eq!(action["overruled"]["by"], "policy");
    assert!(
        !t["reason"]
            .as_str()
            .unwrap()
            .contains("answered without editing"),
        "{t}"
    );
    let show = r.ok(&["show", "t1"]).stdout;
    assert!(show.contains("1 action denied (1 by the agent)"), "{show}");
    assert!(
        show.contains("deny by agent"),
        "the event, in the log: {show}"
    );
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
    // Once committed (by a person), it applies to the sessions that start
    // after it; protection does not move.
    r.git(&["commit", "-qam", "high is auto"]);
    assert!(!r.ok(&["check"]).stderr.contains("uncommitted"));
    let mut later = write(&r, "operations/y.md", "toolu_ops2");
    later["session_id"] = json!("sess-after-commit");
    allowed_by_policy(&r, &later, "toolu_ops2");
    denied_as_protected(
        &r,
        &write(&r, ".leash/tasks.toml", "toolu_tasks"),
        "toolu_tasks",
    );
}

#[test]
fn a_replaced_object_of_the_committed_policy_does_not_loosen_it() {
    let r = Repo::initialised();
    // The first process makes `.git/leash/`; the second caches the policy.
    held(&r, &write(&r, "operations/w.md", "toolu_0"), "toolu_0");
    held(&r, &write(&r, "operations/x.md", "toolu_a"), "toolu_a");
    let cache = r.dir.path().join(".git/leash/policy.cache");
    assert!(cache.exists(), "the gate cached the parsed policy");
    // A confined agent may write to `.git/objects/`: it puts a looser
    // config's object under the committed config's id.
    let id = r.git(&["rev-parse", "HEAD:.leash/config.toml"]);
    let looser = r
        .read(".leash/config.toml")
        .replace("high = \"manual\"", "high = \"auto\"");
    r.write("looser.toml", &looser);
    let other = r.git(&["hash-object", "-w", "looser.toml"]);
    let object = |id: &str| {
        r.dir
            .path()
            .join(".git/objects")
            .join(&id[..2])
            .join(&id[2..])
    };
    assert!(object(&id).exists(), "the config's blob is a loose object");
    std::fs::remove_file(object(&id)).unwrap();
    std::fs::copy(object(&other), object(&id)).unwrap();
    // The cache answers: the object is not even read.
    held(&r, &write(&r, "operations/y.md", "toolu_b"), "toolu_b");
    // Without the cache the object is read, and fails its hash.
    std::fs::remove_file(&cache).unwrap();
    let (_, v, err) = call(&r, "claude", &write(&r, "operations/z.md", "toolu_c"));
    assert_eq!(decision(&v).as_deref(), Some("deny"), "{v:?} {err}");
    assert!(!cache.exists(), "an unreadable policy is not cached");
}

#[test]
fn a_session_keeps_the_policy_it_started_under_when_the_agent_commits_a_looser_one() {
    let r = Repo::initialised();
    held(&r, &write(&r, "operations/x.md", "toolu_a"), "toolu_a");
    // The agent loosens the config by a way no rule classes (a script) and
    // commits it: HEAD now says `high = "auto"`.
    let loose = r
        .read(".leash/config.toml")
        .replace("high = \"manual\"", "high = \"auto\"");
    r.write(".leash/config.toml", &loose);
    r.git(&["commit", "-qam", "agent: tidy config"]);
    // Same session, even after a new prompt: still held.
    call(
        &r,
        "claude",
        &event(
            &r,
            "UserPromptSubmit",
            json!({"prompt": "now the ops file"}),
        ),
    );
    held(&r, &write(&r, "operations/y.md", "toolu_b"), "toolu_b");
    let turns = r.turns();
    assert_eq!(turns.len(), 2, "{turns:?}");
    assert_eq!(turns[0]["policy"], turns[1]["policy"]);
    assert_ne!(turns[1]["policy"], json!(r.head()));
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
    let out = r.run(&["run", "--", "true"]);
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
        let mut cmd = r.cmd(&["hook", "claude"]);
        cmd.env("LEASH_TURN", "t1")
            .env("LEASH_WORKSPACE", r.path())
            .current_dir(&worktree);
        answer(
            common::feed(cmd, &input.to_string())
                .wait_with_output()
                .unwrap(),
        )
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

/// A hooked action's reads carry the blob of what the agent saw, its writes
/// the blob they left, and a shell command's reads are "unknown" with the
/// command — never silently none.
#[test]
fn reads_record_the_blob_seen_writes_the_blob_left_commands_unknown_reads() {
    let r = Repo::initialised();
    r.write("docs/source.md", "# Source\n\nThe figure is 42.\n");
    let seen = r.git(&["hash-object", "docs/source.md"]).trim().to_string();
    let both = |tool: &str, id: &str, input: Value, response: Value| {
        let pre = event(
            &r,
            "PreToolUse",
            json!({"tool_name": tool, "tool_use_id": id, "tool_input": input}),
        );
        let (_, v, _) = call(&r, "claude", &pre);
        assert_eq!(decision(&v).as_deref(), Some("allow"), "{tool}");
        let post = event(
            &r,
            "PostToolUse",
            json!({"tool_name": tool, "tool_use_id": id, "tool_input": input,
                   "tool_response": response}),
        );
        call(&r, "claude", &post);
    };
    let source = r.file("docs/source.md").display().to_string();
    both(
        "Read",
        "toolu_r",
        json!({"file_path": source}),
        json!({"type": "text", "file": {"filePath": source}}),
    );
    // The file changes after the read: the blob recorded is the one seen.
    r.write("docs/source.md", "# Source\n\nThe figure is 43.\n");
    let body = "See [the source](../docs/source.md) and `docs/never.md`.\n";
    r.write("notes/a.md", body);
    let left = r.git(&["hash-object", "notes/a.md"]).trim().to_string();
    both(
        "Write",
        "toolu_w",
        json!({"file_path": r.file("notes/a.md").display().to_string(), "content": body}),
        json!({"type": "create"}),
    );
    both(
        "Bash",
        "toolu_b",
        json!({"command": "wc -l docs/*.md"}),
        json!({"stdout": "3", "stderr": ""}),
    );
    let done: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_done")
        .collect();
    assert_eq!(done.len(), 3, "{done:?}");
    assert_eq!(done[0]["sources"][0]["path"], "docs/source.md");
    assert_eq!(done[0]["sources"][0]["blob"], seen.as_str());
    assert!(
        done[0]["sources"][0]["read_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    // The blob read is kept, so what the agent saw can be shown later.
    assert_eq!(
        r.git(&["cat-file", "-p", &seen]).trim_end(),
        "# Source\n\nThe figure is 42."
    );
    assert_eq!(
        done[1]["written"],
        json!([{"path": "notes/a.md", "blob": left}])
    );
    assert_eq!(done[2]["unknown_reads"], json!(["wc -l docs/*.md"]));
    // The folded turn carries them on its actions.
    let t = r.turn("t1");
    assert_eq!(t["actions"][0]["sources"][0]["blob"], seen.as_str());
    assert_eq!(t["actions"][2]["unknown_reads"], json!(["wc -l docs/*.md"]));
    // When the in-place turn ends, what its added lines cite unread is kept.
    call(
        &r,
        "claude",
        &event(&r, "Stop", json!({"last_assistant_message": "noted"})),
    );
    let t = r.turn("t1");
    assert_eq!(
        t["citations"],
        json!([{"path": "notes/a.md", "line": 1, "target": "docs/never.md", "problem": "unread"}]),
        "{t}"
    );

    // Codex reads files with shell commands: a plain reader of named files
    // is a known read, with the blob it saw.
    let now = r.git(&["hash-object", "docs/source.md"]);
    for name in ["PreToolUse", "PostToolUse"] {
        let mut e = event(
            &r,
            name,
            json!({"tool_name": "Bash", "tool_use_id": "call_1",
                   "tool_input": {"command": "sed -n '1,40p' docs/source.md"},
                   "tool_response": "# Source"}),
        );
        e["session_id"] = json!("sess-codex");
        call(&r, "codex", &e);
    }
    let done = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_done")
        .nth(3)
        .expect("codex's read is done");
    assert_eq!(
        done["sources"],
        json!([{"path": "docs/source.md", "blob": now, "read_at": done["sources"][0]["read_at"]}])
    );
    assert_eq!(done["unknown_reads"], json!(null));
}
