//! Puts leash's hook entries into an agent's hook settings file in a repository
//! (`.claude/settings.json`, `.codex/hooks.json`) and takes exactly those out again,
//! leaving everything else the user keeps there as it was.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::config::json;
use crate::config::located::{ConfigError, Pos, pos_in};

/// Events leash installs, in the order they are written, and whether each takes a tool `matcher`.
/// `Notification` (the agent waits for its user) is Claude's only: Codex has no such hook event.
const EVENTS: [(&str, bool); 7] = [
    ("SessionStart", false),
    ("UserPromptSubmit", false),
    ("PreToolUse", true),
    ("PostToolUse", true),
    ("Stop", false),
    ("SessionEnd", false),
    ("Notification", false),
];

/// Whether leash installs `event` for `agent`.
fn installs(agent: Agent, event: &str) -> bool {
    is_leash_event(event) && !(agent == Agent::Codex && event == "Notification")
}

/// The events `leash hooks install` writes for `agent`, in order.
pub fn installed_events(agent: Agent) -> impl Iterator<Item = &'static str> {
    EVENTS
        .iter()
        .map(|(e, _)| *e)
        .filter(move |e| installs(agent, e))
}

/// Timeout of every hook but the gate: they only report, so a short bound keeps a stuck leash
/// from stalling the agent.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// Codex clamps SessionEnd hooks to 3 s; writing the clamped value avoids its warning.
const CODEX_SESSION_END_TIMEOUT_SECS: u64 = 3;

/// Indentation used when the file is new or its own style cannot be seen.
const DEFAULT_INDENT: &str = "  ";

/// An agent whose hook settings leash manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// Claude Code.
    Claude,
    /// OpenAI Codex.
    Codex,
}

impl Agent {
    /// The repository-level hook settings file of this agent.
    pub fn settings_path(self, repo_root: &Path) -> PathBuf {
        match self {
            Agent::Claude => repo_root.join(".claude").join("settings.json"),
            Agent::Codex => repo_root.join(".codex").join("hooks.json"),
        }
    }

    /// The agent's name on leash's command line: `claude` or `codex`.
    pub fn name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
        }
    }
}

/// What install/uninstall did, for the CLI to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The settings file that was looked at.
    pub path: PathBuf,
    /// Events whose leash entry was added or rewritten.
    pub added: Vec<String>,
    /// Events whose leash entries were taken out and not put back.
    pub removed: Vec<String>,
    /// True when the file was not written at all.
    pub unchanged: bool,
}

/// Why a settings file could not be read, understood or written.
#[derive(Debug, thiserror::Error)]
pub enum HooksError {
    /// Reading or writing the file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file (or its folder) that failed.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file is not JSON of the expected shape; it was left untouched.
    #[error(transparent)]
    Parse(#[from] ConfigError),
}

/// The command leash's hooks run: `<leash binary> hook <agent>`, the binary path quoted for a POSIX shell if it holds spaces or shell metacharacters (both agents run hook commands through a shell).
pub fn hook_command(leash_binary: &Path, agent: Agent) -> String {
    // Settings files are JSON text, so a path that is not UTF-8 cannot be written exactly anyway.
    format!(
        "{} hook {}",
        crate::words::shell_quote(&leash_binary.to_string_lossy()),
        agent.name()
    )
}

/// Is this hook entry leash's? A command whose first word's file name is `leash` (any path) and whose next words are `hook claude|codex` — so entries written by another leash binary path (an upgrade, another checkout) are still recognised and replaced, and the user's own hooks never are.
pub fn is_leash_command(command: &str) -> bool {
    // A command whose meaning depends on the shell (operators, expansions, an environment
    // prefix) is not one leash wrote, so it counts as the user's and is never touched.
    let Some(words) = plain_words(command) else {
        return false;
    };
    match words.as_slice() {
        [program, sub, agent, ..] => {
            Path::new(program).file_name().is_some_and(|n| n == "leash")
                && sub == "hook"
                && (agent == "claude" || agent == "codex")
        }
        _ => false,
    }
}

/// The program a leash hook command runs (`leash`, or a path to a leash
/// binary), or `None` when the command is not leash's.
pub fn leash_program(command: &str) -> Option<String> {
    if !is_leash_command(command) {
        return None;
    }
    plain_words(command).and_then(|w| w.into_iter().next())
}

/// Merges leash's entries: for each event, removes any existing leash entries (so reinstalling with a new binary path or timeout replaces them), then appends one group `{"matcher"?, "hooks":[{"type":"command","command":…,"timeout":…}]}`. A group of the user's that mixes their hook with a leash hook keeps the user's hook. Idempotent: a second install with the same arguments leaves the file byte-identical and reports unchanged. Creates the file (and folder) if missing. Writes atomically (temp file in the same dir + rename) with the user's indentation style if detectable (2 spaces default) and a trailing newline.
pub fn install(
    repo_root: &Path,
    agent: Agent,
    leash_binary: &Path,
    timeout_secs: u64,
) -> Result<Change, HooksError> {
    let path = agent.settings_path(repo_root);
    let loaded = load(&path)?;
    let (original, style) = match loaded {
        Some(l) => (Some(l.settings), l.style),
        None => (None, Style::default()),
    };
    let mut settings = original.clone().unwrap_or_default();
    let before = event_snapshots(&settings);

    let hooks = settings
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(hooks) = hooks else {
        unreachable!("load() rejects a non-object \"hooks\"");
    };
    for (event, group) in leash_groups(leash_binary, agent, timeout_secs) {
        let groups = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(groups) = groups else {
            unreachable!("load() rejects an event that is not an array");
        };
        let stripped = strip_leash_hooks(groups);
        // Putting the new group where leash's old one stood keeps a reinstall from
        // reshuffling the user's hooks.
        let at = stripped.slot.unwrap_or(groups.len());
        groups.insert(at, group);
    }
    // Events leash no longer installs (an older version's choice) lose their leash entries too,
    // so install always converges on exactly the current set.
    let others: Vec<String> = hooks
        .keys()
        .filter(|k| !installs(agent, k))
        .cloned()
        .collect();
    for event in others {
        if let Some(Value::Array(groups)) = hooks.get_mut(&event)
            && strip_leash_hooks(groups).found
            && groups.is_empty()
        {
            hooks.shift_remove(&event);
        }
    }

    let after = event_snapshots(&settings);
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for (event, _) in EVENTS.into_iter().filter(|(e, _)| installs(agent, e)) {
        if before.get(event) != after.get(event) {
            added.push(event.to_string());
        }
    }
    for (event, snapshot) in &before {
        if !is_leash_event(event) && after.get(event) != Some(snapshot) {
            removed.push(event.clone());
        }
    }

    let unchanged = original
        .as_ref()
        .is_some_and(|o| compact(o) == compact(&settings));
    if !unchanged {
        write_atomically(&path, style.render(&settings).as_bytes())?;
    }
    Ok(Change {
        path,
        added,
        removed,
        unchanged,
    })
}

/// Removes exactly leash's hook entries; removes groups left empty, events left empty, and the "hooks" key if it ends up empty; keeps everything else (a file left as `{}` is kept, never deleted). A missing file is `unchanged`.
pub fn uninstall(repo_root: &Path, agent: Agent) -> Result<Change, HooksError> {
    let path = agent.settings_path(repo_root);
    let Some(loaded) = load(&path)? else {
        return Ok(Change {
            path,
            added: Vec::new(),
            removed: Vec::new(),
            unchanged: true,
        });
    };
    let mut settings = loaded.settings;
    let mut removed = Vec::new();
    if let Some(Value::Object(hooks)) = settings.get_mut("hooks") {
        let events: Vec<String> = hooks.keys().cloned().collect();
        for event in events {
            let Some(Value::Array(groups)) = hooks.get_mut(&event) else {
                continue;
            };
            if strip_leash_hooks(groups).found {
                if groups.is_empty() {
                    hooks.shift_remove(&event);
                }
                removed.push(event);
            }
        }
        if hooks.is_empty() && !removed.is_empty() {
            settings.shift_remove("hooks");
        }
    }
    let unchanged = removed.is_empty();
    if !unchanged {
        write_atomically(&path, loaded.style.render(&settings).as_bytes())?;
    }
    Ok(Change {
        path,
        added: Vec::new(),
        removed,
        unchanged,
    })
}

/// Reads a hook settings file as install does: `None` when it does not exist, a parse error
/// that says where when it is not JSON of the expected shape.
pub fn read_settings(path: &Path) -> Result<Option<Map<String, Value>>, HooksError> {
    Ok(load(path)?.map(|l| l.settings))
}

/// One hook handler of leash's in a settings file, where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct LeashEntry {
    /// The event it is installed for (`PreToolUse`, …).
    pub event: String,
    /// Index of its group among the event's groups.
    pub group: usize,
    /// Index of the handler within its group.
    pub index: usize,
    /// The group's `matcher`, if it has one.
    pub matcher: Option<Value>,
    /// The handler object as written (`type`, `command`, `timeout`, …).
    pub handler: Map<String, Value>,
}

/// Leash's hook handlers in a settings object, in file order.
pub fn leash_entries(settings: &Map<String, Value>) -> Vec<LeashEntry> {
    let mut out = Vec::new();
    let Some(Value::Object(hooks)) = settings.get("hooks") else {
        return out;
    };
    for (event, groups) in hooks {
        let Value::Array(groups) = groups else {
            continue;
        };
        for (g, group) in groups.iter().enumerate() {
            let Some(Value::Array(handlers)) = group.get("hooks") else {
                continue;
            };
            for (i, handler) in handlers.iter().enumerate() {
                let Value::Object(handler) = handler else {
                    continue;
                };
                if handler
                    .get("command")
                    .and_then(Value::as_str)
                    .is_some_and(is_leash_command)
                {
                    out.push(LeashEntry {
                        event: event.clone(),
                        group: g,
                        index: i,
                        matcher: group.get("matcher").cloned(),
                        handler: handler.clone(),
                    });
                }
            }
        }
    }
    out
}

/// For an isolated Claude turn: the settings JSON text to pass with `claude --settings <file>` holding only leash's hooks (same entries as install).
pub fn settings_for_turn(leash_binary: &Path, agent: Agent, timeout_secs: u64) -> String {
    let hooks: Map<String, Value> = leash_groups(leash_binary, agent, timeout_secs)
        .into_iter()
        .map(|(event, group)| (event.to_string(), Value::Array(vec![group])))
        .collect();
    let mut settings = Map::new();
    settings.insert("hooks".to_string(), Value::Object(hooks));
    Style::default().render(&settings)
}

/// Leash's group for each event it installs, in writing order.
fn leash_groups(
    leash_binary: &Path,
    agent: Agent,
    timeout_secs: u64,
) -> Vec<(&'static str, Value)> {
    let command = hook_command(leash_binary, agent);
    EVENTS
        .iter()
        .filter(|(e, _)| installs(agent, e))
        .map(|&(event, tool_event)| {
            let timeout = match (event, agent) {
                // The gate waits for the operator's decision, so it needs the caller's bound.
                ("PreToolUse", _) => timeout_secs,
                ("SessionEnd", Agent::Codex) => CODEX_SESSION_END_TIMEOUT_SECS,
                _ => DEFAULT_TIMEOUT_SECS,
            };
            let mut hook = Map::new();
            hook.insert("type".to_string(), Value::from("command"));
            hook.insert("command".to_string(), Value::from(command.clone()));
            hook.insert("timeout".to_string(), Value::from(timeout));
            let mut group = Map::new();
            if tool_event {
                group.insert("matcher".to_string(), Value::from("*"));
            }
            group.insert("hooks".to_string(), Value::Array(vec![Value::Object(hook)]));
            (event, Value::Object(group))
        })
        .collect()
}

/// Whether `event` is one that install writes a leash group for.
fn is_leash_event(event: &str) -> bool {
    EVENTS.iter().any(|&(e, _)| e == event)
}

/// What [`strip_leash_hooks`] found in one event's groups.
struct Stripped {
    /// Some leash hook was there.
    found: bool,
    /// Index (among the remaining groups) where the first group holding only leash hooks stood.
    slot: Option<usize>,
}

/// Takes leash's hooks out of an event's groups, dropping the groups that held nothing else.
fn strip_leash_hooks(groups: &mut Vec<Value>) -> Stripped {
    let mut found = false;
    let mut slot = None;
    let mut kept = Vec::with_capacity(groups.len());
    for mut group in groups.drain(..) {
        if let Some(Value::Array(hooks)) = group.get_mut("hooks") {
            let count = hooks.len();
            hooks.retain(|hook| {
                !hook
                    .get("command")
                    .and_then(Value::as_str)
                    .is_some_and(is_leash_command)
            });
            if hooks.len() != count {
                found = true;
                // A group that is left empty was leash's alone; one still holding the
                // user's hooks stays, matcher and all.
                if hooks.is_empty() {
                    slot.get_or_insert(kept.len());
                    continue;
                }
            }
        }
        kept.push(group);
    }
    *groups = kept;
    Stripped { found, slot }
}

/// Each event's groups as compact text, to tell which events an operation changed.
fn event_snapshots(settings: &Map<String, Value>) -> Map<String, Value> {
    match settings.get("hooks") {
        Some(Value::Object(hooks)) => hooks
            .iter()
            .map(|(event, groups)| (event.clone(), Value::from(groups.to_string())))
            .collect(),
        _ => Map::new(),
    }
}

/// Compact text of a settings object; unlike `==` on maps it also compares key order.
fn compact(settings: &Map<String, Value>) -> String {
    Value::Object(settings.clone()).to_string()
}

/// A settings file that was read and found well-shaped.
struct Loaded {
    /// The top-level object.
    settings: Map<String, Value>,
    /// How the file was laid out, to write it back the same way.
    style: Style,
}

/// Reads and checks a settings file; `None` if it does not exist.
fn load(path: &Path) -> Result<Option<Loaded>, HooksError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(HooksError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    // Some Windows editors prefix a byte order mark, which the JSON parser refuses.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = String::from_utf8_lossy(bytes);
    let style = Style::detect(&text);
    // An empty file (say, made with `touch`) holds no settings yet; treat it like a missing one
    // rather than refusing to install.
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Some(Loaded {
            settings: Map::new(),
            style,
        }));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        let at = Pos {
            line: e.line(),
            column: e.column(),
        };
        HooksError::Parse(ConfigError::new(
            path,
            at,
            format!("not valid JSON: {message}"),
        ))
    })?;
    let shape_error = |keys: &[&str], message: String| {
        let key = (!keys.is_empty()).then(|| keys.join("."));
        let at = pos_in(&text, json::locate(&text, keys));
        HooksError::Parse(ConfigError::new(path, at, message).with_key(key.as_deref()))
    };
    let Value::Object(settings) = value else {
        return Err(shape_error(
            &[],
            format!(
                "expected a JSON object at the top level, found {}",
                kind(&value)
            ),
        ));
    };
    match settings.get("hooks") {
        None => {}
        Some(Value::Object(hooks)) => {
            for (event, groups) in hooks {
                if !groups.is_array() {
                    return Err(shape_error(
                        &["hooks", event],
                        format!(
                            "expected \"hooks\".{} to be an array of hook groups, found {}",
                            Value::from(event.as_str()),
                            kind(groups)
                        ),
                    ));
                }
            }
        }
        Some(other) => {
            return Err(shape_error(
                &["hooks"],
                format!(
                    "expected \"hooks\" to be an object mapping event names to arrays, found {}",
                    kind(other)
                ),
            ));
        }
    }
    Ok(Some(Loaded { settings, style }))
}

/// A JSON value's kind, as said in an error message: "a string", "null", …
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// How a settings file is laid out.
struct Style {
    /// One level of indentation.
    indent: String,
    /// Lines end in `\r\n`.
    crlf: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            indent: DEFAULT_INDENT.to_string(),
            crlf: false,
        }
    }
}

impl Style {
    /// The layout of `text`: its smallest indentation (which is one level), and its line ends.
    fn detect(text: &str) -> Style {
        let indent = text
            .lines()
            .filter_map(|line| {
                let rest = line.trim_start_matches([' ', '\t']);
                let lead = &line[..line.len() - rest.len()];
                (!rest.is_empty() && !lead.is_empty()).then_some(lead)
            })
            // A mix of tabs and spaces says nothing reliable about one level.
            .filter(|lead| lead.bytes().all(|b| b == b' ') || lead.bytes().all(|b| b == b'\t'))
            .min_by_key(|lead| lead.len())
            .unwrap_or(DEFAULT_INDENT);
        Style {
            indent: indent.to_string(),
            crlf: text.contains("\r\n"),
        }
    }

    /// `settings` as pretty JSON in this style, with a final line end.
    fn render(&self, settings: &Map<String, Value>) -> String {
        let pretty = serde_json::to_string_pretty(settings)
            .expect("a JSON value with string keys always serializes");
        let newline = if self.crlf { "\r\n" } else { "\n" };
        let mut out = String::with_capacity(pretty.len() + 16);
        // The pretty printer indents by two spaces and never puts a raw line break inside a
        // string, so leading spaces are indentation and can be swapped for the file's own.
        for line in pretty.lines() {
            let rest = line.trim_start_matches(' ');
            let levels = (line.len() - rest.len()) / 2;
            for _ in 0..levels {
                out.push_str(&self.indent);
            }
            out.push_str(rest);
            out.push_str(newline);
        }
        out
    }
}

/// Replaces the file at `path` with `contents` so that readers see the old or the new file,
/// never a half-written one.
fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), HooksError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HooksError::Io { path, source }
    };
    // Renaming over a symlink would replace the link; writing its target keeps a
    // dotfiles-managed link a link.
    let target = resolve_symlinks(path).map_err(io_error(path))?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.leash-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // A new settings file gets the mode any new file gets (umask applies),
    // not the temporary file's private 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(&dir).map_err(io_error(&dir))?;
    let written = (|| {
        file.write_all(contents)?;
        // The new file takes the old one's mode, so a private settings file stays private.
        if let Ok(meta) = fs::metadata(&target) {
            file.as_file().set_permissions(meta.permissions())?;
        }
        // Flushing before the rename means a crash leaves the old file or the whole new one.
        file.as_file().sync_all()
    })();
    // On an error the temporary file is removed when dropped.
    written.map_err(io_error(&target))?;
    file.persist(&target)
        .map_err(|e| io_error(&target)(e.error))?;
    // Best effort: makes the rename itself durable where the platform allows opening a folder.
    if let Ok(dir) = File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// `path` with symlinks at its end followed (also dangling ones, so the link's target is created).
fn resolve_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    // The same bound Linux uses, so a link loop ends in an error instead of hanging.
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) => parent.join(link),
                    None => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// The words of a simple POSIX shell command after quote removal, or `None` if the shell would
/// do more than split it: operators, redirections, expansions, globs, a variable assignment in
/// front, or unbalanced quotes. A trailing `# comment` is dropped.
fn plain_words(command: &str) -> Option<Vec<String>> {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    // Whether the word so far is bare identifier characters, which an `=` would make an
    // assignment (`X=/bin/leash hook claude` runs `hook`, not leash).
    let mut bare_name = true;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                    bare_name = true;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                bare_name = false;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                bare_name = false;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('$' | '`' | '"' | '\\') => word.push(c),
                            '\n' => {}
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        '$' | '`' => return None,
                        c => word.push(c),
                    }
                }
            }
            '\\' => match chars.next()? {
                // A line continuation joins lines and is not part of any word.
                '\n' => {}
                c => {
                    in_word = true;
                    bare_name = false;
                    word.push(c);
                }
            },
            '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')' | '$' | '`' | '*' | '?' | '[' | ']'
            | '{' | '}' => return None,
            '=' if words.is_empty() && in_word && bare_name => return None,
            c => {
                in_word = true;
                if !(c.is_ascii_alphanumeric() || c == '_') {
                    bare_name = false;
                }
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BIN: &str = "/usr/local/bin/leash";

    fn repo() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap()
    }

    fn parse(path: &Path) -> Value {
        serde_json::from_str(&read(path)).unwrap()
    }

    fn seven() -> Vec<String> {
        EVENTS.iter().map(|(e, _)| e.to_string()).collect()
    }

    /// The leash commands found under each event, in file order.
    fn leash_commands(settings: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (event, groups) in settings["hooks"].as_object().unwrap() {
            for group in groups.as_array().unwrap() {
                for hook in group["hooks"].as_array().unwrap() {
                    let command = hook["command"].as_str().unwrap();
                    if is_leash_command(command) {
                        out.push((event.clone(), command.to_string()));
                    }
                }
            }
        }
        out
    }

    const USER_FILE: &str = r#"{
  "permissions": {
    "allow": [
      "Bash(npm test:*)"
    ],
    "deny": []
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "python3 hook_logger.py"
          }
        ]
      }
    ]
  },
  "env": {
    "ZED": "1",
    "ALPHA": "2"
  },
  "model": "opus"
}
"#;

    #[test]
    fn fresh_install_creates_the_file_with_all_seven_events() {
        let dir = repo();
        let change = install(dir.path(), Agent::Claude, Path::new(BIN), 900).unwrap();
        let path = dir.path().join(".claude/settings.json");
        assert_eq!(
            change,
            Change {
                path: path.clone(),
                added: seven(),
                removed: vec![],
                unchanged: false
            }
        );
        let text = read(&path);
        assert!(text.ends_with("}\n"), "trailing newline: {text:?}");
        assert!(text.starts_with("{\n  \"hooks\": {\n    \"SessionStart\""));
        let cmd = "/usr/local/bin/leash hook claude";
        let plain = |timeout: u64| json!([{"hooks": [{"type": "command", "command": cmd, "timeout": timeout}]}]);
        let tool = |timeout: u64| json!([{"matcher": "*", "hooks": [{"type": "command", "command": cmd, "timeout": timeout}]}]);
        let expected = json!({"hooks": {
            "SessionStart": plain(30),
            "UserPromptSubmit": plain(30),
            "PreToolUse": tool(900),
            "PostToolUse": tool(30),
            "Stop": plain(30),
            "SessionEnd": plain(30),
            "Notification": plain(30),
        }});
        let actual = parse(&path);
        assert_eq!(actual, expected);
        let order: Vec<String> = actual["hooks"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(order, seven());
    }

    #[test]
    fn codex_goes_to_codex_hooks_json_with_a_short_session_end() {
        let dir = repo();
        let change = install(dir.path(), Agent::Codex, Path::new(BIN), 700).unwrap();
        assert_eq!(change.path, dir.path().join(".codex/hooks.json"));
        let settings = parse(&change.path);
        let hook = |event: &str| settings["hooks"][event][0]["hooks"][0].clone();
        assert_eq!(hook("SessionEnd")["timeout"], 3);
        assert_eq!(hook("Stop")["timeout"], 30);
        assert_eq!(hook("PreToolUse")["timeout"], 700);
        assert_eq!(
            hook("PreToolUse")["command"],
            "/usr/local/bin/leash hook codex"
        );
        assert!(settings["hooks"]["Stop"][0].get("matcher").is_none());
        assert_eq!(settings["hooks"]["PostToolUse"][0]["matcher"], "*");
    }

    #[test]
    fn install_keeps_the_users_settings_and_hooks_exactly() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        write(&path, USER_FILE);
        let change = install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        assert_eq!(change.added, seven());
        assert!(!change.unchanged);
        let group = |timeout: u64, matcher: bool| {
            let m = if matcher {
                "        \"matcher\": \"*\",\n"
            } else {
                ""
            };
            format!(
                "      {{\n{m}        \"hooks\": [\n          {{\n            \"type\": \"command\",\n            \"command\": \"/usr/local/bin/leash hook claude\",\n            \"timeout\": {timeout}\n          }}\n        ]\n      }}"
            )
        };
        let expected = format!(
            r#"{{
  "permissions": {{
    "allow": [
      "Bash(npm test:*)"
    ],
    "deny": []
  }},
  "hooks": {{
    "PreToolUse": [
      {{
        "matcher": "Bash",
        "hooks": [
          {{
            "type": "command",
            "command": "python3 hook_logger.py"
          }}
        ]
      }},
{pre}
    ],
    "SessionStart": [
{start}
    ],
    "UserPromptSubmit": [
{prompt}
    ],
    "PostToolUse": [
{post}
    ],
    "Stop": [
{stop}
    ],
    "SessionEnd": [
{end}
    ],
    "Notification": [
{note}
    ]
  }},
  "env": {{
    "ZED": "1",
    "ALPHA": "2"
  }},
  "model": "opus"
}}
"#,
            pre = group(600, true),
            start = group(30, false),
            prompt = group(30, false),
            post = group(30, true),
            stop = group(30, false),
            end = group(30, false),
            note = group(30, false),
        );
        assert_eq!(read(&path), expected);
    }

    #[test]
    fn reinstall_is_byte_identical_and_unchanged() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        write(&path, USER_FILE);
        install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        let first = fs::read(&path).unwrap();
        let change = install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        assert!(change.unchanged);
        assert!(change.added.is_empty() && change.removed.is_empty());
        assert_eq!(fs::read(&path).unwrap(), first);
        // What install writes is also what a rewrite of it would produce, so the file settles.
        let reparsed: Map<String, Value> = serde_json::from_slice(&first).unwrap();
        assert_eq!(
            Style::detect(&read(&path)).render(&reparsed).as_bytes(),
            &first[..]
        );
    }

    #[test]
    fn install_with_another_binary_replaces_leash_entries_in_place() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        write(&path, USER_FILE);
        install(
            dir.path(),
            Agent::Claude,
            Path::new("/old/checkout/leash"),
            600,
        )
        .unwrap();
        let change = install(
            dir.path(),
            Agent::Claude,
            Path::new("/new place/leash"),
            600,
        )
        .unwrap();
        assert_eq!(change.added, seven());
        assert!(change.removed.is_empty());
        let settings = parse(&path);
        let commands = leash_commands(&settings);
        assert_eq!(commands.len(), 7, "{commands:?}");
        assert!(
            commands
                .iter()
                .all(|(_, c)| c == "'/new place/leash' hook claude")
        );
        // The user's own PreToolUse group stays first, leash's second.
        let pre = settings["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2);
        assert_eq!(pre[0]["hooks"][0]["command"], "python3 hook_logger.py");
    }

    #[test]
    fn a_new_timeout_rewrites_only_the_gate() {
        let dir = repo();
        install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        let change = install(dir.path(), Agent::Claude, Path::new(BIN), 1200).unwrap();
        assert_eq!(change.added, vec!["PreToolUse".to_string()]);
        let settings = parse(&change.path);
        assert_eq!(
            settings["hooks"]["PreToolUse"][0]["hooks"][0]["timeout"],
            1200
        );
        assert_eq!(settings["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn reinstall_keeps_leash_group_where_it_stood() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        // The user adds a hook after leash's.
        let mut settings = parse(&path);
        settings["hooks"]["Stop"]
            .as_array_mut()
            .unwrap()
            .push(json!({"hooks": [{"type": "command", "command": "notify-send done"}]}));
        fs::write(
            &path,
            serde_json::to_string_pretty(&settings).unwrap() + "\n",
        )
        .unwrap();
        install(dir.path(), Agent::Claude, Path::new("/opt/leash"), 600).unwrap();
        let stop = parse(&path)["hooks"]["Stop"].clone();
        assert_eq!(stop[0]["hooks"][0]["command"], "/opt/leash hook claude");
        assert_eq!(stop[1]["hooks"][0]["command"], "notify-send done");
    }

    #[test]
    fn uninstall_restores_the_users_original_value_and_key_order() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        write(&path, USER_FILE);
        let original: Value = serde_json::from_str(USER_FILE).unwrap();
        install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        let change = uninstall(dir.path(), Agent::Claude).unwrap();
        assert!(!change.unchanged);
        assert!(change.added.is_empty());
        let mut removed = change.removed.clone();
        removed.sort();
        let mut expected = seven();
        expected.sort();
        assert_eq!(removed, expected);
        let restored = parse(&path);
        assert_eq!(restored, original);
        // Map equality ignores order; the compact text does not.
        assert_eq!(restored.to_string(), original.to_string());
        assert_eq!(read(&path), USER_FILE);
    }

    #[test]
    fn uninstall_of_a_leash_only_file_keeps_an_empty_object() {
        let dir = repo();
        install(dir.path(), Agent::Codex, Path::new(BIN), 600).unwrap();
        let change = uninstall(dir.path(), Agent::Codex).unwrap();
        assert!(!change.unchanged);
        assert_eq!(read(&change.path), "{}\n");
    }

    #[test]
    fn uninstall_keeps_the_order_of_keys_around_what_it_removes() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        // The user adds keys and events after leash's, around a leash-only event.
        let text = read(&path).replacen(
            "{\n  \"hooks\": {\n",
            "{\n  \"a\": 1,\n  \"hooks\": {\n    \"PermissionRequest\": [],\n",
            1,
        );
        let mut settings: Value = serde_json::from_str(&text).unwrap();
        let hooks = settings["hooks"].as_object_mut().unwrap();
        hooks.insert("PreCompact".to_string(), json!([]));
        hooks.insert("SubagentStop".to_string(), json!([]));
        let object = settings.as_object_mut().unwrap();
        object.insert("b".to_string(), json!(2));
        object.insert("c".to_string(), json!(3));
        fs::write(&path, serde_json::to_string_pretty(&settings).unwrap()).unwrap();
        uninstall(dir.path(), Agent::Claude).unwrap();
        assert_eq!(
            parse(&path).to_string(),
            r#"{"a":1,"hooks":{"PermissionRequest":[],"PreCompact":[],"SubagentStop":[]},"b":2,"c":3}"#
        );
        // With nothing of the user's left under "hooks", the key goes and the rest keeps its order.
        let text = r#"{"a":1,"hooks":{"Stop":[{"hooks":[{"type":"command","command":"leash hook claude"}]}]},"b":2,"c":3}"#;
        write(&path, text);
        uninstall(dir.path(), Agent::Claude).unwrap();
        assert_eq!(parse(&path).to_string(), r#"{"a":1,"b":2,"c":3}"#);
    }

    #[test]
    fn uninstall_without_leash_entries_leaves_the_file_alone() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        // Unusual formatting that a rewrite would not reproduce.
        let text = "{\"hooks\":{\"Stop\":[{\"hooks\":[{\"type\":\"command\",\"command\":\"echo leash hook claude\"}]}]},   \"x\":1}";
        write(&path, text);
        let change = uninstall(dir.path(), Agent::Claude).unwrap();
        assert_eq!(
            change,
            Change {
                path: path.clone(),
                added: vec![],
                removed: vec![],
                unchanged: true
            }
        );
        assert_eq!(read(&path), text);
    }

    #[test]
    fn uninstall_of_a_missing_file_is_unchanged_and_creates_nothing() {
        let dir = repo();
        let change = uninstall(dir.path(), Agent::Codex).unwrap();
        assert!(change.unchanged);
        assert!(!dir.path().join(".codex").exists());
    }

    #[test]
    fn a_mixed_group_keeps_the_users_hook() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        write(
            &path,
            r#"{"hooks": {"PreToolUse": [{"matcher": "Edit|Write", "hooks": [
                {"type": "command", "command": "./lint.sh"},
                {"type": "command", "command": "/old/leash hook claude", "timeout": 5}
            ]}]}}"#,
        );
        install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        let pre = parse(&path)["hooks"]["PreToolUse"].clone();
        assert_eq!(
            pre,
            json!([
                {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "./lint.sh"}]},
                {"matcher": "*", "hooks": [{"type": "command", "command": "/usr/local/bin/leash hook claude", "timeout": 600}]}
            ])
        );
        uninstall(dir.path(), Agent::Claude).unwrap();
        assert_eq!(
            parse(&path),
            json!({"hooks": {"PreToolUse": [
                {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "./lint.sh"}]}
            ]}})
        );
    }

    #[test]
    fn install_drops_leash_entries_from_events_it_no_longer_uses() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        write(
            &path,
            r#"{"hooks": {"PermissionRequest": [{"matcher": "*", "hooks": [{"type": "command", "command": "leash hook claude"}]}],
                "SubagentStop": [{"hooks": [{"type": "command", "command": "say hi"}, {"type": "command", "command": "leash hook claude"}]}]}}"#,
        );
        let change = install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        assert_eq!(
            change.removed,
            vec!["PermissionRequest".to_string(), "SubagentStop".to_string()]
        );
        let settings = parse(&path);
        assert!(settings["hooks"].get("PermissionRequest").is_none());
        assert_eq!(
            settings["hooks"]["SubagentStop"],
            json!([{"hooks": [{"type": "command", "command": "say hi"}]}])
        );
    }

    #[test]
    fn broken_json_is_a_parse_error_and_the_file_is_untouched() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        let text = "{\n  \"model\": \"opus\",\n  \"env\": {\"A\": 1,}\n}\n";
        write(&path, text);
        for result in [
            install(dir.path(), Agent::Claude, Path::new(BIN), 600),
            uninstall(dir.path(), Agent::Claude),
        ] {
            match result {
                Err(HooksError::Parse(ConfigError {
                    path: p,
                    line,
                    column,
                    message,
                    ..
                })) => {
                    assert_eq!(p, path);
                    assert_eq!((line, column), (3, 18));
                    assert!(message.contains("not valid JSON"), "{message}");
                    assert!(!message.contains("at line"), "{message}");
                }
                other => panic!("expected a parse error, got {other:?}"),
            }
            assert_eq!(read(&path), text);
        }
        let shown = install(dir.path(), Agent::Claude, Path::new(BIN), 600)
            .unwrap_err()
            .to_string();
        assert!(
            shown.starts_with(&format!("{}:3:18: ", path.display())),
            "{shown}"
        );
        assert_eq!(
            fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn wrong_shapes_are_reported_where_they_are() {
        let cases: [(&str, (usize, usize), &str); 4] = [
            (
                "[1, 2]\n",
                (1, 1),
                "expected a JSON object at the top level, found an array",
            ),
            (
                "{\n  \"hooks\": \"none\"\n}\n",
                (2, 12),
                "expected \"hooks\" to be an object mapping event names to arrays, found a string",
            ),
            (
                "{\n  \"hooks\": {\n    \"Stop\": [],\n    \"PreToolUse\": {\"matcher\": \"*\"}\n  }\n}\n",
                (4, 19),
                "expected \"hooks\".\"PreToolUse\" to be an array of hook groups, found an object",
            ),
            // An escaped key is still the "hooks" key, and the error finds it.
            (
                "{\"a\": {\"hooks\": 1}, \"\\u0068ooks\": null}",
                (1, 35),
                "found null",
            ),
        ];
        for (text, at, expected) in cases {
            let dir = repo();
            let path = Agent::Codex.settings_path(dir.path());
            write(&path, text);
            match install(dir.path(), Agent::Codex, Path::new(BIN), 600) {
                Err(HooksError::Parse(ConfigError {
                    line,
                    column,
                    message,
                    ..
                })) => {
                    assert_eq!((line, column), at, "{text}");
                    assert!(message.contains(expected), "{message}");
                }
                other => panic!("{text}: expected a parse error, got {other:?}"),
            }
            assert_eq!(read(&path), text);
        }
    }

    #[test]
    fn an_empty_file_is_treated_as_no_settings() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        write(&path, "\n");
        let change = install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        assert_eq!(change.added, seven());
        assert_eq!(leash_commands(&parse(&path)).len(), 7);
    }

    #[test]
    fn the_users_indentation_and_line_ends_are_kept() {
        let dir = repo();
        let path = Agent::Claude.settings_path(dir.path());
        write(
            &path,
            "{\r\n\t\"model\": \"opus\",\r\n\t\"env\": {\r\n\t\t\"A\": \"1\"\r\n\t}\r\n}\r\n",
        );
        install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        let text = read(&path);
        assert!(text.starts_with("{\r\n\t\"model\": \"opus\",\r\n\t\"env\": {\r\n\t\t\"A\": \"1\"\r\n\t},\r\n\t\"hooks\": {\r\n\t\t\"SessionStart\": [\r\n"), "{text:?}");
        assert!(text.ends_with("}\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
        assert!(!text.contains("  "), "no space indentation: {text:?}");

        let four = "{\n    \"model\": \"opus\"\n}\n";
        write(&path, four);
        install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        assert!(read(&path).starts_with(
            "{\n    \"model\": \"opus\",\n    \"hooks\": {\n        \"SessionStart\": [\n"
        ));
        uninstall(dir.path(), Agent::Claude).unwrap();
        assert_eq!(read(&path), four);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_file_stays_a_link_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = repo();
        let shared = dir.path().join("dotfiles.json");
        write(&shared, "{\"model\": \"opus\"}\n");
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o600)).unwrap();
        fs::create_dir_all(dir.path().join(".claude")).unwrap();
        let link = Agent::Claude.settings_path(dir.path());
        std::os::unix::fs::symlink("../dotfiles.json", &link).unwrap();
        install(dir.path(), Agent::Claude, Path::new(BIN), 600).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(leash_commands(&parse(&shared)).len(), 7);
        assert_eq!(
            fs::metadata(&shared).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn binary_paths_are_quoted_for_the_shell_when_needed() {
        assert_eq!(
            hook_command(Path::new("/usr/bin/leash"), Agent::Claude),
            "/usr/bin/leash hook claude"
        );
        assert_eq!(
            hook_command(Path::new("/Users/me/My Tools/leash"), Agent::Codex),
            "'/Users/me/My Tools/leash' hook codex"
        );
        assert_eq!(
            hook_command(Path::new("/it's/leash"), Agent::Claude),
            r"'/it'\''s/leash' hook claude"
        );
        assert_eq!(
            hook_command(Path::new("/a$b/leash"), Agent::Claude),
            "'/a$b/leash' hook claude"
        );
        assert_eq!(
            hook_command(Path::new("X=y/leash"), Agent::Claude),
            "'X=y/leash' hook claude"
        );
        // Whatever leash writes, it must recognise again.
        for bin in [
            "/usr/bin/leash",
            "/a b/leash",
            "/it's/leash",
            "/a$b/leash",
            "X=y/leash",
            "~/bin/leash",
            "/tmp/ünï cødé/leash",
            "/x;y/(z)/leash",
            "/a\"b\\c/leash",
            "/opt/{a,b}/[x]/leash",
            "leash",
        ] {
            for agent in [Agent::Claude, Agent::Codex] {
                let command = hook_command(Path::new(bin), agent);
                assert!(is_leash_command(&command), "{command}");
            }
        }
    }

    #[test]
    fn leash_commands_are_told_from_the_users() {
        for yes in [
            "/x/y/leash hook claude",
            "leash hook codex",
            "'/a b/leash' hook claude",
            "\"/a b/leash\" hook codex",
            r"/a\ b/leash hook claude",
            "  leash   hook\tclaude  ",
            "leash hook claude --verbose",
            "leash hook claude # added by leash",
            "./leash hook claude",
        ] {
            assert!(is_leash_command(yes), "{yes}");
        }
        for no in [
            "python3 hook_logger.py",
            "leash-other hook claude",
            "echo leash hook claude",
            "leash hook",
            "leash hook gemini",
            "leash hooks claude",
            "leash",
            "",
            "leash hook claude; rm -rf ~",
            "leash hook claude && notify-send x",
            "leash hook claude > /tmp/log",
            "X=/bin/leash hook claude",
            "LEASH_SOCKET=/tmp/s leash hook claude",
            "\"$HOME/leash\" hook claude",
            "$(which leash) hook claude",
            "'/a b/leash hook claude",
            "# leash hook claude",
            "/x/leash/other hook claude",
        ] {
            assert!(!is_leash_command(no), "{no}");
        }
    }

    #[test]
    fn turn_settings_hold_exactly_what_install_writes() {
        let dir = repo();
        for agent in [Agent::Claude, Agent::Codex] {
            let text = settings_for_turn(Path::new("/p q/leash"), agent, 480);
            assert!(text.ends_with("}\n"));
            let change = install(dir.path(), agent, Path::new("/p q/leash"), 480).unwrap();
            assert_eq!(text, read(&change.path));
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value.as_object().unwrap().len(), 1);
            // Codex has no Notification hook event.
            let n = if agent == Agent::Claude { 7 } else { 6 };
            assert_eq!(leash_commands(&value).len(), n);
        }
    }
}
