//! Reading in the console: wrapping or sideways scrolling of long lines in
//! the detail tabs, tool inputs in full, the turns list's filter, and the
//! mouse (a click selects, the wheel scrolls the pane under it).

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::{App, Pane, Status, TABS, Tab};
use crate::state::Turn;
use crate::ui::action::Action;

/// How far one sideways step scrolls, in columns.
pub const HSCROLL_STEP: usize = 8;
/// The farthest sideways scroll (output lines are cut at 2,000 columns).
const HSCROLL_MAX: usize = 2000;
/// How far one wheel notch scrolls, in lines.
const WHEEL_LINES: usize = 3;

/// How the detail tabs show long lines, and the turns list's filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Per tab (in `TABS` order): long lines wrap, or are cut with a marker
    /// and scroll sideways. Prose (Output, Provenance) wraps by default;
    /// code and logs (Diff, Events, Invariants) are cut.
    pub wrap: [bool; 5],
    /// Columns scrolled to the right in the cut (unwrapped) tabs.
    pub hscroll: usize,
    /// Tool inputs and results in the output shown in full.
    pub expand: bool,
    /// The turns list's filter, when one is set.
    pub filter: Option<Filter>,
    /// Where the last draw put things, for the mouse.
    pub areas: Areas,
}

impl Default for Reading {
    fn default() -> Reading {
        Reading {
            wrap: [true, false, false, false, true],
            hscroll: 0,
            expand: false,
            filter: None,
            areas: Areas::default(),
        }
    }
}

/// The turns list's filter: words that must all appear in a turn's id,
/// title, state, risk or agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    /// Keys type into the filter (until Enter or Esc).
    pub editing: bool,
}

impl Filter {
    /// Whether a turn passes the filter.
    pub fn matches(&self, t: &Turn) -> bool {
        let hay = format!(
            "{} {} {} {} {} {}",
            t.id,
            t.title,
            t.state.as_str(),
            t.risk.as_str(),
            t.agent,
            t.failure.map(|f| f.shown_as()).unwrap_or_default()
        )
        .to_lowercase();
        self.text
            .to_lowercase()
            .split_whitespace()
            .all(|w| hay.contains(w))
    }
}

/// Screen areas of the last draw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Areas {
    /// The turns list inside its border, and the index of its first row.
    pub turns: Rect,
    pub turns_first: usize,
    pub queue: Rect,
    pub queue_first: usize,
    pub autonomy: Rect,
    /// The detail tabs: each tab's columns on the tab row.
    pub tabs: Vec<(Tab, Rect)>,
    pub detail: Rect,
}

impl App {
    /// Whether the current tab wraps long lines.
    pub fn wraps(&self) -> bool {
        self.reading.wrap[tab_index(self.tab)]
    }

    /// Reading keys: wrap, expand, filter, and sideways scrolling.
    pub(super) fn on_reading(&mut self, action: Action) {
        match action {
            Action::ToggleWrap => {
                let i = tab_index(self.tab);
                self.reading.wrap[i] = !self.reading.wrap[i];
                self.reading.hscroll = 0;
                self.status = Some(Status {
                    text: if self.reading.wrap[i] {
                        format!("{}: long lines wrap (w cuts them)", self.tab.title())
                    } else {
                        format!(
                            "{}: long lines are cut at → (←/→ scroll, w wraps)",
                            self.tab.title()
                        )
                    },
                    error: false,
                });
            }
            Action::Expand => {
                self.reading.expand = !self.reading.expand;
                self.tab = Tab::Output;
                self.output.from_bottom = 0;
                self.output.follow = true;
                self.status = Some(Status {
                    text: if self.reading.expand {
                        "Output: tool inputs and results in full (e folds them)".into()
                    } else {
                        "Output: tool inputs and results folded (e shows them in full)".into()
                    },
                    error: false,
                });
            }
            Action::Filter => {
                let f = self.reading.filter.get_or_insert_with(Filter::default);
                f.editing = true;
                self.focus = Pane::Turns;
            }
            Action::Left | Action::Right => {
                if self.wraps() {
                    self.status = Some(Status {
                        text: format!(
                            "{} wraps its lines: w cuts them and ←/→ scroll",
                            self.tab.title()
                        ),
                        error: false,
                    });
                    return;
                }
                self.reading.hscroll = if action == Action::Right {
                    (self.reading.hscroll + HSCROLL_STEP).min(HSCROLL_MAX)
                } else {
                    self.reading.hscroll.saturating_sub(HSCROLL_STEP)
                };
            }
            _ => {}
        }
    }

    /// A key while the filter is being typed; true when the filter took it.
    pub(super) fn filter_key(&mut self, ev: &KeyEvent) -> bool {
        let focused = self.focus == Pane::Turns;
        let Some(f) = self.reading.filter.as_mut().filter(|f| f.editing) else {
            return false;
        };
        if !focused {
            // Focus moved on (a click, Tab): the filter stays, typing ends.
            f.editing = false;
            return false;
        }
        let typing = ev
            .modifiers
            .difference(crossterm::event::KeyModifiers::SHIFT)
            .is_empty();
        match ev.code {
            KeyCode::Char(c) if typing => f.text.push(c),
            KeyCode::Backspace => {
                f.text.pop();
            }
            KeyCode::Enter => {
                f.editing = false;
                if f.text.trim().is_empty() {
                    self.reading.filter = None;
                }
            }
            KeyCode::Esc => self.reading.filter = None,
            // Other keys (arrows, Tab, ctrl-c) keep their meaning.
            _ => return false,
        }
        self.keep_selection_in_filter();
        true
    }

    /// Esc with a filter set (and not typed into) clears it; true if it did.
    pub(super) fn clear_filter(&mut self) -> bool {
        if self.focus == Pane::Turns && self.reading.filter.take().is_some() {
            self.keep_selection_in_filter();
            return true;
        }
        false
    }

    /// The selection stays on a turn the list shows.
    fn keep_selection_in_filter(&mut self) {
        let shown: Vec<String> = self.turns().iter().map(|t| t.id.clone()).collect();
        if self.selected.as_ref().is_none_or(|s| !shown.contains(s))
            && let Some(first) = shown.first()
        {
            self.select(Some(first.clone()));
        }
    }

    /// A mouse event: a click selects the turn row, queue entry or tab under
    /// it; the wheel scrolls the pane under it.
    pub fn on_mouse(&mut self, ev: MouseEvent) {
        if self.dialog.is_some() || self.help.is_some() {
            return;
        }
        let at = Position::new(ev.column, ev.row);
        let a = self.reading.areas.clone();
        let pane = if a.turns.contains(at) {
            Some(Pane::Turns)
        } else if a.queue.contains(at) {
            Some(Pane::Queue)
        } else if a.detail.contains(at) || a.tabs.iter().any(|(_, r)| r.contains(at)) {
            Some(Pane::Detail)
        } else if a.autonomy.contains(at) {
            Some(Pane::Autonomy)
        } else {
            None
        };
        let Some(pane) = pane else { return };
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some((tab, _)) = a.tabs.iter().find(|(_, r)| r.contains(at)) {
                    self.tab = *tab;
                    self.focus = Pane::Detail;
                    return;
                }
                self.focus = pane;
                match pane {
                    Pane::Turns => {
                        let i = a.turns_first + usize::from(at.y - a.turns.y) / 2;
                        let id = self.turns().get(i).map(|t| t.id.clone());
                        if id.is_some() {
                            self.select(id);
                        }
                    }
                    Pane::Queue => {
                        self.queue_sel = a.queue_first + usize::from(at.y - a.queue.y);
                        self.follow_queue();
                    }
                    Pane::Autonomy => {
                        self.slider_sel = usize::from(at.y - a.autonomy.y)
                            .min(crate::ui::worker::CLASSES.len() - 1);
                    }
                    Pane::Detail => {}
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = ev.kind == MouseEventKind::ScrollDown;
                let focus = self.focus;
                self.focus = pane;
                let step = if down { Action::Down } else { Action::Up };
                // A list moves its selection one row; text moves a few lines.
                let n = if pane == Pane::Detail { WHEEL_LINES } else { 1 };
                for _ in 0..n {
                    self.move_cursor(step);
                }
                if pane == Pane::Detail {
                    self.focus = focus;
                }
            }
            _ => {}
        }
    }
}

fn tab_index(tab: Tab) -> usize {
    TABS.iter().position(|t| *t == tab).unwrap_or(0)
}

impl App {
    /// The output lines shown: tool inputs folded or in full.
    pub fn output_lines(&self) -> Vec<&crate::ui::transcript::OutLine> {
        let expand = self.reading.expand;
        self.output
            .window
            .rendered
            .lines
            .iter()
            .filter(|l| l.fold.shows(expand))
            .collect()
    }
}
