//! What history costs: a hook, `leash turns --json` and the console's first
//! screen on journals of 10 000, 100 000 and 1 000 000 events, and a hook on
//! an in-place turn of 10 000 and 20 000 actions — each in a fresh process,
//! wall time and peak memory (`wait4`'s `ru_maxrss`).
//!
//! `cargo bench --bench history` (or `-- 10k`, `-- 100k`, `-- 1m`,
//! `-- actions` for one part).

// A bench prints its own figures; no agent text passes through it.
#![allow(clippy::disallowed_macros)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use leash::event::{ActionDecision, Event, Needs};
use leash::journal::{Record, VERSION};
use leash::model::{DecidedBy, RiskClass, TurnKind};

const MIN_SAMPLES: usize = 5;

/// Hooks measured per journal: enough for the journal to pass several fold
/// snapshots (a Read and its PostToolUse add three events; a snapshot is
/// saved every 40), so the figure covers a tail's whole cycle, not only the
/// short tails just after the snapshot the first open saved.
const HOOKS: usize = 150;

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
    let init = Command::new(env!("CARGO_BIN_EXE_leash"))
        .arg("init")
        .current_dir(d.path())
        .env("LEASH_DATA_DIR", d.path().join(".data"))
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    git(d.path(), &["add", "-A"]);
    git(d.path(), &["commit", "-q", "-m", "leash init"]);
    d
}

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Writes journal lines as leash does.
struct Writer {
    out: std::io::BufWriter<std::fs::File>,
    seq: u64,
}

impl Writer {
    fn new(root: &Path) -> Writer {
        let dir = root.join(".git/leash");
        std::fs::create_dir_all(&dir).unwrap();
        let file = std::fs::File::create(dir.join("journal.jsonl")).unwrap();
        Writer {
            out: std::io::BufWriter::new(file),
            seq: 0,
        }
    }

    fn put(&mut self, event: Event) {
        self.seq += 1;
        let r = Record {
            v: VERSION,
            seq: self.seq,
            ts: "2026-11-30T12:00:00.000Z".into(),
            event,
        };
        serde_json::to_writer(&mut self.out, &r).unwrap();
        self.out.write_all(b"\n").unwrap();
    }

    fn created(&mut self, turn: &str, kind: TurnKind, session: Option<&str>) {
        self.put(Event::TurnCreated {
            turn: turn.into(),
            task: None,
            agent: "claude".into(),
            turn_kind: kind,
            risk: RiskClass::Low,
            base: Some(COMMIT.into()),
            branch: Some("main".into()),
            command: None,
            prompt: Some(format!("write the notes for {turn}")),
            title: format!("write the notes for {turn}"),
            deliverable: None,
            autonomy: None,
            supervisor_pid: None,
            supervisor_start: None,
            session: session.map(str::to_string),
            policy: None,
            worktree: None,
        });
    }

    fn action(&mut self, turn: &str, a: usize) {
        let action = format!("{turn}.a{a}");
        let path = format!("notes/{turn}-{a}.md");
        self.put(Event::ActionRequested {
            turn: turn.into(),
            action: action.clone(),
            tool: "Write".into(),
            summary: format!("Write {path}"),
            input: serde_json::json!({"file_path": path, "content": "a note of a few words\n"}),
            risk: RiskClass::Low,
            needs: Needs::None,
            tool_use_id: Some(format!("toolu_{turn}_{a}")),
        });
        self.put(Event::ActionDecided {
            action: action.clone(),
            decision: ActionDecision::Allow,
            by: DecidedBy::Policy,
            reason: Some("low = auto".into()),
            receipt: None,
        });
        self.put(Event::ActionDone {
            action,
            ok: true,
            paths_read: vec![],
            paths_written: vec![path.clone()],
            urls: vec![],
            sources: vec![],
            unknown_reads: vec![],
            written: vec![leash::provenance::Written {
                path,
                blob: Some(COMMIT.into()),
            }],
        });
    }

    /// A turn as a day's work leaves them: twenty actions, finished,
    /// decided and landed — 66 events.
    fn landed(&mut self, n: usize) {
        let turn = format!("t{n}");
        self.created(&turn, TurnKind::Isolated, None);
        for a in 1..=20 {
            self.action(&turn, a);
        }
        self.put(Event::TurnFinished {
            turn: turn.clone(),
            exit: Some(0),
            signal: None,
            failure: None,
            commit: Some(COMMIT.into()),
            files_changed: 20,
            insertions: 20,
            deletions: 0,
            // The level that applied, as leash journals it at a turn's end.
            autonomy: Some(leash::model::AutonomyLevel::Auto),
            reason: "low = auto".into(),
            paths: (1..=20).map(|a| format!("notes/{turn}-{a}.md")).collect(),
            message_empty: false,
            citations: vec![],
        });
        self.put(Event::TurnDecided {
            turn: turn.clone(),
            decision: leash::model::Decision::Approve,
            by: DecidedBy::Policy,
            reason: None,
            partial: None,
            receipt: None,
        });
        self.put(Event::TurnLanded {
            turn,
            commit: COMMIT.into(),
            drift_from: None,
        });
    }

    /// A Claude session with a running in-place turn of `actions` actions.
    fn live_session(&mut self, turn: &str, actions: usize) {
        self.put(Event::SessionStarted {
            session: "bench-session".into(),
            agent: "claude".into(),
            cwd: None,
            transcript: None,
            confined: None,
        });
        self.created(turn, TurnKind::InPlace, Some("bench-session"));
        for a in 1..=actions {
            self.action(turn, a);
        }
    }

    fn finish(mut self) -> u64 {
        self.out.flush().unwrap();
        self.seq
    }
}

/// A workspace whose journal holds about `events` events of landed turns,
/// then a live session (its in-place turn has `actions` actions).
fn workspace(events: u64, actions: usize) -> (tempfile::TempDir, u64, usize) {
    let d = repo();
    let mut w = Writer::new(d.path());
    let mut n = 0;
    while w.seq + 66 <= events.saturating_sub(3 * actions as u64 + 2) {
        n += 1;
        w.landed(n);
    }
    w.live_session(&format!("t{}", n + 1), actions);
    let seq = w.finish();
    // Each landed isolated turn keeps its ref, as leash leaves them: one
    // loose file per turn under `refs/leash/turns/`.
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(d.path())
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap();
    let refs = d.path().join(".git/refs/leash/turns");
    std::fs::create_dir_all(&refs).unwrap();
    for t in 1..=n {
        std::fs::write(refs.join(format!("t{t}")), &head).unwrap();
    }
    (d, seq, n + 1)
}

/// Room for what a measured process prints (`turns --json` at 1M events
/// writes 24 MB).
const OUTPUT_ROOM: usize = 64 << 20;

thread_local! {
    /// That room, made once and kept.
    static OUTPUT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn leash(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leash"));
    c.current_dir(dir)
        .env("LEASH_DATA_DIR", dir.join(".data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs `cmd` with `input` through a fresh process of this bench
/// (`--measure`), which waits for it with `wait4`: wall time, peak RSS in
/// KiB, and what it printed. (Linux keeps a process's peak RSS across
/// `exec`, so a child forked straight from this bench — big with the
/// journals it wrote and read — would report the bench's peak; the
/// launcher is small.)
fn measure(cmd: Command, input: &str) -> (Duration, u64, Vec<u8>) {
    let mut launcher = Command::new(std::env::current_exe().unwrap());
    launcher
        .arg("--measure")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .current_dir(cmd.get_current_dir().unwrap_or(Path::new(".")))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => launcher.env(k, v),
            None => launcher.env_remove(k),
        };
    }
    // The output is read into room made (and faulted in) before the run:
    // a reader growing its buffer as 24 MB arrive would be measured, not
    // leash, whose writes wait on the reader once the pipe is full.
    let mut room = OUTPUT.with(|room| std::mem::take(&mut *room.borrow_mut()));
    if room.len() < OUTPUT_ROOM {
        room = vec![1; OUTPUT_ROOM];
    }
    let mut child = launcher.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut err = Vec::new();
        stderr_pipe.read_to_end(&mut err).unwrap();
        err
    });
    // Read as `cat` does, as much as the pipe holds at a time
    // (`read_to_end` starts at 8 KiB a read and grows only when a read
    // fills its request, which a pipe's seldom does).
    let mut pipe = child.stdout.take().unwrap();
    let mut len = 0;
    loop {
        let n = pipe.read(&mut room[len..]).unwrap();
        if n == 0 {
            break;
        }
        len += n;
        assert!(
            len < room.len(),
            "{cmd:?} printed more than {OUTPUT_ROOM} bytes"
        );
    }
    child.wait().unwrap();
    let stderr = stderr.join().unwrap();
    let printed = room[..len].to_vec();
    OUTPUT.with(|kept| *kept.borrow_mut() = room);
    let err = String::from_utf8_lossy(&stderr);
    let last = err.lines().last().unwrap_or("");
    let f: Vec<u64> = last
        .strip_prefix("MEASURED ")
        .unwrap_or_else(|| panic!("{cmd:?}: {err}"))
        .split(' ')
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(f[2] <= 1, "{cmd:?} failed: {err}");
    (Duration::from_micros(f[0]), f[1], printed)
}

/// The launcher: runs its arguments as a command (stdin, stdout and
/// stderr passed through) and prints `MEASURED <wall µs> <peak RSS KiB>
/// <exit code>` last on stderr.
fn launch(args: &[String]) {
    let start = Instant::now();
    let mut child = Command::new(&args[0]).args(&args[1..]).spawn().unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and not yet waited for; both out-pointers
    // are valid.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(pid, child.id() as i32);
    // Reaped by `wait4` above; this only tells `Child` so.
    let _ = child.try_wait();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status) as u64
    } else {
        99
    };
    eprintln!("MEASURED {} {} {code}", wall.as_micros(), usage.ru_maxrss);
}

fn report(what: &str, mut times: Vec<Duration>, rss: &[u64]) {
    times.sort();
    let n = times.len();
    assert!(
        n >= MIN_SAMPLES,
        "{what}: only {n} samples (at least {MIN_SAMPLES} needed)"
    );
    let pick = |q: f64| times[((n as f64 * q) as usize).min(n - 1)];
    let peak = rss.iter().max().copied().unwrap_or(0);
    println!(
        "{what:<44} n={n:<3} p50={:>9.2?} p99={:>9.2?} max={:>9.2?}  peak RSS {:>6.1} MiB",
        pick(0.5),
        pick(0.99),
        times[n - 1],
        peak as f64 / 1024.0
    );
}

fn hook_input(root: &Path, n: usize) -> String {
    serde_json::json!({
        "session_id": "bench-session",
        "hook_event_name": "PreToolUse",
        "tool_name": "Read",
        "tool_input": {"file_path": root.join("README.md")},
        "tool_use_id": format!("toolu_bench_{n}"),
        "cwd": root,
    })
    .to_string()
}

/// The agent's PostToolUse for the Read `n`: the action is done, as it
/// would be in a session (unmeasured; a turn does not pile up open reads).
fn read_done(root: &Path, n: usize) {
    let input = serde_json::json!({
        "session_id": "bench-session",
        "hook_event_name": "PostToolUse",
        "tool_name": "Read",
        "tool_input": {"file_path": root.join("README.md")},
        "tool_response": {"type": "text", "file": {"filePath": root.join("README.md"), "content": "bench\n"}},
        "tool_use_id": format!("toolu_bench_{n}"),
        "cwd": root,
    })
    .to_string();
    let mut cmd = leash(root);
    cmd.args(["hook", "claude"]).stdin(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
}

fn hooks(label: &str, root: &Path, samples: usize) {
    // One hook first, unmeasured: the binary's pages come from disk once.
    let mut cmd = leash(root);
    cmd.args(["hook", "claude"]);
    measure(cmd, &hook_input(root, usize::MAX));
    read_done(root, usize::MAX);
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for i in 0..samples {
        let mut cmd = leash(root);
        cmd.args(["hook", "claude"]);
        let (t, r, out) = measure(cmd, &hook_input(root, i));
        if std::env::var_os("HISTORY_EACH").is_some() {
            println!("    hook {i}: {t:.2?}");
        }
        let answer = String::from_utf8_lossy(&out);
        assert!(
            answer.contains("allow"),
            "the hook allowed the read: {answer}"
        );
        read_done(root, i);
        times.push(t);
        rss.push(r);
    }
    report(label, times, &rss);
}

fn history(label: &str, events: u64) {
    let (d, seq, turns) = workspace(events, 5);
    let root = d.path().canonicalize().unwrap();
    if std::env::var_os("HISTORY_KEEP").is_some() {
        println!("kept: {}", root.display());
        std::mem::forget(d);
    }
    let size = std::fs::metadata(root.join(".git/leash/journal.jsonl"))
        .unwrap()
        .len();
    println!(
        "journal of {seq} events ({turns} turns, {:.1} MiB):",
        size as f64 / (1 << 20) as f64
    );
    // The first process folds it all and saves the snapshot.
    let mut cmd = leash(&root);
    cmd.args(["turns", "--json"]);
    let (t, r, out) = measure(cmd, "");
    let listed: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), turns);
    println!(
        "  first open (no snapshot yet: folds all {seq} events): {t:.2?}, peak RSS {:.1} MiB",
        r as f64 / 1024.0
    );
    // The journal and the snapshot just written are flushed before
    // anything is measured, as a journal at rest would be: the kernel's
    // writeback of hundreds of megabytes competed with the figures.
    // SAFETY: sync takes no arguments and cannot fail.
    unsafe { libc::sync() };
    hooks(&format!("  {label}: hook, auto-allowed Read"), &root, HOOKS);
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..10 {
        let mut cmd = leash(&root);
        cmd.args(["turns", "--json"]);
        let (t, r, out) = measure(cmd, "");
        let listed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(listed.as_array().unwrap().len(), turns);
        times.push(t);
        rss.push(r);
    }
    report(&format!("  {label}: leash turns --json"), times, &rss);
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..10 {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--console-once", root.to_str().unwrap()]);
        let (_, r, out) = measure(cmd, "");
        let text = String::from_utf8_lossy(&out);
        let micros: u64 = text.trim().parse().unwrap_or_else(|_| panic!("{text}"));
        times.push(Duration::from_micros(micros));
        rss.push(r);
    }
    report(
        &format!("  {label}: console, first full screen"),
        times,
        &rss,
    );
}

/// In a process of its own: open the console on `root` and draw its first
/// 200×60 screen; prints the microseconds it took.
fn console_once(root: &Path) {
    let start = Instant::now();
    let (ws, _) = leash::workspace::Workspace::open_lenient(root).unwrap();
    if std::env::var_os("HISTORY_PHASES").is_some() {
        eprintln!("open {:?}", start.elapsed());
    }
    let mut app = leash::ui::app::App::new(
        ws,
        leash::ui::keymap::Keymap::builtin("default").unwrap(),
        leash::ui::theme::Theme::builtin("dark").unwrap(),
        leash::ui::settings::UserSettings::default(),
        Vec::new(),
    );
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 60)).unwrap();
    let mut drawn = None;
    term.draw(|f| drawn = Some(leash::ui::views::draw(f, &app)))
        .unwrap();
    app.on_drawn(drawn.unwrap());
    let elapsed = start.elapsed();
    if std::env::var_os("HISTORY_PHASES").is_some() {
        eprintln!("drawn {elapsed:?}");
    }
    let screen = format!("{:?}", term.backend().buffer());
    assert!(screen.contains("write the notes"), "the turns are listed");
    println!("{}", elapsed.as_micros());
}

fn actions() {
    for actions in [10_000, 20_000] {
        let (d, seq, _) = workspace(0, actions);
        let root = d.path().canonicalize().unwrap();
        if std::env::var_os("HISTORY_KEEP").is_some() {
            println!("kept: {}", root.display());
            std::mem::forget(d);
        }
        println!("journal of {seq} events: one in-place turn of {actions} actions");
        let mut cmd = leash(&root);
        cmd.args(["turns", "--json"]);
        measure(cmd, "");
        // SAFETY: as in `history`.
        unsafe { libc::sync() };
        hooks(
            &format!("  hook on a turn of {actions} actions"),
            &root,
            HOOKS,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        launch(&args[1..]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--console-once") {
        console_once(Path::new(&args[i + 1]));
        return;
    }
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| *o == name);
    if wanted("10k") {
        history("10k events", 10_000);
    }
    if wanted("100k") {
        history("100k events", 100_000);
    }
    if wanted("1m") {
        history("1M events", 1_000_000);
    }
    if wanted("actions") {
        actions();
    }
}
