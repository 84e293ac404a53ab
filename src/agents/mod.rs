//! Running agents: process supervision and isolated turns. Adapters for
//! Claude Code, Codex and the demo agent come here too.

pub mod process;
pub mod run;

pub use run::TurnSpec;
