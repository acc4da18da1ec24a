//! Compiled modules kept on disk between processes: the stub (seconds to
//! compile with Cranelift, and every `jankwasm` command and test binary
//! starts a runtime) and, for runtimes that ask for it, patches (a few
//! milliseconds each, mostly fixed cost; `jankwasm test` of one namespace
//! loads clojure.test's ~150 form patches into its compile-time runtime, the
//! same bytes in every run).
//!
//! The directory is `$JANKWASM_CACHE_DIR`, else `$XDG_CACHE_HOME/jankwasm`,
//! else `~/.cache/jankwasm`; with none of them set nothing is kept. Files
//! appear whole (written beside, then renamed), so concurrent processes
//! never read half of one. Every failure to read or write only costs a
//! compile. A file holds native code: it is as trusted as the binary that
//! wrote it into the user's own cache directory.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Once;
use wasmtime::{Engine, Module};

/// Patch files kept at most; past it, the oldest are removed down to half.
const MAX_PATCH_FILES: usize = 8192;

/// The cache directory, if the environment names one.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("JANKWASM_CACHE_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => match std::env::var_os("XDG_CACHE_HOME") {
            Some(dir) => Some(PathBuf::from(dir).join("jankwasm")),
            None => Some(PathBuf::from(std::env::var_os("HOME")?).join(".cache/jankwasm")),
        },
    }
}

/// A hash of `wasm` compiled for `engine_key` by `engine` (its settings
/// that compiled code depends on, as wasmtime tells them), by this version
/// of jankwasm.
fn key(engine: &Engine, wasm: &[u8], engine_key: impl Hash) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    (wasm, engine_key, env!("CARGO_PKG_VERSION")).hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.finish()
}

/// The stub compiled for an engine, from the cache or compiled now (and
/// kept). The stub's file is named by a hash of its bytes: it is one of a
/// few builds, each 1.8 MB, loaded by memory map.
pub(crate) fn stub(
    engine: &Engine,
    stub_wasm: &[u8],
    engine_key: impl Hash,
) -> wasmtime::Result<Module> {
    let path = cache_dir().map(|dir| {
        dir.join(format!(
            "stub-{:016x}.cwasm",
            key(engine, stub_wasm, &engine_key)
        ))
    });
    // SAFETY: a file `store` wrote into the user's own cache directory.
    if let Some(module) = path
        .as_deref()
        .and_then(|path| unsafe { Module::deserialize_file(engine, path) }.ok())
    {
        return Ok(module);
    }
    let module = Module::new(engine, stub_wasm)?;
    if let (Some(path), Ok(bytes)) = (path, module.serialize()) {
        store(&path, &[&bytes]);
    }
    Ok(module)
}

/// A patch compiled for an engine, from `dir` or compiled now (and kept
/// there). A patch's file starts with the patch's own bytes, compared in
/// full before the compiled module after them is used, so a hash collision
/// cannot stand one patch in for another.
pub(crate) fn patch(
    engine: &Engine,
    wasm: &[u8],
    engine_key: impl Hash,
    dir: &Path,
) -> wasmtime::Result<Module> {
    let path = dir.join(format!("{:016x}.cwasm", key(engine, wasm, &engine_key)));
    if let Some(module) = cached_patch(engine, wasm, &path) {
        return Ok(module);
    }
    let module = Module::new(engine, wasm)?;
    if let Ok(compiled) = module.serialize() {
        static PRUNED: Once = Once::new();
        PRUNED.call_once(|| prune(dir, MAX_PATCH_FILES));
        let length = (wasm.len() as u64).to_le_bytes();
        store(&path, &[&length, wasm, &compiled]);
    }
    Ok(module)
}

fn cached_patch(engine: &Engine, wasm: &[u8], path: &Path) -> Option<Module> {
    let file = std::fs::read(path).ok()?;
    let (length, rest) = file.split_first_chunk::<8>()?;
    let length = usize::try_from(u64::from_le_bytes(*length)).ok()?;
    let (stored_wasm, compiled) = rest.split_at_checked(length)?;
    if stored_wasm != wasm {
        return None;
    }
    // SAFETY: a file `store` wrote into the user's own cache directory, for
    // exactly these patch bytes.
    unsafe { Module::deserialize(engine, compiled) }.ok()
}

/// Writes `parts` to `path` as one file that appears whole. Best effort.
fn store(path: &Path, parts: &[&[u8]]) {
    let Some(dir) = path.parent() else {
        return;
    };
    let partial = path.with_extension(format!("{}.partial", std::process::id()));
    let stored = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&partial, parts.concat()))
        .and_then(|()| std::fs::rename(&partial, path));
    if stored.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
}

/// Keeps the patch directory bounded: past `max_files`, the files written
/// longest ago go, down to half (one still in use is compiled and written
/// again by its next run).
fn prune(dir: &Path, max_files: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .collect();
    if files.len() <= max_files {
        return;
    }
    files.sort();
    for (_, path) in &files[..files.len() - max_files / 2] {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module whose bytes differ by `tag` (a custom section).
    fn module_bytes(tag: &str) -> Vec<u8> {
        let wat = format!(
            "(module (func (export \"f\") (result i32) i32.const 7) (@custom \"{tag}\" \"\"))"
        );
        wat::parse_str(wat).unwrap()
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_compiled_patch_is_kept_and_read_back_for_the_same_bytes_only() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let (one, two) = (module_bytes("one"), module_bytes("two"));
        patch(&engine, &one, 0u8, dir.path()).unwrap();
        let kept = files(dir.path());
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(cached_patch(&engine, &one, &kept[0]).is_some());
        // Another patch's bytes at this name (a hash collision) are refused.
        assert!(cached_patch(&engine, &two, &kept[0]).is_none());
        // Another engine configuration is another file.
        patch(&engine, &one, 1u8, dir.path()).unwrap();
        patch(&engine, &two, 0u8, dir.path()).unwrap();
        assert_eq!(files(dir.path()).len(), 3);
    }

    #[test]
    fn a_damaged_file_is_compiled_again_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let wasm = module_bytes("one");
        patch(&engine, &wasm, 0u8, dir.path()).unwrap();
        let path = files(dir.path()).remove(0);
        let whole = std::fs::read(&path).unwrap();
        for damaged in [&whole[..5], &whole[..whole.len() / 2], &[][..]] {
            std::fs::write(&path, damaged).unwrap();
            assert!(cached_patch(&engine, &wasm, &path).is_none());
            let module = patch(&engine, &wasm, 0u8, dir.path()).unwrap();
            assert!(module.get_export("f").is_some());
            assert!(cached_patch(&engine, &wasm, &path).is_some());
        }
    }

    #[test]
    fn pruning_keeps_the_newest_half_once_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let start = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30);
        for i in 0..10u64 {
            let path = dir.path().join(format!("{i}.cwasm"));
            let file = std::fs::File::create(&path).unwrap();
            file.set_modified(start + std::time::Duration::from_secs(i))
                .unwrap();
        }
        prune(dir.path(), 10);
        assert_eq!(files(dir.path()).len(), 10, "at the limit nothing goes");
        prune(dir.path(), 6);
        let names: Vec<String> = files(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["7.cwasm", "8.cwasm", "9.cwasm"]);
    }
}
