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

/// Makes `prepared.target` the branch head. The branch ref is locked
/// first (a lock someone else holds refuses the move before any file is
/// touched), then the checkout is updated with a safe checkout when the
/// branch is checked out (nothing moves if it would overwrite local edits),
/// then the ref is written under its lock — a compare-and-swap, since the
/// tip is read under the same lock. When anything fails after the checkout
/// began, the files are put back, so the checkout never runs ahead of the
/// branch. `before_ref` runs between the checkout and the ref, so a crash
/// there can be simulated.
pub fn apply(
    repo: &Repository,
    prepared: &Prepared,
    before_ref: impl FnOnce(),
) -> Result<(), GitError> {
    let refname = format!("refs/heads/{}", prepared.branch);
    let mut tx = repo.transaction()?;
    tx.lock_ref(&refname)
        .map_err(|e| locked(e, repo.commondir().join(format!("{refname}.lock"))))?;
    if branch_tip(repo, &prepared.branch)? != prepared.old {
        return Err(GitError::Refused(format!(
            "branch {} moved while leash was working; try again",
            prepared.branch
        )));
    }
    let checked_out =
        !repo.is_bare() && current_branch(repo)?.as_deref() == Some(prepared.branch.as_str());
    let mut restore = false;
    if checked_out {
        let index_lock = repo.path().join("index.lock");
        if index_lock.exists() {
            return Err(GitError::Locked(index_lock));
        }
        let target_tree = repo.find_commit(prepared.target)?.tree()?;
        let head_tree = tree_of(repo, super::head_commit(repo)?)?;
        let touched = super::stats(repo, &head_tree, &target_tree)?.paths;
        if let Err(e) = checkout_safely(repo, &target_tree, &touched) {
            if !matches!(e, GitError::LocalEdits(_)) {
                put_back(repo, prepared);
            }
            return Err(e);
        }
        restore = true;
    }
    before_ref();
    let log = "leash: land";
    let moved = tx
        .set_target(&refname, prepared.target, None, log)
        .and_then(|()| tx.commit());
    if let Err(e) = moved {
        if restore {
            put_back(repo, prepared);
        }
        return Err(e.into());
    }
    Ok(())
}

/// Names the lock file when libgit2 could not take it.
fn locked(e: git2::Error, path: std::path::PathBuf) -> GitError {
    if e.code() == git2::ErrorCode::Locked || path.exists() {
        GitError::Locked(path)
    } else {
        GitError::Git(e)
    }
}

/// Puts the files a move that did not happen had already written back to
/// their content at `old` (files and index). Only paths holding the
/// target's content are touched — those leash wrote; a path someone edited
/// meanwhile is left as it is. Best effort: the move's own error is the one
/// reported.
fn put_back(repo: &Repository, prepared: &Prepared) {
    let Ok(files) = workdir_state(repo, prepared.old, prepared.target) else {
        return;
    };
    let Ok(tree) = tree_of(repo, prepared.old) else {
        return;
    };
    let _ = force_paths(repo, &tree, &files.at_target)
        .and_then(|()| sync_index(repo, &tree, &files.at_target));
}

/// Checks `tree` out over HEAD's tree, refusing without changing anything
/// when a file the checkout would write or delete has local edits (staged,
/// unstaged, or an untracked or ignored file in the way).
fn checkout_safely(repo: &Repository, tree: &Tree<'_>, touched: &[String]) -> Result<(), GitError> {
    if touched.is_empty() {
        return Ok(());
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(true)
        .disable_pathspec_match(true);
    for p in touched {
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

/// Brings the given paths to their content in `tree`, overwriting them; a
/// path not in the tree is deleted (and directories it leaves empty). Each
/// file is written to a temporary name and renamed into place, so a crash
/// leaves either the old or the new file, never half of one. Used only for
/// paths known to hold leash's own content (or a leash write cut short).
pub fn force_paths(repo: &Repository, tree: &Tree<'_>, paths: &[String]) -> Result<(), GitError> {
    use std::os::unix::fs::PermissionsExt;
    let root = repo
        .workdir()
        .ok_or_else(|| GitError::Refused("the workspace has no working tree".into()))?
        .to_path_buf();
    let io = |p: &std::path::Path| {
        let p = p.display().to_string();
        move |source| GitError::Io { path: p, source }
    };
    for p in paths {
        let rel = std::path::Path::new(p);
        if rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(GitError::Refused(format!(
                "refusing to write outside the checkout: {p}"
            )));
        }
        let file = root.join(rel);
        let entry = match tree.get_path(rel) {
            Ok(e) => Some(e),
            Err(e) if e.code() == git2::ErrorCode::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let Some(entry) = entry else {
            match std::fs::symlink_metadata(&file) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => std::fs::remove_file(&file).map_err(io(&file))?,
                Err(_) => {}
            }
            let mut dir = file.parent();
            while let Some(d) = dir {
                if d == root || std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
            continue;
        };
        let blob = repo.find_blob(entry.id())?;
        let parent = file.parent().expect("a path in the checkout has a parent");
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let tmp = parent.join(format!(
            ".{}.leash-tmp",
            file.file_name().unwrap_or_default().to_string_lossy()
        ));
        let _ = std::fs::remove_file(&tmp);
        if entry.filemode() == i32::from(git2::FileMode::Link) {
            let target = String::from_utf8_lossy(blob.content()).into_owned();
            std::os::unix::fs::symlink(target, &tmp).map_err(io(&tmp))?;
        } else {
            let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            std::io::Write::write_all(&mut f, blob.content())
                .and_then(|()| f.sync_all())
                .map_err(io(&tmp))?;
            let mode = if entry.filemode() == i32::from(git2::FileMode::BlobExecutable) {
                0o755
            } else {
                0o644
            };
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
                .map_err(io(&tmp))?;
        }
        if std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_dir()) {
            // Only an empty directory gives way; anything in it is not leash's.
            std::fs::remove_dir(&file).map_err(io(&file))?;
        }
        std::fs::rename(&tmp, &file).map_err(io(&file))?;
    }
    Ok(())
}

/// Makes the index entries of `paths` match `tree`: a path in the tree is
/// added from the checkout (which holds the tree's content), a path not in
/// it is removed. Other entries — the user's staged work — are left alone.
pub fn sync_index(repo: &Repository, tree: &Tree<'_>, paths: &[String]) -> Result<(), GitError> {
    if paths.is_empty() {
        return Ok(());
    }
    let mut index = repo.index()?;
    index.read(true)?;
    for p in paths {
        let path = std::path::Path::new(p);
        match tree.get_path(path) {
            Ok(_) => index.add_path(path)?,
            Err(e) if e.code() == git2::ErrorCode::NotFound => match index.remove_path(path) {
                Ok(()) => {}
                Err(e) if e.code() == git2::ErrorCode::NotFound => {}
                Err(e) => return Err(e.into()),
            },
            Err(e) => return Err(e.into()),
        }
    }
    index.write()?;
    Ok(())
}

/// A diff as unified patch text.
pub fn patch_text(diff: &Diff<'_>) -> Result<String, GitError> {
    Ok(super::patch_and_counts(diff, true)?.0)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::path::Path;

    use super::super::test_git as git;

    /// A repository on `main` and a prepared move that changes README.md
    /// and adds new.md.
    fn prepared() -> (tempfile::TempDir, Repository, Prepared) {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        git(p, &["init", "-q", "-b", "main"]);
        git(p, &["config", "user.name", "T"]);
        git(p, &["config", "user.email", "t@example.com"]);
        std::fs::write(p.join("README.md"), "old\n").unwrap();
        git(p, &["add", "."]);
        git(p, &["commit", "-q", "-m", "init"]);
        let repo = Repository::open(p).unwrap();
        let head = repo.head().unwrap().target().unwrap();
        let mut index = Index::new().unwrap();
        index
            .read_tree(&repo.find_commit(head).unwrap().tree().unwrap())
            .unwrap();
        for (path, text) in [("README.md", "new\n"), ("new.md", "added\n")] {
            let blob = repo.blob(text.as_bytes()).unwrap();
            let mut e = index.get_path(Path::new("README.md"), 0).unwrap();
            e.id = blob;
            e.path = path.as_bytes().to_vec();
            e.file_size = text.len() as u32;
            index.add(&e).unwrap();
        }
        let tree = repo.find_tree(index.write_tree_to(&repo).unwrap()).unwrap();
        let target = commit_on(&repo, Some(head), &tree, "turn").unwrap();
        drop(tree);
        let prepared = Prepared {
            branch: "main".into(),
            old: Some(head),
            target,
            drift_from: None,
        };
        (tmp, repo, prepared)
    }

    #[test]
    fn a_held_ref_lock_refuses_the_move_before_any_file_is_written() {
        for lock in ["refs/heads/main.lock", "index.lock"] {
            let (tmp, repo, prepared) = prepared();
            let p = tmp.path();
            std::fs::write(p.join(".git").join(lock), "").unwrap();
            let err = apply(&repo, &prepared, || {}).unwrap_err();
            assert!(
                matches!(&err, GitError::Locked(path) if path.ends_with(lock)),
                "{err}"
            );
            assert!(err.to_string().contains("rm '"), "{err}");
            assert_eq!(
                std::fs::read_to_string(p.join("README.md")).unwrap(),
                "old\n"
            );
            assert!(!p.join("new.md").exists());
            assert_eq!(repo.head().unwrap().target(), prepared.old);
            std::fs::remove_file(p.join(".git").join(lock)).unwrap();
            assert_eq!(git(p, &["status", "--porcelain"]), "", "{lock}");
        }
    }

    #[test]
    fn a_ref_write_that_fails_after_the_checkout_puts_the_files_back() {
        let (tmp, repo, prepared) = prepared();
        let p = tmp.path();
        // The ref file replaced by a directory: the write under the lock fails.
        let refpath = p.join(".git/refs/heads/main");
        apply(&repo, &prepared, || {
            std::fs::remove_file(&refpath).unwrap();
            std::fs::create_dir_all(refpath.join("blocker")).unwrap();
        })
        .unwrap_err();
        std::fs::remove_dir_all(&refpath).unwrap();
        std::fs::write(&refpath, format!("{}\n", prepared.old.unwrap())).unwrap();
        assert_eq!(
            std::fs::read_to_string(p.join("README.md")).unwrap(),
            "old\n"
        );
        assert!(!p.join("new.md").exists());
        assert_eq!(git(p, &["status", "--porcelain"]), "");
    }

    #[test]
    fn force_paths_and_sync_index_bring_files_and_index_to_a_tree() {
        let (tmp, repo, prepared) = prepared();
        let p = tmp.path();
        std::fs::write(p.join("README.md"), "").unwrap();
        let target = repo.find_commit(prepared.target).unwrap().tree().unwrap();
        let paths = vec!["README.md".to_string(), "new.md".to_string()];
        force_paths(&repo, &target, &paths).unwrap();
        sync_index(&repo, &target, &paths).unwrap();
        repo.reference("refs/heads/main", prepared.target, true, "t")
            .unwrap();
        assert_eq!(git(p, &["status", "--porcelain"]), "");
        let old = tree_of(&repo, prepared.old).unwrap();
        force_paths(&repo, &old, &paths).unwrap();
        sync_index(&repo, &old, &paths).unwrap();
        assert!(!p.join("new.md").exists());
        assert_eq!(
            git(p, &["status", "--porcelain"]),
            "M  README.md\nD  new.md",
            "the index follows the files"
        );
    }
}
