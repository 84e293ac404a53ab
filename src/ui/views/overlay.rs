//! What floats over the panes: the help overlay (generated from the active
//! keymap) and the dialogs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::centered;
use super::text::{fit, safe};
use crate::model::RiskClass;
use crate::ui::app::{App, Dialog};
use crate::ui::keymap::Layer;

const HELP_LAYERS: [(Layer, &str); 6] = [
    (Layer::Global, "Everywhere"),
    (Layer::Turns, "Turns list"),
    (Layer::Queue, "Waiting for you"),
    (Layer::Detail, "Detail pane"),
    (Layer::Autonomy, "Autonomy panel"),
    (Layer::Dialog, "Dialogs"),
];

/// The keys of every layer, as the active keymap binds them.
pub fn draw_help(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let mut lines = Vec::new();
    for (layer, title) in HELP_LAYERS {
        let b = app.keymap.bindings(layer);
        if b.is_empty() {
            continue;
        }
        lines.push(Line::styled(title.to_string(), th.style("text.title")));
        for (key, action) in b {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<12}", key.to_string()), th.style("help.key")),
                Span::styled(action.describe().to_string(), th.style("help.action")),
            ]));
        }
        lines.push(Line::raw(""));
    }
    let rect = centered(area, 60, area.height.saturating_sub(4));
    let scroll = app.help.unwrap_or(0).min(lines.len().saturating_sub(1));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(th.style("dialog.border"))
                    .title(Line::styled(" Keys (esc closes) ", th.style("text.title"))),
            )
            .style(th.style("dialog")),
        rect,
    );
}

fn key_hint(app: &App, action: crate::ui::action::Action) -> String {
    app.keymap
        .keys_for(Layer::Dialog, action)
        .first()
        .map(|k| k.to_string())
        .unwrap_or_else(|| "?".into())
}

/// The open dialog.
pub fn draw_dialog(frame: &mut Frame, app: &App, area: Rect) {
    use crate::ui::action::Action;
    let th = &app.theme;
    let Some(d) = &app.dialog else { return };
    let yes = key_hint(app, Action::Confirm);
    let no = key_hint(app, Action::Cancel);
    let (title, mut lines): (String, Vec<Line>) = match d {
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
        Dialog::NewTurn(nt) => {
            let tasks = &app.ws.tasks.tasks;
            let mut v = vec![Line::styled(
                "Start a turn: pick a task, or type a command.",
                th.style("text"),
            )];
            v.push(Line::raw(""));
            for (i, t) in tasks.iter().enumerate() {
                let chosen = nt.selected == i;
                let what = t
                    .prompt
                    .clone()
                    .or_else(|| t.command.as_ref().map(|c| c.join(" ")))
                    .unwrap_or_default();
                let line = Line::from(vec![
                    Span::styled(if chosen { "› " } else { "  " }, th.style("help.key")),
                    safe(&t.name, th.style("text.title")),
                    Span::styled(
                        format!(
                            "  {}  ",
                            t.risk
                                .map(|r| r.to_string())
                                .unwrap_or_else(|| "default risk".into())
                        ),
                        th.style("text.muted"),
                    ),
                    safe(&fit(&what, 40), th.style("text.muted")),
                ]);
                v.push(if chosen {
                    line.style(th.style("selection"))
                } else {
                    line
                });
            }
            let custom = nt.selected == tasks.len();
            let risk_spans: Vec<Span> = RiskClass::ALL
                .iter()
                .map(|r| {
                    if *r == nt.risk {
                        Span::styled(format!("[{r}]"), th.style(&format!("risk.{r}")))
                    } else {
                        Span::styled(format!(" {r} "), th.style("text.muted"))
                    }
                })
                .collect();
            let mut cmd = vec![
                Span::styled(if custom { "› " } else { "  " }, th.style("help.key")),
                Span::styled("command: ", th.style("text.title")),
                safe(&nt.command, th.style("text")),
            ];
            if custom {
                cmd.push(Span::styled("▏", th.style("help.key")));
            }
            v.push(Line::from(cmd));
            let mut risk = vec![Span::styled("  risk: ", th.style("text.muted"))];
            risk.extend(risk_spans);
            v.push(Line::from(risk));
            v.push(Line::raw(""));
            v.push(Line::styled(
                "↑↓ choose · ←→ risk · enter start (a detached `leash run`) · esc cancel",
                th.style("text.muted"),
            ));
            (" New turn ".to_string(), v)
        }
    };
    if app.demo {
        lines.insert(0, Line::styled("demo workspace", th.style("text.muted")));
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, 72, h);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(th.style("dialog.border"))
                    .title(Line::styled(title, th.style("text.title"))),
            )
            .style(th.style("dialog")),
        rect,
    );
}
