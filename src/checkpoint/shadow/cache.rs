//! The session's stat cache: `.git/leash/shadow/<session>.stat`.
//!
//! It holds, for every file of the session's last snapshot, the blob id and
//! mode the snapshot recorded and the stat data the file had then, plus the
//! tree id of every directory. A file whose stat data is unchanged is not
//! read again, and a directory none of whose entries changed keeps its tree.
//! It also keeps what the seeding from the user's index needs (see
//! `super::snapshot`): which state of that index it was seeded from, the
//! paths the user did not track then, and the paths dropped since as deleted;
//! and what spares asking again what is ignored: the untracked paths found
//! ignored, with the stat data of the rules they were found ignored by.
//!
//! The file is leash's own (no other program reads it), written whole to a
//! temporary file and renamed over the old one, and ends with a checksum of
//! everything before it, so a damaged file is told from a good one and only
//! costs a fresh start. It is only ever trusted for the snapshot it was
//! written with (`root`, checked against the session's ref by the caller).

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use git2::Oid;

/// First bytes of a cache file; the number is the format's version.
const MAGIC: &[u8; 16] = b"leash stat v1\n\0\0";

/// The stat data that tells whether a file may have changed since it was
/// hashed (the fields git's own index compares, at full width).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Stat {
    pub mtime: i64,
    pub mtime_ns: u32,
    pub ctime: i64,
    pub ctime_ns: u32,
    pub ino: u64,
    pub size: u64,
    pub uid: u32,
    pub gid: u32,
}

impl Stat {
    /// The stat data of `meta`.
    #[cfg(unix)]
    pub fn of(meta: &fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        Stat {
            mtime: meta.mtime(),
            mtime_ns: meta.mtime_nsec() as u32,
            ctime: meta.ctime(),
            ctime_ns: meta.ctime_nsec() as u32,
            ino: meta.ino(),
            size: meta.size(),
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }

    /// The stat data of `meta`.
    #[cfg(not(unix))]
    pub fn of(meta: &fs::Metadata) -> Stat {
        let since = |t: io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or((0, 0), |d| (d.as_secs() as i64, d.subsec_nanos()))
        };
        let (mtime, mtime_ns) = since(meta.modified());
        Stat {
            mtime,
            mtime_ns,
            size: meta.len(),
            ..Stat::default()
        }
    }
}

/// One file of a snapshot, as the cache remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// Repo-relative, '/'-separated, as git stores it.
    pub path: Vec<u8>,
    /// The git mode (100644, 100755, 120000 or 160000).
    pub mode: u32,
    pub id: Oid,
    pub stat: Stat,
}

/// What a cache file holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Cache {
    /// The root tree of the snapshot this cache was written with.
    pub root: Option<Oid>,
    /// The identity of the user's index at the last seeding; `None` if there was none.
    pub stamp: Option<String>,
    /// Every file of that snapshot, sorted by path (git's index order).
    pub entries: Vec<Entry>,
    /// The tree id of every directory of that snapshot ("" is the root).
    pub trees: HashMap<Vec<u8>, Oid>,
    /// Entries the user's index did not hold at the last seeding.
    pub extras: Vec<Vec<u8>>,
    /// Paths dropped as deleted since the last seeding.
    pub missing: Vec<Vec<u8>>,
    /// The ignore rules from outside the tree (`.git/info/exclude`,
    /// core.excludesFile), as a stamp of their paths and stat data.
    pub rules: Option<String>,
    /// The stat data of every `.gitignore` the walk read rules from, by path.
    pub ignore_files: Vec<(Vec<u8>, Stat)>,
    /// The untracked paths found ignored (a directory's with a trailing '/').
    pub ignored: Vec<Vec<u8>>,
    /// When the file was written (its mtime): an entry modified at or after
    /// this instant may have changed again within the same clock tick, so its
    /// stat data proves nothing. Not stored; read from the file itself.
    pub written: (i64, u32),
}

/// Reads a cache file; `None` when it is absent, damaged or of another format.
pub(super) fn read(path: &Path) -> Option<Cache> {
    let file = fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    let stat = Stat::of(&meta);
    let mut input = Input {
        file,
        buf: Vec::with_capacity(CHUNK),
        pos: 0,
        sum: Sum::default(),
        summed: 0,
    };
    // A count beyond what the file could hold (76 bytes an entry at least)
    // is damage.
    let mut cache = parse(&mut input, meta.len() / 76)?;
    cache.written = (stat.mtime, stat.mtime_ns);
    Some(cache)
}

/// Writes a cache file: whole, to a temporary file renamed into place.
pub(super) fn write(path: &Path, cache: &Cache) -> io::Result<()> {
    let tmp = path.with_extension("stat.tmp");
    let written = fs::File::create(&tmp)
        .and_then(|file| {
            let mut out = Output {
                file,
                buf: Vec::with_capacity(CHUNK + 256),
                sum: Sum::default(),
                summed: 0,
            };
            encode(cache, &mut out)?;
            out.finish()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// How much of the file is held in memory at a time, reading or writing.
const CHUNK: usize = 64 * 1024;

fn encode(c: &Cache, out: &mut Output) -> io::Result<()> {
    out.put(MAGIC)?;
    out.put(c.root.as_ref().map_or(&[0; 20][..], Oid::as_bytes))?;
    match &c.stamp {
        Some(s) => out.bytes(s.as_bytes())?,
        None => out.put(&u32::MAX.to_le_bytes())?,
    }
    out.put(&(c.entries.len() as u32).to_le_bytes())?;
    for e in &c.entries {
        out.bytes(&e.path)?;
        let mut record = [0u8; 72];
        record[0..4].copy_from_slice(&e.mode.to_le_bytes());
        record[4..24].copy_from_slice(e.id.as_bytes());
        put_stat(&mut record[24..72], &e.stat);
        out.put(&record)?;
    }
    let mut trees: Vec<(&Vec<u8>, &Oid)> = c.trees.iter().collect();
    trees.sort();
    out.put(&(trees.len() as u32).to_le_bytes())?;
    for (dir, id) in trees {
        out.bytes(dir)?;
        out.put(id.as_bytes())?;
    }
    for list in [&c.extras, &c.missing] {
        out.put(&(list.len() as u32).to_le_bytes())?;
        for p in list {
            out.bytes(p)?;
        }
    }
    match &c.rules {
        Some(s) => out.bytes(s.as_bytes())?,
        None => out.put(&u32::MAX.to_le_bytes())?,
    }
    out.put(&(c.ignore_files.len() as u32).to_le_bytes())?;
    for (path, stat) in &c.ignore_files {
        out.bytes(path)?;
        let mut record = [0u8; 48];
        put_stat(&mut record, stat);
        out.put(&record)?;
    }
    out.put(&(c.ignored.len() as u32).to_le_bytes())?;
    for p in &c.ignored {
        out.bytes(p)?;
    }
    Ok(())
}

/// Stat data as 48 bytes.
fn put_stat(to: &mut [u8], s: &Stat) {
    to[0..8].copy_from_slice(&s.mtime.to_le_bytes());
    to[8..12].copy_from_slice(&s.mtime_ns.to_le_bytes());
    to[12..20].copy_from_slice(&s.ctime.to_le_bytes());
    to[20..24].copy_from_slice(&s.ctime_ns.to_le_bytes());
    to[24..32].copy_from_slice(&s.ino.to_le_bytes());
    to[32..40].copy_from_slice(&s.size.to_le_bytes());
    to[40..44].copy_from_slice(&s.uid.to_le_bytes());
    to[44..48].copy_from_slice(&s.gid.to_le_bytes());
}

/// Stat data from the 48 bytes [`put_stat`] wrote.
fn get_stat(f: &[u8]) -> Stat {
    let u32_at = |i: usize| u32::from_le_bytes([f[i], f[i + 1], f[i + 2], f[i + 3]]);
    let u64_at = |i: usize| u64::from_le_bytes(f[i..i + 8].try_into().unwrap_or_default());
    Stat {
        mtime: u64_at(0) as i64,
        mtime_ns: u32_at(8),
        ctime: u64_at(12) as i64,
        ctime_ns: u32_at(20),
        ino: u64_at(24),
        size: u64_at(32),
        uid: u32_at(40),
        gid: u32_at(44),
    }
}

fn parse(r: &mut Input, most: u64) -> Option<Cache> {
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let root = r.oid()?;
    let mut c = Cache {
        root: (!root.is_zero()).then_some(root),
        ..Cache::default()
    };
    let len = r.u32()?;
    if len != u32::MAX {
        c.stamp = Some(String::from_utf8(r.take(len as usize)?.to_vec()).ok()?);
    }
    let n = r.u32()?;
    if u64::from(n) > most {
        return None;
    }
    c.entries.reserve(n as usize);
    for _ in 0..n {
        let path = r.bytes()?.to_vec();
        let f = r.take(72)?;
        c.entries.push(Entry {
            path,
            mode: u32::from_le_bytes([f[0], f[1], f[2], f[3]]),
            id: Oid::from_bytes(&f[4..24]).ok()?,
            stat: get_stat(&f[24..72]),
        });
    }
    if !c.entries.is_sorted_by(|a, b| a.path < b.path) {
        return None;
    }
    for _ in 0..r.u32()? {
        let dir = r.bytes()?.to_vec();
        c.trees.insert(dir, r.oid()?);
    }
    for list in [&mut c.extras, &mut c.missing] {
        for _ in 0..r.u32()? {
            list.push(r.bytes()?.to_vec());
        }
    }
    let len = r.u32()?;
    if len != u32::MAX {
        c.rules = Some(String::from_utf8(r.take(len as usize)?.to_vec()).ok()?);
    }
    for _ in 0..r.u32()? {
        let path = r.bytes()?.to_vec();
        c.ignore_files.push((path, get_stat(r.take(48)?)));
    }
    for _ in 0..r.u32()? {
        c.ignored.push(r.bytes()?.to_vec());
    }
    r.finish().then_some(c)
}

/// A fast 64-bit checksum over a byte stream, fed a multiple of 8 bytes at a
/// time (not cryptographic: it catches damage, not tampering; the file
/// lives in the repository's own `.git`).
#[derive(Default)]
struct Sum(u64);

impl Sum {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn words(&mut self, bytes: &[u8]) {
        debug_assert!(bytes.len().is_multiple_of(8));
        for c in bytes.chunks_exact(8) {
            let w = u64::from_le_bytes(c.try_into().unwrap_or_default());
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(Self::K);
        }
    }

    /// The sum of everything fed, then `tail` (under 8 bytes), `len` in all.
    fn finish(mut self, tail: &[u8], len: u64) -> u64 {
        for &b in tail {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(Self::K);
        }
        (self.0.rotate_left(5) ^ len).wrapping_mul(Self::K)
    }
}

/// A cache file being written, a chunk at a time, with its checksum.
struct Output {
    file: fs::File,
    buf: Vec<u8>,
    sum: Sum,
    /// Bytes written to the file (and summed) so far.
    summed: u64,
}

impl Output {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            let n = self.buf.len() / 8 * 8;
            self.sum.words(&self.buf[..n]);
            self.file.write_all(&self.buf[..n])?;
            self.summed += n as u64;
            self.buf.drain(..n);
        }
        Ok(())
    }

    /// A length-prefixed byte string.
    fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.put(&(b.len() as u32).to_le_bytes())?;
        self.put(b)
    }

    /// Writes what is left and the checksum of everything.
    fn finish(mut self) -> io::Result<()> {
        let n = self.buf.len() / 8 * 8;
        self.sum.words(&self.buf[..n]);
        let len = self.summed + self.buf.len() as u64;
        let sum = self.sum.finish(&self.buf[n..], len);
        self.buf.extend_from_slice(&sum.to_le_bytes());
        self.file.write_all(&self.buf)
    }
}

/// A cache file being read, a chunk at a time, with its checksum.
struct Input {
    file: fs::File,
    /// Bytes read and not yet summed; `pos` is how far parsing got in them.
    buf: Vec<u8>,
    pos: usize,
    sum: Sum,
    /// Bytes summed (and dropped from `buf`) so far.
    summed: u64,
}

impl Input {
    /// The next `n` bytes; `None` at the end of the file.
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.buf.len() - self.pos < n {
            self.fill(n)?;
        }
        let at = self.pos;
        self.pos += n;
        Some(&self.buf[at..at + n])
    }

    /// Reads until `n` bytes past `pos` are held, after summing and
    /// dropping the whole words already parsed.
    fn fill(&mut self, n: usize) -> Option<()> {
        let done = self.pos / 8 * 8;
        self.sum.words(&self.buf[..done]);
        self.summed += done as u64;
        self.buf.drain(..done);
        self.pos -= done;
        while self.buf.len() - self.pos < n {
            let have = self.buf.len();
            self.buf.resize(have + CHUNK.max(n), 0);
            let got = loop {
                match self.file.read(&mut self.buf[have..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            self.buf.truncate(have + got.unwrap_or(0));
            if self.buf.len() == have {
                return None;
            }
        }
        Some(())
    }

    /// Whether what follows the parsed content is exactly its checksum.
    fn finish(&mut self) -> bool {
        // Reading on to the end: more than 8 bytes left is damage.
        if self.fill(9).is_some() || self.buf.len() - self.pos != 8 {
            return false;
        }
        let (content, stored) = self.buf.split_at(self.pos);
        let len = self.summed + content.len() as u64;
        let sum = std::mem::take(&mut self.sum).finish(content, len);
        stored == sum.to_le_bytes()
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }
    fn oid(&mut self) -> Option<Oid> {
        Oid::from_bytes(self.take(20)?).ok()
    }
    fn bytes(&mut self) -> Option<&[u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Cache {
        let id = |n: u8| Oid::from_bytes(&[n; 20]).unwrap();
        Cache {
            root: Some(id(9)),
            stamp: Some("v1 1 2 3 4 5.6".into()),
            entries: vec![
                Entry {
                    path: b"a b/x.rs".to_vec(),
                    mode: 0o100644,
                    id: id(1),
                    stat: Stat {
                        mtime: -3,
                        mtime_ns: 999_999_999,
                        ctime: 1 << 40,
                        ctime_ns: 7,
                        ino: u64::MAX,
                        size: 5 << 33,
                        uid: 1000,
                        gid: 100,
                    },
                },
                Entry {
                    path: b"run.sh".to_vec(),
                    mode: 0o100755,
                    id: id(2),
                    stat: Stat::default(),
                },
            ],
            trees: HashMap::from([(Vec::new(), id(9)), (b"a b".to_vec(), id(3))]),
            extras: vec![b"run.sh".to_vec()],
            missing: vec![b"gone/x".to_vec(), b"y".to_vec()],
            rules: Some("/home/u/.config/git/ignore -\n".into()),
            ignore_files: vec![(
                b"a b/.gitignore".to_vec(),
                Stat {
                    mtime: 5,
                    size: 12,
                    ..Stat::default()
                },
            )],
            ignored: vec![b"a b/x.o".to_vec(), b"target/".to_vec()],
            written: (0, 0),
        }
    }

    /// A cache large enough to be read and written in several chunks.
    fn large() -> Cache {
        let mut c = sample();
        c.entries = (0..5000u32)
            .map(|i| Entry {
                path: format!("dir{:03}/some/longer/path/file{i:05}.txt", i / 100).into_bytes(),
                mode: 0o100644,
                id: Oid::from_bytes(&[(i % 251) as u8; 20]).unwrap(),
                stat: Stat {
                    mtime: i.into(),
                    size: (i * 7).into(),
                    ..Stat::default()
                },
            })
            .collect();
        c
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.stat");
        for cache in [
            sample(),
            large(),
            Cache::default(),
            Cache {
                stamp: None,
                ..sample()
            },
        ] {
            write(&path, &cache).unwrap();
            let back = read(&path).unwrap();
            let mtime = Stat::of(&fs::metadata(&path).unwrap());
            assert_eq!(back.written, (mtime.mtime, mtime.mtime_ns));
            assert_eq!(
                Cache {
                    written: (0, 0),
                    ..back
                },
                cache
            );
        }
        assert!(!dir.path().join("s.stat.tmp").exists());

        let parse = |bytes: &[u8]| {
            let p = dir.path().join("probe.stat");
            fs::write(&p, bytes).unwrap();
            read(&p)
        };
        for cache in [sample(), large()] {
            write(&path, &cache).unwrap();
            let good = fs::read(&path).unwrap();
            assert!(good.len() > 3 * CHUNK || cache.entries.len() < 5000);
            // Any flipped bit, a cut and a stray byte are all refused.
            let n = good.len();
            for at in [0, 17, 40, CHUNK - 1, CHUNK, n / 2, n - 9, n - 8, n - 1] {
                let Some(byte) = good.get(at) else { continue };
                let mut bad = good.clone();
                bad[at] = byte ^ 0x10;
                assert!(parse(&bad).is_none(), "bit flipped at {at} of {n}");
            }
            assert!(parse(&good[..n - 1]).is_none());
            assert!(parse(&good[..20]).is_none());
            let mut longer = good.clone();
            longer.push(0);
            assert!(parse(&longer).is_none());
            assert!(parse(&good).is_some());
        }
        assert!(parse(b"").is_none());

        // Entries out of order would break the walk's merge: refused even
        // with a good checksum.
        let mut swapped = sample();
        swapped.entries.reverse();
        write(&path, &swapped).unwrap();
        assert!(read(&path).is_none());
        assert!(read(&dir.path().join("absent.stat")).is_none());
    }
}
