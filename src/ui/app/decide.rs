//! Operator decisions from the console: approve, reject (with a reason),
//! roll back and cancel — each behind the dialog it needs — and the
//! dialogs' own keys (the new-turn and replay form has its own module).
//! What they decide goes to the outbox as an `Op`.

use super::{App, Dialog, Pane, Status};
use crate::model::Sliders;
use crate::model::{AutonomyLevel, RiskClass, TurnState};
use crate::state::Turn;
use crate::ui::action::Action;
use crate::ui::worker::Op;
use crate::workspace::AutonomyTarget;

impl App {
    /// The turn an action applies to: the queue's selection when the queue
    /// has focus, else the selected turn.
    pub(super) fn target(&self) -> Option<Turn> {
        if self.focus == Pane::Queue
            && let Some(w) = self.waiting().get(self.queue_pane.sel)
        {
            return self.ws.state().turn(w.turn()).cloned();
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
            self.outbox.ops.push(Op::Allow(id, None));
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
        if let Some(lines) = approve_warnings(&t) {
            self.layers.open(Dialog::Confirm {
                title: format!("Approve {}?", t.id),
                lines,
                op: Op::Approve(t.id, None),
            });
            return;
        }
        self.status = Some(Status {
            text: format!("landing {}…", t.id),
            error: false,
        });
        self.outbox.ops.push(Op::Approve(t.id, None));
    }

    /// `F`: fixes the waiting turn the action applies to, or — with none —
    /// the branch head; the dialog says which.
    pub(super) fn fix(&mut self) {
        if self.ws.config().invariants.is_empty() {
            return self.refuse("no invariants are configured".into());
        }
        if let Some(t) = self.target()
            && t.state == TurnState::AwaitingReview
        {
            if t.kind == crate::model::TurnKind::InPlace {
                return self.refuse(format!(
                    "{} changed your checkout in place: decide it first; F then fixes the branch head",
                    t.id
                ));
            }
            let failing: Vec<String> = t
                .invariants
                .iter()
                .filter(|r| !crate::invariants::passes(r))
                .map(|r| crate::sanitize::plain(&r.name))
                .collect();
            self.layers.open(Dialog::Confirm {
                title: format!("Fix invariants of {}?", t.id),
                lines: vec![
                    format!(
                        "Apply the fixes of fixable invariants to {} “{}”:",
                        t.id,
                        crate::sanitize::plain(&t.title)
                    ),
                    "its turn commit gets the fixes (a Leash-Fix trailer names each), the".into(),
                    "invariants run again, and it waits for your review as before.".into(),
                    format!(
                        "The agent's own commit stays at refs/leash/unfixed/{}.",
                        t.id
                    ),
                    format!(
                        "Failing now: {}",
                        if failing.is_empty() {
                            "none".into()
                        } else {
                            failing.join(", ")
                        }
                    ),
                ],
                op: Op::FixTurn(t.id),
            });
            return;
        }
        self.layers.open(Dialog::Confirm {
            title: "Fix invariants on the branch head?".into(),
            lines: vec![
                format!(
                    "No turn awaiting review is selected: this fixes {} at {}.",
                    self.head.0, self.head.1
                ),
                "Apply the fixes of fixable invariants (a flat memory file moves into".into(),
                "its dated folder, references to it are rewritten) to the branch head,".into(),
                "as a commit of its own with a Leash-Fix trailer — a turn you can roll back."
                    .into(),
                "Nothing fixable: nothing is written.".into(),
            ],
            op: Op::Fix,
        });
    }

    /// Moves the selected slider one stop; a move to `auto`, or one that
    /// makes a higher class freer than a lower one, asks first.
    pub(super) fn slide(&mut self, class: RiskClass, level: AutonomyLevel) {
        let mut after = self.ws.sliders();
        after.set(class, level);
        let mut lines = Vec::new();
        if level == AutonomyLevel::Auto {
            lines.push(format!(
                "{class} turns would land by themselves, even when an invariant fails"
            ));
            lines.push("(flagged for you to roll back); a turn that failed still waits.".into());
        }
        if let Some(inverted) = inversion(&after, class) {
            if !lines.is_empty() {
                lines.push(String::new());
            }
            lines.push(inverted);
        }
        let committed = self.ws.config().autonomy.get(class);
        lines.push(String::new());
        lines.push(format!(
            "Kept in the journal as an override: .leash/config.toml says {class} = {committed}."
        ));
        let op = Op::SetAutonomy(AutonomyTarget::Class(class), level);
        if lines.len() > 2 {
            self.layers.open(Dialog::Confirm {
                title: format!("Move {class} to {level}?"),
                lines,
                op,
            });
            return;
        }
        self.outbox.ops.push(op);
        self.status = Some(Status {
            text: format!("setting {class} to {level}…"),
            error: false,
        });
    }

    pub(super) fn reject(&mut self) {
        if let Some((_, a)) = self.selected_action() {
            self.layers.open(Dialog::Reason {
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
        self.layers.open(Dialog::Reason {
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
        self.layers.open(Dialog::Confirm {
            title: format!("Roll back {}?", t.id),
            lines,
            op: Op::Rollback(t.id),
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
        self.layers.open(Dialog::Confirm {
            title: format!("Cancel {}?", t.id),
            lines,
            op: Op::Cancel(t.id),
        });
    }

    pub(super) fn update_dialog(&mut self, action: Action) {
        let Some(dialog) = self.layers.take_dialog() else {
            return;
        };
        match (dialog, action) {
            (
                Dialog::Reason {
                    turn,
                    mut input,
                    action,
                },
                typed @ (Action::Type(_) | Action::Erase),
            ) => {
                match typed {
                    Action::Type(c) => input.push(c),
                    _ => {
                        input.pop();
                    }
                }
                self.layers.open(Dialog::Reason {
                    turn,
                    input,
                    action,
                });
            }
            (
                Dialog::Comment {
                    turn,
                    path,
                    line,
                    old_line,
                    mut input,
                },
                typed @ (Action::Type(_) | Action::Erase),
            ) => {
                match typed {
                    Action::Type(c) => input.push(c),
                    _ => {
                        input.pop();
                    }
                }
                self.layers.open(Dialog::Comment {
                    turn,
                    path,
                    line,
                    old_line,
                    input,
                });
            }
            (
                Dialog::Comment {
                    turn,
                    path,
                    line,
                    old_line,
                    input,
                },
                Action::Confirm | Action::Open,
            ) if input.trim().is_empty() => {
                self.layers.open(Dialog::Comment {
                    turn,
                    path,
                    line,
                    old_line,
                    input,
                });
                self.refuse("write the comment first (esc leaves it)".into());
            }
            (
                Dialog::Comment {
                    turn,
                    path,
                    line,
                    old_line,
                    input,
                },
                Action::Confirm | Action::Open,
            ) => {
                self.status = Some(Status {
                    text: format!("commenting on {path}…"),
                    error: false,
                });
                self.outbox.ops.push(Op::Comment {
                    turn,
                    path,
                    line,
                    old_line,
                    text: input.trim().to_string(),
                });
            }
            (Dialog::Blame(v), a) if a != Action::Quit => self.blame_key(v, a),
            (Dialog::Source(v), a) if a != Action::Quit => self.source_key(v, a),
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
                    self.layers.open(Dialog::Reason {
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
                    self.outbox.ops.push(Op::Deny(turn, reason, None));
                } else {
                    self.status = Some(Status {
                        text: format!("rejecting {turn}…"),
                        error: false,
                    });
                    self.outbox.ops.push(Op::Reject(turn, reason, None));
                }
            }
            (Dialog::Confirm { op, .. }, Action::Confirm | Action::Open) => {
                self.status = Some(Status {
                    text: "working…".into(),
                    error: false,
                });
                self.outbox.ops.push(op);
            }
            (Dialog::NewTurn(form), a) => self.form_action(form, a),
            (d, _) => self.layers.open(d),
        }
    }
}

/// Why approving a turn deserves a second look — it is `high`, it failed,
/// or an invariant does not pass on its tree — as the confirm dialog's
/// lines; `None` for a clean low or medium turn (one key lands it).
pub fn approve_warnings(t: &Turn) -> Option<Vec<String>> {
    use crate::invariants::Outcome;
    let failing: Vec<&crate::invariants::CheckResult> = t
        .invariants
        .iter()
        .filter(|r| !crate::invariants::passes(r))
        .collect();
    let failed = failure_words(t).is_some();
    if t.risk != RiskClass::High && !failed && failing.is_empty() {
        return None;
    }
    let plain = crate::sanitize::plain;
    let mut lines = vec![format!(
        "Land {} “{}” on {}.",
        t.id,
        plain(&t.title),
        t.branch.as_deref().unwrap_or("its branch")
    )];
    let mut class = format!("class: {}", t.risk);
    if let Some(e) = t.escalations.last() {
        class.push_str(&format!(
            " (raised from {}: {})",
            t.declared_risk,
            plain(&e.because)
        ));
    }
    lines.push(class);
    if let Some(failed) = failure_words(t) {
        lines.push(format!("failed: {failed}"));
    }
    if !failing.is_empty() {
        lines.push("invariants that do not pass:".into());
    }
    let mut shown = 0;
    for r in &failing {
        let origin = if t.introduced.contains(&r.name) {
            "introduced by this turn"
        } else if r.outcome == Outcome::Fail {
            "inherited from its base"
        } else {
            "could not run fully"
        };
        let outcome = if r.outcome == Outcome::Fail {
            "fail"
        } else {
            "degraded"
        };
        lines.push(format!("  ✗ {} ({outcome}) — {origin}", plain(&r.name)));
        for f in r.findings.iter().take(3) {
            if shown >= 8 {
                break;
            }
            shown += 1;
            let at = match f.line {
                Some(l) => format!("{}:{l}", f.path),
                None => f.path.clone(),
            };
            lines.push(format!("      {}: {}", plain(&at), plain(&f.message)));
        }
        if r.findings.is_empty()
            && let Some(d) = r.detail.lines().next()
        {
            lines.push(format!("      {}", plain(d)));
        }
    }
    Some(lines)
}

/// How a turn failed, in words — its failure class (with its badge where
/// that says more), then how its agent ended when it ended badly;
/// `None` when it did not fail.
pub fn failure_words(t: &Turn) -> Option<String> {
    let class = t.failure.map(|f| {
        let name = f.to_string();
        if name.replace('_', " ") == f.shown_as() {
            name
        } else {
            format!("{name} ({})", f.shown_as())
        }
    });
    let ended = match (t.signal, t.exit) {
        (Some(s), _) => Some(format!("the agent was killed by signal {s}")),
        (None, Some(e)) if e != 0 => Some(format!("the agent exited {e}")),
        _ => None,
    };
    match (class, ended) {
        (Some(c), Some(e)) => Some(format!("{c} — {e}")),
        (c, e) => c.or(e),
    }
}

/// Where `moved`'s slider leaves a higher class freer than a lower one,
/// in words.
pub fn inversion(s: &Sliders, moved: RiskClass) -> Option<String> {
    let classes = RiskClass::ALL;
    for (i, lower) in classes.iter().enumerate() {
        for higher in &classes[i + 1..] {
            if (*lower == moved || *higher == moved) && s.get(*higher) > s.get(*lower) {
                return Some(
                    format!(
                        "Inverted: {higher} ({}) would be freer than {lower} ({}) —",
                        s.get(*higher),
                        s.get(*lower)
                    ) + " riskier turns would need less review.",
                );
            }
        }
    }
    None
}
