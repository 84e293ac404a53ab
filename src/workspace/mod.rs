//! The facade over leash's library: open a workspace, create and supervise
//! turns, decide, land, reject and roll them back. The CLI and the console
//! are two front ends over these calls and hold no logic of their own.
//!
//! Every `impl Workspace` lives in this folder, one file per duty: opening,
//! the journal and autonomy here; `turns` (creating a turn — the one place
//! ids are given — supervising an isolated one, concluding any),
//! `confinement`, `observer` (an agent's stream into the journal),
//! `in_place`, `gate` (the hooks' gate), `shell`, `checks` (invariants and
//! fix turns), `landing` (approve, reject, roll back) and `recovery`.
//! `agents/` runs processes and speaks the agents' formats; it does not
//! know the workspace.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use crate::checkpoint::{self, GitError};
use crate::config::{self, ConfigError, Sliders, TasksConfig, WorkspaceConfig};
use crate::event::Event;
use crate::journal::{Journal, JournalError};
use crate::model::{AutonomyLevel, DecidedBy, RiskClass, TurnState};
use crate::policy::{self, TaskOverride};
use crate::state::{State, Turn};
use policy_cache::{committed_policy, committed_policy_read};

pub mod blame;
mod budget;
pub mod checks;
mod confinement;
mod diffs;
pub mod gate;
mod history;
mod needs_you;
mod notify;
pub use notify::{RECENT_KEY_PRESS, fill as fill_notify, notify_value};
mod follow;
pub use pipeline::PassStart;
pub mod hooks;
mod in_place;
mod landing;
pub mod notes;
mod observer;
mod partial;
mod pipeline;
mod policy_cache;
mod position;
mod presence;
mod reads;
mod recovery;
mod review;
pub mod rules;
mod seen;
pub mod shell;
mod turns;
pub use follow::{FollowUpStart, Revision};
mod verify;

pub use crate::agents::detached;
pub use crate::journal::snapshot::{RowEntry, RowText, parse_rows as parse_settled_rows};
pub use crate::model::TurnSpec;
pub use checks::{TurnCheck, TurnFix};
pub use confinement::{ConfinementStatus, landlock_abi};
pub use diffs::{DiffReader, reads_only_to_display};
pub use partial::PartialLanding;
pub use shell::{KEPT_OUT, ShellPlan};

/// Errors of workspace operations. Each says what happened and, where it
/// helps, what to do; the CLI exits 1 on any of them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{} is not inside a git repository: run `git init` there to make one, \
         or use --repo DIR to name a repository",
        path.display()
    )]
    NotARepo {
        /// The folder looked at, made absolute.
        path: PathBuf,
    },
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Git(#[from] GitError),
    #[error("no turn {0} in this workspace (see `leash turns`)")]
    UnknownTurn(String),
    #[error("{turn} is already decided: {what}")]
    AlreadyDecided { turn: String, what: String },
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Self {
        Error::Git(GitError::Git(e))
    }
}

/// Result of workspace operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A crash-simulation point for tests: when `LEASH_TEST_CRASH_AT` names
/// `point`, the process aborts there, as a `kill -9` would leave it.
pub fn crash_point(point: &str) {
    if std::env::var("LEASH_TEST_CRASH_AT").is_ok_and(|p| p == point) {
        std::process::abort();
    }
}

/// An open workspace: the repository, its config and the folded journal.
pub struct Workspace {
    root: PathBuf,
    repo: Repository,
    leash_dir: PathBuf,
    journal: Journal,
    state: State,
    config: WorkspaceConfig,
    tasks: TasksConfig,
    /// Things the operator should hear about from opening: a torn journal
    /// line moved aside, recovered intents, interrupted turns, warnings.
    notices: Vec<String>,
    /// Why recovery could not finish (a git lock someone else may hold):
    /// reading works, but commands that change the repository refuse.
    blocked: Vec<String>,
    /// The commit whose committed policy `config` and `tasks` hold, when
    /// they were read from one (not the defaults a broken config fell back
    /// to), so that asking for the same policy again reads nothing.
    policy_at: Option<Option<Oid>>,
}

/// Who or what an autonomy setting applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutonomyTarget {
    Class(RiskClass),
    Task(String),
}

/// An exclusive lock on a file, released on drop.
pub struct FileLock {
    _file: File,
}

impl FileLock {
    fn acquire(path: &Path, wait: bool) -> Result<Option<FileLock>> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io_error(path))?;
        if wait {
            file.lock().map_err(io_error(path))?;
            return Ok(Some(FileLock { _file: file }));
        }
        match file.try_lock() {
            Ok(()) => Ok(Some(FileLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(io_error(path)(e)),
        }
    }
}

impl Workspace {
    /// Opens the workspace holding `dir`: loads its config, opens and
    /// repairs the journal, folds it, finishes or undoes interrupted
    /// landings and marks turns whose supervisor is gone as interrupted.
    pub fn open(dir: &Path) -> Result<Workspace> {
        Self::open_with(discover_worktree(dir)?, false, false, true).map(|(ws, _)| ws)
    }

    /// Like `open`, for the hook gate: the turns that were settled at the
    /// fold snapshot are left out until a journal line names one, so a
    /// hook's cost does not grow with history. [`State::turns`] then lists
    /// only the live ones.
    pub fn open_for_gate(dir: &Path) -> Result<Workspace> {
        Self::open_with(discover_worktree(dir)?, false, false, false).map(|(ws, _)| ws)
    }

    /// [`Workspace::open_for_gate`] in a repository already found.
    pub fn open_for_gate_in(repo: Repository) -> Result<Workspace> {
        Self::open_with(with_worktree(repo)?, false, false, false).map(|(ws, _)| ws)
    }

    /// Like `open`, but a broken `.leash/config.toml` or `tasks.toml` does
    /// not stop it: the built-in defaults are used and the errors returned,
    /// for a console that must still start and say what is wrong.
    pub fn open_lenient(dir: &Path) -> Result<(Workspace, Vec<String>)> {
        Self::open_with(discover_worktree(dir)?, true, false, true)
    }

    /// For commands that only read (`leash turns`, `show`, `log`…): lenient
    /// like [`Workspace::open_lenient`], and a journal that does not exist
    /// yet is not created (nor anything else under `.git/leash`).
    pub fn open_read_only(dir: &Path) -> Result<(Workspace, Vec<String>)> {
        Self::open_with(discover_worktree(dir)?, true, true, true)
    }

    /// Like [`Workspace::open_read_only`], with the turns that were settled
    /// at the fold snapshot left out (as for the gate): for `leash turns
    /// --json`, which lists those from the snapshot's rows.
    pub fn open_read_only_live(dir: &Path) -> Result<(Workspace, Vec<String>)> {
        Self::open_with(discover_worktree(dir)?, true, true, false)
    }

    fn open_with(
        (repo, root): (Repository, PathBuf),
        lenient: bool,
        read_only: bool,
        settled: bool,
    ) -> Result<(Workspace, Vec<String>)> {
        checkpoint::enable_fsync();
        let root = root.canonicalize().unwrap_or(root);
        let mut problems = Vec::new();
        // Policy is what the branch's commit says: an uncommitted edit (an
        // agent's above all) changes nothing until someone commits it.
        let head = checkpoint::head_commit(&repo)?;
        let config::CommittedPolicy {
            mut config,
            mut tasks,
            bytes: committed_bytes,
        } = committed_policy_read(&repo, &root, head);
        let policy_at = (config.is_ok() && tasks.is_ok()).then_some(head);
        if lenient {
            // A reader is told what still works; the console runs on.
            let (for_config, for_tasks) = if read_only {
                (
                    "showing what the journal holds; commands that change the workspace \
                     refuse until it is fixed",
                    "showing what the journal holds; runs refuse until it is fixed",
                )
            } else {
                ("running on the built-in defaults", "no tasks loaded")
            };
            if let Err(e) = &config {
                problems.push(format!("{e} — {for_config}"));
                config = Ok(WorkspaceConfig::default());
            }
            if let Err(e) = &tasks {
                problems.push(format!("{e} — {for_tasks}"));
                tasks = Ok(TasksConfig::default());
            }
        }
        let (config, tasks) = (config?, tasks?);
        let leash_dir = repo.commondir().join("leash");
        let mut state = State::default();
        let journal_path = leash_dir.join("journal.jsonl");
        let fresh = read_only && !journal_path.exists();
        let (journal, torn) = if fresh {
            (Journal::unopened(&journal_path), None)
        } else {
            Journal::open(&journal_path, &mut state, settled)?
        };
        let mut notices = Vec::new();
        let uncommitted = config::uncommitted_among(&repo, &root, head, &committed_bytes);
        if let Some(n) = uncommitted_notice_of(&uncommitted, head) {
            notices.push(n);
        }
        if let Some(torn) = torn {
            notices.push(format!(
                "the journal's last line was torn (a crash mid-write); it was moved to {}",
                torn.display()
            ));
        }
        let mut ws = Workspace {
            root,
            repo,
            leash_dir,
            journal,
            state,
            config,
            tasks,
            notices,
            blocked: Vec::new(),
            policy_at,
        };
        // With no journal there is nothing to recover.
        if !fresh {
            ws.recover()?;
        }
        // Settled turns are held in brief, whether they came from the
        // snapshot or were folded whole: what a process reads whole it asks
        // for (`whole_turn`).
        ws.state.brief_settled(None);
        ws.notices.append(&mut ws.state.warnings);
        Ok((ws, problems))
    }

    /// The notice about policy files edited but not committed, if any.
    pub fn uncommitted_policy(&self) -> Option<String> {
        let head = checkpoint::head_commit(&self.repo).ok().flatten();
        uncommitted_notice(&self.repo, &self.root, head)
    }

    /// Replaces the policy with the one committed at `commit`: an isolated
    /// turn is governed by the policy of the commit it started from.
    pub fn use_policy_at(&mut self, commit: Option<Oid>) -> Result<()> {
        if self.policy_at == Some(commit) {
            return Ok(());
        }
        let (cfg, tasks) = committed_policy(&self.repo, &self.root, commit);
        let (cfg, tasks) = (cfg?, tasks?);
        self.config = cfg;
        self.tasks = tasks;
        self.policy_at = Some(commit);
        Ok(())
    }

    /// `.git/leash`: journal, turn logs, locks.
    pub fn leash_dir(&self) -> &Path {
        &self.leash_dir
    }

    /// `.git/leash/turns/<id>`: the turn's output log and supervisor log.
    pub fn turn_dir(&self, id: &str) -> PathBuf {
        self.leash_dir.join("turns").join(id)
    }

    /// Where an isolated turn's worktree lives: the data directory, never
    /// inside the user's checkout.
    pub fn worktree_path(&self, id: &str) -> PathBuf {
        let data = std::env::var_os("LEASH_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                directories::ProjectDirs::from("", "", "leash").map(|d| d.data_dir().to_path_buf())
            })
            .unwrap_or_else(|| std::env::temp_dir().join("leash"));
        let name = self
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "repo".into());
        let hash = Oid::hash_object(
            git2::ObjectType::Blob,
            self.repo.commondir().to_string_lossy().as_bytes(),
        )
        .map(|o| o.to_string()[..10].to_string())
        .unwrap_or_default();
        data.join("worktrees")
            .join(format!("{name}-{hash}"))
            .join(id)
    }

    /// Folds whatever other processes appended since the last look.
    pub fn refresh(&mut self) -> Result<usize> {
        Ok(self.journal.refresh(&mut self.state)?)
    }

    /// Appends events (under the journal lock).
    pub fn append(&mut self, events: Vec<Event>) -> Result<()> {
        Ok(self.journal.append(&mut self.state, events)?)
    }

    /// Compare-and-append: `decide` sees the freshest state under the lock.
    pub fn transact<T>(
        &mut self,
        decide: impl FnOnce(&State) -> Result<(Vec<Event>, T)>,
    ) -> Result<T> {
        self.journal.transact(&mut self.state, decide)
    }

    /// The journal file.
    pub fn journal_path(&self) -> &Path {
        self.journal.path()
    }

    /// See [`Journal::settled_rows`].
    pub fn settled_rows(&self) -> Option<Vec<u8>> {
        self.journal.settled_rows()
    }

    /// See [`Journal::settled_turn_at`].
    pub fn settled_turn_at(&self, at: u64, len: u64) -> Option<Turn> {
        self.journal.settled_turn_at(at, len)
    }

    /// Whether the turns settled at the fold snapshot were left out (see
    /// [`Workspace::open_read_only_live`]).
    pub fn settled_left_out(&self) -> bool {
        self.state.settled_left_out
    }

    /// One turn by id. A settled turn may be held in brief: its events,
    /// log and done actions are then read with [`Workspace::whole_turn`].
    pub fn turn(&self, id: &str) -> Result<&Turn> {
        self.state
            .turn(id)
            .ok_or_else(|| Error::UnknownTurn(id.to_string()))
    }

    /// One turn by id, whole: every event, its readable log and every
    /// action, read again from its lines in the journal when the state holds
    /// it in brief.
    pub fn whole_turn(&self, id: &str) -> Result<std::borrow::Cow<'_, Turn>> {
        self.journal
            .whole_turn(&self.state, id)?
            .ok_or_else(|| Error::UnknownTurn(id.to_string()))
    }

    /// Holds turn `id` whole from now on (the console's selected turn), and
    /// every other settled turn in brief, so memory does not grow with what
    /// was looked at.
    pub fn hold_whole(&mut self, id: Option<&str>) -> Result<()> {
        self.state.brief_settled(id);
        if let Some(id) = id
            && !self.state.is_whole(id)
            && let Some(whole) = self.journal.whole_turn(&self.state, id)?
        {
            let whole = whole.into_owned();
            self.state.put_whole(whole);
        }
        Ok(())
    }

    /// The journal records of turn `id`, in order.
    pub fn turn_records(&self, id: &str) -> Result<Vec<crate::journal::Record>> {
        self.turn(id)?;
        Ok(self.journal.turn_records(&self.state, id)?)
    }

    /// The sliders as they stand: the config's `[autonomy]` overlaid with
    /// every `autonomy_set` in the journal.
    pub fn sliders(&self) -> Sliders {
        let mut s = self.config.autonomy;
        for (class, level) in &self.state.autonomy {
            s.set(*class, *level);
        }
        s
    }

    /// A task's autonomy override: the operator's (journal) or the file's.
    pub fn task_autonomy(&self, task: &str) -> Option<AutonomyLevel> {
        self.state
            .task_autonomy
            .get(task)
            .copied()
            .or_else(|| self.tasks.find(task).and_then(|t| t.autonomy))
    }

    /// The level that governs a turn at its current class.
    pub fn level_for(&self, turn: &Turn) -> AutonomyLevel {
        let task = turn.task.as_deref().and_then(|t| {
            self.state
                .task_autonomy
                .get(t)
                .copied()
                .or(turn.task_autonomy)
        });
        policy::autonomy_for(
            turn.risk,
            &self.sliders(),
            task.map(|level| TaskOverride {
                declared: turn.declared_risk,
                level,
            }),
        )
    }

    /// Moves a slider (or a task's override), journaled as `autonomy_set`.
    pub fn set_autonomy(&mut self, target: AutonomyTarget, level: AutonomyLevel) -> Result<()> {
        if let AutonomyTarget::Task(name) = &target
            && self.tasks.find(name).is_none()
        {
            return Err(Error::Refused(format!(
                "no task `{name}` in {}",
                config::TASKS_FILE
            )));
        }
        let (class, task) = match target {
            AutonomyTarget::Class(c) => (Some(c), None),
            AutonomyTarget::Task(t) => (None, Some(t)),
        };
        self.append(vec![Event::AutonomySet {
            class,
            task,
            level,
            by: DecidedBy::Operator,
        }])
    }

    /// Answers an action that waits for the operator (`leash allow|deny`, or
    /// the console), keeping the receipt of how the operator decided. The
    /// first answer stands; a second is "already decided".
    pub fn decide_action(
        &mut self,
        action: &str,
        decision: crate::event::ActionDecision,
        reason: Option<String>,
        receipt: Option<crate::model::Receipt>,
    ) -> Result<()> {
        self.transact(|state| {
            let (_, a) = state.action(action).ok_or_else(|| {
                Error::Refused(format!(
                    "no action {action} in this workspace (see `leash actions`)"
                ))
            })?;
            if let Some(d) = &a.decision {
                return Err(Error::AlreadyDecided {
                    turn: action.to_string(),
                    what: format!("{} by {}", d.decision.done_word(), d.by),
                });
            }
            if !a.needs_approval {
                return Err(Error::Refused(format!(
                    "{action} did not wait for an operator"
                )));
            }
            Ok((
                vec![Event::ActionDecided {
                    action: action.to_string(),
                    decision,
                    by: DecidedBy::Operator,
                    reason: reason.clone(),
                    receipt: receipt.clone(),
                }],
                (),
            ))
        })
    }

    /// Refuses to change the repository while recovery is blocked (a git
    /// lock file that may be someone else's), saying what to do.
    pub(crate) fn ensure_unblocked(&self) -> Result<()> {
        match self.blocked.first() {
            Some(why) => Err(Error::Refused(why.clone())),
            None => Ok(()),
        }
    }

    /// The unified diff of a turn: its commit against its base, or for a
    /// turn without a commit (running, interrupted) the partial changes in
    /// its worktree. Made from [`Workspace::diff_files`].
    pub fn diff_text(&self, id: &str) -> Result<String> {
        Ok(crate::diff::patch::unified(&self.diff_files(id)?))
    }

    /// The files of [`Workspace::diff_text`]: the diff model the console
    /// draws (renames found, binary files without lines), read whole,
    /// with no size limit or deadline.
    pub fn diff_files(&self, id: &str) -> Result<Vec<crate::diff::FileDiff>> {
        let turn = self.turn(id)?;
        let base = turn.base.as_deref().map(Oid::from_str).transpose()?;
        let limits = crate::diff::Limits::unlimited();
        if let Some(commit) = turn.commit.as_deref() {
            let commit = Oid::from_str(commit)?;
            return Ok(checkpoint::sides::diff_trees(
                &self.repo,
                base,
                Some(commit),
                &limits,
            )?);
        }
        // A running in-place turn works in the user's own checkout.
        let path = if turn.kind == crate::model::TurnKind::InPlace {
            self.root.clone()
        } else {
            turn.worktree
                .as_deref()
                .map(PathBuf::from)
                .unwrap_or_else(|| self.worktree_path(id))
        };
        if path.join(".git").exists() {
            let wt = git2::Repository::open(&path)?;
            return Ok(checkpoint::sides::diff_tree_to_workdir(&wt, base, &limits)?);
        }
        Ok(Vec::new())
    }

    /// Asks a running turn's supervisor to cancel it (SIGTERM; the
    /// supervisor ends the agent and records the turn).
    /// An in-place turn has no supervisor: cancelling it ends it where it
    /// stands (an agent that crashed never sends its Stop), so its changes
    /// are snapshotted and decided like any ended turn.
    pub fn cancel(&mut self, id: &str) -> Result<()> {
        let turn = self.turn(id)?;
        if turn.state != TurnState::Running {
            return Err(Error::Refused(format!(
                "{id} is {}, not running",
                turn.state
            )));
        }
        if turn.kind == crate::model::TurnKind::InPlace {
            return self.cancel_in_place(id);
        }
        let pid = turn
            .supervisor_pid
            .ok_or_else(|| Error::Refused(format!("{id} has no supervisor to ask")))?;
        if !crate::agents::process::is_alive(pid, turn.supervisor_start) {
            return Err(Error::Refused(format!(
                "{id}'s supervisor (pid {pid}) is gone; the turn will show as interrupted"
            )));
        }
        crate::agents::process::signal_process(pid, libc::SIGTERM)
            .map_err(io_error(Path::new("kill")))
    }

    /// The commit message of a turn commit: title and the trailers known
    /// when the agent exits.
    pub(crate) fn turn_message(&self, turn: &Turn) -> String {
        let mut m = format!(
            "{}\n\n",
            notes::commit_title(turn, self.config.provenance.prompts)
        );
        m.push_str(&format!("Leash-Turn: {}\n", turn.id));
        if let Some(f) = &turn.follows {
            m.push_str(&format!("Leash-Parent: {}\n", f.parent));
        }
        if let Some(task) = &turn.task {
            m.push_str(&format!("Leash-Task: {task}\n"));
        }
        let agent = notes::agent_name(turn);
        m.push_str(&format!("Leash-Agent: {agent}\n"));
        // The kernel's convention for AI help; leash never claims an agent
        // as a co-author.
        if let Some(a) = notes::assisted_by(turn) {
            m.push_str(&format!("Assisted-by: {a}\n"));
        }
        let why = turn
            .escalations
            .last()
            .map(|e| e.because.clone())
            .unwrap_or_else(|| "declared".into());
        m.push_str(&format!("Leash-Risk: {} ({why})\n", turn.risk));
        m
    }

    /// Removes a turn's worktree once its content is safe in a commit (or
    /// there was none). Failure to remove is reported, never fatal.
    pub(crate) fn discard_worktree(&mut self, id: &str) {
        let path = self
            .turn(id)
            .ok()
            .and_then(|t| t.worktree.clone())
            .map(PathBuf::from)
            .unwrap_or_else(|| self.worktree_path(id));
        if let Err(e) = checkpoint::remove_worktree(&self.repo, id, &path) {
            self.notices
                .push(format!("could not remove the worktree of {id}: {e}"));
        }
    }
}

/// The repository holding `dir` and its working tree; a bare repository is
/// refused, as leash works in a checkout.
pub fn discover_worktree(dir: &Path) -> Result<(Repository, PathBuf)> {
    with_worktree(discover(dir)?)
}

/// `repo` with its working tree; a bare repository is refused.
fn with_worktree(repo: Repository) -> Result<(Repository, PathBuf)> {
    let root = repo
        .workdir()
        .ok_or_else(|| Error::Refused("leash needs a repository with a working tree".into()))?
        .to_path_buf();
    Ok((repo, root))
}

/// The repository holding `dir`; outside one, an error naming the absolute
/// path and what to do.
pub fn discover(dir: &Path) -> Result<Repository> {
    Repository::discover(dir).map_err(|e| {
        if e.code() != git2::ErrorCode::NotFound {
            return Error::from(e);
        }
        // libgit2's own words (its error class and code) would tell a
        // person nothing more than this does.
        Error::NotARepo {
            path: std::path::absolute(dir)
                .map(|p| p.canonicalize().unwrap_or(p))
                .unwrap_or_else(|_| dir.to_path_buf()),
        }
    })
}

/// "uncommitted policy change ignored until committed: …", when a policy
/// file in the working tree differs from the commit at `head`.
fn uncommitted_notice(repo: &Repository, root: &Path, head: Option<Oid>) -> Option<String> {
    uncommitted_notice_of(&config::uncommitted_policy_files(repo, root, head), head)
}

fn uncommitted_notice_of(files: &[&str], head: Option<Oid>) -> Option<String> {
    (!files.is_empty()).then(|| {
        format!(
            "{}: {} differ{} from {}; leash applies the committed policy",
            config::UNCOMMITTED_POLICY,
            files.join(" and "),
            if files.len() == 1 { "s" } else { "" },
            match head {
                Some(h) => format!("the commit {}", checkpoint::short(&h.to_string())),
                None => "the (still empty) branch".to_string(),
            }
        )
    })
}

/// The ref of a turn commit.
pub fn turn_ref(id: &str) -> String {
    format!("refs/leash/turns/{id}")
}

/// Where a landing (or rollback) put the branch.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Landing {
    pub commit: String,
    pub branch: String,
    pub drift_from: Option<String>,
    /// Files an in-place rollback left alone because they were edited
    /// since, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<(String, String)>,
}

/// What a rejection did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rejected {
    /// Where the turn's content stays reachable.
    pub kept_at: String,
    /// In-place turns: files put back to their start content.
    pub restored: Vec<String>,
    /// In-place turns: files left alone because they were edited since.
    pub skipped: Vec<(String, String)>,
}
