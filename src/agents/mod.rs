//! Running agents: process supervision, confinement, the adapters that
//! read Claude Code's and Codex's JSON streams, and the hooks' dialects.
//! Nothing here knows the workspace: what it does with a turn lives in
//! `workspace/`.

pub mod adapter;
pub mod claude;
pub mod codex;
pub mod confine;
pub mod detached;
pub mod gate_relay;
pub mod hook_answer;
pub mod hooks_config;
pub mod hooks_status;
pub mod process;
pub mod procs;
pub mod run;
