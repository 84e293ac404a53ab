//! Keys to actions, per input layer. The built-in keymaps are TOML files in
//! `keymaps/`, embedded; a user file is a partial overlay over one of them.
//! Key handlers ask `Keymap::resolve` and act on the `Action` it gives back,
//! so no handler hard-codes a key.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use serde::de::IntoDeserializer;
use toml::Spanned;
use toml::de::DeValue;

use super::action::Action;
use super::settings;
use crate::config::located::{self, ConfigError, Source};

const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// An input layer with its own bindings; the console checks the active ones top first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// A question on screen (confirm, reason, new turn); modal.
    Dialog,
    /// The help overlay; modal.
    Help,
    /// The turn list has focus.
    Turns,
    /// The queue of actions waiting for a decision has focus.
    Queue,
    /// The detail pane (output, diff, events, …) has focus.
    Detail,
    /// The autonomy panel has focus.
    Autonomy,
    /// Keys that work wherever nothing above took them.
    Global,
}

impl Layer {
    /// Every layer, top first.
    pub const ALL: [Layer; 7] = [
        Layer::Dialog,
        Layer::Help,
        Layer::Turns,
        Layer::Queue,
        Layer::Detail,
        Layer::Autonomy,
        Layer::Global,
    ];

    /// The table name of this layer in a keymap file.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Dialog => "dialog",
            Layer::Help => "help",
            Layer::Turns => "turns",
            Layer::Queue => "queue",
            Layer::Detail => "detail",
            Layer::Autonomy => "autonomy",
            Layer::Global => "global",
        }
    }

    /// The layer a keymap table names, if any.
    pub fn from_name(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.name() == name)
    }

    /// Whether keys this layer does not bind stop here instead of reaching the layers below.
    pub fn is_modal(self) -> bool {
        // An unbound key in a dialog must not approve or quit something
        // behind it; the help overlay hides the panes, so it is modal too.
        matches!(self, Layer::Dialog | Layer::Help)
    }
}

/// A key press: crossterm KeyCode + modifiers, normalised (shift+char is the uppercase char without SHIFT; BackTab = shift-tab).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key itself.
    pub code: KeyCode,
    /// Modifiers other than a SHIFT already folded into `code`.
    pub mods: KeyModifiers,
}

impl Key {
    /// Whether a text field takes this key as typing (a character with no
    /// modifier but shift).
    pub fn types_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && self.mods.difference(KeyModifiers::SHIFT).is_empty()
    }
}

// Modifier prefixes in the order `Display` writes them. SHIFT goes last so
// that BackTab with ctrl reads "ctrl-shift-tab".
const MODIFIERS: &[(&str, KeyModifiers)] = &[
    ("ctrl-", KeyModifiers::CONTROL),
    ("alt-", KeyModifiers::ALT),
    ("super-", KeyModifiers::SUPER),
    ("hyper-", KeyModifiers::HYPER),
    ("meta-", KeyModifiers::META),
    ("shift-", KeyModifiers::SHIFT),
];

const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("space", KeyCode::Char(' ')),
];

const KEY_FORMS: &str = "expected a single character (j, J, ?, ]) or one of enter, esc, tab, \
     shift-tab, backtab, backspace, delete, insert, up, down, left, right, home, end, pageup, \
     pagedown, space, f1…f12, optionally after ctrl-, alt- or shift- (e.g. ctrl-c, alt-x, shift-up)";

impl Key {
    /// A key from a code and modifiers, normalised like a key event.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        match code {
            // Terminals disagree on whether shift+a is 'A', 'A'+SHIFT or
            // 'a'+SHIFT; the character is what the user meant, so fold SHIFT
            // into it and drop the flag.
            KeyCode::Char(c) => {
                let c = if mods.contains(KeyModifiers::SHIFT) {
                    single_uppercase(c)
                } else {
                    c
                };
                Key {
                    code: KeyCode::Char(c),
                    mods: mods - KeyModifiers::SHIFT,
                }
            }
            // crossterm reports shift-tab as BackTab *with* SHIFT; some
            // terminals as Tab with SHIFT. Both are the one key "shift-tab".
            KeyCode::BackTab => Key {
                code: KeyCode::BackTab,
                mods: mods - KeyModifiers::SHIFT,
            },
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => Key {
                code: KeyCode::BackTab,
                mods: mods - KeyModifiers::SHIFT,
            },
            code => Key { code, mods },
        }
    }

    /// The key of a crossterm key event (the caller filters out releases).
    pub fn from_event(e: &KeyEvent) -> Key {
        Key::new(e.code, e.modifiers)
    }

    /// Parses a key as written in a keymap file: "j", "J", "ctrl-c", "shift-tab", "f5", "?".
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        // A prefix counts only when something follows it, so "-" and
        // "ctrl--" name the minus key.
        'prefixes: loop {
            for &(prefix, flag) in MODIFIERS {
                let matches = rest.len() > prefix.len()
                    && rest
                        .get(..prefix.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(prefix));
                if matches {
                    if mods.contains(flag) {
                        return Err(format!("\"{s}\": {prefix} is given twice"));
                    }
                    mods |= flag;
                    rest = &rest[prefix.len()..];
                    continue 'prefixes;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(format!("empty key; {KEY_FORMS}")),
            (Some(c), None) if c.is_control() => {
                return Err(format!("\"{s}\" is a control character; {KEY_FORMS}"));
            }
            (Some(c), None) => KeyCode::Char(c),
            _ => named_key(rest).ok_or_else(|| format!("unknown key \"{s}\"; {KEY_FORMS}"))?,
        };
        if let KeyCode::Char(c) = code
            && mods.contains(KeyModifiers::SHIFT)
            && !c.is_alphabetic()
        {
            // shift-1 is "!" on one keyboard and "+" on another; only the
            // character itself is unambiguous.
            return Err(format!(
                "\"{s}\": write the shifted character itself instead of shift- (e.g. \"?\" or \"J\")"
            ));
        }
        Ok(Key::new(code, mods))
    }
}

fn single_uppercase(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        // 'ß' uppercases to "SS", which is no single key.
        _ => c,
    }
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    if let Some(&(_, code)) = NAMED_KEYS.iter().find(|(n, _)| *n == lower) {
        return Some(code);
    }
    let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
    (1..=12).contains(&n).then_some(KeyCode::F(n))
}

impl fmt::Display for Key {
    /// The canonical spelling, as help and the footer show it and `Key::parse` reads it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &(prefix, flag) in MODIFIERS {
            if self.mods.contains(flag) {
                f.write_str(prefix)?;
            }
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => match NAMED_KEYS.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                // Keys no keymap can name (caps lock, media keys) still get
                // a readable spelling for diagnostics.
                None => write!(f, "{}", format!("{code:?}").to_lowercase()),
            },
        }
    }
}

/// A problem in a keymap file, with the place it was found: the one
/// config error type.
pub type KeymapError = ConfigError;

/// Keys to actions for every layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    // Per layer, in the order the files gave them: the first key bound to an
    // action is the one the footer shows. A layer has a few dozen keys, so a
    // scan is as quick as a hash lookup.
    layers: [Vec<(Key, Action)>; Layer::ALL.len()],
}

/// One validated line of a keymap file; `None` unbinds.
struct Binding {
    layer: Layer,
    key: Key,
    action: Option<Action>,
}

impl Keymap {
    /// The built-in keymap `name` ("default", "vim", "emacs"); vim and emacs are overlays over default (they only list what they change).
    pub fn builtin(name: &str) -> Result<Keymap, KeymapError> {
        let text = builtin_text(name).ok_or_else(|| KeymapError {
            path: builtin_path(name),
            line: 1,
            column: 1,
            key: None,
            message: format!(
                "no built-in keymap \"{name}\"; expected one of: {}",
                Keymap::builtin_names().join(", ")
            ),
        })?;
        let mut keymap = Keymap::default();
        if name != "default" {
            keymap = Keymap::builtin("default")?;
        }
        keymap.overlay(text, &builtin_path(name))?;
        Ok(keymap)
    }

    /// The names `Keymap::builtin` accepts.
    pub fn builtin_names() -> &'static [&'static str] {
        &["default", "vim", "emacs"]
    }

    /// Layers a partial user file over this keymap: a key bound in the overlay replaces the binding in that layer; `"key" = "none"` unbinds it. The text is parsed with positions.
    ///
    /// All or nothing: on an error the keymap is left as it was.
    pub fn overlay(&mut self, text: &str, path: &Path) -> Result<(), KeymapError> {
        for b in parse_bindings(&Source::new(path, text))? {
            let layer = &mut self.layers[b.layer as usize];
            let existing = layer.iter().position(|(k, _)| *k == b.key);
            match (existing, b.action) {
                (Some(i), Some(action)) => layer[i].1 = action,
                (Some(i), None) => {
                    layer.remove(i);
                }
                (None, Some(action)) => layer.push((b.key, action)),
                (None, None) => {}
            }
        }
        Ok(())
    }

    /// The action for a key given the active layers, top first: `[Dialog]`
    /// when a dialog is open (dialogs are modal and do not fall through to
    /// lower layers), `[Turns, Global]` when the turn list has focus.
    /// Non-modal layers fall through to the next.
    pub fn resolve(&self, key: Key, layers: &[Layer]) -> Option<Action> {
        for &layer in layers {
            let found = self.layers[layer as usize]
                .iter()
                .find(|(k, _)| *k == key)
                .map(|&(_, a)| a);
            if found.is_some() || layer.is_modal() {
                return found;
            }
        }
        None
    }

    /// The keys bound to an action in a layer, for the footer ("a approve · r reject").
    pub fn keys_for(&self, layer: Layer, action: Action) -> Vec<Key> {
        self.layers[layer as usize]
            .iter()
            .filter(|&&(_, a)| a == action)
            .map(|&(k, _)| k)
            .collect()
    }

    /// Every binding of a layer, sorted, for the generated help overlay.
    ///
    /// Sorted by action (the order of `Action`, which groups related actions),
    /// and within an action in the keymap's own order, so help can print
    /// "j k down up  move down/up" lines.
    pub fn bindings(&self, layer: Layer) -> Vec<(Key, Action)> {
        let mut all = self.layers[layer as usize].clone();
        all.sort_by_key(|&(_, a)| a);
        all
    }
}

fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn builtin_path(name: &str) -> PathBuf {
    PathBuf::from(format!("keymaps/{name}.toml"))
}

/// The snake_case name keymap files use for an action, from its serde form
/// so that the two can never disagree.
fn action_name(action: Action) -> String {
    match toml::Value::try_from(action) {
        Ok(toml::Value::String(s)) => s,
        // Unit variants always serialize as strings; Debug is a readable
        // stand-in should that ever change.
        _ => format!("{action:?}"),
    }
}

fn action_from_name(name: &str) -> Option<Action> {
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        name.into_deserializer();
    Action::deserialize(de).ok()
}

/// Checks a whole keymap file before anything is applied, so that a bad
/// overlay leaves the keymap untouched.
fn parse_bindings(src: &Source<'_>) -> Result<Vec<Binding>, KeymapError> {
    let table = src.parse()?;
    let mut out = Vec::new();
    for (section, value) in located::sorted_entries(table.get_ref()) {
        let name = section.get_ref().as_ref();
        let Some(layer) = Layer::from_name(name) else {
            let message = if value.get_ref().is_table() {
                format!(
                    "unknown section [{name}]; expected one of: {}",
                    layer_names()
                )
            } else {
                format!("key \"{name}\": bindings go inside a section such as [global]")
            };
            return Err(src.error(section.span(), Some(name), message));
        };
        let Some(bindings) = value.get_ref().as_table() else {
            return Err(src.error(
                section.span(),
                Some(name),
                format!("[{name}] must be a table of \"key\" = \"action\""),
            ));
        };
        let mut seen: Vec<(Key, &Spanned<Cow<'_, str>>)> = Vec::new();
        for (key_text, action) in located::sorted_entries(bindings) {
            let written = key_text.get_ref().as_ref();
            let at = |message: String| src.error(key_text.span(), Some(written), message);
            let key = Key::parse(written).map_err(|e| at(format!("key \"{written}\": {e}")))?;
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                let line = src.pos(first.span().start).line;
                return Err(at(format!(
                    "key \"{written}\": the same key as \"{}\" on line {line} in [{name}]",
                    first.get_ref()
                )));
            }
            seen.push((key, key_text));
            let action = parse_action(src, key_text, action)?;
            out.push(Binding { layer, key, action });
        }
    }
    Ok(out)
}

// Errors point at the start of the binding, where a person looks first and
// what they will retype.
fn parse_action(
    src: &Source<'_>,
    key: &Spanned<Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
) -> Result<Option<Action>, ConfigError> {
    let written = key.get_ref().as_ref();
    let at = |message: String| src.error(key.span(), Some(written), message);
    let Some(name) = value.get_ref().as_str() else {
        return Err(at(format!(
            "key \"{written}\": expected an action name as a string, found {}",
            value.get_ref().type_str()
        )));
    };
    if name == "none" {
        return Ok(None);
    }
    action_from_name(name).map(Some).ok_or_else(|| {
        let names: Vec<String> = Action::ALL.iter().map(|&a| action_name(a)).collect();
        let words: Vec<&str> = names.iter().map(String::as_str).collect();
        at(format!(
            "key \"{written}\": unknown action \"{name}\"; expected one of: {}, or \"none\" to unbind{}",
            names.join(", "),
            located::did_you_mean(name, &words)
        ))
    })
}

fn layer_names() -> String {
    Layer::ALL.map(Layer::name).join(", ")
}

/// Loads the active keymap: built-in `name`, then the user's overlay from `<config dir>/keymaps/<name>.toml` if it exists (config dir from `directories::ProjectDirs::from("", "", "leash")`, overridable by the env var LEASH_CONFIG_DIR for tests). A broken overlay does not stop the console: returns the built-in keymap plus the error to show on screen.
pub fn load(name: &str) -> (Keymap, Option<KeymapError>) {
    load_from(settings::config_dir().as_deref(), name)
}

/// `load` with an explicit config dir (`None`: built-ins only).
///
/// A name that is not built in may still be a user file; it then overlays
/// the default keymap.
pub fn load_from(config_dir: Option<&Path>, name: &str) -> (Keymap, Option<KeymapError>) {
    let user_path = config_dir.map(|d| d.join("keymaps").join(format!("{name}.toml")));
    let user_text = match user_path.as_deref().map(located::read_optional) {
        Some(Ok(text)) => text,
        Some(Err(e)) => return (fallback(name), Some(e)),
        None => None,
    };
    let mut keymap = match (Keymap::builtin(name), &user_text) {
        (Ok(keymap), _) => keymap,
        (Err(_), Some(_)) => fallback("default"),
        (Err(mut e), None) => {
            if let Some(path) = &user_path {
                e.message.push_str(&format!(
                    ", and there is no file {}; using the default keymap",
                    path.display()
                ));
            }
            return (fallback("default"), Some(e));
        }
    };
    if let (Some(text), Some(path)) = (user_text, user_path) {
        // `overlay` is all or nothing, so on error `keymap` is still the
        // built-in, which is what the console should run with.
        if let Err(e) = keymap.overlay(&text, &path) {
            return (keymap, Some(e));
        }
    }
    (keymap, None)
}

fn fallback(name: &str) -> Keymap {
    // The built-ins are proven to parse by the tests, so the empty keymap is
    // only there to avoid a panic path in the one place errors are shown.
    Keymap::builtin(name)
        .or_else(|_| Keymap::builtin("default"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn default() -> Keymap {
        Keymap::builtin("default").unwrap()
    }

    #[test]
    fn every_builtin_keymap_parses() {
        for name in Keymap::builtin_names() {
            let keymap = Keymap::builtin(name).unwrap_or_else(|e| panic!("{e}"));
            assert!(!keymap.bindings(Layer::Global).is_empty(), "{name}");
        }
        assert_eq!(BUILTIN.len(), Keymap::builtin_names().len());
    }

    #[test]
    fn default_binds_the_design_key_table() {
        let km = default();
        let panes = [Layer::Turns, Layer::Global];
        let table: &[(&str, &[Layer], Action)] = &[
            ("j", &panes, Action::Down),
            ("k", &panes, Action::Up),
            ("down", &panes, Action::Down),
            ("up", &panes, Action::Up),
            ("left", &panes, Action::Left),
            ("right", &panes, Action::Right),
            ("tab", &panes, Action::NextPane),
            ("shift-tab", &panes, Action::PrevPane),
            ("enter", &panes, Action::Open),
            ("esc", &panes, Action::Back),
            ("a", &panes, Action::Approve),
            ("r", &panes, Action::Reject),
            ("u", &panes, Action::Rollback),
            ("n", &panes, Action::NewTurn),
            ("p", &panes, Action::Replay),
            ("c", &panes, Action::CancelTurn),
            ("s", &panes, Action::AutonomyPanel),
            ("1", &panes, Action::TabOutput),
            ("2", &panes, Action::TabDiff),
            ("3", &panes, Action::TabEvents),
            ("4", &panes, Action::TabInvariants),
            ("5", &panes, Action::TabProvenance),
            ("g", &panes, Action::Top),
            ("G", &panes, Action::Bottom),
            ("pageup", &panes, Action::PageUp),
            ("pagedown", &panes, Action::PageDown),
            ("ctrl-u", &panes, Action::PageUp),
            ("ctrl-d", &panes, Action::PageDown),
            ("?", &panes, Action::Help),
            ("q", &panes, Action::Quit),
            ("ctrl-c", &panes, Action::Quit),
            ("a", &[Layer::Queue, Layer::Global], Action::Approve),
            ("r", &[Layer::Queue, Layer::Global], Action::Reject),
            ("a", &[Layer::Detail, Layer::Global], Action::Approve),
            ("]", &[Layer::Detail, Layer::Global], Action::NextPass),
            ("[", &[Layer::Detail, Layer::Global], Action::PrevPass),
            ("]", &panes, Action::NextPass),
            ("[", &panes, Action::PrevPass),
            ("space", &panes, Action::ToggleGroup),
            ("}", &[Layer::Detail, Layer::Global], Action::NextFile),
            ("{", &[Layer::Detail, Layer::Global], Action::PrevFile),
            ("f", &[Layer::Detail, Layer::Global], Action::Follow),
            ("space", &[Layer::Detail, Layer::Global], Action::ToggleHunk),
            ("A", &[Layer::Detail, Layer::Global], Action::LandHunks),
            ("A", &panes, Action::LandHunks),
            ("C", &[Layer::Detail, Layer::Global], Action::CommentLine),
            ("b", &[Layer::Detail, Layer::Global], Action::SendBack),
            ("b", &panes, Action::SendBack),
            ("b", &[Layer::Queue, Layer::Global], Action::SendBack),
            ("B", &[Layer::Detail, Layer::Global], Action::Blame),
            ("h", &[Layer::Autonomy, Layer::Global], Action::SliderLeft),
            ("l", &[Layer::Autonomy, Layer::Global], Action::SliderRight),
            (
                "left",
                &[Layer::Autonomy, Layer::Global],
                Action::SliderLeft,
            ),
            (
                "right",
                &[Layer::Autonomy, Layer::Global],
                Action::SliderRight,
            ),
            ("y", &[Layer::Dialog], Action::Confirm),
            ("n", &[Layer::Dialog], Action::Cancel),
            ("esc", &[Layer::Dialog], Action::Cancel),
            ("ctrl-c", &[Layer::Dialog], Action::Quit),
            ("esc", &[Layer::Help], Action::Back),
            ("ctrl-c", &[Layer::Help], Action::Quit),
        ];
        for &(k, layers, action) in table {
            assert_eq!(
                km.resolve(key(k), layers),
                Some(action),
                "{k} in {layers:?}"
            );
        }
    }

    #[test]
    fn every_builtin_keymap_allows_with_a_rule_in_the_queue_and_lands_hunks_in_the_detail() {
        for name in Keymap::builtin_names() {
            let km = Keymap::builtin(name).unwrap();
            let queue = [Layer::Queue, Layer::Global];
            assert_eq!(
                km.resolve(key("A"), &queue),
                Some(Action::AllowWithRule),
                "{name}"
            );
            assert_eq!(km.resolve(key("v"), &queue), Some(Action::Review), "{name}");
            assert_eq!(
                km.resolve(key("v"), &[Layer::Turns, Layer::Global]),
                Some(Action::Review),
                "{name}"
            );
            let detail = [Layer::Detail, Layer::Global];
            assert_eq!(
                km.resolve(key("A"), &detail),
                Some(Action::LandHunks),
                "{name}"
            );
            assert_eq!(
                km.resolve(key("v"), &detail),
                Some(Action::SelectLines),
                "{name}"
            );
        }
    }

    #[test]
    fn default_binds_every_action_somewhere() {
        let km = default();
        for &action in Action::ALL {
            // The hunk jumps are what `next_pass` / `prev_pass` do where a
            // diff is shown (or the selected turn is no pipeline's pass).
            let action = match action {
                Action::NextHunk => Action::NextPass,
                Action::PrevHunk => Action::PrevPass,
                a => a,
            };
            let bound = Layer::ALL
                .iter()
                .any(|&l| !km.keys_for(l, action).is_empty());
            assert!(bound, "{action:?} has no key in the default keymap");
        }
    }

    #[test]
    fn dialog_is_modal_and_pane_comes_before_global() {
        let km = default();
        // `n` is a new turn in the panes but "no" in a dialog.
        assert_eq!(
            km.resolve(key("n"), &[Layer::Turns, Layer::Global]),
            Some(Action::NewTurn)
        );
        let over_panes = [Layer::Dialog, Layer::Turns, Layer::Global];
        assert_eq!(km.resolve(key("n"), &over_panes), Some(Action::Cancel));
        // Keys the dialog does not bind must not reach the turn list below.
        assert_eq!(km.resolve(key("a"), &over_panes), None);
        assert_eq!(km.resolve(key("q"), &over_panes), None);
        assert_eq!(km.resolve(key("ctrl-c"), &over_panes), Some(Action::Quit));
        // Decisions are bound per pane, never globally.
        assert_eq!(
            km.resolve(key("a"), &[Layer::Autonomy, Layer::Global]),
            None
        );
        // The autonomy panel's h/l shadow vim's global h/l.
        let vim = Keymap::builtin("vim").unwrap();
        assert_eq!(
            vim.resolve(key("h"), &[Layer::Turns, Layer::Global]),
            Some(Action::Left)
        );
        assert_eq!(
            vim.resolve(key("h"), &[Layer::Autonomy, Layer::Global]),
            Some(Action::SliderLeft)
        );
        assert_eq!(km.resolve(key("x"), &[Layer::Turns, Layer::Global]), None);
        assert_eq!(km.resolve(key("q"), &[]), None);
    }

    #[test]
    fn vim_and_emacs_only_add_to_default() {
        let vim = Keymap::builtin("vim").unwrap();
        let panes = [Layer::Detail, Layer::Global];
        assert_eq!(vim.resolve(key("ctrl-f"), &panes), Some(Action::PageDown));
        assert_eq!(vim.resolve(key("ctrl-b"), &panes), Some(Action::PageUp));
        assert_eq!(vim.resolve(key("l"), &panes), Some(Action::Right));
        assert_eq!(vim.resolve(key("g"), &panes), Some(Action::Top));
        assert_eq!(vim.resolve(key("]"), &panes), Some(Action::NextPass));
        assert_eq!(
            vim.resolve(key("ctrl-f"), &[Layer::Help]),
            Some(Action::PageDown)
        );

        let emacs = Keymap::builtin("emacs").unwrap();
        assert_eq!(emacs.resolve(key("ctrl-n"), &panes), Some(Action::Down));
        assert_eq!(emacs.resolve(key("ctrl-p"), &panes), Some(Action::Up));
        assert_eq!(emacs.resolve(key("ctrl-v"), &panes), Some(Action::PageDown));
        assert_eq!(emacs.resolve(key("alt-v"), &panes), Some(Action::PageUp));
        assert_eq!(emacs.resolve(key("alt-<"), &panes), Some(Action::Top));
        assert_eq!(emacs.resolve(key("alt->"), &panes), Some(Action::Bottom));
        assert_eq!(
            emacs.resolve(key("ctrl-g"), &[Layer::Dialog]),
            Some(Action::Cancel)
        );
        // Default keys are still there.
        assert_eq!(emacs.resolve(key("j"), &panes), Some(Action::Down));
        assert_eq!(
            emacs.resolve(key("y"), &[Layer::Dialog]),
            Some(Action::Confirm)
        );
    }

    #[test]
    fn overlay_rebinds_and_unbinds() {
        let mut km = default();
        let text =
            "[global]\nq = \"none\"\nctrl-q = \"quit\"\n\n[turns]\na = \"none\"\nx = \"approve\"\n";
        km.overlay(text, Path::new("mine.toml")).unwrap();
        let turns = [Layer::Turns, Layer::Global];
        assert_eq!(km.resolve(key("q"), &turns), None);
        assert_eq!(km.resolve(key("ctrl-q"), &turns), Some(Action::Quit));
        assert_eq!(km.resolve(key("a"), &turns), None);
        assert_eq!(km.resolve(key("x"), &turns), Some(Action::Approve));
        assert_eq!(km.keys_for(Layer::Turns, Action::Approve), vec![key("x")]);
        // Other layers keep their own `a`.
        assert_eq!(km.resolve(key("a"), &[Layer::Queue]), Some(Action::Approve));
        // Rebinding in place keeps the key's position, replacing the action.
        km.overlay("[global]\nj = \"page_down\"\n", Path::new("m.toml"))
            .unwrap();
        assert_eq!(km.resolve(key("j"), &turns), Some(Action::PageDown));
        assert_eq!(km.keys_for(Layer::Global, Action::Down), vec![key("down")]);
    }

    #[test]
    fn keys_for_keeps_file_order_and_bindings_group_by_action() {
        let km = default();
        assert_eq!(
            km.keys_for(Layer::Global, Action::Down),
            vec![key("j"), key("down")]
        );
        assert_eq!(
            km.keys_for(Layer::Global, Action::Quit),
            vec![key("q"), key("ctrl-c")]
        );
        let all = km.bindings(Layer::Global);
        assert!(all.windows(2).all(|w| w[0].1 <= w[1].1), "{all:?}");
        assert_eq!(all[0], (key("q"), Action::Quit));
        assert_eq!(all.len(), km.layers[Layer::Global as usize].len());
    }

    fn overlay_err(text: &str) -> KeymapError {
        let mut km = default();
        let before = km.clone();
        let err = km
            .overlay(
                text,
                Path::new("/home/me/.config/leash/keymaps/default.toml"),
            )
            .expect_err("overlay should fail");
        assert_eq!(km, before, "a failed overlay must change nothing");
        err
    }

    #[test]
    fn unknown_action_names_file_line_key_and_choices() {
        let err = overlay_err("[global]\nx = \"quit\"\nctrl-q = \"quitt\"\n");
        assert_eq!((err.line, err.column), (3, 1));
        assert_eq!(err.key.as_deref(), Some("ctrl-q"));
        let shown = err.to_string();
        assert!(
            shown.starts_with(
                "/home/me/.config/leash/keymaps/default.toml:3:1: key \"ctrl-q\": unknown action \"quitt\"; expected one of: quit, help, next_pane"
            ),
            "{shown}"
        );
        assert!(shown.contains("cancel_turn"), "{shown}");
    }

    #[test]
    fn bad_key_bad_section_and_bad_values_are_placed() {
        let err = overlay_err("[global]\n\"ctrl-\" = \"quit\"\n");
        assert_eq!(
            (err.line, err.column, err.key.as_deref()),
            (2, 1, Some("ctrl-"))
        );
        assert!(err.message.contains("expected a single character"), "{err}");

        let err = overlay_err("[global]\nq = \"quit\"\n[globall]\nx = \"quit\"\n");
        assert_eq!(
            (err.line, err.column, err.key.as_deref()),
            (3, 2, Some("globall"))
        );
        assert!(
            err.message
                .contains("unknown section [globall]; expected one of: dialog"),
            "{err}"
        );

        let err = overlay_err("q = \"quit\"\n");
        assert_eq!((err.line, err.column), (1, 1));
        assert!(err.message.contains("inside a section"), "{err}");

        let err = overlay_err("[turns]\na = 3\n");
        assert_eq!((err.line, err.column), (2, 1));
        assert!(err.message.contains("found integer"), "{err}");

        let err = overlay_err("[turns]\nJ = \"down\"\nshift-j = \"up\"\n");
        assert_eq!((err.line, err.key.as_deref()), (3, Some("shift-j")));
        assert!(err.message.contains("same key as \"J\" on line 2"), "{err}");

        let err = overlay_err("[turns]\na = \"approve\"\nb = \n");
        assert_eq!(err.line, 3);
        assert_eq!(err.key, None);
    }

    #[test]
    fn load_from_applies_user_overlay_or_reports_it() {
        let dir = tempfile::tempdir().unwrap();
        let keymaps = dir.path().join("keymaps");
        std::fs::create_dir_all(&keymaps).unwrap();

        // No file: the built-in, no error.
        let (km, err) = load_from(Some(dir.path()), "vim");
        assert_eq!((km, err), (Keymap::builtin("vim").unwrap(), None));

        std::fs::write(keymaps.join("vim.toml"), "[global]\nx = \"quit\"\n").unwrap();
        let (km, err) = load_from(Some(dir.path()), "vim");
        assert_eq!(err, None);
        assert_eq!(km.resolve(key("x"), &[Layer::Global]), Some(Action::Quit));
        assert_eq!(
            km.resolve(key("ctrl-f"), &[Layer::Global]),
            Some(Action::PageDown)
        );

        std::fs::write(
            keymaps.join("vim.toml"),
            "[global]\nx = \"quit\"\ny = \"nope\"\n",
        )
        .unwrap();
        let (km, err) = load_from(Some(dir.path()), "vim");
        let err = err.expect("broken overlay is reported");
        assert_eq!(err.path, keymaps.join("vim.toml"));
        assert_eq!((err.line, err.key.as_deref()), (3, Some("y")));
        assert_eq!(
            km,
            Keymap::builtin("vim").unwrap(),
            "falls back to the built-in"
        );

        // A user keymap with a new name overlays the default.
        std::fs::write(keymaps.join("mine.toml"), "[global]\nx = \"help\"\n").unwrap();
        let (km, err) = load_from(Some(dir.path()), "mine");
        assert_eq!(err, None);
        assert_eq!(km.resolve(key("x"), &[Layer::Global]), Some(Action::Help));
        assert_eq!(km.resolve(key("q"), &[Layer::Global]), Some(Action::Quit));

        let (km, err) = load_from(Some(dir.path()), "nope");
        assert_eq!(km, default());
        let err = err.unwrap();
        assert!(err.message.contains("no built-in keymap \"nope\""), "{err}");
        assert!(err.message.contains("no file"), "{err}");
    }

    #[test]
    fn key_parse_display_round_trip_for_every_form() {
        let canonical = [
            "j",
            "J",
            "?",
            "]",
            "[",
            "{",
            "}",
            "<",
            "-",
            "1",
            "é",
            "enter",
            "esc",
            "tab",
            "shift-tab",
            "backspace",
            "delete",
            "insert",
            "up",
            "down",
            "left",
            "right",
            "pageup",
            "pagedown",
            "home",
            "end",
            "space",
            "f1",
            "f5",
            "f12",
            "ctrl-c",
            "alt-x",
            "ctrl-alt-x",
            "alt-<",
            "ctrl--",
            "ctrl-shift-tab",
            "shift-up",
            "ctrl-space",
            "alt-enter",
            "super-s",
        ];
        for form in canonical {
            let parsed = key(form);
            assert_eq!(parsed.to_string(), form, "display of {form}");
            assert_eq!(key(&parsed.to_string()), parsed, "reparse of {form}");
        }
        let aliases = [
            ("backtab", "shift-tab"),
            ("shift-j", "J"),
            ("Shift-J", "J"),
            ("CTRL-c", "ctrl-c"),
            ("Enter", "enter"),
            ("PageDown", "pagedown"),
            ("shift-ctrl-tab", "ctrl-shift-tab"),
            ("alt-ctrl-x", "ctrl-alt-x"),
            (" ", "space"),
        ];
        for (alias, canonical) in aliases {
            assert_eq!(key(alias).to_string(), canonical, "{alias}");
        }
        assert_eq!(key("space").code, KeyCode::Char(' '));
        assert_eq!(key("f12").code, KeyCode::F(12));
        assert_eq!(
            key("shift-tab"),
            Key::new(KeyCode::BackTab, KeyModifiers::NONE)
        );
    }

    #[test]
    fn key_parse_rejects_with_the_forms() {
        for bad in [
            "",
            "ctrl-",
            "enterr",
            "f0",
            "f13",
            "shift-1",
            "shift-?",
            "ctrl-ctrl-c",
            "\t",
        ] {
            let err = Key::parse(bad).expect_err(bad);
            assert!(!err.is_empty());
        }
        let err = Key::parse("enterr").unwrap_err();
        assert!(err.contains("enter, esc, tab"), "{err}");
        assert!(err.contains("ctrl-"), "{err}");
    }

    #[test]
    fn events_normalise_like_parsed_keys() {
        let ev = |code, mods| {
            Key::from_event(&KeyEvent {
                code,
                modifiers: mods,
                kind: KeyEventKind::Press,
                state: KeyEventState::NONE,
            })
        };
        let shift = KeyModifiers::SHIFT;
        assert_eq!(ev(KeyCode::Char('J'), shift), key("J"));
        assert_eq!(ev(KeyCode::Char('j'), shift), key("J"));
        assert_eq!(ev(KeyCode::Char('?'), shift), key("?"));
        assert_eq!(ev(KeyCode::BackTab, shift), key("shift-tab"));
        assert_eq!(ev(KeyCode::Tab, shift), key("shift-tab"));
        assert_eq!(ev(KeyCode::Char('c'), KeyModifiers::CONTROL), key("ctrl-c"));
        assert_eq!(
            ev(KeyCode::Char('<'), KeyModifiers::ALT | shift),
            key("alt-<")
        );
        assert_eq!(ev(KeyCode::Up, shift), key("shift-up"));
        assert_ne!(ev(KeyCode::Char('q'), KeyModifiers::SUPER), key("q"));
    }
}
