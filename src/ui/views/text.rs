//! Sanitized text into ratatui spans: kept colours become styles, and every
//! marker (control, bidi, zero-width, removed escape) gets its theme role so
//! a person sees exactly where hostile bytes were.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::sanitize::{self, Kind, SafeLine, SgrStyle};
use crate::ui::theme::Theme;

fn color(c: sanitize::Color) -> Color {
    match c {
        sanitize::Color::Indexed(i) => Color::Indexed(i),
        sanitize::Color::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

fn sgr(base: Style, s: &SgrStyle) -> Style {
    let mut st = base;
    if let Some(fg) = s.fg {
        st = st.fg(color(fg));
    }
    if let Some(bg) = s.bg {
        st = st.bg(color(bg));
    }
    for (on, m) in [
        (s.bold, Modifier::BOLD),
        (s.dim, Modifier::DIM),
        (s.italic, Modifier::ITALIC),
        (s.underline, Modifier::UNDERLINED),
        (s.reverse, Modifier::REVERSED),
    ] {
        if on {
            st = st.add_modifier(m);
        }
    }
    st
}

/// The spans of a sanitized line drawn over `base`.
pub fn spans<'a>(line: &SafeLine, base: Style, theme: &Theme) -> Vec<Span<'a>> {
    line.segments
        .iter()
        .map(|seg| {
            let style = match &seg.kind {
                Kind::Text(s) => sgr(base, s),
                Kind::Control => base.patch(theme.style("marker.control")),
                Kind::Bidi => base.patch(theme.style("marker.bidi")),
                Kind::ZeroWidth => base.patch(theme.style("marker.zero_width")),
                Kind::Removed => base.patch(theme.style("marker.removed")),
                Kind::Truncated => base.patch(theme.style("text.muted")),
            };
            Span::styled(seg.text.clone(), style)
        })
        .collect()
}

/// Untrusted short text (a title, a path) as one safe span.
pub fn safe<'a>(text: &str, style: Style) -> Span<'a> {
    Span::styled(sanitize::plain(text), style)
}

/// Untrusted text made safe, then cut to `width` display columns, marking
/// the cut: the markers that stand for hidden characters count in the
/// width, so they cannot push the text past it.
pub fn fit(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let text = sanitize::plain(text);
    if text.width() <= width {
        return text;
    }
    let mut out = String::new();
    let mut w = 0;
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// The part of a line a pane shows when it starts `offset` columns in and is
/// `width` columns wide. A cut is never silent: text cut on the right ends
/// in `→` in the last column, text scrolled off on the left starts with
/// `←`, both in `marker`'s style.
pub fn clip<'a>(spans: Vec<Span<'a>>, offset: usize, width: usize, marker: Style) -> Vec<Span<'a>> {
    use unicode_width::UnicodeWidthChar;
    let total: usize = spans.iter().map(Span::width).sum();
    if width == 0 {
        return Vec::new();
    }
    if offset == 0 && total <= width {
        return spans;
    }
    let left = offset > 0;
    let right = total > offset + width;
    let start = offset + usize::from(left);
    let end = (offset + width).saturating_sub(usize::from(right));
    let mut out = Vec::new();
    if left {
        out.push(Span::styled("←", marker));
    }
    let mut col = 0;
    for s in spans {
        let mut piece = String::new();
        for c in s.content.chars() {
            let cw = c.width().unwrap_or(0);
            if col >= start && col + cw <= end {
                piece.push(c);
            } else if col < start && col + cw > start {
                // A wide character cut in half: its visible half is blank.
                piece.push_str(&" ".repeat((col + cw).min(end) - start));
            }
            col += cw;
            if col > end {
                break;
            }
        }
        if !piece.is_empty() {
            out.push(Span::styled(piece, s.style));
        }
    }
    if right {
        let shown: usize = out.iter().map(Span::width).sum();
        out.push(Span::raw(" ".repeat((width - 1).saturating_sub(shown))));
        out.push(Span::styled("→", marker));
    }
    out
}

/// `clip` for a line whose first spans (`fixed`: line numbers, a time)
/// stay in place while the rest scrolls sideways.
pub fn clip_after<'a>(
    fixed: Vec<Span<'a>>,
    rest: Vec<Span<'a>>,
    offset: usize,
    width: usize,
    marker: Style,
) -> Vec<Span<'a>> {
    let fw: usize = fixed.iter().map(Span::width).sum();
    if fw >= width {
        let mut all = fixed;
        all.extend(rest);
        return clip(all, 0, width, marker);
    }
    let mut out = fixed;
    out.extend(clip(rest, offset, width - fw, marker));
    out
}

/// The cut marker's style: bold in the info role, so it stands out from
/// the text it ends (and reads without colour).
pub fn marker_style(theme: &Theme) -> Style {
    theme.style("info").add_modifier(Modifier::BOLD)
}

/// Lines for a pane `width` wide: as they are when the pane wraps, else
/// each cut by `clip_after` (its first `fixed` spans stay in place).
fn cut_lines<'a>(
    lines: Vec<Line<'a>>,
    fixed: impl Fn(usize, &Line<'a>) -> usize,
    wrap: bool,
    offset: usize,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    if wrap {
        return lines;
    }
    let marker = marker_style(theme);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let n = fixed(i, &l).min(l.spans.len());
            let style = l.style;
            let mut spans = l.spans;
            let rest = spans.split_off(n);
            Line::from(clip_after(spans, rest, offset, width, marker)).style(style)
        })
        .collect()
}

/// Lines cut to `width` as a paragraph: wrapped when `wrap`, else each line cut
/// at `width` with its marker.
pub fn cut_paragraph<'a>(
    lines: Vec<Line<'a>>,
    fixed: impl Fn(usize, &Line<'a>) -> usize,
    wrap: bool,
    offset: usize,
    width: usize,
    theme: &Theme,
) -> ratatui::widgets::Paragraph<'a> {
    let p = ratatui::widgets::Paragraph::new(cut_lines(lines, fixed, wrap, offset, width, theme));
    if wrap {
        p.wrap(ratatui::widgets::Wrap { trim: false })
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    fn cut(text: &str, offset: usize, width: usize) -> String {
        shown(&clip(
            vec![Span::raw(text.to_string())],
            offset,
            width,
            Style::default(),
        ))
    }

    #[test]
    fn fit_sanitizes_before_it_cuts_so_markers_stay_inside_the_width() {
        use unicode_width::UnicodeWidthStr;
        // A bidi override, a terminal escape and a control right at the
        // cut: their markers count, so the result never overflows.
        let hostile = "title: \u{202e}evil\x1b]0;owned\x07\x1b[2J\x07 and more";
        for width in 1..40 {
            let f = fit(hostile, width);
            assert!(f.width() <= width, "{width}: {f:?}");
            assert!(
                !f.chars().any(crate::sanitize::is_hidden_char),
                "{width}: {f:?}"
            );
            // What a view then makes of it (`safe`) is what was measured.
            assert_eq!(sanitize::plain(&f), f, "{width}");
        }
        let whole = sanitize::plain(hostile);
        assert_eq!(fit(hostile, whole.width()), whole, "nothing cut: no marker");
        assert!(fit(hostile, whole.width() - 1).ends_with('…'));
        // The escape's own bytes never show, cut or not.
        assert!(!fit(hostile, 14).contains("owned"));
        assert!(!fit(hostile, 14).contains('\x1b'));
    }

    #[test]
    fn clip_marks_each_side_it_cuts_and_nothing_that_fits() {
        assert_eq!(cut("short", 0, 10), "short");
        assert_eq!(cut("exactly10!", 0, 10), "exactly10!");
        assert_eq!(cut("exactly 11!", 0, 10), "exactly 1→");
        assert_eq!(cut("0123456789abcdef", 4, 6), "←5678→");
        assert_eq!(cut("0123456789", 4, 10), "←56789");
        // Scrolled past the end: only the sign that text is to the left.
        assert_eq!(cut("0123", 8, 6), "←");
        // Wide characters are never split: a half is blank.
        assert_eq!(cut("漢字漢字漢字", 0, 5), "漢字→");
        assert_eq!(cut("a漢字漢字", 1, 5), "← 字→");
        assert_eq!(cut("anything", 0, 0), "");
    }

    #[test]
    fn clip_keeps_styles_and_clip_after_keeps_its_prefix() {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let out = clip(
            vec![Span::raw("ab"), Span::styled("cdef", bold)],
            2,
            3,
            Style::default(),
        );
        assert_eq!(shown(&out), "←d→");
        assert_eq!(out[1].style, bold);
        let out = clip_after(
            vec![Span::raw("12 ")],
            vec![Span::raw("abcdefgh")],
            3,
            8,
            Style::default(),
        );
        assert_eq!(shown(&out), "12 ←efgh");
    }
}
