//! The git notes of landed commits, written as part of landing (the
//! record's shape is `provenance::notes`); the notes' refspecs on a remote
//! (`leash notes setup`); and `leash verify` (`verify.rs`).

use std::path::Path;

use git2::{Oid, Repository};

use super::{Error, Result, Workspace, discover_worktree};
use crate::config::Prompts;
use crate::invariants::Problem;
use crate::model::{DecidedBy, TurnKind};
use crate::provenance::notes::{
    self, ActionReceipt, Contributor, Conversation, Landed, Note, NoteAction, Receipt, Tool,
    TraceFile, Vcs,
};
use crate::provenance::sign;
use crate::state::Turn;

pub use super::verify::{CommitReport, Finding, Verified, VerifyOptions};

/// What a note is built from besides the turn.
pub(crate) struct NoteInput<'a> {
    pub turn: &'a Turn,
    pub landed: Landed,
    /// The commit the note goes on.
    pub commit: Oid,
    /// What its lines are counted against: the first parent, or for an
    /// in-place turn its start snapshot.
    pub from: Option<Oid>,
    pub prompts: Prompts,
}

/// The agent as `Leash-Agent` names it: a generic agent by its program.
pub(crate) fn agent_name(turn: &Turn) -> String {
    match (&turn.agent[..], &turn.command) {
        ("generic", Some(argv)) => format!(
            "generic ({})",
            argv.first().map(String::as_str).unwrap_or("?")
        ),
        (a, _) => a.to_string(),
    }
}

/// A turn commit's title: the turn's, unless it is its prompt's first
/// line and prompts are private — then the agent's turn, by id.
pub(crate) fn commit_title(turn: &Turn, prompts: Prompts) -> String {
    let from_prompt = turn
        .prompt
        .as_deref()
        .is_some_and(|p| crate::agents::run::one_line(p) == turn.title);
    if prompts == Prompts::Private && from_prompt {
        format!("{} turn {}", agent_name(turn), turn.id)
    } else {
        turn.title.clone()
    }
}

/// The `Assisted-by` trailer's value for a turn an agent made; `None` for
/// leash's own invariant fixes, which no agent made.
pub(crate) fn assisted_by(turn: &Turn) -> Option<String> {
    (turn.agent != "leash-fix")
        .then(|| notes::assisted_by(&turn.agent, turn.command.as_deref(), turn.model.as_deref()))
}

impl Workspace {
    /// Writes the note of `commit`, which turn `id` landed (or, with
    /// `rollback`, which reverts it). Called after the commit is in place
    /// and before its landing is journaled as done, so recovery writes it
    /// again when a crash came between; a note that says the same is left
    /// alone. Signed when git signs with SSH. A note that cannot be
    /// written or signed never undoes the landing: the operator is told.
    pub(crate) fn write_note(&mut self, id: &str, commit: Oid, rollback: bool) {
        let turn = match self.whole_turn(id) {
            Ok(t) => t.into_owned(),
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
                counted_from(&self.repo, turn, commit)
            },
            prompts: self.config.provenance.prompts,
        };
        let id = &turn.id;
        let mut note = match build(&self.repo, &input) {
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
                self.notices
                    .push(format!("{id}: the note of {commit}: {e}"));
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
    if !fetch.iter().any(|v| v.trim_start_matches('+') == refspec) {
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
    super::verify::verify(&repo, &root, opts).map_err(Error::Refused)
}

/// Builds the note of a landed commit from the journal's turn.
pub(crate) fn build(repo: &Repository, input: &NoteInput<'_>) -> Result<Note, git2::Error> {
    let turn = input.turn;
    let commit = repo.find_commit(input.commit)?;
    let ai = turn.agent != "leash-fix" && input.landed != Landed::Rollback;
    let contributor = Contributor {
        kind: if ai { "ai" } else { "unknown" }.into(),
        model_id: if ai { turn.model.clone() } else { None },
    };
    let files = notes::added_lines(repo, input.from, input.commit)?
        .into_iter()
        .map(|(path, ranges)| TraceFile {
            path,
            conversations: vec![Conversation {
                contributor: contributor.clone(),
                ranges,
            }],
        })
        .collect();
    let receipt = if input.landed == Landed::Rollback {
        let asked = turn.rollback.clone();
        Receipt {
            decision: "rollback".into(),
            by: DecidedBy::Operator,
            risk: turn.risk,
            declared_risk: Some(turn.declared_risk),
            autonomy: turn.autonomy,
            reasons: asked
                .as_ref()
                .and_then(|a| a.reason.clone())
                .into_iter()
                .collect(),
            requested: asked.as_ref().map(|a| a.ts.clone()),
            decided: asked.map(|a| a.ts).unwrap_or_else(|| commit_time(&commit)),
            front: None,
            shown_at: None,
            diff_read_to_end: None,
            tabs: Vec::new(),
        }
    } else {
        let d = turn.decision.as_ref();
        let how = d.and_then(|d| d.receipt.as_ref());
        let mut reasons = Vec::new();
        if !turn.reason.is_empty() {
            reasons.push(turn.reason.clone());
        }
        if let Some(r) = d.and_then(|d| d.reason.clone())
            && !reasons.contains(&r)
        {
            reasons.push(r);
        }
        reasons.extend(turn.escalations.iter().map(|e| e.because.clone()));
        Receipt {
            decision: "approve".into(),
            by: d.map(|d| d.by).unwrap_or(DecidedBy::Operator),
            risk: turn.risk,
            declared_risk: Some(turn.declared_risk),
            autonomy: turn.autonomy,
            reasons,
            requested: turn.finished.clone(),
            decided: d
                .map(|d| d.ts.clone())
                .unwrap_or_else(|| commit_time(&commit)),
            front: how.map(|r| r.front),
            shown_at: how.and_then(|r| r.shown_at.clone()),
            diff_read_to_end: how.map(|r| r.diff_read_to_end),
            tabs: how.map(|r| r.tabs.clone()).unwrap_or_default(),
        }
    };
    let actions = turn
        .actions
        .iter()
        .map(|a| NoteAction {
            id: a.id.clone(),
            tool: a.tool.clone(),
            summary: a.summary.clone(),
            requested: a.requested.clone(),
            risk: a.risk,
            decision: a.decision.as_ref().map(|v| ActionReceipt {
                decision: serde_json::to_value(v.decision)
                    .ok()
                    .and_then(|d| d.as_str().map(str::to_string))
                    .unwrap_or_default(),
                by: v.by,
                reason: v.reason.clone(),
                front: v.receipt.as_ref().map(|r| r.front),
                shown_at: v.receipt.as_ref().and_then(|r| r.shown_at.clone()),
                decided_at: v.receipt.as_ref().map(|r| r.decided_at.clone()),
            }),
            ok: a.done,
            reads: a.paths_read.clone(),
            writes: a.paths_written.clone(),
            sources: a.sources.clone(),
            unknown_reads: a.unknown_reads.clone(),
            written: a.written.clone(),
        })
        .collect();
    let private = input.prompts == Prompts::Private;
    Ok(Note {
        schema: notes::SCHEMA.into(),
        version: notes::AGENT_TRACE_VERSION.into(),
        timestamp: receipt.decided.clone(),
        vcs: Vcs {
            kind: "git".into(),
            revision: input.commit.to_string(),
        },
        tool: Tool {
            name: "leash".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        tree: commit.tree_id().to_string(),
        turn: turn.id.clone(),
        landed: input.landed,
        agent: agent_name(turn),
        model: turn.model.clone(),
        task: turn.task.clone(),
        prompt: turn.prompt.clone().filter(|_| !private),
        prompt_sha256: turn.prompt.as_deref().map(notes::sha256),
        base: turn.base.clone(),
        reverts: (input.landed == Landed::Rollback)
            .then(|| turn.landed_commit.clone())
            .flatten(),
        actions,
        files,
        receipt,
        findings: turn
            .citations
            .iter()
            .map(|c| notes::SourceFinding {
                kind: match c.problem {
                    Problem::Unread => "unread",
                    Problem::Stale => "stale",
                    Problem::Missing => "missing",
                }
                .into(),
                source: c.target.clone(),
                file: Some(c.path.clone()),
                line: Some(c.line),
                detail: c.detail.clone(),
            })
            .collect(),
        signature: None,
    })
}

/// What a landed commit's lines count against: an isolated turn's commit
/// against its first parent, an in-place turn's end snapshot against its
/// start snapshot.
pub(crate) fn counted_from(repo: &Repository, turn: &Turn, commit: Oid) -> Option<Oid> {
    if turn.kind == TurnKind::InPlace {
        return turn.base.as_deref().and_then(|b| Oid::from_str(b).ok());
    }
    repo.find_commit(commit)
        .ok()
        .and_then(|c| c.parent_id(0).ok())
}

fn commit_time(commit: &git2::Commit<'_>) -> String {
    chrono::DateTime::from_timestamp(commit.time().seconds(), 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}
