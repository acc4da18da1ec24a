//! The compiler thread: the server's one `Session` (compile-time namespaces,
//! requires and vars) lives on a thread of its own, because compiling is CPU
//! work that must stay off the async threads and the session is not `Send`.
//! This module owns the thread's state and its answers' types; each concern
//! has a module of its own:
//! - `queue`: the job queue and [`CompilerHandle`], the async side's way in;
//!   jobs run one at a time, so every patch reaches the hub in id order.
//! - `batch`: a request's forms, all or nothing (an editor's evaluation) or
//!   definitions only (the `--upstream` proxy).
//! - `files`: per project file, the text of each top-level form last
//!   compiled, so a saved file recompiles only the forms that changed.
//! - `broadcast`: pushing a batch's patches to the hub at once, and compile
//!   errors to every page.
//! - `wire`: a patch as the hub keeps and sends it, diagnostics as reports.
//! - `lookup`: completion and var docs, asked of the session's namespaces.

mod batch;
mod broadcast;
mod files;
mod lookup;
mod queue;
mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::forms::Segment;
use super::hub::{Audience, Delivery, Hub};
use super::patch_ids::{PatchIdError, PatchIds};
use super::protocol::DiagnosticReport;
use crate::diag::Failure;
use crate::lower::{Abi, Patch, PatchOptions};
use crate::session::Session;
use crate::source::{Pos, SourceFile};

pub use queue::CompilerHandle;

/// Source to compile and where it comes from.
#[derive(Debug, Clone)]
pub struct CompileRequest {
    /// The file name diagnostics and patches carry.
    pub file: String,
    pub text: String,
    /// Where `text` starts in that file.
    pub origin: Pos,
    /// The namespace the forms start in.
    pub ns: String,
    pub mode: CompileMode,
    /// Who runs the forms that define nothing; definitions go to every page.
    pub audience: Audience,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompileMode {
    /// Every form compiles or nothing is pushed (an editor's evaluation).
    Atomic,
    /// Each form on its own, and only definitions are pushed: what the
    /// `--upstream` proxy does with code the native REPL evaluates.
    DefsOnly,
}

/// What a compilation pushed.
#[derive(Debug)]
pub struct Compiled {
    /// The namespace after the forms (an `ns` form changes it).
    pub ns: String,
    /// One per top-level form, in order.
    pub forms: Vec<CompiledForm>,
    /// `DefsOnly`: definitions that did not compile (and were not pushed).
    pub errors: Vec<DiagnosticReport>,
}

#[derive(Debug)]
pub struct CompiledForm {
    pub pos: Pos,
    /// None when the form has no registry entry (`ns`, `declare`) or was not pushed.
    pub delivery: Option<Delivery>,
}

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("{}", wire::render_all(.0))]
    Diagnostics(Vec<DiagnosticReport>),
    #[error(transparent)]
    PatchIds(#[from] PatchIdError),
    #[error("the compiler thread has stopped")]
    Stopped,
}

/// A completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub candidate: String,
    pub ns: Option<String>,
    /// `function`, `var` or `namespace`.
    pub kind: &'static str,
}

/// What is known about a var, for lookup/info/eldoc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarDoc {
    pub ns: String,
    pub name: String,
    pub doc: Option<String>,
    pub arglists: Vec<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

struct Compiler {
    session: Session,
    hub: Arc<Hub>,
    ids: Arc<Mutex<PatchIds>>,
    files: HashMap<String, files::FileForms>,
}

enum SegmentError {
    Failure(Failure),
    PatchIds(PatchIdError),
}

impl Compiler {
    /// One top-level form into its own patch; None when it has no registry
    /// entry (nothing to load).
    fn compile_segment(
        &mut self,
        file: &str,
        segment: &Segment<'_>,
    ) -> Result<Option<(u64, Patch)>, SegmentError> {
        let id = self
            .ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .allocate()
            .map_err(SegmentError::PatchIds)?;
        let source = SourceFile::new(file, segment.positioned_text());
        let options = PatchOptions {
            patch_id: id,
            abi: Abi::Extended,
        };
        let patch = self
            .session
            .compile(&source, &options)
            .map_err(SegmentError::Failure)?;
        Ok((!patch.entries.is_empty()).then_some((id, patch)))
    }

    /// The namespace `ns` when it exists, else `user`, made current.
    fn enter_existing(&mut self, ns: &str) {
        let ns = if self.session.namespaces().exists(ns) {
            ns
        } else {
            "user"
        };
        self.session.enter_ns(ns);
    }
}
