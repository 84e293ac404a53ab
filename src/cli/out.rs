//! The command line's one output layer. Every line a person reads passes
//! through here: titles, prompts, reasons, paths and the gate's summaries
//! are written by agents (or by whoever wrote a config or a file name), so
//! they are sanitized as the console sanitizes them — escape sequences
//! become `⟨esc⟩`, controls their Control Pictures, bidi and zero-width
//! characters `<RLO>`-style markers — and when anything was hidden, one
//! warning line on stderr says so when the command ends.
//!
//! JSON keeps text exact but never raw: besides what serde_json escapes
//! (C0 controls), C1 controls, DEL, bidi controls, line separators and
//! zero-width characters are written as `\uXXXX`, so a consumer that prints
//! a field still cannot be driven by it.
//!
//! Use the `say!` (stdout) and `tell!` (stderr) macros; the only bytes that
//! bypass the sanitizer are the colours leash paints itself (anstyle styles,
//! when [`colored`] says so) around text that has been sanitized
//! ([`painted`]), and the hook gate's answer to an agent.

use std::io::Write;
use std::sync::Mutex;

use crate::sanitize::{self, Findings};

/// What was hidden in this process's output so far.
static HIDDEN: Mutex<Findings> = Mutex::new(Findings {
    escapes_removed: 0,
    controls: 0,
    bidi: 0,
    zero_width: 0,
    truncated: false,
});

/// Sanitizes text meant as one line: a line break inside it (a title or a
/// command an agent wrote with a newline, which could forge a row of a
/// table) shows as `␊`. Counts what was hidden.
pub fn field(text: &str) -> String {
    if printable_ascii(text) {
        return text.to_string();
    }
    let safe = sanitize::plain_line(text);
    note(safe.findings);
    safe.plain()
}

/// Nothing to sanitize: printable ASCII only (the common case, kept fast).
fn printable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

fn note(found: Findings) {
    if found != Findings::default() {
        HIDDEN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .merge(found);
    }
}

/// Sanitizes `text` line by line (a '\n' stays a line break: for messages
/// leash writes over several lines), counting what was hidden.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut found = Findings::default();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        if printable_ascii(line) {
            out.push_str(line);
            continue;
        }
        let safe = sanitize::plain_line(line);
        found.merge(safe.findings);
        out.push_str(&safe.plain());
    }
    note(found);
    out
}

/// Writes one sanitized line to stdout (a line break inside shows as `␊`);
/// false when stdout is closed (a reader such as `head` went away), so
/// loops can stop.
pub fn stdout_line(text: &str) -> bool {
    let line = field(text);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").is_ok()
}

/// Writes sanitized text to stderr; its own line breaks are kept.
pub fn stderr_line(text: &str) {
    let line = clean(text);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether to colour stdout: `--color always` or `never` as asked; `auto`
/// as anstream decides — a terminal that supports colour, unless `NO_COLOR`
/// is set or `CLICOLOR=0`, and always when `CLICOLOR_FORCE` is set.
pub fn colored(when: super::ColorWhen) -> bool {
    use anstream::ColorChoice;
    let choice = match when {
        super::ColorWhen::Always => ColorChoice::Always,
        super::ColorWhen::Never => ColorChoice::Never,
        super::ColorWhen::Auto => anstream::AutoStream::choice(&std::io::stdout()),
    };
    matches!(choice, ColorChoice::Always | ColorChoice::AlwaysAnsi)
}

/// The styles leash paints its own output with.
pub mod style {
    use anstyle::{AnsiColor, Style};

    pub const PLAIN: Style = Style::new();
    pub const BOLD: Style = Style::new().bold();
    pub const RED: Style = AnsiColor::Red.on_default();
    pub const GREEN: Style = AnsiColor::Green.on_default();
    pub const CYAN: Style = AnsiColor::Cyan.on_default();
}

/// Text sanitized first, then wrapped in a style leash chose (the plain
/// style adds nothing).
pub fn painted(style: anstyle::Style, text: &str) -> String {
    let safe = field(text);
    if style == anstyle::Style::new() {
        return safe;
    }
    format!("{style}{safe}{style:#}")
}

pub use crate::sanitize::escape_json;

/// A value as pretty JSON, escaped as [`escape_json`] says.
pub fn json_pretty(v: &impl serde::Serialize) -> String {
    escape_json(serde_json::to_string_pretty(v).expect("values of leash serialize"))
}

/// A value as one line of JSON, escaped as [`escape_json`] says.
pub fn json_line(v: &impl serde::Serialize) -> String {
    escape_json(serde_json::to_string(v).expect("values of leash serialize"))
}

/// Set when the command asked for `--json`: what it says on stderr is then
/// JSON too, one object per line, so a program reading it is never handed
/// a line of prose.
static JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes stderr's notices JSON objects (`--json`) or lines of text.
pub fn set_json(on: bool) {
    JSON.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether messages on stderr are JSON (see [`set_json`]).
pub fn json() -> bool {
    JSON.load(std::sync::atomic::Ordering::Relaxed)
}

/// Tells the operator something on stderr that is not the command's answer
/// (`kind`: "warning" or "notice"): `leash: warning: …` as text, or
/// `{"warning": "…"}` with `--json`.
pub fn notice(kind: &str, text: &str) {
    if JSON.load(std::sync::atomic::Ordering::Relaxed) {
        let line = json_line(&serde_json::json!({ kind: text }));
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    } else if kind == "warning" {
        crate::tell!("leash: warning: {text}");
    } else {
        crate::tell!("leash: {text}");
    }
}

/// Says on stderr, once, what this process hid from its output. Called when
/// a command ends.
pub fn finish() {
    let found = *HIDDEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(line) = warning(&found) {
        notice("warning", &line);
    }
}

/// The warning line for what was hidden, if anything was.
pub fn warning(found: &Findings) -> Option<String> {
    let parts: Vec<String> = [
        (found.escapes_removed, "escape sequence", "⟨esc⟩"),
        (found.controls, "control character", "␛ ␇ <U+009B>"),
        (found.bidi, "bidi control", "<RLO>"),
        (found.zero_width, "zero-width character", "<ZWSP>"),
    ]
    .iter()
    .filter(|(n, ..)| *n > 0)
    .map(|(n, what, marker)| format!("{} (shown as {marker})", crate::words::count(*n, what)))
    .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "this output held text that could drive or deceive a terminal; hidden: {}",
            parts.join(", ")
        )
    })
}

/// Prints one sanitized line on stdout: `say!("{} landed", id)`.
#[macro_export]
#[doc(hidden)]
macro_rules! say {
    ($($arg:tt)*) => {
        {
            $crate::cli::out::stdout_line(&format!($($arg)*));
        }
    };
}

/// Prints sanitized text on stderr: `tell!("leash: {e}")`.
#[macro_export]
#[doc(hidden)]
macro_rules! tell {
    ($($arg:tt)*) => {
        $crate::cli::out::stderr_line(&format!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_marks_what_a_terminal_would_act_on() {
        let s = clean("title \x1b]0;pwned\x07 \u{202e}txt.exe\u{200b}\nnext\u{9b}2J");
        assert!(!s.chars().any(|c| c != '\n' && sanitize::is_hidden_char(c)));
        assert!(s.contains("⟨esc⟩"), "{s}");
        assert!(s.contains("<RLO>"), "{s}");
        assert!(s.contains("<ZWSP>"), "{s}");
        assert_eq!(s.lines().count(), 2);
    }

    #[test]
    fn json_escapes_c1_bidi_and_zero_width_and_keeps_the_value() {
        let v = serde_json::json!({"t": "a\u{9b}b\u{202e}c\u{200b}d\u{e0041}\u{7f}"});
        let j = json_line(&v);
        assert!(j.is_ascii(), "{j}");
        assert!(j.contains("\\u009b") && j.contains("\\u202e") && j.contains("\\u200b"));
        assert!(j.contains("\\udb40\\udc41"), "{j}");
        let back: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back, v);
        // Plain text and ordinary non-ASCII are left alone.
        let ok = json_line(&serde_json::json!({"t": "héllo → ✓"}));
        assert!(ok.contains("héllo → ✓"));
    }

    #[test]
    fn field_shows_a_line_break_so_it_cannot_forge_a_row() {
        let s = field("title\nt9  landed  low  auto");
        assert_eq!(s.lines().count(), 1, "{s}");
        assert!(s.contains('␊'), "{s}");
    }

    #[test]
    fn warning_names_each_kind_found() {
        assert_eq!(warning(&Findings::default()), None);
        let w = warning(&Findings {
            escapes_removed: 2,
            bidi: 1,
            ..Findings::default()
        })
        .unwrap();
        assert!(
            w.contains("2 escape sequences") && w.contains("1 bidi control"),
            "{w}"
        );
    }
}
