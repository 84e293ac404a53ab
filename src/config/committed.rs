//! The policy as committed: an agent's uncommitted edit to
//! `.leash/config.toml` or `tasks.toml` never changes what it may do.

use std::path::Path;

use super::{
    CONFIG_FILE, ConfigError, Pos, TASKS_FILE, TasksConfig, WorkspaceConfig, parse_tasks,
    parse_workspace_config,
};

/// The notice for a policy file whose working-tree copy differs from the
/// committed one.
pub const UNCOMMITTED_POLICY: &str = "uncommitted policy change ignored until committed";

/// The text of `rel` in `commit`'s tree; `None` when there is no commit or
/// the file is not in it.
fn committed_text(
    repo: &git2::Repository,
    commit: Option<git2::Oid>,
    rel: &str,
    path: &Path,
) -> Result<Option<Vec<u8>>, ConfigError> {
    let Some(commit) = commit else {
        return Ok(None);
    };
    let cannot = |e: git2::Error| {
        ConfigError::new(
            path,
            Pos::default(),
            format!(
                "cannot read the committed version at {}: {}",
                crate::model::short(&commit.to_string()),
                e.message()
            ),
        )
    };
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(cannot)?;
    let entry = match tree.get_path(Path::new(rel)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e)),
    };
    // Read with libgit2's hash verification (its default): a confined
    // agent may write to `.git/objects/`, and a loose object it replaced
    // must not pass for the committed policy. The parsed policy is cached
    // by blob id where no agent writes (`workspace::policy_cache`), so this
    // read is paid once per version of the file.
    let object = entry.to_object(repo).map_err(cannot)?;
    match object.as_blob() {
        Some(blob) => Ok(Some(blob.content().to_vec())),
        None => Err(ConfigError::new(
            path,
            Pos::default(),
            format!(
                "the committed {rel} at {} is not a file",
                crate::model::short(&commit.to_string())
            ),
        )),
    }
}

/// Says, in an error about a committed file, that it is the committed
/// version that is broken.
pub fn committed_error(mut e: ConfigError, commit: git2::Oid) -> ConfigError {
    e.message = format!(
        "{} (in the committed version, {})",
        e.message,
        crate::model::short(&commit.to_string())
    );
    e
}

/// Parses a committed file with `parse`, naming it as committed in errors.
fn parse_committed<T: Default>(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
    rel: &str,
    parse: fn(&str, &Path) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    let path = root.join(rel);
    let bytes = committed_text(repo, commit, rel, &path)?;
    parse_bytes(bytes, &path, commit, parse)
}

/// The policy as committed at `commit`, with the committed bytes of each
/// file (`Some(None)`: not committed; `None`: could not be read), so that
/// [`uncommitted_among`] can compare the working tree against them.
pub struct CommittedPolicy {
    pub config: Result<WorkspaceConfig, ConfigError>,
    pub tasks: Result<TasksConfig, ConfigError>,
    pub bytes: [Option<Option<Vec<u8>>>; 2],
}

/// Reads and parses `.leash/config.toml` and `tasks.toml` as committed at
/// `commit`; see [`load_committed_config`].
pub fn load_committed(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
) -> CommittedPolicy {
    let read = |rel: &str| committed_text(repo, commit, rel, &root.join(rel));
    let (config, tasks) = (read(CONFIG_FILE), read(TASKS_FILE));
    let bytes = [config.as_ref().ok().cloned(), tasks.as_ref().ok().cloned()];
    CommittedPolicy {
        config: config
            .and_then(|b| parse_bytes(b, &root.join(CONFIG_FILE), commit, parse_workspace_config)),
        tasks: tasks.and_then(|b| parse_bytes(b, &root.join(TASKS_FILE), commit, parse_tasks)),
        bytes,
    }
}

fn parse_bytes<T: Default>(
    bytes: Option<Vec<u8>>,
    path: &Path,
    commit: Option<git2::Oid>,
    parse: fn(&str, &Path) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    let Some(bytes) = bytes else {
        return Ok(T::default());
    };
    let commit = commit.expect("a committed text has a commit");
    let text = String::from_utf8(bytes).map_err(|e| {
        committed_error(
            ConfigError::new(
                path,
                Pos::default(),
                format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
            ),
            commit,
        )
    })?;
    parse(&text, path).map_err(|e| committed_error(e, commit))
}

/// The workspace policy as committed at `commit` (the branch's head, or an
/// isolated turn's base): an agent's uncommitted edit to
/// `.leash/config.toml` never changes what it may do. No commit, or no
/// config in it, means the built-in defaults.
pub fn load_committed_config(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
) -> Result<WorkspaceConfig, ConfigError> {
    parse_committed(repo, root, commit, CONFIG_FILE, parse_workspace_config)
}

/// The tasks as committed at `commit`; see [`load_committed_config`].
pub fn load_committed_tasks(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
) -> Result<TasksConfig, ConfigError> {
    parse_committed(repo, root, commit, TASKS_FILE, parse_tasks)
}

/// The policy files whose working-tree copy differs from the version
/// committed at `commit` (changed, added or deleted): those edits are
/// ignored until committed.
pub fn uncommitted_policy_files(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
) -> Vec<&'static str> {
    // Compared by blob id: the committed blob is never read. A file not
    // committed as a file, or in a commit that cannot be read, has no id.
    let ids = committed_entries(repo, commit).map_or([None, None], |e| e.map(Option::flatten));
    [CONFIG_FILE, TASKS_FILE]
        .into_iter()
        .zip(ids)
        .filter(|(rel, id)| {
            let on_disk = match on_disk(root, rel) {
                Ok(b) => b.and_then(|b| git2::Oid::hash_object(git2::ObjectType::Blob, &b).ok()),
                Err(()) => return true,
            };
            on_disk != *id
        })
        .map(|(rel, _)| rel)
        .collect()
}

/// [`uncommitted_policy_files`] with the committed bytes already read
/// (see [`load_committed`]): the working-tree copies are compared with
/// them byte for byte rather than hashed. A file whose committed bytes
/// could not be read is compared by blob id.
pub fn uncommitted_among(
    repo: &git2::Repository,
    root: &Path,
    commit: Option<git2::Oid>,
    committed: &[Option<Option<Vec<u8>>>; 2],
) -> Vec<&'static str> {
    [CONFIG_FILE, TASKS_FILE]
        .into_iter()
        .zip(committed)
        .filter(|(rel, known)| match known {
            Some(known) => on_disk(root, rel).map_or(true, |b| b != *known),
            None => uncommitted_policy_files(repo, root, commit).contains(rel),
        })
        .map(|(rel, _)| rel)
        .collect()
}

/// The working tree's copy of `rel` (`None`: absent); `Err` when it cannot
/// be read — then it cannot be what was committed.
fn on_disk(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, ()> {
    match std::fs::read(root.join(rel)) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(_) => Err(()),
    }
}

/// The blob ids of `.leash/config.toml` and `tasks.toml` as committed at
/// `commit` (`None` inside: not committed); `None` when the commit or its
/// trees cannot be read, or either is there but not a file.
pub fn committed_ids(
    repo: &git2::Repository,
    commit: Option<git2::Oid>,
) -> Option<[Option<git2::Oid>; 2]> {
    let [config, tasks] = committed_entries(repo, commit)?;
    Some([config?, tasks?])
}

/// Each policy file's entry at `commit`: `Some(None)` when it is not
/// committed, `None` when it is there but not a file; `None` in all when
/// the commit or its trees cannot be read.
fn committed_entries(
    repo: &git2::Repository,
    commit: Option<git2::Oid>,
) -> Option<[Option<Option<git2::Oid>>; 2]> {
    let Some(commit) = commit else {
        return Some([Some(None), Some(None)]);
    };
    let tree = repo.find_commit(commit).and_then(|c| c.tree()).ok()?;
    let id = |rel: &str| match tree.get_path(Path::new(rel)) {
        Ok(e) if e.kind() == Some(git2::ObjectType::Blob) => Some(Some(e.id())),
        Ok(_) => None,
        Err(e) if e.code() == git2::ErrorCode::NotFound => Some(None),
        Err(_) => None,
    };
    Some([id(CONFIG_FILE), id(TASKS_FILE)])
}
