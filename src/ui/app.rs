//! The console's state and the one place it changes: keys become actions
//! (through the layered keymap), actions and finished background work
//! change state, and whatever must happen outside (jobs, operator actions,
//! the bell) is put in the outbox for the event loop to carry out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::AgentFormat;
use crate::diff::{Body, FileDiff};
use crate::model::{AutonomyLevel, TurnState};
use crate::state::{ActionInfo, Turn};
use crate::ui::action::Action;
use crate::ui::keymap::{Key, Keymap, Layer};
use crate::ui::settings::UserSettings;
use crate::ui::theme::Theme;
use crate::ui::transcript::Format;
use crate::ui::worker::{CLASSES, Done, Highlighted, Job, Op, OutputWindow};
use crate::workspace::Workspace;

mod dashboard;
mod decide;
mod form;
mod reading;
pub use dashboard::Dashboard;
pub use form::{Field, NewTurn, Replay, Source, TextField};
pub use reading::{Areas, Filter, Reading};

/// The panes that can hold focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Turns,
    Queue,
    Detail,
    Autonomy,
}

const PANES: [Pane; 4] = [Pane::Turns, Pane::Queue, Pane::Detail, Pane::Autonomy];

/// The detail pane's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Output,
    Diff,
    Events,
    Invariants,
    Provenance,
}

/// Every tab, in key order (1…5).
pub const TABS: [Tab; 5] = [
    Tab::Output,
    Tab::Diff,
    Tab::Events,
    Tab::Invariants,
    Tab::Provenance,
];

impl Tab {
    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Output => "Output",
            Tab::Diff => "Diff",
            Tab::Events => "Events",
            Tab::Invariants => "Invariants",
            Tab::Provenance => "Provenance",
        }
    }
}

/// A modal dialog; it takes every key while open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// Asks why a turn is rejected (or, with `action`, why an action is
    /// denied).
    Reason {
        turn: String,
        input: String,
        action: bool,
    },
    /// Asks to confirm an operator action, showing what it will do.
    Confirm {
        title: String,
        lines: Vec<String>,
        op: Op,
    },
    /// Starts a new turn (a task, an agent with a prompt, or a command),
    /// or replays one: the form of `form.rs`.
    NewTurn(NewTurn),
    /// Tells something that needs reading (errors, broken config files).
    Notice { title: String, lines: Vec<String> },
}

/// An entry of the queue of what waits for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    /// A tool call held by the hook gate until the operator answers.
    Action { turn: String, action: String },
    /// A turn awaiting review.
    Turn(String),
}

impl Waiting {
    /// The turn the entry belongs to.
    pub fn turn(&self) -> &str {
        match self {
            Waiting::Action { turn, .. } | Waiting::Turn(turn) => turn,
        }
    }
}

/// A line of feedback at the bottom: the result of the last action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// One display row of the diff view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    File(usize),
    Hunk(usize, usize),
    Line(usize, usize, usize),
    /// A file without text hunks (binary, too large, timed out).
    Note(usize),
}

/// The diff of the selected turn, flattened into rows.
#[derive(Debug, Default)]
pub struct DiffView {
    pub files: Option<Result<Arc<Vec<FileDiff>>, String>>,
    pub rows: Vec<Row>,
    pub scroll: usize,
    pub highlights: HashMap<(usize, usize), Arc<Highlighted>>,
    requested: HashSet<(usize, usize)>,
    /// Files whose name or text hides characters (escapes, bidi controls,
    /// zero-width): their header carries a warning.
    pub suspicious: HashSet<usize>,
}

/// Whether text holds characters a reader would not see as they are.
fn hides_characters(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\t' && c != '\r')
            || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF | 0x061C)
    })
}

impl DiffView {
    fn set(&mut self, files: Result<Arc<Vec<FileDiff>>, String>) {
        self.rows.clear();
        self.suspicious.clear();
        if let Ok(files) = &files {
            for (fi, f) in files.iter().enumerate() {
                self.rows.push(Row::File(fi));
                if hides_characters(f.path()) || f.old_path.as_deref().is_some_and(hides_characters)
                {
                    self.suspicious.insert(fi);
                }
                match &f.body {
                    Body::Text(hunks) => {
                        if hunks
                            .iter()
                            .any(|h| h.lines.iter().any(|l| hides_characters(&l.text)))
                        {
                            self.suspicious.insert(fi);
                        }
                        for (hi, h) in hunks.iter().enumerate() {
                            self.rows.push(Row::Hunk(fi, hi));
                            self.rows
                                .extend((0..h.lines.len()).map(|li| Row::Line(fi, hi, li)));
                        }
                    }
                    _ => self.rows.push(Row::Note(fi)),
                }
            }
        }
        self.scroll = self.scroll.min(self.rows.len().saturating_sub(1));
        self.highlights.clear();
        self.requested.clear();
        self.files = Some(files);
    }

    fn jump(&mut self, forward: bool, is_target: impl Fn(&Row) -> bool) {
        let found = if forward {
            (self.scroll + 1..self.rows.len()).find(|&i| is_target(&self.rows[i]))
        } else {
            (0..self.scroll).rev().find(|&i| is_target(&self.rows[i]))
        };
        if let Some(i) = found {
            self.scroll = i;
        }
    }
}

/// The output of the selected turn.
#[derive(Debug, Default)]
pub struct OutputView {
    pub window: OutputWindow,
    /// Lines scrolled up from the end of the window.
    pub from_bottom: usize,
    pub follow: bool,
    pub loaded: bool,
}

/// What the event loop must carry out after an update.
#[derive(Debug, Default)]
pub struct Outbox {
    pub jobs: Vec<Job>,
    pub ops: Vec<Op>,
    /// Ring the bell (and, if enabled, notify) with this text.
    pub bells: Vec<String>,
}

/// The console.
pub struct App {
    pub ws: Workspace,
    pub keymap: Keymap,
    pub theme: Theme,
    pub settings: UserSettings,
    pub focus: Pane,
    /// The selected turn, by id (stable while turns arrive).
    pub selected: Option<String>,
    pub queue_sel: usize,
    /// The entry under the queue's cursor, so the cursor stays on it while
    /// entries come and go (and goes to the head when it is decided).
    queue_entry: Option<Waiting>,
    pub slider_sel: usize,
    pub tab: Tab,
    pub diff: DiffView,
    pub output: OutputView,
    pub events_scroll: usize,
    /// The invariant dashboard's cursor row (invariant); its column is the
    /// selected turn.
    pub inv_row: usize,
    /// Which finding of the selected cell `enter` opens.
    pub inv_finding: usize,
    /// A file and line to show once the selected turn's diff arrives.
    pending_jump: Option<(String, Option<u32>)>,
    pub dialog: Option<Dialog>,
    pub help: Option<usize>,
    pub status: Option<Status>,
    pub quit: bool,
    pub outbox: Outbox,
    /// Height of the detail pane's body at the last draw, for paging.
    pub page: usize,
    waiting_known: HashSet<String>,
    /// Set in `leash demo`: everything demo is labelled demo.
    pub demo: bool,
    /// The branch and short head commit the header shows, read when the
    /// journal changes rather than on every frame.
    pub head: (String, String),
    /// Operator actions under way that check the branch head's invariants
    /// (landing, fixing): the header says "checking…" meanwhile.
    pub checks_running: usize,
    /// Set while a policy file in the working tree differs from the
    /// committed one (which is what applies); read with the head.
    pub policy_uncommitted: bool,
    /// Agent processes running in the repository (Claude Code, Codex), as
    /// the tick thread last found them.
    pub agent_procs: Vec<crate::agents::procs::AgentProcess>,
    /// Wrapping, sideways scrolling, the turns filter, the mouse's map.
    pub reading: Reading,
}

/// The checked-out branch and head commit, as the header shows them.
fn read_head(ws: &Workspace) -> (String, String) {
    let branch = crate::checkpoint::current_branch(&ws.repo)
        .ok()
        .flatten()
        .unwrap_or_else(|| "(detached)".into());
    let head = crate::checkpoint::head_commit(&ws.repo)
        .ok()
        .flatten()
        .map(|h| crate::checkpoint::short(&h.to_string()).to_string())
        .unwrap_or_else(|| "(no commits)".into());
    (branch, head)
}

impl App {
    /// A console over an open workspace. `problems` are config errors found
    /// on the way (the console runs on defaults and says so).
    pub fn new(
        ws: Workspace,
        keymap: Keymap,
        theme: Theme,
        settings: UserSettings,
        problems: Vec<String>,
    ) -> App {
        let waiting_known = ws
            .state
            .turns()
            .iter()
            .filter(|t| t.state == TurnState::AwaitingReview)
            .map(|t| t.id.clone())
            .collect();
        let mut app = App {
            ws,
            keymap,
            theme,
            settings,
            focus: Pane::Turns,
            selected: None,
            queue_sel: 0,
            queue_entry: None,
            slider_sel: 0,
            tab: Tab::Output,
            diff: DiffView::default(),
            output: OutputView {
                follow: true,
                ..OutputView::default()
            },
            events_scroll: 0,
            inv_row: 0,
            inv_finding: 0,
            pending_jump: None,
            dialog: None,
            help: None,
            status: None,
            quit: false,
            outbox: Outbox::default(),
            page: 10,
            waiting_known,
            demo: false,
            head: (String::new(), String::new()),
            checks_running: 0,
            policy_uncommitted: false,
            agent_procs: Vec::new(),
            reading: Reading::default(),
        };
        app.head = read_head(&app.ws);
        app.policy_uncommitted = app.ws.uncommitted_policy().is_some();
        let mut notices: Vec<String> = app.ws.notices.drain(..).collect();
        notices.extend(problems);
        if !notices.is_empty() {
            app.dialog = Some(Dialog::Notice {
                title: "Heads up".into(),
                lines: notices,
            });
        }
        let first = app.turns().first().map(|t| t.id.clone());
        app.select(first);
        app
    }

    /// Turns, newest first (those the list's filter lets through).
    pub fn turns(&self) -> Vec<&Turn> {
        let filter = self.reading.filter.as_ref();
        self.ws
            .state
            .turns()
            .iter()
            .rev()
            .filter(|t| filter.is_none_or(|f| f.matches(t)))
            .collect()
    }

    /// What waits for the operator: turns awaiting review, highest risk
    /// first, then oldest first.
    pub fn queue(&self) -> Vec<&Turn> {
        let mut q: Vec<&Turn> = self
            .ws
            .state
            .turns()
            .iter()
            .filter(|t| t.state == TurnState::AwaitingReview && t.pending.is_none())
            .collect();
        q.sort_by(|a, b| b.risk.cmp(&a.risk).then(a.created.cmp(&b.created)));
        q
    }

    /// Everything that waits for the operator: actions first (an agent is
    /// blocked on each, oldest first), then turns awaiting review.
    /// Agents running in the repository with no session of theirs reporting
    /// to leash (their hooks are not installed, not trusted or not
    /// reviewed): one entry per agent, with its processes' ids.
    pub fn unsupervised(&self) -> Vec<(&'static str, Vec<u32>)> {
        let mut out: Vec<(&'static str, Vec<u32>)> = Vec::new();
        for p in &self.agent_procs {
            if crate::agents::hooks_status::session_reports(&self.ws.state, p.agent, p.started) {
                continue;
            }
            match out.iter_mut().find(|(a, _)| *a == p.agent) {
                Some((_, pids)) => pids.push(p.pid),
                None => out.push((p.agent, vec![p.pid])),
            }
        }
        out
    }

    pub fn waiting(&self) -> Vec<Waiting> {
        let mut w: Vec<Waiting> = self
            .ws
            .state
            .waiting_actions()
            .into_iter()
            .map(|(t, a)| Waiting::Action {
                turn: t.id.clone(),
                action: a.id.clone(),
            })
            .collect();
        w.extend(
            self.queue()
                .into_iter()
                .map(|t| Waiting::Turn(t.id.clone())),
        );
        w
    }

    /// The waiting action under the cursor, when the queue has focus.
    pub fn selected_action(&self) -> Option<(&Turn, &ActionInfo)> {
        if self.focus != Pane::Queue {
            return None;
        }
        match self.waiting().get(self.queue_sel)? {
            Waiting::Action { action, .. } => self.ws.state.action(action),
            Waiting::Turn(_) => None,
        }
    }

    /// The selected turn.
    pub fn current(&self) -> Option<&Turn> {
        self.selected
            .as_deref()
            .and_then(|id| self.ws.state.turn(id))
    }

    fn select(&mut self, id: Option<String>) {
        if id == self.selected {
            return;
        }
        self.selected = id;
        self.diff = DiffView::default();
        self.output = OutputView {
            follow: true,
            ..OutputView::default()
        };
        self.events_scroll = 0;
        self.reading.hscroll = 0;
        self.request_detail();
    }

    /// How the Output tab reads a turn's log, in words.
    pub fn format_label(&self, turn: &Turn) -> &'static str {
        if self.transcript_of(turn).is_some() {
            return "the session's transcript (in place)";
        }
        match self.format_of(turn) {
            Format::Claude => "Claude Code stream",
            Format::Codex => "Codex stream",
            Format::Raw => "raw output",
        }
    }

    /// The format a turn's output is written in.
    pub fn format_of(&self, turn: &Turn) -> Format {
        self.ws
            .config
            .agents
            .get(&turn.agent)
            .map(|a| Format::from(a.format))
            .unwrap_or(if turn.agent == "demo" {
                Format::from(AgentFormat::Claude)
            } else {
                Format::Raw
            })
    }

    fn request_detail(&mut self) {
        let Some(t) = self.current().cloned() else {
            return;
        };
        self.outbox.jobs.push(Job::Diff {
            turn: t.id.clone(),
            base: t.base.clone(),
            commit: t.commit.clone(),
            worktree: if t.kind == crate::model::TurnKind::InPlace {
                Some(self.ws.root.clone())
            } else {
                t.worktree.as_ref().map(Into::into)
            },
        });
        self.request_output(None);
    }

    fn request_output(&mut self, end: Option<u64>) {
        let Some(t) = self.current() else { return };
        let job = match self.transcript_of(t) {
            // An in-place turn's output is the agent's own transcript.
            Some(path) => Job::Output {
                turn: t.id.clone(),
                path: path.into(),
                format: if t.agent == "claude" {
                    Format::Claude
                } else {
                    Format::Raw
                },
                cwd: Some(self.ws.root.display().to_string()),
                end,
            },
            None => Job::Output {
                turn: t.id.clone(),
                path: self.ws.turn_dir(&t.id).join("output.log"),
                format: self.format_of(t),
                cwd: t.worktree.clone(),
                end,
            },
        };
        self.outbox.jobs.push(job);
    }

    /// The transcript file of an in-place turn's agent session, if known.
    pub fn transcript_of(&self, t: &Turn) -> Option<String> {
        if t.kind != crate::model::TurnKind::InPlace {
            return None;
        }
        let session = self.ws.state.sessions.get(t.session.as_deref()?)?;
        session.transcript.clone()
    }

    /// The layers that see a key now, top first.
    pub fn layers(&self) -> Vec<Layer> {
        if self.dialog.is_some() {
            return vec![Layer::Dialog];
        }
        if self.help.is_some() {
            return vec![Layer::Help, Layer::Global];
        }
        let pane = match self.focus {
            Pane::Turns => Layer::Turns,
            Pane::Queue => Layer::Queue,
            Pane::Detail => Layer::Detail,
            Pane::Autonomy => Layer::Autonomy,
        };
        vec![pane, Layer::Global]
    }

    /// A key press. Text dialogs take printable characters as typing.
    pub fn on_key(&mut self, ev: KeyEvent) {
        if self.dialog.is_none() && self.help.is_none() && self.filter_key(&ev) {
            return;
        }
        let typing = ev.modifiers.difference(KeyModifiers::SHIFT).is_empty();
        match (&mut self.dialog, ev.code) {
            (Some(Dialog::Reason { input, .. }), KeyCode::Char(c)) if typing => {
                input.push(c);
                return;
            }
            (Some(Dialog::Reason { input, .. }), KeyCode::Backspace) => {
                input.pop();
                return;
            }
            (Some(Dialog::NewTurn(_)), _) => return self.form_key(ev),
            _ => {}
        }
        let key = Key::from_event(&ev);
        match self.keymap.resolve(key, &self.layers()) {
            Some(action) => self.update(action),
            None => {
                if self.dialog.is_none() && self.help.is_none() {
                    self.status = Some(Status {
                        text: format!("{key} does nothing here — ? shows the keys"),
                        error: false,
                    });
                }
            }
        }
    }

    /// Applies an action.
    pub fn update(&mut self, action: Action) {
        if self.dialog.is_some() {
            self.update_dialog(action);
            return;
        }
        if self.help.is_some() {
            match action {
                Action::Back | Action::Help | Action::Cancel => self.help = None,
                Action::Down => self.help = self.help.map(|s| s + 1),
                Action::Up => self.help = self.help.map(|s| s.saturating_sub(1)),
                Action::Quit => self.quit = true,
                _ => {}
            }
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = Some(0),
            Action::NextPane | Action::PrevPane => {
                let i = PANES.iter().position(|p| *p == self.focus).unwrap_or(0);
                let n = PANES.len();
                let j = if action == Action::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.focus = PANES[j];
                if self.focus == Pane::Queue {
                    self.enter_queue();
                }
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.move_cursor(action),
            Action::Left | Action::SliderLeft if self.focus == Pane::Autonomy => {
                self.move_slider(false)
            }
            Action::Right | Action::SliderRight if self.focus == Pane::Autonomy => {
                self.move_slider(true)
            }
            Action::SliderLeft | Action::SliderRight => {
                self.focus = Pane::Autonomy;
                self.move_slider(action == Action::SliderRight);
            }
            Action::Left | Action::Right
                if self.focus == Pane::Detail && self.tab == Tab::Invariants =>
            {
                self.dashboard_step(action == Action::Right);
            }
            Action::Left | Action::Right => self.on_reading(action),
            Action::ToggleWrap | Action::Expand | Action::Filter => self.on_reading(action),
            Action::Open => match self.focus {
                Pane::Turns | Pane::Queue => self.focus = Pane::Detail,
                Pane::Detail if self.tab == Tab::Invariants => self.open_finding(),
                Pane::Detail | Pane::Autonomy => {}
            },
            Action::Back if self.clear_filter() => {}
            Action::Back => {
                self.focus = Pane::Turns;
                self.status = None;
            }
            Action::AutonomyPanel => {
                self.focus = if self.focus == Pane::Autonomy {
                    Pane::Turns
                } else {
                    Pane::Autonomy
                };
            }
            Action::Approve => self.approve(),
            Action::Reject => self.reject(),
            Action::Rollback => self.rollback(),
            Action::NewTurn => self.open_new_turn(),
            Action::Replay => self.replay(),
            Action::CancelTurn => self.cancel(),
            Action::FixInvariants => self.fix(),
            Action::TabOutput => self.tab = Tab::Output,
            Action::TabDiff => self.tab = Tab::Diff,
            Action::TabEvents => self.tab = Tab::Events,
            Action::TabInvariants => self.tab = Tab::Invariants,
            Action::TabProvenance => self.tab = Tab::Provenance,
            Action::NextTab | Action::PrevTab => {
                let i = TABS.iter().position(|t| *t == self.tab).unwrap_or(0);
                let j = if action == Action::NextTab {
                    (i + 1) % TABS.len()
                } else {
                    (i + TABS.len() - 1) % TABS.len()
                };
                self.tab = TABS[j];
            }
            Action::NextHunk | Action::PrevHunk
                if self.focus == Pane::Detail && self.tab == Tab::Invariants =>
            {
                let n = self.dashboard_cell().map_or(0, |(_, r)| r.findings.len());
                self.inv_finding = if action == Action::NextHunk {
                    (self.inv_finding + 1).min(n.saturating_sub(1))
                } else {
                    self.inv_finding.saturating_sub(1)
                };
            }
            Action::NextHunk | Action::PrevHunk => {
                self.tab = Tab::Diff;
                self.diff.jump(action == Action::NextHunk, |r| {
                    matches!(r, Row::Hunk(..) | Row::Note(_))
                });
            }
            Action::NextFile | Action::PrevFile => {
                self.tab = Tab::Diff;
                self.diff
                    .jump(action == Action::NextFile, |r| matches!(r, Row::File(_)));
            }
            Action::Follow => {
                self.output.follow = !self.output.follow;
                if self.output.follow {
                    self.output.from_bottom = 0;
                    self.request_output(None);
                }
            }
            Action::Confirm | Action::Cancel => {}
        }
    }

    /// With the queue focused, the detail pane shows the queue's entry: what
    /// a decision would apply to is always what is on screen. The cursor
    /// stays on its entry as others come and go; when its entry is decided
    /// or removed, it goes to the head.
    fn follow_queue(&mut self) {
        if self.focus != Pane::Queue {
            return;
        }
        let waiting = self.waiting();
        let at = self
            .queue_entry
            .as_ref()
            .and_then(|e| waiting.iter().position(|w| w == e))
            .unwrap_or(0);
        self.queue_sel = at;
        self.queue_entry = waiting.get(at).cloned();
        if let Some(id) = self.queue_entry.as_ref().map(|w| w.turn().to_string()) {
            self.select(Some(id));
        }
    }

    fn move_cursor(&mut self, action: Action) {
        let page = self.page.max(1);
        let text_tab = self.focus == Pane::Detail && matches!(self.tab, Tab::Diff | Tab::Events);
        let step = |pos: usize, len: usize| -> usize {
            // A text pane scrolls no further than its last page: End shows
            // the last lines at the bottom, not one line atop an empty pane.
            let last = if text_tab {
                len.saturating_sub(page)
            } else {
                len.saturating_sub(1)
            };
            match action {
                Action::Up => pos.saturating_sub(1),
                Action::Down => (pos + 1).min(last).max(pos),
                Action::PageUp => pos.saturating_sub(page),
                Action::PageDown => (pos + page).min(last).max(pos),
                Action::Top => 0,
                _ => last,
            }
        };
        match self.focus {
            Pane::Turns => {
                let ids: Vec<String> = self.turns().iter().map(|t| t.id.clone()).collect();
                let pos = self
                    .selected
                    .as_ref()
                    .and_then(|s| ids.iter().position(|i| i == s))
                    .unwrap_or(0);
                let next = ids.get(step(pos, ids.len())).cloned();
                self.select(next);
            }
            Pane::Queue => {
                let ids: Vec<String> = self
                    .waiting()
                    .iter()
                    .map(|w| w.turn().to_string())
                    .collect();
                self.queue_sel = step(self.queue_sel, ids.len());
                self.queue_entry = self.waiting().get(self.queue_sel).cloned();
                let next = ids.get(self.queue_sel).cloned();
                if next.is_some() {
                    self.select(next);
                }
            }
            Pane::Autonomy => {
                self.slider_sel = step(self.slider_sel, CLASSES.len());
            }
            Pane::Detail => match self.tab {
                Tab::Diff => self.diff.scroll = step(self.diff.scroll, self.diff.rows.len()),
                Tab::Output => {
                    let len = self.output_lines().len();
                    // Output scrolls from the bottom: up means older.
                    let inverted = match action {
                        Action::Up => Action::Down,
                        Action::Down => Action::Up,
                        Action::PageUp => Action::PageDown,
                        Action::PageDown => Action::PageUp,
                        Action::Top => Action::Bottom,
                        _ => Action::Top,
                    };
                    let from_bottom = match inverted {
                        Action::Up => self.output.from_bottom.saturating_sub(1),
                        Action::Down => (self.output.from_bottom + 1).min(len.saturating_sub(1)),
                        Action::PageUp => self.output.from_bottom.saturating_sub(page),
                        Action::PageDown => {
                            (self.output.from_bottom + page).min(len.saturating_sub(1))
                        }
                        Action::Top => 0,
                        _ => len.saturating_sub(1),
                    };
                    self.output.from_bottom = from_bottom;
                    self.output.follow = from_bottom == 0;
                    let at_top = len > 0 && from_bottom + page >= len;
                    if at_top && self.output.window.start > 0 {
                        // Older output lives on disk: read the window before.
                        self.output.from_bottom = 0;
                        self.request_output(Some(self.output.window.start));
                    }
                }
                Tab::Invariants => {
                    self.inv_row = step(self.inv_row, self.dashboard().rows.len());
                    self.inv_finding = 0;
                }
                _ => {
                    self.events_scroll = step(self.events_scroll, self.detail_len());
                }
            },
        }
    }

    fn detail_len(&self) -> usize {
        match self.current() {
            Some(t) if self.tab == Tab::Provenance => {
                crate::ui::views::detail::provenance_lines(self, t).len()
            }
            Some(t) => t.events.len(),
            None => 0,
        }
    }

    fn move_slider(&mut self, up: bool) {
        let class = CLASSES[self.slider_sel.min(CLASSES.len() - 1)];
        let now = self.ws.sliders().get(class);
        let i = AutonomyLevel::ALL
            .iter()
            .position(|l| *l == now)
            .unwrap_or(0);
        let j = if up {
            (i + 1).min(AutonomyLevel::ALL.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        if i == j {
            self.status = Some(Status {
                text: format!("{class} is already at {now}"),
                error: false,
            });
            return;
        }
        self.slide(class, AutonomyLevel::ALL[j]);
    }

    fn refuse(&mut self, text: String) {
        self.status = Some(Status { text, error: true });
    }

    /// The journal or a log changed: fold, follow, and ring the bell when
    /// something new waits for the operator.
    pub fn on_changed(&mut self) {
        let before = self.current().map(|t| (t.state, t.commit.clone()));
        if let Err(e) = self.ws.refresh() {
            self.refuse(format!("reading the journal: {e}"));
            return;
        }
        self.head = read_head(&self.ws);
        self.policy_uncommitted = self.ws.uncommitted_policy().is_some();
        for w in self.ws.state.warnings.drain(..) {
            self.status = Some(Status {
                text: w,
                error: true,
            });
        }
        let waiting: Vec<(String, String)> = self
            .ws
            .state
            .turns()
            .iter()
            .filter(|t| t.state == TurnState::AwaitingReview)
            .filter(|t| !self.waiting_known.contains(&t.id))
            .map(|t| (t.id.clone(), t.title.clone()))
            .collect();
        for (id, title) in waiting {
            self.waiting_known.insert(id.clone());
            self.outbox
                .bells
                .push(format!("leash: {id} waits for review: {title}"));
        }
        let actions: Vec<(String, String)> = self
            .ws
            .state
            .waiting_actions()
            .into_iter()
            .filter(|(_, a)| !self.waiting_known.contains(&a.id))
            .map(|(_, a)| (a.id.clone(), a.summary.clone()))
            .collect();
        for (id, summary) in actions {
            self.waiting_known.insert(id.clone());
            self.outbox
                .bells
                .push(format!("leash: {id} waits for you: {summary}"));
        }
        if self.selected.is_none() {
            let first = self.turns().first().map(|t| t.id.clone());
            self.select(first);
            return;
        }
        if self.focus == Pane::Queue {
            let before = self.selected.clone();
            self.follow_queue();
            if self.selected != before {
                return;
            }
        }
        let after = self.current().map(|t| (t.state, t.commit.clone()));
        if before != after {
            self.request_detail();
        } else if self.output.follow {
            self.request_output(None);
        }
    }

    /// Background work finished.
    pub fn on_done(&mut self, done: Done) {
        match done {
            Done::Diff { turn, result } => {
                if self.selected.as_deref() == Some(turn.as_str()) {
                    self.diff.set(result);
                    if let Some((path, line)) = self.pending_jump.take() {
                        self.jump_to(&path, line);
                    }
                }
            }
            Done::Output { turn, window } => {
                if self.selected.as_deref() == Some(turn.as_str()) {
                    self.output.window = window;
                    self.output.loaded = true;
                }
            }
            Done::Highlight { key, spans } => {
                if self.selected.as_deref() == Some(key.0.as_str()) {
                    self.diff.highlights.insert((key.1, key.2), spans);
                }
            }
            Done::Op { op, result } => {
                let decided = result.is_ok() && is_decision(&op);
                let started = form::started(&op, &result);
                self.op_done(&op);
                self.status = Some(match result {
                    Ok(text) => Status { text, error: false },
                    Err(text) => Status {
                        text: format!("{}: {text}", op_name(&op)),
                        error: true,
                    },
                });
                self.on_changed();
                if decided {
                    self.after_decision();
                }
                self.select_started(started);
            }
        }
    }

    /// Asks for syntax colours of the hunks in rows `from..to` (the
    /// visible ones) that are not coloured or asked for yet.
    pub fn want_highlights(&mut self, from: usize, to: usize) {
        let Some(Ok(files)) = &self.diff.files else {
            return;
        };
        let Some(turn) = self.selected.clone() else {
            return;
        };
        let mut wanted = Vec::new();
        for row in
            self.diff.rows[from.min(self.diff.rows.len())..to.min(self.diff.rows.len())].iter()
        {
            let (Row::Hunk(f, h) | Row::Line(f, h, _)) = *row else {
                continue;
            };
            if !self.diff.requested.contains(&(f, h)) {
                wanted.push((f, h));
            }
        }
        wanted.dedup();
        // One at a time: the newest request replaces older ones, so ask for
        // the first missing hunk; the next draw asks for the next.
        if let Some(&(f, h)) = wanted.first() {
            let file = &files[f];
            if let Body::Text(hunks) = &file.body {
                let lines = hunks[h].lines.iter().map(|l| l.text.clone()).collect();
                self.diff.requested.insert((f, h));
                self.outbox.jobs.push(Job::Highlight {
                    key: (turn, f, h),
                    path: file.path().to_string(),
                    lines,
                    theme: self.theme.syntax_theme().to_string(),
                });
            }
        }
    }
}

/// Whether an operation decides something that waited for the operator.
fn is_decision(op: &Op) -> bool {
    matches!(
        op,
        Op::Approve(_) | Op::Reject(..) | Op::Rollback(_) | Op::Allow(_) | Op::Deny(..)
    )
}

fn op_name(op: &Op) -> String {
    match op {
        Op::Approve(id) => format!("approve {id}"),
        Op::Reject(id, _) => format!("reject {id}"),
        Op::Rollback(id) => format!("roll back {id}"),
        Op::Cancel(id) => format!("cancel {id}"),
        Op::SetAutonomy(..) => "autonomy".into(),
        Op::Start(_) => "new turn".into(),
        Op::Allow(id) => format!("allow {id}"),
        Op::Fix => "fix invariants".into(),
        Op::FixTurn(id) => format!("fix invariants of {id}"),
        Op::Deny(id, _) => format!("deny {id}"),
    }
}
