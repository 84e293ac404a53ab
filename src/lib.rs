//! leash: a terminal console in which a person supervises AI coding and
//! writing agents while they change a git repository.
//!
//! The library holds all logic; `cli` and `ui` are front ends over
//! [`workspace::Workspace`].

pub mod agents;
pub mod checkpoint;
pub mod cli;
pub mod code_id;
pub mod config;
pub mod demo;
pub mod diff;
pub mod event;
#[doc(hidden)]
pub mod fuzzing;
pub mod invariants;
pub mod journal;
pub mod model;
pub mod policy;
pub mod provenance;
pub mod sanitize;
pub mod state;
pub mod stats;
pub mod transcript;
pub mod ui;
pub mod words;
pub mod workspace;
