//! Receipts of decisions and `leash stats` through the real binary: the
//! figures of a scripted journal of decisions, exactly; what `leash
//! approve`, `reject`, `allow` and `deny` record (front `cli`, and since
//! when `leash show`, `diff` or `actions` had shown it); and the receipt
//! in the landed commit's note.

mod common;

use common::Repo;
use common::script::{Script, at, receipt};
use serde_json::{Value, json};

const DAY1: &str = "2026-03-01T09:00:00.000Z";
const DAY2: &str = "2026-03-02T09:00:00.000Z";
const DAY5: &str = "2026-03-05T09:00:00.000Z";
const DAY6: &str = "2026-03-06T09:00:00.000Z";

/// The scripted history, per class:
///
/// low — t1 approved in the console 2 s after shown, the diff never
/// opened; t2 approved 4 s after shown, its diff read to the end, later
/// rolled back; t3 rejected from the command line 10 s after `leash show`,
/// the diff opened but not to the end; t4 approved from the command line
/// with nothing shown before; t5 approved before receipts were kept; t6
/// and t7 landed by policy, t7 rolled back; t8, leash's own fix, no review.
///
/// medium — t9 approved 1.5 s after shown (output only), t10 2.5 s after
/// (diff opened, not to the end), on later days.
///
/// high — t11 declared medium, escalated to high, rejected 30 s after
/// shown with its diff read to the end.
fn scripted() -> Repo {
    let r = Repo::initialised();
    let journal = r.journal();
    let mut s = Script::after(&journal);
    let d = |secs| at(DAY1, secs);
    for t in ["t1", "t2", "t3", "t4", "t5", "t6", "t7"] {
        s.finished(t, "claude", "low", DAY1);
    }
    s.approved(
        "t1",
        "operator",
        &d(12.0),
        Some(receipt(
            "console",
            Some(&d(10.0)),
            &d(12.0),
            false,
            &["output"],
        )),
    );
    s.approved(
        "t2",
        "operator",
        &d(24.0),
        Some(receipt(
            "console",
            Some(&d(20.0)),
            &d(24.0),
            true,
            &["output", "diff"],
        )),
    );
    s.rejected(
        "t3",
        &d(40.0),
        Some(receipt(
            "cli",
            Some(&d(30.0)),
            &d(40.0),
            false,
            &["show", "diff"],
        )),
    );
    s.approved(
        "t4",
        "operator",
        &d(50.0),
        Some(receipt("cli", None, &d(50.0), false, &[])),
    );
    s.approved("t5", "operator", &d(60.0), None);
    s.approved("t6", "policy", &d(70.0), None);
    s.approved("t7", "policy", &d(80.0), None);
    s.rolled_back("t2", &d(90.0));
    s.rolled_back("t7", &d(100.0));
    s.finished("t8", "leash-fix", "low", &d(110.0));
    s.approved("t8", "operator", &d(110.0), None);

    s.finished("t9", "claude", "medium", DAY2);
    s.approved(
        "t9",
        "operator",
        &at(DAY2, 1.5),
        Some(receipt(
            "console",
            Some(DAY2),
            &at(DAY2, 1.5),
            false,
            &["output"],
        )),
    );
    s.finished("t10", "codex", "medium", DAY5);
    s.approved(
        "t10",
        "operator",
        &at(DAY5, 2.5),
        Some(receipt(
            "console",
            Some(DAY5),
            &at(DAY5, 2.5),
            false,
            &["diff"],
        )),
    );

    s.finished("t11", "claude", "medium", DAY6);
    s.event(
        DAY6,
        json!({"kind": "risk_escalated", "turn": "t11", "from": "medium", "to": "high",
               "because": "operations/** is high"}),
    );
    s.rejected(
        "t11",
        &at(DAY6, 30.0),
        Some(receipt(
            "console",
            Some(DAY6),
            &at(DAY6, 30.0),
            true,
            &["output", "diff", "events"],
        )),
    );
    s.append_to(&journal);
    r
}

fn class<'a>(v: &'a Value, risk: &str) -> &'a Value {
    v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["risk"] == risk)
        .unwrap_or_else(|| panic!("no {risk} in {v}"))
}

#[test]
fn stats_of_a_scripted_journal_are_exact() {
    let r = scripted();
    let v = r.ok(&["stats", "--json"]).json();
    assert_eq!(v["since"], Value::Null);
    assert_eq!(
        class(&v, "low"),
        &json!({
            "risk": "low", "decided": 5, "approved": 4, "rejected": 1, "approval_rate": 0.8,
            "no_receipt": 1, "untimed": 2, "median_secs": 4.0, "p90_secs": 10.0,
            "without_diff": 2, "without_diff_share": 0.5, "read_to_end": 1,
            "rolled_back": 1, "by_policy": 2, "policy_rolled_back": 1,
            "first": "2026-03-01T09:00:12Z", "last": "2026-03-01T09:01:00Z",
        }),
        "{v}"
    );
    assert_eq!(
        class(&v, "medium"),
        &json!({
            "risk": "medium", "decided": 2, "approved": 2, "rejected": 0, "approval_rate": 1.0,
            "no_receipt": 0, "untimed": 0, "median_secs": 2.0, "p90_secs": 2.5,
            "without_diff": 1, "without_diff_share": 0.5, "read_to_end": 0,
            "rolled_back": 0, "by_policy": 0, "policy_rolled_back": 0,
            "first": "2026-03-02T09:00:01Z", "last": "2026-03-05T09:00:02Z",
        }),
        "{v}"
    );
    assert_eq!(
        class(&v, "high"),
        &json!({
            "risk": "high", "decided": 1, "approved": 0, "rejected": 1, "approval_rate": 0.0,
            "no_receipt": 0, "untimed": 0, "median_secs": 30.0, "p90_secs": 30.0,
            "without_diff": 0, "without_diff_share": 0.0, "read_to_end": 1,
            "rolled_back": 0, "by_policy": 0, "policy_rolled_back": 0,
            "first": "2026-03-06T09:00:30Z", "last": "2026-03-06T09:00:30Z",
        }),
        "{v}"
    );
    assert_eq!(v["hints"], json!([]), "too few decisions for any hint");

    let text = r.ok(&["stats"]).stdout;
    let table: Vec<&str> = text.lines().skip(2).take(4).collect();
    assert_eq!(
        table,
        [
            "risk    decided   approved  rejected  median     p90  untimed   no diff     to end  rolled back          by policy",
            "low           5   4 (80 %)         1   4.0 s  10.0 s        2  2 (50 %)   1 (25 %)            1  2 (1 rolled back)",
            "medium        2  2 (100 %)         0   2.0 s   2.5 s        0  1 (50 %)    0 (0 %)            0                  0",
            "high          1    0 (0 %)         1  30.0 s  30.0 s        0   0 (0 %)  1 (100 %)            0                  0",
        ],
        "{text}"
    );

    // Since the third of March: only t10 and t11 were decided then.
    let v = r
        .ok(&["stats", "--since", "2026-03-03T00:00:00Z", "--json"])
        .json();
    assert_eq!(v["since"], "2026-03-03T00:00:00Z");
    assert_eq!(class(&v, "low")["decided"], 0);
    assert_eq!(class(&v, "low")["by_policy"], 0);
    assert_eq!(class(&v, "low")["median_secs"], Value::Null);
    let medium = class(&v, "medium");
    assert_eq!(
        (
            &medium["decided"],
            &medium["median_secs"],
            &medium["without_diff"]
        ),
        (&json!(1), &json!(2.5), &json!(0))
    );
    assert_eq!(class(&v, "high")["decided"], 1);

    let bad = r.run(&["stats", "--since", "last tuesday"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("is not a day"), "{}", bad.stderr);
}

#[test]
fn a_class_approved_fast_and_unread_is_named_by_stats() {
    let r = Repo::initialised();
    let journal = r.journal();
    let mut s = Script::after(&journal);
    s.fast_unread_approvals(20, "medium", DAY1);
    s.append_to(&journal);
    let v = r.ok(&["stats", "--json"]).json();
    let hints = v["hints"].as_array().unwrap();
    assert_eq!(hints.len(), 1, "{v}");
    assert_eq!(
        (
            &hints[0]["kind"],
            &hints[0]["class"],
            &hints[0]["level"],
            &hints[0]["suggest"]
        ),
        (
            &json!("rubber_stamp"),
            &json!("medium"),
            &json!("review"),
            &json!("guarded")
        )
    );
    let text = r.ok(&["stats"]).stdout;
    assert!(
        text.contains("medium:\n  20 medium decisions, 100 % approved, decided a median 1.0 s"),
        "{text}"
    );
}

/// A finished medium turn waiting for review (`review` is medium's level).
fn waiting(r: &Repo, file: &str) -> String {
    let out = r.ok(&[
        "run",
        "--risk",
        "medium",
        "--",
        "sh",
        "-c",
        &format!("printf 'one\\ntwo\\n' > {file}"),
    ]);
    let id = out.stdout.lines().next().unwrap().trim().to_string();
    assert_eq!(r.turn(&id)["state"], "awaiting_review");
    id
}

fn decided(r: &Repo, kind: &str, key: &str, id: &str) -> Value {
    r.events()
        .into_iter()
        .find(|e| e["kind"] == kind && e[key] == id)
        .unwrap_or_else(|| panic!("no {kind} of {id}"))
}

#[test]
fn the_command_line_records_its_decisions_as_cli_with_what_it_showed() {
    let r = Repo::initialised();
    // Decided with nothing shown before: the receipt says so.
    let blind = waiting(&r, "a.md");
    r.ok(&["approve", &blind]);
    let e = decided(&r, "turn_decided", "turn", &blind);
    assert_eq!(e["receipt"]["front"], "cli", "{e}");
    assert_eq!(e["receipt"].get("shown_at"), None, "{e}");
    assert_eq!(e["receipt"]["diff_read_to_end"], false, "{e}");
    assert_eq!(e["receipt"].get("tabs"), None, "{e}");

    // Shown and its diff printed whole, then approved.
    let read = waiting(&r, "b.md");
    r.ok(&["show", &read]);
    let diff = r.ok(&["diff", &read]).stdout;
    assert!(diff.contains("+two"), "{diff}");
    r.ok(&["show", &read]);
    r.ok(&["approve", &read, "--reason", "read it"]);
    let e = decided(&r, "turn_decided", "turn", &read);
    let rc = &e["receipt"];
    assert_eq!(
        (&rc["front"], &rc["diff_read_to_end"], &rc["tabs"]),
        (&json!("cli"), &json!(true), &json!(["show", "diff"])),
        "{e}"
    );
    let shown = rc["shown_at"].as_str().unwrap();
    assert!(shown <= rc["decided_at"].as_str().unwrap(), "{e}");
    // `leash show` says how it was decided.
    let said = r.ok(&["show", &read]).stdout;
    assert!(
        said.contains("receipt    from the command line, ")
            && said.contains("after it was shown; diff read to the end (show, diff)"),
        "{said}"
    );

    // The landed commit's note carries the receipt.
    let landed = r.turn(&read)["landed_commit"].as_str().unwrap().to_string();
    let note: Value =
        serde_json::from_str(&r.git(&["notes", "--ref", "leash", "show", &landed])).unwrap();
    let nr = &note["receipt"];
    assert_eq!(
        (
            &nr["decision"],
            &nr["by"],
            &nr["front"],
            &nr["shown_at"],
            &nr["diff_read_to_end"],
            &nr["tabs"]
        ),
        (
            &json!("approve"),
            &json!("operator"),
            &json!("cli"),
            &json!(shown),
            &json!(true),
            &json!(["show", "diff"])
        ),
        "{note}"
    );
    // …and a note verifies as before.
    r.ok(&["verify"]);

    // A rejection after `leash diff --stat` only: the diff was not opened.
    let stat = waiting(&r, "c.md");
    r.ok(&["diff", &stat, "--stat"]);
    r.ok(&["reject", &stat, "--reason", "not now"]);
    let e = decided(&r, "turn_decided", "turn", &stat);
    assert_eq!(e["decision"], "reject");
    assert_eq!(e["receipt"]["tabs"], json!(["stat"]), "{e}");
    assert_eq!(e["receipt"]["diff_read_to_end"], false, "{e}");
    assert!(e["receipt"]["shown_at"].is_string(), "{e}");

    // Three decisions from the command line, one of them timed.
    let v = r.ok(&["stats", "--json"]).json();
    let medium = class(&v, "medium");
    assert_eq!(
        (
            &medium["decided"],
            &medium["untimed"],
            &medium["without_diff"],
            &medium["read_to_end"]
        ),
        (&json!(3), &json!(1), &json!(2), &json!(1)),
        "{v}"
    );
}

#[test]
fn allow_and_deny_record_a_cli_receipt_shown_by_leash_actions() {
    let r = Repo::initialised();
    let _console = r.hold_console();
    let write = |rel: &str, id: &str| {
        json!({
            "session_id": "sess-1", "transcript_path": "/dev/null",
            "cwd": r.path().display().to_string(), "hook_event_name": "PreToolUse",
            "permission_mode": "acceptEdits", "tool_name": "Write", "tool_use_id": id,
            "tool_input": {"file_path": r.file(rel).display().to_string(), "content": "x\n"},
        })
        .to_string()
    };
    let child = r.hook("claude", &write("operations/x.md", "toolu_1"));
    r.wait_for_event("the action to wait", |e| {
        e["kind"] == "action_requested" && e["needs"] == "approval"
    });
    let listed = r.ok(&["actions"]).stdout;
    assert!(listed.contains("t1.a1"), "{listed}");
    r.ok(&["allow", "t1.a1"]);
    child.wait_with_output().unwrap();
    let e = decided(&r, "action_decided", "action", "t1.a1");
    assert_eq!(e["by"], "operator");
    assert_eq!(
        (&e["receipt"]["front"], &e["receipt"]["tabs"]),
        (&json!("cli"), &json!(["actions"])),
        "{e}"
    );
    assert!(e["receipt"]["shown_at"].is_string(), "{e}");

    // Denied without `leash actions` (its JSON is for programs): not
    // known when it was shown.
    let child = r.hook("claude", &write("AGENTS.md", "toolu_2"));
    r.wait_for_event("the second action to wait", |e| {
        e["kind"] == "action_requested" && e["action"] == "t1.a2"
    });
    r.ok(&["actions", "--json"]);
    r.ok(&["deny", "t1.a2", "--reason", "not that file"]);
    child.wait_with_output().unwrap();
    let e = decided(&r, "action_decided", "action", "t1.a2");
    assert_eq!(e["receipt"]["front"], "cli", "{e}");
    assert_eq!(e["receipt"].get("shown_at"), None, "{e}");
    let log = r.ok(&["log"]).stdout;
    assert!(
        log.contains("action_decided t1.a2 deny by operator from the command line, not known when it was shown: not that file"),
        "{log}"
    );
}
