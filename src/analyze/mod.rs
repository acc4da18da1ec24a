//! Analysis: expanded forms in, a checked AST (`ast`) out. Owns special-form
//! syntax, name resolution (locals, closures' captures, vars through the
//! namespace environment), tail-position rules for `recur`, and the decision
//! of which clojure.core calls are inlined. It asks `expand` to rewrite
//! macro calls and never looks at how the AST is lowered.

pub mod ast;
mod fields;
mod interop;
mod java_members;
mod macros;
mod metadata;
pub mod namespaces;
mod require;
mod special;

pub use macros::{CompileTimeEval, MacroCall, MacroExpander, MAX_MACRO_NESTING};
pub use require::{LoadError, NamespaceLoader};

use crate::diag::Diagnostic;
use crate::expand::{self, Gensyms};
use crate::read::{Form, FormKind, Name};
use crate::source::{Pos, SourceFile};
use ast::*;
use java_members::StaticMember;
use namespaces::{Namespaces, ReloadHook, VarInfo, CORE_NS, REPL_NS};

/// Special forms: handled by the analyzer, never resolved as vars.
pub const SPECIAL_FORMS: &[&str] = &[
    "def", "fn*", "let*", "loop*", "letfn*", "recur", "if", "do", "quote", "var", "throw", "try",
    "case*", "set!",
];

/// Below this much free stack, analysis continues on a new segment of
/// `STACK_SEGMENT` bytes.
const STACK_RED_ZONE: usize = 128 * 1024;
const STACK_SEGMENT: usize = 2 * 1024 * 1024;

/// Steps `expand_fully` takes on one form before it calls the expansion endless.
const MAX_EXPANSION_STEPS: usize = 1000;

/// Which macro a form calls.
enum MacroRef {
    Core(String),
    User(VarRef),
}

/// clojure.core fns that compile code when they run: a page has no compiler.
const RUN_TIME_COMPILER_FNS: &[&str] = &["eval", "load-string", "load-reader", "load", "compile"];

/// Java interop and mutation forms jank has and jankwasm's backend cannot
/// lower (`new` of a class jankwasm makes is a constructor call, before this).
const UNSUPPORTED_SPECIALS: &[&str] = &["new", "monitor-enter", "monitor-exit", "&"];

/// One name in scope.
#[derive(Debug, Clone)]
struct ScopeEntry {
    name: String,
    binding: Binding,
    /// The fn nesting depth the local was bound at (0 = top level).
    fn_depth: usize,
}

/// What a name in scope stands for.
#[derive(Debug, Clone)]
enum Binding {
    Local(LocalId),
    /// A deftype's mutable field inside its methods (`fields`).
    MutableField(fields::MutableField),
}

/// The fn being analyzed: the locals of outer fns it captures, and the
/// locals holding the values of the mutable fields it (or a fn inside it)
/// reads, bound where it is made (`fields`).
#[derive(Debug, Default)]
struct FnFrame {
    captures: Vec<LocalId>,
    field_values: Vec<fields::CapturedField>,
}

/// Where a `recur` may jump, and with how many values.
#[derive(Debug, Clone, Copy)]
struct RecurPoint {
    target: RecurTarget,
    arg_count: usize,
}

/// Position-dependent facts about the expression being analyzed.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    tail: bool,
    recur: Option<RecurPoint>,
    /// Set inside `try`, where Clojure forbids `recur` across the boundary.
    in_try_body: bool,
}

impl Ctx {
    /// A position that is neither a tail nor inside a `try` body.
    fn expression() -> Self {
        Self {
            tail: false,
            recur: None,
            in_try_body: false,
        }
    }

    fn non_tail(self) -> Self {
        Self {
            tail: false,
            ..self
        }
    }
}

/// Analyzes the top-level forms of one source into a `Unit`.
pub struct Analyzer<'a> {
    namespaces: &'a mut Namespaces,
    source: &'a SourceFile,
    gensyms: &'a mut Gensyms,
    /// Brings in required namespaces the session does not know yet.
    loader: Option<&'a mut dyn NamespaceLoader>,
    /// Runs user macros; without one, calling a user macro is an error.
    expander: Option<&'a mut dyn MacroExpander>,
    /// The top-level forms analyzed so far.
    forms: Vec<TopLevel>,
    /// How many of `forms` the expander has been given to load.
    forms_given_to_expander: usize,
    /// User-macro expansions being analyzed, innermost last (a limit stops
    /// a macro that expands into a call of itself).
    expanding: Vec<VarRef>,
    /// Every user macro expanded so far.
    macros_used: std::collections::BTreeSet<VarRef>,
    scope: Vec<ScopeEntry>,
    fn_frames: Vec<FnFrame>,
    locals: LocalNames,
    /// The deftype and defrecord method bodies being analyzed, innermost last.
    type_methods: Vec<fields::TypeMethod>,
    /// The locals holding a deftype's or defrecord's immutable fields in its
    /// methods, for the message refusing their `set!`.
    immutable_field_locals: std::collections::HashSet<LocalId>,
    next_loop: u32,
    /// Regex literals analyzed so far (each gets its own constant).
    literals: std::cell::Cell<u32>,
    /// The nREPL session whose `*1 *2 *3 *e` this source's top-level values
    /// feed (`jankwasm.repl/run`); None outside a REPL.
    repl_session: Option<String>,
    /// Whether each top-level form's value is dropped (a script's, as
    /// `clojure FILE` drops them), so nothing realizes a lazy seq to show it.
    discards_values: bool,
}

type Result<T> = std::result::Result<T, Diagnostic>;

/// clojure.core fns that read what only the compiler knows of namespaces
/// (aliases, refers, private vars, required libs): a reference to one is
/// preceded by `jank.runtime/note-ns!` calls telling the runtime.
const NAMESPACE_READERS: &[&str] = &[
    "ns-interns",
    "ns-publics",
    "ns-refers",
    "ns-map",
    "ns-aliases",
    "ns-resolve",
    "ns-unmap",
    "requiring-resolve",
    "loaded-libs",
    "read-string",
    "read",
    "read+string",
];

impl<'a> Analyzer<'a> {
    pub fn new(
        namespaces: &'a mut Namespaces,
        source: &'a SourceFile,
        gensyms: &'a mut Gensyms,
    ) -> Self {
        Self {
            namespaces,
            source,
            gensyms,
            loader: None,
            expander: None,
            forms: Vec::new(),
            forms_given_to_expander: 0,
            expanding: Vec::new(),
            macros_used: std::collections::BTreeSet::new(),
            scope: Vec::new(),
            fn_frames: Vec::new(),
            locals: LocalNames::default(),
            type_methods: Vec::new(),
            immutable_field_locals: std::collections::HashSet::new(),
            next_loop: 0,
            literals: std::cell::Cell::new(0),
            repl_session: None,
            discards_values: false,
        }
    }

    /// This analyzer, making each top-level form's value nil once the form
    /// has run (`discards`), as a script's values are never looked at.
    pub fn discarding_values(mut self, discards: bool) -> Self {
        self.discards_values = discards;
        self
    }

    /// This analyzer, loading the namespaces it must require through `loader`.
    pub fn with_loader(mut self, loader: &'a mut dyn NamespaceLoader) -> Self {
        self.loader = Some(loader);
        self
    }

    /// This analyzer, running user macros through `expander`.
    pub fn with_expander(mut self, expander: &'a mut dyn MacroExpander) -> Self {
        self.expander = Some(expander);
        self
    }

    /// Makes each top-level form's value (or what it throws) the session's
    /// `*1` (or `*e`), as an nREPL session does.
    pub fn recording_repl_results(mut self, session: Option<String>) -> Self {
        self.repl_session = session;
        self
    }

    /// The namespace environment, for reading the next form.
    pub fn namespaces(&self) -> &Namespaces {
        self.namespaces
    }

    /// The `Unit` of the analyzed forms, and how many of its first forms
    /// the expander was given already.
    pub fn finish(self) -> (Unit, usize) {
        let unit = Unit {
            forms: self.forms,
            locals: self.locals,
            macros_used: self.macros_used.into_iter().collect(),
        };
        (unit, self.forms_given_to_expander)
    }

    fn error(&self, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.source, pos, message)
    }

    /// Analyzes one top-level form. `do` at top level splices its forms, and
    /// `ns`/`in-ns`/`require` take effect at compile time, as in Clojure.
    pub fn analyze_top_level(&mut self, form: &Form) -> Result<()> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
            self.analyze_top_level_here(form)
        })
    }

    fn analyze_top_level_here(&mut self, form: &Form) -> Result<()> {
        let user_macro = match self.macro_call(form) {
            Some(MacroRef::User(var)) => Some(var),
            _ => None,
        };
        let form = self.expand_fully(form)?;
        let Some(var) = user_macro else {
            return self.analyze_expanded_top_level(&form);
        };
        self.enter_expansion(var, form.pos)?;
        let analyzed = self.analyze_expanded_top_level(&form);
        self.expanding.pop();
        analyzed
    }

    fn analyze_expanded_top_level(&mut self, form: &Form) -> Result<()> {
        let form = form.clone();
        if let FormKind::List(items) = &form.kind {
            if let Some(head) = items.first().and_then(Form::as_symbol) {
                if head.ns.is_none() && head.name == "do" && !self.is_local(&head.name) {
                    for item in &items[1..] {
                        self.analyze_top_level(item)?;
                    }
                    return Ok(());
                }
                if head.ns.is_none() && head.name == "def" {
                    self.top_level_def(&form, &items[1..], false)?;
                    return self.record_defined_var();
                }
                if self.namespaces.refers_to_core(head, "defonce") {
                    self.top_level_def(&form, &items[1..], true)?;
                    return self.record_defined_var();
                }
                if self.namespaces.refers_to_core(head, "defmacro") {
                    return self.top_level_defmacro(&form, &items[1..]);
                }
                if self.namespaces.refers_to_core(head, "ns") {
                    return self.ns_form(&form, &items[1..]);
                }
                if self.namespaces.refers_to_core(head, "in-ns") {
                    return self.in_ns_form(&form, &items[1..]);
                }
                if self.namespaces.refers_to_core(head, "require") {
                    return self.require_form(&form, &items[1..], require::RequireKind::Require);
                }
                if self.namespaces.refers_to_core(head, "use") {
                    return self.require_form(&form, &items[1..], require::RequireKind::Use);
                }
                if self.namespaces.refers_to_core(head, "import") {
                    return self.import_form(&items[1..]);
                }
                for op in ["alias", "refer", "refer-clojure"] {
                    if self.namespaces.refers_to_core(head, op) {
                        return self.namespace_op(op, &form, &items[1..]);
                    }
                }
                for change in ["ns-unmap", "ns-unalias", "remove-ns"] {
                    if self.namespaces.refers_to_core(head, change) {
                        self.namespace_change(change, &items[1..]);
                    }
                }
            }
        }
        let ctx = Ctx {
            tail: false,
            recur: None,
            in_try_body: false,
        };
        let form = match &self.repl_session {
            Some(session) => repl_run(session, form),
            None => form,
        };
        let mut expr = self.analyze(&form, ctx)?;
        if self.discards_values {
            let pos = expr.pos;
            expr = Expr {
                kind: ExprKind::Do {
                    statements: vec![expr],
                    ret: Box::new(Expr {
                        kind: ExprKind::Const(Const::Nil),
                        pos,
                    }),
                },
                pos,
            };
        }
        self.forms.push(TopLevel::Eval {
            ns: self.namespaces.current().to_string(),
            expr,
        });
        Ok(())
    }

    /// `value` (a namespace reflection fn) after telling the runtime what it
    /// cannot know of the namespaces compiled so far (see
    /// `Namespaces::note_forms`), so only code that reflects pays for it.
    fn with_namespace_notes(&mut self, value: Expr, pos: Pos) -> Result<Expr> {
        let ctx = Ctx {
            tail: false,
            recur: None,
            in_try_body: false,
        };
        let statements = self
            .namespaces
            .note_forms(pos)
            .iter()
            .map(|note| self.analyze(note, ctx))
            .collect::<Result<Vec<_>>>()?;
        if statements.is_empty() {
            return Ok(value);
        }
        Ok(Expr {
            kind: ExprKind::Do {
                statements,
                ret: Box::new(value),
            },
            pos,
        })
    }

    /// In a REPL, a def's value, its var, becomes `*1` like any other value:
    /// `(jankwasm.repl/record "<session>" (var ns/x))`, which cannot throw, so
    /// it needs no thunk run under `jankwasm.repl/run` (a function less to
    /// compile and call in every page, for every def an editor sends).
    fn record_defined_var(&mut self) -> Result<()> {
        let (Some(session), Some(TopLevel::Def { var, pos, .. })) =
            (&self.repl_session, self.forms.last())
        else {
            return Ok(());
        };
        let the_var = Form::list(
            vec![
                Form::symbol(Name::bare("var"), *pos),
                Form::symbol(Name::qualified(var.ns.clone(), var.name.clone()), *pos),
            ],
            *pos,
        );
        let form = Form::list(
            vec![
                Form::symbol(Name::qualified("jankwasm.repl", "record"), *pos),
                Form::new(FormKind::Str(session.to_string()), *pos),
                the_var,
            ],
            *pos,
        );
        let ctx = Ctx {
            tail: false,
            recur: None,
            in_try_body: false,
        };
        let expr = self.analyze(&form, ctx)?;
        self.forms.push(TopLevel::Eval {
            ns: self.namespaces.current().to_string(),
            expr,
        });
        Ok(())
    }

    /// Macroexpands the head of `form` until it is no longer a macro call.
    fn expand_fully(&mut self, form: &Form) -> Result<Form> {
        let mut form = form.clone();
        for _ in 0..MAX_EXPANSION_STEPS {
            form = match self.macro_call(&form) {
                None => return Ok(form),
                Some(MacroRef::Core(name)) => expand::expand_core_macro(&name, &form, self.gensyms)
                    .map_err(|e| self.error(e.pos, e.message))?,
                Some(MacroRef::User(var)) => self.expand_user_macro(&var, &form)?,
            };
        }
        Err(self.error(
            form.pos,
            format!("macroexpansion did not finish after {MAX_EXPANSION_STEPS} steps"),
        ))
    }

    /// The macro a list form calls, unless a local shadows it: a user macro
    /// (a var marked by `defmacro`) or one of clojure.core's.
    fn macro_call(&self, form: &Form) -> Option<MacroRef> {
        let FormKind::List(items) = &form.kind else {
            return None;
        };
        let head = items.first()?.as_symbol()?;
        if head.ns.is_none() && self.is_local(&head.name) {
            return None;
        }
        if let Some(var) = self.namespaces.resolve_var(head) {
            if self
                .namespaces
                .var_info(&var)
                .is_some_and(|info| info.is_macro)
            {
                return Some(MacroRef::User(var));
            }
        }
        (expand::is_core_macro(&head.name) && self.namespaces.refers_to_core(head, &head.name))
            .then(|| MacroRef::Core(head.name.clone()))
    }

    fn is_local(&self, name: &str) -> bool {
        self.scope.iter().any(|entry| entry.name == name)
    }

    fn top_level_def(&mut self, form: &Form, args: &[Form], once: bool) -> Result<()> {
        let (var, init) = self.def_parts(form, args)?;
        let pos = form.pos;
        match init {
            Some(init_form) => {
                let ctx = Ctx {
                    tail: false,
                    recur: None,
                    in_try_body: false,
                };
                let init = self.analyze_named(init_form, ctx, &var)?;
                self.forms.push(TopLevel::Def {
                    var,
                    init,
                    once,
                    pos,
                });
            }
            None if once => return Err(self.error(pos, "`defonce` requires an init value")),
            None => self.forms.push(TopLevel::Declare { var, pos }),
        }
        Ok(())
    }

    /// Checks `(def name doc? init?)`, records the var (so the init can refer
    /// to it) and returns it with its init form.
    fn def_parts<'f>(
        &mut self,
        form: &Form,
        args: &'f [Form],
    ) -> Result<(VarRef, Option<&'f Form>)> {
        let Some((name_form, rest)) = args.split_first() else {
            return Err(self.error(form.pos, "`def` requires a name"));
        };
        let Some(name) = name_form.as_symbol().filter(|n| n.ns.is_none()) else {
            return Err(self.error(
                name_form.pos,
                format!("`def` requires an unqualified symbol name, got {name_form}"),
            ));
        };
        let mut info = VarInfo {
            defined_at: Some((self.source.name.clone(), form.pos)),
            ..VarInfo::default()
        };
        read_var_meta(name_form.meta.as_deref(), &mut info);
        let init = match rest {
            [] => None,
            [init] => Some(init),
            [Form {
                kind: FormKind::Str(doc),
                ..
            }, init] => {
                info.doc = Some(doc.clone());
                Some(init)
            }
            _ => return Err(self.error(form.pos, "too many arguments to `def`")),
        };
        let docstring = match rest {
            [Form {
                kind: FormKind::Str(doc),
                ..
            }, _] => Some(doc.as_str()),
            _ => None,
        };
        // A def gives its var new metadata, as in Clojure: a plain def of a
        // var that had a metadata map takes the plain map, so `#'x` drops
        // the old `:doc` and the like.
        let had_meta = self
            .namespaces
            .var_info(&VarRef {
                ns: self.namespaces.current().to_string(),
                name: name.name.clone(),
            })
            .is_some_and(|previous| previous.meta.is_some());
        info.meta = metadata::var_meta_map(
            name_form,
            self.namespaces.current(),
            docstring,
            &self.source.name,
            form.pos,
            had_meta,
        );
        Ok((self.namespaces.define(&name.name, info), init))
    }

    /// Analyzes a def's init, naming an anonymous fn after the var.
    fn analyze_named(&mut self, form: &Form, ctx: Ctx, var: &VarRef) -> Result<Expr> {
        let mut expr = self.analyze(form, ctx)?;
        if let ExprKind::Fn(function) = &mut expr.kind {
            if function.self_local.is_none() {
                function.name = var.to_string();
            }
        }
        Ok(expr)
    }

    /// `#"source"`: checked now (a bad pattern is a compile error here, not a
    /// throw at run time), then made by `re-pattern`, whose runtime keeps
    /// each source's compiled pattern.
    /// The source of a regex literal, once it is known to compile: a bad
    /// pattern is a compile error at the literal, not a throw when it loads.
    fn checked_regex(&self, source: &str, pos: Pos) -> Result<String> {
        match jank_runtime_abi::java_regex::compile(source) {
            Ok(_) => Ok(source.to_string()),
            Err(message) => Err(self.error(
                pos,
                format!("invalid regex literal #\"{source}\": {message}"),
            )),
        }
    }

    /// Analyzes a form in expression position. Macro expansions nest as
    /// deep as the code they build, so the stack grows on demand rather
    /// than overflowing.
    fn analyze(&mut self, form: &Form, ctx: Ctx) -> Result<Expr> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || {
            self.analyze_here(form, ctx)
        })
    }

    fn analyze_here(&mut self, form: &Form, ctx: Ctx) -> Result<Expr> {
        if let Some(call) = metadata::literal_with_meta(form) {
            return self.analyze(&call, ctx);
        }
        let pos = form.pos;
        let kind = match &form.kind {
            FormKind::Symbol(name) => return self.analyze_symbol(name, pos),
            FormKind::Inst(ms) => {
                // A Date is made at run time from its milliseconds.
                let make = Form::list(
                    vec![
                        Form::symbol(Name::qualified("jank.runtime", "instant"), pos),
                        Form::new(FormKind::Int(*ms), pos),
                    ],
                    pos,
                );
                return self.analyze(&make, ctx);
            }
            FormKind::List(items) if items.is_empty() => ExprKind::Const(Const::List(Vec::new())),
            FormKind::List(_) => return self.analyze_list(form, ctx),
            FormKind::Vector(items) => {
                let items = self.analyze_all(items, ctx)?;
                match constant_items(&items) {
                    Some(consts) => ExprKind::Const(self.occurrence(Const::Vector(consts))),
                    None => ExprKind::Vector(items),
                }
            }
            FormKind::Set(items) => {
                let items = self.analyze_all(items, ctx)?;
                match constant_items(&items) {
                    Some(consts) => ExprKind::Const(self.occurrence(Const::Set(consts))),
                    None => ExprKind::Set(items),
                }
            }
            FormKind::Map(entries) => {
                let mut pairs = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    pairs.push((
                        self.analyze(key, ctx.non_tail())?,
                        self.analyze(value, ctx.non_tail())?,
                    ));
                }
                let consts: Option<Vec<(Const, Const)>> = pairs
                    .iter()
                    .map(|(k, v)| match (&k.kind, &v.kind) {
                        (ExprKind::Const(k), ExprKind::Const(v)) => Some((k.clone(), v.clone())),
                        _ => None,
                    })
                    .collect();
                match consts {
                    Some(consts) => ExprKind::Const(self.occurrence(Const::Map(consts))),
                    None => ExprKind::Map(pairs),
                }
            }
            _ => ExprKind::Const(self.constant(form)?),
        };
        Ok(Expr { kind, pos })
    }

    /// The next number for a literal that must be its own value.
    fn next_literal(&self) -> u32 {
        self.literals.replace(self.literals.get() + 1)
    }

    /// `value` as the value of one place in the source: a non-empty
    /// collection becomes its own `Const::Occurrence`; empty ones, like the
    /// JVM's, are one shared value.
    pub(super) fn occurrence(&self, value: Const) -> Const {
        let empty = match &value {
            Const::List(items) | Const::Vector(items) | Const::Set(items) => items.is_empty(),
            Const::Map(entries) => entries.is_empty(),
            _ => return value,
        };
        if empty {
            return value;
        }
        Const::Occurrence {
            value: Box::new(value),
            literal: self.next_literal(),
        }
    }

    fn analyze_all(&mut self, forms: &[Form], ctx: Ctx) -> Result<Vec<Expr>> {
        forms
            .iter()
            .map(|form| self.analyze(form, ctx.non_tail()))
            .collect()
    }

    /// A literal or quoted form as constant data.
    fn constant(&self, form: &Form) -> Result<Const> {
        Ok(match &form.kind {
            FormKind::Nil => Const::Nil,
            FormKind::Bool(b) => Const::Bool(*b),
            FormKind::Int(i) => Const::Int(*i),
            FormKind::Double(d) => Const::Double(*d),
            FormKind::Char(c) => Const::Char(*c),
            FormKind::Str(s) => Const::Str(s.clone()),
            FormKind::Keyword(k) => Const::Keyword(k.clone()),
            FormKind::Symbol(s) => Const::Symbol(s.clone()),
            FormKind::List(items) => Const::List(self.constants(items)?),
            FormKind::Vector(items) => Const::Vector(self.constants(items)?),
            FormKind::Set(items) => Const::Set(self.constants(items)?),
            FormKind::Map(entries) => Const::Map(
                entries
                    .iter()
                    .map(|(k, v)| Ok((self.constant(k)?, self.constant(v)?)))
                    .collect::<Result<_>>()?,
            ),
            FormKind::BigInt(digits) => Const::BigInt(digits.clone()),
            FormKind::BigDecimal(digits) => Const::BigDecimal(digits.clone()),
            FormKind::Ratio(n, d) => Const::Ratio(*n, *d),
            FormKind::Uuid(uuid) => Const::Uuid(*uuid),
            FormKind::Inst(_) => {
                return Err(self.error(
                    form.pos,
                    "a `#inst` inside quoted data is not supported: write it where it is evaluated",
                ))
            }
            FormKind::Regex(source) => Const::Regex {
                source: self.checked_regex(source, form.pos)?,
                literal: self.next_literal(),
            },
        })
    }

    fn constants(&self, forms: &[Form]) -> Result<Vec<Const>> {
        forms.iter().map(|f| self.constant(f)).collect()
    }

    fn analyze_symbol(&mut self, name: &Name, pos: Pos) -> Result<Expr> {
        if name.ns.is_none() {
            match self.resolve_local(&name.name) {
                Some(Binding::Local(id)) => {
                    return Ok(Expr {
                        kind: ExprKind::Local(id),
                        pos,
                    })
                }
                Some(Binding::MutableField(field)) => return self.mutable_field_value(&field, pos),
                None => {}
            }
        }
        if name.ns.is_none() && SPECIAL_FORMS.contains(&name.name.as_str()) {
            return Err(self.error(
                pos,
                format!("special form `{}` can't be used as a value", name.name),
            ));
        }
        if let Some(var) = self.namespaces.resolve_var(name) {
            if var.ns == CORE_NS && expand::is_core_macro(&var.name) {
                return Err(self.error(pos, format!("can't take the value of a macro: #'{var}")));
            }
            if var.ns == CORE_NS && var.name == "intern" {
                self.namespaces.note_intern();
            }
            let value = Expr {
                kind: ExprKind::VarValue(var.clone()),
                pos,
            };
            if var.ns == CORE_NS && NAMESPACE_READERS.contains(&var.name.as_str()) {
                return self.with_namespace_notes(value, pos);
            }
            return Ok(value);
        }
        if self.namespaces.refers_to_core(name, "*file*") {
            // The file a form was compiled from, as `load` binds it in Clojure.
            return Ok(Expr {
                kind: ExprKind::Const(Const::Str(self.source.name.to_string())),
                pos,
            });
        }
        if self.namespaces.refers_to_core(name, "resolve") {
            // `resolve` as a value: a fn of the symbol, resolved with what
            // is known here of the current namespace (see `resolve_form`).
            let sym = Form::symbol(Name::bare("sym"), pos);
            let resolve = Form::list(vec![Form::symbol(name.clone(), pos), sym.clone()], pos);
            let fn_form = Form::list(
                vec![
                    Form::symbol(Name::bare("fn*"), pos),
                    Form::new(FormKind::Vector(vec![sym]), pos),
                    resolve,
                ],
                pos,
            );
            return self.analyze(
                &fn_form,
                Ctx {
                    tail: false,
                    recur: None,
                    in_try_body: false,
                },
            );
        }
        if name.name == "*ns*"
            && (name.ns.is_none()
                || self.namespaces.resolve_ns(name.ns.as_deref().unwrap_or("")) == Some(CORE_NS))
        {
            // The namespace a form runs in is the one it was compiled in.
            let current = Form::symbol(Name::bare(self.namespaces.current()), pos);
            let the_ns = Form::list(
                vec![
                    Form::symbol(Name::qualified(CORE_NS, "the-ns"), pos),
                    Form::list(vec![Form::symbol(Name::bare("quote"), pos), current], pos),
                ],
                pos,
            );
            return self.analyze(
                &the_ns,
                Ctx {
                    tail: false,
                    recur: None,
                    in_try_body: false,
                },
            );
        }
        if expand::is_core_macro(&name.name)
            && (name.ns.is_none()
                || self.namespaces.resolve_ns(name.ns.as_deref().unwrap_or("")) == Some(CORE_NS))
        {
            return Err(self.error(
                pos,
                format!(
                    "can't take the value of a macro: #'clojure.core/{}",
                    name.name
                ),
            ));
        }
        if let Some(class) = self.class_value(name, pos)? {
            return Ok(class);
        }
        if let Some(var) = self.interned_at_run_time(name, pos)? {
            return Ok(Expr {
                kind: ExprKind::VarValue(var),
                pos,
            });
        }
        if let Some(var) = self.defined_class_var(name) {
            return Ok(Expr {
                kind: ExprKind::VarValue(var),
                pos,
            });
        }
        if let Some(member) = name
            .ns
            .as_deref()
            .and_then(|class| self.static_member(class, &name.name))
        {
            let form = match member {
                StaticMember::Literal(kind) => Form::new(kind, pos),
                StaticMember::Field(var) => Form::symbol(var, pos),
                StaticMember::Method(method) => Form::symbol(method.function, pos),
            };
            return self.analyze(
                &form,
                Ctx {
                    tail: false,
                    recur: None,
                    in_try_body: false,
                },
            );
        }
        Err(self.unresolved(name, pos))
    }

    /// The class a bare JVM class name (imported, in java.lang, or in full)
    /// names, as a value: the runtime makes it from its full name.
    fn class_value(&mut self, name: &Name, pos: Pos) -> Result<Option<Expr>> {
        let Some(class) = name
            .ns
            .is_none()
            .then(|| self.namespaces.resolve_class(&name.name))
            .flatten()
        else {
            return Ok(None);
        };
        let class_named = Form::list(
            vec![
                Form::symbol(Name::qualified("jank.runtime", "class-named"), pos),
                Form::new(FormKind::Str(class.to_string()), pos),
            ],
            pos,
        );
        self.analyze(&class_named, Ctx::expression()).map(Some)
    }

    /// What `class/member` stands for, the class written as Java code in
    /// this namespace may write it (imported, in java.lang, or in full).
    fn static_member(&self, class: &str, member: &str) -> Option<StaticMember> {
        let class = self.namespaces.imported_class(class).unwrap_or(class);
        java_members::static_member(class, member)
    }

    /// The var holding the class a `defrecord` or `deftype` defined, for
    /// its full name (`my_app.core.Point` is `my-app.core/Point`): a dotted
    /// name whose last part is capitalized.
    fn defined_class_var(&self, name: &Name) -> Option<VarRef> {
        if name.ns.is_some() {
            return None;
        }
        let (ns, class) = name.name.rsplit_once('.')?;
        if ns.is_empty() || !class.starts_with(|c: char| c.is_ascii_uppercase()) {
            return None;
        }
        [ns.to_string(), ns.replace('_', "-")]
            .into_iter()
            .find_map(|ns| self.namespaces.resolve_var(&Name::qualified(&ns, class)))
    }

    /// `(T. args*)` and `(new T args*)` where `T` names a var (the class of a
    /// `defrecord` or `deftype`): `(jank.runtime/new-instance T args*)`; where
    /// `T` is a Throwable class (`Exception`, `IllegalArgumentException`):
    /// `(jank.runtime/new-throwable "java.lang.Exception" args*)`; `(Object.)`:
    /// `(jank.runtime/new-object)`; `(StringBuilder. init?)`:
    /// `(jank.runtime/new-string-builder init?)`. Other constructors stay
    /// Java interop, refused.
    fn constructor_call(&self, head: &Name, form: &Form, args: &[Form]) -> Option<Form> {
        let (class, args) = if head.name == "new" {
            let (class, args) = args.split_first()?;
            (class.clone(), args)
        } else {
            let stem = head
                .name
                .strip_suffix('.')
                .filter(|stem| !stem.is_empty() && !stem.starts_with('.'))?;
            (Form::symbol(Name::bare(stem), form.pos), args)
        };
        let class_name = class.as_symbol()?;
        if class_name.ns.is_none() && self.is_local(&class_name.name) {
            return None;
        }
        // Object has only its no-argument constructor: `(Object. x)` stays
        // interop, refused.
        if class_name.ns.is_none()
            && jank_runtime_abi::java_classes::resolve(&class_name.name) == Some("java.lang.Object")
        {
            return args.is_empty().then(|| {
                Form::list(
                    vec![Form::symbol(
                        Name::qualified("jank.runtime", "new-object"),
                        form.pos,
                    )],
                    form.pos,
                )
            });
        }
        // java.util.Date's `()` (now, on the host's wall clock) and `(ms)`
        // constructors make the `#inst` of that time; its deprecated others
        // stay interop, refused.
        if class_name.ns.is_none()
            && self.namespaces.resolve_class(&class_name.name) == Some("java.util.Date")
            && args.len() <= 1
        {
            let runtime =
                |name: &str| Form::symbol(Name::qualified("jank.runtime", name), form.pos);
            let millis = match args.first() {
                Some(millis) => millis.clone(),
                None => Form::list(vec![runtime("current-time-millis")], form.pos),
            };
            return Some(Form::list(vec![runtime("instant"), millis], form.pos));
        }
        // java.lang.StringBuilder's `()`, `(capacity)`, `(String)` and
        // `(CharSequence)` constructors, told apart at run time.
        if class_name.ns.is_none()
            && self.namespaces.resolve_class(&class_name.name) == Some("java.lang.StringBuilder")
            && args.len() <= 1
        {
            let mut call = vec![Form::symbol(
                Name::qualified("jank.runtime", "new-string-builder"),
                form.pos,
            )];
            call.extend(args.iter().cloned());
            return Some(Form::list(call, form.pos));
        }
        if let Some(throwable) = java_members::throwable_class(class_name) {
            let mut call = vec![
                Form::symbol(Name::qualified("jank.runtime", "new-throwable"), form.pos),
                Form::new(FormKind::Str(throwable.to_string()), class.pos),
            ];
            call.extend(args.iter().cloned());
            return Some(Form::list(call, form.pos));
        }
        self.namespaces
            .resolve_var(class_name)
            .or_else(|| self.defined_class_var(class_name))?;
        let mut call = vec![
            Form::symbol(Name::qualified("jank.runtime", "new-instance"), form.pos),
            class,
        ];
        call.extend(args.iter().cloned());
        Some(Form::list(call, form.pos))
    }

    fn unresolved(&self, name: &Name, pos: Pos) -> Diagnostic {
        if RUN_TIME_COMPILER_FNS.contains(&name.name.as_str())
            && self.namespaces.refers_to_core(name, &name.name)
        {
            return self.error(
                pos,
                format!(
                    "`{}` is not supported: it compiles code at run time, and a page has no compiler (jankwasm compiles every form before it is sent)",
                    name.name
                ),
            );
        }
        match &name.ns {
            Some(qualifier)
                if self.namespaces.resolve_ns(qualifier).is_none()
                    && (qualifier.starts_with(|c: char| c.is_ascii_uppercase())
                        || qualifier.starts_with("java.")
                        || jank_runtime_abi::java_classes::resolve(qualifier).is_some()) =>
            {
                self.error(
                    pos,
                    format!("Java interop (`{name}`) is not supported by jankwasm: of the static members, only Long's, Integer's and Double's constants, a few number and text methods of Long, Integer, Double, Boolean and String, Character's tests and case mappings, java.lang.Math's with a clojure.math counterpart, System's clocks and clojure.lang.PersistentQueue/EMPTY are"),
                )
            }
            Some(qualifier) if self.namespaces.resolve_ns(qualifier).is_none() => {
                self.error(pos, format!("no such namespace: {qualifier} (in `{name}`)"))
            }
            Some(_) => self.error(pos, format!("no such var: {name}")),
            None if name.name.contains('.') || name.name.starts_with('.') => self.error(
                pos,
                format!("Java/C++ interop (`{name}`) is not supported by jankwasm"),
            ),
            None => self.error(
                pos,
                format!("unable to resolve symbol: {name} in this context"),
            ),
        }
    }

    /// What the local `name` refers to, recording captures for every fn a
    /// local crosses (`fields` does it for the value of a mutable field).
    fn resolve_local(&mut self, name: &str) -> Option<Binding> {
        let entry = self.innermost(name)?.clone();
        if let Binding::Local(id) = entry.binding {
            self.capture(id, entry.fn_depth);
        }
        Some(entry.binding)
    }

    /// Records that the local `id`, bound at fn depth `bound_at`, is read at
    /// the current depth: every fn in between captures it.
    fn capture(&mut self, id: LocalId, bound_at: usize) {
        let depth = self.fn_frames.len();
        for frame in self
            .fn_frames
            .iter_mut()
            .skip(bound_at)
            .take(depth.saturating_sub(bound_at))
        {
            if !frame.captures.contains(&id) {
                frame.captures.push(id);
            }
        }
    }

    /// Declares a new local in the innermost scope.
    fn bind_local(&mut self, name: &Name, pos: Pos) -> Result<LocalId> {
        if name.ns.is_some() {
            return Err(self.error(
                pos,
                format!("can't bind qualified symbol `{name}` as a local"),
            ));
        }
        let id = LocalId(self.locals.0.len() as u32);
        self.locals.0.push(name.name.clone());
        self.scope.push(ScopeEntry {
            name: name.name.clone(),
            binding: Binding::Local(id),
            fn_depth: self.fn_frames.len(),
        });
        Ok(id)
    }

    fn analyze_list(&mut self, form: &Form, ctx: Ctx) -> Result<Expr> {
        let FormKind::List(items) = &form.kind else {
            unreachable!("analyze_list takes lists")
        };
        let head = &items[0];
        let args = &items[1..];
        if let Some(name) = head.as_symbol() {
            if name.ns.as_deref() == Some(expand::TYPE_FIELDS.0)
                && name.name == expand::TYPE_FIELDS.1
            {
                return self.analyze_type_fields(form, args, ctx);
            }
            if name.ns.as_deref() == Some(expand::DEFINE_CLASS.0)
                && name.name == expand::DEFINE_CLASS.1
            {
                self.note_record_fields(args);
            }
            match name
                .ns
                .as_deref()
                .filter(|class| self.namespaces.resolve_ns(class).is_none())
                .and_then(|class| self.static_member(class, &name.name))
            {
                // `(Long/MAX_VALUE)`: a static field read in call position, as
                // Clojure reads `(Class/FIELD)`.
                Some(StaticMember::Literal(kind)) if args.is_empty() => {
                    return self.analyze(&Form::new(kind, form.pos), ctx);
                }
                Some(StaticMember::Field(var)) if args.is_empty() => {
                    return self.analyze(&Form::symbol(var, form.pos), ctx);
                }
                Some(StaticMember::Literal(_) | StaticMember::Field(_)) => {
                    return Err(self.error(
                        form.pos,
                        format!(
                            "Java interop (`{name}` with arguments) is not supported by jankwasm: `{name}` is a static field, read as `({name})` or `{name}`"
                        ),
                    ));
                }
                Some(StaticMember::Method(method)) => {
                    if let Some(message) = method.arity_error(&name.to_string(), args.len()) {
                        return Err(self.error(form.pos, message));
                    }
                }
                _ => {}
            }
            let local = name.ns.is_none() && self.is_local(&name.name);
            if !local && name.ns.is_none() {
                if let Some(construct) = self.constructor_call(name, form, args) {
                    return self.analyze(&construct, ctx);
                }
                if SPECIAL_FORMS.contains(&name.name.as_str()) {
                    return self.analyze_special(&name.name, form, args, ctx);
                }
                if name.name == "catch" || name.name == "finally" {
                    return Err(self.error(head.pos, format!("`{}` outside `try`: it is only allowed among the last forms of a `try`", name.name)));
                }
                if UNSUPPORTED_SPECIALS.contains(&name.name.as_str()) {
                    return Err(self.error(
                        form.pos,
                        format!("special form `{}` is not supported by jankwasm", name.name),
                    ));
                }
                if name.name == "." {
                    return self.dot_form(form, args, ctx);
                }
                if let Some(access) = self.member_access(name, form, args, ctx) {
                    return access;
                }
            }
            if !local {
                if let Some(called) = self.macro_call(form) {
                    let expanded = self.expand_fully(form)?;
                    if let MacroRef::User(var) = called {
                        return self.analyze_expansion(var, &expanded, ctx);
                    }
                    return self.analyze(&expanded, ctx);
                }
                if self.namespaces.refers_to_core(name, "resolve") {
                    return self.resolve_form(form, args);
                }
                if name.name == "doc"
                    && name
                        .ns
                        .as_deref()
                        .and_then(|ns| self.namespaces.resolve_ns(ns))
                        == Some(REPL_NS)
                {
                    return self.doc_form(form, args);
                }
                for special_macro in [
                    "defonce",
                    "ns",
                    "in-ns",
                    "require",
                    "use",
                    "import",
                    "alias",
                    "refer",
                    "refer-clojure",
                    "defmacro",
                    "macroexpand-1",
                    "macroexpand",
                ] {
                    if self.namespaces.refers_to_core(name, special_macro) {
                        return self.analyze_special_macro(special_macro, form, args, ctx);
                    }
                }
                if let Some(intrinsic) = self.intrinsic_call(name, args.len()) {
                    return self.analyze_intrinsic(intrinsic, form, args, ctx);
                }
            }
        }
        let callee = self.analyze(head, ctx.non_tail())?;
        let args = self.analyze_all(args, ctx)?;
        Ok(Expr {
            kind: ExprKind::Call {
                callee: Box::new(callee),
                args,
            },
            pos: form.pos,
        })
    }

    /// Forms that are macros in Clojure but that jankwasm handles itself.
    fn analyze_special_macro(
        &mut self,
        name: &str,
        form: &Form,
        args: &[Form],
        ctx: Ctx,
    ) -> Result<Expr> {
        match name {
            "defonce" => {
                let (var, init) = self.def_parts(form, args)?;
                let Some(init) = init else {
                    return Err(self.error(form.pos, "`defonce` requires an init value"));
                };
                let init = self.analyze_named(init, ctx.non_tail(), &var)?;
                Ok(Expr {
                    kind: ExprKind::Def {
                        var,
                        init: Some(Box::new(init)),
                        once: true,
                    },
                    pos: form.pos,
                })
            }
            "macroexpand-1" | "macroexpand" => self.analyze_macroexpand(name, form, args, ctx),
            _ => Err(self.error(
                form.pos,
                format!("`{name}` is only allowed as a top-level form"),
            )),
        }
    }

    /// The inlined operation for a call of clojure.core's `name` with `argc` arguments, as Clojure's `:inline`.
    fn intrinsic_call(&self, name: &Name, argc: usize) -> Option<Intrinsic> {
        Intrinsic::ALL
            .into_iter()
            .find(|op| op.accepts(argc) && self.namespaces.refers_to_core(name, op.core_name()))
    }

    fn analyze_intrinsic(
        &mut self,
        op: Intrinsic,
        form: &Form,
        args: &[Form],
        ctx: Ctx,
    ) -> Result<Expr> {
        let mut args = self.analyze_all(args, ctx)?;
        // Clojure inlines (+ a b c) as (+ (+ a b) c).
        while args.len() > 2 {
            let rest = args.split_off(2);
            let folded = Expr {
                kind: ExprKind::Intrinsic { op, args },
                pos: form.pos,
            };
            args = std::iter::once(folded).chain(rest).collect();
        }
        Ok(Expr {
            kind: ExprKind::Intrinsic { op, args },
            pos: form.pos,
        })
    }
}

/// `(jankwasm.repl/run "session" (fn* [] form))`: the runtime keeps the
/// session's REPL vars around the form's run.
fn repl_run(session: &str, form: Form) -> Form {
    let pos = form.pos;
    Form::list(
        vec![
            Form::symbol(Name::qualified("jankwasm.repl", "run"), pos),
            Form::new(FormKind::Str(session.to_string()), pos),
            Form::list(
                vec![
                    Form::symbol(Name::bare("fn*"), pos),
                    Form::new(FormKind::Vector(Vec::new()), pos),
                    form,
                ],
                pos,
            ),
        ],
        pos,
    )
}

/// All items as constants, when every one is.
fn constant_items(items: &[Expr]) -> Option<Vec<Const>> {
    items
        .iter()
        .map(|item| match &item.kind {
            ExprKind::Const(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

/// Reads `:doc`, `:arglists`, `:private` and the reload hooks
/// (`:dev/before-load`, `:dev/after-load`) from a def name's metadata map.
fn read_var_meta(meta: Option<&Form>, info: &mut VarInfo) {
    let Some(Form {
        kind: FormKind::Map(entries),
        ..
    }) = meta
    else {
        return;
    };
    for (key, value) in entries {
        let FormKind::Keyword(key) = &key.kind else {
            continue;
        };
        if key.ns.as_deref() == Some("dev") {
            let hook = match key.name.as_str() {
                "before-load" => ReloadHook::BeforeLoad,
                "after-load" => ReloadHook::AfterLoad,
                _ => continue,
            };
            if !matches!(value.kind, FormKind::Bool(false) | FormKind::Nil) {
                info.reload_hooks.push(hook);
            }
            continue;
        }
        if key.ns.is_some() {
            continue;
        }
        match (key.name.as_str(), &value.kind) {
            ("doc", FormKind::Str(doc)) => info.doc = Some(doc.clone()),
            ("private", FormKind::Bool(private)) => info.private = *private,
            ("arglists", FormKind::List(quoted)) => {
                if let Some(FormKind::List(lists)) = quoted.get(1).map(|f| &f.kind) {
                    info.arglists = lists.iter().map(|l| l.to_string()).collect();
                }
            }
            _ => {}
        }
    }
}
