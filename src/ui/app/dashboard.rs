//! The invariant dashboard's state: which turns and invariants it shows,
//! the cell under the cursor, and opening a finding in the diff.

use super::{App, Row, Status, Tab};
use crate::diff::Body;
use crate::state::Turn;

/// The invariant dashboard: invariants × recent checked turns.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    /// Turn ids, newest first.
    pub turns: Vec<String>,
    /// Invariant names, the newest breaks first.
    pub rows: Vec<String>,
}

impl App {
    /// Builds the dashboard from the folded journal: the recent turns whose
    /// trees were checked, and the invariants ordered by how recently they
    /// broke (fail or degraded), the never-broken last.
    pub fn dashboard(&self) -> Dashboard {
        let turns: Vec<&Turn> = self
            .ws
            .state
            .turns()
            .iter()
            .rev()
            .filter(|t| !t.invariants.is_empty())
            .take(24)
            .collect();
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
        }
    }

    /// The result under the dashboard's cursor, with its turn.
    pub fn dashboard_cell(&self) -> Option<(&Turn, &crate::invariants::CheckResult)> {
        let d = self.dashboard();
        let turn = self.ws.state.turn(d.turns.get(self.inv_col)?)?;
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
