//! Deep recursion (issue 11): a plain non-tail recursion 10,000 calls deep
//! runs; deeper, it throws a StackOverflowError naming the jank fn that a
//! catch clause handles; a recursion through runtime frames that exhausts
//! the wasm stack first is a trap saying so, and the runtime keeps working.
//! Everything runs on a thread with the stack a runtime needs.

use crate::common;
use jank_wasmtime_harness::{on_host_stack, Arg, HarnessError, Runtime};
use jankwasm::session::Session;

const PROGRAM: &str = "
(defn deep [n] (if (zero? n) 0 (inc (deep (dec n)))))
(defn guarded [n] (try (deep n) (catch Throwable e (ex-message e))))
(defn deep-map [n] (if (zero? n) 0 (inc (first (map deep-map [(dec n)])))))";

fn runtime() -> Runtime {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    session.include_frames();
    let patch = common::compile_in(&mut session, PROGRAM, 1).unwrap();
    runtime
        .load_patch(&patch.bytes, &patch.symbols_export)
        .unwrap();
    runtime
}

#[test]
fn a_plain_recursion_reaches_depth_ten_thousand() {
    on_host_stack(|| {
        let mut runtime = runtime();
        let value = runtime.call_var("user", "deep", &[Arg::Int(10_000)]);
        assert_eq!(value.unwrap().printed, "10000");
    });
}

#[test]
fn deeper_is_a_catchable_stack_overflow_naming_the_fn() {
    on_host_stack(|| {
        let mut runtime = runtime();
        let caught = runtime.call_var("user", "guarded", &[Arg::Int(100_000)]);
        assert_eq!(
            caught.unwrap().printed,
            "\"stack overflow: more than 12000 nested calls, calling user/deep\""
        );
        match runtime.call_var("user", "deep", &[Arg::Int(100_000)]) {
            Err(HarnessError::Thrown(thrown)) => {
                assert!(
                    thrown.printed.contains("java.lang.StackOverflowError"),
                    "{}",
                    thrown.printed
                );
                assert_eq!(thrown.frames[0].name, "user/deep");
            }
            other => panic!("expected a StackOverflowError, got {other:?}"),
        }
        let value = runtime.call_var("user", "deep", &[Arg::Int(10_000)]);
        assert_eq!(value.unwrap().printed, "10000");
    });
}

#[test]
fn exhausting_the_wasm_stack_is_a_trap_naming_the_fn_and_the_runtime_survives() {
    on_host_stack(|| {
        let mut runtime = runtime();
        match runtime.call_var("user", "deep-map", &[Arg::Int(1_000_000)]) {
            Err(HarnessError::Trap { message, .. }) => assert!(
                message.starts_with("stack overflow in user/deep-map: the "),
                "{message}"
            ),
            other => panic!("expected a stack overflow trap, got {other:?}"),
        }
        // The trap skipped the runtime's depth bookkeeping; the safe point
        // after the call reset it, so the full depth is available again.
        let value = runtime.call_var("user", "deep", &[Arg::Int(10_000)]);
        assert_eq!(value.unwrap().printed, "10000");
    });
}

#[test]
fn a_host_with_a_smaller_stack_lowers_the_limit_for_direct_and_generic_calls() {
    on_host_stack(|| {
        let mut runtime = runtime();
        assert_eq!(runtime.set_max_call_depth(500).unwrap(), 500);
        let value = runtime.call_var("user", "deep", &[Arg::Int(400)]);
        assert_eq!(value.unwrap().printed, "400");
        let caught = runtime.call_var("user", "guarded", &[Arg::Int(600)]);
        assert_eq!(
            caught.unwrap().printed,
            "\"stack overflow: more than 500 nested calls, calling user/deep\""
        );
        // `deep` calls itself through its var's direct-call record,
        // `deep-map` through `map`'s generic call.
        for f in ["deep", "deep-map"] {
            match runtime.call_var("user", f, &[Arg::Int(600)]) {
                Err(HarnessError::Thrown(thrown)) => {
                    assert!(
                        thrown.printed.contains("more than 500 nested calls"),
                        "{}",
                        thrown.printed
                    );
                    assert_eq!(thrown.frames[0].name, format!("user/{f}"));
                }
                other => panic!("expected a StackOverflowError from {f}, got {other:?}"),
            }
        }
        // Out of range asks are clamped; the full depth comes back.
        assert_eq!(runtime.set_max_call_depth(0).unwrap(), 1);
        assert_eq!(runtime.set_max_call_depth(1 << 30).unwrap(), 12_000);
        let value = runtime.call_var("user", "deep", &[Arg::Int(10_000)]);
        assert_eq!(value.unwrap().printed, "10000");
    });
}
