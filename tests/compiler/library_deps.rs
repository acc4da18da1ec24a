//! The compiler library stands alone: built with `--no-default-features`,
//! jankwasm's normal dependencies name no async runtime, web server, file
//! watcher or wasm engine, so the compiler can be embedded and `jankwasm emit`
//! is a small binary.

use std::process::Command;

/// Crate name segments the compiler alone must not pull in.
const SERVER_OR_ENGINE: &[&str] = &["tokio", "axum", "hyper", "notify", "wasmtime"];

/// The crates of `cargo tree -p jankwasm -e normal` with these extra flags.
fn normal_dependencies(flags: &[&str]) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "-p", "jankwasm", "-e", "normal", "--prefix", "none"])
        .args(flags)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

fn server_or_engine(crates: &[String]) -> Vec<&str> {
    let mut found: Vec<&str> = crates
        .iter()
        .filter(|name| {
            name.split(['-', '_'])
                .any(|segment| SERVER_OR_ENGINE.contains(&segment))
        })
        .map(String::as_str)
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

#[test]
fn the_compiler_alone_depends_on_no_server_or_wasm_engine() {
    let crates = normal_dependencies(&["--no-default-features"]);
    assert!(
        crates.iter().any(|name| name == "wasm-encoder"),
        "{crates:?}"
    );
    assert_eq!(server_or_engine(&crates), Vec::<&str>::new());
}

#[test]
fn the_default_build_is_what_the_check_would_catch() {
    let crates = normal_dependencies(&[]);
    let found = server_or_engine(&crates);
    for expected in [
        "axum",
        "jank-wasmtime-harness",
        "notify",
        "tokio",
        "wasmtime",
    ] {
        assert!(found.contains(&expected), "{expected} not in {found:?}");
    }
}
