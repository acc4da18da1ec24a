//! Links the `jankwasm` executable position-dependent on Linux/GNU.
//!
//! `jankwasm emit` is a short process started once per patch, so its start-up is part of every
//! patch's cost. As a position-independent executable the 129 MB binary spends a third of its
//! start-up applying ~40,000 relative relocations, copying the pages they touch (perf: 276 page
//! faults and 1.2 ms of CPU for `--version`, against 120 and 0.8 ms without). Only the final link
//! changes: every crate is still compiled as before, so no dependency is rebuilt. The cost is that
//! the executable's own code is not address-randomised; the libraries it loads still are.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bin=jankwasm=-no-pie");
    }
}
