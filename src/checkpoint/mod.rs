//! Git as leash's content store: worktrees of isolated turns, turn commits,
//! landing onto the branch with a safe checkout, and rollback by revert.
//! Nothing here deletes a commit, a branch or a file leash did not create.

mod land;
pub mod shadow;
mod worktree;

use std::sync::Once;

use git2::{Oid, Repository, Signature, Tree};

pub use land::{
    Prepared, WorkdirState, apply, force_paths, patch_text, prepare_land, prepare_revert,
    sync_index, workdir_state,
};
pub use worktree::{
    commit_worktree, create_worktree, create_worktree_with, prune_worktree, remove_worktree,
    worktree_diff, worktree_is_whole, worktree_name, worktree_patch,
};

/// Errors of git work, with the paths a person needs to act on.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "local edits would be overwritten; nothing was changed. Commit or stash these files first: {}",
        .0.join(", ")
    )]
    LocalEdits(Vec<String>),
    #[error("conflict in {}", .0.join(", "))]
    Conflict(Vec<String>),
    #[error(
        "{} exists: a git process is using the repository, or one was killed mid-write. \
         Nothing was changed. If no git or leash process is running, remove it: rm '{}'",
        .0.display(), .0.display()
    )]
    Locked(std::path::PathBuf),
    #[error("{0}")]
    Refused(String),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Switches libgit2's fsync on: its default writes are atomic but not
/// durable, and a landed turn must survive a power cut.
pub fn enable_fsync() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: git_libgit2_opts with ENABLE_FSYNC_GITDIR takes one int;
        // it is called once, before leash opens any repository.
        unsafe {
            libgit2_sys::init();
            libgit2_sys::git_libgit2_opts(libgit2_sys::GIT_OPT_ENABLE_FSYNC_GITDIR as i32, 1);
        }
    });
}

/// The signature leash commits with: the user's, else a clear stand-in.
pub fn signature(repo: &Repository) -> Signature<'static> {
    repo.signature()
        .map(|s| s.to_owned())
        .or_else(|_| Signature::now("leash", "leash@localhost"))
        .expect("a literal signature is valid")
}

/// The tree of a commit, or the empty tree for `None` (an unborn branch).
pub fn tree_of<'r>(repo: &'r Repository, commit: Option<Oid>) -> Result<Tree<'r>, git2::Error> {
    match commit {
        Some(oid) => repo.find_commit(oid)?.tree(),
        None => {
            let empty = repo.treebuilder(None)?.write()?;
            repo.find_tree(empty)
        }
    }
}

/// What a change between two trees amounts to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub files_changed: usize,
    pub insertions: usize,
    pub deletions: usize,
    /// Every path touched (old and new side), repo-relative, sorted.
    pub paths: Vec<String>,
}

/// One file's share of a change, as every count leash shows is made of:
/// a rename is one file (its old and new name), a binary file no lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCount {
    /// None for an added file.
    pub old_path: Option<String>,
    /// None for a deleted file.
    pub new_path: Option<String>,
    pub insertions: usize,
    pub deletions: usize,
}

impl FileCount {
    /// The name to show: `old → new` for a rename, else the one path.
    pub fn name(&self) -> String {
        match (&self.old_path, &self.new_path) {
            (Some(o), Some(n)) if o != n => format!("{o} → {n}"),
            (_, Some(p)) | (Some(p), None) => p.clone(),
            (None, None) => String::new(),
        }
    }
}

/// The diff of `old` → `new` as leash counts and shows it: type changes
/// kept, renames found by content (as the console's diff finds them).
pub fn tree_diff<'r>(
    repo: &'r Repository,
    old: &Tree<'_>,
    new: &Tree<'_>,
) -> Result<git2::Diff<'r>, git2::Error> {
    let mut opts = git2::DiffOptions::new();
    opts.include_typechange(true);
    let mut diff = repo.diff_tree_to_tree(Some(old), Some(new), Some(&mut opts))?;
    find_renames(&mut diff, false)?;
    Ok(diff)
}

/// Pairs deleted and added files of similar content into renames (the
/// added side may be untracked when the diff is of a working directory).
pub fn find_renames(diff: &mut git2::Diff<'_>, untracked: bool) -> Result<(), git2::Error> {
    diff.find_similar(Some(
        git2::DiffFindOptions::new()
            .renames(true)
            .for_untracked(untracked),
    ))
}

/// The one count of a diff: per file, its added and removed lines. The
/// journal's totals, `leash diff --stat` and the console all come from it.
pub fn file_counts(diff: &git2::Diff<'_>) -> Result<Vec<FileCount>, git2::Error> {
    let path = |f: git2::DiffFile<'_>| f.path().map(|p| p.to_string_lossy().into_owned());
    let mut out = Vec::with_capacity(diff.deltas().len());
    for (i, d) in diff.deltas().enumerate() {
        let (insertions, deletions) = match git2::Patch::from_diff(diff, i)? {
            Some(p) => {
                let (_, ins, del) = p.line_stats()?;
                (ins, del)
            }
            None => (0, 0),
        };
        let (old_path, new_path) = match d.status() {
            git2::Delta::Added | git2::Delta::Untracked => (None, path(d.new_file())),
            git2::Delta::Deleted => (path(d.old_file()), None),
            _ => (path(d.old_file()), path(d.new_file())),
        };
        out.push(FileCount {
            old_path,
            new_path,
            insertions,
            deletions,
        });
    }
    Ok(out)
}

/// Counts the change from `old` to `new`.
pub fn stats(repo: &Repository, old: &Tree<'_>, new: &Tree<'_>) -> Result<Stats, git2::Error> {
    let diff = tree_diff(repo, old, new)?;
    totals(&diff)
}

/// The totals of a diff's [`file_counts`], with every path it touches.
pub fn totals(diff: &git2::Diff<'_>) -> Result<Stats, git2::Error> {
    let files = file_counts(diff)?;
    let mut paths: Vec<String> = files
        .iter()
        .flat_map(|f| [f.old_path.clone(), f.new_path.clone()])
        .flatten()
        .collect();
    paths.sort();
    paths.dedup();
    Ok(Stats {
        files_changed: files.len(),
        insertions: files.iter().map(|f| f.insertions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
        paths,
    })
}

/// The branch HEAD points at (`main` for `refs/heads/main`), or `None`
/// when HEAD is detached.
pub fn current_branch(repo: &Repository) -> Result<Option<String>, git2::Error> {
    let head = repo.find_reference("HEAD")?;
    Ok(head
        .symbolic_target()?
        .and_then(|t| t.strip_prefix("refs/heads/"))
        .map(str::to_string))
}

/// The commit a branch points at; `None` while it is unborn.
pub fn branch_tip(repo: &Repository, branch: &str) -> Result<Option<Oid>, git2::Error> {
    match repo.find_reference(&format!("refs/heads/{branch}")) {
        Ok(r) => Ok(r.target()),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The commit HEAD resolves to, `None` when unborn.
pub fn head_commit(repo: &Repository) -> Result<Option<Oid>, git2::Error> {
    match repo.head() {
        Ok(h) => Ok(h.target()),
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The short form of a commit id, as people read it.
pub fn short(oid: &str) -> &str {
    &oid[..oid.len().min(8)]
}
