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

/// Why a `dylink.0` section was rejected. Offsets count bytes from the start
/// of the module.
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
    /// wasmparser could not read a field: truncated, a number over 32 bits,
    /// a string that is not UTF-8, a subsection running past the section.
    #[error("malformed at byte {offset}: {reason}")]
    Malformed { offset: usize, reason: String },
    #[error(
        "subsection {id} at byte {offset} declares {declared} bytes, more than its fields use"
    )]
    SubsectionSize {
        id: u8,
        offset: usize,
        declared: usize,
    },
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

impl DylinkError {
    /// The variant as a stable code: the page loader's `LoadError.code` for
    /// the same refusal, so the two are compared by kind, not by wording.
    pub fn code(&self) -> &'static str {
        match self {
            DylinkError::NotWasm => "not-wasm",
            DylinkError::NotFirst | DylinkError::FirstSectionNotDylink { .. } => "not-first",
            DylinkError::Legacy => "legacy",
            DylinkError::Malformed { .. } => "malformed",
            DylinkError::SubsectionSize { .. } => "subsection-size",
            DylinkError::DuplicateMemInfo => "duplicate-mem-info",
            DylinkError::MissingMemInfo => "missing-mem-info",
            DylinkError::TableAlign { .. } => "table-align",
            DylinkError::MemAlign { .. } => "mem-align",
            DylinkError::MemSize { .. } => "mem-size",
            DylinkError::Needed { .. } => "needed",
        }
    }
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
    /// The call used up the fuel [`Runtime::load_patch_with_fuel`] gave it
    /// (a baseline runtime's work budget). The runtime may be mid-update:
    /// replace it.
    #[error("out of fuel while {during}")]
    OutOfFuel { during: String },
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

impl HarnessError {
    /// The variant as a stable kind: the page loader's `LoadError.kind` for
    /// the same failure.
    pub fn kind(&self) -> &'static str {
        match self {
            HarnessError::Compile { .. } => "compile",
            HarnessError::Dylink(_) => "dylink",
            HarnessError::Link { .. } => "link",
            HarnessError::MissingExport { .. } => "missing-export",
            HarnessError::Trap { .. } => "trap",
            HarnessError::Interrupted { .. } => "interrupted",
            HarnessError::OutOfFuel { .. } => "out-of-fuel",
            HarnessError::Thrown(_) => "thrown",
            HarnessError::Protocol(_) => "protocol",
            HarnessError::InvalidArgument(_) => "invalid-argument",
            HarnessError::Alloc { .. } => "alloc",
        }
    }
}
