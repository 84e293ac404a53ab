//! Pipelines drawn: a run's row in the turns list (its passes as stages,
//! what it waits for), and the pass section of a pass's detail (its run,
//! mode, gate and role, its contract and how the contract went, the head
//! of its `out`). Everything here reads memory only: the `out` is read by
//! the worker when the pass is selected.

use ratatui::text::{Line, Span};
use ratatui::widgets::ListItem;
use unicode_width::UnicodeWidthStr;

use super::lists::state_glyph;
use super::text::{fit, safe, spans};
use crate::model::{BUDGET_WARN_AT, Budget, Contract, FailureClass, PassGate, PassMode, TurnState};
use crate::state::{PassAttempt, PassView, Pipeline, PipelineState, Spent};
use crate::ui::app::{App, PassOut};

/// How many lines of a pass's `out` its detail shows at most.
const PREVIEW_LINES: usize = 8;

/// A run's state as a glyph and a theme role, as the turn rows' glyphs
/// say their turns' states: waiting for the operator (a pass to review, a
/// gate to resume) is ◆.
fn run_glyph(s: PipelineState) -> (&'static str, &'static str) {
    match s {
        PipelineState::Running => ("▶", "state.running"),
        PipelineState::AwaitingReview | PipelineState::Paused => ("◆", "state.awaiting_review"),
        PipelineState::Failed => ("!", "state.failed"),
        PipelineState::Done => ("✓", "state.landed"),
        PipelineState::Cancelled => ("✗", "state.rejected"),
    }
}

/// A pass as a stage: its glyph (· not started) and theme role.
fn stage_glyph(v: &PassView) -> (&'static str, String) {
    match (v.attempt, v.state) {
        (None, _) => ("·", "text.muted".into()),
        (Some(_), None) => ("?", "text.muted".into()),
        (Some(_), Some(TurnState::AwaitingReview)) if v.failure.is_some() => {
            ("!", "state.failed".into())
        }
        (Some(_), Some(s)) => (state_glyph(s), format!("state.{}", s.as_str())),
    }
}

/// What a run waits for, or how it ended, in a few words (`short`: fewer).
pub fn run_words(app: &App, p: &Pipeline, short: bool) -> String {
    let state = app.ws.state();
    let s = state.pipeline_state(p);
    let current = p.current().map(|a| a.pass.as_str()).unwrap_or("");
    match (s, short) {
        (PipelineState::Running, false) => format!("{current} running"),
        (PipelineState::Running, true) => format!("{current} runs"),
        (PipelineState::AwaitingReview, false) => format!("{current} waits for review"),
        (PipelineState::AwaitingReview, true) => format!("review {current}"),
        (PipelineState::Paused, _) if p.attempts.is_empty() => "not started".into(),
        (PipelineState::Paused, true) => "resume".into(),
        (PipelineState::Paused, false) => match p.current() {
            Some(a) if a.gate == PassGate::Review => format!("gate after {current}: resume"),
            _ => format!("paused after {current}: resume"),
        },
        (PipelineState::Failed, true) => format!("{current} failed"),
        (PipelineState::Failed, false) => {
            let failure = p
                .current()
                .and_then(|a| state.turn(&a.turn))
                .and_then(|t| {
                    t.failure
                        .map(FailureClass::shown_as)
                        .or(Some(t.state.as_str()))
                })
                .unwrap_or("failed");
            format!("{current}: {failure}")
        }
        (PipelineState::Done, _) => "done".into(),
        (PipelineState::Cancelled, _) => "cancelled".into(),
    }
}

/// The stages at a tier of narrowing: every name with its glyph and
/// arrows, then without spaces, then only the pass the run is at named,
/// then glyphs only with that name after them.
fn stages<'a>(app: &App, views: &[PassView], current: Option<&str>, tier: usize) -> Vec<Span<'a>> {
    let th = &app.theme;
    let mut out = Vec::new();
    for (i, v) in views.iter().enumerate() {
        let (glyph, role) = stage_glyph(v);
        let style = th.style(&role);
        let named = match tier {
            0 | 1 => true,
            2 => Some(v.name) == current,
            _ => false,
        };
        if i > 0 {
            let arrow = match tier {
                0 => " → ",
                1 | 2 => "→",
                _ => "",
            };
            out.push(Span::styled(arrow, th.style("text.muted")));
        }
        match tier {
            0 => out.push(safe(&format!("{} {glyph}", v.name), style)),
            _ if named => out.push(safe(&format!("{}{glyph}", v.name), style)),
            _ => out.push(Span::styled(glyph, style)),
        }
    }
    if tier >= 3
        && let Some(c) = current
    {
        out.push(safe(&format!(" {c}"), th.style("text")));
    }
    out
}

/// What a run spent against its budgets, as its row shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpend {
    /// `12.4k tok · $0.31 / $1.00`: the budget parts only where one is set.
    pub full: String,
    /// `12.4k/20k $0.31/$1.00`, for narrower lists.
    pub compact: String,
    /// `12.4k $0.31`, for the narrowest.
    pub short: String,
    /// The most spent of any budget, in percent: of a pass's (its latest
    /// attempt against its own), or of the run's (its passes' summed).
    pub most: Option<u64>,
}

impl RunSpend {
    /// At 80 % of a budget the row warns.
    pub fn warns(&self) -> bool {
        self.most
            .is_some_and(|m| m as f64 >= BUDGET_WARN_AT * 100.0)
    }
}

/// Tokens in few characters: `950`, `12.4k`, `1.2M`.
pub fn tokens_short(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..999_950 => format!("{:.1}k", n as f64 / 1e3).replace(".0k", "k"),
        _ => format!("{:.1}M", n as f64 / 1e6).replace(".0M", "M"),
    }
}

/// Spending against budgets in words, full (`12.4k / 20k tok · $0.31 /
/// $1.00`) and compact (`12.4k/20k $0.31/$1.00`): a budget's part only
/// where one is set; dollars not known show as `$?` only against a budget.
pub fn spend_words(spent: Spent, tokens: Option<u64>, usd: Option<f64>) -> (String, String) {
    let t = tokens_short(spent.tokens);
    let (full_tokens, compact_tokens) = match tokens {
        Some(limit) => (
            format!("{t} / {} tok", tokens_short(limit)),
            format!("{t}/{}", tokens_short(limit)),
        ),
        None => (format!("{t} tok"), t),
    };
    let (full_usd, compact_usd) = match (spent.usd, usd) {
        (Some(u), Some(limit)) => (
            format!("${u:.2} / ${limit:.2}"),
            format!("${u:.2}/${limit:.2}"),
        ),
        (Some(u), None) => (format!("${u:.2}"), format!("${u:.2}")),
        (None, Some(limit)) => (format!("$? / ${limit:.2}"), format!("$?/${limit:.2}")),
        (None, None) => return (full_tokens, compact_tokens),
    };
    (
        format!("{full_tokens} · {full_usd}"),
        format!("{compact_tokens} {compact_usd}"),
    )
}

/// A run's spending: its passes' turns' usage as the journal has it, its
/// budgets as its passes started with them (a pass not started yet: as
/// committed in the task). `None` when nothing was spent and no budget is
/// set.
pub fn run_spend(app: &App, p: &Pipeline) -> Option<RunSpend> {
    let state = app.ws.state();
    let spent = state.pipeline_spent(p);
    let task = app.ws.tasks().find(&p.task);
    let views = state.pass_views(p);
    let budgets: Vec<Budget> = views
        .iter()
        .map(|v| match v.attempt {
            Some(a) => a.budget,
            None => task
                .and_then(|t| t.passes.iter().find(|c| c.name == v.name))
                .map(|c| c.budget)
                .unwrap_or_default(),
        })
        .collect();
    let run_budget = Budget {
        tokens: budgets.iter().map(|b| b.tokens).sum(),
        usd: budgets.iter().map(|b| b.usd).sum(),
        time: None,
    };
    let any_budget = budgets
        .iter()
        .any(|b| b.tokens.is_some() || b.usd.is_some());
    let warned = p
        .attempts
        .iter()
        .any(|a| !state.budget_warnings(&a.turn).is_empty());
    if spent.tokens == 0 && spent.usd.is_none() && !any_budget && !warned {
        return None;
    }
    let pct = |share: f64| (share * 100.0).floor() as u64;
    // Each pass's latest attempt against its own budget, with what its
    // supervisor journaled as it crossed 80 % (time too); then the run's.
    let latest = views.iter().filter_map(|v| v.attempt);
    let most = latest
        .flat_map(|a| {
            let warned = state
                .budget_warnings(&a.turn)
                .iter()
                .map(|w| w.spent / w.limit);
            state
                .turn_spent(&a.turn)
                .share_of(&a.budget)
                .into_iter()
                .chain(warned)
        })
        .chain(spent.share_of(&run_budget))
        .map(pct)
        .max();
    let (tokens_budget, usd_budget) = (run_budget.tokens, run_budget.usd);
    let (full, compact) = spend_words(spent, tokens_budget, usd_budget);
    let short = match spent.usd {
        Some(u) => format!("{} ${u:.2}", tokens_short(spent.tokens)),
        None => tokens_short(spent.tokens),
    };
    Some(RunSpend {
        full,
        compact,
        short,
        most,
    })
}

/// A run's row: its state glyph, id, task and what it waits for (its age
/// at the right), then its passes as stages, `▸` / `▾` for collapsed or
/// expanded.
pub fn run_item<'a>(app: &App, p: &Pipeline, width: usize, expanded: bool) -> ListItem<'a> {
    let th = &app.theme;
    let state = app.ws.state();
    let s = state.pipeline_state(p);
    let (glyph, role) = run_glyph(s);
    let mut first = vec![
        Span::styled(format!("{glyph} "), th.style(role)),
        Span::styled(format!("{:<4}", p.id), th.style("text.title")),
    ];
    let task = crate::sanitize::plain(&p.task);
    // Narrow lists say what the run waits for in fewer words, then drop
    // its age: the words stay whole as long as they can.
    let age = format!(" {:>3}", crate::words::age(&p.started));
    let (words, tail) = [(false, true), (true, true), (true, false)]
        .into_iter()
        .map(|(short, aged)| {
            let words = format!(" · {}", crate::sanitize::plain(&run_words(app, p, short)));
            (words, if aged { age.clone() } else { String::new() })
        })
        .find(|(w, t)| 6 + task.width() + w.width() + t.width() <= width)
        .unwrap_or_else(|| {
            let words = format!(" · {}", crate::sanitize::plain(&run_words(app, p, true)));
            (words, String::new())
        });
    let room = width.saturating_sub(6 + tail.width());
    let task = fit(&task, room.min(20));
    let words = fit(&words, room.saturating_sub(task.width()));
    let used = 6 + task.width() + words.width();
    first.push(Span::styled(task, th.style("text")));
    first.push(Span::styled(words, th.style(role)));
    first.push(Span::raw(
        " ".repeat(width.saturating_sub(used + tail.width())),
    ));
    first.push(Span::styled(tail, th.style("text.muted")));
    // The second line: the stages, and what the run spent at the right.
    let views = state.pass_views(p);
    let current = p.current().map(|a| a.pass.as_str());
    let spend = run_spend(app, p);
    let warns = spend.as_ref().is_some_and(RunSpend::warns);
    let (full, compact, short) = spend.as_ref().map_or(Default::default(), |s| {
        (s.full.clone(), s.compact.clone(), s.short.clone())
    });
    let room = width.saturating_sub(4);
    let stages_width = |tier: usize| -> usize {
        stages(app, &views, current, tier)
            .iter()
            .map(|s| s.width())
            .sum()
    };
    // The spending's budgets go first, then the spending itself, then the
    // names of the passes the run is not at; a run near a budget keeps its
    // spending before any name.
    let mut tiers: Vec<(usize, &str)> = vec![
        (0, &full),
        (1, &full),
        (0, &compact),
        (1, &compact),
        (1, &short),
    ];
    if warns {
        tiers.extend([(2, short.as_str()), (3, &short)]);
    }
    tiers.extend([(0, ""), (1, ""), (2, &short), (2, ""), (3, "")]);
    let (tier, money) = tiers
        .into_iter()
        .filter(|(_, m)| spend.is_some() || m.is_empty())
        .find(|(k, m)| stages_width(*k) + if m.is_empty() { 0 } else { m.width() + 1 } <= room)
        .unwrap_or((3, ""));
    let mut second = vec![Span::styled(
        if expanded { "  ▾ " } else { "  ▸ " },
        th.style("text.muted"),
    )];
    let room_for_stages = room.saturating_sub(if money.is_empty() {
        0
    } else {
        money.width() + 1
    });
    let cut = super::text::clip(
        stages(app, &views, current, tier),
        0,
        room_for_stages,
        super::text::marker_style(th),
    );
    let drawn: usize = cut.iter().map(|s| s.width()).sum();
    second.extend(cut);
    if !money.is_empty() {
        second.push(Span::raw(
            " ".repeat(room.saturating_sub(drawn + money.width())),
        ));
        second.push(Span::styled(
            money.to_string(),
            th.style(if warns { "warning" } else { "text.muted" }),
        ));
    }
    ListItem::new(vec![Line::from(first), Line::from(second)])
}

/// A contract in words: `nonempty` always, then what it asks on top.
pub fn contract_words(c: &Contract) -> String {
    let mut parts = vec!["nonempty".to_string()];
    if c.json {
        parts.push("json".into());
    }
    if !c.headings.is_empty() {
        parts.push(format!("headings {}", c.headings.join(", ")));
    }
    if let Some(max) = c.max_bytes {
        parts.push(format!("max_bytes {max}"));
    }
    parts.join(" · ")
}

/// How the pass's contract went: `None` while it is not checked yet,
/// else whether it held and, when not, what the check said.
fn contract_result(app: &App, a: &PassAttempt) -> Option<Result<(), String>> {
    let t = app.ws.state().turn(&a.turn)?;
    if t.state == TurnState::Running || t.finished.is_none() && t.failure.is_none() {
        return None;
    }
    match t.failure {
        Some(f @ (FailureClass::ContractViolation | FailureClass::EmptyDeliverable)) => {
            let prefix = f.reason_prefix();
            let said = t
                .reason
                .split_once(&prefix)
                .map(|(_, rest)| rest.split("; ").next().unwrap_or(rest).to_string())
                .unwrap_or_else(|| f.shown_as().to_string());
            Some(Err(said))
        }
        Some(f) => Some(Err(format!("not checked: the pass ended with {f}"))),
        None => Some(Ok(())),
    }
}

/// The pass section of a pass's detail, `width` columns wide.
pub fn pass_lines<'a>(app: &App, p: &Pipeline, a: &PassAttempt, width: usize) -> Vec<Line<'a>> {
    let th = &app.theme;
    let muted = th.style("text.muted");
    let label = |s: &str| Span::styled(format!("{s:<9}"), muted);
    let index = p
        .passes
        .iter()
        .position(|n| *n == a.pass)
        .map_or(0, |i| i + 1);
    let mut head = vec![
        label("pass"),
        safe(&a.pass, th.style("text.title")),
        Span::styled(
            format!(" · {index}/{} of {} (", p.passes.len(), p.id),
            muted,
        ),
        safe(&p.task, th.style("text")),
        Span::styled(")", muted),
    ];
    let mut facts = Vec::new();
    if let Some(role) = &a.role {
        facts.push(safe(&format!(" · {role}"), th.style("info")));
    }
    facts.push(Span::styled(
        format!(" · {}", a.mode),
        th.style(if a.mode == PassMode::ReadOnly {
            "info"
        } else {
            "text.muted"
        }),
    ));
    facts.push(Span::styled(format!(" · gate {}", a.gate), muted));
    head.extend(facts);
    let mut lines = vec![Line::from(super::text::clip(
        head,
        0,
        width,
        super::text::marker_style(th),
    ))];
    let rules = safe(&contract_words(&a.contract), th.style("text"));
    let contract = match contract_result(app, a) {
        None => vec![
            label("contract"),
            rules,
            Span::styled(" · checked when the pass ends", muted),
        ],
        Some(Ok(())) => vec![
            label("contract"),
            Span::styled("✓ held · ", th.style("state.landed")),
            rules,
        ],
        Some(Err(said)) => {
            // What broke first: it is what the operator acts on.
            lines.push(Line::from(super::text::clip(
                vec![
                    label("contract"),
                    safe(&format!("✗ {said}"), th.style("failure")),
                ],
                0,
                width,
                super::text::marker_style(th),
            )));
            vec![Span::raw(" ".repeat(9)), rules]
        }
    };
    lines.push(Line::from(super::text::clip(
        contract,
        0,
        width,
        super::text::marker_style(th),
    )));
    let spent = app.ws.state().turn_spent(&a.turn);
    if spent.tokens > 0
        || spent.usd.is_some()
        || a.budget.tokens.is_some()
        || a.budget.usd.is_some()
    {
        let (full, _) = spend_words(spent, a.budget.tokens, a.budget.usd);
        let warns = spent
            .share_of(&a.budget)
            .is_some_and(|share| share >= BUDGET_WARN_AT);
        lines.push(Line::from(vec![
            label("spent"),
            Span::styled(full, th.style(if warns { "warning" } else { "text" })),
        ]));
    }
    for w in app.ws.state().budget_warnings(&a.turn) {
        let text = format!("⚠ {w}");
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(9)),
            Span::styled(text, th.style("warning")),
        ]));
    }
    let mut out = vec![label("out"), safe(&a.out, th.style("text"))];
    let preview = match &app.detail.pass_out {
        PassOut::Reading => {
            out.push(Span::styled(" · reading…", muted));
            Vec::new()
        }
        PassOut::Missing => {
            out.push(Span::styled(" · not there", th.style("warning")));
            Vec::new()
        }
        PassOut::Failed(e) => {
            out.push(safe(&format!(" · {e}"), th.style("error")));
            Vec::new()
        }
        PassOut::Read(prev) => {
            let lines = if prev.cut {
                format!("{}+ lines", prev.line_count)
            } else {
                crate::words::count(prev.line_count, "line")
            };
            out.push(Span::styled(
                format!(
                    " · {lines}, {}",
                    crate::words::count(prev.bytes as usize, "byte")
                ),
                muted,
            ));
            let mut shown: Vec<Line> = prev
                .lines
                .iter()
                .take(PREVIEW_LINES)
                .map(|l| {
                    let mut s = vec![Span::styled(" │ ", muted)];
                    s.extend(spans(l, th.style("text"), th));
                    Line::from(super::text::clip(
                        s,
                        0,
                        width,
                        super::text::marker_style(th),
                    ))
                })
                .collect();
            let more = prev.line_count.saturating_sub(PREVIEW_LINES);
            if more > 0 || prev.cut {
                let more = if prev.cut {
                    format!("{more}+ more lines")
                } else {
                    crate::words::count(more, "more line")
                };
                shown.push(Line::styled(
                    format!(" │ … {more} (the Diff tab shows them all)"),
                    muted,
                ));
            }
            shown
        }
    };
    lines.push(Line::from(super::text::clip(
        out,
        0,
        width,
        super::text::marker_style(th),
    )));
    lines.extend(preview);
    lines
}
