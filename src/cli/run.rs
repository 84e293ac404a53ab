//! `leash run`: start an isolated turn, in the foreground or detached.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::turns::{summary_line, turn_json};
use super::{CliResult, Failure, ReplayArgs, RunArgs, print_json};
use crate::agents::TurnSpec;
use crate::model::TurnState;
use crate::workspace::Workspace;
use crate::{say, tell};

/// Set in the environment of the re-executed, detached supervisor.
pub const DETACHED_ENV: &str = "LEASH_DETACHED_SUPERVISOR";

/// `leash run --detach`: re-runs this very command as a supervisor in a
/// session of its own (so it outlives this terminal), prints the id it
/// reports, and returns.
pub fn detach() -> CliResult {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find leash's binary: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.args(std::env::args_os().skip(1))
        .env(DETACHED_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe; the child leaves our session and
    // process group so a closing terminal does not take it down.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start the supervisor: {e}"))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .map_err(|e| format!("reading the supervisor's report: {e}"))?;
    let id = line.trim();
    if !id.is_empty() {
        say!("{id}");
        return Ok(0);
    }
    // The supervisor ended before creating the turn: pass on why.
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    for line in err.lines() {
        tell!("{line}");
    }
    Ok(status.code().unwrap_or(1))
}

/// Redirects stdout and stderr of this process to `path`.
fn redirect_output(path: &std::path::Path, fds: &[i32]) -> Result<(), Failure> {
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for &fd in fds {
        // SAFETY: dup2 onto a standard descriptor of our own process.
        if unsafe { libc::dup2(f.as_raw_fd(), fd) } < 0 {
            return Err(format!("redirecting output: {}", std::io::Error::last_os_error()).into());
        }
    }
    Ok(())
}

/// Creates the turn and supervises it to its end.
pub fn run(ws: &mut Workspace, a: RunArgs) -> CliResult {
    let spec = TurnSpec {
        task: a.task,
        agent: a.agent,
        risk: a.risk,
        title: a.title,
        prompt: a.prompt,
        command: a.command,
        timeout: a.timeout,
        base: a.base,
    };
    run_spec(ws, &spec, a.json)
}

/// `leash replay`: the turn's work again, as a new turn run like `leash run`.
pub fn replay(ws: &mut Workspace, a: ReplayArgs) -> CliResult {
    let spec = ws.replay_spec(&a.turn, a.on_head, a.prompt)?;
    run_spec(ws, &spec, a.json)
}

/// Creates the turn `spec` asks for and supervises it to its end.
fn run_spec(ws: &mut Workspace, spec: &TurnSpec, json: bool) -> CliResult {
    let id = ws.create_turn(spec)?;
    let detached = std::env::var_os(DETACHED_ENV).is_some();
    if detached {
        // From here on nobody reads our terminal output: keep it with the
        // turn, then tell the waiting parent the id.
        let log = ws.turn_dir(&id).join("supervisor.log");
        redirect_output(&log, &[2])?;
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{id}");
        let _ = out.flush();
        redirect_output(&log, &[1])?;
    } else if !json {
        say!("{id}");
        let _ = std::io::stdout().flush();
    }
    let state = ws.supervise(&id, spec)?;
    let turn = ws.turn(&id)?;
    if json {
        print_json(&turn_json(ws, turn));
    } else {
        tell!("{}", summary_line(ws, turn));
    }
    if let Some(w) = turn.confinement.as_ref().and_then(|c| c.warning.as_ref()) {
        super::out::notice("warning", &format!("{id}: {w}"));
    }
    for n in &ws.notices {
        super::out::notice("notice", n);
    }
    Ok(match state {
        TurnState::Failed | TurnState::Interrupted => 1,
        _ => 0,
    })
}

/// `leash shell -- CMD`: the command in this checkout, confined.
pub fn shell(ws: &Workspace, a: super::ShellArgs) -> CliResult {
    let plan = ws.shell_plan(&a.command)?;
    if let Some(p) = &plan.prepared {
        tell!(
            "leash shell: confined by Landlock ABI {}: it may write in the checkout except {}, \
             in its own temp dir, to devices and to the agent's state paths ({} paths in all); \
             a new file directly at the top of the checkout is refused",
            p.abi,
            crate::workspace::KEPT_OUT.join(", "),
            p.writable.len()
        );
    }
    if let Some(w) = &plan.warning {
        super::out::notice("warning", &format!("leash shell: {w}"));
    }
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    Ok(ws.run_shell(&a.command, &cwd, plan)?)
}
