//! Fuzz target: source text through the compiler alone, no harness load
//! (jankwasm::fuzzing::check_source_compiles), for runs of many millions.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = jankwasm::fuzzing::check_source_compiles(data) {
        panic!("{violation}");
    }
});
