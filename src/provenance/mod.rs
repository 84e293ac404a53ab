//! Provenance: what every landed commit carries about the turn behind it
//! (`notes`: the git note under `refs/notes/leash`, `sign`: its SSH
//! signature), and `leash verify`'s check of a branch's history from git
//! alone (`verify`).

pub mod notes;
pub mod sign;
pub mod verify;
