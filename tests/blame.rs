//! `leash blame`: each line traced to its commit, turn, action, prompt and
//! the sources read before the action — with real repositories, the real
//! `leash` binary and a scripted agent speaking Claude Code's stream-json.

mod common;

use common::Repo;
use common::console::{app_with, key, render, select, text};
use crossterm::event::KeyCode;
use leash::ui::action::Action;
use leash::ui::app::{Dialog, Pane};
use leash::ui::keymap::{Key, Keymap, Layer};
use serde_json::Value;

/// An agent that reads `docs/source.md` (Read), then writes
/// `notes/cited.md` citing it (Write), then adds a line to it (Write again),
/// telling leash both as Claude Code
/// does: through its hooks (the gate leash gives the turn, which journals
/// the actions) and in its stream-json.
fn scripted_agent(r: &Repo) {
    let script = r#"#!/bin/sh
set -e
src="$PWD/docs/source.md"
out="$PWD/notes/cited.md"
say() { printf '%s\n' "$1"; }
hook() {
  printf '{"session_id":"s1","transcript_path":"/dev/null","cwd":"%s","hook_event_name":"%s","permission_mode":"acceptEdits","tool_name":"%s","tool_use_id":"%s","tool_input":{"file_path":"%s"},"tool_response":{}}' \
    "$PWD" "$1" "$2" "$3" "$4" | "$LEASH_BIN" hook claude >/dev/null
}
say '{"type":"system","subtype":"init","cwd":"'"$PWD"'","session_id":"s1","model":"claude-test","tools":["Read","Write"]}'
hook PreToolUse Read toolu_1 "$src"
say '{"type":"assistant","session_id":"s1","message":{"id":"m1","type":"message","role":"assistant","model":"claude-test","content":[{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"'"$src"'"}}]}}'
hook PostToolUse Read toolu_1 "$src"
say '{"type":"user","session_id":"s1","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"The sky is blue.","is_error":false}]}}'
hook PreToolUse Write toolu_2 "$out"
say '{"type":"assistant","session_id":"s1","message":{"id":"m2","type":"message","role":"assistant","model":"claude-test","content":[{"type":"tool_use","id":"toolu_2","name":"Write","input":{"file_path":"'"$out"'","content":"..."}}]}}'
mkdir -p "$PWD/notes"
printf 'Cited notes\n\nThe sky is blue, says [the source](../docs/source.md#L3).\n' > "$out"
hook PostToolUse Write toolu_2 "$out"
say '{"type":"user","session_id":"s1","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":"File created successfully","is_error":false}]}}'
hook PreToolUse Write toolu_3 "$out"
printf 'See also: nothing else.\n' >> "$out"
hook PostToolUse Write toolu_3 "$out"
say '{"type":"result","subtype":"success","is_error":false,"result":"Wrote notes/cited.md citing docs/source.md.","num_turns":2,"session_id":"s1"}'
"#;
    common::agent::install(r, "scripted", script);
    r.write("docs/source.md", "# Source\n\nThe sky is blue.\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-qm", "a source and a scripted agent"]);
}

fn blame_json(r: &Repo, target: &str) -> Vec<Value> {
    r.ok(&["blame", target, "--json"])
        .json()
        .as_array()
        .cloned()
        .unwrap()
}

#[test]
fn a_line_names_its_turn_its_write_and_the_source_read_before_it() {
    let r = Repo::initialised();
    scripted_agent(&r);
    let read_blob = r.git(&["rev-parse", "HEAD:docs/source.md"]);
    // The prompt is the agent's to see and hostile to a terminal.
    let prompt = "cite the source\u{1b}[2J\u{202e}";
    let run = r
        .cmd(&[
            "run", "--agent", "scripted", "--risk", "low", "--prompt", prompt,
        ])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(r.turn("t1")["state"], "landed", "{}", r.turn("t1"));
    let landed = r.head();

    // The line the turn wrote: its commit, turn, Write action, prompt, and
    // the source with the blob the agent read, unchanged so far.
    let lines = blame_json(&r, "notes/cited.md:3");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert_eq!(l["line"], 3);
    assert_eq!(l["commit"], landed.as_str());
    assert_eq!(l["turn"], "t1");
    assert_eq!(l["action"], "t1.a2", "{l}");
    assert_eq!(l["tool"], "Write");
    assert_eq!(l["agent"], "scripted");
    assert_eq!(l["prompt"], prompt);
    assert_eq!(l["account"], "journal");
    // Found by content: the last write of the file was t1.a3, which only
    // added line 4.
    assert_eq!(l["matched_by"], "content", "{l}");
    let l4 = &blame_json(&r, "notes/cited.md:4")[0];
    assert_eq!(l4["action"], "t1.a3", "{l4}");
    assert_eq!(l4["text"], "See also: nothing else.");
    let sources = l["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0]["path"], "docs/source.md");
    assert_eq!(sources[0]["blob"], read_blob.as_str(), "{l}");
    assert_eq!(sources[0]["changed_since"], false, "{l}");
    assert_eq!(sources[0]["by"], "t1.a1");

    // The source changes on the branch: the line now rests on a stale read.
    r.write("docs/source.md", "# Source\n\nThe sky is grey.\n");
    r.git(&["commit", "-qam", "the sky changed"]);
    let l = &blame_json(&r, "notes/cited.md:3")[0];
    assert_eq!(l["sources"][0]["blob"], read_blob.as_str());
    assert_eq!(l["sources"][0]["changed_since"], true, "{l}");

    // Renamed since by a person: the line is still the turn's, found under
    // its old name; a path is taken from the folder it is typed in.
    r.git(&["mv", "notes/cited.md", "notes/moved.md"]);
    r.git(&["commit", "-qm", "rename the notes"]);
    let out = r
        .cmd(&["blame", "moved.md:3", "--json"])
        .current_dir(r.file("notes"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let moved: Value = serde_json::from_slice(&out.stdout).unwrap();
    let l = &moved[0];
    assert_eq!(l["path"], "notes/moved.md");
    assert_eq!(l["orig_path"], "notes/cited.md");
    assert_eq!(
        (l["turn"].as_str(), l["action"].as_str()),
        (Some("t1"), Some("t1.a2")),
        "{l}"
    );
    assert_eq!(l["sources"][0]["changed_since"], true);
    r.git(&["mv", "notes/moved.md", "notes/cited.md"]);
    r.git(&["commit", "-qm", "the old name back"]);

    // As text: the turn, the action, the source, and nothing raw.
    let out = r.ok(&["blame", "notes/cited.md"]);
    assert!(
        out.stdout
            .contains("t1 · t1.a2 Write notes/cited.md · scripted"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "read     docs/source.md @ {} (read by t1.a1; changed since)",
            &read_blob[..8]
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("3 │ The sky is blue, says"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains('\u{1b}'), "{:?}", out.stdout);
    assert!(!out.stdout.contains('\u{202e}'), "{:?}", out.stdout);
    assert!(out.stdout.contains("⟨esc⟩"), "{}", out.stdout);
    let json = r.ok(&["blame", "notes/cited.md", "--json"]).stdout;
    assert!(
        !json.contains('\u{1b}') && !json.contains('\u{202e}'),
        "{json:?}"
    );
}

#[test]
fn a_human_commit_is_not_a_leash_turn_and_names_its_author() {
    let r = Repo::initialised();
    let lines = blame_json(&r, "README.md");
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!(l["turn"], Value::Null);
    assert_eq!(l["leash"], false);
    assert_eq!(l["author"], "Test Operator <operator@example.com>");
    assert_eq!(l["missing"], "not a leash turn");
    let out = r.ok(&["blame", "README.md"]);
    assert!(
        out.stdout.contains("not a leash turn · commit ")
            && out
                .stdout
                .contains("by Test Operator <operator@example.com>"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_rolled_back_turn_s_lines_show_the_rollback() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo agent line > README.md",
    ]);
    let l = &blame_json(&r, "README.md:1")[0];
    assert_eq!(l["turn"], "t1");
    assert_eq!(l["text"], "agent line");
    r.ok(&["rollback", "t1"]);
    let rollback = r.head();
    let l = &blame_json(&r, "README.md:1")[0];
    assert_eq!(l["text"], "original line");
    assert_eq!(l["commit"], rollback.as_str());
    assert_eq!(l["rollback"]["turn"], "t1");
    assert_eq!(l["rollback"]["restored"], true);
    let out = r.ok(&["blame", "README.md"]);
    assert!(
        out.stdout.contains(&format!(
            "rollback of t1 · commit {} put these lines back",
            &rollback[..8]
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn bad_targets_say_what_was_expected() {
    let r = Repo::initialised();
    let out = r.run(&["blame", "README.md:3"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("README.md has 1 line in") && out.stderr.contains("lines 3-3"),
        "{}",
        out.stderr
    );
    let out = r.run(&["blame", "README.md:0"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("numbered from 1"), "{}", out.stderr);
    let out = r.run(&["blame", "nothing.md"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("nothing.md is not in the branch's last commit"),
        "{}",
        out.stderr
    );
    let out = r.run(&["blame", "../elsewhere.md", "--json"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("outside the repository"),
        "{}",
        out.stderr
    );
}

/// Runs the scripted agent as t1 (it lands), then changes the source it
/// read on the branch. Returns the blob the agent read.
fn cited_and_changed(r: &Repo, prompt: &str) -> String {
    scripted_agent(r);
    let read_blob = r.git(&["rev-parse", "HEAD:docs/source.md"]);
    let run = r
        .cmd(&[
            "run", "--agent", "scripted", "--risk", "low", "--prompt", prompt,
        ])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(r.turn("t1")["state"], "landed");
    r.write("docs/source.md", "# Source\n\nThe sky is grey.\n");
    r.git(&["commit", "-qam", "the sky changed"]);
    read_blob
}

#[test]
fn shift_b_in_the_diff_tab_shows_who_wrote_the_line_and_enter_opens_a_source_as_read() {
    let r = Repo::initialised();
    let blob = cited_and_changed(&r, "cite the source");
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    app.focus = Pane::Detail;
    // File, hunk, "Cited notes", "", then the citing line.
    for _ in 0..4 {
        key(&mut app, KeyCode::Down);
    }
    let s = text(&render(&mut app, 140, 40));
    assert!(
        s.contains("▸       3 +The sky is blue"),
        "the cursor's line:\n{s}"
    );
    key(&mut app, KeyCode::Char('B'));
    assert!(
        matches!(app.dialog(), Some(Dialog::Blame(_))),
        "{:?}",
        app.status
    );
    let s = text(&render(&mut app, 140, 40));
    assert!(s.contains("Blame notes/cited.md:3"), "{s}");
    assert!(s.contains("+ The sky is blue, says"), "{s}");
    assert!(
        s.contains("t1 · t1.a2 Write notes/cited.md · scripted"),
        "{s}"
    );
    assert!(s.contains("prompt   cite the source"), "{s}");
    assert!(
        s.contains(&format!(
            "▸ docs/source.md @ {} (read by t1.a1; changed since)",
            &blob[..8]
        )),
        "{s}"
    );
    // Enter: the source as the agent read it, at the line the blamed line
    // cites (#L3), marked as changed since.
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.dialog(), Some(Dialog::Source(_))),
        "{:?}",
        app.status
    );
    let s = text(&render(&mut app, 140, 40));
    assert!(
        s.contains(&format!("docs/source.md @ {} — as read", &blob[..8])),
        "{s}"
    );
    assert!(
        s.contains("⚠ changed since: the branch's file is no longer"),
        "{s}"
    );
    assert!(s.contains("▶ 3 │ The sky is blue."), "{s}");
    assert!(!s.contains("grey"), "what was read, not what is: {s}");
    // Esc steps back to the blame, then closes it.
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.dialog(), Some(Dialog::Blame(_))));
    key(&mut app, KeyCode::Esc);
    assert!(app.dialog().is_none());
}

#[test]
fn a_hostile_prompt_is_drawn_safe_in_the_blame() {
    let r = Repo::initialised();
    cited_and_changed(&r, "cite\u{1b}]0;pwned\u{7} it\u{202e}");
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    app.focus = Pane::Detail;
    for _ in 0..4 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char('B'));
    let buf = render(&mut app, 140, 40);
    let s = text(&buf);
    assert!(s.contains("prompt   cite"), "{s}");
    for cell in buf.content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{202e}'),
            "a raw control reached the screen: {s}"
        );
    }
}

#[test]
fn shift_b_blames_in_every_built_in_keymap_and_b_sends_back() {
    let (blame, back) = (Key::parse("B").unwrap(), Key::parse("b").unwrap());
    for name in Keymap::builtin_names() {
        let km = Keymap::builtin(name).unwrap();
        for pane in [Layer::Turns, Layer::Detail, Layer::Queue] {
            assert_eq!(
                km.resolve(blame, &[pane, Layer::Global]),
                Some(Action::Blame),
                "{name} {pane:?}"
            );
            assert_eq!(
                km.resolve(back, &[pane, Layer::Global]),
                Some(Action::SendBack),
                "{name} {pane:?}"
            );
        }
    }
}

#[test]
fn shift_b_on_a_removed_line_blames_it_where_the_turn_started() {
    let r = Repo::initialised();
    r.ok(&[
        "run",
        "--risk",
        "high",
        "--",
        "sh",
        "-c",
        "echo agent line > README.md",
    ]);
    assert_eq!(r.turn("t1")["state"], "awaiting_review");
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    app.focus = Pane::Detail;
    // File, hunk, then "-original line".
    for _ in 0..2 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char('B'));
    let s = text(&render(&mut app, 140, 40));
    assert!(s.contains("Blame README.md:1"), "{s}");
    assert!(s.contains("- original line"), "{s}");
    assert!(
        s.contains("not a leash turn · commit") && s.contains("by Test Operator"),
        "{s}"
    );
    key(&mut app, KeyCode::Esc);
    // The added line below it is the waiting turn's, from its own commit.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('B'));
    let s = text(&render(&mut app, 140, 40));
    assert!(s.contains("+ agent line"), "{s}");
    assert!(s.contains("t1 · generic · commit"), "{s}");
    assert!(
        s.contains("command  sh -c 'echo agent line > README.md'"),
        "{s}"
    );
    assert!(
        s.contains("no action of t1 is recorded writing this line"),
        "a command's turn has no actions:\n{s}"
    );
}

#[test]
fn a_turn_this_journal_does_not_hold_is_read_from_the_commit_s_note() {
    let r = Repo::initialised();
    // This journal's own t1 is another turn than the one below.
    r.ok(&[
        "run",
        "--risk",
        "low",
        "--",
        "sh",
        "-c",
        "echo mine > mine.md",
    ]);
    assert_eq!(r.turn("t1")["state"], "landed");
    // A commit landed elsewhere by a turn also called t1, with its note as
    // README.md's "Notes that travel" documents it.
    r.write("docs/source.md", "The sky is blue.\n");
    r.git(&["add", "docs/source.md"]);
    r.git(&["commit", "-qm", "a source"]);
    let read = r.git(&["rev-parse", "HEAD:docs/source.md"]);
    r.write("out.md", "Cited: docs/source.md:1\n");
    let written = r.git(&["hash-object", "-w", "out.md"]);
    r.git(&["add", "out.md"]);
    r.git(&[
        "commit",
        "-qm",
        "cite it\n\nLeash-Turn: t1\nLeash-Agent: claude\n",
    ]);
    let note = serde_json::json!({
    "schema": "leash.note/1", "turn": "t1", "landed": "isolated",
    "agent": "claude", "model": "claude-x", "prompt": "cite it",
    "actions": [
        {"id": "t1.a1", "tool": "Read", "summary": "Read docs/source.md",
         "reads": ["docs/source.md"],
         "sources": [{"path": "docs/source.md", "blob": read, "read_at": "2026-12-01T00:00:00.000Z"}]},
        {"id": "t1.a2", "tool": "Write", "summary": "Write out.md",
         "writes": ["out.md"], "written": [{"path": "out.md", "blob": written}]}
    ]});
    r.git(&[
        "notes",
        "--ref",
        "leash",
        "add",
        "-m",
        &note.to_string(),
        "HEAD",
    ]);
    let l = &blame_json(&r, "out.md:1")[0];
    assert_eq!(l["account"], "note", "{l}");
    assert_eq!(l["turn"], "t1");
    assert_eq!(l["action"], "t1.a2");
    assert_eq!(l["matched_by"], "content");
    assert_eq!(l["agent"], "claude");
    assert_eq!(l["model"], "claude-x");
    assert_eq!(l["prompt"], "cite it");
    assert_eq!(l["sources"][0]["blob"], read.as_str());
    assert_eq!(l["sources"][0]["read_at"], "2026-12-01T00:00:00.000Z");
    assert_eq!(l["sources"][0]["changed_since"], false);
    // The journal's own t1 still answers for its own commit.
    let mine = &blame_json(&r, "mine.md")[0];
    assert_eq!(
        (mine["turn"].as_str(), mine["account"].as_str()),
        (Some("t1"), Some("journal"))
    );
    assert_eq!(mine["command"], "sh -c 'echo mine > mine.md'");
}
