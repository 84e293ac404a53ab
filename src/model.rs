//! The words of leash's domain: risk classes, autonomy levels, turn states,
//! failure classes and decisions. Plain data, shared by every other module.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Generates `as_str`, `Display`, `FromStr` (with an error listing the
/// accepted words) and `ALL` for a fieldless enum whose serde names are
/// snake_case.
macro_rules! words {
    ($ty:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The word used in files, the journal and on the command line.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($word => Ok($ty::$variant),)+
                    _ => Err(format!(
                        "`{s}` is not {}; expected one of: {}",
                        $what,
                        [$($word),+].join(", ")
                    )),
                }
            }
        }
    };
}
pub(crate) use words;

mod pass;
pub use pass::{
    BUDGET_WARN_AT, Budget, BudgetKind, Contract, PassGate, PassMode, is_pass_name, is_run_id,
    run_number,
};

/// How much harm a turn can do. Ordered: `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskClass {
    Low,
    Medium,
    High,
}

words!(RiskClass, "a risk class", { Low => "low", Medium => "medium", High => "high" });

/// A stop on the autonomy slider. Ordered from least to most freedom:
/// `Manual < Review < Guarded < Auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutonomyLevel {
    Manual,
    Review,
    Guarded,
    Auto,
}

words!(AutonomyLevel, "an autonomy level", {
    Manual => "manual",
    Review => "review",
    Guarded => "guarded",
    Auto => "auto",
});

/// One autonomy level per risk class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sliders {
    pub low: AutonomyLevel,
    pub medium: AutonomyLevel,
    pub high: AutonomyLevel,
}

impl Default for Sliders {
    fn default() -> Self {
        Sliders {
            low: AutonomyLevel::Guarded,
            medium: AutonomyLevel::Review,
            high: AutonomyLevel::Manual,
        }
    }
}

impl Sliders {
    /// The level set for `c`.
    pub fn get(&self, c: RiskClass) -> AutonomyLevel {
        match c {
            RiskClass::Low => self.low,
            RiskClass::Medium => self.medium,
            RiskClass::High => self.high,
        }
    }

    /// Moves the slider of `c` to `l`.
    pub fn set(&mut self, c: RiskClass, l: AutonomyLevel) {
        match c {
            RiskClass::Low => self.low = l,
            RiskClass::Medium => self.medium = l,
            RiskClass::High => self.high = l,
        }
    }
}

/// A place in a file: 1-based line and column (in characters); 0:0 when
/// unknown, e.g. for a task made up on the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// The invariant kinds of DESIGN §6; any other `kind` is a typo.
pub const INVARIANT_KINDS: &[&str] = &[
    "boot",
    "readme",
    "routing",
    "references",
    "separation",
    "layout",
    "deliverable",
    "command",
    "citations",
];

/// An `[[invariant]]` table of `.leash/config.toml`: read by `config`,
/// run by `invariants`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvariantConfig {
    pub name: String,
    /// One of [`INVARIANT_KINDS`].
    pub kind: String,
    /// Every other key, for the runner of that kind to interpret.
    pub options: toml::Table,
    /// Where its table starts in the config file, so that the check of its
    /// options (`invariants::check_options`) can point at it.
    pub at: Pos,
}

/// Whether leash spawned the agent in a worktree of its own, or observes an
/// interactive agent in the user's checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnKind {
    Isolated,
    InPlace,
}

words!(TurnKind, "a turn kind", { Isolated => "isolated", InPlace => "in_place" });

/// Where a turn is in its life (DESIGN §3, "Turn states").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnState {
    Running,
    AwaitingReview,
    Landed,
    Rejected,
    Failed,
    NoChanges,
    Interrupted,
    RolledBack,
}

words!(TurnState, "a turn state", {
    Running => "running",
    AwaitingReview => "awaiting_review",
    Landed => "landed",
    Rejected => "rejected",
    Failed => "failed",
    NoChanges => "no_changes",
    Interrupted => "interrupted",
    RolledBack => "rolled_back",
});

/// The named kind of a failed or suspect turn (DESIGN §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    ContextOverflow,
    EmptyDeliverable,
    DanglingReference,
    ConcurrentDrift,
    ContractViolation,
    Degraded,
    RateLimited,
    Overloaded,
    Auth,
    Crashed,
    TimedOut,
    /// Its supervisor died (a crash, a reboot): nobody saw the turn end.
    Interrupted,
    /// The operator cancelled it (`leash cancel`, or the console).
    Cancelled,
    /// A pipeline's pass went over its budget (tokens, dollars or time)
    /// and leash stopped it.
    BudgetExceeded,
}

words!(FailureClass, "a failure class", {
    ContextOverflow => "context_overflow",
    EmptyDeliverable => "empty_deliverable",
    DanglingReference => "dangling_reference",
    ConcurrentDrift => "concurrent_drift",
    ContractViolation => "contract_violation",
    Degraded => "degraded",
    RateLimited => "rate_limited",
    Overloaded => "overloaded",
    Auth => "auth",
    Crashed => "crashed",
    TimedOut => "timed_out",
    Interrupted => "interrupted",
    Cancelled => "cancelled",
    BudgetExceeded => "budget_exceeded",
});

impl FailureClass {
    /// The badge a person sees: what the failure is, in plain words.
    pub fn shown_as(self) -> &'static str {
        match self {
            FailureClass::ContextOverflow => "context overflow",
            FailureClass::EmptyDeliverable => "empty result",
            FailureClass::DanglingReference => "dangling reference",
            FailureClass::ConcurrentDrift => "base moved",
            FailureClass::ContractViolation => "contract violation",
            FailureClass::Degraded => "degraded",
            FailureClass::RateLimited => "rate limited",
            FailureClass::Overloaded => "overloaded",
            FailureClass::Auth => "auth",
            FailureClass::Crashed => "crashed",
            FailureClass::TimedOut => "timed out",
            FailureClass::Interrupted => "interrupted",
            FailureClass::Cancelled => "cancelled",
            FailureClass::BudgetExceeded => "over budget",
        }
    }

    /// The failure of ordinary programs it resembles, as an explanation
    /// after the plain name; `None` when the name says it all.
    pub fn analogy(self) -> Option<&'static str> {
        Some(match self {
            FailureClass::ContextOverflow => {
                "like a segfault: the request outgrew the model's context window"
            }
            FailureClass::EmptyDeliverable => {
                "like silent corruption: it reported success with nothing in its result"
            }
            FailureClass::DanglingReference => {
                "like a dangling pointer: it names a file that does not exist"
            }
            FailureClass::ConcurrentDrift => "like a race: the branch moved while it ran",
            FailureClass::ContractViolation => {
                "like a type error: its result breaks a declared contract"
            }
            FailureClass::BudgetExceeded => {
                "like a process over its ulimit: it spent more than its pass may"
            }
            _ => return None,
        })
    }

    /// The reason policy gives a failed turn that it does not land: the
    /// turn's reason begins with it, so a summary that names the failure
    /// need not say it twice.
    pub fn reason_prefix(self) -> String {
        format!("failed with {self}: ")
    }
}

/// The operator's (or policy's) verdict on a finished turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

words!(Decision, "a decision", { Approve => "approve", Reject => "reject" });

/// Who made a decision. A policy decision is recorded exactly like an
/// operator's, so every landing answers "who let this in".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    Operator,
    Policy,
    Timeout,
    Unattended,
    /// The agent itself, refusing a tool call leash had let through.
    Agent,
}

words!(DecidedBy, "a decider", {
    Operator => "operator",
    Policy => "policy",
    Timeout => "timeout",
    Unattended => "unattended",
    Agent => "agent",
});

/// The front end an operator decided in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Front {
    /// The console (`leash`).
    Console,
    /// A command (`leash approve`, `reject`, `allow`, `deny`).
    Cli,
}

words!(Front, "a front", { Console => "console", Cli => "cli" });

/// How an operator's decision was made: where, when the turn (or action)
/// was first shown and when it was decided, which of its views were
/// opened, and whether its diff was seen to its last line. Policy, timeout
/// and unattended decisions have none: nobody was shown anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub front: Front,
    /// When it was first shown to the operator (RFC 3339); `None` when the
    /// front could not know (a command, with no `leash show` or `leash
    /// diff` of it run before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown_at: Option<String>,
    /// When the operator decided (RFC 3339).
    pub decided_at: String,
    /// The diff's last line was on screen (the console), or `leash diff`
    /// wrote the whole diff out.
    #[serde(default)]
    pub diff_read_to_end: bool,
    /// What was opened before deciding, in the order first opened: the
    /// console's tabs (`output`, `diff`, `events`, `invariants`,
    /// `provenance`, `action` for a held action's preview), or the
    /// commands run (`show`, `hunks`, `diff`, `stat`, `actions`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tabs: Vec<String>,
}

impl Receipt {
    /// Seconds from first shown to decided, when both are known (never
    /// below zero: clocks of two processes may disagree a little).
    pub fn seconds(&self) -> Option<f64> {
        let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
        let shown = parse(self.shown_at.as_deref()?)?;
        let decided = parse(&self.decided_at)?;
        let ms = (decided - shown).num_milliseconds().max(0);
        Some(ms as f64 / 1000.0)
    }

    /// Whether the diff was opened before deciding.
    pub fn opened_diff(&self) -> bool {
        self.diff_read_to_end || self.tabs.iter().any(|t| t == "diff")
    }

    /// One line for a person about a turn's decision: "in the console,
    /// 12.4 s after it was shown; diff read to the end (output, diff)".
    pub fn describe(&self) -> String {
        self.describe_with(true)
    }

    /// ` ` and what `describe` says of `receipt`; nothing without one.
    pub fn said(receipt: Option<&Receipt>, describe: fn(&Receipt) -> String) -> String {
        receipt
            .map(|r| format!(" {}", describe(r)))
            .unwrap_or_default()
    }

    /// [`Receipt::describe`] for a held action, which has no diff.
    pub fn describe_action(&self) -> String {
        self.describe_with(false)
    }

    fn describe_with(&self, diff: bool) -> String {
        let mut s = match self.front {
            Front::Console => "in the console".to_string(),
            Front::Cli => "from the command line".to_string(),
        };
        match self.seconds() {
            Some(secs) => s.push_str(&format!(", {} after it was shown", seconds_text(secs))),
            None => s.push_str(", not known when it was shown"),
        }
        if diff {
            s.push_str(if self.diff_read_to_end {
                "; diff read to the end"
            } else if self.opened_diff() {
                "; diff opened, not read to the end"
            } else {
                "; diff not opened"
            });
        }
        if !self.tabs.is_empty() {
            s.push_str(&format!(" ({})", self.tabs.join(", ")));
        }
        s
    }
}

/// The time now as the journal and receipts write it (RFC 3339, UTC, to
/// the millisecond).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Seconds as a person reads them: `0.8 s`, `12.4 s`, `3 min 5 s`.
pub fn seconds_text(secs: f64) -> String {
    if secs < 60.0 {
        return format!("{secs:.1} s");
    }
    let whole = secs.round() as u64;
    if whole < 3600 {
        return format!("{} min {} s", whole / 60, whole % 60);
    }
    format!("{} h {} min", whole / 3600, whole % 3600 / 60)
}

/// An approval of some of a turn's hunks (`turn_decided`'s `partial`):
/// what lands is `commit`, the turn's base with the accepted hunks; the
/// rest stays in `remainder` (the turn's whole tree on top of `commit`),
/// kept at `refs/leash/rejected/<turn>` once the landing is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialVerdict {
    pub accepted: Vec<HunkRef>,
    pub rejected: Vec<HunkRef>,
    /// The commit of the accepted hunks, on the turn's base.
    pub commit: String,
    /// The commit of the rest, on top of `commit`.
    pub remainder: String,
    /// The invariants' outcome on the partial tree, as the landed commit's
    /// `Leash-Invariants` trailer says it (`None`: none configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invariants: Option<String>,
}

/// One hunk of a turn's diff by its number (`leash show TURN --hunks`),
/// file and `@@` header (none for a file taken or left whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HunkRef {
    pub n: usize,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Of a hunk split by a line selection, the changed lines on this side
    /// of the verdict: `+N` an added line (its number in the turn), `-N` a
    /// removed one (its number in the base).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<String>>,
}

impl HunkRef {
    /// `path @@ -a,b +c,d @@` (and the lines, for a part of a hunk), or
    /// the path alone for a whole file.
    pub fn label(&self) -> String {
        let mut s = match &self.header {
            Some(h) => format!("{} {h}", self.path),
            None => format!("{} (whole file)", self.path),
        };
        if let Some(lines) = &self.lines {
            s.push_str(&format!(" lines {}", lines.join(" ")));
        }
        s
    }
}

/// Where a rejected turn's commit is kept, and the rest of a partly
/// landed one.
pub fn rejected_ref(id: &str) -> String {
    format!("refs/leash/rejected/{id}")
}

/// The id of the n-th turn of a workspace: `t1`, `t2`, …
pub fn turn_id(n: u64) -> String {
    format!("t{n}")
}

/// The number inside a turn id (`t42` → 42), if it is one.
pub fn turn_number(id: &str) -> Option<u64> {
    let digits = id.strip_prefix('t')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// True for an id leash gives turns: `t` and digits (`t7`).
pub fn is_turn_id(id: &str) -> bool {
    turn_number(id).is_some()
}

/// True for an id leash gives actions: a turn id, `.a` and digits (`t7.a3`).
pub fn is_action_id(id: &str) -> bool {
    id.split_once(".a").is_some_and(|(turn, n)| {
        is_turn_id(turn) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The short form of a commit id, as people read it.
pub fn short(oid: &str) -> &str {
    &oid[..oid.len().min(8)]
}

/// How a turn's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// Exited by itself with this status code.
    Code(i32),
    /// Killed by this signal, not by leash.
    Signal(i32),
    /// Killed by leash because `[run] timeout` passed.
    TimedOut,
    /// Killed by leash because the operator cancelled the turn.
    Cancelled,
}

/// One rise of a turn's risk class, and the rule that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub from: RiskClass,
    pub to: RiskClass,
    pub because: String,
}

/// What the operator asked to run (`leash run`'s options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnSpec {
    pub task: Option<String>,
    pub agent: Option<String>,
    pub risk: Option<RiskClass>,
    pub title: Option<String>,
    pub prompt: Option<String>,
    /// A command given after `--`: a generic agent.
    pub command: Vec<String>,
    pub timeout: Option<std::time::Duration>,
    /// Start from this commit instead of the branch head (a replay).
    pub base: Option<String>,
    /// The turn this one follows up: sent back (`leash revise`) or
    /// continued (`leash resume`).
    pub follows: Option<(FollowHow, String)>,
}

/// How a follow-up turn follows its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowHow {
    /// Sent back with the rejected hunks and the operator's comments, on
    /// top of what of the parent landed (`leash revise`).
    Revise,
    /// The parent's run continued where it stopped, in its worktree
    /// (`leash resume`).
    Resume,
}

impl FollowHow {
    /// The verb the console and `leash show` use: "revises t3".
    pub fn verb(self) -> &'static str {
        match self {
            FollowHow::Revise => "revises",
            FollowHow::Resume => "resumes",
        }
    }
}

/// A follow-up turn's link to its parent, as journaled (`turn_follows`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// The parent turn.
    pub parent: String,
    pub how: FollowHow,
    /// The agent session it continues; `None`: a fresh run of the agent
    /// with the built prompt (an agent without sessions, or none known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// A journal timestamp (RFC 3339) as a UTC time.
pub fn parse_ts(ts: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_levels_are_ordered() {
        assert!(RiskClass::Low < RiskClass::Medium && RiskClass::Medium < RiskClass::High);
        assert!(AutonomyLevel::Manual < AutonomyLevel::Review);
        assert!(AutonomyLevel::Review < AutonomyLevel::Guarded);
        assert!(AutonomyLevel::Guarded < AutonomyLevel::Auto);
    }

    #[test]
    fn words_round_trip_through_text_and_json() {
        for s in TurnState::ALL {
            assert_eq!(s.as_str().parse::<TurnState>().unwrap(), *s);
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{s}\""));
        }
        for f in FailureClass::ALL {
            assert_eq!(f.as_str().parse::<FailureClass>().unwrap(), *f);
            assert_eq!(serde_json::to_string(f).unwrap(), format!("\"{f}\""));
        }
        let err = "hihg".parse::<RiskClass>().unwrap_err();
        assert!(err.contains("low, medium, high"), "{err}");
    }

    #[test]
    fn turn_ids() {
        assert_eq!(turn_id(42), "t42");
        assert_eq!(turn_number("t42"), Some(42));
        assert_eq!(turn_number("x1"), None);
        for bad in ["t", "t+5", "t-1", "../../x", "t1/..", "t1 ", "T1"] {
            assert!(!is_turn_id(bad), "{bad}");
        }
        assert!(is_action_id("t7.a3"));
        for bad in ["t7", "t7.a", "t7.a3x", "x.a1", "t7.a+1", "../t1.a1"] {
            assert!(!is_action_id(bad), "{bad}");
        }
    }
}
