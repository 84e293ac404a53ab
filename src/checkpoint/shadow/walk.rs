//! One pass over the working tree that yields the snapshot's tree (see
//! `super::snapshot`).
//!
//! Directories are read in git's tree order, which is also the order of the
//! cached entries, so the walk and the cache are merged like two sorted
//! lists: a cached file is `lstat`ed (relative to its open directory) and
//! kept when its stat data is unchanged, hashed again otherwise; a file the
//! cache lacks is added unless ignored; a cached file the walk does not meet
//! is gone. Each directory's tree is written as the walk leaves it, or kept
//! from the cache when none of its entries changed.
//!
//! libgit2 still does what must match git exactly: hashing a file (through
//! the filters of .gitattributes and core.autocrlf, symlinks as their
//! target) and deciding what is ignored. Asking it is costly (it checks
//! every ignore file up the path each time), so what it said is kept: an
//! untracked path found ignored, or an entry found not ignored, is not asked
//! about again while the rules that applied (the `.gitignore` of each folder
//! up the path, and those from outside the tree) keep their stat data.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use git2::{Index, ObjectType, Odb, Oid, Repository};

use super::cache::{Entry, Stat};
use super::{MODE_GITLINK, ShadowError, Tracked, git_path, io_error};

/// Which cached entries may have become ignored.
pub(super) enum Candidates {
    /// The cache's extras (the user's index is unchanged since the cache
    /// recorded them as not tracked by the user); every other entry is
    /// tracked by the user.
    Extras,
    /// Every entry the user's index does not hold.
    Untracked,
}

/// Where a walk starts from.
pub(super) struct Start {
    /// The previous snapshot's entries, and those seeded from the user's
    /// index, sorted by path.
    pub old: Vec<Entry>,
    /// Which of `old` were seeded (no cached tree holds them); empty when none.
    pub seeded: Vec<bool>,
    /// The previous snapshot's tree ids.
    pub trees: HashMap<Vec<u8>, Oid>,
    /// When the cache was written: entries modified since are racy.
    pub written: (i64, u32),
    pub tracked: Tracked,
    pub candidates: Candidates,
    /// The cache's entries that the user's index did not hold: none of
    /// them was ignored.
    pub extras: HashSet<Vec<u8>>,
    /// Whether the ignore rules from outside the tree are the cache's.
    pub rules_kept: bool,
    /// The stat data of the `.gitignore` files the cache's walk read.
    pub ignore_files: HashMap<Vec<u8>, Stat>,
    /// The untracked paths the cache's walk found ignored.
    pub ignored: HashSet<Vec<u8>>,
}

/// The walk's state and, when done, its results.
pub(super) struct Walk<'r> {
    /// The caller's repository, whose `.git/index` says what the user tracks.
    repo: &'r Repository,
    /// The private handle: its workdir is the caller's, its index is `scratch`.
    handle: &'r Repository,
    workdir: &'r Path,
    odb: Odb<'r>,
    /// An in-memory index only used to hash files the way `git add` would.
    scratch: Index,
    /// The previous snapshot's entries (and those seeded from the user's
    /// index, marked in `seeded`: no cached tree holds them), sorted by path.
    old: Vec<Entry>,
    seeded: Vec<bool>,
    /// How far the walk has got in `old`.
    at: usize,
    old_trees: HashMap<Vec<u8>, Oid>,
    /// When the cache was written: entries modified since are racy.
    written: (i64, u32),
    trust_ctime: bool,
    tracked: Tracked,
    candidates: Candidates,
    old_extras: HashSet<Vec<u8>>,
    old_ignore_files: HashMap<Vec<u8>, Stat>,
    old_ignored: HashSet<Vec<u8>>,
    /// Whether the rules that apply in the folder being walked are those
    /// the cache's walk applied.
    rules_kept: bool,
    /// The snapshot's files, sorted by path.
    pub entries: Vec<Entry>,
    /// The tree id of every directory in the snapshot ("" is the root).
    pub trees: HashMap<Vec<u8>, Oid>,
    /// The snapshot's entries the user's index does not hold.
    pub extras: Vec<Vec<u8>>,
    /// Cached files found deleted.
    pub removed: Vec<Vec<u8>>,
    /// The `.gitignore` files read, with their stat data.
    pub ignore_files: Vec<(Vec<u8>, Stat)>,
    /// The untracked paths found ignored.
    pub ignored: Vec<Vec<u8>>,
}

/// What one directory listing says about a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A regular file or a symlink, with its git mode and stat data.
    File(u32, Stat),
    /// A directory holding a submodule the cache records as a gitlink.
    Gitlink,
    /// Any other directory.
    Tree,
}

impl<'r> Walk<'r> {
    /// A walk from `start`, with ctime part of the stat data compared or not.
    pub fn new(
        repo: &'r Repository,
        handle: &'r Repository,
        workdir: &'r Path,
        trust_ctime: bool,
        start: Start,
    ) -> Result<Walk<'r>, ShadowError> {
        let mut scratch = Index::new()?;
        // Adding by path needs an index owned by a repository; this handle is
        // private to the snapshot, so nothing else sees the swap.
        handle.set_index(&mut scratch)?;
        let entries = Vec::with_capacity(start.old.len() + 16);
        Ok(Walk {
            repo,
            handle,
            workdir,
            odb: handle.odb()?,
            scratch,
            old: start.old,
            seeded: start.seeded,
            at: 0,
            old_trees: start.trees,
            written: start.written,
            trust_ctime,
            tracked: start.tracked,
            candidates: start.candidates,
            old_extras: start.extras,
            old_ignore_files: start.ignore_files,
            old_ignored: start.ignored,
            rules_kept: start.rules_kept,
            entries,
            trees: HashMap::new(),
            extras: Vec::new(),
            removed: Vec::new(),
            ignore_files: Vec::new(),
            ignored: Vec::new(),
        })
    }

    /// Walks the working tree and returns the id of its root tree.
    pub fn run(&mut self) -> Result<Oid, ShadowError> {
        let mut rel = Vec::new();
        let mut abs = self.workdir.to_path_buf();
        let kept = self.rules_kept;
        match self.dir(&mut rel, &mut abs, kept)? {
            Some(id) => Ok(id),
            // Nothing to record: the empty tree, as `git write-tree` of an
            // empty index gives.
            None => {
                let id = self.odb.write(ObjectType::Tree, &[])?;
                self.trees.insert(Vec::new(), id);
                Ok(id)
            }
        }
    }

    /// Walks the directory `rel` (repo-relative, "" for the root; `abs` on
    /// disk) and returns its tree, `None` when it holds nothing to record.
    /// `rules_kept`: whether the rules of the folders above are the cache's.
    fn dir(
        &mut self,
        rel: &mut Vec<u8>,
        abs: &mut PathBuf,
        rules_kept: bool,
    ) -> Result<Option<Oid>, ShadowError> {
        let mut children: Vec<(u64, Vec<u8>, Kind)> = self
            .list(rel, abs)?
            .into_iter()
            .map(|(name, kind)| (sort_key(&name, kind == Kind::Tree), name, kind))
            .collect();
        // The first eight bytes decide most comparisons, as one integer.
        children.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| tree_order(&a.1, a.2 == Kind::Tree, &b.1, b.2 == Kind::Tree))
        });

        let base = rel.len();
        if base > 0 {
            rel.push(b'/');
        }
        let prefix = rel.len();
        let rules_kept = self.own_rules(rel, &children, rules_kept);
        self.rules_kept = rules_kept;
        // A directory the cache has no tree for is written in any case.
        let mut dirty = !self.old_trees.contains_key(&rel[..base]);
        let mut tree = Vec::with_capacity(children.len() * 40);
        for (_, name, kind) in children {
            rel.truncate(prefix);
            rel.extend_from_slice(&name);
            // Cached entries that sort before this name are gone from disk.
            if kind == Kind::Tree {
                rel.push(b'/');
            }
            dirty |= self.drop_before(&rel[..prefix], rel);
            if kind == Kind::Tree {
                rel.pop();
            }
            match kind {
                Kind::File(mode, stat) => {
                    let cached = self.old.get(self.at).is_some_and(|o| o.path == *rel);
                    let found = if cached {
                        let (old, seeded) = self.take();
                        self.refresh(old, seeded, mode, stat, &mut dirty)?
                    } else {
                        let found = self.untracked(rel, stat)?;
                        dirty |= found.is_some();
                        found
                    };
                    if let Some(e) = found {
                        tree_entry(&mut tree, e.mode, &name, &e.id);
                        self.entries.push(e);
                    }
                }
                Kind::Gitlink => {
                    let (old, seeded) = self.take();
                    push_name(abs, &name);
                    let now = self.gitlink(&old, abs);
                    abs.pop();
                    dirty |= now != old.id;
                    if let Some(e) = self.keep(Entry { id: now, ..old }, seeded, &mut dirty)? {
                        tree_entry(&mut tree, e.mode, &name, &e.id);
                        self.entries.push(e);
                    }
                }
                Kind::Tree => {
                    push_name(abs, &name);
                    let sub = self.subdir(rel, abs, rules_kept);
                    self.rules_kept = rules_kept;
                    abs.pop();
                    let sub = sub?;
                    rel.truncate(prefix);
                    rel.extend_from_slice(&name);
                    dirty |= sub != self.old_trees.get(rel.as_slice()).copied();
                    if let Some(id) = sub {
                        tree_entry(&mut tree, 0o040000, &name, &id);
                    }
                }
            }
        }
        rel.truncate(prefix);
        // What is left of this directory in the cache is gone from disk.
        let end = self.old[self.at..]
            .iter()
            .take_while(|o| o.path.starts_with(rel))
            .count();
        dirty |= self.drop_range(end);
        rel.truncate(base);

        if tree.is_empty() {
            return Ok(None);
        }
        let id = match self.old_trees.get(rel.as_slice()) {
            Some(id) if !dirty => *id,
            _ => self.odb.write(ObjectType::Tree, &tree)?,
        };
        self.trees.insert(rel.clone(), id);
        Ok(Some(id))
    }

    /// Enters the directory `rel` if it is part of the snapshot: always when
    /// the cache holds files under it, otherwise unless it is ignored or a
    /// repository of its own (an untracked nested repository is left out).
    fn subdir(
        &mut self,
        rel: &mut Vec<u8>,
        abs: &mut PathBuf,
        rules_kept: bool,
    ) -> Result<Option<Oid>, ShadowError> {
        let tracked = self.old.get(self.at).is_some_and(|o| {
            o.path.len() > rel.len() && o.path.starts_with(rel) && o.path[rel.len()] == b'/'
        });
        if !tracked {
            rel.push(b'/');
            let ignored = self.ignored(rel)?;
            rel.pop();
            if ignored || abs.join(".git").exists() {
                return Ok(None);
            }
        }
        self.dir(rel, abs, rules_kept)
    }

    /// Whether the rules that apply in the folder `dir` (its path with a
    /// trailing '/', "" for the root) are those the cache's walk applied:
    /// the folders above kept theirs (`above`), and its own `.gitignore`
    /// among `children` has the stat data the cache recorded (or is absent
    /// both times), written before the cache was. Records it for the next
    /// snapshot.
    fn own_rules(&mut self, dir: &[u8], children: &[(u64, Vec<u8>, Kind)], above: bool) -> bool {
        let mut path = dir.to_vec();
        path.extend_from_slice(b".gitignore");
        let now = match children.iter().find(|c| c.1 == b".gitignore") {
            None => None,
            // A symlink's target may change without it: never taken as kept.
            Some((_, _, Kind::File(mode, stat))) if *mode != 0o120000 => Some(*stat),
            Some(_) => return false,
        };
        let was = self.old_ignore_files.get(&path).copied();
        if let Some(stat) = now {
            self.ignore_files.push((path, stat));
        }
        above && now == was && now.is_none_or(|s| (s.mtime, s.mtime_ns) < self.written)
    }

    /// Whether the untracked path `rel` (a directory's with a trailing '/')
    /// is ignored: asked of libgit2 unless the cache's walk found it ignored
    /// under the same rules.
    fn ignored(&mut self, rel: &[u8]) -> Result<bool, ShadowError> {
        let ignored = (self.rules_kept && self.old_ignored.contains(rel))
            || self.handle.is_path_ignored(git_path(rel))?;
        if ignored {
            self.ignored.push(rel.to_vec());
        }
        Ok(ignored)
    }

    /// The names in directory `abs` (`rel` in the repository) that can be
    /// part of a snapshot: files, symlinks and directories, never `.git`.
    fn list(&self, rel: &[u8], abs: &Path) -> Result<Vec<(Vec<u8>, Kind)>, ShadowError> {
        let read = match fs::read_dir(abs) {
            Ok(read) => read,
            // Gone or replaced since its parent was listed: nothing in it.
            Err(e) if gone(&e) => return Ok(Vec::new()),
            Err(e) => return Err(io_error(abs, e)),
        };
        let mut out = Vec::new();
        for item in read {
            let item = item.map_err(|e| io_error(abs, e))?;
            let name = name_bytes(item.file_name());
            if name.eq_ignore_ascii_case(b".git") {
                continue;
            }
            let kind = match item.file_type() {
                Ok(t) if t.is_dir() => Kind::Tree,
                Ok(t) if !t.is_file() && !t.is_symlink() => continue,
                _ => match item.metadata() {
                    Ok(meta) if meta.is_dir() => Kind::Tree,
                    Ok(meta) if meta.is_file() || meta.is_symlink() => {
                        Kind::File(git_mode(&meta), Stat::of(&meta))
                    }
                    // Sockets, fifos and devices are not content git keeps.
                    Ok(_) => continue,
                    Err(e) if gone(&e) => continue,
                    Err(e) => return Err(io_error(&item.path(), e)),
                },
            };
            out.push((name, kind));
        }
        // A directory the cache records as a submodule stays one.
        for (name, kind) in &mut out {
            if *kind == Kind::Tree && self.is_gitlink(rel, name) {
                *kind = Kind::Gitlink;
            }
        }
        Ok(out)
    }

    /// Whether the cache holds `rel/name` as a gitlink.
    fn is_gitlink(&self, rel: &[u8], name: &[u8]) -> bool {
        let mut path = Vec::with_capacity(rel.len() + name.len() + 1);
        path.extend_from_slice(rel);
        if !rel.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(name);
        let rest = &self.old[self.at..];
        rest.binary_search_by(|o| o.path.as_slice().cmp(&path))
            .is_ok_and(|i| rest[i].mode == MODE_GITLINK as u32)
    }

    /// Takes the cached entry at the walk's position, and whether it was seeded.
    fn take(&mut self) -> (Entry, bool) {
        let seeded = self.seeded.get(self.at).copied().unwrap_or(false);
        let slot = &mut self.old[self.at];
        self.at += 1;
        let path = std::mem::take(&mut slot.path);
        (Entry { path, ..*slot }, seeded)
    }

    /// Drops the cached entries of directory `dir` (its path with a trailing
    /// '/', or "" for the root) that sort before `key`: they are gone.
    /// Returns whether there were any.
    fn drop_before(&mut self, dir: &[u8], key: &[u8]) -> bool {
        let n = self.old[self.at..]
            .iter()
            .take_while(|o| o.path.starts_with(dir) && o.path.as_slice() < key)
            .count();
        self.drop_range(n)
    }

    /// Drops the next `n` cached entries as deleted; whether `n` was not 0.
    fn drop_range(&mut self, n: usize) -> bool {
        for _ in 0..n {
            let (old, _) = self.take();
            self.removed.push(old.path);
        }
        n > 0
    }

    /// A cached file met again: kept as it was when its stat data is
    /// unchanged (and not racy), hashed again otherwise.
    fn refresh(
        &mut self,
        old: Entry,
        seeded: bool,
        mode: u32,
        stat: Stat,
        dirty: &mut bool,
    ) -> Result<Option<Entry>, ShadowError> {
        let racy = (old.stat.mtime, old.stat.mtime_ns) >= self.written;
        let same = old.mode == mode
            && old.stat.size == stat.size
            && (old.stat.mtime, old.stat.mtime_ns) == (stat.mtime, stat.mtime_ns)
            && (!self.trust_ctime
                || (old.stat.ctime, old.stat.ctime_ns) == (stat.ctime, stat.ctime_ns))
            && (old.stat.ino, old.stat.uid, old.stat.gid) == (stat.ino, stat.uid, stat.gid);
        if same && !racy {
            return self.keep(Entry { stat, ..old }, seeded, dirty);
        }
        let Some((id, mode)) = self.hash(&old.path)? else {
            *dirty = true;
            self.removed.push(old.path);
            return Ok(None);
        };
        *dirty |= id != old.id || mode != old.mode;
        let e = Entry {
            mode,
            id,
            stat,
            path: old.path,
        };
        self.keep(e, seeded, dirty)
    }

    /// A file the cache lacks: added unless ignored.
    fn untracked(&mut self, rel: &[u8], stat: Stat) -> Result<Option<Entry>, ShadowError> {
        if self.ignored(rel)? {
            return Ok(None);
        }
        let Some((id, mode)) = self.hash(rel)? else {
            return Ok(None);
        };
        let listed = matches!(self.candidates, Candidates::Extras);
        if listed || !self.tracked.contains(self.repo, rel) {
            self.extras.push(rel.to_vec());
        }
        Ok(Some(Entry {
            path: rel.to_vec(),
            mode,
            id,
            stat,
        }))
    }

    /// A submodule: its entry follows the commit checked out in it, and
    /// stays as it was when none is (not initialized, or no commit yet).
    fn gitlink(&self, old: &Entry, abs: &Path) -> Oid {
        if !abs.join(".git").exists() {
            return old.id;
        }
        Repository::open(abs)
            .and_then(|r| r.refname_to_id("HEAD"))
            .unwrap_or(old.id)
    }

    /// Keeps `e` in the snapshot unless it is an entry the user does not
    /// track that has become ignored (`git add -A` never drops an entry for
    /// being ignored, so this is the snapshot's own rule). Marks `dirty` if
    /// the directory's tree changes.
    fn keep(
        &mut self,
        e: Entry,
        seeded: bool,
        dirty: &mut bool,
    ) -> Result<Option<Entry>, ShadowError> {
        let candidate = match self.candidates {
            Candidates::Extras => self.old_extras.contains(&e.path),
            Candidates::Untracked => !self.tracked.contains(self.repo, &e.path),
        };
        // An extra of the cache's was not ignored; still so under the same
        // rules.
        let known = self.rules_kept && !seeded && self.old_extras.contains(&e.path);
        if candidate {
            if !known && self.handle.is_path_ignored(git_path(&e.path))? {
                if !self.tracked.contains(self.repo, &e.path) {
                    *dirty = true;
                    return Ok(None);
                }
            } else {
                self.extras.push(e.path.clone());
            }
        }
        *dirty |= seeded;
        Ok(Some(e))
    }

    /// Hashes the file `rel` as `git add` would, writing its blob; `None`
    /// when it vanished meanwhile.
    fn hash(&mut self, rel: &[u8]) -> Result<Option<(Oid, u32)>, ShadowError> {
        let path = git_path(rel);
        if let Err(e) = self.scratch.add_path(&path) {
            let vanished =
                matches!(fs::symlink_metadata(self.workdir.join(&path)), Err(ref io) if gone(io));
            return if vanished { Ok(None) } else { Err(e.into()) };
        }
        let Some(e) = self.scratch.get_path(&path, 0) else {
            return Err(git2::Error::from_str("hashed file missing from the scratch index").into());
        };
        // The scratch index only ever holds the file being hashed.
        self.scratch.remove_path(&path)?;
        Ok(Some((e.id, e.mode)))
    }
}

/// Git's tree order: names compared bytewise, a directory as if it ended in '/'.
fn tree_order(a: &[u8], a_dir: bool, b: &[u8], b_dir: bool) -> Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then_with(|| {
        let end =
            |name: &[u8], dir: bool| name.get(n).copied().unwrap_or(if dir { b'/' } else { 0 });
        end(a, a_dir).cmp(&end(b, b_dir))
    })
}

/// The first eight bytes of a name in git's tree order (a directory's
/// followed by '/'), as a number that compares the same way; names that
/// share them are told apart by [`tree_order`].
fn sort_key(name: &[u8], dir: bool) -> u64 {
    let mut key = 0u64;
    for (i, &b) in name.iter().take(8).enumerate() {
        key |= u64::from(b) << (56 - 8 * i);
    }
    if dir && name.len() < 8 {
        key |= u64::from(b'/') << (56 - 8 * name.len());
    }
    key
}

/// Appends one entry to a tree object's content.
fn tree_entry(tree: &mut Vec<u8>, mode: u32, name: &[u8], id: &Oid) {
    let mode = match mode {
        0o040000 => &b"40000"[..],
        0o120000 => b"120000",
        0o160000 => b"160000",
        m if m & 0o111 != 0 => b"100755",
        _ => b"100644",
    };
    tree.extend_from_slice(mode);
    tree.push(b' ');
    tree.extend_from_slice(name);
    tree.push(0);
    tree.extend_from_slice(id.as_bytes());
}

/// The git mode of a file or symlink as `git add` records it.
fn git_mode(meta: &fs::Metadata) -> u32 {
    if meta.is_symlink() {
        return 0o120000;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 != 0 {
            return 0o100755;
        }
    }
    0o100644
}

/// Whether an I/O error means the path is no longer there (or no longer a directory).
fn gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// A directory entry's name as git stores it.
fn name_bytes(name: std::ffi::OsString) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        name.into_vec()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned().into_bytes()
    }
}

/// Appends a directory entry's name to `abs`.
fn push_name(abs: &mut PathBuf, name: &[u8]) {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        abs.push(std::ffi::OsStr::from_bytes(name));
    }
    #[cfg(not(unix))]
    {
        abs.push(String::from_utf8_lossy(name).as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_order_puts_directories_after_names_they_prefix() {
        let mut names = [
            (b"a".to_vec(), true),
            (b"a-b".to_vec(), false),
            (b"a.c".to_vec(), false),
            (b"a0".to_vec(), false),
            (b"ab".to_vec(), true),
            (b"a".to_vec(), false),
            (b"abcdefg".to_vec(), true),
            (b"abcdefg-x".to_vec(), false),
            (b"abcdefgh".to_vec(), true),
            (b"abcdefgh.txt".to_vec(), false),
            (b"abcdefgh0".to_vec(), false),
            (b"abcdefg".to_vec(), false),
        ];
        names.sort_by(|x, y| tree_order(&x.0, x.1, &y.0, y.1));
        // The quick key never disagrees with the full order.
        for x in &names {
            for y in &names {
                let quick = sort_key(&x.0, x.1).cmp(&sort_key(&y.0, y.1));
                assert!(quick.is_eq() || quick == tree_order(&x.0, x.1, &y.0, y.1));
            }
        }
        let shown: Vec<String> = names
            .iter()
            .map(|(n, d)| {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(n),
                    if *d { "/" } else { "" }
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "a",
                "a-b",
                "a.c",
                "a/",
                "a0",
                "ab/",
                "abcdefg",
                "abcdefg-x",
                "abcdefg/",
                "abcdefgh.txt",
                "abcdefgh/",
                "abcdefgh0"
            ]
        );
    }
}
