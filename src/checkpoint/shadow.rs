//! Shadow snapshots of the user's own checkout for in-place turns (DESIGN.md §3).
//!
//! An interactive agent edits the user's working tree directly, so leash cannot
//! isolate the turn in a worktree. Instead it records the whole working tree
//! (tracked and untracked files, ignored ones excluded) as a commit on
//! `refs/leash/shadow/<session>` when a turn starts and when it ends. The turn's
//! diff is end minus start, which also catches edits made through shell
//! commands. Rolling a turn back restores each changed file to its start
//! content, but only where the file still holds its end content.
//!
//! None of this may disturb the user's own git state: snapshots are built in a
//! private index file under `.git/leash/shadow/`, through a second `Repository`
//! handle whose in-memory index is replaced, so the user's `.git/index`, HEAD
//! and branch are never written.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use git2::build::CheckoutBuilder;
use git2::{
    Commit, Diff, ErrorCode, Index, IndexAddOption, IndexTime, ObjectType, Oid, Repository,
    Signature, Tree,
};

/// Errors from taking, comparing or restoring shadow snapshots.
#[derive(Debug, thiserror::Error)]
pub enum ShadowError {
    /// A libgit2 operation failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// A filesystem operation on `path` failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
}

/// The paths that differ between two snapshots (repo-relative, '/'-separated, sorted), with insertions/deletions totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Every path added, deleted, modified or mode-changed, sorted.
    pub paths: Vec<String>,
    /// Lines added over all text files.
    pub insertions: usize,
    /// Lines removed over all text files.
    pub deletions: usize,
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restore {
    /// The safety snapshot taken before anything was changed.
    pub safety: Option<Oid>,
    /// Paths put back to their start state (rewritten, recreated or deleted), sorted.
    pub restored: Vec<String>,
    /// Paths left alone, each with the reason, sorted by path.
    pub skipped: Vec<(String, String)>,
}

/// Prefix of the refs that hold each session's snapshot history.
const REF_PREFIX: &str = "refs/leash/shadow/";

/// Index entry flag `CE_VALID` ("assume unchanged").
const ENTRY_VALID: u16 = 0x8000;
/// Index entry flag bits holding the merge stage.
const ENTRY_STAGE_MASK: u16 = 0x3000;
/// Tree entry mode of a submodule (gitlink).
const MODE_GITLINK: i32 = 0o160000;

/// The ref that holds the snapshots of `session`.
pub fn shadow_ref(session: &str) -> String {
    format!("{REF_PREFIX}{session}")
}

/// Takes a snapshot of the working tree (tracked and untracked files, ignored excluded — respect .gitignore and .git/info/exclude) as a commit whose parent is the previous snapshot of this session (or none), points `refs/leash/shadow/<session>` at it, and returns it.
///
/// `label` goes in the commit message (e.g. "start t5", "end t5"). The user's
/// `.git/index`, HEAD, branch and working tree are not modified.
pub fn snapshot(repo: &Repository, session: &str, label: &str) -> Result<Oid, ShadowError> {
    check_session(session)?;
    let workdir = workdir_of(repo)?;
    let handle = private_handle(repo, workdir)?;

    let index_path = private_index_path(repo, session);
    if let Some(dir) = index_path.parent() {
        fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    }
    let mut index = open_private_index(&index_path)?;
    // add_all needs an owning repository; attaching the index to our own
    // handle keeps the caller's handle (and its idea of "the index") intact.
    handle.set_index(&mut index)?;

    let tracked = seed_from_user_index(repo, &mut index)?;

    // add_all diffs the private index against the working tree and adds
    // modified and untracked files *and* removes entries whose file is gone
    // (apply_each_file in libgit2's index.c), so no update_all pass is needed.
    // Untracked nested repositories come back as "dir/" and cannot be stored
    // as file content, so they are skipped rather than failing the snapshot.
    let mut skip_nested_repos = |path: &Path, _spec: &[u8]| -> i32 {
        i32::from(path.as_os_str().as_encoded_bytes().ends_with(b"/"))
    };
    index.add_all(["*"], IndexAddOption::DEFAULT, Some(&mut skip_nested_repos))?;
    drop_newly_ignored(&handle, &mut index, &tracked)?;

    // Writing the index back stores fresh stat data, which is what lets the
    // next snapshot skip re-hashing files that did not change.
    index.write()?;
    let tree_id = index.write_tree()?;
    commit_snapshot(&handle, session, label, tree_id)
}

/// Lists what changed between two snapshot commits.
pub fn changes(repo: &Repository, start: Oid, end: Oid) -> Result<Change, ShadowError> {
    let start_tree = repo.find_commit(start)?.tree()?;
    let end_tree = repo.find_commit(end)?.tree()?;
    let diff = repo.diff_tree_to_tree(Some(&start_tree), Some(&end_tree), None)?;
    let stats = diff.stats()?;
    Ok(Change {
        paths: changed_paths(&diff)
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
        insertions: stats.insertions(),
        deletions: stats.deletions(),
    })
}

/// Restores every path changed between `start` and `end` to its `start` content, only where the file on disk still equals its `end` content.
///
/// Files the turn created are deleted, files it deleted are recreated, and
/// file modes (including the executable bit) are put back. A file that was
/// edited, deleted or recreated after the end snapshot is reported in
/// `skipped` and left alone. A safety snapshot of the session is taken first so
/// the restore itself can be undone. The user's index, HEAD and branch are
/// never touched, nor any path outside the change; a directory is removed
/// only when deleting created files left it empty.
pub fn restore(
    repo: &Repository,
    session: &str,
    start: Oid,
    end: Oid,
) -> Result<Restore, ShadowError> {
    check_session(session)?;
    let workdir = workdir_of(repo)?.to_path_buf();
    // Resolve both snapshots before the safety snapshot so that bad ids fail
    // without adding a commit to the session.
    let start_tree = repo.find_commit(start)?.tree()?;
    let end_tree = repo.find_commit(end)?.tree()?;

    let safety = snapshot(
        repo,
        session,
        &format!("safety before restore of {}..{}", short(start), short(end)),
    )?;
    // The safety snapshot hashes the working tree exactly the way the end
    // snapshot did (same filters, same modes), so comparing trees answers
    // "does the file still hold its end content" without a second hashing path.
    let now_tree = repo.find_commit(safety)?.tree()?;

    let diff = repo.diff_tree_to_tree(Some(&start_tree), Some(&end_tree), None)?;
    let mut report = Restore {
        safety: Some(safety),
        ..Restore::default()
    };
    let mut writes: Vec<Vec<u8>> = Vec::new();
    let mut deletes: Vec<Vec<u8>> = Vec::new();
    for path in changed_paths(&diff) {
        let rel = git_path(&path);
        let shown = String::from_utf8_lossy(&path).into_owned();
        let at_start = file_entry(&start_tree, &rel)?;
        let at_end = file_entry(&end_tree, &rel)?;
        let now = file_entry(&now_tree, &rel)?;

        if [at_start, at_end]
            .iter()
            .flatten()
            .any(|e| e.1 == MODE_GITLINK)
        {
            report
                .skipped
                .push((shown, "submodule; not restored by leash".to_string()));
            continue;
        }
        if now != at_end {
            let why = match (at_end, now) {
                (Some(_), None) => "deleted or replaced since the turn ended",
                (None, Some(_)) => "created again since the turn ended",
                _ => "edited since the turn ended",
            };
            report.skipped.push((shown, why.to_string()));
            continue;
        }
        // A snapshot cannot see ignored files or directories, so "absent in
        // both" still has to be confirmed on disk before recreating the file.
        if at_end.is_none() && fs::symlink_metadata(workdir.join(&rel)).is_ok() {
            report.skipped.push((
                shown,
                "something exists there again since the turn ended".to_string(),
            ));
            continue;
        }
        if at_start.is_some() {
            writes.push(path);
        } else {
            deletes.push(path);
        }
    }

    let staging = staging_dir(repo, session);
    remove_dir_all_if_present(&staging)?;
    // Staging the start content first means a failing checkout (bad filter,
    // missing object) aborts before the working tree has been touched.
    if !writes.is_empty() {
        stage_start_content(repo, &workdir, &start_tree, &writes, &staging)?;
    }

    let mut emptied: BTreeSet<PathBuf> = BTreeSet::new();
    for path in deletes {
        let rel = git_path(&path);
        let shown = String::from_utf8_lossy(&path).into_owned();
        match fs::remove_file(workdir.join(&rel)) {
            Ok(()) => {
                emptied.extend(rel.ancestors().skip(1).map(Path::to_path_buf));
                report.restored.push(shown);
            }
            // Already gone (a race with the user): the start state holds.
            Err(e) if e.kind() == io::ErrorKind::NotFound => report.restored.push(shown),
            Err(e) => report
                .skipped
                .push((shown, format!("could not delete: {e}"))),
        }
    }
    remove_emptied_dirs(&workdir, emptied, &writes);

    for path in &writes {
        let rel = git_path(path);
        let shown = String::from_utf8_lossy(path).into_owned();
        let target = workdir.join(&rel);
        let moved = match target.parent() {
            Some(parent) => fs::create_dir_all(parent),
            None => Ok(()),
        }
        .and_then(|()| move_into_place(&staging.join(&rel), &target));
        match moved {
            Ok(()) => report.restored.push(shown),
            Err(e) => report
                .skipped
                .push((shown, format!("could not restore: {e}"))),
        }
    }
    // The staging area is leash's scratch space; a leftover is removed by the
    // next restore, so failing to delete it must not hide the report.
    let _ = remove_dir_all_if_present(&staging);

    report.restored.sort();
    report.skipped.sort();
    Ok(report)
}

/// Rejects session names that could escape `refs/leash/shadow/` or `.git/leash/shadow/`.
fn check_session(session: &str) -> Result<(), ShadowError> {
    let plain = !session.is_empty()
        && !session.starts_with('.')
        && !session.ends_with(".lock")
        && !session.contains("..")
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if plain && git2::Reference::is_valid_name(&shadow_ref(session)) {
        Ok(())
    } else {
        Err(git2::Error::from_str(&format!("invalid leash session name {session:?}")).into())
    }
}

/// The working tree of `repo`; a bare repository has nothing to snapshot.
fn workdir_of(repo: &Repository) -> Result<&Path, ShadowError> {
    repo.workdir()
        .ok_or_else(|| git2::Error::from_str("bare repository: no working tree to snapshot").into())
}

/// Opens a second handle on the same repository, so swapping its in-memory
/// index (`set_index`) cannot leak into the caller's handle.
fn private_handle(repo: &Repository, workdir: &Path) -> Result<Repository, ShadowError> {
    let handle = Repository::open(repo.path())?;
    // Opening the git dir alone guesses the working tree from its location,
    // which is wrong for separate git dirs; use the caller's exactly.
    handle.set_workdir(workdir, false)?;
    Ok(handle)
}

/// `.git/leash/shadow/<session>.index`, the session's private index file.
fn private_index_path(repo: &Repository, session: &str) -> PathBuf {
    repo.path()
        .join("leash")
        .join("shadow")
        .join(format!("{session}.index"))
}

/// `.git/leash/shadow/<session>.restore`, where start content is checked out before moving into place.
fn staging_dir(repo: &Repository, session: &str) -> PathBuf {
    repo.path()
        .join("leash")
        .join("shadow")
        .join(format!("{session}.restore"))
}

/// Opens the private index, starting afresh if the file is unreadable: it is
/// only a cache of stat data, and the snapshot content comes from disk anyway.
fn open_private_index(path: &Path) -> Result<Index, ShadowError> {
    match Index::open(path) {
        Ok(index) => Ok(index),
        Err(_) => {
            fs::remove_file(path).map_err(|e| io_error(path, e))?;
            Ok(Index::open(path)?)
        }
    }
}

/// Copies into the private index every entry of the user's index that it
/// lacks, and returns the set of paths the user tracks.
///
/// This makes files the user force-added despite .gitignore part of the
/// snapshot (as `git status` would treat them), and lets a first snapshot
/// trust the user's stat data instead of hashing the whole tree. The user's
/// index file is only read.
fn seed_from_user_index(
    repo: &Repository,
    index: &mut Index,
) -> Result<HashSet<Vec<u8>>, ShadowError> {
    let user_path = repo.path().join("index");
    let user = Index::open(&user_path)?;
    // Entries written in the same second as the user's index may be "racily
    // clean"; their stat data is not proof of content, so they get re-hashed.
    let stamp_secs = fs::metadata(&user_path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let have: HashSet<Vec<u8>> = index.iter().map(|e| e.path).collect();
    let mut tracked = HashSet::new();
    for mut entry in user.iter() {
        tracked.insert(entry.path.clone());
        if entry.flags & ENTRY_STAGE_MASK != 0 || have.contains(&entry.path) {
            continue;
        }
        let trusted = match (u64::try_from(entry.mtime.seconds()), stamp_secs) {
            (Ok(mtime), Some(stamp)) => mtime < stamp,
            _ => false,
        };
        if !trusted {
            entry.mtime = IndexTime::new(0, 0);
        }
        // "Assume unchanged", skip-worktree and intent-to-add would hide what
        // is really on disk, and the snapshot must show exactly that.
        entry.flags &= !ENTRY_VALID;
        entry.flags_extended = 0;
        // An entry whose object is missing (e.g. a partial clone) cannot be
        // copied; add_all then hashes the file from disk like any other.
        let _ = index.add(&entry);
    }
    Ok(tracked)
}

/// Removes entries that the user does not track and that are now ignored,
/// since add_all keeps anything it once added even after it becomes ignored.
fn drop_newly_ignored(
    handle: &Repository,
    index: &mut Index,
    tracked: &HashSet<Vec<u8>>,
) -> Result<(), ShadowError> {
    let mut stale = Vec::new();
    for entry in index.iter().filter(|e| !tracked.contains(&e.path)) {
        let path = git_path(&entry.path);
        if handle.is_path_ignored(&path)? {
            stale.push(path);
        }
    }
    for path in stale {
        index.remove_path(&path)?;
    }
    Ok(())
}

/// Commits `tree_id` on top of the session's previous snapshot and advances the session ref.
fn commit_snapshot(
    handle: &Repository,
    session: &str,
    label: &str,
    tree_id: Oid,
) -> Result<Oid, ShadowError> {
    let refname = shadow_ref(session);
    let parent = match handle.refname_to_id(&refname) {
        Ok(id) => Some(handle.find_commit(id)?),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let tree = handle.find_tree(tree_id)?;
    let sig = handle
        .signature()
        .or_else(|_| Signature::now("leash", "leash@localhost"))?;
    let message = format!("leash shadow {session}: {label}\n");
    let parents: Vec<&Commit<'_>> = parent.iter().collect();
    let oid = handle.commit(None, &sig, &sig, &message, &tree, &parents)?;
    let log = format!("leash: {label}");
    // Compare-and-swap on the previous snapshot, so two hooks racing on one
    // session fail loudly instead of silently dropping a snapshot from history.
    match &parent {
        Some(p) => handle.reference_matching(&refname, oid, true, p.id(), &log)?,
        None => handle.reference(&refname, oid, false, &log)?,
    };
    Ok(oid)
}

/// Every path touched by `diff`, as raw git path bytes, sorted and deduplicated.
fn changed_paths(diff: &Diff<'_>) -> BTreeSet<Vec<u8>> {
    let mut paths = BTreeSet::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(path) = file.path_bytes() {
                paths.insert(path.to_vec());
            }
        }
    }
    paths
}

/// The (blob id, mode) of the file at `path` in `tree`; directories count as absent.
fn file_entry(tree: &Tree<'_>, path: &Path) -> Result<Option<(Oid, i32)>, ShadowError> {
    match tree.get_path(path) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => Ok(None),
        Ok(entry) => Ok(Some((entry.id(), entry.filemode()))),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Checks the start content of `paths` out into `staging`, through a handle
/// whose index is a throwaway in-memory one, so that smudge filters (line
/// endings), modes and symlinks are applied exactly as git would.
fn stage_start_content(
    repo: &Repository,
    workdir: &Path,
    start_tree: &Tree<'_>,
    paths: &[Vec<u8>],
    staging: &Path,
) -> Result<(), ShadowError> {
    let handle = private_handle(repo, workdir)?;
    // An in-memory index has no file to write, and as it is not "on disk"
    // checkout uses an empty baseline, i.e. writes every requested path.
    let mut scratch = Index::new()?;
    handle.set_index(&mut scratch)?;
    let tree = handle.find_tree(start_tree.id())?;
    let mut opts = CheckoutBuilder::new();
    opts.force()
        .update_index(false)
        // Refreshing would re-read the index from disk, which an in-memory index cannot.
        .refresh(false)
        .disable_pathspec_match(true)
        .target_dir(staging);
    for path in paths {
        opts.path(path.clone());
    }
    handle.checkout_tree(tree.as_object(), Some(&mut opts))?;
    Ok(())
}

/// Removes directories in `candidates` (relative to `workdir`) that are now
/// empty, deepest first, except those that restored files will be written into.
fn remove_emptied_dirs(workdir: &Path, candidates: BTreeSet<PathBuf>, writes: &[Vec<u8>]) {
    let needed: Vec<PathBuf> = writes.iter().map(|p| git_path(p)).collect();
    let mut dirs: Vec<PathBuf> = candidates
        .into_iter()
        .filter(|d| !d.as_os_str().is_empty())
        .filter(|d| !needed.iter().any(|w| w.starts_with(d)))
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in dirs {
        // remove_dir only succeeds on an empty directory, so a directory
        // still holding anything (ignored files, the user's new files) stays.
        let _ = fs::remove_dir(workdir.join(dir));
    }
}

/// Moves a staged file over `target`, falling back to copying when the git
/// directory lives on another filesystem than the working tree.
fn move_into_place(staged: &Path, target: &Path) -> io::Result<()> {
    if fs::rename(staged, target).is_ok() {
        return Ok(());
    }
    let meta = fs::symlink_metadata(staged)?;
    #[cfg(unix)]
    if meta.file_type().is_symlink() {
        let link = fs::read_link(staged)?;
        match fs::remove_file(target) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        return std::os::unix::fs::symlink(link, target);
    }
    let _ = meta;
    fs::copy(staged, target).map(|_| ())
}

/// Deletes `dir` recursively if it exists.
fn remove_dir_all_if_present(dir: &Path) -> Result<(), ShadowError> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error(dir, e)),
        _ => Ok(()),
    }
}

/// A repo-relative path from git's '/'-separated path bytes.
fn git_path(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// The abbreviated form of `oid` used in labels.
fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

/// Wraps an I/O error with the path it concerns.
fn io_error(path: &Path, source: io::Error) -> ShadowError {
    ShadowError::Io {
        path: path.display().to_string(),
        source,
    }
}
