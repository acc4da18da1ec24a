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

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::forms::{self, Segment};
use super::hub::{Audience, Delivery, Hub};
use super::patch_ids::{PatchIdError, PatchIds};
use super::protocol::DiagnosticReport;
use crate::diag::Failure;
use crate::lower::{Abi, Patch};
use crate::session::{CompiledSource, Session};
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
    /// The nREPL session whose `*1 *2 *3 *e` the forms' values become.
    pub repl_session: Option<String>,
    /// Refuse a namespace the compiler does not know instead of creating it
    /// (an nREPL request naming its `ns`, which nREPL refuses the same way).
    pub ns_must_exist: bool,
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
    #[error("namespace not found: {0}")]
    NamespaceNotFound(String),
    #[error("the compiler thread has stopped")]
    Stopped,
}

/// A completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub candidate: String,
    pub ns: Option<String>,
    /// `function`, `macro`, `special-form`, `var`, `namespace` or `keyword`.
    pub kind: &'static str,
    /// Printed argument vectors, when known.
    pub arglists: Vec<String>,
    pub doc: Option<String>,
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
    /// The last text of each project file that compiled.
    file_texts: HashMap<String, String>,
    /// Macros the last compilation (re)defined, whose users in project
    /// files compiled before it are recompiled next.
    redefined_macros: Vec<String>,
    /// Counts compilations, so a form compiled in the same one as the
    /// macro it uses is known to be up to date.
    generation: u64,
    /// Every keyword in the forms compiled so far, for completion.
    keywords: BTreeSet<String>,
}

/// A top-level form compiled on its own.
struct SegmentOutput {
    /// Its patch and id; None when it has no registry entry.
    patch: Option<(u64, Patch)>,
    /// The user macros it expanded.
    macros_used: Vec<String>,
}

enum SegmentError {
    Failure(Failure),
    PatchIds(PatchIdError),
}

impl Compiler {
    /// One top-level form into its own patch (no patch when it has no
    /// registry entry). The namespaces it requires that the session loads
    /// from the source paths go to `pending` first, a patch per file.
    fn compile_segment(
        &mut self,
        file: &str,
        segment: &Segment<'_>,
        pending: &mut Vec<batch::Pending>,
    ) -> Result<SegmentOutput, SegmentError> {
        let source = SourceFile::new(file, segment.positioned_text());
        let keywords = forms::keywords(&source.text, self.session.namespaces());
        let checkpoint = self.session.checkpoint();
        let ids = self.ids.clone();
        let mut exhausted = None;
        let mut next_id = || match ids.lock().unwrap_or_else(|p| p.into_inner()).allocate() {
            Ok(id) => id,
            Err(error) => {
                exhausted.get_or_insert(error);
                0
            }
        };
        let mut compiled = self
            .session
            .compile_program(&source, Abi::Extended, &mut next_id)
            .map_err(SegmentError::Failure)?;
        if let Some(error) = exhausted {
            self.session.rollback(checkpoint);
            return Err(SegmentError::PatchIds(error));
        }
        self.keywords.extend(keywords);
        let Some(own) = compiled.pop() else {
            return Ok(SegmentOutput {
                patch: None,
                macros_used: Vec::new(),
            });
        };
        for CompiledSource { source, patch, .. } in compiled {
            pending.push(batch::Pending {
                pos: Pos::new(1, 1),
                file: source.name.to_string(),
                patch: Some((patch.id, patch)),
                requested: false,
                file_form: None,
            });
        }
        Ok(SegmentOutput {
            macros_used: own.macros_used,
            patch: (!own.patch.entries.is_empty()).then_some((own.patch.id, own.patch)),
        })
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
