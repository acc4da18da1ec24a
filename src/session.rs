//! A compilation session: the state that outlives one batch of forms
//! (namespaces and their requires, defined vars, gensym counter) and the
//! driver that takes source text through read → expand/analyze → lower.

use crate::analyze::namespaces::Namespaces;
use crate::analyze::{ast::Unit, Analyzer};
use crate::diag::{Diagnostic, Failure};
use crate::expand::Gensyms;
use crate::lower::cpp::CppPatch;
use crate::lower::{self, Patch, PatchOptions};
use crate::read::Reader;
use crate::source::SourceFile;

#[derive(Debug, Default)]
pub struct Session {
    namespaces: Namespaces,
    gensyms: Gensyms,
    /// The nREPL session whose `*1 *2 *3 *e` compiled forms feed.
    repl_session: Option<String>,
    /// Whether patches carry their frame table (`lower::wasm::Frames`).
    frames: bool,
}

/// The session's namespaces at one moment (`Session::checkpoint`).
#[derive(Debug, Clone)]
pub struct Checkpoint(Namespaces);

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn namespaces(&self) -> &Namespaces {
        &self.namespaces
    }

    /// Makes `ns` current (creating it), as `(in-ns 'ns)` would.
    pub fn enter_ns(&mut self, ns: &str) {
        self.namespaces.enter(ns);
    }

    /// Makes the forms compiled from now on record their values as nREPL
    /// session `session`'s `*1`/`*e` (None: they do not).
    pub fn set_repl_session(&mut self, session: Option<String>) {
        self.repl_session = session;
    }

    /// Makes the patches compiled from now on carry their frame table, so a
    /// host can name the jank fns of a throw (the dev server, `jankwasm run`).
    pub fn include_frames(&mut self) {
        self.frames = true;
    }

    /// What `rollback` restores: the compile-time namespaces. Gensyms keep
    /// counting across a rollback, so generated names never repeat.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint(self.namespaces.clone())
    }

    /// Undoes every compilation since `checkpoint`, for a batch of several
    /// compilations that must succeed or fail together.
    pub fn rollback(&mut self, checkpoint: Checkpoint) {
        self.namespaces = checkpoint.0;
    }

    /// Reads and analyzes every top-level form of `source`. On error the
    /// session is left as it was before the call.
    pub fn analyze(&mut self, source: &SourceFile) -> Result<Unit, Diagnostic> {
        let snapshot = self.namespaces.clone();
        let result = self.analyze_forms(source);
        if result.is_err() {
            self.namespaces = snapshot;
        }
        result
    }

    fn analyze_forms(&mut self, source: &SourceFile) -> Result<Unit, Diagnostic> {
        let mut reader = Reader::new(&source.text);
        let mut analyzer = Analyzer::new(&mut self.namespaces, source, &mut self.gensyms)
            .recording_repl_results(self.repl_session.clone());
        let mut forms = Vec::new();
        loop {
            let next = reader.next_form(analyzer.namespaces());
            let form = match next {
                Ok(Some(form)) => form,
                Ok(None) => break,
                Err(error) => {
                    return Err(Diagnostic::new(source, error.pos, error.kind.to_string()))
                }
            };
            analyzer.analyze_top_level(&form, &mut forms)?;
        }
        Ok(analyzer.finish(forms))
    }

    /// Compiles `source` into one patch whose entries follow the source's top-level forms.
    pub fn compile(
        &mut self,
        source: &SourceFile,
        options: &PatchOptions,
    ) -> Result<Patch, Failure> {
        let frames = if self.frames {
            lower::wasm::Frames::Included
        } else {
            lower::wasm::Frames::Omitted
        };
        self.lower_with(source, |unit| {
            lower::wasm::lower_with(unit, options, source, frames)
        })
    }

    /// The same patch as C++ source, for emcc.
    pub fn compile_cpp(
        &mut self,
        source: &SourceFile,
        options: &PatchOptions,
    ) -> Result<CppPatch, Failure> {
        self.lower_with(source, |unit| lower::cpp::lower(unit, options, source))
    }

    fn lower_with<T>(
        &mut self,
        source: &SourceFile,
        lower: impl FnOnce(&Unit) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let snapshot = self.namespaces.clone();
        let result = self
            .analyze(source)
            .map_err(Failure::from)
            .and_then(|unit| lower(&unit));
        if result.is_err() {
            self.namespaces = snapshot;
        }
        result
    }
}
