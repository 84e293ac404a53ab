//! For the components' own tests: an app over a fresh repository whose
//! journal holds the events a test gives, drawn into a `TestBackend`.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

use super::App;
use crate::journal::Record;
use crate::ui::keymap::Keymap;
use crate::ui::settings::UserSettings;
use crate::ui::theme::Theme;
use crate::workspace::Workspace;

/// An app and the repository it lives in (removed when dropped).
pub struct Fixture {
    pub app: App,
    _dir: tempfile::TempDir,
}

/// An app over a new repository whose journal folds `events` (each a
/// journal record's `kind` and fields).
pub fn app(events: &[Value]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    let mut ws = Workspace::open(dir.path()).unwrap();
    for (i, e) in events.iter().enumerate() {
        let mut record = json!({"v": 1, "seq": i + 1, "ts": "2026-01-02T03:04:05Z"});
        for (k, v) in e.as_object().unwrap() {
            record[k] = v.clone();
        }
        let record: Record = serde_json::from_value(record).unwrap();
        ws.state.apply(&record);
    }
    let app = App::new(
        ws,
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap(),
        UserSettings::default(),
        Vec::new(),
    );
    Fixture { app, _dir: dir }
}

/// A turn created (and started) by the demo agent.
pub fn created(id: &str, title: &str, risk: &str) -> Value {
    json!({"kind": "turn_created", "turn": id, "agent": "demo", "turn_kind": "isolated",
           "risk": risk, "base": null, "branch": "main", "prompt": format!("do {title}"),
           "title": title})
}

/// A turn finished with `files` changed files (awaiting review when some).
pub fn finished(id: &str, files: usize) -> Value {
    json!({"kind": "turn_finished", "turn": id, "exit": 0, "files_changed": files,
           "insertions": files, "deletions": 0, "paths": ["a.txt"]})
}

/// Draws one frame of `w` × `h` and hands the app what it found out, as
/// the event loop does; the screen as text, one line a row.
pub fn draw(app: &mut App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut drawn = None;
    term.draw(|f| drawn = Some(crate::ui::views::draw(f, app)))
        .unwrap();
    app.on_drawn(drawn.unwrap());
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn the_fixture_folds_its_events() {
    let f = app(&[
        created("t1", "first", "low"),
        finished("t1", 1),
        created("t2", "second", "high"),
    ]);
    let states: Vec<_> = f.app.ws.state.turns().iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [
            crate::model::TurnState::AwaitingReview,
            crate::model::TurnState::Running
        ]
    );
    assert_eq!(f.app.selected.as_deref(), Some("t2"), "the newest first");
}
