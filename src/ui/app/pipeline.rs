//! Pipelines in the console: the turns list's rows (a run's turns grouped
//! under one row), the selected pass, stepping between a run's passes,
//! and its `out` file, read by the worker when a pass is selected.

use super::turn_list::Entry;
use super::{App, Pane, Status, Tab};
use crate::state::{PassAttempt, Pipeline};
use crate::ui::action::Action;
use crate::ui::worker::{Job, OutPreview};

/// What the detail pane knows of the selected pass's `out`.
#[derive(Debug, Clone, Default)]
pub enum PassOut {
    /// Not asked for, or not back yet.
    #[default]
    Reading,
    /// Not in the pass's commit or worktree.
    Missing,
    Read(OutPreview),
    Failed(String),
}

impl App {
    /// The turns list's rows, newest first (see [`super::TurnList::entries`]).
    pub fn entries(&self) -> Vec<Entry<'_>> {
        self.turn_list.entries(&self.ws)
    }

    /// The run and pass the selected turn is, when it is a pipeline's pass.
    pub fn current_pass(&self) -> Option<(&Pipeline, &PassAttempt)> {
        self.ws.state().pass_of(self.selected.as_deref()?)
    }

    /// `]` / `[`: the next or previous pass of the selected pass's run (its
    /// run's row expanded, so the cursor shows it); where a diff is shown,
    /// or on a turn that is no pass, the next or previous hunk.
    pub(super) fn step_pass(&mut self, next: bool) {
        let diff_shown =
            self.review.is_open() || (self.focus == Pane::Detail && self.detail.tab == Tab::Diff);
        let hunk = if next {
            Action::NextHunk
        } else {
            Action::PrevHunk
        };
        let Some((p, a)) = self.current_pass().filter(|_| !diff_shown) else {
            return self.update(hunk);
        };
        let turns: Vec<&str> = p
            .attempts
            .iter()
            .map(|a| a.turn.as_str())
            .filter(|t| self.ws.state().turn(t).is_some())
            .collect();
        let at = turns.iter().position(|t| *t == a.turn).unwrap_or(0);
        let to = if next {
            turns.get(at + 1)
        } else {
            at.checked_sub(1).and_then(|i| turns.get(i))
        };
        let Some(to) = to.map(|t| t.to_string()) else {
            let word = if next { "after" } else { "before" };
            let text = format!(
                "{}: no pass started {word} {}",
                p.id,
                crate::sanitize::plain(&a.pass)
            );
            self.status = Some(Status { text, error: false });
            return;
        };
        let run = p.id.clone();
        self.turn_list.expanded.insert(run);
        self.turn_list.on_run = None;
        self.select(Some(to));
    }

    /// Asks for the selected pass's `out`, as its commit or worktree holds it.
    pub(super) fn request_pass_out(&mut self) {
        let Some((_, a)) = self.current_pass() else {
            return;
        };
        let Some(t) = self.current() else { return };
        let job = Job::PassOut {
            turn: t.id.clone(),
            out: a.out.clone(),
            commit: t.commit.clone(),
            worktree: t.worktree.as_ref().map(Into::into),
        };
        self.outbox.jobs.push(job);
    }

    /// The worker read a pass's `out`.
    pub(super) fn pass_out_done(
        &mut self,
        turn: String,
        result: Result<Option<OutPreview>, String>,
    ) {
        if self.selected.as_deref() != Some(turn.as_str()) {
            return;
        }
        self.detail.pass_out = match result {
            Ok(Some(p)) => PassOut::Read(p),
            Ok(None) => PassOut::Missing,
            Err(e) => PassOut::Failed(e),
        };
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::ui::action::Action;
    use crate::ui::app::testing::{Fixture, app, created, draw, finished};
    use crate::ui::app::{Entry, Pane};

    fn started(passes: &[&str]) -> Value {
        json!({"kind": "pipeline_started", "run": "p1", "task": "post", "passes": passes})
    }

    fn pass(turn: &str, pass: &str, role: Option<&str>) -> Value {
        json!({"kind": "pass_started", "run": "p1", "pass": pass, "turn": turn,
               "out": format!("work/{pass}.md"), "contract": {"headings": ["Sources"]},
               "mode": if role.is_some() { "read-only" } else { "write" },
               "gate": "auto", "role": role})
    }

    fn landed(turn: &str) -> Value {
        json!({"kind": "turn_landed", "turn": turn,
               "commit": "0123456789012345678901234567890123456789"})
    }

    /// A turn of its own, then run p1 (extract landed, draft waiting, audit
    /// not started), then another turn of its own, the newest.
    fn run(role: &str) -> Fixture {
        app(&[
            created("t1", "fix the parser", "low"),
            finished("t1", 1),
            started(&["extract", "draft", "audit"]),
            created("t2", "post", "low"),
            pass("t2", "extract", None),
            finished("t2", 1),
            landed("t2"),
            created("t3", "post", "low"),
            pass("t3", "draft", Some(role)),
            finished("t3", 1),
            created("t4", "write docs", "medium"),
        ])
    }

    fn rows(f: &Fixture) -> Vec<String> {
        f.app
            .entries()
            .iter()
            .map(|e| match e {
                Entry::Turn(t) => t.id.clone(),
                Entry::Run(p) => p.id.clone(),
                Entry::Pass(_, t) => format!("  {}", t.id),
            })
            .collect()
    }

    #[test]
    fn a_run_is_one_row_that_space_expands_and_collapses() {
        let mut f = run("citation verifier");
        assert_eq!(rows(&f), ["t4", "p1", "t1"]);
        let screen = draw(&mut f.app, 120, 40);
        assert!(screen.contains("extract ✓ → draft ◆ → audit ·"), "{screen}");
        assert!(screen.contains("post · draft waits for review"), "{screen}");
        // Down onto the run's row: its current pass's turn is selected.
        f.app.update(Action::Down);
        assert_eq!(f.app.selected.as_deref(), Some("t3"));
        assert_eq!(f.app.turn_list.on_run.as_deref(), Some("p1"));
        f.app.update(Action::ToggleGroup);
        assert_eq!(rows(&f), ["t4", "p1", "  t2", "  t3", "t1"]);
        let screen = draw(&mut f.app, 120, 40);
        assert!(screen.contains("▾ extract"), "{screen}");
        assert!(screen.contains("draft · citation verifier"), "{screen}");
        // The cursor stays on the run's row, then moves onto its passes.
        f.app.update(Action::Down);
        assert_eq!(f.app.selected.as_deref(), Some("t2"));
        f.app.update(Action::Down);
        assert_eq!(f.app.selected.as_deref(), Some("t3"));
        f.app.update(Action::Down);
        assert_eq!(f.app.selected.as_deref(), Some("t1"));
        f.app.update(Action::Up);
        f.app.update(Action::ToggleGroup);
        assert_eq!(rows(&f), ["t4", "p1", "t1"]);
        assert_eq!(f.app.selected.as_deref(), Some("t3"));
        // Space on a turn of its own refuses, saying why.
        f.app.update(Action::Top);
        f.app.update(Action::ToggleGroup);
        assert!(f.app.status.as_ref().is_some_and(|s| s.error));
    }

    #[test]
    fn brackets_step_between_a_runs_passes_and_stay_hunk_keys_elsewhere() {
        let mut f = run("citation verifier");
        f.app.update(Action::Down);
        assert_eq!(f.app.selected.as_deref(), Some("t3"));
        f.app.update(Action::PrevPass);
        assert_eq!(f.app.selected.as_deref(), Some("t2"));
        assert!(f.app.turn_list.expanded.contains("p1"), "shown expanded");
        f.app.update(Action::PrevPass);
        assert_eq!(f.app.selected.as_deref(), Some("t2"), "no pass before");
        assert!(
            f.app
                .status
                .as_ref()
                .unwrap()
                .text
                .contains("no pass started before extract")
        );
        f.app.update(Action::NextPass);
        assert_eq!(f.app.selected.as_deref(), Some("t3"));
        // On the Diff tab, `]` is the next hunk: the selection stays.
        f.app.focus = Pane::Detail;
        f.app.update(Action::TabDiff);
        f.app.update(Action::PrevPass);
        assert_eq!(f.app.selected.as_deref(), Some("t3"));
        // On a turn that is no pass, `]` jumps to its diff's hunks.
        f.app.focus = Pane::Turns;
        f.app.update(Action::TabOutput);
        f.app.update(Action::Top);
        f.app.update(Action::NextPass);
        assert_eq!(f.app.selected.as_deref(), Some("t4"));
        assert_eq!(f.app.tab(), crate::ui::app::Tab::Diff);
    }

    fn usage(turn: &str, tokens: u64, usd: f64) -> Value {
        json!({"kind": "usage", "turn": turn, "input_tokens": tokens, "output_tokens": 0,
               "total": true, "cost_usd": usd})
    }

    #[test]
    fn the_row_shows_what_the_run_spent_and_warns_at_80_percent_of_a_budget() {
        let budget = json!({"tokens": 10000, "usd": 1.0});
        let mut extract = pass("t2", "extract", None);
        extract["budget"] = budget.clone();
        let mut draft = pass("t3", "draft", None);
        draft["budget"] = budget;
        let events = |draft_tokens: u64| {
            vec![
                started(&["extract", "draft"]),
                created("t2", "post", "low"),
                extract.clone(),
                usage("t2", 4000, 0.3),
                finished("t2", 1),
                landed("t2"),
                created("t3", "post", "low"),
                draft.clone(),
                usage("t3", draft_tokens, 0.5),
            ]
        };
        let mut f = app(&events(7900));
        let p = f.app.ws.state().pipeline("p1").unwrap().clone();
        let spend = crate::ui::views::pipeline::run_spend(&f.app, &p).unwrap();
        // Every pass has a budget: the run's is their sum.
        assert_eq!(spend.full, "11.9k / 20k tok · $0.80 / $2.00");
        assert_eq!(spend.compact, "11.9k/20k $0.80/$2.00");
        assert_eq!(spend.most, Some(79), "the draft's own tokens");
        assert!(!spend.warns());
        let screen = draw(&mut f.app, 120, 40);
        assert!(
            screen.contains("draft ▶      11.9k/20k $0.80/$2.00┃"),
            "{screen}"
        );
        // The pass's detail: its own spending against its own budget.
        assert!(
            screen.contains("spent    7.9k / 10k tok · $0.50 / $1.00"),
            "{screen}"
        );
        // Narrow, the passes' names go before the spending...
        let screen = draw(&mut f.app, 80, 24);
        assert!(screen.contains("▸ extract ✓ → draft ▶       ┃"), "{screen}");
        let mut f = app(&events(8000));
        let p = f.app.ws.state().pipeline("p1").unwrap();
        let spend = crate::ui::views::pipeline::run_spend(&f.app, p).unwrap();
        assert_eq!(spend.most, Some(80));
        assert!(spend.warns());
        // ...but not at 80 % of a budget.
        let screen = draw(&mut f.app, 80, 24);
        assert!(screen.contains("▸ extract✓→draft▶  12k $0.80┃"), "{screen}");
        // The supervisor's journaled warning (here, of the run's time)
        // warns on the row and shows in the pass's detail.
        let mut warned = events(1000);
        warned.push(
            json!({"kind": "budget_warning", "turn": "t3", "what": "time",
                           "spent": 480.0, "limit": 600.0}),
        );
        let mut f = app(&warned);
        let p = f.app.ws.state().pipeline("p1").unwrap();
        let spend = crate::ui::views::pipeline::run_spend(&f.app, p).unwrap();
        assert!(spend.warns(), "{spend:?}");
        let screen = draw(&mut f.app, 120, 40);
        assert!(screen.contains("⚠ time at 80 %: 8m of 10m"), "{screen}");
        // Nothing spent and no budget: nothing said.
        let f = run("citation verifier");
        let p = f.app.ws.state().pipeline("p1").unwrap();
        assert_eq!(crate::ui::views::pipeline::run_spend(&f.app, p), None);
    }

    #[test]
    fn a_hostile_role_shows_as_markers() {
        let mut f = run("verifier \u{1b}]0;pwned\u{7}\u{202e}x");
        f.app.update(Action::Down);
        f.app.update(Action::ToggleGroup);
        let screen = draw(&mut f.app, 120, 40);
        assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
        assert!(screen.contains("verifier ⟨esc⟩<RLO>x"), "{screen}");
    }
}
