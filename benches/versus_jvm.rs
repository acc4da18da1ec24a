//! jankwasm against Clojure 1.11 on the JVM at real data sizes (issue 11).
//!
//! Each case is one program, run as a whole process by `jankwasm run` and by
//! Debian's `clojure` at size N and at size 0; the figure is the marginal
//! time (N minus 0, so start-up and compilation cancel out) and the peak
//! resident memory at size N. Both must print the same output, so a wrong
//! answer is a failure, not a figure (a JVM that fails is reported: Debian's
//! `clojure` runs with a 1 MB stack, which the depth-10,000 recursion
//! overflows). Goals (issue 11), as marginal ratios
//! jankwasm/JVM: the lazy pipeline ≤ 3× in ≤ 256 MB, reduce ≤ 3×, fib ≤ 2×,
//! map updates ≤ 3×, and the depth-10,000 recursion answering at all.
//!
//! Run with `cargo bench --bench versus_jvm`. `JANKWASM_BENCH_SCALE=0.1`
//! scales every N down (a quick look); `JANKWASM_BENCH_ONLY=fib,reduce` runs
//! the cases whose names contain those strings; each process runs
//! `JANKWASM_BENCH_RUNS` times (3), the fastest counting; `JANKWASM_BENCH_BIN`
//! names the `jankwasm` to run instead of the one cargo built with the bench
//! (a release build, say, under `cargo test --bench`). Peak RSS is read through GNU
//! time (`/usr/bin/time -f %M`); without it the column says `-`. Without
//! `clojure` the JVM columns are skipped with a note.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A program in the subset both jank and Clojure read alike; `{n}` is the
/// size.
struct Case {
    name: &'static str,
    source: &'static str,
    /// The size.
    n: u64,
    /// Whether the size scales (a recursion depth is the point itself).
    scales: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "lazy-pipeline",
        source: "(println (count (filter even? (map inc (range {n})))))",
        n: 20_000_000,
        scales: true,
    },
    Case {
        name: "reduce-range",
        source: "(println (reduce + (range {n})))",
        n: 30_000_000,
        scales: true,
    },
    // Not one of the goals: the same reduce through a fn of the
    // program's own, which the runtime's unboxed `+` path does not take.
    Case {
        name: "reduce-fn-range",
        source: "(println (reduce (fn [a x] (+ a x)) 0 (range {n})))",
        n: 30_000_000,
        scales: true,
    },
    Case {
        name: "fib",
        source: "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n\
                 (println (fib {n}))",
        n: 30,
        scales: false,
    },
    Case {
        name: "map-updates",
        source: "(println (count (loop [m {} i 0]\n\
                   (if (< i {n}) (recur (update m (rem i 1000) (fnil inc 0)) (inc i)) m))))",
        n: 1_000_000,
        scales: true,
    },
    Case {
        name: "deep-recursion",
        source: "(defn deep [n] (if (zero? n) 0 (inc (deep (dec n)))))\n\
                 (println (deep {n}))",
        n: 10_000,
        scales: false,
    },
];

/// One finished process: wall time, peak RSS in kB when known, stdout.
struct Sample {
    wall: Duration,
    peak_rss_kb: Option<u64>,
    stdout: String,
}

fn has_gnu_time() -> bool {
    Command::new("/usr/bin/time")
        .args(["-f", "%M", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn has_clojure() -> bool {
    Command::new("clojure")
        .args(["-e", "nil"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `program args… file` to completion, under GNU time when there is
/// one (it writes the peak RSS as the last line of stderr).
fn sample(program: &Path, args: &[&str], file: &Path, gnu_time: bool) -> Result<Sample, String> {
    let mut command = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%M"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    command.args(args).arg(file);
    let started = Instant::now();
    let output = command.output().map_err(|e| format!("{e}"))?;
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let first_lines: Vec<&str> = stderr.lines().take(4).collect();
        return Err(first_lines.join(" | "));
    }
    let peak_rss_kb = if gnu_time {
        stderr.lines().last().and_then(|l| l.trim().parse().ok())
    } else {
        None
    };
    Ok(Sample {
        wall,
        peak_rss_kb,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    })
}

fn write_program(dir: &Path, case: &Case, n: u64, extension: &str) -> PathBuf {
    let path = dir.join(format!("{}-{n}.{extension}", case.name));
    std::fs::write(&path, case.source.replace("{n}", &n.to_string()))
        .expect("writing a bench program");
    path
}

/// How every process is run: where its program is written, whether GNU
/// time reads its peak RSS, how many times it runs.
struct Settings {
    dir: PathBuf,
    gnu_time: bool,
    runs: usize,
}

/// The marginal sample of one engine: (time at N minus time at 0, peak RSS
/// at N, output at N).
fn marginal(
    program: &Path,
    args: &[&str],
    extension: &str,
    case: &Case,
    n: u64,
    settings: &Settings,
) -> Result<(Duration, Option<u64>, String), String> {
    let Settings {
        dir,
        gnu_time,
        runs,
    } = settings;
    let (dir, gnu_time, runs) = (dir.as_path(), *gnu_time, *runs);
    let empty = fastest(runs, || {
        sample(
            program,
            args,
            &write_program(dir, case, 0, extension),
            gnu_time,
        )
    })?;
    let full = fastest(runs, || {
        sample(
            program,
            args,
            &write_program(dir, case, n, extension),
            gnu_time,
        )
    })?;
    Ok((
        full.wall.saturating_sub(empty.wall),
        full.peak_rss_kb,
        full.stdout,
    ))
}

/// The fastest of `runs` samples: a busy machine only ever adds time.
fn fastest(runs: usize, mut run: impl FnMut() -> Result<Sample, String>) -> Result<Sample, String> {
    let mut best = run()?;
    for _ in 1..runs {
        let next = run()?;
        if next.wall < best.wall {
            best = next;
        }
    }
    Ok(best)
}

fn rss(kb: Option<u64>) -> String {
    kb.map_or("-".into(), |kb| format!("{} MB", kb / 1024))
}

fn main() {
    let scale: f64 = std::env::var("JANKWASM_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let runs: usize = std::env::var("JANKWASM_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let only: Vec<String> = std::env::var("JANKWASM_BENCH_ONLY")
        .map(|s| s.split(',').map(|w| w.trim().to_string()).collect())
        .unwrap_or_default();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("versus_jvm");
    std::fs::create_dir_all(&dir).expect("creating the bench's work directory");
    let jankwasm = std::env::var_os("JANKWASM_BENCH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_jankwasm")),
        PathBuf::from,
    );
    let clojure = PathBuf::from("clojure");
    let gnu_time = has_gnu_time();
    let jvm = has_clojure();
    if !jvm {
        println!("note: no `clojure` on PATH; JVM columns skipped");
    }
    println!(
        "{:<16} {:>10} {:>12} {:>10} {:>12} {:>10} {:>7}",
        "case", "N", "jankwasm", "peak RSS", "JVM", "peak RSS", "ratio"
    );
    let settings = Settings {
        dir,
        gnu_time,
        runs,
    };
    let mut failed = false;
    for case in CASES {
        if !only.is_empty() && !only.iter().any(|w| case.name.contains(w.as_str())) {
            continue;
        }
        let n = if case.scales {
            ((case.n as f64 * scale) as u64).max(1)
        } else {
            case.n
        };
        let ours = marginal(&jankwasm, &["run"], "jank", case, n, &settings);
        let theirs = jvm.then(|| marginal(&clojure, &[], "clj", case, n, &settings));
        let (ours_time, ours_rss) = match &ours {
            Ok((time, kb, _)) => (format!("{:.2} s", time.as_secs_f64()), rss(*kb)),
            Err(_) => ("failed".into(), "-".into()),
        };
        let (jvm_time, jvm_rss) = match &theirs {
            Some(Ok((time, kb, _))) => (format!("{:.2} s", time.as_secs_f64()), rss(*kb)),
            Some(Err(_)) => ("failed".into(), "-".into()),
            None => ("-".into(), "-".into()),
        };
        let ratio = match (&ours, &theirs) {
            (Ok((a, _, _)), Some(Ok((b, _, _)))) if !b.is_zero() => {
                format!("{:.1}x", a.as_secs_f64() / b.as_secs_f64())
            }
            _ => "-".into(),
        };
        println!(
            "{:<16} {:>10} {:>12} {:>10} {:>12} {:>10} {:>7}",
            case.name, n, ours_time, ours_rss, jvm_time, jvm_rss, ratio
        );
        if let Err(e) = &ours {
            println!("  jankwasm: {e}");
            failed = true;
        }
        // Not the bench's failure: the JVM's default 1 MB thread stack stops
        // the depth-10,000 recursion near 4,000.
        if let Some(Err(e)) = &theirs {
            println!("  JVM: {e}");
        }
        if let (Ok((_, _, a)), Some(Ok((_, _, b)))) = (&ours, &theirs) {
            if a != b {
                println!("  outputs differ: jankwasm {a:?}, JVM {b:?}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
