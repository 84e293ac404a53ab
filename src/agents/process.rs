//! Process supervision: spawn an agent as argv (never through a shell) in
//! its own process group, stream its output to the turn's log, and end it
//! on timeout or cancellation — SIGTERM first, SIGKILL after a grace period.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::model::Exit;

/// How long the wait loop sleeps between looks at the cancel flag.
const TICK: Duration = Duration::from_millis(50);
/// How much of the end of the output is kept as the final message.
const TAIL: usize = 4096;

/// The ids of the processes `/proc` lists (none where there is no `/proc`).
pub fn pids() -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .collect()
}

/// Start time of a process in clock ticks since boot, from
/// `/proc/<pid>/stat`; together with the pid it names one process for good.
/// `None` for a zombie.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields are counted
    // after its closing parenthesis (field 3 is the state, 22 the start).
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// True when the process `pid` runs and is the one that started at `start`
/// (a pid reused by a later process does not count).
pub fn is_alive(pid: u32, start: Option<u64>) -> bool {
    if Path::new("/proc/self/stat").exists() {
        match (start_time(pid), start) {
            (Some(now), Some(then)) => now == then,
            (Some(_), None) => true,
            (None, _) => false,
        }
    } else {
        // SAFETY: kill with signal 0 only checks that the pid exists.
        unsafe { libc::kill(pid as i32, 0) == 0 }
    }
}

/// Ends what is left of an agent whose supervisor died: every process in
/// process group `pgid` that started no earlier than the agent did, so a
/// later, unrelated group that reused the number is never touched.
pub fn kill_orphans(pgid: u32, agent_start: Option<u64>) -> usize {
    let mut killed = 0;
    for pid in pids() {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let group = fields.get(2).and_then(|f| f.parse::<u32>().ok());
        let start = fields.get(19).and_then(|f| f.parse::<u64>().ok());
        let young_enough = match (agent_start, start) {
            (Some(a), Some(s)) => s >= a,
            _ => false,
        };
        if group == Some(pgid) && young_enough && signal_process(pid, libc::SIGKILL).is_ok() {
            killed += 1;
        }
    }
    killed
}

/// Sends `signal` to a whole process group; a group that is gone is fine.
pub fn signal_group(pgid: u32, signal: i32) {
    // SAFETY: kill on a negative pid addresses the group; no memory involved.
    unsafe {
        libc::kill(-(pgid as i32), signal);
    }
}

/// Sends `signal` to one process.
pub fn signal_process(pid: u32, signal: i32) -> std::io::Result<()> {
    // SAFETY: plain kill(2).
    if unsafe { libc::kill(pid as i32, signal) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// What to run and how.
pub struct Spawn<'a> {
    pub argv: &'a [String],
    pub cwd: &'a Path,
    pub env: Vec<(String, String)>,
    pub log: &'a Path,
    pub timeout: Option<Duration>,
    pub grace: Duration,
    /// Set (by a signal handler) to ask for cancellation.
    pub cancel: Arc<AtomicBool>,
    /// A Landlock ruleset built before the fork, enforced in the child
    /// just before `exec` (see `confine`'s module comment).
    pub confine: Option<super::confine::Prepared>,
}

/// How a supervised run ended.
#[derive(Debug, Clone)]
pub struct Finished {
    pub exit: Exit,
    /// The last few KiB of output, lossy UTF-8.
    pub tail: String,
    /// Whether the agent printed anything but whitespace.
    pub printed: bool,
}

/// Told what happens while an agent runs, on the supervising thread.
pub trait Observer {
    /// The agent process exists.
    fn started(&mut self, pid: u32, start: Option<u64>);
    /// One whole line the agent printed on stdout (for stream adapters).
    fn line(&mut self, line: &str);
    /// Whether the agent must be stopped now (a pass over its budget), as
    /// a cancelled one is; asked after every line and on every tick.
    fn stop(&mut self) -> bool {
        false
    }
}

enum Event {
    Line(String),
    Exited(std::io::Result<std::process::ExitStatus>),
}

/// Spawns the agent, reports its start and its stdout lines to `observer`,
/// and supervises it to the end. Output (stdout and stderr) goes to `log`.
pub fn run(spawn: Spawn<'_>, observer: &mut dyn Observer) -> std::io::Result<Finished> {
    let (program, args) = spawn
        .argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("the agent command is empty"))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(spawn.cwd)
        // A supervisor started detached is told so by its environment; the
        // agent (and any `leash` it runs) is not that supervisor.
        .env_remove(super::detached::DETACHED_ENV)
        .envs(spawn.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe; it makes the agent get SIGTERM if
    // its supervisor dies, so a killed supervisor leaves no agent behind.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    if let Some(prepared) = spawn.confine {
        let mut slot = Some(prepared);
        // SAFETY: the ruleset was built (paths opened, memory allocated)
        // before the fork; here the child only takes it out of its slot and
        // calls `enforce`, i.e. prctl(PR_SET_NO_NEW_PRIVS) and
        // landlock_restrict_self — async-signal-safe system calls, with no
        // allocation on either the success or the error path. A failure
        // makes the spawn fail: the agent never runs unconfined by mistake.
        unsafe {
            cmd.pre_exec(move || match slot.take() {
                Some(p) => p.enforce(),
                None => Ok(()),
            });
        }
    }
    let log = Arc::new(Mutex::new(
        File::options().create(true).append(true).open(spawn.log)?,
    ));
    let mut child = cmd
        .spawn()
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot start `{program}`: {e}")))?;
    let pid = child.id();
    observer.started(pid, start_time(pid));
    let (tx, rx) = channel::<Event>();

    let tail = Arc::new(Mutex::new(Vec::<u8>::new()));
    let printed = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .enumerate()
    .map(|(i, mut stream)| {
        let (log, tail, printed) = (log.clone(), tail.clone(), printed.clone());
        // Only stdout carries an agent's stream; stderr is just logged.
        let lines = (i == 0).then(|| tx.clone());
        thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            let mut pending: Vec<u8> = Vec::new();
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let chunk = &buf[..n];
                if let Some(tx) = &lines {
                    pending.extend_from_slice(chunk);
                    while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=i).collect();
                        let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
                        let _ = tx.send(Event::Line(text));
                    }
                }
                if let Ok(mut f) = log.lock() {
                    let _ = f.write_all(chunk);
                }
                if chunk.iter().any(|b| !b.is_ascii_whitespace()) {
                    printed.store(true, Ordering::Relaxed);
                }
                if let Ok(mut t) = tail.lock() {
                    t.extend_from_slice(chunk);
                    let excess = t.len().saturating_sub(TAIL);
                    t.drain(..excess);
                }
            }
            if let Some(tx) = &lines
                && !pending.is_empty()
            {
                let _ = tx.send(Event::Line(String::from_utf8_lossy(&pending).into_owned()));
            }
        })
    })
    .collect();

    let waiter = {
        let tx = tx.clone();
        thread::spawn(move || {
            let _ = tx.send(Event::Exited(child.wait()));
        })
    };
    drop(tx);
    let begun = Instant::now();
    let mut ending: Option<(Exit, Instant)> = None;
    let status = loop {
        match rx.recv_timeout(TICK) {
            Ok(Event::Exited(status)) => break status?,
            Ok(Event::Line(line)) => observer.line(&line),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(std::io::Error::other("lost the agent's wait thread"));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        match ending {
            None => {
                let why = if spawn.cancel.load(Ordering::Relaxed) {
                    Some(Exit::Cancelled)
                } else if spawn.timeout.is_some_and(|t| begun.elapsed() >= t) {
                    Some(Exit::TimedOut)
                } else if observer.stop() {
                    Some(Exit::Cancelled)
                } else {
                    None
                };
                if let Some(why) = why {
                    signal_group(pid, libc::SIGTERM);
                    ending = Some((why, Instant::now() + spawn.grace));
                }
            }
            Some((_, deadline)) if Instant::now() >= deadline => {
                signal_group(pid, libc::SIGKILL);
            }
            Some(_) => {}
        }
    };
    let _ = waiter.join();
    // Whatever the agent left running in its group would go on writing to
    // the worktree and hold the output pipes open: the turn is over.
    signal_group(pid, libc::SIGKILL);
    for r in readers {
        let _ = r.join();
    }
    // The last lines may have arrived after the exit was seen.
    while let Ok(ev) = rx.try_recv() {
        if let Event::Line(line) = ev {
            observer.line(&line);
        }
    }
    let exit = match ending {
        Some((why, _)) => why,
        None => match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(sig)) => Exit::Signal(sig),
            (None, None) => Exit::Code(-1),
        },
    };
    let tail =
        String::from_utf8_lossy(&tail.lock().map(|t| t.clone()).unwrap_or_default()).into_owned();
    Ok(Finished {
        exit,
        tail,
        printed: printed.load(Ordering::Relaxed),
    })
}
