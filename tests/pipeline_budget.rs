//! A pipeline pass's budget through the binary: a stand-in for Claude Code
//! prints its stream (usage per request, repeated per content block, a
//! result with its cost) and then keeps running until it is stopped, so a
//! pass over its budget is seen to be stopped by leash, not to end.

mod common;

use common::{Repo, wait_until};
use leash::model::BudgetKind;
use serde_json::Value;

/// Claude's stream as the prompt asks: `requests N IN OUT` prints N
/// requests of IN prompt and OUT generated tokens (each as two content
/// blocks of one message, as Claude does, the first with 1 generated), `cost USD` a result line that
/// reports USD for 1000 + 10 tokens; then it runs until it is stopped,
/// unless the prompt says `THEN PATH` (it writes PATH and ends).
const CLAUDE_SH: &str = r#"#!/bin/sh
for prompt; do :; done
printf '{"type":"system","subtype":"init","session_id":"s1","model":"test-model","cwd":"%s"}\n' "$PWD"
set -- $(printf '%s\n' "$prompt" | grep -o 'DO .*' | head -n 1)
shift
case "$1" in
  requests)
    i=1
    while [ "$i" -le "$2" ]; do
      # The first block of a message tells one generated token so far,
      # the second the message's own count, as Claude's stream does.
      for out in 1 "$4"; do
        printf '{"type":"assistant","session_id":"s1","message":{"id":"msg_%s","model":"test-model","content":[{"type":"text","text":"block"}],"usage":{"input_tokens":%s,"output_tokens":%s}}}\n' "$i" "$3" "$out"
      done
      i=$((i + 1))
    done ;;
  cost)
    printf '{"type":"result","subtype":"success","is_error":false,"result":"done","total_cost_usd":%s,"usage":{"input_tokens":1000,"output_tokens":10}}\n' "$2" ;;
esac
# With `THEN PATH` it writes PATH and ends; else it goes on until leash
# stops it.
then=$(printf '%s\n' "$prompt" | sed -n 's/.*THEN \([^ ]*\).*/\1/p')
if [ -n "$then" ]; then
  mkdir -p "$(dirname "$then")"
  printf '{"ok": true}\n' > "$then"
  printf '{"type":"result","subtype":"success","is_error":false,"result":"wrote it"}\n'
  exit 0
fi
exec sleep 600
"#;

/// A workspace whose `post` task has one pass run by the stand-in, with
/// `budget` and `prompt` (after `DO`), and `prices` in the config.
fn repo(budget: &str, what: &str, prices: &str) -> Repo {
    let r = Repo::initialised();
    r.write(
        ".leash/config.toml",
        &format!("{}{prices}", common::pipeline::CONFIG),
    );
    common::agent::install(&r, "cl", CLAUDE_SH);
    r.write(
        ".leash/tasks.toml",
        &format!(
            r#"[[task]]
name = "post"
title = "Post"

[[task.pass]]
name = "extract"
agent = "cl"
prompt = "Write {{out}}. DO {what}"
out = "work/claims.json"
budget = {budget}

[[task.pass]]
name = "draft"
agent = "cl"
prompt = "Write {{out}}. DO nothing THEN {{out}}"
out = "posts/post.md"
"#
        ),
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "a pipeline task with a budget"]);
    r
}

fn show(r: &Repo) -> Value {
    r.ok(&["pipeline", "show", "p1", "--json"]).json()
}

/// Runs the pipeline to its end and returns its first pass as shown.
fn run_over_budget(r: &Repo) -> Value {
    let out = r.run(&["run", "--task", "post"]);
    assert_ne!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let p = show(r);
    assert_eq!(p["state"], "failed", "{p:#}");
    // The run says what it spent as it ends.
    let spent = p["spent"]["tokens"].as_u64().unwrap();
    if spent > 0 {
        let said = format!("p1: spent {} tokens", BudgetKind::Tokens.show(spent as f64));
        assert!(out.stderr.contains(&said), "{said}\n{}", out.stderr);
    }
    // The pipeline stopped there: the next pass never started.
    assert_eq!(p["passes"][1]["state"], "pending", "{p:#}");
    assert!(
        !r.events()
            .iter()
            .any(|e| e["kind"] == "pass_started" && e["pass"] == "draft")
    );
    let extract = p["passes"][0].clone();
    assert_eq!(extract["failure"], "budget_exceeded", "{extract:#}");
    // The agent was stopped, not left to finish its sleep.
    let finished = r.wait_for_event("the pass's end", |e| {
        e["kind"] == "turn_finished" && e["turn"] == "t1"
    });
    assert_eq!(finished["signal"], 15, "{finished:#}");
    extract
}

#[test]
fn a_pass_over_its_token_budget_is_stopped_and_fails_naming_the_budget() {
    // Requests of 40 100 tokens, each counted once although Claude repeats
    // its usage on every content block of a message: over the budget at
    // the first block of the fourth, 3 × 40 100 + 40 001 = 160 301 (lines
    // added up would be over at 160 202).
    let r = repo("{ tokens = 150000 }", "requests 9 40000 100", "");
    let extract = run_over_budget(&r);
    let reason = extract["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "failed with budget_exceeded: tokens: 160 301 spent of a budget of 150 000"
        ),
        "{reason}"
    );
    assert_eq!(extract["budget"]["tokens"], 150000);
    assert!(extract["spent"]["tokens"].as_u64().unwrap() >= 160_301);
    // The warning at 80 % (120 201 of 150 000) was journaled once.
    let warnings: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "budget_warning")
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(
        (
            &warnings[0]["what"],
            &warnings[0]["spent"],
            &warnings[0]["limit"]
        ),
        (
            &Value::from("tokens"),
            &Value::from(120201.0),
            &Value::from(150000.0)
        )
    );
    assert_eq!(extract["budget_warnings"][0]["what"], "tokens");
    // The text view says what was spent against the budget.
    let text = r.ok(&["pipeline", "show", "p1"]).stdout;
    assert!(text.contains("budget 150 000 tokens"), "{text}");
    assert!(
        text.contains("⚠ tokens at 80 %: 120 201 of 150 000"),
        "{text}"
    );
    assert!(
        text.contains("budget_exceeded: failed with budget_exceeded: tokens: 160 301"),
        "{text}"
    );
}

#[test]
fn a_pass_over_its_time_budget_fails_budget_exceeded_not_timed_out() {
    let r = repo("{ time = \"1s\" }", "nothing", "");
    let extract = run_over_budget(&r);
    let reason = extract["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("failed with budget_exceeded: time: ")
            && reason.contains(" spent of a budget of 1s"),
        "{reason}"
    );
    assert_eq!(extract["budget"]["time_secs"], 1.0);
    // 80 % of the second was crossed on the way.
    assert!(
        r.events()
            .iter()
            .any(|e| e["kind"] == "budget_warning" && e["what"] == "time")
    );
}

#[test]
fn dollars_come_from_the_agents_reported_cost() {
    let r = repo("{ usd = 1.0 }", "cost 2.5", "");
    let extract = run_over_budget(&r);
    let reason = extract["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("failed with budget_exceeded: usd: $2.50 spent of a budget of $1.00"),
        "{reason}"
    );
    assert_eq!(extract["spent"]["usd"], 2.5);
    assert_eq!(extract["spent"]["tokens"], 1010);
}

#[test]
fn dollars_come_from_the_price_table_when_the_agent_reports_none() {
    // 40 000 in at $10/M and 100 out at $100/M: $0.41 a request, over
    // the budget at the first block of the third, $0.82 + $0.4001.
    let prices = "\n[prices]\n\"test-model\" = { input = 10.0, output = 100.0 }\n";
    let r = repo("{ usd = 1.0 }", "requests 9 40000 100", prices);
    let extract = run_over_budget(&r);
    let reason = extract["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("failed with budget_exceeded: usd: $1.22 spent of a budget of $1.00"),
        "{reason}"
    );
    let warned: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "budget_warning")
        .collect();
    assert_eq!(warned.len(), 1, "{warned:#?}");
    assert_eq!(warned[0]["what"], "usd");
}

#[test]
fn without_a_price_the_cost_is_unknown_and_no_dollar_budget_stops_the_pass() {
    // Two requests, no price, no reported cost: the pass is not stopped by
    // dollars it cannot count; the operator cancels it.
    let r = repo("{ usd = 0.01 }", "requests 2 40000 100", "");
    let mut child = r
        .cmd(&["run", "--task", "post"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let p = wait_until("both requests counted", || {
        let out = r.run(&["pipeline", "show", "p1", "--json"]);
        let p: Value = serde_json::from_str(&out.stdout).ok()?;
        (p["passes"][0]["spent"]["tokens"] == 80200).then_some(p)
    });
    assert_eq!(p["passes"][0]["state"], "running", "{p:#}");
    assert_eq!(p["passes"][0]["spent"]["usd"], Value::Null);
    r.ok(&["pipeline", "cancel", "p1"]);
    let _ = child.wait();
    assert_eq!(show(&r)["passes"][0]["failure"], "cancelled");
}

#[test]
fn resume_reruns_a_pass_over_budget_with_the_budget_as_committed_now() {
    let r = repo(
        "{ tokens = 150000 }",
        "requests 4 40000 100 THEN work/claims.json",
        "",
    );
    // It may be stopped, or end by itself before leash reads its fourth
    // request: over its budget either way.
    assert_ne!(r.run(&["run", "--task", "post"]).code, 0);
    assert_eq!(show(&r)["passes"][0]["failure"], "budget_exceeded");
    // The operator raises the budget in tasks.toml and commits it.
    let tasks = r
        .read(".leash/tasks.toml")
        .replace("tokens = 150000", "tokens = 200000");
    r.write(".leash/tasks.toml", &tasks);
    r.git(&["commit", "-q", "-am", "a larger budget for extract"]);
    let resumed = r.run(&["pipeline", "resume", "p1"]);
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    let p = show(&r);
    assert_eq!(p["state"], "done", "{p:#}");
    let extract = &p["passes"][0];
    assert_eq!(
        (&extract["state"], &extract["turn"], &extract["attempts"]),
        (&Value::from("landed"), &Value::from("t2"), &Value::from(2))
    );
    assert_eq!(extract["budget"]["tokens"], 200000);
    assert_eq!(extract["spent"]["tokens"], 160400);
    // The run's total counts both attempts at extract: what the stopped
    // one spent was spent too.
    assert!(
        p["spent"]["tokens"].as_u64().unwrap() >= 160_301 + 160_400,
        "{p:#}"
    );
    assert_eq!(r.read("work/claims.json"), "{\"ok\": true}\n");
}

/// The time budget is the agent's: while its write of a protected path
/// waits for the operator, the pass's clock stops. The operator takes
/// longer than the whole budget to allow it, and the pass still ends by
/// itself, within it.
#[test]
fn time_waiting_for_the_operator_does_not_count_against_the_time_budget() {
    let r = Repo::initialised();
    common::agent::install(&r, "sh", common::agent::HOOKED_SHELL);
    r.write(
        ".leash/tasks.toml",
        r#"[[task]]
name = "post"

[[task.pass]]
name = "write"
agent = "sh"
risk = "low"
prompt = "write_file .leash/held.md held; write_file work/out.md done"
out = "work/out.md"
budget = { time = "1s" }
"#,
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "a pass with a time budget"]);
    let _console = r.hold_console();
    let mut run = r
        .cmd(&["run", "--task", "post"])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let held = r.wait_for_event("the write to wait for the operator", |e| {
        e["kind"] == "action_requested" && e["needs"] == "approval"
    });
    // The operator thinks for longer than the pass's whole budget.
    let asked = std::time::Instant::now();
    wait_until("the budget's second to pass while the action waits", || {
        (asked.elapsed() > std::time::Duration::from_millis(1500)).then_some(())
    });
    r.ok(&["allow", held["action"].as_str().unwrap()]);
    let finished = r.wait_for_event("the pass's end", |e| {
        e["kind"] == "turn_finished" && e["turn"] == "t1"
    });
    assert!(
        finished["signal"].is_null(),
        "it was not stopped: {finished:#}"
    );
    assert_eq!(finished["exit"], 0, "it ended by itself: {finished:#}");
    let _ = run.kill();
    let _ = run.wait();
    let t = r.turn("t1");
    assert_ne!(t["failure"], "budget_exceeded", "{t:#}");
}

/// Codex's stream names no model: the one its command line asks for
/// (`-m`) prices its usage from `[prices]`.
#[test]
fn a_codex_pass_is_priced_by_the_model_its_command_line_names() {
    let r = Repo::initialised();
    let agent = r.data.path().join("codex-agent");
    std::fs::write(
        &agent,
        "#!/bin/sh\n\
         for prompt; do :; done\n\
         printf '{\"type\":\"thread.started\",\"thread_id\":\"th1\"}\\n'\n\
         mkdir -p work && printf '{\"ok\": true}\\n' > work/claims.json\n\
         printf '{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":100000,\"cached_input_tokens\":0,\"output_tokens\":1000}}\\n'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    r.write(
        ".leash/config.toml",
        &format!(
            "{}\n[prices]\n\"test-codex\" = {{ input = 2.0, output = 10.0 }}\n\n\
             [agents.cx]\ncommand = [{}, \"exec\", \"--json\", \"-m\", \"test-codex\", \"{{prompt}}\"]\n\
             format = \"codex\"\n",
            common::pipeline::CONFIG,
            serde_json::json!(agent.display().to_string())
        ),
    );
    r.write(
        ".leash/tasks.toml",
        "[[task]]\nname = \"post\"\n\n[[task.pass]]\nname = \"extract\"\nagent = \"cx\"\n\
         prompt = \"extract\"\nout = \"work/claims.json\"\nbudget = { usd = 5.0 }\n",
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "a Codex pass"]);
    let out = r.run(&["run", "--task", "post"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let p = show(&r);
    // 100 000 × $2 + 1 000 × $10 per million tokens.
    assert_eq!(p["passes"][0]["spent"]["tokens"], 101_000, "{p:#}");
    assert_eq!(p["passes"][0]["spent"]["usd"], 0.21, "{p:#}");
}
