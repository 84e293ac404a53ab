//! `leash demo`: a demo workspace shaped like an agent's working folder,
//! and demo turns run by a scripted demo agent (the entry point then opens
//! the console on it). The demo
//! agent (`leash demo-agent SCENARIO`) is a real subprocess that edits real
//! files and speaks Claude Code's stream-json, so every demo turn goes
//! through the same supervisor, adapter, policy and git paths as a real one.
//! Everything here is labelled demo.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::agents::detached;
use crate::model::TurnSpec;

/// The demo scenarios, as (task name, risk, prompt).
pub const SCENARIOS: &[(&str, &str, &str)] = &[
    ("note", "low", "demo: write today's stand-up note"),
    (
        "draft",
        "medium",
        "demo: draft the post from docs/outline.md",
    ),
    ("runbook", "low", "demo: add a restart step to the runbook"),
    ("overflow", "medium", "demo: summarise the whole archive"),
    ("empty", "low", "demo: tidy nothing"),
    (
        "hostile",
        "medium",
        "demo: paste the vendor's release notes",
    ),
    (
        "dangling",
        "low",
        "demo: link today's notes to the design doc",
    ),
    ("flat", "low", "demo: jot a memory note"),
    ("hang", "low", "demo: add the slow test fixture"),
];

/// The demo's pipeline task: three passes run by the demo agent, each a
/// turn with a contract; the audit is read-only, a citation verifier whose
/// findings are its `out`.
pub const PIPELINE_TASK: &str = "post";

/// How many passes the demo's pipeline has (each one turn).
pub const PIPELINE_PASSES: usize = 3;

/// How many turns the demo starts: its scenarios' and its pipeline's.
pub const TURNS: usize = SCENARIOS.len() + PIPELINE_PASSES;

const PIPELINE: &str = r#"
# A pipeline: one task as three small turns, each with a contract and a
# budget (`leash pipeline show p1`). The audit may change nothing but its out.
[[task]]
name = "post"
title = "demo: the post, in three passes"

[[task.pass]]
name = "extract"
agent = "demo"
risk = "low"
prompt = "demo: pass extract: list each claim of docs/outline.md with its source into {out}"
out = "work/{task}/{run}/claims.json"
contract = { json = true }
budget = { tokens = 150000, usd = 0.5, time = "5m" }

[[task.pass]]
name = "draft"
agent = "demo"
risk = "low"
prompt = "demo: pass draft: write the post from {extract.out} into {out}"
out = "docs/{task}-{run}.md"
contract = { headings = ["Summary", "Sources"] }
budget = { tokens = 150000, usd = 0.5, time = "5m" }

[[task.pass]]
name = "audit"
agent = "demo"
risk = "low"
mode = "read-only"
role = "citation verifier"
prompt = "demo: pass audit: check each claim of {draft.out} against {extract.out}; findings into {out}"
out = "work/{task}/{run}/audit.md"
# Past 80 % of its tokens by the end: the console warns.
budget = { tokens = 140000, usd = 0.5, time = "5m" }
"#;

fn today() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
}

fn write(root: &Path, rel: &str, text: &str) -> anyhow::Result<()> {
    let p = root.join(rel);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))
}

fn git(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    let st = std::process::Command::new("git")
        .args(args)
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .status()
        .context("running git (the demo uses it to make its first commit)")?;
    if !st.success() {
        bail!("git {} failed in {}", args.join(" "), root.display());
    }
    Ok(())
}

/// Creates the demo workspace at `dir` (a fresh temp dir when `None`) and
/// returns its path.
pub fn build_workspace(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let root = match dir {
        Some(d) => {
            if d.exists() && std::fs::read_dir(d)?.next().is_some() {
                bail!(
                    "{} is not empty; the demo builds its workspace in an empty or new folder",
                    d.display()
                );
            }
            std::fs::create_dir_all(d)?;
            d.canonicalize()?
        }
        None => tempfile::Builder::new()
            .prefix("leash-demo-")
            .tempdir()?
            .keep(),
    };
    let exe = std::env::current_exe().context("finding leash's own binary")?;
    let day = today();
    write(
        &root,
        "AGENTS.md",
        &format!(
            "# Demo agent boot file\n\nThis is a leash demo workspace. Read these, in order, before any work:\n\n\
             1. `operations/README.md` — how this workspace runs\n\
             2. `docs/outline.md` — what we are writing\n\
             3. `memory/{day}/notes.md` — today's notes\n"
        ),
    )?;
    write(
        &root,
        "operations/README.md",
        "# Operations (demo)\n\nInstructions live here; artifacts never do.\n\n- `runbook.md` — what to do when the service is down\n",
    )?;
    write(
        &root,
        "operations/runbook.md",
        "# Runbook (demo)\n\n1. Check the dashboard.\n2. Read the last deploy's log.\n",
    )?;
    write(
        &root,
        "docs/README.md",
        "# Docs (demo)\n\nDrafts and outlines.\n",
    )?;
    write(
        &root,
        "docs/outline.md",
        "# Outline (demo)\n\n- Why supervised agents beat unsupervised ones\n- What a checkpoint buys you\n- Rolling back in one key\n",
    )?;
    write(
        &root,
        &format!("memory/{day}/notes.md"),
        "# Notes (demo)\n\n- Started the demo.\n",
    )?;
    let agent = serde_json::to_string(&exe.display().to_string())?;
    write(
        &root,
        ".leash/config.toml",
        &format!(
            "# leash demo workspace policy (demo).\n\
             default_risk = \"medium\"\n\n\
             [autonomy]\nlow = \"guarded\"\nmedium = \"review\"\nhigh = \"manual\"\n\n\
             # Instructions are high risk: an agent that edits them waits for you.\n\
             [[risk]]\npaths = [\"operations/**\", \"AGENTS.md\"]\nclass = \"high\"\n\n\
             [[risk]]\ncommands = [\"git push*\", \"curl *\", \"rm -rf *\"]\nclass = \"high\"\n\n\
             # Integrity checks run on every turn's tree before policy decides.\n\
             [[invariant]]\nname = \"boot sequence\"\nkind = \"boot\"\nmanifest = \"AGENTS.md\"\n\n\
             [[invariant]]\nname = \"folders have a README\"\nkind = \"readme\"\nroots = [\"operations\", \"docs\"]\n\n\
             [[invariant]]\nname = \"routing table\"\nkind = \"routing\"\ntable = \"operations/README.md\"\nfolders = [\"operations\"]\n\n\
             [[invariant]]\nname = \"no dangling pointers\"\nkind = \"references\"\nroots = [\".\"]\n\n\
             [[invariant]]\nname = \"store separation\"\nkind = \"separation\"\nunder = \"operations\"\nforbid = [\"**/feedback*\", \"**/*.log\"]\n\n\
             [[invariant]]\nname = \"memory layout\"\nkind = \"layout\"\nroot = \"memory\"\npattern = \"YYYY-MM-DD/**\"\nfix = \"YYYY-MM-DD/durable_notes.md\"\n\n\
             [[invariant]]\nname = \"deliverable\"\nkind = \"deliverable\"\n\n\
             [[invariant]]\nname = \"fixtures load\"\nkind = \"command\"\ncommand = [\"sh\", \"-c\", \"test ! -e docs/slow-fixture.md || sleep 60\"]\ntimeout = \"2s\"\n\n\
             # The scripted demo agent: a real subprocess speaking Claude Code's stream-json.\n\
             [agents.demo]\ncommand = [{agent}, \"demo-agent\", \"{{prompt}}\"]\nformat = \"claude\"\n"
        ),
    )?;
    let mut tasks = String::from("# Demo tasks: each one is a scripted demo turn.\n");
    for (name, risk, prompt) in SCENARIOS {
        tasks.push_str(&format!(
            "\n[[task]]\nname = \"{name}\"\nagent = \"demo\"\nrisk = \"{risk}\"\nprompt = \"{prompt}\"\n"
        ));
        if *name == "draft" {
            tasks.push_str("deliverable = \"docs/draft.md\"\n");
        }
    }
    tasks.push_str(PIPELINE);
    write(&root, ".leash/tasks.toml", &tasks)?;
    git(&root, &["init", "-q", "-b", "main"])?;
    git(&root, &["config", "user.name", "leash demo"])?;
    git(&root, &["config", "user.email", "demo@leash.invalid"])?;
    git(&root, &["add", "-A"])?;
    git(&root, &["commit", "-q", "-m", "Demo workspace"])?;
    Ok(root)
}

/// Starts the demo's pipeline as `leash run --task post --detach` does:
/// under a supervisor of its own that leaves this session (it runs on
/// while the console is open, its output kept in the run's log); returns
/// the run's id.
pub fn start_pipeline(root: &Path) -> anyhow::Result<String> {
    let spec = TurnSpec {
        task: Some(PIPELINE_TASK.to_string()),
        ..TurnSpec::default()
    };
    detached::start(root, &spec)
        .map_err(|e| anyhow::anyhow!("starting the demo pipeline ({PIPELINE_TASK}): {e}"))
}

/// Starts every demo turn, detached, through the library (as the CLI and
/// the console start theirs); returns their ids.
pub fn start_turns(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for (name, _, _) in SCENARIOS {
        let spec = TurnSpec {
            task: Some(name.to_string()),
            ..TurnSpec::default()
        };
        let id = detached::start(root, &spec)
            .map_err(|e| anyhow::anyhow!("starting the demo turn {name}: {e}"))?;
        ids.push(id);
    }
    Ok(ids)
}

// ---- the scripted demo agent ----------------------------------------

struct Script {
    session: String,
    msg: u32,
    tool: u32,
    fast: bool,
}

impl Script {
    fn emit(&self, v: Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{v}");
        let _ = out.flush();
    }

    fn emit_raw(&self, line: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    fn pause(&self) {
        if !self.fast {
            std::thread::sleep(Duration::from_millis(350));
        }
    }

    /// The usage of request `k` (1, 2, …): the context grows with each.
    fn request_usage(k: u32) -> (u64, u64, u64) {
        let k = u64::from(k);
        (900 + 400 * k, 12000 + 6000 * k, 120 * k)
    }

    fn usage(&self) -> Value {
        let (input, cached, output) = Self::request_usage(self.msg);
        json!({"input_tokens": input, "cache_read_input_tokens": cached, "cache_creation_input_tokens": 0, "output_tokens": output})
    }

    /// The run's usage, as Claude's result line gives it: the sum over
    /// its requests.
    fn run_usage(&self) -> Value {
        let (mut input, mut cached, mut output) = (0, 0, 0);
        for k in 1..=self.msg {
            let (i, c, o) = Self::request_usage(k);
            (input, cached, output) = (input + i, cached + c, output + o);
        }
        json!({"input_tokens": input, "cache_read_input_tokens": cached, "cache_creation_input_tokens": 0, "output_tokens": output})
    }

    fn text(&mut self, text: &str) {
        self.msg += 1;
        self.pause();
        self.emit(json!({"type": "assistant", "session_id": self.session, "message": {
            "id": format!("msg_demo_{}", self.msg), "type": "message", "role": "assistant",
            "model": "claude-demo", "content": [{"type": "text", "text": text}], "usage": self.usage()}}));
    }

    fn tool(&mut self, name: &str, input: Value, result: &str) {
        self.msg += 1;
        self.tool += 1;
        let id = format!("toolu_demo_{}", self.tool);
        self.pause();
        self.emit(json!({"type": "assistant", "session_id": self.session, "message": {
            "id": format!("msg_demo_{}", self.msg), "type": "message", "role": "assistant",
            "model": "claude-demo", "content": [{"type": "tool_use", "id": id, "name": name, "input": input}],
            "usage": self.usage()}}));
        self.pause();
        self.emit(json!({"type": "user", "session_id": self.session, "message": {"role": "user",
            "content": [{"type": "tool_result", "tool_use_id": id, "content": result, "is_error": false}]}}));
    }

    fn result(&self, text: &str, is_error: bool, extra: Value) {
        let run = self.run_usage();
        let mut v = json!({"type": "result", "subtype": "success", "is_error": is_error,
            "result": text, "num_turns": self.msg, "duration_ms": 1200, "total_cost_usd": 0.0,
            "session_id": self.session, "usage": run, "permission_denials": [],
            "modelUsage": {"claude-demo": {"inputTokens": run["input_tokens"], "outputTokens": run["output_tokens"],
                "contextWindow": 200_000}}});
        if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), extra) {
            obj.extend(more);
        }
        self.emit(v);
    }
}

/// `leash demo-agent PROMPT`: plays the scenario the prompt names, in the
/// current directory (the turn's worktree). Returns the exit code.
pub fn agent(prompt: &str) -> anyhow::Result<i32> {
    let cwd = std::env::current_dir()?;
    let fast = std::env::var_os("LEASH_DEMO_FAST").is_some();
    let scenario = SCENARIOS
        .iter()
        .find(|(_, _, p)| *p == prompt)
        .map(|(n, _, _)| *n)
        .unwrap_or_else(|| prompt.trim_start_matches("demo:").trim());
    let mut s = Script {
        session: format!("demo-{}", std::process::id()),
        msg: 0,
        tool: 0,
        fast,
    };
    let at = |rel: &str| cwd.join(rel).display().to_string();
    s.emit(
        json!({"type": "system", "subtype": "init", "cwd": cwd.display().to_string(),
        "session_id": s.session, "model": "claude-demo", "tools": ["Read", "Write", "Edit", "Bash"],
        "permissionMode": "acceptEdits", "apiKeySource": "none (leash demo agent)"}),
    );
    let day = today();
    if let Some(pass) = prompt
        .lines()
        .find_map(|l| l.trim().strip_prefix("demo: pass "))
    {
        return pass_agent(&mut s, &cwd, pass);
    }
    match scenario {
        "note" => {
            s.text("I'll write today's stand-up note into memory.");
            let rel = format!("memory/{day}/standup.md");
            let body = "# Stand-up (demo)\n\n- Yesterday: wired the demo workspace.\n- Today: review the waiting turns.\n";
            write(&cwd, &rel, body)?;
            s.tool(
                "Write",
                json!({"file_path": at(&rel), "content": body}),
                "File created successfully",
            );
            s.text("Done: the note is in memory.");
            s.result("Wrote today's stand-up note.", false, json!({}));
            Ok(0)
        }
        "draft" => {
            s.text("Reading the outline first.");
            let outline = std::fs::read_to_string(cwd.join("docs/outline.md")).unwrap_or_default();
            s.tool(
                "Read",
                json!({"file_path": at("docs/outline.md")}),
                &outline,
            );
            let body = "# Supervised agents (demo draft)\n\nAn agent that works in checkpoints can be trusted with more: every turn is one commit,\nand a bad one is rolled back in one key.\n\n## Why supervise\n\nBecause review is cheaper than repair.\n";
            write(&cwd, "docs/draft.md", body)?;
            s.tool(
                "Write",
                json!({"file_path": at("docs/draft.md"), "content": body}),
                "File created successfully",
            );
            s.result(
                "Drafted docs/draft.md from the outline; it needs your review.",
                false,
                json!({}),
            );
            Ok(0)
        }
        "runbook" => {
            s.text("Adding a restart step to the runbook.");
            let path = cwd.join("operations/runbook.md");
            let mut text = std::fs::read_to_string(&path).unwrap_or_default();
            let old = "2. Read the last deploy's log.\n";
            let new = "2. Read the last deploy's log.\n3. Restart the service with `systemctl restart demo`.\n";
            text = text.replace(old, new);
            std::fs::write(&path, &text)?;
            s.tool("Edit", json!({"file_path": at("operations/runbook.md"), "old_string": old, "new_string": new}), "The file has been updated.");
            s.result("Added step 3 to the runbook.", false, json!({}));
            Ok(0)
        }
        "overflow" => {
            s.text("Summarising the whole archive: reading everything first.");
            s.tool(
                "Read",
                json!({"file_path": at("docs/outline.md")}),
                "(4 lines)",
            );
            s.msg += 1;
            s.pause();
            s.emit(json!({"type": "assistant", "session_id": s.session, "message": {
                "id": "msg_demo_overflow", "type": "message", "role": "assistant", "model": "<synthetic>",
                "content": [{"type": "text", "text": "prompt is too long: 212417 tokens > 200000 maximum"}],
                "usage": {"input_tokens": 0, "output_tokens": 0}}, "error": "invalid_request"}));
            s.result(
                "prompt is too long: 212417 tokens > 200000 maximum",
                true,
                json!({"terminal_reason": "prompt_too_long", "api_error_status": 400}),
            );
            Ok(1)
        }
        "empty" => {
            s.text("");
            s.result("", false, json!({}));
            Ok(0)
        }
        "hostile" => {
            s.text("Pasting the vendor's release notes verbatim:");
            let hostile = "Release 4.2 \u{1b}]0;you have been pwned\u{7}\u{1b}[2J\u{1b}[H\u{1b}]52;c;cm0gLXJmIH4=\u{7}\
                           fixed login \u{202e}gnp.exe\u{202c} and a\u{200b}dmin checks \u{1b}[31mred\u{1b}[0m \u{1b}]8;;http://evil.invalid\u{1b}\\link\u{1b}]8;;\u{1b}\\";
            s.text(hostile);
            let body = format!("# Vendor notes (demo, pasted)\n\n{hostile}\n");
            write(&cwd, "docs/vendor-notes.md", &body)?;
            s.tool(
                "Write",
                json!({"file_path": at("docs/vendor-notes.md"), "content": body}),
                "File created successfully",
            );
            // A raw, non-JSON line too: the log holds its bytes as they came.
            s.emit_raw("raw: \u{1b}[?1049h\u{1b}[31;1mALERT\u{1b}[0m \u{7}\u{9b}2J done");
            s.result(
                "Pasted the release notes into docs/vendor-notes.md.",
                false,
                json!({}),
            );
            Ok(0)
        }
        "dangling" => {
            s.text("Linking today's notes to the design doc.");
            let rel = format!("memory/{day}/links.md");
            let body = "# Links (demo)\n\n- The design: [design](../../docs/design.md), also `docs/design.md`.\n";
            write(&cwd, &rel, body)?;
            s.tool(
                "Write",
                json!({"file_path": at(&rel), "content": body}),
                "File created successfully",
            );
            s.result("Linked the notes to docs/design.md.", false, json!({}));
            Ok(0)
        }
        "flat" => {
            s.text("Jotting a memory note.");
            let yesterday = (chrono::Local::now().date_naive() - chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string();
            let rel = format!("memory/{yesterday}.md");
            let body = "# Yesterday (demo)\n\n- Remember to rotate the keys.\n";
            write(&cwd, &rel, body)?;
            s.tool(
                "Write",
                json!({"file_path": at(&rel), "content": body}),
                "File created successfully",
            );
            s.result(&format!("Wrote {rel}."), false, json!({}));
            Ok(0)
        }
        "hang" => {
            s.text("Adding the slow test fixture.");
            let body =
                "# Slow fixture (demo)\n\nIts presence makes the `fixtures load` check hang.\n";
            write(&cwd, "docs/slow-fixture.md", body)?;
            s.tool(
                "Write",
                json!({"file_path": at("docs/slow-fixture.md"), "content": body}),
                "File created successfully",
            );
            s.result("Added docs/slow-fixture.md.", false, json!({}));
            Ok(0)
        }
        other => {
            s.result(
                &format!("the demo agent has no scenario `{other}`"),
                true,
                json!({}),
            );
            Ok(2)
        }
    }
}

/// The word after `word` in a pass's prompt (`into OUT`, `of FILE`).
fn after<'a>(prompt: &'a str, word: &str) -> Option<&'a str> {
    let mut words = prompt.split_whitespace();
    words.find(|w| *w == word)?;
    words
        .next()
        .map(|w| w.trim_end_matches([';', ',', '.', ':']))
}

/// A claim the draft makes that no source supports: what the audit finds.
const UNSUPPORTED: &str = "Teams that supervise their agents ship three times faster.";

/// One pass of the demo pipeline: `pass` is what follows `demo: pass `
/// in its prompt (its kind, then its files by `of`, `from` and `into`).
fn pass_agent(s: &mut Script, cwd: &Path, pass: &str) -> anyhow::Result<i32> {
    let kind = pass.split([':', ' ']).next().unwrap_or("");
    let Some(out) = after(pass, "into") else {
        s.result("the demo pass names no `into FILE`", true, json!({}));
        return Ok(2);
    };
    let at = |rel: &str| cwd.join(rel).display().to_string();
    let body = match kind {
        "extract" => {
            s.text("Listing each claim of the outline with where it comes from.");
            let outline = std::fs::read_to_string(cwd.join("docs/outline.md")).unwrap_or_default();
            s.tool(
                "Read",
                json!({"file_path": at("docs/outline.md")}),
                &outline,
            );
            let claims: Vec<Value> = outline
                .lines()
                .filter_map(|l| l.strip_prefix("- "))
                .map(|c| json!({"claim": c, "source": "docs/outline.md"}))
                .collect();
            serde_json::to_string_pretty(&json!({ "claims": claims }))? + "\n"
        }
        "draft" => {
            let from = after(pass, "from").unwrap_or("");
            s.text("Writing the post from the extracted claims.");
            let claims = std::fs::read_to_string(cwd.join(from)).unwrap_or_default();
            s.tool("Read", json!({"file_path": at(from)}), &claims);
            format!(
                "# Supervised agents (demo post)\n\n## Summary\n\n\
                 Supervised agents beat unsupervised ones: every turn is a checkpoint,\n\
                 and a bad one is rolled back in one key. {UNSUPPORTED}\n\n\
                 ## Sources\n\n- docs/outline.md, by way of {from}\n"
            )
        }
        "audit" => {
            let draft = after(pass, "of").unwrap_or("");
            let claims = after(pass, "against").unwrap_or("");
            s.text("Checking each claim of the draft against the extracted claims.");
            let text = std::fs::read_to_string(cwd.join(draft)).unwrap_or_default();
            s.tool("Read", json!({"file_path": at(draft)}), &text);
            let sources = std::fs::read_to_string(cwd.join(claims)).unwrap_or_default();
            s.tool("Read", json!({"file_path": at(claims)}), &sources);
            format!(
                "# Audit (demo): citation verifier\n\n\
                 Checked the claims of {draft} against {claims}.\n\n\
                 - supported: supervised agents beat unsupervised ones\n\
                 - supported: a bad turn is rolled back in one key\n\
                 - UNSUPPORTED: \"{UNSUPPORTED}\" (Summary): no source names it\n\n\
                 1 unsupported claim.\n"
            )
        }
        other => {
            s.result(
                &format!("the demo agent has no pass `{other}`"),
                true,
                json!({}),
            );
            return Ok(2);
        }
    };
    write(cwd, out, &body)?;
    s.tool(
        "Write",
        json!({"file_path": at(out), "content": body}),
        "File created successfully",
    );
    s.result(&format!("Wrote {out}."), false, json!({}));
    Ok(0)
}
