//! Follow-up turns: a turn sent back to its agent (`leash revise`, `b` in
//! the console) and a turn continued where it stopped (`leash resume`).
//! Both are new turns of the same agent, created through the one
//! `create_turn`, linked to their parent (`turn_follows`, the
//! `Leash-Parent` trailer) and, where the agent has sessions and its
//! stream named one, continuing it (`claude --resume`, `codex exec
//! resume`). A plain command has no session: it runs afresh with the
//! prompt leash builds (as `{prompt}`, and in `$LEASH_PROMPT`).
//!
//! What happens to the parent:
//!
//! | parent | `leash revise` | `leash resume` |
//! |---|---|---|
//! | awaiting review | the accepted hunks land (a partial landing), or with none accepted it is rejected; the follow-up starts on the branch head, on top of what landed | rejected (kept at `refs/leash/rejected/`); the follow-up starts on its base with its work checked out |
//! | landed, rejected | left as it is; what was not landed is sent back | refused |
//! | interrupted | refused: resume it | its worktree (files, ignored ones too) is handed to the follow-up, after a snapshot at `refs/leash/turns/<parent>` |
//! | rate limited, timed out | refused unless it waits | its work (if any) checked out on its base; a rate limit is waited out until the time its error named, unless `--now` |

use std::fmt::Write as _;
use std::path::Path;

use git2::Oid;

use super::{Error, Result, Workspace, turn_ref};
use crate::checkpoint;
use crate::diff::select::Pick;
use crate::diff::{Body, FileDiff, Hunk, LineKind};
use crate::model::{FailureClass, FollowHow, Receipt, TurnKind, TurnSpec, TurnState, rejected_ref};
use crate::state::{LineComment, Turn};

/// What the operator sends back with a turn.
#[derive(Debug, Clone, Default)]
pub struct Revision {
    /// The hunks that land (as `leash approve --hunks` takes them); `None`:
    /// none of it lands.
    pub accepted: Option<Pick>,
    /// Comments on lines (`--comment FILE:LINE=TEXT`), journaled on the
    /// parent like the console's: (path, line on the turn's side, text).
    pub line_comments: Vec<(String, u32, String)>,
    /// Comments on the turn as a whole (`--comment TEXT`).
    pub comments: Vec<String>,
    /// How the operator decided, for the parent's decision.
    pub receipt: Option<Receipt>,
}

/// A follow-up ready to start: its spec, and what was done to get there.
#[derive(Debug, Clone)]
pub struct FollowUpStart {
    pub spec: TurnSpec,
    /// What became of the parent, in a sentence (empty: nothing changed).
    pub parent: String,
    /// The agent session it continues; `None`: a fresh run.
    pub session: Option<String>,
    /// Why it runs afresh, when it does.
    pub fresh: Option<String>,
}

impl Workspace {
    /// The agent session a follow-up of turn `id` would continue; `None`
    /// when it would run afresh.
    pub fn session_to_continue(&self, id: &str) -> Option<String> {
        let parent = self.turn(id).ok()?;
        let spec = self.replay_spec(id, true, None).ok()?;
        self.continued_session(parent, spec.agent.as_deref())
    }

    /// The ids of the turns that follow turn `id` up, oldest first.
    pub fn followed_by(&self, id: &str) -> Vec<String> {
        self.state
            .followers(id)
            .into_iter()
            .map(|t| t.id.clone())
            .collect()
    }

    /// Sends turn `id` back to its agent: the hunks `r.accepted` names
    /// land (or, with none, a waiting turn is rejected), and the spec of a
    /// follow-up turn is returned whose prompt holds the comments — each
    /// with its file, line and hunk — and the hunks that did not land.
    pub fn revise(&mut self, id: &str, r: Revision) -> Result<FollowUpStart> {
        let parent = self.isolated_parent(id)?;
        match parent.state {
            TurnState::AwaitingReview | TurnState::Landed | TurnState::Rejected => {}
            TurnState::Interrupted => {
                return Err(Error::Refused(format!(
                    "{id} was interrupted: continue it with `leash resume {id}`"
                )));
            }
            other => {
                return Err(Error::Refused(format!(
                    "{id} is {other}: only a turn that awaits review, landed or was rejected \
                     can be sent back"
                )));
            }
        }
        let Some(commit) = parent.commit.clone() else {
            return Err(Error::Refused(format!(
                "{id} has no turn commit to send back"
            )));
        };
        let waiting = parent.state == TurnState::AwaitingReview;
        if !waiting && r.accepted.is_some() {
            return Err(Error::Refused(format!(
                "{id} is {} already: hunks can only be chosen while it awaits review",
                parent.state
            )));
        }
        let files = self.diff_files(id)?;
        for (path, line, _) in &r.line_comments {
            if !files.iter().any(|f| f.path() == path) {
                return Err(Error::Refused(format!(
                    "{id} did not change `{path}` (line {line}): comment on a file of its diff"
                )));
            }
        }
        let spec = self.replay_spec(id, true, Some(String::new()))?;
        // Refuse what could not start before anything is decided.
        self.startable(&spec)?;
        for (path, line, text) in &r.line_comments {
            self.comment_line(id, path, Some(*line), None, text)?;
        }
        let why = "sent back to its agent with comments (leash revise)".to_string();
        let outcome = if waiting {
            match &r.accepted {
                Some(pick) => {
                    let p = self.approve_hunks(id, pick, Some(why), r.receipt.clone())?;
                    match &p.kept_at {
                        Some(at) => format!(
                            "{id}: {} of {} hunks landed, the rest is kept at {at}",
                            p.accepted.len(),
                            p.accepted.len() + p.rejected.len()
                        ),
                        None => format!("{id} landed whole"),
                    }
                }
                None => {
                    let rejected = self.reject(id, why, r.receipt.clone())?;
                    format!("{id} was rejected (kept at {})", rejected.kept_at)
                }
            }
        } else {
            String::new()
        };
        self.refresh()?;
        let parent = self.whole_turn(id)?.into_owned();
        let commit = Oid::from_str(&commit)?;
        let limits = crate::diff::Limits::unlimited();
        let partial = parent.decision.as_ref().and_then(|d| d.partial.as_ref());
        let (landed, rejected) = match (parent.state, partial) {
            (TurnState::Landed, Some(p)) => (
                Landed::Part,
                checkpoint::sides::diff_trees(
                    &self.repo,
                    Some(Oid::from_str(&p.commit)?),
                    Some(commit),
                    &limits,
                )?,
            ),
            (TurnState::Landed, None) => (Landed::All, Vec::new()),
            _ => (
                Landed::Nothing,
                checkpoint::sides::diff_trees(
                    &self.repo,
                    parent.base.as_deref().map(Oid::from_str).transpose()?,
                    Some(commit),
                    &limits,
                )?,
            ),
        };
        let session = self.continued_session(&parent, spec.agent.as_deref());
        let prompt = revision_prompt(&RevisionText {
            parent: &parent,
            fresh: session.is_none(),
            landed,
            comments: &comment_hunks(&files, &parent.comments),
            general: &r.comments,
            rejected: &rejected,
        });
        Ok(self.follow_up(spec, &parent, FollowHow::Revise, prompt, session, outcome))
    }

    /// Continues turn `id` — interrupted, rate limited or timed out — as a
    /// follow-up in its worktree with its agent's session. A rate limit is
    /// waited out: before the reset time its error named, refused with that
    /// time unless `now`.
    pub fn resume(&mut self, id: &str, now: bool) -> Result<FollowUpStart> {
        let parent = self.isolated_parent(id)?;
        let stopped = match (parent.state, parent.failure) {
            (TurnState::Interrupted, _) => "was interrupted (its supervisor died)",
            (TurnState::Running, _) => {
                return Err(Error::Refused(format!("{id} is still running")));
            }
            (TurnState::Failed | TurnState::AwaitingReview, Some(FailureClass::RateLimited)) => {
                "hit a rate limit"
            }
            (TurnState::Failed | TurnState::AwaitingReview, Some(FailureClass::TimedOut)) => {
                "timed out"
            }
            (state, failure) => {
                let what = failure.map_or_else(|| state.to_string(), |f| f.shown_as().to_string());
                return Err(Error::Refused(format!(
                    "{id} is {what}: `leash resume` continues interrupted, rate-limited and \
                     timed-out turns; `leash replay {id}` starts its work again"
                )));
            }
        };
        if let Some(child) = self
            .state
            .followers(id)
            .into_iter()
            .find(|t| {
                t.follows
                    .as_ref()
                    .is_some_and(|f| f.how == FollowHow::Resume)
            })
            .map(|t| t.id.clone())
        {
            return Err(Error::Refused(format!(
                "{id} was resumed already, as {child}: resume that one"
            )));
        }
        // A supervisor that died may leave its agent working in the worktree.
        if let Some(pid) = parent.agent_pid
            && parent.state == TurnState::Interrupted
            && crate::agents::process::is_alive(pid, parent.agent_start)
        {
            return Err(Error::Refused(format!(
                "{id}'s agent (pid {pid}) still runs in its worktree: stop it first, then \
                 resume {id}"
            )));
        }
        if let Some(at) = parent
            .limit_resets
            .as_deref()
            .and_then(crate::model::parse_ts)
        {
            let left = at - chrono::Utc::now();
            if left > chrono::TimeDelta::zero() && !now {
                return Err(Error::Refused(format!(
                    "{id}'s rate limit resets at {} UTC (in {}): run `leash resume {id}` then, \
                     or `leash resume {id} --now` to try before",
                    at.format("%Y-%m-%d %H:%M:%S"),
                    humantime::format_duration(std::time::Duration::from_secs(
                        left.num_seconds().max(0) as u64
                    ))
                )));
            }
        }
        let spec = self.replay_spec(id, false, parent.prompt.clone())?;
        self.startable(&spec)?;
        let outcome = if parent.state == TurnState::AwaitingReview {
            let r = self.reject(id, "continued by a follow-up (leash resume)".into(), None)?;
            format!(
                "{id} was rejected (kept at {}); its work goes on",
                r.kept_at
            )
        } else {
            String::new()
        };
        let session = self.continued_session(&parent, spec.agent.as_deref());
        let prompt = match (&session, &parent.prompt) {
            (Some(_), _) => format!(
                "Your previous run {stopped} before it finished. Continue where you left off: \
                 your work so far is in the working tree."
            ),
            (None, original) => format!(
                "{}An earlier run of this task {stopped} before it finished; its work so far \
                 is in the working tree. Continue from there.",
                original
                    .as_deref()
                    .map(|p| format!("{p}\n\n"))
                    .unwrap_or_default()
            ),
        };
        Ok(self.follow_up(spec, &parent, FollowHow::Resume, prompt, session, outcome))
    }

    /// Turn `id`, whole, as the journal has it now, when a follow-up can
    /// be made of it: an isolated turn (an in-place one's agent is in the
    /// operator's checkout, to be told there).
    fn isolated_parent(&mut self, id: &str) -> Result<Turn> {
        self.ensure_unblocked()?;
        self.refresh()?;
        let parent = self.whole_turn(id)?.into_owned();
        if parent.kind != TurnKind::Isolated {
            return Err(Error::Refused(format!(
                "{id} is an in-place turn: its agent works in your checkout, so tell it there"
            )));
        }
        Ok(parent)
    }

    fn follow_up(
        &self,
        mut spec: TurnSpec,
        parent: &Turn,
        how: FollowHow,
        prompt: String,
        session: Option<String>,
        outcome: String,
    ) -> FollowUpStart {
        let verb = match how {
            FollowHow::Revise => "revise",
            FollowHow::Resume => "resume",
        };
        let title = ["revise ", "resume "]
            .iter()
            .find_map(|p| {
                let rest = parent.title.strip_prefix(p)?;
                rest.split_once(": ").map(|(_, t)| t)
            })
            .unwrap_or(&parent.title);
        spec.title = Some(format!("{verb} {}: {title}", parent.id));
        spec.prompt = Some(prompt);
        spec.follows = Some((how, parent.id.clone()));
        let fresh = session.is_none().then(|| {
            if parent.agent_session.is_some() {
                format!(
                    "`{}` has no session leash can continue: the follow-up runs afresh with the \
                     prompt leash built",
                    parent.agent
                )
            } else {
                format!(
                    "{} named no session (a command-line agent has none): the follow-up runs \
                     afresh with the prompt leash built, as {{prompt}} and $LEASH_PROMPT",
                    parent.id
                )
            }
        });
        FollowUpStart {
            spec,
            parent: outcome,
            session,
            fresh,
        }
    }

    /// The session a follow-up of `parent` run as `spec` continues: the
    /// parent's, when its stream named one and the same agent, of a format
    /// with sessions, runs the follow-up.
    fn continued_session(&self, parent: &Turn, agent: Option<&str>) -> Option<String> {
        let agent = agent?;
        let config = self.config.agents.get(agent)?;
        let session = parent.agent_session.as_deref()?;
        (parent.agent == agent)
            .then(|| crate::agents::run::resume_argv(Some(config.format), &config.command, session))
            .flatten()
            .map(|_| session.to_string())
    }

    /// A follow-up's command line: the agent's, continuing the parent's
    /// session where [`Workspace::continued_session`] finds one. With the
    /// session it continues, for `turn_follows`.
    pub(super) fn follow_argv(
        &self,
        spec: &TurnSpec,
        agent: &str,
        argv: Vec<String>,
    ) -> Result<(Vec<String>, Option<String>)> {
        let Some((_, parent)) = &spec.follows else {
            return Ok((argv, None));
        };
        let parent = self.turn(parent)?;
        let format = self.config.agents.get(agent).map(|a| a.format);
        Ok(match self.continued_session(parent, Some(agent)) {
            Some(s) => match crate::agents::run::resume_argv(format, &argv, &s) {
                Some(v) => (v, Some(s)),
                None => (argv, None),
            },
            None => (argv, None),
        })
    }

    /// A follow-up's diff against its parent's: from the parent's turn
    /// commit (an interrupted parent's: the snapshot taken when its
    /// worktree was handed over) to the follow-up's.
    pub fn diff_against_parent(&self, id: &str) -> Result<Vec<FileDiff>> {
        let turn = self.turn(id)?;
        let Some(f) = &turn.follows else {
            return Err(Error::Refused(format!("{id} follows no other turn")));
        };
        let parent = self.turn(&f.parent)?;
        let old = match &parent.commit {
            Some(c) => Some(Oid::from_str(c)?),
            None => match self.repo.refname_to_id(&turn_ref(&parent.id)) {
                Ok(oid) => Some(oid),
                Err(_) => parent.base.as_deref().map(Oid::from_str).transpose()?,
            },
        };
        let Some(new) = turn.commit.as_deref() else {
            return Err(Error::Refused(format!(
                "{id} has no turn commit yet: its diff against {} is there when it ends",
                parent.id
            )));
        };
        Ok(checkpoint::sides::diff_trees(
            &self.repo,
            old,
            Some(Oid::from_str(new)?),
            &crate::diff::Limits::unlimited(),
        )?)
    }

    /// Where a turn works: for a resumed one, the parent's worktree handed
    /// over to it (an interrupted parent's, kept whole), else a new one
    /// with the parent's work (its turn commit) checked out; for any other,
    /// a new one at its base.
    pub(super) fn place_worktree(&mut self, id: &str, worktree: &Path) -> Result<Place> {
        let turn = self.turn(id)?.clone();
        let base = turn.base.as_deref().map(Oid::from_str).transpose()?;
        let Some(f) = turn.follows.filter(|f| f.how == FollowHow::Resume) else {
            return Ok(Place::Checkout(base));
        };
        let parent = self.turn(&f.parent)?.clone();
        let from = parent
            .worktree
            .clone()
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| self.worktree_path(&parent.id));
        let whole = checkpoint::worktree_is_whole(&self.repo, &parent.id) == Some(true);
        if whole && from.exists() && parent.commit.is_none() {
            // The parent's work as it was handed over, for its diff and for
            // `--against-parent`.
            let message = format!(
                "{}\n\nThe work of {} when it was resumed.\n",
                parent.title, parent.id
            );
            checkpoint::commit_worktree(&from, base, &message, &turn_ref(&parent.id))?;
            checkpoint::hand_over_worktree(&self.repo, &parent.id, &from, id, worktree)?;
            return Ok(Place::HandedOver);
        }
        let kept = self.repo.refname_to_id(&rejected_ref(&parent.id)).ok();
        Ok(Place::Checkout(
            parent
                .commit
                .as_deref()
                .map(Oid::from_str)
                .transpose()?
                .or(kept)
                .or(base),
        ))
    }

    /// Refuses a spec that could not start a turn (an unknown agent or
    /// task, a program that is not installed), before anything is decided.
    fn startable(&self, spec: &TurnSpec) -> Result<()> {
        let r = self.resolve(spec)?;
        if let Some(program) = r.argv.first()
            && !crate::agents::run::program_found(program)
        {
            return Err(Error::Refused(crate::agents::run::program_missing(
                &r.agent, program,
            )));
        }
        Ok(())
    }
}

/// Where a turn's worktree comes from.
pub(super) enum Place {
    /// Its parent's, handed over as it stood.
    HandedOver,
    /// A new one with this commit checked out (none: an unborn branch).
    Checkout(Option<Oid>),
}

/// How long a revision's prompt may grow with hunk text.
const PROMPT_BUDGET: usize = 96 * 1024;

/// How much of the parent landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Landed {
    Nothing,
    Part,
    All,
}

/// A comment with the hunk of the parent's diff its line is in.
struct Commented<'a> {
    comment: &'a LineComment,
    hunk: Option<&'a Hunk>,
}

/// Each comment with the hunk of `files` that holds its line.
fn comment_hunks<'a>(files: &'a [FileDiff], comments: &'a [LineComment]) -> Vec<Commented<'a>> {
    comments
        .iter()
        .map(|c| {
            let hunk = files
                .iter()
                .filter(|f| f.path() == c.path)
                .find_map(|f| match &f.body {
                    Body::Text(hunks) => hunks.iter().find(|h| {
                        h.lines.iter().any(|l| match (c.line, c.old_line) {
                            (Some(n), _) => l.new_no == Some(n),
                            (None, Some(o)) => l.kind == LineKind::Removed && l.old_no == Some(o),
                            (None, None) => false,
                        })
                    }),
                    _ => None,
                });
            Commented { comment: c, hunk }
        })
        .collect()
}

/// What the prompt of a revision is made of.
struct RevisionText<'a> {
    parent: &'a Turn,
    /// The agent starts afresh: the prompt repeats the task.
    fresh: bool,
    landed: Landed,
    comments: &'a [Commented<'a>],
    general: &'a [String],
    rejected: &'a [FileDiff],
}

/// A hunk as unified diff text: its header, then each line with its mark.
fn hunk_text(h: &Hunk) -> String {
    let mut s = format!("{}\n", h.header);
    for l in &h.lines {
        let mark = match l.kind {
            LineKind::Added => '+',
            LineKind::Removed => '-',
            LineKind::Context => ' ',
        };
        let _ = writeln!(s, "{mark}{}", l.text);
    }
    s
}

/// The prompt of a revision, as the agent reads it: the text of comments
/// and hunks exactly as written (the agent's own words come back to it).
fn revision_prompt(t: &RevisionText<'_>) -> String {
    let p = t.parent;
    let mut s = String::new();
    if t.fresh {
        let _ = write!(
            s,
            "The task was:\n\n{}\n\n",
            p.prompt.as_deref().unwrap_or(&p.title)
        );
        let _ = writeln!(s, "A previous turn ({}) did it, and was reviewed.", p.id);
    } else {
        let _ = writeln!(
            s,
            "Your previous turn ({}) was reviewed and sent back to you.",
            p.id
        );
    }
    s.push_str(match t.landed {
        Landed::Nothing => {
            "None of it landed: the working tree is the branch without those changes.\n"
        }
        Landed::Part => "Part of it landed and is in the working tree; the hunks below did not.\n",
        Landed::All => "All of it landed and is in the working tree.\n",
    });
    if !t.comments.is_empty() || !t.general.is_empty() {
        s.push_str("\nThe reviewer's comments:\n");
    }
    for (i, c) in t.comments.iter().enumerate() {
        let line = match (c.comment.line, c.comment.old_line) {
            (Some(n), _) => format!("line {n}"),
            (None, Some(o)) => format!("removed line {o}"),
            (None, None) => "a line".into(),
        };
        let _ = write!(
            s,
            "\n{}. {}, {line}: {}\n",
            i + 1,
            c.comment.path,
            c.comment.text
        );
        if let Some(h) = c.hunk {
            let _ = write!(s, "In this hunk:\n```diff\n{}```\n", hunk_text(h));
        }
    }
    for g in t.general {
        let _ = write!(s, "\n- {g}\n");
    }
    if !t.rejected.is_empty() {
        s.push_str("\nThe hunks that were not landed (they are not in the working tree):\n");
        // The prompt is one argument of the agent's command line, which the
        // kernel caps (128 KiB): past the budget, a hunk is only named.
        let mut left_out = Vec::new();
        for f in t.rejected {
            match &f.body {
                Body::Text(hunks) if !hunks.is_empty() => {
                    for h in hunks {
                        let text = format!("\n{}\n```diff\n{}```\n", f.path(), hunk_text(h));
                        if s.len() + text.len() > PROMPT_BUDGET {
                            left_out.push(format!("{} {}", f.path(), h.header));
                        } else {
                            s.push_str(&text);
                        }
                    }
                }
                _ => {
                    let _ = write!(s, "\n{} (changed as a whole: not text)\n", f.path());
                }
            }
        }
        if !left_out.is_empty() {
            let kept = rejected_ref(&p.id);
            let from = match t.landed {
                Landed::Part => format!("{kept}~1"),
                _ => p.base.clone().unwrap_or_else(|| "HEAD".into()),
            };
            let _ = write!(
                s,
                "\n{} more, too long to show here; see them with `git diff {from} {kept}`:\n",
                left_out.len(),
            );
            for l in left_out.iter().take(200) {
                let _ = writeln!(s, "- {l}");
            }
        }
    }
    s.push_str("\nRevise the work as the comments ask, then stop.\n");
    s
}
