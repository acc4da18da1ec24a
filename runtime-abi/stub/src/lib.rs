//! jank-stub: a stand-in for jank's Emscripten MAIN_MODULE.
//!
//! Built for `wasm32-unknown-unknown`, it exports what a jankwasm patch (an
//! Emscripten SIDE_MODULE) links against: every helper of
//! `runtime-abi/jank_patch_abi.h` with exactly its wasm signature, `memory`,
//! a growable `__indirect_function_table`, the mutable `__stack_pointer`, and
//! the host interface (`malloc`, `jank_hot_reload_register`,
//! `jank_host_pr_str`, `jank_host_str`, `jank_host_encode` and the collector's entry points). It imports one function,
//! `host.write(fd, ptr, len)`, through which everything it prints goes.
//!
//! Behind the ABI is a small jank runtime with Clojure 1.11 semantics: the
//! value model ([`object`]), numbers ([`number`]), persistent collections
//! ([`coll`]), seqs and laziness ([`seq`]), equality and hashing
//! ([`equality`]), printing ([`print`](mod@print)), fn objects and calls ([`function`]),
//! vars ([`var`]), exceptions ([`error`]), the garbage collector ([`gc`]) and a native clojure.core,
//! clojure.set and clojure.string ([`core`]); `runtime-abi/runtime_vars.txt`
//! lists every var it defines, and a test keeps that list exact. Its printing
//! and hash-collection order are checked against what Clojure 1.11.1 prints
//! (`src/tests/clojure_cases.txt`).
//!
//! Not there (yet): regex patterns, metadata, sorted collections, BigInts
//! beyond the i64 range, dynamic vars and `format`. Macros
//! reach the runtime through `jank.runtime/lazy-seq` and `jank.runtime/delay`
//! (each takes a 0-arity fn).
//! Objects are freed by a mark-sweep collector that the host runs at safe
//! points between its calls (`jank_host_gc_safe_point`, see [`gc`]).
//!
//! Build: `cargo build --release --target wasm32-unknown-unknown` (build.rs
//! adds the link flags); `cargo test` runs the runtime's tests on the host,
//! where output is captured instead of going to the `host.write` import.

pub mod abi;
pub mod coll;
pub mod core;
pub mod encode;
pub mod equality;
pub mod error;
pub mod function;
pub mod gc;
pub mod io;
pub mod meta;
pub mod number;
pub mod object;
pub mod print;
pub mod queue;
pub mod record;
pub mod regex;
pub mod seq;
pub mod var;

#[cfg(test)]
mod tests;
