//! `leash approve | reject | rollback | cancel | autonomy`.

use super::{
    ApproveArgs, AutonomyArgs, CliResult, Failure, RejectArgs, RollbackArgs, TurnArg, parse_level,
    print_json,
};
use crate::diff::select::Pick;
use crate::model::Sliders;
use crate::model::short;
use crate::model::{AutonomyLevel, RiskClass};
use crate::say;
use crate::workspace::{AutonomyTarget, Workspace};

/// Tells what the command itself added to the workspace's notices (a
/// note that could not be signed or written); opening's were told already.
fn new_notices(ws: &Workspace, before: usize) {
    for n in ws.notices().iter().skip(before) {
        super::out::notice("notice", n);
    }
}

pub fn approve(ws: &mut Workspace, a: ApproveArgs) -> CliResult {
    if a.hunks.is_some() || a.files.is_some() {
        return approve_hunks(ws, a);
    }
    let before = ws.notices().len();
    let receipt = ws.cli_receipt(&a.turn);
    let landing = ws.approve(&a.turn, a.reason, Some(receipt))?;
    new_notices(ws, before);
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

/// The hunks `--hunks 1,3` or `--files a.md,b.md` pick of `turn`; `None`
/// when neither is given.
pub(super) fn pick_of(
    turn: &str,
    hunks: Option<&str>,
    files: Option<&str>,
) -> Result<Option<Pick>, Failure> {
    Ok(match (hunks, files) {
        (Some(h), _) => Some(Pick::Numbers(hunk_numbers(h).map_err(|e| {
            Failure::usage(format!(
                "--hunks {e}; expected hunk numbers as `leash show {turn} --hunks` lists them, \
                 such as 1,3 or 2-4"
            ))
        })?)),
        (None, Some(f)) => Some(Pick::Files(
            f.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
        )),
        (None, None) => None,
    })
}

/// `leash approve TURN --hunks 1,3` / `--files a.md,b.md`.
fn approve_hunks(ws: &mut Workspace, a: ApproveArgs) -> CliResult {
    let pick = pick_of(&a.turn, a.hunks.as_deref(), a.files.as_deref())?
        .expect("called with --hunks or --files");
    let before = ws.notices().len();
    let receipt = ws.cli_receipt(&a.turn);
    let done = ws.approve_hunks(&a.turn, &pick, a.reason, Some(receipt))?;
    new_notices(ws, before);
    if a.json {
        print_json(&serde_json::json!({
            "turn": a.turn, "state": "landed", "landing": done.landing,
            "accepted": done.accepted, "rejected": done.rejected, "kept_at": done.kept_at,
        }));
        return Ok(0);
    }
    let numbers = |h: &[crate::model::HunkRef]| -> String {
        h.iter()
            .map(|h| h.n.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    say!(
        "{} landed on {} as {}: hunks {}",
        a.turn,
        done.landing.branch,
        short(&done.landing.commit),
        numbers(&done.accepted)
    );
    if let Some(kept) = &done.kept_at {
        say!("not landed, kept at {kept}:");
        for h in &done.rejected {
            say!("  {:>3}  {}", h.n, h.label());
        }
    }
    if let Some(from) = &done.landing.drift_from {
        say!(
            "note: {} had moved since the turn started (now past {}); the hunks were applied onto it",
            done.landing.branch,
            short(from)
        );
    }
    Ok(0)
}

/// `1,3,5-7` as numbers; what is wrong with it, otherwise.
fn hunk_numbers(text: &str) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let num = |s: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{part}` is not a hunk number"))
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(format!("`{part}` runs backwards"));
                }
                out.extend(a..=b);
            }
            None => out.push(num(part)?),
        }
    }
    if out.is_empty() {
        return Err("names no hunk".into());
    }
    Ok(out)
}

pub fn reject(ws: &mut Workspace, a: RejectArgs) -> CliResult {
    if a.reason.trim().is_empty() {
        return Err(Failure::usage(
            "a rejection needs a reason (it is kept in the journal for whoever reads the \
             turn later): --reason \"…\"",
        ));
    }
    let receipt = ws.cli_receipt(&a.turn);
    let r = ws.reject(&a.turn, a.reason, Some(receipt))?;
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

pub fn rollback(ws: &mut Workspace, a: RollbackArgs) -> CliResult {
    let before = ws.notices().len();
    let landing = ws.rollback(&a.turn, a.reason)?;
    new_notices(ws, before);
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
            humantime::format_duration(ws.config().run.grace)
        );
    }
    Ok(0)
}

pub fn autonomy(ws: &mut Workspace, a: AutonomyArgs) -> CliResult {
    let usage = |m: &str| {
        Failure::usage(format!(
            "{m}; usage: leash autonomy [CLASS LEVEL] [--save] | leash autonomy --task T LEVEL"
        ))
    };
    match (&a.task, a.words.as_slice()) {
        (Some(_), _) if a.save => {
            return Err(usage(
                "--save writes the class levels; a task's level belongs in .leash/tasks.toml",
            ));
        }
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
    let saved = if a.save {
        Some(save_levels(ws.root(), &sliders)?)
    } else {
        None
    };
    let committed = ws.config().autonomy;
    let overrides: Vec<RiskClass> = RiskClass::ALL
        .iter()
        .copied()
        .filter(|c| sliders.get(*c) != committed.get(*c))
        .collect();
    let mut notes = Vec::new();
    if ws.config().invariants.is_empty()
        && RiskClass::ALL
            .iter()
            .any(|c| sliders.get(*c) == AutonomyLevel::Guarded)
    {
        notes.push(GUARDED_IS_AUTO.to_string());
    }
    let tasks: serde_json::Map<String, serde_json::Value> = ws
        .tasks()
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
            "committed": {"low": committed.low, "medium": committed.medium, "high": committed.high},
            "overrides": overrides,
            "saved": saved,
            "notes": notes,
        }));
        return Ok(0);
    }
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
        if overrides.contains(class) {
            say!(
                "{:<7}{bar}  (override; committed: {})",
                class.as_str(),
                committed.get(*class)
            );
        } else {
            say!("{:<7}{bar}", class.as_str());
        }
    }
    for (task, level) in &tasks {
        say!("task {task}: {}", level.as_str().unwrap_or_default());
    }
    for n in &notes {
        say!("note: {n}");
    }
    if let Some(path) = &saved {
        say!(
            "wrote low = {}, medium = {}, high = {} into {path}; commit it \
             (`git commit {} -m \"leash autonomy\"`): leash applies the committed policy",
            sliders.low,
            sliders.medium,
            sliders.high,
            crate::config::CONFIG_FILE
        );
    } else if !overrides.is_empty() {
        say!(
            "an override is a level moved in the journal, away from {}; \
             `leash autonomy --save` writes the levels there (then commit the file)",
            crate::config::CONFIG_FILE
        );
    }
    Ok(0)
}

/// What `leash init` and `leash autonomy` say when `guarded` cannot hold a
/// turn back.
pub const GUARDED_IS_AUTO: &str = "guarded = auto here: no invariants configured, so a guarded \
     turn that did not fail lands by itself (add [[invariant]] tables to .leash/config.toml)";

/// Writes the class levels into `.leash/config.toml`'s `[autonomy]` table,
/// keeping every other line (and comments) as it is; returns the path. The
/// result is parsed back before it is written: a file this cannot edit
/// safely is left alone, with what to do.
fn save_levels(root: &std::path::Path, s: &Sliders) -> Result<String, Failure> {
    let path = root.join(crate::config::CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display()).into()),
    };
    let edited = set_autonomy_table(&text, s).ok_or_else(|| {
        format!(
            "{} sets autonomy in a form this cannot edit safely (not an [autonomy] table); \
             set low = \"{}\", medium = \"{}\", high = \"{}\" there by hand",
            path.display(),
            s.low,
            s.medium,
            s.high
        )
    })?;
    let parsed = crate::config::parse_workspace_config(&edited, &path).map_err(|e| {
        format!(
            "the edited {} would not parse; nothing written: {e}",
            path.display()
        )
    })?;
    if parsed.autonomy != *s {
        return Err(format!(
            "{} would not say what the sliders say after the edit; nothing written",
            path.display()
        )
        .into());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("toml.leash-save");
    std::fs::write(&tmp, &edited)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(crate::config::CONFIG_FILE.to_string())
}

/// The config text with `[autonomy]`'s `low`, `medium` and `high` set to
/// the sliders: values replaced in place (a trailing comment kept), missing
/// keys added at the table's end, the table added at the file's end when
/// there is none. `None` when autonomy is written another way (dotted keys,
/// an inline table).
pub fn set_autonomy_table(text: &str, s: &Sliders) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let header = |l: &str| {
        let t = l.trim_start();
        t.starts_with('[') && !t.starts_with("[[") && {
            let name = t[1..].split(']').next().unwrap_or("").trim();
            name == "autonomy"
        }
    };
    let is_table = |l: &str| l.trim_start().starts_with('[');
    let key_of = |l: &str| -> Option<String> {
        let t = l.trim_start();
        if t.starts_with('#') {
            return None;
        }
        let (k, _) = t.split_once('=')?;
        Some(k.trim().trim_matches('"').to_string())
    };
    // Autonomy set any other way (a dotted key or inline table at the top
    // level) is not edited by hand-rolled rules.
    let top_end = lines
        .iter()
        .position(|l| is_table(l))
        .unwrap_or(lines.len());
    if lines[..top_end]
        .iter()
        .filter_map(|l| key_of(l))
        .any(|k| k == "autonomy" || k.starts_with("autonomy."))
    {
        return None;
    }
    let value = |c: RiskClass| format!("\"{}\"", s.get(c));
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match lines.iter().position(|l| header(l)) {
        None => {
            if out.last().is_some_and(|l| !l.trim().is_empty()) {
                out.push(String::new());
            }
            out.push("[autonomy]".into());
            for c in RiskClass::ALL {
                out.push(format!("{} = {}", c.as_str(), value(*c)));
            }
        }
        Some(h) => {
            let end = lines[h + 1..]
                .iter()
                .position(|l| is_table(l))
                .map_or(lines.len(), |i| h + 1 + i);
            let mut last_key = h;
            let mut seen = Vec::new();
            for (i, line) in lines.iter().enumerate().take(end).skip(h + 1) {
                let Some(k) = key_of(line) else { continue };
                last_key = i;
                let Some(c) = RiskClass::ALL.iter().find(|c| c.as_str() == k) else {
                    continue;
                };
                let (before, after) = line.split_once('=')?;
                let after = after.trim_start();
                // The old value: a quoted string; what follows it (a
                // comment) stays.
                let rest = after.strip_prefix('"')?;
                let close = rest.find('"')?;
                let tail = &rest[close + 1..];
                out[i] = format!("{before}= {}{tail}", value(*c));
                seen.push(*c);
            }
            let missing: Vec<String> = RiskClass::ALL
                .iter()
                .filter(|c| !seen.contains(c))
                .map(|c| format!("{} = {}", c.as_str(), value(*c)))
                .collect();
            for (n, line) in missing.into_iter().enumerate() {
                out.insert(last_key + 1 + n, line);
            }
        }
    }
    let mut edited = out.join("\n");
    if text.ends_with('\n') || text.is_empty() {
        edited.push('\n');
    }
    Some(edited)
}
