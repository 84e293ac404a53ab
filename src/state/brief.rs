//! Turns held in brief: what keeps the fold from growing with history.
//!
//! A turn is held *whole* (every event, its readable log, every action) or
//! *in brief*: every field of its outcome, its actions not yet done, and
//! where its events are in the journal ([`Span`]s), so it can be read again
//! whole by folding just those lines ([`crate::journal::Journal::whole_turn`]).
//! The fold snapshot stores turns in brief; a process reads whole only the
//! turns it shows or acts on.

use serde::{Deserialize, Serialize};

use super::{ActionInfo, State, Turn, action_index};
use crate::event::{Event, Record};
use crate::model::{TurnState, turn_number};

/// A byte range of the journal: whole lines, all about one turn.
pub type Span = (u64, u64);

/// Where a turn stands in journal order: the offset of its first line, then
/// its number. Turns are kept, saved and listed in this order.
pub type OrderKey = (u64, Option<u64>);

/// The [`OrderKey`] of turn `id` whose events are at `spans`.
pub fn order_key(spans: &[Span], id: &str) -> OrderKey {
    order_key_at(spans.first().map(|s| s.0), id)
}

/// The [`OrderKey`] of turn `id` whose first line is at `first` (none:
/// after every placed turn).
pub fn order_key_at(first: Option<u64>, id: &str) -> OrderKey {
    (first.unwrap_or(u64::MAX), turn_number(id))
}

/// What the state knows of a turn besides the turn itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct TurnMeta {
    /// Where its events are, in journal order; adjacent lines share a span.
    pub(crate) spans: Vec<Span>,
    /// Held whole: `events`, `log` and every action are there.
    pub(crate) whole: bool,
    /// Changed since it was loaded from the snapshot (or created here).
    pub(crate) dirty: bool,
}

impl TurnMeta {
    pub(crate) fn new(at: Option<Span>) -> TurnMeta {
        TurnMeta {
            spans: at.into_iter().collect(),
            whole: true,
            dirty: true,
        }
    }

    /// Notes one more event of the turn at `at`; says whether its detail
    /// (events, log) is to be kept, as it is for a turn held whole.
    pub(crate) fn touch(&mut self, at: Option<Span>) -> bool {
        self.dirty = true;
        if let Some((start, end)) = at {
            match self.spans.last_mut() {
                Some(last) if last.1 == start => last.1 = end,
                _ => self.spans.push((start, end)),
            }
        }
        self.whole
    }
}

/// A turn as the snapshot stores it: in brief, with its spans.
#[derive(Debug, Serialize, Deserialize)]
pub struct Stored {
    pub turn: Turn,
    pub spans: Vec<Span>,
}

impl Turn {
    /// Whether the turn is done with: nothing about it is expected to
    /// change (a later rollback or check still can, and is folded as well).
    pub fn is_settled(&self) -> bool {
        self.pending.is_none()
            && !matches!(self.state, TurnState::Running | TurnState::AwaitingReview)
    }
}

/// Whether an action is still to be done (kept when its turn is in brief).
fn open(a: &ActionInfo) -> bool {
    a.done.is_none()
}

/// What folding a record needs first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    Nothing,
    /// It is about a turn the state left out (settled at the snapshot).
    Settled,
    /// It is about an action of this turn that is held in brief without it.
    Whole(String),
}

impl State {
    /// What must be loaded before `record` can be folded.
    pub fn needs(&self, record: &Record) -> Need {
        let Some(id) = record.event.turn() else {
            return Need::Nothing;
        };
        let Some(&i) = self.index.get(id) else {
            let created = matches!(record.event, Event::TurnCreated { .. });
            return if self.settled_left_out && !created {
                Need::Settled
            } else {
                Need::Nothing
            };
        };
        let action = match &record.event {
            Event::ActionDecided { action, .. } | Event::ActionDone { action, .. } => action,
            _ => return Need::Nothing,
        };
        if self.meta[i].whole || action_index(&self.turns[i].actions, action).is_some() {
            Need::Nothing
        } else {
            Need::Whole(id.to_string())
        }
    }

    /// Whether turn `id` is held whole (its events, log and every action).
    pub fn is_whole(&self, id: &str) -> bool {
        self.index.get(id).is_some_and(|&i| self.meta[i].whole)
    }

    /// Where turn `id`'s events are in the journal.
    pub fn spans(&self, id: &str) -> &[Span] {
        self.index
            .get(id)
            .map_or(&[][..], |&i| self.meta[i].spans.as_slice())
    }

    /// Puts turn `whole` (read again from its spans) in place of the brief
    /// one of the same id.
    pub fn put_whole(&mut self, whole: Turn) {
        if let Some(&i) = self.index.get(&whole.id) {
            self.turns[i] = whole;
            self.meta[i].whole = true;
        }
    }

    /// Holds every settled turn but `keep` in brief, dropping its detail.
    pub fn brief_settled(&mut self, keep: Option<&str>) {
        for (t, m) in self.turns.iter_mut().zip(&mut self.meta) {
            if m.whole && t.is_settled() && Some(t.id.as_str()) != keep {
                to_brief(t);
                m.whole = false;
            }
        }
    }

    /// Calls `f` with each turn in brief (detail taken out for the call and
    /// put back), its spans, and whether it changed since loaded; what `f`
    /// returns for a turn marks it clean (saved).
    pub(crate) fn each_in_brief(&mut self, mut f: impl FnMut(&Turn, &[Span], bool) -> bool) {
        for (t, m) in self.turns.iter_mut().zip(&mut self.meta) {
            let events = std::mem::take(&mut t.events);
            let log = std::mem::take(&mut t.log);
            let all = std::mem::take(&mut t.actions);
            t.actions = all.iter().filter(|a| open(a)).cloned().collect();
            if f(t, &m.spans, m.dirty) {
                m.dirty = false;
            }
            t.actions = all;
            t.events = events;
            t.log = log;
        }
    }

    /// Turn `id`, taken out of a state folded just for it.
    pub(crate) fn into_turn(mut self, id: &str) -> Option<Turn> {
        let i = *self.index.get(id)?;
        Some(self.turns.swap_remove(i))
    }

    /// Adds settled turns read from a snapshot (in brief), each with its
    /// spans. Into an empty state, in journal order (the settled file is,
    /// but for turns changed after they settled), the list is taken as it
    /// is; else as [`State::add_stored`] does.
    pub(crate) fn add_settled(&mut self, turns: Vec<Turn>, spans: Vec<Vec<Span>>) {
        let in_order = turns.len() == spans.len()
            && (1..turns.len()).all(|i| {
                order_key(&spans[i - 1], &turns[i - 1].id) <= order_key(&spans[i], &turns[i].id)
            });
        if !self.turns.is_empty() || !in_order {
            let stored = turns
                .into_iter()
                .zip(spans)
                .map(|(turn, spans)| Stored { turn, spans })
                .collect();
            self.add_stored(stored, false);
            return;
        }
        self.index = turns
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        self.meta = spans
            .into_iter()
            .map(|spans| TurnMeta {
                spans,
                whole: false,
                dirty: false,
            })
            .collect();
        self.turns = turns;
    }

    /// Adds turns that are newer than the ones of the same id already here
    /// (the live part of a snapshot, over its settled file): those are
    /// replaced in place, the rest added in journal order.
    pub(crate) fn put_newer(&mut self, stored: Vec<Stored>) {
        let mut rest = Vec::new();
        for s in stored {
            match self.index.get(&s.turn.id) {
                Some(&i) => {
                    self.turns[i] = s.turn;
                    self.meta[i] = TurnMeta {
                        spans: s.spans,
                        whole: false,
                        dirty: true,
                    };
                }
                None => rest.push(s),
            }
        }
        self.add_stored(rest, true);
    }

    /// Adds turns read from a snapshot (in brief); a turn already here is
    /// newer and stays. Keeps the turns in journal order (by where each
    /// one's first line is).
    pub(crate) fn add_stored(&mut self, mut stored: Vec<Stored>, dirty: bool) {
        // A turn is big: each is moved once, into its place (a long
        // history is thousands of them), and only small keys are sorted.
        // The settled file is mostly in journal order already.
        stored.retain(|s| !self.index.contains_key(&s.turn.id));
        if stored.is_empty() {
            return;
        }
        let in_order = stored.windows(2).all(|w| {
            order_key(&w[0].spans, &w[0].turn.id) <= order_key(&w[1].spans, &w[1].turn.id)
        });
        if !in_order {
            let mut order: Vec<_> = stored
                .iter()
                .enumerate()
                .map(|(i, s)| (order_key(&s.spans, &s.turn.id), i))
                .collect();
            order.sort_unstable();
            let mut slots: Vec<Option<Stored>> = stored.into_iter().map(Some).collect();
            stored = order
                .into_iter()
                .filter_map(|(_, i)| slots[i].take())
                .collect();
        }
        // Turns newer than every one held (a live turn onto the settled
        // list, most often) are put at its end; the list is not rebuilt.
        let last = self
            .turns
            .last()
            .zip(self.meta.last())
            .map(|(t, m)| order_key(&m.spans, &t.id));
        if stored
            .first()
            .is_some_and(|s| last.is_none_or(|l| l <= order_key(&s.spans, &s.turn.id)))
        {
            for s in stored {
                self.index.insert(s.turn.id.clone(), self.turns.len());
                self.turns.push(s.turn);
                self.meta.push(TurnMeta {
                    spans: s.spans,
                    whole: false,
                    dirty,
                });
            }
            return;
        }
        let n = stored.len() + self.turns.len();
        let mut fresh = stored.into_iter().peekable();
        let mut live: Vec<(Turn, TurnMeta)> = std::mem::take(&mut self.turns)
            .into_iter()
            .zip(std::mem::take(&mut self.meta))
            .collect();
        // The live turns are few: sorted by moving them is cheap.
        live.sort_by_key(|(t, m)| order_key(&m.spans, &t.id));
        let mut live = live.into_iter().peekable();
        self.index.clear();
        self.index.reserve(n);
        self.turns.reserve(n);
        self.meta.reserve(n);
        loop {
            let from_live = match (live.peek(), fresh.peek()) {
                (Some((t, m)), Some(s)) => {
                    order_key(&m.spans, &t.id) <= order_key(&s.spans, &s.turn.id)
                }
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (t, m) = if from_live {
                live.next().expect("peeked")
            } else {
                let s = fresh.next().expect("peeked");
                let meta = TurnMeta {
                    spans: s.spans,
                    whole: false,
                    dirty,
                };
                (s.turn, meta)
            };
            self.index.insert(t.id.clone(), self.turns.len());
            self.turns.push(t);
            self.meta.push(m);
        }
    }
}

/// Drops a turn's detail: its events, log and the actions already done.
fn to_brief(t: &mut Turn) {
    t.events = Vec::new();
    t.log = Vec::new();
    t.actions.retain(open);
}
