//! Codex's headless stream: `codex exec --json`, one JSON object per line
//! (INTEGRATIONS.md "Codex / Headless stream").
//!
//! Facts the parser leans on, all seen in `harness/samples/`:
//! - a tool item appears as `item.started` and again, complete with its
//!   outcome, as `item.completed`; only the latter is turned into items, so
//!   each call appears once and its result right after it;
//! - an `error` *item* is a warning (e.g. the hook-trust notice), while a
//!   top-level `error` line is the turn failing — except "Reconnecting…",
//!   which is a retry the turn may still survive;
//! - `turn.completed` does not repeat the last agent message; the summary
//!   takes it from the last text instead.

use serde_json::{Value, json};

use crate::agents::adapter::{
    Item, Line, RESULT_CHARS, StreamFormat, ToolUse, Usage, classify_error, count_at, first_line,
    one_line, relative_to, shorten, split_line, str_at,
};
use crate::model::FailureClass;

/// Parses the JSON lines of `codex exec --json`.
#[derive(Debug, Clone, Default)]
pub struct Codex {
    /// The agent's working directory, to make the absolute paths of file changes relative.
    pub cwd: Option<String>,
}

impl StreamFormat for Codex {
    fn parse_line(&self, line: &str) -> Vec<Item> {
        let (kind, value) = match split_line(line) {
            Line::Blank => return Vec::new(),
            Line::Raw(text) => return vec![Item::Raw { text }],
            Line::Typed(kind, value) => (kind, value),
        };
        let item = value.get("item").unwrap_or(&Value::Null);
        match kind.as_str() {
            "thread.started" => match str_at(&value, "thread_id") {
                Some(id) => vec![Item::Session {
                    id: id.to_string(),
                    model: None,
                    cwd: None,
                }],
                None => Vec::new(),
            },
            "item.completed" => self.completed(item),
            // A plan is news each time it changes; other items are told
            // once, complete, so a started command waits for its outcome.
            "item.started" | "item.updated" if str_at(item, "type") == Some("todo_list") => {
                plan(item).into_iter().collect()
            }
            "turn.completed" => {
                let mut items: Vec<Item> = value
                    .get("usage")
                    .and_then(usage)
                    .map(Item::Usage)
                    .into_iter()
                    .collect();
                items.push(Item::Final {
                    text: String::new(),
                    is_error: false,
                });
                items
            }
            "turn.failed" => {
                let error = value.get("error").unwrap_or(&Value::Null);
                let message = str_at(error, "message").unwrap_or("turn failed");
                vec![
                    failure(message),
                    Item::Final {
                        text: message.to_string(),
                        is_error: true,
                    },
                ]
            }
            "error" => {
                let message = str_at(&value, "message").unwrap_or("error");
                if message
                    .trim_start()
                    .to_lowercase()
                    .starts_with("reconnecting")
                {
                    vec![Item::Warning {
                        message: one_line(message),
                    }]
                } else {
                    vec![failure(message)]
                }
            }
            // turn.started, item.started/updated of other items, and types
            // a newer Codex may add.
            _ => Vec::new(),
        }
    }
}

impl Codex {
    /// A completed item: text, reasoning, a warning, or a tool use with its result.
    fn completed(&self, item: &Value) -> Vec<Item> {
        let text = |key: &str| {
            str_at(item, key)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        match str_at(item, "type") {
            Some("agent_message") => text("text")
                .map(|text| Item::Text { text })
                .into_iter()
                .collect(),
            Some("reasoning") => text("text")
                .map(|text| Item::Thinking { text })
                .into_iter()
                .collect(),
            Some("error") => {
                let message = str_at(item, "message").unwrap_or("error");
                vec![Item::Warning {
                    message: one_line(message),
                }]
            }
            Some(kind @ ("command_execution" | "file_change" | "mcp_tool_call" | "web_search")) => {
                let Some(id) = str_at(item, "id") else {
                    return Vec::new();
                };
                let (tool, ok, text) = match kind {
                    "command_execution" => command(id, item),
                    "file_change" => self.file_change(id, item),
                    "mcp_tool_call" => mcp_call(id, item),
                    _ => web_search(id, item),
                };
                // Codex's own refusal of a call (its approval policy).
                let refused = (str_at(item, "status") == Some("declined")).then(|| Item::Refused {
                    id: id.to_string(),
                    tool: tool.tool.clone(),
                    message: format!("declined by Codex: {}", tool.summary),
                    summary: tool.summary.clone(),
                });
                let mut items = vec![
                    Item::ToolUse(tool),
                    Item::ToolResult {
                        id: id.to_string(),
                        ok,
                        text: shorten(&text, RESULT_CHARS),
                    },
                ];
                items.extend(refused);
                items
            }
            _ => Vec::new(),
        }
    }

    /// A patch: every path it adds, updates or deletes is written.
    fn file_change(&self, id: &str, item: &Value) -> (ToolUse, bool, String) {
        let changes: Vec<(String, &str)> = item
            .get("changes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|change| {
                let path = str_at(change, "path")?;
                // Newer Codex versions nest the kind as {"type": …}.
                let kind = change
                    .get("kind")
                    .and_then(|k| k.as_str().or_else(|| str_at(k, "type")))
                    .unwrap_or("update");
                Some((relative_to(path, self.cwd.as_deref()), kind))
            })
            .collect();
        let mut tool = ToolUse::new(id, "apply_patch", json!({ "changes": item.get("changes") }));
        tool.paths_written = changes.iter().map(|(path, _)| path.clone()).collect();
        tool.summary = match changes.len() {
            0 => "apply_patch".to_string(),
            n => {
                let mut names: Vec<&str> =
                    changes.iter().take(3).map(|(p, _)| p.as_str()).collect();
                if n > 3 {
                    names.push("…");
                }
                format!(
                    "apply_patch: {} ({})",
                    crate::words::count(n, "file"),
                    names.join(", ")
                )
            }
        };
        let ok = str_at(item, "status") == Some("completed");
        let text: Vec<String> = changes
            .iter()
            .map(|(path, kind)| format!("{kind} {path}"))
            .collect();
        (tool, ok, text.join("\n"))
    }
}

/// A shell command, recorded without Codex's `bash -lc '…'` wrapper so that
/// policy rules and the hook (which sees it bare) agree on what ran.
fn command(id: &str, item: &Value) -> (ToolUse, bool, String) {
    let command = match item.get("command") {
        Some(Value::String(line)) => unwrap_shell(line),
        Some(Value::Array(argv)) => {
            let argv: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
            match argv.as_slice() {
                [shell, "-lc" | "-c", script] if is_shell(shell) => script.to_string(),
                _ => argv.join(" "),
            }
        }
        _ => String::new(),
    };
    let mut tool = ToolUse::new(id, "Bash", json!({ "command": command }));
    if !command.is_empty() {
        tool.summary = format!("Bash: {}", first_line(&command));
        tool.commands.push(command);
    }
    let status = str_at(item, "status").unwrap_or("");
    let exit = item.get("exit_code").and_then(Value::as_i64);
    let ok = match exit {
        Some(code) => code == 0 && status != "failed" && status != "declined",
        None => status == "completed",
    };
    let output = str_at(item, "aggregated_output").unwrap_or("");
    let text = if output.is_empty() && !ok {
        status.to_string()
    } else {
        output.to_string()
    };
    (tool, ok, text)
}

/// An MCP tool call, named the way Claude names MCP tools so one policy
/// rule covers both agents.
fn mcp_call(id: &str, item: &Value) -> (ToolUse, bool, String) {
    let server = str_at(item, "server").unwrap_or("?");
    let name = str_at(item, "tool").unwrap_or("?");
    let input = item.get("arguments").cloned().unwrap_or(Value::Null);
    let mut tool = ToolUse::new(id, &format!("mcp__{server}__{name}"), input);
    tool.summary = format!("MCP {server}/{name}");
    let error = item.get("error").and_then(|e| str_at(e, "message"));
    let ok = str_at(item, "status") == Some("completed") && error.is_none();
    let text = match error {
        Some(message) => message.to_string(),
        None => item
            .get("result")
            .and_then(|r| r.get("content"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|block| str_at(block, "text"))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    (tool, ok, text)
}

/// A web search: the query is all the stream tells.
fn web_search(id: &str, item: &Value) -> (ToolUse, bool, String) {
    let query = str_at(item, "query").unwrap_or("");
    let mut tool = ToolUse::new(id, "WebSearch", json!({ "query": query }));
    if !query.is_empty() {
        tool.summary = format!("WebSearch: {}", first_line(query));
    }
    (tool, true, String::new())
}

/// The to-do list as a checklist, shown as the agent's reasoning.
fn plan(item: &Value) -> Option<Item> {
    let steps: Vec<String> = item
        .get("items")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(|step| {
            let text = str_at(step, "text")?;
            let done = step.get("completed").and_then(Value::as_bool) == Some(true);
            Some(format!("[{}] {text}", if done { 'x' } else { ' ' }))
        })
        .collect();
    (!steps.is_empty()).then(|| Item::Thinking {
        text: format!("plan:\n{}", steps.join("\n")),
    })
}

/// The turn's usage; Codex's input count already includes the cached part.
fn usage(value: &Value) -> Option<Usage> {
    value.as_object()?;
    let usage = Usage {
        input_tokens: count_at(value, "input_tokens"),
        output_tokens: count_at(value, "output_tokens"),
        ..Usage::default()
    };
    (usage.input_tokens > 0 || usage.output_tokens > 0).then_some(usage)
}

/// A failure classified by its text (Codex passes no status); an
/// unrecognised one is `degraded`: the turn ended short of its goal.
fn failure(message: &str) -> Item {
    Item::Failure {
        class: classify_error(message, None).unwrap_or(FailureClass::Degraded),
        message: shorten(message, RESULT_CHARS),
    }
}

/// True for the shells Codex wraps commands in.
fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "bash" | "sh" | "zsh" | "dash")
}

/// `/bin/bash -lc 'script'` → `script`; anything else unchanged.
fn unwrap_shell(line: &str) -> String {
    let mut parts = line.splitn(3, ' ');
    if let (Some(shell), Some("-lc" | "-c"), Some(rest)) =
        (parts.next(), parts.next(), parts.next())
        && is_shell(shell)
        && let Some(script) = shell_word(rest.trim())
    {
        return script;
    }
    line.to_string()
}

/// `text` read as exactly one POSIX shell word (quotes removed), or `None`
/// when it is more than one word or its quotes do not close.
fn shell_word(text: &str) -> Option<String> {
    let mut word = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => word.push(c),
                }
            },
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => {
                        let next = chars.next()?;
                        if !matches!(next, '"' | '\\' | '$' | '`' | '\n') {
                            word.push('\\');
                        }
                        word.push(next);
                    }
                    c => word.push(c),
                }
            },
            '\\' => word.push(chars.next()?),
            c if c.is_whitespace() => return None,
            c => word.push(c),
        }
    }
    Some(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::adapter::testing::{
        check_stream_shape, failures, parse_all, robustness, samples, summarize, tools, warnings,
    };

    const CWD: &str = "/home/dev/scratch/proj";
    const TRUST_NOTICE: &str = "`--dangerously-bypass-hook-trust` is enabled. Enabled hooks may run without review for this invocation.";

    fn codex() -> Codex {
        Codex {
            cwd: Some(CWD.to_string()),
        }
    }

    #[test]
    fn every_sample_parses_as_expected() {
        let all = samples("codex_exec");
        assert!(
            all.len() >= 5,
            "expected the 5 captured codex streams, found {}",
            all.len()
        );
        for (name, text) in all {
            let items = parse_all(&codex(), &text);
            check_stream_shape(&name, &items);
            let summary = summarize(&items);
            let thread = summary.session.clone().unwrap_or_default();
            assert!(
                text.contains(&format!("\"thread_id\":\"{thread}\"")),
                "{name}: session"
            );
            let fail = summary.failure.as_ref().map(|(class, _)| *class);
            let final_error = items
                .iter()
                .any(|i| matches!(i, Item::Final { is_error: true, .. }));
            let usage = summary.usage.clone().unwrap_or_default();
            match name.as_str() {
                "codex_exec.jsonl" => {
                    let [bash] = tools(&items)[..] else {
                        panic!("{name}: {items:?}")
                    };
                    assert_eq!(bash.tool, "Bash");
                    assert_eq!(
                        bash.commands,
                        ["echo hello-from-codex > hello.txt && cat hello.txt"]
                    );
                    assert_eq!(
                        bash.summary,
                        "Bash: echo hello-from-codex > hello.txt && cat hello.txt"
                    );
                    assert_eq!(
                        bash.input,
                        json!({"command": "echo hello-from-codex > hello.txt && cat hello.txt"})
                    );
                    assert!(items.contains(&Item::ToolResult {
                        id: "item_3".into(),
                        ok: true,
                        text: "hello-from-codex\n".into()
                    }));
                    assert!(items.contains(&Item::Thinking {
                        text: "I will write the file with a shell command.".into()
                    }));
                    assert_eq!(warnings(&items), [TRUST_NOTICE, TRUST_NOTICE]);
                    assert_eq!(fail, None);
                    assert_eq!(summary.final_message.as_deref(), Some("done"));
                    assert_eq!(
                        usage,
                        Usage {
                            input_tokens: 19847,
                            output_tokens: 24,
                            ..Usage::default()
                        }
                    );
                }
                "codex_exec_apply_patch.jsonl" => {
                    let [patch] = tools(&items)[..] else {
                        panic!("{name}: {items:?}")
                    };
                    assert_eq!(patch.tool, "apply_patch");
                    assert_eq!(patch.paths_written, ["notes/hello.md"]);
                    assert_eq!(patch.summary, "apply_patch: 1 file (notes/hello.md)");
                    assert!(items.contains(&Item::ToolResult {
                        id: "item_2".into(),
                        ok: true,
                        text: "add notes/hello.md".into()
                    }));
                    assert_eq!(fail, None);
                    assert_eq!(summary.final_message.as_deref(), Some("done"));
                    assert_eq!((usage.input_tokens, usage.output_tokens), (19803, 24));
                }
                "codex_exec_pretooluse_deny.jsonl" => {
                    // A denied command leaves no item in the stream (seen).
                    assert!(tools(&items).is_empty());
                    assert_eq!(warnings(&items), [TRUST_NOTICE, TRUST_NOTICE]);
                    assert_eq!(fail, None);
                    assert_eq!(summary.final_message.as_deref(), Some("done"));
                    assert_eq!((usage.input_tokens, usage.output_tokens), (19849, 24));
                }
                "codex_exec_overflow_400.jsonl" => {
                    assert_eq!(failures(&items), [FailureClass::ContextOverflow; 2]);
                    assert_eq!(fail, Some(FailureClass::ContextOverflow));
                    assert!(final_error);
                    assert_eq!(summary.usage, None);
                }
                "codex_exec_stream_failed.jsonl" => {
                    let warned = warnings(&items);
                    assert_eq!(warned.len(), 1, "{warned:?}");
                    assert!(warned[0].starts_with("Reconnecting... 1/1"), "{warned:?}");
                    assert_eq!(fail, Some(FailureClass::Degraded));
                    assert!(final_error);
                }
                _ => panic!("{name}: new sample; add what it must parse to"),
            }
            // Error items are warnings, never failures.
            if text.contains("\"type\":\"error\",\"message\":\"`--dangerously") {
                assert_eq!(fail, None, "{name}");
            }
        }
    }

    #[test]
    fn started_items_wait_for_completion() {
        let started = r#"{"type":"item.started","item":{"id":"item_3","type":"command_execution","command":"bash -lc ls","aggregated_output":"","exit_code":null,"status":"in_progress"}}"#;
        assert_eq!(codex().parse_line(started), []);
        let updated = started.replace("item.started", "item.updated");
        assert_eq!(codex().parse_line(&updated), []);
    }

    #[test]
    fn failed_and_declined_commands_are_not_ok() {
        let line = |exit: &str, status: &str, output: &str| {
            codex().parse_line(&format!(
                r#"{{"type":"item.completed","item":{{"id":"c","type":"command_execution","command":"/usr/bin/zsh -c \"cargo test\"","aggregated_output":"{output}","exit_code":{exit},"status":"{status}"}}}}"#
            ))
        };
        let failed = line("101", "failed", "test failed");
        assert_eq!(tools(&failed)[0].commands, ["cargo test"]);
        assert_eq!(
            failed[1],
            Item::ToolResult {
                id: "c".into(),
                ok: false,
                text: "test failed".into()
            }
        );
        let declined = line("null", "declined", "");
        assert_eq!(
            declined[1],
            Item::ToolResult {
                id: "c".into(),
                ok: false,
                text: "declined".into()
            }
        );
        // A declined call is Codex refusing it, named for the supervisor.
        assert_eq!(
            declined[2],
            Item::Refused {
                id: "c".into(),
                tool: "Bash".into(),
                summary: "Bash: cargo test".into(),
                message: "declined by Codex: Bash: cargo test".into()
            }
        );
        assert_eq!(failed.len(), 2, "a failed command is not a refusal");
        let fine = line("0", "completed", "");
        assert_eq!(
            fine[1],
            Item::ToolResult {
                id: "c".into(),
                ok: true,
                text: String::new()
            }
        );
    }

    #[test]
    fn shell_wrappers_are_removed_only_when_they_are_one_word() {
        assert_eq!(
            unwrap_shell("/bin/bash -lc 'echo hi > a.txt'"),
            "echo hi > a.txt"
        );
        assert_eq!(unwrap_shell(r"bash -lc 'echo it'\''s'"), "echo it's");
        assert_eq!(
            unwrap_shell(r#"sh -c "echo \"$HOME\" \\d""#),
            r#"echo "$HOME" \d"#
        );
        assert_eq!(unwrap_shell("bash -lc ls"), "ls");
        assert_eq!(unwrap_shell("bash -lc 'ls' extra"), "bash -lc 'ls' extra");
        assert_eq!(unwrap_shell("bash -lc 'unclosed"), "bash -lc 'unclosed");
        assert_eq!(unwrap_shell("python -c 'print(1)'"), "python -c 'print(1)'");
        assert_eq!(unwrap_shell("git status"), "git status");
        let argv = r#"{"type":"item.completed","item":{"id":"c","type":"command_execution","command":["bash","-lc","git push"],"status":"completed","exit_code":0}}"#;
        assert_eq!(tools(&codex().parse_line(argv))[0].commands, ["git push"]);
    }

    #[test]
    fn file_changes_write_every_path_deletes_included() {
        let line = r#"{"type":"item.completed","item":{"id":"p","type":"file_change","status":"completed","changes":[
            {"path":"/home/dev/scratch/proj/a.md","kind":"add"},{"path":"/home/dev/scratch/proj/b.md","kind":"delete"},
            {"path":"/elsewhere/c.md","kind":{"type":"update","move_path":null}},{"path":"d.md","kind":"update"}]}}"#
            .replace('\n', " ");
        let items = codex().parse_line(&line);
        let patch = tools(&items)[0];
        assert_eq!(
            patch.paths_written,
            ["a.md", "b.md", "/elsewhere/c.md", "d.md"]
        );
        assert_eq!(
            patch.summary,
            "apply_patch: 4 files (a.md, b.md, /elsewhere/c.md, …)"
        );
        assert_eq!(
            items[1],
            Item::ToolResult {
                id: "p".into(),
                ok: true,
                text: "add a.md\ndelete b.md\nupdate /elsewhere/c.md\nupdate d.md".into()
            }
        );
        let failed = line.replace("\"status\":\"completed\"", "\"status\":\"failed\"");
        assert!(matches!(
            codex().parse_line(&failed)[1],
            Item::ToolResult { ok: false, .. }
        ));
    }

    #[test]
    fn mcp_calls_web_searches_and_plans() {
        let mcp = r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"fs","tool":"read_file","arguments":{"path":"/x"},"result":{"content":[{"type":"text","text":"contents"}],"structured_content":null},"error":null,"status":"completed"}}"#;
        let items = codex().parse_line(mcp);
        let call = tools(&items)[0];
        assert_eq!(
            (call.tool.as_str(), call.summary.as_str()),
            ("mcp__fs__read_file", "MCP fs/read_file")
        );
        assert_eq!(call.input, json!({"path": "/x"}));
        assert_eq!(
            items[1],
            Item::ToolResult {
                id: "m".into(),
                ok: true,
                text: "contents".into()
            }
        );
        let broken = r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"fs","tool":"read_file","arguments":null,"result":null,"error":{"message":"File not found"},"status":"failed"}}"#;
        assert_eq!(
            codex().parse_line(broken)[1],
            Item::ToolResult {
                id: "m".into(),
                ok: false,
                text: "File not found".into()
            }
        );
        let search = r#"{"type":"item.completed","item":{"id":"w","type":"web_search","query":"rust async"}}"#;
        assert_eq!(
            tools(&codex().parse_line(search))[0].summary,
            "WebSearch: rust async"
        );
        let todo = r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[{"text":"read","completed":true},{"text":"write","completed":false}]}}"#;
        assert_eq!(
            codex().parse_line(todo),
            [Item::Thinking {
                text: "plan:\n[x] read\n[ ] write".into()
            }]
        );
        // The completed list repeats the last update.
        assert_eq!(
            codex().parse_line(&todo.replace("item.updated", "item.completed")),
            []
        );
    }

    #[test]
    fn top_level_errors_are_classified_by_text() {
        let error = |message: &str| {
            codex().parse_line(&json!({"type": "error", "message": message}).to_string())
        };
        use FailureClass::*;
        assert_eq!(
            failures(&error(
                "exceeded retry limit, last status: 429 Too Many Requests"
            )),
            [RateLimited]
        );
        assert_eq!(
            failures(&error("You've hit your usage limit. Try again later.")),
            [RateLimited]
        );
        assert_eq!(
            failures(&error("error code: context_length_exceeded")),
            [ContextOverflow]
        );
        assert_eq!(
            failures(&error("unexpected status 401 Unauthorized")),
            [Auth]
        );
        assert_eq!(
            failures(&error("Reconnecting... 2/5 (429 Too Many Requests)")),
            []
        );
        let failed = codex().parse_line(
            r#"{"type":"turn.failed","error":{"message":"You've hit your usage limit."}}"#,
        );
        assert_eq!(
            failed,
            [
                Item::Failure {
                    class: RateLimited,
                    message: "You've hit your usage limit.".into()
                },
                Item::Final {
                    text: "You've hit your usage limit.".into(),
                    is_error: true
                }
            ]
        );
    }

    #[test]
    fn malformed_lines_never_panic() {
        assert_eq!(
            codex().parse_line("Reading prompt from stdin..."),
            [Item::Raw {
                text: "Reading prompt from stdin...".into()
            }]
        );
        assert_eq!(
            codex().parse_line("{\"type\":\"turn.comp"),
            [Item::Raw {
                text: "{\"type\":\"turn.comp".into()
            }]
        );
        assert_eq!(codex().parse_line("\n"), []);
        for line in [
            r#"{"type":"session.configured"}"#,
            r#"{"type":"thread.started"}"#,
            r#"{"type":"item.completed"}"#,
            r#"{"type":"item.completed","item":{"type":"command_execution"}}"#,
            r#"{"type":"item.completed","item":{"id":"x","type":"hologram"}}"#,
            r#"{"type":"item.completed","item":{"id":"x","type":"file_change","changes":"all"}}"#,
            r#"{"type":"item.updated","item":{"type":"todo_list","items":7}}"#,
        ] {
            let items = codex().parse_line(line);
            assert!(
                failures(&items).is_empty() && !items.iter().any(|i| matches!(i, Item::Raw { .. })),
                "{line}: {items:?}"
            );
        }
        assert_eq!(
            codex().parse_line(r#"{"type":"turn.completed","usage":"lots"}"#),
            [Item::Final {
                text: String::new(),
                is_error: false
            }]
        );
        assert_eq!(
            failures(&codex().parse_line(r#"{"type":"turn.failed","error":"nope"}"#)),
            [FailureClass::Degraded]
        );
    }

    #[test]
    fn every_prefix_and_mutation_of_every_sample_line_is_safe() {
        for (name, text) in samples("codex_exec") {
            for line in text.lines() {
                robustness(&codex(), &name, line);
            }
        }
    }
}
