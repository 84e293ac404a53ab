//! The review screen over a real repository and a real turn: a scripted
//! agent (a real process, calling leash's hooks as Claude does) reads a
//! source, writes a note under `operations/` citing one source it read and
//! one it did not, with a dangling link, and exits 3. `enter` on the
//! waiting turn shows on one screen everything the decision needs, the
//! diff below from its first hunk; its verdict keys work there.

mod common;

use common::Repo;
use common::console::{app_with, assert_screen, key, render, settle, text};
use crossterm::event::KeyCode;
use leash::ui::app::{App, Pane, Row, Tab};

/// The config's invariants: one the base already fails (a folder with no
/// README), one the turn breaks (a dangling link under `operations/`).
const INVARIANTS: &str = r#"
[[invariant]]
name = "every legacy folder has a README"
kind = "readme"
roots = ["legacy"]

[[invariant]]
name = "no dangling pointers"
kind = "references"
roots = ["operations"]
"#;

/// What the agent does: reads the source, writes the note, fails.
const PROMPT: &str = "read_file docs/source.md; \
    write_file operations/notes.md 'The figure is 42 ([source](../docs/source.md)), per `docs/other.md`; see [the plan](plan.md).'; \
    exit 3";

/// A title an agent's task could carry: an escape that would retitle the
/// terminal, and a bidi override.
const TITLE: &str = "ops notes \u{1b}]0;pwned\u{7} \u{202e}gnp.exe";

fn workspace() -> Repo {
    let r = Repo::initialised();
    common::agent::install(&r, "scripted", common::agent::HOOKED_SHELL);
    let config = r.read(".leash/config.toml") + INVARIANTS;
    r.write(".leash/config.toml", &config);
    r.write("docs/source.md", "# Source\n\nThe figure is 42.\n");
    r.write("legacy/old/notes.md", "kept as it was\n");
    r.write("operations/README.md", "# Operations\n");
    r.git(&["add", "-A"]);
    r.git(&[
        "commit",
        "-qm",
        "a source, a legacy folder and a scripted agent",
    ]);
    r
}

fn run(r: &Repo, risk: &str, title: &str, prompt: &str) {
    let out = r
        .cmd(&[
            "run", "--agent", "scripted", "--risk", risk, "--title", title, "--prompt", prompt,
        ])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The queue focused, its cursor on the turn `id`, and `enter`.
fn open_from_queue(app: &mut App, id: &str) {
    app.focus = Pane::Turns;
    key(app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Queue);
    for _ in 0..app.waiting().len() {
        if app.selected.as_deref() == Some(id) {
            break;
        }
        key(app, KeyCode::Down);
    }
    assert_eq!(app.selected.as_deref(), Some(id));
    key(app, KeyCode::Enter);
    assert!(app.review.is_open());
}

/// Asserts that each of `shown` is on `screen` above the diff's hunk
/// header `hunk`, and `first_line` below it; the row of the header.
fn above_the_diff(screen: &str, shown: &[&str], hunk: &str, first_line: &str) {
    let row_of = |what: &str| {
        screen
            .lines()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what} is not on the screen:\n{screen}"))
    };
    let diff_at = row_of(hunk);
    for what in shown {
        assert!(
            row_of(what) < diff_at,
            "{what} is below the diff:\n{screen}"
        );
    }
    assert!(row_of(first_line) > diff_at, "{screen}");
}

#[test]
fn enter_on_a_waiting_turn_shows_everything_the_decision_needs_on_one_screen() {
    let r = workspace();
    run(&r, "medium", TITLE, PROMPT);
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review", "{t}");
    let mut app = app_with(r.path(), "dark");
    app.demo = false;
    open_from_queue(&mut app, "t1");
    assert_eq!((app.focus, app.tab()), (Pane::Detail, Tab::Diff));
    // The cursor is on the first hunk, so space marks it at once.
    let diff = &app.detail.diff;
    assert_eq!(diff.rows[diff.cursor], Row::Hunk(0, 0));

    let screen = text(&render(&mut app, 120, 40));
    // Everything the decision needs, above the diff and its first line.
    above_the_diff(
        &screen,
        &[
            "Review t1",
            "ops notes",
            "scripted",
            "read_file docs/source.md",
            "high ↑ raised from medium: path operations/notes.md matches rule `operations/**` (high)",
            "failed      crashed — the agent exited 3",
            "✗ no dangling pointers introduced (fail) — operations/notes.md:1",
            "1 failing inherited from its base, folded",
            "⚠ unread docs/other.md cited in operations/notes.md:1",
            "read before writing: docs/source.md",
            "1 file +1 −0",
            "A operations/notes.md +1 −0",
        ],
        "@@ -0,0 +1 @@",
        "+The figure is 42",
    );
    // The list and the queue are away; the hostile title is shown as
    // markers, its escape never reaching the screen.
    assert!(!screen.contains("Waiting for you"), "{screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
    assert!(!screen.contains("pwned\u{7}"), "{screen}");
    assert_screen("review_120x40", r.path(), &screen, &[]);

    // The diff's keys work here: space marks the first hunk, C comments
    // on its line, A lands what is accepted.
    key(&mut app, KeyCode::Char(' '));
    let status = app.status.clone().unwrap();
    assert!(status.text.contains("accepted — 1 of 1"), "{status:?}");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('C'));
    for c in "cite what you read".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let comment = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "line_commented")
        .expect("the comment is journaled");
    assert_eq!(comment["path"], "operations/notes.md");
    assert_eq!(comment["text"], "cite what you read");
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.ws.state().turn("t1").unwrap().state.as_str(), "landed");
    assert!(
        r.read("operations/notes.md")
            .starts_with("The figure is 42")
    );
    // Nothing else waits: the review closes, back to the queue.
    assert!(!app.review.is_open());
    assert_eq!(app.focus, Pane::Queue);
}

#[test]
fn at_80x24_the_summary_is_compact_and_the_diff_keeps_the_rest() {
    let r = workspace();
    run(&r, "medium", "ops notes", PROMPT);
    let mut app = app_with(r.path(), "dark");
    app.demo = false;
    open_from_queue(&mut app, "t1");
    let screen = text(&render(&mut app, 80, 24));
    above_the_diff(
        &screen,
        &[
            "Review t1",
            "scripted · read_file docs/source.md; write_file",
            "high ↑ raised from medium",
            "the agent exited 3",
            "✗ 1 introduced: no dangling pointers",
            "⚠ 2 unread",
        ],
        "@@ -0,0 +1 @@",
        "+The figure is 42",
    );
    assert_screen("review_80x24", r.path(), &screen, &[]);
}

#[test]
fn the_queue_shows_waiting_turns_by_risk_then_age_and_a_decision_reviews_the_next() {
    let r = workspace();
    let write = |n: usize| format!("write_file notes/{n}.md 'note {n}'");
    run(&r, "low", "first low", &write(1));
    run(&r, "high", "first high", &write(2));
    run(&r, "medium", "a medium", &write(3));
    run(&r, "high", "second high", &write(4));
    // Which wait: every one here, as the legacy folder's README is
    // missing and guarded does not land a turn whose invariants fail.
    let states: Vec<String> = r
        .turns()
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t["id"].as_str().unwrap(),
                t["state"].as_str().unwrap()
            )
        })
        .collect();
    let mut app = app_with(r.path(), "dark");
    let order: Vec<String> = app.queue().iter().map(|t| t.id.clone()).collect();
    let waiting: Vec<&str> = ["t2", "t4", "t3", "t1"]
        .into_iter()
        .filter(|id| states.iter().any(|s| s == &format!("{id} awaiting_review")))
        .collect();
    assert_eq!(order, waiting, "{states:?}");
    let screen = text(&render(&mut app, 120, 40));
    // In the queue's pane (the turns list above is newest first).
    let queue = &screen[screen.find("Waiting for you").unwrap()..];
    let at = |title: &str| {
        queue
            .find(title)
            .unwrap_or_else(|| panic!("{title}:\n{screen}"))
    };
    assert!(at("first high") < at("second high"), "{screen}");
    assert!(at("second high") < at("a medium"), "{screen}");

    // Approved on the review screen, the next waiting turn is reviewed.
    open_from_queue(&mut app, "t2");
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('y'));
    settle(&mut app);
    assert_eq!(app.ws.state().turn("t2").unwrap().state.as_str(), "landed");
    assert!(app.review.is_open());
    assert_eq!(app.selected.as_deref(), Some("t4"), "the next by risk");
}

#[test]
fn a_source_changed_since_it_was_read_is_a_warning_on_the_review_screen() {
    let r = workspace();
    run(
        &r,
        "medium",
        "cites the source",
        "read_file docs/source.md; write_file notes/figure.md 'It is 42 ([source](../docs/source.md)).'",
    );
    run(
        &r,
        "medium",
        "changes the source",
        "write_file docs/source.md 'The figure is 43.'",
    );
    r.ok(&["approve", "t2"]);
    let mut app = app_with(r.path(), "dark");
    app.demo = false;
    open_from_queue(&mut app, "t1");
    let screen = text(&render(&mut app, 120, 40));
    above_the_diff(
        &screen,
        &[
            "⚠ stale ../docs/source.md cited in notes/figure.md:1 — changed by t2",
            "read before writing: docs/source.md",
        ],
        "@@ -0,0 +1 @@",
        "+It is 42",
    );
}
