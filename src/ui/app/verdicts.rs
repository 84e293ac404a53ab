//! Per-hunk verdicts in the Diff tab: `space` marks the hunk under the
//! cursor accepted (✓), again kept aside (✗); on a file's header row it
//! marks all the file's hunks; a file that cannot be split (binary, a pure
//! rename…) is marked whole. `A` lands the accepted hunks after a confirm
//! that says how many land and how many are kept aside — the library's
//! partial approval, which checks the marks against the diff it numbers
//! itself, so a diff that changed under the marks is refused, not guessed.

use super::{App, Dialog, DiffView, Row, Status};
use crate::diff::select::splittable;
use crate::diff::{Body, FileDiff};
use crate::model::{TurnKind, TurnState};
use crate::ui::worker::Op;

/// A unit of the diff as the console marks it: file path, and the hunk's
/// `@@` header (`None`: the whole file).
pub type HunkKey = (String, Option<String>);

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
    /// file marked whole).
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
                self.mark(&(f.path().to_string(), Some(hunks[h].header.clone())))
            }
            _ => self.mark(&whole),
        }
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
        let accepted = units.iter().filter(|k| self.mark(k) == Some(true)).count();
        (accepted, units.len())
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
        let accepted: Vec<HunkKey> = units
            .iter()
            .filter(|k| diff.mark(k) == Some(true))
            .cloned()
            .collect();
        if accepted.is_empty() {
            return self.refuse(format!(
                "no hunk of {} is accepted: mark them with space in the Diff tab (✓), then A",
                t.id
            ));
        }
        let aside = units.len() - accepted.len();
        let title = format!(
            "Land {} of {} hunks of {}?",
            accepted.len(),
            units.len(),
            t.id
        );
        let plain = crate::sanitize::plain;
        let label = |(p, h): &HunkKey| match h {
            Some(h) => format!("  {} {h}", plain(p)),
            None => format!("  {} (whole file)", plain(p)),
        };
        let mut lines = vec![format!(
            "Land {} of {} hunks of {} “{}” on {}:",
            accepted.len(),
            units.len(),
            t.id,
            plain(&t.title),
            t.branch.as_deref().unwrap_or("its branch")
        )];
        lines.extend(accepted.iter().take(8).map(label));
        if accepted.len() > 8 {
            lines.push(format!("  … and {} more", accepted.len() - 8));
        }
        let op = if aside == 0 {
            lines.push("Every hunk is accepted: the whole turn lands.".into());
            Op::Approve(t.id.clone())
        } else {
            lines.push(format!(
                "{aside} kept aside at refs/leash/rejected/{} (not landed):",
                t.id
            ));
            let rest: Vec<&HunkKey> = units.iter().filter(|k| !accepted.contains(k)).collect();
            lines.extend(rest.iter().take(8).map(|k| label(k)));
            if rest.len() > 8 {
                lines.push(format!("  … and {} more", rest.len() - 8));
            }
            lines.push("The invariants run on what lands first; one it breaks stops it.".into());
            Op::ApproveHunks(t.id.clone(), accepted)
        };
        self.layers.open(Dialog::Confirm { title, lines, op });
    }
}
