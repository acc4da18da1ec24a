//! Builds the stub main module (`runtime-abi/stub`, its own workspace) for
//! wasm32-unknown-unknown and copies `jank_stub.wasm` into OUT_DIR, where
//! `src/lib.rs` embeds it as `STUB_WASM`.
//!
//! With `JANK_STUB_WASM=PATH` set, that already built stub is embedded
//! instead: for builds on a toolchain without the wasm32 target, such as
//! the nightly one cargo-fuzz needs (README, "Fuzzing").
//!
//! The nested cargo runs with a clean environment: a build script inherits the
//! outer cargo's per-build variables (RUSTFLAGS for the host target, a clippy
//! or sccache wrapper, the jobserver, CARGO_TARGET_DIR, ...) and any of them
//! would either break the wasm build or make it rebuild on every run.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

/// Variables the outer cargo sets (or a developer set for the outer build)
/// that must not reach the nested one.
const CLEARED: &[&str] = &[
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "RUSTC",
    "RUSTDOC",
    "RUSTC_LINKER",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "MAKEFLAGS",
    "MFLAGS",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "NUM_JOBS",
    "OPT_LEVEL",
    "PROFILE",
    "DEBUG",
    "CLIPPY_ARGS",
    "CLIPPY_CONF_DIR",
    "__CARGO_DEFAULT_LIB_METADATA",
    "__CARGO_FIX_PLZ",
];

/// `CARGO_*` variables that describe the user's setup rather than this build
/// (registry access, offline mode, output style) and so are kept.
const KEPT_CARGO_PREFIXES: &[&str] = &[
    "CARGO_HOME",
    "CARGO_NET_",
    "CARGO_HTTP_",
    "CARGO_REGISTRIES_",
    "CARGO_REGISTRY_",
    "CARGO_TERM_",
];

fn should_clear(name: &str) -> bool {
    if CLEARED.contains(&name) {
        return true;
    }
    // CARGO_ENCODED_RUSTFLAGS, CARGO_BUILD_TARGET, CARGO_TARGET_DIR,
    // CARGO_MAKEFLAGS, CARGO_PRIMARY_PACKAGE, CARGO_PKG_*, CARGO_CFG_*,
    // CARGO_FEATURE_*, CARGO_MANIFEST_*, CARGO_PROFILE_* ...
    name.starts_with("CARGO_") && !KEPT_CARGO_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Reports `message` as the build error. Exiting rather than panicking keeps
/// the message free of a build-script backtrace.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

/// The rustc the nested cargo will use, for the target check: the one on PATH
/// (under rustup, the proxy honours RUSTUP_TOOLCHAIN, which is kept).
fn rustc_command() -> Command {
    let mut cmd = Command::new("rustc");
    clean_env(&mut cmd);
    cmd
}

fn clean_env(cmd: &mut Command) {
    let names: Vec<OsString> = env::vars_os().map(|(name, _)| name).collect();
    for name in names {
        if let Some(text) = name.to_str() {
            if should_clear(text) {
                cmd.env_remove(&name);
            }
        }
    }
}

/// Fails early with the fix when the wasm32 standard library is missing, rather
/// than with the nested build's "can't find crate for `core`".
fn check_target_installed() {
    let output = rustc_command()
        .args(["--print", "target-libdir", "--target", TARGET])
        .output();
    let Ok(output) = output else {
        // No rustc on PATH: let the nested cargo report its own error.
        return;
    };
    let missing_message = format!(
        "the {TARGET} target is not installed for this toolchain, which the jank stub \
         needs; run: rustup target add {TARGET}"
    );
    if !output.status.success() {
        fail(&missing_message);
    }
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let has_core = fs::read_dir(&libdir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))
        })
        .unwrap_or(false);
    if !has_core {
        fail(&missing_message);
    }
}

fn main() {
    let manifest_dir = PathBuf::from(
        env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| fail("CARGO_MANIFEST_DIR is not set")),
    );
    let out_dir =
        PathBuf::from(env::var_os("OUT_DIR").unwrap_or_else(|| fail("OUT_DIR is not set")));
    let workspace = manifest_dir
        .parent()
        .unwrap_or_else(|| fail("wasmtime-harness has no parent directory"))
        .to_path_buf();
    let stub_dir = workspace.join("runtime-abi").join("stub");
    let stub_manifest = stub_dir.join("Cargo.toml");
    let header = workspace.join("runtime-abi").join("jank_patch_abi.h");

    // Cargo watches these paths even while they do not exist, so a stub
    // crate appearing later triggers a rebuild.
    println!("cargo:rerun-if-changed={}", stub_manifest.display());
    println!(
        "cargo:rerun-if-changed={}",
        stub_dir.join("Cargo.lock").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        stub_dir.join(".cargo").join("config.toml").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        stub_dir.join("build.rs").display()
    );
    println!("cargo:rerun-if-changed={}", header.display());
    // A directory is scanned recursively, so new files count too.
    println!("cargo:rerun-if-changed={}", stub_dir.join("src").display());

    println!("cargo:rerun-if-env-changed=JANK_STUB_WASM");
    let embedded = out_dir.join("jank_stub.wasm");
    if let Some(prebuilt) = env::var_os("JANK_STUB_WASM") {
        let prebuilt = PathBuf::from(prebuilt);
        println!("cargo:rerun-if-changed={}", prebuilt.display());
        if let Err(e) = fs::copy(&prebuilt, &embedded) {
            fail(&format!(
                "could not copy JANK_STUB_WASM ({}) to {}: {e}",
                prebuilt.display(),
                embedded.display()
            ));
        }
        return;
    }

    if !stub_manifest.is_file() {
        fail(&format!(
            "the stub main module's crate is missing: {} does not exist",
            stub_manifest.display()
        ));
    }
    check_target_installed();

    // Beside the workspace's own target dir, not under CARGO_TARGET_DIR: the
    // outer target dir varies (clippy, CI, IDEs), and a stable place lets every
    // outer build reuse one incremental stub build.
    let target_dir = workspace.join("target").join("stub");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    clean_env(&mut cmd);
    cmd.arg("build")
        .arg("--release")
        .arg("--target")
        .arg(TARGET)
        .arg("--manifest-path")
        .arg(&stub_manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        // The stub's own .cargo/config.toml (export flags) is found from its
        // directory, not from the outer cargo's.
        .current_dir(&stub_dir);
    let output = cmd
        .output()
        .unwrap_or_else(|e| fail(&format!("could not run cargo for the stub: {e}")));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = if stderr.contains("can't find crate for `core`")
            || stderr.contains("target may not be installed")
        {
            format!("\nrun: rustup target add {TARGET}")
        } else {
            String::new()
        };
        fail(&format!(
            "building the stub main module ({}) failed:\n{stderr}{hint}",
            stub_manifest.display()
        ));
    }

    let built = target_dir
        .join(TARGET)
        .join("release")
        .join("jank_stub.wasm");
    if let Err(e) = fs::copy(&built, &embedded) {
        fail(&format!(
            "could not copy {} to {}: {e}",
            built.display(),
            embedded.display()
        ));
    }
}
