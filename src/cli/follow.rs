//! `leash revise` and `leash resume`: a follow-up turn of the same agent,
//! started like `leash run` (in the foreground, or `--detach`).

use clap::Args;

use super::{CliResult, Failure, run};
use crate::workspace::{FollowUpStart, Revision, Workspace};

#[derive(Debug, Args)]
pub struct ReviseArgs {
    /// The turn to send back, e.g. t3.
    pub turn: String,
    /// A comment for the agent: `FILE:LINE=TEXT` on a line of the turn's
    /// diff (the line on the turn's side), or any other TEXT on the turn
    /// as a whole. Repeatable.
    #[arg(long, value_name = "[FILE:LINE=]TEXT")]
    pub comment: Vec<String>,
    /// Land these hunks first (numbers as `leash show TURN --hunks` lists
    /// them); the others are sent back. Default: none lands.
    #[arg(long, value_name = "N,N", conflicts_with = "files")]
    pub hunks: Option<String>,
    /// Land the hunks of these files first; the others are sent back.
    #[arg(long, value_name = "PATH,PATH")]
    pub files: Option<String>,
    /// Return at once; the follow-up's supervisor runs on in its own session.
    #[arg(long)]
    pub detach: bool,
    /// Print the finished follow-up as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The turn to continue, e.g. t3: interrupted, rate limited or timed out.
    pub turn: String,
    /// Start now, even before the time a rate limit resets.
    #[arg(long)]
    pub now: bool,
    /// Return at once; the follow-up's supervisor runs on in its own session.
    #[arg(long)]
    pub detach: bool,
    /// Print the finished follow-up as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A `--comment` value: `FILE:LINE=TEXT` on a line, else the whole text.
fn comment_of(value: &str) -> Result<(Option<(String, u32)>, String), Failure> {
    if let Some((target, text)) = value.split_once('=')
        && let Some((file, line)) = target.rsplit_once(':')
        && !file.is_empty()
        && !file.contains(char::is_whitespace)
        && let Ok(line) = line.parse::<u32>()
    {
        if line == 0 || text.trim().is_empty() {
            return Err(Failure::usage(format!(
                "--comment {value}: expected FILE:LINE=TEXT with a line from 1 and some text"
            )));
        }
        return Ok((Some((file.to_string(), line)), text.to_string()));
    }
    if value.trim().is_empty() {
        return Err(Failure::usage("--comment needs some text"));
    }
    Ok((None, value.to_string()))
}

/// `leash revise TURN --comment …`.
pub fn revise(ws: &mut Workspace, a: ReviseArgs) -> CliResult {
    let mut r = Revision {
        accepted: super::decide::pick_of(&a.turn, a.hunks.as_deref(), a.files.as_deref())?,
        ..Revision::default()
    };
    for c in &a.comment {
        match comment_of(c)? {
            (Some((file, line)), text) => r.line_comments.push((file, line, text)),
            (None, text) => r.comments.push(text),
        }
    }
    r.receipt = Some(ws.cli_receipt(&a.turn));
    let start = ws.revise(&a.turn, r)?;
    go(ws, start, a.detach, a.json)
}

/// `leash resume TURN [--now]`.
pub fn resume(ws: &mut Workspace, a: ResumeArgs) -> CliResult {
    let start = ws.resume(&a.turn, a.now)?;
    go(ws, start, a.detach, a.json)
}

/// Says what became of the parent and how the follow-up runs, then starts
/// it like `leash run`.
fn go(ws: &mut Workspace, start: FollowUpStart, detach: bool, json: bool) -> CliResult {
    if !start.parent.is_empty() {
        super::out::notice("notice", &start.parent);
    }
    match (&start.session, &start.fresh) {
        (Some(s), _) => {
            super::out::notice("notice", &format!("continuing the agent's session {s}"))
        }
        (None, Some(why)) => super::out::notice("notice", why),
        (None, None) => {}
    }
    if detach && std::env::var_os(crate::workspace::detached::DETACHED_ENV).is_none() {
        return run::detach_spec(ws.root(), &start.spec);
    }
    run::run_spec(ws, &start.spec, json)
}

#[cfg(test)]
mod tests {
    use super::comment_of;

    #[test]
    fn a_comment_names_a_line_or_the_whole_turn() {
        let ok = |v: &str| comment_of(v).ok().expect("a comment");
        assert_eq!(
            ok("notes/a.md:3=say why"),
            (Some(("notes/a.md".into(), 3)), "say why".into())
        );
        assert_eq!(ok("use a=b here"), (None, "use a=b here".into()));
        assert_eq!(ok("plain words"), (None, "plain words".into()));
        assert!(comment_of("a.md:0=x").is_err());
        assert!(comment_of("  ").is_err());
    }
}
