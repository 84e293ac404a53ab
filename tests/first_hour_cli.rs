//! The command line in a newcomer's first hour: refusals that create
//! nothing and say what to do (no terminal, detached HEAD, a missing agent,
//! a repository never set up, a broken config, no repository at all), and
//! the small things a first look catches (empty reasons, titles, `--json`
//! errors, hooks written for a shared settings file).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Repo, wait_until};
use serde_json::Value;

/// Every path under `dir` (relative), with each file's length: what a
/// command that must create nothing is checked against.
fn listing(dir: &Path) -> BTreeSet<(PathBuf, u64)> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let meta = entry.metadata().unwrap();
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            if meta.is_dir() {
                stack.push(path);
                out.insert((rel, 0));
            } else {
                out.insert((rel, meta.len()));
            }
        }
    }
    out
}

fn turn_created(r: &Repo) -> usize {
    r.events()
        .iter()
        .filter(|e| e["kind"] == "turn_created")
        .count()
}

/// An empty folder to use as the whole PATH: no program is found there.
fn empty_path() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn demo_without_a_terminal_says_what_to_do_and_starts_nothing() {
    let r = Repo::new();
    let dir = r.data.path().join("demo-ws");
    let out = r
        .cmd(&["demo", "--dir", dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("needs a terminal"), "{stderr}");
    assert!(
        stderr.contains("leash demo --no-console --dir DIR"),
        "{stderr}"
    );
    for panic in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(panic), "{stderr}");
    }
    assert!(
        !dir.exists(),
        "no workspace is built, so no demo turn started"
    );
}

#[test]
fn run_on_a_detached_head_refuses_before_creating_a_turn() {
    let r = Repo::initialised();
    r.git(&["checkout", "-q", "--detach"]);
    let head = r.head();
    let out = r.run(&["run", "--risk", "low", "--", "sh", "-c", "echo hi > a.md"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("HEAD is detached"), "{}", out.stderr);
    assert!(out.stderr.contains("git switch main"), "{}", out.stderr);
    assert!(out.stderr.contains("no turn was created"), "{}", out.stderr);
    assert_eq!(turn_created(&r), 0);
    assert!(!r.path().join(".git/leash/turns/t1").exists());
    assert_eq!(r.head(), head);
}

#[test]
fn approving_a_turn_started_on_a_detached_head_says_what_to_do() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo hi > a.md"]);
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    // As an older leash recorded a turn started on a detached HEAD.
    let journal = std::fs::read_to_string(r.journal()).unwrap();
    let edited: Vec<String> = journal
        .lines()
        .map(|l| {
            if l.contains("\"turn_created\"") {
                l.replace("\"branch\":\"main\"", "\"branch\":null")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_ne!(
        edited.join("\n"),
        journal.trim_end(),
        "the branch was edited"
    );
    std::fs::write(r.journal(), edited.join("\n") + "\n").unwrap();
    let out = r.run(&["approve", "t1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    for hint in [
        "detached HEAD",
        "refs/leash/turns/t1",
        "git cherry-pick refs/leash/turns/t1",
        "leash reject t1",
    ] {
        assert!(out.stderr.contains(hint), "{hint}: {}", out.stderr);
    }
    assert_eq!(r.turn("t1")["state"], "awaiting_review", "it waits again");
}

#[test]
fn a_missing_agent_is_named_with_how_to_install_it_and_no_turn_is_made() {
    let r = Repo::initialised();
    let path = empty_path();
    for (agent, hint) in [
        ("claude", "npm install -g @anthropic-ai/claude-code"),
        ("codex", "npm install -g @openai/codex"),
    ] {
        let out = r
            .cmd(&["run", "--agent", agent, "--prompt", "hello"])
            .env("PATH", path.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(hint), "{agent}: {stderr}");
        assert!(stderr.contains(&format!("`{agent}`")), "{stderr}");
    }
    let out = r.run(&["run", "--", "no-such-program-xyz", "--flag"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("command not found: `no-such-program-xyz`"),
        "{}",
        out.stderr
    );
    assert_eq!(
        turn_created(&r),
        0,
        "no turn for a program that is not there"
    );
}

#[test]
fn an_unknown_task_lists_the_tasks() {
    let r = Repo::initialised();
    let out = r.run(&["run", "--task", "nope"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("no task `nope`") && out.stderr.contains("draft-post, format"),
        "{}",
        out.stderr
    );
}

#[test]
fn nothing_is_created_where_leash_was_never_set_up() {
    let r = Repo::new();
    let head = r.head();
    let before = listing(&r.path().join(".git"));
    for args in [
        &["turns"][..],
        &["turns", "--json"],
        &["log"],
        &["show", "t1"],
        &["diff", "t1"],
        &["actions"],
        &["autonomy"],
        &["check"],
        &[],
        &["run", "--risk", "low", "--", "sh", "-c", "echo hi > a.md"],
    ] {
        let out = r.run(args);
        assert_eq!(out.code, 1, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("leash is not set up here")
                && out.stderr.contains("run `leash init`"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(
            listing(&r.path().join(".git")),
            before,
            "{args:?} created or changed something under .git"
        );
    }
    r.ok(&["hooks", "status"]);
    assert_eq!(listing(&r.path().join(".git")), before, "hooks status");
    assert_eq!(r.head(), head, "nothing landed");
    assert!(!r.path().join("a.md").exists());
}

#[test]
fn reading_a_set_up_workspace_with_no_turns_creates_no_journal() {
    let r = Repo::initialised();
    let before = listing(&r.path().join(".git"));
    let out = r.ok(&["turns"]);
    assert!(out.stdout.contains("no turns yet"), "{}", out.stdout);
    r.ok(&["log"]);
    r.ok(&["autonomy"]);
    assert_eq!(listing(&r.path().join(".git")), before);
    assert!(!r.journal().exists());
}

#[test]
fn a_broken_config_still_lets_turns_log_and_show_answer_with_a_warning() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo hi > a.md"]);
    r.write(".leash/config.toml", "[autonomy]\nlow = \"sometimes\"\n");
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "broken policy"]);
    for (args, shows) in [
        (&["turns"][..], "t1"),
        (&["log"], "t1"),
        (&["show", "t1"], "t1"),
        (&["diff", "t1"], "+hi"),
    ] {
        let out = r.run(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(out.stdout.contains(shows), "{args:?}: {}", out.stdout);
        assert!(
            out.stderr.contains("warning") && out.stderr.contains(".leash/config.toml:2:7"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // What changes the workspace still refuses, naming the error.
    for args in [
        &["run", "--", "sh", "-c", "echo x > b.md"][..],
        &["approve", "t1"],
        &["autonomy", "low", "auto"],
    ] {
        let out = r.run(args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(".leash/config.toml:2:7"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
}

#[test]
fn outside_a_repository_the_error_names_the_folder_and_git_init() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("not a repo");
    std::fs::create_dir(&dir).unwrap();
    let abs = dir.canonicalize().unwrap();
    for args in [
        &["turns"][..],
        &["run", "--", "true"],
        &["init"],
        &["hooks", "status"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_leash"))
            .args(args)
            .current_dir(&dir)
            .env("GIT_CEILING_DIRECTORIES", outer.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("{} is not inside a git repository", abs.display())),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("git init"), "{args:?}: {stderr}");
        for code in ["class=", "code=", "(-3)"] {
            assert!(!stderr.contains(code), "{args:?}: {stderr}");
        }
    }
}

#[test]
fn reject_refuses_an_empty_or_blank_reason() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo hi > a.md"]);
    for reason in ["", "   ", "\t\n"] {
        let out = r.run(&["reject", "t1", "--reason", reason]);
        assert_eq!(out.code, 2, "{reason:?}: {}", out.stderr);
        assert!(out.stderr.contains("needs a reason"), "{}", out.stderr);
    }
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    r.ok(&["reject", "t1", "--reason", "not now"]);
}

#[test]
fn a_task_title_has_its_date_placeholders_expanded_in_the_commit_subject() {
    let r = Repo::initialised();
    r.write(
        ".leash/tasks.toml",
        "[[task]]\nname = \"notes\"\ntitle = \"Notes for {today}, after {yesterday}\"\n\
         command = [\"sh\", \"-c\", \"echo x > n.md\"]\nrisk = \"high\"\n",
    );
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "a task"]);
    r.ok(&["run", "--task", "notes"]);
    let today = chrono::Local::now().date_naive();
    let want = format!(
        "Notes for {}, after {}",
        today.format("%Y-%m-%d"),
        today.pred_opt().unwrap().format("%Y-%m-%d")
    );
    assert_eq!(r.turn("t1")["title"], want.as_str());
    assert_eq!(
        r.git(&["log", "-1", "--format=%s", "refs/leash/turns/t1"]),
        want
    );
}

#[test]
fn a_command_turn_title_keeps_the_quotes_of_its_arguments() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "echo hi > note.md",
    ]);
    assert_eq!(r.turn("t1")["title"], "sh -c 'echo hi > note.md'");
    let show = r.ok(&["show", "t1"]);
    assert!(
        show.stdout.contains("generic · sh -c 'echo hi > note.md'"),
        "{}",
        show.stdout
    );
}

#[test]
fn with_json_an_error_is_a_json_object_on_stderr() {
    let r = Repo::initialised();
    let parse = |s: &str| -> Value {
        serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
    };
    let out = r.run(&["show", "t9", "--json"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    let v = parse(&out.stderr);
    assert_eq!(v["kind"], "unknown_turn");
    assert!(v["error"].as_str().unwrap().contains("no turn t9"), "{v}");
    assert_eq!(v["code"], 1);

    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo hi > a.md"]);
    let out = r.run(&["reject", "t1", "--reason", "", "--json"]);
    assert_eq!(out.code, 2);
    assert_eq!(parse(&out.stderr)["kind"], "usage");

    // A usage error clap finds is JSON as well, with its exit code.
    let out = r.run(&["reject", "t1", "--json"]);
    assert_eq!(out.code, 2);
    let v = parse(&out.stderr);
    assert_eq!(v["kind"], "usage");
    assert!(v["error"].as_str().unwrap().contains("--reason"), "{v}");

    let bare = Repo::new();
    let out = bare.run(&["turns", "--json"]);
    assert_eq!(out.code, 1);
    assert_eq!(parse(&out.stderr)["kind"], "not_set_up");
    // Without --json the same error stays a line of text.
    let out = bare.run(&["turns"]);
    assert!(out.stderr.starts_with("leash: "), "{}", out.stderr);
}

#[test]
fn turns_lists_the_newest_first() {
    let r = Repo::initialised();
    for f in ["a", "b", "c"] {
        r.ok(&[
            "run",
            "--risk",
            "high",
            "--",
            "sh",
            "-c",
            &format!("echo x > {f}.md"),
        ]);
    }
    let out = r.ok(&["turns"]);
    let ids: Vec<&str> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["t3", "t2", "t1"], "{}", out.stdout);
    let help = r.ok(&["--help"]);
    assert!(help.stdout.contains("newest first"), "{}", help.stdout);
}

/// A folder holding a `leash` that is the binary under test, for PATH.
fn leash_on_path() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_leash"), dir.path().join("leash")).unwrap();
    dir
}

fn hook_commands(r: &Repo) -> Vec<String> {
    let v: Value = serde_json::from_str(&r.read(".claude/settings.json")).unwrap();
    let mut out = Vec::new();
    for groups in v["hooks"].as_object().unwrap().values() {
        for g in groups.as_array().unwrap() {
            for h in g["hooks"].as_array().unwrap() {
                out.push(h["command"].as_str().unwrap().to_string());
            }
        }
    }
    out
}

#[test]
fn hooks_install_writes_leash_through_the_path_unless_absolute() {
    let r = Repo::initialised();
    let on_path = leash_on_path();
    let out = r
        .cmd(&["hooks", "install", "claude"])
        .env("PATH", on_path.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("not on PATH"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let cmds = hook_commands(&r);
    assert!(!cmds.is_empty());
    assert!(cmds.iter().all(|c| c == "leash hook claude"), "{cmds:?}");
    let status = r.ok(&["hooks", "status", "claude", "--json"]).json();
    assert!(
        !status[0]["installed"].as_array().unwrap().is_empty(),
        "{status}"
    );

    // `leash` not on PATH: installed all the same, with what to do.
    let empty = empty_path();
    let out = r
        .cmd(&["hooks", "install", "codex"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for hint in [
        "codex will not run them yet",
        "`leash`, which is not on PATH",
        "cargo install --path .",
        "--absolute",
    ] {
        assert!(stdout.contains(hint), "{hint}: {stdout}");
    }
    // And `hooks status` names it as what keeps the hooks from running.
    let out = r
        .cmd(&["hooks", "status", "codex", "--json"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status[0]["loads"], false, "{status}");
    assert!(
        status[0]["blockers"].as_array().unwrap().iter().any(|b| b
            .as_str()
            .unwrap()
            .contains("`leash`, which is not on PATH")),
        "{status}"
    );

    r.ok(&["hooks", "install", "claude", "--absolute"]);
    let exe = Path::new(env!("CARGO_BIN_EXE_leash"))
        .canonicalize()
        .unwrap();
    let cmds = hook_commands(&r);
    assert!(
        cmds.iter()
            .all(|c| c.ends_with(" hook claude") && c.contains(exe.to_str().unwrap())),
        "{cmds:?}"
    );
    let status = r.ok(&["hooks", "status", "claude", "--json"]).json();
    assert!(
        !status[0]["installed"].as_array().unwrap().is_empty(),
        "{status}"
    );
}

#[test]
fn hooks_uninstall_removes_the_file_it_created_and_keeps_a_users() {
    let r = Repo::initialised();
    r.ok(&["hooks", "install", "claude"]);
    assert!(r.file(".claude/settings.json").exists());
    let out = r.ok(&["hooks", "uninstall", "claude", "--json"]).json();
    assert_eq!(out["deleted"], true, "{out}");
    assert!(!r.file(".claude/settings.json").exists());
    assert!(
        !r.file(".claude").exists(),
        "the folder it made is gone too"
    );

    // A file the user had, even an empty one, stays.
    r.write(".claude/settings.json", "{}\n");
    r.ok(&["hooks", "install", "claude"]);
    r.ok(&["hooks", "uninstall", "claude"]);
    assert_eq!(r.read(".claude/settings.json"), "{}\n");

    // A file leash made but the user added to stays, without leash's hooks.
    std::fs::remove_dir_all(r.file(".claude")).unwrap();
    r.ok(&["hooks", "install", "claude"]);
    let mut v: Value = serde_json::from_str(&r.read(".claude/settings.json")).unwrap();
    v["permissions"] = serde_json::json!({"allow": ["Bash(ls)"]});
    r.write(".claude/settings.json", &v.to_string());
    r.ok(&["hooks", "uninstall", "claude"]);
    let left: Value = serde_json::from_str(&r.read(".claude/settings.json")).unwrap();
    assert_eq!(
        left,
        serde_json::json!({"permissions": {"allow": ["Bash(ls)"]}})
    );
}

#[test]
fn show_of_an_in_place_turn_calls_its_base_a_snapshot() {
    let r = Repo::initialised();
    // An in-place session through the hooks, as Claude Code reports it.
    let root = r.path().canonicalize().unwrap();
    let root = root.to_str().unwrap();
    let start = serde_json::json!({"hook_event_name": "UserPromptSubmit", "session_id": "s1",
        "cwd": root, "prompt": "write a note"});
    let out = r
        .hook("claude", &start.to_string())
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let id = wait_until("the in-place turn", || {
        r.turns()
            .into_iter()
            .find(|t| t["kind"] == "in_place")
            .map(|t| t["id"].as_str().unwrap().to_string())
    });
    let show = r.ok(&["show", &id]);
    assert!(
        show.stdout
            .contains("snapshot of the checkout before the turn"),
        "{}",
        show.stdout
    );
    assert!(!show.stdout.contains(" on main\n"), "{}", show.stdout);
}

#[test]
fn hooks_status_names_an_absolute_leash_that_is_not_there() {
    let r = Repo::initialised();
    r.ok(&["hooks", "install", "claude"]);
    // As committed from another machine with --absolute.
    let text = r.read(".claude/settings.json").replace(
        "\"leash hook claude\"",
        "\"/nowhere/bin/leash hook claude\"",
    );
    r.write(".claude/settings.json", &text);
    let status = r.ok(&["hooks", "status", "claude", "--json"]).json();
    assert!(
        !status[0]["installed"].as_array().unwrap().is_empty(),
        "still recognised as leash's: {status}"
    );
    assert_eq!(status[0]["loads"], false, "{status}");
    assert!(
        status[0]["blockers"].as_array().unwrap().iter().any(|b| {
            let b = b.as_str().unwrap();
            b.contains("/nowhere/bin/leash, which is not there")
                && b.contains("leash hooks install claude")
        }),
        "{status}"
    );
}

#[test]
fn the_console_in_a_terminal_refuses_where_leash_was_never_set_up() {
    let r = Repo::new();
    let before = listing(&r.path().join(".git"));
    // `script` gives leash a terminal, as a person typing `leash` has.
    let mut child = Command::new("script")
        .args(["-qec", env!("CARGO_BIN_EXE_leash"), "/dev/null"])
        .current_dir(r.path())
        .env("LEASH_DATA_DIR", r.data.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    // A console that opened would wait for keys: end it and fail.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("leash opened the console instead of refusing");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("leash is not set up here"), "{text}");
    assert_eq!(listing(&r.path().join(".git")), before);
}

#[test]
fn with_json_everything_on_stderr_is_json_too() {
    let r = Repo::initialised();
    // A turn whose output holds an escape sequence: the hidden-text warning.
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "printf 'hi\\033[2J\\n' > a.md",
    ]);
    // A broken committed config: the warning of a read-only command.
    r.write(".leash/config.toml", "[autonomy]\nlow = \"sometimes\"\n");
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "broken policy"]);
    for args in [&["turns", "--json"][..], &["diff", "t1", "--json"]] {
        let out = r.run(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        serde_json::from_str::<Value>(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {}", out.stdout));
        assert!(!out.stderr.is_empty(), "{args:?}: the warning is said");
        for line in out.stderr.lines() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {line}"));
            assert!(v.get("warning").is_some(), "{args:?}: {v}");
        }
        assert!(
            out.stderr.contains(".leash/config.toml:2:7"),
            "{}",
            out.stderr
        );
    }
    // Without --json the same warning is a line of text.
    let out = r.run(&["turns"]);
    assert!(out.stderr.starts_with("leash: warning: "), "{}", out.stderr);
}
