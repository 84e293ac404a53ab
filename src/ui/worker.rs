//! Background work, off the draw path: diffs, output windows, highlighting
//! and operator actions. Each kind of job keeps only its newest request
//! (a request for another turn makes an older one pointless), and reports
//! back through the app's message channel.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use ratatui::style::Style;

use crate::diff::{FileDiff, Limits};
use crate::model::TurnSpec;
use crate::model::{AutonomyLevel, Receipt, RiskClass};
use crate::transcript::{self, Rendered};
use crate::ui::highlight::Highlighter;
use crate::workspace::blame::{LineBlame, SourceText};
use crate::workspace::detached;
use crate::workspace::{AutonomyTarget, DiffReader, Workspace};

/// How much of an output log one window holds.
pub const WINDOW_BYTES: u64 = 256 * 1024;

/// Something for the background to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// The diff of a turn: its commit against its base, or its worktree.
    Diff {
        turn: String,
        base: Option<String>,
        commit: Option<String>,
        worktree: Option<PathBuf>,
    },
    /// A window of a turn's output log ending at `end` (None: the end).
    Output {
        turn: String,
        path: PathBuf,
        format: transcript::Format,
        /// The agent's working directory, to show paths relative to it.
        cwd: Option<String>,
        end: Option<u64>,
    },
    /// Syntax colours for one hunk's lines.
    Highlight {
        key: HighlightKey,
        path: String,
        lines: Vec<String>,
        theme: String,
    },
    /// Who wrote one line of a turn's diff: `path` at `line` as `commit`
    /// holds it.
    Blame {
        turn: String,
        commit: String,
        path: String,
        line: usize,
        /// The diff line's sign, handed back for the answer to show.
        sign: char,
    },
    /// A source as the agent read it (a blob), to show at `line`.
    Source {
        path: String,
        blob: String,
        line: usize,
    },
    /// The head of a pipeline pass's `out`: as its turn's commit holds it,
    /// or as its worktree holds it while it has no commit.
    PassOut {
        turn: String,
        out: String,
        commit: Option<String>,
        worktree: Option<PathBuf>,
    },
}

/// How many bytes of a pass's `out` are read for its preview.
pub const OUT_PREVIEW_BYTES: usize = 16 * 1024;

/// The first lines of a pass's `out`, sanitized.
#[derive(Debug, Clone, Default)]
pub struct OutPreview {
    pub lines: Vec<crate::sanitize::SafeLine>,
    /// The file's size.
    pub bytes: u64,
    /// Its lines, counted in what was read (`cut`: more follow).
    pub line_count: usize,
    pub cut: bool,
}

impl OutPreview {
    /// The preview of a file's first bytes (`size`: its whole size).
    pub fn of(head: &[u8], size: u64) -> OutPreview {
        let cut = (head.len() as u64) < size;
        let text = String::from_utf8_lossy(head);
        let mut lines = crate::sanitize::sanitize_text(&text, 400);
        // A cut file's last line may be cut in the middle: it is not shown.
        if cut && lines.len() > 1 {
            lines.pop();
        }
        OutPreview {
            line_count: lines.len(),
            lines,
            bytes: size,
            cut,
        }
    }
}

/// Names one highlighted hunk: (turn, file index, hunk index).
pub type HighlightKey = (String, usize, usize);

/// Per line: (style, byte range) spans.
pub type Highlighted = Vec<Vec<(Style, std::ops::Range<usize>)>>;

/// An operator action, run where it cannot freeze the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Land a turn. Each decision carries its receipt, filled in when it
    /// leaves the console (see `App::take_ops`).
    Approve(String, Option<Receipt>),
    /// Land the hunks marked accepted (by file and `@@` header); the rest
    /// is kept aside.
    ApproveHunks(String, Vec<crate::diff::select::Mark>, Option<Receipt>),
    /// Send a waiting turn back to its agent: the hunks marked accepted
    /// land (none: it is rejected), and its follow-up starts detached.
    Revise(String, Vec<crate::diff::select::Mark>, Option<Receipt>),
    /// Comment on a line of a turn's diff.
    Comment {
        turn: String,
        path: String,
        line: Option<u32>,
        old_line: Option<u32>,
        text: String,
    },
    Reject(String, String, Option<Receipt>),
    Rollback(String),
    Cancel(String),
    SetAutonomy(AutonomyTarget, AutonomyLevel),
    /// Start a detached turn (the library's `agents::detached::start`).
    Start(Box<TurnSpec>),
    /// Let a waiting action run.
    Allow(String, Option<Receipt>),
    /// `leash check --fix`.
    Fix,
    /// `leash check --fix --turn T`: fix a turn awaiting review.
    FixTurn(String),
    /// Refuse a waiting action, with the reason the agent is told.
    Deny(String, String, Option<Receipt>),
    /// Add the rule the operator confirmed to `.leash/config.toml`, in a
    /// commit of its own (`leash rules add`).
    AddRule(crate::workspace::rules::Suggestion),
}

impl Op {
    /// The turn or action a decision is about, and its receipt to fill
    /// in; `None` for what decides nothing (a rollback asks no review).
    pub fn receipt_slot(&mut self) -> Option<(&str, &mut Option<Receipt>)> {
        match self {
            Op::Approve(id, r)
            | Op::ApproveHunks(id, _, r)
            | Op::Revise(id, _, r)
            | Op::Reject(id, _, r)
            | Op::Allow(id, r)
            | Op::Deny(id, _, r) => Some((id.as_str(), r)),
            _ => None,
        }
    }
}

/// What came back.
#[derive(Debug)]
pub enum Done {
    Diff {
        turn: String,
        result: Result<Arc<Vec<FileDiff>>, String>,
    },
    Output {
        turn: String,
        window: OutputWindow,
    },
    Highlight {
        key: HighlightKey,
        spans: Arc<Highlighted>,
    },
    Op {
        op: Op,
        result: Result<String, String>,
    },
    Blame {
        turn: String,
        sign: char,
        result: Result<Box<LineBlame>, String>,
    },
    Source {
        line: usize,
        result: Result<SourceText, String>,
    },
    /// A pass's `out` (`None`: not there).
    PassOut {
        turn: String,
        result: Result<Option<OutPreview>, String>,
    },
}

/// A window of a turn's output, parsed and sanitized.
#[derive(Debug, Clone, Default)]
pub struct OutputWindow {
    /// Byte range of the log this window covers.
    pub start: u64,
    pub end: u64,
    /// The log's length when read.
    pub file_len: u64,
    pub rendered: Rendered,
}

/// One slot per job kind: the newest request replaces an unstarted one.
struct Slots {
    jobs: Mutex<HashMap<&'static str, Job>>,
    ready: Condvar,
}

/// The handle the app uses to ask for work.
pub struct Worker {
    slots: Arc<Slots>,
    ops: Sender<Op>,
}

fn slot_of(job: &Job) -> &'static str {
    match job {
        Job::Diff { .. } => "diff",
        Job::Output { .. } => "output",
        Job::Highlight { .. } => "highlight",
        Job::Blame { .. } => "blame",
        Job::Source { .. } => "source",
        Job::PassOut { .. } => "pass_out",
    }
}

impl Worker {
    /// Starts the data thread and the operations thread for the workspace
    /// at `root`; results arrive on `done` wrapped by `wrap`.
    pub fn start<M: Send + 'static>(root: PathBuf, done: Sender<M>, wrap: fn(Done) -> M) -> Worker {
        let slots = Arc::new(Slots {
            jobs: Mutex::new(HashMap::new()),
            ready: Condvar::new(),
        });
        let data_slots = slots.clone();
        let data_done = done.clone();
        let data_root = root.clone();
        thread::spawn(move || data_loop(&data_root, &data_slots, &data_done, wrap));
        let (ops, ops_rx) = channel();
        thread::spawn(move || ops_loop(&root, ops_rx, &done, wrap));
        Worker { slots, ops }
    }

    /// Asks for a job; an unstarted job of the same kind is dropped.
    pub fn request(&self, job: Job) {
        let mut jobs = self.slots.jobs.lock().expect("worker lock");
        jobs.insert(slot_of(&job), job);
        self.slots.ready.notify_one();
    }

    /// Queues an operator action (these are never dropped).
    pub fn op(&self, op: Op) {
        let _ = self.ops.send(op);
    }
}

fn data_loop<M>(root: &Path, slots: &Slots, done: &Sender<M>, wrap: fn(Done) -> M) {
    let reader = DiffReader::open(root);
    // Loading syntaxes takes tens of milliseconds: do it here, once.
    let highlighter = Highlighter::new();
    loop {
        let job = {
            let mut jobs = slots.jobs.lock().expect("worker lock");
            loop {
                // What the operator asked for by a key first, then diffs and
                // output; highlighting only decorates them.
                let next = ["blame", "source", "diff", "pass_out", "output", "highlight"]
                    .iter()
                    .find_map(|k| jobs.remove(k));
                if let Some(j) = next {
                    break j;
                }
                jobs = slots.ready.wait(jobs).expect("worker lock");
            }
        };
        let result = run_job(&reader, &highlighter, job);
        if done.send(wrap(result)).is_err() {
            return;
        }
    }
}

/// Does one data job here and now (the data thread's work; tests call it
/// directly to settle the console without threads).
pub fn run_job(reader: &DiffReader, highlighter: &Highlighter, job: Job) -> Done {
    match job {
        Job::Diff {
            turn,
            base,
            commit,
            worktree,
        } => Done::Diff {
            turn,
            result: reader
                .turn_diff(
                    base.as_deref(),
                    commit.as_deref(),
                    worktree.as_ref(),
                    &Limits::default(),
                )
                .map(Arc::new),
        },
        Job::Output {
            turn,
            path,
            format,
            cwd,
            end,
        } => Done::Output {
            turn,
            window: read_window(&path, format, cwd.as_deref(), end),
        },
        Job::Highlight {
            key,
            path,
            lines,
            theme,
        } => {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            Done::Highlight {
                key,
                spans: Arc::new(highlighter.highlight(&path, &refs, &theme)),
            }
        }
        Job::Blame {
            turn,
            commit,
            path,
            line,
            sign,
        } => Done::Blame {
            turn,
            sign,
            result: reader.blame_line(&commit, &path, line).map(Box::new),
        },
        Job::Source { path, blob, line } => Done::Source {
            line,
            result: reader.source(&path, &blob),
        },
        Job::PassOut {
            turn,
            out,
            commit,
            worktree,
        } => Done::PassOut {
            turn,
            result: reader
                .file_head(
                    commit.as_deref(),
                    worktree.as_ref(),
                    &out,
                    OUT_PREVIEW_BYTES,
                )
                .map(|f| f.map(|(head, size)| OutPreview::of(&head, size))),
        },
    }
}

/// Reads the window of a log that ends at `end` (or at its end), starting
/// on a line boundary, and renders it.
pub fn read_window(
    path: &Path,
    format: transcript::Format,
    cwd: Option<&str>,
    end: Option<u64>,
) -> OutputWindow {
    let Ok(mut f) = File::open(path) else {
        return OutputWindow::default();
    };
    let file_len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let end = end.unwrap_or(file_len).min(file_len);
    let mut start = end.saturating_sub(WINDOW_BYTES);
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_err()
        || f.by_ref().take(end - start).read_to_end(&mut buf).is_err()
    {
        return OutputWindow::default();
    }
    if start > 0 {
        // Drop the partial first line: it belongs to the previous window.
        let cut = buf
            .iter()
            .position(|&b| b == b'\n')
            .map_or(buf.len(), |i| i + 1);
        buf.drain(..cut);
        start += cut as u64;
    }
    OutputWindow {
        start,
        end,
        file_len,
        rendered: transcript::render(&buf, format, cwd),
    }
}

fn ops_loop<M>(root: &Path, ops: Receiver<Op>, done: &Sender<M>, wrap: fn(Done) -> M) {
    let mut ws: Option<Workspace> = None;
    for op in ops {
        if ws.is_none() {
            ws = Workspace::open(root).ok();
        }
        let result = match ws.as_mut() {
            Some(ws) => {
                let _ = ws.refresh();
                run_op(ws, &op)
            }
            None => Workspace::open(root)
                .map(|_| String::new())
                .map_err(|e| e.to_string()),
        };
        if done.send(wrap(Done::Op { op, result })).is_err() {
            return;
        }
    }
}

/// Carries out an operator action on the workspace; the text says what
/// happened, or why not.
pub fn run_op(ws: &mut Workspace, op: &Op) -> Result<String, String> {
    let short = |c: &str| crate::model::short(c).to_string();
    match op {
        Op::Approve(id, receipt) => ws
            .approve(id, None, receipt.clone())
            .map(|l| format!("{id} landed on {} as {}", l.branch, short(&l.commit)))
            .map_err(|e| e.to_string()),
        Op::ApproveHunks(id, keys, receipt) => ws
            .approve_hunks(
                id,
                &crate::diff::select::Pick::Keys(keys.clone()),
                None,
                receipt.clone(),
            )
            .map(|p| {
                let n: Vec<String> = p.accepted.iter().map(|h| h.n.to_string()).collect();
                format!(
                    "{id}: hunks {} landed on {} as {}; {} kept at {}",
                    n.join(", "),
                    p.landing.branch,
                    short(&p.landing.commit),
                    p.rejected.len(),
                    p.kept_at.as_deref().unwrap_or("-")
                )
            })
            .map_err(|e| e.to_string()),
        Op::Revise(id, marks, receipt) => {
            let revision = crate::workspace::Revision {
                accepted: (!marks.is_empty())
                    .then(|| crate::diff::select::Pick::Keys(marks.clone())),
                receipt: receipt.clone(),
                ..Default::default()
            };
            let start = ws.revise(id, revision).map_err(|e| e.to_string())?;
            let child = detached::start(ws.root(), &start.spec).map_err(|e| e.message)?;
            let how = match (&start.session, &start.fresh) {
                (Some(s), _) => format!("continuing session {s}"),
                (None, Some(_)) => "afresh: no session to continue".into(),
                (None, None) => String::new(),
            };
            let mut text = format!("started {child} — {id} sent back, {how}");
            if !start.parent.is_empty() {
                text.push_str(&format!("; {}", start.parent));
            }
            Ok(text)
        }
        Op::Comment {
            turn,
            path,
            line,
            old_line,
            text,
        } => ws
            .comment_line(turn, path, *line, *old_line, text)
            .map(|()| format!("comment kept on {turn} {path}"))
            .map_err(|e| e.to_string()),
        Op::Reject(id, reason, receipt) => ws
            .reject(id, reason.clone(), receipt.clone())
            .map(|r| {
                let mut text = format!("{id} rejected; kept at {}", r.kept_at);
                if !r.restored.is_empty() {
                    text.push_str(&format!("; restored {}", r.restored.join(", ")));
                }
                if !r.skipped.is_empty() {
                    let left: Vec<&str> = r.skipped.iter().map(|(p, _)| p.as_str()).collect();
                    text.push_str(&format!("; left as edited since: {}", left.join(", ")));
                }
                text
            })
            .map_err(|e| e.to_string()),
        Op::Rollback(id) => ws
            .rollback(id, None)
            .map(|l| format!("{id} rolled back by {}", short(&l.commit)))
            .map_err(|e| e.to_string()),
        Op::Cancel(id) => {
            ws.cancel(id)
                .map_err(|e| e.to_string())
                .map(|()| match ws.state().turn(id) {
                    Some(t) if t.kind == crate::model::TurnKind::InPlace => {
                        format!("{id} ended in place; it is {}", t.state)
                    }
                    _ => format!("asked {id} to stop"),
                })
        }
        Op::SetAutonomy(target, level) => {
            let what = match target {
                AutonomyTarget::Class(c) => c.to_string(),
                AutonomyTarget::Task(t) => format!("task {t}"),
            };
            ws.set_autonomy(target.clone(), *level)
                .map(|()| format!("autonomy {what} = {level}"))
                .map_err(|e| e.to_string())
        }
        Op::Start(spec) => {
            // `leash run --task T` of a pipeline answers with the run's id.
            let pipeline = spec.task.as_deref().filter(|t| ws.is_pipeline(t));
            detached::start(ws.root(), spec)
                .map(|id| match pipeline {
                    Some(task) => format!("started pipeline run {id} (task {task})"),
                    None => format!("started {id}"),
                })
                .map_err(|e| e.message)
        }
        Op::Fix => match ws.fix_workspace() {
            Ok(Some((id, results, landing))) => {
                let names: Vec<&str> = results
                    .iter()
                    .filter(|r| r.outcome == crate::invariants::Outcome::Fixed)
                    .map(|r| r.name.as_str())
                    .collect();
                let _ = ws.check_workspace();
                Ok(format!(
                    "fixed {} in {} ({id}; roll it back like a turn)",
                    names.join(", "),
                    short(&landing.commit)
                ))
            }
            Ok(None) => {
                let _ = ws.check_workspace();
                Ok("nothing to fix on the branch head: no fixable invariant fails (no commit, no turn)".into())
            }
            Err(e) => Err(e.to_string()),
        },
        Op::FixTurn(id) => match ws.fix_turn(id) {
            Ok(Some(fixed)) => Ok(format!(
                "fixed {} in {id}; {} — it waits for your review",
                fixed.fixed.join(", "),
                fixed.summary()
            )),
            Ok(None) => Ok(format!(
                "nothing to fix in {id}: no fixable invariant fails on it (nothing was written)"
            )),
            Err(e) => Err(e.to_string()),
        },
        Op::Allow(id, receipt) => ws
            .decide_action(
                id,
                crate::event::ActionDecision::Allow,
                None,
                receipt.clone(),
            )
            .map(|()| format!("{id} allowed; the agent goes on"))
            .map_err(|e| e.to_string()),
        Op::Deny(id, reason, receipt) => ws
            .decide_action(
                id,
                crate::event::ActionDecision::Deny,
                Some(reason.clone()),
                receipt.clone(),
            )
            .map(|()| format!("{id} denied; the agent is told why"))
            .map_err(|e| e.to_string()),
        Op::AddRule(s) => ws
            .add_rule(s)
            .map(|commit| {
                format!(
                    "rule added in {}: {} — sessions and turns started from now on follow it",
                    short(&commit.to_string()),
                    crate::sanitize::plain(&s.proposal.title())
                )
            })
            .map_err(|e| e.to_string()),
    }
}

/// The new turn's id in what [`Op::Start`] (or [`Op::Revise`]) answers.
pub fn started_id(text: &str) -> Option<&str> {
    text.strip_prefix("started ")
        .and_then(|rest| rest.split(' ').next())
        .filter(|id| crate::model::is_turn_id(id))
}

/// The risk classes in slider order, for the autonomy panel.
pub const CLASSES: [RiskClass; 3] = [RiskClass::Low, RiskClass::Medium, RiskClass::High];
