//! What turns and pipeline runs spent, folded from the journal's `usage`
//! events, and the budget warnings journaled while a pass runs.
//!
//! **Tokens spent** are the tokens billed: the sum over the model requests
//! of a turn of their prompt tokens (cached ones included) and generated
//! tokens. While a Claude turn runs, each request's usage arrives with its
//! message id, on every content block of that message: lines naming the
//! same request replace its count rather than add to it. The run's total
//! (Claude's result line) arrives at the end and replaces the sum. Codex
//! reports one usage per turn of its conversation (`turn.completed`):
//! those add up. An agent without a stream reports nothing: zero tokens,
//! cost unknown.
//!
//! **Dollars spent** are the cost each usage was journaled with: the
//! agent's own (Claude's `total_cost_usd`), else the config's `[prices]`
//! for the model the stream named; unknown (`None`) as soon as one counted
//! usage had neither.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::State;
use crate::event::Event;
use crate::model::{Budget, BudgetKind};
use crate::state::Pipeline;

/// Tokens and dollars spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spent {
    /// Tokens billed: prompt plus generated, over every request.
    pub tokens: u64,
    /// Dollars, when every counted usage had a known cost; `None` while
    /// nothing was reported or when one usage could not be priced.
    pub usd: Option<f64>,
}

impl Spent {
    /// The largest share of `budget`'s tokens and dollars this is (1.0 is
    /// all of it); `None` when neither is set (or only dollars, at an
    /// unknown cost). Time is the supervisor's to measure.
    pub fn share_of(&self, budget: &Budget) -> Option<f64> {
        let tokens = budget.tokens.map(|l| self.tokens as f64 / l as f64);
        let usd = budget.usd.zip(self.usd).map(|(l, u)| u / l);
        match (tokens, usd) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Both together; a part that spent nothing at an unknown cost does
    /// not make the whole unknown.
    pub fn plus(self, other: Spent) -> Spent {
        let usd = match (self.usd, other.usd) {
            (Some(a), Some(b)) => Some(a + b),
            (a, None) if other.tokens == 0 => a,
            (None, b) if self.tokens == 0 => b,
            _ => None,
        };
        Spent {
            tokens: self.tokens.saturating_add(other.tokens),
            usd,
        }
    }
}

/// A turn's spending as folded so far (see the module's comment).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TurnSpend {
    /// Tokens of every usage counted but the latest request's.
    #[serde(default)]
    tokens: u64,
    /// Their dollars, where known.
    #[serde(default)]
    usd: f64,
    /// Whether one of them had no known cost.
    #[serde(default)]
    unpriced: bool,
    /// Whether any usage was reported at all.
    #[serde(default)]
    reported: bool,
    /// The latest request: its id, tokens and cost so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last: Option<(String, u64, Option<f64>)>,
    /// The budgets it crossed 80 % of, in order (`budget_warning`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<BudgetWarned>,
}

/// A budget a running pass crossed 80 % of.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BudgetWarned {
    pub what: BudgetKind,
    /// What was spent when it was crossed (seconds for time).
    pub spent: f64,
    pub limit: f64,
}

/// "tokens at 80 %: 116 800 of 140 000".
impl std::fmt::Display for BudgetWarned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at 80 %: {} of {}",
            self.what,
            self.what.show(self.spent),
            self.what.show(self.limit)
        )
    }
}

impl TurnSpend {
    /// Folds a `usage` or `budget_warning` event; any other event changes
    /// nothing.
    pub(super) fn fold(&mut self, event: &Event) {
        match event {
            Event::BudgetWarning {
                what, spent, limit, ..
            } if !self.warnings.iter().any(|w| w.what == *what) => {
                self.warnings.push(BudgetWarned {
                    what: *what,
                    spent: *spent,
                    limit: *limit,
                });
            }
            Event::Usage {
                input_tokens,
                output_tokens,
                request,
                total,
                cost_usd,
                ..
            } => self.add(
                input_tokens.saturating_add(*output_tokens),
                request.as_deref(),
                *total,
                *cost_usd,
            ),
            _ => {}
        }
    }

    /// Folds one usage of `tokens` costing `usd`.
    fn add(&mut self, tokens: u64, request: Option<&str>, total: bool, usd: Option<f64>) {
        self.reported = true;
        if total {
            // The run's total says everything the requests said.
            *self = TurnSpend {
                warnings: std::mem::take(&mut self.warnings),
                ..TurnSpend::default()
            };
            self.reported = true;
            self.count(tokens, usd);
            return;
        }
        match (request, &mut self.last) {
            (Some(id), Some((last, t, u))) if last == id => (*t, *u) = (tokens, usd),
            (Some(id), _) => {
                if let Some((_, t, u)) = self.last.take() {
                    self.count(t, u);
                }
                self.last = Some((id.to_string(), tokens, usd));
            }
            (None, _) => self.count(tokens, usd),
        }
    }

    fn count(&mut self, tokens: u64, usd: Option<f64>) {
        self.tokens = self.tokens.saturating_add(tokens);
        match usd {
            Some(u) => self.usd += u,
            None => self.unpriced = true,
        }
    }

    /// Everything spent so far.
    pub fn spent(&self) -> Spent {
        let (tokens, usd) = match &self.last {
            Some((_, t, u)) => (*t, *u),
            None => (0, Some(0.0)),
        };
        Spent {
            tokens: self.tokens.saturating_add(tokens),
            usd: usd
                .filter(|_| self.reported && !self.unpriced)
                .map(|u| self.usd + u),
        }
    }
}

impl State {
    /// What turn `id` spent so far; nothing for an unknown turn.
    pub fn turn_spent(&self, id: &str) -> Spent {
        self.turn(id).map(|t| t.spend.spent()).unwrap_or_default()
    }

    /// The budgets turn `id` crossed 80 % of while it ran, in order.
    pub fn budget_warnings(&self, id: &str) -> &[BudgetWarned] {
        self.turn(id).map_or(&[], |t| t.spend.warnings.as_slice())
    }

    /// What a pipeline run spent: every attempt at each of its passes.
    pub fn pipeline_spent(&self, p: &Pipeline) -> Spent {
        p.attempts
            .iter()
            .map(|a| self.turn_spent(&a.turn))
            .fold(Spent::default(), Spent::plus)
    }

    /// How long turn `id` has run: from its start to its end, or to `now`
    /// while it runs; `None` before it started (or for an unknown turn).
    pub fn turn_elapsed(&self, id: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
        let t = self.turn(id)?;
        let parse = |ts: &str| chrono::DateTime::parse_from_rfc3339(ts).ok();
        let start = parse(t.started.as_deref()?)?;
        let end = match t.finished.as_deref() {
            Some(f) => parse(f)?.with_timezone(&chrono::Utc),
            None => now,
        };
        Some(
            (end - start.with_timezone(&chrono::Utc))
                .to_std()
                .unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Input, output, request, total, cost.
    type Usage<'a> = (u64, u64, Option<&'a str>, bool, Option<f64>);

    #[test]
    fn the_share_of_a_budget_is_the_larger_of_tokens_and_known_dollars() {
        let budget = |tokens, usd| Budget {
            tokens,
            usd,
            time: None,
        };
        let spent = |tokens, usd| Spent { tokens, usd };
        assert_eq!(
            spent(80, None).share_of(&budget(Some(100), None)),
            Some(0.8)
        );
        assert_eq!(
            spent(10, Some(0.9)).share_of(&budget(Some(100), Some(1.0))),
            Some(0.9)
        );
        // A cost not known is no share of a dollar budget.
        assert_eq!(spent(10, None).share_of(&budget(None, Some(1.0))), None);
        assert_eq!(spent(10, Some(1.0)).share_of(&Budget::default()), None);
    }

    fn spent(usages: &[Usage]) -> Spent {
        let mut s = TurnSpend::default();
        for &(i, o, r, t, c) in usages {
            s.add(i + o, r, t, c);
        }
        s.spent()
    }

    #[test]
    fn repeated_lines_of_one_request_count_once_and_the_total_replaces_the_sum() {
        let (a, b) = (Some("msg_a"), Some("msg_b"));
        // Two blocks of request a, the second with more output, then b.
        let running = [
            (100, 1, a, false, None),
            (100, 5, a, false, None),
            (200, 3, b, false, None),
        ];
        assert_eq!(spent(&running).tokens, 105 + 203);
        assert_eq!(spent(&running).usd, None);
        let mut done = running.to_vec();
        done.push((300, 40, None, true, Some(0.25)));
        assert_eq!(
            spent(&done),
            Spent {
                tokens: 340,
                usd: Some(0.25)
            }
        );
    }

    #[test]
    fn usages_without_a_request_add_up_and_one_unknown_cost_makes_it_unknown() {
        let priced = [
            (10, 5, None, false, Some(1.0)),
            (20, 5, None, false, Some(2.0)),
        ];
        assert_eq!(
            spent(&priced),
            Spent {
                tokens: 40,
                usd: Some(3.0)
            }
        );
        let (a, b) = (Some("msg_a"), Some("msg_b"));
        let requests = [
            (10, 5, a, false, Some(1.0)),
            (10, 6, a, false, Some(1.5)),
            (20, 5, b, false, Some(2.0)),
        ];
        assert_eq!(
            spent(&requests),
            Spent {
                tokens: 41,
                usd: Some(3.5)
            }
        );
        let mut one_unknown = priced.to_vec();
        one_unknown.push((1, 1, None, false, None));
        assert_eq!(spent(&one_unknown).usd, None);
        assert_eq!(spent(&[]), Spent::default());
    }

    #[test]
    fn a_pipeline_sums_its_passes_and_a_pass_that_spent_nothing_is_no_unknown() {
        let known = Spent {
            tokens: 10,
            usd: Some(0.5),
        };
        assert_eq!(known.plus(Spent::default()), known);
        assert_eq!(Spent::default().plus(known), known);
        let unknown = Spent {
            tokens: 3,
            usd: None,
        };
        assert_eq!(known.plus(unknown).usd, None);
        assert_eq!(known.plus(known).tokens, 20);
    }
}
