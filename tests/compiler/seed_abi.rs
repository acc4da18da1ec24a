//! `--abi seed`: patches that import only what jank's runtime exports today,
//! and clear errors naming the missing helper for everything else.

use crate::common;
use jank_runtime_abi::Helper;
use jankwasm::diag::Failure;
use jankwasm::lower::{Abi, PatchOptions};
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use pretty_assertions::assert_eq;

fn compile_seed(text: &str) -> Result<Vec<String>, String> {
    let source = SourceFile::new("seed.jank", text);
    let patch = Session::new()
        .compile(
            &source,
            &PatchOptions {
                patch_id: 9,
                abi: Abi::Seed,
            },
        )
        .map_err(|failure| match failure {
            Failure::Diagnostic(d) => format!("{}: {}", d.pos, d.message),
            Failure::Internal(internal) => panic!("{internal}"),
        })?;
    let mut helpers = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&patch.bytes) {
        if let wasmparser::Payload::ImportSection(imports) = payload.unwrap() {
            for import in imports.into_imports() {
                let import = import.unwrap();
                if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                    helpers.push(import.name.to_string());
                }
            }
        }
    }
    Ok(helpers)
}

#[test]
fn the_hard_case_imports_only_seed_helpers() {
    let helpers = compile_seed(common::GGG).unwrap();
    let seed: Vec<&str> = Helper::ALL
        .into_iter()
        .filter(|h| h.is_seed())
        .map(Helper::name)
        .collect();
    for helper in &helpers {
        assert!(
            seed.contains(&helper.as_str()),
            "{helper} is not a seed helper"
        );
    }
    assert!(
        helpers.contains(&"jank_make_fn_wrapper".to_string()),
        "#() becomes a fn wrapper: {helpers:?}"
    );
    assert!(helpers.contains(&"jank_call_var".to_string()));
}

#[test]
fn number_literals_are_built_by_clojure_core_in_the_seed() {
    let mut helpers =
        compile_seed("(defn f [] [12N 1/3 1.50M 123456789012345678901234567890])").unwrap();
    helpers.sort();
    assert_eq!(
        helpers,
        [
            "jank_box_integer",
            "jank_call_var",
            "jank_make_string",
            "jank_make_vector"
        ]
    );
}

#[test]
fn closures_use_partial_over_a_wrapper() {
    let helpers = compile_seed("(defn adder [n] (fn [x] (+ x n)))").unwrap();
    assert!(
        helpers.contains(&"jank_make_fn_wrapper".to_string()),
        "{helpers:?}"
    );
}

#[test]
fn constructs_needing_extensions_name_the_missing_helper() {
    let cases = [
        ("(defn f [] (throw (ex-info \"x\" {})))", "1:12: `throw` needs the extension helper `jank_exception_set`, which the seed ABI (`--abi seed`) does not have"),
        ("(defn f [x] (try x (catch :default e e)))", "1:13: `try` with `catch` or `finally` needs the extension helper `jank_exception_take`, which the seed ABI (`--abi seed`) does not have"),
        ("(defn f [] (fn ([] 1) ([a] a)))", "1:12: a fn with several arities needs the extension helper `jank_make_fn`, which the seed ABI (`--abi seed`) does not have"),
        ("(defn f [] (fn [& xs] xs))", "1:12: a variadic fn needs the extension helper `jank_make_fn`, which the seed ABI (`--abi seed`) does not have"),
        ("(defn f [a b] (fn [c d] (+ a b c d)))", "1:15: a fn of more than 3 parameters and captured locals needs the extension helper `jank_make_fn`, which the seed ABI (`--abi seed`) does not have"),
        ("(defn f [] #'f)", "1:12: `var` (#') needs the extension helper `jank_var_intern_c`, which the seed ABI (`--abi seed`) does not have"),
    ];
    for (text, expected) in cases {
        assert_eq!(compile_seed(text).unwrap_err(), expected, "{text}");
    }
}

#[test]
fn the_seed_registry_only_binds_small_fixed_arity_fns() {
    assert_eq!(
        compile_seed("(def x 1)").unwrap_err(),
        "1:1: the seed registry binds only single fixed-arity fns; `user/x` needs the extension registry (signature \"def\"), not available with `--abi seed`"
    );
    assert_eq!(
        compile_seed("(defn f [a b c d e] a)").unwrap_err(),
        "1:1: the seed registry binds fns of at most 4 parameters (`--abi seed`)"
    );
    assert!(compile_seed("(defn f [a b c d] [a b c d])").is_ok());
}
