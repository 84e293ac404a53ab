//! Turns a window of an agent's output log into display lines: a readable
//! transcript where the agent's format is known (text, tool calls with
//! their inputs, shortened results), raw text otherwise. Everything passes
//! through `sanitize` on the way.

use crate::agents::adapter::{Item, StreamFormat, Usage, relative_to};
use crate::agents::{claude::Claude, codex::Codex};
use crate::config::AgentFormat;
use crate::sanitize::{self, SafeLine};

/// How a log is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Raw,
    Claude,
    Codex,
}

impl From<AgentFormat> for Format {
    fn from(f: AgentFormat) -> Self {
        match f {
            AgentFormat::Claude => Format::Claude,
            AgentFormat::Codex => Format::Codex,
            AgentFormat::Generic => Format::Raw,
        }
    }
}

/// One display line of output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutLine {
    /// The theme role the line is drawn in.
    pub role: &'static str,
    /// A marker before the text ("▶ " for a tool call …).
    pub prefix: &'static str,
    pub text: SafeLine,
    /// Whether the line belongs to the folded or the unfolded view of a
    /// long tool input or result.
    pub fold: Fold,
}

/// Long tool inputs and results are folded to their first lines and a
/// `… N more lines` marker; unfolded (`e`), they show in full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fold {
    /// Shown either way.
    #[default]
    Always,
    /// Shown only unfolded: the lines past the first few.
    Unfolded,
    /// Shown only folded: the `… N more lines` marker.
    Folded,
}

impl Fold {
    /// Whether the line shows when tool inputs are (`expand`) or are not
    /// shown in full.
    pub fn shows(self, expand: bool) -> bool {
        match self {
            Fold::Always => true,
            Fold::Unfolded => expand,
            Fold::Folded => !expand,
        }
    }
}

/// A rendered window: its lines and the last token usage reported in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub lines: Vec<OutLine>,
    pub usage: Option<Usage>,
    /// The agent's last request overflowed its context window.
    pub overflowed: bool,
    /// Hidden characters found in the window, for the turn's warning.
    pub findings: sanitize::Findings,
}

impl Rendered {
    fn with_findings(mut self) -> Rendered {
        for l in &self.lines {
            self.findings.merge(l.text.findings);
        }
        self
    }
}

/// Longest line kept; the rest is cut with a visible marker.
const MAX_WIDTH: usize = 2000;
/// How many lines of a tool's input or result are shown.
const DETAIL_LINES: usize = 4;

fn lines(role: &'static str, prefix: &'static str, text: &str, limit: usize) -> Vec<OutLine> {
    let all = sanitize::sanitize_text(text, MAX_WIDTH);
    let extra = all.len().saturating_sub(limit);
    let mut out: Vec<OutLine> = all
        .into_iter()
        .enumerate()
        .map(|(i, text)| OutLine {
            role,
            prefix,
            text,
            fold: if i < limit {
                Fold::Always
            } else {
                Fold::Unfolded
            },
        })
        .collect();
    if extra > 0 {
        out.insert(
            limit,
            OutLine {
                role: "text.muted",
                prefix,
                text: sanitize::sanitize_line(
                    &format!(
                        "… {} (e shows them)",
                        crate::words::count(extra, "more line")
                    ),
                    0,
                ),
                fold: Fold::Folded,
            },
        );
    }
    out
}

/// A tool's input, one `key: value` per line, with paths inside the
/// agent's working directory shown relative to it.
fn input_text(input: &serde_json::Value, cwd: Option<&str>) -> String {
    match input {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) if s.starts_with('/') => {
                    format!("{k}: {}", relative_to(s, cwd))
                }
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// Renders raw log bytes in `format`.
/// `cwd` is the agent's working directory: paths inside it are shown
/// relative to it.
pub fn render(bytes: &[u8], format: Format, cwd: Option<&str>) -> Rendered {
    let parser: Option<Box<dyn StreamFormat>> = match format {
        Format::Raw => None,
        Format::Claude => Some(Box::new(Claude {
            cwd: cwd.map(str::to_string),
        })),
        Format::Codex => Some(Box::new(Codex {
            cwd: cwd.map(str::to_string),
        })),
    };
    let Some(parser) = parser else {
        let lines = sanitize::sanitize_bytes(bytes, MAX_WIDTH)
            .into_iter()
            .map(|text| OutLine {
                role: "text",
                prefix: "",
                text,
                fold: Fold::Always,
            })
            .collect();
        return Rendered {
            lines,
            ..Rendered::default()
        }
        .with_findings();
    };
    let text = String::from_utf8_lossy(bytes);
    let mut out = Rendered::default();
    // Per-request usage says how full the context is; a run total (which
    // carries the window) does not, but names the window.
    let (mut request, mut total): (Option<Usage>, Option<Usage>) = (None, None);
    // A request that overflowed never reports usage, but its failure says
    // how big it was and what the limit is: that is the context's state.
    let mut overflow_window = None;
    let mut last_failure = None;
    for raw in text.lines() {
        for item in parser.parse_line(raw) {
            if let Item::Failure {
                class: crate::model::FailureClass::ContextOverflow,
                message,
            } = &item
                && let Some((tokens, limit)) = crate::agents::adapter::overflow_tokens(message)
            {
                request = Some(Usage {
                    input_tokens: tokens,
                    output_tokens: 0,
                    context_window: Some(limit),
                    ..Usage::default()
                });
                overflow_window = Some(limit);
            }
            if let Item::Failure {
                class: crate::model::FailureClass::ContextOverflow,
                ..
            } = &item
            {
                out.overflowed = true;
            }
            // A failure is often reported twice (the API message, then the
            // result): say it once.
            if let Item::Failure { class, message } = &item {
                let key = (*class, message.clone());
                if last_failure.as_ref() == Some(&key) {
                    continue;
                }
                last_failure = Some(key);
            }
            if let Item::Usage(u) = &item {
                if u.context_window.is_some() {
                    total = Some(u.clone());
                } else {
                    request = Some(u.clone());
                    overflow_window = None;
                    out.overflowed = false;
                }
            }
            out.lines.extend(item_lines(item, cwd));
        }
    }
    let window = total.as_ref().and_then(|t| t.context_window);
    out.usage = request.or(total).map(|u| Usage {
        context_window: overflow_window.or(window).or(u.context_window),
        ..u
    });
    out.with_findings()
}

fn item_lines(item: Item, cwd: Option<&str>) -> Vec<OutLine> {
    match item {
        Item::Session { id, model, .. } => lines(
            "text.muted",
            "· ",
            &format!(
                "session {id}{}",
                model.map(|m| format!(" · {m}")).unwrap_or_default()
            ),
            1,
        ),
        Item::Text { text } => lines("text", "", &text, usize::MAX),
        Item::Thinking { text } => lines("text.muted", "… ", &text, DETAIL_LINES),
        Item::ToolUse(t) => {
            let mut v = lines("info", "▶ ", &t.summary, 1);
            v.extend(lines(
                "text.muted",
                "  │ ",
                &input_text(&t.input, cwd),
                DETAIL_LINES,
            ));
            v
        }
        Item::ToolResult { ok, text, .. } => lines(
            if ok { "text.muted" } else { "error" },
            "  └ ",
            if text.is_empty() {
                "(no output)"
            } else {
                &text
            },
            DETAIL_LINES,
        ),
        // Usage is shown as the context gauge, not as a line.
        Item::Usage(_) => Vec::new(),
        Item::Warning { message } => lines("warning", "! ", &message, DETAIL_LINES),
        Item::Refused { message, .. } => lines(
            "error",
            "✗ ",
            &format!("refused by the agent: {message}"),
            DETAIL_LINES,
        ),
        Item::Final { text, is_error } => {
            let role = if is_error { "error" } else { "text.title" };
            let body = if text.trim().is_empty() {
                "(empty final message)".to_string()
            } else {
                text
            };
            lines(role, "■ ", &body, usize::MAX)
        }
        Item::Failure { class, message } => lines(
            "failure",
            "✗ ",
            &format!("{}: {message}", class.shown_as()),
            DETAIL_LINES,
        ),
        Item::LimitResets(r) => lines(
            "text.muted",
            "· ",
            &match r {
                crate::agents::adapter::Reset::At(secs) => {
                    match chrono::DateTime::from_timestamp(secs, 0) {
                        Some(t) => format!(
                            "the rate limit resets at {} UTC",
                            t.format("%Y-%m-%d %H:%M")
                        ),
                        None => format!("the rate limit resets at unix time {secs}"),
                    }
                }
                crate::agents::adapter::Reset::In(secs) => format!(
                    "the rate limit resets in {}",
                    humantime::format_duration(std::time::Duration::from_secs(secs))
                ),
            },
            1,
        ),
        Item::Raw { text } => lines("text", "", &text, usize::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_refusal_reads_as_one_in_the_output() {
        let line = br#"{"type":"system","subtype":"permission_denied","tool_name":"Write","tool_use_id":"toolu_1","message":"Claude requested permissions to write to /w/notes/a.md, but you haven't granted it yet."}
"#;
        let rendered = render(line, Format::Claude, Some("/w"));
        let text: Vec<String> = rendered.lines.iter().map(|l| l.text.plain()).collect();
        assert!(
            text.iter().any(|l| l.contains(
                "refused by the agent: permission denied: Write: Claude requested permissions"
            )),
            "{text:?}"
        );
        assert!(rendered.lines.iter().any(|l| l.role == "error"));
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/streams/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn the_gauge_shows_the_request_that_overflowed() {
        // A real overflow: the request is stated in the failure only.
        let r = render(
            &fixture("claude_stream_overflow_400.jsonl"),
            Format::Claude,
            None,
        );
        assert!(r.overflowed);
        let u = r.usage.expect("the overflowing request is the usage");
        assert_eq!((u.input_tokens, u.context_window), (210_000, Some(200_000)));

        // A request that fit, then one that overflowed: the overflow wins.
        let mut log = fixture("claude_stream.jsonl");
        log.extend_from_slice(&fixture("claude_stream_overflow_400.jsonl"));
        let r = render(&log, Format::Claude, None);
        assert!(r.overflowed);
        assert_eq!(r.usage.map(|u| u.input_tokens), Some(210_000));

        // Codex names no figures: overflowed, with no number made up.
        let r = render(
            &fixture("codex_exec_overflow_400.jsonl"),
            Format::Codex,
            None,
        );
        assert!(r.overflowed);
        assert!(r.usage.is_none_or(|u| u.input_tokens < 200_000));

        // A run that did not overflow is not marked.
        let r = render(&fixture("claude_stream.jsonl"), Format::Claude, None);
        assert!(!r.overflowed);
    }
}
