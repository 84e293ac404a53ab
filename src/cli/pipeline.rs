//! `leash pipeline list|show|resume|cancel`, and `leash run --task` for a
//! task with passes: a pipeline run, driven pass by pass by the library.

use serde_json::{Value, json};

use super::{CliResult, Failure, print_json};
use crate::model::{Budget, BudgetKind};
use crate::state::{PassView, Pipeline, PipelineState, Spent};
use crate::workspace::{PassStart, Workspace};
use crate::{say, tell};

/// Arguments of `leash pipeline`.
#[derive(Debug, clap::Subcommand)]
pub enum PipelineOp {
    /// Pipeline runs: id, task, state, current pass.
    List(super::JsonFlag),
    /// One run's passes: state, turn, failure.
    Show(RunArg),
    /// Start a stopped run again at its failed, rejected or interrupted pass
    /// (as .leash/tasks.toml defines it at the branch head now), or go on
    /// after a pass that landed; then drive it like `leash run --task`.
    Resume(ResumeArgs),
    /// Cancel a run: no further pass starts, and a running pass is cancelled.
    Cancel(CancelArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArg {
    /// The run's id, e.g. p1 (see `leash pipeline list`).
    pub run: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// The run's id, e.g. p1.
    pub run: String,
    /// A new prompt for the pass started again (placeholders are filled in).
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,
    /// Print the run as JSON when it stops.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct CancelArgs {
    /// The run's id, e.g. p1.
    pub run: String,
    /// Why, for the journal.
    #[arg(long, value_name = "R")]
    pub reason: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

impl PipelineOp {
    /// Whether it asked for JSON.
    pub fn json(&self) -> bool {
        match self {
            PipelineOp::List(a) => a.json,
            PipelineOp::Show(a) => a.json,
            PipelineOp::Resume(a) => a.json,
            PipelineOp::Cancel(a) => a.json,
        }
    }

    /// Whether it only reads.
    pub fn reads_only(&self) -> bool {
        matches!(self, PipelineOp::List(_) | PipelineOp::Show(_))
    }
}

/// Runs a `leash pipeline` command.
pub fn pipeline(ws: &mut Workspace, op: PipelineOp) -> CliResult {
    match op {
        PipelineOp::List(a) => list(ws, a.json),
        PipelineOp::Show(a) => {
            let p = find(ws, &a.run)?;
            if a.json {
                print_json(&run_json(ws, p));
            } else {
                show(ws, p);
            }
            Ok(0)
        }
        PipelineOp::Resume(a) => {
            let first = ws.resume_pipeline(&a.run, a.prompt)?;
            if let Some(s) = &first {
                tell!("{}: resumed at pass {}", a.run, s.pass);
            }
            drive(ws, &a.run, first, a.json)
        }
        PipelineOp::Cancel(a) => {
            let turn = ws.cancel_pipeline(&a.run, a.reason)?;
            if a.json {
                print_json(&json!({"run": a.run, "cancelled": true, "turn": turn}));
            } else {
                match turn {
                    Some(t) => say!(
                        "{}: cancelled; its running pass {t} is being cancelled",
                        a.run
                    ),
                    None => say!("{}: cancelled", a.run),
                }
            }
            Ok(0)
        }
    }
}

/// `leash run --task T` for a pipeline task: prints the run's id, then
/// drives it.
pub fn run_task(ws: &mut Workspace, task: &str, json: bool) -> CliResult {
    use std::io::Write;
    let (id, first) = ws.start_pipeline(task)?;
    if std::env::var_os(crate::workspace::detached::DETACHED_ENV).is_some() {
        // `leash run --task T --detach`: nobody reads our terminal from
        // here on; the run's output is kept in its log, and the process
        // that started us is told the run's id.
        let dir = ws.leash_dir().join("pipelines");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let log = dir.join(format!("{id}.log"));
        super::run::redirect_output(&log, &[2])?;
        super::out::set_json(false);
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{id}");
        let _ = out.flush();
        super::run::redirect_output(&log, &[1])?;
    } else if !json {
        say!("{id}");
        let _ = std::io::stdout().flush();
    }
    drive(ws, &id, Some(first), json)
}

/// Drives run `id` and tells how it stopped; exit 1 when it failed or
/// was cancelled.
fn drive(ws: &mut Workspace, id: &str, first: Option<PassStart>, json: bool) -> CliResult {
    let state = ws.drive_pipeline(id, first, &mut |pass, turn| {
        tell!("{id}: pass {pass} runs as {turn}");
    })?;
    let p = find(ws, id)?;
    if json {
        print_json(&run_json(ws, p));
    } else {
        tell!("{}", stopped_line(ws, p, state));
        let spent = ws.state().pipeline_spent(p);
        if spent.tokens > 0 {
            let usd = spent
                .usd
                .map_or("cost unknown".to_string(), |u| BudgetKind::Usd.show(u));
            tell!(
                "{}: spent {} tokens, {usd} (`leash pipeline show {}` for each pass)",
                p.id,
                BudgetKind::Tokens.show(spent.tokens as f64),
                p.id
            );
        }
    }
    for n in ws.notices() {
        super::out::notice("notice", n);
    }
    Ok(match state {
        PipelineState::Failed | PipelineState::Cancelled => 1,
        _ => 0,
    })
}

/// One line on how run `p` stands, for the end of a drive.
fn stopped_line(ws: &Workspace, p: &Pipeline, state: PipelineState) -> String {
    let views = ws.state().pass_views(p);
    let at = p
        .current()
        .and_then(|c| views.iter().find(|v| v.name == c.pass));
    let pass = |v: &PassView| {
        format!(
            "pass {} ({})",
            v.name,
            v.attempt.map(|a| a.turn.as_str()).unwrap_or("-")
        )
    };
    match (state, at) {
        (PipelineState::Done, _) => format!("{}: done, every pass landed", p.id),
        (PipelineState::Failed, Some(v)) => format!(
            "{}: stopped at {} {}: {}",
            p.id,
            pass(v),
            v.word(),
            v.reason.unwrap_or_default()
        ),
        (PipelineState::AwaitingReview, Some(v)) => format!(
            "{}: {} waits for review; the run goes on when it lands (`leash pipeline resume {}`)",
            p.id,
            pass(v),
            p.id
        ),
        (PipelineState::Paused, Some(v)) => format!(
            "{}: paused after {}; `leash pipeline resume {}` goes on",
            p.id,
            pass(v),
            p.id
        ),
        (state, _) => format!("{}: {state}", p.id),
    }
}

fn find<'a>(ws: &'a Workspace, run: &str) -> Result<&'a Pipeline, Failure> {
    ws.state().pipeline(run).ok_or_else(|| {
        Failure::refused(
            "unknown_pipeline",
            format!("no pipeline run `{run}` (see `leash pipeline list`)"),
        )
    })
}

fn list(ws: &Workspace, json: bool) -> CliResult {
    let state = ws.state();
    if json {
        let rows: Vec<Value> = state
            .pipelines()
            .iter()
            .map(|p| {
                json!({
                    "id": p.id,
                    "task": p.task,
                    "state": state.pipeline_state(p).as_str(),
                    "current": p.current().map(|c| c.pass.as_str()),
                    "turn": p.current().map(|c| c.turn.as_str()),
                    "started": p.started,
                })
            })
            .collect();
        print_json(&rows);
        return Ok(0);
    }
    if state.pipelines().is_empty() {
        tell!("no pipeline runs yet");
    }
    for p in state.pipelines().iter().rev() {
        let current = p
            .current()
            .map(|c| format!("{} ({})", c.pass, c.turn))
            .unwrap_or_else(|| "-".into());
        say!(
            "{:<5} {:<16} {:<15} {current}",
            p.id,
            p.task,
            state.pipeline_state(p).as_str()
        );
    }
    Ok(0)
}

fn show(ws: &Workspace, p: &Pipeline) {
    let state = ws.state();
    say!(
        "{} · task {} · {} · started {}",
        p.id,
        p.task,
        state.pipeline_state(p),
        p.started
    );
    if let Some(reason) = &p.cancelled {
        say!(
            "cancelled{}",
            if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            }
        );
    }
    for v in state.pass_views(p) {
        let turn = v.attempt.map(|a| a.turn.as_str()).unwrap_or("-");
        let mut line = format!("  {:<12} {:<15} {turn:<6}", v.name, v.word());
        if let Some(a) = v.attempt {
            line.push_str(&format!(" out {}", a.out));
            if a.mode == crate::model::PassMode::ReadOnly {
                line.push_str(" (read-only)");
            }
        }
        if v.attempts > 1 {
            line.push_str(&format!(" · attempt {}", v.attempts));
        }
        say!("{}", line.trim_end());
        if let Some(a) = v.attempt {
            let spending = spending(state.turn_spent(&a.turn), &a.budget);
            if !spending.is_empty() {
                say!("  {:<12} {spending}", "");
            }
            for w in state.budget_warnings(&a.turn) {
                say!("  {:<12} ⚠ {w}", "");
            }
        }
        if let (Some(f), Some(reason)) = (v.failure, v.reason) {
            say!("  {:<12} {f}: {reason}", "");
        }
    }
}

/// "spent 160 400 tokens, $1.23 · budget 150 000 tokens, $1.00, 10m";
/// empty when nothing was spent nor budgeted.
fn spending(spent: Spent, budget: &Budget) -> String {
    let mut parts = Vec::new();
    if spent.tokens > 0 || spent.usd.is_some() {
        let usd = match spent.usd {
            Some(u) => BudgetKind::Usd.show(u),
            None => "cost unknown".to_string(),
        };
        parts.push(format!(
            "spent {} tokens, {usd}",
            BudgetKind::Tokens.show(spent.tokens as f64)
        ));
    }
    let limits: Vec<String> = budget
        .limits()
        .into_iter()
        .map(|(what, limit)| match what {
            BudgetKind::Tokens => format!("{} tokens", what.show(limit)),
            _ => what.show(limit),
        })
        .collect();
    if !limits.is_empty() {
        parts.push(format!("budget {}", limits.join(", ")));
    }
    parts.join(" · ")
}

/// A budget as JSON: each limit set (time in seconds).
fn budget_json(budget: &Budget) -> Value {
    json!({
        "tokens": budget.tokens,
        "usd": budget.usd,
        "time_secs": budget.time.map(|t| t.as_secs_f64()),
    })
}

/// A run as `leash pipeline show --json` prints it.
fn run_json(ws: &Workspace, p: &Pipeline) -> Value {
    let state = ws.state();
    let passes: Vec<Value> = state
        .pass_views(p)
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "state": v.word(),
                "turn": v.attempt.map(|a| a.turn.as_str()),
                "failure": v.failure.map(|f| f.as_str()),
                "reason": v.reason,
                "attempts": v.attempts,
                "out": v.attempt.map(|a| a.out.as_str()),
                "mode": v.attempt.map(|a| a.mode.as_str()),
                "role": v.attempt.and_then(|a| a.role.as_deref()),
                "spent": v.attempt.map(|a| state.turn_spent(&a.turn)),
                "budget": v.attempt.map(|a| budget_json(&a.budget)),
                "budget_warnings": v.attempt.map(|a| state.budget_warnings(&a.turn)),
            })
        })
        .collect();
    json!({
        "id": p.id,
        "task": p.task,
        "state": state.pipeline_state(p).as_str(),
        "current": p.current().map(|c| c.pass.as_str()),
        "started": p.started,
        "cancelled": p.cancelled,
        "spent": state.pipeline_spent(p),
        "passes": passes,
    })
}
