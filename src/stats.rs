//! Whether review is real: per risk class, how the operator's decisions on
//! turns were made, read from their receipts (`leash stats`), and the
//! hints the console gives from the same figures — approvals that look
//! like rubber-stamping, and a class whose turns have earned more autonomy.
//! Pure: the turns in, the figures out.
//!
//! | figure | counts |
//! |---|---|
//! | `decided` | turns an operator approved (whole or in part) or rejected, by the decision that stands |
//! | `no_receipt` | of those, decisions journaled before receipts were kept |
//! | `untimed` | decisions whose time from first shown to decided is not known (no receipt, or a command with nothing shown before) |
//! | `median_secs`, `p90_secs` | of the timed ones; median of an even count is the mean of the middle two, p90 the nearest rank |
//! | `without_diff` | receipts that do not list the diff as opened |
//! | `read_to_end` | receipts whose diff was seen to its last line |
//! | `rolled_back` | operator approvals later rolled back |
//! | `by_policy`, `policy_rolled_back` | turns landed by policy, and of those rolled back |
//!
//! `leash check --fix` turns are leash's own fixes, not reviews: left out.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{AutonomyLevel, DecidedBy, Decision, RiskClass, TurnState};
use crate::state::Turn;

/// Rubber-stamping: at least this many decisions of a class…
pub const RUBBER_STAMP_MIN_DECISIONS: usize = 20;
/// …at least this share of them approvals…
pub const RUBBER_STAMP_MIN_APPROVAL: f64 = 0.95;
/// …a median time from shown to decided below this…
pub const RUBBER_STAMP_MAX_MEDIAN_SECS: f64 = 3.0;
// …and no diff read to its end.

/// Earned autonomy: at least this many decisions of a class…
pub const TRUSTED_MIN_DECISIONS: usize = 50;
/// …over at least this many days, none rejected or rolled back.
pub const TRUSTED_MIN_DAYS: i64 = 30;

/// The agent name of `leash check --fix` turns.
const FIX_AGENT: &str = "leash-fix";

/// The figures of one risk class. Field names are `leash stats --json`'s.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassStats {
    pub risk: RiskClass,
    pub decided: usize,
    pub approved: usize,
    pub rejected: usize,
    /// `approved / decided`; `None` with no decision.
    pub approval_rate: Option<f64>,
    pub no_receipt: usize,
    pub untimed: usize,
    pub median_secs: Option<f64>,
    pub p90_secs: Option<f64>,
    pub without_diff: usize,
    /// `without_diff` over the decisions with a receipt.
    pub without_diff_share: Option<f64>,
    pub read_to_end: usize,
    pub rolled_back: usize,
    pub by_policy: usize,
    pub policy_rolled_back: usize,
    /// When the first and the last counted decision were taken.
    pub first: Option<String>,
    pub last: Option<String>,
}

/// The figures of every class, low to high.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    /// Only decisions taken at or after this time count (RFC 3339).
    pub since: Option<String>,
    pub classes: Vec<ClassStats>,
}

/// When a decision was taken: its receipt's time, else the journal's.
fn decided_at(d: &crate::state::TurnDecision) -> Option<DateTime<Utc>> {
    let at = d.receipt.as_ref().map_or(d.ts.as_str(), |r| &r.decided_at);
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The median: the middle value, or the mean of the middle two.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The nearest-rank percentile `p` (0 < p ≤ 100).
fn percentile(sorted: &[f64], p: usize) -> Option<f64> {
    let n = sorted.len();
    (n > 0).then(|| sorted[(p * n).div_ceil(100).clamp(1, n) - 1])
}

/// The review figures of `turns`, counting decisions taken at or after
/// `since`.
pub fn review(turns: &[Turn], since: Option<DateTime<Utc>>) -> Review {
    let mut tally: Vec<Tally> = RiskClass::ALL.iter().map(|&c| Tally::new(c)).collect();
    // One pass over the turns; a time stamp is parsed only where a figure
    // needs it, so a long history landed by policy costs no parsing.
    for t in turns {
        let Some(d) = &t.decision else { continue };
        if !matches!(d.by, DecidedBy::Operator | DecidedBy::Policy) || t.agent == FIX_AGENT {
            continue;
        }
        let at = (since.is_some() || d.by == DecidedBy::Operator)
            .then(|| decided_at(d))
            .flatten();
        if let Some(since) = since
            && at.is_none_or(|at| at < since)
        {
            continue;
        }
        let i = RiskClass::ALL
            .iter()
            .position(|c| *c == t.risk)
            .unwrap_or(0);
        tally[i].add(t, d, at);
    }
    Review {
        since: since.map(|s| s.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        classes: tally.into_iter().map(Tally::finish).collect(),
    }
}

/// A class's figures while the turns are counted.
struct Tally {
    s: ClassStats,
    times: Vec<f64>,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Tally {
    fn new(class: RiskClass) -> Tally {
        Tally {
            s: ClassStats {
                risk: class,
                decided: 0,
                approved: 0,
                rejected: 0,
                approval_rate: None,
                no_receipt: 0,
                untimed: 0,
                median_secs: None,
                p90_secs: None,
                without_diff: 0,
                without_diff_share: None,
                read_to_end: 0,
                rolled_back: 0,
                by_policy: 0,
                policy_rolled_back: 0,
                first: None,
                last: None,
            },
            times: Vec::new(),
            span: None,
        }
    }

    /// Counts turn `t`'s decision `d`, taken at `at`.
    fn add(&mut self, t: &Turn, d: &crate::state::TurnDecision, at: Option<DateTime<Utc>>) {
        let s = &mut self.s;
        let rolled_back = t.state == TurnState::RolledBack;
        if d.by == DecidedBy::Policy {
            if d.decision == Decision::Approve {
                s.by_policy += 1;
                s.policy_rolled_back += usize::from(rolled_back);
            }
            return;
        }
        s.decided += 1;
        match d.decision {
            Decision::Approve => {
                s.approved += 1;
                s.rolled_back += usize::from(rolled_back);
            }
            Decision::Reject => s.rejected += 1,
        }
        if let Some(at) = at {
            self.span = Some(match self.span {
                None => (at, at),
                Some((a, b)) => (a.min(at), b.max(at)),
            });
        }
        let Some(r) = &d.receipt else {
            s.no_receipt += 1;
            s.untimed += 1;
            return;
        };
        match r.seconds() {
            Some(secs) => self.times.push(secs),
            None => s.untimed += 1,
        }
        s.without_diff += usize::from(!r.opened_diff());
        s.read_to_end += usize::from(r.diff_read_to_end);
    }

    fn finish(mut self) -> ClassStats {
        let s = &mut self.s;
        self.times.sort_by(f64::total_cmp);
        s.median_secs = median(&self.times);
        s.p90_secs = percentile(&self.times, 90);
        let ratio = |n: usize, of: usize| (of > 0).then(|| n as f64 / of as f64);
        s.approval_rate = ratio(s.approved, s.decided);
        s.without_diff_share = ratio(s.without_diff, s.decided - s.no_receipt);
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        s.first = self.span.map(|(a, _)| stamp(a));
        s.last = self.span.map(|(_, b)| stamp(b));
        self.s
    }
}

impl ClassStats {
    /// Days from the first counted decision to the last.
    pub fn days(&self) -> i64 {
        let parse = |s: &Option<String>| {
            s.as_deref()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        };
        match (parse(&self.first), parse(&self.last)) {
            (Some(a), Some(b)) => (b - a).num_days(),
            _ => 0,
        }
    }

    /// Approvals that look like rubber-stamping: many, nearly all
    /// approvals, decided in a median under three seconds, and not one
    /// diff read to its end.
    pub fn rubber_stamped(&self) -> bool {
        self.decided >= RUBBER_STAMP_MIN_DECISIONS
            && self
                .approval_rate
                .is_some_and(|r| r >= RUBBER_STAMP_MIN_APPROVAL)
            && self
                .median_secs
                .is_some_and(|m| m < RUBBER_STAMP_MAX_MEDIAN_SECS)
            && self.read_to_end == 0
    }

    /// A long run of decisions, none rejected or rolled back (and no
    /// rubber-stamping: approvals nobody read prove nothing).
    pub fn trusted(&self) -> bool {
        self.decided >= TRUSTED_MIN_DECISIONS
            && self.days() >= TRUSTED_MIN_DAYS
            && self.rejected == 0
            && self.rolled_back == 0
            && !self.rubber_stamped()
    }
}

/// Which kind of hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HintKind {
    /// Approvals of the class look like rubber-stamping.
    RubberStamp,
    /// The class's turns have earned more autonomy.
    MoreAutonomy,
}

/// A hint about a class's slider, drawn from its figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hint {
    pub kind: HintKind,
    pub class: RiskClass,
    /// The class's level now.
    pub level: AutonomyLevel,
    /// Where the hint suggests moving the slider; `None` when no move
    /// would help.
    pub suggest: Option<AutonomyLevel>,
    /// What to tell the operator, a line each.
    pub lines: Vec<String>,
}

impl Hint {
    /// The hint's name, to remember that it was given: `rubber_stamp:low`.
    pub fn key(&self) -> String {
        let kind = match self.kind {
            HintKind::RubberStamp => "rubber_stamp",
            HintKind::MoreAutonomy => "more_autonomy",
        };
        format!("{kind}:{}", self.class)
    }
}

/// One stop up the slider, if there is one.
fn next_level(l: AutonomyLevel) -> Option<AutonomyLevel> {
    let all = AutonomyLevel::ALL;
    let i = all.iter().position(|x| *x == l)?;
    all.get(i + 1).copied()
}

/// The hints `review` calls for, each class's level given by `level_of`.
pub fn hints(review: &Review, level_of: impl Fn(RiskClass) -> AutonomyLevel) -> Vec<Hint> {
    let mut out = Vec::new();
    for s in &review.classes {
        let class = s.risk;
        let level = level_of(class);
        let pct = |r: Option<f64>| format!("{:.0} %", r.unwrap_or(0.0) * 100.0);
        if s.rubber_stamped() {
            let suggest = (level < AutonomyLevel::Guarded).then_some(AutonomyLevel::Guarded);
            let mut lines = vec![
                format!(
                    "{} {class} decisions, {} approved, decided a median {} after they were \
                     shown, and not one diff read to its end: these approvals look like \
                     rubber-stamping.",
                    s.decided,
                    pct(s.approval_rate),
                    crate::model::seconds_text(s.median_secs.unwrap_or(0.0)),
                ),
                String::new(),
            ];
            match suggest {
                Some(to) => lines.push(format!(
                    "Read them before approving — or, if {class} turns need no reading, move \
                     the {class} slider from {level} to {to} (s, then l): turns that pass every \
                     invariant then land by policy, and the journal says policy let them in, \
                     instead of an approval that only looks like review."
                )),
                None => lines.push(format!(
                    "At {level}, what waits for you is what policy would not land: a failed \
                     turn or a broken invariant. Those are the turns to read."
                )),
            }
            out.push(Hint {
                kind: HintKind::RubberStamp,
                class,
                level,
                suggest,
                lines,
            });
        } else if s.trusted()
            && let Some(to) = next_level(level)
        {
            out.push(Hint {
                kind: HintKind::MoreAutonomy,
                class,
                level,
                suggest: Some(to),
                lines: vec![
                    format!(
                        "{} {class} decisions over {} days: none rejected, none of the approved \
                         rolled back.",
                        s.decided,
                        s.days()
                    ),
                    String::new(),
                    format!(
                        "{class} turns may have earned more autonomy: consider moving the \
                         {class} slider from {level} to {to} (s, then l)."
                    ),
                ],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90_are_the_documented_ones() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, 2.0, 9.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 4.0, 9.0]), Some(3.0));
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&ten, 90), Some(9.0));
        let eleven: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(percentile(&eleven, 90), Some(10.0));
        assert_eq!(percentile(&[5.0], 90), Some(5.0));
        assert_eq!(
            next_level(AutonomyLevel::Review),
            Some(AutonomyLevel::Guarded)
        );
        assert_eq!(next_level(AutonomyLevel::Auto), None);
    }

    fn stats(decided: usize, approved: usize, median: Option<f64>, read: usize) -> ClassStats {
        let mut s = Tally::new(RiskClass::Medium).s;
        s.decided = decided;
        s.approved = approved;
        s.rejected = decided - approved;
        s.approval_rate = (decided > 0).then(|| approved as f64 / decided as f64);
        s.median_secs = median;
        s.read_to_end = read;
        s
    }

    #[test]
    fn rubber_stamping_takes_every_condition_of_the_issue() {
        assert!(stats(20, 19, Some(2.9), 0).rubber_stamped());
        assert!(!stats(19, 19, Some(1.0), 0).rubber_stamped(), "too few");
        assert!(
            !stats(20, 18, Some(1.0), 0).rubber_stamped(),
            "90 % approved"
        );
        assert!(
            !stats(20, 20, Some(3.0), 0).rubber_stamped(),
            "3 s is not under 3 s"
        );
        assert!(!stats(20, 20, None, 0).rubber_stamped(), "no time known");
        assert!(
            !stats(20, 20, Some(1.0), 1).rubber_stamped(),
            "one read to the end"
        );
        let review = Review {
            since: None,
            classes: vec![stats(20, 20, Some(1.0), 0)],
        };
        let h = hints(&review, |_| AutonomyLevel::Review);
        assert_eq!(h.len(), 1);
        assert_eq!(
            (h[0].kind, h[0].suggest, h[0].key().as_str()),
            (
                HintKind::RubberStamp,
                Some(AutonomyLevel::Guarded),
                "rubber_stamp:medium"
            )
        );
        assert!(
            h[0].lines[0]
                .starts_with("20 medium decisions, 100 % approved, decided a median 1.0 s")
        );
        let at_guarded = hints(&review, |_| AutonomyLevel::Guarded);
        assert_eq!(at_guarded[0].suggest, None);
    }

    #[test]
    fn more_autonomy_needs_a_long_clean_run_and_a_stop_to_move_to() {
        let mut s = stats(50, 50, Some(40.0), 30);
        s.first = Some("2026-01-01T00:00:00Z".into());
        s.last = Some("2026-01-31T00:00:00Z".into());
        assert!(s.trusted());
        let review = |s: &ClassStats| Review {
            since: None,
            classes: vec![s.clone()],
        };
        let h = hints(&review(&s), |_| AutonomyLevel::Review);
        assert_eq!(
            (h[0].kind, h[0].suggest),
            (HintKind::MoreAutonomy, Some(AutonomyLevel::Guarded))
        );
        assert!(hints(&review(&s), |_| AutonomyLevel::Auto).is_empty());
        let mut short = s.clone();
        short.last = Some("2026-01-30T00:00:00Z".into());
        assert!(!short.trusted(), "29 days");
        let mut rolled = s.clone();
        rolled.rolled_back = 1;
        assert!(!rolled.trusted());
        let stamped = stats(50, 50, Some(1.0), 0);
        assert!(!stamped.trusted(), "rubber-stamped approvals prove nothing");
    }
}
