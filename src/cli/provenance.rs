//! `leash notes setup [REMOTE]` and `leash verify [RANGE] [--json]`.

use std::path::Path;

use super::{CliResult, Failure, NotesArgs, NotesOp, VerifyArgs, print_json};
use crate::say;
use crate::workspace::notes::{self, VerifyOptions};

pub fn notes(dir: &Path, a: NotesArgs) -> CliResult {
    match a.op {
        NotesOp::Setup { remote } => {
            let added = notes::notes_setup(dir, &remote)?;
            if a.json {
                print_json(&serde_json::json!({ "remote": remote, "added": added }));
            } else if added.is_empty() {
                say!("{remote} already carries refs/notes/leash; nothing changed");
            } else {
                for line in &added {
                    say!("set {line}");
                }
                say!("`git push {remote}` and `git fetch {remote}` now carry refs/notes/leash");
            }
            Ok(0)
        }
    }
}

/// Exit 1 with one line per violation; warnings go to stderr.
pub fn verify(dir: &Path, a: VerifyArgs) -> CliResult {
    let found = notes::verify(
        dir,
        &VerifyOptions {
            range: a.range,
            require_signed: a.require_signed,
        },
    )
    .map_err(Failure::from)?;
    if a.json {
        print_json(&found);
    } else {
        for v in &found.violations {
            say!(
                "{} {}: {}: {}",
                &v.commit[..v.commit.len().min(12)],
                v.turn.as_deref().unwrap_or("-"),
                v.kind,
                v.message
            );
        }
        for w in &found.warnings {
            crate::tell!(
                "warning: {} {}: {}: {}",
                &w.commit[..w.commit.len().min(12)],
                w.turn.as_deref().unwrap_or("-"),
                w.kind,
                w.message
            );
        }
        if found.violations.is_empty() {
            let leash = found.commits.iter().filter(|c| c.kind == "leash").count();
            say!(
                "verified {} ({} by leash, {} by people)",
                crate::words::count(found.commits.len(), "commit"),
                leash,
                found.commits.len() - leash
            );
        }
    }
    Ok(if found.violations.is_empty() { 0 } else { 1 })
}
