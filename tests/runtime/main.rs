//! Patches run, in one binary: the corpus against the JVM's output, the
//! direct backend against C++ through emcc, the wasmtime harness, long-running
//! programs and the collector, the module's shape for Emscripten's loader,
//! and a real Emscripten MAIN_MODULE (emcc) loading patches.

#[path = "../common/mod.rs"]
mod common;

mod corpus;
mod differential;
mod harness_runs;
mod long_running;
mod module_structure;
mod real_loader;
