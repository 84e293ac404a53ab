//! `codex exec --json` lines through its adapter, the run summary and the
//! console's transcript renderer. Invariants: no panic; a tool use is counted
//! once; no rendered line holds a control, bidi or zero-width character raw.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = leash::fuzzing::check_codex_stream(data) {
        panic!("invariant broken: {e}");
    }
});
