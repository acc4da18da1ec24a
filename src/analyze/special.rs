//! The special forms, and the namespace forms (`ns`, `in-ns`) that act at
//! compile time (`require` and `use` are in `require`).

use super::ast::*;
use super::fields::CapturedField;
use super::namespaces::CORE_NS;
use super::require::{quoted_form, RequireKind};
use super::{Analyzer, Ctx, FnFrame, RecurPoint, Result};
use crate::read::{Form, FormKind, Name};
use crate::source::Pos;
use jank_runtime_abi::JANK_MAX_PARAMS;

impl Analyzer<'_> {
    pub(super) fn analyze_special(
        &mut self,
        name: &str,
        form: &Form,
        args: &[Form],
        ctx: Ctx,
    ) -> Result<Expr> {
        let pos = form.pos;
        let kind = match name {
            "quote" => match args {
                [quoted] => match super::metadata::quoted_with_meta(quoted) {
                    Some(call) => return self.analyze(&call, ctx),
                    None => {
                        let value = self.constant(quoted)?;
                        ExprKind::Const(self.occurrence(value))
                    }
                },
                _ => return Err(self.error(pos, "`quote` takes exactly one form")),
            },
            "if" => self.analyze_if(form, args, ctx)?,
            "do" => self.analyze_do(args, ctx, pos)?,
            "let*" => self.analyze_let(form, args, ctx)?,
            "loop*" => self.analyze_loop(form, args, ctx)?,
            "recur" => self.analyze_recur(form, args, ctx)?,
            "fn*" => {
                let (function, field_values) = self.analyze_fn(form, args)?;
                return self.with_field_values(
                    field_values,
                    Expr {
                        kind: ExprKind::Fn(Box::new(function)),
                        pos,
                    },
                );
            }
            "letfn*" => self.analyze_letfn(form, args, ctx)?,
            "def" => {
                let (var, init) = self.def_parts(form, args)?;
                let init = match init {
                    Some(init) => Some(Box::new(self.analyze_named(init, ctx.non_tail(), &var)?)),
                    None => None,
                };
                ExprKind::Def {
                    var,
                    init,
                    once: false,
                }
            }
            "var" => match args {
                [Form {
                    kind: FormKind::Symbol(name),
                    pos: sym_pos,
                    ..
                }] => match self.namespaces.resolve_var(name) {
                    Some(var) => return self.the_var(var, pos),
                    // A clojure.core macro the compiler expands: the runtime
                    // interns its var (`COMPILER_CORE_MACROS`), marked :macro.
                    None if jank_runtime_abi::COMPILER_CORE_MACROS
                        .iter()
                        .any(|core_macro| self.namespaces.refers_to_core(name, core_macro)) =>
                    {
                        let var = VarRef {
                            ns: CORE_NS.to_string(),
                            name: name.name.clone(),
                        };
                        return self.the_var(var, pos);
                    }
                    None => return Err(self.unresolved(name, *sym_pos)),
                },
                _ => return Err(self.error(pos, "`var` takes exactly one symbol")),
            },
            "throw" => match args {
                [value] => ExprKind::Throw(Box::new(self.analyze(value, ctx.non_tail())?)),
                _ => return Err(self.error(pos, "`throw` takes exactly one value")),
            },
            "try" => self.analyze_try(args, ctx, pos)?,
            "set!" => return self.analyze_set(form, args, ctx),
            "case*" => self.analyze_case(form, args, ctx)?,
            other => {
                return Err(self.error(
                    pos,
                    format!("special form `{other}` is not supported by jankwasm"),
                ))
            }
        };
        Ok(Expr { kind, pos })
    }

    fn analyze_if(&mut self, form: &Form, args: &[Form], ctx: Ctx) -> Result<ExprKind> {
        let (test, then, otherwise) = match args {
            [test, then] => (test, then, None),
            [test, then, otherwise] => (test, then, Some(otherwise)),
            _ if args.len() < 2 => return Err(self.error(form.pos, "too few arguments to `if`")),
            _ => return Err(self.error(form.pos, "too many arguments to `if`")),
        };
        let test = self.analyze(test, ctx.non_tail())?;
        let then = self.analyze(then, ctx)?;
        let otherwise = match otherwise {
            Some(form) => self.analyze(form, ctx)?,
            None => Expr {
                kind: ExprKind::Const(Const::Nil),
                pos: form.pos,
            },
        };
        Ok(ExprKind::If {
            test: Box::new(test),
            then: Box::new(then),
            otherwise: Box::new(otherwise),
        })
    }

    fn analyze_do(&mut self, args: &[Form], ctx: Ctx, pos: Pos) -> Result<ExprKind> {
        let Some((last, statements)) = args.split_last() else {
            return Ok(ExprKind::Const(Const::Nil));
        };
        let statements = self.analyze_all(statements, ctx)?;
        let ret = self.analyze(last, ctx)?;
        if statements.is_empty() {
            return Ok(ret.kind);
        }
        let _ = pos;
        Ok(ExprKind::Do {
            statements,
            ret: Box::new(ret),
        })
    }

    /// The `[name init ...]` vector of let*/loop*/letfn*, checked.
    fn binding_pairs<'f>(&self, form: &Form, args: &'f [Form], what: &str) -> Result<&'f [Form]> {
        match args.first().map(|f| &f.kind) {
            Some(FormKind::Vector(items)) if items.len() % 2 == 0 => Ok(items),
            Some(FormKind::Vector(_)) => Err(self.error(
                args[0].pos,
                format!("`{what}` requires an even number of forms in its binding vector"),
            )),
            _ => Err(self.error(
                form.pos,
                format!("`{what}` requires a vector for its bindings"),
            )),
        }
    }

    fn binding_name<'f>(&self, form: &'f Form, what: &str) -> Result<&'f Name> {
        match form.as_symbol() {
            Some(name) if name.ns.is_none() => Ok(name),
            _ => Err(self.error(
                form.pos,
                format!("bad binding form in `{what}`, expected a symbol, got {form}"),
            )),
        }
    }

    fn analyze_bindings(
        &mut self,
        pairs: &[Form],
        what: &str,
        ctx: Ctx,
    ) -> Result<Vec<(LocalId, Expr)>> {
        let mut bindings = Vec::with_capacity(pairs.len() / 2);
        for pair in pairs.chunks(2) {
            let name = self.binding_name(&pair[0], what)?.clone();
            let init = self.analyze(&pair[1], ctx.non_tail())?;
            let id = self.bind_local(&name, pair[0].pos)?;
            bindings.push((id, init));
        }
        Ok(bindings)
    }

    fn analyze_body(&mut self, forms: &[Form], ctx: Ctx, pos: Pos) -> Result<Expr> {
        let kind = self.analyze_do(forms, ctx, pos)?;
        Ok(Expr {
            kind,
            pos: forms.last().map_or(pos, |f| f.pos),
        })
    }

    fn analyze_let(&mut self, form: &Form, args: &[Form], ctx: Ctx) -> Result<ExprKind> {
        let pairs = self.binding_pairs(form, args, "let*")?;
        let scope_len = self.scope.len();
        let bindings = self.analyze_bindings(pairs, "let*", ctx);
        let result = bindings.and_then(|bindings| {
            let body = self.analyze_body(&args[1..], ctx, form.pos)?;
            Ok(ExprKind::Let {
                bindings,
                body: Box::new(body),
            })
        });
        self.scope.truncate(scope_len);
        result
    }

    fn analyze_loop(&mut self, form: &Form, args: &[Form], ctx: Ctx) -> Result<ExprKind> {
        let pairs = self.binding_pairs(form, args, "loop*")?;
        let scope_len = self.scope.len();
        let id = LoopId(self.next_loop);
        self.next_loop += 1;
        let result = self
            .analyze_bindings(pairs, "loop*", ctx)
            .and_then(|bindings| {
                let loop_ctx = Ctx {
                    tail: true,
                    recur: Some(RecurPoint {
                        target: RecurTarget::Loop(id),
                        arg_count: bindings.len(),
                    }),
                    in_try_body: false,
                };
                let body = self.analyze_body(&args[1..], loop_ctx, form.pos)?;
                Ok(ExprKind::Loop {
                    id,
                    bindings,
                    body: Box::new(body),
                })
            });
        self.scope.truncate(scope_len);
        result
    }

    fn analyze_recur(&mut self, form: &Form, args: &[Form], ctx: Ctx) -> Result<ExprKind> {
        if ctx.in_try_body {
            return Err(self.error(form.pos, "cannot recur across try"));
        }
        let Some(point) = ctx.recur.filter(|_| ctx.tail) else {
            return Err(self.error(form.pos, "can only recur from tail position"));
        };
        if args.len() != point.arg_count {
            return Err(self.error(
                form.pos,
                format!(
                    "mismatched argument count to recur, expected: {} args, got: {}",
                    point.arg_count,
                    args.len()
                ),
            ));
        }
        let args = self.analyze_all(args, ctx)?;
        Ok(ExprKind::Recur {
            target: point.target,
            args,
        })
    }

    /// `(fn* name? [params] body...)` or `(fn* name? ([params] body...)+)`.
    /// The fn, and the mutable fields whose values it captures (the caller
    /// binds them where the fn is made: `with_field_values`).
    pub(super) fn analyze_fn(
        &mut self,
        form: &Form,
        args: &[Form],
    ) -> Result<(FnExpr, Vec<CapturedField>)> {
        let mut rest = args;
        let mut self_name = None;
        if let Some((
            Form {
                kind: FormKind::Symbol(name),
                pos,
                ..
            },
            tail,
        )) = rest.split_first()
        {
            if name.ns.is_some() {
                return Err(self.error(
                    *pos,
                    format!("fn name must be an unqualified symbol, got {name}"),
                ));
            }
            self_name = Some((name.clone(), *pos));
            rest = tail;
        }
        let arity_forms: Vec<(&Form, &[Form])> = match rest.first().map(|f| &f.kind) {
            Some(FormKind::Vector(_)) => vec![(&rest[0], &rest[1..])],
            Some(FormKind::List(_)) => rest
                .iter()
                .map(|arity| match &arity.kind {
                    FormKind::List(items)
                        if matches!(items.first().map(|f| &f.kind), Some(FormKind::Vector(_))) =>
                    {
                        Ok((&items[0], &items[1..]))
                    }
                    _ => Err(self.error(
                        arity.pos,
                        format!("expected an arity `([params] body)`, got {arity}"),
                    )),
                })
                .collect::<Result<_>>()?,
            Some(_) => {
                return Err(self.error(
                    rest[0].pos,
                    format!("expected a parameter vector, got {}", rest[0]),
                ))
            }
            None => return Err(self.error(form.pos, "`fn*` requires a parameter vector")),
        };
        let scope_len = self.scope.len();
        self.fn_frames.push(FnFrame::default());
        let result = self.analyze_fn_arities(form, self_name.as_ref(), &arity_forms);
        let frame = self.fn_frames.pop().unwrap_or_default();
        self.scope.truncate(scope_len);
        let (self_local, arities) = result?;
        let ns = self.namespaces.current();
        let name = match &self_name {
            Some((name, _)) => format!("{ns}/{}", name.name),
            None => format!("{ns}/fn"),
        };
        let function = FnExpr {
            name,
            self_local,
            arities,
            captures: frame.captures,
            pos: form.pos,
        };
        Ok((function, frame.field_values))
    }

    fn analyze_fn_arities(
        &mut self,
        form: &Form,
        self_name: Option<&(Name, Pos)>,
        arity_forms: &[(&Form, &[Form])],
    ) -> Result<(Option<LocalId>, Vec<Arity>)> {
        let self_local = match self_name {
            Some((name, pos)) => Some(self.bind_local(name, *pos)?),
            None => None,
        };
        let mut arities: Vec<Arity> = Vec::new();
        for (params, body) in arity_forms {
            let arity = self.analyze_arity(params, body)?;
            let variadic = arity.rest.is_some();
            if arities
                .iter()
                .any(|a| a.rest.is_none() && !variadic && a.params.len() == arity.params.len())
            {
                return Err(self.error(params.pos, "can't have 2 overloads with the same arity"));
            }
            if variadic && arities.iter().any(|a| a.rest.is_some()) {
                return Err(self.error(params.pos, "can't have more than 1 variadic overload"));
            }
            arities.push(arity);
        }
        if let Some(variadic) = arities.iter().find(|a| a.rest.is_some()) {
            if arities
                .iter()
                .any(|a| a.rest.is_none() && a.params.len() > variadic.params.len())
            {
                return Err(self.error(
                    form.pos,
                    "can't have fixed arity function with more params than variadic function",
                ));
            }
        }
        Ok((self_local, arities))
    }

    fn analyze_arity(&mut self, params_form: &Form, body: &[Form]) -> Result<Arity> {
        let FormKind::Vector(params) = &params_form.kind else {
            return Err(self.error(params_form.pos, "expected a parameter vector"));
        };
        let scope_len = self.scope.len();
        let result = (|| {
            let mut fixed = Vec::new();
            let mut rest = None;
            let mut iter = params.iter();
            while let Some(param) = iter.next() {
                if param.is_symbol("&") {
                    let Some(rest_param) = iter.next() else {
                        return Err(
                            self.error(param.pos, "`&` must be followed by a parameter name")
                        );
                    };
                    let name = self.param_name(rest_param)?.clone();
                    rest = Some(self.bind_local(&name, rest_param.pos)?);
                    if let Some(extra) = iter.next() {
                        return Err(self.error(extra.pos, "only one parameter may follow `&`"));
                    }
                    break;
                }
                let name = self.param_name(param)?.clone();
                fixed.push(self.bind_local(&name, param.pos)?);
            }
            if fixed.len() > JANK_MAX_PARAMS {
                return Err(self.error(
                    params_form.pos,
                    format!("a fn takes at most {JANK_MAX_PARAMS} fixed parameters, as in jank; take the rest with `&`"),
                ));
            }
            let param_count = fixed.len() + usize::from(rest.is_some());
            let ctx = Ctx {
                tail: true,
                recur: Some(RecurPoint {
                    target: RecurTarget::FnArity,
                    arg_count: param_count,
                }),
                in_try_body: false,
            };
            let body = self.analyze_body(body, ctx, params_form.pos)?;
            Ok(Arity {
                params: fixed,
                rest,
                body,
                pos: params_form.pos,
            })
        })();
        self.scope.truncate(scope_len);
        result
    }

    fn param_name<'f>(&self, param: &'f Form) -> Result<&'f Name> {
        match param.as_symbol() {
            Some(name) if name.ns.is_none() && name.name != "&" => Ok(name),
            _ => Err(self.error(param.pos, format!("fn params must be symbols, got {param}"))),
        }
    }

    fn analyze_letfn(&mut self, form: &Form, args: &[Form], ctx: Ctx) -> Result<ExprKind> {
        let pairs = self.binding_pairs(form, args, "letfn*")?;
        let scope_len = self.scope.len();
        let result = (|| {
            let mut ids = Vec::new();
            for pair in pairs.chunks(2) {
                let name = self.binding_name(&pair[0], "letfn*")?.clone();
                ids.push(self.bind_local(&name, pair[0].pos)?);
            }
            let mut bindings = Vec::new();
            let mut field_values = Vec::new();
            for (pair, id) in pairs.chunks(2).zip(ids) {
                let init = self.expand_fully(&pair[1])?;
                let fn_args = match &init.kind {
                    FormKind::List(items) if items.first().is_some_and(|h| h.is_symbol("fn*")) => {
                        &items[1..]
                    }
                    _ => return Err(self.error(pair[1].pos, "`letfn*` bindings must be fns")),
                };
                let (function, captured) = self.analyze_fn(&init, fn_args)?;
                bindings.push((id, function));
                field_values.extend(captured);
            }
            let body = self.analyze_body(&args[1..], ctx, form.pos)?;
            let letfn = Expr {
                kind: ExprKind::LetFn {
                    bindings,
                    body: Box::new(body),
                },
                pos: form.pos,
            };
            Ok(self.with_field_values(field_values, letfn)?.kind)
        })();
        self.scope.truncate(scope_len);
        result
    }

    /// `(try body... (catch Class e body...)* (finally body...)?)`.
    fn analyze_try(&mut self, args: &[Form], ctx: Ctx, pos: Pos) -> Result<ExprKind> {
        let clause_start = args
            .iter()
            .position(|f| clause_head(f).is_some())
            .unwrap_or(args.len());
        let body_ctx = Ctx {
            tail: false,
            in_try_body: true,
            ..ctx
        };
        let body = self.analyze_body(&args[..clause_start], body_ctx, pos)?;
        let mut catches = Vec::new();
        let mut finally = None;
        for clause in &args[clause_start..] {
            let FormKind::List(items) = &clause.kind else {
                return Err(self.error(
                    clause.pos,
                    "only `catch` and `finally` clauses may follow the body of `try`",
                ));
            };
            match clause_head(clause) {
                Some("catch") if finally.is_some() => {
                    return Err(self.error(clause.pos, "`finally` must be the last clause of `try`"))
                }
                Some("catch") => {
                    let [_, class, binding, body @ ..] = items.as_slice() else {
                        return Err(
                            self.error(clause.pos, "`catch` requires a class and a binding symbol")
                        );
                    };
                    let class = self.catch_class(class)?;
                    let name = self.binding_name(binding, "catch")?.clone();
                    let scope_len = self.scope.len();
                    let local = self.bind_local(&name, binding.pos);
                    let result = local.and_then(|local| {
                        let body = self.analyze_body(
                            body,
                            Ctx {
                                tail: false,
                                in_try_body: true,
                                ..ctx
                            },
                            clause.pos,
                        )?;
                        Ok(Catch { class, local, body })
                    });
                    self.scope.truncate(scope_len);
                    catches.push(result?);
                }
                Some("finally") if finally.is_some() => {
                    return Err(
                        self.error(clause.pos, "only one `finally` clause is allowed in `try`")
                    )
                }
                Some("finally") => {
                    let ctx = Ctx {
                        tail: false,
                        in_try_body: true,
                        ..ctx
                    };
                    finally = Some(Box::new(self.analyze_body(&items[1..], ctx, clause.pos)?));
                }
                _ => {
                    return Err(self.error(
                        clause.pos,
                        "only `catch` and `finally` clauses may follow them in `try`",
                    ))
                }
            }
        }
        Ok(ExprKind::Try {
            body: Box::new(body),
            catches,
            finally,
        })
    }

    fn catch_class(&self, class: &Form) -> Result<CatchClass> {
        match &class.kind {
            FormKind::Keyword(k) if k.ns.is_none() && k.name == "default" => Ok(CatchClass::Any),
            FormKind::Symbol(name) => match name.to_string().as_str() {
                "Throwable" | "Object" | "java.lang.Throwable" | "java.lang.Object" => {
                    Ok(CatchClass::Any)
                }
                "ExceptionInfo" | "clojure.lang.ExceptionInfo" => Ok(CatchClass::ExceptionInfo),
                // jank's own catch-all: every thrown value is an object_ref there.
                "jank.runtime.object_ref" | "cpp/jank.runtime.object_ref" => Ok(CatchClass::Any),
                other => match self.namespaces.resolve_class(other) {
                    Some(class)
                        if jank_runtime_abi::java_classes::is_instance("java.lang.Throwable", class) =>
                    {
                        Ok(CatchClass::Class(class))
                    }
                    _ => Err(self.error(
                        class.pos,
                        format!(
                            "catch class `{other}` is not a Throwable jankwasm knows: use :default, Exception, Throwable, ExceptionInfo or a class of runtime-abi/java_classes.rs"
                        ),
                    )),
                },
            },
            _ => Err(self.error(class.pos, format!("expected a class name or :default after `catch`, got {class}"))),
        }
    }

    /// `(case* expr test result ... default?)`, with `(a b)` grouping alternatives.
    fn analyze_case(&mut self, form: &Form, args: &[Form], ctx: Ctx) -> Result<ExprKind> {
        let Some((test, clauses)) = args.split_first() else {
            return Err(self.error(form.pos, "`case` requires an expression to test"));
        };
        let test = self.analyze(test, ctx.non_tail())?;
        let mut analyzed: Vec<CaseClause> = Vec::new();
        let mut seen: Vec<Const> = Vec::new();
        for pair in clauses.chunks(2) {
            let [tests_form, body] = pair else { continue };
            let tests = match &tests_form.kind {
                FormKind::List(items) => self.constants(items)?,
                _ => vec![self.constant(tests_form)?],
            };
            for constant in &tests {
                if seen.contains(constant) {
                    return Err(self.error(
                        tests_form.pos,
                        format!("duplicate case test constant: {tests_form}"),
                    ));
                }
                seen.push(constant.clone());
            }
            let body = self.analyze(body, ctx)?;
            // `()` groups no constants, as in Clojure: that clause never
            // matches, so it is checked but not lowered.
            if !tests.is_empty() {
                analyzed.push(CaseClause { tests, body });
            }
        }
        let default = match clauses.len() % 2 {
            1 => Some(Box::new(self.analyze(&clauses[clauses.len() - 1], ctx)?)),
            _ => None,
        };
        Ok(ExprKind::Case {
            test: Box::new(test),
            clauses: analyzed,
            default,
        })
    }

    /// `(ns name doc? attrs? (:require ...)* (:refer-clojure :exclude [...])*)`.
    pub(super) fn ns_form(&mut self, form: &Form, args: &[Form]) -> Result<()> {
        let Some(name) = args
            .first()
            .and_then(Form::as_symbol)
            .filter(|n| n.ns.is_none())
        else {
            return Err(self.error(form.pos, "`ns` requires a namespace name symbol"));
        };
        self.namespaces.enter(&name.name);
        for clause in &args[1..] {
            match &clause.kind {
                FormKind::Str(_) | FormKind::Map(_) => {}
                FormKind::List(items) => {
                    let head = match items.first().map(|h| &h.kind) {
                        Some(FormKind::Keyword(k)) if k.ns.is_none() => k.name.as_str(),
                        _ => {
                            return Err(self
                                .error(clause.pos, format!("unsupported `ns` clause: {clause}")))
                        }
                    };
                    match head {
                        "require" => {
                            let specs: Vec<&Form> = items[1..].iter().collect();
                            self.require_specs(&specs, RequireKind::Require)?;
                        }
                        "use" => {
                            let specs: Vec<&Form> = items[1..].iter().collect();
                            self.require_specs(&specs, RequireKind::Use)?;
                        }
                        "refer-clojure" => self.refer_clojure(clause, &items[1..])?,
                        "import" => self.import_classes(&items[1..])?,
                        _ => {
                            return Err(self.error(
                                clause.pos,
                                format!("unsupported `ns` clause `(:{head} ...)`"),
                            ))
                        }
                    }
                }
                _ => {
                    return Err(self.error(clause.pos, format!("unsupported `ns` clause: {clause}")))
                }
            }
        }
        Ok(())
    }

    /// `(in-ns 'ns)`, or `(in-ns expr)` with expr evaluated at compile time
    /// (the namespace decides how the forms after it compile, before they
    /// run), in the runtime macros run in, after the forms before it.
    pub(super) fn in_ns_form(&mut self, form: &Form, args: &[Form]) -> Result<()> {
        let [arg] = args else {
            return Err(self.error(form.pos, "`in-ns` takes one symbol"));
        };
        let name = match quoted_form(arg).and_then(Form::as_symbol) {
            Some(name) => name.clone(),
            None => {
                // Analyzed first, so a var it names is known (or refused)
                // as anywhere else.
                self.analyze(
                    arg,
                    Ctx {
                        tail: false,
                        recur: None,
                        in_try_body: false,
                    },
                )?;
                let value = self.evaluate_at_compile_time(arg, "`in-ns`")?;
                match value.as_symbol() {
                    Some(name) => name.clone(),
                    None => {
                        return Err(self.error(
                            arg.pos,
                            format!("`in-ns` requires a symbol; `{arg}` is {value}"),
                        ))
                    }
                }
            }
        };
        if name.ns.is_some() {
            return Err(self.error(
                arg.pos,
                format!("`in-ns` requires an unqualified symbol, not {name}"),
            ));
        }
        self.namespaces.enter(&name.name);
        Ok(())
    }

    /// `(resolve 'sym)`: names are resolved when compiling (the runtime has
    /// no aliases or refers), so the symbol must be a constant; its var, or
    /// nil when it names none.
    pub(super) fn resolve_form(&mut self, form: &Form, args: &[Form]) -> Result<Expr> {
        let name = match args {
            [quoted] => quoted_form(quoted).and_then(Form::as_symbol),
            _ => None,
        };
        let Some(name) = name else {
            return self.resolve_at_run_time(form, args);
        };
        if let Some(var) = self.namespaces.resolve_var(name) {
            return Ok(Expr {
                kind: ExprKind::TheVar(var),
                pos: form.pos,
            });
        }
        // A JVM class name resolves to the class, as in Clojure.
        if let Some(class) = self.class_value(name, form.pos)? {
            return Ok(class);
        }
        Ok(Expr {
            kind: ExprKind::Const(Const::Nil),
            pos: form.pos,
        })
    }

    /// `(resolve sym)` of a symbol known only when it runs (a macro resolving
    /// what it was given): the runtime looks the var up with what the
    /// compiler knows of the current namespace now, its name, aliases,
    /// refers and excluded clojure.core names, since the runtime has none of
    /// them. `jank.runtime/resolve-in` answers the var or nil.
    fn resolve_at_run_time(&mut self, form: &Form, args: &[Form]) -> Result<Expr> {
        let [arg] = args else {
            return Err(self.error(form.pos, "`resolve` takes one symbol"));
        };
        let pos = form.pos;
        let mut items = vec![Form::symbol(
            Name::qualified("jank.runtime", "resolve-in"),
            pos,
        )];
        items.extend(self.namespaces.resolution_context(pos));
        items.push(arg.clone());
        let call = Form::list(items, pos);
        self.analyze(
            &call,
            Ctx {
                tail: false,
                recur: None,
                in_try_body: false,
            },
        )
    }

    /// `(set! var-name value)`: sets the var's innermost thread binding, as
    /// `(var-set (var var-name) value)` does (a var without one throws when
    /// it runs, as in Clojure). Inside a deftype's methods, `(set! field
    /// value)` and `(set! (.-field x) value)` assign a mutable field
    /// (`fields`). Locals are immutable, and any other host field or property
    /// target is interop, which jankwasm has none of.
    fn analyze_set(&mut self, form: &Form, args: &[Form], ctx: Ctx) -> Result<Expr> {
        let [target, value] = args else {
            return Err(self.error(
                form.pos,
                "malformed assignment, expecting (set! target val)",
            ));
        };
        if let FormKind::List(items) = &target.kind {
            if let [head, instance] = items.as_slice() {
                if let Some(field) = head
                    .as_symbol()
                    .filter(|n| n.ns.is_none())
                    .and_then(|n| n.name.strip_prefix(".-"))
                    .filter(|field| !field.is_empty())
                {
                    return self.set_field_named(field, instance, target, value, form, ctx);
                }
            }
        }
        let Some(name) = target.as_symbol() else {
            return Err(self.error(
                target.pos,
                format!("`set!` of {target} is not supported by jankwasm: only a var can be set, and a deftype's mutable field inside its own methods"),
            ));
        };
        if name.ns.is_none() && self.is_local(&name.name) {
            return self.set_local(&name.name, target, value, form, ctx);
        }
        let Some(var) = self.namespaces.resolve_var(name) else {
            return Err(self.unresolved(name, target.pos));
        };
        let var_set = Name::qualified(CORE_NS, "var-set");
        let Some(var_set) = self.namespaces.resolve_var(&var_set) else {
            return Err(self.unresolved(&var_set, form.pos));
        };
        let value = self.analyze(value, ctx.non_tail())?;
        Ok(Expr {
            kind: ExprKind::Call {
                callee: Box::new(Expr {
                    kind: ExprKind::VarValue(var_set),
                    pos: form.pos,
                }),
                args: vec![
                    Expr {
                        kind: ExprKind::TheVar(var),
                        pos: target.pos,
                    },
                    value,
                ],
            },
            pos: form.pos,
        })
    }

    /// `(clojure.repl/doc name)`: prints what the compiler knows of the var
    /// as Clojure's `doc` does (nothing for a name that is no var).
    pub(super) fn doc_form(&mut self, form: &Form, args: &[Form]) -> Result<Expr> {
        let Some(name) = (match args {
            [name] => name.as_symbol(),
            _ => None,
        }) else {
            return Err(self.error(form.pos, "`clojure.repl/doc` takes one symbol"));
        };
        let Some(var) = self.namespaces.resolve_var(name) else {
            return Ok(Expr {
                kind: ExprKind::Const(Const::Nil),
                pos: form.pos,
            });
        };
        let mut text = format!("-------------------------\n{var}\n");
        if let Some(info) = self.namespaces.var_info(&var) {
            if !info.arglists.is_empty() {
                text.push_str(&format!("({})\n", info.arglists.join(" ")));
            }
            if let Some(doc) = &info.doc {
                text.push_str(&format!("  {doc}\n"));
            }
        }
        let print = Form::list(
            vec![
                Form::symbol(Name::qualified("clojure.core", "print"), form.pos),
                Form::new(FormKind::Str(text), form.pos),
            ],
            form.pos,
        );
        self.analyze(
            &print,
            Ctx {
                tail: false,
                recur: None,
                in_try_body: false,
            },
        )
    }

    /// `(import '(java.util Date) 'my_app.model.Point)` at top level: the
    /// `ns` form's `:import`, its specs quoted or not.
    pub(super) fn import_form(&mut self, specs: &[Form]) -> Result<()> {
        let unquoted: Vec<Form> = specs
            .iter()
            .map(|spec| match &spec.kind {
                FormKind::List(items)
                    if items.len() == 2
                        && items[0]
                            .as_symbol()
                            .is_some_and(|head| head.ns.is_none() && head.name == "quote") =>
                {
                    items[1].clone()
                }
                _ => spec.clone(),
            })
            .collect();
        self.import_classes(&unquoted)
    }

    /// `(:import [my_app.model Point] my_app.model.Line)`: the classes a
    /// `defrecord` or `deftype` of an already loaded namespace defined,
    /// referred by their short names (each class is held by a var of that
    /// name). Java classes cannot be imported: jankwasm has none but its
    /// values' own, which need no import.
    fn import_classes(&mut self, specs: &[Form]) -> Result<()> {
        let mut classes: Vec<(String, String, Pos)> = Vec::new();
        for spec in specs {
            match &spec.kind {
                FormKind::Symbol(name) if name.ns.is_none() => {
                    let Some((package, class)) = name.name.rsplit_once('.') else {
                        return Err(self.error(
                            spec.pos,
                            format!("`:import` takes a full class name, got {spec}"),
                        ));
                    };
                    classes.push((package.to_string(), class.to_string(), spec.pos));
                }
                FormKind::List(items) | FormKind::Vector(items) => {
                    let Some((Some(package), names)) = items
                        .split_first()
                        .map(|(head, names)| (head.as_symbol().filter(|n| n.ns.is_none()), names))
                    else {
                        return Err(self.error(
                            spec.pos,
                            format!("`:import` takes (package Class+), got {spec}"),
                        ));
                    };
                    for name in names {
                        let Some(class) = name.as_symbol().filter(|n| n.ns.is_none()) else {
                            return Err(self.error(
                                name.pos,
                                format!("`:import` takes class names, got {name}"),
                            ));
                        };
                        classes.push((package.name.clone(), class.name.clone(), name.pos));
                    }
                }
                _ => {
                    return Err(
                        self.error(spec.pos, format!("`:import` takes class names, got {spec}"))
                    )
                }
            }
        }
        for (package, class, pos) in classes {
            let var = [package.clone(), package.replace('_', "-")]
                .into_iter()
                .find(|ns| {
                    self.namespaces
                        .get(ns)
                        .is_some_and(|namespace| namespace.vars.contains_key(&class))
                })
                .map(|ns| VarRef {
                    ns,
                    name: class.clone(),
                });
            let Some(var) = var else {
                let full = format!("{package}.{class}");
                if let Some(known) = jank_runtime_abi::java_classes::resolve(&full) {
                    self.namespaces
                        .current_mut()
                        .imported_classes
                        .insert(class, known);
                    continue;
                }
                return Err(self.error(
                    pos,
                    format!("cannot import {full}: jankwasm imports only the JVM classes it knows (runtime-abi/java_classes.rs) and the classes defrecord and deftype define, from a namespace required before the import"),
                ));
            };
            self.namespaces.current_mut().refers.insert(class, var);
        }
        Ok(())
    }

    fn refer_clojure(&mut self, clause: &Form, options: &[Form]) -> Result<()> {
        match options {
            [Form {
                kind: FormKind::Keyword(k),
                ..
            }, Form {
                kind: FormKind::Vector(names) | FormKind::List(names) | FormKind::Set(names),
                ..
            }] if k.ns.is_none() && k.name == "exclude" => {
                for name in names {
                    let Some(name) = name.as_symbol() else {
                        return Err(self.error(name.pos, "`:exclude` takes symbols"));
                    };
                    self.namespaces
                        .current_mut()
                        .excluded_core
                        .insert(name.name.clone());
                }
                Ok(())
            }
            _ => Err(self.error(
                clause.pos,
                "only `(:refer-clojure :exclude [names])` is supported",
            )),
        }
    }
}

/// `catch` or `finally` when `form` is such a clause.
fn clause_head(form: &Form) -> Option<&'static str> {
    let FormKind::List(items) = &form.kind else {
        return None;
    };
    let head = items.first()?;
    if head.is_symbol("catch") {
        Some("catch")
    } else if head.is_symbol("finally") {
        Some("finally")
    } else {
        None
    }
}
impl Analyzer<'_> {
    /// `#'x`: the var, given its metadata map first when the compiler has
    /// one (the runtime keeps a var's metadata until its def's map changes,
    /// so `alter-meta!` survives later `#'x`).
    fn the_var(&mut self, var: VarRef, pos: Pos) -> Result<Expr> {
        let meta = self
            .namespaces
            .var_info(&var)
            .and_then(|info| info.meta.clone());
        let the_var = Expr {
            kind: ExprKind::TheVar(var),
            pos,
        };
        let Some(meta) = meta else {
            return Ok(the_var);
        };
        let ctx = Ctx {
            tail: false,
            recur: None,
            in_try_body: false,
        };
        let init = Form::symbol(Name::qualified("jank.runtime", "init-var-meta!"), pos);
        let callee = self.analyze(&init, ctx)?;
        let meta = self.analyze(&meta, ctx)?;
        Ok(Expr {
            kind: ExprKind::Call {
                callee: Box::new(callee),
                args: vec![the_var, meta],
            },
            pos,
        })
    }
}
