//! The blame of a diff line over the panes (who wrote it, from what), and
//! a source as the agent read it. Every word here is an agent's or a
//! committer's: all of it is drawn through `safe`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::centered;
use super::overlay::dialog_block;
use super::text::safe;
use crate::model::short;
use crate::ui::app::{App, BlameView, SourceView};

/// The blame of one line: the line, the turn and action, the prompt, the
/// sources read before it with the selected one marked.
pub fn draw_blame(frame: &mut Frame, app: &App, v: &BlameView, area: Rect) {
    let th = &app.theme;
    let b = &v.blame;
    let role = match v.sign {
        '+' => "diff.added",
        '-' => "diff.removed",
        _ => "diff.context",
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", v.sign), th.style(role)),
            safe(&b.text, th.style(role)),
        ]),
        Line::raw(""),
    ];
    let heading = b.heading();
    let (first, rest) = heading
        .split_first()
        .map_or((None, &[][..]), |(f, r)| (Some(f), r));
    if let Some(f) = first {
        lines.push(Line::from(safe(f, th.style("text.title"))));
    }
    for h in rest.iter().filter(|h| !h.starts_with("  read ")) {
        lines.push(Line::from(safe(h, th.style("text"))));
    }
    if !b.sources.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "sources read before it (as the agent read them):",
            th.style("text.muted"),
        ));
    }
    for (i, s) in b.sources.iter().enumerate() {
        let chosen = i == v.cursor;
        let style = match (chosen, s.changed_since) {
            (true, _) => th.style("selection"),
            (false, Some(true)) => th.style("warning"),
            _ => th.style("text"),
        };
        lines.push(Line::from(vec![
            Span::styled(if chosen { "▸ " } else { "  " }, th.style("help.key")),
            safe(&s.words(), style),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        if b.sources.is_empty() {
            "esc closes"
        } else {
            "↑↓ choose · enter opens the source as read · esc closes"
        },
        th.style("text.muted"),
    ));
    let title = format!(" Blame {}:{} ", b.path, b.line);
    boxed(frame, app, lines, title, area);
}

/// A source as the agent read it, the cited line marked, and a warning
/// when the branch's file is no longer this content.
pub fn draw_source(frame: &mut Frame, app: &App, v: &SourceView, area: Rect) {
    let th = &app.theme;
    let t = &v.text;
    let mut lines = Vec::new();
    if t.changed_since {
        lines.push(Line::styled(
            "⚠ changed since: the branch's file is no longer what the agent read",
            th.style("warning"),
        ));
    } else {
        lines.push(Line::styled(
            "unchanged: the branch's file is what the agent read",
            th.style("text.muted"),
        ));
    }
    let height = usize::from(area.height.saturating_sub(6)).max(3);
    let width = t.lines.len().to_string().len();
    for (i, text) in t.lines.iter().enumerate().skip(v.scroll).take(height) {
        let n = i + 1;
        let cited = n == v.line;
        let style = if cited {
            th.style("selection")
        } else {
            th.style("text")
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {n:>width$} │ ", if cited { "▶" } else { " " }),
                th.style("text.muted"),
            ),
            safe(text, style),
        ]));
    }
    lines.push(Line::styled(
        "↑↓ scroll · esc back to the blame",
        th.style("text.muted"),
    ));
    let title = format!(" {} @ {} — as read ", t.path, short(&t.blob));
    boxed(frame, app, lines, title, area);
}

fn boxed(frame: &mut Frame, app: &App, lines: Vec<Line>, title: String, area: Rect) {
    let th = &app.theme;
    let w = 96.min(area.width);
    let inner = usize::from(w.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let rect = centered(area, w, (rows as u16 + 2).min(area.height));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(dialog_block(th, super::text::fit(&title, inner)))
            .style(th.style("dialog")),
        rect,
    );
}
