//! What the command line says of a turn reads right: a failure is named
//! once, by its plain name, with its analogy as the explanation; counts
//! agree with their nouns.

mod common;

use common::Repo;

/// A repository with an agent that replays a recorded stream: the real
/// Claude Code output of a request that overflowed the context window.
fn overflowing_agent() -> Repo {
    use std::os::unix::fs::PermissionsExt;
    let r = Repo::initialised();
    let stream = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/streams/claude_stream_overflow_400.jsonl"
    );
    // leash adds its hook gate to the agent's arguments: a script ignores them.
    let agent = r.data.path().join("replay");
    std::fs::write(&agent, format!("#!/bin/sh\ncat '{stream}'\n")).unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut config = r.read(".leash/config.toml");
    config.push_str(&format!(
        "\n[agents.replay]\ncommand = [{:?}]\nformat = \"claude\"\n",
        agent.display().to_string()
    ));
    r.write(".leash/config.toml", &config);
    r.git(&["commit", "-qam", "a replaying agent"]);
    r
}

#[test]
fn a_failed_turn_is_named_once_by_its_plain_name() {
    let r = overflowing_agent();
    let run = r.run(&[
        "run",
        "--agent",
        "replay",
        "--prompt",
        "summarise everything",
    ]);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("t1 "))
        .unwrap_or_else(|| panic!("no summary of t1:\n{}", run.stderr));
    assert!(
        line.starts_with("t1 failed — context overflow (context_overflow)"),
        "{line}"
    );
    assert_eq!(
        line.matches("context_overflow").count(),
        1,
        "the failure is said once: {line}"
    );
    assert!(!line.contains("segfault"), "{line}");
    assert!(line.contains("a failure never lands by itself"), "{line}");

    let show = r.ok(&["show", "t1"]).stdout;
    assert!(
        show.contains("failure    context overflow (context_overflow) — like a segfault"),
        "the analogy explains, after the plain name:\n{show}"
    );
    assert!(show.contains("changes    0 files, +0 -0"), "{show}");

    let status = r.ok(&[]).stdout;
    assert!(status.contains("1 turn: "), "{status}");
}

#[test]
fn one_file_is_one_file() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo x > a.md"]);
    let show = r.ok(&["show", "t1"]).stdout;
    assert!(show.contains("changes    1 file, +1 -0"), "{show}");
    let stat = r.ok(&["diff", "t1", "--stat"]).stdout;
    assert!(
        stat.contains(" 1 file changed, 1 insertion(+), 0 deletions(-)"),
        "{stat}"
    );
    let log = r.ok(&["log"]).stdout;
    assert!(log.contains("exit 0 · 1 file ·"), "{log}");
}
