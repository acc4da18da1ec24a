//! The compile-time runtime user macros run in: the stub runtime pages run,
//! in-process under wasmtime (the harness), so a macro computes exactly what
//! it would in a page. A macro body that does too much work is stopped: its
//! budget is counted in wasm instructions (wasmtime's fuel), not in time, so
//! a macro expands the same on a busy machine as on an idle one. Each
//! macro call is a small patch run once, so the runtime is a baseline one
//! (Winch compiles in a fraction of Cranelift's time; the code it makes is
//! slower, which expanding a macro hardly feels).

use jank_wasmtime_harness::{HarnessError, Runtime};

use crate::session::{CompileTimeRuntime, EntryResult};

/// The work one load (a batch of definitions, or one macro call) may do, in
/// fuel units (about one a wasm instruction): some 10 s of a baseline
/// runtime's work on the 2-core machine CI runs on, far beyond any real
/// macro, and a bound on one that never ends.
pub const MACRO_FUEL: u64 = 20_000_000_000;

/// A [`CompileTimeRuntime`] on the harness, started at its first load so
/// compiles that call no user macro never pay for it.
#[derive(Default)]
pub struct HarnessMacroRuntime {
    runtime: Option<Runtime>,
    keeps_compiled_patches: bool,
}

impl HarnessMacroRuntime {
    pub fn new() -> Self {
        Self::default()
    }

    /// One whose runtime keeps the patches it compiles on disk for the next
    /// process ([`Runtime::keep_compiled_patches`]): for command-line
    /// compiles, which load the same library namespaces form by form in
    /// every run.
    pub fn keeping_compiled_patches() -> Self {
        Self {
            runtime: None,
            keeps_compiled_patches: true,
        }
    }
}

impl CompileTimeRuntime for HarnessMacroRuntime {
    fn load(&mut self, bytes: &[u8], symbols_export: &str) -> Result<Vec<EntryResult>, String> {
        let runtime = match &mut self.runtime {
            Some(runtime) => runtime,
            empty => {
                let mut runtime = Runtime::new_baseline()
                    .map_err(|e| format!("cannot start the compile-time runtime: {e}"))?;
                if self.keeps_compiled_patches {
                    runtime.keep_compiled_patches();
                }
                empty.insert(runtime)
            }
        };
        let loaded = runtime.load_patch_with_fuel(bytes, symbols_export, MACRO_FUEL);
        // What definitions print while they load at compile time is not
        // the program's output.
        runtime.take_output();
        runtime.take_stderr();
        let outcomes = loaded.map_err(|error| match error {
            HarnessError::OutOfFuel { .. } => format!(
                "it did more than its budget of {} billion wasm instructions' work \
                 (it may never end)",
                MACRO_FUEL / 1_000_000_000
            ),
            other => other.to_string(),
        })?;
        Ok(outcomes
            .into_iter()
            .map(|outcome| match outcome.result {
                Ok(value) => Ok(value.printed),
                Err(thrown) => Err(thrown.printed),
            })
            .collect())
    }
}
