//! `leash actions | allow | deny`, the hook endpoint, and `leash hooks`.

use std::io::Write;
use std::path::Path;

use super::{ActionArg, CliResult, DenyArgs, HookAgent, HooksOp, out, print_json};
use crate::agents::gate::{self, Dialect, GateEnv};
use crate::agents::hooks_config::{self, Agent};
use crate::event::ActionDecision;
use crate::say;
use crate::workspace::Workspace;

pub fn list(ws: &Workspace, json: bool) -> CliResult {
    let waiting = ws.state.waiting_actions();
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
    for (t, a) in waiting {
        say!(
            "{:<8} {:<7} {}  (turn {} · {})",
            a.id,
            a.risk.as_str(),
            out::field(&a.summary),
            t.id,
            crate::journal::age(&a.requested)
        );
    }
    say!("answer with `leash allow ACTION` or `leash deny ACTION --reason …`");
    Ok(0)
}

pub fn allow(ws: &mut Workspace, a: ActionArg) -> CliResult {
    ws.decide_action(&a.action, ActionDecision::Allow, None)?;
    if a.json {
        print_json(&serde_json::json!({"action": a.action, "decision": "allow"}));
    } else {
        say!("{} allowed", a.action);
    }
    Ok(0)
}

pub fn deny(ws: &mut Workspace, a: DenyArgs) -> CliResult {
    ws.decide_action(&a.action, ActionDecision::Deny, Some(a.reason.clone()))?;
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
    let env = GateEnv::from_process();
    let answer = std::panic::catch_unwind(|| gate::handle(dialect, &input, &env))
        .unwrap_or_else(|_| gate::handle_panic(dialect, &input));
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(answer.stdout.as_bytes());
    let _ = out.flush();
    if !answer.stderr.is_empty() {
        let _ = writeln!(std::io::stderr(), "{}", answer.stderr);
    }
    answer.code
}

pub fn hooks(dir: &Path, op: HooksOp, agent: HookAgent, json: bool) -> CliResult {
    let repo = git2::Repository::discover(dir)
        .map_err(|e| format!("{} is not inside a git repository ({e})", dir.display()))?;
    let root = repo
        .workdir()
        .ok_or("leash needs a repository with a working tree")?
        .to_path_buf();
    let agent = match agent {
        HookAgent::Claude => Agent::Claude,
        HookAgent::Codex => Agent::Codex,
    };
    let exe = std::env::current_exe().map_err(|e| format!("cannot find leash's binary: {e}"))?;
    // The hook waits for an operator up to the approval timeout: the agent
    // must wait at least as long.
    let timeout = crate::config::load_workspace_config(&root)
        .map(|c| c.gate.approval_timeout.as_secs() + 30)
        .unwrap_or(630);
    let change = match op {
        HooksOp::Install => hooks_config::install(&root, agent, &exe, timeout)?,
        HooksOp::Uninstall => hooks_config::uninstall(&root, agent)?,
    };
    if json {
        print_json(&serde_json::json!({
            "path": change.path.display().to_string(),
            "added": change.added,
            "removed": change.removed,
            "unchanged": change.unchanged,
        }));
    } else if change.unchanged {
        say!(
            "{}: already as asked; nothing changed",
            change.path.display()
        );
    } else {
        say!(
            "{}: {}{}",
            change.path.display(),
            if change.added.is_empty() {
                String::new()
            } else {
                format!("added leash's {} hooks", change.added.join(", "))
            },
            if change.removed.is_empty() {
                String::new()
            } else {
                format!("removed leash's {} hooks", change.removed.join(", "))
            }
        );
    }
    Ok(0)
}
