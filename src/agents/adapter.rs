//! What every agent adapter turns a stream line into, and the pieces the
//! adapters share: failure classification, path relativisation, shortening,
//! and the run summary the supervisor keeps.
//!
//! Adapters are line parsers without state, so the console can render any
//! window of a turn's `output.log` without replaying it from the start.
//! Whatever needs the whole run (the final message, the first failure) is
//! folded by [`Summary`].

use serde_json::Value;

use crate::model::FailureClass;
pub(crate) use crate::words::first_line;
use crate::words::{SUMMARY_CHARS, cut};

/// Longest tool result text an item carries; the full output stays in the
/// turn's `output.log`.
pub const RESULT_CHARS: usize = 400;

/// One thing an agent's stream said, in the order it said it.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// The agent's session began (claude `system/init`, codex `thread.started`).
    Session {
        /// Session or thread id, to resume or find the transcript.
        id: String,
        /// Model name when the stream names it.
        model: Option<String>,
        /// Working directory when the stream names it.
        cwd: Option<String>,
    },
    /// Assistant text (claude text block, codex `agent_message`).
    Text {
        /// The text as the agent wrote it.
        text: String,
    },
    /// Reasoning shown by the agent (claude thinking, codex reasoning and plans).
    Thinking {
        /// The reasoning text.
        text: String,
    },
    /// A tool call: one per tool id.
    ToolUse(ToolUse),
    /// The outcome of the tool call with the same id.
    ToolResult {
        /// Id of the [`ToolUse`] this answers.
        id: String,
        /// False when the tool failed or was refused.
        ok: bool,
        /// Output, shortened to [`RESULT_CHARS`] with "… (N more chars)".
        text: String,
    },
    /// Token usage as last reported.
    Usage(Usage),
    /// The agent itself refused a tool call by its own permission rules
    /// (Claude's `permission_denied`, or its run's `permission_denials`).
    Refused {
        /// Id of the [`ToolUse`] refused; empty when the agent names none.
        id: String,
        /// The tool's name, in Claude's words ("Write", "Bash", "apply_patch").
        tool: String,
        /// One line naming the call: "Write notes/a.md", "Bash: …".
        summary: String,
        /// The agent's own words for it.
        message: String,
    },
    /// Something the operator should see that does not fail the turn.
    Warning {
        /// One line, naming what happened.
        message: String,
    },
    /// The run's last word: claude `result`, codex `turn.completed`/`turn.failed`.
    Final {
        /// Final text; empty when the format does not repeat it (codex).
        text: String,
        /// True when the agent reports the run as failed.
        is_error: bool,
    },
    /// A classified failure of the run (DESIGN §7).
    Failure {
        /// What kind of failure.
        class: FailureClass,
        /// The agent's own words for it.
        message: String,
    },
    /// When a rate limit the run hit resets, as the agent named it.
    LimitResets(Reset),
    /// A line that is not JSON of the agent's format.
    Raw {
        /// The line without its line ending.
        text: String,
    },
}

/// One tool call and what it touches, as far as its input tells.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolUse {
    /// The agent's id for the call, shared with its [`Item::ToolResult`].
    pub id: String,
    /// Tool name in Claude's words: "Write", "Edit", "Bash", "apply_patch", …
    pub tool: String,
    /// One line for lists: "Write notes/a.md", "Bash: git status", …
    pub summary: String,
    /// The tool input as the agent sent it (codex commands unwrapped).
    pub input: Value,
    /// Files the call reads, relative to the agent's cwd when inside it.
    pub paths_read: Vec<String>,
    /// Files the call writes or deletes, relative like `paths_read`.
    pub paths_written: Vec<String>,
    /// Shell commands the call runs.
    pub commands: Vec<String>,
    /// URLs the call fetches.
    pub urls: Vec<String>,
}

impl ToolUse {
    /// A tool use with nothing known about it beyond its name.
    pub fn new(id: &str, tool: &str, input: Value) -> ToolUse {
        ToolUse {
            id: id.to_string(),
            tool: tool.to_string(),
            summary: tool.to_string(),
            input,
            paths_read: Vec::new(),
            paths_written: Vec::new(),
            commands: Vec::new(),
            urls: Vec::new(),
        }
    }
}

/// Token counts of the latest request or run.
///
/// What a run spent is the sum of its requests' usages — each request
/// counted once, by the latest line naming it (`request`) — until a run
/// total (`total`) says it whole.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Usage {
    /// Prompt tokens; for Claude input + cache read + cache creation, since
    /// all three occupy the context.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
    /// The model's context window, when the stream says it.
    pub context_window: Option<u64>,
    /// The request (Claude's message id) this usage is of: lines naming
    /// the same request repeat or update its usage rather than add to it.
    pub request: Option<String>,
    /// Whether this is the run's total (Claude's result line), which
    /// replaces the sum of the requests seen so far.
    pub total: bool,
    /// Dollars, as the agent reported them for what this usage counts.
    pub cost_usd: Option<f64>,
}

/// The model an agent's command line asks for — `--model X`,
/// `--model=X`, `-m X`, or `-c model=X` / `--config model=X` (Codex's
/// config override, quotes allowed) — for pricing a stream that names
/// none (Codex's). The last one given wins, as in the agents.
pub fn model_in_argv(argv: &[String]) -> Option<String> {
    let mut model = None;
    let mut words = argv.iter();
    while let Some(w) = words.next() {
        let named = match w.as_str() {
            "--model" | "-m" => words.next().cloned(),
            "-c" | "--config" => words
                .next()
                .and_then(|kv| kv.strip_prefix("model="))
                .map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_string()),
            _ => w.strip_prefix("--model=").map(str::to_string),
        };
        if let Some(m) = named.filter(|m| !m.is_empty() && !m.starts_with('-')) {
            model = Some(m);
        }
    }
    model
}

/// Parses one line of an agent's stdout. Stateless, so the console can render any window of a log.
pub trait StreamFormat {
    /// The items one line says; empty for lines that carry nothing to show.
    fn parse_line(&self, line: &str) -> Vec<Item>;
}

/// Accumulates a whole run for the supervisor: final message, failure, last usage, all tool uses.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// The last thing the agent said: the final text, else its last message.
    pub final_message: Option<String>,
    /// The first classified failure; later ones are usually its echoes.
    pub failure: Option<(FailureClass, String)>,
    /// The last usage reported.
    pub usage: Option<Usage>,
    /// Every tool use, once per id, in stream order.
    pub tools: Vec<ToolUse>,
    /// Every warning, in stream order.
    pub warnings: Vec<String>,
    /// The agent's session id.
    pub session: Option<String>,
    /// When the rate limit the run hit resets, the last time it was named.
    pub resets: Option<Reset>,
}

/// When a rate limit resets, as an agent names it: at a time, or after a
/// while from when it said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// At this Unix time (seconds).
    At(i64),
    /// This many seconds after the line was read.
    In(u64),
}

/// The reset time an agent's rate-limit text names, if it names one:
/// Claude Code's `Claude AI usage limit reached|1764583200` (Unix seconds
/// after the bar), an RFC 3339 time after "reset(s) at", or Codex's "try
/// again in 2 hours 5 minutes" (`1h 5m`, seconds to days).
pub fn reset_of(text: &str) -> Option<Reset> {
    if let Some((_, after)) = text.split_once("limit reached|") {
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(at) = digits.parse::<i64>() {
            return Some(Reset::At(at));
        }
    }
    let lower = text.to_lowercase();
    for key in ["resets at ", "reset at "] {
        if let Some(i) = lower.find(key) {
            let word = text[i + key.len()..]
                .split(|c: char| c.is_whitespace() || c == ')' || c == ',')
                .next()
                .unwrap_or("")
                .trim_end_matches('.');
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(word) {
                return Some(Reset::At(t.timestamp()));
            }
        }
    }
    let i = lower.find("try again in ")?;
    let rest = &lower[i + "try again in ".len()..];
    let words: Vec<&str> = rest
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty() && *w != "and")
        .collect();
    let mut secs = 0u64;
    let mut found = false;
    let mut k = 0;
    while k < words.len() {
        // "2 hours" or "2h"
        let (num, unit, used) = match words[k].find(|c: char| !c.is_ascii_digit()) {
            Some(0) => break,
            Some(at) => (&words[k][..at], &words[k][at..], 1),
            None => (words[k], words.get(k + 1).copied().unwrap_or(""), 2),
        };
        let Ok(n) = num.parse::<u64>() else { break };
        let unit = unit.trim_end_matches('.');
        let per = match unit {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => break,
        };
        secs = secs.saturating_add(n.saturating_mul(per));
        found = true;
        k += used;
    }
    found.then_some(Reset::In(secs))
}

impl Summary {
    /// Folds the items of one or more lines into the summary.
    pub fn feed(&mut self, items: &[Item]) {
        for item in items {
            match item {
                Item::Session { id, .. } => self.session = Some(id.clone()),
                // The last message stands in for the final text: Codex never
                // repeats it, and a run cut short has no final line at all.
                Item::Text { text } if !text.trim().is_empty() => {
                    self.final_message = Some(text.clone());
                }
                Item::Final { text, .. } if !text.trim().is_empty() => {
                    self.final_message = Some(text.clone());
                }
                Item::ToolUse(tool) => {
                    // A log window fed twice must not double the actions.
                    match self
                        .tools
                        .iter_mut()
                        .find(|t| !tool.id.is_empty() && t.id == tool.id)
                    {
                        Some(known) => *known = tool.clone(),
                        None => self.tools.push(tool.clone()),
                    }
                }
                Item::Usage(usage) => self.usage = Some(usage.clone()),
                Item::LimitResets(r) => self.resets = Some(*r),
                Item::Warning { message } | Item::Refused { message, .. } => {
                    self.warnings.push(message.clone())
                }
                // Claude reports an API failure twice (synthetic message,
                // then result); the first names the cause.
                Item::Failure { class, message } => {
                    if *class == FailureClass::RateLimited
                        && let Some(r) = reset_of(message)
                    {
                        self.resets = Some(r);
                    }
                    if self.failure.is_none() {
                        self.failure = Some((*class, message.clone()));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Classifies an error text per INTEGRATIONS.md "Error texts worth classifying" (context overflow, rate limited, overloaded, auth) plus HTTP status when known.
pub fn classify_error(message: &str, status: Option<u16>) -> Option<FailureClass> {
    // A status is the API's own verdict; text is a fallback for agents
    // (Codex) that only pass the message on.
    match status {
        Some(429) => return Some(FailureClass::RateLimited),
        Some(529) => return Some(FailureClass::Overloaded),
        Some(401) => return Some(FailureClass::Auth),
        _ => {}
    }
    let text = message.to_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    if any(&[
        "prompt is too long",
        "input length and max_tokens exceed context limit",
        "context_length_exceeded",
        "maximum context length",
        "ran out of room in the model's context window",
        "ran out of room in the model\u{2019}s context window",
    ]) {
        Some(FailureClass::ContextOverflow)
    } else if any(&[
        "rate_limit_error",
        "usage limit",
        "too many requests",
        "rate limit",
    ]) || has_status(&text, "429")
    {
        Some(FailureClass::RateLimited)
    } else if any(&["overloaded"]) || has_status(&text, "529") {
        Some(FailureClass::Overloaded)
    } else if any(&[
        "authentication_error",
        "authentication_failed",
        "invalid api key",
        "invalid x-api-key",
    ]) || has_status(&text, "401")
    {
        Some(FailureClass::Auth)
    } else {
        None
    }
}

/// The size of an overflowing request and the limit it broke, as an
/// overflow message states them: `prompt is too long: 212417 tokens >
/// 200000 maximum`, `the request is ~210000 tokens (limit 200000)`, or
/// OpenAI's `maximum context length is 128000 tokens … resulted in 130000
/// tokens`. `None` when the message carries no such pair.
pub fn overflow_tokens(message: &str) -> Option<(u64, u64)> {
    let text = message.to_lowercase();
    let mut numbers = Vec::new();
    let mut digits = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c == ',' && !digits.is_empty() && chars.peek().is_some_and(char::is_ascii_digit) {
            // 212,417
        } else if !digits.is_empty() {
            numbers.push(std::mem::take(&mut digits));
        }
    }
    if !digits.is_empty() {
        numbers.push(digits);
    }
    // Token counts are large: small numbers are status codes and the like.
    let big: Vec<u64> = numbers
        .iter()
        .filter_map(|n| n.parse().ok())
        .filter(|&n| n >= 1000)
        .collect();
    let [a, b, ..] = big[..] else {
        return None;
    };
    let (request, limit) = if text.contains("maximum context length is") {
        (b, a)
    } else {
        (a, b)
    };
    (request > limit).then_some((request, limit))
}

/// True when `code` stands as a number of its own in `text`, so "429" is
/// found in "(429)" but not in "14290 tokens".
fn has_status(text: &str, code: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(code).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + code.len()).copied();
        !before.is_some_and(|b| b.is_ascii_digit()) && !after.is_some_and(|b| b.is_ascii_digit())
    })
}

/// Makes a path relative to the agent's working dir when it is inside it (tool inputs carry absolute paths); otherwise unchanged.
pub fn relative_to(path: &str, cwd: Option<&str>) -> String {
    let Some(cwd) = cwd else {
        return path.to_string();
    };
    if !path.starts_with('/') || !cwd.starts_with('/') {
        return path.to_string();
    }
    // Lexical only: "/w/../x" must not pass as inside "/w", but resolving
    // symlinks would touch the disk and the path may not exist yet.
    let (path_parts, cwd_parts) = (normal_parts(path), normal_parts(cwd));
    match path_parts.strip_prefix(cwd_parts.as_slice()) {
        Some([]) => ".".to_string(),
        Some(rest) => rest.join("/"),
        None => path.to_string(),
    }
}

/// The components of an absolute path with `.`, `..` and empty parts resolved.
fn normal_parts(path: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts
}

/// Shortens `text` to `max` characters followed by "… (N more chars)".
pub fn shorten(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!(
        "{kept}… ({})",
        crate::words::count(total - max, "more char")
    )
}

/// All of `text` on one line, whitespace runs collapsed, cut to a summary's
/// length; for warnings whose every line matters.
pub(crate) fn one_line(text: &str) -> String {
    cut(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
        SUMMARY_CHARS * 2,
    )
}

/// The string at `key` of a JSON object, if it is one.
pub(crate) fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// The non-negative integer at `key`, or 0; usage fields may be absent or null.
pub(crate) fn count_at(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// A stream line, split into what the adapters dispatch on.
pub(crate) enum Line {
    /// Nothing but whitespace.
    Blank,
    /// Not a JSON object with a string `type`.
    Raw(String),
    /// A JSON object and its `type`.
    Typed(String, Value),
}

/// Splits one line: blank, raw text, or typed JSON.
pub(crate) fn split_line(line: &str) -> Line {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() {
        return Line::Blank;
    }
    match serde_json::from_str::<Value>(line) {
        Ok(value) => match str_at(&value, "type") {
            Some(kind) => Line::Typed(kind.to_string(), value),
            None => Line::Raw(line.to_string()),
        },
        Err(_) => Line::Raw(line.to_string()),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the adapters' tests: the captured samples and checks that
    //! hold for every stream.

    use std::collections::HashSet;

    use serde_json::Value;

    use super::{Item, StreamFormat, Summary};

    /// Where the captured agent streams live: copies of the real Claude Code
    /// and Codex streams the harness recorded, kept in the repository so a
    /// clone tests on its own.
    pub const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/streams");

    /// Every sample whose file name starts with `prefix` and ends in
    /// `.jsonl`, as (name, text), sorted by name. Panics when there are
    /// none, so a moved directory fails the tests instead of passing them.
    pub fn samples(prefix: &str) -> Vec<(String, String)> {
        let dir = std::fs::read_dir(SAMPLES).unwrap_or_else(|e| panic!("{SAMPLES}: {e}"));
        let mut found: Vec<(String, String)> = dir
            .map(|entry| entry.expect("directory entry").path())
            .filter_map(|path| {
                let name = path.file_name()?.to_str()?.to_string();
                (name.starts_with(prefix) && name.ends_with(".jsonl")).then_some((name, path))
            })
            .map(|(name, path)| {
                let text = std::fs::read_to_string(&path).expect("sample is UTF-8");
                (name, text)
            })
            .collect();
        found.sort();
        assert!(!found.is_empty(), "no {prefix}*.jsonl in {SAMPLES}");
        found
    }

    /// The items of every line of `text`, in order.
    pub fn parse_all(format: &dyn StreamFormat, text: &str) -> Vec<Item> {
        text.lines().flat_map(|l| format.parse_line(l)).collect()
    }

    /// The summary of `items`.
    pub fn summarize(items: &[Item]) -> Summary {
        let mut summary = Summary::default();
        summary.feed(items);
        summary
    }

    /// Checks what every well-formed stream must give: no raw lines, one
    /// final item, a session, each tool use once and answered once, after it.
    pub fn check_stream_shape(name: &str, items: &[Item]) {
        assert!(
            !items.iter().any(|i| matches!(i, Item::Raw { .. })),
            "{name}: raw line in a well-formed sample"
        );
        let finals = items
            .iter()
            .filter(|i| matches!(i, Item::Final { .. }))
            .count();
        assert_eq!(finals, 1, "{name}: final items");
        assert!(
            items.iter().any(|i| matches!(i, Item::Session { .. })),
            "{name}: no session"
        );
        let mut used = HashSet::new();
        let mut answered = HashSet::new();
        for item in items {
            match item {
                Item::ToolUse(t) => assert!(used.insert(t.id.clone()), "{name}: {} twice", t.id),
                Item::ToolResult { id, .. } => {
                    assert!(used.contains(id), "{name}: result for unknown {id}");
                    assert!(answered.insert(id.clone()), "{name}: {id} answered twice");
                }
                _ => {}
            }
        }
        assert_eq!(used, answered, "{name}: unanswered tool uses");
    }

    /// The tool uses in `items`.
    pub fn tools(items: &[Item]) -> Vec<&super::ToolUse> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::ToolUse(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    /// The messages of the warnings in `items`.
    pub fn warnings(items: &[Item]) -> Vec<&str> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Warning { message } => Some(message.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Parses cut-off copies of `line` and copies with each field replaced
    /// by a wrong type or removed: none may panic, and a copy that is still
    /// typed JSON must not come out as raw text.
    pub fn robustness(format: &dyn StreamFormat, name: &str, line: &str) {
        let step = (line.len() / 40).max(1);
        for end in (0..line.len())
            .step_by(step)
            .filter(|e| line.is_char_boundary(*e))
        {
            format.parse_line(&line[..end]);
        }
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut paths = Vec::new();
        collect_paths(&value, &mut Vec::new(), &mut paths, 0);
        for path in paths {
            for replacement in [
                None,
                Some(Value::Null),
                Some(Value::from(-1)),
                Some(Value::from("x")),
                Some(serde_json::json!([{}])),
            ] {
                let mut copy = value.clone();
                replace(&mut copy, &path, replacement);
                let items = format.parse_line(&copy.to_string());
                // Still typed JSON: a missing or odd field is never raw text.
                if copy.get("type").is_some_and(Value::is_string) {
                    let raw = items.iter().any(|i| matches!(i, Item::Raw { .. }));
                    assert!(!raw, "{name}: {path:?} made the line raw");
                }
            }
        }
    }

    /// Paths to object fields up to a depth, skipping long lists (the init
    /// line's tool and command names) that no parser reads.
    fn collect_paths(
        value: &Value,
        at: &mut Vec<String>,
        out: &mut Vec<Vec<String>>,
        depth: usize,
    ) {
        if depth > 5 {
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    at.push(key.clone());
                    out.push(at.clone());
                    collect_paths(child, at, out, depth + 1);
                    at.pop();
                }
            }
            Value::Array(list) if list.len() <= 4 => {
                for (i, child) in list.iter().enumerate() {
                    at.push(i.to_string());
                    collect_paths(child, at, out, depth + 1);
                    at.pop();
                }
            }
            _ => {}
        }
    }

    /// Replaces (or with `None` removes) the field at `path`.
    fn replace(value: &mut Value, path: &[String], with: Option<Value>) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut node = value;
        for key in parents {
            node = match node {
                Value::Object(map) => map.get_mut(key).expect("path exists"),
                Value::Array(list) => &mut list[key.parse::<usize>().expect("index")],
                _ => return,
            };
        }
        if let Value::Object(map) = node {
            match with {
                Some(v) => {
                    map.insert(last.clone(), v);
                }
                None => {
                    map.remove(last);
                }
            }
        }
    }

    /// The failures in `items`.
    pub fn failures(items: &[Item]) -> Vec<crate::model::FailureClass> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Failure { class, .. } => Some(*class),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_a_command_line_asks_for() {
        let argv = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            model_in_argv(&argv("codex exec --json -m gpt-5 {prompt}")).as_deref(),
            Some("gpt-5")
        );
        assert_eq!(
            model_in_argv(&argv("claude -p {prompt} --model=opus")).as_deref(),
            Some("opus")
        );
        assert_eq!(
            model_in_argv(&argv("codex exec -c model=\"o4\" x")).as_deref(),
            Some("o4")
        );
        assert_eq!(
            model_in_argv(&argv("codex exec --model a --model b")).as_deref(),
            Some("b")
        );
        assert_eq!(model_in_argv(&argv("codex exec -c sandbox=none -m")), None);
        assert_eq!(model_in_argv(&argv("claude -p hi")), None);
    }

    #[test]
    fn classifies_the_documented_error_texts() {
        use FailureClass::*;
        let cases = [
            (
                "prompt is too long: 210000 tokens > 200000 maximum",
                ContextOverflow,
            ),
            (
                "Prompt is too long · the request is ~210000 tokens",
                ContextOverflow,
            ),
            (
                "input length and max_tokens exceed context limit: 1 + 2 > 3",
                ContextOverflow,
            ),
            ("error code: context_length_exceeded", ContextOverflow),
            (
                "This model's maximum context length is 128000 tokens",
                ContextOverflow,
            ),
            (
                "Codex ran out of room in the model's context window. Start a new thread",
                ContextOverflow,
            ),
            (
                "exceeded retry limit, last status: 429 Too Many Requests",
                RateLimited,
            ),
            ("You've hit your usage limit. Upgrade to Pro", RateLimited),
            ("{\"type\":\"rate_limit_error\"}", RateLimited),
            (
                "API Error: Request rejected (429) · per-minute limit",
                RateLimited,
            ),
            ("API Error: Repeated 529 Overloaded errors.", Overloaded),
            ("overloaded_error", Overloaded),
            ("authentication_error: invalid x-api-key", Auth),
            ("authentication_failed", Auth),
            ("API Error: 401 Unauthorized", Auth),
        ];
        for (text, class) in cases {
            assert_eq!(classify_error(text, None), Some(class), "{text}");
        }
        for text in [
            "stream disconnected before completion",
            "the request is ~14290 tokens",
            "",
        ] {
            assert_eq!(classify_error(text, None), None, "{text}");
        }
    }

    #[test]
    fn status_wins_over_text() {
        assert_eq!(
            classify_error("whatever", Some(429)),
            Some(FailureClass::RateLimited)
        );
        assert_eq!(
            classify_error("whatever", Some(529)),
            Some(FailureClass::Overloaded)
        );
        assert_eq!(
            classify_error("whatever", Some(401)),
            Some(FailureClass::Auth)
        );
        assert_eq!(
            classify_error("Overloaded", Some(429)),
            Some(FailureClass::RateLimited)
        );
        // 400 says "bad request", nothing more: the text decides.
        assert_eq!(
            classify_error("prompt is too long", Some(400)),
            Some(FailureClass::ContextOverflow)
        );
        assert_eq!(classify_error("bad request", Some(400)), None);
    }

    #[test]
    fn paths_become_relative_only_inside_the_cwd() {
        let cwd = Some("/home/dev/proj");
        assert_eq!(relative_to("/home/dev/proj/notes/a.md", cwd), "notes/a.md");
        assert_eq!(
            relative_to("/home/dev/proj/notes/a.md", Some("/home/dev/proj/")),
            "notes/a.md"
        );
        assert_eq!(
            relative_to("/home/dev/proj//./notes/a.md", cwd),
            "notes/a.md"
        );
        assert_eq!(relative_to("/home/dev/proj", cwd), ".");
        assert_eq!(
            relative_to("/home/dev/proj2/a.md", cwd),
            "/home/dev/proj2/a.md"
        );
        assert_eq!(
            relative_to("/home/dev/proj/../x/a.md", cwd),
            "/home/dev/proj/../x/a.md"
        );
        assert_eq!(relative_to("/etc/passwd", cwd), "/etc/passwd");
        assert_eq!(relative_to("notes/a.md", cwd), "notes/a.md");
        assert_eq!(
            relative_to("/home/dev/proj/a.md", None),
            "/home/dev/proj/a.md"
        );
        assert_eq!(relative_to("/etc/passwd", Some("/")), "etc/passwd");
    }

    #[test]
    fn shortening_counts_characters_not_bytes() {
        assert_eq!(shorten("short", 400), "short");
        let long = "é".repeat(450);
        let short = shorten(&long, 400);
        assert!(short.starts_with(&"é".repeat(400)));
        assert!(short.ends_with("… (50 more chars)"), "{short}");
        assert_eq!(first_line("\n  git status\n  git diff\n"), "git status …");
        assert_eq!(first_line(&"x".repeat(500)).chars().count(), SUMMARY_CHARS);
        assert_eq!(
            one_line("Stop hook feedback:\nblocked  here"),
            "Stop hook feedback: blocked here"
        );
    }

    #[test]
    fn lines_split_into_blank_raw_and_typed() {
        assert!(matches!(split_line("  \r\n"), Line::Blank));
        assert!(matches!(split_line("Error: no key"), Line::Raw(t) if t == "Error: no key"));
        assert!(matches!(split_line("[1,2]\r\n"), Line::Raw(t) if t == "[1,2]"));
        assert!(matches!(split_line("{\"type\":3}"), Line::Raw(_)));
        assert!(matches!(split_line("{\"a\":1,\"type\":\"x\"}"), Line::Typed(k, _) if k == "x"));
    }

    #[test]
    fn summary_keeps_first_failure_last_usage_and_one_tool_per_id() {
        let usage = |n| Usage {
            input_tokens: n,
            output_tokens: 1,
            ..Usage::default()
        };
        let write = ToolUse::new("t1", "Write", Value::Null);
        let items = vec![
            Item::Session {
                id: "s1".into(),
                model: None,
                cwd: None,
            },
            Item::Text {
                text: "working".into(),
            },
            Item::ToolUse(write.clone()),
            Item::Usage(usage(10)),
            Item::Failure {
                class: FailureClass::ContextOverflow,
                message: "first".into(),
            },
            Item::Warning {
                message: "careful".into(),
            },
            Item::Usage(usage(20)),
            Item::Failure {
                class: FailureClass::Degraded,
                message: "echo".into(),
            },
        ];
        let mut summary = Summary::default();
        summary.feed(&items);
        summary.feed(&[Item::ToolUse(write)]);
        assert_eq!(summary.session.as_deref(), Some("s1"));
        assert_eq!(
            summary.failure,
            Some((FailureClass::ContextOverflow, "first".into()))
        );
        assert_eq!(summary.usage, Some(usage(20)));
        assert_eq!(summary.tools.len(), 1);
        assert_eq!(summary.warnings, ["careful"]);
        // No final line yet: the last message stands in for it.
        assert_eq!(summary.final_message.as_deref(), Some("working"));
        summary.feed(&[Item::Final {
            text: String::new(),
            is_error: false,
        }]);
        assert_eq!(summary.final_message.as_deref(), Some("working"));
        summary.feed(&[Item::Final {
            text: "all done".into(),
            is_error: false,
        }]);
        assert_eq!(summary.final_message.as_deref(), Some("all done"));
    }

    #[test]
    fn an_overflow_message_names_the_request_and_the_limit() {
        use super::overflow_tokens;
        assert_eq!(
            overflow_tokens("prompt is too long: 212417 tokens > 200000 maximum"),
            Some((212_417, 200_000))
        );
        assert_eq!(
            overflow_tokens(
                "Prompt is too long · the request is ~210000 tokens (limit 200000) but this conversation is only ~2645 tokens"
            ),
            Some((210_000, 200_000))
        );
        assert_eq!(
            overflow_tokens(
                "This model's maximum context length is 128,000 tokens. However, your messages resulted in 130,512 tokens."
            ),
            Some((130_512, 128_000))
        );
        assert_eq!(
            overflow_tokens("Codex ran out of room in the model's context window."),
            None
        );
        assert_eq!(overflow_tokens("error 400: 1000 of 2000 used"), None);
    }

    #[test]
    fn a_rate_limit_says_when_it_resets_in_the_agents_own_words() {
        use super::{Reset, reset_of};
        assert_eq!(
            reset_of("Claude AI usage limit reached|1764583200"),
            Some(Reset::At(1_764_583_200))
        );
        assert_eq!(
            reset_of("limit hit; resets at 2026-12-01T10:00:00Z."),
            Some(Reset::At(1_796_119_200))
        );
        assert_eq!(
            reset_of("You've hit your usage limit. Try again in 2 hours 5 minutes."),
            Some(Reset::In(7_500))
        );
        assert_eq!(reset_of("try again in 1h 30m"), Some(Reset::In(5_400)));
        assert_eq!(reset_of("try again in 45 seconds"), Some(Reset::In(45)));
        assert_eq!(reset_of("429 Too Many Requests"), None);
        assert_eq!(reset_of("try again in a while"), None);
    }
}
