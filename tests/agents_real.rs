//! leash with the real Claude Code and Codex CLIs, run against the scripted
//! model servers of `../shared/harness/` on loopback.
//!
//! Opt-in, because the CLIs are an ~800 MB npm download:
//!
//! ```sh
//! .ci/real-agents        # installs the CLIs, then runs these tests
//! ```
//!
//! (or `LEASH_REAL_AGENTS=1 cargo test --test agents_real -- --include-ignored`
//! once they are installed). Every test is `#[ignore]`d, so a plain
//! `cargo test` lists them as ignored rather than passed; run with
//! `--include-ignored` but without `LEASH_REAL_AGENTS`, each says so and
//! returns. Hooks are installed with `--absolute`, so the agents run the
//! leash under test whatever their PATH holds.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{Repo, wait_until};
use serde_json::{Value, json};

const HARNESS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/harness");

fn enabled() -> bool {
    if std::env::var_os("LEASH_REAL_AGENTS").is_some() {
        return true;
    }
    // A test's own note, not agent text (the crate's lint routes leash's
    // output through its sanitizer).
    #[allow(clippy::disallowed_macros)]
    {
        eprintln!("skipped: set LEASH_REAL_AGENTS=1 (see .ci/real-agents) to run the real CLIs");
    }
    false
}

fn agent_bin(name: &str) -> PathBuf {
    let dir = std::env::var_os("LEASH_AGENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/leash-test-agents")
        });
    let bin = dir.join("node_modules/.bin").join(name);
    assert!(
        bin.exists(),
        "{} is missing: run ../shared/harness/install-agents.sh",
        bin.display()
    );
    bin
}

/// A scripted model server on a free loopback port, stopped on drop.
struct Server {
    child: Child,
    port: u16,
    _logs: tempfile::TempDir,
}

impl Server {
    fn start(script: &str, scenarios: &str) -> Server {
        let logs = tempfile::tempdir().unwrap();
        let port_file = logs.path().join("port");
        let child = Command::new("python3")
            .arg(Path::new(HARNESS).join(script))
            .args(["--port", "0", "--port-file"])
            .arg(&port_file)
            .arg("--scenarios")
            .arg(if scenarios.starts_with("tests/") {
                // leash's own scenarios, kept with its tests.
                Path::new(env!("CARGO_MANIFEST_DIR")).join(scenarios)
            } else {
                Path::new(HARNESS).join("scenarios").join(scenarios)
            })
            .arg("--log-dir")
            .arg(logs.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the fake model server");
        let port = wait_until("the fake model server's port", || {
            std::fs::read_to_string(&port_file)
                .ok()?
                .trim()
                .parse()
                .ok()
        });
        Server {
            child,
            port,
            _logs: logs,
        }
    }
}

impl Server {
    /// The request bodies the server logged, in order.
    fn bodies(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self._logs.path().join("bodies"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|f| serde_json::from_slice(&std::fs::read(f).ok()?).ok())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment an agent needs to talk to the fake server and nothing else.
fn claude_env(cmd: &mut Command, home: &Path, port: u16) {
    cmd.env("HOME", home)
        .env("PATH", agents_path())
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("ANTHROPIC_API_KEY", "test")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("TERM", "dumb");
}

/// `PATH` with the pinned CLIs first, so that the agent commands `leash
/// init` writes (`claude …`, `codex …`) run as they are, with no flag added.
fn agents_path() -> std::ffi::OsString {
    let bin = agent_bin("claude").parent().unwrap().to_path_buf();
    let mut dirs = vec![bin];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// A repository initialised by `leash init`, its config committed as the
/// template wrote it, plus `extra_rules`.
fn claude_repo(extra_rules: &str) -> Repo {
    let r = Repo::new();
    r.ok(&["init"]);
    let mut config = r.read(".leash/config.toml");
    assert!(
        config.contains(
            "command = [\"claude\", \"-p\", \"{prompt}\", \"--output-format\", \"stream-json\", \"--verbose\"]"
        ),
        "the template's claude entry"
    );
    config.push_str(extra_rules);
    r.write(".leash/config.toml", &config);
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "leash"]);
    r
}

#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn claude_isolated_turn_writes_a_file_and_lands_by_policy() {
    if !enabled() {
        return;
    }
    let server = Server::start("fake_anthropic.py", "claude.json");
    let r = claude_repo("");
    let home = tempfile::tempdir().unwrap();
    let mut cmd = r.cmd(&[
        "run",
        "--agent",
        "claude",
        "--risk",
        "low",
        "--prompt",
        "make a hello note",
    ]);
    claude_env(&mut cmd, home.path(), server.port);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = r.turn("t1");
    assert_eq!(t["state"], "landed", "{t}");
    assert!(r.file("notes/hello.md").exists());
    // It ran confined by Landlock where the kernel has it.
    let abi = r.ok(&["check", "--json"]).json()["confinement"]["abi"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(t["confinement"]["confined"], abi > 0, "{t}");
    // The gate saw the Write through the hooks passed with --settings.
    let events = r.events();
    let req = events
        .iter()
        .find(|e| e["kind"] == "action_requested")
        .expect("the gate recorded the Write");
    assert_eq!(req["summary"], "Write notes/hello.md");
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "action_done" && e["ok"] == true)
    );
    let show = r.ok(&["show", "t1"]).stdout;
    assert!(show.contains("Write notes/hello.md"), "{show}");
}

/// `leash run --agent claude --prompt "make a hello note"` with the agent
/// talking to `server`; asserts it exited 0.
fn claude_hello_turn(r: &Repo, home: &Path, server: &Server) {
    let mut cmd = r.cmd(&["run", "--agent", "claude", "--prompt", "make a hello note"]);
    claude_env(&mut cmd, home, server.port);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `leash revise` sends a Claude turn back: the follow-up runs `claude
/// --resume <session_id>` with the session the first turn's stream named,
/// and the model is asked with the comment and the rejected hunk in the
/// prompt, after the first turn's conversation.
#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn claude_revise_resumes_the_session_with_the_comment_and_the_rejected_hunk() {
    if !enabled() {
        return;
    }
    let server = Server::start("fake_anthropic.py", "claude.json");
    let r = claude_repo("");
    let home = tempfile::tempdir().unwrap();
    claude_hello_turn(&r, home.path(), &server);
    let t1 = r.turn("t1");
    assert_eq!(t1["state"], "awaiting_review", "{t1}");
    let session = t1["agent_session"]
        .as_str()
        .expect("the stream's session_id")
        .to_string();
    let before = server.bodies().len();

    let mut cmd = r.cmd(&[
        "revise",
        "t1",
        "--comment",
        "notes/hello.md:3=say hello in French",
    ]);
    claude_env(&mut cmd, home.path(), server.port);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("continuing the agent's session {session}")),
        "{stderr}"
    );
    assert_eq!(r.turn("t1")["state"], "rejected");
    let t2 = r.turn("t2");
    assert_eq!(t2["follows"]["session"], session.as_str(), "{t2}");
    let argv: Vec<&str> = t2["command"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        argv[argv.len() - 2..],
        ["--resume", session.as_str()],
        "{argv:?}"
    );
    // The same session went on: the model got the first turn's conversation
    // and then the prompt leash built.
    let bodies = server.bodies();
    let asked = bodies[before..]
        .iter()
        .find(|b| {
            b["messages"]
                .to_string()
                .contains("was reviewed and sent back")
        })
        .unwrap_or_else(|| panic!("no request carried the revision: {:?}", &bodies[before..]));
    let messages = asked["messages"].to_string();
    assert!(
        messages.contains("make a hello note"),
        "the earlier conversation: {messages}"
    );
    assert!(messages.contains("I'll create the note."), "{messages}");
    let expected_comment = "1. notes/hello.md, line 3: say hello in French\\nIn this hunk:\\n```diff\\n@@ -0,0 +1,3 @@\\n+# Hello\\n+\\n+Hello from the fake model.\\n```";
    assert!(messages.contains(expected_comment), "{messages}");
    let expected_hunk = "The hunks that were not landed (they are not in the working tree):\\n\\nnotes/hello.md\\n```diff\\n@@ -0,0 +1,3 @@\\n+# Hello";
    assert!(messages.contains(expected_hunk), "{messages}");
    assert_eq!(
        server_session_header(&server),
        Some(session.clone()),
        "the follow-up's requests name the resumed session"
    );
}

/// The session id Claude Code named on the last request the server got.
fn server_session_header(server: &Server) -> Option<String> {
    let log = std::fs::read_to_string(server._logs.path().join("requests.jsonl")).ok()?;
    let last: Value = serde_json::from_str(log.lines().last()?).ok()?;
    last["headers"]["x-claude-code-session-id"]
        .as_str()
        .map(str::to_string)
}

/// The path a user takes: `leash init`, then `leash run --agent claude`
/// with the default risk. Claude runs in `-p` mode under its default
/// permission mode, where a Write needs a permission nobody can grant: the
/// gate's explicit allow is what lets it land in the turn.
#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn claude_isolated_turn_with_the_init_defaults_lands_its_write() {
    if !enabled() {
        return;
    }
    let server = Server::start("fake_anthropic.py", "claude.json");
    let r = claude_repo("");
    let home = tempfile::tempdir().unwrap();
    claude_hello_turn(&r, home.path(), &server);
    let t = r.turn("t1");
    // medium = review: the diff waits, with the note in it.
    assert_eq!(t["state"], "awaiting_review", "{t}");
    assert_eq!(t["paths"], json!(["notes/hello.md"]), "{t}");
    assert!(t["failure"].is_null(), "{t}");
    assert!(t["denials"].is_null(), "nobody refused the Write: {t}");
    let decided: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_decided")
        .collect();
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert_eq!(decided[0]["decision"], "allow");
    assert_eq!(decided[0]["by"], "policy");
    r.ok(&["approve", "t1"]);
    assert!(r.file("notes/hello.md").exists());
}

/// `[gate] allowed = "defer"` leaves the Write to Claude's own permission
/// mode, which in `-p` refuses it: the journal says so (deferred, then
/// denied by the agent) and the turn is a contract_violation, never
/// `no_changes`.
#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn claude_refusing_a_deferred_write_is_journaled_as_its_denial() {
    if !enabled() {
        return;
    }
    let server = Server::start("fake_anthropic.py", "claude.json");
    let r = Repo::new();
    r.ok(&["init"]);
    let config = r
        .read(".leash/config.toml")
        .replace("allowed = \"explicit\"", "allowed = \"defer\"");
    assert!(config.contains("allowed = \"defer\""));
    r.write(".leash/config.toml", &config);
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "leash"]);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = r.cmd(&["run", "--agent", "claude", "--prompt", "make a hello note"]);
    claude_env(&mut cmd, home.path(), server.port);
    let out = cmd.output().unwrap();
    let t = r.turn("t1");
    assert_eq!(
        t["failure"],
        "contract_violation",
        "{t}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(t["state"], "failed");
    let decided: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_decided")
        .collect();
    assert_eq!(decided[0]["decision"], "defer", "{decided:?}");
    let refusal = decided
        .iter()
        .find(|d| d["by"] == "agent")
        .expect("the agent's refusal, journaled");
    assert_eq!(refusal["decision"], "deny");
    assert!(
        refusal["reason"]
            .as_str()
            .unwrap()
            .contains("haven't granted it yet"),
        "{refusal}"
    );
    assert!(!r.file("notes/hello.md").exists());
}

#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn claude_in_place_high_risk_write_is_denied_without_a_console_and_allowed_by_leash_allow() {
    if !enabled() {
        return;
    }
    let r = claude_repo("\n[[risk]]\npaths = [\"notes/**\"]\nclass = \"high\"\n");
    r.ok(&["hooks", "install", "claude", "--absolute"]);
    // The driver's work dirs (the agent's HOME, with its transcripts) stay
    // until the test ends.
    let work = tempfile::tempdir().unwrap();
    let runs = std::cell::Cell::new(0);
    let drive = |r: &Repo| {
        runs.set(runs.get() + 1);
        let mut c = Command::new("python3");
        c.arg(Path::new(HARNESS).join("run_claude.py"))
            .arg("--workdir")
            .arg(work.path().join(format!("run{}", runs.get())))
            .args(["--prompt", "make a hello note", "--no-hooks", "--proj"])
            .arg(r.path())
            // Claude's own default mode (the driver would pick acceptEdits):
            // the Write runs because leash allows it, not because Claude
            // was told to accept edits.
            .args(["--permission-mode", "manual"])
            .args(["--claude"])
            .arg(agent_bin("claude"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    // No console: the gate answers at once, by `unattended = deny`.
    let out = drive(&r).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !r.file("notes/hello.md").exists(),
        "a denied Write never ran"
    );
    let denied = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "action_decided" && e["by"] == "unattended")
        .expect("an unattended deny");
    assert_eq!(denied["decision"], "deny");
    // The session's transcript is known, and reads as the turn's output.
    let started = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "session_started")
        .expect("the session was journaled");
    let transcript = std::fs::read(started["transcript"].as_str().unwrap()).unwrap();
    let rendered = leash::transcript::render(
        &transcript,
        leash::transcript::Format::Claude,
        Some(&r.path().display().to_string()),
    );
    let text: Vec<String> = rendered.lines.iter().map(|l| l.text.plain()).collect();
    assert!(
        text.iter().any(|l| l.contains("I'll create the note.")),
        "{text:#?}"
    );

    // An operator is present (the console lock is held); the hook waits and
    // `leash allow` from another process lets the agent go on.
    let console = r.hold_console();
    let agent = drive(&r).spawn().unwrap();
    let waiting = r.wait_for_event("the Write to wait for an operator", |e| {
        e["kind"] == "action_requested"
            && e["needs"] == "approval"
            && e["action"] != denied["action"]
    });
    let action = waiting["action"].as_str().unwrap().to_string();
    r.ok(&["allow", &action]);
    let out = agent.wait_with_output().unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["exit_code"], 0, "{summary}");
    assert!(r.file("notes/hello.md").exists(), "the allowed Write ran");
    drop(console);
    // The in-place turns ended at Stop and are in the journal.
    let turns = r.turns();
    assert!(turns.iter().all(|t| t["kind"] == "in_place"), "{turns:?}");
    assert!(turns.iter().any(|t| t["files_changed"] == 1));
}

/// A repository set up by `leash init` with its codex entry unchanged (the
/// CLI found on PATH; where the kernel has Landlock, leash's sandbox is
/// Codex's), and a `CODEX_HOME` whose model provider is `server`.
struct CodexRepo {
    repo: Repo,
    landlock: bool,
    home: tempfile::TempDir,
    codex_home: tempfile::TempDir,
}

impl CodexRepo {
    fn new(server: &Server) -> CodexRepo {
        let r = Repo::new();
        r.ok(&["init"]);
        let landlock = r.ok(&["check", "--json"]).json()["confinement"]["abi"]
            .as_u64()
            .unwrap_or(0)
            > 0;
        let sandbox = if landlock {
            "danger-full-access"
        } else {
            "workspace-write"
        };
        assert!(
            r.read(".leash/config.toml").contains(&format!(
                "command = [\"codex\", \"exec\", \"--json\", \"--sandbox\", \"{sandbox}\", \"{{prompt}}\"]"
            )),
            "the template's codex entry"
        );
        r.git(&["add", ".leash"]);
        r.git(&["commit", "-q", "-m", "leash"]);
        let codex_home = tempfile::tempdir().unwrap();
        std::fs::write(
            codex_home.path().join("config.toml"),
            format!(
                "model = \"gpt-5.5\"\nmodel_provider = \"fake\"\n\n[model_providers.fake]\nname = \"fake\"\n\
                 base_url = \"http://127.0.0.1:{}/v1\"\nenv_key = \"FAKE_OPENAI_KEY\"\nwire_api = \"responses\"\n\
                 request_max_retries = 1\nstream_max_retries = 1\n\n[analytics]\nenabled = false\n\n\
                 [features]\nplugins = false\nremote_plugin = false\napps = false\nin_app_updates = false\n",
                server.port
            ),
        )
        .unwrap();
        CodexRepo {
            repo: r,
            landlock,
            home: tempfile::tempdir().unwrap(),
            codex_home,
        }
    }

    /// Runs `leash ARGS` (see [`CodexRepo::leash`]) and asserts it exited 0.
    fn ok(&self, args: &[&str]) -> std::process::Output {
        let out = self.leash(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `leash ARGS` with the environment Codex needs to reach the server.
    fn leash(&self, args: &[&str]) -> Command {
        let mut cmd = self.repo.cmd(args);
        cmd.env("HOME", self.home.path())
            .env("PATH", agents_path())
            .env("CODEX_HOME", self.codex_home.path())
            .env("FAKE_OPENAI_KEY", "test");
        cmd
    }
}

#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn codex_isolated_turn_parses_its_command_and_file_change() {
    if !enabled() {
        return;
    }
    let server = Server::start("fake_openai.py", "codex.json");
    let codex = CodexRepo::new(&server);
    let (r, landlock) = (&codex.repo, codex.landlock);
    codex.ok(&[
        "run",
        "--agent",
        "codex",
        "--risk",
        "low",
        "--prompt",
        "make a hello file",
    ]);
    let t = r.turn("t1");
    let output = std::fs::read_to_string(r.path().join(".git/leash/turns/t1/output.log"))
        .unwrap_or_default();
    assert_eq!(t["paths"], json!(["hello.txt"]), "{t}\n{output}");
    assert_eq!(t["confinement"]["confined"], landlock, "{t}");
    // The gate allowed it explicitly (allow with Codex's own input as
    // `updatedInput`), Codex ran it, and nobody refused it.
    let decided: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_decided")
        .collect();
    assert!(
        decided
            .iter()
            .all(|d| d["decision"] == "allow" && d["by"] == "policy"),
        "{decided:?}"
    );
    assert!(!decided.is_empty());
    assert!(t["denials"].is_null(), "{t}");
    let events = r.events();
    let cmd = events
        .iter()
        .find(|e| e["kind"] == "action_requested" && e["tool"] == "Bash")
        .expect("the command, seen by the gate");
    assert!(
        cmd["input"]["command"]
            .as_str()
            .unwrap()
            .contains("echo hello-from-codex > hello.txt"),
        "{cmd}"
    );
    assert_eq!(t["state"], "landed");

    // A patch at the default risk: explicitly allowed as an edit of the
    // turn's own worktree, applied by Codex, and waiting in the diff.
    codex.ok(&["run", "--agent", "codex", "--prompt", "make a hello note"]);
    let t = r.turn("t2");
    assert_eq!(t["state"], "awaiting_review", "{t}");
    assert_eq!(t["paths"], json!(["notes/hello.md"]), "{t}");
    let patch = r
        .events()
        .into_iter()
        .find(|e| e["kind"] == "action_decided" && e["action"] == "t2.a1")
        .expect("the patch, decided by the gate");
    assert_eq!(patch["decision"], "allow", "{patch}");
    assert!(
        patch["reason"]
            .as_str()
            .unwrap()
            .contains("edits only the turn's own worktree"),
        "{patch}"
    );
}

#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn overflow_is_named_context_overflow_for_both_agents() {
    if !enabled() {
        return;
    }
    let server = Server::start("fake_anthropic.py", "claude.json");
    let r = claude_repo("");
    let home = tempfile::tempdir().unwrap();
    let mut cmd = r.cmd(&["run", "--agent", "claude", "--prompt", "overflow please"]);
    claude_env(&mut cmd, home.path(), server.port);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let t = r.turn("t1");
    assert_eq!(t["failure"], "context_overflow", "{t}");
    assert_eq!(t["state"], "failed");

    let server = Server::start("fake_openai.py", "codex.json");
    let codex_home = tempfile::tempdir().unwrap();
    std::fs::write(
        codex_home.path().join("config.toml"),
        format!(
            "model = \"gpt-5.5\"\nmodel_provider = \"fake\"\n[model_providers.fake]\nname = \"fake\"\n\
             base_url = \"http://127.0.0.1:{}/v1\"\nenv_key = \"FAKE_OPENAI_KEY\"\nwire_api = \"responses\"\n\
             request_max_retries = 0\nstream_max_retries = 0\n[features]\nplugins = false\nremote_plugin = false\napps = false\n",
            server.port
        ),
    )
    .unwrap();
    let out = r
        .cmd(&["run", "--agent", "codex", "--prompt", "overflow"])
        .env("HOME", home.path())
        .env("PATH", agents_path())
        .env("CODEX_HOME", codex_home.path())
        .env("FAKE_OPENAI_KEY", "test")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(r.turn("t2")["failure"], "context_overflow");
}

#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn claude_in_place_edit_made_through_bash_is_undone_by_reject() {
    if !enabled() {
        return;
    }
    let r = claude_repo("");
    r.ok(&["hooks", "install", "claude", "--absolute"]);
    let out = Command::new("python3")
        .arg(Path::new(HARNESS).join("run_claude.py"))
        .args(["--prompt", "run a command", "--no-hooks", "--cleanup"])
        // Claude's own default mode, which would refuse a shell redirection
        // into the project: the command runs because leash allows it.
        .args(["--permission-mode", "manual"])
        .arg("--proj")
        .arg(r.path())
        .arg("--claude")
        .arg(agent_bin("claude"))
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["exit_code"], 0, "{summary}");
    assert!(
        r.file("bash_out.txt").exists(),
        "the agent's Bash command ran"
    );
    let t = r.turn("t1");
    assert_eq!(t["kind"], "in_place");
    assert_eq!(t["state"], "awaiting_review", "{t}");
    assert_eq!(
        t["paths"],
        json!(["bash_out.txt"]),
        "the shell's edit is in the turn's diff"
    );
    let show = r.ok(&["show", "t1"]).stdout;
    assert!(
        show.contains("Bash: echo hello-from-bash"),
        "the action is in `leash show`:\n{show}"
    );
    r.ok(&["reject", "t1", "--reason", "no stray files"]);
    assert!(
        !r.file("bash_out.txt").exists(),
        "reject undid the Bash edit"
    );
    assert_eq!(r.read("README.md"), "original line\n");
}

/// `leash revise` of a Codex turn continues its thread: `codex exec …
/// resume <thread_id> PROMPT`, and the model is asked, after the first
/// turn's conversation, with the comment and the rejected hunk.
#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn codex_revise_resumes_the_thread_with_the_comment_and_the_rejected_hunk() {
    if !enabled() {
        return;
    }
    let server = Server::start("fake_openai.py", "codex.json");
    let codex = CodexRepo::new(&server);
    let r = &codex.repo;
    codex.ok(&["run", "--agent", "codex", "--prompt", "make a hello note"]);
    let t1 = r.turn("t1");
    assert_eq!(t1["state"], "awaiting_review", "{t1}");
    let thread = t1["agent_session"]
        .as_str()
        .expect("the thread id")
        .to_string();
    let before = server.bodies().len();
    let out = codex.ok(&[
        "revise",
        "t1",
        "--comment",
        "notes/hello.md:1=greet in French",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("continuing the agent's session {thread}")),
        "{stderr}"
    );
    let t2 = r.turn("t2");
    let argv: Vec<&str> = t2["command"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let at = argv
        .iter()
        .position(|a| *a == "resume")
        .expect("codex exec resume");
    assert_eq!(argv[at + 1], thread, "{argv:?}");
    assert!(
        t2["failure"].is_null(),
        "{t2}\n{}",
        std::fs::read_to_string(r.path().join(".git/leash/turns/t2/output.log"))
            .unwrap_or_default()
    );
    let bodies = server.bodies();
    let asked = bodies[before..]
        .iter()
        .find(|b| {
            b["input"]
                .to_string()
                .contains("was reviewed and sent back")
        })
        .unwrap_or_else(|| panic!("no request carried the revision"));
    let input = asked["input"].to_string();
    assert!(
        input.contains("make a hello note"),
        "the earlier conversation: {input}"
    );
    assert!(
        input.contains("1. notes/hello.md, line 1: greet in French"),
        "{input}"
    );
    assert!(input.contains("The hunks that were not landed"), "{input}");
    assert!(input.contains("+# Hello"), "{input}");
}

/// A repository where `leash init` ran with a rule that makes `echo`
/// commands high risk (held, so denied with no console open), and where
/// `leash hooks install codex` put leash's hooks into `.codex/hooks.json`.
fn codex_in_place_repo() -> Repo {
    let r = Repo::new();
    r.ok(&["init"]);
    let mut config = r.read(".leash/config.toml");
    config.push_str("\n[[risk]]\ncommands = [\"echo *\"]\nclass = \"high\"\n");
    r.write(".leash/config.toml", &config);
    r.git(&["add", ".leash"]);
    r.git(&["commit", "-q", "-m", "leash"]);
    r.ok(&["hooks", "install", "codex", "--absolute"]);
    r
}

/// One `codex exec` in the repository through the harness driver, with no
/// hooks of the driver's own: only what Codex loads from the repository
/// runs. `extra_toml` goes into its `config.toml`, `extra` onto its command
/// line. Returns the driver's summary.
fn drive_codex(r: &Repo, workdir: &Path, prompt: &str, extra_toml: &str, extra: &[&str]) -> Value {
    let mut c = Command::new("python3");
    c.arg(Path::new(HARNESS).join("run_codex.py"))
        .arg("--workdir")
        .arg(workdir)
        .args(["--prompt", prompt, "--no-hooks", "--proj"])
        .arg(r.path())
        .arg("--codex")
        .arg(agent_bin("codex"))
        .args(["--extra-toml", extra_toml]);
    if !extra.is_empty() {
        c.arg("--extra").args(extra);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["exit_code"], 0, "{summary:#}");
    summary
}

/// `leash hooks status codex --json` as seen with the driver's Codex home.
fn codex_status(r: &Repo, workdir: &Path) -> Value {
    let run = r
        .cmd(&["hooks", "status", "codex", "--json"])
        .env("HOME", workdir.join("home"))
        .env("CODEX_HOME", workdir.join("codex_home"))
        .output()
        .unwrap();
    assert!(run.status.success());
    serde_json::from_slice::<Value>(&run.stdout).unwrap()[0].clone()
}

/// Asserts the journal holds Codex's `echo` tool call, denied with no
/// operator present, and that it did not run.
fn assert_echo_was_gated(r: &Repo) {
    assert!(
        !r.file("hello.txt").exists(),
        "the denied command never ran"
    );
    let events = r.events();
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "session_started" && e["agent"] == "codex"),
        "the session reported: {events:#?}"
    );
    let req = events
        .iter()
        .find(|e| {
            e["kind"] == "action_requested"
                && e["summary"]
                    .as_str()
                    .is_some_and(|s| s.contains("echo hello-from-codex"))
        })
        .unwrap_or_else(|| panic!("the command is in the journal: {events:#?}"));
    assert_eq!(req["risk"], "high");
    let decided = events
        .iter()
        .find(|e| e["kind"] == "action_decided" && e["action"] == req["action"])
        .expect("the command was decided");
    assert_eq!(decided["decision"], "deny", "{decided}");
    assert_eq!(decided["by"], "unattended", "{decided}");
}

#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn codex_in_place_with_bypassed_hook_trust_is_gated() {
    if !enabled() {
        return;
    }
    let r = codex_in_place_repo();
    let work = tempfile::tempdir().unwrap();
    drive_codex(
        &r,
        &work.path().join("run1"),
        "make a hello file",
        "",
        &["--trust", "--dangerously-bypass-hook-trust"],
    );
    assert_echo_was_gated(&r);
    // A tool call policy lets through runs, and is journaled too.
    drive_codex(
        &r,
        &work.path().join("run2"),
        "make a hello note",
        "",
        &["--trust", "--dangerously-bypass-hook-trust"],
    );
    assert!(r.file("notes/hello.md").exists(), "the allowed patch ran");
    let events = r.events();
    let patch = events
        .iter()
        .find(|e| e["kind"] == "action_requested" && e["tool"] == "apply_patch")
        .unwrap_or_else(|| panic!("the patch is in the journal: {events:#?}"));
    assert_eq!(patch["summary"], "apply_patch: notes/hello.md");
}

#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn codex_in_place_with_reviewed_hooks_is_gated_and_reported_as_running() {
    if !enabled() {
        return;
    }
    let r = codex_in_place_repo();
    let root = r.path().canonicalize().unwrap();
    // What Codex records when the project is trusted and leash's hooks are
    // reviewed in its /hooks screen (the hashes are pinned to what Codex
    // writes by the unit tests of hooks_status).
    let file = root.join(".codex/hooks.json");
    let settings = leash::agents::hooks_config::read_settings(&file)
        .unwrap()
        .unwrap();
    let mut toml = format!(
        "[projects.{:?}]\ntrust_level = \"trusted\"\n",
        root.display().to_string()
    );
    for e in leash::agents::hooks_config::leash_entries(&settings) {
        let label: String = e
            .event
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
                sep.into_iter()
                    .chain(std::iter::once(c.to_ascii_lowercase()))
            })
            .collect();
        toml.push_str(&format!(
            "[hooks.state.\"{}:{label}:{}:{}\"]\ntrusted_hash = \"{}\"\n",
            file.display(),
            e.group,
            e.index,
            leash::agents::hooks_status::codex_hook_hash(&e)
        ));
    }
    let work = tempfile::tempdir().unwrap();
    let run = work.path().join("run");
    drive_codex(&r, &run, "make a hello file", &toml, &[]);
    assert_echo_was_gated(&r);
    let s = codex_status(&r, &run);
    assert_eq!(s["loads"], true, "{s:#}");
    assert!(
        s["last_report"]["ts"].is_string(),
        "the session's report is dated: {s:#}"
    );
}

#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn codex_in_place_with_unreviewed_hooks_runs_unsupervised_and_status_says_so() {
    if !enabled() {
        return;
    }
    let r = codex_in_place_repo();
    let work = tempfile::tempdir().unwrap();
    let run = work.path().join("run");
    // Trusted (`--trust`), but nobody reviewed leash's hooks: Codex skips them.
    drive_codex(&r, &run, "make a hello file", "", &["--trust"]);
    assert!(
        r.file("hello.txt").exists(),
        "Codex ran the command leash would have denied"
    );
    assert!(
        r.events()
            .iter()
            .all(|e| e["kind"] != "session_started" && e["kind"] != "action_requested"),
        "nothing reported to leash"
    );
    let s = codex_status(&r, &run);
    assert_eq!(s["loads"], false, "{s:#}");
    assert_eq!(s["last_report"], Value::Null, "{s:#}");
    let blockers = s["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1, "the project is trusted: {s:#}");
    assert!(blockers[0].as_str().unwrap().contains("/hooks"), "{s:#}");
}

/// A confined Claude turn: a Bash step that writes outside the worktree is
/// refused by the kernel (nothing is written there, the refusal is
/// recorded), while the same step's write inside the worktree lands.
#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn claude_confined_bash_cannot_write_outside_its_worktree() {
    if !enabled() {
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("escaped.txt");
    let scenarios = tempfile::tempdir().unwrap();
    let file = scenarios.path().join("escape.json");
    let scenario = json!({
        "default": "escape",
        "side_reply": "ok",
        "scenarios": {"escape": {
            "trigger": ["escape please"],
            "steps": [
                {"content": [{"type": "tool_use", "name": "Bash", "input": {
                    "command": format!("echo escaped > {}; echo inside > inside.txt", target.display()),
                    "description": "Write two files"
                }}]},
                {"content": [{"type": "text", "text": "done"}]}
            ]
        }}
    });
    std::fs::write(&file, scenario.to_string()).unwrap();
    let server = Server::start("fake_anthropic.py", file.to_str().unwrap());
    let r = claude_repo("");
    if r.ok(&["check", "--json"]).json()["confinement"]["abi"]
        .as_u64()
        .unwrap_or(0)
        == 0
    {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let mut cmd = r.cmd(&[
        "run",
        "--agent",
        "claude",
        "--risk",
        "low",
        "--prompt",
        "escape please",
    ]);
    claude_env(&mut cmd, home.path(), server.port);
    let out = cmd.output().unwrap();
    let t = r.turn("t1");
    let output = std::fs::read_to_string(r.path().join(".git/leash/turns/t1/output.log"))
        .unwrap_or_default();
    assert_eq!(t["confinement"]["confined"], true, "{t}");
    assert!(!target.exists(), "the kernel let the write out: {output}");
    assert_eq!(t["paths"], json!(["inside.txt"]), "{t}\n{output}");
    let refused = t["refused_writes"].to_string();
    assert!(
        refused.contains("escaped.txt"),
        "the refusal is recorded: {refused}\n{output}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 13's trail with the real Claude Code: a turn reads
/// `docs/source.md`, then writes a note citing it and a file it never read.
/// The unread source makes the guarded turn wait; once approved, `leash
/// blame` names the turn, its Write and the source with the blob the agent
/// read; the note travels to a clone, where `leash verify` names the unread
/// source without the journal.
#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn claude_read_then_write_is_traced_by_blame_the_note_and_verify() {
    if !enabled() {
        return;
    }
    let server = Server::start(
        "fake_anthropic.py",
        "tests/fixtures/scenarios/claude-provenance.json",
    );
    let r = claude_repo(
        "\n[[invariant]]\nname = \"sources read\"\nkind = \"citations\"\nroots = [\"notes\"]\n",
    );
    r.write("docs/source.md", "# Source\n\nThe sky is blue.\n");
    r.write("docs/other.md", "# Other\n");
    r.git(&["add", "docs"]);
    r.git(&["commit", "-qm", "sources"]);
    let read_blob = r.git(&["rev-parse", "HEAD:docs/source.md"]);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = r.cmd(&[
        "run",
        "--agent",
        "claude",
        "--risk",
        "low",
        "--prompt",
        "summarize the source",
    ]);
    claude_env(&mut cmd, home.path(), server.port);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = r.turn("t1");
    assert_eq!(
        t["state"], "awaiting_review",
        "the unread source waits: {t}"
    );
    let unread: Vec<&Value> = t["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["problem"] == "unread")
        .collect();
    assert_eq!(unread.len(), 1, "{t}");
    assert_eq!(unread[0]["target"], "../docs/other.md", "as cited: {t}");
    let reads: Vec<&Value> = t["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["tool"] == "Read")
        .collect();
    assert_eq!(reads.len(), 1, "the Read was recorded: {t}");

    r.ok(&["approve", "t1"]);
    let landed = r.head();
    let l = &r.ok(&["blame", "notes/summary.md:3", "--json"]).json()[0];
    assert_eq!(l["commit"], landed.as_str(), "{l}");
    assert_eq!(l["turn"], "t1", "{l}");
    assert_eq!(l["tool"], "Write", "{l}");
    assert_eq!(l["agent"], "claude", "{l}");
    assert_eq!(l["prompt"], "summarize the source", "{l}");
    assert!(l["model"].as_str().is_some_and(|m| !m.is_empty()), "{l}");
    let sources = l["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{l}");
    assert_eq!(sources[0]["path"], "docs/source.md", "{l}");
    assert_eq!(sources[0]["blob"], read_blob.as_str(), "{l}");
    assert_eq!(sources[0]["changed_since"], false, "{l}");

    // The note is on the landed commit and travels with its ref.
    let note = r.git(&["notes", "--ref", "leash", "show", &landed]);
    assert!(note.contains("\"t1\""), "{note}");
    let clone = tempfile::tempdir().unwrap();
    let status = Command::new("git")
        .args(["clone", "-q"])
        .arg(r.path())
        .arg(clone.path())
        .status()
        .unwrap();
    assert!(status.success());
    let status = Command::new("git")
        .args(["fetch", "-q", "origin", "refs/notes/leash:refs/notes/leash"])
        .current_dir(clone.path())
        .status()
        .unwrap();
    assert!(status.success());
    let v = Command::new(env!("CARGO_BIN_EXE_leash"))
        .args(["verify", "--json"])
        .current_dir(clone.path())
        .output()
        .unwrap();
    assert_eq!(
        v.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(text.contains("docs/other.md"), "{text}");
    assert!(!text.contains("no note"), "{text}");
}

/// A pipeline of one Claude pass, run twice: with room in its token
/// budget it lands and `pipeline show` counts what Claude's stream said
/// (its result's total, and the cost it reported); with too little, Claude
/// is stopped and the pass fails `budget_exceeded` naming the tokens.
#[test]
#[ignore = "needs the real Claude Code and Codex CLIs: run .ci/real-agents (LEASH_REAL_AGENTS=1)"]
fn claude_pass_is_held_to_its_token_budget_by_its_own_usage() {
    if !enabled() {
        return;
    }
    let server = Server::start("fake_anthropic.py", "claude.json");
    let r = claude_repo("");
    let pass = |task: &str, tokens: u64| {
        format!(
            "\n[[task]]\nname = \"{task}\"\n[[task.pass]]\nname = \"write\"\nagent = \"claude\"\n\
             risk = \"low\"\nprompt = \"make a hello note\"\nout = \"notes/hello.md\"\n\
             budget = {{ tokens = {tokens} }}\n"
        )
    };
    let mut tasks = r.read(".leash/tasks.toml");
    tasks.push_str(&pass("roomy", 200_000));
    tasks.push_str(&pass("tight", 15_000));
    r.write(".leash/tasks.toml", &tasks);
    r.git(&["commit", "-qam", "two pipelines"]);
    let home = tempfile::tempdir().unwrap();
    let run = |task: &str| {
        let mut cmd = r.cmd(&["run", "--task", task]);
        claude_env(&mut cmd, home.path(), server.port);
        cmd.output().unwrap()
    };
    let show = |id: &str| r.ok(&["pipeline", "show", id, "--json"]).json();

    let out = run("roomy");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = show("p1");
    assert_eq!(p["state"], "done", "{p:#}");
    let spent = &p["passes"][0]["spent"];
    // What Claude's result line gave as the run's usage, as journaled.
    let total = r
        .events()
        .into_iter()
        .rev()
        .find(|e| e["kind"] == "usage" && e["total"] == true)
        .expect("Claude's result carried the run's usage");
    let tokens = total["input_tokens"].as_u64().unwrap() + total["output_tokens"].as_u64().unwrap();
    assert_eq!(spent["tokens"].as_u64(), Some(tokens), "{p:#}");
    // Two requests of a ~12k-token context: more than either alone.
    assert!(tokens > 20_000, "{p:#}");
    assert!(spent["usd"].is_number(), "Claude reports its cost: {p:#}");

    let out = run("tight");
    assert!(!out.status.success());
    let p = show("p2");
    assert_eq!(p["state"], "failed", "{p:#}");
    let pass = &p["passes"][0];
    assert_eq!(pass["failure"], "budget_exceeded", "{p:#}");
    let reason = pass["reason"].as_str().unwrap();
    assert!(
        reason.contains("tokens: ") && reason.contains("spent of a budget of 15 000"),
        "{reason}"
    );
    // The first request alone was past 80 % of it.
    assert_eq!(pass["budget_warnings"][0]["what"], "tokens", "{p:#}");
}
