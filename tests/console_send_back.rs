//! `b` in the console sends a waiting turn back to its agent: a confirm
//! says what lands, what goes back and with how many comments, then the
//! accepted hunks land and a follow-up starts (detached) whose prompt holds
//! the comment and the hunks kept aside; the detail pane shows the chain.

mod common;

use common::console::{app_with, key, render, select, settle, text};
use common::{Repo, numbered};
use crossterm::event::KeyCode;
use leash::ui::action::Action;
use leash::ui::app::{Dialog, Pane};

#[test]
fn b_sends_the_waiting_turn_back_with_its_comment_and_the_hunk_kept_aside() {
    let r = Repo::initialised();
    r.write("a.md", &numbered(10));
    r.git(&["add", "a.md"]);
    r.git(&["commit", "-q", "-m", "a.md"]);
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--title",
        "two edits",
        "--",
        "sh",
        "-c",
        "sed -i 's/^line 2$/line two/' a.md && echo new > b.md",
    ]);
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    app.focus = Pane::Detail;
    // a.md's hunk accepted; a comment on b.md's line; b.md's hunk unmarked.
    app.update(Action::NextHunk);
    key(&mut app, KeyCode::Char(' '));
    app.update(Action::NextFile);
    app.update(Action::NextHunk);
    app.update(Action::Down);
    key(&mut app, KeyCode::Char('C'));
    for c in "say hello instead".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    settle(&mut app);

    // b asks first; n leaves everything as it was.
    let head = r.head();
    key(&mut app, KeyCode::Char('b'));
    let (title, lines) = match app.dialog() {
        Some(Dialog::Confirm { title, lines, .. }) => (title.clone(), lines.join("\n")),
        other => panic!("expected a confirm, got {other:?}"),
    };
    assert_eq!(title, "Send t1 back to its agent?");
    assert!(
        lines.contains("1 of 2 hunks marked ✓ land first; the rest goes back"),
        "{lines}"
    );
    assert!(lines.contains("1 comment with it"), "{lines}");
    assert!(lines.contains("runs afresh"), "{lines}");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(r.head(), head);

    key(&mut app, KeyCode::Char('b'));
    key(&mut app, KeyCode::Char('y'));
    let status = app.status.clone().unwrap();
    assert!(!status.error, "{status:?}");
    assert!(
        status.text.starts_with("started t2 — t1 sent back"),
        "{status:?}"
    );
    assert_eq!(app.ws.state().turn("t1").unwrap().state.as_str(), "landed");
    assert!(r.read("a.md").contains("line two"));
    assert!(!r.file("b.md").exists());

    // The follow-up runs detached; its prompt carries the comment and the
    // hunk kept aside.
    r.wait_for_event("the follow-up finished", |e| {
        e["kind"] == "turn_finished" && e["turn"] == "t2"
    });
    let t2 = r.turn("t2");
    assert_eq!(t2["follows"]["parent"], "t1");
    let prompt = t2["prompt"].as_str().unwrap();
    assert!(
        prompt.contains(
            "1. b.md, line 1: say hello instead\nIn this hunk:\n```diff\n@@ -0,0 +1 @@\n+new\n```"
        ),
        "{prompt}"
    );
    assert!(
        prompt.contains("The hunks that were not landed (they are not in the working tree):\n\nb.md\n```diff\n@@ -0,0 +1 @@\n+new\n```"),
        "{prompt}"
    );
    // The console shows the chain on the follow-up.
    app.ws.refresh().unwrap();
    select(&mut app, "t2");
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("t2 awaiting_review ↳ revises t1 (afresh) · revise t1: tw"),
        "{screen}"
    );
}
