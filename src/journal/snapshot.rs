//! The fold snapshot: the folded state saved beside the journal, so that a
//! process folds only the lines appended since instead of all history.
//!
//! `.git/leash/snapshot/` holds two files:
//! - `live.json`: what it covers ([`Covers`]), the workspace-wide state
//!   (sliders, sessions, checks, the highest turn number) and the
//!   turns not yet settled — small, rewritten whole (a temporary file renamed
//!   over it). The hook gate reads only this.
//! - `settled.jsonl`: one line per settled turn, appended as turns settle; a
//!   later line for the same turn replaces an earlier one. Only its first
//!   `settled_len` bytes count, so an append cut short by a crash is
//!   ignored (and cut off by the next save).
//!
//! - `rows.jsonl`: beside each line of `settled.jsonl`, the turn's row as
//!   `leash turns --json` lists it (`<first byte> <turn> <row>`), so that
//!   the list of a long history is copied rather than parsed and written
//!   anew. A turn with no autonomy of its own has a row that depends on
//!   the sliders of the day: its line says where its settled line is
//!   instead (`@<offset>+<length>`). Counted like `settled.jsonl`.
//!
//! Turns are stored in brief (see `state::brief`): their outcome, their
//! actions not yet done, and where their events are in the journal.
//!
//! Warnings about lines that could not be used are not kept: they are told
//! by the fold that reads those lines.
//!
//! A snapshot is a cache, never the truth: it is used only when it was made
//! by this very fold (the same leash version and fold code), when the
//! journal still holds, byte for byte, the first and the last 4 KiB of the
//! part it covers, and when `settled.jsonl` holds the bytes it counts. Any
//! doubt — and any damage — and the journal is folded from its start, as if
//! there were no snapshot. (Hashing the whole covered prefix on every open
//! would cost what the snapshot saves; the journal is append-only, and the
//! one thing that rewrites a covered line, quarantining it, removes the
//! snapshot.)

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::{AutonomyLevel, RiskClass};
use crate::state::{LastCheck, Pipeline, Session, Span, State, Stored, Turn};

/// How many bytes at each end of the covered journal must match.
const WINDOW: u64 = 4096;

/// A snapshot is saved once this many events were folded since the last
/// one (`LEASH_SNAPSHOT_EVERY` sets another number; 0 never saves).
const EVERY: u64 = 40;

/// What a snapshot covers, and how to tell that it still matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Covers {
    /// The fold that made it: leash's version and its fold code.
    fold: String,
    /// The journal up to this byte offset (a line boundary)…
    pub offset: u64,
    /// …whose last event has this sequence number.
    pub seq: u64,
    /// Hashes of the journal's first and last `WINDOW` bytes before `offset`.
    head: String,
    tail: String,
    /// `settled.jsonl` up to this byte, and the hash of its last `WINDOW`.
    settled_len: u64,
    settled_tail: String,
    /// How many lines those bytes hold (room is made for them at once).
    settled_lines: u64,
    /// `rows.jsonl` likewise.
    rows_len: u64,
    rows_tail: String,
}

/// `live.json` as written (borrowing the state).
#[derive(Serialize)]
struct LiveOut<'a> {
    covers: &'a Covers,
    last_seq: u64,
    max_turn: u64,
    autonomy: &'a BTreeMap<RiskClass, AutonomyLevel>,
    task_autonomy: &'a BTreeMap<String, AutonomyLevel>,
    sessions: &'a BTreeMap<String, Session>,
    last_check: &'a Option<LastCheck>,
    head_check: &'a Option<LastCheck>,
    pipelines: &'a [Pipeline],
    turns: Vec<StoredOut<'a>>,
}

/// `live.json` as read.
#[derive(Deserialize)]
struct LiveIn {
    covers: Covers,
    last_seq: u64,
    max_turn: u64,
    autonomy: BTreeMap<RiskClass, AutonomyLevel>,
    task_autonomy: BTreeMap<String, AutonomyLevel>,
    sessions: BTreeMap<String, Session>,
    last_check: Option<LastCheck>,
    head_check: Option<LastCheck>,
    #[serde(default)]
    pipelines: Vec<Pipeline>,
    turns: Vec<Stored>,
}

/// A turn in brief as written: its fields that say nothing (null, an
/// empty list) are left out — the turn reads back the same, and a long
/// history parses faster.
struct StoredOut<'a> {
    turn: &'a Turn,
    spans: &'a [Span],
}

impl Serialize for StoredOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let mut turn = serde_json::to_value(self.turn).map_err(S::Error::custom)?;
        if let Some(fields) = turn.as_object_mut() {
            // `command` is an `Option` of a list: an empty one is not none.
            fields.retain(|k, v| {
                !(v.is_null() || (k != "command" && v.as_array().is_some_and(Vec::is_empty)))
            });
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("turn", &turn)?;
        m.serialize_entry("spans", self.spans)?;
        m.end()
    }
}

/// Where the snapshot of the journal at `journal` lives.
pub fn dir(journal: &Path) -> PathBuf {
    journal
        .parent()
        .expect("journal path has a parent")
        .join("snapshot")
}

fn every() -> u64 {
    static EVERY_SET: OnceLock<u64> = OnceLock::new();
    *EVERY_SET.get_or_init(|| {
        std::env::var("LEASH_SNAPSHOT_EVERY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(EVERY)
    })
}

/// Whether a snapshot is due, `folded` events and `grown` bytes after the
/// last one.
pub fn due(folded: u64) -> bool {
    let every = every();
    every > 0 && folded >= every
}

/// The identity of this fold: a snapshot made by any other code is not
/// trusted to mean the same.
fn fold_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| format!("{}-{FOLD_HASH:016x}", env!("CARGO_PKG_VERSION")))
}

/// A hash of the code that folds (computed when leash is built, not in
/// every process that opens the journal).
const FOLD_HASH: u64 = {
    let sources: [&[u8]; 18] = [
        env!("CARGO_PKG_VERSION").as_bytes(),
        include_bytes!("../state/mod.rs"),
        include_bytes!("../state/brief.rs"),
        include_bytes!("../state/row.rs"),
        include_bytes!("../state/checks.rs"),
        include_bytes!("../state/confinement.rs"),
        include_bytes!("../sanitize.rs"),
        include_bytes!("../state/denials.rs"),
        include_bytes!("../state/queries.rs"),
        include_bytes!("../state/pipelines.rs"),
        include_bytes!("../state/spend.rs"),
        include_bytes!("../event.rs"),
        // Events' readable lines are folded into each turn's log.
        include_bytes!("../event/describe.rs"),
        include_bytes!("../invariants/mod.rs"),
        include_bytes!("../model.rs"),
        include_bytes!("../model/pass.rs"),
        include_bytes!("mod.rs"),
        include_bytes!("snapshot.rs"),
    ];
    crate::code_id::hash(&sources)
};

/// A fingerprint of a window of bytes: FNV-1a, 64 bits, over 8-byte words
/// then the rest. The snapshot guards against a journal that changed
/// under it by accident (a restore, a truncation, another clone's file), not
/// against a forger — whoever can write the journal can write the snapshot
/// — so a fast hash serves; a SHA-1 of three windows cost a hook more than
/// folding its tail.
fn hash(bytes: &[u8]) -> String {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        h ^= u64::from_le_bytes(w.try_into().expect("8 bytes"));
        h = h.wrapping_mul(PRIME);
        h ^= h >> 29;
    }
    for &b in words.remainder() {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    }
    h ^= bytes.len() as u64;
    format!("{:016x}", h.wrapping_mul(PRIME))
}

/// The hashes of `file`'s first and last `WINDOW` bytes before `end`.
fn windows(file: &File, end: u64) -> Option<(String, String)> {
    let read = |from: u64| -> Option<Vec<u8>> {
        let mut buf = vec![0; (end - from).min(WINDOW) as usize];
        file.read_exact_at(&mut buf, from).ok()?;
        Some(buf)
    };
    let head = read(0)?;
    let tail = read(end.saturating_sub(WINDOW))?;
    Some((hash(&head), hash(&tail)))
}

/// Reads the snapshot of the journal `path` (open as `file`) into a fresh
/// state: with `settled`, every turn; without, only the live ones (the
/// state says the rest are left out). `None` when there is none or it does
/// not match.
pub fn load(path: &Path, file: &File, settled: bool) -> Option<(State, Covers)> {
    let dir = dir(path);
    let bytes = fs::read(dir.join("live.json")).ok()?;
    let live: LiveIn = serde_json::from_slice(&bytes).ok()?;
    let covers = live.covers;
    if covers.fold != fold_id() {
        return None;
    }
    let len = file.metadata().ok()?.len();
    if len < covers.offset
        || windows(file, covers.offset)? != (covers.head.clone(), covers.tail.clone())
    {
        return None;
    }
    let mut state = State::default();
    state.last_seq = live.last_seq;
    state.max_turn = live.max_turn;
    state.autonomy = live.autonomy;
    state.task_autonomy = live.task_autonomy;
    state.sessions = live.sessions;
    state.last_check = live.last_check;
    state.head_check = live.head_check;
    state.pipelines = live.pipelines;
    if settled {
        // Into the empty state first: the settled turns, read in order,
        // become its list as they are.
        load_settled(path, &covers, &mut state)?;
    } else {
        state.settled_left_out = true;
    }
    // Live turns are newer than anything the settled file says of them.
    state.put_newer(live.turns);
    Some((state, covers))
}

/// Adds the settled turns `covers` counts to `state`. `None` when the file
/// no longer holds them.
pub fn load_settled(path: &Path, covers: &Covers, state: &mut State) -> Option<()> {
    let file = File::open(dir(path).join("settled.jsonl")).ok()?;
    if !holds(&file, covers.settled_len, &covers.settled_tail) {
        return None;
    }
    let Parsed {
        mut turns,
        mut spans,
    } = parse_lines(&file, covers.settled_len, covers.settled_lines)?;
    // A later line for a turn replaces an earlier one.
    let mut seen = std::collections::HashSet::with_capacity(turns.len());
    let mut keep: Vec<bool> = turns
        .iter()
        .rev()
        .map(|t| seen.insert(t.id.as_str()))
        .collect();
    drop(seen);
    if keep.iter().any(|k| !k) {
        keep.reverse();
        let mut by_turn = keep.iter();
        turns.retain(|_| *by_turn.next().unwrap_or(&false));
        let mut by_spans = keep.iter();
        spans.retain(|_| *by_spans.next().unwrap_or(&false));
    }
    state.add_settled(turns, spans);
    state.settled_left_out = false;
    Some(())
}

/// Settled turns as parsed, and the spans of each: apart, so that the
/// turns become the state's list without being moved again (a turn is a
/// big value, and a long history holds thousands).
struct Parsed {
    turns: Vec<Turn>,
    spans: Vec<Vec<Span>>,
}

/// Parses the settled file's first `len` bytes, a line at a time, read in
/// pieces (a long history is thousands of turns: the file is never held
/// whole), on two threads when it is long.
/// `lines` is how many the file holds: each part makes room for all of
/// them at once (room never touched costs no memory), so no list grows by
/// copying its turns.
fn parse_lines(file: &File, len: u64, lines: u64) -> Option<Parsed> {
    let room = usize::try_from(lines).unwrap_or(0).min(1 << 24);
    let parse = |from: u64, to: u64| -> Option<Parsed> {
        use std::io::BufRead;
        let mut reader = std::io::BufReader::with_capacity(1 << 18, Range { file, at: from, to });
        let mut line = Vec::new();
        let mut out = Parsed {
            turns: Vec::with_capacity(room),
            spans: Vec::with_capacity(room),
        };
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).ok()? == 0 {
                return Some(out);
            }
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            if !text.is_empty() {
                // Checked as UTF-8 once, then read as text: serde_json
                // checks each string of a byte slice on its own, which cost
                // a sixth of the parse.
                let text = std::str::from_utf8(text).ok()?;
                let stored: Stored = serde_json::from_str(text).ok()?;
                out.turns.push(stored.turn);
                out.spans.push(stored.spans);
            }
        }
    };
    let cut = match line_after(file, len / 2, len) {
        Some(cut) if len > 1 << 20 => cut,
        _ => return parse(0, len),
    };
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| parse(cut, len));
        (parse(0, cut), other.join().ok().flatten())
    });
    let (mut a, b) = (a?, b?);
    a.turns.extend(b.turns);
    a.spans.extend(b.spans);
    Some(a)
}

/// The offset of the first line that starts after `from` (before `len`).
fn line_after(file: &File, from: u64, len: u64) -> Option<u64> {
    let mut buf = vec![0; 1 << 16];
    let mut at = from;
    while at < len {
        let n = file.read_at(&mut buf, at).ok()?.min((len - at) as usize);
        if n == 0 {
            return None;
        }
        if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
            return Some(at + i as u64 + 1).filter(|&c| c < len);
        }
        at += n as u64;
    }
    None
}

/// Bytes `at..to` of a file, read with `pread` (threads share the file).
struct Range<'a> {
    file: &'a File,
    at: u64,
    to: u64,
}

impl std::io::Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf.len().min(self.to.saturating_sub(self.at) as usize);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        if n == 0 {
            // Cut short since its length was checked: not what was counted.
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// Whether `file` still holds the `len` bytes whose last `WINDOW` hash to
/// `tail` (a file the snapshot counts, appended to since or not).
fn holds(file: &File, len: u64, tail: &str) -> bool {
    file.metadata().is_ok_and(|m| m.len() >= len) && tail_hash(file, len).as_deref() == Some(tail)
}

/// The hash of `file`'s last `WINDOW` bytes before `end`.
fn tail_hash(file: &File, end: u64) -> Option<String> {
    let from = end.saturating_sub(WINDOW);
    let mut buf = vec![0; (end - from) as usize];
    file.read_exact_at(&mut buf, from).ok()?;
    Some(hash(&buf))
}

/// Saves `state`, folded from the journal `path` (open as `file`, locked)
/// up to `offset`. The settled turns that changed are appended to
/// `settled.jsonl` after the part the snapshot on disk counts (all of them,
/// into a new file, when there is no usable one); the live ones and the
/// rest of the state replace `live.json`. A state that left settled turns
/// out saves only onto a usable settled file.
pub fn save(path: &Path, file: &File, state: &mut State, offset: u64) -> std::io::Result<Covers> {
    let dir = dir(path);
    fs::create_dir_all(&dir)?;
    let (head, tail) = windows(file, offset).ok_or_else(|| other("cannot read the journal"))?;
    let on_disk = fs::read(dir.join("live.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<LiveIn>(&b).ok())
        .map(|l| l.covers)
        .filter(|c| c.fold == fold_id());
    let open = |name: &str| {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(dir.join(name))
    };
    let settled = open("settled.jsonl")?;
    let rows_file = open("rows.jsonl")?;
    let usable = on_disk.filter(|c| {
        holds(&settled, c.settled_len, &c.settled_tail)
            && holds(&rows_file, c.rows_len, &c.rows_tail)
    });
    let (start, rows_start, lines_before, only_changed) = match &usable {
        Some(c) => (c.settled_len, c.rows_len, c.settled_lines, true),
        None if state.settled_left_out => {
            return Err(other(
                "no usable settled file, and the settled turns are not loaded",
            ));
        }
        None => (0, 0, 0, false),
    };
    settled.set_len(start)?;
    rows_file.set_len(rows_start)?;
    let mut lines = Vec::new();
    let mut count = 0;
    let mut rows = Vec::new();
    let mut live_turns = Vec::new();
    state.each_in_brief(|t, spans, dirty| {
        if !t.is_settled() {
            // Serialized now: the borrow ends with the call.
            live_turns.push(serde_json::to_vec(&StoredOut { turn: t, spans }));
            return false;
        }
        if only_changed && !dirty {
            return false;
        }
        let at = start + lines.len() as u64;
        if serde_json::to_writer(&mut lines, &StoredOut { turn: t, spans }).is_ok() {
            let len = start + lines.len() as u64 - at;
            lines.push(b'\n');
            count += 1;
            row_line(&mut rows, t, spans, at, len);
        }
        true
    });
    settled.write_all_at(&lines, start)?;
    rows_file.write_all_at(&rows, rows_start)?;
    let settled_len = start + lines.len() as u64;
    let rows_len = rows_start + rows.len() as u64;
    let covers = Covers {
        fold: fold_id().to_string(),
        offset,
        seq: state.last_seq,
        head,
        tail,
        settled_len,
        settled_tail: tail_hash(&settled, settled_len)
            .ok_or_else(|| other("cannot read settled.jsonl"))?,
        settled_lines: lines_before + count,
        rows_len,
        rows_tail: tail_hash(&rows_file, rows_len)
            .ok_or_else(|| other("cannot read rows.jsonl"))?,
    };
    let mut out = Vec::new();
    write_live(&mut out, &covers, state, &live_turns)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    tmp.write_all(&out)?;
    tmp.persist(dir.join("live.json")).map_err(|e| e.error)?;
    Ok(covers)
}

/// Appends the line of `rows.jsonl` for the settled turn `t`, whose line in
/// `settled.jsonl` is `len` bytes at `at`.
fn row_line(out: &mut Vec<u8>, t: &Turn, spans: &[Span], at: u64, len: u64) {
    let (first, _) = crate::state::order_key(spans, &t.id);
    out.extend_from_slice(format!("{first} {} ", t.id).as_bytes());
    let row = t
        .autonomy
        .and_then(|level| serde_json::to_string(&crate::state::TurnRow::at(t, level)).ok());
    match row {
        Some(row) => out.extend_from_slice(crate::sanitize::escape_json(row).as_bytes()),
        None => out.extend_from_slice(format!("@{at}+{len}").as_bytes()),
    }
    out.push(b'\n');
}

/// A settled turn's line of `rows.jsonl`, as [`parse_rows`] reads it.
pub struct RowEntry<'a> {
    pub key: crate::state::OrderKey,
    pub id: &'a str,
    pub row: RowText<'a>,
}

/// The row itself, or where the turn's settled line is (its row follows
/// the day's sliders: see [`Journal::settled_turn_at`](super::Journal::settled_turn_at)).
pub enum RowText<'a> {
    Ready(&'a [u8]),
    At { at: u64, len: u64 },
}

/// The lines of `rows` (what [`rows`] read) as [`row_line`] writes them:
/// the last one of each turn (a later line replaces an earlier one), in
/// journal order. `None` when a line is not one it writes.
pub fn parse_rows(rows: &[u8]) -> Option<Vec<RowEntry<'_>>> {
    use std::collections::hash_map::{Entry, HashMap};
    // Rows are a kilobyte and more: room enough without counting them.
    let lines = rows.len() / 1024 + 16;
    let mut entries: Vec<RowEntry> = Vec::with_capacity(lines);
    let mut seen: HashMap<&str, usize, std::hash::BuildHasherDefault<IdHasher>> =
        HashMap::with_capacity_and_hasher(lines, Default::default());
    // Lines found with memchr: a byte-at-a-time split was nine tenths of
    // a listing of a million events.
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', rows).chain(std::iter::once(rows.len()));
    let lines = ends.map(|end| {
        let line = &rows[start..end];
        start = end + 1;
        line
    });
    for line in lines.filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(3, |&b| b == b' ');
        let first: u64 = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
        let id = std::str::from_utf8(parts.next()?).ok()?;
        crate::model::turn_number(id)?;
        let text = parts.next()?;
        let row = match text.strip_prefix(b"@") {
            None => RowText::Ready(text),
            Some(at) => {
                let (at, len) = std::str::from_utf8(at).ok()?.split_once('+')?;
                RowText::At {
                    at: at.parse().ok()?,
                    len: len.parse().ok()?,
                }
            }
        };
        let entry = RowEntry {
            key: crate::state::order_key_at(Some(first), id),
            id,
            row,
        };
        match seen.entry(id) {
            Entry::Occupied(i) => entries[*i.get()] = entry,
            Entry::Vacant(v) => {
                v.insert(entries.len());
                entries.push(entry);
            }
        }
    }
    entries.sort_by_key(|e| e.key);
    Some(entries)
}

/// FNV-1a for the short turn ids of [`parse_rows`]'s map: SipHash, which
/// guards against crafted keys, cost a listing more than reading the rows,
/// and the ids are leash's own.
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The rows of the settled turns `covers` counts (see the module's
/// documentation); `None` when the file no longer holds them.
pub fn rows(path: &Path, covers: &Covers) -> Option<Vec<u8>> {
    let file = File::open(dir(path).join("rows.jsonl")).ok()?;
    if file.metadata().ok()?.len() < covers.rows_len {
        return None;
    }
    let len = usize::try_from(covers.rows_len).ok()?;
    let mut buf = Vec::with_capacity(len);
    huge_pages(&mut buf);
    std::io::Read::read_to_end(&mut std::io::Read::take(&file, covers.rows_len), &mut buf).ok()?;
    if buf.len() != len {
        return None;
    }
    let from = buf.len().saturating_sub(WINDOW as usize);
    (hash(&buf[from..]) == covers.rows_tail).then_some(buf)
}

/// Asks the kernel to back `buf`'s room with huge pages where it can: the
/// rows of a million events are 24 MB, and faulting them in 4 KiB pages
/// took most of a listing's time (two thirds of `turns --json` at 1M was
/// page faults on the buffer the rows were read into). Only a hint: the
/// contents are the same either way.
fn huge_pages(buf: &mut Vec<u8>) {
    const PAGE: usize = 4096;
    let start = buf.as_mut_ptr() as usize;
    let from = start.next_multiple_of(PAGE);
    let to = (start + buf.capacity()) & !(PAGE - 1);
    if to > from {
        // SAFETY: [from, to) lies within `buf`'s own allocation, and
        // MADV_HUGEPAGE changes how the pages are backed, never what they
        // hold; an error leaves them as they were.
        unsafe {
            libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
        }
    }
}

/// The settled turn whose line is `len` bytes at `at` in `settled.jsonl`,
/// within what `covers` counts.
pub fn stored_at(path: &Path, covers: &Covers, at: u64, len: u64) -> Option<Stored> {
    if at.checked_add(len)? > covers.settled_len {
        return None;
    }
    let file = File::open(dir(path).join("settled.jsonl")).ok()?;
    let mut buf = vec![0; len as usize];
    file.read_exact_at(&mut buf, at).ok()?;
    serde_json::from_slice(&buf).ok()
}

/// Writes `live.json`: the state's own fields, then the live turns already
/// serialized.
fn write_live(
    out: &mut Vec<u8>,
    covers: &Covers,
    state: &State,
    turns: &[serde_json::Result<Vec<u8>>],
) -> std::io::Result<()> {
    let head = LiveOut {
        covers,
        last_seq: state.last_seq,
        max_turn: state.max_turn,
        autonomy: &state.autonomy,
        task_autonomy: &state.task_autonomy,
        sessions: &state.sessions,
        last_check: &state.last_check,
        head_check: &state.head_check,
        pipelines: &state.pipelines,
        turns: Vec::new(),
    };
    serde_json::to_writer(&mut *out, &head).map_err(std::io::Error::other)?;
    // Splice the turns into the empty `"turns":[]` the object ends with.
    let end = out.len() - 2;
    out.truncate(end);
    for (i, t) in turns.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(t.as_ref().map_err(|e| other(&e.to_string()))?);
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

/// Removes the snapshot: the journal changed under it.
pub fn remove(path: &Path) {
    let _ = fs::remove_file(dir(path).join("live.json"));
}

fn other(what: &str) -> std::io::Error {
    std::io::Error::other(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::journal::Journal;
    use serde_json::json;

    fn ev(v: serde_json::Value) -> Event {
        serde_json::from_value(v).unwrap()
    }

    const C: &str = "0123456789abcdef0123456789abcdef01234567";

    /// A landed turn `n` with `actions` actions (one denied by the agent
    /// after leash allowed it), then checked.
    fn landed(n: u64, actions: u64) -> Vec<Event> {
        let t = format!("t{n}");
        let mut e = vec![ev(json!({"kind":"turn_created","turn":t,"agent":"claude",
            "turn_kind":"isolated","risk":"low","title":format!("turn {n}")}))];
        for a in 1..=actions {
            let id = format!("{t}.a{a}");
            e.push(ev(
                json!({"kind":"action_requested","turn":t,"action":id,"tool":"Write",
                "summary":format!("Write f{a}.md"),"input":{"file_path":format!("f{a}.md")},
                "risk":"low","needs":"none"}),
            ));
            e.push(ev(
                json!({"kind":"action_decided","action":id,"decision":"allow","by":"policy"}),
            ));
            e.push(ev(json!({"kind":"action_done","action":id,"ok":true,
                "paths_written":[format!("f{a}.md")]})));
        }
        e.push(ev(
            json!({"kind":"turn_finished","turn":t,"exit":0,"commit":C,
            "files_changed":1,"insertions":2,"deletions":0,"paths":["f1.md"]}),
        ));
        e.push(ev(
            json!({"kind":"turn_decided","turn":t,"decision":"approve","by":"policy"}),
        ));
        e.push(ev(json!({"kind":"turn_landed","turn":t,"commit":C})));
        e
    }

    fn running(n: u64) -> Vec<Event> {
        let t = format!("t{n}");
        vec![
            ev(
                json!({"kind":"turn_created","turn":t,"agent":"claude","turn_kind":"isolated",
                "risk":"low","title":"running"}),
            ),
            ev(
                json!({"kind":"action_requested","turn":t,"action":format!("{t}.a1"),
                "tool":"Bash","summary":"ls","input":{},"risk":"low","needs":"approval"}),
            ),
        ]
    }

    /// Every turn whole and the state's own fields, as JSON, to compare
    /// two folds of one journal.
    fn picture(j: &Journal, s: &State) -> serde_json::Value {
        let turns: Vec<_> = s
            .turns()
            .iter()
            .map(|t| {
                let whole = j.whole_turn(s, &t.id).unwrap().unwrap();
                let log: Vec<_> = whole.log.iter().map(|l| (l.seq, l.text.clone())).collect();
                json!({"turn": whole, "log": log})
            })
            .collect();
        json!({"turns": turns, "last_seq": s.last_seq, "max_turn": s.max_turn,
            "autonomy": s.autonomy, "sessions": s.sessions})
    }

    fn fresh(path: &Path) -> (Journal, State) {
        let _ = fs::remove_dir_all(dir(path));
        let mut s = State::default();
        let (j, _) = Journal::open(path, &mut s, true).unwrap();
        (j, s)
    }

    fn save_now(j: &Journal, s: &mut State) -> Covers {
        let file = File::open(j.path()).unwrap();
        save(j.path(), &file, s, j.offset()).unwrap()
    }

    #[test]
    fn a_snapshot_and_its_tail_fold_to_what_the_whole_journal_folds_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let (mut j, mut s) = fresh(&path);
        for n in 1..=30 {
            j.append(&mut s, landed(n, 5)).unwrap();
        }
        // One landed in part: its verdict and the ref of the rest settle too.
        let mut part = landed(33, 1);
        part[5] = ev(
            json!({"kind":"turn_decided","turn":"t33","decision":"approve",
            "by":"operator","partial":{"accepted":[{"n":1,"path":"f1.md","header":"@@ -0,0 +1 @@"}],
            "rejected":[{"n":2,"path":"g.bin"}],"commit":C,"remainder":C,
            "invariants":"1 pass, 0 fail, 0 fixed (on the accepted hunks)"}}),
        );
        part.insert(
            5,
            ev(
                json!({"kind":"line_commented","turn":"t33","path":"f1.md","line":1,
                "text":"why this line?"}),
            ),
        );
        j.append(&mut s, part).unwrap();
        j.append(&mut s, running(31)).unwrap();
        s.brief_settled(None);
        let covers = save_now(&j, &mut s);
        assert_eq!(covers.seq, s.last_seq);
        // After the snapshot: an agent refuses a call of a settled turn
        // leash had allowed (its action is held in brief without it), a
        // settled turn is rolled back, the running one goes on.
        j.append(&mut s, vec![
            ev(json!({"kind":"action_decided","action":"t3.a4","decision":"deny","by":"agent","reason":"no"})),
            ev(json!({"kind":"rollback_started","turn":"t5","target":C,"branch":"main","old":C})),
            ev(json!({"kind":"turn_rolled_back","turn":"t5","commit":C})),
            ev(json!({"kind":"action_decided","action":"t31.a1","decision":"allow","by":"operator"})),
        ]).unwrap();
        j.append(&mut s, landed(32, 2)).unwrap();
        // The writer's own state folded its lines like any reader's.
        let denied = s.turn("t3").unwrap().denials.as_ref().map(|d| d.count);
        assert_eq!(denied, Some(1));

        let mut from_snapshot = State::default();
        let (j2, _) = Journal::open(&path, &mut from_snapshot, true).unwrap();
        assert!(j2.from_snapshot(), "the snapshot was used");
        assert!(!from_snapshot.is_whole("t1"), "settled turns come in brief");
        let (j3, whole) = fresh(&path);
        assert!(!j3.from_snapshot());
        assert_eq!(picture(&j2, &from_snapshot), picture(&j3, &whole));
        let t3 = from_snapshot.turn("t3").unwrap();
        assert_eq!(t3.denials.as_ref().unwrap().first_action, "t3.a4");
        assert_eq!(t3.action_count, 5);
        assert_eq!(
            from_snapshot.turn("t5").unwrap().state,
            crate::model::TurnState::RolledBack
        );
        let t33 = from_snapshot.turn("t33").unwrap();
        assert_eq!(t33.kept_at.as_deref(), Some("refs/leash/rejected/t33"));
        let verdict = t33
            .decision
            .as_ref()
            .and_then(|d| d.partial.as_ref())
            .unwrap();
        assert_eq!((verdict.accepted[0].n, verdict.rejected[0].n), (1, 2));
        assert_eq!(t33.comments[0].text, "why this line?");
    }

    #[test]
    fn the_gate_view_leaves_settled_turns_out_until_a_line_names_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let (mut j, mut s) = fresh(&path);
        for n in 1..=20 {
            j.append(&mut s, landed(n, 3)).unwrap();
        }
        j.append(&mut s, running(21)).unwrap();
        save_now(&j, &mut s);

        let mut gate = State::default();
        let (mut gj, _) = Journal::open(&path, &mut gate, false).unwrap();
        assert_eq!(gate.turns().len(), 1, "only the live turn");
        assert_eq!(gate.turn("t21").unwrap().action_count, 1);
        assert_eq!(gate.next_turn_id(0), "t22");
        // A line about a settled turn brings the settled ones in.
        j.append(
            &mut s,
            vec![ev(json!({"kind":"rollback_started","turn":"t2",
            "target":C,"branch":"main","old":C}))],
        )
        .unwrap();
        gj.refresh(&mut gate).unwrap();
        assert_eq!(gate.turns().len(), 21);
        assert!(gate.turn("t2").unwrap().pending.is_some());
        assert!(gate.warnings.is_empty(), "{:?}", gate.warnings);
        // And a snapshot saved from the gate's view keeps what it left out.
        gj.append(
            &mut gate,
            vec![ev(json!({"kind":"turn_rolled_back","turn":"t2"}))],
        )
        .unwrap();
        let mut gate2 = State::default();
        let (gj2, _) = Journal::open(&path, &mut gate2, false).unwrap();
        save_now(&gj2, &mut gate2);
        let mut all = State::default();
        let (aj, _) = Journal::open(&path, &mut all, true).unwrap();
        let (wj, whole) = fresh(&path);
        assert_eq!(picture(&aj, &all), picture(&wj, &whole));
    }

    #[test]
    fn a_snapshot_that_does_not_match_its_journal_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let (mut j, mut s) = fresh(&path);
        for n in 1..=5 {
            j.append(&mut s, landed(n, 1)).unwrap();
        }
        save_now(&j, &mut s);
        let used = |path: &Path| {
            let mut s = State::default();
            let (j, _) = Journal::open(path, &mut s, true).unwrap();
            (j.from_snapshot(), s.turns().len())
        };
        assert_eq!(used(&path), (true, 5));
        // The settled file lost its end: folded afresh, nothing lost.
        let settled = dir.path().join("snapshot/settled.jsonl");
        let len = fs::metadata(&settled).unwrap().len();
        OpenOptions::new()
            .write(true)
            .open(&settled)
            .unwrap()
            .set_len(len - 10)
            .unwrap();
        assert_eq!(used(&path), (false, 5));
        // Another journal under the same snapshot (its first line differs).
        save_now(&j, &mut s);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replacen("turn 1", "turn X", 1)).unwrap();
        assert_eq!(used(&path), (false, 5));
        // Damaged live.json.
        save_now(&j, &mut s);
        fs::write(dir.path().join("snapshot/live.json"), "{not json").unwrap();
        assert_eq!(used(&path), (false, 5));
        // A journal cut shorter than what the snapshot covers.
        save_now(&j, &mut s);
        let cut = text.len() - text.lines().last().unwrap().len() - 1;
        fs::write(&path, &text[..cut]).unwrap();
        let mut s2 = State::default();
        let (j2, _) = Journal::open(&path, &mut s2, true).unwrap();
        assert!(!j2.from_snapshot());
        assert_eq!(
            s2.turn("t5").unwrap().state,
            crate::model::TurnState::AwaitingReview
        );
    }

    #[test]
    fn quarantining_a_covered_line_removes_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let (mut j, mut s) = fresh(&path);
        j.append(&mut s, landed(1, 1)).unwrap();
        save_now(&j, &mut s);
        assert!(dir.path().join("snapshot/live.json").exists());
        assert!(j.quarantine_seq(2).unwrap().is_some());
        assert!(!dir.path().join("snapshot/live.json").exists());
    }

    #[test]
    fn a_long_settled_file_is_parsed_in_two_halves_in_order_and_a_short_one_is_refused() {
        let mut s = State::default();
        for (seq, e) in landed(1, 1).into_iter().enumerate() {
            s.apply(&crate::event::Record {
                v: crate::journal::VERSION,
                seq: seq as u64 + 1,
                ts: "2026-12-01T00:00:00.000Z".into(),
                event: e,
            });
        }
        let mut turn = s.turn("t1").unwrap().clone();
        turn.title = "x".repeat(900);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settled.jsonl");
        let mut bytes = Vec::new();
        for n in 1..=3000u64 {
            turn.id = format!("t{n}");
            let spans = [(n * 10, n * 10 + 5)];
            serde_json::to_writer(
                &mut bytes,
                &StoredOut {
                    turn: &turn,
                    spans: &spans,
                },
            )
            .unwrap();
            bytes.push(b'\n');
        }
        assert!(bytes.len() > 2 << 20, "long enough to be split");
        fs::write(&path, &bytes).unwrap();
        let file = File::open(&path).unwrap();
        let len = bytes.len() as u64;
        let cut = line_after(&file, len / 2, len).unwrap();
        assert_eq!(bytes[cut as usize - 1], b'\n');
        // Whatever room was guessed, the lines are all read.
        for room in [0, 10, 3000] {
            let parsed = parse_lines(&file, len, room).unwrap();
            let ids: Vec<String> = parsed.turns.iter().map(|t| t.id.clone()).collect();
            let want: Vec<String> = (1..=3000).map(|n| format!("t{n}")).collect();
            assert_eq!(ids, want);
            assert_eq!(parsed.spans[2999], [(30000, 30005)]);
        }
        let want: Vec<String> = (1..=3000).map(|n| format!("t{n}")).collect();
        // Put in journal order whatever order the file has them in.
        let parsed = parse_lines(&file, len, 3000).unwrap();
        let (mut turns, mut spans) = (parsed.turns, parsed.spans);
        turns.reverse();
        spans.reverse();
        let mut s = State::default();
        s.add_settled(turns, spans);
        let ids: Vec<&str> = s.turns().iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, want);
        assert_eq!(s.spans("t7"), [(70, 75)]);
        // Counted longer than it is (cut short since): nothing is trusted.
        assert!(parse_lines(&file, len + 100, 3000).is_none());
        // A damaged line: nothing is trusted either.
        bytes[cut as usize + 3] = b'#';
        fs::write(&path, &bytes).unwrap();
        assert!(parse_lines(&File::open(&path).unwrap(), len, 3000).is_none());
    }

    #[test]
    fn a_turn_left_without_its_empty_fields_reads_back_the_same() {
        let mut s = State::default();
        for (seq, e) in landed(1, 2).into_iter().chain(running(2)).enumerate() {
            s.apply(&crate::event::Record {
                v: crate::journal::VERSION,
                seq: seq as u64 + 1,
                ts: "2026-12-01T00:00:00.000Z".into(),
                event: e,
            });
        }
        let mut with_empty_command = s.turn("t2").unwrap().clone();
        with_empty_command.command = Some(Vec::new());
        for t in [
            s.turn("t1").unwrap(),
            s.turn("t2").unwrap(),
            &with_empty_command,
        ] {
            let spans = [(1, 2)];
            let line = serde_json::to_string(&StoredOut {
                turn: t,
                spans: &spans,
            })
            .unwrap();
            let fields: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert!(
                fields["turn"]
                    .as_object()
                    .unwrap()
                    .values()
                    .all(|v| !v.is_null()),
                "{line}"
            );
            let back: Stored = serde_json::from_str(&line).unwrap();
            assert_eq!(
                serde_json::to_value(&back.turn).unwrap(),
                serde_json::to_value(t).unwrap()
            );
            assert_eq!(back.spans, spans);
        }
    }
}
