//! The line diff under the model: lines split, numbered (equal lines
//! share a number) and diffed with Myers as git's xdiff prepares them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

use similar::algorithms::{Capture, Compact, DiffHook, Replace};
use similar::{DiffOp, DiffTag};

/// The lines of `bytes`, each with its `\n` (the last may lack one).
pub(super) fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    // memchr finds line ends many times faster than a byte-by-byte split,
    // which on a large file cost more than the diff itself.
    let mut lines = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes) {
        lines.push(&bytes[start..=end]);
        start = end + 1;
    }
    if start < bytes.len() {
        lines.push(&bytes[start..]);
    }
    lines
}

/// Each line as a number, the same for equal lines on either side.
pub(super) fn line_ids<'a>(old: &[&'a [u8]], new: &[&'a [u8]]) -> (Vec<u32>, Vec<u32>) {
    let mut ids: HashMap<&'a [u8], u32, BuildHasherDefault<LineHasher>> =
        HashMap::with_capacity_and_hasher(old.len() + new.len(), Default::default());
    let mut id_of = |line: &'a [u8]| {
        let next = ids.len() as u32;
        *ids.entry(line).or_insert(next)
    };
    let old_ids = old.iter().map(|&l| id_of(l)).collect();
    let new_ids = new.iter().map(|&l| id_of(l)).collect();
    (old_ids, new_ids)
}

/// A fast hash for lines (FxHash's mixing, a word at a time): the
/// standard SipHash is built to resist chosen keys, which a diff's line
/// table does not need and cannot afford on a large file.
#[derive(Default)]
struct LineHasher(u64);

impl Hasher for LineHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The Myers diff of two sequences of line ids, as git's xdiff does it:
/// a line that occurs only on one side cannot be common to both, so it is
/// set aside before Myers runs (a file with many rewritten lines would
/// otherwise cost time in the square of their number) and reported as
/// removed or added. The diff stays minimal; the ops are compacted as
/// `similar` compacts them.
pub(super) fn line_diff(old: &[u32], new: &[u32], deadline: Instant) -> Vec<DiffOp> {
    let distinct = old.iter().chain(new).max().map_or(0, |&m| m as usize + 1);
    let (mut in_old, mut in_new) = (vec![false; distinct], vec![false; distinct]);
    old.iter().for_each(|&i| in_old[i as usize] = true);
    new.iter().for_each(|&i| in_new[i as usize] = true);
    let kept = |ids: &[u32], other: &[bool]| -> Vec<usize> {
        (0..ids.len()).filter(|&i| other[ids[i] as usize]).collect()
    };
    let (old_kept, new_kept) = (kept(old, &in_new), kept(new, &in_old));
    let old_r: Vec<u32> = old_kept.iter().map(|&i| old[i]).collect();
    let new_r: Vec<u32> = new_kept.iter().map(|&i| new[i]).collect();
    let mut matched = Capture::new();
    let _ = similar::algorithms::myers::diff_deadline(
        &mut matched,
        &old_r,
        0..old_r.len(),
        &new_r,
        0..new_r.len(),
        Some(deadline),
    );
    let mut d = Compact::new(Replace::new(Capture::new()), old, new);
    // `similar`'s hooks never fail (their error type is `Infallible`).
    fn gap(d: &mut impl DiffHook, (o, n): (usize, usize), (to_o, to_n): (usize, usize)) {
        if to_o > o {
            let _ = d.delete(o, to_o - o, n);
        }
        if to_n > n {
            let _ = d.insert(to_o, n, to_n - n);
        }
    }
    // The next line of each side not yet reported, and the run of equal
    // lines being gathered.
    let mut next = (0, 0);
    let mut run: Option<(usize, usize, usize)> = None;
    for op in matched.ops() {
        let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        else {
            continue;
        };
        for k in 0..len {
            let at = (old_kept[old_index + k], new_kept[new_index + k]);
            match &mut run {
                Some((_, _, len)) if at == next => *len += 1,
                _ => {
                    if let Some((o, n, len)) = run.take() {
                        let _ = d.equal(o, n, len);
                    }
                    gap(&mut d, next, at);
                    run = Some((at.0, at.1, 1));
                }
            }
            next = (at.0 + 1, at.1 + 1);
        }
    }
    if let Some((o, n, len)) = run {
        let _ = d.equal(o, n, len);
    }
    gap(&mut d, next, (old.len(), new.len()));
    let _ = d.finish();
    // `Compact` shifts changes without updating the other side's index of
    // a deletion or an insertion (it can point behind the previous op);
    // the hunk headers are read from those indexes, so they are set again
    // from the ops' lengths.
    let (mut o, mut n) = (0, 0);
    let mut ops = d.into_inner().into_inner().into_ops();
    for op in &mut ops {
        let (tag, old_r, new_r) = op.as_tag_tuple();
        let (old_len, new_len) = (old_r.len(), new_r.len());
        *op = match tag {
            DiffTag::Equal => DiffOp::Equal {
                old_index: o,
                new_index: n,
                len: old_len,
            },
            DiffTag::Delete => DiffOp::Delete {
                old_index: o,
                old_len,
                new_index: n,
            },
            DiffTag::Insert => DiffOp::Insert {
                old_index: o,
                new_index: n,
                new_len,
            },
            DiffTag::Replace => DiffOp::Replace {
                old_index: o,
                old_len,
                new_index: n,
                new_len,
            },
        };
        (o, n) = (o + old_len, n + new_len);
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::tests::far;
    use similar::Algorithm;

    #[test]
    fn setting_unique_lines_aside_keeps_the_diff_minimal_and_whole() {
        // Pseudo-random files over a small alphabet of lines, so lines
        // repeat, others occur on one side only, and runs move about.
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % n) as u32
        };
        for _ in 0..200 {
            let old: Vec<u32> = (0..next(40)).map(|_| next(12)).collect();
            let new: Vec<u32> = (0..next(40)).map(|_| next(12) + next(2) * 6).collect();
            let ops = line_diff(&old, &new, far());
            let plain = similar::capture_diff_slices(Algorithm::Myers, &old, &new);
            let changed = |ops: &[DiffOp]| {
                ops.iter()
                    .filter(|op| op.tag() != DiffTag::Equal)
                    .map(|op| (op.old_range().len(), op.new_range().len()))
                    .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
            };
            assert_eq!(changed(&ops), changed(&plain), "{old:?} → {new:?}");
            // The ops cover both sides in order and rebuild the new side.
            let mut rebuilt = Vec::new();
            let (mut o, mut n) = (0, 0);
            for op in &ops {
                assert_eq!((op.old_range().start, op.new_range().start), (o, n));
                if op.tag() == DiffTag::Equal {
                    assert_eq!(old[op.old_range()], new[op.new_range()]);
                }
                rebuilt.extend_from_slice(&new[op.new_range()]);
                (o, n) = (op.old_range().end, op.new_range().end);
            }
            assert_eq!((o, n), (old.len(), new.len()));
            assert_eq!(rebuilt, new);
        }
    }

    #[test]
    fn lines_are_split_after_each_newline() {
        let split =
            |b: &[u8]| -> Vec<Vec<u8>> { split_lines(b).iter().map(|l| l.to_vec()).collect() };
        for text in [&b""[..], b"a", b"a\n", b"a\nb", b"\n\nc\r\n", b"x\ny\n"] {
            let std: Vec<Vec<u8>> = text
                .split_inclusive(|&b| b == b'\n')
                .map(|l| l.to_vec())
                .collect();
            assert_eq!(split(text), std, "{text:?}");
        }
    }
}
