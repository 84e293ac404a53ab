//! The review screen: what a decision on a turn needs, above the turn's
//! tabs at full width — its title, agent and prompt; its risk and the
//! rule that raised it; its failure; the invariants it broke (those it
//! inherited folded into a count); its provenance warnings (sources cited
//! unread or stale, what it read before it wrote); its files with +/−.
//! Each part has a full and a compact form: a short screen gets the
//! compact ones, least important first, so that the diff keeps the rest.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

use super::pane_block;
use super::text::{clip, fit, marker_style, safe};
use crate::invariants::{Outcome, Problem, passes};
use crate::sanitize::plain;
use crate::state::Turn;
use crate::ui::app::{App, Drawn, failure_words};
use crate::ui::theme::Theme;

/// Draws the review screen of the selected turn over `area`.
pub fn draw(frame: &mut Frame, app: &App, area: Rect, drawn: &mut Drawn) {
    let Some(turn) = app.current() else {
        return super::detail::draw(frame, app, area, drawn);
    };
    let width = area.width.saturating_sub(2) as usize;
    // The summary gets two fifths at most: the diff keeps the rest.
    let budget = area.height as usize * 2 / 5;
    let lines = summary(app, turn, width, budget.saturating_sub(2));
    let [top, rest] = Layout::vertical([
        Constraint::Length(lines.len() as u16 + 2),
        Constraint::Min(3),
    ])
    .areas(area);
    let th = &app.theme;
    let title = Line::from(vec![
        Span::styled(format!(" Review {} ", turn.id), th.style("text.title")),
        Span::styled(
            format!("{} ", turn.state.as_str()),
            th.style(&format!("state.{}", turn.state.as_str())),
        ),
        safe(
            &fit(&turn.title, width.saturating_sub(32)),
            th.style("text.title"),
        ),
        Span::styled(" · esc leaves ", th.style("text.muted")),
    ]);
    let block = pane_block(app, title, None);
    let inner = block.inner(top);
    frame.render_widget(block, top);
    let marker = marker_style(th);
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::from(clip(l.spans, 0, width, marker)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    super::detail::draw(frame, app, rest, drawn);
}

/// A part of the summary: its lines in full and in brief, and how much
/// it matters (0 most) when the screen is short.
struct Part<'a> {
    rank: u8,
    full: Vec<Line<'a>>,
    brief: Vec<Line<'a>>,
    short: bool,
}

impl<'a> Part<'a> {
    fn new(rank: u8, full: Vec<Line<'a>>, brief: Vec<Line<'a>>) -> Part<'a> {
        Part {
            rank,
            full,
            brief,
            short: false,
        }
    }

    fn lines(&self) -> &[Line<'a>] {
        if self.short { &self.brief } else { &self.full }
    }
}

/// The summary's lines, at most `rows`: parts go brief, least important
/// first, then are left out, until they fit.
fn summary<'a>(app: &'a App, t: &'a Turn, width: usize, rows: usize) -> Vec<Line<'a>> {
    let th = &app.theme;
    let mut parts = vec![
        who(th, t, width),
        risk(app, t),
        failure(th, t),
        invariants(th, t),
        provenance(th, t),
        files(app, t, width),
    ];
    let total = |p: &[Part]| p.iter().map(|p| p.lines().len()).sum::<usize>();
    while total(&parts) > rows {
        let longer = |p: &Part| !p.short && p.full.len() > p.brief.len();
        if let Some(p) = parts
            .iter_mut()
            .filter(|p| longer(p))
            .max_by_key(|p| p.rank)
        {
            p.short = true;
            continue;
        }
        let Some(i) = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.lines().is_empty())
            .max_by_key(|(_, p)| p.rank)
            .map(|(i, _)| i)
        else {
            break;
        };
        parts.remove(i);
    }
    parts
        .into_iter()
        .flat_map(|p| match p.short {
            true => p.brief,
            false => p.full,
        })
        .collect()
}

const LABEL: usize = 12;

fn label<'a>(th: &Theme, text: &str) -> Span<'a> {
    Span::styled(format!("{text:<LABEL$}"), th.style("text.muted"))
}

fn line<'a>(th: &Theme, name: &str, mut spans: Vec<Span<'a>>) -> Line<'a> {
    spans.insert(0, label(th, name));
    Line::from(spans)
}

/// Untrusted text made safe, in rows of `width` columns, at most `rows`
/// of them (the last cut with `…`).
fn rows_of(text: &str, width: usize, rows: usize) -> Vec<String> {
    let text = plain(text);
    let mut out: Vec<String> = vec![String::new()];
    let mut w = 0;
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width.max(1) {
            if out.len() == rows {
                let last = out.last_mut().expect("a row");
                last.pop();
                last.push('…');
                return out;
            }
            out.push(String::new());
            w = 0;
        }
        out.last_mut().expect("a row").push(c);
        w += cw;
    }
    out
}

/// The agent, and the prompt (or the command) it was given.
fn who<'a>(th: &Theme, t: &'a Turn, width: usize) -> Part<'a> {
    let mut agent = vec![safe(&t.agent, th.style("text"))];
    if let Some(m) = &t.model {
        agent.push(Span::styled(" (", th.style("text.muted")));
        agent.push(safe(m, th.style("text.muted")));
        agent.push(Span::styled(")", th.style("text.muted")));
    }
    // In brief, the agent and what it was asked; in full, how it ran too.
    let mut brief = agent.clone();
    let mut facts = format!(" · {}", t.kind.as_str().replace('_', " "));
    if let Some(task) = &t.task {
        facts.push_str(&format!(" · task {}", plain(task)));
    }
    facts.push_str(&format!(" · created {} ago", crate::words::age(&t.created)));
    agent.push(Span::styled(facts, th.style("text.muted")));
    let (name, asked) = match (&t.prompt, &t.command) {
        (Some(p), _) => ("prompt", p.replace(['\n', '\r'], " ")),
        (None, Some(c)) => ("command", c.join(" ")),
        (None, None) => ("prompt", String::new()),
    };
    let room = width.saturating_sub(LABEL);
    let mut full = vec![line(th, "agent", agent)];
    for (i, row) in rows_of(&asked, room, 2).into_iter().enumerate() {
        let name = if i == 0 { name } else { "" };
        full.push(line(th, name, vec![Span::styled(row, th.style("text"))]));
    }
    brief.push(Span::styled(" · ", th.style("text.muted")));
    let used: usize = brief.iter().map(Span::width).sum();
    brief.push(Span::styled(
        fit(&asked, room.saturating_sub(used)),
        th.style("text"),
    ));
    Part::new(3, full, vec![line(th, "agent", brief)])
}

/// The class, why it is that (the rules that raised it), and what its
/// slider does with it.
fn risk<'a>(app: &'a App, t: &'a Turn) -> Part<'a> {
    let th = &app.theme;
    let mut spans = vec![Span::styled(
        t.risk.as_str(),
        th.style(&format!("risk.{}", t.risk)),
    )];
    if t.escalations.is_empty() {
        spans.push(Span::styled(" as declared", th.style("text.muted")));
    } else {
        spans.push(Span::styled(
            format!(" ↑ raised from {}: ", t.declared_risk),
            th.style("risk.escalated"),
        ));
        let why: Vec<String> = t.escalations.iter().map(|e| plain(&e.because)).collect();
        spans.push(Span::styled(why.join("; "), th.style("text")));
    }
    let level = t.autonomy.unwrap_or_else(|| app.ws.level_for(t));
    spans.push(Span::styled(
        format!(" · autonomy {level}"),
        th.style("text.muted"),
    ));
    let l = line(th, "risk", spans);
    Part::new(0, vec![l.clone()], vec![l])
}

/// How it failed, when it did.
fn failure<'a>(th: &Theme, t: &'a Turn) -> Part<'a> {
    let Some(words) = failure_words(t) else {
        return Part::new(0, Vec::new(), Vec::new());
    };
    let mut spans = vec![Span::styled(words, th.style("failure"))];
    if let Some(a) = t.failure.and_then(|f| f.analogy()) {
        spans.push(Span::styled(format!(" — {a}"), th.style("text.muted")));
    }
    let l = line(th, "failed", spans);
    Part::new(0, vec![l.clone()], vec![l])
}

/// The invariants the turn broke, each with its first finding; those it
/// inherited from its base folded into a count.
fn invariants<'a>(th: &Theme, t: &'a Turn) -> Part<'a> {
    const NAME: &str = "invariants";
    if t.invariants.is_empty() {
        let l = line(
            th,
            NAME,
            vec![Span::styled("not checked", th.style("text.muted"))],
        );
        return Part::new(2, vec![l.clone()], vec![l]);
    }
    let failing = |r: &&crate::invariants::CheckResult| !passes(r);
    let introduced: Vec<&crate::invariants::CheckResult> = t
        .invariants
        .iter()
        .filter(failing)
        .filter(|r| t.introduced.contains(&r.name))
        .collect();
    let inherited = t
        .invariants
        .iter()
        .filter(failing)
        .filter(|r| !t.introduced.contains(&r.name))
        .count();
    let pass = t.invariants.iter().filter(|r| passes(r)).count();
    let mut rest = Vec::new();
    if inherited > 0 {
        rest.push(format!(
            "{inherited} failing inherited from its base, folded (4 lists them)"
        ));
    }
    rest.push(format!("{pass} pass"));
    let rest = rest.join(" · ");
    let mut full = Vec::new();
    for (i, r) in introduced.iter().take(3).enumerate() {
        let outcome = if r.outcome == Outcome::Fail {
            "fail"
        } else {
            "degraded"
        };
        let mut spans = vec![
            Span::styled(format!("✗ {} ", plain(&r.name)), th.style("failure")),
            Span::styled(format!("introduced ({outcome})"), th.style("text.muted")),
        ];
        if let Some(f) = r.findings.first() {
            let at = match f.line {
                Some(l) => format!("{}:{l}", f.path),
                None => f.path.clone(),
            };
            spans.push(Span::styled(" — ", th.style("text.muted")));
            spans.push(safe(&at, th.style("diff.file")));
            spans.push(Span::styled(": ", th.style("text.muted")));
            spans.push(safe(&f.message, th.style("text")));
        } else if let Some(d) = r.detail.lines().next() {
            spans.push(Span::styled(" — ", th.style("text.muted")));
            spans.push(safe(d, th.style("text")));
        }
        let more = r
            .findings_total
            .unwrap_or(r.findings.len())
            .saturating_sub(1);
        if more > 0 {
            spans.push(Span::styled(
                format!(" (+{more} more)"),
                th.style("text.muted"),
            ));
        }
        full.push(line(th, if i == 0 { NAME } else { "" }, spans));
    }
    if introduced.len() > 3 {
        full.push(line(
            th,
            "",
            vec![Span::styled(
                format!("… {} more introduced", introduced.len() - 3),
                th.style("failure"),
            )],
        ));
    }
    let head = if full.is_empty() { NAME } else { "" };
    full.push(line(
        th,
        head,
        vec![Span::styled(rest.clone(), th.style("text.muted"))],
    ));
    let names: Vec<String> = introduced.iter().map(|r| plain(&r.name)).collect();
    let brief = if names.is_empty() {
        vec![Span::styled(rest, th.style("text.muted"))]
    } else {
        vec![
            Span::styled(
                format!("✗ {} introduced: {}", names.len(), names.join(", ")),
                th.style("failure"),
            ),
            Span::styled(format!(" · {rest}"), th.style("text.muted")),
        ]
    };
    Part::new(1, full, vec![line(th, NAME, brief)])
}

/// What the turn read before it wrote, and its provenance warnings: the
/// sources its added lines cite that it did not read, or that changed
/// since it read them; writes with nothing read before; commands whose
/// reads cannot be known.
fn provenance<'a>(th: &Theme, t: &'a Turn) -> Part<'a> {
    const NAME: &str = "provenance";
    let warn = |text: String| Span::styled(text, th.style("warning"));
    let mut full: Vec<Vec<Span>> = Vec::new();
    let mut counts = Vec::new();
    for (problem, word) in [
        (Problem::Unread, "unread"),
        (Problem::Stale, "stale"),
        (Problem::Missing, "missing"),
    ] {
        let cited: Vec<&crate::invariants::Citation> = t
            .citations
            .iter()
            .filter(|c| c.problem == problem)
            .collect();
        if !cited.is_empty() {
            counts.push(format!("{} {word}", cited.len()));
        }
        for c in cited.iter().take(2) {
            let mut spans = vec![
                warn(format!("⚠ {word} ")),
                safe(&c.target, th.style("text")),
                Span::styled(" cited in ", th.style("text.muted")),
                safe(&format!("{}:{}", c.path, c.line), th.style("diff.file")),
            ];
            if let Some(d) = &c.detail {
                spans.push(Span::styled(" — ", th.style("text.muted")));
                spans.push(safe(d, th.style("text.muted")));
            }
            full.push(spans);
        }
    }
    // Reads before writes: what was read before the first write, or the
    // warning that nothing was.
    let first_write = t
        .actions
        .iter()
        .position(|a| !a.written.is_empty() || !a.paths_written.is_empty());
    let mut read: Vec<String> = Vec::new();
    for a in &t.actions[..first_write.unwrap_or(t.actions.len())] {
        let targets = a
            .sources
            .iter()
            .map(|s| s.target().to_string())
            .chain(a.paths_read.iter().cloned());
        for s in targets {
            if !read.contains(&s) {
                read.push(s);
            }
        }
    }
    let unknown: usize = t.actions.iter().map(|a| a.unknown_reads.len()).sum();
    let reads = match (first_write, t.action_count) {
        (_, 0) => Span::styled(
            "no tool calls reported: what it read before writing is not known",
            th.style("text.muted"),
        ),
        (None, _) => Span::styled("no writes by its tool calls", th.style("text.muted")),
        (Some(_), _) if read.is_empty() => {
            counts.push("a write before any read".into());
            warn("⚠ it wrote before it read anything".into())
        }
        (Some(_), _) => safe(
            &format!("read before writing: {}", read.join(", ")),
            th.style("text"),
        ),
    };
    if unknown > 0 {
        counts.push(format!("{unknown} unknown reads"));
        full.push(vec![warn(format!(
            "⚠ {} whose reads cannot be known (see 5)",
            crate::words::count(unknown, "command")
        ))]);
    }
    full.push(vec![reads.clone()]);
    let brief = if counts.is_empty() {
        vec![reads]
    } else {
        vec![
            warn(format!("⚠ {}", counts.join(", "))),
            Span::styled(" · ", th.style("text.muted")),
            reads,
        ]
    };
    let full = full
        .into_iter()
        .enumerate()
        .map(|(i, s)| line(th, if i == 0 { NAME } else { "" }, s))
        .collect();
    Part::new(1, full, vec![line(th, NAME, brief)])
}

/// The files it changed, each with its +/−, packed in rows.
fn files<'a>(app: &'a App, t: &'a Turn, width: usize) -> Part<'a> {
    const NAME: &str = "files";
    let th = &app.theme;
    let entries: Vec<(String, usize, usize)> = match &app.detail.diff.files {
        Some(Ok(files)) => files
            .iter()
            .map(|f| {
                let letter = super::diff::status_letter(f.status);
                (
                    format!("{letter} {}", plain(f.path())),
                    f.insertions,
                    f.deletions,
                )
            })
            .collect(),
        _ => t.paths.iter().map(|p| (plain(p), 0, 0)).collect(),
    };
    let counted = matches!(app.detail.diff.files, Some(Ok(_)));
    let head = Span::styled(
        format!(
            "{} +{} −{}  ",
            crate::words::count(t.files_changed.max(entries.len()), "file"),
            t.insertions,
            t.deletions
        ),
        th.style("text.muted"),
    );
    let room = width.saturating_sub(LABEL);
    let pack = |rows: usize| -> Vec<Line<'a>> {
        let mut out: Vec<Vec<Span<'a>>> = vec![vec![head.clone()]];
        let mut used = head.width();
        for (i, (name, ins, del)) in entries.iter().enumerate() {
            let counts = if counted {
                format!(" +{ins} −{del}")
            } else {
                String::new()
            };
            let w = name.chars().count() + counts.chars().count() + 3;
            if used + w > room && used > 0 {
                if out.len() == rows {
                    out.last_mut().expect("a row").push(Span::styled(
                        format!("… {} more", entries.len() - i),
                        th.style("text.muted"),
                    ));
                    break;
                }
                out.push(Vec::new());
                used = 0;
            }
            let row = out.last_mut().expect("a row");
            row.push(Span::styled(name.clone(), th.style("diff.file")));
            if counted {
                row.push(Span::styled(format!(" +{ins}"), th.style("diff.added")));
                row.push(Span::styled(format!(" −{del}"), th.style("diff.removed")));
            }
            row.push(Span::raw("   "));
            used += w;
        }
        out.into_iter()
            .enumerate()
            .map(|(i, s)| line(th, if i == 0 { NAME } else { "" }, s))
            .collect()
    };
    Part::new(2, pack(3), pack(1))
}
