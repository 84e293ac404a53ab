//! What an action read and wrote, with the content: its provenance,
//! computed from the turn's tree when the action is done (for the hook gate
//! and the stream observer alike).

use std::path::{Path, PathBuf};

use serde_json::Value;

use git2::Oid;

use super::{Result, Workspace};
use crate::agents::adapter::ToolUse;
use crate::provenance::stale::{self, Changed};
use crate::provenance::{Provenance, capture};
use crate::state::Turn;

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

    /// The files `turn` read that changed on its branch between its base
    /// and `head`, each with the commit (and turn) that changed it.
    pub(super) fn stale_reads(&self, turn: &Turn, head: Oid) -> Result<Vec<Changed>> {
        let base = turn.base.as_deref().map(Oid::from_str).transpose()?;
        let read = stale::files_read(turn.actions.iter().flat_map(|a| &a.sources));
        Ok(stale::changed_since(&self.repo, base, head, &read)?)
    }
}
