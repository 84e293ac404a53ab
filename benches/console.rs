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
    let reader = leash::workspace::DiffReader::open(app.ws.root());
    for _ in 0..10 {
        let jobs: Vec<_> = app.outbox.jobs.drain(..).collect();
        if jobs.is_empty() {
            return;
        }
        for job in jobs {
            let done = run_job(&reader, hl, job);
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
                sources: vec![],
                unknown_reads: vec![],
                written: vec![],
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
        assert_eq!(ws.state().turns().len(), 10_000);
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
        let r = leash::transcript::render(text.as_bytes(), leash::transcript::Format::Claude, None);
        times.push(t.elapsed());
        assert!(!r.lines.is_empty());
    }
    report("render a 256 KiB Claude stream window", times);
}

/// Configures (and commits: leash applies the committed policy) an agent
/// `stream` running the shell script `body` (kept in `dir`), read as
/// Claude Code's stream, so each refresh parses what it shows (leash gives
/// a Claude-format command its own options; the script ignores them), and
/// starts eight detached turns of it.
fn start_streams(root: &Path, dir: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let agent = dir.join("agent.sh");
    std::fs::write(&agent, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(root.join(".leash")).unwrap();
    std::fs::write(
        root.join(".leash/config.toml"),
        format!(
            "[agents.stream]\ncommand = [{}]\nformat = \"claude\"\n",
            serde_json::to_string(&agent.display().to_string()).unwrap()
        ),
    )
    .unwrap();
    git(root, &["add", ".leash"]);
    git(root, &["commit", "-q", "-m", "a streaming agent"]);
    for _ in 0..8 {
        let st = Command::new(env!("CARGO_BIN_EXE_leash"))
            .args(["run", "--detach", "--agent", "stream"])
            .current_dir(root)
            .env("LEASH_DATA_DIR", dir)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
}

fn bench_streaming() {
    let d = repo();
    let data = tempfile::tempdir().unwrap();
    // Each agent prints 300k stream-json lines (about 60 MiB) as fast as
    // the pipe takes them.
    let script = r#"yes '{"type":"assistant","message":{"id":"m","content":[{"type":"text","text":"streaming at full speed"}]},"session_id":"s"}' | head -n 300000; echo done > out.md"#;
    // Read as Claude Code's stream, so each refresh parses what it shows.
    start_streams(d.path(), data.path(), script);
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
            a.ws.state()
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

/// A TestBackend that tells, at each flush (the end of a frame), when it
/// was and whether the help overlay is on screen.
struct Timed {
    inner: TestBackend,
    frames: std::sync::mpsc::Sender<(Instant, bool)>,
}

impl ratatui::backend::Backend for Timed {
    type Error = std::convert::Infallible;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<ratatui::layout::Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<ratatui::layout::Position>>(
        &mut self,
        position: P,
    ) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ratatui::backend::ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<ratatui::layout::Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<ratatui::backend::WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let now = Instant::now();
        // The help overlay's own section title; nothing else draws it.
        let help = self
            .inner
            .buffer()
            .content()
            .chunks(self.inner.buffer().area.width as usize)
            .any(|row| {
                let line: String = row.iter().map(|c| c.symbol()).collect();
                line.contains("Autonomy panel")
            });
        let _ = self.frames.send((now, help));
        self.inner.flush()
    }
}

/// Key → screen while eight turns stream about 1 MB/s each: the console's
/// real loop (watcher, tick, worker) on a backend that stamps every frame;
/// `?` and `esc` open and close the help overlay, and each latency is from
/// sending the key to the end of the first frame that shows its effect.
fn bench_keys() {
    let d = repo();
    let data = tempfile::tempdir().unwrap();
    // 10 KiB of Claude stream-json every 10 ms for 25 s: about 1 MB/s.
    let line = r#"{"type":"assistant","message":{"id":"m","content":[{"type":"text","text":"streaming at about one megabyte a second, read as Claude Code's stream"}]},"session_id":"s"}"#;
    let script = format!(
        "import sys, time\nline = {line:?} + '\\n'\nchunk = line * (10240 // len(line))\n\
         end = time.time() + 25\nwhile time.time() < end:\n    sys.stdout.write(chunk)\n    sys.stdout.flush()\n    time.sleep(0.01)\n\
         open('out.md', 'w').write('done\\n')\n"
    );
    let py = data.path().join("stream.py");
    std::fs::write(&py, script).unwrap();
    start_streams(
        d.path(),
        data.path(),
        &format!("exec python3 {}", py.display()),
    );
    let mut a = app(d.path());
    let (tx, rx) = std::sync::mpsc::channel();
    let keys = tx.clone();
    let (frames_tx, frames) = std::sync::mpsc::channel();
    let (seen_tx, seen) = std::sync::mpsc::channel();
    let console = std::thread::spawn(move || {
        let backend = Timed {
            inner: TestBackend::new(200, 60),
            frames: frames_tx,
        };
        let mut term = Terminal::new(backend).unwrap();
        leash::ui::serve(&mut term, &mut a, leash::ui::TICK, Some(seen_tx), tx, rx).unwrap();
    });
    let key = |code| {
        leash::ui::Msg::Key(crossterm::event::KeyEvent::new(
            code,
            crossterm::event::KeyModifiers::NONE,
        ))
    };
    // The first frame, then a second for the streams to be flowing.
    frames.recv().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let (mut times, mut frames_seen) = (Vec::new(), 0usize);
    while seen.try_recv().is_ok() {}
    let start = Instant::now();
    let mut shown = false;
    while start.elapsed() < Duration::from_secs(15) {
        frames_seen += frames.try_iter().count();
        let t0 = Instant::now();
        keys.send(key(if shown {
            crossterm::event::KeyCode::Esc
        } else {
            crossterm::event::KeyCode::Char('?')
        }))
        .unwrap();
        shown = !shown;
        loop {
            let (at, help) = frames
                .recv_timeout(Duration::from_secs(5))
                .expect("a frame within 5 s of a key");
            frames_seen += 1;
            if help == shown && at >= t0 {
                times.push(at - t0);
                break;
            }
        }
        // Keys at a person's pace, not back to back.
        std::thread::sleep(Duration::from_millis(37));
    }
    let streaming = std::fs::read_to_string(d.path().join(".git/leash/journal.jsonl"))
        .unwrap_or_default()
        .matches("\"kind\":\"turn_finished\"")
        .count();
    let elapsed = start.elapsed();
    let refreshes = seen
        .try_iter()
        .filter(|s| matches!(s, leash::ui::Seen::Refreshed))
        .count();
    keys.send(key(crossterm::event::KeyCode::Char('q')))
        .unwrap();
    console.join().unwrap();
    println!(
        "keys: {} presses over {elapsed:.1?}, {frames_seen} frames, {refreshes} refreshes for new \
         output; turns finished meanwhile: {streaming} of 8",
        times.len(),
    );
    assert!(
        refreshes as f64 >= elapsed.as_secs_f64() * 10.0,
        "only {refreshes} refreshes in {elapsed:.1?}: the console was not following streaming output"
    );
    assert_eq!(
        streaming,
        0,
        "the turns finished while keys were measured: the figure would not be under streaming \
         (t1's output ends: {:?})",
        std::fs::read_to_string(d.path().join(".git/leash/turns/t1/output.log"))
            .map(|o| o.chars().rev().take(400).collect::<String>())
            .unwrap_or_default()
    );
    report("key -> screen (8 turns streaming ~1 MB/s each)", times);
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
    if wanted("keys") {
        bench_keys();
    }
}
