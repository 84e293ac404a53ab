//! Where the workspace stands: its checked-out branch and head commit, for
//! the fronts (which never open the repository themselves).

use super::{Result, Workspace};
use crate::checkpoint;

impl Workspace {
    /// The checked-out branch; `None` on a detached HEAD.
    pub fn branch(&self) -> Result<Option<String>> {
        Ok(checkpoint::current_branch(&self.repo)?)
    }

    /// The head commit's id (hex); `None` before the first commit.
    pub fn head(&self) -> Result<Option<String>> {
        Ok(checkpoint::head_commit(&self.repo)?.map(|h| h.to_string()))
    }
}
