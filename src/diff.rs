//! The diff model: what changed between two trees (or a tree and a working
//! directory), file by file, as hunks of numbered lines with word-level
//! emphasis. Pure data for the UI to draw; nothing here knows about ratatui.
//!
//! Diffing runs on a worker thread, but a pathological turn (a huge or
//! binary file, thousands of files) must still come back quickly: every
//! side is size-checked before it is read, and one deadline covers the
//! whole diff, after which the remaining files carry stats only.

use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};

use git2::{Delta, DiffFile, DiffFindOptions, DiffOptions, FileMode, Oid, Repository, Tree};
use serde::Serialize;
use similar::{Algorithm, DiffOp, DiffTag};

/// Git looks for a NUL byte this far into a file to call it binary.
const BINARY_SNIFF_BYTES: usize = 8000;

/// Lines longer than this get no word emphasis: a minified file's one huge
/// line would spend the whole deadline on decoration.
const MAX_EMPHASIS_LINE_BYTES: usize = 16 * 1024;

/// Below this share of common non-blank text, a removed/added pair is a
/// rewrite rather than an edit, and emphasising nearly every word is noise.
const MIN_EMPHASIS_SIMILARITY: f64 = 0.4;

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Deleted,
    Modified,
    /// Moved, possibly with edits (found by content similarity).
    Renamed,
    /// Became or stopped being a symlink or submodule.
    TypeChanged,
}

/// What a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Unchanged, shown around changes.
    Context,
    Added,
    Removed,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    /// Context, added or removed.
    pub kind: LineKind,
    /// 1-based line number on the old side (None for added lines).
    pub old_no: Option<u32>,
    /// 1-based line number on the new side (None for removed lines).
    pub new_no: Option<u32>,
    /// The line without its `\n` (a CRLF line keeps its `\r`, as git shows
    /// it), decoded as lossy UTF-8.
    pub text: String,
    /// Byte ranges of `text` holding the words that changed, for paired
    /// removed/added lines of one change; empty otherwise.
    pub emphasis: Vec<Range<usize>>,
}

/// A run of changed lines with their context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hunk {
    /// Start and length as in the header; an empty range starts at the line
    /// before it (git's convention, so `-0,0` for an added file).
    pub old_start: u32,
    /// Old-side lines in the hunk (context and removed).
    pub old_len: u32,
    /// See `old_start`.
    pub new_start: u32,
    /// New-side lines in the hunk (context and added).
    pub new_len: u32,
    /// `@@ -a,b +c,d @@`, formatted exactly as git does.
    pub header: String,
    /// Context, removed and added lines in display order.
    pub lines: Vec<DiffLine>,
}

/// What can be shown of a file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// A line diff.
    Text(Vec<Hunk>),
    /// A side has a NUL byte near its start; sizes in bytes (0 if absent).
    Binary { old_size: u64, new_size: u64 },
    /// A side exceeds [`Limits`]; sizes in bytes (0 if absent).
    TooLarge { old_size: u64, new_size: u64 },
    /// The deadline passed before this file's diff was done: stats only.
    TimedOut,
}

/// The change to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDiff {
    /// None for an added file.
    pub old_path: Option<String>,
    /// None for a deleted file.
    pub new_path: Option<String>,
    /// How the file changed.
    pub status: FileStatus,
    /// Added lines: exact for a text body; otherwise only what was known
    /// without diffing (the lines of a wholly added or deleted file that
    /// was read), else 0.
    pub insertions: usize,
    /// Removed lines; see `insertions`.
    pub deletions: usize,
    /// The hunks, or why there are none.
    pub body: Body,
    /// A side's last line lacks its newline and is shown in a hunk: where
    /// git would print `\ No newline at end of file`.
    pub no_newline_at_end: bool,
}

impl FileDiff {
    /// The path to show: the new path, else the old one.
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("")
    }
}

/// Totals over a list of file diffs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffStats {
    /// Changed files.
    pub files: usize,
    /// Added lines over all files.
    pub insertions: usize,
    /// Removed lines over all files.
    pub deletions: usize,
}

/// Bounds on the work and memory one diff may take.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest side, in bytes, that is read and diffed.
    pub max_bytes: u64,
    /// Most lines per side that are diffed.
    pub max_lines: usize,
    /// Unchanged lines shown around each change.
    pub context: u32,
    /// Time allowed for a whole tree diff.
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 2 * 1024 * 1024,
            max_lines: 20_000,
            context: 3,
            deadline: Duration::from_millis(500),
        }
    }
}

/// Diffs two blobs' contents (None = the file does not exist on that side).
///
/// Binary when either side has a NUL byte in its first 8000 bytes (as git
/// decides); too large per `limits`; timed out if `deadline` has passed;
/// otherwise a Myers line diff grouped into hunks with `limits.context`
/// lines of context, and word emphasis on paired removed/added lines.
pub fn diff_blobs(
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    old_path: Option<&str>,
    new_path: Option<&str>,
    limits: &Limits,
    deadline: Instant,
) -> FileDiff {
    let status = match (old, new) {
        (None, Some(_)) => FileStatus::Added,
        (Some(_), None) => FileStatus::Deleted,
        _ if old_path.is_some() && new_path.is_some() && old_path != new_path => {
            FileStatus::Renamed
        }
        _ => FileStatus::Modified,
    };
    let content = diff_content(old, new, limits, deadline);
    FileDiff {
        old_path: old_path.map(str::to_owned),
        new_path: new_path.map(str::to_owned),
        status,
        insertions: content.insertions,
        deletions: content.deletions,
        body: content.body,
        no_newline_at_end: content.no_newline_at_end,
    }
}

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

/// Sums files, insertions and deletions.
pub fn stats(files: &[FileDiff]) -> DiffStats {
    DiffStats {
        files: files.len(),
        insertions: files.iter().map(|f| f.insertions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
    }
}

fn deadline_after(budget: Duration) -> Instant {
    let now = Instant::now();
    // An absurd budget means "no deadline", not a panic on overflow.
    now.checked_add(budget)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

fn tree_of(repo: &Repository, id: Oid) -> Result<Tree<'_>, git2::Error> {
    repo.find_object(id, None)?.peel_to_tree()
}

/// One side of a file as read from git or the disk.
enum Side<'r> {
    Absent,
    Blob(git2::Blob<'r>),
    Bytes(Vec<u8>),
    /// Bigger than `max_bytes`, so never read; its size in bytes.
    Oversized(u64),
}

impl Side<'_> {
    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Side::Blob(b) => Some(b.content()),
            Side::Bytes(b) => Some(b),
            Side::Absent | Side::Oversized(_) => None,
        }
    }

    fn size(&self) -> u64 {
        match self {
            Side::Oversized(n) => *n,
            _ => self.bytes().map_or(0, |b| b.len() as u64),
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
        let mut file = FileDiff {
            old_path: has_old.then(|| path_string(&old_file)),
            new_path: has_new.then(|| path_string(&new_file)),
            status,
            insertions: 0,
            deletions: 0,
            body: Body::TimedOut,
            no_newline_at_end: false,
        };
        // Past the deadline nothing more is read: reading is the slow part.
        if Instant::now() < deadline {
            let old = if has_old {
                tree_side(repo, &odb, &old_file, limits)?
            } else {
                Side::Absent
            };
            let new = match (has_new, workdir) {
                (false, _) => Side::Absent,
                (true, Some(dir)) => workdir_side(dir, &new_file, limits),
                (true, None) => tree_side(repo, &odb, &new_file, limits)?,
            };
            if matches!(old, Side::Oversized(_)) || matches!(new, Side::Oversized(_)) {
                file.body = Body::TooLarge {
                    old_size: old.size(),
                    new_size: new.size(),
                };
            } else {
                let content = diff_content(old.bytes(), new.bytes(), limits, deadline);
                file.insertions = content.insertions;
                file.deletions = content.deletions;
                file.body = content.body;
                file.no_newline_at_end = content.no_newline_at_end;
            }
        }
        files.push(file);
    }
    Ok(files)
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
) -> Result<Side<'r>, git2::Error> {
    if file.mode() == FileMode::Commit {
        return Ok(Side::Bytes(gitlink_text(file.id())));
    }
    if file.id().is_zero() {
        return Ok(Side::Absent);
    }
    // The header gives the size without inflating the object.
    let (size, _) = odb.read_header(file.id())?;
    if size as u64 > limits.max_bytes {
        return Ok(Side::Oversized(size as u64));
    }
    Ok(Side::Blob(repo.find_blob(file.id())?))
}

/// Reads the working-directory side. A running agent may delete or rewrite
/// the file meanwhile; an unreadable file is shown as absent rather than
/// failing the whole diff.
fn workdir_side<'r>(workdir: &Path, file: &DiffFile<'_>, limits: &Limits) -> Side<'r> {
    if file.mode() == FileMode::Commit {
        return Side::Bytes(gitlink_text(file.id()));
    }
    let Some(rel) = file.path() else {
        return Side::Absent;
    };
    let path = workdir.join(rel);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Side::Absent;
    };
    if meta.file_type().is_symlink() {
        // Git stores a symlink as a blob holding its target.
        return match std::fs::read_link(&path) {
            Ok(target) => Side::Bytes(os_bytes(target.as_os_str())),
            Err(_) => Side::Absent,
        };
    }
    if !meta.is_file() {
        return Side::Absent;
    }
    if meta.len() > limits.max_bytes {
        return Side::Oversized(meta.len());
    }
    let Ok(f) = File::open(&path) else {
        return Side::Absent;
    };
    // The file may grow between stat and read: never hold more than the limit.
    let mut buf = Vec::with_capacity(meta.len() as usize);
    if f.take(limits.max_bytes + 1).read_to_end(&mut buf).is_err() {
        return Side::Absent;
    }
    if buf.len() as u64 > limits.max_bytes {
        return Side::Oversized(buf.len() as u64);
    }
    Side::Bytes(buf)
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

/// The content part of a [`FileDiff`].
struct Content {
    body: Body,
    insertions: usize,
    deletions: usize,
    no_newline_at_end: bool,
}

impl Content {
    fn without_text(body: Body) -> Content {
        Content {
            body,
            insertions: 0,
            deletions: 0,
            no_newline_at_end: false,
        }
    }
}

fn diff_content(
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    limits: &Limits,
    deadline: Instant,
) -> Content {
    let old_bytes = old.unwrap_or_default();
    let new_bytes = new.unwrap_or_default();
    let sizes = (old_bytes.len() as u64, new_bytes.len() as u64);
    let sniff = |b: &[u8]| b[..b.len().min(BINARY_SNIFF_BYTES)].contains(&0);
    if sniff(old_bytes) || sniff(new_bytes) {
        return Content::without_text(Body::Binary {
            old_size: sizes.0,
            new_size: sizes.1,
        });
    }
    if sizes.0 > limits.max_bytes || sizes.1 > limits.max_bytes {
        return Content::without_text(Body::TooLarge {
            old_size: sizes.0,
            new_size: sizes.1,
        });
    }
    let old_lines: Vec<&[u8]> = old_bytes.split_inclusive(|&b| b == b'\n').collect();
    let new_lines: Vec<&[u8]> = new_bytes.split_inclusive(|&b| b == b'\n').collect();
    // A wholly added or deleted file's stats are its line count: known
    // without diffing, so worth keeping when the diff itself is skipped.
    let whole_file_stats = |body| Content {
        body,
        insertions: if old.is_none() { new_lines.len() } else { 0 },
        deletions: if new.is_none() { old_lines.len() } else { 0 },
        no_newline_at_end: false,
    };
    if old_lines.len() > limits.max_lines || new_lines.len() > limits.max_lines {
        return whole_file_stats(Body::TooLarge {
            old_size: sizes.0,
            new_size: sizes.1,
        });
    }
    if Instant::now() >= deadline {
        return whole_file_stats(Body::TimedOut);
    }
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_lines,
        &new_lines,
        Some(deadline),
    );
    // Past the deadline Myers gives up and reports what is left as one big
    // replacement: correct, but not the diff anyone wants to review.
    if Instant::now() >= deadline {
        return whole_file_stats(Body::TimedOut);
    }
    let mut insertions = 0;
    let mut deletions = 0;
    for op in &ops {
        deletions += op.old_range().len() * usize::from(op.tag() != DiffTag::Equal);
        insertions += op.new_range().len() * usize::from(op.tag() != DiffTag::Equal);
    }
    let mut builder = HunkBuilder {
        old: &old_lines,
        new: &new_lines,
        deadline,
        emphasis_expired: false,
        no_newline_at_end: false,
    };
    let hunks = similar::group_diff_ops(ops, limits.context as usize)
        .iter()
        .map(|group| builder.hunk(group))
        .collect();
    Content {
        body: Body::Text(hunks),
        insertions,
        deletions,
        no_newline_at_end: builder.no_newline_at_end,
    }
}

/// Turns grouped diff ops into hunks, tracking what spans hunks.
struct HunkBuilder<'a> {
    old: &'a [&'a [u8]],
    new: &'a [&'a [u8]],
    deadline: Instant,
    /// Emphasis is decoration: once the deadline passes, stop computing it.
    emphasis_expired: bool,
    no_newline_at_end: bool,
}

impl HunkBuilder<'_> {
    fn hunk(&mut self, group: &[DiffOp]) -> Hunk {
        let (first, last) = (&group[0], &group[group.len() - 1]);
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let (old_start, old_len) = header_range(&old_range);
        let (new_start, new_len) = header_range(&new_range);
        let header = format!(
            "@@ -{} +{} @@",
            header_part(old_start, old_len),
            header_part(new_start, new_len)
        );
        let mut lines = Vec::new();
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        for op in group {
            let (tag, old_r, new_r) = op.as_tag_tuple();
            if tag == DiffTag::Equal {
                self.flush_change(&mut removed, &mut added, &mut lines);
                for (o, n) in old_r.zip(new_r) {
                    lines.push(self.line(LineKind::Context, Some(o), Some(n)));
                }
            } else {
                removed.extend(old_r);
                added.extend(new_r);
            }
        }
        self.flush_change(&mut removed, &mut added, &mut lines);
        Hunk {
            old_start,
            old_len,
            new_start,
            new_len,
            header,
            lines,
        }
    }

    /// Emits one change (removed lines, then added ones, as git prints them),
    /// emphasising words in the pairs (i-th removed, i-th added).
    fn flush_change(
        &mut self,
        removed: &mut Vec<usize>,
        added: &mut Vec<usize>,
        out: &mut Vec<DiffLine>,
    ) {
        let first_removed = out.len();
        for &o in removed.iter() {
            out.push(self.line(LineKind::Removed, Some(o), None));
        }
        let first_added = out.len();
        for &n in added.iter() {
            out.push(self.line(LineKind::Added, None, Some(n)));
        }
        for i in 0..removed.len().min(added.len()) {
            if self.emphasis_expired {
                break;
            }
            let (before, after) = out.split_at_mut(first_added);
            let (old_line, new_line) = (&mut before[first_removed + i], &mut after[i]);
            let emphasis = word_emphasis(&old_line.text, &new_line.text, self.deadline);
            if Instant::now() >= self.deadline {
                // The word diff may have been cut short: show none rather
                // than a wrong one.
                self.emphasis_expired = true;
                break;
            }
            if let Some((o, n)) = emphasis {
                old_line.emphasis = o;
                new_line.emphasis = n;
            }
        }
        removed.clear();
        added.clear();
    }

    fn line(&mut self, kind: LineKind, old: Option<usize>, new: Option<usize>) -> DiffLine {
        let raw = match (old, new) {
            (Some(o), _) => self.old[o],
            (None, Some(n)) => self.new[n],
            (None, None) => unreachable!("a diff line is on at least one side"),
        };
        let unterminated = |lines: &[&[u8]], i: Option<usize>| {
            i.is_some_and(|i| i + 1 == lines.len() && !lines[i].ends_with(b"\n"))
        };
        if unterminated(self.old, old) || unterminated(self.new, new) {
            self.no_newline_at_end = true;
        }
        let text = raw.strip_suffix(b"\n").unwrap_or(raw);
        DiffLine {
            kind,
            old_no: old.map(|i| line_number(i + 1)),
            new_no: new.map(|i| line_number(i + 1)),
            text: String::from_utf8_lossy(text).into_owned(),
            emphasis: Vec::new(),
        }
    }
}

fn line_number(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A 0-based line range as git's header numbers (start, len).
fn header_range(r: &Range<usize>) -> (u32, u32) {
    let len = line_number(r.len());
    // Git names an empty range by the line before it.
    let start = if len == 0 { r.start } else { r.start + 1 };
    (line_number(start), len)
}

/// Git leaves out a length of 1.
fn header_part(start: u32, len: u32) -> String {
    if len == 1 {
        start.to_string()
    } else {
        format!("{start},{len}")
    }
}

/// Emphasised byte ranges of one line.
type Emphasis = Vec<Range<usize>>;

/// Splits a line into words (alphanumerics and `_`), runs of whitespace,
/// and single other characters, so `1;` changing to `2;` marks only the
/// digit.
fn tokens(s: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum Class {
        Word,
        Space,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<Class> = None;
    for (i, c) in s.char_indices() {
        let cls = class(c);
        let joins = prev.as_ref() == Some(&cls) && cls != Class::Other;
        if !joins && i > start {
            out.push(&s[start..i]);
            start = i;
        }
        prev = Some(cls);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Byte ranges of the changed words in a removed line and its paired added
/// line, or None when the lines are too long or too different to compare.
fn word_emphasis(old: &str, new: &str, deadline: Instant) -> Option<(Emphasis, Emphasis)> {
    if old.len() > MAX_EMPHASIS_LINE_BYTES || new.len() > MAX_EMPHASIS_LINE_BYTES {
        return None;
    }
    let old_tokens = tokens(old);
    let new_tokens = tokens(new);
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_tokens,
        &new_tokens,
        Some(deadline),
    );
    let offsets = |toks: &[&str]| {
        let mut at = 0;
        let mut v = Vec::with_capacity(toks.len() + 1);
        v.push(0);
        for t in toks {
            at += t.len();
            v.push(at);
        }
        v
    };
    let (old_at, new_at) = (offsets(&old_tokens), offsets(&new_tokens));
    let solid = |toks: &[&str]| -> usize {
        toks.iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.len())
            .sum()
    };
    let mut common = 0;
    let (mut old_marks, mut new_marks) = (Vec::new(), Vec::new());
    for op in &ops {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            common += solid(&old_tokens[o]);
            continue;
        }
        push_range(&mut old_marks, old_at[o.start]..old_at[o.end]);
        push_range(&mut new_marks, new_at[n.start]..new_at[n.end]);
    }
    let total = solid(&old_tokens) + solid(&new_tokens);
    if total == 0 || (2 * common) as f64 / (total as f64) < MIN_EMPHASIS_SIMILARITY {
        return None;
    }
    Some((old_marks, new_marks))
}

/// Appends a range, merging it with the previous one when they touch.
fn push_range(ranges: &mut Vec<Range<usize>>, r: Range<usize>) {
    if r.is_empty() {
        return;
    }
    match ranges.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => ranges.push(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::{IndexAddOption, Signature};
    use std::process::Command;
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

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn hunks(f: &FileDiff) -> &[Hunk] {
        match &f.body {
            Body::Text(h) => h,
            other => panic!("{}: expected text, got {other:?}", f.path()),
        }
    }

    fn by_path<'a>(files: &'a [FileDiff], path: &str) -> &'a FileDiff {
        files
            .iter()
            .find(|f| f.path() == path)
            .unwrap_or_else(|| panic!("{path} not in {files:#?}"))
    }

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
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
    fn line_numbers_follow_both_sides() {
        let old = numbered(10);
        let new = old.replace("line 5\n", "five\nfive and a half\n");
        let f = diff_blobs(
            Some(old.as_bytes()),
            Some(new.as_bytes()),
            Some("n.txt"),
            Some("n.txt"),
            &Limits::default(),
            far(),
        );
        let h = &hunks(&f)[0];
        assert_eq!(h.header, "@@ -2,7 +2,8 @@");
        assert_eq!(
            (h.old_start, h.old_len, h.new_start, h.new_len),
            (2, 7, 2, 8)
        );
        let got: Vec<(LineKind, Option<u32>, Option<u32>, &str)> = h
            .lines
            .iter()
            .map(|l| (l.kind, l.old_no, l.new_no, l.text.as_str()))
            .collect();
        use LineKind::*;
        assert_eq!(
            got,
            vec![
                (Context, Some(2), Some(2), "line 2"),
                (Context, Some(3), Some(3), "line 3"),
                (Context, Some(4), Some(4), "line 4"),
                (Removed, Some(5), None, "line 5"),
                (Added, None, Some(5), "five"),
                (Added, None, Some(6), "five and a half"),
                (Context, Some(6), Some(7), "line 6"),
                (Context, Some(7), Some(8), "line 7"),
                (Context, Some(8), Some(9), "line 8"),
            ]
        );
        assert_eq!((f.insertions, f.deletions), (2, 1));
    }

    #[test]
    fn word_emphasis_marks_only_the_changed_token() {
        let f = diff_blobs(
            Some(b"fn main() {\n    let x = 1;\n}\n"),
            Some(b"fn main() {\n    let x = 2;\n}\n"),
            Some("m.rs"),
            Some("m.rs"),
            &Limits::default(),
            far(),
        );
        let lines = &hunks(&f)[0].lines;
        let removed = lines.iter().find(|l| l.kind == LineKind::Removed).unwrap();
        let added = lines.iter().find(|l| l.kind == LineKind::Added).unwrap();
        assert_eq!(removed.emphasis, vec![12..13]);
        assert_eq!(&removed.text[12..13], "1");
        assert_eq!(added.emphasis, vec![12..13]);
        assert_eq!(&added.text[12..13], "2");
        for l in lines.iter().filter(|l| l.kind == LineKind::Context) {
            assert!(l.emphasis.is_empty());
        }
    }

    #[test]
    fn word_emphasis_pairs_lines_in_order_and_skips_rewrites() {
        let f = diff_blobs(
            Some("let a = 1;\nlet b = 2;\nthe quick brown fox\nnaïve café\n".as_bytes()),
            Some("let a = 10;\nlet b = 20;\njumps over lazy dogs\nnaïve cafés\n".as_bytes()),
            None,
            None,
            &Limits::default(),
            far(),
        );
        let lines = &hunks(&f)[0].lines;
        let emphasised: Vec<Vec<&str>> = lines
            .iter()
            .map(|l| l.emphasis.iter().map(|r| &l.text[r.clone()]).collect())
            .collect();
        assert_eq!(
            emphasised,
            vec![
                vec!["1"],
                vec!["2"],
                vec![],
                vec!["café"],
                vec!["10"],
                vec!["20"],
                vec![],
                vec!["cafés"],
            ]
        );
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
    fn crlf_lines_keep_their_carriage_return() {
        let f = diff_blobs(
            Some(b"a\r\nb\r\nc\r\n"),
            Some(b"a\r\nB\r\nc\n"),
            None,
            None,
            &Limits::default(),
            far(),
        );
        let lines: Vec<(LineKind, &str)> = hunks(&f)[0]
            .lines
            .iter()
            .map(|l| (l.kind, l.text.as_str()))
            .collect();
        use LineKind::*;
        assert_eq!(
            lines,
            vec![
                (Context, "a\r"),
                (Removed, "b\r"),
                (Removed, "c\r"),
                (Added, "B\r"),
                (Added, "c"),
            ]
        );
        // Only the line ending changed: that is what gets emphasised.
        let c_removed = &hunks(&f)[0].lines[2];
        assert_eq!(c_removed.emphasis, vec![1..2]);
        assert!(!f.no_newline_at_end);
    }

    #[test]
    fn a_missing_final_newline_is_flagged_only_when_shown() {
        let f = diff_blobs(
            Some(b"a\nb\n"),
            Some(b"a\nb"),
            None,
            None,
            &Limits::default(),
            far(),
        );
        assert!(f.no_newline_at_end);
        let texts: Vec<(LineKind, &str)> = hunks(&f)[0]
            .lines
            .iter()
            .map(|l| (l.kind, l.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            vec![
                (LineKind::Context, "a"),
                (LineKind::Removed, "b"),
                (LineKind::Added, "b")
            ]
        );
        assert_eq!((f.insertions, f.deletions), (1, 1));

        let old = format!("{}tail", numbered(20));
        let new = old.replacen("line 1\n", "line one\n", 1);
        let f = diff_blobs(
            Some(old.as_bytes()),
            Some(new.as_bytes()),
            None,
            None,
            &Limits::default(),
            far(),
        );
        assert!(
            !f.no_newline_at_end,
            "the unterminated last line is not in a hunk"
        );

        let added = diff_blobs(
            None,
            Some(b"only"),
            None,
            Some("o"),
            &Limits::default(),
            far(),
        );
        assert!(added.no_newline_at_end);
        assert_eq!(hunks(&added)[0].header, "@@ -0,0 +1 @@");
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
    fn invalid_utf8_is_decoded_lossily_but_compared_exactly() {
        let f = diff_blobs(
            Some(b"x\xff\n"),
            Some(b"x\xfe\n"),
            None,
            None,
            &Limits::default(),
            far(),
        );
        let lines = &hunks(&f)[0].lines;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "x\u{fffd}");
        assert_eq!(lines[1].text, "x\u{fffd}");
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

    #[test]
    fn defaults_match_the_design() {
        let l = Limits::default();
        assert_eq!(l.max_bytes, 2 * 1024 * 1024);
        assert_eq!(l.max_lines, 20_000);
        assert_eq!(l.context, 3);
        assert_eq!(l.deadline, Duration::from_millis(500));
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
}
