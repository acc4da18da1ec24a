//! The clojure.core macros jankwasm expands, each a form-to-form rewrite
//! following Clojure's own definitions.

use super::build::{body, core, keyword, list, nil, quote, sym, vector};
use super::destructure::{destructure, is_simple};
use super::{ExpandError, Gensyms};
use crate::read::{Form, FormKind};

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
    ("comment", comment),
];

pub fn is_core_macro(name: &str) -> bool {
    MACROS.iter().any(|(macro_name, _)| *macro_name == name)
}

/// Expands `form`, a list whose head names the clojure.core macro `name`.
pub fn expand_core_macro(name: &str, form: &Form, gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let FormKind::List(items) = &form.kind else {
        return Err(ExpandError::new(form.pos, format!("macro `{name}` used outside a call")));
    };
    let expander = MACROS
        .iter()
        .find(|(macro_name, _)| *macro_name == name)
        .map(|(_, expander)| *expander)
        .ok_or_else(|| ExpandError::new(form.pos, format!("`{name}` is not a macro jankwasm knows")))?;
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
            format!("`{}` requires at least {min} argument{}", macro_name(form), if min == 1 { "" } else { "s" }),
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
fn define_fn(form: &Form, args: &[Form], private: bool, gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let Some((name, mut rest)) = args.split_first() else {
        return Err(ExpandError::new(pos, format!("`{}` requires a name", macro_name(form))));
    };
    if !is_simple(name) {
        return Err(ExpandError::new(name.pos, format!("`{}` requires a symbol name, got {name}", macro_name(form))));
    }
    let mut meta: Vec<(Form, Form)> = Vec::new();
    if let Some(existing) = &name.meta {
        if let FormKind::Map(entries) = &existing.kind {
            meta.extend(entries.iter().cloned());
        }
    }
    if let Some((doc @ Form { kind: FormKind::Str(_), .. }, tail)) = rest.split_first() {
        meta.push((keyword("doc", doc.pos), doc.clone()));
        rest = tail;
    }
    if let Some((Form { kind: FormKind::Map(attrs), .. }, tail)) = rest.split_first() {
        meta.extend(attrs.iter().cloned());
        rest = tail;
    }
    let arities: Vec<Form> = match rest.first().map(|f| &f.kind) {
        Some(FormKind::Vector(_)) => vec![list(rest.to_vec(), rest[0].pos)],
        Some(FormKind::List(_)) => {
            let mut arities = rest.to_vec();
            if let Some(Form { kind: FormKind::Map(attrs), .. }) = arities.last() {
                meta.extend(attrs.iter().cloned());
                arities.pop();
            }
            arities
        }
        Some(_) => return Err(ExpandError::new(rest[0].pos, "expected a parameter vector or arity lists")),
        None => return Err(ExpandError::new(pos, format!("`{}` requires a parameter vector", macro_name(form)))),
    };
    let mut arglists = Vec::new();
    for arity in &arities {
        match &arity.kind {
            FormKind::List(items) if matches!(items.first().map(|f| &f.kind), Some(FormKind::Vector(_))) => {
                arglists.push(items[0].clone());
            }
            _ => return Err(ExpandError::new(arity.pos, format!("expected an arity `([params] body)`, got {arity}"))),
        }
    }
    if private {
        meta.push((keyword("private", pos), Form::new(FormKind::Bool(true), pos)));
    }
    meta.push((keyword("arglists", pos), quote(list(arglists, pos))));
    let mut named = name.clone();
    named.meta = Some(Box::new(Form::new(FormKind::Map(dedupe_meta(meta)), pos)));
    let mut fn_form = vec![core("fn", pos)];
    fn_form.extend(arities);
    let function = fn_macro(&list(fn_form.clone(), pos), &fn_form[1..], gensyms)?;
    Ok(list(vec![sym("def", pos), named, function], pos))
}

/// Later metadata entries win, as in Clojure's `merge`.
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
    if let Some((name @ Form { kind: FormKind::Symbol(_), .. }, tail)) = rest.split_first() {
        out.push(name.clone());
        rest = tail;
    }
    match rest.first().map(|f| &f.kind) {
        Some(FormKind::Vector(_)) => out.push(fn_arity(&rest[0], &rest[1..], gensyms)?),
        Some(FormKind::List(_)) => {
            for arity in rest {
                let FormKind::List(items) = &arity.kind else {
                    return Err(ExpandError::new(arity.pos, format!("expected an arity `([params] body)`, got {arity}")));
                };
                let Some(params) = items.first().filter(|p| matches!(p.kind, FormKind::Vector(_))) else {
                    return Err(ExpandError::new(arity.pos, "an arity must start with a parameter vector"));
                };
                out.push(fn_arity(params, &items[1..], gensyms)?);
            }
        }
        _ => return Err(ExpandError::new(pos, "`fn` requires a parameter vector")),
    }
    Ok(list(out, pos))
}

/// One `([params] body)` arity with destructured parameters replaced by fresh symbols.
fn fn_arity(params: &Form, body_forms: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let FormKind::Vector(items) = &params.kind else {
        return Err(ExpandError::new(params.pos, "expected a parameter vector"));
    };
    if let [Form { kind: FormKind::Map(_), pos, .. }, _, ..] = body_forms {
        return Err(ExpandError::new(*pos, "`:pre`/`:post` condition maps are not supported"));
    }
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
        list(vec![sym("let*", params.pos), vector(flat, params.pos), body_form], params.pos)
    };
    let mut plain_params = Form::new(FormKind::Vector(plain), params.pos);
    plain_params.meta = params.meta.clone();
    Ok(list(vec![plain_params, body_form], params.pos))
}

fn binding_vector<'f>(form: &Form, args: &'f [Form]) -> Result<&'f [Form], ExpandError> {
    match args.first().map(|f| &f.kind) {
        Some(FormKind::Vector(items)) if items.len() % 2 == 0 => Ok(items),
        Some(FormKind::Vector(_)) => {
            Err(ExpandError::new(args[0].pos, format!("`{}` requires an even number of forms in its binding vector", macro_name(form))))
        }
        _ => Err(ExpandError::new(form.pos, format!("`{}` requires a vector for its binding", macro_name(form)))),
    }
}

fn let_macro(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let bindings = binding_vector(form, args)?;
    let mut flat = Vec::new();
    destructure(bindings, gensyms, &mut flat)?;
    Ok(list(vec![sym("let*", form.pos), vector(flat, args[0].pos), body(args[1..].to_vec(), form.pos)], form.pos))
}

fn loop_macro(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let bindings = binding_vector(form, args)?;
    let pos = form.pos;
    let body_form = body(args[1..].to_vec(), pos);
    if bindings.chunks(2).all(|pair| is_simple(&pair[0])) {
        return Ok(list(vec![sym("loop*", pos), vector(bindings.to_vec(), args[0].pos), body_form], pos));
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
    Ok(list(vec![sym("loop*", pos), vector(loop_bindings, args[0].pos), let_form], pos))
}

fn when(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    Ok(list(vec![sym("if", form.pos), args[0].clone(), body(args[1..].to_vec(), form.pos), nil(form.pos)], form.pos))
}

fn when_not(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    require_args(form, args, 1)?;
    Ok(list(vec![sym("if", form.pos), args[0].clone(), nil(form.pos), body(args[1..].to_vec(), form.pos)], form.pos))
}

fn if_not(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    if !(2..=3).contains(&args.len()) {
        return Err(ExpandError::new(form.pos, "`if-not` requires a test, a then form and an optional else form"));
    }
    let pos = form.pos;
    let test = list(vec![core("not", pos), args[0].clone()], pos);
    let otherwise = args.get(2).cloned().unwrap_or_else(|| nil(pos));
    Ok(list(vec![sym("if", pos), test, args[1].clone(), otherwise], pos))
}

fn cond(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    if args.len() % 2 != 0 {
        return Err(ExpandError::new(args[args.len() - 1].pos, "`cond` requires an even number of forms"));
    }
    let mut result = nil(form.pos);
    for pair in args.chunks(2).rev() {
        result = list(vec![sym("if", pair[0].pos), pair[0].clone(), pair[1].clone(), result], pair[0].pos);
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
fn short_circuit(form: &Form, args: &[Form], gensyms: &mut Gensyms, is_and: bool) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let Some((last, init)) = args.split_last() else {
        return Ok(Form::new(if is_and { FormKind::Bool(true) } else { FormKind::Nil }, pos));
    };
    let mut result = last.clone();
    for value in init.iter().rev() {
        let local = sym(&gensyms.fresh(if is_and { "and" } else { "or" }), value.pos);
        let (then, otherwise) = if is_and { (result, local.clone()) } else { (local.clone(), result) };
        let test = list(vec![sym("if", value.pos), local.clone(), then, otherwise], value.pos);
        result = list(vec![sym("let*", value.pos), vector(vec![local, value.clone()], value.pos), test], value.pos);
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
                Form { kind: FormKind::List(items), pos: step.pos, meta: step.meta.clone() }
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
            return Err(ExpandError::new(name.pos, format!("`declare` requires symbols, got {name}")));
        }
        defs.push(list(vec![sym("def", name.pos), name.clone()], name.pos));
    }
    Ok(list(defs, form.pos))
}

fn comment(form: &Form, _: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    Ok(nil(form.pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Name;
    use crate::source::Pos;

    fn bare(name: &str) -> Form {
        Form::symbol(Name::bare(name), Pos::default())
    }

    #[test]
    fn and_evaluates_each_value_once() {
        let mut gensyms = Gensyms::default();
        let form = list(vec![bare("and"), bare("a"), bare("b")], Pos::default());
        let expanded = expand_core_macro("and", &form, &mut gensyms).unwrap();
        assert_eq!(expanded.to_string(), "(let* [and__1 a] (if and__1 b and__1))");
    }
}
