//! What a key can ask the console to do. Keymaps name these in snake_case;
//! key handlers only ever produce an `Action`, and `App::update` is the one
//! place that routes them to what changes state in response. Typed text is
//! an action too ([`Action::Type`]).

use serde::{Deserialize, Serialize};

/// A bindable console action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Leaving and help
    Quit,
    Help,
    // Focus
    NextPane,
    PrevPane,
    // Movement inside the focused pane
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    /// Open the selected item (a turn into the detail pane, a queue entry).
    Open,
    /// Open the review screen of the selected turn: everything a decision
    /// needs on one screen, the diff below from its first hunk.
    Review,
    /// Close a dialog or overlay, or step back out of a pane.
    Back,
    // Decisions on the selected turn or action
    /// Approve the selected turn / allow the selected action.
    Approve,
    /// Allow the selected held action and propose the rule that would let
    /// such actions run alone from now on (asks before writing it).
    AllowWithRule,
    /// Reject the selected turn / deny the selected action (asks a reason).
    Reject,
    /// Roll back the selected landed turn (asks to confirm).
    Rollback,
    /// Start a new turn (a form: a task, an agent with a prompt, or a command).
    NewTurn,
    /// Start the selected turn again as a new turn (on its base or the
    /// current head, its prompt editable).
    Replay,
    /// Cancel the selected running turn.
    CancelTurn,
    /// Apply the fixable invariants' fixes: to the selected turn awaiting
    /// review (its commit gets them), else to the branch head as a turn.
    FixInvariants,
    // The autonomy panel
    /// Show or hide the autonomy panel and focus it.
    AutonomyPanel,
    /// Move the selected slider one stop towards `manual`.
    SliderLeft,
    /// Move the selected slider one stop towards `auto`.
    SliderRight,
    // Detail tabs
    TabOutput,
    TabDiff,
    TabEvents,
    TabInvariants,
    TabProvenance,
    NextTab,
    PrevTab,
    // Diff navigation
    NextHunk,
    PrevHunk,
    NextFile,
    PrevFile,
    /// Follow the end of a live output (toggle).
    Follow,
    /// The Diff tab's line under the cursor: the turn, the action that
    /// wrote it and the sources read before (`leash blame` in the console).
    Blame,
    // Verdicts hunk by hunk (the Diff tab)
    /// Mark the hunk under the cursor accepted, or kept aside.
    ToggleHunk,
    /// Land the accepted hunks of the selected turn (asks first).
    LandHunks,
    /// Comment on the diff line under the cursor (asks the text).
    CommentLine,
    /// Send the selected waiting turn back to its agent: the accepted hunks
    /// land, the rest goes back with the comments (asks first).
    SendBack,
    /// Start (or drop) a selection of diff lines, which `space` marks.
    SelectLines,
    // Reading
    /// Wrap long lines in the detail tab, or cut them with a marker and
    /// scroll sideways (toggle).
    ToggleWrap,
    /// Show tool inputs and results in the output in full (toggle).
    Expand,
    /// Filter the turns list by text, state, risk or agent.
    Filter,
    // Pipelines
    /// Expand or collapse the pipeline run under the cursor (its passes'
    /// turns listed under its row).
    ToggleGroup,
    /// The next pass of the selected pass's pipeline run; where a diff is
    /// shown, or on a turn that is no pass, the next hunk.
    NextPass,
    /// The previous pass (or hunk, as `NextPass`).
    PrevPass,
    // Dialogs
    Confirm,
    Cancel,
    // Typing (no key is bound to these: a key that types where text is
    // typed — a text dialog, the form, the turns filter — becomes one)
    /// A character typed.
    #[serde(skip)]
    Type(char),
    /// The character before the cursor erased.
    #[serde(skip)]
    Erase,
    // Editing a line of text (the form's fields): the keys every line
    // editor reads (ctrl-w, ctrl-u, home, …) become these where text is
    // typed, as typed characters become `Type`.
    /// The cursor to the start of the word before it.
    #[serde(skip)]
    WordLeft,
    /// The cursor past the end of the word after it.
    #[serde(skip)]
    WordRight,
    /// The cursor to the start of the line.
    #[serde(skip)]
    LineStart,
    /// The cursor to the end of the line.
    #[serde(skip)]
    LineEnd,
    /// The word before the cursor erased.
    #[serde(skip)]
    EraseWord,
    /// The character under the cursor erased.
    #[serde(skip)]
    EraseForward,
    /// Everything before the cursor erased.
    #[serde(skip)]
    EraseToStart,
    /// Everything from the cursor on erased.
    #[serde(skip)]
    EraseToEnd,
}

impl Action {
    /// Every action, for help generation and keymap validation.
    pub const ALL: &'static [Action] = &[
        Action::Quit,
        Action::Help,
        Action::NextPane,
        Action::PrevPane,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Left,
        Action::Right,
        Action::Open,
        Action::Review,
        Action::Back,
        Action::Approve,
        Action::AllowWithRule,
        Action::Reject,
        Action::Rollback,
        Action::NewTurn,
        Action::Replay,
        Action::CancelTurn,
        Action::FixInvariants,
        Action::AutonomyPanel,
        Action::SliderLeft,
        Action::SliderRight,
        Action::TabOutput,
        Action::TabDiff,
        Action::TabEvents,
        Action::TabInvariants,
        Action::TabProvenance,
        Action::NextTab,
        Action::PrevTab,
        Action::NextHunk,
        Action::PrevHunk,
        Action::NextFile,
        Action::PrevFile,
        Action::Follow,
        Action::Blame,
        Action::ToggleHunk,
        Action::LandHunks,
        Action::CommentLine,
        Action::SendBack,
        Action::SelectLines,
        Action::ToggleWrap,
        Action::Expand,
        Action::Filter,
        Action::ToggleGroup,
        Action::NextPass,
        Action::PrevPass,
        Action::Confirm,
        Action::Cancel,
    ];

    /// A short description for the help overlay and the footer.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Left => "left / scroll text left",
            Action::Right => "right / scroll text right",
            Action::Open => "open",
            Action::Review => "review screen",
            Action::Back => "back",
            Action::Approve => "approve / allow",
            Action::AllowWithRule => "allow + propose a rule",
            Action::Reject => "reject / deny",
            Action::Rollback => "roll back",
            Action::NewTurn => "new turn",
            Action::Replay => "replay turn",
            Action::CancelTurn => "cancel turn",
            Action::FixInvariants => "fix invariants",
            Action::AutonomyPanel => "autonomy",
            Action::SliderLeft => "less autonomy",
            Action::SliderRight => "more autonomy",
            Action::TabOutput => "output",
            Action::TabDiff => "diff",
            Action::TabEvents => "events",
            Action::TabInvariants => "invariants",
            Action::TabProvenance => "provenance",
            Action::NextTab => "next tab",
            Action::PrevTab => "previous tab",
            Action::NextHunk => "next hunk",
            Action::PrevHunk => "previous hunk",
            Action::NextFile => "next file",
            Action::PrevFile => "previous file",
            Action::Follow => "follow output",
            Action::Blame => "blame the diff line",
            Action::ToggleHunk => "accept / keep aside the hunk",
            Action::LandHunks => "land the accepted hunks",
            Action::CommentLine => "comment on the diff line",
            Action::SendBack => "send back to the agent",
            Action::SelectLines => "select lines (space marks them)",
            Action::ToggleWrap => "wrap long lines",
            Action::Expand => "tool inputs in full",
            Action::Filter => "filter turns",
            Action::ToggleGroup => "expand / collapse a pipeline",
            Action::NextPass => "next pass / hunk",
            Action::PrevPass => "previous pass / hunk",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::Type(_) => "type",
            Action::Erase => "erase",
            Action::WordLeft => "word left",
            Action::WordRight => "word right",
            Action::LineStart => "line start",
            Action::LineEnd => "line end",
            Action::EraseWord => "erase word",
            Action::EraseForward => "erase forward",
            Action::EraseToStart => "erase to start",
            Action::EraseToEnd => "erase to end",
        }
    }
}
