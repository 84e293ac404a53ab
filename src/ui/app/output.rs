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

#[cfg(test)]
mod tests {
    use super::OutputView;
    use crate::ui::action::Action;
    use crate::ui::app::Effect;
    use crate::ui::app::testing::{app, created, draw, finished};
    use crate::ui::transcript::{Format, render};
    use crate::ui::worker::{Done, OutputWindow};

    fn window(lines: usize, start: u64) -> OutputWindow {
        let text: String = (1..=lines).map(|i| format!("line {i}\n")).collect();
        OutputWindow {
            start,
            end: start + text.len() as u64,
            file_len: start + text.len() as u64,
            rendered: render(text.as_bytes(), Format::Raw, None),
        }
    }

    #[test]
    fn up_reads_older_lines_and_at_the_window_s_top_asks_for_the_one_before() {
        let mut out = OutputView::new();
        out.window = window(10, 0);
        assert!(out.scroll(Action::Up, false, 4).effects.is_empty());
        assert_eq!((out.from_bottom, out.follow), (1, false));
        out.scroll(Action::Down, false, 4);
        assert_eq!((out.from_bottom, out.follow), (0, true));
        // The window does not start the log: its top reads the one before.
        out.window = window(10, 500);
        let top = out.scroll(Action::Top, false, 4);
        assert_eq!(top.effects, [Effect::Output(Some(500))]);
        assert_eq!(out.from_bottom, 0);
    }

    #[test]
    fn follow_toggles_and_asks_for_the_newest_output() {
        let mut out = OutputView::new();
        assert!(out.toggle_follow().effects.is_empty());
        assert!(!out.follow);
        assert_eq!(out.toggle_follow().effects, [Effect::Output(None)]);
    }

    #[test]
    fn the_tab_says_what_it_waits_for_then_shows_the_newest_lines() {
        let mut f = app(&[created("t1", "task", "low"), finished("t1", 1)]);
        let app = &mut f.app;
        assert!(draw(app, 100, 20).contains("reading output…"));
        app.on_done(Done::Output {
            turn: "t1".into(),
            window: OutputWindow::default(),
        });
        assert!(draw(app, 100, 20).contains("the agent printed nothing"));
        app.on_done(Done::Output {
            turn: "t1".into(),
            window: window(40, 0),
        });
        let screen = draw(app, 100, 20);
        assert!(screen.contains("line 40"), "{screen}");
        assert!(!screen.contains("line 1\n"), "{screen}");
    }
}
