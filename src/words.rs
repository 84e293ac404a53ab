//! Words that agree with their numbers, for the console and the CLI alike.

/// `n` and the noun in the form that agrees with it: `1 file`, `2 files`,
/// `0 files`. `one` is the singular; the plural adds `s` unless `one`
/// already ends in `s` (then `es`), which covers every noun leash counts.
pub fn count(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else if one.ends_with('s') || one.ends_with("sh") || one.ends_with("ch") {
        format!("{n} {one}es")
    } else if let Some(stem) = one.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{n} {stem}ies")
    } else {
        format!("{n} {one}s")
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn a_count_agrees_with_its_noun() {
        assert_eq!(count(1, "file"), "1 file");
        assert_eq!(count(0, "file"), "0 files");
        assert_eq!(count(5, "file"), "5 files");
        assert_eq!(count(1, "more line"), "1 more line");
        assert_eq!(count(3, "more line"), "3 more lines");
        assert_eq!(count(2, "pass"), "2 passes");
        assert_eq!(count(2, "entry"), "2 entries");
        assert_eq!(count(2, "key"), "2 keys");
    }
}
