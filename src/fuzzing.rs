//! The invariants leash's fuzz targets check (`fuzz/`), shared with the
//! replay of their kept corpus in `tests/fuzz_corpus.rs`, so that `cargo
//! test` checks every corpus file without a fuzzer. Each check returns
//! `Err` with what was broken; a panic anywhere is a finding too.
//!
//! Not part of leash's interface: kept public only for those two users.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::agents::adapter::{StreamFormat, Summary};
use crate::workspace::gate::{self, Answer, Dialect, GateEnv};

/// Whether the hook invariant demands one JSON object with a
/// `permissionDecision` for every tool-call event, policy allows included.
/// Always: the gate answers every tool call explicitly.
pub fn strict_answers() -> bool {
    true
}

/// Whether a hook input is a tool call as far as the gate can tell: a
/// `PreToolUse` event, or an input it cannot read at all (not one JSON
/// object, no event name) — those must be answered as if they were.
pub fn is_tool_call(input: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(input) {
        Ok(Value::Object(m)) => match m.get("hook_event_name") {
            Some(Value::String(e)) => e == "PreToolUse" || e.is_empty(),
            _ => true,
        },
        _ => true,
    }
}

/// What any answer of the gate must be: exit 0, and stdout empty or exactly
/// one JSON object; a decision is allow, deny or ask, and a deny says why.
/// With `strict`, a tool call's answer must hold a decision.
pub fn check_answer(input: &[u8], answer: &Answer, strict: bool) -> Result<(), String> {
    if answer.code != 0 {
        return Err(format!("the gate exited {}", answer.code));
    }
    let values: Vec<Value> = serde_json::Deserializer::from_str(&answer.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("stdout is not JSON ({e}): {:?}", answer.stdout))?;
    if values.len() > 1 {
        return Err(format!(
            "stdout holds {} JSON values, expected one: {:?}",
            values.len(),
            answer.stdout
        ));
    }
    let decision = match values.first() {
        None => None,
        Some(Value::Object(m)) => {
            let out = m.get("hookSpecificOutput");
            let decision = out
                .and_then(|o| o.get("permissionDecision"))
                .map(|d| d.as_str().unwrap_or("(not a string)").to_string());
            if let Some(d) = &decision {
                if !["allow", "deny", "ask"].contains(&d.as_str()) {
                    return Err(format!("unknown permissionDecision {d:?}"));
                }
                let reason = out
                    .and_then(|o| o.get("permissionDecisionReason"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if d == "deny" && reason.trim().is_empty() {
                    return Err("a deny without a reason".into());
                }
            }
            decision
        }
        Some(other) => return Err(format!("stdout is JSON but not an object: {other}")),
    };
    if strict && decision.is_none() && is_tool_call(input) {
        return Err(format!(
            "a tool call got no explicit answer (stdout {:?}, stderr {:?})",
            answer.stdout, answer.stderr
        ));
    }
    Ok(())
}

/// A leash workspace in a temp dir for the gate to work in: `leash init`'s
/// files committed, no console, so held actions are answered at once.
pub struct GateFixture {
    dir: tempfile::TempDir,
    env: GateEnv,
    calls: u64,
}

impl GateFixture {
    /// Builds the workspace.
    pub fn new() -> GateFixture {
        let dir = tempfile::Builder::new()
            .prefix("leash-fuzz")
            .tempdir()
            .expect("a temp dir");
        let root = dir.path().to_path_buf();
        let repo = git2::Repository::init(&root).expect("git init");
        {
            let mut cfg = repo.config().expect("repo config");
            cfg.set_str("user.name", "leash fuzz").expect("config");
            cfg.set_str("user.email", "fuzz@example.invalid")
                .expect("config");
        }
        std::fs::create_dir_all(root.join(".leash")).expect("mkdir");
        for (file, text) in [
            (crate::config::CONFIG_FILE, crate::config::CONFIG_TEMPLATE),
            (crate::config::TASKS_FILE, crate::config::TASKS_TEMPLATE),
        ] {
            std::fs::write(root.join(file), text).expect("write");
        }
        std::fs::write(root.join("README.md"), "fuzz\n").expect("write");
        let mut index = repo.index().expect("index");
        index
            .add_all(["."], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.write().expect("index write");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = repo.signature().expect("signature");
        repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
            .expect("commit");
        let env = GateEnv {
            // Whatever `cwd` the input names, the gate works here only.
            workspace: Some(root.clone()),
            turn: None,
            project_dir: Some(root),
            poll: std::time::Duration::from_millis(1),
            confined: None,
        };
        GateFixture { dir, env, calls: 0 }
    }

    /// The workspace's root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    fn journal(&self) -> PathBuf {
        self.dir.path().join(".git/leash/journal.jsonl")
    }

    /// Feeds one hook input to the gate and checks its answer. The first
    /// byte picks the dialect; the rest is the input.
    pub fn check(&mut self, data: &[u8]) -> Result<(), String> {
        let Some((&first, input)) = data.split_first() else {
            return Ok(());
        };
        let dialect = if first & 1 == 0 {
            Dialect::Claude
        } else {
            Dialect::Codex
        };
        // A journal that only grows would make every call slower.
        self.calls += 1;
        if self.calls.is_multiple_of(256)
            || std::fs::metadata(self.journal()).is_ok_and(|m| m.len() > 256 * 1024)
        {
            let _ = std::fs::remove_file(self.journal());
        }
        let answer = gate::handle(dialect, input, &self.env);
        check_answer(input, &answer, strict_answers())
    }
}

impl Default for GateFixture {
    fn default() -> Self {
        GateFixture::new()
    }
}

fn lines(data: &[u8]) -> impl Iterator<Item = String> + '_ {
    data.split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
}

/// Parses an agent's stream line by line and as the console renders a log
/// window of it; checks that every tool use is counted once.
fn check_stream(
    format: &dyn StreamFormat,
    render: crate::transcript::Format,
    data: &[u8],
) -> Result<(), String> {
    let mut summary = Summary::default();
    let mut items = Vec::new();
    for line in lines(data) {
        let parsed = format.parse_line(&line);
        summary.feed(&parsed);
        items.extend(parsed);
    }
    // Feeding the same lines again (a log window read twice) adds no tool.
    let before = summary.tools.len();
    summary.feed(&items);
    let with_ids = summary.tools.iter().filter(|t| !t.id.is_empty()).count();
    if summary.tools.len() != before && with_ids == before {
        return Err(format!(
            "feeding the same items twice grew the tool list from {before} to {}",
            summary.tools.len()
        ));
    }
    let rendered = crate::transcript::render(data, render, Some("/work/repo"));
    for l in &rendered.lines {
        let text = l.text.plain();
        if let Some(c) = text.chars().find(|&c| {
            (c.is_control() && c != '\t')
                || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069)
        }) {
            return Err(format!(
                "a rendered line holds U+{:04X} raw: {text:?}",
                c as u32
            ));
        }
    }
    Ok(())
}

/// Claude Code's stream-json through its adapter and the console's renderer.
pub fn check_claude_stream(data: &[u8]) -> Result<(), String> {
    let format = crate::agents::claude::Claude {
        cwd: Some("/work/repo".into()),
    };
    check_stream(&format, crate::transcript::Format::Claude, data)
}

/// `codex exec --json` lines through its adapter and the console's renderer.
pub fn check_codex_stream(data: &[u8]) -> Result<(), String> {
    let format = crate::agents::codex::Codex {
        cwd: Some("/work/repo".into()),
    };
    check_stream(&format, crate::transcript::Format::Codex, data)
}

/// Journal lines through the reader and the fold, as `leash` reads them.
pub fn check_journal(data: &[u8]) -> Result<(), String> {
    let mut state = crate::state::State::default();
    for line in data.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Ok(record) = crate::journal::parse_line(line) {
            state.apply(&record);
        }
    }
    // What the commands and the console ask of a folded state.
    let _ = state.waiting_actions();
    let _ = state.next_turn_id(0);
    for t in state.turns() {
        if state.turn(&t.id).map(|x| &x.id) != Some(&t.id) {
            return Err(format!("turn {} is listed but cannot be found", t.id));
        }
        for a in &t.actions {
            let _ = state.action(&a.id);
        }
        if let Some(s) = &t.session {
            let _ = state.running_in_place(s);
        }
    }
    Ok(())
}

/// The workspace config and the tasks file through their loaders; an error
/// must name the file.
pub fn check_config(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let path = Path::new(".leash/config.toml");
    let parsed = crate::config::parse_workspace_config(&text, path).and_then(|c| {
        crate::invariants::check_options(&c.invariants)
            .map_err(|(at, message)| crate::config::ConfigError::new(path, at, message))
    });
    if let Err(e) = parsed {
        let msg = e.to_string();
        if !msg.contains(".leash/config.toml") {
            return Err(format!("a config error that does not name the file: {msg}"));
        }
    }
    let tasks = Path::new(".leash/tasks.toml");
    if let Err(e) = crate::config::parse_tasks(&text, tasks) {
        let msg = e.to_string();
        if !msg.contains(".leash/tasks.toml") {
            return Err(format!("a tasks error that does not name the file: {msg}"));
        }
    }
    Ok(())
}
