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

/// How long ago a journal time stamp was, as people say it: "42s", "3m",
/// "5h", "2d" ("?" for a stamp that does not parse).
pub fn age(ts: &str) -> String {
    let label = age_now(ts);
    AGES.with(|a| {
        if let Some(seen) = a.borrow_mut().as_mut() {
            seen.push((ts.to_string(), label.clone()));
        }
    });
    label
}

fn age_now(ts: &str) -> String {
    let Some(t) = crate::model::parse_ts(ts) else {
        return "?".into();
    };
    let secs = (chrono::Utc::now() - t).num_seconds().max(0);
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        3600..=86399 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86400),
    }
}

thread_local! {
    /// The age labels made while [`record_ages`] runs on this thread.
    static AGES: std::cell::RefCell<Option<Vec<(String, String)>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` (a frame being drawn) and returns, with its result, every age
/// label [`age`] made meanwhile as `(time stamp, label)`: what the clock
/// can change on screen, so the console redraws only when one of them
/// would read otherwise ([`ages_moved`]).
pub fn record_ages<R>(f: impl FnOnce() -> R) -> (R, Vec<(String, String)>) {
    AGES.with(|a| *a.borrow_mut() = Some(Vec::new()));
    let r = f();
    let seen = AGES.with(|a| a.borrow_mut().take()).unwrap_or_default();
    (r, seen)
}

/// Whether any of these labels would now read otherwise.
pub fn ages_moved(labels: &[(String, String)]) -> bool {
    labels.iter().any(|(ts, label)| age_now(ts) != *label)
}

/// `word` as one POSIX shell word (`shell_words::quote`); a word that one
/// leaves bare but that holds a brace or bracket is single-quoted too, since
/// bash expands `{a,b}` and the hook settings' reader (`plain_words`) does not read such a word back.
pub fn shell_quote(word: &str) -> String {
    let quoted = shell_words::quote(word);
    if quoted == word && word.contains(['{', '}', '[', ']']) {
        // No `'` inside: `shell_words` would have quoted it.
        return format!("'{word}'");
    }
    quoted.into_owned()
}

/// A command line as a person would type it: each word quoted for a POSIX
/// shell when it needs it (`sh -c 'echo hi > note.md'`).
pub fn quote_argv(argv: &[String]) -> String {
    argv.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
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
