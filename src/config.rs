//! The workspace's policy (`.leash/config.toml`) and tasks
//! (`.leash/tasks.toml`), parsed with errors that point at the offending
//! line and column (DESIGN §5).
//!
//! Files are read into private `Raw*` shapes that keep source spans, then
//! checked and turned into the public types, which carry no spans (except
//! where a later check needs one, see [`TaskConfig::at`]).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::model::{AutonomyLevel, RiskClass};
use crate::policy::{command_glob, path_glob};

/// Where the workspace policy lives, relative to the workspace root.
pub const CONFIG_FILE: &str = ".leash/config.toml";
/// Where the workspace's tasks live, relative to the workspace root.
pub const TASKS_FILE: &str = ".leash/tasks.toml";

/// The invariant kinds of DESIGN §6; any other `kind` is a typo.
pub const INVARIANT_KINDS: &[&str] = &[
    "boot",
    "readme",
    "routing",
    "references",
    "separation",
    "layout",
    "deliverable",
    "command",
];

/// What `leash init` writes to `.leash/config.toml`.
pub const CONFIG_TEMPLATE: &str = r##"# leash workspace policy.
#
# This file is tracked in git, so everyone working on this repository, and
# every script, gets the same rules. Durations are written like "90s", "10m"
# or "1h 30m". An unknown key is an error, so a typo never goes unnoticed.

# The risk class of a turn whose task declares none: "low", "medium" or
# "high". A turn's class is the highest of its task's class and the classes
# of every [[risk]] rule below that its changes or commands match.
default_risk = "medium"

# How much an agent may do alone: one slider per risk class. From least to
# most freedom:
#   manual   every mutating action waits for you, and so does the diff
#   review   actions run freely in the turn's own worktree; the diff waits
#            for your approval
#   guarded  the diff lands by itself if every invariant passes and the turn
#            did not fail; otherwise it waits for you
#   auto     the diff lands by itself; failures and broken invariants are
#            flagged so that you can roll the turn back
# A turn that failed never lands by itself, whatever its slider says.
[autonomy]
low = "guarded"
medium = "review"
high = "manual"

# Risk rules only ever raise a turn's class, never lower it.
#
# `paths` are globs over repo-relative paths: `*` stays inside one folder,
# `**` crosses folders, and a bare name such as "AGENTS.md" means the file
# at the root only. Matching is case-sensitive.
[[risk]]
paths = ["operations/**", "AGENTS.md"]
class = "high"

# `commands` are globs over the command lines an agent runs; here `*`
# matches anything, spaces and slashes included. Each part of a chained line
# such as `cd x && git push` is checked on its own as well.
[[risk]]
commands = ["git push*", "curl *", "rm -rf *"]
class = "high"

# The agents leash can start, by name. `command` is an argv array, run
# without a shell; "{prompt}" becomes exactly one argument. `format` says how
# to read the agent's output: "claude", "codex", or "generic" (any command,
# output shown as is).
[agents.claude]
command = ["claude", "-p", "{prompt}", "--output-format", "stream-json", "--verbose"]
format = "claude"

[agents.codex]
command = ["codex", "exec", "--json", "--sandbox", "workspace-write", "{prompt}"]
format = "codex"

# Actions that agent hooks hold for your approval.
[gate]
# How long a held action waits for an answer before it is denied.
approval_timeout = "10m"
# What a hook answers when no console is open: "deny" answers at once, with
# a reason saying that no operator is present; "ask" waits for an operator
# anyway (`leash allow`, `leash deny`), up to approval_timeout.
unattended = "deny"

# Turns that leash starts itself (`leash run`, or `n` in the console).
[run]
# Stop a turn that runs longer than this. Left out, a turn may run forever.
# timeout = "30m"
# When a turn is cancelled or times out, the agent is asked to stop
# (SIGTERM) and killed (SIGKILL) if it still runs this long afterwards.
grace = "10s"

# Invariants are integrity checks run on each turn's tree before a decision,
# and on demand with `leash check`. Each has a unique `name`, a `kind`, and
# options of its own. Kinds: boot, readme, routing, references, separation,
# layout, deliverable, command. Remove the leading "# " to switch one on.
#
# [[invariant]]
# name = "no dangling pointers"
# kind = "references"    # relative links and backticked paths in Markdown resolve
# roots = ["."]
#
# [[invariant]]
# name = "tests pass"
# kind = "command"       # passes when the command exits 0
# command = ["cargo", "test"]
# timeout = "10m"
"##;

/// What `leash init` writes to `.leash/tasks.toml`.
pub const TASKS_TEMPLATE: &str = r#"# leash tasks: named units of work, started with `leash run --task NAME` or
# from the console. An unknown key is an error. Each [[task]] has:
#
#   name         how you refer to the task; unique in this file
#   agent        an agent from [agents.*] in .leash/config.toml, or "generic"
#                for a task that brings its own `command`
#   prompt       what the agent is asked to do
#   command      an argv array run instead of the agent's own command, without
#                a shell; "{prompt}" in it becomes the prompt, as one argument
#   risk         the class the task declares: "low", "medium" or "high";
#                left out, `default_risk` from config.toml applies
#   title        the first line of the commit when the turn lands
#   deliverable  a repo-relative file the turn must leave behind, non-empty;
#                without it the turn fails as empty_deliverable
#   autonomy     this task's own slider stop: "manual", "review", "guarded" or
#                "auto". It holds while the turn stays at the declared risk;
#                if the turn escalates, the stricter of this and the slider
#                of the higher class applies.
#
# A task needs a `prompt`, a `command`, or both. In prompt, command, title and
# deliverable, {today} and {yesterday} become dates such as 2026-11-27.

[[task]]
name = "draft-post"
title = "Draft the post for {today}"
agent = "claude"
risk = "medium"
prompt = "Draft the post from docs/outline.md into memory/{today}/draft.md"
deliverable = "memory/{today}/draft.md"
autonomy = "review"

[[task]]
name = "format"
title = "Format the code"
agent = "generic"
command = ["cargo", "fmt", "--all"]
risk = "low"
"#;

/// A place in a file: 1-based line and column (in characters); 0:0 when
/// unknown, e.g. for a task made up on the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// A config file that cannot be used, and where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ConfigError {
    fn new(path: &Path, pos: Pos, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.to_path_buf(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

/// The workspace policy of `.leash/config.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceConfig {
    pub default_risk: RiskClass,
    pub autonomy: Sliders,
    pub risk: Vec<RiskRule>,
    pub agents: BTreeMap<String, AgentConfig>,
    pub gate: GateConfig,
    pub run: RunConfig,
    pub invariants: Vec<InvariantConfig>,
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
        }
    }
}

/// One autonomy level per risk class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sliders {
    pub low: AutonomyLevel,
    pub medium: AutonomyLevel,
    pub high: AutonomyLevel,
}

impl Default for Sliders {
    fn default() -> Self {
        Sliders {
            low: AutonomyLevel::Guarded,
            medium: AutonomyLevel::Review,
            high: AutonomyLevel::Manual,
        }
    }
}

impl Sliders {
    /// The level set for `c`.
    pub fn get(&self, c: RiskClass) -> AutonomyLevel {
        match c {
            RiskClass::Low => self.low,
            RiskClass::Medium => self.medium,
            RiskClass::High => self.high,
        }
    }

    /// Moves the slider of `c` to `l`.
    pub fn set(&mut self, c: RiskClass, l: AutonomyLevel) {
        match c {
            RiskClass::Low => self.low = l,
            RiskClass::Medium => self.medium = l,
            RiskClass::High => self.high = l,
        }
    }
}

/// A `[[risk]]` rule: paths and/or commands that raise a turn to `class`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRule {
    pub paths: Vec<String>,
    pub commands: Vec<String>,
    pub class: RiskClass,
}

/// An `[agents.NAME]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// argv, never empty; `{prompt}` is substituted later as one argument.
    pub command: Vec<String>,
    pub format: AgentFormat,
}

/// Generates `ALL`, `as_str`, `Display` and a `FromStr` whose error lists
/// the accepted words, worded like those of `model`.
macro_rules! config_words {
    ($ty:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The word used in the config file.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($word => Ok($ty::$variant),)+
                    _ => Err(format!(
                        "`{s}` is not {}; expected one of: {}",
                        $what,
                        [$($word),+].join(", ")
                    )),
                }
            }
        }
    };
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

config_words!(AgentFormat, "an agent format", {
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

config_words!(Unattended, "an unattended policy", { Deny => "deny", Ask => "ask" });

/// The `[gate]` table: how hooks wait for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateConfig {
    pub approval_timeout: Duration,
    pub unattended: Unattended,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            approval_timeout: Duration::from_secs(10 * 60),
            unattended: Unattended::Deny,
        }
    }
}

/// The `[run]` table: limits on turns that leash starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunConfig {
    /// No limit when `None`.
    pub timeout: Option<Duration>,
    /// Time between SIGTERM and SIGKILL on cancel or timeout.
    pub grace: Duration,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            timeout: None,
            grace: Duration::from_secs(10),
        }
    }
}

/// An `[[invariant]]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct InvariantConfig {
    pub name: String,
    /// One of [`INVARIANT_KINDS`].
    pub kind: String,
    /// Every other key, for the runner of that kind to interpret.
    pub options: toml::Table,
}

/// The tasks of `.leash/tasks.toml` (file key `[[task]]`).
#[derive(Debug, Clone, Default, PartialEq)]
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
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// [`check_tasks`] can point at it.
    pub at: Pos,
    /// Where its `agent` value is (0:0 when there is none).
    pub agent_at: Pos,
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

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::new(
            path,
            Pos::default(),
            format!("cannot read the file: {e}"),
        )),
    }
}

/// Parses and checks the text of a workspace config; `path` is only used in
/// errors.
pub fn parse_workspace_config(text: &str, path: &Path) -> Result<WorkspaceConfig, ConfigError> {
    let src = Source { text, path };
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
    }
    if let Some(run) = raw.run {
        if let Some(t) = run.timeout {
            let hint = "; leave `timeout` out for no limit";
            cfg.run.timeout = Some(src.positive(t, "timeout", hint)?);
        }
        if let Some(g) = run.grace {
            cfg.run.grace = g.0;
        }
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
    let src = Source { text, path };
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
    for task in &tasks.tasks {
        match &task.agent {
            Some(agent) if cfg.agents.contains_key(agent) => {}
            Some(agent) if agent == "generic" => {
                if task.command.is_none() {
                    return Err(ConfigError::new(
                        tasks_path,
                        task.agent_at,
                        format!(
                            "task `{}` uses agent `generic` but has no `command`; expected \
                             command = [\"program\", \"arg\", …] (or an [agents.generic] \
                             entry in {CONFIG_FILE})",
                            task.name
                        ),
                    ));
                }
            }
            Some(agent) => {
                return Err(ConfigError::new(
                    tasks_path,
                    task.agent_at,
                    format!(
                        "task `{}` names agent `{agent}`, which is not configured in \
                         {CONFIG_FILE}; {}, or \"generic\" with a `command`",
                        task.name,
                        configured()
                    ),
                ));
            }
            None if task.command.is_none() && cfg.agents.is_empty() => {
                return Err(ConfigError::new(
                    tasks_path,
                    task.at,
                    format!(
                        "task `{}` has a prompt but no agent, and {}; expected agent = \
                         \"NAME\" with an [agents.NAME] entry, or a `command`",
                        task.name,
                        configured()
                    ),
                ));
            }
            None => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Reading: raw shapes that keep spans, and the checks that turn them into
// the public types.

/// Words that a config value may be; gives `Word` its error text.
trait Words: FromStr {
    /// What a value is called, with its article.
    const WHAT: &'static str;
    fn words() -> Vec<&'static str>;
}

impl Words for RiskClass {
    const WHAT: &'static str = "a risk class";
    fn words() -> Vec<&'static str> {
        RiskClass::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for AutonomyLevel {
    const WHAT: &'static str = "an autonomy level";
    fn words() -> Vec<&'static str> {
        AutonomyLevel::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for AgentFormat {
    const WHAT: &'static str = "an agent format";
    fn words() -> Vec<&'static str> {
        AgentFormat::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for Unattended {
    const WHAT: &'static str = "an unattended policy";
    fn words() -> Vec<&'static str> {
        Unattended::ALL.iter().map(|c| c.as_str()).collect()
    }
}

/// A word parsed with its `FromStr`, so that a wrong word is answered with
/// the list of accepted ones (serde's own enum error is terser).
struct Word<T>(T);

impl<'de, T: Words> Deserialize<'de> for Word<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: Words> Visitor<'_> for V<T> {
            type Value = Word<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "one of: {}", T::words().join(", "))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Word<T>, E> {
                v.parse().map(Word).map_err(|_| {
                    E::custom(format!(
                        "`{v}` is not {}; expected one of: {}",
                        T::WHAT,
                        T::words().join(", ")
                    ))
                })
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

const DURATION_EXPECTED: &str = "a duration such as \"10m\" or \"90s\"";

/// A duration written for humans, `"10m"` or `"1h 30m"`.
struct Dur(Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(DURATION_EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                humantime::parse_duration(v.trim()).map(Dur).map_err(|_| {
                    E::custom(format!(
                        "`{v}` is not a duration; expected {DURATION_EXPECTED} \
                         (units: ms, s, m, h, d)"
                    ))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// An argv array; its own type only for the error text.
struct Argv(Vec<String>);

impl<'de> Deserialize<'de> for Argv {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Argv;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings such as [\"program\", \"arg\"]")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Argv, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Argv(out))
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a leash config table")]
struct RawConfig {
    default_risk: Option<Word<RiskClass>>,
    autonomy: Option<RawSliders>,
    #[serde(default)]
    risk: Vec<Spanned<RawRisk>>,
    #[serde(default)]
    agents: BTreeMap<String, Spanned<RawAgent>>,
    gate: Option<RawGate>,
    run: Option<RawRun>,
    #[serde(default)]
    invariant: Vec<Spanned<RawInvariant>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table of autonomy levels with keys low, medium, high"
)]
struct RawSliders {
    low: Option<Word<AutonomyLevel>>,
    medium: Option<Word<AutonomyLevel>>,
    high: Option<Word<AutonomyLevel>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [[risk]] table with `paths` and/or `commands`, and `class`"
)]
struct RawRisk {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    commands: Vec<Spanned<String>>,
    class: Option<Word<RiskClass>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an agent table with `command` and `format`"
)]
struct RawAgent {
    command: Option<Spanned<Argv>>,
    format: Option<Word<AgentFormat>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [gate] table with `approval_timeout` and `unattended`"
)]
struct RawGate {
    approval_timeout: Option<Spanned<Dur>>,
    unattended: Option<Word<Unattended>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [run] table with `timeout` and `grace`"
)]
struct RawRun {
    timeout: Option<Spanned<Dur>>,
    grace: Option<Dur>,
}

/// `name` and `kind` with their spans; every other key goes to `options`
/// unchecked, because each kind has options of its own.
struct RawInvariant {
    name: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    options: toml::Table,
}

impl<'de> Deserialize<'de> for RawInvariant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawInvariant;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an [[invariant]] table with `name` and `kind`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawInvariant, A::Error> {
                let mut inv = RawInvariant {
                    name: None,
                    kind: None,
                    options: toml::Table::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => inv.name = Some(map.next_value()?),
                        "kind" => inv.kind = Some(map.next_value()?),
                        _ => {
                            let value = map.next_value::<toml::Value>()?;
                            inv.options.insert(key, value);
                        }
                    }
                }
                Ok(inv)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a tasks file of [[task]] tables")]
struct RawTasks {
    #[serde(default)]
    task: Vec<Spanned<RawTask>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[task]] table")]
struct RawTask {
    name: Option<Spanned<String>>,
    agent: Option<Spanned<String>>,
    risk: Option<Word<RiskClass>>,
    prompt: Option<Spanned<String>>,
    command: Option<Spanned<Argv>>,
    title: Option<String>,
    deliverable: Option<Spanned<String>>,
    autonomy: Option<Word<AutonomyLevel>>,
}

/// The text being read, for turning byte spans into positions.
struct Source<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Source<'_> {
    fn pos(&self, offset: usize) -> Pos {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Pos {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }

    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.path, self.pos(span.start), message)
    }

    fn deserialize<T: de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(self.text).map_err(|e| {
            let mut message = e.message().to_string();
            if message == "duplicate key"
                && let Some(key) = e.span().and_then(|s| self.text.get(s))
            {
                message = format!("duplicate key `{key}`; a key may appear only once in a table");
            }
            if let Some(keys) = key_path(&e) {
                message = format!("{message} (in `{keys}`)");
            }
            let message = with_suggestion(&message);
            match e.span() {
                Some(span) => self.err(span, message),
                // Every error toml reports today has a span; should one
                // not, the top of the file is still a true position.
                None => ConfigError::new(self.path, Pos { line: 1, column: 1 }, message),
            }
        })
    }

    fn risk_rule(&self, rule: Spanned<RawRisk>) -> Result<RiskRule, ConfigError> {
        let span = rule.span();
        let raw = rule.into_inner();
        let Some(class) = raw.class else {
            return Err(self.err(
                span,
                format!(
                    "this [[risk]] rule has no `class`; expected class = one of: {}",
                    RiskClass::words().join(", ")
                ),
            ));
        };
        if raw.paths.is_empty() && raw.commands.is_empty() {
            return Err(self.err(
                span,
                "this [[risk]] rule has neither `paths` nor `commands`; expected \
                 paths = [\"glob\", …] and/or commands = [\"glob\", …]",
            ));
        }
        let mut paths = Vec::new();
        for p in raw.paths {
            let pattern = p.get_ref();
            if pattern.is_empty() {
                return Err(self.err(
                    p.span(),
                    "empty path pattern; expected a glob such as \"docs/**\"",
                ));
            }
            if let Some(rest) = pattern.strip_prefix("./").or(pattern.strip_prefix('/')) {
                return Err(self.err(
                    p.span(),
                    format!(
                        "path pattern `{pattern}` would never match: paths are repo-relative; \
                         expected `{rest}`"
                    ),
                ));
            }
            if let Err(e) = path_glob(pattern) {
                return Err(self.err(
                    p.span(),
                    format!("invalid path glob `{pattern}`: {}", e.kind()),
                ));
            }
            paths.push(p.into_inner());
        }
        let mut commands = Vec::new();
        for c in raw.commands {
            let pattern = c.get_ref();
            if pattern.trim().is_empty() {
                return Err(self.err(
                    c.span(),
                    "empty command pattern; expected a glob such as \"git push*\"",
                ));
            }
            if let Err(e) = command_glob(pattern) {
                return Err(self.err(
                    c.span(),
                    format!("invalid command glob `{pattern}`: {}", e.kind()),
                ));
            }
            commands.push(c.into_inner());
        }
        Ok(RiskRule {
            paths,
            commands,
            class: class.0,
        })
    }

    fn agent(&self, name: &str, agent: Spanned<RawAgent>) -> Result<AgentConfig, ConfigError> {
        let span = agent.span();
        let raw = agent.into_inner();
        let expected = "expected an argv array such as [\"claude\", \"-p\", \"{prompt}\"]";
        let Some(command) = raw.command else {
            return Err(self.err(span, format!("agent `{name}` has no `command`; {expected}")));
        };
        let command_span = command.span();
        let command = command.into_inner().0;
        match command.first() {
            None => {
                return Err(self.err(
                    command_span,
                    format!("the command of agent `{name}` is empty; {expected}"),
                ));
            }
            Some(program) if program.trim().is_empty() => {
                return Err(self.err(
                    command_span,
                    format!("the command of agent `{name}` has an empty program name; {expected}"),
                ));
            }
            Some(_) => {}
        }
        Ok(AgentConfig {
            command,
            format: raw.format.map(|f| f.0).unwrap_or_default(),
        })
    }

    fn positive(&self, d: Spanned<Dur>, key: &str, hint: &str) -> Result<Duration, ConfigError> {
        if d.get_ref().0.is_zero() {
            return Err(self.err(
                d.span(),
                format!("`{key}` must be longer than zero; expected {DURATION_EXPECTED}{hint}"),
            ));
        }
        Ok(d.into_inner().0)
    }

    fn invariant(
        &self,
        inv: Spanned<RawInvariant>,
        names: &mut BTreeMap<String, Pos>,
    ) -> Result<InvariantConfig, ConfigError> {
        let span = inv.span();
        let raw = inv.into_inner();
        let Some(name) = raw.name else {
            return Err(self.err(
                span,
                "this [[invariant]] has no `name`; expected name = \"what it checks\"",
            ));
        };
        if name.get_ref().trim().is_empty() {
            return Err(self.err(
                name.span(),
                "the invariant name is empty; expected a name such as \"no dangling pointers\"",
            ));
        }
        let kinds = INVARIANT_KINDS.join(", ");
        let Some(kind) = raw.kind else {
            return Err(self.err(
                span,
                format!(
                    "invariant `{}` has no `kind`; expected kind = one of: {kinds}",
                    name.get_ref()
                ),
            ));
        };
        if !INVARIANT_KINDS.contains(&kind.get_ref().as_str()) {
            return Err(self.err(
                kind.span(),
                format!(
                    "`{}` is not an invariant kind; expected one of: {kinds}",
                    kind.get_ref()
                ),
            ));
        }
        let here = self.pos(name.span().start);
        if let Some(first) = names.insert(name.get_ref().clone(), here) {
            return Err(self.err(
                name.span(),
                format!(
                    "duplicate invariant name `{}`; it is already used at line {}",
                    name.get_ref(),
                    first.line
                ),
            ));
        }
        Ok(InvariantConfig {
            name: name.into_inner(),
            kind: kind.into_inner(),
            options: raw.options,
        })
    }

    fn task(
        &self,
        task: Spanned<RawTask>,
        names: &mut BTreeMap<String, Pos>,
    ) -> Result<TaskConfig, ConfigError> {
        let span = task.span();
        let raw = task.into_inner();
        let Some(name) = raw.name else {
            return Err(self.err(
                span,
                "this [[task]] has no `name`; expected name = \"task-name\"",
            ));
        };
        if name.get_ref().trim().is_empty() {
            return Err(self.err(
                name.span(),
                "the task name is empty; expected a name such as \"draft-post\"",
            ));
        }
        let here = self.pos(name.span().start);
        if let Some(first) = names.insert(name.get_ref().clone(), here) {
            return Err(self.err(
                name.span(),
                format!(
                    "duplicate task name `{}`; it is already used at line {}",
                    name.get_ref(),
                    first.line
                ),
            ));
        }
        let tname = name.get_ref();
        let mut agent_at = Pos::default();
        if let Some(agent) = &raw.agent {
            if agent.get_ref().trim().is_empty() {
                return Err(self.err(
                    agent.span(),
                    format!("the agent of task `{tname}` is empty; expected an agent name such as \"claude\""),
                ));
            }
            agent_at = self.pos(agent.span().start);
        }
        if let Some(prompt) = &raw.prompt
            && prompt.get_ref().trim().is_empty()
        {
            return Err(self.err(
                prompt.span(),
                format!("the prompt of task `{tname}` is empty; expected what the agent should do"),
            ));
        }
        if let Some(command) = &raw.command {
            let expected = "expected an argv array such as [\"cargo\", \"fmt\"]";
            match command.get_ref().0.first() {
                None => {
                    return Err(self.err(
                        command.span(),
                        format!("the command of task `{tname}` is empty; {expected}"),
                    ));
                }
                Some(p) if p.trim().is_empty() => {
                    return Err(self.err(
                        command.span(),
                        format!(
                            "the command of task `{tname}` has an empty program name; {expected}"
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        if raw.prompt.is_none() && raw.command.is_none() {
            return Err(self.err(
                span,
                format!(
                    "task `{tname}` has neither `prompt` nor `command`; expected \
                     prompt = \"…\" for an agent, or command = [\"program\", …]"
                ),
            ));
        }
        if let Some(d) = &raw.deliverable {
            self.check_deliverable(tname, d)?;
        }
        Ok(TaskConfig {
            name: name.into_inner(),
            agent: raw.agent.map(Spanned::into_inner),
            risk: raw.risk.map(|w| w.0),
            prompt: raw.prompt.map(Spanned::into_inner),
            command: raw.command.map(|c| c.into_inner().0),
            title: raw.title,
            deliverable: raw.deliverable.map(Spanned::into_inner),
            autonomy: raw.autonomy.map(|w| w.0),
            at: self.pos(span.start),
            agent_at,
        })
    }

    /// The deliverable is looked for inside the turn's worktree, so it must
    /// not point outside it.
    fn check_deliverable(&self, task: &str, d: &Spanned<String>) -> Result<(), ConfigError> {
        let value = d.get_ref();
        let p = Path::new(value);
        let problem = if value.trim().is_empty() {
            Some("is empty")
        } else if p.is_absolute() || value.starts_with('/') {
            Some("is absolute")
        } else if p.components().any(|c| c == Component::ParentDir) {
            Some("leaves the repository through `..`")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(self.err(
                d.span(),
                format!(
                    "the deliverable of task `{task}` {problem}; expected a repo-relative \
                     path such as \"memory/{{today}}/draft.md\""
                ),
            )),
            None => Ok(()),
        }
    }
}

/// The dotted key path toml knows for an error (`gate.approval_timeout`).
/// toml only shows it in `Display`, and only when it has no input to quote.
fn key_path(e: &toml::de::Error) -> Option<String> {
    let mut e = e.clone();
    e.set_input(None);
    let shown = e.to_string();
    shown.lines().find_map(|l| {
        l.strip_prefix("in `")
            .and_then(|rest| rest.strip_suffix('`'))
            .filter(|k| !k.is_empty())
            .map(str::to_string)
    })
}

/// Adds "did you mean" to serde's unknown-field and unknown-variant
/// messages when one accepted word is a likely typo of the given one.
fn with_suggestion(message: &str) -> String {
    let ticked: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let unknown = message.starts_with("unknown field") || message.starts_with("unknown variant");
    let (Some(given), true) = (ticked.first(), unknown) else {
        return message.to_string();
    };
    let best = ticked[1..]
        .iter()
        .map(|w| (edit_distance(given, w), *w))
        .filter(|(d, w)| *d <= 2.max(w.len() / 4) && *d < w.len())
        .min();
    match best {
        Some((_, w)) => format!("{message}; did you mean `{w}`?"),
        None => message.to_string(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
