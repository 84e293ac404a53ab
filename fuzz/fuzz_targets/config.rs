//! Text through the workspace config and tasks loaders
//! (`parse_workspace_config`, `parse_tasks`). Invariants: no panic; an error
//! names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = leash::fuzzing::check_config(data) {
        panic!("invariant broken: {e}");
    }
});
