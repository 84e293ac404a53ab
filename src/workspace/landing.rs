//! Deciding turns and carrying the decisions out: approve and land,
//! reject, roll back — each under the land lock, each journaled so that a
//! crash halfway is finished or undone on the next open.

use std::fs;

use git2::Oid;

use super::{
    Error, FileLock, Landing, Rejected, Result, Workspace, crash_point, io_error, turn_ref,
};
use crate::checkpoint::{self, GitError};
use crate::event::Event;
use crate::model::{DecidedBy, Decision, FailureClass, Receipt, TurnState};
use crate::state::{State, Turn};

impl Workspace {
    /// Takes the lock that serialises landings, rejections and rollbacks.
    pub(crate) fn land_lock(&self) -> Result<FileLock> {
        self.ensure_unblocked()?;
        fs::create_dir_all(&self.leash_dir).map_err(io_error(&self.leash_dir))?;
        Ok(FileLock::acquire(&self.leash_dir.join("land.lock"), true)?.expect("waited for lock"))
    }

    /// Approves a turn that awaits review and lands it, keeping the
    /// receipt of how the operator decided. Exactly one of two concurrent
    /// deciders wins; the other gets `AlreadyDecided`.
    pub fn approve(
        &mut self,
        id: &str,
        reason: Option<String>,
        receipt: Option<Receipt>,
    ) -> Result<Landing> {
        let _lock = self.land_lock()?;
        self.approve_locked(id, reason, None, receipt)
    }

    /// Records the operator's approval (of the whole turn, or of the hunks
    /// `partial` names) and lands it. The caller holds the land lock.
    pub(super) fn approve_locked(
        &mut self,
        id: &str,
        reason: Option<String>,
        partial: Option<crate::model::PartialVerdict>,
        receipt: Option<Receipt>,
    ) -> Result<Landing> {
        self.transact(|state| {
            decidable(state, id)?;
            Ok((
                vec![Event::TurnDecided {
                    turn: id.to_string(),
                    decision: Decision::Approve,
                    by: DecidedBy::Operator,
                    reason: reason.clone(),
                    partial: partial.clone(),
                    receipt: receipt.clone(),
                }],
                (),
            ))
        })?;
        crash_point("approve_decided");
        self.land_decided(id)
    }

    /// Lands a turn whose approval is recorded. The caller holds the land
    /// lock. On refusal the approval is withdrawn (`landing_aborted`) and the
    /// turn waits again, so nothing is half-done.
    pub(crate) fn land_decided(&mut self, id: &str) -> Result<Landing> {
        let turn = self.turn(id)?.clone();
        if turn.kind == crate::model::TurnKind::InPlace {
            return self.accept_in_place(&turn);
        }
        let abort = |ws: &mut Workspace, reason: String, failure: Option<FailureClass>| {
            ws.append(vec![Event::LandingAborted {
                turn: id.to_string(),
                reason,
                failure,
            }])
        };
        let Some(branch) = turn.branch.clone() else {
            let msg = format!(
                "{id} was started on a detached HEAD, so it has no branch to land on. Its \
                 changes are kept at {}: check out the branch you want them on and take them \
                 with `git cherry-pick {}`, then `leash reject {id} --reason \"landed by hand\"`; \
                 or reject it and run it again on a branch",
                turn_ref(id),
                turn_ref(id)
            );
            abort(self, msg.clone(), None)?;
            return Err(Error::Refused(msg));
        };
        // A partial approval lands the commit of its accepted hunks, which
        // sits on the turn's base just as the turn commit does.
        let partial = turn.decision.as_ref().and_then(|d| d.partial.clone());
        let to_land = match &partial {
            Some(p) => Some(p.commit.as_str()),
            None => turn.commit.as_deref(),
        };
        let Some(commit) = to_land.map(Oid::from_str).transpose()? else {
            let msg = format!("{id} has no turn commit to land");
            abort(self, msg.clone(), None)?;
            return Err(Error::Refused(msg));
        };
        let base = turn.base.as_deref().map(Oid::from_str).transpose()?;
        let message = self.landed_message(&turn);
        let prepared = match checkpoint::prepare_land(&self.repo, &branch, base, commit, &message) {
            Ok(p) => p,
            Err(e) => {
                let failure =
                    matches!(e, GitError::Conflict(_)).then_some(FailureClass::ConcurrentDrift);
                let msg = match &e {
                    GitError::Conflict(files) => format!(
                        "{branch} moved since {id} started and the changes conflict in: {}; {}",
                        files.join(", "),
                        replay_on_head(id)
                    ),
                    other => other.to_string(),
                };
                abort(self, msg.clone(), failure)?;
                return Err(Error::Refused(msg));
            }
        };
        // The branch moved: a file the turn read that changed there since
        // its base is drift even without a conflict; a policy landing stops.
        let by_policy = turn
            .decision
            .as_ref()
            .is_some_and(|d| d.by == DecidedBy::Policy);
        if let Some(head) = prepared.drift_from
            && by_policy
        {
            let changed = self.stale_reads(&turn, head)?;
            if !changed.is_empty() {
                let named: Vec<String> = changed.iter().map(|c| c.describe()).collect();
                let msg = format!(
                    "{branch} moved since {id} started, and files it read changed there: {}; \
                     check them again, or {}",
                    named.join(", "),
                    replay_on_head(id)
                );
                abort(self, msg.clone(), Some(FailureClass::ConcurrentDrift))?;
                return Err(Error::Refused(msg));
            }
        }
        // The branch moved: the merged tree is new, so the invariants run
        // again on it; a policy landing stops if they now fail.
        if prepared.drift_from.is_some() && !self.config.invariants.is_empty() {
            let results = self.check_commit(Some(prepared.target), turn.deliverable.as_deref())?;
            let check = super::checks::TurnCheck {
                results,
                introduced: Vec::new(),
            };
            self.append(vec![self.merged_checked_event(
                id,
                prepared.target.to_string(),
                &check,
            )])?;
            if by_policy && !check.all_pass() {
                let failing = check.failing();
                let msg = format!(
                    "{branch} moved since {id} started, and on the merged tree these invariants fail: {}; {}",
                    failing.join(", "),
                    replay_on_head(id)
                );
                abort(self, msg.clone(), Some(FailureClass::ConcurrentDrift))?;
                return Err(Error::Refused(msg));
            }
        }
        self.append(vec![Event::LandingStarted {
            turn: id.to_string(),
            target: prepared.target.to_string(),
            branch: branch.clone(),
            old: prepared.old.map(|o| o.to_string()),
        }])?;
        crash_point("landing_started");
        if let Err(e) = checkpoint::apply(&self.repo, &prepared, || crash_point("before_ref")) {
            let msg = e.to_string();
            abort(self, msg.clone(), None)?;
            return Err(Error::Git(e));
        }
        self.write_note(id, prepared.target, false);
        self.keep_remainder(id, partial.as_ref())?;
        crash_point("remainder_kept");
        self.append(vec![Event::TurnLanded {
            turn: id.to_string(),
            commit: prepared.target.to_string(),
            drift_from: prepared.drift_from.map(|d| d.to_string()),
        }])?;
        crash_point("turn_landed");
        self.discard_worktree(id);
        self.recheck_sources(&branch, id);
        Ok(Landing {
            commit: prepared.target.to_string(),
            branch,
            drift_from: prepared.drift_from.map(|d| d.to_string()),
            skipped: Vec::new(),
        })
    }

    /// Rejects a turn that awaits review, keeping the receipt of how the
    /// operator decided; its commit stays reachable at
    /// `refs/leash/rejected/<id>`.
    pub fn reject(
        &mut self,
        id: &str,
        reason: String,
        receipt: Option<Receipt>,
    ) -> Result<Rejected> {
        let _lock = self.land_lock()?;
        self.transact(|state| {
            decidable(state, id)?;
            Ok((
                vec![Event::TurnDecided {
                    turn: id.to_string(),
                    decision: Decision::Reject,
                    by: DecidedBy::Operator,
                    reason: Some(reason.clone()),
                    partial: None,
                    receipt: receipt.clone(),
                }],
                (),
            ))
        })?;
        crash_point("reject_decided");
        let turn = self.turn(id)?.clone();
        if turn.kind == crate::model::TurnKind::InPlace {
            return self.reject_in_place(&turn);
        }
        let kept_at = self.finish_reject(id)?;
        Ok(Rejected {
            kept_at,
            restored: Vec::new(),
            skipped: Vec::new(),
        })
    }

    pub(super) fn finish_reject(&mut self, id: &str) -> Result<String> {
        let turn = self.turn(id)?.clone();
        let kept_at = crate::model::rejected_ref(id);
        if let Some(commit) = turn.commit.as_deref() {
            let oid = Oid::from_str(commit)?;
            self.repo
                .reference(&kept_at, oid, true, "leash: rejected turn")?;
            crash_point("rejected_ref");
            if let Ok(mut r) = self.repo.find_reference(&turn_ref(id)) {
                r.delete()?;
            }
        }
        self.append(vec![Event::TurnRejected {
            turn: id.to_string(),
            kept_at: kept_at.clone(),
        }])?;
        self.discard_worktree(id);
        Ok(kept_at)
    }

    /// Reverts a landed turn with a commit of its own (history is never
    /// rewritten), landed the same safe way. Refused, naming the files, when
    /// later commits changed the same lines.
    pub fn rollback(&mut self, id: &str, reason: Option<String>) -> Result<Landing> {
        let _lock = self.land_lock()?;
        self.refresh()?;
        let turn = self.turn(id)?.clone();
        if turn.state == TurnState::RolledBack {
            return Err(Error::AlreadyDecided {
                turn: id.to_string(),
                what: "it was already rolled back".into(),
            });
        }
        if turn.kind == crate::model::TurnKind::InPlace && turn.state == TurnState::Landed {
            let restore = self.restore_in_place(&turn)?;
            let safety = restore.safety.map(|o| o.to_string());
            self.append(vec![Event::TurnRolledBack {
                turn: id.to_string(),
                commit: safety.clone(),
            }])?;
            return Ok(Landing {
                commit: safety.unwrap_or_default(),
                branch: turn.branch.clone().unwrap_or_default(),
                drift_from: None,
                skipped: restore.skipped,
            });
        }
        let (Some(landed), TurnState::Landed) = (turn.landed_commit.as_deref(), turn.state) else {
            return Err(Error::Refused(format!(
                "{id} is {}, not landed; only a landed turn can be rolled back",
                turn.state
            )));
        };
        let branch = turn
            .branch
            .clone()
            .ok_or_else(|| Error::Refused(format!("{id} has no branch")))?;
        let landed = Oid::from_str(landed)?;
        let mut message = format!("Revert \"{}\"\n\n", turn.title);
        message.push_str(&format!("This reverts commit {landed}.\n\n"));
        message.push_str(&format!("Leash-Reverts: {id}\n"));
        message.push_str(&format!(
            "Leash-Decision: rolled back by operator{}\n",
            reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
        let prepared = checkpoint::prepare_revert(&self.repo, &branch, landed, &message).map_err(
            |e| match e {
                GitError::Conflict(files) => {
                    Error::Refused(self.rollback_conflict(id, landed, &files))
                }
                other => Error::Git(other),
            },
        )?;
        self.transact(|state| {
            let t = state
                .turn(id)
                .ok_or_else(|| Error::UnknownTurn(id.to_string()))?;
            if t.state != TurnState::Landed || t.pending.is_some() {
                return Err(Error::AlreadyDecided {
                    turn: id.to_string(),
                    what: format!("it is {} now", t.state),
                });
            }
            Ok((
                vec![Event::RollbackStarted {
                    turn: id.to_string(),
                    target: prepared.target.to_string(),
                    branch: branch.clone(),
                    old: prepared.old.map(|o| o.to_string()),
                    reason: reason.clone(),
                }],
                (),
            ))
        })?;
        crash_point("rollback_started");
        if let Err(e) = checkpoint::apply(&self.repo, &prepared, || crash_point("before_ref")) {
            self.append(vec![Event::RollbackAborted {
                turn: id.to_string(),
                reason: e.to_string(),
            }])?;
            return Err(Error::Git(e));
        }
        self.write_note(id, prepared.target, true);
        self.append(vec![Event::TurnRolledBack {
            turn: id.to_string(),
            commit: Some(prepared.target.to_string()),
        }])?;
        Ok(Landing {
            commit: prepared.target.to_string(),
            branch,
            drift_from: None,
            skipped: Vec::new(),
        })
    }

    /// Why turn `id` (landed as `landed`) cannot be rolled back when its
    /// revert conflicts in `files`: the landed turns after it that changed
    /// those files, newest first, are named, and the newest is the one to
    /// roll back first.
    fn rollback_conflict(&self, id: &str, landed: Oid, files: &[String]) -> String {
        let later: Vec<&str> = self
            .state
            .turns()
            .iter()
            .rev()
            .filter(|t| t.id != id && t.state == TurnState::Landed)
            .filter(|t| t.paths.iter().any(|p| files.contains(p)))
            .filter(|t| {
                t.landed_commit
                    .as_deref()
                    .and_then(|c| Oid::from_str(c).ok())
                    .is_some_and(|c| self.repo.graph_descendant_of(c, landed).unwrap_or(false))
            })
            .map(|t| t.id.as_str())
            .collect();
        let files = files.join(", ");
        match later.as_slice() {
            [] => format!(
                "cannot roll back {id}: later changes touch the same lines in {files}; \
                 nothing was changed"
            ),
            [one] => format!(
                "cannot roll back {id}: {one} changed these lines later ({files}); \
                 roll back {one} first; nothing was changed"
            ),
            [newest, ..] => format!(
                "cannot roll back {id}: {} changed these lines later ({files}); \
                 roll them back first, newest first ({newest}); nothing was changed",
                later.join(", ")
            ),
        }
    }

    /// The commit message of a landed turn: its title, then the trailers
    /// that answer "who let this in, and under which rule".
    fn landed_message(&self, turn: &Turn) -> String {
        let mut m = self.turn_message(turn);
        let decision = match &turn.decision {
            Some(d) if d.by == DecidedBy::Policy => format!(
                "landed by policy{}",
                d.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            Some(d) => format!(
                "approved by {}{}",
                d.by,
                d.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            None => "approved".into(),
        };
        m.push_str(&format!("Leash-Decision: {decision}\n"));
        use crate::invariants::Outcome;
        let count = |o: Outcome| turn.invariants.iter().filter(|r| r.outcome == o).count();
        m.push_str(&format!(
            "Leash-Invariants: {}\n",
            if self.config.invariants.is_empty() {
                "none configured".to_string()
            } else if turn.invariants.is_empty() {
                "not checked".to_string()
            } else {
                let mut s = format!(
                    "{} pass, {} fail, {} fixed",
                    count(Outcome::Pass),
                    count(Outcome::Fail),
                    count(Outcome::Fixed)
                );
                if count(Outcome::Degraded) > 0 {
                    s.push_str(&format!(", {} degraded", count(Outcome::Degraded)));
                }
                s
            }
        ));
        if let Some(p) = turn.decision.as_ref().and_then(|d| d.partial.as_ref()) {
            if let Some(inv) = &p.invariants {
                // The tree that lands is the partial one: its own check. The
                // trailer is the last such line (a title may say anything).
                let at = m.rfind("\nLeash-Invariants: ").expect("written above") + 1;
                let end = at + m[at..].find('\n').expect("a whole line");
                m.replace_range(at..end, &format!("Leash-Invariants: {inv}"));
            }
            // The hunks that did not land, in the body, before the trailers;
            // a path is the agent's, so it is shown on one line, as text.
            let mut all: Vec<usize> = p.accepted.iter().chain(&p.rejected).map(|h| h.n).collect();
            all.sort_unstable();
            all.dedup();
            let mut body = format!(
                "Landed in part: {} of {} hunks. Not landed (kept at {}):\n",
                p.accepted.len(),
                all.len(),
                crate::model::rejected_ref(&turn.id)
            );
            for h in &p.rejected {
                body.push_str(&format!(
                    "- {}: {}\n",
                    h.n,
                    crate::sanitize::plain(&h.label())
                ));
            }
            body.push('\n');
            let after_title = m.find("\n\n").map_or(m.len(), |i| i + 2);
            m.insert_str(after_title, &body);
            m.push_str("Leash-Partial: yes\n");
        }
        // A fix turn names what it fixed.
        for r in turn
            .invariants
            .iter()
            .filter(|r| r.outcome == Outcome::Fixed)
        {
            m.push_str(&format!("Leash-Fix: {}\n", r.name));
        }
        m
    }
}

/// The way forward for a turn whose branch moved under it: its work again,
/// on the branch as it is now.
fn replay_on_head(id: &str) -> String {
    format!("replay it on the current head: `leash replay {id} --on-head` (p in the console)")
}

/// The turn, if an operator may decide it now.
pub(super) fn decidable<'s>(state: &'s State, id: &str) -> Result<&'s Turn> {
    let turn = state
        .turn(id)
        .ok_or_else(|| Error::UnknownTurn(id.to_string()))?;
    if let Some(d) = &turn.decision {
        return Err(Error::AlreadyDecided {
            turn: id.to_string(),
            what: format!(
                "{} by {} at {}",
                match d.decision {
                    Decision::Approve => "approved",
                    Decision::Reject => "rejected",
                },
                d.by,
                d.ts
            ),
        });
    }
    if turn.state != TurnState::AwaitingReview {
        return Err(match turn.state {
            TurnState::Landed | TurnState::Rejected | TurnState::RolledBack => {
                Error::AlreadyDecided {
                    turn: id.to_string(),
                    what: format!("it is {}", turn.state),
                }
            }
            other => Error::Refused(format!(
                "{id} is {other}; only a turn awaiting review can be decided"
            )),
        });
    }
    Ok(turn)
}
