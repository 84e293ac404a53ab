//! The invariant dashboard's state: which turns and invariants it shows,
//! the cell under the cursor, and opening a finding in the diff.

use super::{App, Row, Status, Tab};
use crate::diff::Body;
use crate::state::Turn;
use crate::ui::worker::Op;

/// The invariant dashboard: invariants × recent checked turns.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    /// Turn ids, newest first.
    pub turns: Vec<String>,
    /// Invariant names, the newest breaks first.
    pub rows: Vec<String>,
    /// Checked turns older than those in `turns`, left out.
    pub older: usize,
}

/// How many checked turns the dashboard takes (more when the selected
/// turn is older, so its column is always there).
const DASHBOARD_TURNS: usize = 24;

impl App {
    /// Builds the dashboard from the folded journal: the recent turns whose
    /// trees were checked, and the invariants ordered by how recently they
    /// broke (fail or degraded), the never-broken last.
    pub fn dashboard(&self) -> Dashboard {
        let mut turns: Vec<&Turn> = self
            .ws
            .state
            .turns()
            .iter()
            .rev()
            .filter(|t| !t.invariants.is_empty())
            .collect();
        let selected = self
            .selected
            .as_deref()
            .and_then(|id| turns.iter().position(|t| t.id == id));
        let older = turns
            .len()
            .saturating_sub(DASHBOARD_TURNS.max(selected.map_or(0, |p| p + 1)));
        turns.truncate(turns.len() - older);
        let mut names: Vec<String> = self
            .ws
            .config
            .invariants
            .iter()
            .map(|i| i.name.clone())
            .collect();
        for t in &turns {
            for r in &t.invariants {
                if !names.contains(&r.name) {
                    names.push(r.name.clone());
                }
            }
        }
        let newest_break = |name: &str| {
            turns.iter().position(|t| {
                t.invariants
                    .iter()
                    .any(|r| r.name == name && !crate::checks::passes(r))
            })
        };
        names.sort_by_key(|n| newest_break(n).unwrap_or(usize::MAX));
        Dashboard {
            turns: turns.iter().map(|t| t.id.clone()).collect(),
            rows: names,
            older,
        }
    }

    /// The dashboard's column: the selected turn's, when it was checked.
    pub fn dashboard_col(&self, d: &Dashboard) -> Option<usize> {
        let id = self.selected.as_deref()?;
        d.turns.iter().position(|t| t == id)
    }

    /// Moves the dashboard's cursor a column (a turn) left or right, which
    /// selects that turn: the cursor and the selection are one.
    pub(super) fn dashboard_step(&mut self, right: bool) {
        let d = self.dashboard();
        let col = match self.dashboard_col(&d) {
            Some(c) if right => (c + 1).min(d.turns.len().saturating_sub(1)),
            Some(c) => c.saturating_sub(1),
            None => 0,
        };
        if let Some(id) = d.turns.get(col).cloned() {
            self.select(Some(id));
        }
        self.inv_finding = 0;
    }

    /// Hands the operator actions waiting in the outbox to whoever carries
    /// them out (the event loop, a test), counting those that check the
    /// branch head so the header says "checking…" until they are done.
    pub fn take_ops(&mut self) -> Vec<Op> {
        let ops: Vec<Op> = self.outbox.ops.drain(..).collect();
        self.checks_running += ops.iter().filter(|o| checks_head(o)).count();
        ops
    }

    /// Counts an operator action as done (see [`App::take_ops`]).
    pub(super) fn op_done(&mut self, op: &Op) {
        if checks_head(op) {
            self.checks_running = self.checks_running.saturating_sub(1);
        }
    }

    /// The header's invariants badge: what the branch head holds, as
    /// `(text, role)`; `None` without invariants.
    pub fn head_badge(&self) -> Option<(String, &'static str)> {
        if self.ws.config.invariants.is_empty() {
            return None;
        }
        if self.checks_running > 0 {
            return Some(("invariants checking…".into(), "info"));
        }
        let Some(check) = &self.ws.state.head_check else {
            return Some(("invariants not checked at head".into(), "text.muted"));
        };
        let summary = crate::invariants::summary(&check.results);
        let head = &self.head.1;
        let at_head = !head.is_empty() && check.commit.starts_with(head.as_str());
        if !at_head {
            // The branch moved without a check (a commit outside leash, a
            // rollback): say which commit the results describe.
            return Some((
                format!(
                    "invariants {summary} at {}",
                    crate::checkpoint::short(&check.commit)
                ),
                "text.muted",
            ));
        }
        let failing = check.results.iter().any(|r| !crate::checks::passes(r));
        Some((
            format!("invariants {summary}"),
            if failing { "failure" } else { "state.landed" },
        ))
    }

    /// The result under the dashboard's cursor, with its turn.
    pub fn dashboard_cell(&self) -> Option<(&Turn, &crate::invariants::CheckResult)> {
        let d = self.dashboard();
        let turn = self.ws.state.turn(d.turns.get(self.dashboard_col(&d)?)?)?;
        let name = d.rows.get(self.inv_row)?;
        turn.invariants
            .iter()
            .find(|r| &r.name == name)
            .map(|r| (turn, r))
    }

    /// Opens the selected finding: its turn's diff at the file and line.
    pub(super) fn open_finding(&mut self) {
        let Some((turn, result)) = self.dashboard_cell() else {
            return self.refuse("no check result here".into());
        };
        let Some(f) = result.findings.get(self.inv_finding).cloned() else {
            return self.refuse(format!("{}: no findings to open", result.name));
        };
        if f.path.is_empty() {
            return self.refuse(format!("{}: {}", result.name, f.message));
        }
        let id = turn.id.clone();
        self.tab = Tab::Diff;
        if self.selected.as_deref() == Some(id.as_str()) && self.diff.files.is_some() {
            self.jump_to(&f.path, f.line);
        } else {
            self.pending_jump = Some((f.path.clone(), f.line));
            self.select(Some(id));
        }
    }

    /// Scrolls the diff to a file (and line, when the diff shows it); says
    /// so when the file is not part of the turn's changes.
    pub(super) fn jump_to(&mut self, path: &str, line: Option<u32>) {
        let Some(Ok(files)) = &self.diff.files else {
            return;
        };
        let Some(fi) = files.iter().position(|f| f.path() == path) else {
            self.status = Some(Status {
                text: format!(
                    "{path}{} is not changed by this turn: the finding is in what it inherited",
                    line.map(|l| format!(":{l}")).unwrap_or_default()
                ),
                error: false,
            });
            return;
        };
        let at_line = |r: &Row| match (*r, &files[fi].body, line) {
            (Row::Line(f, h, l), Body::Text(hunks), Some(want)) if f == fi => {
                hunks[h].lines[l].new_no == Some(want)
            }
            _ => false,
        };
        let row = self
            .diff
            .rows
            .iter()
            .position(at_line)
            .or_else(|| self.diff.rows.iter().position(|r| *r == Row::File(fi)));
        if let Some(r) = row {
            self.diff.scroll = r.saturating_sub(2);
        }
    }
}

/// Whether an operator action checks what the branch head will hold: a
/// landing (the merged tree, when the branch moved) or a fix.
fn checks_head(op: &Op) -> bool {
    matches!(op, Op::Fix | Op::Approve(_))
}
