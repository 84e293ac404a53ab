//! `leash rules suggest | add`: the rules the operator's answers propose.

use super::{CliResult, RulesAddArgs, out, print_json};
use crate::say;
use crate::workspace::Workspace;
use crate::workspace::rules::{Suggestion, direction_word};

fn json_of(s: &Suggestion) -> serde_json::Value {
    let r = &s.proposal.rule;
    serde_json::json!({
        "direction": direction_word(s.proposal.direction),
        "title": s.proposal.title(),
        "class": r.class,
        "paths": r.paths,
        "commands": r.commands,
        "tools": r.tools,
        "lower": r.lower,
        "why": s.proposal.why,
        "from": s.from,
        "toml": s.toml(),
    })
}

fn show(s: &Suggestion) {
    say!(
        "{}  (from {})",
        out::field(&s.proposal.title()),
        out::field(&s.from.join(", "))
    );
    // One line at a time: each is sanitized as a line of its own.
    for line in s.toml().lines() {
        say!("{line}");
    }
}

pub fn suggest(ws: &Workspace, json: bool) -> CliResult {
    let list = ws.rule_suggestions()?;
    if json {
        print_json(&list.iter().map(json_of).collect::<Vec<_>>());
        return Ok(0);
    }
    if list.is_empty() {
        say!(
            "no rule to propose: no held action allowed that the policy does not cover, and no kind of call denied three times"
        );
        return Ok(0);
    }
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            say!("");
        }
        show(s);
    }
    say!("");
    say!("add one with `leash rules add --from ACTION --yes`");
    Ok(0)
}

pub fn add(ws: &mut Workspace, a: RulesAddArgs) -> CliResult {
    // The history's proposal the action is part of (a raising rule needs
    // three answers), else the allowing rule for the action itself.
    let found = ws
        .rule_suggestions()?
        .into_iter()
        .find(|s| s.from.iter().any(|f| f == &a.from));
    let s = match found {
        Some(s) => s,
        None => ws.propose_allow(&a.from)?,
    };
    if !a.yes {
        if a.json {
            print_json(&json_of(&s));
        } else {
            show(&s);
            say!("");
            say!(
                "write it with `leash rules add --from {} --yes`",
                out::field(&a.from)
            );
        }
        return Ok(0);
    }
    let commit = ws.add_rule(&s)?;
    if a.json {
        let mut v = json_of(&s);
        v["commit"] = serde_json::json!(commit.to_string());
        print_json(&v);
    } else {
        say!(
            "{} added to .leash/config.toml in commit {}",
            out::field(&s.proposal.title()),
            crate::model::short(&commit.to_string())
        );
    }
    Ok(0)
}
