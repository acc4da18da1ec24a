//! The harness's error types: one `HarnessError` variant per way loading or
//! calling can fail, so tests can match on the kind of failure, and
//! `DylinkError` for what the `dylink.0` reader rejects.

use std::fmt;

use crate::frames::JankFrame;

/// A jank exception that escaped to the host, taken with
/// `jank_exception_take` and printed with `jank_host_pr_str`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thrown {
    /// pr-str of the thrown value.
    pub printed: String,
    /// The jank fns it was thrown through, innermost first.
    pub frames: Vec<JankFrame>,
}

impl Thrown {
    /// The printed exception, then per frame `  at fn (file:line:col)` and
    /// the source line under it.
    pub fn with_frames(&self) -> String {
        format!("{}{}", self.printed, frame_lines(&self.frames))
    }
}

/// Per frame, `\n  at fn (file:line:col)` and the source line under it; a
/// frame repeated by recursion is shown once, with its count.
fn frame_lines(frames: &[JankFrame]) -> String {
    let mut text = String::new();
    for run in frames.chunk_by(|a, b| a == b) {
        let frame = &run[0];
        text.push_str(&format!("\n  at {frame}"));
        if run.len() > 1 {
            text.push_str(&format!(" ({} times)", run.len()));
        }
        if !frame.source.is_empty() {
            text.push_str(&format!("\n     | {}", frame.source));
        }
    }
    text
}

impl fmt::Display for Thrown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uncaught exception: {}", self.with_frames())
    }
}

impl std::error::Error for Thrown {}

/// Why a `dylink.0` section was rejected.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum DylinkError {
    #[error("not a wasm module (no \\0asm magic number)")]
    NotWasm,
    #[error("need the dylink section to be first (the first section is not a custom section)")]
    NotFirst,
    #[error("need the dylink section to be first (the first custom section is `{name}`)")]
    FirstSectionNotDylink { name: String },
    #[error("the legacy `dylink` section is not accepted; emit `dylink.0`")]
    Legacy,
    #[error("truncated while reading the {what}")]
    Truncated { what: &'static str },
    #[error("the {what} does not fit in 32 bits")]
    LebOverflow { what: &'static str },
    #[error("the {what} is not UTF-8")]
    BadUtf8 { what: &'static str },
    #[error("subsection {id} declares {size} bytes, past the end of dylink.0")]
    SubsectionOverrun { id: u8, size: u32 },
    #[error("subsection {id} declares {declared} bytes but its fields leave {unused} unread")]
    SubsectionSize {
        id: u8,
        declared: u32,
        unused: usize,
    },
    #[error("{count} trailing byte(s) after the last subsection (unknown dylink.0 subsection)")]
    TrailingBytes { count: usize },
    #[error("MEM_INFO appears twice")]
    DuplicateMemInfo,
    #[error("no MEM_INFO subsection")]
    MissingMemInfo,
    #[error("invalid tableAlign: table_p2align is {table_p2align}, must be 0")]
    TableAlign { table_p2align: u32 },
    #[error("mem_p2align {mem_p2align} is too large")]
    MemAlign { mem_p2align: u32 },
    #[error("mem_size {mem_size} plus its alignment does not fit in 32-bit memory")]
    MemSize { mem_size: u32 },
    #[error("NEEDED libraries {needed:?} cannot be loaded: patches are self-contained")]
    Needed { needed: Vec<String> },
}

/// Everything that can go wrong creating a runtime, loading a patch or
/// calling into it.
#[derive(thiserror::Error, Debug)]
pub enum HarnessError {
    /// The stub or a patch is not valid wasm (or uses a feature wasmtime lacks).
    #[error("cannot compile the {what}: {message}")]
    Compile { what: String, message: String },
    /// The patch's `dylink.0` section is missing or malformed.
    #[error("dylink.0: {0}")]
    Dylink(#[from] DylinkError),
    /// An import the loader cannot satisfy (or the stub's own imports).
    #[error("link error on import `{import}`: {reason}")]
    Link { import: String, reason: String },
    /// The stub or a patch lacks an export the harness calls, or has it with
    /// the wrong type.
    #[error("the {module} has no usable export `{name}`: {reason}")]
    MissingExport {
        module: String,
        name: String,
        reason: String,
    },
    /// A wasm trap (unreachable, stack exhaustion, bad memory or table access)
    /// or a host function failing. The runtime stays usable.
    #[error("wasm trap while {during}: {message}{}", frame_lines(.frames))]
    Trap {
        during: String,
        message: String,
        backtrace: String,
        /// The jank fns on the stack at the trap, innermost first.
        frames: Vec<JankFrame>,
    },
    /// An [`Interrupter`](crate::Interrupter) stopped the call. The runtime
    /// may be mid-update: replace it.
    #[error("interrupted while {during}")]
    Interrupted { during: String },
    /// A jank exception escaped a `call_var`.
    #[error(transparent)]
    Thrown(Thrown),
    /// The stub or a patch broke the ABI's contract: a pointer out of bounds,
    /// text that is not UTF-8, a negative count, a NULL where a value is due.
    #[error("ABI violation: {0}")]
    Protocol(String),
    /// An argument the harness cannot pass (e.g. a name containing NUL).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Memory or table space could not be reserved.
    #[error("cannot reserve {what}: {reason}")]
    Alloc { what: String, reason: String },
}
