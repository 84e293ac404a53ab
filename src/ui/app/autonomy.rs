//! The autonomy panel: a slider per risk class; ←/→ move the one under the
//! cursor a stop (the app asks first when the move deserves it).

use super::Status;
use super::component::{Ctx, Effect, Outcome, is_movement, step};
use crate::model::AutonomyLevel;
use crate::ui::action::Action;
use crate::ui::worker::CLASSES;

/// The autonomy panel's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutonomyPane {
    /// The slider under the cursor (an index into `CLASSES`).
    pub sel: usize,
}

impl AutonomyPane {
    /// An action while the panel has focus (or a slider key from anywhere,
    /// which focuses it first).
    pub fn handle(&mut self, action: Action, app: &Ctx) -> Outcome {
        match action {
            a if is_movement(a) => {
                self.sel = step(a, self.sel, CLASSES.len(), app.page, false);
                Outcome::consumed()
            }
            Action::Left | Action::SliderLeft => Outcome::with(self.move_slider(false, app)),
            Action::Right | Action::SliderRight => Outcome::with(self.move_slider(true, app)),
            _ => Outcome::ignored(),
        }
    }

    fn move_slider(&self, up: bool, app: &Ctx) -> Vec<Effect> {
        let class = CLASSES[self.sel.min(CLASSES.len() - 1)];
        let now = app.ws.sliders().get(class);
        let i = AutonomyLevel::ALL
            .iter()
            .position(|l| *l == now)
            .unwrap_or(0);
        let j = if up {
            (i + 1).min(AutonomyLevel::ALL.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        if i == j {
            return vec![Effect::Status(Status {
                text: format!("{class} is already at {now}"),
                error: false,
            })];
        }
        vec![Effect::Slide(class, AutonomyLevel::ALL[j])]
    }
}
