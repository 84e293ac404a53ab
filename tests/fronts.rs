//! Two thin fronts over one library: the command line, the console and the
//! demo start a detached turn the same way, from a `TurnSpec`; and `leash`
//! with no subcommand outside a terminal tells the workspace's state, as it
//! always did, instead of opening the console.

mod common;

use std::time::Duration;

use common::Repo;
use leash::agents::detached;
use leash::model::RiskClass;
use leash::model::TurnSpec;
use leash::ui::worker::{Op, run_op, started_id};
use leash::workspace::Workspace;
use serde_json::Value;

/// The `turn_created` event of `id`, without what differs between any two
/// turns (its id, place in the journal, time and supervisor process); its
/// worktree is named by the id in the same folder.
fn created(r: &Repo, id: &str) -> Value {
    let mut e = r.wait_for_event(&format!("{id} to be created"), |e| {
        e["kind"] == "turn_created" && e["turn"] == id
    });
    let obj = e.as_object_mut().unwrap();
    for k in ["ts", "seq", "turn", "supervisor_pid", "supervisor_start"] {
        obj.remove(k);
    }
    let wt = obj["worktree"].as_str().unwrap().to_string();
    let folder = wt.strip_suffix(&format!("/{id}")).expect(&wt);
    obj.insert("worktree".into(), format!("{folder}/ID").into());
    e
}

#[test]
fn the_cli_the_console_and_the_demo_start_the_same_turn_from_one_spec() {
    let r = Repo::initialised();
    // The console's and the library's supervisors inherit this process's
    // environment: keep their worktrees with the test.
    // SAFETY: set before any thread of this test binary reads it; every
    // other test here passes its own environment to the commands it runs.
    unsafe { std::env::set_var("LEASH_DATA_DIR", r.data.path()) };
    detached::set_leash_binary(env!("CARGO_BIN_EXE_leash").into());
    let spec = TurnSpec {
        risk: Some(RiskClass::High),
        title: Some("-a title that reads like a flag".into()),
        timeout: Some(Duration::from_secs(90)),
        command: vec!["sh".into(), "-c".into(), "echo 'x  y' > note.md".into()],
        ..TurnSpec::default()
    };

    // The command line, typed as a person types it.
    let cli = r
        .ok(&[
            "run",
            "--detach",
            "--risk",
            "high",
            "--title=-a title that reads like a flag",
            "--timeout",
            "90s",
            "--",
            "sh",
            "-c",
            "echo 'x  y' > note.md",
        ])
        .stdout
        .trim()
        .to_string();
    // The console: its new-turn form hands the spec to the worker.
    let mut ws = Workspace::open(r.path()).unwrap();
    let said = run_op(&mut ws, &Op::Start(Box::new(spec.clone()))).unwrap();
    let console = started_id(&said).expect(&said).to_string();
    // The demo: the library call itself.
    let demo = detached::start(r.path(), &spec).unwrap();

    let ids = [cli, console, demo];
    assert_eq!(ids, ["t1", "t2", "t3"]);
    let first = created(&r, "t1");
    assert_eq!(first["title"], "-a title that reads like a flag");
    assert_eq!(first["risk"], "high");
    assert_eq!(
        first["command"],
        serde_json::json!(["sh", "-c", "echo 'x  y' > note.md"])
    );
    for id in &ids[1..] {
        assert_eq!(created(&r, id), first, "{id} against t1");
    }
    for id in &ids {
        let finished = r.wait_for_event(&format!("{id} to finish"), |e| {
            e["kind"] == "turn_finished" && e["turn"] == id.as_str()
        });
        assert_eq!(finished["exit"], 0, "{finished}");
    }
    let turns = r.turns();
    for t in &turns {
        assert_eq!(t["state"], "awaiting_review", "{t}");
        assert_eq!(t["title"], "-a title that reads like a flag", "{t}");
    }
}

#[test]
fn a_turn_the_library_cannot_start_says_why_as_the_cli_does() {
    let r = Repo::initialised();
    detached::set_leash_binary(env!("CARGO_BIN_EXE_leash").into());
    let spec = TurnSpec {
        task: Some("no-such-task".into()),
        ..TurnSpec::default()
    };
    let cli = r.run(&["run", "--detach", "--task", "no-such-task"]);
    assert_eq!(cli.code, 1, "{}", cli.stderr);
    let not = detached::start(r.path(), &spec).unwrap_err();
    assert_eq!(not.code, 1);
    assert_eq!(not.kind, "refused");
    assert_eq!(cli.stderr.trim(), format!("leash: {}", not.message));
    let json = r.run(&["run", "--detach", "--json", "--task", "no-such-task"]);
    let v: Value = serde_json::from_str(json.stderr.trim()).expect(&json.stderr);
    assert_eq!(v["error"], not.message.as_str());
    assert_eq!(v["kind"], "refused");
    assert!(r.events().is_empty(), "nothing was journaled");
}

#[test]
fn leash_with_no_subcommand_outside_a_terminal_tells_the_state_and_opens_no_console() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo x > a.md"]);
    let out = r.ok(&[]);
    assert!(out.stdout.contains("branch main"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("1 turn: 0 running, 1 awaiting review, 0 landed"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("`leash --help` lists the commands"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(
        !r.path().join(".git/leash/console.lock").exists(),
        "no console was opened"
    );

    // Where leash was never set up it refuses, as every command does.
    let bare = Repo::new();
    let out = bare.run(&[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("leash is not set up here"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn a_detached_turns_agent_is_not_told_it_is_the_supervisor() {
    let r = Repo::initialised();
    let out = r.ok(&[
        "run",
        "--detach",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo \"[$LEASH_DETACHED_SUPERVISOR]\" > env.md",
    ]);
    let id = out.stdout.trim().to_string();
    r.wait_for_event("the turn to land", |e| {
        e["kind"] == "turn_landed" && e["turn"] == id.as_str()
    });
    assert_eq!(r.read("env.md"), "[]\n");
}
