//! Hunks as the units of a verdict: a turn's diff numbered hunk by hunk,
//! a choice of them resolved against that numbering, and a file rebuilt
//! with only the chosen hunks of its change. Pure, like the rest of the
//! model: the bytes come in, the bytes go out.
//!
//! Numbering follows the diff as it is drawn and printed: files in the
//! diff's order, then hunks in file order, from 1. A file whose change has
//! no hunks to split — binary, too large, not diffed in time, a pure
//! rename, mode or type change, an empty file added or deleted — is one
//! unit, taken or left whole; so is a type change (a symlink becoming a
//! file has no lines in common to split on).

use serde::Serialize;

use super::lines::split_lines;
use super::{Body, FileDiff, FileStatus, Hunk};

/// One numbered unit of a diff: a hunk, or a file changed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// Its number, from 1, stable for the same diff.
    pub n: usize,
    /// The file's path: its new path, else its old one.
    pub path: String,
    /// The old path of a renamed file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// How the file changed.
    pub status: FileStatus,
    /// `@@ -a,b +c,d @@` of the hunk; `None` for a whole-file unit.
    pub header: Option<String>,
    /// Git's function context after the header (empty when none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub function: String,
    /// Why the file can only be taken or left whole, when it is a
    /// whole-file unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whole: Option<&'static str>,
    /// Lines the unit adds.
    pub insertions: usize,
    /// Lines the unit removes.
    pub deletions: usize,
    /// Which file of the diff it belongs to (its index).
    #[serde(skip)]
    pub file: usize,
    /// Which hunk of its file it is; `None` for a whole-file unit.
    #[serde(skip)]
    pub hunk: Option<usize>,
}

impl Unit {
    /// `path @@ -a,b +c,d @@`, or the path and why it is whole.
    pub fn label(&self) -> String {
        let name = match &self.old_path {
            Some(o) => format!("{o} → {}", self.path),
            None => self.path.clone(),
        };
        match (&self.header, self.whole) {
            (Some(h), _) => format!("{name} {h}"),
            (None, Some(why)) => format!("{name} ({why})"),
            (None, None) => name,
        }
    }
}

/// Why a file cannot be split into hunks, if it cannot.
fn whole_because(f: &FileDiff) -> Option<&'static str> {
    match &f.body {
        Body::Binary { .. } => Some("binary: taken or left whole"),
        Body::TooLarge { .. } => Some("too large to split: taken or left whole"),
        Body::TimedOut => Some("not diffed: taken or left whole"),
        Body::Text(_) if f.status == FileStatus::TypeChanged => {
            Some("type change: taken or left whole")
        }
        Body::Text(h) if h.is_empty() => Some(match f.status {
            FileStatus::Renamed => "renamed without edits: taken or left whole",
            FileStatus::Added => "empty file added",
            FileStatus::Deleted => "empty file deleted",
            _ => "mode change: taken or left whole",
        }),
        Body::Text(_) => None,
    }
}

/// Whether a file's hunks are units of their own (else the file is one).
pub fn splittable(f: &FileDiff) -> bool {
    whole_because(f).is_none()
}

/// The units of a diff, numbered in file order then hunk order.
pub fn number(files: &[FileDiff]) -> Vec<Unit> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let old_path = (f.status == FileStatus::Renamed)
            .then(|| f.old_path.clone())
            .flatten();
        let unit = |n, header, function, whole, hunk, ins, del| Unit {
            n,
            path: f.path().to_string(),
            old_path: old_path.clone(),
            status: f.status,
            header,
            function,
            whole,
            insertions: ins,
            deletions: del,
            file: i,
            hunk,
        };
        match (whole_because(f), &f.body) {
            (None, Body::Text(hunks)) => {
                for (h, hunk) in hunks.iter().enumerate() {
                    let (ins, del) = counts(hunk);
                    out.push(unit(
                        out.len() + 1,
                        Some(hunk.header.clone()),
                        hunk.function.clone(),
                        None,
                        Some(h),
                        ins,
                        del,
                    ));
                }
            }
            (why, _) => out.push(unit(
                out.len() + 1,
                None,
                String::new(),
                why,
                None,
                f.insertions,
                f.deletions,
            )),
        }
    }
    out
}

fn counts(h: &Hunk) -> (usize, usize) {
    let n = |k| h.lines.iter().filter(|l| l.kind == k).count();
    (n(super::LineKind::Added), n(super::LineKind::Removed))
}

/// Which units a verdict takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// By number (`--hunks 1,3`).
    Numbers(Vec<usize>),
    /// Every unit of these files (`--files a.md,b.md`), by new or old path.
    Files(Vec<String>),
    /// By file and hunk header, as the console marked them on the diff it
    /// drew.
    Keys(Vec<Mark>),
}

/// A unit the console marked accepted: by file and `@@` header (`None`:
/// the whole file), and, when only a range of its lines was selected,
/// which lines (indices into the hunk's lines; only changed lines count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub path: String,
    pub header: Option<String>,
    pub lines: Option<Vec<usize>>,
}

/// How much of a unit a verdict takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take {
    No,
    All,
    /// Only these changed lines of a hunk (indices into its lines): a
    /// line-range selection splits the hunk.
    Lines(Vec<usize>),
}

impl Take {
    /// Takes anything.
    pub fn any(&self) -> bool {
        *self != Take::No
    }
}

/// The indices of a hunk's changed (added or removed) lines.
pub fn changed_lines(h: &Hunk) -> Vec<usize> {
    (0..h.lines.len())
        .filter(|&i| h.lines[i].kind != super::LineKind::Context)
        .collect()
}

/// Resolves a pick to what it takes of each unit; an unknown number, file
/// or hunk is refused, saying what there is.
pub fn resolve(files: &[FileDiff], units: &[Unit], pick: &Pick) -> Result<Vec<Take>, String> {
    let flags = resolve_whole(units, pick)?;
    let mut take: Vec<Take> = flags
        .iter()
        .map(|&t| if t { Take::All } else { Take::No })
        .collect();
    let Pick::Keys(marks) = pick else {
        return Ok(take);
    };
    for m in marks {
        let Some(lines) = &m.lines else {
            continue;
        };
        let Some(i) = units
            .iter()
            .position(|u| u.path == m.path && u.header == m.header && u.hunk.is_some())
        else {
            return Err(format!("{}: only a hunk can be taken in part", m.path));
        };
        let u = &units[i];
        let Body::Text(hunks) = &files[u.file].body else {
            return Err(format!("{}: only a hunk can be taken in part", m.path));
        };
        let changed = changed_lines(&hunks[u.hunk.expect("a hunk unit")]);
        let mut chosen: Vec<usize> = lines
            .iter()
            .copied()
            .filter(|l| changed.contains(l))
            .collect();
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.is_empty() {
            return Err(format!(
                "{}: the selection holds no changed line",
                u.label()
            ));
        }
        // A line selection of a hunk also marked whole takes it whole.
        let whole = marks.iter().any(|o| {
            o.lines.is_none() && o.path == m.path && (o.header == m.header || o.header.is_none())
        });
        take[i] = if whole || chosen.len() == changed.len() {
            Take::All
        } else {
            Take::Lines(chosen)
        };
    }
    Ok(take)
}

/// One flag per unit: taken (whole, or a line-range of it) or not.
fn resolve_whole(units: &[Unit], pick: &Pick) -> Result<Vec<bool>, String> {
    let mut take = vec![false; units.len()];
    let paths = || -> Vec<String> {
        let mut p: Vec<String> = units.iter().map(|u| u.path.clone()).collect();
        p.dedup();
        p
    };
    let of_file = |u: &Unit, f: &str| u.path == f || u.old_path.as_deref() == Some(f);
    match pick {
        Pick::Numbers(ns) => {
            for &n in ns {
                if n == 0 || n > units.len() {
                    return Err(match units.len() {
                        0 => format!("there is no hunk {n}: the diff is empty"),
                        1 => format!("there is no hunk {n}: the diff has one hunk, 1"),
                        len => format!("there is no hunk {n}: the diff has hunks 1 to {len}"),
                    });
                }
                take[n - 1] = true;
            }
        }
        Pick::Files(files) => {
            for f in files {
                let mut found = false;
                for (i, u) in units.iter().enumerate() {
                    if of_file(u, f) {
                        take[i] = true;
                        found = true;
                    }
                }
                if !found {
                    return Err(format!(
                        "the diff does not change {f}; it changes: {}",
                        paths().join(", ")
                    ));
                }
            }
        }
        Pick::Keys(keys) => {
            for Mark {
                path: f, header, ..
            } in keys
            {
                let mut found = false;
                for (i, u) in units.iter().enumerate() {
                    if of_file(u, f) && (header.is_none() || u.header == *header) {
                        take[i] = true;
                        found = true;
                    }
                }
                if !found {
                    return Err(format!(
                        "the diff has no hunk {} in {f}; it changed since it was shown",
                        header.as_deref().unwrap_or("")
                    ));
                }
            }
        }
    }
    Ok(take)
}

/// A file's content with only the taken hunks of its change applied to
/// the old side: each taken hunk's new lines, each other hunk's old lines,
/// and the unchanged lines between them, byte for byte; of a hunk taken in
/// part, its context, the removals taken and the additions taken (the
/// other removed lines stay). `take` has one entry per hunk. All hunks
/// taken gives `new`; none gives `old`.
pub fn splice(old: &[u8], new: &[u8], hunks: &[Hunk], take: &[Take]) -> Vec<u8> {
    let (old_l, new_l) = (split_lines(old), split_lines(new));
    // Git's header names an empty range by the line before it.
    let start = |s: u32, len: u32| if len == 0 { s as usize } else { s as usize - 1 };
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    let mut at = 0;
    for (h, taken) in hunks.iter().zip(take) {
        let o = start(h.old_start, h.old_len);
        let n = start(h.new_start, h.new_len);
        old_l[at..o].iter().for_each(|l| out.extend_from_slice(l));
        match taken {
            Take::All => new_l[n..n + h.new_len as usize]
                .iter()
                .for_each(|l| out.extend_from_slice(l)),
            Take::No => old_l[o..o + h.old_len as usize]
                .iter()
                .for_each(|l| out.extend_from_slice(l)),
            Take::Lines(chosen) => {
                let at = |no: Option<u32>| no.expect("numbered on its side") as usize - 1;
                for (i, l) in h.lines.iter().enumerate() {
                    let kept: &[u8] = match l.kind {
                        super::LineKind::Context => old_l[at(l.old_no)],
                        super::LineKind::Removed if !chosen.contains(&i) => old_l[at(l.old_no)],
                        super::LineKind::Added if chosen.contains(&i) => new_l[at(l.new_no)],
                        _ => b"",
                    };
                    out.extend_from_slice(kept);
                }
            }
        }
        at = o + h.old_len as usize;
    }
    old_l[at..].iter().for_each(|l| out.extend_from_slice(l));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::{far, hunks, numbered};
    use crate::diff::{Limits, diff_blobs};

    fn three_hunks() -> (String, String, FileDiff) {
        let old = numbered(40);
        let new = old
            .replace("line 2\n", "line two\n")
            .replace("line 20\n", "line twenty\nand more\n")
            .replace("line 39\n", "");
        let f = diff_blobs(
            Some(old.as_bytes()),
            Some(new.as_bytes()),
            Some("a.md"),
            Some("a.md"),
            &Limits::default(),
            far(),
        );
        (old, new, f)
    }

    #[test]
    fn splice_takes_exactly_the_chosen_hunks() {
        let (old, new, f) = three_hunks();
        let h = hunks(&f);
        assert_eq!(h.len(), 3);
        let got = |take: &[bool]| {
            String::from_utf8(splice(old.as_bytes(), new.as_bytes(), h, &takes(take))).unwrap()
        };
        assert_eq!(got(&[true, true, true]), new);
        assert_eq!(got(&[false, false, false]), old);
        let first_and_last = old
            .replace("line 2\n", "line two\n")
            .replace("line 39\n", "");
        assert_eq!(got(&[true, false, true]), first_and_last);
        let middle = old.replace("line 20\n", "line twenty\nand more\n");
        assert_eq!(got(&[false, true, false]), middle);
    }

    fn takes(flags: &[bool]) -> Vec<Take> {
        flags
            .iter()
            .map(|&t| if t { Take::All } else { Take::No })
            .collect()
    }

    fn mark(path: &str, header: Option<&str>, lines: Option<Vec<usize>>) -> Mark {
        Mark {
            path: path.into(),
            header: header.map(str::to_string),
            lines,
        }
    }

    #[test]
    fn splice_keeps_bytes_and_missing_newlines() {
        let old = b"a\r\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\xff\nm";
        let new = b"A\r\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\xff\nM\n";
        let f = diff_blobs(Some(old), Some(new), None, None, &Limits::default(), far());
        let h = hunks(&f);
        assert_eq!(h.len(), 2);
        assert_eq!(
            splice(old, new, h, &takes(&[false, true])),
            b"a\r\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\xff\nM\n"
        );
        assert_eq!(
            splice(old, new, h, &takes(&[true, false])),
            b"A\r\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\xff\nm"
        );
    }

    #[test]
    fn a_line_selection_takes_only_its_changed_lines() {
        // One hunk: line 5 becomes two lines, line 7 goes.
        let old = numbered(12);
        let new = old
            .replace("line 5\n", "five\nfive and a half\n")
            .replace("line 7\n", "");
        let f = diff_blobs(
            Some(old.as_bytes()),
            Some(new.as_bytes()),
            Some("n.md"),
            Some("n.md"),
            &Limits::default(),
            far(),
        );
        let h = hunks(&f);
        assert_eq!(h.len(), 1);
        let kinds: Vec<String> = h[0]
            .lines
            .iter()
            .map(|l| format!("{:?} {}", l.kind, l.text))
            .collect();
        assert_eq!(
            kinds[3..7],
            [
                "Removed line 5",
                "Added five",
                "Added five and a half",
                "Context line 6"
            ]
        );
        assert_eq!(changed_lines(&h[0]), [3, 4, 5, 7]);
        // Lines 3..=5: the first change alone.
        let got = splice(
            old.as_bytes(),
            new.as_bytes(),
            h,
            &[Take::Lines(vec![3, 4, 5])],
        );
        assert_eq!(
            String::from_utf8(got).unwrap(),
            old.replace("line 5\n", "five\nfive and a half\n")
        );
        // Only the removal of line 7.
        let got = splice(old.as_bytes(), new.as_bytes(), h, &[Take::Lines(vec![7])]);
        assert_eq!(String::from_utf8(got).unwrap(), old.replace("line 7\n", ""));
        // Resolved from the console's mark: context in the range does not
        // count, every changed line selected is the whole hunk.
        let units = number(std::slice::from_ref(&f));
        let files = [f.clone()];
        let pick =
            |lines: Vec<usize>| Pick::Keys(vec![mark("n.md", Some(&h[0].header), Some(lines))]);
        assert_eq!(
            resolve(&files, &units, &pick(vec![0, 1, 2, 3, 4])).unwrap(),
            [Take::Lines(vec![3, 4])]
        );
        assert_eq!(
            resolve(&files, &units, &pick(vec![3, 4, 5, 6, 7])).unwrap(),
            [Take::All]
        );
        assert!(
            resolve(&files, &units, &pick(vec![0, 1]))
                .unwrap_err()
                .contains("holds no changed line")
        );
    }

    #[test]
    fn units_are_numbered_in_file_then_hunk_order_and_picks_resolve() {
        let (_, _, a) = three_hunks();
        let bin = diff_blobs(
            Some(b"\0x"),
            Some(b"\0y"),
            Some("b.bin"),
            Some("b.bin"),
            &Limits::default(),
            far(),
        );
        let added = diff_blobs(
            None,
            Some(b"new\n"),
            None,
            Some("c.md"),
            &Limits::default(),
            far(),
        );
        let files = [a, bin, added];
        let units = number(&files);
        let labels: Vec<String> = units
            .iter()
            .map(|u| format!("{} {}", u.n, u.label()))
            .collect();
        assert_eq!(
            labels,
            [
                "1 a.md @@ -1,5 +1,5 @@",
                "2 a.md @@ -17,7 +17,8 @@",
                "3 a.md @@ -36,5 +37,4 @@",
                "4 b.bin (binary: taken or left whole)",
                "5 c.md @@ -0,0 +1 @@",
            ]
        );
        assert_eq!((units[1].insertions, units[1].deletions), (2, 1));
        assert_eq!(
            resolve(&files, &units, &Pick::Numbers(vec![1, 3])).unwrap(),
            takes(&[true, false, true, false, false])
        );
        assert_eq!(
            resolve(
                &files,
                &units,
                &Pick::Files(vec!["a.md".into(), "c.md".into()])
            )
            .unwrap(),
            takes(&[true, true, true, false, true])
        );
        let keys = Pick::Keys(vec![
            mark("a.md", Some("@@ -17,7 +17,8 @@"), None),
            mark("b.bin", None, None),
        ]);
        assert_eq!(
            resolve(&files, &units, &keys).unwrap(),
            takes(&[false, true, false, true, false])
        );
        assert_eq!(
            resolve(&files, &units, &Pick::Numbers(vec![6])).unwrap_err(),
            "there is no hunk 6: the diff has hunks 1 to 5"
        );
        assert_eq!(
            resolve(&files, &units, &Pick::Files(vec!["x.md".into()])).unwrap_err(),
            "the diff does not change x.md; it changes: a.md, b.bin, c.md"
        );
        let stale = Pick::Keys(vec![mark("a.md", Some("@@ -9 +9 @@"), None)]);
        assert!(
            resolve(&files, &units, &stale)
                .unwrap_err()
                .contains("changed since it was shown")
        );
    }
}
