//! The cost of confining a turn at its start (figures in benches/README.md):
//! probing the kernel's Landlock ABI, building the ruleset a turn gets (its
//! worktree, temp dir, git objects and worktree metadata, devices, two agent
//! state paths, TCP ports), and enforcing it in the child before `exec` —
//! the last measured as the difference between starting `/bin/true` with
//! and without it. Target: ≤ 5 ms in all.
//!
//! `cargo bench --bench confine`

// The bench prints its own figures, never agent text.
#![allow(clippy::disallowed_macros)]

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use leash::agents::confine;

const N: usize = 300;

fn report(what: &str, mut times: Vec<Duration>) -> Duration {
    times.sort();
    let n = times.len();
    let pick = |q: f64| times[((n as f64 * q) as usize).min(n - 1)];
    println!(
        "{what:<48} n={n:<6} p50={:>9.3?} p99={:>9.3?} max={:>9.3?}",
        pick(0.5),
        pick(0.99),
        times[n - 1]
    );
    pick(0.5)
}

fn request(root: &std::path::Path) -> confine::Request {
    let dirs = [
        "worktree",
        "tmp",
        "repo/.git/objects",
        "repo/.git/worktrees/leash-t1",
        "home/.claude",
    ];
    let mut writable: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    for d in &writable {
        std::fs::create_dir_all(d).unwrap();
    }
    let file = root.join("home/.claude.json");
    std::fs::write(&file, "{}").unwrap();
    writable.push(file);
    writable.extend(confine::devices());
    confine::Request {
        writable,
        connect_ports: Some(vec![443]),
    }
}

fn spawn_true(prepared: Option<confine::Prepared>) -> Duration {
    let mut cmd = Command::new("/bin/true");
    if let Some(p) = prepared {
        let mut slot = Some(p);
        // SAFETY: as in the supervisor: only `enforce` runs in the child.
        unsafe {
            cmd.pre_exec(move || match slot.take() {
                Some(p) => p.enforce(),
                None => Ok(()),
            });
        }
    }
    let t = Instant::now();
    let status = cmd.status().expect("/bin/true starts");
    let took = t.elapsed();
    assert!(status.success());
    took
}

fn main() {
    let abi = confine::probe_abi();
    if abi == 0 {
        println!("this kernel has no Landlock: nothing to measure");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let req = request(dir.path());
    println!(
        "Landlock ABI {abi}; a ruleset of {} writable paths and 1 TCP port",
        req.writable.len()
    );

    let probe: Vec<Duration> = (0..N)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(confine::probe_abi());
            t.elapsed()
        })
        .collect();
    let probe = report("probe the ABI (landlock_create_ruleset)", probe);

    let build: Vec<Duration> = (0..N)
        .map(|_| {
            let t = Instant::now();
            let p = confine::prepare(abi, &req).unwrap();
            let took = t.elapsed();
            drop(p);
            took
        })
        .collect();
    let build = report("build the ruleset (before the fork)", build);

    // Interleaved, so that the machine's load falls on both alike.
    let mut plain = Vec::with_capacity(N);
    let mut confined = Vec::with_capacity(N);
    for _ in 0..N {
        plain.push(spawn_true(None));
        let p = confine::prepare(abi, &req).unwrap();
        confined.push(spawn_true(Some(p)));
    }
    let plain = report("start /bin/true, unconfined", plain);
    let confined = report("start /bin/true, ruleset enforced in the child", confined);
    let child = confined.saturating_sub(plain);
    println!(
        "confinement at turn start (p50): probe {probe:.3?} + build {build:.3?} + in the child {child:.3?} = {:.3?} (target ≤ 5 ms)",
        probe + build + child
    );
}
