//! The workspace's policy (`.leash/config.toml`) and tasks
//! (`.leash/tasks.toml`), parsed with errors that point at the offending
//! line and column (DESIGN §5), and the toolkit every other config file of
//! leash is read with ([`located`]).
//!
//! Files are read into private `Raw*` shapes (`raw.rs`) that keep source
//! spans, then checked (`check.rs`) and turned into the public types
//! (`types.rs`), which carry no spans (except where a later check needs
//! one, see [`TaskConfig::at`]). What `leash init` writes is in
//! `templates/`.

use std::collections::BTreeMap;
use std::path::Path;

mod check;
mod committed;
pub mod json;
pub mod located;
mod pass;
mod raw;
#[cfg(test)]
mod tests;
mod types;

pub use committed::{
    CommittedPolicy, UNCOMMITTED_POLICY, committed_error, committed_ids, load_committed,
    load_committed_config, load_committed_tasks, uncommitted_among, uncommitted_policy_files,
};
pub use located::{ConfigError, Pos, Source, read_optional};
pub use types::*;
// Where their data is; named here too for the callers that read them as
// part of the policy.
pub use crate::model::{INVARIANT_KINDS, InvariantConfig, Sliders};
pub use crate::policy::RiskRule;

use crate::model::RiskClass;
use raw::{RawConfig, RawTasks};

/// Where the workspace policy lives, relative to the workspace root.
pub const CONFIG_FILE: &str = ".leash/config.toml";
/// Where the workspace's tasks live, relative to the workspace root.
pub const TASKS_FILE: &str = ".leash/tasks.toml";

/// What `leash init` writes to `.leash/config.toml`.
pub const CONFIG_TEMPLATE: &str = include_str!("templates/config.toml");

/// What `leash init` writes to `.leash/tasks.toml`.
pub const TASKS_TEMPLATE: &str = include_str!("templates/tasks.toml");

/// Replaces `{today}` and `{yesterday}` with ISO dates (`2026-11-27`).
pub fn expand_date_placeholders(s: &str, today: chrono::NaiveDate) -> String {
    if !s.contains('{') {
        return s.to_string();
    }
    let yesterday = today.pred_opt().unwrap_or(today);
    s.replace("{today}", &today.format("%Y-%m-%d").to_string())
        .replace("{yesterday}", &yesterday.format("%Y-%m-%d").to_string())
}

/// Reads `root/.leash/config.toml`; a missing file means the defaults.
pub fn load_workspace_config(root: &Path) -> Result<WorkspaceConfig, ConfigError> {
    let path = root.join(CONFIG_FILE);
    match read_optional(&path)? {
        Some(text) => parse_workspace_config(&text, &path),
        None => Ok(WorkspaceConfig::default()),
    }
}

/// Reads `root/.leash/tasks.toml`; a missing file means no tasks.
pub fn load_tasks(root: &Path) -> Result<TasksConfig, ConfigError> {
    let path = root.join(TASKS_FILE);
    match read_optional(&path)? {
        Some(text) => parse_tasks(&text, &path),
        None => Ok(TasksConfig::default()),
    }
}

/// Parses and checks the text of a workspace config; `path` is only used in
/// errors.
pub fn parse_workspace_config(text: &str, path: &Path) -> Result<WorkspaceConfig, ConfigError> {
    let src = Source::new(path, text);
    let raw: RawConfig = src.deserialize()?;
    let mut cfg = WorkspaceConfig::default();
    if let Some(r) = raw.default_risk {
        cfg.default_risk = r.0;
    }
    if let Some(s) = raw.autonomy {
        for (class, level) in [
            (RiskClass::Low, s.low),
            (RiskClass::Medium, s.medium),
            (RiskClass::High, s.high),
        ] {
            if let Some(level) = level {
                cfg.autonomy.set(class, level.0);
            }
        }
    }
    for rule in raw.risk {
        cfg.risk.push(src.risk_rule(rule)?);
    }
    for (name, agent) in raw.agents {
        let agent = src.agent(&name, agent)?;
        cfg.agents.insert(name, agent);
    }
    if let Some(gate) = raw.gate {
        if let Some(t) = gate.approval_timeout {
            cfg.gate.approval_timeout = src.positive(t, "approval_timeout", "")?;
        }
        if let Some(u) = gate.unattended {
            cfg.gate.unattended = u.0;
        }
        if let Some(a) = gate.allowed {
            cfg.gate.allowed = a.0;
        }
    }
    if let Some(run) = raw.run {
        if let Some(t) = run.timeout {
            let hint = "; leave `timeout` out for no limit";
            cfg.run.timeout = Some(src.positive(t, "timeout", hint)?);
        }
        if let Some(g) = run.grace {
            cfg.run.grace = g.0;
        }
        if let Some(c) = run.confine {
            cfg.run.confine = c.0;
        }
        if let Some(n) = run.network {
            cfg.run.network = n.0;
        }
        if let Some(ports) = run.allow_connect_ports {
            cfg.run.allow_connect_ports = src.ports(ports)?;
        }
    }
    if let Some(p) = raw.provenance.and_then(|p| p.prompts) {
        cfg.provenance.prompts = p.0;
    }
    if let Some(command) = raw.notify.and_then(|n| n.command) {
        cfg.notify.command = Some(src.notify_command(command)?);
    }
    for (model, price) in raw.prices {
        let price = src.price(&model, price)?;
        cfg.prices.insert(model, price);
    }
    let mut names: BTreeMap<String, Pos> = BTreeMap::new();
    for inv in raw.invariant {
        let inv = src.invariant(inv, &mut names)?;
        cfg.invariants.push(inv);
    }
    Ok(cfg)
}

/// Parses and checks the text of a tasks file; `path` is only used in
/// errors. Agents are checked against the config by [`check_tasks`].
pub fn parse_tasks(text: &str, path: &Path) -> Result<TasksConfig, ConfigError> {
    let src = Source::new(path, text);
    let raw: RawTasks = src.deserialize()?;
    let mut names: BTreeMap<String, Pos> = BTreeMap::new();
    let mut tasks = Vec::new();
    for task in raw.task {
        tasks.push(src.task(task, &mut names)?);
    }
    Ok(TasksConfig { tasks })
}

/// Checks that every task's agent can be started with `cfg`: it is
/// configured in config.toml, or it is `generic` and the task brings its
/// own `command`. A prompt-only task without an agent needs some agent to
/// be configured, to be chosen when it runs.
pub fn check_tasks(
    tasks: &TasksConfig,
    cfg: &WorkspaceConfig,
    tasks_path: &Path,
) -> Result<(), ConfigError> {
    let configured = || {
        if cfg.agents.is_empty() {
            format!("no agents are configured in {CONFIG_FILE}")
        } else {
            let names: Vec<&str> = cfg.agents.keys().map(String::as_str).collect();
            format!("configured agents: {}", names.join(", "))
        }
    };
    // `what` is "task `a`" or "pass `b` of task `a`".
    let check_agent =
        |what: &str, agent: Option<&str>, has_command: bool, at: Pos, agent_at: Pos| match agent {
            Some(agent) if cfg.agents.contains_key(agent) => Ok(()),
            Some("generic") if has_command => Ok(()),
            Some("generic") => Err(ConfigError::new(
                tasks_path,
                agent_at,
                format!(
                    "{what} uses agent `generic` but has no `command`; expected \
                     command = [\"program\", \"arg\", …] (or an [agents.generic] \
                     entry in {CONFIG_FILE})"
                ),
            )),
            Some(agent) => Err(ConfigError::new(
                tasks_path,
                agent_at,
                format!(
                    "{what} names agent `{agent}`, which is not configured in \
                     {CONFIG_FILE}; {}, or \"generic\" with a `command`",
                    configured()
                ),
            )),
            None if !has_command && cfg.agents.is_empty() => Err(ConfigError::new(
                tasks_path,
                at,
                format!(
                    "{what} has a prompt but no agent, and {}; expected agent = \
                     \"NAME\" with an [agents.NAME] entry, or a `command`",
                    configured()
                ),
            )),
            None => Ok(()),
        };
    for task in &tasks.tasks {
        if task.passes.is_empty() {
            let what = format!("task `{}`", task.name);
            let has_command = task.command.is_some();
            check_agent(
                &what,
                task.agent.as_deref(),
                has_command,
                task.at,
                task.agent_at,
            )?;
        }
        for pass in &task.passes {
            let what = format!("pass `{}` of task `{}`", pass.name, task.name);
            let has_command = pass.command.is_some();
            check_agent(
                &what,
                pass.agent.as_deref(),
                has_command,
                pass.at,
                pass.agent_at,
            )?;
        }
    }
    Ok(())
}
