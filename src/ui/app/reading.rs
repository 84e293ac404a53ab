//! Reading in the console: wrapping or sideways scrolling of long lines in
//! the detail tabs, tool inputs in full, what a frame reports (where things
//! are), and the mouse (a click selects, the wheel scrolls the pane under
//! it).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::component::{Effect, Outcome};
use super::{App, Detail, Pane, Status, TABS, Tab};
use crate::ui::action::Action;

/// How far one sideways step scrolls, in columns.
pub const HSCROLL_STEP: usize = 8;
/// The farthest sideways scroll (output lines are cut at 2,000 columns).
const HSCROLL_MAX: usize = 2000;
/// How far one wheel notch scrolls, in lines.
const WHEEL_LINES: usize = 3;

/// How the detail tabs show long lines.
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
}

impl Default for Reading {
    fn default() -> Reading {
        Reading {
            wrap: [true, false, false, false, true],
            hscroll: 0,
            expand: false,
        }
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

/// What a frame found out while it was drawn, reported to the app after
/// it (drawing only reads the app): where things are, the detail pane's
/// page height, and the rows of the diff on screen (whose syntax colours
/// are then asked for).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drawn {
    pub areas: Areas,
    /// Height of the detail pane's body, for paging.
    pub page: usize,
    /// The diff rows drawn, `first..last`, when the Diff tab was drawn.
    pub diff_rows: Option<(usize, usize)>,
}

impl Detail {
    /// Whether the current tab wraps long lines.
    pub fn wraps(&self) -> bool {
        self.reading.wrap[tab_index(self.tab)]
    }

    /// Reading keys: wrap, expand, and sideways scrolling.
    pub(super) fn on_reading(&mut self, action: Action) -> Outcome {
        let status =
            |text: String| Outcome::with(vec![Effect::Status(Status { text, error: false })]);
        match action {
            Action::ToggleWrap => {
                let i = tab_index(self.tab);
                self.reading.wrap[i] = !self.reading.wrap[i];
                self.reading.hscroll = 0;
                status(if self.reading.wrap[i] {
                    format!("{}: long lines wrap (w cuts them)", self.tab.title())
                } else {
                    format!(
                        "{}: long lines are cut at → (←/→ scroll, w wraps)",
                        self.tab.title()
                    )
                })
            }
            Action::Expand => {
                self.reading.expand = !self.reading.expand;
                self.tab = Tab::Output;
                self.output.from_bottom = 0;
                self.output.follow = true;
                status(if self.reading.expand {
                    "Output: tool inputs and results in full (e folds them)".into()
                } else {
                    "Output: tool inputs and results folded (e shows them in full)".into()
                })
            }
            Action::Left | Action::Right => {
                if self.wraps() {
                    return status(format!(
                        "{} wraps its lines: w cuts them and ←/→ scroll",
                        self.tab.title()
                    ));
                }
                self.reading.hscroll = if action == Action::Right {
                    (self.reading.hscroll + HSCROLL_STEP).min(HSCROLL_MAX)
                } else {
                    self.reading.hscroll.saturating_sub(HSCROLL_STEP)
                };
                Outcome::consumed()
            }
            _ => Outcome::ignored(),
        }
    }
}

impl App {
    /// A mouse event: a click selects the turn row, queue entry or tab under
    /// it; the wheel scrolls the pane under it.
    pub fn on_mouse(&mut self, ev: MouseEvent) {
        if !self.layers.is_empty() {
            return;
        }
        let at = Position::new(ev.column, ev.row);
        let a = self.areas.clone();
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
                    self.detail.tab = *tab;
                    self.focus = Pane::Detail;
                    return;
                }
                self.focus = pane;
                match pane {
                    Pane::Turns => {
                        let i = a.turns_first + usize::from(at.y - a.turns.y) / 2;
                        let entries = self.turn_list.entries(&self.ws);
                        let picked = self.turn_list.pick(&entries, i);
                        if let Some(super::Effect::Select(id)) = picked
                            && id.is_some()
                        {
                            self.select(id);
                        }
                    }
                    Pane::Queue => {
                        self.queue_pane.sel = a.queue_first + usize::from(at.y - a.queue.y);
                        self.follow_queue();
                    }
                    Pane::Autonomy => {
                        self.autonomy.sel = usize::from(at.y - a.autonomy.y)
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
                    self.route(pane, step);
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

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

    use crate::ui::app::testing::{app, created, draw, finished};
    use crate::ui::app::{Pane, Tab};

    #[test]
    fn a_frame_reports_the_page_and_where_things_are_after_it_is_drawn() {
        let mut f = app(&[created("t1", "task", "low"), finished("t1", 1)]);
        let app = &mut f.app;
        assert_eq!(app.page, 10, "before any frame");
        draw(app, 100, 30);
        // 30 rows: header, footer (2), the detail's border (2), tab row.
        assert_eq!(app.page, 30 - 1 - 2 - 2 - 1 - 1);
        assert_eq!(app.areas.tabs.len(), 5);
        assert!(app.areas.turns.height > 0);
        draw(app, 100, 16);
        assert_eq!(app.page, 16 - 1 - 2 - 2 - 1 - 1);
        // The mouse finds the tabs where the last frame put them.
        let (_, at) = app.areas.tabs[2];
        app.on_mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: at.x,
            row: at.y,
            modifiers: KeyModifiers::NONE,
        });
        assert_eq!((app.tab(), app.focus), (Tab::Events, Pane::Detail));
    }
}
