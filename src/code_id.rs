//! Identities of leash's own code, computed when leash is built (not in
//! every process): a file leash writes for itself — the snapshot of the
//! fold, the parsed policy — is trusted only by the code that wrote it.

/// FNV-1a over `sources`, each followed by its length.
pub const fn hash(sources: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < sources.len() {
        let bytes = sources[i];
        let mut j = 0;
        while j < bytes.len() {
            h ^= bytes[j] as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
            j += 1;
        }
        h ^= bytes.len() as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}
