//! In-process patch generation: source text to validated wasm bytes.
//! Goals: the seed's ggg patch in well under 1 ms (median); in a warm
//! session with a compile-time runtime attached (as the dev server has it)
//! and no macro called, ≤ 150 µs. Also measured: a file of 10 user-macro
//! calls, each run in the compile-time runtime.

use criterion::{criterion_group, criterion_main, Criterion};
use jankwasm::lower::{Abi, PatchOptions};
#[cfg(feature = "harness")]
use jankwasm::macro_runtime::HarnessMacroRuntime;
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use std::hint::black_box;

/// The `jankwasm` executable's allocator (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const GGG: &str = include_str!("../examples/eita.jank");

fn emit_ggg(c: &mut Criterion) {
    let source = SourceFile::new("eita.jank", GGG);
    let mut patch_id = 0;
    c.bench_function("emit ggg patch (read+analyze+lower+validate)", |b| {
        b.iter(|| {
            patch_id += 1;
            let mut session = Session::new();
            let patch = session.compile(
                black_box(&source),
                &PatchOptions {
                    patch_id,
                    abi: Abi::Extended,
                },
            );
            black_box(patch.map(|p| p.bytes.len()).unwrap_or(0))
        })
    });
}

/// A session as the dev server has it: with a compile-time runtime for user
/// macros, when the harness is built in.
fn server_session() -> Session {
    #[cfg(feature = "harness")]
    let session = Session::new().with_compile_time_runtime(Box::new(HarnessMacroRuntime::new()));
    #[cfg(not(feature = "harness"))]
    let session = Session::new();
    session
}

fn emit_ggg_warm_session(c: &mut Criterion) {
    let source = SourceFile::new("eita.jank", GGG);
    let mut session = server_session();
    let mut patch_id = 0;
    c.bench_function("emit ggg patch in a long-lived session (dev server)", |b| {
        b.iter(|| {
            patch_id += 1;
            let patch = session.compile(
                black_box(&source),
                &PatchOptions {
                    patch_id,
                    abi: Abi::Extended,
                },
            );
            black_box(patch.map(|p| p.bytes.len()).unwrap_or(0))
        })
    });
}

/// Ten calls of a macro defined earlier in the session: each call runs
/// the macro in the compile-time runtime (a patch compiled by wasmtime).
#[cfg(feature = "harness")]
fn emit_ten_macro_calls(c: &mut Criterion) {
    let mut session = server_session();
    let mut patch_id = 0;
    let mut compile = |session: &mut Session, text: &str| {
        patch_id += 1;
        let source = SourceFile::new("macros.jank", text);
        let options = PatchOptions {
            patch_id,
            abi: Abi::Extended,
        };
        session
            .compile(black_box(&source), &options)
            .map(|p| p.bytes.len())
            .expect("the macro file compiles")
    };
    compile(
        &mut session,
        "(ns bench.macros)\n(defmacro unless [test & body] `(if ~test nil (do ~@body)))\n(unless false 1)",
    );
    let calls: String = (0..10)
        .map(|i| format!("(defn f{i} [x] (unless (neg? x) (* x {i})))\n"))
        .collect();
    c.bench_function("emit a file of 10 user-macro calls (warm session)", |b| {
        b.iter(|| black_box(compile(&mut session, &calls)))
    });
}

#[cfg(feature = "harness")]
criterion_group!(
    benches,
    emit_ggg,
    emit_ggg_warm_session,
    emit_ten_macro_calls
);
#[cfg(not(feature = "harness"))]
criterion_group!(benches, emit_ggg, emit_ggg_warm_session);
criterion_main!(benches);
