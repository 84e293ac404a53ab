//! `leash blame PATH[:LINE[-LINE]]`: each line with the commit that last
//! changed it, the turn and action that wrote it, the prompt, and the
//! sources read before that action. Everything here was written by agents
//! or people: every line goes through `say!`, JSON through `out`.

use std::path::Path;

use serde_json::{Value, json};

use super::{BlameArgs, CliResult, Failure, out, say_json};
use crate::say;
use crate::workspace::Workspace;
use crate::workspace::blame::{LineBlame, parse_target};

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
        "command": b.command,
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
            for h in b.heading() {
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
