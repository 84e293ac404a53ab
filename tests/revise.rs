//! Follow-up turns through the real binary, real git and command agents
//! (shell scripts): `leash revise` lands the accepted hunks, sends the
//! rejected one back with the comments in a prompt leash builds, and links
//! the follow-up to its parent (`Leash-Parent`, `--against-parent`);
//! `leash resume` continues an interrupted turn in its worktree, and waits
//! out a rate limit until the time its error named.

mod common;

use std::path::PathBuf;

use common::{Repo, numbered};

/// Adds `[agents.NAME]` running `SCRIPT {prompt}` (format `format`) to
/// the committed config, the script written beside the repository.
fn with_agent(r: &Repo, name: &str, format: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = r.data.path().join(format!("{name}.sh"));
    std::fs::write(&path, format!("#!/bin/sh\n{script}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut config = r.read(".leash/config.toml");
    config.push_str(&format!(
        "\n[agents.{name}]\ncommand = [\"{}\", \"{{prompt}}\"]\nformat = \"{format}\"\n",
        path.display()
    ));
    r.write(".leash/config.toml", &config);
    r.git(&["commit", "-q", "-am", "agent"]);
    path
}

/// First run: edits line 2 of a.md and adds b.md. Sent back: keeps the
/// prompt it got (as its argument and in $LEASH_PROMPT) and writes b.md
/// again as the comment asks.
const REVISER: &str = r#"
case "$1" in
  *"was reviewed"*)
    printf '%s' "$1" > prompt-arg.txt
    printf '%s' "$LEASH_PROMPT" > prompt-env.txt
    echo hello > b.md
    ;;
  *)
    sed -i 's/^line 2$/line two/' a.md
    echo new > b.md
    ;;
esac
echo done
"#;

/// A workspace with a 5-line a.md and the script agent, and a high-risk
/// turn of it (prompt `prompt`) that waits for review: two hunks, a.md's
/// line 2 and a new b.md.
fn waiting_turn(prompt: &str) -> (Repo, String) {
    let r = Repo::initialised();
    r.write("a.md", &numbered(5));
    r.git(&["add", "a.md"]);
    r.git(&["commit", "-q", "-m", "a.md"]);
    with_agent(&r, "script", "generic", REVISER);
    let run = r.ok(&[
        "run", "--agent", "script", "--risk", "high", "--prompt", prompt,
    ]);
    let t1 = run.stdout.trim().to_string();
    assert_eq!(r.turn(&t1)["state"], "awaiting_review");
    (r, t1)
}

#[test]
fn revise_sends_the_rejected_hunk_and_the_comments_back_on_top_of_what_landed() {
    let (r, t1) = waiting_turn("edit a and add b");

    let out = r.ok(&[
        "revise",
        &t1,
        "--hunks",
        "1",
        "--comment",
        "b.md:1=say hello instead",
        "--comment",
        "keep it short",
    ]);
    let t2 = out.stdout.lines().next().unwrap().trim().to_string();
    assert_eq!(t2, "t2", "{}", out.stdout);
    assert!(
        out.stderr
            .contains("t1: 1 of 2 hunks landed, the rest is kept at refs/leash/rejected/t1"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("named no session") && out.stderr.contains("runs afresh"),
        "{}",
        out.stderr
    );

    // The parent landed its accepted hunk; the follow-up started on it.
    let parent = r.turn(&t1);
    assert_eq!(parent["state"], "landed");
    assert_eq!(parent["followed_by"], serde_json::json!([t2]));
    let child = r.turn(&t2);
    assert_eq!(child["follows"]["parent"], "t1");
    assert_eq!(child["follows"]["how"], "revise");
    assert!(child["follows"].get("session").is_none());
    assert_eq!(child["base"], parent["landed_commit"]);
    assert_eq!(child["title"], "revise t1: edit a and add b");

    let expected = "The task was:\n\
\n\
edit a and add b\n\
\n\
A previous turn (t1) did it, and was reviewed.\n\
Part of it landed and is in the working tree; the hunks below did not.\n\
\n\
The reviewer's comments:\n\
\n\
1. b.md, line 1: say hello instead\n\
In this hunk:\n\
```diff\n\
@@ -0,0 +1 @@\n\
+new\n\
```\n\
\n\
- keep it short\n\
\n\
The hunks that were not landed (they are not in the working tree):\n\
\n\
b.md\n\
```diff\n\
@@ -0,0 +1 @@\n\
+new\n\
```\n\
\n\
Revise the work as the comments ask, then stop.\n";
    let commit = child["commit"].as_str().unwrap().to_string();
    let shown = |path: &str| r.git(&["show", &format!("{commit}:{path}")]);
    assert_eq!(shown("prompt-arg.txt"), expected.trim_end());
    assert_eq!(shown("prompt-env.txt"), expected.trim_end());
    assert_eq!(child["prompt"], expected);
    // On top of the accepted part: a.md as landed, b.md as sent back.
    assert!(shown("a.md").contains("line two"));
    assert_eq!(shown("b.md"), "hello");

    // Linked both ways: the trailer, and its diff against the parent's.
    let message = r.git(&["log", "-1", "--format=%B", &commit]);
    assert!(message.contains("Leash-Parent: t1"), "{message}");
    let against = r.ok(&["diff", &t2, "--against-parent"]).stdout;
    assert!(against.contains("-new\n+hello"), "{against}");
    assert!(!against.contains("line two"), "{against}");
    let show = r.ok(&["show", &t2]).stdout;
    assert!(
        show.contains("follows    revises t1: a fresh run with the prompt leash built"),
        "{show}"
    );
    r.ok(&["approve", &t2]);
    let landed = r.git(&["log", "-1", "--format=%B"]);
    assert!(landed.contains("Leash-Parent: t1"), "{landed}");
    assert!(landed.contains("Leash-Turn: t2"), "{landed}");
}

#[test]
fn revise_without_accepted_hunks_rejects_the_parent_and_refuses_what_it_cannot_send() {
    let (r, t1) = waiting_turn("edit");
    let base = r.head();
    // A comment on a file the turn did not change is refused, deciding nothing.
    let out = r.run(&["revise", &t1, "--comment", "c.md:1=no such file"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("did not change `c.md`"),
        "{}",
        out.stderr
    );
    assert_eq!(r.turn(&t1)["state"], "awaiting_review");

    // Detached: the parent is decided here, the follow-up runs on its own.
    let out = r.ok(&[
        "revise",
        &t1,
        "--comment",
        "a.md:2=spell it out",
        "--detach",
    ]);
    assert_eq!(out.stdout.trim(), "t2");
    assert!(
        out.stderr
            .contains("t1 was rejected (kept at refs/leash/rejected/t1)"),
        "{}",
        out.stderr
    );
    assert_eq!(r.turn(&t1)["state"], "rejected");
    r.wait_for_event("the follow-up finished", |e| {
        e["kind"] == "turn_finished" && e["turn"] == "t2"
    });
    let child = r.turn("t2");
    assert_eq!(child["base"].as_str(), Some(base.as_str()));
    let prompt = child["prompt"].as_str().unwrap();
    assert!(prompt.contains("None of it landed"), "{prompt}");
    assert!(prompt.contains("1. a.md, line 2: spell it out\nIn this hunk:\n```diff\n@@ -1,5 +1,5 @@\n line 1\n-line 2\n+line two\n"), "{prompt}");
    // Both hunks go back: a.md's edit and b.md.
    assert!(
        prompt.contains("\na.md\n```diff\n@@ -1,5 +1,5 @@"),
        "{prompt}"
    );
    assert!(
        prompt.contains("\nb.md\n```diff\n@@ -0,0 +1 @@\n+new\n```"),
        "{prompt}"
    );
}

#[test]
fn a_revision_too_long_for_one_argument_names_the_hunks_it_cannot_show() {
    let r = Repo::initialised();
    let big: String = (0..4000).map(|i| format!("{i:>60}\n")).collect();
    r.write("big.txt.in", &big);
    let script = format!(
        "cp {} big.txt && echo small > small.md",
        r.file("big.txt.in").display()
    );
    r.git(&["add", "big.txt.in"]);
    r.git(&["commit", "-q", "-m", "input"]);
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", &script]);
    // A command turn: the follow-up runs the command again, with the prompt
    // in $LEASH_PROMPT (an environment string has the argument's cap too).
    let out = r.ok(&["revise", "t1", "--comment", "smaller, please"]);
    assert!(out.stderr.contains("runs afresh"), "{}", out.stderr);
    let t2 = r.turn("t2");
    assert!(t2["failure"].is_null(), "{t2}");
    let prompt = t2["prompt"].as_str().unwrap();
    assert!(prompt.len() < 100 * 1024, "{}", prompt.len());
    let base = r.turn("t1")["base"].as_str().unwrap().to_string();
    assert!(
        prompt.contains(&format!(
            "1 more, too long to show here; see them with `git diff {base} refs/leash/rejected/t1`:\n- big.txt @@ -0,0 +1,4000 @@\n"
        )),
        "{}",
        &prompt[prompt.len().saturating_sub(600)..]
    );
    assert!(prompt.contains("\nsmall.md\n```diff\n@@ -0,0 +1 @@\n+small\n```"));
}

/// Writes what it finds of its parent's work; the first run leaves some
/// work and waits (as the agent's own process) until it is killed.
const RESUMER: &str = r#"
case "$1" in
  *"Continue from there"*)
    ls partial.txt build/cache > found.txt 2>&1
    basename "$PWD" > cwd.txt
    ;;
  *)
    echo partial > partial.txt
    mkdir -p build && echo cache > build/cache
    echo ready > ready.txt
    exec sleep 600
    ;;
esac
"#;

#[test]
fn resume_continues_an_interrupted_turn_in_its_own_worktree() {
    let r = Repo::initialised();
    r.write(".gitignore", "build/\n");
    r.git(&["add", ".gitignore"]);
    r.git(&["commit", "-q", "-m", "ignore build"]);
    with_agent(&r, "script", "generic", RESUMER);
    let t1 = r.ok(&[
        "run", "--detach", "--agent", "script", "--prompt", "make it",
    ]);
    let t1 = t1.stdout.trim().to_string();
    let started = r.wait_for_event("the agent started", |e| {
        e["kind"] == "turn_started" && e["turn"] == t1.as_str()
    });
    let worktree = PathBuf::from(started["worktree"].as_str().unwrap());
    common::wait_until("the agent wrote its first file", || {
        worktree.join("ready.txt").exists().then_some(())
    });
    // The supervisor dies (and its agent with it): the turn is interrupted.
    for pid in [&started["supervisor_pid"], &started["agent_pid"]] {
        let pid = pid.as_i64().unwrap() as i32;
        unsafe { libc::kill(pid, libc::SIGKILL) };
        common::wait_until("the process is gone", || {
            (!common::alive(pid as u64)).then_some(())
        });
    }
    r.ok(&["turns"]);
    assert_eq!(r.turn(&t1)["state"], "interrupted");

    let out = r.ok(&["resume", &t1]);
    let t2 = out.stdout.lines().next().unwrap().trim().to_string();
    let child = r.turn(&t2);
    assert_eq!(child["follows"]["how"], "resume");
    assert_eq!(child["base"], r.turn(&t1)["base"]);
    let commit = child["commit"].as_str().unwrap().to_string();
    let shown = |path: &str| r.git(&["show", &format!("{commit}:{path}")]);
    // Its worktree is the parent's, handed over: the ignored build output too.
    assert_eq!(shown("found.txt"), "build/cache\npartial.txt");
    assert_eq!(shown("cwd.txt"), t2);
    assert!(!worktree.exists(), "the parent's worktree moved to {t2}'s");
    // The parent's work as handed over is kept, and the follow-up's diff
    // against it is what the resumed run added.
    r.git(&["rev-parse", "--verify", &format!("refs/leash/turns/{t1}")]);
    let against = r.ok(&["diff", &t2, "--against-parent", "--stat"]).stdout;
    assert!(
        against.contains("cwd.txt") && against.contains("found.txt"),
        "{against}"
    );
    assert!(!against.contains("partial.txt"), "{against}");
    // A turn is resumed once.
    let again = r.run(&["resume", &t1]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains(&format!("resumed already, as {t2}")),
        "{}",
        again.stderr
    );
}

/// Speaks Claude's stream: a session, then (unless resumed) a rate limit
/// that resets an hour from now; resumed, it records its arguments.
fn limited_script() -> String {
    let resets = chrono::Utc::now().timestamp() + 3600;
    format!(
        r#"
for a in "$@"; do
  if [ "$a" = --resume ]; then
    printf '%s\n' "$@" > args.txt
    echo '{{"type":"system","subtype":"init","session_id":"sess-1"}}'
    echo '{{"type":"result","subtype":"success","is_error":false,"result":"continued"}}'
    exit 0
  fi
done
echo '{{"type":"system","subtype":"init","session_id":"sess-1"}}'
echo '{{"type":"rate_limit_event","rate_limit_info":{{"status":"rejected","resetsAt":{resets},"rateLimitType":"five_hour"}}}}'
echo '{{"type":"result","subtype":"success","is_error":true,"result":"rate limited"}}'
exit 1
"#
    )
}

#[test]
fn resume_waits_for_the_reset_a_rate_limit_named_and_continues_the_session() {
    let r = Repo::initialised();
    with_agent(&r, "limited", "claude", &limited_script());
    let run = r.run(&["run", "--agent", "limited", "--prompt", "do it"]);
    let t1 = run.stdout.trim().to_string();
    let turn = r.turn(&t1);
    assert_eq!(turn["failure"], "rate_limited", "{}", run.stderr);
    assert_eq!(turn["agent_session"], "sess-1");
    assert!(turn["limit_resets"].is_string(), "{turn}");

    let out = r.run(&["resume", &t1]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("rate limit resets at") && out.stderr.contains("--now"),
        "{}",
        out.stderr
    );
    assert!(r.turn(&t1)["followed_by"].is_null());

    let out = r.ok(&["resume", &t1, "--now"]);
    assert!(
        out.stderr.contains("continuing the agent's session sess-1"),
        "{}",
        out.stderr
    );
    let t2 = out.stdout.lines().next().unwrap().trim().to_string();
    let child = r.turn(&t2);
    assert_eq!(child["follows"]["session"], "sess-1");
    let args = r.git(&[
        "show",
        &format!("{}:args.txt", child["commit"].as_str().unwrap()),
    ]);
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args[args.len() - 2..], ["--resume", "sess-1"]);
    assert!(
        args.contains(&"Your previous run hit a rate limit before it finished. Continue where you left off: your work so far is in the working tree."),
        "{args:?}"
    );
}

#[test]
fn resume_of_a_timed_out_turn_goes_on_from_its_work_and_rejects_the_waiting_parent() {
    let r = Repo::initialised();
    // First run: some work, then past its time. Resumed: the work is there.
    let script =
        "if test -f a.txt; then echo resumed > b.txt; else echo x > a.txt; exec sleep 60; fi";
    let run = r.run(&["run", "--timeout", "1s", "--", "sh", "-c", script]);
    let t1 = run.stdout.trim().to_string();
    let parent = r.turn(&t1);
    assert_eq!(parent["failure"], "timed_out", "{parent}");
    assert_eq!(parent["state"], "awaiting_review", "{parent}");

    let out = r.ok(&["resume", &t1]);
    assert!(
        out.stderr.contains(&format!(
            "{t1} was rejected (kept at refs/leash/rejected/{t1}); its work goes on"
        )),
        "{}",
        out.stderr
    );
    let t2 = out.stdout.lines().next().unwrap().trim().to_string();
    let child = r.turn(&t2);
    assert_eq!(child["base"], parent["base"]);
    assert!(child["failure"].is_null(), "{child}");
    assert_eq!(
        child["paths"],
        serde_json::json!(["a.txt", "b.txt"]),
        "{child}"
    );
    let against = r.ok(&["diff", &t2, "--against-parent", "--stat"]).stdout;
    assert!(
        against.contains("b.txt") && !against.contains("a.txt"),
        "{against}"
    );
    assert_eq!(r.turn(&t1)["state"], "rejected");
}
