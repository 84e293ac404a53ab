//! The checks that turn the raw shapes into the public types, each error
//! placed at the value it is about.

use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::time::Duration;

use toml::Spanned;

use super::located::Source;
use super::raw::{DURATION_EXPECTED, Dur, RawAgent, RawInvariant, RawRisk, RawTask, Words};
use super::{AgentConfig, ConfigError, INVARIANT_KINDS, InvariantConfig, Pos, TaskConfig};
use crate::model::RiskClass;
use crate::policy::{RiskRule, command_glob, path_glob};

impl Source<'_> {
    pub(super) fn risk_rule(&self, rule: Spanned<RawRisk>) -> Result<RiskRule, ConfigError> {
        let span = rule.span();
        let raw = rule.into_inner();
        let Some(class) = raw.class else {
            return Err(self.err(
                span,
                format!(
                    "this [[risk]] rule has no `class`; expected class = one of: {}",
                    RiskClass::words().join(", ")
                ),
            ));
        };
        if raw.paths.is_empty() && raw.commands.is_empty() && raw.tools.is_empty() {
            return Err(self.err(
                span,
                "this [[risk]] rule has neither `paths` nor `commands` nor `tools`; expected \
                 paths = [\"glob\", …], commands = [\"git push*\", …] and/or \
                 tools = [\"mcp__*\", …]",
            ));
        }
        let mut paths = Vec::new();
        for p in raw.paths {
            let pattern = p.get_ref();
            if pattern.is_empty() {
                return Err(self.err(
                    p.span(),
                    "empty path pattern; expected a glob such as \"docs/**\"",
                ));
            }
            if let Some(rest) = pattern.strip_prefix("./").or(pattern.strip_prefix('/')) {
                return Err(self.err(
                    p.span(),
                    format!(
                        "path pattern `{pattern}` would never match: paths are repo-relative; \
                         expected `{rest}`"
                    ),
                ));
            }
            if let Err(e) = path_glob(pattern) {
                return Err(self.err(
                    p.span(),
                    format!("invalid path glob `{pattern}`: {}", e.kind()),
                ));
            }
            paths.push(p.into_inner());
        }
        let mut commands = Vec::new();
        for c in raw.commands {
            let pattern = c.get_ref();
            if pattern.trim().is_empty() {
                return Err(self.err(
                    c.span(),
                    "empty command pattern; expected a command such as \"git push*\"",
                ));
            }
            if let Err(e) = crate::policy::CommandPattern::parse(pattern) {
                return Err(self.err(
                    c.span(),
                    format!("invalid command pattern `{pattern}`: {e}"),
                ));
            }
            commands.push(c.into_inner());
        }
        let mut tools = Vec::new();
        for t in raw.tools {
            let pattern = t.get_ref();
            if pattern.trim().is_empty() {
                return Err(self.err(
                    t.span(),
                    "empty tool pattern; expected a tool name or glob such as \"mcp__*\"",
                ));
            }
            if let Err(e) = command_glob(pattern) {
                return Err(self.err(
                    t.span(),
                    format!("invalid tool glob `{pattern}`: {}", e.kind()),
                ));
            }
            tools.push(t.into_inner());
        }
        Ok(RiskRule {
            paths,
            commands,
            tools,
            class: class.0,
            lower: raw.lower.unwrap_or(false),
        })
    }

    /// A `[prices]` entry: both prices, finite and not negative.
    pub(super) fn price(
        &self,
        model: &str,
        raw: Spanned<super::raw::RawPrice>,
    ) -> Result<super::Price, ConfigError> {
        let span = raw.span();
        let raw = raw.into_inner();
        let one = |key: &str, v: Option<Spanned<f64>>| match v {
            None => Err(self.err(
                span.clone(),
                format!(
                    "the price of `{model}` has no `{key}`; expected \
                     {{ input = 3.0, output = 15.0 }} (dollars per million tokens)"
                ),
            )),
            Some(v) if !(v.get_ref().is_finite() && *v.get_ref() >= 0.0) => Err(self.err(
                v.span(),
                format!(
                    "`{key}` in the price of `{model}` must be zero or more; expected \
                     dollars per million tokens such as 3.0"
                ),
            )),
            Some(v) => Ok(*v.get_ref()),
        };
        Ok(super::Price {
            input: one("input", raw.input)?,
            output: one("output", raw.output)?,
        })
    }

    /// `[notify] command`: a non-empty argv whose program is named.
    pub(super) fn notify_command(
        &self,
        command: Spanned<super::raw::Argv>,
    ) -> Result<Vec<String>, ConfigError> {
        let span = command.span();
        let command = command.into_inner().0;
        let expected = "expected an argv array such as [\"ntfy\", \"publish\", \"mytopic\", \"{title}: {body}\"]";
        match command.first() {
            None => Err(self.err(span, format!("the notify command is empty; {expected}"))),
            Some(p) if p.trim().is_empty() => Err(self.err(
                span,
                format!("the notify command has an empty program name; {expected}"),
            )),
            Some(_) => Ok(command),
        }
    }

    pub(super) fn agent(
        &self,
        name: &str,
        agent: Spanned<RawAgent>,
    ) -> Result<AgentConfig, ConfigError> {
        let span = agent.span();
        let raw = agent.into_inner();
        let expected = "expected an argv array such as [\"claude\", \"-p\", \"{prompt}\"]";
        let Some(command) = raw.command else {
            return Err(self.err(span, format!("agent `{name}` has no `command`; {expected}")));
        };
        let command_span = command.span();
        let command = command.into_inner().0;
        match command.first() {
            None => {
                return Err(self.err(
                    command_span,
                    format!("the command of agent `{name}` is empty; {expected}"),
                ));
            }
            Some(program) if program.trim().is_empty() => {
                return Err(self.err(
                    command_span,
                    format!("the command of agent `{name}` has an empty program name; {expected}"),
                ));
            }
            Some(_) => {}
        }
        let writable = match raw.writable {
            None => None,
            Some(list) => {
                let mut out = Vec::new();
                for p in list {
                    let ok = p.get_ref() == "~"
                        || p.get_ref().starts_with("~/")
                        || Path::new(p.get_ref()).is_absolute();
                    if !ok {
                        return Err(self.err(
                            p.span(),
                            format!(
                                "`{}` in the writable paths of agent `{name}` is neither \
                                 absolute nor under `~/`; expected a path such as \
                                 \"~/.claude\" or \"/var/cache/agent\"",
                                p.get_ref()
                            ),
                        ));
                    }
                    out.push(p.into_inner());
                }
                Some(out)
            }
        };
        Ok(AgentConfig {
            command,
            format: raw.format.map(|f| f.0).unwrap_or_default(),
            writable,
            confine: raw.confine.map(|c| c.0),
        })
    }

    pub(super) fn ports(&self, ports: Spanned<Vec<Spanned<i64>>>) -> Result<Vec<u16>, ConfigError> {
        let mut out = Vec::new();
        for p in ports.into_inner() {
            match u16::try_from(*p.get_ref()) {
                Ok(n) if n > 0 => out.push(n),
                _ => {
                    return Err(self.err(
                        p.span(),
                        format!(
                            "`{}` is not a TCP port; expected a number from 1 to 65535, \
                             as in allow_connect_ports = [443]",
                            p.get_ref()
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }

    pub(super) fn positive(
        &self,
        d: Spanned<Dur>,
        key: &str,
        hint: &str,
    ) -> Result<Duration, ConfigError> {
        if d.get_ref().0.is_zero() {
            return Err(self.err(
                d.span(),
                format!("`{key}` must be longer than zero; expected {DURATION_EXPECTED}{hint}"),
            ));
        }
        Ok(d.into_inner().0)
    }

    pub(super) fn invariant(
        &self,
        inv: Spanned<RawInvariant>,
        names: &mut BTreeMap<String, Pos>,
    ) -> Result<InvariantConfig, ConfigError> {
        let span = inv.span();
        let raw = inv.into_inner();
        let Some(name) = raw.name else {
            return Err(self.err(
                span,
                "this [[invariant]] has no `name`; expected name = \"what it checks\"",
            ));
        };
        if name.get_ref().trim().is_empty() {
            return Err(self.err(
                name.span(),
                "the invariant name is empty; expected a name such as \"no dangling pointers\"",
            ));
        }
        let kinds = INVARIANT_KINDS.join(", ");
        let Some(kind) = raw.kind else {
            return Err(self.err(
                span,
                format!(
                    "invariant `{}` has no `kind`; expected kind = one of: {kinds}",
                    name.get_ref()
                ),
            ));
        };
        if !INVARIANT_KINDS.contains(&kind.get_ref().as_str()) {
            return Err(self.err(
                kind.span(),
                format!(
                    "`{}` is not an invariant kind; expected one of: {kinds}",
                    kind.get_ref()
                ),
            ));
        }
        let here = self.pos(name.span().start);
        if let Some(first) = names.insert(name.get_ref().clone(), here) {
            return Err(self.err(
                name.span(),
                format!(
                    "duplicate invariant name `{}`; it is already used at line {}",
                    name.get_ref(),
                    first.line
                ),
            ));
        }
        // The kind's own keys are checked by the loader
        // (`invariants::check_options`), at `at`.
        Ok(InvariantConfig {
            name: name.into_inner(),
            kind: kind.into_inner(),
            options: raw.options,
            at: self.pos(span.start),
        })
    }

    pub(super) fn task(
        &self,
        task: Spanned<RawTask>,
        names: &mut BTreeMap<String, Pos>,
    ) -> Result<TaskConfig, ConfigError> {
        let span = task.span();
        let raw = task.into_inner();
        let Some(name) = raw.name else {
            return Err(self.err(
                span,
                "this [[task]] has no `name`; expected name = \"task-name\"",
            ));
        };
        if name.get_ref().trim().is_empty() {
            return Err(self.err(
                name.span(),
                "the task name is empty; expected a name such as \"draft-post\"",
            ));
        }
        let here = self.pos(name.span().start);
        if let Some(first) = names.insert(name.get_ref().clone(), here) {
            return Err(self.err(
                name.span(),
                format!(
                    "duplicate task name `{}`; it is already used at line {}",
                    name.get_ref(),
                    first.line
                ),
            ));
        }
        let tname = name.get_ref();
        let mut agent_at = Pos::default();
        if let Some(agent) = &raw.agent {
            if agent.get_ref().trim().is_empty() {
                return Err(self.err(
                    agent.span(),
                    format!("the agent of task `{tname}` is empty; expected an agent name such as \"claude\""),
                ));
            }
            agent_at = self.pos(agent.span().start);
        }
        if let Some(prompt) = &raw.prompt
            && prompt.get_ref().trim().is_empty()
        {
            return Err(self.err(
                prompt.span(),
                format!("the prompt of task `{tname}` is empty; expected what the agent should do"),
            ));
        }
        if let Some(command) = &raw.command {
            let expected = "expected an argv array such as [\"cargo\", \"fmt\"]";
            match command.get_ref().0.first() {
                None => {
                    return Err(self.err(
                        command.span(),
                        format!("the command of task `{tname}` is empty; {expected}"),
                    ));
                }
                Some(p) if p.trim().is_empty() => {
                    return Err(self.err(
                        command.span(),
                        format!(
                            "the command of task `{tname}` has an empty program name; {expected}"
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        if !raw.pass.is_empty() {
            let own = [
                ("prompt", raw.prompt.as_ref().map(Spanned::span)),
                ("command", raw.command.as_ref().map(Spanned::span)),
                ("deliverable", raw.deliverable.as_ref().map(Spanned::span)),
            ];
            if let Some((key, Some(at))) = own.into_iter().find(|(_, at)| at.is_some()) {
                return Err(self.err(
                    at,
                    format!(
                        "task `{tname}` has passes, so it has no `{key}` of its own; expected \
                         it in a [[task.pass]] (each pass has its own, and its `out`)"
                    ),
                ));
            }
        } else if raw.prompt.is_none() && raw.command.is_none() {
            return Err(self.err(
                span,
                format!(
                    "task `{tname}` has neither `prompt` nor `command`; expected \
                     prompt = \"…\" for an agent, or command = [\"program\", …]"
                ),
            ));
        }
        if let Some(d) = &raw.deliverable {
            self.check_deliverable(tname, d)?;
        }
        let passes = self.passes(tname, raw.pass)?;
        Ok(TaskConfig {
            passes,
            name: name.into_inner(),
            agent: raw.agent.map(Spanned::into_inner),
            risk: raw.risk.map(|w| w.0),
            prompt: raw.prompt.map(Spanned::into_inner),
            command: raw.command.map(|c| c.into_inner().0),
            title: raw.title,
            deliverable: raw.deliverable.map(Spanned::into_inner),
            autonomy: raw.autonomy.map(|w| w.0),
            at: self.pos(span.start),
            agent_at,
        })
    }

    /// The deliverable is looked for inside the turn's worktree, so it must
    /// not point outside it.
    fn check_deliverable(&self, task: &str, d: &Spanned<String>) -> Result<(), ConfigError> {
        match outside_problem(d.get_ref()) {
            Some(problem) => Err(self.err(
                d.span(),
                format!(
                    "the deliverable of task `{task}` {problem}; expected a repo-relative \
                     path such as \"memory/{{today}}/draft.md\""
                ),
            )),
            None => Ok(()),
        }
    }
}

/// What keeps `value` from being a path inside the repository (a task's
/// deliverable, a pass's out), as the rest of a sentence naming it: empty,
/// absolute, or through `..`.
pub(super) fn outside_problem(value: &str) -> Option<&'static str> {
    let p = Path::new(value);
    if value.trim().is_empty() {
        Some("is empty")
    } else if p.is_absolute() || value.starts_with('/') {
        Some("is absolute")
    } else if p.components().any(|c| c == Component::ParentDir) {
        Some("leaves the repository through `..`")
    } else {
        None
    }
}
