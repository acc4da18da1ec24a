//! The corpus under tests/corpus: programs jankwasm must run exactly as
//! Clojure on the JVM does (their `.out` files are what the JVM printed,
//! re-checked against the JVM by `jvm_oracle_agrees_with_the_golden_outputs`),
//! and programs it must reject at the right line:col.

use jank_wasmtime_harness::{GcPolicy, Runtime};
use jankwasm::diag::Failure;
use jankwasm::lower::{Abi, PatchOptions};
use jankwasm::macro_runtime::HarnessMacroRuntime;
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use std::path::{Path, PathBuf};

/// A session that runs user macros, as `jankwasm run` does.
fn macro_session() -> Session {
    Session::new().with_compile_time_runtime(Box::new(HarnessMacroRuntime::new()))
}

fn corpus_dir(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(part)
}

fn programs(part: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir(part))
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "jank"));
    files.sort();
    files
}

/// Programs jankwasm does not run correctly yet: the test fails if one of
/// them starts passing (remove it from the list) or another starts failing.
fn known_failures() -> Vec<String> {
    std::fs::read_to_string(corpus_dir("known-failures.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// What `jankwasm run` prints for a program: its stdout, then the uncaught
/// exception if any; the runtime's collector runs as `policy` says.
fn run_program(path: &Path, policy: GcPolicy) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let source = SourceFile::new(
        path.file_name().unwrap().to_string_lossy().to_string(),
        text,
    );
    let mut next_id = 0;
    // As `clojure FILE` (the oracle) and `jankwasm run` run it: top-level
    // values are dropped, never printed.
    let mut session = macro_session();
    session.compile_as_script();
    let program = match session.compile_program(&source, Abi::Extended, &mut || {
        next_id += 1;
        next_id
    }) {
        Ok(program) => program,
        Err(diagnostic) => return format!("COMPILE ERROR {diagnostic}"),
    };
    let mut runtime = Runtime::new().unwrap();
    runtime.set_gc_policy(policy).unwrap();
    let mut printed = String::new();
    for compiled in program {
        let patch = compiled.patch;
        let outcome = runtime.load_patch(&patch.bytes, &patch.symbols_export);
        printed.push_str(&runtime.take_output());
        match outcome {
            Ok(entries) => {
                for entry in entries {
                    if let Err(thrown) = entry.result {
                        printed.push_str(&format!("UNCAUGHT {}", thrown.printed));
                    }
                }
            }
            Err(error) => printed.push_str(&format!("HARNESS ERROR {error}")),
        }
    }
    printed
}

#[test]
fn programs_print_what_clojure_prints() {
    check_programs(GcPolicy::Paced);
}

/// The collector's stress mode collects at every safe point, inside calls
/// too, and turns each collected object into a symbol instead of freeing it:
/// a reference it missed changes the program's output.
#[test]
fn programs_print_the_same_when_every_safe_point_collects() {
    check_programs(GcPolicy::Stress);
}

fn check_programs(policy: GcPolicy) {
    let files = programs("ok");
    assert!(
        files.len() >= 300,
        "the corpus has {} programs",
        files.len()
    );
    let known = known_failures();
    let mut unexpected_failures = Vec::new();
    let mut unexpected_passes = Vec::new();
    let mut passed = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let expected = std::fs::read_to_string(path.with_extension("out")).unwrap_or_default();
        let actual = jank_wasmtime_harness::on_host_stack(|| run_program(path, policy));
        let ok = actual == expected;
        match (ok, known.contains(&name)) {
            (true, false) => passed += 1,
            (true, true) => unexpected_passes.push(name),
            (false, true) => {}
            (false, false) => unexpected_failures.push(format!(
                "{name}\n--- clojure\n{expected}--- jankwasm\n{actual}"
            )),
        }
    }
    println!(
        "corpus ({policy:?}): {passed} passed, {} known failures",
        known.len()
    );
    assert!(
        unexpected_failures.is_empty(),
        "{} programs differ:\n{}",
        unexpected_failures.len(),
        unexpected_failures.join("\n")
    );
    assert!(
        unexpected_passes.is_empty(),
        "now passing, remove from known-failures.txt: {unexpected_passes:?}"
    );
}

#[test]
fn rejected_programs_fail_at_the_right_position() {
    let files = programs("rejected");
    assert!(
        files.len() >= 100,
        "the corpus has {} rejected programs",
        files.len()
    );
    let mut wrong = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let header = |key: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(&format!(";; {key}:"))
                    .map(|v| v.trim().to_string())
            })
        };
        let (Some(at), Some(contains)) = (header("error-at"), header("error-contains")) else {
            wrong.push(format!(
                "{}: missing error-at/error-contains header",
                path.display()
            ));
            continue;
        };
        let source = SourceFile::new("rejected.jank", text.clone());
        match macro_session().compile(
            &source,
            &PatchOptions {
                patch_id: 1,
                abi: Abi::Extended,
            },
        ) {
            Ok(_) => wrong.push(format!(
                "{}: compiled, expected an error at {at}",
                path.display()
            )),
            Err(Failure::Internal(internal)) => {
                wrong.push(format!("{}: {internal}", path.display()))
            }
            Err(Failure::Diagnostic(diagnostic)) => {
                let position = diagnostic.pos.to_string();
                if position != at || !diagnostic.message.to_lowercase().contains(&contains) {
                    wrong.push(format!(
                        "{}: expected {at} containing `{contains}`, got {position}: {}",
                        path.display(),
                        diagnostic.message
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} rejected programs are wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Runs the JVM oracle with `mode` over the corpus directory `dir` and
/// asserts it passed, saying what the JVM disagrees with (skipped where
/// Clojure is not installed, outside CI).
fn assert_jvm_oracle_passes(mode: &str, dir: &str, what: &str) {
    let clojure = Path::new("/usr/bin/clojure");
    if !clojure.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Clojure (.ci/run installs it)"
        );
        eprintln!("skipping: Clojure is not installed (.ci/run installs it)");
        return;
    }
    let output = std::process::Command::new(clojure)
        .arg(corpus_dir("oracle.clj"))
        .arg(mode)
        .arg(corpus_dir(dir))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the JVM disagrees with {what}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn jvm_oracle_agrees_with_the_golden_outputs() {
    assert_jvm_oracle_passes("--check", "ok", "the .out files");
}

/// A rejected program is invalid Clojure too, unless its name says
/// jankwasm rejects it by design (then the JVM must load it).
#[test]
fn jvm_oracle_agrees_with_the_rejections() {
    assert_jvm_oracle_passes("--rejected", "rejected", "the rejected programs");
}
