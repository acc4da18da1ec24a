//! Runs jankwasm patches under wasmtime the way a jank runtime built with
//! Emscripten 3.1.6 would: a stub main module (`runtime-abi/stub`, built by
//! this crate's build script and embedded as [`STUB_WASM`]) plays jank's
//! MAIN_MODULE, and [`Runtime::load_patch`] does what `dlopen` plus jank's
//! registry loop do with a SIDE_MODULE patch, with the same checks.
//!
//! - `dylink.rs`: the `dylink.0` reader ([`parse_dylink`]), wasmparser's
//!   subsection reader held to 3.1.6's rules.
//! - `loader.rs`: linking, reserving memory and table, instantiating,
//!   running registry entries.
//! - `runtime.rs`: the store with the stub, calls into wasm, output capture,
//!   the collector's safe points ([`GcPolicy`]), stopping a runaway call
//!   ([`Interrupter`]).
//! - `compile_cache.rs`: compiled stubs and patches kept on disk between
//!   processes.
//! - `browser.rs`: the `host.effect` import `jank.browser` calls: refused
//!   when headless, or carried out by a [`BrowserDouble`] in tests.
//! - `frames.rs`: patches' frame tables and the jank frames of a throw.
//! - `error.rs`: [`HarnessError`] and friends; their `kind()`/`code()` are
//!   the page loader's `LoadError.kind`/`code` for the same failure.

mod browser;
mod compile_cache;
mod dylink;
mod error;
mod frames;
mod loader;
mod runtime;

pub use browser::{BrowserDouble, FetchResponse};
pub use dylink::{parse_dylink, DylinkInfo};
pub use error::{DylinkError, HarnessError, Thrown};
pub use frames::{
    keeps_roots_in_frames, read_frame_table, FrameTable, JankFrame, FRAMES_SECTION,
    FRAME_ROOTS_SECTION,
};
pub use loader::UNINITIALIZED_BYTE;
pub use runtime::{
    on_host_stack, Arg, EntryOutcome, GcPolicy, GcStats, Interrupter, PatchInfo, Runtime, Value,
    HOST_STACK_BYTES, MAX_WASM_STACK,
};

/// The stub main module built from `runtime-abi/stub` for wasm32-unknown-unknown.
pub const STUB_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/jank_stub.wasm"));
