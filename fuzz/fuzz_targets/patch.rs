//! Fuzz target: mutated patches through the dylink.0 reader and the loader (jankwasm::fuzzing::check_patch).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = jankwasm::fuzzing::check_patch(data) {
        panic!("{violation}");
    }
});
