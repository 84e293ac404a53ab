//! kill -9 at random points of `run`, `approve` (whole, and of one hunk of
//! two), `reject`, `rollback`,
//! `cancel` and `check --fix`, and after each kill the repository must
//! still work: every command runs, `git fsck` is clean, `git status` is
//! empty, no git lock file is left, every landed turn's commit is on the
//! branch and every commit with a `Leash-Turn` trailer on the branch belongs
//! to a landed or rolled-back turn.
//!
//! `cargo test` runs a few trials; `LEASH_TORTURE_TRIALS=1000` runs many.
//! The randomness is seeded (`LEASH_TORTURE_SEED`, else the clock) and the
//! seed is printed, so a failure can be replayed. Each kill comes either at
//! a named crash point (`LEASH_TEST_CRASH_AT`) or by SIGKILL after a random
//! delay — the only sleep here, and the point of the test.

// The test reports its own seed and trials, never agent text.
#![allow(clippy::disallowed_macros)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Repo, alive, wait_until};

const CONFIG: &str = r#"
[[invariant]]
name = "memory layout"
kind = "layout"
root = "memory"
pattern = "YYYY-MM-DD/**"
fix = "YYYY-MM-DD/durable_notes.md"
"#;

/// A small seeded generator (splitmix64): enough to pick operations and
/// delays reproducibly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Run,
    Approve,
    /// `approve --hunks 1` of a turn of two hunks: a partial landing.
    ApprovePart,
    Reject,
    Rollback,
    Cancel,
    Fix,
}

const OPS: [Op; 7] = [
    Op::Run,
    Op::Approve,
    Op::ApprovePart,
    Op::Reject,
    Op::Rollback,
    Op::Cancel,
    Op::Fix,
];

/// How a trial's process was stopped.
#[derive(Debug)]
enum Kill {
    At(&'static str),
    After(Duration),
}

fn crash_points(op: Op) -> &'static [&'static str] {
    match op {
        Op::Run => &[
            "worktree_creating",
            "worktree_half_made",
            "agent_exited",
            "landing_started",
            "before_ref",
            "turn_landed",
        ],
        Op::Approve => &["landing_started", "before_ref", "turn_landed"],
        Op::ApprovePart => &[
            "approve_decided",
            "landing_started",
            "before_ref",
            "remainder_kept",
            "turn_landed",
        ],
        Op::Reject => &["reject_decided", "rejected_ref"],
        Op::Rollback => &["rollback_started", "before_ref"],
        Op::Cancel => &[],
        Op::Fix => &[
            "fix_worktree_created",
            "landing_started",
            "before_ref",
            "turn_landed",
        ],
    }
}

fn workspace() -> Repo {
    let r = Repo::new();
    r.ok(&["init"]);
    let config = r.read(".leash/config.toml") + CONFIG;
    r.write(".leash/config.toml", &config);
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "leash init"]);
    r
}

struct Trials {
    rng: Rng,
    r: Repo,
    n: u64,
    killed: u64,
}

impl Trials {
    fn turns_in(&self, state: &str) -> Vec<String> {
        self.r
            .turns()
            .into_iter()
            .filter(|t| t["state"] == state)
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// A turn that edits a file; `high` waits for review, `low` lands.
    fn run_args(&mut self, risk: &str) -> Vec<String> {
        self.n += 1;
        let file = format!("f{}.md", self.rng.below(4));
        let script = if self.rng.below(3) == 0 {
            format!("echo {n} > new{n}.md", n = self.n)
        } else {
            format!("echo {} >> {file}", self.n)
        };
        ["run", "--risk", risk, "--", "sh", "-c", &script]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn setup_waiting(&mut self) -> String {
        let args = self.run_args("high");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.r.run(&args);
        assert!(out.code == 0, "setup run failed: {}", out.stderr);
        out.stdout.trim().to_string()
    }

    fn setup_landed(&mut self) -> Option<String> {
        let args = self.run_args("low");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.r.run(&args);
        let id = out.stdout.trim().to_string();
        (self.r.turn(&id)["state"] == "landed").then_some(id)
    }

    /// One trial: set up what the operation needs, start it, kill it.
    /// Returns what was done, for the failure report.
    fn trial(&mut self) -> String {
        let op = OPS[self.rng.below(OPS.len() as u64) as usize];
        let points = crash_points(op);
        let kill = if !points.is_empty() && self.rng.below(5) < 2 {
            Kill::At(self.rng.pick(points))
        } else {
            Kill::After(Duration::from_micros(self.rng.below(120_000)))
        };
        let args: Vec<String> = match op {
            Op::Run => {
                let risk = self.rng.pick(&["low", "high"]);
                self.run_args(risk)
            }
            Op::Approve | Op::Reject => {
                let id = self.setup_waiting();
                if op == Op::Approve {
                    vec!["approve".into(), id]
                } else {
                    vec!["reject".into(), id, "--reason".into(), "torture".into()]
                }
            }
            Op::ApprovePart => {
                self.n += 1;
                let script = format!(
                    "echo {n} > part{n}.md && echo {n} >> f{}.md",
                    self.rng.below(4),
                    n = self.n
                );
                let out = self
                    .r
                    .run(&["run", "--risk", "high", "--", "sh", "-c", &script]);
                assert!(out.code == 0, "setup run failed: {}", out.stderr);
                let id = out.stdout.trim().to_string();
                vec!["approve".into(), id, "--hunks".into(), "1".into()]
            }
            Op::Rollback => {
                let landed = self.turns_in("landed");
                let id = match landed.last() {
                    Some(id) => Some(id.clone()),
                    None => self.setup_landed(),
                };
                match id {
                    Some(id) => vec!["rollback".into(), id],
                    None => return format!("{op:?}: no landed turn to roll back"),
                }
            }
            Op::Cancel => return self.cancel(kill),
            Op::Fix => {
                self.n += 1;
                let date = format!(
                    "{}-{:02}-{:02}",
                    2000 + self.n / 300,
                    1 + self.n % 12,
                    1 + self.n % 28
                );
                self.r
                    .write(&format!("memory/{date}.md"), &format!("# {date}\n"));
                self.r.git(&["add", "memory"]);
                self.r.git(&["commit", "-q", "-m", "a flat note"]);
                vec!["check".into(), "--fix".into()]
            }
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = self.r.cmd(&args);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        if let Kill::At(point) = kill {
            cmd.env("LEASH_TEST_CRASH_AT", point);
        }
        let child = cmd.spawn().unwrap();
        let died = self.stop(child, &kill);
        format!(
            "{op:?} {args:?} {kill:?}{}",
            if died { " (killed)" } else { "" }
        )
    }

    /// Waits for the child, or kills it after the delay. True when it died
    /// of a signal (mid-operation) rather than finishing.
    fn stop(&mut self, mut child: Child, kill: &Kill) -> bool {
        if let Kill::After(delay) = kill {
            // The random delay before the kill is the point of this test.
            std::thread::sleep(*delay);
            let _ = child.kill();
        }
        let status = child.wait().unwrap();
        let died = status.code().is_none();
        if died {
            self.killed += 1;
        }
        died
    }

    /// `leash cancel` of a running detached turn, then SIGKILL of its
    /// supervisor at a random moment of its winding down.
    fn cancel(&mut self, kill: Kill) -> String {
        let out = self
            .r
            .ok(&["run", "--detach", "--", "sh", "-c", "exec sleep 60"]);
        let id = out.stdout.trim().to_string();
        let started = self.r.wait_for_event("the turn to start", |e| {
            e["kind"] == "turn_started" && e["turn"] == id.as_str()
        });
        let sup = started["supervisor_pid"].as_u64().unwrap();
        let mut cmd = self.r.cmd(&["cancel", &id]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let status = cmd.status().unwrap();
        assert!(status.success(), "cancel of a running turn");
        let Kill::After(delay) = kill else {
            unreachable!("cancel has no crash points")
        };
        std::thread::sleep(delay);
        // SAFETY: kill(2) of the supervisor this trial started.
        let hit = unsafe { libc::kill(sup as i32, libc::SIGKILL) } == 0 && alive(sup);
        wait_until("the supervisor to end", || (!alive(sup)).then_some(()));
        if hit {
            self.killed += 1;
        }
        format!("Cancel {id} then SIGKILL of its supervisor after {delay:?}")
    }

    /// Everything that must hold after a kill; an error names what broke.
    fn check(&self) -> Result<(), String> {
        let r = &self.r;
        for args in [
            &["turns", "--json"][..],
            &["log"],
            &["actions"],
            &["autonomy"],
        ] {
            let out = r.run(args);
            if out.code != 0 {
                return Err(format!(
                    "leash {args:?} exited {}: {}",
                    out.code, out.stderr
                ));
            }
        }
        let turns = r.turns();
        if let Some(t) = turns.last() {
            let id = t["id"].as_str().unwrap();
            for args in [["show", id], ["diff", id]] {
                let out = r.run(&args);
                if out.code != 0 {
                    return Err(format!(
                        "leash {args:?} exited {}: {}",
                        out.code, out.stderr
                    ));
                }
            }
        }
        // A command that changes the repository works too: a turn runs,
        // commits and cleans up after itself.
        let out = r.run(&["run", "--risk", "high", "--", "echo", "nothing to change"]);
        if out.code != 0 {
            return Err(format!(
                "leash run after the kill exited {}: {}",
                out.code, out.stderr
            ));
        }
        let locks = git_locks(r);
        if !locks.is_empty() {
            return Err(format!("lock files left: {locks:?}"));
        }
        let fsck = git(r, &["fsck", "--no-progress"]);
        if let Err(e) = fsck {
            return Err(format!("git fsck: {e}"));
        }
        let status = git(r, &["status", "--porcelain"])?;
        if !status.is_empty() {
            return Err(format!("git status --porcelain:\n{status}"));
        }
        for t in &turns {
            if t["state"] == "landed" {
                let c = t["landed_commit"].as_str().unwrap_or_default();
                if git(r, &["merge-base", "--is-ancestor", c, "HEAD"]).is_err() {
                    return Err(format!("landed {} ({c}) is not on the branch", t["id"]));
                }
                // A partial landing kept the rest aside, where it says.
                if let Some(kept) = t["kept_at"].as_str()
                    && git(r, &["rev-parse", "--verify", "-q", kept]).is_err()
                {
                    return Err(format!("landed {} in part, but {kept} is gone", t["id"]));
                }
            }
        }
        let log = git(
            r,
            &[
                "log",
                "--format=%H %(trailers:key=Leash-Turn,valueonly,separator=%x2C)",
            ],
        )?;
        for line in log.lines() {
            let Some((commit, turn)) = line.split_once(' ') else {
                continue;
            };
            if turn.is_empty() {
                continue;
            }
            let state = turns
                .iter()
                .find(|t| t["id"] == turn)
                .map(|t| t["state"].as_str().unwrap_or_default().to_string());
            if !matches!(state.as_deref(), Some("landed" | "rolled_back")) {
                return Err(format!(
                    "commit {commit} on the branch carries Leash-Turn: {turn}, which is {state:?}"
                ));
            }
        }
        Ok(())
    }
}

fn git(r: &Repo, args: &[&str]) -> Result<String, String> {
    let o = Command::new("git")
        .args(args)
        .current_dir(r.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).trim().to_string();
    if o.status.success() {
        Ok(text)
    } else {
        Err(format!("{text}{}", String::from_utf8_lossy(&o.stderr)))
    }
}

/// Git lock files under `.git`, leash's own flock files aside.
fn git_locks(r: &Repo) -> Vec<String> {
    let git = r.path().join(".git");
    let mut found = Vec::new();
    let mut stack = vec![git.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p == git.join("leash") || p == git.join("objects") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "lock") {
                found.push(p.strip_prefix(&git).unwrap().display().to_string());
            }
        }
    }
    found
}

#[test]
fn kill_9_at_random_points_leaves_a_repository_that_works() {
    let trials: u64 = std::env::var("LEASH_TORTURE_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let seed: u64 = std::env::var("LEASH_TORTURE_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("torture: seed {seed} (replay with LEASH_TORTURE_SEED={seed}), {trials} trials");
    let started = Instant::now();
    let mut t = Trials {
        rng: Rng(seed),
        r: workspace(),
        n: 0,
        killed: 0,
    };
    let mut failures = Vec::new();
    // A fresh repository now and then keeps each command's journal short.
    let fresh_every = 60;
    for i in 0..trials {
        if i > 0 && i % fresh_every == 0 {
            t.r = workspace();
        }
        let what = t.trial();
        if let Err(e) = t.check() {
            eprintln!("torture: trial {i} FAILED after {what}: {e}");
            failures.push(format!("trial {i}: {what}: {e}"));
            // Go on in a fresh repository to count the other failures.
            t.r = workspace();
        } else if std::env::var_os("LEASH_TORTURE_VERBOSE").is_some() {
            eprintln!("torture: trial {i} ok: {what}");
        }
    }
    eprintln!(
        "torture: seed {seed}: {trials} trials, {} killed mid-operation, {} failures, {:.0?}",
        t.killed,
        failures.len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
}
