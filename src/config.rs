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
# every script, gets the same rules. leash reads it (and tasks.toml) as
# committed on the branch -- an isolated turn as committed where it started
# -- so an edit counts only once it is committed: an agent cannot loosen its
# own leash by editing this file. Durations are written like "90s", "10m"
# or "1h 30m". An unknown key is an error, so a typo never goes unnoticed.

# The risk class of a turn whose task declares none, and of a call to a
# tool leash does not know (an MCP tool such as mcp__github__create_pr, or
# a tool newer than leash): "low", "medium" or "high". A turn's class is the
# highest of its task's class and the classes of every [[risk]] rule below
# that its changes, commands or tools match.
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
# Some things no rule can lower: writes to .leash/**, .git/**, the agents'
# own settings (.claude/**, .codex/**, .gemini/**) and anything outside the
# workspace, and an agent running `leash` itself, are class "high" and never
# run above "manual", whatever the sliders or a task say (rule `protected`).
#
# `paths` are globs over repo-relative paths: `*` stays inside one folder,
# `**` crosses folders, and a bare name such as "AGENTS.md" means the file
# at the root only. Matching is case-sensitive. A write is classed where it
# lands: through a symlink, both the link's path and its target count.
[[risk]]
paths = ["operations/**", "AGENTS.md"]
class = "high"

# `commands` name commands, matched against every simple command an agent
# runs -- leash reads the line as a shell would: `cd x && git push`, `a | b`,
# `(a; b)`, `$(b)` and backticks are split apart; `VAR=1 cmd` and wrappers
# such as env, sudo, nohup, time, command, exec, xargs, nice, timeout and
# stdbuf are looked through; `sh -c '...'`, `bash -c`, `eval` are read
# inside. A line leash cannot read (an unclosed quote, a `case`, a command
# name only known at run time such as `$CMD`) is class "high". A file a
# command writes by name (`> f`, cp, mv, tee, sed -i, git add, ...) is
# classed by the `paths` rules and protection too. A rule is words, as a
# shell would split them:
#   - the first word is the command: "git" also matches /usr/bin/git; a
#     path such as "./deploy.sh" matches only that path; globs work ("python*")
#   - words starting with "-" are options that must all be present, in any
#     order or grouping: "rm -rf *" matches rm -rf, rm -fr, rm -r -f, rm -Rf
#     and rm --recursive --force (leash knows the long names of common
#     options of rm, cp, mv, ln, chmod, chown, git, curl, sed, ...)
#   - other words are globs matched in order against the command's words
#     that are not options: "git push*" matches git push, git push origin,
#     git -C dir push --force, GIT_TRACE=1 git push, env git push
#   - a last word "*" (or a last word ending in "*") lets any further words
#     follow; without it, "make deploy" matches `make deploy` but not
#     `make deploy prod`
[[risk]]
commands = ["git push*", "curl *", "rm -rf *"]
class = "high"

# `tools` are globs over tool names, for tools leash does not read (others
# get default_risk), e.g. every MCP tool:
# [[risk]]
# tools = ["mcp__*"]
# class = "high"

# The agents leash can start, by name. `command` is an argv array, run
# without a shell; "{prompt}" becomes exactly one argument. `format` says how
# to read the agent's output: "claude", "codex", or "generic" (any command,
# output shown as is). `writable` lists the paths outside the worktree the
# agent may write to when its turn runs confined (see [run] confine); "~" is
# your home directory. Left out: ["~/.claude", "~/.claude.json"] and
# $CLAUDE_CONFIG_DIR for format "claude", $CODEX_HOME or ["~/.codex"] for
# "codex", nothing for "generic". `confine` overrides [run] confine for this
# agent's turns.
[agents.claude]
command = ["claude", "-p", "{prompt}", "--output-format", "stream-json", "--verbose"]
format = "claude"

# Codex's own sandbox (bubblewrap) cannot run inside leash's, so Codex is
# told to apply none and leash confines it; "require" makes sure it never
# runs with no sandbox at all: where the kernel has no Landlock, its turns
# are refused (there, use "--sandbox", "workspace-write" and drop `confine`
# to let Codex sandbox its own commands).
[agents.codex]
command = ["codex", "exec", "--json", "--sandbox", "danger-full-access", "{prompt}"]
format = "codex"
confine = "require"

# Actions that agent hooks hold for your approval.
[gate]
# How long a held action waits for an answer before it is denied.
approval_timeout = "10m"
# What a hook answers when no console is open: "deny" answers at once, with
# a reason saying that no operator is present; "ask" waits for an operator
# anyway (`leash allow`, `leash deny`), up to approval_timeout.
unattended = "deny"
# What a hook answers when policy lets an action run: "explicit" says allow
# in the agent's own words, so the agent runs it without a prompt of its
# own; "defer" says nothing, so the agent's own permission mode decides (for
# in-place sessions where you want your agent's prompts). The journal then
# records the action as deferred to the agent, never as allowed.
allowed = "explicit"

# Turns that leash starts itself (`leash run`, or `n` in the console).
[run]
# Stop a turn that runs longer than this. Left out, a turn may run forever.
# timeout = "30m"
# When a turn is cancelled or times out, the agent is asked to stop
# (SIGTERM) and killed (SIGKILL) if it still runs this long afterwards.
grace = "10s"
# Confinement (Linux Landlock): an isolated turn's agent, and every process
# it starts, may write only in the turn's worktree, its own temp dir, the
# worktree's git metadata and objects, and the agent's own state paths
# ([agents.NAME] writable). "auto" confines where the kernel can and warns
# where it cannot; "require" refuses to start a turn it cannot confine;
# "off" never confines. Left out, it is "auto".
# confine = "require"
# With network "deny", outbound TCP connects are refused except to the
# ports in allow_connect_ports (Landlock ABI 4 or later; by port only: no
# host filtering, and UDP, DNS included, is not covered). Left out, the
# network is left as the machine allows.
# network = "deny"
# allow_connect_ports = [443]

# Invariants are integrity checks run on each turn's tree before a decision
# (a `guarded` turn lands only if all pass), again on the merged tree when
# the branch moved, and on demand with `leash check [--fix]`. Each has a
# unique `name`, a `kind`, and options of its own. A check that times out or
# cannot run is `degraded`, never a pass. Remove the leading "# " to switch
# one on.
#
# [[invariant]]
# name = "boot sequence"
# kind = "boot"          # each file the manifest names exists and is non-empty
# manifest = "AGENTS.md" # names files as `path`, [text](path) or bare words like operations/MEMORY.md;
#                        # {today} and {yesterday} stand for dates
#
# [[invariant]]
# name = "folders have a README"
# kind = "readme"        # each folder under the roots has a non-empty README.md
# roots = ["operations", "docs"]
#
# [[invariant]]
# name = "routing table"
# kind = "routing"       # each route of the table resolves, each folder is routed
# table = "operations/README.md"   # its links / backticked paths are the routes
# folders = ["operations"]         # every subfolder must be routed
#
# [[invariant]]
# name = "no dangling pointers"
# kind = "references"    # relative links and backticked paths in Markdown resolve
# roots = ["."]          # relative to their file or to the workspace root
#
# [[invariant]]
# name = "store separation"
# kind = "separation"    # instructions and artifacts stay apart
# under = "operations"
# forbid = ["**/feedback*", "**/*.log"]
#
# [[invariant]]
# name = "memory layout"
# kind = "layout"        # paths under root match the pattern (YYYY-MM-DD is a date)
# root = "memory"
# pattern = "YYYY-MM-DD/**"
# fix = "YYYY-MM-DD/durable_notes.md"   # optional: `leash check --fix` moves a flat
#                                       # memory/<date>.md here and rewrites links to it
#
# [[invariant]]
# name = "deliverable"
# kind = "deliverable"   # the task's declared `deliverable` exists and is non-empty
# json = false           # optional: it must parse as JSON
# headings = []          # optional: Markdown headings it must contain
#
# [[invariant]]
# name = "tests pass"
# kind = "command"       # passes when the command exits 0 (argv, no shell)
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
    /// Tool names (globs): `mcp__*`, `WebFetch`.
    pub tools: Vec<String>,
    pub class: RiskClass,
}

/// An `[agents.NAME]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
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

config_words!(Allowed, "a gate answer for allowed actions", {
    Explicit => "explicit",
    Defer => "defer",
});

/// The `[gate]` table: how hooks wait for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

config_words!(ConfineMode, "a confinement mode", {
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

config_words!(NetworkMode, "a network mode", { Open => "open", Deny => "deny" });

/// The `[run]` table: limits on turns that leash starts.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The notice for a policy file whose working-tree copy differs from the
/// committed one.
pub const UNCOMMITTED_POLICY: &str = "uncommitted policy change ignored until committed";

/// The text of `rel` in `commit`'s tree; `None` when there is no commit or
/// the file is not in it.
fn committed_text(
    repo: &git2::Repository,
    commit: Option<git2::Oid>,
    rel: &str,
    path: &Path,
) -> Result<Option<Vec<u8>>, ConfigError> {
    let Some(commit) = commit else {
        return Ok(None);
    };
    let cannot = |e: git2::Error| {
        ConfigError::new(
            path,
            Pos::default(),
            format!(
                "cannot read the committed version at {}: {}",
                crate::checkpoint::short(&commit.to_string()),
                e.message()
            ),
        )
    };
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(cannot)?;
    let entry = match tree.get_path(Path::new(rel)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e)),
    };
    let object = entry.to_object(repo).map_err(cannot)?;
    match object.as_blob() {
        Some(blob) => Ok(Some(blob.content().to_vec())),
        None => Err(ConfigError::new(
            path,
            Pos::default(),
            format!(
                "the committed {rel} at {} is not a file",
                crate::checkpoint::short(&commit.to_string())
            ),
        )),
    }
}

/// Says, in an error about a committed file, that it is the committed
/// version that is broken.
fn committed_error(mut e: ConfigError, commit: git2::Oid) -> ConfigError {
    e.message = format!(
        "{} (in the committed version, {})",
        e.message,
        crate::checkpoint::short(&commit.to_string())
    );
    e
}

/// Parses a committed file with `parse`, naming it as committed in errors.
fn parse_committed<T: Default>(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
    rel: &str,
    parse: fn(&str, &Path) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    let path = root.join(rel);
    let Some(bytes) = committed_text(repo, commit, rel, &path)? else {
        return Ok(T::default());
    };
    let commit = commit.expect("a committed text has a commit");
    let text = String::from_utf8(bytes).map_err(|e| {
        committed_error(
            ConfigError::new(
                &path,
                Pos::default(),
                format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
            ),
            commit,
        )
    })?;
    parse(&text, &path).map_err(|e| committed_error(e, commit))
}

/// The workspace policy as committed at `commit` (the branch's head, or an
/// isolated turn's base): an agent's uncommitted edit to
/// `.leash/config.toml` never changes what it may do. No commit, or no
/// config in it, means the built-in defaults.
pub fn load_committed_config(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
) -> Result<WorkspaceConfig, ConfigError> {
    parse_committed(repo, root, commit, CONFIG_FILE, parse_workspace_config)
}

/// The tasks as committed at `commit`; see [`load_committed_config`].
pub fn load_committed_tasks(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
) -> Result<TasksConfig, ConfigError> {
    parse_committed(repo, root, commit, TASKS_FILE, parse_tasks)
}

/// The policy files whose working-tree copy differs from the version
/// committed at `commit` (changed, added or deleted): those edits are
/// ignored until committed.
pub fn uncommitted_policy_files(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
) -> Vec<&'static str> {
    [CONFIG_FILE, TASKS_FILE]
        .into_iter()
        .filter(|rel| {
            let path = root.join(rel);
            let on_disk = match std::fs::read(&path) {
                Ok(b) => Some(b),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                // Unreadable: it cannot be what was committed.
                Err(_) => Some(Vec::new()),
            };
            let committed = committed_text(repo, commit, rel, &path).ok().flatten();
            on_disk != committed
        })
        .collect()
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
            Some(agent) if agent == "generic" && task.command.is_some() => {}
            Some(agent) if agent == "generic" => {
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

impl Words for ConfineMode {
    const WHAT: &'static str = "a confinement mode";
    fn words() -> Vec<&'static str> {
        ConfineMode::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for NetworkMode {
    const WHAT: &'static str = "a network mode";
    fn words() -> Vec<&'static str> {
        NetworkMode::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for Allowed {
    const WHAT: &'static str = "a gate answer for allowed actions";
    fn words() -> Vec<&'static str> {
        Allowed::ALL.iter().map(|c| c.as_str()).collect()
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
                        "`{v}` is not a duration; expected {DURATION_EXPECTED}; \
                         units are ms, s, m, h, d"
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
    expecting = "a [[risk]] table with `paths`, `commands` and/or `tools`, and `class`"
)]
struct RawRisk {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    commands: Vec<Spanned<String>>,
    #[serde(default)]
    tools: Vec<Spanned<String>>,
    class: Option<Word<RiskClass>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an agent table with `command`, `format`, `writable` and `confine`"
)]
struct RawAgent {
    command: Option<Spanned<Argv>>,
    format: Option<Word<AgentFormat>>,
    writable: Option<Vec<Spanned<String>>>,
    confine: Option<Word<ConfineMode>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [gate] table with `approval_timeout`, `unattended` and `allowed`"
)]
struct RawGate {
    approval_timeout: Option<Spanned<Dur>>,
    unattended: Option<Word<Unattended>>,
    allowed: Option<Word<Allowed>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [run] table with `timeout`, `grace`, `confine`, `network` and `allow_connect_ports`"
)]
struct RawRun {
    timeout: Option<Spanned<Dur>>,
    grace: Option<Dur>,
    confine: Option<Word<ConfineMode>>,
    network: Option<Word<NetworkMode>>,
    allow_connect_ports: Option<Spanned<Vec<Spanned<i64>>>>,
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
        if raw.paths.is_empty() && raw.commands.is_empty() && raw.tools.is_empty() {
            return Err(self.err(
                span,
                "this [[risk]] rule has neither `paths` nor `commands` nor `tools`; expected \
                 paths = [\"glob\", …], commands = [\"git push*\", …] and/or \
                 tools = [\"mcp__*\", …]",
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
                    "empty command pattern; expected a command such as \"git push*\"",
                ));
            }
            if let Err(e) = crate::policy::CommandPattern::parse(pattern) {
                return Err(self.err(
                    c.span(),
                    format!("invalid command pattern `{pattern}`: {e}"),
                ));
            }
            commands.push(c.into_inner());
        }
        let mut tools = Vec::new();
        for t in raw.tools {
            let pattern = t.get_ref();
            if pattern.trim().is_empty() {
                return Err(self.err(
                    t.span(),
                    "empty tool pattern; expected a tool name or glob such as \"mcp__*\"",
                ));
            }
            if let Err(e) = command_glob(pattern) {
                return Err(self.err(
                    t.span(),
                    format!("invalid tool glob `{pattern}`: {}", e.kind()),
                ));
            }
            tools.push(t.into_inner());
        }
        Ok(RiskRule {
            paths,
            commands,
            tools,
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
        let writable = match raw.writable {
            None => None,
            Some(list) => {
                let mut out = Vec::new();
                for p in list {
                    let ok = p.get_ref() == "~"
                        || p.get_ref().starts_with("~/")
                        || Path::new(p.get_ref()).is_absolute();
                    if !ok {
                        return Err(self.err(
                            p.span(),
                            format!(
                                "`{}` in the writable paths of agent `{name}` is neither \
                                 absolute nor under `~/`; expected a path such as \
                                 \"~/.claude\" or \"/var/cache/agent\"",
                                p.get_ref()
                            ),
                        ));
                    }
                    out.push(p.into_inner());
                }
                Some(out)
            }
        };
        Ok(AgentConfig {
            command,
            format: raw.format.map(|f| f.0).unwrap_or_default(),
            writable,
            confine: raw.confine.map(|c| c.0),
        })
    }

    fn ports(&self, ports: Spanned<Vec<Spanned<i64>>>) -> Result<Vec<u16>, ConfigError> {
        let mut out = Vec::new();
        for p in ports.into_inner() {
            match u16::try_from(*p.get_ref()) {
                Ok(n) if n > 0 => out.push(n),
                _ => {
                    return Err(self.err(
                        p.span(),
                        format!(
                            "`{}` is not a TCP port; expected a number from 1 to 65535, \
                             as in allow_connect_ports = [443]",
                            p.get_ref()
                        ),
                    ));
                }
            }
        }
        Ok(out)
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
        let inv = InvariantConfig {
            name: name.into_inner(),
            kind: kind.into_inner(),
            options: raw.options,
        };
        // The kind's own keys are checked here too, so a typo is reported
        // where it is written rather than as a degraded check later.
        if let Err(message) = crate::invariants::validate(&inv) {
            return Err(self.err(span, format!("invariant `{}`: {message}", inv.name)));
        }
        Ok(inv)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AutonomyLevel::*;
    use crate::model::RiskClass::*;

    fn cfg_path() -> &'static Path {
        Path::new(".leash/config.toml")
    }

    fn tasks_path() -> &'static Path {
        Path::new(".leash/tasks.toml")
    }

    #[test]
    fn confinement_keys() {
        let c = cfg(
            "[run]\nconfine = \"require\"\nnetwork = \"deny\"\nallow_connect_ports = [443, 8443]\n",
        );
        assert_eq!(c.run.confine, ConfineMode::Require);
        assert_eq!(c.run.network, NetworkMode::Deny);
        assert_eq!(c.run.allow_connect_ports, vec![443, 8443]);
        let d = WorkspaceConfig::default();
        assert_eq!(d.run.confine, ConfineMode::Auto);
        assert_eq!(d.run.network, NetworkMode::Open);
        assert_eq!(d.run.allow_connect_ports, vec![443]);
        cfg_err(
            "[run]\nconfine = \"maybe\"\n",
            2,
            11,
            &["`maybe` is not a confinement mode", "auto, require, off"],
        );
        cfg_err(
            "[run]\nallow_connect_ports = [443, 70000]\n",
            2,
            29,
            &["`70000` is not a TCP port", "1 to 65535"],
        );
        let a = cfg(
            "[agents.c]\ncommand = [\"claude\"]\nformat = \"claude\"\nwritable = [\"~/.claude\", \"/var/x\"]\n",
        );
        assert_eq!(
            a.agents["c"].writable,
            Some(vec!["~/.claude".to_string(), "/var/x".to_string()])
        );
        cfg_err(
            "[agents.c]\ncommand = [\"claude\"]\nwritable = [\"~/.claude\", \"rel/x\"]\n",
            3,
            26,
            &["`rel/x`", "agent `c`", "neither absolute nor under `~/`"],
        );
    }

    fn cfg(text: &str) -> WorkspaceConfig {
        parse_workspace_config(text, cfg_path()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Parses `text` expecting an error at `line`:`column` whose message
    /// contains every one of `needles`.
    #[track_caller]
    fn cfg_err(text: &str, line: usize, column: usize, needles: &[&str]) -> ConfigError {
        let e = parse_workspace_config(text, cfg_path()).expect_err("expected an error");
        check_err(&e, cfg_path(), line, column, needles);
        e
    }

    #[track_caller]
    fn tasks_err(text: &str, line: usize, column: usize, needles: &[&str]) -> ConfigError {
        let e = parse_tasks(text, tasks_path()).expect_err("expected an error");
        check_err(&e, tasks_path(), line, column, needles);
        e
    }

    #[track_caller]
    fn check_err(e: &ConfigError, path: &Path, line: usize, column: usize, needles: &[&str]) {
        assert_eq!(e.path, path, "{e}");
        assert_eq!((e.line, e.column), (line, column), "{e}");
        for n in needles {
            assert!(e.message.contains(n), "`{n}` not in: {e}");
        }
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    fn template_config() -> WorkspaceConfig {
        cfg(CONFIG_TEMPLATE)
    }

    fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let d = WorkspaceConfig::default();
        assert_eq!(d.default_risk, Medium);
        assert_eq!(
            (d.autonomy.low, d.autonomy.medium, d.autonomy.high),
            (Guarded, Review, Manual)
        );
        assert!(d.risk.is_empty() && d.agents.is_empty() && d.invariants.is_empty());
        assert_eq!(d.gate.approval_timeout, Duration::from_secs(600));
        assert_eq!(d.gate.unattended, Unattended::Deny);
        assert_eq!(d.run.timeout, None);
        assert_eq!(d.run.grace, Duration::from_secs(10));
        // An empty or comment-only file is the defaults too.
        assert_eq!(cfg(""), d);
        assert_eq!(cfg("# nothing here\n\n"), d);
        assert_eq!(cfg("[gate]\n[run]\n[autonomy]\n"), d);
    }

    #[test]
    fn sliders_get_set_and_serde() {
        let mut s = Sliders::default();
        for class in RiskClass::ALL {
            for level in AutonomyLevel::ALL {
                s.set(*class, *level);
                assert_eq!(s.get(*class), *level);
            }
        }
        let s = Sliders::default();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"low":"guarded","medium":"review","high":"manual"}"#
        );
        assert_eq!(serde_json::from_str::<Sliders>(&json).unwrap(), s);
        assert_eq!(
            serde_json::from_str::<Sliders>(r#"{"high":"auto"}"#)
                .unwrap()
                .high,
            Auto
        );
        assert!(serde_json::from_str::<Sliders>(r#"{"hgih":"auto"}"#).is_err());
    }

    #[test]
    fn config_template_parses_to_the_documented_values() {
        let c = template_config();
        assert_eq!(c.default_risk, Medium);
        assert_eq!(c.autonomy, Sliders::default());
        assert_eq!(
            c.risk,
            vec![
                RiskRule {
                    paths: argv(&["operations/**", "AGENTS.md"]),
                    commands: vec![],
                    tools: vec![],
                    class: High,
                },
                RiskRule {
                    paths: vec![],
                    commands: argv(&["git push*", "curl *", "rm -rf *"]),
                    tools: vec![],
                    class: High,
                },
            ]
        );
        let mut agents = BTreeMap::new();
        agents.insert(
            "claude".to_string(),
            AgentConfig {
                command: argv(&[
                    "claude",
                    "-p",
                    "{prompt}",
                    "--output-format",
                    "stream-json",
                    "--verbose",
                ]),
                format: AgentFormat::Claude,
                writable: None,
                confine: None,
            },
        );
        agents.insert(
            "codex".to_string(),
            AgentConfig {
                command: argv(&[
                    "codex",
                    "exec",
                    "--json",
                    "--sandbox",
                    "danger-full-access",
                    "{prompt}",
                ]),
                format: AgentFormat::Codex,
                writable: None,
                confine: Some(ConfineMode::Require),
            },
        );
        assert_eq!(c.agents, agents);
        assert_eq!(c.gate, GateConfig::default());
        assert_eq!(c.run, RunConfig::default());
        assert!(c.invariants.is_empty());
        // The rules compile and mean what the template's comments say.
        let rules = crate::policy::RiskRules::compile(&c.risk).unwrap();
        assert_eq!(rules.classify_path("operations/x.md").unwrap().class, High);
        assert!(rules.classify_path("docs/AGENTS.md").is_none());
        assert_eq!(
            rules.classify_command("cd x && git push").unwrap().class,
            High
        );
    }

    /// Lines of the template that are commented-out keys, switched on.
    fn uncomment(template: &str) -> String {
        template
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with("[[")
                        || rest.split_once(" = ").is_some_and(|(k, _)| {
                            !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        }) =>
                {
                    rest.to_string()
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn config_template_shows_every_key_and_its_examples_parse() {
        for key in [
            "default_risk",
            "[autonomy]",
            "low",
            "medium",
            "high",
            "[[risk]]",
            "paths",
            "commands",
            "tools",
            "class",
            "[agents.",
            "command",
            "format",
            "[gate]",
            "approval_timeout",
            "unattended",
            "[run]",
            "timeout",
            "grace",
            "confine",
            "network",
            "allow_connect_ports",
            "writable",
            "[[invariant]]",
            "name",
            "kind",
        ] {
            assert!(CONFIG_TEMPLATE.contains(key), "template lacks `{key}`");
        }
        let on = uncomment(CONFIG_TEMPLATE);
        assert_ne!(on, CONFIG_TEMPLATE);
        let c = cfg(&on);
        assert_eq!(c.run.timeout, Some(Duration::from_secs(30 * 60)));
        let names: Vec<_> = c.invariants.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "boot sequence",
                "folders have a README",
                "routing table",
                "no dangling pointers",
                "store separation",
                "memory layout",
                "deliverable",
                "tests pass"
            ]
        );
        // Every kind of DESIGN §6 has its commented example.
        let kinds: Vec<_> = c.invariants.iter().map(|i| i.kind.as_str()).collect();
        assert_eq!(kinds, INVARIANT_KINDS);
        assert_eq!(
            c.invariants[3].options.get("roots"),
            Some(&toml::Value::Array(vec![toml::Value::String(".".into())]))
        );
        assert_eq!(c.invariants[7].options.len(), 2);
        // Apart from what was switched on, nothing changed.
        // The commented `tools` rule.
        assert_eq!(
            c.risk.last().map(|r| r.tools.clone()),
            Some(vec!["mcp__*".to_string()])
        );
        let mut rest = c.clone();
        rest.risk.pop();
        rest.invariants.clear();
        rest.run.timeout = None;
        assert_eq!(c.run.confine, ConfineMode::Require);
        assert_eq!(c.run.network, NetworkMode::Deny);
        assert_eq!(c.run.allow_connect_ports, vec![443]);
        rest.run.confine = ConfineMode::Auto;
        rest.run.network = NetworkMode::Open;
        assert_eq!(rest, template_config());
    }

    #[test]
    fn tasks_template_parses_and_checks_against_the_config_template() {
        let t = parse_tasks(TASKS_TEMPLATE, tasks_path()).unwrap();
        check_tasks(&t, &template_config(), tasks_path()).unwrap();
        assert_eq!(t.tasks.len(), 2);
        let draft = t.find("draft-post").unwrap();
        assert_eq!(draft.agent.as_deref(), Some("claude"));
        assert_eq!(draft.risk, Some(Medium));
        assert_eq!(draft.autonomy, Some(Review));
        assert_eq!(
            draft.prompt.as_deref(),
            Some("Draft the post from docs/outline.md into memory/{today}/draft.md")
        );
        assert_eq!(
            draft.deliverable.as_deref(),
            Some("memory/{today}/draft.md")
        );
        assert_eq!(draft.command, None);
        let format = t.find("format").unwrap();
        assert_eq!(format.agent.as_deref(), Some("generic"));
        assert_eq!(format.command, Some(argv(&["cargo", "fmt", "--all"])));
        assert_eq!(format.prompt, None);
        assert_eq!(format.risk, Some(Low));
        assert!(t.find("nope").is_none());
        for key in [
            "name",
            "agent",
            "prompt",
            "command",
            "risk",
            "title",
            "deliverable",
            "autonomy",
        ] {
            assert!(
                TASKS_TEMPLATE.contains(&format!("{key} ")),
                "tasks template lacks `{key}`"
            );
        }
        // Without config.toml there are no agents, so `claude` is unknown.
        let e = check_tasks(&t, &WorkspaceConfig::default(), tasks_path()).unwrap_err();
        let line = TASKS_TEMPLATE
            .lines()
            .position(|l| l == "agent = \"claude\"")
            .unwrap()
            + 1;
        check_err(
            &e,
            tasks_path(),
            line,
            9,
            &["agent `claude`", "no agents are configured"],
        );
    }

    #[test]
    fn full_config_is_read() {
        let c = cfg(r#"
default_risk = "low"

[autonomy]
medium = "auto"

[[risk]]
paths = ["a/**"]
commands = ["make *"]
class = "medium"

[agents]
mine = { command = ["my-agent", "{prompt}"] }

[gate]
approval_timeout = "1h 30m"
unattended = "ask"

[run]
timeout = "45s"
grace = "500ms"

[[invariant]]
name = "layout"
kind = "layout"
root = "memory"
pattern = "YYYY-MM-DD/**"
fix = "YYYY-MM-DD/notes.md"
"#);
        assert_eq!(c.default_risk, Low);
        assert_eq!(
            c.autonomy,
            Sliders {
                low: Guarded,
                medium: Auto,
                high: Manual
            }
        );
        assert_eq!(c.risk.len(), 1);
        assert_eq!(c.risk[0].class, Medium);
        assert_eq!(c.agents["mine"].format, AgentFormat::Generic);
        assert_eq!(c.agents["mine"].command, argv(&["my-agent", "{prompt}"]));
        assert_eq!(c.gate.approval_timeout, Duration::from_secs(5400));
        assert_eq!(c.gate.unattended, Unattended::Ask);
        assert_eq!(c.run.timeout, Some(Duration::from_secs(45)));
        assert_eq!(c.run.grace, Duration::from_millis(500));
        let inv = &c.invariants[0];
        assert_eq!((inv.name.as_str(), inv.kind.as_str()), ("layout", "layout"));
        assert_eq!(
            inv.options.get("root").and_then(|v| v.as_str()),
            Some("memory")
        );
        assert_eq!(
            inv.options.get("fix").and_then(|v| v.as_str()),
            Some("YYYY-MM-DD/notes.md")
        );
        assert_eq!(
            inv.options.get("pattern").and_then(|v| v.as_str()),
            Some("YYYY-MM-DD/**")
        );
        assert!(!inv.options.contains_key("name") && !inv.options.contains_key("kind"));
    }

    #[test]
    fn unknown_keys_are_errors_at_the_key() {
        let e = cfg_err(
            "# policy\n\ndefualt_risk = \"low\"\n",
            3,
            1,
            &[
                "unknown field `defualt_risk`, expected one of `default_risk`",
                "did you mean `default_risk`?",
            ],
        );
        assert_eq!(
            e.to_string(),
            format!(".leash/config.toml:3:1: {}", e.message)
        );
        cfg_err(
            "[autonomy]\nlow = \"auto\"\n  lwo = \"auto\"\n",
            3,
            3,
            &[
                "unknown field `lwo`",
                "(in `autonomy`)",
                "did you mean `low`?",
            ],
        );
        cfg_err(
            "[[risk]]\npaths = [\"x\"]\nclass = \"high\"\ncomands = [\"y\"]\n",
            4,
            1,
            &["unknown field `comands`", "did you mean `commands`?"],
        );
        cfg_err(
            "[agents.x]\ncommand = [\"x\"]\nformt = \"codex\"\n",
            3,
            1,
            &["unknown field `formt`", "(in `agents.x`)"],
        );
        cfg_err(
            "[gate]\ntimeout = \"1m\"\n",
            2,
            1,
            &[
                "unknown field `timeout`",
                "expected one of `approval_timeout`, `unattended`, `allowed`",
            ],
        );
        cfg_err(
            "[run]\ngrase = \"1s\"\n",
            2,
            1,
            &["unknown field `grase`", "did you mean `grace`?"],
        );
        cfg_err(
            "[[risks]]\nclass = \"high\"\n",
            1,
            3,
            &["unknown field `risks`", "did you mean `risk`?"],
        );
        cfg_err(
            "[agent.claude]\n",
            1,
            2,
            &["unknown field `agent`", "did you mean `agents`?"],
        );
        // Nothing close: no guess is offered.
        let e = cfg_err("zzzzzzzz = 1\n", 1, 1, &["unknown field `zzzzzzzz`"]);
        assert!(!e.message.contains("did you mean"), "{e}");
        tasks_err(
            "[[tasks]]\nname = \"a\"\n",
            1,
            3,
            &["unknown field `tasks`, expected `task`"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nprompt = \"p\"\ndeliverables = \"x\"\n",
            4,
            1,
            &[
                "unknown field `deliverables`",
                "did you mean `deliverable`?",
            ],
        );
    }

    #[test]
    fn bad_words_say_what_is_accepted() {
        cfg_err(
            "default_risk = \"hihg\"\n",
            1,
            16,
            &["`hihg` is not a risk class; expected one of: low, medium, high"],
        );
        cfg_err(
            "default_risk = 3\n",
            1,
            16,
            &["expected one of: low, medium, high"],
        );
        cfg_err(
            "[autonomy]\nmedium = \"gaurded\"\n",
            2,
            10,
            &[
                "`gaurded` is not an autonomy level; expected one of: manual, review, guarded, auto",
                "(in `autonomy.medium`)",
            ],
        );
        cfg_err(
            "[agents.x]\ncommand = [\"x\"]\nformat = \"gpt\"\n",
            3,
            10,
            &["`gpt` is not an agent format; expected one of: claude, codex, generic"],
        );
        cfg_err(
            "[gate]\nunattended = \"allow\"\n",
            2,
            14,
            &["`allow` is not an unattended policy; expected one of: deny, ask"],
        );
        cfg_err(
            "[[risk]]\npaths = [\"x\"]\nclass = \"Huge\"\n",
            3,
            9,
            &["expected one of: low, medium, high"],
        );
        // Words are case-sensitive, like the journal's.
        cfg_err(
            "default_risk = \"High\"\n",
            1,
            16,
            &["`High` is not a risk class"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nprompt = \"p\"\nrisk = \"severe\"\n",
            4,
            8,
            &[
                "`severe` is not a risk class; expected one of: low, medium, high",
                "(in `task.risk`)",
            ],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nprompt = \"p\"\nautonomy = \"yolo\"\n",
            4,
            12,
            &["expected one of: manual, review, guarded, auto"],
        );
        assert!(
            "x".parse::<AgentFormat>()
                .unwrap_err()
                .contains("claude, codex, generic")
        );
        assert_eq!("ask".parse::<Unattended>(), Ok(Unattended::Ask));
        assert_eq!(AgentFormat::Codex.to_string(), "codex");
    }

    #[test]
    fn bad_types_say_what_was_expected() {
        cfg_err(
            "autonomy = \"auto\"\n",
            1,
            12,
            &["expected a table of autonomy levels"],
        );
        cfg_err(
            "[agents.x]\ncommand = \"claude -p\"\n",
            2,
            11,
            &["expected an array of strings such as [\"program\", \"arg\"]"],
        );
        cfg_err(
            "[agents.x]\ncommand = [\"a\", 2]\n",
            2,
            17,
            &["expected a string", "(in `agents.x.command`)"],
        );
        cfg_err(
            "[[risk]]\npaths = \"a/**\"\nclass = \"high\"\n",
            2,
            9,
            &["expected a sequence"],
        );
        cfg_err(
            "[[invariant]]\nname = 3\nkind = \"boot\"\n",
            2,
            8,
            &["expected a string", "(in `invariant.name`)"],
        );
        tasks_err("[[task]]\nname = [\"a\"]\n", 2, 8, &["expected a string"]);
    }

    #[test]
    fn toml_syntax_errors_have_positions() {
        cfg_err(
            "default_risk = \n",
            1,
            16,
            &["string values must be quoted"],
        );
        cfg_err(
            "[gate]\nunattended = \"deny\"\n\n[gate]\n",
            4,
            2,
            &["duplicate key `gate`"],
        );
        cfg_err(
            "[gate]\nunattended = \"deny\"\nunattended = \"ask\"\n",
            3,
            1,
            &["duplicate key `unattended`"],
        );
    }

    #[test]
    fn bad_durations_say_what_a_duration_looks_like() {
        let want = "expected a duration such as \"10m\" or \"90s\"";
        cfg_err(
            "[gate]\napproval_timeout = \"ten minutes\"\n",
            2,
            20,
            &[
                "`ten minutes` is not a duration",
                want,
                "(in `gate.approval_timeout`)",
            ],
        );
        cfg_err(
            "[gate]\napproval_timeout = 600\n",
            2,
            20,
            &["invalid type: integer `600`", want],
        );
        cfg_err(
            "[run]\ngrace = \"5 parsecs\"\n",
            2,
            9,
            &["`5 parsecs` is not a duration", want],
        );
        cfg_err("[run]\ntimeout = \"\"\n", 2, 11, &[want]);
        cfg_err(
            "[run]\ntimeout = \"0s\"\n",
            2,
            11,
            &[
                "`timeout` must be longer than zero",
                "leave `timeout` out for no limit",
            ],
        );
        cfg_err(
            "[gate]\napproval_timeout = \"0m\"\n",
            2,
            20,
            &["`approval_timeout` must be longer than zero"],
        );
        // A zero grace is allowed: it means "kill at once".
        assert_eq!(cfg("[run]\ngrace = \"0s\"\n").run.grace, Duration::ZERO);
    }

    #[test]
    fn invalid_globs_are_errors_at_their_string() {
        cfg_err(
            "[[risk]]\npaths = [\"ok/**\", \"a/[b\"]\nclass = \"high\"\n",
            2,
            19,
            &["invalid path glob `a/[b`", "unclosed character class"],
        );
        cfg_err(
            "[[risk]]\nclass = \"high\"\ncommands = [\n  \"git push*\",\n  \"git {push,pull\",\n]\n",
            5,
            3,
            &[
                "invalid command pattern `git {push,pull`",
                "unclosed alternate group",
            ],
        );
        cfg_err(
            "[[risk]]\nclass = \"high\"\ncommands = [\"git push\", \"git 'push\"]\n",
            3,
            25,
            &[
                "invalid command pattern `git 'push`",
                "quote is never closed",
            ],
        );
        cfg_err(
            "[[risk]]\nclass = \"high\"\ncommands = [\"-rf *\"]\n",
            3,
            13,
            &["expected the command's name first"],
        );
        cfg_err(
            "[[risk]]\nclass = \"high\"\ncommands = [\"*\"]\n",
            3,
            13,
            &["would match every command"],
        );
        cfg_err(
            "[[risk]]\nclass = \"high\"\ntools = [\"mcp__*\", \"mcp__[x\"]\n",
            3,
            20,
            &["invalid tool glob `mcp__[x`", "unclosed character class"],
        );
        cfg_err(
            "[[risk]]\nclass = \"high\"\ntools = [\"\"]\n",
            3,
            10,
            &["empty tool pattern"],
        );
        let c = cfg("[[risk]]\nclass = \"high\"\ntools = [\"mcp__*\"]\n");
        assert_eq!(c.risk[0].tools, ["mcp__*"]);
        cfg_err(
            "[[risk]]\npaths = [\"[z-a]\"]\nclass = \"low\"\n",
            2,
            10,
            &["invalid path glob `[z-a]`", "invalid range"],
        );
        // Columns count characters, not bytes (bytes would say 22).
        cfg_err(
            "[[risk]]\npaths = [\"ünï/**\", \"[x\"]\nclass = \"high\"\n",
            2,
            20,
            &["invalid path glob `[x`"],
        );
        cfg_err(
            "[[risk]]\npaths = [\"\"]\nclass = \"low\"\n",
            2,
            10,
            &["empty path pattern"],
        );
        cfg_err(
            "[[risk]]\ncommands = [\" \"]\nclass = \"low\"\n",
            2,
            13,
            &["empty command pattern"],
        );
        cfg_err(
            "[[risk]]\npaths = [\"/AGENTS.md\"]\nclass = \"high\"\n",
            2,
            10,
            &["would never match", "expected `AGENTS.md`"],
        );
        cfg_err(
            "[[risk]]\npaths = [\"./ops/**\"]\nclass = \"high\"\n",
            2,
            10,
            &["expected `ops/**`"],
        );
    }

    #[test]
    fn risk_rules_need_a_subject_and_a_class() {
        cfg_err(
            "[[risk]]\npaths = [\"a\"]\nclass = \"low\"\n\n[[risk]]\nclass = \"high\"\n",
            5,
            1,
            &["neither `paths` nor `commands`"],
        );
        cfg_err(
            "[[risk]]\npaths = []\ncommands = []\nclass = \"high\"\n",
            1,
            1,
            &["neither `paths` nor `commands`"],
        );
        cfg_err(
            "[[risk]]\ncommands = [\"x\"]\n",
            1,
            1,
            &["no `class`", "low, medium, high"],
        );
        cfg_err(
            "risk = [\n  { paths = [\"x\"], class = \"low\" },\n  { class = \"low\" },\n]\n",
            3,
            3,
            &["neither"],
        );
    }

    #[test]
    fn agents_need_a_command() {
        cfg_err(
            "[agents.claude]\ncommand = []\nformat = \"claude\"\n",
            2,
            11,
            &[
                "the command of agent `claude` is empty",
                "expected an argv array",
            ],
        );
        cfg_err(
            "[agents.x]\nformat = \"codex\"\n",
            1,
            1,
            &["agent `x` has no `command`"],
        );
        cfg_err("[agents]\nx = {}\n", 2, 5, &["agent `x` has no `command`"]);
        cfg_err(
            "[agents.x]\ncommand = [\"\", \"-p\"]\n",
            2,
            11,
            &["empty program name"],
        );
    }

    #[test]
    fn invariants_need_a_name_and_a_known_kind() {
        cfg_err(
            "\n[[invariant]]\nkind = \"boot\"\n",
            2,
            1,
            &["has no `name`"],
        );
        cfg_err(
            "[[invariant]]\nname = \"x\"\n",
            1,
            1,
            &["invariant `x` has no `kind`", "boot, readme"],
        );
        cfg_err(
            "[[invariant]]\nname = \"\"\nkind = \"boot\"\n",
            2,
            8,
            &["name is empty"],
        );
        cfg_err(
            "[[invariant]]\nname = \"x\"\nkind = \"refs\"\n",
            3,
            8,
            &[
                "`refs` is not an invariant kind; expected one of: boot, readme, routing, references",
            ],
        );
        cfg_err(
            "[[invariant]]\nname = \"x\"\nkind = \"boot\"\nmanifest = \"A.md\"\n[[invariant]]\nname = \"x\"\nkind = \"readme\"\n",
            6,
            8,
            &["duplicate invariant name `x`", "line 2"],
        );
        cfg_err(
            "[[invariant]]\nname = \"x\"\nkind = 1\n",
            3,
            8,
            &["expected a string"],
        );
        // A kind's own keys are checked when the file is read.
        cfg_err(
            "[[invariant]]\nname = \"r\"\nkind = \"readme\"\nrots = [\".\"]\n",
            1,
            1,
            &["invariant `r`", "unknown option `rots`"],
        );
    }

    #[test]
    fn tasks_are_read() {
        let t = parse_tasks(
            "[[task]]\nname = \"a\"\nprompt = \"do it\"\n\n[[task]]\nname = \"b\"\ncommand = [\"make\"]\ntitle = \"Build\"\n",
            tasks_path(),
        )
        .unwrap();
        let a = t.find("a").unwrap();
        assert_eq!(a.prompt.as_deref(), Some("do it"));
        assert_eq!(
            (a.agent.clone(), a.risk, a.autonomy, a.command.clone()),
            (None, None, None, None)
        );
        assert_eq!(a.at, Pos { line: 1, column: 1 });
        assert_eq!(a.agent_at, Pos::default());
        let b = t.find("b").unwrap();
        assert_eq!(b.command, Some(argv(&["make"])));
        assert_eq!(b.title.as_deref(), Some("Build"));
        assert_eq!(b.at, Pos { line: 5, column: 1 });
        assert_eq!(
            parse_tasks("", tasks_path()).unwrap(),
            TasksConfig::default()
        );
    }

    #[test]
    fn task_errors() {
        tasks_err("[[task]]\nprompt = \"p\"\n", 1, 1, &["has no `name`"]);
        tasks_err(
            "[[task]]\nname = \" \"\nprompt = \"p\"\n",
            2,
            8,
            &["task name is empty"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nprompt = \"p\"\n\n[[task]]\nname = \"b\"\nprompt = \"q\"\n\n[[task]]\nname = \"a\"\ncommand = [\"x\"]\n",
            10,
            8,
            &["duplicate task name `a`", "already used at line 2"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nprompt = \"p\"\n\n[[task]]\nname = \"lazy\"\nrisk = \"low\"\n",
            5,
            1,
            &["task `lazy` has neither `prompt` nor `command`"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nprompt = \"\"\n",
            3,
            10,
            &["prompt of task `a` is empty"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\ncommand = []\n",
            3,
            11,
            &["command of task `a` is empty"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\ncommand = [\"\"]\n",
            3,
            11,
            &["empty program name"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nagent = \"\"\nprompt = \"p\"\n",
            3,
            9,
            &["agent of task `a` is empty"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nprompt = \"p\"\ndeliverable = \"/etc/passwd\"\n",
            4,
            15,
            &["deliverable of task `a` is absolute"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nprompt = \"p\"\ndeliverable = \"out/../../x\"\n",
            4,
            15,
            &["leaves the repository"],
        );
        tasks_err(
            "[[task]]\nname = \"a\"\nprompt = \"p\"\ndeliverable = \"\"\n",
            4,
            15,
            &["deliverable of task `a` is empty"],
        );
    }

    #[test]
    fn check_tasks_knows_the_configured_agents() {
        let config = template_config();
        let check = |text: &str, c: &WorkspaceConfig| {
            let t = parse_tasks(text, tasks_path()).unwrap();
            check_tasks(&t, c, tasks_path())
        };
        let e = check(
            "[[task]]\nname = \"a\"\nprompt = \"p\"\nagent = \"claude\"\n\n[[task]]\nname = \"b\"\nprompt = \"p\"\nagent = \"gpt\"\n",
            &config,
        )
        .unwrap_err();
        check_err(
            &e,
            tasks_path(),
            9,
            9,
            &[
                "task `b` names agent `gpt`, which is not configured",
                "configured agents: claude, codex",
            ],
        );
        // `generic` needs no entry when the task brings its own command…
        check(
            "[[task]]\nname = \"a\"\nagent = \"generic\"\ncommand = [\"make\"]\n",
            &config,
        )
        .unwrap();
        check(
            "[[task]]\nname = \"a\"\nagent = \"generic\"\ncommand = [\"make\"]\n",
            &WorkspaceConfig::default(),
        )
        .unwrap();
        // …but has nothing to run without one.
        let e = check(
            "[[task]]\nname = \"a\"\nagent = \"generic\"\nprompt = \"p\"\n",
            &config,
        )
        .unwrap_err();
        check_err(
            &e,
            tasks_path(),
            3,
            9,
            &["uses agent `generic` but has no `command`"],
        );
        // A configured `generic` agent is fine with a prompt alone.
        let mut with_generic = config.clone();
        with_generic.agents.insert(
            "generic".into(),
            AgentConfig {
                command: argv(&["my-agent", "{prompt}"]),
                format: AgentFormat::Generic,
                writable: None,
                confine: None,
            },
        );
        check(
            "[[task]]\nname = \"a\"\nagent = \"generic\"\nprompt = \"p\"\n",
            &with_generic,
        )
        .unwrap();
        // No agent: fine when one is configured to choose from, or with a command.
        check("[[task]]\nname = \"a\"\nprompt = \"p\"\n", &config).unwrap();
        check(
            "[[task]]\nname = \"a\"\ncommand = [\"x\"]\n",
            &WorkspaceConfig::default(),
        )
        .unwrap();
        let e = check(
            "\n[[task]]\nname = \"a\"\nprompt = \"p\"\n",
            &WorkspaceConfig::default(),
        )
        .unwrap_err();
        check_err(
            &e,
            tasks_path(),
            2,
            1,
            &["has a prompt but no agent", "no agents are configured"],
        );
    }

    #[test]
    fn policy_is_read_from_the_commit_and_uncommitted_edits_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let repo = git2::Repository::init(root).unwrap();
        let commit = |message: &str| {
            let mut index = repo.index().unwrap();
            index
                .add_all(["."], git2::IndexAddOption::DEFAULT, None)
                .unwrap();
            index.write().unwrap();
            let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
            let sig = git2::Signature::now("t", "t@example.com").unwrap();
            let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
            let parents: Vec<&git2::Commit> = parent.iter().collect();
            repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
                .unwrap()
        };
        // No commit yet, a config in the working tree: defaults, and named.
        std::fs::create_dir_all(root.join(".leash")).unwrap();
        std::fs::write(root.join(CONFIG_FILE), "[autonomy]\nhigh = \"auto\"\n").unwrap();
        let c = load_committed_config(&repo, root, None).unwrap();
        assert_eq!(c, WorkspaceConfig::default());
        assert_eq!(uncommitted_policy_files(&repo, root, None), [CONFIG_FILE]);
        // Committed: read from the commit; nothing uncommitted.
        let first = commit("policy");
        let c = load_committed_config(&repo, root, Some(first)).unwrap();
        assert_eq!(c.autonomy.high, AutonomyLevel::Auto);
        assert!(uncommitted_policy_files(&repo, root, Some(first)).is_empty());
        // An edit in the working tree changes nothing until committed.
        std::fs::write(root.join(CONFIG_FILE), "[autonomy]\nhigh = \"manual\"\n").unwrap();
        std::fs::write(root.join(TASKS_FILE), "").unwrap();
        let c = load_committed_config(&repo, root, Some(first)).unwrap();
        assert_eq!(c.autonomy.high, AutonomyLevel::Auto);
        assert_eq!(
            uncommitted_policy_files(&repo, root, Some(first)),
            [CONFIG_FILE, TASKS_FILE]
        );
        // A broken committed file names the file and says it is committed.
        std::fs::write(root.join(CONFIG_FILE), "[gate]\nunattended = \"nope\"\n").unwrap();
        let broken = commit("broken");
        let e = load_committed_config(&repo, root, Some(broken)).unwrap_err();
        assert_eq!(e.path, root.join(CONFIG_FILE));
        assert_eq!((e.line, e.column), (2, 14));
        assert!(
            e.message.contains("`nope` is not an unattended policy"),
            "{e}"
        );
        assert!(e.message.contains("(in the committed version, "), "{e}");
        // The older commit still reads as it was.
        assert_eq!(
            load_committed_config(&repo, root, Some(first))
                .unwrap()
                .autonomy
                .high,
            AutonomyLevel::Auto
        );
        assert_eq!(
            load_committed_tasks(&repo, root, Some(broken)).unwrap(),
            TasksConfig::default()
        );
    }

    #[test]
    fn load_reads_the_files_under_dot_leash() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(
            load_workspace_config(root).unwrap(),
            WorkspaceConfig::default()
        );
        assert_eq!(load_tasks(root).unwrap(), TasksConfig::default());

        std::fs::create_dir_all(root.join(".leash")).unwrap();
        std::fs::write(root.join(CONFIG_FILE), CONFIG_TEMPLATE).unwrap();
        std::fs::write(root.join(TASKS_FILE), TASKS_TEMPLATE).unwrap();
        assert_eq!(load_workspace_config(root).unwrap(), template_config());
        assert_eq!(load_tasks(root).unwrap().tasks.len(), 2);

        std::fs::write(root.join(CONFIG_FILE), "[gate]\nunattended = \"nope\"\n").unwrap();
        let e = load_workspace_config(root).unwrap_err();
        assert_eq!(e.path, root.join(CONFIG_FILE));
        assert_eq!((e.line, e.column), (2, 14));

        // A file that exists but cannot be read is an error, not defaults.
        std::fs::remove_file(root.join(TASKS_FILE)).unwrap();
        std::fs::create_dir(root.join(TASKS_FILE)).unwrap();
        let e = load_tasks(root).unwrap_err();
        assert_eq!((e.line, e.column), (0, 0));
        assert!(e.message.starts_with("cannot read the file: "), "{e}");

        std::fs::write(root.join(CONFIG_FILE), [0xff, 0xfe, b'\n']).unwrap();
        let e = load_workspace_config(root).unwrap_err();
        assert!(e.message.contains("cannot read the file"), "{e}");
    }

    #[test]
    fn date_placeholders() {
        let today = date(2026, 11, 27);
        assert_eq!(
            expand_date_placeholders("memory/{today}/draft.md", today),
            "memory/2026-11-27/draft.md"
        );
        assert_eq!(
            expand_date_placeholders("{yesterday} then {today}, {today}", today),
            "2026-11-26 then 2026-11-27, 2026-11-27"
        );
        assert_eq!(
            expand_date_placeholders("2026-01-01 {yesterday}", date(2026, 1, 1)),
            "2026-01-01 2025-12-31"
        );
        assert_eq!(
            expand_date_placeholders("{yesterday}", date(2028, 3, 1)),
            "2028-02-29"
        );
        assert_eq!(
            expand_date_placeholders("no dates {tomorrow}", today),
            "no dates {tomorrow}"
        );
        assert_eq!(expand_date_placeholders("", today), "");

        let t = parse_tasks(TASKS_TEMPLATE, tasks_path()).unwrap();
        let draft = t.find("draft-post").unwrap().expand_dates(today);
        assert_eq!(
            draft.deliverable.as_deref(),
            Some("memory/2026-11-27/draft.md")
        );
        assert_eq!(
            draft.title.as_deref(),
            Some("Draft the post for 2026-11-27")
        );
        assert!(
            draft
                .prompt
                .unwrap()
                .ends_with("memory/2026-11-27/draft.md")
        );
        assert_eq!(draft.name, "draft-post");
        let cmd = TaskConfig {
            name: "c".into(),
            command: Some(argv(&["touch", "log/{yesterday}.md"])),
            ..TaskConfig::default()
        };
        assert_eq!(
            cmd.expand_dates(today).command,
            Some(argv(&["touch", "log/2026-11-26.md"]))
        );
    }

    #[test]
    fn suggestions_only_for_close_words() {
        assert_eq!(edit_distance("grase", "grace"), 1);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let m = with_suggestion("unknown field `lwo`, expected one of `low`, `medium`, `high`");
        assert!(m.ends_with("did you mean `low`?"), "{m}");
        let m = with_suggestion("unknown field `x`, expected `timeout` or `grace`");
        assert!(!m.contains("did you mean"), "{m}");
        let m = with_suggestion("invalid type: integer `3`, expected a string");
        assert!(!m.contains("did you mean"), "{m}");
    }
}
