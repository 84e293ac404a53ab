//! What an action read and wrote, with the content: its provenance,
//! computed from the turn's tree when the action is done (for the hook gate
//! and the stream observer alike).

use std::path::{Path, PathBuf};

use serde_json::Value;

use git2::Oid;

use super::{Result, Workspace};
use crate::agents::adapter::ToolUse;
use crate::invariants::{Citation, Require, TurnSources, check_citations};
use crate::provenance::stale::{self, Changed};
use crate::provenance::{Provenance, Seen, capture};
use crate::state::{ActionInfo, Turn};

impl Workspace {
    /// The turn's tree: an isolated turn's worktree, else the checkout.
    pub(super) fn turn_tree(&self, turn: &str) -> PathBuf {
        self.state
            .turn(turn)
            .and_then(|t| t.worktree.clone())
            .map(PathBuf::from)
            .filter(|w| w.is_dir())
            .unwrap_or_else(|| self.root.clone())
    }

    /// The provenance of `tool`, done now in `turn`: relative paths start
    /// at `cwd` (the tree when the agent does not say), `response` is the
    /// tool's result when it is known whole.
    pub(super) fn provenance_of(
        &self,
        turn: &str,
        tool: &ToolUse,
        cwd: Option<&Path>,
        response: Option<&Value>,
    ) -> Provenance {
        let root = self.turn_tree(turn);
        let tree = capture::Tree {
            root: &root,
            cwd: cwd.unwrap_or(&root),
            repo: Some(&self.repo),
        };
        let action = capture::Action {
            tool: &tool.tool,
            input: Some(&tool.input),
            paths_read: &tool.paths_read,
            paths_written: &tool.paths_written,
            urls: &tool.urls,
            commands: &tool.commands,
            response,
        };
        capture::capture(&tree, &action, &crate::journal::now())
    }

    /// Every action of `turn`, read whole from the journal when the state
    /// holds the turn in brief (its done actions left out).
    fn all_actions<'a>(&'a self, turn: &'a Turn) -> std::borrow::Cow<'a, [ActionInfo]> {
        match self.whole_turn(&turn.id) {
            Ok(std::borrow::Cow::Owned(whole)) => std::borrow::Cow::Owned(whole.actions),
            _ => std::borrow::Cow::Borrowed(&turn.actions),
        }
    }

    /// The files `turn` read that changed on its branch between its base
    /// and `head`, each with the commit (and turn) that changed it.
    pub(super) fn stale_reads(&self, turn: &Turn, head: Oid) -> Result<Vec<Changed>> {
        let base = turn.base.as_deref().map(Oid::from_str).transpose()?;
        let actions = self.all_actions(turn);
        let read = stale::files_read(actions.iter().flat_map(|a| &a.sources));
        Ok(stale::changed_since(&self.repo, base, head, &read)?)
    }

    /// What `turn` read and added, for checking its citations: the lines
    /// its `commit` added over its base, the files, folders and URLs it
    /// read (and the files it wrote), and the files read that changed on
    /// its branch since its base.
    pub(super) fn turn_sources(&self, turn: &Turn, commit: Oid) -> Result<TurnSources> {
        let mut src = TurnSources::default();
        let base = turn.base.as_deref().map(Oid::from_str).transpose()?;
        let old = base.map(|b| self.repo.find_commit(b)?.tree()).transpose()?;
        let new = self.repo.find_commit(commit)?.tree()?;
        let diff = self
            .repo
            .diff_tree_to_tree(old.as_ref(), Some(&new), None)?;
        diff.foreach(
            &mut |_, _| true,
            None,
            None,
            Some(&mut |delta, _, line| {
                if line.origin() == '+'
                    && let (Some(path), Some(n)) = (delta.new_file().path(), line.new_lineno())
                {
                    let path = path.to_string_lossy().replace('\\', "/");
                    src.added.entry(path).or_default().insert(n);
                }
                true
            }),
        )?;
        for a in self.all_actions(turn).iter() {
            for s in &a.sources {
                match (&s.path, &s.url) {
                    (Some(p), _) if p.starts_with('/') => {}
                    (Some(p), _) if s.seen.read() && s.blob.is_some() => {
                        src.read.insert(p.clone());
                    }
                    (Some(p), _) if s.blob.is_none() && s.seen == Seen::Listing => {
                        src.read.insert(p.clone());
                    }
                    (None, Some(u)) if s.seen.read() => {
                        src.urls.insert(u.clone());
                    }
                    _ => {}
                }
            }
            src.read.extend(a.written.iter().map(|w| w.path.clone()));
        }
        // An in-place turn's base is a snapshot of the checkout, not a
        // commit of its branch: there is no "since" to compare with.
        let head = turn
            .branch
            .as_deref()
            .filter(|_| turn.kind == crate::model::TurnKind::Isolated)
            .and_then(|b| crate::checkpoint::branch_tip(&self.repo, b).ok().flatten());
        if let Some(head) = head {
            for c in self.stale_reads(turn, head)? {
                src.stale.insert(c.path.clone(), c.how());
            }
        }
        Ok(src)
    }

    /// The unread and stale sources `turn`'s commit cites, checked in the
    /// tree at `dir` (its worktree, or the commit written out).
    pub(super) fn citations_of(&self, dir: &Path, sources: &TurnSources) -> Vec<Citation> {
        let today = chrono::Local::now().date_naive();
        check_citations(dir, &[String::new()], Require::Read, sources, today).unwrap_or_default()
    }

    /// After `landed` moved `branch`: the turns waiting on it whose
    /// citations now read differently (a source they read changed) get
    /// them journaled again, so the review sees the stale sources. A check
    /// that cannot run is told as a notice; it never fails the landing.
    pub(super) fn recheck_sources(&mut self, branch: &str, landed: &str) {
        let waiting: Vec<Turn> = self
            .state
            .turns()
            .iter()
            .filter(|t| {
                t.id != landed
                    && t.state == crate::model::TurnState::AwaitingReview
                    && t.kind == crate::model::TurnKind::Isolated
                    && t.branch.as_deref() == Some(branch)
                    && t.commit.is_some()
                    && self.all_actions(t).iter().any(|a| !a.sources.is_empty())
            })
            .cloned()
            .collect();
        let mut events = Vec::new();
        for t in waiting {
            match self.citations_now(&t) {
                Ok(citations) if citations != t.citations => {
                    events.push(crate::event::Event::SourcesChecked {
                        turn: t.id.clone(),
                        citations,
                    });
                }
                Ok(_) => {}
                Err(e) => self.notices.push(format!(
                    "could not check again what {} cites after {landed} landed: {e}",
                    t.id
                )),
            }
        }
        if !events.is_empty()
            && let Err(e) = self.append(events)
        {
            self.notices
                .push(format!("could not journal the sources checked again: {e}"));
        }
    }

    /// A waiting turn's unread and stale sources as of its branch now.
    fn citations_now(&self, t: &Turn) -> Result<Vec<Citation>> {
        let commit = Oid::from_str(t.commit.as_deref().unwrap_or_default())?;
        let sources = self.turn_sources(t, commit)?;
        let worktree = t.worktree.as_deref().map(Path::new).filter(|w| w.is_dir());
        Ok(match worktree {
            Some(w) => self.citations_of(w, &sources),
            None => {
                let dir = self.written_out(Some(commit), "leash-cites-")?;
                self.citations_of(dir.path(), &sources)
            }
        })
    }
}
