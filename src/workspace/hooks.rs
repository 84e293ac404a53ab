//! Agent hooks in a repository, without opening it as a workspace (they
//! can be installed before `leash init`): installing and removing leash's
//! entries in an agent's settings file, the status of each agent's hooks,
//! and the hook endpoint itself — relayed to a confined turn's supervisor,
//! or answered by the gate here.

use std::path::{Path, PathBuf};

use git2::Repository;

use super::gate::{self, Answer, Dialect, GateEnv};
use super::{Result, discover_worktree};
use crate::agents::gate_relay;
use crate::agents::hooks_config;
pub use crate::agents::hooks_config::Agent;
use crate::agents::hooks_status;
pub use crate::agents::hooks_status::{Homes, Status};

/// What `leash hooks install|uninstall` changed.
#[derive(Debug)]
pub struct HooksChange {
    pub path: PathBuf,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: bool,
    /// Uninstall removed the settings file: leash had created it, and
    /// nothing else was left in it.
    pub deleted: bool,
    /// After an install: what the agent's own config says of the hooks,
    /// so nobody takes an installed hook for a running one.
    pub status: Option<Status>,
}

/// Installs (`install`) or removes leash's hook entries for `agent` in the
/// repository at `dir`. `exe` is how the hooks name leash.
pub fn change_hooks(dir: &Path, agent: Agent, install: bool, exe: &Path) -> Result<HooksChange> {
    let (repo, root) = discover_worktree(dir)?;
    let settings_path = agent.settings_path(&root);
    let marker = created_marker(&repo, agent);
    let existed = settings_path.exists();
    // The hook waits for an operator up to the approval timeout: the agent
    // must wait at least as long.
    let timeout = crate::config::load_workspace_config(&root)
        .map(|c| c.gate.approval_timeout.as_secs() + 30)
        .unwrap_or(630);
    let change = if install {
        hooks_config::install(&root, agent, exe, timeout)
    } else {
        hooks_config::uninstall(&root, agent)
    }
    .map_err(|e| super::Error::Refused(e.to_string()))?;
    let mut deleted = false;
    if install && !existed && settings_path.exists() {
        if let Some(folder) = marker.parent() {
            let _ = std::fs::create_dir_all(folder);
        }
        let _ = std::fs::write(&marker, "");
    } else if !install {
        deleted = remove_if_created_and_empty(&marker, &settings_path);
    }
    let status = install.then(|| hooks_status::status(agent, &root, &Homes::from_env(), None));
    Ok(HooksChange {
        path: change.path,
        added: change.added,
        removed: change.removed,
        unchanged: change.unchanged,
        deleted,
        status,
    })
}

/// The status of each of `agents`' hooks in the repository at `dir`, and
/// whether it is a leash workspace (else no session can have reported).
pub fn hooks_status(dir: &Path, agents: &[Agent]) -> Result<(Vec<Status>, bool)> {
    let (repo, root) = discover_worktree(dir)?;
    let journal = repo.commondir().join("leash").join("journal.jsonl");
    // The journal read as it stands, without locking or repairing it.
    let initialised = journal.exists() || root.join(".leash").is_dir();
    let state = initialised.then(|| {
        let mut state = crate::state::State::default();
        for record in crate::journal::read_all(&journal).0 {
            state.apply(&record);
        }
        state
    });
    let homes = Homes::from_env();
    let statuses = agents
        .iter()
        .map(|&a| hooks_status::status(a, &root, &homes, state.as_ref()))
        .collect();
    Ok((statuses, initialised))
}

/// The hook endpoint (`leash hook claude|codex`): inside a confined turn
/// the journal is out of reach, so the turn's supervisor answers (see
/// `gate_relay`); should it not answer, the gate runs here and, unable to
/// record anything, denies.
pub fn answer_hook(dialect: Dialect, input: &[u8]) -> Answer {
    let env = GateEnv::from_process();
    if let Some(socket) = std::env::var_os(gate_relay::SOCKET_ENV).filter(|s| !s.is_empty()) {
        let name = match dialect {
            Dialect::Claude => "claude",
            Dialect::Codex => "codex",
        };
        if let Ok(r) = gate_relay::call(Path::new(&socket), name, env.project_dir.as_deref(), input)
        {
            return Answer {
                code: r.code,
                stdout: String::from_utf8_lossy(&r.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&r.stderr).into_owned(),
            };
        }
    }
    std::panic::catch_unwind(|| gate::handle(dialect, input, &env))
        .unwrap_or_else(|_| gate::handle_panic(dialect, input))
}

/// Where `leash hooks install` notes that it created an agent's settings
/// file, so that `uninstall` removes the file again once it is empty (and
/// never a file the user made).
fn created_marker(repo: &Repository, agent: Agent) -> PathBuf {
    repo.commondir()
        .join("leash")
        .join(format!("hooks-created-{}", agent.name()))
}

/// After uninstall: removes the settings file install created if nothing is
/// left in it, and its folder if that is empty too. True when removed.
fn remove_if_created_and_empty(marker: &Path, settings: &Path) -> bool {
    if !marker.exists() {
        return false;
    }
    let empty = match hooks_config::read_settings(settings) {
        Ok(Some(map)) => map.is_empty(),
        Ok(None) => {
            let _ = std::fs::remove_file(marker);
            return false;
        }
        Err(_) => false,
    };
    if !empty || std::fs::remove_file(settings).is_err() {
        return false;
    }
    let _ = std::fs::remove_file(marker);
    if let Some(folder) = settings.parent() {
        // Only succeeds when the folder is empty.
        let _ = std::fs::remove_dir(folder);
    }
    true
}

pub use crate::agents::procs::AgentProcess;

/// The agent processes (Claude Code, Codex) working in the repository at
/// `root`, found without asking them.
pub fn agents_in(root: &Path) -> Vec<AgentProcess> {
    crate::agents::procs::agents_in(root)
}

impl super::Workspace {
    /// Whether a session of `agent` started at or after `since` reports to
    /// leash through its hooks (a running agent with none is unsupervised).
    pub fn session_reports(&self, agent: &str, since: Option<std::time::SystemTime>) -> bool {
        hooks_status::session_reports(&self.state, agent, since)
    }
}
