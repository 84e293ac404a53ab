//! The new-turn and replay form in the console (TestBackend over a real demo
//! workspace): typing never goes nowhere, enter starts exactly one turn,
//! tab order, text editing, a free-form prompt for an agent, replay on the
//! current head or with an edited prompt, and the new turn selected.

mod common;

use common::console::{app_with, assert_screen, demo, frame, key, render, select, settle, text};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use leash::model::RiskClass;
use leash::ui::app::{App, Dialog, Field, NewTurn, Source};

fn form(app: &App) -> &NewTurn {
    match app.dialog() {
        Some(Dialog::NewTurn(f)) => f,
        other => panic!("the form is not open: {other:?}"),
    }
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn ctrl(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    settle(app);
}

/// The id the next turn gets in the demo workspace.
fn next_id(n: usize) -> String {
    format!("t{}", leash::demo::TURNS + n)
}

/// Waits for a turn to finish, so that no supervisor outlives the test.
fn wait_finished(root: &std::path::Path, id: &str) {
    let journal = root.join(".git/leash/journal.jsonl");
    common::wait_until(&format!("{id} to finish"), || {
        let text = std::fs::read_to_string(&journal).ok()?;
        text.contains(&format!("\"kind\":\"turn_finished\",\"turn\":\"{id}\""))
            .then_some(())
    });
}

fn turns_created(root: &std::path::Path) -> usize {
    std::fs::read_to_string(root.join(".git/leash/journal.jsonl"))
        .unwrap()
        .matches("\"kind\":\"turn_created\"")
        .count()
}

#[test]
fn typing_with_a_task_highlighted_writes_the_prompt_and_enter_starts_exactly_one_turn() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    let before = turns_created(&d.root);
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(form(&app).focus, Field::Source);
    assert_eq!(*form(&app).chosen(), Source::Task("note".into()));
    // `y` and `n` are letters here, not confirm and cancel.
    typed(&mut app, "only the new notes");
    let f = form(&app);
    assert_eq!(f.focus, Field::Prompt, "typing moved to the prompt");
    assert_eq!(f.prompt.text, "only the new notes");
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen
            .lines()
            .any(|l| l.contains("› Prompt ") && l.contains(" only the new notes")),
        "the prompt shows what was typed, focused:\n{screen}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(app.dialog().is_none());
    let new = next_id(1);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains(&format!("started {new}")),
        "{:?}",
        app.status
    );
    // Enter again, now on the list, opens the turn: it starts nothing.
    key(&mut app, KeyCode::Enter);
    wait_finished(&d.root, &new);
    app.on_changed();
    settle(&mut app);
    assert_eq!(turns_created(&d.root), before + 1, "exactly one turn");
    let t = app.ws.state().turn(&new).unwrap();
    assert_eq!(t.task.as_deref(), Some("note"));
    assert_eq!(t.prompt.as_deref(), Some("only the new notes"));
    assert_eq!(
        app.selected.as_deref(),
        Some(new.as_str()),
        "the new turn is selected"
    );
}

#[test]
fn tab_and_shift_tab_walk_the_fields_and_esc_cancels() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    key(&mut app, KeyCode::Char('n'));
    let mut seen = vec![form(&app).focus];
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
        seen.push(form(&app).focus);
    }
    assert_eq!(
        seen,
        [
            Field::Source,
            Field::Prompt,
            Field::Risk,
            Field::Title,
            Field::Source
        ]
    );
    key(&mut app, KeyCode::BackTab);
    assert_eq!(form(&app).focus, Field::Title);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(form(&app).focus, Field::Risk);
    // On the risk, ←/→ choose it.
    let risk = form(&app).risk;
    key(&mut app, KeyCode::Right);
    assert_ne!(form(&app).risk, risk);
    let before = turns_created(&d.root);
    key(&mut app, KeyCode::Esc);
    assert!(app.dialog().is_none());
    assert!(app.outbox.ops.is_empty());
    assert_eq!(turns_created(&d.root), before);

    // A replay has the base first.
    select(&mut app, "t2");
    key(&mut app, KeyCode::Char('p'));
    let mut seen = vec![form(&app).focus];
    key(&mut app, KeyCode::Tab);
    seen.push(form(&app).focus);
    key(&mut app, KeyCode::Tab);
    seen.push(form(&app).focus);
    assert_eq!(seen, [Field::Base, Field::Source, Field::Prompt]);
}

#[test]
fn a_text_field_edits_like_one_and_the_command_runs_as_typed() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::End);
    assert_eq!(*form(&app).chosen(), Source::Command);
    let risk = form(&app).risk;
    typed(&mut app, "echo wrld");
    assert_eq!(form(&app).focus, Field::Prompt);
    for _ in 0..3 {
        key(&mut app, KeyCode::Left);
    }
    typed(&mut app, "o");
    assert_eq!(form(&app).command.text, "echo world");
    assert_eq!(form(&app).risk, risk, "←/→ in a text field move the cursor");
    key(&mut app, KeyCode::Home);
    for _ in 0..4 {
        key(&mut app, KeyCode::Delete);
    }
    typed(&mut app, "printf");
    assert_eq!(form(&app).command.text, "printf world");
    assert_eq!(form(&app).command.cursor, 6);
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Backspace);
    ctrl(&mut app, 'a');
    assert_eq!(form(&app).command.cursor, 0);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    assert_eq!(form(&app).command.cursor, 2);
    // Pasted text is inserted at the cursor, line breaks as spaces.
    app.on_paste("XY\n");
    assert_eq!(form(&app).command.text, "prXY intf worl");
    ctrl(&mut app, 'u');
    assert_eq!(form(&app).command.text, "intf worl");
    ctrl(&mut app, 'k');
    assert_eq!(form(&app).command.text, "");
    typed(&mut app, "sh -c 'echo typed > typed.md'");
    // The terminal cursor sits in the field, after the text.
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    frame(&mut term, &mut app);
    let screen = text(term.backend().buffer());
    let row = screen
        .lines()
        .position(|l| l.contains("› Command ") && l.contains(" sh -c 'echo typed > typed.md'"))
        .unwrap_or_else(|| panic!("{screen}"));
    let pos = term.get_cursor_position().unwrap();
    assert_eq!(usize::from(pos.y), row);
    let line = screen.lines().nth(row).unwrap();
    let at = line.find("typed.md'").unwrap();
    let end = line[..at].chars().count() + "typed.md'".len();
    assert_eq!(usize::from(pos.x), end, "cursor after the text");

    key(&mut app, KeyCode::Enter);
    let new = next_id(1);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains(&format!("started {new}")),
        "{:?}",
        app.status
    );
    wait_finished(&d.root, &new);
    app.on_changed();
    let t = app.ws.state().turn(&new).unwrap();
    assert_eq!(
        t.command.as_deref().unwrap(),
        ["sh", "-c", "echo typed > typed.md"]
    );
    assert_eq!(t.declared_risk, risk);
}

#[test]
fn an_agent_gets_a_free_form_prompt_and_enter_without_one_starts_nothing() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    key(&mut app, KeyCode::Char('n'));
    while *form(&app).chosen() != Source::Agent("demo".into()) {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    assert!(app.outbox.ops.is_empty());
    assert_eq!(
        form(&app).focus,
        Field::Prompt,
        "the form asks for the prompt"
    );
    let status = app.status.clone().unwrap();
    assert!(status.error && status.text.contains("prompt"), "{status:?}");
    typed(&mut app, "demo: tidy nothing");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Left);
    assert_eq!(form(&app).risk, RiskClass::Low);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "Tidy up");
    key(&mut app, KeyCode::Enter);
    let new = next_id(1);
    wait_finished(&d.root, &new);
    app.on_changed();
    let t = app.ws.state().turn(&new).unwrap();
    assert_eq!(t.agent, "demo");
    assert_eq!(t.task, None);
    assert_eq!(t.prompt.as_deref(), Some("demo: tidy nothing"));
    assert_eq!(t.title, "Tidy up");
    assert_eq!(t.declared_risk, RiskClass::Low);
}

#[test]
fn replay_on_the_current_head_with_an_edited_prompt_selects_the_new_turn() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t2");
    let t2 = app.current().unwrap().clone();
    let head = common::git(&d.root, &["rev-parse", "HEAD"]);
    assert_ne!(
        t2.base.as_deref(),
        Some(head.as_str()),
        "the branch moved since t2"
    );
    key(&mut app, KeyCode::Char('p'));
    let f = form(&app);
    assert_eq!(f.focus, Field::Base);
    assert_eq!(*f.chosen(), Source::Task("draft".into()));
    assert_eq!(f.prompt.text, t2.prompt.clone().unwrap());
    assert!(!f.replay.as_ref().unwrap().on_head);
    key(&mut app, KeyCode::Right);
    assert!(form(&app).replay.as_ref().unwrap().on_head);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    assert_eq!(form(&app).focus, Field::Prompt);
    ctrl(&mut app, 'u');
    typed(&mut app, "demo: tidy nothing");
    key(&mut app, KeyCode::Enter);
    let new = next_id(1);
    assert_eq!(
        app.selected.as_deref(),
        Some(new.as_str()),
        "the replay is selected"
    );
    wait_finished(&d.root, &new);
    app.on_changed();
    let t = app.ws.state().turn(&new).unwrap();
    assert_eq!(
        t.base.as_deref(),
        Some(head.as_str()),
        "on the current head"
    );
    assert_eq!(t.task.as_deref(), Some("draft"));
    assert_eq!(t.prompt.as_deref(), Some("demo: tidy nothing"));
    assert!(t.title.starts_with("replay of t2"), "{}", t.title);
}

#[test]
fn text_dialogs_offer_enter_and_esc_in_the_footer() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    select(&mut app, "t2");
    key(&mut app, KeyCode::Char('r'));
    let screen = text(&render(&mut app, 120, 40));
    let footer = screen.lines().last().unwrap();
    assert!(footer.contains("enter confirm"), "{footer}");
    assert!(footer.contains("esc cancel"), "{footer}");
    assert!(!footer.contains("y confirm"), "{footer}");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('n'));
    let screen = text(&render(&mut app, 120, 40));
    let footer = screen.lines().last().unwrap();
    assert!(footer.contains("enter confirm"), "{footer}");
    // A confirmation (no text) keeps y.
    key(&mut app, KeyCode::Esc);
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('u'));
    let screen = text(&render(&mut app, 120, 40));
    assert!(screen.lines().last().unwrap().contains("y confirm"));
}

#[test]
fn the_form_at_80x24_and_120x40() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    key(&mut app, KeyCode::Char('n'));
    assert_screen(
        "form_new_80x24",
        &d.root,
        &text(&render(&mut app, 80, 24)),
        &[],
    );
    assert_screen(
        "form_new_120x40",
        &d.root,
        &text(&render(&mut app, 120, 40)),
        &[],
    );
    // A prompt longer than the field scrolls around the cursor, marked.
    key(&mut app, KeyCode::Tab);
    ctrl(&mut app, 'u');
    typed(
        &mut app,
        "rewrite the stand-up note so that it lists every waiting turn by risk, then by age, and links each one",
    );
    for _ in 0..40 {
        key(&mut app, KeyCode::Left);
    }
    assert_screen(
        "form_long_prompt_80x24",
        &d.root,
        &text(&render(&mut app, 80, 24)),
        &[],
    );
    key(&mut app, KeyCode::Esc);
    select(&mut app, "t2");
    key(&mut app, KeyCode::Char('p'));
    assert_screen(
        "form_replay_80x24",
        &d.root,
        &text(&render(&mut app, 80, 24)),
        &[],
    );
    assert_screen(
        "form_replay_120x40",
        &d.root,
        &text(&render(&mut app, 120, 40)),
        &[],
    );
    // Tiny terminals draw what fits, without a panic.
    for (w, h) in [(30, 8), (12, 4), (80, 12)] {
        render(&mut app, w, h);
    }
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('n'));
    let screen = text(&render(&mut app, 80, 14));
    assert!(
        screen.contains("↓"),
        "a list cut short says how many rows are below:\n{screen}"
    );
}

#[test]
fn a_drifted_turn_replays_on_the_current_head_by_default() {
    use leash::ui::keymap::Keymap;
    use leash::ui::settings::UserSettings;
    use leash::ui::theme::Theme;
    let r = common::Repo::initialised();
    let id = r
        .ok(&[
            "run",
            "--risk",
            "high",
            "--",
            "sh",
            "-c",
            "echo 'turn line' > README.md",
        ])
        .stdout
        .trim()
        .to_string();
    r.write("README.md", "user line\n");
    r.git(&["commit", "-q", "-am", "user edit"]);
    let head = r.head();
    leash::agents::detached::set_leash_binary(env!("CARGO_BIN_EXE_leash").into());
    let ws = leash::workspace::Workspace::open(r.path()).unwrap();
    let mut app = App::new(
        ws,
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap(),
        UserSettings::default(),
        vec![],
    );
    // (Approving lands nothing: the branch moved and the changes conflict.)
    assert_eq!(r.run(&["approve", &id]).code, 1);
    app.on_changed();
    settle(&mut app);
    select(&mut app, &id);
    assert_eq!(
        app.current().unwrap().failure,
        Some(leash::model::FailureClass::ConcurrentDrift)
    );
    key(&mut app, KeyCode::Char('p'));
    assert!(
        form(&app).replay.as_ref().unwrap().on_head,
        "a drifted turn replays on the current head unless told otherwise"
    );
    let screen = text(&render(&mut app, 80, 24));
    assert!(screen.contains("[the current head"), "{screen}");
    key(&mut app, KeyCode::Enter);
    let new = "t2";
    assert_eq!(app.selected.as_deref(), Some(new), "{:?}", app.status);
    let journal = r.journal();
    common::wait_until("the replay to finish", || {
        let text = std::fs::read_to_string(&journal).ok()?;
        text.contains(&format!("\"kind\":\"turn_finished\",\"turn\":\"{new}\""))
            .then_some(())
    });
    app.on_changed();
    let t = app.ws.state().turn(new).unwrap();
    assert_eq!(t.base.as_deref(), Some(head.as_str()));
    assert_eq!(
        t.command.as_deref().unwrap(),
        ["sh", "-c", "echo 'turn line' > README.md"]
    );
}

#[test]
fn the_forms_keys_are_actions_the_keymap_can_move() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    // A user's keymap that walks the form's fields with ctrl-n and ctrl-p
    // and starts with ctrl-s: the form follows it, as every dialog does.
    app.keymap
        .overlay(
            "[dialog]\nctrl-n = \"next_pane\"\nctrl-p = \"prev_pane\"\nctrl-s = \"confirm\"\n",
            std::path::Path::new("keymap.toml"),
        )
        .unwrap();
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(form(&app).focus, Field::Source);
    ctrl(&mut app, 'n');
    assert_ne!(form(&app).focus, Field::Source, "ctrl-n moved on");
    ctrl(&mut app, 'p');
    assert_eq!(form(&app).focus, Field::Source, "ctrl-p came back");
    // The line-editing keys arrive as the editing actions they are.
    let ev = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    use leash::ui::action::Action;
    assert_eq!(app.typed(&ev('w')), Some(Action::EraseWord));
    assert_eq!(app.typed(&ev('u')), Some(Action::EraseToStart));
    assert_eq!(
        app.typed(&KeyEvent::new(KeyCode::Home, KeyModifiers::NONE)),
        Some(Action::LineStart)
    );
    assert_eq!(app.typed(&ev('n')), None, "ctrl-n is the keymap's");
    let before = turns_created(&d.root);
    ctrl(&mut app, 's');
    assert!(app.dialog().is_none(), "ctrl-s started the turn");
    assert_eq!(turns_created(&d.root), before + 1);
    wait_finished(&d.root, &next_id(1));
}

/// `leash pipeline list --json` in the workspace at `root`.
fn pipelines(root: &std::path::Path) -> Vec<serde_json::Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(["pipeline", "list", "--json"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn choose_pipeline(app: &mut App) {
    key(app, KeyCode::Char('n'));
    while *form(app).chosen() != Source::Pipeline(leash::demo::PIPELINE_TASK.into()) {
        key(app, KeyCode::Down);
    }
}

#[test]
fn a_pipeline_task_asks_for_nothing_and_enter_starts_a_run_whose_first_pass_runs() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    choose_pipeline(&mut app);
    let f = form(&app);
    assert_eq!(f.fields(), [Field::Source], "nothing else to fill in");
    key(&mut app, KeyCode::Tab);
    assert_eq!(form(&app).focus, Field::Source);
    // Typing or pasting writes no prompt, and says why.
    typed(&mut app, "x");
    app.on_paste("pasted");
    assert!(form(&app).prompt.text.is_empty());
    assert_eq!(form(&app).focus, Field::Source);
    let status = app.status.clone().unwrap();
    assert!(
        status.error && status.text.contains("a pipeline takes no prompt"),
        "{status:?}"
    );
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("pipeline · extract → draft → audit"),
        "{screen}"
    );
    assert!(
        screen.contains("3 passes, each with its own agent, prompt and risk"),
        "{screen}"
    );
    assert!(!screen.contains("  Risk "), "no risk to choose:\n{screen}");
    assert_eq!(
        form(&app).spec(&app).unwrap(),
        leash::model::TurnSpec {
            task: Some("post".into()),
            ..Default::default()
        },
        "only --task"
    );

    key(&mut app, KeyCode::Enter);
    assert!(app.dialog().is_none());
    let status = app.status.clone().unwrap();
    assert!(!status.error, "{status:?}");
    assert_eq!(status.text, "started pipeline run p2 (task post)");
    // Its first pass runs as the next turn, held to the pass's contract.
    let first = next_id(1);
    let journal = d.root.join(".git/leash/journal.jsonl");
    common::wait_until("p2's first pass to start", || {
        let text = std::fs::read_to_string(&journal).ok()?;
        text.contains(&format!(
            "\"kind\":\"pass_started\",\"run\":\"p2\",\"pass\":\"extract\",\"turn\":\"{first}\""
        ))
        .then_some(())
    });
    // The console selects the new run's row once its first pass shows.
    app.on_changed();
    assert_eq!(app.selected.as_deref(), Some(first.as_str()));
    assert_eq!(app.turn_list.on_run.as_deref(), Some("p2"));
    assert_eq!(app.turn_list.pending_run, None);
    wait_finished(&d.root, &first);
    // The run goes on by itself; wait for it to stop, so that its
    // supervisor does not outlive the test.
    let run = common::wait_until("p2 to stop", || {
        pipelines(&d.root)
            .into_iter()
            .find(|p| p["id"] == "p2")
            .filter(|p| {
                ["done", "failed", "awaiting_review"].contains(&p["state"].as_str().unwrap())
            })
    });
    assert_eq!(run["task"], "post", "{run:#}");
    if run["state"] == "awaiting_review" {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_leash"))
            .args(["pipeline", "cancel", "p2"])
            .current_dir(&d.root)
            .output()
            .unwrap();
        // Waiting for review can be a moment on the way to landing by
        // policy: a run that went on to its end meanwhile is fine too.
        let went_on = String::from_utf8_lossy(&out.stderr).contains("is done; nothing to cancel");
        assert!(out.status.success() || went_on, "{out:?}");
    }
    app.on_changed();
    let t = app.ws.state().turn(&first).unwrap();
    assert_eq!(t.task.as_deref(), Some("post"));
    assert_eq!(t.agent, "demo");
    assert!(
        t.prompt
            .as_deref()
            .unwrap()
            .starts_with("demo: pass extract"),
        "{:?}",
        t.prompt
    );
}

#[test]
fn the_form_with_a_pipeline_task_chosen_at_80x24_and_120x40() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    choose_pipeline(&mut app);
    assert_screen(
        "form_pipeline_80x24",
        &d.root,
        &text(&render(&mut app, 80, 24)),
        &[],
    );
    assert_screen(
        "form_pipeline_120x40",
        &d.root,
        &text(&render(&mut app, 120, 40)),
        &[],
    );
    // The other sources' fields come back as they were.
    key(&mut app, KeyCode::Down);
    assert_eq!(*form(&app).chosen(), Source::Agent("demo".into()));
    assert_eq!(
        form(&app).fields(),
        [Field::Source, Field::Prompt, Field::Risk, Field::Title]
    );
}

#[test]
fn replaying_a_pipelines_pass_is_refused_naming_pipeline_resume() {
    let d = demo();
    let mut app = app_with(&d.root, "dark");
    // The demo's audit, the last pass of p1.
    let audit = format!("t{}", leash::demo::TURNS);
    assert!(app.ws.state().pass_of(&audit).is_some());
    select(&mut app, &audit);
    let before = turns_created(&d.root);
    key(&mut app, KeyCode::Char('p'));
    assert!(app.dialog().is_none(), "no form: {:?}", app.dialog());
    let status = app.status.clone().unwrap();
    assert!(status.error, "{status:?}");
    assert!(
        status
            .text
            .contains(&format!("{audit} is pass audit of pipeline run p1")),
        "{status:?}"
    );
    assert!(
        status.text.contains("`leash pipeline resume p1`"),
        "{status:?}"
    );
    // `leash replay` says the same, and starts nothing either.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(["replay", &audit])
        .current_dir(&d.root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`leash pipeline resume p1`"), "{err}");
    assert_eq!(turns_created(&d.root), before);
    // A plain turn still replays; choosing the pipeline there starts a
    // run, on the head like every run: the base does not apply.
    select(&mut app, "t2");
    key(&mut app, KeyCode::Char('p'));
    assert!(form(&app).replay.is_some());
    key(&mut app, KeyCode::Tab);
    while *form(&app).chosen() != Source::Pipeline("post".into()) {
        key(&mut app, KeyCode::Down);
    }
    assert_eq!(form(&app).fields(), [Field::Source]);
    assert_eq!(form(&app).spec(&app).unwrap().base, None);
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        screen.contains("Base     (each pass starts on the branch head)"),
        "{screen}"
    );
}

#[test]
fn a_pipelines_names_and_roles_show_as_plain_text() {
    let r = common::Repo::initialised();
    r.write(
        ".leash/tasks.toml",
        "[[task]]\nname = \"post\"\n\n[[task.pass]]\nname = \"extract\"\n\
         command = [\"sh\", \"-c\", \"echo > {out}\"]\nout = \"claims.md\"\n\
         role = \"verifier \\u001b]0;pwned\\u0007 \\u202egnp.exe\"\nmode = \"read-only\"\n\
         gate = \"review\"\n",
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "a pipeline task"]);
    let mut app = app_with(r.path(), "dark");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(*form(&app).chosen(), Source::Pipeline("post".into()));
    let screen = text(&render(&mut app, 120, 40));
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{202e}') && !screen.contains('\u{7}'),
        "{screen}"
    );
    assert!(
        screen.contains("1 pass, each with its own agent"),
        "{screen}"
    );
    assert!(
        screen.contains("extract: read-only, verifier ⟨esc⟩"),
        "the role shows, its escape as a marker:\n{screen}"
    );
    assert!(
        screen.contains("<RLO>gnp.exe, then waits for you"),
        "{screen}"
    );
}
