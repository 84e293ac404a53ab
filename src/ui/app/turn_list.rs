//! The turns list: which turns it shows (its filter, typed in place) and
//! moving the selection through them.

use super::Pane;
use super::component::{Ctx, Effect, Outcome, is_movement, step};
use crate::state::Turn;
use crate::ui::action::Action;
use crate::workspace::Workspace;

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
}

impl TurnList {
    /// Turns, newest first (those the filter lets through).
    pub fn shown<'a>(&self, ws: &'a Workspace) -> Vec<&'a Turn> {
        let filter = self.filter.as_ref();
        ws.state
            .turns()
            .iter()
            .rev()
            .filter(|t| filter.is_none_or(|f| f.matches(t)))
            .collect()
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
                let ids: Vec<String> = self.shown(app.ws).iter().map(|t| t.id.clone()).collect();
                let pos = app
                    .selected
                    .and_then(|s| ids.iter().position(|i| i == s))
                    .unwrap_or(0);
                let next = ids.get(step(a, pos, ids.len(), app.page, false)).cloned();
                Outcome::with(vec![Effect::Select(next)])
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
