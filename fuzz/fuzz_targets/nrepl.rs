//! Fuzz target: nREPL bytes through framing and decoding (jankwasm::fuzzing::check_nrepl).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = jankwasm::fuzzing::check_nrepl(data) {
        panic!("{violation}");
    }
});
