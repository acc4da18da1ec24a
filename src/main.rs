//! The `jankwasm` command line: `emit` a patch, `run` a file, `serve` a project.

use clap::{Parser, Subcommand, ValueEnum};
use jankwasm::lower::{Abi, PatchOptions};
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

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
    /// Compile a file (or stdin, `-`) into one patch.
    Emit {
        /// The patch id: the export is `jank_patch_symbols_<id>`.
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
        file: PathBuf,
    },
    /// Evaluate a file's top-level forms in order, printing what the program prints.
    Run { file: PathBuf },
    /// Serve a project to browsers with live reload from nREPL, HTTP and file saves.
    Serve(jankwasm::serve::ServeArgs),
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
            file,
        } => {
            let target = match cpp {
                Some(path) => EmitTarget::Cpp(path),
                None => EmitTarget::Wasm(
                    output.unwrap_or_else(|| PathBuf::from(format!("patch_{patch_id}.wasm"))),
                ),
            };
            emit(patch_id, ns, abi, target, &file)
        }
        Command::Run { file } => run(&file),
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
    target: EmitTarget,
    file: &Path,
) -> Result<(), String> {
    let source = read_source(file)?;
    let started = Instant::now();
    let mut session = Session::new();
    if let Some(ns) = ns {
        session.enter_ns(&ns);
    }
    let abi = match abi {
        AbiArg::Extended => Abi::Extended,
        AbiArg::Seed => Abi::Seed,
    };
    let options = PatchOptions { patch_id, abi };
    let (path, bytes, export, names) = match &target {
        EmitTarget::Wasm(path) => {
            let patch = session
                .compile(&source, &options)
                .map_err(|failure| failure.render(&source))?;
            (path, patch.bytes, patch.symbols_export, patch.entries)
        }
        EmitTarget::Cpp(path) => {
            let patch = session
                .compile_cpp(&source, &options)
                .map_err(|failure| failure.render(&source))?;
            (
                path,
                patch.source.into_bytes(),
                patch.symbols_export,
                patch.entries,
            )
        }
    };
    let micros = started.elapsed().as_micros();
    std::fs::write(path, &bytes).map_err(|e| format!("error: writing {}: {e}", path.display()))?;
    let names: Vec<&str> = names.iter().map(|e| e.qualified_name.as_str()).collect();
    println!(
        "{}: {export} ({} symbols: {}), {} bytes, {micros} µs",
        path.display(),
        names.len(),
        names.join(" "),
        bytes.len(),
    );
    Ok(())
}

fn run(file: &Path) -> Result<(), String> {
    let source = read_source(file)?;
    let mut session = Session::new();
    // An uncaught exception is printed with the jank fns it passed.
    session.include_frames();
    let patch = session
        .compile(
            &source,
            &PatchOptions {
                patch_id: 1,
                abi: Abi::Extended,
            },
        )
        .map_err(|failure| failure.render(&source))?;
    let mut runtime = jank_wasmtime_harness::Runtime::new().map_err(|e| format!("error: {e}"))?;
    let loaded = runtime.load_patch(&patch.bytes, &patch.symbols_export);
    print!("{}", runtime.take_output());
    let outcomes = loaded.map_err(|e| format!("error: {e}"))?;
    for outcome in outcomes {
        if let Err(thrown) = outcome.result {
            return Err(thrown.to_string());
        }
    }
    Ok(())
}
