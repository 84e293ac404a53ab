//! Needs-you, wherever the operator is: the committed `[notify] command`,
//! here a script that records its arguments, run once per item by the
//! process that queued it — the hook gate for a held action and an agent's
//! own "I need you", the supervisor for a turn awaiting review — and not
//! while a console had a key press in the last minute.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, SystemTime};

use common::{Repo, wait_until};
use serde_json::{Value, json};

/// A notify command that records its arguments: each call writes its argv,
/// NUL-separated, to a file of its own in `calls`.
struct Recorder {
    _dir: tempfile::TempDir,
    script: PathBuf,
    calls: PathBuf,
}

fn recorder() -> Recorder {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("leash-notify")
        .tempdir()
        .unwrap();
    let calls = dir.path().join("calls");
    std::fs::create_dir(&calls).unwrap();
    let script = dir.path().join("record.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             read -r stat < /proc/$$/stat\n\
             printf '%s %s\\n' \"$stat\" \"$(readlink /proc/$$/fd/0)\" > '{0}/meta.'$$\n\
             printf '%s\\0' \"$@\" > '{0}/.call.'$$\n\
             mv '{0}/.call.'$$ '{0}/call.'$$\n",
            calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    Recorder {
        _dir: dir,
        script,
        calls,
    }
}

impl Recorder {
    /// Per call: its pid, its process group and what its stdin is.
    fn meta(&self) -> Vec<(String, String, String)> {
        std::fs::read_dir(&self.calls)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("meta."))
            .map(|e| {
                let text = std::fs::read_to_string(e.path()).unwrap();
                // pid (comm) state ppid pgrp …, then the stdin link.
                let after = &text[text.rfind(')').unwrap() + 2..];
                let fields: Vec<&str> = after.split_whitespace().collect();
                let pid = text.split_whitespace().next().unwrap().to_string();
                let stdin = fields.last().unwrap().to_string();
                (pid, fields[2].to_string(), stdin)
            })
            .collect()
    }

    /// Every call so far, each as its argv.
    fn calls(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = std::fs::read_dir(&self.calls)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("call."))
            .map(|e| {
                let bytes = std::fs::read(e.path()).unwrap();
                let text = String::from_utf8(bytes).unwrap();
                let mut args: Vec<String> = text.split('\0').map(str::to_string).collect();
                args.pop();
                args
            })
            .collect();
        out.sort();
        out
    }

    /// Waits until `n` calls were recorded, and returns them.
    fn wait_for(&self, n: usize) -> Vec<Vec<String>> {
        wait_until(&format!("{n} notify call(s)"), || {
            let calls = self.calls();
            (calls.len() >= n).then_some(calls)
        })
    }

    /// The `command` line that runs this recorder.
    fn line(&self) -> String {
        format!(
            "command = [\"{}\", \"{{title}}\", \"{{body}}\", \"turn={{turn}}\"]",
            self.script.display()
        )
    }
}

/// The config `text` (the template's, with its `[notify]` table) with
/// `line` in that table.
fn with_notify(text: &str, line: &str) -> String {
    assert!(text.contains("\n[notify]\n"), "the template has [notify]");
    text.replacen("\n[notify]\n", &format!("\n[notify]\n{line}\n"), 1)
}

/// An initialised repository whose committed config runs `rec`.
fn repo_notifying(rec: &Recorder) -> Repo {
    let r = Repo::initialised();
    let config = with_notify(&r.read(".leash/config.toml"), &rec.line());
    r.write(".leash/config.toml", &config);
    r.git(&["commit", "-qam", "notify me"]);
    r
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

/// A Write the template's policy holds for the operator.
fn held_write(r: &Repo, id: &str) -> String {
    event(
        r,
        "PreToolUse",
        json!({"tool_name": "Write", "tool_use_id": id,
               "tool_input": {"file_path": r.file("operations/x.md").display().to_string(),
                              "content": "x\n"}}),
    )
    .to_string()
}

fn answer(out: Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn notified(r: &Repo) -> Vec<Value> {
    r.events()
        .into_iter()
        .filter(|e| e["kind"] == "notified")
        .collect()
}

#[test]
fn a_held_action_notifies_once_with_its_title_body_and_turn() {
    let rec = recorder();
    let r = repo_notifying(&rec);
    let _console = r.hold_console();
    let child = r.hook("claude", &held_write(&r, "toolu_1"));
    let calls = rec.wait_for(1);
    assert_eq!(
        calls,
        vec![vec![
            "leash: t1 needs your approval".to_string(),
            "Write operations/x.md".to_string(),
            "turn=t1".to_string(),
        ]]
    );
    let marks = notified(&r);
    assert_eq!(marks.len(), 1, "{marks:?}");
    assert_eq!(marks[0]["item"], "t1.a1");
    // Detached: a process group of its own, nothing on its stdin.
    let meta = rec.meta();
    assert_eq!(meta.len(), 1, "{meta:?}");
    let (pid, group, stdin) = &meta[0];
    assert_eq!(pid, group, "its own process group");
    assert_eq!(stdin, "/dev/null");
    r.ok(&["allow", "t1.a1"]);
    let v = answer(child.wait_with_output().unwrap());
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "allow");

    // Two more processes that see the same item never notify it again;
    // of two racing on a new item, exactly one does.
    let race = |item: &'static str| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let root = r.path().to_path_buf();
                std::thread::spawn(move || {
                    let mut ws = leash::workspace::Workspace::open(&root).unwrap();
                    ws.notify_once("t1", item, "again", "again")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|&started| started)
            .count()
    };
    assert_eq!(race("t1.a1"), 0);
    assert_eq!(race("t1"), 1);
    let marks = notified(&r);
    assert_eq!(
        marks.iter().map(|m| m["item"].clone()).collect::<Vec<_>>(),
        vec![json!("t1.a1"), json!("t1")]
    );
    // Each notified event is the one start of the command: two in all.
    assert_eq!(rec.wait_for(2).len(), 2);
}

#[test]
fn a_turn_awaiting_review_notifies_with_its_hostile_title_sanitized_in_one_argument() {
    let rec = recorder();
    let r = repo_notifying(&rec);
    let title = "fix \u{1b}]0;pwned\u{7}it\u{1b}[31m now\nrm -rf ~ {body} $(id)";
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--title",
        title,
        "--",
        "sh",
        "-c",
        "echo r > r.md",
    ]);
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    let calls = rec.wait_for(1);
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(call.len(), 3, "one argument each: {call:?}");
    assert_eq!(call[0], "leash: t1 awaits your review");
    assert_eq!(call[2], "turn=t1");
    let body = &call[1];
    assert!(
        !body.chars().any(|c| c.is_control()),
        "no escape, bell or newline reaches the command: {body:?}"
    );
    // The words stay, as text: `{body}` is not filled again, `$(id)` is
    // never run; the OSC's payload goes with it.
    for kept in ["fix ", "it", " now", "rm -rf ~ {body} $(id)"] {
        assert!(body.contains(kept), "{kept} in {body:?}");
    }
    assert!(!body.contains("pwned"), "{body:?}");
    assert_eq!(notified(&r)[0]["item"], "t1");
}

#[test]
fn claudes_notification_and_ask_user_question_are_queued_notified_and_dismissable() {
    let rec = recorder();
    let r = repo_notifying(&rec);
    let out = r
        .hook(
            "claude",
            &event(&r, "UserPromptSubmit", json!({"prompt": "tidy up"})).to_string(),
        )
        .wait_with_output()
        .unwrap();
    assert!(out.status.success());
    let out = r
        .hook(
            "claude",
            &event(
                &r,
                "Notification",
                json!({"message": "Claude needs your permission to use Bash",
                       "notification_type": "permission_prompt"}),
            )
            .to_string(),
        )
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "a notification is never answered");
    let calls = rec.wait_for(1);
    assert_eq!(
        calls[0],
        vec![
            "leash: claude needs you (t1)".to_string(),
            "claude: Claude needs your permission to use Bash".to_string(),
            "turn=t1".to_string(),
        ]
    );
    let listed = r.ok(&["actions", "--json"]).json();
    assert_eq!(listed[0]["id"], "t1.a1", "{listed}");
    assert_eq!(listed[0]["tool"], "Notification", "{listed}");
    // The console shows it waiting for the operator.
    let mut app = common::console::app_with(r.path(), "dark");
    let screen = common::console::text(&common::console::render(&mut app, 160, 40));
    assert!(
        screen.contains("claude: Claude needs your permission"),
        "{screen}"
    );

    // AskUserQuestion is let through (it is the agent's user it asks) and
    // queued too.
    let ask = event(
        &r,
        "PreToolUse",
        json!({"tool_name": "AskUserQuestion", "tool_use_id": "toolu_q",
               "tool_input": {"questions": [{"question": "Which branch?", "header": "Branch",
                                             "options": [{"label": "main"}], "multiSelect": false}]}}),
    );
    let v = answer(
        r.hook("claude", &ask.to_string())
            .wait_with_output()
            .unwrap(),
    );
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "allow");
    let calls = rec.wait_for(2);
    assert!(
        calls.iter().any(|c| c[1] == "claude asks: Which branch?"),
        "{calls:?}"
    );
    let listed = r.ok(&["actions", "--json"]).json();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["t1.a1", "t1.a3"], "{listed}");

    // The operator dismisses them.
    r.ok(&["deny", "t1.a1", "--reason", "seen"]);
    r.ok(&["allow", "t1.a3"]);
    assert_eq!(r.ok(&["actions", "--json"]).json(), json!([]));
}

/// The console's key-press record, as a console leaves it.
fn key_presses(r: &Repo) -> PathBuf {
    r.path().join(".git/leash/console.keys")
}

fn set_age(path: &Path, age: Duration) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
}

#[test]
fn no_notification_while_a_console_had_a_key_press_in_the_last_minute() {
    let rec = recorder();
    let r = repo_notifying(&rec);
    let _console = r.hold_console();
    // A key pressed in the console records it.
    let mut app = common::console::app_with(r.path(), "dark");
    common::console::key(&mut app, crossterm::event::KeyCode::Down);
    assert!(
        key_presses(&r).is_file(),
        "the console recorded a key press"
    );

    let child = r.hook("claude", &held_write(&r, "toolu_1"));
    r.wait_for_event("the action to wait", |e| {
        e["kind"] == "action_requested" && e["needs"] == "approval"
    });
    r.ok(&["allow", "t1.a1"]);
    answer(child.wait_with_output().unwrap());
    // The hook has answered: whatever it notified was journaled before.
    assert!(notified(&r).is_empty(), "{:?}", notified(&r));
    assert!(rec.calls().is_empty());

    // A minute and more later, the next one is notified.
    set_age(&key_presses(&r), Duration::from_secs(61));
    let child = r.hook("claude", &held_write(&r, "toolu_2"));
    let calls = rec.wait_for(1);
    assert_eq!(calls[0][2], "turn=t1");
    assert_eq!(notified(&r)[0]["item"], "t1.a2");
    r.ok(&["deny", "t1.a2", "--reason", "no"]);
    child.wait_with_output().unwrap();
}

#[test]
fn a_notify_command_changed_in_the_working_tree_but_not_committed_is_not_used() {
    let committed = recorder();
    let edited = recorder();
    let r = repo_notifying(&committed);
    // The agent (or anyone) edits the config without committing it.
    let config = r.read(".leash/config.toml").replace(
        &committed.script.display().to_string(),
        &edited.script.display().to_string(),
    );
    r.write(".leash/config.toml", &config);
    assert!(config.contains(&edited.script.display().to_string()));
    let _console = r.hold_console();
    let child = r.hook("claude", &held_write(&r, "toolu_1"));
    committed.wait_for(1);
    r.ok(&["deny", "t1.a1", "--reason", "no"]);
    child.wait_with_output().unwrap();
    assert!(edited.calls().is_empty(), "{:?}", edited.calls());

    // With no command committed at all, a working-tree one is never run.
    let r = Repo::initialised();
    let config = with_notify(&r.read(".leash/config.toml"), &edited.line());
    r.write(".leash/config.toml", &config);
    let _console = r.hold_console();
    let child = r.hook("claude", &held_write(&r, "toolu_1"));
    r.wait_for_event("the action to wait", |e| {
        e["kind"] == "action_requested" && e["needs"] == "approval"
    });
    r.ok(&["deny", "t1.a1", "--reason", "no"]);
    child.wait_with_output().unwrap();
    assert!(notified(&r).is_empty());
    assert!(edited.calls().is_empty(), "{:?}", edited.calls());
}

#[test]
fn a_notify_command_that_cannot_start_is_a_warning_and_the_action_still_waits() {
    let r = Repo::initialised();
    let config = with_notify(
        &r.read(".leash/config.toml"),
        "command = [\"/no/such/notify-program\", \"{title}\"]",
    );
    r.write(".leash/config.toml", &config);
    r.git(&["commit", "-qam", "a notify command that is not there"]);
    let _console = r.hold_console();
    let child = r.hook("claude", &held_write(&r, "toolu_1"));
    let mark = r.wait_for_event("the notified mark", |e| e["kind"] == "notified");
    assert_eq!(mark["item"], "t1.a1");
    let warning = mark["warning"].as_str().unwrap();
    assert!(warning.contains("/no/such/notify-program"), "{warning}");
    // The action is still held for the operator.
    assert_eq!(r.ok(&["actions", "--json"]).json()[0]["id"], "t1.a1");
    r.ok(&["allow", "t1.a1"]);
    let v = answer(child.wait_with_output().unwrap());
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "allow");
}

#[test]
fn an_in_place_turn_that_ends_awaiting_review_is_notified_by_its_stop_hook() {
    let rec = recorder();
    let r = repo_notifying(&rec);
    let run = |name: &str, extra: Value| {
        let out = r
            .hook("claude", &event(&r, name, extra).to_string())
            .wait_with_output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    run("UserPromptSubmit", json!({"prompt": "write notes"}));
    r.write("notes.md", "some notes\n");
    run(
        "Stop",
        json!({"last_assistant_message": "done", "stop_hook_active": false}),
    );
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    let calls = rec.wait_for(1);
    assert_eq!(
        calls[0],
        vec![
            "leash: t1 awaits your review".to_string(),
            "write notes".to_string(),
            "turn=t1".to_string(),
        ]
    );
    assert_eq!(notified(&r)[0]["item"], "t1");
}
