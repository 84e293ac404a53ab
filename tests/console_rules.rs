//! "Say it once" in the console: `A` on a held action in the queue allows
//! it and shows the rule that would let such actions run alone, as the
//! TOML it adds; `y` writes it to `.leash/config.toml` in a commit of its
//! own and the next such action runs by policy, `n` leaves the action
//! allowed and nothing written. A real repository, the real hook binary
//! holding the actions, the console driven in-process.

mod common;

use common::Repo;
use common::console::{app_with, assert_screen, key, render, settle, text};
use common::hooks::{answer, bash, decided, permission, write};
use crossterm::event::KeyCode;
use leash::ui::app::{App, Dialog, Pane};
use serde_json::{Value, json};

/// Starts the hook on `input` and waits until the gate holds it for the
/// operator; the hook (waiting for the answer) and the action's id.
fn held(r: &Repo, input: &Value) -> (std::process::Child, String) {
    let id = input["tool_use_id"].clone();
    let child = r.hook("claude", &input.to_string());
    let req = r.wait_for_event("the action to be held", |e| {
        e["kind"] == "action_requested" && e["tool_use_id"] == id && e["needs"] == "approval"
    });
    (child, req["action"].as_str().unwrap().to_string())
}

/// The queue focused, its cursor on `action`.
fn on_action(app: &mut App, action: &str) {
    app.on_changed();
    settle(app);
    app.focus = Pane::Turns;
    key(app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Queue);
    let at = app.selected_action().map(|(_, a)| a.id.clone());
    assert_eq!(at.as_deref(), Some(action), "the action heads the queue");
}

fn confirm_lines(app: &App) -> String {
    match app.dialog() {
        Some(Dialog::Confirm { lines, .. }) => lines.join("\n"),
        other => panic!("expected the rule's confirm, got {other:?}"),
    }
}

#[test]
fn a_in_the_queue_allows_the_action_shows_the_rule_and_y_commits_it_for_the_next_one() {
    let r = Repo::initialised();
    let console = r.hold_console();
    // `operations/**` is high, and high is manual: the write is held.
    let (hook, action) = held(&r, &write(&r, "sess-1", "toolu_1", "operations/notes/a.md"));
    let mut app = app_with(r.path(), "dark");
    app.demo = false;
    on_action(&mut app, &action);
    let before = r.head();

    key(&mut app, KeyCode::Char('A'));
    // Allowed at once: the agent goes on whatever the rule's fate.
    assert_eq!(
        permission(&hook.wait_with_output().unwrap().stdout),
        "allow"
    );
    let (_, dec) = decided(&r, "toolu_1");
    assert_eq!(
        (&dec["decision"], &dec["by"]),
        (&json!("allow"), &json!("operator"))
    );
    // The rule, as the TOML it adds, and who it reaches.
    let lines = confirm_lines(&app);
    assert!(
        lines.contains(
            "  [[risk]]\n  paths = [\"operations/notes/**\"]\n  class = \"medium\"\n  lower = true"
        ),
        "{lines}"
    );
    let screen = text(&render(&mut app, 120, 40));
    for shown in [
        "Add this rule?",
        "paths = [\"operations/notes/**\"]",
        "class = \"medium\"",
        "lower = true",
        "Sessions started from now on follow it",
    ] {
        assert!(screen.contains(shown), "{shown}:\n{screen}");
    }
    assert_screen("queue_allow_with_rule_120x40", r.path(), &screen, &[]);
    assert_eq!(r.head(), before, "nothing is written before the confirm");

    key(&mut app, KeyCode::Char('y'));
    let status = app.status.clone().unwrap();
    assert!(
        !status.error && status.text.contains("rule added"),
        "{status:?}"
    );
    assert_eq!(r.git(&["rev-parse", "HEAD~1"]), before);
    assert_eq!(
        r.git(&["show", "--name-only", "--format=", "HEAD"]),
        ".leash/config.toml"
    );
    assert!(
        r.git(&["log", "-1", "--format=%B"])
            .starts_with("leash: allow operations/notes/** as medium\n")
    );
    assert!(
        r.read(".leash/config.toml")
            .ends_with("paths = [\"operations/notes/**\"]\nclass = \"medium\"\nlower = true\n")
    );
    let added = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "rule_added")
        .expect("rule_added is journaled");
    assert_eq!(added["from"], json!([action]));
    assert_eq!(added["commit"], json!(r.head()));

    // A session started now, no console open: the same write runs by policy.
    drop(console);
    let again = write(&r, "sess-2", "toolu_2", "operations/notes/a.md");
    assert_eq!(answer(&r, &again), "allow");
    let (req, dec) = decided(&r, "toolu_2");
    assert_eq!(req["needs"], "none");
    assert_eq!(
        (&dec["decision"], &dec["by"]),
        (&json!("allow"), &json!("policy"))
    );
}

#[test]
fn declining_the_rule_leaves_the_action_allowed_and_writes_nothing() {
    let r = Repo::initialised();
    let console = r.hold_console();
    let push = bash(&r, "sess-1", "toolu_1", "git push origin wip");
    let (hook, action) = held(&r, &push);
    let mut app = app_with(r.path(), "dark");
    on_action(&mut app, &action);
    let before = r.head();
    key(&mut app, KeyCode::Char('A'));
    assert!(
        confirm_lines(&app).contains("commands = [\"git push origin wip\"]"),
        "{}",
        confirm_lines(&app)
    );
    key(&mut app, KeyCode::Char('n'));
    assert!(app.dialog().is_none());
    assert_eq!(
        permission(&hook.wait_with_output().unwrap().stdout),
        "allow"
    );
    assert_eq!(r.head(), before);
    assert!(!r.events().iter().any(|e| e["kind"] == "rule_added"));
    // No rule: the next push is held again (and denied, nobody there).
    drop(console);
    let again = bash(&r, "sess-2", "toolu_2", "git push origin wip");
    assert_eq!(answer(&r, &again), "deny");
    // On a turn, A says what it is for and decides nothing.
    key(&mut app, KeyCode::Char('A'));
    assert!(app.dialog().is_none());
}
