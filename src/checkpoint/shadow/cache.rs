//! The session's stat cache: `.git/leash/shadow/<session>.stat`.
//!
//! It holds, for every file of the session's last snapshot, the blob id and
//! mode the snapshot recorded and the stat data the file had then, plus the
//! tree id of every directory. A file whose stat data is unchanged is not
//! read again, and a directory none of whose entries changed keeps its tree.
//! It also keeps what the seeding from the user's index needs (see
//! `super::snapshot`): which state of that index it was seeded from, the
//! paths the user did not track then, and the paths dropped since as deleted.
//!
//! The file is leash's own (no other program reads it), written whole to a
//! temporary file and renamed over the old one, and ends with a checksum of
//! everything before it, so a damaged file is told from a good one and only
//! costs a fresh start. It is only ever trusted for the snapshot it was
//! written with (`root`, checked against the session's ref by the caller).

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
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
    /// When the file was written (its mtime): an entry modified at or after
    /// this instant may have changed again within the same clock tick, so its
    /// stat data proves nothing. Not stored; read from the file itself.
    pub written: (i64, u32),
}

/// Reads a cache file; `None` when it is absent, damaged or of another format.
pub(super) fn read(path: &Path) -> Option<Cache> {
    let mut file = fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes).ok()?;
    let stat = Stat::of(&meta);
    let mut cache = parse(&bytes)?;
    cache.written = (stat.mtime, stat.mtime_ns);
    Some(cache)
}

/// Writes a cache file: whole, to a temporary file renamed into place.
pub(super) fn write(path: &Path, cache: &Cache) -> io::Result<()> {
    let bytes = encode(cache);
    let tmp = path.with_extension("stat.tmp");
    let written = fs::write(&tmp, &bytes).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

fn encode(c: &Cache) -> Vec<u8> {
    let paths: usize = c.entries.iter().map(|e| e.path.len() + 80).sum();
    let mut out = Vec::with_capacity(paths + 4096);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(c.root.as_ref().map_or(&[0; 20][..], Oid::as_bytes));
    match &c.stamp {
        Some(s) => bytes(&mut out, s.as_bytes()),
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
    out.extend_from_slice(&(c.entries.len() as u32).to_le_bytes());
    for e in &c.entries {
        bytes(&mut out, &e.path);
        out.extend_from_slice(&e.mode.to_le_bytes());
        out.extend_from_slice(e.id.as_bytes());
        let s = &e.stat;
        out.extend_from_slice(&s.mtime.to_le_bytes());
        out.extend_from_slice(&s.mtime_ns.to_le_bytes());
        out.extend_from_slice(&s.ctime.to_le_bytes());
        out.extend_from_slice(&s.ctime_ns.to_le_bytes());
        out.extend_from_slice(&s.ino.to_le_bytes());
        out.extend_from_slice(&s.size.to_le_bytes());
        out.extend_from_slice(&s.uid.to_le_bytes());
        out.extend_from_slice(&s.gid.to_le_bytes());
    }
    let mut trees: Vec<(&Vec<u8>, &Oid)> = c.trees.iter().collect();
    trees.sort();
    out.extend_from_slice(&(trees.len() as u32).to_le_bytes());
    for (dir, id) in trees {
        bytes(&mut out, dir);
        out.extend_from_slice(id.as_bytes());
    }
    for list in [&c.extras, &c.missing] {
        out.extend_from_slice(&(list.len() as u32).to_le_bytes());
        for p in list {
            bytes(&mut out, p);
        }
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// A length-prefixed byte string.
fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

fn parse(all: &[u8]) -> Option<Cache> {
    let (body, sum) = all.split_at_checked(all.len().checked_sub(8)?)?;
    if checksum(body) != u64::from_le_bytes(sum.try_into().ok()?) {
        return None;
    }
    let mut r = Reader(body);
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
    let n = r.u32()? as usize;
    // Each entry takes at least 84 bytes: a count beyond that is damage.
    c.entries.reserve(n.min(r.0.len() / 84));
    for _ in 0..n {
        let path = r.bytes()?.to_vec();
        let mode = r.u32()?;
        let id = r.oid()?;
        let stat = Stat {
            mtime: r.i64()?,
            mtime_ns: r.u32()?,
            ctime: r.i64()?,
            ctime_ns: r.u32()?,
            ino: r.u64()?,
            size: r.u64()?,
            uid: r.u32()?,
            gid: r.u32()?,
        };
        c.entries.push(Entry {
            path,
            mode,
            id,
            stat,
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
    r.0.is_empty().then_some(c)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }
    fn i64(&mut self) -> Option<i64> {
        self.array().map(i64::from_le_bytes)
    }
    fn oid(&mut self) -> Option<Oid> {
        Oid::from_bytes(self.take(20)?).ok()
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// A fast 64-bit checksum (not cryptographic: it catches damage, not tampering;
/// the file lives in the repository's own `.git`).
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap_or_default());
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    h
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
            written: (0, 0),
        }
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.stat");
        for cache in [
            sample(),
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

        let good = encode(&sample());
        // Any flipped bit, a cut and a stray byte are all refused.
        for at in [0, 17, 40, good.len() / 2, good.len() - 9, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            assert!(parse(&bad).is_none(), "bit flipped at {at}");
        }
        assert!(parse(&good[..good.len() - 1]).is_none());
        assert!(parse(&good[..20]).is_none());
        assert!(parse(b"").is_none());
        assert!(parse(&good).is_some());

        // Entries out of order would break the walk's merge: refused even
        // with a good checksum.
        let mut swapped = sample();
        swapped.entries.reverse();
        assert!(parse(&encode(&swapped)).is_none());
        assert!(read(&dir.path().join("absent.stat")).is_none());
    }
}
