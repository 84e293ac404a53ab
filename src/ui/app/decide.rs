//! Operator decisions from the console: approve, reject (with a reason),
//! roll back, replay and cancel — each behind the dialog it needs — and the
//! dialogs' own keys. What they decide goes to the outbox as an `Op`.

use super::{App, Dialog, Pane, Status};
use crate::agents::TurnSpec;
use crate::model::{RiskClass, TurnState};
use crate::state::Turn;
use crate::ui::action::Action;
use crate::ui::worker::{Op, run_args};

impl App {
    /// The turn an action applies to: the queue's selection when the queue
    /// has focus, else the selected turn.
    pub(super) fn target(&self) -> Option<Turn> {
        if self.focus == Pane::Queue
            && let Some(w) = self.waiting().get(self.queue_sel)
        {
            return self.ws.state.turn(w.turn()).cloned();
        }
        self.current().cloned()
    }

    pub(super) fn approve(&mut self) {
        if let Some((_, a)) = self.selected_action() {
            let id = a.id.clone();
            self.status = Some(Status {
                text: format!("allowing {id}…"),
                error: false,
            });
            self.outbox.ops.push(Op::Allow(id));
            return;
        }
        let Some(t) = self.target() else {
            return self.refuse("no turn selected".into());
        };
        if t.state != TurnState::AwaitingReview {
            return self.refuse(format!(
                "{} is {}; only a turn awaiting review can be approved",
                t.id, t.state
            ));
        }
        self.status = Some(Status {
            text: format!("landing {}…", t.id),
            error: false,
        });
        self.outbox.ops.push(Op::Approve(t.id));
    }

    pub(super) fn reject(&mut self) {
        if let Some((_, a)) = self.selected_action() {
            self.dialog = Some(Dialog::Reason {
                turn: a.id.clone(),
                input: String::new(),
                action: true,
            });
            return;
        }
        let Some(t) = self.target() else {
            return self.refuse("no turn selected".into());
        };
        if t.state != TurnState::AwaitingReview {
            return self.refuse(format!(
                "{} is {}; only a turn awaiting review can be rejected",
                t.id, t.state
            ));
        }
        self.dialog = Some(Dialog::Reason {
            turn: t.id,
            input: String::new(),
            action: false,
        });
    }

    pub(super) fn rollback(&mut self) {
        let Some(t) = self.target() else {
            return self.refuse("no turn selected".into());
        };
        if t.state != TurnState::Landed {
            return self.refuse(format!(
                "{} is {}; only a landed turn can be rolled back",
                t.id, t.state
            ));
        }
        let mut lines = vec![
            format!("Revert {} “{}”", t.id, t.title),
            format!(
                "with a new commit on {} — history is not rewritten.",
                t.branch.as_deref().unwrap_or("the branch")
            ),
            String::new(),
            format!(
                "{}, +{} −{} will be undone:",
                crate::words::count(t.files_changed, "file"),
                t.insertions,
                t.deletions
            ),
        ];
        lines.extend(
            t.paths
                .iter()
                .take(12)
                .map(|p| format!("  {}", crate::sanitize::plain(p))),
        );
        if t.paths.len() > 12 {
            lines.push(format!(
                "  … and {}",
                crate::words::count(t.paths.len() - 12, "more path")
            ));
        }
        self.dialog = Some(Dialog::Confirm {
            title: format!("Roll back {}?", t.id),
            lines,
            op: Op::Rollback(t.id),
        });
    }

    pub(super) fn replay(&mut self) {
        let Some(t) = self.target() else {
            return self.refuse("no turn selected".into());
        };
        let spec = TurnSpec {
            task: t.task.clone(),
            agent: (t.agent != "generic").then(|| t.agent.clone()),
            risk: Some(t.declared_risk),
            title: Some(format!("replay of {}: {}", t.id, t.title)),
            prompt: t.prompt.clone(),
            command: if t.agent == "generic" {
                t.command.clone().unwrap_or_default()
            } else {
                Vec::new()
            },
            timeout: None,
            base: t.base.clone(),
        };
        let spec = TurnSpec {
            // A task supplies its own agent and command.
            agent: if spec.task.is_some() {
                None
            } else {
                spec.agent
            },
            command: if spec.task.is_some() {
                Vec::new()
            } else {
                spec.command
            },
            ..spec
        };
        self.dialog = Some(Dialog::Confirm {
            title: format!("Replay {}?", t.id),
            lines: vec![
                format!("Start “{}” again as a new turn,", t.title),
                format!(
                    "on its base {} — the same {}.",
                    t.base
                        .as_deref()
                        .map(crate::checkpoint::short)
                        .unwrap_or("(unborn)"),
                    if t.prompt.is_some() {
                        "prompt"
                    } else {
                        "command"
                    }
                ),
            ],
            op: Op::Start(run_args(&spec)),
        });
    }

    pub(super) fn cancel(&mut self) {
        let Some(t) = self.target() else {
            return self.refuse("no turn selected".into());
        };
        if t.state != TurnState::Running {
            return self.refuse(format!("{} is {}, not running", t.id, t.state));
        }
        let lines = if t.kind == crate::model::TurnKind::InPlace {
            vec![
                format!("End “{}” where it stands.", t.title),
                "The agent runs in its own terminal and is not touched; the checkout".into(),
                "is snapshotted now, and the turn's changes are decided like any ended turn."
                    .into(),
            ]
        } else {
            vec![
                format!("Stop “{}”.", t.title),
                "Its agent gets SIGTERM, then SIGKILL after the grace period;".into(),
                "what it changed so far is kept for review.".into(),
            ]
        };
        self.dialog = Some(Dialog::Confirm {
            title: format!("Cancel {}?", t.id),
            lines,
            op: Op::Cancel(t.id),
        });
    }

    pub(super) fn update_dialog(&mut self, action: Action) {
        let Some(dialog) = self.dialog.take() else {
            return;
        };
        match (dialog, action) {
            (_, Action::Quit) => self.quit = true,
            (_, Action::Cancel | Action::Back) => {
                self.status = Some(Status {
                    text: "cancelled".into(),
                    error: false,
                })
            }
            (Dialog::Notice { .. }, Action::Confirm | Action::Open) => {}
            (
                Dialog::Reason {
                    turn,
                    input,
                    action,
                },
                Action::Confirm | Action::Open,
            ) => {
                let reason = input.trim().to_string();
                if reason.is_empty() {
                    self.dialog = Some(Dialog::Reason {
                        turn,
                        input,
                        action,
                    });
                    self.refuse("say why: the reason is kept, and an agent is told it".into());
                } else if action {
                    self.status = Some(Status {
                        text: format!("denying {turn}…"),
                        error: false,
                    });
                    self.outbox.ops.push(Op::Deny(turn, reason));
                } else {
                    self.status = Some(Status {
                        text: format!("rejecting {turn}…"),
                        error: false,
                    });
                    self.outbox.ops.push(Op::Reject(turn, reason));
                }
            }
            (Dialog::Confirm { op, .. }, Action::Confirm | Action::Open) => {
                self.status = Some(Status {
                    text: "working…".into(),
                    error: false,
                });
                self.outbox.ops.push(op);
            }
            (Dialog::NewTurn(mut nt), a) => {
                let n = self.ws.tasks.tasks.len();
                match a {
                    Action::Up => nt.selected = nt.selected.saturating_sub(1),
                    Action::Down => nt.selected = (nt.selected + 1).min(n),
                    Action::Left | Action::Right | Action::NextPane | Action::PrevPane => {
                        let i = RiskClass::ALL
                            .iter()
                            .position(|r| *r == nt.risk)
                            .unwrap_or(0);
                        let up = matches!(a, Action::Right | Action::NextPane);
                        let j = if up { (i + 1) % 3 } else { (i + 2) % 3 };
                        nt.risk = RiskClass::ALL[j];
                    }
                    Action::Confirm | Action::Open => {
                        let args = if nt.selected < n {
                            let task = &self.ws.tasks.tasks[nt.selected];
                            vec!["--task".to_string(), task.name.clone()]
                        } else {
                            // Quoting as in a shell (`sh -c 'echo hi'`), but the
                            // words go to the program as argv: no shell runs.
                            let argv = match shell_words::split(&nt.command) {
                                Ok(argv) if !argv.is_empty() => argv,
                                Ok(_) => {
                                    self.dialog = Some(Dialog::NewTurn(nt));
                                    return self.refuse("type a command to run".into());
                                }
                                Err(e) => {
                                    self.dialog = Some(Dialog::NewTurn(nt));
                                    return self.refuse(format!("cannot read the command: {e}"));
                                }
                            };
                            let mut a =
                                vec!["--risk".to_string(), nt.risk.to_string(), "--".into()];
                            a.extend(argv);
                            a
                        };
                        self.status = Some(Status {
                            text: "starting a turn…".into(),
                            error: false,
                        });
                        self.outbox.ops.push(Op::Start(args));
                        return;
                    }
                    _ => {}
                }
                self.dialog = Some(Dialog::NewTurn(nt));
            }
            (d, _) => self.dialog = Some(d),
        }
    }
}
