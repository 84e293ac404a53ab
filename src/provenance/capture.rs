//! Computing an action's provenance from the turn's tree when the action is
//! done: the blob of each file it read or wrote, as the tree holds it at
//! that moment, and the hash of what a fetch returned.
//!
//! The blob of a file read inside the tree is also written to the
//! repository's object store (unless git ignores the file, or it is large),
//! so that the content the agent saw can be shown later even when it was
//! never committed.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Oid, Repository};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Provenance, Seen, Source, Written};

/// Files larger than this are hashed but not kept in the object store.
const KEEP_AT_MOST: u64 = 8 << 20;

/// Most sources one action records from a listing or a search's results.
const MOST_LISTED: usize = 200;

/// Where an action ran.
pub struct Tree<'a> {
    /// The turn's tree: its worktree, or the checkout of an in-place turn.
    pub root: &'a Path,
    /// Where the agent's relative paths start (its working directory).
    pub cwd: &'a Path,
    /// The repository whose object store keeps the blobs read; `None`
    /// keeps nothing.
    pub repo: Option<&'a Repository>,
}

/// One action as the agent's adapter described it, with its result.
#[derive(Default)]
pub struct Action<'a> {
    pub tool: &'a str,
    pub input: Option<&'a Value>,
    pub paths_read: &'a [String],
    pub paths_written: &'a [String],
    pub urls: &'a [String],
    pub commands: &'a [String],
    /// The tool's result as the agent got it (a hook's `tool_response`, or
    /// the stream's result text when it came whole); `None` when unknown.
    pub response: Option<&'a Value>,
}

/// The action's provenance: what it read (with the blobs and hashes of
/// what it saw, `read_at` being `now`), the commands whose reads cannot be
/// known, and the blob each write left.
pub fn capture(tree: &Tree, action: &Action, now: &str) -> Provenance {
    let mut out = Capture {
        tree,
        now,
        seen: BTreeSet::new(),
        prov: Provenance::default(),
    };
    let listing = matches!(action.tool, "Glob" | "LS");
    let searching = action.tool == "Grep";
    for p in action.paths_read {
        let seen = if listing {
            Seen::Listing
        } else if searching {
            Seen::Matches
        } else {
            Seen::Content
        };
        out.file(p, seen);
    }
    for url in action.urls {
        let hash = action.response.and_then(fetched_text).map(|t| sha256(&t));
        out.push(Source {
            url: Some(url.clone()),
            hash,
            ..Source::default()
        });
    }
    if let Some(response) = action.response {
        out.named_in_response(action, response);
    }
    let field = |k: &str| action.input.and_then(|i| i.get(k)).and_then(Value::as_str);
    match action.tool {
        "WebSearch" => {
            if let Some(q) = field("query") {
                out.push(Source {
                    query: Some(q.to_string()),
                    seen: Seen::Listing,
                    ..Source::default()
                });
            }
        }
        "ReadMcpResourceTool" => {
            if let Some(uri) = field("uri") {
                let hash = action.response.and_then(resource_text).map(|t| sha256(&t));
                out.push(Source {
                    url: Some(uri.to_string()),
                    hash,
                    ..Source::default()
                });
            }
        }
        "ListMcpResourcesTool" => {}
        t if t.starts_with("mcp__") => {
            // A server's tool may read anything: say so, with its input.
            let input = action.input.map(Value::to_string).unwrap_or_default();
            let said: String = format!("{t} {input}").chars().take(400).collect();
            out.prov.unknown_reads.push(said);
        }
        _ => {}
    }
    for command in action.commands {
        match known_reads(command) {
            Some(files) => {
                for f in files {
                    out.file(&f, Seen::Content);
                }
            }
            None => out.prov.unknown_reads.push(command.clone()),
        }
    }
    for p in action.paths_written {
        let (path, abs) = out.place(p);
        let blob = std::fs::metadata(&abs)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|_| out.blob(&path, &abs));
        if !out.prov.written.iter().any(|w| w.path == path) {
            out.prov.written.push(Written { path, blob });
        }
    }
    out.prov
}

struct Capture<'a> {
    tree: &'a Tree<'a>,
    now: &'a str,
    seen: BTreeSet<(String, String, String)>,
    prov: Provenance,
}

impl Capture<'_> {
    fn push(&mut self, mut s: Source) {
        let key = (
            s.path.clone().unwrap_or_default(),
            s.url.clone().unwrap_or_default(),
            s.query.clone().unwrap_or_default(),
        );
        if self.seen.insert(key) {
            s.read_at = self.now.to_string();
            self.prov.sources.push(s);
        }
    }

    /// A path as recorded (repository-relative inside the tree, absolute
    /// outside it) and where it is on disk.
    fn place(&self, given: &str) -> (String, PathBuf) {
        let abs = normalize(&self.tree.cwd.join(given));
        let rel = [
            Some(normalize(self.tree.root)),
            self.tree.root.canonicalize().ok(),
        ]
        .into_iter()
        .flatten()
        .find_map(|root| abs.strip_prefix(root).ok().map(Path::to_path_buf));
        let shown = match rel {
            Some(r) if r.as_os_str().is_empty() => ".".to_string(),
            Some(r) => r
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            None => abs.display().to_string(),
        };
        (shown, abs)
    }

    fn file(&mut self, given: &str, seen: Seen) {
        let (path, abs) = self.place(given);
        let meta = std::fs::metadata(&abs).ok();
        let (blob, seen) = match meta {
            Some(m) if m.is_dir() => (None, Seen::Listing),
            Some(_) => (self.blob(&path, &abs), seen),
            None => (None, seen),
        };
        self.push(Source {
            path: Some(path),
            blob,
            seen,
            ..Source::default()
        });
    }

    /// The blob id of a file's bytes, kept in the object store when the
    /// file is the repository's to keep.
    fn blob(&self, path: &str, abs: &Path) -> Option<String> {
        let inside = !path.starts_with('/') && path != ".";
        let keep = self.tree.repo.filter(|repo| {
            inside
                && !path.split('/').any(|c| c == ".git")
                && std::fs::metadata(abs).is_ok_and(|m| m.len() <= KEEP_AT_MOST)
                && !repo.is_path_ignored(Path::new(path)).unwrap_or(true)
        });
        let oid = match keep {
            Some(repo) => {
                let bytes = std::fs::read(abs).ok()?;
                repo.blob(&bytes)
                    .or_else(|_| Oid::hash_object(ObjectType::Blob, &bytes))
            }
            None => Oid::hash_file(ObjectType::Blob, abs),
        };
        oid.ok().map(|o| o.to_string())
    }

    /// What the tool's result names: a search's files, a fetch's links.
    fn named_in_response(&mut self, action: &Action, response: &Value) {
        match action.tool {
            "Grep" | "Glob" | "LS" => {
                let seen = if action.tool == "Grep" {
                    Seen::Matches
                } else {
                    Seen::Listing
                };
                let mut names: Vec<String> = response
                    .get("filenames")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                // Grep's content mode: "path:line:text" per line.
                if let Some(content) = response.get("content").and_then(Value::as_str) {
                    for line in content.lines() {
                        if let Some((name, _)) = line.split_once(':')
                            && !names.iter().any(|n| n == name)
                            && self.place(name).1.is_file()
                        {
                            names.push(name.to_string());
                        }
                    }
                }
                for name in names.into_iter().take(MOST_LISTED) {
                    self.file(&name, seen);
                }
            }
            "WebSearch" => {
                let mut urls = Vec::new();
                urls_in(response, &mut urls);
                for url in urls.into_iter().take(MOST_LISTED) {
                    self.push(Source {
                        url: Some(url),
                        seen: Seen::Listing,
                        ..Source::default()
                    });
                }
            }
            _ => {}
        }
    }
}

/// `path` with `.` and `..` resolved without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `sha256:<hex>` of a text.
pub fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The text a fetch returned to the agent: WebFetch's `result`, or the
/// response itself when it is a string.
fn fetched_text(response: &Value) -> Option<String> {
    match response {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => m.get("result").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// The text of an MCP resource read: its contents' texts, joined.
fn resource_text(response: &Value) -> Option<String> {
    if let Value::String(s) = response {
        return Some(s.clone());
    }
    let texts: Vec<&str> = response
        .get("contents")?
        .as_array()?
        .iter()
        .filter_map(|c| c.get("text").and_then(Value::as_str))
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

/// Every `url` string in a JSON value, in order.
fn urls_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::String(s) if k == "url" && !out.contains(s) => out.push(s.clone()),
                    _ => urls_in(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| urls_in(v, out)),
        _ => {}
    }
}

/// The files a shell command reads, when it is one plain reader (`cat`,
/// `head`, `tail`, `nl`, `sed -n 'N,Mp'`) of named files and nothing else:
/// no pipe, redirection, substitution, glob or second command. `None` when
/// its reads cannot be known.
pub fn known_reads(command: &str) -> Option<Vec<String>> {
    if command.chars().any(|c| "|;&<>`$(){}*?[]~\n\\".contains(c)) {
        return None;
    }
    let words = shell_words::split(command).ok()?;
    let (program, args) = words.split_first()?;
    let program = program.rsplit('/').next().unwrap_or(program);
    let mut files = Vec::new();
    match program {
        "cat" | "nl" => {
            for a in args {
                if a.starts_with('-') {
                    if !matches!(a.as_str(), "-n" | "-b" | "-A" | "-v") {
                        return None;
                    }
                } else {
                    files.push(a.clone());
                }
            }
        }
        "head" | "tail" => {
            let mut it = args.iter();
            while let Some(a) = it.next() {
                if a == "-n" || a == "-c" {
                    it.next()?;
                } else if let Some(flag) = a.strip_prefix('-') {
                    if !flag.chars().all(|c| c.is_ascii_digit() || c == 'n') {
                        return None;
                    }
                } else {
                    files.push(a.clone());
                }
            }
        }
        "sed" => {
            let mut it = args.iter();
            if it.next().map(String::as_str) != Some("-n") {
                return None;
            }
            let script = it.next()?;
            if !script
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == 'p')
                || !script.ends_with('p')
            {
                return None;
            }
            for a in it {
                if a.starts_with('-') {
                    return None;
                }
                files.push(a.clone());
            }
        }
        _ => return None,
    }
    (!files.is_empty()).then_some(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repo() -> (tempfile::TempDir, Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("docs/source.md"), "# Source\n").unwrap();
        std::fs::write(dir.path().join(".gitignore"), "secret.txt\n").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "token\n").unwrap();
        (dir, repo)
    }

    fn blob_of(text: &str) -> String {
        Oid::hash_object(ObjectType::Blob, text.as_bytes())
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_read_records_the_blob_seen_and_keeps_it_unless_ignored() {
        let (dir, repo) = repo();
        let root = dir.path();
        let tree = Tree {
            root,
            cwd: &root.join("docs"),
            repo: Some(&repo),
        };
        let reads = ["source.md".to_string(), "../secret.txt".to_string()];
        let p = capture(
            &tree,
            &Action {
                tool: "Read",
                paths_read: &reads,
                ..Action::default()
            },
            "2026-01-01T00:00:00.000Z",
        );
        let source = &p.sources[0];
        assert_eq!(source.path.as_deref(), Some("docs/source.md"));
        assert_eq!(source.blob.as_deref(), Some(blob_of("# Source\n").as_str()));
        assert_eq!(source.read_at, "2026-01-01T00:00:00.000Z");
        assert_eq!(source.seen, Seen::Content);
        let oid = Oid::from_str(source.blob.as_deref().unwrap()).unwrap();
        assert!(repo.find_blob(oid).is_ok(), "the blob read is kept");
        let secret = &p.sources[1];
        assert_eq!(secret.path.as_deref(), Some("secret.txt"));
        let oid = Oid::from_str(secret.blob.as_deref().unwrap()).unwrap();
        assert!(repo.find_blob(oid).is_err(), "an ignored file is not kept");
        assert!(p.unknown_reads.is_empty() && p.written.is_empty());
    }

    #[test]
    fn writes_keep_their_blob_and_a_deletion_none() {
        let (dir, _repo) = repo();
        let root = dir.path();
        std::fs::write(root.join("out.md"), "new\n").unwrap();
        let tree = Tree {
            root,
            cwd: root,
            repo: None,
        };
        let written = [
            root.join("out.md").display().to_string(),
            "gone.md".to_string(),
        ];
        let p = capture(
            &tree,
            &Action {
                tool: "Write",
                paths_written: &written,
                ..Action::default()
            },
            "t",
        );
        assert_eq!(
            p.written,
            [
                Written {
                    path: "out.md".into(),
                    blob: Some(blob_of("new\n"))
                },
                Written {
                    path: "gone.md".into(),
                    blob: None
                }
            ]
        );
    }

    #[test]
    fn commands_are_unknown_reads_unless_plain_readers() {
        let (dir, _repo) = repo();
        let root = dir.path();
        let tree = Tree {
            root,
            cwd: root,
            repo: None,
        };
        let commands = [
            "sed -n '1,20p' docs/source.md".to_string(),
            "grep -r x . | head".to_string(),
        ];
        let p = capture(
            &tree,
            &Action {
                tool: "Bash",
                commands: &commands,
                ..Action::default()
            },
            "t",
        );
        assert_eq!(p.sources.len(), 1);
        assert_eq!(p.sources[0].path.as_deref(), Some("docs/source.md"));
        assert_eq!(p.unknown_reads, ["grep -r x . | head"]);
        for (cmd, files) in [
            ("cat a b", Some(vec!["a", "b"])),
            ("head -n 5 a", Some(vec!["a"])),
            ("tail -20 a", Some(vec!["a"])),
            ("cat", None),
            ("cat a > b", None),
            ("cat $(x)", None),
            ("sed -i s/a/b/ f", None),
            ("sed -n '/x/p' f", None),
            ("make", None),
            ("cat a; rm b", None),
        ] {
            let want = files.map(|f| f.into_iter().map(String::from).collect::<Vec<_>>());
            assert_eq!(known_reads(cmd), want, "{cmd}");
        }
    }

    #[test]
    fn fetches_searches_and_resources_from_their_responses() {
        let (dir, _repo) = repo();
        let root = dir.path();
        let tree = Tree {
            root,
            cwd: root,
            repo: None,
        };
        let urls = ["https://example.com/a".to_string()];
        let response = json!({"bytes": 10, "code": 200, "result": "page text"});
        let p = capture(
            &tree,
            &Action {
                tool: "WebFetch",
                urls: &urls,
                response: Some(&response),
                ..Action::default()
            },
            "t",
        );
        assert_eq!(p.sources[0].url.as_deref(), Some("https://example.com/a"));
        assert_eq!(
            p.sources[0].hash.as_deref(),
            Some(sha256("page text").as_str())
        );
        // Without the bytes: the URL and time, no hash.
        let p = capture(
            &tree,
            &Action {
                tool: "WebFetch",
                urls: &urls,
                ..Action::default()
            },
            "t",
        );
        assert_eq!(p.sources[0].hash, None);

        let input = json!({"query": "leash provenance"});
        let response =
            json!({"results": [{"content": [{"title": "A", "url": "https://a.example"}]}]});
        let p = capture(
            &tree,
            &Action {
                tool: "WebSearch",
                input: Some(&input),
                response: Some(&response),
                ..Action::default()
            },
            "t",
        );
        let targets: Vec<&str> = p.sources.iter().map(Source::target).collect();
        assert_eq!(targets, ["https://a.example", "leash provenance"]);

        let grep = json!({"mode": "files_with_matches", "filenames": [root.join("docs/source.md").display().to_string()]});
        let place = ["docs".to_string()];
        let p = capture(
            &tree,
            &Action {
                tool: "Grep",
                paths_read: &place,
                response: Some(&grep),
                ..Action::default()
            },
            "t",
        );
        assert_eq!(
            p.sources
                .iter()
                .map(|s| (s.target(), s.seen, s.blob.is_some()))
                .collect::<Vec<_>>(),
            [
                ("docs", Seen::Listing, false),
                ("docs/source.md", Seen::Matches, true)
            ]
        );

        let input = json!({"server": "fs", "uri": "file:///x"});
        let response = json!({"contents": [{"uri": "file:///x", "text": "hello"}]});
        let p = capture(
            &tree,
            &Action {
                tool: "ReadMcpResourceTool",
                input: Some(&input),
                response: Some(&response),
                ..Action::default()
            },
            "t",
        );
        assert_eq!(p.sources[0].hash.as_deref(), Some(sha256("hello").as_str()));
        let input = json!({"q": 1});
        let p = capture(
            &tree,
            &Action {
                tool: "mcp__db__query",
                input: Some(&input),
                ..Action::default()
            },
            "t",
        );
        assert_eq!(p.unknown_reads, [r#"mcp__db__query {"q":1}"#]);
    }
}
