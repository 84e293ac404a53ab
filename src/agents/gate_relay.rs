//! The hook gate of a confined turn, answered outside the sandbox.
//!
//! An agent runs its hooks (`leash hook claude|codex`) as its own children,
//! so inside its Landlock domain, where leash's journal is out of reach: a
//! gate there could not record the action it decides. So the supervisor of
//! a confined turn listens on a Unix socket in a directory of its own
//! (never writable to the agent, so the agent cannot put a listener of its
//! own in its place), and `leash hook` inside the turn hands its input to
//! it (`LEASH_GATE_SOCKET`); the supervisor runs the gate — the same
//! function `leash hook` calls, handed in as a [`Gate`] — and sends the
//! answer back. Landlock does not mediate
//! connecting to a named socket, only creating one.
//!
//! Wire format, both ways over one connection:
//! - hook → supervisor: `claude|codex\n`, the project dir (one line, may
//!   be empty), then the hook's input up to the end of the stream;
//! - supervisor → hook: the exit code (one line), the byte length of
//!   stdout (one line), stdout, then stderr up to the end of the stream.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::hook_answer::{self, Answer, Dialect, GateEnv};

/// The variable that tells `leash hook` where its turn's gate listens.
pub const SOCKET_ENV: &str = "LEASH_GATE_SOCKET";

/// Longest hook input relayed (the gate reads no more either way).
const INPUT_MAX: u64 = 16 << 20;

/// The gate that answers a hook call (the workspace's, handed in by the
/// supervisor: this module only carries calls to it and answers back).
pub type Gate = fn(Dialect, &[u8], &GateEnv) -> Answer;

/// A listening gate; stops (and removes its directory) when dropped.
pub struct Relay {
    dir: PathBuf,
    pub socket: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    /// Listens for the hooks of `turn` in workspace `root`; `worktree` is
    /// the project dir when a hook names none.
    /// Its directory is [`dir_for`] the turn's temp dir `tmp`, so that
    /// recovery finds it after a killed supervisor.
    pub fn start(
        gate: Gate,
        root: &Path,
        turn: &str,
        worktree: &Path,
        tmp: &Path,
    ) -> std::io::Result<Relay> {
        let dir = dir_for(tmp).ok_or_else(|| {
            std::io::Error::other(format!("{} is not a turn's temp dir", tmp.display()))
        })?;
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        Relay::listen_in(
            gate,
            dir,
            GateEnv {
                workspace: Some(root.to_path_buf()),
                turn: Some(turn.to_string()),
                project_dir: Some(worktree.to_path_buf()),
                poll: Duration::from_millis(100),
                confined: None,
            },
        )
    }

    /// Listens for hook calls answered with `base` (the project dir of each
    /// call is the one the hook names, else `base`'s).
    pub fn with_env(gate: Gate, base: GateEnv) -> std::io::Result<Relay> {
        let dir = tempfile::Builder::new().prefix("leash-gate-").tempdir()?;
        Relay::listen_in(gate, dir.keep(), base)
    }

    /// Listens in `dir`, a new directory of this process's own (removed,
    /// with the socket, when the relay is dropped).
    fn listen_in(gate: Gate, dir: PathBuf, base: GateEnv) -> std::io::Result<Relay> {
        let socket = dir.join("gate.sock");
        let listener = match UnixListener::bind(&socket) {
            Ok(l) => l,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let env = base.clone();
                            std::thread::spawn(move || {
                                let _ = serve(gate, stream, env);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        Ok(Relay {
            dir,
            socket,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The gate directory of the turn whose temp dir is `tmp`
/// (`<temp>/leash-<turn>-<random>` → `<temp>/leash-gate-<turn>-<random>`):
/// beside it, not in it, since the agent may write in its temp dir.
pub fn dir_for(tmp: &Path) -> Option<PathBuf> {
    let name = tmp.file_name()?.to_str()?.strip_prefix("leash-")?;
    Some(tmp.parent()?.join(format!("leash-gate-{name}")))
}

/// Answers one hook call.
fn serve(gate: Gate, stream: UnixStream, mut env: GateEnv) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut agent = String::new();
    reader.read_line(&mut agent)?;
    let dialect = match agent.trim_end() {
        "claude" => Dialect::Claude,
        "codex" => Dialect::Codex,
        _ => return Ok(()),
    };
    let mut project = String::new();
    reader.read_line(&mut project)?;
    let project = project.trim_end_matches('\n');
    if !project.is_empty() {
        env.project_dir = Some(PathBuf::from(project));
    }
    let mut input = Vec::new();
    reader.take(INPUT_MAX).read_to_end(&mut input)?;
    let answer = std::panic::catch_unwind(|| gate(dialect, &input, &env))
        .unwrap_or_else(|_| hook_answer::handle_panic(dialect, &input));
    let mut out = stream;
    write!(out, "{}\n{}\n", answer.code, answer.stdout.len())?;
    out.write_all(answer.stdout.as_bytes())?;
    out.write_all(answer.stderr.as_bytes())?;
    out.flush()
}

/// What a relayed hook call answered.
pub struct Relayed {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Hands a hook call to the turn's gate at `socket` (from `leash hook`
/// inside a confined turn).
pub fn call(
    socket: &Path,
    agent: &str,
    project_dir: Option<&Path>,
    input: &[u8],
) -> std::io::Result<Relayed> {
    let mut s = UnixStream::connect(socket)?;
    let project = project_dir
        .map(|p| p.display().to_string().replace('\n', ""))
        .unwrap_or_default();
    write!(s, "{agent}\n{project}\n")?;
    s.write_all(input)?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let code: i32 = line
        .trim()
        .parse()
        .map_err(|_| std::io::Error::other("the gate's answer has no exit code"))?;
    line.clear();
    reader.read_line(&mut line)?;
    let len: usize = line
        .trim()
        .parse()
        .map_err(|_| std::io::Error::other("the gate's answer has no length"))?;
    let mut stdout = vec![0u8; len];
    reader.read_exact(&mut stdout)?;
    let mut stderr = Vec::new();
    reader.read_to_end(&mut stderr)?;
    Ok(Relayed {
        code,
        stdout,
        stderr,
    })
}
