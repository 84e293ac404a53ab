//! What a running agent says, journaled as it says it.

use std::collections::HashMap;
use std::path::Path;

use super::{Result, Workspace};
use crate::agents::adapter::{Item, StreamFormat, Summary, ToolUse, Usage};
use crate::agents::process;
use crate::agents::run::shorten;
use crate::event::Event;
use crate::model::{DecidedBy, RiskClass};
use crate::policy;

/// Turns what a running agent says into journal events as it says it:
/// each tool call is an action (`action_requested`, then `action_done`),
/// token usage is journaled, and an action that writes under a high-risk
/// path or runs a high-risk command raises the turn's class at once.
pub(super) struct TurnObserver<'w> {
    pub(super) ws: &'w mut Workspace,
    pub(super) turn: String,
    pub(super) worktree: String,
    pub(super) parser: Option<Box<dyn StreamFormat>>,
    pub(super) summary: Summary,
    /// Tool calls waiting for their result: tool_use id → (action id, call).
    pub(super) open: HashMap<String, (String, ToolUse)>,
    /// False when the hook gate journals the actions itself.
    pub(super) journal_actions: bool,
    pub(super) risk: RiskClass,
    pub(super) rules: policy::RiskRules,
    pub(super) default_risk: RiskClass,
    pub(super) last_usage: Option<Usage>,
    /// The model the stream named for the session, journaled with usage.
    pub(super) model: Option<String>,
    /// The model the agent's command line asked for: what prices its usage
    /// when the stream names none (Codex's).
    pub(super) argv_model: Option<String>,
    /// A pipeline pass's budget, watched while it runs.
    pub(super) budget: Option<super::budget::BudgetWatch>,
}

impl TurnObserver<'_> {
    fn action_events(&mut self, items: &[Item]) -> Vec<Event> {
        let mut events = Vec::new();
        for item in items {
            match item {
                Item::ToolUse(t) if self.journal_actions => {
                    let n = self.ws.state.turn(&self.turn).map_or(0, |t| t.action_count)
                        + 1
                        + events
                            .iter()
                            .filter(|e| matches!(e, Event::ActionRequested { .. }))
                            .count();
                    let action = format!("{}.a{n}", self.turn);
                    let worktree = Path::new(&self.worktree);
                    let hits = policy::classify_action(
                        &self.rules,
                        self.default_risk,
                        worktree,
                        worktree,
                        &t.tool,
                        &t.paths_written,
                        &t.commands,
                    );
                    let class = hits
                        .iter()
                        .map(|h| h.class)
                        .max()
                        .unwrap_or(self.risk)
                        .max(self.risk);
                    let (to, escalations) = policy::escalate(self.risk, hits);
                    self.risk = to;
                    events.extend(escalations.into_iter().map(|e| Event::RiskEscalated {
                        turn: self.turn.clone(),
                        from: e.from,
                        to: e.to,
                        because: e.because,
                    }));
                    events.push(Event::ActionRequested {
                        turn: self.turn.clone(),
                        action: action.clone(),
                        tool: t.tool.clone(),
                        summary: t.summary.clone(),
                        input: shorten(&t.input),
                        risk: class,
                        needs: crate::event::Needs::None,
                        tool_use_id: Some(t.id.clone()),
                    });
                    self.open.insert(t.id.clone(), (action, t.clone()));
                }
                Item::ToolResult { id, ok, text } => {
                    if let Some((action, t)) = self.open.remove(id) {
                        // The result's text is whole unless it was shortened.
                        let whole = (!text.ends_with(" more chars)"))
                            .then(|| serde_json::Value::String(text.clone()));
                        let prov = self.ws.provenance_of(
                            &self.turn,
                            &t,
                            Some(Path::new(&self.worktree)),
                            whole.as_ref(),
                        );
                        events.push(Event::ActionDone {
                            action,
                            ok: *ok,
                            paths_read: t.paths_read,
                            paths_written: t.paths_written,
                            urls: t.urls,
                            sources: prov.sources,
                            unknown_reads: prov.unknown_reads,
                            written: prov.written,
                        });
                    }
                }
                Item::Session { id, model, .. } => {
                    if let Some(model) = model {
                        self.model = Some(model.clone());
                    }
                    events.push(Event::AgentSession {
                        turn: self.turn.clone(),
                        session: id.clone(),
                    });
                }
                Item::LimitResets(r) => events.push(limit_resets(&self.turn, *r)),
                Item::Failure {
                    class: crate::model::FailureClass::RateLimited,
                    message,
                } => {
                    if let Some(r) = crate::agents::adapter::reset_of(message) {
                        events.push(limit_resets(&self.turn, r));
                    }
                }
                Item::Usage(u) if self.last_usage.as_ref() != Some(u) => {
                    self.last_usage = Some(u.clone());
                    // The agent's own cost, else the config's price for
                    // the model; never a guess.
                    let cost_usd = u.cost_usd.or_else(|| {
                        self.ws.config.price(
                            self.model.as_deref().or(self.argv_model.as_deref()),
                            u.input_tokens,
                            u.output_tokens,
                        )
                    });
                    events.push(Event::Usage {
                        turn: self.turn.clone(),
                        input_tokens: u.input_tokens,
                        output_tokens: u.output_tokens,
                        context_window: u.context_window,
                        model: self.model.clone(),
                        request: u.request.clone(),
                        total: u.total,
                        cost_usd,
                    });
                }
                _ => {}
            }
        }
        events
    }
}

/// `limit_resets` for a reset the agent named just now.
fn limit_resets(turn: &str, r: crate::agents::adapter::Reset) -> Event {
    use crate::agents::adapter::Reset;
    let now = chrono::Utc::now();
    let at = match r {
        Reset::At(secs) => chrono::DateTime::from_timestamp(secs, 0).unwrap_or(now),
        Reset::In(secs) => now + chrono::TimeDelta::seconds(secs.min(i64::MAX as u64 / 2) as i64),
    };
    Event::LimitResets {
        turn: turn.to_string(),
        at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

impl TurnObserver<'_> {
    /// The agent refused the tool call `id` by its own rules: when leash
    /// had let it through (allowed or deferred), that refusal is what
    /// happened to it, journaled as a deny by the agent. A call leash
    /// denied itself, or one already refused, is left as it is.
    ///
    /// Claude's stream names the call by the id its hooks saw; Codex's
    /// stream has ids of its own, so its refusal is matched to the latest
    /// open action of the same tool (and, for a command, the same line).
    fn refused(&mut self, id: &str, tool: &str, summary: &str, message: &str) -> Result<()> {
        use crate::event::ActionDecision;
        let turn = self.turn.clone();
        self.ws.transact(|state| {
            let open = |a: &&crate::state::ActionInfo| {
                a.done.is_none()
                    && a.decision
                        .as_ref()
                        .is_none_or(|d| d.decision != ActionDecision::Deny)
            };
            let action = state.turn(&turn).and_then(|t| {
                let by_id = t
                    .actions
                    .iter()
                    .rev()
                    .find(|a| !id.is_empty() && a.tool_use_id.as_deref() == Some(id));
                match by_id {
                    Some(a) => Some(a).filter(|a| {
                        a.decision
                            .as_ref()
                            .is_none_or(|d| d.decision != ActionDecision::Deny)
                    }),
                    None => t.actions.iter().rev().filter(open).find(|a| {
                        a.tool == tool && (tool == "apply_patch" || a.summary == summary)
                    }),
                }
            });
            let Some(a) = action else {
                return Ok((vec![], ()));
            };
            Ok((
                vec![Event::ActionDecided {
                    action: a.id.clone(),
                    decision: crate::event::ActionDecision::Deny,
                    by: DecidedBy::Agent,
                    reason: Some(crate::agents::adapter::shorten(message, 400)),
                    receipt: None,
                }],
                (),
            ))
        })
    }
}

impl process::Observer for TurnObserver<'_> {
    fn started(&mut self, agent_pid: u32, agent_start: Option<u64>) {
        let me = std::process::id();
        let started = Event::TurnStarted {
            turn: self.turn.clone(),
            supervisor_pid: me,
            supervisor_start: process::start_time(me),
            agent_pid,
            agent_start,
            worktree: Some(self.worktree.clone()),
        };
        if let Err(e) = self.ws.append(vec![started]) {
            self.ws
                .notices
                .push(format!("could not journal the start of {}: {e}", self.turn));
        }
    }

    fn stop(&mut self) -> bool {
        self.over_budget()
    }

    fn line(&mut self, line: &str) {
        let Some(parser) = &self.parser else { return };
        let items = parser.parse_line(line);
        self.summary.feed(&items);
        let events = self.action_events(&items);
        if !events.is_empty()
            && let Err(e) = self.ws.append(events)
        {
            self.ws
                .notices
                .push(format!("could not journal an action of {}: {e}", self.turn));
        }
        for item in &items {
            if let Item::Refused {
                id,
                tool,
                summary,
                message,
            } = item
                && let Err(e) = self.refused(id, tool, summary, message)
            {
                self.ws.notices.push(format!(
                    "could not journal the agent's refusal in {}: {e}",
                    self.turn
                ));
            }
        }
    }
}
