//! The turns list: which turns it shows (its filter, typed in place), a
//! pipeline run's turns grouped under one row (expanded on request), and
//! moving the selection through them.

use std::collections::{BTreeSet, HashMap};

use super::Pane;
use super::component::{Ctx, Effect, Outcome, is_movement, step};
use crate::state::{Pipeline, Turn};
use crate::ui::action::Action;
use crate::workspace::Workspace;

/// One row of the turns list.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// A turn of its own.
    Turn(&'a Turn),
    /// A pipeline run: its passes as stages, where its newest pass's turn
    /// would be.
    Run(&'a Pipeline),
    /// A pass's turn, under its expanded run.
    Pass(&'a Pipeline, &'a Turn),
}

impl<'a> Entry<'a> {
    /// The turn the row is (none for a run's own row).
    pub fn turn(&self) -> Option<&'a Turn> {
        match self {
            Entry::Turn(t) | Entry::Pass(_, t) => Some(t),
            Entry::Run(_) => None,
        }
    }

    /// The turn selecting the row selects: a run's stands for its current
    /// pass's turn.
    pub fn selects(&self) -> Option<String> {
        match self {
            Entry::Turn(t) | Entry::Pass(_, t) => Some(t.id.clone()),
            Entry::Run(p) => p.current().map(|a| a.turn.clone()),
        }
    }
}

/// The turns list's filter: words that must all appear in a turn's id,
/// title, state, risk or agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    /// Keys type into the filter (until Enter or Esc).
    pub editing: bool,
}

impl Filter {
    /// Whether a turn passes the filter.
    pub fn matches(&self, t: &Turn) -> bool {
        let hay = format!(
            "{} {} {} {} {} {}",
            t.id,
            t.title,
            t.state.as_str(),
            t.risk.as_str(),
            t.agent,
            t.failure.map(|f| f.shown_as()).unwrap_or_default()
        )
        .to_lowercase();
        self.text
            .to_lowercase()
            .split_whitespace()
            .all(|w| hay.contains(w))
    }
}

/// The turns list's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnList {
    /// The list's filter, when one is set.
    pub filter: Option<Filter>,
    /// The pipeline runs whose passes' turns are listed under their row.
    pub expanded: BTreeSet<String>,
    /// The run whose own row is under the cursor (its current pass's turn
    /// is the one selected).
    pub on_run: Option<String>,
    /// A run started from the console whose first pass has not shown yet:
    /// its row is selected once it has.
    pub pending_run: Option<String>,
}

impl TurnList {
    /// Turns, newest first (those the filter lets through).
    pub fn shown<'a>(&self, ws: &'a Workspace) -> Vec<&'a Turn> {
        let filter = self.filter.as_ref();
        ws.state()
            .turns()
            .iter()
            .rev()
            .filter(|t| filter.is_none_or(|f| f.matches(t)))
            .collect()
    }

    /// The rows, newest first: a pipeline run's turns make one row (where
    /// its first pass's turn would be), followed, when it is expanded, by its passes' turns in
    /// the order they started.
    pub fn entries<'a>(&self, ws: &'a Workspace) -> Vec<Entry<'a>> {
        let state = ws.state();
        let shown = self.shown(ws);
        if state.pipelines().is_empty() {
            return shown.into_iter().map(Entry::Turn).collect();
        }
        let run_of: HashMap<&str, &Pipeline> = state
            .pipelines()
            .iter()
            .flat_map(|p| p.attempts.iter().map(move |a| (a.turn.as_str(), p)))
            .collect();
        // A run's row is where its first pass's turn would be (its oldest
        // shown): it does not move while the run goes on.
        let mut oldest: HashMap<&str, &str> = HashMap::new();
        for t in &shown {
            if let Some(p) = run_of.get(t.id.as_str()) {
                oldest.insert(p.id.as_str(), t.id.as_str());
            }
        }
        let mut out = Vec::with_capacity(shown.len());
        for t in shown {
            let Some(p) = run_of.get(t.id.as_str()) else {
                out.push(Entry::Turn(t));
                continue;
            };
            if oldest.get(p.id.as_str()) != Some(&t.id.as_str()) {
                continue;
            }
            out.push(Entry::Run(p));
            if self.expanded.contains(&p.id) {
                let filter = self.filter.as_ref();
                out.extend(
                    p.attempts
                        .iter()
                        .filter_map(|a| state.turn(&a.turn))
                        .filter(|t| filter.is_none_or(|f| f.matches(t)))
                        .map(|t| Entry::Pass(p, t)),
                );
            }
        }
        out
    }

    /// The row under the cursor: the run's own row while it is on it, else
    /// the selected turn's row, else (the run collapsed) its run's row.
    pub fn position(&self, entries: &[Entry], selected: Option<&str>) -> Option<usize> {
        let sel = selected?;
        let on_run = self.on_run.as_deref().and_then(|run| {
            entries.iter().position(|e| {
                matches!(e, Entry::Run(p) if p.id == run
                    && p.current().is_some_and(|c| c.turn == sel))
            })
        });
        on_run
            .or_else(|| {
                entries
                    .iter()
                    .position(|e| e.turn().is_some_and(|t| t.id == sel))
            })
            .or_else(|| {
                entries.iter().position(
                    |e| matches!(e, Entry::Run(p) if p.attempts.iter().any(|a| a.turn == sel)),
                )
            })
    }

    /// Puts the cursor on row `i`: what selecting it asks for.
    pub fn pick(&mut self, entries: &[Entry], i: usize) -> Option<Effect> {
        let e = entries.get(i)?;
        self.on_run = match e {
            Entry::Run(p) => Some(p.id.clone()),
            _ => None,
        };
        Some(Effect::Select(e.selects()))
    }

    /// Whether keys type into the filter.
    pub fn editing(&self) -> bool {
        self.filter.as_ref().is_some_and(|f| f.editing)
    }

    /// Focus moved on (a click, Tab): the filter stays, typing ends.
    pub fn stop_editing(&mut self) {
        if let Some(f) = &mut self.filter {
            f.editing = false;
        }
    }

    /// An action while the list has focus (or `Filter` from anywhere).
    pub fn handle(&mut self, action: Action, app: &Ctx) -> Outcome {
        if self.editing() {
            let f = self.filter.as_mut().expect("editing");
            match action {
                Action::Type(c) => f.text.push(c),
                Action::Erase => {
                    f.text.pop();
                }
                Action::Confirm => {
                    f.editing = false;
                    if f.text.trim().is_empty() {
                        self.filter = None;
                    }
                }
                Action::Cancel => self.filter = None,
                // Other keys (arrows, Tab, ctrl-c) keep their meaning.
                _ => return self.handle_list(action, app),
            }
            return Outcome::with(vec![Effect::Filtered]);
        }
        self.handle_list(action, app)
    }

    fn handle_list(&mut self, action: Action, app: &Ctx) -> Outcome {
        match action {
            a if is_movement(a) => {
                let entries = self.entries(app.ws);
                let pos = self.position(&entries, app.selected).unwrap_or(0);
                let i = step(a, pos, entries.len(), app.page, false);
                let effect = self.pick(&entries, i).unwrap_or(Effect::Select(None));
                Outcome::with(vec![effect])
            }
            Action::ToggleGroup => {
                let entries = self.entries(app.ws);
                let at = self.position(&entries, app.selected).map(|i| entries[i]);
                let Some(Entry::Run(p) | Entry::Pass(p, _)) = at else {
                    return Outcome::with(vec![Effect::Refuse(
                        "not a pipeline run: space expands or collapses a run's row".into(),
                    )]);
                };
                if !self.expanded.remove(&p.id) {
                    self.expanded.insert(p.id.clone());
                    return Outcome::consumed();
                }
                // Collapsed: the cursor goes to the run's row.
                self.on_run = Some(p.id.clone());
                Outcome::with(vec![Effect::Select(p.current().map(|a| a.turn.clone()))])
            }
            Action::Open => Outcome::with(vec![Effect::Focus(Pane::Detail)]),
            Action::Filter => {
                let f = self.filter.get_or_insert_with(Filter::default);
                f.editing = true;
                Outcome::with(vec![Effect::Focus(Pane::Turns)])
            }
            // Esc with a filter set (and not typed into) clears it.
            Action::Back if self.filter.take().is_some() => Outcome::with(vec![Effect::Filtered]),
            _ => Outcome::ignored(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::TurnList;
    use crate::ui::action::Action;
    use crate::ui::app::testing::{Fixture, app, created, draw, finished};
    use crate::ui::app::{Effect, Pane};

    fn three() -> Fixture {
        app(&[
            created("t1", "fix the parser", "low"),
            finished("t1", 1),
            created("t2", "write docs", "medium"),
            finished("t2", 2),
            created("t3", "parser tests", "high"),
        ])
    }

    fn press(app: &mut crate::ui::app::App, code: KeyCode) {
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    #[test]
    fn typed_text_is_an_action_that_filters_the_list() {
        let mut f = three();
        let app = &mut f.app;
        assert!(draw(app, 100, 30).contains("write docs"));
        app.update(Action::Filter);
        assert!(app.turn_list.editing());
        for c in "parser".chars() {
            let ev = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            assert_eq!(app.typed(&ev), Some(Action::Type(c)));
            app.on_key(ev);
        }
        assert!(!app.quit, "q-like letters type, they do not act");
        let screen = draw(app, 100, 30);
        assert!(screen.contains("Turns 2/3 /parser"), "{screen}");
        let ids: Vec<&str> = app.turns().iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["t3", "t1"]);
        assert!(screen.contains("fix the parser"), "{screen}");
        assert!(screen.contains("parser tests"), "{screen}");
        // Backspace erases; enter ends typing and keeps the filter.
        press(app, KeyCode::Backspace);
        assert_eq!(app.turn_list.filter.as_ref().unwrap().text, "parse");
        press(app, KeyCode::Enter);
        assert!(!app.turn_list.editing());
        assert_eq!(app.focus, Pane::Turns, "enter does not open the turn");
        // Esc (back) clears the filter that is no longer typed into.
        press(app, KeyCode::Esc);
        assert!(app.turn_list.filter.is_none());
        assert!(draw(app, 100, 30).contains("write docs"));
    }

    #[test]
    fn a_filter_keeps_the_selection_on_a_turn_it_shows() {
        let mut f = three();
        let app = &mut f.app;
        assert_eq!(app.selected.as_deref(), Some("t3"));
        app.update(Action::Filter);
        for c in "docs".chars() {
            app.update(Action::Type(c));
        }
        assert_eq!(app.selected.as_deref(), Some("t2"));
        app.update(Action::Cancel);
        assert!(app.turn_list.filter.is_none());
    }

    #[test]
    fn movement_asks_to_select_the_next_shown_turn() {
        let f = three();
        let ctx = f.app.ctx();
        let mut list = TurnList::default();
        let down = list.handle(Action::Down, &ctx);
        assert!(down.consumed);
        assert_eq!(down.effects, [Effect::Select(Some("t2".into()))]);
        assert_eq!(
            list.handle(Action::Bottom, &ctx).effects,
            [Effect::Select(Some("t1".into()))]
        );
        assert_eq!(
            list.handle(Action::Open, &ctx).effects,
            [Effect::Focus(Pane::Detail)]
        );
        assert!(!list.handle(Action::Approve, &ctx).consumed);
    }
}
