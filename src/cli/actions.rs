//! `leash actions | allow | deny`, the hook endpoint, and `leash hooks`.

use std::io::Write;
use std::path::Path;

use super::{ActionArg, CliResult, DenyArgs, HookAgent, HooksOp, out, print_json};
use crate::event::ActionDecision;
use crate::say;
use crate::workspace::Workspace;
use crate::workspace::gate::{self, Dialect};
use crate::workspace::hooks::{self, Agent, Status};

pub fn list(ws: &Workspace, json: bool) -> CliResult {
    let waiting = ws.state().waiting_actions();
    if json {
        let v: Vec<_> = waiting
            .iter()
            .map(|(t, a)| {
                let mut v = serde_json::to_value(a).expect("actions serialize");
                v["turn"] = serde_json::json!(t.id);
                v
            })
            .collect();
        print_json(&v);
        return Ok(0);
    }
    if waiting.is_empty() {
        say!("no action waits for an answer");
        return Ok(0);
    }
    for (t, a) in &waiting {
        say!(
            "{:<8} {:<7} {}  (turn {} · {})",
            a.id,
            a.risk.as_str(),
            out::field(&a.summary),
            t.id,
            crate::words::age(&a.requested)
        );
    }
    // Shown to the operator: the receipt of `allow` / `deny` says since when.
    for (_, a) in &waiting {
        ws.note_shown(&a.id, "actions", false);
    }
    say!("answer with `leash allow ACTION` or `leash deny ACTION --reason …`");
    Ok(0)
}

pub fn allow(ws: &mut Workspace, a: ActionArg) -> CliResult {
    let receipt = ws.cli_receipt(&a.action);
    ws.decide_action(&a.action, ActionDecision::Allow, None, Some(receipt))?;
    if a.json {
        print_json(&serde_json::json!({"action": a.action, "decision": "allow"}));
    } else {
        say!("{} allowed", a.action);
    }
    Ok(0)
}

pub fn deny(ws: &mut Workspace, a: DenyArgs) -> CliResult {
    if a.reason.trim().is_empty() {
        return Err(super::Failure::usage(
            "a denial needs a reason (the agent is told it): --reason \"…\"",
        ));
    }
    let receipt = ws.cli_receipt(&a.action);
    ws.decide_action(
        &a.action,
        ActionDecision::Deny,
        Some(a.reason.clone()),
        Some(receipt),
    )?;
    if a.json {
        print_json(
            &serde_json::json!({"action": a.action, "decision": "deny", "reason": a.reason}),
        );
    } else {
        say!("{} denied", a.action);
    }
    Ok(0)
}

/// `leash hook claude|codex`: whatever happens, it prints an answer in the
/// agent's dialect and exits 0 — never a crash that would let a denied tool
/// run.
pub fn hook(agent: HookAgent) -> i32 {
    let dialect = match agent {
        HookAgent::Claude => Dialect::Claude,
        HookAgent::Codex => Dialect::Codex,
    };
    let input = gate::read_input(std::io::stdin().lock());
    let answer = hooks::answer_hook(dialect, &input);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(answer.stdout.as_bytes());
    let _ = out.flush();
    if !answer.stderr.is_empty() {
        let _ = writeln!(std::io::stderr(), "{}", answer.stderr);
    }
    answer.code
}

pub fn hooks(
    dir: &Path,
    op: HooksOp,
    agent: Option<HookAgent>,
    absolute: bool,
    json: bool,
) -> CliResult {
    let to_agent = |a: HookAgent| match a {
        HookAgent::Claude => Agent::Claude,
        HookAgent::Codex => Agent::Codex,
    };
    if let HooksOp::Status = op {
        let agents = match agent {
            Some(a) => vec![to_agent(a)],
            None => vec![Agent::Claude, Agent::Codex],
        };
        let (statuses, initialised) = hooks::hooks_status(dir, &agents)?;
        if json {
            print_json(&statuses);
        } else {
            for (i, s) in statuses.iter().enumerate() {
                if i > 0 {
                    say!("");
                }
                print_status(s, initialised);
            }
        }
        return Ok(0);
    }
    let Some(agent) = agent else {
        return Err(
            "name the agent: `leash hooks install claude` or `leash hooks install codex`".into(),
        );
    };
    let agent = to_agent(agent);
    // Settings files are committed and shared: by default they name
    // `leash`, found through each person's PATH, not this machine's path.
    let exe = if absolute {
        std::env::current_exe().map_err(|e| format!("cannot find leash's binary: {e}"))?
    } else {
        std::path::PathBuf::from("leash")
    };
    // When `leash` is not on PATH, the status printed after installing
    // names it as what keeps the hooks from running, and what to do.
    let change = hooks::change_hooks(dir, agent, matches!(op, HooksOp::Install), &exe)?;
    let (deleted, after) = (change.deleted, change.status.clone());
    if json {
        let mut v = serde_json::json!({
            "path": change.path.display().to_string(),
            "added": change.added,
            "removed": change.removed,
            "unchanged": change.unchanged,
            "deleted": deleted,
        });
        if let Some(s) = &after {
            v["loads"] = serde_json::json!(s.loads);
            v["needs"] = serde_json::json!(s.blockers);
        }
        print_json(&v);
        return Ok(0);
    }
    let path = out::field(&change.path.display().to_string());
    if deleted {
        say!(
            "{path}: removed leash's {} hooks; the file held nothing else and leash had \
             created it, so it is gone",
            out::field(&change.removed.join(", "))
        );
    } else if change.unchanged {
        say!("{path}: already as asked; nothing changed");
    } else {
        say!(
            "{path}: {}{}",
            if change.added.is_empty() {
                String::new()
            } else {
                format!(
                    "added leash's {} hooks",
                    out::field(&change.added.join(", "))
                )
            },
            if change.removed.is_empty() {
                String::new()
            } else {
                // Event names come from the user's settings file.
                format!(
                    "removed leash's {} hooks",
                    out::field(&change.removed.join(", "))
                )
            }
        );
    }
    if let Some(s) = after {
        if s.loads {
            say!(
                "{}'s config lets it run them; `leash hooks status {}` shows when a session \
                 reports to leash",
                s.agent,
                s.agent
            );
        } else {
            say!(
                "{} will not run them yet; until it does, its sessions here are not supervised:",
                s.agent
            );
            for b in &s.blockers {
                say!("  - {}", out::field(b));
            }
        }
    }
    Ok(0)
}

fn print_status(s: &Status, initialised: bool) {
    let p = out::field;
    say!("{}", s.agent);
    if s.installed.is_empty() {
        say!("  installed:   no");
    }
    for i in &s.installed {
        say!(
            "  installed:   {} ({}): {}",
            p(&i.path),
            i.scope,
            p(&i.events.join(", "))
        );
    }
    if s.loads {
        say!("  will run:    yes, as far as its config says");
    } else {
        say!("  will run:    no");
        for b in &s.blockers {
            say!("    - {}", p(b));
        }
    }
    for n in &s.notes {
        say!("  note:        {}", p(n));
    }
    match &s.last_report {
        Some(r) => say!(
            "  last report: {} ago ({}; {}{})",
            crate::words::age(&r.ts),
            p(&r.ts),
            p(&r.what),
            r.session
                .as_deref()
                .map(|id| format!(", session {}", p(id)))
                .unwrap_or_default()
        ),
        None if initialised => say!(
            "  last report: never: no {} session has reported to leash in this repository",
            s.agent
        ),
        None => say!("  last report: none: leash is not initialised here (`leash init`)"),
    }
}
