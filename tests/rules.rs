//! "Say it once": a held action the operator allows proposes the rule that
//! lets such actions run alone, written to `.leash/config.toml` in a commit
//! of its own; denials of the same kind propose the opposite rule. Through
//! the real binary, the hook fed PreToolUse events as Claude sends them.

mod common;

use common::Repo;
use common::hooks::{answer as call, bash, decided, permission, write};
use serde_json::{Value, json};

/// Holds `input` with an operator present and answers it with `answer`
/// (`allow`, or `deny` with a reason) from another terminal; returns the
/// action's id and the hook's answer.
fn held_and_answered(r: &Repo, input: &Value, answer: &[&str]) -> (String, String) {
    let _console = r.hold_console();
    let id = input["tool_use_id"].clone();
    let child = r.hook("claude", &input.to_string());
    let req = r.wait_for_event("the action to wait", |e| {
        e["kind"] == "action_requested" && e["tool_use_id"] == id && e["needs"] == "approval"
    });
    let action = req["action"].as_str().unwrap().to_string();
    let mut args = vec![answer[0], action.as_str()];
    args.extend(&answer[1..]);
    r.ok(&args);
    let out = child.wait_with_output().unwrap();
    (action, permission(&out.stdout))
}

#[test]
fn allowing_a_held_write_writes_the_rule_in_its_own_commit_and_the_next_one_runs_by_policy() {
    let r = Repo::initialised();
    // The user's own work in progress: a staged new file and an unstaged
    // edit. Neither may end up in leash's commit.
    r.write("staged.txt", "staged\n");
    r.git(&["add", "staged.txt"]);
    r.write("README.md", "edited, not staged\n");
    let before = r.head();

    // `operations/**` is high, and high is manual: the write is held.
    let input = write(&r, "sess-1", "toolu_1", "operations/notes/a.md");
    let (action, said) = held_and_answered(&r, &input, &["allow"]);
    assert_eq!(said, "allow");

    // Shown first, nothing written.
    let shown = r.ok(&["rules", "add", "--from", &action]);
    assert!(
        shown.stdout.contains(
            "[[risk]]\npaths = [\"operations/notes/**\"]\nclass = \"medium\"\nlower = true"
        ),
        "{}",
        shown.stdout
    );
    assert_eq!(r.head(), before);

    let added = r
        .ok(&["rules", "add", "--from", &action, "--yes", "--json"])
        .json();
    assert_eq!(added["title"], "allow operations/notes/** as medium");
    let commit = added["commit"].as_str().unwrap().to_string();
    assert_eq!(r.head(), commit);
    assert_eq!(r.git(&["rev-parse", "HEAD~1"]), before);
    assert_eq!(
        r.git(&["show", "--name-only", "--format=", "HEAD"]),
        ".leash/config.toml"
    );
    let message = r.git(&["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("leash: allow operations/notes/** as medium\n"),
        "{message}"
    );
    assert!(
        message.ends_with(&format!("Leash-Rule: {action}")),
        "{message}"
    );
    // The working file and the index hold the commit's config; the user's
    // changes are as they were.
    assert!(r.read(".leash/config.toml").ends_with("lower = true\n"));
    let status = r.git(&["status", "--porcelain"]);
    assert_eq!(status, "M README.md\nA  staged.txt", "{status}");
    assert_eq!(r.read("README.md"), "edited, not staged\n");
    let rule_added = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "rule_added")
        .expect("rule_added is journaled");
    assert_eq!(rule_added["commit"], json!(commit));
    assert_eq!(rule_added["from"], json!([action]));
    assert_eq!(rule_added["by"], "operator");

    // A new session, no console open: the same write runs by policy.
    let again = write(&r, "sess-2", "toolu_2", "operations/notes/a.md");
    assert_eq!(call(&r, &again), "allow");
    let (req, dec) = decided(&r, "toolu_2");
    assert_eq!(req["needs"], "none");
    assert_eq!(req["risk"], "medium");
    assert_eq!(
        (&dec["decision"], &dec["by"]),
        (&json!("allow"), &json!("policy"))
    );
    // Only that kind: the rest of operations/ is still held (and denied,
    // with nobody there to answer).
    let other = write(&r, "sess-2", "toolu_3", "operations/b.md");
    assert_eq!(call(&r, &other), "deny");
    let (req, _) = decided(&r, "toolu_3");
    assert_eq!(req["needs"], "approval");
    // Allowed and covered now: no longer proposed.
    let suggested = r.ok(&["rules", "suggest", "--json"]).json();
    assert_eq!(suggested, json!([]), "{suggested}");
}

#[test]
fn an_allowed_command_proposes_its_pattern_and_suggest_lists_it() {
    let r = Repo::initialised();
    let input = bash(&r, "sess-1", "toolu_1", "git push origin wip");
    let (action, said) = held_and_answered(&r, &input, &["allow"]);
    assert_eq!(said, "allow");
    let suggested = r.ok(&["rules", "suggest", "--json"]).json();
    assert_eq!(suggested[0]["direction"], "allow");
    assert_eq!(suggested[0]["commands"], json!(["git push origin wip"]));
    assert_eq!(suggested[0]["from"], json!([action]));
    let text = r.ok(&["rules", "suggest"]).stdout;
    assert!(
        text.contains("commands = [\"git push origin wip\"]"),
        "{text}"
    );
    r.ok(&["rules", "add", "--from", &action, "--yes"]);
    let again = bash(&r, "sess-2", "toolu_2", "git push origin wip");
    assert_eq!(call(&r, &again), "allow");
    let (_, dec) = decided(&r, "toolu_2");
    assert_eq!(dec["by"], "policy");
    // A push anywhere else is still held.
    let force = bash(&r, "sess-2", "toolu_3", "git push --force origin main");
    assert_eq!(call(&r, &force), "deny");
}

#[test]
fn three_denials_of_the_same_kind_propose_the_rule_that_raises_it() {
    let r = Repo::initialised();
    // Medium at manual: every write waits for the operator.
    let config = r
        .read(".leash/config.toml")
        .replace("medium = \"review\"", "medium = \"manual\"");
    r.write(".leash/config.toml", &config);
    r.git(&["commit", "-q", "-am", "medium waits"]);
    for (i, file) in ["drafts/a.md", "drafts/b.md"].iter().enumerate() {
        let input = write(&r, "sess-1", &format!("toolu_{i}"), file);
        let (_, said) = held_and_answered(&r, &input, &["deny", "--reason", "not drafts"]);
        assert_eq!(said, "deny");
    }
    // Two are not enough.
    let suggested = r.ok(&["rules", "suggest", "--json"]).json();
    assert_eq!(suggested, json!([]), "{suggested}");
    let input = write(&r, "sess-1", "toolu_9", "drafts/c.md");
    let (third, _) = held_and_answered(&r, &input, &["deny", "--reason", "not drafts"]);
    let suggested = r.ok(&["rules", "suggest", "--json"]).json();
    let s = &suggested[0];
    assert_eq!(s["direction"], "raise", "{suggested}");
    assert_eq!(s["paths"], json!(["drafts/**"]));
    assert_eq!(s["class"], "medium");
    assert_eq!(s["lower"], false);
    assert_eq!(s["from"].as_array().unwrap().len(), 3);
    assert!(
        s["toml"]
            .as_str()
            .unwrap()
            .ends_with("[[risk]]\npaths = [\"drafts/**\"]\nclass = \"medium\"\n")
    );
    // And it is written like the other kind.
    let added = r
        .ok(&["rules", "add", "--from", &third, "--yes", "--json"])
        .json();
    assert_eq!(added["title"], "raise drafts/** to medium");
    assert!(
        r.read(".leash/config.toml")
            .ends_with("paths = [\"drafts/**\"]\nclass = \"medium\"\n")
    );
}

#[test]
fn uncommitted_policy_edits_or_a_detached_head_refuse_and_change_nothing() {
    let r = Repo::initialised();
    let input = write(&r, "sess-1", "toolu_1", "operations/a/x.md");
    let (action, _) = held_and_answered(&r, &input, &["allow"]);
    let before = r.head();
    let edited = format!("{}\n# mine\n", r.read(".leash/config.toml"));
    r.write(".leash/config.toml", &edited);
    let refused = r.run(&["rules", "add", "--from", &action, "--yes"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains(".leash/config.toml has uncommitted edits"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("git restore"), "{}", refused.stderr);
    assert_eq!(r.head(), before);
    assert_eq!(r.read(".leash/config.toml"), edited);
    // Staged counts too.
    r.git(&["add", ".leash/config.toml"]);
    let refused = r.run(&["rules", "add", "--from", &action, "--yes"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    r.git(&["reset", "-q", "--hard"]);
    r.git(&["checkout", "-q", "--detach"]);
    let refused = r.run(&["rules", "add", "--from", &action, "--yes"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("HEAD is detached"),
        "{}",
        refused.stderr
    );
    assert_eq!(r.head(), before);
    // A protected write has nothing to propose, and says why.
    r.git(&["checkout", "-q", "main"]);
    let input = write(&r, "sess-1", "toolu_2", ".claude/settings.json");
    let (action, _) = held_and_answered(&r, &input, &["allow"]);
    let refused = r.run(&["rules", "add", "--from", &action]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("no rule can let it run alone"),
        "{}",
        refused.stderr
    );
}
