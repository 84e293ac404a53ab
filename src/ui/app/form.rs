//! The new-turn form (`n`) and the replay form (`p`): what to run (a task,
//! an agent with a free-form prompt, or a command), its prompt, risk and
//! title — and, for a replay, on which base. Tab and shift-tab move between
//! fields; a text field edits like one (cursor, ←/→, home/end, backspace,
//! delete, insertion, paste); typing while a list or a choice has focus
//! writes the prompt, so no key press goes nowhere. Enter starts exactly
//! one turn (a detached `leash run`, through the worker), esc cancels.
//! A pipeline task asks for nothing more — its passes bring their own
//! agent, prompt and risk —, and enter starts a run of it.

use super::{App, Dialog, Pane, Status};
use crate::model::TurnSpec;
use crate::model::{FailureClass, RiskClass};
use crate::state::Turn;
use crate::ui::action::Action;
use crate::ui::worker::{Op, started_id};

/// A one-line text field: its text and a cursor, counted in characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextField {
    pub text: String,
    pub cursor: usize,
}

/// Text as one line a field can show as it is: line breaks and tabs become
/// spaces; controls, bidi controls and invisible characters are dropped.
fn one_line(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if crate::sanitize::is_hidden_char(c) => None,
            c => Some(c),
        })
        .collect()
}

impl TextField {
    /// A field holding `text`, the cursor at its end.
    pub fn new(text: &str) -> TextField {
        let text = one_line(text);
        TextField {
            cursor: text.chars().count(),
            text,
        }
    }

    fn byte(&self, i: usize) -> usize {
        self.text
            .char_indices()
            .nth(i)
            .map_or(self.text.len(), |(b, _)| b)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Inserts text at the cursor and moves the cursor past it.
    pub fn insert(&mut self, s: &str) {
        let s = one_line(s);
        let at = self.byte(self.cursor);
        self.text.insert_str(at, &s);
        self.cursor += s.chars().count();
    }

    /// Applies an editing action; false when the action is not one.
    pub fn apply(&mut self, action: Action) -> bool {
        let n = self.len();
        match action {
            Action::Left => self.cursor = self.cursor.saturating_sub(1),
            Action::Right => self.cursor = (self.cursor + 1).min(n),
            Action::WordLeft => self.cursor = self.word_left(),
            Action::WordRight => self.cursor = self.word_right(),
            Action::LineStart => self.cursor = 0,
            Action::LineEnd => self.cursor = n,
            Action::Erase => self.remove(self.cursor.saturating_sub(1), self.cursor),
            Action::EraseWord => self.remove(self.word_left(), self.cursor),
            Action::EraseForward => self.remove(self.cursor, (self.cursor + 1).min(n)),
            Action::EraseToStart => self.remove(0, self.cursor),
            Action::EraseToEnd => self.remove(self.cursor, n),
            _ => return false,
        }
        true
    }

    fn remove(&mut self, from: usize, to: usize) {
        let (a, b) = (self.byte(from), self.byte(to));
        self.text.replace_range(a..b, "");
        self.cursor = from;
    }

    fn word_left(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor;
        while i > 0 && chars[i - 1].is_whitespace() {
            i -= 1;
        }
        while i > 0 && !chars[i - 1].is_whitespace() {
            i -= 1;
        }
        i
    }

    fn word_right(&self) -> usize {
        let chars: Vec<char> = self.text.chars().collect();
        let mut i = self.cursor;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        i
    }
}

/// What a new turn runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A task from `.leash/tasks.toml`, by name.
    Task(String),
    /// A pipeline task (`[[task.pass]]`), by name: each pass brings its
    /// own agent, prompt and risk, so the form asks for none of them.
    Pipeline(String),
    /// An agent from `.leash/config.toml`, given a free-form prompt.
    Agent(String),
    /// A command line (argv, never through a shell).
    Command,
}

/// A field of the form, in tab order (`Base` only in a replay, first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Base,
    Source,
    Prompt,
    Risk,
    Title,
}

/// What a replay starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The turn replayed.
    pub turn: String,
    /// Its base commit (none on an unborn branch).
    pub base: Option<String>,
    /// The branch head now.
    pub head: Option<String>,
    /// Start on the head instead of the turn's base.
    pub on_head: bool,
}

/// What typing or pasting says while a pipeline task is chosen.
const PIPELINE_TAKES_NO_PROMPT: &str = "a pipeline takes no prompt: each pass brings its own \
     agent, prompt and risk (choose an agent to write a prompt)";

/// The form's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTurn {
    /// Every source, in list order: tasks, agents, then the command line.
    pub sources: Vec<Source>,
    /// The chosen source (an index into `sources`).
    pub source: usize,
    pub focus: Field,
    /// The prompt, for a task or an agent.
    pub prompt: TextField,
    /// The command line, for the command source.
    pub command: TextField,
    pub risk: RiskClass,
    /// Empty: the default title (the prompt's first line, the task's title).
    pub title: TextField,
    /// Set for a replay.
    pub replay: Option<Replay>,
    /// The prompt as the chosen task gives it: while the field still reads
    /// that, the task's own prompt is used and a new choice replaces it.
    prefilled: String,
    /// Whether the operator chose the risk (a new source then keeps it).
    risk_chosen: bool,
}

impl NewTurn {
    /// An empty form over the workspace's tasks and agents, the first task
    /// (or the first agent, or the command line) chosen.
    pub fn new(app: &App) -> NewTurn {
        let mut sources: Vec<Source> = app
            .ws
            .tasks()
            .tasks
            .iter()
            .map(|t| {
                if t.passes.is_empty() {
                    Source::Task(t.name.clone())
                } else {
                    Source::Pipeline(t.name.clone())
                }
            })
            .collect();
        sources.extend(app.ws.config().agents.keys().cloned().map(Source::Agent));
        sources.push(Source::Command);
        let mut form = NewTurn {
            sources,
            source: 0,
            focus: Field::Source,
            prompt: TextField::default(),
            command: TextField::default(),
            risk: app.ws.config().default_risk,
            title: TextField::default(),
            replay: None,
            prefilled: String::new(),
            risk_chosen: false,
        };
        form.chose(app);
        form
    }

    /// The form prefilled with turn `t`'s work, to start again.
    pub fn replay(app: &App, t: &Turn) -> Result<NewTurn, String> {
        let spec = app
            .ws
            .replay_spec(&t.id, false, None)
            .map_err(|e| e.to_string())?;
        let mut form = NewTurn::new(app);
        let source = match (&spec.task, &spec.agent) {
            (Some(task), _) => Source::Task(task.clone()),
            (None, Some(agent)) => Source::Agent(agent.clone()),
            (None, None) => Source::Command,
        };
        form.source = form
            .sources
            .iter()
            .position(|s| *s == source)
            .unwrap_or(form.sources.len() - 1);
        form.command = TextField::new(&shell_words::join(&spec.command));
        form.prompt = TextField::new(spec.prompt.as_deref().unwrap_or(""));
        // A replay keeps the turn's prompt as recorded (dates and all).
        form.prefilled = String::new();
        form.risk = spec.risk.unwrap_or(app.ws.config().default_risk);
        form.risk_chosen = true;
        form.title = TextField::new(spec.title.as_deref().unwrap_or(""));
        form.replay = Some(Replay {
            turn: t.id.clone(),
            base: t.base.clone(),
            head: app.ws.head().ok().flatten(),
            // Its old base would only drift again.
            on_head: t.failure == Some(FailureClass::ConcurrentDrift),
        });
        form.focus = Field::Base;
        Ok(form)
    }

    /// The fields in tab order: for a pipeline only the source (its
    /// passes bring the rest, each starting on the branch head).
    pub fn fields(&self) -> Vec<Field> {
        if self.is_pipeline() {
            return vec![Field::Source];
        }
        let mut f = Vec::new();
        if self.replay.is_some() {
            f.push(Field::Base);
        }
        f.extend([Field::Source, Field::Prompt, Field::Risk, Field::Title]);
        f
    }

    /// The chosen source.
    pub fn chosen(&self) -> &Source {
        &self.sources[self.source.min(self.sources.len() - 1)]
    }

    /// Whether the chosen source is a pipeline task.
    pub fn is_pipeline(&self) -> bool {
        matches!(self.chosen(), Source::Pipeline(_))
    }

    /// The text field the second row edits: the command line for the
    /// command source, else the prompt.
    pub fn text(&self) -> &TextField {
        match self.chosen() {
            Source::Command => &self.command,
            _ => &self.prompt,
        }
    }

    fn text_mut(&mut self, field: Field) -> Option<&mut TextField> {
        match (field, self.chosen()) {
            (_, Source::Pipeline(_)) => None,
            (Field::Prompt, Source::Command) => Some(&mut self.command),
            (Field::Prompt, _) => Some(&mut self.prompt),
            (Field::Title, _) => Some(&mut self.title),
            _ => None,
        }
    }

    /// A new source was chosen: a prompt or risk the operator did not
    /// write or choose follows it.
    fn chose(&mut self, app: &App) {
        let task = match self.chosen() {
            Source::Task(name) => app.ws.tasks().find(name),
            _ => None,
        };
        if self.prompt.text == self.prefilled {
            self.prefilled = one_line(task.and_then(|t| t.prompt.as_deref()).unwrap_or(""));
            self.prompt = TextField::new(&self.prefilled);
        }
        if !self.risk_chosen {
            self.risk = task
                .and_then(|t| t.risk)
                .unwrap_or(app.ws.config().default_risk);
        }
    }

    fn step_field(&mut self, forward: bool) {
        let fields = self.fields();
        let i = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = fields.len();
        self.focus = fields[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// The turn the form asks for, or the field to fix and why.
    pub fn spec(&self, app: &App) -> Result<TurnSpec, (Field, String)> {
        if let Source::Pipeline(name) = self.chosen() {
            // `leash run --task NAME`, and nothing else: a risk, title,
            // prompt or base would be refused, each pass has its own.
            return Ok(TurnSpec {
                task: Some(name.clone()),
                ..TurnSpec::default()
            });
        }
        let prompt = self.prompt.text.trim();
        let mut spec = TurnSpec {
            risk: Some(self.risk),
            title: Some(self.title.text.trim().to_string()).filter(|t| !t.is_empty()),
            base: match &self.replay {
                Some(r) if !r.on_head => r.base.clone(),
                _ => None,
            },
            ..TurnSpec::default()
        };
        match self.chosen() {
            Source::Task(name) | Source::Pipeline(name) => {
                spec.task = Some(name.clone());
                if !prompt.is_empty()
                    && (self.replay.is_some() || self.prompt.text != self.prefilled)
                {
                    spec.prompt = Some(prompt.to_string());
                }
            }
            Source::Agent(name) => {
                let needs = app
                    .ws
                    .config()
                    .agents
                    .get(name)
                    .is_some_and(|a| a.command.iter().any(|w| w.contains("{prompt}")));
                if prompt.is_empty() && needs {
                    return Err((Field::Prompt, format!("write the prompt for {name}")));
                }
                spec.agent = Some(name.clone());
                spec.prompt = Some(prompt.to_string()).filter(|p| !p.is_empty());
            }
            Source::Command => {
                // Quoting as in a shell (`sh -c 'echo hi'`), but the words
                // go to the program as argv: no shell runs.
                spec.command = match shell_words::split(&self.command.text) {
                    Ok(argv) if !argv.is_empty() => argv,
                    Ok(_) => return Err((Field::Prompt, "type a command to run".into())),
                    Err(e) => {
                        return Err((Field::Prompt, format!("cannot read the command: {e}")));
                    }
                };
            }
        }
        Ok(spec)
    }
}

impl App {
    /// Opens the new-turn form.
    pub(super) fn open_new_turn(&mut self) {
        self.layers.open(Dialog::NewTurn(NewTurn::new(self)));
    }

    /// Opens the replay form for the selected turn: enter starts it again
    /// as it was; its prompt can be edited and its base moved to the head.
    pub(super) fn replay(&mut self) {
        let Some(t) = self.target() else {
            return self.refuse("no turn selected".into());
        };
        match NewTurn::replay(self, &t) {
            Ok(form) => self.layers.open(Dialog::NewTurn(form)),
            Err(e) => self.refuse(e),
        }
    }

    /// Pasted text goes into the focused text field, or the prompt.
    pub fn on_paste(&mut self, text: &str) {
        match self.layers.top_dialog_mut() {
            Some(Dialog::NewTurn(form)) => {
                if form.is_pipeline() {
                    return self.refuse(PIPELINE_TAKES_NO_PROMPT.into());
                }
                if form.text_mut(form.focus).is_none() {
                    form.focus = Field::Prompt;
                }
                if let Some(f) = form.text_mut(form.focus) {
                    f.insert(text);
                }
            }
            Some(Dialog::Reason { input, .. } | Dialog::Comment { input, .. }) => {
                input.push_str(&one_line(text))
            }
            _ => {}
        }
    }

    /// An action (from a key the form did not take itself, or a caller).
    pub(super) fn form_action(&mut self, mut form: NewTurn, action: Action) {
        match action {
            Action::Type(_) if form.is_pipeline() => {
                // No key press goes nowhere: it says why it writes nothing.
                self.layers.open(Dialog::NewTurn(form));
                return self.refuse(PIPELINE_TAKES_NO_PROMPT.into());
            }
            Action::Type(c) => {
                // Typing on a list or a choice writes the prompt: a new
                // one, unless the operator already wrote some of it.
                if form.text_mut(form.focus).is_none() {
                    form.focus = Field::Prompt;
                    if form.prompt.text == form.prefilled {
                        form.prompt = TextField::default();
                    }
                }
                if let Some(f) = form.text_mut(form.focus) {
                    f.insert(&c.to_string());
                }
            }
            Action::Confirm | Action::Open => return self.submit(form),
            Action::Quit => self.quit = true,
            Action::Cancel | Action::Back => return self.cancel_form(),
            Action::NextPane | Action::PrevPane => form.step_field(action == Action::NextPane),
            // The source list: a choice moves, and what it fills in follows.
            Action::Up
            | Action::Down
            | Action::LineStart
            | Action::LineEnd
            | Action::PageUp
            | Action::PageDown
                if form.focus == Field::Source =>
            {
                let last = form.sources.len() - 1;
                form.source = match action {
                    Action::Up => form.source.saturating_sub(1),
                    Action::Down => (form.source + 1).min(last),
                    Action::LineStart | Action::PageUp => 0,
                    _ => last,
                };
                form.chose(self);
            }
            Action::Up | Action::Down => form.step_field(action == Action::Down),
            Action::Left | Action::Right if form.focus == Field::Risk => {
                let i = RiskClass::ALL
                    .iter()
                    .position(|r| *r == form.risk)
                    .unwrap_or(0);
                let j = if action == Action::Right {
                    (i + 1).min(RiskClass::ALL.len() - 1)
                } else {
                    i.saturating_sub(1)
                };
                form.risk = RiskClass::ALL[j];
                form.risk_chosen = true;
            }
            Action::Left | Action::Right if form.focus == Field::Base => {
                if let Some(r) = &mut form.replay {
                    r.on_head = action == Action::Right;
                }
            }
            edit => {
                if let Some(f) = form.text_mut(form.focus) {
                    f.apply(edit);
                }
            }
        }
        self.layers.open(Dialog::NewTurn(form));
    }

    fn cancel_form(&mut self) {
        self.status = Some(Status {
            text: "cancelled".into(),
            error: false,
        });
    }

    /// Starts the turn the form describes (exactly one), or says what to
    /// fix and keeps the form open on that field.
    fn submit(&mut self, mut form: NewTurn) {
        match form.spec(self) {
            Ok(spec) => {
                self.status = Some(Status {
                    text: match (&form.replay, form.chosen()) {
                        (_, Source::Pipeline(name)) => {
                            format!("starting a run of pipeline {name}…")
                        }
                        (Some(r), _) => format!("replaying {}…", r.turn),
                        (None, _) => "starting a turn…".into(),
                    },
                    error: false,
                });
                self.outbox.ops.push(Op::Start(Box::new(spec)));
            }
            Err((field, why)) => {
                form.focus = field;
                self.layers.open(Dialog::NewTurn(form));
                self.refuse(why);
            }
        }
    }

    /// A pipeline run started from the console: its row is selected as
    /// soon as its first pass's turn is in the journal (now, or at a later
    /// refresh).
    pub(super) fn select_started_run(&mut self) {
        let Some(run) = self.turn_list.pending_run.clone() else {
            return;
        };
        let state = self.ws.state();
        let Some(turn) = state
            .pipeline(&run)
            .and_then(|p| p.current())
            .map(|a| a.turn.clone())
            .filter(|t| state.turn(t).is_some())
        else {
            return;
        };
        self.turn_list.pending_run = None;
        if self.focus == Pane::Queue {
            self.focus = Pane::Turns;
        }
        self.turn_list.on_run = Some(run);
        self.select(Some(turn));
    }

    /// A turn started from the console: select it in the list.
    pub(super) fn select_started(&mut self, id: Option<String>) {
        let Some(id) = id.filter(|id| self.ws.state().turn(id).is_some()) else {
            return;
        };
        if self.focus == Pane::Queue {
            self.focus = Pane::Turns;
        }
        self.select(Some(id));
    }
}

/// The id of the pipeline run an operation started, if it started one.
pub(super) fn started_run(op: &Op, result: &Result<String, String>) -> Option<String> {
    match (op, result) {
        (Op::Start(_), Ok(text)) => text
            .strip_prefix("started pipeline run ")
            .and_then(|rest| rest.split(' ').next())
            .filter(|id| crate::model::is_run_id(id))
            .map(str::to_string),
        _ => None,
    }
}

/// The id of the turn an operation started, if it started one.
pub(super) fn started(op: &Op, result: &Result<String, String>) -> Option<String> {
    match (op, result) {
        (Op::Start(_) | Op::Revise(..), Ok(text)) => started_id(text).map(str::to_string),
        _ => None,
    }
}
