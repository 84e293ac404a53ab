//! Rules proposed from the operator's answers, and written: the proposal
//! for one action (`A` in the console, `leash rules add --from`), the
//! proposals the journal's history holds (`leash rules suggest`), and the
//! commit of its own that adds one to `.leash/config.toml`.

use std::path::{Path, PathBuf};

use git2::Oid;

use super::{Error, Result, Workspace};
use crate::config::{self, CONFIG_FILE};
use crate::event::{ActionDecision, Event};
use crate::model::{DecidedBy, TurnState};
use crate::policy::suggest::{self, Call, Direction, Proposal};
use crate::policy::{self, RiskRules};
use crate::state::{ActionInfo, Turn};

/// Denials of the same kind of call that propose the opposite rule.
pub const DENIALS_TO_RAISE: usize = 3;

/// A proposal with the answers behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub proposal: Proposal,
    /// Action ids (or, for rejected turns, turn ids), oldest first.
    pub from: Vec<String>,
}

impl Suggestion {
    /// The TOML block that would be appended.
    pub fn toml(&self) -> String {
        self.proposal.toml(&self.from)
    }
}

/// What an action wrote and ran, where.
struct CallFacts {
    root: PathBuf,
    paths: Vec<String>,
    commands: Vec<String>,
    tool: String,
}

fn facts(ws_root: &Path, turn: &Turn, a: &ActionInfo) -> CallFacts {
    let root = turn
        .worktree
        .as_deref()
        .map(PathBuf::from)
        .unwrap_or_else(|| ws_root.to_path_buf());
    let (paths, commands) = if a.tool == "apply_patch" {
        let patch = a
            .input
            .get("command")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        (super::gate::patch_paths(patch), Vec::new())
    } else {
        let t = crate::agents::claude::describe_tool("", &a.tool, a.input.clone(), None);
        (t.paths_written, t.commands)
    };
    CallFacts {
        root,
        paths,
        commands,
        tool: a.tool.clone(),
    }
}

impl CallFacts {
    fn call(&self) -> Call<'_> {
        Call {
            root: &self.root,
            cwd: &self.root,
            tool: &self.tool,
            paths_written: &self.paths,
            commands: &self.commands,
        }
    }
}

impl Workspace {
    fn compiled_rules(&self) -> Result<RiskRules> {
        RiskRules::compile(&self.config.risk).map_err(Error::Refused)
    }

    /// The rule that would let calls like `action` run alone from now on,
    /// under the committed policy and the current sliders; `Err(Refused)`
    /// says why there is none.
    pub fn propose_allow(&self, action: &str) -> Result<Suggestion> {
        let (turn, a) = self.state.action(action).ok_or_else(|| {
            Error::Refused(format!(
                "no action {action} in this workspace (see `leash actions`)"
            ))
        })?;
        let f = facts(&self.root, turn, a);
        let rules = self.compiled_rules()?;
        let proposal = suggest::allow(f.call(), &rules, self.config.default_risk, &self.sliders())
            .map_err(|why| Error::Refused(format!("no rule to propose for {action}: {why}")))?;
        Ok(Suggestion {
            proposal,
            from: vec![action.to_string()],
        })
    }

    /// The proposals the journal's history holds: for each call the
    /// operator allowed after it was held, the rule that lets such calls
    /// run alone, unless the policy already does; for each kind of call
    /// denied by the operator (or written by a turn the operator rejected)
    /// [`DENIALS_TO_RAISE`] times or more, the rule that raises it.
    pub fn rule_suggestions(&self) -> Result<Vec<Suggestion>> {
        let rules = self.compiled_rules()?;
        let sliders = self.sliders();
        let default_risk = self.config.default_risk;
        let mut allows: Vec<Suggestion> = Vec::new();
        let mut raises: Vec<Suggestion> = Vec::new();
        let add = |list: &mut Vec<Suggestion>, p: Proposal, from: &str| match list
            .iter_mut()
            .find(|s| s.proposal == p)
        {
            Some(s) if !s.from.iter().any(|f| f == from) => s.from.push(from.to_string()),
            Some(_) => {}
            None => list.push(Suggestion {
                proposal: p,
                from: vec![from.to_string()],
            }),
        };
        let ids: Vec<String> = self.state.turns().iter().map(|t| t.id.clone()).collect();
        for id in ids {
            let turn = self.whole_turn(&id)?;
            let rejected = turn.state == TurnState::Rejected;
            for a in &turn.actions {
                let f = facts(&self.root, &turn, a);
                let by_operator = |d: ActionDecision| {
                    a.decision
                        .as_ref()
                        .is_some_and(|v| v.by == DecidedBy::Operator && v.decision == d)
                };
                if a.needs_approval && by_operator(ActionDecision::Allow) {
                    if self.runs_alone(&rules, &f, turn.declared_risk) {
                        continue;
                    }
                    if let Ok(p) = suggest::allow(f.call(), &rules, default_risk, &sliders) {
                        add(&mut allows, p, &a.id);
                    }
                } else if (by_operator(ActionDecision::Deny)
                    || (rejected && (!f.paths.is_empty() || !f.commands.is_empty())))
                    && let Ok(p) = suggest::raise(f.call(), &rules, default_risk, &sliders)
                {
                    let from = if rejected && !by_operator(ActionDecision::Deny) {
                        &turn.id
                    } else {
                        &a.id
                    };
                    add(&mut raises, p, from);
                }
            }
        }
        raises.retain(|s| s.from.len() >= DENIALS_TO_RAISE);
        allows.extend(raises);
        Ok(allows)
    }

    /// Whether the committed policy already lets such a call run alone.
    fn runs_alone(
        &self,
        rules: &RiskRules,
        f: &CallFacts,
        declared: crate::model::RiskClass,
    ) -> bool {
        let c = f.call();
        let hits = policy::classify_action(
            rules,
            self.config.default_risk,
            c.root,
            c.cwd,
            c.tool,
            c.paths_written,
            c.commands,
        );
        let class = match rules.lowered(c.root, c.cwd, c.tool, c.paths_written, c.commands, &hits) {
            Some(low) => low.iter().map(|h| h.class).max().unwrap_or(declared),
            None => hits
                .iter()
                .map(|h| h.class)
                .max()
                .unwrap_or(declared)
                .max(declared),
        };
        !policy::any_protected(&hits)
            && self.sliders().get(class) != crate::model::AutonomyLevel::Manual
    }

    /// Appends the suggestion's TOML to `.leash/config.toml` in a commit of
    /// its own on the checked-out branch — HEAD's tree with that one file
    /// replaced, so nothing else the user has staged or changed is swept
    /// in — then brings the index entry and the working file of that path
    /// to it and journals `rule_added`. Refuses when the file has
    /// uncommitted edits (staged or not), HEAD is detached or unborn, or
    /// the result would not parse. Returns the commit.
    pub fn add_rule(&mut self, s: &Suggestion) -> Result<Oid> {
        self.ensure_unblocked()?;
        let (commit, branch) = self.commit_rule(s)?;
        // The policy now is the new commit's.
        self.use_policy_at(Some(commit))?;
        self.append(vec![Event::RuleAdded {
            commit: commit.to_string(),
            branch,
            rule: s.proposal.title(),
            from: s.from.clone(),
            by: DecidedBy::Operator,
        }])?;
        Ok(commit)
    }

    fn commit_rule(&self, s: &Suggestion) -> Result<(Oid, String)> {
        let repo = &self.repo;
        let Some(branch) = crate::checkpoint::current_branch(repo)? else {
            return Err(Error::Refused(
                "HEAD is detached: check out the branch the rule belongs on, then try again".into(),
            ));
        };
        let Some(head) = crate::checkpoint::head_commit(repo)? else {
            return Err(Error::Refused(format!(
                "{branch} has no commit yet: commit {CONFIG_FILE} first"
            )));
        };
        let head_commit = repo.find_commit(head)?;
        let head_tree = head_commit.tree()?;
        let rel = Path::new(CONFIG_FILE);
        let entry = head_tree.get_path(rel).map_err(|_| {
            Error::Refused(format!(
                "{CONFIG_FILE} is not committed on {branch}: commit it (`leash init` writes it) first"
            ))
        })?;
        let committed = repo.find_blob(entry.id())?.content().to_vec();
        let file = self.root.join(rel);
        let on_disk = std::fs::read(&file).ok();
        let staged = {
            let mut index = repo.index()?;
            index.read(true)?;
            index.get_path(rel, 0).map(|e| e.id)
        };
        if on_disk.as_deref() != Some(&committed[..]) || staged != Some(entry.id()) {
            return Err(Error::Refused(format!(
                "{CONFIG_FILE} has uncommitted edits: commit them (`git commit {CONFIG_FILE}`) \
                 or undo them (`git restore --staged --worktree {CONFIG_FILE}`), then add the rule"
            )));
        }
        let mut text = String::from_utf8(committed)
            .map_err(|_| Error::Refused(format!("{CONFIG_FILE} is not UTF-8 text")))?;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&s.toml());
        config::parse_workspace_config(&text, &file).map_err(|e| {
            Error::Refused(format!(
                "the rule would break {CONFIG_FILE}, so it was not added: {e}"
            ))
        })?;
        let blob = repo.blob(text.as_bytes())?;
        let leash_dir = head_tree.get_path(Path::new(".leash"))?;
        let mut sub = repo.treebuilder(Some(&repo.find_tree(leash_dir.id())?))?;
        sub.insert("config.toml", blob, entry.filemode())?;
        let sub = sub.write()?;
        let mut top = repo.treebuilder(Some(&head_tree))?;
        top.insert(".leash", sub, leash_dir.filemode())?;
        let tree = repo.find_tree(top.write()?)?;
        let sig = crate::checkpoint::signature(repo);
        let message = format!(
            "leash: {}\n\n{}\nLeash-Rule: {}\n",
            s.proposal.title(),
            s.toml()
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>(),
            s.from.join(", ")
        );
        // Updating the branch only from `head` refuses if it moved meanwhile.
        let commit = repo.commit(
            Some(&format!("refs/heads/{branch}")),
            &sig,
            &sig,
            &message,
            &tree,
            &[&head_commit],
        )?;
        let paths = vec![CONFIG_FILE.to_string()];
        crate::checkpoint::force_paths(repo, &tree, &paths)?;
        crate::checkpoint::sync_index(repo, &tree, &paths)?;
        Ok((commit, branch))
    }
}

/// Whether a suggestion lets calls run alone or raises them.
pub fn direction_word(d: Direction) -> &'static str {
    match d {
        Direction::Allow => "allow",
        Direction::Raise => "raise",
    }
}
