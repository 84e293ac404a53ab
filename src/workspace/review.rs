//! Whether review is real, for the fronts: the figures of the operator's
//! decisions (`leash stats`) and the hints they call for, each given once.
//! A hint given is remembered in `.git/leash/hints-given`, one name a line
//! (`rubber_stamp:medium`), so that no console tells it again.

use std::io::Write;

use chrono::{DateTime, Utc};

use super::Workspace;
use crate::stats::{self, Hint, Review};

impl Workspace {
    fn hints_file(&self) -> std::path::PathBuf {
        self.leash_dir.join("hints-given")
    }

    /// The figures of the operator's decisions taken since `since`.
    pub fn review(&self, since: Option<DateTime<Utc>>) -> Review {
        stats::review(self.state.turns(), since)
    }

    /// Every hint the decisions call for now, given before or not.
    pub fn hints(&self) -> Vec<Hint> {
        let sliders = self.sliders();
        stats::hints(&self.review(None), |c| sliders.get(c))
    }

    /// The hints the decisions call for that were never given.
    pub fn new_hints(&self) -> Vec<Hint> {
        let given = std::fs::read_to_string(self.hints_file()).unwrap_or_default();
        self.hints()
            .into_iter()
            .filter(|h| !given.lines().any(|l| l == h.key()))
            .collect()
    }

    /// Remembers that `hint` was given; an error only means it may be
    /// given again.
    pub fn hint_given(&self, hint: &Hint) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.leash_dir)?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.hints_file())?
            .write_all(format!("{}\n", hint.key()).as_bytes())
    }
}
