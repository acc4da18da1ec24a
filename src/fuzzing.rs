//! The invariants the fuzz targets hold every input to, one check per input
//! format: source text through the compiler and the harness, nREPL bytes
//! through framing and decoding, a page's WebSocket text through the
//! server's interpretation of it, and patch bytes through the harness
//! loader (and its `dylink.0` reader). The cargo-fuzz targets (`fuzz/`) and the
//! bounded stable test (`tests/serve/fuzz_bounded.rs`) call the same functions: a
//! broken invariant comes back as a [`Violation`], a panic is a finding too.
//!
//! It lives in the library, under the default `serve` feature it checks, so
//! that both can reach it with no extra feature to forget (a test behind a
//! non-default feature is silently skipped by a plain `cargo test`), and so
//! that it reaches the server's crate-private parts (`serve::ws::interpret`,
//! `serve::nrepl::position`).

use std::cell::RefCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Mutex, OnceLock};

use jank_wasmtime_harness::{Arg, HarnessError, Runtime, HOST_STACK_BYTES};

use crate::diag::{Diagnostic, Failure, InternalError};
use crate::lower::{Abi, Patch, PatchOptions};
use crate::serve::nrepl::bencode::{self, Framed, Framer, FramingError, Message, Response};
use crate::serve::patch_ids::{PatchIds, MAX_PATCH_ID};
use crate::serve::protocol::PageMessage;
use crate::serve::ws::{interpret, PageRequest};
use crate::session::Session;
use crate::source::SourceFile;

/// The work a compiled or mutated patch may do before it is stopped, in
/// fuel units (about one a wasm instruction; some 100 ms here). An endless
/// loop is a legitimate program, and stopping it is not a finding; fuel,
/// unlike time, stops it at the same point in every run, so a finding
/// replays the same on any machine.
pub const RUN_FUEL: u64 = 200_000_000;
/// The patch id every fuzzed compilation uses, so seed patches and their
/// mutations all export [`SYMBOLS_EXPORT`].
pub const PATCH_ID: u64 = 1;
pub const SYMBOLS_EXPORT: &str = "jank_patch_symbols_1";

/// An input that broke an invariant.
#[derive(Debug, thiserror::Error)]
pub enum Violation {
    #[error("diagnostic {diagnostic} points outside the text ({lines} lines)")]
    DiagnosticOutsideText {
        diagnostic: Diagnostic,
        lines: usize,
    },
    #[error("the compiler failed on its own: {0}")]
    Internal(InternalError),
    #[error("the compiler emitted an invalid module: {0}")]
    InvalidModule(String),
    #[error("the harness refused a module the compiler emitted: {0}")]
    EmittedPatchRefused(HarnessError),
    #[error("cannot start a runtime to load into: {0}")]
    NoRuntime(HarnessError),
    #[error("the runtime is unusable after refusing a patch with `{refusal}`: {after}")]
    RuntimeBroken {
        refusal: HarnessError,
        after: String,
    },
    #[error("the same bytes framed differently when they arrived in pieces of {piece}")]
    FramingDependsOnPieces { piece: usize },
    #[error("a framed message breaks a framing limit: {0}")]
    FramedOverLimit(String),
    #[error("the reply echoing id {id:?} does not decode back to it: {reply:?}")]
    EchoLost { id: Vec<u8>, reply: Vec<u8> },
    #[error("after a page reported loading patch {last}, the next id is {next}: ids repeat")]
    PatchIdRepeats { last: u64, next: u64 },
    #[error("a page reporting patch {last} moved the next id to {next}, past the largest")]
    PatchIdsExhausted { last: u64, next: u64 },
    #[error("a page message was refused with an empty error")]
    SilentRefusal,
    #[error("cannot set up the check: {0}")]
    Setup(String),
}

/// Source text (lossily decoded: the server hands the compiler text) read,
/// expanded, analyzed and lowered. A rejection must be a diagnostic inside
/// the text; a patch must validate and load into a fresh runtime (its forms
/// may throw, trap or be interrupted: that is the program's business). The
/// runtime is a baseline one ([`Runtime::new_baseline`]): Winch
/// compiles the patch faster than Cranelift; the loader and the stub are
/// the same.
pub fn check_source(bytes: &[u8]) -> Result<(), Violation> {
    let Some(patch) = compile_checked(bytes)? else {
        return Ok(());
    };
    let Patch {
        bytes: wasm,
        symbols_export,
        ..
    } = patch;
    on_check_thread(Box::new(move || run_source_patch(&wasm, &symbols_export)))
}

/// A check that runs patch code, as the check thread takes it.
type CheckJob = Box<dyn FnOnce() -> Result<(), RunViolation> + Send>;

/// A calling thread's check thread: a thread of its own with a runtime's
/// stack ([`HOST_STACK_BYTES`]: a patch may recurse as deep as the wasm
/// stack allows), kept for the calling thread's life rather than started
/// per case as `on_host_stack` does, which costs a thread and a freshly
/// faulted-in stack every case.
struct CheckThread {
    jobs: mpsc::Sender<CheckJob>,
    outcomes: mpsc::Receiver<std::thread::Result<Result<(), RunViolation>>>,
}

thread_local! {
    static CHECK_THREAD: RefCell<Option<CheckThread>> = const { RefCell::new(None) };
}

impl CheckThread {
    fn spawn() -> Result<Self, Violation> {
        let (jobs, pending) = mpsc::channel::<CheckJob>();
        let (done, outcomes) = mpsc::channel();
        std::thread::Builder::new()
            .name("fuzz-check".into())
            .stack_size(HOST_STACK_BYTES)
            .spawn(move || {
                for job in pending {
                    if done.send(catch_unwind(AssertUnwindSafe(job))).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| Violation::Setup(format!("cannot start a check thread: {e}")))?;
        Ok(CheckThread { jobs, outcomes })
    }
}

/// Runs `job` on the calling thread's [`CheckThread`]; a panic in it is
/// resumed here, as `on_host_stack` does.
fn on_check_thread(job: CheckJob) -> Result<(), Violation> {
    CHECK_THREAD.with(|slot| {
        let mut slot = slot.borrow_mut();
        let thread = match slot.take() {
            Some(thread) => thread,
            None => CheckThread::spawn()?,
        };
        let outcome = thread
            .jobs
            .send(job)
            .ok()
            .and_then(|()| thread.outcomes.recv().ok());
        match outcome {
            Some(Ok(result)) => {
                *slot = Some(thread);
                result.map_err(Violation::from)
            }
            Some(Err(panic)) => {
                *slot = Some(thread);
                drop(slot);
                resume_unwind(panic)
            }
            None => Err(Violation::Setup("the check thread stopped".into())),
        }
    })
}

/// What a check that runs patch code found wrong; unlike [`Violation`] it can
/// leave the thread the check ran on.
enum RunViolation {
    NoRuntime(HarnessError),
    EmittedPatchRefused(HarnessError),
    RuntimeBroken {
        refusal: HarnessError,
        after: String,
    },
}

impl From<RunViolation> for Violation {
    fn from(violation: RunViolation) -> Self {
        match violation {
            RunViolation::NoRuntime(e) => Violation::NoRuntime(e),
            RunViolation::EmittedPatchRefused(e) => Violation::EmittedPatchRefused(e),
            RunViolation::RuntimeBroken { refusal, after } => {
                Violation::RuntimeBroken { refusal, after }
            }
        }
    }
}

fn run_source_patch(wasm: &[u8], symbols_export: &str) -> Result<(), RunViolation> {
    let mut runtime = Runtime::new_baseline().map_err(RunViolation::NoRuntime)?;
    match load_within_budget(&mut runtime, wasm, symbols_export) {
        // Thrown: a form's value threw as it was printed (a lazy seq
        // realized by the printer), as it does in Clojure's REPL.
        Ok(_)
        | Err(
            HarnessError::OutOfFuel { .. } | HarnessError::Trap { .. } | HarnessError::Thrown(_),
        ) => Ok(()),
        Err(refusal) => Err(RunViolation::EmittedPatchRefused(refusal)),
    }
}

/// [`check_source`] without loading the patch: the compiler alone, for
/// runs of many millions of cases.
pub fn check_source_compiles(bytes: &[u8]) -> Result<(), Violation> {
    compile_checked(bytes).map(drop)
}

/// The patch the text compiles to, validated, or None for a rejection
/// with a diagnostic inside the text.
fn compile_checked(bytes: &[u8]) -> Result<Option<Patch>, Violation> {
    let text = String::from_utf8_lossy(bytes);
    let source = SourceFile::new("fuzz.jank", text.as_ref());
    let options = PatchOptions {
        patch_id: PATCH_ID,
        abi: Abi::Extended,
    };
    let patch = match Session::new().compile(&source, &options) {
        Ok(patch) => patch,
        Err(Failure::Diagnostic(diagnostic)) => {
            return check_position(&text, diagnostic).map(|()| None)
        }
        Err(Failure::Internal(internal)) => return Err(Violation::Internal(internal)),
    };
    wasmparser::Validator::new()
        .validate_all(&patch.bytes)
        .map_err(|e| Violation::InvalidModule(e.to_string()))?;
    Ok(Some(patch))
}

/// A diagnostic's line must be one of the text's lines and its column at
/// most one past that line's last character.
fn check_position(text: &str, diagnostic: Diagnostic) -> Result<(), Violation> {
    let lines = text.split('\n').count();
    let line_len = usize::try_from(diagnostic.pos.line)
        .ok()
        .and_then(|line| line.checked_sub(1))
        .and_then(|index| text.split('\n').nth(index))
        .map(|line| line.chars().count());
    let inside = match line_len {
        Some(len) => diagnostic.pos.col >= 1 && diagnostic.pos.col as usize <= len + 1,
        None => false,
    };
    if inside {
        Ok(())
    } else {
        Err(Violation::DiagnosticOutsideText { diagnostic, lines })
    }
}

/// Patch bytes (mutated real patches) through the loader of a fresh
/// runtime, which reads `dylink.0` first. Whatever the bytes, the answer is
/// a value or a typed error; and a patch refused before any of its code ran
/// leaves the runtime working. (Once patch code has run, a trap may have
/// left the shared memory in any state: a runtime that saw a trap or an
/// interrupt is replaced, by contract.)
pub fn check_patch(bytes: &[u8]) -> Result<(), Violation> {
    let bytes = bytes.to_vec();
    on_check_thread(Box::new(move || load_patch_bytes(&bytes)))
}

fn load_patch_bytes(bytes: &[u8]) -> Result<(), RunViolation> {
    let mut runtime = Runtime::new_baseline().map_err(RunViolation::NoRuntime)?;
    let refusal = match load_within_budget(&mut runtime, bytes, SYMBOLS_EXPORT) {
        Ok(())
        | Err(
            HarnessError::OutOfFuel { .. }
            | HarnessError::Trap { .. }
            | HarnessError::Thrown(_)
            | HarnessError::Protocol(_),
        ) => return Ok(()),
        Err(refusal) => refusal,
    };
    match runtime.call_var("clojure.core", "inc", &[Arg::Int(41)]) {
        Ok(value) if value.printed == "42" => Ok(()),
        Ok(value) => Err(RunViolation::RuntimeBroken {
            refusal,
            after: format!("(inc 41) printed {}", value.printed),
        }),
        Err(after) => Err(RunViolation::RuntimeBroken {
            refusal,
            after: after.to_string(),
        }),
    }
}

/// Loads a patch, stopping it once it has used [`RUN_FUEL`].
fn load_within_budget(
    runtime: &mut Runtime,
    bytes: &[u8],
    symbols_export: &str,
) -> Result<(), HarnessError> {
    runtime
        .load_patch_with_fuel(bytes, symbols_export, RUN_FUEL)
        .map(drop)
}

/// nREPL bytes as a connection reads them: framed, in one piece and in
/// pieces of every size the first byte picks (a stream's framing must not
/// depend on how it arrives), within the framing limits, each message
/// decoded and read as the dispatcher reads it (its fields, the eval
/// position) and answered with its `id` echoed, which must survive encoding.
pub fn check_nrepl(bytes: &[u8]) -> Result<(), Violation> {
    let whole = frame_in_pieces(bytes, bytes.len().max(1));
    let piece = 1 + usize::from(bytes.first().copied().unwrap_or(0) % 16);
    if frame_in_pieces(bytes, piece) != whole {
        return Err(Violation::FramingDependsOnPieces { piece });
    }
    let (messages, _) = whole;
    for framed in &messages {
        if framed.bytes.len() > bencode::MAX_MESSAGE_BYTES {
            return Err(Violation::FramedOverLimit(format!(
                "{} bytes kept",
                framed.bytes.len()
            )));
        }
        if let Some(elided) = framed
            .elided
            .iter()
            .find(|elided| elided.bytes <= bencode::MAX_STRING_BYTES)
        {
            return Err(Violation::FramedOverLimit(format!(
                "a {}-byte string elided",
                elided.bytes
            )));
        }
        if let Ok(message) = Message::decode(&framed.bytes) {
            read_like_dispatch(&message)?;
        }
    }
    Ok(())
}

/// The messages framed from `bytes` fed `piece` bytes at a time, and the
/// error that stopped the framing, if any.
fn frame_in_pieces(bytes: &[u8], piece: usize) -> (Vec<Framed>, Option<FramingError>) {
    let mut framer = Framer::default();
    let mut messages = Vec::new();
    for chunk in bytes.chunks(piece) {
        let pushed = framer.push(chunk);
        messages.extend(pushed.messages);
        if pushed.error.is_some() {
            return (messages, pushed.error);
        }
    }
    (messages, None)
}

fn read_like_dispatch(message: &Message) -> Result<(), Violation> {
    for key in [
        "op",
        "code",
        "ns",
        "session",
        "file",
        "file-path",
        "prefix",
        "sym",
        "symbol",
    ] {
        let _ = message.str(key);
    }
    let _ = crate::serve::nrepl::position(message);
    let Some(id) = message.get("id") else {
        return Ok(());
    };
    let reply = Response::new()
        .set("id", id.clone())
        .status(&["done"])
        .encode();
    let echoed = Message::decode(&reply)
        .ok()
        .and_then(|decoded| decoded.get("id").cloned());
    if echoed.as_ref() == Some(id) {
        Ok(())
    } else {
        Err(Violation::EchoLost {
            id: serde_bencode::to_bytes(id).unwrap_or_default(),
            reply,
        })
    }
}

/// A page's text frame interpreted as the server does, before and after a
/// handshake. A refusal says why; a handshake's `last_patch_id` moves the
/// id counter past it, so no id the page has loaded is handed out again,
/// and never past the largest id, so a page cannot use up the ids.
pub fn check_page_message(bytes: &[u8]) -> Result<(), Violation> {
    let text = String::from_utf8_lossy(bytes);
    let ids = page_ids()?;
    let reported = match serde_json::from_str::<PageMessage>(&text) {
        Ok(PageMessage::Handshake(handshake)) => handshake.last_patch_id,
        _ => None,
    };
    for page in [None, Some(1)] {
        match interpret(&text, page, ids) {
            PageRequest::Refuse(error) if error.is_empty() => return Err(Violation::SilentRefusal),
            PageRequest::Connect { .. } => {
                let next = ids.lock().unwrap_or_else(|p| p.into_inner()).peek();
                match reported {
                    Some(last) if last < MAX_PATCH_ID && next <= last => {
                        return Err(Violation::PatchIdRepeats { last, next })
                    }
                    Some(last) if next > MAX_PATCH_ID => {
                        return Err(Violation::PatchIdsExhausted { last, next })
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// One id counter for the process, in a temporary directory of its own.
fn page_ids() -> Result<&'static Mutex<PatchIds>, Violation> {
    static IDS: OnceLock<Result<(tempfile::TempDir, Mutex<PatchIds>), String>> = OnceLock::new();
    let ids = IDS.get_or_init(|| {
        let dir = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
        let ids = PatchIds::open(dir.path()).map_err(|e| e.to_string())?;
        Ok((dir, Mutex::new(ids)))
    });
    match ids {
        Ok((_, ids)) => Ok(ids),
        Err(error) => Err(Violation::Setup(error.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Pos;

    fn at(line: u32, col: u32) -> Diagnostic {
        Diagnostic::new(&SourceFile::new("t.jank", ""), Pos::new(line, col), "m")
    }

    #[test]
    fn a_position_must_be_on_a_line_of_the_text_and_at_most_one_past_its_end() {
        let text = "(ab\ncdé";
        for (line, col) in [(1, 1), (1, 4), (2, 4)] {
            assert!(check_position(text, at(line, col)).is_ok(), "{line}:{col}");
        }
        for (line, col) in [(0, 1), (1, 0), (1, 5), (2, 5), (3, 1)] {
            assert!(
                matches!(
                    check_position(text, at(line, col)),
                    Err(Violation::DiagnosticOutsideText { lines: 2, .. })
                ),
                "{line}:{col}"
            );
        }
    }
}
