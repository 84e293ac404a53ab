//! Autonomy and fixes from the command line, through the real binary:
//! `leash init` says when `guarded` holds nothing back, `leash autonomy`
//! marks a level moved away from the committed policy and `--save` writes
//! the levels into `.leash/config.toml`, and `leash check --fix [--turn T]`
//! fixes a waiting turn itself and leaves no turn when nothing is fixed.

mod common;

use common::Repo;

const LAYOUT: &str = r#"
[[invariant]]
name = "memory layout"
kind = "layout"
root = "memory"
pattern = "YYYY-MM-DD/**"
fix = "YYYY-MM-DD/durable_notes.md"
"#;

#[test]
fn init_says_guarded_is_auto_without_invariants() {
    let r = Repo::new();
    let out = r.ok(&["init"]);
    assert!(
        out.stdout
            .contains("note: guarded = auto here: no invariants configured"),
        "{}",
        out.stdout
    );
    let json = {
        let r = Repo::new();
        r.ok(&["init", "--json"]).json()
    };
    assert!(
        json["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("guarded = auto here"),
        "{json}"
    );
    // With an invariant configured, `leash autonomy` says nothing of it.
    let shown = r.ok(&["autonomy"]);
    assert!(
        shown.stdout.contains("guarded = auto here"),
        "{}",
        shown.stdout
    );
    let config = r.read(".leash/config.toml") + LAYOUT;
    r.write(".leash/config.toml", &config);
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "policy"]);
    let shown = r.ok(&["autonomy"]);
    assert!(!shown.stdout.contains("guarded = auto"), "{}", shown.stdout);
}

#[test]
fn autonomy_marks_an_override_and_save_writes_it_into_the_config() {
    let r = Repo::initialised();
    let before = r.read(".leash/config.toml");
    let plain = r.ok(&["autonomy"]);
    assert!(!plain.stdout.contains("override"), "{}", plain.stdout);

    let moved = r.ok(&["autonomy", "medium", "guarded"]);
    assert!(
        moved
            .stdout
            .contains("medium  manual  review [guarded] auto   (override; committed: review)"),
        "{}",
        moved.stdout
    );
    assert!(
        moved.stdout.contains("`leash autonomy --save`"),
        "{}",
        moved.stdout
    );
    let json = r.ok(&["autonomy", "--json"]).json();
    assert_eq!(json["overrides"], serde_json::json!(["medium"]));
    assert_eq!(json["committed"]["medium"], "review");
    assert_eq!(json["medium"], "guarded");

    let saved = r.ok(&["autonomy", "--save"]);
    assert!(
        saved.stdout.contains("into .leash/config.toml; commit it"),
        "{}",
        saved.stdout
    );
    let after = r.read(".leash/config.toml");
    // Only the one value changed: every comment and other line is kept.
    let diff = r.git(&["diff", "-U0", "--", ".leash/config.toml"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed,
        ["-medium = \"review\"", "+medium = \"guarded\""],
        "{diff}"
    );
    assert_eq!(before.lines().count(), after.lines().count());
    // Until committed, the committed policy still says review.
    let json = r.ok(&["autonomy", "--json"]).json();
    assert_eq!(json["overrides"], serde_json::json!(["medium"]));
    r.git(&["commit", "-q", "-am", "leash autonomy"]);
    let json = r.ok(&["autonomy", "--json"]).json();
    assert_eq!(json["overrides"], serde_json::json!([]), "{json}");
    assert_eq!(json["committed"]["medium"], "guarded");
}

#[test]
fn save_adds_a_missing_autonomy_table_and_keeps_comments() {
    let r = Repo::new();
    r.write(
        ".leash/config.toml",
        "# our policy\ndefault_risk = \"low\" # keep\n\n[[risk]]\npaths = [\"ops/**\"]\nclass = \"high\"\n",
    );
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "policy"]);
    r.ok(&["autonomy", "high", "review"]);
    r.ok(&["autonomy", "--save"]);
    let text = r.read(".leash/config.toml");
    assert!(
        text.starts_with("# our policy\ndefault_risk = \"low\" # keep\n"),
        "{text}"
    );
    assert!(
        text.ends_with("[autonomy]\nlow = \"guarded\"\nmedium = \"review\"\nhigh = \"review\"\n"),
        "{text}"
    );

    // A value with a comment after it keeps the comment.
    let r = Repo::new();
    r.write(
        ".leash/config.toml",
        "[autonomy]\n# who decides\nlow = \"review\"   # careful\n\n[run]\n",
    );
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "policy"]);
    r.ok(&["autonomy", "low", "guarded"]);
    r.ok(&["autonomy", "--save"]);
    assert_eq!(
        r.read(".leash/config.toml"),
        "[autonomy]\n# who decides\nlow = \"guarded\"   # careful\nmedium = \"review\"\nhigh = \"manual\"\n\n[run]\n"
    );

    // Autonomy written as dotted keys is not edited by guesswork.
    let r = Repo::new();
    r.write(".leash/config.toml", "autonomy.low = \"review\"\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "policy"]);
    let out = r.run(&["autonomy", "--save"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("by hand"), "{}", out.stderr);
    assert_eq!(r.read(".leash/config.toml"), "autonomy.low = \"review\"\n");
}

fn layout_workspace() -> Repo {
    let r = Repo::new();
    r.ok(&["init"]);
    let config = r
        .read(".leash/config.toml")
        .replace("low = \"guarded\"", "low = \"review\"")
        + LAYOUT;
    r.write(".leash/config.toml", &config);
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "policy"]);
    r
}

#[test]
fn check_fix_with_nothing_to_fix_leaves_no_turn() {
    let r = layout_workspace();
    let out = r.ok(&["check", "--fix"]);
    assert!(out.stdout.contains("nothing to fix"), "{}", out.stdout);
    assert!(r.turns().is_empty(), "{:?}", r.turns());
    let kinds: Vec<String> = r
        .events()
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!kinds.contains(&"turn_created".to_string()), "{kinds:?}");
}

#[test]
fn check_fix_turn_fixes_a_waiting_turn_which_then_lands_whole_after_the_branch_moved() {
    let r = layout_workspace();
    r.ok(&[
        "run", "--risk", "low", "--", "sh", "-c",
        "mkdir -p memory && echo '# Notes' > memory/2026-02-13.md && echo 'See [n](memory/2026-02-13.md)' > index.md",
    ]);
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review", "{t}");
    let commit = t["commit"].as_str().unwrap().to_string();

    // Nothing fixable elsewhere: a turn that does not wait is refused.
    let out = r.run(&["check", "--fix", "--turn", "t9"]);
    assert_ne!(out.code, 0);

    let out = r.ok(&["check", "--fix", "--turn", "t1"]);
    assert!(
        out.stdout.contains("fixed memory layout in t1"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("every invariant passes now"),
        "{}",
        out.stdout
    );
    assert_eq!(r.turns().len(), 1, "no turn of its own");
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review", "{t}");
    assert_ne!(t["commit"].as_str().unwrap(), commit);
    assert_eq!(r.git(&["rev-parse", "refs/leash/unfixed/t1"]), commit);
    // Fixing it again finds nothing.
    let again = r.ok(&["check", "--fix", "--turn", "t1"]);
    assert!(
        again.stdout.contains("nothing to fix in t1"),
        "{}",
        again.stdout
    );

    // The branch moves; approving still lands the agent's work and the fix.
    r.write("other.md", "elsewhere\n");
    r.git(&["add", "other.md"]);
    r.git(&["commit", "-q", "-m", "meanwhile"]);
    r.ok(&["approve", "t1"]);
    assert_eq!(r.read("memory/2026-02-13/durable_notes.md"), "# Notes\n");
    assert!(!r.file("memory/2026-02-13.md").exists());
    assert_eq!(
        r.read("index.md"),
        "See [n](memory/2026-02-13/durable_notes.md)\n"
    );
    assert_eq!(r.read("other.md"), "elsewhere\n");
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(msg.contains("Leash-Fix: memory layout"), "{msg}");
    assert!(msg.contains("Leash-Turn: t1"), "{msg}");
}

#[test]
fn the_fix_turn_takes_a_new_id_when_a_lost_journal_left_a_turn_ref_behind() {
    let r = layout_workspace();
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo hi > a.md"]);
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    let kept = r.git(&["rev-parse", "refs/leash/turns/t1"]);
    // The journal is lost; the turn's commit is still kept by its ref.
    std::fs::remove_file(r.journal()).unwrap();
    r.write("memory/2026-02-13.md", "# Notes\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "notes out of place"]);

    let out = r.ok(&["check", "--fix"]);
    assert!(out.stdout.contains("memory layout"), "{}", out.stdout);
    let created: Vec<String> = r
        .events()
        .iter()
        .filter(|e| e["kind"] == "turn_created")
        .map(|e| e["turn"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(created, ["t2"], "{}", out.stdout);
    assert_eq!(r.git(&["rev-parse", "refs/leash/turns/t1"]), kept);
}
