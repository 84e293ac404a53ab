//! Starting a detached turn: one function for every front (`leash run
//! --detach`, the console's new-turn form, the demo). The turn's supervisor
//! is the `leash` binary itself, run as `leash --repo ROOT run …` in a
//! session of its own (so it outlives the terminal and the console that
//! started it); it reports the new turn's id on its first line of stdout,
//! then keeps its output with the turn. The argument list is built here,
//! from a [`TurnSpec`], and nowhere else.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::model::TurnSpec;

/// Set in the environment of the detached supervisor: `leash run` then
/// reports its failures as JSON on stderr (read back by [`start`]) and,
/// once the turn exists, keeps its output with the turn.
pub const DETACHED_ENV: &str = "LEASH_DETACHED_SUPERVISOR";

static LEASH_BINARY: OnceLock<PathBuf> = OnceLock::new();

/// Names the `leash` binary that new turns are started with, for a process
/// that is not itself `leash` (the test suites). Set once; later calls are
/// ignored.
pub fn set_leash_binary(path: PathBuf) {
    let _ = LEASH_BINARY.set(path);
}

fn leash_binary() -> Result<PathBuf, NotStarted> {
    match LEASH_BINARY.get() {
        Some(p) => Ok(p.clone()),
        None => std::env::current_exe()
            .map_err(|e| NotStarted::new(format!("cannot find leash's binary: {e}"))),
    }
}

/// The `leash run` arguments (after `run`) that ask for `spec`. Values are
/// joined to their flag (`--prompt=-x`), so one that begins with `-` is
/// still read as the value.
pub fn run_args(spec: &TurnSpec) -> Vec<String> {
    let mut a = Vec::new();
    let mut opt = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            a.push(format!("{k}={v}"));
        }
    };
    opt("--task", &spec.task);
    opt("--agent", &spec.agent);
    opt("--title", &spec.title);
    opt("--prompt", &spec.prompt);
    opt("--base", &spec.base);
    if let Some((how, parent)) = &spec.follows {
        let flag = match how {
            crate::model::FollowHow::Revise => "--revises",
            crate::model::FollowHow::Resume => "--resumes",
        };
        a.push(format!("{flag}={parent}"));
    }
    if let Some(r) = spec.risk {
        a.push(format!("--risk={r}"));
    }
    if let Some(t) = spec.timeout {
        a.push(format!("--timeout={}", humantime::format_duration(t)));
    }
    if !spec.command.is_empty() {
        a.push("--".into());
        a.extend(spec.command.iter().cloned());
    }
    a
}

/// The whole argument list of the detached supervisor of `spec` in the
/// workspace at `root`.
pub fn supervisor_args(root: &Path, spec: &TurnSpec) -> Vec<OsString> {
    let mut a: Vec<OsString> = vec![
        "--repo".into(),
        root.into(),
        "run".into(),
        "--detach".into(),
    ];
    a.extend(run_args(spec).into_iter().map(OsString::from));
    a
}

/// Why a detached turn was not started: what the supervisor said before it
/// ended without creating the turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotStarted {
    /// The supervisor's exit status (1 when it had none).
    pub code: i32,
    /// One word for scripts, as `--json` errors give it (`refused`, …).
    pub kind: String,
    pub message: String,
    /// What it told before failing: (`notice` or `warning`, text).
    pub notices: Vec<(String, String)>,
}

impl NotStarted {
    fn new(message: String) -> NotStarted {
        NotStarted {
            code: 1,
            kind: "error".into(),
            message,
            notices: Vec::new(),
        }
    }

    /// Reads the supervisor's stderr: JSON lines (`{"error", "kind",
    /// "code"}`, `{"notice"}`, `{"warning"}`); any other line is kept as
    /// text in the message.
    fn read(stderr: &str, status: Option<i32>) -> NotStarted {
        let mut out = NotStarted::new(String::new());
        out.code = status.filter(|&c| c != 0).unwrap_or(1);
        let mut text = Vec::new();
        for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = match serde_json::from_str(line) {
                Ok(v @ serde_json::Value::Object(_)) => v,
                _ => {
                    text.push(line.trim().trim_start_matches("leash: ").to_string());
                    continue;
                }
            };
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            if let Some(e) = s("error") {
                text.push(e);
                if let Some(k) = s("kind") {
                    out.kind = k;
                }
                if let Some(c) = v.get("code").and_then(|c| c.as_i64()) {
                    out.code = c as i32;
                }
            } else if let Some(n) = s("notice") {
                out.notices.push(("notice".into(), n));
            } else if let Some(w) = s("warning") {
                out.notices.push(("warning".into(), w));
            } else {
                text.push(line.to_string());
            }
        }
        out.message = if text.is_empty() {
            "the turn's supervisor ended without starting the turn".into()
        } else {
            text.join("\n")
        };
        out
    }
}

impl std::fmt::Display for NotStarted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Starts the turn `spec` asks for in the workspace at `root` under a
/// detached supervisor, and returns its id as soon as the turn exists.
pub fn start(root: &Path, spec: &TurnSpec) -> Result<String, NotStarted> {
    let mut cmd = Command::new(leash_binary()?);
    cmd.args(supervisor_args(root, spec))
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
        .map_err(|e| NotStarted::new(format!("cannot start the supervisor: {e}")))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .map_err(|e| NotStarted::new(format!("reading the supervisor's report: {e}")))?;
    let id = line.trim().to_string();
    if !id.is_empty() {
        // The supervisor runs on; whoever started it (a console, for hours)
        // reaps it when it ends, so a finished one is not left a zombie
        // that still looks alive.
        std::thread::spawn(move || {
            drop(child.stderr.take());
            let _ = child.wait();
        });
        return Ok(id);
    }
    // The supervisor ended before creating the turn: pass on why.
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    let status = child.wait().map_err(|e| NotStarted::new(e.to_string()))?;
    Err(NotStarted::read(&err, status.code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RiskClass;
    use std::time::Duration;

    #[test]
    fn run_args_join_values_to_their_flags_and_pass_the_command_after_dashes() {
        let spec = TurnSpec {
            task: Some("note".into()),
            prompt: Some("-rf everything".into()),
            risk: Some(RiskClass::Low),
            timeout: Some(Duration::from_secs(90)),
            command: vec!["sh".into(), "-c".into(), "echo 'a b'".into()],
            ..TurnSpec::default()
        };
        assert_eq!(
            run_args(&spec),
            [
                "--task=note",
                "--prompt=-rf everything",
                "--risk=low",
                "--timeout=1m 30s",
                "--",
                "sh",
                "-c",
                "echo 'a b'"
            ]
        );
    }

    #[test]
    fn a_failure_is_read_from_the_supervisors_json_lines() {
        let err = "{\"notice\":\"recovered t2\"}\n{\"error\":\"no task `x`\",\"kind\":\"refused\",\"code\":1}\n";
        let n = NotStarted::read(err, Some(1));
        assert_eq!(n.message, "no task `x`");
        assert_eq!(n.kind, "refused");
        assert_eq!(
            n.notices,
            [("notice".to_string(), "recovered t2".to_string())]
        );
        let n = NotStarted::read("leash: boom\n", Some(2));
        assert_eq!((n.code, n.message.as_str()), (2, "boom"));
    }
}
