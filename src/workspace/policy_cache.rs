//! The committed policy, read and parsed once per version of it.
//!
//! Every process reads `.leash/config.toml` and `tasks.toml` as committed —
//! the hook gate on every tool call an agent makes. Reading them means
//! inflating and hash-checking their blobs, then parsing and checking the
//! TOML: most of a hook's own work. So the result, once checked, is kept in
//! `.git/leash/policy.cache` together with the two blob ids it was read
//! from, the committed texts (to compare the working tree with) and the
//! identity of the code that parsed them. A process whose commit holds the
//! same two blobs, and which is the same leash, takes the cache; any other
//! reads and parses the blobs again and replaces it.
//!
//! The cache is trusted as the journal is: a confined agent may write to
//! `.git/objects/` (which is why the blobs are read with hash
//! verification) but not to `.git/leash/`; an agent in an unconfined
//! in-place turn can write anywhere the operator can. The ids come from the
//! commit's trees, read with verification. A policy that fails to parse or
//! check is never cached: its error is made again, with its position, by
//! whoever reads it.

use std::io::Write;
use std::path::Path;

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

use crate::config::{self, ConfigError, TasksConfig, WorkspaceConfig};

const FILE: &str = "policy.cache";

/// The code whose parse the cache holds: the config's parser and checks,
/// the policy's and invariants' types and option checks, and this file.
const CODE: u64 = crate::code_id::hash(&[
    env!("CARGO_PKG_VERSION").as_bytes(),
    include_bytes!("../config/mod.rs"),
    include_bytes!("../config/raw.rs"),
    include_bytes!("../config/located.rs"),
    include_bytes!("../config/check.rs"),
    include_bytes!("../config/types.rs"),
    include_bytes!("../config/json.rs"),
    include_bytes!("../config/committed.rs"),
    include_bytes!("../config/pass.rs"),
    include_bytes!("../policy.rs"),
    include_bytes!("../model.rs"),
    include_bytes!("../model/pass.rs"),
    include_bytes!("../invariants/mod.rs"),
    include_bytes!("../invariants/options.rs"),
    include_bytes!("../invariants/boot.rs"),
    include_bytes!("../invariants/citations.rs"),
    include_bytes!("../invariants/command.rs"),
    include_bytes!("../invariants/contract.rs"),
    include_bytes!("../invariants/deliverable.rs"),
    include_bytes!("../invariants/layout.rs"),
    include_bytes!("../invariants/markdown.rs"),
    include_bytes!("../invariants/readme.rs"),
    include_bytes!("../invariants/references.rs"),
    include_bytes!("../invariants/routing.rs"),
    include_bytes!("../invariants/schema.rs"),
    include_bytes!("../invariants/separation.rs"),
    include_bytes!("../invariants/tree.rs"),
    include_bytes!("policy_cache.rs"),
]);

/// What the cache file holds.
#[derive(Serialize, Deserialize)]
struct Cached {
    code: String,
    /// The blob ids of the config and the tasks (`None`: not committed).
    ids: [Option<String>; 2],
    /// Their committed texts.
    texts: [Option<String>; 2],
    config: WorkspaceConfig,
    tasks: TasksConfig,
}

fn code() -> String {
    format!("{CODE:016x}")
}

fn ids_text(ids: &[Option<Oid>; 2]) -> [Option<String>; 2] {
    ids.map(|id| id.map(|id| id.to_string()))
}

/// The config and tasks committed at `commit`, the tasks checked against
/// the config.
pub(super) fn committed_policy(
    repo: &Repository,
    root: &Path,
    commit: Option<Oid>,
) -> (
    Result<WorkspaceConfig, ConfigError>,
    Result<TasksConfig, ConfigError>,
) {
    let committed = committed_policy_read(repo, root, commit);
    (committed.config, committed.tasks)
}

/// [`committed_policy`], with the committed bytes kept for
/// [`config::uncommitted_among`]: from the cache when it holds this
/// commit's two blobs, otherwise read, parsed, checked and cached.
pub(super) fn committed_policy_read(
    repo: &Repository,
    root: &Path,
    commit: Option<Oid>,
) -> config::CommittedPolicy {
    let dir = repo.commondir().join("leash");
    let ids = config::committed_ids(repo, commit);
    if let Some(ids) = &ids
        && let Some(cached) = load(&dir, ids)
    {
        return cached;
    }
    let read = parse_and_check(repo, root, commit);
    if let Some(ids) = &ids {
        save(&dir, ids, &read);
    }
    read
}

fn parse_and_check(repo: &Repository, root: &Path, commit: Option<Oid>) -> config::CommittedPolicy {
    let config::CommittedPolicy {
        mut config,
        mut tasks,
        bytes,
    } = config::load_committed(repo, root, commit);
    if let (Ok(c), Some(commit)) = (&config, commit)
        && let Err((at, message)) = crate::invariants::check_options(&c.invariants)
    {
        let e = ConfigError::new(&root.join(config::CONFIG_FILE), at, message);
        config = Err(config::committed_error(e, commit));
    }
    if let (Ok(c), Ok(t)) = (&config, &tasks)
        && let Err(e) = config::check_tasks(t, c, &root.join(config::TASKS_FILE))
    {
        tasks = Err(e);
    }
    config::CommittedPolicy {
        config,
        tasks,
        bytes,
    }
}

/// The cached policy, when the cache holds exactly `ids` parsed by this
/// code; anything else (no file, another version, a torn write) is a miss.
fn load(dir: &Path, ids: &[Option<Oid>; 2]) -> Option<config::CommittedPolicy> {
    let bytes = std::fs::read(dir.join(FILE)).ok()?;
    let cached: Cached = serde_json::from_slice(&bytes).ok()?;
    if cached.code != code() || cached.ids != ids_text(ids) {
        return None;
    }
    // A text is there exactly when its blob is.
    if cached
        .texts
        .iter()
        .zip(ids)
        .any(|(t, id)| t.is_some() != id.is_some())
    {
        return None;
    }
    Some(config::CommittedPolicy {
        config: Ok(cached.config),
        tasks: Ok(cached.tasks),
        bytes: cached.texts.map(|t| Some(t.map(String::into_bytes))),
    })
}

/// Keeps `read` for the next process, when it parsed and checked and both
/// texts were read. Written to a file of its own and renamed over the
/// cache, so a reader sees the old cache or the new one whole; a failure
/// only means the next process parses again.
fn save(dir: &Path, ids: &[Option<Oid>; 2], read: &config::CommittedPolicy) {
    let (Ok(config), Ok(tasks)) = (&read.config, &read.tasks) else {
        return;
    };
    let text = |b: &Option<Option<Vec<u8>>>| match b {
        Some(Some(b)) => String::from_utf8(b.clone()).ok().map(Some),
        Some(None) => Some(None),
        None => None,
    };
    let (Some(c), Some(t)) = (text(&read.bytes[0]), text(&read.bytes[1])) else {
        return;
    };
    if !dir.is_dir() {
        return;
    }
    let cached = Cached {
        code: code(),
        ids: ids_text(ids),
        texts: [c, t],
        config: config.clone(),
        tasks: tasks.clone(),
    };
    let Ok(json) = serde_json::to_vec(&cached) else {
        return;
    };
    // Only what reads back as the same policy is kept (a TOML value JSON
    // cannot carry exactly would otherwise come back changed).
    let same = serde_json::from_slice::<Cached>(&json)
        .is_ok_and(|back| back.config == *config && back.tasks == *tasks);
    if !same {
        return;
    }
    let tmp = dir.join(format!("{FILE}.{}", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| f.write_all(&json));
    if written
        .and_then(|()| std::fs::rename(&tmp, dir.join(FILE)))
        .is_err()
    {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository whose one commit holds `files`.
    fn repo_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Repository, Oid) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        std::fs::create_dir_all(repo.commondir().join("leash")).unwrap();
        let commit = commit(&repo, dir.path(), files, None);
        (dir, repo, commit)
    }

    fn commit(repo: &Repository, root: &Path, files: &[(&str, &str)], parent: Option<Oid>) -> Oid {
        let mut index = repo.index().unwrap();
        for (rel, text) in files {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            index.add_path(Path::new(rel)).unwrap();
        }
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        index.write().unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parents: Vec<_> = parent
            .map(|p| repo.find_commit(p).unwrap())
            .into_iter()
            .collect();
        let parents: Vec<_> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "policy", &tree, &parents)
            .unwrap()
    }

    /// The config template with every invariant it describes switched on.
    fn rich_config() -> String {
        let mut text = String::new();
        let mut invariants = false;
        for line in config::CONFIG_TEMPLATE.lines() {
            invariants |= line == "# [[invariant]]";
            match line.strip_prefix("# ") {
                Some(l) if invariants && !l.starts_with(' ') => text.push_str(l),
                _ => text.push_str(line),
            }
            text.push('\n');
        }
        text.replace("# command = [\"ntfy\"", "command = [\"ntfy\"")
    }

    fn same(a: &config::CommittedPolicy, b: &config::CommittedPolicy) {
        assert_eq!(a.config.as_ref().unwrap(), b.config.as_ref().unwrap());
        assert_eq!(a.tasks.as_ref().unwrap(), b.tasks.as_ref().unwrap());
        assert_eq!(a.bytes, b.bytes);
    }

    #[test]
    fn the_cached_policy_is_the_parsed_one_and_a_new_commit_is_read_again() {
        let config = rich_config();
        let (dir, repo, head) = repo_with(&[
            (config::CONFIG_FILE, &config),
            (config::TASKS_FILE, config::TASKS_TEMPLATE),
        ]);
        let root = dir.path();
        let parsed = parse_and_check(&repo, root, Some(head));
        let c = parsed.config.as_ref().unwrap();
        assert_eq!(c.invariants.len(), 9, "every invariant is on");
        assert!(c.notify.command.is_some() && !c.risk.is_empty());
        assert!(!parsed.tasks.as_ref().unwrap().tasks.is_empty());
        let cache = repo.commondir().join("leash").join(FILE);
        assert!(!cache.exists());
        same(&committed_policy_read(&repo, root, Some(head)), &parsed);
        assert!(cache.exists(), "a parsed policy is cached");
        let ids = config::committed_ids(&repo, Some(head)).unwrap();
        same(&load(cache.parent().unwrap(), &ids).unwrap(), &parsed);
        same(&committed_policy_read(&repo, root, Some(head)), &parsed);
        // A commit with another config is not served the cached one.
        let looser = config.replace("high = \"manual\"", "high = \"auto\"");
        assert_ne!(looser, config);
        let next = commit(&repo, root, &[(config::CONFIG_FILE, &looser)], Some(head));
        let read = committed_policy_read(&repo, root, Some(next));
        assert_eq!(
            read.config.as_ref().unwrap().autonomy.high,
            crate::model::AutonomyLevel::Auto
        );
        assert_eq!(read.bytes[0], Some(Some(looser.into_bytes())));
        // The first commit again: the cache holds the second, so it is read.
        same(&committed_policy_read(&repo, root, Some(head)), &parsed);
    }

    #[test]
    fn a_torn_foreign_or_mismatched_cache_is_a_miss_and_a_broken_policy_is_never_cached() {
        let (dir, repo, head) = repo_with(&[(config::CONFIG_FILE, config::CONFIG_TEMPLATE)]);
        let root = dir.path();
        let leash = repo.commondir().join("leash");
        let ids = config::committed_ids(&repo, Some(head)).unwrap();
        let parsed = committed_policy_read(&repo, root, Some(head));
        assert_eq!(parsed.bytes[1], Some(None), "no tasks committed");
        let whole = std::fs::read(leash.join(FILE)).unwrap();
        std::fs::write(leash.join(FILE), &whole[..whole.len() / 2]).unwrap();
        assert!(load(&leash, &ids).is_none(), "a torn cache");
        let foreign = String::from_utf8(whole.clone())
            .unwrap()
            .replace(&code(), "0000000000000000");
        std::fs::write(leash.join(FILE), foreign).unwrap();
        assert!(load(&leash, &ids).is_none(), "another leash's cache");
        std::fs::write(leash.join(FILE), &whole).unwrap();
        assert!(
            load(&leash, &[ids[0], Some(Oid::ZERO_SHA1)]).is_none(),
            "other blobs"
        );
        same(&load(&leash, &ids).unwrap(), &parsed);
        // A config that does not parse is reported each time, not cached.
        std::fs::remove_file(leash.join(FILE)).unwrap();
        let broken = commit(
            &repo,
            root,
            &[(config::CONFIG_FILE, "[autonomy\n")],
            Some(head),
        );
        for _ in 0..2 {
            let e = committed_policy_read(&repo, root, Some(broken))
                .config
                .unwrap_err();
            assert!(e.to_string().contains("committed version"), "{e}");
        }
        assert!(!leash.join(FILE).exists());
    }
}
