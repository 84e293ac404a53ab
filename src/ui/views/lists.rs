//! The left column: the turns list, the queue of what waits for the
//! operator, and the autonomy panel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::pane_block;
use super::text::{fit, safe};
use crate::model::{AutonomyLevel, TurnState};
use crate::state::{PassAttempt, Turn};
use crate::ui::app::{App, Entry, Pane, Waiting};
use crate::ui::worker::CLASSES;

/// A glyph per state, so the list reads at a glance.
pub fn state_glyph(s: TurnState) -> &'static str {
    match s {
        TurnState::Running => "▶",
        TurnState::AwaitingReview => "◆",
        TurnState::Landed => "✓",
        TurnState::Rejected => "✗",
        TurnState::Failed => "!",
        TurnState::NoChanges => "○",
        TurnState::Interrupted => "‖",
        TurnState::RolledBack => "↶",
    }
}

/// A turn as two lines: what it is (state, id, risk with ↑ when it
/// escalated, autonomy, +/−, age), then its failure badge and title.
///
/// A pipeline's pass (`pass`) is indented under its run's row, its pass's
/// name and role on the second line where a turn has its title.
/// `tier` is how narrow the row is drawn ([`row_tier`]), the same for
/// every row of a kind on screen so that their columns line up.
fn turn_item<'a>(
    app: &App,
    t: &Turn,
    width: usize,
    tier: usize,
    pass: Option<&PassAttempt>,
) -> ListItem<'a> {
    let indent = if pass.is_some() { 2 } else { 0 };
    let width = width.saturating_sub(indent);
    let th = &app.theme;
    let state_role = format!("state.{}", t.state.as_str());
    let risk_role = if t.escalations.is_empty() {
        format!("risk.{}", t.risk)
    } else {
        "risk.escalated".to_string()
    };
    let level = t.autonomy.unwrap_or_else(|| app.ws.level_for(t));
    let escalated = if t.escalations.is_empty() { " " } else { "↑" };
    let mut head = vec![
        Span::raw(" ".repeat(indent)),
        Span::styled(format!("{} ", state_glyph(t.state)), th.style(&state_role)),
        Span::styled(format!("{:<4}", t.id), th.style("text.title")),
    ];
    if tier == 0 {
        head.push(Span::styled(
            format!("{:<16}", t.state.as_str()),
            th.style(&state_role),
        ));
    }
    if tier < 2 {
        head.extend([
            Span::styled(
                format!("{:<6}", t.risk.as_str()) + escalated,
                th.style(&risk_role),
            ),
            Span::styled(format!("{:<8}", level.as_str()), th.style("text.muted")),
        ]);
    } else if tier < 4 {
        head.extend([
            Span::styled(
                format!("{:<4}", short_risk(t.risk)) + escalated,
                th.style(&risk_role),
            ),
            Span::styled(format!("{:<5}", short_level(level)), th.style("text.muted")),
        ]);
    } else {
        // The narrowest: risk and autonomy by their initials (`H↑m`).
        head.extend([
            Span::styled(
                t.risk.as_str()[..1].to_uppercase() + escalated,
                th.style(&risk_role),
            ),
            Span::styled(format!("{} ", &level.as_str()[..1]), th.style("text.muted")),
        ]);
    }
    if !t.invariants.is_empty() {
        // Compact: the list is narrow, and the dashboard has the detail.
        use crate::invariants::Outcome;
        let n = |o: Outcome| t.invariants.iter().filter(|r| r.outcome == o).count();
        let (fail, degraded) = (n(Outcome::Fail), n(Outcome::Degraded));
        let mut badge = String::new();
        if fail > 0 {
            badge.push_str(&format!("{fail}✗"));
        }
        if degraded > 0 {
            badge.push_str(&format!("{degraded}~"));
        }
        let failing = !badge.is_empty();
        if !failing {
            badge.push('✓');
        }
        head.push(Span::styled(
            format!("{badge} "),
            if failing {
                th.style("failure")
            } else {
                th.style("text.muted")
            },
        ));
    }
    let used: usize = head
        .iter()
        .map(|s| s.content.chars().count())
        .sum::<usize>()
        - indent;
    // Fixed-width tail, so rows line up and a ticking age moves nothing.
    let tail = row_tail(t, tier);
    let pad = width.saturating_sub(used + tail.chars().count());
    let mut first = head;
    first.push(Span::raw(" ".repeat(pad)));
    first.push(Span::styled(tail, th.style("text.muted")));
    let mut second = vec![Span::raw(" ".repeat(indent + 2))];
    let mut room = width.saturating_sub(2);
    if let Some(d) = &t.denials {
        let badge = fit(&format!("⊘ {} denied", d.count), room);
        room = room.saturating_sub(badge.chars().count() + 3);
        second.push(Span::styled(badge, th.style("warning")));
        if room > 0 {
            second.push(Span::styled(" — ", th.style("text.muted")));
        }
    }
    if let Some(f) = t.failure {
        let badge = fit(f.shown_as(), room);
        room = room.saturating_sub(badge.chars().count() + 3);
        second.push(Span::styled(badge, th.style("failure")));
        if room > 0 {
            second.push(Span::styled(" — ", th.style("text.muted")));
        }
    }
    match pass {
        Some(a) if room > 0 => {
            let name = fit(&a.pass, room);
            room = room.saturating_sub(name.width());
            second.push(Span::styled(name, th.style("text.title")));
            if let Some(role) = a.role.as_deref().filter(|_| room > 3) {
                second.push(safe(&fit(&format!(" · {role}"), room), th.style("info")));
            }
        }
        _ if room > 0 => second.push(safe(&fit(&t.title, room), th.style("text"))),
        _ => {}
    }
    ListItem::new(vec![Line::from(first), Line::from(second)])
}

fn short_risk(r: crate::model::RiskClass) -> &'static str {
    match r.as_str() {
        "medium" => "med",
        other => other,
    }
}

fn short_level(l: AutonomyLevel) -> &'static str {
    match l {
        AutonomyLevel::Manual => "man",
        AutonomyLevel::Review => "rev",
        AutonomyLevel::Guarded => "grd",
        AutonomyLevel::Auto => "auto",
    }
}

fn row_tail(t: &Turn, tier: usize) -> String {
    let age = crate::words::age(&t.created);
    if tier < 3 {
        format!("+{} −{} {age:>3}", t.insertions, t.deletions)
    } else {
        format!("+{}−{}{age:>3}", t.insertions, t.deletions)
    }
}

/// The first line's width of a turn row at a tier of narrowing.
/// How narrow `t`'s row must be drawn to fit `width`. Narrow lists drop
/// the state word (the glyph and its colour say it), then shorten risk
/// and autonomy, then tighten the +/− and age: every column stays.
fn row_tier(t: &Turn, width: usize) -> usize {
    (0..5)
        .find(|&tier| row_width(t, tier) <= width)
        .unwrap_or(4)
}

fn row_width(t: &Turn, tier: usize) -> usize {
    let badge = if t.invariants.is_empty() {
        0
    } else {
        use crate::invariants::Outcome;
        let n = |o: Outcome| t.invariants.iter().filter(|r| r.outcome == o).count();
        let (f, d) = (n(Outcome::Fail), n(Outcome::Degraded));
        let digits = |x: usize| if x > 0 { x.to_string().len() + 1 } else { 0 };
        (digits(f) + digits(d)).max(1) + 1
    };
    let cols = match tier {
        0 => 2 + 4 + 16 + 7 + 8,
        1 => 2 + 4 + 7 + 8,
        2 | 3 => 2 + 4 + 5 + 5,
        _ => 2 + 4 + 2 + 2,
    };
    cols + badge + row_tail(t, tier).chars().count()
}

/// The turns, newest first, with state, risk (↑ when escalated), autonomy,
/// failure badge, +/− and age.
/// Returns the index of the first row shown.
pub fn draw_turns(frame: &mut Frame, app: &App, area: Rect) -> usize {
    let turns = app.turns();
    let entries = app.entries();
    let mut title = vec![
        Span::styled(" Turns ", app.theme.style("text.title")),
        Span::styled(format!("{} ", turns.len()), app.theme.style("text.muted")),
    ];
    if let Some(f) = &app.turn_list.filter {
        // The filter in the title: what it holds, the caret while typing.
        let all = app.ws.state().turns().len();
        title.pop();
        title.push(Span::styled(
            format!("{}/{all} ", turns.len()),
            app.theme.style("text.muted"),
        ));
        let room = (area.width as usize).saturating_sub(24);
        title.push(Span::styled(
            format!(
                "/{}{} ",
                fit(&crate::sanitize::plain(&f.text), room),
                if f.editing { "▏" } else { "" }
            ),
            app.theme.style("help.key"),
        ));
        if f.editing {
            title.push(Span::styled("esc clears ", app.theme.style("text.muted")));
        }
    }
    let title = Line::from(title);
    let block = pane_block(app, title, Some(Pane::Turns));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if turns.is_empty() && app.turn_list.filter.is_some() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "No turn matches the filter (esc clears it).",
                app.theme.style("text.muted"),
            )),
            inner,
        );
        return 0;
    }
    if turns.is_empty() {
        frame.render_widget(
            Paragraph::new(vec![
                Line::styled("No turns yet.", app.theme.style("text.muted")),
                Line::styled(
                    "n starts one; `leash run` in another terminal shows here at once.",
                    app.theme.style("text.muted"),
                ),
            ]),
            inner,
        );
        return 0;
    }
    let width = inner.width as usize;
    let selected = app.turn_list.position(&entries, app.selected.as_deref());
    // Only the rows that can be seen are built; a row takes two lines.
    let height = (inner.height as usize / 2).max(1);
    let sel = selected.unwrap_or(0);
    let first = sel.saturating_sub(height.saturating_sub(1));
    let shown = || entries.iter().skip(first).take(height);
    // One tier for the turns on screen, one for the passes (indented): the
    // narrowest any of them needs.
    let tier = |pass: bool| {
        shown()
            .filter_map(|e| match e {
                Entry::Turn(t) if !pass => Some(row_tier(t, width)),
                Entry::Pass(_, t) if pass => Some(row_tier(t, width.saturating_sub(2))),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    };
    let (turn_tier, pass_tier) = (tier(false), tier(true));
    let items: Vec<ListItem> = shown()
        .map(|e| match e {
            Entry::Turn(t) => turn_item(app, t, width, turn_tier, None),
            Entry::Pass(p, t) => {
                let a = p.attempts.iter().find(|a| a.turn == t.id);
                turn_item(app, t, width, pass_tier, a)
            }
            Entry::Run(p) => {
                super::pipeline::run_item(app, p, width, app.turn_list.expanded.contains(&p.id))
            }
        })
        .collect();
    let mut state = ListState::default().with_selected(selected.map(|s| s - first));
    let list = List::new(items).highlight_style(app.theme.style("selection"));
    frame.render_stateful_widget(list, inner, &mut state);
    first
}

/// What waits for the operator, held actions and turns awaiting review:
/// highest risk first, then oldest first.
/// Returns the index of the first entry shown.
pub fn draw_queue(frame: &mut Frame, app: &App, area: Rect) -> usize {
    let q = app.waiting();
    let th = &app.theme;
    let title = Line::from(vec![
        Span::styled(" Waiting for you ", th.style("text.title")),
        Span::styled(
            format!("{} ", q.len()),
            if q.is_empty() {
                th.style("text.muted")
            } else {
                th.style("state.awaiting_review")
            },
        ),
    ]);
    let mut title = title;
    let rows = area.height.saturating_sub(2) as usize;
    if q.len() > rows {
        // Entries out of view are counted, so none goes unseen.
        title.push_span(Span::styled(
            format!("+{} more ", q.len() - rows),
            th.style("text.muted"),
        ));
    }
    let block = pane_block(app, title, Some(Pane::Queue));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if q.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("nothing waits", th.style("text.muted"))),
            inner,
        );
        return 0;
    }
    let width = inner.width as usize;
    let height = (inner.height as usize).max(1);
    let selected = (app.focus == Pane::Queue).then_some(app.queue_pane.sel.min(q.len() - 1));
    // The selected entry is always in view.
    let first = selected.map_or(0, |s| s.saturating_sub(height - 1));
    let items: Vec<ListItem> = q
        .iter()
        .skip(first)
        .take(height)
        .filter_map(|w| {
            let (head, risk, text, when) = match w {
                Waiting::Action { action, .. } => {
                    let (_, a) = app.ws.state().action(action)?;
                    (
                        format!("⏸ {:<7}", a.id),
                        a.risk,
                        a.summary.clone(),
                        a.requested.clone(),
                    )
                }
                Waiting::Turn(id) => {
                    let t = app.ws.state().turn(id)?;
                    (
                        format!("{:<4}", t.id),
                        t.risk,
                        t.title.clone(),
                        t.created.clone(),
                    )
                }
            };
            let head = format!("{head}{:<7}", risk.as_str());
            let tail = format!(" {:>3}", crate::words::age(&when));
            let w = width.saturating_sub(head.chars().count() + tail.chars().count());
            // Padded to its room, so every age ends at the right edge.
            let text = fit(&crate::sanitize::plain(&text), w);
            let text = format!("{text}{}", " ".repeat(w.saturating_sub(text.width())));
            Some(ListItem::new(Line::from(vec![
                Span::styled(head, th.style(&format!("queue.{risk}"))),
                Span::styled(text, th.style("text")),
                Span::styled(tail, th.style("text.muted")),
            ])))
        })
        .collect();
    let mut state = ListState::default().with_selected(selected.map(|s| s - first));
    frame.render_stateful_widget(
        List::new(items).highlight_style(th.style("selection")),
        inner,
        &mut state,
    );
    first
}

/// The width of a slider's four stops at a tier of narrowing, the widest
/// current level assumed.
fn slider_width(tier: usize) -> usize {
    let words: usize = AutonomyLevel::ALL.iter().map(|l| l.as_str().len()).sum();
    let widest = AutonomyLevel::ALL
        .iter()
        .map(|l| l.as_str().len())
        .max()
        .unwrap_or(0);
    let stops = match tier {
        0 => words + 2 * 4,
        1 => 3 * 3 + widest + 2,
        _ => 4 * 3,
    };
    stops + 3
}

/// What the autonomy panel says under its sliders: which slider the
/// journal overrides (against the committed `.leash/config.toml`), and that
/// `guarded` is `auto` when no invariant is configured. Each note comes
/// longest first, then shorter forms for narrow panels.
pub fn autonomy_notes(app: &App) -> Vec<Vec<String>> {
    let sliders = app.ws.sliders();
    let committed = app.ws.config().autonomy;
    let mut notes = Vec::new();
    let overridden: Vec<String> = CLASSES
        .iter()
        .filter(|c| sliders.get(**c) != committed.get(**c))
        .map(|c| format!("{c} {}", committed.get(*c)))
        .collect();
    if !overridden.is_empty() {
        let was = overridden.join(", ");
        notes.push(vec![
            format!("* override; committed: {was} (leash autonomy --save)"),
            format!("* override; committed: {was} (autonomy --save)"),
            format!("* override; committed: {was}"),
            format!("* committed: {was}"),
            "* override: not in config.toml".into(),
        ]);
    }
    if app.ws.config().invariants.is_empty()
        && CLASSES
            .iter()
            .any(|c| sliders.get(*c) == AutonomyLevel::Guarded)
    {
        notes.push(vec![
            "guarded = auto here: no invariants configured".into(),
            "guarded = auto (no invariants)".into(),
            "guarded = auto: no invariants".into(),
        ]);
    }
    notes
}

/// One slider per risk class (four stops), and the per-task overrides.
pub fn draw_autonomy(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let block = pane_block(
        app,
        Line::styled(" Autonomy ", th.style("text.title")),
        Some(Pane::Autonomy),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let sliders = app.ws.sliders();
    let mut lines = Vec::new();
    for (i, class) in CLASSES.iter().enumerate() {
        let level = sliders.get(*class);
        let chosen = app.focus == Pane::Autonomy && app.autonomy.sel == i;
        // `*`: the journal moved this slider away from the committed policy.
        let overridden = level != app.ws.config().autonomy.get(*class);
        let mut spans = vec![Span::styled(
            format!(
                "{}{:<7}",
                if chosen { "›" } else { " " },
                format!("{}{}", class.as_str(), if overridden { "*" } else { "" })
            ),
            th.style(&format!("risk.{class}")),
        )];
        let room = (inner.width as usize).saturating_sub(8);
        // Narrow panels shorten the other stops to their initials, then
        // the current one to its capital: the current level always shows.
        let tier = (0..3).find(|&k| slider_width(k) <= room).unwrap_or(2);
        for (j, l) in AutonomyLevel::ALL.iter().enumerate() {
            if j > 0 {
                spans.push(Span::styled("─", th.style("slider.track")));
            }
            let word = l.as_str();
            let initial = &word[..1];
            if *l == level {
                let shown = if tier < 2 {
                    word.to_string()
                } else {
                    initial.to_uppercase()
                };
                spans.push(Span::styled(
                    format!("[{shown}]"),
                    th.style("slider.knob")
                        .patch(th.style(&format!("slider.level.{l}")))
                        .add_modifier(Modifier::BOLD),
                ));
            } else {
                let shown = if tier == 0 { word } else { initial };
                spans.push(Span::styled(format!(" {shown} "), th.style("slider.track")));
            }
        }
        let line = Line::from(spans);
        lines.push(if chosen {
            line.style(th.style("selection"))
        } else {
            line
        });
    }
    for forms in autonomy_notes(app) {
        let room = usize::from(inner.width).saturating_sub(1);
        let note = forms
            .iter()
            .find(|f| f.chars().count() <= room)
            .unwrap_or(&forms[forms.len() - 1]);
        lines.push(Line::styled(format!(" {note}"), th.style("warning")));
    }
    for task in &app.ws.tasks().tasks {
        if let Some(level) = app.ws.task_autonomy(&task.name) {
            lines.push(Line::from(vec![
                Span::styled(" task ", th.style("text.muted")),
                safe(&task.name, th.style("text")),
                Span::styled(
                    format!(" → {level}"),
                    th.style(&format!("slider.level.{level}")),
                ),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines).style(Style::default()), inner);
}
