//! The user's own settings (`<config dir>/config.toml`: theme, keymap,
//! bell, notifications) and where that config dir is. The keymap and theme
//! loaders share the dir and the error plumbing kept here, so that every
//! config error names its file, line, column and key the same way.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::DeValue;

use super::keymap::Keymap;
use super::theme::Theme;
use crate::config::located::{ConfigError, Source, did_you_mean, read_optional, sorted_entries};

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

/// A problem in `config.toml`, with the place it was found: the one config
/// error type.
pub type SettingsError = ConfigError;

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
        Err(e) => return (settings, Some(e)),
    };
    let src = Source::new(&path, &text);
    let table = match src.parse() {
        Ok(table) => table,
        Err(e) => return (settings, Some(e)),
    };
    let mut first_error: Option<ConfigError> = None;
    for (key, value) in sorted_entries(table.get_ref()) {
        if let Err(e) = apply_setting(&mut settings, dir, &src, key, value) {
            first_error.get_or_insert(e);
        }
    }
    (settings, first_error)
}

fn apply_setting(
    settings: &mut UserSettings,
    dir: &Path,
    src: &Source<'_>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
) -> Result<(), ConfigError> {
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
                format!(
                    "unknown setting \"{other}\"; expected one of: {SETTING_NAMES}{}",
                    did_you_mean(other, &SETTING_NAMES.split(", ").collect::<Vec<_>>())
                ),
            ));
        }
    }
    Ok(())
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
        let line_col = |offset| {
            let p = src.pos(offset);
            (p.line, p.column)
        };
        assert_eq!(line_col(13), (2, 7));
        assert_eq!(line_col(0), (1, 1));
        assert_eq!(line_col(999), (3, 1));
    }

    #[test]
    fn a_misspelt_setting_gets_a_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.toml", "them = \"light\"\n");
        let (_, err) = load_settings(Some(dir.path()));
        let err = err.expect("an error");
        assert_eq!((err.line, err.column), (1, 1));
        assert_eq!(err.key.as_deref(), Some("them"));
        assert!(err.message.ends_with("; did you mean `theme`?"), "{err}");
    }
}
