//! The Diff tab's state: the selected turn's diff flattened into rows, its
//! scroll, the syntax colours that have arrived, and which files hide
//! characters.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::Status;
use crate::diff::{Body, FileDiff};
use crate::ui::worker::{Highlighted, Job};

/// One display row of the diff view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    File(usize),
    Hunk(usize, usize),
    Line(usize, usize, usize),
    /// A file without text hunks (binary, too large, timed out).
    Note(usize),
}

/// The diff of the selected turn, flattened into rows.
#[derive(Debug, Default)]
pub struct DiffView {
    pub files: Option<Result<Arc<Vec<FileDiff>>, String>>,
    pub rows: Vec<Row>,
    /// The first row shown.
    pub scroll: usize,
    /// The row under the cursor (what `b` blames), always on screen.
    pub cursor: usize,
    pub highlights: HashMap<(usize, usize), Arc<Highlighted>>,
    requested: HashSet<(usize, usize)>,
    /// Files whose name or text hides characters (escapes, bidi controls,
    /// zero-width): their header carries a warning.
    pub suspicious: HashSet<usize>,
    /// The operator's verdicts on hunks (`space`): accepted or kept aside,
    /// by file and `@@` header (see `verdicts`); kept while the same turn's
    /// diff is read again.
    pub marks: HashMap<super::verdicts::HunkKey, bool>,
    /// Hunks accepted in part (a line selection): the indices of the
    /// changed lines accepted; the rest of the hunk is kept aside.
    pub part: HashMap<super::verdicts::HunkKey, std::collections::BTreeSet<usize>>,
    /// Where a line selection (`v`) began, a row.
    pub anchor: Option<usize>,
}

/// Whether text holds characters a reader would not see as they are (the
/// table of `sanitize`); tabs and a CRLF line's carriage return are shown
/// plainly and do not count.
fn hides_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c != '\t' && c != '\r' && crate::sanitize::is_hidden_char(c))
}

impl DiffView {
    pub(super) fn set(&mut self, files: Result<Arc<Vec<FileDiff>>, String>) {
        self.rows.clear();
        self.suspicious.clear();
        if let Ok(files) = &files {
            for (fi, f) in files.iter().enumerate() {
                self.rows.push(Row::File(fi));
                if hides_characters(f.path()) || f.old_path.as_deref().is_some_and(hides_characters)
                {
                    self.suspicious.insert(fi);
                }
                match &f.body {
                    Body::Text(hunks) => {
                        if hunks
                            .iter()
                            .any(|h| h.lines.iter().any(|l| hides_characters(&l.text)))
                        {
                            self.suspicious.insert(fi);
                        }
                        for (hi, h) in hunks.iter().enumerate() {
                            self.rows.push(Row::Hunk(fi, hi));
                            self.rows
                                .extend((0..h.lines.len()).map(|li| Row::Line(fi, hi, li)));
                        }
                    }
                    _ => self.rows.push(Row::Note(fi)),
                }
            }
        }
        self.scroll = self.scroll.min(self.rows.len().saturating_sub(1));
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
        self.highlights.clear();
        self.requested.clear();
        self.files = Some(files);
    }

    /// The cursor on the first hunk (or the first file shown without
    /// hunks), the view from the top: its file's header stays above it.
    pub(super) fn cursor_to_first_hunk(&mut self) {
        let first = self
            .rows
            .iter()
            .position(|r| matches!(r, Row::Hunk(..) | Row::Note(_)));
        self.cursor = first.unwrap_or(0);
        self.scroll = self.cursor.saturating_sub(1);
    }

    pub(super) fn jump(&mut self, forward: bool, is_target: impl Fn(&Row) -> bool) {
        let found = if forward {
            (self.scroll + 1..self.rows.len()).find(|&i| is_target(&self.rows[i]))
        } else {
            (0..self.scroll).rev().find(|&i| is_target(&self.rows[i]))
        };
        if let Some(i) = found {
            self.scroll = i;
            self.cursor = i;
        }
    }

    /// Moves the cursor a row, a page, to the top or the bottom; the view
    /// scrolls to keep it on screen, no further than the last page.
    pub(super) fn move_cursor(&mut self, action: crate::ui::action::Action, page: usize) {
        let page = page.max(1);
        let len = self.rows.len();
        self.cursor = super::component::step(action, self.cursor, len, page, false);
        if self.cursor < self.scroll {
            self.scroll = self.cursor;
        } else if self.cursor >= self.scroll + page {
            self.scroll = self.cursor + 1 - page;
        }
        // A jump may have left the view past the last page; moving brings
        // it back (the cursor stays on screen: it is below `len`).
        self.scroll = self.scroll.min(len.saturating_sub(page));
    }

    /// Scrolls the diff to a file (and line, when the diff shows it); says
    /// so when the file is not part of the turn's changes.
    pub(super) fn jump_to(&mut self, path: &str, line: Option<u32>) -> Option<Status> {
        let Some(Ok(files)) = &self.files else {
            return None;
        };
        let Some(fi) = files.iter().position(|f| f.path() == path) else {
            return Some(Status {
                text: format!(
                    "{path}{} is not changed by this turn: the finding is in what it inherited",
                    line.map(|l| format!(":{l}")).unwrap_or_default()
                ),
                error: false,
            });
        };
        let at_line = |r: &Row| match (*r, &files[fi].body, line) {
            (Row::Line(f, h, l), Body::Text(hunks), Some(want)) if f == fi => {
                hunks[h].lines[l].new_no == Some(want)
            }
            _ => false,
        };
        let row = self
            .rows
            .iter()
            .position(at_line)
            .or_else(|| self.rows.iter().position(|r| *r == Row::File(fi)));
        if let Some(r) = row {
            self.scroll = r.saturating_sub(2);
            self.cursor = r;
        }
        None
    }

    /// Asks for syntax colours of the hunks in rows `from..to` (the
    /// visible ones) that are not coloured or asked for yet.
    pub(super) fn want_highlights(
        &mut self,
        from: usize,
        to: usize,
        turn: String,
        theme: &str,
    ) -> Option<Job> {
        let Some(Ok(files)) = &self.files else {
            return None;
        };
        let mut wanted = Vec::new();
        for row in self.rows[from.min(self.rows.len())..to.min(self.rows.len())].iter() {
            let (Row::Hunk(f, h) | Row::Line(f, h, _)) = *row else {
                continue;
            };
            if !self.requested.contains(&(f, h)) {
                wanted.push((f, h));
            }
        }
        wanted.dedup();
        // One at a time: the newest request replaces older ones, so ask for
        // the first missing hunk; the next frame asks for the next.
        let &(f, h) = wanted.first()?;
        let file = &files[f];
        let Body::Text(hunks) = &file.body else {
            return None;
        };
        let lines = hunks[h].lines.iter().map(|l| l.text.clone()).collect();
        self.requested.insert((f, h));
        Some(Job::Highlight {
            key: (turn, f, h),
            path: file.path().to_string(),
            lines,
            theme: theme.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Row;
    use crate::diff::{Body, DiffLine, FileDiff, FileStatus, Hunk, LineKind};
    use crate::ui::action::Action;
    use crate::ui::app::testing::{app, created, draw, finished};
    use crate::ui::app::{Pane, Tab};
    use crate::ui::worker::{Done, Job};

    fn file(path: &str, lines: &[&str]) -> FileDiff {
        let hunk = |start: u32| Hunk {
            old_start: start,
            old_len: 0,
            new_start: start,
            new_len: lines.len() as u32,
            header: format!("@@ -{start},0 +{start},{} @@", lines.len()),
            function: String::new(),
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, t)| DiffLine {
                    kind: LineKind::Added,
                    old_no: None,
                    new_no: Some(start + i as u32),
                    text: t.to_string(),
                    emphasis: Vec::new(),
                    unterminated: false,
                })
                .collect(),
        };
        FileDiff {
            old_path: None,
            new_path: Some(path.into()),
            status: FileStatus::Added,
            insertions: 2 * lines.len(),
            deletions: 0,
            body: Body::Text(vec![hunk(1), hunk(40)]),
            no_newline_at_end: false,
            meta: Default::default(),
        }
    }

    #[test]
    fn hidden_characters_are_those_sanitize_knows_tags_included() {
        // Tag characters ("ASCII smuggling") were missed by the console's
        // own table; a CRLF line end and tabs are not hidden.
        assert!(super::hides_characters("ok\u{e0068}\u{e0069}"));
        assert!(super::hides_characters("a\u{202e}b"));
        assert!(super::hides_characters("a\x1b[31mb"));
        assert!(!super::hides_characters("plain\tline\r"));
    }

    #[test]
    fn the_diff_flags_hidden_characters_and_jumps_by_hunk_and_file() {
        let mut f = app(&[created("t1", "task", "low"), finished("t1", 2)]);
        let app = &mut f.app;
        let files = vec![
            file("clean.rs", &["fn a() {}", "fn b() {}"]),
            file("smuggled.md", &["hello\u{e0068}\u{e0069}", "bye"]),
        ];
        app.on_done(Done::Diff {
            turn: "t1".into(),
            result: Ok(Arc::new(files)),
        });
        assert_eq!(app.detail.diff.suspicious.iter().collect::<Vec<_>>(), [&1]);
        app.update(Action::TabDiff);
        app.outbox.jobs.clear();
        let screen = draw(app, 120, 30);
        assert!(screen.contains("smuggled.md"), "{screen}");
        assert!(screen.contains("⚠ hidden characters"), "{screen}");
        // The frame reported what it showed: its hunks' colours are asked.
        assert!(
            matches!(&app.outbox.jobs[..], [Job::Highlight { key, .. }] if key.1 == 0),
            "{:?}",
            app.outbox.jobs
        );
        app.update(Action::NextHunk);
        assert_eq!(
            app.detail.diff.rows[app.detail.diff.scroll],
            Row::Hunk(0, 0)
        );
        app.update(Action::NextFile);
        assert_eq!(app.detail.diff.rows[app.detail.diff.scroll], Row::File(1));
        app.update(Action::PrevHunk);
        assert_eq!(
            app.detail.diff.rows[app.detail.diff.scroll],
            Row::Hunk(0, 1)
        );
        // Focused, the arrows move its cursor and the view follows, no
        // further than its last page.
        app.focus = Pane::Detail;
        app.update(Action::Bottom);
        let rows = app.detail.diff.rows.len();
        assert_eq!(app.detail.diff.scroll, rows.saturating_sub(app.page));
        assert_eq!(app.detail.diff.cursor, rows - 1);
        app.page = 3;
        app.update(Action::Top);
        assert_eq!((app.detail.diff.cursor, app.detail.diff.scroll), (0, 0));
        for _ in 0..4 {
            app.update(Action::Down);
        }
        assert_eq!((app.detail.diff.cursor, app.detail.diff.scroll), (4, 2));
        app.update(Action::Up);
        assert_eq!((app.detail.diff.cursor, app.detail.diff.scroll), (3, 2));
        // The cursor's line is marked when the pane has focus.
        let screen = draw(app, 120, 30);
        assert!(screen.contains("▸"), "{screen}");
        assert_eq!(app.tab(), Tab::Diff);
    }
}
