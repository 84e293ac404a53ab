//! The review screen: one screen per decision. Opened on a turn (`enter`
//! on a waiting turn in the queue, `v` on the queue or the turns list), it
//! puts what the decision needs above the turn's tabs at full width — the
//! summary of `views/review.rs` — with the Diff tab shown from its first
//! hunk and focused, so that its keys (`space`, `v`, `C`, `A`, `a`, `r`)
//! work as in the Detail pane. `esc` goes back to the pane it came from;
//! a decision moves it on to what waits next.

use super::{App, Pane, Status, Tab};

/// The review screen's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewScreen {
    /// The pane it was opened from, while it is open.
    from: Option<Pane>,
    /// The diff's cursor goes to its first hunk when the diff arrives.
    pub(super) first_hunk: bool,
}

impl ReviewScreen {
    /// Whether the review screen is shown.
    pub fn is_open(&self) -> bool {
        self.from.is_some()
    }
}

impl App {
    /// `v` (or `enter` on a waiting turn): the review screen of the turn
    /// the action applies to.
    pub(super) fn open_review(&mut self) {
        let Some(t) = self.target() else {
            return self.refuse("no turn selected".into());
        };
        self.review_turn(t.id);
    }

    /// Shows `id` on the review screen, its diff from the first hunk.
    pub(super) fn review_turn(&mut self, id: String) {
        if !self.review.is_open() {
            self.review.from = Some(self.focus);
        }
        self.select(Some(id));
        self.focus = Pane::Detail;
        self.detail.tab = Tab::Diff;
        if self.detail.diff.files.is_some() {
            self.detail.diff.cursor_to_first_hunk();
        } else {
            self.review.first_hunk = true;
        }
    }

    /// `esc` on the review screen: back to the pane it was opened from.
    pub(super) fn close_review(&mut self) {
        if let Some(from) = self.review.from.take() {
            self.focus = from;
        }
        self.review.first_hunk = false;
    }

    /// A decision went through on the review screen: the next waiting
    /// turn is reviewed, or the screen closes when no turn waits.
    pub(super) fn review_next(&mut self) {
        if !self.review.is_open() {
            return;
        }
        let next = self.queue().first().map(|t| t.id.clone());
        match next {
            Some(id) => {
                self.review_turn(id.clone());
                self.status = Some(Status {
                    text: format!("reviewing {id}, next in the queue (esc leaves the review)"),
                    error: false,
                });
            }
            None => self.close_review(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::action::Action;
    use crate::ui::app::testing::{app, created, draw, finished};
    use crate::ui::app::{Pane, Tab};

    #[test]
    fn what_an_agent_controls_reaches_the_review_screen_as_markers() {
        let mut created = created("t1", "fine \u{1b}[2Jtitle", "high");
        created["prompt"] = serde_json::json!("line one\nline \u{7}two \u{202e}evil");
        created["agent"] = serde_json::json!("demo\u{1b}]0;x\u{7}");
        let mut finished = finished("t1", 1);
        finished["paths"] = serde_json::json!(["a\u{200b}b.md"]);
        let mut f = app(&[created, finished]);
        let app = &mut f.app;
        app.update(Action::Review);
        let screen = draw(app, 120, 40);
        assert!(
            !screen.contains(['\u{1b}', '\u{7}', '\u{202e}', '\u{200b}']),
            "{screen}"
        );
        assert!(screen.contains("line one line"), "{screen}");
        assert!(screen.contains("<RLO>evil"), "{screen}");
        assert!(
            screen.contains("files       1 file +1 −0  a<ZWSP>b.md"),
            "{screen}"
        );
    }

    #[test]
    fn v_opens_the_review_of_the_selected_turn_and_esc_goes_back() {
        let mut f = app(&[
            created("t1", "small change", "low"),
            finished("t1", 1),
            created("t2", "risky change", "high"),
            finished("t2", 1),
        ]);
        let app = &mut f.app;
        app.update(Action::NextPane);
        assert_eq!(app.focus, Pane::Queue);
        app.update(Action::Down);
        assert_eq!(app.selected.as_deref(), Some("t1"));
        app.update(Action::Open);
        assert!(app.review.is_open());
        assert_eq!((app.focus, app.tab()), (Pane::Detail, Tab::Diff));
        assert_eq!(app.selected.as_deref(), Some("t1"));
        let screen = draw(app, 120, 40);
        assert!(screen.contains("Review t1"), "{screen}");
        assert!(!screen.contains("Waiting for you"), "{screen}");
        app.update(Action::Back);
        assert!(!app.review.is_open());
        assert_eq!(app.focus, Pane::Queue);
        // From the turns list too.
        app.focus = Pane::Turns;
        app.update(Action::Review);
        assert!(app.review.is_open());
        app.update(Action::NextPane);
        assert!(!app.review.is_open(), "tab leaves the review for the panes");
        assert_eq!(app.focus, Pane::Queue);
        app.update(Action::Review);
        app.update(Action::AutonomyPanel);
        assert!(!app.review.is_open(), "so does any key to another pane");
        assert_eq!(app.focus, Pane::Autonomy);
    }
}
