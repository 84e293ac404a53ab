//! The user's own settings (`<config dir>/config.toml`: theme, keymap,
//! bell, notifications) and where that config dir is. The keymap and theme
//! loaders share the dir and the error plumbing kept here, so that every
//! config error names its file, line, column and key the same way.

use std::ffi::OsString;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::keymap::Keymap;
use super::theme::Theme;

/// The environment variable that overrides the config dir (tests, portable setups).
pub const CONFIG_DIR_ENV: &str = "LEASH_CONFIG_DIR";

/// Where the user's `config.toml`, `themes/` and `keymaps/` live: `$LEASH_CONFIG_DIR`, else the platform config dir.
pub fn config_dir() -> Option<PathBuf> {
    config_dir_from(std::env::var_os(CONFIG_DIR_ENV))
}

// Split from `config_dir` so the override can be tested without mutating the
// process environment, which races with every other test thread.
fn config_dir_from(env: Option<OsString>) -> Option<PathBuf> {
    match env {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => directories::ProjectDirs::from("", "", "leash").map(|d| d.config_dir().to_path_buf()),
    }
}

/// The user's console preferences from `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSettings {
    /// Theme name: a built-in or a file in `<config dir>/themes/`.
    pub theme: String,
    /// Keymap name: a built-in or a file in `<config dir>/keymaps/`.
    pub keymap: String,
    /// Ring the terminal bell when something starts waiting for the operator.
    pub bell: bool,
    /// Also send an OSC 9 desktop notification when something starts waiting.
    pub notify_osc9: bool,
}

impl Default for UserSettings {
    fn default() -> Self {
        UserSettings {
            theme: "dark".to_owned(),
            keymap: "default".to_owned(),
            bell: true,
            notify_osc9: false,
        }
    }
}

/// A problem in `config.toml`, with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct SettingsError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The setting concerned, when there is one.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl From<Located> for SettingsError {
    fn from(l: Located) -> Self {
        SettingsError {
            path: l.path,
            line: l.line,
            column: l.column,
            key: l.key,
            message: l.message,
        }
    }
}

const SETTING_NAMES: &str = "theme, keymap, bell, notify_osc9";

/// Reads `<config dir>/config.toml`. A missing dir or file means defaults; a
/// bad setting keeps its default and is reported, the good ones still apply.
pub fn load_settings(config_dir: Option<&Path>) -> (UserSettings, Option<SettingsError>) {
    let mut settings = UserSettings::default();
    let Some(dir) = config_dir else {
        return (settings, None);
    };
    let path = dir.join("config.toml");
    let text = match read_optional(&path) {
        Ok(Some(text)) => text,
        Ok(None) => return (settings, None),
        Err(e) => return (settings, Some(e.into())),
    };
    let src = Source::new(&path, &text);
    let table = match src.parse() {
        Ok(table) => table,
        Err(e) => return (settings, Some(e.into())),
    };
    let mut first_error: Option<Located> = None;
    for (key, value) in sorted_entries(table.get_ref()) {
        if let Err(e) = apply_setting(&mut settings, dir, &src, key, value) {
            first_error.get_or_insert(e);
        }
    }
    (settings, first_error.map(SettingsError::from))
}

fn apply_setting(
    settings: &mut UserSettings,
    dir: &Path,
    src: &Source<'_>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
) -> Result<(), Located> {
    let name = key.get_ref().as_ref();
    match name {
        "theme" => {
            let theme = src.string(name, value)?;
            let user_file = dir.join("themes").join(format!("{theme}.toml"));
            if !Theme::builtin_names().contains(&theme) && !user_file.is_file() {
                return Err(src.error(
                    value.span(),
                    Some(name),
                    format!(
                        "no theme named \"{theme}\": the built-in themes are {}, and there is no file {}",
                        Theme::builtin_names().join(", "),
                        user_file.display()
                    ),
                ));
            }
            settings.theme = theme.to_owned();
        }
        "keymap" => {
            let keymap = src.string(name, value)?;
            let user_file = dir.join("keymaps").join(format!("{keymap}.toml"));
            if !Keymap::builtin_names().contains(&keymap) && !user_file.is_file() {
                return Err(src.error(
                    value.span(),
                    Some(name),
                    format!(
                        "no keymap named \"{keymap}\": the built-in keymaps are {}, and there is no file {}",
                        Keymap::builtin_names().join(", "),
                        user_file.display()
                    ),
                ));
            }
            settings.keymap = keymap.to_owned();
        }
        "bell" => settings.bell = src.boolean(name, value)?,
        "notify_osc9" => settings.notify_osc9 = src.boolean(name, value)?,
        other => {
            return Err(src.error(
                key.span(),
                Some(other),
                format!("unknown setting \"{other}\"; expected one of: {SETTING_NAMES}"),
            ));
        }
    }
    Ok(())
}

/// A config error with its place, before it becomes the error type of the
/// loader that found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub(crate) path: PathBuf,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) key: Option<String>,
    pub(crate) message: String,
}

/// A config file's text with its path, turning byte spans into the
/// line:column a person can jump to.
pub(crate) struct Source<'a> {
    pub(crate) path: &'a Path,
    pub(crate) text: &'a str,
}

impl<'a> Source<'a> {
    pub(crate) fn new(path: &'a Path, text: &'a str) -> Self {
        Source { path, text }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    pub(crate) fn error(
        &self,
        span: Range<usize>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> Located {
        let (line, column) = self.line_col(span.start);
        Located {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }

    /// Parses the text as TOML keeping every span; a syntax error is placed
    /// where the parser stopped.
    pub(crate) fn parse(&self) -> Result<Spanned<DeTable<'a>>, Located> {
        DeTable::parse(self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            self.error(span, None, e.message().to_owned())
        })
    }

    pub(crate) fn string<'v>(
        &self,
        key: &str,
        value: &'v Spanned<DeValue<'_>>,
    ) -> Result<&'v str, Located> {
        value.get_ref().as_str().ok_or_else(|| {
            self.error(
                value.span(),
                Some(key),
                format!(
                    "\"{key}\" must be a string, found {}",
                    value.get_ref().type_str()
                ),
            )
        })
    }

    fn boolean(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<bool, Located> {
        value.get_ref().as_bool().ok_or_else(|| {
            self.error(
                value.span(),
                Some(key),
                format!(
                    "\"{key}\" must be true or false, found {}",
                    value.get_ref().type_str()
                ),
            )
        })
    }
}

/// A table's entries in the order they appear in the file (the map itself is
/// sorted by name), so that the first error reported is the first in the file
/// and bindings keep the order their author gave them.
pub(crate) fn sorted_entries<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(
    &'t Spanned<std::borrow::Cow<'i, str>>,
    &'t Spanned<DeValue<'i>>,
)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// Reads a file that may legitimately be absent: `Ok(None)` when it is.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, Located> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Located {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            key: None,
            message: format!("cannot read the file: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn env_var_overrides_the_platform_dir() {
        assert_eq!(
            config_dir_from(Some(OsString::from("/tmp/leash-conf"))),
            Some(PathBuf::from("/tmp/leash-conf"))
        );
        // An empty override is treated as unset rather than as the cwd.
        assert_ne!(config_dir_from(Some(OsString::new())), Some(PathBuf::new()));
    }

    #[test]
    fn missing_dir_or_file_gives_defaults() {
        assert_eq!(load_settings(None), (UserSettings::default(), None));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            load_settings(Some(dir.path())),
            (UserSettings::default(), None)
        );
    }

    #[test]
    fn reads_every_setting() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "config.toml",
            "theme = \"light\"\nkeymap = \"vim\"\nbell = false\nnotify_osc9 = true\n",
        );
        let (settings, err) = load_settings(Some(dir.path()));
        assert_eq!(err, None);
        assert_eq!(
            settings,
            UserSettings {
                theme: "light".into(),
                keymap: "vim".into(),
                bell: false,
                notify_osc9: true,
            }
        );
    }

    #[test]
    fn user_theme_and_keymap_files_count_as_names() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "themes/mine.toml", "inherits = \"light\"\n");
        write(dir.path(), "keymaps/mine.toml", "[global]\nx = \"quit\"\n");
        write(
            dir.path(),
            "config.toml",
            "theme = \"mine\"\nkeymap = \"mine\"\n",
        );
        let (settings, err) = load_settings(Some(dir.path()));
        assert_eq!(err, None);
        assert_eq!(
            (settings.theme.as_str(), settings.keymap.as_str()),
            ("mine", "mine")
        );
    }

    #[test]
    fn unknown_key_is_an_error_with_position_and_good_keys_still_apply() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "config.toml",
            "keymap = \"emacs\"\n\n  colour = \"red\"\nbell = false\n",
        );
        let (settings, err) = load_settings(Some(dir.path()));
        let err = err.expect("unknown key must be reported");
        assert_eq!((err.line, err.column), (3, 3));
        assert_eq!(err.key.as_deref(), Some("colour"));
        assert_eq!(err.path, dir.path().join("config.toml"));
        assert!(
            err.message.contains("expected one of: theme, keymap"),
            "{err}"
        );
        assert_eq!(settings.keymap, "emacs");
        assert!(!settings.bell);
    }

    #[test]
    fn wrong_type_and_unknown_theme_keep_the_default() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.toml", "bell = \"yes\"\n");
        let (settings, err) = load_settings(Some(dir.path()));
        let err = err.unwrap();
        assert_eq!(
            (err.line, err.column, err.key.as_deref()),
            (1, 8, Some("bell"))
        );
        assert!(settings.bell);

        write(dir.path(), "config.toml", "theme = \"solarizd\"\n");
        let (settings, err) = load_settings(Some(dir.path()));
        let err = err.unwrap();
        assert_eq!(settings.theme, "dark");
        assert_eq!((err.line, err.column), (1, 9));
        assert!(err.message.contains("no theme named \"solarizd\""), "{err}");
        assert!(err.message.contains("gruvbox-dark"), "{err}");
    }

    #[test]
    fn syntax_error_is_placed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.toml", "bell = true\ntheme = \n");
        let (settings, err) = load_settings(Some(dir.path()));
        let err = err.unwrap();
        assert_eq!(settings, UserSettings::default());
        assert_eq!(err.line, 2);
        assert!(
            err.to_string()
                .starts_with(&format!("{}:2:", dir.path().join("config.toml").display()))
        );
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let path = Path::new("x.toml");
        let src = Source::new(path, "a = 1\n\"é\" = 2\n");
        // The `2` is byte 13 but character column 7 of line 2.
        assert_eq!(src.line_col(13), (2, 7));
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(999), (3, 1));
    }
}
