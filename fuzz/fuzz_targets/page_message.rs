//! Fuzz target: a page's WebSocket text through the server's interpretation (jankwasm::fuzzing::check_page_message).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = jankwasm::fuzzing::check_page_message(data) {
        panic!("{violation}");
    }
});
