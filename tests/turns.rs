//! Isolated turns end to end through the real binary on real repositories:
//! what lands by itself, what waits, what fails, and why.

mod common;

use common::Repo;

#[test]
fn low_risk_turn_lands_by_itself_as_a_commit_with_trailers() {
    let r = Repo::initialised();
    let before = r.head();
    let out = r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "mkdir -p notes && echo hi > notes/a.md",
    ]);
    assert_eq!(out.stdout.trim(), "t1");
    assert_eq!(
        r.read("notes/a.md"),
        "hi\n",
        "the checkout holds the landed file"
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "landed");
    assert_eq!(t["risk"], "low");
    assert_eq!(t["autonomy"], "guarded");
    assert_eq!(t["files_changed"], 1);
    assert_eq!(t["insertions"], 1);
    let landed = t["landed_commit"].as_str().unwrap();
    assert_eq!(r.head(), landed);
    assert_eq!(r.git(&["rev-parse", "HEAD~1"]), before);
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(msg.contains("Leash-Turn: t1"), "{msg}");
    assert!(msg.contains("Leash-Agent: generic (sh)"), "{msg}");
    assert!(msg.contains("Leash-Risk: low (declared)"), "{msg}");
    assert!(msg.contains("Leash-Decision: landed by policy"), "{msg}");
    assert!(msg.contains("Leash-Invariants:"), "{msg}");
    assert_eq!(
        r.git(&["status", "--porcelain"]),
        "",
        "nothing left uncommitted"
    );
    // The worktree lived in the data directory and is gone once landed.
    assert!(
        !r.data
            .path()
            .join("worktrees")
            .read_dir()
            .unwrap()
            .any(|d| { d.unwrap().path().join("t1").exists() })
    );
    let events: Vec<String> = r
        .events()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        events,
        [
            "turn_created",
            "turn_confined",
            "turn_started",
            "turn_finished",
            "turn_decided",
            "landing_started",
            "turn_landed"
        ]
    );
    let decided = r.events()[4].clone();
    assert_eq!(decided["by"], "policy");
}

#[test]
fn high_risk_turn_waits_until_approved_then_rolls_back() {
    let r = Repo::initialised();
    let before = r.head();
    let out = r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "mkdir -p notes && echo hi > notes/a.md",
    ]);
    assert_eq!(out.stdout.trim(), "t1");
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review");
    assert_eq!(t["autonomy"], "manual");
    assert_eq!(r.head(), before, "nothing lands before approval");
    assert!(!r.file("notes/a.md").exists());
    let commit = t["commit"].as_str().unwrap();
    assert_eq!(r.git(&["rev-parse", "refs/leash/turns/t1"]), commit);

    let diff = r.ok(&["diff", "t1", "--color", "never"]);
    assert!(diff.stdout.contains("+hi"), "{}", diff.stdout);
    let stat = r.ok(&["diff", "t1", "--stat"]);
    assert!(
        stat.stdout.contains("notes/a.md | +1 -0"),
        "{}",
        stat.stdout
    );

    let approved = r.ok(&["approve", "t1", "--reason", "looks right"]);
    assert!(
        approved.stdout.contains("t1 landed on main"),
        "{}",
        approved.stdout
    );
    assert_eq!(r.read("notes/a.md"), "hi\n");
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(
        msg.contains("Leash-Decision: approved by operator (looks right)"),
        "{msg}"
    );
    assert_eq!(r.turn("t1")["state"], "landed");

    let rolled = r.ok(&["rollback", "t1", "--reason", "not needed"]);
    assert!(rolled.stdout.contains("rolled back"), "{}", rolled.stdout);
    assert!(
        !r.file("notes/a.md").exists(),
        "the revert removed the file"
    );
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(msg.contains("Leash-Reverts: t1"), "{msg}");
    assert_eq!(
        r.git(&["rev-list", "--count", "HEAD"]),
        "4",
        "history only grows"
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "rolled_back");
    assert_eq!(t["rollback_commit"].as_str().unwrap(), r.head());
    let again = r.run(&["rollback", "t1"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already"), "{}", again.stderr);
}

#[test]
fn a_path_rule_escalates_a_low_turn_and_show_says_why() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "mkdir -p operations && echo x > operations/run.md",
    ]);
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review");
    assert_eq!(t["risk"], "high");
    assert_eq!(t["declared_risk"], "low");
    assert_eq!(t["autonomy"], "manual");
    let show = r.ok(&["show", "t1"]);
    assert!(
        show.stdout.contains("escalated  low → high"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("operations/run.md"), "{}", show.stdout);
    assert!(show.stdout.contains("`operations/**`"), "{}", show.stdout);
    assert!(show.stdout.contains("high = manual"), "{}", show.stdout);
    let esc = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "risk_escalated")
        .expect("escalation journaled");
    assert_eq!(esc["from"], "low");
    assert_eq!(esc["to"], "high");
    assert!(esc["because"].as_str().unwrap().contains("operations/**"));
    r.ok(&["approve", "t1"]);
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(
        msg.contains("Leash-Risk: high (path operations/run.md"),
        "{msg}"
    );
}

#[test]
fn a_command_rule_escalates_before_the_turn_runs() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "curl -s http://127.0.0.1:9/ > out.md || echo none > out.md",
    ]);
    let t = r.turn("t1");
    assert_eq!(t["risk"], "high");
    assert_eq!(t["state"], "awaiting_review");
    let kinds: Vec<String> = r
        .events()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().into())
        .collect();
    let created = kinds.iter().position(|k| k == "turn_created").unwrap();
    let escalated = kinds.iter().position(|k| k == "risk_escalated").unwrap();
    let started = kinds.iter().position(|k| k == "turn_started").unwrap();
    assert!(created < escalated && escalated < started, "{kinds:?}");
}

#[test]
fn a_turn_that_produces_nothing_fails_with_empty_deliverable() {
    let r = Repo::initialised();
    let out = r.run(&["run", "--", "sh", "-c", "true"]);
    assert_eq!(out.code, 1, "a failed turn exits 1");
    let t = r.turn("t1");
    assert_eq!(t["state"], "failed");
    assert_eq!(t["failure"], "empty_deliverable");
    assert!(
        out.stderr
            .contains("t1 failed — empty result (empty_deliverable)"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_answer_without_edits_is_no_changes() {
    let r = Repo::initialised();
    let out = r.ok(&["run", "--", "sh", "-c", "echo the answer is 42"]);
    assert!(out.stderr.contains("t1 no_changes"), "{}", out.stderr);
    let t = r.turn("t1");
    assert_eq!(t["state"], "no_changes");
    assert!(t["failure"].is_null());
    let log = std::fs::read_to_string(r.path().join(".git/leash/turns/t1/output.log")).unwrap();
    assert_eq!(log, "the answer is 42\n");
}

#[test]
fn a_failing_command_with_changes_waits_for_review_and_never_lands_by_itself() {
    let r = Repo::initialised();
    r.ok(&["autonomy", "low", "auto"]);
    let out = r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo half > half.md; exit 3",
    ]);
    assert!(out.stderr.contains("awaiting_review"), "{}", out.stderr);
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review");
    assert_eq!(t["failure"], "crashed");
    assert_eq!(t["exit"], 3);
    assert!(!r.file("half.md").exists());
}

#[test]
fn untracked_files_are_committed_and_ignored_files_are_not() {
    let r = Repo::initialised();
    r.write(".gitignore", "*.log\n");
    r.git(&["add", ".gitignore"]);
    r.git(&["commit", "-q", "-m", "ignore logs"]);
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "mkdir -p d/e && echo a > d/e/new.md && echo b > debug.log && rm README.md",
    ]);
    let files = r.git(&["show", "--name-status", "--format=", "refs/leash/turns/t1"]);
    assert!(files.contains("A\td/e/new.md"), "{files}");
    assert!(files.contains("D\tREADME.md"), "{files}");
    assert!(!files.contains("debug.log"), "{files}");
}

#[test]
fn the_agent_runs_as_argv_in_its_worktree_with_leash_variables() {
    let r = Repo::initialised();
    // The semicolon and `$(…)` reach the program as literal text: no shell.
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "printf '%s\\n' \"$LEASH_TURN\" \"$LEASH_WORKSPACE\" \"$PWD\" \"$1\" > env.txt",
        "sh",
        "a; $(rm -rf /)",
    ]);
    let show = r.ok(&["show", "t1", "--json"]).json();
    let worktree = show["worktree"].as_str().unwrap().to_string();
    let env = r.git(&["show", "refs/leash/turns/t1:env.txt"]);
    let lines: Vec<&str> = env.lines().collect();
    assert_eq!(lines[0], "t1");
    assert_eq!(
        std::path::Path::new(lines[1]).canonicalize().unwrap(),
        r.path().canonicalize().unwrap()
    );
    assert_eq!(lines[2], worktree);
    assert!(
        worktree.starts_with(r.data.path().to_str().unwrap()),
        "worktree {worktree} lives in the data dir"
    );
    assert!(!worktree.starts_with(r.path().to_str().unwrap()));
    assert_eq!(lines[3], "a; $(rm -rf /)");
    let started = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "turn_started")
        .unwrap();
    assert!(started["supervisor_pid"].as_u64().unwrap() > 0);
    assert!(started["agent_pid"].as_u64().unwrap() > 0);
}

#[test]
fn a_timeout_ends_the_agent_and_names_the_failure() {
    let r = Repo::initialised();
    let out = r.run(&[
        "run",
        "--timeout",
        "300ms",
        "--",
        "sh",
        "-c",
        "echo partial > p.md; exec sleep 60",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let t = r.turn("t1");
    assert_eq!(t["failure"], "timed_out");
    assert_eq!(
        t["state"], "awaiting_review",
        "it changed a file, so a person decides"
    );
    let pid = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "turn_started")
        .unwrap()["agent_pid"]
        .as_u64()
        .unwrap();
    assert!(!common::alive(pid), "the agent is gone");
}

#[test]
fn a_missing_program_is_refused_before_a_turn_is_made() {
    let r = Repo::initialised();
    let out = r.run(&["run", "--", "no-such-program-xyz"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("command not found: `no-such-program-xyz`"),
        "{}",
        out.stderr
    );
    assert!(r.turns().is_empty());
}

#[test]
fn a_turn_started_on_an_unborn_branch_lands_as_the_first_commit() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    common::git(dir.path(), &["init", "-q", "-b", "main"]);
    common::git(dir.path(), &["config", "user.name", "T"]);
    common::git(dir.path(), &["config", "user.email", "t@example.com"]);
    let r = Repo { dir, data };
    r.ok(&["init"]);
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo first > first.md",
    ]);
    assert_eq!(r.turn("t1")["state"], "landed");
    assert_eq!(r.git(&["rev-list", "--count", "HEAD"]), "1");
    assert_eq!(r.read("first.md"), "first\n");
}

#[test]
fn moving_a_slider_is_journaled_and_changes_the_next_turn() {
    let r = Repo::initialised();
    let set = r.ok(&["autonomy", "low", "review", "--json"]).json();
    assert_eq!(set["low"], "review");
    let ev = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "autonomy_set")
        .unwrap();
    assert_eq!(ev["class"], "low");
    assert_eq!(ev["level"], "review");
    assert_eq!(ev["by"], "operator");
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo x > x.md"]);
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    let text = r.ok(&["autonomy"]).stdout;
    let low = text.lines().find(|l| l.starts_with("low")).unwrap();
    assert!(
        low.contains("[review]") && !low.contains("[guarded]"),
        "{text}"
    );
    assert_eq!(r.run(&["autonomy", "low"]).code, 2);
    assert_eq!(r.run(&["autonomy", "lowish", "auto"]).code, 2);
    assert_eq!(r.run(&["autonomy", "low", "sometimes"]).code, 2);
}

#[test]
fn a_task_override_applies_and_escalation_can_only_take_freedom_away() {
    let r = Repo::new();
    r.ok(&["init"]);
    r.write(
        ".leash/tasks.toml",
        r#"
[[task]]
name = "notes"
risk = "medium"
command = ["sh", "-c", "echo n >> n.md"]
autonomy = "auto"

[[task]]
name = "ops"
risk = "low"
command = ["sh", "-c", "mkdir -p operations && echo o > operations/o.md"]
autonomy = "auto"
"#,
    );
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "tasks"]);
    r.ok(&["run", "--task", "notes"]);
    let t = r.turn("t1");
    assert_eq!(t["task"], "notes");
    assert_eq!(t["autonomy"], "auto");
    assert_eq!(
        t["state"], "landed",
        "medium is review, but the task says auto"
    );
    assert!(
        r.git(&["log", "-1", "--format=%B"])
            .contains("Leash-Task: notes")
    );

    r.ok(&["run", "--task", "ops"]);
    let t = r.turn("t2");
    assert_eq!(t["risk"], "high");
    assert_eq!(
        t["autonomy"], "manual",
        "escalated to high: the high slider wins"
    );
    assert_eq!(t["state"], "awaiting_review");

    r.ok(&["autonomy", "--task", "notes", "manual"]);
    r.ok(&["run", "--task", "notes", "--title", "again"]);
    assert_eq!(r.turn("t3")["state"], "awaiting_review");
    assert_eq!(r.run(&["autonomy", "--task", "nope", "auto"]).code, 1);
}

#[test]
fn reject_keeps_the_commit_under_refs_leash_rejected() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo r > r.md"]);
    let commit = r.turn("t1")["commit"].as_str().unwrap().to_string();
    assert_eq!(r.run(&["reject", "t1"]).code, 2, "a reason is required");
    let out = r
        .ok(&["reject", "t1", "--reason", "wrong file", "--json"])
        .json();
    assert_eq!(out["kept_at"], "refs/leash/rejected/t1");
    assert_eq!(r.git(&["rev-parse", "refs/leash/rejected/t1"]), commit);
    assert!(!r.file("r.md").exists());
    let t = r.turn("t1");
    assert_eq!(t["state"], "rejected");
    let again = r.run(&["approve", "t1"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already decided"), "{}", again.stderr);
}

#[test]
fn deciding_a_turn_that_is_not_waiting_is_refused() {
    let r = Repo::initialised();
    let out = r.run(&["approve", "t9"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no turn t9"), "{}", out.stderr);
    r.run(&["run", "--", "true"]);
    let out = r.run(&["approve", "t1"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("only a turn awaiting review"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_declared_deliverable_that_is_missing_fails_the_turn_even_with_other_changes() {
    let r = Repo::new();
    r.ok(&["init"]);
    r.write(
        ".leash/tasks.toml",
        r#"
[[task]]
name = "report"
risk = "low"
command = ["sh", "-c", "mkdir -p memory && echo wrong > memory/other.md"]
deliverable = "memory/{today}/report.md"

[[task]]
name = "report-ok"
risk = "low"
command = ["sh", "-c", "d=memory/$(date +%Y-%m-%d); mkdir -p $d && echo done > $d/report.md"]
deliverable = "memory/{today}/report.md"
"#,
    );
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "tasks"]);
    r.ok(&["run", "--task", "report"]);
    let t = r.turn("t1");
    assert_eq!(t["failure"], "empty_deliverable");
    assert_eq!(
        t["state"], "awaiting_review",
        "it changed files: a person decides"
    );
    assert!(
        !r.file("memory/other.md").exists(),
        "a failure never lands by itself"
    );
    r.ok(&["run", "--task", "report-ok"]);
    assert_eq!(r.turn("t2")["state"], "landed");
}

#[test]
fn an_agent_killed_by_a_signal_is_crashed() {
    let r = Repo::initialised();
    let out = r.run(&["run", "--", "sh", "-c", "echo x > x.md; kill -SEGV $$"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let t = r.turn("t1");
    assert_eq!(t["failure"], "crashed");
    assert_eq!(t["signal"], 11);
    assert!(t["exit"].is_null());
    assert_eq!(t["state"], "awaiting_review");
}

#[test]
fn a_turn_whose_diff_touches_a_protected_path_never_lands_by_itself() {
    let r = Repo::initialised();
    // Every slider at auto: only protection can hold these turns.
    for class in ["low", "medium", "high"] {
        r.ok(&["autonomy", class, "auto"]);
    }
    for (i, path) in [
        ".leash/config.toml",
        ".claude/settings.json",
        ".codex/config.toml",
    ]
    .iter()
    .enumerate()
    {
        let id = format!("t{}", i + 1);
        let script = format!("mkdir -p \"$(dirname {path})\" && echo 'x = 1' >> {path}");
        r.ok(&["run", "--risk", "low", "--", "sh", "-c", &script]);
        let t = r.turn(&id);
        assert_eq!(t["state"], "awaiting_review", "{path}: {t}");
        assert_eq!(t["risk"], "high", "{path}");
        assert_eq!(t["autonomy"], "manual", "{path}");
        let show = r.ok(&["show", &id]).stdout;
        assert!(show.contains("rule `protected`"), "{show}");
        r.ok(&["reject", &id, "--reason", "no"]);
    }
    // The same turn elsewhere lands by itself.
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo x > notes.md",
    ]);
    assert_eq!(r.turn("t4")["state"], "landed");
}

#[test]
fn a_state_filter_that_matches_nothing_says_so_rather_than_no_turns_yet() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let out = r.ok(&["turns", "--state", "running"]);
    assert!(
        out.stdout.contains("no running turns (of 1 turn"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("no turns yet"), "{}", out.stdout);
    let out = r.ok(&["turns", "--state", "awaiting_review"]);
    assert!(out.stdout.contains("t1"), "{}", out.stdout);
}

/// `leash diff`'s colours follow the usual conventions: `NO_COLOR` turns
/// them off even when asked for by `CLICOLOR_FORCE`, which turns them on
/// for a pipe; `--color always|never` overrides both.
#[test]
fn diff_colours_honour_no_color_and_clicolor_force() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo hi > a.md"]);
    let diff = |env: &[(&str, &str)], args: &[&str]| {
        let mut argv = vec!["diff", "t1"];
        argv.extend(args);
        let mut c = r.cmd(&argv);
        c.env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let escapes = |s: &str| s.contains('\x1b');
    let plain = diff(&[], &[]);
    assert!(!escapes(&plain), "a pipe gets no colour: {plain:?}");
    assert!(plain.contains("+hi"), "{plain}");
    let no_color = diff(&[("NO_COLOR", "1")], &[]);
    assert!(!escapes(&no_color), "{no_color:?}");
    assert_eq!(no_color, plain);
    let forced = diff(&[("CLICOLOR_FORCE", "1")], &[]);
    assert!(forced.contains("\x1b[32m+hi\x1b[0m"), "{forced:?}");
    let both = diff(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]);
    assert!(!escapes(&both), "NO_COLOR wins: {both:?}");
    let always = diff(&[("NO_COLOR", "1")], &["--color", "always"]);
    assert!(always.contains("\x1b[32m+hi\x1b[0m"), "{always:?}");
    let never = diff(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]);
    assert_eq!(never, plain);
}

/// `leash turns --json` as it prints, and the same list folded from the
/// whole journal with no snapshot (which lists from the state alone).
fn listed_both_ways(r: &Repo) -> (String, String) {
    let run = |every: &str| {
        let out = r
            .cmd(&["turns", "--json"])
            .env("LEASH_SNAPSHOT_EVERY", every)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let snapshot = r.path().join(".git/leash/snapshot");
    let fast = run("1");
    let kept = r.path().join(".git/leash/snapshot-kept");
    std::fs::rename(&snapshot, &kept).unwrap();
    let whole = run("0");
    std::fs::rename(&kept, &snapshot).unwrap();
    (fast, whole)
}

#[test]
fn turns_json_copies_settled_rows_from_the_snapshot_and_lists_what_the_whole_fold_lists() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo a > a.md"]);
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo b > b.md"]);
    r.ok(&["reject", "t2", "--reason", "not now"]);
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo c > c.md"]);
    // A settled turn with no autonomy of its own (created, then
    // interrupted before it ran): its row follows the day's sliders.
    let mut journal = std::fs::read_to_string(r.journal()).unwrap();
    let seq = journal.lines().count() as u64;
    for (i, line) in [
        r#""kind":"turn_created","turn":"t4","agent":"sh","turn_kind":"isolated","risk":"medium","title":"never ran""#,
        r#""kind":"turn_interrupted","turn":"t4","reason":"stopped before it began""#,
    ]
    .iter()
    .enumerate()
    {
        journal.push_str(&format!(
            "{{\"v\":1,\"seq\":{},\"ts\":\"2026-12-01T00:00:00.000Z\",{line}}}\n",
            seq + 1 + i as u64
        ));
    }
    std::fs::write(r.journal(), journal).unwrap();
    // The first listing saves the snapshot; the second lists from it.
    let (_, whole) = listed_both_ways(&r);
    let (fast, _) = listed_both_ways(&r);
    assert_eq!(fast, whole);
    let v: serde_json::Value = serde_json::from_str(&fast).unwrap();
    let states: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["landed", "rejected", "awaiting_review", "interrupted"]
    );
    let rows = std::fs::read_to_string(r.path().join(".git/leash/snapshot/rows.jsonl")).unwrap();
    let row_of = |id: &str| {
        rows.lines()
            .rfind(|l| l.split(' ').nth(1) == Some(id))
            .unwrap_or_else(|| panic!("no row for {id} in {rows}"))
            .to_string()
    };
    assert!(row_of("t1").contains("\"state\":\"landed\""), "{rows}");
    assert!(
        row_of("t4").split(' ').nth(2).unwrap().starts_with('@'),
        "{rows}"
    );
    assert!(!rows.contains(" t3 "), "a live turn has no row: {rows}");

    // A slider moved: the turn with no autonomy of its own follows it.
    r.ok(&["autonomy", "medium", "auto"]);
    let (fast, whole) = listed_both_ways(&r);
    assert_eq!(fast, whole);
    assert!(fast.contains("\"autonomy\":\"auto\""), "{fast}");
    // A settled turn changed after the snapshot (rolled back): the state's
    // newer turn wins over its row.
    r.ok(&["rollback", "t1", "--reason", "not needed"]);
    let listed = r
        .cmd(&["turns", "--json"])
        .env("LEASH_SNAPSHOT_EVERY", "0")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(v[0]["state"], "rolled_back");
    let (fast, whole) = listed_both_ways(&r);
    assert_eq!(fast, whole);

    let rows_path = r.path().join(".git/leash/snapshot/rows.jsonl");
    let rows = std::fs::read_to_string(&rows_path).unwrap();
    // Damaged rows (cut short) are never used: the listing is still right.
    std::fs::write(&rows_path, &rows[..rows.len() / 2]).unwrap();
    let out = r.ok(&["turns", "--json"]);
    let again: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let whole: serde_json::Value = serde_json::from_str(&listed_both_ways(&r).1).unwrap();
    assert_eq!(again, whole);
}

#[test]
fn turns_json_lists_the_settled_turns_from_the_snapshot_rows_without_reading_them_again() {
    let r = Repo::initialised();
    for i in 0..6 {
        r.ok(&[
            "run",
            "--risk",
            "low",
            "--",
            "sh",
            "-c",
            &format!("echo {i} > f{i}.md"),
        ]);
    }
    listed_both_ways(&r);
    let rows_path = r.path().join(".git/leash/snapshot/rows.jsonl");
    let rows = std::fs::read_to_string(&rows_path).unwrap();
    assert_eq!(rows.lines().count(), 6, "{rows}");
    assert!(rows.len() > 5000, "t1's row is outside the window checked");
    // t1's row edited (same length) where the snapshot's check does not
    // look: the listing shows the edit, so the row was copied, not made.
    let edited = rows.replacen("echo 0 > f0.md", "ECHO 0 > F0.MD", 1);
    assert_ne!(edited, rows);
    std::fs::write(&rows_path, &edited).unwrap();
    let out = r.ok(&["turns", "--json"]);
    assert!(out.stdout.contains("ECHO 0 > F0.MD"), "{}", out.stdout);
}
