//! The native runtime library: clojure.core, clojure.set, clojure.string and
//! jank.runtime vars, bound when the var table is first used. Each submodule
//! installs one family of fns; this module owns the definition helpers.

mod classes;
pub mod colls;
mod destructuring;
pub(crate) mod dynamic;
mod fns;
mod format;
mod handoff;
mod host;
mod input;
mod iteration;
mod java;
pub mod lazy;
mod literals;
mod math;
pub mod misc;
pub mod multi;
mod namespaces;
pub mod numbers;
mod partitions;
mod pprint;
pub mod protocols;
mod reader;
pub(crate) mod records;
pub mod refs;
pub(crate) mod repl;
pub mod seqs;
mod sets;
mod sorted;
pub(crate) mod strings;
mod structs;
mod timsort;
mod unchecked;

use crate::error::{illegal_argument, R};
use crate::function::{collecting_native, native, NativeFn};
use crate::object::Obj;
use crate::var::{bind_root, intern_raw};

pub use crate::function::VARIADIC;

/// Binds the var `ns/name` to a native fn of `min..=max` arguments.
pub(crate) fn def(ns: &'static str, name: &'static str, min: usize, max: usize, f: NativeFn) {
    let qualified: &'static str = Box::leak(format!("{ns}/{name}").into_boxed_str());
    bind_root(intern_raw(ns, name), native(qualified, min, max, &[], f));
}

/// Binds the var `ns/name` to a native that may collect while it runs
/// (`function::collecting_native`).
pub(crate) fn def_collecting(
    ns: &'static str,
    name: &'static str,
    min: usize,
    max: usize,
    f: NativeFn,
) {
    let qualified: &'static str = Box::leak(format!("{ns}/{name}").into_boxed_str());
    bind_root(
        intern_raw(ns, name),
        collecting_native(qualified, min, max, f),
    );
}

/// clojure.core/`name` as a native that may collect while it runs.
pub(crate) fn core_collecting(name: &'static str, min: usize, max: usize, f: NativeFn) {
    def_collecting("clojure.core", name, min, max, f);
}

/// clojure.core/`name`.
pub(crate) fn core(name: &'static str, min: usize, max: usize, f: NativeFn) {
    def("clojure.core", name, min, max, f);
}

/// The optional argument `index`, or `default`.
pub(crate) fn arg_or(args: &[Obj], index: usize, default: Obj) -> Obj {
    args.get(index).copied().unwrap_or(default)
}

/// The string inside `value`, or an IllegalArgumentException.
pub(crate) fn text(value: &Obj) -> R<&str> {
    value
        .as_str()
        .ok_or_else(|| illegal_argument(format!("Expected string, got {}", value.class_name())))
}

/// Installs every native var.
pub fn install() {
    numbers::install();
    math::install();
    colls::install();
    seqs::install();
    lazy::install();
    fns::install();
    misc::install();
    sets::install();
    refs::install();
    sorted::install();
    crate::meta::install();
    crate::regex::install();
    multi::install();
    protocols::install();
    records::install();
    dynamic::install();
    strings::install();
    java::install();
    format::install();
    repl::install();
    repl::install_stacktrace();
    partitions::install();
    pprint::install();
    handoff::install();
    iteration::install();
    input::install();
    host::install();
    unchecked::install();
    classes::install();
    literals::install();
    namespaces::install();
    structs::install();
    reader::install();
    destructuring::install();
    crate::queue::install();
    intern_compiler_macros();
    for name in jank_runtime_abi::UNBOUND_CORE_VARS {
        intern_raw("clojure.core", name);
    }
}

/// An unbound var, marked as a macro, for each clojure.core macro the
/// compiler expands, so `resolve` and `ns-publics` find it as on the JVM.
fn intern_compiler_macros() {
    for name in jank_runtime_abi::COMPILER_CORE_MACROS {
        let var = intern_raw("clojure.core", name);
        let meta = crate::coll::Map::from_pairs(
            [
                (
                    crate::object::keyword(None, "macro"),
                    crate::object::boolean(true),
                ),
                (
                    crate::object::keyword(None, "name"),
                    crate::object::symbol(None, name),
                ),
                (
                    crate::object::keyword(None, "ns"),
                    repl::namespace("clojure.core"),
                ),
            ],
            true,
        )
        .map(crate::coll::map_obj)
        .and_then(|meta| crate::meta::reset_meta(var, meta));
        debug_assert!(meta.is_ok(), "a fresh var takes a map of keywords");
    }
}
