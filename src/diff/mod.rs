//! The diff model: what changed between two sides of a file, as hunks of
//! numbered lines with word-level emphasis, and the files of a change as
//! the console draws them and `leash diff` prints them ([`patch`]). Pure:
//! the sides come in as bytes (loaded from git trees and working
//! directories by `checkpoint::sides`); nothing here reads a repository or
//! a file, and nothing knows about ratatui.
//!
//! Diffing runs on a worker thread, but a pathological turn (a huge or
//! binary file, thousands of files) must still come back quickly: the
//! loader size-checks every side before it reads it, and one deadline
//! covers the whole diff, after which the remaining files carry stats only.

mod lines;
pub mod patch;
pub mod select;

use std::ops::Range;
use std::time::{Duration, Instant};

use serde::Serialize;
use similar::{Algorithm, DiffOp, DiffTag};

/// Git looks for a NUL byte this far into a file to call it binary.
pub(crate) const BINARY_SNIFF_BYTES: usize = 8000;

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
    /// The line is its side's last and has no `\n`: git prints
    /// `\ No newline at end of file` after it.
    pub unterminated: bool,
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
    /// Git's function context for the hunk, which it prints after the
    /// header: the nearest line above the hunk (in the old side) that
    /// starts with a letter, `_` or `$`, cut at 80 bytes, trailing blanks
    /// dropped; empty when there is none.
    pub function: String,
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
    /// What git records besides the content (modes, blob ids, similarity),
    /// as the loader found it; what a git patch's header lines are made of.
    pub meta: FileMeta,
}

/// A file's git metadata on both sides, for a patch's header lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileMeta {
    /// Git's file mode on the old side (`0o100644`, `0o100755`, `0o120000`
    /// for a symlink, `0o160000` for a submodule); 0 when absent or unknown.
    pub old_mode: u32,
    /// See `old_mode`.
    pub new_mode: u32,
    /// The old side's blob id in hex, when known.
    pub old_id: Option<String>,
    /// The new side's blob id in hex, when known.
    pub new_id: Option<String>,
    /// For a rename: how similar the two sides are, in percent.
    pub similarity: Option<u16>,
}

/// One side of a changed file as its loader found it.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    /// The file does not exist on this side (or could not be read).
    Absent,
    /// Its content.
    Bytes(&'a [u8]),
    /// Bigger than `max_bytes`, so never read; its size in bytes.
    Oversized(u64),
}

impl Side<'_> {
    /// The content, when it was read.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
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

impl FileDiff {
    /// The path to show: the new path, else the old one.
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("")
    }

    /// The name to show: `old → new` for a rename, else the one path.
    pub fn name(&self) -> String {
        match (&self.old_path, &self.new_path) {
            (Some(o), Some(n)) if o != n => format!("{o} → {n}"),
            _ => self.path().to_string(),
        }
    }

    /// A changed file whose content has not been diffed: stats only
    /// ([`Body::TimedOut`]) until [`FileDiff::read`] fills it in.
    pub fn unread(
        status: FileStatus,
        old_path: Option<String>,
        new_path: Option<String>,
        meta: FileMeta,
    ) -> FileDiff {
        FileDiff {
            old_path,
            new_path,
            status,
            insertions: 0,
            deletions: 0,
            body: Body::TimedOut,
            no_newline_at_end: false,
            meta,
        }
    }

    /// Diffs the two sides the loader found into this file's body and
    /// counts: too large when a side was too big to read, else as
    /// [`diff_blobs`] does.
    pub fn read(&mut self, old: Side<'_>, new: Side<'_>, limits: &Limits, deadline: Instant) {
        if matches!(old, Side::Oversized(_)) || matches!(new, Side::Oversized(_)) {
            self.body = Body::TooLarge {
                old_size: old.size(),
                new_size: new.size(),
            };
            return;
        }
        let content = diff_content(old.bytes(), new.bytes(), limits, deadline);
        self.insertions = content.insertions;
        self.deletions = content.deletions;
        self.body = content.body;
        self.no_newline_at_end = content.no_newline_at_end;
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
    /// Whether to mark the changed words of paired lines (the console
    /// does; a patch printed as text has no use for it).
    pub emphasis: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 2 * 1024 * 1024,
            max_lines: 20_000,
            context: 3,
            deadline: Duration::from_millis(500),
            emphasis: true,
        }
    }
}

impl Limits {
    /// No limits but git's own: every file read and diffed whole, however
    /// long it takes (`leash diff`, which must print the whole change, and
    /// the journal's counts), except a side over git's big-file threshold
    /// (`core.bigFileThreshold`, 512 MiB), which git too shows as binary.
    pub fn unlimited() -> Limits {
        Limits {
            max_bytes: 512 * 1024 * 1024,
            max_lines: usize::MAX,
            context: 3,
            deadline: Duration::MAX,
            emphasis: false,
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
        meta: FileMeta::default(),
    }
}
/// Sums files, insertions and deletions.
pub fn stats(files: &[FileDiff]) -> DiffStats {
    DiffStats {
        files: files.len(),
        insertions: files.iter().map(|f| f.insertions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
    }
}

/// The deadline of a diff started now with `budget` to spend.
pub fn deadline_after(budget: Duration) -> Instant {
    let now = Instant::now();
    // An absurd budget means "no deadline", not a panic on overflow.
    now.checked_add(budget)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
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
    let old_lines = lines::split_lines(old_bytes);
    let new_lines = lines::split_lines(new_bytes);
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
    // Lines are compared as numbers, one per distinct line: Myers follows
    // long runs of equal lines again and again, and comparing their bytes
    // each time costs more than the rest of the diff.
    let (old_ids, new_ids) = lines::line_ids(&old_lines, &new_lines);
    let ops = lines::line_diff(&old_ids, &new_ids, deadline);
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
        emphasis_expired: !limits.emphasis,
        no_newline_at_end: false,
        function: String::new(),
        function_searched_to: None,
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
    /// The function context found so far, and the old line the search for
    /// the next hunk's stops at (git's `funclineprev`), so that a hunk
    /// with no function line of its own above it keeps the one before.
    function: String,
    function_searched_to: Option<usize>,
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
        self.find_function(old_range.start);
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
            function: self.function.clone(),
            lines,
        }
    }

    /// Looks above old line `start` (0-based) for git's function context,
    /// back to where the previous hunk's search began (xdiff's `def_ff`).
    fn find_function(&mut self, start: usize) {
        let limit = self.function_searched_to.map_or(0, |l| l + 1);
        self.function_searched_to = start.checked_sub(1);
        for l in (limit..start).rev() {
            let line = self.old[l];
            if line
                .first()
                .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b'$')
            {
                let cut = &line[..line.len().min(80)];
                let end = cut
                    .iter()
                    .rposition(|c| !c.is_ascii_whitespace())
                    .map_or(0, |i| i + 1);
                self.function = String::from_utf8_lossy(&cut[..end]).into_owned();
                return;
            }
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
        let unterminated = unterminated(self.old, old) || unterminated(self.new, new);
        if unterminated {
            self.no_newline_at_end = true;
        }
        let text = raw.strip_suffix(b"\n").unwrap_or(raw);
        DiffLine {
            kind,
            old_no: old.map(|i| line_number(i + 1)),
            new_no: new.map(|i| line_number(i + 1)),
            text: String::from_utf8_lossy(text).into_owned(),
            emphasis: Vec::new(),
            unterminated,
        }
    }
}

pub(crate) fn line_number(n: usize) -> u32 {
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
pub(crate) fn header_part(start: u32, len: u32) -> String {
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
pub(crate) mod tests {
    use super::*;

    pub(crate) fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    pub(crate) fn hunks(f: &FileDiff) -> &[Hunk] {
        match &f.body {
            Body::Text(h) => h,
            other => panic!("{}: expected text, got {other:?}", f.path()),
        }
    }

    pub(crate) fn by_path<'a>(files: &'a [FileDiff], path: &str) -> &'a FileDiff {
        files
            .iter()
            .find(|f| f.path() == path)
            .unwrap_or_else(|| panic!("{path} not in {files:#?}"))
    }

    pub(crate) fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
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
    fn defaults_match_the_design() {
        let l = Limits::default();
        assert_eq!(l.max_bytes, 2 * 1024 * 1024);
        assert_eq!(l.max_lines, 20_000);
        assert_eq!(l.context, 3);
        assert_eq!(l.deadline, Duration::from_millis(500));
    }
}
