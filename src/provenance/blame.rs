//! `leash blame`: for each line of a file on the branch, the commit that
//! last changed it (git blame from the branch head), the leash turn of that
//! commit (its `Leash-Turn` trailer), the action of the turn that wrote the
//! line, that action's prompt, and the sources the turn read *before* that
//! action, each with the content the agent saw and whether the file has
//! changed on the branch since.
//!
//! | the line's commit | what blame says |
//! | --- | --- |
//! | no `Leash-*` trailer | "not a leash turn", with the commit's author |
//! | `Leash-Turn: tN`, the journal's tN landed as it | the journal's account |
//! | `Leash-Turn: tN`, the journal lacks it (a fresh clone) | the commit's note under `refs/notes/leash` |
//! | `Leash-Reverts: tN` | the line was put back by the rollback of tN |
//! | a turn since rolled back (a line its rollback left) | the turn, and the rollback's commit |
//!
//! The action is found by content when the account keeps the blob each
//! write left ([`WriteRecord`]): the writes of the path are replayed from the
//! commit's parent, line by line, and each line is owned by the write that
//! last brought it in. Without blobs it is the last action that wrote the
//! path, and the answer says so (`matched_by`).
//!
//! This module reads git and the accounts handed to it; the workspace
//! builds those accounts from the journal (see `workspace/blame.rs`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use git2::{BlameOptions, Commit, Oid, Repository};

mod note;
mod words;

pub use note::{NOTE_SCHEMA, NOTES_REF, from_note, note_record};
use serde::{Deserialize, Serialize};
pub use words::{cited_line, parse_target};

/// Lines of a file, 1-based and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lines {
    pub first: usize,
    pub last: usize,
}

/// What leash knows of one turn, from the journal or a note: what blame
/// needs of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnRecord {
    pub id: String,
    pub agent: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub task: Option<String>,
    /// The command a turn ran instead of an agent with a prompt.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub title: String,
    /// Whether the turn was rolled back since it landed.
    #[serde(default)]
    pub rolled_back: bool,
    /// The commit that rolled it back, when there is one.
    #[serde(default)]
    pub rolled_back_by: Option<String>,
    /// The turn's actions, in the order they were asked for.
    #[serde(default)]
    pub actions: Vec<ActionRecord>,
}

/// One action of a turn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub id: String,
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub summary: String,
    /// What it read (a path with no blob where the content was not kept).
    #[serde(default)]
    pub sources: Vec<SourceRecord>,
    /// Shell commands it ran whose reads cannot be known.
    #[serde(default)]
    pub unknown_reads: Vec<String>,
    /// The paths it wrote, as the stream or hook named them.
    #[serde(default)]
    pub paths_written: Vec<String>,
    /// What each write left, when kept.
    #[serde(default)]
    pub written: Vec<WriteRecord>,
}

/// One source an action read: a path (with the blob of what the agent
/// saw) or a URL (with the hash of what it was sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub blob: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub hash: Option<String>,
    #[serde(default)]
    pub read_at: Option<String>,
}

/// What one write left at a path: its blob, `None` when it deleted it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    pub path: String,
    #[serde(default)]
    pub blob: Option<String>,
}

/// Finds the journal's account of a turn.
pub trait Accounts {
    /// The account of turn `turn` when the journal's turn of that id is
    /// the one that made `commit` (landed as it, or is its turn commit);
    /// another repository's journal may use the same id for another turn.
    fn journaled(&self, turn: &str, commit: &str) -> Option<TurnRecord>;
}

/// Where a turn's account came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountFrom {
    Journal,
    Note,
}

/// How the action that wrote a line was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Matched {
    /// By content: the write whose blob first held the line as it is.
    Content,
    /// The last action of the turn that wrote the path (no blobs kept).
    LastWrite,
}

/// What a rollback has to do with a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollback {
    /// The turn rolled back.
    pub turn: String,
    /// The rollback's commit, when known.
    pub commit: Option<String>,
    /// True when the rollback put this line back (the line's commit is the
    /// rollback); false when the line's turn was rolled back since and the
    /// line stayed.
    pub restored: bool,
}

/// A source read before the action that wrote a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceBlame {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    pub read_at: Option<String>,
    /// Whether the file on the branch now differs from what the agent
    /// read; `None` when that cannot be told (a URL, no blob kept, a path
    /// outside the repository).
    pub changed_since: Option<bool>,
    /// The action that read it.
    pub by: String,
}

/// One line, blamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineBlame {
    pub path: String,
    pub line: usize,
    pub text: String,
    pub commit: String,
    /// The commit's author, `Name <email>`.
    pub author: String,
    /// Whether the commit carries leash's trailers.
    pub leash: bool,
    pub turn: Option<String>,
    pub action: Option<String>,
    pub tool: Option<String>,
    pub summary: Option<String>,
    pub matched_by: Option<Matched>,
    pub agent: Option<String>,
    pub model: Option<String>,
    pub prompt: Option<String>,
    pub task: Option<String>,
    pub command: Option<String>,
    pub sources: Vec<SourceBlame>,
    /// Commands run before the action whose reads cannot be known: the
    /// sources may be more than those listed.
    pub unknown_reads: Vec<String>,
    pub account: Option<AccountFrom>,
    pub rollback: Option<Rollback>,
    /// The file's path and line in the commit, when they differ (renamed,
    /// moved down).
    pub orig_path: String,
    pub orig_line: usize,
    /// What could not be found out, in a sentence.
    pub missing: Option<String>,
}

/// Why a file could not be blamed.
#[derive(Debug, thiserror::Error)]
pub enum BlameError {
    #[error("the branch has no commit yet: there is nothing to blame")]
    Unborn,
    #[error(
        "{path} is not in the branch's last commit ({head}); leash blame reads committed lines — commit it, or name a committed file"
    )]
    NotCommitted { path: String, head: String },
    #[error("{path} is not a text file in {head}; leash blame reads lines of text")]
    NotText { path: String, head: String },
    #[error("{path} has {count} line{} in {head}; lines {first}-{last} were asked for", if *count == 1 { "" } else { "s" })]
    OutOfRange {
        path: String,
        head: String,
        count: usize,
        first: usize,
        last: usize,
    },
    #[error("{0}")]
    Git(#[from] git2::Error),
}

/// The trailers of a commit that blame reads.
#[derive(Debug, Clone, Default)]
struct CommitFacts {
    author: String,
    turn: Option<String>,
    reverts: Option<String>,
    agent: Option<String>,
    model: Option<String>,
    parent: Option<Oid>,
}

fn facts(commit: &Commit) -> CommitFacts {
    let a = commit.author();
    let mut f = CommitFacts {
        author: format!(
            "{} <{}>",
            String::from_utf8_lossy(a.name_bytes()),
            String::from_utf8_lossy(a.email_bytes())
        ),
        parent: commit.parent_id(0).ok(),
        ..Default::default()
    };
    let message = String::from_utf8_lossy(commit.message_bytes());
    if let Ok(trailers) = git2::message_trailers_strs(&message) {
        for (key, value) in trailers.iter() {
            let value = value.trim().to_string();
            match key {
                "Leash-Turn" if crate::model::is_turn_id(&value) => f.turn = Some(value),
                "Leash-Reverts" if crate::model::is_turn_id(&value) => f.reverts = Some(value),
                "Leash-Agent" => f.agent = Some(value),
                // `Assisted-by: <agent>:<model>`, the kernel's convention.
                // `unknown` is what the trailer says when no stream named one.
                "Assisted-by" => {
                    f.model = value
                        .split_once(':')
                        .map(|(_, m)| m.trim().to_string())
                        .filter(|m| !m.is_empty() && m != "unknown")
                }
                _ => {}
            }
        }
    }
    f
}

/// A blob's text as lines (without their line ends).
fn lines_of(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split_inclusive('\n')
        .map(|l| l.trim_end_matches('\n').trim_end_matches('\r').to_string())
        .collect()
}

fn blob_lines(repo: &Repository, id: &str) -> Option<Vec<String>> {
    let oid = Oid::from_str(id).ok()?;
    repo.find_blob(oid).ok().map(|b| lines_of(b.content()))
}

fn file_in(repo: &Repository, commit: Oid, path: &str) -> Option<Oid> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    tree.get_path(std::path::Path::new(path))
        .ok()
        .filter(|e| e.kind() == Some(git2::ObjectType::Blob))
        .map(|e| e.id())
}

/// Per line of a file as a commit holds it, the index of the action that
/// wrote it (`None`: no recorded write explains it), and how that was found.
type Owners = (Vec<Option<usize>>, Option<Matched>);

/// The [`Owners`] of `path`'s lines in `commit`.
fn owners(
    repo: &Repository,
    facts: &CommitFacts,
    commit: Oid,
    path: &str,
    record: &TurnRecord,
) -> Owners {
    let Some(final_blob) = file_in(repo, commit, path) else {
        return (Vec::new(), None);
    };
    let final_lines = blob_lines(repo, &final_blob.to_string()).unwrap_or_default();
    let writes: Vec<(usize, Option<&str>)> = record
        .actions
        .iter()
        .enumerate()
        .flat_map(|(i, a)| {
            a.written
                .iter()
                .filter(|w| w.path == path)
                .map(move |w| (i, w.blob.as_deref()))
        })
        .collect();
    if writes.is_empty() {
        let last = record
            .actions
            .iter()
            .rposition(|a| a.paths_written.iter().any(|p| p == path));
        return match last {
            Some(i) => (vec![Some(i); final_lines.len()], Some(Matched::LastWrite)),
            None => (vec![None; final_lines.len()], None),
        };
    }
    let mut prev: Vec<String> = facts
        .parent
        .and_then(|p| file_in(repo, p, path))
        .and_then(|b| blob_lines(repo, &b.to_string()))
        .unwrap_or_default();
    let mut owner: Vec<Option<usize>> = vec![None; prev.len()];
    for (i, blob) in writes {
        let next = match blob {
            None => Vec::new(),
            Some(b) if b == final_blob.to_string() => final_lines.clone(),
            Some(b) => match blob_lines(repo, b) {
                Some(l) => l,
                // Content not kept: what this write brought in is unknown.
                None => continue,
            },
        };
        owner = carry(&prev, &next, &owner, Some(i));
        prev = next;
    }
    owner = carry(&prev, &final_lines, &owner, None);
    (owner, Some(Matched::Content))
}

/// The owners of `new`'s lines: those of `old`'s equal lines, `by` for the
/// rest.
fn carry(
    old: &[String],
    new: &[String],
    owner: &[Option<usize>],
    by: Option<usize>,
) -> Vec<Option<usize>> {
    let deadline = Instant::now() + Duration::from_secs(2);
    let ops =
        similar::capture_diff_slices_deadline(similar::Algorithm::Myers, old, new, Some(deadline));
    let mut out = vec![by; new.len()];
    for op in ops {
        if let similar::DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for k in 0..len {
                out[new_index + k] = owner.get(old_index + k).copied().flatten();
            }
        }
    }
    out
}

/// Blames `path` (repository-relative) as the branch head holds it, the
/// lines asked for or all of them.
pub fn blame(
    repo: &Repository,
    accounts: &dyn Accounts,
    path: &str,
    lines: Option<Lines>,
) -> Result<Vec<LineBlame>, BlameError> {
    let head = match repo.head() {
        Ok(h) => h.peel_to_commit()?,
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            return Err(BlameError::Unborn);
        }
        Err(e) => return Err(e.into()),
    };
    blame_at(repo, accounts, head.id(), path, lines)
}

/// Blames `path` as commit `at` holds it (a turn's commit, for the console's
/// Diff tab); sources are compared with the branch head.
pub fn blame_at(
    repo: &Repository,
    accounts: &dyn Accounts,
    at: Oid,
    path: &str,
    lines: Option<Lines>,
) -> Result<Vec<LineBlame>, BlameError> {
    let short_at = crate::model::short(&at.to_string()).to_string();
    let blob = file_in(repo, at, path).ok_or_else(|| BlameError::NotCommitted {
        path: path.to_string(),
        head: short_at.clone(),
    })?;
    let content = repo.find_blob(blob)?;
    if content.is_binary() {
        return Err(BlameError::NotText {
            path: path.to_string(),
            head: short_at,
        });
    }
    let text = lines_of(content.content());
    let (first, last) = match lines {
        Some(l) if l.last > text.len() => {
            return Err(BlameError::OutOfRange {
                path: path.to_string(),
                head: short_at,
                count: text.len(),
                first: l.first,
                last: l.last,
            });
        }
        Some(l) => (l.first, l.last),
        None if text.is_empty() => return Ok(Vec::new()),
        None => (1, text.len()),
    };
    let mut opts = BlameOptions::new();
    opts.newest_commit(at).min_line(first).max_line(last);
    let blamed = repo.blame_file(std::path::Path::new(path), Some(&mut opts))?;
    let head_tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let mut ctx = Context {
        repo,
        accounts,
        head_tree,
        commits: HashMap::new(),
        records: HashMap::new(),
        owners: HashMap::new(),
        now: HashMap::new(),
    };
    let mut out = Vec::new();
    for n in first..=last {
        let Some(hunk) = blamed.get_line(n) else {
            continue;
        };
        let offset = n - hunk.final_start_line();
        let orig_path = hunk
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string());
        let line = ctx.line(
            hunk.orig_commit_id(),
            path,
            n,
            &text[n - 1],
            &orig_path,
            hunk.orig_start_line() + offset,
        );
        out.push(line);
    }
    Ok(out)
}

/// What one blame has read so far, kept to answer each line once per
/// commit.
struct Context<'a> {
    repo: &'a Repository,
    accounts: &'a dyn Accounts,
    head_tree: Option<git2::Tree<'a>>,
    commits: HashMap<Oid, CommitFacts>,
    records: HashMap<Oid, Option<(TurnRecord, AccountFrom)>>,
    owners: HashMap<(Oid, String), Owners>,
    now: HashMap<String, Option<Oid>>,
}

impl Context<'_> {
    fn facts(&mut self, commit: Oid) -> CommitFacts {
        let repo = self.repo;
        self.commits
            .entry(commit)
            .or_insert_with(|| {
                repo.find_commit(commit)
                    .map(|c| facts(&c))
                    .unwrap_or_default()
            })
            .clone()
    }

    fn record(&mut self, commit: Oid, turn: &str) -> Option<(TurnRecord, AccountFrom)> {
        let (repo, accounts) = (self.repo, self.accounts);
        self.records
            .entry(commit)
            .or_insert_with(|| {
                accounts
                    .journaled(turn, &commit.to_string())
                    .map(|r| (r, AccountFrom::Journal))
                    .or_else(|| {
                        note_record(repo, commit)
                            .filter(|r| r.id == turn)
                            .map(|r| (r, AccountFrom::Note))
                    })
            })
            .clone()
    }

    /// The blob of `path` on the branch now.
    fn now(&mut self, path: &str) -> Option<Oid> {
        let tree = self.head_tree.as_ref();
        *self.now.entry(path.to_string()).or_insert_with(|| {
            tree.and_then(|t| t.get_path(std::path::Path::new(path)).ok())
                .map(|e| e.id())
        })
    }

    fn line(
        &mut self,
        commit: Oid,
        path: &str,
        n: usize,
        text: &str,
        orig_path: &str,
        orig_line: usize,
    ) -> LineBlame {
        let f = self.facts(commit);
        let mut b = LineBlame {
            path: path.to_string(),
            line: n,
            text: text.to_string(),
            commit: commit.to_string(),
            author: f.author.clone(),
            leash: f.turn.is_some() || f.reverts.is_some() || f.agent.is_some(),
            turn: f.turn.clone(),
            action: None,
            tool: None,
            summary: None,
            matched_by: None,
            agent: f.agent.clone(),
            model: f.model.clone(),
            prompt: None,
            task: None,
            command: None,
            sources: Vec::new(),
            unknown_reads: Vec::new(),
            account: None,
            rollback: None,
            orig_path: orig_path.to_string(),
            orig_line,
            missing: None,
        };
        if let Some(reverted) = &f.reverts {
            b.rollback = Some(Rollback {
                turn: reverted.clone(),
                commit: Some(commit.to_string()),
                restored: true,
            });
            return b;
        }
        let Some(turn) = f.turn.clone() else {
            if !b.leash {
                b.missing = Some("not a leash turn".into());
            }
            return b;
        };
        let Some((record, from)) = self.record(commit, &turn) else {
            b.missing = Some(format!(
                "{turn} is not in this journal and the commit has no note under {NOTES_REF} (fetch the notes: `git fetch origin {NOTES_REF}:{NOTES_REF}`)"
            ));
            return b;
        };
        b.account = Some(from);
        if !record.agent.is_empty() {
            b.agent = Some(record.agent.clone());
        }
        b.model = record.model.clone().or(b.model);
        b.prompt = record.prompt.clone();
        b.task = record.task.clone();
        b.command = record.command.clone();
        b.rollback = record.rolled_back.then(|| Rollback {
            turn: turn.clone(),
            commit: record.rolled_back_by.clone(),
            restored: false,
        });
        let key = (commit, orig_path.to_string());
        if !self.owners.contains_key(&key) {
            let owners = owners(self.repo, &f, commit, orig_path, &record);
            self.owners.insert(key.clone(), owners);
        }
        let (owners, matched) = &self.owners[&key];
        let Some(i) = owners.get(orig_line - 1).copied().flatten() else {
            b.missing = Some(format!(
                "no action of {turn} is recorded writing this line (a shell command may have)"
            ));
            return b;
        };
        let matched = *matched;
        let action = &record.actions[i];
        b.action = Some(action.id.clone());
        b.tool = Some(action.tool.clone());
        b.summary = Some(action.summary.clone());
        b.matched_by = matched;
        let mut seen: Vec<(Option<String>, Option<String>, Option<String>)> = Vec::new();
        for earlier in &record.actions[..i] {
            b.unknown_reads
                .extend(earlier.unknown_reads.iter().cloned());
            for s in &earlier.sources {
                let id = (
                    s.path.clone(),
                    s.url.clone(),
                    s.blob.clone().or(s.hash.clone()),
                );
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                let changed_since = match (&s.path, &s.blob) {
                    (Some(p), Some(blob)) if !p.starts_with('/') => {
                        Some(self.now(p).map(|o| o.to_string()).as_deref() != Some(blob.as_str()))
                    }
                    _ => None,
                };
                b.sources.push(SourceBlame {
                    path: s.path.clone(),
                    url: s.url.clone(),
                    blob: s.blob.clone(),
                    hash: s.hash.clone(),
                    read_at: s.read_at.clone(),
                    changed_since,
                    by: earlier.id.clone(),
                });
            }
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_into_path_and_lines() {
        let none = |_: &str| false;
        assert_eq!(parse_target("a.md", none).unwrap(), ("a.md".into(), None));
        assert_eq!(
            parse_target("docs/a.md:3", none).unwrap(),
            ("docs/a.md".into(), Some(Lines { first: 3, last: 3 }))
        );
        assert_eq!(
            parse_target("a.md:2-5", none).unwrap(),
            ("a.md".into(), Some(Lines { first: 2, last: 5 }))
        );
        // Not a range: the whole name.
        assert_eq!(parse_target("a:b", none).unwrap(), ("a:b".into(), None));
        assert_eq!(parse_target("a.md:", none).unwrap(), ("a.md:".into(), None));
        // A file named so is taken whole.
        assert_eq!(
            parse_target("notes:3", |p| p == "notes:3").unwrap(),
            ("notes:3".into(), None)
        );
        let e = parse_target("a.md:0", none).unwrap_err();
        assert!(e.contains("numbered from 1"), "{e}");
        let e = parse_target("a.md:5-2", none).unwrap_err();
        assert!(e.contains("ends before it starts"), "{e}");
        assert!(parse_target("", none).is_err());
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_line_belongs_to_the_write_that_last_brought_it_in() {
        // Base → write 0 → write 1 (which rewrites the middle line).
        let base = strings(&["a", "b"]);
        let w0 = strings(&["a", "b", "c", "d"]);
        let w1 = strings(&["a", "B", "c", "d"]);
        let owner = vec![None; 2];
        let owner = carry(&base, &w0, &owner, Some(0));
        assert_eq!(owner, [None, None, Some(0), Some(0)]);
        let owner = carry(&w0, &w1, &owner, Some(1));
        assert_eq!(owner, [None, Some(1), Some(0), Some(0)]);
        // Lines in the commit that no write explains have no owner.
        let commit = strings(&["a", "B", "c", "d", "e"]);
        let owner = carry(&w1, &commit, &owner, None);
        assert_eq!(owner, [None, Some(1), Some(0), Some(0), None]);
    }

    #[test]
    fn a_note_reads_as_a_turn_account() {
        // The record README.md's "Notes that travel" documents.
        let note = serde_json::json!({
        "schema": "leash.note/1", "turn": "t4", "agent": "claude", "model": "m-1",
        "prompt": "cite it", "actions": [
            {"id": "t4.a1", "tool": "Read", "reads": ["docs/s.md"], "sources": [
                {"path": "docs/s.md", "blob": "abc", "read_at": "2026-01-01T00:00:00Z"},
                {"path": "docs", "seen": "listing", "read_at": "2026-01-01T00:00:00Z"}]},
            {"id": "t4.a2", "tool": "Write", "writes": ["out.md"],
             "written": [{"path": "out.md", "blob": "def"}]},
            {"id": "t4.a3", "tool": "Grep", "reads": ["a.md"]}
        ]});
        let r = from_note(&note).unwrap();
        assert_eq!((r.id.as_str(), r.agent.as_str()), ("t4", "claude"));
        assert_eq!(r.model.as_deref(), Some("m-1"));
        assert_eq!(r.actions[0].sources.len(), 1, "a listing is no read");
        assert_eq!(r.actions[0].sources[0].blob.as_deref(), Some("abc"));
        assert_eq!(r.actions[1].written[0].path, "out.md");
        assert_eq!(r.actions[1].paths_written, ["out.md"]);
        assert_eq!(r.actions[2].sources[0].path.as_deref(), Some("a.md"));
        assert_eq!(r.actions[2].sources[0].blob, None);
        // Another kind of record is not read.
        let mut other = note.clone();
        other["schema"] = serde_json::json!("leash.note/2");
        assert!(from_note(&other).is_none());
        // A note that names no turn (or a forged id) is no account.
        assert!(from_note(&serde_json::json!({"turn": "t4; rm -rf"})).is_none());
        assert!(from_note(&serde_json::json!({})).is_none());
    }

    #[test]
    fn a_cited_line_is_found_after_the_file_s_name() {
        let p = "docs/source.md";
        assert_eq!(cited_line("see docs/source.md:12 for it", p), Some(12));
        assert_eq!(cited_line("[x](../docs/source.md#L7-L9)", p), Some(7));
        assert_eq!(cited_line("`source.md:3`", p), Some(3));
        assert_eq!(cited_line("[the source](../docs/source.md)", p), None);
        assert_eq!(cited_line("opensource.md:4", p), None);
        assert_eq!(cited_line("source.md:0 then source.md:2", p), Some(2));
    }

    #[test]
    fn lines_drop_their_ends() {
        assert_eq!(lines_of(b"a\r\nb\nc"), ["a", "b", "c"]);
        assert!(lines_of(b"").is_empty());
    }
}
