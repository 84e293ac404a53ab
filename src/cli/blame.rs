//! `leash blame PATH[:LINE[-LINE]]`: each line with the commit that last
//! changed it, the turn and action that wrote it, the prompt, and the
//! sources read before that action. Everything here was written by agents
//! or people: every line goes through `say!`, JSON through `out`.

use std::path::Path;

use serde_json::{Value, json};

use super::{BlameArgs, CliResult, Failure, out, say_json};
use crate::model::short;
use crate::say;
use crate::workspace::Workspace;
use crate::workspace::blame::{LineBlame, SourceBlame, parse_target};

/// A line as `--json` gives it: the stable fields first.
pub fn line_json(b: &LineBlame) -> Value {
    json!({
        "line": b.line,
        "commit": b.commit,
        "turn": b.turn,
        "action": b.action,
        "agent": b.agent,
        "model": b.model,
        "prompt": b.prompt,
        "sources": b.sources,
        "unknown_reads": b.unknown_reads,
        "path": b.path,
        "text": b.text,
        "author": b.author,
        "leash": b.leash,
        "task": b.task,
        "tool": b.tool,
        "summary": b.summary,
        "matched_by": b.matched_by,
        "account": b.account,
        "rollback": b.rollback,
        "orig_path": b.orig_path,
        "orig_line": b.orig_line,
        "missing": b.missing,
    })
}

/// One source read before the action, for a person.
pub fn source_words(s: &SourceBlame) -> String {
    let what = s.path.as_deref().or(s.url.as_deref()).unwrap_or("?");
    let content = match (&s.blob, &s.hash) {
        (Some(b), _) => format!(" @ {}", short(b)),
        (None, Some(h)) => format!(" ({h})"),
        (None, None) => " (content not recorded)".to_string(),
    };
    let changed = match s.changed_since {
        Some(true) => "; changed since",
        Some(false) => "; unchanged",
        None => "",
    };
    format!("{what}{content} (read by {}{changed})", s.by)
}

/// The heading of a run of lines from one commit and action.
pub fn heading(b: &LineBlame) -> Vec<String> {
    let commit = short(&b.commit);
    if let Some(r) = b.rollback.as_ref().filter(|r| r.restored) {
        return vec![format!(
            "rollback of {} · commit {commit} put these lines back",
            r.turn
        )];
    }
    let Some(turn) = &b.turn else {
        return vec![format!(
            "not a leash turn · commit {commit} by {}",
            b.author
        )];
    };
    let mut head = turn.clone();
    match (&b.action, &b.summary) {
        (Some(a), Some(s)) if !s.is_empty() => head.push_str(&format!(" · {a} {s}")),
        (Some(a), _) => head.push_str(&format!(" · {a} {}", b.tool.as_deref().unwrap_or(""))),
        _ => {}
    }
    if let Some(agent) = &b.agent {
        head.push_str(&format!(" · {agent}"));
        if let Some(m) = &b.model {
            head.push_str(&format!(" ({m})"));
        }
    }
    head.push_str(&format!(" · commit {commit}"));
    let mut out = vec![head];
    if let Some(r) = b.rollback.as_ref().filter(|r| !r.restored) {
        out.push(format!(
            "  rolled back since{}; these lines stayed",
            r.commit
                .as_deref()
                .map(|c| format!(" by commit {}", short(c)))
                .unwrap_or_default()
        ));
    }
    if let Some(p) = b.prompt.as_deref().or(b.task.as_deref()) {
        out.push(format!("  prompt   {p}"));
    }
    if b.action.is_some() && b.sources.is_empty() {
        out.push("  read     nothing before this action".into());
    }
    for s in &b.sources {
        out.push(format!("  read     {}", source_words(s)));
    }
    for c in &b.unknown_reads {
        out.push(format!("  ran      {c} (what it read cannot be known)"));
    }
    if b.matched_by == Some(crate::workspace::blame::Matched::LastWrite) {
        out.push(
            "  (the last action that wrote the file: no per-write content was recorded)".into(),
        );
    }
    if let Some(m) = &b.missing {
        out.push(format!("  {m}"));
    }
    out
}

pub fn blame(ws: &Workspace, dir: &Path, a: &BlameArgs) -> CliResult {
    let exists = |p: &str| dir.join(p).is_file();
    let (path, lines) = parse_target(&a.target, exists).map_err(Failure::usage)?;
    let blamed = ws.blame(dir, &path, lines)?;
    if a.json {
        let v: Vec<Value> = blamed.iter().map(line_json).collect();
        say_json(&out::json_pretty(&v));
        return Ok(0);
    }
    let width = blamed.last().map_or(1, |b| b.line.to_string().len());
    let mut last: Option<(String, Option<String>)> = None;
    for b in &blamed {
        let key = (b.commit.clone(), b.action.clone());
        if last.as_ref() != Some(&key) {
            for h in heading(b) {
                say!("{h}");
            }
            last = Some(key);
        }
        say!("  {:>width$} │ {}", b.line, b.text);
    }
    if blamed.is_empty() {
        say!("{path} is empty on the branch");
    }
    Ok(0)
}
