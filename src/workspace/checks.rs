//! Invariants in the life of a workspace: checking a turn's tree before
//! policy decides, telling what a turn introduced from what it inherited,
//! `leash check`, and fixes made as turns of their own (so a fix lands as a
//! commit with a trailer naming the invariant, and rolls back like a turn).

use std::path::Path;

use git2::Oid;
use git2::build::CheckoutBuilder;

use super::{Error, Landing, Result, Workspace, io_error, turn_ref};
use crate::checkpoint;
use crate::event::Event;
use crate::invariants::{self, CheckResult, Context, Outcome, passes};
use crate::model::{DecidedBy, Decision, FailureClass, RiskClass, TurnKind};

/// Findings of each invariant the journal keeps; the rest are in the
/// check's file beside it.
pub const FINDINGS_IN_JOURNAL: usize = 5;

/// The folder beside the journal that holds checks' findings in full.
pub const CHECKS_DIR: &str = "checks";

/// What checking a turn's tree found.
#[derive(Debug, Clone, Default)]
pub struct TurnCheck {
    pub results: Vec<CheckResult>,
    /// Names of the failing invariants the turn introduced (the rest of the
    /// failures were there at its base).
    pub introduced: Vec<String>,
}

impl TurnCheck {
    /// True when nothing failed and nothing was degraded.
    pub fn all_pass(&self) -> bool {
        self.results.iter().all(passes)
    }

    /// The names of the invariants that did not pass.
    pub fn failing(&self) -> Vec<&str> {
        self.results
            .iter()
            .filter(|r| !passes(r))
            .map(|r| r.name.as_str())
            .collect()
    }

    /// The failure class the check gives the turn: a newly failing
    /// `references` check is a dangling pointer.
    pub fn failure(&self) -> Option<FailureClass> {
        self.results
            .iter()
            .any(|r| r.kind == "references" && self.introduced.contains(&r.name))
            .then_some(FailureClass::DanglingReference)
    }
}

impl Workspace {
    fn context(&self, deliverable: Option<&str>, fix: bool) -> Context {
        let today = chrono::Local::now().date_naive();
        Context {
            today,
            deliverable: deliverable.map(|d| crate::config::expand_date_placeholders(d, today)),
            fix,
            sources: None,
        }
    }

    /// Runs the configured invariants over a directory holding a tree.
    pub fn check_dir(&self, dir: &Path, deliverable: Option<&str>, fix: bool) -> Vec<CheckResult> {
        invariants::run_all(
            dir,
            &self.config.invariants,
            &self.context(deliverable, fix),
        )
    }

    /// Runs the invariants over a commit's tree, written out to a temporary
    /// directory (the user's checkout and index are not touched).
    pub fn check_commit(
        &self,
        commit: Option<Oid>,
        deliverable: Option<&str>,
    ) -> Result<Vec<CheckResult>> {
        let dir = self.written_out(commit, "leash-check-")?;
        Ok(self.check_dir(dir.path(), deliverable, false))
    }

    /// `commit`'s tree written out to a new temporary directory (the
    /// user's checkout and index are not touched).
    pub(super) fn written_out(
        &self,
        commit: Option<Oid>,
        prefix: &str,
    ) -> Result<tempfile::TempDir> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(io_error(Path::new("temp dir")))?;
        let tree = checkpoint::tree_of(&self.repo, commit)?;
        let mut opts = CheckoutBuilder::new();
        opts.force().target_dir(dir.path()).update_index(false);
        self.repo.checkout_tree(tree.as_object(), Some(&mut opts))?;
        Ok(dir)
    }

    /// Checks a finished turn's tree (in `dir`) and, when something fails,
    /// its base too, to tell introduced failures from inherited ones.
    /// `sources`: what the turn read and added, for `citations`.
    pub(crate) fn check_turn(
        &self,
        dir: &Path,
        base: Option<Oid>,
        deliverable: Option<&str>,
        sources: Option<invariants::TurnSources>,
    ) -> Result<TurnCheck> {
        if self.config.invariants.is_empty() {
            return Ok(TurnCheck::default());
        }
        let ctx = Context {
            sources,
            ..self.context(deliverable, false)
        };
        let results = invariants::run_all(dir, &self.config.invariants, &ctx);
        let introduced = if results.iter().all(passes) {
            Vec::new()
        } else {
            let before = self.check_commit(base, deliverable)?;
            invariants::introduced(&results, &before)
                .into_iter()
                .map(|r| r.name.clone())
                .collect()
        };
        Ok(TurnCheck {
            results,
            introduced,
        })
    }

    /// The journal event of a check. Its findings beyond the first few of
    /// each invariant are kept beside the journal, in a file named by the
    /// event (so a check of thousands of findings adds a line, not
    /// megabytes, to the history every process folds); should that file
    /// not be written, the event keeps them all.
    pub(crate) fn checked_event(
        &self,
        turn: Option<&str>,
        tree: String,
        check: &TurnCheck,
    ) -> Event {
        let to_value = |r: &CheckResult| serde_json::to_value(r).expect("results serialize");
        let many = check
            .results
            .iter()
            .any(|r| r.findings.len() > FINDINGS_IN_JOURNAL);
        let file = many.then(|| self.write_findings(&check.results)).flatten();
        let results = match &file {
            Some(_) => check
                .results
                .iter()
                .map(|r| to_value(&r.abridged(FINDINGS_IN_JOURNAL)))
                .collect(),
            None => check.results.iter().map(to_value).collect(),
        };
        Event::InvariantsChecked {
            turn: turn.map(str::to_string),
            tree,
            results,
            introduced: check.introduced.clone(),
            merged: false,
            findings: file,
        }
    }

    /// Writes every result of a check to `checks/<id>.json` beside the
    /// journal (the id: the git blob id of the bytes; the same results are
    /// one file), whole or not at all; the id, or `None` when it could not.
    fn write_findings(&self, results: &[CheckResult]) -> Option<String> {
        let bytes = serde_json::to_vec(results).ok()?;
        let id = Oid::hash_object(git2::ObjectType::Blob, &bytes)
            .ok()?
            .to_string();
        let dir = self.leash_dir.join(CHECKS_DIR);
        let path = dir.join(format!("{id}.json"));
        if !path.exists() {
            std::fs::create_dir_all(&dir).ok()?;
            let mut tmp = tempfile::NamedTempFile::new_in(&dir).ok()?;
            std::io::Write::write_all(&mut tmp, &bytes).ok()?;
            tmp.as_file().sync_all().ok()?;
            tmp.persist(&path).ok()?;
        }
        Some(id)
    }

    /// Every result of a check the journal keeps abridged: read from its
    /// file beside the journal; `results` as they are when there is none
    /// (or it is gone or damaged — the journal's own part still stands).
    pub fn full_results(&self, file: Option<&str>, results: &[CheckResult]) -> Vec<CheckResult> {
        let read = || -> Option<Vec<CheckResult>> {
            let id = file?;
            let bytes =
                std::fs::read(self.leash_dir.join(CHECKS_DIR).join(format!("{id}.json"))).ok()?;
            // Only what hashes to its name is trusted.
            let ok =
                Oid::hash_object(git2::ObjectType::Blob, &bytes).is_ok_and(|h| h.to_string() == id);
            ok.then(|| serde_json::from_slice(&bytes).ok()).flatten()
        };
        read().unwrap_or_else(|| results.to_vec())
    }

    /// The journal event of a check of a turn's change merged onto the
    /// branch it lands on, which had moved since the turn's base.
    pub(crate) fn merged_checked_event(
        &self,
        turn: &str,
        tree: String,
        check: &TurnCheck,
    ) -> Event {
        match self.checked_event(Some(turn), tree, check) {
            Event::InvariantsChecked {
                turn,
                tree,
                results,
                introduced,
                findings,
                ..
            } => Event::InvariantsChecked {
                turn,
                tree,
                results,
                introduced,
                merged: true,
                findings,
            },
            other => other,
        }
    }

    /// `leash check`: the invariants over the checkout as it is, journaled.
    pub fn check_workspace(&mut self) -> Result<Vec<CheckResult>> {
        let results = self.check_dir(&self.root.clone(), None, false);
        let tree = checkpoint::head_commit(&self.repo)?
            .map(|c| c.to_string())
            .unwrap_or_default();
        let check = TurnCheck {
            results: results.clone(),
            introduced: Vec::new(),
        };
        self.append(vec![self.checked_event(None, tree, &check)])?;
        Ok(results)
    }

    /// `leash check --fix`: applies the fixable invariants' fixes to the
    /// branch head as a turn of leash's own — worktree, commit with a
    /// `Leash-Fix` trailer naming each fixed invariant, landed at the
    /// operator's request — so the fix can be rolled back like any turn.
    /// `None` when there was nothing to fix.
    pub fn fix_workspace(&mut self) -> Result<Option<(String, Vec<CheckResult>, Landing)>> {
        self.ensure_unblocked()?;
        let branch = checkpoint::current_branch(&self.repo)?.ok_or_else(|| {
            Error::Refused("HEAD is detached; check out a branch to fix it".into())
        })?;
        let base = checkpoint::head_commit(&self.repo)?;
        // A fix that would change nothing leaves nothing behind: try the
        // fixes on a scratch copy of the head first.
        if !self.fixes_something(base)? {
            return Ok(None);
        }
        let worktrees = self.worktree_path("t0");
        let worktrees = worktrees.parent().expect("a worktree path has a parent");
        let id = self.create_turn_with(|id| {
            vec![Event::TurnCreated {
                turn: id.to_string(),
                task: None,
                agent: "leash-fix".into(),
                turn_kind: TurnKind::Isolated,
                risk: RiskClass::Low,
                base: base.map(|b| b.to_string()),
                branch: Some(branch.clone()),
                command: None,
                prompt: None,
                title: "Fix invariants".into(),
                deliverable: None,
                autonomy: None,
                supervisor_pid: Some(std::process::id()),
                supervisor_start: crate::agents::process::start_time(std::process::id()),
                session: None,
                policy: None,
                worktree: Some(worktrees.join(id).display().to_string()),
            }]
        })?;
        let worktree = self.worktree_path(&id);
        checkpoint::create_worktree(&self.repo, &id, &worktree, base)?;
        crate::workspace::crash_point("fix_worktree_created");
        let results = self.check_dir(&worktree, None, true);
        let fixed: Vec<&CheckResult> = results
            .iter()
            .filter(|r| r.outcome == Outcome::Fixed)
            .collect();
        let mut message = format!(
            "Fix invariants: {}\n\n",
            if fixed.is_empty() {
                "nothing to fix".to_string()
            } else {
                fixed
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        message.push_str(&format!(
            "Leash-Turn: {id}\nLeash-Agent: leash (invariant fixes)\n"
        ));
        for r in &fixed {
            message.push_str(&format!("Leash-Fix: {}\n", r.name));
        }
        let commit = checkpoint::commit_worktree(&worktree, base, &message, &turn_ref(&id))?;
        let stats = {
            let old = checkpoint::tree_of(&self.repo, base)?;
            let new = checkpoint::tree_of(&self.repo, Some(commit))?;
            checkpoint::stats(&self.repo, &old, &new)?
        };
        let check = TurnCheck {
            results: results.clone(),
            introduced: Vec::new(),
        };
        let tree = commit.to_string();
        let title = message.lines().next().unwrap_or_default().to_string();
        let mut events = vec![
            self.checked_event(Some(&id), tree, &check),
            Event::TurnFinished {
                turn: id.clone(),
                exit: Some(0),
                signal: None,
                failure: None,
                commit: Some(commit.to_string()),
                files_changed: stats.files_changed,
                insertions: stats.insertions,
                deletions: stats.deletions,
                autonomy: None,
                reason: title,
                paths: stats.paths.clone(),
                message_empty: false,
                citations: Vec::new(),
            },
        ];
        if stats.files_changed == 0 {
            self.append(events)?;
            self.discard_worktree(&id);
            return Ok(None);
        }
        let _lock = self.land_lock()?;
        events.push(Event::TurnDecided {
            turn: id.clone(),
            decision: Decision::Approve,
            by: DecidedBy::Operator,
            reason: Some("leash check --fix".into()),
            partial: None,
            receipt: None,
        });
        self.append(events)?;
        let landing = self.land_decided(&id)?;
        Ok(Some((id, results, landing)))
    }
}

/// What fixing a turn awaiting review did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TurnFix {
    pub turn: String,
    /// The names of the invariants fixed.
    pub fixed: Vec<String>,
    /// The turn's new commit (base + the agent's changes + the fixes).
    pub commit: String,
    /// Where the agent's own commit stays.
    pub unfixed: String,
    /// The invariants on the fixed tree.
    pub results: Vec<CheckResult>,
}

impl TurnFix {
    /// The re-check, in words.
    pub fn summary(&self) -> String {
        let failing: Vec<&str> = self
            .results
            .iter()
            .filter(|r| !passes(r))
            .map(|r| r.name.as_str())
            .collect();
        if failing.is_empty() {
            "every invariant passes now".into()
        } else {
            format!("still failing: {}", failing.join(", "))
        }
    }
}

impl Workspace {
    /// Whether applying the fixable invariants' fixes to `commit`'s tree
    /// would change anything (tried on a scratch copy).
    fn fixes_something(&self, commit: Option<Oid>) -> Result<bool> {
        let dir = self.written_out(commit, "leash-fix-")?;
        Ok(self
            .check_dir(dir.path(), None, true)
            .iter()
            .any(|r| r.outcome == Outcome::Fixed))
    }

    /// `F` on a turn awaiting review (`leash check --fix --turn T`): the
    /// fixable invariants' fixes go into the turn itself. Its turn commit
    /// is replaced by one on the same base holding the agent's changes and
    /// the fixes (with a `Leash-Fix` trailer each), the agent's own commit
    /// stays at `refs/leash/unfixed/<id>`, the invariants run again, and
    /// the turn waits for review as before — so approving it lands the
    /// work fixed, and a branch that moved meanwhile still gets all of it.
    /// `None` (and nothing written) when no fix applies.
    pub fn fix_turn(&mut self, id: &str) -> Result<Option<TurnFix>> {
        self.ensure_unblocked()?;
        if self.config.invariants.is_empty() {
            return Err(Error::Refused("no invariants are configured".into()));
        }
        let _lock = self.land_lock()?;
        self.refresh()?;
        let turn = self.turn(id)?.clone();
        if turn.state != crate::model::TurnState::AwaitingReview || turn.pending.is_some() {
            return Err(Error::Refused(format!(
                "{id} is {}; only a turn awaiting review can be fixed (F with no such turn selected fixes the branch head)",
                turn.state
            )));
        }
        if turn.kind == TurnKind::InPlace {
            return Err(Error::Refused(format!(
                "{id} changed the checkout in place; decide it, then fix the branch head"
            )));
        }
        let Some(commit) = turn.commit.as_deref().map(Oid::from_str).transpose()? else {
            return Err(Error::Refused(format!("{id} has no turn commit to fix")));
        };
        let base = turn.base.as_deref().map(Oid::from_str).transpose()?;
        if !self.fixes_something(Some(commit))? {
            return Ok(None);
        }
        // A scratch worktree at the turn commit: the fixes are made there.
        let scratch = format!("{id}-fix");
        let dir = tempfile::Builder::new()
            .prefix("leash-fix-")
            .tempdir()
            .map_err(io_error(Path::new("temp dir")))?;
        let path = dir.path().join(&scratch);
        // The agent's own commit stays reachable before the turn's ref
        // moves off it.
        // (A turn fixed twice keeps the agent's first.)
        let unfixed = format!("refs/leash/unfixed/{id}");
        if self.repo.find_reference(&unfixed).is_err() {
            self.repo.reference(
                &unfixed,
                commit,
                false,
                "leash: the agent's commit, before fixes",
            )?;
        }
        let _ = checkpoint::remove_worktree(&self.repo, &scratch, &path);
        checkpoint::create_worktree(&self.repo, &scratch, &path, Some(commit))?;
        let made = (|| -> Result<(Vec<CheckResult>, Oid)> {
            let fixing = self.check_dir(&path, turn.deliverable.as_deref(), true);
            let fixed: Vec<&CheckResult> = fixing
                .iter()
                .filter(|r| r.outcome == Outcome::Fixed)
                .collect();
            let agent_message = self
                .repo
                .find_commit(commit)?
                .message()
                .unwrap_or_default()
                .trim_end()
                .to_string();
            let mut message = format!("{agent_message}\n");
            for r in &fixed {
                message.push_str(&format!("Leash-Fix: {}\n", r.name));
            }
            let new = checkpoint::commit_worktree(&path, base, &message, &turn_ref(id))?;
            Ok((fixing, new))
        })();
        let _ = checkpoint::remove_worktree(&self.repo, &scratch, &path);
        let (fixing, new) = made?;
        // Re-check the fixed tree as a turn is checked; what was fixed
        // keeps its `fixed` outcome, so the landed commit names the fix.
        let dir2 = self.written_out(Some(new), "leash-check-")?;
        let tree = checkpoint::tree_of(&self.repo, Some(new))?;
        let sources = self.turn_sources(&turn, new).ok();
        let citations = sources
            .as_ref()
            .map(|s| self.citations_of(dir2.path(), s))
            .unwrap_or_default();
        let mut check = self.check_turn(dir2.path(), base, turn.deliverable.as_deref(), sources)?;
        let fixed: Vec<String> = fixing
            .iter()
            .filter(|r| r.outcome == Outcome::Fixed)
            .map(|r| r.name.clone())
            .collect();
        for r in &mut check.results {
            if r.outcome == Outcome::Pass && fixed.contains(&r.name) {
                r.outcome = Outcome::Fixed;
            }
        }
        let stats = {
            let old = checkpoint::tree_of(&self.repo, base)?;
            checkpoint::stats(&self.repo, &old, &tree)?
        };
        drop(tree);
        // A dangling pointer the fix resolved is no longer the turn's
        // failure; any other failure stays.
        let failure = match turn.failure {
            Some(FailureClass::DanglingReference) | None => check.failure(),
            other => other,
        };
        // The new commit is the turn's before its check is recorded, so the
        // check reads as the turn's own and not as a merged tree's.
        self.append(vec![
            Event::TurnFinished {
                turn: id.to_string(),
                exit: turn.exit,
                signal: turn.signal,
                failure,
                commit: Some(new.to_string()),
                files_changed: stats.files_changed,
                insertions: stats.insertions,
                deletions: stats.deletions,
                autonomy: turn.autonomy,
                reason: format!(
                    "fixed by leash ({}) on top of the agent's work; waits for review",
                    fixed.join(", ")
                ),
                paths: stats.paths.clone(),
                message_empty: turn.message_empty,
                citations,
            },
            self.checked_event(Some(id), new.to_string(), &check),
        ])?;
        Ok(Some(TurnFix {
            turn: id.to_string(),
            fixed,
            commit: new.to_string(),
            unfixed,
            results: check.results,
        }))
    }
}
