//! The session's side of user macros: a compile-time runtime (the same
//! runtime pages run, in-process) that every analyzed top-level form is
//! loaded into before a macro runs, and the expansion round trip. A macro call
//! becomes a one-form patch `((var ns/m) '&form '&env 'arg...)`; its value
//! comes back printed and is read as the expansion. Definitions are loaded
//! lazily, at the first expansion after they were analyzed, so compiles
//! that call no user macro never touch the runtime.

use super::lower_failure_text;
use crate::analyze::ast::{LocalNames, TopLevel, Unit, VarRef};
use crate::analyze::{Analyzer, CompileTimeEval, MacroCall, MacroExpander};
use crate::lower::{self, Abi, PatchOptions};
use crate::read::{self, Form, FormKind, Name, PlainEnv};
use crate::source::{Pos, SourceFile};
use std::collections::HashMap;
use std::rc::Rc;

/// Where user macros run: loads patches and reports each registry entry's
/// outcome, printed as `pr-str` prints it.
pub trait CompileTimeRuntime {
    /// Loads a patch and runs its entries in order (stopping at the first
    /// that throws): per entry, its value or the exception it threw, both
    /// printed. An error is a patch the runtime could not load or run (a
    /// trap, a time limit).
    fn load(&mut self, bytes: &[u8], symbols_export: &str) -> Result<Vec<EntryResult>, String>;
}

/// One registry entry's outcome: `Ok(printed value)` or `Err(printed exception)`.
pub type EntryResult = Result<String, String>;

/// The top-level forms of one analyzed unit the runtime has not loaded yet.
/// Every form is loaded, not only definitions, because Clojure evaluates
/// each form as it compiles it: a `defmethod` or `swap!` at the top level
/// may be what a later macro relies on (clojure.test's `assert-expr`).
struct PendingDefinitions {
    source: SourceFile,
    locals: Rc<LocalNames>,
    /// In order; a `Def` or `Declare` only while it is its var's newest
    /// pending definition.
    definitions: Vec<TopLevel>,
}

/// The expander the session gives its analyzers when it has a compile-time runtime.
pub struct MacroRunner {
    runtime: Box<dyn CompileTimeRuntime>,
    /// Per analyzed unit, in analysis order, the definitions not loaded yet.
    backlog: Vec<PendingDefinitions>,
    /// Which backlog entry holds each var's newest pending definition, and
    /// each evaluated form's newest pending copy.
    newest: HashMap<PendingKey, usize>,
    /// Backlog entries left with nothing to load.
    superseded: usize,
    /// Patch ids of the compile-time runtime's own (they never reach a page).
    next_id: u64,
}

impl std::fmt::Debug for MacroRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MacroRunner")
            .field("backlog", &self.backlog.len())
            .field("next_id", &self.next_id)
            .finish_non_exhaustive()
    }
}

impl MacroRunner {
    pub fn new(runtime: Box<dyn CompileTimeRuntime>) -> Self {
        Self {
            runtime,
            backlog: Vec::new(),
            newest: HashMap::new(),
            superseded: 0,
            next_id: 1,
        }
    }

    /// Lowers `unit` and loads it; the entries' outcomes.
    fn load_unit(&mut self, unit: &Unit, source: &SourceFile) -> Result<Vec<EntryResult>, String> {
        let options = PatchOptions {
            patch_id: self.next_id,
            abi: Abi::Extended,
        };
        self.next_id += 1;
        let patch =
            lower::wasm::lower(unit, &options, source).map_err(|f| lower_failure_text(&f))?;
        self.runtime.load(&patch.bytes, &patch.symbols_export)
    }

    /// Loads every analyzed definition the runtime has not seen. What a
    /// definition throws is its program's business (a page would see it
    /// too); only a runtime that cannot go on is an error.
    fn catch_up(&mut self) -> Result<(), String> {
        self.newest.clear();
        self.superseded = 0;
        for pending in std::mem::take(&mut self.backlog) {
            if pending.definitions.is_empty() {
                continue;
            }
            let unit = Unit {
                forms: pending.definitions,
                locals: LocalNames::clone(&pending.locals),
                macros_used: Vec::new(),
            };
            self.load_unit(&unit, &pending.source)?;
        }
        Ok(())
    }
}

impl MacroExpander for MacroRunner {
    fn expand(&mut self, call: MacroCall<'_>) -> Result<Form, String> {
        self.catch_up()?;
        if !call.unloaded.is_empty() {
            let unit = Unit {
                forms: call.unloaded.to_vec(),
                locals: call.local_names.clone(),
                macros_used: Vec::new(),
            };
            self.load_unit(&unit, call.source)?;
        }
        let invocation = invocation(&call);
        let mut analyzer = Analyzer::new(call.namespaces, call.source, call.gensyms);
        analyzer
            .analyze_top_level(&invocation)
            .map_err(|d| format!("cannot pass the call to the macro: {}", d.message))?;
        let (unit, _) = analyzer.finish();
        let outcomes = self.load_unit(&unit, call.source)?;
        let printed = match outcomes.into_iter().last() {
            Some(Ok(printed)) => printed,
            Some(Err(thrown)) => return Err(format!("it threw {}", thrown_summary(&thrown))),
            None => return Err("it returned nothing".into()),
        };
        read_expansion(&printed)
    }

    fn evaluate(&mut self, eval: CompileTimeEval<'_>) -> Result<Form, String> {
        self.catch_up()?;
        if !eval.unloaded.is_empty() {
            let unit = Unit {
                forms: eval.unloaded.to_vec(),
                locals: eval.local_names.clone(),
                macros_used: Vec::new(),
            };
            self.load_unit(&unit, eval.source)?;
        }
        let mut analyzer = Analyzer::new(eval.namespaces, eval.source, eval.gensyms);
        analyzer
            .analyze_top_level(eval.form)
            .map_err(|d| format!("does not compile: {}", d.message))?;
        let (unit, _) = analyzer.finish();
        let printed = match self.load_unit(&unit, eval.source)?.into_iter().last() {
            Some(Ok(printed)) => printed,
            Some(Err(thrown)) => return Err(format!("threw {}", thrown_summary(&thrown))),
            None => return Err("gave no value".into()),
        };
        match read::read_all(&printed, &PlainEnv::new()) {
            Ok(mut forms) if forms.len() == 1 => Ok(forms.remove(0)),
            _ => Err(format!("gave {printed}, which does not read back as data")),
        }
    }

    fn analyzed(&mut self, source: &SourceFile, unit: &Unit, given: usize) {
        let definitions: Vec<TopLevel> = unit.forms[given.min(unit.forms.len())..].to_vec();
        if definitions.is_empty() {
            return;
        }
        let index = self.backlog.len();
        // Evaluations first, so that an older unit they empty of evaluations
        // then gives up its redefined definitions too. The same form from the
        // same place of the same file (a file sent again) is evaluated once,
        // at its newest place in the order: the compile-time runtime never
        // shows its output, and a macro depending on a top-level side effect
        // having run N times is not worth a backlog that grows with every
        // save.
        for form in definitions
            .iter()
            .filter(|form| defined_var(form).is_none())
        {
            let key = PendingKey::of(source, form);
            if let Some(older) = self.newest.insert(key, index) {
                self.retain_in(older, |other| other != form);
            }
        }
        for var in definitions.iter().filter_map(defined_var) {
            // A var defined twice in this unit keeps both: the later wins when
            // loaded. An older unit that evaluates something keeps its
            // definitions too, since what it evaluates may call them.
            let Some(older) = self.newest.insert(PendingKey::Var(var.clone()), index) else {
                continue;
            };
            let only_definitions = self.backlog.get(older).is_some_and(|older| {
                older
                    .definitions
                    .iter()
                    .all(|form| defined_var(form).is_some())
            });
            if only_definitions {
                self.retain_in(older, |form| defined_var(form) != Some(var));
            }
        }
        self.backlog.push(PendingDefinitions {
            source: source.clone(),
            locals: Rc::new(unit.locals.clone()),
            definitions,
        });
        if self.superseded > MAX_SUPERSEDED {
            self.compact();
        }
    }
}

/// Backlog entries whose every definition was redefined since, kept until
/// there are this many (then the backlog is compacted).
const MAX_SUPERSEDED: usize = 64;

/// What a later pending form supersedes: a var's definition, or an
/// evaluated form from the same place of the same file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PendingKey {
    Var(VarRef),
    Eval { file: Rc<str>, pos: Pos },
}

impl PendingKey {
    /// The key of `form`.
    fn of(source: &SourceFile, form: &TopLevel) -> Self {
        match form {
            TopLevel::Def { var, .. } | TopLevel::Declare { var, .. } => Self::Var(var.clone()),
            TopLevel::Eval { expr, .. } => Self::Eval {
                file: Rc::clone(&source.name),
                pos: expr.pos,
            },
        }
    }
}

impl MacroRunner {
    /// Keeps the forms of backlog entry `index` that `keep` accepts,
    /// counting the entry as superseded when that empties it.
    fn retain_in(&mut self, index: usize, keep: impl FnMut(&TopLevel) -> bool) {
        let Some(pending) = self.backlog.get_mut(index) else {
            return;
        };
        let was_empty = pending.definitions.is_empty();
        pending.definitions.retain(keep);
        if !was_empty && pending.definitions.is_empty() {
            self.superseded += 1;
        }
    }

    /// Drops the backlog entries with nothing left to load.
    fn compact(&mut self) {
        self.backlog
            .retain(|pending| !pending.definitions.is_empty());
        self.superseded = 0;
        self.newest.clear();
        for (index, pending) in self.backlog.iter().enumerate() {
            for form in &pending.definitions {
                self.newest
                    .insert(PendingKey::of(&pending.source, form), index);
            }
        }
    }
}

/// The var a top-level form defines, if it is a definition.
fn defined_var(form: &TopLevel) -> Option<&VarRef> {
    match form {
        TopLevel::Def { var, .. } | TopLevel::Declare { var, .. } => Some(var),
        TopLevel::Eval { .. } => None,
    }
}

/// `(jank.runtime/expanding-in <context> (var ns/m) '&form '&env 'arg...)`:
/// the macro's fn called with the whole form, the locals in scope (a map of
/// their symbols to nil) and the unevaluated arguments, while `resolve`
/// answers as the namespace being compiled would (Clojure's `*ns*` during
/// expansion), not as the macro's own namespace.
fn invocation(call: &MacroCall<'_>) -> Form {
    let pos = call.form.pos;
    let symbol = |ns: Option<&str>, name: &str| {
        Form::symbol(
            match ns {
                Some(ns) => Name::qualified(ns, name),
                None => Name::bare(name),
            },
            pos,
        )
    };
    let quote = |form: Form| Form::new(FormKind::List(vec![symbol(None, "quote"), form]), pos);
    let env = Form::new(
        FormKind::Map(
            call.locals
                .iter()
                .map(|local| (symbol(None, local), Form::new(FormKind::Nil, pos)))
                .collect(),
        ),
        pos,
    );
    let the_var = Form::new(
        FormKind::List(vec![
            symbol(None, "var"),
            symbol(Some(&call.macro_var.ns), &call.macro_var.name),
        ]),
        pos,
    );
    let mut items = vec![symbol(Some("jank.runtime"), "expanding-in")];
    items.extend(call.namespaces.resolution_context(pos));
    items.extend([the_var, quote(with_position_meta(call.form)), quote(env)]);
    if let FormKind::List(call_items) = &call.form.kind {
        items.extend(call_items.iter().skip(1).cloned().map(quote));
    }
    Form::new(FormKind::List(items), pos)
}

/// The call as `&form`, with the `:line` and `:column` metadata Clojure's
/// reader gives every list it reads (added to metadata it already has).
fn with_position_meta(form: &Form) -> Form {
    let pos = form.pos;
    let keyword = |name: &str| Form::new(FormKind::Keyword(Name::bare(name)), pos);
    let mut entries = match form.meta.as_deref().map(|meta| &meta.kind) {
        Some(FormKind::Map(entries)) => entries.clone(),
        _ => Vec::new(),
    };
    for (key, value) in [("line", pos.line), ("column", pos.col)] {
        let present = entries.iter().any(
            |(k, _)| matches!(&k.kind, FormKind::Keyword(n) if n.ns.is_none() && n.name == key),
        );
        if !present {
            entries.push((
                keyword(key),
                Form::new(FormKind::Int(i64::from(value)), pos),
            ));
        }
    }
    Form {
        meta: Some(Box::new(Form::new(FormKind::Map(entries), pos))),
        ..form.clone()
    }
}

/// The printed expansion read back as one form.
fn read_expansion(printed: &str) -> Result<Form, String> {
    // `expanding-in` answers the expansion's text (with its metadata), which
    // the host printed as a string.
    let text = match read::read_all(printed, &PlainEnv::new()).as_deref() {
        Ok(
            [Form {
                kind: FormKind::Str(text),
                ..
            }],
        ) => text.clone(),
        _ => return Err(format!("it returned no expansion text: {printed}")),
    };
    let printed = text.as_str();
    let mut forms = read::read_all(printed, &PlainEnv::new())
        .map_err(|e| format!("it returned data that is not code ({e}): {printed}"))?;
    match (forms.pop(), forms.is_empty()) {
        (Some(form), true) => Ok(Form {
            pos: Pos::new(1, 1),
            ..form
        }),
        _ => Err(format!("it returned data that is not code: {printed}")),
    }
}

/// `Type: message data` from a printed `#error {...}` (Clojure's
/// Throwable->map shape), or the printed value itself when it has another.
fn thrown_summary(printed: &str) -> String {
    let Some(map_text) = printed.strip_prefix("#error ") else {
        return printed.to_string();
    };
    let Ok(forms) = read::read_all(map_text, &PlainEnv::new()) else {
        return printed.to_string();
    };
    let Some(FormKind::Map(entries)) = forms.first().map(|form| &form.kind) else {
        return printed.to_string();
    };
    let field = |name: &str| {
        entries
            .iter()
            .find(|(key, _)| matches!(&key.kind, FormKind::Keyword(k) if k.ns.is_none() && k.name == name))
            .map(|(_, value)| value)
    };
    let cause = match field("cause").map(|f| &f.kind) {
        Some(FormKind::Str(cause)) => cause.clone(),
        _ => return printed.to_string(),
    };
    let kind = field("via")
        .and_then(|via| match &via.kind {
            FormKind::Vector(items) => items.first(),
            _ => None,
        })
        .and_then(|first| match &first.kind {
            FormKind::Map(entries) => entries
                .iter()
                .find(|(key, _)| matches!(&key.kind, FormKind::Keyword(k) if k.name == "type"))
                .map(|(_, value)| value.to_string()),
            _ => None,
        });
    let mut summary = match kind {
        Some(kind) => format!("{kind}: {cause}"),
        None => cause,
    };
    if let Some(data) = field("data") {
        summary.push(' ');
        summary.push_str(&data.to_string());
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;
    use std::cell::Cell;

    /// Counts the patches it loads; every entry "prints" `"1"`, the text of
    /// the expansion `1` as `expanding-in` answers it.
    struct CountingRuntime(Rc<Cell<usize>>);

    impl CompileTimeRuntime for CountingRuntime {
        fn load(&mut self, _bytes: &[u8], _export: &str) -> Result<Vec<EntryResult>, String> {
            self.0.set(self.0.get() + 1);
            Ok(vec![Ok("\"1\"".into())])
        }
    }

    fn compile(session: &mut Session, name: &str, text: &str) {
        let options = PatchOptions {
            patch_id: 1,
            abi: Abi::Extended,
        };
        if let Err(failure) = session.compile(&SourceFile::new(name, text), &options) {
            panic!("{text}: {failure:?}");
        }
    }

    #[test]
    fn a_file_sent_again_and_again_is_loaded_once_before_the_next_macro() {
        let loads = Rc::new(Cell::new(0));
        let mut session =
            Session::new().with_compile_time_runtime(Box::new(CountingRuntime(loads.clone())));
        compile(&mut session, "m.jank", "(defmacro one [] 1)");
        let app =
            "(defn f [x] (inc x))\n(println (f 1))\n(def counter (atom 0))\n(swap! counter inc)";
        for _ in 0..200 {
            compile(&mut session, "app.jank", app);
        }
        // An edited form at the same place is a new evaluation: both run.
        compile(&mut session, "app.jank", &app.replace("(f 1)", "(f 2)"));
        assert_eq!(loads.get(), 0, "no macro called yet");
        compile(&mut session, "use.jank", "(one)");
        // The macro's unit, the app's newest unit (with the one old
        // evaluation that differs from it), and the call.
        assert_eq!(loads.get(), 4);
        // Pending now: only the unit of the call itself.
        let runner = session.macros.as_ref().expect("a macro runner");
        assert_eq!(runner.backlog.len(), 1, "{runner:?}");
    }
}
