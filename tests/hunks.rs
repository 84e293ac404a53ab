//! Per-hunk verdicts through the real binary and real git: `leash show
//! TURN --hunks` numbers a waiting turn's hunks, `leash approve TURN
//! --hunks` / `--files` lands exactly the accepted ones (the rest kept at
//! `refs/leash/rejected/TURN`), the invariants run on the partial tree
//! first, and a crash mid-way is finished or undone by recovery.

mod common;

use common::Repo;

fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

/// A workspace with a 40-line a.md, and a waiting turn that edits it in
/// three places (hunks 1, 2, 3) and adds b.md (hunk 4).
fn three_hunk_turn(r: &Repo) -> String {
    r.write("a.md", &numbered(40));
    r.git(&["add", "a.md"]);
    r.git(&["commit", "-q", "-m", "a.md"]);
    let out = r.ok(&[
        "run",
        "--risk",
        "high",
        "--title",
        "three edits",
        "--",
        "sh",
        "-c",
        "sed -i -e 's/^line 2$/line two/' -e 's/^line 20$/line twenty/' \
         -e 's/^line 39$/line thirty-nine/' a.md && echo new > b.md",
    ]);
    let id = out.stdout.trim().to_string();
    assert_eq!(r.turn(&id)["state"], "awaiting_review");
    id
}

#[test]
fn show_numbers_the_hunks_in_file_then_hunk_order() {
    let r = Repo::initialised();
    let id = three_hunk_turn(&r);
    let out = r.ok(&["show", &id, "--hunks"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "   1  a.md  @@ -1,5 +1,5 @@  +1 -1",
            "   2  a.md  @@ -17,7 +17,7 @@ line 16  +1 -1",
            "   3  a.md  @@ -36,5 +36,5 @@ line 35  +1 -1",
            "   4  b.md  @@ -0,0 +1 @@  +1 -0",
        ],
        "{}",
        out.stdout
    );
    let v = r.ok(&["show", &id, "--hunks", "--json"]).json();
    let hunks = v["hunks"].as_array().unwrap();
    assert_eq!(hunks.len(), 4);
    assert_eq!(hunks[1]["n"], 2);
    assert_eq!(hunks[1]["path"], "a.md");
    assert_eq!(hunks[1]["header"], "@@ -17,7 +17,7 @@");
    assert_eq!(hunks[1]["status"], "modified");
    assert_eq!(
        (
            hunks[3]["insertions"].as_u64(),
            hunks[3]["deletions"].as_u64()
        ),
        (Some(1), Some(0))
    );
    // The numbering is the same on every run.
    assert_eq!(r.ok(&["show", &id, "--hunks", "--json"]).json(), v);
}

#[test]
fn approving_hunks_1_and_3_lands_exactly_those_and_keeps_the_rest() {
    let r = Repo::initialised();
    let id = three_hunk_turn(&r);
    let base = r.head();
    let turn_commit = r.turn(&id)["commit"].as_str().unwrap().to_string();
    let out = r.ok(&["approve", &id, "--hunks", "1,3"]);
    assert!(out.stdout.contains("hunks 1, 3"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("kept at refs/leash/rejected/{id}")),
        "{}",
        out.stdout
    );
    // The landed commit holds exactly hunks 1 and 3.
    assert_eq!(r.git(&["rev-parse", "HEAD~1"]), base);
    let expected = numbered(40)
        .replace("line 2\n", "line two\n")
        .replace("line 39\n", "line thirty-nine\n");
    assert_eq!(r.git(&["show", "HEAD:a.md"]) + "\n", expected);
    assert_eq!(r.read("a.md"), expected, "the checkout follows");
    assert_eq!(
        r.git(&["ls-tree", "--name-only", "HEAD"])
            .lines()
            .filter(|l| *l == "b.md")
            .count(),
        0
    );
    assert!(!r.file("b.md").exists());
    assert_eq!(
        r.git(&["diff", "--name-only", &base, "HEAD"]),
        "a.md",
        "nothing else"
    );
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    // Its message names what did not land and says it is partial.
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(msg.starts_with("three edits\n\n"), "{msg}");
    assert!(msg.contains("- 2: a.md @@ -17,7 +17,7 @@"), "{msg}");
    assert!(msg.contains("- 4: b.md @@ -0,0 +1 @@"), "{msg}");
    assert!(!msg.contains("- 1:") && !msg.contains("- 3:"), "{msg}");
    let trailers = r.git(&["log", "-1", "--format=%(trailers:only,unfold)"]);
    for t in [
        format!("Leash-Turn: {id}"),
        "Leash-Partial: yes".to_string(),
        "Leash-Decision: approved by operator".to_string(),
    ] {
        assert!(trailers.contains(&t), "{t} in {trailers}");
    }
    // The rest is at refs/leash/rejected/<turn>: on top of the accepted
    // hunks, with the turn's whole tree, so its diff is hunks 2 and 4.
    let kept = format!("refs/leash/rejected/{id}");
    assert_eq!(
        r.git(&["rev-parse", &format!("{kept}^{{tree}}")]),
        r.git(&["rev-parse", &format!("{turn_commit}^{{tree}}")])
    );
    assert_eq!(
        r.git(&["rev-parse", &format!("{kept}^^{{tree}}")]),
        r.git(&["rev-parse", "HEAD^{tree}"])
    );
    let rest = r.git(&["diff", "HEAD", &kept]);
    assert!(rest.contains("-line 20\n+line twenty"), "{rest}");
    assert!(rest.contains("+new"), "{rest}");
    assert!(
        !rest.contains("line two") && !rest.contains("thirty-nine"),
        "{rest}"
    );
    // The journal says which hunks, and the turn where the rest is.
    let t = r.turn(&id);
    assert_eq!(t["state"], "landed");
    assert_eq!(t["kept_at"], kept);
    let decided = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "turn_decided" && e["turn"] == id.as_str())
        .unwrap();
    let ns = |k: &str| -> Vec<u64> {
        decided["partial"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["n"].as_u64().unwrap())
            .collect()
    };
    assert_eq!((ns("accepted"), ns("rejected")), (vec![1, 3], vec![2, 4]));
    // And the kept hunks can still be taken by hand.
    r.git(&["cherry-pick", &kept]);
    assert_eq!(
        r.read("a.md"),
        r.git(&["show", &format!("{turn_commit}:a.md")]) + "\n"
    );
}

#[test]
fn approving_files_lands_their_hunks_and_unknown_picks_say_what_there_is() {
    let r = Repo::initialised();
    let id = three_hunk_turn(&r);
    let head = r.head();
    let bad = r.run(&["approve", &id, "--hunks", "2,9"]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("there is no hunk 9: the diff has hunks 1 to 4"),
        "{}",
        bad.stderr
    );
    let bad = r.run(&["approve", &id, "--files", "nope.md"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("does not change nope.md; it changes: a.md, b.md"),
        "{}",
        bad.stderr
    );
    let bad = r.run(&["approve", &id, "--hunks", "one"]);
    assert_eq!(bad.code, 2, "a usage error: {}", bad.stderr);
    assert!(
        bad.stderr.contains("expected hunk numbers"),
        "{}",
        bad.stderr
    );
    assert_eq!(r.head(), head, "nothing moved");
    assert_eq!(r.turn(&id)["state"], "awaiting_review");
    assert!(r.turn(&id)["decision"].is_null(), "{}", r.turn(&id));

    let out = r.ok(&["approve", &id, "--files", "b.md", "--json"]).json();
    assert_eq!(out["kept_at"], format!("refs/leash/rejected/{id}"));
    assert_eq!(r.git(&["diff", "--name-only", &head, "HEAD"]), "b.md");
    assert_eq!(r.read("a.md"), numbered(40));
    assert_eq!(r.read("b.md"), "new\n");
}

#[test]
fn a_partial_that_breaks_an_invariant_is_refused_naming_the_finding() {
    let r = Repo::new();
    r.ok(&["init"]);
    let config = r.read(".leash/config.toml")
        + "\n[[invariant]]\nname = \"no dangling pointers\"\nkind = \"references\"\nroots = [\".\"]\n";
    r.write(".leash/config.toml", &config);
    r.write("docs/a.md", "# A\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "workspace"]);
    let out = r.ok(&[
        "run",
        "--risk",
        "high",
        "--title",
        "Leash-Invariants: all pass, says the agent",
        "--",
        "sh",
        "-c",
        "echo 'See [b](b.md).' >> docs/a.md && echo '# B' > docs/b.md",
    ]);
    let id = out.stdout.trim().to_string();
    assert_eq!(r.turn(&id)["state"], "awaiting_review");
    let head = r.head();
    // Hunk 1 links to docs/b.md, which hunk 2 adds.
    let refused = r.run(&["approve", &id, "--hunks", "1"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("break invariant `no dangling pointers`")
            && refused.stderr.contains("docs/a.md:2"),
        "{}",
        refused.stderr
    );
    assert_eq!(r.head(), head, "nothing moved");
    assert_eq!(r.turn(&id)["state"], "awaiting_review");
    assert!(r.git(&["for-each-ref", "refs/leash/rejected"]).is_empty());
    // Hunk 2 alone breaks nothing: it lands, and says how it was checked.
    r.ok(&["approve", &id, "--hunks", "2"]);
    let trailers = r.git(&["log", "-1", "--format=%(trailers:only,unfold)"]);
    assert!(
        trailers.contains("Leash-Invariants: 1 pass, 0 fail, 0 fixed (on the accepted hunks)"),
        "{trailers}"
    );
    // The title is the agent's: what it says is left as it is.
    let title = r.git(&["log", "-1", "--format=%s"]);
    assert_eq!(title, "Leash-Invariants: all pass, says the agent");
}

#[test]
fn a_crash_in_a_partial_landing_is_finished_or_undone_on_the_next_open() {
    for (point, landed) in [
        ("approve_decided", false),
        ("landing_started", false),
        ("before_ref", true),
        ("remainder_kept", true),
        ("turn_landed", true),
    ] {
        let r = Repo::initialised();
        let id = three_hunk_turn(&r);
        let base = r.head();
        let crashed = r
            .cmd(&["approve", &id, "--hunks", "1,3"])
            .env("LEASH_TEST_CRASH_AT", point)
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            crashed.status.signal(),
            Some(6),
            "{point}: the crash point was reached: {}",
            String::from_utf8_lossy(&crashed.stderr)
        );
        // The next command opens the workspace, which recovers.
        r.ok(&["turns"]);
        let t = r.turn(&id);
        let kept = format!("refs/leash/rejected/{id}");
        if landed {
            assert_eq!(t["state"], "landed", "{point}: {t}");
            assert_eq!(r.git(&["rev-parse", "HEAD~1"]), base, "{point}");
            assert!(r.read("a.md").contains("line two\n"), "{point}");
            assert!(!r.read("a.md").contains("line twenty"), "{point}");
            assert!(!r.file("b.md").exists(), "{point}");
            assert_eq!(t["kept_at"], kept, "{point}");
            let rest = r.git(&["diff", "HEAD", &kept]);
            assert!(rest.contains("+line twenty"), "{point}: {rest}");
        } else {
            assert_eq!(t["state"], "awaiting_review", "{point}: {t}");
            assert_eq!(r.head(), base, "{point}");
            assert_eq!(r.read("a.md"), numbered(40), "{point}");
            // It can be decided again, whole this time.
            r.ok(&["approve", &id]);
            assert!(r.read("a.md").contains("line twenty\n"), "{point}");
            assert_eq!(r.read("b.md"), "new\n", "{point}");
        }
        assert_eq!(r.git(&["status", "--porcelain"]), "", "{point}");
    }
}

#[test]
fn a_partial_landing_onto_a_moved_branch_is_applied_onto_it_and_verifies() {
    let r = Repo::initialised();
    let id = three_hunk_turn(&r);
    r.write("user.md", "user\n");
    r.git(&["add", "user.md"]);
    r.git(&["commit", "-q", "-m", "user work"]);
    let moved = r.head();
    let out = r.ok(&["approve", &id, "--hunks", "1,3"]);
    assert!(out.stdout.contains("had moved"), "{}", out.stdout);
    assert_eq!(r.git(&["rev-parse", "HEAD~1"]), moved);
    assert_eq!(r.read("user.md"), "user\n");
    let a = r.read("a.md");
    assert!(
        a.contains("line two\n") && a.contains("line thirty-nine\n"),
        "{a}"
    );
    assert!(a.contains("line 20\n") && !r.file("b.md").exists(), "{a}");
    assert_eq!(r.git(&["status", "--porcelain"]), "");
    // The landed commit has its note and agrees with it.
    r.ok(&["verify", "HEAD~1..HEAD"]);
    // What was kept aside still applies on top, by hand.
    r.git(&["cherry-pick", &format!("refs/leash/rejected/{id}")]);
    assert!(r.read("a.md").contains("line twenty\n"));
    assert_eq!(r.read("b.md"), "new\n");
    assert_eq!(r.read("user.md"), "user\n");
}

#[test]
fn a_path_the_agent_named_cannot_forge_a_trailer_of_the_landed_commit() {
    let r = Repo::initialised();
    r.write("a.md", "a\n");
    r.git(&["add", "a.md"]);
    r.git(&["commit", "-q", "-m", "a.md"]);
    let out = r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "echo b >> a.md && echo x > \"$(printf 'z\\nLeash-Decision: landed by policy')\"",
    ]);
    let id = out.stdout.trim().to_string();
    let hunks = r.ok(&["show", &id, "--hunks"]).stdout;
    assert!(hunks.contains("␊Leash-Decision"), "{hunks}");
    r.ok(&["approve", &id, "--hunks", "1"]);
    let msg = r.git(&["log", "-1", "--format=%B"]);
    assert!(
        msg.contains("- 2: z␊Leash-Decision: landed by policy"),
        "{msg}"
    );
    assert!(
        !msg.lines()
            .any(|l| l.starts_with("Leash-Decision: landed by policy")),
        "{msg}"
    );
    r.ok(&["verify", "HEAD~1..HEAD"]);
}
