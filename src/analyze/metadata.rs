//! Reader metadata turned into run-time metadata: a collection literal or a
//! quoted form carrying `^meta` becomes a `with-meta` call, and a var's
//! metadata map is kept with what the compiler knows of the var, for `#'x`
//! to hand to the runtime.

use crate::read::{Form, FormKind, Name};
use crate::source::Pos;

fn core(name: &str, pos: Pos) -> Form {
    Form::symbol(Name::qualified("clojure.core", name), pos)
}

fn keyword(name: &str, pos: Pos) -> Form {
    Form::new(FormKind::Keyword(Name::bare(name)), pos)
}

/// `(clojure.core/with-meta form meta)` for a collection literal carrying
/// metadata (its metadata map is evaluated, as in Clojure), the empty list
/// `()` included; None otherwise.
pub fn literal_with_meta(form: &Form) -> Option<Form> {
    let literal = match &form.kind {
        FormKind::Vector(_) | FormKind::Map(_) | FormKind::Set(_) => true,
        FormKind::List(items) => items.is_empty(),
        _ => false,
    };
    if !literal {
        return None;
    }
    let meta = form.meta.as_deref()?.clone();
    let bare = Form::new(form.kind.clone(), form.pos);
    Some(Form::list(
        vec![core("with-meta", form.pos), bare, meta],
        form.pos,
    ))
}

/// A quoted form that carries metadata anywhere inside (`'^:k x`,
/// `'(def ^:dynamic *x* 1)`, what a macro is handed) rebuilt by calls, so
/// every part keeps its metadata as Clojure's quote keeps it:
/// `(clojure.core/with-meta (quote x) (quote {:k true}))`, and `list`,
/// `vector`, `array-map`/`hash-map` and `hash-set` of the parts for the
/// collections around them. None when no part has metadata: the plain quoted
/// constant.
pub fn quoted_with_meta(quoted: &Form) -> Option<Form> {
    has_meta_inside(quoted).then(|| rebuilt_with_meta(quoted))
}

fn has_meta_inside(form: &Form) -> bool {
    form.meta.is_some()
        || match &form.kind {
            FormKind::List(items) | FormKind::Vector(items) | FormKind::Set(items) => {
                items.iter().any(has_meta_inside)
            }
            FormKind::Map(entries) => entries
                .iter()
                .any(|(key, value)| has_meta_inside(key) || has_meta_inside(value)),
            _ => false,
        }
}

fn rebuilt_with_meta(form: &Form) -> Form {
    let pos = form.pos;
    let quote = |form: Form| Form::list(vec![Form::symbol(Name::bare("quote"), pos), form], pos);
    if !has_meta_inside(form) {
        return quote(form.clone());
    }
    let call = |name: &str, parts: Vec<Form>| {
        let mut items = vec![core(name, pos)];
        items.extend(parts);
        Form::list(items, pos)
    };
    let parts = |items: &[Form]| items.iter().map(rebuilt_with_meta).collect::<Vec<_>>();
    let bare = match &form.kind {
        FormKind::List(items) => call("list", parts(items)),
        FormKind::Vector(items) => call("vector", parts(items)),
        FormKind::Set(items) => call("hash-set", parts(items)),
        FormKind::Map(entries) => call(
            // Clojure reads a map of up to 8 entries as an array map.
            if entries.len() <= 8 {
                "array-map"
            } else {
                "hash-map"
            },
            entries
                .iter()
                .flat_map(|(key, value)| [rebuilt_with_meta(key), rebuilt_with_meta(value)])
                .collect(),
        ),
        kind => quote(Form::new(kind.clone(), pos)),
    };
    match form.meta.as_deref() {
        Some(meta) => Form::list(vec![core("with-meta", pos), bare, quote(meta.clone())], pos),
        None => bare,
    }
}

/// A var's metadata as a quoted map, for a def that carries metadata of its
/// own (a docstring, `^meta`/an attr-map, the `:arglists` every `defn`
/// adds): that metadata (values as written, `(quote x)` read as `x`)
/// with `:name`, `:ns`, `:file`, `:line` and `:column` as Clojure records
/// them. It reaches the var only where a patch takes the var itself (`#'x`),
/// the one way to ask a var for its metadata, so a def costs nothing more.
/// None for a plain def unless `replacing` (the var had a metadata map,
/// which the def must replace): its `#'x` stays as small as before, and its
/// var answers only `:name` and `:ns`.
pub fn var_meta_map(
    name: &Form,
    ns: &str,
    doc: Option<&str>,
    file: &str,
    def_pos: Pos,
    replacing: bool,
) -> Option<Form> {
    let pos = name.pos;
    let mut map: Vec<(Form, Form)> = match name.meta.as_deref().map(|meta| &meta.kind) {
        Some(FormKind::Map(entries)) => entries
            .iter()
            .map(|(key, value)| (key.clone(), unquoted(value)))
            .collect(),
        _ => Vec::new(),
    };
    if !replacing && doc.is_none() && map.is_empty() {
        return None;
    }
    let text = |text: &str| Form::new(FormKind::Str(text.to_string()), pos);
    if let Some(doc) = doc {
        map.push((keyword("doc", pos), text(doc)));
    }
    let int = |value: u32| Form::new(FormKind::Int(i64::from(value)), pos);
    map.push((keyword("line", pos), int(def_pos.line)));
    map.push((keyword("column", pos), int(def_pos.col)));
    map.push((keyword("file", pos), text(file)));
    map.push((keyword("name", pos), Form::new(name.kind.clone(), pos)));
    map.push((keyword("ns", pos), Form::symbol(Name::bare(ns), pos)));
    Some(Form::list(
        vec![
            Form::symbol(Name::bare("quote"), pos),
            Form::new(FormKind::Map(map), pos),
        ],
        pos,
    ))
}

/// `x` for `(quote x)`, else the form itself.
fn unquoted(form: &Form) -> Form {
    match &form.kind {
        FormKind::List(items) => match items.as_slice() {
            [head, quoted]
                if head
                    .as_symbol()
                    .is_some_and(|s| s.ns.is_none() && s.name == "quote") =>
            {
                quoted.clone()
            }
            _ => form.clone(),
        },
        _ => form.clone(),
    }
}
