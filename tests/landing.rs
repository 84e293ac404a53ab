//! Landing and rolling back when the world moved: drift, conflicts, local
//! edits, and two operators deciding at once.

mod common;

use common::Repo;

fn waiting_turn(r: &Repo, script: &str) -> String {
    let out = r.ok(&["run", "--risk", "high", "--", "sh", "-c", script]);
    let id = out.stdout.trim().to_string();
    assert_eq!(r.turn(&id)["state"], "awaiting_review");
    id
}

#[test]
fn landing_after_the_branch_moved_cherry_picks_and_reports_drift() {
    let r = Repo::initialised();
    let id = waiting_turn(&r, "echo turn > turn.md");
    r.write("user.md", "user\n");
    r.git(&["add", "user.md"]);
    r.git(&["commit", "-q", "-m", "user work"]);
    let moved = r.head();
    let out = r.ok(&["approve", &id]);
    assert!(out.stdout.contains("had moved"), "{}", out.stdout);
    assert_eq!(
        r.git(&["rev-parse", "HEAD~1"]),
        moved,
        "applied onto the moved head"
    );
    assert_eq!(r.read("turn.md"), "turn\n");
    assert_eq!(r.read("user.md"), "user\n");
    let t = r.turn(&id);
    assert_eq!(t["state"], "landed");
    assert_eq!(t["drift_from"].as_str().unwrap(), moved);
    assert_eq!(r.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_conflict_with_the_moved_branch_is_concurrent_drift_and_changes_nothing() {
    let r = Repo::initialised();
    let id = waiting_turn(&r, "echo 'turn line' > README.md");
    r.write("README.md", "user line\n");
    r.git(&["commit", "-q", "-am", "user edit"]);
    let head = r.head();
    let out = r.run(&["approve", &id]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("conflict in: README.md"),
        "{}",
        out.stderr
    );
    assert_eq!(r.head(), head);
    assert_eq!(r.read("README.md"), "user line\n");
    let t = r.turn(&id);
    assert_eq!(t["state"], "awaiting_review");
    assert_eq!(t["failure"], "concurrent_drift");
    // The refusal withdrew the approval: the operator can still reject.
    r.ok(&["reject", &id, "--reason", "superseded"]);
}

#[test]
fn landing_refused_by_a_local_edit_moves_nothing() {
    let r = Repo::initialised();
    let id = waiting_turn(&r, "echo 'turn line' > README.md && echo new > new.md");
    r.write("README.md", "my unsaved work\n");
    let head = r.head();
    let out = r.run(&["approve", &id]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("local edits would be overwritten"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("README.md"), "{}", out.stderr);
    assert_eq!(r.head(), head, "the branch did not move");
    assert_eq!(
        r.read("README.md"),
        "my unsaved work\n",
        "the edit is intact"
    );
    assert!(
        !r.file("new.md").exists(),
        "no file of the turn was written"
    );
    assert_eq!(r.turn(&id)["state"], "awaiting_review");
    let aborted = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "landing_aborted")
        .unwrap();
    assert!(aborted["reason"].as_str().unwrap().contains("README.md"));

    // Once the edit is put away, the same approval goes through.
    r.git(&["checkout", "--", "README.md"]);
    r.ok(&["approve", &id]);
    assert_eq!(r.read("README.md"), "turn line\n");
}

#[test]
fn an_untracked_file_in_the_way_is_a_local_edit_too() {
    let r = Repo::initialised();
    let id = waiting_turn(&r, "echo turn > clash.md");
    r.write("clash.md", "mine\n");
    let out = r.run(&["approve", &id]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("clash.md"), "{}", out.stderr);
    assert_eq!(r.read("clash.md"), "mine\n");
}

#[test]
fn two_processes_deciding_the_same_turn_exactly_one_wins() {
    for round in 0..3 {
        let r = Repo::initialised();
        let id = waiting_turn(&r, &format!("echo {round} > race.md"));
        let a = r
            .cmd(&["approve", &id])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let b = r
            .cmd(&["reject", &id, "--reason", "race"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let a = a.wait_with_output().unwrap();
        let b = b.wait_with_output().unwrap();
        let codes = [a.status.code().unwrap(), b.status.code().unwrap()];
        assert!(
            codes == [0, 1] || codes == [1, 0],
            "exactly one wins: {codes:?}\n{}\n{}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        );
        let loser = if codes[0] == 1 { &a } else { &b };
        assert!(
            String::from_utf8_lossy(&loser.stderr).contains("already decided"),
            "{}",
            String::from_utf8_lossy(&loser.stderr)
        );
        let decided = r
            .events()
            .into_iter()
            .filter(|e| e["kind"] == "turn_decided")
            .count();
        assert_eq!(decided, 1, "one decision in the journal");
        let state = r.turn(&id)["state"].clone();
        assert!(state == "landed" || state == "rejected", "{state}");
    }
}

#[test]
fn two_approvals_at_once_land_once() {
    let r = Repo::initialised();
    let id = waiting_turn(&r, "echo once > once.md");
    let spawn = || {
        r.cmd(&["approve", &id])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let mut codes = [
        a.wait_with_output().unwrap().status.code().unwrap(),
        b.wait_with_output().unwrap().status.code().unwrap(),
    ];
    codes.sort();
    assert_eq!(codes, [0, 1]);
    assert_eq!(
        r.git(&["rev-list", "--count", "HEAD"]),
        "3",
        "init, leash init, one landing"
    );
}

#[test]
fn rollback_refused_when_a_later_turn_changed_the_same_lines() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo first > README.md",
    ]);
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo second > README.md",
    ]);
    assert_eq!(r.turn("t1")["state"], "landed");
    assert_eq!(r.turn("t2")["state"], "landed");
    let head = r.head();
    let out = r.run(&["rollback", "t1"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("README.md"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("t2 changed these lines later (README.md); roll back t2 first"),
        "the refusal names the turn that blocks it: {}",
        out.stderr
    );
    assert_eq!(r.head(), head);
    assert_eq!(r.read("README.md"), "second\n");
    assert_eq!(r.turn("t1")["state"], "landed");
    // Rolling back the later turn first works, and then the earlier one.
    r.ok(&["rollback", "t2"]);
    r.ok(&["rollback", "t1"]);
    assert_eq!(r.read("README.md"), "original line\n");
}

#[test]
fn rollback_of_an_older_turn_keeps_later_unrelated_work() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo a > a.md"]);
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo b > b.md"]);
    r.ok(&["rollback", "t1"]);
    assert!(!r.file("a.md").exists());
    assert_eq!(r.read("b.md"), "b\n");
}

#[test]
fn rollback_is_refused_by_a_local_edit_of_a_file_it_would_restore() {
    let r = Repo::initialised();
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo a > a.md"]);
    r.write("a.md", "edited by hand\n");
    let head = r.head();
    let out = r.run(&["rollback", "t1"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("a.md"), "{}", out.stderr);
    assert_eq!(r.head(), head);
    assert_eq!(r.read("a.md"), "edited by hand\n");
    assert_eq!(r.turn("t1")["state"], "landed");
}

#[test]
fn a_turn_waits_on_a_branch_the_user_left_and_lands_there_without_touching_the_checkout() {
    let r = Repo::initialised();
    let id = waiting_turn(&r, "echo t > t.md");
    r.git(&["checkout", "-q", "-b", "other"]);
    r.ok(&["approve", &id]);
    assert!(
        !r.file("t.md").exists(),
        "the checkout is on another branch"
    );
    assert_eq!(r.git(&["show", "main:t.md"]), "t");
    assert_eq!(r.git(&["rev-parse", "--abbrev-ref", "HEAD"]), "other");
}
