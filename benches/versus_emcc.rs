//! Side by side, one run each (issue 3 item 5 and issue 4 item 5):
//!
//! 1. Emission over the corpus: `jankwasm emit` as a process against
//!    `jankwasm emit --cpp` plus `emcc -O2 -fPIC -sSIDE_MODULE=1 -sWASM_BIGINT`,
//!    wall time and patch size. Goals: at least 100× faster, direct patches no
//!    larger than emcc's.
//! 2. Speed of patched code: recursive fib 25, a reduce over (range 1000000)
//!    with a patch fn, a loop of assoc/update on a map; the direct patch and
//!    the emcc patch of the same source, each loaded into a fresh wasmtime
//!    harness against the same stub, called alternately, the fastest call of
//!    each reported. Goal: the direct patch at least as fast.
//!
//! Run with `cargo bench --bench versus_emcc`; `JANKWASM_BENCH_ONLY=001-,383-`
//! limits the emission part to corpus programs whose names contain those
//! strings. emcc runs one process at a time so each measurement has the
//! machine to itself.

use jank_wasmtime_harness::Runtime;
use jankwasm::lower::{Abi, PatchOptions};
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("versus_emcc");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the bench's work directory");
    dir
}

fn corpus() -> Vec<PathBuf> {
    let dir = manifest_dir().join("tests/corpus/ok");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("reading the corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jank"))
        .collect();
    files.sort();
    if let Ok(only) = std::env::var("JANKWASM_BENCH_ONLY") {
        let wanted: Vec<String> = only.split(',').map(|w| w.trim().to_string()).collect();
        files.retain(|p| {
            wanted
                .iter()
                .any(|w| p.to_string_lossy().contains(w.as_str()))
        });
    }
    files
}

/// Runs a command to completion; its wall time, or why it failed.
fn timed(command: &mut Command) -> Result<Duration, String> {
    let started = Instant::now();
    let output = command.output().map_err(|e| format!("{e}"))?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).to_string());
    }
    Ok(elapsed)
}

fn emcc(cpp: &Path, wasm: &Path) -> Command {
    let mut command = Command::new("emcc");
    command
        .args(["-O2", "-fPIC", "-sSIDE_MODULE=1", "-sWASM_BIGINT", "-I"])
        .arg(manifest_dir().join("runtime-abi"))
        .arg(cpp)
        .arg("-o")
        .arg(wasm);
    command
}

/// One in-process compilation of `program` (read, analyze, lower, validate).
fn compile_in_process(program: &Path) -> Duration {
    let text = std::fs::read_to_string(program).unwrap_or_default();
    let source = SourceFile::new(program.display().to_string(), text);
    let started = Instant::now();
    let patch = Session::new().compile(
        &source,
        &PatchOptions {
            patch_id: 1,
            abi: Abi::Extended,
        },
    );
    let elapsed = started.elapsed();
    std::hint::black_box(patch.map(|p| p.bytes.len()).unwrap_or(0));
    elapsed
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

struct Emission {
    name: String,
    direct: Duration,
    /// The same compilation as a library call in this process (no process start-up, no file I/O).
    in_process: Duration,
    /// `jankwasm --version`: what starting the process costs on this machine.
    startup: Duration,
    via_emcc: Duration,
    direct_bytes: u64,
    emcc_bytes: u64,
}

fn emission(dir: &Path) {
    let jankwasm = env!("CARGO_BIN_EXE_jankwasm");
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for program in corpus() {
        let stem = program.file_stem().unwrap().to_string_lossy().to_string();
        let direct_wasm = dir.join(format!("{stem}.direct.wasm"));
        let cpp = dir.join(format!("{stem}.cpp"));
        let emcc_wasm = dir.join(format!("{stem}.emcc.wasm"));
        let direct = timed(
            Command::new(jankwasm)
                .args(["emit", "--patch-id", "1", "-o"])
                .arg(&direct_wasm)
                .arg(&program),
        );
        let cpp_emit = timed(
            Command::new(jankwasm)
                .args(["emit", "--patch-id", "1", "--cpp"])
                .arg(&cpp)
                .arg(&program),
        );
        let compile = cpp_emit.and_then(|emit| Ok(emit + timed(&mut emcc(&cpp, &emcc_wasm))?));
        let startup = timed(Command::new(jankwasm).arg("--version"));
        match (direct, compile, startup) {
            (Ok(direct), Ok(via_emcc), Ok(startup)) => rows.push(Emission {
                name: stem,
                direct,
                in_process: compile_in_process(&program),
                startup,
                via_emcc,
                direct_bytes: file_size(&direct_wasm),
                emcc_bytes: file_size(&emcc_wasm),
            }),
            (direct, compile, _) => failures.push(format!("{stem}: {direct:?} / {compile:?}")),
        }
    }
    let total = |f: &dyn Fn(&Emission) -> f64| rows.iter().map(f).sum::<f64>();
    let direct_ms = total(&|r| ms(r.direct));
    let emcc_ms = total(&|r| ms(r.via_emcc));
    let direct_bytes = total(&|r| r.direct_bytes as f64);
    let emcc_bytes = total(&|r| r.emcc_bytes as f64);
    let mut speedups: Vec<f64> = rows.iter().map(|r| ms(r.via_emcc) / ms(r.direct)).collect();
    let mut size_ratios: Vec<f64> = rows
        .iter()
        .map(|r| r.direct_bytes as f64 / r.emcc_bytes as f64)
        .collect();
    let mut direct_each: Vec<f64> = rows.iter().map(|r| ms(r.direct)).collect();
    let mut in_process_each: Vec<f64> = rows.iter().map(|r| ms(r.in_process)).collect();
    let mut startup_each: Vec<f64> = rows.iter().map(|r| ms(r.startup)).collect();
    let mut emcc_each: Vec<f64> = rows.iter().map(|r| ms(r.via_emcc)).collect();
    let larger: Vec<&str> = rows
        .iter()
        .filter(|r| r.direct_bytes > r.emcc_bytes)
        .map(|r| r.name.as_str())
        .collect();
    println!(
        "== emission over the corpus ({} programs, one run each)",
        rows.len()
    );
    println!(
        "  jankwasm emit (process)            total {direct_ms:9.1} ms   median {:7.2} ms",
        median(&mut direct_each)
    );
    println!(
        "  jankwasm emit --cpp + emcc -O2     total {emcc_ms:9.1} ms   median {:7.2} ms",
        median(&mut emcc_each)
    );
    println!(
        "  of jankwasm's time: process start-up (jankwasm --version) median {:.2} ms; \
         the compilation as a library call median {:.3} ms",
        median(&mut startup_each),
        median(&mut in_process_each)
    );
    println!(
        "  speedup: {:.0}x over the total, median per program {:.0}x, slowest program {:.0}x (goal >= 100x)",
        emcc_ms / direct_ms,
        median(&mut speedups.clone()),
        speedups.iter().copied().fold(f64::INFINITY, f64::min),
    );
    speedups.clear();
    println!(
        "  size: direct {direct_bytes:.0} bytes, emcc -O2 {emcc_bytes:.0} bytes, direct/emcc {:.2} over the total, median {:.2}",
        direct_bytes / emcc_bytes,
        median(&mut size_ratios)
    );
    println!(
        "  direct larger than emcc -O2 on {} of {} programs{}",
        larger.len(),
        rows.len(),
        if larger.is_empty() {
            String::new()
        } else {
            format!(": {}", larger.join(" "))
        }
    );
    for failure in &failures {
        println!("  FAILED {failure}");
    }
}

const RUNTIME_PROGRAMS: [(&str, &str); 3] = [
    (
        "fib 25 (recursive)",
        "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
         (defn bench [] (fib 25))",
    ),
    (
        "reduce over (range 1000000)",
        "(defn bench [] (reduce (fn [acc x] (if (odd? x) (+ acc x) (- acc 1))) 0 (range 1000000)))",
    ),
    (
        "loop of assoc/update on a map (200000 steps)",
        "(defn bench []
           (loop [i 0 m {}]
             (if (< i 200000)
               (recur (inc i) (-> m (assoc (rem i 16) i) (update :total (fnil + 0) i)))
               [(count m) (:total m) (get m 7)])))",
    ),
];

/// Calls of `user/bench` timed per patch; the fastest is reported, so a
/// moment of contention on a shared machine does not decide the comparison.
const RUNTIME_SAMPLES: usize = 5;

/// A patch loaded into its own fresh harness, ready to have `user/bench` called.
fn loaded(wasm: &[u8], export: &str) -> Result<Runtime, String> {
    let mut runtime = Runtime::new().map_err(|e| e.to_string())?;
    let entries = runtime
        .load_patch(wasm, export)
        .map_err(|e| e.to_string())?;
    if let Some(thrown) = entries.iter().find_map(|e| e.result.as_ref().err()) {
        return Err(format!("loading threw {}", thrown.printed));
    }
    Ok(runtime)
}

fn time_call(runtime: &mut Runtime) -> Result<(Duration, String), String> {
    let started = Instant::now();
    let value = runtime
        .call_var("user", "bench", &[])
        .map_err(|e| e.to_string())?;
    Ok((started.elapsed(), value.printed))
}

/// The fastest of `RUNTIME_SAMPLES` calls on each side, the two sides
/// alternating (after one untimed call each, which grows the stub's memory),
/// and each side's value.
fn race(direct: &mut Runtime, emcc: &mut Runtime) -> Result<[(Duration, String); 2], String> {
    let mut best = [
        (Duration::MAX, String::new()),
        (Duration::MAX, String::new()),
    ];
    for sample in 0..=RUNTIME_SAMPLES {
        for (side, runtime) in [&mut *direct, &mut *emcc].into_iter().enumerate() {
            let (elapsed, value) = time_call(runtime)?;
            if sample > 0 && elapsed < best[side].0 {
                best[side] = (elapsed, value);
            }
        }
    }
    Ok(best)
}

fn runtime_speed(dir: &Path) {
    println!(
        "== speed of patched code (wasmtime harness, same stub, fastest of {RUNTIME_SAMPLES} alternating calls)"
    );
    for (index, (label, text)) in RUNTIME_PROGRAMS.iter().enumerate() {
        let source = SourceFile::new(format!("bench{index}.jank"), *text);
        let options = PatchOptions {
            patch_id: 1,
            abi: Abi::Extended,
        };
        let direct = Session::new()
            .compile(&source, &options)
            .expect("the runtime benchmark compiles directly");
        let cpp = Session::new()
            .compile_cpp(&source, &options)
            .expect("the runtime benchmark compiles to C++");
        let cpp_path = dir.join(format!("bench{index}.cpp"));
        let wasm_path = dir.join(format!("bench{index}.wasm"));
        std::fs::write(&cpp_path, &cpp.source).expect("writing the C++");
        if let Err(error) = timed(&mut emcc(&cpp_path, &wasm_path)) {
            println!("  {label}: emcc failed: {error}");
            continue;
        }
        let emcc_wasm = std::fs::read(&wasm_path).expect("reading emcc's patch");
        let outcome = loaded(&direct.bytes, &direct.symbols_export).and_then(|mut direct| {
            let mut emcc = loaded(&emcc_wasm, &cpp.symbols_export)?;
            race(&mut direct, &mut emcc)
        });
        match outcome {
            Ok([(direct_time, direct_value), (emcc_time, emcc_value)]) => {
                let agree = if direct_value == emcc_value {
                    String::new()
                } else {
                    format!("  VALUES DIFFER: {direct_value} vs {emcc_value}")
                };
                println!(
                    "  {label:46} direct {:8.1} ms   emcc -O2 {:8.1} ms   direct/emcc {:.2}  = {direct_value}{agree}",
                    ms(direct_time),
                    ms(emcc_time),
                    direct_time.as_secs_f64() / emcc_time.as_secs_f64()
                );
            }
            Err(error) => println!("  {label}: FAILED {error}"),
        }
    }
}

fn main() {
    if Command::new("emcc").arg("--version").output().is_err() {
        println!("skipping: emcc not installed (.ci/run installs it)");
        return;
    }
    let dir = work_dir();
    runtime_speed(&dir);
    emission(&dir);
}
