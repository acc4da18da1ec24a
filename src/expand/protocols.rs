//! Protocols: `defprotocol`, `extend-type` and `extend-protocol`, rewritten
//! as Clojure defines them over `extend`. A protocol is a var holding a map
//! (`:var`, `:sigs`, `:impls`); each method is a fn that asks
//! `jank.runtime/protocol-method` for the implementation registered for the
//! class of its first argument. Records, types and `reify` are not part of
//! this: their names stay unresolved, a compile error.

use super::build::{core, keyword, list, sym, vector};
use super::{ExpandError, Gensyms};
use crate::read::{Form, FormKind, Name};

/// `(defprotocol P doc? opts* (method [this args*]+ doc?)*)`.
pub fn defprotocol(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let Some((name, mut rest)) = args.split_first() else {
        return Err(ExpandError::new(pos, "`defprotocol` requires a name"));
    };
    let FormKind::Symbol(protocol) = &name.kind else {
        return Err(ExpandError::new(
            name.pos,
            format!("`defprotocol` requires a symbol name, got {name}"),
        ));
    };
    if protocol.ns.is_some() {
        return Err(ExpandError::new(
            name.pos,
            format!("`defprotocol` requires an unqualified name, got {name}"),
        ));
    }
    let mut protocol_meta = Vec::new();
    if let [doc @ Form {
        kind: FormKind::Str(_),
        ..
    }, tail @ ..] = rest
    {
        protocol_meta.push((keyword("doc", doc.pos), doc.clone()));
        rest = tail;
    }
    while let [option @ Form {
        kind: FormKind::Keyword(_),
        ..
    }, tail @ ..] = rest
    {
        let Some((_, tail)) = tail.split_first() else {
            return Err(ExpandError::new(
                option.pos,
                format!("`defprotocol` option {option} needs a value"),
            ));
        };
        rest = tail;
    }
    let protocol_var = list(vec![sym("var", pos), sym(&protocol.name, pos)], pos);
    let mut sigs = Vec::new();
    let mut methods = Vec::new();
    for spec in rest {
        let method = method_signature(spec)?;
        let method_key = keyword(&method.name, spec.pos);
        let arglists = list(method.arglists.clone(), spec.pos);
        let mut sig = vec![
            (keyword("name", spec.pos), sym(&method.name, spec.pos)),
            (keyword("arglists", spec.pos), arglists.clone()),
        ];
        if let Some(doc) = &method.doc {
            sig.push((keyword("doc", spec.pos), doc.clone()));
        }
        sigs.push((method_key.clone(), Form::new(FormKind::Map(sig), spec.pos)));
        methods.push(method_fn(&method, &protocol_var, method_key, gensyms));
    }
    let mut bare_name = sym(&protocol.name, name.pos);
    if !protocol_meta.is_empty() {
        bare_name.meta = Some(Box::new(Form::new(FormKind::Map(protocol_meta), name.pos)));
    }
    let define = list(
        vec![
            Form::symbol(Name::qualified("jank.runtime", "define-protocol"), pos),
            protocol_var.clone(),
            // A protocol without methods has nil :sigs, as in Clojure.
            if sigs.is_empty() {
                super::build::nil(pos)
            } else {
                list(
                    vec![sym("quote", pos), Form::new(FormKind::Map(sigs), pos)],
                    pos,
                )
            },
        ],
        pos,
    );
    let mut expansion = vec![
        sym("do", pos),
        list(vec![sym("def", pos), bare_name, define], pos),
    ];
    expansion.extend(methods);
    expansion.push(list(vec![sym("quote", pos), sym(&protocol.name, pos)], pos));
    Ok(list(expansion, pos))
}

/// One method of a `defprotocol`: its name, arglists and docstring.
struct MethodSignature {
    name: String,
    arglists: Vec<Form>,
    doc: Option<Form>,
}

fn method_signature(spec: &Form) -> Result<MethodSignature, ExpandError> {
    let FormKind::List(items) = &spec.kind else {
        return Err(ExpandError::new(
            spec.pos,
            format!("`defprotocol` expects method signatures like (name [this args*]), got {spec}"),
        ));
    };
    let Some(FormKind::Symbol(Name { ns: None, name })) = items.first().map(|f| &f.kind) else {
        return Err(ExpandError::new(
            spec.pos,
            format!("a protocol method needs an unqualified name, got {spec}"),
        ));
    };
    let mut arglists = Vec::new();
    let mut doc = None;
    for item in &items[1..] {
        match &item.kind {
            FormKind::Vector(params) => {
                if params.is_empty() {
                    return Err(ExpandError::new(
                        item.pos,
                        format!("protocol method `{name}` needs at least one parameter (the value it dispatches on)"),
                    ));
                }
                if params.iter().any(|p| matches!(&p.kind, FormKind::Symbol(n) if n.ns.is_none() && n.name == "&")) {
                    return Err(ExpandError::new(
                        item.pos,
                        format!("protocol method `{name}` cannot take variadic arguments: Clojure would take `&` as a parameter named &"),
                    ));
                }
                arglists.push(item.clone());
            }
            FormKind::Str(_) if doc.is_none() => doc = Some(item.clone()),
            _ => {
                return Err(ExpandError::new(
                    item.pos,
                    format!("protocol method `{name}` expects parameter vectors and a docstring, got {item}"),
                ))
            }
        }
    }
    if arglists.is_empty() {
        return Err(ExpandError::new(
            spec.pos,
            format!("protocol method `{name}` needs a parameter vector"),
        ));
    }
    Ok(MethodSignature {
        name: name.clone(),
        arglists,
        doc,
    })
}

/// `(defn method doc? ([p0 p1] ((jank.runtime/protocol-method (var P) :method p0) p0 p1)) ...)`,
/// one arity per parameter vector, with fresh parameter names (the
/// signature's may destructure, which only an implementation should do).
fn method_fn(
    method: &MethodSignature,
    protocol_var: &Form,
    method_key: Form,
    gensyms: &mut Gensyms,
) -> Form {
    let pos = method_key.pos;
    let mut defn = vec![core("defn", pos), sym(&method.name, pos)];
    if let Some(doc) = &method.doc {
        defn.push(doc.clone());
    }
    for arglist in &method.arglists {
        let FormKind::Vector(params) = &arglist.kind else {
            continue;
        };
        let fresh: Vec<Form> = params
            .iter()
            .map(|_| sym(&gensyms.fresh("arg"), arglist.pos))
            .collect();
        let implementation = list(
            vec![
                Form::symbol(Name::qualified("jank.runtime", "protocol-method"), pos),
                protocol_var.clone(),
                method_key.clone(),
                fresh[0].clone(),
            ],
            pos,
        );
        let mut call = vec![implementation];
        call.extend(fresh.iter().cloned());
        defn.push(list(
            vec![vector(fresh, arglist.pos), list(call, pos)],
            arglist.pos,
        ));
    }
    list(defn, pos)
}

/// `(extend-type T P (method [this] body) ... P2 ...)` →
/// `(extend T P {:method (fn ([this] body))} P2 {...})`.
pub fn extend_type(form: &Form, args: &[Form], _: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let Some((target, specs)) = args.split_first() else {
        return Err(ExpandError::new(pos, "`extend-type` requires a type"));
    };
    let mut call = vec![core("extend", pos), target.clone()];
    for (protocol, methods) in grouped(specs, "`extend-type` expects a protocol name")? {
        call.push(protocol.clone());
        call.push(method_map(methods, protocol.pos)?);
    }
    Ok(list(call, pos))
}

/// `(extend-protocol P T (method ...) ... T2 ...)` → one `extend-type` per type.
pub fn extend_protocol(
    form: &Form,
    args: &[Form],
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let Some((protocol, specs)) = args.split_first() else {
        return Err(ExpandError::new(
            pos,
            "`extend-protocol` requires a protocol",
        ));
    };
    let mut expansion = vec![sym("do", pos)];
    for (target, methods) in grouped(specs, "`extend-protocol` expects a type")? {
        let mut extend = vec![target.clone(), protocol.clone()];
        extend.extend(methods.iter().cloned());
        expansion.push(extend_type(
            &Form::list(Vec::new(), target.pos),
            &extend,
            gensyms,
        )?);
    }
    Ok(list(expansion, pos))
}

/// `head method* head method* ...`: each head (a protocol or a type, never
/// a list) with the method lists that follow it.
fn grouped<'a>(
    specs: &'a [Form],
    expectation: &str,
) -> Result<Vec<(&'a Form, &'a [Form])>, ExpandError> {
    let mut groups = Vec::new();
    let mut rest = specs;
    while let Some((head, tail)) = rest.split_first() {
        if matches!(head.kind, FormKind::List(_)) {
            return Err(ExpandError::new(
                head.pos,
                format!("{expectation} before its methods, got {head}"),
            ));
        }
        let count = tail
            .iter()
            .take_while(|f| matches!(f.kind, FormKind::List(_)))
            .count();
        groups.push((head, &tail[..count]));
        rest = &tail[count..];
    }
    Ok(groups)
}

/// `{:method (fn ([this] body) ...)}` from method bodies, those of one name
/// (one per arity, or one with several arities) joined into one fn.
fn method_map(bodies: &[Form], pos: crate::source::Pos) -> Result<Form, ExpandError> {
    let mut methods: Vec<(String, Vec<Form>)> = Vec::new();
    for body in bodies {
        let FormKind::List(items) = &body.kind else {
            continue;
        };
        let Some((FormKind::Symbol(Name { ns: None, name }), arities)) =
            items.split_first().map(|(head, tail)| (&head.kind, tail))
        else {
            return Err(ExpandError::new(
                body.pos,
                format!("a method implementation needs an unqualified method name, got {body}"),
            ));
        };
        let arities: Vec<Form> = match arities.first().map(|f| &f.kind) {
            Some(FormKind::Vector(_)) => vec![list(arities.to_vec(), body.pos)],
            Some(FormKind::List(_)) => arities.to_vec(),
            _ => {
                return Err(ExpandError::new(
                    body.pos,
                    format!("method `{name}` needs a parameter vector"),
                ))
            }
        };
        match methods.iter_mut().find(|(known, _)| known == name) {
            Some((_, known)) => known.extend(arities),
            None => methods.push((name.clone(), arities)),
        }
    }
    let entries = methods
        .into_iter()
        .map(|(name, arities)| {
            let mut fn_form = vec![core("fn", pos)];
            fn_form.extend(arities);
            (keyword(&name, pos), list(fn_form, pos))
        })
        .collect();
    Ok(Form::new(FormKind::Map(entries), pos))
}
