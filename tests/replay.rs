//! `leash replay`: a turn's work again as a new turn, on its base, on the
//! current head (`--on-head`, the way forward after `concurrent_drift`), or
//! with a new prompt (`--prompt`) — the real binary in real repositories.

mod common;

use common::Repo;

/// A high-risk turn that overwrites README.md and waits for review.
fn waiting_turn(r: &Repo) -> String {
    let out = r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "echo 'turn line' > README.md",
    ]);
    let id = out.stdout.trim().to_string();
    assert_eq!(r.turn(&id)["state"], "awaiting_review");
    id
}

#[test]
fn a_drifted_turn_says_to_replay_on_head_and_replay_on_head_starts_from_the_moved_branch() {
    let r = Repo::initialised();
    let id = waiting_turn(&r);
    let old_base = r.turn(&id)["base"].as_str().unwrap().to_string();
    r.write("README.md", "user line\n");
    r.git(&["commit", "-q", "-am", "user edit"]);
    let head = r.head();

    let out = r.run(&["approve", &id]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(&format!(
            "replay it on the current head: `leash replay {id} --on-head`"
        )),
        "the refusal says the way forward:\n{}",
        out.stderr
    );
    assert_eq!(r.turn(&id)["failure"], "concurrent_drift");

    let out = r.ok(&["replay", &id, "--on-head"]);
    let new = out.stdout.lines().next().unwrap().trim().to_string();
    assert_ne!(new, id);
    let t = r.turn(&new);
    assert_eq!(t["base"].as_str().unwrap(), head, "on the current head");
    assert_ne!(head, old_base);
    assert_eq!(t["command"], r.turn(&id)["command"], "the same command");
    assert_eq!(t["risk"], "high");
    let title = t["title"].as_str().unwrap();
    assert!(title.starts_with(&format!("replay of {id}: ")), "{title}");
    assert_eq!(t["state"], "awaiting_review");
    // On the moved branch it lands without a conflict.
    r.ok(&["approve", &new]);
    assert_eq!(r.read("README.md"), "turn line\n");
    assert_eq!(r.git(&["rev-parse", "HEAD~1"]), head);
}

#[test]
fn replay_by_default_starts_from_the_turns_own_base() {
    let r = Repo::initialised();
    let id = waiting_turn(&r);
    let old_base = r.turn(&id)["base"].as_str().unwrap().to_string();
    r.write("other.md", "other\n");
    r.git(&["add", "other.md"]);
    r.git(&["commit", "-q", "-m", "more work"]);
    let out = r.ok(&["replay", &id]);
    let new = out.stdout.lines().next().unwrap().trim().to_string();
    assert_eq!(r.turn(&new)["base"].as_str().unwrap(), old_base);
    assert_ne!(r.head(), old_base);

    // Detached, it returns with the id at once; the turn runs on.
    let out = r.ok(&["replay", &id, "--on-head", "--detach"]);
    let detached = out.stdout.trim().to_string();
    assert_ne!(detached, new);
    r.wait_for_event("the detached replay to finish", |e| {
        e["kind"] == "turn_finished" && e["turn"] == detached.as_str()
    });
    assert_eq!(r.turn(&detached)["base"].as_str().unwrap(), r.head());
}

#[test]
fn replay_with_a_prompt_gives_the_agent_the_new_prompt() {
    let r = Repo::initialised();
    // An agent that writes its prompt into a file.
    let config = r.read(".leash/config.toml");
    r.write(
        ".leash/config.toml",
        &format!(
            "{config}\n[agents.scribe]\ncommand = [\"sh\", \"-c\", \"printf '%s\\\\n' \\\"$1\\\" > said.md\", \"sh\", \"{{prompt}}\"]\nformat = \"generic\"\n"
        ),
    );
    r.git(&["commit", "-q", "-am", "a scribe agent"]);
    let out = r.ok(&[
        "run",
        "--agent",
        "scribe",
        "--risk",
        "high",
        "--prompt",
        "first words",
    ]);
    let id = out.stdout.lines().next().unwrap().trim().to_string();
    assert_eq!(r.turn(&id)["prompt"], "first words");

    let out = r.ok(&["replay", &id, "--prompt", "second words", "--json"]);
    let t = out.json();
    let new = t["id"].as_str().unwrap().to_string();
    assert_ne!(new, id);
    assert_eq!(t["prompt"], "second words");
    assert_eq!(t["agent"], "scribe");
    assert_eq!(t["state"], "awaiting_review");
    let diff = r.ok(&["diff", &new]).stdout;
    assert!(diff.contains("+second words"), "{diff}");

    // Without --prompt, the turn's own prompt again.
    let out = r.ok(&["replay", &id, "--json"]);
    assert_eq!(out.json()["prompt"], "first words");
}

#[test]
fn replay_of_an_unknown_turn_is_refused() {
    let r = Repo::initialised();
    let out = r.run(&["replay", "t9"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("t9"), "{}", out.stderr);
}
