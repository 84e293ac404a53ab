//! The git notes of landed commits, written as part of landing; the notes'
//! refspecs on a remote (`leash notes setup`); and `leash verify`.

use std::path::Path;

use git2::Oid;

use super::{Error, Result, Workspace, discover_worktree};
use crate::model::TurnKind;
use crate::provenance::notes::{self, Landed, NoteInput};
use crate::provenance::{sign, verify};

pub use crate::provenance::verify::{Finding, Verified, VerifyOptions};

impl Workspace {
    /// Writes the note of `commit`, which turn `id` landed (or, with
    /// `rollback`, which reverts it). Called after the commit is in place
    /// and before its landing is journaled as done, so recovery writes it
    /// again when a crash came between; a note that says the same is left
    /// alone. Signed when git signs with SSH. A note that cannot be
    /// written or signed never undoes the landing: the operator is told.
    pub(crate) fn write_note(&mut self, id: &str, commit: Oid, rollback: bool) {
        let turn = match self.turn(id) {
            Ok(t) => t.clone(),
            Err(e) => {
                self.notices.push(format!("no note for {id}: {e}"));
                return;
            }
        };
        self.write_note_of(&turn, commit, rollback);
    }

    /// [`Workspace::write_note`] for a turn as it is about to be recorded.
    pub(crate) fn write_note_of(&mut self, turn: &crate::state::Turn, commit: Oid, rollback: bool) {
        let landed = if rollback {
            Landed::Rollback
        } else if turn.agent == "leash-fix" {
            Landed::Fix
        } else if turn.kind == TurnKind::InPlace {
            Landed::InPlace
        } else {
            Landed::Isolated
        };
        let input = NoteInput {
            turn,
            landed,
            commit,
            from: if rollback {
                self.repo
                    .find_commit(commit)
                    .ok()
                    .and_then(|c| c.parent_id(0).ok())
            } else {
                notes::counted_from(&self.repo, turn, commit)
            },
            prompts: self.config.provenance.prompts,
        };
        let id = &turn.id;
        let mut note = match notes::build(&self.repo, &input) {
            Ok(n) => n,
            Err(e) => {
                self.notices
                    .push(format!("{id}: the note of {commit} could not be made: {e}"));
                return;
            }
        };
        if let Some(signer) = sign::signer(&self.repo) {
            let value = serde_json::to_value(&note).unwrap_or_default();
            match signer.sign(&notes::signed_bytes(&value)) {
                Ok(signature) => {
                    note.signature = Some(notes::NoteSignature {
                        format: "ssh".into(),
                        namespace: sign::NAMESPACE.into(),
                        signer: signer.principal.clone(),
                        signature,
                    })
                }
                Err(e) => self
                    .notices
                    .push(format!("{id}: the note of {commit} is unsigned: {e}")),
            }
        }
        let text = match serde_json::to_string_pretty(&note) {
            Ok(t) => t + "\n",
            Err(e) => {
                self.notices.push(format!("{id}: the note of {commit}: {e}"));
                return;
            }
        };
        if let Err(e) = notes::write_text(&self.repo, commit, &text) {
            self.notices.push(format!(
                "{id}: the note of {commit} could not be written to {}: {}",
                notes::NOTES_REF,
                e.message()
            ));
        }
        super::crash_point("note_written");
    }

    /// Removes a note written for a landing that was not recorded after
    /// all (another process ended the turn first).
    pub(crate) fn remove_note(&mut self, commit: Oid) {
        let sig = crate::checkpoint::signature(&self.repo);
        let _ = self
            .repo
            .note_delete(commit, Some(notes::NOTES_REF), &sig, &sig);
    }
}

/// `leash notes setup [REMOTE]`: makes `git fetch` and `git push` with
/// that remote carry `refs/notes/leash` too. The fetch refspec is not
/// forced, so notes written here and not yet pushed are never overwritten
/// (git refuses the fetch instead; see the README). When the remote had no
/// push refspec, `HEAD` is added beside the notes' so that a plain
/// `git push` still pushes the current branch. What was added is returned;
/// running it again adds nothing.
pub fn notes_setup(dir: &Path, remote: &str) -> Result<Vec<String>> {
    let (repo, _) = discover_worktree(dir)?;
    if repo.find_remote(remote).is_err() {
        let known: Vec<String> = repo
            .remotes()
            .map(|r| r.iter().flatten().flatten().map(str::to_string).collect())
            .unwrap_or_default();
        return Err(Error::Refused(format!(
            "no remote `{remote}` in this repository (remotes: {}); add it with `git remote add {remote} URL`",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    let mut config = repo.config()?.open_level(git2::ConfigLevel::Local)?;
    let values = |config: &git2::Config, key: &str| -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(mut entries) = config.multivar(key, None) {
            while let Some(Ok(e)) = entries.next() {
                if let Ok(v) = e.value() {
                    out.push(v.to_string());
                }
            }
        }
        out
    };
    let refspec = format!("{}:{}", notes::NOTES_REF, notes::NOTES_REF);
    let fetch_key = format!("remote.{remote}.fetch");
    let push_key = format!("remote.{remote}.push");
    let mut added = Vec::new();
    let fetch = values(&config, &fetch_key);
    if !fetch
        .iter()
        .any(|v| v.trim_start_matches('+') == refspec)
    {
        config.set_multivar(&fetch_key, "^$", &refspec)?;
        added.push(format!("{fetch_key} = {refspec}"));
    }
    let push = values(&config, &push_key);
    if push.is_empty() {
        config.set_multivar(&push_key, "^$", "HEAD")?;
        added.push(format!("{push_key} = HEAD"));
    }
    if !push.iter().any(|v| v.trim_start_matches('+') == refspec) {
        config.set_multivar(&push_key, "^$", &refspec)?;
        added.push(format!("{push_key} = {refspec}"));
    }
    Ok(added)
}

/// `leash verify`: the commits of a range checked from git alone.
pub fn verify(dir: &Path, opts: &VerifyOptions) -> Result<Verified> {
    let (repo, root) = discover_worktree(dir)?;
    verify::verify(&repo, &root, opts).map_err(Error::Refused)
}
