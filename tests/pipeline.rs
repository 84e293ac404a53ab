//! Pipelines through the binary: tasks with `[[task.pass]]` in real git
//! repositories, each pass run by a script that writes the pass's `out`.

mod common;

use common::pipeline::{CONFIG, Passes, repo, run_waiting_on_the_draft};
use common::{Repo, wait_until};
use serde_json::Value;

fn show(r: &Repo, run: &str) -> Value {
    r.ok(&["pipeline", "show", run, "--json"]).json()
}

fn pass<'a>(p: &'a Value, name: &str) -> &'a Value {
    p["passes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("no pass {name} in {p:#}"))
}

#[test]
fn a_three_pass_pipeline_lands_pass_by_pass() {
    // The draft waits for review: the run waits for it, and goes on when
    // the operator approves.
    let (r, child) = run_waiting_on_the_draft();
    let waiting = show(&r, "p1");
    assert_eq!(waiting["state"], "awaiting_review", "{waiting:#}");
    assert_eq!(pass(&waiting, "extract")["state"], "landed");
    assert_eq!(pass(&waiting, "draft")["state"], "awaiting_review");
    assert_eq!(pass(&waiting, "audit")["state"], "pending");
    r.ok(&["approve", "t2"]);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(stdout, "p1\n");
    assert!(stderr.contains("p1: pass extract runs as t1"), "{stderr}");
    assert!(stderr.contains("p1: pass audit runs as t3"), "{stderr}");
    assert!(stderr.contains("p1: done, every pass landed"), "{stderr}");

    let done = show(&r, "p1");
    assert_eq!(done["state"], "done", "{done:#}");
    for (name, turn) in [("extract", "t1"), ("draft", "t2"), ("audit", "t3")] {
        let p = pass(&done, name);
        assert_eq!(
            (p["state"].as_str(), p["turn"].as_str()),
            (Some("landed"), Some(turn))
        );
    }
    assert_eq!(pass(&done, "audit")["mode"], "read-only");
    // Each pass started on the landed result of the one before.
    let t1 = r.turn("t1");
    let t2 = r.turn("t2");
    let t3 = r.turn("t3");
    assert_eq!(t2["base"], t1["landed_commit"]);
    assert_eq!(t3["base"], t2["landed_commit"]);
    assert_eq!(t2["task"], "post");
    // Placeholders: the draft read the extract's out, the audit the draft's.
    assert!(
        r.read("posts/post-p1.md")
            .contains("From work/post/p1/claims.json:")
    );
    assert_eq!(
        r.read("work/post/p1/audit.md"),
        "every claim of posts/post-p1.md is supported\n"
    );
    let list = r.ok(&["pipeline", "list", "--json"]).json();
    assert_eq!(list[0]["id"], "p1");
    assert_eq!(list[0]["state"], "done");
    assert_eq!(list[0]["current"], "audit");
}

#[test]
fn a_contract_failure_stops_the_pipeline_and_resume_completes_it() {
    let r = repo(
        &Passes {
            draft: "nosources",
            ..Passes::default()
        }
        .toml(),
    );
    // A fold snapshot after every event: the run must read back from it.
    let out = r
        .cmd(&["run", "--task", "post"])
        .env("LEASH_SNAPSHOT_EVERY", "1")
        .output()
        .unwrap();
    let run = common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(r.file(".git/leash/snapshot/live.json").exists());
    let live = std::fs::read_to_string(r.file(".git/leash/snapshot/live.json")).unwrap();
    assert!(live.contains("\"pipelines\":[{\"id\":\"p1\""), "{live}");
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "p1\n");
    let reason = "failed with contract_violation: posts/post-p1.md: missing heading `Sources`; \
                  a failure never lands by itself";
    assert!(
        run.stderr
            .contains(&format!("p1: stopped at pass draft (t2) failed: {reason}")),
        "{}",
        run.stderr
    );
    let p = show(&r, "p1");
    assert_eq!(p["state"], "failed");
    let draft = pass(&p, "draft");
    assert_eq!(draft["failure"], "contract_violation");
    assert_eq!(draft["reason"], reason);
    assert_eq!(pass(&p, "audit")["state"], "pending");
    assert!(
        !r.file("posts/post-p1.md").exists(),
        "a failed pass never lands"
    );
    // Still failed and not cancelled: resume refuses nothing, but the
    // definition as committed still fails the same way.
    // Fix the pass in the committed tasks.toml, then resume.
    r.write(".leash/tasks.toml", &Passes::default().toml());
    r.git(&["commit", "-q", "-am", "the draft cites its sources"]);
    let resumed = r.run(&["pipeline", "resume", "p1"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    assert!(
        resumed.stderr.contains("p1: resumed at pass draft"),
        "{}",
        resumed.stderr
    );
    let p = show(&r, "p1");
    assert_eq!(p["state"], "done", "{p:#}");
    let draft = pass(&p, "draft");
    assert_eq!(draft["attempts"], 2);
    assert_eq!(draft["turn"], "t3");
    assert_eq!(r.turn("t2")["state"], "rejected");
    assert_eq!(pass(&p, "audit")["turn"], "t4");
    assert!(r.read("posts/post-p1.md").contains("## Sources"));
    let again = r.run(&["pipeline", "resume", "p1"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("p1 is done"), "{}", again.stderr);
}

#[test]
fn a_read_only_pass_that_writes_another_file_violates_its_contract() {
    let r = repo(
        &Passes {
            audit: "audit-and-edit",
            ..Passes::default()
        }
        .toml(),
    );
    let run = r.run(&["run", "--task", "post", "--json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let p = run.json();
    assert_eq!(p["state"], "failed");
    let audit = pass(&p, "audit");
    assert_eq!(audit["failure"], "contract_violation");
    assert_eq!(
        audit["reason"],
        "failed with contract_violation: README.md: changed by a read-only pass, which may \
         change only work/post/p1/audit.md; a failure never lands by itself"
    );
    assert_eq!(r.read("README.md"), "original line\n");
    // Its prompt named its role and what it may change.
    let t3 = r.turn("t3");
    assert_eq!(t3["state"], "awaiting_review");
}

#[test]
fn cancel_stops_a_run_that_waits_for_review() {
    let (r, child) = run_waiting_on_the_draft();
    let c = r.ok(&["pipeline", "cancel", "p1", "--reason", "not today"]);
    assert_eq!(c.stdout, "p1: cancelled\n");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let p = show(&r, "p1");
    assert_eq!(p["state"], "cancelled");
    assert_eq!(p["cancelled"], "not today");
    assert_eq!(pass(&p, "audit")["state"], "pending");
    let resumed = r.run(&["pipeline", "resume", "p1"]);
    assert_eq!(resumed.code, 1);
    assert!(
        resumed.stderr.contains("p1 was cancelled"),
        "{}",
        resumed.stderr
    );
    let listed = wait_until("the list", || {
        let l = r.ok(&["pipeline", "list"]);
        l.stdout.contains("cancelled").then_some(l.stdout)
    });
    assert!(listed.contains("p1"), "{listed}");
}

#[test]
fn config_errors_of_passes_point_at_file_line_and_column() {
    let broken = Passes::default().toml().replace(
        "contract = { json = true }",
        "contract = { json = true, schema = \"/etc/claims.json\" }",
    );
    let r = repo(&broken);
    let run = r.run(&["run", "--task", "post"]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains(
            ".leash/tasks.toml:9:36: the schema of pass `extract` of task `post` is absolute"
        ),
        "{}",
        run.stderr
    );
    let unknown = Passes::default()
        .toml()
        .replace("{extract.out}", "{audit.out}");
    let r = repo(&unknown);
    let run = r.run(&["run", "--task", "post"]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains(
            ".leash/tasks.toml:13:11: the command of pass `draft` of task \
             `post` names `{audit.out}`, but `audit` is not an earlier pass of this task"
        ),
        "{}",
        run.stderr
    );
    // A pipeline task runs only as a pipeline.
    let r = repo(&Passes::default().toml());
    let run = r.run(&["run", "--task", "post", "--prompt", "x"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("task `post` is a pipeline"),
        "{}",
        run.stderr
    );
}

/// A workspace whose pipeline's draft pass runs `kind` with the returned
/// file as its fourth argument.
fn holding(kind: &str) -> (tempfile::NamedTempFile, Repo) {
    let hold = tempfile::NamedTempFile::new().unwrap();
    let held = Passes {
        draft: kind,
        ..Passes::default()
    }
    .toml()
    .replace(
        "\"{extract.out}\"]",
        &format!(
            "\"{{extract.out}}\", {:?}]",
            hold.path().display().to_string()
        ),
    );
    (hold, repo(&held))
}

/// A pipeline whose draft pass's agent waits while the returned file
/// exists, started in the background (`leash run --task post`).
fn held_run() -> (tempfile::NamedTempFile, Repo, std::process::Child) {
    let (hold, r) = holding("held");
    let child = r
        .cmd(&["run", "--task", "post"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    (hold, r, child)
}

#[test]
fn a_pass_interrupted_by_kill_9_of_its_supervisor_is_resumed() {
    let (hold, r, child) = held_run();
    let started = r.wait_for_event("the draft's agent started", |e| {
        e["kind"] == "turn_started" && e["turn"] == "t2"
    });
    let kill = |pid: &Value| {
        let pid = pid.as_u64().unwrap().to_string();
        std::process::Command::new("kill")
            .args(["-9", &pid])
            .status()
            .unwrap();
    };
    kill(&started["supervisor_pid"]);
    kill(&started["agent_pid"]);
    let mut child = child;
    child.wait().unwrap();
    // The run stands at its interrupted pass; resuming starts it again.
    let p = show(&r, "p1");
    assert_eq!(p["state"], "failed", "{p:#}");
    assert_eq!(pass(&p, "draft")["state"], "interrupted");
    // It says why, as the turn does.
    let why = pass(&p, "draft")["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(why.contains("its supervisor is gone"), "{p:#}");
    drop(hold);
    let resumed = r.run(&["pipeline", "resume", "p1"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    let p = show(&r, "p1");
    assert_eq!(p["state"], "done", "{p:#}");
    assert_eq!(pass(&p, "draft")["turn"], "t3");
    assert_eq!(pass(&p, "draft")["attempts"], 2);
}

#[test]
fn a_pass_with_a_review_gate_pauses_the_run_until_it_is_resumed() {
    let gated = Passes::default().toml().replace(
        "contract = { json = true }",
        "contract = { json = true }\ngate = \"review\"",
    );
    let r = repo(&gated);
    let run = r.run(&["run", "--task", "post"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("p1: paused after pass extract (t1); `leash pipeline resume p1` goes on"),
        "{}",
        run.stderr
    );
    let p = show(&r, "p1");
    assert_eq!(p["state"], "paused");
    assert_eq!(pass(&p, "extract")["state"], "landed");
    assert_eq!(pass(&p, "draft")["state"], "pending");
    let resumed = r.run(&["pipeline", "resume", "p1"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    assert!(
        resumed.stderr.contains("p1: resumed at pass draft"),
        "{}",
        resumed.stderr
    );
    assert_eq!(show(&r, "p1")["state"], "done");
}

#[test]
fn the_gate_of_a_read_only_pass_denies_every_change_but_its_out() {
    let r = repo(&Passes::default().toml());
    // The audit asks the gate as Claude Code would before each write, and
    // writes its out only when allowed.
    let out = tempfile::tempdir().unwrap();
    let audit = r#"pre() {
  printf '{"hook_event_name":"PreToolUse","session_id":"s","cwd":"%s","tool_name":"%s","tool_use_id":"%s","tool_input":{"file_path":"%s","content":"x","command":"touch x"}}' "$PWD" "$1" "$2" "$3" | "$LEASH_BIN" hook claude
}
pre Write w1 "$PWD/$1" > "$OUT/out.json"
pre Edit w2 "$PWD/README.md" > "$OUT/other.json"
pre Write w3 "$PWD/work/../$1" > "$OUT/dotted.json"
pre Bash b1 "" > "$OUT/bash.json"
grep -q '"allow"' "$OUT/out.json" && mkdir -p "$(dirname "$1")" && echo "all supported" > "$1"
true
"#;
    r.write("bin/audit.sh", audit);
    // The script writes the gate's answers outside its worktree: this test
    // is about the gate, so confinement is off.
    r.write(
        ".leash/config.toml",
        &format!("{CONFIG}\n[run]\nconfine = \"off\"\n"),
    );
    let tasks_toml = Passes::default().toml().replace(
        "command = [\"sh\", \"bin/pass.sh\", \"{out}\", \"audit\", \"{draft.out}\"]",
        "command = [\"sh\", \"bin/audit.sh\", \"{out}\"]",
    );
    r.write(".leash/tasks.toml", &tasks_toml);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "an audit that asks the gate"]);
    let run = r
        .cmd(&["run", "--task", "post"])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .env("OUT", out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let answer = |name: &str| -> Value {
        let text = std::fs::read_to_string(out.path().join(name)).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    let decision = |v: &Value| v["hookSpecificOutput"]["permissionDecision"].clone();
    let reason = |v: &Value| v["hookSpecificOutput"]["permissionDecisionReason"].clone();
    assert_eq!(
        decision(&answer("out.json")),
        "allow",
        "{}",
        answer("out.json")
    );
    assert_eq!(decision(&answer("dotted.json")), "allow");
    for denied in ["other.json", "bash.json"] {
        let v = answer(denied);
        assert_eq!(decision(&v), "deny", "{denied}: {v}");
        assert_eq!(
            reason(&v),
            "leash: pass audit of p1 is read-only: it may change only work/post/p1/audit.md"
        );
    }
    let p = show(&r, "p1");
    assert_eq!(p["state"], "done", "{p:#}");
}

#[test]
fn cancel_ends_a_running_pass_and_the_run() {
    let (_hold, r, child) = held_run();
    r.wait_for_event("the draft's agent started", |e| {
        e["kind"] == "turn_started" && e["turn"] == "t2"
    });
    let c = r.ok(&["pipeline", "cancel", "p1"]);
    assert_eq!(
        c.stdout,
        "p1: cancelled; its running pass t2 is being cancelled\n"
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let p = show(&r, "p1");
    assert_eq!(p["state"], "cancelled", "{p:#}");
    assert_eq!(pass(&p, "draft")["failure"], "cancelled");
    assert_eq!(pass(&p, "audit")["state"], "pending");
    let again = r.run(&["pipeline", "cancel", "p1"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("p1 is cancelled; nothing to cancel"),
        "{}",
        again.stderr
    );
}

#[test]
fn resume_with_a_new_prompt_gives_the_failed_pass_that_prompt() {
    // The draft writes its prompt as the post: the prompt is what fails.
    let prompted = Passes::default().toml().replace(
        "command = [\"sh\", \"bin/pass.sh\", \"{out}\", \"draft\", \"{extract.out}\"]",
        "prompt = \"# Post from {extract.out}\"\n\
         command = [\"sh\", \"-c\", \"mkdir -p posts && printf '%s\\\\n' \\\"$1\\\" > \\\"$0\\\"\", \"{out}\", \"{prompt}\"]",
    );
    let r = repo(&prompted);
    let run = r.run(&["run", "--task", "post"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("posts/post-p1.md: missing heading `Summary`"),
        "{}",
        run.stderr
    );
    let resumed = r.run(&[
        "pipeline",
        "resume",
        "p1",
        "--prompt",
        "# Post\n## Summary\nFrom {extract.out} ({run} of {task}).\n## Sources\n- README.md",
    ]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    assert_eq!(
        r.read("posts/post-p1.md"),
        "# Post\n## Summary\nFrom work/post/p1/claims.json (p1 of post).\n## Sources\n- README.md\n"
    );
    assert_eq!(show(&r, "p1")["state"], "done");
}

#[test]
fn run_detach_prints_the_run_id_at_once_and_the_run_goes_on_in_the_background() {
    let (hold, r) = holding("waits");
    let out = r.run(&["run", "--task", "post", "--detach"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "p1\n");
    // It returned while the run goes on: the draft's agent waits for us.
    r.wait_for_event("the draft's agent started", |e| {
        e["kind"] == "turn_started" && e["turn"] == "t2"
    });
    assert_eq!(show(&r, "p1")["state"], "running");
    drop(hold);
    wait_until("the detached run is done", || {
        (show(&r, "p1")["state"] == "done").then_some(())
    });
    // What its supervisor said is kept with the run.
    let log = std::fs::read_to_string(r.path().join(".git/leash/pipelines/p1.log")).unwrap();
    assert!(log.contains("p1: pass draft runs as t2"), "{log}");
    wait_until("the log tells the end", || {
        std::fs::read_to_string(r.path().join(".git/leash/pipelines/p1.log"))
            .ok()
            .filter(|l| l.contains("p1: done, every pass landed"))
    });
}

#[test]
fn run_detach_of_a_pipeline_refuses_what_its_passes_bring() {
    let r = repo(&Passes::default().toml());
    let out = r.run(&["run", "--task", "post", "--detach", "--agent", "x"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("takes no --agent"), "{}", out.stderr);
}
