//! Blame through the facade: the journal's turns as the accounts
//! `provenance::blame` reads, a path as the operator typed it made
//! repository-relative, and the console's questions (a line of a turn's
//! diff, a source as the agent read it).

use std::path::{Component, Path, PathBuf};

use git2::{Oid, Repository};

use super::{Error, Result, Workspace};
use crate::journal::Journal;
use crate::model::TurnState;
use crate::provenance::blame::{
    self as pb, Accounts, ActionRecord, SourceRecord, TurnRecord, WriteRecord,
};
use crate::state::{State, Turn};

pub use crate::provenance::blame::{
    AccountFrom, LineBlame, Lines, Matched, NOTES_REF, Rollback, SourceBlame, cited_line,
    parse_target,
};

/// The journal's turns, as accounts for blame: a turn the state holds in
/// brief is read whole from its journal lines (blame needs every action).
pub struct Journaled<'a>(pub &'a Journal, pub &'a State);

impl Accounts for Journaled<'_> {
    fn journaled(&self, turn: &str, commit: &str) -> Option<TurnRecord> {
        let t = self.1.turn(turn)?;
        let made_it =
            t.landed_commit.as_deref() == Some(commit) || t.commit.as_deref() == Some(commit);
        if !made_it {
            return None;
        }
        let whole = self.0.whole_turn(self.1, turn).ok().flatten()?;
        Some(record_of(&whole))
    }
}

/// What blame needs of a journaled turn.
pub fn record_of(t: &Turn) -> TurnRecord {
    TurnRecord {
        id: t.id.clone(),
        agent: t.agent.clone(),
        model: t.model.clone(),
        prompt: t.prompt.clone(),
        task: t.task.clone(),
        command: t.command.as_ref().map(shell_words::join),
        title: t.title.clone(),
        rolled_back: t.state == TurnState::RolledBack,
        rolled_back_by: t.rollback_commit.clone(),
        actions: t
            .actions
            .iter()
            .map(|a| ActionRecord {
                id: a.id.clone(),
                tool: a.tool.clone(),
                summary: a.summary.clone(),
                sources: sources_of(a),
                unknown_reads: a.unknown_reads.clone(),
                paths_written: a.paths_written.clone(),
                written: a
                    .written
                    .iter()
                    .map(|w| WriteRecord {
                        path: w.path.clone(),
                        blob: w.blob.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// What an action read with its content: the sources whose text the agent
/// saw (not names in a listing, not a search's query), or, from a journal
/// older than sources, the paths it read without their content.
fn sources_of(a: &crate::state::ActionInfo) -> Vec<SourceRecord> {
    if a.sources.is_empty() {
        return a
            .paths_read
            .iter()
            .map(|p| SourceRecord {
                path: Some(p.clone()),
                ..Default::default()
            })
            .collect();
    }
    a.sources
        .iter()
        .filter(|s| s.seen.read() && (s.path.is_some() || s.url.is_some()))
        .map(|s| SourceRecord {
            path: s.path.clone(),
            blob: s.blob.clone(),
            url: s.url.clone(),
            hash: s.hash.clone(),
            read_at: (!s.read_at.is_empty()).then(|| s.read_at.clone()),
        })
        .collect()
}

/// `given` (as typed, relative to `cwd`) as a path inside the working tree
/// at `root`, `/`-separated; an error naming it when it lies outside.
pub fn repo_relative(root: &Path, cwd: &Path, given: &str) -> Result<String> {
    let abs = if Path::new(given).is_absolute() {
        PathBuf::from(given)
    } else {
        cwd.join(given)
    };
    let abs = std::path::absolute(&abs).unwrap_or(abs);
    let mut clean = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            c => clean.push(c),
        }
    }
    // Resolve the part that exists (a symlinked temp dir), keep the rest:
    // a file deleted from the checkout can still be blamed.
    let mut rest = Vec::new();
    let mut at = clean.clone();
    let clean = loop {
        if let Ok(real) = at.canonicalize() {
            break rest.iter().rev().fold(real, |p: PathBuf, c| p.join(c));
        }
        match (at.file_name().map(|n| n.to_os_string()), at.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                at = parent.to_path_buf();
            }
            _ => break clean,
        }
    };
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let rel = clean.strip_prefix(&root).map_err(|_| {
        Error::Refused(format!(
            "{given} is outside the repository ({}); leash blame reads its files",
            root.display()
        ))
    })?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        return Err(Error::Refused(format!(
            "{given} is the repository itself; name a file in it"
        )));
    }
    Ok(parts.join("/"))
}

fn blame_error(e: pb::BlameError) -> Error {
    match e {
        pb::BlameError::Git(g) => Error::from(g),
        other => Error::Refused(other.to_string()),
    }
}

impl Workspace {
    /// `leash blame`: the lines of `given` (a path as typed in `cwd`) on the
    /// branch, each with its commit, turn, action, prompt and sources.
    pub fn blame(&self, cwd: &Path, given: &str, lines: Option<Lines>) -> Result<Vec<LineBlame>> {
        let path = repo_relative(&self.root, cwd, given)?;
        pb::blame(
            &self.repo,
            &Journaled(&self.journal, &self.state),
            &path,
            lines,
        )
        .map_err(blame_error)
    }
}

impl super::DiffReader {
    /// The console's blame of one line of a turn's diff: `path` at `line`
    /// as commit `commit` (the turn's, or its base for a removed line)
    /// holds it, with the journal folded afresh.
    pub fn blame_line(
        &self,
        commit: &str,
        path: &str,
        line: usize,
    ) -> std::result::Result<LineBlame, String> {
        let repo = self
            .repo
            .as_ref()
            .ok_or("the workspace repository could not be opened")?;
        let mut journal = self.journal.borrow_mut();
        if journal.is_none() {
            // From the fold snapshot when there is one: a long history is
            // not folded again for one line.
            let path = repo.commondir().join("leash").join("journal.jsonl");
            let mut state = State::default();
            let j = if path.exists() {
                Journal::open(&path, &mut state, true)
                    .map_err(|e| e.to_string())?
                    .0
            } else {
                Journal::unopened(&path)
            };
            *journal = Some((j, state));
        }
        let (j, state) = journal.as_mut().expect("opened above");
        j.refresh(state).map_err(|e| e.to_string())?;
        line_at(repo, j, state, commit, path, line)
    }

    /// A source as the agent read it (see [`source_text`]).
    pub fn source(&self, path: &str, blob: &str) -> std::result::Result<SourceText, String> {
        let repo = self
            .repo
            .as_ref()
            .ok_or("the workspace repository could not be opened")?;
        source_text(repo, path, blob)
    }
}

/// One line blamed as commit `commit` holds `path`.
pub fn line_at(
    repo: &Repository,
    journal: &Journal,
    state: &State,
    commit: &str,
    path: &str,
    line: usize,
) -> std::result::Result<LineBlame, String> {
    let at = Oid::from_str(commit).map_err(|e| e.to_string())?;
    let one = Lines {
        first: line,
        last: line,
    };
    pb::blame_at(repo, &Journaled(journal, state), at, path, Some(one))
        .map_err(|e| e.to_string())?
        .pop()
        .ok_or_else(|| format!("{path}:{line}: git blame found no commit for this line"))
}

/// A file as one blob holds it, for the console to show a source as the
/// agent read it, and whether the branch holds it so now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    pub path: String,
    pub blob: String,
    pub lines: Vec<String>,
    /// True when the file on the branch now is not this blob.
    pub changed_since: bool,
}

/// Reads the blob `blob` of `path` (a source a turn read) and compares it
/// with the branch head's file.
pub fn source_text(
    repo: &Repository,
    path: &str,
    blob: &str,
) -> std::result::Result<SourceText, String> {
    let oid = Oid::from_str(blob).map_err(|e| format!("{blob}: not a blob id ({e})"))?;
    let b = repo.find_blob(oid).map_err(|_| {
        format!(
            "{path}: the content read ({}) is not in this repository",
            crate::model::short(blob)
        )
    })?;
    let text = String::from_utf8_lossy(b.content());
    let now = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_tree().ok())
        .and_then(|t| t.get_path(Path::new(path)).ok().map(|e| e.id()));
    Ok(SourceText {
        path: path.to_string(),
        blob: blob.to_string(),
        lines: text.lines().map(str::to_string).collect(),
        changed_since: now != Some(oid),
    })
}

#[cfg(test)]
mod tests {
    use super::repo_relative;
    use std::path::Path;

    #[test]
    fn paths_are_made_repository_relative_or_refused() {
        let root = Path::new("/nonexistent/repo");
        let sub = root.join("docs");
        assert_eq!(repo_relative(root, root, "a.md").unwrap(), "a.md");
        assert_eq!(repo_relative(root, &sub, "x/b.md").unwrap(), "docs/x/b.md");
        assert_eq!(repo_relative(root, &sub, "../c.md").unwrap(), "c.md");
        assert_eq!(
            repo_relative(root, &sub, "/nonexistent/repo/d.md").unwrap(),
            "d.md"
        );
        let e = repo_relative(root, root, "../../etc/passwd").unwrap_err();
        assert!(e.to_string().contains("outside the repository"), "{e}");
        assert!(repo_relative(root, root, ".").is_err());
    }
}
