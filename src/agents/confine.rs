//! Confinement of isolated turns with Linux Landlock: the agent's process
//! and every child it starts may write only where the turn needs to, and
//! (with `[run] network = "deny"`) connect over TCP only to the allowed
//! ports. Reads stay open everywhere.
//!
//! # Where the ruleset is built, and why not in the child
//!
//! Between `fork` and `exec` a child of a multi-threaded process may only
//! call async-signal-safe functions: no allocation, no locks. Building a
//! Landlock ruleset opens paths and allocates (the `landlock` crate's
//! `PathFd`, iterators, error values). So the supervisor builds the whole
//! ruleset *before* it forks — one ruleset fd holding every rule — and the
//! child does only [`landlock::RulesetCreated::restrict_self`], which on
//! its path is two system calls (`prctl(PR_SET_NO_NEW_PRIVS)` and
//! `landlock_restrict_self`) on plain values, with no allocation. A re-exec
//! of `leash` as a confining launcher would cost a second `exec` and a
//! second argv/env round trip for nothing this split does not already give.
//!
//! # What is writable
//!
//! The turn's worktree, the turn's own temp directory (`TMPDIR` points at
//! it), a few devices (`/dev/null`, `/dev/tty`, `/dev/pts`, …), the main
//! repository's `.git/objects/` and this turn's `.git/worktrees/<name>/`
//! (so `git add` and `git status` work in the worktree), and the agent's
//! own state paths (`[agents.NAME] writable`, or the built-in defaults for
//! its format). Landlock grants by hierarchy: a rule on a directory covers
//! everything under it, and a rule on a file covers that file only. So
//! Claude Code's `~/.claude.json`, which lives directly in `$HOME`, is
//! granted as that one file (when it exists) and never `$HOME` itself:
//! rewriting it in place works, creating a new file beside it in `$HOME`
//! (an atomic rename) is refused.
//!
//! `LEASH_TEST_NO_LANDLOCK=1` makes [`probe_abi`] report no Landlock, to
//! simulate an old kernel in tests; it never switches confinement off on a
//! kernel that has it in any other way (`confine = "require"` still
//! refuses, `auto` runs unconfined with its warning, exactly as on a kernel
//! without Landlock).

use std::path::{Component, Path, PathBuf};

use landlock::{
    ABI, AccessFs, AccessNet, NetPort, RulesetAttr, RulesetCreated, RulesetCreatedAttr,
    RulesetStatus, path_beneath_rules,
};

use crate::config::AgentFormat;
pub use crate::words::ports_text;

/// The environment switch that simulates a kernel without Landlock.
pub const NO_LANDLOCK_ENV: &str = "LEASH_TEST_NO_LANDLOCK";

/// Devices an agent and its tools write to, when they exist.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
    "/dev/shm",
    "/dev/random",
    "/dev/urandom",
];

/// The Landlock ABI version the running kernel supports (0: none), asked
/// of the kernel itself with `landlock_create_ruleset(NULL, 0,
/// LANDLOCK_CREATE_RULESET_VERSION)`; `/sys` may say otherwise inside a
/// container, the system call does not.
pub fn probe_abi() -> u32 {
    if simulated_absent(std::env::var_os(NO_LANDLOCK_ENV).as_deref()) {
        return 0;
    }
    probe_kernel()
}

/// Whether the test switch asks to simulate a kernel without Landlock.
fn simulated_absent(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| v == "1")
}

#[cfg(target_os = "linux")]
fn probe_kernel() -> u32 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute pointer and size 0 the call only
    // reports the ABI version; it touches no memory.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(v).unwrap_or(0)
}

#[cfg(not(target_os = "linux"))]
fn probe_kernel() -> u32 {
    0
}

/// The first ABI with TCP rules.
pub const NET_ABI: u32 = 4;

/// The agent's own state paths by its format, before `~` is expanded:
/// what Claude Code and Codex write outside the repository while they run,
/// where their environment moves it (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`).
pub fn default_writable(format: AgentFormat) -> Vec<String> {
    default_writable_in(format, |key| std::env::var(key).ok())
}

fn default_writable_in(format: AgentFormat, env: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let set = |key: &str| env(key).filter(|v| !v.is_empty());
    match format {
        AgentFormat::Claude => {
            let mut paths = vec!["~/.claude".to_string(), "~/.claude.json".to_string()];
            paths.extend(set("CLAUDE_CONFIG_DIR"));
            paths
        }
        AgentFormat::Codex => vec![set("CODEX_HOME").unwrap_or_else(|| "~/.codex".into())],
        AgentFormat::Generic => Vec::new(),
    }
}

/// The TCP ports connects are limited to under `run`'s network setting on
/// a kernel of Landlock `abi` (`None`: not limited), and the warning when
/// `network = "deny"` cannot be enforced there.
pub fn connect_ports(
    run: &crate::config::RunConfig,
    abi: u32,
) -> (Option<Vec<u16>>, Option<String>) {
    match run.network {
        crate::config::NetworkMode::Open => (None, None),
        crate::config::NetworkMode::Deny if abi < NET_ABI => (
            None,
            Some(format!(
                "network = \"deny\" is not enforced: this kernel's Landlock (ABI {abi}) has no \
                 TCP rules (ABI {NET_ABI} or later)"
            )),
        ),
        crate::config::NetworkMode::Deny => (Some(run.allow_connect_ports.clone()), None),
    }
}

/// The agent's state paths, `~` expanded against `$HOME`. A state folder
/// that does not exist yet (a path without an extension) is made, empty:
/// Landlock grants only what exists, and the agent would make it on its
/// first write — which, confined, the kernel would refuse.
pub fn state_paths(paths: &[String]) -> Vec<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    paths
        .iter()
        .filter_map(|p| expand_home(p, home.as_deref()))
        .inspect(|p| {
            if p.extension().is_none() && !p.exists() {
                let _ = std::fs::create_dir_all(p);
            }
        })
        .collect()
}

/// `~` and `~/…` expanded against `home`; any other path as it is.
pub fn expand_home(path: &str, home: Option<&Path>) -> Option<PathBuf> {
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(h)) => Some(h.to_path_buf()),
        (Some(rest), Some(h)) if rest.starts_with('/') => Some(h.join(&rest[1..])),
        (Some(_), _) => None,
        (None, _) => Some(PathBuf::from(path)),
    }
}

/// What a turn asks of confinement.
#[derive(Debug, Clone)]
pub struct Request {
    /// Every path the turn may write under (missing ones are skipped).
    pub writable: Vec<PathBuf>,
    /// `Some(ports)`: refuse TCP connects except to these ports.
    pub connect_ports: Option<Vec<u16>>,
}

/// A ruleset built in the supervisor, ready for the child to enforce.
pub struct Prepared {
    ruleset: RulesetCreated,
    /// The ABI it was built for.
    pub abi: u32,
    /// The paths actually granted (those that existed), in order.
    pub writable: Vec<PathBuf>,
    /// The TCP ports connects are allowed to, when the network is denied
    /// and the kernel has TCP rules.
    pub connect_ports: Option<Vec<u16>>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("abi", &self.abi)
            .field("writable", &self.writable)
            .field("connect_ports", &self.connect_ports)
            .finish()
    }
}

/// The devices that exist here and are writable to any agent.
pub fn devices() -> Vec<PathBuf> {
    DEVICES
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

/// Builds the ruleset for `req` on a kernel of ABI `abi` (≥ 1). Opens every
/// granted path now, in the supervisor; nothing is enforced yet.
pub fn prepare(abi: u32, req: &Request) -> Result<Prepared, String> {
    let version = ABI::from(i32::try_from(abi).unwrap_or(i32::MAX));
    let write = AccessFs::from_write(version);
    let mut writable: Vec<PathBuf> = Vec::new();
    for p in &req.writable {
        if p.exists() && !writable.contains(p) {
            writable.push(p.clone());
        }
    }
    let net = req.connect_ports.as_ref().filter(|_| abi >= NET_ABI);
    let e = |e: landlock::RulesetError| format!("cannot build the Landlock ruleset: {e}");
    let mut ruleset = landlock::Ruleset::default()
        .handle_access(write)
        .map_err(e)?;
    if net.is_some() {
        ruleset = ruleset.handle_access(AccessNet::ConnectTcp).map_err(e)?;
    }
    let mut created = ruleset
        .create()
        .map_err(e)?
        .add_rules(path_beneath_rules(&writable, write))
        .map_err(e)?;
    if let Some(ports) = net {
        for port in ports {
            created = created
                .add_rule(NetPort::new(*port, AccessNet::ConnectTcp))
                .map_err(e)?;
        }
    }
    Ok(Prepared {
        ruleset: created,
        abi,
        writable,
        connect_ports: net.cloned(),
    })
}

impl Prepared {
    /// Enforces the ruleset on the calling process and everything it will
    /// start. Meant for the child between `fork` and `exec`: no allocation
    /// on any path (the error is a raw OS error).
    pub fn enforce(self) -> std::io::Result<()> {
        match self.ruleset.restrict_self() {
            Ok(status) if status.ruleset != RulesetStatus::NotEnforced => Ok(()),
            Ok(_) => Err(std::io::Error::from_raw_os_error(libc::ENOSYS)),
            Err(_) => Err(std::io::Error::from_raw_os_error(libc::EPERM)),
        }
    }
}

/// `path` made absolute against `cwd` and cleaned of `.` and `..` without
/// touching the file system.
pub fn lexical(path: &Path, cwd: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Words in an error line that say the kernel refused an access.
const REFUSALS: &[&str] = &[
    "Permission denied",
    "Read-only file system",
    "EACCES",
    "EROFS",
    "Operation not permitted",
];

/// The most refusals recognised per turn.
pub const REFUSED_MAX: usize = 20;

/// A write the kernel refused, recognised in the agent's output: the path
/// it names and the line that said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: String,
    pub line: String,
}

/// Recognises refused writes in the agent's output: lines that carry a
/// refusal word and name a path (absolute, or `./…`/`../…` from the
/// worktree) that is outside every granted path. Ports and other refusals
/// without such a path are left alone.
pub fn refusals(output: &str, cwd: &Path, granted: &[PathBuf]) -> Vec<Refusal> {
    let mut found: Vec<Refusal> = Vec::new();
    for line in output.lines() {
        if found.len() >= REFUSED_MAX {
            break;
        }
        let Some(at) = REFUSALS.iter().filter_map(|w| line.find(w)).min() else {
            continue;
        };
        // The path the refusal is about is the one nearest its words:
        // `/bin/bash: line 1: /x/y: Permission denied` is about /x/y, and
        // `Permission denied: '/x/y'` too.
        let path = words_at(line)
            .into_iter()
            .map(|(i, w)| {
                (
                    i,
                    w.trim_end_matches([':', ',', ';', ')', ']', '.', '\'', '"']),
                )
            })
            .filter(|(_, w)| w.starts_with('/') || w.starts_with("./") || w.starts_with("../"))
            .map(|(i, w)| (i.abs_diff(at), lexical(Path::new(w), cwd)))
            .filter(|(_, p)| !granted.iter().any(|g| p.starts_with(g)))
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, p)| p);
        if let Some(p) = path {
            let path = p.display().to_string();
            if !found.iter().any(|r| r.path == path) {
                found.push(Refusal {
                    path,
                    line: super::adapter::shorten(line.trim(), 300),
                });
            }
        }
    }
    found
}

/// The words of `line` with their byte offsets, split at white space,
/// quotes, brackets and `=`.
fn words_at(line: &str) -> Vec<(usize, &str)> {
    let sep = |c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '(' | '[' | '=');
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if sep(c) {
            if let Some(s) = start.take() {
                words.push((s, &line[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        words.push((s, &line[s..]));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_expansion() {
        let h = Path::new("/home/u");
        assert_eq!(
            expand_home("~/.claude", Some(h)),
            Some(PathBuf::from("/home/u/.claude"))
        );
        assert_eq!(expand_home("~", Some(h)), Some(PathBuf::from("/home/u")));
        assert_eq!(expand_home("~other/x", Some(h)), None);
        assert_eq!(expand_home("~/.codex", None), None);
        assert_eq!(expand_home("/opt/x", None), Some(PathBuf::from("/opt/x")));
    }

    #[test]
    fn lexical_paths() {
        let cwd = Path::new("/d/wt/t1");
        assert_eq!(
            lexical(Path::new("../../ops/x"), cwd),
            PathBuf::from("/d/ops/x")
        );
        assert_eq!(
            lexical(Path::new("/a/./b/../c"), cwd),
            PathBuf::from("/a/c")
        );
    }

    #[test]
    fn refusals_name_paths_outside() {
        let cwd = Path::new("/wt/t1");
        let granted = vec![PathBuf::from("/wt/t1"), PathBuf::from("/tmp/leash-t1-x")];
        let out = "\
sh: 1: cannot create /work/repo/x.md: Permission denied
PermissionError: [Errno 13] Permission denied: '../../etc/y'
touch: cannot touch '/tmp/leash-t1-x/ok': Permission denied
all fine in /wt/t1/z: Permission denied
fatal: could not open '/home/u/.gitconfig': Read-only file system
curl: (7) Failed to connect: Permission denied
sh: 1: cannot create /work/repo/x.md: Permission denied
/bin/bash: line 1: /tmp/out/escaped.txt: Permission denied
";
        let r = refusals(out, cwd, &granted);
        let paths: Vec<&str> = r.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/work/repo/x.md",
                "/etc/y",
                "/home/u/.gitconfig",
                "/tmp/out/escaped.txt"
            ]
        );
        assert!(r[0].line.starts_with("sh: 1: cannot create"));
    }

    #[test]
    fn simulated_absence() {
        use std::ffi::OsStr;
        assert!(simulated_absent(Some(OsStr::new("1"))));
        assert!(!simulated_absent(Some(OsStr::new("0"))));
        assert!(!simulated_absent(None));
    }

    #[test]
    fn this_kernel_is_probed() {
        // Whatever the kernel says, the probe answers without failing; on
        // this project's machines it has Landlock.
        let abi = probe_kernel();
        assert!(abi < 100);
    }

    #[test]
    fn the_agents_state_follows_where_their_environment_puts_it() {
        let none = |_: &str| None;
        assert_eq!(default_writable_in(AgentFormat::Codex, none), ["~/.codex"]);
        let moved = |k: &str| match k {
            "CODEX_HOME" => Some("/srv/codex".to_string()),
            "CLAUDE_CONFIG_DIR" => Some("/srv/claude".to_string()),
            _ => None,
        };
        assert_eq!(
            default_writable_in(AgentFormat::Codex, moved),
            ["/srv/codex"]
        );
        assert_eq!(
            default_writable_in(AgentFormat::Claude, moved),
            ["~/.claude", "~/.claude.json", "/srv/claude"]
        );
        let empty = |_: &str| Some(String::new());
        assert_eq!(default_writable_in(AgentFormat::Codex, empty), ["~/.codex"]);
        assert!(default_writable_in(AgentFormat::Generic, moved).is_empty());
    }
}
