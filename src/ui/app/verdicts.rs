//! Per-hunk verdicts in the Diff tab: `space` marks the hunk under the
//! cursor accepted (✓), again kept aside (✗); on a file's header row it
//! marks all the file's hunks; a file that cannot be split (binary, a pure
//! rename…) is marked whole. `v` starts a line selection: `space` then
//! marks only the changed lines between it and the cursor (within the
//! cursor's hunk), which splits the hunk. `A` lands the accepted hunks
//! after a confirm
//! that says how many land and how many are kept aside — the library's
//! partial approval, which checks the marks against the diff it numbers
//! itself, so a diff that changed under the marks is refused, not guessed.

use std::collections::BTreeSet;

use super::{App, Dialog, DiffView, Row, Status};
use crate::diff::select::{Mark, changed_lines, splittable};
use crate::diff::{Body, FileDiff};
use crate::model::{TurnKind, TurnState};
use crate::ui::worker::Op;

/// A unit of the diff as the console marks it: file path, and the hunk's
/// `@@` header (`None`: the whole file).
pub type HunkKey = (String, Option<String>);

/// A turn's marks, kept while another turn is shown.
#[derive(Debug, Default)]
pub struct Verdicts {
    marks: std::collections::HashMap<HunkKey, bool>,
    part: std::collections::HashMap<HunkKey, BTreeSet<usize>>,
}

impl Verdicts {
    /// The marks of a diff view that is left.
    pub fn of(view: DiffView) -> Verdicts {
        Verdicts {
            marks: view.marks,
            part: view.part,
        }
    }

    /// No mark at all.
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty() && self.part.is_empty()
    }

    /// Puts the marks back on the turn's (new) diff view.
    pub fn restore(self, view: &mut DiffView) {
        view.marks = self.marks;
        view.part = self.part;
    }
}

/// The units of one file of the diff, as keys.
fn units_of(f: &FileDiff) -> Vec<HunkKey> {
    match &f.body {
        Body::Text(hunks) if splittable(f) => hunks
            .iter()
            .map(|h| (f.path().to_string(), Some(h.header.clone())))
            .collect(),
        _ => vec![(f.path().to_string(), None)],
    }
}

impl DiffView {
    /// The mark of a unit: `Some(true)` accepted, `Some(false)` kept aside.
    pub fn mark(&self, key: &HunkKey) -> Option<bool> {
        self.marks.get(key).copied()
    }

    /// The mark of the hunk a row belongs to (or of the whole file, for a
    /// file marked whole); for a line of a hunk taken in part, whether that
    /// line is taken (a context line there has none).
    pub fn row_mark(&self, row: Row) -> Option<bool> {
        let Some(Ok(files)) = &self.files else {
            return None;
        };
        let f = &files[match row {
            Row::File(f) | Row::Note(f) | Row::Hunk(f, _) | Row::Line(f, _, _) => f,
        }];
        let whole = (f.path().to_string(), None);
        match (row, &f.body) {
            (Row::Hunk(_, h) | Row::Line(_, h, _), Body::Text(hunks)) if splittable(f) => {
                let key = (f.path().to_string(), Some(hunks[h].header.clone()));
                match (row, self.part.get(&key)) {
                    (Row::Line(_, _, li), Some(taken)) => (hunks[h].lines[li].kind
                        != crate::diff::LineKind::Context)
                        .then(|| taken.contains(&li)),
                    _ => self.mark(&key),
                }
            }
            _ => self.mark(&whole),
        }
    }

    /// Of a hunk taken in part: how many of its changed lines are taken,
    /// of how many.
    pub fn part_of(&self, row: Row) -> Option<(usize, usize)> {
        let (Some(Ok(files)), Row::Hunk(fi, hi)) = (&self.files, row) else {
            return None;
        };
        let f = &files[fi];
        let Body::Text(hunks) = &f.body else {
            return None;
        };
        let taken = self
            .part
            .get(&(f.path().to_string(), Some(hunks[hi].header.clone())))?;
        Some((taken.len(), changed_lines(&hunks[hi]).len()))
    }

    /// Whether a row is inside the line selection being made (`v`).
    pub fn selecting(&self, row: usize) -> bool {
        self.anchor
            .is_some_and(|a| a.min(self.cursor) <= row && row <= a.max(self.cursor))
    }

    /// `v`: starts a line selection at the cursor, or drops the one begun.
    pub(super) fn select_lines(&mut self) -> String {
        if self.anchor.take().is_some() {
            return "line selection dropped".into();
        }
        self.anchor = Some(self.cursor);
        "selecting lines: move the cursor, then space marks the changed lines of its hunk".into()
    }

    /// `space` with a line selection: the changed lines selected in the
    /// cursor's hunk are accepted, or kept aside when they all were.
    fn toggle_lines(&mut self, anchor: usize) -> Result<String, String> {
        let Some(Ok(files)) = &self.files else {
            return Err("the diff is not here yet".into());
        };
        let (fi, hi) = match self.rows.get(self.cursor) {
            Some(&(Row::Hunk(f, h) | Row::Line(f, h, _))) => (f, h),
            _ => return Err("a line selection is made of one hunk's lines".into()),
        };
        let f = &files[fi];
        let Body::Text(hunks) = &f.body else {
            return Err("no lines here".into());
        };
        if !splittable(f) {
            return Err(format!("{}: taken or left whole", f.path()));
        }
        let changed = changed_lines(&hunks[hi]);
        let (lo, top) = (anchor.min(self.cursor), anchor.max(self.cursor));
        let chosen: BTreeSet<usize> = self.rows[lo..=top.min(self.rows.len() - 1)]
            .iter()
            .filter_map(|r| match *r {
                Row::Line(f2, h2, li) if f2 == fi && h2 == hi && changed.contains(&li) => Some(li),
                _ => None,
            })
            .collect();
        if chosen.is_empty() {
            return Err("the selection holds no changed line of this hunk".into());
        }
        let key = (f.path().to_string(), Some(hunks[hi].header.clone()));
        let header = hunks[hi].header.clone();
        let mut taken = match (self.part.remove(&key), self.mark(&key)) {
            (Some(t), _) => t,
            (None, Some(true)) => changed.iter().copied().collect(),
            _ => BTreeSet::new(),
        };
        let accept = !chosen.is_subset(&taken);
        if accept {
            taken.extend(&chosen);
        } else {
            taken.retain(|l| !chosen.contains(l));
        }
        let n = taken.len();
        if n == 0 || n == changed.len() {
            self.marks.insert(key.clone(), n > 0);
        } else {
            self.marks.remove(&key);
            self.part.insert(key.clone(), taken);
        }
        Ok(format!(
            "{} {header}: {} {} — {n} of {} changed lines of the hunk accepted",
            key.0,
            crate::words::count(chosen.len(), "line"),
            if accept { "accepted" } else { "kept aside" },
            changed.len()
        ))
    }

    /// Every unit of the diff, in order.
    pub fn units(&self) -> Vec<HunkKey> {
        match &self.files {
            Some(Ok(files)) => files.iter().flat_map(units_of).collect(),
            _ => Vec::new(),
        }
    }

    /// `space`: marks the unit under the cursor accepted, or kept aside
    /// when it already was accepted; says what it did.
    pub(super) fn toggle(&mut self) -> Result<String, String> {
        if let Some(anchor) = self.anchor.take() {
            return self.toggle_lines(anchor);
        }
        let Some(Ok(files)) = &self.files else {
            return Err("the diff is not here yet".into());
        };
        let Some(&row) = self.rows.get(self.cursor) else {
            return Err("no hunk under the cursor".into());
        };
        let (fi, hunk) = match row {
            Row::Hunk(f, h) | Row::Line(f, h, _) => (f, Some(h)),
            Row::File(f) | Row::Note(f) => (f, None),
        };
        let f = &files[fi];
        let keys: Vec<HunkKey> = match (hunk, &f.body) {
            (Some(h), Body::Text(hunks)) if splittable(f) => {
                vec![(f.path().to_string(), Some(hunks[h].header.clone()))]
            }
            _ => units_of(f),
        };
        let accept = !keys.iter().all(|k| self.mark(k) == Some(true));
        for k in &keys {
            self.part.remove(k);
            self.marks.insert(k.clone(), accept);
        }
        let what = match (&keys[..], splittable(f)) {
            ([(p, Some(h))], _) => format!("{p} {h}"),
            (_, true) => format!("every hunk of {}", f.path()),
            (_, false) => format!("{} (whole file)", f.path()),
        };
        let (accepted, total) = self.tally();
        Ok(format!(
            "{what}: {} — {accepted} of {total} hunks accepted; A lands them",
            if accept { "accepted" } else { "kept aside" }
        ))
    }

    /// How many units are accepted, of how many.
    pub fn tally(&self) -> (usize, usize) {
        let units = self.units();
        let accepted = units
            .iter()
            .filter(|k| self.mark(k) == Some(true) || self.part.contains_key(*k))
            .count();
        (accepted, units.len())
    }

    /// What lands, as the library takes it: each unit accepted whole, and
    /// each hunk taken in part with its lines.
    pub fn accepted_marks(&self) -> Vec<Mark> {
        self.units()
            .into_iter()
            .filter_map(|k| {
                let lines = match (self.mark(&k), self.part.get(&k)) {
                    (Some(true), _) => None,
                    (_, Some(taken)) => Some(taken.iter().copied().collect()),
                    _ => return None,
                };
                Some(Mark {
                    path: k.0,
                    header: k.1,
                    lines,
                })
            })
            .collect()
    }
}

impl App {
    /// `space` on the Diff tab.
    pub(super) fn toggle_hunk(&mut self) {
        if self.detail.tab != super::Tab::Diff {
            return self.refuse("open the Diff tab (2) to mark hunks".into());
        }
        match self.current() {
            Some(t) if t.state == TurnState::AwaitingReview && t.kind == TurnKind::Isolated => {}
            Some(t) => {
                return self.refuse(format!(
                    "{} is {}: only an isolated turn awaiting review is decided hunk by hunk",
                    t.id, t.state
                ));
            }
            None => return self.refuse("no turn selected".into()),
        }
        match self.detail.diff.toggle() {
            Ok(text) => self.status = Some(Status { text, error: false }),
            Err(e) => self.refuse(e),
        }
    }

    /// `C`: asks for a comment on the diff line under the cursor.
    pub(super) fn comment_line(&mut self) {
        if self.detail.tab != super::Tab::Diff {
            return self.refuse("open the Diff tab (2) to comment on a line".into());
        }
        let Some(t) = self.current().cloned() else {
            return self.refuse("no turn selected".into());
        };
        let diff = &self.detail.diff;
        let (Some(Ok(files)), Some(&Row::Line(fi, hi, li))) =
            (&diff.files, diff.rows.get(diff.cursor))
        else {
            return self.refuse("put the cursor on a line of the diff to comment on it".into());
        };
        let f = &files[fi];
        let Body::Text(hunks) = &f.body else {
            return;
        };
        let dl = &hunks[hi].lines[li];
        let (path, line, old_line) = match dl.kind {
            crate::diff::LineKind::Removed => (
                f.old_path.clone().unwrap_or_else(|| f.path().to_string()),
                None,
                dl.old_no,
            ),
            _ => (f.path().to_string(), dl.new_no, None),
        };
        self.layers.open(Dialog::Comment {
            turn: t.id,
            path,
            line,
            old_line,
            input: String::new(),
        });
    }

    /// `v` on the Diff tab.
    pub(super) fn select_lines(&mut self) {
        if self.detail.tab != super::Tab::Diff {
            return self.refuse("open the Diff tab (2) to select lines".into());
        }
        let text = self.detail.diff.select_lines();
        self.status = Some(Status { text, error: false });
    }

    /// `A`: lands the accepted hunks of the selected turn, after a confirm.
    pub(super) fn land_hunks(&mut self) {
        let Some(t) = self.current().cloned() else {
            return self.refuse("no turn selected".into());
        };
        if t.state != TurnState::AwaitingReview || t.kind != TurnKind::Isolated {
            return self.refuse(format!(
                "{} is {}: only an isolated turn awaiting review lands hunk by hunk",
                t.id, t.state
            ));
        }
        let diff = &self.detail.diff;
        let units = diff.units();
        let accepted = diff.accepted_marks();
        if accepted.is_empty() {
            return self.refuse(format!(
                "no hunk of {} is accepted: mark them with space in the Diff tab (✓), then A",
                t.id
            ));
        }
        let in_part = accepted.iter().filter(|m| m.lines.is_some()).count();
        let aside = units.len() - accepted.len() + in_part;
        let title = format!(
            "Land {} of {} hunks of {}?",
            accepted.len(),
            units.len(),
            t.id
        );
        let plain = crate::sanitize::plain;
        let label = |p: &str, h: &Option<String>, note: &str| {
            format!(
                "  {} {}{note}",
                plain(p),
                h.as_deref().unwrap_or("(whole file)")
            )
        };
        let mut lines = vec![format!(
            "Land {} of {} hunks of {} “{}” on {}:",
            accepted.len(),
            units.len(),
            t.id,
            plain(&t.title),
            t.branch.as_deref().unwrap_or("its branch")
        )];
        lines.extend(accepted.iter().take(8).map(|m| {
            let note = if m.lines.is_some() {
                " (the lines marked ✓)"
            } else {
                ""
            };
            label(&m.path, &m.header, note)
        }));
        if accepted.len() > 8 {
            lines.push(format!("  … and {} more", accepted.len() - 8));
        }
        let op = if aside == 0 {
            lines.push("Every hunk is accepted: the whole turn lands.".into());
            Op::Approve(t.id.clone(), None)
        } else {
            lines.push(format!(
                "{aside} kept aside at refs/leash/rejected/{} (not landed):",
                t.id
            ));
            let rest: Vec<String> = units
                .iter()
                .filter_map(
                    |k| match accepted.iter().find(|m| m.path == k.0 && m.header == k.1) {
                        Some(m) if m.lines.is_none() => None,
                        Some(_) => Some(label(&k.0, &k.1, " (the lines not marked ✓)")),
                        None => Some(label(&k.0, &k.1, "")),
                    },
                )
                .collect();
            lines.extend(rest.iter().take(8).cloned());
            if rest.len() > 8 {
                lines.push(format!("  … and {} more", rest.len() - 8));
            }
            lines.push("The invariants run on what lands first; one it breaks stops it.".into());
            Op::ApproveHunks(t.id.clone(), accepted, None)
        };
        self.layers.open(Dialog::Confirm { title, lines, op });
    }

    /// `b`: sends the selected waiting turn back to its agent, after a
    /// confirm that says what lands, what goes back, with how many
    /// comments, and whether the agent's session is continued.
    pub(super) fn send_back(&mut self) {
        let Some(t) = self.current().cloned() else {
            return self.refuse("no turn selected".into());
        };
        if t.state != TurnState::AwaitingReview || t.kind != TurnKind::Isolated {
            return self.refuse(format!(
                "{} is {}: only an isolated turn awaiting review is sent back from here \
                 (`leash revise` takes landed and rejected ones)",
                t.id, t.state
            ));
        }
        let plain = crate::sanitize::plain;
        let diff = &self.detail.diff;
        let units = diff.units().len();
        let accepted = diff.accepted_marks();
        let title = format!("Send {} back to its agent?", t.id);
        let mut lines = vec![format!(
            "Send {} “{}” back to {} as a follow-up turn:",
            t.id,
            plain(&t.title),
            plain(&t.agent)
        )];
        lines.push(if accepted.is_empty() {
            format!(
                "No hunk is marked ✓: {} is rejected (kept at refs/leash/rejected/{}) and all \
                 of it goes back.",
                t.id, t.id
            )
        } else {
            format!(
                "{} of {units} hunks marked ✓ land first; the rest goes back, and the \
                 follow-up starts on top of what landed.",
                accepted.len()
            )
        });
        lines.push(match t.comments.len() {
            0 => "No comment goes with it (C comments on a line of the diff).".into(),
            n => format!(
                "{} with it, each with its file, line and hunk.",
                crate::words::count(n, "comment")
            ),
        });
        lines.push(match self.ws.session_to_continue(&t.id) {
            Some(s) => format!("The agent's session {} is continued.", plain(&s)),
            None => "The agent has no session leash can continue: it runs afresh with the \
                     prompt leash builds."
                .into(),
        });
        let op = Op::Revise(t.id.clone(), accepted, None);
        self.layers.open(Dialog::Confirm { title, lines, op });
    }
}
