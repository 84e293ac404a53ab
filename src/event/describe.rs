//! One readable line per event, for `leash log` and a turn's events.

use super::*;

impl Event {
    /// One readable line for the event.
    pub fn describe(&self) -> String {
        let e = self;
        match e {
            Event::TurnCreated {
                turn,
                agent,
                risk,
                title,
                ..
            } => format!("turn_created {turn} ({agent}, {risk}): {title}"),
            Event::TurnStarted {
                turn,
                supervisor_pid,
                agent_pid,
                ..
            } => format!(
                "turn_started {turn} supervisor pid {supervisor_pid}, agent pid {agent_pid}"
            ),
            Event::TurnFinished {
                turn,
                exit,
                failure,
                files_changed,
                reason,
                ..
            } => format!(
                "turn_finished {turn} exit {} · {}{}{}",
                exit.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                crate::words::count(*files_changed, "file"),
                failure.map(|f| format!(" · {f}")).unwrap_or_default(),
                match failure.and_then(|f| reason.strip_prefix(&f.reason_prefix())) {
                    // The failure is named just before: say why only once.
                    Some(rest) => format!(" · {rest}"),
                    None if reason.is_empty() => String::new(),
                    None => format!(" · {reason}"),
                }
            ),
            Event::RiskEscalated {
                turn,
                from,
                to,
                because,
            } => format!("risk_escalated {turn} {from} → {to}: {because}"),
            Event::TurnDecided {
                turn,
                decision,
                by,
                reason,
                partial,
                receipt,
            } => format!(
                "turn_decided {turn} {decision}{} by {by}{}{}",
                partial
                    .as_ref()
                    .map(|p| format!(
                        " of hunks {} (kept aside: {})",
                        hunk_numbers(&p.accepted),
                        hunk_numbers(&p.rejected)
                    ))
                    .unwrap_or_default(),
                Receipt::said(receipt.as_ref(), Receipt::describe),
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            Event::LandingStarted {
                turn,
                target,
                branch,
                ..
            } => format!("landing_started {turn} → {branch} at {}", short(target)),
            Event::TurnLanded { turn, commit, .. } => {
                format!("turn_landed {turn} as {}", short(commit))
            }
            Event::LandingAborted { turn, reason, .. } => {
                format!("landing_aborted {turn}: {reason}")
            }
            Event::TurnRejected { turn, kept_at } => {
                format!("turn_rejected {turn} kept at {kept_at}")
            }
            Event::RollbackStarted { turn, target, .. } => {
                format!("rollback_started {turn} revert {}", short(target))
            }
            Event::TurnRolledBack { turn, commit } => format!(
                "turn_rolled_back {turn}{}",
                commit
                    .as_deref()
                    .map(|c| format!(" by {}", short(c)))
                    .unwrap_or_default()
            ),
            Event::RollbackAborted { turn, reason } => format!("rollback_aborted {turn}: {reason}"),
            Event::TurnInterrupted { turn, reason } => format!(
                "turn_interrupted {turn}{}",
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            Event::RuleAdded {
                commit,
                branch,
                rule,
                from,
                by,
            } => format!(
                "rule_added {rule} on {branch} at {} by {by} (from {})",
                crate::model::short(commit),
                from.join(", ")
            ),
            Event::AutonomySet {
                class,
                task,
                level,
                by,
            } => format!(
                "autonomy_set {} = {level} by {by}",
                class
                    .map(|c| c.to_string())
                    .or(task.as_ref().map(|t| format!("task {t}")))
                    .unwrap_or_default()
            ),
            Event::ActionRequested {
                action,
                summary,
                risk,
                needs,
                ..
            } => format!(
                "action_requested {action} {summary} ({risk}{})",
                if *needs == Needs::Approval {
                    ", needs approval"
                } else {
                    ""
                }
            ),
            Event::ActionDecided {
                action,
                decision,
                by,
                reason,
                receipt,
            } => format!(
                "action_decided {action} {} by {by}{}{}",
                match decision {
                    ActionDecision::Allow => "allow",
                    ActionDecision::Deny => "deny",
                    ActionDecision::Defer => "deferred to the agent",
                },
                Receipt::said(receipt.as_ref(), Receipt::describe_action),
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            Event::ActionDone {
                action,
                ok,
                paths_read,
                paths_written,
                urls,
                unknown_reads,
                ..
            } => {
                let mut s = format!("action_done {action} {}", if *ok { "ok" } else { "failed" });
                for (what, list) in [
                    ("read", paths_read),
                    ("wrote", paths_written),
                    ("fetched", urls),
                ] {
                    if !list.is_empty() {
                        s.push_str(&format!(" · {what} {}", list.join(", ")));
                    }
                }
                if !unknown_reads.is_empty() {
                    s.push_str(&format!(" · reads unknown ({})", unknown_reads.len()));
                }
                s
            }
            // A run's total is what it spent over its requests, not how
            // full its context was: it names no window.
            Event::Usage {
                input_tokens,
                output_tokens,
                total: true,
                ..
            } => format!("usage over the run: {input_tokens} tokens in, {output_tokens} out"),
            Event::Usage {
                input_tokens,
                output_tokens,
                context_window,
                ..
            } => format!(
                "usage {input_tokens} tokens in, {output_tokens} out{}",
                context_window
                    .map(|w| format!(" of a {w}-token window"))
                    .unwrap_or_default()
            ),
            Event::BudgetWarning {
                what, spent, limit, ..
            } => format!(
                "budget warning: {} ({:.0} %)",
                what.over(*spent, *limit),
                if *limit > 0.0 {
                    spent / limit * 100.0
                } else {
                    100.0
                }
            ),
            Event::SessionStarted {
                session,
                agent,
                confined,
                ..
            } => format!(
                "session_started {session} ({agent}){}",
                confined
                    .map(|abi| format!(", confined by Landlock ABI {abi} (leash shell)"))
                    .unwrap_or_default()
            ),
            Event::LockRemoved { path, reason, .. } => format!("lock_removed {path}: {reason}"),
            Event::PipelineStarted { run, task, passes } => {
                format!(
                    "pipeline_started {run} of task {task}: {}",
                    passes.join(" → ")
                )
            }
            Event::PassStarted {
                run,
                pass,
                turn,
                out,
                mode,
                ..
            } => format!(
                "pass_started {run} {pass} as {turn}, out {out}{}",
                if *mode == crate::model::PassMode::ReadOnly {
                    " (read-only)"
                } else {
                    ""
                }
            ),
            Event::PipelineResumed { run, pass, .. } => {
                format!("pipeline_resumed {run} at {pass}")
            }
            Event::PipelineCancelled { run, reason } => format!(
                "pipeline_cancelled {run}{}",
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            Event::TurnConfined {
                turn,
                confined,
                abi,
                writable,
                connect_ports,
                warning,
            } => {
                // The paths themselves are in the event, `leash show` and the
                // Provenance tab; one line here stays readable.
                let mut s = if *confined {
                    format!(
                        "turn_confined {turn} by Landlock ABI {} · {}",
                        abi.unwrap_or(0),
                        crate::words::count(writable.len(), "writable path")
                    )
                } else {
                    format!("turn_confined {turn} NOT confined")
                };
                if let Some(ports) = connect_ports {
                    s.push_str(&format!(
                        " · network denied except TCP {}",
                        crate::words::ports_text(ports)
                    ));
                }
                if let Some(w) = warning {
                    s.push_str(&format!(" · warning: {w}"));
                }
                s
            }
            Event::TurnFollows {
                turn,
                parent,
                how,
                session,
            } => format!(
                "turn_follows {turn} {} {parent}: {}",
                how.verb(),
                match session {
                    Some(s) => format!("continues session {s}"),
                    None => "a fresh run with the built prompt".into(),
                }
            ),
            Event::AgentSession { turn, session } => format!("agent_session {turn} {session}"),
            Event::LimitResets { turn, at } => {
                format!("limit_resets {turn}: the rate limit resets at {at}")
            }
            Event::WriteRefused { turn, path, line } => {
                format!("write_refused {turn} {path} (the agent said: {line})")
            }
            Event::LineCommented {
                turn,
                path,
                line,
                old_line,
                text,
            } => format!(
                "line_commented {turn} {path}:{}: {text}",
                match (line, old_line) {
                    (Some(n), _) => n.to_string(),
                    (None, Some(o)) => format!("-{o}"),
                    (None, None) => "?".into(),
                }
            ),
            Event::Notified {
                item,
                warning: None,
                ..
            } => format!("notified {item}"),
            Event::Notified {
                item,
                warning: Some(w),
                ..
            } => format!("notified {item}: the notify command could not be started: {w}"),
            Event::SourcesChecked { turn, citations } => {
                let mut s = format!("sources_checked {turn}");
                if citations.is_empty() {
                    s.push_str(": every citation was read and is current");
                }
                for c in citations {
                    s.push_str(&format!(" · {} ({}:{})", c.message(), c.path, c.line));
                }
                s
            }
            Event::SessionEnded { session, reason } => format!(
                "session_ended {session}{}",
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            Event::InvariantsChecked {
                tree,
                results,
                introduced,
                merged,
                ..
            } => {
                let parsed = crate::invariants::parse_results(results);
                let mut s = format!(
                    "invariants_checked {}{} · {}",
                    short(tree),
                    if *merged {
                        " (merged onto the moved branch)"
                    } else {
                        ""
                    },
                    crate::invariants::summary(&parsed)
                );
                let failing: Vec<&str> = parsed
                    .iter()
                    .filter(|r| !crate::invariants::passes(r))
                    .map(|r| r.name.as_str())
                    .collect();
                if !failing.is_empty() {
                    s.push_str(&format!(" · failing: {}", failing.join(", ")));
                }
                if !introduced.is_empty() {
                    s.push_str(&format!(" · introduced: {}", introduced.join(", ")));
                }
                s
            }
        }
    }
}
