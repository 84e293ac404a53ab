//! Provenance: what each action of a turn read, with the content it saw,
//! and what it wrote, with the content it left.
//!
//! A read of the repository is a path with the git blob id of the bytes the
//! agent saw, taken from the turn's tree (its worktree, or the checkout for
//! an in-place turn) when the action was done; a fetch is a URL with the
//! time and, when the agent's stream carries the bytes, their hash. A shell
//! command's reads cannot be known: the command is kept as an *unknown
//! read*, never taken for "no reads". Each write keeps the blob it left per
//! path, so a line can be matched to the action that wrote it.
//!
//! These are the journal's data (on `action_done`) and the folded state's
//! (on each action); [`capture`] computes them from a tree.
//!
//! What travels with a landed commit is [`notes`]' record, the git note
//! under `refs/notes/leash`, signed with git's SSH signing set-up by
//! [`sign`].

pub mod blame;
pub mod capture;
pub mod notes;
pub mod sign;
pub mod stale;

use serde::{Deserialize, Serialize};

/// How much of a source the agent saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seen {
    /// Its content (Read, a fetch, an MCP resource).
    #[default]
    Content,
    /// Lines of it that matched a search (Grep).
    Matches,
    /// Only its name, in a listing (Glob, LS, a folder searched), or a
    /// search's query and result links.
    Listing,
}

impl Seen {
    fn is_content(&self) -> bool {
        *self == Seen::Content
    }

    /// True when the agent saw some of the source's text, not only its name.
    pub fn read(&self) -> bool {
        *self != Seen::Listing
    }
}

/// One source an action read. Exactly one of `path`, `url`, `query` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// A file or folder: repository-relative and `/`-separated inside the
    /// turn's tree, absolute outside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The git blob id of the file's bytes as the agent saw them; `None`
    /// for a folder or a path that did not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// A fetched URL (WebFetch, an MCP resource's URI, a search result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `sha256:<hex>` of the bytes the fetch returned to the agent, when
    /// the stream carried them whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// A web search's query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// When the read was done (RFC 3339, UTC, milliseconds).
    #[serde(default)]
    pub read_at: String,
    #[serde(default, skip_serializing_if = "Seen::is_content")]
    pub seen: Seen,
}

impl Source {
    /// What the source is, for a person: its path, URL or query.
    pub fn target(&self) -> &str {
        self.path
            .as_deref()
            .or(self.url.as_deref())
            .or(self.query.as_deref())
            .unwrap_or_default()
    }

    /// The blob id or hash of the content, short, or "" when none.
    pub fn content_id(&self) -> &str {
        self.blob
            .as_deref()
            .or(self.hash.as_deref())
            .unwrap_or_default()
    }
}

/// What a write left at one path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// Repository-relative like [`Source::path`].
    pub path: String,
    /// The git blob id of the file after the write; `None` when the write
    /// deleted it (or it could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
}

/// Everything an action's provenance holds, as `action_done` carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub sources: Vec<Source>,
    /// Shell commands whose reads cannot be known, as the agent ran them.
    pub unknown_reads: Vec<String>,
    pub written: Vec<Written>,
}
