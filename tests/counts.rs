//! One turn's change counts are the same wherever they are shown: the turn
//! row in the console, the Diff tab's header and `leash diff --stat`. The
//! turn mixes what makes counting disagree: a rename with an edit, a binary
//! file, a deletion and a CRLF file.

mod common;

use common::Repo;
use common::console::{app_with, key, render, select, text};
use crossterm::event::KeyCode;

/// A repository whose one finished turn renames and edits a file, changes a
/// binary file, deletes a file and edits a CRLF file.
fn mixed_turn() -> Repo {
    let r = Repo::initialised();
    let body: String = (1..=12)
        .map(|i| format!("line {i} of the notes\n"))
        .collect();
    r.write("notes.md", &body);
    std::fs::write(r.file("logo.bin"), b"\x89PNG\0\0\x01\x02old").unwrap();
    r.write("gone.md", "one\ntwo\n");
    r.write("dos.txt", "alpha\r\nbeta\r\ngamma\r\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "fixture"]);
    let script = "mv notes.md renamed.md \
        && sed -i 's/line 5 of/line five of/' renamed.md \
        && printf '\\211PNG\\0\\0\\001\\002new' > logo.bin \
        && rm gone.md \
        && printf 'alpha\\r\\nBETA\\r\\ngamma\\r\\n' > dos.txt";
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", script]);
    r
}

/// `(files, insertions, deletions)` read from `text` after `prefix`, as
/// `N files … +I … −D` in any of the shapes the three places use.
fn numbers(text: &str) -> Vec<usize> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

#[test]
fn a_turn_has_one_count_in_the_row_the_diff_header_and_diff_stat() {
    let r = mixed_turn();
    // The true counts: 4 files (one rename), +2 −2 (the renamed file's
    // edited line and the CRLF file's), the deleted file's 2 lines, the
    // binary file no lines.
    let (files, ins, del) = (4, 2, 4);

    let stat = r.ok(&["diff", "t1", "--stat"]).stdout;
    let total = stat.lines().last().unwrap();
    assert_eq!(
        numbers(total),
        vec![files, ins, del],
        "diff --stat total:\n{stat}"
    );
    assert_eq!(
        stat.lines().count(),
        files + 1,
        "one line per file, the rename once:\n{stat}"
    );
    assert!(stat.contains("notes.md → renamed.md"), "{stat}");

    let json = r.turn("t1");
    assert_eq!(
        (
            json["files_changed"].as_u64(),
            json["insertions"].as_u64(),
            json["deletions"].as_u64()
        ),
        (Some(files as u64), Some(ins as u64), Some(del as u64)),
        "the journal's counts: {json}"
    );

    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    let screen = text(&render(&mut app, 120, 30));
    let row = screen
        .lines()
        .find(|l| l.contains("t1  awaiting_review"))
        .unwrap_or_else(|| panic!("no row for t1:\n{screen}"));
    assert!(
        row.contains(&format!("+{ins} −{del}")),
        "turn row {row:?}\n{screen}"
    );
    key(&mut app, KeyCode::Char('2'));
    let screen = text(&render(&mut app, 120, 30));
    assert!(
        screen.contains(&format!("{files} files +{ins} −{del}")),
        "diff header:\n{screen}"
    );
    // The file rows under it add up to the same, the rename as one row.
    let model = match &app.detail.diff.files {
        Some(Ok(f)) => f.clone(),
        other => panic!("no diff: {other:?}"),
    };
    let s = leash::diff::stats(&model);
    assert_eq!((s.files, s.insertions, s.deletions), (files, ins, del));
    assert!(
        screen.contains("notes.md → renamed.md  renamed  +1 −1"),
        "{screen}"
    );
}
