//! What running an agent needs that is not the workspace's: a turn's
//! title from its prompt, a command line as a person types it, whether a
//! program can be started, a tool input cut for the journal, and which
//! sandbox a Codex command line asks Codex for.

use std::fs;
use std::path::Path;

use crate::config::{self, AgentFormat};

const TITLE_MAX: usize = 72;

/// A turn's title from text: its first non-blank line, cut to a commit
/// subject's length.
pub(crate) fn one_line(s: &str) -> String {
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() > TITLE_MAX {
        let cut: String = line.chars().take(TITLE_MAX - 1).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

/// Whether `program` can be started: a bare name is looked up in PATH as
/// the OS would; an absolute path must be an executable file. A relative
/// path is resolved in the turn's worktree, which does not exist yet, so it
/// is not checked here.
pub(crate) fn program_found(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return !Path::new(program).is_absolute() || executable(Path::new(program));
    }
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| executable(&dir.join(program)))
}

/// An agent's command line (with `{prompt}` still in it) made to continue
/// the agent's session `session`: Claude Code's `--resume <id>`; Codex's
/// `exec resume <id> PROMPT` (the prompt argument moved after the
/// session, the options of `exec` kept before it). `None` for an agent
/// whose format has no sessions (a plain command), or a Codex command line
/// that is not `codex exec … {prompt}`: it runs afresh. The session id
/// comes from the agent's stream: one that could be read as an option (or
/// holds anything but letters, digits and `-_.:`) is not passed on.
pub(crate) fn resume_argv(
    format: Option<AgentFormat>,
    argv: &[String],
    session: &str,
) -> Option<Vec<String>> {
    let plausible = session.len() <= 200
        && session.starts_with(|c: char| c.is_ascii_alphanumeric())
        && session
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if !plausible {
        return None;
    }
    match format? {
        AgentFormat::Claude if !argv.is_empty() => {
            let mut out = argv.to_vec();
            out.extend(["--resume".to_string(), session.to_string()]);
            Some(out)
        }
        AgentFormat::Codex if argv.get(1).map(String::as_str) == Some("exec") => {
            let at = argv.iter().position(|a| a.contains("{prompt}"))?;
            let mut out = argv.to_vec();
            let prompt = out.remove(at);
            out.extend(["resume".to_string(), session.to_string(), prompt]);
            Some(out)
        }
        _ => None,
    }
}

/// Why a turn cannot start its program, and how to install it.
pub(crate) fn program_missing(agent: &str, program: &str) -> String {
    let name = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.to_string());
    let install = match name.as_str() {
        "claude" => Some(("Claude Code", "npm install -g @anthropic-ai/claude-code")),
        "codex" => Some(("Codex", "npm install -g @openai/codex")),
        _ => None,
    };
    let whose = if agent == "generic" {
        String::new()
    } else {
        format!(" (agent `{agent}`)")
    };
    match install {
        Some((product, how)) => format!(
            "`{program}`{whose} is not installed, or not on PATH: install {product} with \
             `{how}`, then run this again; no turn was created"
        ),
        None if agent == "generic" => format!(
            "command not found: `{program}` (not on PATH, or not executable); no turn was created"
        ),
        None => format!(
            "command not found: `{program}`, the command of agent `{agent}` in {} (not on \
             PATH, or not executable): install it or fix [agents.{agent}] command; no turn \
             was created",
            config::CONFIG_FILE
        ),
    }
}

/// Longest string kept in a journaled tool input; the journal holds state,
/// not file contents.
const INPUT_MAX: usize = 2000;

/// A tool input with long strings cut, fit for the journal.
pub(crate) fn shorten(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) if s.len() > INPUT_MAX => {
            let mut cut = INPUT_MAX;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            serde_json::Value::String(format!(
                "{}… ({})",
                &s[..cut],
                crate::words::count(s.len() - cut, "more byte")
            ))
        }
        serde_json::Value::Object(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), shorten(v))).collect())
        }
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(shorten).collect()),
        other => other.clone(),
    }
}

/// Why leash leaves a Codex turn to Codex's own sandbox, when it does.
pub(crate) fn codex_sandboxes_itself(
    format: Option<AgentFormat>,
    argv: &[String],
) -> Option<String> {
    let mode = codex_own_sandbox(argv).filter(|_| format == Some(AgentFormat::Codex))?;
    Some(format!(
        "Codex sandboxes its own commands ({mode}) with bubblewrap, which cannot run inside \
         Landlock"
    ))
}

pub(crate) fn codex_require_refusal(key: &str, why: &str) -> String {
    format!(
        "{key} = \"require\" in {}, and {why}: give the agent's command `--sandbox \
         danger-full-access` so that leash's confinement is its sandbox",
        config::CONFIG_FILE
    )
}

/// The sandbox a Codex command line asks Codex to apply to its own
/// commands (`--sandbox MODE`, `-s MODE`, or read-only by default), or
/// `None` when it is told to apply none (`danger-full-access`, or
/// `--dangerously-bypass-approvals-and-sandbox`).
fn codex_own_sandbox(argv: &[String]) -> Option<String> {
    let mut mode = "read-only".to_string();
    let mut args = argv.iter().skip(1);
    while let Some(a) = args.next() {
        if a == "--dangerously-bypass-approvals-and-sandbox" || a == "--yolo" {
            return None;
        }
        if let Some(m) = a.strip_prefix("--sandbox=") {
            mode = m.to_string();
        } else if (a == "--sandbox" || a == "-s")
            && let Some(m) = args.next()
        {
            mode = m.clone();
        }
    }
    (mode != "danger-full-access").then_some(mode)
}

#[cfg(test)]
mod codex_sandbox_tests {
    use super::{codex_own_sandbox, resume_argv};
    use crate::config::AgentFormat;

    #[test]
    fn a_session_is_continued_in_each_agents_own_words() {
        let claude = argv("claude -p {prompt} --output-format stream-json --verbose");
        assert_eq!(
            resume_argv(Some(AgentFormat::Claude), &claude, "s-1").unwrap(),
            argv("claude -p {prompt} --output-format stream-json --verbose --resume s-1")
        );
        let codex = argv("codex exec --json --sandbox danger-full-access {prompt}");
        assert_eq!(
            resume_argv(Some(AgentFormat::Codex), &codex, "th-9").unwrap(),
            argv("codex exec --json --sandbox danger-full-access resume th-9 {prompt}")
        );
        assert_eq!(
            resume_argv(Some(AgentFormat::Codex), &argv("codex {prompt}"), "x"),
            None
        );
        assert_eq!(
            resume_argv(Some(AgentFormat::Generic), &argv("sh a.sh {prompt}"), "x"),
            None
        );
        assert_eq!(resume_argv(None, &argv("sh a.sh"), "x"), None);
        // A hostile id is never passed on as (or beside) an option.
        for hostile in ["--dangerously-skip-permissions", "a b", "", "x\n-y", "é"] {
            assert_eq!(
                resume_argv(Some(AgentFormat::Claude), &claude, hostile),
                None,
                "{hostile:?}"
            );
        }
    }

    fn argv(words: &str) -> Vec<String> {
        words.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_codex_command_line_says_which_sandbox_codex_applies_itself() {
        let mode = |w: &str| codex_own_sandbox(&argv(w));
        assert_eq!(
            mode("codex exec --json --sandbox workspace-write hi").as_deref(),
            Some("workspace-write")
        );
        assert_eq!(
            mode("codex exec -s read-only hi").as_deref(),
            Some("read-only")
        );
        assert_eq!(mode("codex exec hi").as_deref(), Some("read-only"));
        assert_eq!(mode("codex exec --sandbox=danger-full-access hi"), None);
        assert_eq!(mode("codex exec --sandbox danger-full-access hi"), None);
        assert_eq!(
            mode("codex exec --dangerously-bypass-approvals-and-sandbox hi"),
            None
        );
    }
}
