//! The patch helper ABI as data: every `jank_*` helper a patch may import, with
//! its exact wasm signature, generated from `jank_patch_abi.h` (the one source
//! of truth) by this crate's build script.

/// The header itself, for emitters that include it (the C++ path) and for tests.
pub const HEADER: &str = include_str!("jank_patch_abi.h");

/// A wasm value type as it appears in helper signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F64,
}

/// Who provides a helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// jank's hot_reload.cpp exports it today.
    Seed,
    /// Defined by this project; a jank runtime adds it to support the full language.
    Extension,
}

/// One helper a patch may import from `env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Helper {
    pub name: &'static str,
    pub origin: Origin,
    pub params: &'static [ValType],
    pub results: &'static [ValType],
    /// The declaration as written in the header, for C++ emission and diagnostics.
    pub c_declaration: &'static str,
}

/// Every helper of the header, in header order.
pub const HELPERS: &[Helper] = include!(concat!(env!("OUT_DIR"), "/helpers.rs"));

/// The helper called `name`, if the header declares one.
pub fn helper(name: &str) -> Option<&'static Helper> {
    HELPERS.iter().find(|h| h.name == name)
}

/// Every var the runtime defines before any patch loads, one `ns/name` a line
/// (the stub's list; a jank runtime defines at least these).
pub const RUNTIME_VARS: &str = include_str!("runtime_vars.txt");

/// `RUNTIME_VARS` as (namespace, name) pairs. The split is at the first `/`
/// so that `clojure.core//` names the var `/`.
pub fn runtime_vars() -> impl Iterator<Item = (&'static str, &'static str)> {
    RUNTIME_VARS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_signatures_are_read_exactly() {
        let call_var = helper("jank_call_var").unwrap();
        assert_eq!(call_var.origin, Origin::Seed);
        assert_eq!(call_var.params, &[ValType::I32; 4]);
        assert_eq!(call_var.results, &[ValType::I32]);
        let unbox = helper("jank_unbox_integer").unwrap();
        assert_eq!(unbox.results, &[ValType::I64]);
        let boxd = helper("jank_box_double").unwrap();
        assert_eq!(boxd.params, &[ValType::F64]);
        assert_eq!(helper("jank_nil_value").unwrap().params, &[] as &[ValType]);
        assert_eq!(helper("jank_make_map").unwrap().origin, Origin::Extension);
        assert!(
            helper("malloc").is_none(),
            "host interface is not a patch helper"
        );
    }

    #[test]
    fn seed_helpers_are_exactly_the_seed_runtime_exports() {
        let seed: Vec<&str> = HELPERS
            .iter()
            .filter(|h| h.origin == Origin::Seed)
            .map(|h| h.name)
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
