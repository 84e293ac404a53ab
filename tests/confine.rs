//! Confinement of isolated turns by Landlock, through the real binary on
//! this machine's kernel: what a turn may write, what the kernel refuses
//! (and that nothing lands there), how the turn records it, and the
//! network rule. Each test that needs Landlock says so and returns early
//! on a kernel without it (the `require` test simulates that kernel).

mod common;

use std::net::TcpListener;
use std::path::Path;

use common::Repo;
use serde_json::Value;

/// A workspace with `leash init` committed, its `[run]` table edited by
/// `edit` (line replacements) and committed too: turns read the policy as
/// committed.
fn workspace(edits: &[(&str, &str)]) -> Repo {
    let r = Repo::initialised();
    if !edits.is_empty() {
        let mut cfg = r.read(".leash/config.toml");
        for (from, to) in edits {
            assert!(cfg.contains(from), "the template has `{from}`");
            cfg = cfg.replacen(from, to, 1);
        }
        r.write(".leash/config.toml", &cfg);
        r.git(&["commit", "-qam", "confinement settings"]);
    }
    r
}

/// The kernel's Landlock ABI as `leash check --json` reports it.
fn landlock_abi(r: &Repo) -> u64 {
    r.ok(&["check", "--json"]).json()["confinement"]["abi"]
        .as_u64()
        .expect("check --json reports the ABI")
}

/// True (after saying why) when this kernel cannot run the test.
fn no_landlock(r: &Repo, need: u64) -> bool {
    let abi = landlock_abi(r);
    if abi < need {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: this kernel's Landlock ABI is {abi}, the test needs {need}"
        );
        return true;
    }
    false
}

/// Runs `leash run -- sh -c SCRIPT` (HOME set to `home` when given) and
/// returns the new turn from `leash turns --json`.
fn run_sh(r: &Repo, script: &str, home: Option<&Path>) -> Value {
    let mut cmd = r.cmd(&["run", "--", "sh", "-c", script]);
    if let Some(h) = home {
        cmd.env("HOME", h);
    }
    let out = cmd.output().expect("leash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let id = stdout.lines().next().unwrap_or("").trim().to_string();
    assert!(
        id.starts_with('t'),
        "leash run printed no turn id:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    r.turn(&id)
}

/// The turn's events of one kind.
fn events_of(r: &Repo, turn: &str, kind: &str) -> Vec<Value> {
    r.events()
        .into_iter()
        .filter(|e| e["kind"] == kind && e["turn"] == turn)
        .collect()
}

/// Whether a folder holds nothing.
fn empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

fn output(r: &Repo, turn: &str) -> String {
    r.read(&format!(".git/leash/turns/{turn}/output.log"))
}

#[test]
fn a_turn_writing_in_its_worktree_runs_confined_and_lands() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    let t = run_sh(
        &r,
        "echo hi > note.md && echo scratch > \"$TMPDIR/scratch\" && cat \"$TMPDIR/scratch\"",
        None,
    );
    let id = t["id"].as_str().unwrap();
    assert_eq!(t["state"], "awaiting_review", "{t}\n{}", output(&r, id));
    assert!(output(&r, id).contains("scratch"), "TMPDIR is writable");
    let confined = &events_of(&r, id, "turn_confined")[0];
    assert_eq!(confined["confined"], true);
    assert!(confined["abi"].as_u64().unwrap() >= 1);
    let writable: Vec<&str> = confined["writable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(writable.iter().any(|w| w.ends_with(&format!("/{id}"))));
    assert!(writable.iter().any(|w| w.ends_with("/.git/objects")));
    assert!(
        writable
            .iter()
            .any(|w| w.ends_with(&format!("/.git/worktrees/leash-{id}")))
    );
    // Never the repository's .git as a whole, nor its checkout.
    let root = r.path().canonicalize().unwrap();
    assert!(!writable.contains(&root.to_str().unwrap()));
    assert!(!writable.contains(&root.join(".git").to_str().unwrap()));
    assert_eq!(t["confinement"]["confined"], true);

    let show = r.ok(&["show", id]).stdout;
    assert!(show.contains("confined   yes, by Landlock ABI"), "{show}");
    assert!(show.contains("writable   "), "{show}");
    r.ok(&["approve", id]);
    assert_eq!(r.read("note.md"), "hi\n");
}

#[test]
fn writes_outside_the_worktree_are_refused_and_nothing_is_written() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::Builder::new()
        .prefix("leash-elsewhere")
        .tempdir_in("/tmp")
        .unwrap();
    let config_before = r.read(".git/config");
    let head_before = r.head();
    let targets = [
        (r.file("README.md"), "the main checkout"),
        (r.file(".git/config"), "the main repository's .git/config"),
        (
            r.file(".git/refs/heads/evil"),
            "a ref of the main repository",
        ),
        (r.file(".git/leash/journal.jsonl"), "leash's journal"),
        (home.path().join("dotfile"), "$HOME"),
        (
            elsewhere.path().join("x"),
            "/tmp outside the turn's temp dir",
        ),
    ];
    for (target, what) in &targets {
        let before = std::fs::read_to_string(target).ok();
        let t = run_sh(
            &r,
            &format!("echo escaped >> '{}'", target.display()),
            Some(home.path()),
        );
        let id = t["id"].as_str().unwrap();
        let log = output(&r, id);
        assert!(log.contains("Permission denied"), "{what}: {log}");
        let after = std::fs::read_to_string(target).ok();
        if what.contains("journal") {
            // leash itself appends the turn's events; the agent's line is
            // not among them.
            assert!(
                !after.unwrap().lines().any(|l| l == "escaped"),
                "{what}: nothing is written there"
            );
        } else {
            assert_eq!(after, before, "{what}: nothing is written there");
        }
        assert_eq!(t["state"], "failed", "{what}: {t}");
        assert_eq!(t["failure"], "contract_violation", "{what}: {t}");
        let reason = t["reason"].as_str().unwrap();
        assert!(
            reason.contains(&format!(
                "write outside the worktree refused: {}",
                target.display()
            )),
            "{what}: {reason}"
        );
        let refused = events_of(&r, id, "write_refused");
        assert_eq!(refused.len(), 1, "{what}: {refused:?}");
        assert_eq!(refused[0]["path"], target.display().to_string());
        let show = r.ok(&["show", id]).stdout;
        assert!(
            show.contains(&format!("refused    {}", target.display())),
            "{show}"
        );
    }
    assert_eq!(r.read(".git/config"), config_before);
    assert_eq!(r.head(), head_before);
    assert!(!r.file(".git/refs/heads/evil").exists());
    assert!(empty(home.path()), "nothing written in $HOME");
    assert!(empty(elsewhere.path()), "nothing written elsewhere");
}

#[test]
fn a_child_process_is_confined_too() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    let outside = r.file("escape.md");
    // sh starts python3, which writes through a path relative to the
    // worktree and an absolute one: both refused.
    let script = format!(
        "python3 -c \"open('inside.md','w').write('ok')\" && \
         python3 -c \"open('../../escape-rel.md','w').write('x')\"; \
         python3 -c \"open('{}','w').write('x')\"",
        outside.display()
    );
    let t = run_sh(&r, &script, None);
    let id = t["id"].as_str().unwrap();
    let log = output(&r, id);
    assert!(log.contains("PermissionError"), "{log}");
    assert!(!outside.exists());
    let refused: Vec<String> = events_of(&r, id, "write_refused")
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        refused.contains(&outside.display().to_string()),
        "{refused:?}"
    );
    assert!(
        refused.iter().any(|p| p.ends_with("/escape-rel.md")),
        "a relative path is named where it resolves: {refused:?}"
    );
    // The turn wrote its own file, so it has a deliverable: it waits for
    // review, its refusals in its events.
    assert_eq!(t["state"], "awaiting_review", "{t}");
    assert_eq!(t["files_changed"], 1);
}

#[test]
fn git_status_and_add_work_inside_the_worktree() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    let t = run_sh(
        &r,
        "echo hi > a.md && git status --short && git add a.md && \
         git diff --cached --name-only && echo STAGED",
        None,
    );
    let id = t["id"].as_str().unwrap();
    let log = output(&r, id);
    assert!(log.contains("?? a.md"), "{log}");
    assert!(log.contains("STAGED"), "{log}");
    assert!(events_of(&r, id, "write_refused").is_empty(), "{log}");
    assert_eq!(t["state"], "awaiting_review", "{t}");
}

#[test]
fn require_refuses_to_start_without_landlock_and_creates_no_turn() {
    let r = workspace(&[("\n# confine = \"require\"\n", "\nconfine = \"require\"\n")]);
    let out = r
        .cmd(&["run", "--", "sh", "-c", "echo hi > a.md"])
        .env("LEASH_TEST_NO_LANDLOCK", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("confine = \"require\""), "{stderr}");
    assert!(stderr.contains("no Landlock"), "{stderr}");
    assert!(stderr.contains("no turn was created"), "{stderr}");
    assert!(r.turns().is_empty());
    // `leash check` says so too.
    let check = r
        .cmd(&["check"])
        .env("LEASH_TEST_NO_LANDLOCK", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(stderr.contains("will be refused"), "{stderr}");
}

#[test]
fn without_landlock_a_turn_runs_unconfined_with_a_warning() {
    let r = workspace(&[]);
    let out = r
        .cmd(&["run", "--", "sh", "-c", "echo hi > a.md"])
        .env("LEASH_TEST_NO_LANDLOCK", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: t1: this kernel has no Landlock"),
        "{stderr}"
    );
    let confined = &events_of(&r, "t1", "turn_confined")[0];
    assert_eq!(confined["confined"], false);
    assert!(
        confined["warning"]
            .as_str()
            .unwrap()
            .contains("runs unconfined")
    );
    let show = r.ok(&["show", "t1"]).stdout;
    assert!(
        show.contains("confined   NO — this kernel has no Landlock"),
        "{show}"
    );
    let check = r
        .cmd(&["check"])
        .env("LEASH_TEST_NO_LANDLOCK", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&check.stdout).contains("UNCONFINED"));
    assert!(
        String::from_utf8_lossy(&check.stderr).contains("warning: this kernel has no Landlock")
    );
}

#[test]
fn confine_off_runs_unconfined_and_says_so() {
    let r = workspace(&[("\n# confine = \"require\"\n", "\nconfine = \"off\"\n")]);
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("x");
    let t = run_sh(&r, &format!("echo out > '{}'", target.display()), None);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "out\n");
    let confined = &events_of(&r, t["id"].as_str().unwrap(), "turn_confined")[0];
    assert_eq!(confined["confined"], false);
    assert!(confined["warning"].as_str().unwrap().contains("off"));
}

#[test]
fn network_deny_refuses_connects_except_to_allowed_ports() {
    let allowed = TcpListener::bind("127.0.0.1:0").unwrap();
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let (a, o) = (
        allowed.local_addr().unwrap().port(),
        other.local_addr().unwrap().port(),
    );
    let r = workspace(&[
        ("\n# network = \"deny\"\n", "\nnetwork = \"deny\"\n"),
        (
            "# allow_connect_ports = [443]",
            &format!("allow_connect_ports = [443, {a}]"),
        ),
    ]);
    if no_landlock(&r, 4) {
        return;
    }
    let script = format!(
        "python3 -c \"
import socket
for port in ({a}, {o}):
    s = socket.socket()
    try:
        s.connect(('127.0.0.1', port))
        print(port, 'connected')
    except OSError as e:
        print(port, 'refused', e.errno)
\" > net.txt"
    );
    let t = run_sh(&r, &script, None);
    let id = t["id"].as_str().unwrap();
    let wt = t["worktree"].as_str().unwrap().to_string();
    let log = output(&r, id);
    let net = std::fs::read_to_string(Path::new(&wt).join("net.txt"))
        .unwrap_or_else(|e| panic!("net.txt: {e}\n{log}"));
    assert!(net.contains(&format!("{a} connected")), "{net}");
    assert!(net.contains(&format!("{o} refused 13")), "EACCES: {net}");
    let confined = &events_of(&r, id, "turn_confined")[0];
    assert_eq!(confined["connect_ports"], serde_json::json!([443, a]));
    let show = r.ok(&["show", id]).stdout;
    assert!(
        show.contains(&format!("network denied except TCP 443, {a}")),
        "{show}"
    );
}

#[test]
fn the_hook_gate_of_a_confined_turn_still_records_and_decides() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    // The agent's hook (as Claude would run it, inside the sandbox) asks
    // about a write inside the worktree and one outside; the answers are
    // kept in the worktree, where the agent may write.
    let outside = r.file("outside.md");
    let script = format!(
        r#"pre() {{ printf '{{"hook_event_name":"PreToolUse","session_id":"s","cwd":"%s","tool_name":"Write","tool_use_id":"%s","tool_input":{{"file_path":"%s","content":"x"}}}}' "$PWD" "$1" "$2" | "$LEASH_BIN" hook claude; }}
pre w1 "$PWD/inside.md" > inside.json
pre w2 '{}' > outside.json
echo done"#,
        outside.display()
    );
    let out = r
        .cmd(&["run", "--", "sh", "-c", &script])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = r.turn("t1");
    let wt = Path::new(t["worktree"].as_str().unwrap());
    let inside = std::fs::read_to_string(wt.join("inside.json")).unwrap();
    let outside_answer = std::fs::read_to_string(wt.join("outside.json")).unwrap();
    assert!(inside.contains("\"allow\""), "{inside}");
    assert!(outside_answer.contains("\"deny\""), "{outside_answer}");
    let requested: Vec<Value> = events_of(&r, "t1", "action_requested");
    assert_eq!(requested.len(), 2, "the gate journaled both calls");
    let decided: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "action_decided")
        .collect();
    assert_eq!(decided.len(), 2, "{decided:?}");
    assert!(!outside.exists());
    assert_eq!(events_of(&r, "t1", "turn_confined")[0]["confined"], true);
}

#[test]
fn leash_shell_confines_an_interactive_command_to_the_checkout() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    r.write("docs/notes.md", "start\n");
    r.write(".claude/settings.json", "{}\n");
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::Builder::new()
        .prefix("leash-elsewhere")
        .tempdir_in("/tmp")
        .unwrap();
    let config = r.read(".git/config");
    let policy = r.read(".leash/config.toml");
    let script = format!(
        "echo more >> docs/notes.md && mkdir -p docs/new && echo x > docs/new/y.md && echo INSIDE
         echo bad >> .git/config; echo bad >> .leash/config.toml; echo bad >> .claude/settings.json
         echo bad > '{home}/dot'; echo bad > '{elsewhere}/x'; echo bad > toplevel.md
         echo scratch > \"$TMPDIR/s\" && echo TMP
         exit 7",
        home = home.path().display(),
        elsewhere = elsewhere.path().display()
    );
    let out = r
        .cmd(&["shell", "--", "sh", "-c", &script])
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(7),
        "the command's exit status\n{stderr}"
    );
    assert!(
        stdout.contains("INSIDE") && stdout.contains("TMP"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("leash shell: confined by Landlock ABI"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("Permission denied").count(), 6, "{stderr}");
    assert_eq!(r.read("docs/notes.md"), "start\nmore\n");
    assert_eq!(r.read("docs/new/y.md"), "x\n");
    assert_eq!(r.read(".git/config"), config);
    assert_eq!(r.read(".leash/config.toml"), policy);
    assert_eq!(r.read(".claude/settings.json"), "{}\n");
    assert!(!r.file("toplevel.md").exists());
    assert!(empty(home.path()), "nothing written in $HOME");
    assert!(empty(elsewhere.path()), "nothing written elsewhere");
}

#[test]
fn a_session_leash_shell_starts_is_recorded_as_confined() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    // What Claude Code's SessionStart hook does, from inside the shell.
    let script = r#"printf '{"hook_event_name":"SessionStart","session_id":"s1","cwd":"%s"}' "$PWD" | "$LEASH_BIN" hook claude"#;
    let out = r
        .cmd(&["shell", "--", "sh", "-c", script])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["kind"] == "session_started")
        .collect();
    assert_eq!(
        started.len(),
        1,
        "the gate recorded the session: {started:?}"
    );
    assert!(started[0]["confined"].as_u64().unwrap() >= 1, "{started:?}");
    let log = r.ok(&["log"]).stdout;
    assert!(log.contains("confined by Landlock ABI"), "{log}");
}

#[test]
fn leash_shell_with_require_refuses_without_landlock() {
    let r = workspace(&[("\n# confine = \"require\"\n", "\nconfine = \"require\"\n")]);
    let marker = r.file("docs/ran");
    let out = r
        .cmd(&[
            "shell",
            "--",
            "sh",
            "-c",
            &format!("mkdir -p docs; echo ran > '{}'", marker.display()),
        ])
        .env("LEASH_TEST_NO_LANDLOCK", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing was started"), "{stderr}");
    assert!(!marker.exists());
}

/// A stand-in for Codex (format "codex") that writes `out.md` whatever its
/// arguments; `sandbox` is the `--sandbox` mode its command line gives.
fn fake_codex(r: &Repo, sandbox: &str) {
    let bin = r.path().join("fake-codex");
    std::fs::write(&bin, "#!/bin/sh\necho codex > out.md\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cfg = r.read(".leash/config.toml");
    cfg.push_str(&format!(
        "\n[agents.cx]\ncommand = [{:?}, \"exec\", \"--json\", \"--sandbox\", {sandbox:?}, \"{{prompt}}\"]\nformat = \"codex\"\n",
        bin.display().to_string()
    ));
    r.write(".leash/config.toml", &cfg);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "a codex-like agent"]);
}

#[test]
fn a_codex_that_sandboxes_itself_runs_in_its_own_sandbox_and_the_turn_says_so() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    // Codex's bubblewrap cannot run inside Landlock: with its own sandbox
    // on, the turn runs in Codex's sandbox, and says so.
    fake_codex(&r, "workspace-write");
    r.ok(&["run", "--agent", "cx", "--prompt", "write"]);
    let confined = events_of(&r, "t1", "turn_confined");
    assert_eq!(confined.len(), 1, "{confined:?}");
    assert_eq!(confined[0]["confined"], false);
    let warning = confined[0]["warning"].as_str().unwrap();
    assert!(
        warning.contains("Codex sandboxes its own commands (workspace-write)")
            && warning.contains("--sandbox danger-full-access"),
        "{warning}"
    );
    assert!(r.ok(&["show", "t1"]).stdout.contains("Codex sandboxes"));

    // Told to apply none, Codex runs in leash's sandbox.
    let r = workspace(&[]);
    fake_codex(&r, "danger-full-access");
    r.ok(&["run", "--agent", "cx", "--prompt", "write"]);
    let confined = events_of(&r, "t1", "turn_confined");
    assert_eq!(confined[0]["confined"], true, "{confined:?}");

    // `require` refuses a Codex that would sandbox itself, saying how.
    let r = workspace(&[("\n# confine = \"require\"\n", "\nconfine = \"require\"\n")]);
    fake_codex(&r, "workspace-write");
    let out = r.run(&["run", "--agent", "cx", "--prompt", "write"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("--sandbox danger-full-access"),
        "{}",
        out.stderr
    );
    assert!(events_of(&r, "t1", "turn_created").is_empty());
}

#[test]
fn a_claude_state_folder_that_does_not_exist_yet_is_made_and_granted() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    // A stand-in for Claude Code (format "claude") on a fresh $HOME: its
    // state folder does not exist yet, and it writes there first.
    let bin = r.path().join("fake-claude");
    std::fs::write(
        &bin,
        "#!/bin/sh\nmkdir -p \"$HOME/.claude/projects\" && echo s > \"$HOME/.claude/projects/s.jsonl\" && echo hi > out.md\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cfg = r.read(".leash/config.toml");
    cfg.push_str(&format!(
        "\n[agents.cl]\ncommand = [{:?}, \"{{prompt}}\"]\nformat = \"claude\"\n",
        bin.display().to_string()
    ));
    r.write(".leash/config.toml", &cfg);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-qm", "a claude-like agent"]);
    let home = tempfile::tempdir().unwrap();
    let out = r
        .cmd(&["run", "--agent", "cl", "--risk", "high", "--prompt", "x"])
        .env("HOME", home.path())
        .output()
        .unwrap();
    let t = r.turn("t1");
    assert_eq!(t["confinement"]["confined"], true, "{t}");
    assert!(
        home.path().join(".claude/projects/s.jsonl").exists(),
        "{t}\n{}\n{}",
        output(&r, "t1"),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(t["paths"], serde_json::json!(["out.md"]), "{t}");
}

#[test]
fn the_default_codex_agent_is_confined_by_leash_and_refused_where_it_cannot_be() {
    let r = workspace(&[]);
    if no_landlock(&r, 1) {
        return;
    }
    // `leash init`'s codex entry, with only its program swapped for a
    // stand-in: Codex is told to apply no sandbox of its own, and leash's
    // is its sandbox.
    let cfg = r.read(".leash/config.toml");
    let line = "command = [\"codex\", \"exec\", \"--json\", \"--sandbox\", \"danger-full-access\", \"{prompt}\"]\nformat = \"codex\"\nconfine = \"require\"\n";
    assert!(cfg.contains(line), "the template's codex entry:\n{cfg}");
    let bin = r.path().join("fake-codex");
    std::fs::write(&bin, "#!/bin/sh\necho codex > out.md\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    r.write(
        ".leash/config.toml",
        &cfg.replacen(
            "command = [\"codex\",",
            &format!("command = [{:?},", bin.display().to_string()),
            1,
        ),
    );
    r.git(&["commit", "-qam", "a codex stand-in"]);
    r.ok(&[
        "run", "--agent", "codex", "--risk", "high", "--prompt", "write",
    ]);
    let t = r.turn("t1");
    assert_eq!(t["confinement"]["confined"], true, "{t}");
    assert_eq!(t["paths"], serde_json::json!(["out.md"]), "{t}");

    // Where the kernel has no Landlock, the codex agent's own `require`
    // refuses its turn, naming the key and the way out; another agent's
    // turn still runs (unconfined, with a warning: `[run] confine` is auto).
    let out = r
        .cmd(&["run", "--agent", "codex", "--prompt", "write"])
        .env("LEASH_TEST_NO_LANDLOCK", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("[agents.codex] confine = \"require\"")
            && stderr.contains("no Landlock")
            && stderr.contains("no turn was created"),
        "{stderr}"
    );
    assert_eq!(r.turns().len(), 1, "no second turn");
    let out = r
        .cmd(&["run", "--", "sh", "-c", "echo hi > b.md"])
        .env("LEASH_TEST_NO_LANDLOCK", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(r.turn("t2")["confinement"]["confined"], false);
    let check = r
        .cmd(&["check"])
        .env("LEASH_TEST_NO_LANDLOCK", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        stderr.contains("turns of codex (confine = \"require\") will be refused"),
        "{stderr}"
    );
}

#[test]
fn init_without_landlock_keeps_codex_in_its_own_sandbox_and_says_so() {
    let r = Repo::new();
    let out = r
        .cmd(&["init"])
        .env("LEASH_TEST_NO_LANDLOCK", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("this kernel has no Landlock") && stdout.contains("workspace-write"),
        "{stdout}"
    );
    let cfg = r.read(".leash/config.toml");
    assert!(
        cfg.contains(
            "command = [\"codex\", \"exec\", \"--json\", \"--sandbox\", \"workspace-write\", \"{prompt}\"]\nformat = \"codex\"\n\n"
        ),
        "{cfg}"
    );
}
