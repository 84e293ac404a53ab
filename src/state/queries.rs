//! Questions asked of the folded state: what waits for the operator, an
//! action by id, a session's running in-place turn; how a turn was confined.

use super::{ActionInfo, State, Turn, action_index};
use crate::model::{TurnKind, TurnState};

impl State {
    /// The turns that follow turn `id` up (`leash revise`, `leash
    /// resume`), oldest first.
    pub fn followers(&self, id: &str) -> Vec<&Turn> {
        self.turns
            .iter()
            .filter(|t| t.follows.as_ref().is_some_and(|f| f.parent == id))
            .collect()
    }
    /// Actions waiting for the operator: asked for approval, not yet
    /// answered, oldest first.
    pub fn waiting_actions(&self) -> Vec<(&Turn, &ActionInfo)> {
        self.turns
            .iter()
            .flat_map(|t| t.actions.iter().map(move |a| (t, a)))
            .filter(|(_, a)| a.needs_approval && a.decision.is_none())
            .collect()
    }

    /// One action by id (`t5.a2`), with its turn.
    pub fn action(&self, id: &str) -> Option<(&Turn, &ActionInfo)> {
        let turn = self.turn(id.split('.').next()?)?;
        action_index(&turn.actions, id).map(|i| (turn, &turn.actions[i]))
    }

    /// The running in-place turn of an agent session, if any.
    pub fn running_in_place(&self, session: &str) -> Option<&Turn> {
        self.turns.iter().rev().find(|t| {
            t.kind == TurnKind::InPlace
                && t.state == TurnState::Running
                && t.session.as_deref() == Some(session)
        })
    }
}
