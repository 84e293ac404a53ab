//! Blame's words: the `PATH[:LINE[-LINE]]` an operator types, what a
//! person reads about a line and its sources, and the line a citation
//! names.

use super::{LineBlame, Lines, Matched, SourceBlame};
use crate::model::short;

/// Splits `PATH[:LINE[-LINE]]`. A name that is a file as given (`exists`)
/// is taken whole, so a file called `notes:3` can still be blamed.
pub fn parse_target(
    arg: &str,
    exists: impl Fn(&str) -> bool,
) -> Result<(String, Option<Lines>), String> {
    if arg.is_empty() {
        return Err("expected PATH[:LINE[-LINE]], got nothing".into());
    }
    let Some((path, range)) = arg.rsplit_once(':') else {
        return Ok((arg.to_string(), None));
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (a, b) = range.split_once('-').unwrap_or((range, range));
    if exists(arg) || !digits(a) || !digits(b) || path.is_empty() {
        return Ok((arg.to_string(), None));
    }
    let number = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| format!("`{range}` in `{arg}`: a line number too large"))
    };
    let (first, last) = (number(a)?, number(b)?);
    if first == 0 {
        return Err(format!(
            "`{arg}`: lines are numbered from 1 (expected PATH:LINE or PATH:FIRST-LAST)"
        ));
    }
    if last < first {
        return Err(format!(
            "`{arg}`: the range ends before it starts (expected PATH:FIRST-LAST with FIRST ≤ LAST)"
        ));
    }
    Ok((path.to_string(), Some(Lines { first, last })))
}

impl SourceBlame {
    /// The source for a person: what, the content read, by which action,
    /// whether it changed since.
    pub fn words(&self) -> String {
        let s = self;
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
}

impl LineBlame {
    /// What a person reads above a run of lines from one commit and
    /// action: the turn, action, agent and commit, the prompt, the
    /// sources read before, or why the line is not a turn's.
    pub fn heading(&self) -> Vec<String> {
        let b = self;
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
        if let Some(p) = b.prompt.as_deref() {
            out.push(format!("  prompt   {p}"));
        } else if let Some(t) = &b.task {
            out.push(format!("  task     {t}"));
        } else if let Some(c) = &b.command {
            out.push(format!("  command  {c}"));
        }
        if b.action.is_some() && b.sources.is_empty() {
            out.push("  read     nothing before this action".into());
        }
        for s in &b.sources {
            out.push(format!("  read     {}", s.words()));
        }
        for c in &b.unknown_reads {
            out.push(format!("  ran      {c} (what it read cannot be known)"));
        }
        if b.matched_by == Some(Matched::LastWrite) {
            out.push(
                "  (the last action that wrote the file: no per-write content was recorded)".into(),
            );
        }
        if let Some(m) = &b.missing {
            out.push(format!("  {m}"));
        }
        out
    }
}

/// The line of `path` that `text` cites, when it names one: `name:N` or
/// `name#LN` after the file's name (a link may reach it by another folder,
/// `../docs/source.md#L3`).
pub fn cited_line(text: &str, path: &str) -> Option<usize> {
    let name = path.rsplit('/').next().filter(|n| !n.is_empty())?;
    for (i, _) in text.match_indices(name) {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || "_-.".contains(c)) {
            continue;
        }
        let rest = &text[i + name.len()..];
        let Some(number) = rest.strip_prefix(':').or_else(|| rest.strip_prefix("#L")) else {
            continue;
        };
        let digits: String = number.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<usize>()
            && n > 0
        {
            return Some(n);
        }
    }
    None
}
