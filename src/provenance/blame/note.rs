//! A turn's account from the note leash writes on each landed commit
//! (README.md, "Notes that travel"), for a clone without the journal.

use git2::{Oid, Repository};

use super::{ActionRecord, SourceRecord, TurnRecord};

/// Where leash keeps the record of each landed commit.
pub const NOTES_REF: &str = "refs/notes/leash";
/// The kind and version of record blame reads from a note.
pub const NOTE_SCHEMA: &str = "leash.note/1";

/// The account a commit's note under [`NOTES_REF`] gives of its turn, if
/// it has one that names the turn.
pub fn note_record(repo: &Repository, commit: Oid) -> Option<TurnRecord> {
    let note = repo.find_note(Some(NOTES_REF), commit).ok()?;
    let value: serde_json::Value = serde_json::from_slice(note.message_bytes()).ok()?;
    from_note(&value)
}

/// A note's JSON as a turn's account: the turn, agent, model, prompt, task,
/// and each action's reads and writes.
pub fn from_note(v: &serde_json::Value) -> Option<TurnRecord> {
    let text = |v: &serde_json::Value, keys: &[&str]| {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(|x| x.as_str()))
            .map(str::to_string)
    };
    // A record of another kind (or a later version) is not read as one.
    if v.get("schema")
        .is_some_and(|s| s.as_str() != Some(NOTE_SCHEMA))
    {
        return None;
    }
    let id = text(v, &["turn", "id"]).filter(|t| crate::model::is_turn_id(t))?;
    let list = |v: &serde_json::Value, keys: &[&str]| -> Vec<serde_json::Value> {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(|x| x.as_array()).cloned())
            .unwrap_or_default()
    };
    let strings = |a: &serde_json::Value, keys: &[&str]| -> Vec<String> {
        list(a, keys)
            .iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect()
    };
    let actions = list(v, &["actions"])
        .iter()
        .map(|a| {
            let mut sources: Vec<SourceRecord> = list(a, &["sources"])
                .iter()
                .filter(|s| s.get("seen").and_then(|x| x.as_str()) != Some("listing"))
                .filter_map(|s| serde_json::from_value(s.clone()).ok())
                .filter(|s: &SourceRecord| s.path.is_some() || s.url.is_some())
                .collect();
            if sources.is_empty() {
                // Paths read, without the content seen.
                sources = strings(a, &["reads", "paths_read"])
                    .into_iter()
                    .map(|p| SourceRecord {
                        path: Some(p),
                        ..Default::default()
                    })
                    .collect();
            }
            ActionRecord {
                id: text(a, &["id", "action"]).unwrap_or_default(),
                tool: text(a, &["tool"]).unwrap_or_default(),
                summary: text(a, &["summary"]).unwrap_or_default(),
                sources,
                unknown_reads: strings(a, &["unknown_reads"]),
                paths_written: strings(a, &["writes", "paths_written"]),
                written: list(a, &["written"])
                    .iter()
                    .filter_map(|s| serde_json::from_value(s.clone()).ok())
                    .collect(),
            }
        })
        .collect();
    let agent = match v.get("agent") {
        Some(serde_json::Value::Object(_)) => v.get("agent").and_then(|a| text(a, &["name"])),
        _ => text(v, &["agent"]),
    };
    let model = text(v, &["model"]).or_else(|| v.get("agent").and_then(|a| text(a, &["model"])));
    Some(TurnRecord {
        id,
        agent: agent.unwrap_or_default(),
        model,
        prompt: text(v, &["prompt"]),
        task: text(v, &["task"]),
        command: None,
        title: text(v, &["title"]).unwrap_or_default(),
        rolled_back: v.get("rolled_back_by").is_some_and(|c| !c.is_null()),
        rolled_back_by: text(v, &["rolled_back_by"]),
        actions,
    })
}
