//! Reads the hand-written options of an `[[invariant]]` table. Every error
//! names the key and what was expected, because the person who reads it is
//! the person who typed the key.

use std::time::Duration;

use super::tree;

/// The options of one invariant, checked against the keys its kind knows.
pub(crate) struct Options<'a> {
    table: &'a toml::Table,
}

impl<'a> Options<'a> {
    /// Refuses keys that `kind` does not know (a typo would otherwise be
    /// silently ignored and the check would not do what its author thinks).
    pub(crate) fn new(kind: &str, table: &'a toml::Table, keys: &[&str]) -> Result<Self, String> {
        for key in table.keys() {
            if !keys.contains(&key.as_str()) {
                let expected = if keys.is_empty() {
                    format!("kind `{kind}` takes no options")
                } else {
                    format!("expected one of: {}", keys.join(", "))
                };
                return Err(format!(
                    "unknown option `{key}` for kind `{kind}`; {expected}"
                ));
            }
        }
        Ok(Options { table })
    }

    fn wrong(key: &str, expected: &str, v: &toml::Value) -> String {
        format!("`{key}` must be {expected}, found {}", describe(v))
    }

    /// An optional string.
    pub(crate) fn string(&self, key: &str, expected: &str) -> Result<Option<String>, String> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(Self::wrong(key, expected, v)),
        }
    }

    /// A string that must be there.
    pub(crate) fn req_string(&self, key: &str, expected: &str) -> Result<String, String> {
        self.string(key, expected)?
            .ok_or_else(|| missing(key, expected))
    }

    /// An optional array of strings.
    pub(crate) fn strings(&self, key: &str, expected: &str) -> Result<Option<Vec<String>>, String> {
        let Some(v) = self.table.get(key) else {
            return Ok(None);
        };
        let toml::Value::Array(items) = v else {
            return Err(Self::wrong(key, expected, v));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                toml::Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "`{key}` must be {expected}; item {} is {}",
                    i + 1,
                    describe(other)
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// An optional boolean.
    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.table.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(v) => Err(Self::wrong(key, "true or false", v)),
        }
    }

    /// An optional positive duration written like "90s" or "5m".
    pub(crate) fn duration(&self, key: &str) -> Result<Option<Duration>, String> {
        let expected = "a duration such as \"90s\" or \"5m\"";
        let Some(s) = self.string(key, expected)? else {
            return Ok(None);
        };
        match humantime::parse_duration(&s) {
            Ok(d) if !d.is_zero() => Ok(Some(d)),
            Ok(_) => Err(format!(
                "`{key}` must be longer than zero; expected {expected}"
            )),
            Err(e) => Err(format!(
                "`{key}` = \"{s}\" is not a duration ({e}); expected {expected}"
            )),
        }
    }

    /// An optional path inside the workspace, normalized ("." is the root).
    pub(crate) fn path(&self, key: &str, expected: &str) -> Result<Option<String>, String> {
        self.string(key, expected)?
            .map(|p| inside(key, &p, expected))
            .transpose()
    }

    /// A path inside the workspace that must be there.
    pub(crate) fn req_path(&self, key: &str, expected: &str) -> Result<String, String> {
        self.path(key, expected)?
            .ok_or_else(|| missing(key, expected))
    }

    /// An optional array of paths inside the workspace.
    pub(crate) fn paths(&self, key: &str, expected: &str) -> Result<Option<Vec<String>>, String> {
        let Some(list) = self.strings(key, expected)? else {
            return Ok(None);
        };
        list.iter()
            .map(|p| inside(key, p, expected))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

fn missing(key: &str, expected: &str) -> String {
    format!("missing option `{key}`; expected {expected}")
}

/// A relative path that stays inside the root, normalized.
fn inside(key: &str, p: &str, expected: &str) -> Result<String, String> {
    if p.is_empty() || p.starts_with('/') || p.starts_with('~') {
        return Err(format!(
            "`{key}` must be a path relative to the workspace root, found \"{p}\"; expected {expected}"
        ));
    }
    tree::normalize(p).ok_or_else(|| {
        format!("`{key}` = \"{p}\" leads outside the workspace; expected {expected}")
    })
}

/// A value as an error message names it.
fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("the string \"{s}\""),
        toml::Value::Integer(i) => format!("the integer {i}"),
        toml::Value::Float(f) => format!("the number {f}"),
        toml::Value::Boolean(b) => format!("the boolean {b}"),
        toml::Value::Datetime(d) => format!("the date {d}"),
        toml::Value::Array(_) => "an array".to_string(),
        toml::Value::Table(_) => "a table".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> toml::Table {
        s.parse().unwrap()
    }

    #[test]
    fn unknown_keys_are_named() {
        let t = table("rots = [\"a\"]");
        let e = Options::new("readme", &t, &["roots"]).err().unwrap();
        assert_eq!(
            e,
            "unknown option `rots` for kind `readme`; expected one of: roots"
        );
        let e = Options::new("x", &t, &[]).err().unwrap();
        assert_eq!(
            e,
            "unknown option `rots` for kind `x`; kind `x` takes no options"
        );
    }

    #[test]
    fn types_and_paths() {
        let t = table(
            "a = 3\nb = [\"x\", 2]\nc = \"../up\"\nd = \"0s\"\ne = \"soon\"\nf = \"./docs/\"",
        );
        let o = Options::new("k", &t, &["a", "b", "c", "d", "e", "f"]).unwrap();
        assert_eq!(
            o.string("a", "a path").err().unwrap(),
            "`a` must be a path, found the integer 3"
        );
        assert_eq!(
            o.strings("b", "an array of paths").err().unwrap(),
            "`b` must be an array of paths; item 2 is the integer 2"
        );
        assert!(
            o.path("c", "a folder")
                .err()
                .unwrap()
                .contains("leads outside the workspace")
        );
        assert!(o.duration("d").err().unwrap().contains("longer than zero"));
        assert!(
            o.duration("e")
                .err()
                .unwrap()
                .starts_with("`e` = \"soon\" is not a duration")
        );
        assert_eq!(o.path("f", "").unwrap().as_deref(), Some("docs"));
        assert_eq!(
            o.req_string("g", "a path such as \"AGENTS.md\"")
                .err()
                .unwrap(),
            "missing option `g`; expected a path such as \"AGENTS.md\""
        );
        assert_eq!(o.bool("g").unwrap(), None);
    }
}
