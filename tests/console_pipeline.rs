//! Pipelines in the console, over real repositories and real runs: a
//! three-pass task run by `leash run --task post` (a script as each pass's
//! agent), its turns grouped under one row of the turns list, expanded and
//! collapsed with space, `[` / `]` between its passes, and a pass's detail
//! (its run, role, contract and how it went, the head of its `out`).

mod common;

use common::Repo;
use common::console::{app_with, assert_screen, key, render, text};
use common::pipeline::{Passes, repo, run_waiting_on_the_draft};
use crossterm::event::KeyCode;
use leash::ui::app::Pane;

/// The run's supervisor, waiting on the draft's review; ended with the test.
struct Held(std::process::Child);

impl Drop for Held {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `leash run --task post` with the draft held for review: extract landed,
/// draft waiting, audit not started.
fn waiting_run() -> (Repo, Held) {
    let (r, child) = run_waiting_on_the_draft();
    (r, Held(child))
}

#[test]
fn a_run_is_one_row_of_stages_that_space_expands() {
    let (r, _held) = waiting_run();
    let mut app = app_with(r.path(), "dark");
    assert_eq!(
        app.selected.as_deref(),
        Some("t2"),
        "the run's current pass"
    );
    for (w, h) in [(120, 40), (80, 24)] {
        let screen = text(&render(&mut app, w, h));
        assert!(screen.contains("p1  post · "), "{screen}");
        assert!(!screen.contains("t1  "), "collapsed: {screen}");
        assert_screen(&format!("pipeline_row_{w}x{h}"), r.path(), &screen, &[]);
    }
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("▸ extract ✓ → draft ◆ → audit ·"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char(' '));
    for (w, h) in [(120, 40), (80, 24)] {
        let screen = text(&render(&mut app, w, h));
        assert!(screen.contains("▾ extract"), "{screen}");
        assert!(screen.contains("┃    extract"), "{screen}");
        assert!(screen.contains("┃    draft"), "{screen}");
        assert_screen(
            &format!("pipeline_row_expanded_{w}x{h}"),
            r.path(),
            &screen,
            &[],
        );
    }
    // Space again: one row.
    key(&mut app, KeyCode::Char(' '));
    let screen = text(&render(&mut app, 120, 40));
    assert!(screen.contains("▸ extract"), "{screen}");
    assert!(!screen.contains("┃    draft"), "{screen}");
}

#[test]
fn brackets_step_between_passes_and_a_pass_detail_shows_its_contract_and_out() {
    let (r, _held) = waiting_run();
    let mut app = app_with(r.path(), "dark");
    assert_eq!(app.focus, Pane::Turns);
    key(&mut app, KeyCode::Char('['));
    assert_eq!(app.selected.as_deref(), Some("t1"), "the pass before");
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("pass     extract · 1/3 of p1 (post)"),
        "{screen}"
    );
    assert!(
        screen.contains("contract ✓ held · nonempty · json"),
        "{screen}"
    );
    assert!(
        screen.contains("out      work/post/p1/claims.json · 4 lines"),
        "{screen}"
    );
    assert!(
        screen.contains(r#"│   {"text": "leash lands turns""#),
        "{screen}"
    );
    key(&mut app, KeyCode::Char(']'));
    assert_eq!(app.selected.as_deref(), Some("t2"));
    key(&mut app, KeyCode::Char(']'));
    assert_eq!(app.selected.as_deref(), Some("t2"), "no pass after it yet");
    for (w, h) in [(120, 40), (80, 24)] {
        let screen = text(&render(&mut app, w, h));
        assert!(screen.contains("draft"), "{screen}");
        assert_screen(
            &format!("pipeline_pass_detail_{w}x{h}"),
            r.path(),
            &screen,
            &[],
        );
    }
    // From the detail pane too, outside the Diff tab.
    app.focus = Pane::Detail;
    key(&mut app, KeyCode::Char('['));
    assert_eq!(app.selected.as_deref(), Some("t1"));
}

#[test]
fn a_failed_contract_shows_its_rule_and_hostile_text_shows_as_markers() {
    let r = repo(
        &Passes {
            draft: "nosources",
            role: "verifier \\u001b]0;pwned\\u0007 \\u202e",
            ..Passes::default()
        }
        .toml(),
    );
    let out = r.cmd(&["run", "--task", "post"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the draft breaks its contract");
    let mut app = app_with(r.path(), "dark");
    assert_eq!(app.selected.as_deref(), Some("t2"));
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("p1  post · draft: contract violation"),
        "{screen}"
    );
    assert!(
        screen.contains("▸ extract ✓ → draft ! → audit ·"),
        "{screen}"
    );
    assert!(
        screen.contains("contract ✗ posts/post-p1.md: missing heading `Sources`"),
        "{screen}"
    );
    assert_screen("pipeline_pass_failed_120x40", r.path(), &screen, &[]);
    // The draft's out holds an escape and a bidi override: markers.
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
    assert!(screen.contains("Nothing cited. ⟨esc⟩"), "{screen}");
    assert!(screen.contains("<RLO>gnp.exe"), "{screen}");
    key(&mut app, KeyCode::Char(' '));
    let screen = text(&render(&mut app, 120, 40));
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
}

#[test]
fn the_demo_runs_a_three_pass_pipeline_whose_read_only_audit_finds_one_unsupported_claim() {
    let d = common::console::demo();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(["pipeline", "show", "p1", "--json"])
        .current_dir(&d.root)
        .env("LEASH_DATA_DIR", d._data.path())
        .output()
        .unwrap();
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(p["state"], "done", "{p:#}");
    assert_eq!(p["task"], leash::demo::PIPELINE_TASK);
    let passes = p["passes"].as_array().unwrap();
    let names: Vec<&str> = passes.iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["extract", "draft", "audit"]);
    assert_eq!(passes.len(), leash::demo::PIPELINE_PASSES);
    assert!(passes.iter().all(|x| x["state"] == "landed"), "{p:#}");
    assert_eq!(passes[2]["mode"], "read-only");
    let audit = std::fs::read_to_string(d.root.join("work/post/p1/audit.md")).unwrap();
    assert_eq!(audit.matches("UNSUPPORTED").count(), 1, "{audit}");
    let draft = std::fs::read_to_string(d.root.join("docs/post-p1.md")).unwrap();
    assert!(draft.contains("three times faster"), "{draft}");
    // In the console: one row of stages, the audit's detail its finding.
    let mut app = app_with(&d.root, "dark");
    let screen = text(&render(&mut app, 120, 40));
    assert!(screen.contains("p1  post · done"), "{screen}");
    assert!(screen.contains("extract✓→draft✓→audit✓"), "{screen}");
    assert!(screen.contains("citation verifier · read-only"), "{screen}");
    assert!(screen.contains("UNSUPPORTED"), "{screen}");
}
