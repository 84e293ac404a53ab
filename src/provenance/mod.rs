//! Provenance: where each line came from — the turn, the action and the
//! sources behind it.

pub mod blame;
