//! Opening a workspace after a crash: write-ahead intents (landing,
//! rollback) finished or undone by comparing refs and files with them, and
//! turns whose supervisor is gone marked interrupted.

use git2::Oid;

use super::{FileLock, Result, Workspace};
use crate::checkpoint::{self, Prepared};
use crate::event::Event;
use crate::model::{Decision, TurnState};
use crate::state::{IntentOp, Turn};

impl Workspace {
    /// Finishes or undoes what crashed processes left half-done, and marks
    /// turns whose supervisor is gone as interrupted.
    pub(super) fn recover(&mut self) -> Result<()> {
        // A live lander holds this lock for its whole landing, so what we
        // find under it is truly abandoned.
        let Some(_lock) = FileLock::acquire(&self.leash_dir.join("land.lock"), false)? else {
            return Ok(());
        };
        let turns: Vec<Turn> = self.state.turns().to_vec();
        for t in &turns {
            if let Some(intent) = &t.pending {
                self.recover_intent(t, intent.op, intent)?;
            } else if t.state == TurnState::AwaitingReview
                && let Some(d) = &t.decision
            {
                match d.decision {
                    Decision::Approve => {
                        self.append(vec![Event::LandingAborted {
                            turn: t.id.clone(),
                            reason: "the process landing it stopped before it began; \
                                     the turn waits for a decision again"
                                .into(),
                            failure: None,
                        }])?;
                        self.notices.push(format!(
                            "{}: an approval was interrupted before landing began; it waits again",
                            t.id
                        ));
                    }
                    Decision::Reject => {
                        if t.kind == crate::model::TurnKind::InPlace {
                            self.reject_in_place(t)?;
                        } else {
                            self.finish_reject(&t.id)?;
                        }
                        self.notices
                            .push(format!("{}: finished an interrupted rejection", t.id));
                    }
                }
            }
        }
        self.mark_interrupted()
    }

    fn recover_intent(
        &mut self,
        t: &Turn,
        op: IntentOp,
        intent: &crate::state::Intent,
    ) -> Result<()> {
        let target = Oid::from_str(&intent.target)?;
        let old = intent.old.as_deref().map(Oid::from_str).transpose()?;
        let tip = checkpoint::branch_tip(&self.repo, &intent.branch)?;
        let done = |ws: &mut Workspace| -> Result<()> {
            let ev = match op {
                IntentOp::Land => Event::TurnLanded {
                    turn: t.id.clone(),
                    commit: intent.target.clone(),
                    drift_from: None,
                },
                IntentOp::Rollback => Event::TurnRolledBack {
                    turn: t.id.clone(),
                    commit: Some(intent.target.clone()),
                },
            };
            ws.append(vec![ev])?;
            ws.notices.push(format!(
                "{}: finished an interrupted {}",
                t.id,
                if op == IntentOp::Land {
                    "landing"
                } else {
                    "rollback"
                }
            ));
            Ok(())
        };
        let undo = |ws: &mut Workspace, reason: String| -> Result<()> {
            ws.notices.push(format!("{}: {reason}", t.id));
            let ev = match op {
                IntentOp::Land => Event::LandingAborted {
                    turn: t.id.clone(),
                    reason,
                    failure: None,
                },
                IntentOp::Rollback => Event::RollbackAborted {
                    turn: t.id.clone(),
                    reason,
                },
            };
            ws.append(vec![ev])
        };
        if tip == Some(target) {
            return done(self);
        }
        if tip != old {
            return undo(
                self,
                format!(
                    "branch {} moved elsewhere while the {} was interrupted; nothing was changed",
                    intent.branch,
                    if op == IntentOp::Land {
                        "landing"
                    } else {
                        "rollback"
                    }
                ),
            );
        }
        let checked_out =
            checkpoint::current_branch(&self.repo)?.as_deref() == Some(intent.branch.as_str());
        if checked_out {
            let files = checkpoint::workdir_state(&self.repo, old, target)?;
            if files.at_target.is_empty() {
                return undo(
                    self,
                    "interrupted before any file changed; nothing was changed".into(),
                );
            }
            if !files.other.is_empty() {
                return undo(
                    self,
                    format!(
                        "interrupted mid-checkout and these files were edited since: {}; \
                         the other files already hold the turn's content, uncommitted",
                        files.other.join(", ")
                    ),
                );
            }
            let tree = checkpoint::tree_of(&self.repo, Some(target))?;
            checkpoint::force_paths(&self.repo, &tree, &files.at_old)?;
        }
        let prepared = Prepared {
            branch: intent.branch.clone(),
            old,
            target,
            drift_from: None,
        };
        let refname = format!("refs/heads/{}", prepared.branch);
        match old {
            Some(o) => {
                self.repo
                    .reference_matching(&refname, target, true, o, "leash: finish landing")?
            }
            None => self
                .repo
                .reference(&refname, target, false, "leash: finish landing")?,
        };
        done(self)
    }

    fn mark_interrupted(&mut self) -> Result<()> {
        // (turn, its agent's pid and start time)
        type Gone = (String, Option<(u32, Option<u64>)>);
        let gone: Vec<Gone> = self
            .state
            .turns()
            .iter()
            .filter(|t| t.state == TurnState::Running)
            // An in-place turn has no supervisor: its agent's hooks end it.
            .filter(|t| t.kind == crate::model::TurnKind::Isolated)
            .filter(|t| match t.supervisor_pid {
                Some(pid) => !crate::agents::process::is_alive(pid, t.supervisor_start),
                None => true,
            })
            .map(|t| (t.id.clone(), t.agent_pid.map(|p| (p, t.agent_start))))
            .collect();
        for (id, agent) in gone {
            // An agent that outlived its supervisor would go on changing the
            // worktree behind everyone's back.
            if let Some((pid, start)) = agent {
                crate::agents::process::kill_orphans(pid, start);
            }
            let interrupted = self.transact(|state| {
                let still = state
                    .turn(&id)
                    .is_some_and(|t| t.state == TurnState::Running);
                let ev = Event::TurnInterrupted {
                    turn: id.clone(),
                    reason: Some(
                        "its supervisor is gone; the worktree is kept — see `leash diff`".into(),
                    ),
                };
                Ok((if still { vec![ev] } else { vec![] }, still))
            })?;
            if interrupted {
                self.notices.push(format!(
                    "{id} was interrupted (its supervisor is gone); its worktree is kept"
                ));
            }
        }
        Ok(())
    }
}
