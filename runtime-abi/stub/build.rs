//! Link flags for the wasm build: the stub plays an Emscripten MAIN_MODULE,
//! so patches import its `__stack_pointer`, its function table (exported and
//! growable, for each patch's elements) and its memory; and a shadow stack
//! deep enough for deep jank recursion. Set here rather than
//! in `.cargo/config.toml` so that they apply whatever directory cargo runs
//! from (`--manifest-path` from elsewhere ignores this crate's config).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        for flag in [
            "--export=__stack_pointer",
            "--export-table",
            "--growable-table",
            // The shadow stack (Rust's default is 1 MiB): a jank call level
            // takes a few hundred bytes of it between the patch's frame and
            // the stub's dispatch, and 10,000 nested calls must fit.
            "-zstack-size=8388608",
        ] {
            println!("cargo:rustc-link-arg-cdylib={flag}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
