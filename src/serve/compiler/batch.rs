//! A request's forms as one batch, each form its own patch: `Atomic` compiles
//! every form or pushes nothing and rolls the session back; `DefsOnly`
//! compiles each form on its own and pushes only definitions.

use super::wire::{diagnostics, failure_report, segment_error};
use super::{
    CompileError, CompileMode, CompileRequest, Compiled, Compiler, SegmentError, SegmentOutput,
};
use crate::diag::Diagnostic;
use crate::lower::Patch;
use crate::serve::forms::{self, Segment};
use crate::source::{Pos, SourceFile};

/// The registry signature of forms evaluated for effect.
pub(super) const EVAL_SIGNATURE: &str = "eval";

/// A compiled form waiting to be pushed.
pub(super) struct Pending {
    pub(super) pos: Pos,
    pub(super) file: String,
    pub(super) patch: Option<(u64, Patch)>,
    /// False for a namespace `require` loaded on the way: its patch is
    /// pushed, but it is not one of the forms the request compiled.
    pub(super) requested: bool,
    /// For an effect form of a project file: its text, its replay key.
    pub(super) file_form: Option<String>,
}

impl Compiler {
    pub(super) fn compile(&mut self, request: CompileRequest) -> Result<Compiled, CompileError> {
        self.generation += 1;
        let whole = SourceFile::new(
            request.file.as_str(),
            forms::positioned(&request.text, request.origin),
        );
        let segments = forms::split(&request.text, request.origin)
            .map_err(|e| diagnostics(&Diagnostic::new(&whole, e.pos, e.message), &whole))?;
        if request.ns_must_exist && !self.session.namespaces().exists(&request.ns) {
            return Err(CompileError::NamespaceNotFound(request.ns));
        }
        self.session.enter_ns(&request.ns);
        self.session.set_repl_session(request.repl_session.clone());
        let compiled = self.compile_segments(&request, &whole, &segments);
        self.session.set_repl_session(None);
        compiled
    }

    fn compile_segments(
        &mut self,
        request: &CompileRequest,
        whole: &SourceFile,
        segments: &[Segment<'_>],
    ) -> Result<Compiled, CompileError> {
        let mut pending = Vec::with_capacity(segments.len());
        let mut errors = Vec::new();
        match request.mode {
            CompileMode::Atomic => {
                let checkpoint = self.session.checkpoint();
                for segment in segments {
                    match self.compile_segment(&request.file, segment, &mut pending) {
                        Ok(SegmentOutput { patch, .. }) => pending.push(Pending {
                            pos: segment.form_pos,
                            file: request.file.clone(),
                            patch,
                            requested: true,
                            file_form: None,
                        }),
                        Err(error) => {
                            self.session.rollback(checkpoint);
                            return Err(segment_error(error, whole));
                        }
                    }
                }
            }
            CompileMode::DefsOnly => {
                for segment in segments {
                    let checkpoint = self.session.checkpoint();
                    let patch = match self.compile_segment(&request.file, segment, &mut pending) {
                        Ok(output) => output.patch.filter(|(_, patch)| !has_effects(patch)),
                        Err(SegmentError::PatchIds(error)) => return Err(error.into()),
                        Err(SegmentError::Failure(failure)) => {
                            self.session.rollback(checkpoint);
                            if segment.looks_like_def() {
                                errors.push(failure_report(&failure, whole));
                            }
                            None
                        }
                    };
                    pending.push(Pending {
                        pos: segment.form_pos,
                        file: request.file.clone(),
                        patch,
                        requested: true,
                        file_form: None,
                    });
                }
            }
        }
        Ok(Compiled {
            ns: self.session.namespaces().current().to_string(),
            forms: self.push(pending, request.audience),
            errors,
        })
    }
}

pub(super) fn has_effects(patch: &Patch) -> bool {
    patch
        .entries
        .iter()
        .any(|entry| entry.signature == EVAL_SIGNATURE)
}
