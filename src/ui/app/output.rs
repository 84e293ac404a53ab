//! The Output tab's state: the window of the selected turn's output read
//! so far, how far it is scrolled up from the end, and whether it follows.

use super::component::{Effect, Outcome};
use crate::ui::action::Action;
use crate::ui::worker::OutputWindow;

/// The output of the selected turn.
#[derive(Debug, Default)]
pub struct OutputView {
    pub window: OutputWindow,
    /// Lines scrolled up from the end of the window.
    pub from_bottom: usize,
    pub follow: bool,
    pub loaded: bool,
}

impl OutputView {
    /// An output not read yet, following its end.
    pub fn new() -> OutputView {
        OutputView {
            follow: true,
            ..OutputView::default()
        }
    }

    /// The output lines shown: tool inputs folded or in full.
    pub fn lines(&self, expand: bool) -> Vec<&crate::ui::transcript::OutLine> {
        self.window
            .rendered
            .lines
            .iter()
            .filter(|l| l.fold.shows(expand))
            .collect()
    }

    /// A movement key: output scrolls from the bottom, so up means older;
    /// at the top of the window, the window before is read from disk.
    pub fn scroll(&mut self, action: Action, expand: bool, page: usize) -> Outcome {
        let page = page.max(1);
        let len = self.lines(expand).len();
        // Output scrolls from the bottom: up means older.
        let inverted = match action {
            Action::Up => Action::Down,
            Action::Down => Action::Up,
            Action::PageUp => Action::PageDown,
            Action::PageDown => Action::PageUp,
            Action::Top => Action::Bottom,
            _ => Action::Top,
        };
        let from_bottom = match inverted {
            Action::Up => self.from_bottom.saturating_sub(1),
            Action::Down => (self.from_bottom + 1).min(len.saturating_sub(1)),
            Action::PageUp => self.from_bottom.saturating_sub(page),
            Action::PageDown => (self.from_bottom + page).min(len.saturating_sub(1)),
            Action::Top => 0,
            _ => len.saturating_sub(1),
        };
        self.from_bottom = from_bottom;
        self.follow = from_bottom == 0;
        let at_top = len > 0 && from_bottom + page >= len;
        if at_top && self.window.start > 0 {
            // Older output lives on disk: read the window before.
            self.from_bottom = 0;
            return Outcome::with(vec![Effect::Output(Some(self.window.start))]);
        }
        Outcome::consumed()
    }

    /// `f`: follow the end of the output, or stop following it.
    pub fn toggle_follow(&mut self) -> Outcome {
        self.follow = !self.follow;
        if self.follow {
            self.from_bottom = 0;
            return Outcome::with(vec![Effect::Output(None)]);
        }
        Outcome::consumed()
    }
}
