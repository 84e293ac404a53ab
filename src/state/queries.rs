//! Questions asked of the folded state: what waits for the operator, an
//! action by id, a session's running in-place turn; how a turn was confined.

use super::{ActionInfo, Confinement, State, Turn, action_index};
use crate::model::{TurnKind, TurnState};

impl State {
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

impl Confinement {
    /// One line for a person: "yes, by Landlock ABI 7 (13 writable paths);
    /// network denied except TCP 443" or "NO — why".
    pub fn summary(&self) -> String {
        let mut s = if self.confined {
            format!(
                "yes, by Landlock ABI {} ({})",
                self.abi.unwrap_or(0),
                crate::words::count(self.writable.len(), "writable path")
            )
        } else {
            "NO".to_string()
        };
        if let Some(ports) = &self.connect_ports {
            s.push_str(&format!(
                "; network denied except TCP {}",
                crate::words::ports_text(ports)
            ));
        }
        if let Some(w) = &self.warning {
            s.push_str(&format!(" — {w}"));
        }
        s
    }
}
