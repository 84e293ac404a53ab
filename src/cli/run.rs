//! `leash run`: start an isolated turn, in the foreground or detached.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::AsRawFd;

use super::turns::{summary_line, turn_json};
use super::{CliResult, Failure, ReplayArgs, RunArgs, print_json};
use crate::model::TurnState;
use crate::model::{FollowHow, TurnSpec};
use crate::workspace::Workspace;
use crate::workspace::detached;
use crate::{say, tell};

/// `leash run --detach` and `leash replay --detach`: starts the turn under
/// a detached supervisor (the library's one way to do it), prints its id,
/// and returns.
pub fn detach(dir: &std::path::Path, command: super::Command) -> CliResult {
    let (root, spec) = match command {
        super::Command::Run(a) => {
            if let Some(task) = &a.task
                && super::open(dir)?.is_pipeline(task)
            {
                // The run's supervisor is `leash run --task` itself, run
                // detached like a turn's; it reports the run's id.
                refuse_for_pipeline(task, &a)?;
            }
            (dir.to_path_buf(), spec_of(a))
        }
        super::Command::Replay(a) => {
            let ws = super::open(dir)?;
            let spec = ws.replay_spec(&a.turn, a.on_head, a.prompt)?;
            (ws.root().to_path_buf(), spec)
        }
        _ => unreachable!("only run and replay detach"),
    };
    detach_spec(&root, &spec)
}

/// Starts the turn `spec` asks for under a detached supervisor, prints its
/// id, and returns.
pub(super) fn detach_spec(root: &std::path::Path, spec: &TurnSpec) -> CliResult {
    match detached::start(root, spec) {
        Ok(id) => {
            say!("{id}");
            Ok(0)
        }
        Err(n) => {
            for (kind, text) in &n.notices {
                super::out::notice(kind, text);
            }
            Err(Failure {
                code: n.code,
                message: n.message,
                kind: n.kind.into(),
            })
        }
    }
}

/// Redirects stdout and stderr of this process to `path`.
pub(super) fn redirect_output(path: &std::path::Path, fds: &[i32]) -> Result<(), Failure> {
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
    let json = a.json;
    if let Some(task) = a.task.as_deref().filter(|t| ws.is_pipeline(t)) {
        refuse_for_pipeline(task, &a)?;
        return super::pipeline::run_task(ws, task, json);
    }
    run_spec(ws, &spec_of(a), json)
}

/// What `leash run --task` of a pipeline does not take: each pass brings
/// its own agent, prompt, risk and base.
fn refuse_for_pipeline(task: &str, a: &RunArgs) -> Result<(), Failure> {
    let given = [
        ("--agent", a.agent.is_some()),
        ("--prompt", a.prompt.is_some()),
        ("--risk", a.risk.is_some()),
        ("--title", a.title.is_some()),
        ("--timeout", a.timeout.is_some()),
        ("--base", a.base.is_some()),
        ("a command after `--`", !a.command.is_empty()),
    ];
    match given.iter().find(|(_, g)| *g) {
        Some((what, _)) => Err(Failure::usage(format!(
            "task `{task}` is a pipeline: its passes bring their own agents and prompts, so \
             `leash run --task {task}` takes no {what}"
        ))),
        None => Ok(()),
    }
}

/// The turn `leash run`'s arguments ask for.
fn spec_of(a: RunArgs) -> TurnSpec {
    TurnSpec {
        task: a.task,
        agent: a.agent,
        risk: a.risk,
        title: a.title,
        prompt: a.prompt,
        command: a.command,
        timeout: a.timeout,
        base: a.base,
        follows: match (a.revises, a.resumes) {
            (Some(t), _) => Some((FollowHow::Revise, t)),
            (None, Some(t)) => Some((FollowHow::Resume, t)),
            (None, None) => None,
        },
    }
}

/// `leash replay`: the turn's work again, as a new turn run like `leash run`.
pub fn replay(ws: &mut Workspace, a: ReplayArgs) -> CliResult {
    let spec = ws.replay_spec(&a.turn, a.on_head, a.prompt)?;
    run_spec(ws, &spec, a.json)
}

/// Creates the turn `spec` asks for and supervises it to its end.
pub(super) fn run_spec(ws: &mut Workspace, spec: &TurnSpec, json: bool) -> CliResult {
    let id = ws.create_turn(spec)?;
    let detached = std::env::var_os(detached::DETACHED_ENV).is_some();
    if detached {
        // From here on nobody reads our terminal output: keep it with the
        // turn (as text, for a person), then tell the waiting parent the id.
        let log = ws.turn_dir(&id).join("supervisor.log");
        redirect_output(&log, &[2])?;
        super::out::set_json(false);
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
    for n in ws.notices() {
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{Cli, Command};
    use super::*;

    /// The arguments the library gives a detached supervisor are read back
    /// by `leash run` as the very spec they came from.
    #[test]
    fn the_detached_supervisors_arguments_are_read_back_as_the_same_spec() {
        let spec = TurnSpec {
            task: Some("note".into()),
            agent: Some("claude".into()),
            risk: Some(crate::model::RiskClass::Medium),
            title: Some("--not-a-flag".into()),
            prompt: Some("-x\nsecond line, 'quoted' \"too\"".into()),
            timeout: Some(std::time::Duration::from_millis(90_500)),
            base: Some("0123abc".into()),
            follows: Some((FollowHow::Revise, "t2".into())),
            command: vec!["sh".into(), "-c".into(), "echo -- --json".into()],
        };
        let root = std::path::Path::new("/some where/repo");
        let args = detached::supervisor_args(root, &spec);
        let cli = Cli::try_parse_from(std::iter::once("leash".into()).chain(args))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.repo.as_deref(), Some(root));
        let Some(Command::Run(a)) = cli.command else {
            panic!("not `leash run`: {:?}", cli.command);
        };
        assert!(a.detach && !a.json);
        assert_eq!(spec_of(a), spec);
    }
}
