//! The clojure.core macros jankwasm expands, each a form-to-form rewrite
//! following Clojure's own definitions.

use super::build::{body, core, keyword, list, nil, quote, sym, vector};
use super::destructure::{destructure, is_simple};
use super::{ExpandError, Gensyms};
use crate::read::{Form, FormKind, Name};
use crate::source::Pos;

type Expander = fn(&Form, &[Form], &mut Gensyms) -> Result<Form, ExpandError>;

const MACROS: &[(&str, Expander)] = &[
    ("defn", defn),
    ("defn-", defn_private),
    ("fn", fn_macro),
    ("let", let_macro),
    ("loop", loop_macro),
    ("when", when),
    ("when-not", when_not),
    ("if-not", if_not),
    ("cond", cond),
    ("and", and),
    ("or", or),
    ("->", thread_first),
    ("->>", thread_last),
    ("declare", declare),
    ("defstruct", defstruct),
    ("defmulti", defmulti),
    ("binding", binding),
    ("with-redefs", with_redefs),
    ("with-out-str", with_out_str),
    ("with-precision", with_precision),
    ("dosync", dosync),
    ("sync", sync),
    ("io!", io),
    ("locking", locking),
    ("memfn", memfn),
    ("..", dot_dot),
    ("with-in-str", with_in_str),
    ("with-bindings", with_bindings),
    ("with-local-vars", with_local_vars),
    ("with-open", with_open),
    ("time", time),
    ("defmethod", defmethod),
    ("comment", comment),
    ("case", case),
    ("letfn", letfn),
    ("if-let", if_let),
    ("when-let", when_let),
    ("if-some", if_some),
    ("when-some", when_some),
    ("when-first", when_first),
    ("condp", condp),
    ("as->", as_thread),
    ("some->", some_thread_first),
    ("some->>", some_thread_last),
    ("cond->", cond_thread_first),
    ("cond->>", cond_thread_last),
    ("doto", doto),
    ("dotimes", dotimes),
    ("while", while_macro),
    ("doseq", doseq),
    ("for", for_macro),
    ("assert", assert),
    ("lazy-seq", lazy_seq),
    ("delay", delay),
    ("lazy-cat", lazy_cat),
    ("bound-fn", bound_fn),
    ("future", future),
    ("defprotocol", super::protocols::defprotocol),
    ("extend-type", super::protocols::extend_type),
    ("extend-protocol", super::protocols::extend_protocol),
    ("defrecord", super::protocols::defrecord),
    ("deftype", super::protocols::deftype),
    ("reify", super::protocols::reify),
];

/// Every clojure.core macro the expander knows, by name.
pub fn core_macro_names() -> impl Iterator<Item = &'static str> {
    MACROS.iter().map(|(name, _)| *name)
}

pub fn is_core_macro(name: &str) -> bool {
    MACROS.iter().any(|(macro_name, _)| *macro_name == name)
}

/// Expands `form`, a list whose head names the clojure.core macro `name`.
pub fn expand_core_macro(
    name: &str,
    form: &Form,
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let FormKind::List(items) = &form.kind else {
        return Err(ExpandError::new(
            form.pos,
            format!("macro `{name}` used outside a call"),
        ));
    };
    let expander = MACROS
        .iter()
        .find(|(macro_name, _)| *macro_name == name)
        .map(|(_, expander)| *expander)
        .ok_or_else(|| {
            ExpandError::new(form.pos, format!("`{name}` is not a macro jankwasm knows"))
        })?;
    expander(form, &items[1..], gensyms)
}

fn macro_name(form: &Form) -> String {
    match &form.kind {
        FormKind::List(items) => items.first().map(|h| h.to_string()).unwrap_or_default(),
        _ => String::new(),
    }
}

fn require_args(form: &Form, args: &[Form], min: usize) -> Result<(), ExpandError> {
    if args.len() < min {
        return Err(ExpandError::new(
            form.pos,
            format!(
                "`{}` requires at least {min} argument{}",
                macro_name(form),
                if min == 1 { "" } else { "s" }
            ),
        ));
    }
    Ok(())
}

fn defn(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    define_fn(form, args, false, gensyms)
}

fn defn_private(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    define_fn(form, args, true, gensyms)
}

/// `(defn name doc? attr-map? [params] body)` or with `([params] body)+` arities.
fn define_fn(
    form: &Form,
    args: &[Form],
    private: bool,
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let Some((name, mut rest)) = args.split_first() else {
        return Err(ExpandError::new(
            pos,
            format!("`{}` requires a name", macro_name(form)),
        ));
    };
    if !is_simple(name) {
        return Err(ExpandError::new(
            name.pos,
            format!("`{}` requires a symbol name, got {name}", macro_name(form)),
        ));
    }
    let mut meta: Vec<(Form, Form)> = Vec::new();
    if let Some(existing) = &name.meta {
        if let FormKind::Map(entries) = &existing.kind {
            meta.extend(entries.iter().cloned());
        }
    }
    // Clojure's defn conjoins the computed :arglists onto the name's
    // metadata and the docstring and attr-map onto those.
    let arglists_at = meta.len();
    if let Some((
        doc @ Form {
            kind: FormKind::Str(_),
            ..
        },
        tail,
    )) = rest.split_first()
    {
        meta.push((keyword("doc", doc.pos), doc.clone()));
        rest = tail;
    }
    if let Some((
        Form {
            kind: FormKind::Map(attrs),
            ..
        },
        tail,
    )) = rest.split_first()
    {
        meta.extend(attrs.iter().cloned());
        rest = tail;
    }
    let arities: Vec<Form> = match rest.first().map(|f| &f.kind) {
        Some(FormKind::Vector(_)) => vec![list(rest.to_vec(), rest[0].pos)],
        Some(FormKind::List(_)) => {
            let mut arities = rest.to_vec();
            if let Some(Form {
                kind: FormKind::Map(attrs),
                ..
            }) = arities.last()
            {
                meta.extend(attrs.iter().cloned());
                arities.pop();
            }
            arities
        }
        Some(_) => {
            return Err(ExpandError::new(
                rest[0].pos,
                "expected a parameter vector or arity lists",
            ))
        }
        None => {
            return Err(ExpandError::new(
                pos,
                format!("`{}` requires a parameter vector", macro_name(form)),
            ))
        }
    };
    let mut arglists = Vec::new();
    for arity in &arities {
        match &arity.kind {
            FormKind::List(items)
                if matches!(items.first().map(|f| &f.kind), Some(FormKind::Vector(_))) =>
            {
                arglists.push(without_implicit_macro_params(&items[0]));
            }
            _ => {
                return Err(ExpandError::new(
                    arity.pos,
                    format!("expected an arity `([params] body)`, got {arity}"),
                ))
            }
        }
    }
    if private {
        meta.push((
            keyword("private", pos),
            Form::new(FormKind::Bool(true), pos),
        ));
    }
    meta.insert(
        arglists_at,
        (keyword("arglists", pos), quote(list(arglists, pos))),
    );
    let mut named = name.clone();
    named.meta = Some(Box::new(Form::new(FormKind::Map(dedupe_meta(meta)), pos)));
    let mut fn_form = vec![core("fn", pos)];
    fn_form.extend(arities);
    let function = fn_macro(&list(fn_form.clone(), pos), &fn_form[1..], gensyms)?;
    Ok(list(vec![sym("def", pos), named, function], pos))
}

/// Later metadata entries win, as in Clojure's `merge`.
/// A parameter vector as an arglist: a macro's leading `&form &env` left
/// out, as defn's `sigs` leaves them out.
fn without_implicit_macro_params(params: &Form) -> Form {
    match &params.kind {
        FormKind::Vector(items)
            if items.len() >= 2 && items[0].is_symbol("&form") && items[1].is_symbol("&env") =>
        {
            Form::new(FormKind::Vector(items[2..].to_vec()), params.pos)
        }
        _ => params.clone(),
    }
}

fn dedupe_meta(entries: Vec<(Form, Form)>) -> Vec<(Form, Form)> {
    let mut out: Vec<(Form, Form)> = Vec::new();
    for (key, value) in entries {
        match out.iter_mut().find(|(k, _)| k.kind == key.kind) {
            Some(slot) => slot.1 = value,
            None => out.push((key, value)),
        }
    }
    out
}

/// `(fn name? [params] body)` / `(fn name? ([params] body)+)` → `fn*`, destructuring parameters.
fn fn_macro(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let mut out = vec![sym("fn*", pos)];
    let mut rest = args;
    if let Some((
        name @ Form {
            kind: FormKind::Symbol(_),
            ..
        },
        tail,
    )) = rest.split_first()
    {
        out.push(name.clone());
        rest = tail;
    }
    match rest.first().map(|f| &f.kind) {
        Some(FormKind::Vector(_)) => out.push(fn_arity(&rest[0], &rest[1..], gensyms)?),
        Some(FormKind::List(_)) => {
            for arity in rest {
                let FormKind::List(items) = &arity.kind else {
                    return Err(ExpandError::new(
                        arity.pos,
                        format!("expected an arity `([params] body)`, got {arity}"),
                    ));
                };
                let Some(params) = items
                    .first()
                    .filter(|p| matches!(p.kind, FormKind::Vector(_)))
                else {
                    return Err(ExpandError::new(
                        arity.pos,
                        "an arity must start with a parameter vector",
                    ));
                };
                out.push(fn_arity(params, &items[1..], gensyms)?);
            }
        }
        _ => return Err(ExpandError::new(pos, "`fn` requires a parameter vector")),
    }
    Ok(list(out, pos))
}

/// One `([params] body)` arity with destructured parameters replaced by fresh symbols.
fn fn_arity(
    params: &Form,
    body_forms: &[Form],
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let FormKind::Vector(items) = &params.kind else {
        return Err(ExpandError::new(params.pos, "expected a parameter vector"));
    };
    let body_forms = with_conditions(body_forms, gensyms)?;
    let body_forms = body_forms.as_slice();
    let mut plain = Vec::with_capacity(items.len());
    let mut bindings = Vec::new();
    for param in items {
        if is_simple(param) {
            plain.push(param.clone());
        } else {
            let fresh = sym(&gensyms.fresh("p"), param.pos);
            bindings.push(param.clone());
            bindings.push(fresh.clone());
            plain.push(fresh);
        }
    }
    let body_form = body(body_forms.to_vec(), params.pos);
    let body_form = if bindings.is_empty() {
        body_form
    } else {
        let mut flat = Vec::new();
        destructure(&bindings, gensyms, &mut flat)?;
        list(
            vec![sym("let*", params.pos), vector(flat, params.pos), body_form],
            params.pos,
        )
    };
    let mut plain_params = Form::new(FormKind::Vector(plain), params.pos);
    plain_params.meta = params.meta.clone();
    Ok(list(vec![plain_params, body_form], params.pos))
}

/// A fn body whose first form is a condition map followed by more forms
/// (Clojure's `fn`): each `:pre` condition asserted before the body, each
/// `:post` condition after it with the body's value as `%`, which is then
/// returned. Any other body is returned as it is.
fn with_conditions(body_forms: &[Form], gensyms: &mut Gensyms) -> Result<Vec<Form>, ExpandError> {
    let [conditions @ Form {
        kind: FormKind::Map(entries),
        ..
    }, rest @ ..] = body_forms
    else {
        return Ok(body_forms.to_vec());
    };
    if rest.is_empty() {
        return Ok(body_forms.to_vec());
    }
    let pos = conditions.pos;
    let mut pre = Vec::new();
    let mut post = Vec::new();
    for (key, value) in entries {
        let target = match &key.kind {
            FormKind::Keyword(k) if k.ns.is_none() && k.name == "pre" => &mut pre,
            FormKind::Keyword(k) if k.ns.is_none() && k.name == "post" => &mut post,
            _ => continue,
        };
        let (FormKind::Vector(items) | FormKind::List(items)) = &value.kind else {
            return Err(ExpandError::new(
                value.pos,
                format!("{key} conditions must be a vector of expressions, got {value}"),
            ));
        };
        for condition in items {
            target.push(assert(condition, std::slice::from_ref(condition), gensyms)?);
        }
    }
    let mut out = pre;
    if post.is_empty() {
        out.extend(rest.iter().cloned());
    } else {
        let result = sym("%", pos);
        let mut checked = vec![
            sym("let*", pos),
            vector(vec![result.clone(), body(rest.to_vec(), pos)], pos),
        ];
        checked.extend(post);
        checked.push(result);
        out.push(list(checked, pos));
    }
    Ok(out)
}

fn binding_vector<'f>(form: &Form, args: &'f [Form]) -> Result<&'f [Form], ExpandError> {
    match args.first().map(|f| &f.kind) {
        Some(FormKind::Vector(items)) if items.len() % 2 == 0 => Ok(items),
        Some(FormKind::Vector(_)) => Err(ExpandError::new(
            args[0].pos,
            format!(
                "`{}` requires an even number of forms in its binding vector",
                macro_name(form)
            ),
        )),
        _ => Err(ExpandError::new(
            form.pos,
            format!("`{}` requires a vector for its binding", macro_name(form)),
        )),
    }
}

fn let_macro(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let bindings = binding_vector(form, args)?;
    let mut flat = Vec::new();
    destructure(bindings, gensyms, &mut flat)?;
    Ok(list(
        vec![
            sym("let*", form.pos),
            vector(flat, args[0].pos),
            body(args[1..].to_vec(), form.pos),
        ],
        form.pos,
    ))
}

fn loop_macro(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let bindings = binding_vector(form, args)?;
    let pos = form.pos;
    let body_form = body(args[1..].to_vec(), pos);
    if bindings.chunks(2).all(|pair| is_simple(&pair[0])) {
        return Ok(list(
            vec![
                sym("loop*", pos),
                vector(bindings.to_vec(), args[0].pos),
                body_form,
            ],
            pos,
        ));
    }
    // Loop over fresh symbols and destructure them on every iteration, as Clojure's `loop` does.
    let mut loop_bindings = Vec::new();
    let mut inner = Vec::new();
    for pair in bindings.chunks(2) {
        let fresh = sym(&gensyms.fresh("loop"), pair[0].pos);
        loop_bindings.push(fresh.clone());
        loop_bindings.push(pair[1].clone());
        inner.push(pair[0].clone());
        inner.push(fresh);
    }
    let mut flat = Vec::new();
    destructure(&inner, gensyms, &mut flat)?;
    let let_form = list(vec![sym("let*", pos), vector(flat, pos), body_form], pos);
    Ok(list(
        vec![
            sym("loop*", pos),
            vector(loop_bindings, args[0].pos),
            let_form,
        ],
        pos,
    ))
}

fn when(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    Ok(list(
        vec![
            sym("if", form.pos),
            args[0].clone(),
            body(args[1..].to_vec(), form.pos),
            nil(form.pos),
        ],
        form.pos,
    ))
}

fn when_not(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    Ok(list(
        vec![
            sym("if", form.pos),
            args[0].clone(),
            nil(form.pos),
            body(args[1..].to_vec(), form.pos),
        ],
        form.pos,
    ))
}

fn if_not(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    if !(2..=3).contains(&args.len()) {
        return Err(ExpandError::new(
            form.pos,
            "`if-not` requires a test, a then form and an optional else form",
        ));
    }
    let pos = form.pos;
    let test = list(vec![core("not", pos), args[0].clone()], pos);
    let otherwise = args.get(2).cloned().unwrap_or_else(|| nil(pos));
    Ok(list(
        vec![sym("if", pos), test, args[1].clone(), otherwise],
        pos,
    ))
}

fn cond(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    if args.len() % 2 != 0 {
        return Err(ExpandError::new(
            args[args.len() - 1].pos,
            "`cond` requires an even number of forms",
        ));
    }
    let mut result = nil(form.pos);
    for pair in args.chunks(2).rev() {
        result = list(
            vec![
                sym("if", pair[0].pos),
                pair[0].clone(),
                pair[1].clone(),
                result,
            ],
            pair[0].pos,
        );
    }
    Ok(result)
}

fn and(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    short_circuit(form, args, gensyms, true)
}

fn or(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    short_circuit(form, args, gensyms, false)
}

/// `and`/`or`: each value is evaluated once and tested, the last one returned as is.
fn short_circuit(
    form: &Form,
    args: &[Form],
    gensyms: &mut Gensyms,
    is_and: bool,
) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let Some((last, init)) = args.split_last() else {
        return Ok(Form::new(
            if is_and {
                FormKind::Bool(true)
            } else {
                FormKind::Nil
            },
            pos,
        ));
    };
    let mut result = last.clone();
    for value in init.iter().rev() {
        let local = sym(&gensyms.fresh(if is_and { "and" } else { "or" }), value.pos);
        let (then, otherwise) = if is_and {
            (result, local.clone())
        } else {
            (local.clone(), result)
        };
        let test = list(
            vec![sym("if", value.pos), local.clone(), then, otherwise],
            value.pos,
        );
        result = list(
            vec![
                sym("let*", value.pos),
                vector(vec![local, value.clone()], value.pos),
                test,
            ],
            value.pos,
        );
    }
    Ok(result)
}

fn thread_first(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    thread(form, args, false)
}

fn thread_last(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    thread(form, args, true)
}

fn thread(form: &Form, args: &[Form], last: bool) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    let mut acc = args[0].clone();
    for step in &args[1..] {
        acc = match &step.kind {
            FormKind::List(items) if !items.is_empty() => {
                let mut items = items.clone();
                if last {
                    items.push(acc);
                } else {
                    items.insert(1, acc);
                }
                Form {
                    kind: FormKind::List(items),
                    pos: step.pos,
                    meta: step.meta.clone(),
                }
            }
            _ => list(vec![step.clone(), acc], step.pos),
        };
    }
    Ok(acc)
}

fn declare(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let mut defs = vec![sym("do", form.pos)];
    for name in args {
        if !is_simple(name) {
            return Err(ExpandError::new(
                name.pos,
                format!("`declare` requires symbols, got {name}"),
            ));
        }
        defs.push(list(vec![sym("def", name.pos), name.clone()], name.pos));
    }
    Ok(list(defs, form.pos))
}

/// `(defstruct name & keys)` → `(def name (create-struct keys...))`.
fn defstruct(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let Some((name, keys)) = args.split_first() else {
        return Err(ExpandError::new(form.pos, "`defstruct` requires a name"));
    };
    if !is_simple(name) {
        return Err(ExpandError::new(
            name.pos,
            format!("`defstruct` requires a symbol name, got {name}"),
        ));
    }
    let mut create = vec![core("create-struct", form.pos)];
    create.extend(keys.iter().cloned());
    Ok(list(
        vec![sym("def", form.pos), name.clone(), list(create, form.pos)],
        form.pos,
    ))
}

/// `(defmulti name doc? attr-map? dispatch-fn & options)` →
/// `(def name (jank.runtime/defmulti* (var name) "name" dispatch-fn options..))`;
/// the runtime hands back the multimethod the var already holds, so a
/// re-evaluated defmulti keeps its methods, as in Clojure.
fn defmulti(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let Some((name, mut rest)) = args.split_first() else {
        return Err(ExpandError::new(pos, "`defmulti` requires a name"));
    };
    if !is_simple(name) {
        return Err(ExpandError::new(
            name.pos,
            format!("`defmulti` requires a symbol name, got {name}"),
        ));
    }
    let mut meta: Vec<(Form, Form)> = match name.meta.as_deref().map(|m| &m.kind) {
        Some(FormKind::Map(entries)) => entries.clone(),
        _ => Vec::new(),
    };
    if let [doc @ Form {
        kind: FormKind::Str(_),
        ..
    }, tail @ ..] = rest
    {
        if !tail.is_empty() {
            meta.push((keyword("doc", doc.pos), doc.clone()));
            rest = tail;
        }
    }
    if let [Form {
        kind: FormKind::Map(attrs),
        ..
    }, tail @ ..] = rest
    {
        if !tail.is_empty() {
            meta.extend(attrs.iter().cloned());
            rest = tail;
        }
    }
    let Some((dispatch, options)) = rest.split_first() else {
        return Err(ExpandError::new(pos, "`defmulti` requires a dispatch fn"));
    };
    if options.len() % 2 != 0 {
        return Err(ExpandError::new(
            pos,
            "`defmulti` options must be key/value pairs",
        ));
    }
    let mut bare_name = Form::new(name.kind.clone(), name.pos);
    let FormKind::Symbol(symbol) = &name.kind else {
        return Err(ExpandError::new(
            name.pos,
            "`defmulti` requires a symbol name",
        ));
    };
    let mut call = vec![
        Form::symbol(Name::qualified("jank.runtime", "defmulti*"), pos),
        list(vec![sym("var", pos), bare_name.clone()], pos),
        Form::new(FormKind::Str(symbol.name.clone()), pos),
        dispatch.clone(),
    ];
    call.extend(options.iter().cloned());
    if !meta.is_empty() {
        bare_name.meta = Some(Box::new(Form::new(FormKind::Map(meta), name.pos)));
    }
    Ok(list(vec![sym("def", pos), bare_name, list(call, pos)], pos))
}

/// The `[var value ...]` pairs of `binding`/`with-redefs` as
/// `(hash-map (var name) value ...)`.
fn var_map(form: &Form, args: &[Form]) -> Result<Form, ExpandError> {
    let pairs = binding_vector(form, args)?;
    let mut map = vec![core("hash-map", form.pos)];
    for pair in pairs.chunks_exact(2) {
        if !is_simple(&pair[0]) && pair[0].as_symbol().is_none() {
            return Err(ExpandError::new(
                pair[0].pos,
                format!("`{}` binds vars by name, got {}", macro_name(form), pair[0]),
            ));
        }
        map.push(list(
            vec![sym("var", pair[0].pos), pair[0].clone()],
            pair[0].pos,
        ));
        map.push(pair[1].clone());
    }
    Ok(list(map, form.pos))
}

/// A thunk of `body`.
fn thunk(body: &[Form], pos: Pos) -> Form {
    let mut items = vec![core("fn", pos), vector(Vec::new(), pos)];
    items.extend(body.iter().cloned());
    list(items, pos)
}

/// `(binding [v value ...] body)` →
/// `(let* [] (push-thread-bindings (hash-map (var v) value ...)) (try body (finally (pop-thread-bindings))))`.
fn binding(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let bindings = var_map(form, args)?;
    Ok(bound_body(Vec::new(), bindings, &args[1..], pos))
}

/// `(let* [names] (push-thread-bindings bindings) (try body... (finally
/// (pop-thread-bindings))))`: `body` runs with `bindings` pushed, and they
/// are popped however it ends.
fn bound_body(names: Vec<Form>, bindings: Form, body: &[Form], pos: Pos) -> Form {
    let mut attempt = vec![sym("try", pos)];
    attempt.extend(body.iter().cloned());
    attempt.push(list(
        vec![
            sym("finally", pos),
            list(vec![core("pop-thread-bindings", pos)], pos),
        ],
        pos,
    ));
    list(
        vec![
            sym("let*", pos),
            vector(names, pos),
            list(vec![core("push-thread-bindings", pos), bindings], pos),
            list(attempt, pos),
        ],
        pos,
    )
}

/// `(with-redefs [v value ...] body)` → `(with-redefs-fn (hash-map (var v) value ...) (fn [] body))`.
fn with_redefs(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let bindings = var_map(form, args)?;
    Ok(list(
        vec![
            core("with-redefs-fn", form.pos),
            bindings,
            thunk(&args[1..], form.pos),
        ],
        form.pos,
    ))
}

/// `(with-out-str body)` → `(jank.runtime/with-out-str-fn (fn [] body))`.
fn with_out_str(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    Ok(list(
        vec![
            Form::symbol(Name::qualified("jank.runtime", "with-out-str-fn"), form.pos),
            thunk(args, form.pos),
        ],
        form.pos,
    ))
}

/// java.math.RoundingMode's constants, which `with-precision`'s
/// `:rounding` names.
const ROUNDING_MODES: [&str; 8] = [
    "UP",
    "DOWN",
    "CEILING",
    "FLOOR",
    "HALF_UP",
    "HALF_DOWN",
    "HALF_EVEN",
    "UNNECESSARY",
];

/// `(with-precision n :rounding MODE body...)` → `(binding [*math-context*
/// (jank.runtime/math-context n :MODE)] body...)`, MODE HALF_UP when not given:
/// BigDecimal arithmetic in the body rounds to n significant digits.
fn with_precision(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    let pos = form.pos;
    let rounding_given = matches!(args.get(1).map(|f| &f.kind), Some(FormKind::Keyword(k)) if k.ns.is_none() && k.name == "rounding");
    let (mode, body) = if rounding_given {
        let mode = args.get(2).ok_or_else(|| {
            ExpandError::new(pos, "`with-precision`'s :rounding needs a rounding mode")
        })?;
        let name = mode
            .as_symbol()
            .filter(|name| name.ns.is_none() && ROUNDING_MODES.contains(&name.name.as_str()))
            .ok_or_else(|| {
                ExpandError::new(
                    mode.pos,
                    format!(
                        "`with-precision`'s :rounding takes a rounding mode ({}), got {mode}",
                        ROUNDING_MODES.join(" ")
                    ),
                )
            })?;
        (keyword(&name.name, mode.pos), &args[3..])
    } else {
        (keyword("HALF_UP", pos), &args[1..])
    };
    let context = list(
        vec![
            Form::symbol(Name::qualified("jank.runtime", "math-context"), pos),
            args[0].clone(),
            mode,
        ],
        pos,
    );
    let bindings = list(
        vec![
            core("hash-map", pos),
            list(vec![sym("var", pos), core("*math-context*", pos)], pos),
            context,
        ],
        pos,
    );
    Ok(bound_body(Vec::new(), bindings, body, pos))
}

/// `(with-in-str s body...)` → `(jank.runtime/with-in-str-fn s (fn* [] body...))`:
/// `read-line` in the body reads the lines of `s`.
fn with_in_str(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    Ok(list(
        vec![
            Form::symbol(Name::qualified("jank.runtime", "with-in-str-fn"), form.pos),
            args[0].clone(),
            thunk(&args[1..], form.pos),
        ],
        form.pos,
    ))
}

/// The `[name init ...]` vector of `with-local-vars`/`with-open`: its
/// pairs, each name a plain symbol.
fn symbol_pairs<'a>(form: &Form, args: &'a [Form]) -> Result<&'a [Form], ExpandError> {
    let pairs = binding_vector(form, args)?;
    for name in pairs.iter().step_by(2) {
        if !is_simple(name) {
            return Err(ExpandError::new(
                name.pos,
                format!(
                    "`{}` only allows symbols in bindings, got {name}",
                    macro_name(form)
                ),
            ));
        }
    }
    Ok(pairs)
}

/// `(with-local-vars [x init ...] body...)` →
/// `(let* [x (jank.runtime/local-var) ...] (push-thread-bindings (hash-map x init ...))
/// (try body... (finally (pop-thread-bindings))))`: each name is an unnamed
/// var bound to its init (which may use the vars) while the body runs.
fn with_local_vars(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let pairs = symbol_pairs(form, args)?;
    let mut names = Vec::new();
    let mut bindings = vec![core("hash-map", pos)];
    for pair in pairs.chunks_exact(2) {
        names.push(pair[0].clone());
        names.push(list(
            vec![Form::symbol(
                Name::qualified("jank.runtime", "local-var"),
                pos,
            )],
            pos,
        ));
        bindings.push(pair[0].clone());
        bindings.push(pair[1].clone());
    }
    Ok(bound_body(names, list(bindings, pos), &args[1..], pos))
}

/// `(with-open [x init ...] body...)` →
/// `(let* [x init] (try (with-open [...] body...) (finally (jank.runtime/close x))))`:
/// each value is closed, the last opened first, however the body ends.
fn with_open(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let pairs = symbol_pairs(form, args)?;
    let mut expansion = body(args[1..].to_vec(), pos);
    for pair in pairs.chunks_exact(2).rev() {
        let close = list(
            vec![
                Form::symbol(Name::qualified("jank.runtime", "close"), pos),
                pair[0].clone(),
            ],
            pos,
        );
        expansion = list(
            vec![
                sym("let*", pos),
                vector(vec![pair[0].clone(), pair[1].clone()], pos),
                list(
                    vec![
                        sym("try", pos),
                        expansion,
                        list(vec![sym("finally", pos), close], pos),
                    ],
                    pos,
                ),
            ],
            pos,
        );
    }
    Ok(expansion)
}

/// `(time expr)`: evaluates expr, prints the time it took as Clojure does,
/// `(prn (str "Elapsed time: " (/ (double (- now start)) 1000000.0) " msecs"))`,
/// and returns its value.
fn time(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let [expr] = args else {
        return Err(ExpandError::new(form.pos, "`time` takes one expression"));
    };
    let pos = form.pos;
    let (start, ret) = (
        sym(&gensyms.fresh("start"), pos),
        sym(&gensyms.fresh("ret"), pos),
    );
    let now = || {
        list(
            vec![Form::symbol(
                Name::qualified("jank.runtime", "nano-time"),
                pos,
            )],
            pos,
        )
    };
    let elapsed = list(
        vec![
            core("/", pos),
            list(
                vec![
                    core("double", pos),
                    list(vec![core("-", pos), now(), start.clone()], pos),
                ],
                pos,
            ),
            Form::new(FormKind::Double(1_000_000.0), pos),
        ],
        pos,
    );
    let message = list(
        vec![
            core("str", pos),
            Form::new(FormKind::Str("Elapsed time: ".to_string()), pos),
            elapsed,
            Form::new(FormKind::Str(" msecs".to_string()), pos),
        ],
        pos,
    );
    Ok(list(
        vec![
            sym("let*", pos),
            vector(vec![start, now(), ret.clone(), expr.clone()], pos),
            list(vec![core("prn", pos), message], pos),
            ret,
        ],
        pos,
    ))
}

/// `(with-bindings {#'*v* value} body...)` →
/// `(clojure.core/with-bindings* {#'*v* value} (fn* [] body...))`.
fn with_bindings(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    Ok(list(
        vec![
            core("with-bindings*", form.pos),
            args[0].clone(),
            thunk(&args[1..], form.pos),
        ],
        form.pos,
    ))
}

/// `(defmethod name dispatch-value & fn-tail)` →
/// `(jank.runtime/add-method name dispatch-value (fn & fn-tail))`.
fn defmethod(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 3)?;
    let pos = form.pos;
    let mut method = vec![core("fn", pos)];
    method.extend(args[2..].iter().cloned());
    Ok(list(
        vec![
            Form::symbol(Name::qualified("jank.runtime", "add-method"), pos),
            args[0].clone(),
            args[1].clone(),
            list(method, pos),
        ],
        pos,
    ))
}

fn comment(form: &Form, _: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    Ok(nil(form.pos))
}

fn case(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    let mut items = vec![sym("case*", form.pos)];
    items.extend(args.iter().cloned());
    Ok(list(items, form.pos))
}

/// `(letfn [(f [x] ...) ...] body)` → `(letfn* [f (fn f [x] ...) ...] body)`.
fn letfn(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let Some(Form {
        kind: FormKind::Vector(specs),
        pos: specs_pos,
        ..
    }) = args.first()
    else {
        return Err(ExpandError::new(
            form.pos,
            "`letfn` requires a vector of fn specs",
        ));
    };
    let mut bindings = Vec::new();
    for spec in specs {
        let FormKind::List(parts) = &spec.kind else {
            return Err(ExpandError::new(
                spec.pos,
                format!("`letfn` fn specs look like (name [params] body), got {spec}"),
            ));
        };
        let Some(name) = parts.first().filter(|n| is_simple(n)) else {
            return Err(ExpandError::new(
                spec.pos,
                "a `letfn` fn spec must start with a name",
            ));
        };
        let mut fn_form = vec![core("fn", spec.pos)];
        fn_form.extend(parts.iter().cloned());
        bindings.push(name.clone());
        bindings.push(fn_macro(
            &list(fn_form.clone(), spec.pos),
            &fn_form[1..],
            gensyms,
        )?);
    }
    Ok(list(
        vec![
            sym("letfn*", form.pos),
            vector(bindings, *specs_pos),
            body(args[1..].to_vec(), form.pos),
        ],
        form.pos,
    ))
}

/// The single `[binding test]` pair of if-let and friends.
fn single_binding<'f>(form: &Form, args: &'f [Form]) -> Result<(&'f Form, &'f Form), ExpandError> {
    match args.first().map(|f| &f.kind) {
        Some(FormKind::Vector(pair)) if pair.len() == 2 => Ok((&pair[0], &pair[1])),
        _ => Err(ExpandError::new(
            args.first().map_or(form.pos, |f| f.pos),
            format!(
                "`{}` requires a vector of exactly one binding and its test",
                macro_name(form)
            ),
        )),
    }
}

/// if-let / if-some: test once, bind the pattern only in the then branch.
fn conditional_binding(
    form: &Form,
    args: &[Form],
    gensyms: &mut Gensyms,
    some: bool,
) -> Result<Form, ExpandError> {
    let (pattern, test) = single_binding(form, args)?;
    if !(2..=3).contains(&args.len()) {
        return Err(ExpandError::new(
            form.pos,
            format!(
                "`{}` requires a binding, a then form and an optional else form",
                macro_name(form)
            ),
        ));
    }
    let pos = form.pos;
    let temp = sym(&gensyms.fresh("temp"), pos);
    let then = let_macro(
        &list(vec![], pos),
        &[
            vector(vec![pattern.clone(), temp.clone()], pos),
            args[1].clone(),
        ],
        gensyms,
    )?;
    let otherwise = args.get(2).cloned().unwrap_or_else(|| nil(pos));
    let branch = if some {
        list(
            vec![
                sym("if", pos),
                list(vec![core("nil?", pos), temp.clone()], pos),
                otherwise,
                then,
            ],
            pos,
        )
    } else {
        list(vec![sym("if", pos), temp.clone(), then, otherwise], pos)
    };
    Ok(list(
        vec![
            sym("let*", pos),
            vector(vec![temp, test.clone()], pos),
            branch,
        ],
        pos,
    ))
}

fn if_let(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    conditional_binding(form, args, gensyms, false)
}

fn if_some(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    conditional_binding(form, args, gensyms, true)
}

fn when_let(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    single_binding(form, args)?;
    let then = body(args[1..].to_vec(), form.pos);
    conditional_binding(form, &[args[0].clone(), then], gensyms, false)
}

fn when_some(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    single_binding(form, args)?;
    let then = body(args[1..].to_vec(), form.pos);
    conditional_binding(form, &[args[0].clone(), then], gensyms, true)
}

fn when_first(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let (pattern, coll) = single_binding(form, args)?;
    let pos = form.pos;
    let xs = sym(&gensyms.fresh("xs"), pos);
    let inner = let_macro(
        &list(vec![], pos),
        &[
            vector(
                vec![
                    pattern.clone(),
                    list(vec![core("first", pos), xs.clone()], pos),
                ],
                pos,
            ),
            body(args[1..].to_vec(), pos),
        ],
        gensyms,
    )?;
    let binding = vector(
        vec![xs, list(vec![core("seq", pos), coll.clone()], pos)],
        pos,
    );
    conditional_binding(form, &[binding, inner], gensyms, false)
}

/// `(condp pred expr test result ... default?)`, with `test :>> f` clauses.
fn condp(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 2)?;
    let pos = form.pos;
    let pred = sym(&gensyms.fresh("pred"), pos);
    let expr = sym(&gensyms.fresh("expr"), pos);
    let mut clauses: Vec<&[Form]> = Vec::new();
    let mut rest = &args[2..];
    while !rest.is_empty() {
        let take = if rest.len() >= 3
            && matches!(&rest[1].kind, FormKind::Keyword(k) if k.ns.is_none() && k.name == ">>")
        {
            3
        } else {
            2.min(rest.len())
        };
        clauses.push(&rest[..take]);
        rest = &rest[take..];
    }
    let mut result = match clauses.last() {
        Some([default]) => {
            let default = default.clone();
            clauses.pop();
            default
        }
        _ => no_matching_clause(&expr, pos),
    };
    for clause in clauses.iter().rev() {
        let test = list(
            vec![pred.clone(), clause[0].clone(), expr.clone()],
            clause[0].pos,
        );
        result = match clause {
            [_, _, f] => {
                let matched = sym(&gensyms.fresh("p"), clause[0].pos);
                let then = list(vec![f.clone(), matched.clone()], f.pos);
                list(
                    vec![
                        sym("let*", pos),
                        vector(vec![matched.clone(), test], pos),
                        list(vec![sym("if", pos), matched, then, result], pos),
                    ],
                    pos,
                )
            }
            _ => list(
                vec![sym("if", clause[0].pos), test, clause[1].clone(), result],
                clause[0].pos,
            ),
        };
    }
    Ok(list(
        vec![
            sym("let*", pos),
            vector(vec![pred, args[0].clone(), expr, args[1].clone()], pos),
            result,
        ],
        pos,
    ))
}

/// Clojure's condp and case throw IllegalArgumentException "No matching clause: value".
fn no_matching_clause(value: &Form, pos: Pos) -> Form {
    let message = list(
        vec![
            core("str", pos),
            Form::new(FormKind::Str("No matching clause: ".into()), pos),
            value.clone(),
        ],
        pos,
    );
    throw_new("java.lang.IllegalArgumentException", message, pos)
}

/// `(throw (jank.runtime/new-throwable class message))`: an expansion throws
/// the exception of the class Clojure's own macro throws.
fn throw_new(class: &str, message: Form, pos: Pos) -> Form {
    let error = list(
        vec![
            Form::symbol(Name::qualified("jank.runtime", "new-throwable"), pos),
            Form::new(FormKind::Str(class.into()), pos),
            message,
        ],
        pos,
    );
    list(vec![sym("throw", pos), error], pos)
}

fn as_thread(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 2)?;
    if !is_simple(&args[1]) {
        return Err(ExpandError::new(
            args[1].pos,
            "`as->` requires a symbol name",
        ));
    }
    let mut bindings = vec![args[1].clone(), args[0].clone()];
    for step in &args[2..] {
        bindings.push(args[1].clone());
        bindings.push(step.clone());
    }
    Ok(list(
        vec![
            sym("let*", form.pos),
            vector(bindings, form.pos),
            args[1].clone(),
        ],
        form.pos,
    ))
}

/// The shared shape of some-> and cond->: rebind one local step by step.
fn stepwise(
    form: &Form,
    start: &Form,
    steps: Vec<(Option<Form>, Form)>,
    last: bool,
    stop_on_nil: bool,
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let local = sym(&gensyms.fresh("g"), pos);
    let mut bindings = vec![local.clone(), start.clone()];
    for (test, step) in steps {
        let threaded = thread(
            &list(vec![], step.pos),
            &[local.clone(), step.clone()],
            last,
        )?;
        let value = match (test, stop_on_nil) {
            (_, true) => list(
                vec![
                    sym("if", step.pos),
                    list(vec![core("nil?", step.pos), local.clone()], step.pos),
                    nil(step.pos),
                    threaded,
                ],
                step.pos,
            ),
            (Some(test), false) => list(
                vec![sym("if", test.pos), test, threaded, local.clone()],
                step.pos,
            ),
            (None, false) => threaded,
        };
        bindings.push(local.clone());
        bindings.push(value);
    }
    Ok(list(
        vec![sym("let*", pos), vector(bindings, pos), local],
        pos,
    ))
}

fn some_thread_first(
    form: &Form,
    args: &[Form],
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    stepwise(
        form,
        &args[0],
        args[1..].iter().map(|s| (None, s.clone())).collect(),
        false,
        true,
        gensyms,
    )
}

fn some_thread_last(
    form: &Form,
    args: &[Form],
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    stepwise(
        form,
        &args[0],
        args[1..].iter().map(|s| (None, s.clone())).collect(),
        true,
        true,
        gensyms,
    )
}

fn cond_steps(form: &Form, args: &[Form]) -> Result<Vec<(Option<Form>, Form)>, ExpandError> {
    require_args(form, args, 1)?;
    if args[1..].len() % 2 != 0 {
        return Err(ExpandError::new(
            form.pos,
            format!("`{}` requires test/form pairs", macro_name(form)),
        ));
    }
    Ok(args[1..]
        .chunks(2)
        .map(|pair| (Some(pair[0].clone()), pair[1].clone()))
        .collect())
}

fn cond_thread_first(
    form: &Form,
    args: &[Form],
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let steps = cond_steps(form, args)?;
    stepwise(form, &args[0], steps, false, false, gensyms)
}

fn cond_thread_last(
    form: &Form,
    args: &[Form],
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let steps = cond_steps(form, args)?;
    stepwise(form, &args[0], steps, true, false, gensyms)
}

fn doto(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    let pos = form.pos;
    let local = sym(&gensyms.fresh("doto"), pos);
    let mut forms = vec![
        sym("let*", pos),
        vector(vec![local.clone(), args[0].clone()], pos),
    ];
    for step in &args[1..] {
        forms.push(thread(
            &list(vec![], step.pos),
            &[local.clone(), step.clone()],
            false,
        )?);
    }
    forms.push(local);
    Ok(list(forms, pos))
}

fn dotimes(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let (index, count) = single_binding(form, args)?;
    if !is_simple(index) {
        return Err(ExpandError::new(index.pos, "`dotimes` binds a symbol"));
    }
    let pos = form.pos;
    let limit = sym(&gensyms.fresh("n"), pos);
    let step = list(
        vec![
            sym("recur", pos),
            list(vec![core("inc", pos), index.clone()], pos),
        ],
        pos,
    );
    let mut body_forms = args[1..].to_vec();
    body_forms.push(step);
    let looped = list(
        vec![
            sym("loop*", pos),
            vector(vec![index.clone(), Form::new(FormKind::Int(0), pos)], pos),
            list(
                vec![
                    sym("if", pos),
                    list(vec![core("<", pos), index.clone(), limit.clone()], pos),
                    body(body_forms, pos),
                    nil(pos),
                ],
                pos,
            ),
        ],
        pos,
    );
    // Clojure's dotimes takes `(long n)`: `(dotimes [i 2.5] ...)` runs twice.
    let limit_value = match count.kind {
        FormKind::Int(_) => count.clone(),
        _ => list(vec![core("long", pos), count.clone()], pos),
    };
    Ok(list(
        vec![
            sym("let*", pos),
            vector(vec![limit, limit_value], pos),
            looped,
        ],
        pos,
    ))
}

fn while_macro(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    let pos = form.pos;
    let mut body_forms = args[1..].to_vec();
    body_forms.push(list(vec![sym("recur", pos)], pos));
    Ok(list(
        vec![
            sym("loop*", pos),
            vector(vec![], pos),
            list(
                vec![
                    sym("if", pos),
                    args[0].clone(),
                    body(body_forms, pos),
                    nil(pos),
                ],
                pos,
            ),
        ],
        pos,
    ))
}

/// One binding of a doseq/for: the pattern, its collection, and the modifiers after it.
struct SeqBinding {
    pattern: Form,
    coll: Form,
    modifiers: Vec<(String, Form)>,
}

fn seq_bindings(form: &Form, args: &[Form]) -> Result<Vec<SeqBinding>, ExpandError> {
    let Some(Form {
        kind: FormKind::Vector(items),
        pos: vector_pos,
        ..
    }) = args.first()
    else {
        return Err(ExpandError::new(
            form.pos,
            format!("`{}` requires a vector for its binding", macro_name(form)),
        ));
    };
    if items.len() % 2 != 0 {
        return Err(ExpandError::new(
            *vector_pos,
            format!(
                "`{}` requires an even number of forms in its binding vector",
                macro_name(form)
            ),
        ));
    }
    let mut bindings: Vec<SeqBinding> = Vec::new();
    for pair in items.chunks(2) {
        match &pair[0].kind {
            FormKind::Keyword(k)
                if k.ns.is_none() && matches!(k.name.as_str(), "let" | "when" | "while") =>
            {
                let Some(current) = bindings.last_mut() else {
                    return Err(ExpandError::new(
                        pair[0].pos,
                        format!("`:{}` must follow a binding", k.name),
                    ));
                };
                current.modifiers.push((k.name.clone(), pair[1].clone()));
            }
            FormKind::Keyword(k) => {
                return Err(ExpandError::new(
                    pair[0].pos,
                    format!("invalid `{}` modifier :{}", macro_name(form), k.name),
                ))
            }
            _ => bindings.push(SeqBinding {
                pattern: pair[0].clone(),
                coll: pair[1].clone(),
                modifiers: Vec::new(),
            }),
        }
    }
    if bindings.is_empty() {
        return Err(ExpandError::new(
            *vector_pos,
            format!("`{}` requires at least one binding", macro_name(form)),
        ));
    }
    Ok(bindings)
}

/// Wraps `inner` in a binding's modifiers; `skip` continues with the next element, `stop` ends the walk.
fn with_modifiers(
    modifiers: &[(String, Form)],
    inner: Form,
    skip: &Form,
    stop: &Form,
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let mut result = inner;
    for (kind, value) in modifiers.iter().rev() {
        let pos = value.pos;
        result = match kind.as_str() {
            "let" => let_macro(&list(vec![], pos), &[value.clone(), result], gensyms)?,
            "when" => list(
                vec![sym("if", pos), value.clone(), result, skip.clone()],
                pos,
            ),
            _ => list(
                vec![sym("if", pos), value.clone(), result, stop.clone()],
                pos,
            ),
        };
    }
    Ok(result)
}

fn doseq(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let bindings = seq_bindings(form, args)?;
    let mut inner = list(
        vec![
            sym("do", form.pos),
            body(args[1..].to_vec(), form.pos),
            nil(form.pos),
        ],
        form.pos,
    );
    for binding in bindings.iter().rev() {
        let pos = binding.pattern.pos;
        let s = sym(&gensyms.fresh("seq"), pos);
        let next = list(
            vec![
                sym("recur", pos),
                list(vec![core("next", pos), s.clone()], pos),
            ],
            pos,
        );
        let step = list(vec![sym("do", pos), inner, next.clone()], pos);
        let guarded = with_modifiers(&binding.modifiers, step, &next, &nil(pos), gensyms)?;
        let bound = let_first(&binding.pattern, &s, guarded, gensyms)?;
        inner = list(
            vec![
                sym("loop*", pos),
                vector(
                    vec![
                        s.clone(),
                        list(vec![core("seq", pos), binding.coll.clone()], pos),
                    ],
                    pos,
                ),
                list(vec![sym("if", pos), s, bound, nil(pos)], pos),
            ],
            pos,
        );
    }
    Ok(inner)
}

/// `(let [pattern (first s)] body)`, destructuring `pattern`.
fn let_first(
    pattern: &Form,
    s: &Form,
    body: Form,
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let pos = pattern.pos;
    let first = list(vec![core("first", pos), s.clone()], pos);
    let_macro(
        &list(vec![], pos),
        &[vector(vec![pattern.clone(), first], pos), body],
        gensyms,
    )
}

/// `for` as lazily concatenated steps: each binding walks its seq inside `lazy-seq`.
fn for_macro(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    if args.len() != 2 {
        return Err(ExpandError::new(
            form.pos,
            "`for` requires a binding vector and one body form",
        ));
    }
    let bindings = seq_bindings(form, args)?;
    for_step(&bindings, &args[1], gensyms)
}

fn for_step(
    bindings: &[SeqBinding],
    body_form: &Form,
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let Some((binding, more)) = bindings.split_first() else {
        return Ok(body_form.clone());
    };
    let pos = binding.pattern.pos;
    if more.is_empty() {
        return for_innermost(binding, body_form, gensyms);
    }
    let step = sym(&gensyms.fresh("step"), pos);
    let s = sym(&gensyms.fresh("s"), pos);
    let rest_call = list(
        vec![step.clone(), list(vec![core("rest", pos), s.clone()], pos)],
        pos,
    );
    let produce = if more.is_empty() {
        list(
            vec![core("cons", pos), body_form.clone(), rest_call.clone()],
            pos,
        )
    } else {
        list(
            vec![
                core("concat", pos),
                for_step(more, body_form, gensyms)?,
                rest_call.clone(),
            ],
            pos,
        )
    };
    let guarded = with_modifiers(&binding.modifiers, produce, &rest_call, &nil(pos), gensyms)?;
    let bound = let_first(&binding.pattern, &s, guarded, gensyms)?;
    let walk = list(
        vec![
            sym("let*", pos),
            vector(
                vec![s.clone(), list(vec![core("seq", pos), s.clone()], pos)],
                pos,
            ),
            list(vec![sym("if", pos), s.clone(), bound, nil(pos)], pos),
        ],
        pos,
    );
    let lazy = lazy_seq_of(walk, pos);
    let step_fn = list(
        vec![sym("fn*", pos), step.clone(), vector(vec![s], pos), lazy],
        pos,
    );
    Ok(list(
        vec![
            sym("letfn*", pos),
            vector(vec![step.clone(), step_fn], pos),
            list(vec![step, binding.coll.clone()], pos),
        ],
        pos,
    ))
}

/// The innermost binding of a `for`: `(jank.runtime/for-items (fn* [item]
/// (let [pattern item] body-with-modifiers)) coll)`, where a `:when` that
/// fails returns `jank.runtime/for-skip` and a `:while` that fails
/// `jank.runtime/for-stop`; the runtime walks `coll` a chunk at a time when
/// it is chunked, as Clojure's `for` does.
fn for_innermost(
    binding: &SeqBinding,
    body_form: &Form,
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let pos = binding.pattern.pos;
    let runtime = |name: &str| Form::symbol(Name::qualified("jank.runtime", name), pos);
    let item = sym(&gensyms.fresh("item"), pos);
    let guarded = with_modifiers(
        &binding.modifiers,
        body_form.clone(),
        &runtime("for-skip"),
        &runtime("for-stop"),
        gensyms,
    )?;
    let bound = let_macro(
        &list(vec![], pos),
        &[
            vector(vec![binding.pattern.clone(), item.clone()], pos),
            guarded,
        ],
        gensyms,
    )?;
    let step = list(vec![sym("fn*", pos), vector(vec![item], pos), bound], pos);
    Ok(list(
        vec![runtime("for-items"), step, binding.coll.clone()],
        pos,
    ))
}

fn lazy_seq_of(body_form: Form, pos: Pos) -> Form {
    let thunk = list(vec![sym("fn*", pos), vector(vec![], pos), body_form], pos);
    list(
        vec![
            Form::symbol(Name::qualified("jank.runtime", "lazy-seq"), pos),
            thunk,
        ],
        pos,
    )
}

fn lazy_seq(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    Ok(lazy_seq_of(body(args.to_vec(), form.pos), form.pos))
}

/// `(delay body...)` → `(jank.runtime/delay (fn* [] body...))`: the body runs
/// at the first `force`/`deref`, once.
fn delay(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    Ok(call_with_thunk(
        Name::qualified("jank.runtime", "delay"),
        args,
        form.pos,
    ))
}

/// `(dosync body...)` → `(jank.runtime/run-in-transaction (fn* [] body...))`.
fn dosync(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    Ok(call_with_thunk(
        Name::qualified("jank.runtime", "run-in-transaction"),
        args,
        form.pos,
    ))
}

/// `(sync flags body...)`: `dosync` with flags, which Clojure ignores.
fn sync(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    dosync(form, &args[1..], gensyms)
}

/// `(locking x body...)`: x, then the body. One thread runs a page, so no
/// other can hold the lock.
fn locking(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    let pos = form.pos;
    let lock = gensyms.fresh("lock");
    let mut items = vec![
        sym("let*", pos),
        vector(vec![sym(&lock, pos), args[0].clone()], pos),
    ];
    items.extend(args[1..].iter().cloned());
    Ok(list(items, pos))
}

/// `(memfn name args...)` → `(fn* [target args...] (. target (name args...)))`.
fn memfn(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    let pos = form.pos;
    let Some(method) = args[0].as_symbol().filter(|name| name.ns.is_none()) else {
        return Err(ExpandError::new(
            args[0].pos,
            "`memfn` takes a method name (a simple symbol) first",
        ));
    };
    let target = sym(&gensyms.fresh("target"), pos);
    let params: Vec<Form> = args[1..]
        .iter()
        .map(|_| sym(&gensyms.fresh("p"), pos))
        .collect();
    let mut call = vec![sym(&method.name, args[0].pos)];
    call.extend(params.iter().cloned());
    let mut param_vector = vec![target.clone()];
    param_vector.extend(params);
    Ok(list(
        vec![
            sym("fn*", pos),
            vector(param_vector, pos),
            list(vec![sym(".", pos), target, list(call, pos)], pos),
        ],
        pos,
    ))
}

/// `(.. x m1 (m2 args) ...)` → `(. (. x m1) (m2 args))`, member after member.
fn dot_dot(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 2)?;
    let pos = form.pos;
    Ok(args[1..].iter().fold(args[0].clone(), |target, member| {
        list(vec![sym(".", pos), target, member.clone()], pos)
    }))
}

/// `(io! message? body...)` → `(do (jank.runtime/check-io message) body...)`:
/// the check throws IllegalStateException inside a transaction.
fn io(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let (message, body) = match args.split_first() {
        Some((first, rest)) if matches!(first.kind, FormKind::Str(_)) => (first.clone(), rest),
        _ => (
            Form::new(FormKind::Str("I/O in transaction".into()), pos),
            args,
        ),
    };
    let check = list(
        vec![
            Form::symbol(Name::qualified("jank.runtime", "check-io"), pos),
            message,
        ],
        pos,
    );
    let mut items = vec![sym("do", pos), check];
    items.extend(body.iter().cloned());
    Ok(list(items, pos))
}

/// `(f (fn* [] body...))`: what `delay` and `future` expand to.
fn call_with_thunk(f: Name, body_forms: &[Form], pos: Pos) -> Form {
    let thunk = list(
        vec![
            sym("fn*", pos),
            vector(vec![], pos),
            body(body_forms.to_vec(), pos),
        ],
        pos,
    );
    list(vec![Form::symbol(f, pos), thunk], pos)
}

/// `(bound-fn [params] body...)`: the fn, run with the thread bindings in
/// force where it was made (`bound-fn*`).
fn bound_fn(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let mut the_fn = vec![Form::symbol(Name::qualified("clojure.core", "fn"), pos)];
    the_fn.extend(args.iter().cloned());
    Ok(list(
        vec![
            Form::symbol(Name::qualified("clojure.core", "bound-fn*"), pos),
            list(the_fn, pos),
        ],
        pos,
    ))
}

/// `(future body...)`: `future-call` of a fn of the body.
fn future(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    Ok(call_with_thunk(
        Name::qualified("clojure.core", "future-call"),
        args,
        form.pos,
    ))
}

/// `(lazy-cat a b ...)`: each collection is evaluated only when the
/// concatenation reaches it.
fn lazy_cat(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let mut call = vec![core("concat", form.pos)];
    call.extend(args.iter().map(|coll| lazy_seq_of(coll.clone(), coll.pos)));
    Ok(list(call, form.pos))
}

/// `(assert x message?)`: throws AssertionError "Assert failed: ..." when x is falsy.
fn assert(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    if !(1..=2).contains(&args.len()) {
        return Err(ExpandError::new(
            form.pos,
            "`assert` takes a test and an optional message",
        ));
    }
    let pos = form.pos;
    let described = Form::new(FormKind::Str(args[0].to_string()), pos);
    let message = match args.get(1) {
        Some(message) => list(
            vec![
                core("str", pos),
                Form::new(FormKind::Str("Assert failed: ".into()), pos),
                message.clone(),
                Form::new(FormKind::Str("\n".into()), pos),
                described,
            ],
            pos,
        ),
        None => list(
            vec![
                core("str", pos),
                Form::new(FormKind::Str("Assert failed: ".into()), pos),
                described,
            ],
            pos,
        ),
    };
    Ok(list(
        vec![
            sym("if", pos),
            args[0].clone(),
            nil(pos),
            throw_new("java.lang.AssertionError", message, pos),
        ],
        pos,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(name: &str) -> Form {
        Form::symbol(Name::bare(name), Pos::default())
    }

    #[test]
    fn and_evaluates_each_value_once() {
        let mut gensyms = Gensyms::default();
        let form = list(vec![bare("and"), bare("a"), bare("b")], Pos::default());
        let expanded = expand_core_macro("and", &form, &mut gensyms).unwrap();
        assert_eq!(
            expanded.to_string(),
            "(let* [and__1 a] (if and__1 b and__1))"
        );
    }

    #[test]
    fn the_runtime_interns_a_var_for_every_compiler_macro() {
        assert_eq!(
            core_macro_names().collect::<Vec<_>>(),
            jank_runtime_abi::COMPILER_CORE_MACROS
        );
    }
}
