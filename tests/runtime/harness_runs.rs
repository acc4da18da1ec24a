//! Patches emitted by jankwasm, linked against the stub runtime by the
//! wasmtime harness exactly as Emscripten's loader links them.

use crate::common;
use jank_wasmtime_harness::{Arg, Runtime};
use jankwasm::session::Session;
use pretty_assertions::assert_eq;
use std::collections::BTreeSet;

fn load(runtime: &mut Runtime, session: &mut Session, text: &str, id: u64) -> Vec<String> {
    let patch = common::compile_in(session, text, id).unwrap_or_else(|d| panic!("{d}"));
    runtime
        .load_patch(&patch.bytes, &patch.symbols_export)
        .unwrap()
        .into_iter()
        .map(|outcome| match outcome.result {
            Ok(value) => value.printed,
            Err(thrown) => format!("threw {}", thrown.printed),
        })
        .collect()
}

#[test]
fn ggg_returns_58_then_59_after_a_second_patch() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    load(&mut runtime, &mut session, common::GGG, 42);
    let result = runtime.call_var("eita", "ggg", &[Arg::Int(10)]).unwrap();
    assert_eq!(result.printed, "58");
    let printed = runtime.take_output();
    let line = printed.trim_end();
    let (head, set) = line.split_once("#{").expect("a set is printed");
    assert_eq!(head, ":FROM_CLJ_..._I_MEAN_JANK_IN_WASM!! 60 ");
    let members: BTreeSet<&str> = set.trim_end_matches('}').split(' ').collect();
    assert_eq!(members, BTreeSet::from(["3", "15", "30", "999"]));

    let patched = common::GGG.replace("(+ 48 v)", "(+ 49 v)");
    load(&mut runtime, &mut session, &patched, 43);
    assert_eq!(
        runtime
            .call_var("eita", "ggg", &[Arg::Int(10)])
            .unwrap()
            .printed,
        "59"
    );
}

#[test]
fn closures_from_earlier_patches_keep_working_after_a_reload() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    load(
        &mut runtime,
        &mut session,
        "(defn adder [n] (fn [x] (+ x n))) (def add5 (adder 5))",
        1,
    );
    load(
        &mut runtime,
        &mut session,
        "(defn adder [n] (fn [x] (* x n)))",
        2,
    );
    assert_eq!(
        runtime
            .call_var("user", "add5", &[Arg::Int(1)])
            .unwrap()
            .printed,
        "6"
    );
    load(&mut runtime, &mut session, "(def times3 (adder 3))", 3);
    assert_eq!(
        runtime
            .call_var("user", "times3", &[Arg::Int(7)])
            .unwrap()
            .printed,
        "21"
    );
}

#[test]
fn top_level_forms_run_in_order_and_report_values() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    let values = load(
        &mut runtime,
        &mut session,
        "(def x 40) (println \"x is\" x) (+ x 2) [true false nil]",
        1,
    );
    assert_eq!(values, ["#'user/x", "nil", "42", "[true false nil]"]);
    assert_eq!(runtime.take_output(), "x is 40\n");
}

#[test]
fn an_uncaught_throw_stops_the_patch() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    let values = load(
        &mut runtime,
        &mut session,
        "(println 1) (throw (ex-info \"boom\" {:a 1})) (println 2)",
        1,
    );
    assert_eq!(values.len(), 2);
    assert!(values[1].starts_with("threw "), "{values:?}");
    assert!(values[1].contains("boom"), "{values:?}");
    assert_eq!(runtime.take_output(), "1\n");
}

#[test]
fn language_core_computes_what_clojure_computes() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    let program = r#"
(defn fact [n] (loop [n n acc 1] (if (<= n 1) acc (recur (dec n) (* acc n)))))
(defn count-down [n] (if (zero? n) :done (recur (dec n))))
(defn multi ([] :zero) ([a] [:one a]) ([a & more] [:many a more]))
(defn safe-div [a b] (try (/ a b) (catch :default e :caught) (finally (println "finally"))))
(defn classify [x] (cond (neg? x) :neg (zero? x) :zero :else :pos))
(defn kase [x] (case x 1 :one (2 3) :two-or-three "s" :string :default))
(letfn* [ev? (fn* [n] (if (zero? n) true (od? (dec n)))) od? (fn* [n] (if (zero? n) false (ev? (dec n))))] (def even-10 (ev? 10)))
(fact 10)
(count-down 100000)
[(multi) (multi 1) (multi 1 2 3)]
(safe-div 10 2)
(safe-div 1 0)
(mapv classify [-1 0 1])
(mapv kase [1 2 3 "s" :x])
even-10
(let [{:keys [a b] :or {b 5}} {:a 1}] [a b])
(let [[x y & zs :as all] [1 2 3 4]] [x y zs all])
(-> 5 (+ 1) (* 2))
(->> [1 2 3] (map inc) (reduce +))
(and 1 2 nil 3)
(or nil false 7)
((fn self [n] (if (pos? n) (self (dec n)) :bottom)) 3)
"#;
    let values = load(&mut runtime, &mut session, program, 1);
    let results: Vec<&str> = values
        .iter()
        .map(String::as_str)
        .filter(|v| !v.starts_with("#'"))
        .collect();
    assert_eq!(
        &results[results.len() - 15..],
        [
            "3628800",
            ":done",
            "[:zero [:one 1] [:many 1 (2 3)]]",
            "5",
            ":caught",
            "[:neg :zero :pos]",
            "[:one :two-or-three :two-or-three :string :default]",
            "true",
            "[1 5]",
            "[1 2 (3 4) [1 2 3 4]]",
            "12",
            "9",
            "nil",
            "7",
            ":bottom",
        ]
    );
    assert_eq!(runtime.take_output(), "finally\nfinally\n");
}

#[test]
fn an_interrupter_stops_a_runaway_loop_and_leaves_other_runtimes_running() {
    let mut runaway = Runtime::new_interruptible().unwrap();
    let mut bystander = Runtime::new_interruptible().unwrap();
    let mut session = Session::new();
    let source = "(defn spin [] (loop [n 0] (recur (inc n)))) (defn ok [] :ok)";
    load(&mut runaway, &mut session, source, 1);
    load(&mut bystander, &mut Session::new(), source, 1);

    assert!(Runtime::new().unwrap().interrupter().is_none());
    let interrupter = runaway.interrupter().expect("an interruptible runtime");
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        interrupter.interrupt();
    });
    let stopped = runaway.call_var("user", "spin", &[]);
    stopper.join().unwrap();
    match stopped {
        Err(jank_wasmtime_harness::HarnessError::Interrupted { during }) => {
            assert!(during.contains("user/spin"), "{during}");
        }
        other => panic!("expected an interruption, got {other:?}"),
    }
    // The epoch moved for every store; only the one asked to stop did.
    assert_eq!(
        bystander.call_var("user", "ok", &[]).unwrap().printed,
        ":ok"
    );

    // A request that comes after the call ended is withdrawn, not left to
    // kill the next call.
    let late = bystander.interrupter().expect("an interruptible runtime");
    late.interrupt();
    late.clear();
    assert_eq!(
        bystander.call_var("user", "ok", &[]).unwrap().printed,
        ":ok"
    );
}

#[test]
fn a_baseline_runtime_runs_patches_as_cranelift_does_and_can_be_interrupted() {
    let source = r#"(defn spin [] (loop [n 0] (recur (inc n))))
(defn fact [n] (if (zero? n) 1 (* n (fact (dec n)))))
[(fact 20) (mapv inc [1 2]) (try (throw (ex-info "no" {})) (catch Exception e (ex-message e)))]"#;
    let mut checking = Runtime::new_baseline().unwrap();
    let values = load(&mut checking, &mut Session::new(), source, 1);
    let mut reference = Runtime::new().unwrap();
    assert_eq!(values, load(&mut reference, &mut Session::new(), source, 1));
    assert_eq!(
        values.last().map(String::as_str),
        Some(r#"[2432902008176640000 [2 3] "no"]"#)
    );

    // Asked before the call: its first epoch check stops it.
    let interrupter = checking.interrupter().expect("a baseline runtime");
    interrupter.interrupt();
    match checking.call_var("user", "spin", &[]) {
        Err(jank_wasmtime_harness::HarnessError::Interrupted { during }) => {
            assert!(during.contains("user/spin"), "{during}");
        }
        other => panic!("expected an interruption, got {other:?}"),
    }
}

#[test]
fn a_baseline_runtime_stops_a_patch_at_its_fuel_at_the_same_point_every_time() {
    let counted_until_out_of_fuel = || {
        let mut runtime = Runtime::new_baseline().unwrap();
        let mut session = Session::new();
        load(
            &mut runtime,
            &mut session,
            "(def counter (atom 0)) (defn spin [] (loop [] (swap! counter inc) (recur)))",
            1,
        );
        let spin = common::compile_in(&mut session, "(spin)", 2).unwrap();
        match runtime.load_patch_with_fuel(&spin.bytes, &spin.symbols_export, 5_000_000) {
            Err(jank_wasmtime_harness::HarnessError::OutOfFuel { .. }) => {}
            other => panic!("expected the fuel to run out, got {other:?}"),
        }
        load(&mut runtime, &mut session, "@counter", 3)
    };
    let first = counted_until_out_of_fuel();
    let count: u64 = first[0].parse().unwrap();
    assert!(count > 100, "{first:?}");
    // Fuel is work, not time: the same budget stops the loop at the same
    // count however busy the machine is.
    assert_eq!(first, counted_until_out_of_fuel());

    // A budget that suffices leaves the runtime unmetered afterwards.
    let mut runtime = Runtime::new_baseline().unwrap();
    let mut session = Session::new();
    let sum = common::compile_in(&mut session, "(reduce + (range 1000))", 1).unwrap();
    let outcomes = runtime
        .load_patch_with_fuel(&sum.bytes, &sum.symbols_export, 50_000_000)
        .unwrap();
    assert_eq!(outcomes[0].result.as_ref().unwrap().printed, "499500");
    assert_eq!(
        load(&mut runtime, &mut session, "(reduce + (range 1000000))", 2),
        ["499999500000"]
    );

    // Only a baseline runtime meters fuel.
    let mut plain = Runtime::new().unwrap();
    assert!(matches!(
        plain.load_patch_with_fuel(&sum.bytes, &sum.symbols_export, 1),
        Err(jank_wasmtime_harness::HarnessError::InvalidArgument(_))
    ));
}

#[test]
fn fns_take_up_to_ten_fixed_parameters_and_a_rest_as_in_jank() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    let outcomes = load(
        &mut runtime,
        &mut session,
        r#"(defn ten [a b c d e f g h i j] [a j])
           (defn ten-and-more [a b c d e f g h i j & more] [a j more])
           (def multi (fn ([a b c d e f g h i j] :ten) ([a] (* 2 a))))
           [(ten 1 2 3 4 5 6 7 8 9 10)
            (ten-and-more 1 2 3 4 5 6 7 8 9 10 11 12)
            (apply ten-and-more (range 10))
            (multi 1 2 3 4 5 6 7 8 9 10)
            (multi 21)]"#,
        1,
    );
    assert_eq!(
        outcomes.last().map(String::as_str),
        Some("[[1 10] [1 10 (11 12)] [0 9 nil] :ten 42]")
    );
    assert_eq!(
        common::rejection("(defn eleven [a b c d e f g h i j k] a)"),
        "1:14: a fn takes at most 10 fixed parameters, as in jank; take the rest with `&`"
    );
}
