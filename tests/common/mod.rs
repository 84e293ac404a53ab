//! Shared fixtures: real git repositories in temp dirs and the real `leash`
//! binary, each test with a data directory of its own.

#![allow(dead_code)]

pub mod agent;
pub mod console;
pub mod hooks;
pub mod pipeline;
pub mod script;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// A temp git repository with one commit, plus a private data dir.
pub struct Repo {
    pub dir: TempDir,
    pub data: TempDir,
}

/// What a `leash` run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Stdout parsed as JSON (panics with the output when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }
}

/// `line 1` to `line N`, one a line.
pub fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

impl Repo {
    /// A repository on branch `main` with README.md committed.
    pub fn new() -> Repo {
        let dir = tempfile::Builder::new()
            .prefix("leash-ws")
            .tempdir()
            .unwrap();
        let data = tempfile::Builder::new()
            .prefix("leash-data")
            .tempdir()
            .unwrap();
        let p = dir.path();
        git(p, &["init", "-q", "-b", "main"]);
        git(p, &["config", "user.name", "Test Operator"]);
        git(p, &["config", "user.email", "operator@example.com"]);
        std::fs::write(p.join("README.md"), "original line\n").unwrap();
        git(p, &["add", "README.md"]);
        git(p, &["commit", "-q", "-m", "init"]);
        Repo { dir, data }
    }

    /// A repository where `leash init` ran and its files were committed.
    pub fn initialised() -> Repo {
        let r = Repo::new();
        r.ok(&["init"]);
        r.git(&["add", ".leash"]);
        r.git(&["commit", "-q", "-m", "leash init"]);
        r
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.file(rel)).unwrap_or_default()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.file(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(self.path(), args)
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// A `leash` command ready to run in this repository.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_leash"));
        c.args(args)
            .current_dir(self.path())
            .env("LEASH_DATA_DIR", self.data.path())
            .env_remove("LEASH_TEST_CRASH_AT")
            .env_remove("LEASH_DETACHED_SUPERVISOR")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("leash runs"))
    }

    /// Runs and asserts exit 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "leash {args:?} exited {}\nstdout:\n{}\nstderr:\n{}",
            r.code, r.stdout, r.stderr
        );
        r
    }

    /// `leash hook AGENT` in the checkout (not inside an isolated turn),
    /// with `input` on stdin.
    pub fn hook(&self, agent: &str, input: &str) -> std::process::Child {
        let mut cmd = self.cmd(&["hook", agent]);
        cmd.env_remove("LEASH_TURN").env_remove("LEASH_WORKSPACE");
        feed(cmd, input)
    }

    /// `leash turns --json`, as a vector.
    pub fn turns(&self) -> Vec<Value> {
        self.ok(&["turns", "--json"])
            .json()
            .as_array()
            .cloned()
            .unwrap()
    }

    /// One turn, whole, from `leash show ID --json` (its actions and
    /// events too); it is also in `leash turns --json`, without them.
    pub fn turn(&self, id: &str) -> Value {
        let listed = self.turns().into_iter().find(|t| t["id"] == id);
        assert!(listed.is_some(), "no turn {id}");
        self.ok(&["show", id, "--json"]).json()
    }

    /// Holds `.git/leash/console.lock` as an open console does (an operator
    /// is present) until the returned file is dropped.
    pub fn hold_console(&self) -> std::fs::File {
        std::fs::create_dir_all(self.path().join(".git/leash")).unwrap();
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.path().join(".git/leash/console.lock"))
            .unwrap();
        f.lock().unwrap();
        f
    }

    pub fn journal(&self) -> PathBuf {
        self.path().join(".git/leash/journal.jsonl")
    }

    /// The journal's events, parsed.
    pub fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(self.journal())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits until the journal holds an event matching `pred`, reading it as
    /// it grows; panics after a generous deadline with the events seen.
    pub fn wait_for_event(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        wait_until(what, || self.events().into_iter().find(|e| pred(e)))
    }
}

/// Starts `cmd` with its output piped and `input` written to its stdin
/// (closed after), as an agent calls a hook.
pub fn feed(mut cmd: Command, input: &str) -> std::process::Child {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("leash starts");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.as_bytes())
        .expect("the hook reads its input");
    child
}

/// Polls `probe` until it yields a value (a condition, not a fixed delay);
/// panics after 60 s naming what was awaited.
pub fn wait_until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True while a process with this pid exists and is not a zombie.
pub fn alive(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 1..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            state != "Z"
        }
        Err(_) => false,
    }
}
