//! What floats over the panes: the help overlay (generated from the active
//! keymap) and the dialogs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::centered;
use super::text::{fit, safe};
use crate::ui::app::{App, Dialog};
use crate::ui::keymap::Layer;

const HELP_LAYERS: [(Layer, &str); 6] = [
    (Layer::Turns, "Turns list"),
    (Layer::Queue, "Waiting for you"),
    (Layer::Detail, "Detail pane"),
    (Layer::Autonomy, "Autonomy panel"),
    (Layer::Global, "Everywhere"),
    (Layer::Dialog, "Dialogs"),
];

/// The keys of every layer, as the active keymap binds them: one line per
/// action with all its keys, in two columns when the screen is wide.
pub fn draw_help(frame: &mut Frame, app: &App, scroll: usize, area: Rect) {
    let th = &app.theme;
    let mut lines: Vec<Line> = Vec::new();
    for (layer, title) in HELP_LAYERS {
        let mut by_action: Vec<(crate::ui::action::Action, Vec<String>)> = Vec::new();
        for (key, action) in app.keymap.bindings(layer) {
            match by_action.iter_mut().find(|(a, _)| *a == action) {
                Some((_, keys)) => keys.push(key.to_string()),
                None => by_action.push((action, vec![key.to_string()])),
            }
        }
        if by_action.is_empty() {
            continue;
        }
        lines.push(Line::styled(title.to_string(), th.style("text.title")));
        for (action, keys) in by_action {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<16}", fit(&keys.join(" "), 15)),
                    th.style("help.key"),
                ),
                Span::styled(action.describe().to_string(), th.style("help.action")),
            ]));
        }
        lines.push(Line::raw(""));
    }
    let two = area.width >= 100;
    let width = if two { 96 } else { 52 };
    // Split at the section break nearest the middle, so no section's title
    // ends one column and its keys start the next.
    let half = lines.len().div_ceil(2);
    let per_column = if two {
        (0..lines.len())
            .filter(|&i| lines[i].spans.is_empty() || lines[i].width() == 0)
            .map(|i| i + 1)
            .min_by_key(|&i| i.abs_diff(half))
            .unwrap_or(half)
    } else {
        lines.len()
    };
    let tallest = per_column.max(lines.len() - per_column);
    let rect = centered(
        area,
        width,
        (tallest as u16 + 2).min(area.height.saturating_sub(2)),
    );
    frame.render_widget(Clear, rect);
    let block = dialog_block(th, " Keys (esc closes) ").style(th.style("dialog"));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let scroll = scroll.min(tallest.saturating_sub(1)) as u16;
    if two {
        let right: Vec<Line> = lines.split_off(per_column);
        let [l, r] = ratatui::layout::Layout::horizontal([
            ratatui::layout::Constraint::Percentage(50),
            ratatui::layout::Constraint::Percentage(50),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), l);
        frame.render_widget(Paragraph::new(right).scroll((scroll, 0)), r);
    } else {
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
    }
}

fn key_hint(app: &App, action: crate::ui::action::Action) -> String {
    app.keymap
        .keys_for(Layer::Dialog, action)
        .first()
        .map(|k| k.to_string())
        .unwrap_or_else(|| "?".into())
}

/// A dialog.
pub fn draw_dialog(frame: &mut Frame, app: &App, d: &Dialog, area: Rect) {
    use crate::ui::action::Action;
    let th = &app.theme;
    let yes = key_hint(app, Action::Confirm);
    let no = key_hint(app, Action::Cancel);
    let (title, mut lines): (String, Vec<Line>) = match d {
        Dialog::Comment {
            turn,
            path,
            line,
            old_line,
            input,
        } => (
            format!(" Comment on {turn} "),
            vec![
                Line::from(vec![
                    Span::styled("On ", th.style("text")),
                    safe(path, th.style("diff.file")),
                    Span::styled(
                        match (line, old_line) {
                            (Some(n), _) => format!(" line {n}"),
                            (None, Some(o)) => format!(" removed line {o}"),
                            (None, None) => String::new(),
                        },
                        th.style("text"),
                    ),
                    Span::styled(
                        " (kept in the journal, shown on the line)",
                        th.style("text"),
                    ),
                ]),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("› ", th.style("help.key")),
                    safe(input, th.style("text")),
                    Span::styled("▏", th.style("help.key")),
                ]),
                Line::raw(""),
                Line::styled("enter keeps it · esc cancels", th.style("text.muted")),
            ],
        ),
        Dialog::Reason {
            turn,
            input,
            action,
        } => (
            if *action {
                format!(" Deny {turn} ")
            } else {
                format!(" Reject {turn} ")
            },
            vec![
                Line::styled(
                    if *action {
                        "Why is it denied? (the agent is told; kept in the journal)"
                    } else {
                        "Why is it rejected? (kept in the journal)"
                    },
                    th.style("text"),
                ),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("› ", th.style("help.key")),
                    safe(input, th.style("text")),
                    Span::styled("▏", th.style("help.key")),
                ]),
                Line::raw(""),
                Line::styled(
                    if *action {
                        "enter denies · esc cancels"
                    } else {
                        "enter rejects · esc cancels"
                    },
                    th.style("text.muted"),
                ),
            ],
        ),
        Dialog::Confirm { title, lines, .. } => {
            let mut v: Vec<Line> = lines
                .iter()
                .map(|l| Line::from(safe(l, th.style("text"))))
                .collect();
            v.push(Line::raw(""));
            v.push(Line::styled(
                format!("{yes} confirm · {no} cancel"),
                th.style("text.muted"),
            ));
            (format!(" {title} "), v)
        }
        Dialog::Notice { title, lines } => {
            let mut v: Vec<Line> = lines
                .iter()
                .map(|l| Line::from(safe(l, th.style("warning"))))
                .collect();
            v.push(Line::raw(""));
            v.push(Line::styled(
                "enter or esc to continue".to_string(),
                th.style("text.muted"),
            ));
            (format!(" {title} "), v)
        }
        Dialog::NewTurn(form) => return super::form::draw(frame, app, form, area),
        Dialog::Blame(v) => return super::blame::draw_blame(frame, app, v, area),
        Dialog::Source(v) => return super::blame::draw_source(frame, app, v, area),
    };
    if app.demo {
        lines.insert(0, Line::styled("demo workspace", th.style("text.muted")));
    }
    // Long lines wrap: count the rows they take, so that nothing (a notice's
    // end, the key hint) is cut off.
    let inner = usize::from(72.min(area.width).saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let h = (rows as u16 + 2).min(area.height);
    let rect = centered(area, 72, h);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(dialog_block(th, title))
            .style(th.style("dialog")),
        rect,
    );
}

/// The frame of a dialog: a border in the dialog's colour and its title.
pub(super) fn dialog_block<'a>(
    th: &crate::ui::theme::Theme,
    title: impl Into<std::borrow::Cow<'a, str>>,
) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(th.style("dialog.border"))
        .title(Line::styled(title, th.style("text.title")))
}
