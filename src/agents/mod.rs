//! Running agents: process supervision, isolated turns, and the adapters
//! that read Claude Code's and Codex's JSON streams.

pub mod adapter;
pub mod claude;
pub mod codex;
pub mod confine;
pub mod detached;
pub mod gate;
pub mod gate_relay;
pub mod hook_answer;
pub mod hooks_config;
pub mod hooks_status;
pub mod in_place;
pub mod process;
pub mod procs;
pub mod run;
pub mod shell;

pub use run::TurnSpec;
