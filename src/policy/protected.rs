//! Paths no config can lower: leash's own policy, git's database, the
//! agents' own settings (where leash's hooks are installed), and anything
//! outside the workspace. A write to one of them is class `high` and never
//! runs above `manual`, whatever the sliders or a task say.
//!
//! A write is classed where it lands: symlinks in the path (of the file and
//! of every parent; the file itself may not exist yet) are followed, and
//! both the path as written and the resolved one are classed.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Folders that are protected wherever they appear in a path.
pub const PROTECTED_DIRS: &[&str] = &[".leash", ".git", ".claude", ".codex", ".gemini"];

/// The rule name protected paths and commands are reported under.
pub const RULE: &str = "protected";

/// Why a workspace-relative path ('/'-separated) is protected, if it is.
/// Folder names compare without case, as they do on case-insensitive file
/// systems.
pub fn protected_rel(rel: &str) -> Option<String> {
    rel.split('/').find_map(|part| {
        PROTECTED_DIRS
            .iter()
            .find(|d| part.eq_ignore_ascii_case(d))
            .map(|d| format!("{d}/** is protected"))
    })
}

/// Where a written path lands, relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Inside the workspace: its '/'-separated relative path.
    Inside(String),
    /// Outside the workspace: the absolute path.
    Outside(PathBuf),
}

/// `path` with `.`, `..` and repeated separators resolved lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` (absolute) with every symlink followed, of the file itself and
/// of each parent, and each `..` taken after the links before it, as the
/// kernel does (`link/..` is the parent of where `link` points); parts that
/// do not exist (yet) are kept as written. Gives up following after 40
/// links (a loop), keeping what it has.
pub fn resolve(path: &Path) -> PathBuf {
    let mut queue: VecDeque<OsString> = VecDeque::new();
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => {}
            other => queue.push_back(other.as_os_str().to_os_string()),
        }
    }
    let mut hops = 0;
    while let Some(part) = queue.pop_front() {
        if part == ".." {
            out.pop();
            continue;
        }
        if part == "." {
            continue;
        }
        let candidate = out.join(&part);
        let link = std::fs::symlink_metadata(&candidate)
            .ok()
            .filter(|m| m.file_type().is_symlink())
            .and_then(|_| std::fs::read_link(&candidate).ok());
        match link {
            Some(target) if hops < 40 => {
                hops += 1;
                if target.is_absolute() {
                    out = PathBuf::from("/");
                }
                let parts: Vec<OsString> = target
                    .components()
                    .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
                    .map(|c| c.as_os_str().to_os_string())
                    .collect();
                for p in parts.into_iter().rev() {
                    queue.push_front(p);
                }
            }
            _ => out = candidate,
        }
    }
    out
}

fn place_in(abs: &Path, roots: &[PathBuf]) -> Place {
    for root in roots {
        if let Ok(rest) = abs.strip_prefix(root) {
            let rel: Vec<String> = rest
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            return Place::Inside(if rel.is_empty() {
                ".".to_string()
            } else {
                rel.join("/")
            });
        }
    }
    Place::Outside(abs.to_path_buf())
}

/// The places a write to `path` lands on: the path as written (relative
/// paths taken from `cwd`) and, when symlinks lead elsewhere, where they
/// lead. `root` is the workspace (an isolated turn's worktree); the first
/// entry is always the path as written.
pub fn places(root: &Path, cwd: &Path, path: &str) -> Vec<Place> {
    let given = Path::new(path);
    let abs = if given.is_absolute() {
        given.to_path_buf()
    } else {
        cwd.join(given)
    };
    let lexical = normalize(&abs);
    let roots = {
        let mut r = vec![normalize(root)];
        let real = resolve(root);
        if !r.contains(&real) {
            r.push(real);
        }
        r
    };
    let mut out = vec![place_in(&lexical, &roots)];
    let landed = place_in(&resolve(&abs), &roots);
    if !out.contains(&landed) {
        out.push(landed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_folders_at_any_depth() {
        for p in [
            ".leash/config.toml",
            ".git/hooks/pre-commit",
            ".claude/settings.json",
            ".codex/config.toml",
            ".gemini/settings.json",
            "sub/.git/config",
            ".Claude/settings.json",
            ".leash",
        ] {
            assert!(protected_rel(p).is_some(), "{p}");
        }
        for p in ["notes/a.md", ".gitignore", "leash/x", "docs/.claude.md"] {
            assert_eq!(protected_rel(p), None, "{p}");
        }
        assert_eq!(
            protected_rel(".leash/config.toml").unwrap(),
            ".leash/** is protected"
        );
    }

    #[test]
    fn places_follow_symlinks_of_parents_and_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("operations")).unwrap();
        std::fs::create_dir_all(root.join("notes")).unwrap();
        std::os::unix::fs::symlink("../operations", root.join("notes/oplink")).unwrap();
        std::os::unix::fs::symlink("../.leash/config.toml", root.join("notes/cfg")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("out")).unwrap();
        let p = |s: &str| places(&root, &root, s);
        assert_eq!(
            p("notes/oplink/x.md"),
            vec![
                Place::Inside("notes/oplink/x.md".into()),
                Place::Inside("operations/x.md".into())
            ]
        );
        // A dangling link to a file that does not exist yet.
        assert_eq!(
            p("notes/cfg"),
            vec![
                Place::Inside("notes/cfg".into()),
                Place::Inside(".leash/config.toml".into())
            ]
        );
        assert_eq!(
            p(&root.join("notes/a.md").display().to_string()),
            vec![Place::Inside("notes/a.md".into())]
        );
        assert_eq!(
            p("out/elsewhere.md")[1],
            Place::Outside(resolve(&dir.path().join("elsewhere.md")))
        );
        assert_eq!(
            p("../escape.md"),
            vec![Place::Outside(normalize(&dir.path().join("escape.md")))]
        );
        // `..` after a link is taken from where the link points, as the
        // kernel does: `deep/..` is `operations/sub/..`, not the root.
        std::fs::create_dir_all(root.join("operations/sub")).unwrap();
        std::os::unix::fs::symlink("../operations/sub", root.join("notes/deep")).unwrap();
        assert_eq!(
            p("notes/deep/../x.md")[1],
            Place::Inside("operations/x.md".into())
        );
        assert_eq!(
            p("/etc/passwd"),
            vec![Place::Outside(PathBuf::from("/etc/passwd"))]
        );
        // A relative path from a sub-folder.
        assert_eq!(
            places(&root, &root.join("notes"), "a.md"),
            vec![Place::Inside("notes/a.md".into())]
        );
        // A link loop ends.
        std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
        assert_eq!(p("loop/x")[0], Place::Inside("loop/x".into()));
    }
}
