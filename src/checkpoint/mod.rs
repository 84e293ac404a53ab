//! Git as leash's content store: worktrees of isolated turns, turn commits,
//! landing onto the branch with a safe checkout, and rollback by revert.
//! Nothing here deletes a commit, a branch or a file leash did not create.

mod land;
mod partial;
pub mod shadow;
pub mod sides;
mod worktree;

use std::sync::Once;

use git2::{Oid, Repository, Signature, Tree};

pub use land::{
    Prepared, WorkdirState, apply, force_paths, patch_text, prepare_land, prepare_revert,
    sync_index, workdir_state,
};
pub use partial::{Split, split_turn};
pub use worktree::{
    commit_worktree, create_worktree, create_worktree_with, hand_over_worktree, prune_worktree,
    remove_worktree, worktree_is_whole, worktree_name,
};

pub use crate::model::short;

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

/// The one count of a diff: per file, its added and removed lines, as
/// the diff model counts them ([`sides::files_of`]) — the model the
/// console draws and `leash diff` prints, so the journal's totals agree
/// with both.
pub fn file_counts(
    repo: &Repository,
    diff: &git2::Diff<'_>,
) -> Result<Vec<FileCount>, git2::Error> {
    Ok(sides::files_of(repo, diff)?
        .into_iter()
        .map(|f| FileCount {
            old_path: f.old_path,
            new_path: f.new_path,
            insertions: f.insertions,
            deletions: f.deletions,
        })
        .collect())
}

/// A diff's per-file counts as libgit2 makes them and, when `text`, its
/// unified patch text (what `Diff::print` in patch format gives), in one
/// pass: each file's patch is generated once (blobs loaded, lines diffed)
/// and serves both.
pub fn patch_and_counts(
    diff: &git2::Diff<'_>,
    text: bool,
) -> Result<(String, Vec<FileCount>), git2::Error> {
    let path = |f: git2::DiffFile<'_>| f.path().map(|p| p.to_string_lossy().into_owned());
    let mut patch = Vec::new();
    let mut out = Vec::with_capacity(diff.deltas().len());
    for (i, d) in diff.deltas().enumerate() {
        // `None` exactly for the deltas `Diff::print` skips too.
        let (insertions, deletions) = match git2::Patch::from_diff(diff, i)? {
            Some(mut p) => {
                if text {
                    p.print(&mut |_, _, line| {
                        if matches!(line.origin(), '+' | '-' | ' ') {
                            patch.push(line.origin() as u8);
                        }
                        patch.extend_from_slice(line.content());
                        true
                    })?;
                }
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
    let patch = match String::from_utf8(patch) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Ok((patch, out))
}

/// Counts the change from `old` to `new`.
pub fn stats(repo: &Repository, old: &Tree<'_>, new: &Tree<'_>) -> Result<Stats, git2::Error> {
    let diff = tree_diff(repo, old, new)?;
    totals(repo, &diff)
}

/// The totals of a diff's [`file_counts`], with every path it touches.
pub fn totals(repo: &Repository, diff: &git2::Diff<'_>) -> Result<Stats, git2::Error> {
    let files = file_counts(repo, diff)?;
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

/// Runs git in `dir` for a test, its output trimmed; panics with its
/// stderr when it fails.
#[cfg(all(test, unix))]
pub(crate) fn test_git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// The patch text and counts as they were made before the one-pass
    /// [`patch_and_counts`]: `Diff::print`, and a `Patch` per delta.
    fn two_passes(diff: &git2::Diff<'_>) -> (String, Vec<FileCount>) {
        let mut out = Vec::new();
        diff.print(git2::DiffFormat::Patch, |_, _, line| {
            if matches!(line.origin(), '+' | '-' | ' ') {
                out.push(line.origin() as u8);
            }
            out.extend_from_slice(line.content());
            true
        })
        .unwrap();
        let path = |f: git2::DiffFile<'_>| f.path().map(|p| p.to_string_lossy().into_owned());
        let counts = diff
            .deltas()
            .enumerate()
            .map(|(i, d)| {
                let (ins, del) = match git2::Patch::from_diff(diff, i).unwrap() {
                    Some(p) => {
                        let (_, ins, del) = p.line_stats().unwrap();
                        (ins, del)
                    }
                    None => (0, 0),
                };
                let (old_path, new_path) = match d.status() {
                    git2::Delta::Added | git2::Delta::Untracked => (None, path(d.new_file())),
                    git2::Delta::Deleted => (path(d.old_file()), None),
                    _ => (path(d.old_file()), path(d.new_file())),
                };
                FileCount {
                    old_path,
                    new_path,
                    insertions: ins,
                    deletions: del,
                }
            })
            .collect();
        (String::from_utf8_lossy(&out).into_owned(), counts)
    }

    #[test]
    fn one_pass_patch_and_counts_equal_print_and_per_file_patches() {
        // The fixture the model's patch is checked on, too.
        let (tmp, first, second) = super::sides::patch_tests::two_commits();
        let dir = tmp.path();
        let repo = Repository::open(dir).unwrap();
        for (a, b) in [
            (None, Some(&first)),
            (Some(&first), Some(&second)),
            (Some(&second), Some(&first)),
        ] {
            let id = |c: Option<&String>| c.map(|c| Oid::from_str(c).unwrap());
            let old = tree_of(&repo, id(a)).unwrap();
            let new = tree_of(&repo, id(b)).unwrap();
            let diff = tree_diff(&repo, &old, &new).unwrap();
            let (text, counts) = patch_and_counts(&diff, true).unwrap();
            assert_eq!((text.clone(), counts.clone()), two_passes(&diff));
            assert_eq!(
                patch_and_counts(&diff, false).unwrap(),
                (String::new(), counts)
            );
            assert!(text.contains("Binary files"), "{text}");
            assert!(text.contains("\\ No newline at end of file"), "{text}");
            if a.is_some() {
                assert!(text.contains("\nrename "), "{text}");
                assert!(text.contains("B\r\n"), "{text}");
            }
        }
    }
}
