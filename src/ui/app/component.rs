//! What every pane of the console shares: the context it reads while it
//! handles an action, and the outcome it answers with. A pane changes only
//! its own state; whatever else must change (the selection, the focus, the
//! status line, a job, a slider) it asks for as an [`Effect`], which the
//! app carries out after the pane is done.

use crate::model::{AutonomyLevel, RiskClass};
use crate::ui::action::Action;
use crate::ui::theme::Theme;
use crate::workspace::Workspace;

use super::{Pane, Status};

/// What a pane sees of the rest of the console while it handles an action
/// (named `app` where it is used, as it is the app seen from a pane).
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub ws: &'a Workspace,
    pub theme: &'a Theme,
    /// The selected turn, by id.
    pub selected: Option<&'a str>,
    pub focus: Pane,
    /// Height of the detail pane's body at the last frame, for paging.
    pub page: usize,
}

impl Ctx<'_> {
    /// The selected turn.
    pub fn current(&self) -> Option<&crate::state::Turn> {
        self.selected.and_then(|id| self.ws.state().turn(id))
    }
}

/// Something a pane asks the app to do once it has handled an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Select a turn, by id (none: nothing is selected).
    Select(Option<String>),
    /// Move the focus.
    Focus(Pane),
    /// Show a turn, by id, on the review screen.
    Review(String),
    /// Say something in the status line.
    Status(Status),
    /// Say why something cannot be done (an error in the status line).
    Refuse(String),
    /// Read the selected turn's output again: the newest window, or the
    /// one ending at a byte offset (older output).
    Output(Option<u64>),
    /// Move a risk class's slider (asks first when it should).
    Slide(RiskClass, AutonomyLevel),
    /// The turns list's filter changed: keep the selection on a turn the
    /// list shows.
    Filtered,
    /// Ask the worker for something (a blame, a source's text).
    Job(crate::ui::worker::Job),
    /// Leave the console.
    Quit,
}

/// A pane's answer to an action: whether it took it (then nothing below
/// sees it) and what it asks of the app.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub consumed: bool,
    pub effects: Vec<Effect>,
}

impl Outcome {
    /// The action is not the pane's: the next one down sees it.
    pub fn ignored() -> Outcome {
        Outcome::default()
    }

    /// The action was taken, with nothing to ask.
    pub fn consumed() -> Outcome {
        Outcome {
            consumed: true,
            effects: Vec::new(),
        }
    }

    /// The action was taken, with these effects.
    pub fn with(effects: Vec<Effect>) -> Outcome {
        Outcome {
            consumed: true,
            effects,
        }
    }
}

/// A cursor moved by a movement action (up, down, a page, the ends) over
/// `len` rows. A text pane (`text`) scrolls no further than its last page:
/// End shows the last lines at the bottom, not one line atop an empty pane.
pub fn step(action: Action, pos: usize, len: usize, page: usize, text: bool) -> usize {
    let page = page.max(1);
    let last = if text {
        len.saturating_sub(page)
    } else {
        len.saturating_sub(1)
    };
    match action {
        Action::Up => pos.saturating_sub(1),
        Action::Down => (pos + 1).min(last).max(pos),
        Action::PageUp => pos.saturating_sub(page),
        Action::PageDown => (pos + page).min(last).max(pos),
        Action::Top => 0,
        _ => last,
    }
}

/// Whether an action moves a cursor.
pub fn is_movement(action: Action) -> bool {
    matches!(
        action,
        Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_stops_at_its_last_row_and_text_at_its_last_page() {
        assert_eq!(step(Action::Bottom, 0, 10, 4, false), 9);
        assert_eq!(step(Action::Bottom, 0, 10, 4, true), 6);
        assert_eq!(step(Action::Down, 9, 10, 4, false), 9);
        assert_eq!(step(Action::PageDown, 0, 10, 4, false), 4);
        assert_eq!(step(Action::PageUp, 3, 10, 4, false), 0);
        assert_eq!(step(Action::Top, 7, 10, 4, true), 0);
        // Scrolled past the last page (the text shrank): down stays.
        assert_eq!(step(Action::Down, 8, 10, 4, true), 8);
    }
}
