//! The checks of a task's `[[task.pass]]` tables (a pipeline), each error
//! placed at the value it is about.

use std::collections::BTreeMap;

use toml::Spanned;

use super::located::Source;
use super::raw::{DURATION_EXPECTED, RawBudget, RawContract, RawPass};
use super::{ConfigError, PassConfig, Pos};
use crate::model::{Budget, Contract, is_pass_name};

/// The placeholders every pass's `out` may hold.
const OUT_PLACEHOLDERS: &[&str] = &["today", "yesterday", "task", "run"];

/// Where a placeholder is allowed, for [`Source::placeholders`].
enum Place<'a> {
    Out,
    /// A prompt or command of a pass, after the passes named.
    Prompt {
        earlier: &'a [String],
        command: bool,
    },
}

impl Source<'_> {
    /// The passes of task `task`, checked in order.
    pub(super) fn passes(
        &self,
        task: &str,
        raw: Vec<Spanned<RawPass>>,
    ) -> Result<Vec<PassConfig>, ConfigError> {
        let mut names: BTreeMap<String, Pos> = BTreeMap::new();
        let mut earlier: Vec<String> = Vec::new();
        let mut passes = Vec::new();
        for pass in raw {
            let pass = self.pass(task, pass, &mut names, &earlier)?;
            earlier.push(pass.name.clone());
            passes.push(pass);
        }
        Ok(passes)
    }

    fn pass(
        &self,
        task: &str,
        pass: Spanned<RawPass>,
        names: &mut BTreeMap<String, Pos>,
        earlier: &[String],
    ) -> Result<PassConfig, ConfigError> {
        let span = pass.span();
        let raw = pass.into_inner();
        let Some(name) = raw.name else {
            return Err(self.err(
                span,
                format!(
                    "this [[task.pass]] of task `{task}` has no `name`; expected name = \"extract\""
                ),
            ));
        };
        let pname = name.get_ref().clone();
        if !is_pass_name(&pname) {
            return Err(self.err(
                name.span(),
                format!(
                    "`{pname}` cannot name a pass of task `{task}`; expected letters, digits, \
                     `-` and `_` only, such as \"extract\" (prompts name its out as `{{extract.out}}`)"
                ),
            ));
        }
        if let Some(first) = names.insert(pname.clone(), self.pos(name.span().start)) {
            return Err(self.err(
                name.span(),
                format!(
                    "duplicate pass name `{pname}` in task `{task}`; it is already used at line {}",
                    first.line
                ),
            ));
        }
        let what = format!("pass `{pname}` of task `{task}`");
        let mut agent_at = Pos::default();
        if let Some(agent) = &raw.agent {
            if agent.get_ref().trim().is_empty() {
                return Err(self.err(
                    agent.span(),
                    format!(
                        "the agent of {what} is empty; expected an agent name such as \"claude\""
                    ),
                ));
            }
            agent_at = self.pos(agent.span().start);
        }
        let prompt_place = Place::Prompt {
            earlier,
            command: false,
        };
        if let Some(prompt) = &raw.prompt {
            if prompt.get_ref().trim().is_empty() {
                return Err(self.err(
                    prompt.span(),
                    format!("the prompt of {what} is empty; expected what the agent should do"),
                ));
            }
            self.placeholders(&what, "prompt", prompt, &prompt_place)?;
        }
        if let Some(command) = &raw.command {
            let expected = "expected an argv array such as [\"sh\", \"make-claims.sh\", \"{out}\"]";
            if command
                .get_ref()
                .0
                .first()
                .is_none_or(|p| p.trim().is_empty())
            {
                return Err(self.err(
                    command.span(),
                    format!("the command of {what} is empty or has no program; {expected}"),
                ));
            }
            let place = Place::Prompt {
                earlier,
                command: true,
            };
            for arg in &command.get_ref().0 {
                let arg = Spanned::new(command.span(), arg.clone());
                self.placeholders(&what, "command", &arg, &place)?;
            }
        }
        if raw.prompt.is_none() && raw.command.is_none() {
            return Err(self.err(
                span,
                format!(
                    "{what} has neither `prompt` nor `command`; expected prompt = \"…\" for an \
                     agent, or command = [\"program\", …]"
                ),
            ));
        }
        let Some(out) = raw.out else {
            return Err(self.err(
                span,
                format!(
                    "{what} has no `out`; expected the file it delivers, such as \
                     out = \"work/{{task}}/{{run}}/claims.json\""
                ),
            ));
        };
        self.out(&what, &out)?;
        let contract = match raw.contract {
            Some(c) => self.contract(&what, c)?,
            None => Contract::default(),
        };
        let budget = match raw.budget {
            Some(b) => self.budget(&what, b)?,
            None => Budget::default(),
        };
        if let Some(role) = &raw.role
            && role.get_ref().trim().is_empty()
        {
            return Err(self.err(
                role.span(),
                format!(
                    "the role of {what} is empty; expected a name such as \"citation verifier\""
                ),
            ));
        }
        Ok(PassConfig {
            name: pname,
            agent: raw.agent.map(Spanned::into_inner),
            command: raw.command.map(|c| c.into_inner().0),
            prompt: raw.prompt.map(Spanned::into_inner),
            out: out.into_inner(),
            contract,
            risk: raw.risk.map(|w| w.0),
            autonomy: raw.autonomy.map(|w| w.0),
            budget,
            mode: raw.mode.map(|w| w.0).unwrap_or_default(),
            role: raw.role.map(Spanned::into_inner),
            gate: raw.gate.map(|w| w.0).unwrap_or_default(),
            at: self.pos(span.start),
            agent_at,
        })
    }

    /// The out is looked for inside the pass's worktree, so it must not
    /// point outside it, and it names a file.
    fn out(&self, what: &str, out: &Spanned<String>) -> Result<(), ConfigError> {
        let value = out.get_ref();
        let problem = super::check::outside_problem(value)
            .or_else(|| value.ends_with('/').then_some("names a folder"));
        if let Some(problem) = problem {
            return Err(self.err(
                out.span(),
                format!(
                    "the out of {what} {problem}; expected a repo-relative file path such as \
                     \"work/{{task}}/{{run}}/claims.json\""
                ),
            ));
        }
        self.placeholders(what, "out", out, &Place::Out)
    }

    /// Every `{word}` in `text` is one the pass can fill in.
    fn placeholders(
        &self,
        what: &str,
        key: &str,
        text: &Spanned<String>,
        place: &Place<'_>,
    ) -> Result<(), ConfigError> {
        for name in placeholder_names(text.get_ref()) {
            let known = match place {
                Place::Out => OUT_PLACEHOLDERS.contains(&name),
                Place::Prompt { earlier, command } => {
                    OUT_PLACEHOLDERS.contains(&name)
                        || name == "out"
                        || (*command && name == "prompt")
                        || name
                            .strip_suffix(".out")
                            .is_some_and(|p| earlier.iter().any(|e| e == p))
                }
            };
            if known {
                continue;
            }
            let mut allowed: Vec<String> = OUT_PLACEHOLDERS
                .iter()
                .map(|p| format!("{{{p}}}"))
                .collect();
            if let Place::Prompt { earlier, command } = place {
                allowed.push("{out}".into());
                if *command {
                    allowed.push("{prompt}".into());
                }
                allowed.extend(earlier.iter().map(|e| format!("{{{e}.out}}")));
            }
            let why = match name.strip_suffix(".out") {
                Some(p) => format!("`{p}` is not an earlier pass of this task"),
                None => "it is not a placeholder leash fills in".to_string(),
            };
            return Err(self.err(
                text.span(),
                format!(
                    "the {key} of {what} names `{{{name}}}`, but {why}; expected one of: {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(())
    }

    fn contract(&self, what: &str, raw: RawContract) -> Result<Contract, ConfigError> {
        if let Some(n) = &raw.nonempty
            && !n.get_ref()
        {
            return Err(self.err(
                n.span(),
                format!(
                    "the contract of {what} says nonempty = false, but a pass's out is always \
                     checked to be non-empty; expected nonempty = true, or leave it out"
                ),
            ));
        }
        let schema = match raw.schema {
            Some(schema) => {
                if let Some(problem) = super::check::outside_problem(schema.get_ref()) {
                    return Err(self.err(
                        schema.span(),
                        format!(
                            "the schema of {what} {problem}; expected a path inside the \
                             repository, such as \"schemas/claims.json\" (read as committed)"
                        ),
                    ));
                }
                if raw.json == Some(false) {
                    return Err(self.err(
                        schema.span(),
                        format!(
                            "the contract of {what} has a `schema` but says json = false; a \
                             schema checks JSON, so expected json = true or no `json` at all"
                        ),
                    ));
                }
                Some(schema.into_inner())
            }
            None => None,
        };
        let mut headings = Vec::new();
        for h in raw.headings.unwrap_or_default() {
            let text = h.get_ref().trim_start_matches('#').trim();
            if text.is_empty() {
                return Err(self.err(
                    h.span(),
                    format!(
                        "a heading in the contract of {what} is empty; expected its text, such \
                         as \"Sources\" (any level) or \"## Sources\""
                    ),
                ));
            }
            headings.push(h.into_inner().trim().to_string());
        }
        let max_bytes = match raw.max_bytes {
            Some(m) if *m.get_ref() <= 0 => {
                return Err(self.err(
                    m.span(),
                    format!(
                        "`max_bytes` in the contract of {what} must be above zero; expected a \
                         size in bytes such as 20000"
                    ),
                ));
            }
            Some(m) => Some(*m.get_ref() as u64),
            None => None,
        };
        Ok(Contract {
            json: raw.json.unwrap_or(false) || schema.is_some(),
            schema,
            headings,
            max_bytes,
        })
    }

    fn budget(&self, what: &str, raw: RawBudget) -> Result<Budget, ConfigError> {
        let tokens = match raw.tokens {
            Some(t) if *t.get_ref() <= 0 => {
                return Err(self.err(
                    t.span(),
                    format!(
                        "`tokens` in the budget of {what} must be above zero; expected a count \
                         such as 150000"
                    ),
                ));
            }
            Some(t) => Some(*t.get_ref() as u64),
            None => None,
        };
        let usd = match raw.usd {
            Some(u) if !(u.get_ref().is_finite() && *u.get_ref() > 0.0) => {
                return Err(self.err(
                    u.span(),
                    format!(
                        "`usd` in the budget of {what} must be above zero; expected dollars \
                         such as 1.5"
                    ),
                ));
            }
            Some(u) => Some(*u.get_ref()),
            None => None,
        };
        let time = match raw.time {
            Some(t) if t.get_ref().0.is_zero() => {
                return Err(self.err(
                    t.span(),
                    format!(
                        "`time` in the budget of {what} must be longer than zero; expected \
                         {DURATION_EXPECTED}"
                    ),
                ));
            }
            Some(t) => Some(t.into_inner().0),
            None => None,
        };
        Ok(Budget { tokens, usd, time })
    }
}

/// The names inside `{…}` in `text` that look like placeholders (a word,
/// with dots, dashes and underscores): `{"a": 1}` in a prompt is not one.
pub(crate) fn placeholder_names(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(['}', '{']) else {
            break;
        };
        let name = &rest[..close];
        if rest[close..].starts_with('}')
            && !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            out.push(name);
        }
        rest = &rest[close..];
    }
    out
}
