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
    pub scroll: usize,
    pub highlights: HashMap<(usize, usize), Arc<Highlighted>>,
    requested: HashSet<(usize, usize)>,
    /// Files whose name or text hides characters (escapes, bidi controls,
    /// zero-width): their header carries a warning.
    pub suspicious: HashSet<usize>,
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
        self.highlights.clear();
        self.requested.clear();
        self.files = Some(files);
    }

    pub(super) fn jump(&mut self, forward: bool, is_target: impl Fn(&Row) -> bool) {
        let found = if forward {
            (self.scroll + 1..self.rows.len()).find(|&i| is_target(&self.rows[i]))
        } else {
            (0..self.scroll).rev().find(|&i| is_target(&self.rows[i]))
        };
        if let Some(i) = found {
            self.scroll = i;
        }
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
