//! Drawing: each view draws what the app state says, and nothing else.
//! Only visible rows are built; nothing here does I/O.

mod detail;
mod lists;
mod overlay;
pub mod text;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::model::TurnState;
use crate::ui::action::Action;
use crate::ui::app::{App, Pane};
use crate::ui::keymap::Layer;

/// Draws the whole console.
pub fn draw(frame: &mut Frame, app: &mut App) {
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
        Constraint::Length(queue_len.clamp(1, 6) + 2),
        Constraint::Length(3 + 2 + overrides_height(app)),
    ])
    .areas(left);
    lists::draw_turns(frame, app, turns);
    lists::draw_queue(frame, app, queue);
    lists::draw_autonomy(frame, app, autonomy);
    detail::draw(frame, app, right);
    draw_footer(frame, app, footer);
    if app.help.is_some() {
        overlay::draw_help(frame, app, area);
    }
    if app.dialog.is_some() {
        overlay::draw_dialog(frame, app, area);
    }
}

fn overrides_height(app: &App) -> u16 {
    app.ws
        .tasks
        .tasks
        .iter()
        .filter(|t| app.ws.task_autonomy(&t.name).is_some())
        .count()
        .min(3) as u16
}

/// A bordered block whose border shows whether it has focus.
pub fn pane_block<'a>(app: &App, title: Line<'a>, pane: Option<Pane>) -> Block<'a> {
    let focused = pane.is_some_and(|p| p == app.focus) && app.dialog.is_none();
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
    let turns = app.ws.state.turns();
    let waiting = app.waiting().len();
    let running = turns
        .iter()
        .filter(|x| x.state == TurnState::Running)
        .count();
    let mut spans = vec![Span::styled(" leash ", t.style("text.title"))];
    if app.demo {
        spans.push(Span::styled(" DEMO ", t.style("warning")));
    }
    // An agent at work here that leash does not see is the first thing to know,
    // so it comes before what a narrow screen may cut off.
    for (agent, pids) in app.unsupervised() {
        spans.push(Span::styled(
            format!(
                " ⚠ {agent} (pid {}) runs here unsupervised: no session reports to leash · \
                 leash hooks status {agent} ",
                pids.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            t.style("warning"),
        ));
    }
    spans.extend([
        Span::styled(
            format!(
                " {} ",
                crate::sanitize::plain(&app.ws.root.display().to_string())
            ),
            t.style("header"),
        ),
        Span::styled(format!(" ⎇ {branch} @ {head} "), t.style("header")),
        Span::styled(
            format!(" {waiting} waiting "),
            if waiting > 0 {
                t.style("state.awaiting_review")
            } else {
                t.style("text.muted")
            },
        ),
        Span::styled(
            format!(" {running} running "),
            if running > 0 {
                t.style("state.running")
            } else {
                t.style("text.muted")
            },
        ),
        Span::styled(
            format!(" {} ", crate::words::count(turns.len(), "turn")),
            t.style("text.muted"),
        ),
    ]);
    let sessions = app
        .ws
        .state
        .sessions
        .values()
        .filter(|s| s.ended.is_none())
        .count();
    if sessions > 0 {
        spans.push(Span::styled(
            format!(" {} ", crate::words::count(sessions, "in-place session")),
            t.style("info"),
        ));
    }
    if app.policy_uncommitted {
        spans.push(Span::styled(
            format!(" {} ", crate::config::UNCOMMITTED_POLICY),
            t.style("warning"),
        ));
    }
    if let Some((badge, role)) = app.head_badge() {
        spans.push(Span::styled(format!(" {badge} "), t.style(role)));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(t.style("header")),
        area,
    );
}

/// The actions the footer offers where the cursor is.
fn footer_actions(app: &App) -> (Layer, Vec<Action>) {
    if app.dialog.is_some() {
        return (Layer::Dialog, vec![Action::Confirm, Action::Cancel]);
    }
    if app.help.is_some() {
        return (Layer::Help, vec![Action::Back, Action::Down, Action::Up]);
    }
    let state = app.current().map(|t| t.state);
    let mut acts = Vec::new();
    match app.focus {
        Pane::Autonomy => acts.extend([
            Action::Up,
            Action::Down,
            Action::SliderLeft,
            Action::SliderRight,
        ]),
        Pane::Detail => acts.extend([
            Action::TabOutput,
            Action::TabDiff,
            Action::TabEvents,
            Action::NextHunk,
            Action::PrevHunk,
            Action::Follow,
        ]),
        Pane::Turns | Pane::Queue => acts.extend([Action::Up, Action::Down, Action::Open]),
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
    let mut spans = Vec::new();
    for a in actions {
        let key = app
            .keymap
            .keys_for(layer, a)
            .into_iter()
            .chain(app.keymap.keys_for(Layer::Global, a))
            .next();
        if let Some(k) = key {
            spans.push(Span::styled(format!(" {k} "), t.style("footer.key")));
            spans.push(Span::styled(
                format!("{} ", a.describe()),
                t.style("footer"),
            ));
        }
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(t.style("footer")),
        keys,
    );
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
