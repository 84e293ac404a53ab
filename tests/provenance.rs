//! Provenance through the real binary: what each action read (with the blob
//! the agent saw) and wrote, stale reads as drift, and citations checked
//! against the sources read.

mod common;

use common::{Repo, wait_until};
use serde_json::{Value, json};

/// A repository with `docs/source.md` committed and the scripted agent.
fn workspace() -> Repo {
    let r = Repo::initialised();
    common::agent::install(&r, "scripted", common::agent::HOOKED_SHELL);
    r.write("docs/source.md", "# Source\n\nThe figure is 42.\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "a source and a scripted agent"]);
    r
}

/// `leash run` of the scripted agent at low risk (a guarded turn).
fn run(r: &Repo, prompt: &str, extra: &[(&str, &str)]) -> std::process::Command {
    run_at(r, "low", prompt, extra)
}

fn run_at(r: &Repo, risk: &str, prompt: &str, extra: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = r.cmd(&[
        "run", "--agent", "scripted", "--risk", risk, "--prompt", prompt,
    ]);
    cmd.env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

fn done_of(r: &Repo, turn: &str) -> Vec<Value> {
    r.events()
        .into_iter()
        .filter(|e| {
            e["kind"] == "action_done"
                && e["action"]
                    .as_str()
                    .is_some_and(|a| a.starts_with(&format!("{turn}.")))
        })
        .collect()
}

#[test]
fn a_turn_that_reads_a_source_and_writes_a_file_citing_it_records_the_blob_read() {
    let r = workspace();
    let seen = r.git(&["hash-object", "docs/source.md"]);
    let out = run(
        &r,
        "read_file docs/source.md; write_file notes/summary.md 'The figure is 42 ([source](../docs/source.md)).'",
        &[],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "landed", "{t}");
    let done = done_of(&r, "t1");
    assert_eq!(done.len(), 2, "{done:?}");
    assert_eq!(done[0]["sources"][0]["path"], "docs/source.md");
    assert_eq!(done[0]["sources"][0]["blob"], seen.as_str());
    assert_eq!(t["citations"], json!([]), "it cites what it read: {t}");
    let wrote = r.git(&["rev-parse", "HEAD:notes/summary.md"]);
    assert_eq!(
        done[1]["written"],
        json!([{"path": "notes/summary.md", "blob": wrote}]),
        "the write's blob is the one that landed"
    );
}

#[test]
fn the_demo_agent_reads_before_it_writes_and_its_stream_records_the_blob() {
    let r = Repo::initialised();
    let mut config = r.read(".leash/config.toml");
    config.push_str(&format!(
        "\n[agents.demo]\ncommand = [{}, \"demo-agent\", \"{{prompt}}\"]\nformat = \"claude\"\n",
        json!(env!("CARGO_BIN_EXE_leash"))
    ));
    r.write(".leash/config.toml", &config);
    r.write("docs/outline.md", "# Outline\n\n- one\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "an outline and the demo agent"]);
    let seen = r.git(&["hash-object", "docs/outline.md"]);
    let out = r
        .cmd(&[
            "run",
            "--agent",
            "demo",
            "--risk",
            "medium",
            "--prompt",
            "demo: draft the post from docs/outline.md",
        ])
        .env("LEASH_DEMO_FAST", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = r.turn("t1");
    let actions = t["actions"].as_array().unwrap();
    assert_eq!(actions[0]["tool"], "Read", "{t}");
    assert_eq!(actions[0]["sources"][0]["path"], "docs/outline.md");
    assert_eq!(actions[0]["sources"][0]["blob"], seen.as_str());
    assert_eq!(actions[1]["tool"], "Write");
    assert_eq!(actions[1]["written"][0]["path"], "docs/draft.md");
    assert!(actions[1]["written"][0]["blob"].is_string(), "{t}");
}

#[test]
fn a_file_read_by_a_turn_and_changed_by_one_that_landed_first_is_concurrent_drift() {
    let r = workspace();
    let go = tempfile::tempdir().unwrap();
    let flag = go.path().join("go");
    // Turn A reads the source, then waits for the test's word to write.
    let a = run(
        &r,
        "read_file docs/source.md; while [ ! -e \"$GO\" ]; do sleep 0.02; done; write_file notes/a.md 'The figure is 42 (`docs/source.md`).'",
        &[("GO", flag.to_str().unwrap())],
    )
    .spawn()
    .unwrap();
    r.wait_for_event("t1 to read the source", |e| {
        e["kind"] == "action_done" && e["action"] == "t1.a1" && e["sources"].is_array()
    });
    // Turn B changes the source and lands first, by policy.
    let b = run(&r, "write_file docs/source.md 'The figure is 43.'", &[])
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let t2 = r.turn("t2");
    assert_eq!(t2["state"], "landed", "{t2}");
    let landed = r.head();
    std::fs::write(&flag, "").unwrap();
    let out = a.wait_with_output().unwrap();
    let t1 = wait_until("t1 to end", || {
        let t = r.turn("t1");
        (t["state"] != "running").then_some(t)
    });
    // No textual conflict (A wrote notes/a.md only), yet A waits.
    assert_eq!(
        t1["state"],
        "awaiting_review",
        "{t1}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(t1["failure"], "concurrent_drift");
    let aborted = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "landing_aborted" && e["turn"] == "t1")
        .unwrap();
    let reason = aborted["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "docs/source.md (changed by t2 in {})",
            &landed[..7]
        )),
        "{reason}"
    );
    assert_eq!(r.head(), landed, "nothing landed");
    // Its citation of the source is a stale source, for the review.
    let cited = &t1["citations"][0];
    assert_eq!(cited["target"], "docs/source.md", "{t1}");
    assert_eq!(cited["problem"], "stale");
    assert_eq!(
        cited["detail"].as_str().unwrap(),
        format!("changed by t2 in {}", &landed[..7])
    );
    // The operator may still land it, having checked again.
    r.ok(&["approve", "t1"]);
    assert_eq!(
        r.read("notes/a.md"),
        "The figure is 42 (`docs/source.md`).\n"
    );
}

#[test]
fn a_citation_of_a_file_never_read_is_an_unread_source_and_a_guarded_turn_waits() {
    let r = workspace();
    r.write("docs/other.md", "# Other\n");
    let mut config = r.read(".leash/config.toml");
    config.push_str(
        "\n[[invariant]]\nname = \"sources read\"\nkind = \"citations\"\nroots = [\"notes\"]\n",
    );
    r.write(".leash/config.toml", &config);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "citations are checked"]);
    let out = run(
        &r,
        "read_file docs/source.md; write_file notes/summary.md 'From [the source](../docs/source.md), `docs/other.md` and https://example.com/figures.'",
        &[],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review", "a guarded turn waits: {t}");
    let unread: Vec<(&str, &str)> = t["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["target"].as_str().unwrap(),
                c["problem"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        unread,
        [
            ("docs/other.md", "unread"),
            ("https://example.com/figures", "unread")
        ],
        "the source it read is not among them"
    );
    let check = &t["invariants"][0];
    assert_eq!(check["kind"], "citations");
    assert_eq!(check["outcome"], "fail");
    assert_eq!(check["findings"][0]["path"], "notes/summary.md");
    assert!(
        check["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("unread source: `docs/other.md`"),
        "{check}"
    );
    assert!(
        t["reason"].as_str().unwrap().contains("sources read"),
        "{t}"
    );
    let show = r.ok(&["show", "t1"]).stdout;
    assert!(
        show.contains("  cites      unread source: `docs/other.md` was never read by the turn (in notes/summary.md:1)"),
        "{show}"
    );
}

/// A turn waiting for review learns that a source it cites changed: when
/// another turn lands a change to it, its stale source is journaled again
/// for the review.
#[test]
fn a_waiting_turns_source_changed_by_a_turn_that_landed_is_a_stale_source() {
    let r = workspace();
    // Medium: it waits for review.
    let out = run_at(
        &r,
        "medium",
        "read_file docs/source.md; write_file notes/a.md 'The figure is 42 ([source](../docs/source.md)).'",
        &[],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t1 = r.turn("t1");
    assert_eq!(t1["state"], "awaiting_review", "{t1}");
    assert_eq!(t1["citations"], json!([]), "{t1}");
    let b = run(&r, "write_file docs/source.md 'The figure is 43.'", &[])
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert_eq!(r.turn("t2")["state"], "landed");
    let landed = r.head();
    let t1 = r.turn("t1");
    assert_eq!(
        t1["citations"],
        json!([{"path": "notes/a.md", "line": 1, "target": "../docs/source.md",
                "problem": "stale", "detail": format!("changed by t2 in {}", &landed[..7])}]),
        "{t1}"
    );
    let show = r.ok(&["show", "t1"]).stdout;
    assert!(
        show.contains(
            "stale source: `../docs/source.md` changed on the branch since the turn read it"
        ),
        "{show}"
    );
}
