//! The invariant dashboard's state: which turns and invariants it shows,
//! the cell under the cursor, and opening a finding in the diff.

use super::App;
use super::component::Ctx;
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

/// The Invariants tab's state: the cursor's row (an invariant; its column
/// is the selected turn) and which finding of the cell `enter` opens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardView {
    pub row: usize,
    pub finding: usize,
}

impl DashboardView {
    /// The result under the dashboard's cursor, with its turn.
    pub fn cell<'a>(
        &self,
        app: &Ctx<'a>,
    ) -> Option<(&'a Turn, &'a crate::invariants::CheckResult)> {
        let d = build(app);
        let turn = app.ws.state().turn(d.turns.get(d.col(app)?)?)?;
        let name = d.rows.get(self.row)?;
        turn.invariants
            .iter()
            .find(|r| &r.name == name)
            .map(|r| (turn, r))
    }
}

impl Dashboard {
    /// The dashboard's column: the selected turn's, when it was checked.
    pub fn col(&self, app: &Ctx) -> Option<usize> {
        let id = app.selected?;
        self.turns.iter().position(|t| t == id)
    }
}

/// Builds the dashboard from the folded journal: the recent turns whose
/// trees were checked, and the invariants ordered by how recently they
/// broke (fail or degraded), the never-broken last.
pub fn build(app: &Ctx) -> Dashboard {
    let mut turns: Vec<&Turn> = app
        .ws
        .state()
        .turns()
        .iter()
        .rev()
        .filter(|t| !t.invariants.is_empty())
        .collect();
    let selected = app
        .selected
        .and_then(|id| turns.iter().position(|t| t.id == id));
    let older = turns
        .len()
        .saturating_sub(DASHBOARD_TURNS.max(selected.map_or(0, |p| p + 1)));
    turns.truncate(turns.len() - older);
    let mut names: Vec<String> = app
        .ws
        .config()
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
                .any(|r| r.name == name && !crate::invariants::passes(r))
        })
    };
    names.sort_by_key(|n| newest_break(n).unwrap_or(usize::MAX));
    Dashboard {
        turns: turns.iter().map(|t| t.id.clone()).collect(),
        rows: names,
        older,
    }
}

impl App {
    /// The invariant dashboard as it stands.
    pub fn dashboard(&self) -> Dashboard {
        build(&self.ctx())
    }

    /// The dashboard's column: the selected turn's, when it was checked.
    pub fn dashboard_col(&self, d: &Dashboard) -> Option<usize> {
        d.col(&self.ctx())
    }

    /// The result under the dashboard's cursor, with its turn.
    pub fn dashboard_cell(&self) -> Option<(&Turn, &crate::invariants::CheckResult)> {
        self.detail.dashboard.cell(&self.ctx())
    }

    /// Hands the operator actions waiting in the outbox to whoever carries
    /// them out (the event loop, a test), each decision with its receipt,
    /// counting those that check the branch head so the header says
    /// "checking…" until they are done.
    pub fn take_ops(&mut self) -> Vec<Op> {
        let mut ops: Vec<Op> = self.outbox.ops.drain(..).collect();
        self.stamp(&mut ops);
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
        if self.ws.config().invariants.is_empty() {
            return None;
        }
        if self.checks_running > 0 {
            return Some(("invariants checking…".into(), "info"));
        }
        let Some(check) = &self.ws.state().head_check else {
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
                    crate::model::short(&check.commit)
                ),
                "text.muted",
            ));
        }
        let failing = check.results.iter().any(|r| !crate::invariants::passes(r));
        Some((
            format!("invariants {summary}"),
            if failing { "failure" } else { "state.landed" },
        ))
    }
}

/// Whether an operator action checks what the branch head will hold: a
/// landing (the merged tree, when the branch moved) or a fix.
fn checks_head(op: &Op) -> bool {
    matches!(op, Op::Fix | Op::Approve(..))
}
