//! The agents' own "I need you": Claude's `Notification` hook event and an
//! `AskUserQuestion` tool call each put an entry in the queue of what waits
//! for the operator — an action that needs approval, which no process waits
//! on, dismissed by answering it (`leash allow` or `leash deny`, or the
//! console's keys) — and run the `[notify] command` for it. Codex has no
//! such hook event: its `notify` program only reports a finished turn, which
//! leash already tells as a turn awaiting review.

use serde_json::Value;

use super::{Error, Result, Workspace};
use crate::event::{Event, Needs};
use crate::model::RiskClass;

/// The tool name of a queue entry made from a `Notification` hook event.
pub const NOTIFICATION_TOOL: &str = "Notification";
/// Claude's tool that asks its user a question.
pub const ASK_USER_TOOL: &str = "AskUserQuestion";

/// The question an `AskUserQuestion` call asks: its first question's text.
pub fn question_of(input: &Value) -> String {
    input
        .get("questions")
        .and_then(Value::as_array)
        .and_then(|q| q.first())
        .and_then(|q| q.get("question"))
        .and_then(Value::as_str)
        .or_else(|| input.get("question").and_then(Value::as_str))
        .unwrap_or("a question")
        .to_string()
}

impl Workspace {
    /// The turn an agent's "I need you" belongs to: the isolated turn it
    /// runs in, else its session's running in-place turn, else that
    /// session's latest turn; `None` when the session has none.
    pub(crate) fn needs_you_turn(&self, session: &str, env_turn: Option<&str>) -> Option<String> {
        if let Some(t) = env_turn {
            return self.state.turn(t).map(|t| t.id.clone());
        }
        if let Some(t) = self.state.running_in_place(session) {
            return Some(t.id.clone());
        }
        self.state
            .turns()
            .iter()
            .rev()
            .find(|t| t.session.as_deref() == Some(session))
            .map(|t| t.id.clone())
    }

    /// Puts the agent's "I need you" in the queue as an action of `turn`
    /// that waits for the operator, and notifies. Returns the action's id.
    pub(crate) fn agent_needs_you(
        &mut self,
        turn: &str,
        agent: &str,
        tool: &str,
        summary: &str,
        input: Value,
    ) -> Result<String> {
        let action = self.transact(|state| {
            let t = state
                .turn(turn)
                .ok_or_else(|| Error::UnknownTurn(turn.to_string()))?;
            let action = format!("{turn}.a{}", t.action_count + 1);
            Ok((
                vec![Event::ActionRequested {
                    turn: turn.to_string(),
                    action: action.clone(),
                    tool: tool.to_string(),
                    summary: summary.to_string(),
                    input: crate::agents::run::shorten(&input),
                    risk: RiskClass::Low,
                    needs: Needs::Approval,
                    tool_use_id: None,
                }],
                action,
            ))
        })?;
        let title = format!("leash: {agent} needs you ({turn})");
        self.notify_once(turn, &action, &title, summary);
        Ok(action)
    }
}
