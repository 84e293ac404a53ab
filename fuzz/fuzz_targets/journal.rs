//! Journal lines through the reader (`journal::parse_line`) and the fold
//! (`State::apply`), then what the commands ask of the state. Invariants: no
//! panic; every listed turn can be found by its id.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = leash::fuzzing::check_journal(data) {
        panic!("invariant broken: {e}");
    }
});
