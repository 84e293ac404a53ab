//! The console over a finished demo workspace, driven in-process: the
//! shared fixture of the console and screenshot tests.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use leash::ui::action::Action;
use leash::ui::app::{App, Pane};
use leash::ui::highlight::Highlighter;
use leash::ui::keymap::Keymap;
use leash::ui::settings::UserSettings;
use leash::ui::theme::Theme;
use leash::ui::worker::{Done, run_job, run_op};
use leash::workspace::Workspace;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// A demo workspace whose demo turns have all finished, its pipeline done.
pub struct Demo {
    _dir: tempfile::TempDir,
    pub _data: tempfile::TempDir,
    pub root: PathBuf,
}

pub fn demo() -> Demo {
    let dir = tempfile::Builder::new()
        .prefix("leash-con")
        .tempdir()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(["demo", "--no-console", "--dir"])
        .arg(&root)
        .env("LEASH_DEMO_FAST", "1")
        .env("LEASH_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let journal = root.join(".git/leash/journal.jsonl");
    // Every turn finished, and the stand-up note and the pipeline's passes
    // landed (the pipeline is done).
    super::wait_until("every demo turn to finish", || {
        let text = std::fs::read_to_string(&journal).ok()?;
        let finished = text.matches("\"kind\":\"turn_finished\"").count();
        let landed = text.matches("\"kind\":\"turn_landed\"").count();
        (finished == leash::demo::TURNS && landed == 1 + leash::demo::PIPELINE_PASSES).then_some(())
    });
    Demo {
        root: root.canonicalize().unwrap(),
        _dir: dir,
        _data: data,
    }
}

pub fn app_with(root: &Path, theme: &str) -> App {
    leash::agents::detached::set_leash_binary(env!("CARGO_BIN_EXE_leash").into());
    let ws = Workspace::open(root).unwrap();
    let mut app = App::new(
        ws,
        Keymap::builtin("default").unwrap(),
        Theme::builtin(theme).unwrap(),
        UserSettings::default(),
        Vec::new(),
    );
    app.demo = true;
    settle(&mut app);
    app
}

fn highlighter() -> &'static Highlighter {
    static H: OnceLock<Highlighter> = OnceLock::new();
    H.get_or_init(Highlighter::new)
}

/// Runs what the app asked for, in this thread, until it asks for nothing.
pub fn settle(app: &mut App) {
    let reader = leash::workspace::DiffReader::open(app.ws.root());
    for _ in 0..50 {
        let jobs: Vec<_> = app.outbox.jobs.drain(..).collect();
        let ops = app.take_ops();
        app.outbox.bells.clear();
        if jobs.is_empty() && ops.is_empty() {
            return;
        }
        for job in jobs {
            let done = run_job(&reader, highlighter(), job);
            app.on_done(done);
        }
        for op in ops {
            let mut ws = Workspace::open(app.ws.root()).unwrap();
            let result = run_op(&mut ws, &op);
            app.on_done(Done::Op { op, result });
        }
    }
    panic!("the app kept asking for work");
}

pub fn render(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    // Drawing asks for what became visible (highlights): draw, settle, draw.
    frame(&mut term, app);
    settle(app);
    frame(&mut term, app);
    term.backend().buffer().clone()
}

/// Draws one frame, then hands the app what the frame found out (where
/// things are, the page, the diff rows on screen), as the event loop does.
pub fn frame(term: &mut Terminal<TestBackend>, app: &mut App) {
    let mut drawn = None;
    term.draw(|f| drawn = Some(leash::ui::views::draw(f, app)))
        .unwrap();
    app.on_drawn(drawn.unwrap());
}

pub fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    settle(app);
}

pub fn select(app: &mut App, id: &str) {
    app.focus = Pane::Turns;
    app.update(Action::Top);
    settle(app);
    for _ in 0..20 {
        if app.selected.as_deref() == Some(id) {
            return;
        }
        app.update(Action::Down);
        settle(app);
    }
    panic!("could not select {id}");
}

/// Asserts a rendered screen against `tests/snapshots/<name>.snap`, with
/// what changes from run to run masked: the workspace's path, the leash
/// binary, dates, times, commit hashes, pids, ages, and the padding that
/// volatile widths move before a border. `extra` adds masks of the
/// caller's own, as `(regex, replacement)`.
#[allow(dead_code)]
pub fn assert_screen(name: &str, root: &Path, screen: &str, extra: &[(&str, &str)]) {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let now = chrono::Local::now();
    let day = |d: chrono::DateTime<chrono::Local>| d.format("%Y-%m-%d").to_string();
    let mut filters: Vec<(String, String)> = vec![
        (regex_escape(&root.display().to_string()), "[ws]".into()),
        (regex_escape(env!("CARGO_BIN_EXE_leash")), "[leash]".into()),
        (day(now), "[date]".into()),
        (day(now - chrono::Duration::days(1)), "[yesterday]".into()),
        (r"\s+\d+ \d\d:\d\d:\d\d".into(), " [seq] [time]".into()),
        (r"\b[0-9a-f]{7,40}\b".into(), "[hash]".into()),
        (r"pid \d+".into(), "pid [pid]".into()),
        (r"demo-\d+".into(), "demo-[pid]".into()),
        (r"\s+\d+[smhd]\b".into(), " [age]".into()),
        // Confinement: the kernel's Landlock ABI, the private data dir and
        // a turn's own temp dir.
        (r"Landlock ABI \d+".into(), "Landlock ABI [abi]".into()),
        (r"\d+ writable paths".into(), "[n] writable paths".into()),
        (r"/tmp/\.tmp\w+".into(), "[data]".into()),
        (r"/tmp/leash-t\d+-\w+".into(), "[turn tmp]".into()),
    ];
    filters.extend(extra.iter().map(|(a, b)| (a.to_string(), b.to_string())));
    // Volatile numbers change widths: padding before a border is not content.
    filters.push((r" +([│┃])".into(), " $1".into()));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    for (regex, replacement) in &filters {
        settings.add_filter(regex, replacement.as_str());
    }
    settings.bind(|| insta::assert_snapshot!(name, screen));
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}
