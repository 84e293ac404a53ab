//! Finds agent processes (Claude Code, Codex) whose working directory is
//! inside a repository, so the console can say when one runs there without
//! reporting to leash. Linux only (it reads `/proc`); elsewhere it finds
//! nothing.

use std::path::Path;
use std::time::SystemTime;

/// An agent process seen running in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentProcess {
    pub pid: u32,
    /// `claude` or `codex`.
    pub agent: &'static str,
    /// When the process started, if it could be read.
    pub started: Option<SystemTime>,
}

/// Which agent a program is, by its file name.
fn agent_of_program(name: &str) -> Option<&'static str> {
    match name {
        "claude" | "claude.exe" => Some("claude"),
        "codex" | "codex.js" => Some("codex"),
        _ => None,
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Which agent a process runs, from its executable and command line: the
/// program itself (`claude`, `codex`), or a script runner (`node`, `bun`)
/// running one.
pub fn agent_of(exe: Option<&str>, argv: &[&str]) -> Option<&'static str> {
    if let Some(a) = exe.map(file_name).and_then(agent_of_program) {
        return Some(a);
    }
    let first = argv.first().map(|a| file_name(a))?;
    if let Some(a) = agent_of_program(first) {
        return Some(a);
    }
    if matches!(first, "node" | "nodejs" | "bun" | "deno") {
        // The first argument that is not an option is the script.
        let script = argv[1..].iter().find(|a| !a.starts_with('-'))?;
        return agent_of_program(file_name(script));
    }
    None
}

/// Agent processes whose working directory is `root` or below it, oldest
/// first. Reads `/proc/<pid>/{cwd,exe,cmdline,stat}` of each process once;
/// processes it may not look at are skipped.
#[cfg(target_os = "linux")]
pub fn agents_in(root: &Path) -> Vec<AgentProcess> {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let me = std::process::id();
    let boot = boot_time();
    let mut out = Vec::new();
    for pid in super::process::pids() {
        if pid == me {
            continue;
        }
        let base = Path::new("/proc").join(pid.to_string());
        // The working directory first: most processes are elsewhere.
        let Ok(cwd) = std::fs::read_link(base.join("cwd")) else {
            continue;
        };
        if !cwd.starts_with(&root) {
            continue;
        }
        let exe = std::fs::read_link(base.join("exe"))
            .ok()
            .map(|p| p.display().to_string());
        let cmdline = std::fs::read(base.join("cmdline")).unwrap_or_default();
        let argv: Vec<&str> = cmdline
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| std::str::from_utf8(a).unwrap_or(""))
            .collect();
        let Some(agent) = agent_of(exe.as_deref(), &argv) else {
            continue;
        };
        out.push(AgentProcess {
            pid,
            agent,
            started: start_time(pid, boot),
        });
    }
    out.sort_by_key(|p| (p.started, p.pid));
    out
}

/// Finds nothing where there is no `/proc` to read.
#[cfg(not(target_os = "linux"))]
pub fn agents_in(_root: &Path) -> Vec<AgentProcess> {
    Vec::new()
}

#[cfg(target_os = "linux")]
fn boot_time() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// When a process started, from its start in clock ticks after boot.
#[cfg(target_os = "linux")]
fn start_time(pid: u32, boot: Option<u64>) -> Option<SystemTime> {
    let ticks = super::process::start_time(pid)?;
    // SAFETY: sysconf with a valid name has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = u64::try_from(hz).ok().filter(|&h| h > 0)?;
    let millis = boot? * 1000 + ticks * 1000 / hz;
    Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_and_scripts_are_recognised() {
        assert_eq!(agent_of(Some("/usr/bin/codex"), &[]), Some("codex"));
        assert_eq!(
            agent_of(
                Some("/usr/bin/node"),
                &["node", "/x/node_modules/@openai/codex/bin/codex.js", "exec"]
            ),
            Some("codex")
        );
        assert_eq!(
            agent_of(Some("/opt/claude/claude.exe"), &["claude"]),
            Some("claude")
        );
        assert_eq!(agent_of(Some("/usr/bin/vim"), &["vim", "codex"]), None);
        assert_eq!(
            agent_of(Some("/usr/bin/node"), &["node", "server.js"]),
            None
        );
        assert_eq!(agent_of(None, &[]), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_process_named_like_an_agent_in_the_repository_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("sub")).unwrap();
        // `sleep` under the name `codex` (a link: its argv[0]), running in a
        // folder of the repository.
        let bin = dir.path().join("codex");
        std::os::unix::fs::symlink("/bin/sleep", &bin).unwrap();
        let mut child = std::process::Command::new(&bin)
            .arg("30")
            .current_dir(repo.join("sub"))
            .spawn()
            .unwrap();
        // Right after exec the new command line may not be readable yet:
        // look again until it is (a scan finds it on its next round too).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let found = loop {
            let found = agents_in(&repo);
            if found.iter().any(|p| p.pid == child.id()) || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::yield_now();
        };
        let elsewhere = agents_in(dir.path().join("other").as_path());
        child.kill().unwrap();
        child.wait().unwrap();
        let p = found
            .iter()
            .find(|p| p.pid == child.id())
            .expect("the process is found");
        assert_eq!(p.agent, "codex");
        let started = p.started.expect("its start time is read");
        let age = SystemTime::now()
            .duration_since(started)
            .unwrap_or_default();
        assert!(age.as_secs() < 60, "started {age:?} ago");
        assert!(elsewhere.iter().all(|p| p.pid != child.id()));
    }
}
