//! How an isolated turn is confined: the hook gate put into the agent's
//! command line, Landlock's ruleset for the turn, and what `leash check`
//! says about both.

use std::fs;
use std::path::Path;

use super::{Result, Workspace, io_error};
use crate::agents::confine;
use crate::agents::hooks_config;
use crate::agents::run::{codex_require_refusal, codex_sandboxes_itself};
use crate::checkpoint;
use crate::config::{self, AgentFormat, ConfineMode, NetworkMode};
use crate::event::Event;

impl Workspace {
    /// The agent's argv with leash's hook gate added, so the gate decides
    /// tool calls inside isolated turns too: Claude gets `--settings` with
    /// leash's hooks, Codex `-c hooks.…` overrides (and the trust bypass its
    /// headless mode needs for hooks it has not reviewed).
    pub(super) fn with_gate(
        &self,
        id: &str,
        format: Option<AgentFormat>,
        mut argv: Vec<String>,
    ) -> Result<Vec<String>> {
        // The scripted demo agent speaks Claude's stream but runs no hooks.
        if argv.get(1).map(String::as_str) == Some("demo-agent") {
            return Ok(argv);
        }
        let exe = std::env::current_exe().map_err(io_error(Path::new("leash")))?;
        let timeout = self.config.gate.approval_timeout.as_secs() + 30;
        match format {
            Some(AgentFormat::Claude) if !argv.is_empty() => {
                let path = self.turn_dir(id).join("claude-settings.json");
                let settings =
                    hooks_config::settings_for_turn(&exe, hooks_config::Agent::Claude, timeout);
                fs::write(&path, settings).map_err(io_error(&path))?;
                argv.splice(1..1, ["--settings".to_string(), path.display().to_string()]);
            }
            Some(AgentFormat::Codex) if !argv.is_empty() => {
                let command = hooks_config::hook_command(&exe, hooks_config::Agent::Codex);
                let at = if argv.get(1).map(String::as_str) == Some("exec") {
                    2
                } else {
                    1
                };
                let mut extra = Vec::new();
                for (event, t) in [("PreToolUse", timeout), ("PostToolUse", 30)] {
                    extra.push("-c".to_string());
                    extra.push(format!(
                        "hooks.{event}=[{{matcher=\"*\",hooks=[{{type=\"command\",command={},timeout={t}}}]}}]",
                        toml_string(&command)
                    ));
                }
                extra.push("--dangerously-bypass-hook-trust".to_string());
                argv.splice(at..at, extra);
            }
            _ => {}
        }
        Ok(argv)
    }

    /// How isolated turns would be confined here and now, for `leash
    /// check`: the kernel's Landlock ABI (0: none) and, when they would not
    /// be confined as configured, why.
    pub fn confinement_status(&self) -> ConfinementStatus {
        let run = &self.config.run;
        let abi = confine::probe_abi();
        let warning = if run.confine == ConfineMode::Off {
            Some(format!(
                "confinement is off ([run] confine = \"off\" in {}): isolated turns may write \
                 anywhere their user can",
                config::CONFIG_FILE
            ))
        } else if let Some(why) = self.cannot_confine(abi, "") {
            Some(format!("{why}: isolated turns will be refused"))
        } else if abi == 0 {
            let required = self.agents_requiring_confinement();
            Some(if required.is_empty() {
                "this kernel has no Landlock (or it is disabled): isolated turns run \
                 unconfined and may write anywhere their user can"
                    .to_string()
            } else {
                format!(
                    "this kernel has no Landlock (or it is disabled): isolated turns run \
                     unconfined and may write anywhere their user can, and turns of {} \
                     (confine = \"require\") will be refused",
                    required.join(", ")
                )
            })
        } else if run.network == NetworkMode::Deny && abi < confine::NET_ABI {
            Some(format!(
                "network = \"deny\" is not enforced: this kernel's Landlock (ABI {abi}) has \
                 no TCP rules (ABI {} or later)",
                confine::NET_ABI
            ))
        } else {
            None
        };
        ConfinementStatus {
            mode: run.confine,
            abi,
            confined: run.confine != ConfineMode::Off && abi > 0,
            network: run.network,
            allow_connect_ports: run.allow_connect_ports.clone(),
            warning,
        }
    }

    /// How turns of `agent` are confined: its own `[agents.NAME] confine`
    /// when it has one, else `[run] confine`.
    pub fn confine_mode(&self, agent: &str) -> ConfineMode {
        self.own_confine(agent).unwrap_or(self.config.run.confine)
    }

    /// `agent`'s own `[agents.NAME] confine`, if it has one.
    fn own_confine(&self, agent: &str) -> Option<ConfineMode> {
        self.config.agents.get(agent).and_then(|a| a.confine)
    }

    /// The config key that sets `agent`'s confinement, for messages.
    pub(super) fn confine_key(&self, agent: &str) -> String {
        match self.own_confine(agent) {
            Some(_) => format!("[agents.{agent}] confine"),
            None => "[run] confine".to_string(),
        }
    }

    /// The agents whose own `confine = "require"` refuses their turns where
    /// they cannot be confined.
    fn agents_requiring_confinement(&self) -> Vec<String> {
        self.config
            .agents
            .iter()
            .filter(|(_, a)| a.confine == Some(ConfineMode::Require))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Why a turn of `agent` may not start on a kernel of Landlock ABI
    /// `abi` under `confine = "require"`; `None` when it may.
    pub(super) fn cannot_confine(&self, abi: u32, agent: &str) -> Option<String> {
        let run = &self.config.run;
        if self.confine_mode(agent) != ConfineMode::Require {
            return None;
        }
        let key = self.confine_key(agent);
        if abi == 0 {
            return Some(format!(
                "{key} = \"require\" in {}, and this kernel has no Landlock \
                 (or it is disabled): the agent cannot be confined",
                config::CONFIG_FILE
            ));
        }
        if run.network == NetworkMode::Deny && abi < confine::NET_ABI {
            return Some(format!(
                "{key} = \"require\" and [run] network = \"deny\" in {}, and this \
                 kernel's Landlock (ABI {abi}) has no TCP rules (ABI {} or later)",
                config::CONFIG_FILE,
                confine::NET_ABI
            ));
        }
        None
    }

    /// Decides how turn `id` is confined and builds its ruleset: the event
    /// that records it, and the ruleset to enforce (none when the turn runs
    /// unconfined). `Err` when it must not start at all.
    pub(super) fn confinement(
        &self,
        id: &str,
        worktree: &Path,
        tmp: &Path,
        agent: &str,
        format: Option<AgentFormat>,
    ) -> std::result::Result<(Event, Option<confine::Prepared>), String> {
        let run = &self.config.run;
        let unconfined = |warning: String| Event::TurnConfined {
            turn: id.to_string(),
            confined: false,
            abi: None,
            writable: Vec::new(),
            connect_ports: None,
            warning: Some(warning),
        };
        let mode = self.confine_mode(agent);
        if mode == ConfineMode::Off {
            return Ok((
                unconfined(format!(
                    "confinement is off ({} = \"off\" in {}): the agent may write \
                     anywhere its user can",
                    self.confine_key(agent),
                    config::CONFIG_FILE
                )),
                None,
            ));
        }
        let abi = confine::probe_abi();
        if let Some(why) = self.cannot_confine(abi, agent) {
            return Err(why);
        }
        if abi == 0 {
            return Ok((
                unconfined(
                    "this kernel has no Landlock (or it is disabled): the agent runs \
                     unconfined and may write anywhere its user can"
                        .to_string(),
                ),
                None,
            ));
        }
        // Codex sandboxes the commands it runs with bubblewrap, which must
        // mount and map user ids: inside a Landlock domain the kernel
        // refuses both, and every command would fail before it ran (its
        // legacy Landlock mode fails here too). One sandbox or the other:
        // a Codex that sandboxes itself runs in its own, said on the turn;
        // one told not to (`--sandbox danger-full-access`) runs in leash's.
        if let Some(why) = codex_sandboxes_itself(
            format,
            self.turn(id)
                .ok()
                .and_then(|t| t.command.as_deref())
                .unwrap_or_default(),
        ) {
            if mode == ConfineMode::Require {
                return Err(codex_require_refusal(&self.confine_key(agent), &why));
            }
            return Ok((
                unconfined(format!(
                    "{why}: this turn is confined by Codex's sandbox, not by leash's \
                     (`--sandbox danger-full-access` in the agent's command hands it to leash)"
                )),
                None,
            ));
        }
        let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let mut writable = vec![canon(worktree), canon(tmp)];
        // Git in the worktree: its own admin dir (index, HEAD, logs) and
        // the shared object store; refs, config and hooks stay out of reach.
        let common = self.repo.commondir().to_path_buf();
        writable.push(canon(&common.join("objects")));
        writable.push(canon(
            &common.join("worktrees").join(checkpoint::worktree_name(id)),
        ));
        writable.extend(confine::devices());
        // The scripted demo agent speaks Claude's stream but keeps no state.
        let demo = self
            .turn(id)
            .ok()
            .and_then(|t| t.command.as_ref())
            .is_some_and(|argv| argv.get(1).map(String::as_str) == Some("demo-agent"));
        let state_paths = match self
            .config
            .agents
            .get(agent)
            .and_then(|a| a.writable.clone())
        {
            Some(paths) => paths,
            None if demo => Vec::new(),
            None => confine::default_writable(format.unwrap_or_default()),
        };
        writable.extend(confine::state_paths(&state_paths));
        // The hook gate runs as the agent's child, inside the sandbox: it
        // hands its calls to the supervisor (`gate_relay`), so the journal
        // stays out of reach.
        let (connect_ports, warning) = confine::connect_ports(run, abi);
        let prepared = confine::prepare(
            abi,
            &confine::Request {
                writable,
                connect_ports,
            },
        )?;
        let event = Event::TurnConfined {
            turn: id.to_string(),
            confined: true,
            abi: Some(abi),
            writable: prepared
                .writable
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            connect_ports: prepared.connect_ports.clone(),
            warning,
        };
        Ok((event, Some(prepared)))
    }
}

/// How isolated turns would be confined, as `leash check` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConfinementStatus {
    pub mode: ConfineMode,
    /// The kernel's Landlock ABI; 0 when it has none.
    pub abi: u32,
    /// Whether turns would run confined.
    pub confined: bool,
    pub network: NetworkMode,
    pub allow_connect_ports: Vec<u16>,
    pub warning: Option<String>,
}

impl ConfinementStatus {
    /// One line for a person.
    pub fn sentence(&self) -> String {
        let mut s = if self.confined {
            format!(
                "isolated turns run confined (Landlock ABI {}, confine = \"{}\")",
                self.abi, self.mode
            )
        } else {
            format!(
                "isolated turns run UNCONFINED (confine = \"{}\")",
                self.mode
            )
        };
        if self.confined && self.network == NetworkMode::Deny && self.abi >= confine::NET_ABI {
            let ports: Vec<String> = self
                .allow_connect_ports
                .iter()
                .map(u16::to_string)
                .collect();
            s.push_str(&format!(
                "; outbound TCP only to port {}",
                if ports.is_empty() {
                    "(none)".to_string()
                } else {
                    ports.join(", ")
                }
            ));
        }
        s
    }
}

/// A TOML string holding `s`, for a `-c key=value` override.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The Landlock ABI this kernel offers (0: none), as turns would find it.
pub fn landlock_abi() -> u32 {
    confine::probe_abi()
}
