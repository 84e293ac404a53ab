//! The new-turn and replay form: one row per field, a label column, the
//! source list in aligned columns, text fields that scroll sideways around
//! their cursor (with `…` where text is cut), and a hint line that says what
//! the keys do on the focused field.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::centered;
use super::text::{fit, safe};
use crate::model::{PassGate, PassMode, RiskClass};
use crate::ui::app::{App, Field, NewTurn, Source, TextField};

/// The label column's width.
const LABEL: usize = 11;

/// What a text field shows in `width` columns: the visible text (with `…`
/// where it is cut) and the cursor's column in it.
pub fn field_view(f: &TextField, width: usize) -> (String, usize) {
    let chars: Vec<char> = f.text.chars().collect();
    let w = |c: &char| c.width().unwrap_or(0);
    let width = width.max(4);
    let cursor = f.cursor.min(chars.len());
    let span = |a: usize, b: usize| chars[a..b].iter().map(w).sum::<usize>();
    // The first character shown: the cursor's cell (and a `…` after it)
    // must fit, after a `…` when text is cut on the left.
    let mut start = 0;
    if span(0, cursor) + 2 > width {
        start = cursor;
        while start > 0 && 1 + span(start - 1, cursor) + 2 <= width {
            start -= 1;
        }
    }
    let mut out = String::new();
    let mut col = 0;
    if start > 0 {
        out.push('…');
        col = 1;
    }
    let cursor_col = col + span(start, cursor);
    let end_cell = usize::from(cursor == chars.len());
    for i in start..chars.len() {
        if col + span(i, chars.len()) + end_cell <= width {
            out.extend(&chars[i..]);
            break;
        }
        if col + w(&chars[i]) + 1 > width {
            out.push('…');
            break;
        }
        out.push(chars[i]);
        col += w(&chars[i]);
    }
    (out, cursor_col)
}

/// A field's label, `width` columns wide, marked when it has focus.
fn label_w<'a>(app: &App, form: &NewTurn, field: Field, text: &str, width: usize) -> Span<'a> {
    let th = &app.theme;
    let w = width - 2;
    if form.focus == field {
        Span::styled(
            format!("› {text:<w$}"),
            th.style("help.key").add_modifier(Modifier::BOLD),
        )
    } else {
        Span::styled(format!("  {text:<w$}"), th.style("text.muted"))
    }
}

fn label<'a>(app: &App, form: &NewTurn, field: Field, text: &str) -> Span<'a> {
    label_w(app, form, field, text, LABEL)
}

/// One source row's columns: kind, name, risk, what it runs.
fn source_cols(app: &App, s: &Source) -> (&'static str, String, String, String) {
    match s {
        Source::Task(name) => {
            let t = app.ws.tasks().find(name);
            let risk = t
                .and_then(|t| t.risk)
                .map_or_else(|| "—".to_string(), |r| r.to_string());
            let what = t
                .and_then(|t| {
                    t.prompt
                        .clone()
                        .or_else(|| t.command.as_ref().map(shell_words::join))
                })
                .unwrap_or_default();
            ("task", name.clone(), risk, what)
        }
        Source::Pipeline(name) => (
            "task",
            name.clone(),
            "—".into(),
            format!("pipeline · {}", pass_names(app, name)),
        ),
        Source::Agent(name) => (
            "agent",
            name.clone(),
            String::new(),
            "your prompt, free-form".into(),
        ),
        Source::Command => (
            "command",
            String::new(),
            String::new(),
            "a command line, run without a shell".into(),
        ),
    }
}

/// The passes of pipeline task `name`, in order: `extract → draft`.
fn pass_names(app: &App, name: &str) -> String {
    app.ws
        .tasks()
        .find(name)
        .map(|t| {
            t.passes
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .unwrap_or_default()
}

/// What sets the passes of pipeline task `name` apart, one phrase each:
/// `audit: read-only, citation verifier, then waits for you`.
fn pass_notes(app: &App, name: &str) -> String {
    let Some(t) = app.ws.tasks().find(name) else {
        return String::new();
    };
    let notes: Vec<String> = t
        .passes
        .iter()
        .filter_map(|p| {
            let mut bits = Vec::new();
            if p.mode == PassMode::ReadOnly {
                bits.push(p.mode.to_string());
            }
            if let Some(role) = &p.role {
                bits.push(role.clone());
            }
            if p.gate == PassGate::Review {
                bits.push("then waits for you".into());
            }
            (!bits.is_empty()).then(|| format!("{}: {}", p.name, bits.join(", ")))
        })
        .collect();
    if notes.is_empty() {
        "each starts on the branch head once the one before has landed".into()
    } else {
        notes.join(" · ")
    }
}

/// Draws the form over `area`, with the terminal cursor in the focused text
/// field.
pub fn draw(frame: &mut Frame, app: &App, form: &NewTurn, area: Rect) {
    let th = &app.theme;
    let width = area.width.saturating_sub(4).clamp(20, 100);
    let inner = usize::from(width) - 2;
    let room = inner.saturating_sub(LABEL);
    let mut lines: Vec<Line> = Vec::new();
    if app.demo {
        lines.push(Line::styled("demo workspace", th.style("text.muted")));
    }
    if let Some(r) = &form.replay {
        let title = app
            .ws
            .state()
            .turn(&r.turn)
            .map(|t| t.title.clone())
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("Start {} ", r.turn), th.style("text")),
            safe(
                &fit(
                    &format!("“{}”", crate::sanitize::plain(&title)),
                    inner.saturating_sub(30),
                ),
                th.style("text.title"),
            ),
            Span::styled(" again as a new turn.", th.style("text")),
        ]));
        let short = |c: &Option<String>| {
            c.as_deref()
                .map(crate::model::short)
                .unwrap_or("(unborn)")
                .to_string()
        };
        let choice = |on: bool, text: String, style: Style| {
            if on {
                Span::styled(format!("[{text}]"), style.add_modifier(Modifier::BOLD))
            } else {
                Span::styled(format!(" {text} "), th.style("text.muted"))
            }
        };
        if form.is_pipeline() {
            lines.push(Line::from(vec![
                label(app, form, Field::Base, "Base"),
                Span::styled(
                    fit("(each pass starts on the branch head)", room),
                    th.style("text.muted").add_modifier(Modifier::ITALIC),
                ),
            ]));
        } else {
            lines.push(Line::from(vec![
                label(app, form, Field::Base, "Base"),
                choice(
                    !r.on_head,
                    format!("its base {}", short(&r.base)),
                    th.style("text"),
                ),
                Span::raw(" "),
                choice(
                    r.on_head,
                    format!("the current head {}", short(&r.head)),
                    th.style("text"),
                ),
            ]));
        }
    }
    // The rows below the list: prompt, risk, title, a blank line, the hint.
    let fixed = lines.len() + 5 + 2;
    let list_room = usize::from(area.height).saturating_sub(fixed).max(1);
    let n = form.sources.len();
    let rows = n.min(list_room);
    let scroll = if form.source < rows {
        0
    } else {
        form.source + 1 - rows
    };
    let cols: Vec<_> = form.sources.iter().map(|s| source_cols(app, s)).collect();
    let name_w = cols.iter().map(|c| c.1.width()).max().unwrap_or(0).min(16);
    let risk_w = cols.iter().map(|c| c.2.width()).max().unwrap_or(0);
    for (i, (kind, name, risk, what)) in cols.iter().enumerate().skip(scroll).take(rows) {
        let lab = if i == scroll {
            let more = if scroll > 0 {
                format!(" ↑{scroll}")
            } else {
                String::new()
            };
            label_w(
                app,
                form,
                Field::Source,
                &format!("Source{more}"),
                LABEL - 2,
            )
        } else if i + 1 == scroll + rows && scroll + rows < n {
            Span::styled(
                format!("{:<w$}", format!("  ↓{}", n - scroll - rows), w = LABEL - 2),
                th.style("text.muted"),
            )
        } else {
            Span::raw(" ".repeat(LABEL - 2))
        };
        let chosen = i == form.source;
        // The chosen row's mark sits just before the column of the values.
        let mark = Span::styled(if chosen { "● " } else { "  " }, th.style("help.key"));
        let head = format!(
            "{kind:<8}{:<name_w$}  {:<risk_w$}  ",
            fit(&crate::sanitize::plain(name), name_w),
            risk,
        );
        let what_w = room.saturating_sub(head.width());
        let style = if chosen && form.focus == Field::Source {
            th.style("selection")
        } else if chosen {
            th.style("text").add_modifier(Modifier::BOLD)
        } else {
            th.style("text")
        };
        lines.push(Line::from(vec![
            lab,
            mark,
            Span::styled(head, style),
            Span::styled(
                fit(&crate::sanitize::plain(what), what_w),
                if chosen && form.focus == Field::Source {
                    style
                } else {
                    th.style("text.muted")
                },
            ),
        ]));
    }
    // The text fields, with where their cursor is — or, for a pipeline,
    // what will run in their place.
    let mut cursor: Option<(usize, usize)> = None;
    if let Source::Pipeline(name) = form.chosen() {
        let n = app.ws.tasks().find(name).map_or(0, |t| t.passes.len());
        let row = |lab: &str, text: String, style: Style| {
            Line::from(vec![
                Span::styled(
                    format!("  {lab:<w$}", w = LABEL - 2),
                    th.style("text.muted"),
                ),
                Span::styled(fit(&text, room), style),
            ])
        };
        lines.push(row(
            "Runs",
            format!("pipeline · {}", pass_names(app, name)),
            th.style("text"),
        ));
        lines.push(row(
            "",
            format!(
                "{n} pass{}, each with its own agent, prompt and risk",
                if n == 1 { "" } else { "es" }
            ),
            th.style("text.muted"),
        ));
        lines.push(row("", pass_notes(app, name), th.style("text.muted")));
    } else {
        let command = matches!(form.chosen(), Source::Command);
        let placeholder = if command {
            "type a command, e.g. sh -c 'make test'".to_string()
        } else {
            match form.chosen() {
                Source::Task(_) => "the task's prompt".to_string(),
                _ => "type the prompt".to_string(),
            }
        };
        let mut text_row =
            |lines: &mut Vec<Line>, field: Field, name: &str, f: &TextField, ph: &str| {
                let mut spans = vec![label(app, form, field, name)];
                if f.text.is_empty() {
                    if form.focus == field {
                        cursor = Some((lines.len(), LABEL));
                    }
                    spans.push(Span::styled(
                        fit(&format!("({ph})"), room),
                        th.style("text.muted").add_modifier(Modifier::ITALIC),
                    ));
                } else {
                    let (shown, col) = field_view(f, room);
                    if form.focus == field {
                        cursor = Some((lines.len(), LABEL + col));
                    }
                    spans.push(Span::styled(shown, th.style("text")));
                }
                lines.push(Line::from(spans));
            };
        text_row(
            &mut lines,
            Field::Prompt,
            if command { "Command" } else { "Prompt" },
            form.text(),
            &placeholder,
        );
        let mut risk = vec![label(app, form, Field::Risk, "Risk")];
        for r in RiskClass::ALL {
            risk.push(if *r == form.risk {
                Span::styled(
                    format!("[{r}]"),
                    th.style(&format!("risk.{r}")).add_modifier(Modifier::BOLD),
                )
            } else {
                Span::styled(format!(" {r} "), th.style("text.muted"))
            });
        }
        lines.push(Line::from(risk));
        let title_default = match form.chosen() {
            Source::Task(name) | Source::Pipeline(name) => {
                match app.ws.tasks().find(name).and_then(|t| t.title.clone()) {
                    Some(t) => format!("the task's title: {}", crate::sanitize::plain(&t)),
                    None => "the prompt's first line".into(),
                }
            }
            Source::Agent(_) => "the prompt's first line".into(),
            Source::Command => "the command".into(),
        };
        text_row(
            &mut lines,
            Field::Title,
            "Title",
            &form.title,
            &title_default,
        );
    }
    lines.push(Line::raw(""));
    let start = if form.replay.is_some() {
        "enter replay"
    } else {
        "enter start"
    };
    let hint = match form.focus {
        Field::Source if form.is_pipeline() => {
            format!("↑↓ choose · the passes bring their own prompts · {start} · esc cancel")
        }
        Field::Source => {
            format!("↑↓ choose · typing writes the prompt · tab next · {start} · esc cancel")
        }
        Field::Prompt | Field::Title => {
            format!("←→ home end move · tab next field · {start} · esc cancel")
        }
        Field::Risk => format!("←→ choose the risk · tab next field · {start} · esc cancel"),
        Field::Base => format!("←→ choose the base · tab edits the prompt · {start} · esc cancel"),
    };
    lines.push(Line::styled(fit(&hint, inner), th.style("text.muted")));

    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, width, h);
    frame.render_widget(Clear, rect);
    let title = match &form.replay {
        Some(r) => format!(" Replay {} ", r.turn),
        None => " New turn ".to_string(),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(super::overlay::dialog_block(th, title))
            .style(th.style("dialog")),
        rect,
    );
    if let Some((row, col)) = cursor {
        let x = rect.x + 1 + col as u16;
        let y = rect.y + 1 + row as u16;
        if x < rect.right().saturating_sub(1) && y < rect.bottom().saturating_sub(1) {
            let pos = Position::new(x, y);
            frame.set_cursor_position(pos);
            // Visible without the terminal's cursor too (and under NO_COLOR).
            if let Some(cell) = frame.buffer_mut().cell_mut(pos) {
                cell.set_style(Style::default().add_modifier(Modifier::REVERSED));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, cursor: usize) -> TextField {
        TextField {
            text: text.into(),
            cursor,
        }
    }

    #[test]
    fn a_field_shows_the_cursor_and_marks_cut_text() {
        assert_eq!(field_view(&at("short", 5), 10), ("short".into(), 5));
        assert_eq!(field_view(&at("short", 0), 10), ("short".into(), 0));
        // Cursor at the end of a long text: cut on the left.
        let (shown, col) = field_view(&at("abcdefghijklmnop", 16), 10);
        assert_eq!(shown, "…jklmnop");
        assert_eq!(col, 8);
        // Cursor at the start: cut on the right.
        let (shown, col) = field_view(&at("abcdefghijklmnop", 0), 10);
        assert_eq!(shown, "abcdefghi…");
        assert_eq!(col, 0);
        // In the middle: both, and the cursor's character is shown.
        let (shown, col) = field_view(&at("abcdefghijklmnop", 12), 10);
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert_eq!(shown.chars().nth(col), Some('m'), "{shown} {col}");
        assert!(shown.width() <= 10);
        // Wide characters take two columns.
        let (shown, col) = field_view(&at("日本語のテキスト", 8), 10);
        assert!(shown.width() <= 10, "{shown}");
        assert_eq!(col, shown.width());
    }
}
