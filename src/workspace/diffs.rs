//! Diffs read off the console's thread: a handle of its own on the
//! workspace's repository (a repository handle may not be shared between
//! threads), which the console's worker keeps and asks for a turn's diff.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use crate::checkpoint::sides;
use crate::diff::{FileDiff, Limits};
use crate::invariants::{self, Within};

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

    /// The first `limit` bytes of the file at repo-relative `path` as
    /// commit `commit` holds it, or, with no commit, as worktree `worktree`
    /// holds it now (a symbolic link on the way is not followed), and the
    /// file's whole size; `None` when it is not there.
    pub fn file_head(
        &self,
        commit: Option<&str>,
        worktree: Option<&PathBuf>,
        path: &str,
        limit: usize,
    ) -> Result<Option<(Vec<u8>, u64)>, String> {
        if !invariants::is_inside(path) {
            return Err(format!("{path}: not a path inside the workspace"));
        }
        if let Some(commit) = commit {
            let repo = self
                .repo
                .as_ref()
                .ok_or("the workspace repository could not be opened")?;
            let oid = Oid::from_str(commit).map_err(|e| e.to_string())?;
            let tree = repo
                .find_commit(oid)
                .and_then(|c| c.tree())
                .map_err(|e| e.to_string())?;
            let Ok(entry) = tree.get_path(Path::new(path)) else {
                return Ok(None);
            };
            let Ok(blob) = repo.find_blob(entry.id()) else {
                return Ok(None);
            };
            let bytes = blob.content();
            return Ok(Some((
                bytes[..bytes.len().min(limit)].to_vec(),
                bytes.len() as u64,
            )));
        }
        let Some(wt) = worktree else { return Ok(None) };
        let at = match invariants::within(wt, path) {
            Within::At(at) => at,
            Within::Missing => return Ok(None),
            Within::Link => return Err(format!("{path}: a symbolic link, not a file")),
            Within::Outside => return Err(format!("{path}: not a path inside the workspace")),
        };
        use std::io::Read;
        let f = std::fs::File::open(&at).map_err(|e| format!("{path}: {e}"))?;
        let size = f.metadata().map_err(|e| format!("{path}: {e}"))?.len();
        let mut bytes = Vec::new();
        f.take(limit as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{path}: {e}"))?;
        Ok(Some((bytes, size)))
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
