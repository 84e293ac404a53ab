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
//! None of this may disturb the user's own git state: snapshots are built from
//! a walk of the working tree against a stat cache of the session's own under
//! `.git/leash/shadow/` (`walk`, `cache`), through a second `Repository`
//! handle whose in-memory index is replaced, so the user's `.git/index`, HEAD
//! and branch are never written.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use git2::build::CheckoutBuilder;
use git2::{Commit, Diff, ErrorCode, Index, ObjectType, Oid, Repository, Signature, Tree};

use cache::Cache;
use index::{private_index_path, seed_record_path, tree_through_index};
use walk::{Candidates, Start, Walk};

mod cache;
mod index;
mod walk;

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

/// The paths that differ between two snapshots, with line totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Every path added, deleted, modified or mode-changed (repo-relative, '/'-separated, sorted).
    pub paths: Vec<String>,
    /// Changed files, a rename counted once.
    pub files: usize,
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

/// Commits the working tree onto `refs/leash/shadow/<session>` and returns the snapshot.
///
/// The snapshot holds what `git add -A` would stage: tracked and untracked
/// files, minus those ignored by .gitignore, .git/info/exclude or
/// core.excludesFile (files the user tracks stay in even when ignored). Its
/// parent is the session's previous snapshot, if any. `label` goes in the
/// commit message (e.g. "start t5", "end t5"). The user's `.git/index`,
/// HEAD, branch and working tree are not modified; unchanged files are not
/// re-hashed, nor the trees of unchanged directories written, thanks to the
/// session's stat cache under `.git/leash/shadow/`.
pub fn snapshot(repo: &Repository, session: &str, label: &str) -> Result<Oid, ShadowError> {
    check_session(session)?;
    let workdir = workdir_of(repo)?;
    let handle = private_handle(repo, workdir)?;
    let dir = repo.path().join("leash").join("shadow");
    fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;

    let config = handle.config()?;
    let flag = |key: &str, default: bool| config.get_bool(key).unwrap_or(default);
    // Where file names are matched without regard to case, or read back in
    // another Unicode form than they were written in (macOS, Windows),
    // libgit2's index, which knows both rules, keeps the stat cache.
    if flag("core.ignorecase", false) || flag("core.precomposeunicode", false) {
        let tree_id = tree_through_index(repo, &handle, workdir, session)?;
        return commit_snapshot(&handle, session, label, tree_id);
    }
    let trust_ctime = flag("core.trustctime", true);
    let rule_files = outside_rule_files(&handle, &config);
    drop(config);

    let cache_path = stat_cache_path(repo, session);
    // The cache vouches only for the snapshot it was written with: every
    // object it names is then reachable from the session's ref.
    let previous = match handle.refname_to_id(&shadow_ref(session)) {
        Ok(id) => Some(handle.find_commit(id)?.tree_id()),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let cache = cache::read(&cache_path).filter(|c| c.root.is_some() && c.root == previous);

    // The user's index is read only when it changed since the last seeding
    // (or there is no cache): seeding from the same index again would add
    // nothing the walk keeps, unless a file dropped as deleted is back.
    let stamp = user_index_stamp(repo);
    let reuse = cache.as_ref().is_some_and(|c| {
        stamp.is_some()
            && c.stamp == stamp
            && !c.entries.is_empty()
            && !c
                .missing
                .iter()
                .any(|p| fs::symlink_metadata(workdir.join(git_path(p))).is_ok())
    });
    // Without a cache nothing is racy by the cache's clock: what the user's
    // index says is weighed by its own.
    let written = cache.as_ref().map_or((i64::MAX, u32::MAX), |c| c.written);
    let mut cache = cache.unwrap_or_default();
    // What the cache says is ignored holds while the rules do.
    let (rules, rules_settled) = rules_stamp(&rule_files, written);
    let rules_kept = rules_settled && cache.rules.as_ref() == Some(&rules);
    let (old, seeded, tracked, candidates) = if reuse {
        let old = std::mem::take(&mut cache.entries);
        (old, Vec::new(), Tracked::Unread, Candidates::Extras)
    } else {
        let s = seed_from_user_index(repo, &handle, std::mem::take(&mut cache.entries))?;
        let tracked = Tracked::Read(s.tracked);
        (s.entries, s.seeded, tracked, Candidates::Untracked)
    };
    let start = Start {
        old,
        seeded,
        trees: cache.trees,
        written,
        tracked,
        candidates,
        extras: cache.extras.into_iter().collect(),
        rules_kept,
        ignore_files: cache.ignore_files.into_iter().collect(),
        ignored: cache.ignored.into_iter().collect(),
    };
    let mut missing = if reuse { cache.missing } else { Vec::new() };

    let mut walk = Walk::new(repo, &handle, workdir, trust_ctime, start)?;
    let tree_id = walk.run()?;
    missing.append(&mut walk.removed);
    missing.sort();
    missing.dedup();
    let next = Cache {
        root: Some(tree_id),
        stamp,
        entries: std::mem::take(&mut walk.entries),
        trees: std::mem::take(&mut walk.trees),
        extras: std::mem::take(&mut walk.extras),
        missing,
        rules: Some(rules),
        ignore_files: std::mem::take(&mut walk.ignore_files),
        ignored: std::mem::take(&mut walk.ignored),
        written: (0, 0),
    };
    drop(walk);
    let oid = commit_snapshot(&handle, session, label, tree_id)?;
    // Only a cache: if it cannot be written, the next snapshot starts afresh.
    if cache::write(&cache_path, &next).is_ok() {
        // What an earlier leash kept instead.
        remove_file_if_present(&private_index_path(repo, session));
        remove_file_if_present(&seed_record_path(repo, session));
    }
    Ok(oid)
}

/// The files of ignore rules from outside the tree, as libgit2 finds them:
/// `info/exclude` of the repository, and core.excludesFile (by default
/// `git/ignore` under `$XDG_CONFIG_HOME` or `~/.config`).
fn outside_rule_files(handle: &Repository, config: &git2::Config) -> Vec<PathBuf> {
    let mut files = vec![handle.commondir().join("info").join("exclude")];
    match config.get_path("core.excludesfile") {
        Ok(path) => files.push(path),
        Err(_) => {
            if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
                files.push(PathBuf::from(xdg).join("git").join("ignore"));
            }
            if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
                files.push(
                    PathBuf::from(home)
                        .join(".config")
                        .join("git")
                        .join("ignore"),
                );
            }
        }
    }
    files
}

/// A stamp of the rule `files` (their paths and stat data), and whether
/// each was written before the cache was (`written`): one changed in the
/// cache's own clock tick could change again unseen.
fn rules_stamp(files: &[PathBuf], written: (i64, u32)) -> (String, bool) {
    let mut stamp = String::new();
    let mut settled = true;
    for file in files {
        stamp.push_str(&file.to_string_lossy());
        match fs::metadata(file) {
            Ok(meta) => {
                let s = cache::Stat::of(&meta);
                settled &= (s.mtime, s.mtime_ns) < written;
                stamp.push_str(&format!(
                    " {}.{} {}.{} {} {}\n",
                    s.mtime, s.mtime_ns, s.ctime, s.ctime_ns, s.ino, s.size
                ));
            }
            Err(_) => stamp.push_str(" -\n"),
        }
    }
    (stamp, settled)
}

/// Lists what changed between two snapshot commits.
pub fn changes(repo: &Repository, start: Oid, end: Oid) -> Result<Change, ShadowError> {
    let repo = &detached_handle(repo)?;
    let start_tree = repo.find_commit(start)?.tree()?;
    let end_tree = repo.find_commit(end)?.tree()?;
    let diff = super::tree_diff(repo, &start_tree, &end_tree)?;
    let stats = super::totals(repo, &diff)?;
    Ok(Change {
        paths: changed_paths(&diff)
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
        files: stats.files_changed,
        insertions: stats.insertions,
        deletions: stats.deletions,
    })
}

/// Rolls back the turn `start..end` wherever the working tree still holds the turn's result.
///
/// Every path changed between the two snapshots is restored to its `start`
/// content, but only where the file on disk still equals its `end` content:
/// files the turn created are deleted, files it deleted are recreated, and
/// file modes (including the executable bit) are put back. A file edited,
/// deleted or recreated after the end snapshot is reported in `skipped` and
/// left alone. A safety snapshot of the session is taken first so the restore
/// itself can be undone. The user's index, HEAD and branch are never touched,
/// nor any path outside the change; a directory is removed only when deleting
/// created files left it empty.
pub fn restore(
    repo: &Repository,
    session: &str,
    start: Oid,
    end: Oid,
) -> Result<Restore, ShadowError> {
    check_session(session)?;
    let workdir = workdir_of(repo)?.to_path_buf();
    let caller = repo;
    let repo = &detached_handle(caller)?;
    // Resolve both snapshots before the safety snapshot so that bad ids fail
    // without adding a commit to the session.
    let start_tree = repo.find_commit(start)?.tree()?;
    let end_tree = repo.find_commit(end)?.tree()?;

    let safety = snapshot(
        caller,
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
        // A snapshot cannot see ignored files or empty directories, so "absent
        // in both" still has to be confirmed on disk before recreating the
        // file, unless the turn itself left a directory there (its files are
        // in the change and get deleted first).
        if at_end.is_none()
            && !is_dir_in(&end_tree, &rel)
            && fs::symlink_metadata(workdir.join(&rel)).is_ok()
        {
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

    let staging = staging_dir(caller, session);
    remove_dir_all_if_present(&staging)?;
    // Staging the start content first means a failing checkout (bad filter,
    // missing object) aborts before the working tree has been touched.
    if !writes.is_empty() {
        stage_start_content(repo, &start_tree, &writes, &staging)?;
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

/// A private handle whose index is an empty in-memory one.
///
/// Diffs and checkouts consult the repository's index (for .gitattributes);
/// through this handle they never load the user's index, which libgit2 may
/// not even be able to parse (split or sparse index), let alone write it.
fn detached_handle(repo: &Repository) -> Result<Repository, ShadowError> {
    let handle = private_handle(repo, workdir_of(repo)?)?;
    handle.set_index(&mut Index::new()?)?;
    Ok(handle)
}

/// `.git/leash/shadow/<session>.stat`, the session's stat cache (see [`cache`]).
fn stat_cache_path(repo: &Repository, session: &str) -> PathBuf {
    repo.path()
        .join("leash")
        .join("shadow")
        .join(format!("{session}.stat"))
}

/// `.git/leash/shadow/<session>.restore`, where start content is checked out before moving into place.
fn staging_dir(repo: &Repository, session: &str) -> PathBuf {
    repo.path()
        .join("leash")
        .join("shadow")
        .join(format!("{session}.restore"))
}

/// The identity of the user's index file as it is now (device, inode, size,
/// modification and change times): git replaces the file on every write, so
/// an equal stamp means the same content. `None` when there is no index.
fn user_index_stamp(repo: &Repository) -> Option<String> {
    let meta = fs::metadata(repo.path().join("index")).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(format!(
            "v1 {} {} {} {modified} {}.{}",
            meta.dev(),
            meta.ino(),
            meta.len(),
            meta.ctime(),
            meta.ctime_nsec()
        ))
    }
    #[cfg(not(unix))]
    {
        Some(format!("v1 {} {modified}", meta.len()))
    }
}

/// Removes a file leash keeps as a cache; a failure only costs the cache.
fn remove_file_if_present(path: &Path) {
    let _ = fs::remove_file(path);
}

/// The paths the user's index tracks, read only when needed.
pub(super) enum Tracked {
    Read(HashSet<Vec<u8>>),
    Unread,
}

impl Tracked {
    pub(super) fn contains(&mut self, repo: &Repository, path: &[u8]) -> bool {
        if let Tracked::Unread = self {
            *self = Tracked::Read(user_tracked(repo));
        }
        match self {
            Tracked::Read(set) => set.contains(path),
            Tracked::Unread => false,
        }
    }
}

/// Every path in the user's index (any stage); empty when it cannot be read.
fn user_tracked(repo: &Repository) -> HashSet<Vec<u8>> {
    match Index::open(&repo.path().join("index")) {
        Ok(user) => user.iter().map(|e| e.path).collect(),
        Err(_) => HashSet::new(),
    }
}

/// Adds to `have` (the cached entries, sorted) every entry of the user's
/// index it lacks, and returns the paths the user tracks, the merged
/// entries (sorted) and which of them were added (no cached tree holds
/// them).
///
/// This makes files the user force-added despite .gitignore part of the
/// snapshot (as `git status` would treat them), and lets a first snapshot
/// trust the user's stat data instead of hashing the whole tree. The user's
/// index file is only read.
fn seed_from_user_index(
    repo: &Repository,
    handle: &Repository,
    have: Vec<cache::Entry>,
) -> Result<Seeded, ShadowError> {
    let user_path = repo.path().join("index");
    // An index libgit2 cannot parse (split index, sparse index) only costs
    // the seeding; the snapshot itself never depends on the user's index.
    let Ok(user) = Index::open(&user_path) else {
        return Ok(Seeded {
            tracked: HashSet::new(),
            entries: have,
            seeded: Vec::new(),
        });
    };
    // Entries written in the same second as the user's index may be "racily
    // clean"; their stat data is not proof of content, so they get re-hashed.
    let stamp_secs = fs::metadata(&user_path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let odb = handle.odb()?;
    let mut tracked = HashSet::new();
    let mut seeded = Vec::new();
    for entry in user.iter() {
        tracked.insert(entry.path.clone());
        if entry.flags & ENTRY_STAGE_MASK != 0
            || have.binary_search_by(|e| e.path.cmp(&entry.path)).is_ok()
        {
            continue;
        }
        // An entry whose object is missing (a partial clone) cannot stand
        // for the file either. Flags such as "assume unchanged" are not
        // copied: the walk compares every file with what is on disk.
        let trusted = match (u64::try_from(entry.mtime.seconds()), stamp_secs) {
            (Ok(mtime), Some(stamp)) => mtime < stamp,
            _ => false,
        } && (entry.mode == MODE_GITLINK as u32 || odb.exists(entry.id));
        let stat = if trusted {
            cache::Stat {
                mtime: entry.mtime.seconds().into(),
                mtime_ns: entry.mtime.nanoseconds(),
                ctime: entry.ctime.seconds().into(),
                ctime_ns: entry.ctime.nanoseconds(),
                ino: entry.ino.into(),
                size: entry.file_size.into(),
                uid: entry.uid,
                gid: entry.gid,
            }
        } else {
            // Matches no file on disk: the walk hashes it.
            cache::Stat {
                mtime: -1,
                ..cache::Stat::default()
            }
        };
        seeded.push(cache::Entry {
            path: entry.path,
            mode: entry.mode,
            id: entry.id,
            stat,
        });
    }
    if seeded.is_empty() {
        return Ok(Seeded {
            tracked,
            entries: have,
            seeded: Vec::new(),
        });
    }
    // Both lists are sorted and share no path: merge them.
    let n = have.len() + seeded.len();
    let (mut merged, mut added) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut have = have.into_iter().peekable();
    for e in seeded {
        while let Some(h) = have.next_if(|h| h.path < e.path) {
            merged.push(h);
            added.push(false);
        }
        merged.push(e);
        added.push(true);
    }
    added.resize(n, false);
    merged.extend(have);
    Ok(Seeded {
        tracked,
        entries: merged,
        seeded: added,
    })
}

/// What seeding from the user's index gives the walk.
struct Seeded {
    /// Every path the user's index holds.
    tracked: HashSet<Vec<u8>>,
    /// The cached entries with the user's added, sorted by path.
    entries: Vec<cache::Entry>,
    /// Which of `entries` came from the user's index; empty when none did.
    seeded: Vec<bool>,
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

/// Whether `tree` has a directory at `path`.
fn is_dir_in(tree: &Tree<'_>, path: &Path) -> bool {
    matches!(tree.get_path(path), Ok(entry) if entry.kind() == Some(ObjectType::Tree))
}

/// Checks the start content of `paths` out into `staging` so that smudge
/// filters (line endings), modes and symlinks are applied exactly as git would.
///
/// `handle` must be a `detached_handle`: its in-memory index has no file to
/// write, and as it is not "on disk" checkout uses an empty baseline, i.e.
/// writes every requested path.
fn stage_start_content(
    handle: &Repository,
    start_tree: &Tree<'_>,
    paths: &[Vec<u8>],
    staging: &Path,
) -> Result<(), ShadowError> {
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
    handle.checkout_tree(start_tree.as_object(), Some(&mut opts))?;
    Ok(())
}

/// Removes directories in `candidates` (relative to `workdir`) that are now
/// empty, deepest first, except those that restored files will be written into.
fn remove_emptied_dirs(workdir: &Path, candidates: BTreeSet<PathBuf>, writes: &[Vec<u8>]) {
    let needed: Vec<PathBuf> = writes.iter().map(|p| git_path(p)).collect();
    let mut dirs: Vec<PathBuf> = candidates
        .into_iter()
        .filter(|d| !d.as_os_str().is_empty())
        // A restored file *at* the directory's path needs it gone; only files
        // restored *inside* it keep it.
        .filter(|d| !needed.iter().any(|w| w != d && w.starts_with(d)))
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
    match fs::rename(staged, target) {
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {}
        other => return other,
    }
    #[cfg(unix)]
    if fs::symlink_metadata(staged)?.file_type().is_symlink() {
        let link = fs::read_link(staged)?;
        match fs::remove_file(target) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        return std::os::unix::fs::symlink(link, target);
    }
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

// The tests drive real repositories through the git CLI and rely on Unix
// permission bits and symlinks.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use git2::IndexAddOption;
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    use std::time::SystemTime;
    use tempfile::TempDir;

    /// Runs git in `dir`, panicking with its stderr on failure.
    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 git output")
    }

    /// Whether git succeeds in `dir`.
    fn git_ok(dir: &Path, args: &[&str]) -> bool {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .expect("run git")
            .status
            .success()
    }

    /// Writes `content` to `rel`, creating parent directories like a shell would.
    fn write(dir: &Path, rel: &str, content: &str) {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    /// Reads `rel` as text.
    fn read(dir: &Path, rel: &str) -> String {
        fs::read_to_string(dir.join(rel)).unwrap()
    }

    /// Sets the permission bits of `rel`.
    fn chmod(dir: &Path, rel: &str, mode: u32) {
        fs::set_permissions(dir.join(rel), fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Whether `rel` is executable by its owner.
    fn executable(dir: &Path, rel: &str) -> bool {
        fs::metadata(dir.join(rel)).unwrap().permissions().mode() & 0o100 != 0
    }

    /// A fresh repository on branch `main` with a repo-local identity and `files` written (not added).
    fn init(files: &[(&str, &str)]) -> (TempDir, Repository) {
        let tmp = TempDir::new().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        git(dir, &["config", "user.name", "Test User"]);
        git(dir, &["config", "user.email", "test@example.com"]);
        for (rel, content) in files {
            write(dir, rel, content);
        }
        let repo = Repository::open(dir).unwrap();
        (tmp, repo)
    }

    /// Like `init`, with every file committed.
    fn init_committed(files: &[(&str, &str)]) -> (TempDir, Repository) {
        let (tmp, repo) = init(files);
        git(tmp.path(), &["add", "-A"]);
        git(tmp.path(), &["commit", "-q", "-m", "initial"]);
        (tmp, repo)
    }

    /// Everything about the user's git state that leash must never change.
    #[derive(Debug, PartialEq, Eq)]
    struct UserState {
        index: Option<(Vec<u8>, SystemTime)>,
        head: String,
        branch: Option<String>,
        status: String,
    }

    /// Captures the user's index file (bytes and mtime), HEAD, branch and status.
    fn user_state(dir: &Path) -> UserState {
        let index_path = dir.join(".git/index");
        let index = fs::read(&index_path).ok().map(|bytes| {
            (
                bytes,
                fs::metadata(&index_path).unwrap().modified().unwrap(),
            )
        });
        let branch = git_ok(dir, &["rev-parse", "--verify", "-q", "refs/heads/main"])
            .then(|| git(dir, &["rev-parse", "refs/heads/main"]));
        UserState {
            index,
            head: fs::read_to_string(dir.join(".git/HEAD")).unwrap(),
            branch,
            status: status(dir),
        }
    }

    /// `git status` without letting git itself refresh (rewrite) the index.
    fn status(dir: &Path) -> String {
        git(
            dir,
            &[
                "--no-optional-locks",
                "status",
                "--porcelain",
                "--untracked-files=all",
            ],
        )
    }

    /// `git ls-tree -r` of a snapshot: one "mode type id\tpath" line per file.
    fn ls_tree(dir: &Path, oid: Oid) -> String {
        git(dir, &["ls-tree", "-r", &oid.to_string()])
    }

    /// The mode of `rel` in snapshot `oid`, if present.
    fn mode_in(dir: &Path, oid: Oid, rel: &str) -> Option<String> {
        ls_tree(dir, oid).lines().find_map(|line| {
            let (meta, path) = line.split_once('\t')?;
            (path == rel).then(|| meta.split(' ').next().unwrap().to_string())
        })
    }

    /// The content of `rel` in snapshot `oid`.
    fn show(dir: &Path, oid: Oid, rel: &str) -> String {
        git(dir, &["show", &format!("{oid}:{rel}")])
    }

    #[test]
    fn snapshot_sees_shell_edits_and_leaves_user_state_alone() {
        let (tmp, repo) = init_committed(&[
            ("a.txt", "one\ntwo\n"),
            ("b.txt", "b1\nb2\n"),
            ("c.txt", "c1\nc2\nc3\n"),
            ("run.sh", "#!/bin/sh\necho hi\n"),
            (".gitignore", "*.log\nbuild/\n"),
        ]);
        let dir = tmp.path();
        write(dir, ".git/info/exclude", "secret/\n");
        // The user has a staged change that must survive untouched.
        write(dir, "a.txt", "one\ntwo\nstaged\n");
        git(dir, &["add", "a.txt"]);
        let user = user_state(dir);

        let start = snapshot(&repo, "s1", "start t1").unwrap();
        assert_eq!(user_state(dir), user);

        // The "shell" edits of the turn.
        write(dir, "b.txt", "b1\nchanged\n");
        fs::remove_file(dir.join("c.txt")).unwrap();
        write(dir, "new.txt", "n\n");
        chmod(dir, "run.sh", 0o755);
        write(dir, "deep/er/x.rs", "fn x() {}\n");
        write(dir, ".hidden/conf", "k=v\n");
        write(dir, "debug.log", "noise\n");
        write(dir, "build/out.bin", "bin\n");
        write(dir, "secret/key", "hunter2\n");
        let user = user_state(dir);

        let end = snapshot(&repo, "s1", "end t1").unwrap();
        assert_eq!(user_state(dir), user);
        assert_eq!(git(dir, &["diff", "--cached", "--name-only"]), "a.txt\n");
        // The caller's handle still works with the user's index.
        assert_eq!(
            repo.index().unwrap().path().unwrap(),
            repo.path().join("index")
        );

        let change = changes(&repo, start, end).unwrap();
        assert_eq!(
            change,
            Change {
                paths: vec![
                    ".hidden/conf".into(),
                    "b.txt".into(),
                    "c.txt".into(),
                    "deep/er/x.rs".into(),
                    "new.txt".into(),
                    "run.sh".into(),
                ],
                files: 6,
                insertions: 4,
                deletions: 4,
            }
        );

        // Snapshots hold the working tree, not the index.
        assert_eq!(show(dir, start, "a.txt"), "one\ntwo\nstaged\n");
        assert_eq!(mode_in(dir, start, "run.sh").as_deref(), Some("100644"));
        assert_eq!(mode_in(dir, end, "run.sh").as_deref(), Some("100755"));
        let files = ls_tree(dir, end);
        for ignored in ["debug.log", "build/out.bin", "secret/key"] {
            assert!(!files.contains(ignored), "{ignored} in snapshot:\n{files}");
        }

        assert_eq!(repo.refname_to_id(&shadow_ref("s1")).unwrap(), end);
        let end_commit = repo.find_commit(end).unwrap();
        assert_eq!(end_commit.parent_ids().collect::<Vec<_>>(), vec![start]);
        assert!(end_commit.message().unwrap().contains("end t1"));
        assert_eq!(repo.find_commit(start).unwrap().parent_count(), 0);
        assert_eq!(end_commit.author().name().unwrap(), "Test User");
    }

    #[test]
    fn set_index_only_swaps_the_handles_in_memory_index() {
        let (tmp, repo) = init_committed(&[("a.txt", "a\n")]);
        let dir = tmp.path();
        write(dir, "a.txt", "staged\n");
        git(dir, &["add", "a.txt"]);
        write(dir, "new.txt", "n\n");
        let user = user_state(dir);

        let private = dir.join(".git/probe.index");
        let mut index = Index::open(&private).unwrap();
        repo.set_index(&mut index).unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.write().unwrap();

        assert_eq!(user_state(dir), user);
        assert!(private.exists());
        // The handle itself is redirected, which is why snapshot() works on a
        // second handle rather than the caller's.
        assert_eq!(repo.index().unwrap().path(), Some(private.as_path()));
        let fresh = Repository::open(dir).unwrap();
        assert!(
            fresh
                .index()
                .unwrap()
                .get_path(Path::new("new.txt"), 0)
                .is_none()
        );
    }

    #[test]
    fn second_snapshot_reuses_the_private_index() {
        let (tmp, repo) = init_committed(&[("keep.txt", "AAAA\n")]);
        let dir = tmp.path();
        // Without ctime in the comparison, identical size and mtime are all
        // the stat cache looks at, so a same-size rewrite with the old mtime
        // is only noticed by hashing.
        git(dir, &["config", "core.trustctime", "false"]);
        let old_mtime = ["-d", "@946684800", "keep.txt"];
        assert!(
            Command::new("touch")
                .current_dir(dir)
                .args(old_mtime)
                .status()
                .unwrap()
                .success()
        );

        let first = snapshot(&repo, "s", "start").unwrap();
        let index_file = dir.join(".git/leash/shadow/s.stat");
        assert!(index_file.exists());
        assert_eq!(show(dir, first, "keep.txt"), "AAAA\n");

        write(dir, "keep.txt", "BBBB\n");
        assert!(
            Command::new("touch")
                .current_dir(dir)
                .args(old_mtime)
                .status()
                .unwrap()
                .success()
        );
        write(dir, "other.txt", "new\n");
        let second = snapshot(&repo, "s", "end").unwrap();
        // The cached stat data vouched for keep.txt, so it was not re-hashed...
        assert_eq!(show(dir, second, "keep.txt"), "AAAA\n");
        // ...while files whose stat changed were.
        assert_eq!(show(dir, second, "other.txt"), "new\n");

        // Control: without the private index the same tree is hashed afresh.
        fs::remove_file(&index_file).unwrap();
        let third = snapshot(&repo, "s", "fresh").unwrap();
        assert_eq!(show(dir, third, "keep.txt"), "BBBB\n");
    }

    #[test]
    fn restore_puts_back_start_content_and_reports_later_edits() {
        let (tmp, repo) = init_committed(&[
            ("a.txt", "a1\n"),
            ("b.txt", "b1\n"),
            ("c.txt", "c1\n"),
            ("run.sh", "#!/bin/sh\n"),
            ("docs/readme.md", "docs\n"),
            (".gitignore", "*.log\n"),
        ]);
        let dir = tmp.path();
        let start = snapshot(&repo, "s2", "start t2").unwrap();

        write(dir, "a.txt", "a-turn\n");
        write(dir, "b.txt", "b-turn\n");
        fs::remove_file(dir.join("c.txt")).unwrap();
        chmod(dir, "run.sh", 0o755);
        write(dir, "new/dir/n.txt", "n\n");
        write(dir, "docs/new.md", "new doc\n");
        write(dir, "out/gen.rs", "gen\n");
        write(dir, "out/x.log", "ignored\n");
        write(dir, "top.txt", "top\n");
        let end = snapshot(&repo, "s2", "end t2").unwrap();

        // The user keeps working after the turn ended.
        write(dir, "b.txt", "b-user\n");
        let user = user_state(dir);

        let report = restore(&repo, "s2", start, end).unwrap();
        assert_eq!(
            report.skipped,
            vec![(
                "b.txt".to_string(),
                "edited since the turn ended".to_string()
            )]
        );
        assert_eq!(
            report.restored,
            [
                "a.txt",
                "c.txt",
                "docs/new.md",
                "new/dir/n.txt",
                "out/gen.rs",
                "run.sh",
                "top.txt"
            ]
        );
        assert_eq!(read(dir, "a.txt"), "a1\n");
        assert_eq!(read(dir, "b.txt"), "b-user\n");
        assert_eq!(read(dir, "c.txt"), "c1\n");
        assert!(!executable(dir, "run.sh"));
        assert!(!dir.join("top.txt").exists());
        // Directories leash emptied go; ones still holding anything stay.
        assert!(!dir.join("new").exists());
        assert!(!dir.join("docs/new.md").exists());
        assert_eq!(read(dir, "docs/readme.md"), "docs\n");
        assert!(!dir.join("out/gen.rs").exists());
        assert_eq!(read(dir, "out/x.log"), "ignored\n");

        // Only the working tree changed: index, HEAD and branch are as they were.
        let after = user_state(dir);
        assert_eq!(
            (&after.index, &after.head, &after.branch),
            (&user.index, &user.head, &user.branch)
        );

        // The safety snapshot holds the pre-restore state, on top of the end snapshot.
        let safety = report.safety.unwrap();
        assert_eq!(repo.refname_to_id(&shadow_ref("s2")).unwrap(), safety);
        let safety_commit = repo.find_commit(safety).unwrap();
        assert_eq!(safety_commit.parent_id(0).unwrap(), end);
        assert!(
            safety_commit
                .message()
                .unwrap()
                .contains("safety before restore")
        );
        assert_eq!(show(dir, safety, "a.txt"), "a-turn\n");
        assert_eq!(show(dir, safety, "b.txt"), "b-user\n");
        assert_eq!(show(dir, safety, "new/dir/n.txt"), "n\n");
        assert_eq!(mode_in(dir, safety, "run.sh").as_deref(), Some("100755"));
        assert_eq!(mode_in(dir, safety, "c.txt"), None);

        // Afterwards the tree equals the start except for the user's own edit.
        let now = snapshot(&repo, "s2", "after").unwrap();
        assert_eq!(changes(&repo, start, now).unwrap().paths, ["b.txt"]);
    }

    #[test]
    fn restore_leaves_files_deleted_or_recreated_since_the_end_alone() {
        let (tmp, repo) = init_committed(&[("x.txt", "x\n"), ("y.txt", "y\n")]);
        let dir = tmp.path();
        let start = snapshot(&repo, "s3", "start").unwrap();
        write(dir, "x.txt", "x-turn\n");
        fs::remove_file(dir.join("y.txt")).unwrap();
        write(dir, "z.txt", "z-turn\n");
        let end = snapshot(&repo, "s3", "end").unwrap();

        fs::remove_file(dir.join("x.txt")).unwrap();
        write(dir, "y.txt", "mine\n");
        write(dir, "z.txt", "z-user\n");

        let report = restore(&repo, "s3", start, end).unwrap();
        assert!(report.restored.is_empty());
        assert_eq!(
            report.skipped,
            vec![
                (
                    "x.txt".to_string(),
                    "deleted or replaced since the turn ended".to_string()
                ),
                (
                    "y.txt".to_string(),
                    "created again since the turn ended".to_string()
                ),
                (
                    "z.txt".to_string(),
                    "edited since the turn ended".to_string()
                ),
            ]
        );
        assert!(!dir.join("x.txt").exists());
        assert_eq!(read(dir, "y.txt"), "mine\n");
        assert_eq!(read(dir, "z.txt"), "z-user\n");
    }

    #[test]
    fn restore_swaps_files_and_directories_back() {
        let (tmp, repo) = init_committed(&[
            ("keep/a.txt", "a\n"),
            ("was_file", "file\n"),
            ("was_dir/inner.txt", "inner\n"),
        ]);
        let dir = tmp.path();
        chmod(dir, "keep", 0o750);
        let start = snapshot(&repo, "s8", "start").unwrap();

        fs::remove_file(dir.join("keep/a.txt")).unwrap();
        write(dir, "keep/b.txt", "b\n");
        fs::remove_file(dir.join("was_file")).unwrap();
        write(dir, "was_file/x.txt", "x\n");
        fs::remove_dir_all(dir.join("was_dir")).unwrap();
        write(dir, "was_dir", "now a file\n");
        let end = snapshot(&repo, "s8", "end").unwrap();

        let report = restore(&repo, "s8", start, end).unwrap();
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        assert_eq!(read(dir, "keep/a.txt"), "a\n");
        assert!(!dir.join("keep/b.txt").exists());
        // A directory that restored files go into is kept, not recreated.
        let keep_mode = fs::metadata(dir.join("keep")).unwrap().permissions().mode();
        assert_eq!(keep_mode & 0o777, 0o750);
        assert_eq!(read(dir, "was_file"), "file\n");
        assert_eq!(read(dir, "was_dir/inner.txt"), "inner\n");
        let now = snapshot(&repo, "s8", "after").unwrap();
        assert!(changes(&repo, start, now).unwrap().paths.is_empty());
    }

    #[test]
    fn racily_clean_user_entries_are_rehashed() {
        let (tmp, repo) = init(&[("f.txt", "AAAA\n")]);
        let dir = tmp.path();
        git(dir, &["config", "core.trustctime", "false"]);
        let at = |file: &str| {
            let args = ["-d", "@946684800", file];
            assert!(
                Command::new("touch")
                    .current_dir(dir)
                    .args(args)
                    .status()
                    .unwrap()
                    .success()
            );
        };
        at("f.txt");
        git(dir, &["add", "f.txt"]);
        // Same-size rewrite with the same mtime as the entry *and* the index
        // file: only the entry's raciness says its stat data proves nothing.
        write(dir, "f.txt", "BBBB\n");
        at("f.txt");
        at(".git/index");
        let oid = snapshot(&repo, "s9", "start").unwrap();
        assert_eq!(show(dir, oid, "f.txt"), "BBBB\n");
    }

    #[test]
    fn works_in_a_linked_worktree() {
        let (tmp, _main) = init_committed(&[("a.txt", "a\n")]);
        let wt = tmp.path().join("wt");
        git(tmp.path(), &["worktree", "add", "-q", "-b", "side", "wt"]);
        let repo = Repository::open(&wt).unwrap();
        let index_before = fs::read(repo.path().join("index")).unwrap();

        let start = snapshot(&repo, "w1", "start").unwrap();
        write(&wt, "a.txt", "changed\n");
        let end = snapshot(&repo, "w1", "end").unwrap();
        assert_eq!(changes(&repo, start, end).unwrap().paths, ["a.txt"]);
        // The private index is per worktree; the session ref is shared.
        assert!(repo.path().join("leash/shadow/w1.stat").exists());
        assert_eq!(
            git(tmp.path(), &["rev-parse", "refs/leash/shadow/w1"]).trim(),
            end.to_string()
        );

        let report = restore(&repo, "w1", start, end).unwrap();
        assert_eq!(report.restored, ["a.txt"]);
        assert_eq!(read(&wt, "a.txt"), "a\n");
        assert_eq!(read(tmp.path(), "a.txt"), "a\n");
        assert_eq!(fs::read(repo.path().join("index")).unwrap(), index_before);
    }

    #[test]
    fn works_with_a_separate_git_dir_on_another_filesystem() {
        // On Linux /dev/shm is usually tmpfs, so staged files cannot simply be
        // renamed into the working tree and have to be copied.
        let shm = Path::new("/dev/shm");
        let git_tmp = if shm.is_dir() {
            TempDir::new_in(shm).unwrap()
        } else {
            TempDir::new().unwrap()
        };
        let work_tmp = TempDir::new().unwrap();
        let gitdir = git_tmp.path().join("repo.git");
        let work = work_tmp.path();
        let gitdir_arg = gitdir.to_str().unwrap();
        git(
            work,
            &["init", "-q", "-b", "main", "--separate-git-dir", gitdir_arg],
        );
        git(work, &["config", "user.name", "Test User"]);
        git(work, &["config", "user.email", "test@example.com"]);
        write(work, "a.txt", "a\n");
        write(work, "run.sh", "#!/bin/sh\n");
        chmod(work, "run.sh", 0o755);
        std::os::unix::fs::symlink("a.txt", work.join("link")).unwrap();
        git(work, &["add", "-A"]);
        git(work, &["commit", "-q", "-m", "initial"]);
        let repo = Repository::open(work).unwrap();
        let start = snapshot(&repo, "g1", "start").unwrap();

        write(work, "a.txt", "changed\n");
        fs::remove_file(work.join("run.sh")).unwrap();
        fs::remove_file(work.join("link")).unwrap();
        write(work, "b.txt", "b\n");
        let end = snapshot(&repo, "g1", "end").unwrap();
        assert_eq!(
            changes(&repo, start, end).unwrap().paths,
            ["a.txt", "b.txt", "link", "run.sh"]
        );
        assert!(gitdir.join("leash/shadow/g1.stat").exists());

        let report = restore(&repo, "g1", start, end).unwrap();
        assert_eq!(report.restored, ["a.txt", "b.txt", "link", "run.sh"]);
        assert_eq!(read(work, "a.txt"), "a\n");
        assert!(executable(work, "run.sh"));
        assert_eq!(
            fs::read_link(work.join("link")).unwrap(),
            Path::new("a.txt")
        );
        assert!(!work.join("b.txt").exists());
        assert!(!gitdir.join("leash/shadow/g1.restore").exists());
    }

    #[test]
    fn survives_indexes_it_cannot_read() {
        let (tmp, repo) = init_committed(&[("a.txt", "a\n")]);
        let dir = tmp.path();
        // libgit2 cannot parse a split index ("link" is a required extension).
        git(dir, &["update-index", "--split-index"]);
        write(dir, "b.txt", "b\n");
        let user = user_state(dir);
        let first = snapshot(&repo, "s10", "first").unwrap();
        assert_eq!(user_state(dir), user);
        assert_eq!(show(dir, first, "a.txt"), "a\n");

        // A damaged private index is only a cache: it is rebuilt.
        fs::write(dir.join(".git/leash/shadow/s10.stat"), "garbage").unwrap();
        write(dir, "a.txt", "a2\n");
        let second = snapshot(&repo, "s10", "second").unwrap();
        assert_eq!(changes(&repo, first, second).unwrap().paths, ["a.txt"]);
        let report = restore(&repo, "s10", first, second).unwrap();
        assert_eq!(report.restored, ["a.txt"]);
        assert_eq!(read(dir, "a.txt"), "a\n");
        let after = user_state(dir);
        assert_eq!((&after.index, &after.head), (&user.index, &user.head));
    }

    #[test]
    fn restore_recreates_symlinks() {
        let (tmp, repo) = init_committed(&[("target.txt", "t\n")]);
        let dir = tmp.path();
        std::os::unix::fs::symlink("target.txt", dir.join("link")).unwrap();
        let start = snapshot(&repo, "s4", "start").unwrap();
        assert_eq!(mode_in(dir, start, "link").as_deref(), Some("120000"));

        fs::remove_file(dir.join("link")).unwrap();
        write(dir, "link", "now a file\n");
        let end = snapshot(&repo, "s4", "end").unwrap();

        let report = restore(&repo, "s4", start, end).unwrap();
        assert_eq!(report.restored, ["link"]);
        assert_eq!(
            fs::read_link(dir.join("link")).unwrap(),
            Path::new("target.txt")
        );
    }

    #[test]
    fn restore_applies_line_ending_filters() {
        let (tmp, repo) = init_committed(&[
            (".gitattributes", "*.txt text eol=crlf\n"),
            ("win.txt", "l1\r\nl2\r\n"),
        ]);
        let dir = tmp.path();
        let start = snapshot(&repo, "s5", "start").unwrap();
        // Snapshots store normalized content, as `git add` would.
        assert_eq!(show(dir, start, "win.txt"), "l1\nl2\n");
        write(dir, "win.txt", "l1\r\nchanged\r\n");
        let end = snapshot(&repo, "s5", "end").unwrap();

        let report = restore(&repo, "s5", start, end).unwrap();
        assert_eq!(report.restored, ["win.txt"]);
        assert_eq!(read(dir, "win.txt"), "l1\r\nl2\r\n");
    }

    #[test]
    fn works_on_an_unborn_branch() {
        let (tmp, repo) = init(&[("f.txt", "f1\n"), ("g.txt", "g\n")]);
        let dir = tmp.path();
        let user = user_state(dir);
        assert!(user.index.is_none());

        let start = snapshot(&repo, "s6", "start").unwrap();
        write(dir, "f.txt", "f2\n");
        write(dir, "h/h.txt", "h\n");
        let end = snapshot(&repo, "s6", "end").unwrap();
        assert_eq!(user_state(dir).index, None);
        assert_eq!(
            changes(&repo, start, end).unwrap(),
            Change {
                paths: vec!["f.txt".into(), "h/h.txt".into()],
                files: 2,
                insertions: 2,
                deletions: 1,
            }
        );

        let report = restore(&repo, "s6", start, end).unwrap();
        assert_eq!(report.restored, ["f.txt", "h/h.txt"]);
        assert_eq!(read(dir, "f.txt"), "f1\n");
        assert!(!dir.join("h").exists());
        assert_eq!(user_state(dir), user);
        assert!(!git_ok(dir, &["rev-parse", "--verify", "-q", "HEAD"]));
    }

    #[test]
    fn follows_ignore_rules_as_git_status_does() {
        let (tmp, repo) = init(&[(".gitignore", "*.env\n"), ("app.env", "K=1\n")]);
        let dir = tmp.path();
        // A file the user force-added stays part of the tree despite .gitignore.
        git(dir, &["add", "-f", "app.env", ".gitignore"]);
        git(dir, &["commit", "-q", "-m", "initial"]);
        let first = snapshot(&repo, "s7", "first").unwrap();
        assert_eq!(show(dir, first, "app.env"), "K=1\n");

        write(dir, "later.txt", "l\n");
        let second = snapshot(&repo, "s7", "second").unwrap();
        assert_eq!(show(dir, second, "later.txt"), "l\n");

        // A file that becomes ignored leaves the snapshot; an untracked nested
        // repository (even one without commits) is skipped, not an error.
        write(dir, ".gitignore", "*.env\nlater.txt\n");
        write(dir, "app.env", "K=2\n");
        git(dir, &["init", "-q", "nested"]);
        write(dir, "nested/f.txt", "f\n");
        let third = snapshot(&repo, "s7", "third").unwrap();
        assert_eq!(
            changes(&repo, second, third).unwrap().paths,
            [".gitignore", "app.env", "later.txt"]
        );
    }

    #[test]
    fn snapshots_skip_an_unchanged_user_index_and_still_follow_ignore_rules() {
        let (tmp, repo) = init(&[(".gitignore", "*.env\n"), ("app.env", "K=1\n")]);
        let dir = tmp.path();
        git(dir, &["add", "-f", "app.env", ".gitignore"]);
        git(dir, &["commit", "-q", "-m", "initial"]);
        let user = user_state(dir);
        let record = dir.join(".git/leash/shadow/s11.stat");
        snapshot(&repo, "s11", "first").unwrap();
        let seeded = cache::read(&record).unwrap().stamp;
        assert!(seeded.is_some());

        // The user's index never changes from here on: every snapshot below
        // works from the record, not from a fresh seeding.
        write(dir, "later.txt", "l\n");
        write(dir, "keep.txt", "k\n");
        let second = snapshot(&repo, "s11", "second").unwrap();
        snapshot(&repo, "s11", "same").unwrap();
        assert!(ls_tree(dir, second).contains("later.txt"));

        // An untracked file that becomes ignored leaves the snapshot; a
        // tracked (force-added) one deleted and recreated stays, though the
        // refresh saw it as a new file.
        write(dir, ".gitignore", "*.env\nlater.txt\n");
        fs::remove_file(dir.join("app.env")).unwrap();
        snapshot(&repo, "s11", "no env").unwrap();
        write(dir, "app.env", "K=2\n");
        let third = snapshot(&repo, "s11", "third").unwrap();
        assert_eq!(
            changes(&repo, second, third).unwrap().paths,
            [".gitignore", "app.env", "later.txt"]
        );
        assert_eq!(show(dir, third, "app.env"), "K=2\n");
        assert!(ls_tree(dir, third).contains("keep.txt"));
        let after = user_state(dir);
        assert_eq!(
            (&after.index, &after.head, &after.branch),
            (&user.index, &user.head, &user.branch)
        );
        assert_eq!(cache::read(&record).unwrap().stamp, seeded);

        // A changed user index is read again, and a damaged record only
        // costs a seeding.
        git(dir, &["rm", "-q", "--cached", "app.env"]);
        fs::write(&record, "garbage").unwrap();
        let fourth = snapshot(&repo, "s11", "fourth").unwrap();
        assert!(!ls_tree(dir, fourth).contains("app.env"));
        assert!(ls_tree(dir, fourth).contains("keep.txt"));
    }

    #[test]
    fn rejects_session_names_that_escape_the_namespace() {
        let (tmp, repo) = init(&[("a.txt", "a\n")]);
        for bad in ["", "../x", "a/b", ".hidden", "x.lock", "a b", "a..b"] {
            assert!(
                matches!(snapshot(&repo, bad, "l"), Err(ShadowError::Git(_))),
                "{bad:?} accepted"
            );
        }
        assert!(!tmp.path().join(".git/leash").exists());
        assert!(snapshot(&repo, "0b9e-4c1a_session.2", "ok").is_ok());
    }

    /// The tree `git add -A && git write-tree` makes from a copy of the
    /// user's index: what a snapshot must hold, when no nested repository
    /// is untracked and no entry is marked "assume unchanged".
    fn git_add_all_tree(dir: &Path, scratch: &Path) -> String {
        let probe = scratch.join("index");
        let _ = fs::remove_file(&probe);
        if let Ok(meta) = fs::metadata(dir.join(".git/index")) {
            fs::copy(dir.join(".git/index"), &probe).unwrap();
            // git trusts an entry's stat data only if it is older than the
            // index file (by the second, as git compares them here): the
            // copy keeps the original's mtime, or a file rewritten in the
            // second it was added would look unchanged to git.
            let copy = fs::File::options().write(true).open(&probe).unwrap();
            copy.set_modified(meta.modified().unwrap()).unwrap();
        }
        for args in [&["add", "-A"][..], &["write-tree"]] {
            let out = Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .env("GIT_INDEX_FILE", &probe)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            if args[0] == "write-tree" {
                return String::from_utf8(out.stdout).unwrap().trim().to_string();
            }
        }
        unreachable!()
    }

    /// Asserts that trees `ours` and `git` are one, showing both when not.
    fn same_tree(dir: &Path, ours: &str, theirs: &str, what: &str) {
        if ours != theirs {
            let list = |t: &str| git(dir, &["ls-tree", "-r", t]);
            panic!(
                "{what}: the snapshot's tree differs from git's\nours:\n{}\ngit's:\n{}",
                list(ours),
                list(theirs)
            );
        }
    }

    #[test]
    fn snapshots_match_git_add_all_through_edits_of_every_kind() {
        let (tmp, repo) = init_committed(&[
            (".gitignore", "target/\n*.log\n"),
            ("a-b", "1\n"),
            ("a.b", "2\n"),
            ("a/b", "3\n"),
            ("a0", "4\n"),
            ("dir/x.txt", "x\n"),
            ("dir/sub/y.txt", "y\n"),
            ("dir/sub/deeper/z.txt", "z\n"),
            ("gone/only.txt", "o\n"),
            ("run.sh", "#!/bin/sh\n"),
        ]);
        let dir = tmp.path();
        let scratch = TempDir::new().unwrap();
        let step = |what: &str| {
            let ours = snapshot(&repo, "m", what).unwrap();
            let tree = repo.find_commit(ours).unwrap().tree_id().to_string();
            same_tree(dir, &tree, &git_add_all_tree(dir, scratch.path()), what);
            ours
        };
        step("committed");
        step("unchanged");

        // Edits of every kind at once, including the names that sort around
        // a directory's '/' ("a-b", "a.b", "a/", "a0").
        write(dir, "dir/x.txt", "X\n");
        write(dir, "dir/new.txt", "n\n");
        write(dir, "dir/sub/deeper/more/w.txt", "w\n");
        fs::remove_dir_all(dir.join("gone")).unwrap();
        chmod(dir, "run.sh", 0o755);
        std::os::unix::fs::symlink("dir/x.txt", dir.join("link")).unwrap();
        fs::remove_file(dir.join("a0")).unwrap();
        write(dir, "a0/c", "now a directory\n");
        fs::remove_dir_all(dir.join("dir/sub/deeper")).unwrap();
        write(dir, "dir/sub/deeper", "now a file\n");
        write(dir, "a/b-c", "5\n");
        fs::remove_file(dir.join("a.b")).unwrap();
        write(dir, "a.b/inner", "6\n");
        write(dir, "with space/\u{e9}t\u{e9}.txt", "u\n");
        write(dir, "debug.log", "ignored\n");
        write(dir, "dir/sub/trace.log", "ignored\n");
        write(dir, "with space/run.log", "ignored\n");
        write(dir, "target/out/bin", "ignored\n");
        fs::create_dir_all(dir.join("empty/nested")).unwrap();
        step("edits");

        // A nested repository the user added is a gitlink that follows the
        // commit checked out in it.
        git(dir, &["init", "-q", "-b", "main", "inner"]);
        for (k, v) in [("user.name", "T"), ("user.email", "t@example.com")] {
            git(&dir.join("inner"), &["config", k, v]);
        }
        write(dir, "inner/f.txt", "1\n");
        git(&dir.join("inner"), &["add", "-A"]);
        git(&dir.join("inner"), &["commit", "-q", "-m", "one"]);
        git(dir, &["add", "inner"]);
        // An intent-to-add entry holds no content yet, though its stat data
        // is the file's: the file's content is taken.
        write(dir, "intent.txt", "content\n");
        let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(946_684_800);
        fs::File::options()
            .write(true)
            .open(dir.join("intent.txt"))
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        git(dir, &["add", "-N", "intent.txt"]);
        // A file the user force-adds joins a directory nothing else changed in.
        git(dir, &["add", "-f", "with space/run.log"]);
        step("user index changed");
        write(dir, "inner/f.txt", "2\n");
        git(&dir.join("inner"), &["commit", "-q", "-am", "two"]);
        step("submodule moved");

        // A file the user never added becomes ignored: it leaves the snapshot.
        write(dir, ".gitignore", "target/\n*.log\ndir/new.txt\n");
        step("newly ignored");

        // A same-size rewrite keeping the old mtime is still seen (ctime).
        let mtime = fs::metadata(dir.join("dir/x.txt"))
            .unwrap()
            .modified()
            .unwrap();
        write(dir, "dir/x.txt", "Y\n");
        fs::File::options()
            .write(true)
            .open(dir.join("dir/x.txt"))
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        step("same size");

        // A damaged cache and a cache that no longer matches the session's
        // snapshot are both ignored.
        let cache_file = dir.join(".git/leash/shadow/m.stat");
        let mut bytes = fs::read(&cache_file).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 1;
        fs::write(&cache_file, bytes).unwrap();
        write(dir, "a/b", "33\n");
        step("damaged cache");
        let kept = fs::read(&cache_file).unwrap();
        git(dir, &["update-ref", "-d", "refs/leash/shadow/m"]);
        write(dir, "a/b", "333\n");
        let fresh = step("session ref gone");
        assert!(repo.find_commit(fresh).unwrap().parent_count() == 0);
        fs::write(&cache_file, kept).unwrap();
        step("stale cache");

        // Everything deleted: the empty tree.
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name() != Some(".git".as_ref()) {
                match fs::symlink_metadata(&path).unwrap().is_dir() {
                    true => fs::remove_dir_all(&path).unwrap(),
                    false => fs::remove_file(&path).unwrap(),
                }
            }
        }
        let empty = step("all deleted");
        assert_eq!(ls_tree(dir, empty), "");
    }

    #[test]
    fn case_insensitive_checkouts_keep_the_index_based_cache() {
        let (tmp, repo) = init_committed(&[("a.txt", "a\n"), ("d/b.txt", "b\n")]);
        let dir = tmp.path();
        git(dir, &["config", "core.ignorecase", "true"]);
        let scratch = TempDir::new().unwrap();
        let first = snapshot(&repo, "ci", "first").unwrap();
        assert!(dir.join(".git/leash/shadow/ci.index").exists());
        assert!(!dir.join(".git/leash/shadow/ci.stat").exists());
        write(dir, "d/b.txt", "changed\n");
        write(dir, "new.txt", "n\n");
        let second = snapshot(&repo, "ci", "second").unwrap();
        let tree = repo.find_commit(second).unwrap().tree_id().to_string();
        same_tree(dir, &tree, &git_add_all_tree(dir, scratch.path()), "");
        assert_eq!(
            changes(&repo, first, second).unwrap().paths,
            ["d/b.txt", "new.txt"]
        );

        // Back to the default: the stat cache takes over, and the other
        // file goes.
        git(dir, &["config", "core.ignorecase", "false"]);
        write(dir, "a.txt", "A\n");
        let third = snapshot(&repo, "ci", "third").unwrap();
        let tree = repo.find_commit(third).unwrap().tree_id().to_string();
        same_tree(dir, &tree, &git_add_all_tree(dir, scratch.path()), "");
        assert!(dir.join(".git/leash/shadow/ci.stat").exists());
        assert!(!dir.join(".git/leash/shadow/ci.index").exists());
    }

    #[test]
    fn files_changed_in_the_tick_the_cache_was_written_are_hashed_again() {
        let (tmp, repo) = init_committed(&[("f.txt", "AAAA\n")]);
        let dir = tmp.path();
        git(dir, &["config", "core.trustctime", "false"]);
        // A file whose mtime is not before the cache's own cannot be told
        // from one rewritten right after its stat data was taken, in the
        // same clock tick: here a same-size rewrite keeps that mtime.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        let set = |content: &str| {
            let file = fs::File::options()
                .write(true)
                .truncate(true)
                .open(dir.join("f.txt"))
                .unwrap();
            std::io::Write::write_all(&mut &file, content.as_bytes()).unwrap();
            file.set_modified(later).unwrap();
        };
        set("BBBB\n");
        let first = snapshot(&repo, "r", "first").unwrap();
        assert_eq!(show(dir, first, "f.txt"), "BBBB\n");
        set("CCCC\n");
        let second = snapshot(&repo, "r", "second").unwrap();
        assert_eq!(show(dir, second, "f.txt"), "CCCC\n");
    }

    #[test]
    fn files_found_ignored_come_back_when_the_rules_that_ignored_them_change() {
        let (tmp, repo) = init_committed(&[
            (".gitignore", "*.o\n"),
            ("src/.gitignore", "*.tmp\n"),
            ("src/a.c", "int a;\n"),
        ]);
        let dir = tmp.path();
        let global = tmp.path().join(".git/global-ignore");
        fs::write(&global, "*.bak\n").unwrap();
        git(
            dir,
            &["config", "core.excludesFile", global.to_str().unwrap()],
        );
        write(dir, ".git/info/exclude", "*.log\n");
        for f in [
            "src/a.o",
            "src/b.tmp",
            "src/c.bak",
            "src/d.log",
            "build/out.o",
            "src/deep/x.tmp",
        ] {
            write(dir, f, "generated\n");
        }
        // A file the user tracks stays in, ignored or not.
        write(dir, "src/kept.o", "kept\n");
        git(dir, &["add", "-f", "src/kept.o"]);
        // Rules written long before the cache: only their stat data can
        // tell that they changed.
        let settle = |files: &[&str]| {
            let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(946_684_800);
            for f in files {
                let file = fs::File::options().write(true).open(dir.join(f)).unwrap();
                file.set_modified(long_ago).unwrap();
            }
        };
        let scratch = TempDir::new().unwrap();
        let step = |what: &str| {
            let ours = snapshot(&repo, "ig", what).unwrap();
            let tree = repo.find_commit(ours).unwrap().tree_id().to_string();
            same_tree(dir, &tree, &git_add_all_tree(dir, scratch.path()), what);
            ls_tree(dir, ours)
        };
        settle(&[
            ".gitignore",
            "src/.gitignore",
            ".git/info/exclude",
            ".git/global-ignore",
        ]);
        assert!(!step("all ignored").contains("src/a.o"));
        assert!(!step("from the cache").contains("src/a.o"));

        // Each source of rules in turn lets one kind of file back in.
        fs::write(dir.join(".gitignore"), "").unwrap();
        settle(&[".gitignore"]);
        let tree = step("root .gitignore emptied");
        assert!(tree.contains("src/a.o") && tree.contains("build/out.o"));
        assert!(!tree.contains("b.tmp"));
        fs::remove_file(dir.join("src/.gitignore")).unwrap();
        let tree = step("src/.gitignore deleted");
        assert!(tree.contains("src/b.tmp") && tree.contains("src/deep/x.tmp"));
        fs::write(&global, "*.bk\n").unwrap();
        settle(&[".git/global-ignore"]);
        assert!(step("global rules changed").contains("src/c.bak"));
        fs::write(dir.join(".git/info/exclude"), "*.lg\n").unwrap();
        settle(&[".git/info/exclude"]);
        assert!(step("info/exclude changed").contains("src/d.log"));

        // And a new rule file below ignores again.
        write(dir, "src/deep/.gitignore", "x.tmp\n");
        settle(&["src/deep/.gitignore"]);
        assert!(!step("new .gitignore").contains("x.tmp"));

        // Once the user stops tracking it, an ignored file leaves, though
        // no rule changed.
        fs::write(dir.join(".gitignore"), "*.o\n").unwrap();
        settle(&[".gitignore"]);
        assert!(step("ignored again").contains("src/kept.o"));
        git(dir, &["rm", "-q", "--cached", "src/kept.o"]);
        assert!(!step("untracked by the user").contains("src/kept.o"));
    }
}
