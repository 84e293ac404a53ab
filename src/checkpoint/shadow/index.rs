//! The stat cache kept in a libgit2 index, `.git/leash/shadow/<session>.index`,
//! with its seed record beside it: the snapshot's path where file names are
//! matched without regard to case or read back in another Unicode form than
//! they were written in (core.ignorecase, core.precomposeunicode), rules
//! libgit2's index and its work-tree diff know and the walk (`super::walk`)
//! does not.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use git2::{DiffOptions, Index, IndexTime, Oid, Repository};

use super::{
    ENTRY_STAGE_MASK, ENTRY_VALID, ShadowError, Tracked, git_path, io_error,
    remove_file_if_present, stat_cache_path, user_index_stamp,
};

/// The snapshot's tree built through a libgit2 index kept in
/// `.git/leash/shadow/<session>.index` (with its seed record beside it).
pub(super) fn tree_through_index(
    repo: &Repository,
    handle: &Repository,
    workdir: &Path,
    session: &str,
) -> Result<Oid, ShadowError> {
    let index_path = private_index_path(repo, session);
    let mut index = open_private_index(&index_path)?;
    // Diffing and adding by path need an owning repository; attaching the
    // index to our own handle keeps the caller's handle (and its idea of
    // "the index") intact.
    handle.set_index(&mut index)?;

    // The user's index is read only when it changed since the last seeding
    // (or the private index is new): seeding from the same index again would
    // add nothing that the refresh below keeps, unless a file the private
    // index dropped as deleted is back on disk.
    let seed_path = seed_record_path(repo, session);
    let stamp = user_index_stamp(repo);
    let record = read_seed_record(&seed_path).filter(|r| {
        stamp.as_deref() == Some(r.stamp.as_str())
            && !index.is_empty()
            && !r
                .missing
                .iter()
                .any(|p| fs::symlink_metadata(workdir.join(git_path(p))).is_ok())
    });
    let (mut tracked, candidates, mut missing) = match record {
        Some(r) => (Tracked::Unread, Some(r.extras), r.missing),
        None => (
            Tracked::Read(seed_index_from_user_index(repo, &mut index)?),
            None,
            Vec::new(),
        ),
    };

    let (added, removed) = refresh_from_workdir(handle, &mut index)?;
    missing.extend(removed);
    missing.sort();
    missing.dedup();
    let extras = drop_newly_ignored(repo, handle, &mut index, &mut tracked, candidates, added)?;

    // The tree is written first so that the index file keeps its tree
    // cache: the next snapshot rewrites (and checks the blobs of) only the
    // directories that changed. Writing the index back stores fresh stat
    // data, which is what lets the next snapshot skip re-hashing files that
    // did not change.
    let tree_id = index.write_tree()?;
    // The record must describe the index file beside it: it goes while the
    // index is rewritten, so a failure in between leaves none, and without a
    // record the next snapshot simply seeds again.
    remove_file_if_present(&seed_path);
    index.write()?;
    match &stamp {
        Some(stamp) => write_seed_record(
            &seed_path,
            &SeedRecord {
                stamp: stamp.clone(),
                extras,
                missing,
            },
        ),
        None => remove_file_if_present(&seed_path),
    }
    // The other stat cache is stale from here on.
    remove_file_if_present(&stat_cache_path(repo, session));
    Ok(tree_id)
}

/// `.git/leash/shadow/<session>.index`, the session's private index file.
pub(super) fn private_index_path(repo: &Repository, session: &str) -> PathBuf {
    repo.path()
        .join("leash")
        .join("shadow")
        .join(format!("{session}.index"))
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

/// `.git/leash/shadow/<session>.seed`: which state of the user's index the
/// private index was last seeded from, the private index's paths that the
/// user's index did not hold then (the only ones that can be "newly
/// ignored" while the user's index stays the same), and the paths dropped
/// since as deleted (which a seeding would bring back, should they return).
pub(super) fn seed_record_path(repo: &Repository, session: &str) -> PathBuf {
    repo.path()
        .join("leash")
        .join("shadow")
        .join(format!("{session}.seed"))
}

/// Repo-relative paths as git stores them (raw bytes).
type RawPaths = Vec<Vec<u8>>;

/// What a seed record holds (see [`seed_record_path`]).
struct SeedRecord {
    stamp: String,
    extras: Vec<Vec<u8>>,
    missing: Vec<Vec<u8>>,
}

/// A seed record; `None` when absent or unreadable.
///
/// The format: the stamp and a newline, then each path NUL-terminated and
/// prefixed with `x` (an extra) or `m` (missing).
fn read_seed_record(path: &Path) -> Option<SeedRecord> {
    let bytes = fs::read(path).ok()?;
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let mut record = SeedRecord {
        stamp: String::from_utf8(bytes[..newline].to_vec()).ok()?,
        extras: Vec::new(),
        missing: Vec::new(),
    };
    let rest = &bytes[newline + 1..];
    if rest.is_empty() {
        return Some(record);
    }
    for item in rest.strip_suffix(&[0])?.split(|&b| b == 0) {
        match item.split_first() {
            Some((b'x', p)) if !p.is_empty() => record.extras.push(p.to_vec()),
            Some((b'm', p)) if !p.is_empty() => record.missing.push(p.to_vec()),
            _ => return None,
        }
    }
    Some(record)
}

/// Writes a seed record atomically; on failure the record is removed, so
/// the next snapshot seeds from the user's index again.
fn write_seed_record(path: &Path, record: &SeedRecord) {
    let mut bytes = record.stamp.as_bytes().to_vec();
    bytes.push(b'\n');
    for (kind, paths) in [(b'x', &record.extras), (b'm', &record.missing)] {
        for p in paths {
            bytes.push(kind);
            bytes.extend_from_slice(p);
            bytes.push(0);
        }
    }
    let tmp = path.with_extension("seed.tmp");
    if fs::write(&tmp, &bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .is_err()
    {
        let _ = fs::remove_file(&tmp);
        remove_file_if_present(path);
    }
}

/// Copies into the private index every entry of the user's index that it
/// lacks, and returns the set of paths the user tracks.
///
/// This makes files the user force-added despite .gitignore part of the
/// snapshot (as `git status` would treat them), and lets a first snapshot
/// trust the user's stat data instead of hashing the whole tree. The user's
/// index file is only read.
fn seed_index_from_user_index(
    repo: &Repository,
    index: &mut Index,
) -> Result<HashSet<Vec<u8>>, ShadowError> {
    let user_path = repo.path().join("index");
    // An index libgit2 cannot parse (split index, sparse index) only costs
    // the seeding; the snapshot itself never depends on the user's index.
    let Ok(user) = Index::open(&user_path) else {
        return Ok(HashSet::new());
    };
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
        // copied; the refresh then hashes the file from disk like any other.
        let _ = index.add(&entry);
    }
    Ok(tracked)
}

/// Brings the private index in line with the working tree in a single pass:
/// adds modified and untracked (non-ignored) files, removes deleted ones, and
/// refreshes the stat data of files whose content turned out unchanged.
///
/// This is `Index::add_all` plus the stat refresh add_all lacks: without it a
/// file that was only touched (or was copied from the user's index with
/// stale stat data) would be re-hashed on every snapshot.
///
/// Returns the paths it added as untracked files, and those it removed.
fn refresh_from_workdir(
    handle: &Repository,
    index: &mut Index,
) -> Result<(RawPaths, RawPaths), ShadowError> {
    let mut opts = DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true)
        // Writes refreshed stat data into the handle's index, which is the
        // private one (set_index); on the caller's handle this would rewrite
        // the user's .git/index.
        .update_index(true);
    let diff = handle.diff_index_to_workdir(Some(index), Some(&mut opts))?;
    let mut work = Vec::new();
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for delta in diff.deltas() {
        let file = delta.new_file();
        let Some(path) = file.path_bytes().or_else(|| delta.old_file().path_bytes()) else {
            continue;
        };
        // Untracked nested repositories come back as "dir/" and cannot be
        // stored as file content, so they are left out rather than failing.
        if path.ends_with(b"/") {
            continue;
        }
        if delta.status() == git2::Delta::Untracked {
            added.push(path.to_vec());
        } else if !file.exists() {
            removed.push(path.to_vec());
        }
        work.push((git_path(path), file.exists()));
    }
    drop(diff);
    for (path, exists) in work {
        if exists {
            index.add_path(&path)?;
        } else {
            index.remove_path(&path)?;
        }
    }
    Ok((added, removed))
}

/// Removes entries that the user does not track and that are now ignored,
/// since the refresh (like `git add -A`) never drops an entry for being
/// ignored, and returns the entries kept that the user does not track.
///
/// With `candidates` (the previous snapshot's such entries, the user's index
/// unchanged since), only those and the files the refresh `added` can be
/// untracked, so only they are looked at; the user's index is read only if
/// one of them is ignored (the user may have force-added it).
fn drop_newly_ignored(
    repo: &Repository,
    handle: &Repository,
    index: &mut Index,
    tracked: &mut Tracked,
    candidates: Option<Vec<Vec<u8>>>,
    added: Vec<Vec<u8>>,
) -> Result<Vec<Vec<u8>>, ShadowError> {
    let paths: Vec<Vec<u8>> = match candidates {
        Some(mut c) => {
            c.extend(added);
            c.sort();
            c.dedup();
            c.retain(|p| index.get_path(&git_path(p), 0).is_some());
            c
        }
        None => index
            .iter()
            .map(|e| e.path)
            .filter(|p| !tracked.contains(repo, p))
            .collect(),
    };
    let mut stale = Vec::new();
    let mut extras = Vec::new();
    for path in paths {
        if handle.is_path_ignored(git_path(&path))? {
            if !tracked.contains(repo, &path) {
                stale.push(path);
            }
        } else {
            extras.push(path);
        }
    }
    for path in stale {
        index.remove_path(&git_path(&path))?;
    }
    Ok(extras)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::TempDir;

    #[test]
    fn seed_records_round_trip_even_when_empty() {
        let tmp = TempDir::new().unwrap();
        let path = tmp.path().join("s.seed");
        for (extras, missing) in [
            (vec![], vec![]),
            (vec![b"a b".to_vec()], vec![]),
            (vec![], vec![b"gone/x".to_vec()]),
            (vec![b"x".to_vec(), b"y".to_vec()], vec![b"z".to_vec()]),
        ] {
            let record = SeedRecord {
                stamp: "v1 1 2 3 4 5.6".into(),
                extras: extras.clone(),
                missing: missing.clone(),
            };
            write_seed_record(&path, &record);
            let back = read_seed_record(&path).unwrap();
            assert_eq!(
                (back.stamp, back.extras, back.missing),
                (record.stamp, extras, missing)
            );
        }
        fs::write(&path, "v1 stamp\nqbad\0").unwrap();
        assert!(read_seed_record(&path).is_none());
    }
}
