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

#[cfg(test)]
mod tests {
    use super::AutonomyPane;
    use crate::model::AutonomyLevel;
    use crate::ui::action::Action;
    use crate::ui::app::testing::{app, draw};
    use crate::ui::app::{Effect, Pane};
    use crate::ui::worker::CLASSES;

    #[test]
    fn a_slider_key_asks_for_the_next_stop_or_says_it_is_there() {
        let f = app(&[]);
        let ctx = f.app.ctx();
        let mut pane = AutonomyPane::default();
        pane.handle(Action::Down, &ctx);
        assert_eq!(pane.sel, 1);
        let class = CLASSES[1];
        let now = f.app.ws.sliders().get(class);
        let i = AutonomyLevel::ALL.iter().position(|l| *l == now).unwrap();
        let out = pane.handle(Action::Right, &ctx);
        assert!(out.consumed);
        match AutonomyLevel::ALL.get(i + 1) {
            Some(next) => assert_eq!(out.effects, [Effect::Slide(class, *next)]),
            None => assert!(matches!(out.effects[..], [Effect::Status(_)])),
        }
        assert!(!pane.handle(Action::Approve, &ctx).consumed);
    }

    #[test]
    fn the_panel_shows_a_slider_per_class_and_takes_the_focus() {
        let mut f = app(&[]);
        let app = &mut f.app;
        app.update(Action::AutonomyPanel);
        assert_eq!(app.focus, Pane::Autonomy);
        let screen = draw(app, 100, 30);
        for class in CLASSES {
            assert!(screen.contains(&class.to_string()), "{class}: {screen}");
        }
        app.update(Action::Bottom);
        assert_eq!(app.autonomy.sel, CLASSES.len() - 1);
    }
}
