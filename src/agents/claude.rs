//! Claude Code's headless stream: `claude -p … --output-format stream-json
//! --verbose`, one JSON object per line (INTEGRATIONS.md "Headless stream").
//!
//! Facts the parser leans on, all seen in `harness/samples/`:
//! - each assistant line carries one content block; blocks of one message
//!   repeat the message's usage, which is per request, not cumulative;
//! - an API failure arrives as a synthetic assistant message
//!   (`model: "<synthetic>"`, `is_api_error_message: true`) and then as a
//!   result with `is_error: true`, possibly with `subtype: "success"`;
//! - the result's `usage` is the run's total and its `modelUsage` names the
//!   context window, which the per-request usage never does.

use serde_json::Value;

use crate::agents::adapter::{
    Item, Line, RESULT_CHARS, StreamFormat, ToolUse, Usage, classify_error, count_at, first_line,
    one_line, relative_to, shorten, split_line, str_at,
};
use crate::model::FailureClass;

/// Parses Claude Code's stream-json output.
#[derive(Debug, Clone, Default)]
pub struct Claude {
    /// The agent's working directory, to make the absolute paths of tool inputs relative.
    pub cwd: Option<String>,
}

impl StreamFormat for Claude {
    fn parse_line(&self, line: &str) -> Vec<Item> {
        let (kind, value) = match split_line(line) {
            Line::Blank => return Vec::new(),
            Line::Raw(text) => return vec![Item::Raw { text }],
            Line::Typed(kind, value) => (kind, value),
        };
        match kind.as_str() {
            "system" => system(&value),
            "assistant" => self.assistant(&value),
            "user" => user(&value),
            "result" => self.result(&value),
            "rate_limit_event" => rate_limit(&value),
            // stream_event: partial messages repeat what the complete
            // assistant lines say, so they add nothing; unknown types are
            // skipped so a newer Claude Code does not break the console.
            _ => Vec::new(),
        }
    }
}

impl Claude {
    /// One assistant line: its content blocks, then a failure if the API
    /// failed, then the request's usage.
    fn assistant(&self, value: &Value) -> Vec<Item> {
        let Some(message) = value.get("message") else {
            return Vec::new();
        };
        let mut items = Vec::new();
        let mut texts = Vec::new();
        for block in blocks(message) {
            match str_at(block, "type") {
                Some("text") => {
                    if let Some(text) = str_at(block, "text").filter(|t| !t.is_empty()) {
                        texts.push(text);
                        items.push(Item::Text {
                            text: text.to_string(),
                        });
                    }
                }
                Some("thinking") => {
                    if let Some(text) = str_at(block, "thinking").filter(|t| !t.is_empty()) {
                        items.push(Item::Thinking {
                            text: text.to_string(),
                        });
                    }
                }
                Some("tool_use") => {
                    let (Some(id), Some(name)) = (str_at(block, "id"), str_at(block, "name"))
                    else {
                        continue;
                    };
                    let input = block.get("input").cloned().unwrap_or(Value::Null);
                    items.push(Item::ToolUse(describe_tool(
                        id,
                        name,
                        input,
                        self.cwd.as_deref(),
                    )));
                }
                _ => {}
            }
        }
        let synthetic = str_at(message, "model") == Some("<synthetic>");
        let api_error = value.get("is_api_error_message").and_then(Value::as_bool) == Some(true);
        if api_error || synthetic {
            let text = texts.join("\n");
            let status = status_at(value);
            let class = classify_error(&text, status)
                .or_else(|| str_at(value, "api_error_type").and_then(|t| classify_error(t, None)));
            // A synthetic message without the error flag is Claude Code
            // talking, not the API failing: only a recognised text counts.
            let class = if api_error {
                Some(class.unwrap_or(FailureClass::Degraded))
            } else {
                class
            };
            if let Some(class) = class {
                items.push(Item::Failure {
                    class,
                    message: shorten(&text, RESULT_CHARS),
                });
            }
        }
        // A synthetic message reached no model, and a subagent's message
        // measures the subagent's context: neither is the run's usage.
        let subagent = value
            .get("parent_tool_use_id")
            .is_some_and(|p| !p.is_null());
        if !synthetic
            && !subagent
            && let Some(usage) = message.get("usage").and_then(|u| usage(u, None))
        {
            items.push(Item::Usage(Usage {
                request: str_at(message, "id").map(str::to_string),
                ..usage
            }));
        }
        items
    }

    /// The result line: run usage, denials, failure, final text.
    fn result(&self, value: &Value) -> Vec<Item> {
        let mut items = Vec::new();
        if let Some(usage) = value
            .get("usage")
            .and_then(|u| usage(u, context_window(value)))
        {
            items.push(Item::Usage(Usage {
                total: true,
                cost_usd: value
                    .get("total_cost_usd")
                    .and_then(Value::as_f64)
                    .filter(|c| c.is_finite() && *c >= 0.0),
                ..usage
            }));
        }
        let denials = value.get("permission_denials").and_then(Value::as_array);
        for denial in denials.into_iter().flatten() {
            let name = str_at(denial, "tool_name").unwrap_or("a tool");
            let input = denial.get("tool_input").cloned().unwrap_or(Value::Null);
            let id = str_at(denial, "tool_use_id").unwrap_or("");
            let tool = describe_tool(id, name, input, self.cwd.as_deref());
            items.push(Item::Refused {
                id: id.to_string(),
                tool: name.to_string(),
                message: format!("permission denied: {}", tool.summary),
                summary: tool.summary,
            });
        }
        // Trust `is_error`, not `subtype`: API failures come as "success".
        let is_error = value
            .get("is_error")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let text = result_text(value);
        if is_error {
            items.push(Item::Failure {
                class: result_failure(value, &text),
                message: shorten(&text, RESULT_CHARS),
            });
        }
        items.push(Item::Final { text, is_error });
        items
    }
}

/// The content blocks of a message; a plain string content has none.
fn blocks(message: &Value) -> impl Iterator<Item = &Value> {
    message
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The HTTP status of an API error, when the line carries one.
fn status_at(value: &Value) -> Option<u16> {
    value
        .get("api_error_status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
}

/// A system line: session start, hook and permission notices.
fn system(value: &Value) -> Vec<Item> {
    let warning = |message: String| vec![Item::Warning { message }];
    match str_at(value, "subtype") {
        Some("init") => match str_at(value, "session_id") {
            Some(id) => vec![Item::Session {
                id: id.to_string(),
                model: str_at(value, "model").map(str::to_string),
                cwd: str_at(value, "cwd").map(str::to_string),
            }],
            None => Vec::new(),
        },
        Some("hook_response") => hook_response(value).map(warning).unwrap_or_default(),
        Some("permission_denied") => {
            let tool = str_at(value, "tool_name").unwrap_or("a tool");
            let why = str_at(value, "message").unwrap_or("no reason given");
            vec![Item::Refused {
                id: str_at(value, "tool_use_id").unwrap_or("").to_string(),
                tool: tool.to_string(),
                summary: tool.to_string(),
                message: format!("permission denied: {tool}: {}", one_line(why)),
            }]
        }
        Some("notification") => match str_at(value, "text") {
            Some(text) => warning(one_line(text)),
            None => Vec::new(),
        },
        Some("informational") if matches!(str_at(value, "level"), Some("warning" | "error")) => {
            match str_at(value, "content") {
                Some(text) => warning(one_line(text)),
                None => Vec::new(),
            }
        }
        // hook_started, status, compact boundaries…: progress, not news.
        _ => Vec::new(),
    }
}

/// What a hook's answer changed, if anything: a denial, a block, a failure.
fn hook_response(value: &Value) -> Option<String> {
    let name = str_at(value, "hook_name")
        .or(str_at(value, "hook_event"))
        .unwrap_or("?");
    let exit = value.get("exit_code").and_then(Value::as_i64);
    let stderr = one_line(str_at(value, "stderr").unwrap_or(""));
    if exit == Some(2) {
        return Some(format!("hook {name} blocked (exit 2): {stderr}"));
    }
    let output = str_at(value, "stdout")
        .or(str_at(value, "output"))
        .unwrap_or("");
    if let Ok(answer) = serde_json::from_str::<Value>(output.trim()) {
        let specific = answer.get("hookSpecificOutput");
        let decision = specific.and_then(|s| str_at(s, "permissionDecision"));
        let reason = specific
            .and_then(|s| str_at(s, "permissionDecisionReason"))
            .or(str_at(&answer, "reason"))
            .unwrap_or("no reason given");
        let behavior = specific
            .and_then(|s| s.get("decision"))
            .and_then(|d| str_at(d, "behavior"));
        match (decision, behavior, str_at(&answer, "decision")) {
            (Some("deny"), _, _) | (_, Some("deny"), _) => {
                return Some(format!("hook {name} denied: {}", one_line(reason)));
            }
            // In -p mode "ask" cannot reach a person, so Claude denies it.
            (Some("ask"), _, _) => return Some(format!("hook {name} asked: {}", one_line(reason))),
            (_, _, Some("block")) => {
                return Some(format!("hook {name} blocked: {}", one_line(reason)));
            }
            _ => {}
        }
    }
    let failed =
        exit.is_some_and(|e| e != 0) || str_at(value, "outcome").is_some_and(|o| o != "success");
    failed.then(|| {
        let exit = exit.map_or_else(|| "?".to_string(), |e| e.to_string());
        format!("hook {name} failed (exit {exit}): {stderr}")
    })
}

/// A user line: tool results, and the synthetic feedback Claude Code
/// injects (a Stop hook's reason), which the operator should see.
fn user(value: &Value) -> Vec<Item> {
    let Some(message) = value.get("message") else {
        return Vec::new();
    };
    let synthetic = value.get("isSynthetic").and_then(Value::as_bool) == Some(true);
    let mut items = Vec::new();
    for block in blocks(message) {
        match str_at(block, "type") {
            Some("tool_result") => {
                let Some(id) = str_at(block, "tool_use_id") else {
                    continue;
                };
                let failed = block.get("is_error").and_then(Value::as_bool) == Some(true);
                let text = block.get("content").map(content_text).unwrap_or_default();
                items.push(Item::ToolResult {
                    id: id.to_string(),
                    ok: !failed,
                    text: shorten(&text, RESULT_CHARS),
                });
            }
            Some("text") if synthetic => {
                if let Some(text) = str_at(block, "text") {
                    items.push(Item::Warning {
                        message: one_line(text),
                    });
                }
            }
            _ => {}
        }
    }
    items
}

/// A tool result's content: a string, or blocks of which the text counts.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|b| match str_at(b, "type") {
                Some("text") => str_at(b, "text").unwrap_or("").to_string(),
                Some(other) => format!("[{other}]"),
                None => String::new(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A rate limit notice: rejected fails the run; a warning is shown; a plain
/// "allowed" is routine and says nothing.
fn rate_limit(value: &Value) -> Vec<Item> {
    let info = value.get("rate_limit_info").unwrap_or(value);
    let status = str_at(info, "status").unwrap_or("");
    let mut what = str_at(info, "rateLimitType").unwrap_or("limit").to_string();
    if let Some(resets) = info.get("resetsAt").and_then(Value::as_u64) {
        what = format!("{what}, resets at unix time {resets}");
    }
    match status {
        "allowed" | "" => Vec::new(),
        "rejected" => {
            let mut items = vec![Item::Failure {
                class: FailureClass::RateLimited,
                message: format!("rate limit rejected ({what})"),
            }];
            if let Some(at) = info.get("resetsAt").and_then(Value::as_i64) {
                items.push(Item::LimitResets(crate::agents::adapter::Reset::At(at)));
            }
            items
        }
        "allowed_warning" => vec![Item::Warning {
            message: format!("rate limit nearly reached ({what})"),
        }],
        other => vec![Item::Warning {
            message: format!("rate limit {other} ({what})"),
        }],
    }
}

/// Usage of a request or run; none when it is absent or all zero, since an
/// all-zero usage (a failed request) would hide the last real one.
fn usage(value: &Value, context_window: Option<u64>) -> Option<Usage> {
    value.as_object()?;
    let input = count_at(value, "input_tokens")
        .saturating_add(count_at(value, "cache_read_input_tokens"))
        .saturating_add(count_at(value, "cache_creation_input_tokens"));
    let usage = Usage {
        input_tokens: input,
        output_tokens: count_at(value, "output_tokens"),
        context_window,
        ..Usage::default()
    };
    (usage.input_tokens > 0 || usage.output_tokens > 0).then_some(usage)
}

/// The context window of the run's main model (the one that read the most),
/// from the result's `modelUsage`.
fn context_window(result: &Value) -> Option<u64> {
    let models = result.get("modelUsage")?.as_object()?;
    let main = models.values().max_by_key(|m| count_at(m, "inputTokens"))?;
    main.get("contextWindow")?.as_u64()
}

/// The result's text: `result`, else the error list, else the subtype.
fn result_text(value: &Value) -> String {
    if let Some(text) = str_at(value, "result") {
        return text.to_string();
    }
    let errors: Vec<&str> = value
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !errors.is_empty() {
        return errors.join("\n");
    }
    str_at(value, "error")
        .or(str_at(value, "subtype"))
        .unwrap_or("")
        .to_string()
}

/// The class of an error result, by terminal reason, HTTP status, then
/// text; a tool called against its contract is a contract violation, and
/// anything else (max turns, execution errors) is `degraded`: the run ended
/// short of its goal without the API naming why.
fn result_failure(value: &Value, text: &str) -> FailureClass {
    if str_at(value, "terminal_reason") == Some("prompt_too_long") {
        return FailureClass::ContextOverflow;
    }
    classify_error(text, status_at(value))
        .or_else(|| str_at(value, "api_error_type").and_then(|t| classify_error(t, None)))
        .unwrap_or(if text.contains("InputValidationError") {
            // Claude Code's word for a tool called with missing or wrong
            // arguments (DESIGN §7: contract violation).
            FailureClass::ContractViolation
        } else {
            FailureClass::Degraded
        })
}

/// A tool call with what its input says it reads, writes, runs and fetches.
/// Inputs per INTEGRATIONS.md and the hook samples; paths are absolute there.
pub fn describe_tool(id: &str, name: &str, input: Value, cwd: Option<&str>) -> ToolUse {
    let mut tool = ToolUse::new(id, name, Value::Null);
    let path = |key: &str| str_at(&input, key).map(|p| relative_to(p, cwd));
    match name {
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => {
            if let Some(p) = path("file_path").or_else(|| path("notebook_path")) {
                tool.summary = format!("{name} {p}");
                tool.paths_written.push(p);
            }
        }
        "Read" | "NotebookRead" => {
            if let Some(p) = path("file_path").or_else(|| path("notebook_path")) {
                tool.summary = format!("{name} {p}");
                tool.paths_read.push(p);
            }
        }
        "Grep" | "Glob" | "LS" => {
            let pattern = str_at(&input, "pattern").map(first_line);
            let place = path("path");
            tool.summary = match (&pattern, &place) {
                (Some(pat), Some(p)) => format!("{name}: {pat} in {p}"),
                (Some(pat), None) => format!("{name}: {pat}"),
                (None, Some(p)) => format!("{name} {p}"),
                (None, None) => name.to_string(),
            };
            tool.paths_read.extend(place);
        }
        "Bash" => {
            if let Some(command) = str_at(&input, "command") {
                tool.summary = format!("Bash: {}", first_line(command));
                tool.commands.push(command.to_string());
            }
        }
        "WebFetch" => {
            if let Some(url) = str_at(&input, "url") {
                tool.summary = format!("WebFetch {}", first_line(url));
                tool.urls.push(url.to_string());
            }
        }
        "WebSearch" => {
            if let Some(query) = str_at(&input, "query") {
                tool.summary = format!("WebSearch: {}", first_line(query));
            }
        }
        "Task" | "Agent" => {
            if let Some(what) = str_at(&input, "description") {
                tool.summary = format!("{name}: {}", first_line(what));
            }
        }
        _ => {}
    }
    tool.input = input;
    tool
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::adapter::testing::{
        check_stream_shape, failures, parse_all, robustness, samples, summarize, warnings,
    };

    const CWD: &str = "/home/dev/scratch/proj";

    fn claude() -> Claude {
        Claude {
            cwd: Some(CWD.to_string()),
        }
    }

    #[test]
    fn every_sample_parses_as_expected() {
        let all = samples("claude_stream");
        assert!(
            all.len() >= 13,
            "expected the 13 captured claude streams, found {}",
            all.len()
        );
        for (name, text) in all {
            let items = parse_all(&claude(), &text);
            check_stream_shape(&name, &items);
            let summary = summarize(&items);
            let session = summary.session.clone().unwrap_or_default();
            assert!(
                text.contains(&format!("\"session_id\":\"{session}\"")),
                "{name}: session"
            );
            let fail = summary.failure.as_ref().map(|(class, _)| *class);
            let written: Vec<&str> = summary
                .tools
                .iter()
                .flat_map(|t| t.paths_written.iter().map(String::as_str))
                .collect();
            let warned = summary.warnings.join("\n");
            let usage = summary.usage.clone().unwrap_or_default();
            let final_error = items
                .iter()
                .any(|i| matches!(i, Item::Final { is_error: true, .. }));
            match name.as_str() {
                "claude_stream.jsonl" | "claude_stream_partial_messages.jsonl" => {
                    assert_eq!(written, ["notes/hello.md"], "{name}");
                    assert_eq!(summary.tools[0].summary, "Write notes/hello.md");
                    assert_eq!(summary.final_message.as_deref(), Some("done"), "{name}");
                    assert_eq!(fail, None, "{name}");
                    // Deltas add nothing: exactly the two complete texts.
                    let texts = items
                        .iter()
                        .filter(|i| matches!(i, Item::Text { .. }))
                        .count();
                    assert_eq!(texts, 2, "{name}");
                    let expected = if name.contains("partial") {
                        (25498, 71)
                    } else {
                        (25463, 66)
                    };
                    assert_eq!(
                        (usage.input_tokens, usage.output_tokens),
                        expected,
                        "{name}"
                    );
                    assert_eq!(usage.context_window, Some(1_000_000), "{name}");
                }
                "claude_stream_edit.jsonl" => {
                    assert_eq!(written, ["README.md"]);
                    let read: Vec<&String> =
                        summary.tools.iter().flat_map(|t| &t.paths_read).collect();
                    assert_eq!(read, ["README.md"]);
                    let names: Vec<&str> =
                        summary.tools.iter().map(|t| t.summary.as_str()).collect();
                    assert_eq!(names, ["Read README.md", "Edit README.md"]);
                    assert_eq!(summary.final_message.as_deref(), Some("done"));
                    assert_eq!(
                        usage,
                        Usage {
                            input_tokens: 38340,
                            output_tokens: 93,
                            context_window: Some(1_000_000),
                            total: true,
                            cost_usd: Some(0.15522),
                            ..Usage::default()
                        }
                    );
                    // Hooks that answered nothing special are not news.
                    assert!(summary.warnings.is_empty(), "{warned}");
                    assert_eq!(fail, None);
                }
                "claude_stream_overflow_400.jsonl" => {
                    assert_eq!(fail, Some(FailureClass::ContextOverflow));
                    assert_eq!(failures(&items), [FailureClass::ContextOverflow; 2]);
                    assert!(final_error);
                    // The failed request reported zero usage: nothing to keep.
                    assert_eq!(summary.usage, None);
                }
                "claude_stream_rate_limited_429.jsonl" => {
                    assert_eq!(fail, Some(FailureClass::RateLimited));
                    assert!(final_error);
                }
                "claude_stream_overloaded_midstream.jsonl" => {
                    assert_eq!(fail, Some(FailureClass::Overloaded));
                    assert!(final_error);
                    assert_eq!((usage.input_tokens, usage.output_tokens), (25366, 2));
                    assert_eq!(usage.context_window, None);
                }
                "claude_stream_permission_denied_noninteractive.jsonl" => {
                    assert!(
                        warned.contains("permission denied: Bash: Output redirection"),
                        "{warned}"
                    );
                    assert!(
                        warned.contains(
                            "permission denied: Bash: echo hello-from-bash > bash_out.txt && ls"
                        ),
                        "{warned}"
                    );
                    assert_eq!(
                        summary.tools[0].commands,
                        ["echo hello-from-bash > bash_out.txt && ls"]
                    );
                    let refused = items
                        .iter()
                        .any(|i| matches!(i, Item::ToolResult { ok: false, .. }));
                    assert!(refused, "{name}");
                    // The agent's own refusal names the call it refused.
                    let by_agent: Vec<&str> = items
                        .iter()
                        .filter_map(|i| match i {
                            Item::Refused { id, .. } => Some(id.as_str()),
                            _ => None,
                        })
                        .collect();
                    assert_eq!(
                        by_agent,
                        ["toolu_fake_0001_c8395c5c", "toolu_fake_0001_c8395c5c"]
                    );
                    assert_eq!(fail, None);
                    assert_eq!(summary.final_message.as_deref(), Some("done"));
                }
                "claude_stream_pretooluse_deny_exit2.jsonl"
                | "claude_stream_pretooluse_deny_json.jsonl"
                | "claude_stream_pretooluse_deny_with_hook_events.jsonl" => {
                    assert!(
                        warned.contains("permission denied: Write notes/hello.md"),
                        "{name}: {warned}"
                    );
                    if name.contains("hook_events") {
                        assert!(
                            warned.contains(
                                "hook PreToolUse:Write denied: blocked by test harness hook"
                            ),
                            "{warned}"
                        );
                    }
                    // The attempt is still an action: the supervisor pairs
                    // it with its refused result.
                    assert_eq!(written, ["notes/hello.md"]);
                    let refused = items.iter().any(|i| {
                        matches!(i, Item::ToolResult { ok: false, text, .. } if text.contains("blocked by test harness hook"))
                    });
                    assert!(refused, "{name}");
                    assert_eq!(fail, None);
                }
                "claude_stream_stop_block.jsonl" => {
                    assert!(
                        warned.contains("Stop hook feedback: blocked by test harness hook"),
                        "{warned}"
                    );
                    assert!(warned.contains("stop hook problem"), "{warned}");
                    assert_eq!(
                        summary.final_message.as_deref(),
                        Some("Hi! This is a plain text answer from the fake model.")
                    );
                    assert_eq!(fail, None);
                }
                "claude_stream_text.jsonl" => {
                    assert!(summary.tools.is_empty());
                    assert_eq!(
                        summary.final_message.as_deref(),
                        Some("Hi! This is a plain text answer from the fake model.")
                    );
                    assert_eq!((usage.input_tokens, usage.output_tokens), (12683, 20));
                }
                "claude_stream_userpromptsubmit_block.jsonl" => {
                    assert!(
                        warned.contains("UserPromptSubmit operation blocked by hook"),
                        "{warned}"
                    );
                    assert!(summary.tools.is_empty());
                    assert_eq!(fail, None);
                    assert!(!final_error);
                }
                _ => panic!("{name}: new sample; add what it must parse to"),
            }
        }
    }

    #[test]
    fn assistant_usage_is_per_request_with_cache_counted() {
        let line = r#"{"type":"assistant","message":{"model":"m","content":[{"type":"text","text":"hi"}],
            "usage":{"input_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":7}},
            "parent_tool_use_id":null}"#
            .replace('\n', " ");
        let items = claude().parse_line(&line);
        assert_eq!(
            items,
            [
                Item::Text { text: "hi".into() },
                Item::Usage(Usage {
                    input_tokens: 125,
                    output_tokens: 7,
                    ..Usage::default()
                })
            ]
        );
        // A subagent's request says nothing about the run's own context.
        let sub = line.replace(
            "\"parent_tool_use_id\":null",
            "\"parent_tool_use_id\":\"toolu_1\"",
        );
        assert_eq!(
            claude().parse_line(&sub),
            [Item::Text { text: "hi".into() }]
        );
    }

    #[test]
    fn the_first_usage_of_a_sample_matches_its_line() {
        let (_, text) = samples("claude_stream_edit").remove(0);
        let first = text
            .lines()
            .find(|l| l.contains("\"type\":\"assistant\""))
            .unwrap();
        let items = claude().parse_line(first);
        assert!(items.contains(&Item::Usage(Usage {
            input_tokens: 12686,
            output_tokens: 1,
            request: Some("msg_fake_bb92a44565cf4b028bc3".into()),
            ..Usage::default()
        })));
    }

    #[test]
    fn synthetic_overflow_message_alone_is_a_context_overflow() {
        // The wording of INTEGRATIONS.md, without the error flag of 2.1.332.
        let line = r#"{"type":"assistant","message":{"model":"<synthetic>","content":[{"type":"text","text":"prompt is too long: 210000 tokens > 200000 maximum"}]}}"#;
        assert_eq!(
            failures(&claude().parse_line(line)),
            [FailureClass::ContextOverflow]
        );
        // The same words from the model itself are just text.
        let spoken = line.replace("<synthetic>", "claude-opus-5-5");
        assert_eq!(failures(&claude().parse_line(&spoken)), []);
        // A synthetic notice that is no error is no failure.
        let notice = line.replace(
            "prompt is too long: 210000 tokens > 200000 maximum",
            "No response requested.",
        );
        assert_eq!(failures(&claude().parse_line(&notice)), []);
        // No request reached a model: whatever usage it names is not the run's.
        let counted = notice.replace("]}}", r#"],"usage":{"input_tokens":9,"output_tokens":9}}}"#);
        assert_eq!(
            claude().parse_line(&counted),
            [Item::Text {
                text: "No response requested.".into()
            }]
        );
    }

    #[test]
    fn error_results_are_classified_by_reason_status_then_text() {
        let result = |fields: &str| {
            let line =
                format!(r#"{{"type":"result","subtype":"success","is_error":true,{fields}}}"#);
            let items = claude().parse_line(&line);
            assert!(
                matches!(items.last(), Some(Item::Final { is_error: true, .. })),
                "{items:?}"
            );
            failures(&items)
        };
        use FailureClass::*;
        assert_eq!(
            result(r#""terminal_reason":"prompt_too_long","result":"x""#),
            [ContextOverflow]
        );
        assert_eq!(
            result(r#""api_error_status":429,"result":"x""#),
            [RateLimited]
        );
        assert_eq!(
            result(r#""api_error_status":529,"result":"x""#),
            [Overloaded]
        );
        assert_eq!(result(r#""api_error_status":401,"result":"x""#), [Auth]);
        assert_eq!(
            result(
                r#""api_error_status":400,"result":"input length and max_tokens exceed context limit""#
            ),
            [ContextOverflow]
        );
        assert_eq!(
            result(r#""api_error_type":"overloaded_error","result":"API Error""#),
            [Overloaded]
        );
        assert_eq!(
            result(r#""result":"InputValidationError: Write failed: file_path missing""#),
            [ContractViolation]
        );
        assert_eq!(
            result(r#""subtype":"error_max_turns","errors":["max turns reached"]"#),
            [Degraded]
        );
        assert_eq!(
            result(r#""api_error_status":500,"result":"Internal server error""#),
            [Degraded]
        );
        // Not an error: no failure, whatever the subtype says.
        let ok = claude().parse_line(r#"{"type":"result","subtype":"error_during_execution","is_error":false,"result":"ok"}"#);
        assert_eq!(failures(&ok), []);
        assert_eq!(
            ok,
            [Item::Final {
                text: "ok".into(),
                is_error: false
            }]
        );
    }

    #[test]
    fn error_result_text_falls_back_to_errors_and_subtype() {
        let items = claude().parse_line(r#"{"type":"result","is_error":true,"subtype":"error_during_execution","errors":["a","b"]}"#);
        assert_eq!(
            items.last(),
            Some(&Item::Final {
                text: "a\nb".into(),
                is_error: true
            })
        );
        let items =
            claude().parse_line(r#"{"type":"result","is_error":true,"subtype":"error_max_turns"}"#);
        assert_eq!(
            items.last(),
            Some(&Item::Final {
                text: "error_max_turns".into(),
                is_error: true
            })
        );
    }

    #[test]
    fn rate_limit_events() {
        let event = |status: &str| {
            claude().parse_line(&format!(
                r#"{{"type":"rate_limit_event","rate_limit_info":{{"status":"{status}","resetsAt":1771390800,"rateLimitType":"five_hour"}}}}"#
            ))
        };
        assert_eq!(event("allowed"), []);
        assert_eq!(
            event("allowed_warning"),
            [Item::Warning {
                message: "rate limit nearly reached (five_hour, resets at unix time 1771390800)"
                    .into()
            }]
        );
        assert_eq!(failures(&event("rejected")), [FailureClass::RateLimited]);
    }

    #[test]
    fn tool_inputs_give_paths_commands_and_urls() {
        let tool = |name: &str, input: &str| {
            describe_tool("t", name, serde_json::from_str(input).unwrap(), Some(CWD))
        };
        let write = tool(
            "Write",
            r#"{"file_path":"/home/dev/scratch/proj/a/b.md","content":"x"}"#,
        );
        assert_eq!(
            (write.summary.as_str(), write.paths_written.as_slice()),
            ("Write a/b.md", &["a/b.md".to_string()][..])
        );
        let outside = tool(
            "Edit",
            r#"{"file_path":"/etc/hosts","old_string":"a","new_string":"b"}"#,
        );
        assert_eq!(outside.paths_written, ["/etc/hosts"]);
        assert_eq!(
            tool(
                "MultiEdit",
                r#"{"file_path":"/home/dev/scratch/proj/x.rs","edits":[]}"#
            )
            .paths_written,
            ["x.rs"]
        );
        assert_eq!(
            tool(
                "NotebookEdit",
                r#"{"notebook_path":"/home/dev/scratch/proj/n.ipynb"}"#
            )
            .paths_written,
            ["n.ipynb"]
        );
        assert_eq!(
            tool(
                "Read",
                r#"{"file_path":"/home/dev/scratch/proj/README.md"}"#
            )
            .paths_read,
            ["README.md"]
        );
        let grep = tool(
            "Grep",
            r#"{"pattern":"TODO","path":"/home/dev/scratch/proj/src"}"#,
        );
        assert_eq!(
            (grep.summary.as_str(), grep.paths_read.as_slice()),
            ("Grep: TODO in src", &["src".to_string()][..])
        );
        let glob = tool("Glob", r#"{"pattern":"**/*.md"}"#);
        assert_eq!(
            (glob.summary.as_str(), glob.paths_read.len()),
            ("Glob: **/*.md", 0)
        );
        let bash = tool(
            "Bash",
            r#"{"command":"git status\ngit diff","description":"look"}"#,
        );
        assert_eq!(bash.summary, "Bash: git status …");
        assert_eq!(bash.commands, ["git status\ngit diff"]);
        let fetch = tool(
            "WebFetch",
            r#"{"url":"https://example.com/a","prompt":"read"}"#,
        );
        assert_eq!(
            (fetch.summary.as_str(), fetch.urls.as_slice()),
            (
                "WebFetch https://example.com/a",
                &["https://example.com/a".to_string()][..]
            )
        );
        assert_eq!(
            tool("WebSearch", r#"{"query":"rust serde"}"#).summary,
            "WebSearch: rust serde"
        );
        let mcp = tool("mcp__fs__read", r#"{"path":"/x"}"#);
        assert_eq!(
            (mcp.summary.as_str(), mcp.paths_read.len()),
            ("mcp__fs__read", 0)
        );
        // Wrong shapes give a bare tool, never a panic.
        assert_eq!(tool("Write", r#"{"file_path":7}"#).paths_written.len(), 0);
        assert_eq!(tool("Bash", "null").summary, "Bash");
    }

    #[test]
    fn tool_results_are_shortened_and_flag_errors() {
        let long = "y".repeat(1000);
        let line = format!(
            r#"{{"type":"user","message":{{"content":[{{"type":"tool_result","tool_use_id":"a","content":"{long}"}},
            {{"type":"tool_result","tool_use_id":"b","is_error":true,"content":[{{"type":"text","text":"boom"}},{{"type":"image"}}]}}]}}}}"#
        )
        .replace('\n', " ");
        let items = claude().parse_line(&line);
        assert_eq!(items.len(), 2);
        let Item::ToolResult { id, ok: true, text } = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(id, "a");
        assert_eq!(text.chars().filter(|c| *c == 'y').count(), RESULT_CHARS);
        assert!(text.ends_with("… (600 more chars)"), "{text}");
        assert_eq!(
            items[1],
            Item::ToolResult {
                id: "b".into(),
                ok: false,
                text: "boom\n[image]".into()
            }
        );
    }

    #[test]
    fn thinking_and_hook_answers() {
        let thinking = r#"{"type":"assistant","message":{"model":"m","content":[{"type":"thinking","thinking":"hmm","signature":"s"}]}}"#;
        assert_eq!(
            claude().parse_line(thinking),
            [Item::Thinking { text: "hmm".into() }]
        );
        let hook = |fields: &str| {
            claude().parse_line(&format!(r#"{{"type":"system","subtype":"hook_response","hook_name":"PreToolUse:Bash",{fields}}}"#))
        };
        assert_eq!(hook(r#""exit_code":0,"outcome":"success","stdout":"""#), []);
        assert_eq!(
            warnings(&hook(r#""exit_code":2,"stderr":"no pushing""#)),
            ["hook PreToolUse:Bash blocked (exit 2): no pushing"]
        );
        assert_eq!(
            warnings(&hook(r#""exit_code":1,"outcome":"error","stderr":"crash""#)),
            ["hook PreToolUse:Bash failed (exit 1): crash"]
        );
        assert_eq!(
            warnings(&hook(
                r#""exit_code":0,"stdout":"{\"decision\":\"block\",\"reason\":\"keep going\"}""#
            )),
            ["hook PreToolUse:Bash blocked: keep going"]
        );
        assert_eq!(
            warnings(&hook(
                r#""exit_code":0,"stdout":"{\"hookSpecificOutput\":{\"permissionDecision\":\"ask\"}}""#
            )),
            ["hook PreToolUse:Bash asked: no reason given"]
        );
    }

    #[test]
    fn malformed_lines_never_panic() {
        let raw = |t: &str| {
            vec![Item::Raw {
                text: t.to_string(),
            }]
        };
        assert_eq!(
            claude().parse_line("Error: Invalid API key"),
            raw("Error: Invalid API key")
        );
        assert_eq!(
            claude().parse_line("{\"type\":\"assistant\""),
            raw("{\"type\":\"assistant\"")
        );
        assert_eq!(claude().parse_line("[1]"), raw("[1]"));
        assert_eq!(
            claude().parse_line("{\"no_type\":1}"),
            raw("{\"no_type\":1}")
        );
        assert_eq!(claude().parse_line(""), []);
        for line in [
            r#"{"type":"brand_new_event","x":1}"#,
            r#"{"type":"assistant"}"#,
            r#"{"type":"assistant","message":null}"#,
            r#"{"type":"assistant","message":{"content":"plain"}}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use"}],"usage":"lots"}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result"}]}}"#,
            r#"{"type":"system"}"#,
            r#"{"type":"system","subtype":"init"}"#,
            r#"{"type":"system","subtype":"hook_response","stdout":"{not json"}"#,
            r#"{"type":"rate_limit_event"}"#,
            r#"{"type":"stream_event","event":{"type":"content_block_delta"}}"#,
        ] {
            assert!(failures(&claude().parse_line(line)).is_empty(), "{line}");
            assert!(
                !claude()
                    .parse_line(line)
                    .iter()
                    .any(|i| matches!(i, Item::Raw { .. })),
                "{line}"
            );
        }
        // A result with nothing in it still ends the run.
        assert_eq!(
            claude().parse_line(r#"{"type":"result"}"#),
            [Item::Final {
                text: String::new(),
                is_error: false
            }]
        );
        // Huge counts saturate instead of overflowing.
        let big = format!(
            r#"{{"type":"result","usage":{{"input_tokens":{m},"cache_read_input_tokens":{m}}}}}"#,
            m = u64::MAX
        );
        assert!(claude().parse_line(&big).contains(&Item::Usage(Usage {
            input_tokens: u64::MAX,
            output_tokens: 0,
            total: true,
            ..Usage::default()
        })));
    }

    #[test]
    fn every_prefix_and_mutation_of_every_sample_line_is_safe() {
        for (name, text) in samples("claude_stream") {
            for line in text.lines() {
                robustness(&claude(), name.as_str(), line);
            }
        }
    }
}
