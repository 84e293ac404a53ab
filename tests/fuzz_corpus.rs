//! Replays the kept fuzz corpus (`fuzz/corpus/<target>/`) and the recorded
//! findings (`fuzz/findings/<target>/`) through the same invariant checks
//! the fuzz targets run (`leash::fuzzing`), so `cargo test` checks every
//! file without a fuzzer. See fuzz/README.md.
//!
//! Every tool call the gate answers must carry an explicit decision.

use std::path::{Path, PathBuf};

const FUZZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz");

/// Every file of `fuzz/<dir>/<target>/`, sorted.
fn files(dir: &str, target: &str) -> Vec<PathBuf> {
    let at = Path::new(FUZZ).join(dir).join(target);
    let Ok(entries) = std::fs::read_dir(&at) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn replay(target: &str, mut check: impl FnMut(&[u8]) -> Result<(), String>) {
    let corpus = files("corpus", target);
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target} is empty or missing: the replay would check nothing"
    );
    let mut broken = Vec::new();
    for path in corpus.iter().chain(files("findings", target).iter()) {
        let data = std::fs::read(path).unwrap();
        if let Err(e) = check(&data) {
            broken.push(format!("{}: {e}", path.display()));
        }
    }
    assert!(
        broken.is_empty(),
        "{} of {} inputs break the {target} invariants:\n{}",
        broken.len(),
        corpus.len(),
        broken.join("\n")
    );
}

#[test]
fn hook_corpus_holds_the_gate_invariants() {
    let mut fixture = leash::fuzzing::GateFixture::new();
    replay("hook", |d| fixture.check(d));
}

#[test]
fn claude_stream_corpus_holds_the_adapter_invariants() {
    replay("claude_stream", leash::fuzzing::check_claude_stream);
}

#[test]
fn codex_stream_corpus_holds_the_adapter_invariants() {
    replay("codex_stream", leash::fuzzing::check_codex_stream);
}

#[test]
fn journal_corpus_holds_the_reader_and_fold_invariants() {
    replay("journal", leash::fuzzing::check_journal);
}

#[test]
fn config_corpus_holds_the_loader_invariants() {
    replay("config", leash::fuzzing::check_config);
}

#[test]
fn a_tool_call_without_an_explicit_answer_breaks_the_strict_invariant() {
    // The strict check can fail: an empty answer to a tool call is caught.
    use leash::workspace::gate::Answer;
    let call = br#"{"hook_event_name":"PreToolUse","tool_name":"Write"}"#;
    assert!(leash::fuzzing::check_answer(call, &Answer::default(), true).is_err());
    assert!(leash::fuzzing::check_answer(call, &Answer::default(), false).is_ok());
    // Two objects, or a deny without a reason, break it in either mode.
    let two = Answer {
        stdout: "{}{}".into(),
        ..Answer::default()
    };
    assert!(leash::fuzzing::check_answer(call, &two, false).is_err());
    let bare_deny = Answer {
        stdout: r#"{"hookSpecificOutput":{"permissionDecision":"deny"}}"#.into(),
        ..Answer::default()
    };
    assert!(leash::fuzzing::check_answer(call, &bare_deny, false).is_err());
    // Events that are not tool calls may be answered with silence.
    let start = br#"{"hook_event_name":"SessionStart"}"#;
    assert!(leash::fuzzing::check_answer(start, &Answer::default(), true).is_ok());
}
