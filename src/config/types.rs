//! The public shapes of the workspace's policy and tasks, as the rest of
//! leash uses them: no spans (except where a later check needs one, see
//! [`TaskConfig::at`]).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Pos;
use super::expand_date_placeholders;
use crate::model::{AutonomyLevel, Budget, Contract, PassGate, PassMode, RiskClass, Sliders};
use crate::model::{InvariantConfig, words};
use crate::policy::RiskRule;

/// The workspace policy of `.leash/config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceConfig {
    pub default_risk: RiskClass,
    pub autonomy: Sliders,
    pub risk: Vec<RiskRule>,
    pub agents: BTreeMap<String, AgentConfig>,
    pub gate: GateConfig,
    pub run: RunConfig,
    pub invariants: Vec<InvariantConfig>,
    pub provenance: ProvenanceConfig,
    pub notify: NotifyConfig,
    /// `[prices]`: dollars per million tokens, by the model name the
    /// agent's stream gives, for agents that report no cost of their own.
    pub prices: BTreeMap<String, Price>,
}

impl Default for WorkspaceConfig {
    fn default() -> Self {
        WorkspaceConfig {
            default_risk: RiskClass::Medium,
            autonomy: Sliders::default(),
            risk: Vec::new(),
            agents: BTreeMap::new(),
            gate: GateConfig::default(),
            run: RunConfig::default(),
            invariants: Vec::new(),
            provenance: ProvenanceConfig::default(),
            notify: NotifyConfig::default(),
            prices: BTreeMap::new(),
        }
    }
}

/// What a model's tokens cost, in dollars per million tokens. Prompt
/// tokens are all priced as `input`, cached ones too (so a cost priced
/// here is at most what was billed, for models that bill cache reads
/// cheaper).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

impl Price {
    /// Dollars for `input` prompt and `output` generated tokens.
    pub fn cost(&self, input: u64, output: u64) -> f64 {
        (input as f64 * self.input + output as f64 * self.output) / 1_000_000.0
    }
}

impl WorkspaceConfig {
    /// Dollars for a usage of `model`, when `[prices]` names it.
    pub fn price(&self, model: Option<&str>, input: u64, output: u64) -> Option<f64> {
        self.prices.get(model?).map(|p| p.cost(input, output))
    }
}

/// An `[agents.NAME]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// argv, never empty; `{prompt}` is substituted later as one argument.
    pub command: Vec<String>,
    pub format: AgentFormat,
    /// Paths outside the worktree the agent may write to in a confined
    /// turn (`~` is the home directory); `None`: the defaults for its
    /// format.
    pub writable: Option<Vec<String>>,
    /// `[run] confine` for this agent's turns only; `None`: as `[run]`.
    pub confine: Option<ConfineMode>,
}

/// How an agent's output is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentFormat {
    Claude,
    Codex,
    #[default]
    Generic,
}

words!(AgentFormat, "an agent format", {
    Claude => "claude",
    Codex => "codex",
    Generic => "generic",
});

/// What a hook answers when no console is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unattended {
    /// Deny at once, saying that no operator is present.
    #[default]
    Deny,
    /// Wait for an operator anyway, up to `approval_timeout`.
    Ask,
}

words!(Unattended, "an unattended policy", { Deny => "deny", Ask => "ask" });

/// What a hook answers to a tool call that policy lets run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allowed {
    /// Say `allow` in the agent's dialect: the agent runs the tool without
    /// a prompt of its own, so the journal's `allow` is what happened.
    #[default]
    Explicit,
    /// Say nothing: the agent's own permission mode decides, and the
    /// journal records the action as deferred to the agent.
    Defer,
}

words!(Allowed, "a gate answer for allowed actions", {
    Explicit => "explicit",
    Defer => "defer",
});

/// The `[gate]` table: how hooks wait for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateConfig {
    pub approval_timeout: Duration,
    pub unattended: Unattended,
    pub allowed: Allowed,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            approval_timeout: Duration::from_secs(10 * 60),
            unattended: Unattended::Deny,
            allowed: Allowed::Explicit,
        }
    }
}

/// Whether isolated turns run confined with Landlock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfineMode {
    /// Confined where the kernel has Landlock; otherwise unconfined, with
    /// a warning on the turn.
    #[default]
    Auto,
    /// Refuse to start a turn that cannot be confined.
    Require,
    /// Never confine.
    Off,
}

words!(ConfineMode, "a confinement mode", {
    Auto => "auto",
    Require => "require",
    Off => "off",
});

/// What a confined turn may do on the network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkMode {
    /// As the machine allows.
    #[default]
    Open,
    /// TCP connects only to `allow_connect_ports` (Landlock ABI ≥ 4).
    Deny,
}

words!(NetworkMode, "a network mode", { Open => "open", Deny => "deny" });

/// The `[run]` table: limits on turns that leash starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfig {
    /// No limit when `None`.
    pub timeout: Option<Duration>,
    /// Time between SIGTERM and SIGKILL on cancel or timeout.
    pub grace: Duration,
    pub confine: ConfineMode,
    pub network: NetworkMode,
    /// With `network = "deny"`: the TCP ports a turn may connect to.
    pub allow_connect_ports: Vec<u16>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            timeout: None,
            grace: Duration::from_secs(10),
            confine: ConfineMode::Auto,
            network: NetworkMode::Open,
            allow_connect_ports: vec![443],
        }
    }
}

/// The `[notify]` table: a command run when something starts waiting for
/// the operator, by the process that queued it (the gate, a turn's
/// supervisor). Read only from the committed config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotifyConfig {
    /// argv, never empty; `{title}`, `{body}` and `{turn}` are filled in,
    /// each within its own argument.
    pub command: Option<Vec<String>>,
}

/// The `[provenance]` table: what the git notes of landed turns carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenanceConfig {
    pub prompts: Prompts,
}

/// Whether a turn's note carries its prompt, or only the prompt's sha256.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompts {
    /// The prompt as given, in the note that travels with the commit.
    #[default]
    Public,
    /// Only `sha256:<hex>` of the prompt: who holds the prompt can prove
    /// it, nobody else reads it.
    Private,
}

words!(Prompts, "a prompts setting", {
    Public => "public",
    Private => "private",
});

/// The tasks of `.leash/tasks.toml` (file key `[[task]]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TasksConfig {
    pub tasks: Vec<TaskConfig>,
}

impl TasksConfig {
    /// The task called `name`.
    pub fn find(&self, name: &str) -> Option<&TaskConfig> {
        self.tasks.iter().find(|t| t.name == name)
    }
}

/// One `[[task]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskConfig {
    pub name: String,
    pub agent: Option<String>,
    pub risk: Option<RiskClass>,
    pub prompt: Option<String>,
    pub command: Option<Vec<String>>,
    pub title: Option<String>,
    /// Repo-relative path; never absolute, never through `..`.
    pub deliverable: Option<String>,
    pub autonomy: Option<AutonomyLevel>,
    /// Where the task's table starts in the tasks file, so that
    /// [`check_tasks`](super::check_tasks) can point at it.
    pub at: Pos,
    /// Where its `agent` value is (0:0 when there is none).
    pub agent_at: Pos,
    /// Its `[[task.pass]]` tables: a task with passes is a pipeline, and
    /// has no `prompt` or `command` of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passes: Vec<PassConfig>,
}

/// One `[[task.pass]]`: a turn of a pipeline, with a deliverable (`out`)
/// and a contract it must meet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PassConfig {
    /// Letters, digits, `-` and `_`; unique within its task.
    pub name: String,
    pub agent: Option<String>,
    pub command: Option<Vec<String>>,
    /// With `{today}`, `{yesterday}`, `{task}`, `{run}`, `{out}` and
    /// `{<earlier pass>.out}` still in it.
    pub prompt: Option<String>,
    /// Repo-relative; `{today}`, `{yesterday}`, `{task}` and `{run}` still in it.
    pub out: String,
    pub contract: Contract,
    pub risk: Option<RiskClass>,
    pub autonomy: Option<AutonomyLevel>,
    /// Read and kept; not enforced yet.
    pub budget: Budget,
    pub mode: PassMode,
    pub role: Option<String>,
    pub gate: PassGate,
    /// Where the pass's table starts in the tasks file.
    pub at: Pos,
    /// Where its `agent` value is (0:0 when there is none).
    pub agent_at: Pos,
}

impl TaskConfig {
    /// The pass called `name`.
    pub fn pass(&self, name: &str) -> Option<&PassConfig> {
        self.passes.iter().find(|p| p.name == name)
    }
}

impl TaskConfig {
    /// The task with `{today}` and `{yesterday}` expanded in its prompt,
    /// command, title and deliverable.
    pub fn expand_dates(&self, today: chrono::NaiveDate) -> TaskConfig {
        let ex = |s: &String| expand_date_placeholders(s, today);
        TaskConfig {
            prompt: self.prompt.as_ref().map(ex),
            command: self.command.as_ref().map(|c| c.iter().map(ex).collect()),
            title: self.title.as_ref().map(ex),
            deliverable: self.deliverable.as_ref().map(ex),
            ..self.clone()
        }
    }
}
