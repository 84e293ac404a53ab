//! What the fronts may ask of a workspace, read-only: where it is, its
//! folded state, its policy, what opening it had to say, its checked-out
//! branch and head commit. (They never open the repository themselves.)

use std::path::Path;

use super::{Result, Workspace};
use crate::checkpoint;
use crate::config::{TasksConfig, WorkspaceConfig};
use crate::state::State;

impl Workspace {
    /// The root of the working tree.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The journal folded: turns, actions, sessions, sliders, checks.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The policy in force (as committed on the branch).
    pub fn config(&self) -> &WorkspaceConfig {
        &self.config
    }

    /// The tasks in force (as committed on the branch).
    pub fn tasks(&self) -> &TasksConfig {
        &self.tasks
    }

    /// What opening had to say: a torn line moved aside, recovered
    /// intents, interrupted turns, warnings.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The notices, handed over once (the console shows each once).
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// The journal lines folding could not use, handed over once.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.state.warnings)
    }

    /// The folded state, for tests that fold events of their own.
    #[cfg(test)]
    pub(crate) fn state_mut(&mut self) -> &mut State {
        &mut self.state
    }

    /// Why recovery could not finish; commands that change the
    /// repository refuse while this is not empty.
    pub fn blocked(&self) -> &[String] {
        &self.blocked
    }

    /// The checked-out branch; `None` on a detached HEAD.
    pub fn branch(&self) -> Result<Option<String>> {
        Ok(checkpoint::current_branch(&self.repo)?)
    }

    /// The head commit's id (hex); `None` before the first commit.
    pub fn head(&self) -> Result<Option<String>> {
        Ok(checkpoint::head_commit(&self.repo)?.map(|h| h.to_string()))
    }

    /// The branch and head as people read them: the branch's name or
    /// "(detached)", the head's short id or "(no commits)".
    pub fn branch_and_head_shown(&self) -> Result<(String, String)> {
        let branch = self.branch()?.unwrap_or_else(|| "(detached)".into());
        let head = self
            .head()?
            .map(|h| crate::model::short(&h).to_string())
            .unwrap_or_else(|| "(no commits)".into());
        Ok((branch, head))
    }
}
