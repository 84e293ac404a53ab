//! Notes that travel and `leash verify`: every landed commit carries its
//! record under refs/notes/leash, a clone that fetched the notes can check
//! the branch without a journal, and a forged trailer, a forged receipt or
//! an unsigned one (when signatures are required) fails the check.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Repo, Run, git};
use serde_json::Value;

/// The note of `rev` in `dir`, parsed.
fn note(dir: &Path, rev: &str) -> Value {
    let text = git(dir, &["notes", "--ref", "leash", "show", rev]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// `leash` run in any folder (a clone), with the repo's data dir.
fn leash_in(r: &Repo, dir: &Path, args: &[&str]) -> Run {
    let o = r.cmd(args).current_dir(dir).output().expect("leash runs");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A repository that never signs, whatever the machine's git says.
fn unsigned_repo() -> Repo {
    let r = Repo::initialised();
    r.git(&["config", "gpg.format", "openpgp"]);
    r
}

#[test]
fn every_landed_commit_has_its_note_and_the_trailers_say_who_assisted() {
    let r = unsigned_repo();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "printf 'one\\ntwo\\n' > a.md",
    ]);
    let t1 = r.turn("t1");
    assert_eq!(t1["state"], "landed");
    let landed = t1["landed_commit"].as_str().unwrap().to_string();
    let message = r.git(&["log", "-1", "--format=%B", &landed]);
    assert!(message.contains("Leash-Turn: t1\n"), "{message}");
    assert!(message.contains("Assisted-by: sh:unknown\n"), "{message}");
    assert!(!message.contains("Co-authored-by"), "{message}");

    let n = note(r.path(), &landed);
    assert_eq!(n["schema"], "leash.note/1");
    assert_eq!(n["turn"], "t1");
    assert_eq!(n["landed"], "isolated");
    assert_eq!(n["vcs"]["revision"], landed.as_str());
    assert_eq!(
        n["tree"].as_str().unwrap(),
        r.git(&["rev-parse", &format!("{landed}^{{tree}}")])
    );
    assert_eq!(n["receipt"]["by"], "policy");
    assert_eq!(n["receipt"]["risk"], "low");
    assert_eq!(n["receipt"]["autonomy"], "guarded");
    assert!(n["receipt"]["decided"].as_str().is_some());
    assert_eq!(n["files"][0]["path"], "a.md");
    let range = &n["files"][0]["conversations"][0]["ranges"][0];
    assert_eq!(
        (range["start_line"].as_u64(), range["end_line"].as_u64()),
        (Some(1), Some(2))
    );

    // An operator's approval, then a rollback: each commit has its own note.
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo b > b.md"]);
    r.ok(&["approve", "t2", "--reason", "looked at it"]);
    let t2 = r.turn("t2");
    let n2 = note(r.path(), t2["landed_commit"].as_str().unwrap());
    assert_eq!(n2["receipt"]["by"], "operator");
    assert_eq!(n2["receipt"]["risk"], "high");
    assert!(
        n2["receipt"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "looked at it"),
        "{n2}"
    );
    r.ok(&["rollback", "t2", "--reason", "not needed"]);
    let revert = r.turn("t2")["rollback_commit"]
        .as_str()
        .unwrap()
        .to_string();
    let n3 = note(r.path(), &revert);
    assert_eq!(n3["landed"], "rollback");
    assert_eq!(n3["receipt"]["decision"], "rollback");
    assert_eq!(n3["reverts"], t2["landed_commit"]);
    assert_eq!(n3["receipt"]["reasons"][0], "not needed");

    let v = r.ok(&["verify"]);
    assert!(
        v.stdout
            .contains("verified 5 commits (3 by leash, 2 by people)"),
        "{}",
        v.stdout
    );
}

#[test]
fn a_private_prompt_is_kept_as_its_sha256() {
    let r = unsigned_repo();
    let cfg = r
        .read(".leash/config.toml")
        .replace("# prompts = \"private\"", "prompts = \"private\"");
    r.write(".leash/config.toml", &cfg);
    r.git(&["commit", "-qam", "private prompts"]);
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--prompt",
        "the secret plan",
        "--",
        "sh",
        "-c",
        "echo p > p.md",
    ]);
    let t = r.turn("t1");
    assert_eq!(t["state"], "landed", "{t}");
    let n = note(r.path(), t["landed_commit"].as_str().unwrap());
    assert!(n["prompt"].is_null(), "{n}");
    let sha = n["prompt_sha256"].as_str().unwrap();
    assert!(sha.starts_with("sha256:") && sha.len() == 7 + 64, "{sha}");
    assert!(!n.to_string().contains("the secret plan"), "{n}");
    // Nor does the commit, whose title would have been the prompt's.
    let message = r.git(&[
        "log",
        "-1",
        "--format=%B",
        t["landed_commit"].as_str().unwrap(),
    ]);
    assert!(!message.contains("secret"), "{message}");
    assert!(message.starts_with("generic (sh) turn t1\n"), "{message}");
}

#[test]
fn notes_travel_to_a_clone_and_verify_runs_there_without_a_journal() {
    let r = unsigned_repo();
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    r.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    let setup = r.ok(&["notes", "setup"]);
    assert!(
        setup
            .stdout
            .contains("remote.origin.push = refs/notes/leash:refs/notes/leash"),
        "{}",
        setup.stdout
    );
    assert!(r.ok(&["notes", "setup"]).stdout.contains("nothing changed"));
    let missing = r.run(&["notes", "setup", "upstream"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("no remote `upstream`"),
        "{}",
        missing.stderr
    );

    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo a > a.md"]);
    // A plain push carries the branch and the notes.
    r.git(&["push", "-q"]);

    let clone = tempfile::tempdir().unwrap();
    git(
        clone.path(),
        &["clone", "-q", remote.path().to_str().unwrap(), "c"],
    );
    let c = clone.path().join("c");
    git(
        &c,
        &["fetch", "-q", "origin", "refs/notes/leash:refs/notes/leash"],
    );
    let n = note(&c, "HEAD");
    assert_eq!(n["turn"], "t1");
    assert_eq!(
        n["vcs"]["revision"],
        git(&c, &["rev-parse", "HEAD"]).as_str()
    );

    let v = leash_in(&r, &c, &["verify", "--json"]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let j: Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(j["violations"].as_array().unwrap().len(), 0, "{j}");
    assert_eq!(
        j["commits"].as_array().unwrap().last().unwrap()["turn"],
        "t1"
    );
    assert!(!c.join(".git/leash").exists(), "verify wrote no journal");

    // A commit that claims to be a turn, with no note, fails the check.
    git(
        &c,
        &[
            "-c",
            "user.name=x",
            "-c",
            "user.email=x@x",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "sneaky\n\nLeash-Turn: t9\nLeash-Agent: claude\n",
        ],
    );
    let v = leash_in(&r, &c, &["verify"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let lines: Vec<&str> = v.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", v.stdout);
    assert!(lines[0].contains("t9: missing_note"), "{}", v.stdout);
    let j: Value = serde_json::from_str(&leash_in(&r, &c, &["verify", "--json"]).stdout).unwrap();
    assert_eq!(j["violations"][0]["kind"], "missing_note");
    assert_eq!(j["violations"][0]["turn"], "t9");
    // The range before it still verifies.
    assert_eq!(leash_in(&r, &c, &["verify", "HEAD~1"]).code, 0);
}

#[test]
fn landing_by_policy_above_what_the_committed_policy_allows_is_a_violation() {
    let r = unsigned_repo();
    // The slider moved in the console, never committed: medium = auto.
    r.ok(&["autonomy", "medium", "auto"]);
    r.ok(&["run", "--risk", "medium", "--", "sh", "-c", "echo m > m.md"]);
    assert_eq!(r.turn("t1")["state"], "landed");
    let v = r.run(&["verify"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("t1: policy: landed by policy alone"),
        "{}",
        v.stdout
    );
    assert!(v.stdout.contains("medium = review"), "{}", v.stdout);
}

/// A signing key made here, git set up to sign with it, and the allowed
/// signers file naming it.
fn signing(r: &Repo, keys: &Path) {
    let key = keys.join("id");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "leash test", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs");
    assert!(made.success());
    let public = std::fs::read_to_string(keys.join("id.pub")).unwrap();
    let allowed = keys.join("allowed_signers");
    std::fs::write(&allowed, format!("operator@example.com {public}")).unwrap();
    r.git(&["config", "gpg.format", "ssh"]);
    r.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    r.git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        allowed.to_str().unwrap(),
    ]);
}

#[test]
fn a_signed_receipt_edited_to_claim_an_operator_is_forged() {
    let r = Repo::initialised();
    let keys = tempfile::tempdir().unwrap();
    signing(&r, keys.path());
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo a > a.md"]);
    let head = r.head();
    let n = note(r.path(), &head);
    assert_eq!(n["signature"]["namespace"], "leash");
    assert_eq!(n["signature"]["signer"], "operator@example.com");
    let v = r.run(&["verify", "--require-signed"]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(!v.stderr.contains("warning"), "{}", v.stderr);

    // The receipt now claims an operator approved it; the signature is kept.
    let mut forged = n.clone();
    forged["receipt"]["by"] = "operator".into();
    let file = keys.path().join("forged.json");
    std::fs::write(&file, serde_json::to_string_pretty(&forged).unwrap()).unwrap();
    r.git(&[
        "notes",
        "--ref",
        "leash",
        "add",
        "-f",
        "-F",
        file.to_str().unwrap(),
        &head,
    ]);
    let v = r.run(&["verify"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout
            .contains("t1: forged: the note's receipt is forged"),
        "{}",
        v.stdout
    );

    // Put back as signed, it verifies again: the check is of the content.
    std::fs::write(&file, serde_json::to_string_pretty(&n).unwrap()).unwrap();
    r.git(&[
        "notes",
        "--ref",
        "leash",
        "add",
        "-f",
        "-F",
        file.to_str().unwrap(),
        &head,
    ]);
    assert_eq!(r.run(&["verify", "--require-signed"]).code, 0);

    // A key the allowed signers do not name is no better.
    std::fs::write(keys.path().join("allowed_signers"), "someone@else ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n").unwrap();
    let v = r.run(&["verify"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("forged"), "{}", v.stdout);
}

#[test]
fn an_unsigned_receipt_is_a_warning_and_an_error_when_signatures_are_required() {
    let r = unsigned_repo();
    r.ok(&["run", "--risk", "low", "--", "sh", "-c", "echo a > a.md"]);
    assert!(note(r.path(), "HEAD").get("signature").is_none());
    let v = r.run(&["verify"]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stderr.contains("t1: unsigned"), "{}", v.stderr);
    let v = r.run(&["verify", "--require-signed"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout
            .contains("t1: unsigned: the note's receipt is unsigned"),
        "{}",
        v.stdout
    );
}

#[test]
fn a_landing_interrupted_around_its_note_ends_with_exactly_one_note() {
    for point in ["before_ref", "note_written"] {
        let r = unsigned_repo();
        r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
        let out = r
            .cmd(&["approve", "t1"])
            .env("LEASH_TEST_CRASH_AT", point)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{point}: the process died mid-landing"
        );
        let open = r.ok(&["turns"]);
        assert!(
            open.stderr.contains("finished an interrupted landing"),
            "{point}: {}",
            open.stderr
        );
        let t = r.turn("t1");
        assert_eq!(t["state"], "landed", "{point}");
        let landed = t["landed_commit"].as_str().unwrap();
        assert_eq!(note(r.path(), landed)["turn"], "t1", "{point}");
        // One note, written once: the notes ref has one commit.
        assert_eq!(
            r.git(&["rev-list", "--count", "refs/notes/leash"]),
            "1",
            "{point}"
        );
        assert_eq!(r.run(&["verify"]).code, 0, "{point}");
    }
}

/// One hook event of an in-place Claude Code session, answered.
fn hook_event(r: &Repo, name: &str, extra: Value) {
    let mut v = serde_json::json!({
        "session_id": "sess-1",
        "transcript_path": "/dev/null",
        "cwd": r.path().display().to_string(),
        "hook_event_name": name,
    });
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let out = r.hook("claude", &v.to_string()).wait_with_output().unwrap();
    assert!(out.status.success(), "{name}: {out:?}");
}

#[test]
fn an_in_place_turn_accepted_by_policy_has_its_note_on_the_end_snapshot() {
    let r = unsigned_repo();
    r.ok(&["autonomy", "medium", "auto"]);
    let event = |name: &str, extra: Value| hook_event(&r, name, extra);
    event("UserPromptSubmit", serde_json::json!({"prompt": "note it"}));
    r.write("note.md", "n\n");
    event(
        "Stop",
        serde_json::json!({"last_assistant_message": "noted"}),
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "landed");
    let end = t["landed_commit"].as_str().unwrap();
    let n = note(r.path(), end);
    assert_eq!(n["landed"], "in_place");
    assert_eq!(n["agent"], "claude");
    assert_eq!(n["prompt"], "note it");
    assert_eq!(n["receipt"]["by"], "policy");
    assert_eq!(n["files"][0]["path"], "note.md");
    assert_eq!(n["base"], t["base"]);
}

#[test]
fn the_note_names_the_model_and_what_each_action_read_and_wrote() {
    let r = unsigned_repo();
    let outline = "# Outline\n\n- why supervise\n";
    r.write("docs/outline.md", outline);
    let cfg = r.read(".leash/config.toml")
        + &format!(
            "\n[agents.demo]\ncommand = [{:?}, \"demo-agent\", \"{{prompt}}\"]\nformat = \"claude\"\n",
            env!("CARGO_BIN_EXE_leash")
        );
    r.write(".leash/config.toml", &cfg);
    r.git(&["add", "."]);
    r.git(&["commit", "-qm", "outline and the demo agent"]);
    let run = r
        .cmd(&[
            "run",
            "--agent",
            "demo",
            "--risk",
            "low",
            "--prompt",
            "demo:draft",
        ])
        .env("LEASH_DEMO_FAST", "1")
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let t = r.turn("t1");
    assert_eq!(t["state"], "landed", "{t}");
    let landed = t["landed_commit"].as_str().unwrap();
    let message = r.git(&["log", "-1", "--format=%B", landed]);
    assert!(
        message.contains("Assisted-by: demo:claude-demo\n"),
        "{message}"
    );

    let n = note(r.path(), landed);
    assert_eq!(n["model"], "claude-demo");
    assert_eq!(n["prompt"], "demo:draft");
    let files = n["files"].as_array().unwrap();
    let draft = files.iter().find(|f| f["path"] == "docs/draft.md").unwrap();
    assert_eq!(
        draft["conversations"][0]["contributor"]["model_id"],
        "claude-demo"
    );
    let actions = n["actions"].as_array().unwrap();
    let read = actions.iter().find(|a| a["tool"] == "Read").unwrap();
    let blob = r.git(&["hash-object", "docs/outline.md"]);
    assert_eq!(read["sources"][0]["path"], "docs/outline.md", "{read}");
    assert_eq!(read["sources"][0]["blob"], blob.as_str(), "{read}");
    let write = actions.iter().find(|a| a["tool"] == "Write").unwrap();
    assert_eq!(write["written"][0]["path"], "docs/draft.md", "{write}");
    let drafted = r.git(&["rev-parse", &format!("{landed}:docs/draft.md")]);
    assert_eq!(write["written"][0]["blob"], drafted.as_str(), "{write}");
}

#[test]
fn a_note_that_cannot_be_signed_is_written_unsigned_and_the_operator_is_told() {
    let r = Repo::initialised();
    r.git(&["config", "gpg.format", "ssh"]);
    r.git(&["config", "user.signingkey", "/nonexistent/leash-test-key"]);
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let out = r.ok(&["approve", "t1"]);
    assert!(
        out.stderr
            .contains("is unsigned: signing with /nonexistent/leash-test-key failed"),
        "{}",
        out.stderr
    );
    let n = note(r.path(), "HEAD");
    assert_eq!(n["turn"], "t1");
    assert!(n.get("signature").is_none(), "{n}");
}

#[test]
fn unread_and_stale_sources_the_note_records_are_violations() {
    let r = unsigned_repo();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo 'see docs/never.md' > a.md",
    ]);
    let mut n = note(r.path(), "HEAD");
    n["findings"] = serde_json::json!([
        {"kind": "unread", "source": "docs/never.md", "file": "a.md", "line": 1},
        {"kind": "stale", "source": "docs/old.md", "file": "a.md", "line": 1,
         "detail": "changed by t2 in 1a2b3c4"},
    ]);
    let file = r.path().join(".git/edited-note.json");
    std::fs::write(&file, n.to_string()).unwrap();
    r.git(&[
        "notes",
        "--ref",
        "leash",
        "add",
        "-f",
        "-F",
        file.to_str().unwrap(),
        "HEAD",
    ]);
    let v = r.run(&["verify"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let lines: Vec<&str> = v.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", v.stdout);
    assert!(
        lines[0].ends_with(
            "t1: unread_source: `docs/never.md` was never read by the turn, cited at a.md:1"
        ),
        "{}",
        v.stdout
    );
    assert!(
        lines[1].contains("t1: stale_source: `docs/old.md` changed on the branch since the turn read it (changed by t2 in 1a2b3c4)"),
        "{}",
        v.stdout
    );
}

#[test]
fn an_in_place_approval_cut_short_after_its_note_takes_the_note_back() {
    let r = unsigned_repo();
    hook_event(
        &r,
        "UserPromptSubmit",
        serde_json::json!({"prompt": "note it"}),
    );
    r.write("note.md", "n\n");
    hook_event(
        &r,
        "Stop",
        serde_json::json!({"last_assistant_message": "noted"}),
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "awaiting_review");
    let end = t["commit"].as_str().unwrap().to_string();
    let out = r
        .cmd(&["approve", "t1"])
        .env("LEASH_TEST_CRASH_AT", "note_written")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the process died after the note");
    // (Read with git alone: opening leash would recover.)
    assert_eq!(note(r.path(), &end)["turn"], "t1", "the note was written");
    // Opening again: the approval never landed, so it waits, with no note.
    r.ok(&["turns"]);
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    assert_eq!(r.git(&["notes", "--ref", "leash", "list"]), "");
    r.ok(&["approve", "t1"]);
    assert_eq!(r.turn("t1")["state"], "landed");
    assert_eq!(note(r.path(), &end)["receipt"]["by"], "operator");
}

#[test]
fn a_notes_lock_left_by_a_killed_landing_is_cleared_and_the_note_written() {
    let r = unsigned_repo();
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", "echo a > a.md"]);
    let out = r
        .cmd(&["approve", "t1"])
        .env("LEASH_TEST_CRASH_AT", "before_ref")
        .output()
        .unwrap();
    assert!(!out.status.success());
    // As if the process had been killed while writing a note.
    let lock = r.path().join(".git/refs/notes/leash.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "").unwrap();
    let open = r.ok(&["turns"]);
    assert!(
        open.stderr.contains("removed .git/refs/notes/leash.lock"),
        "{}",
        open.stderr
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "landed");
    assert_eq!(
        note(r.path(), t["landed_commit"].as_str().unwrap())["turn"],
        "t1"
    );
}

#[test]
fn a_turn_citing_a_file_it_never_read_lands_with_a_note_verify_rejects() {
    let r = unsigned_repo();
    r.write("docs/source.md", "# Source\n");
    r.git(&["add", "docs"]);
    r.git(&["commit", "-qm", "a source"]);
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "echo 'From `docs/source.md`.' > c.md",
    ]);
    r.ok(&["approve", "t1"]);
    let n = note(r.path(), "HEAD");
    assert_eq!(n["findings"][0]["kind"], "unread", "{n}");
    assert_eq!(n["findings"][0]["source"], "docs/source.md");
    let v = r.run(&["verify"]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains(
            "t1: unread_source: `docs/source.md` was never read by the turn, cited at c.md:1"
        ),
        "{}",
        v.stdout
    );
}
