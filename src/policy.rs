//! Risk rules and autonomy decisions (DESIGN §1): which class a path or a
//! command raises a turn to, which autonomy level governs a turn, how a
//! finished turn failed, and what happens to it at turn end.
//!
//! Everything here is a pure function of its arguments, so that the
//! supervisor, the hook gate and the console reach the same answer.

use std::fmt;
use std::path::Path;

use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::model::Sliders;
use crate::model::{AutonomyLevel, FailureClass, RiskClass};

pub mod command;
pub mod protected;
pub mod suggest;

pub use crate::model::{Escalation, Exit};
pub use command::CommandPattern;
pub use protected::{PROTECTED_DIRS, Place, protected_rel};

/// A `[[risk]]` rule: paths and/or commands that raise a turn to `class`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskRule {
    pub paths: Vec<String>,
    pub commands: Vec<String>,
    /// Tool names (globs): `mcp__*`, `WebFetch`.
    pub tools: Vec<String>,
    pub class: RiskClass,
    /// `lower = true`: a tool call every subject of which this kind of
    /// rule matches is classed by these rules alone, below the turn's
    /// class and other rules if need be (see [`RiskRules::lowered`]).
    pub lower: bool,
}

/// Compiles a path rule: `*` stays inside one path component and `**`
/// crosses them, so `AGENTS.md` means the root file only.
pub fn path_glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        // Set explicitly: globset's default differs on Windows, and a rule
        // must mean the same thing on every machine that reads the config.
        .backslash_escape(true)
        .build()
}

/// Compiles a command rule: `*` matches anything, `/` and spaces included,
/// because a command line is not a path.
pub fn command_glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
}

/// Whether a rule hit came from a changed path or from a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Path,
    Command,
    /// A `tools` rule, or `default_risk` for a tool leash does not know.
    Tool,
    /// A protected path or command (`leash` itself): class high, never
    /// above manual, whatever the config says.
    Protected,
    /// A command line leash cannot read: class high.
    Unreadable,
}

/// One risk rule pattern that matched one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    pub class: RiskClass,
    /// The pattern as written in the config; for protected hits the rule's
    /// own words ("`.leash/**` is protected"), for unreadable commands why.
    pub pattern: String,
    /// The path, command (segment) or tool that matched.
    pub subject: String,
    pub kind: HitKind,
}

impl RuleHit {
    fn protected(subject: impl Into<String>, why: impl Into<String>) -> RuleHit {
        RuleHit {
            class: RiskClass::High,
            pattern: why.into(),
            subject: subject.into(),
            kind: HitKind::Protected,
        }
    }
}

impl fmt::Display for RuleHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            HitKind::Path => write!(f, "path {}", self.subject)?,
            HitKind::Command => write!(f, "command `{}`", self.subject)?,
            HitKind::Tool if self.pattern.is_empty() => {
                return write!(
                    f,
                    "tool {} is not one leash knows: default_risk ({})",
                    self.subject, self.class
                );
            }
            HitKind::Tool => write!(f, "tool {}", self.subject)?,
            HitKind::Protected => {
                return write!(
                    f,
                    "{}: {} (rule `{}`: {}, never above manual)",
                    self.subject,
                    self.pattern,
                    protected::RULE,
                    self.class
                );
            }
            HitKind::Unreadable => {
                return write!(
                    f,
                    "command `{}` cannot be read ({}), so it is classed {}",
                    self.subject, self.pattern, self.class
                );
            }
        }
        write!(f, " matches rule `{}` ({})", self.pattern, self.class)
    }
}

/// True when a hit is protected: the level is then never above manual.
pub fn any_protected<'a>(hits: impl IntoIterator<Item = &'a RuleHit>) -> bool {
    hits.into_iter().any(|h| h.kind == HitKind::Protected)
}

/// The level with protection applied: a protected hit floors it at manual.
pub fn floor_level(level: AutonomyLevel, protected: bool) -> AutonomyLevel {
    if protected {
        level.min(AutonomyLevel::Manual)
    } else {
        level
    }
}

/// Tool names leash knows, from Claude Code and Codex; any other tool (an
/// MCP tool `mcp__server__tool`, a tool newer than leash) gets
/// `default_risk` unless a `tools` rule names it.
pub const KNOWN_TOOLS: &[&str] = &[
    "Read",
    "Write",
    "Edit",
    "MultiEdit",
    "NotebookEdit",
    "NotebookRead",
    "Bash",
    "BashOutput",
    "KillShell",
    "KillBash",
    "Grep",
    "Glob",
    "LS",
    "WebFetch",
    "WebSearch",
    "TodoWrite",
    "Task",
    "Agent",
    "ExitPlanMode",
    "ToolSearch",
    "ListMcpResourcesTool",
    "ReadMcpResourceTool",
    "SlashCommand",
    "Skill",
    "apply_patch",
    "shell",
    "exec_command",
    "local_shell",
    "write_stdin",
    "update_plan",
    "view_image",
    "web_search",
];

/// What a command line raises a class by, and the files it redirects
/// output into (to be classed as writes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandClass {
    pub hits: Vec<RuleHit>,
    pub writes: Vec<String>,
}

/// One pattern inside a compiled set, with what it stands for.
#[derive(Debug, Clone)]
struct Entry {
    class: RiskClass,
    pattern: String,
}

/// The `[[risk]]` rules of a workspace, compiled once.
#[derive(Debug, Clone)]
pub struct RiskRules {
    paths: GlobSet,
    path_entries: Vec<Entry>,
    commands: Vec<(CommandPattern, Entry)>,
    tools: GlobSet,
    tool_entries: Vec<Entry>,
    /// The rules with `lower = true`, compiled again on their own.
    lowering: Option<Box<RiskRules>>,
}

impl Default for RiskRules {
    fn default() -> Self {
        RiskRules {
            paths: GlobSet::empty(),
            path_entries: Vec::new(),
            commands: Vec::new(),
            tools: GlobSet::empty(),
            tool_entries: Vec::new(),
            lowering: None,
        }
    }
}

impl RiskRules {
    /// Compiles the rules; the error names the first pattern that does not
    /// compile.
    pub fn compile(rules: &[RiskRule]) -> Result<RiskRules, String> {
        let mut paths = GlobSetBuilder::new();
        let mut path_entries = Vec::new();
        let mut commands = Vec::new();
        let mut tools = GlobSetBuilder::new();
        let mut tool_entries = Vec::new();
        for rule in rules {
            for p in &rule.paths {
                let glob = path_glob(p).map_err(|e| bad_glob("path", p, &e))?;
                paths.add(glob);
                path_entries.push(Entry {
                    class: rule.class,
                    pattern: p.clone(),
                });
            }
            for c in &rule.commands {
                let pattern = CommandPattern::parse(c)
                    .map_err(|e| format!("invalid command pattern `{c}`: {e}"))?;
                commands.push((
                    pattern,
                    Entry {
                        class: rule.class,
                        pattern: c.clone(),
                    },
                ));
            }
            for t in &rule.tools {
                let glob = command_glob(t).map_err(|e| bad_glob("tool", t, &e))?;
                tools.add(glob);
                tool_entries.push(Entry {
                    class: rule.class,
                    pattern: t.clone(),
                });
            }
        }
        let lowering: Vec<RiskRule> = rules
            .iter()
            .filter(|r| r.lower)
            .map(|r| RiskRule {
                lower: false,
                ..r.clone()
            })
            .collect();
        let lowering = if lowering.is_empty() {
            None
        } else {
            Some(Box::new(RiskRules::compile(&lowering)?))
        };
        Ok(RiskRules {
            paths: paths.build().map_err(|e| e.to_string())?,
            path_entries,
            commands,
            tools: tools.build().map_err(|e| e.to_string())?,
            tool_entries,
            lowering,
        })
    }

    /// The class a tool call gets from the `lower = true` rules, when they
    /// cover all of it: every path it writes (where it lands, inside the
    /// workspace), every simple command of every command line it runs and
    /// every file those commands write, and the tool itself when a `tools`
    /// rule or `default_risk` classed it. `hits` are what
    /// [`classify_action`] found; a protected or unreadable one is never
    /// lowered. Returns one hit per subject, each with the highest
    /// lowering rule that matches it; `None` when anything is left
    /// uncovered, or there is nothing to cover.
    #[allow(clippy::too_many_arguments)]
    pub fn lowered(
        &self,
        root: &Path,
        cwd: &Path,
        tool: &str,
        paths_written: &[String],
        commands: &[String],
        hits: &[RuleHit],
    ) -> Option<Vec<RuleHit>> {
        let low = self.lowering.as_deref()?;
        if hits
            .iter()
            .any(|h| matches!(h.kind, HitKind::Protected | HitKind::Unreadable))
        {
            return None;
        }
        let mut out = Vec::new();
        let path = |p: &str, out: &mut Vec<RuleHit>| -> Option<()> {
            let mut any = false;
            for place in protected::places(root, cwd, p) {
                match place {
                    Place::Inside(rel) => {
                        out.push(low.classify_path(&rel)?);
                        any = true;
                    }
                    Place::Outside(_) => return None,
                }
            }
            any.then_some(())
        };
        for p in paths_written {
            path(p, &mut out)?;
        }
        for line in commands {
            let parsed = command::parse(line).ok()?;
            if !parsed.opaque.is_empty() || parsed.commands.is_empty() {
                return None;
            }
            for cmd in &parsed.commands {
                let one = command::Parsed {
                    commands: vec![cmd.clone()],
                    ..command::Parsed::default()
                };
                out.push(low.best_command(&one)?);
            }
            for w in &parsed.writes {
                // As in `classify_action`: only what lands inside counts.
                for place in protected::places(root, cwd, w) {
                    if let Place::Inside(rel) = place {
                        out.push(low.classify_path(&rel)?);
                    }
                }
            }
        }
        if hits.iter().any(|h| h.kind == HitKind::Tool) {
            let e = best(&low.tools, &low.tool_entries, tool)?;
            out.push(RuleHit {
                class: e.class,
                pattern: e.pattern.clone(),
                subject: tool.to_string(),
                kind: HitKind::Tool,
            });
        }
        (!out.is_empty()).then_some(out)
    }

    /// True when there is no rule at all.
    pub fn is_empty(&self) -> bool {
        self.path_entries.is_empty() && self.commands.is_empty() && self.tool_entries.is_empty()
    }

    /// The highest-class rule matching a repo-relative path ('/'-separated), if any.
    pub fn classify_path(&self, path: &str) -> Option<RuleHit> {
        best(&self.paths, &self.path_entries, path).map(|e| RuleHit {
            class: e.class,
            pattern: e.pattern.clone(),
            subject: path.to_string(),
            kind: HitKind::Path,
        })
    }

    /// A repo-relative path a turn changed (as a diff lists it): its rule
    /// and, if it is protected, the protection.
    pub fn classify_changed(&self, path: &str) -> Vec<RuleHit> {
        let mut hits: Vec<RuleHit> = self.classify_path(path).into_iter().collect();
        if let Some(why) = protected_rel(path) {
            hits.push(RuleHit::protected(format!("path {path}"), why));
        }
        hits
    }

    /// A path an action writes, classed where it lands: as written and
    /// through its symlinks, relative to `root` (the workspace, or an
    /// isolated turn's worktree); relative paths are taken from `cwd`.
    /// Outside `root` it is protected.
    pub fn classify_write(&self, root: &Path, cwd: &Path, path: &str) -> Vec<RuleHit> {
        let mut hits = Vec::new();
        for place in protected::places(root, cwd, path) {
            match place {
                Place::Inside(rel) => hits.extend(self.classify_changed(&rel)),
                Place::Outside(abs) => hits.push(RuleHit::protected(
                    format!("path {}", abs.display()),
                    "it is outside the workspace",
                )),
            }
        }
        hits
    }

    /// The highest-class rule matching one of the simple commands of a
    /// command line, if any (see [`command`] for how a line is read). A
    /// line that cannot be read matches nothing here;
    /// [`RiskRules::classify_command_line`] classes it.
    pub fn classify_command(&self, line: &str) -> Option<RuleHit> {
        let parsed = command::parse(line).ok()?;
        self.best_command(&parsed)
    }

    fn best_command(&self, parsed: &command::Parsed) -> Option<RuleHit> {
        let mut found: Option<(usize, &command::SimpleCommand)> = None;
        for cmd in &parsed.commands {
            for (i, (pattern, entry)) in self.commands.iter().enumerate() {
                if !pattern.matches(&cmd.argv) {
                    continue;
                }
                let better = match found {
                    None => true,
                    Some((j, _)) => entry.class > self.commands[j].1.class,
                };
                if better {
                    found = Some((i, cmd));
                }
            }
        }
        found.map(|(i, cmd)| RuleHit {
            class: self.commands[i].1.class,
            pattern: self.commands[i].1.pattern.clone(),
            subject: cmd.line(),
            kind: HitKind::Command,
        })
    }

    /// Everything a command line raises a class by: the best command rule,
    /// `leash` itself run by the agent (protected), a line that cannot be
    /// read or runs a command only known at run time (high); and the files
    /// it redirects output into.
    pub fn classify_command_line(&self, line: &str) -> CommandClass {
        self.classify_parsed(command::parse(line), crate::words::first_line(line))
    }

    /// Like [`RiskRules::classify_command_line`], for a command run without
    /// a shell (a generic turn's argv).
    pub fn classify_argv(&self, argv: &[String]) -> CommandClass {
        self.classify_parsed(
            command::parse_argv(argv),
            crate::words::first_line(&argv.join(" ")),
        )
    }

    fn classify_parsed(
        &self,
        parsed: Result<command::Parsed, command::ParseError>,
        shown: String,
    ) -> CommandClass {
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => {
                return CommandClass {
                    hits: vec![RuleHit {
                        class: RiskClass::High,
                        pattern: e.0,
                        subject: shown,
                        kind: HitKind::Unreadable,
                    }],
                    writes: Vec::new(),
                };
            }
        };
        let mut hits = Vec::new();
        if let Some(c) = parsed.commands.iter().find(|c| command::is_leash(&c.argv)) {
            hits.push(RuleHit::protected(
                format!("command `{}`", c.line()),
                "an agent must not run leash itself (it would answer its own checkpoints)",
            ));
        }
        if let Some(why) = parsed.opaque.first() {
            hits.push(RuleHit {
                class: RiskClass::High,
                pattern: why.clone(),
                subject: shown,
                kind: HitKind::Unreadable,
            });
        }
        hits.extend(self.best_command(&parsed));
        CommandClass {
            hits,
            writes: parsed.writes,
        }
    }

    /// A tool by name: the highest `tools` rule that names it; else, for a
    /// tool leash does not know, `default_risk`.
    pub fn classify_tool(&self, tool: &str, default_risk: RiskClass) -> Option<RuleHit> {
        if let Some(e) = best(&self.tools, &self.tool_entries, tool) {
            return Some(RuleHit {
                class: e.class,
                pattern: e.pattern.clone(),
                subject: tool.to_string(),
                kind: HitKind::Tool,
            });
        }
        (!KNOWN_TOOLS.contains(&tool)).then(|| RuleHit {
            class: default_risk,
            pattern: String::new(),
            subject: tool.to_string(),
            kind: HitKind::Tool,
        })
    }
}

/// Everything one tool call raises a class by: the paths it writes (where
/// they land, protected ones included), the command lines it runs (with
/// the files they redirect into), and the tool itself (`tools` rules, or
/// `default_risk` for a tool leash does not know). `root` is the
/// workspace, or an isolated turn's worktree; relative paths are taken
/// from `cwd`.
pub fn classify_action(
    rules: &RiskRules,
    default_risk: RiskClass,
    root: &Path,
    cwd: &Path,
    tool: &str,
    paths_written: &[String],
    commands: &[String],
) -> Vec<RuleHit> {
    let mut hits = Vec::new();
    for p in paths_written {
        hits.extend(rules.classify_write(root, cwd, p));
    }
    for c in commands {
        let class = rules.classify_command_line(c);
        hits.extend(class.hits);
        // A redirection, or `cp`/`sed -i`/`git add`… naming a file, writes
        // it: classed like a write inside the workspace. (Commands write
        // outside it in too many ways for these alone to say anything.)
        for w in class.writes {
            for place in protected::places(root, cwd, &w) {
                if let Place::Inside(rel) = place {
                    hits.extend(rules.classify_changed(&rel));
                }
            }
        }
    }
    hits.extend(rules.classify_tool(tool, default_risk));
    hits
}

fn bad_glob(what: &str, pattern: &str, e: &globset::Error) -> String {
    format!("invalid {what} pattern `{pattern}`: {}", e.kind())
}

/// Index of the highest-class matching entry; among equals, the first in
/// config order, so the rule a person reads first is the one reported.
fn best_index(set: &GlobSet, entries: &[Entry], subject: &str) -> Option<usize> {
    let candidate = Candidate::new(subject);
    let mut best: Option<usize> = None;
    // `matches_candidate` returns indices in ascending order.
    for i in set.matches_candidate(&candidate) {
        if best.is_none_or(|b| entries[i].class > entries[b].class) {
            best = Some(i);
        }
    }
    best
}

fn best<'a>(set: &GlobSet, entries: &'a [Entry], subject: &str) -> Option<&'a Entry> {
    best_index(set, entries, subject).map(|i| &entries[i])
}

/// Raises `current` by every hit that is higher; one Escalation per step actually taken, in ascending order.
///
/// Hits are taken in input order, which is the order in which the turn did
/// things: a `high` hit followed by a `medium` one is a single step, because
/// the medium hit never raised anything. `because` names the rule and the
/// subject, e.g. "path operations/x.md matches rule `operations/**` (high)"
/// or "command `git push origin` matches rule `git push*` (high)". Ties: the
/// first hit (in input order) that reaches a class is the one reported.
pub fn escalate(
    current: RiskClass,
    hits: impl IntoIterator<Item = RuleHit>,
) -> (RiskClass, Vec<Escalation>) {
    let mut class = current;
    let mut steps = Vec::new();
    for hit in hits {
        if hit.class > class {
            steps.push(Escalation {
                from: class,
                to: hit.class,
                because: hit.to_string(),
            });
            class = hit.class;
        }
    }
    (class, steps)
}

/// A task's own autonomy level, and the class the task declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskOverride {
    pub declared: RiskClass,
    pub level: AutonomyLevel,
}

/// The autonomy level that governs a turn of `class`.
///
/// A task override applies as is while the turn stays at (or below) the
/// task's declared class; once the turn escalated above it, the stricter of
/// the override and that class's slider applies — escalation can only take
/// freedom away.
pub fn autonomy_for(
    class: RiskClass,
    sliders: &Sliders,
    task: Option<TaskOverride>,
) -> AutonomyLevel {
    let slider = sliders.get(class);
    match task {
        None => slider,
        Some(o) if class <= o.declared => o.level,
        // `AutonomyLevel` is ordered from least to most freedom.
        Some(o) => o.level.min(slider),
    }
}

/// Failure class of a finished generic turn.
///
/// TimedOut→timed_out, Cancelled→cancelled, Signal→crashed, nonzero
/// code→crashed; exit 0 with no diff and an empty final message →
/// empty_deliverable; a declared deliverable that is missing or empty →
/// empty_deliverable (also when other files changed). `reported` (a failure
/// an agent adapter found in the stream, e.g. context_overflow) wins over
/// all of these, since it names the cause rather than the symptom.
pub fn end_failure(
    exit: Exit,
    changed: bool,
    final_message_empty: bool,
    deliverable_ok: Option<bool>,
    reported: Option<FailureClass>,
) -> Option<FailureClass> {
    if reported.is_some() {
        return reported;
    }
    match exit {
        Exit::TimedOut => Some(FailureClass::TimedOut),
        Exit::Cancelled => Some(FailureClass::Cancelled),
        Exit::Signal(_) => Some(FailureClass::Crashed),
        Exit::Code(c) if c != 0 => Some(FailureClass::Crashed),
        Exit::Code(_) => {
            let empty = deliverable_ok == Some(false) || (!changed && final_message_empty);
            empty.then_some(FailureClass::EmptyDeliverable)
        }
    }
}

/// What is known about a turn when it ends, for [`verdict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnEnd {
    pub changed: bool,
    pub failure: Option<FailureClass>,
    pub class: RiskClass,
    pub level: AutonomyLevel,
    pub invariants_pass: bool,
}

/// What policy does with a finished turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Land it now, with `by: policy`, under this rule.
    Land { rule: String },
    /// Hold the diff for the operator.
    Review { reason: String },
    /// Nothing to land and something went wrong.
    Failed { reason: String },
    /// Nothing changed and nothing went wrong (a question answered).
    NoChanges,
}

/// DESIGN §1's table at turn end.
///
/// A failure never lands by itself at any level: it waits for review when
/// the turn changed something, else ends Failed. No failure and no change →
/// NoChanges. Otherwise manual/review → Review; guarded → Land if invariants
/// pass else Review; auto → Land (broken invariants are flagged, not
/// blocking).
pub fn verdict(end: &TurnEnd) -> Verdict {
    let (class, level) = (end.class, end.level);
    if let Some(f) = end.failure {
        let reason = format!("{}a failure never lands by itself", f.reason_prefix());
        return if end.changed {
            Verdict::Review { reason }
        } else {
            Verdict::Failed { reason }
        };
    }
    if !end.changed {
        return Verdict::NoChanges;
    }
    match level {
        AutonomyLevel::Manual | AutonomyLevel::Review => Verdict::Review {
            reason: format!("{class} = {level}: the diff waits for approval"),
        },
        AutonomyLevel::Guarded if end.invariants_pass => Verdict::Land {
            rule: format!("{class} = {level}: every invariant passes"),
        },
        AutonomyLevel::Guarded => Verdict::Review {
            reason: format!(
                "{class} = {level}: an invariant fails, so the diff waits for approval"
            ),
        },
        AutonomyLevel::Auto if end.invariants_pass => Verdict::Land {
            rule: format!("{class} = {level}: lands by itself"),
        },
        AutonomyLevel::Auto => Verdict::Land {
            rule: format!(
                "{class} = {level}: lands by itself; broken invariants are flagged for rollback"
            ),
        },
    }
}

/// The failure to name from what the agent's stream reported: its own
/// failure (context overflow, rate limit, …) when it reported one, else
/// `contract_violation` when the agent refused a tool call that leash had
/// let through — the turn then lacks what leash allowed it to do, whether
/// or not other files changed. The result is [`end_failure`]'s `reported`.
pub fn reported_failure(
    stream: Option<FailureClass>,
    refused_by_agent: bool,
) -> Option<FailureClass> {
    stream.or(refused_by_agent.then_some(FailureClass::ContractViolation))
}

/// The sentence a finished turn's outcome reads: the verdict's reason,
/// and, when actions were denied, how many, by whom and the first reason —
/// so that a turn whose edits were denied never reads as an agent that
/// simply answered without editing.
pub fn outcome_reason(verdict: &Verdict, denials: Option<&crate::state::Denials>) -> String {
    let base = match verdict {
        Verdict::Land { rule } => rule.clone(),
        Verdict::Review { reason } | Verdict::Failed { reason } => reason.clone(),
        Verdict::NoChanges => match denials {
            Some(d) => return format!("no changes: {}", d.sentence()),
            None => "no changes; the agent answered without editing".into(),
        },
    };
    match denials {
        Some(d) => format!("{base}; {}", d.sentence()),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AutonomyLevel::*;
    use RiskClass::*;

    fn rule(paths: &[&str], commands: &[&str], class: RiskClass) -> RiskRule {
        RiskRule {
            paths: paths.iter().map(|s| s.to_string()).collect(),
            commands: commands.iter().map(|s| s.to_string()).collect(),
            tools: Vec::new(),
            class,
            lower: false,
        }
    }

    /// The rules of DESIGN §5, plus a medium rule to test precedence.
    fn design_rules() -> RiskRules {
        RiskRules::compile(&[
            rule(&["docs/*.md"], &[], Medium),
            rule(&["operations/**", "AGENTS.md"], &[], High),
            rule(&[], &["git push*", "curl *", "rm -rf *"], High),
            rule(&["**/*.lock"], &["cargo *", "git *"], Low),
        ])
        .unwrap()
    }

    fn path_class(r: &RiskRules, p: &str) -> Option<RiskClass> {
        r.classify_path(p).map(|h| h.class)
    }

    fn hit(class: RiskClass, pattern: &str, subject: &str, kind: HitKind) -> RuleHit {
        RuleHit {
            class,
            pattern: pattern.into(),
            subject: subject.into(),
            kind,
        }
    }

    #[test]
    fn path_star_stays_in_one_component_and_double_star_crosses() {
        let r = design_rules();
        assert_eq!(path_class(&r, "docs/a.md"), Some(Medium));
        assert_eq!(path_class(&r, "docs/sub/a.md"), None);
        assert_eq!(path_class(&r, "operations/x.md"), Some(High));
        assert_eq!(path_class(&r, "operations/a/b/c.md"), Some(High));
        assert_eq!(path_class(&r, "operationsx/a.md"), None);
        assert_eq!(path_class(&r, "Cargo.lock"), Some(Low));
        assert_eq!(path_class(&r, "a/b/Cargo.lock"), Some(Low));
    }

    #[test]
    fn a_bare_name_matches_only_the_root_file() {
        let r = design_rules();
        assert_eq!(path_class(&r, "AGENTS.md"), Some(High));
        assert_eq!(path_class(&r, "sub/AGENTS.md"), None);
        assert_eq!(path_class(&r, "AGENTS.md.bak"), None);
        assert_eq!(path_class(&r, "xAGENTS.md"), None);
    }

    #[test]
    fn matching_is_case_sensitive() {
        let r = design_rules();
        assert_eq!(path_class(&r, "agents.md"), None);
        assert_eq!(path_class(&r, "Operations/x.md"), None);
        assert_eq!(r.classify_command("GIT PUSH origin"), None);
    }

    #[test]
    fn path_hit_reports_highest_class_then_first_rule() {
        let r = RiskRules::compile(&[
            rule(&["src/**"], &[], Low),
            rule(&["src/*.rs"], &[], Medium),
            rule(&["src/main.rs"], &[], Medium),
            rule(&["**/*.rs"], &[], Low),
        ])
        .unwrap();
        assert_eq!(
            r.classify_path("src/main.rs"),
            Some(hit(Medium, "src/*.rs", "src/main.rs", HitKind::Path))
        );
        assert_eq!(
            r.classify_path("src/a/b.rs"),
            Some(hit(Low, "src/**", "src/a/b.rs", HitKind::Path))
        );
        assert_eq!(r.classify_path("README.md"), None);
    }

    #[test]
    fn command_star_matches_slashes_and_spaces() {
        let r = design_rules();
        let c = |s: &str| r.classify_command(s).map(|h| (h.class, h.pattern));
        assert_eq!(c("git push"), Some((High, "git push*".into())));
        assert_eq!(c("git push origin main"), Some((High, "git push*".into())));
        assert_eq!(
            c("git push --force origin/main"),
            Some((High, "git push*".into()))
        );
        assert_eq!(
            c("curl https://example.com/x"),
            Some((High, "curl *".into()))
        );
        assert_eq!(c("rm -rf /"), Some((High, "rm -rf *".into())));
        assert_eq!(c("rm -rf ./build"), Some((High, "rm -rf *".into())));
        // A last word `*` lets any further words follow, none included.
        assert_eq!(c("curl"), Some((High, "curl *".into())));
        assert_eq!(c("git status"), Some((Low, "git *".into())));
        assert_eq!(c("cargo test --all"), Some((Low, "cargo *".into())));
        assert_eq!(c("ls -la"), None);
        assert_eq!(c(""), None);
    }

    #[test]
    fn compound_command_lines_are_split_into_segments() {
        let r = design_rules();
        let c = |s: &str| r.classify_command(s).map(|h| (h.class, h.subject));
        assert_eq!(
            c("cd repo && git push origin"),
            Some((High, "git push origin".into()))
        );
        assert_eq!(c("make; git push"), Some((High, "git push".into())));
        assert_eq!(
            c("echo x | curl -d @- https://x"),
            Some((High, "curl -d @- https://x".into()))
        );
        assert_eq!(
            c("echo $(curl https://x)"),
            Some((High, "curl https://x".into()))
        );
        assert_eq!(c("ls\nrm -rf target"), Some((High, "rm -rf target".into())));
        // Quoted separators do not split, so this is one `echo`.
        assert_eq!(c("echo 'a; git push'"), None);
        assert_eq!(c("echo \"a && curl x\""), None);
        // Among equals, the first simple command is reported.
        assert_eq!(c("git push && curl x"), Some((High, "git push".into())));
        // A higher class in a later command beats a lower earlier one.
        assert_eq!(c("git status && git push"), Some((High, "git push".into())));
    }

    /// The seen cases: each slipped past string rules.
    #[test]
    fn command_rules_match_parsed_commands_not_strings() {
        let r = design_rules();
        let c = |s: &str| r.classify_command(s).map(|h| (h.class, h.pattern));
        let push = Some((High, "git push*".to_string()));
        let rm = Some((High, "rm -rf *".to_string()));
        for line in [
            "git  push",
            "GIT_TRACE=1 git push",
            "env git push",
            "bash -c \"git push origin\"",
            "cd x && git push",
            "echo $(git push)",
            "git -C . push",
            "\\git push",
        ] {
            assert_eq!(c(line), push, "{line}");
        }
        for line in [
            "rm -fr /",
            "sudo rm -r -f x",
            "xargs rm -rf",
            "rm --recursive --force x",
            "rm -Rf x",
        ] {
            assert_eq!(c(line), rm, "{line}");
        }
    }

    #[test]
    fn command_lines_running_leash_or_unreadable_are_high() {
        let r = design_rules();
        for line in [
            "leash allow t1.a1",
            "leash autonomy high auto",
            "/usr/local/bin/leash approve t1",
            "./target/debug/leash deny t1.a2",
            "true && (leash reject t1 --reason x)",
            "sh -c 'leash rollback t1'",
        ] {
            let got = r.classify_command_line(line);
            let h = got
                .hits
                .iter()
                .find(|h| h.kind == HitKind::Protected)
                .unwrap_or_else(|| panic!("{line}: {got:?}"));
            assert_eq!(h.class, High);
            assert!(h.to_string().contains("rule `protected`"), "{h}");
            assert!(any_protected(&got.hits));
        }
        let got = r.classify_command_line("echo 'unclosed");
        assert_eq!(got.hits.len(), 1);
        assert_eq!(got.hits[0].kind, HitKind::Unreadable);
        assert_eq!(got.hits[0].class, High);
        assert!(
            got.hits[0]
                .to_string()
                .contains("cannot be read (a single quote is never closed)"),
            "{}",
            got.hits[0]
        );
        let got = r.classify_command_line("X=git; $X push");
        assert_eq!(got.hits[0].kind, HitKind::Unreadable);
        assert!(
            got.hits[0]
                .to_string()
                .contains("only known when the line runs")
        );
        // Plain commands raise nothing; redirections are writes to class.
        let got = r.classify_command_line("ls -la > .claude/settings.json");
        assert!(got.hits.is_empty());
        assert_eq!(got.writes, [".claude/settings.json"]);
        assert!(r.classify_command_line("echo leash").hits.is_empty());
        // An argv run without a shell is read the same way.
        let argv: Vec<String> = ["sh", "-c", "git push origin"].map(String::from).to_vec();
        assert_eq!(r.classify_argv(&argv).hits[0].pattern, "git push*");
    }

    #[test]
    fn protected_paths_and_tools() {
        let r = design_rules();
        let hits = r.classify_changed(".leash/config.toml");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].kind, HitKind::Protected);
        assert_eq!(
            hits[0].to_string(),
            "path .leash/config.toml: .leash/** is protected (rule `protected`: high, never above manual)"
        );
        assert!(r.classify_changed("notes/a.md").is_empty());
        assert_eq!(r.classify_changed("operations/a.md")[0].kind, HitKind::Path);

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("operations")).unwrap();
        std::fs::create_dir_all(root.join("notes")).unwrap();
        std::os::unix::fs::symlink("../operations", root.join("notes/oplink")).unwrap();
        let hits = r.classify_write(&root, &root, "notes/oplink/x.md");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].pattern, "operations/**");
        assert_eq!(hits[0].subject, "operations/x.md");
        let hits = r.classify_write(&root, &root, "/etc/x");
        assert!(any_protected(&hits));
        assert!(
            hits[0].to_string().contains("outside the workspace"),
            "{}",
            hits[0]
        );

        assert_eq!(floor_level(Auto, true), Manual);
        assert_eq!(floor_level(Guarded, true), Manual);
        assert_eq!(floor_level(Auto, false), Auto);

        let mut with_tools = vec![rule(&[], &[], High)];
        with_tools[0].tools = vec!["mcp__*".into()];
        let r = RiskRules::compile(&with_tools).unwrap();
        let h = r.classify_tool("mcp__github__create_pr", Medium).unwrap();
        assert_eq!((h.class, h.pattern.as_str()), (High, "mcp__*"));
        assert_eq!(
            h.to_string(),
            "tool mcp__github__create_pr matches rule `mcp__*` (high)"
        );
        let h = r.classify_tool("BrandNewTool", Medium).unwrap();
        assert_eq!(h.class, Medium);
        assert_eq!(
            h.to_string(),
            "tool BrandNewTool is not one leash knows: default_risk (medium)"
        );
        assert_eq!(r.classify_tool("Write", Medium), None);
        assert_eq!(r.classify_tool("Bash", Low), None);
    }

    #[test]
    fn compile_reports_the_bad_pattern() {
        let err = RiskRules::compile(&[rule(&["ok/**", "bad/[x"], &[], High)]).unwrap_err();
        assert!(err.contains("`bad/[x`"), "{err}");
        assert!(err.contains("unclosed character class"), "{err}");
        let err = RiskRules::compile(&[rule(&[], &["git {push"], High)]).unwrap_err();
        assert!(err.contains("invalid command pattern `git {push`"), "{err}");
        let empty = RiskRules::compile(&[]).unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.classify_path("AGENTS.md"), None);
        assert_eq!(empty.classify_command("git push"), None);
    }

    #[test]
    fn escalate_takes_steps_in_order_and_skips_lower_hits() {
        let a = hit(Medium, "docs/*.md", "docs/a.md", HitKind::Path);
        let b = hit(High, "git push*", "git push origin", HitKind::Command);
        let c = hit(High, "AGENTS.md", "AGENTS.md", HitKind::Path);
        let (class, steps) = escalate(Low, vec![a.clone(), b.clone(), c.clone()]);
        assert_eq!(class, High);
        assert_eq!(
            steps,
            vec![
                Escalation {
                    from: Low,
                    to: Medium,
                    because: "path docs/a.md matches rule `docs/*.md` (medium)".into(),
                },
                Escalation {
                    from: Medium,
                    to: High,
                    because: "command `git push origin` matches rule `git push*` (high)".into(),
                },
            ]
        );

        // A high hit first: the later medium hit raised nothing.
        let (class, steps) = escalate(Low, vec![c.clone(), a.clone()]);
        assert_eq!(class, High);
        assert_eq!(steps.len(), 1);
        assert_eq!((steps[0].from, steps[0].to), (Low, High));
        assert_eq!(
            steps[0].because,
            "path AGENTS.md matches rule `AGENTS.md` (high)"
        );

        // Ties: the first hit reaching a class is the one reported.
        let (_, steps) = escalate(Medium, vec![c.clone(), b.clone()]);
        assert_eq!(steps.len(), 1);
        assert!(steps[0].because.contains("AGENTS.md"));
        let (_, steps) = escalate(Medium, vec![b, c]);
        assert!(steps[0].because.contains("git push origin"));
    }

    #[test]
    fn escalate_never_lowers_and_is_a_no_op_without_higher_hits() {
        let a = hit(Medium, "docs/*.md", "docs/a.md", HitKind::Path);
        assert_eq!(escalate(High, vec![a.clone()]), (High, vec![]));
        assert_eq!(escalate(Medium, vec![a.clone(), a]), (Medium, vec![]));
        assert_eq!(escalate(Low, Vec::new()), (Low, vec![]));
        for from in RiskClass::ALL {
            for to in RiskClass::ALL {
                let (class, steps) = escalate(*from, vec![hit(*to, "p", "s", HitKind::Path)]);
                assert_eq!(class, (*from).max(*to));
                assert_eq!(steps.len(), usize::from(to > from));
            }
        }
    }

    #[test]
    fn autonomy_without_override_is_the_slider() {
        let sliders = Sliders::default();
        assert_eq!(autonomy_for(Low, &sliders, None), Guarded);
        assert_eq!(autonomy_for(Medium, &sliders, None), Review);
        assert_eq!(autonomy_for(High, &sliders, None), Manual);
        for class in RiskClass::ALL {
            for level in AutonomyLevel::ALL {
                let mut s = Sliders::default();
                s.set(*class, *level);
                assert_eq!(autonomy_for(*class, &s, None), *level);
            }
        }
    }

    #[test]
    fn autonomy_override_over_every_combination() {
        for class in RiskClass::ALL {
            for declared in RiskClass::ALL {
                for level in AutonomyLevel::ALL {
                    for slider in AutonomyLevel::ALL {
                        let mut s = Sliders::default();
                        s.set(*class, *slider);
                        let task = TaskOverride {
                            declared: *declared,
                            level: *level,
                        };
                        let got = autonomy_for(*class, &s, Some(task));
                        if class <= declared {
                            assert_eq!(got, *level, "{class} declared {declared}");
                        } else {
                            // Escalated: never more freedom than either.
                            assert_eq!(got, (*level).min(*slider));
                            assert!(got <= *level && got <= *slider);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn autonomy_escalation_examples() {
        let s = Sliders::default();
        // An auto task that escalated to high falls back to high's manual.
        let auto_low = TaskOverride {
            declared: Low,
            level: Auto,
        };
        assert_eq!(autonomy_for(Low, &s, Some(auto_low)), Auto);
        assert_eq!(autonomy_for(Medium, &s, Some(auto_low)), Review);
        assert_eq!(autonomy_for(High, &s, Some(auto_low)), Manual);
        // A manual override stays manual even where the slider is freer.
        let manual_low = TaskOverride {
            declared: Low,
            level: Manual,
        };
        let mut free = Sliders::default();
        free.set(High, Auto);
        assert_eq!(autonomy_for(High, &free, Some(manual_low)), Manual);
        // An override above the slider holds at its own declared class.
        let guarded_high = TaskOverride {
            declared: High,
            level: Guarded,
        };
        assert_eq!(autonomy_for(High, &s, Some(guarded_high)), Guarded);
    }

    #[test]
    fn end_failure_table() {
        use FailureClass::*;
        let f = end_failure;
        // Exit status.
        assert_eq!(f(Exit::TimedOut, true, false, None, None), Some(TimedOut));
        assert_eq!(f(Exit::Cancelled, true, false, None, None), Some(Cancelled));
        assert_eq!(f(Exit::Signal(9), true, false, None, None), Some(Crashed));
        assert_eq!(f(Exit::Code(1), true, false, None, None), Some(Crashed));
        assert_eq!(f(Exit::Code(-1), false, true, None, None), Some(Crashed));
        // A process failure names the cause, not the missing deliverable.
        assert_eq!(
            f(Exit::TimedOut, false, true, Some(false), None),
            Some(TimedOut)
        );
        assert_eq!(
            f(Exit::Code(2), false, true, Some(false), None),
            Some(Crashed)
        );
        // Clean exits.
        assert_eq!(f(Exit::Code(0), true, true, None, None), None);
        assert_eq!(f(Exit::Code(0), true, false, None, None), None);
        assert_eq!(f(Exit::Code(0), false, false, None, None), None);
        assert_eq!(
            f(Exit::Code(0), false, true, None, None),
            Some(EmptyDeliverable)
        );
        assert_eq!(f(Exit::Code(0), true, false, Some(true), None), None);
        assert_eq!(f(Exit::Code(0), false, false, Some(true), None), None);
        assert_eq!(
            f(Exit::Code(0), true, false, Some(false), None),
            Some(EmptyDeliverable)
        );
        assert_eq!(
            f(Exit::Code(0), false, false, Some(false), None),
            Some(EmptyDeliverable)
        );
        // A reported failure wins over everything.
        for exit in [
            Exit::Code(0),
            Exit::Code(1),
            Exit::Signal(15),
            Exit::TimedOut,
            Exit::Cancelled,
        ] {
            for changed in [false, true] {
                for empty in [false, true] {
                    for deliverable in [None, Some(false), Some(true)] {
                        assert_eq!(
                            f(exit, changed, empty, deliverable, Some(ContextOverflow)),
                            Some(ContextOverflow)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn an_agent_refusal_is_a_contract_violation_unless_the_stream_named_a_failure() {
        use FailureClass::*;
        assert_eq!(reported_failure(None, false), None);
        assert_eq!(reported_failure(None, true), Some(ContractViolation));
        assert_eq!(
            reported_failure(Some(ContextOverflow), true),
            Some(ContextOverflow)
        );
        // Passed on as `reported`, it wins over a clean empty exit.
        assert_eq!(
            end_failure(
                Exit::Code(0),
                false,
                false,
                None,
                reported_failure(None, true)
            ),
            Some(ContractViolation)
        );
    }

    #[test]
    fn an_outcome_with_denials_names_them() {
        use crate::model::DecidedBy;
        use crate::state::{Denials, DeniedBy};
        let d = Denials {
            count: 2,
            by: vec![
                DeniedBy {
                    by: DecidedBy::Agent,
                    count: 1,
                },
                DeniedBy {
                    by: DecidedBy::Unattended,
                    count: 1,
                },
            ],
            first_action: "t1.a1".into(),
            first_summary: "Write notes/a.md".into(),
            first_reason: Some("permission denied: Write".into()),
        };
        let none = outcome_reason(&Verdict::NoChanges, Some(&d));
        assert!(!none.contains("answered without editing"), "{none}");
        assert!(
            none.contains("2 actions denied (1 by the agent, 1 unattended"),
            "{none}"
        );
        assert!(
            none.contains("first: Write notes/a.md — permission denied"),
            "{none}"
        );
        assert_eq!(
            outcome_reason(&Verdict::NoChanges, None),
            "no changes; the agent answered without editing"
        );
        let review = Verdict::Review {
            reason: "low = review: the diff waits for approval".into(),
        };
        assert!(outcome_reason(&review, Some(&d)).starts_with("low = review"));
    }

    #[test]
    fn verdict_over_every_combination() {
        let failures: Vec<Option<FailureClass>> = std::iter::once(None)
            .chain(FailureClass::ALL.iter().copied().map(Some))
            .collect();
        let mut seen = 0;
        for class in RiskClass::ALL {
            for level in AutonomyLevel::ALL {
                for failure in &failures {
                    for changed in [false, true] {
                        for invariants_pass in [false, true] {
                            seen += 1;
                            let end = TurnEnd {
                                changed,
                                failure: *failure,
                                class: *class,
                                level: *level,
                                invariants_pass,
                            };
                            let v = verdict(&end);
                            let expected = match (failure, changed, level, invariants_pass) {
                                (Some(_), true, _, _) => "review",
                                (Some(_), false, _, _) => "failed",
                                (None, false, _, _) => "no_changes",
                                (None, true, Manual | Review, _) => "review",
                                (None, true, Guarded, true) => "land",
                                (None, true, Guarded, false) => "review",
                                (None, true, Auto, _) => "land",
                            };
                            let (got, text) = match &v {
                                Verdict::Land { rule } => ("land", rule.as_str()),
                                Verdict::Review { reason } => ("review", reason.as_str()),
                                Verdict::Failed { reason } => ("failed", reason.as_str()),
                                Verdict::NoChanges => ("no_changes", ""),
                            };
                            assert_eq!(got, expected, "{end:?}");
                            match failure {
                                Some(f) => {
                                    assert!(
                                        text.starts_with(&format!("failed with {f}:")),
                                        "{text}"
                                    );
                                    assert!(text.contains("never lands by itself"), "{text}");
                                }
                                None if changed => {
                                    assert!(
                                        text.starts_with(&format!("{class} = {level}:")),
                                        "{text}"
                                    )
                                }
                                None => {}
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(seen, 3 * 4 * 15 * 2 * 2);
    }

    #[test]
    fn verdict_sentences() {
        let end = |class, level, invariants_pass, failure| TurnEnd {
            changed: true,
            failure,
            class,
            level,
            invariants_pass,
        };
        assert_eq!(
            verdict(&end(Low, Guarded, true, None)),
            Verdict::Land {
                rule: "low = guarded: every invariant passes".into()
            }
        );
        assert_eq!(
            verdict(&end(High, Manual, true, None)),
            Verdict::Review {
                reason: "high = manual: the diff waits for approval".into()
            }
        );
        assert_eq!(
            verdict(&end(Low, Guarded, false, None)),
            Verdict::Review {
                reason: "low = guarded: an invariant fails, so the diff waits for approval".into()
            }
        );
        assert_eq!(
            verdict(&end(Medium, Auto, false, None)),
            Verdict::Land {
                rule: "medium = auto: lands by itself; broken invariants are flagged for rollback"
                    .into()
            }
        );
        assert_eq!(
            verdict(&end(Low, Auto, true, Some(FailureClass::ContextOverflow))),
            Verdict::Review {
                reason: "failed with context_overflow: a failure never lands by itself".into()
            }
        );
        let mut unchanged = end(Low, Auto, true, Some(FailureClass::Crashed));
        unchanged.changed = false;
        assert_eq!(
            verdict(&unchanged),
            Verdict::Failed {
                reason: "failed with crashed: a failure never lands by itself".into()
            }
        );
    }
}
