//! The detail pane: the selected turn's tabs (Output, Diff, Events,
//! Invariants, Provenance), each with its own state, and how long lines
//! are read. The tab keys, hunk and file jumps, wrapping and sideways
//! scrolling reach it from any pane; movement only when it has focus.

use super::component::{Ctx, Effect, Outcome, is_movement, step};
use super::dashboard::{self, DashboardView};
use super::{DiffView, OutputView, Pane, Reading, Row, TABS, Tab};
use crate::ui::action::Action;

/// The Events tab's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsView {
    /// The first event shown.
    pub scroll: usize,
}

/// The Provenance tab's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvenanceView {
    /// The first line shown.
    pub scroll: usize,
}

/// The detail pane's own state.
#[derive(Debug)]
pub struct Detail {
    pub tab: Tab,
    /// Wrapping, sideways scrolling, tool inputs in full.
    pub reading: Reading,
    pub output: OutputView,
    pub diff: DiffView,
    pub events: EventsView,
    pub dashboard: DashboardView,
    pub provenance: ProvenanceView,
    /// The selected pipeline pass's `out`, as the worker read it.
    pub pass_out: super::PassOut,
    /// A file and line to show once the selected turn's diff arrives.
    pub(super) pending_jump: Option<(String, Option<u32>)>,
    /// The hunk verdicts of turns not selected now, by turn: marks stay
    /// while the operator looks at another turn and comes back.
    verdicts: std::collections::HashMap<String, super::verdicts::Verdicts>,
}

impl Default for Detail {
    fn default() -> Detail {
        Detail {
            tab: Tab::Output,
            reading: Reading::default(),
            output: OutputView::new(),
            diff: DiffView::default(),
            events: EventsView::default(),
            dashboard: DashboardView::default(),
            provenance: ProvenanceView::default(),
            pass_out: super::PassOut::default(),
            pending_jump: None,
            verdicts: Default::default(),
        }
    }
}

impl Detail {
    /// Another turn was selected: its tabs start from the top (the output
    /// from its end), and its diff and output are read anew; the hunk
    /// marks of the turn left are kept until it is selected again.
    pub fn turn_changed(&mut self, from: Option<&str>, to: Option<&str>) {
        let left = std::mem::take(&mut self.diff);
        if let Some(from) = from {
            let kept = super::verdicts::Verdicts::of(left);
            if !kept.is_empty() {
                self.verdicts.insert(from.to_string(), kept);
            }
        }
        if let Some(kept) = to.and_then(|t| self.verdicts.remove(t)) {
            kept.restore(&mut self.diff);
        }
        self.output = OutputView::new();
        self.events = EventsView::default();
        self.provenance = ProvenanceView::default();
        self.pass_out = super::PassOut::default();
        self.reading.hscroll = 0;
    }

    /// The output lines shown: tool inputs folded or in full.
    pub fn output_lines(&self) -> Vec<&crate::transcript::OutLine> {
        self.output.lines(self.reading.expand)
    }

    /// An action: movement when the pane has focus; tabs, jumps and
    /// reading keys from anywhere.
    pub fn handle(&mut self, action: Action, app: &Ctx) -> Outcome {
        let focused = app.focus == Pane::Detail;
        let dashboard = focused && self.tab == Tab::Invariants;
        match action {
            a if is_movement(a) && focused => self.move_cursor(a, app),
            Action::Left | Action::Right if dashboard => {
                self.dashboard_step(action == Action::Right, app)
            }
            Action::Left | Action::Right | Action::ToggleWrap | Action::Expand => {
                self.on_reading(action)
            }
            Action::Open if dashboard => self.open_finding(app),
            Action::TabOutput => self.show(Tab::Output),
            Action::TabDiff => self.show(Tab::Diff),
            Action::TabEvents => self.show(Tab::Events),
            Action::TabInvariants => self.show(Tab::Invariants),
            Action::TabProvenance => self.show(Tab::Provenance),
            Action::NextTab | Action::PrevTab => {
                let i = TABS.iter().position(|t| *t == self.tab).unwrap_or(0);
                let j = if action == Action::NextTab {
                    (i + 1) % TABS.len()
                } else {
                    (i + TABS.len() - 1) % TABS.len()
                };
                self.show(TABS[j])
            }
            Action::NextHunk | Action::PrevHunk if dashboard => {
                let n = self
                    .dashboard
                    .cell(app)
                    .map_or(0, |(_, r)| r.findings.len());
                let d = &mut self.dashboard;
                d.finding = if action == Action::NextHunk {
                    (d.finding + 1).min(n.saturating_sub(1))
                } else {
                    d.finding.saturating_sub(1)
                };
                Outcome::consumed()
            }
            Action::NextHunk | Action::PrevHunk => {
                self.tab = Tab::Diff;
                self.diff.jump(action == Action::NextHunk, |r| {
                    matches!(r, Row::Hunk(..) | Row::Note(_))
                });
                Outcome::consumed()
            }
            Action::NextFile | Action::PrevFile => {
                self.tab = Tab::Diff;
                self.diff
                    .jump(action == Action::NextFile, |r| matches!(r, Row::File(_)));
                Outcome::consumed()
            }
            Action::Follow => self.output.toggle_follow(),
            Action::Blame => self.blame(app),
            _ => Outcome::ignored(),
        }
    }

    fn show(&mut self, tab: Tab) -> Outcome {
        self.tab = tab;
        Outcome::consumed()
    }

    fn move_cursor(&mut self, action: Action, app: &Ctx) -> Outcome {
        let page = app.page;
        match self.tab {
            Tab::Diff => {
                self.diff.move_cursor(action, page);
            }
            Tab::Output => return self.output.scroll(action, self.reading.expand, page),
            Tab::Invariants => {
                let rows = dashboard::build(app).rows.len();
                self.dashboard.row = step(action, self.dashboard.row, rows, page, false);
                self.dashboard.finding = 0;
            }
            Tab::Events => {
                let len = app.current().map_or(0, |t| t.events.len());
                self.events.scroll = step(action, self.events.scroll, len, page, true);
            }
            Tab::Provenance => {
                let len = app.current().map_or(0, |t| {
                    crate::ui::views::provenance::provenance_lines(app, t).len()
                });
                self.provenance.scroll = step(action, self.provenance.scroll, len, page, false);
            }
        }
        Outcome::consumed()
    }

    /// Moves the dashboard's cursor a column (a turn) left or right, which
    /// selects that turn: the cursor and the selection are one.
    fn dashboard_step(&mut self, right: bool, app: &Ctx) -> Outcome {
        let d = dashboard::build(app);
        let col = match d.col(app) {
            Some(c) if right => (c + 1).min(d.turns.len().saturating_sub(1)),
            Some(c) => c.saturating_sub(1),
            None => 0,
        };
        self.dashboard.finding = 0;
        match d.turns.get(col).cloned() {
            Some(id) => Outcome::with(vec![Effect::Select(Some(id))]),
            None => Outcome::consumed(),
        }
    }

    /// Opens the selected finding: its turn's diff at the file and line.
    fn open_finding(&mut self, app: &Ctx) -> Outcome {
        let refuse = |why: String| Outcome::with(vec![Effect::Refuse(why)]);
        let Some((turn, result)) = self.dashboard.cell(app) else {
            return refuse("no check result here".into());
        };
        let Some(f) = result.findings.get(self.dashboard.finding).cloned() else {
            return refuse(format!("{}: no findings to open", result.name));
        };
        if f.path.is_empty() {
            return refuse(format!("{}: {}", result.name, f.message));
        }
        let id = turn.id.clone();
        self.tab = Tab::Diff;
        if app.selected == Some(id.as_str()) && self.diff.files.is_some() {
            let said = self.diff.jump_to(&f.path, f.line);
            return Outcome::with(said.map(Effect::Status).into_iter().collect());
        }
        self.pending_jump = Some((f.path.clone(), f.line));
        Outcome::with(vec![Effect::Select(Some(id))])
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::action::Action;
    use crate::ui::app::testing::{Fixture, app, created, draw, finished};
    use crate::ui::app::{Effect, Pane, Tab};

    fn one() -> Fixture {
        let mut f = app(&[created("t1", "the task", "low"), finished("t1", 1)]);
        f.app.focus = Pane::Detail;
        f
    }

    #[test]
    fn tab_keys_work_from_any_pane_and_movement_only_when_focused() {
        let mut f = one();
        let app = &mut f.app;
        app.focus = Pane::Turns;
        app.update(Action::TabEvents);
        assert_eq!(app.tab(), Tab::Events);
        app.update(Action::PrevTab);
        assert_eq!(app.tab(), Tab::Diff);
        app.update(Action::NextTab);
        app.update(Action::NextTab);
        assert_eq!(app.tab(), Tab::Invariants);
        let mut detail = crate::ui::app::Detail::default();
        assert!(!detail.handle(Action::Down, &app.ctx()).consumed);
    }

    #[test]
    fn events_show_the_turn_s_journal_and_scroll() {
        let mut f = one();
        let app = &mut f.app;
        app.update(Action::TabEvents);
        let screen = draw(app, 120, 20);
        assert!(screen.contains("03:04:05"), "{screen}");
        app.page = 1;
        app.update(Action::Down);
        assert_eq!(app.detail.events.scroll, 1);
        app.update(Action::Down);
        assert_eq!(app.detail.events.scroll, 1, "no further than the last page");
        // Provenance keeps its own place.
        app.update(Action::TabProvenance);
        assert_eq!(app.detail.provenance.scroll, 0);
    }

    #[test]
    fn provenance_shows_where_the_turn_came_from_and_scrolls() {
        let mut f = one();
        let app = &mut f.app;
        app.update(Action::TabProvenance);
        let screen = draw(app, 120, 20);
        assert!(screen.contains("(unborn)"), "{screen}");
        assert!(screen.contains("do the task"), "{screen}");
        app.update(Action::Down);
        assert_eq!(app.detail.provenance.scroll, 1);
        app.update(Action::Top);
        assert_eq!(app.detail.provenance.scroll, 0);
    }

    #[test]
    fn the_dashboard_without_invariants_says_so_and_opens_nothing() {
        let mut f = one();
        let app = &mut f.app;
        app.update(Action::TabInvariants);
        let screen = draw(app, 120, 20);
        assert!(screen.contains("No invariants are configured"), "{screen}");
        let mut detail = crate::ui::app::Detail {
            tab: Tab::Invariants,
            ..Default::default()
        };
        let out = detail.handle(Action::Open, &app.ctx());
        assert_eq!(out.effects, [Effect::Refuse("no check result here".into())]);
        app.update(Action::NextHunk);
        assert_eq!(app.detail.dashboard.finding, 0);
        assert_eq!(app.tab(), Tab::Invariants, "n moves among findings here");
    }

    #[test]
    fn another_turn_starts_its_tabs_afresh() {
        let mut f = app(&[
            created("t1", "one", "low"),
            finished("t1", 1),
            created("t2", "two", "low"),
        ]);
        let app = &mut f.app;
        app.focus = Pane::Detail;
        app.update(Action::TabEvents);
        app.page = 1;
        app.update(Action::Down);
        // Events are cut, not wrapped: → scrolls them sideways.
        app.update(Action::Right);
        assert_eq!(app.detail.reading.hscroll, 8);
        app.focus = Pane::Turns;
        app.update(Action::Down);
        assert_eq!(app.selected.as_deref(), Some("t1"));
        assert_eq!(app.detail.events.scroll, 0);
        assert_eq!(app.detail.reading.hscroll, 0);
        assert_eq!(app.tab(), Tab::Events, "the tab stays");
    }
}
