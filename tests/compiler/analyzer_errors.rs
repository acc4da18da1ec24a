//! Every reader, analyzer and lowering error is one message at the right line:col.

use crate::common;
use common::rejection;
use pretty_assertions::assert_eq;

#[test]
fn malformed_special_forms_point_at_the_form() {
    assert_eq!(rejection("(if)"), "1:1: too few arguments to `if`");
    assert_eq!(
        rejection("\n  (if 1 2 3 4)"),
        "2:3: too many arguments to `if`"
    );
    assert_eq!(
        rejection("(fn* [a 1] a)"),
        "1:9: fn params must be symbols, got 1"
    );
    assert_eq!(
        rejection("(let* [a 1 b] a)"),
        "1:7: `let*` requires an even number of forms in its binding vector"
    );
    assert_eq!(rejection("(def)"), "1:1: `def` requires a name");
    assert_eq!(
        rejection("(quote 1 2)"),
        "1:1: `quote` takes exactly one form"
    );
}

#[test]
fn unresolvable_symbols_name_the_symbol() {
    assert_eq!(
        rejection("(defn f [x]\n  (+ x y))"),
        "2:8: unable to resolve symbol: y in this context"
    );
    assert_eq!(
        rejection("(nope/thing 1)"),
        "1:2: no such namespace: nope (in `nope/thing`)"
    );
    assert_eq!(
        rejection("(clojure.set/unionx #{} #{})"),
        "1:2: no such var: clojure.set/unionx"
    );
}

#[test]
fn recur_outside_tail_position_is_rejected() {
    assert_eq!(
        rejection("(defn f [x] (+ 1 (recur x)))"),
        "1:18: can only recur from tail position"
    );
    assert_eq!(
        rejection("(loop* [a 1] (recur 1 2))"),
        "1:14: mismatched argument count to recur, expected: 1 args, got: 2"
    );
    assert_eq!(
        rejection("(recur 1)"),
        "1:1: can only recur from tail position"
    );
    assert_eq!(
        rejection("(loop* [a 1] (try (recur a)))"),
        "1:19: cannot recur across try"
    );
}

#[test]
fn unsupported_constructs_are_errors_not_nil() {
    assert_eq!(
        rejection("(defn f [] (defmacro m [] 1))"),
        "1:12: `defmacro` is only allowed as a top-level form"
    );
    assert_eq!(
        rejection("(defmacro m [] 1)\n(m)"),
        "2:1: cannot expand macro user/m: this compilation has no compile-time runtime to run macros in"
    );
    assert_eq!(
        rejection("(defn f [s] (.getBytes s))"),
        "1:13: Java/C++ interop (`.getBytes`) is not supported by jankwasm"
    );
    assert_eq!(
        rejection("(let [x 1] (set! x 2))"),
        "1:18: cannot assign to non-mutable: x"
    );
    assert_eq!(
        rejection("(monitor-enter x)"),
        "1:1: special form `monitor-enter` is not supported by jankwasm"
    );
}

#[test]
fn java_members_at_an_arity_java_lacks_are_errors_naming_them() {
    assert_eq!(
        rejection("(Math/max 1 2 3)"),
        "1:1: Java interop (`Math/max` with 3 arguments) is not supported by jankwasm: `Math/max` takes 2 arguments"
    );
    assert_eq!(
        rejection("(defn f [s] (.charAt s))"),
        "1:13: Java interop (`.charAt` with 0 arguments) is not supported by jankwasm: `.charAt` takes 1 argument after its target"
    );
    assert_eq!(
        rejection("(Long/MAX_VALUE 1)"),
        "1:1: Java interop (`Long/MAX_VALUE` with arguments) is not supported by jankwasm: `Long/MAX_VALUE` is a static field, read as `(Long/MAX_VALUE)` or `Long/MAX_VALUE`"
    );
    assert_eq!(
        rejection("(Object. 1)"),
        "1:2: Java/C++ interop (`Object.`) is not supported by jankwasm"
    );
    assert_eq!(
        rejection("(java.lang.Long/parseLong \"1\" 2 3)"),
        "1:1: Java interop (`java.lang.Long/parseLong` with 3 arguments) is not supported by jankwasm: `java.lang.Long/parseLong` takes 1 or 2 arguments"
    );
}

#[test]
fn reader_errors_carry_positions() {
    let message = rejection("(defn f [x]\n  #(#(+ % 1)))");
    assert!(message.starts_with("2:5: "), "{message}");
}

#[test]
fn macro_misuse_points_at_the_macro() {
    assert_eq!(
        rejection("(cond 1)"),
        "1:7: `cond` requires an even number of forms"
    );
    assert_eq!(
        rejection("(defn 1 [] 1)"),
        "1:7: `defn` requires a symbol name, got 1"
    );
}
