//! The command line: one file per group of subcommands, each a thin layer
//! over [`crate::workspace::Workspace`]. Exit codes: 0 done, 1 refused or a
//! check failed (reason on stderr), 2 usage error.

mod actions;
mod blame;
mod check;
mod decide;
mod follow;
mod init;
pub use init::demo;
pub mod out;
mod pipeline;
mod provenance;
mod rules;
mod run;
mod stats;
mod turns;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::model::{AutonomyLevel, RiskClass, TurnState};
use crate::tell;
use crate::workspace::Workspace;

const ABOUT: &str = "Supervise AI agents while they change a git repository.";

const LONG_ABOUT: &str = "\
leash runs AI coding and writing agents (Claude Code, Codex, or any command) \
in turns. Each turn works in a git worktree of its own; when it ends, \
everything it changed is one commit. Policy decides what happens next: a \
turn lands on your branch by itself only when its risk class allows it \
(the autonomy slider), otherwise it waits for you to approve or reject it. \
Every landed turn can be rolled back with one command.

Start with `leash init` in a git repository, then try:
  leash run --risk low -- sh -c 'echo hi > note.md'
  leash turns
  leash show t1";

/// leash's command line.
#[derive(Debug, Parser)]
#[command(name = "leash", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    /// The repository to work on (default: the one holding the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write .leash/config.toml and .leash/tasks.toml, every key commented (never overwrites).
    Init(JsonFlag),
    /// Start an isolated turn: the agent runs in a worktree of its own, its changes become one commit.
    #[command(long_about = "\
Start an isolated turn. The agent (a command after `--`, a configured --agent with \
--prompt, or a --task from .leash/tasks.toml) runs in a fresh git worktree outside your \
checkout, with LEASH_TURN and LEASH_WORKSPACE set. Its output goes to \
.git/leash/turns/<id>/output.log. When it exits, everything it left (untracked files \
included, ignored files excluded) is committed on refs/leash/turns/<id>, and policy \
decides: land by itself, wait for review, or fail.

Prints the turn's id, then waits for the end unless --detach is given. Exit status: \
0 when the turn landed, waits for review or needed no changes; 1 when it failed.")]
    Run(RunArgs),
    /// Start an interactive agent (any command) in this checkout, confined by Landlock.
    #[command(long_about = "\
`leash shell -- claude` starts the command in the current directory with your terminal, \
confined by Linux Landlock like an isolated turn's agent: it and every process it starts \
may write in the checkout except .git/, .leash/ and the agents' settings (.claude/, \
.codex/, .gemini/), in a temp dir of its own (TMPDIR), to a few devices and to the agent's \
own state paths; reads stay open. Landlock grants by folder, so a new file directly at the \
top of the checkout is refused. [run] confine and network apply as for `leash run`. Its \
hooks (`leash hooks install`) are answered by this process, outside the sandbox, and its \
sessions are marked confined. Exit status: the command's.")]
    Shell(ShellArgs),
    /// List turns, newest first (`--json`: in the order they were created).
    Turns(TurnsArgs),
    /// Everything about one turn: state, risk and why, decision, failure, events.
    Show(ShowArgs),
    /// The turn's changes as a unified diff (partial changes for a running or interrupted turn).
    Diff(DiffArgs),
    /// Each line of a file with the turn, action, prompt and sources behind it.
    #[command(long_about = "\
For each line of PATH as the branch holds it (or lines LINE, or FIRST-LAST): the commit \
that last changed it (git blame), the leash turn of that commit (its Leash-Turn trailer), \
the action of the turn that wrote the line, that action's prompt, and the sources the turn \
read before that action, each with the git blob id of what the agent saw and whether the \
file has changed on the branch since. Lines of commits without leash trailers say \"not a \
leash turn\" and name the author; lines a rollback put back name the rollback. The \
journal tells about the turns; where it does not have a turn (a fresh clone), the commit's \
note under refs/notes/leash does. --json: one object per line with `line`, `commit`, \
`turn`, `action`, `agent`, `model`, `prompt` and `sources` ({path|url, blob|hash, \
read_at, changed_since}).")]
    Blame(BlameArgs),
    /// Land a turn that awaits review on its branch.
    Approve(ApproveArgs),
    /// Reject a turn that awaits review; its commit is kept at `refs/leash/rejected/<id>`.
    Reject(RejectArgs),
    /// Revert a landed turn with a new commit (history is never rewritten).
    Rollback(RollbackArgs),
    /// Cancel a running turn: its agent gets SIGTERM, then SIGKILL after the grace period.
    Cancel(TurnArg),
    /// Start a turn's work again as a new turn: on its base, or on the branch head with --on-head.
    #[command(long_about = "\
Start a turn's work again as a new turn: the same task, agent or command, declared risk and \
prompt, by default on the commit the turn started from. --on-head starts it on the branch \
head instead (the way forward for a turn whose branch moved under it, `concurrent_drift`); \
--prompt gives it a new prompt. Prints the new turn's id, then waits for its end unless \
--detach is given; exit status as for `leash run`.")]
    Replay(ReplayArgs),
    /// Send a turn back to its agent: a follow-up with the rejected hunks and your comments.
    #[command(long_about = "\
Send a turn back to its agent as a follow-up turn. A turn that awaits review is decided \
first: the hunks --hunks or --files name land (a partial landing), or with none named it is \
rejected. The follow-up starts on the branch head, on top of what landed, with a prompt \
leash builds: each comment with its file, line and the hunk it is in, then the hunks that \
did not land. Comments: --comment FILE:LINE=TEXT on a line of the diff, --comment TEXT on \
the turn; the console's comments (C in the Diff tab) are sent too. The agent's session is \
continued where it has one (claude --resume, codex exec resume); a plain command runs \
afresh with the prompt as {prompt} and in $LEASH_PROMPT. The follow-up's commit carries \
Leash-Parent; `leash diff TURN --against-parent` shows what it changed. Prints the new \
turn's id, then waits for its end unless --detach is given.")]
    Revise(follow::ReviseArgs),
    /// Continue an interrupted, rate-limited or timed-out turn in its worktree, with its session.
    #[command(long_about = "\
Continue an interrupted, rate-limited or timed-out turn as a follow-up turn: in its \
worktree (an interrupted turn's is handed over as it stands; otherwise its work is checked \
out on its base), continuing the agent's session where it has one. A turn that hit a rate \
limit whose error named a reset time is refused, with that time, until then; --now starts \
it anyway. A timed-out turn that waits for review is rejected, its work going on in the \
follow-up.")]
    Resume(follow::ResumeArgs),
    /// Show the autonomy sliders, or move one: `leash autonomy high review`, `leash autonomy --task T auto`.
    #[command(long_about = "\
Show or set how much an agent may do alone, per risk class:
  manual   every mutating action waits for you; the diff waits for approval
  review   actions run freely inside the turn's worktree; the diff waits for approval
  guarded  lands by itself if every invariant passes and nothing failed
  auto     lands by itself; problems are flagged for later rollback
A failed turn never lands by itself, at any level. Each change is journaled, and
overrides the committed .leash/config.toml (shown as an override); --save writes
the current levels into .leash/config.toml for you to commit.")]
    Autonomy(AutonomyArgs),
    /// The journal, readable (or as JSON lines with --json).
    Log(LogArgs),
    /// Whether review is real: per risk class, how the operator's decisions were made.
    #[command(long_about = "\
Per risk class, from the receipts leash keeps of every decision on a turn (when it was \
first shown, when it was decided, which tabs or commands showed it, whether its diff was \
seen to the last line): turns the operator decided, approved and rejected; the median and \
p90 time from first shown to decided (and how many have no shown time: decided before \
receipts were kept, or with `leash approve` and no `leash show` or `leash diff` of it \
before); how many were decided without opening the diff, and how many with the diff read \
to its end; how many approved turns were rolled back later; and the turns policy landed. \
Approvals that look like rubber-stamping (at least 20 decisions, 95 % approved, a median \
under 3 s, no diff read to its end), and a class never rejected or rolled back over 50 \
decisions and 30 days, are named with the slider move they suggest.

--since takes a day (2026-03-01, from local midnight), a time (RFC 3339) or a duration \
back from now (7d, 2weeks): only decisions taken since then count.")]
    Stats(StatsArgs),
    /// Run the invariants on the workspace (exit 1 when any fails).
    #[command(long_about = "\
Run the [[invariant]] checks of .leash/config.toml on the checkout as it is: boot manifest, \
READMEs, routing table, dangling references, store separation, dated memory layout, the \
deliverable, and commands. Each result is pass, fail (with file:line findings), fixed, \
degraded (timed out, crashed, unreadable — never counted as pass) or skipped, and is \
journaled. With --fix, the fixable ones (layout) are fixed in a commit of their own with a \
Leash-Fix trailer, landed as a turn — so `leash rollback` undoes it like any turn.")]
    Check(CheckArgs),
    /// Actions (tool calls) waiting for the operator's answer.
    Actions(JsonFlag),
    /// Make a remote carry leash's notes: `leash notes setup [REMOTE]`.
    #[command(long_about = "\
Every commit leash lands carries a git note under refs/notes/leash (the turn, agent, model, \
prompt, actions and approval receipt). Git does not push or fetch notes by itself: \
`leash notes setup [REMOTE]` (default origin) adds the refspecs to remote.REMOTE.fetch and \
remote.REMOTE.push so that `git fetch` and `git push` carry them. Nothing is configured \
unless you ask.")]
    Notes(NotesArgs),
    /// Check a range of commits for CI: trailers, notes, signatures, and the policy committed then.
    #[command(long_about = "\
For each commit of REV-RANGE (`A..B`, or one revision for its whole history; default HEAD): \
a leash turn or a human commit; every leash commit has its note (refs/notes/leash); the note \
agrees with the commit (revision, tree, trailers); a turn landed by policy alone was allowed \
by the .leash/config.toml committed at its parent; unread or stale sources the note \
records; and the receipt's SSH signature against gpg.ssh.allowedSignersFile (a signature \
that does not verify is forged; an unsigned receipt is a warning, an error with \
--require-signed). Reads git only, so it runs on a fresh clone that fetched the notes. \
Exit status: 1 with one line per violation.")]
    Verify(VerifyArgs),
    /// Rules proposed from your answers: `leash rules suggest`, `leash rules add --from ACTION`.
    #[command(long_about = "\
`leash rules suggest` prints the [[risk]] rules your answers imply, from the journal's \
history: for each tool call you allowed after it was held, the narrowest rule with \
`lower = true` that lets such calls run alone under the current sliders (unless the \
committed policy already does); for each kind of call you denied (or a turn you rejected \
wrote) three times or more, the rule that raises it to a class that waits for you. Each \
comes with the TOML it would add and the answers that led to it. `leash rules add --from \
ACTION --yes` appends one (the one ACTION is part of, else the allowing rule for ACTION) \
to .leash/config.toml in a commit of its own on the checked-out branch; without --yes it \
only shows it. It refuses while .leash/config.toml has uncommitted edits or HEAD is \
detached. In the console, `A` on a held action allows it and offers the same.")]
    Rules {
        #[command(subcommand)]
        op: RulesOp,
    },
    /// Let a waiting action run.
    Allow(ActionArg),
    /// Refuse a waiting action; the agent is told the reason.
    Deny(DenyArgs),
    /// Pipeline runs of tasks with [[task.pass]]: `leash pipeline list|show|resume|cancel`.
    #[command(long_about = "\
A task in .leash/tasks.toml with [[task.pass]] tables is a pipeline: `leash run --task T` \
prints the run's id (p1, p2, …) and runs its passes one by one, each an isolated turn on \
the branch head, which holds the landed pass before it. A pass whose `out` breaks its \
contract fails (empty_deliverable or contract_violation, naming the file and the rule) \
and the run stops there; a pass over its budget (tokens, usd, time) is stopped and fails \
budget_exceeded; a pass that waits for review is waited for. With --detach the run goes \
on in the background (its output in .git/leash/pipelines/RUN.log). `list` shows the \
runs, `show RUN` their passes with state, turn, failure, spending and budget, `resume RUN [--prompt TEXT]` \
starts the failed, rejected or interrupted pass again as the committed tasks.toml defines \
it now (or goes on after a landed pass), and `cancel RUN` stops a run.")]
    Pipeline {
        #[command(subcommand)]
        op: pipeline::PipelineOp,
    },
    /// The hook endpoint the agents call: reads one hook event as JSON on stdin, answers in the agent's dialect.
    #[command(long_about = "\
The hook endpoint Claude Code and Codex call (install it with `leash hooks install`). \
It reads one hook event as JSON on stdin, records sessions, in-place turns and actions in \
the journal, and answers a tool call by policy: when the action's risk class is at \
`manual` it waits for an operator (the console, or `leash allow|deny` in any terminal) up \
to [gate] approval_timeout; with no console open it answers at once by [gate] unattended. \
Malformed input or an internal error is a deny that says why.")]
    Hook {
        /// Which agent calls: claude or codex.
        agent: HookAgent,
    },
    /// Install, remove or check leash's hooks in an agent's settings in this repository.
    #[command(long_about = "\
`leash hooks install claude` merges leash's entries into .claude/settings.json \
(`codex`: .codex/hooks.json), keeping your own hooks and keys; running it again changes \
nothing, and it says what the agent still needs before it runs them. The entries run \
`leash hook claude`, found through PATH, so the file can be committed; --absolute writes \
this binary's full path instead. `leash hooks uninstall claude` takes exactly leash's \
entries out again, and removes the file if install created it and nothing else is left. `leash hooks status [claude|codex]` \
tells, per agent, where leash's hooks are installed, whether the agent will run them (what \
its own config says: Codex runs project hooks only in a trusted project and only once they \
are reviewed in its /hooks screen; Claude Code runs none with disableAllHooks), and when a \
session of it last reported to leash in this repository.")]
    Hooks {
        /// install, uninstall or status.
        op: HooksOp,
        /// claude or codex (status: both when left out).
        agent: Option<HookAgent>,
        /// install: write this leash binary's absolute path instead of `leash`
        /// found through PATH (the settings file is then tied to this machine).
        #[arg(long)]
        absolute: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Build a demo workspace, start demo turns with a scripted demo agent, and open the console.
    #[command(long_about = "\
Build a demo workspace shaped like an agent's working folder (AGENTS.md, operations/, \
docs/, memory/<date>/), with risk rules and tasks, start six demo turns run by leash's \
scripted demo agent (a real subprocess that edits real files and speaks Claude Code's \
stream-json), and open the console on it. Needs nothing but git. Everything demo is \
labelled demo.")]
    Demo(DemoArgs),
    /// The scripted demo agent (used by `leash demo`).
    #[command(hide = true)]
    DemoAgent {
        /// The demo scenario's prompt.
        prompt: String,
    },
}

#[derive(Debug, Args)]
pub struct NotesArgs {
    #[command(subcommand)]
    pub op: NotesOp,
    /// Print JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum NotesOp {
    /// Add refs/notes/leash to the remote's fetch and push refspecs.
    Setup {
        /// The remote (default: origin).
        #[arg(default_value = "origin")]
        remote: String,
    },
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// `A..B`, or one revision for its whole history (default: HEAD).
    #[arg(value_name = "REV-RANGE")]
    pub range: Option<String>,
    /// An unsigned receipt is a violation, not a warning.
    #[arg(long)]
    pub require_signed: bool,
    /// Print JSON: commits, violations and warnings.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Apply the fixes of fixable invariants, as a commit of their own.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: fix this turn awaiting review instead of the branch head
    /// (its turn commit gets the fixes; it waits for review again).
    #[arg(long, value_name = "T", requires = "fix")]
    pub turn: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum HookAgent {
    Claude,
    Codex,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum HooksOp {
    Install,
    Uninstall,
    Status,
}

#[derive(Debug, Subcommand)]
pub enum RulesOp {
    /// The rules the journal's history proposes, with their TOML.
    Suggest(JsonFlag),
    /// Append a proposed rule to .leash/config.toml in a commit of its own.
    Add(RulesAddArgs),
}

#[derive(Debug, Args)]
pub struct RulesAddArgs {
    /// The action whose answer proposes the rule, e.g. t3.a2.
    #[arg(long, value_name = "ACTION")]
    pub from: String,
    /// Write and commit it (without: only show it).
    #[arg(long)]
    pub yes: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ActionArg {
    /// The action's id, e.g. t3.a2 (see `leash actions`).
    pub action: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DenyArgs {
    /// The action's id, e.g. t3.a2 (see `leash actions`).
    pub action: String,
    /// Why; the agent is told.
    #[arg(long, value_name = "R", required = true)]
    pub reason: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the demo workspace (an empty or new folder; default: a new temp folder).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Build and start the demo turns, print the workspace path, and do not open the console.
    #[arg(long)]
    pub no_console: bool,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShellArgs {
    /// The command to run, as argv (never through a shell).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A task from .leash/tasks.toml (supplies agent, prompt, risk, deliverable).
    #[arg(long, value_name = "T")]
    pub task: Option<String>,
    /// An agent from .leash/config.toml [agents.NAME].
    #[arg(long, value_name = "A")]
    pub agent: Option<String>,
    /// Declared risk class: low, medium or high (default: the task's, else default_risk).
    #[arg(long, value_name = "R")]
    pub risk: Option<RiskClass>,
    /// The turn's title (default: the prompt's first line or the command).
    #[arg(long, value_name = "S")]
    pub title: Option<String>,
    /// The prompt; replaces "{prompt}" in the agent's command as one argument.
    #[arg(long, value_name = "P")]
    pub prompt: Option<String>,
    /// Return at once; the turn's (or pipeline run's) supervisor runs on in its own session.
    #[arg(long)]
    pub detach: bool,
    /// End the agent after this long, e.g. 90s, 10m (default: [run] timeout, else none).
    #[arg(long, value_name = "D", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Start from this commit instead of the branch head (replaying a turn on its base).
    #[arg(long, value_name = "COMMIT")]
    pub base: Option<String>,
    /// The turn this one sends back to its agent (what `leash revise` starts).
    #[arg(long, value_name = "TURN", hide = true, conflicts_with = "resumes")]
    pub revises: Option<String>,
    /// The turn this one continues (what `leash resume` starts).
    #[arg(long, value_name = "TURN", hide = true)]
    pub resumes: Option<String>,
    /// Print the finished turn as JSON.
    #[arg(long)]
    pub json: bool,
    /// The command to run, as argv (never through a shell).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The turn to start again, e.g. t3.
    pub turn: String,
    /// Start from the branch head instead of the turn's base.
    #[arg(long)]
    pub on_head: bool,
    /// A new prompt instead of the turn's.
    #[arg(long, value_name = "P")]
    pub prompt: Option<String>,
    /// Return at once; the turn's supervisor runs on in its own session.
    #[arg(long)]
    pub detach: bool,
    /// Print the finished turn as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TurnsArgs {
    /// Only turns in this state (running, awaiting_review, landed, rejected, failed, no_changes, interrupted, rolled_back).
    #[arg(long, value_name = "S")]
    pub state: Option<TurnState>,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TurnArg {
    /// The turn's id, e.g. t3.
    pub turn: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The turn's id, e.g. t3.
    pub turn: String,
    /// Only the changed files and line counts.
    #[arg(long)]
    pub stat: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set or CLICOLOR=0;
    /// CLICOLOR_FORCE forces it), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
    /// A follow-up's diff against its parent's (`leash revise`, `leash
    /// resume`): what it changed of the parent's work.
    #[arg(long)]
    pub against_parent: bool,
    /// Print JSON (files, counts and the patch).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct BlameArgs {
    /// PATH, PATH:LINE or PATH:FIRST-LAST (relative to the current folder).
    #[arg(value_name = "PATH[:LINE[-LINE]]")]
    pub target: String,
    /// Print a JSON array, one object per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The turn's id, e.g. t3.
    pub turn: String,
    /// Why (kept in the journal and the commit's trailers).
    #[arg(long, value_name = "R")]
    pub reason: Option<String>,
    /// Land only these hunks, by the numbers `leash show TURN --hunks` lists
    /// (`1,3`, `2-4`); the rest is kept at `refs/leash/rejected/TURN`.
    #[arg(long, value_name = "N,N", conflicts_with = "files")]
    pub hunks: Option<String>,
    /// Land only these files' changes (`a.md,b.md`); the rest is kept at
    /// `refs/leash/rejected/TURN`.
    #[arg(long, value_name = "PATH,PATH")]
    pub files: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The turn's id, e.g. t3.
    pub turn: String,
    /// Why (kept in the journal and the revert's trailers).
    #[arg(long, value_name = "R")]
    pub reason: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The turn's id, e.g. t3.
    pub turn: String,
    /// List the turn's hunks, numbered as `leash approve TURN --hunks` takes
    /// them: number, file, `@@` header, lines added and removed.
    #[arg(long)]
    pub hunks: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The turn's id, e.g. t3.
    pub turn: String,
    /// Why the turn is rejected.
    #[arg(long, value_name = "R", required = true)]
    pub reason: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AutonomyArgs {
    /// Set a task's own override instead of a class slider.
    #[arg(long, value_name = "T")]
    pub task: Option<String>,
    /// `CLASS LEVEL` (e.g. `high review`), or `LEVEL` with --task.
    #[arg(value_name = "CLASS LEVEL", num_args = 0..=2)]
    pub words: Vec<String>,
    /// Write the current class levels into .leash/config.toml (the rest of
    /// the file and its comments are kept); commit the file to make it the
    /// policy.
    #[arg(long)]
    pub save: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Count only decisions taken since: a day (2026-03-01), a time, or a duration back (7d).
    #[arg(long, value_name = "D")]
    pub since: Option<String>,
    /// Print JSON: `since`, `classes` (one object per risk class) and `hints`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Keep printing new events as they are appended.
    #[arg(long)]
    pub follow: bool,
    /// One JSON object per line, as stored.
    #[arg(long)]
    pub json: bool,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("expected a duration such as \"90s\" or \"10m\" ({e})"))
}

/// A failure that maps to an exit code.
pub struct Failure {
    pub code: i32,
    pub message: String,
    /// One word for scripts (`--json` errors): `usage`, `refused`,
    /// `not_set_up`, `not_a_repo`, `unknown_turn`, …
    pub kind: std::borrow::Cow<'static, str>,
}

impl<E: std::fmt::Display + 'static> From<E> for Failure {
    fn from(e: E) -> Self {
        let kind = (&e as &dyn std::any::Any)
            .downcast_ref::<crate::workspace::Error>()
            .map(error_kind)
            .unwrap_or("error");
        Failure {
            code: 1,
            message: e.to_string(),
            kind: kind.into(),
        }
    }
}

/// The `kind` of a workspace error in a `--json` error object.
fn error_kind(e: &crate::workspace::Error) -> &'static str {
    use crate::workspace::Error as E;
    match e {
        E::NotARepo { .. } => "not_a_repo",
        E::Config(_) => "config",
        E::Journal(_) => "journal",
        E::Git(_) => "git",
        E::UnknownTurn(_) => "unknown_turn",
        E::AlreadyDecided { .. } => "already_decided",
        E::Refused(_) => "refused",
        E::Io { .. } => "io",
    }
}

impl Failure {
    /// A usage error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
            kind: "usage".into(),
        }
    }

    /// A refusal (exit 1) of the given kind.
    pub(crate) fn refused(kind: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            code: 1,
            message: message.into(),
            kind: kind.into(),
        }
    }
}

/// Result of a command.
pub type CliResult = Result<i32, Failure>;

/// Whether the command asked for JSON (its errors are then JSON too).
fn wants_json(command: &Option<Command>) -> bool {
    match command {
        None => false,
        Some(c) => match c {
            Command::Init(a) | Command::Actions(a) => a.json,
            Command::Run(a) => a.json,
            Command::Replay(a) => a.json,
            Command::Revise(a) => a.json,
            Command::Resume(a) => a.json,
            Command::Turns(a) => a.json,
            Command::Show(a) => a.json,
            Command::Cancel(a) => a.json,
            Command::Diff(a) => a.json,
            Command::Blame(a) => a.json,
            Command::Approve(a) => a.json,
            Command::Rollback(a) => a.json,
            Command::Reject(a) => a.json,
            Command::Autonomy(a) => a.json,
            Command::Log(a) => a.json,
            Command::Stats(a) => a.json,
            Command::Check(a) => a.json,
            Command::Allow(a) => a.json,
            Command::Deny(a) => a.json,
            Command::Hooks { json, .. } => *json,
            Command::Notes(a) => a.json,
            Command::Verify(a) => a.json,
            Command::Rules { op } => match op {
                RulesOp::Suggest(a) => a.json,
                RulesOp::Add(a) => a.json,
            },
            Command::Pipeline { op } => op.json(),
            Command::Hook { .. }
            | Command::Demo(_)
            | Command::DemoAgent { .. }
            | Command::Shell(_) => false,
        },
    }
}

/// Writes a failure on stderr: one line of text, or with `--json` one
/// JSON object `{"error": …, "kind": …, "code": …}`.
fn report(f: &Failure, json: bool) {
    if json {
        let v = serde_json::json!({"error": f.message, "kind": f.kind, "code": f.code});
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "{}", out::json_line(&v));
    } else {
        tell!("leash: {}", f.message);
    }
}

/// Parses the arguments; a usage error (or `--help`, `--version`) is
/// printed here and its exit code returned.
pub fn parse() -> Result<Cli, i32> {
    if let Some(cli) = hook_call() {
        return Ok(cli);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // A usage error of a command that asked for JSON is JSON too.
            let json = std::env::args()
                .skip(1)
                .take_while(|a| a != "--")
                .any(|a| a == "--json");
            if e.use_stderr() && json {
                let text = e.render().to_string();
                let text = text.trim();
                report(
                    &Failure::usage(text.strip_prefix("error: ").unwrap_or(text)),
                    true,
                );
                return Err(2);
            }
            let _ = e.print();
            return Err(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if !matches!(cli.command, Some(Command::Hook { .. })) {
        // `leash log | head` should end quietly, as other command-line tools
        // do. The hook gate keeps Rust's default: it must always exit 0 with
        // its answer, never die of a signal the agent would read as "go on".
        // SAFETY: restoring the default disposition of SIGPIPE at start-up,
        // before any thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    // A detached supervisor tells the process that started it why it did
    // not start the turn in JSON, whatever the command asked for.
    let detached = matches!(cli.command, Some(Command::Run(_)))
        && std::env::var_os(crate::workspace::detached::DETACHED_ENV).is_some();
    out::set_json(wants_json(&cli.command) || detached);
    Ok(cli)
}

/// `leash hook claude` or `leash hook codex` exactly, as the agents' hook
/// settings run it on every tool call: read without building the whole
/// command line's parser, which cost the hook a tenth of its work. Any
/// other arguments (`--help`, `--repo`, a misspelt agent) go through clap.
fn hook_call() -> Option<Cli> {
    let mut args = std::env::args_os().skip(1);
    let (hook, agent) = (args.next()?, args.next()?);
    if hook != "hook" || args.next().is_some() {
        return None;
    }
    let agent = match agent.to_str()? {
        "claude" => HookAgent::Claude,
        "codex" => HookAgent::Codex,
        _ => return None,
    };
    // SIGPIPE keeps Rust's default for the hook, as below.
    out::set_json(false);
    Some(Cli {
        repo: None,
        command: Some(Command::Hook { agent }),
    })
}

/// Runs the command, prints errors; returns the exit code. With no
/// subcommand it tells the workspace's state (the entry point opens the
/// console instead when it runs in a terminal).
pub fn run(cli: Cli) -> i32 {
    finish(dispatch(cli))
}

/// Prints the failure, if any, and what the output hid; returns the exit
/// code.
pub fn finish(result: CliResult) -> i32 {
    let code = match result {
        Ok(code) => code,
        Err(f) => {
            report(&f, out::json());
            f.code
        }
    };
    out::finish();
    code
}

/// Whether both input and output are a terminal (the console needs one).
pub fn interactive() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

impl Cli {
    /// The folder to look for the repository from (`--repo`, else here).
    pub fn dir(&self) -> PathBuf {
        self.repo.clone().unwrap_or_else(|| PathBuf::from("."))
    }
}

fn dispatch(cli: Cli) -> CliResult {
    let dir = cli.dir();
    let Some(command) = cli.command else {
        return turns::status(&dir);
    };
    match &command {
        Command::Init(a) => return init::init(&dir, a.json),
        Command::Demo(a) => return demo(a).map(|_| 0),
        Command::DemoAgent { prompt } => {
            return crate::demo::agent(prompt).map_err(|e| Failure::from(format!("{e:#}")));
        }
        Command::Hook { agent } => return Ok(actions::hook(*agent)),
        Command::Hooks {
            op,
            agent,
            absolute,
            json,
        } => return actions::hooks(&dir, *op, *agent, *absolute, *json),
        _ => {}
    }
    // Neither needs the journal: verify runs on a fresh clone.
    let command = match command {
        Command::Notes(a) => return provenance::notes(&dir, a),
        Command::Verify(a) => return provenance::verify(&dir, a),
        other => other,
    };
    let detach = match &command {
        Command::Run(a) => a.detach,
        Command::Replay(a) => a.detach,
        _ => false,
    };
    if detach && std::env::var_os(crate::workspace::detached::DETACHED_ENV).is_none() {
        return run::detach(&dir, command);
    }
    if let Command::Turns(a) = &command
        && a.json
        && a.state.is_none()
    {
        return turns::turns_json(&dir);
    }
    let read_only = matches!(
        &command,
        Command::Turns(_)
            | Command::Show(_)
            | Command::Diff(_)
            | Command::Blame(_)
            | Command::Log(_)
            | Command::Stats(_)
            | Command::Actions(_)
            | Command::Rules {
                op: RulesOp::Suggest(_)
            }
    ) || matches!(&command, Command::Autonomy(a) if a.words.is_empty() && !a.save)
        || matches!(&command, Command::Pipeline { op } if op.reads_only());
    let mut ws = if read_only {
        open_read_only(&dir)?
    } else {
        open(&dir)?
    };
    match command {
        Command::Init(_)
        | Command::Demo(_)
        | Command::DemoAgent { .. }
        | Command::Hook { .. }
        | Command::Hooks { .. }
        | Command::Notes(_)
        | Command::Verify(_) => unreachable!("handled above"),
        Command::Actions(a) => actions::list(&ws, a.json),
        Command::Check(a) => check::check(&mut ws, a),
        Command::Allow(a) => actions::allow(&mut ws, a),
        Command::Deny(a) => actions::deny(&mut ws, a),
        Command::Run(a) => run::run(&mut ws, a),
        Command::Shell(a) => run::shell(&ws, a),
        Command::Replay(a) => run::replay(&mut ws, a),
        Command::Revise(a) => follow::revise(&mut ws, a),
        Command::Resume(a) => follow::resume(&mut ws, a),
        Command::Turns(a) => turns::turns(&ws, a),
        Command::Show(a) => turns::show(&ws, a),
        Command::Diff(a) => turns::diff(&ws, a),
        Command::Blame(a) => blame::blame(&ws, &dir, &a),
        Command::Log(a) => turns::log(&mut ws, a),
        Command::Stats(a) => stats::stats(&ws, a),
        Command::Approve(a) => decide::approve(&mut ws, a),
        Command::Reject(a) => decide::reject(&mut ws, a),
        Command::Rollback(a) => decide::rollback(&mut ws, a),
        Command::Cancel(a) => decide::cancel(&mut ws, a),
        Command::Autonomy(a) => decide::autonomy(&mut ws, a),
        Command::Rules { op } => match op {
            RulesOp::Suggest(a) => rules::suggest(&ws, a.json),
            RulesOp::Add(a) => rules::add(&mut ws, a),
        },
        Command::Pipeline { op } => pipeline::pipeline(&mut ws, op),
    }
}

/// Refuses, creating nothing, in a repository where `leash init` never
/// ran (no `.leash/` folder): reading would answer "no turns yet" about a
/// workspace that does not exist, and running would land by built-in rules
/// nobody chose.
pub fn ensure_set_up(dir: &std::path::Path) -> Result<(), Failure> {
    let repo = crate::workspace::discover(dir)?;
    let Some(root) = repo.workdir() else {
        return Ok(());
    };
    if root.join(".leash").is_dir() {
        return Ok(());
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    Err(Failure::refused(
        "not_set_up",
        format!(
            "leash is not set up here ({}): run `leash init` to write its policy files",
            root.display()
        ),
    ))
}

/// Opens the workspace for a command that changes it, and tells the
/// operator what opening found.
pub(crate) fn open(dir: &std::path::Path) -> Result<Workspace, Failure> {
    ensure_set_up(dir)?;
    let ws = Workspace::open(dir)?;
    for n in ws.notices() {
        out::notice("notice", n);
    }
    Ok(ws)
}

/// Opens the workspace for a command that only reads it: nothing is
/// created, and a broken policy file is a warning (naming the file and
/// line) rather than a refusal, so the operator can still see what happened.
pub(crate) fn open_read_only(dir: &std::path::Path) -> Result<Workspace, Failure> {
    ensure_set_up(dir)?;
    let (ws, problems) = Workspace::open_read_only(dir)?;
    told(ws, &problems)
}

/// [`open_read_only`] with the settled turns left out (see
/// [`Workspace::open_read_only_live`]).
pub(crate) fn open_read_only_live(dir: &std::path::Path) -> Result<Workspace, Failure> {
    ensure_set_up(dir)?;
    let (ws, problems) = Workspace::open_read_only_live(dir)?;
    told(ws, &problems)
}

/// Tells an opened workspace's problems and notices on stderr.
fn told(ws: Workspace, problems: &[String]) -> Result<Workspace, Failure> {
    for p in problems {
        out::notice("warning", p);
    }
    for n in ws.notices() {
        out::notice("notice", n);
    }
    Ok(ws)
}

/// Prints a JSON value on stdout.
pub(crate) fn print_json(v: &impl serde::Serialize) {
    say_json(&out::json_pretty(v));
}

/// Prints JSON that [`out`] has escaped: its text is ASCII-safe already and
/// must reach the reader byte for byte.
pub(crate) fn say_json(json: &str) -> bool {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{json}").is_ok()
}

/// Parses words like `high` / `review` with the error a person needs.
pub(crate) fn parse_level(s: &str) -> Result<AutonomyLevel, Failure> {
    s.parse().map_err(Failure::usage)
}
