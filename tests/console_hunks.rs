//! Verdicts hunk by hunk in the console, over a real repository and a real
//! turn: `space` in the Diff tab marks the hunk under the cursor accepted
//! (✓) or kept aside (✗), the marks are drawn in the gutter, and `A` lands
//! the accepted hunks after a confirm that counts them — the same partial
//! landing as `leash approve --hunks`.

mod common;

use common::Repo;
use common::console::{app_with, assert_screen, key, render, select, text};
use crossterm::event::KeyCode;
use leash::ui::action::Action;
use leash::ui::app::{App, Dialog, Pane, Row};

fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

/// A 40-line a.md, and a waiting turn t1 that edits it in three places
/// and adds b.md: four hunks.
fn workspace() -> Repo {
    let r = Repo::initialised();
    r.write("a.md", &numbered(40));
    r.git(&["add", "a.md"]);
    r.git(&["commit", "-q", "-m", "a.md"]);
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--title",
        "three edits",
        "--",
        "sh",
        "-c",
        "sed -i -e 's/^line 2$/line two/' -e 's/^line 20$/line twenty/' \
         -e 's/^line 39$/line thirty-nine/' a.md && echo new > b.md",
    ]);
    r
}

fn at_hunk(app: &App) -> Row {
    app.detail.diff.rows[app.detail.diff.cursor]
}

fn confirm(app: &App) -> (String, String) {
    match app.dialog() {
        Some(Dialog::Confirm { title, lines, .. }) => (title.clone(), lines.join("\n")),
        other => panic!("expected a confirm dialog, got {other:?}"),
    }
}

#[test]
fn space_marks_hunks_and_a_lands_only_the_accepted_ones() {
    let r = workspace();
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    app.focus = Pane::Detail;

    // Nothing marked: A says how to mark, and nothing is decided.
    key(&mut app, KeyCode::Char('A'));
    let status = app.status.clone().unwrap();
    assert!(
        status.error && status.text.contains("mark them with space"),
        "{status:?}"
    );
    assert!(app.dialog().is_none());

    // Hunk 1 accepted, hunk 2 accepted then kept aside (from one of its
    // lines), hunk 3 accepted; b.md's hunk left unmarked.
    app.update(Action::NextHunk);
    assert_eq!(at_hunk(&app), Row::Hunk(0, 0));
    key(&mut app, KeyCode::Char(' '));
    assert!(
        app.status
            .clone()
            .unwrap()
            .text
            .contains("accepted — 1 of 4"),
        "{:?}",
        app.status
    );
    app.update(Action::NextHunk);
    app.update(Action::Down);
    assert_eq!(at_hunk(&app), Row::Line(0, 1, 0));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char(' '));
    assert!(
        app.status
            .clone()
            .unwrap()
            .text
            .contains("kept aside — 1 of 4"),
        "{:?}",
        app.status
    );
    app.update(Action::NextHunk);
    assert_eq!(at_hunk(&app), Row::Hunk(0, 2));
    key(&mut app, KeyCode::Char(' '));

    // The marks are in the gutter and on the hunks' headers.
    app.update(Action::Top);
    let screen = text(&render(&mut app, 120, 40));
    assert!(screen.contains("@@ -1,5 +1,5 @@  ✓ accepted"), "{screen}");
    assert!(
        screen.contains("@@ -17,7 +17,7 @@  ✗ kept aside"),
        "{screen}"
    );
    assert!(screen.contains("✓  2      -line 2"), "{screen}");
    assert!(screen.contains("✗      20 +line twenty"), "{screen}");
    assert_screen("diff_hunk_verdicts_120x40", r.path(), &screen, &[]);

    // A asks first, counting what lands and what is kept aside; n keeps
    // everything as it was.
    let head = r.head();
    key(&mut app, KeyCode::Char('A'));
    let (title, lines) = confirm(&app);
    assert_eq!(title, "Land 2 of 4 hunks of t1?");
    assert!(
        lines.contains("2 kept aside at refs/leash/rejected/t1"),
        "{lines}"
    );
    assert!(lines.contains("  a.md @@ -17,7 +17,7 @@"), "{lines}");
    assert!(lines.contains("  b.md @@ -0,0 +1 @@"), "{lines}");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(r.head(), head);
    assert_eq!(
        app.ws.state().turn("t1").unwrap().state.as_str(),
        "awaiting_review"
    );

    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('y'));
    let status = app.status.clone().unwrap();
    assert!(!status.error, "{status:?}");
    assert!(status.text.contains("hunks 1, 3 landed"), "{status:?}");
    assert_eq!(app.ws.state().turn("t1").unwrap().state.as_str(), "landed");
    let landed = numbered(40)
        .replace("line 2\n", "line two\n")
        .replace("line 39\n", "line thirty-nine\n");
    assert_eq!(r.read("a.md"), landed);
    assert!(!r.file("b.md").exists());
    let rest = r.git(&["diff", "HEAD", "refs/leash/rejected/t1"]);
    assert!(
        rest.contains("+line twenty") && rest.contains("+new"),
        "{rest}"
    );
    assert!(
        r.git(&["log", "-1", "--format=%B"])
            .contains("Leash-Partial: yes"),
        "the landed commit says it is partial"
    );
}

#[test]
fn a_file_header_marks_all_its_hunks_and_every_hunk_accepted_is_a_whole_approval() {
    let r = workspace();
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    app.focus = Pane::Detail;
    app.update(Action::Top);
    assert_eq!(at_hunk(&app), Row::File(0));
    key(&mut app, KeyCode::Char(' '));
    assert!(
        app.status
            .clone()
            .unwrap()
            .text
            .contains("every hunk of a.md: accepted — 3 of 4"),
        "{:?}",
        app.status
    );
    app.update(Action::NextFile);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('A'));
    let (title, lines) = confirm(&app);
    assert_eq!(title, "Land 4 of 4 hunks of t1?");
    assert!(lines.contains("the whole turn lands"), "{lines}");
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.ws.state().turn("t1").unwrap().state.as_str(), "landed");
    assert!(r.read("a.md").contains("line twenty\n"));
    assert_eq!(r.read("b.md"), "new\n");
    assert!(r.git(&["for-each-ref", "refs/leash/rejected"]).is_empty());
    assert!(
        !r.git(&["log", "-1", "--format=%B"])
            .contains("Leash-Partial")
    );
}

#[test]
fn capital_c_comments_on_the_line_under_the_cursor_kept_in_the_journal_and_shown() {
    let r = workspace();
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    app.focus = Pane::Detail;
    app.update(Action::NextHunk);
    // The hunk's lines: 1, 2, -line 2, +line two.
    for _ in 0..3 {
        app.update(Action::Down);
    }
    assert_eq!(at_hunk(&app), Row::Line(0, 0, 2), "on `+line two`");
    key(&mut app, KeyCode::Char('C'));
    assert!(matches!(app.dialog(), Some(Dialog::Comment { .. })));
    // Letters type (y and n included), enter keeps it.
    for c in "say why, not only two".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert!(app.dialog().is_none(), "{:?}", app.status);
    app.update(Action::Up);
    key(&mut app, KeyCode::Char('C'));
    for c in "gone?".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    // An empty comment is refused and the dialog stays.
    key(&mut app, KeyCode::Char('C'));
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.dialog(), Some(Dialog::Comment { .. })));
    key(&mut app, KeyCode::Esc);

    let comments: Vec<(serde_json::Value, serde_json::Value, String)> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "line_commented")
        .map(|e| {
            (
                e["line"].clone(),
                e["old_line"].clone(),
                e["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        comments,
        [
            (
                serde_json::json!(2),
                serde_json::Value::Null,
                "say why, not only two".into()
            ),
            (
                serde_json::Value::Null,
                serde_json::json!(2),
                "gone?".into()
            ),
        ]
    );
    let screen = text(&render(&mut app, 140, 40));
    assert!(
        screen.contains("+line two  ✎ say why, not only two"),
        "{screen}"
    );
    assert!(screen.contains("-line 2  ✎ gone?"), "{screen}");
    let show = r.ok(&["show", "t1"]).stdout;
    assert!(
        show.contains("comment    a.md:2: say why, not only two"),
        "{show}"
    );
    assert!(
        show.contains("comment    a.md (removed line 2): gone?"),
        "{show}"
    );
}

#[test]
fn v_selects_lines_and_space_splits_the_hunk_so_only_they_land() {
    let r = Repo::initialised();
    r.write("a.md", &numbered(12));
    r.git(&["add", "a.md"]);
    r.git(&["commit", "-q", "-m", "a.md"]);
    // Two changes close enough to be one hunk.
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "sed -i -e 's/^line 4$/line four/' -e 's/^line 8$/line eight/' a.md",
    ]);
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    app.focus = Pane::Detail;
    app.update(Action::NextHunk);
    for _ in 0..4 {
        app.update(Action::Down);
    }
    assert_eq!(at_hunk(&app), Row::Line(0, 0, 3), "on `-line 4`");
    key(&mut app, KeyCode::Char('v'));
    app.update(Action::Down);
    key(&mut app, KeyCode::Char(' '));
    let status = app.status.clone().unwrap();
    assert!(
        status
            .text
            .contains("2 lines accepted — 2 of 4 changed lines"),
        "{status:?}"
    );
    app.update(Action::Top);
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("◐ 2 of 4 changed lines accepted"),
        "{screen}"
    );
    assert!(screen.contains("✓  4      -line 4"), "{screen}");
    assert!(screen.contains("✗       8 +line eight"), "{screen}");
    key(&mut app, KeyCode::Char('A'));
    let (title, lines) = confirm(&app);
    assert_eq!(title, "Land 1 of 1 hunks of t1?");
    assert!(lines.contains("(the lines marked ✓)"), "{lines}");
    assert!(lines.contains("1 kept aside"), "{lines}");
    assert!(lines.contains("(the lines not marked ✓)"), "{lines}");
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(
        app.ws.state().turn("t1").unwrap().state.as_str(),
        "landed",
        "{:?}",
        app.status
    );
    assert_eq!(
        r.read("a.md"),
        numbered(12).replace("line 4\n", "line four\n")
    );
    let rest = r.git(&["diff", "HEAD", "refs/leash/rejected/t1"]);
    assert!(rest.contains("-line 8\n+line eight"), "{rest}");
    assert!(
        !rest.contains("+line four") && !rest.contains("-line 4"),
        "{rest}"
    );
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(
        msg.contains("- 1: a.md @@ -1,11 +1,11 @@ lines -8 +8"),
        "{msg}"
    );
    let decided = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "turn_decided")
        .unwrap();
    assert_eq!(
        decided["partial"]["accepted"][0]["lines"],
        serde_json::json!(["-4", "+4"])
    );
}

#[test]
fn marks_stay_with_their_turn_while_another_is_looked_at() {
    let r = workspace();
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "echo other > other.md",
    ]);
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    app.focus = Pane::Detail;
    app.update(Action::NextHunk);
    key(&mut app, KeyCode::Char(' '));
    select(&mut app, "t2");
    assert_eq!(
        app.detail.diff.tally().0,
        0,
        "t2 has marks of its own: none"
    );
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.detail.diff.tally(), (1, 4));
    key(&mut app, KeyCode::Char('A'));
    let (title, _) = confirm(&app);
    assert_eq!(title, "Land 1 of 4 hunks of t1?");
}
