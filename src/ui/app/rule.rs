//! "Say it once" in the console: `A` on a held action in the queue allows
//! it and proposes the rule that would let such actions run alone from now
//! on — shown as the TOML it adds to `.leash/config.toml`, written (in a
//! commit of its own) only when the operator confirms. Declining leaves
//! the action allowed, and nothing written.

use super::{App, Dialog, Status};
use crate::config::CONFIG_FILE;
use crate::ui::worker::Op;

impl App {
    /// `A` in the queue.
    pub(super) fn allow_with_rule(&mut self) {
        let Some((turn, a)) = self.selected_action() else {
            return self.refuse(
                "A allows a held action and proposes its rule: put the queue's cursor on one (⏸)"
                    .into(),
            );
        };
        let (id, in_place) = (a.id.clone(), turn.kind == crate::model::TurnKind::InPlace);
        self.outbox.ops.push(Op::Allow(id.clone(), None));
        match self.ws.propose_allow(&id) {
            Ok(s) => {
                let mut lines = vec![
                    format!("{id} is allowed. This rule would let such actions run alone:"),
                    String::new(),
                ];
                lines.extend(s.toml().lines().map(|l| format!("  {l}")));
                lines.push(String::new());
                lines.push(format!(
                    "Appended to {CONFIG_FILE} in a commit of its own on {}.",
                    self.head.0
                ));
                lines.extend(
                    if in_place {
                        [
                            "Sessions started from now on follow it: the gate reads the policy",
                            "committed when a session starts, so this session keeps its own.",
                        ]
                    } else {
                        [
                            "Turns started from now on follow it: a turn works under the policy",
                            "committed at its base, so this turn keeps its own.",
                        ]
                    }
                    .map(String::from),
                );
                self.layers.open(Dialog::Confirm {
                    title: "Add this rule?".into(),
                    lines,
                    op: Op::AddRule(s),
                });
                self.status = Some(Status {
                    text: format!("allowing {id}… (n keeps it allowed, without the rule)"),
                    error: false,
                });
            }
            Err(e) => {
                self.status = Some(Status {
                    text: format!("allowing {id}; {e}"),
                    error: false,
                })
            }
        }
    }
}
