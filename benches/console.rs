//! The console's speed targets, measured (figures in benches/README.md):
//! opening on a long journal, drawing a frame over thousands of turns,
//! rendering an output window, and staying responsive while eight turns
//! stream at full speed.
//!
//! `cargo bench --bench console`

// The bench prints its own figures, never agent text.
#![allow(clippy::disallowed_macros)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use leash::event::Event;
use leash::model::{AutonomyLevel, DecidedBy, RiskClass, TurnKind};
use leash::ui::app::App;
use leash::ui::highlight::Highlighter;
use leash::ui::keymap::Keymap;
use leash::ui::settings::UserSettings;
use leash::ui::theme::Theme;
use leash::ui::worker::run_job;
use leash::workspace::Workspace;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    git(d.path(), &["init", "-q", "-b", "main"]);
    git(d.path(), &["config", "user.name", "bench"]);
    git(d.path(), &["config", "user.email", "bench@example.com"]);
    std::fs::write(d.path().join("README.md"), "bench\n").unwrap();
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "init"]);
    d
}

/// The fewest samples a figure may rest on: fewer, and the bench measured
/// something else (work that ended before it looked) — it fails, loudly.
const MIN_SAMPLES: usize = 5;

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let n = times.len();
    assert!(
        n >= MIN_SAMPLES,
        "{what}: only {n} samples (at least {MIN_SAMPLES} needed) — this figure would measure nothing"
    );
    let pick = |q: f64| times[((n as f64 * q) as usize).min(n - 1)];
    println!(
        "{what:<48} n={n:<6} p50={:>9.3?} p99={:>9.3?} max={:>9.3?}",
        pick(0.5),
        pick(0.99),
        times[n - 1]
    );
}

fn app(root: &Path) -> App {
    App::new(
        Workspace::open(root).unwrap(),
        Keymap::builtin("default").unwrap(),
        Theme::builtin("dark").unwrap(),
        UserSettings::default(),
        Vec::new(),
    )
}

/// Runs the app's jobs in this thread, as the worker would.
fn settle(app: &mut App, hl: &Highlighter) {
    let repo = git2::Repository::open(&app.ws.root).ok();
    for _ in 0..10 {
        let jobs: Vec<_> = app.outbox.jobs.drain(..).collect();
        if jobs.is_empty() {
            return;
        }
        for job in jobs {
            let done = run_job(repo.as_ref(), hl, job);
            app.on_done(done);
        }
    }
}

fn long_journal(turns: usize) -> tempfile::TempDir {
    let d = repo();
    let mut ws = Workspace::open(d.path()).unwrap();
    let mut batch = Vec::new();
    for n in 1..=turns {
        let turn = format!("t{n}");
        batch.push(Event::TurnCreated {
            turn: turn.clone(),
            task: None,
            agent: "generic".into(),
            turn_kind: TurnKind::Isolated,
            risk: RiskClass::Medium,
            base: None,
            branch: Some("main".into()),
            command: Some(vec!["sh".into(), "-c".into(), "true".into()]),
            prompt: None,
            title: format!("bench turn {n}"),
            deliverable: None,
            autonomy: None,
            supervisor_pid: None,
            supervisor_start: None,
            session: None,
            policy: None,
            worktree: None,
        });
        for a in 1..=7 {
            batch.push(Event::ActionDone {
                action: format!("{turn}.a{a}"),
                ok: true,
                paths_read: vec![],
                paths_written: vec![format!("notes/{n}-{a}.md")],
                urls: vec![],
            });
        }
        batch.push(Event::TurnInterrupted {
            turn: turn.clone(),
            reason: None,
        });
        batch.push(Event::AutonomySet {
            class: Some(RiskClass::Low),
            task: None,
            level: AutonomyLevel::Guarded,
            by: DecidedBy::Operator,
        });
        if batch.len() >= 5000 {
            ws.append(std::mem::take(&mut batch)).unwrap();
        }
    }
    ws.append(batch).unwrap();
    d
}

fn bench_open_and_draw() {
    let d = long_journal(10_000);
    let size = std::fs::metadata(d.path().join(".git/leash/journal.jsonl"))
        .unwrap()
        .len();
    println!("journal: 10000 turns, 100000 events, {} MiB", size >> 20);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let ws = Workspace::open(d.path()).unwrap();
        times.push(t.elapsed());
        assert_eq!(ws.state.turns().len(), 10_000);
    }
    report("open workspace (fold 100k events)", times);

    let hl = Highlighter::new();
    let mut a = app(d.path());
    settle(&mut a, &hl);
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut times = Vec::new();
    for i in 0..300 {
        if i % 10 == 0 {
            a.update(leash::ui::action::Action::Down);
            settle(&mut a, &hl);
        }
        let t = Instant::now();
        let mut drawn = None;
        term.draw(|f| drawn = Some(leash::ui::views::draw(f, &a)))
            .unwrap();
        a.on_drawn(drawn.unwrap());
        times.push(t.elapsed());
    }
    report("draw a 200x60 frame over 10000 turns", times);
}

fn bench_transcript() {
    let line = r#"{"type":"assistant","message":{"id":"m","content":[{"type":"text","text":"Working through the file, step by step; nothing to see here but text."}],"usage":{"input_tokens":1200,"output_tokens":40}},"session_id":"s"}"#;
    let mut text = String::new();
    while text.len() < 256 * 1024 {
        text.push_str(line);
        text.push('\n');
    }
    let mut times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let r = leash::ui::transcript::render(
            text.as_bytes(),
            leash::ui::transcript::Format::Claude,
            None,
        );
        times.push(t.elapsed());
        assert!(!r.lines.is_empty());
    }
    report("render a 256 KiB Claude stream window", times);
}

fn bench_streaming() {
    let d = repo();
    let exe = env!("CARGO_BIN_EXE_leash");
    let data = tempfile::tempdir().unwrap();
    // Each agent prints 300k stream-json lines (about 60 MiB) as fast as
    // the pipe takes them.
    let script = r#"yes '{"type":"assistant","message":{"id":"m","content":[{"type":"text","text":"streaming at full speed"}]},"session_id":"s"}' | head -n 300000; echo done > out.md"#;
    // Read as Claude Code's stream, so each refresh parses what it shows.
    std::fs::create_dir_all(d.path().join(".leash")).unwrap();
    std::fs::write(
        d.path().join(".leash/config.toml"),
        format!(
            "[agents.stream]\ncommand = [\"sh\", \"-c\", {}]\nformat = \"claude\"\n",
            serde_json::to_string(script).unwrap()
        ),
    )
    .unwrap();
    for _ in 0..8 {
        let st = Command::new(exe)
            .args(["run", "--detach", "--agent", "stream"])
            .current_dir(d.path())
            .env("LEASH_DATA_DIR", data.path())
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
    let hl = Highlighter::new();
    let mut a = app(d.path());
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    // The console's thread folds the journal and draws; the worker reads and
    // parses output windows and diffs. Both are timed, apart.
    let (mut ui, mut work) = (Vec::new(), Vec::new());
    let start = Instant::now();
    let mut finished = 0;
    while start.elapsed() < Duration::from_secs(60) {
        let t = Instant::now();
        a.on_changed();
        let mut drawn = None;
        term.draw(|f| drawn = Some(leash::ui::views::draw(f, &a)))
            .unwrap();
        a.on_drawn(drawn.unwrap());
        ui.push(t.elapsed());
        let t = Instant::now();
        settle(&mut a, &hl);
        work.push(t.elapsed());
        finished =
            a.ws.state
                .turns()
                .iter()
                .filter(|t| t.finished.is_some())
                .count();
        if finished == 8 {
            break;
        }
    }
    println!(
        "streaming: 8 turns, {finished} finished after {:.1?}",
        start.elapsed()
    );
    // Turns that finished before the first look were not measured streaming.
    assert!(
        finished == 8 && ui.len() >= MIN_SAMPLES,
        "streaming: {finished} of 8 turns finished and only {} looks were taken \
         while they streamed — the figure would not be of streaming",
        ui.len()
    );
    report("console thread: fold new events + draw (8 streaming)", ui);
    report("worker: output window / diff for the selected turn", work);
}

/// CPU time this process has used (user + system).
fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// The console on the finished demo workspace with nothing happening: its
/// real loop (file watcher, tick, worker) drawing into a TestBackend for
/// 10 s, and the CPU time the whole process spent meanwhile.
fn bench_idle() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let st = Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(["demo", "--no-console", "--dir"])
        .arg(&root)
        .env("LEASH_DEMO_FAST", "1")
        .env("LEASH_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let journal = root.join(".git/leash/journal.jsonl");
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(&journal).unwrap_or_default();
        let finished = text.matches("\"kind\":\"turn_finished\"").count();
        if finished == leash::demo::SCENARIOS.len() && text.contains("\"kind\":\"turn_landed\"") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the demo turns never finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut a = app(&root);
    let (tx, rx) = std::sync::mpsc::channel();
    let keys = tx.clone();
    let console = std::thread::spawn(move || {
        let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
        leash::ui::serve(&mut term, &mut a, leash::ui::TICK, None, tx, rx).unwrap();
    });
    // Let it settle (first frame, the output it asks for), then measure.
    std::thread::sleep(Duration::from_secs(1));
    let (cpu0, wall0) = (cpu_time(), Instant::now());
    std::thread::sleep(Duration::from_secs(10));
    let (cpu, wall) = (cpu_time() - cpu0, wall0.elapsed());
    keys.send(leash::ui::Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('q'),
        crossterm::event::KeyModifiers::NONE,
    )))
    .unwrap();
    console.join().unwrap();
    println!(
        "idle console, demo workspace, {:.1?}: {:.1?} CPU = {:.2} % of a core (target ≤ 1 %)",
        wall,
        cpu,
        cpu.as_secs_f64() * 100.0 / wall.as_secs_f64()
    );
}

fn main() {
    // `cargo bench --bench console -- idle` runs one part; none, all.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wanted("open") {
        bench_open_and_draw();
    }
    if wanted("transcript") {
        bench_transcript();
    }
    if wanted("streaming") {
        bench_streaming();
    }
    if wanted("idle") {
        bench_idle();
    }
}
