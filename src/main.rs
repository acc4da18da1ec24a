//! The `jankwasm` command line: `emit` a patch, `run` a file and `test`
//! namespaces (feature `harness`), `serve` a project (feature `serve`).

use clap::{Parser, Subcommand, ValueEnum};
use jankwasm::lower::Abi;
#[cfg(feature = "harness")]
use jankwasm::macro_runtime::HarnessMacroRuntime;
#[cfg(feature = "harness")]
use jankwasm::session::CompiledSource;
use jankwasm::session::{declared_ns, root_of, Session};
use jankwasm::source::SourceFile;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "jankwasm",
    version,
    about = "jank source to Emscripten SIDE_MODULE WebAssembly patches"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum AbiArg {
    /// Every helper of runtime-abi/jank_patch_abi.h.
    Extended,
    /// Only the helpers jank's runtime exports today.
    Seed,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a file (or stdin, `-`) into one patch, plus one per namespace
    /// it requires that is loaded from the source paths.
    Emit {
        /// The patch id: the export is `jank_patch_symbols_<id>`. Required
        /// namespaces' patches take it and the ids after it, in load order,
        /// and are written beside the output; the file's own patch is last.
        #[arg(long)]
        patch_id: u64,
        /// The namespace the forms start in (default `user`; an `ns` form changes it).
        #[arg(long)]
        ns: Option<String>,
        /// Where to write the patch (default `patch_<id>.wasm`).
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "extended")]
        abi: AbiArg,
        /// Write the C++ emission of the same patch here instead (for emcc -fPIC -sSIDE_MODULE=1).
        #[arg(long, value_name = "OUT.cpp")]
        cpp: Option<PathBuf>,
        /// Include the patch's frame table (`jank.frames`, as the dev server's
        /// patches have it), so a host names the jank fns of a throw or a trap.
        #[arg(long)]
        frames: bool,
        #[command(flatten)]
        paths: SourcePathArgs,
        file: PathBuf,
    },
    /// Evaluate a file's top-level forms in order, printing what the program prints.
    #[cfg(feature = "harness")]
    Run {
        #[command(flatten)]
        paths: SourcePathArgs,
        file: PathBuf,
    },
    /// Load namespaces and run their clojure.test tests; exit 1 on any failure or error.
    #[cfg(feature = "harness")]
    Test {
        #[command(flatten)]
        paths: SourcePathArgs,
        /// The namespaces to test (e.g. app.core-test).
        #[arg(required = true)]
        namespaces: Vec<String>,
    },
    /// Serve a project to browsers with live reload from nREPL, HTTP and file saves.
    #[cfg(feature = "serve")]
    Serve(jankwasm::serve::ServeArgs),
}

/// Where `require` finds namespaces, besides the root the file's own `ns` implies.
#[derive(clap::Args)]
struct SourcePathArgs {
    /// A directory namespaces are loaded from (`app.util` from DIR/app/util.jank, then .cljc); repeatable.
    #[arg(long = "source-path", value_name = "DIR")]
    source_paths: Vec<PathBuf>,
}

/// A session that loads required namespaces from the root `source`'s own
/// `ns` implies (`src/` for `src/app/core.jank` declaring `app.core`) and
/// then from the given source paths, and runs user macros (when built
/// with the harness).
fn session_for(file: &Path, source: &SourceFile, paths: &SourcePathArgs) -> Session {
    let mut session = macro_session();
    if let Some(root) = declared_ns(&source.text).and_then(|ns| root_of(file, &ns)) {
        session.source_paths_mut().add(root);
    }
    for path in &paths.source_paths {
        session.source_paths_mut().add(path.clone());
    }
    session
}

#[cfg(feature = "harness")]
fn macro_session() -> Session {
    Session::new()
        .with_compile_time_runtime(Box::new(HarnessMacroRuntime::keeping_compiled_patches()))
}

/// Without the harness there is no runtime to run user macros in: calling
/// one is a compile error that says so.
#[cfg(not(feature = "harness"))]
fn macro_session() -> Session {
    Session::new()
}

fn read_source(path: &Path) -> Result<SourceFile, String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("error: reading stdin: {e}"))?;
        return Ok(SourceFile::new("<stdin>", text));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("error: reading {}: {e}", path.display()))?;
    Ok(SourceFile::new(path.display().to_string(), text))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Emit {
            patch_id,
            ns,
            output,
            abi,
            cpp,
            frames,
            paths,
            file,
        } => {
            let target = match cpp {
                Some(path) => EmitTarget::Cpp(path),
                None => EmitTarget::Wasm(
                    output.unwrap_or_else(|| PathBuf::from(format!("patch_{patch_id}.wasm"))),
                ),
            };
            emit(patch_id, ns, abi, frames, target, &paths, &file)
        }
        #[cfg(feature = "harness")]
        Command::Run { paths, file } => run(&paths, &file),
        #[cfg(feature = "harness")]
        Command::Test { paths, namespaces } => test(&paths, &namespaces),
        #[cfg(feature = "serve")]
        Command::Serve(args) => jankwasm::serve::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprint!("{message}");
            if !message.ends_with('\n') {
                eprintln!();
            }
            ExitCode::FAILURE
        }
    }
}

enum EmitTarget {
    Wasm(PathBuf),
    Cpp(PathBuf),
}

fn emit(
    patch_id: u64,
    ns: Option<String>,
    abi: AbiArg,
    frames: bool,
    target: EmitTarget,
    paths: &SourcePathArgs,
    file: &Path,
) -> Result<(), String> {
    let source = read_source(file)?;
    let started = Instant::now();
    let mut session = session_for(file, &source, paths);
    if let Some(ns) = ns {
        session.enter_ns(&ns);
    }
    if frames {
        session.include_frames();
    }
    let abi = match abi {
        AbiArg::Extended => Abi::Extended,
        AbiArg::Seed => Abi::Seed,
    };
    let mut next_id = patch_id;
    let mut allocate = || {
        next_id += 1;
        next_id - 1
    };
    let outputs: Vec<(PathBuf, Vec<u8>, String, Vec<String>)> = match &target {
        EmitTarget::Wasm(path) => session
            .compile_program(&source, abi, &mut allocate)
            .map_err(|failure| failure.render(&source))?
            .into_iter()
            .map(|compiled| {
                let patch = compiled.patch;
                (
                    output_path(path, &compiled.loaded_for, &patch.symbols_export),
                    patch.bytes,
                    patch.symbols_export,
                    entry_names(&patch.entries),
                )
            })
            .collect(),
        EmitTarget::Cpp(path) => session
            .compile_program_cpp(&source, abi, &mut allocate)
            .map_err(|failure| failure.render(&source))?
            .into_iter()
            .map(|compiled| {
                let patch = compiled.patch;
                (
                    output_path(path, &compiled.loaded_for, &patch.symbols_export),
                    patch.source.into_bytes(),
                    patch.symbols_export,
                    entry_names(&patch.entries),
                )
            })
            .collect(),
    };
    let micros = started.elapsed().as_micros();
    for (path, bytes, export, names) in outputs {
        std::fs::write(&path, &bytes)
            .map_err(|e| format!("error: writing {}: {e}", path.display()))?;
        println!(
            "{}: {export} ({} symbols: {}), {} bytes, {micros} µs",
            path.display(),
            names.len(),
            names.join(" "),
            bytes.len(),
        );
    }
    Ok(())
}

/// Where one patch of the program goes: the file's own patch to `output`; a
/// required namespace's beside it, named by its export
/// (`jank_patch_symbols_43.wasm`).
fn output_path(output: &Path, loaded_for: &Option<String>, export: &str) -> PathBuf {
    match loaded_for {
        None => output.to_path_buf(),
        Some(_) => {
            let extension = output
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("wasm");
            output.with_file_name(format!("{export}.{extension}"))
        }
    }
}

fn entry_names(entries: &[jankwasm::lower::Entry]) -> Vec<String> {
    entries.iter().map(|e| e.qualified_name.clone()).collect()
}

/// `jankwasm test`: a program that requires the namespaces and runs their
/// tests, loaded like `run` loads a file. Without `--source-path`, `src`
/// and `test` are searched when they exist.
#[cfg(feature = "harness")]
fn test(paths: &SourcePathArgs, namespaces: &[String]) -> Result<(), String> {
    let mut session = macro_session();
    let defaults = ["src", "test"].map(PathBuf::from);
    let roots: Vec<&PathBuf> = if paths.source_paths.is_empty() {
        defaults.iter().filter(|dir| dir.is_dir()).collect()
    } else {
        paths.source_paths.iter().collect()
    };
    for root in roots {
        session.source_paths_mut().add(root.clone());
    }
    let quoted: Vec<String> = namespaces.iter().map(|ns| format!("'{ns}")).collect();
    let driver = SourceFile::new(
        "<jankwasm test>",
        format!(
            "(ns jankwasm.test-runner (:require [clojure.test] {}))\n\
             (clojure.test/successful? (clojure.test/run-tests {}))\n",
            namespaces.join(" "),
            quoted.join(" ")
        ),
    );
    let outcomes = run_program(&mut session, &driver)?;
    match outcomes.last().map(String::as_str) {
        Some("true") => Ok(()),
        _ => Err("jankwasm test: failures or errors (see the report above)".into()),
    }
}

#[cfg(feature = "harness")]
fn run(paths: &SourcePathArgs, file: &Path) -> Result<(), String> {
    let source = read_source(file)?;
    let mut session = session_for(file, &source, paths);
    // An uncaught exception is printed with the jank fns it passed.
    session.include_frames();
    session.compile_as_script();
    run_program(&mut session, &source).map(drop)
}

/// Compiles `source` with what it requires and runs it, printing what it
/// prints; the printed values of its last patch's entries.
#[cfg(feature = "harness")]
fn run_program(session: &mut Session, source: &SourceFile) -> Result<Vec<String>, String> {
    let mut next_id = 0;
    let program = session
        .compile_program(source, Abi::Extended, &mut || {
            next_id += 1;
            next_id
        })
        .map_err(|failure| failure.render(source))?;
    let mut runtime = jank_wasmtime_harness::Runtime::new().map_err(|e| format!("error: {e}"))?;
    runtime.keep_compiled_patches();
    let mut values = Vec::new();
    for CompiledSource { patch, .. } in program {
        let loaded = runtime.load_patch(&patch.bytes, &patch.symbols_export);
        print!("{}", runtime.take_output());
        // What it printed to `*err*`.
        eprint!("{}", runtime.take_stderr());
        let outcomes = loaded.map_err(|e| format!("error: {e}"))?;
        values.clear();
        for outcome in outcomes {
            match outcome.result {
                Ok(value) => values.push(value.printed),
                Err(thrown) => return Err(thrown.to_string()),
            }
        }
    }
    Ok(values)
}
