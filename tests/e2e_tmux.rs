//! End to end, as a person would: `leash demo` in a real terminal (tmux),
//! driven by key presses; approve, reject and roll back, then the git
//! history is checked. Needs `tmux` (`.ci/run` installs it).

mod common;

use std::path::Path;
use std::process::Command;

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is installed (apt-get install tmux; .ci/run does it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "e2e"])
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", "e2e", k]);
        }
    }

    /// Waits until the screen shows `text`.
    /// Waits for `text` on the screen; a timeout shows the last screen.
    fn wait_for(&self, text: &str) -> String {
        let last = std::cell::RefCell::new(String::new());
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            common::wait_until(&format!("the screen to show {text:?}"), || {
                let s = self.screen();
                let hit = s.contains(text).then(|| s.clone());
                *last.borrow_mut() = s;
                hit
            })
        }));
        found.unwrap_or_else(|_| panic!("the last screen:\n{}", last.borrow()))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// `leash demo` running in a fresh tmux server of its own: its workspace,
/// data and config folders live in `_base` and go with it.
struct DemoTerm {
    tmux: Tmux,
    dir: std::path::PathBuf,
    journal: std::path::PathBuf,
    _base: tempfile::TempDir,
}

/// Starts `leash demo` in a `width`×`height` terminal, with `env` (such as
/// `NO_COLOR=1`) before it.
fn demo_in_tmux(name: &str, width: u16, height: u16, env: &str) -> DemoTerm {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("ws");
    let config = base.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let tmux = Tmux {
        socket: format!("leash-e2e-{name}-{}", std::process::id()),
    };
    let command = format!(
        "env {env} LEASH_DEMO_FAST=1 LEASH_DATA_DIR={} LEASH_CONFIG_DIR={} {} demo --dir {}",
        base.path().join("data").display(),
        config.display(),
        env!("CARGO_BIN_EXE_leash"),
        dir.display()
    );
    let (w, h) = (width.to_string(), height.to_string());
    tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        &w,
        "-y",
        &h,
        &command,
    ]);
    DemoTerm {
        tmux,
        journal: dir.join(".git/leash/journal.jsonl"),
        dir,
        _base: base,
    }
}

impl DemoTerm {
    /// Waits until every demo turn has finished and the console shows the
    /// ones that wait; returns that screen.
    fn settled(&self) -> String {
        let n = leash::demo::SCENARIOS.len();
        common::wait_until("every demo turn to finish", || {
            let text = std::fs::read_to_string(&self.journal).ok()?;
            let finished = text.matches("\"turn_finished\"").count();
            let landed = text.matches("\"turn_landed\"").count();
            // The pipeline's passes land by policy; so does the note.
            (finished == leash::demo::TURNS && landed == 1 + leash::demo::PIPELINE_PASSES)
                .then_some(())
        });
        self.tmux.wait_for(&format!("{} waiting", n - 3))
    }
}

fn log(dir: &Path) -> String {
    common::git(dir, &["log", "--format=%s%n%b"])
}

#[test]
fn demo_in_a_real_terminal_approve_reject_and_roll_back_with_keys() {
    let term = demo_in_tmux("keys", 150, 45, "");
    let (tmux, dir) = (&term.tmux, term.dir.as_path());
    // The demo turns: one lands by itself, two fail, the rest wait; the
    // pipeline's three passes land one after the other.
    let n = leash::demo::TURNS;
    tmux.wait_for(&format!("{n} turns"));
    tmux.wait_for("p1  post · done");
    let screen = term.settled();
    assert!(screen.contains("DEMO"), "{screen}");
    assert!(
        log(dir).contains("demo: write today's stand-up note"),
        "{}",
        log(dir)
    );

    // Down to the hostile turn (t6; the newest is on top, under the
    // pipeline's row, which may have come after the console opened): its
    // escapes are markers, and the terminal's title was not touched.
    tmux.keys(&["g", "j", "j", "j", "j"]);
    tmux.wait_for("<RLO>");
    tmux.wait_for("⟨esc⟩");
    let title = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{pane_title}"]);
    assert!(
        !title.contains("pwned"),
        "the agent set the terminal title: {title}"
    );

    // Approve the highest-risk waiting turn from the queue.
    tmux.keys(&["Tab"]);
    tmux.wait_for("┏ Waiting for you");
    tmux.wait_for("t3 awaiting_review demo: add a restart step");
    tmux.keys(&["a"]);
    // A high turn asks first, showing its class. (A capture can catch the
    // terminal part-way through a frame, so each thing is waited for.)
    tmux.wait_for("Approve t3?");
    tmux.wait_for("class: high");
    tmux.keys(&["y"]);
    tmux.wait_for("t3 landed on main");
    assert!(log(dir).contains("demo: add a restart step to the runbook"));
    assert!(log(dir).contains("Leash-Decision: approved by operator"));

    // Reject the next one, with a reason typed into the dialog.
    tmux.wait_for("t2 awaiting_review demo: draft the post");
    tmux.keys(&["r"]);
    tmux.wait_for("Why is it rejected?");
    tmux.keys(&["too vague", "Enter"]);
    tmux.wait_for("t2 rejected");
    let kept = common::git(dir, &["rev-parse", "--verify", "refs/leash/rejected/t2"]);
    assert_eq!(kept.len(), 40);

    // Back to the turns (the queue now shows t6), down to t3, and roll it
    // back behind a confirmation.
    tmux.wait_for("t6 awaiting_review");
    tmux.keys(&["Escape"]);
    tmux.wait_for("┏ Turns");
    tmux.keys(&["j", "j", "j"]);
    tmux.wait_for("t3 landed demo: add a restart step");
    tmux.keys(&["u"]);
    tmux.wait_for("Roll back t3?");
    tmux.keys(&["y"]);
    tmux.wait_for("t3 rolled back");
    let history = log(dir);
    assert!(
        history.contains("Revert \"demo: add a restart step to the runbook\""),
        "{history}"
    );
    assert!(history.contains("Leash-Reverts: t3"), "{history}");
    let runbook = std::fs::read_to_string(dir.join("operations/runbook.md")).unwrap();
    assert!(
        !runbook.contains("Restart the service"),
        "the revert undid the edit"
    );

    tmux.keys(&["q"]);
    common::wait_until("the console to quit", || {
        let panes = tmux.cmd(&[
            "list-panes",
            "-a",
            "-F",
            "#{pane_dead} #{pane_current_command}",
        ]);
        (!panes.contains("leash")).then_some(())
    });
}

#[test]
fn the_new_turn_form_in_a_real_terminal_takes_typing_and_a_paste_and_starts_one_turn() {
    let term = demo_in_tmux("form", 120, 40, "");
    let (tmux, journal) = (&term.tmux, &term.journal);
    let n = leash::demo::TURNS;
    let screen = term.settled();
    // Nothing is in the way of the keys: a notice would take the `n`.
    assert!(!screen.contains("Heads up"), "{screen}");
    let created = || {
        std::fs::read_to_string(journal)
            .unwrap()
            .matches("\"kind\":\"turn_created\"")
            .count()
    };

    // With the first task highlighted, typing writes the prompt.
    tmux.keys(&["n"]);
    tmux.wait_for("› Source");
    tmux.keys(&["yes, only"]);
    tmux.wait_for("› Prompt   yes, only");
    // A paste with a line break stays text: it starts nothing.
    tmux.cmd(&["set-buffer", " the new notes\nplease"]);
    tmux.cmd(&["paste-buffer", "-p", "-t", "e2e"]);
    tmux.wait_for("yes, only the new notes please");
    assert_eq!(created(), n, "the paste started no turn");
    tmux.keys(&["Enter"]);
    let new = format!("t{}", n + 1);
    // The new turn is selected: the detail pane shows it.
    tmux.wait_for(&format!("╭ {new} "));
    common::wait_until("the new turn to finish", || {
        let text = std::fs::read_to_string(journal).ok()?;
        text.contains(&format!("\"kind\":\"turn_finished\",\"turn\":\"{new}\""))
            .then_some(())
    });
    assert_eq!(created(), n + 1, "exactly one turn");
    let text = std::fs::read_to_string(journal).unwrap();
    assert!(
        text.contains("\"prompt\":\"yes, only the new notes please\""),
        "the turn got the typed and pasted prompt"
    );
    tmux.keys(&["q"]);
    common::wait_until("the console to quit", || {
        let panes = tmux.cmd(&[
            "list-panes",
            "-a",
            "-F",
            "#{pane_dead} #{pane_current_command}",
        ]);
        (!panes.contains("leash")).then_some(())
    });
}

/// Where `needle` is on a captured screen, as 1-based (column, row) for a
/// mouse report.
fn cell_of(screen: &str, needle: &str) -> (usize, usize) {
    for (y, line) in screen.lines().enumerate() {
        if let Some(b) = line.find(needle) {
            return (line[..b].chars().count() + 1, y + 1);
        }
    }
    panic!("{needle:?} is not on the screen:\n{screen}");
}

#[test]
fn the_mouse_clicks_and_scrolls_in_a_real_terminal_and_no_color_keeps_the_selection() {
    let term = demo_in_tmux("mouse", 80, 24, "NO_COLOR=1");
    let tmux = &term.tmux;
    tmux.cmd(&["set-option", "-t", "e2e", "remain-on-exit", "on"]);
    let flag = |name: &str| {
        tmux.cmd(&[
            "display-message",
            "-p",
            "-t",
            "e2e",
            &format!("#{{{name}}}"),
        ])
        .trim()
        .to_string()
    };
    let screen = term.settled();
    common::wait_until("the console to ask for the mouse", || {
        (flag("mouse_sgr_flag") == "1").then_some(())
    });
    // Clicks and the wheel, not motion: moving the mouse sends nothing.
    assert_eq!(flag("mouse_standard_flag"), "1");
    assert_eq!(flag("mouse_all_flag"), "0", "no motion reports");

    // NO_COLOR: no colour reaches the terminal, the selection is reverse.
    let styled = tmux.cmd(&["capture-pane", "-p", "-e", "-t", "e2e"]);
    assert!(
        !styled.contains("[38;") && !styled.contains("[48;"),
        "colour under NO_COLOR:\n{styled}"
    );
    assert!(
        styled.contains("\u{1b}[7m") || styled.contains(";7m"),
        "{styled}"
    );

    // A click on a tab opens it; a click on a turn selects it.
    let (x, y) = cell_of(&screen, "2 Diff");
    tmux.keys(&["-l", &format!("\u{1b}[<0;{x};{y}M\u{1b}[<0;{x};{y}m")]);
    tmux.wait_for("@@ -0,0");
    let screen = tmux.screen();
    let (x, y) = cell_of(&screen, "◆ t8");
    tmux.keys(&["-l", &format!("\u{1b}[<0;{x};{y}M\u{1b}[<0;{x};{y}m")]);
    tmux.wait_for("t8 awaiting_review");
    // The wheel over the list moves down it.
    tmux.keys(&["-l", &format!("\u{1b}[<65;{x};{y}M")]);
    tmux.wait_for("t7 awaiting_review");

    // Quitting gives the mouse back to the terminal.
    tmux.keys(&["q"]);
    common::wait_until("the console to quit", || {
        (flag("pane_dead") == "1").then_some(())
    });
    assert_eq!(flag("mouse_sgr_flag"), "0", "mouse capture is released");
    assert_eq!(flag("mouse_any_flag"), "0", "mouse capture is released");
}
