//! `leash hooks install` says what the agent still needs before it runs
//! leash's hooks, and `leash hooks status` tells whether it will and when a
//! session last reported — through the real binary, with the agents' config
//! homes in temp dirs.

mod common;

use common::{Repo, Run};
use serde_json::{Value, json};

/// Agent config homes of a test's own.
struct Homes {
    dir: tempfile::TempDir,
}

/// PATH with the leash under test first.
fn path_with_leash() -> std::ffi::OsString {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_leash"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut dirs = vec![bin];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

impl Homes {
    fn new() -> Homes {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("codex_home")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Homes { dir }
    }

    fn codex_config(&self) -> std::path::PathBuf {
        self.dir.path().join("codex_home").join("config.toml")
    }

    fn run(&self, r: &Repo, args: &[&str]) -> Run {
        let o = r
            .cmd(args)
            .env("HOME", self.dir.path().join("home"))
            // The hooks run `leash` through PATH, as after `cargo install`.
            .env("PATH", path_with_leash())
            .env("CODEX_HOME", self.dir.path().join("codex_home"))
            .env_remove("CLAUDE_CONFIG_DIR")
            .output()
            .unwrap();
        let run = Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        assert_eq!(run.code, 0, "leash {args:?}: {}{}", run.stdout, run.stderr);
        run
    }

    fn status(&self, r: &Repo, agent: &str) -> Value {
        let v = self.run(r, &["hooks", "status", agent, "--json"]).json();
        v[0].clone()
    }

    /// What Codex's /hooks screen and trust prompt write when the operator
    /// trusts the project and reviews leash's hooks.
    fn trust_and_review(&self, r: &Repo) {
        let file = r.file(".codex/hooks.json");
        let settings = leash::agents::hooks_config::read_settings(&file)
            .unwrap()
            .unwrap();
        let mut toml = format!(
            "[projects.{:?}]\ntrust_level = \"trusted\"\n",
            r.path().display().to_string()
        );
        for e in leash::agents::hooks_config::leash_entries(&settings) {
            let label = match e.event.as_str() {
                "SessionStart" => "session_start",
                "UserPromptSubmit" => "user_prompt_submit",
                "PreToolUse" => "pre_tool_use",
                "PostToolUse" => "post_tool_use",
                "Stop" => "stop",
                "SessionEnd" => "session_end",
                other => panic!("unexpected event {other}"),
            };
            toml.push_str(&format!(
                "[hooks.state.\"{}:{label}:{}:{}\"]\ntrusted_hash = \"{}\"\n",
                file.display(),
                e.group,
                e.index,
                leash::agents::hooks_status::codex_hook_hash(&e)
            ));
        }
        std::fs::write(self.codex_config(), toml).unwrap();
    }
}

fn hook(r: &Repo, agent: &str, input: &Value) {
    let out = r
        .hook(agent, &input.to_string())
        .wait_with_output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn codex_install_says_what_codex_still_needs_instead_of_claiming_supervision() {
    let r = Repo::initialised();
    let homes = Homes::new();
    let out = homes.run(&r, &["hooks", "install", "codex"]).stdout;
    assert!(out.contains("added leash's"), "{out}");
    assert!(out.contains("codex will not run them yet"), "{out}");
    assert!(out.contains("does not trust this project"), "{out}");
    assert!(out.contains("codex exec --trust"), "{out}");
    assert!(out.contains("/hooks"), "{out}");
    assert!(out.contains("--dangerously-bypass-hook-trust"), "{out}");

    let s = homes.status(&r, "codex");
    assert_eq!(s["loads"], false, "{s:#}");
    assert_eq!(s["installed"][0]["scope"], "project");
    assert_eq!(s["blockers"].as_array().unwrap().len(), 2, "{s:#}");

    // Trusted but not reviewed: still not run.
    std::fs::write(
        homes.codex_config(),
        format!(
            "[projects.{:?}]\ntrust_level = \"trusted\"\n",
            r.path().display().to_string()
        ),
    )
    .unwrap();
    let s = homes.status(&r, "codex");
    assert_eq!(s["loads"], false);
    assert_eq!(s["blockers"].as_array().unwrap().len(), 1, "{s:#}");
    assert!(s["blockers"][0].as_str().unwrap().contains("/hooks"));

    // Trusted and reviewed: Codex's config lets them run.
    homes.trust_and_review(&r);
    let s = homes.status(&r, "codex");
    assert_eq!(s["loads"], true, "{s:#}");
    let again = homes.run(&r, &["hooks", "install", "codex"]).stdout;
    assert!(again.contains("nothing changed"), "{again}");
    assert!(again.contains("codex's config lets it run them"), "{again}");
    assert!(!again.contains("will not run"), "{again}");

    // Another approval timeout rewrites the gate's hook: its review no longer holds.
    let config = r.read(".leash/config.toml");
    let changed = config.replace("approval_timeout = \"10m\"", "approval_timeout = \"20m\"");
    assert_ne!(
        changed, config,
        "the template sets approval_timeout = \"10m\""
    );
    r.write(".leash/config.toml", &changed);
    r.git(&["commit", "-qam", "a longer approval timeout"]);
    let out = homes.run(&r, &["hooks", "install", "codex"]).stdout;
    assert!(out.contains("changed since they were reviewed"), "{out}");
    assert_eq!(homes.status(&r, "codex")["loads"], false);
}

#[test]
fn status_tells_when_a_session_last_reported_and_prints_agent_text_safely() {
    let r = Repo::initialised();
    let homes = Homes::new();
    homes.run(&r, &["hooks", "install", "codex"]);
    let text = homes.run(&r, &["hooks", "status", "codex"]).stdout;
    assert!(
        text.contains("last report: never: no codex session has reported"),
        "{text}"
    );
    let s = homes.status(&r, "codex");
    assert_eq!(s["last_report"], Value::Null);

    // A session id an agent controls, with a terminal title escape in it.
    let session = "s1\u{1b}]0;pwned\u{7}\u{202e}";
    hook(
        &r,
        "codex",
        &json!({"hook_event_name": "SessionStart", "session_id": session,
                "cwd": r.path(), "source": "startup"}),
    );
    let s = homes.status(&r, "codex");
    assert_eq!(s["last_report"]["what"], "session started", "{s:#}");
    let text = homes.run(&r, &["hooks", "status", "codex"]).stdout;
    assert!(text.contains("last report:"), "{text}");
    assert!(text.contains("session started"), "{text}");
    assert!(text.contains("session s1"), "{text}");
    let json = homes.run(&r, &["hooks", "status", "--json"]).stdout;
    for out in [&text, &json] {
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
            "raw control characters reached stdout: {out:?}"
        );
    }
    // Claude has not reported; codex's session is not claude's.
    let both = homes.run(&r, &["hooks", "status"]).stdout;
    assert!(both.contains("claude\n  installed:   no"), "{both}");
    assert!(both.contains("no claude session has reported"), "{both}");
}

#[test]
fn claude_status_names_disable_all_hooks() {
    let r = Repo::initialised();
    let homes = Homes::new();
    let out = homes.run(&r, &["hooks", "install", "claude"]).stdout;
    assert!(out.contains("claude's config lets it run them"), "{out}");
    r.write(
        ".claude/settings.local.json",
        "{\"disableAllHooks\": true}\n",
    );
    let s = homes.status(&r, "claude");
    assert_eq!(s["loads"], false);
    assert!(
        s["blockers"][0]
            .as_str()
            .unwrap()
            .contains("disableAllHooks"),
        "{s:#}"
    );
}

#[test]
fn install_without_an_agent_says_which_to_name() {
    let r = Repo::initialised();
    let run = r.run(&["hooks", "install"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("name the agent"), "{}", run.stderr);
}

#[cfg(target_os = "linux")]
#[test]
fn the_console_header_warns_of_an_agent_running_here_that_reports_nothing() {
    use common::console::{render, settle, text};
    use leash::ui::app::App;
    let r = Repo::initialised();
    let root = r.path().canonicalize().unwrap();
    // `sleep` under the name `codex` (a link: its argv[0]), working in the
    // repository like a Codex whose hooks do not run.
    let bin_dir = tempfile::tempdir().unwrap();
    let bin = bin_dir.path().join("codex");
    std::os::unix::fs::symlink("/bin/sleep", &bin).unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let agent = Kill(
        std::process::Command::new(&bin)
            .arg("60")
            .current_dir(root.join("src"))
            .spawn()
            .unwrap(),
    );
    let pid = agent.0.id();

    let ws = leash::workspace::Workspace::open(&root).unwrap();
    let mut app = App::new(
        ws,
        leash::ui::keymap::Keymap::builtin("default").unwrap(),
        leash::ui::theme::Theme::builtin("dark").unwrap(),
        leash::ui::settings::UserSettings::default(),
        Vec::new(),
    );
    settle(&mut app);
    // What the console's tick thread finds.
    // (Right after exec its command line may not be readable yet.)
    app.agent_procs = common::wait_until("the scan to find the agent process", || {
        let found = leash::agents::procs::agents_in(&root);
        found
            .iter()
            .any(|p| p.pid == pid && p.agent == "codex")
            .then_some(found)
    });
    let screen = text(&render(&mut app, 200, 30));
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains(&format!("⚠ codex (pid {pid}) runs here unsupervised")),
        "{header}"
    );

    // A session of it reports (its SessionStart hook ran): the warning goes.
    hook(
        &r,
        "codex",
        &json!({"hook_event_name": "SessionStart", "session_id": "s-live",
                "cwd": root, "source": "startup"}),
    );
    app.on_changed();
    settle(&mut app);
    let screen = text(&render(&mut app, 200, 30));
    let header = screen.lines().next().unwrap();
    assert!(!header.contains("unsupervised"), "{header}");

    // It ends: an agent still running here reports nothing again.
    hook(
        &r,
        "codex",
        &json!({"hook_event_name": "SessionEnd", "session_id": "s-live",
                "cwd": root, "reason": "other"}),
    );
    app.on_changed();
    settle(&mut app);
    let screen = text(&render(&mut app, 200, 30));
    assert!(screen.lines().next().unwrap().contains("unsupervised"));
}
