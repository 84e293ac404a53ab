//! The toolkit every config file of leash is read with — the workspace's
//! `.leash/config.toml` and `tasks.toml`, the user's `config.toml`, themes,
//! keymaps, and the agents' hook settings: the source text with its path,
//! the one error type (path, line, column, key, message), the one
//! byte-offset → line:column function, and reading a file that may be
//! absent.
//!
//! Typed files are deserialized through `serde_path_to_error`, so an error
//! knows the key path it happened at without reading serde's or toml's
//! wording back; a misspelt key gets a "did you mean" from the keys the
//! table accepts (found by asking the target type, see [`keys_at`]) and
//! `strsim`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeOwned, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub use crate::model::Pos;

/// A config file that cannot be used, and where and why. The one error
/// type of every config loader (`ThemeError`, `KeymapError` and
/// `SettingsError` are this type).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The key (dotted path), role or binding concerned, when there is one.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ConfigError {
    pub fn new(path: &Path, pos: Pos, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.to_path_buf(),
            line: pos.line,
            column: pos.column,
            key: None,
            message: message.into(),
        }
    }

    /// The same error, about `key`.
    pub fn with_key(mut self, key: Option<&str>) -> ConfigError {
        self.key = key.map(str::to_owned);
        self
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`; an
/// offset inside a character counts as that character.
pub fn pos_in(text: &str, offset: usize) -> Pos {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

/// Reads a file that may legitimately be absent: `Ok(None)` when it is.
pub fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::new(
            path,
            Pos::default(),
            format!("cannot read the file: {e}"),
        )),
    }
}

/// The word of `candidates` that `given` is likely a typo of, if one is.
pub fn suggest<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|w| (strsim::levenshtein(given, w), *w))
        .filter(|(d, w)| {
            let len = w.chars().count();
            *d <= 2.max(len / 4) && *d < len
        })
        .min()
        .map(|(_, w)| w)
}

/// `"; did you mean `word`?"` when one of `candidates` is a likely typo of
/// `given`, else nothing: to end a message with.
pub fn did_you_mean(given: &str, candidates: &[&str]) -> String {
    suggest(given, candidates)
        .map(|w| format!("; did you mean `{w}`?"))
        .unwrap_or_default()
}

/// A config file's text with its path, turning byte spans into the
/// line:column a person can jump to.
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        Source { path, text }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn pos(&self, offset: usize) -> Pos {
        pos_in(self.text, offset)
    }

    /// An error at the start of `span`.
    pub fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.path, self.pos(span.start), message)
    }

    /// An error at the start of `span`, about `key`.
    pub fn error(
        &self,
        span: Range<usize>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> ConfigError {
        self.err(span, message).with_key(key)
    }

    /// Deserializes the whole text as a `T`. An error is placed where toml
    /// saw it and names the key path it happened at; a key that `T` does not
    /// accept there gets a "did you mean" when one it accepts is close.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let de = toml::Deserializer::parse(self.text).map_err(|e| self.toml_error(&e, &[]))?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let keys: Vec<String> = e
                .path()
                .iter()
                .filter_map(|s| match s {
                    serde_path_to_error::Segment::Map { key } if !key.starts_with(PRIVATE) => {
                        Some(key.clone())
                    }
                    _ => None,
                })
                .collect();
            self.typed_error::<T>(e.inner(), &keys)
        })
    }

    /// `e`, found at `keys`, as a [`ConfigError`] with its key path and a
    /// suggestion.
    fn typed_error<T: DeserializeOwned>(
        &self,
        e: &toml::de::Error,
        keys: &[String],
    ) -> ConfigError {
        // The last key may be the one refused: then the table is the one
        // above it, and the key's neighbours are the words to suggest.
        let (table, last) = match keys.split_last() {
            Some((last, table)) => (table, Some(last.as_str())),
            None => (keys, None),
        };
        let accepted = keys_at::<T>(table);
        let refused = last.filter(|k| accepted.as_ref().is_some_and(|a| !a.contains(k)));
        let shown: Vec<&str> = if refused.is_some() { table } else { keys }
            .iter()
            .map(String::as_str)
            .collect();
        let mut err = self.toml_error(e, &shown);
        // The key concerned, a refused one included.
        if !keys.is_empty() {
            err.key = Some(keys.join("."));
        }
        if let (Some(given), Some(accepted)) = (refused, &accepted) {
            err.message.push_str(&did_you_mean(given, accepted));
        }
        err
    }

    /// A toml error, placed, with the key path it happened in (`keys`).
    fn toml_error(&self, e: &toml::de::Error, keys: &[&str]) -> ConfigError {
        let mut message = e.message().to_string();
        if message == "duplicate key"
            && let Some(key) = e.span().and_then(|s| self.text.get(s))
        {
            message = format!("duplicate key `{key}`; a key may appear only once in a table");
        }
        let path = keys.join(".");
        if !path.is_empty() {
            message = format!("{message} (in `{path}`)");
        }
        let err = match e.span() {
            Some(span) => self.err(span, message),
            // Every error toml reports today has a span; should one
            // not, the top of the file is still a true position.
            None => ConfigError::new(self.path, Pos { line: 1, column: 1 }, message),
        };
        err.with_key((!path.is_empty()).then_some(path.as_str()))
    }

    /// Parses the text as TOML keeping every span; a syntax error is placed
    /// where the parser stopped.
    pub fn parse(&self) -> Result<Spanned<DeTable<'a>>, ConfigError> {
        DeTable::parse(self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            self.error(span, None, e.message().to_owned())
        })
    }

    pub fn string<'v>(
        &self,
        key: &str,
        value: &'v Spanned<DeValue<'_>>,
    ) -> Result<&'v str, ConfigError> {
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

    pub fn boolean(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<bool, ConfigError> {
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
pub fn sorted_entries<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(
    &'t Spanned<std::borrow::Cow<'i, str>>,
    &'t Spanned<DeValue<'i>>,
)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// How the keys and names that `Spanned` uses inside begin; never shown in
/// a key path.
const PRIVATE: &str = "$__";

/// The keys a `T` accepts in the table reached through `keys`, when that is
/// a struct with fixed fields; `None` when it is a map that takes any key,
/// or the path leads nowhere.
///
/// Found by asking `T` itself: a probe deserializer walks down `keys`
/// (through options, sequences and toml's `Spanned`) and records the
/// field names `T`'s `Deserialize` passes to `deserialize_struct` there.
pub fn keys_at<T: DeserializeOwned>(keys: &[String]) -> Option<Vec<&'static str>> {
    let mut found = None;
    let _ = T::deserialize(Probe {
        keys,
        found: &mut found,
    });
    found
}

struct Probe<'p> {
    keys: &'p [String],
    found: &'p mut Option<Vec<&'static str>>,
}

#[derive(Debug)]
struct ProbeDone;

impl std::fmt::Display for ProbeDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("probe done")
    }
}

impl std::error::Error for ProbeDone {}

impl de::Error for ProbeDone {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        ProbeDone
    }
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = ProbeDone;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ProbeDone> {
        Err(ProbeDone)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeDone> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, ProbeDone> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeDone> {
        v.visit_seq(ProbeSeq(Some(self)))
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeDone> {
        v.visit_map(ProbeMap {
            probe: Some(self),
            done_key: false,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ProbeDone> {
        if name.starts_with(PRIVATE) {
            // `Spanned`: numbers for its span, the probe for its value.
            return v.visit_map(ProbeSpanned {
                probe: Some(self),
                fields: fields.iter(),
                value_next: false,
            });
        }
        if self.keys.is_empty() {
            *self.found = Some(fields.to_vec());
            return Err(ProbeDone);
        }
        self.deserialize_map(v)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct tuple tuple_struct enum identifier
        ignored_any
    }
}

/// A sequence of one element: the probe, one level down is the same level.
struct ProbeSeq<'p>(Option<Probe<'p>>);

impl<'de> de::SeqAccess<'de> for ProbeSeq<'_> {
    type Error = ProbeDone;

    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, ProbeDone> {
        match self.0.take() {
            Some(p) => seed.deserialize(p).map(Some),
            None => Ok(None),
        }
    }
}

/// A map of one entry: the next key of the path, the probe one level down.
/// Toml's `Spanned` is passed through: its value key leads to the same level.
struct ProbeMap<'p> {
    probe: Option<Probe<'p>>,
    done_key: bool,
}

impl<'de> de::MapAccess<'de> for ProbeMap<'_> {
    type Error = ProbeDone;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeDone> {
        let Some(p) = &self.probe else {
            return Ok(None);
        };
        if self.done_key {
            return Err(ProbeDone);
        }
        self.done_key = true;
        let key = p.keys.first().ok_or(ProbeDone)?;
        seed.deserialize(de::value::StrDeserializer::<ProbeDone>::new(key))
            .map(Some)
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, ProbeDone> {
        let p = self.probe.take().ok_or(ProbeDone)?;
        seed.deserialize(Probe {
            keys: &p.keys[1..],
            found: p.found,
        })
    }
}

/// A `Spanned<T>` as a map of its fields: a zero for each end of the span,
/// the probe (at the same level) for the value.
struct ProbeSpanned<'p> {
    probe: Option<Probe<'p>>,
    fields: std::slice::Iter<'static, &'static str>,
    value_next: bool,
}

impl<'de> de::MapAccess<'de> for ProbeSpanned<'_> {
    type Error = ProbeDone;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeDone> {
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        self.value_next = field.ends_with("value");
        seed.deserialize(de::value::BorrowedStrDeserializer::<ProbeDone>::new(field))
            .map(Some)
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, ProbeDone> {
        if self.value_next {
            seed.deserialize(self.probe.take().ok_or(ProbeDone)?)
        } else {
            seed.deserialize(de::value::U64Deserializer::<ProbeDone>::new(0))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Top {
        run: Option<Inner>,
        #[serde(default)]
        rule: Vec<Spanned<Inner>>,
        #[serde(default)]
        named: BTreeMap<String, Spanned<Inner>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        grace: Option<Spanned<String>>,
        timeout: Option<u32>,
    }

    fn keys(path: &[&str]) -> Option<Vec<&'static str>> {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        keys_at::<Top>(&path)
    }

    #[test]
    fn keys_are_asked_of_the_type_through_options_arrays_spans_and_maps() {
        assert_eq!(keys(&[]), Some(vec!["run", "rule", "named"]));
        assert_eq!(keys(&["run"]), Some(vec!["grace", "timeout"]));
        assert_eq!(keys(&["rule"]), Some(vec!["grace", "timeout"]));
        assert_eq!(keys(&["named", "x"]), Some(vec!["grace", "timeout"]));
        // A map takes any key; a value that is no table has none.
        assert_eq!(keys(&["named"]), None);
        assert_eq!(keys(&["run", "grace"]), None);
        assert_eq!(keys(&["nowhere"]), None);
    }

    #[track_caller]
    fn error(text: &str) -> ConfigError {
        match Source::new(Path::new("f.toml"), text).deserialize::<Top>() {
            Ok(_) => panic!("expected an error for {text:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn errors_name_their_key_path_and_suggest_close_keys() {
        let e = error("[[rule]]\ntimeout = 1\n\n[[rule]]\ngrase = \"x\"\n");
        assert_eq!((e.line, e.column), (5, 1), "{e}");
        assert!(e.message.starts_with("unknown field `grase`"), "{e}");
        assert!(e.message.contains("(in `rule`)"), "{e}");
        assert!(e.message.ends_with("; did you mean `grace`?"), "{e}");
        assert_eq!(e.key.as_deref(), Some("rule.grase"));

        let e = error("[named.a]\ngrace = 1\n");
        assert_eq!((e.line, e.column), (2, 9), "{e}");
        assert!(e.message.contains("(in `named.a.grace`)"), "{e}");
        assert!(!e.message.contains("did you mean"), "{e}");
        assert_eq!(e.key.as_deref(), Some("named.a.grace"));

        // Any name is a good key of a map: nothing to suggest.
        let e = error("[named.gracee]\ntimeout = \"1\"\n");
        assert!(e.message.contains("(in `named.gracee.timeout`)"), "{e}");
        assert!(!e.message.contains("did you mean"), "{e}");

        let e = error("rn = 1\n");
        assert_eq!(e.key.as_deref(), Some("rn"));
        assert!(!e.message.contains("(in"), "{e}");
        assert!(e.message.ends_with("; did you mean `run`?"), "{e}");
    }

    #[test]
    fn syntax_errors_are_placed_without_a_key() {
        let e = error("a = \n");
        assert_eq!((e.line, e.column, e.key.as_deref()), (1, 5, None), "{e}");
        assert_eq!(e.to_string(), format!("f.toml:1:5: {}", e.message));
    }

    #[test]
    fn suggestions_are_close_words_only() {
        assert_eq!(
            suggest("requre", &["auto", "require", "off"]),
            Some("require")
        );
        assert_eq!(suggest("of", &["auto", "require", "off"]), Some("off"));
        assert_eq!(suggest("zzzz", &["auto", "require", "off"]), None);
        assert_eq!(
            did_you_mean("hgh", &["low", "high"]),
            "; did you mean `high`?"
        );
        assert_eq!(did_you_mean("x", &["low", "high"]), "");
    }

    #[test]
    fn positions_count_characters_and_clamp() {
        let text = "a = 1\n\"é\" = 2\n";
        assert_eq!(pos_in(text, 13), Pos { line: 2, column: 7 });
        assert_eq!(pos_in(text, 8), Pos { line: 2, column: 2 });
        assert_eq!(pos_in(text, 999), Pos { line: 3, column: 1 });
    }

    #[test]
    fn a_missing_file_is_none_an_unreadable_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_optional(&dir.path().join("absent.toml")), Ok(None));
        let e = read_optional(dir.path()).unwrap_err();
        assert!(e.message.starts_with("cannot read the file"), "{e}");
        assert_eq!(e.path, dir.path());
    }
}
