//! The headless runtime: the stub main module under wasmtime
//! (`jank_wasmtime_harness::Runtime`) on a thread of its own. It loads every
//! patch the hub pushes, in order, so its state follows the pages' and it
//! can answer an evaluation when no page is connected (or every page went
//! away). Its report on each load has the shape of a page's `patch_ack`.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use jank_wasmtime_harness::Runtime;
use tokio::sync::mpsc::UnboundedSender;

use super::hub::{AckEvent, PatchRecord};
use super::protocol::{EntryResult, PatchAck};
use super::warn;

struct Job {
    patch: Arc<PatchRecord>,
    reply: UnboundedSender<AckEvent>,
}

/// The handle the hub feeds patches through.
pub struct Headless {
    jobs: Mutex<Sender<Job>>,
}

impl Headless {
    /// Starts the runtime thread. A runtime that cannot be created (the stub
    /// failed to compile) answers every load with that error.
    pub fn spawn() -> Self {
        let (jobs, receiver) = channel::<Job>();
        std::thread::Builder::new()
            .name("jankwasm-headless".into())
            .spawn(move || {
                let mut runtime = Runtime::new().map_err(|e| e.to_string());
                for job in receiver {
                    let ack = match &mut runtime {
                        Ok(runtime) => load(
                            runtime,
                            job.patch.id,
                            &job.patch.bytes,
                            &job.patch.symbols_export,
                        ),
                        Err(error) => PatchAck {
                            id: job.patch.id,
                            ok: false,
                            error: Some(format!("the headless runtime did not start: {error}")),
                            ..PatchAck::default()
                        },
                    };
                    // The evaluation may have its answer from a page already.
                    let _ = job.reply.send(AckEvent::Headless(ack));
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| warn(&format!("jankwasm serve: no headless runtime: {e}")));
        Self {
            jobs: Mutex::new(jobs),
        }
    }

    /// Queues `patch`; its report goes to `reply`.
    pub fn load(&self, patch: Arc<PatchRecord>, reply: UnboundedSender<AckEvent>) {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        // If the thread is gone, evaluations time out with a clear message.
        let _ = jobs.send(Job { patch, reply });
    }
}

/// Loads patch `id` into `runtime` and reports it the way a page does.
pub fn load(runtime: &mut Runtime, id: u64, bytes: &[u8], symbols_export: &str) -> PatchAck {
    let started = Instant::now();
    let loaded = runtime.load_patch(bytes, symbols_export);
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
                        error: Some(thrown.printed),
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
