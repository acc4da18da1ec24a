//! Patches run, in one binary: the corpus against the JVM's output, the
//! direct backend against C++ through emcc, the wasmtime harness, long-running
//! programs and the collector, the module's shape for Emscripten's loader,
//! a real Emscripten MAIN_MODULE (emcc) loading patches, and projects of
//! several namespaces with macros and clojure.test through the binary.

#[path = "../common/mod.rs"]
mod common;

mod browser_effects;
mod clojure_test_suite;
mod collection_in_calls;
mod core_library;
mod corpus;
mod deep_stack;
mod differential;
mod harness_runs;
mod jank_test_suite;
mod long_running;
mod module_structure;
mod out_of_memory;
mod projects;
mod real_loader;
