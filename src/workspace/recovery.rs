//! Opening a workspace after a crash. Recovery owns what a dead leash
//! process left behind:
//!
//! | found on open | what recovery does |
//! |---|---|
//! | an intent naming commits that do not exist | the line is moved aside, never acted on |
//! | a git lock file of an interrupted leash operation | removed and journaled (`lock_removed`) |
//! | a git lock file that may be someone else's | named with the command that clears it; mutating commands refuse |
//! | a landing or rollback intent without its end | finished or undone, checkout, index and branch brought to one commit file by file |
//! | an approval or rejection that never began | withdrawn, or finished |
//! | a running turn whose supervisor is gone | marked interrupted, its worktree kept |
//! | a half-made (or half-removed) worktree | pruned |

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::Oid;

use super::{FileLock, Result, Workspace};
use crate::checkpoint;
use crate::event::Event;
use crate::journal::Journal;
use crate::model::{Decision, FollowHow, TurnKind, TurnState};
use crate::state::{Intent, IntentOp, State, Turn};

/// Who a git lock file under `.git` belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    /// An interrupted leash operation (of this turn, if it names one).
    Leash(Option<String>, &'static str),
    /// A live leash process working on a turn: left alone.
    Live,
    /// Another worktree's own files, which leash never writes: left alone.
    Elsewhere,
    /// Possibly another process.
    Unknown,
}

impl Workspace {
    /// Finishes or undoes what crashed processes left half-done, and marks
    /// turns whose supervisor is gone as interrupted. A step that cannot be
    /// done (a lock someone else holds) is reported and blocks mutating
    /// commands, but never stops the workspace from opening.
    pub(super) fn recover(&mut self) -> Result<()> {
        // A live lander holds this lock for its whole landing, so what we
        // find under it is truly abandoned.
        let Some(_lock) = FileLock::acquire(&self.leash_dir.join("land.lock"), false)? else {
            return Ok(());
        };
        self.quarantine_dangling_intents()?;
        self.clear_locks()?;
        // Only turns with something half-done: a clone of every turn per
        // open would grow with history.
        let turns: Vec<Turn> = self
            .state
            .turns()
            .iter()
            .filter(|t| {
                t.pending.is_some()
                    || (t.state == TurnState::AwaitingReview && t.decision.is_some())
            })
            .cloned()
            .collect();
        for t in &turns {
            let step = if let Some(intent) = &t.pending {
                self.recover_intent(t, intent)
            } else if t.state == TurnState::AwaitingReview
                && let Some(d) = &t.decision
            {
                self.recover_decision(t, d.decision)
            } else {
                Ok(())
            };
            if let Err(e) = step {
                let msg = format!("{}: could not finish what was interrupted: {e}", t.id);
                self.notices.push(msg.clone());
                self.blocked.push(msg);
            }
        }
        self.mark_interrupted()?;
        self.prune_worktrees();
        Ok(())
    }

    fn recover_decision(&mut self, t: &Turn, decision: Decision) -> Result<()> {
        match decision {
            Decision::Approve => {
                // An in-place turn's note is written just before its landing
                // is journaled: a landing that never was takes it back.
                if t.kind == TurnKind::InPlace
                    && let Some(end) = t.commit.as_deref().and_then(|c| Oid::from_str(c).ok())
                {
                    self.remove_note(end);
                }
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
                if t.kind == TurnKind::InPlace {
                    self.reject_in_place(t)?;
                } else {
                    self.finish_reject(&t.id)?;
                }
                self.notices
                    .push(format!("{}: finished an interrupted rejection", t.id));
            }
        }
        Ok(())
    }

    /// An intent whose commits are not in the repository cannot be finished
    /// or undone: its line is damaged. It is moved aside like a torn line
    /// and the journal folded again without it.
    fn quarantine_dangling_intents(&mut self) -> Result<()> {
        loop {
            let dangling = self.state.turns().iter().find_map(|t| {
                let intent = t.pending.as_ref()?;
                let missing = [Some(&intent.target), intent.old.as_ref()]
                    .into_iter()
                    .flatten()
                    .find(|oid| {
                        Oid::from_str(oid)
                            .and_then(|o| self.repo.find_commit(o))
                            .is_err()
                    })?;
                Some((t.id.clone(), intent.seq, missing.clone()))
            });
            let Some((id, seq, missing)) = dangling else {
                return Ok(());
            };
            let Some(aside) = self.journal.quarantine_seq(seq)? else {
                return Ok(());
            };
            self.notices.push(format!(
                "{}: the journal's intent for {id} (event {seq}) names commit {missing}, \
                 which is not in the repository; the line was moved to {} and is not acted on",
                self.journal.path().display(),
                aside.display()
            ));
            let mut state = State::default();
            let (journal, _) = Journal::open(self.journal.path(), &mut state, true)?;
            self.notices.append(&mut state.warnings);
            self.state = state;
            self.journal = journal;
        }
    }

    /// Removes the git lock files an interrupted leash operation left, and
    /// names the ones that may be someone else's.
    fn clear_locks(&mut self) -> Result<()> {
        let git = self.repo.commondir().to_path_buf();
        // The gate, which holds only the live turns, looks for the locks of
        // those alone under the per-turn ref folders: one file per turn ever
        // run lives there, and a hook must not list them all.
        let live: Option<Vec<&str>> = self
            .state
            .settled_left_out
            .then(|| self.state.turns().iter().map(|t| t.id.as_str()).collect());
        for lock in git_locks(&git, live.as_deref()) {
            let rel = lock
                .strip_prefix(&git)
                .unwrap_or(&lock)
                .to_string_lossy()
                .into_owned();
            match self.lock_owner(&rel) {
                Owner::Leash(turn, what) => {
                    match std::fs::remove_file(&lock) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => {
                            let msg = format!(
                                "{} was left by {what} that was killed, but could not be \
                                 removed ({e}); remove it: rm '{}'",
                                lock.display(),
                                lock.display()
                            );
                            self.notices.push(msg.clone());
                            self.blocked.push(msg);
                            continue;
                        }
                    }
                    let reason = format!("left by {what} that was killed; no process holds it");
                    self.notices.push(format!(
                        "removed {} — {reason}",
                        Path::new(".git").join(&rel).display()
                    ));
                    self.append(vec![Event::LockRemoved {
                        path: rel,
                        turn,
                        reason,
                    }])?;
                }
                Owner::Live | Owner::Elsewhere => {}
                Owner::Unknown => {
                    let msg = format!(
                        "{} exists: a git process is using the repository, or one was killed \
                         mid-write. Until it is gone leash changes nothing (reading works). \
                         If no git or leash process is running, remove it: rm '{}'",
                        lock.display(),
                        lock.display()
                    );
                    self.notices.push(msg.clone());
                    self.blocked.push(msg);
                }
            }
        }
        Ok(())
    }

    /// Decides whose a lock file is (its path relative to `.git`). Called
    /// with the land lock held, so no leash process is landing, rejecting or
    /// rolling back.
    fn lock_owner(&self, rel: &str) -> Owner {
        let stem = rel.strip_suffix(".lock").unwrap_or(rel);
        // Whatever the journal says of the turn: a supervisor outlives its
        // `turn_finished` (it writes the turn's ref, tidies its worktree),
        // and while it lives, its locks are its own.
        let turn_alive = |id: &str| {
            self.state.turn(id).is_some_and(|t| {
                t.kind == TurnKind::Isolated
                    && t.supervisor_pid
                        .is_some_and(|p| crate::agents::process::is_alive(p, t.supervisor_start))
            })
        };
        // A turn's own worktree admin files and refs: its supervisor, or a
        // lander (none is alive), wrote them.
        let turn_of = |s: &str| -> Option<String> {
            let id = if let Some(rest) = s.strip_prefix("worktrees/leash-") {
                rest.split('/').next()?
            } else {
                let rest = s
                    .strip_prefix("refs/leash/")
                    .or_else(|| s.strip_prefix("logs/refs/leash/"))?;
                let (kind, id) = rest.split_once('/')?;
                if !matches!(kind, "turns" | "rejected" | "unborn") {
                    return None;
                }
                id
            };
            crate::model::is_turn_id(id).then(|| id.to_string())
        };
        if stem.starts_with("worktrees/") && !stem.starts_with("worktrees/leash-") {
            return Owner::Elsewhere;
        }
        if let Some(id) = turn_of(stem) {
            return if turn_alive(&id) {
                Owner::Live
            } else {
                Owner::Leash(Some(id), "a leash process working on this turn")
            };
        }
        let intents: Vec<(&Turn, &Intent)> = self
            .state
            .turns()
            .iter()
            .filter_map(|t| t.pending.as_ref().map(|i| (t, i)))
            .collect();
        let checked_out = checkpoint::current_branch(&self.repo).ok().flatten();
        let landing = |t: &Turn, i: &Intent| {
            Owner::Leash(
                Some(t.id.clone()),
                if i.op == IntentOp::Land {
                    "a landing"
                } else {
                    "a rollback"
                },
            )
        };
        let branch = stem
            .strip_prefix("refs/heads/")
            .or_else(|| stem.strip_prefix("logs/refs/heads/"));
        if let Some(b) = branch
            && let Some((t, i)) = intents.iter().find(|(_, i)| i.branch == b)
        {
            return landing(t, i);
        }
        if matches!(stem, "index" | "HEAD" | "logs/HEAD")
            && let Some((t, i)) = intents
                .iter()
                .find(|(_, i)| checked_out.as_deref() == Some(i.branch.as_str()))
        {
            return landing(t, i);
        }
        // A landing writes its commit's note before it is journaled done.
        if matches!(stem, "refs/notes/leash" | "logs/refs/notes/leash")
            && let Some((t, i)) = intents.first()
        {
            return landing(t, i);
        }
        if stem == "packed-refs" {
            if let Some((t, i)) = intents.first() {
                return landing(t, i);
            }
            // Deleting a turn's ref rewrites packed-refs when it is packed.
            if let Some(t) = self.state.turns().iter().find(|t| {
                t.state == TurnState::AwaitingReview
                    && t.decision.as_ref().map(|d| d.decision) == Some(Decision::Reject)
            }) {
                return Owner::Leash(Some(t.id.clone()), "a rejection");
            }
        }
        Owner::Unknown
    }

    /// Finishes or undoes an interrupted landing or rollback so that the
    /// branch, the checkout and the index stand at the same commit. Each
    /// path the move changes is compared with both its old and its new
    /// content: when the checkout had begun (a path holds new content, or
    /// neither — a write cut short), the move is finished and every path
    /// brought to the new content; when every path still holds its old
    /// content, nothing had changed and the intent is withdrawn.
    fn recover_intent(&mut self, t: &Turn, intent: &Intent) -> Result<()> {
        let op = intent.op;
        let what = if op == IntentOp::Land {
            "landing"
        } else {
            "rollback"
        };
        let target = Oid::from_str(&intent.target)?;
        let old = intent.old.as_deref().map(Oid::from_str).transpose()?;
        let tip = checkpoint::branch_tip(&self.repo, &intent.branch)?;
        let checked_out = !self.repo.is_bare()
            && checkpoint::current_branch(&self.repo)?.as_deref() == Some(intent.branch.as_str());
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
        if tip != Some(target) && tip != old {
            return undo(
                self,
                format!(
                    "branch {} moved elsewhere while the {what} was interrupted; nothing was changed",
                    intent.branch
                ),
            );
        }
        let mut kept = Vec::new();
        if checked_out {
            let files = checkpoint::workdir_state(&self.repo, old, target)?;
            let all: Vec<String> = [&files.at_old, &files.at_target, &files.other]
                .into_iter()
                .flatten()
                .cloned()
                .collect();
            if tip == old && files.at_target.is_empty() && files.other.is_empty() {
                {
                    let tree = checkpoint::tree_of(&self.repo, old)?;
                    checkpoint::sync_index(&self.repo, &tree, &all)?;
                }
                return undo(
                    self,
                    "interrupted before any file changed; nothing was changed".into(),
                );
            }
            // A file that holds neither side is a write cut short — or an
            // edit made since; its bytes are kept as a blob either way.
            for p in &files.other {
                if let Ok(bytes) = std::fs::read(self.root.join(p))
                    && !bytes.is_empty()
                {
                    let blob = self.repo.blob(&bytes)?;
                    kept.push(format!("{p} (its content was kept as blob {blob})"));
                }
            }
            let stale: Vec<String> = files.at_old.iter().chain(&files.other).cloned().collect();
            let tree = checkpoint::tree_of(&self.repo, Some(target))?;
            checkpoint::force_paths(&self.repo, &tree, &stale)?;
            checkpoint::sync_index(&self.repo, &tree, &all)?;
            drop(tree);
        }
        if tip != Some(target) {
            let refname = format!("refs/heads/{}", intent.branch);
            let log = format!("leash: finish interrupted {what}");
            match old {
                Some(o) => self
                    .repo
                    .reference_matching(&refname, target, true, o, &log)?,
                None => self.repo.reference(&refname, target, false, &log)?,
            };
        }
        // The note goes with the commit; one already written is kept.
        self.write_note(&t.id, target, op == IntentOp::Rollback);
        // So does what a partial landing kept aside.
        if op == IntentOp::Land {
            let partial = t.decision.as_ref().and_then(|d| d.partial.as_ref());
            self.keep_remainder(&t.id, partial)?;
        }
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
        self.append(vec![ev])?;
        self.notices
            .push(format!("{}: finished an interrupted {what}", t.id));
        if !kept.is_empty() {
            self.notices.push(format!(
                "{}: brought to the turn's content: {}",
                t.id,
                kept.join(", ")
            ));
        }
        if op == IntentOp::Land {
            self.discard_worktree(&t.id);
        }
        Ok(())
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
            .filter(|t| t.kind == TurnKind::Isolated)
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
            let reason = if agent.is_some() {
                "its supervisor is gone; the worktree is kept — see `leash diff`"
            } else {
                "its supervisor is gone before the agent started; there is no work to keep"
            };
            let interrupted = self.transact(|state| {
                let still = state
                    .turn(&id)
                    .is_some_and(|t| t.state == TurnState::Running);
                let ev = Event::TurnInterrupted {
                    turn: id.clone(),
                    reason: Some(reason.into()),
                };
                Ok((if still { vec![ev] } else { vec![] }, still))
            })?;
            if interrupted {
                self.notices.push(if agent.is_some() {
                    format!("{id} was interrupted (its supervisor is gone); its worktree is kept")
                } else {
                    format!("{id} was interrupted before its agent started")
                });
                self.remove_turn_temp_dir(&id);
            }
        }
        Ok(())
    }

    /// Removes the temp dir a confined turn's agent had as `TMPDIR`
    /// (`<temp>/leash-<turn>-…`, among its writable paths) and the gate
    /// socket's directory beside it: its supervisor would have removed them
    /// at the end, and what is in them is scratch, not work (the work is in
    /// the worktree, which is kept).
    fn remove_turn_temp_dir(&self, id: &str) {
        let Some(c) = self.state.turn(id).and_then(|t| t.confinement.as_ref()) else {
            return;
        };
        let temp = std::env::temp_dir();
        let prefix = format!("leash-{id}-");
        for p in c.writable.iter().map(Path::new) {
            let ours = p.parent() == Some(temp.as_path())
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix));
            if ours {
                let _ = std::fs::remove_dir_all(p);
                if let Some(gate) = crate::agents::gate_relay::dir_for(p) {
                    let _ = std::fs::remove_dir_all(gate);
                }
            }
        }
    }

    /// Prunes worktrees no process works in and no one needs: a half-made
    /// or half-removed one (its admin entry under `.git/worktrees/` broken),
    /// one whose agent never started, one of a turn already landed or
    /// rejected. An interrupted turn's whole worktree is kept.
    ///
    /// Runs on every open, over a history of any length: what exists is
    /// listed once (the admin entries, the folders worktrees live in), and
    /// only turns found there are looked at.
    fn prune_worktrees(&mut self) {
        let names = |dir: &Path| -> HashSet<std::ffi::OsString> {
            std::fs::read_dir(dir)
                .map(|d| d.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default()
        };
        // Every turn is looked at (a long history holds thousands), so the
        // folders are listed once and each turn costs two lookups.
        let admin = names(&self.repo.commondir().join("worktrees"));
        let prefix = checkpoint::worktree_name("");
        let admin: HashSet<&str> = admin
            .iter()
            .filter_map(|n| n.to_str()?.strip_prefix(prefix.as_str()))
            .collect();
        let default_dir = self.worktree_path("t0").parent().map(Path::to_path_buf);
        let default_names = default_dir.as_deref().map(names).unwrap_or_default();
        let mut listed: HashMap<PathBuf, HashSet<std::ffi::OsString>> = HashMap::new();
        let mut turns = Vec::new();
        for t in self.state.turns() {
            if t.kind != TurnKind::Isolated || t.state == TurnState::Running {
                continue;
            }
            let on_disk = match (&t.worktree, &default_dir) {
                (Some(w), _) => {
                    let path = Path::new(w);
                    match (path.parent(), path.file_name()) {
                        (Some(dir), Some(name)) => listed
                            .entry(dir.to_path_buf())
                            .or_insert_with(|| names(dir))
                            .contains(name),
                        _ => false,
                    }
                }
                (None, Some(_)) => default_names.contains(std::ffi::OsStr::new(&t.id)),
                (None, None) => continue,
            };
            if on_disk || admin.contains(t.id.as_str()) {
                let path = match (&t.worktree, &default_dir) {
                    (Some(w), _) => PathBuf::from(w),
                    (None, Some(d)) => d.join(&t.id),
                    (None, None) => continue,
                };
                turns.push((t.clone(), path));
            }
        }
        for (t, path) in turns {
            let whole = checkpoint::worktree_is_whole(&self.repo, &t.id);
            // A resumed turn that never started may hold its parent's
            // worktree, handed over: that is work, kept.
            let never_started = t.state == TurnState::Interrupted
                && t.agent_pid.is_none()
                && t.follows
                    .as_ref()
                    .is_none_or(|f| f.how != FollowHow::Resume);
            let done = matches!(
                t.state,
                TurnState::Landed | TurnState::Rejected | TurnState::RolledBack
            );
            let removable = never_started || done;
            let prune = match whole {
                Some(false) => true,
                Some(true) => removable,
                // No admin entry: a stray directory of a worktree half
                // made or half removed.
                None => removable && path.exists(),
            };
            if !prune {
                continue;
            }
            // A directory is removed only when it holds no work and is this
            // turn's: named for it, its `.git` (if any, and whole) naming
            // its entry.
            let ours = path.file_name().is_some_and(|n| n == t.id.as_str())
                && std::fs::read_to_string(path.join(".git")).map_or(true, |g| {
                    g.strip_prefix("gitdir: ").is_none_or(|to| {
                        Path::new(to.trim()).file_name()
                            == Some(std::ffi::OsStr::new(&checkpoint::worktree_name(&t.id)))
                    })
                });
            let dir = (ours && removable).then_some(path.as_path());
            match checkpoint::prune_worktree(&self.repo, &t.id, dir) {
                Ok(()) => {
                    if whole == Some(false) {
                        self.notices.push(format!(
                            "{}: pruned a half-made worktree entry under .git/worktrees/",
                            t.id
                        ));
                    }
                }
                Err(e) => self
                    .notices
                    .push(format!("{}: could not prune its worktree: {e}", t.id)),
            }
        }
    }
}

/// The ref folders under `refs/leash/` that hold one ref per turn.
const PER_TURN_REFS: [&str; 4] = ["turns", "rejected", "unfixed", "unborn"];

/// Every `*.lock` file under `.git` that git or libgit2 may have left:
/// refs, logs, the index, HEAD, packed-refs, config, worktree admin files.
/// leash's own `flock` files under `.git/leash/` and the object store are
/// not searched. With `live`, the per-turn ref folders are not listed: only
/// the locks of those turns' refs are looked for there.
fn git_locks(git: &Path, live: Option<&[&str]>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let per_turn: Vec<PathBuf> = ["refs/leash", "logs/refs/leash"]
        .iter()
        .flat_map(|base| PER_TURN_REFS.iter().map(move |k| git.join(base).join(k)))
        .collect();
    if let Some(live) = live {
        for dir in &per_turn {
            for id in live {
                let lock = dir.join(format!("{id}.lock"));
                if lock.is_file() {
                    found.push(lock);
                }
            }
        }
    }
    let mut stack = vec![git.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                let skip = (dir == git
                    && matches!(
                        entry.file_name().to_str(),
                        Some("leash" | "objects" | "hooks" | "info" | "lfs" | "modules")
                    ))
                    || (live.is_some() && per_turn.contains(&path));
                if !skip {
                    stack.push(path);
                }
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "lock") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
