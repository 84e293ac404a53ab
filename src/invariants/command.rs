//! `command`: any argv command (no shell) run in the tree's root; it passes
//! when it exits 0. Its combined stdout and stderr is kept, bounded to the
//! last 4 KiB, in the result's detail.
//!
//! The command runs in a process group of its own, so a timeout ends it
//! together with everything it started: SIGTERM to the group, SIGKILL two
//! seconds later if the command is still there. Waiting happens in a thread
//! that reports over a channel, never by polling.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use super::options::Options;
use super::{Outcome, Report, finding};

/// The options `command` knows.
pub(crate) const KEYS: &[&str] = &["command", "timeout"];

/// How long a command may run when the config does not say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(2);
/// The most output kept, in bytes.
const TAIL: usize = 4096;

/// A `command` invariant.
pub(crate) struct Spec {
    argv: Vec<String>,
    timeout: Duration,
}

/// Reads the options of a `command` invariant.
pub(crate) fn parse(o: &Options) -> Result<Spec, String> {
    let expected = "an argv array such as [\"cargo\", \"test\"]";
    let argv = o
        .strings("command", expected)?
        .ok_or_else(|| format!("missing option `command`; expected {expected}"))?;
    if argv.first().is_none_or(|p| p.is_empty()) {
        return Err(format!("`command` names no program; expected {expected}"));
    }
    Ok(Spec {
        argv,
        timeout: o.duration("timeout")?.unwrap_or(DEFAULT_TIMEOUT),
    })
}

/// Runs the command in `root`.
pub(crate) fn check(root: &Path, s: &Spec) -> Result<Report, String> {
    let shown = s.argv.join(" ");
    // Checked here because a spawn in a missing directory fails with the
    // same error as a missing program, which would blame the wrong thing.
    if !root.is_dir() {
        return Err(format!("the tree at {} is not a directory", root.display()));
    }
    let (reader, writer) = std::io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
    let writer2 = writer
        .try_clone()
        .map_err(|e| format!("cannot create a pipe: {e}"))?;
    let mut cmd = Command::new(&s.argv[0]);
    cmd.args(&s.argv[1..])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .process_group(0);
    let spawned = cmd.spawn();
    // Our copies of the write end must close, or the reader never sees EOF.
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return Ok(Report::outcome(
                Outcome::Degraded,
                format!("cannot start `{}`: {e}", s.argv[0]),
            ));
        }
    };
    let pgid =
        libc::pid_t::try_from(child.id()).map_err(|_| "process id out of range".to_string())?;

    let (out_tx, out_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = out_tx.send(read_tail(reader));
    });
    let (exit_tx, exit_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = exit_tx.send(child.wait());
    });

    let status = match exit_rx.recv_timeout(s.timeout) {
        Ok(status) => Some(status),
        Err(RecvTimeoutError::Timeout) => {
            signal_group(pgid, libc::SIGTERM);
            if exit_rx.recv_timeout(GRACE).is_err() {
                signal_group(pgid, libc::SIGKILL);
                let _ = exit_rx.recv_timeout(GRACE);
            }
            None
        }
        Err(RecvTimeoutError::Disconnected) => {
            return Ok(Report::outcome(
                Outcome::Degraded,
                format!("lost track of `{shown}`"),
            ));
        }
    };
    // Something the command left behind in its group may still hold the
    // pipe open; it must not outlive the check.
    let output = match out_rx.recv_timeout(GRACE) {
        Ok(out) => out,
        Err(_) => {
            signal_group(pgid, libc::SIGKILL);
            out_rx.recv_timeout(GRACE).unwrap_or_else(|_| {
                "(output unavailable: a process outside the group holds it)".into()
            })
        }
    };
    let Some(status) = status else {
        let timeout = humantime::format_duration(s.timeout);
        return Ok(Report::outcome(
            Outcome::Degraded,
            join_detail(&format!("timed out after {timeout}"), &output),
        ));
    };
    let status = status.map_err(|e| format!("cannot wait for `{shown}`: {e}"))?;
    if status.success() {
        return Ok(Report::findings(vec![]).with_detail(output));
    }
    let f = finding("", None, format!("`{shown}` {}", describe(status)));
    Ok(Report::findings(vec![f]).with_detail(output))
}

/// Sends `sig` to the command's process group.
fn signal_group(pgid: libc::pid_t, sig: libc::c_int) {
    // SAFETY: killpg only sends a signal. The group is the one this check
    // created (process_group(0) makes the child's pid its id), and a group id
    // is not reused while any member lives; at worst the call fails with
    // ESRCH, which is harmless.
    unsafe {
        libc::killpg(pgid, sig);
    }
}

/// "exited with status 3" or "was killed by signal 9".
fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        (None, None) => "failed".to_string(),
    }
}

/// Reads to EOF, keeping only the last `TAIL` bytes, as text of at most
/// `TAIL` bytes; a cut is marked with a leading "…".
fn read_tail(mut r: impl Read) -> String {
    let mut kept: Vec<u8> = Vec::new();
    let mut cut = false;
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > TAIL {
                    kept.drain(..kept.len() - TAIL);
                    cut = true;
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&kept);
    // Lossy decoding can grow the text; cut again at a char boundary.
    let budget = if cut { TAIL - '…'.len_utf8() } else { TAIL };
    let mut start = text.len().saturating_sub(budget);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = cut || start > 0;
    format!("{}{}", if cut { "…" } else { "" }, &text[start..])
}

fn join_detail(head: &str, output: &str) -> String {
    if output.is_empty() {
        head.to_string()
    } else {
        format!("{head}\n{output}")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::invariants::testutil::*;
    use crate::invariants::{Outcome, run_one};

    fn run(cfg: &str) -> crate::invariants::CheckResult {
        let t = tree(&[("marker.txt", "here")]);
        run_one(t.path(), &inv("cmd", "command", cfg), &ctx())
    }

    #[test]
    fn exit_zero_passes_and_runs_in_the_root() {
        let r = run("command = [\"cat\", \"marker.txt\"]");
        assert_eq!((r.outcome, r.detail.as_str()), (Outcome::Pass, "here"));
    }

    #[test]
    fn nonzero_fails_with_the_output_tail() {
        let r = run("command = [\"sh\", \"-c\", \"echo out; echo err >&2; exit 3\"]");
        assert_eq!(r.outcome, Outcome::Fail);
        assert_eq!(
            lines(&r),
            vec![" `sh -c echo out; echo err >&2; exit 3` exited with status 3"]
        );
        assert_eq!(r.detail, "out\nerr\n");
        assert_eq!(r.findings[0].path, "");
    }

    #[test]
    fn output_is_bounded() {
        let r = run("command = [\"sh\", \"-c\", \"yes abcdefgh | head -c 99999; exit 1\"]");
        assert!(r.detail.len() <= super::TAIL, "{}", r.detail.len());
        assert!(r.detail.starts_with('…') && r.detail.ends_with("abcdefgh\n"));
    }

    #[test]
    fn timeout_ends_the_group_quickly() {
        let started = Instant::now();
        let r = run("command = [\"sleep\", \"30\"]\ntimeout = \"1s\"");
        assert_eq!(
            (r.outcome, r.detail.as_str()),
            (Outcome::Degraded, "timed out after 1s")
        );
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    }

    #[test]
    fn a_command_ignoring_sigterm_gets_sigkill() {
        let started = Instant::now();
        // Ignored signals stay ignored across exec, so `sleep` ignores TERM too.
        let r = run(
            "command = [\"sh\", \"-c\", \"trap '' TERM; echo started; sleep 30\"]\ntimeout = \"1s\"",
        );
        assert_eq!(r.outcome, Outcome::Degraded);
        assert_eq!(r.detail, "timed out after 1s\nstarted\n");
        let took = started.elapsed();
        // 1 s timeout + 2 s grace, then SIGKILL at once (not after more waiting).
        assert!(
            took >= std::time::Duration::from_secs(3)
                && took < std::time::Duration::from_millis(4500),
            "{took:?}"
        );
    }

    #[test]
    fn a_background_child_does_not_hold_the_check() {
        let started = Instant::now();
        let r = run("command = [\"sh\", \"-c\", \"sleep 30 & echo done\"]");
        assert_eq!(r.outcome, Outcome::Pass);
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn a_missing_program_degrades_naming_it() {
        let r = run("command = [\"no-such-program-leash\"]");
        assert_eq!(r.outcome, Outcome::Degraded);
        assert!(
            r.detail
                .starts_with("cannot start `no-such-program-leash`: No such file or directory"),
            "{}",
            r.detail
        );
    }

    #[test]
    fn bad_config_degrades() {
        for (cfg, want) in [
            (
                "",
                "missing option `command`; expected an argv array such as [\"cargo\", \"test\"]",
            ),
            (
                "command = \"cargo test\"",
                "`command` must be an argv array such as [\"cargo\", \"test\"], found the string \"cargo test\"",
            ),
            ("command = []", "`command` names no program"),
            (
                "command = [\"true\"]\ntimeout = \"fast\"",
                "`timeout` = \"fast\" is not a duration",
            ),
            (
                "command = [\"true\"]\ntimeout = 5",
                "`timeout` must be a duration such as \"90s\" or \"5m\", found the integer 5",
            ),
        ] {
            let r = run(cfg);
            assert_eq!(r.outcome, Outcome::Degraded, "{cfg}");
            assert!(r.detail.contains(want), "{cfg}: {}", r.detail);
        }
    }
}
