//! What the console says must be true: the invariant dashboard keeps what
//! a turn introduced after it lands on a moved branch, follows the selected
//! turn and says when turns are cut off; the header's badge describes the
//! branch head; failure summaries say their failure once.

mod common;

use common::Repo;
use common::console::{app_with, assert_screen, key, render, select, settle, text};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use leash::ui::app::{App, Pane};
use leash::ui::worker::{Done, Op, run_op};
use leash::ui::{Msg, Seen};
use leash::workspace::Workspace;
use ratatui::buffer::Buffer;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

const CONFIG: &str = r#"
[[invariant]]
name = "no dangling pointers"
kind = "references"
roots = ["."]
"#;

/// An insta snapshot of a screen, with what changes from run to run (the
/// temp folder, hashes, ages) replaced.
/// The console over a workspace of these tests (not the demo's).
fn console(root: &std::path::Path) -> App {
    let mut app = app_with(root, "dark");
    app.demo = false;
    app
}

/// A workspace with one invariant, checked once at its head (passing).
fn workspace() -> Repo {
    let r = Repo::new();
    r.ok(&["init"]);
    let config = r.read(".leash/config.toml") + CONFIG;
    r.write(".leash/config.toml", &config);
    r.write("docs/a.md", "# A\n\nSee [b](b.md).\n");
    r.write("docs/b.md", "# B\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "workspace"]);
    r.ok(&["check"]);
    r
}

/// A high-risk turn (it waits for review) that writes `file`.
fn turn(r: &Repo, file: &str, text: &str) {
    let script = format!("mkdir -p $(dirname {file}) && printf '{text}' > {file}");
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", &script]);
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    text(&render(app, w, h))
}

/// Whether the cell at the start of `needle`, on the first line holding
/// `line` too, carries the theme's `role` (its colour and modifiers).
fn styled_as(app: &App, buf: &Buffer, line: &str, needle: &str, role: &str) -> bool {
    let t = text(buf);
    let (y, l) = t
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(line) && l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {line:?} and {needle:?}:\n{t}"));
    let i = l.find(needle).unwrap() + needle.len() - needle.trim_start().len();
    let x = l[..i].chars().count() as u16;
    let cell = &buf[(x, y as u16)];
    let want = app.theme.style(role);
    want.fg.is_none_or(|fg| cell.fg == fg) && cell.modifier.contains(want.add_modifier)
}

#[test]
fn an_introduced_failure_stays_introduced_after_landing_on_a_moved_branch() {
    let r = workspace();
    turn(&r, "docs/c.md", "See [gone](gone.md).\\n");
    // The branch moves while t1 waits, so landing checks the merged tree.
    r.write("docs/d.md", "# D\n");
    r.git(&["add", "docs/d.md"]);
    r.git(&["commit", "-q", "-m", "elsewhere"]);
    r.ok(&["approve", "t1"]);
    let merged = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "invariants_checked" && e["turn"] == "t1")
        .count();
    assert_eq!(
        merged, 2,
        "t1 was checked on its tree and on the merged one"
    );
    let log = r.ok(&["log"]).stdout;
    assert!(
        log.contains("(merged onto the moved branch) · "),
        "the journal says which check is of the merged tree:\n{log}"
    );

    let mut app = console(r.path());
    select(&mut app, "t1");
    app.focus = Pane::Detail;
    key(&mut app, KeyCode::Char('4'));
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("no dangling pointers on t1 fail"), "{s}");
    assert!(
        s.contains("introduced by this turn"),
        "the turn's own result keeps what it introduced:\n{s}"
    );
    assert!(!s.contains("inherited from its base"), "{s}");
    assert!(
        s.contains("merged onto the moved branch") && s.contains("): fail"),
        "the merged tree's result is shown beside it:\n{s}"
    );
    assert_screen(
        "dashboard_landed_on_a_moved_branch_200x60",
        r.path(),
        &screen(&mut app, 200, 60),
        &[],
    );
    assert_screen(
        "dashboard_landed_on_a_moved_branch_80x24",
        r.path(),
        &screen(&mut app, 80, 24),
        &[],
    );
    // The head holds the merged tree: the badge is its result.
    assert!(
        s.contains("invariants 0 ✓ 1 ✗") || s.contains("invariants 1 ✗"),
        "{s}"
    );
}

#[test]
fn the_header_badge_describes_the_branch_head_not_a_waiting_turn() {
    let r = workspace();
    turn(&r, "docs/c.md", "See [gone](gone.md).\\n");
    let mut app = console(r.path());
    select(&mut app, "t1");
    let s = screen(&mut app, 160, 30);
    let header = s.lines().next().unwrap();
    assert!(
        header.contains("invariants 1 ✓"),
        "the head passes; t1's failure is not the head's:\n{s}"
    );

    // While a fix (a check of the head) runs, the badge says so.
    app.outbox.ops.push(Op::Fix);
    let ops = app.take_ops();
    let s = screen(&mut app, 160, 30);
    assert!(
        s.lines().next().unwrap().contains("invariants checking…"),
        "{s}"
    );
    for op in ops {
        let mut ws = Workspace::open(r.path()).unwrap();
        let result = run_op(&mut ws, &op);
        app.on_done(Done::Op { op, result });
    }
    settle(&mut app);
    let s = screen(&mut app, 160, 30);
    let header = s.lines().next().unwrap();
    assert!(!header.contains("checking"), "{header}");
    assert!(header.contains("invariants 1 ✓"), "{header}");
}

#[test]
fn the_dashboard_follows_the_selected_turn_and_counts_the_columns_cut_off() {
    let r = workspace();
    let n = 30;
    for i in 1..=n {
        turn(&r, &format!("notes/n{i}.md"), "# note\\n");
    }
    let mut app = console(r.path());
    // Every turn is accounted for: shown, or counted at its side.
    let accounted = |s: &str| {
        let head = s
            .lines()
            .find(|l| l.contains("older →") || l.contains("newer"))
            .unwrap_or_else(|| panic!("no column header:\n{s}"));
        let count_before = |marker: &str| {
            head.split(marker).next().and_then(|h| {
                h.split_whitespace()
                    .last()
                    .and_then(|w| w.parse::<usize>().ok())
            })
        };
        let newer = head
            .split("← ")
            .nth(1)
            .and_then(|h| h.split_whitespace().next())
            .and_then(|w| w.parse::<usize>().ok())
            .unwrap_or(0);
        let older = count_before(" older →").unwrap_or(0);
        let shown = head
            .split_whitespace()
            .filter(|w| {
                w.strip_prefix('t')
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            })
            .count();
        assert_eq!(newer + shown + older, n, "{head}");
        (newer, shown, older)
    };

    select(&mut app, "t28");
    app.focus = Pane::Detail;
    key(&mut app, KeyCode::Char('4'));
    let buf = render(&mut app, 80, 24);
    let s = text(&buf);
    // Newest first: t30 t29 t28 …; at 80 columns not all fit.
    let (newer, _, older) = accounted(&s);
    assert_eq!(newer, 0);
    assert!(older > 0, "the columns cut off are counted:\n{s}");
    assert!(s.contains("no dangling pointers on t28 pass"), "{s}");
    assert!(
        styled_as(&app, &buf, "older →", "t28", "tab.active"),
        "the selected turn's column is marked:\n{s}"
    );
    assert!(!styled_as(&app, &buf, "older →", "t29", "tab.active"));
    assert_screen("dashboard_columns_cut_off_80x24", r.path(), &s, &[]);
    let wide = screen(&mut app, 200, 60);
    accounted(&wide);
    assert_screen("dashboard_columns_cut_off_200x60", r.path(), &wide, &[]);

    // → moves the cursor to the next (older) turn, and selects it.
    key(&mut app, KeyCode::Right);
    assert_eq!(app.selected.as_deref(), Some("t27"));
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("no dangling pointers on t27 pass"), "{s}");

    // Selecting an old turn (beyond the newest 24) scrolls its column into
    // view.
    app.focus = Pane::Turns;
    for _ in 0..n {
        if app.selected.as_deref() == Some("t2") {
            break;
        }
        key(&mut app, KeyCode::Down);
    }
    assert_eq!(app.selected.as_deref(), Some("t2"));
    app.focus = Pane::Detail;
    let buf = render(&mut app, 80, 24);
    let s = text(&buf);
    let (newer, _, _) = accounted(&s);
    assert!(newer > 0, "the newer columns cut off are counted:\n{s}");
    assert!(s.contains("no dangling pointers on t2 pass"), "{s}");
    assert!(styled_as(&app, &buf, "newer", " t2 ", "tab.active"), "{s}");
}

#[test]
fn an_idle_console_does_not_wake_itself_and_sees_a_change_once() {
    let r = Repo::initialised();
    for file in ["a.md", "b.md"] {
        let script = format!("echo writing {file}; echo x > {file}");
        r.ok(&["run", "--risk", "high", "--", "sh", "-c", &script]);
    }
    // Turns made long ago: their ages read in days, which no second of
    // this test changes.
    let journal = std::fs::read_to_string(r.journal()).unwrap();
    let old: String = journal
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["ts"] = "2020-01-01T00:00:00.000Z".into();
            format!("{v}\n")
        })
        .collect();
    std::fs::write(r.journal(), old).unwrap();
    let mut app = console(r.path());
    assert_eq!(
        app.selected.as_deref(),
        Some("t2"),
        "a turn with output is shown"
    );
    // Drawn once at the size it will have, so what the frame asks for
    // (highlights, the output) is there: the loop starts with nothing owed.
    render(&mut app, 120, 30);
    let (tx, rx) = channel();
    let (probe, seen) = channel();
    let keys = tx.clone();
    // A fast tick: fifty chances a second to wake for nothing.
    let tick = Duration::from_millis(20);
    let console = std::thread::spawn(move || {
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 30)).unwrap();
        leash::ui::serve(&mut term, &mut app, tick, Some(probe), tx, rx).unwrap();
    });
    let next = |within: Duration| seen.recv_timeout(within);
    let still = |what: &str, within: Duration| {
        assert_eq!(
            next(within),
            Err(RecvTimeoutError::Timeout),
            "{what}: the console woke with nothing changing"
        );
    };
    assert_eq!(
        next(Duration::from_secs(10)),
        Ok(Seen::Drew),
        "the first frame"
    );

    // Idle: a second of ticks, and not one refresh or frame.
    still("idle", Duration::from_secs(1));

    // A change is read once and drawn: the frame, then the output it asks
    // for again (it is followed); then all is still.
    let seen_once = |what: &str| {
        for expected in [Seen::Refreshed, Seen::Drew, Seen::Drew] {
            assert_eq!(next(Duration::from_secs(10)), Ok(expected), "{what}");
        }
        still(what, Duration::from_millis(500));
    };

    // One journal append (a slider moved elsewhere).
    r.ok(&["autonomy", "low", "review"]);
    seen_once("the slider moved");

    // The selected turn's output grows, as a running agent's does.
    let log = r.path().join(".git/leash/turns/t2/output.log");
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, b"more output\n").unwrap();
    drop(f);
    seen_once("the output grew");

    keys.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('q'),
        KeyModifiers::NONE,
    )))
    .unwrap();
    console.join().unwrap();
}

#[test]
fn a_blocked_rollback_names_the_later_turn_to_roll_back_first() {
    let r = Repo::initialised();
    for text in ["first", "second"] {
        let script = format!("echo {text} > README.md");
        r.ok(&["run", "--risk", "low", "--", "sh", "-c", &script]);
    }
    assert_eq!(r.turn("t2")["state"], "landed");
    let mut app = console(r.path());
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('u'));
    key(&mut app, KeyCode::Char('y'));
    let status = app.status.clone().expect("the rollback says how it went");
    assert!(status.error, "{status:?}");
    assert!(
        status
            .text
            .contains("t2 changed these lines later (README.md); roll back t2 first"),
        "{status:?}"
    );
    let s = screen(&mut app, 200, 40);
    assert!(s.contains("roll back t2 first"), "{s}");
}

#[test]
fn the_context_gauge_shows_the_request_that_overflowed() {
    use std::os::unix::fs::PermissionsExt;
    let r = Repo::initialised();
    let stream = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/streams/claude_stream_overflow_400.jsonl"
    );
    // A recorded Claude Code run whose one request overflowed; leash adds
    // its hook gate to the agent's arguments, which a script ignores.
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
    r.run(&[
        "run",
        "--agent",
        "replay",
        "--prompt",
        "summarise everything",
    ]);
    assert_eq!(r.turn("t1")["failure"], "context_overflow");

    let mut app = console(r.path());
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('1'));
    let s = screen(&mut app, 200, 40);
    assert!(
        s.contains("context 210k/200k ████████████████████ 105%"),
        "the gauge is the overflowing request:\n{s}"
    );
    assert!(s.contains("✗ context overflow: Prompt is too long"), "{s}");
    assert_screen(
        "gauge_overflow_200x60",
        r.path(),
        &screen(&mut app, 200, 60),
        &[],
    );
    assert_screen(
        "gauge_overflow_80x24",
        r.path(),
        &screen(&mut app, 80, 24),
        &[],
    );
    key(&mut app, KeyCode::Char('5'));
    let s = screen(&mut app, 200, 40);
    assert!(
        s.contains("failure   context overflow — like a segfault: the request outgrew"),
        "the plain name, then the analogy:\n{s}"
    );
}
