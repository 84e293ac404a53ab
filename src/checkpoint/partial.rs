//! A turn split by a per-hunk verdict into two commits: the *partial*
//! commit (the turn's base with the accepted hunks applied), which lands
//! like any turn commit, and the *remainder* (the partial commit plus the
//! rejected hunks, which is the turn's own tree), kept at
//! `refs/leash/rejected/<turn>` so that nothing the agent did is lost.
//!
//! Per file: no unit taken leaves it as the base has it; every unit taken
//! takes it whole from the turn (additions, deletions, renames, modes,
//! binary content alike); some hunks taken rebuilds its content from the
//! two sides ([`crate::diff::select::splice`]) at its new path and mode.

use git2::{Index, IndexEntry, IndexTime, Oid, Repository};

use super::{GitError, signature, tree_of};
use crate::diff::select::{Take, Unit, splice};
use crate::diff::{Body, FileDiff};

/// The two commits of a split turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// The base with the accepted hunks: what lands.
    pub partial: Oid,
    /// `partial` plus the rejected hunks: the turn's whole tree.
    pub remainder: Oid,
}

/// Splits turn commit `turn` (started from `base`) by `take`, one flag per
/// unit of `units` (numbered from `files`, the turn's diff read whole).
pub fn split_turn(
    repo: &Repository,
    base: Option<Oid>,
    turn: Oid,
    files: &[FileDiff],
    units: &[Unit],
    take: &[Take],
    messages: (&str, &str),
) -> Result<Split, GitError> {
    let base_tree = tree_of(repo, base)?;
    let turn_commit = repo.find_commit(turn)?;
    let turn_tree = turn_commit.tree()?;
    let mut index = Index::new()?;
    index.read_tree(&base_tree)?;
    for (i, f) in files.iter().enumerate() {
        let mine: Vec<(&Unit, &Take)> = units
            .iter()
            .zip(take)
            .filter(|(u, _)| u.file == i)
            .collect();
        if mine.iter().all(|(_, t)| !t.any()) {
            continue;
        }
        if let Some(old) = &f.old_path {
            remove(&mut index, old)?;
        }
        let Some(new_path) = &f.new_path else {
            continue;
        };
        if mine.iter().all(|(_, t)| **t == Take::All) {
            let entry = turn_tree.get_path(std::path::Path::new(new_path))?;
            index.add(&entry_for(new_path, entry.id(), entry.filemode() as u32))?;
            continue;
        }
        let Body::Text(hunks) = &f.body else {
            return Err(GitError::Refused(format!(
                "{new_path} cannot be split into hunks"
            )));
        };
        let blob = |id: &Option<String>| -> Result<Vec<u8>, GitError> {
            match id {
                Some(id) => Ok(repo.find_blob(Oid::from_str(id)?)?.content().to_vec()),
                None => Ok(Vec::new()),
            }
        };
        let mut flags = vec![Take::No; hunks.len()];
        for (u, t) in &mine {
            if let Some(h) = u.hunk {
                flags[h] = (*t).clone();
            }
        }
        let bytes = splice(
            &blob(&f.meta.old_id)?,
            &blob(&f.meta.new_id)?,
            hunks,
            &flags,
        );
        let id = repo.blob(&bytes)?;
        let mode = if f.meta.new_mode != 0 {
            f.meta.new_mode
        } else {
            0o100644
        };
        index.add(&entry_for(new_path, id, mode))?;
    }
    let tree = repo.find_tree(index.write_tree_to(repo)?)?;
    let sig = signature(repo);
    let parent = base.map(|b| repo.find_commit(b)).transpose()?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let partial = repo.commit(None, &sig, &sig, messages.0, &tree, &parents)?;
    let partial_commit = repo.find_commit(partial)?;
    let remainder = repo.commit(None, &sig, &sig, messages.1, &turn_tree, &[&partial_commit])?;
    Ok(Split { partial, remainder })
}

fn remove(index: &mut Index, path: &str) -> Result<(), GitError> {
    match index.remove_path(std::path::Path::new(path)) {
        Ok(()) => Ok(()),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn entry_for(path: &str, id: Oid, mode: u32) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: 0,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::super::{sides, test_git as git};
    use super::*;
    use crate::diff::Limits;
    use crate::diff::select::{Pick, number, resolve};

    fn all(n: usize, v: bool) -> Vec<Take> {
        vec![if v { Take::All } else { Take::No }; n]
    }

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    /// A base and a turn that edits a.md in three places, renames r.md,
    /// adds a binary file and deletes gone.md.
    fn turn() -> (tempfile::TempDir, Repository, Oid, Oid) {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        git(p, &["init", "-q", "-b", "main"]);
        git(p, &["config", "user.name", "T"]);
        git(p, &["config", "user.email", "t@example.com"]);
        std::fs::write(p.join("a.md"), numbered(40)).unwrap();
        std::fs::write(p.join("r.md"), numbered(30)).unwrap();
        std::fs::write(p.join("gone.md"), "bye\n").unwrap();
        git(p, &["add", "."]);
        git(p, &["commit", "-q", "-m", "base"]);
        let base = git(p, &["rev-parse", "HEAD"]);
        let a = numbered(40)
            .replace("line 2\n", "line two\n")
            .replace("line 20\n", "line twenty\n")
            .replace("line 39\n", "");
        std::fs::write(p.join("a.md"), a).unwrap();
        git(p, &["mv", "r.md", "moved.md"]);
        std::fs::write(p.join("b.bin"), b"\0bin").unwrap();
        git(p, &["rm", "-q", "gone.md"]);
        git(p, &["add", "."]);
        git(p, &["commit", "-q", "-m", "turn"]);
        let turn = git(p, &["rev-parse", "HEAD"]);
        let repo = Repository::open(p).unwrap();
        (
            tmp,
            repo,
            Oid::from_str(&base).unwrap(),
            Oid::from_str(&turn).unwrap(),
        )
    }

    #[test]
    fn a_split_lands_what_was_taken_and_keeps_the_rest_on_top() {
        let (tmp, repo, base, turn) = turn();
        let p = tmp.path();
        let files = sides::diff_trees(&repo, Some(base), Some(turn), &Limits::unlimited()).unwrap();
        let units = number(&files);
        let labels: Vec<String> = units.iter().map(Unit::label).collect();
        assert_eq!(
            labels,
            [
                "a.md @@ -1,5 +1,5 @@",
                "a.md @@ -17,7 +17,7 @@",
                "a.md @@ -36,5 +36,4 @@",
                "b.bin (binary: taken or left whole)",
                "gone.md @@ -1 +0,0 @@",
                "r.md → moved.md (renamed without edits: taken or left whole)",
            ]
        );
        let take = resolve(&files, &units, &Pick::Numbers(vec![1, 3, 4, 6])).unwrap();
        let split = split_turn(&repo, Some(base), turn, &files, &units, &take, ("p", "r")).unwrap();
        let show = |rev: String| git(p, &["show", &rev]);
        let partial = split.partial.to_string();
        let a = show(format!("{partial}:a.md"));
        assert!(a.contains("line two") && !a.contains("line twenty") && !a.contains("line 39"));
        assert!(a.contains("line 20"));
        assert_eq!(show(format!("{partial}:b.bin")), "\0bin");
        assert_eq!(show(format!("{partial}:gone.md")), "bye");
        assert_eq!(show(format!("{partial}:moved.md")), numbered(30).trim_end());
        assert!(
            std::process::Command::new("git")
                .args(["-C", &p.display().to_string(), "cat-file", "-e"])
                .arg(format!("{partial}:r.md"))
                .status()
                .is_ok_and(|s| !s.success()),
            "the rename took r.md away"
        );
        assert_eq!(
            git(p, &["rev-parse", &format!("{partial}^")]),
            base.to_string()
        );
        // The remainder is the turn's tree, on top of the partial commit.
        let rem = split.remainder.to_string();
        assert_eq!(
            git(p, &["rev-parse", &format!("{rem}^{{tree}}")]),
            git(p, &["rev-parse", &format!("{turn}^{{tree}}")])
        );
        assert_eq!(git(p, &["rev-parse", &format!("{rem}^")]), partial);
        assert_eq!(
            git(p, &["diff", "--stat", &partial, &rem]),
            git(p, &["diff", "--stat", &partial, &turn.to_string()])
        );
        let left = git(p, &["diff", &partial, &rem, "--", "a.md"]);
        assert!(
            left.contains("+line twenty") && !left.contains("line two\n"),
            "{left}"
        );
    }

    #[test]
    fn taking_everything_is_the_turn_and_nothing_is_the_base() {
        let (_tmp, repo, base, turn) = turn();
        let files = sides::diff_trees(&repo, Some(base), Some(turn), &Limits::unlimited()).unwrap();
        let units = number(&files);
        let tree = |c: Oid| repo.find_commit(c).unwrap().tree_id();
        let everything = all(units.len(), true);
        let s = split_turn(
            &repo,
            Some(base),
            turn,
            &files,
            &units,
            &everything,
            ("p", "r"),
        )
        .unwrap();
        assert_eq!(tree(s.partial), tree(turn));
        let none = all(units.len(), false);
        let s = split_turn(&repo, Some(base), turn, &files, &units, &none, ("p", "r")).unwrap();
        assert_eq!(tree(s.partial), tree(base));
        let mut every_hunk_of_a = all(units.len(), false);
        every_hunk_of_a[..3].fill(Take::All);
        let s = split_turn(
            &repo,
            Some(base),
            turn,
            &files,
            &units,
            &every_hunk_of_a,
            ("p", "r"),
        )
        .unwrap();
        let blob = |c: Oid| {
            repo.find_commit(c)
                .unwrap()
                .tree()
                .unwrap()
                .get_path(std::path::Path::new("a.md"))
                .unwrap()
                .id()
        };
        assert_eq!(blob(s.partial), blob(turn));
    }
}
