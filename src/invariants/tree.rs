//! The tree a check looks at: repo-relative paths, lexical path arithmetic,
//! date placeholders, and a walker that never leaves the root.
//!
//! Paths are `/`-separated strings relative to the root ("" is the root
//! itself), so findings read the same on every machine and compare cheaply.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// What a repo-relative path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    Missing,
    /// A symlink whose target lies outside the root: present in the tree,
    /// but never read, because its content depends on the machine.
    Outside,
    File,
    Dir,
    /// A fifo, socket or device: present, never read.
    Other,
}

impl Entry {
    /// Whether the name resolves to something in the tree.
    pub(crate) fn exists(self) -> bool {
        self != Entry::Missing
    }
}

/// What a walk found below its start, in sorted order.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub files: Vec<String>,
    pub dirs: Vec<String>,
}

/// A checkout being checked, with a cache of lookups (references look up
/// the same targets again and again).
pub(crate) struct Tree {
    root: PathBuf,
    canon: PathBuf,
    cache: RefCell<HashMap<String, Entry>>,
    /// Folders `walk` listed whole: every entry in them is in `cache`, so a
    /// name in one that is not there does not exist — no system call to
    /// say so (a check over thousands of links asks this of each).
    listed: RefCell<HashSet<String>>,
}

impl Tree {
    /// Opens the tree at `root`, which must be a directory.
    pub(crate) fn new(root: &Path) -> Result<Tree, String> {
        let canon = fs::canonicalize(root)
            .map_err(|e| format!("cannot open the tree at {}: {e}", root.display()))?;
        if !canon.is_dir() {
            return Err(format!("{} is not a directory", root.display()));
        }
        Ok(Tree {
            root: root.to_path_buf(),
            canon,
            cache: RefCell::new(HashMap::new()),
            listed: RefCell::new(HashSet::new()),
        })
    }

    /// Drops what was looked up, after the tree was changed.
    pub(crate) fn forget(&self) {
        self.cache.borrow_mut().clear();
        self.listed.borrow_mut().clear();
    }

    /// The filesystem path of a repo-relative path.
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    /// What `rel` names, following symlinks only while they stay inside.
    pub(crate) fn stat(&self, rel: &str) -> Entry {
        if let Some(e) = self.cache.borrow().get(rel) {
            return *e;
        }
        // What the listings answer is not remembered: asking them again
        // costs less than growing the cache by every name looked for.
        if self.listed_missing(rel) {
            return Entry::Missing;
        }
        let e = self.stat_uncached(rel);
        self.cache.borrow_mut().insert(rel.to_string(), e);
        e
    }

    /// Whether what is known already says that `rel` does not exist: from
    /// the root down, known folders lead to a part that a folder listed
    /// whole by `walk` does not name, or that is known missing or a file
    /// (which holds nothing). `false` whenever that cannot be told without
    /// asking (a folder not listed, a symlink's target, a part such as
    /// `..`).
    fn listed_missing(&self, rel: &str) -> bool {
        let listed = self.listed.borrow();
        let cache = self.cache.borrow();
        let mut end: usize = 0;
        loop {
            let parent = &rel[..end.saturating_sub(1)];
            let next = rel[end..].find('/').map_or(rel.len(), |i| end + i);
            if matches!(&rel[end..next], "" | "." | "..") {
                return false;
            }
            let more = next < rel.len();
            match cache.get(&rel[..next]) {
                Some(Entry::Dir) if more => end = next + 1,
                Some(Entry::Missing) => return true,
                Some(Entry::File | Entry::Other) if more => return true,
                None => return listed.contains(parent),
                _ => return false,
            }
        }
    }

    fn stat_uncached(&self, rel: &str) -> Entry {
        let path = self.path(rel);
        if fs::symlink_metadata(&path).is_err() {
            return Entry::Missing;
        }
        // Canonicalizing catches symlinks anywhere along the path, not just
        // at its last component; a dangling one does not resolve.
        let Ok(real) = fs::canonicalize(&path) else {
            return Entry::Missing;
        };
        if !real.starts_with(&self.canon) {
            return Entry::Outside;
        }
        match fs::metadata(&real) {
            Ok(m) if m.is_file() => Entry::File,
            Ok(m) if m.is_dir() => Entry::Dir,
            Ok(_) => Entry::Other,
            Err(_) => Entry::Missing,
        }
    }

    /// Whether `rel` resolves to something in the tree.
    pub(crate) fn exists(&self, rel: &str) -> bool {
        self.stat(rel).exists()
    }

    /// The bytes of a regular file inside the tree.
    pub(crate) fn read(&self, rel: &str) -> Result<Vec<u8>, String> {
        let mut bytes = Vec::with_capacity(8192);
        self.read_into(rel, &mut bytes)?;
        Ok(bytes)
    }

    /// [`Tree::read`] into `bytes` (cleared first), so that one buffer
    /// serves a check that reads thousands of files.
    pub(crate) fn read_into(&self, rel: &str, bytes: &mut Vec<u8>) -> Result<(), String> {
        bytes.clear();
        match self.stat(rel) {
            // Without `fs::read`'s size query: one system call fewer per
            // file, for checks that read thousands of small ones.
            Entry::File => fs::File::open(self.path(rel))
                .and_then(|mut f| f.read_to_end(bytes))
                .map(drop)
                .map_err(|e| format!("cannot read {rel}: {e}")),
            Entry::Outside => Err(format!("{rel} points outside the tree")),
            _ => Err(format!("{rel} is not a file")),
        }
    }

    /// Whether a file inside the tree holds nothing but whitespace. Reads
    /// only up to the first visible byte, so a huge file costs one block.
    pub(crate) fn is_blank(&self, rel: &str) -> Result<bool, String> {
        let mut f =
            fs::File::open(self.path(rel)).map_err(|e| format!("cannot read {rel}: {e}"))?;
        let mut buf = [0u8; 8192];
        loop {
            let n = f
                .read(&mut buf)
                .map_err(|e| format!("cannot read {rel}: {e}"))?;
            if n == 0 {
                return Ok(true);
            }
            if buf[..n].iter().any(|b| !b.is_ascii_whitespace()) {
                return Ok(false);
            }
        }
    }

    /// Whether a folder inside the tree has any entry at all.
    pub(crate) fn dir_has_entries(&self, rel: &str) -> Result<bool, String> {
        let mut it = fs::read_dir(self.path(rel)).map_err(|e| format!("cannot list {rel}: {e}"))?;
        Ok(it.next().is_some())
    }

    /// Every file and folder below `start` (a folder), sorted. `.git` (a
    /// folder, or a file in a worktree) is never entered, nor is `.leash`
    /// (leash's own config is not workspace content). Symlinks count as what they point at when it
    /// is inside the root, are left out otherwise, and are never descended
    /// (a link back up would loop).
    pub(crate) fn walk(&self, start: &str) -> Result<Walk, String> {
        let mut out = Walk::default();
        // What the listing says may stand in for `stat` only below a start
        // that is a folder inside the tree: below it, the walk never
        // follows a symlink, so each entry is where its listing says.
        let known = self.stat(start) == Entry::Dir;
        let mut stack = vec![start.to_string()];
        while let Some(dir) = stack.pop() {
            let mut names = Vec::new();
            let rd = fs::read_dir(self.path(&dir))
                .map_err(|e| format!("cannot list {}: {e}", show(&dir)))?;
            let mut lossy = false;
            for entry in rd {
                let entry = entry.map_err(|e| format!("cannot list {}: {e}", show(&dir)))?;
                let name = match entry.file_name().into_string() {
                    Ok(n) => n,
                    Err(raw) => {
                        // A name that is not UTF-8 cannot be asked for by
                        // its text: this folder's listing is not complete.
                        lossy = true;
                        raw.to_string_lossy().into_owned()
                    }
                };
                let ft = entry
                    .file_type()
                    .map_err(|e| format!("cannot list {}: {e}", show(&dir)))?;
                if known && !ft.is_symlink() {
                    let e = if ft.is_dir() {
                        Entry::Dir
                    } else if ft.is_file() {
                        Entry::File
                    } else {
                        Entry::Other
                    };
                    self.cache
                        .borrow_mut()
                        .entry(join_name(&dir, &name))
                        .or_insert(e);
                }
                if name == ".git" || name == ".leash" {
                    continue;
                }
                names.push((name, ft));
            }
            names.sort_by(|a, b| a.0.cmp(&b.0));
            // Pushed in reverse so the walk visits folders in sorted order.
            let mut subdirs = Vec::new();
            for (name, ft) in names {
                let rel = join_name(&dir, &name);
                if ft.is_dir() {
                    out.dirs.push(rel.clone());
                    subdirs.push(rel);
                } else if ft.is_file() {
                    out.files.push(rel);
                } else if ft.is_symlink() {
                    match self.stat(&rel) {
                        Entry::File => out.files.push(rel),
                        Entry::Dir => out.dirs.push(rel),
                        _ => {}
                    }
                }
            }
            if known && !lossy {
                self.listed.borrow_mut().insert(dir.clone());
            }
            stack.extend(subdirs.into_iter().rev());
        }
        out.files.sort();
        out.dirs.sort();
        Ok(out)
    }

    /// The direct subfolders of `dir` (symlinked ones inside the root too).
    pub(crate) fn subdirs(&self, dir: &str) -> Result<Vec<String>, String> {
        let rd =
            fs::read_dir(self.path(dir)).map_err(|e| format!("cannot list {}: {e}", show(dir)))?;
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| format!("cannot list {}: {e}", show(dir)))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = join_name(dir, &name);
            if name != ".git" && self.stat(&rel) == Entry::Dir {
                out.push(rel);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// A repo-relative path as shown to people: the root is ".".
pub(crate) fn show(rel: &str) -> &str {
    if rel.is_empty() { "." } else { rel }
}

/// `dir/name`, where `dir` may be the root.
pub(crate) fn join_name(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        return name.to_string();
    }
    let mut out = String::with_capacity(dir.len() + 1 + name.len());
    out.push_str(dir);
    out.push('/');
    out.push_str(name);
    out
}

/// The last component of a repo-relative path.
pub(crate) fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// The folder holding `rel` ("" for a file at the root).
pub(crate) fn parent(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

/// Resolves `.` and `..` lexically; `None` when the path climbs out of the
/// root. A leading `/` is dropped (the caller decides what it means).
pub(crate) fn normalize(path: &str) -> Option<String> {
    let mut out = String::with_capacity(path.len());
    normalize_into(&[path], &mut out).then_some(out)
}

/// `path` taken relative to the folder `dir`, normalized.
pub(crate) fn join(dir: &str, path: &str) -> Option<String> {
    let mut out = String::with_capacity(dir.len() + 1 + path.len());
    normalize_into(&[dir, path], &mut out).then_some(out)
}

/// [`join`] into `out` (cleared first), without allocating once `out` is
/// large enough; `false` when the path climbs out of the root.
pub(crate) fn join_into(dir: &str, path: &str, out: &mut String) -> bool {
    normalize_into(&[dir, path], out)
}

/// [`normalize`] into `out` (cleared first); `false` when the path climbs
/// out of the root.
pub(crate) fn normalize_path_into(path: &str, out: &mut String) -> bool {
    normalize_into(&[path], out)
}

/// The components of `parts`, one after the other, with `.` and `..`
/// resolved, written to `out` (cleared first); `false` when a `..` climbs
/// out of the root.
fn normalize_into(parts: &[&str], out: &mut String) -> bool {
    out.clear();
    for part in parts {
        // Split by bytes: '/' is ASCII, so every cut is a char boundary.
        let bytes = part.as_bytes();
        let mut from = 0;
        while from <= bytes.len() {
            let to = bytes[from..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(bytes.len(), |i| from + i);
            match &part[from..to] {
                "" | "." => {}
                ".." => match out.bytes().rposition(|b| b == b'/') {
                    Some(i) => out.truncate(i),
                    None if !out.is_empty() => out.clear(),
                    None => return false,
                },
                c => {
                    if !out.is_empty() {
                        out.push('/');
                    }
                    out.push_str(c);
                }
            }
            from = to + 1;
        }
    }
    true
}

/// The places a reference written in a file in `dir` may mean, file-relative
/// first: relative to the file, then to the root; only the root for a
/// leading `/` (as forges read it). Empty when every reading leaves the root.
pub(crate) fn candidates(dir: &str, path: &str) -> Vec<String> {
    if let Some(rooted) = path.strip_prefix('/') {
        return normalize(rooted).into_iter().collect();
    }
    let mut out: Vec<String> = join(dir, path).into_iter().collect();
    if let Some(r) = normalize(path)
        && !out.contains(&r)
    {
        out.push(r);
    }
    out
}

/// How to write `to` from inside the folder `from_dir`.
pub(crate) fn relative(from_dir: &str, to: &str) -> String {
    let from: Vec<&str> = from_dir.split('/').filter(|c| !c.is_empty()).collect();
    let to_parts: Vec<&str> = to.split('/').filter(|c| !c.is_empty()).collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out: Vec<&str> = vec![".."; from.len() - common];
    out.extend(&to_parts[common..]);
    out.join("/")
}

/// Replaces `{today}` and `{yesterday}` with ISO dates.
pub(crate) fn expand_dates(s: &str, today: NaiveDate) -> Cow<'_, str> {
    if !s.contains('{') {
        return s.into();
    }
    let yesterday = today.pred_opt().unwrap_or(today);
    s.replace("{today}", &today.format("%Y-%m-%d").to_string())
        .replace("{yesterday}", &yesterday.format("%Y-%m-%d").to_string())
        .into()
}

/// A real calendar date written exactly as `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_walk_lists_answers_as_stat_would() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.md"), "x").unwrap();
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("docs/sub")).unwrap();
        std::fs::create_dir_all(r.join(".leash")).unwrap();
        std::fs::write(r.join("docs/a.md"), "a").unwrap();
        std::fs::write(r.join("docs/sub/b.md"), "b").unwrap();
        std::fs::write(r.join(".leash/config.toml"), "").unwrap();
        std::fs::write(r.join(".git"), "gitdir: elsewhere").unwrap();
        symlink("a.md", r.join("docs/in.md")).unwrap();
        symlink(outside.path().join("secret.md"), r.join("docs/out.md")).unwrap();
        symlink("nowhere.md", r.join("docs/dangling.md")).unwrap();
        symlink("sub", r.join("docs/subdir")).unwrap();
        let fifo = std::ffi::CString::new(r.join("docs/pipe").to_str().unwrap()).unwrap();
        // SAFETY: mkfifo on a path this test owns.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let asks = [
            "",
            ".git",
            ".leash",
            ".leash/config.toml",
            "docs",
            "docs/a.md",
            "docs/sub",
            "docs/sub/b.md",
            "docs/in.md",
            "docs/out.md",
            "docs/dangling.md",
            "docs/subdir",
            "docs/subdir/b.md",
            "docs/pipe",
            "docs/missing.md",
            "docs/sub/missing.md",
            "docs/missing/x.md",
            "missing.md",
            "docs/a.md/x",
        ];
        for start in ["", "docs"] {
            let walked = Tree::new(r).unwrap();
            walked.walk(start).unwrap();
            let fresh = Tree::new(r).unwrap();
            for rel in asks {
                assert_eq!(
                    walked.stat(rel),
                    fresh.stat(rel),
                    "`{rel}` after a walk of `{start}`"
                );
            }
        }
        // The listing answers without asking the file system: a file made
        // after the walk is not seen until the tree is told it changed.
        let walked = Tree::new(r).unwrap();
        walked.walk("docs").unwrap();
        std::fs::write(r.join("docs/late.md"), "l").unwrap();
        assert_eq!(walked.stat("docs/late.md"), Entry::Missing);
        walked.forget();
        assert_eq!(walked.stat("docs/late.md"), Entry::File);
    }

    #[test]
    fn normalize_and_candidates() {
        assert_eq!(normalize("./a/../b/c/").as_deref(), Some("b/c"));
        assert_eq!(normalize("a/../.."), None);
        assert_eq!(candidates("docs", "x.md"), vec!["docs/x.md", "x.md"]);
        assert_eq!(candidates("", "x.md"), vec!["x.md"]);
        assert_eq!(candidates("docs", "/x.md"), vec!["x.md"]);
        assert_eq!(candidates("docs", "../x.md"), vec!["x.md"]);
        assert!(candidates("", "../x.md").is_empty());
    }

    #[test]
    fn normalizing_into_a_buffer_reads_paths_as_splitting_them_does() {
        // The plain reading: split, drop "" and ".", pop for "..".
        fn reference(path: &str) -> Option<String> {
            let mut parts: Vec<&str> = Vec::new();
            for c in path.split('/') {
                match c {
                    "" | "." => {}
                    ".." => {
                        parts.pop()?;
                    }
                    c => parts.push(c),
                }
            }
            Some(parts.join("/"))
        }
        let pieces = ["a", "bc", ".", "..", "", "/", "é", ".x", "..y"];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as usize
        };
        let mut buf = String::from("left over from before");
        for _ in 0..20_000 {
            let mut path = String::new();
            for _ in 0..next() % 7 {
                path.push_str(pieces[next() % pieces.len()]);
                if next() % 3 == 0 {
                    path.push('/');
                }
            }
            assert_eq!(normalize(&path), reference(&path), "{path:?}");
            let ok = normalize_path_into(&path, &mut buf);
            assert_eq!(ok.then(|| buf.clone()), reference(&path), "{path:?}");
            let mut mid = path.len() / 2;
            while !path.is_char_boundary(mid) {
                mid -= 1;
            }
            let (dir, rest) = path.split_at(mid);
            let joined = reference(&join_name(dir, rest));
            assert_eq!(join(dir, rest), joined, "{dir:?} + {rest:?}");
            let ok = join_into(dir, rest, &mut buf);
            assert_eq!(ok.then(|| buf.clone()), joined, "{dir:?} + {rest:?}");
        }
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative("docs", "memory/a/b.md"), "../memory/a/b.md");
        assert_eq!(relative("", "memory/a.md"), "memory/a.md");
        assert_eq!(relative("memory", "memory/a/b.md"), "a/b.md");
        assert_eq!(relative("memory/a", "docs/x.md"), "../../docs/x.md");
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(
            expand_dates("m/{yesterday}/{today}", d),
            "m/2026-02-28/2026-03-01"
        );
        assert!(parse_date("2026-02-13").is_some());
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("2026-2-13").is_none());
        assert!(parse_date("+2026-02-1").is_none());
    }

    #[test]
    fn walk_skips_git_and_outside_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let r = dir.path();
        fs::create_dir_all(r.join(".git/objects")).unwrap();
        fs::create_dir_all(r.join("a/b")).unwrap();
        fs::create_dir_all(r.join(".leash")).unwrap();
        fs::write(r.join(".leash/config.toml"), "").unwrap();
        fs::write(r.join("a/b/x.md"), "x").unwrap();
        fs::write(outside.path().join("secret.md"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.md"), r.join("a/out.md")).unwrap();
        std::os::unix::fs::symlink("b/x.md", r.join("a/in.md")).unwrap();
        std::os::unix::fs::symlink("..", r.join("a/loop")).unwrap();
        let t = Tree::new(r).unwrap();
        let w = t.walk("").unwrap();
        assert_eq!(w.files, vec!["a/b/x.md", "a/in.md"]);
        assert_eq!(w.dirs, vec!["a", "a/b", "a/loop"]);
        assert_eq!(t.stat("a/out.md"), Entry::Outside);
        assert!(t.read("a/out.md").is_err());
        assert_eq!(t.stat("a/nope.md"), Entry::Missing);
    }
}
