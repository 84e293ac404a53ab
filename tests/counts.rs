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
    // A CRLF file's line endings are not control characters to warn about.
    let patch = r.ok(&["diff", "t1", "--color", "never"]);
    assert!(
        patch.stdout.contains("\n-beta\n+BETA\n"),
        "{}",
        patch.stdout
    );
    assert!(
        !patch.stderr.contains("could drive or deceive"),
        "{}",
        patch.stderr
    );

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

/// `leash diff`, `leash diff --stat` and the console's Diff tab show one
/// model: the same files, the same counts per file, the rename in each —
/// on a change whose removed lines begin `--` and added ones `++` (which
/// read back from patch text look like `---`/`+++` headers).
#[test]
fn cli_and_console_show_the_same_files_counts_and_rename() {
    let r = Repo::initialised();
    let body: String = (1..=12).map(|i| format!("-- step {i}\n")).collect();
    r.write("plan.sql", &body);
    r.write("counters.txt", "-- one\n-- two\nkeep\n");
    r.git(&["add", "."]);
    r.git(&["commit", "-q", "-m", "fixture"]);
    // plan.sql moves to moved.sql with one `--` line edited; counters.txt
    // loses two `--` lines and gains three `++` lines.
    let script = "mv plan.sql moved.sql \
        && sed -i 's/^-- step 6$/-- step six/' moved.sql \
        && printf '++ a\\n++ b\\nkeep\\n++ c\\n' > counters.txt";
    r.ok(&["run", "--risk", "high", "--", "sh", "-c", script]);

    // The expected change, file by file: (name, insertions, deletions).
    let expected = vec![
        ("counters.txt".to_string(), 3, 2),
        ("plan.sql → moved.sql".to_string(), 1, 1),
    ];

    let stat = r.ok(&["diff", "t1", "--stat"]).stdout;
    let mut from_stat: Vec<(String, usize, usize)> = stat
        .lines()
        .filter_map(|l| {
            let (name, counts) = l.trim().split_once(" | ")?;
            let n = numbers(counts);
            Some((name.to_string(), n[0], n[1]))
        })
        .collect();
    from_stat.sort();
    assert_eq!(from_stat, expected, "diff --stat:\n{stat}");
    assert_eq!(
        numbers(stat.lines().last().unwrap()),
        vec![2, 4, 3],
        "{stat}"
    );

    // The patch: counted by its lines' kinds, the rename in git's words.
    let patch = r.ok(&["diff", "t1", "--color", "never"]).stdout;
    assert!(
        patch.contains("rename from plan.sql\nrename to moved.sql\n"),
        "{patch}"
    );
    assert!(patch.contains("\n--- step 6\n+-- step six\n"), "{patch}");
    assert!(patch.contains("\n+++ a\n"), "{patch}");
    let json = r.ok(&["diff", "t1", "--json"]).json();
    let mut from_json: Vec<(String, usize, usize)> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap().to_string();
            let name = match f["old_path"].as_str() {
                Some(old) if old != path => format!("{old} → {path}"),
                _ => path,
            };
            let n = |k: &str| f[k].as_u64().unwrap() as usize;
            (name, n("insertions"), n("deletions"))
        })
        .collect();
    from_json.sort();
    assert_eq!(from_json, expected, "diff --json: {json}");
    assert_eq!(json["patch"].as_str(), Some(patch.as_str()));

    // The console's Diff tab: the same rows, the rename as one.
    let mut app = app_with(r.path(), "dark");
    select(&mut app, "t1");
    key(&mut app, KeyCode::Char('2'));
    let screen = text(&render(&mut app, 120, 30));
    let model = match &app.detail.diff.files {
        Some(Ok(f)) => f.clone(),
        other => panic!("no diff: {other:?}"),
    };
    let mut from_console: Vec<(String, usize, usize)> = model
        .iter()
        .map(|f| (f.name(), f.insertions, f.deletions))
        .collect();
    from_console.sort();
    assert_eq!(from_console, expected);
    assert!(screen.contains("2 files +4 −3"), "diff header:\n{screen}");
    assert!(
        screen.contains("plan.sql → moved.sql  renamed  +1 −1"),
        "{screen}"
    );
    assert!(screen.contains("counters.txt"), "{screen}");
}
