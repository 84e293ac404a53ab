//! In-place turns: an interactive agent working in the user's own checkout,
//! observed through its hooks. A shadow snapshot of the working tree is
//! taken when a prompt is submitted and again when the agent stops; the
//! turn's diff is end minus start, so edits made through shell commands are
//! caught too. Landing accepts what is already in the checkout; rejecting
//! restores the start content where files still hold the end content.

use git2::Oid;

use super::{Error, Landing, Rejected, Result, Workspace};
use crate::checkpoint::shadow;
use crate::event::Event;
use crate::model::{DecidedBy, Decision, TurnKind};
use crate::policy::{self, Verdict};
use crate::state::Turn;

fn title(prompt: &str, agent: &str) -> String {
    match crate::agents::run::one_line(prompt) {
        t if t.is_empty() => format!("{agent} session (in place)"),
        t => t,
    }
}

fn shadow_err(e: shadow::ShadowError) -> Error {
    Error::Refused(format!("snapshot of the working tree: {e}"))
}

impl Workspace {
    /// Starts an in-place turn for an agent session: ends the session's
    /// previous turn if it never saw a Stop, snapshots the working tree, and
    /// records the turn with that snapshot as its base.
    pub fn start_in_place(&mut self, session: &str, agent: &str, prompt: &str) -> Result<String> {
        if let Some(id) = self.state.running_in_place(session).map(|t| t.id.clone()) {
            self.finish_in_place(&id, true)?;
        }
        let start = shadow::snapshot(&self.repo, session, "start of an in-place turn")
            .map_err(shadow_err)?;
        let branch = crate::checkpoint::current_branch(&self.repo)?;
        // The session keeps the policy it started under.
        let policy = match self.session_policy(session) {
            Some(p) => Some(p),
            None => crate::checkpoint::head_commit(&self.repo)?.map(|h| h.to_string()),
        };
        self.use_policy_of(policy.as_deref())?;
        let risk = self.config.default_risk;
        let title = title(prompt, agent);
        let id = self.create_turn_with(|id| {
            vec![Event::TurnCreated {
                turn: id.to_string(),
                task: None,
                agent: agent.to_string(),
                turn_kind: TurnKind::InPlace,
                risk,
                base: Some(start.to_string()),
                branch: branch.clone(),
                command: None,
                prompt: Some(prompt.to_string()).filter(|p| !p.is_empty()),
                title: title.clone(),
                deliverable: None,
                autonomy: None,
                // The hook process that records the turn is gone in a
                // moment: an in-place turn has no supervisor to watch.
                supervisor_pid: None,
                supervisor_start: None,
                session: Some(session.to_string()),
                policy: policy.clone(),
                worktree: None,
            }]
        })?;
        Ok(id)
    }

    /// Ends an in-place turn: snapshots the working tree, raises its class
    /// by the paths it changed, and applies policy — an accepted turn is
    /// simply recorded as landed (its changes are already in the checkout).
    /// The policy commit of a session's turns so far, if it has any.
    pub fn session_policy(&self, session: &str) -> Option<String> {
        if let Some(p) = self
            .state
            .sessions
            .get(session)
            .and_then(|s| s.policy.clone())
        {
            return Some(p);
        }
        self.state
            .turns()
            .iter()
            .rev()
            .filter(|t| t.session.as_deref() == Some(session))
            .find_map(|t| t.policy.clone())
    }

    /// Governs what follows by the policy committed at `commit` (an in-place
    /// turn's pinned policy); `None` leaves the policy as it is.
    pub fn use_policy_of(&mut self, commit: Option<&str>) -> Result<()> {
        match commit {
            Some(c) => self.use_policy_at(Some(Oid::from_str(c)?)),
            None => Ok(()),
        }
    }

    pub fn finish_in_place(&mut self, id: &str, answered: bool) -> Result<()> {
        self.end_in_place(id, answered, false)
    }

    /// Ends an in-place turn the operator cancelled: decided like any ended
    /// turn, recorded as `cancelled` (so it never lands by itself).
    pub fn cancel_in_place(&mut self, id: &str) -> Result<()> {
        self.end_in_place(id, true, true)
    }

    fn end_in_place(&mut self, id: &str, answered: bool, cancelled: bool) -> Result<()> {
        // Whole: its note lists every action, and a turn read from the fold
        // snapshot holds only those not done yet.
        let turn = self.whole_turn(id)?.into_owned();
        self.use_policy_of(turn.policy.as_deref())?;
        let session = turn
            .session
            .clone()
            .ok_or_else(|| Error::Refused(format!("{id} is not an in-place turn")))?;
        let start = turn
            .base
            .as_deref()
            .map(Oid::from_str)
            .transpose()?
            .ok_or_else(|| Error::Refused(format!("{id} has no start snapshot")))?;
        let end =
            shadow::snapshot(&self.repo, &session, &format!("end of {id}")).map_err(shadow_err)?;
        let change = shadow::changes(&self.repo, start, end).map_err(shadow_err)?;
        let changed = !change.paths.is_empty();
        let failure = if cancelled {
            Some(crate::model::FailureClass::Cancelled)
        } else {
            (!changed && !answered).then_some(crate::model::FailureClass::EmptyDeliverable)
        };
        let super::turns::Conclusion {
            escalations,
            level,
            verdict,
        } = self.conclude_turn(&turn, changed, &change.paths, failure, true)?;
        let reason = match &verdict {
            Verdict::Land { rule } => Verdict::Land {
                rule: format!("{rule}; accepted in place"),
            },
            other => other.clone(),
        };
        let reason = policy::outcome_reason(&reason, turn.denials.as_ref());
        // The checkout holds the turn's end: its citations are read there.
        let citations = self
            .turn_sources(&turn, end)
            .map(|s| self.citations_of(&self.root, &s))
            .unwrap_or_default();
        let mut events: Vec<Event> = escalations
            .into_iter()
            .map(|e| Event::RiskEscalated {
                turn: id.to_string(),
                from: e.from,
                to: e.to,
                because: e.because,
            })
            .collect();
        events.push(Event::TurnFinished {
            turn: id.to_string(),
            exit: Some(0),
            signal: None,
            failure,
            commit: Some(end.to_string()),
            files_changed: change.files,
            insertions: change.insertions,
            deletions: change.deletions,
            autonomy: Some(level),
            reason,
            paths: change.paths.clone(),
            message_empty: !answered,
            citations,
        });
        let mut noted = false;
        if let Verdict::Land { rule } = verdict {
            // The note is written before the landing is journaled, from the
            // turn as the events below will record it; if another process
            // ends the turn first, it is taken back.
            let now = crate::journal::now();
            let mut landed = turn.clone();
            landed.finished = Some(now.clone());
            landed.autonomy = Some(level);
            landed.reason = match events.last() {
                Some(Event::TurnFinished { reason, .. }) => reason.clone(),
                _ => String::new(),
            };
            for e in &events {
                if let Event::RiskEscalated {
                    to, because, from, ..
                } = e
                {
                    landed.risk = landed.risk.max(*to);
                    landed.escalations.push(crate::model::Escalation {
                        from: *from,
                        to: *to,
                        because: because.clone(),
                    });
                }
            }
            landed.decision = Some(crate::state::TurnDecision {
                decision: Decision::Approve,
                by: DecidedBy::Policy,
                reason: Some(rule.clone()),
                ts: now,
                partial: None,
                receipt: None,
            });
            self.write_note_of(&landed, end, false);
            noted = true;
            events.push(Event::TurnDecided {
                turn: id.to_string(),
                decision: Decision::Approve,
                by: DecidedBy::Policy,
                reason: Some(rule),
                partial: None,
                receipt: None,
            });
            events.push(Event::TurnLanded {
                turn: id.to_string(),
                commit: end.to_string(),
                drift_from: None,
            });
        }
        let still_running = |state: &crate::state::State| {
            state
                .turn(id)
                .is_some_and(|t| t.state == crate::model::TurnState::Running)
        };
        self.transact(|state| Ok((if still_running(state) { events } else { vec![] }, ())))?;
        if noted
            && !self
                .turn(id)
                .is_ok_and(|t| t.landed_commit.as_deref() == Some(&end.to_string()))
        {
            self.remove_note(end);
        }
        self.notify_review(id);
        Ok(())
    }

    /// Accepts an in-place turn that awaits review: nothing moves, the turn
    /// is recorded as landed.
    pub(crate) fn accept_in_place(&mut self, turn: &Turn) -> Result<Landing> {
        let end = turn
            .commit
            .clone()
            .ok_or_else(|| Error::Refused(format!("{} has no end snapshot", turn.id)))?;
        self.write_note(&turn.id, Oid::from_str(&end)?, false);
        self.append(vec![Event::TurnLanded {
            turn: turn.id.clone(),
            commit: end.clone(),
            drift_from: None,
        }])?;
        Ok(Landing {
            commit: end,
            branch: turn.branch.clone().unwrap_or_default(),
            drift_from: None,
            skipped: Vec::new(),
        })
    }

    /// Restores the start content of an in-place turn's files where they
    /// still hold its end content (after a safety snapshot).
    pub(crate) fn restore_in_place(&mut self, turn: &Turn) -> Result<shadow::Restore> {
        let session = turn.session.clone().unwrap_or_default();
        let parse = |s: &Option<String>| s.as_deref().map(Oid::from_str).transpose();
        let (Some(start), Some(end)) = (parse(&turn.base)?, parse(&turn.commit)?) else {
            return Err(Error::Refused(format!(
                "{} has no start and end snapshots to restore from",
                turn.id
            )));
        };
        shadow::restore(&self.repo, &session, start, end).map_err(shadow_err)
    }

    /// Rejects an in-place turn: its files go back to their start content
    /// where nobody edited them since; the rest is reported.
    pub(crate) fn reject_in_place(&mut self, turn: &Turn) -> Result<Rejected> {
        let restore = self.restore_in_place(turn)?;
        let kept_at = format!(
            "refs/leash/shadow/{}",
            turn.session.as_deref().unwrap_or_default()
        );
        self.append(vec![Event::TurnRejected {
            turn: turn.id.clone(),
            kept_at: kept_at.clone(),
        }])?;
        Ok(Rejected {
            kept_at,
            restored: restore.restored,
            skipped: restore.skipped,
        })
    }
}
