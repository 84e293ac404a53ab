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
