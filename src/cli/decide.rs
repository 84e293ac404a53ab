//! `leash approve | reject | rollback | cancel | autonomy`.

use super::{
    ApproveArgs, AutonomyArgs, CliResult, Failure, RejectArgs, TurnArg, parse_level, print_json,
};
use crate::checkpoint::short;
use crate::model::{AutonomyLevel, RiskClass};
use crate::say;
use crate::workspace::{AutonomyTarget, Workspace};

pub fn approve(ws: &mut Workspace, a: ApproveArgs) -> CliResult {
    let landing = ws.approve(&a.turn, a.reason)?;
    if a.json {
        print_json(&serde_json::json!({"turn": a.turn, "state": "landed", "landing": landing}));
    } else {
        say!(
            "{} landed on {} as {}",
            a.turn,
            landing.branch,
            short(&landing.commit)
        );
        if let Some(from) = &landing.drift_from {
            say!(
                "note: {} had moved since the turn started (now past {}); the turn was applied onto it",
                landing.branch,
                short(from)
            );
        }
    }
    Ok(0)
}

pub fn reject(ws: &mut Workspace, a: RejectArgs) -> CliResult {
    if a.reason.trim().is_empty() {
        return Err(Failure::usage(
            "a rejection needs a reason (it is kept in the journal for whoever reads the \
             turn later): --reason \"…\"",
        ));
    }
    let r = ws.reject(&a.turn, a.reason)?;
    if a.json {
        print_json(&serde_json::json!({
            "turn": a.turn, "state": "rejected", "kept_at": r.kept_at,
            "restored": r.restored, "skipped": r.skipped,
        }));
    } else {
        say!("{} rejected; its content is kept at {}", a.turn, r.kept_at);
        if !r.restored.is_empty() {
            say!("restored to their start content: {}", r.restored.join(", "));
        }
        for (path, why) in &r.skipped {
            say!("left as it is: {path} ({why})");
        }
    }
    Ok(0)
}

pub fn rollback(ws: &mut Workspace, a: ApproveArgs) -> CliResult {
    let landing = ws.rollback(&a.turn, a.reason)?;
    if a.json {
        print_json(&serde_json::json!({"turn": a.turn, "state": "rolled_back", "revert": landing}));
    } else {
        say!(
            "{} rolled back on {} by {}",
            a.turn,
            landing.branch,
            short(&landing.commit)
        );
        for (path, why) in &landing.skipped {
            say!("left as it is: {path} ({why})");
        }
    }
    Ok(0)
}

pub fn cancel(ws: &mut Workspace, a: TurnArg) -> CliResult {
    let in_place = ws.turn(&a.turn)?.kind == crate::model::TurnKind::InPlace;
    ws.cancel(&a.turn)?;
    if in_place {
        let state = ws.turn(&a.turn)?.state;
        if a.json {
            print_json(&serde_json::json!({"turn": a.turn, "cancel": "ended", "state": state}));
        } else {
            say!("{} ended in place (cancelled); it is {state}", a.turn);
        }
        return Ok(0);
    }
    if a.json {
        print_json(&serde_json::json!({"turn": a.turn, "cancel": "requested"}));
    } else {
        say!(
            "asked {}'s supervisor to cancel it; its agent gets SIGTERM, then SIGKILL after {}",
            a.turn,
            humantime::format_duration(ws.config.run.grace)
        );
    }
    Ok(0)
}

pub fn autonomy(ws: &mut Workspace, a: AutonomyArgs) -> CliResult {
    let usage = |m: &str| {
        Failure::usage(format!(
            "{m}; usage: leash autonomy [CLASS LEVEL] | leash autonomy --task T LEVEL"
        ))
    };
    match (&a.task, a.words.as_slice()) {
        (None, []) => {}
        (Some(task), [level]) => {
            let level = parse_level(level)?;
            ws.set_autonomy(AutonomyTarget::Task(task.clone()), level)?;
        }
        (None, [class, level]) => {
            let class: RiskClass = class.parse().map_err(|e: String| usage(&e))?;
            let level = parse_level(level)?;
            ws.set_autonomy(AutonomyTarget::Class(class), level)?;
        }
        (Some(_), _) => return Err(usage("with --task give exactly one LEVEL")),
        (None, _) => return Err(usage("give a CLASS and a LEVEL")),
    }
    let sliders = ws.sliders();
    let tasks: serde_json::Map<String, serde_json::Value> = ws
        .tasks
        .tasks
        .iter()
        .filter_map(|t| {
            ws.task_autonomy(&t.name)
                .map(|l| (t.name.clone(), serde_json::json!(l)))
        })
        .collect();
    if a.json {
        print_json(&serde_json::json!({
            "low": sliders.low, "medium": sliders.medium, "high": sliders.high, "tasks": tasks,
        }));
    } else {
        for class in RiskClass::ALL {
            let level = sliders.get(*class);
            let bar: String = AutonomyLevel::ALL
                .iter()
                .map(|l| {
                    if *l == level {
                        format!("[{l}]")
                    } else {
                        format!(" {l} ")
                    }
                })
                .collect::<Vec<_>>()
                .join("");
            say!("{:<7}{bar}", class.as_str());
        }
        for (task, level) in &tasks {
            say!("task {task}: {}", level.as_str().unwrap_or_default());
        }
    }
    Ok(0)
}
