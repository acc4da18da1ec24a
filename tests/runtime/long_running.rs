//! A page that calls patched functions every frame for a long time: results
//! stay right and memory stays flat because the stub collects at the
//! harness's safe points, across a hot reload; and the corpus runs the same
//! with a full collection after every top-level form.

use crate::common;
use jank_wasmtime_harness::{Arg, GcPolicy, Runtime};
use jankwasm::lower::Abi;
use jankwasm::macro_runtime::HarnessMacroRuntime;
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use pretty_assertions::assert_eq;
use std::path::Path;

const FRAME: &str = include_str!("../../examples/frame.jank");

fn load(runtime: &mut Runtime, session: &mut Session, text: &str, id: u64) {
    let patch = common::compile_in(session, text, id).unwrap_or_else(|d| panic!("{d}"));
    for outcome in runtime
        .load_patch(&patch.bytes, &patch.symbols_export)
        .unwrap()
    {
        if let Err(thrown) = outcome.result {
            panic!("{} threw {}", outcome.qualified_name, thrown.printed);
        }
    }
}

/// Runs frames `range`, checking each result's tick and lazy sum, and
/// returns the heap after every 1000th; with `live`, right after a full
/// collection (between collections the paced collector lets garbage grow by
/// up to `MIN_GROWTH_BYTES`, so a sample without one depends on where it
/// falls in that sawtooth).
fn run_frames(runtime: &mut Runtime, range: std::ops::Range<i64>, live: bool) -> Vec<u32> {
    let mut heap = Vec::new();
    for frame in range {
        let printed = runtime
            .call_var("app.frame", "frame", &[Arg::Int(16 * frame)])
            .unwrap()
            .printed;
        let tick = frame + 1;
        assert!(
            printed.starts_with(&format!("[{tick} ")) && printed.ends_with(" 132]"),
            "frame {frame}: {printed}"
        );
        if tick % 1000 == 0 {
            if live {
                runtime.collect_garbage().unwrap();
            }
            heap.push(runtime.gc_stats().unwrap().expect("a collector").heap_bytes);
        }
    }
    heap
}

/// What `(summary)` prints after `ticks` frames numbered from 0.
fn summary_after(ticks: i64) -> String {
    let history: Vec<String> = (ticks.saturating_sub(8)..ticks)
        .map(|frame| (16 * frame).to_string())
        .collect();
    let half = ticks as f64 / 2.0;
    format!(
        "[{ticks} {} [{}] {{:x {:?}, :y {:?}}}]",
        ticks / 10,
        history.join(" "),
        -half,
        half
    )
}

#[test]
fn frames_keep_memory_flat_and_state_right_across_a_reload() {
    let mut runtime = Runtime::new().unwrap();
    let mut session = Session::new();
    load(&mut runtime, &mut session, FRAME, 1);

    let warm_up = run_frames(&mut runtime, 0..4000, true);
    let memory_after_warm_up = runtime.memory_bytes();
    let steady = run_frames(&mut runtime, 4000..12000, true);
    assert_eq!(
        runtime
            .call_var("app.frame", "summary", &[])
            .unwrap()
            .printed,
        summary_after(12000)
    );

    // Reload the view: the defonce'd state carries on.
    let reloaded_view = FRAME.replace("(str \"tick \"", "(str \"frame \"");
    assert_ne!(reloaded_view, FRAME);
    load(&mut runtime, &mut session, &reloaded_view, 2);
    let after_reload = run_frames(&mut runtime, 12000..20000, true);
    assert_eq!(
        runtime
            .call_var("app.frame", "summary", &[])
            .unwrap()
            .printed,
        summary_after(20000)
    );

    let stats = runtime.gc_stats().unwrap().expect("a collector");
    // 20 full collections were the samples'; the paced collector ran too.
    assert!(stats.collections >= 20 + 10, "{stats:?}");
    let ceiling = warm_up.iter().max().copied().unwrap_or_default() * 2;
    assert!(
        steady
            .iter()
            .chain(&after_reload)
            .all(|&bytes| bytes <= ceiling),
        "live heap bytes every 1000 frames: warm-up {warm_up:?}, then {steady:?}, after the \
         reload {after_reload:?}"
    );
    assert!(
        runtime.memory_bytes() <= memory_after_warm_up + (1 << 20),
        "linear memory grew from {memory_after_warm_up} to {}",
        runtime.memory_bytes()
    );
}

#[test]
fn without_a_collector_the_same_frames_grow_without_bound() {
    let mut runtime = Runtime::new().unwrap();
    runtime.set_gc_policy(GcPolicy::Off).unwrap();
    let mut session = Session::new();
    load(&mut runtime, &mut session, FRAME, 1);
    let heap = run_frames(&mut runtime, 0..3000, false);
    assert!(
        heap.windows(2).all(|pair| pair[1] > pair[0] + (1 << 20)),
        "every 1000 frames add over 1 MiB: {heap:?}"
    );
}

/// Known failures of the corpus (tests/runtime/corpus.rs owns that list).
fn known_failures(corpus: &Path) -> Vec<String> {
    std::fs::read_to_string(corpus.join("known-failures.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_corpus_prints_the_same_with_a_collection_after_every_form() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let known = known_failures(&corpus);
    let mut programs: Vec<_> = std::fs::read_dir(corpus.join("ok"))
        .unwrap()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "jank"))
        .collect();
    programs.sort();
    assert!(programs.len() >= 300, "{} programs", programs.len());
    let mut differ = Vec::new();
    jank_wasmtime_harness::on_host_stack(|| {
        for path in &programs {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if known.contains(&name) {
                continue;
            }
            let source = SourceFile::new(name.clone(), std::fs::read_to_string(path).unwrap());
            let mut next_id = 0;
            let mut session =
                Session::new().with_compile_time_runtime(Box::new(HarnessMacroRuntime::new()));
            // As `jankwasm run`: a script's top-level values are dropped.
            session.compile_as_script();
            let program = session
                .compile_program(&source, Abi::Extended, &mut || {
                    next_id += 1;
                    next_id
                })
                .unwrap_or_else(|d| panic!("{name}: {d}"));
            let mut runtime = Runtime::new().unwrap();
            runtime.set_gc_policy(GcPolicy::EverySafePoint).unwrap();
            let mut printed = String::new();
            for compiled in program {
                let patch = compiled.patch;
                match runtime.load_patch(&patch.bytes, &patch.symbols_export) {
                    Ok(entries) => {
                        printed.push_str(&runtime.take_output());
                        for entry in entries {
                            if let Err(thrown) = entry.result {
                                printed.push_str(&format!("UNCAUGHT {}", thrown.printed));
                            }
                        }
                    }
                    Err(error) => printed.push_str(&format!("HARNESS ERROR {error}")),
                }
            }
            let expected = std::fs::read_to_string(path.with_extension("out")).unwrap_or_default();
            if printed != expected {
                differ.push(format!(
                    "{name}\n--- clojure\n{expected}--- collected\n{printed}"
                ));
            }
        }
    });
    assert!(
        differ.is_empty(),
        "{} programs differ with a collection after every form:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
