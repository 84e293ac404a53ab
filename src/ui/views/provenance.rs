//! The Provenance tab: where a turn came from (base, prompt, command,
//! agent session, confinement) and what it wrote.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{cut_paragraph, safe};
use crate::model::short;
use crate::state::Turn;
use crate::ui::app::{App, Ctx};

pub(super) fn draw_provenance(frame: &mut Frame, app: &App, turn: &Turn, area: Rect) {
    let th = &app.theme;
    let lines = provenance_lines(&app.ctx(), turn);
    // Scrolled like Events (`↑↓`, pages, Home/End), so its last lines —
    // the confinement's paths — can be read on any screen.
    let top = app
        .detail
        .provenance
        .scroll
        .min(lines.len().saturating_sub(1)) as u16;
    let wrap = app.wraps();
    let p = cut_paragraph(
        lines,
        |_, l| usize::from(l.spans.len() > 1),
        wrap,
        app.detail.reading.hscroll,
        area.width as usize,
        th,
    )
    .scroll((top, 0));
    frame.render_widget(p, area);
}

/// The Provenance tab's lines for `turn`.
pub(crate) fn provenance_lines<'a>(app: &Ctx<'a>, turn: &'a Turn) -> Vec<Line<'a>> {
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
        .and_then(|s| app.ws.state().sessions.get(s))
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
    // Unread and stale sources first: the claims a reviewer should check.
    if !turn.citations.is_empty() {
        lines.push(Line::raw(""));
        lines.push(muted(
            app,
            "sources its added lines cite that it did not read, or that changed since:",
        ));
        for c in &turn.citations {
            let word = match c.problem {
                crate::invariants::Problem::Unread => "unread",
                crate::invariants::Problem::Stale => "stale ",
                crate::invariants::Problem::Missing => "missing",
            };
            let mut spans = vec![
                Span::styled(format!("  {word}  "), th.style("warning")),
                safe(&c.target, th.style("text")),
                Span::styled("  in ", th.style("text.muted")),
                safe(&format!("{}:{}", c.path, c.line), th.style("text")),
            ];
            if let Some(d) = &c.detail {
                spans.push(Span::styled("  — ", th.style("text.muted")));
                spans.push(safe(d, th.style("text.muted")));
            }
            lines.push(Line::from(spans));
        }
    }
    // What each action read before what it wrote: the sources behind the
    // changed lines, with the content the agent saw, as the agent's hooks
    // or stream reported them.
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
            action_lines(app, a, &mut lines);
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

fn muted<'a>(app: &Ctx, text: impl Into<String>) -> Line<'a> {
    Line::styled(text.into(), app.theme.style("text.muted"))
}

/// An action's reads (each source with the blob or hash of what the agent
/// saw), its reads that cannot be known, then its writes.
fn action_lines<'a>(app: &Ctx<'a>, a: &'a crate::state::ActionInfo, lines: &mut Vec<Line<'a>>) {
    let th = &app.theme;
    let row = |what: &str, text: String, id: &str| {
        let mut spans = vec![
            Span::styled(format!("           {what:<7}"), th.style("text.muted")),
            safe(&text, th.style("text")),
        ];
        if !id.is_empty() {
            let id = id.strip_prefix("sha256:").unwrap_or(id);
            spans.push(Span::styled(
                format!("  @ {}", short(id)),
                th.style("text.muted"),
            ));
        }
        Line::from(spans)
    };
    // Journals from before sources were recorded name paths only.
    if a.sources.is_empty() && !a.paths_read.is_empty() {
        lines.push(row("read", a.paths_read.join(", "), ""));
    }
    for s in &a.sources {
        let what = match (s.seen, &s.query) {
            (_, Some(_)) => "search",
            (crate::provenance::Seen::Listing, _) => "listed",
            (crate::provenance::Seen::Matches, _) => "matched",
            _ => "read",
        };
        lines.push(row(what, s.target().to_string(), s.content_id()));
    }
    for c in &a.unknown_reads {
        lines.push(Line::from(vec![
            Span::styled("           reads unknown: ", th.style("warning")),
            safe(c, th.style("text")),
        ]));
    }
    if a.written.is_empty() && !a.paths_written.is_empty() {
        lines.push(row("wrote", a.paths_written.join(", "), ""));
    }
    for w in &a.written {
        let what = if w.blob.is_some() { "wrote" } else { "deleted" };
        lines.push(row(what, w.path.clone(), w.blob.as_deref().unwrap_or("")));
    }
}
