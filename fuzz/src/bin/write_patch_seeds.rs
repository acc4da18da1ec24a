//! Writes the patch target's seeds: every program of the oracle corpus
//! (tests/corpus/ok) compiled as patch 1, one `NAME.wasm` per program.
//! Usage: write_patch_seeds OUT_DIR

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: write_patch_seeds OUT_DIR");
        return ExitCode::FAILURE;
    };
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/ok");
    let written = jankwasm::fuzzing::seed_patches(&corpus).and_then(|patches| {
        std::fs::create_dir_all(&out)?;
        for (name, bytes) in &patches {
            std::fs::write(out.join(format!("{name}.wasm")), bytes)?;
        }
        Ok(patches.len())
    });
    match written {
        Ok(count) => {
            println!("wrote {count} patches to {}", out.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("write_patch_seeds: {error}");
            ExitCode::FAILURE
        }
    }
}
