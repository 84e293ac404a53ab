//! `leash init`: write the workspace's commented config and tasks files.

use std::fs;
use std::path::Path;

use super::{CliResult, Failure, print_json};
use crate::config::{CONFIG_FILE, CONFIG_TEMPLATE, TASKS_FILE, TASKS_TEMPLATE};
use crate::say;

/// Writes `.leash/config.toml` and `.leash/tasks.toml`; refuses (exit 1)
/// if either exists, writing neither.
pub fn init(dir: &Path, json: bool) -> CliResult {
    let repo = crate::workspace::discover(dir)?;
    let root = repo
        .workdir()
        .ok_or("leash needs a repository with a working tree")?
        .to_path_buf();
    let files = [(CONFIG_FILE, CONFIG_TEMPLATE), (TASKS_FILE, TASKS_TEMPLATE)];
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
    let mut notes = Vec::new();
    if let Ok(cfg) = crate::config::load_workspace_config(&root)
        && cfg.invariants.is_empty()
        && crate::model::RiskClass::ALL
            .iter()
            .any(|c| cfg.autonomy.get(*c) == crate::model::AutonomyLevel::Guarded)
    {
        notes.push(super::decide::GUARDED_IS_AUTO);
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
