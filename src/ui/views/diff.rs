//! The Diff tab: the selected turn's files, hunks and lines, only the rows
//! on screen styled (syntax colours as they arrive, changed words
//! emphasised, hidden characters shown as markers).

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::muted;
use super::text::{cut_paragraph, safe, spans};
use crate::diff::{Body, FileStatus, LineKind};
use crate::sanitize;
use crate::ui::app::{App, Row};
use crate::ui::theme::Theme;

fn status_word(s: FileStatus) -> &'static str {
    match s {
        FileStatus::Added => "added",
        FileStatus::Deleted => "deleted",
        FileStatus::Modified => "modified",
        FileStatus::Renamed => "renamed",
        FileStatus::TypeChanged => "type changed",
    }
}

/// A file's change in one letter, as `git status --short` writes it.
pub(super) fn status_letter(s: FileStatus) -> char {
    match s {
        FileStatus::Added => 'A',
        FileStatus::Deleted => 'D',
        FileStatus::Modified => 'M',
        FileStatus::Renamed => 'R',
        FileStatus::TypeChanged => 'T',
    }
}

/// Draws the Diff tab; returns the rows drawn, `first..last`, for the
/// app to ask for their syntax colours.
pub(super) fn draw_diff(frame: &mut Frame, app: &App, area: Rect) -> Option<(usize, usize)> {
    let diff = &app.detail.diff;
    let files = match &diff.files {
        None => {
            frame.render_widget(Paragraph::new(muted(app, "computing the diff…")), area);
            return None;
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("cannot diff: {}", sanitize::plain(e)),
                    app.theme.style("error"),
                )),
                area,
            );
            return None;
        }
        Some(Ok(files)) => files.clone(),
    };
    if files.is_empty() {
        frame.render_widget(Paragraph::new(muted(app, "no changes")), area);
        return None;
    }
    let [stats, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    // A finished turn's counts are the journal's, the ones its row and
    // `leash diff --stat` show; a turn still at work has only this diff.
    let s = match app.current() {
        Some(t) if t.commit.is_some() => crate::diff::DiffStats {
            files: t.files_changed,
            insertions: t.insertions,
            deletions: t.deletions,
        },
        _ => crate::diff::stats(&files),
    };
    let mut head = Line::from(vec![
        Span::styled(
            format!("{} ", crate::words::count(s.files, "file")),
            app.theme.style("text.muted"),
        ),
        Span::styled(format!("+{} ", s.insertions), app.theme.style("diff.added")),
        Span::styled(format!("−{}", s.deletions), app.theme.style("diff.removed")),
        Span::styled(
            "   ] [ hunk · } { file · ←→ scroll · w wraps".to_string(),
            app.theme.style("text.muted"),
        ),
    ]);
    if head.width() > stats.width as usize {
        // The keys hint goes before the counts are cut.
        head.spans.pop();
    }
    frame.render_widget(Paragraph::new(head), stats);
    let height = body.height as usize;
    let first = diff.scroll.min(diff.rows.len().saturating_sub(1));
    let last = (first + height).min(diff.rows.len());
    let th = &app.theme;
    let width = body.width as usize;
    let mut lines = Vec::with_capacity(height);
    // The cursor shows where the pane has focus.
    let cursor = (app.focus == crate::ui::app::Pane::Detail).then_some(diff.cursor);
    for row in &diff.rows[first..last] {
        let line = match *row {
            Row::File(fi) => {
                let f = &files[fi];
                let name = match (&f.old_path, &f.new_path) {
                    (Some(o), Some(n)) if o != n => format!("{o} → {n}"),
                    _ => f.path().to_string(),
                };
                let mut spans = vec![
                    Span::styled("▌ ", th.style("diff.file")),
                    safe(&name, th.style("diff.file")),
                    Span::styled(
                        format!(
                            "  {}  +{} −{}",
                            status_word(f.status),
                            f.insertions,
                            f.deletions
                        ),
                        th.style("text.muted"),
                    ),
                ];
                if !crate::diff::select::splittable(f) {
                    spans.extend(verdict(th, diff.row_mark(*row)));
                }
                if diff.suspicious.contains(&fi) {
                    spans.push(Span::styled(
                        "  ⚠ hidden characters, shown as markers",
                        th.style("warning"),
                    ));
                }
                Line::from(spans)
            }
            Row::Hunk(fi, hi) => {
                let Body::Text(h) = &files[fi].body else {
                    continue;
                };
                let mut line = Line::styled(h[hi].header.clone(), th.style("diff.hunk"));
                line.spans.extend(verdict(th, diff.row_mark(*row)));
                if let Some((taken, of)) = diff.part_of(*row) {
                    line.spans.push(Span::styled(
                        format!("  ◐ {taken} of {of} changed lines accepted, the rest kept aside"),
                        th.style("warning"),
                    ));
                }
                line
            }
            Row::Note(fi) => {
                let text = match &files[fi].body {
                    Body::Binary { old_size, new_size } => {
                        format!("  binary file: {old_size} → {new_size} bytes")
                    }
                    Body::TooLarge { old_size, new_size } => format!(
                        "  too large to show ({old_size} → {new_size} bytes); `leash diff` prints it"
                    ),
                    Body::TimedOut => "  not diffed: the diff took too long".to_string(),
                    Body::Text(_) => String::new(),
                };
                Line::styled(text, th.style("text.muted"))
            }
            Row::Line(fi, hi, li) => {
                let Body::Text(h) = &files[fi].body else {
                    continue;
                };
                let dl = &h[hi].lines[li];
                let hl = diff.highlights.get(&(fi, hi)).and_then(|v| v.get(li));
                let mut line = diff_line(th, dl, hl.map(|v| v.as_slice()));
                if let Some(accepted) = diff.row_mark(*row) {
                    // The gutter says the hunk's verdict on each of its lines.
                    let numbers = &mut line.spans[0];
                    let (mark, role) = if accepted {
                        ("✓", "diff.added")
                    } else {
                        ("✗", "diff.removed")
                    };
                    numbers.content = format!("{mark}{}", &numbers.content[1..]).into();
                    numbers.style = th.style(role);
                }
                if diff.selecting(first + lines.len()) {
                    // The line selection being made (`v`).
                    line.spans[0].style = th.style("selection");
                }
                if cursor == Some(first + lines.len()) {
                    // The cursor's line: `b` blames it.
                    let numbers = &mut line.spans[0];
                    numbers.content = format!("▸{}", &numbers.content[1..]).into();
                    numbers.style = th.style("selection");
                }
                line
            }
        };
        let line = mark_comments(app, &files, *row, mark_citations(app, &files, *row, line));
        lines.push(line);
    }
    // Cut, a diff line's numbers and sign stay while its text scrolls.
    let wrap = app.wraps();
    // Wrapped, long lines take more than a row each: what is drawn ends
    // where the pane is full (the receipt's "read to the end" counts on it).
    let last = if wrap {
        let mut used = 0;
        let fit = lines
            .iter()
            .take_while(|l| {
                used += l.width().div_ceil(width.max(1)).max(1);
                used <= height
            })
            .count();
        // At least the row at the top, a line longer than the pane.
        first + fit.max(1).min(lines.len())
    } else {
        last
    };
    let p = cut_paragraph(
        lines,
        // File and hunk headers stay whole in place (cut with a marker).
        |i, _| {
            if matches!(diff.rows.get(first + i), Some(Row::Line(..))) {
                2
            } else {
                usize::MAX
            }
        },
        wrap,
        app.detail.reading.hscroll,
        width,
        th,
    );
    frame.render_widget(p, body);
    Some((first, last))
}

/// A hunk's (or a whole file's) verdict, when the operator gave one.
fn verdict<'a>(th: &Theme, mark: Option<bool>) -> Option<Span<'a>> {
    Some(match mark? {
        true => Span::styled("  ✓ accepted", th.style("diff.added")),
        false => Span::styled("  ✗ kept aside", th.style("diff.removed")),
    })
}

/// A line that cites a source the turn never read, or read before it
/// changed, says so at its end (the Provenance tab lists them all).
fn mark_citations<'a>(
    app: &App,
    files: &[crate::diff::FileDiff],
    row: Row,
    mut line: Line<'a>,
) -> Line<'a> {
    let Row::Line(fi, hi, li) = row else {
        return line;
    };
    let (Some(turn), Body::Text(h)) = (app.current(), &files[fi].body) else {
        return line;
    };
    let Some(n) = h[hi].lines[li].new_no else {
        return line;
    };
    let path = files[fi].path();
    for c in turn
        .citations
        .iter()
        .filter(|c| c.line == n && c.path == path)
    {
        let word = match c.problem {
            crate::invariants::Problem::Unread => "unread source",
            crate::invariants::Problem::Stale => "stale source",
            crate::invariants::Problem::Missing => "missing source",
        };
        line.spans.push(Span::styled(
            format!("  ◂ {word}: "),
            app.theme.style("warning"),
        ));
        line.spans.push(safe(&c.target, app.theme.style("warning")));
    }
    line
}

/// The operator's comments on a line, at its end.
fn mark_comments<'a>(
    app: &App,
    files: &[crate::diff::FileDiff],
    row: Row,
    mut line: Line<'a>,
) -> Line<'a> {
    let Row::Line(fi, hi, li) = row else {
        return line;
    };
    let (Some(turn), Body::Text(h)) = (app.current(), &files[fi].body) else {
        return line;
    };
    let dl = &h[hi].lines[li];
    let f = &files[fi];
    for c in turn.comments.iter().filter(|c| match (c.line, c.old_line) {
        (Some(n), _) => c.path == f.path() && dl.kind != LineKind::Removed && dl.new_no == Some(n),
        (None, Some(o)) => {
            f.old_path.as_deref().unwrap_or(f.path()) == c.path
                && dl.kind == LineKind::Removed
                && dl.old_no == Some(o)
        }
        (None, None) => false,
    }) {
        line.spans
            .push(Span::styled("  ✎ ", app.theme.style("help.key")));
        line.spans.push(safe(&c.text, app.theme.style("help.key")));
    }
    line
}

fn num(n: Option<u32>) -> String {
    n.map(|n| format!("{n:>4}"))
        .unwrap_or_else(|| "    ".into())
}

/// One diff line: numbers, sign, and text with syntax colours and changed
/// words emphasised over the line's background.
fn diff_line<'a>(
    th: &Theme,
    dl: &crate::diff::DiffLine,
    syntax: Option<&[(Style, Range<usize>)]>,
) -> Line<'a> {
    let (role, sign) = match dl.kind {
        LineKind::Added => ("diff.added", "+"),
        LineKind::Removed => ("diff.removed", "-"),
        LineKind::Context => ("diff.context", " "),
    };
    let base = th.style(role);
    let mut out = vec![
        Span::styled(
            format!("{} {} ", num(dl.old_no), num(dl.new_no)),
            th.style("text.muted"),
        ),
        Span::styled(sign.to_string(), base),
    ];
    // A CRLF line end is shown as one quiet marker, not as hostile text.
    let (text, crlf) = match dl.text.strip_suffix('\r') {
        Some(t) => (t, true),
        None => (dl.text.as_str(), false),
    };
    let safe = sanitize::sanitize_line(text, 1000);
    if safe.plain() != text {
        // The text needed escaping: show the safe form, without syntax.
        out.extend(spans(&safe, base, th));
        return Line::from(out);
    }
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for (_, r) in syntax.unwrap_or(&[]) {
        cuts.extend([r.start, r.end]);
    }
    for r in &dl.emphasis {
        cuts.extend([r.start, r.end]);
    }
    cuts.retain(|&c| c <= text.len() && text.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    let emph = th.style(&format!("{role}.emphasis"));
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let mut st = base;
        if let Some((s, _)) = syntax
            .unwrap_or(&[])
            .iter()
            .find(|(_, r)| r.start <= a && a < r.end)
        {
            if let Some(fg) = s.fg {
                st = st.fg(fg);
            }
            st = st.add_modifier(s.add_modifier);
        }
        if dl.emphasis.iter().any(|r| r.start <= a && a < r.end) {
            st = st.patch(emph);
        }
        out.push(Span::styled(text[a..b].to_string(), st));
    }
    if crlf {
        out.push(Span::styled("␍", th.style("text.muted")));
    }
    Line::from(out)
}
