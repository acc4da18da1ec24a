//! Tests through the native vars: Clojure source cases whose expected output
//! Clojure 1.11 produced (clojure_cases.txt, made by oracle.clj), the ABI's
//! exception protocol, laziness, and runtime_vars.txt staying exact.

mod abi;
mod gc;
mod reader;

use crate::error::Thrown;
use crate::io::take_output;
use crate::object::{Obj, Object};
use crate::print::{pr_str, str_of};
use reader::{eval_source, read_all};

/// What a case shows: its output then `=> value`, or `!! class: message`.
fn outcome(source: &str) -> String {
    take_output();
    match eval_source(source) {
        Ok(value) => format!(
            "{}=> {}",
            take_output(),
            pr_str(value).unwrap_or_else(|_| "<unprintable>".into())
        ),
        Err(Thrown(thrown)) => {
            take_output();
            match &*thrown {
                Object::Exception(e) => {
                    format!("!! {}: {}", e.class, str_of(e.message).unwrap_or_default())
                }
                _ => format!("!! {}", pr_str(thrown).unwrap_or_default()),
            }
        }
    }
}

fn text_of(value: Obj) -> String {
    value.as_str().expect("a string").to_string()
}

/// Cases whose Clojure output names identities or counters.
const UNCOMPARABLE: &[&str] = &["(gensym \"x\")", "(pr-str (atom 1))", "(str (reduced 1))"];

#[test]
fn clojure_cases_print_what_clojure_prints() {
    let mut failures = Vec::new();
    let lines = include_str!("clojure_cases.txt");
    for line in lines.lines() {
        let pair = read_all(line).ok().expect("each line holds two strings");
        let (source, expected) = (text_of(pair[0]), text_of(pair[1]));
        if UNCOMPARABLE.contains(&source.as_str()) {
            continue;
        }
        let actual = outcome(&source);
        if actual != expected {
            failures.push(format!(
                "{source}\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
        // A safe point: nothing of the case is referenced any more, and what
        // the runtime itself holds (vars, natives, keywords) must survive.
        crate::gc::collect().expect("between cases is a safe point");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        lines.lines().count(),
        failures.join("\n")
    );
}

/// runtime-abi/runtime_vars.txt must list exactly the vars the stub binds;
/// `UPDATE_RUNTIME_VARS=1 cargo test` rewrites it.
#[test]
fn runtime_vars_txt_lists_every_bound_var() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../runtime_vars.txt");
    let expected = crate::var::bound_names().join("\n") + "\n";
    if std::env::var_os("UPDATE_RUNTIME_VARS").is_some() {
        std::fs::write(path, &expected).expect("runtime_vars.txt is writable");
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "runtime_vars.txt is stale: run UPDATE_RUNTIME_VARS=1 cargo test"
    );
}

#[test]
fn exceptions_print_like_clojure_without_stack_frames() {
    let source = r#"(pr-str (ex-info "outer" {:a 1} (ex-info "inner" {:b "x"})))"#;
    let printed = text_of(eval_source(source).ok().expect("evaluates"));
    let expected = "#error {\n :cause \"inner\"\n :data {:b \"x\"}\n :via\n [{:type clojure.lang.ExceptionInfo\n   :message \"outer\"\n   :data {:a 1}}\n  {:type clojure.lang.ExceptionInfo\n   :message \"inner\"\n   :data {:b \"x\"}}]\n :trace\n []}";
    assert_eq!(printed, expected);
    let runtime_error = text_of(
        eval_source("(pr-str (try (/ 1 0) (catch Exception e e)))")
            .ok()
            .expect("evaluates"),
    );
    assert!(runtime_error.starts_with(
        "#error {\n :cause \"Divide by zero\"\n :via\n [{:type java.lang.ArithmeticException\n"
    ));
}

/// An exception whose first throw passed two jank fns (as a host reports
/// them): `Throwable->map`, its printed form and clojure.stacktrace show
/// them as Clojure 1.11 shows a fn's JVM frames.
#[test]
fn exceptions_carry_the_jank_frames_of_their_first_throw() {
    let inner = eval_source(r#"(ex-info "inner" {:b 2})"#)
        .ok()
        .expect("evaluates");
    let outer = eval_source(r#"(ex-info "outer" {:a 1})"#)
        .ok()
        .expect("evaluates");
    for (exception, frames) in [
        (
            inner,
            "app.core/bad-div\tapp.jank\t50\t3\nuser/fn--12\t<nrepl>\t2\t1\n",
        ),
        (outer, "user/eval\t<nrepl>\t7\t1\n"),
    ] {
        let Object::Exception(e) = &*exception else {
            panic!("an exception")
        };
        e.trace
            .set(crate::error::parse_trace(frames))
            .expect("not thrown before");
    }
    let call = |ns: &str, name: &str, args: &[Obj]| {
        let var = crate::var::find(ns, name).expect("the var");
        crate::function::call(var, args).ok().expect("calls")
    };
    let map = call("clojure.core", "Throwable->map", &[inner]);
    let trace = call(
        "clojure.core",
        "get",
        &[map, crate::object::keyword(None, "trace")],
    );
    assert_eq!(
        pr_str(trace).ok().expect("prints"),
        r#"[[app.core$bad_div invoke "app.jank" 50] [user$fn__12 invoke "<nrepl>" 2]]"#
    );
    let caused = crate::error::ex_info(
        crate::object::string("outer"),
        eval_source("{:a 1}").ok().expect("evaluates"),
        inner,
    );
    let Object::Exception(e) = &*caused else {
        panic!("an exception")
    };
    e.trace
        .set(crate::error::parse_trace("user/eval\t<nrepl>\t7\t1\n"))
        .expect("not thrown before");
    let printed = pr_str(caused).ok().expect("prints");
    assert_eq!(
        printed,
        "#error {\n :cause \"inner\"\n :data {:b 2}\n :via\n [{:type clojure.lang.ExceptionInfo\n   :message \"outer\"\n   :data {:a 1}\n   :at [user$eval invoke \"<nrepl>\" 7]}\n  {:type clojure.lang.ExceptionInfo\n   :message \"inner\"\n   :data {:b 2}\n   :at [app.core$bad_div invoke \"app.jank\" 50]}]\n :trace\n [[app.core$bad_div invoke \"app.jank\" 50]\n  [user$fn__12 invoke \"<nrepl>\" 2]]}"
    );
    take_output();
    call("clojure.stacktrace", "print-cause-trace", &[caused]);
    assert_eq!(
        take_output(),
        "clojure.lang.ExceptionInfo: outer\n{:a 1}\n at user$eval.invoke (<nrepl>:7)\n\
         Caused by: clojure.lang.ExceptionInfo: inner\n{:b 2}\n at app.core$bad_div.invoke (app.jank:50)\n    user/fn (<nrepl>:2)\n"
    );
    call(
        "clojure.stacktrace",
        "print-stack-trace",
        &[inner, crate::object::int(1)],
    );
    assert_eq!(
        take_output(),
        "clojure.lang.ExceptionInfo: inner\n{:b 2}\n at app.core$bad_div.invoke (app.jank:50)\n"
    );
    let never_thrown = eval_source(r#"(ex-info "x" {})"#).ok().expect("evaluates");
    call("clojure.stacktrace", "print-stack-trace", &[never_thrown]);
    assert_eq!(
        take_output(),
        "clojure.lang.ExceptionInfo: x\n{}\n at [empty stack trace]\n"
    );
}

/// clojure.pprint/write's layouts, each as Clojure 1.11 printed it with
/// `(binding [*print-right-margin* margin] (pprint value))`.
#[test]
fn pprint_lays_data_out_as_clojure_does() {
    let cases: &[(i64, &str, &str)] = &[
        (10, "[1 2 3 4]", "[1 2 3 4]"),
        (9, "[1 2 3 4]", "[1 2 3 4]"),
        (8, "[1 2 3 4]", "[1\n 2\n 3\n 4]"),
        (20, "{:a 1 :bb [1 2 3] :c \"hello\"}", "{:a 1,\n :bb [1 2 3],\n :c \"hello\"}"),
        (
            20,
            "{:a 1 :bb [1 2 3 4 5 6 7 8 9 10 11 12] :c \"hello\"}",
            "{:a 1,\n :bb\n [1\n  2\n  3\n  4\n  5\n  6\n  7\n  8\n  9\n  10\n  11\n  12],\n :c \"hello\"}",
        ),
        (12, "{:alpha {:beta [1 2 3] :gamma 4}}", "{:alpha\n {:beta\n  [1 2 3],\n  :gamma 4}}"),
        (15, "'(1 2 3 4 5 6 7 8 9 10 11 12)", "(1\n 2\n 3\n 4\n 5\n 6\n 7\n 8\n 9\n 10\n 11\n 12)"),
        (30, "[[1 2 3] [4 5 6] [7 8 9 10 11 12 13]]", "[[1 2 3]\n [4 5 6]\n [7 8 9 10 11 12 13]]"),
        (
            72,
            "{:a (range 30) :b {:c (range 20)}}",
            "{:a\n (0\n  1\n  2\n  3\n  4\n  5\n  6\n  7\n  8\n  9\n  10\n  11\n  12\n  13\n  14\n  15\n  16\n  17\n  18\n  19\n  20\n  21\n  22\n  23\n  24\n  25\n  26\n  27\n  28\n  29),\n :b {:c (0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19)}}",
        ),
        (72, "nil", "nil"),
        (72, "\"str\"", "\"str\""),
        (4, "[1 2 3]", "[1\n 2\n 3]"),
    ];
    let write = crate::var::find("clojure.pprint", "write").expect("clojure.pprint/write");
    for (margin, source, expected) in cases {
        let value = eval_source(source).ok().expect("evaluates");
        let args = [
            value,
            crate::object::keyword(None, "stream"),
            crate::object::nil(),
            crate::object::keyword(None, "right-margin"),
            crate::object::int(*margin),
        ];
        let laid_out = crate::function::call(write, &args).ok().expect("writes");
        assert_eq!(text_of(laid_out), *expected, "{source} at margin {margin}");
    }
}

#[test]
fn laziness_realizes_only_what_is_asked() {
    let source = "(let [log (atom []) s (map (fn [x] (swap! log conj x) x) (iterate inc 0))] (nth s 3) @log)";
    assert_eq!(outcome(source), "=> [0 1 2 3]");
    let source =
        "(let [n (atom 0) s (lazy-seq (swap! n inc) [1 2])] [(first s) (first s) (count s) @n])";
    assert_eq!(outcome(source), "=> [1 1 2 1]");
    assert_eq!(
        outcome("(take 3 (filter even? (map inc (range))))"),
        "=> (2 4 6)"
    );
    assert_eq!(outcome("(nth (iterate inc 0) 100000)"), "=> 100000");
    assert_eq!(outcome("(count (filter odd? (range 200000)))"), "=> 100000");
}

/// Clojure 1.12's vector partitions (the oracle runs 1.11, which lacks them):
/// expectations from their definitions in 1.12's core.clj.
#[test]
fn vector_partitions_follow_clojure_1_12() {
    assert_eq!(outcome("(partitionv 2 (range 5))"), "=> ([0 1] [2 3])");
    assert_eq!(
        outcome("(partitionv 3 1 [:a :b :c :d])"),
        "=> ([:a :b :c] [:b :c :d])"
    );
    assert_eq!(
        outcome("(partitionv 3 3 [:x] (range 5))"),
        "=> ([0 1 2] [3 4 :x])"
    );
    assert_eq!(
        outcome("(partitionv-all 2 (range 5))"),
        "=> ([0 1] [2 3] [4])"
    );
    assert_eq!(
        outcome("(partitionv-all 3 2 (range 6))"),
        "=> ([0 1 2] [2 3 4] [4 5])"
    );
    assert_eq!(
        outcome("(into [] (partitionv-all 2) (range 5))"),
        "=> [[0 1] [2 3] [4]]"
    );
    assert_eq!(
        outcome("(vector? (first (partitionv 2 (range 4))))"),
        "=> true"
    );
    assert_eq!(outcome("(splitv-at 2 (list 1 2 3 4))"), "=> [[1 2] (3 4)]");
    assert_eq!(outcome("(splitv-at 9 [1 2])"), "=> [[1 2] ()]");
}

/// `tap>` calls the taps at once, in the order they were added, each once;
/// a tap that throws does not stop the others.
#[test]
fn taps_run_in_order_and_survive_a_throwing_tap() {
    let source = "(let [log (atom [])
                        a (fn [x] (swap! log conj [:a x]))
                        bad (fn [x] (throw (ex-info \"tap failed\" {})))
                        b (fn [x] (swap! log conj [:b x]))]
                    (add-tap a) (add-tap bad) (add-tap b) (add-tap a)
                    (tap> 1)
                    (remove-tap a) (remove-tap bad)
                    [(tap> 2) @log])";
    assert_eq!(outcome(source), "=> [true [[:a 1] [:b 1] [:b 2]]]");
}

/// A promise nobody delivered cannot be waited for in a one-thread runtime.
#[test]
fn an_undelivered_promise_is_an_error_not_a_hang() {
    assert_eq!(
        outcome("@(promise)"),
        "!! java.lang.IllegalStateException: deref of a promise that was never delivered: it would block forever (a page runs one thread)"
    );
}

/// `read-line` reads the innermost `with-in-str` string line by line, and
/// outside any is at end of input (a page has no stdin).
#[test]
fn read_line_reads_the_with_in_str_text() {
    assert_eq!(
        outcome("(jank.runtime/with-in-str-fn \"a\\r\\nb\\n\\nc\" (fn [] [(read-line) (read-line) (read-line) (read-line) (read-line)]))"),
        "=> [\"a\" \"b\" \"\" \"c\" nil]"
    );
    assert_eq!(outcome("(read-line)"), "=> nil");
    assert_eq!(
        outcome("(jank.runtime/with-in-str-fn 42 (fn [] (read-line)))"),
        "!! java.lang.IllegalArgumentException: Expected string, got java.lang.Long"
    );
}
