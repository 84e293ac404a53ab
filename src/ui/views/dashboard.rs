//! The Invariants tab: the dashboard of invariants × recent checked turns,
//! and the findings of the cell under the cursor.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::detail::muted;
use super::text::{cut_paragraph, fit, safe};
use crate::state::Turn;
use crate::ui::app::App;

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
pub(super) fn draw_invariants(frame: &mut Frame, app: &App, turn: &Turn, area: Rect) {
    let th = &app.theme;
    if app.ws.config().invariants.is_empty() {
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
            if r == app.detail.dashboard.row {
                th.style("selection")
            } else {
                th.style("text")
            },
        )];
        for (c, id) in d.turns.iter().enumerate().skip(first).take(cols) {
            let t = app.ws.state().turn(id);
            let result = t.and_then(|t| t.invariants.iter().find(|x| &x.name == name));
            let (glyph, role) = result.map_or((" - ", "text.muted"), |x| outcome_cell(x.outcome));
            let mut style = th.style(role);
            if r == app.detail.dashboard.row && Some(c) == sel {
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
                    if crate::invariants::passes(res) {
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
                            crate::model::short(tree)
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
                let style = if i == app.detail.dashboard.finding {
                    th.style("selection")
                } else {
                    th.style("text")
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        if i == app.detail.dashboard.finding {
                            "› "
                        } else {
                            "  "
                        },
                        th.style("help.key"),
                    ),
                    safe(&at, style),
                    Span::styled("  ", style),
                    safe(&f.message, style),
                ]));
            }
            let more = res.finding_count().saturating_sub(res.findings.len());
            if more > 0 {
                lines.push(muted(
                    app,
                    format!(
                        "  … and {more} more (the journal keeps the first {}; `leash show --json` or `leash check --json` lists them all)",
                        res.findings.len()
                    ),
                ));
            }
            if !res.detail.is_empty() && !crate::invariants::passes(res) {
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
