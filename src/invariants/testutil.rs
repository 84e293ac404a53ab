//! Builders for the tests of every kind: trees in temp dirs, configs, contexts.

use std::fs;

use super::{Context, InvariantConfig};

/// A temp dir holding `files` (path, content); paths ending in `/` are folders.
pub(crate) fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        if path.ends_with('/') {
            fs::create_dir_all(&p).unwrap();
        } else {
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, content).unwrap();
        }
    }
    dir
}

/// An invariant with its options written as TOML.
pub(crate) fn inv(name: &str, kind: &str, options: &str) -> InvariantConfig {
    InvariantConfig {
        name: name.into(),
        kind: kind.into(),
        options: options.parse().unwrap(),
        at: Default::default(),
    }
}

/// A context on 2026-02-13, no deliverable, no fixing.
pub(crate) fn ctx() -> Context {
    Context {
        today: chrono::NaiveDate::from_ymd_opt(2026, 2, 13).unwrap(),
        ..Context::default()
    }
}

/// The findings of a result as "path:line message [target]" lines.
pub(crate) fn lines(r: &super::CheckResult) -> Vec<String> {
    r.findings
        .iter()
        .map(|f| {
            let mut s = f.path.clone();
            if let Some(l) = f.line {
                s.push_str(&format!(":{l}"));
            }
            s.push(' ');
            s.push_str(&f.message);
            if let Some(t) = &f.target {
                s.push_str(&format!(" [{t}]"));
            }
            s
        })
        .collect()
}
