//! A pipeline pass's contract: its `out` exists as a regular file inside
//! the pass's tree, is not blank, and meets what the contract asks (JSON,
//! headings, a size limit); a `read-only` pass changed nothing but it.
//! The answer names the file and the rule ("claims.json: not valid JSON at
//! line 3"), and the failure class: `empty_deliverable` for an `out` that
//! is missing or blank, `contract_violation` for the rest.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::deliverable::{heading, headings_in};
use crate::model::{Contract, FailureClass, PassMode};

/// How much of an `out` is read when no `max_bytes` bounds it.
const READ_LIMIT: u64 = 64 << 20;

/// Where a repo-relative path leads in a tree on disk.
#[derive(Debug, PartialEq, Eq)]
pub enum Within {
    /// Absolute, or with `..`: not a path inside the tree.
    Outside,
    /// A symbolic link on the way, which could lead out of the tree.
    Link,
    /// Nothing there.
    Missing,
    /// There, every folder on the way a real folder.
    At(PathBuf),
}

/// Whether repo-relative `rel` stays inside the tree: not absolute, no `..`.
pub fn is_inside(rel: &str) -> bool {
    Path::new(rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Where `rel` leads in `tree`, never through a symbolic link.
pub fn within(tree: &Path, rel: &str) -> Within {
    if !is_inside(rel) {
        return Within::Outside;
    }
    let mut at = tree.to_path_buf();
    for c in Path::new(rel).components() {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Err(_) => return Within::Missing,
            Ok(m) if m.file_type().is_symlink() => return Within::Link,
            Ok(_) => {}
        }
    }
    Within::At(at)
}

/// Reads a contract's schema file by its repo-relative path (as committed
/// at the pass's base), or says why it cannot.
pub type SchemaSource<'a> = &'a dyn Fn(&str) -> Result<Vec<u8>, String>;

/// Checks the pass's `out` in `tree` (its worktree) against `contract`;
/// `changed` are the repo-relative paths the pass's diff touches, and
/// `schema` reads the contract's schema.
pub fn check_pass(
    tree: &Path,
    out: &str,
    contract: &Contract,
    mode: PassMode,
    changed: &[String],
    schema: SchemaSource<'_>,
) -> Option<(FailureClass, String)> {
    let violation =
        |rule: String| Some((FailureClass::ContractViolation, format!("{out}: {rule}")));
    if mode == PassMode::ReadOnly {
        let others: Vec<&str> = changed
            .iter()
            .map(String::as_str)
            .filter(|p| *p != out)
            .collect();
        if let Some(first) = others.first() {
            let more = match others.len() - 1 {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            return Some((
                FailureClass::ContractViolation,
                format!("{first}{more}: changed by a read-only pass, which may change only {out}"),
            ));
        }
    }
    let at = match within(tree, out) {
        Within::Outside => return violation("not a path inside the workspace".into()),
        Within::Link => return violation("a symbolic link, not a file".into()),
        Within::Missing => {
            return Some((
                FailureClass::EmptyDeliverable,
                format!("{out}: not produced"),
            ));
        }
        Within::At(at) => at,
    };
    let meta = match std::fs::symlink_metadata(&at) {
        Ok(m) if m.is_file() => m,
        _ => return violation("not a regular file".into()),
    };
    if let Some(max) = contract.max_bytes
        && meta.len() > max
    {
        return violation(format!("{} bytes, over max_bytes = {max}", meta.len()));
    }
    let mut bytes = Vec::new();
    let read = std::fs::File::open(&at).and_then(|f| {
        f.take(contract.max_bytes.unwrap_or(READ_LIMIT))
            .read_to_end(&mut bytes)
    });
    if let Err(e) = read {
        return violation(format!("unreadable: {e}"));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some((FailureClass::EmptyDeliverable, format!("{out}: empty")));
    }
    let text = String::from_utf8_lossy(&bytes);
    if contract.json {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Err(e) => return violation(format!("not valid JSON at line {}", e.line())),
            Ok(value) => {
                if let Some(path) = &contract.schema
                    && let Some(failed) = super::schema::check(out, &value, path, schema(path))
                {
                    return Some(failed);
                }
            }
        }
    }
    if !contract.headings.is_empty() {
        let present = headings_in(&text);
        for want in &contract.headings {
            let found = match heading(want) {
                Some((level, h)) => present.iter().any(|(l, p)| *l == level && *p == h),
                None => present.iter().any(|(_, p)| p == want.trim()),
            };
            if !found {
                return violation(format!("missing heading `{}`", want.trim()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let path = t.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        t
    }

    fn no_schema(path: &str) -> Result<Vec<u8>, String> {
        Err(format!("{path}: no schema in this test"))
    }

    fn check(t: &tempfile::TempDir, out: &str, c: &Contract) -> Option<(FailureClass, String)> {
        check_pass(
            t.path(),
            out,
            c,
            PassMode::Write,
            &[out.to_string()],
            &no_schema,
        )
    }

    #[test]
    fn each_rule_names_the_file_and_the_rule() {
        use FailureClass::*;
        let t = tree(&[
            ("w/claims.json", "{\n  \"a\": 1,\n  oops\n}\n"),
            ("w/ok.json", "[1]"),
            (
                "posts/d.md",
                "# Post\n## Summary\ntext\n```\n## Sources\n```\n",
            ),
            ("blank.md", " \n\n"),
        ]);
        let json = Contract {
            json: true,
            ..Contract::default()
        };
        assert_eq!(
            check(&t, "w/claims.json", &json),
            Some((
                ContractViolation,
                "w/claims.json: not valid JSON at line 3".into()
            ))
        );
        assert_eq!(check(&t, "w/ok.json", &json), None);
        let headings = Contract {
            headings: vec!["Summary".into(), "Sources".into()],
            ..Contract::default()
        };
        assert_eq!(
            check(&t, "posts/d.md", &headings),
            Some((
                ContractViolation,
                "posts/d.md: missing heading `Sources`".into()
            ))
        );
        let level = Contract {
            headings: vec!["### Summary".into()],
            ..Contract::default()
        };
        assert_eq!(
            check(&t, "posts/d.md", &level).map(|f| f.1),
            Some("posts/d.md: missing heading `### Summary`".into())
        );
        let small = Contract {
            max_bytes: Some(10),
            ..Contract::default()
        };
        assert_eq!(
            check(&t, "posts/d.md", &small).map(|f| f.1),
            Some("posts/d.md: 42 bytes, over max_bytes = 10".into())
        );
        assert_eq!(
            check(&t, "blank.md", &Contract::default()),
            Some((EmptyDeliverable, "blank.md: empty".into()))
        );
        assert_eq!(
            check(&t, "w/none.json", &Contract::default()),
            Some((EmptyDeliverable, "w/none.json: not produced".into()))
        );
        assert_eq!(
            check(&t, "w", &Contract::default()).map(|f| f.1),
            Some("w: not a regular file".into())
        );
    }

    #[test]
    fn a_read_only_pass_may_change_only_its_out() {
        let t = tree(&[("audit.md", "- claim 2 has no source\n")]);
        let changed = ["audit.md".to_string(), "posts/d.md".into(), "x".into()];
        assert_eq!(
            check_pass(
                t.path(),
                "audit.md",
                &Contract::default(),
                PassMode::ReadOnly,
                &changed,
                &no_schema
            ),
            Some((
                FailureClass::ContractViolation,
                "posts/d.md and 1 more: changed by a read-only pass, which may change only \
                 audit.md"
                    .into()
            ))
        );
        let only = ["audit.md".to_string()];
        assert_eq!(
            check_pass(
                t.path(),
                "audit.md",
                &Contract::default(),
                PassMode::ReadOnly,
                &only,
                &no_schema
            ),
            None
        );
    }

    #[test]
    fn a_symbolic_link_out_of_the_tree_is_not_followed() {
        let outside = tree(&[("secret.md", "# Sources\n")]);
        let t = tree(&[]);
        std::os::unix::fs::symlink(outside.path(), t.path().join("w")).unwrap();
        assert_eq!(
            check(&t, "w/secret.md", &Contract::default()).map(|f| f.1),
            Some("w/secret.md: a symbolic link, not a file".into())
        );
    }
}
