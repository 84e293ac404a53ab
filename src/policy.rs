//! Risk rules and autonomy decisions (DESIGN §1): which class a path or a
//! command raises a turn to, which autonomy level governs a turn, how a
//! finished turn failed, and what happens to it at turn end.
//!
//! Everything here is a pure function of its arguments, so that the
//! supervisor, the hook gate and the console reach the same answer.

use std::fmt;

use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::config::{RiskRule, Sliders};
use crate::model::{AutonomyLevel, FailureClass, RiskClass};

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
}

/// One risk rule pattern that matched one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    pub class: RiskClass,
    /// The pattern as written in the config.
    pub pattern: String,
    /// The path or command (segment) that matched.
    pub subject: String,
    pub kind: HitKind,
}

impl fmt::Display for RuleHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            HitKind::Path => write!(f, "path {}", self.subject)?,
            HitKind::Command => write!(f, "command `{}`", self.subject)?,
        }
        write!(f, " matches rule `{}` ({})", self.pattern, self.class)
    }
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
    commands: GlobSet,
    command_entries: Vec<Entry>,
}

impl Default for RiskRules {
    fn default() -> Self {
        RiskRules {
            paths: GlobSet::empty(),
            path_entries: Vec::new(),
            commands: GlobSet::empty(),
            command_entries: Vec::new(),
        }
    }
}

impl RiskRules {
    /// Compiles the rules; the error names the first pattern that does not
    /// compile.
    pub fn compile(rules: &[RiskRule]) -> Result<RiskRules, String> {
        let mut paths = GlobSetBuilder::new();
        let mut path_entries = Vec::new();
        let mut commands = GlobSetBuilder::new();
        let mut command_entries = Vec::new();
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
                let glob = command_glob(c).map_err(|e| bad_glob("command", c, &e))?;
                commands.add(glob);
                command_entries.push(Entry {
                    class: rule.class,
                    pattern: c.clone(),
                });
            }
        }
        Ok(RiskRules {
            paths: paths.build().map_err(|e| e.to_string())?,
            path_entries,
            commands: commands.build().map_err(|e| e.to_string())?,
            command_entries,
        })
    }

    /// True when there is no rule at all.
    pub fn is_empty(&self) -> bool {
        self.path_entries.is_empty() && self.command_entries.is_empty()
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

    /// The highest-class rule matching a command line, if any.
    ///
    /// Besides the whole line, each simple command of a compound line
    /// (`cd x && git push`, `a; b`, `a | b`, `$(b)`) is tried on its own,
    /// since agents chain commands and a rule such as `git push*` must not
    /// be sidestepped by a `cd` in front. The reported subject is the whole
    /// line when that matches at the winning class, else the segment.
    pub fn classify_command(&self, command: &str) -> Option<RuleHit> {
        let mut subjects = vec![command.trim()];
        let segments = shell_segments(command);
        if segments.len() > 1 || segments.first().is_some_and(|s| *s != command.trim()) {
            subjects.extend(segments);
        }
        let mut found: Option<(usize, &str)> = None;
        for subject in subjects {
            let Some(i) = best_index(&self.commands, &self.command_entries, subject) else {
                continue;
            };
            let better = match found {
                None => true,
                Some((j, _)) => {
                    let (a, b) = (&self.command_entries[i], &self.command_entries[j]);
                    a.class > b.class || (a.class == b.class && i < j)
                }
            };
            if better {
                found = Some((i, subject));
            }
        }
        found.map(|(i, subject)| RuleHit {
            class: self.command_entries[i].class,
            pattern: self.command_entries[i].pattern.clone(),
            subject: subject.to_string(),
            kind: HitKind::Command,
        })
    }
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

/// Splits a shell command line into its simple commands at `;`, `&`, `|`,
/// newlines, parentheses and backticks that are outside quotes. It does not
/// try to be a shell parser: a wrong split can only add subjects, and extra
/// subjects can only raise a class, never lower it.
fn shell_segments(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut single = false;
    let mut double = false;
    let mut escaped = false;
    for (i, ch) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match ch {
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' if !single && !double => {
                push_segment(&mut out, &line[start..i]);
                start = i + ch.len_utf8();
            }
            _ => {}
        }
    }
    push_segment(&mut out, &line[start..]);
    out
}

fn push_segment<'a>(out: &mut Vec<&'a str>, s: &'a str) {
    let s = s.trim().trim_start_matches('$').trim();
    if !s.is_empty() {
        out.push(s);
    }
}

/// One rise of a turn's risk class, and the rule that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub from: RiskClass,
    pub to: RiskClass,
    pub because: String,
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

/// The strings a command rule is matched against for an argv: the whole argv joined by spaces, plus every single argument that itself contains a space.
///
/// So `sh -c 'git push origin'` is caught by `git push*`. Duplicates are
/// dropped; the joined line always comes first.
pub fn command_subjects(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if argv.is_empty() {
        return out;
    }
    out.push(argv.join(" "));
    for arg in argv {
        if arg.contains(' ') && !out.contains(arg) {
            out.push(arg.clone());
        }
    }
    out
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

/// Failure class of a finished generic turn.
///
/// TimedOut→timed_out, Cancelled→interrupted, Signal→crashed, nonzero
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
        Exit::Cancelled => Some(FailureClass::Interrupted),
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
        let reason = format!("failed with {f}: a failure never lands by itself");
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
            class,
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
        // "curl *" needs the space: a bare `curl` has no argument to fetch.
        assert_eq!(c("curl"), None);
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
        // The whole line wins when it matches at the same class.
        assert_eq!(
            c("git push && curl x"),
            Some((High, "git push && curl x".into()))
        );
        // A higher class in a later segment beats a lower whole-line match.
        assert_eq!(c("git status && git push"), Some((High, "git push".into())));
    }

    #[test]
    fn command_subjects_add_arguments_with_spaces() {
        let argv: Vec<String> = ["sh", "-c", "git push origin"].map(String::from).to_vec();
        assert_eq!(
            command_subjects(&argv),
            vec![
                "sh -c git push origin".to_string(),
                "git push origin".to_string()
            ]
        );
        let r = design_rules();
        let hits: Vec<_> = command_subjects(&argv)
            .iter()
            .filter_map(|s| r.classify_command(s))
            .collect();
        assert!(
            hits.iter()
                .any(|h| h.class == High && h.pattern == "git push*")
        );

        let plain: Vec<String> = ["git", "push"].map(String::from).to_vec();
        assert_eq!(command_subjects(&plain), vec!["git push".to_string()]);
        assert!(command_subjects(&[]).is_empty());
        // An argument equal to the whole line is not listed twice.
        let one = vec!["a b".to_string()];
        assert_eq!(command_subjects(&one), vec!["a b".to_string()]);
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
        assert_eq!(
            f(Exit::Cancelled, true, false, None, None),
            Some(Interrupted)
        );
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
        assert_eq!(seen, 3 * 4 * 13 * 2 * 2);
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
