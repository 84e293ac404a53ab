//! A pipeline pass's budget, watched while its agent runs: tokens and
//! dollars as the fold adds them up from the journaled usage (see
//! `state/spend.rs`), time by the clock. At 80 % of a budget a
//! `budget_warning` is journaled, once per budget; over a budget the agent
//! is stopped as a cancelled one is, and the pass fails `budget_exceeded`
//! with a reason naming the budget, its limit and what was spent.
//!
//! Time is the agent's: while one of its actions waits for the operator,
//! the pass's clock stops (`[run] timeout` is the wall clock).
//!
//! A cost that is not known (the agent reports none and `[prices]` has no
//! price for its model) cannot be held to a dollar budget: only its
//! tokens and time are.

use std::time::{Duration, Instant};

use super::observer::TurnObserver;
use crate::event::Event;
use crate::model::{BUDGET_WARN_AT, Budget, BudgetKind, FailureClass};

/// How often a pass with a time budget reads the journal for actions of
/// its that wait for the operator (the gate answers in other processes).
const LOOK: Duration = Duration::from_millis(200);

/// What one running pass may spend, and what was said about it so far.
pub(super) struct BudgetWatch {
    budget: Budget,
    begun: Instant,
    warned: Vec<BudgetKind>,
    /// Time its actions waited for the operator, not counted.
    waited: Duration,
    /// Since when one of its actions waits for the operator.
    waiting_since: Option<Instant>,
    /// When the journal was last read for those.
    looked: Option<Instant>,
    /// Why the pass was stopped: "tokens: 162 400 spent of a budget of 150 000".
    pub(super) over: Option<String>,
}

impl BudgetWatch {
    /// A watch over `budget` from now; none when it sets no limit.
    pub(super) fn start(budget: Budget) -> Option<BudgetWatch> {
        (!budget.is_empty()).then(|| BudgetWatch {
            budget,
            begun: Instant::now(),
            warned: Vec::new(),
            waited: Duration::ZERO,
            waiting_since: None,
            looked: None,
            over: None,
        })
    }

    /// The agent's time so far: the clock, less its waits for the operator.
    fn agent_time(&self) -> Duration {
        let waiting = self.waiting_since.map_or(Duration::ZERO, |s| s.elapsed());
        self.begun
            .elapsed()
            .saturating_sub(self.waited)
            .saturating_sub(waiting)
    }

    /// Notes whether an action waits for the operator now.
    fn waiting(&mut self, now: bool) {
        match (self.waiting_since, now) {
            (None, true) => self.waiting_since = Some(Instant::now()),
            (Some(since), false) => {
                self.waited += since.elapsed();
                self.waiting_since = None;
            }
            _ => {}
        }
    }
}

impl TurnObserver<'_> {
    /// Whether the pass went over one of its budgets; journals the first
    /// crossing of 80 % of each. Asked on every line and tick of the run.
    pub(super) fn over_budget(&mut self) -> bool {
        let Some(watch) = &mut self.budget else {
            return false;
        };
        if watch.over.is_some() {
            return true;
        }
        if watch.budget.time.is_some() && watch.looked.is_none_or(|l| l.elapsed() >= LOOK) {
            watch.looked = Some(Instant::now());
            // Another process's gate holds the action: read what it wrote.
            let _ = self.ws.refresh();
            let held = self.ws.state.turn(&self.turn).is_some_and(|t| {
                t.actions
                    .iter()
                    .any(|a| a.needs_approval && a.decision.is_none())
            });
            watch.waiting(held);
        }
        let spent = self.ws.state.turn_spent(&self.turn);
        let mut warnings = Vec::new();
        for (what, limit) in watch.budget.limits() {
            let now = match what {
                BudgetKind::Tokens => Some(spent.tokens as f64),
                BudgetKind::Usd => spent.usd,
                BudgetKind::Time => Some(watch.agent_time().as_secs_f64()),
            };
            let Some(now) = now else { continue };
            if now > limit {
                watch.over = Some(what.over(now, limit));
                break;
            }
            if now >= limit * BUDGET_WARN_AT && !watch.warned.contains(&what) {
                watch.warned.push(what);
                warnings.push(Event::BudgetWarning {
                    turn: self.turn.clone(),
                    what,
                    spent: now,
                    limit,
                });
            }
        }
        if !warnings.is_empty()
            && let Err(e) = self.ws.append(warnings)
        {
            self.ws.notices.push(format!(
                "could not journal a budget warning of {}: {e}",
                self.turn
            ));
        }
        self.budget.as_ref().is_some_and(|w| w.over.is_some())
    }
}

/// The reason of a pass stopped over its budget: the failure's words, then
/// which budget, its limit and what was spent.
pub(super) fn over_budget_reason(reason: &str, over: &str) -> String {
    let prefix = FailureClass::BudgetExceeded.reason_prefix();
    if reason.contains(&prefix) {
        reason.replacen(&prefix, &format!("{prefix}{over}; "), 1)
    } else {
        format!("{prefix}{over}; {reason}")
    }
}
