//! jank_patch_abi.h against jank's own C API (c_api.h, recorded in
//! jank_c_api.txt with its source commit): a name both declare must have the
//! same C signature, so a helper never means something else than jank's
//! function of that name.

#[path = "../c_decl.rs"]
mod c_decl;

use c_decl::{normalize_type, parse, CDeclaration};
use jank_runtime_abi::{Helper, HEADER};
use std::collections::HashMap;

const JANK_C_API: &str = include_str!("jank_c_api.txt");

/// One-line `typedef T name;` declarations (struct typedefs span lines and are skipped).
fn typedefs(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("typedef "))
        .filter_map(|rest| rest.strip_suffix(';'))
        .filter(|rest| !rest.contains('{') && !rest.contains('('))
        .filter_map(|rest| {
            let split = rest.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            Some((
                rest[split + 1..].to_string(),
                normalize_type(&rest[..=split]),
            ))
        })
        .collect()
}

/// A normalized type with typedefs expanded and fixed-width names spelled as
/// wasm32's C types, so `jank_i64` and `int64_t` compare equal.
fn resolve(c_type: &str, typedefs: &HashMap<String, String>) -> String {
    let base = c_type.trim_end_matches('*');
    let stars = &c_type[base.len()..];
    let base = match typedefs.get(base) {
        Some(expansion) => resolve(expansion, typedefs),
        None => match base {
            "int64_t" => "long long".to_string(),
            "int32_t" => "int".to_string(),
            "uint32_t" => "unsigned int".to_string(),
            other => other.to_string(),
        },
    };
    base + stars
}

fn resolved(declaration: &CDeclaration, typedefs: &HashMap<String, String>) -> String {
    let params: Vec<String> = declaration
        .params
        .iter()
        .map(|param| resolve(param, typedefs))
        .collect();
    format!(
        "{} {}({})",
        resolve(&declaration.result, typedefs),
        declaration.name,
        params.join(", ")
    )
}

fn jank_declarations() -> Vec<CDeclaration> {
    JANK_C_API
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("typedef "))
        .map(|line| parse(line).unwrap_or_else(|e| panic!("jank_c_api.txt: {e}")))
        .collect()
}

/// Every function jank_patch_abi.h declares: the helpers and the host interface.
fn our_declarations() -> Vec<CDeclaration> {
    let helpers = Helper::ALL.into_iter().map(Helper::c_declaration);
    let host = HEADER
        .lines()
        .filter_map(|line| line.strip_prefix("JANK_HOST "));
    helpers
        .chain(host)
        .map(|line| parse(line).unwrap_or_else(|e| panic!("jank_patch_abi.h: {e}")))
        .collect()
}

#[test]
fn every_name_jank_also_declares_has_janks_signature() {
    let jank_types = typedefs(JANK_C_API);
    let our_types = typedefs(HEADER);
    let jank: HashMap<String, String> = jank_declarations()
        .iter()
        .map(|declaration| (declaration.name.clone(), resolved(declaration, &jank_types)))
        .collect();
    let mut shared = Vec::new();
    let mut different = Vec::new();
    for ours in our_declarations() {
        let Some(theirs) = jank.get(&ours.name) else {
            continue;
        };
        shared.push(ours.name.clone());
        let ours = resolved(&ours, &our_types);
        if &ours != theirs {
            different.push(format!("ours:  {ours}\njank's: {theirs}"));
        }
    }
    assert!(
        different.is_empty(),
        "names that mean something else in jank's c_api.h:\n{}",
        different.join("\n")
    );
    shared.sort();
    assert_eq!(
        shared,
        [
            "jank_big_decimal_create",
            "jank_big_integer_create",
            "jank_ratio_create",
            "jank_truthy",
            "jank_var_bind_root",
            "jank_var_intern_c"
        ]
    );
}

#[test]
fn the_record_reads_every_declaration_of_c_api_h() {
    let declarations = jank_declarations();
    assert_eq!(declarations.len(), 91);
    let by_name: HashMap<&str, &CDeclaration> = declarations
        .iter()
        .map(|declaration| (declaration.name.as_str(), declaration))
        .collect();
    let jank_types = typedefs(JANK_C_API);
    assert_eq!(
        resolved(by_name["jank_throw"], &jank_types),
        "void jank_throw(void*)"
    );
    assert_eq!(
        resolved(by_name["jank_var_intern"], &jank_types),
        "void* jank_var_intern(void*, void*)"
    );
    assert_eq!(
        resolved(by_name["jank_integer_create"], &jank_types),
        "void* jank_integer_create(long long)"
    );
    assert_eq!(
        by_name["jank_function_set_arity1"].params,
        [
            "jank_object_ref",
            "jank_object_ref (* f)(jank_object_ref, jank_object_ref)"
        ]
    );
    assert_eq!(by_name["jank_list_create"].params, ["jank_u64", "..."]);
    assert_eq!(by_name["jank_const_nil"].params, [] as [String; 0]);
}

#[test]
fn our_renamed_helpers_keep_clear_of_janks_names() {
    let ours: Vec<String> = our_declarations()
        .into_iter()
        .map(|declaration| declaration.name)
        .collect();
    for jank_only in ["jank_throw", "jank_var_intern"] {
        assert!(
            !ours.iter().any(|name| name == jank_only),
            "{jank_only} means something else in jank"
        );
    }
}
