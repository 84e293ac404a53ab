//! Per-hunk verdicts: a waiting turn's hunks numbered, and a partial
//! approval — the accepted hunks land through the same write-ahead path as
//! a whole turn (`approve_locked` → `land_decided`), the rest is kept at
//! `refs/leash/rejected/<turn>`.
//!
//! The order of a partial approval, and what a crash at each step leaves:
//!
//! | step | a crash after it |
//! |---|---|
//! | the split's two commits are written (no ref names them) | nothing journaled: loose objects, the turn waits |
//! | the invariants run on the partial tree; a failure it brings refuses | nothing journaled |
//! | `turn_decided` with `partial` (which hunks, both commits) | recovery withdraws the approval (`landing_aborted`): the turn waits, whole |
//! | `landing_started`, the branch moves, the note | recovery finishes the landing and keeps the remainder |
//! | the remainder's ref `refs/leash/rejected/<turn>` | recovery writes it again (the same commit) and journals the landing |
//! | `turn_landed` | done |

use git2::Oid;

use super::{Error, Landing, Result, Workspace};
use crate::checkpoint;
use crate::diff::select::{self, Pick, Take, Unit};
use crate::diff::{Body, FileDiff};
use crate::invariants::{CheckResult, Outcome};
use crate::model::{HunkRef, PartialVerdict, TurnKind, rejected_ref};
use crate::state::Turn;

/// What a partial approval did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PartialLanding {
    /// Where the accepted hunks landed.
    pub landing: Landing,
    pub accepted: Vec<HunkRef>,
    pub rejected: Vec<HunkRef>,
    /// Where the rest is kept; `None` when every hunk was accepted (the
    /// turn then landed whole).
    pub kept_at: Option<String>,
}

impl Workspace {
    /// A turn's hunks, numbered as `leash show TURN --hunks` lists them and
    /// `leash approve TURN --hunks` takes them: from the diff `leash diff`
    /// prints and the console draws, files in order, then hunks.
    pub fn turn_hunks(&self, id: &str) -> Result<Vec<Unit>> {
        Ok(select::number(&self.diff_files(id)?))
    }

    /// Approves the hunks `pick` names of a turn that awaits review and
    /// lands them: the landed commit holds exactly those (its message names
    /// the others and carries `Leash-Partial: yes`), the rest is kept at
    /// `refs/leash/rejected/<id>`. The invariants run on the partial tree
    /// first: one the accepted hunks break refuses it, naming the findings,
    /// and nothing moves. Every hunk picked is a whole approval.
    pub fn approve_hunks(
        &mut self,
        id: &str,
        pick: &Pick,
        reason: Option<String>,
        receipt: Option<crate::model::Receipt>,
    ) -> Result<PartialLanding> {
        let _lock = self.land_lock()?;
        self.refresh()?;
        super::landing::decidable(&self.state, id)?;
        let turn = self.turn(id)?.clone();
        if turn.kind != TurnKind::Isolated {
            return Err(Error::Refused(format!(
                "{id} is an in-place turn: its changes are in your checkout already, so it is \
                 approved or rejected whole"
            )));
        }
        let Some(commit) = turn.commit.as_deref().map(Oid::from_str).transpose()? else {
            return Err(Error::Refused(format!("{id} has no turn commit to land")));
        };
        let files = self.diff_files(id)?;
        let units = select::number(&files);
        let take = select::resolve(&files, &units, pick)
            .map_err(|e| Error::Refused(format!("{id}: {e}")))?;
        let (accepted, rejected) = verdict_refs(&files, &units, &take);
        if accepted.is_empty() {
            return Err(Error::Refused(format!(
                "{id}: no hunk accepted, so nothing would land; to keep none of it, reject it \
                 (`leash reject {id} --reason …`)"
            )));
        }
        if rejected.is_empty() {
            let landing = self.approve_locked(id, reason, None, receipt)?;
            return Ok(PartialLanding {
                landing,
                accepted,
                rejected,
                kept_at: None,
            });
        }
        let base = turn.base.as_deref().map(Oid::from_str).transpose()?;
        let list: String = rejected
            .iter()
            .map(|h| format!("- {}: {}\n", h.n, crate::sanitize::plain(&h.label())))
            .collect();
        let title = super::notes::commit_title(&turn, self.config.provenance.prompts);
        let messages = (
            format!("{title}\n\nThe hunks of {id} accepted for landing.\n"),
            format!("{title}\n\nThe hunks of {id} that were not landed:\n{list}"),
        );
        let split = checkpoint::split_turn(
            &self.repo,
            base,
            commit,
            &files,
            &units,
            &take,
            (&messages.0, &messages.1),
        )?;
        let invariants = self.check_partial(&turn, base, split.partial)?;
        let verdict = PartialVerdict {
            accepted: accepted.clone(),
            rejected: rejected.clone(),
            commit: split.partial.to_string(),
            remainder: split.remainder.to_string(),
            invariants,
        };
        let landing = self.approve_locked(id, reason, Some(verdict), receipt)?;
        Ok(PartialLanding {
            landing,
            accepted,
            rejected,
            kept_at: Some(rejected_ref(id)),
        })
    }

    /// Runs the invariants on the partial tree: a failure its base did not
    /// have refuses the approval, naming it; otherwise the outcome as the
    /// landed commit's trailer says it (`None`: none configured).
    fn check_partial(
        &self,
        turn: &Turn,
        base: Option<Oid>,
        partial: Oid,
    ) -> Result<Option<String>> {
        if self.config.invariants.is_empty() {
            return Ok(None);
        }
        let dir = self.written_out(Some(partial), "leash-partial-")?;
        let check = self.check_turn(dir.path(), base, turn.deliverable.as_deref(), None)?;
        if !check.introduced.is_empty() {
            let named: Vec<String> = check
                .results
                .iter()
                .filter(|r| check.introduced.contains(&r.name))
                .map(described)
                .collect();
            return Err(Error::Refused(format!(
                "{}: the accepted hunks alone break {}; nothing was landed. Accept the hunks \
                 that complete them too, or decide the turn whole",
                turn.id,
                named.join("; ")
            )));
        }
        Ok(Some(counts(&check.results)))
    }

    /// Attaches the operator's comment to a line of a turn's diff (`line`
    /// on the turn's side, or `old_line` for a removed line), journaled as
    /// `line_commented`: shown on the diff, and what sending the turn back
    /// to its agent is to tell it.
    pub fn comment_line(
        &mut self,
        id: &str,
        path: &str,
        line: Option<u32>,
        old_line: Option<u32>,
        text: &str,
    ) -> Result<()> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::Refused("a comment needs some text".into()));
        }
        if line.is_none() && old_line.is_none() {
            return Err(Error::Refused(format!("{path}: which line?")));
        }
        self.turn(id)?;
        self.append(vec![crate::event::Event::LineCommented {
            turn: id.to_string(),
            path: path.to_string(),
            line,
            old_line,
            text: text.to_string(),
        }])
    }

    /// Keeps the hunks a partial landing left out at
    /// `refs/leash/rejected/<id>`: before its landing is journaled done, and
    /// again by recovery when a crash came between the two (the same
    /// commit, so writing it twice changes nothing).
    pub(super) fn keep_remainder(
        &mut self,
        id: &str,
        partial: Option<&PartialVerdict>,
    ) -> Result<()> {
        if let Some(p) = partial {
            let oid = Oid::from_str(&p.remainder)?;
            self.repo
                .reference(&rejected_ref(id), oid, true, "leash: hunks not landed")?;
        }
        Ok(())
    }
}

/// The units taken (wholly or in part) and those left (wholly or in
/// part): a hunk split by a line selection is on both sides, each with its
/// lines.
fn verdict_refs(files: &[FileDiff], units: &[Unit], take: &[Take]) -> (Vec<HunkRef>, Vec<HunkRef>) {
    let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
    for (u, t) in units.iter().zip(take) {
        let r = |lines: Option<Vec<String>>| HunkRef {
            n: u.n,
            path: u.path.clone(),
            header: u.header.clone(),
            lines,
        };
        match t {
            Take::All => accepted.push(r(None)),
            Take::No => rejected.push(r(None)),
            Take::Lines(chosen) => {
                let (Body::Text(hunks), Some(h)) = (&files[u.file].body, u.hunk) else {
                    continue;
                };
                let hunk = &hunks[h];
                let named = |i: &usize| {
                    let l = &hunk.lines[*i];
                    match (l.kind, l.new_no, l.old_no) {
                        (crate::diff::LineKind::Added, Some(n), _) => format!("+{n}"),
                        (_, _, Some(o)) => format!("-{o}"),
                        _ => "?".into(),
                    }
                };
                let (yes, no): (Vec<usize>, Vec<usize>) = select::changed_lines(hunk)
                    .into_iter()
                    .partition(|i| chosen.contains(i));
                accepted.push(r(Some(yes.iter().map(named).collect())));
                rejected.push(r(Some(no.iter().map(named).collect())));
            }
        }
    }
    (accepted, rejected)
}

/// An invariant the partial tree breaks, with its first findings.
fn described(r: &CheckResult) -> String {
    let findings: Vec<String> = r
        .findings
        .iter()
        .take(3)
        .map(|f| match f.line {
            Some(l) => format!("{}:{l}: {}", f.path, f.message),
            None if f.path.is_empty() => f.message.clone(),
            None => format!("{}: {}", f.path, f.message),
        })
        .collect();
    let more = r.findings.len().saturating_sub(3);
    format!(
        "invariant `{}` ({}{})",
        r.name,
        if findings.is_empty() {
            r.detail.clone()
        } else {
            findings.join(", ")
        },
        if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        }
    )
}

/// Results as the `Leash-Invariants` trailer counts them.
fn counts(results: &[CheckResult]) -> String {
    let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count();
    let mut s = format!(
        "{} pass, {} fail, {} fixed",
        count(Outcome::Pass),
        count(Outcome::Fail),
        count(Outcome::Fixed)
    );
    if count(Outcome::Degraded) > 0 {
        s.push_str(&format!(", {} degraded", count(Outcome::Degraded)));
    }
    s.push_str(" (on the accepted hunks)");
    s
}
