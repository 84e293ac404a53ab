//! Makes untrusted text (agent output, diff text, file names) safe to draw in a terminal.
//!
//! Everything an agent or a repository hands us is treated as hostile: a raw escape
//! sequence reaching the terminal could set the clipboard (OSC 52), plant a link
//! (OSC 8), retitle the window, move the cursor to overwrite what the supervisor reads,
//! or query the terminal so that it types a reply into our input. Bidi and zero-width
//! characters can make code read differently from what it does (Trojan Source). So all
//! text passes through here before it reaches the UI, which turns the [`Segment`]s into
//! styled spans; this module knows nothing of ratatui so that it stays testable alone.
//!
//! What happens to each kind of input:
//!
//! | input | output | counted in [`Findings`] |
//! | --- | --- | --- |
//! | SGR colour/attributes (`ESC [ … m`) | kept as the segment's [`SgrStyle`], no marker | no (unless malformed) |
//! | any other escape sequence: CSI, OSC, DCS, SOS, PM, APC, `ESC` + char, lone `ESC`, 8-bit C1 introducers (U+009B, U+009D, U+0090, U+0098, U+009E, U+009F), malformed SGR | removed, replaced by one [`REMOVED_MARKER`] `⟨esc⟩` per sequence | `escapes_removed` |
//! | C0 control (except tab and ESC) | its Control Picture, e.g. `␀` `␇` `␈` `␍` `␊` | `controls` |
//! | DEL | `␡` | `controls` |
//! | other C1 control, U+2028, U+2029 | `<U+0085>`-style text | `controls` |
//! | tab | spaces to the next multiple of [`TAB_WIDTH`] | no |
//! | bidi control | `<RLO>`, `<LRI>`, `<PDF>`, … | `bidi` |
//! | zero-width / invisible character | `<ZWSP>`, `<ZWJ>`, `<BOM>`, … or `<U+E0041>` | `zero_width` |
//! | cut of a long line | `…(+N more)`, N = hidden display columns (`…` alone if the limit is too narrow for that) | `truncated` |
//!
//! The removed-escape marker is `⟨esc⟩` (mathematical angle brackets, one column each)
//! rather than a reconstruction like `␛[…]`: it is short, is the same for every
//! sequence so hostile payloads (URLs, clipboard data, titles) never reach the screen
//! even in escaped form, and cannot be confused with text an agent printed itself,
//! since ASCII `<esc>` could be.
//!
//! Beyond the characters the design lists, the invisible "format" characters that are
//! known smuggling channels are flagged as zero-width too: Unicode tag characters
//! (U+E0000–U+E007F, used for "ASCII smuggling" into prompts), variation selectors
//! other than the emoji/text presentation selectors U+FE0E/U+FE0F, Hangul fillers,
//! invisible math operators, soft hyphen and the like. Text that sets the foreground
//! and background to the same colour would be invisible, so in that case the
//! background is dropped (best effort: near-identical colours are not detected).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The marker shown once for each removed escape sequence.
pub const REMOVED_MARKER: &str = "⟨esc⟩";

/// Tabs expand to spaces up to the next multiple of this many columns.
pub const TAB_WIDTH: usize = 4;

/// The truncation marker used when the width limit is too narrow for the full one.
const SHORT_TRUNCATION_MARKER: &str = "…";

/// Longest SGR parameter string honoured; real programs stay far below it, and
/// capping it bounds the work a hostile sequence can cause.
const MAX_SGR_PARAMS: usize = 256;

/// A colour from SGR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Color {
    /// A palette colour 0–255; the 16 basic ones are 0–15 (8–15 being the bright ones).
    Indexed(u8),
    /// A truecolor value.
    Rgb(u8, u8, u8),
}

/// Text attributes kept from SGR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SgrStyle {
    /// Foreground colour; `None` is the terminal default.
    pub fg: Option<Color>,
    /// Background colour; `None` is the terminal default.
    pub bg: Option<Color>,
    /// SGR 1.
    pub bold: bool,
    /// SGR 2.
    pub dim: bool,
    /// SGR 3.
    pub italic: bool,
    /// SGR 4 (any underline style).
    pub underline: bool,
    /// SGR 7.
    pub reverse: bool,
}

/// What a piece of sanitized text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Ordinary text, with the colour the source asked for.
    Text(SgrStyle),
    /// A visible marker for a control character: a Control Picture (U+2400–U+2421) for C0 and DEL, `<U+0085>`-style text for C1.
    Control,
    /// A marker for a bidi control, e.g. `<RLO>`.
    Bidi,
    /// A marker for a zero-width or otherwise invisible character, e.g. `<ZWJ>`.
    ZeroWidth,
    /// The marker [`REMOVED_MARKER`] standing for one removed escape sequence.
    Removed,
    /// The marker at a cut, e.g. `…(+1234 more)`.
    Truncated,
}

/// A run of sanitized text of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The text to show; never holds a control, bidi or zero-width character.
    pub text: String,
    /// What the text is, so the UI can style it.
    pub kind: Kind,
}

/// What was found while sanitizing, for a warning on the turn or file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Findings {
    /// Escape sequences removed (malformed SGR included, valid SGR not).
    pub escapes_removed: usize,
    /// Control characters shown as markers (expanded tabs and CRLF line ends not counted).
    pub controls: usize,
    /// Bidi controls shown as markers.
    pub bidi: usize,
    /// Zero-width or invisible characters shown as markers.
    pub zero_width: usize,
    /// Whether a line was cut at the width limit.
    pub truncated: bool,
}

impl Findings {
    /// Whether the text tried something a reader should be warned about.
    pub fn is_suspicious(&self) -> bool {
        self.bidi > 0 || self.zero_width > 0 || self.escapes_removed > 0
    }

    /// Adds another line's findings to these.
    pub fn merge(&mut self, other: Findings) {
        // Saturating so that summing findings over huge outputs can never panic.
        self.escapes_removed = self.escapes_removed.saturating_add(other.escapes_removed);
        self.controls = self.controls.saturating_add(other.controls);
        self.bidi = self.bidi.saturating_add(other.bidi);
        self.zero_width = self.zero_width.saturating_add(other.zero_width);
        self.truncated |= other.truncated;
    }
}

/// One sanitized line, ready to be turned into styled spans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafeLine {
    /// The pieces of the line in order; adjacent pieces of the same kind are merged.
    pub segments: Vec<Segment>,
    /// What was found on this line, including any part cut off.
    pub findings: Findings,
}

impl SafeLine {
    /// The segments' text concatenated.
    pub fn plain(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }

    /// Display width in terminal columns, as the UI will measure it span by span.
    pub fn width(&self) -> usize {
        self.segments.iter().map(|s| s.text.width()).sum()
    }
}

/// Sanitizes one line (no '\n' expected; a '\r' or '\n' inside is shown as a control marker). Cut to `max_width` display columns (0 = no limit), ending with a Truncated marker.
pub fn sanitize_line(input: &str, max_width: usize) -> SafeLine {
    sanitize_with(input, max_width, true)
}

/// Sanitizes text that may hold many lines (split on '\n', a trailing '\r' of a CRLF line end dropped silently), one SafeLine each; a final '\n' does not start an empty line and "" gives none. SGR state does not carry across lines (each line starts plain).
pub fn sanitize_text(input: &str, max_width: usize) -> Vec<SafeLine> {
    let mut lines = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        match rest.find('\n') {
            Some(end) => {
                let line = &rest[..end];
                // Only a '\r' right before '\n' is a line end; any other is shown.
                let line = line.strip_suffix('\r').unwrap_or(line);
                lines.push(sanitize_line(line, max_width));
                rest = &rest[end + 1..];
            }
            None => {
                lines.push(sanitize_line(rest, max_width));
                break;
            }
        }
    }
    lines
}

/// Bytes that may not be UTF-8 (agent output): invalid sequences become U+FFFD, then as [`sanitize_text`].
pub fn sanitize_bytes(input: &[u8], max_width: usize) -> Vec<SafeLine> {
    sanitize_text(&String::from_utf8_lossy(input), max_width)
}

/// A file name or other short label made safe as plain text: markers inline, no styles, no width limit; even valid SGR shows as a removed-escape marker, since an escape in a name is itself worth seeing.
pub fn plain(input: &str) -> String {
    sanitize_with(input, 0, false).plain()
}

/// Like [`plain`], with what was found, for output layers that warn when
/// something was hidden.
pub fn plain_line(input: &str) -> SafeLine {
    sanitize_with(input, 0, false)
}

/// Whether `c` is a character a terminal could act on or a reader could not
/// see: C0 and C1 controls, DEL, line and paragraph separators, bidi
/// controls and zero-width or invisible characters. Output that must keep
/// text byte-for-byte (JSON) escapes these instead of showing markers.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}')
        || bidi_name(c).is_some()
        || invisible_marker(c).is_some()
}

fn sanitize_with(input: &str, max_width: usize, keep_sgr: bool) -> SafeLine {
    let mut b = Builder::new(max_width, keep_sgr);
    let mut cur = Cursor { rest: input };
    while let Some(c) = cur.bump() {
        match c {
            '\x1b' => b.escape(&mut cur),
            // 8-bit CSI is never honoured as colour: UTF-8 text has no business
            // carrying it, so it is removed like any other sequence.
            '\u{9b}' => b.csi(&mut cur, false),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => b.string_sequence(&mut cur),
            '\t' => b.tab(),
            '\0'..='\x1f' => b.control(&control_picture(c).to_string()),
            '\x7f' => b.control("\u{2421}"),
            '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' => {
                b.control(&format!("<U+{:04X}>", u32::from(c)))
            }
            _ => {
                if let Some(name) = bidi_name(c) {
                    b.bidi(name);
                } else if let Some(marker) = invisible_marker(c) {
                    b.zero_width(&marker);
                } else {
                    b.text(c);
                }
            }
        }
    }
    b.finish()
}

/// The Control Picture (U+2400–U+241F) for a C0 control character.
fn control_picture(c: char) -> char {
    char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{FFFD}')
}

/// The short name of a bidi control character.
fn bidi_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{202a}' => "LRE",
        '\u{202b}' => "RLE",
        '\u{202c}' => "PDF",
        '\u{202d}' => "LRO",
        '\u{202e}' => "RLO",
        '\u{2066}' => "LRI",
        '\u{2067}' => "RLI",
        '\u{2068}' => "FSI",
        '\u{2069}' => "PDI",
        '\u{200e}' => "LRM",
        '\u{200f}' => "RLM",
        '\u{061c}' => "ALM",
        _ => return None,
    })
}

/// The marker for a zero-width or invisible character, if `c` is one.
fn invisible_marker(c: char) -> Option<String> {
    let name = match c {
        '\u{200b}' => "ZWSP",
        '\u{200c}' => "ZWNJ",
        '\u{200d}' => "ZWJ",
        '\u{2060}' => "WJ",
        '\u{feff}' => "BOM",
        '\u{180e}' => "MVS",
        '\u{00ad}' => "SHY",
        '\u{034f}' => "CGJ",
        // Characters that draw as nothing (or as blank space indistinguishable from
        // a space) and so can hide content or make look-alike identifiers.
        '\u{115f}'
        | '\u{1160}'
        | '\u{17b4}'
        | '\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{2061}'..='\u{2064}'
        | '\u{206a}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0d}'
        | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e007f}'
        | '\u{e0100}'..='\u{e01ef}' => return Some(format!("<U+{:04X}>", u32::from(c))),
        _ => return None,
    };
    Some(format!("<{name}>"))
}

/// A read position in the input, with the two-character look-ahead that
/// string terminators (`ESC \`) need.
struct Cursor<'a> {
    rest: &'a str,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest.chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.rest = &self.rest[c.len_utf8()..];
        Some(c)
    }
}

/// Collects the pieces of one line while tracking style, width and findings.
struct Builder {
    /// Text runs and atomic markers; markers are never merged here so that a cut
    /// never splits one.
    pieces: Vec<Segment>,
    findings: Findings,
    /// Width limit; 0 = none.
    limit: usize,
    /// Columns held in `pieces`; once past `limit` nothing more is stored, since it
    /// could not be shown, but the rest is still scanned for findings.
    stored: usize,
    /// Columns of the whole line so far, for tab stops and the truncation count.
    col: usize,
    style: SgrStyle,
    keep_sgr: bool,
}

impl Builder {
    fn new(limit: usize, keep_sgr: bool) -> Self {
        Builder {
            pieces: Vec::new(),
            findings: Findings::default(),
            limit,
            stored: 0,
            col: 0,
            style: SgrStyle::default(),
            keep_sgr,
        }
    }

    fn storing(&self) -> bool {
        self.limit == 0 || self.stored <= self.limit
    }

    fn text(&mut self, c: char) {
        let w = c.width().unwrap_or(0);
        if self.storing() {
            let kind = Kind::Text(visible(self.style));
            match self.pieces.last_mut() {
                Some(last) if last.kind == kind => last.text.push(c),
                _ => self.pieces.push(Segment {
                    text: c.to_string(),
                    kind,
                }),
            }
            self.stored += w;
        }
        self.col += w;
    }

    fn marker(&mut self, text: &str, kind: Kind) {
        let w = text.width();
        if self.storing() {
            self.pieces.push(Segment {
                text: text.to_string(),
                kind,
            });
            self.stored += w;
        }
        self.col += w;
    }

    fn tab(&mut self) {
        for _ in 0..TAB_WIDTH - self.col % TAB_WIDTH {
            self.text(' ');
        }
    }

    fn control(&mut self, marker: &str) {
        self.findings.controls += 1;
        self.marker(marker, Kind::Control);
    }

    fn bidi(&mut self, name: &str) {
        self.findings.bidi += 1;
        self.marker(&format!("<{name}>"), Kind::Bidi);
    }

    fn zero_width(&mut self, marker: &str) {
        self.findings.zero_width += 1;
        self.marker(marker, Kind::ZeroWidth);
    }

    fn removed(&mut self) {
        self.findings.escapes_removed += 1;
        self.marker(REMOVED_MARKER, Kind::Removed);
    }

    /// Handles what follows an ESC (already consumed).
    fn escape(&mut self, cur: &mut Cursor) {
        match cur.peek() {
            Some('[') => {
                cur.bump();
                self.csi(cur, true);
            }
            Some(']' | 'P' | 'X' | '^' | '_') => {
                cur.bump();
                self.string_sequence(cur);
            }
            Some(' '..='/') => {
                // nF sequence (charset designation and the like): intermediates
                // then one final byte.
                while matches!(cur.peek(), Some(' '..='/')) {
                    cur.bump();
                }
                if matches!(cur.peek(), Some('0'..='~')) {
                    cur.bump();
                }
                self.removed();
            }
            Some('0'..='~') => {
                cur.bump();
                self.removed();
            }
            // A lone ESC: removed, and whatever follows is handled on its own, so a
            // control or a new ESC right after it still gets its own treatment.
            _ => self.removed(),
        }
    }

    /// Handles a control sequence after its introducer; only a well-formed 7-bit
    /// SGR (`may_style`) can become a style, everything else is removed.
    fn csi(&mut self, cur: &mut Cursor, may_style: bool) {
        let mut params = String::new();
        let mut intermediates = false;
        let mut malformed = false;
        let final_byte = loop {
            match cur.peek() {
                Some(c @ '0'..='?') => {
                    cur.bump();
                    if intermediates || params.len() >= MAX_SGR_PARAMS {
                        malformed = true;
                    } else {
                        params.push(c);
                    }
                }
                Some(' '..='/') => {
                    cur.bump();
                    intermediates = true;
                }
                Some(c @ '@'..='~') => {
                    cur.bump();
                    break Some(c);
                }
                // Interrupted (by a control, ESC, non-ASCII or the line end): the
                // sequence ends here and the interrupting character is handled
                // normally, which is what a terminal does and hides the least.
                _ => break None,
            }
        };
        if final_byte == Some('m')
            && may_style
            && self.keep_sgr
            && !intermediates
            && !malformed
            && let Some(style) = apply_sgr(&params, self.style)
        {
            self.style = style;
            return;
        }
        self.removed();
    }

    /// Swallows an OSC, DCS, SOS, PM or APC string after its introducer. It ends at
    /// BEL, ST (`ESC \` or U+009C) or the line end; any other ESC aborts it, as in
    /// xterm, and is then handled as the start of a new sequence.
    fn string_sequence(&mut self, cur: &mut Cursor) {
        loop {
            match cur.peek() {
                None => break,
                Some('\x07' | '\u{9c}') => {
                    cur.bump();
                    break;
                }
                Some('\x1b') => {
                    if cur.peek2() == Some('\\') {
                        cur.bump();
                        cur.bump();
                    }
                    break;
                }
                Some(_) => {
                    cur.bump();
                }
            }
        }
        self.removed();
    }

    fn finish(self) -> SafeLine {
        let mut findings = self.findings;
        let limit = self.limit;
        let total = self.col;
        let pieces = self.pieces;
        // The per-character sum can understate a string's width (emoji presentation
        // sequences), so the stored text is measured too; it is all stored whenever
        // the sum is within the limit.
        let must_cut = limit != 0
            && (total > limit || pieces.iter().map(|p| p.text.width()).sum::<usize>() > limit);
        if !must_cut {
            return SafeLine {
                segments: merge(pieces),
                findings,
            };
        }
        findings.truncated = true;
        // Reserve room for the longest count the marker could show, so the final
        // marker (whose count is at most `total`) always fits.
        let reserve = truncation_marker(total.max(1)).width();
        let (budget, short) = if limit >= reserve {
            (limit - reserve, false)
        } else {
            (limit - SHORT_TRUNCATION_MARKER.width(), true)
        };
        let (mut kept, used) = cut(pieces, budget);
        let text = if short {
            SHORT_TRUNCATION_MARKER.to_string()
        } else {
            truncation_marker(total.saturating_sub(used).max(1))
        };
        kept.push(Segment {
            text,
            kind: Kind::Truncated,
        });
        SafeLine {
            segments: merge(kept),
            findings,
        }
    }
}

fn truncation_marker(hidden: usize) -> String {
    format!("…(+{hidden} more)")
}

/// Keeps the leading pieces that fit in `budget` columns, splitting text by
/// character but never splitting a marker; returns them with their width.
fn cut(pieces: Vec<Segment>, budget: usize) -> (Vec<Segment>, usize) {
    let mut out = Vec::new();
    let mut used = 0;
    for piece in pieces {
        if !matches!(piece.kind, Kind::Text(_)) {
            let w = piece.text.width();
            if used + w > budget {
                break;
            }
            used += w;
            out.push(piece);
            continue;
        }
        let mut kept = String::new();
        let mut sum = 0;
        let mut whole = true;
        for c in piece.text.chars() {
            let w = c.width().unwrap_or(0);
            if used + sum + w > budget {
                whole = false;
                break;
            }
            kept.push(c);
            sum += w;
        }
        // The string can measure wider than its characters' sum; trim until the
        // width the UI will measure fits too.
        while used + kept.width() > budget {
            kept.pop();
            whole = false;
        }
        used += kept.width();
        if !kept.is_empty() {
            out.push(Segment {
                text: kept,
                kind: piece.kind,
            });
        }
        if !whole {
            break;
        }
    }
    (out, used)
}

/// Joins adjacent segments of the same kind, so the UI makes fewer spans.
fn merge(pieces: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        match out.last_mut() {
            Some(last) if last.kind == piece.kind => last.text.push_str(&piece.text),
            _ => out.push(piece),
        }
    }
    out
}

/// The style as shown: text whose foreground equals its background would be
/// invisible, a way to hide content from the supervisor, so the background goes.
fn visible(mut style: SgrStyle) -> SgrStyle {
    if style.fg.is_some() && style.fg == style.bg {
        style.bg = None;
    }
    style
}

/// Applies an SGR parameter string to `style`; `None` if it is malformed, in which
/// case none of it applies.
fn apply_sgr(params: &str, style: SgrStyle) -> Option<SgrStyle> {
    if params
        .bytes()
        .any(|b| matches!(b, b'<' | b'=' | b'>' | b'?'))
    {
        // Private-parameter sequences ending in 'm' (e.g. xterm's `CSI > 4 ; 2 m`)
        // are not colours.
        return None;
    }
    let mut s = style;
    let groups: Vec<&str> = params.split(';').collect();
    let mut i = 0;
    while i < groups.len() {
        let mut subs = groups[i].split(':');
        let code = number(subs.next().unwrap_or(""))?;
        let subs: Vec<&str> = subs.collect();
        if !subs.is_empty() {
            match code {
                4 => {
                    if subs.len() != 1 {
                        return None;
                    }
                    // 4:0 is "no underline"; 4:1–4:5 are underline styles.
                    s.underline = number(subs[0])? != 0;
                }
                38 => s.fg = Some(colon_color(&subs)?),
                48 => s.bg = Some(colon_color(&subs)?),
                // Underline colour: checked but not kept.
                58 => {
                    colon_color(&subs)?;
                }
                _ => return None,
            }
            i += 1;
            continue;
        }
        match code {
            0 => s = SgrStyle::default(),
            1 => s.bold = true,
            2 => s.dim = true,
            3 => s.italic = true,
            4 => s.underline = true,
            7 => s.reverse = true,
            22 => {
                s.bold = false;
                s.dim = false;
            }
            23 => s.italic = false,
            24 => s.underline = false,
            27 => s.reverse = false,
            30..=37 => s.fg = Some(Color::Indexed((code - 30) as u8)),
            39 => s.fg = None,
            40..=47 => s.bg = Some(Color::Indexed((code - 40) as u8)),
            49 => s.bg = None,
            90..=97 => s.fg = Some(Color::Indexed((code - 90 + 8) as u8)),
            100..=107 => s.bg = Some(Color::Indexed((code - 100 + 8) as u8)),
            38 | 48 | 58 => {
                let (color, used) = semicolon_color(&groups[i + 1..])?;
                match code {
                    38 => s.fg = Some(color),
                    48 => s.bg = Some(color),
                    _ => {}
                }
                i += used;
            }
            // Other valid attributes (blink, conceal, strike-through, fonts, …) are
            // ignored: the text stays plainly visible, which conceal would defeat.
            _ => {}
        }
        i += 1;
    }
    Some(s)
}

/// A decimal SGR parameter; empty means 0. `None` if not a plain short number.
fn number(text: &str) -> Option<u16> {
    if text.is_empty() {
        return Some(0);
    }
    if text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A colour channel or palette index 0–255.
fn byte(text: &str) -> Option<u8> {
    u8::try_from(number(text)?).ok()
}

/// An extended colour in the `38;5;n` / `38;2;r;g;b` form; returns it and how many
/// parameter groups it used after the 38/48/58.
fn semicolon_color(rest: &[&str]) -> Option<(Color, usize)> {
    let arg = |k: usize| -> Option<u8> {
        let text = rest.get(k)?;
        if text.contains(':') {
            return None;
        }
        byte(text)
    };
    let selector = rest.first()?;
    if selector.contains(':') {
        return None;
    }
    match number(selector)? {
        5 => Some((Color::Indexed(arg(1)?), 2)),
        2 => Some((Color::Rgb(arg(1)?, arg(2)?, arg(3)?), 4)),
        _ => None,
    }
}

/// An extended colour in the `38:5:n` / `38:2:r:g:b` / `38:2:cs:r:g:b[:…]` form.
fn colon_color(subs: &[&str]) -> Option<Color> {
    let selector = number(subs.first()?)?;
    match (selector, subs.len()) {
        (5, 2) => Some(Color::Indexed(byte(subs[1])?)),
        (2, 4) => Some(Color::Rgb(byte(subs[1])?, byte(subs[2])?, byte(subs[3])?)),
        // ITU T.416 puts a colour-space id first (often empty, as in `38:2::r:g:b`)
        // and may append tolerance fields, which are ignored.
        (2, 5..=7) => Some(Color::Rgb(byte(subs[2])?, byte(subs[3])?, byte(subs[4])?)),
        _ => None,
    }
}

/// Replaces, inside serialized JSON, every character a terminal or a reader
/// could be fooled by with its `\uXXXX` escape (two for a character outside
/// the BMP). Such characters only occur inside JSON strings, where an escape
/// means the same character, so the value is unchanged.
pub fn escape_json(json: String) -> String {
    if json
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) || b == b'\n')
    {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && is_hidden_char(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: Option<Color> = Some(Color::Indexed(1));

    fn style() -> SgrStyle {
        SgrStyle::default()
    }

    /// Characters that must never appear raw in output; listed here independently of
    /// the tables under test so that a gap in those tables fails the tests.
    fn forbidden(c: char) -> bool {
        c.is_control() // C0, DEL, C1
            || matches!(
                c,
                '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{200e}'
                    | '\u{200f}'
                    | '\u{061c}'
                    | '\u{200b}'..='\u{200d}'
                    | '\u{2060}'
                    | '\u{feff}'
                    | '\u{180e}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{e0000}'..='\u{e007f}'
            )
    }

    fn assert_clean(line: &SafeLine) {
        for seg in &line.segments {
            if let Some(c) = seg.text.chars().find(|&c| forbidden(c)) {
                panic!("raw U+{:04X} in {:?}", u32::from(c), line);
            }
        }
    }

    fn one(input: &str) -> SafeLine {
        let line = sanitize_line(input, 0);
        assert_clean(&line);
        line
    }

    fn removed_only(input: &str, expected_plain: &str, removed: usize) {
        let line = one(input);
        assert_eq!(line.plain(), expected_plain, "input {input:?}");
        assert_eq!(line.findings.escapes_removed, removed, "input {input:?}");
        assert!(line.findings.is_suspicious());
        assert_eq!(line.findings.controls, 0, "input {input:?}");
    }

    #[test]
    fn osc52_clipboard_write_is_removed_with_its_payload() {
        removed_only("a\x1b]52;c;SGVsbG8=\x07b", "a⟨esc⟩b", 1);
        removed_only("\x1b]52;c;SGVsbG8=\x1b\\", "⟨esc⟩", 1);
    }

    #[test]
    fn osc8_link_keeps_text_and_drops_target() {
        let line = one("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\");
        assert_eq!(line.plain(), "⟨esc⟩click⟨esc⟩");
        assert!(!line.plain().contains("evil"));
        assert_eq!(line.findings.escapes_removed, 2);
        assert_eq!(
            line.segments[1],
            Segment {
                text: "click".into(),
                kind: Kind::Text(style())
            }
        );
        assert_eq!(line.segments[0].kind, Kind::Removed);
    }

    #[test]
    fn title_sets_are_removed() {
        removed_only("\x1b]0;pwned\x07ok", "⟨esc⟩ok", 1);
        removed_only("\x1b]2;x\x1b\\ok", "⟨esc⟩ok", 1);
        // Terminated by the 8-bit ST.
        removed_only("\x1b]2;x\u{9c}ok", "⟨esc⟩ok", 1);
    }

    #[test]
    fn unterminated_osc_swallows_to_end_of_line_only() {
        removed_only("a\x1b]0;title that never ends", "a⟨esc⟩", 1);
        let lines = sanitize_text("a\x1b]0;never ends\nnext line", 0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].plain(), "a⟨esc⟩");
        assert_eq!(lines[1].plain(), "next line");
    }

    #[test]
    fn osc_aborted_by_another_escape_removes_both() {
        // The ESC [ inside the OSC is not ST: the OSC ends and the CSI is removed too.
        removed_only("\x1b]0;x\x1b[2Jy", "⟨esc⟩⟨esc⟩y", 2);
    }

    #[test]
    fn cursor_and_screen_sequences_are_removed() {
        for seq in [
            "\x1b[2J",
            "\x1b[H",
            "\x1b[10;10H",
            "\x1b[?1049h",
            "\x1b[6n",
            "\x1b[1;24r",
            "\x1b[3A",
            "\x1b[K",
            "\x1b[0 q",
            "\x1b[>c",
        ] {
            removed_only(&format!("x{seq}y"), "x⟨esc⟩y", 1);
        }
    }

    #[test]
    fn device_control_and_other_strings_are_removed() {
        removed_only("a\x1bP1$r0m\x1b\\b", "a⟨esc⟩b", 1);
        removed_only("a\x1bXsos\x1b\\b", "a⟨esc⟩b", 1);
        removed_only("a\x1b^pm\x1b\\b", "a⟨esc⟩b", 1);
        removed_only("a\x1b_apc\x1b\\b", "a⟨esc⟩b", 1);
        removed_only("a\u{90}dcs\u{9c}b", "a⟨esc⟩b", 1);
    }

    #[test]
    fn eight_bit_c1_introducers_are_removed_not_styled() {
        let line = one("\u{9b}31mred");
        assert_eq!(line.plain(), "⟨esc⟩red");
        assert_eq!(line.segments[1].kind, Kind::Text(style()));
        assert_eq!(line.findings.escapes_removed, 1);
        removed_only("\u{9d}0;x\u{7}after", "⟨esc⟩after", 1);
        removed_only("\u{9f}apc\u{9c}z", "⟨esc⟩z", 1);
    }

    #[test]
    fn other_c1_controls_become_code_markers() {
        let line = one("a\u{85}b\u{9c}c\u{80}");
        assert_eq!(line.plain(), "a<U+0085>b<U+009C>c<U+0080>");
        assert_eq!(line.findings.controls, 3);
        assert_eq!(line.segments[1].kind, Kind::Control);
        assert!(!line.findings.is_suspicious());
    }

    #[test]
    fn bare_escape_is_removed() {
        removed_only("\x1bcX", "⟨esc⟩X", 1);
        removed_only("a\x1b", "a⟨esc⟩", 1);
        removed_only("\x1b7\x1b8", "⟨esc⟩⟨esc⟩", 2);
        removed_only("\x1b(Bok", "⟨esc⟩ok", 1);
        removed_only("\x1b#8ok", "⟨esc⟩ok", 1);
        removed_only("\x1bé", "⟨esc⟩é", 1);
        removed_only("\x1b\x1b[2J", "⟨esc⟩⟨esc⟩", 2);
        // A control right after ESC keeps its own marker.
        let line = one("\x1b\x07");
        assert_eq!(line.plain(), "⟨esc⟩␇");
        assert_eq!(line.findings.escapes_removed, 1);
        assert_eq!(line.findings.controls, 1);
    }

    #[test]
    fn interrupted_csi_is_removed_and_the_interrupter_shown() {
        let line = one("\x1b[1\x07X");
        assert_eq!(line.plain(), "⟨esc⟩␇X");
        assert_eq!(line.segments[2].kind, Kind::Text(style()));
        removed_only("\x1b[31", "⟨esc⟩", 1);
        removed_only("\x1b[", "⟨esc⟩", 1);
    }

    #[test]
    fn c0_controls_and_del_become_control_pictures() {
        let line = one("bell\x07 bs a\x08_ nul\0 del\x7f esc-less\x1a");
        assert_eq!(line.plain(), "bell␇ bs a␈_ nul␀ del␡ esc-less␚");
        assert_eq!(line.findings.controls, 5);
        assert_eq!(line.findings.escapes_removed, 0);
        assert!(!line.findings.is_suspicious());
        assert!(
            line.segments
                .iter()
                .filter(|s| s.kind == Kind::Control)
                .all(|s| s
                    .text
                    .chars()
                    .all(|c| ('\u{2400}'..='\u{2421}').contains(&c)))
        );
    }

    #[test]
    fn carriage_return_mid_line_is_shown() {
        let line = one("rm -rf build\rcargo test   ");
        assert_eq!(line.plain(), "rm -rf build␍cargo test   ");
        assert_eq!(line.findings.controls, 1);
        let line = one("a\nb");
        assert_eq!(line.plain(), "a␊b");
    }

    #[test]
    fn line_and_paragraph_separators_are_shown() {
        let line = one("a\u{2028}b\u{2029}");
        assert_eq!(line.plain(), "a<U+2028>b<U+2029>");
        assert_eq!(line.findings.controls, 2);
    }

    #[test]
    fn trojan_source_bidi_is_marked() {
        let src = "/*\u{202e} } \u{2066}if (isAdmin)\u{2069} \u{2066} begin admins only */";
        let line = one(src);
        assert_eq!(
            line.plain(),
            "/*<RLO> } <LRI>if (isAdmin)<PDI> <LRI> begin admins only */"
        );
        assert_eq!(line.findings.bidi, 4);
        assert!(line.findings.is_suspicious());
        assert_eq!(
            line.segments
                .iter()
                .filter(|s| s.kind == Kind::Bidi)
                .count(),
            4
        );
        let all = one("\u{202a}\u{202b}\u{202c}\u{202d}\u{2067}\u{2068}\u{200e}\u{200f}\u{61c}");
        assert_eq!(all.plain(), "<LRE><RLE><PDF><LRO><RLI><FSI><LRM><RLM><ALM>");
        assert_eq!(all.findings.bidi, 9);
        assert_eq!(all.segments.len(), 1);
    }

    #[test]
    fn zero_width_in_identifier_is_marked() {
        let line = one("if is\u{200d}Admin { grant(\u{200b}) }");
        assert_eq!(line.plain(), "if is<ZWJ>Admin { grant(<ZWSP>) }");
        assert_eq!(line.findings.zero_width, 2);
        assert!(line.findings.is_suspicious());
        assert_eq!(line.segments[1].kind, Kind::ZeroWidth);
        let all = one("\u{200c}\u{2060}\u{180e}");
        assert_eq!(all.plain(), "<ZWNJ><WJ><MVS>");
    }

    #[test]
    fn bom_is_marked() {
        let line = one("\u{feff}fn main() {}");
        assert_eq!(line.plain(), "<BOM>fn main() {}");
        assert_eq!(line.findings.zero_width, 1);
        assert_eq!(line.segments[0].kind, Kind::ZeroWidth);
    }

    #[test]
    fn smuggling_characters_are_marked() {
        // "hi" in Unicode tag characters, as used to hide instructions in prompts.
        let line = one("ok\u{e0068}\u{e0069}");
        assert_eq!(line.plain(), "ok<U+E0068><U+E0069>");
        assert_eq!(line.findings.zero_width, 2);
        let line = one("x\u{3164}y\u{fe00}\u{e0100}\u{ad}");
        assert_eq!(line.plain(), "x<U+3164>y<U+FE00><U+E0100><SHY>");
        // Emoji presentation selectors are ordinary text.
        let line = one("\u{26a0}\u{fe0f} warn");
        assert_eq!(line.plain(), "\u{26a0}\u{fe0f} warn");
        assert!(!line.findings.is_suspicious());
    }

    #[test]
    fn sgr_basic_colours_are_kept() {
        let line = one("\x1b[31;42mX\x1b[39mY\x1b[49mZ");
        assert_eq!(line.plain(), "XYZ");
        assert_eq!(line.findings, Findings::default());
        let kinds: Vec<Kind> = line.segments.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Text(SgrStyle {
                    fg: RED,
                    bg: Some(Color::Indexed(2)),
                    ..style()
                }),
                Kind::Text(SgrStyle {
                    bg: Some(Color::Indexed(2)),
                    ..style()
                }),
                Kind::Text(style()),
            ]
        );
        let line = one("\x1b[97;104mB");
        assert_eq!(
            line.segments[0].kind,
            Kind::Text(SgrStyle {
                fg: Some(Color::Indexed(15)),
                bg: Some(Color::Indexed(12)),
                ..style()
            })
        );
    }

    #[test]
    fn sgr_256_and_truecolor_are_kept() {
        let line = one("\x1b[38;5;208;48;5;17mA");
        assert_eq!(
            line.segments[0].kind,
            Kind::Text(SgrStyle {
                fg: Some(Color::Indexed(208)),
                bg: Some(Color::Indexed(17)),
                ..style()
            })
        );
        let line = one("\x1b[38;2;255;128;0;48;2;0;0;64mA");
        assert_eq!(
            line.segments[0].kind,
            Kind::Text(SgrStyle {
                fg: Some(Color::Rgb(255, 128, 0)),
                bg: Some(Color::Rgb(0, 0, 64)),
                ..style()
            })
        );
        let line = one("\x1b[38:2::255:0:0m\x1b[48:5:33mA\x1b[38:2:1:2:3mB");
        assert_eq!(
            line.segments[0].kind,
            Kind::Text(SgrStyle {
                fg: Some(Color::Rgb(255, 0, 0)),
                bg: Some(Color::Indexed(33)),
                ..style()
            })
        );
        assert_eq!(
            line.segments[1].kind,
            Kind::Text(SgrStyle {
                fg: Some(Color::Rgb(1, 2, 3)),
                bg: Some(Color::Indexed(33)),
                ..style()
            })
        );
        assert_eq!(line.findings, Findings::default());
    }

    #[test]
    fn sgr_attributes_and_resets() {
        let line = one("\x1b[1mB\x1b[0mN\x1b[2;3;4;7mX\x1b[22;23;24;27mY\x1b[1;31mZ\x1b[mW");
        let kinds: Vec<Kind> = line.segments.iter().map(|s| s.kind).collect();
        assert_eq!(line.plain(), "BNXYZW");
        assert_eq!(
            kinds,
            vec![
                Kind::Text(SgrStyle {
                    bold: true,
                    ..style()
                }),
                Kind::Text(style()),
                Kind::Text(SgrStyle {
                    dim: true,
                    italic: true,
                    underline: true,
                    reverse: true,
                    ..style()
                }),
                Kind::Text(style()),
                Kind::Text(SgrStyle {
                    bold: true,
                    fg: RED,
                    ..style()
                }),
                Kind::Text(style()),
            ]
        );
        // Empty parameters mean 0; unsupported attributes (blink, conceal) are ignored.
        let line = one("\x1b[1;;3mA\x1b[5;8;9mB\x1b[4:3mC\x1b[4:0mD");
        assert_eq!(
            line.segments[0].kind,
            Kind::Text(SgrStyle {
                italic: true,
                ..style()
            })
        );
        assert_eq!(line.segments[0].text, "AB");
        assert_eq!(
            line.segments[1].kind,
            Kind::Text(SgrStyle {
                italic: true,
                underline: true,
                ..style()
            })
        );
        assert_eq!(
            line.segments[2].kind,
            Kind::Text(SgrStyle {
                italic: true,
                ..style()
            })
        );
        assert_eq!(line.findings, Findings::default());
    }

    #[test]
    fn malformed_sgr_is_removed_without_style_change() {
        for seq in [
            "\x1b[38;5m",
            "\x1b[38;5;300m",
            "\x1b[38;2;1;2m",
            "\x1b[38;9;1m",
            "\x1b[1;38;2;1;2m",
            "\x1b[>4;2m",
            "\x1b[?1m",
            "\x1b[1$m",
            "\x1b[999999m",
            "\x1b[1:2m",
            "\x1b[38:2:1:2m",
            "\x1b[38;5:1m",
        ] {
            let line = one(&format!("\x1b[32m{seq}X"));
            assert_eq!(line.plain(), "⟨esc⟩X", "{seq:?}");
            assert_eq!(line.findings.escapes_removed, 1, "{seq:?}");
            assert_eq!(
                line.segments[1].kind,
                Kind::Text(SgrStyle {
                    fg: Some(Color::Indexed(2)),
                    ..style()
                }),
                "{seq:?}"
            );
        }
        let long = format!("\x1b[{}mX", "1;".repeat(MAX_SGR_PARAMS));
        assert_eq!(one(&long).plain(), "⟨esc⟩X");
    }

    #[test]
    fn same_foreground_and_background_drops_background() {
        let line = one("\x1b[30;40mhidden\x1b[38;2;9;9;9;48;2;9;9;9mhidden2");
        assert_eq!(
            line.segments[0].kind,
            Kind::Text(SgrStyle {
                fg: Some(Color::Indexed(0)),
                ..style()
            })
        );
        assert_eq!(
            line.segments[1].kind,
            Kind::Text(SgrStyle {
                fg: Some(Color::Rgb(9, 9, 9)),
                ..style()
            })
        );
    }

    #[test]
    fn tabs_expand_to_the_next_multiple_of_four() {
        assert_eq!(one("a\tb").plain(), "a   b");
        assert_eq!(one("\tx").plain(), "    x");
        assert_eq!(one("abcd\te").plain(), "abcd    e");
        // Columns count display width, markers included.
        assert_eq!(one("漢\tx").plain(), "漢  x");
        assert_eq!(one("\u{7}\tx").plain(), "␇   x");
        assert_eq!(one("a\tb").findings, Findings::default());
    }

    #[test]
    fn long_line_is_cut_with_marker() {
        let line = sanitize_line(&"a".repeat(100), 20);
        assert_eq!(line.plain(), format!("{}…(+92 more)", "a".repeat(8)));
        assert_eq!(line.width(), 19);
        assert!(line.findings.truncated);
        assert!(!line.findings.is_suspicious());
        assert_eq!(line.segments.last().map(|s| s.kind), Some(Kind::Truncated));
        // Exactly at the limit is not cut.
        let line = sanitize_line(&"a".repeat(20), 20);
        assert_eq!(line.plain(), "a".repeat(20));
        assert!(!line.findings.truncated);
    }

    #[test]
    fn cut_never_splits_a_wide_character() {
        let line = sanitize_line(&"漢".repeat(50), 15);
        assert_eq!(line.plain(), "漢…(+98 more)");
        assert_eq!(line.width(), 13);
        let line = sanitize_line(&"漢".repeat(50), 16);
        assert_eq!(line.plain(), "漢漢…(+96 more)");
        assert_eq!(line.width(), 15);
        for max in 1..40 {
            let line = sanitize_line(&format!("ab{}", "漢".repeat(30)), max);
            assert!(line.width() <= max, "{max}: {line:?}");
            assert!(line.findings.truncated);
        }
    }

    #[test]
    fn narrow_limit_uses_short_marker() {
        let line = sanitize_line("abcdefgh", 3);
        assert_eq!(line.plain(), "ab…");
        assert_eq!(line.width(), 3);
        assert_eq!(sanitize_line("abcdefgh", 1).plain(), "…");
    }

    #[test]
    fn cut_never_splits_a_marker_and_counts_hidden_findings() {
        let input = format!("{}\u{202e}{}", "a".repeat(5), "b".repeat(100));
        let line = sanitize_line(&input, 20);
        assert_eq!(line.plain(), "aaaaa…(+105 more)");
        assert_eq!(line.findings.bidi, 1);
        assert!(line.findings.truncated);
        // A bidi char far past the cut is still found.
        let input = format!("{}\u{2066}\x1b]52;c;x\x07", "a".repeat(10_000));
        let line = sanitize_line(&input, 30);
        assert_eq!(line.findings.bidi, 1);
        assert_eq!(line.findings.escapes_removed, 1);
        assert!(line.width() <= 30);
    }

    #[test]
    fn emoji_sequence_width_is_respected_at_the_cut() {
        // U+26A0 U+FE0F is two columns as a string though its characters sum to one.
        let input = "\u{26a0}\u{fe0f}".repeat(10);
        for max in 1..25 {
            let line = sanitize_line(&input, max);
            assert!(line.width() <= max, "{max}: {line:?}");
        }
    }

    #[test]
    fn marker_widths() {
        assert_eq!(REMOVED_MARKER.width(), 5);
        assert_eq!(one("\x07").width(), 1);
        assert_eq!(one("\u{202e}").width(), 5);
    }

    #[test]
    fn text_splits_lines_and_drops_crlf() {
        let lines = sanitize_text("one\r\ntwo\r\r\nthree\rx\nlast\r", 0);
        let plains: Vec<String> = lines.iter().map(SafeLine::plain).collect();
        assert_eq!(plains, vec!["one", "two␍", "three␍x", "last␍"]);
        assert_eq!(lines[0].findings.controls, 0);
        assert_eq!(sanitize_text("a\n", 0).len(), 1);
        assert_eq!(sanitize_text("\n\n", 0).len(), 2);
        assert!(sanitize_text("", 0).is_empty());
    }

    #[test]
    fn sgr_does_not_carry_across_lines() {
        let lines = sanitize_text("\x1b[31mred\nplain", 0);
        assert_eq!(
            lines[0].segments[0].kind,
            Kind::Text(SgrStyle { fg: RED, ..style() })
        );
        assert_eq!(lines[1].segments[0].kind, Kind::Text(style()));
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let lines = sanitize_bytes(b"ok\xff\xfe\x1b[2Jx\n\x9b31m\xc2\x9b31mz\n", 0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].plain(), "ok\u{fffd}\u{fffd}⟨esc⟩x");
        // A raw 0x9B byte is not UTF-8; the encoded U+009B is a removed CSI.
        assert_eq!(lines[1].plain(), "\u{fffd}31m⟨esc⟩z");
        assert_eq!(lines[1].findings.escapes_removed, 1);
        // Truncated multi-byte sequence at the end.
        let lines = sanitize_bytes(b"abc\xe6\xbc", 0);
        assert_eq!(lines[0].plain(), "abc\u{fffd}");
    }

    #[test]
    fn plain_labels_show_every_escape() {
        assert_eq!(plain("evil\x1b[31mname\n.rs"), "evil⟨esc⟩name␊.rs");
        assert_eq!(plain("src/\u{202e}sr.exe"), "src/<RLO>sr.exe");
        assert_eq!(plain("a\tb"), "a   b");
        assert_eq!(plain(&"x".repeat(500)), "x".repeat(500));
    }

    #[test]
    fn findings_merge_and_suspicion() {
        let mut a = Findings {
            controls: 2,
            ..Findings::default()
        };
        assert!(!a.is_suspicious());
        a.merge(Findings {
            escapes_removed: 1,
            controls: 1,
            bidi: 3,
            zero_width: 4,
            truncated: true,
        });
        assert_eq!(
            a,
            Findings {
                escapes_removed: 1,
                controls: 3,
                bidi: 3,
                zero_width: 4,
                truncated: true
            }
        );
        assert!(a.is_suspicious());
        for f in [
            Findings {
                bidi: 1,
                ..Findings::default()
            },
            Findings {
                zero_width: 1,
                ..Findings::default()
            },
            Findings {
                escapes_removed: 1,
                ..Findings::default()
            },
        ] {
            assert!(f.is_suspicious());
        }
        a.merge(Findings::default());
        assert!(a.truncated);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let input = "\x1b]\x1bP\x1b[".repeat(100_000);
        let line = sanitize_line(&input, 80);
        assert_eq!(line.findings.escapes_removed, 300_000);
        assert!(line.width() <= 80);
    }

    /// Feeds random strings built from dangerous pieces through every entry point and
    /// checks that nothing dangerous comes out and limits hold.
    #[test]
    fn random_hostile_input_never_leaks() {
        const PIECES: &[&[u8]] = &[
            b"\x1b",
            b"[",
            b"]",
            b"P",
            b"\\",
            b"\x07",
            b";",
            b":",
            b"m",
            b"H",
            b"?",
            b"0",
            b"1",
            b"2",
            b"3",
            b"5",
            b"8",
            b"38",
            b"48",
            b"a",
            b" ",
            b"\t",
            b"\r",
            b"\n",
            b"\0",
            b"\x08",
            b"\x7f",
            b"\xc2\x9b",
            b"\xc2\x9d",
            b"\xc2\x9c",
            b"\xc2\x85",
            b"\xc2\x90",
            b"\xe2\x80\xae",
            b"\xe2\x81\xa6",
            b"\xe2\x80\x8b",
            b"\xe2\x80\x8d",
            b"\xef\xbb\xbf",
            b"\xe2\x80\xa8",
            b"\xf3\xa0\x81\x81",
            b"\xe6\xbc\xa2",
            b"\xe2\x9a\xa0",
            b"\xef\xb8\x8f",
            b"\xff",
            b"\xe6",
            b"\x9b",
            b"\x80",
            b"_",
            b"^",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let mut bytes = Vec::new();
            for _ in 0..len {
                bytes.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            // Cut at a random byte too, to produce truncated sequences.
            let cut = (next() as usize) % (bytes.len() + 1);
            bytes.truncate(cut);
            let max = (next() % 30) as usize;
            for line in sanitize_bytes(&bytes, max) {
                assert_clean(&line);
                if max > 0 {
                    assert!(line.width() <= max, "{bytes:?} {max}: {line:?}");
                }
                let cuts = line
                    .segments
                    .iter()
                    .filter(|s| s.kind == Kind::Truncated)
                    .count();
                assert_eq!(cuts, usize::from(line.findings.truncated));
                if line.findings.truncated {
                    assert_eq!(line.segments.last().map(|s| s.kind), Some(Kind::Truncated));
                }
                assert!(line.segments.iter().all(|s| !s.text.is_empty()));
            }
            let text = String::from_utf8_lossy(&bytes);
            let label = plain(&text);
            assert!(!label.chars().any(forbidden), "{bytes:?}: {label:?}");
            assert_clean(&sanitize_line(&text, max));
        }
    }
}
