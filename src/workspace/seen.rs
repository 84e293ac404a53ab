//! What the commands showed the operator of a turn or a held action, for
//! the receipt of a decision taken later on the command line: `leash show`
//! (`hunks` with `--hunks`), `leash diff` (`stat` with `--stat`) and `leash
//! actions` each add a line to `.git/leash/turns/<turn>/seen.jsonl` —
//! when, which view, and whether the whole diff was written out. Only what
//! a person reads is kept: `--json` output is for programs, and a script
//! polling it would make every decision look read.
//!
//! A look that cannot be written is not an error: the receipt then says it
//! is not known when the turn was shown, which is the truth.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::Workspace;
use crate::model::{Front, Receipt, turn_number};

/// One look, one line of `seen.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Look {
    /// The turn (`t3`) or the action (`t3.a2`) shown.
    item: String,
    at: String,
    /// `show`, `hunks`, `diff`, `stat` or `actions`.
    view: String,
    /// The whole diff was written out, to its last line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    whole: bool,
}

/// The turn `item` belongs to, when it is a turn id or an action id of one
/// (nothing else names a folder).
fn turn_of(item: &str) -> Option<&str> {
    let turn = item.split_once(".a").map_or(item, |(t, _)| t);
    turn_number(turn).map(|_| turn)
}

impl Workspace {
    fn seen_file(&self, turn: &str) -> std::path::PathBuf {
        self.turn_dir(turn).join("seen.jsonl")
    }

    /// Notes that a command showed `item` (a turn, or an action of one)
    /// through `view`; `whole` when the whole diff was written out.
    pub fn note_shown(&self, item: &str, view: &str, whole: bool) {
        let Some(turn) = turn_of(item) else { return };
        let look = Look {
            item: item.to_string(),
            at: crate::journal::now(),
            view: view.to_string(),
            whole,
        };
        let mut line = serde_json::to_string(&look).expect("a look serializes");
        line.push('\n');
        let path = self.seen_file(turn);
        let written = std::fs::create_dir_all(self.turn_dir(turn)).and_then(|()| {
            // One write of one short line with O_APPEND: lines of two
            // commands never interleave.
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?
                .write_all(line.as_bytes())
        });
        // Not kept, the receipt says "not known when shown": no harm done.
        drop(written);
    }

    /// The receipt of a decision on `item` taken now on the command line:
    /// shown when a command first showed it (or not known), the views in
    /// the order first used, and whether `leash diff` wrote the whole diff.
    pub fn cli_receipt(&self, item: &str) -> Receipt {
        let mut receipt = Receipt {
            front: Front::Cli,
            shown_at: None,
            decided_at: crate::journal::now(),
            diff_read_to_end: false,
            tabs: Vec::new(),
        };
        let Some(turn) = turn_of(item) else {
            return receipt;
        };
        let text = std::fs::read_to_string(self.seen_file(turn)).unwrap_or_default();
        for look in text
            .lines()
            .filter_map(|l| serde_json::from_str::<Look>(l).ok())
            .filter(|l| l.item == item)
        {
            receipt.shown_at.get_or_insert(look.at);
            receipt.diff_read_to_end |= look.whole;
            if !receipt.tabs.contains(&look.view) {
                receipt.tabs.push(look.view);
            }
        }
        receipt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_make_the_receipt_and_only_turn_ids_name_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let r = ws.cli_receipt("t3");
        assert_eq!((r.front, r.shown_at, r.tabs.len()), (Front::Cli, None, 0));
        ws.note_shown("t3", "show", false);
        ws.note_shown("t3.a1", "actions", false);
        ws.note_shown("t3", "diff", true);
        ws.note_shown("t3", "show", false);
        let r = ws.cli_receipt("t3");
        assert!(r.shown_at.is_some() && r.diff_read_to_end);
        assert_eq!(r.tabs, ["show", "diff"]);
        assert!(r.seconds().is_some());
        let a = ws.cli_receipt("t3.a1");
        assert_eq!(
            (a.tabs.as_slice(), a.diff_read_to_end),
            (&["actions".to_string()][..], false)
        );
        // Nothing outside the turns' folders is written.
        ws.note_shown("../x", "show", false);
        ws.note_shown("t3/../../y", "show", false);
        assert!(!dir.path().join(".git/leash/x").exists());
        assert_eq!(turn_of("t3/../../y"), None);
    }
}
