//! The role names widgets ask a theme for. Every built-in theme defines
//! each of them; `ALL` is what theme files are validated against.

/// Ordinary text; the last fallback of every role.
pub const TEXT: &str = "text";
/// Secondary text: timestamps, ids, hints.
pub const TEXT_MUTED: &str = "text.muted";
/// Pane and section titles.
pub const TEXT_TITLE: &str = "text.title";
/// Pane borders.
pub const BORDER: &str = "border";
/// The border of the focused pane.
pub const BORDER_FOCUS: &str = "border.focus";
/// The selected row.
pub const SELECTION: &str = "selection";
/// The header bar.
pub const HEADER: &str = "header";
/// The footer bar.
pub const FOOTER: &str = "footer";
/// A key shown in the footer.
pub const FOOTER_KEY: &str = "footer.key";
/// A detail tab.
pub const TAB: &str = "tab";
/// The active detail tab.
pub const TAB_ACTIVE: &str = "tab.active";
/// Turn state `running`.
pub const STATE_RUNNING: &str = "state.running";
/// Turn state `awaiting_review`.
pub const STATE_AWAITING_REVIEW: &str = "state.awaiting_review";
/// Turn state `landed`.
pub const STATE_LANDED: &str = "state.landed";
/// Turn state `rejected`.
pub const STATE_REJECTED: &str = "state.rejected";
/// Turn state `failed`.
pub const STATE_FAILED: &str = "state.failed";
/// Turn state `no_changes`.
pub const STATE_NO_CHANGES: &str = "state.no_changes";
/// Turn state `interrupted`.
pub const STATE_INTERRUPTED: &str = "state.interrupted";
/// Turn state `rolled_back`.
pub const STATE_ROLLED_BACK: &str = "state.rolled_back";
/// Risk class `low`.
pub const RISK_LOW: &str = "risk.low";
/// Risk class `medium`.
pub const RISK_MEDIUM: &str = "risk.medium";
/// Risk class `high`.
pub const RISK_HIGH: &str = "risk.high";
/// A risk class that rose while the turn ran.
pub const RISK_ESCALATED: &str = "risk.escalated";
/// A failure class label.
pub const FAILURE: &str = "failure";
/// A warning message.
pub const WARNING: &str = "warning";
/// An error message (e.g. a config error on screen).
pub const ERROR: &str = "error";
/// An informational message.
pub const INFO: &str = "info";
/// A control character made visible in untrusted text.
pub const MARKER_CONTROL: &str = "marker.control";
/// A bidi control made visible in untrusted text.
pub const MARKER_BIDI: &str = "marker.bidi";
/// A zero-width character made visible in untrusted text.
pub const MARKER_ZERO_WIDTH: &str = "marker.zero_width";
/// Where an escape sequence was removed from untrusted text.
pub const MARKER_REMOVED: &str = "marker.removed";
/// An added diff line.
pub const DIFF_ADDED: &str = "diff.added";
/// A removed diff line.
pub const DIFF_REMOVED: &str = "diff.removed";
/// An unchanged diff line.
pub const DIFF_CONTEXT: &str = "diff.context";
/// The changed words inside an added line.
pub const DIFF_ADDED_EMPHASIS: &str = "diff.added.emphasis";
/// The changed words inside a removed line.
pub const DIFF_REMOVED_EMPHASIS: &str = "diff.removed.emphasis";
/// A hunk header.
pub const DIFF_HUNK: &str = "diff.hunk";
/// A file header.
pub const DIFF_FILE: &str = "diff.file";
/// The track of an autonomy slider.
pub const SLIDER_TRACK: &str = "slider.track";
/// The knob of an autonomy slider.
pub const SLIDER_KNOB: &str = "slider.knob";
/// Autonomy level `manual`.
pub const SLIDER_LEVEL_MANUAL: &str = "slider.level.manual";
/// Autonomy level `review`.
pub const SLIDER_LEVEL_REVIEW: &str = "slider.level.review";
/// Autonomy level `guarded`.
pub const SLIDER_LEVEL_GUARDED: &str = "slider.level.guarded";
/// Autonomy level `auto`.
pub const SLIDER_LEVEL_AUTO: &str = "slider.level.auto";
/// A queued action of a high-risk turn.
pub const QUEUE_HIGH: &str = "queue.high";
/// A queued action of a medium-risk turn.
pub const QUEUE_MEDIUM: &str = "queue.medium";
/// A queued action of a low-risk turn.
pub const QUEUE_LOW: &str = "queue.low";
/// A dialog's body.
pub const DIALOG: &str = "dialog";
/// A dialog's border.
pub const DIALOG_BORDER: &str = "dialog.border";
/// A key in the help overlay.
pub const HELP_KEY: &str = "help.key";
/// An action description in the help overlay.
pub const HELP_ACTION: &str = "help.action";
/// A gauge (e.g. context used).
pub const GAUGE: &str = "gauge";
/// A gauge past its warning mark.
pub const GAUGE_HIGH: &str = "gauge.high";

/// Every role, in the order the theme files list them.
pub const ALL: &[&str] = &[
    TEXT,
    TEXT_MUTED,
    TEXT_TITLE,
    BORDER,
    BORDER_FOCUS,
    SELECTION,
    HEADER,
    FOOTER,
    FOOTER_KEY,
    TAB,
    TAB_ACTIVE,
    STATE_RUNNING,
    STATE_AWAITING_REVIEW,
    STATE_LANDED,
    STATE_REJECTED,
    STATE_FAILED,
    STATE_NO_CHANGES,
    STATE_INTERRUPTED,
    STATE_ROLLED_BACK,
    RISK_LOW,
    RISK_MEDIUM,
    RISK_HIGH,
    RISK_ESCALATED,
    FAILURE,
    WARNING,
    ERROR,
    INFO,
    MARKER_CONTROL,
    MARKER_BIDI,
    MARKER_ZERO_WIDTH,
    MARKER_REMOVED,
    DIFF_ADDED,
    DIFF_REMOVED,
    DIFF_CONTEXT,
    DIFF_ADDED_EMPHASIS,
    DIFF_REMOVED_EMPHASIS,
    DIFF_HUNK,
    DIFF_FILE,
    SLIDER_TRACK,
    SLIDER_KNOB,
    SLIDER_LEVEL_MANUAL,
    SLIDER_LEVEL_REVIEW,
    SLIDER_LEVEL_GUARDED,
    SLIDER_LEVEL_AUTO,
    QUEUE_HIGH,
    QUEUE_MEDIUM,
    QUEUE_LOW,
    DIALOG,
    DIALOG_BORDER,
    HELP_KEY,
    HELP_ACTION,
    GAUGE,
    GAUGE_HIGH,
];
