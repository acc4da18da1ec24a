//! In-process patch generation: source text to validated wasm bytes.
//! Goal (issue 2): the seed's ggg patch in well under 1 ms (median).

use criterion::{criterion_group, criterion_main, Criterion};
use jankwasm::lower::{Abi, PatchOptions};
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use std::hint::black_box;

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

fn emit_ggg_warm_session(c: &mut Criterion) {
    let source = SourceFile::new("eita.jank", GGG);
    let mut session = Session::new();
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

criterion_group!(benches, emit_ggg, emit_ggg_warm_session);
criterion_main!(benches);
