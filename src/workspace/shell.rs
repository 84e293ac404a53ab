//! `leash shell -- CMD`: an interactive agent (any command) started in the
//! user's own checkout under Landlock, by the same rules as isolated turns
//! but with the checkout writable.
//!
//! Landlock only ever grants, by hierarchy: there is no "the checkout but
//! not `.git/`". So each entry at the top of the checkout is granted on its
//! own, except `.git`, `.leash` and the agents' settings (`.claude`,
//! `.codex`, `.gemini`): everything under the granted entries is writable,
//! and a *new* file or folder directly at the top of the checkout is
//! refused (create it in a folder, or before starting the shell).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Error, Result, Workspace};
use crate::agents::confine;
use crate::agents::gate_relay::{self, Relay};
use crate::agents::hook_answer::GateEnv;
use crate::config::{self, AgentFormat, ConfineMode};

/// Top-level entries of the checkout an in-place agent may never write.
pub const KEPT_OUT: &[&str] = &[".git", ".leash", ".claude", ".codex", ".gemini"];

/// How `leash shell` will run its command.
pub struct ShellPlan {
    pub prepared: Option<confine::Prepared>,
    /// Why it runs unconfined, or what confinement cannot cover.
    pub warning: Option<String>,
    pub abi: u32,
    tmp: tempfile::TempDir,
}

impl Workspace {
    /// Decides how `argv` runs confined in the checkout; `Err` when
    /// `[run] confine = "require"` and it cannot be.
    pub fn shell_plan(&self, argv: &[String]) -> Result<ShellPlan> {
        let run = &self.config.run;
        let tmp = tempfile::Builder::new()
            .prefix("leash-shell-")
            .tempdir()
            .map_err(super::io_error(&std::env::temp_dir()))?;
        let unconfined = |warning: String, tmp| ShellPlan {
            prepared: None,
            warning: Some(warning),
            abi: 0,
            tmp,
        };
        if run.confine == ConfineMode::Off {
            return Ok(unconfined(
                format!(
                    "confinement is off ([run] confine = \"off\" in {}): the agent may write \
                     anywhere its user can",
                    config::CONFIG_FILE
                ),
                tmp,
            ));
        }
        let abi = confine::probe_abi();
        if abi == 0 {
            if run.confine == ConfineMode::Require {
                return Err(Error::Refused(format!(
                    "[run] confine = \"require\" in {}, and this kernel has no Landlock (or it \
                     is disabled): the agent cannot be confined; nothing was started",
                    config::CONFIG_FILE
                )));
            }
            return Ok(unconfined(
                "this kernel has no Landlock (or it is disabled): the agent runs unconfined \
                 and may write anywhere its user can"
                    .to_string(),
                tmp,
            ));
        }
        let mut writable: Vec<PathBuf> = Vec::new();
        let entries = std::fs::read_dir(&self.root).map_err(super::io_error(&self.root))?;
        for e in entries.flatten() {
            let name = e.file_name();
            if !KEPT_OUT.iter().any(|k| name == *k) {
                writable.push(e.path());
            }
        }
        writable.sort();
        writable.push(tmp.path().to_path_buf());
        writable.extend(confine::devices());
        writable.extend(confine::state_paths(&self.state_paths_of(argv)));
        let (connect_ports, warning) = confine::connect_ports(run, abi);
        let prepared = confine::prepare(
            abi,
            &confine::Request {
                writable,
                connect_ports,
            },
        )
        .map_err(Error::Refused)?;
        Ok(ShellPlan {
            prepared: Some(prepared),
            warning,
            abi,
            tmp,
        })
    }

    /// The agent state paths for a command: a configured agent whose
    /// program it is (its `writable`, or its format's defaults), else the
    /// defaults of Claude Code or Codex by the program's name.
    fn state_paths_of(&self, argv: &[String]) -> Vec<String> {
        let Some(program) = argv.first() else {
            return Vec::new();
        };
        let name = Path::new(program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(agent) = self
            .config
            .agents
            .values()
            .find(|a| a.command.first() == Some(program))
        {
            return agent
                .writable
                .clone()
                .unwrap_or_else(|| confine::default_writable(agent.format));
        }
        match name.as_str() {
            "claude" => confine::default_writable(AgentFormat::Claude),
            "codex" => confine::default_writable(AgentFormat::Codex),
            _ => Vec::new(),
        }
    }

    /// Runs `argv` in `cwd` by `plan`, its terminal inherited, and waits
    /// for it; the hooks it calls are answered by this process (outside the
    /// sandbox). Returns its exit code (128 + a signal's number).
    pub fn run_shell(&self, argv: &[String], cwd: &Path, plan: ShellPlan) -> Result<i32> {
        use std::os::unix::process::{CommandExt, ExitStatusExt};
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| Error::Refused("nothing to run: give a command after `--`".into()))?;
        let mut cmd = std::process::Command::new(program);
        cmd.args(args).current_dir(cwd);
        let tmp = plan.tmp.path().display().to_string();
        for key in ["TMPDIR", "TMP", "TEMP"] {
            cmd.env(key, &tmp);
        }
        let relay = match &plan.prepared {
            Some(_) => {
                // The gate runs unconfined here: it works in this workspace
                // only, whatever `cwd` a hook call names, so the agent cannot
                // point it at another repository's journal.
                let relay = Relay::with_env(
                    super::gate::handle,
                    GateEnv {
                        workspace: Some(self.root.clone()),
                        turn: None,
                        project_dir: Some(self.root.clone()),
                        poll: Duration::from_millis(100),
                        confined: Some(plan.abi),
                    },
                )
                .map_err(super::io_error(&std::env::temp_dir()))?;
                cmd.env(gate_relay::SOCKET_ENV, &relay.socket);
                cmd.env("LEASH_CONFINED", plan.abi.to_string());
                Some(relay)
            }
            None => None,
        };
        if let Some(prepared) = plan.prepared {
            let mut slot = Some(prepared);
            // SAFETY: as for isolated turns (see `confine`): the ruleset was
            // built before the fork; the child only enforces it.
            unsafe {
                cmd.pre_exec(move || match slot.take() {
                    Some(p) => p.enforce(),
                    None => Ok(()),
                });
            }
        }
        // The terminal's ^C and ^\ are the agent's: this process waits.
        // SAFETY: setting signal dispositions; restored below.
        let (int, quit) = unsafe {
            (
                libc::signal(libc::SIGINT, libc::SIG_IGN),
                libc::signal(libc::SIGQUIT, libc::SIG_IGN),
            )
        };
        let status = cmd.status();
        // SAFETY: restores what was there before.
        unsafe {
            libc::signal(libc::SIGINT, int);
            libc::signal(libc::SIGQUIT, quit);
        }
        drop(relay);
        let status =
            status.map_err(|e| Error::Refused(format!("cannot start `{program}`: {e}")))?;
        Ok(match (status.code(), status.signal()) {
            (Some(c), _) => c,
            (None, Some(s)) => 128 + s,
            _ => 1,
        })
    }
}
