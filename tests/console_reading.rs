//! Reading in the console: long lines are cut with a marker, scroll sideways
//! or wrap; the layout keeps every column at 80×24 as at 200×60; NO_COLOR
//! keeps the selection visible; the held-action preview stays in its area;
//! paging, the footer, the filter and the mouse.

mod common;

use std::sync::OnceLock;

use common::console::{Demo, app_with, assert_screen, demo, key, render, select, settle, text};
use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use leash::ui::action::Action;
use leash::ui::app::{App, Pane, Tab};
use leash::ui::keymap::{Key, Keymap, Layer};
use leash::ui::settings::UserSettings;
use leash::ui::theme::Theme;
use leash::workspace::Workspace;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

/// The layout snapshots are about columns and cuts, not the context figure.
const READING_MASKS: &[(&str, &str)] = &[(r"context \d+k/", "context [n]k/")];

/// One finished demo workspace for every test here: they only read it.
fn shared() -> &'static Demo {
    static D: OnceLock<Demo> = OnceLock::new();
    D.get_or_init(demo)
}

/// Where `needle` is drawn, as (x, y) of its first cell.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let area = buf.area;
    for y in 0..area.height {
        let mut row = String::new();
        let mut xs = Vec::new();
        for x in 0..area.width {
            let sym = buf[(x, y)].symbol();
            for _ in sym.chars() {
                xs.push(x);
            }
            row.push_str(sym);
        }
        if let Some(byte) = row.find(needle) {
            let idx = row[..byte].chars().count();
            return Some((xs[idx], y));
        }
    }
    None
}

fn at(buf: &Buffer, needle: &str) -> (u16, u16) {
    find(buf, needle).unwrap_or_else(|| panic!("{needle:?} is not on screen:\n{}", text(buf)))
}

/// Whether a row of a pane ends in the cut marker before its border.
fn marked(line: &str) -> bool {
    let mut chars = line.trim_end().chars().rev();
    matches!(chars.next(), Some('│' | '┃')) && chars.next() == Some('→')
}

/// The screen's row `y`, as text.
fn row(buf: &Buffer, y: u16) -> String {
    text(buf).lines().nth(y as usize).unwrap_or("").to_string()
}

fn detail(app: &mut App, tab: char) {
    key(app, KeyCode::Char(tab));
    app.focus = Pane::Detail;
}

#[test]
fn long_lines_end_in_a_marker_scroll_sideways_and_wrap_with_w() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t2");
    detail(&mut app, '2');
    let buf = render(&mut app, 80, 24);
    // The diff line is longer than the pane: cut, with → in the last column.
    let (_, y) = at(&buf, "+An agent that works in checkpoints");
    let line = row(&buf, y);
    assert!(marked(&line), "the cut is marked:\n{line}");
    let (mx, my) = at(&buf, "→┃");
    assert!(
        buf[(mx, my)].style().add_modifier.contains(Modifier::BOLD),
        "the marker is styled"
    );
    assert!(!text(&buf).contains("trusted with more"), "{}", text(&buf));
    // Syntax colours of the heading before scrolling, by character.
    let (hx, hy) = at(&buf, "(demo draft)");
    let heading = buf[(hx, hy)].style();

    // → scrolls the text, not the line numbers; ← marks what went left.
    key(&mut app, KeyCode::Right);
    let buf = render(&mut app, 80, 24);
    // The highlighting moved with the text.
    let (sx, sy) = at(&buf, "(demo draft)");
    assert_eq!(
        buf[(sx, sy)].style(),
        heading,
        "syntax colours follow the scroll"
    );
    assert_eq!(hy, sy);
    assert!(sx < hx, "the heading moved left");
    // File and hunk headers stay in place.
    assert!(text(&buf).contains("▌ docs/draft.md"), "{}", text(&buf));
    for _ in 0..4 {
        key(&mut app, KeyCode::Right);
    }
    let buf = render(&mut app, 80, 24);
    let screen = text(&buf);
    assert!(screen.contains("trusted with more"), "{screen}");
    let (_, y) = at(&buf, "trusted with more");
    let line = row(&buf, y);
    assert!(
        line.contains("   3 +←"),
        "numbers stay, ← marks the cut:\n{line}"
    );

    // ← back to the start.
    for _ in 0..5 {
        key(&mut app, KeyCode::Left);
    }
    assert_eq!(app.detail.reading.hscroll, 0);

    // w wraps: the rest of the line is on the next row, and no marker.
    key(&mut app, KeyCode::Char('w'));
    let buf = render(&mut app, 80, 24);
    let screen = text(&buf);
    assert!(!screen.contains('→'), "{screen}");
    assert!(screen.contains("trusted with more"), "{screen}");

    // Events: the long line is cut with the marker too, and scrolls.
    detail(&mut app, '3');
    let buf = render(&mut app, 80, 24);
    let (_, y) = at(&buf, "turn_finished t2");
    assert!(marked(&row(&buf, y)), "{}", row(&buf, y));
    key(&mut app, KeyCode::Char('l'));
    key(&mut app, KeyCode::Char('l'));
    let buf = render(&mut app, 80, 24);
    let (_, y2) = at(&buf, "←");
    assert!(
        row(&buf, y2).contains(':'),
        "the time stays: {}",
        row(&buf, y2)
    );

    // Output wraps by default; w cuts it at the marker, → scrolls it.
    detail(&mut app, '1');
    let buf = render(&mut app, 80, 24);
    let (_, y) = at(&buf, "An agent that works");
    assert!(!marked(&row(&buf, y)), "{}", text(&buf));
    assert!(text(&buf).contains("trusted with more"), "{}", text(&buf));
    key(&mut app, KeyCode::Char('w'));
    let buf = render(&mut app, 80, 24);
    let (_, y) = at(&buf, "An agent that works");
    assert!(marked(&row(&buf, y)), "{}", text(&buf));
    key(&mut app, KeyCode::Right);
    let buf = render(&mut app, 80, 24);
    let (_, y) = at(&buf, "│ ←");
    assert!(
        row(&buf, y).contains("  │ ←"),
        "the prefix stays: {}",
        row(&buf, y)
    );
}

#[test]
fn the_header_and_findings_mark_their_cuts() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t9");
    detail(&mut app, '4');
    let buf = render(&mut app, 64, 24);
    // The header keeps what matters and marks the cut.
    let header = row(&buf, 0);
    assert!(header.contains("waiting"), "{header}");
    // An unsupervised agent: the fact stays, the advice goes when narrow,
    // and what still does not fit is cut at a marker.
    app.agent_procs = vec![leash::agents::procs::AgentProcess {
        pid: 4242,
        agent: "claude",
        started: None,
    }];
    let wide = row(&render(&mut app, 200, 24), 0);
    assert!(wide.contains("leash hooks status claude"), "{wide}");
    let header = row(&render(&mut app, 80, 24), 0);
    assert!(
        header.contains("claude (pid 4242) runs here unsupervised"),
        "{header}"
    );
    assert!(header.contains("6 waiting"), "{header}");
    let header = row(&render(&mut app, 40, 24), 0);
    assert!(header.trim_end().ends_with('→'), "{header}");
    app.agent_procs.clear();
    let buf = render(&mut app, 64, 24);
    let screen = text(&buf);
    // The findings line is cut with a marker.
    let (_, y) = at(&buf, "←→ turn");
    assert!(marked(&row(&buf, y)), "{screen}");
    // Every turn row keeps its age, even this narrow.
    let (_, y) = at(&buf, "◆ t9");
    let turn = row(&buf, y);
    assert!(
        turn.split('│')
            .nth(1)
            .is_some_and(|r| r.trim_end().ends_with("+3−0 2s") || r.trim_end().ends_with('s')),
        "{screen}"
    );
}

#[test]
fn the_output_unfolds_tool_inputs_with_e() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t2");
    detail(&mut app, '1');
    let screen = text(&render(&mut app, 200, 60));
    assert!(screen.contains("… 5 more lines (e shows them)"), "{screen}");
    assert!(!screen.contains("## Why supervise"), "{screen}");
    key(&mut app, KeyCode::Char('e'));
    let screen = text(&render(&mut app, 200, 60));
    assert!(screen.contains("│ ## Why supervise"), "{screen}");
    assert!(!screen.contains("more lines"), "{screen}");
    key(&mut app, KeyCode::Char('e'));
    let screen = text(&render(&mut app, 200, 60));
    assert!(screen.contains("… 5 more lines"), "{screen}");
}

#[test]
fn every_keymap_binds_wrap_and_sideways_scrolling_and_help_lists_them() {
    for name in Keymap::builtin_names() {
        let km = Keymap::builtin(name).unwrap();
        let layers = [Layer::Detail, Layer::Global];
        let k = |s: &str| km.resolve(Key::parse(s).unwrap(), &layers);
        assert_eq!(k("w"), Some(Action::ToggleWrap), "{name}");
        assert_eq!(k("left"), Some(Action::Left), "{name}");
        assert_eq!(k("right"), Some(Action::Right), "{name}");
        assert_eq!(k("h"), Some(Action::Left), "{name}");
        assert_eq!(k("l"), Some(Action::Right), "{name}");
        assert_eq!(k("e"), Some(Action::Expand), "{name}");
        assert_eq!(k("/"), Some(Action::Filter), "{name}");
    }
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    key(&mut app, KeyCode::Char('?'));
    let screen = text(&render(&mut app, 130, 60));
    for words in [
        "wrap long lines",
        "scroll text right",
        "tool inputs in full",
        "filter turns",
    ] {
        assert!(screen.contains(words), "help lists {words:?}:\n{screen}");
    }
}

/// The main screen and every tab, at 80×24 and 200×60.
#[test]
fn the_layout_keeps_every_column_at_80x24_and_200x60() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t3");
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        for (k, tab) in [
            ('1', "output"),
            ('2', "diff"),
            ('3', "events"),
            ('4', "invariants"),
            ('5', "provenance"),
        ] {
            key(&mut app, KeyCode::Char(k));
            let buf = render(&mut app, w, h);
            let screen = text(&buf);
            // The header keeps its invariants badge; the tab bar all five.
            assert!(row(&buf, 0).contains("invariants"), "{screen}");
            assert!(row(&buf, 0).contains("6 waiting"), "{screen}");
            assert!(screen.contains("5 Prov"), "{screen}");
            // The turn row keeps risk, autonomy, invariants, +/− and age.
            let (_, y) = at(&buf, "◆ t3");
            let turn = row(&buf, y);
            for part in ["high", "↑man", "✓", "+1 −0"] {
                assert!(turn.contains(part), "{part:?} in {turn:?}");
            }
            assert!(
                turn.split('┃')
                    .nth(1)
                    .is_some_and(|r| r.trim_end().ends_with('s')),
                "age in {turn:?}"
            );
            // Each slider shows its current level.
            for level in ["[guarded]", "[review]", "[manual]"] {
                assert!(screen.contains(level), "{level} at {w}×{h}:\n{screen}");
            }
            assert_screen(
                &format!("reading_{w}x{h}_{tab}"),
                &d.root,
                &text(&buf),
                READING_MASKS,
            );
        }
    }
    // Narrower still, the sliders compress to initials around the level.
    let screen = text(&render(&mut app, 70, 24));
    assert!(screen.contains("m ─ r ─[G]─ a"), "{screen}");
    assert!(
        screen.contains("5 Prov") || screen.contains(" 5 "),
        "{screen}"
    );
}

#[test]
fn the_footer_fits_by_priority_at_any_width() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t2");
    app.focus = Pane::Detail;
    for w in [60u16, 80, 100, 120, 160, 200] {
        let buf = render(&mut app, w, 30);
        let footer = row(&buf, 29);
        assert!(footer.contains("? help"), "{w}: {footer}");
        assert!(footer.contains("a approve"), "{w}: {footer}");
        // Whole key and word pairs only: the last one is not cut.
        let last_word = footer.trim_end().rsplit("  ").next().unwrap_or("");
        assert!(
            ["? help", "q quit"].contains(&last_word.trim()),
            "{w}: {footer:?}"
        );
    }
}

#[test]
fn the_queue_aligns_its_ages_and_end_shows_the_last_page() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    let buf = render(&mut app, 200, 60);
    let (_, top) = at(&buf, "Waiting for you");
    let ends: Vec<usize> = (top + 1..top + 7)
        .map(|y| {
            let r = row(&buf, y);
            let left = r.split('│').nth(1).unwrap_or("").to_string();
            left.trim_end().chars().count()
        })
        .collect();
    assert!(
        ends.iter().all(|e| *e == ends[0]),
        "ages end in one column: {ends:?}\n{}",
        text(&buf)
    );

    // At 80×24 the queue shows three entries, counts the rest, and keeps
    // its selection in view.
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("Waiting for you 6 +3 more"), "{screen}");
    app.focus = Pane::Queue;
    key(&mut app, KeyCode::End);
    let buf = render(&mut app, 80, 24);
    let (_, top) = at(&buf, "Waiting for you");
    assert!(row(&buf, top + 3).contains("t9  low"), "{}", text(&buf));

    // End in a diff that fits shows it all, not its last line atop.
    select(&mut app, "t2");
    detail(&mut app, '2');
    render(&mut app, 80, 24);
    key(&mut app, KeyCode::End);
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("▌ docs/draft.md"), "{screen}");
    assert!(screen.contains("+Because review"), "{screen}");
    // In a small pane End shows the last rows at its bottom.
    render(&mut app, 80, 12);
    key(&mut app, KeyCode::End);
    let buf = render(&mut app, 80, 12);
    let (_, y) = at(&buf, "+Because review");
    assert_eq!(y, 8, "the last line at the bottom:\n{}", text(&buf));
}

#[test]
fn no_color_keeps_every_selection_cue_with_reverse_video() {
    let d = shared();
    let ws = Workspace::open(&d.root).unwrap();
    let mut app = App::new(
        ws,
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap().without_colour(),
        UserSettings::default(),
        Vec::new(),
    );
    settle(&mut app);
    select(&mut app, "t2");
    let buf = render(&mut app, 130, 34);
    let reversed = |x: u16, y: u16| {
        buf[(x, y)]
            .style()
            .add_modifier
            .contains(Modifier::REVERSED)
    };
    let (x, y) = at(&buf, "◆ t2");
    assert!(reversed(x + 3, y), "the selected row stands out");
    let (x, y) = at(&buf, "◆ t3");
    assert!(!reversed(x + 3, y), "other rows do not");
    let (x, y) = at(&buf, "1 Output");
    assert!(reversed(x, y), "the active tab stands out");
    let (x, y) = at(&buf, "2 Diff");
    assert!(!reversed(x, y));
    // No colour anywhere the console itself styles.
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let s = buf[(x, y)].style();
            assert!(
                s.bg.is_none_or(|c| c == ratatui::style::Color::Reset),
                "a background colour at {x},{y}"
            );
        }
    }
    // The dashboard's cell under the cursor.
    key(&mut app, KeyCode::Char('4'));
    let buf = render(&mut app, 130, 34);
    let (x, y) = at(&buf, "fixtures load");
    let reversed = |x: u16, y: u16| {
        buf[(x, y)]
            .style()
            .add_modifier
            .contains(Modifier::REVERSED)
    };
    assert!(reversed(x, y), "the dashboard's row stands out");
    let selected = (x..buf.area.width).filter(|&cx| reversed(cx, y)).count();
    assert!(selected > "fixtures load".len(), "and its cell: {selected}");
}

#[test]
fn slash_filters_the_turns_list_and_esc_clears_it() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    key(&mut app, KeyCode::Char('/'));
    for c in "fail".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let screen = text(&render(&mut app, 130, 34));
    assert!(screen.contains("Turns 2/12 /fail▏"), "{screen}");
    assert!(
        screen.contains("! t4") && screen.contains("! t5"),
        "{screen}"
    );
    assert!(!screen.contains("◆ t3"), "{screen}");
    assert!(
        matches!(app.selected.as_deref(), Some("t4" | "t5")),
        "the selection stays in the list"
    );
    // Enter keeps the filter and gives the keys back; by risk too.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('/'));
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    for c in "high".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&mut app, 130, 34));
    assert!(screen.contains("Turns 1/12 /high "), "{screen}");
    assert_eq!(app.selected.as_deref(), Some("t3"));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(
        app.selected.as_deref(),
        Some("t3"),
        "j moves in the filtered list"
    );
    key(&mut app, KeyCode::Esc);
    let screen = text(&render(&mut app, 130, 34));
    assert!(screen.contains("Turns 12 "), "esc clears it:\n{screen}");
    // Typing into the filter, ctrl-c still quits.
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.quit, "q is typed into the filter");
    app.on_key(crossterm::event::KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    ));
    assert!(app.quit, "ctrl-c quits while typing a filter");
}

fn mouse(app: &mut App, kind: MouseEventKind, (x, y): (u16, u16)) {
    app.on_mouse(MouseEvent {
        kind,
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    });
    settle(app);
}

#[test]
fn a_click_selects_and_the_wheel_scrolls_the_pane_under_it() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t9");
    let buf = render(&mut app, 130, 34);
    mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        at(&buf, "t6  awaiting"),
    );
    assert_eq!(app.selected.as_deref(), Some("t6"));
    // The second line of a turn selects it too.
    let buf = render(&mut app, 130, 34);
    let (x, y) = at(&buf, "t4  failed");
    mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        (x, y + 1),
    );
    assert_eq!(app.selected.as_deref(), Some("t4"));
    let buf = render(&mut app, 130, 34);
    mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        at(&buf, "3 Events"),
    );
    assert_eq!(app.tab(), Tab::Events);
    // The wheel over the turns moves the selection; over the detail it
    // scrolls the text.
    let buf = render(&mut app, 130, 34);
    mouse(&mut app, MouseEventKind::ScrollDown, at(&buf, "t4  failed"));
    assert_eq!(app.selected.as_deref(), Some("t3"));
    let buf = render(&mut app, 130, 12);
    let (x, y) = at(&buf, "3 Events");
    mouse(&mut app, MouseEventKind::ScrollDown, (x, y + 2));
    assert_eq!(app.detail.events.scroll, 3, "{}", text(&buf));
    assert_eq!(app.focus, Pane::Turns, "the wheel leaves the focus");
}

#[test]
fn a_held_action_preview_keeps_the_tab_bar_and_leaves_no_residue() {
    use std::io::Write;
    let r = common::Repo::initialised();
    let console = r.hold_console();
    let input = serde_json::json!({
        "session_id": "s1", "cwd": r.path().display().to_string(),
        "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_use_id": "toolu_a",
        "tool_input": {"file_path": r.file("operations/run.md").display().to_string(),
                       "content": "step one\n"},
    });
    let mut child = r
        .cmd(&["hook", "claude"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    r.wait_for_event("the action to be held", |e| e["kind"] == "action_requested");
    let ws = Workspace::open(r.path()).unwrap();
    let mut app = App::new(
        ws,
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap(),
        UserSettings::default(),
        vec![],
    );
    settle(&mut app);
    app.focus = Pane::Queue;
    app.on_changed();
    settle(&mut app);
    let buf = render(&mut app, 80, 24);
    let screen = text(&buf);
    let (_, y) = at(&buf, "1 Out");
    let tabs = row(&buf, y);
    assert!(tabs.contains("5 Prov"), "the tab bar is whole:\n{screen}");
    assert!(
        !tabs.contains("t1.a1"),
        "the preview is not on it:\n{screen}"
    );
    let (_, p) = at(&buf, "t1.a1 high");
    assert!(p > y, "the preview is below the tabs:\n{screen}");
    assert!(screen.contains("+step one"), "{screen}");
    // Below the preview's lines the pane is blank.
    let (_, last) = at(&buf, "+step one");
    for y in last + 1..22 {
        let line = row(&buf, y);
        let right = line.rsplit('│').nth(1).unwrap_or("");
        assert!(right.trim().is_empty(), "residue on row {y}:\n{screen}");
    }
    key(&mut app, KeyCode::Char('a'));
    let _ = child.wait_with_output();
    drop(console);
}

#[test]
fn provenance_scrolls_to_its_last_line() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t2");
    detail(&mut app, '5');
    // The confinement's paths end the tab; a short screen cuts them off.
    let screen = text(&render(&mut app, 80, 24));
    assert!(
        screen.contains("Provenance") || screen.contains("5 Prov"),
        "{screen}"
    );
    assert!(!screen.contains("/dev/urandom"), "{screen}");
    key(&mut app, KeyCode::End);
    let screen = text(&render(&mut app, 80, 24));
    assert!(
        screen.contains("/dev/urandom"),
        "End reaches the last line:\n{screen}"
    );
    key(&mut app, KeyCode::Home);
    let screen = text(&render(&mut app, 80, 24));
    assert!(
        screen.contains("base "),
        "Home comes back to the top:\n{screen}"
    );
}

/// The Provenance tab lists the unread sources first (the demo's dangling
/// turn cites a design doc it never read), then each action with what it
/// read, with the blob it saw, before what it wrote.
#[test]
fn provenance_lists_unread_sources_first_then_reads_before_writes() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t7");
    key(&mut app, KeyCode::Char('5'));
    let screen = text(&render(&mut app, 200, 60));
    let unread = screen
        .find("unread  docs/design.md")
        .unwrap_or_else(|| panic!("no unread source:\n{screen}"));
    let actions = screen.find("actions, in order").expect("the actions");
    assert!(unread < actions, "{screen}");
    assert!(screen.contains("wrote  memory/"), "{screen}");

    select(&mut app, "t2");
    key(&mut app, KeyCode::Char('5'));
    let screen = text(&render(&mut app, 200, 60));
    assert!(
        !screen.contains("unread "),
        "the draft cites nothing unread:\n{screen}"
    );
    let read = screen.find("read   docs/outline.md  @ ").expect(&screen);
    let wrote = screen.find("wrote  docs/draft.md  @ ").expect(&screen);
    assert!(read < wrote, "{screen}");
}

/// The Diff tab marks the line that cites a source the turn never read.
#[test]
fn the_diff_marks_a_line_citing_an_unread_source() {
    let d = shared();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t7");
    detail(&mut app, '2');
    let buf = render(&mut app, 200, 60);
    let (_, y) = at(&buf, "+- The design:");
    let line = row(&buf, y);
    assert!(
        line.contains("◂ unread source: ../../docs/design.md"),
        "{line}"
    );
    // Lines that cite nothing are left as they are.
    let (_, y) = at(&buf, "+# Links (demo)");
    assert!(!row(&buf, y).contains('◂'), "{}", row(&buf, y));
}
