//! Invariants in the life of a workspace, through the real binary: checked
//! on every turn's tree before policy, introduced told from inherited,
//! re-checked on the merged tree, `leash check [--fix]`, degraded checks.
//! (Each kind's findings are unit-tested in src/invariants/.)

mod common;

use common::Repo;

const CONFIG: &str = r#"
[[invariant]]
name = "no dangling pointers"
kind = "references"
roots = ["."]

[[invariant]]
name = "memory layout"
kind = "layout"
root = "memory"
pattern = "YYYY-MM-DD/**"
fix = "YYYY-MM-DD/durable_notes.md"

[[invariant]]
name = "slow check"
kind = "command"
command = ["sh", "-c", "test ! -e hang.md || sleep 30"]
timeout = "1s"
"#;

fn workspace() -> Repo {
    let r = Repo::new();
    r.ok(&["init"]);
    let config = r.read(".leash/config.toml") + CONFIG;
    r.write(".leash/config.toml", &config);
    r.write("docs/a.md", "# A\n\nSee [b](b.md).\n");
    r.write("docs/b.md", "# B\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "workspace"]);
    r
}

#[test]
fn a_guarded_turn_that_adds_a_dangling_reference_waits_and_says_why() {
    let r = workspace();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo 'See [gone](gone.md) and `docs/nope.md`.' > docs/c.md",
    ]);
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review", "{t}");
    assert_eq!(t["failure"], "dangling_reference");
    let show = r.ok(&["show", "t1", "--json"]).json();
    let refs = show["invariants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "no dangling pointers")
        .unwrap()
        .clone();
    assert_eq!(refs["outcome"], "fail");
    let findings: Vec<String> = refs["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{} {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["target"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        findings,
        ["docs/c.md:1 gone.md", "docs/c.md:1 docs/nope.md"]
    );
    assert_eq!(
        show["introduced"],
        serde_json::json!(["no dangling pointers"])
    );
    let checked = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "invariants_checked")
        .unwrap();
    assert_eq!(checked["turn"], "t1");

    // A clean guarded turn lands, with the results in its trailers.
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo ok > docs/d.md",
    ]);
    assert_eq!(r.turn("t2")["state"], "landed");
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(
        msg.contains("Leash-Invariants: 3 pass, 0 fail, 0 fixed"),
        "{msg}"
    );
}

#[test]
fn an_inherited_failure_is_not_the_turns_but_still_holds_a_guarded_landing() {
    let r = workspace();
    r.write("docs/broken.md", "[x](missing.md)\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "already broken"]);
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo fine > docs/e.md",
    ]);
    let t = r.turn("t1");
    assert!(
        t["failure"].is_null(),
        "not a dangling pointer of this turn: {t}"
    );
    assert_eq!(
        t["state"], "awaiting_review",
        "guarded lands only if every invariant passes"
    );
    let show = r.ok(&["show", "t1", "--json"]).json();
    assert_eq!(show["introduced"], serde_json::json!([]));
    assert!(
        show["reason"]
            .as_str()
            .unwrap()
            .contains("no dangling pointers")
    );
}

#[test]
fn a_hanging_check_is_degraded_never_a_pass() {
    let r = workspace();
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo x > hang.md"]);
    let show = r.ok(&["show", "t1", "--json"]).json();
    let slow = show["invariants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "slow check")
        .unwrap()
        .clone();
    assert_eq!(slow["outcome"], "degraded");
    assert!(
        slow["detail"].as_str().unwrap().contains("timed out"),
        "{slow}"
    );
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
}

#[test]
fn check_names_the_flat_memory_file_and_fix_commits_a_rollbackable_turn() {
    let r = workspace();
    r.write("memory/2026-02-13.md", "# Notes\n");
    r.write(
        "docs/index.md",
        "Yesterday: [notes](../memory/2026-02-13.md)\n",
    );
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "a flat note"]);
    let out = r.run(&["check"]);
    assert_eq!(out.code, 1, "a failing check exits 1");
    assert!(out.stdout.contains("✗ memory layout"), "{}", out.stdout);
    assert!(
        out.stdout.contains("memory/2026-02-13.md"),
        "{}",
        out.stdout
    );
    let json = r.run(&["check", "--json"]).json();
    assert_eq!(json["summary"], "2 ✓ 1 ✗");

    let fixed = r.ok(&["check", "--fix"]);
    assert!(
        fixed.stdout.contains("fixed memory layout"),
        "{}",
        fixed.stdout
    );
    assert_eq!(r.read("memory/2026-02-13/durable_notes.md"), "# Notes\n");
    assert!(!r.file("memory/2026-02-13.md").exists());
    assert_eq!(
        r.read("docs/index.md"),
        "Yesterday: [notes](../memory/2026-02-13/durable_notes.md)\n"
    );
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(msg.contains("Leash-Fix: memory layout"), "{msg}");
    assert!(msg.contains("Leash-Turn: t1"), "{msg}");
    // No agent made it: no Assisted-by; its note says what landed it.
    assert!(!msg.contains("Assisted-by"), "{msg}");
    let note = r.git(&["notes", "--ref", "leash", "show", "HEAD"]);
    assert!(note.contains("\"landed\": \"fix\""), "{note}");
    assert_eq!(r.git(&["status", "--porcelain"]), "");

    // The fix is a turn: it rolls back like one.
    r.ok(&["rollback", "t1"]);
    assert!(r.file("memory/2026-02-13.md").exists());
    assert_eq!(r.run(&["check"]).code, 1);
}

#[test]
fn the_merged_tree_is_checked_again_when_the_branch_moved() {
    let r = workspace();
    // The turn's script plays the colleague who moves the branch meanwhile:
    // it writes into the main repository, which confinement would refuse.
    let config = r.read(".leash/config.toml").replacen(
        "\n# confine = \"require\"\n",
        "\nconfine = \"off\"\n",
        1,
    );
    assert!(config.contains("\nconfine = \"off\"\n"));
    r.write(".leash/config.toml", &config);
    r.git(&[
        "commit",
        "-qam",
        "no confinement: the script moves the branch",
    ]);
    // The agent links to docs/b.md, while someone removes docs/b.md on the
    // branch: each tree alone is fine, the merged one dangles.
    r.ok(&[
        "run", "--risk", "low", "--", "sh", "-c",
        "echo 'More: [b](b.md)' > docs/more.md && git -C \"$LEASH_WORKSPACE\" rm -q docs/b.md docs/a.md && git -C \"$LEASH_WORKSPACE\" commit -qm 'drop b'",
    ]);
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review", "{t}");
    assert_eq!(t["failure"], "concurrent_drift");
    let aborted = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "landing_aborted")
        .unwrap();
    assert!(
        aborted["reason"]
            .as_str()
            .unwrap()
            .contains("no dangling pointers"),
        "{aborted}"
    );
    assert!(!r.file("docs/more.md").exists(), "nothing landed");
}

#[test]
fn check_results_survive_a_restart() {
    let r = workspace();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo '[y](nowhere.md)' > docs/x.md",
    ]);
    let first = r.ok(&["show", "t1", "--json"]).json()["invariants"].clone();
    // A new process folds the same history from the journal.
    let again = r.ok(&["show", "t1", "--json"]).json()["invariants"].clone();
    assert_eq!(first, again);
    assert_eq!(first.as_array().unwrap().len(), 3);
    let log = r.ok(&["log"]).stdout;
    assert!(log.contains("invariants_checked"), "{log}");
    assert!(log.contains("failing: no dangling pointers"), "{log}");
}

#[test]
fn many_findings_live_beside_the_journal_and_every_reader_still_gets_them_all() {
    let r = workspace();
    let journal = r.path().join(".git/leash/journal.jsonl");
    let size = || std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    // A turn that adds 40 dangling links.
    let links: String = (0..40)
        .map(|i| format!("See [x{i}](gone{i}.md).\\n"))
        .collect();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        &format!("printf '{links}' > docs/many.md"),
    ]);
    let refs = |v: &serde_json::Value| {
        v["invariants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "no dangling pointers")
            .unwrap()
            .clone()
    };
    // The journal keeps the first few and the count (as `turns --json`
    // lists them); show lists all 40.
    let listed = r.turns().into_iter().find(|t| t["id"] == "t1").unwrap();
    let kept = refs(&listed);
    assert_eq!(kept["findings"].as_array().unwrap().len(), 5, "{kept}");
    assert_eq!(kept["findings_total"], 40, "{kept}");
    let shown = refs(&r.ok(&["show", "t1", "--json"]).json());
    assert_eq!(shown["findings"].as_array().unwrap().len(), 40, "{shown}");
    let file = r.turn("t1")["invariants_findings"]
        .as_str()
        .expect("the turn names its findings' file")
        .to_string();
    assert!(
        r.path()
            .join(format!(".git/leash/checks/{file}.json"))
            .is_file()
    );

    // `leash check` on a checkout with those 40: all in its output, and the
    // journal grows by well under 2 KB.
    r.write("docs/many.md", &links.replace("\\n", "\n"));
    let before = size();
    let out = r.run(&["check", "--json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let checked: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let all = checked["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "no dangling pointers")
        .unwrap()["findings"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(all, 40);
    let grew = size() - before;
    assert!(grew < 2048, "one check added {grew} bytes to the journal");

    // A damaged file is not trusted: show falls back to what the journal kept.
    std::fs::write(
        r.path().join(format!(".git/leash/checks/{file}.json")),
        "[]",
    )
    .unwrap();
    let shown = refs(&r.ok(&["show", "t1", "--json"]).json());
    assert_eq!(shown["findings"].as_array().unwrap().len(), 5, "{shown}");
    assert_eq!(shown["findings_total"], 40);
}
