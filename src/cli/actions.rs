//! `leash actions | allow | deny`, the hook endpoint, and `leash hooks`.

use std::io::Write;
use std::path::Path;

use super::{ActionArg, CliResult, DenyArgs, HookAgent, HooksOp, out, print_json};
use crate::agents::gate_relay;
use crate::agents::hooks_config::{self, Agent};
use crate::agents::hooks_status::{self, Homes, Status};
use crate::event::ActionDecision;
use crate::say;
use crate::workspace::Workspace;
use crate::workspace::gate::{self, Dialect, GateEnv};

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
            crate::words::age(&a.requested)
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
    if a.reason.trim().is_empty() {
        return Err(super::Failure::usage(
            "a denial needs a reason (the agent is told it): --reason \"…\"",
        ));
    }
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
    // Inside a confined turn the journal is out of reach: the turn's
    // supervisor answers (see `gate_relay`). Should it not answer, the gate
    // below runs here and, unable to record anything, denies.
    if let Some(socket) = std::env::var_os(gate_relay::SOCKET_ENV).filter(|s| !s.is_empty()) {
        let name = match agent {
            HookAgent::Claude => "claude",
            HookAgent::Codex => "codex",
        };
        if let Ok(r) =
            gate_relay::call(Path::new(&socket), name, env.project_dir.as_deref(), &input)
        {
            let _ = std::io::stdout().lock().write_all(&r.stdout);
            let _ = std::io::stdout().flush();
            if !r.stderr.is_empty() {
                let _ = writeln!(std::io::stderr(), "{}", String::from_utf8_lossy(&r.stderr));
            }
            return r.code;
        }
    }
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

/// Where `leash hooks install` notes that it created an agent's settings
/// file, so that `uninstall` removes the file again once it is empty (and
/// never a file the user made).
fn created_marker(repo: &git2::Repository, agent: Agent) -> std::path::PathBuf {
    repo.commondir()
        .join("leash")
        .join(format!("hooks-created-{}", agent.name()))
}

/// After uninstall: removes the settings file install created if nothing is
/// left in it, and its folder if that is empty too. True when removed.
fn remove_if_created_and_empty(marker: &Path, settings: &Path) -> bool {
    if !marker.exists() {
        return false;
    }
    let empty = match hooks_config::read_settings(settings) {
        Ok(Some(map)) => map.is_empty(),
        Ok(None) => {
            let _ = std::fs::remove_file(marker);
            return false;
        }
        Err(_) => false,
    };
    if !empty || std::fs::remove_file(settings).is_err() {
        return false;
    }
    let _ = std::fs::remove_file(marker);
    if let Some(folder) = settings.parent() {
        // Only succeeds when the folder is empty.
        let _ = std::fs::remove_dir(folder);
    }
    true
}

pub fn hooks(
    dir: &Path,
    op: HooksOp,
    agent: Option<HookAgent>,
    absolute: bool,
    json: bool,
) -> CliResult {
    let repo = crate::workspace::discover(dir)?;
    let root = repo
        .workdir()
        .ok_or("leash needs a repository with a working tree")?
        .to_path_buf();
    let to_agent = |a: HookAgent| match a {
        HookAgent::Claude => Agent::Claude,
        HookAgent::Codex => Agent::Codex,
    };
    let homes = Homes::from_env();
    let journal = repo.commondir().join("leash").join("journal.jsonl");
    // The journal read as it stands, without locking or repairing it.
    let initialised = journal.exists() || root.join(".leash").is_dir();
    let state = || {
        initialised.then(|| {
            let mut state = crate::state::State::default();
            for record in crate::journal::read_all(&journal).0 {
                state.apply(&record);
            }
            state
        })
    };
    if let HooksOp::Status = op {
        let agents = match agent {
            Some(a) => vec![to_agent(a)],
            None => vec![Agent::Claude, Agent::Codex],
        };
        let state = state();
        let statuses: Vec<Status> = agents
            .into_iter()
            .map(|a| hooks_status::status(a, &root, &homes, state.as_ref()))
            .collect();
        if json {
            print_json(&statuses);
        } else {
            for (i, s) in statuses.iter().enumerate() {
                if i > 0 {
                    say!("");
                }
                print_status(s, state.is_some());
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
    let settings_path = agent.settings_path(&root);
    let marker = created_marker(&repo, agent);
    let existed = settings_path.exists();
    // The hook waits for an operator up to the approval timeout: the agent
    // must wait at least as long.
    let timeout = crate::config::load_workspace_config(&root)
        .map(|c| c.gate.approval_timeout.as_secs() + 30)
        .unwrap_or(630);
    let change = match op {
        HooksOp::Install => hooks_config::install(&root, agent, &exe, timeout)?,
        HooksOp::Uninstall => hooks_config::uninstall(&root, agent)?,
        HooksOp::Status => unreachable!("handled above"),
    };
    let mut deleted = false;
    match op {
        HooksOp::Install if !existed && settings_path.exists() => {
            if let Some(folder) = marker.parent() {
                let _ = std::fs::create_dir_all(folder);
            }
            let _ = std::fs::write(&marker, "");
        }
        HooksOp::Uninstall => deleted = remove_if_created_and_empty(&marker, &settings_path),
        _ => {}
    }
    // What the agent's own config says, so nobody takes an installed hook
    // for a running one.
    let after =
        matches!(op, HooksOp::Install).then(|| hooks_status::status(agent, &root, &homes, None));
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
