//! The console rendered into ratatui's TestBackend over a real demo
//! workspace: snapshots of every view, theme styles on the buffer, and the
//! proof that hostile agent output never reaches the terminal unescaped.

mod common;

use common::console::{app_with, assert_screen, demo, key, render, select, settle, text};
use crossterm::event::KeyCode;
use leash::ui::action::Action;
use leash::ui::app::{App, Dialog, Pane, Tab};
use leash::ui::keymap::Keymap;
use leash::ui::settings::UserSettings;
use leash::ui::theme::Theme;
use leash::workspace::Workspace;
use ratatui::buffer::Buffer;

#[test]
fn every_view_renders_as_expected() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    let (w, h) = (130, 34);

    select(&mut app, "t2");
    assert_screen("main_output", &d.root, &text(&render(&mut app, w, h)), &[]);

    key(&mut app, KeyCode::Char('2'));
    assert_screen("diff", &d.root, &text(&render(&mut app, w, h)), &[]);

    key(&mut app, KeyCode::Char('3'));
    assert_screen("events", &d.root, &text(&render(&mut app, w, h)), &[]);

    key(&mut app, KeyCode::Char('4'));
    assert_screen("invariants", &d.root, &text(&render(&mut app, w, h)), &[]);

    key(&mut app, KeyCode::Char('5'));
    assert_screen("provenance", &d.root, &text(&render(&mut app, w, h)), &[]);

    select(&mut app, "t4");
    key(&mut app, KeyCode::Char('1'));
    assert_screen(
        "overflow_output",
        &d.root,
        &text(&render(&mut app, w, h)),
        &[],
    );

    select(&mut app, "t6");
    assert_screen(
        "hostile_output",
        &d.root,
        &text(&render(&mut app, w, h)),
        &[],
    );

    app.update(Action::AutonomyPanel);
    assert_screen(
        "autonomy_focused",
        &d.root,
        &text(&render(&mut app, w, h)),
        &[],
    );

    app.focus = Pane::Queue;
    assert_screen(
        "queue_focused",
        &d.root,
        &text(&render(&mut app, w, h)),
        &[],
    );

    app.focus = Pane::Turns;
    key(&mut app, KeyCode::Char('?'));
    assert_screen("help", &d.root, &text(&render(&mut app, w, h)), &[]);
    key(&mut app, KeyCode::Esc);
    assert!(app.help().is_none());

    select(&mut app, "t2");
    key(&mut app, KeyCode::Char('r'));
    for c in "too vague".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert_screen(
        "reject_dialog",
        &d.root,
        &text(&render(&mut app, w, h)),
        &[],
    );
    key(&mut app, KeyCode::Esc);

    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('u'));
    assert_screen(
        "rollback_confirm",
        &d.root,
        &text(&render(&mut app, w, h)),
        &[],
    );
    key(&mut app, KeyCode::Char('n'));
    assert!(app.dialog().is_none(), "n cancels in a dialog");

    key(&mut app, KeyCode::Char('n'));
    assert!(
        matches!(app.dialog(), Some(Dialog::NewTurn(_))),
        "n starts a new turn in a pane"
    );
    assert_screen(
        "new_turn_dialog",
        &d.root,
        &text(&render(&mut app, w, h)),
        &[],
    );
}

#[test]
fn an_empty_workspace_and_a_broken_config_say_so() {
    let r = common::Repo::new();
    r.write(".leash/config.toml", "[autonomy]\nlow = \"sometimes\"\n");
    // Policy is read as committed.
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "broken policy"]);
    let (ws, problems) = Workspace::open_lenient(r.path()).unwrap();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("config.toml:2:7"), "{problems:?}");
    assert!(
        problems[0].contains("(in the committed version, "),
        "{problems:?}"
    );
    let mut app = App::new(
        ws,
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap(),
        UserSettings::default(),
        problems,
    );
    settle(&mut app);
    let root = r.path().canonicalize().unwrap();
    assert_screen(
        "broken_config_notice",
        &root,
        &text(&render(&mut app, 100, 24)),
        &[],
    );
    key(&mut app, KeyCode::Enter);
    assert_screen(
        "empty_workspace",
        &root,
        &text(&render(&mut app, 100, 24)),
        &[],
    );
}

#[test]
fn an_uncommitted_policy_edit_is_ignored_and_the_console_says_so() {
    let r = common::Repo::initialised();
    // An agent loosens the policy in the working tree, without committing.
    r.write(".leash/config.toml", "[autonomy]\nhigh = \"auto\"\n");
    let (ws, problems) = Workspace::open_lenient(r.path()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        ws.config().autonomy.high,
        leash::model::AutonomyLevel::Manual
    );
    assert_eq!(
        ws.config().agents.len(),
        2,
        "the committed template applies"
    );
    let mut app = App::new(
        ws,
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap(),
        UserSettings::default(),
        problems,
    );
    settle(&mut app);
    let screen = text(&render(&mut app, 200, 30));
    assert!(
        screen.contains("uncommitted policy change ignored until committed: .leash/config.toml"),
        "{screen}"
    );
    key(&mut app, KeyCode::Enter);
    let screen = text(&render(&mut app, 200, 30));
    assert!(app.dialog().is_none());
    // The header keeps saying it once the notice is closed.
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains("uncommitted policy change ignored until committed"),
        "{header}"
    );
    // Committed, the edit applies and the warning goes.
    r.git(&["commit", "-qam", "loosen"]);
    app.on_changed();
    let screen = text(&render(&mut app, 200, 30));
    assert!(!screen.contains("uncommitted policy"), "{screen}");
}

/// Where `needle` is drawn, as (x, y) of its first cell.
fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
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
            return (xs[idx], y);
        }
    }
    panic!("{needle:?} is not on screen:\n{}", text(buf));
}

#[test]
fn themes_style_the_roles_that_matter() {
    let d = demo();
    for name in Theme::builtin_names() {
        let mut app = app_with(&d.root, name);
        let theme = Theme::builtin(name).unwrap();
        select(&mut app, "t1");
        let buf = render(&mut app, 130, 34);
        let cell = |needle: &str| {
            let (x, y) = find(&buf, needle);
            buf[(x, y)].style()
        };
        assert_eq!(
            cell("context overflow").fg,
            theme.style("failure").fg,
            "{name}"
        );
        assert_eq!(
            cell("◆ t6").fg,
            theme.style("state.awaiting_review").fg,
            "{name}"
        );

        select(&mut app, "t6");
        let buf = render(&mut app, 130, 34);
        let (x, y) = find(&buf, "<RLO>");
        assert_eq!(
            buf[(x, y)].style().fg,
            theme.style("marker.bidi").fg,
            "{name}"
        );
        let (x, y) = find(&buf, "⟨esc⟩");
        assert_eq!(
            buf[(x, y)].style().fg,
            theme.style("marker.removed").fg,
            "{name}"
        );

        select(&mut app, "t2");
        key(&mut app, KeyCode::Char('2'));
        let buf = render(&mut app, 130, 34);
        let (x, y) = find(&buf, "+# Supervised");
        assert_eq!(
            buf[(x, y)].style().bg,
            theme.style("diff.added").bg,
            "{name}"
        );
        // Syntax colours reach the diff (a Markdown heading is coloured).
        let heading = buf[(x + 1, y)].style().fg;
        assert!(heading.is_some(), "{name}: the heading has a syntax colour");
    }
}

#[test]
fn hostile_output_never_reaches_the_backend_unescaped() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t6");
    for tab in ['1', '2', '3', '5'] {
        key(&mut app, KeyCode::Char(tab));
        let buf = render(&mut app, 130, 34);
        for cell in buf.content() {
            for c in cell.symbol().chars() {
                let bad = c.is_control()
                    || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF | 0x061C);
                assert!(!bad, "tab {tab}: {:?} reached the backend", c);
            }
        }
    }
    key(&mut app, KeyCode::Char('2'));
    let screen = text(&render(&mut app, 130, 34));
    assert!(screen.contains("docs/vendor-notes.md  added"), "{screen}");
    assert!(
        screen.contains("⚠ hidden characters"),
        "the file carries a warning:\n{screen}"
    );
    key(&mut app, KeyCode::Char('1'));
    let screen = text(&render(&mut app, 130, 34));
    assert!(screen.contains("<RLO>gnp.exe<PDF>"), "{screen}");
    assert!(screen.contains("a<ZWSP>dmin"), "{screen}");
    assert!(
        screen.contains("hidden characters"),
        "the turn carries a warning:\n{screen}"
    );
    assert!(
        !screen.contains("pwned"),
        "OSC payloads are removed, not shown"
    );
    assert!(!screen.contains("evil.invalid"), "link targets are removed");
}

#[test]
fn keys_reach_the_top_layer_first_and_actions_change_state() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t3");
    assert_eq!(app.tab(), Tab::Output);
    key(&mut app, KeyCode::Char(']'));
    assert_eq!(app.tab(), Tab::Diff, "next hunk shows the diff");
    key(&mut app, KeyCode::Char('a'));
    assert!(
        matches!(app.dialog(), Some(Dialog::Confirm { .. })),
        "a high turn asks first"
    );
    key(&mut app, KeyCode::Char('y'));
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("t3 landed on main"),
        "{:?}",
        app.status
    );
    assert_eq!(app.ws.state().turn("t3").unwrap().state.as_str(), "landed");

    // A denied (refused) action says why; nothing silent.
    select(&mut app, "t3");
    key(&mut app, KeyCode::Char('a'));
    let status = app.status.clone().unwrap();
    assert!(
        status.error && status.text.contains("only a turn awaiting review"),
        "{status:?}"
    );

    // Sliders move by keys and are journaled.
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.focus, Pane::Autonomy);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('l'));
    assert_eq!(app.ws.sliders().medium.as_str(), "guarded");
    let journal = std::fs::read_to_string(d.root.join(".git/leash/journal.jsonl")).unwrap();
    assert!(
        journal.contains("\"kind\":\"autonomy_set\",\"class\":\"medium\",\"level\":\"guarded\"")
    );

    // A reason dialog takes letters as text: `n` and `y` do not close it.
    app.update(Action::Back);
    select(&mut app, "t2");
    key(&mut app, KeyCode::Char('r'));
    for c in "no yes".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    match app.dialog() {
        Some(Dialog::Reason { input, .. }) => assert_eq!(input, "no yes"),
        other => panic!("{other:?}"),
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.ws.state().turn("t2").unwrap().state.as_str(),
        "rejected"
    );
    let git = common::git(&d.root, &["rev-parse", "refs/leash/rejected/t2"]);
    assert_eq!(git.len(), 40);
}

#[test]
fn a_turn_started_elsewhere_appears_and_rings_the_bell() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    let before = app.turns().len();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leash"))
        .args([
            "run",
            "--risk",
            "high",
            "--",
            "sh",
            "-c",
            "echo x > elsewhere.md",
        ])
        .current_dir(&d.root)
        .env("LEASH_DATA_DIR", d._data.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    app.on_changed();
    assert_eq!(app.turns().len(), before + 1);
    assert_eq!(app.outbox.bells.len(), 1, "one new turn waits: one bell");
    let next = format!("t{} waits for review", leash::demo::TURNS + 1);
    assert!(
        app.outbox.bells[0].contains(&next),
        "{:?}",
        app.outbox.bells
    );
    app.outbox.bells.clear();
    app.on_changed();
    assert!(
        app.outbox.bells.is_empty(),
        "the same turn does not ring twice"
    );
}

#[test]
fn replay_starts_the_same_work_on_its_base_as_a_new_turn() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t2");
    let base = app.current().unwrap().base.clone();
    key(&mut app, KeyCode::Char('p'));
    assert!(
        matches!(app.dialog(), Some(Dialog::NewTurn(_))),
        "replay asks first, in the form"
    );
    key(&mut app, KeyCode::Enter);
    let new = format!("t{}", leash::demo::TURNS + 1);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains(&format!("started {new}")),
        "{:?}",
        app.status
    );
    let journal = d.root.join(".git/leash/journal.jsonl");
    common::wait_until("the replay to finish", || {
        let text = std::fs::read_to_string(&journal).ok()?;
        text.contains(&format!("\"kind\":\"turn_finished\",\"turn\":\"{new}\""))
            .then_some(())
    });
    app.on_changed();
    let replayed = app.ws.state().turn(&new).unwrap();
    assert_eq!(replayed.base, base, "replayed on the original base");
    assert_eq!(replayed.task.as_deref(), Some("draft"));
    assert!(
        replayed.title.starts_with("replay of t2"),
        "{}",
        replayed.title
    );
    assert_eq!(replayed.state.as_str(), "awaiting_review");
}

#[test]
fn a_keymap_overlay_rebinds_a_key_and_a_broken_one_is_reported() {
    let d = demo();
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(config.path().join("keymaps")).unwrap();
    std::fs::write(
        config.path().join("keymaps/default.toml"),
        "[turns]\na = \"none\"\nA = \"approve\"\n",
    )
    .unwrap();
    let (keymap, err) = leash::ui::keymap::load_from(Some(config.path()), "default");
    assert!(err.is_none(), "{err:?}");
    let ws = Workspace::open(&d.root).unwrap();
    let mut app = App::new(
        ws,
        keymap,
        Theme::builtin("dark").unwrap(),
        UserSettings::default(),
        vec![],
    );
    settle(&mut app);
    select(&mut app, "t3");
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(
        app.current().unwrap().state.as_str(),
        "awaiting_review",
        "a is unbound now"
    );
    key(&mut app, KeyCode::Char('A'));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(
        app.ws.state().turn("t3").unwrap().state.as_str(),
        "landed",
        "A approves"
    );
    key(&mut app, KeyCode::Char('?'));
    let screen = text(&render(&mut app, 130, 60));
    assert!(
        screen.lines().any(|l| l
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w == ["A", "approve"])),
        "help follows the active keymap:\n{screen}"
    );

    std::fs::write(
        config.path().join("keymaps/default.toml"),
        "[turns]\nctrl-q = \"quitt\"\n",
    )
    .unwrap();
    let (keymap, err) = leash::ui::keymap::load_from(Some(config.path()), "default");
    let err = err.expect("a broken overlay is reported").to_string();
    assert!(err.contains("keymaps/default.toml:2:1"), "{err}");
    assert!(err.contains("quitt"), "{err}");
    assert_eq!(
        keymap,
        leash::ui::keymap::Keymap::builtin("default").unwrap(),
        "defaults stay"
    );
}

#[test]
fn a_typed_command_starts_a_detached_turn_with_its_quoting_kept() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::End);
    for c in "sh -c 'echo typed > typed.md'".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Enter);
    let new = format!("t{}", leash::demo::TURNS + 1);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains(&format!("started {new}")),
        "{:?}",
        app.status
    );
    let journal = d.root.join(".git/leash/journal.jsonl");
    common::wait_until("the new turn to land", || {
        let text = std::fs::read_to_string(&journal).ok()?;
        text.contains(&format!("\"kind\":\"turn_landed\",\"turn\":\"{new}\""))
            .then_some(())
    });
    app.on_changed();
    let typed = app.ws.state().turn(&new).unwrap();
    assert_eq!(
        typed.command.as_deref().unwrap(),
        ["sh", "-c", "echo typed > typed.md"]
    );
    assert_eq!(
        typed.risk.as_str(),
        "low",
        "left moved the risk from medium to low"
    );
    assert_eq!(
        std::fs::read_to_string(d.root.join("typed.md")).unwrap(),
        "typed\n"
    );
}

#[test]
fn a_held_action_heads_the_queue_with_its_preview_and_is_allowed_or_denied_by_key() {
    use std::io::Write;
    let r = common::Repo::initialised();
    let console = r.hold_console();
    let hook = |content: &str, id: &str| {
        let input = serde_json::json!({
            "session_id": "s1", "cwd": r.path().display().to_string(),
            "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_use_id": id,
            "tool_input": {"file_path": r.file("operations/run.md").display().to_string(), "content": content},
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
        child
    };
    let waiting = hook("step one\nstep two\n", "toolu_a");
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
    let screen = text(&render(&mut app, 120, 30));
    assert!(
        screen.contains("⏸ t1.a1"),
        "the action heads the queue:\n{screen}"
    );
    assert!(screen.contains("held for you"), "{screen}");
    assert!(
        screen.contains("+step two"),
        "the Write's content is previewed:\n{screen}"
    );
    key(&mut app, KeyCode::Char('a'));
    let out = waiting.wait_with_output().unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "allow");

    let waiting = hook("again\n", "toolu_b");
    r.wait_for_event("the second action", |e| {
        e["kind"] == "action_requested" && e["action"] == "t1.a2"
    });
    app.on_changed();
    settle(&mut app);
    key(&mut app, KeyCode::Char('r'));
    for c in "wrong runbook".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let out = waiting.wait_with_output().unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny");
    assert!(
        answer["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("wrong runbook")
    );
    drop(console);
}

#[test]
fn the_invariant_dashboard_shows_breaks_newest_first_and_opens_a_finding_in_the_diff() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t7");
    app.focus = Pane::Detail;
    key(&mut app, KeyCode::Char('4'));
    let dash = app.dashboard();
    assert_eq!(
        &dash.turns[..3],
        ["t12", "t11", "t10"],
        "newest turns first"
    );
    assert_eq!(
        &dash.rows[..3],
        ["fixtures load", "memory layout", "no dangling pointers"],
        "the newest breaks first"
    );
    let screen = text(&render(&mut app, 130, 34));
    assert!(screen.contains("fixtures load"), "{screen}");
    // The header describes the branch head (all pass, the deliverable
    // check too: the pipeline's last pass landed there); t9's degraded
    // check is t9's, shown in its row.
    assert!(screen.contains("invariants 8 ✓"), "{screen}");
    assert!(
        screen.contains("guarded 1✗"),
        "t7's row shows its failing check:\n{screen}"
    );

    app.detail.dashboard.row = 2;
    let screen = text(&render(&mut app, 130, 34));
    assert!(
        screen.contains("no dangling pointers on t7 fail"),
        "{screen}"
    );
    assert!(screen.contains("introduced by this turn"), "{screen}");
    assert!(
        screen.contains("links.md:3"),
        "the finding with its line:\n{screen}"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab(), Tab::Diff);
    assert_eq!(app.selected.as_deref(), Some("t7"));
    let screen = text(&render(&mut app, 130, 34));
    assert!(
        screen.contains("docs/design.md"),
        "the diff is at the dangling line:\n{screen}"
    );

    // A degraded cell says what happened.
    key(&mut app, KeyCode::Char('4'));
    app.detail.dashboard.row = 0;
    select(&mut app, "t9");
    let screen = text(&render(&mut app, 130, 34));
    assert!(screen.contains("fixtures load on t9 degraded"), "{screen}");
    assert!(screen.contains("timed out"), "{screen}");
}

#[test]
fn the_fix_key_fixes_a_flat_memory_file_as_a_turn_of_its_own() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t8");
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('y'));
    assert!(
        app.status.as_ref().unwrap().text.contains("t8 landed"),
        "{:?}",
        app.status
    );
    // With no turn awaiting review selected, F fixes the branch head.
    select(&mut app, "t8");
    key(&mut app, KeyCode::Char('F'));
    assert!(
        matches!(app.dialog(), Some(Dialog::Confirm { .. })),
        "the fix asks first"
    );
    key(&mut app, KeyCode::Char('y'));
    let status = app.status.clone().unwrap();
    assert!(status.text.contains("fixed memory layout"), "{status:?}");
    let memory = std::fs::read_dir(d.root.join("memory")).unwrap();
    let flat: Vec<String> = memory
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    assert!(flat.is_empty(), "no flat memory file is left: {flat:?}");
    let msg = common::git(&d.root, &["log", "-1", "--format=%B"]);
    assert!(msg.contains("Leash-Fix: memory layout"), "{msg}");
}

#[test]
fn an_in_place_turn_shows_its_sessions_transcript_as_output() {
    use std::io::Write;
    let r = common::Repo::initialised();
    let transcript = r.path().join(".git/transcript.jsonl");
    std::fs::write(
        &transcript,
        concat!(
            r#"{"type":"user","message":{"role":"user","content":"tidy the notes"},"sessionId":"s1"}"#, "\n",
            r#"{"type":"assistant","message":{"id":"m1","role":"assistant","content":[{"type":"text","text":"Tidying the notes now."}]},"sessionId":"s1"}"#, "\n",
        ),
    )
    .unwrap();
    for (event, extra) in [
        ("SessionStart", serde_json::json!({"source": "startup"})),
        (
            "UserPromptSubmit",
            serde_json::json!({"prompt": "tidy the notes"}),
        ),
    ] {
        let mut input = serde_json::json!({
            "session_id": "s1", "cwd": r.path().display().to_string(),
            "transcript_path": transcript.display().to_string(), "hook_event_name": event,
        });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let mut child = r
            .cmd(&["hook", "claude"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
    let ws = Workspace::open(r.path()).unwrap();
    let mut app = App::new(
        ws,
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap(),
        UserSettings::default(),
        vec![],
    );
    settle(&mut app);
    let screen = text(&render(&mut app, 120, 30));
    assert!(screen.contains("1 in-place session"), "{screen}");
    assert!(screen.contains("the session's transcript"), "{screen}");
    assert!(screen.contains("Tidying the notes now."), "{screen}");
}

#[test]
fn a_turn_with_denied_actions_names_them_in_the_list_and_the_events_tab() {
    let r = common::Repo::initialised();
    let out = tempfile::tempdir().unwrap();
    // A high-risk isolated turn (manual, no console) whose write outside
    // its worktree the gate denies.
    let script = r#"printf '{"hook_event_name":"PreToolUse","session_id":"s","cwd":"%s","tool_name":"Write","tool_use_id":"w1","tool_input":{"file_path":"%s/x.md","content":"x"}}' "$PWD" "$OUT" | "$LEASH_BIN" hook claude > /dev/null; echo I was not allowed"#;
    let run = r
        .cmd(&["run", "--risk", "high", "--", "sh", "-c", script])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .env("OUT", out.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('3'));
    let screen = text(&render(&mut app, 130, 30));
    assert!(screen.contains("⊘ 1 denied"), "the turn list:\n{screen}");
    assert!(
        screen.contains("⊘ 1 action denied (1 unattended); first: Write"),
        "the Events tab heads with the denials:\n{screen}"
    );
    assert!(
        screen.contains("action_decided t1.a1 deny by unattended"),
        "{screen}"
    );
}

#[test]
fn a_session_started_by_leash_shell_is_marked_confined_in_the_header() {
    let r = common::Repo::initialised();
    // What Claude Code's SessionStart hook does, from inside `leash shell`.
    let script = r#"printf '{"hook_event_name":"SessionStart","session_id":"s1","cwd":"%s"}' "$PWD" | "$LEASH_BIN" hook claude"#;
    let out = r
        .cmd(&["shell", "--", "sh", "-c", script])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let confined = r
        .events()
        .iter()
        .any(|e| e["kind"] == "session_started" && e["confined"].is_u64());
    let mut app = app_with(r.path(), "dark");
    let screen = text(&render(&mut app, 160, 30));
    if confined {
        assert!(
            screen.contains("1 in-place session (1 confined)"),
            "{screen}"
        );
    } else {
        // A kernel without Landlock: the session is not marked.
        assert!(screen.contains("1 in-place session"), "{screen}");
    }
}
