//! Two of leash's git-shaped hot paths against git itself, in the same run,
//! alternating (figures in benches/README.md):
//!
//! - `leash diff` (the release binary, as the user runs it) against
//!   `git diff` on a 100 000-line file with 1 % of its lines changed, plain,
//!   with `--color always` and with `--stat`;
//! - the shadow snapshot an in-place turn takes at prompt submit and Stop
//!   (`checkpoint::shadow::snapshot`, what the hook calls) against
//!   `git add -A && git write-tree` on a temporary index, 50 000 files with
//!   10 changed between snapshots.
//!
//! Each figure is the median over alternating pairs of CPU time (user +
//! system, of this process and its children); wall time is shown beside it.
//! A measure that collects fewer than `MIN_SAMPLES` pairs fails the bench.
//!
//! `cargo bench --bench vs_git` (`-- diff` or `-- shadow` runs one row).

// The bench prints its own figures, never agent text.
#![allow(clippy::disallowed_macros)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Fewer pairs than this and a median means nothing: the bench fails.
const MIN_SAMPLES: usize = 15;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    git(d.path(), &["init", "-q", "-b", "main"]);
    git(d.path(), &["config", "user.name", "bench"]);
    git(d.path(), &["config", "user.email", "bench@example.com"]);
    // No background gc in the middle of a measure.
    git(d.path(), &["config", "gc.auto", "0"]);
    d
}

/// CPU time (user + system) used so far by this process and by its waited-for children.
fn cpu_now() -> Duration {
    let used = |who| {
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `u` is a valid, writable rusage.
        unsafe { libc::getrusage(who, &mut u) };
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        tv(u.ru_utime) + tv(u.ru_stime)
    };
    used(libc::RUSAGE_SELF) + used(libc::RUSAGE_CHILDREN)
}

/// Runs `f`, returning its result with the CPU and wall time it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (c, w) = (cpu_now(), Instant::now());
    let r = f();
    (r, cpu_now() - c, w.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Pairs of (leash, anchor) samples of one measure.
#[derive(Default)]
struct Pairs {
    leash_cpu: Vec<Duration>,
    leash_wall: Vec<Duration>,
    anchor_cpu: Vec<Duration>,
    anchor_wall: Vec<Duration>,
}

impl Pairs {
    fn leash(&mut self, cpu: Duration, wall: Duration) {
        self.leash_cpu.push(cpu);
        self.leash_wall.push(wall);
    }

    fn anchor(&mut self, cpu: Duration, wall: Duration) {
        self.anchor_cpu.push(cpu);
        self.anchor_wall.push(wall);
    }

    fn report(self, what: &str) {
        let n = self.leash_cpu.len().min(self.anchor_cpu.len());
        assert!(
            n >= MIN_SAMPLES,
            "{what}: only {n} samples (need {MIN_SAMPLES}); the figures would mean nothing"
        );
        let (lc, ac) = (median(self.leash_cpu), median(self.anchor_cpu));
        let (lw, aw) = (median(self.leash_wall), median(self.anchor_wall));
        println!(
            "{what:<34} n={n:<4} leash cpu={lc:>9.2?} wall={lw:>9.2?} | anchor cpu={ac:>9.2?} wall={aw:>9.2?} | ratio cpu={:.2}x wall={:.2}x",
            lc.as_secs_f64() / ac.as_secs_f64(),
            lw.as_secs_f64() / aw.as_secs_f64(),
        );
    }
}

/// `leash ARGS` in `dir` with its data in `data`; `LEASH_BIN` runs another
/// build (e.g. a copy of the one before a change).
fn leash_cmd(dir: &Path, data: &Path, args: &[&str]) -> Command {
    let exe = std::env::var_os("LEASH_BIN").unwrap_or(env!("CARGO_BIN_EXE_leash").into());
    let mut c = Command::new(exe);
    c.args(args).current_dir(dir).env("LEASH_DATA_DIR", data);
    c
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The 100 000-line file before and after: every hundredth line rewritten.
fn big_file() -> (String, String) {
    let (mut old, mut new) = (String::new(), String::new());
    for i in 0..100_000 {
        let line = format!(
            "line {i:06}: the quick brown fox jumps over the lazy dog {}\n",
            i * 7919 % 1000
        );
        old.push_str(&line);
        if i % 100 == 50 {
            new.push_str(&format!(
                "line {i:06}: CHANGED by the agent, {}\n",
                i * 31 % 997
            ));
        } else {
            new.push_str(&line);
        }
    }
    (old, new)
}

fn bench_diff(samples: usize) {
    let d = repo();
    let dir = d.path();
    let data = tempfile::tempdir().unwrap();
    let (old, new) = big_file();
    std::fs::write(dir.join("big.txt"), &old).unwrap();
    std::fs::write(dir.join("README.md"), "bench\n").unwrap();
    let leash = |args: &[&str]| leash_cmd(dir, data.path(), args);
    run(&mut leash(&["init"]));
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "init"]);
    let base = git(dir, &["rev-parse", "HEAD"]);
    let new_path = data.path().join("big.txt");
    std::fs::write(&new_path, &new).unwrap();
    // A turn whose agent rewrites 1 % of the file, run for real.
    let script = format!("cp {} big.txt", new_path.display());
    run(&mut leash(&["run", "--", "sh", "-c", &script]));
    let commit = git(dir, &["rev-parse", "refs/leash/turns/t1"]);
    let git_cmd = |args: &[&str]| {
        let mut c = Command::new("git");
        c.arg("diff")
            .args(args)
            .arg(&base)
            .arg(&commit)
            .current_dir(dir);
        c
    };

    for (what, ours, theirs) in [
        ("leash diff vs git diff", vec![], vec![]),
        (
            "  --color always",
            vec!["--color", "always"],
            vec!["--color=always"],
        ),
        ("  --stat", vec!["--stat"], vec!["--stat"]),
    ] {
        let mut l_args = vec!["diff", "t1"];
        l_args.extend(&ours);
        if ours.is_empty() {
            l_args.extend(["--color", "never"]);
        }
        // Same work on both sides: the same changed lines come out.
        let l_out = run(&mut leash(&l_args)).stdout;
        let g_out = run(&mut git_cmd(&theirs)).stdout;
        if !ours.contains(&"--stat") {
            let changed = |o: &[u8]| {
                String::from_utf8_lossy(o)
                    .lines()
                    .filter(|l| l.contains("CHANGED"))
                    .count()
            };
            assert_eq!(changed(&l_out), 1000);
            assert_eq!(changed(&g_out), 1000);
        }
        let mut p = Pairs::default();
        for i in 0..samples {
            let ours = |p: &mut Pairs| {
                let (_, c, w) = timed(|| run(&mut leash(&l_args)));
                p.leash(c, w);
            };
            if i % 2 == 0 {
                ours(&mut p);
            }
            let (_, c, w) = timed(|| run(&mut git_cmd(&theirs)));
            p.anchor(c, w);
            if i % 2 == 1 {
                ours(&mut p);
            }
        }
        p.report(what);
    }
}

fn bench_shadow(samples: usize) {
    // VS_GIT_FILES=5000 shows how the cost grows with the tree.
    let files: usize = std::env::var("VS_GIT_FILES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let d = repo();
    let dir = d.path();
    for i in 0..files {
        let sub = dir.join(format!("src/m{:03}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(
            sub.join(format!("f{i:05}.rs")),
            format!("// file {i}\npub fn f{i}() -> usize {{ {i} }}\n"),
        )
        .unwrap();
    }
    std::fs::write(dir.join(".gitignore"), "target/\n").unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "init"]);
    // A repository of this size is packed, as a clone is.
    git(dir, &["repack", "-adq"]);
    let repo = git2::Repository::open(dir).unwrap();
    // The anchor's own index, a stat cache like leash's private one.
    let tmp_index = tempfile::tempdir().unwrap();
    let index = tmp_index.path().join("index");
    let anchor = || {
        let env = ("GIT_INDEX_FILE", &index);
        run(Command::new("git")
            .args(["add", "-A"])
            .env(env.0, env.1)
            .current_dir(dir));
        let out = run(Command::new("git")
            .arg("write-tree")
            .env(env.0, env.1)
            .current_dir(dir));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let ours = || {
        let oid = leash::checkpoint::shadow::snapshot(&repo, "bench", "bench").unwrap();
        repo.find_commit(oid).unwrap().tree_id().to_string()
    };
    // Both caches warm, and both see the same tree.
    assert_eq!(ours(), anchor());

    let mut p = Pairs::default();
    let mut n = 0;
    for i in 0..samples {
        for _ in 0..10 {
            let f = n * 4999 % files;
            n += 1;
            std::fs::write(
                dir.join(format!("src/m{:03}/f{f:05}.rs", f / 100)),
                format!("// edited {n}\n"),
            )
            .unwrap();
        }
        let leash_side = |p: &mut Pairs| {
            let (tree, c, w) = timed(ours);
            p.leash(c, w);
            tree
        };
        let (a, b);
        if i % 2 == 0 {
            a = leash_side(&mut p);
            let (t, c, w) = timed(anchor);
            p.anchor(c, w);
            b = t;
        } else {
            let (t, c, w) = timed(anchor);
            p.anchor(c, w);
            b = t;
            a = leash_side(&mut p);
        }
        assert_eq!(a, b, "snapshot and git write-tree disagree");
    }
    p.report(&format!("shadow snapshot, {files} files"));
}

/// `leash check` with a `references` invariant over 10 000 Markdown files
/// (100 folders; each file five links and five backticked paths; one link
/// in a hundred dangling), against `grep -rnoE` finding the same links.
/// Also reports what one check adds to the journal.
fn bench_check(samples: usize) {
    let d = repo();
    let dir = d.path();
    let data = tempfile::tempdir().unwrap();
    let mut dangling = 0;
    for folder in 0..100 {
        let sub = dir.join(format!("docs/d{folder}"));
        std::fs::create_dir_all(&sub).unwrap();
        for file in 0..100 {
            let mut text =
                format!("# Note {folder}/{file}\n\nSome prose about the note, as notes have.\n\n");
            for k in 0..5 {
                let (to_dir, to_file) = ((folder * 7 + file + k) % 100, (file * 3 + k) % 100);
                let missing = (folder * 100 + file) % 20 == 0 && k == 0;
                dangling += usize::from(missing);
                let name = if missing {
                    format!("gone{to_file}")
                } else {
                    format!("f{to_file}")
                };
                text.push_str(&format!(
                    "See [note {k}](../d{to_dir}/{name}.md) and `docs/d{to_dir}/f{to_file}.md`.\n"
                ));
            }
            std::fs::write(sub.join(format!("f{file}.md")), text).unwrap();
        }
    }
    let leash = |args: &[&str]| leash_cmd(dir, data.path(), args);
    run(&mut leash(&["init"]));
    let cfg = dir.join(".leash/config.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str("\n[[invariant]]\nname = \"links\"\nkind = \"references\"\nroots = [\"docs\"]\n");
    std::fs::write(&cfg, text).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "init"]);
    let check = || {
        // A failing check exits 1: its findings are the point.
        let out = leash(&["check", "--json"]).output().unwrap();
        assert!(
            out.status.code() == Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let grep = || {
        let out = Command::new("grep")
            .args(["-rnoE", r"\]\([^)]+\)|`[^`]+`", "docs"])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success());
        out
    };
    // Same work on both sides: every link found, the dangling ones named.
    let journal = dir.join(".git/leash/journal.jsonl");
    let before = std::fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    let out = check();
    let added = std::fs::metadata(&journal).unwrap().len() - before;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = report["results"][0]["findings"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(found, dangling, "leash names every dangling link");
    assert_eq!(
        String::from_utf8_lossy(&grep().stdout).lines().count(),
        100_000
    );
    let mut p = Pairs::default();
    for i in 0..samples {
        let ours = |p: &mut Pairs| {
            let (_, c, w) = timed(check);
            p.leash(c, w);
        };
        if i % 2 == 0 {
            ours(&mut p);
        }
        let (_, c, w) = timed(grep);
        p.anchor(c, w);
        if i % 2 == 1 {
            ours(&mut p);
        }
    }
    p.report("leash check (references) vs grep");
    println!("  one check adds {added} bytes to the journal ({dangling} findings)");
}

fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let on = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    if on("diff") {
        bench_diff(30);
    }
    if on("shadow") {
        bench_shadow(30);
    }
    if on("check") {
        bench_check(30);
    }
}
