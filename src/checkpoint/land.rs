//! Moving a branch to a new commit the safe way: the commit is prepared
//! first (fast-forward, cherry-pick onto a moved head, or revert), then the
//! checked-out files are updated with a safe checkout that refuses to touch
//! local edits, and only then does the branch move — compare-and-swap, so a
//! concurrent move is detected rather than overwritten.

use git2::build::CheckoutBuilder;
use git2::{Diff, Index, Oid, Repository, StatusOptions, Tree};

use super::{GitError, branch_tip, current_branch, signature, tree_of};

/// A commit ready to become the branch head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub branch: String,
    /// The branch head the commit was prepared on (`None`: unborn).
    pub old: Option<Oid>,
    pub target: Oid,
    /// Set when the branch had moved away from the turn's base.
    pub drift_from: Option<Oid>,
}

fn conflict_paths(index: &Index) -> Result<Vec<String>, git2::Error> {
    let mut paths = Vec::new();
    for c in index.conflicts()? {
        let c = c?;
        let entry = c.our.or(c.their).or(c.ancestor);
        if let Some(e) = entry {
            paths.push(String::from_utf8_lossy(&e.path).into_owned());
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// Prepares the landing of a turn commit onto `branch`: its tree as is when
/// the branch is still at `base`, else a three-way cherry-pick onto the
/// moved head (conflicts are refused with their paths).
pub fn prepare_land(
    repo: &Repository,
    branch: &str,
    base: Option<Oid>,
    turn_commit: Oid,
    message: &str,
) -> Result<Prepared, GitError> {
    let head = branch_tip(repo, branch)?;
    let turn = repo.find_commit(turn_commit)?;
    let tree = if head == base {
        turn.tree()?
    } else {
        let head_commit = repo.find_commit(
            head.ok_or_else(|| GitError::Refused(format!("branch {branch} no longer exists")))?,
        )?;
        let mut index = if base.is_some() {
            repo.cherrypick_commit(&turn, &head_commit, 0, None)?
        } else {
            let empty = tree_of(repo, None)?;
            repo.merge_trees(&empty, &head_commit.tree()?, &turn.tree()?, None)?
        };
        if index.has_conflicts() {
            return Err(GitError::Conflict(conflict_paths(&index)?));
        }
        repo.find_tree(index.write_tree_to(repo)?)?
    };
    let target = commit_on(repo, head, &tree, message)?;
    Ok(Prepared {
        branch: branch.to_string(),
        old: head,
        target,
        drift_from: if head == base { None } else { head },
    })
}

/// Prepares a commit on `branch` that reverts `landed`, refusing when later
/// commits changed the same lines.
pub fn prepare_revert(
    repo: &Repository,
    branch: &str,
    landed: Oid,
    message: &str,
) -> Result<Prepared, GitError> {
    let head = branch_tip(repo, branch)?
        .ok_or_else(|| GitError::Refused(format!("branch {branch} has no commits")))?;
    if head != landed && !repo.graph_descendant_of(head, landed)? {
        return Err(GitError::Refused(format!(
            "the landed commit {} is no longer on branch {branch}",
            super::short(&landed.to_string())
        )));
    }
    let landed_commit = repo.find_commit(landed)?;
    let head_commit = repo.find_commit(head)?;
    let mut index = repo.revert_commit(&landed_commit, &head_commit, 0, None)?;
    if index.has_conflicts() {
        return Err(GitError::Conflict(conflict_paths(&index)?));
    }
    let tree = repo.find_tree(index.write_tree_to(repo)?)?;
    let target = commit_on(repo, Some(head), &tree, message)?;
    Ok(Prepared {
        branch: branch.to_string(),
        old: Some(head),
        target,
        drift_from: None,
    })
}

fn commit_on(
    repo: &Repository,
    parent: Option<Oid>,
    tree: &Tree<'_>,
    message: &str,
) -> Result<Oid, git2::Error> {
    let sig = signature(repo);
    let parent = parent.map(|p| repo.find_commit(p)).transpose()?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(None, &sig, &sig, message, tree, &parents)
}

/// Makes `prepared.target` the branch head: a safe checkout first when the
/// branch is checked out (nothing moves if it would overwrite local edits),
/// then a compare-and-swap of the branch ref. `before_ref` runs between the
/// two, so a crash there can be simulated.
pub fn apply(
    repo: &Repository,
    prepared: &Prepared,
    before_ref: impl FnOnce(),
) -> Result<(), GitError> {
    let refname = format!("refs/heads/{}", prepared.branch);
    if branch_tip(repo, &prepared.branch)? != prepared.old {
        return Err(GitError::Refused(format!(
            "branch {} moved while leash was working; try again",
            prepared.branch
        )));
    }
    let checked_out =
        !repo.is_bare() && current_branch(repo)?.as_deref() == Some(prepared.branch.as_str());
    if checked_out {
        let target_tree = repo.find_commit(prepared.target)?.tree()?;
        checkout_safely(repo, &target_tree)?;
    }
    before_ref();
    let log = "leash: land";
    match prepared.old {
        Some(old) => repo.reference_matching(&refname, prepared.target, true, old, log)?,
        None => repo.reference(&refname, prepared.target, false, log)?,
    };
    Ok(())
}

/// Checks `tree` out over HEAD's tree, refusing without changing anything
/// when a file the checkout would write or delete has local edits (staged,
/// unstaged, or an untracked or ignored file in the way).
fn checkout_safely(repo: &Repository, tree: &Tree<'_>) -> Result<(), GitError> {
    let head_tree = tree_of(repo, super::head_commit(repo)?)?;
    let touched = super::stats(repo, &head_tree, tree)?.paths;
    if touched.is_empty() {
        return Ok(());
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(true)
        .disable_pathspec_match(true);
    for p in &touched {
        opts.pathspec(p);
    }
    let mut edited: Vec<String> = repo
        .statuses(Some(&mut opts))?
        .iter()
        .filter(|e| !e.status().is_empty())
        .filter_map(|e| e.path().ok().map(str::to_string))
        .collect();
    if !edited.is_empty() {
        edited.sort();
        edited.dedup();
        return Err(GitError::LocalEdits(edited));
    }
    // libgit2's safe checkout checks again before it writes anything.
    repo.checkout_tree(tree.as_object(), Some(CheckoutBuilder::new().safe()))?;
    Ok(())
}

/// Where each path changed between `old` and `target` stands in the
/// checkout: at its old content, at its target content, or neither.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WorkdirState {
    pub at_old: Vec<String>,
    pub at_target: Vec<String>,
    pub other: Vec<String>,
}

/// Compares the checkout's files with both sides of an interrupted move,
/// so recovery can finish or undo it without guessing.
pub fn workdir_state(
    repo: &Repository,
    old: Option<Oid>,
    target: Oid,
) -> Result<WorkdirState, GitError> {
    let old_tree = tree_of(repo, old)?;
    let target_tree = tree_of(repo, Some(target))?;
    let diff = repo.diff_tree_to_tree(Some(&old_tree), Some(&target_tree), None)?;
    let root = repo
        .workdir()
        .ok_or_else(|| GitError::Refused("the workspace has no working tree".into()))?
        .to_path_buf();
    let mut state = WorkdirState::default();
    for delta in diff.deltas() {
        let Some(path) = delta.new_file().path().or(delta.old_file().path()) else {
            continue;
        };
        let on_disk = std::fs::read(root.join(path)).ok();
        let hash = on_disk
            .as_deref()
            .map(|b| Oid::hash_object(git2::ObjectType::Blob, b))
            .transpose()?;
        let side = |f: git2::DiffFile<'_>| (!f.id().is_zero()).then(|| f.id());
        let name = path.to_string_lossy().into_owned();
        if hash == side(delta.new_file()) {
            state.at_target.push(name);
        } else if hash == side(delta.old_file()) {
            state.at_old.push(name);
        } else {
            state.other.push(name);
        }
    }
    Ok(state)
}

/// Brings the given paths to their content in `tree`, overwriting them: used
/// only by recovery, for paths known to hold leash's own old content.
pub fn force_paths(repo: &Repository, tree: &Tree<'_>, paths: &[String]) -> Result<(), GitError> {
    if paths.is_empty() {
        return Ok(());
    }
    let mut b = CheckoutBuilder::new();
    b.force();
    for p in paths {
        b.path(p.as_str());
    }
    repo.checkout_tree(tree.as_object(), Some(&mut b))?;
    Ok(())
}

/// A diff as unified patch text.
pub fn patch_text(diff: &Diff<'_>) -> Result<String, GitError> {
    let mut out = Vec::new();
    diff.print(git2::DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            out.push(line.origin() as u8);
        }
        out.extend_from_slice(line.content());
        true
    })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
