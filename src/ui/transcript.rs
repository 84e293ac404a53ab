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
}

/// A rendered window: its lines and the last token usage reported in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub lines: Vec<OutLine>,
    pub usage: Option<Usage>,
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
    let mut all = sanitize::sanitize_text(text, MAX_WIDTH);
    let extra = all.len().saturating_sub(limit);
    all.truncate(limit);
    let mut out: Vec<OutLine> = all
        .into_iter()
        .map(|text| OutLine { role, prefix, text })
        .collect();
    if extra > 0 {
        out.push(OutLine {
            role: "text.muted",
            prefix,
            text: sanitize::sanitize_line(
                &format!("… {}", crate::words::count(extra, "more line")),
                0,
            ),
        });
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
    let mut last_failure = None;
    for raw in text.lines() {
        for item in parser.parse_line(raw) {
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
                    total = Some(*u);
                } else {
                    request = Some(*u);
                }
            }
            out.lines.extend(item_lines(item, cwd));
        }
    }
    let window = total.and_then(|t| t.context_window);
    out.usage = request.or(total).map(|u| Usage {
        context_window: window.or(u.context_window),
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
}
