//! Finds what Markdown text points at: link destinations, backticked paths
//! and (for boot manifests) bare words that look like paths.
//!
//! Not a full CommonMark parser: it reads line by line, which is what the
//! hand-written instruction files of agent workspaces need, and it is fast
//! on thousands of files. Everything inside fenced code blocks (``` or ~~~)
//! is ignored, links and backticks alike: a fence shows an example, not a
//! pointer — except, for a boot manifest, the steps of a fenced list. Indented code blocks are not recognised (indentation is far more
//! often a list continuation in these files).

use std::borrow::Cow;

/// File extensions that make a bare or backticked word a path.
const PATH_EXTENSIONS: &[&str] = &[".md", ".txt", ".toml", ".json", ".yaml", ".yml"];

/// How a mention was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `[text](path)`, `![alt](path)` or a `[label]: path` definition.
    Link,
    /// `` `path` ``
    Code,
    /// A bare word such as operations/MEMORY.md.
    Bare,
}

/// One place the text points at a path (borrowed from the scanned text
/// where it can be: a check reads a hundred thousand of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mention<'a> {
    /// 1-based line number.
    pub line: u32,
    /// Byte range of `raw` in the scanned text (the path only: no anchor,
    /// no title, no angle brackets), so a fix can rewrite it in place.
    pub start: usize,
    pub end: usize,
    /// The path as written.
    pub raw: Cow<'a, str>,
    /// The path to resolve: `raw` percent-decoded for links.
    pub path: Cow<'a, str>,
    pub style: Style,
}

impl Mention<'_> {
    /// The same mention, owning its text.
    fn into_owned(self) -> Mention<'static> {
        Mention {
            raw: Cow::Owned(self.raw.into_owned()),
            path: Cow::Owned(self.path.into_owned()),
            ..self
        }
    }
}

/// The mentions in `text`, in order. Bare words are only looked for when
/// `bare` is set, and never inside links or code spans.
pub(crate) fn scan(text: &str, bare: bool) -> Vec<Mention<'_>> {
    scan_with(text, bare, false)
}

/// [`scan`] for a boot manifest: the steps of a fenced list are read too
/// (agent workspaces often write their boot sequence as ```` ```text ````
/// then `1) Read SOUL.md`, `2) Read USER.md + IDENTITY.md`), with names
/// joined by `+`, `and` or commas. Other fenced lines stay examples.
pub(crate) fn scan_boot(text: &str) -> Vec<Mention<'_>> {
    scan_with(text, true, true)
}

/// Whether a line is a step of a list: `1)`, `1.`, `-`, `*` or `+` first.
fn is_step(line: &str) -> bool {
    let t = line.trim_start();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        return matches!(t.as_bytes().get(digits), Some(b')' | b'.'));
    }
    matches!(t.as_bytes(), [b'-' | b'*' | b'+', b' ', ..])
}

fn scan_with(text: &str, bare: bool, fenced_steps: bool) -> Vec<Mention<'_>> {
    let mut out = Vec::new();
    // One buffer for every line's masked copy.
    let mut masked = Vec::new();
    let mut fence: Option<(u8, usize)> = None;
    let mut offset = 0;
    for (i, full) in text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += full.len();
        let line = full.trim_end_matches(['\n', '\r']);
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if let Some(f) = fence_marker(line) {
            match fence {
                None => {
                    fence = Some(f);
                    continue;
                }
                Some((c, n)) if f.0 == c && f.1 >= n && is_closing_fence(line) => {
                    fence = None;
                    continue;
                }
                Some(_) => {}
            }
        }
        if fence.is_some() {
            if fenced_steps && is_step(line) {
                // Joiners become spaces, byte for byte, so offsets hold.
                let split = line.replace(['+', ','], " ");
                let (marker, _) = split
                    .trim_start()
                    .split_at(split.trim_start().find(' ').unwrap_or(0));
                let skip = split.len() - split.trim_start().len() + marker.len();
                let mut steps = String::with_capacity(split.len());
                steps.push_str(&" ".repeat(skip));
                steps.push_str(&split[skip..]);
                let mut found: Vec<Mention<'_>> = Vec::new();
                scan_line(&steps, line_start, line_no, true, &mut masked, &mut found);
                out.extend(found.into_iter().map(|m| m.into_owned()));
            }
            continue;
        }
        scan_line(line, line_start, line_no, bare, &mut masked, &mut out);
    }
    out
}

/// Every `http://` or `https://` URL outside fenced code blocks — in a
/// link, a definition or footnote, or bare — with its 1-based line: the
/// URL without trailing punctuation or an unbalanced closing bracket.
pub(crate) fn scan_urls(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut fence: Option<(u8, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if let Some(f) = fence_marker(line) {
            match fence {
                None => {
                    fence = Some(f);
                    continue;
                }
                Some((c, n)) if f.0 == c && f.1 >= n && is_closing_fence(line) => {
                    fence = None;
                    continue;
                }
                Some(_) => {}
            }
        }
        if fence.is_some() {
            continue;
        }
        let mut from = 0;
        while let Some(at) = ["https://", "http://"]
            .iter()
            .filter_map(|s| line[from..].find(s))
            .min()
        {
            let start = from + at;
            let rest = &line[start..];
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
                .unwrap_or(rest.len());
            let mut url = &rest[..end];
            loop {
                let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '*', '_']);
                let unbalanced = |open: char, close: char| {
                    trimmed.ends_with(close)
                        && trimmed.matches(close).count() > trimmed.matches(open).count()
                };
                let trimmed = if unbalanced('(', ')') || unbalanced('[', ']') {
                    &trimmed[..trimmed.len() - 1]
                } else {
                    trimmed
                };
                if trimmed == url {
                    break;
                }
                url = trimmed;
            }
            if url.len() > "https://".len() {
                out.push((line_no, url.to_string()));
            }
            from = start + end.max(1);
        }
    }
    out
}

/// The fence character and length when `line` opens or closes a fence.
fn fence_marker(line: &str) -> Option<(u8, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line.as_bytes()[indent..];
    let c = *rest.first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let n = rest.iter().take_while(|&&b| b == c).count();
    (n >= 3).then_some((c, n))
}

/// A closing fence carries no info string.
fn is_closing_fence(line: &str) -> bool {
    line.trim().bytes().all(|b| b == b'`' || b == b'~')
}

/// Appends the mentions of one line to `out`, in order; `masked` is scratch.
fn scan_line<'a>(
    line: &'a str,
    base: usize,
    line_no: u32,
    bare: bool,
    masked: &mut Vec<u8>,
    out: &mut Vec<Mention<'a>>,
) {
    let bytes = line.as_bytes();
    // Links and definitions need a `[`, code spans a backtick: most prose
    // lines have neither, and cost one pass over their bytes.
    if !bare && !bytes.iter().any(|&b| b == b'`' || b == b'[') {
        return;
    }
    // Code spans are found first and blanked out of `masked`, so that link
    // syntax inside them is not taken for a link.
    masked.clear();
    masked.extend_from_slice(bytes);
    let from = out.len();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let n = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        let open_end = i + n;
        match find_run(bytes, open_end, n) {
            Some(close) => {
                let inner = &line[open_end..close];
                let lead = inner.len() - inner.trim_start().len();
                let content = inner.trim();
                let (path, _) = split_code_path(content);
                if looks_like_path(path) {
                    let start = open_end + lead;
                    out.push(mention(
                        line_no,
                        base + start,
                        path,
                        path.into(),
                        Style::Code,
                    ));
                }
                masked[i..close + n].fill(b' ');
                i = close + n;
            }
            None => i = open_end,
        }
    }
    if let Some(m) = definition(line, line_no, base) {
        let end = m.end - base;
        masked[..end].fill(b' ');
        out.push(m);
    }
    find_links(line, masked, base, line_no, out);
    if bare {
        find_bare(line, masked, base, line_no, out);
    }
    out[from..].sort_by_key(|m| m.start);
}

fn mention<'a>(
    line: u32,
    start: usize,
    raw: &'a str,
    path: Cow<'a, str>,
    style: Style,
) -> Mention<'a> {
    Mention {
        line,
        start,
        end: start + raw.len(),
        raw: raw.into(),
        path,
        style,
    }
}

/// The start of the next run of exactly `n` backticks at or after `from`.
fn find_run(bytes: &[u8], from: usize, n: usize) -> Option<usize> {
    let mut j = from;
    while j < bytes.len() {
        if bytes[j] == b'`' {
            let m = bytes[j..].iter().take_while(|&&b| b == b'`').count();
            if m == n {
                return Some(j);
            }
            j += m;
        } else {
            j += 1;
        }
    }
    None
}

/// `path#anchor` and `path:12` (or `path:12:3`) name `path`.
fn split_code_path(s: &str) -> (&str, &str) {
    // Bytes, not chars: '#' and ':' are ASCII, so every cut is a char boundary.
    let s = &s[..s.bytes().position(|b| b == b'#').unwrap_or(s.len())];
    let mut end = s.len();
    for _ in 0..2 {
        match s.as_bytes()[..end].iter().rposition(|&b| b == b':') {
            Some(c) if c + 1 < end && s[c + 1..end].bytes().all(|b| b.is_ascii_digit()) => end = c,
            _ => break,
        }
    }
    (&s[..end], &s[end..])
}

/// A `[label]: destination` link reference definition.
fn definition(line: &str, line_no: u32, base: usize) -> Option<Mention<'_>> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 || !line[indent..].starts_with('[') || line[indent..].starts_with("[^") {
        return None;
    }
    let close = indent + line[indent..].find("]:")?;
    let after = close + 2;
    let ws = line[after..].len() - line[after..].trim_start().len();
    let (start, raw) = destination(line, after + ws)?;
    link_mention(line_no, base + start, raw)
}

/// Finds `](destination)` after a `[`, records the destination and blanks
/// the whole link out of `masked`.
fn find_links<'a>(
    line: &'a str,
    masked: &mut [u8],
    base: usize,
    line_no: u32,
    out: &mut Vec<Mention<'a>>,
) {
    let mut from = 0;
    while let Some(k) = find_bytes(masked, from, b"](") {
        from = k + 2;
        let Some(open) = masked[..k].iter().rposition(|&b| b == b'[') else {
            continue;
        };
        let ws = line[k + 2..].len() - line[k + 2..].trim_start().len();
        let Some((start, raw)) = destination(line, k + 2 + ws) else {
            continue;
        };
        let close = line[start + raw.len()..]
            .find(')')
            .map_or(line.len(), |c| start + raw.len() + c + 1);
        if let Some(m) = link_mention(line_no, base + start, raw) {
            out.push(m);
        }
        masked[open..close].fill(b' ');
        from = close;
    }
}

fn find_bytes(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A link destination at byte `at`: `<...>` or a run without spaces, with
/// balanced parentheses. Returns where it starts and its text.
fn destination(line: &str, at: usize) -> Option<(usize, &str)> {
    let rest = &line[at..];
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        return Some((at + 1, &inner[..end]));
    }
    let mut depth = 0usize;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => {
                end = i;
                break;
            }
            ')' => depth -= 1,
            c if c.is_whitespace() => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    Some((at, &rest[..end]))
}

/// A link mention, unless the destination is a URL, an anchor or empty.
fn link_mention(line: u32, start: usize, dest: &str) -> Option<Mention<'_>> {
    if dest.is_empty() || dest.starts_with('#') || dest.starts_with("//") || has_scheme(dest) {
        return None;
    }
    let raw = dest.split(['#', '?']).next().unwrap_or(dest);
    if raw.is_empty() {
        return None;
    }
    Some(mention(line, start, raw, percent_decode(raw), Style::Link))
}

/// `http:`, `mailto:`, `file:` and every other `scheme:` prefix.
fn has_scheme(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return false;
    };
    let scheme = &s[..colon];
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return s.into();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned().into()
}

/// Words outside links and code spans that look like paths.
fn find_bare<'a>(
    line: &'a str,
    masked: &[u8],
    base: usize,
    line_no: u32,
    out: &mut Vec<Mention<'a>>,
) {
    let mut i = 0;
    while i < masked.len() {
        if masked[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < masked.len() && !masked[i].is_ascii_whitespace() {
            i += 1;
        }
        let word = &line[start..i];
        let lead = word.len()
            - word
                .trim_start_matches(['"', '\'', '(', '*', '_', '[', '<'])
                .len();
        let trimmed = word[lead..].trim_end_matches([
            '"', '\'', ')', ',', '.', ';', ':', '!', '?', '*', '_', ']', '>',
        ]);
        // A trailing dot is punctuation, but `./` and `../` are paths.
        let trimmed = if trimmed.is_empty() {
            &word[lead..]
        } else {
            trimmed
        };
        let (path, _) = split_code_path(trimmed);
        let numeric = path.bytes().all(|b| b.is_ascii_digit() || b == b'/');
        if !numeric && looks_like_path(path) {
            out.push(mention(
                line_no,
                base + start + lead,
                path,
                path.into(),
                Style::Bare,
            ));
        }
    }
}

/// Whether a backticked or bare word names a path in the tree: it contains
/// a `/` or ends in a known extension, and is not a URL, an absolute or
/// home path, a glob, a command line or a placeholder such as `<date>`,
/// `YYYY-MM-DD` or `…`. `{today}` and `{yesterday}` are allowed.
pub(crate) fn looks_like_path(s: &str) -> bool {
    if s.is_empty() || s.starts_with(['/', '~', '-']) {
        return false;
    }
    if !s.is_ascii() || s.contains('{') {
        return looks_like_path_in_full(s);
    }
    // The same rules in one pass over the bytes, for the usual plain ASCII
    // word (`://` needs a `:`, which is refused anyway).
    let (mut alnum, mut slash, mut dots, mut ys) = (false, false, 0, 0);
    for b in s.bytes() {
        if b.is_ascii_whitespace()
            || b == 0x0b
            || matches!(
                b,
                b'*' | b'?'
                    | b'['
                    | b']'
                    | b'('
                    | b')'
                    | b'<'
                    | b'>'
                    | b'{'
                    | b'}'
                    | b'|'
                    | b'"'
                    | b'\''
                    | b'$'
                    | b'='
                    | b','
                    | b';'
                    | b'!'
                    | b'@'
                    | b'^'
                    | b'`'
                    | b':'
                    | b'\\'
            )
        {
            return false;
        }
        alnum |= b.is_ascii_alphanumeric();
        slash |= b == b'/';
        dots = if b == b'.' { dots + 1 } else { 0 };
        ys = if b == b'Y' { ys + 1 } else { 0 };
        if dots == 3 || ys == 4 {
            return false;
        }
    }
    if !alnum && !matches!(s, "." | ".." | "./" | "../") {
        return false;
    }
    slash || has_path_extension(s)
}

/// Whether `s` ends in one of [`PATH_EXTENSIONS`], in any case.
fn has_path_extension(s: &str) -> bool {
    PATH_EXTENSIONS.iter().any(|e| {
        s.len() > e.len()
            && s.is_char_boundary(s.len() - e.len())
            && s[s.len() - e.len()..].eq_ignore_ascii_case(e)
    })
}

/// [`looks_like_path`] for any text: Unicode whitespace, letters and `…`,
/// and the date placeholders.
fn looks_like_path_in_full(s: &str) -> bool {
    if s.contains("://") {
        return false;
    }
    let plain: std::borrow::Cow<str> = if s.contains('{') {
        s.replace("{today}", "").replace("{yesterday}", "").into()
    } else {
        s.into()
    };
    let forbidden = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '*' | '?'
                    | '['
                    | ']'
                    | '('
                    | ')'
                    | '<'
                    | '>'
                    | '{'
                    | '}'
                    | '|'
                    | '"'
                    | '\''
                    | '$'
                    | '='
                    | ','
                    | ';'
                    | '!'
                    | '@'
                    | '^'
                    | '`'
                    | ':'
                    | '\\'
                    | '…'
            )
    };
    if plain.chars().any(forbidden) || plain.contains("...") || plain.contains("YYYY") {
        return false;
    }
    if !plain.chars().any(|c| c.is_alphanumeric()) && !matches!(s, "." | ".." | "./" | "../") {
        return false;
    }
    s.contains('/') || has_path_extension(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(text: &str, bare: bool) -> Vec<(u32, String, Style)> {
        scan(text, bare)
            .into_iter()
            .map(|m| (m.line, m.path.into_owned(), m.style))
            .collect()
    }

    #[test]
    fn urls_in_links_footnotes_and_prose_outside_fences() {
        let text = "See [a](https://a.example/x) and https://b.example/y.\n\
                    [^1]: https://c.example/z\n\
                    (from https://d.example/p_(q))\n\
                    ```\nhttps://fenced.example\n```\n";
        assert_eq!(
            scan_urls(text),
            [
                (1, "https://a.example/x".to_string()),
                (1, "https://b.example/y".to_string()),
                (2, "https://c.example/z".to_string()),
                (3, "https://d.example/p_(q)".to_string()),
            ]
        );
    }

    #[test]
    fn links_code_and_definitions() {
        let text = "See [a](docs/a.md#top) and ![i](img/x.png \"t\").\n\
                    Run `cargo test` then read `ops/RUN.md:12`.\n\
                    [ref]: <notes/my%20file.md>\n\
                    [^1]: a footnote, not a link\n\
                    [web](https://example.com) [mail](mailto:a@b) [anchor](#x) `http://x/y`\n";
        assert_eq!(
            paths(text, false),
            vec![
                (1, "docs/a.md".into(), Style::Link),
                (1, "img/x.png".into(), Style::Link),
                (2, "ops/RUN.md".into(), Style::Code),
                (3, "notes/my file.md".into(), Style::Link),
            ]
        );
    }

    #[test]
    fn byte_ranges_point_at_the_path() {
        let text = "x\n[a](./b/c.md#h) `d/e.md`\n";
        for m in scan(text, false) {
            assert_eq!(&text[m.start..m.end], m.raw);
        }
        let m = &scan(text, false)[0];
        assert_eq!((m.raw.as_ref(), m.line), ("./b/c.md", 2));
    }

    #[test]
    fn fenced_code_is_ignored() {
        let text = "```sh\ncat `a/b.md` [x](c/d.md)\n```\n~~~\n`e/f.md`\n~~~\n`g/h.md`\n";
        assert_eq!(paths(text, true), vec![(7, "g/h.md".into(), Style::Code)]);
    }

    #[test]
    fn link_syntax_inside_code_is_not_a_link() {
        assert!(paths("`[x](missing.md)`", false).is_empty());
    }

    #[test]
    fn bare_words() {
        let text = "Read operations/MEMORY.md. Then notes.txt, and/or 1/2 of [x](y/z.md).\n\
                    Not https://a.b/c.md nor /etc/hosts nor memory/<date>/x.md; but memory/{today}/plan.md\n";
        assert_eq!(
            paths(text, true),
            vec![
                (1, "operations/MEMORY.md".into(), Style::Bare),
                (1, "notes.txt".into(), Style::Bare),
                (1, "and/or".into(), Style::Bare),
                (1, "y/z.md".into(), Style::Link),
                (2, "memory/{today}/plan.md".into(), Style::Bare),
            ]
        );
    }

    #[test]
    fn the_quick_path_rules_agree_with_the_full_ones() {
        let alphabet: Vec<char> = "aZ09./-_:~*?[](){}<>|\"'$=,;!@^`\\ \t\u{b}YéM…"
            .chars()
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut words: Vec<String> = [
            "..", "./", "a/.../b", "d/....md", "YYYY/x", "a/YYYYY", "YYY/x.md", "x.MD", "a/b",
        ]
        .map(String::from)
        .to_vec();
        for _ in 0..20_000 {
            let len = 1 + next() as usize % 8;
            words.push(
                (0..len)
                    .map(|_| alphabet[next() as usize % alphabet.len()])
                    .collect(),
            );
        }
        for w in &words {
            let quick = !w.is_empty()
                && !w.starts_with(['/', '~', '-'])
                && w.is_ascii()
                && !w.contains('{');
            if quick {
                assert_eq!(looks_like_path(w), looks_like_path_in_full(w), "{w:?}");
            }
        }
    }

    #[test]
    fn path_likeness() {
        for yes in [
            "a/b",
            "README.md",
            "x/",
            "../up.md",
            "memory/{today}/n.md",
            "C.YML",
        ] {
            assert!(looks_like_path(yes), "{yes}");
        }
        for no in [
            "cargo test",
            "main.rs",
            "*.md",
            "/etc/x",
            "~/x",
            "--a/b",
            "memory/YYYY-MM-DD/",
            "a/…",
            "a/{x}.md",
            "key: v",
            ".md",
            "https://x/y",
            "<a>/b",
        ] {
            assert!(!looks_like_path(no), "{no}");
        }
    }
}
