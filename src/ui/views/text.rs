//! Sanitized text into ratatui spans: kept colours become styles, and every
//! marker (control, bidi, zero-width, removed escape) gets its theme role so
//! a person sees exactly where hostile bytes were.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

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

/// Cuts a string to `width` display columns, marking the cut.
pub fn fit(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
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
