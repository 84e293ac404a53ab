//! The journal as it stands, for readers: every record, or those after a
//! byte offset (for `leash log --follow`), read without locking or
//! repairing it.

use super::Workspace;
use crate::journal::{self, Record};

impl Workspace {
    /// Every usable record of the journal, oldest first.
    pub fn records(&self) -> Vec<Record> {
        journal::read_all(self.journal_path()).0
    }

    /// The whole records after byte `offset`, and the offset to read from
    /// next time.
    pub fn records_from(&self, offset: u64) -> (Vec<Record>, u64) {
        journal::read_from(self.journal_path(), offset)
    }
}
