//! Reading: the raw shapes files are deserialized into, keeping the spans
//! the checks of `check.rs` point at, and the value types that answer a
//! wrong word with the accepted ones.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use toml::Spanned;

use super::{AgentFormat, Allowed, ConfineMode, NetworkMode, Prompts, Unattended};
use crate::model::{AutonomyLevel, PassGate, PassMode, RiskClass};

/// Words that a config value may be; gives `Word` its error text.
pub(super) trait Words: FromStr {
    /// What a value is called, with its article.
    const WHAT: &'static str;
    fn words() -> Vec<&'static str>;
}

impl Words for RiskClass {
    const WHAT: &'static str = "a risk class";
    fn words() -> Vec<&'static str> {
        RiskClass::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for AutonomyLevel {
    const WHAT: &'static str = "an autonomy level";
    fn words() -> Vec<&'static str> {
        AutonomyLevel::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for AgentFormat {
    const WHAT: &'static str = "an agent format";
    fn words() -> Vec<&'static str> {
        AgentFormat::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for Unattended {
    const WHAT: &'static str = "an unattended policy";
    fn words() -> Vec<&'static str> {
        Unattended::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for ConfineMode {
    const WHAT: &'static str = "a confinement mode";
    fn words() -> Vec<&'static str> {
        ConfineMode::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for NetworkMode {
    const WHAT: &'static str = "a network mode";
    fn words() -> Vec<&'static str> {
        NetworkMode::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for Prompts {
    const WHAT: &'static str = "a prompts setting";
    fn words() -> Vec<&'static str> {
        Prompts::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for PassMode {
    const WHAT: &'static str = "a pass mode";
    fn words() -> Vec<&'static str> {
        PassMode::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for PassGate {
    const WHAT: &'static str = "a pass gate";
    fn words() -> Vec<&'static str> {
        PassGate::ALL.iter().map(|c| c.as_str()).collect()
    }
}

impl Words for Allowed {
    const WHAT: &'static str = "a gate answer for allowed actions";
    fn words() -> Vec<&'static str> {
        Allowed::ALL.iter().map(|c| c.as_str()).collect()
    }
}

/// A word parsed with its `FromStr`, so that a wrong word is answered with
/// the list of accepted ones (serde's own enum error is terser).
pub(super) struct Word<T>(pub(super) T);

impl<'de, T: Words> Deserialize<'de> for Word<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: Words> Visitor<'_> for V<T> {
            type Value = Word<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "one of: {}", T::words().join(", "))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Word<T>, E> {
                v.parse().map(Word).map_err(|_| {
                    let words = T::words();
                    E::custom(format!(
                        "`{v}` is not {}; expected one of: {}{}",
                        T::WHAT,
                        words.join(", "),
                        super::located::did_you_mean(v, &words)
                    ))
                })
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

pub(super) const DURATION_EXPECTED: &str = "a duration such as \"10m\" or \"90s\"";

/// A duration written for humans, `"10m"` or `"1h 30m"`.
pub(super) struct Dur(pub(super) Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(DURATION_EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                humantime::parse_duration(v.trim()).map(Dur).map_err(|_| {
                    E::custom(format!(
                        "`{v}` is not a duration; expected {DURATION_EXPECTED}; \
                         units are ms, s, m, h, d"
                    ))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// An argv array; its own type only for the error text.
pub(super) struct Argv(pub(super) Vec<String>);

impl<'de> Deserialize<'de> for Argv {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Argv;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings such as [\"program\", \"arg\"]")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Argv, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Argv(out))
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a leash config table")]
pub(super) struct RawConfig {
    pub(super) default_risk: Option<Word<RiskClass>>,
    pub(super) autonomy: Option<RawSliders>,
    #[serde(default)]
    pub(super) risk: Vec<Spanned<RawRisk>>,
    #[serde(default)]
    pub(super) agents: BTreeMap<String, Spanned<RawAgent>>,
    pub(super) gate: Option<RawGate>,
    pub(super) run: Option<RawRun>,
    #[serde(default)]
    pub(super) invariant: Vec<Spanned<RawInvariant>>,
    pub(super) provenance: Option<RawProvenance>,
    pub(super) notify: Option<RawNotify>,
    #[serde(default)]
    pub(super) prices: BTreeMap<String, Spanned<RawPrice>>,
}

/// A `[prices]` entry: `"model" = { input = 3.0, output = 15.0 }`.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a price such as { input = 3.0, output = 15.0 } (dollars per million tokens)"
)]
pub(super) struct RawPrice {
    pub(super) input: Option<Spanned<f64>>,
    pub(super) output: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [notify] table with `command`")]
pub(super) struct RawNotify {
    pub(super) command: Option<Spanned<Argv>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [provenance] table with `prompts`")]
pub(super) struct RawProvenance {
    pub(super) prompts: Option<Word<Prompts>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table of autonomy levels with keys low, medium, high"
)]
pub(super) struct RawSliders {
    pub(super) low: Option<Word<AutonomyLevel>>,
    pub(super) medium: Option<Word<AutonomyLevel>>,
    pub(super) high: Option<Word<AutonomyLevel>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [[risk]] table with `paths`, `commands` and/or `tools`, `class`, and \
                 optionally `lower`"
)]
pub(super) struct RawRisk {
    #[serde(default)]
    pub(super) paths: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) commands: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) tools: Vec<Spanned<String>>,
    pub(super) class: Option<Word<RiskClass>>,
    pub(super) lower: Option<bool>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an agent table with `command`, `format`, `writable` and `confine`"
)]
pub(super) struct RawAgent {
    pub(super) command: Option<Spanned<Argv>>,
    pub(super) format: Option<Word<AgentFormat>>,
    pub(super) writable: Option<Vec<Spanned<String>>>,
    pub(super) confine: Option<Word<ConfineMode>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [gate] table with `approval_timeout`, `unattended` and `allowed`"
)]
pub(super) struct RawGate {
    pub(super) approval_timeout: Option<Spanned<Dur>>,
    pub(super) unattended: Option<Word<Unattended>>,
    pub(super) allowed: Option<Word<Allowed>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [run] table with `timeout`, `grace`, `confine`, `network` and `allow_connect_ports`"
)]
pub(super) struct RawRun {
    pub(super) timeout: Option<Spanned<Dur>>,
    pub(super) grace: Option<Dur>,
    pub(super) confine: Option<Word<ConfineMode>>,
    pub(super) network: Option<Word<NetworkMode>>,
    pub(super) allow_connect_ports: Option<Spanned<Vec<Spanned<i64>>>>,
}

/// `name` and `kind` with their spans; every other key goes to `options`
/// unchecked, because each kind has options of its own.
pub(super) struct RawInvariant {
    pub(super) name: Option<Spanned<String>>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) options: toml::Table,
}

impl<'de> Deserialize<'de> for RawInvariant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawInvariant;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an [[invariant]] table with `name` and `kind`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawInvariant, A::Error> {
                let mut inv = RawInvariant {
                    name: None,
                    kind: None,
                    options: toml::Table::new(),
                };
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => inv.name = Some(map.next_value()?),
                        "kind" => inv.kind = Some(map.next_value()?),
                        _ => {
                            let value = map.next_value::<toml::Value>()?;
                            inv.options.insert(key, value);
                        }
                    }
                }
                Ok(inv)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a tasks file of [[task]] tables")]
pub(super) struct RawTasks {
    #[serde(default)]
    pub(super) task: Vec<Spanned<RawTask>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[task]] table")]
pub(super) struct RawTask {
    pub(super) name: Option<Spanned<String>>,
    pub(super) agent: Option<Spanned<String>>,
    pub(super) risk: Option<Word<RiskClass>>,
    pub(super) prompt: Option<Spanned<String>>,
    pub(super) command: Option<Spanned<Argv>>,
    pub(super) title: Option<String>,
    pub(super) deliverable: Option<Spanned<String>>,
    pub(super) autonomy: Option<Word<AutonomyLevel>>,
    #[serde(default)]
    pub(super) pass: Vec<Spanned<RawPass>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[task.pass]] table")]
pub(super) struct RawPass {
    pub(super) name: Option<Spanned<String>>,
    pub(super) agent: Option<Spanned<String>>,
    pub(super) command: Option<Spanned<Argv>>,
    pub(super) prompt: Option<Spanned<String>>,
    pub(super) out: Option<Spanned<String>>,
    pub(super) contract: Option<RawContract>,
    pub(super) risk: Option<Word<RiskClass>>,
    pub(super) autonomy: Option<Word<AutonomyLevel>>,
    pub(super) budget: Option<RawBudget>,
    pub(super) mode: Option<Word<PassMode>>,
    pub(super) role: Option<Spanned<String>>,
    pub(super) gate: Option<Word<PassGate>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a contract table with `nonempty`, `json`, `schema`, `headings` and `max_bytes`"
)]
pub(super) struct RawContract {
    pub(super) nonempty: Option<Spanned<bool>>,
    pub(super) json: Option<bool>,
    pub(super) schema: Option<Spanned<String>>,
    pub(super) headings: Option<Vec<Spanned<String>>>,
    pub(super) max_bytes: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a budget table with `tokens`, `usd` and `time`"
)]
pub(super) struct RawBudget {
    pub(super) tokens: Option<Spanned<i64>>,
    pub(super) usd: Option<Spanned<f64>>,
    pub(super) time: Option<Spanned<Dur>>,
}
