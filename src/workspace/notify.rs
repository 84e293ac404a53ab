//! Needs-you, wherever the operator is: the `[notify] command` of the
//! committed config, run by the process that puts something in the queue
//! (the hook gate, a turn's supervisor), so it works with no console open.
//!
//! The rule: at most once per item — the `notified` event is appended under
//! the journal lock, and the command started there, only when no process
//! has already done so — and not while a console has had a key press in the
//! last minute (the console touches `.git/leash/console.keys` on key
//! presses, at most every few seconds). The command is argv, never a shell;
//! `{title}`, `{body}` and `{turn}` are filled in within their own argument,
//! with terminal escapes and controls removed. It is started detached (its
//! own process group, no stdin, stdout or stderr) and never waited for: one
//! that cannot be started is journaled as a warning, never an error.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use super::{Result, Workspace};
use crate::checkpoint;
use crate::event::Event;

/// The file whose mtime is the console's last key press, under
/// `.git/leash/`.
const KEY_PRESSES: &str = "console.keys";
/// No notification while a console had a key press this recently.
pub const RECENT_KEY_PRESS: Duration = Duration::from_secs(60);
/// The console touches [`KEY_PRESSES`] at most this often.
const TOUCH_EVERY: Duration = Duration::from_secs(5);
/// The longest a filled-in value may be, in characters.
const MAX_VALUE: usize = 300;

/// How long ago `path` was modified; `None` when it is not there.
fn age(path: &Path) -> Option<Duration> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
    Some(
        SystemTime::now()
            .duration_since(modified)
            .unwrap_or(Duration::ZERO),
    )
}

/// A value an agent may control, made safe as one argument: escapes and
/// controls removed (shown as markers), on one line, cut short.
pub fn notify_value(s: &str) -> String {
    let plain = crate::sanitize::plain(s);
    let mut out: String = plain
        .chars()
        .map(|c| {
            if crate::sanitize::is_hidden_char(c) {
                ' '
            } else {
                c
            }
        })
        .take(MAX_VALUE)
        .collect();
    if plain.chars().count() > MAX_VALUE {
        out.push('…');
    }
    out
}

/// The command's argv with `{title}`, `{body}` and `{turn}` filled in,
/// each argument staying one argument.
pub fn fill(command: &[String], title: &str, body: &str, turn: &str) -> Vec<String> {
    let (title, body, turn) = (notify_value(title), notify_value(body), notify_value(turn));
    command
        .iter()
        .map(|a| {
            // One pass, so a value holding `{body}` is never filled again.
            let mut out = String::new();
            let mut rest = a.as_str();
            while let Some(i) = rest.find('{') {
                out.push_str(&rest[..i]);
                let tail = &rest[i..];
                let hit = [("{title}", &title), ("{body}", &body), ("{turn}", &turn)]
                    .into_iter()
                    .find(|(k, _)| tail.starts_with(k));
                match hit {
                    Some((k, v)) => {
                        out.push_str(v);
                        rest = &tail[k.len()..];
                    }
                    None => {
                        out.push('{');
                        rest = &tail[1..];
                    }
                }
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// Starts `argv` detached: its own process group, stdin, stdout and stderr
/// to null, never waited for by the caller (a thread reaps it). The error
/// says why it could not be started.
pub fn spawn_detached(argv: &[String]) -> std::result::Result<(), String> {
    use std::os::unix::process::CommandExt;
    let (program, args) = argv.split_first().ok_or("the command is empty")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    // Reaped in the background so a long-lived supervisor keeps no zombie;
    // a hook that exits first simply leaves it to init.
    std::thread::spawn(move || child.wait());
    Ok(())
}

impl Workspace {
    /// Records a key press in the console: touches `.git/leash/console.keys`
    /// when it is older than a few seconds (a stat otherwise).
    pub fn mark_key_press(&self) {
        let path = self.leash_dir.join(KEY_PRESSES);
        if age(&path).is_some_and(|a| a < TOUCH_EVERY) {
            return;
        }
        let _ = std::fs::create_dir_all(&self.leash_dir);
        if let Ok(f) = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        {
            let _ = f.set_modified(SystemTime::now());
        }
    }

    /// True when a console had a key press in the last minute: the operator
    /// is at it, and needs no other message.
    pub fn key_pressed_recently(&self) -> bool {
        age(&self.leash_dir.join(KEY_PRESSES)).is_some_and(|a| a < RECENT_KEY_PRESS)
    }

    /// The `[notify] command` of the config committed where the turn's
    /// policy was taken (an in-place turn's session start, an isolated
    /// turn's base), else at the branch head — never the working tree's,
    /// which an agent may have edited.
    fn notify_command(&self, turn: &str) -> Option<Vec<String>> {
        let at = self
            .state
            .turn(turn)
            .and_then(|t| t.policy.as_deref().or(t.base.as_deref()))
            .and_then(|c| git2::Oid::from_str(c).ok());
        let at = match at {
            Some(c) => c,
            None => checkpoint::head_commit(&self.repo).ok().flatten()?,
        };
        config_command(&self.repo, &self.root, at)
    }

    /// Tells the operator, through the `[notify] command`, that `item` of
    /// `turn` (an action id, or the turn's id for its review) waits for
    /// them, unless a console had a key press in the last minute or some
    /// process already did. Returns whether the command was started. Never
    /// fails the caller's work: a problem is journaled (or ignored when the
    /// journal itself cannot be written).
    pub fn notify_once(&mut self, turn: &str, item: &str, title: &str, body: &str) -> bool {
        if self.key_pressed_recently() {
            return false;
        }
        let Some(command) = self.notify_command(turn) else {
            return false;
        };
        let argv = fill(&command, title, body, turn);
        let (turn, item) = (turn.to_string(), item.to_string());
        let r: Result<bool> = self.transact(|state| {
            let Some(t) = state.turn(&turn) else {
                return Ok((Vec::new(), false));
            };
            if t.notified.contains(&item) {
                return Ok((Vec::new(), false));
            }
            let warning = spawn_detached(&argv).err();
            let started = warning.is_none();
            Ok((
                vec![Event::Notified {
                    turn: turn.clone(),
                    item: item.clone(),
                    warning,
                }],
                started,
            ))
        });
        r.unwrap_or(false)
    }
}

impl Workspace {
    /// Tells the operator that turn `id` awaits their review, when it does
    /// (its end was not landed, discarded or failed by policy).
    pub(crate) fn notify_review(&mut self, id: &str) {
        let Some(t) = self.state.turn(id) else {
            return;
        };
        if t.state != crate::model::TurnState::AwaitingReview || t.pending.is_some() {
            return;
        }
        let title = format!("leash: {id} awaits your review");
        let body = t.title.clone();
        self.notify_once(id, id, &title, &body);
    }
}

/// The notify command committed at `head`, if the config there has one and
/// reads.
fn config_command(repo: &git2::Repository, root: &Path, head: git2::Oid) -> Option<Vec<String>> {
    crate::config::load_committed_config(repo, root, Some(head))
        .ok()?
        .notify
        .command
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn each_placeholder_is_filled_once_within_its_own_argument() {
        let cmd = argv(&[
            "ntfy",
            "publish",
            "topic",
            "{title}: {body}",
            "{turn}{x}",
            "{",
        ]);
        let out = fill(&cmd, "a {body} b", "one\ntwo \u{1b}[2J three", "t7");
        assert_eq!(out.len(), cmd.len());
        assert_eq!(out[..3], cmd[..3]);
        let body = &out[3];
        assert!(body.starts_with("a {body} b: one"), "{body}");
        assert!(body.contains("two") && body.contains("three"), "{body}");
        assert!(!body.chars().any(|c| c.is_control()), "{body:?}");
        assert_eq!(out[4], "t7{x}");
        assert_eq!(out[5], "{");
    }

    #[test]
    fn a_long_value_is_cut() {
        let long = "x".repeat(1000);
        let v = notify_value(&long);
        assert_eq!(v.chars().count(), MAX_VALUE + 1);
        assert!(v.ends_with('…'));
    }

    #[test]
    fn a_notified_item_belongs_to_its_turn() {
        let ev = |turn: &str, item: &str| Event::Notified {
            turn: turn.into(),
            item: item.into(),
            warning: None,
        };
        assert!(ev("t1", "t1").check_ids().is_ok());
        assert!(ev("t1", "t1.a2").check_ids().is_ok());
        assert!(ev("t1", "t2.a1").check_ids().is_err());
        assert!(ev("t1", "t1.a2/../x").check_ids().is_err());
        assert!(ev("../t1", "../t1").check_ids().is_err());
    }
}
