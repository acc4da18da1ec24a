//! Projects of several namespaces in files, through the `jankwasm` binary:
//! `require`/`use` load from the root a file's `ns` implies and from
//! `--source-path`, once each, in dependency order; cycles and missing
//! namespaces are errors at the libspec.

use pretty_assertions::assert_eq;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory holding `files` (relative path, text).
fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jankwasm-project-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn jankwasm(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jankwasm"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Stdout of a run that must succeed.
fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = jankwasm(dir, args);
    assert!(
        out.status.success(),
        "jankwasm {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Stderr of a run that must fail.
fn run_err(dir: &Path, args: &[&str]) -> String {
    let out = jankwasm(dir, args);
    assert!(
        !out.status.success(),
        "jankwasm {args:?} succeeded:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_required_namespace_loads_from_the_root_the_files_ns_implies() {
    let dir = project(
        "two-files",
        &[
            (
                "src/app/util.jank",
                "(ns app.util)\n(defn inc2 [x] (+ x 2))\n",
            ),
            (
                "src/app/core.jank",
                "(ns app.core (:require [app.util :as u]))\n(println (u/inc2 40))\n",
            ),
        ],
    );
    assert_eq!(run_ok(&dir, &["run", "src/app/core.jank"]), "42\n");
}

#[test]
fn libspecs_refer_rename_use_prefix_lists_and_dashed_names() {
    let dir = project(
        "libspecs",
        &[
            ("src/lib/my_math.jank", "(ns lib.my-math)\n(defn sq [x] (* x x))\n(defn cube [x] (* x x x))\n(defn- hidden [] 0)\n"),
            ("src/lib/text.jank", "(ns lib.text)\n(defn shout [s] (str s \"!\"))\n"),
            ("src/lib/flags.cljc", "(ns lib.flags)\n(def platform #?(:clj :jvm :cljs :js :jank :jank :jankwasm :wasm))\n(def fallback #?(:clj 1 :default 2))\n"),
            (
                "src/app/main.jank",
                "(ns app.main\n  (:require [lib my-math [text :refer [shout] :rename {shout yell}]])\n  (:use [lib.flags :only [platform]]))\n(require '[lib.my-math :refer :all])\n(use 'lib.flags)\n(println (lib.my-math/sq 3) (cube 2) (yell \"hi\") platform fallback)\n",
            ),
        ],
    );
    assert_eq!(
        run_ok(&dir, &["run", "src/app/main.jank"]),
        "9 8 hi! :wasm 2\n"
    );
}

#[test]
fn a_namespace_required_twice_loads_once_in_dependency_order() {
    let dir = project(
        "diamond",
        &[
            ("src/d/base.jank", "(ns d.base)\n(println \"base loads\")\n(def n 1)\n"),
            ("src/d/left.jank", "(ns d.left (:require [d.base :as b]))\n(println \"left loads\")\n(def n (+ b/n 10))\n"),
            ("src/d/right.jank", "(ns d.right (:require [d.base :as b]))\n(println \"right loads\")\n(def n (+ b/n 100))\n"),
            ("src/d/top.jank", "(ns d.top (:require [d.left :as l] [d.right :as r] [d.base]))\n(println (+ l/n r/n))\n"),
        ],
    );
    assert_eq!(
        run_ok(&dir, &["run", "src/d/top.jank"]),
        "base loads\nleft loads\nright loads\n112\n"
    );
}

#[test]
fn source_paths_add_roots_in_order() {
    let dir = project(
        "source-paths",
        &[
            (
                "lib/shared/greet.jank",
                "(ns shared.greet)\n(defn hello [n] (str \"hello \" n))\n",
            ),
            (
                "other/shared/greet.jank",
                "(ns shared.greet)\n(defn hello [n] (str \"shadowed \" n))\n",
            ),
            (
                "main.jank",
                "(ns main (:require [shared.greet :as g]))\n(println (g/hello \"you\"))\n",
            ),
        ],
    );
    assert_eq!(
        run_ok(
            &dir,
            &[
                "run",
                "--source-path",
                "lib",
                "--source-path",
                "other",
                "main.jank"
            ]
        ),
        "hello you\n"
    );
    let error = run_err(&dir, &["run", "main.jank"]);
    assert!(
        error.starts_with("main.jank:1:21: error: could not locate namespace shared.greet: searched ./shared/greet.jank, ./shared/greet.cljc\n"),
        "{error}"
    );
}

#[test]
fn a_cycle_is_an_error_at_the_require_that_closes_it_naming_the_chain() {
    let dir = project(
        "cycle",
        &[
            ("src/c/a.jank", "(ns c.a (:require [c.b]))\n"),
            ("src/c/b.jank", "(ns c.b (:require c.c))\n"),
            (
                "src/c/c.jank",
                ";; closes the loop\n(ns c.c\n  (:require [c.a :as a]))\n",
            ),
        ],
    );
    assert_eq!(
        run_err(&dir, &["run", "src/c/a.jank"]),
        "src/c/c.jank:3:14: error: cyclic require: c.a -> c.b -> c.c -> c.a\n\
         3 |   (:require [c.a :as a]))\n  \
         |              ^\n"
    );
}

#[test]
fn an_error_in_a_required_file_is_rendered_with_that_files_line() {
    let dir = project(
        "dep-error",
        &[
            ("src/e/dep.jank", "(ns e.dep)\n(defn f [] (nope 1))\n"),
            (
                "src/e/main.jank",
                "(ns e.main (:require [e.dep]))\n(println 1)\n",
            ),
            ("src/e/misnamed.jank", "(ns e.other)\n"),
            ("src/e/main2.jank", "(ns e.main2 (:require [e.misnamed]))\n"),
        ],
    );
    assert_eq!(
        run_err(&dir, &["run", "src/e/main.jank"]),
        "src/e/dep.jank:2:13: error: unable to resolve symbol: nope in this context\n\
         2 | (defn f [] (nope 1))\n  \
         |             ^\n"
    );
    let error = run_err(&dir, &["run", "src/e/main2.jank"]);
    assert!(
        error.starts_with("src/e/main2.jank:1:24: error: src/e/misnamed.jank was loaded for namespace e.misnamed but does not define it\n"),
        "{error}"
    );
}

#[test]
fn emit_writes_each_required_namespaces_patch_beside_the_output() {
    let dir = project(
        "emit-deps",
        &[
            ("src/x/dep.jank", "(ns x.dep)\n(defn f [] 1)\n"),
            (
                "src/x/main.jank",
                "(ns x.main (:require [x.dep :as d]))\n(defn g [] (d/f))\n",
            ),
            ("out/.keep", ""),
        ],
    );
    let stdout = run_ok(
        &dir,
        &[
            "emit",
            "--patch-id",
            "7",
            "-o",
            "out/main.wasm",
            "src/x/main.jank",
        ],
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with(
            "out/jank_patch_symbols_7.wasm: jank_patch_symbols_7 (1 symbols: x.dep/f), "
        ),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("out/main.wasm: jank_patch_symbols_8 (1 symbols: x.main/g), "),
        "{stdout}"
    );
    for file in ["out/jank_patch_symbols_7.wasm", "out/main.wasm"] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        assert_eq!(&bytes[..4], b"\0asm", "{file}");
    }
}

#[test]
fn macros_are_shared_across_namespaces_through_refer_and_aliases() {
    let dir = project(
        "macros",
        &[
            (
                "src/app/util.jank",
                "(ns app.util)\n\
                 (defn inc2 [x] (+ x 2))\n\
                 (defmacro twice [x] `(* 2 ~x))\n\
                 (defn call-form [x] (list 'app.util/inc2 x))\n\
                 (defmacro via-helper [x] (call-form x))\n",
            ),
            (
                "src/app/core.jank",
                "(ns app.core (:require [app.util :as u :refer [twice]]))\n\
                 (defmacro local-m [x] `(u/inc2 ~x))\n\
                 (defmacro expands-to-macro [x] `(twice ~x))\n\
                 (println (u/inc2 40) (twice 21) (u/via-helper 40) (local-m 40) (expands-to-macro 21))\n",
            ),
        ],
    );
    assert_eq!(
        run_ok(&dir, &["run", "src/app/core.jank"]),
        "42 42 42 42 42\n"
    );
}

#[test]
fn records_of_another_namespace_are_imported_by_their_class_names() {
    let dir = project(
        "records",
        &[
            (
                "src/my_app/model.jank",
                "(ns my-app.model)\n\
                 (defprotocol Area (area [s]))\n\
                 (defrecord Rect [w h] Area (area [_] (* w h)))\n\
                 (deftype Unit [] Area (area [_] 1))\n",
            ),
            (
                "src/my_app/core.jank",
                "(ns my-app.core\n\
                 \x20 (:require [my-app.model :as m])\n\
                 \x20 (:import [my_app.model Rect] my_app.model.Unit))\n\
                 (def r (Rect. 2 3))\n\
                 (prn r (m/map->Rect {:w 1 :h 1}) (instance? Rect r) (= Rect (class r)))\n\
                 (println (m/area r) (m/area (Unit.)) (instance? my_app.model.Unit (m/->Unit)))\n",
            ),
            (
                "src/my_app/bad.jank",
                "(ns my-app.bad (:import [java.util ArrayList]))\n",
            ),
        ],
    );
    assert_eq!(
        run_ok(&dir, &["run", "src/my_app/core.jank"]),
        "#my_app.model.Rect{:w 2, :h 3} #my_app.model.Rect{:w 1, :h 1} true true\n6 1 true\n"
    );
    let refused = run_err(&dir, &["run", "src/my_app/bad.jank"]);
    assert!(
        refused.contains("bad.jank:1:36: error: cannot import java.util.ArrayList"),
        "{refused}"
    );
}

#[test]
fn what_definitions_print_while_macros_are_prepared_is_printed_once() {
    let dir = project(
        "macro-effects",
        &[(
            "main.jank",
            "(println \"top\")\n\
             (defn f [x] (* x 10))\n\
             (defmacro m [x] (f x))\n\
             (println (m 4))\n",
        )],
    );
    assert_eq!(run_ok(&dir, &["run", "main.jank"]), "top\n40\n");
}

#[test]
fn jankwasm_test_runs_clojure_test_and_fails_on_a_failure() {
    let dir = project(
        "clojure-test",
        &[
            (
                "test/app/core_test.jank",
                "(ns app.core-test (:require [clojure.test :refer [deftest is testing are]] [app.core :as c]))\n\
                 (deftest arithmetic\n\
                 \x20 (is (= 4 (c/add 2 2)))\n\
                 \x20 (testing \"with context\"\n\
                 \x20   (is (= 5 (c/add 2 2)) \"two and two\")))\n\
                 (deftest throwing\n\
                 \x20 (is (thrown? Exception (throw (ex-info \"boom\" {}))))\n\
                 \x20 (is (thrown? Exception (c/add 1 1)))\n\
                 \x20 (are [x y] (= x (inc y)) 2 1 3 2))\n\
                 (deftest errors\n\
                 \x20 (throw (ex-info \"outside\" {:k 1})))\n",
            ),
            ("src/app/core.jank", "(ns app.core)\n(defn add [a b] (+ a b))\n"),
            (
                "test/app/ok_test.jank",
                "(ns app.ok-test (:require [clojure.test :refer [deftest is use-fixtures]]))\n\
                 (def log (atom []))\n\
                 (deftest first-test (swap! log conj :first) (is (= 1 1)))\n\
                 (use-fixtures :each #'first-test (fn [run] (swap! log conj :before) (run) (swap! log conj :after)))\n\
                 (deftest second-test (is (= [:before :first :after :before] @log)))\n",
            ),
        ],
    );
    let failing = jankwasm(&dir, &["test", "app.core-test"]);
    assert_eq!(failing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&failing.stdout),
        "\nTesting app.core-test\n\
         \nFAIL in (arithmetic) (core_test.jank:5)\nwith context\ntwo and two\nexpected: (= 5 (c/add 2 2))\n  actual: (not (= 5 4))\n\
         \nFAIL in (throwing) (core_test.jank:8)\nexpected: (thrown? Exception (c/add 1 1))\n  actual: nil\n\
         \nERROR in (errors)\nUncaught exception, not in assertion.\nexpected: nil\n  actual: clojure.lang.ExceptionInfo: outside\n{:k 1}\n\
         \nRan 3 tests containing 7 assertions.\n2 failures, 1 errors.\n"
    );
    assert_eq!(
        run_ok(&dir, &["test", "app.ok-test"]),
        "\nTesting app.ok-test\n\nRan 2 tests containing 2 assertions.\n0 failures, 0 errors.\n"
    );
    let missing = run_err(&dir, &["test", "app.nope-test"]);
    assert!(
        missing
            .contains("could not locate namespace app.nope-test: searched src/app/nope_test.jank"),
        "{missing}"
    );
}

#[test]
fn the_todo_example_tests_pass() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/todo");
    assert_eq!(
        run_ok(&example, &["test", "todo.model-test"]),
        "\nTesting todo.model-test\n\nRan 6 tests containing 23 assertions.\n0 failures, 0 errors.\n"
    );
}

/// A macro's expansion keeps the metadata it gives symbols (`^:dynamic`),
/// and `resolve` inside a macro answers for the namespace the call is
/// compiled in (its aliases), not the macro's own, as under Clojure's `*ns*`.
#[test]
fn macros_keep_metadata_and_resolve_in_the_calling_namespace() {
    let dir = project(
        "macro-meta",
        &[
            (
                "src/app/macros.jank",
                "(ns app.macros)\n\
                 (defmacro defdyn [n v] `(def ~(with-meta n {:dynamic true}) ~v))\n\
                 (defmacro resolves? [sym] (some? (resolve sym)))\n",
            ),
            (
                "src/app/core.jank",
                "(ns app.core (:require [app.macros :refer [defdyn resolves?]] [clojure.string :as s]))\n\
                 (defdyn *z* 1)\n\
                 (defn show [] *z*)\n\
                 (println (binding [*z* 2] (show)) (resolves? s/blank?) (resolves? and) (resolves? nope))\n",
            ),
        ],
    );
    assert_eq!(
        run_ok(&dir, &["run", "src/app/core.jank"]),
        "2 true true false\n"
    );
}
