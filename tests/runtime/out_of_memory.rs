//! Out of memory (issue 11): a call that needs more linear memory than the
//! runtime may have fails with "out of memory: N bytes requested, M in use"
//! instead of a bare trap, the collection after it runs in the full heap on
//! the reserve the stub's allocator kept back, and the runtime keeps
//! answering afterwards.

use crate::common;
use jank_wasmtime_harness::{Arg, HarnessError, Runtime};
use jankwasm::session::Session;

const PROGRAM: &str = "
(defn hog [n] (count (vec (map str (range n)))))
(def kept (atom []))
(defn keep! [x] (count (swap! kept conj x)))";

#[test]
fn exhausting_memory_says_so_and_the_runtime_keeps_working() {
    let mut runtime = Runtime::new().unwrap();
    runtime.set_memory_limit(64 << 20);
    let patch = common::compile_in(&mut Session::new(), PROGRAM, 1).unwrap();
    runtime
        .load_patch(&patch.bytes, &patch.symbols_export)
        .unwrap();
    assert_eq!(
        runtime
            .call_var("user", "keep!", &[Arg::Int(1)])
            .unwrap()
            .printed,
        "1"
    );
    let mut kept = 1;
    for _ in 0..2 {
        match runtime.call_var("user", "hog", &[Arg::Int(50_000_000)]) {
            Err(HarnessError::Trap { message, .. }) => {
                let words: Vec<&str> = message.split(' ').collect();
                assert!(
                    matches!(
                        words[..],
                        ["out", "of", "memory:", requested, "bytes", "requested,", in_use, "in", "use"]
                            if requested.parse::<u32>().is_ok_and(|n| n > 0)
                                && in_use.parse::<u32>().is_ok_and(|n| n > 1 << 20)
                    ),
                    "{message}"
                );
            }
            other => panic!("expected out of memory, got {other:?}"),
        }
        // What the failed call made is garbage; the state it did not touch
        // is intact, and small calls go on working.
        assert_eq!(
            runtime
                .call_var("user", "hog", &[Arg::Int(1000)])
                .unwrap()
                .printed,
            "1000"
        );
        kept += 1;
        let count = runtime.call_var("user", "keep!", &[Arg::Int(kept)]);
        assert_eq!(count.unwrap().printed, kept.to_string());
    }
}
