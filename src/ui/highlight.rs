//! Syntax colours for diff lines, computed off the draw path.
//!
//! The console asks for one hunk's lines at a time, so highlighting starts
//! from a fresh parser state at the first given line and costs time in
//! proportion to those lines only. Styles carry a foreground colour and
//! font style but never a background: the diff view paints added/removed
//! backgrounds underneath.

use std::ops::Range;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, Theme, ThemeSet};
use syntect::parsing::{SyntaxDefinition, SyntaxReference, SyntaxSet, SyntaxSetBuilder};

/// Per line of input: styled byte ranges that cover the line exactly.
pub type Highlighted = Vec<Vec<(Style, Range<usize>)>>;

/// The theme used when the requested one does not exist.
pub const DEFAULT_THEME: &str = "base16-ocean.dark";

/// Longer lines (minified code, data blobs) are left plain: the regex
/// engine's cost on them is unbounded, and nobody reads them for colour.
const MAX_HIGHLIGHT_LINE_BYTES: usize = 4096;

/// Syntect's bundled grammars lack TOML, which agents edit constantly.
const TOML_SYNTAX: &str = include_str!("syntaxes/TOML.sublime-syntax");

/// File names and extensions the bundled grammars miss, mapped to the
/// closest grammar they have.
const ALIASES: &[(&str, &str)] = &[
    ("Cargo.lock", "toml"),
    ("ts", "js"),
    ("tsx", "js"),
    ("mts", "js"),
    ("cts", "js"),
    ("mjs", "js"),
    ("cjs", "js"),
    ("jsx", "js"),
    ("jsonc", "json"),
    ("json5", "json"),
    ("kts", "groovy"),
];

/// Loaded grammars and themes; build once (it takes tens of milliseconds)
/// on a worker thread, then share.
pub struct Highlighter {
    syntaxes: SyntaxSet,
    /// Grammars shipped with leash, kept apart so the bundled set need not
    /// be rebuilt (which costs far more than loading it).
    extra: SyntaxSet,
    themes: ThemeSet,
    fallback_theme: Theme,
}

impl Default for Highlighter {
    fn default() -> Highlighter {
        Highlighter::new()
    }
}

impl Highlighter {
    /// Loads syntect's bundled grammars and themes plus leash's own.
    pub fn new() -> Highlighter {
        let themes = ThemeSet::load_defaults();
        let fallback_theme = themes
            .themes
            .get(DEFAULT_THEME)
            .cloned()
            .unwrap_or_default();
        let mut extra = SyntaxSetBuilder::new();
        // The grammar is embedded and covered by tests; should it ever fail
        // to load, TOML files are merely shown uncoloured.
        if let Ok(toml) = SyntaxDefinition::load_from_str(TOML_SYNTAX, true, None) {
            extra.add(toml);
        }
        Highlighter {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            extra: extra.build(),
            themes,
            fallback_theme,
        }
    }

    /// Names of the available themes, sorted.
    pub fn theme_names(&self) -> Vec<String> {
        self.themes.themes.keys().cloned().collect()
    }

    /// Highlights `lines` (one logical line each, without its newline) of the
    /// file `path`, parsing from the first given line with a fresh state.
    /// The grammar is chosen by extension or file name, then by the first
    /// line (a shebang), else plain text; an unknown `theme` falls back to
    /// [`DEFAULT_THEME`]. Each line's spans cover it exactly, in order.
    pub fn highlight(&self, path: &str, lines: &[&str], theme: &str) -> Highlighted {
        let theme = self
            .themes
            .themes
            .get(theme)
            .unwrap_or(&self.fallback_theme);
        let (set, syntax) = self.syntax_for(path, lines.first().copied());
        let plain = to_style(
            theme
                .settings
                .foreground
                .map(|fg| syntect::highlighting::Style {
                    foreground: fg,
                    ..Default::default()
                }),
        );
        let mut state = HighlightLines::new(syntax, theme);
        // Syntect's grammars expect each line to end in a newline.
        let mut buf = String::new();
        let mut out = Vec::with_capacity(lines.len());
        for line in lines {
            if line.is_empty() {
                out.push(Vec::new());
                continue;
            }
            if line.len() > MAX_HIGHLIGHT_LINE_BYTES {
                out.push(vec![(plain, 0..line.len())]);
                // The skipped line may open or close anything: start afresh.
                state = HighlightLines::new(syntax, theme);
                continue;
            }
            buf.clear();
            buf.push_str(line);
            buf.push('\n');
            match state.highlight_line(&buf, set) {
                Ok(pieces) => {
                    let mut spans: Vec<(Style, Range<usize>)> = Vec::new();
                    let mut at = 0;
                    for (style, piece) in pieces {
                        let range = at.min(line.len())..(at + piece.len()).min(line.len());
                        at += piece.len();
                        push_span(&mut spans, to_style(Some(style)), range);
                    }
                    out.push(spans);
                }
                Err(_) => {
                    // A grammar failed on this input: keep the line readable
                    // and do not trust the parser state any more.
                    out.push(vec![(plain, 0..line.len())]);
                    state = HighlightLines::new(syntax, theme);
                }
            }
        }
        out
    }

    /// The grammar for a file, and the set that holds it.
    fn syntax_for(&self, path: &str, first_line: Option<&str>) -> (&SyntaxSet, &SyntaxReference) {
        let file_name = Path::new(path)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(path);
        let extension = Path::new(file_name).extension().and_then(|e| e.to_str());
        let alias = |key: &str| {
            ALIASES
                .iter()
                .find(|(from, _)| *from == key)
                .map(|(_, to)| *to)
        };
        // Extension first, then the whole name ("Makefile", "Gemfile"),
        // each also through the alias table.
        let candidates = [extension, Some(file_name)]
            .into_iter()
            .flatten()
            .flat_map(|key| [Some(key), alias(key)])
            .flatten();
        for key in candidates {
            for set in [&self.extra, &self.syntaxes] {
                if let Some(syntax) = set.find_syntax_by_extension(key) {
                    return (set, syntax);
                }
            }
        }
        if let Some(syntax) = first_line.and_then(|l| self.syntaxes.find_syntax_by_first_line(l)) {
            return (&self.syntaxes, syntax);
        }
        (&self.syntaxes, self.syntaxes.find_syntax_plain_text())
    }
}

/// A syntect style as a ratatui one: foreground and font style only.
fn to_style(style: Option<syntect::highlighting::Style>) -> Style {
    let Some(s) = style else {
        return Style::default();
    };
    let fg = s.foreground;
    let mut out = Style::default().fg(Color::Rgb(fg.r, fg.g, fg.b));
    for (font, modifier) in [
        (FontStyle::BOLD, Modifier::BOLD),
        (FontStyle::ITALIC, Modifier::ITALIC),
        (FontStyle::UNDERLINE, Modifier::UNDERLINED),
    ] {
        if s.font_style.contains(font) {
            out = out.add_modifier(modifier);
        }
    }
    out
}

/// Appends a span, merging it into the previous one when the style is the
/// same, so the UI draws as few spans as possible.
fn push_span(spans: &mut Vec<(Style, Range<usize>)>, style: Style, range: Range<usize>) {
    if range.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some((last, r)) if *last == style && r.end == range.start => r.end = range.end,
        _ => spans.push((style, range)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::OnceLock;

    /// Loading is slow in debug builds: share one across tests, as the
    /// console shares one across requests.
    fn hl() -> &'static Highlighter {
        static HL: OnceLock<Highlighter> = OnceLock::new();
        HL.get_or_init(Highlighter::new)
    }

    const RUST: &[&str] = &[
        "/// Adds one.",
        "pub fn add_one(x: u32) -> u32 {",
        "    let s = \"text\"; // trailing",
        "    x + 1",
        "}",
    ];
    const MARKDOWN: &[&str] = &[
        "# Title",
        "",
        "Some *emphasis* and `code`.",
        "- [link](http://example.com)",
    ];
    const TOML: &[&str] = &[
        "# comment",
        "[package]",
        "name = \"leash\"",
        "version = \"0.1.0\"",
        "edition = 2024",
        "[dependencies]",
        "git2 = { version = \"0.21\", default-features = false }",
        "list = [1, 2.5, true, 1979-05-27T07:32:00Z]",
        "[[bin]]",
        "a.b.\"c d\" = 'literal'",
    ];

    fn colours(spans: &Highlighted) -> HashSet<Color> {
        spans.iter().flatten().filter_map(|(s, _)| s.fg).collect()
    }

    fn assert_covers(lines: &[&str], spans: &Highlighted) {
        assert_eq!(lines.len(), spans.len());
        for (line, spans) in lines.iter().zip(spans) {
            let mut at = 0;
            for (_, r) in spans {
                assert_eq!(r.start, at, "gap or overlap in {line:?}: {spans:?}");
                assert!(r.end > r.start, "empty span in {line:?}: {spans:?}");
                assert!(line.is_char_boundary(r.end), "{line:?}: {spans:?}");
                at = r.end;
            }
            assert_eq!(at, line.len(), "{line:?} not fully covered: {spans:?}");
        }
    }

    #[test]
    fn rust_markdown_and_toml_get_several_colours_in_every_theme() {
        let names = hl().theme_names();
        assert!(names.iter().any(|n| n == DEFAULT_THEME), "{names:?}");
        assert!(names.iter().any(|n| n == "InspiredGitHub"), "{names:?}");
        for theme in &names {
            for (path, lines) in [
                ("src/lib.rs", RUST),
                ("README.md", MARKDOWN),
                ("Cargo.toml", TOML),
            ] {
                let spans = hl().highlight(path, lines, theme);
                assert_covers(lines, &spans);
                let n = colours(&spans).len();
                assert!(n > 1, "{path} in {theme}: {n} colour(s): {spans:?}");
            }
        }
    }

    #[test]
    fn toml_parts_get_their_own_colours() {
        let spans = hl().highlight("Cargo.toml", TOML, DEFAULT_THEME);
        let style_of = |line: usize, needle: &str| {
            let at = TOML[line].find(needle).unwrap();
            spans[line]
                .iter()
                .find(|(_, r)| r.contains(&at))
                .map(|(s, _)| *s)
                .unwrap()
        };
        let comment = style_of(0, "comment");
        let key = style_of(2, "name");
        let string = style_of(2, "leash");
        let number = style_of(4, "2024");
        assert_ne!(comment, key);
        assert_ne!(key, string);
        assert_ne!(string, number);
        // Keys inside an inline table are keys, not values.
        assert_eq!(style_of(6, "default-features"), key);
        assert_eq!(style_of(7, "2.5"), number);
    }

    #[test]
    fn unknown_extensions_are_plain_text_in_one_style() {
        let lines = [
            "fn main() { let x = 1; }",
            "",
            "# not a heading",
            "\"quoted\"",
        ];
        let spans = hl().highlight("notes.unknownext", &lines, DEFAULT_THEME);
        assert_covers(&lines, &spans);
        let styles: HashSet<Style> = spans.iter().flatten().map(|(s, _)| *s).collect();
        assert_eq!(styles.len(), 1, "{spans:?}");
        // One span per non-empty line: equal neighbours are merged.
        assert!(spans.iter().all(|l| l.len() <= 1), "{spans:?}");
    }

    #[test]
    fn the_first_line_picks_the_grammar_when_the_name_does_not() {
        let lines = ["#!/bin/bash", "echo \"hi\" # greet", "exit 0"];
        let spans = hl().highlight("bin/run", &lines, DEFAULT_THEME);
        assert_covers(&lines, &spans);
        assert!(colours(&spans).len() > 1, "{spans:?}");
        let by_name = hl().highlight("Makefile", &["all:", "\techo $(X)"], DEFAULT_THEME);
        assert!(colours(&by_name).len() > 1, "{by_name:?}");
    }

    #[test]
    fn spans_cover_awkward_lines_exactly() {
        let lines = [
            "",
            "let s = \"naïve → café\"; // ünïcode",
            "    \t  ",
            "x = 1;\r",
            "/* an unterminated comment",
            "still inside",
        ];
        for path in ["a.rs", "a.md", "a.toml", "a.py", "a"] {
            let spans = hl().highlight(path, &lines, DEFAULT_THEME);
            assert_covers(&lines, &spans);
            assert!(spans[0].is_empty());
        }
    }

    #[test]
    fn styles_carry_no_background_but_keep_font_styles() {
        let spans = hl().highlight("src/lib.rs", RUST, "InspiredGitHub");
        let all: Vec<Style> = spans.iter().flatten().map(|(s, _)| *s).collect();
        assert!(all.iter().all(|s| s.bg.is_none()), "{all:?}");
        // InspiredGitHub sets keywords bold and comments italic.
        assert!(all.iter().any(|s| s.add_modifier.contains(Modifier::BOLD)));
        assert!(
            all.iter()
                .any(|s| s.add_modifier.contains(Modifier::ITALIC))
        );
    }

    #[test]
    fn an_unknown_theme_falls_back_to_the_default() {
        assert_eq!(
            hl().highlight("src/lib.rs", RUST, "no such theme"),
            hl().highlight("src/lib.rs", RUST, DEFAULT_THEME)
        );
        assert_ne!(
            hl().highlight("src/lib.rs", RUST, "InspiredGitHub"),
            hl().highlight("src/lib.rs", RUST, DEFAULT_THEME)
        );
    }

    #[test]
    fn very_long_lines_are_left_plain() {
        let long = "let x = 1; ".repeat(MAX_HIGHLIGHT_LINE_BYTES);
        let lines = ["let a = 1;", long.as_str(), "let b = 2;"];
        let spans = hl().highlight("a.rs", &lines, DEFAULT_THEME);
        assert_covers(&lines, &spans);
        assert_eq!(spans[1].len(), 1);
        // Highlighting resumes after the skipped line.
        assert!(spans[2].len() > 1, "{:?}", spans[2]);
    }

    #[test]
    fn the_highlighter_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Highlighter>();
    }
}
