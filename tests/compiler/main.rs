//! The compiler's tests, in one binary: reading, analysis errors, the seed
//! ABI's admission, pipeline properties, the command line, the
//! clojure.core coverage list and the compiler's dependencies. They need no wasm engine (built with
//! `--no-default-features` they still run, but for `jankwasm run`).

#[path = "../common/mod.rs"]
mod common;

mod analyzer_errors;
mod cli;
mod core_coverage;
mod library_deps;
mod pipeline_properties;
mod reader;
mod seed_abi;
