//! jankwasm: jank source in, Emscripten SIDE_MODULE WebAssembly patches out.
//!
//! The compiler is a pipeline; each stage owns one module, takes typed data
//! from the stage before and knows nothing of the stages after it:
//!
//! ```text
//!   text ──read──▶ Form ──expand──▶ Form ──analyze──▶ Expr (AST) ──lower──▶ wasm bytes
//!        (read/)         (expand/)          (analyze/)           (lower/wasm/, lower/cpp/)
//!                                                                      │
//!                              link & run: wasmtime-harness/, the dev server (serve/)
//! ```
//!
//! `source` and `diag` are shared by every stage: positions, and errors
//! rendered once with the source line and a caret. `session` holds what
//! survives between compilations (namespaces, requires, defined vars, the
//! source paths required namespaces load from, the compile-time runtime
//! user macros run in) and drives the stages for a batch of forms. `serve` is
//! the dev server: nREPL, HTTP and WebSocket around one session.
//! `fuzzing` holds the invariants the fuzz targets check.
//!
//! # Features
//!
//! With `--no-default-features` this crate is the compiler alone: the
//! modules `read`, `expand`, `analyze`, `lower`, `session`, `source` and
//! `diag`, depending on no async runtime, server or wasm engine, and the
//! `jankwasm emit` command. Its entry point is [`session::Session`]:
//! `compile` (a wasm patch) and `compile_cpp` (the same patch as C++), with
//! errors as [`diag::Failure`].
//! - `harness` adds `jankwasm run` and `jankwasm test` (patches loaded into
//!   the stub runtime under wasmtime, by the `jank-wasmtime-harness` crate)
//!   and [`macro_runtime`], the compile-time runtime user macros run in
//!   (without it, calling a user macro is a compile error).
//! - `serve` (default, implies `harness`) adds the dev server, [`serve`]
//!   (`serve::run`, `jankwasm serve`), and [`fuzzing`], the fuzz checks.

pub mod analyze;
pub mod diag;
pub mod expand;
#[cfg(feature = "serve")]
pub mod fuzzing;
pub mod lower;
#[cfg(feature = "harness")]
pub mod macro_runtime;
pub mod read;
#[cfg(feature = "serve")]
pub mod serve;
pub mod session;
pub mod source;
