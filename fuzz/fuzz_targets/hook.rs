//! The hook gate (`leash hook claude|codex`) on one hook input: the first
//! byte picks the dialect (even: Claude, odd: Codex), the rest is stdin. It
//! works in a temp leash workspace of its own, whatever `cwd` the input
//! names. Invariants: no panic; exit 0; stdout empty or one JSON object; a
//! deny says why; every tool call gets an explicit decision.
#![no_main]

use std::cell::RefCell;

use leash::fuzzing::GateFixture;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static FIXTURE: RefCell<Option<GateFixture>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    FIXTURE.with(|f| {
        let mut f = f.borrow_mut();
        let fixture = f.get_or_insert_with(GateFixture::new);
        if let Err(e) = fixture.check(data) {
            panic!("hook invariant broken: {e}");
        }
    });
});
