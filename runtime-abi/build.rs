//! Turns jank_patch_abi.h's `JANK_HELPER` lines into the typed `Helper` enum
//! and its `#define JANK_*` integers into constants, so the header stays the
//! one place each helper fact is written. A malformed line fails the build
//! with the line it is on.

#[path = "c_decl.rs"]
mod c_decl;

use std::fmt::Write as _;
use std::path::PathBuf;

const HEADER: &str = "jank_patch_abi.h";

/// One `JANK_HELPER` line, read.
struct HelperLine {
    variant: String,
    name: String,
    origin: &'static str,
    may_throw: bool,
    returns: &'static str,
    params: Vec<&'static str>,
    declaration: String,
    doc: String,
}

fn value_type(c_type: &str) -> Result<&'static str, String> {
    match c_type {
        _ if c_type.ends_with('*') => Ok("I32"),
        "jank_object_ref" | "jank_bool" | "int" | "int32_t" => Ok("I32"),
        "int64_t" => Ok("I64"),
        "double" => Ok("F64"),
        other => Err(format!("unsupported C type `{other}`")),
    }
}

fn return_kind(c_type: &str) -> Result<&'static str, String> {
    match c_type {
        "jank_object_ref" => Ok("Object"),
        "jank_bool" => Ok("Bool"),
        "int" | "int32_t" => Ok("Int"),
        "int64_t" => Ok("I64"),
        "double" => Ok("F64"),
        "void" => Ok("Void"),
        _ if c_type.ends_with('*') => Ok("Pointer"),
        other => Err(format!("unsupported return type `{other}`")),
    }
}

/// `jank_var_intern_c` -> `VarInternC`.
fn variant_name(name: &str) -> String {
    name.trim_start_matches("jank_")
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn read_helper(line: &str, doc: String) -> Result<HelperLine, String> {
    let rest = line
        .strip_prefix("JANK_HELPER(")
        .ok_or("not a helper line")?;
    let (facts, declaration) = rest.split_once(')').ok_or("JANK_HELPER( is not closed")?;
    let (origin, throwing) = facts
        .split_once(',')
        .ok_or("JANK_HELPER needs (origin, throwing)")?;
    let origin = match origin.trim() {
        "seed" => "Seed",
        "ext" => "Extension",
        "host" => "Host",
        other => return Err(format!("unknown origin `{other}` (seed, ext or host)")),
    };
    let may_throw = match throwing.trim() {
        "throws" => true,
        "nothrow" => false,
        other => return Err(format!("unknown `{other}` (throws or nothrow)")),
    };
    let declaration = declaration.trim().to_string();
    let parsed = c_decl::parse(&declaration)?;
    let returns = return_kind(&parsed.result)?;
    if may_throw && returns != "Object" {
        return Err(
            "only a helper returning jank_object_ref can throw (NULL is the signal)".to_string(),
        );
    }
    let params = parsed
        .params
        .iter()
        .map(|param| value_type(param))
        .collect::<Result<_, _>>()?;
    Ok(HelperLine {
        variant: variant_name(&parsed.name),
        name: parsed.name,
        origin,
        may_throw,
        returns,
        params,
        declaration,
        doc,
    })
}

/// `#define JANK_NAME 123` -> (`JANK_NAME`, 123).
fn read_define(line: &str) -> Option<(&str, u32)> {
    let rest = line.strip_prefix("#define ")?;
    let (name, value) = rest.split_once(char::is_whitespace)?;
    if !name.starts_with("JANK_") {
        return None;
    }
    Some((name, value.trim().parse().ok()?))
}

/// The text of a `/* ... */` comment ending on the line just above a helper.
fn comment_above(lines: &[&str]) -> String {
    let Some(last) = lines.last() else {
        return String::new();
    };
    if !last.trim_end().ends_with("*/") {
        return String::new();
    }
    let start = lines
        .iter()
        .rposition(|line| line.trim_start().starts_with("/*"))
        .unwrap_or(lines.len() - 1);
    lines[start..]
        .iter()
        .map(|line| {
            line.trim()
                .trim_start_matches("/*")
                .trim_end_matches("*/")
                .trim_start_matches('*')
                .trim()
        })
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

fn generate(text: &str) -> Result<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut helpers = Vec::new();
    let mut defines = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let at = |message: String| format!("{HEADER}:{}: {message}", index + 1);
        if line.starts_with("JANK_HELPER(") {
            helpers.push(read_helper(line, comment_above(&lines[..index])).map_err(at)?);
        } else if let Some(define) = read_define(line) {
            defines.push(define);
        }
    }
    let mut out = String::new();
    out.push_str(
        "/// Every helper a patch may import, as declared in jank_patch_abi.h (in header order).\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
         pub enum Helper {\n",
    );
    for helper in &helpers {
        if !helper.doc.is_empty() {
            let _ = writeln!(out, "    #[doc = {:?}]", helper.doc);
        }
        let _ = writeln!(
            out,
            "    #[doc = {:?}]",
            format!("`{}`", helper.declaration)
        );
        let _ = writeln!(out, "    {},", helper.variant);
    }
    out.push_str("}\n\nimpl Helper {\n");
    let _ = writeln!(
        out,
        "    /// Every helper, in header order.\n    pub const ALL: [Helper; {}] = [{}];",
        helpers.len(),
        helpers
            .iter()
            .map(|h| format!("Helper::{}", h.variant))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut accessor = |doc: &str, signature: &str, arm: &dyn Fn(&HelperLine) -> String| {
        let _ = writeln!(
            out,
            "\n    /// {doc}\n    pub const fn {signature} {{\n        match self {{"
        );
        for helper in &helpers {
            let _ = writeln!(
                out,
                "            Helper::{} => {},",
                helper.variant,
                arm(helper)
            );
        }
        out.push_str("        }\n    }\n");
    };
    accessor(
        "The imported (and exported) name.",
        "name(self) -> &'static str",
        &|h| format!("{:?}", h.name),
    );
    accessor("Who provides it.", "origin(self) -> Origin", &|h| {
        format!("Origin::{}", h.origin)
    });
    accessor(
        "Whether it may throw: it then returns NULL with the exception pending, and every call is checked.",
        "may_throw(self) -> bool",
        &|h| h.may_throw.to_string(),
    );
    accessor("What a call leaves.", "returns(self) -> Returns", &|h| {
        format!("Returns::{}", h.returns)
    });
    accessor(
        "The wasm parameter types.",
        "params(self) -> &'static [ValType]",
        &|h| {
            format!(
                "&[{}]",
                h.params
                    .iter()
                    .map(|p| format!("ValType::{p}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    );
    accessor(
        "The declaration as the header writes it, for C++ emission and messages.",
        "c_declaration(self) -> &'static str",
        &|h| format!("{:?}", h.declaration),
    );
    out.push_str("}\n");
    for (name, value) in defines {
        let _ = writeln!(
            out,
            "\n/// `#define {name} {value}` of jank_patch_abi.h.\npub const {name}: usize = {value};"
        );
    }
    Ok(out)
}

fn main() {
    println!("cargo:rerun-if-changed={HEADER}");
    println!("cargo:rerun-if-changed=c_decl.rs");
    let text = std::fs::read_to_string(HEADER).unwrap_or_else(|e| panic!("{HEADER}: {e}"));
    let generated = generate(&text).unwrap_or_else(|message| panic!("{message}"));
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let out = PathBuf::from(out_dir).join("helpers.rs");
    std::fs::write(&out, generated).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
