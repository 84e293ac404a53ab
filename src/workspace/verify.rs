//! `leash verify`: a branch's history checked from git alone — trailers,
//! notes and the policy committed at each commit — so that it runs in CI
//! on a fresh clone that fetched `refs/notes/leash`, without a journal.

use std::path::Path;

use git2::{Oid, Repository};
use serde::Serialize;

use crate::model::{AutonomyLevel, DecidedBy, RiskClass};
use crate::policy::{self, TaskOverride};
use crate::provenance::notes::{self, Landed, Note};
use crate::provenance::sign::{self, Checked};

/// What `leash verify` was asked.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// `A..B`, or one revision for its whole history; `HEAD` when `None`.
    pub range: Option<String>,
    /// An unsigned note is a violation, not a warning.
    pub require_signed: bool,
}

/// One commit as verify sees it.
#[derive(Debug, Clone, Serialize)]
pub struct CommitReport {
    pub commit: String,
    /// `leash` (a turn or a rollback by its trailers) or `human`.
    pub kind: &'static str,
    pub turn: Option<String>,
    pub note: bool,
    /// `good`, `unsigned`, `forged` or `unchecked`; `None` without a note.
    pub signature: Option<&'static str>,
}

/// Something wrong with one commit.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub commit: String,
    pub turn: Option<String>,
    /// `missing_note`, `bad_note`, `disagrees`, `forged`, `unsigned`,
    /// `unchecked`, `policy`, `unread_source`, `stale_source`,
    /// `missing_source`.
    pub kind: &'static str,
    pub message: String,
}

/// What verify found over the range.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verified {
    pub commits: Vec<CommitReport>,
    pub violations: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

/// The values of trailer `key` in a commit message.
fn trailers<'m>(message: &'m str, key: &str) -> Vec<&'m str> {
    let prefix = format!("{key}:");
    message
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::trim)
        .collect()
}

/// The commits of `range`, oldest first.
fn commits(repo: &Repository, range: &str) -> Result<Vec<Oid>, String> {
    let bad = |e: git2::Error| format!("cannot read the range `{range}`: {}", e.message());
    let spec = repo.revparse(range).map_err(bad)?;
    let mut walk = repo.revwalk().map_err(bad)?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .map_err(bad)?;
    if spec.mode().contains(git2::RevparseMode::RANGE) {
        let (Some(from), Some(to)) = (spec.from(), spec.to()) else {
            return Err(format!("`{range}` is not a range of two revisions"));
        };
        walk.push(to.peel_to_commit().map_err(bad)?.id())
            .map_err(bad)?;
        walk.hide(from.peel_to_commit().map_err(bad)?.id())
            .map_err(bad)?;
    } else {
        let Some(one) = spec.from() else {
            return Err(format!("`{range}` names no revision"));
        };
        walk.push(one.peel_to_commit().map_err(bad)?.id())
            .map_err(bad)?;
    }
    walk.collect::<Result<Vec<Oid>, _>>().map_err(bad)
}

/// Checks every commit of the range. `root` is the working tree (for the
/// committed policy's error messages); nothing under `.git/leash` is read.
pub fn verify(repo: &Repository, root: &Path, opts: &VerifyOptions) -> Result<Verified, String> {
    let range = opts.range.as_deref().unwrap_or("HEAD");
    let allowed = sign::allowed_signers(repo);
    let mut out = Verified::default();
    for oid in commits(repo, range)? {
        let commit = repo
            .find_commit(oid)
            .map_err(|e| format!("commit {oid}: {}", e.message()))?;
        let message = commit.message().unwrap_or_default().to_string();
        let turn = trailers(&message, "Leash-Turn")
            .into_iter()
            .chain(trailers(&message, "Leash-Reverts"))
            .next()
            .map(str::to_string);
        let text = notes::read_text(repo, oid);
        let mut report = CommitReport {
            commit: oid.to_string(),
            kind: if turn.is_some() { "leash" } else { "human" },
            turn: turn.clone(),
            note: text.is_some(),
            signature: None,
        };
        let mut check = Check {
            out: &mut out,
            commit: oid.to_string(),
            turn: turn.clone(),
        };
        match (&turn, text) {
            (None, None) => {}
            (Some(t), None) => check.violation(
                "missing_note",
                format!("{t} has no note under {}", notes::NOTES_REF),
            ),
            (_, Some(text)) => {
                report.signature = check.note(
                    repo,
                    root,
                    &commit,
                    &message,
                    &text,
                    allowed.as_deref(),
                    opts.require_signed,
                );
            }
        }
        out.commits.push(report);
    }
    Ok(out)
}

struct Check<'o> {
    out: &'o mut Verified,
    commit: String,
    turn: Option<String>,
}

impl Check<'_> {
    fn violation(&mut self, kind: &'static str, message: String) {
        self.out.violations.push(Finding {
            commit: self.commit.clone(),
            turn: self.turn.clone(),
            kind,
            message,
        });
    }

    fn warning(&mut self, kind: &'static str, message: String) {
        self.out.warnings.push(Finding {
            commit: self.commit.clone(),
            turn: self.turn.clone(),
            kind,
            message,
        });
    }

    /// Checks a note against its commit; the signature's state.
    #[allow(clippy::too_many_arguments)]
    fn note(
        &mut self,
        repo: &Repository,
        root: &Path,
        commit: &git2::Commit<'_>,
        message: &str,
        text: &str,
        allowed: Option<&Path>,
        require_signed: bool,
    ) -> Option<&'static str> {
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.violation("bad_note", format!("the note is not JSON: {e}"));
                return None;
            }
        };
        let note: Note = match serde_json::from_value(value.clone()) {
            Ok(n) => n,
            Err(e) => {
                self.violation(
                    "bad_note",
                    format!("the note is not a {} record: {e}", notes::SCHEMA),
                );
                return None;
            }
        };
        if note.schema != notes::SCHEMA {
            self.violation(
                "bad_note",
                format!(
                    "the note's schema is `{}`, not `{}`",
                    note.schema,
                    notes::SCHEMA
                ),
            );
            return None;
        }
        let signature = self.signature(&note, &value, allowed, require_signed);
        self.agreement(commit, message, &note);
        if note.receipt.by == DecidedBy::Policy && note.landed != Landed::Rollback {
            self.policy(repo, root, commit, message, &note);
        }
        for f in &note.findings {
            let (kind, what) = match f.kind.as_str() {
                "stale" => (
                    "stale_source",
                    "changed on the branch since the turn read it",
                ),
                "missing" => ("missing_source", "does not exist"),
                _ => ("unread_source", "was never read by the turn"),
            };
            let at = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!(", cited at {file}:{line}"),
                (Some(file), None) => format!(", cited in {file}"),
                _ => String::new(),
            };
            let detail = f
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            self.violation(kind, format!("`{}` {what}{detail}{at}", f.source));
        }
        Some(signature)
    }

    fn signature(
        &mut self,
        note: &Note,
        value: &serde_json::Value,
        allowed: Option<&Path>,
        require_signed: bool,
    ) -> &'static str {
        let Some(sig) = &note.signature else {
            let msg = "the note's receipt is unsigned".to_string();
            if require_signed {
                self.violation("unsigned", msg);
            } else {
                self.warning("unsigned", msg);
            }
            return "unsigned";
        };
        if sig.format != "ssh" || sig.namespace != sign::NAMESPACE {
            self.violation(
                "forged",
                format!(
                    "the note's signature is `{}` in namespace `{}`, not ssh in `{}`",
                    sig.format,
                    sig.namespace,
                    sign::NAMESPACE
                ),
            );
            return "forged";
        }
        let Some(allowed) = allowed else {
            let msg = "the note is signed but gpg.ssh.allowedSignersFile is not set, so \
                       its signature cannot be checked"
                .to_string();
            if require_signed {
                self.violation("unchecked", msg);
            } else {
                self.warning("unchecked", msg);
            }
            return "unchecked";
        };
        match sign::verify(&notes::signed_bytes(value), &sig.signature, allowed) {
            Checked::Good(_) => "good",
            Checked::Bad(why) => {
                self.violation("forged", format!("the note's receipt is forged: {why}"));
                "forged"
            }
            Checked::Unchecked(why) => {
                if require_signed {
                    self.violation("unchecked", why);
                } else {
                    self.warning("unchecked", why);
                }
                "unchecked"
            }
        }
    }

    /// The note against the commit: revision, tree, turn, agent, decision.
    fn agreement(&mut self, commit: &git2::Commit<'_>, message: &str, note: &Note) {
        let mut off = Vec::new();
        if note.vcs.revision != commit.id().to_string() {
            off.push(format!("it names commit {}", note.vcs.revision));
        }
        if note.tree != commit.tree_id().to_string() {
            off.push(format!(
                "its tree is {}, the commit's {}",
                note.tree,
                commit.tree_id()
            ));
        }
        let key = if note.landed == Landed::Rollback {
            "Leash-Reverts"
        } else {
            "Leash-Turn"
        };
        match trailers(message, key).first() {
            Some(t) if *t == note.turn => {}
            Some(t) => off.push(format!(
                "it is of {}, the commit's {key} says {t}",
                note.turn
            )),
            None => off.push(format!(
                "it is of {}, the commit has no {key} trailer",
                note.turn
            )),
        }
        if note.landed != Landed::Rollback {
            if let Some(agent) = trailers(message, "Leash-Agent").first()
                && *agent != note.agent
                && note.landed != Landed::Fix
            {
                off.push(format!(
                    "its agent is {}, the commit's Leash-Agent says {agent}",
                    note.agent
                ));
            }
            if let Some(d) = trailers(message, "Leash-Decision").first() {
                let trailer_by = if d.starts_with("landed by policy") {
                    Some(DecidedBy::Policy)
                } else {
                    d.strip_prefix("approved by ")
                        .and_then(|r| r.split([' ', '(']).next())
                        .and_then(|w| w.parse::<DecidedBy>().ok())
                };
                if trailer_by.is_some_and(|b| b != note.receipt.by) {
                    off.push(format!(
                        "its receipt says decided by {}, the commit's Leash-Decision says `{d}`",
                        note.receipt.by
                    ));
                }
            }
            if let Some(risk) = trailers(message, "Leash-Risk").first()
                && let Some(class) = risk.split(' ').next()
                && class != note.receipt.risk.as_str()
            {
                off.push(format!(
                    "its risk is {}, the commit's Leash-Risk says {class}",
                    note.receipt.risk
                ));
            }
        }
        for o in off {
            self.violation(
                "disagrees",
                format!("the note disagrees with the commit: {o}"),
            );
        }
    }

    /// A landing by policy alone, against the policy committed at the
    /// commit's parent: the level the class (and task) had there must let
    /// policy land, and no changed path may be of a higher class than the
    /// receipt says.
    fn policy(
        &mut self,
        repo: &Repository,
        root: &Path,
        commit: &git2::Commit<'_>,
        message: &str,
        note: &Note,
    ) {
        let parent = commit.parent_id(0).ok();
        let cfg = match crate::config::load_committed_config(repo, root, parent) {
            Ok(c) => c,
            Err(e) => {
                self.violation(
                    "policy",
                    format!("landed by policy, but the committed policy cannot be read: {e}"),
                );
                return;
            }
        };
        let tasks = crate::config::load_committed_tasks(repo, root, parent).unwrap_or_default();
        let rules = policy::RiskRules::compile(&cfg.risk).ok();
        // The class the committed rules give the changed paths.
        let mut class = note.receipt.risk;
        let mut protected = false;
        let mut because = None;
        let from = parent;
        if let (Ok(files), Some(rules)) = (changed_paths(repo, from, commit.id()), &rules) {
            for path in files {
                let hits = rules.classify_changed(&path);
                protected |= policy::any_protected(&hits);
                for h in hits {
                    if h.class > class {
                        class = h.class;
                        because = Some(h.to_string());
                    }
                }
            }
        }
        if let Some(why) = because {
            self.violation(
                "policy",
                format!(
                    "the receipt says {} but the committed rules make it {class}: {why}",
                    note.receipt.risk
                ),
            );
        }
        let task = note.task.as_deref().and_then(|t| tasks.find(t));
        let level = policy::autonomy_for(
            class,
            &cfg.autonomy,
            task.and_then(|t| t.autonomy).map(|level| TaskOverride {
                declared: note.receipt.declared_risk.unwrap_or(RiskClass::Low),
                level,
            }),
        );
        let level = policy::floor_level(level, protected);
        if level < AutonomyLevel::Guarded {
            self.violation(
                "policy",
                format!(
                    "landed by policy alone, but the policy committed at its parent sets {class} = {level}{}",
                    match note.receipt.autonomy {
                        Some(l) if l != level => format!(" (the receipt claims {l})"),
                        _ => String::new(),
                    }
                ),
            );
        } else if level == AutonomyLevel::Guarded
            && trailers(message, "Leash-Invariants")
                .first()
                .is_some_and(|s| fails(s))
        {
            self.violation(
                "policy",
                format!(
                    "landed by policy at {class} = guarded with failing invariants ({})",
                    trailers(message, "Leash-Invariants")[0]
                ),
            );
        }
    }
}

/// Whether a `Leash-Invariants` value counts a failure ("1 pass, 2 fail").
fn fails(value: &str) -> bool {
    value.split(',').any(|part| {
        let mut w = part.split_whitespace();
        matches!((w.next().and_then(|n| n.parse::<u32>().ok()), w.next()), (Some(n), Some("fail")) if n > 0)
    })
}

/// The paths a commit changed over `from`.
fn changed_paths(
    repo: &Repository,
    from: Option<Oid>,
    to: Oid,
) -> Result<Vec<String>, git2::Error> {
    let old = match from {
        Some(f) => Some(repo.find_commit(f)?.tree()?),
        None => None,
    };
    let new = repo.find_commit(to)?.tree()?;
    let diff = repo.diff_tree_to_tree(old.as_ref(), Some(&new), None)?;
    Ok(diff
        .deltas()
        .flat_map(|d| [d.old_file().path(), d.new_file().path()])
        .flatten()
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_invariants_are_read_from_the_trailer() {
        assert!(fails("1 pass, 2 fail, 0 fixed"));
        assert!(!fails("3 pass, 0 fail, 1 fixed"));
        assert!(!fails("none configured"));
    }

    #[test]
    fn trailers_are_read_by_key() {
        let m = "title\n\nbody\n\nLeash-Turn: t3\nLeash-Agent: claude\n";
        assert_eq!(trailers(m, "Leash-Turn"), ["t3"]);
        assert!(trailers(m, "Leash-Task").is_empty());
    }
}
