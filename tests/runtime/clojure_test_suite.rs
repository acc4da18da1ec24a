//! jank's clojure-test-suite (jank-lang/clojure-test-suite) through
//! `jankwasm test`: every namespace jank itself runs
//! (tests/clojure_test_suite/JANK_ENABLED.txt), counted as passing when it
//! makes at least one assertion, with 0 failures, 0 errors and no `SKIP -`
//! line. The suite's files are read from `$CLOJURE_TEST_SUITE` or
//! `../shared/clojure-test-suite` beside the repository; no file of it is
//! edited (jankwasm ships its own `clojure.core-test.portability`).
//!
//! `scripts/clojure-test-suite` prints each namespace's outcome and the count.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The count measured when it was last raised; the test fails below it.
const PASSING_AT_LEAST: usize = 180;

/// A namespace still running after this long is stopped and fails: a guard
/// against a test that never ends, far above any namespace's run time.
const NAMESPACE_LIMIT: Duration = Duration::from_secs(600);

fn suite_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CLOJURE_TEST_SUITE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/clojure-test-suite"),
    };
    dir.join("test/clojure/core_test").is_dir().then_some(dir)
}

/// Whether `output` (stdout and stderr of `jankwasm test`) is a pass.
fn passes(succeeded: bool, output: &str) -> bool {
    let assertions = output.lines().find_map(|line| {
        line.strip_prefix("Ran ")?
            .split_once(" tests containing ")?
            .1
            .strip_suffix(" assertions.")?
            .parse::<u64>()
            .ok()
    });
    succeeded
        && assertions.is_some_and(|count| count > 0)
        && output.lines().any(|line| line == "0 failures, 0 errors.")
        && !output.lines().any(|line| line.starts_with("SKIP -"))
}

/// Runs `jankwasm test` on `namespace`: whether it passed, and why not.
fn run_namespace(suite: &Path, namespace: &str) -> Result<(), String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jankwasm"))
        .arg("test")
        .arg("--source-path")
        .arg(suite.join("test"))
        .arg(namespace)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start jankwasm: {error}"))?;
    let started = Instant::now();
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if started.elapsed() > NAMESPACE_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {NAMESPACE_LIMIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if passes(output.status.success(), &text) {
        return Ok(());
    }
    let reason = text
        .lines()
        .find(|line| {
            line.contains("error:")
                || line.starts_with("FAIL")
                || line.starts_with("ERROR")
                || line.starts_with("SKIP -")
        })
        .or_else(|| text.lines().find(|line| line.starts_with("Ran ")))
        .unwrap_or("no report");
    Err(reason.to_string())
}

#[test]
fn the_clojure_test_suite_namespaces_jank_runs_pass() {
    let Some(suite) = suite_dir() else {
        let how = "get it with `git clone https://github.com/jank-lang/clojure-test-suite` \
                   (tests/clojure_test_suite/README.md names the commit) and set \
                   CLOJURE_TEST_SUITE to it, or put it at ../shared/clojure-test-suite";
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have the clojure-test-suite: {how}"
        );
        eprintln!("skipping: the clojure-test-suite is absent; {how}");
        return;
    };
    let namespaces: Vec<&str> = include_str!("../clojure_test_suite/JANK_ENABLED.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(namespace) = namespaces.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = run_namespace(&suite, namespace);
                    outcomes.lock().unwrap().push((*namespace, outcome));
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by_key(|(namespace, _)| *namespace);
    let failing: Vec<String> = outcomes
        .iter()
        .filter_map(|(namespace, outcome)| {
            outcome
                .as_ref()
                .err()
                .map(|reason| format!("{namespace}: {reason}"))
        })
        .collect();
    let passing = outcomes.len() - failing.len();
    eprintln!("{}", failing.join("\n"));
    eprintln!(
        "clojure-test-suite: {passing} of {} namespaces pass ({:.1} %)",
        outcomes.len(),
        100.0 * passing as f64 / outcomes.len() as f64
    );
    assert!(
        passing >= PASSING_AT_LEAST,
        "{passing} namespaces pass, fewer than {PASSING_AT_LEAST}"
    );
}
