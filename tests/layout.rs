//! The library's layout, read from `src/`, as README.md's Architecture
//! section draws it: `agents/` (processes, adapters, hook dialects) never
//! reaches into the workspace; no top-level module imports one that imports
//! it back (`STILL_BEING_TAKEN_APART` names any cycle allowed for a while;
//! it may only shrink); the two fronts use the facade and the data it hands
//! out, never the library's machinery; only the console and the entry point
//! name the console; and no file holds more than 800 lines of code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles still being taken apart, each group one allowed strongly
/// connected set: none left.
const STILL_BEING_TAKEN_APART: &[&[&str]] = &[];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules of the library: `src/X.rs` and `src/X/`.
fn modules() -> BTreeSet<String> {
    std::fs::read_dir(src())
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                Some(name)
            } else {
                name.strip_suffix(".rs")
                    .filter(|m| !["lib", "main"].contains(m))
                    .map(str::to_string)
            }
        })
        .collect()
}

/// A file's code without its unit tests and comments.
fn code(path: &Path) -> String {
    code_of(&std::fs::read_to_string(path).unwrap())
}

/// Source text without its unit tests and comments.
fn code_of(text: &str) -> String {
    let mut kept = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.starts_with("#[cfg(")
            && t.contains("test")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        let line = line.split("//").next().unwrap_or_default();
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// The modules a piece of code names as `crate::X` or `crate::{X, …}`.
fn named(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(group.split(',').map(ident));
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| modules.contains(m));
    out
}

/// Who imports whom, between top-level modules, and through which files.
fn edges() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let modules = modules();
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&root).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let from = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if !modules.contains(&from) {
            continue;
        }
        for to in named(&code(&file), &modules) {
            if to != from {
                edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(rel.display().to_string());
            }
        }
    }
    edges
}

/// The groups of modules that reach each other (of two or more).
fn cycles(edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Vec<Vec<String>> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for next in edges.get(&m).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|m| (m, reach(m))).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for (m, r) in &reached {
        let group: Vec<String> = r
            .iter()
            .filter(|o| reached.get(o).is_some_and(|back| back.contains(*m)))
            .cloned()
            .collect();
        if group.len() > 1 {
            groups.insert(group);
        }
    }
    groups.into_iter().collect()
}

#[test]
fn agents_never_reach_into_the_workspace() {
    let edges = edges();
    let into: Vec<_> = edges
        .get("agents")
        .and_then(|e| e.get("workspace"))
        .into_iter()
        .flatten()
        .collect();
    assert!(into.is_empty(), "agents/ imports workspace in {into:?}");
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let edges = edges();
    let found = cycles(&edges);
    let allowed: Vec<BTreeSet<&str>> = STILL_BEING_TAKEN_APART
        .iter()
        .map(|g| g.iter().copied().collect())
        .collect();
    for group in &found {
        let within_allowed = allowed
            .iter()
            .any(|a| group.iter().all(|m| a.contains(m.as_str())));
        let mut how = Vec::new();
        for a in group {
            for b in group {
                if let Some(files) = edges.get(a).and_then(|e| e.get(b)) {
                    let files: Vec<&str> = files.iter().map(String::as_str).collect();
                    how.push(format!("{a} -> {b} ({})", files.join(", ")));
                }
            }
        }
        assert!(
            within_allowed,
            "a cycle among {group:?}:\n{}",
            how.join("\n")
        );
    }
}

#[test]
fn the_reader_of_imports_finds_them() {
    let modules: BTreeSet<String> = ["state", "model", "event"].map(String::from).into();
    let code = "use crate::{model::Turn, event};\nfn f() { crate::state::State::default(); }\n";
    let found: Vec<String> = named(code, &modules).into_iter().collect();
    assert_eq!(found, ["event", "model", "state"]);
    let found = cycles(&BTreeMap::from([
        (
            "a".to_string(),
            BTreeMap::from([("b".to_string(), BTreeSet::new())]),
        ),
        (
            "b".to_string(),
            BTreeMap::from([("c".to_string(), BTreeSet::new())]),
        ),
        (
            "c".to_string(),
            BTreeMap::from([("a".to_string(), BTreeSet::new())]),
        ),
        (
            "d".to_string(),
            BTreeMap::from([("a".to_string(), BTreeSet::new())]),
        ),
    ]));
    assert_eq!(found, [["a", "b", "c"]]);
}

/// The library's machinery the fronts (`ui/`, `cli/`) may not name: they go
/// through the workspace facade. From the journal they may take `Record`
/// (the data of a line), nothing else; and they never open a repository.
const NOT_FOR_THE_FRONTS: &[&str] = &["agents", "checkpoint", "policy", "fuzzing", "checks"];

/// What a front's code names that it should not.
fn front_violations(code: &str, modules: &BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = named(code, modules)
        .into_iter()
        .filter(|m| NOT_FOR_THE_FRONTS.contains(&m.as_str()))
        .map(|m| format!("crate::{m}"))
        .collect();
    for (i, _) in code.match_indices("crate::journal") {
        if !code[i..].starts_with("crate::journal::Record") {
            out.push("crate::journal (beyond Record)".into());
        }
    }
    if code.contains("git2::") {
        out.push("git2".into());
    }
    out
}

/// The files of a folder of `src/` that are not test helpers.
fn code_files(dir: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&src().join(dir), &mut files);
    files.retain(|f| {
        !matches!(
            f.file_name().and_then(|n| n.to_str()),
            Some("tests.rs" | "testing.rs" | "testutil.rs")
        )
    });
    files.sort();
    files
}

#[test]
fn the_fronts_use_the_facade_not_the_machinery() {
    let modules = modules();
    let mut found = Vec::new();
    for file in code_files("ui").into_iter().chain(code_files("cli")) {
        for v in front_violations(&code(&file), &modules) {
            found.push(format!("{}: {v}", file.display()));
        }
    }
    assert!(
        found.is_empty(),
        "the fronts reach past the facade:\n{}",
        found.join("\n")
    );
    // The reader sees what it must.
    let sample = "use crate::agents::run;\nuse crate::journal::Record;\nfn f() { crate::journal::age(x); git2::Repository::open(p); }\n";
    assert_eq!(
        front_violations(sample, &modules),
        ["crate::agents", "crate::journal (beyond Record)", "git2"]
    );
}

#[test]
fn only_the_console_and_the_entry_point_name_the_console() {
    let mut found = Vec::new();
    for file in code_files("") {
        let rel = file.strip_prefix(src()).unwrap();
        if rel.starts_with("ui") || rel == Path::new("main.rs") {
            continue;
        }
        if code(&file).contains("crate::ui") {
            found.push(rel.display().to_string());
        }
    }
    assert!(found.is_empty(), "crate::ui named in {found:?}");
}

/// Lines of code in a file's text: not blank, not only a comment.
fn lines_of_code(code: &str) -> usize {
    code.lines().filter(|l| !l.trim().is_empty()).count()
}

#[test]
fn no_file_holds_more_than_800_lines_of_code() {
    let mut found = Vec::new();
    for file in code_files("") {
        let n = lines_of_code(&code(&file));
        if n > 800 {
            found.push(format!("{}: {n}", file.display()));
        }
    }
    assert!(found.is_empty(), "files over 800 lines of code: {found:?}");
    let sample =
        "fn a() {}\n\n// a comment\n/// docs\nfn b() {}\n#[cfg(all(test, unix))]\nmod tests {\n}\n";
    assert_eq!(lines_of_code(&code_of(sample)), 2);
}

/// Every source file of the folders whose code shapes a file leash writes
/// for itself is in that file's code id: a change to any of them makes
/// older snapshots and policy caches untrusted (`code_id`).
#[test]
fn the_code_ids_name_every_file_of_the_code_they_stand_for() {
    let named = |file: &str| std::fs::read_to_string(src().join(file)).unwrap();
    let (snapshot, cache) = (
        named("journal/snapshot.rs"),
        named("workspace/policy_cache.rs"),
    );
    let mut missing = Vec::new();
    let mut check = |id: &str, text: &str, folder: &str, except: &[&str]| {
        for entry in std::fs::read_dir(src().join(folder)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".rs") && !except.contains(&name.as_str()) {
                let rel = format!("\"../{folder}/{name}\"");
                if !text.contains(&rel) {
                    missing.push(format!("{id}: {folder}/{name}"));
                }
            }
        }
    };
    check("snapshot", &snapshot, "state", &[]);
    check("snapshot", &snapshot, "model", &[]);
    check("policy cache", &cache, "config", &["tests.rs"]);
    check("policy cache", &cache, "invariants", &["testutil.rs"]);
    check("policy cache", &cache, "model", &[]);
    assert!(missing.is_empty(), "not in their code id: {missing:?}");
}
