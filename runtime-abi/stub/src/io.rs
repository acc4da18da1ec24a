//! Output and the host's view of throws: in wasm everything printed goes to
//! the host's `write(fd, ptr, len)` import (on the host, tests capture it and
//! other builds use std's streams), and every throw calls its
//! `exception_thrown(exception)` import, whose frames become the trace of
//! the exception's first throw; its `now()` import is the clock. `with-out-str` captures stdout
//! instead, innermost capture first.

use std::cell::RefCell;

thread_local! {
    /// Open `with-out-str` captures, innermost last.
    static OUT_CAPTURES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    /// `clojure.core/*out*`, interned once.
    static OUT_VAR: crate::object::Obj = crate::var::intern("clojure.core", "*out*");
}

/// Where output goes now: standard error while `*out*` is bound to `*err*`
/// (`(binding [*out* *err*] ...)`), else standard output.
fn out_fd() -> i32 {
    let out = OUT_VAR.with(|var| crate::var::current(*var));
    match out.as_deref() {
        Some(crate::object::Object::Stream(crate::object::Stream::Err)) => STDERR,
        _ => STDOUT,
    }
}

/// Writes `text` to `fd` (1 stdout, i.e. `*out*`, 2 stderr), or to the
/// innermost `with-out-str` capture for stdout.
pub fn write(fd: i32, text: &str) {
    let fd = if fd == STDOUT { out_fd() } else { fd };
    if fd == STDOUT {
        let captured = OUT_CAPTURES.with(|captures| match captures.borrow_mut().last_mut() {
            Some(capture) => {
                capture.push_str(text);
                true
            }
            None => false,
        });
        if captured {
            return;
        }
    }
    emit(fd, text);
}

/// Runs `body` with stdout captured; returns its result and what it printed
/// (the capture ends even when `body` throws).
pub fn capture_out<T>(body: impl FnOnce() -> T) -> (T, String) {
    OUT_CAPTURES.with(|captures| captures.borrow_mut().push(String::new()));
    let result = body();
    let printed = OUT_CAPTURES.with(|captures| captures.borrow_mut().pop().unwrap_or_default());
    (result, printed)
}

pub const STDOUT: i32 = 1;
pub const STDERR: i32 = 2;

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "host")]
extern "C" {
    #[link_name = "write"]
    fn host_write(fd: i32, ptr: *const u8, len: i32);
    #[link_name = "exception_thrown"]
    fn host_exception_thrown(exception: usize) -> i32;
    #[link_name = "exception_frames"]
    fn host_exception_frames(into: *mut u8);
    #[link_name = "now"]
    fn host_now() -> f64;
    #[link_name = "wall_clock"]
    fn host_wall_clock() -> f64;
}

/// The host's wall clock in milliseconds since the Unix epoch
/// (System/currentTimeMillis).
#[cfg(target_arch = "wasm32")]
pub fn current_time_millis() -> i64 {
    // SAFETY: the host only answers a number; it reads no memory.
    unsafe { host_wall_clock() as i64 }
}

/// Outside wasm: the system's clock.
#[cfg(not(target_arch = "wasm32"))]
pub fn current_time_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// The host's monotonic clock in nanoseconds (`time`'s System/nanoTime).
#[cfg(target_arch = "wasm32")]
pub fn nano_time() -> i64 {
    // SAFETY: the host only answers a number; it reads no memory.
    let millis = unsafe { host_now() };
    (millis * 1_000_000.0) as i64
}

/// Outside wasm: the process's monotonic clock.
#[cfg(not(target_arch = "wasm32"))]
pub fn nano_time() -> i64 {
    thread_local! {
        static START: std::time::Instant = std::time::Instant::now();
    }
    START.with(|start| i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX))
}

/// Tells the host `exception` is being thrown while the frames that threw
/// it are still on the stack, so it can record the jank frames it passes;
/// the first throw of an exception object keeps them as its trace.
#[cfg(target_arch = "wasm32")]
pub fn exception_thrown(exception: crate::object::Obj) {
    // SAFETY: the host only reads the stack; the value is an address it keys by.
    let length = crate::gc::host_callback(|| unsafe { host_exception_thrown(exception.addr()) });
    let crate::object::Object::Exception(e) = &*exception else {
        return;
    };
    if e.trace.get().is_some() {
        return;
    }
    let mut frames = vec![0u8; usize::try_from(length).unwrap_or(0)];
    if !frames.is_empty() {
        // SAFETY: the host writes exactly the `length` bytes it announced.
        crate::gc::host_callback(|| unsafe { host_exception_frames(frames.as_mut_ptr()) });
    }
    let _ = e
        .trace
        .set(crate::error::parse_trace(&String::from_utf8_lossy(&frames)));
}

/// Outside wasm there are no patch frames to record.
#[cfg(not(target_arch = "wasm32"))]
pub fn exception_thrown(_exception: crate::object::Obj) {}

/// Writes `text` to `fd` (1 stdout, 2 stderr) in one piece.
#[cfg(target_arch = "wasm32")]
fn emit(fd: i32, text: &str) {
    if text.is_empty() {
        return;
    }
    let len = i32::try_from(text.len()).unwrap_or(i32::MAX);
    // SAFETY: the host reads len bytes at ptr during the call.
    crate::gc::host_callback(|| unsafe { host_write(fd, text.as_ptr(), len) })
}

#[cfg(all(not(target_arch = "wasm32"), test))]
thread_local! {
    static CAPTURED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Writes `text` to the test capture buffer.
#[cfg(all(not(target_arch = "wasm32"), test))]
fn emit(_fd: i32, text: &str) {
    CAPTURED.with(|c| c.borrow_mut().push_str(text));
}

/// Everything written since the last call (tests).
#[cfg(all(not(target_arch = "wasm32"), test))]
pub fn take_output() -> String {
    CAPTURED.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

/// Writes `text` to the process's stdout or stderr.
#[cfg(all(not(target_arch = "wasm32"), not(test)))]
fn emit(fd: i32, text: &str) {
    use std::io::Write as _;
    let result = if fd == 2 {
        std::io::stderr().write_all(text.as_bytes())
    } else {
        std::io::stdout().write_all(text.as_bytes())
    };
    drop(result);
}
