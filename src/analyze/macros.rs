//! User macros: `defmacro` defines a fn var (with Clojure's leading `&form`
//! and `&env` parameters) marked as a macro, and a call of such a var is
//! expanded at compile time by the session's `MacroExpander`, which runs the
//! macro in a compile-time runtime. The expansion comes back as a form;
//! parts of it that are parts of the call keep their positions, and the
//! rest takes the call's, so errors inside an expansion point at the user's
//! text.

use super::ast::{LocalNames, TopLevel, Unit, VarRef};
use super::namespaces::Namespaces;
use super::{Analyzer, Ctx, Expr, Result};
use crate::expand::{build, Gensyms};
use crate::read::{Form, FormKind, Name};
use crate::source::{Pos, SourceFile};
use std::collections::HashMap;

/// How many user-macro expansions may be open inside each other: deeper
/// than this, a macro is taken to expand into a call of itself.
pub const MAX_MACRO_NESTING: usize = 200;

/// The stack a call into the compile-time runtime may use.
const EXPANDER_STACK: usize = 4 * 1024 * 1024;

/// One call of a user macro, with what a compile-time runtime needs to run it.
pub struct MacroCall<'c> {
    pub macro_var: &'c VarRef,
    /// The whole call (`&form`).
    pub form: &'c Form,
    /// The locals in scope at the call (`&env`'s keys).
    pub locals: Vec<String>,
    /// This unit's top-level forms analyzed since the expander last saw it:
    /// they are loaded before the macro runs, since a macro may call a fn
    /// defined just above its use.
    pub unloaded: &'c [TopLevel],
    pub local_names: &'c LocalNames,
    pub source: &'c SourceFile,
    pub namespaces: &'c mut Namespaces,
    pub gensyms: &'c mut Gensyms,
}

/// A form evaluated at compile time, in the runtime macros run in, after
/// this unit's forms before it (`(in-ns expr)`, whether a var was interned
/// at run time).
pub struct CompileTimeEval<'c> {
    pub form: &'c Form,
    /// As `MacroCall::unloaded`.
    pub unloaded: &'c [TopLevel],
    pub local_names: &'c LocalNames,
    pub source: &'c SourceFile,
    pub namespaces: &'c mut Namespaces,
    pub gensyms: &'c mut Gensyms,
}

/// Runs user macros for the analyzer.
pub trait MacroExpander {
    /// The expansion of `call`, or why there is none (the macro threw, was
    /// called with the wrong number of arguments, returned something that
    /// is not code).
    fn expand(&mut self, call: MacroCall<'_>) -> std::result::Result<Form, String>;

    /// The value of `eval.form`, read back as a form, or why there is none
    /// (it threw, its value does not print as data).
    fn evaluate(&mut self, eval: CompileTimeEval<'_>) -> std::result::Result<Form, String>;

    /// `unit` (from `source`) is analyzed in full; its forms from `given`
    /// on were never handed to `expand` and must be loaded before the next
    /// macro runs.
    fn analyzed(&mut self, source: &SourceFile, unit: &Unit, given: usize);
}

impl Analyzer<'_> {
    /// `(defmacro name doc? attr-map? [params] body...)` or with several
    /// `([params] body...)` arities: a `defn` whose arities take `&form` and
    /// `&env` first, its var marked as a macro once defined.
    pub(super) fn top_level_defmacro(&mut self, form: &Form, args: &[Form]) -> Result<()> {
        let Some(name) = args
            .first()
            .and_then(Form::as_symbol)
            .filter(|n| n.ns.is_none())
        else {
            return Err(self.error(form.pos, "`defmacro` requires an unqualified symbol name"));
        };
        let mut rest = &args[1..];
        let mut defn: Vec<Form> = vec![
            Form::symbol(Name::qualified("clojure.core", "defn"), form.pos),
            args[0].clone(),
        ];
        while let Some(first) = rest.first() {
            if matches!(first.kind, FormKind::Str(_) | FormKind::Map(_)) {
                defn.push(first.clone());
                rest = &rest[1..];
            } else {
                break;
            }
        }
        let implicit = |pos: Pos, name: &str| Form::symbol(Name::bare(name), pos);
        let with_implicit_params = |params: &Form| -> Option<Form> {
            let FormKind::Vector(items) = &params.kind else {
                return None;
            };
            let mut items = items.clone();
            items.insert(0, implicit(params.pos, "&env"));
            items.insert(0, implicit(params.pos, "&form"));
            Some(Form {
                kind: FormKind::Vector(items),
                ..params.clone()
            })
        };
        match rest.first().map(|f| &f.kind) {
            Some(FormKind::Vector(_)) => {
                let params = with_implicit_params(&rest[0]).unwrap_or_else(|| rest[0].clone());
                defn.push(params);
                defn.extend(rest[1..].iter().cloned());
            }
            Some(FormKind::List(_)) => {
                for arity in rest {
                    let FormKind::List(items) = &arity.kind else {
                        return Err(self.error(
                            arity.pos,
                            format!(
                                "`defmacro` arity must be a list ([params] body...), got {arity}"
                            ),
                        ));
                    };
                    let Some(params) = items.first().and_then(with_implicit_params) else {
                        return Err(self.error(
                            arity.pos,
                            "`defmacro` arity must start with a parameter vector",
                        ));
                    };
                    let mut arity_items = vec![params];
                    arity_items.extend(items[1..].iter().cloned());
                    defn.push(Form {
                        kind: FormKind::List(arity_items),
                        ..arity.clone()
                    });
                }
            }
            _ => {
                return Err(self.error(
                    form.pos,
                    format!("`defmacro` {} requires a parameter vector", name.name),
                ))
            }
        }
        defn[1] = macro_var_name(&args[0]);
        let defn = Form {
            kind: FormKind::List(defn),
            ..form.clone()
        };
        let name = name.name.clone();
        self.analyze_top_level(&defn)?;
        self.namespaces.mark_macro(&name);
        Ok(())
    }

    /// The expansion of a call of the user macro `var`.
    pub(super) fn expand_user_macro(&mut self, var: &VarRef, form: &Form) -> Result<Form> {
        self.macros_used.insert(var.clone());
        let locals: Vec<String> = self.scope.iter().map(|entry| entry.name.clone()).collect();
        let Some(expander) = self.expander.as_deref_mut() else {
            return Err(self.error(
                form.pos,
                format!("cannot expand macro {var}: this compilation has no compile-time runtime to run macros in"),
            ));
        };
        let call = MacroCall {
            macro_var: var,
            form,
            locals,
            unloaded: &self.forms[self.forms_given_to_expander..],
            local_names: &self.locals,
            source: self.source,
            namespaces: self.namespaces,
            gensyms: self.gensyms,
        };
        // The compile-time runtime compiles and runs wasm (cranelift's own
        // recursion is deep) from wherever the analysis is, which a macro
        // expanding into itself puts hundreds of levels down: it gets a
        // fresh stack segment when less than EXPANDER_STACK is left.
        let expanded =
            stacker::maybe_grow(EXPANDER_STACK, 4 * EXPANDER_STACK, || expander.expand(call));
        self.forms_given_to_expander = self.forms.len();
        let expansion = expanded.map_err(|message| {
            self.error(form.pos, format!("macro {var} failed to expand: {message}"))
        })?;
        Ok(reposition(expansion, form))
    }

    /// `form`'s value at compile time (see `CompileTimeEval`); `what` says
    /// what needs it, for the error when there is no compile-time runtime.
    pub(super) fn evaluate_at_compile_time(&mut self, form: &Form, what: &str) -> Result<Form> {
        let Some(expander) = self.expander.as_deref_mut() else {
            return Err(self.error(
                form.pos,
                format!("{what} needs a compile-time runtime to evaluate `{form}` in, and this compilation has none"),
            ));
        };
        let eval = CompileTimeEval {
            form,
            unloaded: &self.forms[self.forms_given_to_expander..],
            local_names: &self.locals,
            source: self.source,
            namespaces: self.namespaces,
            gensyms: self.gensyms,
        };
        let value = expander.evaluate(eval);
        self.forms_given_to_expander = self.forms.len();
        value.map_err(|message| {
            self.error(form.pos, format!("{what}: evaluating `{form}` {message}"))
        })
    }

    /// The var `name` names when no definition the compiler saw made it but
    /// an earlier form may have interned it at run time (`intern`, which
    /// this session has called): asked of the compile-time runtime, which
    /// has run those forms, and then known like a declared var.
    pub(super) fn interned_at_run_time(&mut self, name: &Name, pos: Pos) -> Result<Option<VarRef>> {
        if !self.namespaces.interns_at_run_time() || self.expander.is_none() {
            return Ok(None);
        }
        let ns = match &name.ns {
            Some(qualifier) => match self.namespaces.resolve_ns(qualifier) {
                Some(ns) => ns.to_string(),
                None => qualifier.clone(),
            },
            None => self.namespaces.current().to_string(),
        };
        let symbol = |ns: Option<&str>, text: &str| {
            Form::symbol(
                match ns {
                    Some(ns) => Name::qualified(ns, text),
                    None => Name::bare(text),
                },
                pos,
            )
        };
        let quoted = Form::list(
            vec![symbol(None, "quote"), symbol(Some(&ns), &name.name)],
            pos,
        );
        // find-var throws for a namespace the runtime does not know.
        let probe = Form::list(
            vec![
                symbol(None, "try"),
                Form::list(
                    vec![
                        symbol(Some("clojure.core"), "some?"),
                        Form::list(vec![symbol(Some("clojure.core"), "find-var"), quoted], pos),
                    ],
                    pos,
                ),
                Form::list(
                    vec![
                        symbol(None, "catch"),
                        symbol(None, "Exception"),
                        symbol(None, "_"),
                        Form::new(FormKind::Bool(false), pos),
                    ],
                    pos,
                ),
            ],
            pos,
        );
        let found = self.evaluate_at_compile_time(&probe, &format!("resolving `{name}`"))?;
        if !matches!(found.kind, FormKind::Bool(true)) {
            return Ok(None);
        }
        Ok(Some(self.namespaces.define_in(
            &ns,
            &name.name,
            Default::default(),
        )))
    }

    /// `(macroexpand-1 'form)` and `(macroexpand 'form)`: expanded at
    /// compile time into a quoted constant, since a page has no compiler.
    /// An expansion that fails becomes a throw where the call stands: in
    /// Clojure `macroexpand` runs when the code runs, so a malformed form is
    /// that call's exception, not an error in the code around it.
    pub(super) fn analyze_macroexpand(
        &mut self,
        name: &str,
        form: &Form,
        args: &[Form],
        ctx: Ctx,
    ) -> Result<Expr> {
        let quoted = match args {
            [arg] => super::require::quoted_form(arg),
            _ => None,
        };
        let Some(quoted) = quoted else {
            return Err(self.error(
                form.pos,
                format!("`{name}` takes one quoted form: jankwasm expands macros at compile time, and a page has no compiler"),
            ));
        };
        let expanded = if name == "macroexpand" {
            self.expand_fully(quoted)
        } else {
            match self.macro_call(quoted) {
                None => Ok(quoted.clone()),
                Some(super::MacroRef::Core(core)) => {
                    crate::expand::expand_core_macro(&core, quoted, self.gensyms)
                        .map_err(|e| self.error(e.pos, e.message))
                }
                Some(super::MacroRef::User(var)) => self.expand_user_macro(&var, quoted),
            }
        };
        match expanded {
            Ok(expanded) => Ok(Expr {
                kind: super::ExprKind::Const(self.constant(&expanded)?),
                pos: form.pos,
            }),
            Err(failure) => {
                let message = format!(
                    "Syntax error macroexpanding at ({}:{}:{}). {}",
                    failure.file, failure.pos.line, failure.pos.col, failure.message
                );
                let pos = form.pos;
                let throw = build::list(
                    vec![
                        build::sym("throw", pos),
                        build::list(
                            vec![
                                build::core("ex-info", pos),
                                Form::new(FormKind::Str(message), pos),
                                build::list(vec![build::core("hash-map", pos)], pos),
                            ],
                            pos,
                        ),
                    ],
                    pos,
                );
                self.analyze(&throw, ctx)
            }
        }
    }

    /// Analyzes what a user macro expanded into, with a limit on how many
    /// expansions nest.
    pub(super) fn analyze_expansion(
        &mut self,
        var: VarRef,
        expanded: &Form,
        ctx: Ctx,
    ) -> Result<Expr> {
        self.enter_expansion(var, expanded.pos)?;
        let analyzed = self.analyze(expanded, ctx);
        self.expanding.pop();
        analyzed
    }

    pub(super) fn enter_expansion(&mut self, var: VarRef, pos: Pos) -> Result<()> {
        if self.expanding.len() >= MAX_MACRO_NESTING {
            return Err(self.error(
                pos,
                format!("macro {var} expanded into more than {MAX_MACRO_NESTING} nested macro calls (does it expand into a call of itself?)"),
            ));
        }
        self.expanding.push(var);
        Ok(())
    }
}

/// The expansion with positions: a part equal to a part of the call (an
/// argument passed through) keeps that part's position, the rest takes
/// the call's.
fn reposition(expansion: Form, call: &Form) -> Form {
    let mut known: HashMap<String, Pos> = HashMap::new();
    collect_positions(call, &mut known);
    place(expansion, call.pos, &known)
}

fn collect_positions(form: &Form, known: &mut HashMap<String, Pos>) {
    if matches!(
        form.kind,
        FormKind::List(_)
            | FormKind::Vector(_)
            | FormKind::Map(_)
            | FormKind::Set(_)
            | FormKind::Symbol(_)
    ) {
        known.entry(form.to_string()).or_insert(form.pos);
    }
    match &form.kind {
        FormKind::List(items) | FormKind::Vector(items) | FormKind::Set(items) => {
            items.iter().for_each(|item| collect_positions(item, known));
        }
        FormKind::Map(entries) => entries.iter().for_each(|(k, v)| {
            collect_positions(k, known);
            collect_positions(v, known);
        }),
        _ => {}
    }
}

fn place(form: Form, call_pos: Pos, known: &HashMap<String, Pos>) -> Form {
    let pos = known.get(&form.to_string()).copied().unwrap_or(call_pos);
    let kind = match form.kind {
        FormKind::List(items) => FormKind::List(place_all(items, pos, known)),
        FormKind::Vector(items) => FormKind::Vector(place_all(items, pos, known)),
        FormKind::Set(items) => FormKind::Set(place_all(items, pos, known)),
        FormKind::Map(entries) => FormKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| (place(k, pos, known), place(v, pos, known)))
                .collect(),
        ),
        other => other,
    };
    Form {
        kind,
        pos,
        meta: form.meta,
    }
}

fn place_all(items: Vec<Form>, pos: Pos, known: &HashMap<String, Pos>) -> Vec<Form> {
    items
        .into_iter()
        .map(|item| place(item, pos, known))
        .collect()
}

/// A defmacro's name carrying `:macro true`, as setMacro marks the var.
fn macro_var_name(name: &Form) -> Form {
    let pos = name.pos;
    let mut meta = match name.meta.as_deref().map(|meta| &meta.kind) {
        Some(FormKind::Map(own)) => own.clone(),
        _ => Vec::new(),
    };
    meta.push((
        build::keyword("macro", pos),
        Form::new(FormKind::Bool(true), pos),
    ));
    Form {
        meta: Some(Box::new(Form::new(FormKind::Map(meta), pos))),
        ..name.clone()
    }
}
