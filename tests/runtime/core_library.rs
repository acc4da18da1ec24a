//! The parts of issue 10's clojure.core that the JVM oracle cannot check:
//! jank's own catch-all spellings, and behaviour across patches in one
//! running page (a re-evaluated defmulti keeps its methods; a re-def with a
//! new docstring gives its var the new metadata, while `alter-meta!` changes
//! survive later `#'x`).

use crate::common;
use jank_wasmtime_harness::Runtime;
use jankwasm::diag::Failure;
use jankwasm::session::Session;
use pretty_assertions::assert_eq;

/// Loads `text` as patch `id` and returns what it printed.
fn run(runtime: &mut Runtime, session: &mut Session, text: &str, id: u64) -> String {
    let patch = common::compile_in(session, text, id).unwrap_or_else(|d| panic!("{d}"));
    let outcomes = runtime
        .load_patch(&patch.bytes, &patch.symbols_export)
        .unwrap();
    for outcome in outcomes {
        if let Err(thrown) = outcome.result {
            panic!("patch {id} threw {}", thrown.printed);
        }
    }
    runtime.take_output()
}

#[test]
fn jank_object_ref_catches_everything() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    let printed = run(
        &mut runtime,
        &mut session,
        r#"(println (try (throw (ex-info "boom" {:k 1})) (catch cpp/jank.runtime.object_ref e (ex-message e))))
           (println (try (/ 1 0) (catch jank.runtime.object_ref e :caught)))
           (println (try (throw (ex-info "inner" {})) (catch clojure.lang.ExceptionInfo e :info) (catch cpp/jank.runtime.object_ref e :any)))"#,
        1,
    );
    assert_eq!(printed, "boom\n:caught\n:info\n");
}

#[test]
fn a_reevaluated_defmulti_keeps_its_methods_across_patches() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    run(
        &mut runtime,
        &mut session,
        "(defmulti area :shape) (defmethod area :sq [{:keys [s]}] (* s s))",
        1,
    );
    let printed = run(
        &mut runtime,
        &mut session,
        "(defmulti area :shape) (defmethod area :rect [{:keys [w h]}] (* w h))
         (println (area {:shape :sq :s 3}) (area {:shape :rect :w 2 :h 5}))",
        2,
    );
    assert_eq!(printed, "9 10\n");
}

#[test]
fn var_metadata_follows_the_latest_def_and_keeps_alter_meta() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    let first = run(
        &mut runtime,
        &mut session,
        "(defn greet \"First.\" [n] n)
         (alter-meta! #'greet assoc :seen true)
         (println (:doc (meta #'greet)) (:seen (meta #'greet)) (:line (meta #'greet)))",
        1,
    );
    assert_eq!(first, "First. true 1\n");
    let second = run(
        &mut runtime,
        &mut session,
        "\n\n(defn greet \"Second.\" [n] [n])\n(println (:doc (meta #'greet)) (:seen (meta #'greet)) (:line (meta #'greet)) (:arglists (meta #'greet)))",
        2,
    );
    assert_eq!(second, "Second. nil 3 ([n])\n");
}

#[test]
fn a_bad_regex_literal_is_a_compile_error_at_its_position() {
    let mut session = Session::new();
    let compiled = common::compile_in(&mut session, "(def ok 1)\n(re-find #\"a(b\" \"ab\")", 1);
    let Err(Failure::Diagnostic(diagnostic)) = compiled else {
        panic!("the pattern must be a diagnostic");
    };
    assert_eq!(diagnostic.pos.to_string(), "2:10");
    assert_eq!(
        diagnostic.message,
        "invalid regex literal #\"a(b\": Opening parenthesis without closing parenthesis"
    );
}
