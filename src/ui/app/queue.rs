//! The queue of what waits for the operator: held actions and turns
//! awaiting review, by risk then age; its cursor stays on its entry while
//! entries come and go, and with the queue focused the selection is the
//! entry under it.

use super::component::{Ctx, Effect, Outcome, is_movement, step};
use super::{Pane, Status};
use crate::model::TurnState;
use crate::state::Turn;
use crate::ui::action::Action;
use crate::workspace::Workspace;

/// An entry of the queue of what waits for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    /// A tool call held by the hook gate until the operator answers.
    Action { turn: String, action: String },
    /// A turn awaiting review.
    Turn(String),
}

impl Waiting {
    /// The turn the entry belongs to.
    pub fn turn(&self) -> &str {
        match self {
            Waiting::Action { turn, .. } | Waiting::Turn(turn) => turn,
        }
    }
}

/// What waits for the operator: turns awaiting review, highest risk
/// first, then oldest first.
pub fn review_queue(ws: &Workspace) -> Vec<&Turn> {
    let mut q: Vec<&Turn> = ws
        .state()
        .turns()
        .iter()
        .filter(|t| t.state == TurnState::AwaitingReview && t.pending.is_none())
        .collect();
    q.sort_by(|a, b| b.risk.cmp(&a.risk).then(a.created.cmp(&b.created)));
    q
}

/// Everything that waits for the operator — held actions and turns
/// awaiting review alike — highest risk first, then oldest first (an
/// action by when it was asked for, a turn by when it was created).
pub fn waiting(ws: &Workspace) -> Vec<Waiting> {
    let actions = ws.state().waiting_actions().into_iter().map(|(t, a)| {
        let w = Waiting::Action {
            turn: t.id.clone(),
            action: a.id.clone(),
        };
        (a.risk, a.requested.as_str(), w)
    });
    let turns = review_queue(ws)
        .into_iter()
        .map(|t| (t.risk, t.created.as_str(), Waiting::Turn(t.id.clone())));
    let mut all: Vec<_> = actions.chain(turns).collect();
    all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    all.into_iter().map(|(_, _, w)| w).collect()
}

/// The queue pane's own state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueuePane {
    /// The cursor's row.
    pub sel: usize,
    /// The entry under the cursor, so the cursor stays on it while
    /// entries come and go (and goes to the head when it is decided).
    entry: Option<Waiting>,
}

impl QueuePane {
    /// An action while the queue has focus.
    pub fn handle(&mut self, action: Action, app: &Ctx) -> Outcome {
        match action {
            a if is_movement(a) => {
                let waiting = waiting(app.ws);
                let ids: Vec<String> = waiting.iter().map(|w| w.turn().to_string()).collect();
                self.sel = step(a, self.sel, ids.len(), app.page, false);
                self.entry = waiting.get(self.sel).cloned();
                let next = ids.get(self.sel).cloned();
                if next.is_some() {
                    return Outcome::with(vec![Effect::Select(next)]);
                }
                Outcome::consumed()
            }
            // A waiting turn opens on the review screen; a held action's
            // turn in the detail pane.
            Action::Open => match waiting(app.ws).get(self.sel) {
                Some(Waiting::Turn(id)) => Outcome::with(vec![Effect::Review(id.clone())]),
                _ => Outcome::with(vec![Effect::Focus(Pane::Detail)]),
            },
            _ => Outcome::ignored(),
        }
    }

    /// With the queue focused, the detail pane shows the queue's entry: what
    /// a decision would apply to is always what is on screen. The cursor
    /// stays on its entry as others come and go; when its entry is decided
    /// or removed, it goes to the head. The turn to select, if any.
    pub fn follow(&mut self, app: &Ctx) -> Option<String> {
        if app.focus != Pane::Queue {
            return None;
        }
        let waiting = waiting(app.ws);
        let at = self
            .entry
            .as_ref()
            .and_then(|e| waiting.iter().position(|w| w == e))
            .unwrap_or(0);
        self.sel = at;
        self.entry = waiting.get(at).cloned();
        self.entry.as_ref().map(|w| w.turn().to_string())
    }

    /// Focus entered the waiting queue: its cursor goes to its head — what
    /// waits first, the riskiest — and the selection becomes that entry,
    /// said in the status line, never silently.
    pub fn enter(&mut self, app: &Ctx) -> Vec<Effect> {
        let Some(head) = waiting(app.ws).first().cloned() else {
            return vec![Effect::Status(Status {
                text: "nothing waits for you".into(),
                error: false,
            })];
        };
        self.sel = 0;
        self.entry = Some(head.clone());
        let id = head.turn().to_string();
        if app.selected != Some(id.as_str()) {
            let was = app.selected.unwrap_or("nothing").to_string();
            return vec![
                Effect::Status(Status {
                    text: format!("{id} selected (was {was}): it heads the waiting queue"),
                    error: false,
                }),
                Effect::Select(Some(id)),
            ];
        }
        Vec::new()
    }

    /// A decision went through: the selection moves to what waits next
    /// (the queue's head), so the next decision starts from there.
    pub fn to_head(&mut self, app: &Ctx) -> Option<String> {
        let head = waiting(app.ws).first().cloned()?;
        self.sel = 0;
        self.entry = Some(head.clone());
        Some(head.turn().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{QueuePane, Waiting, waiting};
    use crate::ui::action::Action;
    use crate::ui::app::testing::{app, created, draw, finished};
    use crate::ui::app::{Effect, Pane};

    fn two_waiting() -> crate::ui::app::testing::Fixture {
        app(&[
            created("t1", "small change", "low"),
            finished("t1", 1),
            created("t2", "risky change", "high"),
            finished("t2", 3),
            created("t3", "still running", "low"),
        ])
    }

    #[test]
    fn the_riskiest_waits_first_and_entering_the_queue_selects_it() {
        let mut f = two_waiting();
        let app = &mut f.app;
        assert_eq!(
            waiting(&app.ws),
            [Waiting::Turn("t2".into()), Waiting::Turn("t1".into())]
        );
        assert_eq!(app.selected.as_deref(), Some("t3"));
        app.update(Action::NextPane);
        assert_eq!(app.focus, Pane::Queue);
        assert_eq!(app.selected.as_deref(), Some("t2"), "the head is selected");
        assert!(app.status.as_ref().unwrap().text.contains("was t3"));
        let screen = draw(app, 100, 30);
        assert!(screen.contains("Waiting for you"), "{screen}");
        let row = |s: &str, what: &str| s.lines().position(|l| l.contains(what));
        assert!(row(&screen, "risky change") < row(&screen, "small change"));
    }

    #[test]
    fn held_actions_and_waiting_turns_are_one_queue_by_risk_then_age() {
        let at = |mut e: serde_json::Value, ts: &str| {
            e["ts"] = serde_json::json!(format!("2026-01-02T03:{ts}Z"));
            e
        };
        let held = |turn: &str, action: &str, risk: &str, ts: &str| {
            at(
                serde_json::json!({"kind": "action_requested", "turn": turn, "action": action,
                    "tool": "Bash", "summary": action, "input": {"command": "x"},
                    "risk": risk, "needs": "approval"}),
                ts,
            )
        };
        let f = app(&[
            at(created("t1", "old low", "low"), "00:00"),
            at(finished("t1", 1), "00:01"),
            at(created("t2", "new high", "high"), "02:00"),
            at(finished("t2", 1), "02:01"),
            at(created("t3", "old high", "high"), "01:00"),
            at(finished("t3", 1), "01:01"),
            at(created("t4", "running", "low"), "00:30"),
            held("t4", "t4.a1", "medium", "00:40"),
            held("t4", "t4.a2", "high", "01:30"),
            held("t4", "t4.a3", "low", "00:45"),
        ]);
        let action = |a: &str| Waiting::Action {
            turn: "t4".into(),
            action: a.into(),
        };
        assert_eq!(
            waiting(&f.app.ws),
            [
                Waiting::Turn("t3".into()),
                action("t4.a2"),
                Waiting::Turn("t2".into()),
                action("t4.a1"),
                Waiting::Turn("t1".into()),
                action("t4.a3"),
            ]
        );
    }

    #[test]
    fn the_cursor_moves_and_asks_for_its_entry_s_turn() {
        let mut f = two_waiting();
        f.app.focus = Pane::Queue;
        let ctx = f.app.ctx();
        let mut q = QueuePane::default();
        let out = q.handle(Action::Down, &ctx);
        assert_eq!(q.sel, 1);
        assert_eq!(out.effects, [Effect::Select(Some("t1".into()))]);
        // Its entry is followed while others come and go; the head after.
        assert_eq!(q.follow(&ctx), Some("t1".into()));
        assert_eq!(q.to_head(&ctx), Some("t2".into()));
        assert_eq!(q.sel, 0);
    }
}
