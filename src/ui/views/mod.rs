//! Drawing: each view draws what the app state says, and nothing else —
//! it reads the app and reports what the frame found out (where things
//! are, the page height, the rows on screen) for the app to take after
//! the frame. Only visible rows are built; nothing here does I/O.

mod blame;
mod dashboard;
pub(crate) mod detail;
mod diff;
mod form;
mod lists;
mod overlay;
pub mod pipeline;
pub(crate) mod provenance;
mod review;
pub mod text;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::model::TurnState;
use crate::ui::action::Action;
use crate::ui::app::{App, Dialog, Drawn, Overlay, Pane, Tab};
use crate::ui::keymap::Layer;

/// Draws the whole console; what the frame found out is for
/// [`App::on_drawn`].
pub fn draw(frame: &mut Frame, app: &App) -> Drawn {
    let area = frame.area();
    let theme = &app.theme;
    frame.render_widget(Block::default().style(theme.style("text")), area);
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(2),
    ])
    .areas(area);
    draw_header(frame, app, header);
    let mut drawn = Drawn::default();
    if app.review.is_open() {
        // The review screen has the body to itself: the lists are away.
        review::draw(frame, app, body, &mut drawn);
        draw_footer(frame, app, footer);
        draw_layers(frame, app, area);
        return drawn;
    }
    // The list gets room for titles on wide screens; the detail pane (diffs,
    // transcripts) keeps the rest.
    let left_width = match body.width {
        160.. => 60,
        120.. => 52,
        w => w * 2 / 5,
    };
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Min(20)]).areas(body);
    let queue_len = app.waiting().len() as u16;
    let [turns, queue, autonomy] = Layout::vertical([
        Constraint::Min(5),
        // A short screen gives the turns the room: the queue scrolls.
        Constraint::Length(queue_len.clamp(1, if body.height < 30 { 3 } else { 6 }) + 2),
        Constraint::Length(3 + 2 + overrides_height(app) + lists::autonomy_notes(app).len() as u16),
    ])
    .areas(left);
    let first = lists::draw_turns(frame, app, turns);
    let queue_first = lists::draw_queue(frame, app, queue);
    lists::draw_autonomy(frame, app, autonomy);
    let inner = |r: Rect| r.inner(ratatui::layout::Margin::new(1, 1));
    let areas = &mut drawn.areas;
    areas.turns = inner(turns);
    areas.turns_first = first;
    areas.queue = inner(queue);
    areas.queue_first = queue_first;
    areas.autonomy = inner(autonomy);
    detail::draw(frame, app, right, &mut drawn);
    draw_footer(frame, app, footer);
    draw_layers(frame, app, area);
    drawn
}

/// The layers over the panes, bottom first.
fn draw_layers(frame: &mut Frame, app: &App, area: Rect) {
    for layer in app.layers.iter() {
        match layer {
            Overlay::Help(scroll) => overlay::draw_help(frame, app, *scroll, area),
            Overlay::Dialog(d) => overlay::draw_dialog(frame, app, d, area),
        }
    }
}

fn overrides_height(app: &App) -> u16 {
    app.ws
        .tasks()
        .tasks
        .iter()
        .filter(|t| app.ws.task_autonomy(&t.name).is_some())
        .count()
        .min(3) as u16
}

/// A bordered block whose border shows whether it has focus.
pub fn pane_block<'a>(app: &App, title: Line<'a>, pane: Option<Pane>) -> Block<'a> {
    let focused = pane.is_some_and(|p| p == app.focus) && app.dialog().is_none();
    let role = if focused { "border.focus" } else { "border" };
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(app.theme.style(role))
        .title(title)
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let (branch, head) = (&app.head.0, &app.head.1);
    let turns = app.ws.state().turns();
    let waiting = app.waiting().len();
    let running = turns
        .iter()
        .filter(|x| x.state == TurnState::Running)
        .count();
    // Each part with its priority (0 first): a narrow screen drops the
    // least important parts whole, keeping the order of the rest.
    let mut parts: Vec<(u8, Span)> = vec![(0, Span::styled(" leash ", t.style("text.title")))];
    if app.demo {
        parts.push((0, Span::styled(" DEMO ", t.style("warning"))));
    }
    // An agent at work here that leash does not see is the first thing to know,
    // so it comes before what a narrow screen may cut off.
    for (agent, pids) in app.unsupervised() {
        // The fact stays at any width; what to do about it goes first.
        parts.push((
            0,
            Span::styled(
                format!(
                    " ⚠ {agent} (pid {}) runs here unsupervised",
                    pids.iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                t.style("warning"),
            ),
        ));
        parts.push((
            5,
            Span::styled(
                format!(": no session reports to leash · leash hooks status {agent}"),
                t.style("warning"),
            ),
        ));
        parts.push((0, Span::styled(" ", t.style("warning"))));
    }
    parts.extend([
        (
            7,
            Span::styled(
                format!(
                    " {} ",
                    crate::sanitize::plain(&app.ws.root().display().to_string())
                ),
                t.style("header"),
            ),
        ),
        (
            3,
            Span::styled(format!(" ⎇ {branch} @ {head} "), t.style("header")),
        ),
        (
            1,
            Span::styled(
                format!(" {waiting} waiting "),
                if waiting > 0 {
                    t.style("state.awaiting_review")
                } else {
                    t.style("text.muted")
                },
            ),
        ),
        (
            2,
            Span::styled(
                format!(" {running} running "),
                if running > 0 {
                    t.style("state.running")
                } else {
                    t.style("text.muted")
                },
            ),
        ),
        (
            6,
            Span::styled(
                format!(" {} ", crate::words::count(turns.len(), "turn")),
                t.style("text.muted"),
            ),
        ),
    ]);
    let open: Vec<_> = app
        .ws
        .state()
        .sessions
        .values()
        .filter(|s| s.ended.is_none())
        .collect();
    let sessions = open.len();
    let confined = open.iter().filter(|s| s.confined.is_some()).count();
    if sessions > 0 {
        let mut text = format!(" {} ", crate::words::count(sessions, "in-place session"));
        if confined > 0 {
            // Started by `leash shell`: confined by Landlock.
            text.push_str(&format!("({confined} confined) "));
        }
        parts.push((4, Span::styled(text, t.style("info"))));
    }
    if app.policy_uncommitted {
        parts.push((
            1,
            Span::styled(
                format!(" {} ", crate::config::UNCOMMITTED_POLICY),
                t.style("warning"),
            ),
        ));
    }
    if let Some((badge, role)) = app.head_badge() {
        parts.push((1, Span::styled(format!(" {badge} "), t.style(role))));
    }
    let spans = by_priority(parts, area.width as usize);
    let spans = text::clip(spans, 0, area.width as usize, text::marker_style(t));
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(t.style("header")),
        area,
    );
}

/// The parts that fit in `width` columns: the least important (highest
/// number) go first, whole; the rest keep their order.
fn by_priority<'a>(mut parts: Vec<(u8, Span<'a>)>, width: usize) -> Vec<Span<'a>> {
    let total = |p: &[(u8, Span)]| p.iter().map(|(_, s)| s.width()).sum::<usize>();
    while total(&parts) > width {
        let Some(worst) = parts.iter().map(|(p, _)| *p).max().filter(|p| *p > 0) else {
            break;
        };
        let i = parts.iter().rposition(|(p, _)| *p == worst).unwrap_or(0);
        parts.remove(i);
    }
    parts.into_iter().map(|(_, s)| s).collect()
}

/// The actions the footer offers where the cursor is.
fn footer_actions(app: &App) -> (Layer, Vec<Action>) {
    match app.dialog() {
        Some(Dialog::Blame(_)) => {
            return (
                Layer::Dialog,
                vec![Action::Up, Action::Down, Action::Confirm, Action::Cancel],
            );
        }
        Some(Dialog::Source(_)) => {
            return (
                Layer::Dialog,
                vec![Action::Up, Action::Down, Action::Cancel],
            );
        }
        Some(_) => return (Layer::Dialog, vec![Action::Confirm, Action::Cancel]),
        None => {}
    }
    if app.help().is_some() {
        return (Layer::Help, vec![Action::Back, Action::Down, Action::Up]);
    }
    let state = app.current().map(|t| t.state);
    let mut acts = Vec::new();
    if app.review.is_open() {
        // The review screen: the diff's verdict keys, then the decisions.
        acts.extend([
            Action::NextHunk,
            Action::ToggleHunk,
            Action::LandHunks,
            Action::CommentLine,
        ]);
        if state == Some(TurnState::AwaitingReview) {
            acts.extend([Action::Approve, Action::Reject]);
        }
        acts.extend([Action::Back, Action::Help, Action::Quit]);
        return (Layer::Detail, acts);
    }
    match app.focus {
        Pane::Autonomy => acts.extend([
            Action::Up,
            Action::Down,
            Action::SliderLeft,
            Action::SliderRight,
        ]),
        Pane::Detail if app.current_pass().is_some() && app.tab() != Tab::Diff => acts.extend([
            Action::TabOutput,
            Action::TabDiff,
            Action::TabEvents,
            Action::NextPass,
            Action::PrevPass,
            Action::Follow,
            Action::ToggleWrap,
        ]),
        Pane::Detail => acts.extend([
            Action::TabOutput,
            Action::TabDiff,
            Action::TabEvents,
            Action::NextHunk,
            Action::PrevHunk,
            Action::Follow,
            Action::ToggleWrap,
        ]),
        Pane::Turns => {
            acts.extend([Action::Up, Action::Down, Action::Open, Action::Filter]);
            if app.current_pass().is_some() {
                acts.extend([Action::ToggleGroup, Action::NextPass]);
            }
        }
        Pane::Queue => acts.extend([Action::Up, Action::Down, Action::Open]),
    }
    if matches!(app.focus, Pane::Turns | Pane::Queue) && state == Some(TurnState::AwaitingReview) {
        acts.push(Action::Review);
    }
    if app.selected_action().is_some() {
        // A held action: allow it (and say it once), or deny it.
        acts.extend([Action::Approve, Action::AllowWithRule, Action::Reject]);
        acts.extend([Action::Help, Action::Quit]);
        return (Layer::Queue, acts);
    }
    match state {
        Some(TurnState::AwaitingReview) => acts.extend([Action::Approve, Action::Reject]),
        Some(TurnState::Landed) => acts.push(Action::Rollback),
        Some(TurnState::Running) => acts.push(Action::CancelTurn),
        _ => {}
    }
    if state.is_some() {
        acts.push(Action::Replay);
    }
    acts.extend([
        Action::NewTurn,
        Action::AutonomyPanel,
        Action::Help,
        Action::Quit,
    ]);
    let layer = match app.focus {
        Pane::Turns => Layer::Turns,
        Pane::Queue => Layer::Queue,
        Pane::Detail => Layer::Detail,
        Pane::Autonomy => Layer::Autonomy,
    };
    (layer, acts)
}

fn draw_footer(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let [status, keys] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    if let Some(s) = &app.status {
        let style = if s.error {
            t.style("error")
        } else {
            t.style("info")
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(" {}", crate::sanitize::plain(&s.text)),
                style,
            )),
            status,
        );
    }
    let (layer, actions) = footer_actions(app);
    let mut parts = Vec::new();
    // In a dialog that takes text, a letter types itself: offer keys that
    // do not (enter confirm, esc cancel — not y and n).
    let typing = matches!(
        app.dialog(),
        Some(Dialog::Reason { .. } | Dialog::Comment { .. } | Dialog::NewTurn(_))
    );
    for a in actions {
        // `]` and `[` step passes, and hunks where a diff is shown.
        let alias = match a {
            Action::NextHunk => Some(Action::NextPass),
            Action::PrevHunk => Some(Action::PrevPass),
            _ => None,
        };
        let key = app
            .keymap
            .keys_for(layer, a)
            .into_iter()
            .chain(app.keymap.keys_for(Layer::Global, a))
            .chain(alias.map_or(Vec::new(), |b| app.keymap.keys_for(layer, b)))
            .find(|k| !(typing && k.types_text()));
        let word = match a {
            Action::NextPass => "next pass",
            Action::PrevPass => "previous pass",
            Action::ToggleGroup => "expand / collapse",
            _ => a.describe(),
        };
        if let Some(k) = key {
            // A key and its word go or stay together.
            parts.push((
                footer_priority(a),
                [
                    Span::styled(format!(" {k} "), t.style("footer.key")),
                    Span::styled(format!("{word} "), t.style("footer")),
                ],
            ));
        }
    }
    let spans = footer_fit(parts, keys.width as usize);
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(t.style("footer")),
        keys,
    );
}

/// How much an action's key matters in the footer (0 most): decisions and
/// help always show; moving around is what a narrow footer drops first.
fn footer_priority(a: Action) -> u8 {
    match a {
        Action::Help | Action::Confirm | Action::Cancel | Action::Back => 0,
        Action::Approve | Action::Reject | Action::Rollback | Action::CancelTurn => 1,
        Action::AllowWithRule | Action::ToggleHunk | Action::LandHunks => 2,
        Action::SliderLeft | Action::SliderRight | Action::Quit => 2,
        Action::Open | Action::TabDiff | Action::NextHunk | Action::NewTurn => 3,
        Action::ToggleGroup | Action::NextPass => 3,
        Action::Review
        | Action::Replay
        | Action::AutonomyPanel
        | Action::Follow
        | Action::TabOutput => 4,
        _ => 5,
    }
}

/// The footer's keys that fit in `width`: the least important go first,
/// each key with its word; the rest keep their order.
fn footer_fit<'a>(mut pairs: Vec<(u8, [Span<'a>; 2])>, width: usize) -> Vec<Span<'a>> {
    let total = |p: &[(u8, [Span; 2])]| {
        p.iter()
            .map(|(_, [k, w])| k.width() + w.width())
            .sum::<usize>()
    };
    while total(&pairs) > width && pairs.len() > 1 {
        let worst = pairs.iter().map(|(p, _)| *p).max().unwrap_or(0);
        let i = pairs.iter().rposition(|(p, _)| *p == worst).unwrap_or(0);
        pairs.remove(i);
    }
    pairs.into_iter().flat_map(|(_, kw)| kw).collect()
}

/// A rectangle of at most `w` × `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let [_, mid, _] = Layout::new(
        Direction::Vertical,
        [
            Constraint::Length((area.height - h) / 2),
            Constraint::Length(h),
            Constraint::Min(0),
        ],
    )
    .areas(area);
    let [_, c, _] = Layout::new(
        Direction::Horizontal,
        [
            Constraint::Length((area.width - w) / 2),
            Constraint::Length(w),
            Constraint::Min(0),
        ],
    )
    .areas(mid);
    c
}
