//! Turns the helper declarations of jank_patch_abi.h into a Rust table, so the
//! header stays the one source of truth for every helper's wasm signature.

use std::fmt::Write as _;
use std::path::PathBuf;

fn wasm_type(c_type: &str) -> Result<&'static str, String> {
    let normalized: String = c_type.split_whitespace().collect::<Vec<_>>().join(" ");
    if normalized.contains('*') {
        return Ok("I32");
    }
    match normalized.trim_start_matches("const ") {
        "int" | "int32_t" => Ok("I32"),
        "int64_t" => Ok("I64"),
        "double" => Ok("F64"),
        other => Err(format!("unsupported C type `{other}` in jank_patch_abi.h")),
    }
}

/// Splits `void *name` / `const char *ns` / `int64_t value` into its type part.
fn param_type(param: &str) -> Result<&str, String> {
    let param = param.trim();
    let name_start = param
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map(|i| i + 1)
        .ok_or_else(|| format!("parameter `{param}` has no type"))?;
    Ok(param[..name_start].trim())
}

fn main() {
    let header = PathBuf::from("jank_patch_abi.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text = std::fs::read_to_string(&header).expect("jank_patch_abi.h is readable");
    let mut table = String::from("&[\n");
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("JANK_HELPER(") else {
            continue;
        };
        let (origin, decl) = rest.split_once(')').expect("JANK_HELPER(origin) prefix");
        let origin = match origin {
            "seed" => "Seed",
            "ext" => "Extension",
            other => panic!("unknown helper origin `{other}`"),
        };
        let decl = decl.trim().trim_end_matches(';');
        let (head, params) = decl
            .split_once('(')
            .expect("helper declaration has parameters");
        let params = params.trim_end_matches(')');
        let name_start = head
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let name = &head[name_start..];
        let ret = head[..name_start].trim();
        let result = if ret == "void" {
            String::new()
        } else {
            wasm_type(ret).unwrap().to_string()
        };
        let params: Vec<&str> = if params.trim() == "void" {
            Vec::new()
        } else {
            params
                .split(',')
                .map(|p| wasm_type(param_type(p).unwrap()).unwrap())
                .collect()
        };
        writeln!(
            table,
            "    Helper {{ name: {name:?}, origin: Origin::{origin}, params: &[{}], results: &[{}], c_declaration: {decl:?} }},",
            params.iter().map(|p| format!("ValType::{p}")).collect::<Vec<_>>().join(", "),
            if result.is_empty() { String::new() } else { format!("ValType::{result}") },
        )
        .unwrap();
    }
    table.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("helpers.rs");
    std::fs::write(out, table).unwrap();
}
