//! Words for people, for the console and the CLI alike: counts that agree
//! with their nouns, one-line summaries, lists of ports.

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

/// The ports a denied network still lets a turn connect to, for people:
/// "443, 8443", or "(none)".
pub fn ports_text(ports: &[u16]) -> String {
    if ports.is_empty() {
        return "(none)".to_string();
    }
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Longest one-line summary of a tool use or a warning.
pub(crate) const SUMMARY_CHARS: usize = 160;

/// The first non-blank line of `text`, marked with " …" when more follows and
/// cut to a summary's length.
pub(crate) fn first_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let line = if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_string()
    };
    cut(&line, SUMMARY_CHARS)
}

/// Cuts `text` to at most `max` characters, ending in "…" when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
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
