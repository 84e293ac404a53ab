//! The journal: `.git/leash/journal.jsonl`, the append-only event log that is
//! the single source of truth for leash's state and the bus between its
//! processes (DESIGN §2).
//!
//! Appends take an exclusive `flock`, re-read whatever other processes
//! appended since this process last looked, let the caller decide on that
//! fresh state, write whole lines with `O_APPEND` and `fdatasync` before the
//! lock is released. A torn last line (a crash mid-write) is moved aside to
//! `journal.torn.<n>` on open, never silently dropped.

use std::borrow::Cow;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub mod snapshot;

use crate::event::Event;
pub use crate::event::Record;
use crate::state::{Need, Span, State, Turn};

/// The journal's schema version, written into every line.
pub const VERSION: u32 = 1;

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("journal {path}: cannot encode event: {source}")]
    Encode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// A line that could not be used while reading; reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub offset: u64,
    pub message: String,
}

/// The journal file and what this process has folded of it so far.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    /// Byte offset up to which the file has been folded into `state`.
    offset: u64,
    /// The snapshot this process started from or last saved.
    covers: Option<snapshot::Covers>,
    /// Whether the fold on open started from a snapshot.
    from_snapshot: bool,
}

/// Kinds this binary knows; any other kind is skipped with a warning so
/// that old binaries can read journals written by newer ones.
const KNOWN_KINDS: &[&str] = &[
    "turn_created",
    "turn_started",
    "action_requested",
    "action_decided",
    "action_done",
    "usage",
    "turn_finished",
    "risk_escalated",
    "invariants_checked",
    "turn_decided",
    "landing_started",
    "turn_landed",
    "landing_aborted",
    "turn_rejected",
    "rollback_started",
    "turn_rolled_back",
    "rollback_aborted",
    "turn_interrupted",
    "autonomy_set",
    "lock_removed",
    "session_started",
    "session_ended",
    "turn_confined",
    "write_refused",
    "sources_checked",
];

impl Journal {
    /// Opens (creating if needed) the journal at `path`, repairs a torn last
    /// line, and folds it into `state`: from the fold snapshot when one
    /// matches, the lines after it; else the whole file. With `settled`
    /// false, the turns settled at the snapshot are left out until a line
    /// names one (what the hook gate needs: it acts on live turns). Returns
    /// the paths of files a torn line was moved to.
    pub fn open(
        path: &Path,
        state: &mut State,
        settled: bool,
    ) -> Result<(Journal, Option<PathBuf>), JournalError> {
        let dir = path.parent().expect("journal path has a parent");
        fs::create_dir_all(dir).map_err(|e| io_err(path, e))?;
        let file = open_rw(path)?;
        file.lock().map_err(|e| io_err(path, e))?;
        let torn = repair(&file, path)?;
        let mut journal = Journal {
            path: path.to_path_buf(),
            offset: 0,
            covers: None,
            from_snapshot: false,
        };
        if let Some((loaded, covers)) = snapshot::load(path, &file, settled) {
            *state = loaded;
            journal.offset = covers.offset;
            journal.covers = Some(covers);
            journal.from_snapshot = true;
        }
        journal.fold(&file, state, true)?;
        journal.save_if_due(&file, state);
        drop(file);
        Ok((journal, torn))
    }

    /// Saves a fold snapshot when enough was folded since the last one.
    /// Caller holds the lock. A snapshot that cannot be saved costs only
    /// speed: the next process folds a longer tail.
    fn save_if_due(&mut self, file: &File, state: &mut State) {
        let since = self.covers.as_ref().map_or(0, |c| c.seq);
        if !snapshot::due(state.last_seq.saturating_sub(since)) {
            return;
        }
        if let Ok(covers) = snapshot::save(&self.path, file, state, self.offset) {
            self.covers = Some(covers);
        }
    }

    /// Turn `id` whole: borrowed when the state holds it whole, else read
    /// again from its lines in the journal (see `state::brief`) with its
    /// events, readable log and every action. `None` when the state does
    /// not know it.
    pub fn whole_turn<'s>(
        &self,
        state: &'s State,
        id: &str,
    ) -> Result<Option<Cow<'s, Turn>>, JournalError> {
        let spans = state.spans(id);
        if spans.is_empty() || state.is_whole(id) {
            return Ok(state.turn(id).map(Cow::Borrowed));
        }
        let file = File::open(&self.path).map_err(|e| io_err(&self.path, e))?;
        let mut scratch = State::default();
        for &(start, end) in spans {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0; (end - start) as usize];
            file.read_exact_at(&mut buf, start)
                .map_err(|e| io_err(&self.path, e))?;
            let mut at = start;
            for line in buf.split_inclusive(|&b| b == b'\n') {
                let text = &line[..line.len() - usize::from(line.ends_with(b"\n"))];
                if let Ok(record) = read_line(text) {
                    scratch.apply_at(&record, Some((at, at + line.len() as u64)));
                }
                at += line.len() as u64;
            }
        }
        Ok(scratch.into_turn(id).map(Cow::Owned))
    }

    /// Folds `record` (the journal's line at `at`) into `state`, first
    /// reading whole the turn it needs, or the settled turns the state left
    /// out. False when those are no longer where the snapshot said (the
    /// caller folds afresh).
    fn take_in(
        &mut self,
        state: &mut State,
        record: &Record,
        at: Span,
    ) -> Result<bool, JournalError> {
        match state.needs(record) {
            Need::Nothing => {}
            Need::Whole(id) => {
                if let Some(t) = self.whole_turn(state, &id)?.map(Cow::into_owned) {
                    state.put_whole(t);
                }
            }
            Need::Settled => {
                let loaded = self
                    .covers
                    .as_ref()
                    .and_then(|c| snapshot::load_settled(&self.path, c, state));
                if loaded.is_none() {
                    return Ok(false);
                }
            }
        }
        state.apply_at(record, Some(at));
        Ok(true)
    }

    /// The records of turn `id`, read from its lines in the journal.
    pub fn turn_records(&self, state: &State, id: &str) -> Result<Vec<Record>, JournalError> {
        let file = File::open(&self.path).map_err(|e| io_err(&self.path, e))?;
        let mut records = Vec::new();
        for &(start, end) in state.spans(id) {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0; (end - start) as usize];
            file.read_exact_at(&mut buf, start)
                .map_err(|e| io_err(&self.path, e))?;
            records.extend(
                buf.split(|&b| b == b'\n')
                    .filter_map(|line| read_line(line).ok()),
            );
        }
        Ok(records)
    }

    /// A journal that does not exist yet, left uncreated: what a read-only
    /// command sees in a workspace where nothing has happened. Folding it
    /// finds nothing; appending to it creates it.
    pub fn unopened(path: &Path) -> Journal {
        Journal {
            path: path.to_path_buf(),
            offset: 0,
            covers: None,
            from_snapshot: false,
        }
    }

    /// Whether the fold on open started from a snapshot (else from the
    /// journal's first line).
    pub fn from_snapshot(&self) -> bool {
        self.from_snapshot
    }

    /// Moves the line carrying `seq` aside (to `journal.torn.<n>`) and
    /// blanks it in place, so no process acts on it again; for a line that
    /// parses but names what does not exist. Returns where it went, or
    /// `None` when no such line is left. The caller refolds from scratch.
    pub fn quarantine_seq(&mut self, seq: u64) -> Result<Option<PathBuf>, JournalError> {
        let file = open_rw(&self.path)?;
        file.lock().map_err(|e| io_err(&self.path, e))?;
        let mut buf = Vec::new();
        (&file)
            .read_to_end(&mut buf)
            .map_err(|e| io_err(&self.path, e))?;
        let mut at = 0u64;
        let mut found = None;
        for line in buf.split_inclusive(|&b| b == b'\n') {
            if line.last() == Some(&b'\n')
                && let Ok(r) = parse_line(&line[..line.len() - 1])
                && r.seq == seq
            {
                found = Some((at, line.len() - 1));
            }
            at += line.len() as u64;
        }
        let Some((offset, len)) = found else {
            return Ok(None);
        };
        // The snapshot folded the line; the caller folds afresh.
        snapshot::remove(&self.path);
        self.covers = None;
        let start = offset as usize;
        set_aside(&self.path, &buf[start..start + len + 1], offset, len).map(Some)
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The rows of the settled turns the snapshot this process started from
    /// (or last saved) counts, as `leash turns --json` lists them, with
    /// where to read a turn whose row depends on the day's sliders (see
    /// `snapshot`). `None` without a snapshot, or when it no longer holds.
    pub fn settled_rows(&self) -> Option<Vec<u8>> {
        snapshot::rows(&self.path, self.covers.as_ref()?)
    }

    /// The settled turn whose line is `len` bytes at `at` in the
    /// snapshot's settled file (a row of [`Journal::settled_rows`] says
    /// where).
    pub fn settled_turn_at(&self, at: u64, len: u64) -> Option<Turn> {
        snapshot::stored_at(&self.path, self.covers.as_ref()?, at, len).map(|s| s.turn)
    }

    /// Byte offset folded so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Folds whatever other processes appended since the last look.
    /// Never blocks on the lock: a half-written line is left for later.
    pub fn refresh(&mut self, state: &mut State) -> Result<usize, JournalError> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            // Not created yet (see `unopened`): nothing to fold.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && self.offset == 0 => {
                return Ok(0);
            }
            Err(e) => return Err(io_err(&self.path, e)),
        };
        self.fold(&file, state, false)
    }

    /// The compare-and-append primitive. Under the exclusive lock: fold what
    /// others appended, hand the fresh state to `decide`, and append the
    /// events it returns (durably) before the lock is released. An `Err`
    /// from `decide` appends nothing.
    pub fn transact<T, E>(
        &mut self,
        state: &mut State,
        decide: impl FnOnce(&State) -> Result<(Vec<Event>, T), E>,
    ) -> Result<T, E>
    where
        E: From<JournalError>,
    {
        if self.offset == 0
            && let Some(dir) = self.path.parent()
        {
            fs::create_dir_all(dir).map_err(|e| io_err(&self.path, e))?;
        }
        let file = open_rw(&self.path)?;
        file.lock().map_err(|e| io_err(&self.path, e))?;
        self.fold(&file, state, false)?;
        let (events, value) = decide(state)?;
        if !events.is_empty() {
            self.write_locked(&file, state, events)?;
            self.save_if_due(&file, state);
        }
        drop(file);
        Ok(value)
    }

    /// Appends events unconditionally (still under the lock, still folding
    /// first so that `seq` stays dense).
    pub fn append(&mut self, state: &mut State, events: Vec<Event>) -> Result<(), JournalError> {
        self.transact(state, |_| Ok::<_, JournalError>((events, ())))
    }

    fn write_locked(
        &mut self,
        mut file: &File,
        state: &mut State,
        events: Vec<Event>,
    ) -> Result<(), JournalError> {
        let ts = now();
        let mut buf = Vec::new();
        let mut records = Vec::with_capacity(events.len());
        for (i, event) in events.into_iter().enumerate() {
            let record = Record {
                v: VERSION,
                seq: state.last_seq + 1 + i as u64,
                ts: ts.clone(),
                event,
            };
            let start = buf.len();
            serde_json::to_writer(&mut buf, &record).map_err(|e| JournalError::Encode {
                path: self.path.clone(),
                source: e,
            })?;
            buf.push(b'\n');
            records.push((record, (buf.len() - start) as u64));
        }
        // One write of whole lines: with O_APPEND the lines land together at
        // the end, and only a crash can tear them.
        file.write_all(&buf).map_err(|e| io_err(&self.path, e))?;
        file.sync_data().map_err(|e| io_err(&self.path, e))?;
        let mut at = self.offset;
        for (record, len) in records {
            if !self.take_in(state, &record, (at, at + len))? {
                // The snapshot changed under this process: fold the journal
                // from its start, these lines included.
                *state = State::default();
                self.offset = 0;
                self.covers = None;
                self.fold(file, state, false)?;
                return Ok(());
            }
            at += len;
        }
        self.offset = at;
        Ok(())
    }

    /// Folds the whole lines after `offset`. With `quarantine` (on open,
    /// under the lock) a damaged line — not JSON, a malformed event, ids
    /// outside leash's grammar — is moved aside and blanked in place, so it
    /// is reported once and the lines after it are kept; without, it is
    /// skipped with a warning. Blank lines keep every offset valid for
    /// readers that are already past them.
    fn fold(
        &mut self,
        mut file: &File,
        state: &mut State,
        quarantine: bool,
    ) -> Result<usize, JournalError> {
        let len = file.metadata().map_err(|e| io_err(&self.path, e))?.len();
        if len < self.offset {
            // Only repair truncates, and only a torn tail we never folded.
            self.offset = len;
        }
        if len == self.offset {
            return Ok(0);
        }
        file.seek(SeekFrom::Start(self.offset))
            .map_err(|e| io_err(&self.path, e))?;
        let mut buf = Vec::with_capacity((len - self.offset) as usize);
        file.take(len - self.offset)
            .read_to_end(&mut buf)
            .map_err(|e| io_err(&self.path, e))?;
        let whole = match buf.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => return Ok(0),
        };
        let mut count = 0;
        let mut at = self.offset;
        for line in buf[..whole].split_inclusive(|&b| b == b'\n') {
            let text = &line[..line.len() - 1];
            if !text.iter().all(u8::is_ascii_whitespace) {
                match read_line(text) {
                    Ok(record) => {
                        if !self.take_in(state, &record, (at, at + line.len() as u64))? {
                            // The snapshot changed under this process: fold
                            // the journal from its start.
                            *state = State::default();
                            self.offset = 0;
                            self.covers = None;
                            return self.fold(file, state, quarantine);
                        }
                        count += 1;
                    }
                    Err(LineError::Damaged(message)) if quarantine => {
                        let aside = set_aside(&self.path, line, at, text.len())?;
                        state.warnings.push(format!(
                            "{}: byte {at}: {message}; the line was moved to {} and is not acted on",
                            self.path.display(),
                            aside.display()
                        ));
                    }
                    Err(LineError::Damaged(message) | LineError::Unknown(message)) => {
                        state.warnings.push(format!(
                            "{}: byte {at}: {message}; line skipped",
                            self.path.display()
                        ))
                    }
                }
            }
            at += line.len() as u64;
        }
        self.offset += whole as u64;
        Ok(count)
    }
}

/// Why a line could not be used.
enum LineError {
    /// A kind this binary does not know (from a newer leash): skipped, kept.
    Unknown(String),
    /// Not a usable event: quarantined on open.
    Damaged(String),
}

/// Parses one journal line, telling an unknown kind (from a newer leash)
/// apart from a damaged line. A line whose ids do not follow leash's
/// grammar is damaged (see [`Event::check_ids`]).
pub fn parse_line(text: &[u8]) -> Result<Record, String> {
    read_line(text).map_err(|(LineError::Unknown(m) | LineError::Damaged(m))| m)
}

fn read_line(text: &[u8]) -> Result<Record, LineError> {
    // The common case in one pass; the slower look is only for a line that
    // does not parse, to say why.
    let record = match serde_json::from_slice::<Record>(text) {
        Ok(record) => record,
        Err(_) => parse_slowly(text)?,
    };
    record
        .event
        .check_ids()
        .map_err(|e| LineError::Damaged(format!("`{}` event: {e}", record.event.kind())))?;
    Ok(record)
}

fn parse_slowly(text: &[u8]) -> Result<Record, LineError> {
    let value: serde_json::Value = serde_json::from_slice(text)
        .map_err(|e| LineError::Damaged(format!("not a JSON object ({e})")))?;
    let kind = value
        .get("kind")
        .and_then(|k| k.as_str())
        .ok_or_else(|| LineError::Damaged("event has no \"kind\"".into()))?
        .to_string();
    if !KNOWN_KINDS.contains(&kind.as_str()) {
        return Err(LineError::Unknown(format!(
            "unknown event kind `{kind}` (written by a newer leash?)"
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| LineError::Damaged(format!("malformed `{kind}` event: {e}")))
}

/// The next free `journal.torn.<n>` beside the journal.
fn torn_path(path: &Path) -> PathBuf {
    let dir = path.parent().expect("journal path has a parent");
    let mut n = 1;
    loop {
        let candidate = dir.join(format!("journal.torn.{n}"));
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

/// Copies `bytes` (a damaged line) to the next `journal.torn.<n>`, durably,
/// then overwrites the `len` bytes at `offset` of the journal with spaces:
/// the line is gone for every reader, every other byte stays where it was.
/// Caller holds the journal lock.
fn set_aside(path: &Path, bytes: &[u8], offset: u64, len: usize) -> Result<PathBuf, JournalError> {
    use std::os::unix::fs::FileExt;
    let aside = torn_path(path);
    let mut out = File::create(&aside).map_err(|e| io_err(&aside, e))?;
    out.write_all(bytes)
        .and_then(|_| out.sync_all())
        .map_err(|e| io_err(&aside, e))?;
    // Not O_APPEND: the blanks must land where the line was.
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    file.write_all_at(&vec![b' '; len], offset)
        .and_then(|_| file.sync_data())
        .map_err(|e| io_err(path, e))?;
    Ok(aside)
}

/// Moves a torn last line (no trailing newline, or not JSON) aside and
/// truncates the file to the last whole line. Caller holds the lock.
fn repair(mut file: &File, path: &Path) -> Result<Option<PathBuf>, JournalError> {
    let len = file.metadata().map_err(|e| io_err(path, e))?.len();
    if len == 0 {
        return Ok(None);
    }
    // The tail is read in growing windows until a newline before the last
    // line is found, so a long journal costs one small read.
    let mut window = 8 * 1024u64;
    let (start, tail) = loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))
            .map_err(|e| io_err(path, e))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).map_err(|e| io_err(path, e))?;
        let body = &tail[..tail.len() - usize::from(tail.last() == Some(&b'\n'))];
        if start == 0 || body.contains(&b'\n') {
            break (start, tail);
        }
        window *= 4;
    };
    let ends_whole = tail.last() == Some(&b'\n');
    let body = &tail[..tail.len() - usize::from(ends_whole)];
    let line_start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let last = &body[line_start..];
    let torn = !ends_whole || serde_json::from_slice::<serde_json::Value>(last).is_err();
    if !torn {
        return Ok(None);
    }
    let keep = start + line_start as u64;
    let aside = torn_path(path);
    let mut out = File::create(&aside).map_err(|e| io_err(&aside, e))?;
    out.write_all(&tail[line_start..])
        .and_then(|_| out.sync_all())
        .map_err(|e| io_err(&aside, e))?;
    file.set_len(keep).map_err(|e| io_err(path, e))?;
    file.sync_all().map_err(|e| io_err(path, e))?;
    Ok(Some(aside))
}

fn open_rw(path: &Path) -> Result<File, JournalError> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| io_err(path, e))
}

fn io_err(path: &Path, source: std::io::Error) -> JournalError {
    JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub use crate::model::parse_ts;

// The age labels people read moved to `words`; these names stay for
// callers not yet changed.
pub use crate::words::{age, ages_moved, record_ages};

/// Now, as the journal writes time stamps.
pub fn now() -> String {
    crate::model::now()
}

/// Reads every usable record of a journal without locking or repairing it,
/// for display; returns the records and warnings about skipped lines.
pub fn read_all(path: &Path) -> (Vec<Record>, Vec<String>) {
    let mut warnings = Vec::new();
    let records = read_lines(path, 0, &mut warnings).0;
    (records, warnings)
}

/// Reads the whole lines after byte `offset`; returns them and the offset
/// to continue from (a half-written last line is left for the next call).
/// Damaged lines are skipped here; `leash` reports them when it opens.
pub fn read_from(path: &Path, offset: u64) -> (Vec<Record>, u64) {
    read_lines(path, offset, &mut Vec::new())
}

fn read_lines(path: &Path, offset: u64, warnings: &mut Vec<String>) -> (Vec<Record>, u64) {
    let Ok(mut file) = File::open(path) else {
        return (Vec::new(), offset);
    };
    if file.seek(SeekFrom::Start(offset)).is_err() {
        return (Vec::new(), offset);
    }
    let mut buf = Vec::new();
    if file.read_to_end(&mut buf).is_err() {
        return (Vec::new(), offset);
    }
    let whole = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut records = Vec::new();
    for line in buf[..whole].split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(line) {
            Ok(r) => records.push(r),
            Err(e) => warnings.push(e),
        }
    }
    (records, offset + whole as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AutonomyLevel, DecidedBy, RiskClass};

    fn set(level: AutonomyLevel) -> Event {
        Event::AutonomySet {
            class: Some(RiskClass::Low),
            task: None,
            level,
            by: DecidedBy::Operator,
        }
    }

    #[test]
    fn lines_carry_the_envelope_and_fold_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut state = State::default();
        let (mut j, torn) = Journal::open(&path, &mut state, true).unwrap();
        assert!(torn.is_none());
        j.append(
            &mut state,
            vec![set(AutonomyLevel::Auto), set(AutonomyLevel::Review)],
        )
        .unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["v"], 1);
        assert_eq!(first["seq"], 1);
        assert_eq!(first["kind"], "autonomy_set");
        assert!(first["ts"].as_str().unwrap().ends_with('Z'));
        let mut again = State::default();
        Journal::open(&path, &mut again, true).unwrap();
        assert_eq!(again.last_seq, 2);
        assert_eq!(again.autonomy[&RiskClass::Low], AutonomyLevel::Review);
    }

    #[test]
    fn refresh_folds_what_another_handle_appended_and_leaves_half_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let (mut s1, mut s2) = (State::default(), State::default());
        let (mut j1, _) = Journal::open(&path, &mut s1, true).unwrap();
        let (mut j2, _) = Journal::open(&path, &mut s2, true).unwrap();
        j1.append(&mut s1, vec![set(AutonomyLevel::Auto)]).unwrap();
        assert_eq!(j2.refresh(&mut s2).unwrap(), 1);
        assert_eq!(s2.autonomy[&RiskClass::Low], AutonomyLevel::Auto);
        // A line still being written is not folded until it is whole.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"v\":1,\"seq\":2,").unwrap();
        let at = j2.offset();
        assert_eq!(j2.refresh(&mut s2).unwrap(), 0);
        assert_eq!(j2.offset(), at);
        f.write_all(b"\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"autonomy_set\",\"class\":\"low\",\"level\":\"manual\",\"by\":\"operator\"}\n").unwrap();
        assert_eq!(j2.refresh(&mut s2).unwrap(), 1);
        assert_eq!(s2.autonomy[&RiskClass::Low], AutonomyLevel::Manual);
        // The next append numbers after what the other process wrote.
        j1.append(&mut s1, vec![set(AutonomyLevel::Guarded)])
            .unwrap();
        assert_eq!(s1.last_seq, 3);
    }

    #[test]
    fn transact_sees_fresh_state_and_an_error_appends_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let (mut s1, mut s2) = (State::default(), State::default());
        let (mut j1, _) = Journal::open(&path, &mut s1, true).unwrap();
        let (mut j2, _) = Journal::open(&path, &mut s2, true).unwrap();
        j1.append(&mut s1, vec![set(AutonomyLevel::Auto)]).unwrap();
        let seen = j2
            .transact(&mut s2, |s| {
                Ok::<_, JournalError>((vec![], s.autonomy.get(&RiskClass::Low).copied()))
            })
            .unwrap();
        assert_eq!(
            seen,
            Some(AutonomyLevel::Auto),
            "decided on the freshest state"
        );
        let len = fs::metadata(&path).unwrap().len();
        let r: Result<(), String> = j2.transact(&mut s2, |_| Err("refused".to_string()));
        assert!(r.is_err());
        assert_eq!(fs::metadata(&path).unwrap().len(), len);
    }

    impl From<JournalError> for String {
        fn from(e: JournalError) -> String {
            e.to_string()
        }
    }

    #[test]
    fn repair_moves_only_the_torn_tail_and_numbers_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut s = State::default();
        let (mut j, _) = Journal::open(&path, &mut s, true).unwrap();
        j.append(&mut s, vec![set(AutonomyLevel::Auto)]).unwrap();
        let whole = fs::read(&path).unwrap();
        for (n, tail) in [(1, &b"{\"v\":1,"[..]), (2, &b"garbage\n"[..])] {
            let mut bytes = whole.clone();
            bytes.extend_from_slice(tail);
            fs::write(&path, &bytes).unwrap();
            let mut s = State::default();
            let (_, torn) = Journal::open(&path, &mut s, true).unwrap();
            let torn = torn.unwrap();
            assert_eq!(torn, dir.path().join(format!("journal.torn.{n}")));
            assert_eq!(fs::read(&torn).unwrap(), tail);
            assert_eq!(fs::read(&path).unwrap(), whole);
            assert_eq!(s.last_seq, 1);
        }
        // A journal that is one torn line and nothing else becomes empty.
        fs::write(&path, b"{\"v\"").unwrap();
        let (_, torn) = Journal::open(&path, &mut State::default(), true).unwrap();
        assert!(torn.is_some());
        assert_eq!(fs::metadata(&path).unwrap().len(), 0);
    }

    #[test]
    fn a_damaged_line_mid_file_is_moved_aside_blanked_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut s = State::default();
        let (mut j, _) = Journal::open(&path, &mut s, true).unwrap();
        j.append(&mut s, vec![set(AutonomyLevel::Auto)]).unwrap();
        let first = fs::read_to_string(&path).unwrap();
        let bad = "{\"v\":1,\"seq\":2,\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"turn_interrupted\",\"turn\":\"../../x\"}\n";
        let after = first
            .replace("\"seq\":1", "\"seq\":3")
            .replace("\"level\":\"auto\"", "\"level\":\"manual\"");
        fs::write(&path, format!("{first}{bad}{after}")).unwrap();
        let len = fs::metadata(&path).unwrap().len();

        let mut s = State::default();
        let (_, torn) = Journal::open(&path, &mut s, true).unwrap();
        assert!(torn.is_none(), "the last line is whole");
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(s.warnings[0].contains("../../x"), "{}", s.warnings[0]);
        assert!(
            s.warnings[0].contains("journal.torn.1"),
            "{}",
            s.warnings[0]
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("journal.torn.1")).unwrap(),
            bad
        );
        assert_eq!(
            s.autonomy[&RiskClass::Low],
            AutonomyLevel::Manual,
            "kept after it"
        );
        assert_eq!(fs::metadata(&path).unwrap().len(), len, "offsets unchanged");

        // Reported once: the next open finds a blank line.
        let mut again = State::default();
        Journal::open(&path, &mut again, true).unwrap();
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
        assert_eq!(again.autonomy[&RiskClass::Low], AutonomyLevel::Manual);
        // An unknown kind from a newer leash stays where it is.
        let newer = "{\"v\":2,\"seq\":4,\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"hologram\"}\n";
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(newer.as_bytes()).unwrap();
        let mut third = State::default();
        Journal::open(&path, &mut third, true).unwrap();
        assert_eq!(third.warnings.len(), 1);
        assert!(fs::read_to_string(&path).unwrap().ends_with(newer));
    }

    #[test]
    fn quarantine_seq_moves_one_line_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut s = State::default();
        let (mut j, _) = Journal::open(&path, &mut s, true).unwrap();
        j.append(
            &mut s,
            vec![set(AutonomyLevel::Auto), set(AutonomyLevel::Manual)],
        )
        .unwrap();
        let second = fs::read_to_string(&path)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .to_string();
        let aside = j.quarantine_seq(2).unwrap().unwrap();
        assert_eq!(fs::read_to_string(aside).unwrap(), format!("{second}\n"));
        let mut again = State::default();
        Journal::open(&path, &mut again, true).unwrap();
        assert_eq!(again.autonomy[&RiskClass::Low], AutonomyLevel::Auto);
        assert!(j.quarantine_seq(2).unwrap().is_none());
    }

    #[test]
    fn a_frame_knows_the_age_labels_it_drew_and_when_they_move() {
        let ts = (chrono::Utc::now() - chrono::Duration::seconds(630))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (label, seen) = record_ages(|| age(&ts));
        assert_eq!(label, "10m");
        assert_eq!(seen, vec![(ts.clone(), "10m".to_string())]);
        // Outside a recording nothing is kept.
        assert_eq!(age(&ts), "10m");
        assert!(record_ages(|| ()).1.is_empty());
        assert!(!ages_moved(&seen), "10m30s reads 10m for half a minute");
        assert!(ages_moved(&[(ts, "9m".to_string())]));
    }
}
