//! Receipts of the console's decisions, over real workspaces: what the
//! screen showed of a turn before it was approved (its tabs, its diff to
//! the last row) goes into the journal and the landed commit's note; and
//! approvals that look like rubber-stamping are named once, with the
//! slider move they suggest, and never again.

mod common;

use common::Repo;
use common::console::{app_with, key, render, select, settle};
use common::script::Script;
use crossterm::event::KeyCode;
use leash::ui::app::{App, Dialog, Pane, Tab};
use serde_json::{Value, json};

fn events(root: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(root.join(".git/leash/journal.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn decision_of(root: &std::path::Path, turn: &str) -> Value {
    events(root)
        .into_iter()
        .find(|e| e["kind"] == "turn_decided" && e["turn"] == turn)
        .unwrap_or_else(|| panic!("{turn} was not decided"))
}

#[test]
fn a_diff_read_to_its_end_and_approved_is_a_console_receipt_in_journal_and_note() {
    let r = Repo::initialised();
    // A low turn lands by policy; a medium one of 100 lines waits.
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo x > low.md"]);
    assert_eq!(r.turn("t1")["state"], "landed");
    r.ok(&[
        "run",
        "--risk",
        "medium",
        "--",
        "sh",
        "-c",
        "seq 1 100 > n.md",
    ]);
    let root = r.path().to_path_buf();
    let mut app = app_with(&root, "dark");
    select(&mut app, "t2");
    render(&mut app, 80, 24);
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.tab(), Tab::Diff);
    render(&mut app, 80, 24);
    // The diff is longer than the pane: its top is not its end.
    assert!(
        app.detail.diff.rows.len() > app.page,
        "the diff fits one page ({} rows): the test would prove nothing",
        app.detail.diff.rows.len()
    );
    let so_far = app.seen.receipt("t2", leash::model::now());
    assert!(!so_far.diff_read_to_end, "{so_far:?}");
    assert_eq!(so_far.tabs, ["output", "diff"]);

    app.focus = Pane::Detail;
    key(&mut app, KeyCode::End);
    render(&mut app, 80, 24);
    key(&mut app, KeyCode::Char('a'));
    if matches!(app.dialog(), Some(Dialog::Confirm { .. })) {
        key(&mut app, KeyCode::Char('y'));
    }
    assert_eq!(
        app.ws.state().turn("t2").unwrap().state.as_str(),
        "landed",
        "{:?}",
        app.status
    );

    let e = decision_of(&root, "t2");
    let r = &e["receipt"];
    assert_eq!(
        (&e["by"], &r["front"], &r["tabs"], &r["diff_read_to_end"]),
        (
            &json!("operator"),
            &json!("console"),
            &json!(["output", "diff"]),
            &json!(true)
        ),
        "{e}"
    );
    let (shown, decided) = (
        r["shown_at"].as_str().unwrap(),
        r["decided_at"].as_str().unwrap(),
    );
    assert!(shown <= decided, "{e}");
    // A turn landed by policy has none.
    let policy = events(&root)
        .into_iter()
        .find(|e| e["kind"] == "turn_decided" && e["by"] == "policy")
        .expect("t1 landed by policy");
    assert_eq!(policy.get("receipt"), None, "{policy}");

    let landed = app
        .ws
        .state()
        .turn("t2")
        .unwrap()
        .landed_commit
        .clone()
        .unwrap();
    let note: Value = serde_json::from_str(&common::git(
        &root,
        &["notes", "--ref", "leash", "show", &landed],
    ))
    .unwrap();
    let nr = &note["receipt"];
    assert_eq!(
        (
            &nr["front"],
            &nr["shown_at"],
            &nr["diff_read_to_end"],
            &nr["tabs"]
        ),
        (
            &json!("console"),
            &json!(shown),
            &json!(true),
            &json!(["output", "diff"])
        ),
        "{note}"
    );
}

fn notice(app: &App) -> Option<(String, String)> {
    match app.dialog() {
        Some(Dialog::Notice { title, lines }) => Some((title.clone(), lines.join("\n"))),
        _ => None,
    }
}

#[test]
fn twenty_fast_unread_approvals_are_named_once_with_the_slider_move() {
    let r = Repo::initialised();
    // Nineteen medium turns approved in the console a second after they
    // were shown, no diff read to its end.
    let journal = r.journal();
    let mut s = Script::after(&journal);
    s.fast_unread_approvals(19, "medium", "2026-03-01T09:00:00Z");
    s.append_to(&journal);
    let out = r.ok(&[
        "run",
        "--risk",
        "medium",
        "--",
        "sh",
        "-c",
        "echo twentieth > twentieth.md",
    ]);
    assert_eq!(out.stdout.trim(), "t20", "{}", out.stdout);

    // Nineteen say nothing yet.
    let mut app = app_with(r.path(), "dark");
    assert_eq!(notice(&app), None, "{:?}", app.dialog());

    // The twentieth, approved as fast: the console says so.
    select(&mut app, "t20");
    render(&mut app, 120, 40);
    key(&mut app, KeyCode::Char('a'));
    if matches!(app.dialog(), Some(Dialog::Confirm { .. })) {
        key(&mut app, KeyCode::Char('y'));
    }
    assert_eq!(
        app.ws.state().turn("t20").unwrap().state.as_str(),
        "landed",
        "{:?}",
        app.status
    );
    let e = decision_of(r.path(), "t20");
    assert_eq!(e["receipt"]["front"], "console", "{e}");
    let (title, lines) = notice(&app).expect("the rubber-stamp notice");
    assert_eq!(title, "Rubber-stamping medium turns?");
    assert!(
        lines.starts_with("20 medium decisions, 100 % approved, decided a median 1.0 s"),
        "{lines}"
    );
    assert!(lines.contains("not one diff read to its end"), "{lines}");
    assert!(
        lines.contains("move the medium slider from review to guarded (s, then l)"),
        "{lines}"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(notice(&app), None);
    assert_eq!(r.read(".git/leash/hints-given"), "rubber_stamp:medium\n");

    // Said once: a console opened again, or the same one after another
    // decision, does not say it again.
    drop(app);
    let mut again = app_with(r.path(), "dark");
    settle(&mut again);
    assert_eq!(notice(&again), None, "{:?}", again.dialog());
    assert_eq!(r.read(".git/leash/hints-given"), "rubber_stamp:medium\n");
}
