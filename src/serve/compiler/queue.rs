//! The job queue: the async side sends jobs to the compiler thread and awaits
//! each answer on a oneshot channel. One thread, one job at a time.

use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::{Candidate, CompileError, CompileRequest, Compiled, Compiler, VarDoc};
use crate::macro_runtime::HarnessMacroRuntime;
use crate::serve::hub::Hub;
use crate::serve::patch_ids::PatchIds;
use crate::session::{Session, SourcePaths};

enum Job {
    Compile(
        CompileRequest,
        oneshot::Sender<Result<Compiled, CompileError>>,
    ),
    File {
        file: String,
        /// None: the file was deleted.
        text: Option<String>,
        reply: oneshot::Sender<Result<Compiled, CompileError>>,
    },
    Complete {
        ns: String,
        prefix: String,
        reply: oneshot::Sender<Vec<Candidate>>,
    },
    Lookup {
        ns: String,
        symbol: String,
        reply: oneshot::Sender<Option<VarDoc>>,
    },
    Namespaces(oneshot::Sender<Vec<String>>),
}

/// The async side's way into the compiler thread.
#[derive(Clone)]
pub struct CompilerHandle {
    jobs: Sender<Job>,
}

impl CompilerHandle {
    /// Starts the compiler thread; it pushes patches to `hub`.
    /// Its session loads required namespaces from `source_paths` and runs
    /// user macros in a compile-time runtime.
    pub fn spawn(
        hub: Arc<Hub>,
        ids: Arc<Mutex<PatchIds>>,
        source_paths: SourcePaths,
    ) -> std::io::Result<Self> {
        let (jobs, receiver) = channel();
        std::thread::Builder::new()
            .name("jankwasm-compiler".into())
            // Its runtime's wasm runs on this thread's stack.
            .stack_size(jank_wasmtime_harness::HOST_STACK_BYTES)
            .spawn(move || {
                let mut session =
                    Session::new().with_compile_time_runtime(Box::new(HarnessMacroRuntime::new()));
                *session.source_paths_mut() = source_paths;
                session.include_frames();
                let compiler = Compiler {
                    session,
                    hub,
                    ids,
                    files: HashMap::new(),
                    file_texts: HashMap::new(),
                    redefined_macros: Vec::new(),
                    generation: 0,
                    keywords: BTreeSet::new(),
                };
                run(compiler, receiver)
            })?;
        Ok(Self { jobs })
    }

    async fn ask<T>(&self, job: impl FnOnce(oneshot::Sender<T>) -> Job) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(job(reply)).ok()?;
        answer.await.ok()
    }

    /// Compiles `request` and pushes its patches.
    pub async fn compile(&self, request: CompileRequest) -> Result<Compiled, CompileError> {
        self.ask(|reply| Job::Compile(request, reply))
            .await
            .unwrap_or(Err(CompileError::Stopped))
    }

    /// Compiles the forms of project file `file` that changed since it was
    /// last compiled (all of them the first time) and pushes them; `None`
    /// text forgets a deleted file.
    pub async fn file_changed(
        &self,
        file: String,
        text: Option<String>,
    ) -> Result<Compiled, CompileError> {
        self.ask(|reply| Job::File { file, text, reply })
            .await
            .unwrap_or(Err(CompileError::Stopped))
    }

    pub async fn complete(&self, ns: String, prefix: String) -> Vec<Candidate> {
        self.ask(|reply| Job::Complete { ns, prefix, reply })
            .await
            .unwrap_or_default()
    }

    /// Every namespace the compiler knows, sorted.
    pub async fn namespaces(&self) -> Vec<String> {
        self.ask(Job::Namespaces).await.unwrap_or_default()
    }

    pub async fn lookup(&self, ns: String, symbol: String) -> Option<VarDoc> {
        self.ask(|reply| Job::Lookup { ns, symbol, reply })
            .await
            .flatten()
    }
}

/// Answers jobs until every handle is dropped.
fn run(mut compiler: Compiler, jobs: Receiver<Job>) {
    for job in jobs {
        match job {
            Job::Compile(request, reply) => {
                let result = compiler.compile(request);
                let _ = reply.send(compiler.announce(result));
                compiler.recompile_macro_users();
            }
            Job::File { file, text, reply } => {
                let result = match text {
                    Some(text) => compiler.compile_file(&file, &text),
                    None => {
                        compiler.forget_file(&file);
                        Ok(Compiled {
                            ns: "user".into(),
                            forms: Vec::new(),
                            errors: Vec::new(),
                        })
                    }
                };
                let _ = reply.send(compiler.announce(result));
                compiler.recompile_macro_users();
            }
            Job::Complete { ns, prefix, reply } => {
                let _ = reply.send(compiler.complete(&ns, &prefix));
            }
            Job::Lookup { ns, symbol, reply } => {
                let _ = reply.send(compiler.lookup(&ns, &symbol));
            }
            Job::Namespaces(reply) => {
                let names = compiler.session.namespaces().names().map(str::to_string);
                let _ = reply.send(names.collect());
            }
        }
    }
}
