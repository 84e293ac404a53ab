//! The console's presence: an open console holds `.git/leash/console.lock`,
//! so the hook gate knows an operator is there to answer.

use super::{FileLock, Workspace};

/// The lock file a console holds, under `.git/leash/`.
const CONSOLE_LOCK: &str = "console.lock";

impl Workspace {
    /// Takes the console-presence lock for as long as the returned lock
    /// lives; `None` when another console already holds it (or it cannot
    /// be made).
    pub fn hold_console(&self) -> Option<FileLock> {
        std::fs::create_dir_all(&self.leash_dir).ok()?;
        FileLock::acquire(&self.leash_dir.join(CONSOLE_LOCK), false)
            .ok()
            .flatten()
    }

    /// True while a console holds `.git/leash/console.lock`: an operator is
    /// there to answer.
    pub fn console_present(&self) -> bool {
        let path = self.leash_dir.join(CONSOLE_LOCK);
        if !path.exists() {
            return false;
        }
        matches!(FileLock::acquire(&path, false), Ok(None))
    }
}
