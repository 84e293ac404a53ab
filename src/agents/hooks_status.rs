//! `leash hooks status`: whether leash's hooks are installed for an agent,
//! whether the agent will load them (as far as its own config files say),
//! and when a session of that agent last reported through them.
//!
//! Installing hooks is not enough. Codex runs project hooks only in a
//! project it trusts (`[projects."<path>"] trust_level = "trusted"` in
//! `$CODEX_HOME/config.toml`) and only hooks someone reviewed (its `/hooks`
//! screen records `[hooks.state."<file>:<event>:<group>:<handler>"]
//! trusted_hash = "sha256:…"`, a hash of the hook's definition, so a changed
//! hook needs a new review). Claude Code runs none with `disableAllHooks`.
//! This module reads those files; it never writes them.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::hooks_config::{self, Agent, LeashEntry};
use crate::model::parse_ts;
use crate::state::State;

/// Where the agents keep their own configuration.
#[derive(Debug, Clone, Default)]
pub struct Homes {
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$CODEX_HOME` (default `~/.codex`).
    pub codex_home: Option<PathBuf>,
    /// `$CLAUDE_CONFIG_DIR` (default `~/.claude`).
    pub claude_config_dir: Option<PathBuf>,
    /// Claude Code's managed settings (`/etc/claude-code/managed-settings.json` on Linux).
    pub claude_managed: Option<PathBuf>,
}

impl Homes {
    /// The homes this process's environment names.
    pub fn from_env() -> Homes {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Homes {
            home: var("HOME"),
            codex_home: var("CODEX_HOME"),
            claude_config_dir: var("CLAUDE_CONFIG_DIR"),
            claude_managed: Some(PathBuf::from("/etc/claude-code/managed-settings.json")),
        }
    }

    fn codex_home(&self) -> Option<PathBuf> {
        self.codex_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".codex")))
    }

    fn claude_dir(&self) -> Option<PathBuf> {
        self.claude_config_dir
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".claude")))
    }

    /// Claude Code's global state file (`~/.claude.json`, or inside `$CLAUDE_CONFIG_DIR`).
    fn claude_state(&self) -> Option<PathBuf> {
        match &self.claude_config_dir {
            Some(dir) => Some(dir.join(".claude.json")),
            None => self.home.as_ref().map(|h| h.join(".claude.json")),
        }
    }
}

/// A settings file that holds leash's hooks.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Installed {
    pub path: String,
    /// `project`, `local` (not committed), `user` or `managed`.
    pub scope: &'static str,
    /// Events leash's hooks are installed for there.
    pub events: Vec<String>,
}

/// The last time a session of the agent reported to leash in this repository.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LastReport {
    pub ts: String,
    pub session: Option<String>,
    /// What it reported: `session started`, `tool call t3.a1`, …
    pub what: String,
}

/// Everything `leash hooks status` says about one agent.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Status {
    pub agent: &'static str,
    pub installed: Vec<Installed>,
    /// Installed, and nothing in the agent's config keeps it from running them.
    pub loads: bool,
    /// What keeps the agent from running leash's hooks, each with what to do.
    pub blockers: Vec<String>,
    /// Worth knowing, but not in the way.
    pub notes: Vec<String>,
    /// `None`: no session of this agent ever reported here.
    pub last_report: Option<LastReport>,
}

/// The status of `agent`'s hooks in the repository at `root`; `state` is the
/// folded journal when leash is initialised there.
pub fn status(agent: Agent, root: &Path, homes: &Homes, state: Option<&State>) -> Status {
    let mut s = match agent {
        Agent::Claude => claude(root, homes),
        Agent::Codex => codex(root, homes),
    };
    s.blockers.extend(unreachable_programs(agent, &s.installed));
    missing_events(agent, &mut s);
    s.loads = !s.installed.is_empty() && s.blockers.is_empty();
    s.last_report = state.and_then(|st| last_report(st, agent.name()));
    s
}

/// Says which of the events leash installs have no leash hook in any of
/// the files (an install by an earlier leash): without `PreToolUse` nothing
/// is gated, a blocker; any other, a note.
fn missing_events(agent: Agent, s: &mut Status) {
    if s.installed.is_empty() {
        return;
    }
    let missing: Vec<&str> = hooks_config::installed_events(agent)
        .filter(|e| !s.installed.iter().any(|i| i.events.iter().any(|x| x == e)))
        .collect();
    if missing.is_empty() {
        return;
    }
    let fix = format!("`leash hooks install {}` adds it", agent.name());
    for event in missing {
        if event == "PreToolUse" {
            s.blockers.push(format!(
                "no leash hook for PreToolUse: the agent's tool calls are not gated; {fix}"
            ));
        } else {
            s.notes.push(format!(
                "no leash hook for {event} (installed by an earlier leash); {fix}"
            ));
        }
    }
}

/// The leash programs the installed hooks name that cannot be started from
/// here: `leash` missing from PATH, or a full path (written with
/// `--absolute`, perhaps on another machine) that is not there. Each is a
/// hook that fails, so a session it should supervise is not supervised.
fn unreachable_programs(agent: Agent, installed: &[Installed]) -> Vec<String> {
    let name = agent.name();
    let mut programs: Vec<String> = Vec::new();
    for i in installed {
        let Ok(Some(settings)) = hooks_config::read_settings(Path::new(&i.path)) else {
            continue;
        };
        for e in hooks_config::leash_entries(&settings) {
            if let Some(p) = e
                .handler
                .get("command")
                .and_then(Value::as_str)
                .and_then(hooks_config::leash_program)
                && !programs.contains(&p)
            {
                programs.push(p);
            }
        }
    }
    programs
        .into_iter()
        .filter(|p| !crate::agents::run::program_found(p))
        .map(|p| {
            if p.contains('/') {
                format!(
                    "the hooks run {p}, which is not there (or not executable): run \
                     `leash hooks install {name}` again"
                )
            } else {
                format!(
                    "the hooks run `{p}`, which is not on PATH: put leash there (`cargo install \
                     --path .` in leash's source folder), or run `leash hooks install {name} \
                     --absolute`"
                )
            }
        })
        .collect()
}

fn events_of(entries: &[LeashEntry]) -> Vec<String> {
    let mut events: Vec<String> = Vec::new();
    for e in entries {
        if !events.contains(&e.event) {
            events.push(e.event.clone());
        }
    }
    events
}

/// Reads one settings file: its object and leash's entries in it. A file
/// that cannot be read is a blocker (the agent cannot use it either).
fn read(path: &Path, blockers: &mut Vec<String>) -> Option<(Map<String, Value>, Vec<LeashEntry>)> {
    match hooks_config::read_settings(path) {
        Ok(Some(settings)) => {
            let entries = hooks_config::leash_entries(&settings);
            Some((settings, entries))
        }
        Ok(None) => None,
        Err(e) => {
            blockers.push(format!("cannot use {e}"));
            None
        }
    }
}

fn not_installed(agent: Agent) -> String {
    format!(
        "leash's hooks are not installed for {}: run `leash hooks install {}`",
        agent.name(),
        agent.name()
    )
}

fn claude(root: &Path, homes: &Homes) -> Status {
    let mut blockers = Vec::new();
    let mut notes = Vec::new();
    let mut installed = Vec::new();
    let mut files: Vec<(PathBuf, &'static str)> = vec![
        (Agent::Claude.settings_path(root), "project"),
        (root.join(".claude").join("settings.local.json"), "local"),
    ];
    if let Some(dir) = homes.claude_dir() {
        files.push((dir.join("settings.json"), "user"));
    }
    if let Some(managed) = &homes.claude_managed {
        files.push((managed.clone(), "managed"));
    }
    let mut managed_only = None;
    for (path, scope) in &files {
        let Some((settings, entries)) = read(path, &mut blockers) else {
            continue;
        };
        if settings.get("disableAllHooks") == Some(&Value::Bool(true)) {
            blockers.push(format!(
                "\"disableAllHooks\": true in {}: Claude Code runs no hooks at all; remove it",
                path.display()
            ));
        }
        if *scope == "managed" && settings.get("allowManagedHooksOnly") == Some(&Value::Bool(true))
        {
            managed_only = Some(path.clone());
        }
        if !entries.is_empty() {
            installed.push(Installed {
                path: path.display().to_string(),
                scope,
                events: events_of(&entries),
            });
        }
    }
    if let Some(path) = managed_only
        && installed.iter().any(|i| i.scope != "managed")
    {
        blockers.push(format!(
            "\"allowManagedHooksOnly\": true in {}: Claude Code runs only managed hooks, not \
             leash's",
            path.display()
        ));
    }
    if installed.is_empty() {
        blockers.push(not_installed(Agent::Claude));
    } else if installed
        .iter()
        .any(|i| i.scope == "project" || i.scope == "local")
        && !claude_trusted(root, homes)
    {
        notes.push(
            "an interactive `claude` asks to trust this folder the first time it starts here; \
             its hooks run once you accept (`claude -p` does not ask)"
                .to_string(),
        );
    }
    Status {
        agent: "claude",
        installed,
        loads: false,
        blockers,
        notes,
        last_report: None,
    }
}

/// Whether Claude Code's state file records the trust dialog as accepted for `root`.
fn claude_trusted(root: &Path, homes: &Homes) -> bool {
    let Some(path) = homes.claude_state() else {
        return false;
    };
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let Ok(Value::Object(state)) = serde_json::from_slice::<Value>(&bytes) else {
        return false;
    };
    let Some(Value::Object(projects)) = state.get("projects") else {
        return false;
    };
    path_forms(root).iter().any(|p| {
        projects
            .get(p.as_str())
            .and_then(|p| p.get("hasTrustDialogAccepted"))
            == Some(&Value::Bool(true))
    })
}

/// A path as given and as resolved (symlinks followed), as text, without duplicates.
fn path_forms(path: &Path) -> Vec<String> {
    // Components drop a trailing slash (git's work tree path has one).
    let given: PathBuf = path.components().collect();
    let mut out = vec![given.display().to_string()];
    if let Ok(c) = std::fs::canonicalize(path) {
        let c = c.display().to_string();
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Codex's snake_case name of a hook event, as its hook-state keys and
/// hashes spell it.
fn codex_event_label(event: &str) -> String {
    let mut out = String::new();
    for (i, c) in event.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The hash Codex stores as `trusted_hash` when a hook is reviewed: SHA-256
/// of the compact JSON, keys sorted, of `{event_name, hooks: [normalized
/// handler], matcher?}` (checked against what Codex 0.171 writes).
pub fn codex_hook_hash(entry: &LeashEntry) -> String {
    let label = codex_event_label(&entry.event);
    let h = &entry.handler;
    let session_end = label == "session_end";
    let raw = h.get("timeout").and_then(Value::as_u64);
    let timeout = if session_end {
        raw.unwrap_or(1).clamp(1, 3)
    } else {
        raw.unwrap_or(600).max(1)
    };
    // Keys inserted in sorted order: the map keeps insertion order.
    let mut handler = Map::new();
    if matches!(
        label.as_str(),
        "pre_tool_use"
            | "post_tool_use"
            | "session_start"
            | "user_prompt_submit"
            | "subagent_start"
    ) && let Some(limit) = h.get("additionalContextLimit").and_then(Value::as_u64)
        && limit != 2500
    {
        handler.insert("additionalContextLimit".into(), Value::from(limit));
    }
    handler.insert(
        "async".into(),
        Value::Bool(h.get("async").and_then(Value::as_bool).unwrap_or(false)),
    );
    handler.insert(
        "command".into(),
        h.get("command").cloned().unwrap_or(Value::Null),
    );
    if let Some(m) = h
        .get("statusMessage")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
    {
        handler.insert("statusMessage".into(), Value::from(m));
    }
    handler.insert("timeout".into(), Value::from(timeout));
    handler.insert("type".into(), Value::from("command"));
    let mut identity = Map::new();
    identity.insert("event_name".into(), Value::from(label));
    identity.insert("hooks".into(), Value::Array(vec![Value::Object(handler)]));
    if let Some(m) = &entry.matcher {
        identity.insert("matcher".into(), m.clone());
    }
    let text = Value::Object(identity).to_string();
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// What Codex's config says about one hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Review {
    Trusted,
    Unreviewed,
    Changed,
    Disabled,
}

fn review(entry: &LeashEntry, file: &Path, state: Option<&toml::Table>) -> Review {
    let expected = codex_hook_hash(entry);
    let label = codex_event_label(&entry.event);
    let mut seen = None;
    for form in path_forms(file) {
        let key = format!("{form}:{label}:{}:{}", entry.group, entry.index);
        if let Some(toml::Value::Table(t)) = state.and_then(|s| s.get(&key)) {
            if t.get("enabled") == Some(&toml::Value::Boolean(false)) {
                return Review::Disabled;
            }
            match t.get("trusted_hash").and_then(toml::Value::as_str) {
                Some(h) if h == expected => return Review::Trusted,
                Some(_) => seen = Some(Review::Changed),
                None => {}
            }
        }
    }
    seen.unwrap_or(Review::Unreviewed)
}

fn codex(root: &Path, homes: &Homes) -> Status {
    let mut blockers = Vec::new();
    let mut notes = Vec::new();
    let mut installed = Vec::new();
    let codex_home = homes.codex_home();
    let config_path = codex_home.as_ref().map(|h| h.join("config.toml"));
    let config: Option<toml::Table> = match &config_path {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(text) => match text.parse::<toml::Table>() {
                Ok(t) => Some(t),
                Err(e) => {
                    blockers.push(format!(
                        "{} is not valid TOML ({}); Codex will not start with it",
                        p.display(),
                        e.message()
                    ));
                    None
                }
            },
            Err(_) => None,
        },
        None => None,
    };
    let config_name = config_path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "$CODEX_HOME/config.toml".into());
    let table = |t: Option<&toml::Table>, key: &str| -> Option<toml::Table> {
        match t?.get(key)? {
            toml::Value::Table(t) => Some(t.clone()),
            _ => None,
        }
    };
    let features = table(config.as_ref(), "features");
    for flag in ["hooks", "codex_hooks"] {
        if features.as_ref().and_then(|f| f.get(flag)) == Some(&toml::Value::Boolean(false)) {
            blockers.push(format!(
                "[features] {flag} = false in {config_name}: Codex runs no hooks; remove it"
            ));
        }
    }
    let hook_state = table(table(config.as_ref(), "hooks").as_ref(), "state");

    let mut files: Vec<(PathBuf, &'static str)> =
        vec![(Agent::Codex.settings_path(root), "project")];
    if let Some(h) = &codex_home {
        files.push((h.join("hooks.json"), "user"));
    }
    let mut unreviewed = Vec::new();
    let mut changed = Vec::new();
    let mut disabled = Vec::new();
    for (path, scope) in &files {
        let Some((_, entries)) = read(path, &mut blockers) else {
            continue;
        };
        if entries.is_empty() {
            continue;
        }
        let mut by_review: Vec<(Review, Vec<&str>)> = Vec::new();
        for e in &entries {
            let r = review(e, path, hook_state.as_ref());
            match by_review.iter_mut().find(|(k, _)| *k == r) {
                Some((_, events)) => events.push(&e.event),
                None => by_review.push((r, vec![&e.event])),
            }
        }
        for (r, events) in by_review {
            let label = format!("{} in {}", events.join(", "), path.display());
            match r {
                Review::Trusted => {}
                Review::Unreviewed => unreviewed.push(label),
                Review::Changed => changed.push(label),
                Review::Disabled => disabled.push(label),
            }
        }
        installed.push(Installed {
            path: path.display().to_string(),
            scope,
            events: events_of(&entries),
        });
    }
    if installed.is_empty() {
        blockers.push(not_installed(Agent::Codex));
    }
    if installed.iter().any(|i| i.scope == "project") {
        let projects = table(config.as_ref(), "projects");
        let level =
            path_forms(root)
                .iter()
                .find_map(|p| match projects.as_ref()?.get(p.as_str())? {
                    toml::Value::Table(t) => t
                        .get("trust_level")
                        .and_then(toml::Value::as_str)
                        .map(str::to_string),
                    _ => None,
                });
        match level.as_deref() {
            Some("trusted") => {}
            Some(other) => blockers.push(format!(
                "Codex marks this project {other:?} in {config_name}, and loads no project config \
                 (.codex/hooks.json) in a project it does not trust: trust it (set trust_level = \
                 \"trusted\" under [projects.\"{}\"])",
                root.display()
            )),
            None => blockers.push(format!(
                "Codex does not trust this project yet ({config_name} has no [projects.\"{}\"] \
                 trust_level = \"trusted\"), and loads no project config (.codex/hooks.json) \
                 until it does: accept the trust prompt when `codex` starts here, or run `codex \
                 exec --trust` once",
                root.display()
            )),
        }
    }
    if !unreviewed.is_empty() {
        blockers.push(format!(
            "Codex runs no hook nobody has reviewed, and leash's are not reviewed ({}): open \
             `codex` in this repository and trust them in /hooks (it offers to at start); \
             headless runs need `codex exec --dangerously-bypass-hook-trust`",
            unreviewed.join(", ")
        ));
    }
    if !changed.is_empty() {
        blockers.push(format!(
            "leash's hooks changed since they were reviewed (another leash binary or timeout), \
             so Codex skips them ({}): review them again in /hooks",
            changed.join(", ")
        ));
    }
    if !disabled.is_empty() {
        blockers.push(format!(
            "leash's hooks are turned off in Codex's /hooks ({}): turn them on there",
            disabled.join(", ")
        ));
    }
    if !installed.is_empty() {
        notes.push(
            "`codex exec --dangerously-bypass-hook-trust` runs unreviewed hooks for that one run"
                .to_string(),
        );
    }
    Status {
        agent: "codex",
        installed,
        loads: false,
        blockers,
        notes,
        last_report: None,
    }
}

/// The newest thing a session of `agent` reported through its hooks here:
/// its sessions' starts and ends, and its in-place turns and their tool calls.
pub fn last_report(state: &State, agent: &str) -> Option<LastReport> {
    let mut best: Option<(chrono::DateTime<chrono::Utc>, LastReport)> = None;
    let mut consider = |ts: &str, session: Option<&String>, what: String| {
        let Some(t) = parse_ts(ts) else {
            return;
        };
        if best.as_ref().is_none_or(|(b, _)| t > *b) {
            best = Some((
                t,
                LastReport {
                    ts: ts.to_string(),
                    session: session.cloned(),
                    what,
                },
            ));
        }
    };
    for s in state.sessions.values().filter(|s| s.agent == agent) {
        consider(&s.started, Some(&s.id), "session started".into());
        if let Some(ended) = &s.ended {
            consider(ended, Some(&s.id), "session ended".into());
        }
    }
    for t in state
        .turns()
        .iter()
        .filter(|t| t.agent == agent && t.kind == crate::model::TurnKind::InPlace)
    {
        consider(
            &t.created,
            t.session.as_ref(),
            format!("in-place turn {}", t.id),
        );
        if let Some(f) = &t.finished {
            consider(
                f,
                t.session.as_ref(),
                format!("in-place turn {} ended", t.id),
            );
        }
        // Its latest tool call (a turn held in brief keeps only when).
        if let Some(at) = &t.last_action_at {
            consider(
                at,
                t.session.as_ref(),
                format!("tool call {}.a{}", t.id, t.action_count),
            );
        }
    }
    best.map(|(_, r)| r)
}

/// Whether a session of `agent` that started no earlier than `since` (less a
/// little slack for clocks) is open — that is, whether an agent process
/// started at `since` reports to leash. With no start time, any open session
/// of the agent counts.
pub fn session_reports(state: &State, agent: &str, since: Option<std::time::SystemTime>) -> bool {
    let since =
        since.map(|t| chrono::DateTime::<chrono::Utc>::from(t) - chrono::Duration::seconds(2));
    state.sessions.values().any(|s| {
        s.agent == agent
            && s.ended.is_none()
            && match (since, parse_ts(&s.started)) {
                (Some(since), Some(started)) => started >= since,
                (None, _) => true,
                (Some(_), None) => false,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An executable `leash` under `dir/sub`, for hooks whose program must
    /// exist for the status to call them runnable.
    fn fake_leash(dir: &Path, sub: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let folder = dir.join(sub);
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("leash");
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn entry(event: &str, matcher: Option<&str>, command: &str, timeout: u64) -> LeashEntry {
        let Value::Object(handler) =
            json!({"type": "command", "command": command, "timeout": timeout})
        else {
            unreachable!()
        };
        LeashEntry {
            event: event.into(),
            group: 0,
            index: 0,
            matcher: matcher.map(Value::from),
            handler,
        }
    }

    #[test]
    fn codex_hook_hashes_are_the_ones_codex_writes_when_hooks_are_reviewed() {
        // Written by Codex 0.171.0's /hooks screen ("Trust all") for these two hooks.
        assert_eq!(
            codex_hook_hash(&entry(
                "PreToolUse",
                Some("*"),
                "echo pre >> /tmp/cxexp-hook.log",
                30
            )),
            "sha256:114e083d8d015651237efceac0a592b368a7b58d639bd837be49759fadcc253a"
        );
        assert_eq!(
            codex_hook_hash(&entry(
                "SessionStart",
                None,
                "echo start >> /tmp/cxexp-hook.log",
                30
            )),
            "sha256:e082822b80d01fea5203684f12a7c11c9628b8bdc0c0b791ecb14618a6431f5d"
        );
        // Anything that changes the hook changes the hash.
        assert_ne!(
            codex_hook_hash(&entry(
                "PreToolUse",
                Some("*"),
                "echo pre >> /tmp/cxexp-hook.log",
                31
            )),
            codex_hook_hash(&entry(
                "PreToolUse",
                Some("*"),
                "echo pre >> /tmp/cxexp-hook.log",
                30
            )),
        );
    }

    #[test]
    fn codex_event_labels_are_snake_case() {
        assert_eq!(codex_event_label("PreToolUse"), "pre_tool_use");
        assert_eq!(codex_event_label("SessionEnd"), "session_end");
        assert_eq!(codex_event_label("UserPromptSubmit"), "user_prompt_submit");
    }

    fn setup() -> (tempfile::TempDir, PathBuf, Homes) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&root).unwrap();
        let homes = Homes {
            home: Some(dir.path().join("home")),
            codex_home: Some(dir.path().join("codex_home")),
            claude_config_dir: None,
            claude_managed: Some(dir.path().join("managed-settings.json")),
        };
        std::fs::create_dir_all(dir.path().join("codex_home")).unwrap();
        (dir, root, homes)
    }

    fn trust_all(root: &Path, homes: &Homes, extra: &str) {
        let file = Agent::Codex.settings_path(root);
        let settings = hooks_config::read_settings(&file).unwrap().unwrap();
        let mut toml = format!(
            "model = \"x\"\n{extra}\n[projects.{:?}]\ntrust_level = \"trusted\"\n",
            root.display().to_string()
        );
        for e in hooks_config::leash_entries(&settings) {
            toml.push_str(&format!(
                "[hooks.state.\"{}:{}:{}:{}\"]\ntrusted_hash = \"{}\"\n",
                file.display(),
                codex_event_label(&e.event),
                e.group,
                e.index,
                codex_hook_hash(&e)
            ));
        }
        std::fs::write(homes.codex_home.as_ref().unwrap().join("config.toml"), toml).unwrap();
    }

    #[test]
    fn codex_hooks_load_only_in_a_trusted_project_once_reviewed() {
        let (dir, root, homes) = setup();
        let s = status(Agent::Codex, &root, &homes, None);
        assert!(!s.loads);
        assert!(s.installed.is_empty());
        assert!(s.blockers[0].contains("leash hooks install codex"), "{s:?}");

        hooks_config::install(&root, Agent::Codex, &fake_leash(dir.path(), "usr-bin"), 630)
            .unwrap();
        let s = status(Agent::Codex, &root, &homes, None);
        assert!(!s.loads);
        assert_eq!(s.installed[0].scope, "project");
        assert_eq!(s.blockers.len(), 2, "{:#?}", s.blockers);
        assert!(s.blockers[0].contains("does not trust this project"));
        assert!(s.blockers[1].contains("/hooks"));
        assert!(s.blockers[1].contains("--dangerously-bypass-hook-trust"));

        trust_all(&root, &homes, "");
        let s = status(Agent::Codex, &root, &homes, None);
        assert!(s.loads, "{:#?}", s.blockers);

        // A new leash binary path rewrites the hooks: the review no longer holds.
        hooks_config::install(&root, Agent::Codex, &fake_leash(dir.path(), "opt"), 630).unwrap();
        let s = status(Agent::Codex, &root, &homes, None);
        assert!(!s.loads);
        assert!(
            s.blockers[0].contains("changed since they were reviewed"),
            "{s:?}"
        );

        // Hooks turned off altogether.
        trust_all(&root, &homes, "[features]\nhooks = false\n");
        let s = status(Agent::Codex, &root, &homes, None);
        assert!(!s.loads);
        assert!(s.blockers[0].contains("[features] hooks = false"), "{s:?}");

        // A project Codex was told not to trust.
        std::fs::write(
            homes.codex_home.as_ref().unwrap().join("config.toml"),
            format!(
                "[projects.{:?}]\ntrust_level = \"untrusted\"\n",
                root.display().to_string()
            ),
        )
        .unwrap();
        let s = status(Agent::Codex, &root, &homes, None);
        assert!(s.blockers[0].contains("\"untrusted\""), "{s:?}");
    }

    #[test]
    fn a_broken_codex_config_is_named() {
        let (dir, root, homes) = setup();
        hooks_config::install(&root, Agent::Codex, &fake_leash(dir.path(), "usr-bin"), 630)
            .unwrap();
        std::fs::write(
            homes.codex_home.as_ref().unwrap().join("config.toml"),
            "[projects\n",
        )
        .unwrap();
        let s = status(Agent::Codex, &root, &homes, None);
        assert!(s.blockers[0].contains("is not valid TOML"), "{s:?}");
    }

    #[test]
    fn events_an_earlier_install_left_out_are_named() {
        let (dir, root, homes) = setup();
        hooks_config::install(
            &root,
            Agent::Claude,
            &fake_leash(dir.path(), "usr-bin"),
            630,
        )
        .unwrap();
        let settings = Agent::Claude.settings_path(&root);
        let drop_event = |event: &str| {
            let mut v: Value =
                serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
            v["hooks"].as_object_mut().unwrap().remove(event).unwrap();
            std::fs::write(&settings, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        };
        let s = status(Agent::Claude, &root, &homes, None);
        assert!(
            !s.notes.iter().any(|n| n.contains("no leash hook")),
            "{s:?}"
        );
        drop_event("Notification");
        let s = status(Agent::Claude, &root, &homes, None);
        assert!(s.loads, "{s:?}");
        assert!(
            s.notes.iter().any(|n| n
                == "no leash hook for Notification (installed by an earlier leash); \
                    `leash hooks install claude` adds it"),
            "{s:?}"
        );
        drop_event("PreToolUse");
        let s = status(Agent::Claude, &root, &homes, None);
        assert!(!s.loads, "{s:?}");
        assert!(
            s.blockers.iter().any(|b| b
                .starts_with("no leash hook for PreToolUse: the agent's tool calls are not gated")),
            "{s:?}"
        );
        // Codex has no Notification event: its install is whole without one.
        hooks_config::install(&root, Agent::Codex, &fake_leash(dir.path(), "usr-bin"), 630)
            .unwrap();
        let s = status(Agent::Codex, &root, &homes, None);
        assert!(
            !s.notes.iter().any(|n| n.contains("no leash hook")),
            "{s:?}"
        );
    }

    #[test]
    fn claude_hooks_load_unless_all_hooks_are_disabled() {
        let (dir, root, homes) = setup();
        hooks_config::install(
            &root,
            Agent::Claude,
            &fake_leash(dir.path(), "usr-bin"),
            630,
        )
        .unwrap();
        let s = status(Agent::Claude, &root, &homes, None);
        assert!(s.loads, "{s:?}");
        assert_eq!(s.installed[0].events.len(), 7);
        // An interactive claude asks to trust the folder first.
        assert!(s.notes[0].contains("trust this folder"));

        std::fs::write(
            root.join(".claude").join("settings.local.json"),
            r#"{"disableAllHooks": true}"#,
        )
        .unwrap();
        let s = status(Agent::Claude, &root, &homes, None);
        assert!(!s.loads);
        assert!(s.blockers[0].contains("disableAllHooks"), "{s:?}");
    }
}
