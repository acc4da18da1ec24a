//! Fuzz target: source text through the compiler and the harness (jankwasm::fuzzing::check_source).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = jankwasm::fuzzing::check_source(data) {
        panic!("{violation}");
    }
});
