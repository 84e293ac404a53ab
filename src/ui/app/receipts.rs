//! The receipts of the operator's decisions in the console: for each turn
//! and held action, when it was first on screen, which tabs showed it, and
//! whether the last row of its diff was drawn. All of it is learnt from
//! what each frame reports having drawn (see [`Drawn`]), so what counts as
//! seen is what was on the screen, not what a key asked for. A decision
//! takes its receipt when it leaves the console ([`App::take_ops`]).

use std::collections::HashMap;

use super::{App, Dialog, Drawn, Tab};
use crate::model::{Front, Receipt};
use crate::stats::HintKind;
use crate::ui::worker::Op;

/// What the console showed of one turn or action.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shown {
    /// The first frame that showed it (RFC 3339).
    at: String,
    /// The tabs (or the action's preview) that showed it, first first.
    tabs: Vec<&'static str>,
    /// The last row of its diff was drawn.
    read_to_end: bool,
}

/// What the console showed of each turn and action this session.
#[derive(Debug, Default)]
pub struct Seen {
    items: HashMap<String, Shown>,
}

impl Seen {
    /// Notes a frame showing `item` through `view` (`None`: a tab with
    /// nothing of it drawn yet, such as a diff still being computed).
    fn look(&mut self, item: &str, view: Option<&'static str>, read_to_end: bool) {
        if !self.items.contains_key(item) {
            let first = Shown {
                at: crate::model::now(),
                tabs: Vec::new(),
                read_to_end: false,
            };
            self.items.insert(item.to_string(), first);
        }
        // Every frame comes here: what is known already costs no allocation.
        let Some(shown) = self.items.get_mut(item) else {
            return;
        };
        if let Some(v) = view
            && !shown.tabs.contains(&v)
        {
            shown.tabs.push(v);
        }
        shown.read_to_end |= read_to_end;
    }

    /// The receipt of a decision on `item` taken at `decided_at`.
    pub fn receipt(&self, item: &str, decided_at: String) -> Receipt {
        let shown = self.items.get(item);
        Receipt {
            front: Front::Console,
            shown_at: shown.map(|s| s.at.clone()),
            decided_at,
            diff_read_to_end: shown.is_some_and(|s| s.read_to_end),
            tabs: shown.map_or_else(Vec::new, |s| s.tabs.iter().map(|t| t.to_string()).collect()),
        }
    }
}

impl App {
    /// Notes what a frame showed: the held action previewed, or the
    /// selected turn in the tab drawn — the diff as read to its end once
    /// its last row was on screen.
    pub(super) fn note_drawn(&mut self, drawn: &Drawn) {
        if let Some((_, a)) = self.selected_action() {
            let id = a.id.clone();
            self.seen.look(&id, Some("action"), false);
            return;
        }
        let Some(id) = self.selected.as_deref() else {
            return;
        };
        let (view, to_end) = match self.detail.tab {
            Tab::Diff => match drawn.diff_rows {
                Some((_, last)) => (Some("diff"), last >= self.detail.diff.rows.len()),
                None => (None, false),
            },
            tab => (Some(tab.word()), false),
        };
        self.seen.look(id, view, to_end);
    }

    /// Tells, once ever, what the decisions' receipts call for: approvals
    /// of a class that look like rubber-stamping, or a class whose turns
    /// have earned more autonomy — each a notice naming the class and the
    /// slider move it suggests.
    pub(super) fn give_hints(&mut self) {
        for hint in self.ws.new_hints() {
            let title = match hint.kind {
                HintKind::RubberStamp => format!("Rubber-stamping {} turns?", hint.class),
                HintKind::MoreAutonomy => format!("More autonomy for {} turns?", hint.class),
            };
            if let Err(e) = self.ws.hint_given(&hint) {
                self.refuse(format!(
                    "could not remember that this was said ({e}); it may be said again"
                ));
            }
            self.layers.open(Dialog::Notice {
                title,
                lines: hint.lines,
            });
        }
    }

    /// Fills in the receipt of each decision among `ops`, decided now.
    pub(super) fn stamp(&self, ops: &mut [Op]) {
        let now = crate::model::now();
        for op in ops {
            if let Some((item, slot)) = op.receipt_slot()
                && slot.is_none()
            {
                *slot = Some(self.seen.receipt(item, now.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::diff::{Body, DiffLine, FileDiff, FileStatus, Hunk, LineKind};
    use crate::model::Front;
    use crate::ui::action::Action;
    use crate::ui::app::testing::{app, created, draw, finished};
    use crate::ui::app::{Dialog, Pane};
    use crate::ui::worker::{Done, Op};

    /// A file of `n` added lines, one hunk.
    fn long_file(n: usize) -> FileDiff {
        FileDiff {
            old_path: None,
            new_path: Some("long.md".into()),
            status: FileStatus::Added,
            insertions: n,
            deletions: 0,
            body: Body::Text(vec![Hunk {
                old_start: 0,
                old_len: 0,
                new_start: 1,
                new_len: n as u32,
                header: format!("@@ -0,0 +1,{n} @@"),
                function: String::new(),
                lines: (0..n)
                    .map(|i| DiffLine {
                        kind: LineKind::Added,
                        old_no: None,
                        new_no: Some(i as u32 + 1),
                        text: format!("line {i}"),
                        emphasis: Vec::new(),
                        unterminated: false,
                    })
                    .collect(),
            }]),
            no_newline_at_end: false,
            meta: Default::default(),
        }
    }

    #[test]
    fn wrapped_long_lines_are_not_read_to_the_end_until_the_last_one_is_on_screen() {
        let mut f = app(&[created("t1", "task", "low"), finished("t1", 1)]);
        let app = &mut f.app;
        let mut file = long_file(10);
        if let Body::Text(hunks) = &mut file.body {
            for l in &mut hunks[0].lines {
                l.text = "word ".repeat(60);
            }
        }
        app.on_done(Done::Diff {
            turn: "t1".into(),
            result: Ok(Arc::new(vec![file])),
        });
        app.update(Action::TabDiff);
        app.update(Action::ToggleWrap);
        assert!(app.wraps());
        // Twelve rows, but wrapped they fill more than the pane.
        draw(app, 120, 30);
        app.update(Action::Approve);
        assert!(!receipt_of(&app.take_ops()[0]).diff_read_to_end);
        // Cut (as the Diff tab starts), the twelve rows fit: read.
        app.update(Action::ToggleWrap);
        draw(app, 120, 30);
        app.update(Action::Approve);
        assert!(receipt_of(&app.take_ops()[0]).diff_read_to_end);
    }

    fn receipt_of(op: &Op) -> crate::model::Receipt {
        match op {
            Op::Approve(_, Some(r)) | Op::Reject(_, _, Some(r)) => r.clone(),
            other => panic!("no receipt on {other:?}"),
        }
    }

    #[test]
    fn a_diff_is_read_to_the_end_only_once_its_last_row_was_drawn() {
        let mut f = app(&[created("t1", "task", "low"), finished("t1", 1)]);
        let app = &mut f.app;
        app.on_done(Done::Diff {
            turn: "t1".into(),
            result: Ok(Arc::new(vec![long_file(60)])),
        });
        draw(app, 120, 30);
        app.update(Action::TabDiff);
        draw(app, 120, 30);
        // A page down is not the end of 62 rows.
        app.focus = Pane::Detail;
        app.update(Action::PageDown);
        draw(app, 120, 30);
        app.update(Action::Approve);
        let ops = app.take_ops();
        let r = receipt_of(&ops[0]);
        assert_eq!(r.front, Front::Console);
        assert_eq!(r.tabs, ["output", "diff"]);
        assert!(!r.diff_read_to_end, "{r:?}");
        assert!(r.shown_at.is_some() && r.seconds().is_some(), "{r:?}");

        // To the bottom: the last row is drawn.
        app.update(Action::Bottom);
        draw(app, 120, 30);
        app.update(Action::Reject);
        for c in "no".chars() {
            app.update(Action::Type(c));
        }
        app.update(Action::Confirm);
        assert!(app.dialog().is_none());
        let ops = app.take_ops();
        let r = receipt_of(&ops[0]);
        assert!(r.diff_read_to_end, "{r:?}");
        assert_eq!(r.tabs, ["output", "diff"]);
    }

    #[test]
    fn a_turn_never_drawn_has_no_shown_time_and_a_dialog_keeps_the_receipt_open() {
        let mut f = app(&[
            created("t1", "one", "high"),
            finished("t1", 1),
            created("t2", "two", "low"),
        ]);
        let app = &mut f.app;
        app.focus = Pane::Turns;
        app.update(Action::Down);
        assert_eq!(app.selected.as_deref(), Some("t1"));
        // Nothing drawn since the selection moved: not shown.
        app.update(Action::Approve);
        // A high turn asks first; the receipt is made when `y` lets it go.
        assert!(matches!(app.dialog(), Some(Dialog::Confirm { .. })));
        draw(app, 120, 30);
        app.update(Action::Confirm);
        let ops = app.take_ops();
        let r = receipt_of(&ops[0]);
        // The frame under the dialog showed it (Output tab).
        assert_eq!(r.tabs, ["output"]);
        assert!(r.shown_at.is_some());
        let mut bare = Op::Approve("t9".into(), None);
        app.stamp(std::slice::from_mut(&mut bare));
        let r = receipt_of(&bare);
        assert_eq!((r.shown_at, r.tabs.len()), (None, 0));
    }
}
