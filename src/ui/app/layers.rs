//! What lies over the panes: a stack of layers (help, dialogs), the top
//! one getting keys first. A dialog is modal — nothing under it sees a
//! key; help lets the global keys (quit) through.

use super::Dialog;
use super::component::{Effect, Outcome};
use crate::ui::action::Action;

/// A layer over the panes.
// One or two layers are ever open: boxing the dialog would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The keys, scrolled this many lines.
    Help(usize),
    Dialog(Dialog),
}

/// The layers over the panes, bottom first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layers {
    stack: Vec<Overlay>,
}

impl Layers {
    /// Whether nothing lies over the panes.
    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    /// The layer that gets keys first.
    pub fn top(&self) -> Option<&Overlay> {
        self.stack.last()
    }

    /// The layers, bottom first (the order they are drawn in).
    pub fn iter(&self) -> impl Iterator<Item = &Overlay> {
        self.stack.iter()
    }

    /// Opens a dialog on top.
    pub fn open(&mut self, dialog: Dialog) {
        self.stack.push(Overlay::Dialog(dialog));
    }

    /// Shows the help on top.
    pub fn open_help(&mut self) {
        self.stack.push(Overlay::Help(0));
    }

    /// The topmost dialog.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.stack.iter().rev().find_map(|o| match o {
            Overlay::Dialog(d) => Some(d),
            Overlay::Help(_) => None,
        })
    }

    /// The top layer, when it is a dialog.
    pub fn top_dialog_mut(&mut self) -> Option<&mut Dialog> {
        match self.stack.last_mut() {
            Some(Overlay::Dialog(d)) => Some(d),
            _ => None,
        }
    }

    /// Takes the top layer off, when it is a dialog (to handle a key; it
    /// is put back with [`Layers::open`] if it stays).
    pub fn take_dialog(&mut self) -> Option<Dialog> {
        match self.stack.last() {
            Some(Overlay::Dialog(_)) => match self.stack.pop() {
                Some(Overlay::Dialog(d)) => Some(d),
                _ => None,
            },
            _ => None,
        }
    }

    /// The help's scroll, when the help is open.
    pub fn help(&self) -> Option<usize> {
        self.stack.iter().rev().find_map(|o| match o {
            Overlay::Help(s) => Some(*s),
            Overlay::Dialog(_) => None,
        })
    }

    /// An action while the help is on top: it scrolls and closes.
    pub fn handle_help(&mut self, action: Action) -> Outcome {
        let Some(Overlay::Help(scroll)) = self.stack.last_mut() else {
            return Outcome::ignored();
        };
        match action {
            Action::Back | Action::Help | Action::Cancel => {
                self.stack.pop();
            }
            Action::Down => *scroll += 1,
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Quit => return Outcome::with(vec![Effect::Quit]),
            _ => {}
        }
        Outcome::consumed()
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::Overlay;
    use crate::ui::action::Action;
    use crate::ui::app::testing::{app, created, draw, finished};
    use crate::ui::app::{Dialog, Pane};
    use crate::ui::worker::Op;

    fn press(app: &mut crate::ui::app::App, code: KeyCode) {
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    #[test]
    fn a_reason_is_typed_as_actions_and_nothing_under_the_dialog_moves() {
        let mut f = app(&[created("t1", "task", "low"), finished("t1", 1)]);
        let app = &mut f.app;
        app.update(Action::Reject);
        assert!(matches!(app.dialog(), Some(Dialog::Reason { .. })));
        // `q` quits and `j` moves elsewhere: in the dialog they type.
        for c in "qjx".chars() {
            press(app, KeyCode::Char(c));
        }
        press(app, KeyCode::Backspace);
        assert!(!app.quit);
        assert_eq!(app.focus, Pane::Turns);
        match app.dialog() {
            Some(Dialog::Reason { input, .. }) => assert_eq!(input, "qj"),
            d => panic!("{d:?}"),
        }
        let screen = draw(app, 100, 30);
        assert!(screen.contains("qj"), "{screen}");
        press(app, KeyCode::Enter);
        assert!(app.dialog().is_none());
        assert_eq!(app.outbox.ops, [Op::Reject("t1".into(), "qj".into(), None)]);
    }

    #[test]
    fn the_top_layer_gets_keys_first_and_closes_alone() {
        let mut f = app(&[]);
        let app = &mut f.app;
        app.update(Action::Help);
        assert_eq!(
            app.layers(),
            [
                crate::ui::keymap::Layer::Help,
                crate::ui::keymap::Layer::Global
            ]
        );
        app.update(Action::Down);
        assert_eq!(app.help(), Some(1));
        app.layers.open(Dialog::Notice {
            title: "Note".into(),
            lines: vec!["over the help".into()],
        });
        assert_eq!(app.layers(), [crate::ui::keymap::Layer::Dialog]);
        let screen = draw(app, 100, 30);
        assert!(screen.contains("over the help"), "{screen}");
        // Esc closes the dialog; the help under it stays, as it was.
        press(app, KeyCode::Esc);
        assert!(app.dialog().is_none());
        assert_eq!(app.layers.top(), Some(&Overlay::Help(1)));
        app.update(Action::Back);
        assert!(app.layers.is_empty());
        assert!(!app.quit);
    }
}
