//! The compiler thread: the server's one `Session` (compile-time namespaces,
//! requires and vars) lives on a thread of its own, because compiling is CPU
//! work that must stay off the async threads and the session is not `Send`.
//! Compilations, completions and lookups are jobs on its queue, so they run
//! one at a time, and every patch is pushed to the hub from here, in id
//! order. It also remembers, per project file, the text of each top-level
//! form last compiled, so a saved file recompiles only the forms that changed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use tokio::sync::oneshot;

use super::forms::{self, Segment};
use super::hub::{Audience, Delivery, Hub, PatchRecord, ReplayKey};
use super::patch_ids::{PatchIdError, PatchIds};
use super::protocol::{
    DiagnosticReport, ErrorKind, ErrorMessage, PatchMessage, ServerMessage, SourceRef, SymbolInfo,
};
use crate::analyze::namespaces::{Namespaces, VarInfo};
use crate::diag::{Diagnostic, Failure};
use crate::lower::{Abi, Patch, PatchOptions};
use crate::read::Name;
use crate::session::Session;
use crate::source::{Pos, SourceFile};

/// The registry signature of forms evaluated for effect.
const EVAL_SIGNATURE: &str = "eval";

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
    #[error("{}", render_all(.0))]
    Diagnostics(Vec<DiagnosticReport>),
    #[error(transparent)]
    PatchIds(#[from] PatchIdError),
    #[error("namespace not found: {0}")]
    NamespaceNotFound(String),
    #[error("the compiler thread has stopped")]
    Stopped,
}

fn render_all(diagnostics: &[DiagnosticReport]) -> String {
    diagnostics.iter().map(|d| d.rendered.as_str()).collect()
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
    pub fn spawn(hub: Arc<Hub>, ids: Arc<Mutex<PatchIds>>) -> std::io::Result<Self> {
        let (jobs, receiver) = channel();
        std::thread::Builder::new()
            .name("jankwasm-compiler".into())
            .spawn(move || {
                let mut session = Session::new();
                session.include_frames();
                Compiler {
                    session,
                    hub,
                    ids,
                    files: HashMap::new(),
                    keywords: BTreeSet::new(),
                }
                .run(receiver)
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

/// Per project file: for each top-level form last compiled, keyed by its
/// text and the namespace it started in, the namespace after it and whether
/// it is evaluated for effect.
type FileForms = HashMap<(String, String), (String, bool)>;

struct Compiler {
    session: Session,
    hub: Arc<Hub>,
    ids: Arc<Mutex<PatchIds>>,
    files: HashMap<String, FileForms>,
    /// Every keyword in the forms compiled so far, for completion.
    keywords: BTreeSet<String>,
}

/// A compiled form waiting to be pushed.
struct Pending {
    pos: Pos,
    file: String,
    patch: Option<(u64, Patch)>,
    /// For an effect form of a project file: its text, its replay key.
    file_form: Option<String>,
}

enum SegmentError {
    Failure(Failure),
    PatchIds(PatchIdError),
}

impl Compiler {
    fn run(mut self, jobs: Receiver<Job>) {
        for job in jobs {
            match job {
                Job::Compile(request, reply) => {
                    let result = self.compile(request);
                    let _ = reply.send(self.announce(result));
                }
                Job::File { file, text, reply } => {
                    let result = match text {
                        Some(text) => self.compile_file(&file, &text),
                        None => {
                            self.forget_file(&file);
                            Ok(Compiled {
                                ns: "user".into(),
                                forms: Vec::new(),
                                errors: Vec::new(),
                            })
                        }
                    };
                    let _ = reply.send(self.announce(result));
                }
                Job::Complete { ns, prefix, reply } => {
                    let _ = reply.send(self.complete(&ns, &prefix));
                }
                Job::Lookup { ns, symbol, reply } => {
                    let _ = reply.send(self.lookup(&ns, &symbol));
                }
                Job::Namespaces(reply) => {
                    let names = self.session.namespaces().names().map(str::to_string);
                    let _ = reply.send(names.collect());
                }
            }
        }
    }

    /// Compile errors also go to every page, for its error overlay.
    fn announce(&self, result: Result<Compiled, CompileError>) -> Result<Compiled, CompileError> {
        if let Err(CompileError::Diagnostics(diagnostics)) = &result {
            self.hub.broadcast(&ServerMessage::Error(ErrorMessage {
                kind: ErrorKind::Compile,
                error: render_all(diagnostics),
                diagnostics: diagnostics.clone(),
                request_id: None,
            }));
        }
        result
    }

    fn compile(&mut self, request: CompileRequest) -> Result<Compiled, CompileError> {
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
                    match self.compile_segment(&request.file, segment) {
                        Ok(patch) => pending.push(Pending {
                            pos: segment.form_pos,
                            file: request.file.clone(),
                            patch,
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
                    let patch = match self.compile_segment(&request.file, segment) {
                        Ok(patch) => patch.filter(|(_, patch)| !has_effects(patch)),
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

    fn compile_file(&mut self, file: &str, text: &str) -> Result<Compiled, CompileError> {
        let whole = SourceFile::new(file, text);
        let segments = forms::split(text, Pos::new(1, 1))
            .map_err(|e| diagnostics(&Diagnostic::new(&whole, e.pos, e.message), &whole))?;
        let previous = self.files.remove(file).unwrap_or_default();
        let checkpoint = self.session.checkpoint();
        let mut ns = "user".to_string();
        let mut recorded = FileForms::new();
        let mut pending = Vec::new();
        for segment in &segments {
            let key = (segment.key().to_string(), ns.clone());
            if let Some(known) = previous.get(&key) {
                ns = known.0.clone();
                recorded.insert(key, known.clone());
                continue;
            }
            self.session.enter_ns(&ns);
            let patch = match self.compile_segment(file, segment) {
                Ok(patch) => patch,
                Err(error) => {
                    self.session.rollback(checkpoint);
                    // Keep what was compiled before, so the next save retries these forms.
                    self.files.insert(file.to_string(), previous);
                    return Err(segment_error(error, &whole));
                }
            };
            let effect = patch.as_ref().is_some_and(|(_, patch)| has_effects(patch));
            ns = self.session.namespaces().current().to_string();
            recorded.insert(key, (ns.clone(), effect));
            pending.push(Pending {
                pos: segment.form_pos,
                file: file.to_string(),
                patch,
                file_form: effect.then(|| segment.key().to_string()),
            });
        }
        let forms = self.push(pending, Audience::Everyone);
        let effect_forms: HashSet<String> = recorded
            .iter()
            .filter(|(_, (_, effect))| *effect)
            .map(|((text, _), _)| text.clone())
            .collect();
        self.hub.retain_file_forms(file, &effect_forms);
        self.files.insert(file.to_string(), recorded);
        Ok(Compiled {
            ns,
            forms,
            errors: Vec::new(),
        })
    }

    fn forget_file(&mut self, file: &str) {
        self.files.remove(file);
        self.hub.retain_file_forms(file, &HashSet::new());
    }

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
        let keywords = forms::keywords(&source.text, self.session.namespaces());
        let patch = self
            .session
            .compile(&source, &options)
            .map_err(SegmentError::Failure)?;
        self.keywords.extend(keywords);
        Ok((!patch.entries.is_empty()).then_some((id, patch)))
    }

    /// Pushes the forms that have a patch, all in one go so no page sees
    /// half of a batch.
    fn push(&self, pending: Vec<Pending>, audience: Audience) -> Vec<CompiledForm> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut records = Vec::new();
        let mut positions = Vec::with_capacity(pending.len());
        for form in pending {
            positions.push((form.pos, form.patch.is_some()));
            if let Some((id, patch)) = form.patch {
                records.push(record(
                    id,
                    patch,
                    self.session.namespaces(),
                    &form.file,
                    form.pos,
                    form.file_form,
                    timestamp,
                ));
            }
        }
        let mut deliveries = self.hub.push(records, audience).into_iter();
        positions
            .into_iter()
            .map(|(pos, pushed)| CompiledForm {
                pos,
                delivery: if pushed { deliveries.next() } else { None },
            })
            .collect()
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

    fn complete(&mut self, ns: &str, prefix: &str) -> Vec<Candidate> {
        self.enter_existing(ns);
        if prefix.starts_with(':') {
            return self
                .keywords
                .iter()
                .filter(|keyword| keyword.starts_with(prefix))
                .map(|keyword| Candidate {
                    candidate: keyword.clone(),
                    ns: None,
                    kind: "keyword",
                    arglists: Vec::new(),
                    doc: None,
                })
                .collect();
        }
        let namespaces = self.session.namespaces();
        let current_name = namespaces.current().to_string();
        let Some(current) = namespaces.get(&current_name) else {
            return Vec::new();
        };
        let mut found: BTreeMap<String, Candidate> = BTreeMap::new();
        let mut add =
            |candidate: String, ns: Option<&str>, kind: &'static str, info: Option<&VarInfo>| {
                if candidate.starts_with(prefix) {
                    found.entry(candidate.clone()).or_insert(Candidate {
                        candidate,
                        ns: ns.map(str::to_string),
                        kind,
                        arglists: info.map(|i| i.arglists.clone()).unwrap_or_default(),
                        doc: info.and_then(|i| i.doc.clone()),
                    });
                }
            };
        match prefix.split_once('/') {
            Some((qualifier, _)) if !qualifier.is_empty() => {
                let target = current
                    .aliases
                    .get(qualifier)
                    .map(String::as_str)
                    .or_else(|| namespaces.exists(qualifier).then_some(qualifier));
                if let Some(target_ns) = target.and_then(|t| namespaces.get(t).map(|n| (t, n))) {
                    let (target, namespace) = target_ns;
                    for (name, info) in &namespace.vars {
                        if !info.private {
                            add(
                                format!("{qualifier}/{name}"),
                                Some(target),
                                var_kind(name, info),
                                Some(info),
                            );
                        }
                    }
                }
            }
            _ => {
                for (name, info) in &current.vars {
                    add(
                        name.clone(),
                        Some(&current_name),
                        var_kind(name, info),
                        Some(info),
                    );
                }
                for (name, var) in &current.refers {
                    let info = namespaces.var_info(var);
                    let kind = info.map_or("var", |info| var_kind(name, info));
                    add(name.clone(), Some(&var.ns), kind, info);
                }
                for special in crate::analyze::SPECIAL_FORMS {
                    add(special.to_string(), None, "special-form", None);
                }
                let core_ns = crate::analyze::namespaces::CORE_NS;
                for name in crate::expand::core_macro_names().chain(["ns", "defonce"]) {
                    if !current.excluded_core.contains(name) {
                        add(name.to_string(), Some(core_ns), "macro", None);
                    }
                }
                if let Some(core) = namespaces.get(core_ns) {
                    for (name, info) in &core.vars {
                        if !current.excluded_core.contains(name) && !info.private {
                            add(
                                name.clone(),
                                Some(core_ns),
                                var_kind(name, info),
                                Some(info),
                            );
                        }
                    }
                }
                for alias in current.aliases.keys() {
                    add(alias.clone(), None, "namespace", None);
                }
                for name in namespaces.names() {
                    add(name.to_string(), None, "namespace", None);
                }
            }
        }
        found.into_values().collect()
    }

    fn lookup(&mut self, ns: &str, symbol: &str) -> Option<VarDoc> {
        self.enter_existing(ns);
        let name = match symbol.split_once('/') {
            Some((qualifier, name)) if !qualifier.is_empty() && !name.is_empty() => {
                Name::qualified(qualifier, name)
            }
            _ => Name::bare(symbol),
        };
        let namespaces = self.session.namespaces();
        let var = namespaces.resolve_var(&name)?;
        let info = namespaces.var_info(&var)?;
        let (file, pos) = match &info.defined_at {
            Some((file, pos)) => (Some(file.to_string()), Some(*pos)),
            None => (None, None),
        };
        Some(VarDoc {
            ns: var.ns.clone(),
            name: var.name.clone(),
            doc: info.doc.clone(),
            arglists: info.arglists.clone(),
            file,
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.col),
        })
    }
}

/// A var's completion type. The runtime binds a native fn to every var it
/// defines itself, except the earmuffed REPL vars (`*1`, `*e`); a var a
/// patch defined is a function when it was written with argument vectors.
fn var_kind(name: &str, info: &VarInfo) -> &'static str {
    let earmuffed = name.len() > 1 && name.starts_with('*');
    if !info.arglists.is_empty() || (info.runtime && !earmuffed) {
        "function"
    } else {
        "var"
    }
}

fn has_effects(patch: &Patch) -> bool {
    patch
        .entries
        .iter()
        .any(|entry| entry.signature == EVAL_SIGNATURE)
}

fn record(
    id: u64,
    patch: Patch,
    namespaces: &Namespaces,
    file: &str,
    pos: Pos,
    file_form: Option<String>,
    timestamp: u64,
) -> PatchRecord {
    let symbols: Vec<SymbolInfo> = patch
        .entries
        .iter()
        .map(|entry| SymbolInfo {
            name: entry.qualified_name.clone(),
            signature: entry.signature.clone(),
            hooks: reload_hooks(namespaces, &entry.qualified_name),
        })
        .collect();
    let mut replay_keys: Vec<ReplayKey> = patch
        .entries
        .iter()
        .filter(|entry| entry.signature != EVAL_SIGNATURE)
        .map(|entry| ReplayKey::Var(entry.qualified_name.clone()))
        .collect();
    if let Some(text) = file_form {
        replay_keys.push(ReplayKey::FileForm {
            file: file.to_string(),
            text,
        });
    }
    let message = ServerMessage::Patch(PatchMessage {
        id,
        data: base64::engine::general_purpose::STANDARD.encode(&patch.bytes),
        symbol_name: patch.symbols_export.clone(),
        symbols: symbols.clone(),
        timestamp,
        source: Some(SourceRef {
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
        }),
    });
    PatchRecord {
        id,
        bytes: Arc::from(patch.bytes),
        symbols_export: patch.symbols_export,
        symbols,
        json: message.to_json().into(),
        replay_keys,
    }
}

/// The reload hooks the var `ns/name` is, by its metadata.
fn reload_hooks(namespaces: &Namespaces, qualified_name: &str) -> Vec<String> {
    let Some((ns, name)) = qualified_name.split_once('/') else {
        return Vec::new();
    };
    namespaces
        .get(ns)
        .and_then(|namespace| namespace.vars.get(name))
        .map(|info| {
            info.reload_hooks
                .iter()
                .map(|h| h.name().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn report(diagnostic: &Diagnostic, whole: &SourceFile) -> DiagnosticReport {
    DiagnosticReport {
        file: diagnostic.file.to_string(),
        line: diagnostic.pos.line,
        column: diagnostic.pos.col,
        message: diagnostic.message.clone(),
        rendered: diagnostic.render(whole),
    }
}

/// A compiler bug is reported where user errors are, at the start of its form.
fn failure_report(failure: &Failure, whole: &SourceFile) -> DiagnosticReport {
    match failure {
        Failure::Diagnostic(diagnostic) => report(diagnostic, whole),
        Failure::Internal(internal) => DiagnosticReport {
            file: internal.file.to_string(),
            line: internal.pos.line,
            column: internal.pos.col,
            message: format!("internal compiler error: {}", internal.message),
            rendered: internal.to_string(),
        },
    }
}

fn diagnostics(diagnostic: &Diagnostic, whole: &SourceFile) -> CompileError {
    CompileError::Diagnostics(vec![report(diagnostic, whole)])
}

fn segment_error(error: SegmentError, whole: &SourceFile) -> CompileError {
    match error {
        SegmentError::Failure(failure) => {
            CompileError::Diagnostics(vec![failure_report(&failure, whole)])
        }
        SegmentError::PatchIds(error) => error.into(),
    }
}
