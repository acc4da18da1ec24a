//! The patch helper ABI as data: every `jank_*` helper a patch may import, with
//! its exact wasm signature, generated from `jank_patch_abi.h` (the one source
//! of truth) by this crate's build script.

pub mod java_classes;
pub mod java_instant;
pub mod java_regex;
pub mod java_uuid;

/// The header itself, for emitters that include it (the C++ path) and for tests.
pub const HEADER: &str = include_str!("jank_patch_abi.h");

/// A wasm value type as it appears in helper signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F64,
}

/// Who provides a helper (`JANK_HELPER(origin, ..)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// `seed`: jank's hot_reload.cpp exports it today.
    Seed,
    /// `ext`: defined by this project; a jank runtime adds it to support the full language.
    Extension,
    /// `host`: the embedding host (the page's JavaScript) provides it, not the runtime.
    Host,
}

/// What a helper call leaves, read from its C return type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returns {
    /// `jank_object_ref`: a value, or NULL when a `throws` helper threw.
    Object,
    /// `jank_bool`: 0 or 1.
    Bool,
    /// `int` / `int32_t`: a count or flag.
    Int,
    /// `int64_t`.
    I64,
    /// `double`.
    F64,
    /// Another pointer: a raw address, never NULL-checked.
    Pointer,
    /// `void`: nothing.
    Void,
}

include!(concat!(env!("OUT_DIR"), "/helpers.rs"));

impl Helper {
    /// The helper called `name`, if the header declares one.
    pub fn from_name(name: &str) -> Option<Helper> {
        Helper::ALL.into_iter().find(|helper| helper.name() == name)
    }

    /// The wasm result types: none for `void`, else one.
    pub const fn results(self) -> &'static [ValType] {
        match self.returns() {
            Returns::Void => &[],
            Returns::I64 => &[ValType::I64],
            Returns::F64 => &[ValType::F64],
            Returns::Object | Returns::Bool | Returns::Int | Returns::Pointer => &[ValType::I32],
        }
    }

    /// Whether jank's seed runtime exports it (what `--abi seed` may import).
    pub const fn is_seed(self) -> bool {
        matches!(self.origin(), Origin::Seed)
    }
}

/// The clojure.core macros the compiler expands itself (jankwasm's
/// `expand::core_macros`). The runtime interns an unbound var for each, with
/// `:macro true`, so that `resolve` at run time or while a macro expands
/// finds them as Clojure's does (`(resolve 'and)` is `#'clojure.core/and`).
pub const COMPILER_CORE_MACROS: &[&str] = &[
    "defn",
    "defn-",
    "fn",
    "let",
    "loop",
    "when",
    "when-not",
    "if-not",
    "cond",
    "and",
    "or",
    "->",
    "->>",
    "declare",
    "defstruct",
    "defmulti",
    "binding",
    "with-redefs",
    "with-out-str",
    "with-precision",
    "dosync",
    "sync",
    "io!",
    "locking",
    "memfn",
    "..",
    "with-in-str",
    "with-bindings",
    "with-local-vars",
    "with-open",
    "time",
    "defmethod",
    "comment",
    "case",
    "letfn",
    "if-let",
    "when-let",
    "if-some",
    "when-some",
    "when-first",
    "condp",
    "as->",
    "some->",
    "some->>",
    "cond->",
    "cond->>",
    "doto",
    "dotimes",
    "while",
    "doseq",
    "for",
    "assert",
    "lazy-seq",
    "delay",
    "lazy-cat",
    "bound-fn",
    "future",
    "defprotocol",
    "extend-type",
    "extend-protocol",
    "defrecord",
    "deftype",
    "reify",
];

/// clojure.core vars that exist unbound, as on the JVM: `unquote` and
/// `unquote-splicing`, what the reader makes of `~x` and `~@x`, which only
/// syntax-quote gives a meaning. The compiler knows them and the runtime
/// interns them unbound, so a call throws Clojure's "Attempting to call
/// unbound fn: #'clojure.core/unquote".
pub const UNBOUND_CORE_VARS: &[&str] = &["unquote", "unquote-splicing"];

/// Every var the runtime defines before any patch loads, one `ns/name` a line
/// (the stub's list; a jank runtime defines at least these), followed by
/// ` collects` when a call through the var may run a collection. A call
/// through any other of these vars never collects, whatever the var holds by
/// then: the runtime inhibits collection for it (jank_patch_abi.h,
/// "Collection inside calls").
pub const RUNTIME_VARS: &str = include_str!("runtime_vars.txt");

/// The marker of a runtime var a call through which may collect.
const COLLECTS: &str = " collects";

/// `RUNTIME_VARS` as (namespace, name, whether a call through it may
/// collect). The split is at the first `/` so that `clojure.core//` names
/// the var `/`.
fn runtime_var_lines() -> impl Iterator<Item = (&'static str, &'static str, bool)> {
    RUNTIME_VARS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (qualified, collects) = match line.strip_suffix(COLLECTS) {
                Some(qualified) => (qualified, true),
                None => (line, false),
            };
            let (ns, name) = qualified.split_once('/')?;
            Some((ns, name, collects))
        })
}

/// `RUNTIME_VARS` as (namespace, name) pairs.
pub fn runtime_vars() -> impl Iterator<Item = (&'static str, &'static str)> {
    runtime_var_lines().map(|(ns, name, _)| (ns, name))
}

/// The runtime vars a call through which never collects.
pub fn quiet_runtime_vars() -> impl Iterator<Item = (&'static str, &'static str)> {
    runtime_var_lines()
        .filter(|(_, _, collects)| !collects)
        .map(|(ns, name, _)| (ns, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_signatures_are_read_exactly() {
        let call_var = Helper::CallVar;
        assert_eq!(call_var.name(), "jank_call_var");
        assert_eq!(call_var.origin(), Origin::Seed);
        assert_eq!(call_var.params(), &[ValType::I32; 4]);
        assert_eq!(call_var.results(), &[ValType::I32]);
        assert_eq!(Helper::UnboxInteger.results(), &[ValType::I64]);
        assert_eq!(Helper::BoxDouble.params(), &[ValType::F64]);
        assert_eq!(Helper::NilValue.params(), &[] as &[ValType]);
        assert_eq!(Helper::MakeMap.origin(), Origin::Extension);
        assert_eq!(Helper::ExceptionSet.results(), &[] as &[ValType]);
        assert_eq!(Helper::ClosureEnv.returns(), Returns::Pointer);
        assert_eq!(Helper::Truthy.returns(), Returns::Bool);
        assert_eq!(Helper::Equiv.returns(), Returns::Int);
        assert_eq!(
            Helper::from_name("jank_var_intern_c"),
            Some(Helper::VarInternC)
        );
        assert_eq!(
            Helper::from_name("malloc"),
            None,
            "host interface is not a patch helper"
        );
    }

    #[test]
    fn throwing_is_read_per_helper() {
        assert!(Helper::Call.may_throw());
        assert!(Helper::MakeList.may_throw());
        assert!(Helper::MakeFn.may_throw());
        assert!(!Helper::BoxInteger.may_throw());
        assert!(!Helper::VarInternC.may_throw());
        for helper in Helper::ALL {
            assert!(
                !helper.may_throw() || helper.returns() == Returns::Object,
                "{helper:?} throws without an object result to signal it"
            );
        }
    }

    #[test]
    fn seed_limits_come_from_the_header() {
        assert_eq!(JANK_MAX_PARAMS, 10);
        assert_eq!(JANK_SEED_REGISTRY_MAX_ARITY, 4);
        assert_eq!(JANK_SEED_CALL_VAR_MAX_ARGS, 5);
        assert_eq!(JANK_SEED_WRAPPER_MAX_ARITY, 3);
    }

    #[test]
    fn seed_helpers_are_exactly_the_seed_runtime_exports() {
        let seed: Vec<&str> = Helper::ALL
            .into_iter()
            .filter(|h| h.is_seed())
            .map(Helper::name)
            .collect();
        assert_eq!(
            seed,
            [
                "jank_box_integer",
                "jank_unbox_integer",
                "jank_add_integers",
                "jank_box_double",
                "jank_unbox_double",
                "jank_make_string",
                "jank_make_keyword",
                "jank_make_symbol",
                "jank_make_vector",
                "jank_make_set",
                "jank_call_var",
                "jank_deref_var",
                "jank_println",
                "jank_nil_value",
                "jank_truthy",
                "jank_make_fn_wrapper",
            ]
        );
    }
}
