//! The console: a full-screen TUI over the workspace. It tails the journal
//! and the turn logs (file watching, with a polling fallback), draws only
//! when something changed, and does git, diff, highlighting and file reads
//! on worker threads so it never freezes while agents stream.

pub mod action;
pub mod app;
pub mod highlight;
pub mod keymap;
pub mod settings;
pub mod theme;
pub mod views;

/// The transcript renderer lives in the library now (it is pure: no
/// terminal types); this path stays for the console's own modules.
pub use crate::transcript;
pub mod worker;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyEventKind, MouseEventKind};
use notify::Watcher;

use crate::agents::procs::{self, AgentProcess};
use crate::workspace::Workspace;
use app::App;
use worker::{Done, Worker};

/// What wakes the event loop.
pub enum Msg {
    Key(crossterm::event::KeyEvent),
    /// Text pasted into the terminal (bracketed paste), in one piece.
    Paste(String),
    /// A click or a wheel notch.
    Mouse(crossterm::event::MouseEvent),
    /// The terminal was resized or needs a redraw.
    Redraw,
    /// Something under `.git/leash` changed (journal or a turn log).
    Changed,
    /// The polling fallback and the clock in the age column.
    Tick,
    Done(Done),
    /// The agent processes running in the repository changed.
    Agents(Vec<AgentProcess>),
}

/// How often the fallback poll looks at the files (and the clock).
pub const TICK: Duration = Duration::from_millis(500);
/// Every this many ticks the tick thread looks for agent processes in the
/// repository (a walk over `/proc`), and wakes the loop only when what it
/// finds changed.
const AGENT_SCAN_TICKS: u32 = 10;
/// At most this often a frame is drawn.
const FRAME: Duration = Duration::from_millis(16);

/// Builds the app: workspace (on default config if the files are broken),
/// user settings, keymap and theme, each error collected to be shown.
pub fn build_app(dir: &Path) -> anyhow::Result<App> {
    let (ws, mut problems) = Workspace::open_lenient(dir)?;
    let config_dir = settings::config_dir();
    let (settings, e) = settings::load_settings(config_dir.as_deref());
    problems.extend(e.map(|e| e.to_string()));
    let (keymap, e) = keymap::load_from(config_dir.as_deref(), &settings.keymap);
    problems.extend(e.map(|e| format!("{e} — using the built-in keymap")));
    let (theme, e) = theme::load_from(config_dir.as_deref(), &settings.theme);
    problems.extend(e.map(|e| format!("{e} — using the built-in theme")));
    let theme = if theme::Theme::colour_forbidden() {
        theme.without_colour()
    } else {
        theme
    };
    Ok(App::new(ws, keymap, theme, settings, problems))
}

/// Opens the console on the workspace holding `dir`.
pub fn run(dir: &Path, demo: bool) -> anyhow::Result<()> {
    let mut app = build_app(dir)?;
    app.demo = demo;
    // Hooks know an operator is present while the console is open.
    let _lock = app.ws.hold_console();
    let (tx, rx) = channel::<Msg>();
    spawn_input(tx.clone());
    let mut terminal = ratatui::init();
    // A paste arrives as one piece, so its line breaks are not enter keys.
    let _ = crossterm::execute!(std::io::stdout(), event::EnableBracketedPaste);
    mouse_capture();
    let result = serve(&mut terminal, &mut app, TICK, None, tx, rx);
    mouse_release();
    let _ = crossterm::execute!(std::io::stdout(), event::DisableBracketedPaste);
    ratatui::restore();
    result
}

/// Asks the terminal for clicks and the wheel (a click selects, the wheel
/// scrolls) — not for motion, so moving the mouse sends nothing — and gives
/// them back before a panic's message is printed.
fn mouse_capture() {
    // Button presses and releases, wheel included (1000), in SGR form (1006).
    let mut out = std::io::stdout();
    let _ = out.write_all(b"\x1b[?1000h\x1b[?1006h");
    let _ = out.flush();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        mouse_release();
        hook(info);
    }));
}

/// Gives the mouse back to the terminal (its own selection and scrolling).
fn mouse_release() {
    let mut out = std::io::stdout();
    let _ = out.write_all(b"\x1b[?1006l\x1b[?1000l");
    let _ = out.flush();
}

/// What the event loop did, told as it happens (see [`serve`]): how tests
/// prove that an idle console does nothing and a change is seen once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// A frame was drawn.
    Drew,
    /// The journal and logs were read again.
    Refreshed,
}

/// Runs the console on `terminal` until the app quits: the file watcher,
/// the tick (every `tick`) and the worker are started here; keys and
/// redraw requests come through `tx` (whose other end is `rx`). Each draw
/// and refresh is told to `probe` when one is given.
pub fn serve<B: ratatui::backend::Backend>(
    terminal: &mut ratatui::Terminal<B>,
    app: &mut App,
    tick: Duration,
    probe: Option<Sender<Seen>>,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let worker = Worker::start(app.ws.root.clone(), tx.clone(), Msg::Done);
    let pending = Arc::new(AtomicBool::new(false));
    let _watcher = watch(app.ws.leash_dir(), tx.clone(), pending.clone());
    spawn_ticks(tx, app.ws.root.clone(), tick);
    event_loop(terminal, app, &worker, &rx, &pending, probe.as_ref())
}

fn event_loop<B: ratatui::backend::Backend>(
    terminal: &mut ratatui::Terminal<B>,
    app: &mut App,
    worker: &Worker,
    rx: &Receiver<Msg>,
    pending: &AtomicBool,
    probe: Option<&Sender<Seen>>,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let tell = |seen: Seen| {
        if let Some(p) = probe {
            let _ = p.send(seen);
        }
    };
    let journal_len = |app: &App| {
        std::fs::metadata(app.ws.journal_path())
            .map(|m| m.len())
            .ok()
    };
    // The selected turn's output: its log, or an in-place turn's session
    // transcript (which lives outside the watched folder: the tick sees it).
    let log_len = |app: &App| {
        app.current().and_then(|t| {
            let path = app
                .transcript_of(t)
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| app.ws.turn_dir(&t.id).join("output.log"));
            std::fs::metadata(path).map(|m| m.len()).ok()
        })
    };
    // What the last look saw. A look that sees the same needs no refresh:
    // a burst of file events about one write (its data, then its close) is
    // one change, and a tick over unchanged files is nothing.
    let mut last_look = (journal_len(app), log_len(app));
    let mut last_draw = Instant::now() - FRAME;
    let mut dirty = true;
    // Input is drawn at once, ahead of everything else; background changes
    // (output, the journal, finished work) are looked at and drawn at the
    // frame cap, coalesced, so a key never waits behind them.
    let mut urgent = false;
    // A file event or a tick waiting for its look, and whether a tick is
    // among them (the clock may have moved an age label on screen).
    let (mut look_due, mut tick_due) = (false, false);
    // The age labels on screen: the only thing the clock changes.
    let mut ages: Vec<(String, String)> = Vec::new();
    loop {
        for job in app.outbox.jobs.drain(..) {
            worker.request(job);
        }
        for op in app.take_ops() {
            worker.op(op);
        }
        for text in app.outbox.bells.drain(..) {
            ring(&app.settings, &text);
        }
        if app.quit {
            return Ok(());
        }
        let frame_wait = FRAME.saturating_sub(last_draw.elapsed());
        if look_due && frame_wait.is_zero() && !urgent {
            look_due = false;
            let look = (journal_len(app), log_len(app));
            if look != last_look {
                last_look = look;
                app.on_changed();
                tell(Seen::Refreshed);
                dirty = true;
            } else if tick_due && crate::words::ages_moved(&ages) {
                dirty = true;
            }
            tick_due = false;
        }
        if dirty && (frame_wait.is_zero() || urgent) {
            let mut report = None;
            let (drawn, seen) = crate::words::record_ages(|| {
                terminal
                    .draw(|f| report = Some(views::draw(f, app)))
                    .map(drop)
            });
            drawn?;
            ages = seen;
            if let Some(report) = report {
                app.on_drawn(report);
            }
            tell(Seen::Drew);
            last_draw = Instant::now();
            dirty = false;
            urgent = false;
            // The frame may ask for highlights of what became visible.
            continue;
        }
        let msg = if dirty || look_due {
            match rx.recv_timeout(frame_wait) {
                Ok(m) => m,
                Err(_) => continue,
            }
        } else {
            match rx.recv() {
                Ok(m) => m,
                Err(_) => return Ok(()),
            }
        };
        // A key, a resize, finished work is worth a frame; a tick or a file
        // event only when its look finds a change.
        dirty |= !matches!(msg, Msg::Tick | Msg::Changed);
        urgent |= matches!(
            msg,
            Msg::Key(_) | Msg::Paste(_) | Msg::Mouse(_) | Msg::Redraw
        );
        match msg {
            Msg::Key(k) => app.on_key(k),
            Msg::Paste(text) => app.on_paste(&text),
            Msg::Mouse(m) => app.on_mouse(m),
            Msg::Redraw => {}
            Msg::Changed => {
                // Changes from here on ask for another look.
                pending.store(false, Ordering::SeqCst);
                look_due = true;
            }
            Msg::Tick => {
                look_due = true;
                tick_due = true;
            }
            Msg::Done(d) => app.on_done(d),
            Msg::Agents(list) => app.agent_procs = list,
        }
    }
}

/// Rings the terminal bell, and sends a desktop notification (OSC 9) when
/// the user asked for it.
fn ring(settings: &settings::UserSettings, text: &str) {
    let mut out = std::io::stdout();
    if settings.bell {
        let _ = out.write_all(b"\x07");
    }
    if settings.notify_osc9 {
        let safe: String = crate::sanitize::plain(text)
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let _ = write!(out, "\x1b]9;{safe}\x07");
    }
    let _ = out.flush();
}

/// Whether a file-system event can change what the console shows: content
/// written, a file made, renamed or removed. Opening and reading a file —
/// which the console itself does on every look — is not, or each look
/// would cause the next and an idle console would never sleep.
fn changes_content(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// Watches `dir` and sends one `Msg::Changed` per burst of changes: while
/// one waits in the queue (`pending`), further events add nothing.
fn watch(
    dir: &Path,
    tx: Sender<Msg>,
    pending: Arc<AtomicBool>,
) -> Option<notify::RecommendedWatcher> {
    let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(event) = res
            && changes_content(&event.kind)
            && !pending.swap(true, Ordering::SeqCst)
        {
            let _ = tx.send(Msg::Changed);
        }
    })
    .ok()?;
    // Without a watcher the tick's polling still sees every change.
    w.watch(dir, notify::RecursiveMode::Recursive).ok()?;
    Some(w)
}

fn spawn_input(tx: Sender<Msg>) {
    thread::spawn(move || {
        loop {
            let msg = match event::read() {
                Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
                Ok(Event::Paste(text)) => Msg::Paste(text),
                // Clicks and the wheel; moving the mouse wakes nothing.
                Ok(Event::Mouse(m))
                    if matches!(
                        m.kind,
                        MouseEventKind::Down(_)
                            | MouseEventKind::ScrollUp
                            | MouseEventKind::ScrollDown
                    ) =>
                {
                    Msg::Mouse(m)
                }
                Ok(Event::Resize(..)) | Ok(Event::FocusGained) => Msg::Redraw,
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
}

fn spawn_ticks(tx: Sender<Msg>, root: std::path::PathBuf, tick: Duration) {
    thread::spawn(move || {
        let mut known: Vec<AgentProcess> = Vec::new();
        let mut n: u32 = 0;
        loop {
            if n.is_multiple_of(AGENT_SCAN_TICKS) {
                let found = procs::agents_in(&root);
                if found != known {
                    known = found.clone();
                    if tx.send(Msg::Agents(found)).is_err() {
                        return;
                    }
                }
            }
            n = n.wrapping_add(1);
            if tx.send(Msg::Tick).is_err() {
                return;
            }
            thread::sleep(tick);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::changes_content;
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, EventKind, MetadataKind, ModifyKind,
        RemoveKind,
    };

    #[test]
    fn only_events_that_change_content_wake_the_console() {
        // The console's own reads: opening, reading, closing unwritten.
        for quiet in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
            EventKind::Any,
            EventKind::Other,
        ] {
            assert!(!changes_content(&quiet), "{quiet:?}");
        }
        for change in [
            EventKind::Create(CreateKind::File),
            EventKind::Remove(RemoveKind::File),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
        ] {
            assert!(changes_content(&change), "{change:?}");
        }
    }
}
