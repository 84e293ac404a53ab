//! Never losing work: detached supervisors that die, cancellation, torn
//! journal lines, and crashes in the middle of landing or rolling back.

mod common;

use common::{Repo, alive, wait_until};

fn started(r: &Repo, id: &str) -> serde_json::Value {
    r.wait_for_event(&format!("{id} to start"), |e| {
        e["kind"] == "turn_started" && e["turn"] == id
    })
}

#[test]
fn detach_returns_at_once_and_the_turn_runs_on() {
    let r = Repo::initialised();
    let out = r.ok(&[
        "run",
        "--detach",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo d > d.md",
    ]);
    assert_eq!(out.stdout.trim(), "t1");
    r.wait_for_event("t1 to land", |e| e["kind"] == "turn_landed");
    assert_eq!(r.read("d.md"), "d\n");
    let started = started(&r, "t1");
    let sup = started["supervisor_pid"].as_u64().unwrap();
    wait_until("the supervisor to exit", || (!alive(sup)).then_some(()));
}

/// The directory of a confined turn's gate socket, beside its temp dir
/// (`leash-t1-X` → `leash-gate-t1-X`).
fn gate_dir(tmp: &std::path::Path) -> std::path::PathBuf {
    let name = tmp.file_name().unwrap().to_string_lossy();
    tmp.with_file_name(format!(
        "leash-gate-{}",
        name.strip_prefix("leash-").unwrap()
    ))
}

#[test]
fn kill_9_of_a_detached_supervisor_leaves_an_interrupted_turn_with_its_partial_work() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--detach",
        "--",
        "sh",
        "-c",
        "echo partial > partial.md; exec sleep 120",
    ]);
    let ev = started(&r, "t1");
    let sup = ev["supervisor_pid"].as_u64().unwrap();
    let agent = ev["agent_pid"].as_u64().unwrap();
    let worktree = std::path::PathBuf::from(ev["worktree"].as_str().unwrap());
    wait_until("the agent's first file", || {
        worktree.join("partial.md").exists().then_some(())
    });
    // While it runs, the diff already shows the partial work.
    let live = r.ok(&["diff", "t1", "--color", "never"]);
    assert!(live.stdout.contains("+partial"), "{}", live.stdout);
    assert_eq!(r.turn("t1")["state"], "running");

    // SAFETY: kill(2) on the supervisor this test started.
    assert_eq!(unsafe { libc::kill(sup as i32, libc::SIGKILL) }, 0);
    wait_until("the supervisor to die", || (!alive(sup)).then_some(()));

    // A confined turn's own temp dir (its agent's TMPDIR), which the dead
    // supervisor can no longer remove.
    let temp = std::env::temp_dir();
    // (Read from the journal file: any `leash` command would recover first.)
    let confined = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "turn_confined" && e["turn"] == "t1");
    let tmp_dir: Option<std::path::PathBuf> = confined
        .as_ref()
        .and_then(|e| e["writable"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(std::path::PathBuf::from))
        .find(|p| {
            p.parent() == Some(temp.as_path())
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("leash-t1-"))
        });
    if confined.as_ref().is_some_and(|e| e["confined"] == true) {
        let d = tmp_dir
            .as_ref()
            .expect("a confined turn lists its temp dir");
        assert!(d.is_dir(), "{}", d.display());
        assert!(gate_dir(d).is_dir(), "{}", gate_dir(d).display());
    }

    let out = r.ok(&["turns", "--json"]);
    assert!(out.stderr.contains("t1 was interrupted"), "{}", out.stderr);
    let t = r.turn("t1");
    assert_eq!(t["state"], "interrupted");
    assert_eq!(t["failure"], "interrupted");
    assert!(worktree.join("partial.md").exists(), "the worktree is kept");
    if let Some(d) = &tmp_dir {
        assert!(!d.exists(), "its temp dir is removed: {}", d.display());
        let gate = gate_dir(d);
        assert!(
            !gate.exists(),
            "its gate's dir is removed: {}",
            gate.display()
        );
    }
    let diff = r.ok(&["diff", "t1", "--color", "never"]);
    assert!(diff.stdout.contains("+partial"), "{}", diff.stdout);
    assert!(diff.stderr.contains("partial changes"), "{}", diff.stderr);
    wait_until("the orphaned agent to be ended", || {
        (!alive(agent)).then_some(())
    });
    // Marked once: opening again adds nothing.
    let before = r.events().len();
    r.ok(&["turns"]);
    assert_eq!(r.events().len(), before);
}

#[test]
fn a_worktree_that_cannot_be_made_interrupts_the_turn_and_says_why() {
    let r = Repo::initialised();
    r.ok(&["run", "--", "sh", "-c", "echo one > one.md"]);
    // What a removed repository at this same path left where t2's
    // worktree goes: leash does not take it over.
    let worktrees: Vec<_> = std::fs::read_dir(r.data.path().join("worktrees"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(worktrees.len(), 1, "{worktrees:?}");
    let leftover = worktrees[0].join("t2");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join(".git"), "gitdir: /nowhere/worktrees/t2\n").unwrap();
    let out = r.run(&["run", "--", "sh", "-c", "echo two > two.md"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    // The turn says why at once, not only in the supervisor's stderr.
    let t = r.turn("t2");
    assert_eq!(t["state"], "interrupted", "{t}");
    let notes = t["notes"].to_string();
    assert!(
        notes.contains("its worktree could not be made") && notes.contains("already exists"),
        "{t}"
    );
    // The leftover is untouched.
    assert!(leftover.join(".git").exists());
}

#[test]
fn cancel_ends_a_running_turn_and_names_it_cancelled() {
    let r = Repo::initialised();
    r.ok(&["run", "--detach", "--", "sh", "-c", "exec sleep 120"]);
    let ev = started(&r, "t1");
    let agent = ev["agent_pid"].as_u64().unwrap();
    let out = r.ok(&["cancel", "t1", "--json"]).json();
    assert_eq!(out["cancel"], "requested");
    r.wait_for_event("t1 to finish", |e| e["kind"] == "turn_finished");
    let t = r.turn("t1");
    assert_eq!(t["state"], "failed");
    // Interrupted means the supervisor died; this was the operator.
    assert_eq!(t["failure"], "cancelled");
    assert!(!alive(agent));
    let list = r.ok(&["turns"]).stdout;
    assert!(list.contains("cancelled"), "{list}");
    let again = r.run(&["cancel", "t1"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("not running"), "{}", again.stderr);
}

#[test]
fn a_torn_last_line_is_moved_aside_and_the_journal_goes_on() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let whole = std::fs::read_to_string(r.journal()).unwrap();
    let torn = "{\"v\":1,\"seq\":99,\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"turn_fin";
    std::fs::write(r.journal(), format!("{whole}{torn}")).unwrap();

    let out = r.ok(&["turns", "--json"]);
    assert!(out.stderr.contains("torn"), "{}", out.stderr);
    assert!(out.stderr.contains("journal.torn.1"), "{}", out.stderr);
    let aside = std::fs::read_to_string(r.path().join(".git/leash/journal.torn.1")).unwrap();
    assert_eq!(aside, torn, "the torn bytes are kept, not dropped");
    assert_eq!(std::fs::read_to_string(r.journal()).unwrap(), whole);
    assert_eq!(r.turn("t1")["state"], "awaiting_review");

    // A whole but unparsable last line goes aside too, to the next file.
    std::fs::write(r.journal(), format!("{whole}not json at all\n")).unwrap();
    let out = r.ok(&["turns"]);
    assert!(out.stderr.contains("journal.torn.2"), "{}", out.stderr);

    // And the journal goes on with dense sequence numbers.
    r.ok(&["approve", "t1"]);
    let seqs: Vec<u64> = r
        .events()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
    assert_eq!(seqs, expected);
}

#[test]
fn unknown_event_kinds_are_skipped_with_a_warning() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let mut text = std::fs::read_to_string(r.journal()).unwrap();
    text.insert_str(
        0,
        "{\"v\":2,\"seq\":0,\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"hologram_projected\",\"turn\":\"t1\"}\n",
    );
    std::fs::write(r.journal(), text).unwrap();
    let out = r.ok(&["turns", "--json"]);
    assert!(
        out.stderr
            .contains("unknown event kind `hologram_projected`"),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()[0]["state"], "awaiting_review");
    assert!(
        std::fs::read_to_string(r.journal())
            .unwrap()
            .contains("hologram_projected"),
        "kept in the file"
    );
}

#[test]
fn a_crash_after_the_checkout_is_finished_on_the_next_open() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let head = r.head();
    let out = r
        .cmd(&["approve", "t1"])
        .env("LEASH_TEST_CRASH_AT", "before_ref")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the process died mid-landing");
    assert_eq!(r.head(), head, "the branch had not moved yet");
    assert_eq!(r.read("a.md"), "a\n", "the checkout had been updated");

    let open = r.ok(&["turns"]);
    assert!(
        open.stderr.contains("finished an interrupted landing"),
        "{}",
        open.stderr
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "landed");
    assert_eq!(r.head(), t["landed_commit"].as_str().unwrap());
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_crash_before_anything_moved_is_undone_and_the_turn_waits_again() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let head = r.head();
    let out = r
        .cmd(&["approve", "t1"])
        .env("LEASH_TEST_CRASH_AT", "landing_started")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let open = r.ok(&["turns"]);
    assert!(
        open.stderr.contains("nothing was changed"),
        "{}",
        open.stderr
    );
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    assert_eq!(r.head(), head);
    assert!(!r.file("a.md").exists());
    r.ok(&["approve", "t1"]);
    assert_eq!(r.read("a.md"), "a\n");
}

#[test]
fn a_crash_mid_rollback_is_finished_on_the_next_open() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo a > a.md"]);
    let out = r
        .cmd(&["rollback", "t1"])
        .env("LEASH_TEST_CRASH_AT", "before_ref")
        .output()
        .unwrap();
    assert!(!out.status.success());
    r.ok(&["turns"]);
    let t = r.turn("t1");
    assert_eq!(t["state"], "rolled_back");
    assert_eq!(r.head(), t["rollback_commit"].as_str().unwrap());
    assert!(!r.file("a.md").exists());
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_supervisor_that_dies_after_the_agent_exits_keeps_the_work() {
    let r = Repo::initialised();
    let out = r
        .cmd(&["run", "--", "sh", "-c", "echo kept > kept.md"])
        .env("LEASH_TEST_CRASH_AT", "agent_exited")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(r.turn("t1")["state"], "interrupted");
    let diff = r.ok(&["diff", "t1", "--color", "never"]);
    assert!(diff.stdout.contains("+kept"), "{}", diff.stdout);
}

#[test]
fn a_broken_config_names_file_line_column_and_what_was_expected() {
    let r = Repo::initialised();
    r.write(
        ".leash/config.toml",
        "default_risk = \"medium\"\n\n[autonomy]\nlow = \"sometimes\"\n",
    );
    // Uncommitted, the edit is ignored (and named).
    let out = r.ok(&["turns"]);
    assert!(
        out.stderr
            .contains("uncommitted policy change ignored until committed: .leash/config.toml"),
        "{}",
        out.stderr
    );
    r.git(&["commit", "-qam", "broken policy"]);
    // A command that changes the workspace refuses (reading ones warn).
    let out = r.run(&["run", "--", "true"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(".leash/config.toml:4:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("manual, review, guarded, auto"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("(in the committed version, "),
        "{}",
        out.stderr
    );
    r.write(".leash/config.toml", "defualt_risk = \"low\"\n");
    r.git(&["commit", "-qam", "broken policy"]);
    let out = r.run(&["run", "--", "true"]);
    assert!(
        out.stderr.contains(".leash/config.toml:1:1"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("unknown field `defualt_risk`"),
        "{}",
        out.stderr
    );
}

#[test]
fn init_writes_commented_files_and_never_overwrites() {
    let r = Repo::new();
    let out = r.ok(&["init", "--json"]).json();
    assert_eq!(out["written"].as_array().unwrap().len(), 2);
    let config = r.read(".leash/config.toml");
    for key in [
        "default_risk",
        "[autonomy]",
        "[[risk]]",
        "[agents.claude]",
        "[agents.codex]",
        "[gate]",
        "approval_timeout",
        "unattended",
        "[[invariant]]",
    ] {
        assert!(config.contains(key), "config template lacks {key}");
    }
    assert!(
        config
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > 20
    );
    assert!(r.read(".leash/tasks.toml").contains("[[task]]"));
    r.write(".leash/tasks.toml", "# mine\n");
    let again = r.run(&["init"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("never overwrites"),
        "{}",
        again.stderr
    );
    assert_eq!(r.read(".leash/tasks.toml"), "# mine\n");
}

#[test]
fn every_json_output_parses() {
    let r = Repo::initialised();
    assert!(
        r.ok(&[
            "run",
            "--json",
            "--risk",
            "high",
            "--",
            "sh",
            "-c",
            "echo a > a.md"
        ])
        .json()["id"]
            == "t1"
    );
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo b > b.md"]);
    r.ok(&["turns", "--json"]).json();
    r.ok(&["turns", "--state", "awaiting_review", "--json"])
        .json();
    let show = r.ok(&["show", "t1", "--json"]).json();
    assert!(show["events"].as_array().unwrap().len() >= 3);
    let diff = r.ok(&["diff", "t1", "--json"]).json();
    assert_eq!(diff["files"][0]["path"], "a.md");
    assert!(r.ok(&["approve", "t1", "--json"]).json()["landing"]["commit"].is_string());
    r.ok(&["reject", "t2", "--reason", "no", "--json"]).json();
    r.ok(&["rollback", "t1", "--json"]).json();
    r.ok(&["autonomy", "--json"]).json();
    let log = r.ok(&["log", "--json"]);
    for line in log.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["v"], 1);
    }
    let fields = r.turns()[0].clone();
    for f in [
        "id",
        "task",
        "agent",
        "kind",
        "state",
        "risk",
        "autonomy",
        "failure",
        "base",
        "commit",
        "landed_commit",
        "title",
        "created",
        "finished",
        "files_changed",
        "insertions",
        "deletions",
    ] {
        assert!(fields.get(f).is_some(), "turns --json lacks {f}");
    }
}

#[test]
fn help_explains_and_usage_errors_exit_2() {
    let r = Repo::new();
    let help = r.ok(&["--help"]);
    assert!(help.stdout.contains("autonomy"), "{}", help.stdout);
    assert!(help.stdout.contains("leash init"), "{}", help.stdout);
    for sub in [
        "init", "run", "turns", "show", "diff", "approve", "reject", "rollback", "cancel",
        "autonomy", "log", "stats",
    ] {
        let h = r.ok(&[sub, "--help"]);
        assert!(
            h.stdout.len() > 100,
            "{sub} --help is too thin:\n{}",
            h.stdout
        );
    }
    assert_eq!(r.run(&["frobnicate"]).code, 2);
    assert_eq!(r.run(&["run", "--risk", "extreme", "--", "true"]).code, 2);
    let outside = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leash"))
        .arg("turns")
        .current_dir(outside.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
}

#[test]
fn concurrent_writers_never_lose_or_tear_a_line() {
    let r = Repo::initialised();
    let levels = ["manual", "review", "guarded", "auto"];
    let children: Vec<_> = (0..6)
        .map(|i| {
            let mut c = r.cmd(&["autonomy", "low", levels[i % 4]]);
            c.stdout(std::process::Stdio::null());
            c.spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let text = std::fs::read_to_string(r.journal()).unwrap();
    assert!(text.ends_with('\n'));
    let seqs: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        seqs,
        (1..=6).collect::<Vec<u64>>(),
        "dense, ordered, none lost"
    );
}

// ---- A kill -9 at any point leaves a repository that works ----------------

/// Git lock files under `.git`, leash's own flock files aside.
fn git_locks(r: &Repo) -> Vec<String> {
    let git = r.path().join(".git");
    let mut found = Vec::new();
    let mut stack = vec![git.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p == git.join("leash") || p == git.join("objects") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "lock") {
                found.push(p.strip_prefix(&git).unwrap().display().to_string());
            }
        }
    }
    found
}

fn fsck_ok(r: &Repo) {
    let out = std::process::Command::new("git")
        .args(["fsck", "--no-progress"])
        .current_dir(r.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git fsck failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn crash(r: &Repo, point: &str, args: &[&str]) {
    let out = r
        .cmd(args)
        .env("LEASH_TEST_CRASH_AT", point)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "leash {args:?} should have died at {point}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_lock_left_by_a_killed_landing_is_removed_journaled_and_the_landing_finished() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    // Killed while it writes the branch's ref, the landing leaves the ref's
    // lock behind (leash holds it from before the checkout to the write).
    crash(&r, "before_ref", &["approve", "t1"]);
    let lock = r.path().join(".git/refs/heads/main.lock");
    if !lock.exists() {
        std::fs::write(&lock, "").unwrap();
    }
    assert_eq!(git_locks(&r), ["refs/heads/main.lock"]);

    let open = r.ok(&["turns"]);
    assert!(
        open.stderr.contains("removed .git/refs/heads/main.lock"),
        "{}",
        open.stderr
    );
    assert!(
        open.stderr.contains("finished an interrupted landing"),
        "{}",
        open.stderr
    );
    assert!(git_locks(&r).is_empty());
    r.ok(&["log"]);
    let removed: Vec<_> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "lock_removed")
        .collect();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["path"], "refs/heads/main.lock");
    assert_eq!(removed[0]["turn"], "t1");
    assert_eq!(r.turn("t1")["state"], "landed");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    fsck_ok(&r);
}

#[test]
fn a_lock_that_may_be_someone_elses_is_named_reading_works_and_changing_refuses() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let lock = r.path().join(".git/refs/heads/main.lock");
    std::fs::write(&lock, "").unwrap();
    for args in [&["turns"][..], &["log"], &["show", "t1"], &["diff", "t1"]] {
        let out = r.ok(args);
        assert!(out.stderr.contains("main.lock"), "{args:?}: {}", out.stderr);
    }
    let head = r.head();
    let refused = r.run(&["approve", "t1"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains(&format!("rm '{}'", lock.display())),
        "names the command that clears it: {}",
        refused.stderr
    );
    assert_eq!(r.head(), head);
    assert!(!r.file("a.md").exists(), "nothing was written");
    assert!(lock.exists(), "not leash's to remove");
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    let run = r.run(&["run", "--", "true"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("main.lock"), "{}", run.stderr);

    std::fs::remove_file(&lock).unwrap();
    r.ok(&["approve", "t1"]);
    assert_eq!(r.read("a.md"), "a\n");
}

#[test]
fn an_interrupted_landing_is_finished_file_by_file_index_included() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "echo a > a.md; echo changed > README.md",
    ]);
    crash(&r, "landing_started", &["approve", "t1"]);
    // Killed mid-checkout: one file written, the index not yet.
    r.write("a.md", "a\n");
    let open = r.ok(&["turns"]);
    assert!(
        open.stderr.contains("finished an interrupted landing"),
        "{}",
        open.stderr
    );
    assert_eq!(r.turn("t1")["state"], "landed");
    assert_eq!(r.read("README.md"), "changed\n");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    // And the next landing on the same file goes through.
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "echo again >> README.md",
    ]);
    r.ok(&["approve", "t2"]);
    assert_eq!(r.read("README.md"), "changed\nagain\n");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_file_left_empty_by_a_kill_mid_write_is_restored_from_the_target() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "echo changed > README.md",
    ]);
    crash(&r, "landing_started", &["approve", "t1"]);
    // A kill in the middle of writing the file: truncated, nothing else.
    r.write("README.md", "");
    let open = r.ok(&["turns"]);
    assert!(
        !open.stderr.contains("nothing was changed"),
        "an empty file is neither side: {}",
        open.stderr
    );
    assert_eq!(r.turn("t1")["state"], "landed");
    assert_eq!(r.read("README.md"), "changed\n");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_rollback_interrupted_mid_checkout_is_finished_with_the_index() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo a > a.md; echo changed > README.md",
    ]);
    crash(&r, "rollback_started", &["rollback", "t1"]);
    std::fs::remove_file(r.file("a.md")).unwrap();
    r.write("README.md", "orig");
    r.ok(&["turns"]);
    assert_eq!(r.turn("t1")["state"], "rolled_back");
    assert!(!r.file("a.md").exists());
    assert_eq!(r.read("README.md"), "original line\n");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_kill_while_a_worktree_is_made_is_pruned_and_fsck_is_clean() {
    let r = Repo::initialised();
    crash(
        &r,
        "worktree_half_made",
        &["run", "--", "sh", "-c", "echo x > x.md"],
    );
    let admin = r.path().join(".git/worktrees/leash-t1");
    assert!(admin.exists(), "the half-made entry is there");
    let open = r.ok(&["turns"]);
    assert!(
        open.stderr.contains("half-made worktree"),
        "{}",
        open.stderr
    );
    assert!(!admin.exists());
    assert_eq!(r.turn("t1")["state"], "interrupted");
    fsck_ok(&r);
    assert_eq!(r.git(&["worktree", "list"]).lines().count(), 1);
    // The next turn goes on.
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo y > y.md"]);
    assert_eq!(r.read("y.md"), "y\n");
}

#[test]
fn journal_lines_with_bad_ids_are_quarantined_never_acted_on() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let head = r.head();
    let whole = std::fs::read_to_string(r.journal()).unwrap();
    let line = |seq: u64, body: &str| {
        format!("{{\"v\":1,\"seq\":{seq},\"ts\":\"2026-01-01T00:00:00Z\",{body}}}\n")
    };
    let short = line(
        90,
        &format!(
            "\"kind\":\"landing_started\",\"turn\":\"t1\",\"target\":\"deadbeef\",\"branch\":\"main\",\"old\":\"{head}\""
        ),
    );
    let escape = line(
        91,
        "\"kind\":\"turn_decided\",\"turn\":\"../../x\",\"decision\":\"reject\",\"by\":\"operator\"",
    );
    // A good line after the bad ones must survive.
    let good = line(
        92,
        "\"kind\":\"autonomy_set\",\"class\":\"low\",\"level\":\"manual\",\"by\":\"operator\"",
    );
    std::fs::write(r.journal(), format!("{whole}{short}{escape}{good}")).unwrap();

    let out = r.ok(&["turns"]);
    assert!(out.stderr.contains("deadbeef"), "{}", out.stderr);
    assert!(out.stderr.contains("journal.torn.1"), "{}", out.stderr);
    assert!(out.stderr.contains("journal.torn.2"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(r.path().join(".git/leash/journal.torn.1")).unwrap(),
        short
    );
    assert_eq!(
        std::fs::read_to_string(r.path().join(".git/leash/journal.torn.2")).unwrap(),
        escape
    );
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    assert_eq!(r.head(), head);
    assert!(!r.path().join("x").exists() && !r.path().join("../../x").exists());
    let autonomy = r.ok(&["autonomy", "--json"]).json();
    assert!(
        autonomy.to_string().contains("manual"),
        "the line after the bad ones was kept: {autonomy}"
    );
    // Reported once.
    let again = r.ok(&["turns"]);
    assert!(!again.stderr.contains("journal.torn"), "{}", again.stderr);
    r.ok(&["approve", "t1"]);
    assert_eq!(r.read("a.md"), "a\n");
}

#[test]
fn an_intent_naming_a_commit_that_does_not_exist_is_quarantined() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let head = r.head();
    let mut text = std::fs::read_to_string(r.journal()).unwrap();
    let seq = text.lines().count() + 1;
    let intent = format!(
        "{{\"v\":1,\"seq\":{seq},\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"landing_started\",\
         \"turn\":\"t1\",\"target\":\"{}\",\"branch\":\"main\",\"old\":\"{head}\"}}\n",
        "deadbeef".repeat(5)
    );
    text.push_str(&intent);
    std::fs::write(r.journal(), text).unwrap();
    let out = r.ok(&["turns"]);
    assert!(
        out.stderr.contains("not in the repository"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(r.path().join(".git/leash/journal.torn.1")).unwrap(),
        intent
    );
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    assert_eq!(r.head(), head);
    r.ok(&["approve", "t1"]);
}

#[test]
fn a_worktree_whose_git_file_was_cut_short_is_pruned_and_diff_works() {
    let r = Repo::initialised();
    crash(
        &r,
        "worktree_half_made",
        &["run", "--", "sh", "-c", "echo x > x.md"],
    );
    // Killed a moment later: HEAD written, the checkout's `.git` file empty.
    let admin = r.path().join(".git/worktrees/leash-t1");
    let gitdir = std::fs::read_to_string(admin.join("gitdir")).unwrap();
    let checkout = std::path::Path::new(gitdir.trim())
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::write(admin.join("HEAD"), format!("{}\n", r.head())).unwrap();
    std::fs::write(checkout.join(".git"), "").unwrap();
    let out = r.ok(&["diff", "t1"]);
    assert!(out.stderr.contains("half-made worktree"), "{}", out.stderr);
    assert!(!admin.exists());
    assert!(!checkout.exists(), "nothing of the agent's was in it");
    fsck_ok(&r);
    r.ok(&["diff", "t1"]);
}

/// A process's start time as /proc gives it (field 22 of its stat).
fn start_time(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    after.split_whitespace().nth(19).unwrap().parse().unwrap()
}

#[test]
fn a_lock_of_a_finished_turn_whose_supervisor_still_works_is_left_alone() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    // The journal says t1 finished, but its supervisor is still at work
    // (tidying its worktree, writing its ref): a live process stands in.
    let mut alive = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .unwrap();
    let (pid, start) = (alive.id(), start_time(alive.id()));
    let journal = r.path().join(".git/leash/journal.jsonl");
    let text: String = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v.get("supervisor_pid").is_some() {
                v["supervisor_pid"] = pid.into();
                v["supervisor_start"] = start.into();
            }
            format!("{v}\n")
        })
        .collect();
    std::fs::write(&journal, text).unwrap();
    let lock = r.path().join(".git/refs/leash/turns/t1.lock");
    std::fs::write(&lock, "").unwrap();

    let open = r.ok(&["turns"]);
    assert!(
        lock.exists(),
        "a live supervisor's lock was removed: {}",
        open.stderr
    );
    assert!(!open.stderr.contains("removed"), "{}", open.stderr);

    // Once that process is gone, the lock is what a killed one left.
    alive.kill().unwrap();
    alive.wait().unwrap();
    let open = r.ok(&["turns"]);
    assert!(!lock.exists(), "{}", open.stderr);
    assert!(
        open.stderr
            .contains("removed .git/refs/leash/turns/t1.lock"),
        "{}",
        open.stderr
    );
}

#[test]
fn the_hook_gate_clears_a_live_turns_ref_lock_and_leaves_settled_turns_refs_unlisted() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo a > a.md"]);
    assert_eq!(r.turn("t1")["state"], "landed");
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo b > b.md"]);
    assert_eq!(r.turn("t2")["state"], "awaiting_review");
    // A snapshot after every event: the gate then holds only the live
    // turns, as it does on a long journal.
    let snap = r
        .cmd(&["turns"])
        .env("LEASH_SNAPSHOT_EVERY", "1")
        .output()
        .unwrap();
    assert!(snap.status.success());
    // Locks a killed leash process could leave on both turns' refs.
    let turns = r.path().join(".git/refs/leash/turns");
    for id in ["t1", "t2"] {
        std::fs::write(turns.join(format!("{id}.lock")), "").unwrap();
    }
    let input = serde_json::json!({
        "session_id": "s1",
        "hook_event_name": "PreToolUse",
        "tool_name": "Read",
        "tool_input": {"file_path": r.file("a.md")},
        "tool_use_id": "toolu_1",
        "cwd": r.path(),
    });
    let out = r
        .hook("claude", &input.to_string())
        .wait_with_output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("allow"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The live turn's lock is found and removed by the hook; the settled
    // turn's folder is not listed by a hook (one file per turn ever run).
    assert_eq!(git_locks(&r), ["refs/leash/turns/t1.lock"]);
    let removed: Vec<String> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "lock_removed")
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(removed, ["refs/leash/turns/t2.lock"]);
    // Any other command looks everywhere and clears the rest.
    r.ok(&["turns"]);
    assert!(git_locks(&r).is_empty());
    fsck_ok(&r);
}
