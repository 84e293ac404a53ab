//! The detail pane: the selected turn's Output, Diff, Events, Invariants
//! and Provenance. Only the rows that fit are styled and drawn.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::pane_block;
use super::text::{cut_paragraph, fit, safe, spans};
use crate::checkpoint::short;
use crate::diff::{Body, FileStatus, LineKind};
use crate::sanitize;
use crate::state::Turn;
use crate::ui::app::{App, Pane, Row, TABS, Tab};
use crate::ui::theme::Theme;

/// Draws the pane for the selected turn.
pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let th = &app.theme;
    let title = match app.current() {
        Some(t) => Line::from(vec![
            Span::styled(format!(" {} ", t.id), th.style("text.title")),
            Span::styled(
                format!("{} ", t.state.as_str()),
                th.style(&format!("state.{}", t.state.as_str())),
            ),
            safe(
                &fit(&t.title, area.width.saturating_sub(30) as usize),
                th.style("text"),
            ),
            Span::raw(" "),
        ]),
        None => Line::styled(" Detail ", th.style("text.title")),
    };
    let block = pane_block(app, title, Some(Pane::Detail));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    draw_tabs(frame, app, tabs);
    app.reading.areas.detail = body;
    app.page = body.height.saturating_sub(1).max(1) as usize;
    let Some(turn) = app.current().cloned() else {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "Select a turn on the left.",
                app.theme.style("text.muted"),
            )),
            body,
        );
        return;
    };
    if let Some((_, action)) = app.selected_action() {
        let action = action.clone();
        // The preview has the body to itself: the tab bar stays as it is,
        // and nothing drawn before shows through the preview's short lines.
        frame.render_widget(ratatui::widgets::Clear, body);
        draw_action(frame, app, &action, body);
        return;
    }
    match app.tab {
        Tab::Output => draw_output(frame, app, &turn, body),
        Tab::Diff => draw_diff(frame, app, body),
        Tab::Events => draw_events(frame, app, &turn, body),
        Tab::Invariants => draw_invariants(frame, app, &turn, body),
        Tab::Provenance => draw_provenance(frame, app, &turn, body),
    }
}

/// The tab bar: full titles when they fit, short ones when not, and at the
/// narrowest only the active tab's title beside the others' numbers — all
/// five keys always show. Records where each tab is, for the mouse.
fn draw_tabs(frame: &mut Frame, app: &mut App, area: Rect) {
    let th = &app.theme;
    let short = |t: Tab| match t {
        Tab::Output => "Out",
        Tab::Diff => "Diff",
        Tab::Events => "Evts",
        Tab::Invariants => "Inv",
        Tab::Provenance => "Prov",
    };
    let label = |tier: usize, t: Tab| -> String {
        match tier {
            0 => t.title().to_string(),
            1 => short(t).to_string(),
            _ if t == app.tab => short(t).to_string(),
            _ => String::new(),
        }
    };
    let width = |tier: usize| -> usize {
        TABS.iter()
            .enumerate()
            .map(|(i, t)| {
                let l = label(tier, *t);
                (i + 1).to_string().len() + 2 + if l.is_empty() { 0 } else { l.len() + 1 }
            })
            .sum::<usize>()
            + TABS.len()
            - 1
    };
    let tier = (0..3)
        .find(|&k| width(k) <= area.width as usize)
        .unwrap_or(2);
    let mut spans = Vec::new();
    let mut places = Vec::new();
    let mut x = area.x;
    for (i, t) in TABS.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", th.style("tab")));
            x += 1;
        }
        let l = label(tier, *t);
        let text = if l.is_empty() {
            format!(" {} ", i + 1)
        } else {
            format!(" {} {l} ", i + 1)
        };
        let w = text.width() as u16;
        let style = if *t == app.tab {
            th.style("tab.active")
        } else {
            th.style("tab")
        };
        spans.push(Span::styled(text, style));
        let r = Rect::new(x, area.y, w, 1).intersection(area);
        places.push((*t, r));
        x += w;
    }
    let spans = super::text::clip(spans, 0, area.width as usize, super::text::marker_style(th));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    app.reading.areas.tabs = places;
}

fn muted<'a>(app: &App, text: impl Into<String>) -> Line<'a> {
    Line::styled(text.into(), app.theme.style("text.muted"))
}

/// The context gauge: how full the agent's context was at its last
/// request — the overflowing one when the last request overflowed.
/// `cells` is the bar's length.
fn context_gauge(
    app: &App,
    r: &crate::ui::transcript::Rendered,
    cells: usize,
) -> Vec<Span<'static>> {
    let th = &app.theme;
    let over = |k: String| Span::styled(k, th.style("gauge.high"));
    let Some(u) = r.usage else {
        return if r.overflowed {
            vec![over("context overflowed".into())]
        } else {
            Vec::new()
        };
    };
    let used = u.input_tokens + u.output_tokens;
    match u.context_window {
        Some(win) if win > 0 && r.overflowed && used <= win => {
            // The failure named no figures: the last known use is not the
            // state of the context, so do not draw it as one.
            vec![over(format!("context overflowed (limit {}k)", win / 1000))]
        }
        Some(win) if win > 0 => {
            let pct = used * 100 / win;
            let filled = (pct.min(100) as usize * cells) / 100;
            let role = if pct >= 80 { "gauge.high" } else { "gauge" };
            vec![
                Span::styled(
                    format!("context {}k/{}k ", used / 1000, win / 1000),
                    th.style(if pct > 100 {
                        "gauge.high"
                    } else {
                        "text.muted"
                    }),
                ),
                Span::styled("█".repeat(filled), th.style(role)),
                Span::styled("░".repeat(cells - filled), th.style("text.muted")),
                Span::styled(format!(" {pct}%"), th.style(role)),
            ]
        }
        _ => vec![Span::styled(
            format!(
                "{} in, {} out",
                crate::words::count(u.input_tokens as usize, "token"),
                u.output_tokens
            ),
            th.style("text.muted"),
        )],
    }
}

fn draw_output(frame: &mut Frame, app: &App, turn: &Turn, area: Rect) {
    let th = &app.theme;
    let [gauge, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let w = &app.output.window;
    // The gauge first: how full the context is matters more than how the
    // log is read, and a narrow pane cuts from the right.
    let mut info = context_gauge(app, &w.rendered, if area.width < 70 { 8 } else { 20 });
    if !info.is_empty() {
        info.push(Span::styled(" · ", th.style("text.muted")));
    }
    info.push(Span::styled(
        format!(
            "{} · {} ",
            app.format_label(turn),
            if app.output.follow {
                "following"
            } else {
                "scrolled"
            }
        ),
        th.style("text.muted"),
    ));
    let findings = w.rendered.findings;
    if findings.is_suspicious() {
        // The warning goes first: it must not be cut off by a narrow pane.
        info.insert(
            0,
            Span::styled(
                format!(
                    "⚠ hidden characters shown as markers ({}, {} bidi, {} zero-width) ",
                    crate::words::count(findings.escapes_removed, "escape"),
                    findings.bidi,
                    findings.zero_width
                ),
                th.style("warning"),
            ),
        );
    }
    let info = super::text::clip(info, 0, gauge.width as usize, super::text::marker_style(th));
    frame.render_widget(Paragraph::new(Line::from(info)), gauge);
    if !app.output.loaded {
        frame.render_widget(Paragraph::new(muted(app, "reading output…")), body);
        return;
    }
    let lines = app.output_lines();
    if lines.is_empty() {
        frame.render_widget(
            Paragraph::new(muted(
                app,
                if turn.state == crate::model::TurnState::Running {
                    "no output yet"
                } else {
                    "the agent printed nothing"
                },
            )),
            body,
        );
        return;
    }
    // Wrap only what is visible: walk up from the bottom until the pane is
    // full.
    let width = body.width.max(1) as usize;
    let wrap = app.wraps();
    let end = lines.len().saturating_sub(app.output.from_bottom);
    let mut rows = 0usize;
    let mut start = end;
    while start > 0 && rows < body.height as usize {
        start -= 1;
        let l = &lines[start];
        let w = l.prefix.width() + l.text.width();
        rows += if wrap { w.div_ceil(width).max(1) } else { 1 };
    }
    let mut shown: Vec<Line> = Vec::new();
    if start == 0 && w.start > 0 {
        shown.push(muted(app, "… older output: scroll up to read it"));
        rows += 1;
    }
    for l in &lines[start..end] {
        let base = th.style(l.role);
        let mut s = vec![Span::styled(l.prefix, base)];
        s.extend(spans(&l.text, base, th));
        shown.push(Line::from(s));
    }
    let scroll = rows.saturating_sub(body.height as usize) as u16;
    // Cut, the prefix (tool call, result) stays while the text scrolls.
    let p = cut_paragraph(
        shown,
        |_, l| usize::from(l.spans.len() > 1),
        wrap,
        app.reading.hscroll,
        width,
        th,
    )
    .scroll((scroll, 0));
    frame.render_widget(p, body);
}

fn status_word(s: FileStatus) -> &'static str {
    match s {
        FileStatus::Added => "added",
        FileStatus::Deleted => "deleted",
        FileStatus::Modified => "modified",
        FileStatus::Renamed => "renamed",
        FileStatus::TypeChanged => "type changed",
    }
}

fn draw_diff(frame: &mut Frame, app: &mut App, area: Rect) {
    let files = match &app.diff.files {
        None => {
            frame.render_widget(Paragraph::new(muted(app, "computing the diff…")), area);
            return;
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("cannot diff: {}", sanitize::plain(e)),
                    app.theme.style("error"),
                )),
                area,
            );
            return;
        }
        Some(Ok(files)) => files.clone(),
    };
    if files.is_empty() {
        frame.render_widget(Paragraph::new(muted(app, "no changes")), area);
        return;
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
    let first = app.diff.scroll.min(app.diff.rows.len().saturating_sub(1));
    let last = (first + height).min(app.diff.rows.len());
    app.want_highlights(first, last);
    let th = &app.theme;
    let width = body.width as usize;
    let mut lines = Vec::with_capacity(height);
    for row in &app.diff.rows[first..last] {
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
                if app.diff.suspicious.contains(&fi) {
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
                Line::styled(h[hi].header.clone(), th.style("diff.hunk"))
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
                let hl = app.diff.highlights.get(&(fi, hi)).and_then(|v| v.get(li));
                diff_line(th, dl, hl.map(|v| v.as_slice()))
            }
        };
        lines.push(line);
    }
    // Cut, a diff line's numbers and sign stay while its text scrolls.
    let wrap = app.wraps();
    let p = cut_paragraph(
        lines,
        // File and hunk headers stay whole in place (cut with a marker).
        |i, _| {
            if matches!(app.diff.rows.get(first + i), Some(Row::Line(..))) {
                2
            } else {
                usize::MAX
            }
        },
        wrap,
        app.reading.hscroll,
        width,
        th,
    );
    frame.render_widget(p, body);
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

fn draw_events(frame: &mut Frame, app: &App, turn: &Turn, area: Rect) {
    let th = &app.theme;
    // Denied actions head the list: how many, by whom, the first reason.
    let area = match &turn.denials {
        Some(d) => {
            let head = format!("⊘ {}", d.sentence());
            let width = area.width.max(1) as usize;
            let rows = (head.chars().count().div_ceil(width) as u16).clamp(1, 3);
            let [top, rest] =
                Layout::vertical([Constraint::Length(rows), Constraint::Min(0)]).areas(area);
            frame.render_widget(
                Paragraph::new(Line::from(vec![safe(&head, th.style("warning"))]))
                    .wrap(Wrap { trim: false }),
                top,
            );
            rest
        }
        None => area,
    };
    let lines: Vec<Line> =
        turn.log
            .iter()
            .skip(app.events_scroll)
            .take(area.height as usize)
            .map(|e| {
                let role = match e.kind {
                    "risk_escalated" => "risk.escalated",
                    "action_decided" if e.text.contains(" deny by ") => "warning",
                    "turn_decided" | "action_decided" => "info",
                    "landing_aborted" | "rollback_aborted" | "turn_interrupted"
                    | "write_refused" => "warning",
                    "turn_confined"
                        if e.text.contains(" NOT confined") || e.text.contains("warning:") =>
                    {
                        "warning"
                    }
                    _ => "text",
                };
                Line::from(vec![
                    Span::styled(format!("{:>5} ", e.seq), th.style("text.muted")),
                    Span::styled(
                        e.ts.get(11..19).unwrap_or(&e.ts).to_string() + " ",
                        th.style("text.muted"),
                    ),
                    safe(&e.text, th.style(role)),
                ])
            })
            .collect();
    // Cut, the number and time stay while the text scrolls.
    let wrap = app.wraps();
    let p = cut_paragraph(
        lines,
        |_, _| 2,
        wrap,
        app.reading.hscroll,
        area.width as usize,
        th,
    );
    frame.render_widget(p, area);
}

fn outcome_cell(o: crate::invariants::Outcome) -> (&'static str, &'static str) {
    use crate::invariants::Outcome;
    match o {
        Outcome::Pass => (" ✓ ", "state.landed"),
        Outcome::Fail => (" ✗ ", "failure"),
        Outcome::Fixed => (" F ", "info"),
        Outcome::Degraded => (" ~ ", "warning"),
        Outcome::Skipped => (" · ", "text.muted"),
    }
}

/// Which turn columns of the dashboard are shown: `(first, count)` of
/// `total`, keeping the selected column in view and leaving room for the
/// count of those cut off.
fn dashboard_window(
    width: usize,
    name_w: usize,
    total: usize,
    cut_older: bool,
    sel: Option<usize>,
) -> (usize, usize) {
    let room = width.saturating_sub(name_w);
    if room / 4 >= total && !cut_older {
        return (0, total);
    }
    // Room for " 99 older →".
    let cols = (room.saturating_sub(11) / 4).max(1).min(total);
    let first = sel.map_or(0, |s| (s + 1).saturating_sub(cols));
    (first, cols)
}

/// The invariant dashboard: invariants × recent turns (newest left), the
/// newest breaks on top; the findings of the cell under the cursor below.
fn draw_invariants(frame: &mut Frame, app: &App, turn: &Turn, area: Rect) {
    let th = &app.theme;
    if app.ws.config.invariants.is_empty() {
        frame.render_widget(
            Paragraph::new(vec![
                muted(app, "No invariants are configured: a workspace without invariants passes them."),
                muted(app, "Add [[invariant]] tables to .leash/config.toml (see the comments `leash init` wrote)."),
            ])
            .wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    let d = app.dashboard();
    let name_w = d
        .rows
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(10)
        .min(28)
        + 1;
    let sel = app.dashboard_col(&d);
    let (first, cols) =
        dashboard_window(area.width as usize, name_w, d.turns.len(), d.older > 0, sel);
    let (newer, older) = (first, d.turns.len() - first - cols + d.older);
    let mut lines = Vec::new();
    // Turns that do not fit are counted at the side they are on.
    let mut head = vec![Span::styled(
        format!(
            "{:<name_w$}",
            if newer > 0 {
                format!("← {newer} newer")
            } else {
                String::new()
            }
        ),
        th.style("text.muted"),
    )];
    for (c, id) in d.turns.iter().enumerate().skip(first).take(cols) {
        let style = if Some(c) == sel {
            th.style("tab.active")
        } else {
            th.style("text.muted")
        };
        head.push(Span::styled(format!("{:^4}", id), style));
    }
    if older > 0 {
        head.push(Span::styled(
            format!(" {older} older →"),
            th.style("text.muted"),
        ));
    }
    lines.push(Line::from(head));
    for (r, name) in d.rows.iter().enumerate() {
        let mut row = vec![safe(
            &format!("{:<name_w$}", fit(name, name_w - 1)),
            if r == app.inv_row {
                th.style("selection")
            } else {
                th.style("text")
            },
        )];
        for (c, id) in d.turns.iter().enumerate().skip(first).take(cols) {
            let t = app.ws.state.turn(id);
            let result = t.and_then(|t| t.invariants.iter().find(|x| &x.name == name));
            let (glyph, role) = result.map_or((" - ", "text.muted"), |x| outcome_cell(x.outcome));
            let mut style = th.style(role);
            if r == app.inv_row && Some(c) == sel {
                style = style.patch(th.style("selection"));
            }
            // `→` marks a turn whose merged tree (it landed on a moved
            // branch) came out otherwise than its own.
            let merged = t
                .and_then(|t| t.merged.as_ref())
                .and_then(|m| m.results.iter().find(|x| &x.name == name));
            let differs = merged.is_some_and(|m| Some(m.outcome) != result.map(|x| x.outcome));
            row.push(Span::styled(glyph.to_string(), style));
            row.push(Span::styled(
                if differs { "→" } else { " " },
                th.style("text.muted"),
            ));
        }
        lines.push(Line::from(row));
    }
    lines.push(Line::raw(""));
    match app.dashboard_cell() {
        Some((t, res)) => {
            let introduced = t.introduced.contains(&res.name);
            lines.push(Line::from(vec![
                Span::styled(format!("{} on {} ", res.name, t.id), th.style("text.title")),
                Span::styled(
                    format!("{:?}", res.outcome).to_lowercase(),
                    th.style(outcome_cell(res.outcome).1),
                ),
                Span::styled(
                    if crate::checks::passes(res) {
                        String::new()
                    } else if introduced {
                        "  introduced by this turn".to_string()
                    } else {
                        "  inherited from its base".to_string()
                    },
                    th.style("text.muted"),
                ),
            ]));
            if let Some((tree, m)) = t.merged.as_ref().and_then(|m| {
                m.results
                    .iter()
                    .find(|x| x.name == res.name)
                    .map(|x| (&m.tree, x))
            }) {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!(
                            "  merged onto the moved branch ({}): ",
                            crate::checkpoint::short(tree)
                        ),
                        th.style("text.muted"),
                    ),
                    Span::styled(
                        format!("{:?}", m.outcome).to_lowercase(),
                        th.style(outcome_cell(m.outcome).1),
                    ),
                ]));
            }
            for (i, f) in res.findings.iter().enumerate() {
                let at = match f.line {
                    Some(l) => format!("{}:{l}", f.path),
                    None => f.path.clone(),
                };
                let style = if i == app.inv_finding {
                    th.style("selection")
                } else {
                    th.style("text")
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        if i == app.inv_finding { "› " } else { "  " },
                        th.style("help.key"),
                    ),
                    safe(&at, style),
                    Span::styled("  ", style),
                    safe(&f.message, style),
                ]));
            }
            if !res.detail.is_empty() && !crate::checks::passes(res) {
                for l in res.detail.lines().take(6) {
                    lines.push(Line::from(safe(
                        &format!("  | {l}"),
                        th.style("text.muted"),
                    )));
                }
            }
            lines.push(muted(
                app,
                "←→ turn · ↑↓ invariant · ] [ finding · enter opens it in the diff · w wraps",
            ));
        }
        None => lines.push(muted(
            app,
            if d.turns.is_empty() {
                "No turn has been checked yet."
            } else {
                "Not checked on this turn."
            },
        )),
    }
    let _ = turn;
    // ←→ move between turns here: a long finding wraps (w) or is cut at →.
    let wrap = app.wraps();
    let p = cut_paragraph(lines, |_, _| 0, wrap, 0, area.width as usize, th);
    frame.render_widget(p, area);
}

fn draw_provenance(frame: &mut Frame, app: &App, turn: &Turn, area: Rect) {
    let th = &app.theme;
    let lines = provenance_lines(app, turn);
    // Scrolled like Events (`↑↓`, pages, Home/End), so its last lines —
    // the confinement's paths — can be read on any screen.
    let top = app.events_scroll.min(lines.len().saturating_sub(1)) as u16;
    let wrap = app.wraps();
    let p = cut_paragraph(
        lines,
        |_, l| usize::from(l.spans.len() > 1),
        wrap,
        app.reading.hscroll,
        area.width as usize,
        th,
    )
    .scroll((top, 0));
    frame.render_widget(p, area);
}

/// The Provenance tab's lines for `turn`.
pub(crate) fn provenance_lines<'a>(app: &'a App, turn: &'a Turn) -> Vec<Line<'a>> {
    let th = &app.theme;
    let mut lines = vec![Line::from(vec![
        Span::styled("base      ", th.style("text.muted")),
        Span::styled(
            turn.base
                .as_deref()
                .map(short)
                .unwrap_or("(unborn)")
                .to_string(),
            th.style("text"),
        ),
        Span::styled(
            format!("  on {}", turn.branch.as_deref().unwrap_or("(detached)")),
            th.style("text.muted"),
        ),
    ])];
    if let Some(p) = &turn.prompt {
        lines.push(Line::from(vec![
            Span::styled("prompt    ", th.style("text.muted")),
            safe(p, th.style("text")),
        ]));
    }
    if let Some(c) = &turn.command {
        // The program by its name: where it is installed says little here
        // (`leash show` prints the full argv).
        let mut shown: Vec<String> = c.clone();
        if let Some(first) = shown.first_mut()
            && let Some(name) = std::path::Path::new(first.as_str()).file_name()
        {
            *first = name.to_string_lossy().into_owned();
        }
        lines.push(Line::from(vec![
            Span::styled("command   ", th.style("text.muted")),
            safe(&shown.join(" "), th.style("text")),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("agent     ", th.style("text.muted")),
        safe(&turn.agent, th.style("text")),
    ]));
    if let Some(c) = &turn.confinement {
        let style = if c.confined && c.warning.is_none() {
            th.style("text")
        } else {
            th.style("warning")
        };
        lines.push(Line::from(vec![
            Span::styled("confined  ", th.style("text.muted")),
            safe(&c.summary(), style),
        ]));
    }
    // An in-place turn of a session `leash shell` started confined.
    let shell_abi = turn
        .session
        .as_ref()
        .and_then(|s| app.ws.state.sessions.get(s))
        .and_then(|s| s.confined);
    if let (None, Some(abi)) = (&turn.confinement, shell_abi) {
        lines.push(Line::from(vec![
            Span::styled("confined  ", th.style("text.muted")),
            Span::styled(
                format!("yes, by Landlock ABI {abi} (its session was started by leash shell)"),
                th.style("text"),
            ),
        ]));
    }
    for p in &turn.refused_writes {
        lines.push(Line::from(vec![
            Span::styled("refused   ", th.style("text.muted")),
            safe(p, th.style("warning")),
            Span::styled("  (a write the kernel refused)", th.style("text.muted")),
        ]));
    }
    if let Some(f) = turn.failure {
        // The plain name, then what it resembles as the explanation.
        let mut spans = vec![
            Span::styled("failure   ", th.style("text.muted")),
            Span::styled(f.shown_as(), th.style("failure")),
        ];
        if let Some(a) = f.analogy() {
            spans.push(Span::styled(format!(" — {a}"), th.style("text.muted")));
        }
        lines.push(Line::from(spans));
    }
    if !turn.paths.is_empty() {
        lines.push(Line::raw(""));
        lines.push(muted(app, "wrote:"));
        const SHOWN: usize = 500;
        for p in turn.paths.iter().take(SHOWN) {
            lines.push(Line::from(vec![Span::raw("  "), safe(p, th.style("text"))]));
        }
        if turn.paths.len() > SHOWN {
            lines.push(muted(
                app,
                format!(
                    "  … {} (leash show {} lists them all)",
                    crate::words::count(turn.paths.len() - SHOWN, "more path"),
                    turn.id
                ),
            ));
        }
    }
    // What each action read before what it wrote: the sources behind the
    // changed lines, as the agent's hooks or stream reported them.
    if !turn.actions.is_empty() {
        lines.push(Line::raw(""));
        lines.push(muted(
            app,
            "actions, in order (what was read before what was written):",
        ));
        for a in &turn.actions {
            let verdict = match (&a.decision, a.done) {
                (Some(d), _)
                    if d.decision == crate::event::ActionDecision::Deny
                        && d.by == crate::model::DecidedBy::Agent =>
                {
                    "refused by the agent".to_string()
                }
                (Some(d), _) if d.decision == crate::event::ActionDecision::Deny => {
                    format!("denied by {}", d.by)
                }
                (_, Some(true)) => "ran".to_string(),
                (_, Some(false)) => "failed".to_string(),
                _ => "no result".to_string(),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<7}", a.id), th.style("text.muted")),
                safe(&a.summary, th.style("text")),
                Span::styled(format!("  ({verdict})"), th.style("text.muted")),
            ]));
            for (what, list) in [("read", &a.paths_read), ("wrote", &a.paths_written)] {
                if !list.is_empty() {
                    lines.push(Line::from(vec![
                        Span::styled(format!("           {what} "), th.style("text.muted")),
                        safe(&list.join(", "), th.style("text")),
                    ]));
                }
            }
        }
    }
    // Where the kernel let the agent write (the turn's confinement).
    if let Some(c) = turn.confinement.as_ref().filter(|c| !c.writable.is_empty()) {
        lines.push(Line::raw(""));
        lines.push(muted(app, "the agent could write only under:"));
        for p in &c.writable {
            lines.push(Line::from(vec![
                Span::raw("  "),
                safe(p, th.style("text.muted")),
            ]));
        }
    }
    lines
}

/// A held action: what it would do, in full enough to decide on — the
/// file content or edit as diff lines, the patch, or the command.
fn draw_action(frame: &mut Frame, app: &App, a: &crate::state::ActionInfo, area: Rect) {
    let th = &app.theme;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", a.id), th.style("text.title")),
            Span::styled(
                format!("{} ", a.risk),
                th.style(&format!("risk.{}", a.risk)),
            ),
            safe(&a.summary, th.style("text")),
        ]),
        Line::styled(
            "held for you: a allows it · r denies it (the agent is told why)",
            th.style("state.awaiting_review"),
        ),
        Line::raw(""),
    ];
    let input = &a.input;
    let s = |k: &str| input.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let push_text = |lines: &mut Vec<Line>, sign: &'static str, role: &str, text: &str| {
        for l in crate::sanitize::sanitize_text(text, 500) {
            let base = th.style(role);
            let mut v = vec![Span::styled(sign, base)];
            v.extend(spans(&l, base, th));
            lines.push(Line::from(v));
        }
    };
    match a.tool.as_str() {
        "Write" => push_text(&mut lines, "+", "diff.added", s("content")),
        "Edit" | "MultiEdit" => {
            push_text(&mut lines, "-", "diff.removed", s("old_string"));
            push_text(&mut lines, "+", "diff.added", s("new_string"));
        }
        "apply_patch" => {
            for l in s("command").lines() {
                let role = if l.starts_with('+') {
                    "diff.added"
                } else if l.starts_with('-') {
                    "diff.removed"
                } else if l.starts_with("***") || l.starts_with("@@") {
                    "diff.hunk"
                } else {
                    "diff.context"
                };
                push_text(&mut lines, "", role, l);
            }
        }
        "Bash" => {
            lines.push(Line::styled("command:", th.style("text.muted")));
            push_text(&mut lines, "$ ", "text", s("command"));
        }
        _ => {
            let pretty = serde_json::to_string_pretty(input).unwrap_or_default();
            push_text(&mut lines, "", "text.muted", &pretty);
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
