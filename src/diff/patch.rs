//! The diff model as git's unified patch text: what `leash diff` prints,
//! made from the same [`FileDiff`]s the console draws, so the two agree on
//! renames and counts. The header lines are git's (`diff --git`, modes,
//! `similarity index`, `rename from/to`, `index`), paths quoted as git
//! quotes them, so the text can be read by `git apply`; hunk headers carry
//! git's function context.

use super::{Body, DiffLine, FileDiff, FileMeta, FileStatus, Hunk, LineKind, header_part};

/// What a line of a patch is, for colouring it as git does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchLine {
    /// `diff --git …`: where a file starts.
    FileHeader,
    /// The other header lines: modes, rename, `index`, `---`, `+++`,
    /// `Binary files … differ`.
    Meta,
    /// `@@ -a,b +c,d @@`.
    HunkHeader,
    Context,
    Added,
    Removed,
    /// `\ No newline at end of file`.
    NoNewline,
}

/// Git abbreviates blob ids on `index` lines to this many hex digits.
const ABBREV: usize = 7;

/// Calls `line` with each line of `files` as a patch (without its `\n`),
/// and what it is; stops early when `line` returns false (a reader went
/// away).
pub fn write(files: &[FileDiff], mut line: impl FnMut(PatchLine, &str) -> bool) {
    let mut buf = String::new();
    for f in files {
        let done = if f.status == FileStatus::TypeChanged {
            // Git cannot apply a mode line that changes a file's type: it
            // writes the old one deleted and the new one added.
            let (gone, added) = split_type_change(f);
            write_file(&gone, &mut buf, &mut line) && write_file(&added, &mut buf, &mut line)
        } else {
            write_file(f, &mut buf, &mut line)
        };
        if !done {
            return;
        }
    }
}

/// A type change (a symlink that became a file, say) as git prints it: the
/// old side deleted, the new side added. A symlink's or a submodule's side
/// is one line, so the hunks of a type change hold every line of both
/// sides.
fn split_type_change(f: &FileDiff) -> (FileDiff, FileDiff) {
    let side = |kind: LineKind| {
        let lines: Vec<DiffLine> = match &f.body {
            Body::Text(hunks) => hunks
                .iter()
                .flat_map(|h| &h.lines)
                .filter(|l| match kind {
                    LineKind::Removed => l.old_no.is_some(),
                    _ => l.new_no.is_some(),
                })
                .map(|l| DiffLine {
                    kind,
                    old_no: l.old_no.filter(|_| kind == LineKind::Removed),
                    new_no: l.new_no.filter(|_| kind == LineKind::Added),
                    emphasis: Vec::new(),
                    ..l.clone()
                })
                .collect(),
            _ => Vec::new(),
        };
        let n = super::line_number(lines.len());
        let (old_len, new_len) = match kind {
            LineKind::Removed => (n, 0),
            _ => (0, n),
        };
        let start = |len: u32| u32::from(len > 0);
        let hunks = (n > 0)
            .then(|| Hunk {
                old_start: start(old_len),
                old_len,
                new_start: start(new_len),
                new_len,
                header: format!(
                    "@@ -{} +{} @@",
                    header_part(start(old_len), old_len),
                    header_part(start(new_len), new_len)
                ),
                function: String::new(),
                lines,
            })
            .into_iter()
            .collect();
        let (insertions, deletions) = match kind {
            LineKind::Removed => (0, n as usize),
            _ => (n as usize, 0),
        };
        FileDiff {
            insertions,
            deletions,
            body: match &f.body {
                Body::Text(_) => Body::Text(hunks),
                other => other.clone(),
            },
            ..f.clone()
        }
    };
    let m = &f.meta;
    let gone = FileDiff {
        new_path: None,
        status: FileStatus::Deleted,
        meta: FileMeta {
            old_mode: m.old_mode,
            old_id: m.old_id.clone(),
            ..FileMeta::default()
        },
        ..side(LineKind::Removed)
    };
    let added = FileDiff {
        old_path: None,
        status: FileStatus::Added,
        meta: FileMeta {
            new_mode: m.new_mode,
            new_id: m.new_id.clone(),
            ..FileMeta::default()
        },
        ..side(LineKind::Added)
    };
    (gone, added)
}

/// `files` as one unified patch text.
pub fn unified(files: &[FileDiff]) -> String {
    let mut out = String::new();
    write(files, |_, l| {
        out.push_str(l);
        out.push('\n');
        true
    });
    out
}

fn write_file(
    f: &FileDiff,
    buf: &mut String,
    line: &mut impl FnMut(PatchLine, &str) -> bool,
) -> bool {
    let old = f.old_path.as_deref().unwrap_or(f.path());
    let new = f.new_path.as_deref().unwrap_or(f.path());
    let m = &f.meta;
    let mut header = vec![(
        PatchLine::FileHeader,
        format!("diff --git {} {}", quoted("a/", old), quoted("b/", new)),
    )];
    let meta = |text: String| (PatchLine::Meta, text);
    match f.status {
        FileStatus::Added => header.push(meta(format!("new file mode {:o}", m.new_mode))),
        FileStatus::Deleted => header.push(meta(format!("deleted file mode {:o}", m.old_mode))),
        _ if m.old_mode != m.new_mode => {
            header.push(meta(format!("old mode {:o}", m.old_mode)));
            header.push(meta(format!("new mode {:o}", m.new_mode)));
        }
        _ => {}
    }
    if f.status == FileStatus::Renamed {
        header.push(meta(format!(
            "similarity index {}%",
            m.similarity.unwrap_or(100)
        )));
        header.push(meta(format!("rename from {}", quoted("", old))));
        header.push(meta(format!("rename to {}", quoted("", new))));
    }
    let zeros = "0".repeat(ABBREV);
    let abbrev = |id: &Option<String>| {
        id.as_deref()
            .map_or(zeros.clone(), |id| id[..id.len().min(ABBREV)].to_string())
    };
    if m.old_id != m.new_id {
        let mut index = format!("index {}..{}", abbrev(&m.old_id), abbrev(&m.new_id));
        if f.status != FileStatus::Added
            && f.status != FileStatus::Deleted
            && m.old_mode == m.new_mode
        {
            index.push_str(&format!(" {:o}", m.new_mode));
        }
        header.push(meta(index));
    }
    let side = |prefix: &str, path: Option<&str>| match path {
        Some(p) => quoted(prefix, p),
        None => "/dev/null".to_string(),
    };
    let (a, b) = (
        side("a/", f.old_path.as_deref()),
        side("b/", f.new_path.as_deref()),
    );
    let hunks = match &f.body {
        Body::Text(hunks) if !hunks.is_empty() => {
            header.push(meta(format!("--- {a}")));
            header.push(meta(format!("+++ {b}")));
            hunks.as_slice()
        }
        // Git shows a file over its big-file threshold as binary too.
        Body::Binary { .. } | Body::TooLarge { .. } => {
            header.push(meta(format!("Binary files {a} and {b} differ")));
            &[]
        }
        // No lines to show: an unchanged content (a pure rename or mode
        // change), or a body a limited diff left out.
        _ => &[],
    };
    for (kind, text) in &header {
        if !line(*kind, text) {
            return false;
        }
    }
    for h in hunks {
        let header = if h.function.is_empty() {
            std::borrow::Cow::Borrowed(h.header.as_str())
        } else {
            std::borrow::Cow::Owned(format!("{} {}", h.header, h.function))
        };
        if !line(PatchLine::HunkHeader, &header) {
            return false;
        }
        for l in &h.lines {
            let (kind, sign) = match l.kind {
                LineKind::Context => (PatchLine::Context, ' '),
                LineKind::Added => (PatchLine::Added, '+'),
                LineKind::Removed => (PatchLine::Removed, '-'),
            };
            buf.clear();
            buf.push(sign);
            buf.push_str(&l.text);
            if !line(kind, buf) {
                return false;
            }
            if l.unterminated && !line(PatchLine::NoNewline, "\\ No newline at end of file") {
                return false;
            }
        }
    }
    true
}

/// `prefix` + `path` as git writes a path in a patch: in double quotes with
/// C escapes when it holds a control character, a quote, a backslash or
/// a byte outside ASCII (git's `core.quotePath`), else as it is.
fn quoted(prefix: &str, path: &str) -> String {
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
    if path.bytes().all(plain) {
        return format!("{prefix}{path}");
    }
    let mut out = String::with_capacity(path.len() + prefix.len() + 8);
    out.push('"');
    out.push_str(prefix);
    for b in path.bytes() {
        match b {
            b'\x07' => out.push_str("\\a"),
            b'\x08' => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\x0b' => out.push_str("\\v"),
            b'\x0c' => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b if plain(b) => out.push(b as char),
            b => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::far;
    use crate::diff::{FileMeta, Limits, diff_blobs};

    #[test]
    fn paths_are_quoted_as_git_quotes_them() {
        assert_eq!(quoted("a/", "src/main.rs"), "a/src/main.rs");
        assert_eq!(quoted("a/", "a b.txt"), "a/a b.txt");
        assert_eq!(quoted("b/", "tab\there"), "\"b/tab\\there\"");
        assert_eq!(quoted("", "say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(quoted("a/", "é"), "\"a/\\303\\251\"");
    }

    #[test]
    fn lines_starting_with_dashes_and_pluses_are_lines_not_headers() {
        let mut f = diff_blobs(
            Some(b"keep\n-- a removed comment\n"),
            Some(b"keep\n++ an added counter\n"),
            Some("x.sql"),
            Some("x.sql"),
            &Limits::default(),
            far(),
        );
        f.meta = FileMeta {
            old_mode: 0o100644,
            new_mode: 0o100644,
            old_id: Some("1111111111".into()),
            new_id: Some("2222222222".into()),
            similarity: None,
        };
        let mut kinds = Vec::new();
        write(std::slice::from_ref(&f), |k, l| {
            kinds.push((k, l.to_string()));
            true
        });
        use PatchLine::*;
        assert_eq!(
            kinds,
            vec![
                (FileHeader, "diff --git a/x.sql b/x.sql".to_string()),
                (Meta, "index 1111111..2222222 100644".to_string()),
                (Meta, "--- a/x.sql".to_string()),
                (Meta, "+++ b/x.sql".to_string()),
                (HunkHeader, "@@ -1,2 +1,2 @@".to_string()),
                (Context, " keep".to_string()),
                (Removed, "--- a removed comment".to_string()),
                (Added, "+++ an added counter".to_string()),
            ]
        );
    }
}
