//! Blame in the console: `b` on the Diff tab asks who wrote the line under
//! its cursor (the worker blames it as the turn's commit holds it, or its
//! base for a removed line); the answer opens over the panes with the
//! turn, the action, its prompt and the sources read before it. `enter`
//! on a source opens the file as the agent read it (its blob), at the line
//! the blamed line cites, marked when the branch's file changed since.

use super::component::{Ctx, Effect, Outcome};
use super::{App, Detail, Dialog, Row, Status, Tab};
use crate::diff::{Body, LineKind};
use crate::ui::action::Action;
use crate::ui::worker::Job;
use crate::workspace::blame::{LineBlame, SourceText, cited_line};

/// The blame of one line, over the panes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlameView {
    pub blame: LineBlame,
    /// The diff line's sign: `+`, `-` or ` `.
    pub sign: char,
    /// The selected source.
    pub cursor: usize,
}

/// A source as the agent read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceView {
    pub text: SourceText,
    /// The line the blamed line cites (1-based), shown marked.
    pub line: usize,
    /// The first line shown (0-based).
    pub scroll: usize,
}

impl Detail {
    /// `b`: asks the worker to blame the line under the Diff tab's cursor
    /// (on a file or hunk header, the first line below it).
    pub(super) fn blame(&mut self, app: &Ctx) -> Outcome {
        let refuse = |why: String| Outcome::with(vec![Effect::Refuse(why)]);
        let Some(turn) = app.current() else {
            return refuse("no turn is selected: select one, then b on a line of its diff".into());
        };
        if self.tab != Tab::Diff {
            self.tab = Tab::Diff;
            return Outcome::with(vec![Effect::Status(Status {
                text:
                    "the Diff tab: move to a line (focus the pane, ↑↓), then b tells who wrote it"
                        .into(),
                error: false,
            })]);
        }
        let Some(Ok(files)) = &self.diff.files else {
            return refuse("the diff is not read yet".into());
        };
        let found = self.diff.rows[self.diff.cursor.min(self.diff.rows.len())..]
            .iter()
            .find_map(|r| match *r {
                Row::Line(f, h, l) => Some((f, h, l)),
                _ => None,
            });
        let Some((fi, hi, li)) = found else {
            return refuse("no line of text at or below the cursor".into());
        };
        let file = &files[fi];
        let Body::Text(hunks) = &file.body else {
            return refuse("no line of text here".into());
        };
        let dl = &hunks[hi].lines[li];
        let (commit, path, line, sign) = match dl.kind {
            LineKind::Removed => (
                turn.base.clone(),
                file.old_path
                    .clone()
                    .unwrap_or_else(|| file.path().to_string()),
                dl.old_no,
                '-',
            ),
            kind => (
                turn.commit.clone(),
                file.path().to_string(),
                dl.new_no,
                if kind == LineKind::Added { '+' } else { ' ' },
            ),
        };
        let (Some(commit), Some(line)) = (commit, line) else {
            return refuse(format!(
                "{} has no commit yet: its lines can be blamed once it ends",
                turn.id
            ));
        };
        Outcome::with(vec![
            Effect::Job(Job::Blame {
                turn: turn.id.clone(),
                commit,
                path: path.clone(),
                line: line as usize,
                sign,
            }),
            Effect::Status(Status {
                text: format!("blaming {path}:{line}…"),
                error: false,
            }),
        ])
    }
}

impl App {
    /// The worker's blame arrived: it opens over the panes.
    pub(super) fn blame_done(
        &mut self,
        turn: String,
        sign: char,
        result: Result<Box<LineBlame>, String>,
    ) {
        match result {
            Ok(blame) => {
                self.status = None;
                self.layers.open(Dialog::Blame(Box::new(BlameView {
                    blame: *blame,
                    sign,
                    cursor: 0,
                })));
            }
            Err(e) => self.refuse(format!("blame in {turn}: {e}")),
        }
    }

    /// A source's text arrived: it opens over the blame.
    pub(super) fn source_done(&mut self, line: usize, result: Result<SourceText, String>) {
        match result {
            Ok(text) => {
                let scroll = line.saturating_sub(3);
                self.layers
                    .open(Dialog::Source(Box::new(SourceView { text, line, scroll })));
            }
            Err(e) => self.refuse(e),
        }
    }

    /// A key on the blame: move among the sources, open one, close.
    pub(super) fn blame_key(&mut self, mut v: Box<BlameView>, action: Action) {
        let n = v.blame.sources.len();
        match action {
            Action::Cancel | Action::Back => return,
            Action::Down | Action::Right => v.cursor = (v.cursor + 1).min(n.saturating_sub(1)),
            Action::Up | Action::Left => v.cursor = v.cursor.saturating_sub(1),
            Action::Confirm | Action::Open => {
                let source = v.blame.sources.get(v.cursor).cloned();
                let line = &v.blame.text;
                match source {
                    None => self.refuse("no source was read before this line was written".into()),
                    Some(s) => match (&s.path, &s.blob) {
                        (Some(path), Some(blob)) => {
                            let at = cited_line(line, path).unwrap_or(1);
                            self.outbox.jobs.push(Job::Source {
                                path: path.clone(),
                                blob: blob.clone(),
                                line: at,
                            });
                        }
                        (Some(path), None) => self.refuse(format!(
                            "{path}: what the agent read was not recorded (an older journal)"
                        )),
                        _ => self.refuse(format!(
                            "{}: a fetched page; leash keeps its hash, not its text",
                            s.url.as_deref().unwrap_or("?")
                        )),
                    },
                }
            }
            _ => {}
        }
        self.layers.open(Dialog::Blame(v));
    }

    /// A key on a source: scroll it, or close it (back to the blame).
    pub(super) fn source_key(&mut self, mut v: Box<SourceView>, action: Action) {
        let last = v.text.lines.len().saturating_sub(1);
        let page = self.page.max(1);
        v.scroll = match action {
            Action::Cancel | Action::Back | Action::Confirm | Action::Open => return,
            Action::Down => v.scroll + 1,
            Action::Up => v.scroll.saturating_sub(1),
            Action::PageDown => v.scroll + page,
            Action::PageUp => v.scroll.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            _ => v.scroll,
        }
        .min(last);
        self.layers.open(Dialog::Source(v));
    }
}
