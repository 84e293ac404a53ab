//! Loading the two sides of a diff from git: two trees, or a tree and a
//! working directory as it is on disk. Each side is size-checked before it
//! is read and nothing more is read once the diff's deadline has passed;
//! the bytes go to the pure diff model ([`crate::diff`]) to be diffed.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use git2::{
    Binding, Delta, DiffFile, DiffFindOptions, DiffOptions, FileMode, ObjectType, Oid, Repository,
    Tree,
};

use crate::diff::{Body, FileDiff, FileMeta, FileStatus, Limits, Side, deadline_after};

/// Diffs two git trees (None = the empty tree; a commit id stands for its
/// tree), detecting renames; all files share one deadline of
/// `limits.deadline`, after which they get [`Body::TimedOut`] unread.
pub fn diff_trees(
    repo: &Repository,
    old: Option<Oid>,
    new: Option<Oid>,
    limits: &Limits,
) -> Result<Vec<FileDiff>, git2::Error> {
    let deadline = deadline_after(limits.deadline);
    let old_tree = old.map(|id| tree_of(repo, id)).transpose()?;
    let new_tree = new.map(|id| tree_of(repo, id)).transpose()?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true);
    let mut diff = repo.diff_tree_to_tree(old_tree.as_ref(), new_tree.as_ref(), Some(&mut opts))?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
    collect(repo, &diff, None, limits, deadline)
}

/// Diffs a tree (None = the empty tree; a commit id stands for its tree)
/// against the repository's working directory as it is on disk, ignoring
/// the index: untracked files are included (and may be rename targets),
/// ignored files are not.
pub fn diff_tree_to_workdir(
    repo: &Repository,
    old: Option<Oid>,
    limits: &Limits,
) -> Result<Vec<FileDiff>, git2::Error> {
    let deadline = deadline_after(limits.deadline);
    let workdir = repo
        .workdir()
        .ok_or_else(|| git2::Error::from_str("a bare repository has no working directory"))?;
    let old_tree = old.map(|id| tree_of(repo, id)).transpose()?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true)
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let mut diff = repo.diff_tree_to_workdir(old_tree.as_ref(), Some(&mut opts))?;
    // An agent moves files with plain `mv`, so the new name is untracked.
    diff.find_similar(Some(
        DiffFindOptions::new().renames(true).for_untracked(true),
    ))?;
    collect(repo, &diff, Some(workdir), limits, deadline)
}

/// The files of a tree-to-tree diff git2 has made (renames found or
/// not, as its maker chose), read whole: no size limit, no deadline.
pub fn files_of(repo: &Repository, diff: &git2::Diff<'_>) -> Result<Vec<FileDiff>, git2::Error> {
    let limits = Limits::unlimited();
    collect(repo, diff, None, &limits, deadline_after(limits.deadline))
}

fn tree_of(repo: &Repository, id: Oid) -> Result<Tree<'_>, git2::Error> {
    repo.find_object(id, None)?.peel_to_tree()
}

/// One side of a file as read from git or the disk.
enum Loaded<'r> {
    Absent,
    Blob(git2::Blob<'r>),
    Bytes(Vec<u8>),
    /// Bigger than `max_bytes`, so never read; its size in bytes.
    Oversized(u64),
}

impl Loaded<'_> {
    fn side(&self) -> Side<'_> {
        match self {
            Loaded::Absent => Side::Absent,
            Loaded::Blob(b) => Side::Bytes(b.content()),
            Loaded::Bytes(b) => Side::Bytes(b),
            Loaded::Oversized(n) => Side::Oversized(*n),
        }
    }
}

fn collect(
    repo: &Repository,
    diff: &git2::Diff<'_>,
    workdir: Option<&Path>,
    limits: &Limits,
    deadline: Instant,
) -> Result<Vec<FileDiff>, git2::Error> {
    let odb = repo.odb()?;
    let mut files = Vec::with_capacity(diff.deltas().len());
    for delta in diff.deltas() {
        let status = match delta.status() {
            Delta::Added | Delta::Untracked | Delta::Copied => FileStatus::Added,
            Delta::Deleted => FileStatus::Deleted,
            Delta::Modified | Delta::Conflicted => FileStatus::Modified,
            Delta::Renamed => FileStatus::Renamed,
            Delta::Typechange => FileStatus::TypeChanged,
            Delta::Unmodified | Delta::Ignored | Delta::Unreadable => continue,
        };
        let has_old = status != FileStatus::Added;
        let has_new = status != FileStatus::Deleted;
        let old_file = delta.old_file();
        let new_file = delta.new_file();
        let mut file = FileDiff::unread(
            status,
            has_old.then(|| path_string(&old_file)),
            has_new.then(|| path_string(&new_file)),
            meta(&delta, has_old, has_new),
        );
        // Past the deadline nothing more is read: reading is the slow part.
        if Instant::now() < deadline {
            let old = if has_old {
                tree_side(repo, &odb, &old_file, limits)?
            } else {
                Loaded::Absent
            };
            let new = match (has_new, workdir) {
                (false, _) => Loaded::Absent,
                (true, Some(dir)) => workdir_side(dir, &new_file, limits),
                (true, None) => tree_side(repo, &odb, &new_file, limits)?,
            };
            if file.meta.new_id.is_none()
                && let Some(bytes) = new.side().bytes()
            {
                // A file on disk that git has not hashed (untracked).
                file.meta.new_id = Oid::hash_object(ObjectType::Blob, bytes)
                    .ok()
                    .map(|id| id.to_string());
            }
            if shown_as_binary(repo, file.path()) {
                file.body = Body::Binary {
                    old_size: old.side().bytes().map_or(0, |b| b.len() as u64),
                    new_size: new.side().bytes().map_or(0, |b| b.len() as u64),
                };
            } else {
                file.read(old.side(), new.side(), limits, deadline);
            }
        }
        files.push(file);
    }
    Ok(files)
}

/// Whether `.gitattributes` says not to diff `path` as text (`-diff`, or
/// `binary`, which sets it): git shows such a file as "Binary files …
/// differ", and so does leash.
fn shown_as_binary(repo: &Repository, path: &str) -> bool {
    repo.get_attr(
        Path::new(path),
        "diff",
        git2::AttrCheckFlags::FILE_THEN_INDEX,
    )
    .ok()
    .flatten()
    .is_some_and(|v| git2::AttrValue::from_string(Some(v)) == git2::AttrValue::False)
}

/// Modes, blob ids and similarity of a delta, as a patch's header shows them.
fn meta(delta: &git2::DiffDelta<'_>, has_old: bool, has_new: bool) -> FileMeta {
    let id = |f: &DiffFile<'_>| (!f.id().is_zero()).then(|| f.id().to_string());
    let (old, new) = (delta.old_file(), delta.new_file());
    FileMeta {
        old_mode: if has_old { u32::from(old.mode()) } else { 0 },
        new_mode: if has_new { u32::from(new.mode()) } else { 0 },
        old_id: if has_old { id(&old) } else { None },
        new_id: if has_new { id(&new) } else { None },
        // SAFETY: `raw()` points at the delta `delta` borrows, alive for
        // this call; git2 does not expose this one field.
        similarity: (delta.status() == Delta::Renamed)
            .then(|| unsafe { (*delta.raw()).similarity }),
    }
}

fn path_string(file: &DiffFile<'_>) -> String {
    file.path_bytes()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_default()
}

/// Git shows a submodule as this one-line text.
fn gitlink_text(id: Oid) -> Vec<u8> {
    format!("Subproject commit {id}\n").into_bytes()
}

fn tree_side<'r>(
    repo: &'r Repository,
    odb: &git2::Odb<'_>,
    file: &DiffFile<'_>,
    limits: &Limits,
) -> Result<Loaded<'r>, git2::Error> {
    if file.mode() == FileMode::Commit {
        return Ok(Loaded::Bytes(gitlink_text(file.id())));
    }
    if file.id().is_zero() {
        return Ok(Loaded::Absent);
    }
    // The header gives the size without inflating the object.
    let (size, _) = odb.read_header(file.id())?;
    if size as u64 > limits.max_bytes {
        return Ok(Loaded::Oversized(size as u64));
    }
    Ok(Loaded::Blob(repo.find_blob(file.id())?))
}

/// Reads the working-directory side. A running agent may delete or rewrite
/// the file meanwhile; an unreadable file is shown as absent rather than
/// failing the whole diff.
fn workdir_side<'r>(workdir: &Path, file: &DiffFile<'_>, limits: &Limits) -> Loaded<'r> {
    if file.mode() == FileMode::Commit {
        return Loaded::Bytes(gitlink_text(file.id()));
    }
    let Some(rel) = file.path() else {
        return Loaded::Absent;
    };
    let path = workdir.join(rel);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Loaded::Absent;
    };
    if meta.file_type().is_symlink() {
        // Git stores a symlink as a blob holding its target.
        return match std::fs::read_link(&path) {
            Ok(target) => Loaded::Bytes(os_bytes(target.as_os_str())),
            Err(_) => Loaded::Absent,
        };
    }
    if !meta.is_file() {
        return Loaded::Absent;
    }
    if meta.len() > limits.max_bytes {
        return Loaded::Oversized(meta.len());
    }
    let Ok(f) = File::open(&path) else {
        return Loaded::Absent;
    };
    // The file may grow between stat and read: never hold more than the limit.
    let mut buf = Vec::with_capacity(meta.len() as usize);
    if f.take(limits.max_bytes.saturating_add(1))
        .read_to_end(&mut buf)
        .is_err()
    {
        return Loaded::Absent;
    }
    if buf.len() as u64 > limits.max_bytes {
        return Loaded::Oversized(buf.len() as u64);
    }
    Loaded::Bytes(buf)
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::{by_path, far, hunks, numbered};
    use crate::diff::{BINARY_SNIFF_BYTES, Body, DiffStats, Hunk, LineKind, diff_blobs, stats};
    use git2::{IndexAddOption, Signature};
    use std::process::Command;
    use std::time::Duration;
    use tempfile::TempDir;

    fn new_repo() -> (TempDir, Repository) {
        let dir = TempDir::new().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        (dir, repo)
    }

    /// Writes (Some) or deletes (None) files in the working directory and
    /// commits the result on HEAD.
    fn commit(repo: &Repository, files: &[(&str, Option<&[u8]>)]) -> Oid {
        let wd = repo.workdir().unwrap();
        for (path, content) in files {
            let p = wd.join(path);
            match content {
                Some(c) => {
                    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                    std::fs::write(&p, c).unwrap();
                }
                None => std::fs::remove_file(&p).unwrap(),
            }
        }
        let mut index = repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::now("test", "test@example.com").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "turn", &tree, &parents)
            .unwrap()
    }

    #[test]
    fn tree_diff_reports_added_deleted_modified_and_renamed_files() {
        let (_dir, repo) = new_repo();
        let moved = numbered(30);
        let c1 = commit(
            &repo,
            &[
                ("gone.txt", Some(b"bye\n")),
                ("edit.txt", Some(b"a\nb\nc\n")),
                ("old/name.txt", Some(moved.as_bytes())),
            ],
        );
        let c2 = commit(
            &repo,
            &[
                ("gone.txt", None),
                ("edit.txt", Some(b"a\nB\nc\nd\n")),
                ("old/name.txt", None),
                ("new/name.txt", Some(moved.as_bytes())),
                ("fresh.txt", Some(b"one\ntwo\n")),
            ],
        );
        let files = diff_trees(&repo, Some(c1), Some(c2), &Limits::default()).unwrap();
        assert_eq!(files.len(), 4, "{files:#?}");

        let gone = by_path(&files, "gone.txt");
        assert_eq!(gone.status, FileStatus::Deleted);
        assert_eq!(
            (gone.old_path.as_deref(), gone.new_path.as_deref()),
            (Some("gone.txt"), None)
        );
        assert_eq!((gone.insertions, gone.deletions), (0, 1));
        assert_eq!(hunks(gone)[0].header, "@@ -1 +0,0 @@");

        let fresh = by_path(&files, "fresh.txt");
        assert_eq!(fresh.status, FileStatus::Added);
        assert_eq!(fresh.old_path, None);
        assert_eq!((fresh.insertions, fresh.deletions), (2, 0));
        assert_eq!(hunks(fresh)[0].header, "@@ -0,0 +1,2 @@");

        let edit = by_path(&files, "edit.txt");
        assert_eq!(edit.status, FileStatus::Modified);
        assert_eq!((edit.insertions, edit.deletions), (2, 1));

        let renamed = by_path(&files, "new/name.txt");
        assert_eq!(renamed.status, FileStatus::Renamed);
        assert_eq!(renamed.old_path.as_deref(), Some("old/name.txt"));
        assert_eq!(hunks(renamed), &[] as &[Hunk]);

        assert_eq!(
            stats(&files),
            DiffStats {
                files: 4,
                insertions: 4,
                deletions: 2
            }
        );
    }

    #[test]
    fn a_renamed_and_edited_file_is_one_rename_with_hunks() {
        let (_dir, repo) = new_repo();
        let body = numbered(30);
        let c1 = commit(&repo, &[("a.txt", Some(body.as_bytes()))]);
        let edited = body.replace("line 15\n", "line fifteen\n");
        let c2 = commit(
            &repo,
            &[("a.txt", None), ("b.txt", Some(edited.as_bytes()))],
        );
        let files = diff_trees(&repo, Some(c1), Some(c2), &Limits::default()).unwrap();
        assert_eq!(files.len(), 1, "{files:#?}");
        let f = &files[0];
        assert_eq!(f.status, FileStatus::Renamed);
        assert_eq!(
            (f.old_path.as_deref(), f.new_path.as_deref()),
            (Some("a.txt"), Some("b.txt"))
        );
        assert_eq!(hunks(f)[0].header, "@@ -12,7 +12,7 @@");
        assert_eq!((f.insertions, f.deletions), (1, 1));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_becoming_a_file_is_a_type_change() {
        let (dir, repo) = new_repo();
        std::os::unix::fs::symlink("target.txt", dir.path().join("link")).unwrap();
        let c1 = commit(&repo, &[("target.txt", Some(b"t\n"))]);
        std::fs::remove_file(dir.path().join("link")).unwrap();
        let c2 = commit(&repo, &[("link", Some(b"now a file\n"))]);
        let files = diff_trees(&repo, Some(c1), Some(c2), &Limits::default()).unwrap();
        let f = by_path(&files, "link");
        assert_eq!(f.status, FileStatus::TypeChanged);
        let texts: Vec<&str> = hunks(f)[0].lines.iter().map(|l| l.text.as_str()).collect();
        // A symlink's content is its target, without a newline.
        assert_eq!(texts, vec!["target.txt", "now a file"]);
        assert!(f.no_newline_at_end);
    }

    #[test]
    fn commit_and_tree_ids_give_the_same_diff_and_none_is_the_empty_tree() {
        let (_dir, repo) = new_repo();
        let c1 = commit(&repo, &[("a.txt", Some(b"a\n"))]);
        let c2 = commit(&repo, &[("a.txt", Some(b"b\n"))]);
        let tree = |c: Oid| repo.find_commit(c).unwrap().tree_id();
        let limits = Limits::default();
        let by_commit = diff_trees(&repo, Some(c1), Some(c2), &limits).unwrap();
        let by_tree = diff_trees(&repo, Some(tree(c1)), Some(tree(c2)), &limits).unwrap();
        assert_eq!(by_commit, by_tree);
        assert_eq!(by_commit[0].status, FileStatus::Modified);

        let from_nothing = diff_trees(&repo, None, Some(c2), &limits).unwrap();
        assert_eq!(from_nothing.len(), 1);
        assert_eq!(from_nothing[0].status, FileStatus::Added);
        let to_nothing = diff_trees(&repo, Some(c2), None, &limits).unwrap();
        assert_eq!(to_nothing[0].status, FileStatus::Deleted);
    }

    #[test]
    fn binary_files_are_detected_by_a_nul_byte() {
        let (_dir, repo) = new_repo();
        let c1 = commit(&repo, &[("img.bin", Some(b"GIF89a\0\x01\x02"))]);
        let c2 = commit(&repo, &[("img.bin", Some(b"GIF89a\0\x01\x02\x03\x04"))]);
        let files = diff_trees(&repo, Some(c1), Some(c2), &Limits::default()).unwrap();
        assert_eq!(
            files[0].body,
            Body::Binary {
                old_size: 9,
                new_size: 11
            }
        );
        assert_eq!((files[0].insertions, files[0].deletions), (0, 0));
        // A NUL past the sniffing window does not make a file binary.
        let mut late = vec![b'a'; BINARY_SNIFF_BYTES];
        late.push(0);
        let f = diff_blobs(
            None,
            Some(&late),
            None,
            Some("x"),
            &Limits::default(),
            far(),
        );
        assert!(matches!(f.body, Body::Text(_)), "{:?}", f.body);
    }

    #[test]
    fn gitattributes_that_turn_off_the_text_diff_are_honoured() {
        let (_dir, repo) = new_repo();
        let c1 = commit(
            &repo,
            &[
                (".gitattributes", Some(b"*.lock -diff\n*.dat binary\n")),
                ("deps.lock", Some(b"a = 1\n")),
                ("table.dat", Some(b"x,y\n")),
                ("notes.md", Some(b"one\n")),
            ],
        );
        let c2 = commit(
            &repo,
            &[
                ("deps.lock", Some(b"a = 2\nb = 3\n")),
                ("table.dat", Some(b"x,y\n1,2\n")),
                ("notes.md", Some(b"two\n")),
            ],
        );
        let files = diff_trees(&repo, Some(c1), Some(c2), &Limits::default()).unwrap();
        let body = |name: &str| &files.iter().find(|f| f.name() == name).unwrap().body;
        assert_eq!(
            body("deps.lock"),
            &Body::Binary {
                old_size: 6,
                new_size: 12
            }
        );
        assert!(matches!(body("table.dat"), Body::Binary { .. }));
        assert!(matches!(body("notes.md"), Body::Text(_)));
        let lock = files.iter().find(|f| f.name() == "deps.lock").unwrap();
        assert_eq!((lock.insertions, lock.deletions), (0, 0));
    }

    #[test]
    fn files_beyond_the_limits_are_too_large() {
        let (_dir, repo) = new_repo();
        let big = numbered(50);
        let c1 = commit(&repo, &[("small.txt", Some(b"x\n"))]);
        let c2 = commit(
            &repo,
            &[
                ("big.txt", Some(big.as_bytes())),
                ("small.txt", Some(b"y\n")),
            ],
        );
        let by_bytes = Limits {
            max_bytes: 100,
            ..Limits::default()
        };
        let files = diff_trees(&repo, Some(c1), Some(c2), &by_bytes).unwrap();
        assert_eq!(
            by_path(&files, "big.txt").body,
            Body::TooLarge {
                old_size: 0,
                new_size: big.len() as u64
            }
        );
        assert!(matches!(by_path(&files, "small.txt").body, Body::Text(_)));

        let by_lines = Limits {
            max_lines: 10,
            ..Limits::default()
        };
        let files = diff_trees(&repo, Some(c1), Some(c2), &by_lines).unwrap();
        let f = by_path(&files, "big.txt");
        assert!(matches!(f.body, Body::TooLarge { .. }), "{:?}", f.body);
        // Read anyway, so an added file's line count is known.
        assert_eq!(f.insertions, 50);
    }

    #[test]
    fn a_passed_deadline_leaves_stats_only() {
        let now = Instant::now();
        let f = diff_blobs(
            Some(b"a\n"),
            Some(b"b\n"),
            None,
            None,
            &Limits::default(),
            now,
        );
        assert_eq!(f.body, Body::TimedOut);
        assert_eq!((f.insertions, f.deletions), (0, 0));
        let added = diff_blobs(
            None,
            Some(b"a\nb\n"),
            None,
            Some("n"),
            &Limits::default(),
            now,
        );
        assert_eq!(added.body, Body::TimedOut);
        assert_eq!(added.insertions, 2);

        let (_dir, repo) = new_repo();
        let c1 = commit(&repo, &[("a.txt", Some(b"a\n"))]);
        let c2 = commit(&repo, &[("a.txt", Some(b"b\n")), ("b.txt", Some(b"b\n"))]);
        let no_time = Limits {
            deadline: Duration::ZERO,
            ..Limits::default()
        };
        let files = diff_trees(&repo, Some(c1), Some(c2), &no_time).unwrap();
        assert_eq!(files.len(), 2);
        for f in &files {
            assert_eq!(f.body, Body::TimedOut, "{}", f.path());
        }
        assert_eq!(by_path(&files, "b.txt").status, FileStatus::Added);
    }

    #[test]
    fn workdir_diff_includes_untracked_and_excludes_ignored() {
        let (dir, repo) = new_repo();
        let moved = numbered(30);
        let base = commit(
            &repo,
            &[
                (".gitignore", Some(b"target/\n")),
                ("keep.txt", Some(b"1\n2\n")),
                ("drop.txt", Some(b"gone\n")),
                ("before.txt", Some(moved.as_bytes())),
            ],
        );
        let wd = dir.path();
        std::fs::write(wd.join("keep.txt"), b"1\n2\n3\n").unwrap();
        std::fs::remove_file(wd.join("drop.txt")).unwrap();
        std::fs::rename(wd.join("before.txt"), wd.join("after.txt")).unwrap();
        std::fs::create_dir_all(wd.join("notes")).unwrap();
        std::fs::write(wd.join("notes/new.md"), b"# new\n").unwrap();
        std::fs::create_dir_all(wd.join("target")).unwrap();
        std::fs::write(wd.join("target/out.o"), b"ignored\n").unwrap();

        let files = diff_tree_to_workdir(&repo, Some(base), &Limits::default()).unwrap();
        let mut got: Vec<(&str, FileStatus)> = files.iter().map(|f| (f.path(), f.status)).collect();
        got.sort_by_key(|(path, _)| *path);
        assert_eq!(
            got,
            vec![
                ("after.txt", FileStatus::Renamed),
                ("drop.txt", FileStatus::Deleted),
                ("keep.txt", FileStatus::Modified),
                ("notes/new.md", FileStatus::Added),
            ]
        );
        let keep = by_path(&files, "keep.txt");
        assert_eq!((keep.insertions, keep.deletions), (1, 0));
        let new = by_path(&files, "notes/new.md");
        assert_eq!(hunks(new)[0].lines[0].text, "# new");
    }

    /// `git diff` of one file between two commits, as (header without the
    /// function context, lines with their +/-/space prefix).
    fn git_hunks(
        dir: &Path,
        a: Oid,
        b: Oid,
        path: &str,
        context: u32,
    ) -> Vec<(String, Vec<String>)> {
        let out = Command::new("git")
            .args(["diff", "--no-color", "--no-ext-diff"])
            .arg(format!("-U{context}"))
            .args([&a.to_string(), &b.to_string(), "--", path])
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("the git CLI is needed to check hunk headers against git");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let mut hunks: Vec<(String, Vec<String>)> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("@@ ") {
                let end = rest.find(" @@").expect("hunk header closes") + "@@ ".len() + " @@".len();
                hunks.push((line[..end].to_string(), Vec::new()));
            } else if let Some((_, lines)) = hunks.last_mut()
                && line.starts_with([' ', '+', '-'])
            {
                lines.push(line.to_string());
            }
        }
        hunks
    }

    fn our_hunks(f: &FileDiff) -> Vec<(String, Vec<String>)> {
        hunks(f)
            .iter()
            .map(|h| {
                let lines = h
                    .lines
                    .iter()
                    .map(|l| {
                        let sign = match l.kind {
                            LineKind::Context => ' ',
                            LineKind::Added => '+',
                            LineKind::Removed => '-',
                        };
                        format!("{sign}{}", l.text)
                    })
                    .collect();
                (h.header.clone(), lines)
            })
            .collect()
    }

    #[test]
    fn hunks_match_git_diff_for_a_multi_hunk_file() {
        let (dir, repo) = new_repo();
        let old: Vec<String> = (1..=60)
            .map(|i| match i % 10 {
                0 => format!("fn section_{i}() {{"),
                _ => format!("    step({i});"),
            })
            .collect();
        let mut new = old.clone();
        new[59] = "    last step changed".into(); // near the end
        new.drain(48..51); // a deletion
        new[37] = "    step(38) changed;".into(); // 7 lines after 30: own hunk at -U3
        new[29] = "fn section_30_renamed() {".into();
        new[16] = "    step(17) changed;".into(); // 6 lines after 10: same hunk at -U3
        new[9] = "fn section_10(arg: u32) {".into();
        new.insert(0, "// header comment".into()); // at the very start
        let old_text = old.join("\n") + "\n";
        let new_text = new.join("\n") + "\n";
        let c1 = commit(&repo, &[("lib.rs", Some(old_text.as_bytes()))]);
        let c2 = commit(&repo, &[("lib.rs", Some(new_text.as_bytes()))]);
        for context in [0, 1, 3, 5] {
            let limits = Limits {
                context,
                ..Limits::default()
            };
            let files = diff_trees(&repo, Some(c1), Some(c2), &limits).unwrap();
            let ours = our_hunks(&files[0]);
            let git = git_hunks(dir.path(), c1, c2, "lib.rs", context);
            assert!(
                git.len() > 1,
                "the file should give several hunks at -U{context}"
            );
            assert_eq!(ours, git, "-U{context}");
        }
    }

    #[test]
    fn function_context_is_gits() {
        let (dir, repo) = new_repo();
        let mut old: Vec<String> = Vec::new();
        for f in 0..6 {
            old.push(format!("fn function_{f}() {{"));
            old.extend((0..12).map(|i| format!("    step({f}, {i});")));
            old.push("}".into());
            old.push(String::new());
        }
        let mut new = old.clone();
        new[5] = "    changed(0);".into();
        new[40] = "    changed(2);".into();
        new[47] = "    changed(3);".into();
        new[80] = "    changed(5);".into();
        let (old_text, new_text) = (old.join("\n") + "\n", new.join("\n") + "\n");
        let c1 = commit(&repo, &[("f.rs", Some(old_text.as_bytes()))]);
        let c2 = commit(&repo, &[("f.rs", Some(new_text.as_bytes()))]);
        let files = diff_trees(&repo, Some(c1), Some(c2), &Limits::default()).unwrap();
        let ours: Vec<String> = hunks(&files[0])
            .iter()
            .map(|h| {
                format!("{} {}", h.header, h.function)
                    .trim_end()
                    .to_string()
            })
            .collect();
        let out = Command::new("git")
            .args(["diff", "--no-color", &c1.to_string(), &c2.to_string()])
            .current_dir(dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        let git: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("@@ "))
            .map(str::to_string)
            .collect();
        assert!(git.len() >= 3, "{git:?}");
        assert_eq!(ours, git);
    }
}

#[cfg(test)]
mod unlimited_tests {
    use super::*;
    use crate::diff::Body;

    /// `leash diff` of a running turn reads its worktree with no limits.
    #[test]
    fn an_unlimited_workdir_diff_reads_every_file() {
        let dir = tempfile::TempDir::new().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        std::fs::write(dir.path().join("new.txt"), b"one\ntwo\n").unwrap();
        let files = diff_tree_to_workdir(&repo, None, &Limits::unlimited()).unwrap();
        assert_eq!(files.len(), 1);
        assert!(
            matches!(files[0].body, Body::Text(_)),
            "{:?}",
            files[0].body
        );
        assert_eq!((files[0].insertions, files[0].deletions), (2, 0));
    }
}

/// The patch text `leash diff` prints, made from the diff model, against
/// libgit2's (what it printed before) and `git apply`.
#[cfg(all(test, unix))]
pub(crate) mod patch_tests {
    use super::*;
    use crate::checkpoint::test_git as git;
    use crate::diff::patch;

    /// A repository whose second commit renames and edits a file, edits a
    /// CRLF file and a binary one, deletes a file, extends a file without
    /// a final newline, makes a script executable, edits a Latin-1 file,
    /// turns a symlink into a file, and adds files (one empty, one with
    /// lines starting `--` and `++`, one with a space and a tab-free
    /// non-ASCII name).
    pub(crate) fn two_commits() -> (tempfile::TempDir, String, String) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        git(dir, &["config", "user.name", "t"]);
        git(dir, &["config", "user.email", "t@example.com"]);
        git(dir, &["config", "core.autocrlf", "false"]);
        let write = |p: &str, b: &[u8]| {
            let p = dir.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b).unwrap();
        };
        let long: String = (0..200)
            .map(|i| format!("line {i} of a moved file\n"))
            .collect();
        write("moved.txt", long.as_bytes());
        write("crlf.txt", b"a\r\nb\r\nc\r\n");
        write("bin.dat", b"\0\x01\x02binary");
        write("gone.txt", b"bye\n");
        write("noeol.txt", b"one\ntwo");
        write("run.sh", b"#!/bin/sh\n");
        write("latin1.txt", b"caf\xe9\n");
        write(
            "dashes.sql",
            b"select 1;\n-- old comment\n++counter;\nend\n",
        );
        std::os::unix::fs::symlink("gone.txt", dir.join("link")).unwrap();
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", "one"]);
        let first = git(dir, &["rev-parse", "HEAD"]);

        std::fs::remove_file(dir.join("moved.txt")).unwrap();
        let edited = long.replace("line 100 of", "line one hundred of");
        write("sub/renamed.txt", format!("{edited}one more\n").as_bytes());
        write("crlf.txt", b"a\r\nB\r\nc\r\n");
        write("bin.dat", b"\0\x01\x03binary!");
        std::fs::remove_file(dir.join("gone.txt")).unwrap();
        write("noeol.txt", b"one\ntwo\nthree");
        std::fs::set_permissions(
            dir.join("run.sh"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        write("latin1.txt", b"caf\xe9 cr\xe8me\n");
        std::fs::remove_file(dir.join("link")).unwrap();
        write("link", b"now a file\n");
        write(
            "dashes.sql",
            b"select 2;\n++counter;\n-- new comment\nend\n",
        );
        write("empty.txt", b"");
        write("ça va.txt", b"oui\n");
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", "two"]);
        let second = git(dir, &["rev-parse", "HEAD"]);
        (tmp, first, second)
    }

    /// `text` without the section of the file that starts with `header`.
    fn without_section(text: &str, header: &str) -> String {
        let mut out = String::new();
        let mut skipping = false;
        for l in text.split_inclusive('\n') {
            if l.starts_with("diff --git ") {
                skipping = l.trim_end() == header;
            }
            if !skipping {
                out.push_str(l);
            }
        }
        out
    }

    #[test]
    fn the_models_patch_is_libgit2s_patch() {
        let (tmp, first, second) = two_commits();
        let repo = Repository::open(tmp.path()).unwrap();
        let id = |c: &str| Oid::from_str(c).unwrap();
        for (a, b) in [(&first, &second), (&second, &first)] {
            // libgit2 shows a type change as a mode change with no lines,
            // which `git apply` refuses; leash shows it as git does.
            let files: Vec<FileDiff> =
                diff_trees(&repo, Some(id(a)), Some(id(b)), &Limits::unlimited())
                    .unwrap()
                    .into_iter()
                    .filter(|f| f.status != FileStatus::TypeChanged)
                    .collect();
            let ours = patch::unified(&files);
            let old = crate::checkpoint::tree_of(&repo, Some(id(a))).unwrap();
            let new = crate::checkpoint::tree_of(&repo, Some(id(b))).unwrap();
            let diff = crate::checkpoint::tree_diff(&repo, &old, &new).unwrap();
            let (theirs, counts) = crate::checkpoint::patch_and_counts(&diff, true).unwrap();
            let theirs = without_section(&theirs, "diff --git a/link b/link")
                // libgit2 names the sides of an empty new file; git does not.
                .replace("--- /dev/null\n+++ b/empty.txt\n", "")
                .replace("--- a/empty.txt\n+++ /dev/null\n", "");
            assert_eq!(ours, theirs);
            let ours_counts: Vec<_> = files
                .iter()
                .map(|f| (f.name(), f.insertions, f.deletions))
                .collect();
            let their_counts: Vec<_> = counts
                .iter()
                .filter(|c| c.name() != "link")
                .map(|c| (c.name(), c.insertions, c.deletions))
                .collect();
            assert_eq!(ours_counts, their_counts);
        }
    }

    #[test]
    fn git_apply_takes_the_models_patch() {
        let (tmp, first, second) = two_commits();
        let dir = tmp.path();
        let repo = Repository::open(dir).unwrap();
        let id = |c: &str| Oid::from_str(c).unwrap();
        // Binary files are shown as differing, not carried, and lines are
        // text (a Latin-1 line is decoded lossily): leave those out.
        let files: Vec<FileDiff> = diff_trees(
            &repo,
            Some(id(&first)),
            Some(id(&second)),
            &Limits::unlimited(),
        )
        .unwrap()
        .into_iter()
        .filter(|f| !matches!(f.path(), "bin.dat" | "latin1.txt"))
        .collect();
        let text = patch::unified(&files);
        assert!(text.contains("\ndeleted file mode 120000\n"), "{text}");
        git(dir, &["checkout", "-q", &first]);
        std::fs::write(dir.join(".git/leash.patch"), &text).unwrap();
        git(dir, &["apply", "--index", ".git/leash.patch"]);
        git(
            dir,
            &["checkout", "-q", &second, "--", "bin.dat", "latin1.txt"],
        );
        let tree = git(dir, &["write-tree"]);
        assert_eq!(
            tree,
            git(dir, &["rev-parse", &format!("{second}^{{tree}}")])
        );
    }
}
