//! Rules proposed from the operator's answers ("say it once"): allowing a
//! held tool call proposes the narrowest `[[risk]]` rule with `lower =
//! true` that lets such calls run alone under the current sliders; denying
//! the same kind of call three times proposes the rule that raises it to a
//! class the operator answers.
//!
//! | held call | proposed subject |
//! | --- | --- |
//! | write to `a.md` (at the root) | `paths = ["a.md"]` |
//! | write to `docs/notes/a.md` | `paths = ["docs/notes/**"]` |
//! | write to `docs/a.md`, held by rule `docs/**` | `paths = ["docs/a.md"]` (the folder would undo the rule) |
//! | `cargo test -p x` | `commands = ["cargo test -p x"]` (the command as run, glob characters escaped) |
//! | `cd a && make` | `commands = ["cd a", "make"]` (every simple command) |
//! | a tool leash does not know | `tools = ["mcp__x__y"]` |
//! | a protected path, `leash` itself, an unreadable line | none: no rule can let it run alone |
//!
//! Pure but for [`protected::places`], which follows symlinks as the gate
//! does; every proposal is checked against [`RiskRules::lowered`] before it
//! is offered.

use std::fmt::Write as _;
use std::path::Path;

use super::{HitKind, Place, RiskRule, RiskRules, classify_action, command, protected};
use crate::model::{AutonomyLevel, RiskClass, Sliders};

/// What a proposal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Lets such calls run alone (`lower = true`).
    Allow,
    /// Raises such calls to a class the operator answers.
    Raise,
}

/// One tool call, as the gate saw it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The workspace, or an isolated turn's worktree.
    pub root: &'a Path,
    /// Where relative paths are taken from.
    pub cwd: &'a Path,
    pub tool: &'a str,
    pub paths_written: &'a [String],
    pub commands: &'a [String],
}

impl Call<'_> {
    /// What `rules` (and the protected places) make of the call.
    fn classify(&self, rules: &RiskRules, default_risk: RiskClass) -> Vec<super::RuleHit> {
        classify_action(
            rules,
            default_risk,
            self.root,
            self.cwd,
            self.tool,
            self.paths_written,
            self.commands,
        )
    }

    /// What the `lower = true` rules of `rules` make of the call that
    /// classified as `hits` (see [`RiskRules::lowered`]).
    fn lowered_by(
        &self,
        rules: &RiskRules,
        hits: &[super::RuleHit],
    ) -> Option<Vec<super::RuleHit>> {
        rules.lowered(
            self.root,
            self.cwd,
            self.tool,
            self.paths_written,
            self.commands,
            hits,
        )
    }
}

/// A rule leash offers to add to `.leash/config.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub direction: Direction,
    pub rule: RiskRule,
    /// Why this class: the slider that lets it through, or holds it.
    pub why: String,
}

impl Proposal {
    /// What the rule names, for grouping the same kind of call and for
    /// titles: `docs/notes/**`, `cargo test`, joined by `, `.
    pub fn subject(&self) -> String {
        let r = &self.rule;
        let all: Vec<&str> = r
            .paths
            .iter()
            .chain(&r.commands)
            .chain(&r.tools)
            .map(String::as_str)
            .collect();
        all.join(", ")
    }

    /// One line: `allow docs/notes/** as medium`.
    pub fn title(&self) -> String {
        let verb = match self.direction {
            Direction::Allow => "allow",
            Direction::Raise => "raise",
        };
        let prep = match self.direction {
            Direction::Allow => "as",
            Direction::Raise => "to",
        };
        format!("{verb} {} {prep} {}", self.subject(), self.rule.class)
    }

    /// The TOML block appended to `.leash/config.toml`, starting with a
    /// comment naming where it came from (`from`: action or turn ids).
    pub fn toml(&self, from: &[String]) -> String {
        let mut s = String::new();
        let what = match self.direction {
            Direction::Allow => "allowed",
            Direction::Raise => "refused",
        };
        let _ = writeln!(
            s,
            "# Added by leash: the operator {what} {}; {}.",
            from.join(", "),
            self.why
        );
        s.push_str("[[risk]]\n");
        for (key, list) in [
            ("paths", &self.rule.paths),
            ("commands", &self.rule.commands),
            ("tools", &self.rule.tools),
        ] {
            if !list.is_empty() {
                let items: Vec<String> = list.iter().map(|v| toml_string(v)).collect();
                let _ = writeln!(s, "{key} = [{}]", items.join(", "));
            }
        }
        let _ = writeln!(s, "class = \"{}\"", self.rule.class);
        if self.rule.lower {
            s.push_str("lower = true\n");
        }
        s
    }
}

/// A TOML basic string: JSON's escapes (`\"`, `\\`, `\n`, `\uXXXX`)
/// are all TOML's too.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The rule that would let calls like `call` run alone from now on: the
/// highest class whose slider is above manual (the least freedom that is
/// still enough). An error says why no rule can.
pub fn allow(
    call: Call<'_>,
    rules: &RiskRules,
    default_risk: RiskClass,
    sliders: &Sliders,
) -> Result<Proposal, String> {
    let Some(class) = [RiskClass::High, RiskClass::Medium, RiskClass::Low]
        .into_iter()
        .find(|c| sliders.get(*c) != AutonomyLevel::Manual)
    else {
        return Err(
            "every class is at manual, so no rule lets a call run alone; \
                    move a slider instead"
                .into(),
        );
    };
    let hits = call.classify(rules, default_risk);
    let subjects = subjects(call, &hits, Direction::Allow)?;
    let proposal = Proposal {
        direction: Direction::Allow,
        rule: RiskRule {
            paths: subjects.paths,
            commands: subjects.commands,
            tools: subjects.tools,
            class,
            lower: true,
        },
        why: format!(
            "such calls are {class} from now on, and {class} = {} runs alone",
            sliders.get(class)
        ),
    };
    // The proof: with the rule added, the gate classes the call so.
    let compiled = RiskRules::compile(std::slice::from_ref(&proposal.rule))?;
    let got = call.lowered_by(&compiled, &hits);
    match got.and_then(|h| h.iter().map(|h| h.class).max()) {
        Some(c) if c == class => Ok(proposal),
        _ => Err(format!(
            "leash found no rule it can write that covers this call whole ({})",
            proposal.subject()
        )),
    }
}

/// The opposite rule: calls like `call` raised to the lowest class whose
/// slider is manual (so each waits for the operator), or `high` when no
/// slider is. An error says why none is needed.
pub fn raise(
    call: Call<'_>,
    rules: &RiskRules,
    default_risk: RiskClass,
    sliders: &Sliders,
) -> Result<Proposal, String> {
    let class = [RiskClass::Low, RiskClass::Medium, RiskClass::High]
        .into_iter()
        .find(|c| sliders.get(*c) == AutonomyLevel::Manual)
        .unwrap_or(RiskClass::High);
    let hits = call.classify(rules, default_risk);
    if let Some(h) = hits
        .iter()
        .find(|h| matches!(h.kind, HitKind::Protected | HitKind::Unreadable))
    {
        return Err(format!("already held whatever the rules say: {h}"));
    }
    let lowered = call.lowered_by(rules, &hits);
    if lowered.is_none() && !hits.is_empty() && hits.iter().all(|h| h.class >= class) {
        return Err(format!(
            "already {class} by rule `{}`",
            hits.iter().map(|h| h.pattern.as_str()).next().unwrap_or("")
        ));
    }
    let subjects = subjects(call, &hits, Direction::Raise)?;
    Ok(Proposal {
        direction: Direction::Raise,
        rule: RiskRule {
            paths: subjects.paths,
            commands: subjects.commands,
            tools: subjects.tools,
            class,
            lower: false,
        },
        why: match sliders.get(class) {
            AutonomyLevel::Manual => {
                format!("such calls are {class} from now on, and wait for you")
            }
            level => format!(
                "such calls are {class} from now on ({class} = {level}: they wait for you \
                 only once that slider is at manual)"
            ),
        },
    })
}

struct Subjects {
    paths: Vec<String>,
    commands: Vec<String>,
    tools: Vec<String>,
}

fn subjects(
    call: Call<'_>,
    hits: &[super::RuleHit],
    direction: Direction,
) -> Result<Subjects, String> {
    if let Some(h) = hits
        .iter()
        .find(|h| matches!(h.kind, HitKind::Protected | HitKind::Unreadable))
    {
        return Err(format!("{h}: no rule can let it run alone"));
    }
    let mut out = Subjects {
        paths: Vec::new(),
        commands: Vec::new(),
        tools: Vec::new(),
    };
    let push = |list: &mut Vec<String>, v: String| {
        if !list.contains(&v) {
            list.push(v);
        }
    };
    let path_rules: Vec<&str> = hits
        .iter()
        .filter(|h| h.kind == HitKind::Path)
        .map(|h| h.pattern.as_str())
        .collect();
    let write = |out: &mut Subjects, p: &str| {
        for place in protected::places(call.root, call.cwd, p) {
            if let Place::Inside(rel) = place {
                let glob = glob_for(&rel, &path_rules, direction);
                push(&mut out.paths, glob);
            }
        }
    };
    for p in call.paths_written {
        write(&mut out, p);
    }
    for line in call.commands {
        if is_cut(line) {
            return Err(
                "the command was too long to keep whole in the journal, so leash \
                        cannot name it in a rule"
                    .into(),
            );
        }
        let parsed = command::parse(line).map_err(|e| format!("leash cannot read it: {e}"))?;
        for cmd in &parsed.commands {
            let pattern = pattern_for(&cmd.argv);
            if !out.commands.contains(&pattern) {
                out.commands.push(pattern);
            }
        }
        for w in &parsed.writes {
            write(&mut out, w);
        }
    }
    if hits.iter().any(|h| h.kind == HitKind::Tool) {
        out.tools.push(escape_glob(call.tool));
    }
    if out.paths.is_empty() && out.commands.is_empty() && out.tools.is_empty() {
        return Err("it writes no path and runs no command a rule could name".into());
    }
    Ok(out)
}

/// A journaled input cut for length (see `agents::run::shorten`).
fn is_cut(s: &str) -> bool {
    s.ends_with(" more bytes)") || s.ends_with(" more byte)")
}

/// The path glob for a repo-relative path: its folder with `**`, or the
/// path itself at the root, or when the folder would take in the whole
/// of a rule that raised it (`docs/**` for a call held by `docs/**`).
pub fn glob_for(rel: &str, raised_by: &[&str], direction: Direction) -> String {
    let Some((dir, _)) = rel.rsplit_once('/') else {
        return escape_glob(rel);
    };
    let folder = format!("{dir}/");
    let swallows = |pattern: &str| {
        let literal: String = pattern
            .chars()
            .take_while(|c| !matches!(c, '*' | '?' | '[' | '{' | '\\'))
            .collect();
        literal.starts_with(&folder)
    };
    if direction == Direction::Allow && raised_by.iter().any(|p| swallows(p)) {
        return escape_glob(rel);
    }
    format!("{}/**", escape_glob(dir))
}

/// The command pattern for one simple command as run: its words, glob
/// characters escaped, quoted as a shell would need them.
pub fn pattern_for(argv: &[String]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|w| {
            if w.starts_with('-') {
                w.clone()
            } else {
                escape_glob(w)
            }
        })
        .collect();
    shell_words::join(words)
}

/// `*`, `?`, `[`, `]`, `{`, `}` and `\` taken literally.
fn escape_glob(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use AutonomyLevel::*;
    use RiskClass::*;

    fn rules(list: &[(&[&str], &[&str], RiskClass)]) -> RiskRules {
        let list: Vec<RiskRule> = list
            .iter()
            .map(|(p, c, class)| RiskRule {
                paths: p.iter().map(|s| s.to_string()).collect(),
                commands: c.iter().map(|s| s.to_string()).collect(),
                tools: vec![],
                class: *class,
                lower: false,
            })
            .collect();
        RiskRules::compile(&list).unwrap()
    }

    fn design() -> RiskRules {
        rules(&[
            (&["operations/**", "AGENTS.md"], &[], High),
            (&[], &["git push*", "curl *", "rm -rf *"], High),
        ])
    }

    fn write(path: &str) -> (Vec<String>, Vec<String>) {
        (vec![path.to_string()], vec![])
    }

    fn call<'a>(root: &'a Path, tool: &'a str, p: &'a [String], c: &'a [String]) -> Call<'a> {
        Call {
            root,
            cwd: root,
            tool,
            paths_written: p,
            commands: c,
        }
    }

    /// The proposal for `tool` writing `p` or running `c` at `/w`, held at
    /// `class` under the default sliders.
    fn propose(
        tool: &str,
        p: &[String],
        c: &[String],
        class: RiskClass,
    ) -> Result<Proposal, String> {
        allow(
            call(Path::new("/w"), tool, p, c),
            &design(),
            class,
            &Sliders::default(),
        )
    }

    #[test]
    fn a_write_proposes_its_folder_at_the_highest_class_that_runs_alone() {
        let root = Path::new("/w");
        let (p, c) = write("/w/operations/notes/a.md");
        let got = propose("Write", &p, &c, Medium);
        let got = got.unwrap();
        assert_eq!(got.rule.paths, vec!["operations/notes/**"]);
        assert_eq!(got.rule.class, Medium);
        assert!(got.rule.lower);
        assert_eq!(got.title(), "allow operations/notes/** as medium");
        let toml = got.toml(&["t1.a1".into()]);
        assert!(toml.ends_with(
            "[[risk]]\npaths = [\"operations/notes/**\"]\nclass = \"medium\"\nlower = true\n"
        ));
        assert!(toml.starts_with("# Added by leash: the operator allowed t1.a1; "));
        // With low at auto and medium at manual, low is the one that runs.
        let sliders = Sliders {
            low: Auto,
            medium: Manual,
            high: Manual,
        };
        let got = allow(call(root, "Write", &p, &c), &design(), Medium, &sliders).unwrap();
        assert_eq!(got.rule.class, Low);
    }

    #[test]
    fn a_folder_that_would_undo_the_rule_gives_way_to_the_file() {
        let (p, c) = write("operations/a.md");
        let got = propose("Write", &p, &c, Medium);
        assert_eq!(got.unwrap().rule.paths, vec!["operations/a.md"]);
        let (p, c) = write("AGENTS.md");
        let got = propose("Write", &p, &c, Medium);
        assert_eq!(got.unwrap().rule.paths, vec!["AGENTS.md"]);
        assert_eq!(glob_for("a[1].md", &[], Direction::Allow), "a\\[1\\].md");
        assert_eq!(glob_for("x*/a.md", &[], Direction::Raise), "x\\*/**");
    }

    #[test]
    fn a_command_proposes_every_simple_command_as_run() {
        let c = vec!["cd sub && git push origin 'wip*'".to_string()];
        let got = propose("Bash", &[], &c, Medium).unwrap();
        assert_eq!(
            got.rule.commands,
            vec!["cd sub", "git push origin 'wip\\*'"]
        );
        // The pattern reads back, and matches the command it came from.
        let back = command::CommandPattern::parse(&got.rule.commands[1]).unwrap();
        let argv: Vec<String> = ["git", "push", "origin", "wip*"].map(String::from).to_vec();
        assert!(back.matches(&argv));
        let other: Vec<String> = ["git", "push", "origin", "wipe"].map(String::from).to_vec();
        assert!(!back.matches(&other));
        assert_eq!(
            got.title(),
            "allow cd sub, git push origin 'wip\\*' as medium"
        );
        let toml = got.toml(&["t2.a3".into()]);
        assert!(
            toml.contains("commands = [\"cd sub\", \"git push origin 'wip\\\\*'\"]\n"),
            "{toml}"
        );
    }

    #[test]
    fn no_rule_is_proposed_where_none_can_help() {
        let root = Path::new("/w");
        // Why `tool` with these paths and commands gets no rule, under the
        // default sliders or `sliders`.
        let why = |tool: &str, p: &[String], c: &[String], sliders: &Sliders| {
            allow(call(root, tool, p, c), &design(), Medium, sliders).unwrap_err()
        };
        let defaults = Sliders::default();
        let (p, c) = write(".leash/config.toml");
        assert!(why("Write", &p, &c, &defaults).contains("no rule can let it run alone"));
        for command in ["leash allow t1.a1", "echo 'unclosed"] {
            let c = vec![command.to_string()];
            assert!(why("Bash", &[], &c, &defaults).contains("no rule can let it run alone"));
        }
        let all_manual = Sliders {
            low: Manual,
            medium: Manual,
            high: Manual,
        };
        let (p, c) = write("docs/a.md");
        assert!(why("Write", &p, &c, &all_manual).contains("move a slider"));
        assert!(why("WebFetch", &[], &[], &defaults).contains("no command"));
    }

    #[test]
    fn an_unknown_tool_is_named_by_a_tools_rule() {
        let got = propose("mcp__gh__create_pr", &[], &[], High).unwrap();
        assert_eq!(got.rule.tools, vec!["mcp__gh__create_pr"]);
    }

    #[test]
    fn the_opposite_rule_raises_to_the_class_that_waits() {
        let root = Path::new("/w");
        let (p, c) = write("docs/notes/a.md");
        let got = raise(
            call(root, "Write", &p, &c),
            &design(),
            Medium,
            &Sliders::default(),
        )
        .unwrap();
        assert_eq!(got.direction, Direction::Raise);
        assert_eq!(got.rule.paths, vec!["docs/notes/**"]);
        assert_eq!(got.rule.class, High);
        assert!(!got.rule.lower);
        assert!(got.toml(&["t1".into()]).ends_with("class = \"high\"\n"));
        assert_eq!(got.title(), "raise docs/notes/** to high");
        // Already high by a rule: nothing to propose.
        let c = vec!["git push origin main".to_string()];
        let e = raise(
            call(root, "Bash", &[], &c),
            &design(),
            Medium,
            &Sliders::default(),
        );
        assert!(e.unwrap_err().contains("already high by rule `git push*`"));
        // Medium at manual: medium is enough.
        let sliders = Sliders {
            low: Guarded,
            medium: Manual,
            high: Manual,
        };
        let got = raise(call(root, "Write", &p, &c[..0]), &design(), Low, &sliders).unwrap();
        assert_eq!(got.rule.class, Medium);
    }

    #[test]
    fn a_lowering_rule_covers_only_what_it_names_and_never_protection() {
        let root = Path::new("/w");
        let mut list = vec![RiskRule {
            paths: vec!["docs/**".into()],
            commands: vec!["cargo test".into()],
            tools: vec![],
            class: Low,
            lower: true,
        }];
        list.push(RiskRule {
            paths: vec!["docs/**".into()],
            commands: vec![],
            tools: vec![],
            class: High,
            lower: false,
        });
        let r = RiskRules::compile(&list).unwrap();
        let low = |tool: &str, p: &[&str], c: &[&str]| {
            let p: Vec<String> = p.iter().map(|s| s.to_string()).collect();
            let c: Vec<String> = c.iter().map(|s| s.to_string()).collect();
            let hits = classify_action(&r, Medium, root, root, tool, &p, &c);
            r.lowered(root, root, tool, &p, &c, &hits)
                .map(|h| h.iter().map(|h| h.class).max())
        };
        assert_eq!(low("Write", &["docs/a.md"], &[]), Some(Some(Low)));
        assert_eq!(low("Bash", &[], &["cargo test"]), Some(Some(Low)));
        // Part of it uncovered: not lowered.
        assert_eq!(low("Bash", &[], &["cargo test && make"]), None);
        assert_eq!(low("Bash", &[], &["cargo test > ops.txt"]), None);
        assert_eq!(low("Write", &["src/a.rs"], &[]), None);
        assert_eq!(low("Write", &["/elsewhere/a.md"], &[]), None);
        // Protected stays protected.
        let p = RiskRules::compile(&[RiskRule {
            paths: vec![".leash/**".into()],
            commands: vec![],
            tools: vec![],
            class: Low,
            lower: true,
        }])
        .unwrap();
        let paths = vec![".leash/config.toml".to_string()];
        let hits = classify_action(&p, Medium, root, root, "Write", &paths, &[]);
        assert_eq!(p.lowered(root, root, "Write", &paths, &[], &hits), None);
    }
}
