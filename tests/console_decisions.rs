//! Decisions in the console over a real demo workspace: approving what
//! deserves a second look asks first, the waiting queue's selection is
//! never changed behind the operator's back, `F` fixes the turn it is
//! pressed on, and the autonomy sliders ask before freeing a class and
//! show what differs from the committed policy.

mod common;

use common::console::{app_with, assert_screen, demo, key, render, select, settle, text};
use crossterm::event::KeyCode;
use leash::ui::action::Action;
use leash::ui::app::{App, Dialog, Pane};
use leash::ui::keymap::Keymap;
use leash::ui::settings::UserSettings;
use leash::ui::theme::Theme;
use leash::workspace::Workspace;

fn confirm_lines(app: &App) -> (String, String) {
    match app.dialog() {
        Some(Dialog::Confirm { title, lines, .. }) => (title.clone(), lines.join("\n")),
        other => panic!("expected a confirm dialog, got {other:?}"),
    }
}

fn state(app: &App, id: &str) -> String {
    app.ws.state().turn(id).unwrap().state.as_str().to_string()
}

fn journal_lines(app: &App) -> usize {
    std::fs::read_to_string(app.ws.root().join(".git/leash/journal.jsonl"))
        .unwrap()
        .lines()
        .count()
}

#[test]
fn approving_a_high_or_failing_turn_asks_first_and_a_clean_one_takes_one_key() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");

    // t3 is high: `a` asks, showing the class; `n` leaves it waiting.
    select(&mut app, "t3");
    key(&mut app, KeyCode::Char('a'));
    let (title, lines) = confirm_lines(&app);
    assert_eq!(title, "Approve t3?");
    assert!(lines.contains("class: high"), "{lines}");
    assert_screen(
        "approve_confirm_high_80",
        &d.root,
        &text(&render(&mut app, 80, 24)),
        &[],
    );
    key(&mut app, KeyCode::Char('n'));
    assert!(app.dialog().is_none());
    assert_eq!(state(&app, "t3"), "awaiting_review", "n decides nothing");

    // t7 is low, but introduced a failing invariant: the dialog names it
    // and its finding.
    select(&mut app, "t7");
    key(&mut app, KeyCode::Char('a'));
    let (_, lines) = confirm_lines(&app);
    assert!(lines.contains("class: low"), "{lines}");
    assert!(lines.contains("failed: dangling_reference"), "{lines}");
    assert!(
        lines.contains("no dangling pointers (fail) — introduced by this turn"),
        "{lines}"
    );
    assert!(lines.contains("links.md:3"), "{lines}");
    assert_screen(
        "approve_confirm_failing_200",
        &d.root,
        &text(&render(&mut app, 200, 60)),
        &[],
    );
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(state(&app, "t7"), "landed");
    // After a decision the selection is what waits next: the queue's head.
    assert_eq!(app.selected.as_deref(), Some("t3"), "{:?}", app.status);

    // A clean medium turn lands on one key, and the selection moves on.
    select(&mut app, "t2");
    let t2 = app.ws.state().turn("t2").unwrap().clone();
    assert!(
        t2.failure.is_none() && t2.invariants.iter().all(leash::invariants::passes),
        "t2 is the demo's clean medium turn: {:?}",
        t2.invariants
    );
    key(&mut app, KeyCode::Char('a'));
    assert!(app.dialog().is_none(), "a clean turn takes one key");
    assert_eq!(state(&app, "t2"), "landed", "{:?}", app.status);
    assert_eq!(app.selected.as_deref(), Some("t3"));

    // Rejecting moves on too.
    select(&mut app, "t6");
    key(&mut app, KeyCode::Char('r'));
    for c in "not now".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(state(&app, "t6"), "rejected");
    assert_eq!(app.selected.as_deref(), Some("t3"));
}

#[test]
fn tab_to_the_queue_never_lands_a_turn_the_operator_did_not_see() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    // The console opens on the newest row, the demo pipeline's (its
    // current pass, the audit t12, landed).
    assert_eq!(app.selected.as_deref(), Some("t12"));
    let heads: Vec<String> = app.waiting().iter().map(|w| w.turn().into()).collect();
    assert_eq!(heads.first().map(String::as_str), Some("t3"), "{heads:?}");

    // The sequence: Tab, then a.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Queue);
    assert_eq!(app.selected.as_deref(), Some("t3"), "the queue's head");
    let status = app.status.clone().unwrap().text;
    assert!(
        status.contains("t3 selected (was t12)"),
        "the change is said: {status}"
    );
    key(&mut app, KeyCode::Char('a'));
    let (title, _) = confirm_lines(&app);
    assert_eq!(title, "Approve t3?", "a applies to what is on screen");
    key(&mut app, KeyCode::Esc);
    assert_eq!(state(&app, "t9"), "awaiting_review");

    // Moving focus on from the queue keeps the selection.
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Detail);
    assert_eq!(app.selected.as_deref(), Some("t3"));

    // A cursor left at the queue's end is not where Tab lands next time.
    app.update(Action::Back);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::End);
    assert_eq!(app.selected.as_deref(), Some("t9"));
    app.update(Action::Back);
    assert_eq!(app.selected.as_deref(), Some("t9"), "leaving keeps it");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.selected.as_deref(), Some("t3"), "the head again");

    // The queue's cursor stays on its entry, not on an index: deciding the
    // entry before it (from the command line) does not move it.
    app.update(Action::Back);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('j'));
    let second = app.selected.clone().unwrap();
    assert_ne!(second, "t3");
    let mut other = Workspace::open(&d.root).unwrap();
    other
        .reject("t3", "decided elsewhere".into(), None)
        .unwrap();
    app.on_changed();
    settle(&mut app);
    assert_eq!(app.selected.as_deref(), Some(second.as_str()));
    assert_eq!(app.queue_pane.sel, 0, "its entry is the head now");

    // When its entry is decided elsewhere, the cursor goes to the head.
    other.refresh().unwrap();
    other
        .reject(&second, "decided elsewhere".into(), None)
        .unwrap();
    app.on_changed();
    settle(&mut app);
    let head = app.waiting()[0].turn().to_string();
    assert_eq!(app.selected.as_deref(), Some(head.as_str()));
    assert_eq!(app.queue_pane.sel, 0);
}

#[test]
fn f_on_a_waiting_turn_fixes_that_turn_and_a_fix_of_nothing_leaves_no_turn() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    let turns_before = app.ws.state().turns().len();

    // t8 wrote a flat memory file; F on it fixes t8 itself.
    select(&mut app, "t8");
    let before = app.ws.state().turn("t8").unwrap().clone();
    assert!(before.introduced.contains(&"memory layout".to_string()));
    key(&mut app, KeyCode::Char('F'));
    let (title, lines) = confirm_lines(&app);
    assert_eq!(title, "Fix invariants of t8?");
    assert!(lines.contains("memory layout"), "{lines}");
    key(&mut app, KeyCode::Char('y'));
    let status = app.status.clone().unwrap();
    assert!(
        !status.error && status.text.contains("fixed memory layout in t8"),
        "{status:?}"
    );
    assert_eq!(app.ws.state().turns().len(), turns_before, "no new turn");
    assert_eq!(app.selected.as_deref(), Some("t8"), "the fixed turn stays");
    let after = app.ws.state().turn("t8").unwrap().clone();
    assert_eq!(after.state.as_str(), "awaiting_review");
    assert_ne!(after.commit, before.commit, "a new turn commit");
    assert_eq!(after.base, before.base, "on the same base");
    assert!(after.introduced.is_empty(), "{:?}", after.introduced);
    assert!(
        after.invariants.iter().all(leash::invariants::passes),
        "re-checked: {:?}",
        after.invariants
    );
    let kept = common::git(&d.root, &["rev-parse", "refs/leash/unfixed/t8"]);
    assert_eq!(Some(kept.as_str()), before.commit.as_deref());
    let diff = common::git(
        &d.root,
        &[
            "diff",
            "--name-status",
            before.base.as_deref().unwrap(),
            after.commit.as_deref().unwrap(),
        ],
    );
    assert!(diff.contains("durable_notes.md"), "{diff}");

    // Approving it now lands the fixed work, naming the fix.
    key(&mut app, KeyCode::Char('a'));
    assert!(app.dialog().is_none(), "clean now: {:?}", app.dialog());
    assert_eq!(state(&app, "t8"), "landed", "{:?}", app.status);
    let msg = common::git(&d.root, &["log", "-1", "--format=%B"]);
    assert!(msg.contains("Leash-Fix: memory layout"), "{msg}");
    assert!(msg.contains("Leash-Turn: t8"), "{msg}");

    // F on a waiting turn with nothing fixable writes nothing.
    select(&mut app, "t9");
    let lines_before = journal_lines(&app);
    key(&mut app, KeyCode::Char('F'));
    key(&mut app, KeyCode::Char('y'));
    let status = app.status.clone().unwrap();
    assert!(status.text.contains("nothing to fix in t9"), "{status:?}");
    assert_eq!(journal_lines(&app), lines_before, "nothing journaled");

    // F with no waiting turn selected fixes the branch head, and says so;
    // with nothing to fix there it leaves no `no_changes` turn behind.
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('F'));
    let (title, lines) = confirm_lines(&app);
    assert_eq!(title, "Fix invariants on the branch head?");
    assert!(lines.contains("this fixes main at"), "{lines}");
    key(&mut app, KeyCode::Char('y'));
    let status = app.status.clone().unwrap();
    assert!(
        status.text.contains("nothing to fix on the branch head"),
        "{status:?}"
    );
    assert_eq!(app.ws.state().turns().len(), turns_before, "no fix turn");
    assert!(
        !app.ws
            .state()
            .turns()
            .iter()
            .any(|t| t.state.as_str() == "no_changes" && t.title.starts_with("Fix invariants")),
        "no empty fix turn"
    );
}

#[test]
fn sliders_ask_before_auto_or_an_inversion_and_mark_an_override() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.focus, Pane::Autonomy);

    // low: guarded → auto asks; n keeps guarded.
    key(&mut app, KeyCode::Right);
    let (title, lines) = confirm_lines(&app);
    assert_eq!(title, "Move low to auto?");
    assert!(lines.contains("land by themselves"), "{lines}");
    assert_screen(
        "slider_confirm_auto_80",
        &d.root,
        &text(&render(&mut app, 80, 24)),
        &[],
    );
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.ws.sliders().low.as_str(), "guarded");

    // high: manual → review is a plain move; → guarded would make high
    // freer than medium (review): asked.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Right);
    assert!(app.dialog().is_none());
    assert_eq!(app.ws.sliders().high.as_str(), "review");
    key(&mut app, KeyCode::Right);
    let (title, lines) = confirm_lines(&app);
    assert_eq!(title, "Move high to guarded?");
    assert!(
        lines.contains("Inverted: high (guarded) would be freer than medium (review)"),
        "{lines}"
    );
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.ws.sliders().high.as_str(), "guarded");

    // Moving a lower class down under a higher one asks too.
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Left);
    let (title, lines) = confirm_lines(&app);
    assert_eq!(title, "Move low to review?");
    assert!(
        lines.contains("high (guarded) would be freer than low (review)"),
        "{lines}"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.ws.sliders().low.as_str(), "guarded");
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));

    // The moves override the committed policy, and the panel says so.
    let wide = text(&render(&mut app, 200, 60));
    assert!(wide.contains("›high*"), "{wide}");
    assert!(
        wide.contains("* override; committed: high manual (autonomy --save)"),
        "{wide}"
    );
    assert!(!wide.contains("low*"), "low is as committed:\n{wide}");
    assert!(!wide.contains("guarded = auto"), "the demo has invariants");
    let narrow = text(&render(&mut app, 80, 24));
    assert!(narrow.contains("high*"), "{narrow}");
    assert!(narrow.contains("* committed: high manual"), "{narrow}");
}

#[test]
fn the_autonomy_panel_says_guarded_is_auto_without_invariants() {
    let r = common::Repo::initialised();
    let ws = Workspace::open(r.path()).unwrap();
    assert!(ws.config().invariants.is_empty());
    let mut app = App::new(
        ws,
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap(),
        UserSettings::default(),
        vec![],
    );
    settle(&mut app);
    let wide = text(&render(&mut app, 200, 60));
    assert!(
        wide.contains("guarded = auto here: no invariants configured"),
        "{wide}"
    );
    let narrow = text(&render(&mut app, 80, 24));
    assert!(narrow.contains("guarded = auto: no invariants"), "{narrow}");
}
