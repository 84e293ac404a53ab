//! `leash check [--json] [--fix]`.

use super::{CheckArgs, CliResult, out, print_json};
use crate::invariants::passes;
use crate::invariants::{self, CheckResult, Outcome};
use crate::say;
use crate::workspace::Workspace;

fn glyph(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✓",
        Outcome::Fail => "✗",
        Outcome::Fixed => "✓ fixed",
        Outcome::Degraded => "~ degraded",
        Outcome::Skipped => "- skipped",
    }
}

fn print(results: &[CheckResult]) {
    for r in results {
        say!("{} {} ({})", glyph(r.outcome), out::field(&r.name), r.kind);
        for f in &r.findings {
            let at = match f.line {
                Some(l) => format!("{}:{l}", f.path),
                None => f.path.clone(),
            };
            say!("    {}: {}", out::field(&at), out::field(&f.message));
        }
        if !r.detail.is_empty() && r.outcome != Outcome::Pass {
            for line in r.detail.lines().take(8) {
                say!("    | {}", out::field(line));
            }
        }
    }
    say!("{}", invariants::summary(results));
}

pub fn check(ws: &mut Workspace, a: CheckArgs) -> CliResult {
    let confinement = ws.confinement_status();
    if a.turn.is_none() {
        if !a.json {
            say!("{}", confinement.sentence());
        }
        if let Some(w) = &confinement.warning {
            out::notice("warning", w);
        }
    }
    if ws.config.invariants.is_empty() {
        if a.json {
            print_json(
                &serde_json::json!({"results": [], "summary": "", "confinement": confinement}),
            );
        } else {
            say!(
                "no invariants are configured: add [[invariant]] tables to .leash/config.toml \
                 (see the commented examples `leash init` wrote)"
            );
        }
        return Ok(0);
    }
    if let Some(id) = &a.turn {
        let fixed = ws.fix_turn(id)?;
        if a.json {
            print_json(&serde_json::json!({ "turn": id, "fix": fixed }));
        } else {
            match &fixed {
                Some(f) => {
                    say!(
                        "fixed {} in {id} (its turn commit is now {}; the agent's own is kept at {}); {} — it waits for review",
                        f.fixed.join(", "),
                        crate::model::short(&f.commit),
                        f.unfixed,
                        f.summary()
                    );
                    print(&f.results);
                }
                None => say!(
                    "nothing to fix in {id}: no fixable invariant fails on it (nothing was written)"
                ),
            }
        }
        return Ok(match &fixed {
            Some(f) if f.results.iter().any(|r| !passes(r)) => 1,
            _ => 0,
        });
    }
    let mut fix = None;
    if a.fix {
        fix = ws.fix_workspace()?;
        if !a.json {
            match &fix {
                Some((id, results, landing)) => {
                    let names: Vec<&str> = results
                        .iter()
                        .filter(|r| r.outcome == Outcome::Fixed)
                        .map(|r| r.name.as_str())
                        .collect();
                    say!(
                        "fixed {} in {} (turn {id}); `leash rollback {id}` undoes it",
                        names.join(", "),
                        crate::model::short(&landing.commit)
                    );
                }
                None => say!(
                    "nothing to fix: no fixable invariant fails on the branch head (no commit, no turn)"
                ),
            }
        }
    }
    let results = ws.check_workspace()?;
    let failing = results.iter().any(|r| !passes(r));
    if a.json {
        print_json(&serde_json::json!({
            "results": results,
            "summary": invariants::summary(&results),
            "fix": fix.as_ref().map(|(id, _, landing)| serde_json::json!({"turn": id, "landing": landing})),
            "confinement": confinement,
        }));
    } else {
        print(&results);
    }
    Ok(if failing { 1 } else { 0 })
}
