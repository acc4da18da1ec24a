//! The `Runtime`: a wasmtime store holding one instantiated stub main module,
//! the host side of its `host.write` import, and the plumbing every call into
//! wasm goes through (stack-pointer save and restore around traps, a malloc'd
//! scratch area for arguments, reading pointers and strings back out of
//! linear memory), plus the safe points at which it lets the stub's collector
//! run, and the [`Interrupter`] that stops a runaway call from another thread.
//! Loading patches lives in `loader.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use wasmtime::{
    Caller, Config, Engine, Extern, ExternType, Func, Global, Instance, Memory, Module, Mutability,
    Store, StoreLimits, StoreLimitsBuilder, Table, TypedFunc, UpdateDeadline, Val, WasmBacktrace,
    WasmParams, WasmResults,
};

use crate::browser::{decode_request, headless_refusal, BrowserDouble, Pending};
use crate::dylink::DylinkInfo;
use crate::error::{HarnessError, Thrown};
use crate::frames::{jank_frames, JankFrame, LazyFrameTable};

/// An argument for `Runtime::call_var`, boxed by the stub's own helpers.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Nil,
    Int(i64),
    Double(f64),
    Str(String),
    /// `"name"` for `:name`, `"ns/name"` for `:ns/name`.
    Keyword(String),
}

/// A jank value that came back to the host, as the stub prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// pr-str of the value.
    pub printed: String,
}

/// What the registry did with one `patch_symbol` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryOutcome {
    pub qualified_name: String,
    pub signature: String,
    /// The bound or evaluated value, or the exception the entry threw (which
    /// stops the rest of the patch).
    pub result: Result<Value, Thrown>,
}

/// Where a loaded patch landed; patches are never unloaded (dlclose does
/// nothing), so these stay valid for the runtime's lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchInfo {
    pub symbols_export: String,
    pub dylink: DylinkInfo,
    /// The patch's `__memory_base`: its `mem_size` bytes start here.
    pub memory_base: u32,
    /// The patch's `__table_base`: its `table_size` slots start here.
    pub table_base: u32,
}

/// When the runtime lets the main module's collector run at its safe points
/// (after each registry entry of a load, after each `call_var`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GcPolicy {
    /// `jank_host_gc_safe_point`: collect once the heap has grown enough.
    #[default]
    Paced,
    /// `jank_host_gc_collect` at every safe point (slow; for tests that
    /// want every value not reachable from a root freed as soon as possible).
    EverySafePoint,
    /// Never collect (to measure what the collector saves).
    Off,
    /// Stress mode (`jank_host_gc_stress`): collect at every safe point,
    /// inside calls too, and poison collected objects instead of freeing
    /// them, so a reference the collector missed shows in the output.
    Stress,
}

/// The collector's figures (`jank_gc_stats` in jank_patch_abi.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcStats {
    pub collections: u32,
    /// Collectable objects, uncollected garbage included.
    pub objects: u32,
    pub permanent_objects: u32,
    pub freed_last: u32,
    pub retained: u32,
    /// Bytes the stub's allocator has handed out and not got back.
    pub heap_bytes: u32,
}

/// What the host keeps per store: everything the stub wrote, and whether
/// its running call is asked to stop.
#[derive(Default)]
pub(crate) struct HostState {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    interrupt: Arc<AtomicBool>,
    /// Each loaded patch's frame table, by its module name.
    pub(crate) frame_tables: HashMap<String, LazyFrameTable>,
    /// The jank frames each exception in flight was thrown through, by its
    /// address, until the host takes it.
    throw_sites: HashMap<u32, Vec<JankFrame>>,
    /// The frames of the last new throw, as `host.exception_frames` hands
    /// them to the stub.
    thrown_frames: Vec<u8>,
    /// How far the stub's memory may grow (by default as far as wasm32 goes).
    limits: StoreLimits,
    /// The browser `jank.browser` effects reach; None: headless, refusing them.
    browser: Option<BrowserDouble>,
    /// The reply or refusal `host.effect_reply` hands the stub next.
    effect_reply: Vec<u8>,
    /// Callbacks the host let go of, released at the next safe point (the
    /// stub cannot be called from inside its own import).
    released: Vec<u32>,
}

/// Stops the call an interruptible [`Runtime`] is running, from any thread:
/// the call fails with [`HarnessError::Interrupted`] at its next function
/// entry or loop back-edge. Afterwards the runtime's heap may be mid-update;
/// drop it and start a new one.
#[derive(Clone)]
pub struct Interrupter {
    requested: Arc<AtomicBool>,
    engine: Engine,
}

impl Interrupter {
    pub fn interrupt(&self) {
        self.requested.store(true, Ordering::SeqCst);
        // Every interruptible store's deadline is the next epoch: each
        // running call checks its own flag, and the others go on.
        self.engine.increment_epoch();
    }

    /// Withdraws a request the running call did not reach (it had ended).
    pub fn clear(&self) {
        self.requested.store(false, Ordering::SeqCst);
    }
}

/// The error a call interrupted by an [`Interrupter`] fails with inside
/// wasmtime, told from traps by its type.
#[derive(Debug)]
struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Whether a wasmtime call failed because an [`Interrupter`] stopped it.
pub(crate) fn is_interrupted(error: &wasmtime::Error) -> bool {
    error.downcast_ref::<Interrupted>().is_some()
}

/// The stub exports the harness itself calls, typed once at creation so a
/// stub missing one fails up front with its name.
pub(crate) struct StubFuncs {
    pub malloc: TypedFunc<i32, i32>,
    pub register: TypedFunc<i32, i32>,
    pub pr_str: TypedFunc<(i32, i32), i32>,
    pub exception_take: TypedFunc<(), i32>,
    pub var_intern: TypedFunc<(i32, i32), i32>,
    pub call: TypedFunc<(i32, i32, i32), i32>,
    pub box_integer: TypedFunc<i64, i32>,
    pub box_double: TypedFunc<f64, i32>,
    pub make_string_n: TypedFunc<(i32, i32), i32>,
    pub make_keyword: TypedFunc<(i32, i32), i32>,
    pub nil_value: TypedFunc<(), i32>,
    /// The collector's entry points, when the main module has a collector
    /// the host drives.
    pub gc: Option<GcFuncs>,
    /// `jank_host_out_of_memory`, when the main module reports failed
    /// allocations.
    pub out_of_memory: Option<TypedFunc<(), i32>>,
}

/// The collector's host entry points (all or none).
#[derive(Clone)]
pub(crate) struct GcFuncs {
    pub permanent_begin: TypedFunc<(), ()>,
    pub permanent_end: TypedFunc<(), ()>,
    pub collect: TypedFunc<(), i32>,
    pub safe_point: TypedFunc<(), i32>,
    pub stats: TypedFunc<(), i32>,
    /// `jank_host_gc_stress` and `jank_host_gc_in_calls`, when the collector
    /// can collect inside calls.
    pub in_calls: Option<(TypedFunc<i32, ()>, TypedFunc<i32, ()>)>,
}

/// A bump area in stub memory for the strings and arrays the host passes in.
/// It is reset at the start of every host operation; malloc'd memory is never
/// freed (per the header), so growing it abandons the old block.
struct Scratch {
    base: u32,
    size: u32,
    used: u32,
}

const SCRATCH_INITIAL: u32 = 4096;
/// Longest C string the harness reads back (names and signatures are short;
/// anything longer is a missing NUL).
const MAX_C_STRING: usize = 1 << 20;

/// A wasmtime store with the stub main module instantiated, plus every patch
/// loaded into it.
pub struct Runtime {
    pub(crate) store: Store<HostState>,
    pub(crate) memory: Memory,
    pub(crate) table: Table,
    pub(crate) stack_pointer: Global,
    pub(crate) funcs: StubFuncs,
    /// The stub's exports by name: what `env.X` imports of patches resolve to.
    pub(crate) exports: HashMap<String, Extern>,
    scratch: Scratch,
    /// Kept so patch instances (and the functions their table slots hold)
    /// live as long as the runtime.
    pub(crate) instances: Vec<Instance>,
    pub(crate) patches: Vec<PatchInfo>,
    gc_policy: GcPolicy,
    /// Whether a patch without the `jank.frame_roots` section was loaded.
    unrooted_patch_loaded: bool,
    kind: EngineKind,
    /// Where compiled patches are kept for the next process
    /// ([`Runtime::keep_compiled_patches`]), if anywhere.
    patch_cache: Option<std::path::PathBuf>,
}

/// The engines a runtime can run on, one of each per process, shared by its
/// runtimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum EngineKind {
    /// Cranelift, no interruption checks: the fastest code.
    Plain,
    /// Cranelift with epoch checks in function entries and loop back-edges,
    /// which is how an [`Interrupter`] reaches a loop; they cost time (a
    /// reduce over a million numbers took ~45% longer), so only runtimes
    /// that must be stoppable pay for them.
    Interruptible,
    /// Epoch checks as `Interruptible`, and fuel metering for work budgets
    /// ([`Runtime::load_patch_with_fuel`]), for runtimes that load many
    /// small patches and run each briefly ([`Runtime::new_baseline`]): Winch, the
    /// baseline compiler, compiles in one pass (its code is slower, which
    /// code run once feels less than the compile), on the calling thread
    /// (handing a few functions to worker threads cost more than compiling
    /// them).
    Baseline,
}

impl EngineKind {
    fn interruptible(self) -> bool {
        self != EngineKind::Plain
    }
}

fn engine(kind: EngineKind) -> &'static Engine {
    static ENGINES: [OnceLock<Engine>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    ENGINES[kind as usize].get_or_init(|| {
        let mut config = Config::new();
        config.epoch_interruption(kind.interruptible());
        config.max_wasm_stack(MAX_WASM_STACK);
        // Validation wants it at least the wasm stack; no call here is async.
        config.async_stack_size(HOST_STACK_BYTES);
        // For profiling with `perf record` (README, issue 11, "Throughput"): wasmtime
        // writes /tmp/perf-PID.map, which names the stub's and patches'
        // compiled functions in `perf report`.
        if std::env::var_os("JANKWASM_PERF_MAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        if kind == EngineKind::Baseline {
            config.strategy(wasmtime::Strategy::Winch);
            config.parallel_compilation(false);
            config.consume_fuel(true);
        }
        Engine::new(&config).expect("wasmtime accepts a fixed configuration")
    })
}

/// A baseline runtime's fuel outside [`Runtime::load_patch_with_fuel`]:
/// enough that nothing runs out (at a few billion units a second, centuries).
const UNMETERED: u64 = u64::MAX;

/// The native stack wasm may use: a plain non-tail recursion of 10,000 jank
/// calls takes about 2.6 MB (patch frame, `jank_call` and the stub's
/// dispatch, ~260 bytes a level), and the stub's own depth limit
/// (`MAX_CALL_DEPTH` in runtime-abi/stub/src/function.rs) throws a catchable
/// StackOverflowError before simple recursions get here. Wasm runs on the
/// calling thread's stack, so that thread needs [`HOST_STACK_BYTES`].
pub const MAX_WASM_STACK: usize = 6 << 20;

/// The stack a thread calling into a [`Runtime`] needs: the wasm stack plus
/// room for the host frames below and beside it (wasmtime's own, the
/// caller's). Threads spawned to run a runtime ask for this much; a Rust
/// main thread has 8 MiB.
pub const HOST_STACK_BYTES: usize = MAX_WASM_STACK + (2 << 20);

/// Runs `f` on a new thread with [`HOST_STACK_BYTES`] of stack, for callers
/// whose own thread may have less (a test thread has 2 MiB); a panic in `f`
/// is resumed on the caller's thread.
pub fn on_host_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .stack_size(HOST_STACK_BYTES)
            .spawn_scoped(scope, f)
        {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => panic!("cannot spawn a thread with a runtime's stack: {e}"),
        }
    })
}

/// Compiled stubs by engine and bytes, so creating many runtimes (one per
/// test) compiles each stub once per process and engine.
fn stub_module(stub_wasm: &[u8], kind: EngineKind) -> Result<Module, HarnessError> {
    // The embedded stub, which nearly every runtime uses, is told by its
    // address: hashing and comparing its 1.8 MB took a quarter of a fuzzing
    // case that starts a runtime.
    if std::ptr::eq(stub_wasm, crate::STUB_WASM) {
        static EMBEDDED: [OnceLock<Module>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let cell = &EMBEDDED[kind as usize];
        if let Some(module) = cell.get() {
            return Ok(module.clone());
        }
        let module = any_stub_module(stub_wasm, kind)?;
        return Ok(cell.get_or_init(|| module).clone());
    }
    any_stub_module(stub_wasm, kind)
}

fn any_stub_module(stub_wasm: &[u8], kind: EngineKind) -> Result<Module, HarnessError> {
    type Cache = HashMap<(EngineKind, Vec<u8>), Module>;
    static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| Mutex::new(HashMap::new()));
    // A panic while holding the lock cannot leave the map inconsistent.
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let key = (kind, stub_wasm.to_vec());
    if let Some(module) = cache.get(&key) {
        return Ok(module.clone());
    }
    let module = crate::compile_cache::stub(engine(kind), stub_wasm, kind).map_err(|e| {
        HarnessError::Compile {
            what: "stub main module".into(),
            message: format!("{e:#}"),
        }
    })?;
    cache.insert(key, module.clone());
    Ok(module)
}

/// The most frames a throw hands the stub for its exception's trace,
/// innermost first: the JVM's default stack trace depth.
pub const MAX_TRACE_FRAMES: usize = 1024;

/// `host.exception_thrown(exception) -> length`: records the jank frames on
/// the stack while the throw is still there (a rethrow keeps the first
/// record) and answers the byte length of those frames as the stub's trace
/// text, which `host.exception_frames` then copies (0: nothing new).
fn host_exception_thrown(store: &mut Store<HostState>) -> Func {
    Func::wrap(
        store,
        |mut caller: Caller<'_, HostState>, exception: i32| -> i32 {
            // Checked before capturing: an exception unwinding through N
            // nested calls is reported at each, and N backtraces of N frames
            // took a minute at depth 12,000.
            if caller.data().throw_sites.contains_key(&(exception as u32)) {
                return 0;
            }
            let backtrace = WasmBacktrace::capture(&caller);
            let state = caller.data_mut();
            let frames = jank_frames(&backtrace, &state.frame_tables);
            state.thrown_frames = trace_text(&frames[..frames.len().min(MAX_TRACE_FRAMES)]);
            state.throw_sites.insert(exception as u32, frames);
            i32::try_from(state.thrown_frames.len()).unwrap_or(0)
        },
    )
}

/// `host.exception_frames(into)`: copies the frames `host.exception_thrown`
/// announced.
fn host_exception_frames(store: &mut Store<HostState>) -> Func {
    Func::wrap(
        store,
        |mut caller: Caller<'_, HostState>, ptr: i32| -> wasmtime::Result<()> {
            let memory = stub_memory(&mut caller, "host.exception_frames")?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            let frames = std::mem::take(&mut state.thrown_frames);
            copy_into(data, ptr, &frames, "host.exception_frames")
        },
    )
}

/// The stub's trace text of `frames`: `name\tfile\tline\tcolumn` a line
/// (jank_patch_abi.h).
fn trace_text(frames: &[JankFrame]) -> Vec<u8> {
    let mut text = String::new();
    for frame in frames {
        let clean = |field: &str| field.replace(['\t', '\n'], " ");
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            clean(&frame.name),
            clean(&frame.file),
            frame.line,
            frame.column
        ));
    }
    text.into_bytes()
}

/// Copies `bytes` into stub memory at `ptr`, for the host import `import`.
fn copy_into(data: &mut [u8], ptr: i32, bytes: &[u8], import: &str) -> wasmtime::Result<()> {
    let start = ptr as u32 as usize;
    let into = start
        .checked_add(bytes.len())
        .and_then(|end| data.get_mut(start..end))
        .ok_or_else(|| {
            wasmtime::Error::msg(format!(
                "{import}: {} bytes at {start:#x} are outside memory",
                bytes.len()
            ))
        })?;
    into.copy_from_slice(bytes);
    Ok(())
}

/// The stub's memory, for the host import `import` that reads or writes it.
fn stub_memory(caller: &mut Caller<'_, HostState>, import: &str) -> wasmtime::Result<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Ok(memory),
        _ => Err(wasmtime::Error::msg(format!(
            "{import}: the stub exports no memory"
        ))),
    }
}

/// The `len` bytes at `ptr` the stub handed the host import `import`.
fn guest_bytes<'d>(data: &'d [u8], ptr: i32, len: i32, import: &str) -> wasmtime::Result<&'d [u8]> {
    let start = ptr as u32 as usize;
    usize::try_from(len)
        .ok()
        .and_then(|len| data.get(start..start.checked_add(len)?))
        .ok_or_else(|| {
            wasmtime::Error::msg(format!(
                "{import}: {len} bytes at {start:#x} are outside memory"
            ))
        })
}

/// `host.effect(request, length) -> status`: carries out a `jank.browser`
/// effect on the browser double, or refuses it on a headless runtime; the
/// reply waits for `host.effect_reply`.
fn host_effect(store: &mut Store<HostState>) -> Func {
    Func::wrap(
        store,
        |mut caller: Caller<'_, HostState>, ptr: i32, len: i32| -> wasmtime::Result<i32> {
            let memory = stub_memory(&mut caller, "host.effect")?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            let bytes = guest_bytes(data, ptr, len, "host.effect")?;
            let outcome = decode_request(bytes).and_then(|request| match &mut state.browser {
                Some(browser) => browser.effect(&request, &mut state.released),
                None => Err(headless_refusal(&request)),
            });
            let (reply, status) = match outcome {
                Ok(reply) => {
                    let bytes = reply.encode();
                    let status = bytes.len() as i32;
                    (bytes, status)
                }
                Err(message) => {
                    let bytes = message.into_bytes();
                    let status = -(bytes.len() as i32) - 1;
                    (bytes, status)
                }
            };
            state.effect_reply = reply;
            Ok(status)
        },
    )
}

/// `host.effect_reply(into)`: copies the reply `host.effect` announced.
fn host_effect_reply(store: &mut Store<HostState>) -> Func {
    Func::wrap(
        store,
        |mut caller: Caller<'_, HostState>, ptr: i32| -> wasmtime::Result<()> {
            let memory = stub_memory(&mut caller, "host.effect_reply")?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            let reply = std::mem::take(&mut state.effect_reply);
            copy_into(data, ptr, &reply, "host.effect_reply")
        },
    )
}

fn host_write(store: &mut Store<HostState>) -> Func {
    Func::wrap(
        store,
        |mut caller: Caller<'_, HostState>, fd: i32, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let memory = stub_memory(&mut caller, "host.write")?;
            let (data, state) = memory.data_and_store_mut(&mut caller);
            let bytes = guest_bytes(data, ptr, len, "host.write")?;
            match fd {
                1 => state.stdout.extend_from_slice(bytes),
                2 => state.stderr.extend_from_slice(bytes),
                _ => return Err(wasmtime::Error::msg(format!("host.write: unknown fd {fd}"))),
            }
            Ok(())
        },
    )
}

/// `host.now`: milliseconds on a monotonic clock, since the stub was made.
fn host_now(store: &mut Store<HostState>) -> Func {
    let start = std::time::Instant::now();
    Func::wrap(store, move || -> f64 {
        start.elapsed().as_secs_f64() * 1000.0
    })
}

/// `host.wall_clock`: milliseconds since the Unix epoch.
fn host_wall_clock(store: &mut Store<HostState>) -> Func {
    Func::wrap(store, || -> f64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |elapsed| elapsed.as_millis() as f64)
    })
}

/// Turns a wasmtime call failure into `HarnessError::Trap`, with the trap's
/// own message first and the wasm backtrace beside it.
/// A failed call as a `HarnessError`; a trap's jank frames are found in
/// `tables`, the loaded patches' frame tables.
pub(crate) fn trap_error(
    during: String,
    error: wasmtime::Error,
    tables: &HashMap<String, LazyFrameTable>,
) -> HarnessError {
    if is_interrupted(&error) {
        return HarnessError::Interrupted { during };
    }
    if error.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::OutOfFuel) {
        return HarnessError::OutOfFuel { during };
    }
    let wasm_backtrace = error.downcast_ref::<WasmBacktrace>();
    let frames = wasm_backtrace
        .map(|backtrace| jank_frames(backtrace, tables))
        .unwrap_or_default();
    let message = match error.downcast_ref::<wasmtime::Trap>() {
        // A recursion the stub's depth limit did not stop (its levels pass
        // through runtime frames): say so in jank's terms.
        Some(wasmtime::Trap::StackOverflow) => format!(
            "stack overflow{}: the {} MiB wasm stack is exhausted",
            frames
                .first()
                .map(|frame| format!(" in {}", frame.name))
                .unwrap_or_default(),
            MAX_WASM_STACK >> 20
        ),
        Some(trap) => trap.to_string(),
        None => error.root_cause().to_string(),
    };
    HarnessError::Trap {
        during,
        message,
        backtrace: wasm_backtrace.map(ToString::to_string).unwrap_or_default(),
        frames,
    }
}

/// 64 bits that differ between runtimes, for `jank_host_seed_random`:
/// std's random per-process hash keys (advanced for each `RandomState`),
/// mixed with the time.
fn entropy() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    hasher.write_u128(now);
    hasher.finish()
}

fn typed<P: WasmParams, R: WasmResults>(
    store: &mut Store<HostState>,
    instance: &Instance,
    name: &str,
) -> Result<TypedFunc<P, R>, HarnessError> {
    instance
        .get_typed_func::<P, R>(&mut *store, name)
        .map_err(|e| HarnessError::MissingExport {
            module: "stub main module".into(),
            name: name.into(),
            reason: format!("{e:#}"),
        })
}

/// `JANKWASM_GC_STRESS` set to anything but `0` or nothing: every runtime
/// starts in [`GcPolicy::Stress`], so whole programs (`jankwasm run`, the dev
/// server's headless pages and its macro runtime, their test suites) can be
/// run with the collector hunting for missed references.
fn stress_from_environment() -> bool {
    std::env::var_os("JANKWASM_GC_STRESS").is_some_and(|value| !value.is_empty() && value != "0")
}

fn missing(name: &str, reason: &str) -> HarnessError {
    HarnessError::MissingExport {
        module: "stub main module".into(),
        name: name.into(),
        reason: reason.into(),
    }
}

impl Runtime {
    /// A runtime around the stub built from `runtime-abi/stub` (`STUB_WASM`).
    pub fn new() -> Result<Self, HarnessError> {
        Self::with_stub(crate::STUB_WASM)
    }

    /// Like [`Runtime::new`], but its calls can be stopped through
    /// [`Runtime::interrupter`], at some cost in speed.
    pub fn new_interruptible() -> Result<Self, HarnessError> {
        Self::build(crate::STUB_WASM, EngineKind::Interruptible)
    }

    /// Like [`Runtime::new_interruptible`], for loading many small patches
    /// and running each briefly: the fuzz targets' checks (a fresh runtime
    /// per case) and the compiler's compile-time runtime (a patch per macro
    /// call). The stub and patches are compiled by Winch, wasmtime's
    /// baseline compiler, which compiles faster than Cranelift and makes
    /// slower code (the `source` fuzz target ran 1.6 times as many cases a
    /// second); loading and linking are the same as in every other runtime.
    pub fn new_baseline() -> Result<Self, HarnessError> {
        Self::build(crate::STUB_WASM, EngineKind::Baseline)
    }

    /// A runtime around any module that plays the main module: it must export
    /// what `jank_patch_abi.h`'s host interface lists and may import only
    /// the `host` functions it describes.
    pub fn with_stub(stub_wasm: &[u8]) -> Result<Self, HarnessError> {
        Self::build(stub_wasm, EngineKind::Plain)
    }

    fn build(stub_wasm: &[u8], kind: EngineKind) -> Result<Self, HarnessError> {
        let module = stub_module(stub_wasm, kind)?;
        let mut store = Store::new(engine(kind), HostState::default());
        store.limiter(|state| &mut state.limits);
        if kind == EngineKind::Baseline {
            store
                .set_fuel(UNMETERED)
                .expect("the baseline engine consumes fuel");
        }
        if kind.interruptible() {
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(|context| {
                if context.data().interrupt.swap(false, Ordering::SeqCst) {
                    Err(wasmtime::Error::new(Interrupted))
                } else {
                    Ok(UpdateDeadline::Continue(1))
                }
            });
        }
        let mut imports: Vec<Extern> = Vec::new();
        for import in module.imports() {
            let qualified = format!("{}.{}", import.module(), import.name());
            match (import.module(), import.name(), import.ty()) {
                ("host", "write", ExternType::Func(ty))
                    if ty.params().map(|p| p.is_i32()).eq([true, true, true])
                        && ty.results().len() == 0 =>
                {
                    imports.push(host_write(&mut store).into());
                }
                ("host", "exception_thrown", ExternType::Func(ty))
                    if ty.params().map(|p| p.is_i32()).eq([true])
                        && ty.results().map(|r| r.is_i32()).eq([true]) =>
                {
                    imports.push(host_exception_thrown(&mut store).into());
                }
                ("host", "exception_frames", ExternType::Func(ty))
                    if ty.params().map(|p| p.is_i32()).eq([true]) && ty.results().len() == 0 =>
                {
                    imports.push(host_exception_frames(&mut store).into());
                }
                ("host", "now", ExternType::Func(ty))
                    if ty.params().len() == 0
                        && ty.results().map(|r| r.is_f64()).eq([true]) =>
                {
                    imports.push(host_now(&mut store).into());
                }
                ("host", "wall_clock", ExternType::Func(ty))
                    if ty.params().len() == 0
                        && ty.results().map(|r| r.is_f64()).eq([true]) =>
                {
                    imports.push(host_wall_clock(&mut store).into());
                }
                ("host", "now" | "wall_clock", _) => {
                    return Err(HarnessError::Link {
                        import: qualified,
                        reason: "must be (func (result f64)): milliseconds".into(),
                    })
                }
                ("host", "effect", ExternType::Func(ty))
                    if ty.params().map(|p| p.is_i32()).eq([true, true])
                        && ty.results().map(|r| r.is_i32()).eq([true]) =>
                {
                    imports.push(host_effect(&mut store).into());
                }
                ("host", "effect_reply", ExternType::Func(ty))
                    if ty.params().map(|p| p.is_i32()).eq([true]) && ty.results().len() == 0 =>
                {
                    imports.push(host_effect_reply(&mut store).into());
                }
                ("host", "effect" | "effect_reply", _) => {
                    return Err(HarnessError::Link {
                        import: qualified,
                        reason: "must be effect (func (param i32 i32) (result i32)) and effect_reply (func (param i32))".into(),
                    })
                }
                ("host", "exception_thrown" | "exception_frames", _) => {
                    return Err(HarnessError::Link {
                        import: qualified,
                        reason: "must be exception_thrown (func (param i32) (result i32)) and exception_frames (func (param i32))".into(),
                    })
                }
                ("host", "write", _) => {
                    return Err(HarnessError::Link {
                        import: qualified,
                        reason: "must be (func (param i32 i32 i32)): fd, utf8, length".into(),
                    })
                }
                _ => return Err(HarnessError::Link {
                    import: qualified,
                    reason:
                        "the host provides only host.write, host.now, host.wall_clock, host.exception_thrown, host.exception_frames, host.effect and host.effect_reply to the stub"
                            .into(),
                }),
            }
        }
        let instance = Instance::new(&mut store, &module, &imports).map_err(|e| {
            if e.downcast_ref::<wasmtime::Trap>().is_some() || is_interrupted(&e) {
                trap_error(
                    "instantiating the stub (start function)".into(),
                    e,
                    &HashMap::new(),
                )
            } else {
                HarnessError::Link {
                    import: "(stub instantiation)".into(),
                    reason: format!("{e:#}"),
                }
            }
        })?;

        let exports: HashMap<String, Extern> = instance
            .exports(&mut store)
            .map(|export| (export.name().to_string(), export.into_extern()))
            .collect();
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| missing("memory", "no exported memory"))?;
        if memory.ty(&store).is_64() {
            return Err(missing("memory", "is 64-bit; patches are wasm32"));
        }
        let table = instance
            .get_table(&mut store, "__indirect_function_table")
            .ok_or_else(|| missing("__indirect_function_table", "no exported table"))?;
        let table_ty = table.ty(&store);
        if !table_ty.element().matches(&wasmtime::RefType::FUNCREF) {
            return Err(missing(
                "__indirect_function_table",
                "is not a funcref table",
            ));
        }
        if table_ty.maximum().is_some() {
            return Err(missing(
                "__indirect_function_table",
                "has a maximum; patches need a table that grows without one",
            ));
        }
        let stack_pointer = instance
            .get_global(&mut store, "__stack_pointer")
            .ok_or_else(|| missing("__stack_pointer", "no exported global"))?;
        let sp_ty = stack_pointer.ty(&store);
        if !(sp_ty.content().is_i32() && sp_ty.mutability() == Mutability::Var) {
            return Err(missing("__stack_pointer", "must be a mutable i32 global"));
        }
        let funcs = StubFuncs {
            malloc: typed(&mut store, &instance, "malloc")?,
            register: typed(&mut store, &instance, "jank_hot_reload_register")?,
            pr_str: typed(&mut store, &instance, "jank_host_pr_str")?,
            exception_take: typed(&mut store, &instance, "jank_exception_take")?,
            var_intern: typed(&mut store, &instance, "jank_var_intern_c")?,
            call: typed(&mut store, &instance, "jank_call")?,
            box_integer: typed(&mut store, &instance, "jank_box_integer")?,
            box_double: typed(&mut store, &instance, "jank_box_double")?,
            make_string_n: typed(&mut store, &instance, "jank_make_string_n")?,
            make_keyword: typed(&mut store, &instance, "jank_make_keyword")?,
            nil_value: typed(&mut store, &instance, "jank_nil_value")?,
            gc: if instance
                .get_export(&mut store, "jank_host_gc_collect")
                .is_some()
            {
                Some(GcFuncs {
                    permanent_begin: typed(&mut store, &instance, "jank_host_permanent_begin")?,
                    permanent_end: typed(&mut store, &instance, "jank_host_permanent_end")?,
                    collect: typed(&mut store, &instance, "jank_host_gc_collect")?,
                    safe_point: typed(&mut store, &instance, "jank_host_gc_safe_point")?,
                    stats: typed(&mut store, &instance, "jank_host_gc_stats")?,
                    in_calls: match instance.get_export(&mut store, "jank_host_gc_in_calls") {
                        Some(_) => Some((
                            typed(&mut store, &instance, "jank_host_gc_stress")?,
                            typed(&mut store, &instance, "jank_host_gc_in_calls")?,
                        )),
                        None => None,
                    },
                })
            } else {
                None
            },
            out_of_memory: instance
                .get_export(&mut store, "jank_host_out_of_memory")
                .is_some()
                .then(|| typed(&mut store, &instance, "jank_host_out_of_memory"))
                .transpose()?,
        };
        // Not called by the harness, but part of the host interface a loader
        // may rely on, so a stub without it is rejected here.
        typed::<(i32, i32), i32>(&mut store, &instance, "jank_host_str")?;

        let mut runtime = Runtime {
            store,
            memory,
            table,
            stack_pointer,
            funcs,
            exports,
            scratch: Scratch {
                base: 0,
                size: 0,
                used: 0,
            },
            instances: vec![instance],
            patches: Vec::new(),
            gc_policy: GcPolicy::default(),
            unrooted_patch_loaded: false,
            kind,
            patch_cache: None,
        };
        // As an Emscripten main module does at startup (a Rust cdylib usually
        // has none).
        if let Some(Extern::Func(ctors)) = runtime.exports.get("__wasm_call_ctors").cloned() {
            let ctors = ctors
                .typed::<(), ()>(&runtime.store)
                .map_err(|e| missing("__wasm_call_ctors", &format!("{e:#}")))?;
            runtime.call(&ctors, (), || "running the stub's __wasm_call_ctors".into())?;
        }
        if runtime.exports.contains_key("jank_host_seed_random") {
            let seed = typed::<i64, ()>(
                &mut runtime.store,
                &runtime.instances[0],
                "jank_host_seed_random",
            )?;
            runtime.call(&seed, entropy() as i64, || {
                "seeding the stub's random generator".into()
            })?;
        }
        let base = runtime.malloc(SCRATCH_INITIAL, "the host's scratch area")?;
        runtime.scratch = Scratch {
            base,
            size: SCRATCH_INITIAL,
            used: 0,
        };
        if stress_from_environment() {
            runtime.set_gc_policy(GcPolicy::Stress)?;
        }
        Ok(runtime)
    }

    /// Keeps each patch this runtime compiles on disk, and takes a patch
    /// compiled by an earlier process from there (`compile_cache.rs`): for
    /// command-line runs, which load the same library patches every time.
    /// A long-lived runtime fed fresh edits (the dev server's) gains nothing
    /// from it and would only fill the directory.
    /// Nothing is kept when the environment names no cache directory.
    pub fn keep_compiled_patches(&mut self) {
        self.patch_cache = crate::compile_cache::cache_dir().map(|dir| dir.join("patches"));
    }

    /// The patch `wasm` compiled for this runtime's engine.
    pub(crate) fn compile_patch(&self, wasm: &[u8]) -> wasmtime::Result<Module> {
        match &self.patch_cache {
            Some(dir) => crate::compile_cache::patch(self.store.engine(), wasm, self.kind, dir),
            None => Module::new(self.store.engine(), wasm),
        }
    }

    /// Calls `name` in namespace `ns` (through `jank_var_intern_c` and
    /// `jank_call`) with `args` boxed by the stub, and prints the result.
    /// Once it is printed, nothing of the call is live: a safe point.
    pub fn call_var(&mut self, ns: &str, name: &str, args: &[Arg]) -> Result<Value, HarnessError> {
        let outcome = self.call_var_then_print(ns, name, args);
        self.safe_point()?;
        outcome
    }

    fn call_var_then_print(
        &mut self,
        ns: &str,
        name: &str,
        args: &[Arg],
    ) -> Result<Value, HarnessError> {
        self.scratch_reset();
        let ns_ptr = self.scratch_c_string(ns)?;
        let name_ptr = self.scratch_c_string(name)?;
        let var = self.call(
            &self.funcs.var_intern.clone(),
            (ns_ptr as i32, name_ptr as i32),
            || format!("interning {ns}/{name}"),
        )?;
        let var = self.value_or_thrown(var)?;
        self.call_then_print(var, args, || format!("calling {ns}/{name}"))
    }

    /// Calls `callee` (a var or a fn) with `args` boxed by the stub, and
    /// prints the result; the scratch area must have been reset.
    fn call_then_print(
        &mut self,
        callee: i32,
        args: &[Arg],
        during: impl Fn() -> String,
    ) -> Result<Value, HarnessError> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            let value = self.box_arg(arg)?;
            values.push(self.value_or_thrown(value)?);
        }
        let argc = i32::try_from(values.len())
            .map_err(|_| HarnessError::InvalidArgument("too many arguments".into()))?;
        let array = self.scratch_alloc(4 * values.len() as u32)?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.write_bytes(array, &bytes)?;
        let result = self.call(
            &self.funcs.call.clone(),
            (callee, argc, array as i32),
            during,
        )?;
        let result = self.value_or_thrown(result)?;
        Ok(Value {
            printed: self.pr_str(result)?,
        })
    }

    /// Gives `jank.browser` this in-memory browser instead of refusing its
    /// effects as a headless runtime does.
    pub fn set_browser_double(&mut self, browser: BrowserDouble) {
        self.store.data_mut().browser = Some(browser);
    }

    /// The browser double, when the runtime has one.
    pub fn browser_double(&mut self) -> Option<&mut BrowserDouble> {
        self.store.data_mut().browser.as_mut()
    }

    /// Runs the callbacks the browser double has pending (timers, animation
    /// frames, fetch responses, hash changes), by due time then registration,
    /// advancing its clock to each; callbacks they register wait for the
    /// next call. Returns each callback's outcome, a throw included.
    pub fn run_effects(&mut self) -> Result<Vec<Result<Value, HarnessError>>, HarnessError> {
        let mut due: Vec<Pending> = match self.store.data_mut().browser.as_mut() {
            Some(browser) => std::mem::take(&mut browser.pending),
            None => return Ok(Vec::new()),
        };
        due.sort_by_key(|pending| (pending.due, pending.order));
        let mut outcomes = Vec::with_capacity(due.len());
        for pending in due {
            if let Some(browser) = self.store.data_mut().browser.as_mut() {
                browser.now = browser.now.max(pending.due);
            }
            self.scratch_reset();
            let outcome = self.call_then_print(pending.callback as i32, &pending.args, || {
                "running a jank.browser callback".into()
            });
            if pending.once {
                self.store.data_mut().released.push(pending.callback);
            }
            match outcome {
                Err(error) if !matches!(error, HarnessError::Thrown(_)) => return Err(error),
                outcome => outcomes.push(outcome),
            }
            self.safe_point()?;
        }
        Ok(outcomes)
    }

    /// Releases the callbacks the host let go of (see `HostState::released`).
    fn release_callbacks(&mut self) -> Result<(), HarnessError> {
        let released = std::mem::take(&mut self.store.data_mut().released);
        if released.is_empty() {
            return Ok(());
        }
        let Some(Extern::Func(release)) = self.exports.get("jank_host_release").cloned() else {
            return Err(missing("jank_host_release", "needed to release a callback"));
        };
        let release = release
            .typed::<i32, ()>(&self.store)
            .map_err(|e| missing("jank_host_release", &format!("{e:#}")))?;
        for callback in released {
            self.call(&release, callback as i32, || "releasing a callback".into())?;
        }
        Ok(())
    }

    /// Lowers the runtime's limit of nested fn calls
    /// (`jank_host_set_max_call_depth`), as a host with a smaller stack than
    /// the harness's does; the limit in force. Between calls only.
    pub fn set_max_call_depth(&mut self, limit: u32) -> Result<u32, HarnessError> {
        let set = typed::<i32, i32>(
            &mut self.store,
            &self.instances[0],
            "jank_host_set_max_call_depth",
        )?;
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let in_force = self.call(&set, limit, || "setting the call-depth limit".into())?;
        Ok(u32::try_from(in_force).unwrap_or(0))
    }

    /// How the runtime lets the collector run from now on.
    pub fn set_gc_policy(&mut self, policy: GcPolicy) -> Result<(), HarnessError> {
        self.gc_policy = policy;
        self.configure_collector()
    }

    /// Tells the stub the policy's stress mode, and whether it may collect
    /// inside calls: not with the collector off, and never again once a patch
    /// without the `jank.frame_roots` section is loaded.
    fn configure_collector(&mut self) -> Result<(), HarnessError> {
        let Some((stress, in_calls)) = self.funcs.gc.as_ref().and_then(|gc| gc.in_calls.clone())
        else {
            return Ok(());
        };
        let stressed = self.gc_policy == GcPolicy::Stress;
        self.call(&stress, i32::from(stressed), || {
            "setting the collector's stress mode".into()
        })?;
        let inside = self.gc_policy != GcPolicy::Off && !self.unrooted_patch_loaded;
        self.call(&in_calls, i32::from(inside), || {
            "setting whether the collector runs inside calls".into()
        })
    }

    /// A patch that keeps object references in wasm locals was loaded: the
    /// collector may no longer run inside calls.
    pub(crate) fn note_unrooted_patch(&mut self) -> Result<(), HarnessError> {
        if self.unrooted_patch_loaded {
            return Ok(());
        }
        self.unrooted_patch_loaded = true;
        self.configure_collector()
    }

    /// Caps the stub's linear memory at `bytes`: growing past it fails as a
    /// full machine's would, and the call that needed it fails with "out of
    /// memory" (for tests and for hosts that share a machine).
    pub fn set_memory_limit(&mut self, bytes: usize) {
        self.store.data_mut().limits = StoreLimitsBuilder::new().memory_size(bytes).build();
    }

    /// Whether the main module has a collector the host drives.
    pub fn has_collector(&self) -> bool {
        self.funcs.gc.is_some()
    }

    /// Collects now (whatever the policy), returning how many objects were
    /// freed; None when the main module has no collector.
    pub fn collect_garbage(&mut self) -> Result<Option<u32>, HarnessError> {
        let Some(gc) = self.funcs.gc.clone() else {
            return Ok(None);
        };
        let freed = self.call(&gc.collect, (), || "collecting garbage".into())?;
        u32::try_from(freed).map(Some).map_err(|_| {
            HarnessError::Protocol(
                "jank_host_gc_collect refused to collect between host calls".into(),
            )
        })
    }

    /// The collector's figures; None when the main module has no collector.
    pub fn gc_stats(&mut self) -> Result<Option<GcStats>, HarnessError> {
        let Some(gc) = self.funcs.gc.clone() else {
            return Ok(None);
        };
        let at = self.call(&gc.stats, (), || "reading the collector's figures".into())?;
        let mut fields = [0u32; 6];
        for (index, field) in fields.iter_mut().enumerate() {
            *field = self.read_u32(at as u32 + 4 * index as u32, "jank_gc_stats")?;
        }
        let [collections, objects, permanent_objects, freed_last, retained, heap_bytes] = fields;
        Ok(Some(GcStats {
            collections,
            objects,
            permanent_objects,
            freed_last,
            retained,
            heap_bytes,
        }))
    }

    /// The size of the stub's linear memory in bytes (it only grows).
    pub fn memory_bytes(&self) -> u64 {
        self.memory.data_size(&self.store) as u64
    }

    /// A safe point: no patch or runtime frame is live. Lets the collector
    /// run as the policy says; a refusal (possible only after a trap cut a
    /// call short) leaves the garbage for a later safe point.
    pub(crate) fn safe_point(&mut self) -> Result<(), HarnessError> {
        self.release_callbacks()?;
        let Some(gc) = self.funcs.gc.clone() else {
            return Ok(());
        };
        let entry = match self.gc_policy {
            GcPolicy::Paced => gc.safe_point,
            GcPolicy::EverySafePoint | GcPolicy::Stress => gc.collect,
            GcPolicy::Off => return Ok(()),
        };
        self.call(&entry, (), || "collecting garbage at a safe point".into())?;
        Ok(())
    }

    /// Runs `load` (instantiating a patch, running its constructors) in a
    /// permanent bracket: the patch keeps the constants its start function
    /// makes in wasm globals, where the collector cannot see them.
    pub(crate) fn permanently<T>(
        &mut self,
        load: impl FnOnce(&mut Self) -> Result<T, HarnessError>,
    ) -> Result<T, HarnessError> {
        let Some(gc) = self.funcs.gc.clone() else {
            return load(self);
        };
        self.call(&gc.permanent_begin, (), || {
            "opening a permanent bracket".into()
        })?;
        let loaded = load(self);
        self.call(&gc.permanent_end, (), || {
            "closing a permanent bracket".into()
        })?;
        loaded
    }

    /// A handle that stops this runtime's running call from another thread;
    /// None unless it was made with [`Runtime::new_interruptible`] or
    /// [`Runtime::new_baseline`].
    pub fn interrupter(&self) -> Option<Interrupter> {
        self.kind.interruptible().then(|| Interrupter {
            requested: Arc::clone(&self.store.data().interrupt),
            engine: self.store.engine().clone(),
        })
    }

    /// [`Runtime::load_patch`], interrupted once it has run for `budget`
    /// (on a runtime made with [`Runtime::new_interruptible`] or
    /// [`Runtime::new_baseline`]; others run without a limit).
    pub fn load_patch_within(
        &mut self,
        wasm: &[u8],
        symbols_export: &str,
        budget: std::time::Duration,
    ) -> Result<Vec<EntryOutcome>, HarnessError> {
        let Some(interrupter) = self.interrupter() else {
            return self.load_patch(wasm, symbols_export);
        };
        let watchdog_interrupter = interrupter.clone();
        let (finished, finish) = std::sync::mpsc::channel::<()>();
        let watchdog = std::thread::spawn(move || {
            if finish.recv_timeout(budget) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                watchdog_interrupter.interrupt();
            }
        });
        let outcome = self.load_patch(wasm, symbols_export);
        drop(finished);
        // The watchdog only waits on the channel; it cannot panic.
        let _ = watchdog.join();
        // A budget that ran out while no wasm was running (compiling a large
        // patch, say) left a request that would stop the runtime's next call.
        interrupter.clear();
        outcome
    }

    /// Loads a patch as [`Runtime::load_patch`] does, stopping it with
    /// [`HarnessError::OutOfFuel`] once its wasm (the patch's and the stub's
    /// on its behalf) has used `fuel` units, about one a wasm instruction.
    /// A work budget, unlike [`Runtime::load_patch_within`]'s time: the same
    /// patch gets as far on a busy machine as on an idle one, and compiling
    /// the patch costs none of it. Only a baseline runtime
    /// ([`Runtime::new_baseline`]) meters fuel; others refuse.
    pub fn load_patch_with_fuel(
        &mut self,
        wasm: &[u8],
        symbols_export: &str,
        fuel: u64,
    ) -> Result<Vec<EntryOutcome>, HarnessError> {
        if self.kind != EngineKind::Baseline {
            return Err(HarnessError::InvalidArgument(
                "only a baseline runtime meters fuel".into(),
            ));
        }
        self.set_fuel(fuel)?;
        let outcome = self.load_patch(wasm, symbols_export);
        self.set_fuel(UNMETERED)?;
        outcome
    }

    fn set_fuel(&mut self, fuel: u64) -> Result<(), HarnessError> {
        self.store
            .set_fuel(fuel)
            .map_err(|e| HarnessError::InvalidArgument(format!("cannot set fuel: {e}")))
    }

    /// Everything the stub wrote to stdout since the last call.
    pub fn take_output(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut self.store.data_mut().stdout)).into_owned()
    }

    /// Everything the stub wrote to stderr since the last call.
    pub fn take_stderr(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut self.store.data_mut().stderr)).into_owned()
    }

    /// The stub's `__stack_pointer` now (for tests that check it is balanced).
    pub fn stack_pointer(&mut self) -> u32 {
        self.stack_pointer.get(&mut self.store).unwrap_i32() as u32
    }

    /// Every patch loaded so far, in load order.
    pub fn patches(&self) -> &[PatchInfo] {
        &self.patches
    }

    /// A copy of `len` bytes of stub memory at `addr`.
    pub fn read_memory(&self, addr: u32, len: u32) -> Result<Vec<u8>, HarnessError> {
        Ok(self.read_bytes(addr, len, "memory")?.to_vec())
    }

    /// The printed form of a value (as `pr-str`); printing that throws (a
    /// lazy seq failing as it is realized) is reported as `Thrown`.
    pub(crate) fn pr_str(&mut self, value: i32) -> Result<String, HarnessError> {
        match self.printed(value)? {
            Some(text) => Ok(text),
            None => Err(HarnessError::Thrown(self.take_exception()?)),
        }
    }

    /// `jank_host_pr_str` of `value`, or None when printing threw.
    fn printed(&mut self, value: i32) -> Result<Option<String>, HarnessError> {
        let pr_str = self.funcs.pr_str.clone();
        let len_slot = self.scratch_alloc(4)?;
        self.write_bytes(len_slot, &0u32.to_le_bytes())?;
        let ptr = self.call(&pr_str, (value, len_slot as i32), || {
            "printing with jank_host_pr_str".into()
        })?;
        if ptr == 0 {
            return Ok(None);
        }
        let len = self.read_u32(len_slot, "printed length")?;
        let bytes = self.read_bytes(ptr as u32, len, "printed text")?.to_vec();
        String::from_utf8(bytes).map(Some).map_err(|_| {
            HarnessError::Protocol("jank_host_pr_str returned text that is not UTF-8".into())
        })
    }

    /// `value` unless it is NULL, which means the helper threw: then the
    /// pending exception, taken and printed.
    fn value_or_thrown(&mut self, value: i32) -> Result<i32, HarnessError> {
        if value != 0 {
            return Ok(value);
        }
        Err(HarnessError::Thrown(self.take_exception()?))
    }

    /// Takes the pending exception after something returned NULL, and prints
    /// it (once: if printing the exception throws too, that is reported as
    /// unprintable rather than chased).
    pub(crate) fn take_exception(&mut self) -> Result<Thrown, HarnessError> {
        let take = self.funcs.exception_take.clone();
        let exception = self.call(&take, (), || "taking the pending exception".into())?;
        if exception == 0 {
            return Err(HarnessError::Protocol(
                "NULL was returned (\"threw\") but no exception is pending".into(),
            ));
        }
        let sites = &mut self.store.data_mut().throw_sites;
        let frames = sites.remove(&(exception as u32)).unwrap_or_default();
        // What is not taken now was caught inside jank.
        sites.clear();
        let printed = match self.printed(exception)? {
            Some(text) => text,
            None => {
                // Clear what printing left pending.
                self.call(&take, (), || "taking the pending exception".into())?;
                "<an exception whose printing threw>".into()
            }
        };
        Ok(Thrown { printed, frames })
    }

    fn box_arg(&mut self, arg: &Arg) -> Result<i32, HarnessError> {
        let f = &self.funcs;
        match arg {
            Arg::Nil => self.call(&f.nil_value.clone(), (), || "making nil".into()),
            Arg::Int(i) => self.call(&f.box_integer.clone(), *i, || format!("boxing {i}")),
            Arg::Double(d) => self.call(&f.box_double.clone(), *d, || format!("boxing {d}")),
            Arg::Str(s) => {
                let make = f.make_string_n.clone();
                let len = i32::try_from(s.len())
                    .map_err(|_| HarnessError::InvalidArgument("string too long".into()))?;
                let ptr = self.scratch_alloc(s.len() as u32)?;
                self.write_bytes(ptr, s.as_bytes())?;
                self.call(&make, (ptr as i32, len), || {
                    format!("making the string {s:?}")
                })
            }
            Arg::Keyword(k) => {
                let make = f.make_keyword.clone();
                // `ns/name`, except that a lone `/` (or one at either end) is
                // part of a plain name.
                let (ns, name) = match k.split_once('/') {
                    Some((ns, name)) if !ns.is_empty() && !name.is_empty() => (ns, name),
                    _ => ("", k.as_str()),
                };
                let ns_ptr = self.scratch_c_string(ns)?;
                let name_ptr = self.scratch_c_string(name)?;
                self.call(&make, (ns_ptr as i32, name_ptr as i32), || {
                    format!("making :{k}")
                })
            }
        }
    }

    /// Every call into wasm goes through here: a trap becomes
    /// `HarnessError::Trap` and leaves `__stack_pointer` as it was before the
    /// call (a trap skips the epilogues that would have restored it), and a
    /// call that returns with the stack pointer moved is an ABI violation.
    pub(crate) fn call<P: WasmParams, R: WasmResults>(
        &mut self,
        f: &TypedFunc<P, R>,
        params: P,
        during: impl FnOnce() -> String,
    ) -> Result<R, HarnessError> {
        let saved = self.stack_pointer.get(&mut self.store);
        let outcome = f.call(&mut self.store, params);
        let now = self.stack_pointer.get(&mut self.store);
        let moved = now.i32() != saved.i32();
        if moved {
            self.restore_stack_pointer(saved)?;
        }
        match outcome {
            Err(e) => {
                Err(self.out_of_memory_or(trap_error(during(), e, &self.store.data().frame_tables)))
            }
            Ok(_) if moved => Err(HarnessError::Protocol(format!(
                "__stack_pointer was {:#x} before {} and {:#x} after it returned",
                saved.i32().unwrap_or_default(),
                during(),
                now.i32().unwrap_or_default()
            ))),
            Ok(r) => Ok(r),
        }
    }

    /// `error`, or, when it is the trap that follows an allocation the stub
    /// could not satisfy, that trap saying "out of memory" (the header's
    /// `jank_host_out_of_memory`).
    pub(crate) fn out_of_memory_or(&mut self, error: HarnessError) -> HarnessError {
        let HarnessError::Trap {
            during,
            message,
            backtrace,
            frames,
        } = error
        else {
            return error;
        };
        let failure = self.funcs.out_of_memory.clone().and_then(|query| {
            let at = query.call(&mut self.store, ()).ok()? as u32;
            if at == 0 {
                return None;
            }
            let requested = self.read_u32(at, "jank_host_out_of_memory").ok()?;
            let in_use = self.read_u32(at + 4, "jank_host_out_of_memory").ok()?;
            Some(format!(
                "out of memory: {requested} bytes requested, {in_use} in use"
            ))
        });
        HarnessError::Trap {
            during,
            message: failure.unwrap_or(message),
            backtrace,
            frames,
        }
    }

    pub(crate) fn restore_stack_pointer(&mut self, saved: Val) -> Result<(), HarnessError> {
        self.stack_pointer
            .set(&mut self.store, saved)
            .map_err(|e| HarnessError::Protocol(format!("cannot restore __stack_pointer: {e:#}")))
    }

    /// The stub's malloc; a NULL result is an error rather than address 0.
    pub(crate) fn malloc(&mut self, size: u32, what: &str) -> Result<u32, HarnessError> {
        let request = i32::try_from(size).map_err(|_| HarnessError::Alloc {
            what: format!("{size} bytes for {what}"),
            reason: "larger than 2 GiB".into(),
        })?;
        let malloc = self.funcs.malloc.clone();
        let ptr = self.call(&malloc, request, || format!("malloc({size}) for {what}"))?;
        if ptr == 0 {
            return Err(HarnessError::Alloc {
                what: format!("{size} bytes for {what}"),
                reason: "malloc returned NULL".into(),
            });
        }
        Ok(ptr as u32)
    }

    pub(crate) fn scratch_reset(&mut self) {
        self.scratch.used = 0;
    }

    /// `size` bytes of scratch, 16-byte aligned.
    pub(crate) fn scratch_alloc(&mut self, size: u32) -> Result<u32, HarnessError> {
        let start = self.scratch.used.checked_add(15).map(|u| u & !15);
        let fits = start
            .and_then(|s| s.checked_add(size))
            .filter(|&end| end <= self.scratch.size);
        match (start, fits) {
            (Some(start), Some(end)) => {
                self.scratch.used = end;
                Ok(self.scratch.base + start)
            }
            _ => {
                let new_size = size
                    .checked_next_power_of_two()
                    .map(|s| s.max(self.scratch.size.saturating_mul(2)))
                    .ok_or_else(|| HarnessError::Alloc {
                        what: format!("{size} bytes of scratch"),
                        reason: "too large".into(),
                    })?;
                let base = self.malloc(new_size, "the host's scratch area")?;
                self.scratch = Scratch {
                    base,
                    size: new_size,
                    used: size,
                };
                Ok(base)
            }
        }
    }

    /// `text` NUL-terminated in scratch.
    pub(crate) fn scratch_c_string(&mut self, text: &str) -> Result<u32, HarnessError> {
        if text.contains('\0') {
            return Err(HarnessError::InvalidArgument(format!(
                "{text:?} contains NUL"
            )));
        }
        let len = u32::try_from(text.len() + 1)
            .map_err(|_| HarnessError::InvalidArgument("string too long".into()))?;
        let ptr = self.scratch_alloc(len)?;
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        self.write_bytes(ptr, &bytes)?;
        Ok(ptr)
    }

    pub(crate) fn read_bytes(
        &self,
        addr: u32,
        len: u32,
        what: &str,
    ) -> Result<&[u8], HarnessError> {
        let start = addr as usize;
        let data = self.memory.data(&self.store);
        start
            .checked_add(len as usize)
            .and_then(|end| data.get(start..end))
            .ok_or_else(|| {
                HarnessError::Protocol(format!(
                    "{what}: {len} bytes at {addr:#x} are outside memory ({} bytes)",
                    data.len()
                ))
            })
    }

    pub(crate) fn read_u32(&self, addr: u32, what: &str) -> Result<u32, HarnessError> {
        let bytes = self.read_bytes(addr, 4, what)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    pub(crate) fn write_bytes(&mut self, addr: u32, bytes: &[u8]) -> Result<(), HarnessError> {
        let start = addr as usize;
        let data = self.memory.data_mut(&mut self.store);
        let size = data.len();
        let target = start
            .checked_add(bytes.len())
            .and_then(|end| data.get_mut(start..end))
            .ok_or_else(|| {
                HarnessError::Protocol(format!(
                    "{} bytes at {addr:#x} are outside memory ({size} bytes)",
                    bytes.len()
                ))
            })?;
        target.copy_from_slice(bytes);
        Ok(())
    }

    /// The NUL-terminated UTF-8 string at `addr`.
    pub(crate) fn read_c_string(&self, addr: u32, what: &str) -> Result<String, HarnessError> {
        let data = self.memory.data(&self.store);
        let start = addr as usize;
        let tail = data.get(start..).filter(|_| addr != 0).ok_or_else(|| {
            HarnessError::Protocol(format!("{what}: pointer {addr:#x} is outside memory"))
        })?;
        let tail = &tail[..tail.len().min(MAX_C_STRING)];
        let len = tail.iter().position(|&b| b == 0).ok_or_else(|| {
            HarnessError::Protocol(format!("{what} at {addr:#x} has no NUL terminator"))
        })?;
        String::from_utf8(tail[..len].to_vec())
            .map_err(|_| HarnessError::Protocol(format!("{what} at {addr:#x} is not UTF-8")))
    }
}
