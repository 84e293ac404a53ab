//! `leash turns | show | diff | log`, and the status shown by a bare `leash`.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use super::{CliResult, DiffArgs, LogArgs, ShowArgs, TurnsArgs, open_read_only, out, print_json};
use crate::diff::patch::{self, PatchLine};
use crate::model::short;
use crate::model::{DecidedBy, TurnState};
use crate::state::Turn;
use crate::workspace::Workspace;
use crate::{say, tell};

/// A turn's row in `leash turns --json`: with `autonomy` filled in for a
/// turn that has none of its own.
fn row<'a>(ws: &Workspace, t: &'a Turn) -> crate::state::TurnRow<'a> {
    crate::state::TurnRow::at(t, t.autonomy.unwrap_or_else(|| ws.level_for(t)))
}

/// A turn as `--json` shows it: every folded field, with `autonomy` filled
/// in for turns that have not finished yet.
pub fn turn_json(ws: &Workspace, turn: &Turn) -> Value {
    let mut v = serde_json::to_value(turn).expect("turns serialize");
    if turn.autonomy.is_none() {
        v["autonomy"] = json!(ws.level_for(turn));
    }
    v
}

/// One sentence on where a turn stands and why.
pub fn summary_line(ws: &Workspace, t: &Turn) -> String {
    let mut s = format!("{} {}", out::field(&t.id), t.state);
    match t.state {
        TurnState::Landed => {
            if let Some(c) = &t.landed_commit {
                s.push_str(&format!(
                    " as {} on {}",
                    short(c),
                    t.branch.as_deref().unwrap_or("?")
                ));
            }
        }
        TurnState::Rejected => {
            if let Some(k) = &t.kept_at {
                s.push_str(&format!(" (kept at {k})"));
            }
        }
        _ => {}
    }
    let mut reason = t.reason.as_str();
    if let Some(f) = t.failure {
        s.push_str(&format!(" — {} ({f})", f.shown_as()));
        reason = reason.strip_prefix(&f.reason_prefix()).unwrap_or(reason);
    }
    if !reason.is_empty() {
        s.push_str(&format!(" — {}", out::field(reason)));
    }
    if t.state == TurnState::AwaitingReview {
        s.push_str(&format!(
            "\n  review: leash diff {0} · leash approve {0} · leash reject {0} --reason …",
            t.id
        ));
    }
    let _ = ws;
    s
}

/// Bare `leash`: where the workspace stands.
pub fn status(dir: &Path) -> CliResult {
    let ws = open_read_only(dir)?;
    let (branch, head) = ws.branch_and_head_shown()?;
    let count = |s: TurnState| ws.state().turns().iter().filter(|t| t.state == s).count();
    say!(
        "workspace {}  branch {branch}  head {head}",
        ws.root().display()
    );
    say!(
        "{}: {} running, {} awaiting review, {} landed",
        crate::words::count(ws.state().turns().len(), "turn"),
        count(TurnState::Running),
        count(TurnState::AwaitingReview),
        count(TurnState::Landed)
    );
    say!("`leash --help` lists the commands; `leash turns` lists the turns.");
    Ok(0)
}

/// `leash turns --json`, every turn: the turns settled at the fold snapshot
/// are copied from its rows, the rest (live, or changed since) made here,
/// in the journal's order — what [`turns`] lists, without parsing a long
/// history's every turn and writing it out again.
pub fn turns_json(dir: &Path) -> CliResult {
    let ws = super::open_read_only_live(dir)?;
    if !ws.settled_left_out() {
        // No snapshot: the state holds every turn.
        return write_rows(&ws, Vec::new());
    }
    let rows = ws.settled_rows();
    match rows
        .as_deref()
        .and_then(crate::workspace::parse_settled_rows)
        .and_then(|entries| settled_rows(&ws, entries))
    {
        Some(settled) => write_rows(&ws, settled),
        // A snapshot whose rows are gone or damaged: read it all.
        None => {
            drop(ws);
            turns(&open_read_only(dir)?, all_json())
        }
    }
}

/// The rows of the settled turns the state does not hold (a turn it holds,
/// live or named by a line after the snapshot, is newer), a row that
/// follows the sliders made from its settled line; `None` when one cannot
/// be read.
fn settled_rows<'a>(
    ws: &Workspace,
    entries: Vec<crate::workspace::RowEntry<'a>>,
) -> Option<Vec<Settled<'a>>> {
    entries
        .into_iter()
        .filter(|e| ws.state().turn(e.id).is_none())
        .map(|e| {
            let made = match e.row {
                crate::workspace::RowText::Ready(bytes) => Row::Ready(bytes),
                crate::workspace::RowText::At { at, len } => {
                    Row::Made(out::json_line(&row(ws, &ws.settled_turn_at(at, len)?)))
                }
            };
            Some((e.key, made))
        })
        .collect()
}

/// A settled turn's row: copied from the snapshot, or made again.
enum Row<'a> {
    Ready(&'a [u8]),
    Made(String),
}

type Settled<'a> = (crate::state::OrderKey, Row<'a>);

fn all_json() -> TurnsArgs {
    TurnsArgs {
        json: true,
        state: None,
    }
}

/// Writes the JSON list of `settled` rows (in order) merged, in journal
/// order, with the turns the state holds.
fn write_rows(ws: &Workspace, settled: Vec<Settled>) -> CliResult {
    use std::io::Write;
    let state = ws.state();
    let key = |t: &Turn| crate::state::order_key(state.spans(&t.id), &t.id);
    let mut held: Vec<&Turn> = state.turns().iter().collect();
    held.sort_by_key(|t| key(t));
    let mut held = held.into_iter().peekable();
    let mut settled = settled.into_iter().peekable();
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut written = w.write_all(b"[");
    let mut first = true;
    while written.is_ok() {
        let from_held = match (held.peek(), settled.peek()) {
            (Some(t), Some((k, _))) => key(t) <= *k,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        written = w.write_all(if first { b"\n" } else { b",\n" });
        first = false;
        if written.is_err() {
            break;
        }
        written = if from_held {
            let t = held.next().expect("peeked");
            w.write_all(out::json_line(&row(ws, t)).as_bytes())
        } else {
            match settled.next().expect("peeked").1 {
                Row::Ready(bytes) => w.write_all(bytes),
                Row::Made(text) => w.write_all(text.as_bytes()),
            }
        };
    }
    // A reader that went away (`| head`) is not an error of the list.
    let _ = written
        .and_then(|()| w.write_all(b"\n]\n"))
        .and_then(|()| w.flush());
    Ok(0)
}

pub fn turns(ws: &Workspace, a: TurnsArgs) -> CliResult {
    let list: Vec<&Turn> = ws
        .state()
        .turns()
        .iter()
        .filter(|t| a.state.is_none_or(|s| t.state == s))
        .collect();
    if a.json {
        // One turn a line, each written out as it is made: a long history
        // lists thousands, and the list is never held whole.
        use std::io::Write;
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        let mut written = w.write_all(b"[");
        for (i, t) in list.iter().enumerate() {
            if written.is_err() {
                break;
            }
            written = w
                .write_all(if i == 0 { b"\n" } else { b",\n" })
                .and_then(|()| w.write_all(out::json_line(&row(ws, t)).as_bytes()));
        }
        // A reader that went away (`| head`) is not an error of the list.
        let _ = written
            .and_then(|()| w.write_all(b"\n]\n"))
            .and_then(|()| w.flush());
        return Ok(0);
    }
    if list.is_empty() && !ws.state().turns().is_empty() {
        let state = a.state.map(|s| s.as_str()).unwrap_or_default();
        say!(
            "no {state} turns (of {}; `leash turns` lists them all)",
            crate::words::count(ws.state().turns().len(), "turn")
        );
        return Ok(0);
    }
    if list.is_empty() {
        say!("no turns yet — start one with `leash run`");
        return Ok(0);
    }
    say!(
        "{:<6}{:<17}{:<9}{:<9}{:<20}{:>12}{:>6}  TITLE",
        "ID",
        "STATE",
        "RISK",
        "AUTONOMY",
        "FAILURE",
        "+/-",
        "AGE"
    );
    // Newest first, as in the console and `git log`.
    for t in list.into_iter().rev() {
        let risk = if t.escalations.is_empty() {
            t.risk.to_string()
        } else {
            format!("{}↑", t.risk)
        };
        let level = t.autonomy.unwrap_or_else(|| ws.level_for(t));
        say!(
            "{:<6}{:<17}{:<9}{:<9}{:<20}{:>12}{:>6}  {}",
            t.id,
            t.state.as_str(),
            risk,
            level.as_str(),
            t.failure.map(|f| f.as_str()).unwrap_or("-"),
            format!("+{} -{}", t.insertions, t.deletions),
            crate::words::age(&t.created),
            t.title
        );
    }
    Ok(0)
}

/// `leash show TURN --hunks`: the turn's hunks, numbered as `leash approve
/// TURN --hunks` takes them.
fn show_hunks(ws: &Workspace, a: &ShowArgs) -> CliResult {
    let units = ws.turn_hunks(&a.turn)?;
    if a.json {
        let v = json!({"turn": a.turn, "hunks": units});
        print_json(&v);
        return Ok(0);
    }
    if units.is_empty() {
        say!("{} changes nothing", a.turn);
        return Ok(0);
    }
    ws.note_shown(&a.turn, "hunks", false);
    for u in &units {
        let what = match (&u.header, u.whole) {
            (Some(h), _) if u.function.is_empty() => h.clone(),
            (Some(h), _) => format!("{h} {}", u.function),
            (None, why) => format!("({})", why.unwrap_or("whole file")),
        };
        let name = match &u.old_path {
            Some(o) => format!("{o} → {}", u.path),
            None => u.path.clone(),
        };
        say!(
            "{:>4}  {name}  {what}  +{} -{}",
            u.n,
            u.insertions,
            u.deletions
        );
    }
    Ok(0)
}

pub fn show(ws: &Workspace, a: ShowArgs) -> CliResult {
    if a.hunks {
        return show_hunks(ws, &a);
    }
    let t = ws.whole_turn(&a.turn)?;
    let t = t.as_ref();
    let records = ws.turn_records(&t.id)?;
    let log = ws.turn_dir(&t.id).join("output.log");
    if a.json {
        let mut v = turn_json(ws, t);
        // One turn: its invariants with every finding (the journal keeps the
        // first few of each; the rest are in the check's file beside it).
        let invariants = ws.full_results(t.invariants_findings.as_deref(), &t.invariants);
        v["invariants"] = serde_json::to_value(&invariants).expect("results serialize");
        v["events"] = serde_json::to_value(&records).expect("records serialize");
        v["output_log"] = json!(log.display().to_string());
        let followers = ws.followed_by(&t.id);
        if !followers.is_empty() {
            v["followed_by"] = json!(followers);
        }
        print_json(&v);
        return Ok(0);
    }
    ws.note_shown(&t.id, "show", false);
    say!("{}  {}", t.id, t.title);
    say!("  state      {}", t.state);
    if let Some(f) = &t.follows {
        say!(
            "  follows    {} {}: {}",
            f.how.verb(),
            f.parent,
            match &f.session {
                Some(s) => format!("continues the agent's session {s}"),
                None => "a fresh run with the prompt leash built".into(),
            }
        );
    }
    let followers = ws.followed_by(&t.id);
    if !followers.is_empty() {
        say!("  followed   by {}", followers.join(", "));
    }
    let level = t.autonomy.unwrap_or_else(|| ws.level_for(t));
    say!(
        "  risk       {} (declared {}) · autonomy {level}",
        t.risk,
        t.declared_risk
    );
    for e in &t.escalations {
        say!("  escalated  {} → {}: {}", e.from, e.to, e.because);
    }
    if !t.reason.is_empty() {
        say!("  why        {}", t.reason);
    }
    if let Some(f) = t.failure {
        say!(
            "  failure    {} ({f}){}",
            f.shown_as(),
            f.analogy().map(|a| format!(" — {a}")).unwrap_or_default()
        );
    }
    if let Some(d) = &t.denials {
        say!("  denied     {}", d.sentence());
    }
    for c in &t.citations {
        say!(
            "  cites      {} (in {}:{})",
            out::field(&c.message()),
            out::field(&c.path),
            c.line
        );
    }
    let agent = match &t.command {
        Some(argv) => format!("{} · {}", t.agent, crate::words::quote_argv(argv)),
        None => t.agent.clone(),
    };
    say!("  agent      {agent}");
    if let Some(c) = &t.confinement {
        say!("  confined   {}", out::field(&c.summary()));
        for w in &c.writable {
            say!("  writable   {}", out::field(w));
        }
    }
    for p in &t.refused_writes {
        say!(
            "  refused    {} (a write the kernel refused)",
            out::field(p)
        );
    }
    if let Some(task) = &t.task {
        say!("  task       {task}");
    }
    if t.kind == crate::model::TurnKind::InPlace {
        // An in-place turn's base is leash's own snapshot of the checkout,
        // not a commit of the branch.
        say!(
            "  base       {} (leash's snapshot of the checkout before the turn; working on {})",
            t.base.as_deref().map(short).unwrap_or("(none)"),
            t.branch.as_deref().unwrap_or("a detached HEAD")
        );
    } else {
        say!(
            "  base       {} on {}",
            t.base.as_deref().map(short).unwrap_or("(unborn)"),
            t.branch.as_deref().unwrap_or("(detached HEAD)")
        );
    }
    match (t.exit, t.signal) {
        (Some(c), _) => say!("  exit       {c}"),
        (None, Some(s)) => say!("  exit       signal {s}"),
        _ => {}
    }
    if t.state != TurnState::Running {
        say!(
            "  changes    {}, +{} -{}",
            crate::words::count(t.files_changed, "file"),
            t.insertions,
            t.deletions
        );
    }
    if let Some(c) = &t.commit {
        say!("  commit     {} (refs/leash/turns/{})", short(c), t.id);
    }
    if let Some(d) = &t.decision {
        let by = match d.by {
            DecidedBy::Policy => "policy".to_string(),
            other => other.to_string(),
        };
        say!(
            "  decision   {} by {by}{}",
            d.decision,
            d.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
        if let Some(r) = &d.receipt {
            say!("  receipt    {}", r.describe());
        }
    }
    if let Some(p) = t.decision.as_ref().and_then(|d| d.partial.as_ref()) {
        let numbers = |h: &[crate::model::HunkRef]| -> String {
            h.iter()
                .map(|h| h.n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        say!(
            "  partial    hunks {} accepted; {} kept aside",
            numbers(&p.accepted),
            numbers(&p.rejected)
        );
    }
    if let Some(c) = &t.landed_commit {
        say!("  landed     {}", short(c));
    }
    if let Some(k) = &t.kept_at
        && t.state == TurnState::Landed
    {
        say!("  kept aside {k} (the hunks not landed)");
    }
    for c in &t.comments {
        let at = match (c.line, c.old_line) {
            (Some(n), _) => format!("{}:{n}", c.path),
            (None, Some(o)) => format!("{} (removed line {o})", c.path),
            (None, None) => c.path.clone(),
        };
        say!("  comment    {}: {}", out::field(&at), out::field(&c.text));
    }
    if let Some(from) = &t.drift_from {
        say!(
            "  drift      the branch had moved to {} during the turn",
            short(from)
        );
    }
    if let Some(c) = &t.rollback_commit {
        say!("  reverted   by {}", short(c));
    }
    if let Some(k) = &t.kept_at {
        say!("  kept at    {k}");
    }
    if let Some(w) = &t.worktree
        && Path::new(w).exists()
    {
        say!("  worktree   {w}");
    }
    for n in &t.notes {
        say!("  note       {n}");
    }
    say!("  output     {}", log.display());
    say!("  events");
    for r in &records {
        say!("    {:>4} {}  {}", r.seq, &r.ts, r.event.describe());
    }
    Ok(0)
}

pub fn diff(ws: &Workspace, a: DiffArgs) -> CliResult {
    let t = ws.turn(&a.turn)?;
    // This process only shows what is in the repository, then exits.
    crate::workspace::reads_only_to_display();
    // The same model the console draws: one count, renames found.
    let files = if a.against_parent {
        ws.diff_against_parent(&t.id)?
    } else {
        ws.diff_files(&t.id)?
    };
    if a.json {
        print_json(&json!({
            "turn": t.id,
            "state": t.state,
            "partial": t.commit.is_none(),
            "against": a.against_parent.then(|| t.follows.as_ref().map(|f| f.parent.clone())),
            "files": files.iter().map(|f| json!({
                "path": f.path(),
                "old_path": f.old_path,
                "insertions": f.insertions,
                "deletions": f.deletions,
            })).collect::<Vec<_>>(),
            "patch": patch::unified(&files),
        }));
        return Ok(0);
    }
    if t.commit.is_none() && !files.is_empty() {
        tell!(
            "leash: {} is {}: these are the partial changes in its worktree",
            t.id,
            t.state
        );
    }
    if a.stat {
        ws.note_shown(&t.id, "stat", false);
        for f in &files {
            say!(" {} | +{} -{}", f.name(), f.insertions, f.deletions);
        }
        let s = crate::diff::stats(&files);
        say!(
            " {} changed, {}(+), {}(-)",
            crate::words::count(s.files, "file"),
            crate::words::count(s.insertions, "insertion"),
            crate::words::count(s.deletions, "deletion"),
        );
        return Ok(0);
    }
    let color = out::colored(a.color);
    // Buffered: a large diff is written in a few writes, not one per line.
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut open = true;
    patch::write(&files, |kind, line| {
        // Diff text is untrusted: escapes and control characters become
        // visible markers so a file's content cannot drive the terminal.
        let style = match kind {
            PatchLine::FileHeader => out::style::BOLD,
            PatchLine::HunkHeader => out::style::CYAN,
            PatchLine::Added => out::style::GREEN,
            PatchLine::Removed => out::style::RED,
            _ => out::style::PLAIN,
        };
        // A CRLF file's lines end in `\r`: the line ending, not a control
        // character to show, as `git diff` shows it on a terminal.
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = if color {
            out::painted(style, line)
        } else {
            out::field(line)
        };
        open = writeln!(stdout, "{line}").is_ok();
        open
    });
    // A reader that went away (a closed pipe) is not an error here either.
    if open {
        open = stdout.flush().is_ok();
    }
    drop(stdout);
    // The whole diff went out, to its last line, unless its reader left.
    ws.note_shown(&t.id, "diff", open && !files.is_empty());
    Ok(0)
}

pub fn log(ws: &mut Workspace, a: LogArgs) -> CliResult {
    let mut offset = 0u64;
    loop {
        let (records, next) = ws.records_from(offset);
        offset = next;
        let mut out = std::io::stdout().lock();
        for r in &records {
            let line = if a.json {
                out::json_line(r)
            } else {
                out::field(&format!("{:>5} {}  {}", r.seq, r.ts, r.event.describe()))
            };
            if writeln!(out, "{line}").is_err() {
                return Ok(0);
            }
        }
        let _ = out.flush();
        if !a.follow {
            return Ok(0);
        }
        // Following is a person watching a file: a short poll is plenty.
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_turn_has_every_field_of_the_turn_but_its_events_and_actions() {
        let line = r#"{"v":1,"seq":1,"ts":"2026-01-01T00:00:00.000Z","kind":"turn_created","turn":"t1","agent":"claude","turn_kind":"isolated","risk":"low","title":"x","policy":"0123456789abcdef0123456789abcdef01234567"}"#;
        let mut state = crate::state::State::default();
        state.apply(&crate::journal::parse_line(line.as_bytes()).unwrap());
        // The fields left out when empty, filled in.
        let mut t = state.turn("t1").unwrap().clone();
        t.model = Some("m".into());
        t.rollback = Some(crate::state::RollbackAsked {
            ts: "2026-01-01T00:00:00.000Z".into(),
            reason: None,
        });
        t.comments = vec![crate::state::LineComment {
            ts: "2026-01-01T00:00:00.000Z".into(),
            path: "a.md".into(),
            line: Some(1),
            old_line: None,
            text: "why".into(),
        }];
        t.last_action_at = Some("2026-01-01T00:00:00.000Z".into());
        t.invariants_findings = Some("checks/x.json".into());
        t.notified = vec!["t1.a1".into()];
        let t = &t;
        let keys = |v: Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let mut whole = keys(serde_json::to_value(t).unwrap());
        whole.retain(|k| k != "events" && k != "actions");
        let row = keys(
            serde_json::to_value(crate::state::TurnRow::at(
                t,
                crate::model::AutonomyLevel::Auto,
            ))
            .unwrap(),
        );
        assert_eq!(row, whole);
    }
}
