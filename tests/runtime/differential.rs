//! The differential test: every program of tests/corpus/ok lowered both
//! ways — directly to wasm, and to C++ compiled by Emscripten's emcc
//! (`-O2 -fPIC -sSIDE_MODULE=1 -sWASM_BIGINT`, emcc's driver run by
//! `emcc_forkserver.py`) — and loaded into the wasmtime
//! harness against the same stub. The two patches must bind and evaluate the
//! same values and print the same output. Nothing is cached between runs:
//! every C++ file is emitted and compiled afresh in a directory this test
//! empties first.

use jank_wasmtime_harness::Runtime;
use jankwasm::lower::Abi;
use jankwasm::macro_runtime::HarnessMacroRuntime;
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// emcc processes at a time: the machine the tests run on has two cores.
const EMCC_JOBS: usize = 2;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus_programs() -> Vec<PathBuf> {
    let dir = manifest_dir().join("tests/corpus/ok");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jank"))
        .collect();
    files.sort();
    // For iterating on a few programs: JANKWASM_DIFFERENTIAL_ONLY=421-,422- (substrings of names).
    if let Ok(only) = std::env::var("JANKWASM_DIFFERENTIAL_ONLY") {
        let wanted: Vec<&str> = only.split(',').map(str::trim).collect();
        files.retain(|p| {
            let name = p.to_string_lossy();
            wanted.iter().any(|w| name.contains(w))
        });
    }
    files
}

fn emcc_available() -> bool {
    let found = Command::new("emcc").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have emcc (.ci/run installs emscripten)"
        );
        eprintln!("skipping: emcc not installed (.ci/run installs it)");
    }
    found
}

/// Pointer-identity hashes (`0x1f40` and `@1f40` in `#object[... 0x1f40
/// "...@1f40"]`) depend on where each patch's allocations happened to land,
/// not on its meaning.
fn without_identities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["0x", "@"]
        .iter()
        .filter_map(|m| rest.find(m).map(|i| i + m.len()))
        .min()
    {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let digits = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        if digits > 0 {
            out.push('?');
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// Loads a patch into a fresh runtime and describes everything observable:
/// each registry entry's value or exception, then what the program printed.
fn observe(patches: &[(Vec<u8>, String)]) -> String {
    let mut runtime = match Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return format!("HARNESS ERROR {error}"),
    };
    let mut described = String::new();
    for (wasm, symbols_export) in patches {
        match runtime.load_patch(wasm, symbols_export) {
            Ok(entries) => {
                for entry in entries {
                    let result = match entry.result {
                        Ok(value) => value.printed,
                        Err(thrown) => format!("THREW {}", thrown.printed),
                    };
                    described.push_str(&format!(
                        "[{} {}] {result}\n",
                        entry.signature, entry.qualified_name
                    ));
                }
            }
            Err(error) => described.push_str(&format!("LOAD ERROR {error}\n")),
        }
    }
    described.push_str("--- printed\n");
    described.push_str(&runtime.take_output());
    without_identities(&described)
}

/// Emscripten's emcc driver, run for each patch by a forkserver
/// (`emcc_forkserver.py`) that imports it once: `emcc ARGS` exactly, without
/// Python's start-up and imports for every patch, which were two thirds of a
/// small patch's compile.
struct Emcc {
    server: std::process::Child,
    jobs: std::process::ChildStdin,
    statuses: std::io::BufReader<std::process::ChildStdout>,
}

impl Emcc {
    fn start() -> Emcc {
        let mut server = Command::new("python3")
            .arg(manifest_dir().join("tests/runtime/emcc_forkserver.py"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("starting the emcc forkserver (python3)");
        let jobs = server.stdin.take().expect("piped stdin");
        let statuses = std::io::BufReader::new(server.stdout.take().expect("piped stdout"));
        Emcc {
            server,
            jobs,
            statuses,
        }
    }

    /// Compiles one C++ patch; the wasm bytes or emcc's complaint.
    fn compile(&mut self, cpp: &Path, wasm: &Path) -> Result<Vec<u8>, String> {
        use std::io::{BufRead, Write};
        let log = wasm.with_extension("log");
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let args = [
            "-O2".to_string(),
            "-fPIC".into(),
            "-sSIDE_MODULE=1".into(),
            "-sWASM_BIGINT".into(),
            "-I".into(),
            path(&manifest_dir().join("runtime-abi")),
            path(cpp),
            "-o".into(),
            path(wasm),
        ];
        // The log path, then the arguments: NUL-separated, one line.
        let job = std::iter::once(path(&log)).chain(args).collect::<Vec<_>>();
        writeln!(self.jobs, "{}", job.join("\0"))
            .map_err(|e| format!("sending emcc a job: {e}"))?;
        let mut status = String::new();
        self.statuses
            .read_line(&mut status)
            .map_err(|e| format!("reading emcc's status: {e}"))?;
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        match status.trim() {
            "0" => std::fs::read(wasm).map_err(|e| format!("reading {}: {e}", wasm.display())),
            "" => Err(format!("the emcc forkserver stopped:\n{output}")),
            code => Err(format!("emcc failed (status {code}):\n{output}")),
        }
    }
}

impl Drop for Emcc {
    fn drop(&mut self) {
        // Between compiles no job is running: stopping it loses nothing.
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The verdict on one program, or None when both paths agree.
fn compare(program: &Path, work: &Path, emcc: &mut Emcc) -> Option<String> {
    let name = program.file_name()?.to_string_lossy().to_string();
    let text = match std::fs::read_to_string(program) {
        Ok(text) => text,
        Err(error) => return Some(format!("{name}: reading it: {error}")),
    };
    let source = SourceFile::new(name.clone(), text);
    // Macros run in a compile-time runtime of the direct backend's for both
    // paths, as `jankwasm emit --cpp` runs them; a program that requires a
    // namespace is a patch per file on both paths, loaded in order. Programs
    // run as scripts (`jankwasm run`): top-level values are dropped.
    let session = || {
        let mut session =
            Session::new().with_compile_time_runtime(Box::new(HarnessMacroRuntime::new()));
        session.compile_as_script();
        session
    };
    let ids = || {
        let mut next = 0;
        move || {
            next += 1;
            next
        }
    };
    let direct = match session().compile_program(&source, Abi::Extended, &mut ids()) {
        Ok(program) => program,
        Err(d) => return Some(format!("{name}: the direct backend rejects it: {d}")),
    };
    let cpp = match session().compile_program_cpp(&source, Abi::Extended, &mut ids()) {
        Ok(program) => program,
        Err(d) => return Some(format!("{name}: the C++ path rejects it: {d}")),
    };
    if direct.len() != cpp.len() {
        return Some(format!(
            "{name}: {} direct patches but {} C++ ones",
            direct.len(),
            cpp.len()
        ));
    }
    let mut direct_patches = Vec::new();
    let mut cpp_patches = Vec::new();
    for (index, (direct, cpp)) in direct.iter().zip(&cpp).enumerate() {
        if direct.patch.entries != cpp.patch.entries {
            return Some(format!(
                "{name}: registry entries differ\n--- direct\n{:?}\n--- C++\n{:?}",
                direct.patch.entries, cpp.patch.entries
            ));
        }
        let stem = format!("{}-{index}", name.trim_end_matches(".jank"));
        let cpp_path = work.join(format!("{stem}.cpp"));
        let wasm_path = work.join(format!("{stem}.wasm"));
        if let Err(error) = std::fs::write(&cpp_path, &cpp.patch.source) {
            return Some(format!("{name}: writing {}: {error}", cpp_path.display()));
        }
        match emcc.compile(&cpp_path, &wasm_path) {
            Ok(bytes) => cpp_patches.push((bytes, cpp.patch.symbols_export.clone())),
            Err(error) => return Some(format!("{name}: {error}")),
        }
        direct_patches.push((
            direct.patch.bytes.clone(),
            direct.patch.symbols_export.clone(),
        ));
    }
    let cpp_path = work.join(format!("{}-*.cpp", name.trim_end_matches(".jank")));
    let direct_seen = observe(&direct_patches);
    let cpp_seen = observe(&cpp_patches);
    (direct_seen != cpp_seen).then(|| {
        format!(
            "{name}: the patches disagree\n=== direct\n{direct_seen}=== C++ via emcc ({})\n{cpp_seen}",
            cpp_path.display()
        )
    })
}

/// A directory for a test's C++ and wasm files, emptied first: a file left
/// by an earlier run must never stand in for this one's.
fn empty_work_dir(name: &str) -> PathBuf {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    work
}

#[test]
fn direct_and_emcc_patches_agree_on_the_whole_corpus() {
    if !emcc_available() {
        return;
    }
    let work = empty_work_dir("differential");

    let programs = corpus_programs();
    assert!(!programs.is_empty(), "no corpus programs found");
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..EMCC_JOBS {
            let worker = || {
                let mut emcc = Emcc::start();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(program) = programs.get(index) else {
                        break;
                    };
                    if let Some(failure) = compare(program, &work, &mut emcc) {
                        failures
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(failure);
                    }
                }
            };
            std::thread::Builder::new()
                .stack_size(jank_wasmtime_harness::HOST_STACK_BYTES)
                .spawn_scoped(scope, worker)
                .expect("spawning a differential worker");
        }
    });
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    failures.sort();
    println!(
        "differential: {} programs, {} agree",
        programs.len(),
        programs.len() - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} programs differ between the direct and the C++/emcc patch:\n\n{}",
        failures.len(),
        programs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn identity_hashes_are_the_only_thing_normalised() {
    assert_eq!(
        without_identities("#object[user$f 0x1f40 \"user$f@1f40\"] 0x 0xZ a@b"),
        "#object[user$f 0x? \"user$f@?\"] 0x 0xZ a@?"
    );
}

#[test]
fn the_forkserver_builds_what_emcc_builds_and_reports_its_errors() {
    if !emcc_available() {
        return;
    }
    let work = empty_work_dir("differential-forkserver");
    let source = SourceFile::new("f.jank", "(defn f [x] (str x 1)) (f 2)");
    let options = jankwasm::lower::PatchOptions {
        patch_id: 7,
        abi: Abi::Extended,
    };
    let cpp = Session::new().compile_cpp(&source, &options).unwrap();
    let cpp_path = work.join("f.cpp");
    std::fs::write(&cpp_path, &cpp.source).unwrap();
    let mut emcc = Emcc::start();
    let served = emcc.compile(&cpp_path, &work.join("served.wasm")).unwrap();
    let direct = Command::new("emcc")
        .args(["-O2", "-fPIC", "-sSIDE_MODULE=1", "-sWASM_BIGINT", "-I"])
        .arg(manifest_dir().join("runtime-abi"))
        .arg(&cpp_path)
        .arg("-o")
        .arg(work.join("direct.wasm"))
        .status()
        .unwrap();
    assert!(direct.success());
    assert!(served == std::fs::read(work.join("direct.wasm")).unwrap());

    std::fs::write(work.join("bad.cpp"), "int f( {").unwrap();
    let error = emcc
        .compile(&work.join("bad.cpp"), &work.join("bad.wasm"))
        .unwrap_err();
    assert!(
        error.starts_with("emcc failed (status 1):") && error.contains("bad.cpp:1:"),
        "{error}"
    );
    // The forkserver goes on after a failed job.
    assert_eq!(
        emcc.compile(&cpp_path, &work.join("again.wasm")).unwrap(),
        served
    );
}
