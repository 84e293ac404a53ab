//! The detail pane: the selected turn's Output, Diff, Events, Invariants
//! and Provenance. Only the rows that fit are styled and drawn.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::pane_block;
use super::text::{cut_paragraph, fit, safe, spans};
use crate::state::Turn;
use crate::ui::app::{App, Drawn, Pane, TABS, Tab};

/// Draws the pane for the selected turn.
pub fn draw(frame: &mut Frame, app: &App, area: Rect, drawn: &mut Drawn) {
    let th = &app.theme;
    let title = match app.current() {
        Some(t) => {
            // The chain: the turn it follows up, and whether the agent's
            // session goes on in it.
            let chain = t.follows.as_ref().map(|f| {
                format!(
                    "↳ {} {}{} · ",
                    f.how.verb(),
                    f.parent,
                    if f.session.is_some() {
                        " (session continued)"
                    } else {
                        " (afresh)"
                    }
                )
            });
            let room = area.width.saturating_sub(30) as usize;
            let room = room.saturating_sub(chain.as_deref().map_or(0, |c| c.chars().count()));
            let mut spans = vec![
                Span::styled(format!(" {} ", t.id), th.style("text.title")),
                Span::styled(
                    format!("{} ", t.state.as_str()),
                    th.style(&format!("state.{}", t.state.as_str())),
                ),
            ];
            if let Some(c) = chain {
                spans.push(safe(&c, th.style("text.muted")));
            }
            spans.push(safe(&fit(&t.title, room), th.style("text")));
            spans.push(Span::raw(" "));
            Line::from(spans)
        }
        None => Line::styled(" Detail ", th.style("text.title")),
    };
    let block = pane_block(app, title, Some(Pane::Detail));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    drawn.areas.tabs = draw_tabs(frame, app, tabs);
    drawn.areas.detail = body;
    drawn.page = body.height.saturating_sub(1).max(1) as usize;
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
    match app.tab() {
        Tab::Output => draw_output(frame, app, &turn, body),
        Tab::Diff => drawn.diff_rows = super::diff::draw_diff(frame, app, body),
        Tab::Events => draw_events(frame, app, &turn, body),
        Tab::Invariants => super::dashboard::draw_invariants(frame, app, &turn, body),
        Tab::Provenance => super::provenance::draw_provenance(frame, app, &turn, body),
    }
}

/// The tab bar: full titles when they fit, short ones when not, and at the
/// narrowest only the active tab's title beside the others' numbers — all
/// five keys always show. Returns where each tab is, for the mouse.
fn draw_tabs(frame: &mut Frame, app: &App, area: Rect) -> Vec<(Tab, Rect)> {
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
            _ if t == app.tab() => short(t).to_string(),
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
        let style = if *t == app.tab() {
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
    places
}

pub(super) fn muted<'a>(app: &App, text: impl Into<String>) -> Line<'a> {
    Line::styled(text.into(), app.theme.style("text.muted"))
}

/// The context gauge: how full the agent's context was at its last
/// request — the overflowing one when the last request overflowed.
/// `cells` is the bar's length.
fn context_gauge(app: &App, r: &crate::transcript::Rendered, cells: usize) -> Vec<Span<'static>> {
    let th = &app.theme;
    let over = |k: String| Span::styled(k, th.style("gauge.high"));
    let Some(u) = r.usage.as_ref() else {
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
    // A pipeline's pass: its run, contract and `out` over its output,
    // taking at most half the pane.
    let area = match app.current_pass() {
        Some((p, a)) => {
            let mut lines = super::pipeline::pass_lines(app, p, a, area.width as usize);
            lines.truncate((area.height / 2).max(3) as usize);
            let [top, rest] = Layout::vertical([
                Constraint::Length(lines.len() as u16 + 1),
                Constraint::Min(1),
            ])
            .areas(area);
            frame.render_widget(Paragraph::new(lines), top);
            rest
        }
        None => area,
    };
    let [gauge, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let w = &app.detail.output.window;
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
            if app.detail.output.follow {
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
    if !app.detail.output.loaded {
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
    let end = lines.len().saturating_sub(app.detail.output.from_bottom);
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
        app.detail.reading.hscroll,
        width,
        th,
    )
    .scroll((scroll, 0));
    frame.render_widget(p, body);
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
            .skip(app.detail.events.scroll)
            .take(area.height as usize)
            .map(|e| {
                let role = match e.kind {
                    "risk_escalated" => "risk.escalated",
                    "action_decided" if e.text.contains(" deny by ") => "warning",
                    "turn_decided" | "action_decided" => "info",
                    "landing_aborted" | "rollback_aborted" | "turn_interrupted"
                    | "write_refused" => "warning",
                    "sources_checked" if e.text.contains(" source: ") => "warning",
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
        app.detail.reading.hscroll,
        area.width as usize,
        th,
    );
    frame.render_widget(p, area);
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
