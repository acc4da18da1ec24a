//! Long-running page memory (issue 5, item 7): calls the patched `frame` fn of
//! examples/frame.jank as a page would on every animation frame (10 minutes
//! at 60 fps is 36,000 frames) and prints the stub's memory at intervals,
//! first with the collector off (what the stub did before it had one; at
//! most 150,000 frames, which already take 3 of wasm32's 4 GiB), then
//! with the harness's default policy (a paced collection at every safe
//! point). With the collector the figures stay flat.
//!
//! `cargo bench --bench frame_memory [-- FRAMES]` (default 120000).

use std::time::Instant;

use jank_wasmtime_harness::{Arg, GcPolicy, Runtime};
use jankwasm::lower::{Abi, PatchOptions};
use jankwasm::session::Session;
use jankwasm::source::SourceFile;

const FRAME: &str = include_str!("../examples/frame.jank");
const DEFAULT_FRAMES: u64 = 120_000;
/// Without a collector each frame keeps about 21 KiB, and wasm32 memory
/// ends at 4 GiB: the collector-off run stops here.
const FRAMES_WITHOUT_COLLECTOR: u64 = 150_000;
const REPORTS: u64 = 12;

fn mib(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / f64::from(1 << 20))
}

fn run(policy: GcPolicy, frames: u64) -> Result<(), Box<dyn std::error::Error>> {
    let patch = Session::new().compile(
        &SourceFile::new("frame.jank", FRAME),
        &PatchOptions {
            patch_id: 1,
            abi: Abi::Extended,
        },
    )?;
    let mut runtime = Runtime::new()?;
    runtime.set_gc_policy(policy)?;
    runtime.load_patch(&patch.bytes, &patch.symbols_export)?;
    println!("\n{policy:?}: {frames} frames");
    println!(
        "{:>8} {:>14} {:>14} {:>10} {:>11} {:>12}",
        "frame", "memory MiB", "heap MiB", "objects", "collections", "us/frame"
    );
    let interval = (frames / REPORTS).max(1);
    let mut started = Instant::now();
    for frame in 1..=frames {
        let t = i64::try_from(16 * frame)?;
        runtime.call_var("app.frame", "frame", &[Arg::Int(t)])?;
        if frame % interval == 0 || frame == frames {
            let per_frame = started.elapsed().as_secs_f64() * 1e6 / interval as f64;
            let stats = runtime.gc_stats()?.ok_or("the stub has no collector")?;
            println!(
                "{frame:>8} {:>14} {:>14} {:>10} {:>11} {per_frame:>12.1}",
                mib(runtime.memory_bytes()),
                mib(u64::from(stats.heap_bytes)),
                stats.objects,
                stats.collections,
            );
            started = Instant::now();
        }
    }
    println!(
        "summary after {frames} frames: {}",
        runtime.call_var("app.frame", "summary", &[])?.printed
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let frames = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse::<u64>().ok())
        .unwrap_or(DEFAULT_FRAMES);
    run(GcPolicy::Off, frames.min(FRAMES_WITHOUT_COLLECTOR))?;
    run(GcPolicy::Paced, frames)?;
    Ok(())
}
