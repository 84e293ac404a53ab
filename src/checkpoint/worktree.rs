//! Worktrees of isolated turns and the commits that capture them.
//!
//! libgit2 only adds worktrees on a branch, and a branch per turn would
//! litter the user's branch list; so leash writes the linked-worktree files
//! itself (the same layout `git worktree add --detach` writes) and checks the
//! base out into it. `git worktree list` shows them like any other.

use std::fs;
use std::path::{Path, PathBuf};

use git2::build::CheckoutBuilder;
use git2::{IndexAddOption, Oid, Repository};

use super::{GitError, signature, tree_of};

/// The name under `.git/worktrees/` of a turn's worktree.
pub fn worktree_name(turn: &str) -> String {
    format!("leash-{turn}")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> GitError + '_ {
    move |source| GitError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Creates a worktree at `path` with `base` checked out (detached), or an
/// empty one on an unborn branch.
pub fn create_worktree(
    repo: &Repository,
    turn: &str,
    path: &Path,
    base: Option<Oid>,
) -> Result<(), GitError> {
    create_worktree_with(repo, turn, path, base, || {})
}

/// `create_worktree` with `half_made` run while the admin entry is only
/// partly written, so a crash there can be simulated.
pub fn create_worktree_with(
    repo: &Repository,
    turn: &str,
    path: &Path,
    base: Option<Oid>,
    half_made: impl FnOnce(),
) -> Result<(), GitError> {
    let admin = repo.commondir().join("worktrees").join(worktree_name(turn));
    if admin.exists() || path.join(".git").exists() {
        return Err(GitError::Refused(format!(
            "a worktree for {turn} already exists at {} — leash does not reuse it",
            path.display()
        )));
    }
    fs::create_dir_all(&admin).map_err(io(&admin))?;
    fs::create_dir_all(path).map_err(io(path))?;
    let (admin, path) = point_back(&admin, path)?;
    write(admin.join("commondir"), "../..\n".to_string())?;
    half_made();
    write(
        admin.join("HEAD"),
        match base {
            Some(oid) => format!("{oid}\n"),
            None => format!("ref: refs/leash/unborn/{turn}\n"),
        },
    )?;
    write(path.join(".git"), format!("gitdir: {}\n", admin.display()))?;
    let wt = Repository::open(&path)?;
    let tree = tree_of(&wt, base)?;
    wt.checkout_tree(tree.as_object(), Some(CheckoutBuilder::new().force()))?;
    let mut index = wt.index()?;
    index.read_tree(&tree)?;
    index.write()?;
    Ok(())
}

/// Commits everything in the worktree (untracked files included, ignored
/// files excluded) on top of `base`, and points `refname` at it.
pub fn commit_worktree(
    path: &Path,
    base: Option<Oid>,
    message: &str,
    refname: &str,
) -> Result<Oid, GitError> {
    let wt = Repository::open(path)?;
    let mut index = wt.index()?;
    index.add_all(["*"], IndexAddOption::DEFAULT, None)?;
    index.update_all(["*"], None)?;
    index.write()?;
    let tree = wt.find_tree(index.write_tree()?)?;
    let sig = signature(&wt);
    let parent = base.map(|b| wt.find_commit(b)).transpose()?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let oid = wt.commit(None, &sig, &sig, message, &tree, &parents)?;
    wt.reference(refname, oid, true, "leash: turn commit")?;
    Ok(oid)
}

/// Hands turn `from`'s worktree at `from_path`, as it stands (ignored
/// files too), to turn `to` at `to_path`: the folder and its admin entry
/// under `.git/worktrees/` are renamed, and the two files that point at
/// each other rewritten.
pub fn hand_over_worktree(
    repo: &Repository,
    from: &str,
    from_path: &Path,
    to: &str,
    to_path: &Path,
) -> Result<(), GitError> {
    let worktrees = repo.commondir().join("worktrees");
    let (old_admin, admin) = (
        worktrees.join(worktree_name(from)),
        worktrees.join(worktree_name(to)),
    );
    if admin.exists() || to_path.exists() {
        return Err(GitError::Refused(format!(
            "a worktree for {to} already exists at {} — leash does not reuse it",
            to_path.display()
        )));
    }
    fs::rename(&old_admin, &admin).map_err(io(&admin))?;
    fs::rename(from_path, to_path).map_err(io(to_path))?;
    let (admin, path) = point_back(&admin, to_path)?;
    write(path.join(".git"), format!("gitdir: {}\n", admin.display()))
}

fn write(p: PathBuf, text: String) -> Result<(), GitError> {
    fs::write(&p, text).map_err(io(&p))
}

/// Writes the admin entry's `gitdir`, naming the checkout's `.git`; returns
/// both paths made absolute.
fn point_back(admin: &Path, path: &Path) -> Result<(PathBuf, PathBuf), GitError> {
    let path = path.canonicalize().map_err(io(path))?;
    let admin = admin.canonicalize().map_err(io(admin))?;
    write(
        admin.join("gitdir"),
        format!("{}\n", path.join(".git").display()),
    )?;
    Ok((admin, path))
}

/// Removes a worktree whose content is safe in a commit: its files and its
/// admin entry under `.git/worktrees/`.
pub fn remove_worktree(repo: &Repository, turn: &str, path: &Path) -> Result<(), GitError> {
    // The admin entry goes first: a crash in between leaves a stray
    // directory outside the repository, never a broken `.git/worktrees/`.
    let admin = repo.commondir().join("worktrees").join(worktree_name(turn));
    if admin.exists() {
        fs::remove_dir_all(&admin).map_err(io(&admin))?;
    }
    if path.exists() {
        fs::remove_dir_all(path).map_err(io(path))?;
    }
    Ok(())
}

/// Whether a turn's worktree is whole: its admin entry under
/// `.git/worktrees/` has `gitdir`, `commondir` and `HEAD`, and `gitdir`
/// names a `.git` file that points back. `None` when there is no admin
/// entry.
pub fn worktree_is_whole(repo: &Repository, turn: &str) -> Option<bool> {
    let admin = repo.commondir().join("worktrees").join(worktree_name(turn));
    if !admin.exists() {
        return None;
    }
    let gitdir = fs::read_to_string(admin.join("gitdir")).ok();
    // The checkout's `.git` file must point back (a kill mid-write leaves
    // it empty).
    let back = gitdir
        .and_then(|g| fs::read_to_string(g.trim()).ok())
        .is_some_and(|g| g.starts_with("gitdir: "));
    Some(admin.join("commondir").is_file() && admin.join("HEAD").is_file() && back)
}

/// Removes a turn's worktree admin entry and, when given, its directory —
/// what `git worktree prune` does for an entry whose checkout is gone, for
/// a worktree leash made (or half-made) and no process works in.
pub fn prune_worktree(repo: &Repository, turn: &str, path: Option<&Path>) -> Result<(), GitError> {
    if let Some(path) = path
        && path.exists()
    {
        fs::remove_dir_all(path).map_err(io(path))?;
    }
    let admin = repo.commondir().join("worktrees").join(worktree_name(turn));
    if admin.exists() {
        fs::remove_dir_all(&admin).map_err(io(&admin))?;
    }
    Ok(())
}
