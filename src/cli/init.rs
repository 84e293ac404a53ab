//! `leash init`: write the workspace's commented config and tasks files.

use std::fs;
use std::path::{Path, PathBuf};

use super::{CliResult, DemoArgs, Failure, interactive, print_json};
use crate::config::{CONFIG_FILE, CONFIG_TEMPLATE, TASKS_FILE, TASKS_TEMPLATE};
use crate::{say, tell};

/// Writes `.leash/config.toml` and `.leash/tasks.toml`; refuses (exit 1)
/// if either exists, writing neither.
pub fn init(dir: &Path, json: bool) -> CliResult {
    let (_, root) = crate::workspace::discover_worktree(dir)?;
    let landlock = crate::workspace::landlock_abi() > 0;
    let config = config_text(landlock);
    let files = [(CONFIG_FILE, config.as_str()), (TASKS_FILE, TASKS_TEMPLATE)];
    let existing: Vec<String> = files
        .iter()
        .map(|(f, _)| root.join(f))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Failure::refused(
            "refused",
            format!(
                "{} already exist{}; leash init never overwrites. Edit {} or remove {} first",
                existing.join(" and "),
                if existing.len() == 1 { "s" } else { "" },
                if existing.len() == 1 { "it" } else { "them" },
                if existing.len() == 1 { "it" } else { "them" },
            ),
        ));
    }
    let dir = root.join(".leash");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (file, text) in files {
        let path = root.join(file);
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path.display().to_string());
    }
    // Said now, not found out later: with no invariant, `guarded` holds
    // nothing back.
    let mut notes: Vec<String> = Vec::new();
    if !landlock {
        notes.push(CODEX_SANDBOXES_ITSELF.to_string());
    }
    if let Ok(cfg) = crate::config::load_workspace_config(&root)
        && cfg.invariants.is_empty()
        && crate::model::RiskClass::ALL
            .iter()
            .any(|c| cfg.autonomy.get(*c) == crate::model::AutonomyLevel::Guarded)
    {
        notes.push(super::decide::GUARDED_IS_AUTO.to_string());
    }
    if json {
        print_json(&serde_json::json!({ "written": written, "notes": notes }));
    } else {
        for w in &written {
            say!("wrote {w}");
        }
        for n in &notes {
            say!("note: {n}");
        }
        say!(
            "Next: review the risk rules and agents in {CONFIG_FILE}, then commit both files \
             (`git add .leash && git commit -m \"leash policy\"`): leash applies the policy \
             as committed, never uncommitted edits. Then try \
             `leash run --risk low -- sh -c 'echo hi > note.md'`."
        );
    }
    Ok(0)
}

/// Said by `leash init` where the kernel has no Landlock.
const CODEX_SANDBOXES_ITSELF: &str = "this kernel has no Landlock, so leash cannot confine \
     turns here: the codex agent is written to keep Codex's own sandbox (`--sandbox \
     workspace-write`) instead of leash's, and other agents' turns run unconfined";

/// The config `leash init` writes: the template as it is where leash can
/// confine turns; where it cannot, Codex keeps its own sandbox rather than
/// having its turns refused (the template's `confine = "require"`).
fn config_text(landlock: bool) -> String {
    if landlock {
        return CONFIG_TEMPLATE.to_string();
    }
    let text = CONFIG_TEMPLATE
        .replace(
            "\"--sandbox\", \"danger-full-access\", \"{prompt}\"]",
            "\"--sandbox\", \"workspace-write\", \"{prompt}\"]",
        )
        .replace(
            "format = \"codex\"\nconfine = \"require\"\n",
            "format = \"codex\"\n",
        );
    debug_assert_ne!(text, CONFIG_TEMPLATE, "the template's codex entry moved");
    text
}

/// `leash demo`: builds the demo workspace and starts its turns through the
/// library, says so, and returns the workspace's path (for the console,
/// which the entry point opens unless `--no-console`).
pub fn demo(a: &DemoArgs) -> Result<PathBuf, Failure> {
    // The console needs a terminal: find out before building anything or
    // starting a turn.
    if !a.no_console && !interactive() {
        return Err(Failure::refused(
            "no_terminal",
            "leash demo opens the console, which needs a terminal, and this \
             command's input or output is not one; nothing was built or started. \
             Run it in a terminal, or build the demo workspace and start its turns \
             without the console: `leash demo --no-console --dir DIR`",
        ));
    }
    let root = crate::demo::build_workspace(a.dir.as_deref()).map_err(|e| format!("{e:#}"))?;
    tell!("leash demo: workspace at {}", root.display());
    let ids = crate::demo::start_turns(&root).map_err(|e| format!("{e:#}"))?;
    tell!("leash demo: started demo turns {}", ids.join(", "));
    let run = crate::demo::start_pipeline(&root).map_err(|e| format!("{e:#}"))?;
    tell!(
        "leash demo: started the demo pipeline {run} (task {})",
        crate::demo::PIPELINE_TASK
    );
    if a.no_console {
        say!("{}", root.display());
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AgentFormat, ConfineMode};

    fn codex(text: &str) -> crate::config::AgentConfig {
        let cfg = crate::config::parse_workspace_config(text, Path::new(CONFIG_FILE)).unwrap();
        cfg.agents["codex"].clone()
    }

    #[test]
    fn codex_is_confined_by_leash_where_it_can_and_by_itself_where_it_cannot() {
        let with = codex(&config_text(true));
        assert_eq!(with.format, AgentFormat::Codex);
        assert!(with.command.contains(&"danger-full-access".to_string()));
        assert_eq!(with.confine, Some(ConfineMode::Require));
        let without = codex(&config_text(false));
        assert!(without.command.contains(&"workspace-write".to_string()));
        assert!(!without.command.contains(&"danger-full-access".to_string()));
        assert_eq!(without.confine, None);
        // Nothing else changes.
        let mut a =
            crate::config::parse_workspace_config(&config_text(true), Path::new(CONFIG_FILE))
                .unwrap();
        let b = crate::config::parse_workspace_config(&config_text(false), Path::new(CONFIG_FILE))
            .unwrap();
        a.agents.insert("codex".into(), b.agents["codex"].clone());
        assert_eq!(a, b);
    }
}
