//! Diffs read off the console's thread: a handle of its own on the
//! workspace's repository (a repository handle may not be shared between
//! threads), which the console's worker keeps and asks for a turn's diff.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use crate::checkpoint::sides;
use crate::diff::{FileDiff, Limits};

/// A repository handle for reading diffs on another thread.
pub struct DiffReader {
    pub(super) repo: Option<Repository>,
    /// The journal as this thread last folded it, for blame (read only:
    /// never repaired or appended to from here).
    pub(super) journal: std::cell::RefCell<Option<(crate::journal::Journal, crate::state::State)>>,
}

impl DiffReader {
    /// A handle on the repository at `root`; one that cannot be opened
    /// answers each question with why.
    pub fn open(root: &Path) -> DiffReader {
        DiffReader {
            repo: Repository::open(root).ok(),
            journal: std::cell::RefCell::new(None),
        }
    }

    /// A turn's diff: its commit against its base, or, while it has no
    /// commit, its worktree as it stands against the base; nothing when it
    /// has neither.
    pub fn turn_diff(
        &self,
        base: Option<&str>,
        commit: Option<&str>,
        worktree: Option<&PathBuf>,
        limits: &Limits,
    ) -> Result<Vec<FileDiff>, String> {
        let parse = |s: Option<&str>| -> Result<Option<Oid>, String> {
            s.map(|s| Oid::from_str(s).map_err(|e| e.to_string()))
                .transpose()
        };
        let base = parse(base)?;
        match (parse(commit)?, worktree) {
            (Some(commit), _) => {
                let repo = self
                    .repo
                    .as_ref()
                    .ok_or("the workspace repository could not be opened")?;
                sides::diff_trees(repo, base, Some(commit), limits).map_err(|e| e.to_string())
            }
            (None, Some(wt)) if wt.join(".git").exists() => {
                let wt_repo = Repository::open(wt).map_err(|e| e.to_string())?;
                sides::diff_tree_to_workdir(&wt_repo, base, limits).map_err(|e| e.to_string())
            }
            _ => Ok(Vec::new()),
        }
    }
}

/// For a process that only shows what is in the repository and then exits
/// (`leash diff`): libgit2's re-hashing of every object it reads (which git
/// skips) doubles the cost of reading large blobs. The objects were written
/// by git or leash in this repository, and the check guards against on-disk
/// corruption, which a display cannot make worse: landing a turn (approve)
/// and every other command still read with verification on, and `git fsck`
/// is the tool for the repository's integrity. The setting is global to the
/// process, so nothing that changes the repository may run after it.
pub fn reads_only_to_display() {
    git2::opts::strict_hash_verification(false);
}
