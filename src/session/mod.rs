//! A compilation session: the state that outlives one batch of forms
//! (namespaces and their requires, defined vars, gensym counter, the source
//! paths required namespaces load from) and the driver that takes source
//! text through read → expand/analyze → lower.

mod macros;
mod source_paths;

pub use macros::{CompileTimeRuntime, EntryResult};
pub use source_paths::{
    declared_ns, dependency_order, ns_relative_path, root_of, SourcePaths, SOURCE_EXTENSIONS,
};

use crate::analyze::namespaces::Namespaces;
use crate::analyze::{ast::Unit, Analyzer, MacroExpander, NamespaceLoader};
use crate::diag::{Diagnostic, Failure};
use crate::expand::Gensyms;
use crate::lower::cpp::CppPatch;
use crate::lower::{self, Abi, Patch, PatchOptions};
use crate::read::Reader;
use crate::source::SourceFile;
use macros::MacroRunner;
use source_paths::FileLoader;

#[derive(Debug, Default)]
pub struct Session {
    namespaces: Namespaces,
    gensyms: Gensyms,
    source_paths: SourcePaths,
    /// Runs user macros; None: a user macro call is a compile error.
    macros: Option<MacroRunner>,
    /// The nREPL session whose `*1 *2 *3 *e` compiled forms feed.
    repl_session: Option<String>,
    /// Whether patches carry their frame table (`lower::wasm::Frames`).
    frames: bool,
    /// Whether top-level values are dropped, as a script's are.
    script: bool,
}

/// One patch of a compiled program: a required namespace's file, or the
/// text compiled itself (always last).
#[derive(Debug)]
pub struct CompiledSource<P> {
    /// The namespace it was loaded for; None for the text compiled itself.
    pub loaded_for: Option<String>,
    pub source: SourceFile,
    pub patch: P,
    /// The user macros it expanded, qualified (`app.util/twice`).
    pub macros_used: Vec<String>,
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

    /// This session, running user macros in `runtime`.
    pub fn with_compile_time_runtime(mut self, runtime: Box<dyn CompileTimeRuntime>) -> Self {
        self.macros = Some(MacroRunner::new(runtime));
        self
    }

    /// Where `require` looks for namespaces the session does not know yet.
    pub fn source_paths_mut(&mut self) -> &mut SourcePaths {
        &mut self.source_paths
    }

    /// Makes `ns` current (creating it), as `(in-ns 'ns)` would.
    pub fn enter_ns(&mut self, ns: &str) {
        self.namespaces.enter(ns);
    }

    /// Makes the forms compiled from now on record their values as nREPL
    /// session `session`'s `*1`/`*e` (None: they do not). Files loaded by
    /// `require` never do.
    pub fn set_repl_session(&mut self, session: Option<String>) {
        self.repl_session = session;
    }

    /// Compiles from now on as `clojure FILE` runs a script: each top-level
    /// form's value (a required file's too) is dropped once the form has
    /// run, and nil is reported in its place, so a lazy seq no one looks at
    /// is never realized to be shown (`jankwasm run`).
    pub fn compile_as_script(&mut self) {
        self.script = true;
    }

    /// Makes the patches compiled from now on carry their frame table, so a
    /// host can name the jank fns of a throw (the dev server, `jankwasm run`).
    pub fn include_frames(&mut self) {
        self.frames = true;
    }

    fn frames(&self) -> lower::wasm::Frames {
        if self.frames {
            lower::wasm::Frames::Included
        } else {
            lower::wasm::Frames::Omitted
        }
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

    /// Reads and analyzes every top-level form of `source`, which may not
    /// require a namespace the session does not know. On error the session
    /// is left as it was before the call.
    pub fn analyze(&mut self, source: &SourceFile) -> Result<Unit, Diagnostic> {
        self.all_or_nothing(|session| {
            analyze_source(
                &mut session.namespaces,
                &mut session.gensyms,
                None,
                expander(&mut session.macros),
                session.repl_session.clone(),
                session.script,
                source,
            )
        })
    }

    /// Runs `step`, restoring the namespaces as they were when it fails.
    fn all_or_nothing<T, E>(
        &mut self,
        step: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        let snapshot = self.namespaces.clone();
        let result = step(self);
        if result.is_err() {
            self.namespaces = snapshot;
        }
        result
    }

    /// Compiles `source` and every namespace it requires that the session
    /// does not know yet, loaded from the source paths: one patch per file,
    /// dependencies first, each with the next id of `next_id`. All or
    /// nothing: on error the session is left as it was.
    pub fn compile_program(
        &mut self,
        source: &SourceFile,
        abi: Abi,
        next_id: &mut dyn FnMut() -> u64,
    ) -> Result<Vec<CompiledSource<Patch>>, Failure> {
        let frames = self.frames();
        self.all_or_nothing(|session| {
            session.program_with(source, abi, next_id, |unit, options, source| {
                lower::wasm::lower_with(unit, options, source, frames)
            })
        })
    }

    /// [`Session::compile_program`] as C++ sources, for emcc.
    pub fn compile_program_cpp(
        &mut self,
        source: &SourceFile,
        abi: Abi,
        next_id: &mut dyn FnMut() -> u64,
    ) -> Result<Vec<CompiledSource<CppPatch>>, Failure> {
        self.all_or_nothing(|session| session.program_with(source, abi, next_id, lower::cpp::lower))
    }

    /// [`Session::compile_program`] with `lower` as the backend; the caller
    /// restores the namespaces when it fails.
    fn program_with<P>(
        &mut self,
        source: &SourceFile,
        abi: Abi,
        next_id: &mut dyn FnMut() -> u64,
        lower: impl Fn(&Unit, &PatchOptions, &SourceFile) -> Result<P, Failure>,
    ) -> Result<Vec<CompiledSource<P>>, Failure> {
        let mut loader = FileLoader::new(&self.source_paths, self.script);
        let unit = analyze_source(
            &mut self.namespaces,
            &mut self.gensyms,
            Some(&mut loader),
            expander(&mut self.macros),
            self.repl_session.clone(),
            self.script,
            source,
        )?;
        let mut compiled = Vec::with_capacity(loader.loaded.len() + 1);
        let sources = loader
            .loaded
            .into_iter()
            .map(|loaded| (Some(loaded.ns), loaded.source, loaded.unit))
            .chain([(None, source.clone(), unit)]);
        for (loaded_for, source, unit) in sources {
            let options = PatchOptions {
                patch_id: next_id(),
                abi,
            };
            let patch =
                lower(&unit, &options, &source).map_err(|failure| with_origin(failure, &source))?;
            compiled.push(CompiledSource {
                loaded_for,
                source,
                patch,
                macros_used: unit.macros_used.iter().map(ToString::to_string).collect(),
            });
        }
        Ok(compiled)
    }

    /// Compiles `source` into one patch whose entries follow the source's top-level forms.
    pub fn compile(
        &mut self,
        source: &SourceFile,
        options: &PatchOptions,
    ) -> Result<Patch, Failure> {
        let frames = self.frames();
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
        self.all_or_nothing(|session| {
            session
                .analyze(source)
                .map_err(Failure::from)
                .and_then(|unit| lower(&unit))
        })
    }
}

/// Reads and analyzes every top-level form of `source` into `namespaces`,
/// loading required namespaces through `loader` and running user macros
/// through `expander` when there are.
fn analyze_source(
    namespaces: &mut Namespaces,
    gensyms: &mut Gensyms,
    loader: Option<&mut dyn NamespaceLoader>,
    mut expander: Option<&mut dyn MacroExpander>,
    repl_session: Option<String>,
    discards_values: bool,
    source: &SourceFile,
) -> Result<Unit, Diagnostic> {
    let mut reader = Reader::new(&source.text);
    let mut analyzer = Analyzer::new(namespaces, source, gensyms)
        .recording_repl_results(repl_session)
        .discarding_values(discards_values);
    if let Some(loader) = loader {
        analyzer = analyzer.with_loader(loader);
    }
    if let Some(expander) = expander.as_deref_mut() {
        analyzer = analyzer.with_expander(expander);
    }
    loop {
        let next = reader.next_form(analyzer.namespaces());
        let form = match next {
            Ok(Some(form)) => form,
            Ok(None) => break,
            Err(error) => return Err(Diagnostic::new(source, error.pos, error.kind.to_string())),
        };
        analyzer.analyze_top_level(&form)?;
    }
    let (unit, given) = analyzer.finish();
    if let Some(expander) = expander {
        expander.analyzed(source, &unit, given);
    }
    Ok(unit)
}

fn expander(macros: &mut Option<MacroRunner>) -> Option<&mut dyn MacroExpander> {
    macros
        .as_mut()
        .map(|runner| runner as &mut dyn MacroExpander)
}

/// A lowering failure as one line, for a compile-time runtime's error.
fn lower_failure_text(failure: &Failure) -> String {
    match failure {
        Failure::Diagnostic(diagnostic) => diagnostic.to_string(),
        Failure::Internal(internal) => internal.to_string(),
    }
}

/// A failure lowering a loaded file renders with that file's text.
fn with_origin(failure: Failure, source: &SourceFile) -> Failure {
    match failure {
        Failure::Diagnostic(mut diagnostic) => {
            diagnostic.origin.get_or_insert_with(|| source.clone());
            Failure::Diagnostic(diagnostic)
        }
        internal @ Failure::Internal(_) => internal,
    }
}
