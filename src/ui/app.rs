//! The console's state and the one place actions are routed: keys become
//! actions (through the layered keymap, typed text included), the layer on
//! top or the focused pane handles each — every pane owning its state and
//! answering with an [`Outcome`] — and what they ask for is carried out
//! here; whatever must happen outside (jobs, operator actions, the bell) is
//! put in the outbox for the event loop to carry out.

use std::collections::HashSet;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::AgentFormat;
use crate::model::TurnState;
use crate::state::{ActionInfo, Turn};
use crate::transcript::Format;
use crate::ui::action::Action;
use crate::ui::keymap::{Key, Keymap, Layer};
use crate::ui::settings::UserSettings;
use crate::ui::theme::Theme;
use crate::ui::worker::{Done, Job, Op};
use crate::workspace::Workspace;

mod autonomy;
mod blame;
pub mod component;
mod dashboard;
mod decide;
mod detail;
mod diff;
mod form;
mod layers;
mod output;
mod pipeline;
mod queue;
mod reading;
mod receipts;
mod review;
mod rule;
mod turn_list;
mod verdicts;
pub use autonomy::AutonomyPane;
pub use blame::{BlameView, SourceView};
pub use component::{Ctx, Effect, Outcome};
pub use dashboard::{Dashboard, DashboardView};
pub use decide::failure_words;
pub use detail::{Detail, EventsView, ProvenanceView};
pub use diff::{DiffView, Row};
pub use form::{Field, NewTurn, Replay, Source, TextField};
pub use layers::{Layers, Overlay};
pub use output::OutputView;
pub use pipeline::PassOut;
pub use queue::{QueuePane, Waiting};
pub use reading::{Areas, Drawn, Reading};
pub use receipts::Seen;
pub use review::ReviewScreen;
pub use turn_list::{Entry, Filter, TurnList};

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

    /// The tab's word in a decision's receipt: its title in lower case.
    pub fn word(self) -> &'static str {
        match self {
            Tab::Output => "output",
            Tab::Diff => "diff",
            Tab::Events => "events",
            Tab::Invariants => "invariants",
            Tab::Provenance => "provenance",
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
    /// Asks for a comment on a line of the diff (`C`).
    Comment {
        turn: String,
        path: String,
        line: Option<u32>,
        old_line: Option<u32>,
        input: String,
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
    /// Who wrote a line of the diff, and from what (`b`).
    Blame(Box<BlameView>),
    /// A source as the agent read it (`enter` on the blame).
    Source(Box<SourceView>),
}

/// A line of feedback at the bottom: the result of the last action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
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
    pub turn_list: TurnList,
    pub queue_pane: QueuePane,
    pub autonomy: AutonomyPane,
    pub detail: Detail,
    /// The review screen: a turn's summary over its diff, at full width.
    pub review: ReviewScreen,
    /// Help and dialogs over the panes, the top one getting keys first.
    pub layers: Layers,
    pub status: Option<Status>,
    pub quit: bool,
    pub outbox: Outbox,
    /// Height of the detail pane's body at the last frame, for paging.
    pub page: usize,
    /// Where the last frame put things, for the mouse.
    pub areas: Areas,
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
    pub agent_procs: Vec<crate::workspace::hooks::AgentProcess>,
    /// What the screen showed of each turn and action, for the receipts
    /// of the operator's decisions.
    pub seen: Seen,
}

/// The context a pane reads while it handles an action, built from the
/// app's other fields so the pane itself can be borrowed mutably.
macro_rules! ctx {
    ($app:expr) => {
        Ctx {
            ws: &$app.ws,
            theme: &$app.theme,
            selected: $app.selected.as_deref(),
            focus: $app.focus,
            page: $app.page,
        }
    };
}

/// The keys every line editor reads, as the editing actions they are in a
/// text field (and, on the form's lists, as moves: home, end, pages).
fn line_edit(ev: &KeyEvent) -> Option<Action> {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    let alt = ev.modifiers.contains(KeyModifiers::ALT);
    Some(match ev.code {
        KeyCode::Left if ctrl || alt => Action::WordLeft,
        KeyCode::Right if ctrl || alt => Action::WordRight,
        KeyCode::Home => Action::LineStart,
        KeyCode::End => Action::LineEnd,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char('a') if ctrl => Action::LineStart,
        KeyCode::Char('e') if ctrl => Action::LineEnd,
        KeyCode::Char('b') if ctrl => Action::Left,
        KeyCode::Char('f') if ctrl => Action::Right,
        KeyCode::Backspace if ctrl || alt => Action::EraseWord,
        KeyCode::Char('w') if ctrl => Action::EraseWord,
        KeyCode::Backspace => Action::Erase,
        KeyCode::Char('h') if ctrl => Action::Erase,
        KeyCode::Delete => Action::EraseForward,
        KeyCode::Char('d') if ctrl => Action::EraseForward,
        KeyCode::Char('u') if ctrl => Action::EraseToStart,
        KeyCode::Char('k') if ctrl => Action::EraseToEnd,
        _ => return None,
    })
}

/// The checked-out branch and head commit, as the header shows them.
fn read_head(ws: &Workspace) -> (String, String) {
    ws.branch_and_head_shown()
        .unwrap_or_else(|_| ("(detached)".into(), "(no commits)".into()))
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
            .state()
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
            turn_list: TurnList::default(),
            queue_pane: QueuePane::default(),
            autonomy: AutonomyPane::default(),
            detail: Detail::default(),
            review: ReviewScreen::default(),
            layers: Layers::default(),
            status: None,
            quit: false,
            outbox: Outbox::default(),
            page: 10,
            areas: Areas::default(),
            waiting_known,
            demo: false,
            head: (String::new(), String::new()),
            checks_running: 0,
            policy_uncommitted: false,
            agent_procs: Vec::new(),
            seen: Seen::default(),
        };
        app.head = read_head(&app.ws);
        app.policy_uncommitted = app.ws.uncommitted_policy().is_some();
        let mut notices: Vec<String> = app.ws.take_notices();
        notices.extend(problems);
        if !notices.is_empty() {
            app.layers.open(Dialog::Notice {
                title: "Heads up".into(),
                lines: notices,
            });
        }
        app.give_hints();
        let first = app.turns().first().map(|t| t.id.clone());
        app.select(first);
        app
    }

    /// The app as a pane sees it (see [`Ctx`]).
    pub fn ctx(&self) -> Ctx<'_> {
        ctx!(self)
    }

    /// Turns, newest first (those the list's filter lets through).
    pub fn turns(&self) -> Vec<&Turn> {
        self.turn_list.shown(&self.ws)
    }

    /// What waits for the operator: turns awaiting review, highest risk
    /// first, then oldest first.
    pub fn queue(&self) -> Vec<&Turn> {
        queue::review_queue(&self.ws)
    }

    /// Agents running in the repository with no session of theirs reporting
    /// to leash (their hooks are not installed, not trusted or not
    /// reviewed): one entry per agent, with its processes' ids.
    pub fn unsupervised(&self) -> Vec<(&'static str, Vec<u32>)> {
        let mut out: Vec<(&'static str, Vec<u32>)> = Vec::new();
        for p in &self.agent_procs {
            if self.ws.session_reports(p.agent, p.started) {
                continue;
            }
            match out.iter_mut().find(|(a, _)| *a == p.agent) {
                Some((_, pids)) => pids.push(p.pid),
                None => out.push((p.agent, vec![p.pid])),
            }
        }
        out
    }

    /// Everything that waits for the operator, held actions and turns
    /// awaiting review: highest risk first, then oldest first.
    pub fn waiting(&self) -> Vec<Waiting> {
        queue::waiting(&self.ws)
    }

    /// The dialog on top, if one is open.
    pub fn dialog(&self) -> Option<&Dialog> {
        self.layers.dialog()
    }

    /// The help's scroll, when the help is open.
    pub fn help(&self) -> Option<usize> {
        self.layers.help()
    }

    /// The detail tab shown.
    pub fn tab(&self) -> Tab {
        self.detail.tab
    }

    /// Whether the current tab wraps long lines.
    pub fn wraps(&self) -> bool {
        self.detail.wraps()
    }

    /// The output lines shown: tool inputs folded or in full.
    pub fn output_lines(&self) -> Vec<&crate::transcript::OutLine> {
        self.detail.output_lines()
    }

    /// The waiting action under the cursor, when the queue has focus.
    pub fn selected_action(&self) -> Option<(&Turn, &ActionInfo)> {
        if self.focus != Pane::Queue {
            return None;
        }
        match self.waiting().get(self.queue_pane.sel)? {
            Waiting::Action { action, .. } => self.ws.state().action(action),
            Waiting::Turn(_) => None,
        }
    }

    /// Holds the selected turn whole (its events and actions are shown)
    /// and every other settled one in brief.
    fn hold_current(&mut self) {
        if let Err(e) = self.ws.hold_whole(self.selected.as_deref()) {
            self.refuse(format!("reading the journal: {e}"));
        }
    }

    /// The selected turn.
    pub fn current(&self) -> Option<&Turn> {
        self.selected
            .as_deref()
            .and_then(|id| self.ws.state().turn(id))
    }

    fn select(&mut self, id: Option<String>) {
        if id == self.selected {
            return;
        }
        let from = std::mem::replace(&mut self.selected, id);
        self.hold_current();
        self.detail
            .turn_changed(from.as_deref(), self.selected.as_deref());
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
            .config()
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
                Some(self.ws.root().to_path_buf())
            } else {
                t.worktree.as_ref().map(Into::into)
            },
        });
        self.request_output(None);
        self.request_pass_out();
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
                cwd: Some(self.ws.root().display().to_string()),
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
        let session = self.ws.state().sessions.get(t.session.as_deref()?)?;
        session.transcript.clone()
    }

    /// The keymap's layers that see a key now, top first.
    pub fn layers(&self) -> Vec<Layer> {
        match self.layers.top() {
            Some(Overlay::Dialog(_)) => return vec![Layer::Dialog],
            Some(Overlay::Help(_)) => return vec![Layer::Help, Layer::Global],
            None => {}
        }
        let pane = match self.focus {
            Pane::Turns => Layer::Turns,
            Pane::Queue => Layer::Queue,
            Pane::Detail => Layer::Detail,
            Pane::Autonomy => Layer::Autonomy,
        };
        vec![pane, Layer::Global]
    }

    /// A key that types where text is typed now — a text dialog, the
    /// new-turn form, the turns list's filter — as the action it is there:
    /// a printable character types itself; in a dialog backspace erases;
    /// in the filter enter and esc end it.
    pub fn typed(&self, ev: &KeyEvent) -> Option<Action> {
        let typing = ev.modifiers.difference(KeyModifiers::SHIFT).is_empty();
        match (self.layers.top(), ev.code) {
            (
                Some(Overlay::Dialog(
                    Dialog::Reason { .. } | Dialog::Comment { .. } | Dialog::NewTurn(_),
                )),
                KeyCode::Char(c),
            ) if typing => Some(Action::Type(c)),
            (
                Some(Overlay::Dialog(Dialog::Reason { .. } | Dialog::Comment { .. })),
                KeyCode::Backspace,
            ) => Some(Action::Erase),
            (Some(Overlay::Dialog(Dialog::NewTurn(_))), _) => line_edit(ev),
            (None, code) if self.focus == Pane::Turns && self.turn_list.editing() => match code {
                KeyCode::Char(c) if typing => Some(Action::Type(c)),
                KeyCode::Backspace => Some(Action::Erase),
                KeyCode::Enter => Some(Action::Confirm),
                KeyCode::Esc => Some(Action::Cancel),
                // Other keys (arrows, Tab, ctrl-c) keep their meaning.
                _ => None,
            },
            _ => None,
        }
    }

    /// A key press: typed text (characters, and the line-editing keys in
    /// the form), or what the keymap makes of it.
    pub fn on_key(&mut self, ev: KeyEvent) {
        self.ws.mark_key_press();
        if self.layers.is_empty() && self.focus != Pane::Turns {
            // Focus moved on (a click, Tab): the filter stays, typing ends.
            self.turn_list.stop_editing();
        }
        if let Some(action) = self.typed(&ev) {
            return self.update(action);
        }
        let key = Key::from_event(&ev);
        match self.keymap.resolve(key, &self.layers()) {
            Some(action) => self.update(action),
            None => {
                if self.layers.is_empty() {
                    self.status = Some(Status {
                        text: format!("{key} does nothing here — ? shows the keys"),
                        error: false,
                    });
                }
            }
        }
    }

    /// Applies an action: the layer on top takes it; with none, the
    /// focused pane, then the detail pane (its tabs and reading keys work
    /// from anywhere), then the console's own keys.
    pub fn update(&mut self, action: Action) {
        match self.layers.top() {
            Some(Overlay::Dialog(_)) => return self.update_dialog(action),
            Some(Overlay::Help(_)) => {
                let out = self.layers.handle_help(action);
                return self.apply(out.effects);
            }
            None => {}
        }
        if matches!(action, Action::NextPass | Action::PrevPass) {
            return self.step_pass(action == Action::NextPass);
        }
        if self.route(self.focus, action) {
            return;
        }
        if self.focus != Pane::Detail && self.route(Pane::Detail, action) {
            return;
        }
        self.global(action);
    }

    /// Hands an action to a pane and carries out what it asks; true when
    /// the pane took the action.
    fn route(&mut self, pane: Pane, action: Action) -> bool {
        let ctx = ctx!(self);
        let out = match pane {
            Pane::Turns => self.turn_list.handle(action, &ctx),
            Pane::Queue => self.queue_pane.handle(action, &ctx),
            Pane::Detail => self.detail.handle(action, &ctx),
            Pane::Autonomy => self.autonomy.handle(action, &ctx),
        };
        self.apply(out.effects);
        out.consumed
    }

    /// The console's own keys: focus, help, decisions, leaving.
    fn global(&mut self, action: Action) {
        if matches!(
            action,
            Action::NextPane
                | Action::PrevPane
                | Action::SliderLeft
                | Action::SliderRight
                | Action::Filter
                | Action::AutonomyPanel
        ) {
            // A key that moves to another pane leaves the review screen,
            // which hides the panes, first.
            self.close_review();
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.layers.open_help(),
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
                    let ctx = ctx!(self);
                    let effects = self.queue_pane.enter(&ctx);
                    self.apply(effects);
                }
            }
            Action::SliderLeft | Action::SliderRight => {
                self.focus = Pane::Autonomy;
                self.route(Pane::Autonomy, action);
            }
            Action::Filter => {
                self.focus = Pane::Turns;
                self.route(Pane::Turns, action);
            }
            Action::Back if self.review.is_open() => self.close_review(),
            Action::Review => self.open_review(),
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
            Action::AllowWithRule => self.allow_with_rule(),
            Action::ToggleHunk => self.toggle_hunk(),
            Action::LandHunks => self.land_hunks(),
            Action::CommentLine => self.comment_line(),
            Action::SendBack => self.send_back(),
            Action::SelectLines => self.select_lines(),
            Action::Reject => self.reject(),
            Action::Rollback => self.rollback(),
            Action::NewTurn => self.open_new_turn(),
            Action::Replay => self.replay(),
            Action::CancelTurn => self.cancel(),
            Action::FixInvariants => self.fix(),
            _ => {}
        }
    }

    /// Carries out what a pane or layer asked for.
    fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Select(id) => self.select(id),
                Effect::Focus(pane) => self.focus = pane,
                Effect::Review(id) => self.review_turn(id),
                Effect::Status(status) => self.status = Some(status),
                Effect::Refuse(why) => self.refuse(why),
                Effect::Output(end) => self.request_output(end),
                Effect::Slide(class, level) => self.slide(class, level),
                Effect::Filtered => self.keep_selection_in_filter(),
                Effect::Job(job) => self.outbox.jobs.push(job),
                Effect::Quit => self.quit = true,
            }
        }
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

    /// With the queue focused, the selection follows the queue's cursor,
    /// which stays on its entry (see [`QueuePane::follow`]).
    fn follow_queue(&mut self) {
        let ctx = ctx!(self);
        if let Some(id) = self.queue_pane.follow(&ctx) {
            self.select(Some(id));
        }
    }

    /// A decision went through: the selection moves to what waits next
    /// (the queue's head), so the next decision starts from there.
    fn after_decision(&mut self) {
        let ctx = ctx!(self);
        if let Some(id) = self.queue_pane.to_head(&ctx) {
            self.select(Some(id));
        }
        self.review_next();
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
        self.hold_current();
        self.head = read_head(&self.ws);
        self.policy_uncommitted = self.ws.uncommitted_policy().is_some();
        for w in self.ws.take_warnings() {
            self.status = Some(Status {
                text: w,
                error: true,
            });
        }
        let waiting: Vec<(String, String)> = self
            .ws
            .state()
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
            .state()
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
        if self.turn_list.pending_run.is_some() {
            self.select_started_run();
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
        } else if self.detail.output.follow {
            self.request_output(None);
        }
    }

    /// Background work finished.
    pub fn on_done(&mut self, done: Done) {
        match done {
            Done::Diff { turn, result } => {
                if self.selected.as_deref() == Some(turn.as_str()) {
                    self.detail.diff.set(result);
                    if std::mem::take(&mut self.review.first_hunk) {
                        self.detail.diff.cursor_to_first_hunk();
                    }
                    if let Some((path, line)) = self.detail.pending_jump.take()
                        && let Some(said) = self.detail.diff.jump_to(&path, line)
                    {
                        self.status = Some(said);
                    }
                }
            }
            Done::Output { turn, window } => {
                if self.selected.as_deref() == Some(turn.as_str()) {
                    self.detail.output.window = window;
                    self.detail.output.loaded = true;
                }
            }
            Done::Highlight { key, spans } => {
                if self.selected.as_deref() == Some(key.0.as_str()) {
                    self.detail.diff.highlights.insert((key.1, key.2), spans);
                }
            }
            Done::Op { op, result } => {
                let decided = result.is_ok() && is_decision(&op);
                let started = form::started(&op, &result);
                if let Some(run) = form::started_run(&op, &result) {
                    self.turn_list.pending_run = Some(run);
                }
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
                    self.give_hints();
                }
                self.select_started(started);
                self.select_started_run();
            }
            Done::Blame { turn, sign, result } => self.blame_done(turn, sign, result),
            Done::Source { line, result } => self.source_done(line, result),
            Done::PassOut { turn, result } => self.pass_out_done(turn, result),
        }
    }

    /// What the last frame found out (drawing only reads the app): where
    /// things are for the mouse, the detail pane's page for paging, and
    /// the diff rows on screen, whose syntax colours are asked for.
    pub fn on_drawn(&mut self, drawn: Drawn) {
        self.note_drawn(&drawn);
        self.page = drawn.page;
        self.areas = drawn.areas;
        if let Some((first, last)) = drawn.diff_rows
            && let Some(turn) = self.selected.clone()
            && let Some(job) =
                self.detail
                    .diff
                    .want_highlights(first, last, turn, self.theme.syntax_theme())
        {
            self.outbox.jobs.push(job);
        }
    }
}

/// Whether an operation decides something that waited for the operator.
fn is_decision(op: &Op) -> bool {
    matches!(
        op,
        Op::Approve(..)
            | Op::ApproveHunks(..)
            | Op::Revise(..)
            | Op::Reject(..)
            | Op::Rollback(_)
            | Op::Allow(..)
            | Op::Deny(..)
    )
}

fn op_name(op: &Op) -> String {
    match op {
        Op::Approve(id, _) => format!("approve {id}"),
        Op::ApproveHunks(id, ..) => format!("approve hunks of {id}"),
        Op::Revise(id, ..) => format!("send back {id}"),
        Op::Comment { turn, .. } => format!("comment on {turn}"),
        Op::Reject(id, ..) => format!("reject {id}"),
        Op::Rollback(id) => format!("roll back {id}"),
        Op::Cancel(id) => format!("cancel {id}"),
        Op::SetAutonomy(..) => "autonomy".into(),
        Op::Start(_) => "new turn".into(),
        Op::Allow(id, _) => format!("allow {id}"),
        Op::Fix => "fix invariants".into(),
        Op::FixTurn(id) => format!("fix invariants of {id}"),
        Op::Deny(id, ..) => format!("deny {id}"),
        Op::AddRule(_) => "add the rule".into(),
    }
}

#[cfg(test)]
mod testing;
