//! The headless runtime: the stub main module under wasmtime
//! (`jank_wasmtime_harness::Runtime`) on a thread of its own. It loads every
//! patch the hub pushes, in order, so its state follows the pages' and it
//! can answer an evaluation when no page is connected (or every page went
//! away). Its report on each load has the shape of a page's `patch_ack`.
//! A load nobody waits for any more (interrupted by the editor, timed out,
//! its request gone) can be stopped; one still queued is skipped, unless it
//! defines something, since the pages run every definition and the headless
//! runtime must hold the same vars. An evaluation's time runs from when this
//! runtime begins its patch (`AckEvent::HeadlessStarted`), so one sent while
//! the runtime is still starting (compiling the stub takes seconds on a
//! loaded machine) or busy with earlier patches does not give up meanwhile. After a stopped, trapping or
//! out-of-memory load the runtime is replaced by a fresh one into which the
//! definitions loaded so far are replayed, so a runaway loop costs the
//! headless runtime its `defonce` state, never the server its answers.

use std::collections::HashSet;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use jank_wasmtime_harness::{EntryOutcome, HarnessError, Interrupter, Runtime};
use tokio::sync::mpsc::UnboundedSender;

use super::hub::{AckEvent, PatchRecord, ReplayLog};
use super::protocol::{EntryResult, PatchAck};
use super::warn;

struct Job {
    patch: Arc<PatchRecord>,
    reply: UnboundedSender<AckEvent>,
    answered: bool,
}

/// A job dropped unanswered (the runtime thread is gone) says so, so its
/// evaluation stops waiting for a run that will not come.
impl Drop for Job {
    fn drop(&mut self) {
        if !self.answered {
            let _ = self.reply.send(AckEvent::HeadlessGone);
        }
    }
}

/// Where the runtime thread is in its queue, so a patch can be stopped
/// whether it is loading or still waiting.
#[derive(Default)]
struct Loading {
    /// The patch loading now, and how to stop it.
    current: Option<Current>,
    /// The last patch the thread took up: ids grow, so a higher one waits.
    last_taken: Option<u64>,
    /// Waiting patches whose evaluation was given up: skipped when reached.
    cancelled: HashSet<u64>,
}

struct Current {
    id: u64,
    interrupter: Interrupter,
    /// Loaded only for its definitions: its evaluation was given up while
    /// it waited. Nobody waits for it, so the next evaluation to give up
    /// behind it stops it.
    orphan: bool,
}

/// The handle the hub feeds patches through.
pub struct Headless {
    jobs: Mutex<Sender<Job>>,
    loading: Arc<Mutex<Loading>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The runtime thread's own state: the runtime (or why it could not start)
/// and what to replay into a replacement.
struct Worker {
    runtime: Result<Runtime, String>,
    definitions: ReplayLog,
    loading: Arc<Mutex<Loading>>,
}

impl Worker {
    fn load(&mut self, patch: &Arc<PatchRecord>) -> PatchAck {
        let runtime = match &mut self.runtime {
            Ok(runtime) => runtime,
            Err(error) => {
                return PatchAck {
                    id: patch.id,
                    ok: false,
                    error: Some(format!("the headless runtime did not start: {error}")),
                    ..PatchAck::default()
                }
            }
        };
        let interrupter = runtime.interrupter();
        let orphan;
        {
            let mut loading = lock(&self.loading);
            loading.last_taken = Some(patch.id);
            orphan = loading.cancelled.remove(&patch.id);
            // The pages run every patch: a definition skipped here would
            // leave the headless runtime without a var the pages have.
            if orphan && patch.replay_keys.is_empty() {
                return PatchAck {
                    id: patch.id,
                    ok: false,
                    error: Some(
                        "not run: its evaluation was given up before the headless runtime \
                         reached it"
                            .into(),
                    ),
                    ..PatchAck::default()
                };
            }
            loading.current = interrupter.clone().map(|interrupter| Current {
                id: patch.id,
                interrupter,
                orphan,
            });
        }
        let started = Instant::now();
        let loaded = runtime.load_patch(&patch.bytes, &patch.symbols_export);
        {
            let mut loading = lock(&self.loading);
            loading.current = None;
            if let Some(interrupter) = &interrupter {
                interrupter.clear();
            }
        }
        // After an interruption, a trap or exhausted memory the stub's heap
        // may be mid-update or full: start afresh rather than trust it.
        let broken = matches!(
            loaded,
            Err(HarnessError::Interrupted { .. }
                | HarnessError::Trap { .. }
                | HarnessError::Alloc { .. })
        );
        let mut ack = report(runtime, patch.id, loaded, started);
        if broken {
            let restarted = self.restart();
            if let Some(error) = &mut ack.error {
                error.push_str(&format!("; {restarted}"));
            }
        } else {
            self.definitions.record(patch);
        }
        ack
    }

    /// Replaces the runtime with a fresh one holding the definitions loaded
    /// so far; says what it did.
    fn restart(&mut self) -> String {
        let mut runtime = match Runtime::new_interruptible() {
            Ok(runtime) => runtime,
            Err(error) => {
                let error = error.to_string();
                self.runtime = Err(error.clone());
                return format!("the headless runtime could not be restarted: {error}");
            }
        };
        let definitions = self.definitions.patches_after(None);
        let mut failed = Vec::new();
        for patch in &definitions {
            if runtime
                .load_patch(&patch.bytes, &patch.symbols_export)
                .is_err()
            {
                failed.push(patch.id.to_string());
            }
        }
        runtime.take_output();
        runtime.take_stderr();
        self.runtime = Ok(runtime);
        let mut said = format!(
            "the headless runtime was restarted with the {} definitions loaded before",
            definitions.len()
        );
        if !failed.is_empty() {
            said.push_str(&format!(" (patches {} failed again)", failed.join(", ")));
        }
        said
    }
}

impl Headless {
    /// Starts the runtime thread. A runtime that cannot be created (the stub
    /// failed to compile) answers every load with that error.
    pub fn spawn() -> Self {
        let (jobs, receiver) = channel::<Job>();
        let loading = Arc::new(Mutex::new(Loading::default()));
        let worker_loading = Arc::clone(&loading);
        std::thread::Builder::new()
            .name("jankwasm-headless".into())
            // Its runtime's wasm runs on this thread's stack.
            .stack_size(jank_wasmtime_harness::HOST_STACK_BYTES)
            .spawn(move || {
                // Compiling the stub takes a while: not on the caller's thread.
                let mut worker = Worker {
                    runtime: Runtime::new_interruptible().map_err(|e| e.to_string()),
                    definitions: ReplayLog::default(),
                    loading: worker_loading,
                };
                for mut job in receiver {
                    // The evaluation's time runs from here.
                    let _ = job.reply.send(AckEvent::HeadlessStarted);
                    let ack = worker.load(&job.patch);
                    // The evaluation may have its answer from a page already.
                    let _ = job.reply.send(AckEvent::Headless(ack));
                    job.answered = true;
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| warn(&format!("jankwasm serve: no headless runtime: {e}")));
        Self {
            jobs: Mutex::new(jobs),
            loading,
        }
    }

    /// Queues `patch`; its report goes to `reply`. False when the runtime
    /// thread is gone (evaluations then time out with a clear message).
    pub fn load(&self, patch: Arc<PatchRecord>, reply: UnboundedSender<AckEvent>) -> bool {
        let job = Job {
            patch,
            reply,
            answered: false,
        };
        match lock(&self.jobs).send(job) {
            Ok(()) => true,
            Err(std::sync::mpsc::SendError(mut job)) => {
                job.answered = true;
                false
            }
        }
    }

    /// Stops patch `id` if it is loading now, or skips it when its turn comes
    /// if it is still waiting (a patch with definitions is loaded all the
    /// same, as the pages load it); false when it has been loaded already.
    pub fn interrupt(&self, id: u64) -> bool {
        let mut loading = lock(&self.loading);
        if let Some(current) = &loading.current {
            if current.id == id {
                current.interrupter.interrupt();
                return true;
            }
            if current.orphan && id > current.id {
                current.interrupter.interrupt();
            }
        }
        if loading.last_taken.is_none_or(|taken| id > taken) {
            loading.cancelled.insert(id);
            return true;
        }
        false
    }
}

/// Loads patch `id` into `runtime` and reports it the way a page does.
pub fn load(runtime: &mut Runtime, id: u64, bytes: &[u8], symbols_export: &str) -> PatchAck {
    let started = Instant::now();
    let loaded = runtime.load_patch(bytes, symbols_export);
    report(runtime, id, loaded, started)
}

/// The `patch_ack` for a load that began at `started`, with what the
/// runtime printed meanwhile.
fn report(
    runtime: &mut Runtime,
    id: u64,
    loaded: Result<Vec<EntryOutcome>, HarnessError>,
    started: Instant,
) -> PatchAck {
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let output = runtime.take_output();
    let stderr = runtime.take_stderr();
    match loaded {
        Ok(outcomes) => PatchAck {
            id,
            ok: true,
            error: None,
            load_ms: Some(load_ms),
            results: outcomes
                .into_iter()
                .map(|outcome| match outcome.result {
                    Ok(value) => EntryResult {
                        name: outcome.qualified_name,
                        value: Some(value.printed),
                        error: None,
                    },
                    Err(thrown) => EntryResult {
                        name: outcome.qualified_name,
                        value: None,
                        error: Some(thrown.with_frames()),
                    },
                })
                .collect(),
            output,
            stderr,
        },
        Err(error) => PatchAck {
            id,
            ok: false,
            error: Some(error.to_string()),
            load_ms: Some(load_ms),
            results: Vec::new(),
            output,
            stderr,
        },
    }
}
