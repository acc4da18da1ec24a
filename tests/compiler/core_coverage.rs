//! How much of jank's public clojure.core jankwasm resolves: every name of
//! docs/jank-clojure-core-vars.txt is resolved (a special form, a macro the
//! compiler expands, a var of the runtime or one the analyzer answers),
//! left out on purpose (docs/core-coverage-left-out.txt, with its reason) or
//! missing. `scripts/core-coverage` prints the list and the figure.

use jankwasm::diag::Diagnostic;
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use std::collections::BTreeMap;

/// The coverage figure may only grow: raise it when vars are added.
const RESOLVED_AT_LEAST: usize = 506;

fn docs_file(name: &str) -> String {
    let path = format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The non-comment lines of a docs list.
fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Not resolved: an unknown name, or one refused by design (`eval`).
fn unresolved(diagnostic: &Diagnostic) -> bool {
    diagnostic.message.starts_with("unable to resolve symbol:")
        || diagnostic.message.contains("is not supported")
}

/// Whether the bare name means something in a fresh `user` namespace: as a
/// value (`name`) or as the head of a call (`(name)`, which a macro or
/// special form needs); any error other than an unresolved or refused
/// symbol (a macro used as a value, a call missing its arguments) still
/// means it resolved.
fn resolves(name: &str) -> bool {
    [name.to_string(), format!("({name})")].iter().any(|text| {
        let source = SourceFile::new("coverage.jank", text.as_str());
        match Session::new().analyze(&source) {
            Ok(_) => true,
            Err(diagnostic) => !unresolved(&diagnostic),
        }
    })
}

#[test]
fn core_coverage() {
    let vars = docs_file("jank-clojure-core-vars.txt");
    let left_out_text = docs_file("core-coverage-left-out.txt");
    let mut left_out = BTreeMap::new();
    for line in entries(&left_out_text) {
        let (name, reason) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("left-out line without a reason: {line}"));
        left_out.insert(name, reason.trim());
    }
    let names: Vec<&str> = entries(&vars).collect();
    for name in left_out.keys() {
        assert!(
            names.contains(name),
            "{name} is left out but is not one of jank's vars"
        );
    }
    let (mut resolved, mut missing, mut resolved_left_out) = (Vec::new(), Vec::new(), Vec::new());
    for name in &names {
        match (resolves(name), left_out.get(name)) {
            (true, None) => resolved.push(*name),
            (true, Some(_)) => resolved_left_out.push(*name),
            (false, None) => missing.push(*name),
            (false, Some(_)) => {}
        }
    }
    for (name, reason) in &left_out {
        println!("left out  {name} ({reason})");
    }
    for name in &missing {
        println!("missing   {name}");
    }
    let counted = names.len() - left_out.len();
    println!(
        "jank's clojure.core: {} public vars, {} left out on purpose; {} of the other {counted} resolve ({:.1} %), {} missing",
        names.len(),
        left_out.len(),
        resolved.len(),
        100.0 * resolved.len() as f64 / counted as f64,
        missing.len()
    );
    assert!(
        resolved_left_out.is_empty(),
        "left out on purpose but resolved (take them off the list): {resolved_left_out:?}"
    );
    assert!(
        resolved.len() >= RESOLVED_AT_LEAST,
        "{} resolve, fewer than {RESOLVED_AT_LEAST}",
        resolved.len()
    );
}
