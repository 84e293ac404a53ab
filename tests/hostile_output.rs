//! Nothing an agent or an operator types reaches the terminal raw: hostile
//! text in every field a person can read (title, prompt, reason, path,
//! action summary, command) goes through every command, text and JSON, and
//! no escape, BEL, C1, bidi or zero-width code point reaches stdout or
//! stderr.

mod common;

use common::Repo;
use serde_json::{Value, json};

/// Sets the pane title, writes the clipboard (OSC 52), clears the screen,
/// moves the cursor with an 8-bit CSI, reverses the text (RLO), hides a
/// character (ZWSP), isolates (LRI), and forges a row after a line break.
const HOSTILE: &str = "T\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J\u{9b}1;1H\u{202e}gpj.exe\u{200b}\u{2066}\u{feff}\u{e0041}\x7f\x08\nt9  landed  low";

/// The code points that must never reach a terminal from leash.
fn forbidden(c: char) -> bool {
    let u = u32::from(c);
    (u < 0x20 && c != '\n')
        || (0x7f..=0x9f).contains(&u)
        || matches!(u, 0x061c | 0x200e | 0x200f | 0x2028 | 0x2029)
        || (0x202a..=0x202e).contains(&u)
        || (0x2066..=0x2069).contains(&u)
        || (0x200b..=0x200d).contains(&u)
        || matches!(u, 0x2060 | 0xfeff | 0x00ad)
        || (0xe0000..=0xe007f).contains(&u)
}

fn assert_clean(what: &str, out: &str) {
    if let Some((i, c)) = out.char_indices().find(|(_, c)| forbidden(*c)) {
        let from = out[..i].char_indices().rev().nth(40).map_or(0, |(j, _)| j);
        panic!(
            "{what}: U+{:04X} reached the terminal near {:?}",
            u32::from(c),
            &out[from..(i + 1).min(out.len())]
        );
    }
}

fn hook(r: &Repo, input: &Value) -> std::process::Child {
    r.hook("claude", &input.to_string())
}

fn event(r: &Repo, name: &str, extra: Value) -> Value {
    let mut v = json!({
        "session_id": "sess-hostile",
        "transcript_path": "/dev/null",
        "cwd": r.path().display().to_string(),
        "hook_event_name": name,
        "permission_mode": "default",
    });
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

#[test]
fn hostile_text_in_every_field_never_reaches_stdout_or_stderr_raw() {
    let r = Repo::initialised();
    // The file the turns write is named by the agent, escapes and all.
    let script =
        "printf '%s\\n' \"$1\" > \"$(printf 'n\\033]0;x\\007\\342\\200\\256.md')\"; echo \"$1\"";
    // t1: isolated, rejected with a hostile reason.
    r.ok(&[
        "run", "--risk", "high", "--title", HOSTILE, "--", "sh", "-c", script, "sh", HOSTILE,
    ]);
    r.ok(&["reject", "t1", "--reason", HOSTILE]);
    // t2: isolated, approved then rolled back, both with hostile reasons.
    r.ok(&[
        "run", "--risk", "high", "--title", HOSTILE, "--", "sh", "-c", script, "sh", HOSTILE,
    ]);
    r.ok(&["approve", "t2", "--reason", HOSTILE]);
    r.ok(&["rollback", "t2", "--reason", HOSTILE]);

    // t3: an in-place session: a hostile prompt, a held Write to a hostile
    // path under operations/ (high, manual), denied with a hostile reason.
    let _console = r.hold_console();
    let out = hook(
        &r,
        &event(&r, "UserPromptSubmit", json!({"prompt": HOSTILE})),
    )
    .wait_with_output()
    .unwrap();
    assert!(out.status.success());
    let path = r.path().join(format!("operations/{HOSTILE}.md"));
    let held = hook(
        &r,
        &event(
            &r,
            "PreToolUse",
            json!({
                "tool_name": "Write",
                "tool_use_id": "toolu_h1",
                "tool_input": {"file_path": path.display().to_string(), "content": HOSTILE},
            }),
        ),
    );
    r.wait_for_event("the hostile write to wait", |e| {
        e["kind"] == "action_requested" && e["needs"] == "approval"
    });
    let waiting = r.ok(&["actions"]);
    assert_clean(
        "leash actions",
        &format!("{}{}", waiting.stdout, waiting.stderr),
    );
    let action = r.ok(&["actions", "--json"]).json()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let denied = r.ok(&["deny", &action, "--reason", HOSTILE]);
    assert_clean("leash deny", &format!("{}{}", denied.stdout, denied.stderr));
    held.wait_with_output().unwrap();

    let turns: Vec<String> = r
        .turns()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert!(turns.len() >= 3, "{turns:?}");
    let mut commands: Vec<Vec<String>> = vec![
        vec![],
        vec!["turns".into()],
        vec!["turns".into(), "--json".into()],
        vec!["log".into()],
        vec!["log".into(), "--json".into()],
        vec!["actions".into()],
        vec!["actions".into(), "--json".into()],
        vec!["autonomy".into()],
        vec!["check".into()],
        vec!["check".into(), "--json".into()],
        // Errors echo what they were given.
        vec!["show".into(), HOSTILE.into()],
        vec![
            "approve".into(),
            "t1".into(),
            "--reason".into(),
            HOSTILE.into(),
        ],
    ];
    for t in &turns {
        for args in [
            vec!["show"],
            vec!["show", "--json"],
            vec!["diff"],
            vec!["diff", "--stat"],
            vec!["diff", "--color", "always"],
            vec!["diff", "--json"],
        ] {
            let mut v: Vec<String> = vec![args[0].into(), t.clone()];
            v.extend(args[1..].iter().map(|s| s.to_string()));
            commands.push(v);
        }
    }
    let mut warned = 0;
    for args in &commands {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = r.run(&argv);
        let what = format!("leash {}", args.join(" "));
        let mut stdout = run.stdout.clone();
        if args.iter().any(|a| a == "always") {
            // The colours leash paints itself, and nothing else.
            for sgr in ["\x1b[32m", "\x1b[31m", "\x1b[36m", "\x1b[1m", "\x1b[0m"] {
                stdout = stdout.replace(sgr, "");
            }
        }
        assert_clean(&format!("{what} (stdout)"), &stdout);
        assert_clean(&format!("{what} (stderr)"), &run.stderr);
        if run.stderr.contains("could drive or deceive a terminal") {
            warned += 1;
        }
        // JSON stays JSON, and the text survives exactly.
        if args.iter().any(|a| a == "--json") && run.code == 0 {
            let text = if args[0] == "log" {
                run.stdout
                    .lines()
                    .map(|l| serde_json::from_str::<Value>(l).expect(l).to_string())
                    .collect::<String>()
            } else {
                run.json().to_string()
            };
            if ["turns", "log", "show"].contains(&args[0].as_str()) {
                assert!(
                    text.contains(&serde_json::to_string(HOSTILE).unwrap()[1..20]),
                    "{what}: the hostile text is not kept in the JSON"
                );
            }
        }
    }
    // The text views that showed the hostile text said that they hid some.
    assert!(warned >= 5, "only {warned} commands warned");
    let show = r.ok(&["show", "t1"]);
    assert!(show.stdout.contains("⟨esc⟩"), "{}", show.stdout);
    assert!(show.stdout.contains("<RLO>"), "{}", show.stdout);
    // The forged row stays on the title's line.
    assert!(
        !show.stdout.lines().any(|l| l.starts_with("t9")),
        "{}",
        show.stdout
    );
}
