//! Styles by meaning. Widgets ask for a role ("state.failed", "diff.added")
//! and never name a colour, so a theme file can restyle the whole console.
//! A missing role falls back along its dots to `text`; a theme may inherit
//! every role of another and change a few. The built-in themes are TOML
//! files in `themes/`, embedded.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::DeValue;

use super::settings;
use crate::config::located::{self, ConfigError, Source};

pub mod role;

const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "gruvbox-dark",
        include_str!("../../themes/gruvbox-dark.toml"),
    ),
    (
        "catppuccin-mocha",
        include_str!("../../themes/catppuccin-mocha.toml"),
    ),
];

const BUILTIN_NAMES: &[&str] = &[
    "dark",
    "light",
    "high-contrast",
    "gruvbox-dark",
    "catppuccin-mocha",
];

/// The syntect theme used when no theme in the chain names one.
pub const DEFAULT_SYNTAX: &str = "base16-ocean.dark";

/// The names of the themes built into syntect's default set, which the built-in themes pick from.
pub const SYNTECT_DEFAULT_THEMES: &[&str] = &[
    "base16-ocean.dark",
    "base16-eighties.dark",
    "base16-mocha.dark",
    "base16-ocean.light",
    "InspiredGitHub",
    "Solarized (dark)",
    "Solarized (light)",
];

// Spelling of the named colours: lower case, and `-`, `_` and spaces are
// ignored, so "light-red", "light_red" and "LightRed" all work.
const NAMED_COLORS: &[(&str, Color)] = &[
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("grey", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("darkgrey", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
    ("reset", Color::Reset),
];

const COLOR_FORMS: &str = "#rrggbb, an index 0–255, or a name (black, red, green, yellow, blue, \
     magenta, cyan, gray, darkgray, lightred, lightgreen, lightyellow, lightblue, lightmagenta, \
     lightcyan, white, reset)";

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("slow_blink", Modifier::SLOW_BLINK),
    ("rapid_blink", Modifier::RAPID_BLINK),
    ("reversed", Modifier::REVERSED),
    ("hidden", Modifier::HIDDEN),
    ("crossed_out", Modifier::CROSSED_OUT),
];

/// A resolved theme: a style for every role it defines, and the syntax theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    name: String,
    styles: HashMap<String, Style>,
    syntax: String,
}

/// A problem in a theme file, with the place it was found: the one
/// config error type.
pub type ThemeError = ConfigError;

impl Theme {
    /// A built-in theme by name (see `builtin_names`).
    pub fn builtin(name: &str) -> Result<Theme, ThemeError> {
        Loader::new(None).load(name)
    }

    /// The names of the built-in themes.
    pub fn builtin_names() -> &'static [&'static str] {
        BUILTIN_NAMES
    }

    /// The theme's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The style of a role; a role the theme does not define falls back along its dots (`diff.added.emphasis` → `diff.added` → `diff`), then to `text`.
    pub fn style(&self, role: &str) -> Style {
        let mut role = role;
        loop {
            if let Some(style) = self.styles.get(role) {
                return *style;
            }
            match role.rfind('.') {
                Some(dot) => role = &role[..dot],
                None => break,
            }
        }
        self.styles.get(role::TEXT).copied().unwrap_or_default()
    }

    /// The syntect theme for highlighted code (a setting apart from the roles).
    pub fn syntax_theme(&self) -> &str {
        &self.syntax
    }

    /// The theme for a terminal where colour is forbidden (`NO_COLOR`): every
    /// colour goes, and the cues colour carried stay as reverse video, bold
    /// and underline — the selected row, the active tab, the dashboard's
    /// cell, the focused border, the current slider stop, changed words.
    pub fn without_colour(mut self) -> Theme {
        for (role, style) in self.styles.iter_mut() {
            let mut plain = Style::default()
                .add_modifier(style.add_modifier)
                .remove_modifier(style.sub_modifier);
            plain = plain.add_modifier(match role.as_str() {
                role::SELECTION | role::TAB_ACTIVE | role::SLIDER_KNOB => {
                    Modifier::REVERSED | Modifier::BOLD
                }
                role::BORDER_FOCUS | role::FOOTER_KEY | role::TEXT_TITLE => Modifier::BOLD,
                role::FAILURE | role::ERROR | role::WARNING | role::RISK_HIGH => Modifier::BOLD,
                role::DIFF_ADDED_EMPHASIS | role::DIFF_REMOVED_EMPHASIS => Modifier::UNDERLINED,
                role::TEXT_MUTED => Modifier::DIM,
                _ => Modifier::empty(),
            });
            *style = plain;
        }
        self
    }

    /// Whether the environment forbids colour (`NO_COLOR` set and not empty).
    pub fn colour_forbidden() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// Whether the theme gives `role` a style of its own (no fallback).
    pub fn defines(&self, role: &str) -> bool {
        self.styles.contains_key(role)
    }
}

/// Built-in `name` or a user theme `<config dir>/themes/<name>.toml` (which may `inherits` a built-in, and is a partial overlay); on error → the built-in "dark" plus the error for the screen.
pub fn load(name: &str) -> (Theme, Option<ThemeError>) {
    load_from(settings::config_dir().as_deref(), name)
}

/// `load` with an explicit config dir (`None`: built-ins only).
///
/// A user file with no `inherits` overlays the built-in of the same name,
/// or "dark" when there is none.
pub fn load_from(config_dir: Option<&Path>, name: &str) -> (Theme, Option<ThemeError>) {
    match Loader::new(config_dir).load(name) {
        Ok(theme) => (theme, None),
        Err(e) => (fallback(), Some(e)),
    }
}

fn fallback() -> Theme {
    // "dark" is proven to parse by the tests; the empty theme (terminal
    // defaults everywhere) is a last resort that never fails.
    Theme::builtin("dark").unwrap_or_else(|_| Theme {
        name: "dark".to_owned(),
        styles: HashMap::new(),
        syntax: DEFAULT_SYNTAX.to_owned(),
    })
}

/// Where a value was written, for errors found after files are merged.
#[derive(Debug, Clone)]
struct Pos {
    path: PathBuf,
    line: usize,
    column: usize,
}

impl Pos {
    fn of(src: &Source<'_>, offset: usize) -> Pos {
        let crate::config::Pos { line, column } = src.pos(offset);
        Pos {
            path: src.path.to_path_buf(),
            line,
            column,
        }
    }

    fn error(&self, key: &str, message: String) -> ThemeError {
        ThemeError {
            path: self.path.clone(),
            line: self.line,
            column: self.column,
            key: Some(key.to_owned()),
            message,
        }
    }
}

/// A colour as written: resolved only after inheritance, because a theme
/// may redefine a palette name that the theme it inherits uses.
#[derive(Debug, Clone)]
struct RawColor {
    spec: String,
    at: Pos,
}

#[derive(Debug, Clone, Default)]
struct RawStyle {
    fg: Option<RawColor>,
    bg: Option<RawColor>,
    modifiers: Modifier,
}

/// A theme file after parsing and before its colours are resolved.
#[derive(Debug, Clone, Default)]
struct RawTheme {
    inherits: Option<(String, Pos)>,
    syntax: Option<String>,
    palette: HashMap<String, Color>,
    roles: BTreeMap<String, RawStyle>,
}

impl RawTheme {
    /// `self` over `base`: a role defined here replaces the base's whole
    /// role (as in helix), palette entries replace by name.
    fn over(self, mut base: RawTheme) -> RawTheme {
        base.palette.extend(self.palette);
        base.roles.extend(self.roles);
        RawTheme {
            inherits: None,
            syntax: self.syntax.or(base.syntax),
            palette: base.palette,
            roles: base.roles,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Builtin,
    User,
}

/// Follows a chain of `inherits`, remembering where it has been.
struct Loader<'a> {
    config_dir: Option<&'a Path>,
    chain: Vec<(Origin, String)>,
}

impl<'a> Loader<'a> {
    fn new(config_dir: Option<&'a Path>) -> Self {
        Loader {
            config_dir,
            chain: Vec::new(),
        }
    }

    fn load(&mut self, name: &str) -> Result<Theme, ThemeError> {
        let raw = self.raw(name, true, None)?;
        resolve(name, raw)
    }

    /// The merged raw theme `name`: a user file when `user` allows and one
    /// exists, else the built-in. `from` is the `inherits` that asked.
    fn raw(&mut self, name: &str, user: bool, from: Option<&Pos>) -> Result<RawTheme, ThemeError> {
        let user_path = self
            .config_dir
            .filter(|_| user)
            .map(|d| d.join("themes").join(format!("{name}.toml")));
        let user_text = match user_path.as_deref().map(located::read_optional) {
            Some(Ok(text)) => text,
            Some(Err(e)) => return Err(e),
            None => None,
        };
        let (origin, path, text) = match (user_text, builtin_text(name)) {
            (Some(text), _) => (Origin::User, user_path.unwrap_or_default(), text),
            (None, Some(text)) => (Origin::Builtin, builtin_path(name), text.to_owned()),
            (None, None) => return Err(self.not_found(name, user_path.as_deref(), from)),
        };
        let id = (origin.clone(), name.to_owned());
        if self.chain.contains(&id) {
            let mut names: Vec<&str> = self.chain.iter().map(|(_, n)| n.as_str()).collect();
            names.push(name);
            let message = format!("inherits \"{name}\": a cycle: {}", names.join(" → "));
            let at = from.cloned().unwrap_or(Pos {
                path,
                line: 1,
                column: 1,
            });
            return Err(at.error("inherits", message));
        }
        self.chain.push(id);
        let raw = parse_theme(&Source::new(&path, &text))?;
        let base = match &raw.inherits {
            Some((parent, at)) => {
                let (parent, at) = (parent.clone(), at.clone());
                // Built-ins only ever build on built-ins. A user file may
                // refine the built-in of its own name: that `inherits` means
                // the built-in, not the file itself.
                let user = origin == Origin::User && parent != name;
                Some(self.raw(&parent, user, Some(&at))?)
            }
            // A user file is a partial overlay even without `inherits`.
            None if origin == Origin::User => {
                let base = if builtin_text(name).is_some() {
                    name
                } else {
                    "dark"
                };
                Some(self.raw(base, false, None)?)
            }
            None => None,
        };
        self.chain.pop();
        Ok(match base {
            Some(base) => raw.over(base),
            None => raw,
        })
    }

    fn not_found(&self, name: &str, user_path: Option<&Path>, from: Option<&Pos>) -> ThemeError {
        let mut message = format!(
            "no theme named \"{name}\": the built-in themes are {}",
            BUILTIN_NAMES.join(", ")
        );
        if let Some(p) = user_path {
            message.push_str(&format!(", and there is no file {}", p.display()));
        }
        match from {
            Some(at) => at.error("inherits", message),
            None => ThemeError {
                path: user_path.map_or_else(|| builtin_path(name), Path::to_path_buf),
                line: 1,
                column: 1,
                key: None,
                message,
            },
        }
    }
}

fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn builtin_path(name: &str) -> PathBuf {
    PathBuf::from(format!("themes/{name}.toml"))
}

/// Turns colour names into colours, now that every palette is known.
fn resolve(name: &str, raw: RawTheme) -> Result<Theme, ThemeError> {
    let color = |role: &str, c: &RawColor| -> Result<Color, ThemeError> {
        if let Some(&color) = raw.palette.get(&c.spec) {
            return Ok(color);
        }
        parse_color(&c.spec).ok_or_else(|| {
            let mut palette: Vec<&str> = raw.palette.keys().map(String::as_str).collect();
            palette.sort_unstable();
            let names = if palette.is_empty() {
                String::new()
            } else {
                format!(", or a palette colour ({})", palette.join(", "))
            };
            c.at.error(
                role,
                format!(
                    "\"{role}\": unknown colour \"{}\"; expected {COLOR_FORMS}{names}",
                    c.spec
                ),
            )
        })
    };
    let mut styles = HashMap::with_capacity(raw.roles.len());
    let mut errors = Vec::new();
    for (role, s) in &raw.roles {
        let mut style = Style::default().add_modifier(s.modifiers);
        match s.fg.as_ref().map(|c| color(role, c)).transpose() {
            Ok(fg) => style.fg = fg,
            Err(e) => errors.push(e),
        }
        match s.bg.as_ref().map(|c| color(role, c)).transpose() {
            Ok(bg) => style.bg = bg,
            Err(e) => errors.push(e),
        }
        styles.insert(role.clone(), style);
    }
    // Roles are kept sorted by name; report the error a person meets first
    // reading the file instead.
    if let Some(first) = errors.into_iter().min_by_key(|e| (e.line, e.column)) {
        return Err(first);
    }
    Ok(Theme {
        name: name.to_owned(),
        styles,
        syntax: raw.syntax.unwrap_or_else(|| DEFAULT_SYNTAX.to_owned()),
    })
}

fn parse_theme(src: &Source<'_>) -> Result<RawTheme, ThemeError> {
    let table = src.parse()?;
    let mut raw = RawTheme::default();
    for (key, value) in located::sorted_entries(table.get_ref()) {
        let name = key.get_ref().as_ref();
        match name {
            "inherits" => {
                let parent = src.string(name, value)?;
                raw.inherits = Some((parent.to_owned(), Pos::of(src, value.span().start)));
            }
            "syntax" => {
                let syntax = src.string(name, value)?;
                if syntax.trim().is_empty() {
                    return Err(src.error(
                        value.span(),
                        Some(name),
                        "\"syntax\" names a syntect theme and cannot be empty",
                    ));
                }
                raw.syntax = Some(syntax.to_owned());
            }
            "palette" => parse_palette(src, key, value, &mut raw.palette)?,
            _ => parse_role(src, name.to_owned(), key, value, &mut raw.roles)?,
        }
    }
    Ok(raw)
}

fn parse_palette(
    src: &Source<'_>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
    palette: &mut HashMap<String, Color>,
) -> Result<(), ThemeError> {
    let Some(table) = value.get_ref().as_table() else {
        return Err(src.error(
            key.span(),
            Some("palette"),
            "[palette] must be a table of name = colour",
        ));
    };
    for (name, value) in located::sorted_entries(table) {
        let name = name.get_ref().as_ref();
        let spec = color_spec(src, name, value)?;
        // A palette entry is a concrete colour; letting it name another
        // palette entry would invite cycles for no real gain.
        let color = parse_color(&spec).ok_or_else(|| {
            src.error(
                value.span(),
                Some(name),
                format!("palette \"{name}\": unknown colour \"{spec}\"; expected {COLOR_FORMS}"),
            )
        })?;
        palette.insert(name.to_owned(), color);
    }
    Ok(())
}

/// A role's value: a colour string (the foreground), or a table with `fg`,
/// `bg`, `modifiers` and/or sub-roles — so `[diff]` with `added = "green"`
/// and `"diff.added" = "green"` mean the same.
fn parse_role(
    src: &Source<'_>,
    role: String,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
    roles: &mut BTreeMap<String, RawStyle>,
) -> Result<(), ThemeError> {
    if !is_known_role(&role) {
        return Err(src.error(key.span(), Some(&role), unknown_role_message(&role)));
    }
    let table = match value.get_ref() {
        DeValue::String(_) | DeValue::Integer(_) => {
            let fg = color_spec(src, &role, value)?;
            let fg = RawColor {
                spec: fg,
                at: Pos::of(src, value.span().start),
            };
            roles.insert(
                role,
                RawStyle {
                    fg: Some(fg),
                    ..RawStyle::default()
                },
            );
            return Ok(());
        }
        DeValue::Table(table) => table,
        other => {
            return Err(src.error(
                value.span(),
                Some(&role),
                format!(
                    "\"{role}\": expected a colour or a table {{ fg, bg, modifiers }}, found {}",
                    other.type_str()
                ),
            ));
        }
    };
    let mut style = RawStyle::default();
    let mut has_style = false;
    for (field, value) in located::sorted_entries(table) {
        let name = field.get_ref().as_ref();
        match name {
            "fg" | "bg" => {
                let color = RawColor {
                    spec: color_spec(src, &role, value)?,
                    at: Pos::of(src, value.span().start),
                };
                if name == "fg" {
                    style.fg = Some(color);
                } else {
                    style.bg = Some(color);
                }
                has_style = true;
            }
            "modifiers" => {
                style.modifiers = parse_modifiers(src, &role, value)?;
                has_style = true;
            }
            sub => parse_role(src, format!("{role}.{sub}"), field, value, roles)?,
        }
    }
    // A table of only sub-roles (a `[diff]` section) groups them; it does not
    // give `diff` itself a style, so `diff` keeps falling back to `text`.
    if has_style {
        roles.insert(role, style);
    }
    Ok(())
}

/// The colour text of a value: a string, or an integer palette index.
fn color_spec(
    src: &Source<'_>,
    key: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<String, ThemeError> {
    match value.get_ref() {
        DeValue::String(s) => Ok(s.to_string()),
        DeValue::Integer(i) => u8::from_str_radix(i.as_str(), i.radix())
            .map(|n| n.to_string())
            .map_err(|_| {
                src.error(
                    value.span(),
                    Some(key),
                    format!("\"{key}\": colour index {} is outside 0–255", i.as_str()),
                )
            }),
        other => Err(src.error(
            value.span(),
            Some(key),
            format!(
                "\"{key}\": expected a colour ({COLOR_FORMS}), found {}",
                other.type_str()
            ),
        )),
    }
}

fn parse_modifiers(
    src: &Source<'_>,
    role: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<Modifier, ThemeError> {
    let names: Vec<&str> = MODIFIERS.iter().map(|(n, _)| *n).collect();
    let Some(items) = value.get_ref().as_array() else {
        return Err(src.error(
            value.span(),
            Some(role),
            format!("\"{role}\": modifiers must be a list such as [\"bold\"]"),
        ));
    };
    let mut modifiers = Modifier::empty();
    for item in items.iter() {
        let found = item
            .get_ref()
            .as_str()
            .and_then(|s| MODIFIERS.iter().find(|(n, _)| *n == s));
        match found {
            Some(&(_, m)) => modifiers |= m,
            None => {
                return Err(src.error(
                    item.span(),
                    Some(role),
                    format!(
                        "\"{role}\": unknown modifier; expected one of: {}",
                        names.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(modifiers)
}

/// A colour written as `#rrggbb`, `0`–`255` or a name; palette names are
/// looked up before this.
fn parse_color(spec: &str) -> Option<Color> {
    if let Some(hex) = spec.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        return Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?));
    }
    if !spec.is_empty() && spec.chars().all(|c| c.is_ascii_digit()) {
        return spec.parse().ok().map(Color::Indexed);
    }
    let folded: String = spec
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    NAMED_COLORS
        .iter()
        .find(|(n, _)| *n == folded)
        .map(|&(_, c)| c)
}

/// A role is known when the console uses it or it is a group of such roles
/// (`diff`, `slider.level`): a typo must be an error, not a silent no-op.
fn is_known_role(role: &str) -> bool {
    role::ALL.iter().any(|known| {
        known
            .strip_prefix(role)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

fn unknown_role_message(role: &str) -> String {
    let guess = located::did_you_mean(role, role::ALL);
    let group = role.split('.').next().unwrap_or(role);
    let siblings: Vec<&str> = role::ALL
        .iter()
        .copied()
        .filter(|r| r.split('.').next() == Some(group))
        .collect();
    if siblings.is_empty() {
        let mut groups: Vec<&str> = role::ALL
            .iter()
            .filter_map(|r| r.split('.').next())
            .collect();
        groups.dedup();
        format!(
            "unknown role \"{role}\"; roles start with one of: {} (or use inherits, syntax, [palette]){guess}",
            groups.join(", ")
        )
    } else {
        format!(
            "unknown role \"{role}\"; the roles under \"{group}\" are: {}{guess}",
            siblings.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(hex: u32) -> Color {
        Color::Rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
    }

    fn builtin(name: &str) -> Theme {
        Theme::builtin(name).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A theme from one text with no base, to see fallback on its own.
    fn from_text(text: &str) -> Theme {
        let path = Path::new("t.toml");
        resolve("t", parse_theme(&Source::new(path, text)).unwrap()).unwrap()
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn every_builtin_theme_parses_and_defines_every_role() {
        assert_eq!(
            BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            Theme::builtin_names()
        );
        for &name in Theme::builtin_names() {
            let theme = builtin(name);
            assert_eq!(theme.name(), name);
            for role in role::ALL {
                // Built-ins spell every role out: falling back to `text`
                // would make a failed turn look like any other line.
                assert!(theme.defines(role), "{name} leaves out {role}");
                assert!(
                    theme.style(role).fg.is_some(),
                    "{name}: {role} has no colour"
                );
            }
            assert!(
                SYNTECT_DEFAULT_THEMES.contains(&theme.syntax_theme()),
                "{name}: syntax {}",
                theme.syntax_theme()
            );
        }
    }

    #[test]
    fn resolved_styles_are_the_files_values() {
        let dark = builtin("dark");
        assert_eq!(
            dark.style(role::DIFF_ADDED),
            Style::new().fg(rgb(0xb5e8b0)).bg(rgb(0x1e3a24))
        );
        assert_eq!(
            dark.style(role::STATE_FAILED),
            Style::new().fg(rgb(0xff5f5f)).add_modifier(Modifier::BOLD)
        );
        assert_eq!(dark.style(role::TEXT), Style::new().fg(rgb(0xd4d4d4)));
        // Palette names resolve to the real Catppuccin Mocha and gruvbox values.
        let mocha = builtin("catppuccin-mocha");
        assert_eq!(
            mocha.style(role::TEXT),
            Style::new().fg(rgb(0xcdd6f4)).bg(rgb(0x1e1e2e))
        );
        assert_eq!(mocha.style(role::DIFF_ADDED).fg, Some(rgb(0xa6e3a1)));
        assert_eq!(mocha.style(role::STATE_FAILED).fg, Some(rgb(0xf38ba8)));
        let gruvbox = builtin("gruvbox-dark");
        assert_eq!(gruvbox.style(role::TEXT).fg, Some(rgb(0xebdbb2)));
        assert_eq!(gruvbox.style(role::STATE_LANDED).fg, Some(rgb(0xb8bb26)));
        assert_eq!(gruvbox.style(role::RISK_ESCALATED).bg, Some(rgb(0xcc241d)));
        let hc = builtin("high-contrast");
        assert_eq!(
            hc.style(role::SELECTION),
            Style::new()
                .fg(rgb(0x000000))
                .bg(rgb(0xffff00))
                .add_modifier(Modifier::BOLD)
        );
    }

    #[test]
    fn meaningful_roles_stand_out_in_every_builtin() {
        let distinct = |theme: &Theme, roles: &[&str]| {
            for (i, a) in roles.iter().enumerate() {
                for b in &roles[i + 1..] {
                    assert_ne!(
                        theme.style(a),
                        theme.style(b),
                        "{}: {a} vs {b}",
                        theme.name()
                    );
                }
            }
        };
        for &name in Theme::builtin_names() {
            let t = builtin(name);
            let text = t.style(role::TEXT);
            for role in role::ALL
                .iter()
                .filter(|r| **r != role::TEXT && **r != role::HELP_ACTION)
            {
                let same_as_text = t.style(role) == text;
                // Plain text and plain lines may look like text; everything
                // that carries a meaning must not.
                let plain = [
                    role::DIFF_CONTEXT,
                    role::DIALOG,
                    role::FOOTER,
                    role::TAB,
                    role::BORDER,
                    role::SLIDER_TRACK,
                ];
                assert!(
                    !same_as_text || plain.contains(role),
                    "{name}: {role} looks like text"
                );
            }
            distinct(
                &t,
                &[
                    role::STATE_RUNNING,
                    role::STATE_AWAITING_REVIEW,
                    role::STATE_LANDED,
                    role::STATE_REJECTED,
                    role::STATE_FAILED,
                    role::STATE_NO_CHANGES,
                    role::STATE_INTERRUPTED,
                    role::STATE_ROLLED_BACK,
                ],
            );
            distinct(
                &t,
                &[
                    role::RISK_LOW,
                    role::RISK_MEDIUM,
                    role::RISK_HIGH,
                    role::RISK_ESCALATED,
                ],
            );
            distinct(
                &t,
                &[
                    role::SLIDER_LEVEL_MANUAL,
                    role::SLIDER_LEVEL_REVIEW,
                    role::SLIDER_LEVEL_GUARDED,
                    role::SLIDER_LEVEL_AUTO,
                ],
            );
            distinct(&t, &[role::QUEUE_HIGH, role::QUEUE_MEDIUM, role::QUEUE_LOW]);
            distinct(
                &t,
                &[
                    role::DIFF_ADDED,
                    role::DIFF_REMOVED,
                    role::DIFF_CONTEXT,
                    role::DIFF_ADDED_EMPHASIS,
                    role::DIFF_REMOVED_EMPHASIS,
                ],
            );
            distinct(
                &t,
                &[
                    role::MARKER_CONTROL,
                    role::MARKER_BIDI,
                    role::MARKER_ZERO_WIDTH,
                ],
            );
            distinct(&t, &[role::BORDER, role::BORDER_FOCUS]);
            distinct(&t, &[role::TAB, role::TAB_ACTIVE]);
            distinct(&t, &[role::GAUGE, role::GAUGE_HIGH]);
            // A selected row must be visible without colour vision: a
            // background of its own, or reverse video.
            let sel = t.style(role::SELECTION);
            assert!(
                sel.bg.is_some() || sel.add_modifier.contains(Modifier::REVERSED),
                "{name}"
            );
            // Hidden characters are flagged with a background, not just a hue.
            for m in [
                role::MARKER_CONTROL,
                role::MARKER_BIDI,
                role::MARKER_ZERO_WIDTH,
            ] {
                assert!(t.style(m).bg.is_some(), "{name}: {m}");
            }
        }
    }

    fn luminance(c: Color) -> f64 {
        let Color::Rgb(r, g, b) = c else {
            panic!("built-in themes use #rrggbb so contrast can be checked, found {c:?}");
        };
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }

    fn contrast(a: Color, b: Color) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn builtin_themes_meet_wcag_contrast() {
        // Roles with no background of their own sit on `text`'s, or on the
        // terminal's: assumed a common dark grey, or near-white for "light".
        for &name in Theme::builtin_names() {
            let t = builtin(name);
            let screen = t.style(role::TEXT).bg.unwrap_or(if name == "light" {
                rgb(0xfafafa)
            } else {
                rgb(0x1e1e1e)
            });
            for &role in role::ALL {
                let style = t.style(role);
                let (fg, bg) = (style.fg.unwrap(), style.bg.unwrap_or(screen));
                let needed = match role {
                    _ if name == "high-contrast" => 7.0,
                    // Decoration that carries no information.
                    role::BORDER | role::SLIDER_TRACK => continue,
                    // Graphics rather than text (WCAG 1.4.11).
                    role::BORDER_FOCUS | role::SLIDER_KNOB | role::GAUGE | role::GAUGE_HIGH => 3.0,
                    _ => 4.5,
                };
                let got = contrast(fg, bg);
                assert!(
                    got >= needed,
                    "{name}: {role} has contrast {got:.2}, needs {needed}"
                );
            }
        }
    }

    #[test]
    fn dark_and_light_suit_their_backgrounds() {
        assert!(luminance(builtin("dark").style(role::TEXT).fg.unwrap()) > 0.5);
        assert!(luminance(builtin("light").style(role::TEXT).fg.unwrap()) < 0.05);
    }

    #[test]
    fn missing_roles_fall_back_along_their_dots() {
        let t = from_text(
            "text = \"white\"\n\"diff\" = { fg = \"blue\" }\n\"diff.added\" = { fg = \"green\", modifiers = [\"bold\"] }\n",
        );
        let added = Style::new().fg(Color::Green).add_modifier(Modifier::BOLD);
        assert_eq!(t.style("diff.added.emphasis"), added);
        assert_eq!(t.style("diff.added"), added);
        assert_eq!(
            t.style("diff.removed.emphasis"),
            Style::new().fg(Color::Blue)
        );
        assert_eq!(t.style("diff"), Style::new().fg(Color::Blue));
        assert_eq!(t.style("state.failed"), Style::new().fg(Color::White));
        assert_eq!(t.style("no.such.role"), Style::new().fg(Color::White));
        assert_eq!(t.style(""), Style::new().fg(Color::White));
        // With no `text` at all, the terminal's defaults.
        assert_eq!(
            from_text("\"diff.added\" = \"green\"\n").style("state.failed"),
            Style::default()
        );
        assert_eq!(
            builtin("dark").style("nonsense"),
            builtin("dark").style(role::TEXT)
        );
    }

    #[test]
    fn sections_and_dotted_keys_mean_the_same_roles() {
        let quoted = from_text("\"diff.added\" = \"green\"\n\"slider.level.auto\" = 208\n");
        let nested = from_text("[diff]\nadded = \"green\"\n[slider.level]\nauto = 208\n");
        let dotted = from_text("diff.added = \"green\"\nslider.level.auto = \"208\"\n");
        for t in [&nested, &dotted] {
            assert_eq!(t.style(role::DIFF_ADDED), quoted.style(role::DIFF_ADDED));
            assert_eq!(
                t.style(role::SLIDER_LEVEL_AUTO),
                Style::new().fg(Color::Indexed(208))
            );
        }
        // A section only groups: `diff` itself stays undefined.
        assert!(!nested.defines("diff"));
        // A table with both its own style and sub-roles defines both.
        let both = from_text("[diff]\nfg = \"blue\"\nadded = \"green\"\n");
        assert_eq!(both.style("diff"), Style::new().fg(Color::Blue));
        assert_eq!(both.style("diff.added"), Style::new().fg(Color::Green));
    }

    #[test]
    fn colour_forms() {
        assert_eq!(parse_color("#a6e3a1"), Some(rgb(0xa6e3a1)));
        assert_eq!(parse_color("#A6E3A1"), Some(rgb(0xa6e3a1)));
        assert_eq!(parse_color("red"), Some(Color::Red));
        assert_eq!(parse_color("light-red"), Some(Color::LightRed));
        assert_eq!(parse_color("LightRed"), Some(Color::LightRed));
        assert_eq!(parse_color("dark_grey"), Some(Color::DarkGray));
        assert_eq!(parse_color("reset"), Some(Color::Reset));
        assert_eq!(parse_color("0"), Some(Color::Indexed(0)));
        assert_eq!(parse_color("255"), Some(Color::Indexed(255)));
        for bad in ["256", "#abc", "#gggggg", "gren", "", "#a6e3a1ff", "-1"] {
            assert_eq!(parse_color(bad), None, "{bad}");
        }
    }

    #[test]
    fn user_theme_overlays_the_builtin_of_its_name_or_dark() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "themes/dark.toml",
            "\"text.muted\" = \"#999999\"\n[diff]\nadded = { fg = \"#00ff00\", modifiers = [\"bold\"] }\n",
        );
        let (t, err) = load_from(Some(dir.path()), "dark");
        assert_eq!(err, None);
        let dark = builtin("dark");
        assert_eq!(t.style(role::TEXT_MUTED), Style::new().fg(rgb(0x999999)));
        // The whole role is replaced, not merged: no background any more.
        assert_eq!(
            t.style(role::DIFF_ADDED),
            Style::new().fg(rgb(0x00ff00)).add_modifier(Modifier::BOLD)
        );
        assert_eq!(t.style(role::DIFF_REMOVED), dark.style(role::DIFF_REMOVED));
        assert_eq!(t.syntax_theme(), dark.syntax_theme());

        write(
            dir.path(),
            "themes/mine.toml",
            "syntax = \"Solarized (dark)\"\nerror = \"red\"\n",
        );
        let (t, err) = load_from(Some(dir.path()), "mine");
        assert_eq!(err, None);
        assert_eq!(t.name(), "mine");
        assert_eq!(t.style(role::ERROR), Style::new().fg(Color::Red));
        assert_eq!(t.style(role::STATE_FAILED), dark.style(role::STATE_FAILED));
        assert_eq!(t.syntax_theme(), "Solarized (dark)");

        // A user file may refine the built-in of its own name explicitly.
        write(
            dir.path(),
            "themes/light.toml",
            "inherits = \"light\"\nerror = \"red\"\n",
        );
        let (t, err) = load_from(Some(dir.path()), "light");
        assert_eq!(err, None);
        assert_eq!(t.style(role::TEXT), builtin("light").style(role::TEXT));
        assert_eq!(t.style(role::ERROR), Style::new().fg(Color::Red));
    }

    #[test]
    fn inherits_chain_with_palette_override() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "themes/warm.toml",
            "inherits = \"gruvbox-dark\"\n\"state.failed\" = \"#ff0000\"\n",
        );
        write(
            dir.path(),
            "themes/warmer.toml",
            "inherits = \"warm\"\n\"diff.hunk\" = \"green\"\n[palette]\nred = \"#ff0000\"\n",
        );
        let (t, err) = load_from(Some(dir.path()), "warmer");
        assert_eq!(err, None);
        let gruvbox = builtin("gruvbox-dark");
        // From warm.
        assert_eq!(t.style(role::STATE_FAILED), Style::new().fg(rgb(0xff0000)));
        // gruvbox's roles use the palette of the theme that inherits them.
        assert_eq!(t.style(role::ERROR).fg, Some(rgb(0xff0000)));
        assert_eq!(gruvbox.style(role::ERROR).fg, Some(rgb(0xfb4934)));
        // Palette names win over the named colours they shadow.
        assert_eq!(t.style(role::DIFF_HUNK), Style::new().fg(rgb(0xb8bb26)));
        assert_eq!(t.style(role::TEXT), gruvbox.style(role::TEXT));
        assert_eq!(t.syntax_theme(), "base16-eighties.dark");
    }

    #[test]
    fn inherits_cycle_is_an_error_at_the_inherits() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "themes/a.toml", "inherits = \"b\"\n");
        write(
            dir.path(),
            "themes/b.toml",
            "text = \"red\"\n\ninherits = \"c\"\n",
        );
        write(dir.path(), "themes/c.toml", "inherits = \"a\"\n");
        let (t, err) = load_from(Some(dir.path()), "a");
        let err = err.expect("a cycle must be reported");
        assert_eq!(t, builtin("dark"));
        assert_eq!(err.path, dir.path().join("themes/c.toml"));
        assert_eq!(
            (err.line, err.column, err.key.as_deref()),
            (1, 12, Some("inherits"))
        );
        assert!(err.message.contains("a → b → c → a"), "{err}");

        write(dir.path(), "themes/self.toml", "inherits = \"self\"\n");
        let (_, err) = load_from(Some(dir.path()), "self");
        assert!(err.unwrap().message.contains("no theme named \"self\""));
    }

    fn broken(text: &str) -> ThemeError {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "themes/mine.toml", text);
        let (theme, err) = load_from(Some(dir.path()), "mine");
        assert_eq!(theme, builtin("dark"), "a broken theme falls back to dark");
        let err = err.expect("the error is reported");
        assert_eq!(err.path, dir.path().join("themes/mine.toml"));
        err
    }

    #[test]
    fn broken_theme_names_file_line_and_key() {
        // Two bad colours: the one earlier in the file is reported, though
        // "border" sorts first by name.
        let err =
            broken("text = \"white\"\n\"diff.added\" = { fg = \"gren\" }\n\"border\" = \"bleu\"\n");
        assert_eq!(
            (err.line, err.column, err.key.as_deref()),
            (2, 23, Some("diff.added"))
        );
        assert!(
            err.message
                .contains("unknown colour \"gren\"; expected #rrggbb"),
            "{err}"
        );
        assert!(
            err.to_string()
                .ends_with(&format!("mine.toml:2:23: {}", err.message))
        );

        let err = broken("\n\"diff.aded\" = \"green\"\n");
        assert_eq!(
            (err.line, err.column, err.key.as_deref()),
            (2, 1, Some("diff.aded"))
        );
        assert!(
            err.message
                .contains("roles under \"diff\" are: diff.added, diff.removed"),
            "{err}"
        );

        let err = broken("[slider]\nknobb = \"red\"\n");
        assert_eq!((err.line, err.key.as_deref()), (2, Some("slider.knobb")));

        let err = broken("colour = \"red\"\n");
        assert!(
            err.message
                .contains("roles start with one of: text, border"),
            "{err}"
        );

        let err = broken("error = { fg = \"red\", modifiers = [\"bold\", \"blink\"] }\n");
        assert_eq!(
            (err.line, err.column, err.key.as_deref()),
            (1, 44, Some("error"))
        );
        assert!(err.message.contains("expected one of: bold, dim"), "{err}");

        let err = broken("error = 300\n");
        assert!(err.message.contains("outside 0–255"), "{err}");

        let err = broken("error = true\n");
        assert!(err.message.contains("found boolean"), "{err}");

        let err = broken("inherits = \"nord\"\n");
        assert_eq!((err.line, err.column), (1, 12));
        assert!(err.message.contains("no theme named \"nord\""), "{err}");

        let err = broken("[palette]\nred = \"#ff00\"\n");
        assert_eq!((err.line, err.key.as_deref()), (2, Some("red")));

        let err = broken("text = { fg = \"red\"\n");
        assert_eq!(err.line, 1);
        assert_eq!(err.key, None);

        let err = broken("syntax = \"\"\n");
        assert_eq!(err.key.as_deref(), Some("syntax"));
    }

    #[test]
    fn without_colour_drops_every_colour_and_keeps_the_cues() {
        for name in Theme::builtin_names() {
            let t = builtin(name).without_colour();
            for (role, style) in &t.styles {
                assert!(
                    style.fg.is_none() && style.bg.is_none(),
                    "{name}: {role} keeps a colour"
                );
            }
            for role in [role::SELECTION, role::TAB_ACTIVE, role::SLIDER_KNOB] {
                assert!(
                    t.style(role).add_modifier.contains(Modifier::REVERSED),
                    "{name}: {role}"
                );
            }
            assert!(
                !t.style(role::TEXT)
                    .add_modifier
                    .contains(Modifier::REVERSED),
                "{name}: plain text stays plain"
            );
        }
    }

    #[test]
    fn unknown_theme_name_falls_back_to_dark() {
        let (t, err) = load_from(None, "nord");
        assert_eq!(t, builtin("dark"));
        assert!(
            err.unwrap()
                .message
                .contains("built-in themes are dark, light")
        );
        let (t, err) = load_from(None, "catppuccin-mocha");
        assert_eq!((t, err), (builtin("catppuccin-mocha"), None));
    }
}
