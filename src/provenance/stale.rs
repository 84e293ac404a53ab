//! Which sources changed on a branch since a turn began: a file the turn
//! read whose blob at the branch head is not the one at the turn's base,
//! with the newest commit that changed it and that commit's leash turn.

use git2::{Oid, Repository, Sort, Tree};

use super::Source;

/// A file read that changed on the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub path: String,
    /// The newest commit between base and head that changed it.
    pub commit: String,
    /// That commit's `Leash-Turn` trailer, when it is a leash turn.
    pub turn: Option<String>,
}

impl Changed {
    /// "docs/source.md (changed by t1 in 1a2b3c4)".
    pub fn describe(&self) -> String {
        format!("{} ({})", self.path, self.how())
    }

    /// "changed by t1 in 1a2b3c4", or "changed in 1a2b3c4, not a leash turn".
    pub fn how(&self) -> String {
        let short: String = self.commit.chars().take(7).collect();
        match &self.turn {
            Some(t) => format!("changed by {t} in {short}"),
            None => format!("changed in {short}, not a leash turn"),
        }
    }
}

/// The repository files among `sources` whose text the agent saw (not only
/// their names), each once, in the order first read.
pub fn files_read<'a>(sources: impl IntoIterator<Item = &'a Source>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in sources {
        if let Some(p) = &s.path
            && s.seen.read()
            && s.blob.is_some()
            && !p.starts_with('/')
            && !out.contains(p)
        {
            out.push(p.clone());
        }
    }
    out
}

fn blob_at(tree: Option<&Tree>, path: &str) -> Option<Oid> {
    tree?
        .get_path(std::path::Path::new(path))
        .ok()
        .map(|e| e.id())
}

/// The leash turn a commit message names in its `Leash-Turn` trailer.
pub fn turn_of(message: &str) -> Option<String> {
    message
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("Leash-Turn:"))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Of `paths`, those whose blob at `head` differs from the one at `base`
/// (`None`: an unborn branch), each with the newest commit in `base..head`
/// that changed it.
pub fn changed_since(
    repo: &Repository,
    base: Option<Oid>,
    head: Oid,
    paths: &[String],
) -> Result<Vec<Changed>, git2::Error> {
    if base == Some(head) || paths.is_empty() {
        return Ok(Vec::new());
    }
    let base_tree = base.map(|b| repo.find_commit(b)?.tree()).transpose()?;
    let head_tree = repo.find_commit(head)?.tree()?;
    let moved: Vec<&String> = paths
        .iter()
        .filter(|p| blob_at(base_tree.as_ref(), p) != blob_at(Some(&head_tree), p))
        .collect();
    if moved.is_empty() {
        return Ok(Vec::new());
    }
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    walk.push(head)?;
    if let Some(b) = base {
        walk.hide(b)?;
    }
    let mut out: Vec<Changed> = Vec::new();
    for oid in walk {
        let oid = oid?;
        let commit = repo.find_commit(oid)?;
        let tree = commit.tree()?;
        let parent = commit.parents().next().map(|p| p.tree()).transpose()?;
        for p in &moved {
            if out.iter().any(|c| &c.path == *p) {
                continue;
            }
            if blob_at(Some(&tree), p) != blob_at(parent.as_ref(), p) {
                out.push(Changed {
                    path: (*p).clone(),
                    commit: oid.to_string(),
                    turn: turn_of(commit.message().unwrap_or_default()),
                });
            }
        }
        if out.len() == moved.len() {
            break;
        }
    }
    // Order as read.
    out.sort_by_key(|c| paths.iter().position(|p| *p == c.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::Seen;

    fn commit(repo: &Repository, files: &[(&str, &str)], message: &str) -> Oid {
        let root = repo.workdir().unwrap();
        for (p, text) in files {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    #[test]
    fn a_file_read_that_changed_names_the_commit_and_turn_that_changed_it() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let base = commit(&repo, &[("docs/source.md", "a\n"), ("b.md", "b\n")], "init");
        let by_t1 = commit(
            &repo,
            &[("docs/source.md", "a2\n")],
            "Change the source\n\nLeash-Turn: t1\nLeash-Agent: claude\n",
        );
        let head = commit(&repo, &[("c.md", "c\n")], "unrelated, by hand");
        let paths = ["b.md".to_string(), "docs/source.md".to_string()];
        let changed = changed_since(&repo, Some(base), head, &paths).unwrap();
        assert_eq!(
            changed,
            [Changed {
                path: "docs/source.md".into(),
                commit: by_t1.to_string(),
                turn: Some("t1".into()),
            }]
        );
        assert!(
            changed[0]
                .describe()
                .starts_with("docs/source.md (changed by t1 in ")
        );
        let by_hand = commit(&repo, &[("b.md", "b2\n")], "by hand");
        let changed = changed_since(&repo, Some(base), by_hand, &paths).unwrap();
        assert_eq!(changed[0].path, "b.md");
        assert_eq!(changed[0].turn, None);
        assert!(
            changed_since(&repo, Some(head), head, &paths)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn only_files_whose_text_was_seen_count_as_read() {
        let source = |path: &str, blob: Option<&str>, seen: Seen| Source {
            path: Some(path.into()),
            blob: blob.map(String::from),
            seen,
            ..Source::default()
        };
        let sources = [
            source("a.md", Some("1"), Seen::Content),
            source("src", None, Seen::Listing),
            source("b.md", Some("2"), Seen::Listing),
            source("c.rs", Some("3"), Seen::Matches),
            source("/etc/hosts", Some("4"), Seen::Content),
            source("a.md", Some("5"), Seen::Content),
        ];
        assert_eq!(files_read(&sources), ["a.md", "c.rs"]);
    }
}
