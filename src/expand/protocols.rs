//! Protocols: `defprotocol`, `extend-type` and `extend-protocol`, rewritten
//! as Clojure defines them over `extend`. A protocol is a var holding a map
//! (`:var`, `:sigs`, `:impls`); each method is a fn that asks
//! `jank.runtime/protocol-method` for the implementation registered for the
//! class of its first argument.
//!
//! `defrecord` and `deftype` define a class at run time
//! (`jank.runtime/define-class`) held by a var of the type's name, with
//! `->T` (and `map->R`) constructors, and `extend` it with their inline
//! methods, whose bodies see the fields as locals
//! (`jank.runtime/instance-field`) inside a `jank.runtime/type-fields*` form
//! ([`TYPE_FIELDS`]): it tells the analyzer which fields are there and which
//! of them are mutable (a deftype's `^:unsynchronized-mutable` or
//! `^:volatile-mutable` fields, which each read takes from the instance and
//! `set!` assigns). `reify` makes an instance carrying its own
//! method maps (`jank.runtime/reify`). The methods of a few host interfaces
//! (`java_classes::HOST_INTERFACES`: Object's toString, IDeref's deref, ...)
//! are implemented as protocols the runtime consults; any other Java
//! interface or method is a compile error.

use super::build::{core, int, keyword, list, quote, sym, vector};
use super::{ExpandError, Gensyms};
use crate::read::{Form, FormKind, Name};

/// The form a deftype's or defrecord's method body is wrapped in, a special
/// form of the analyzer's own (Clojure compiles a method inside its class,
/// where the fields are in scope): `(jank.runtime/type-fields* T this-param
/// [immutable-field*] [mutable-field index]* body)`. The immutable fields are
/// the locals bound just outside it (set! of one is refused with a message
/// naming it a field); a mutable field is no local: each read is
/// `(jank.runtime/instance-field this-param index)`, `(set! field v)` is
/// `(jank.runtime/set-field! this-param index v)`, and a fn made inside the
/// body captures the value it has when the fn is made, as in Clojure. In the
/// body, `(.-field x)` and `(set! (.-field x) v)` reach T's mutable fields.
pub const TYPE_FIELDS: (&str, &str) = ("jank.runtime", "type-fields*");

/// `(jank.runtime/define-class :record-or-type *ns* 'T '[field*] '[mutable*]?)`:
/// the runtime call making a record's or type's class, which the analyzer
/// also reads for the field names it declares.
pub const DEFINE_CLASS: (&str, &str) = ("jank.runtime", "define-class");

/// A field of a `defrecord` or `deftype`, as declared.
struct Field {
    name: String,
    /// Declared `^:unsynchronized-mutable` or `^:volatile-mutable` (deftype only).
    mutable: bool,
}

/// Whether a field's metadata declares it mutable: a true
/// `:unsynchronized-mutable` or `:volatile-mutable` key.
fn declared_mutable(field: &Form) -> bool {
    let Some(FormKind::Map(entries)) = field.meta.as_deref().map(|meta| &meta.kind) else {
        return false;
    };
    entries.iter().any(|(key, value)| {
        matches!(&key.kind, FormKind::Keyword(Name { ns: None, name })
            if name == "unsynchronized-mutable" || name == "volatile-mutable")
            && !matches!(value.kind, FormKind::Nil | FormKind::Bool(false))
    })
}

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
    // The var's :arglists are the signature's, not the fresh names'.
    defn.push(Form::new(
        FormKind::Map(vec![(
            keyword("arglists", pos),
            quote(list(method.arglists.clone(), pos)),
        )]),
        pos,
    ));
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
        // A method's namespace is ignored, as `extend` keys methods by
        // their names alone: a macro's syntax-quote qualifies them.
        let Some((FormKind::Symbol(Name { name, .. }), arities)) =
            items.split_first().map(|(head, tail)| (&head.kind, tail))
        else {
            return Err(ExpandError::new(
                body.pos,
                format!("a method implementation needs a method name, got {body}"),
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

/// `(defrecord R [fields*] P (method [this args*] body)* ...)`.
pub fn defrecord(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    define_type(form, args, gensyms, "defrecord")
}

/// `(deftype T [fields*] P (method [this args*] body)* ...)`.
pub fn deftype(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    define_type(form, args, gensyms, "deftype")
}

/// `(do (def T (define-class :kind *ns* 'T '[fields])) (defn ->T ...)
/// (defn map->T ...) (extend T P {...})* T)`.
fn define_type(
    form: &Form,
    args: &[Form],
    gensyms: &mut Gensyms,
    what: &str,
) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let Some((name, rest)) = args.split_first() else {
        return Err(ExpandError::new(pos, format!("`{what}` requires a name")));
    };
    let type_name = match &name.kind {
        FormKind::Symbol(Name { ns: None, name }) if !name.contains('.') => name.clone(),
        _ => {
            return Err(ExpandError::new(
                name.pos,
                format!("`{what}` requires an unqualified name without dots, got {name}"),
            ))
        }
    };
    let Some((fields_form, specs)) = rest.split_first() else {
        return Err(ExpandError::new(
            pos,
            format!("`{what}` requires a vector of fields after its name"),
        ));
    };
    let FormKind::Vector(field_forms) = &fields_form.kind else {
        return Err(ExpandError::new(
            fields_form.pos,
            format!("`{what}` requires a vector of fields, got {fields_form}"),
        ));
    };
    let mut fields: Vec<Field> = Vec::new();
    for field in field_forms {
        match &field.kind {
            FormKind::Symbol(Name { ns: None, name }) if name != "&" => {
                if fields.iter().any(|known| known.name == *name) {
                    return Err(ExpandError::new(
                        field.pos,
                        format!("`{what}` {type_name}: duplicate field {name}"),
                    ));
                }
                let mutable = declared_mutable(field);
                if mutable && what == "defrecord" {
                    return Err(ExpandError::new(
                        field.pos,
                        ":volatile-mutable or :unsynchronized-mutable not supported for record fields",
                    ));
                }
                fields.push(Field {
                    name: name.clone(),
                    mutable,
                });
            }
            _ => {
                return Err(ExpandError::new(
                    field.pos,
                    format!(
                        "`{what}` {type_name}: a field must be an unqualified symbol, got {field}"
                    ),
                ))
            }
        }
    }
    let kind = if what == "defrecord" {
        "record"
    } else {
        "type"
    };
    let class = sym(&type_name, name.pos);
    let field_syms: Vec<Form> = fields
        .iter()
        .map(|f| sym(&f.name, fields_form.pos))
        .collect();
    let mut define = vec![
        Form::symbol(Name::qualified(DEFINE_CLASS.0, DEFINE_CLASS.1), pos),
        keyword(kind, pos),
        core("*ns*", pos),
        quote(sym(&type_name, name.pos)),
        quote(vector(field_syms, fields_form.pos)),
    ];
    let mutable_syms: Vec<Form> = fields
        .iter()
        .filter(|f| f.mutable)
        .map(|f| sym(&f.name, fields_form.pos))
        .collect();
    if !mutable_syms.is_empty() {
        define.push(quote(vector(mutable_syms, fields_form.pos)));
    }
    let define = list(define, pos);
    let mut expansion = vec![
        sym("do", pos),
        list(
            vec![sym("def", pos), sym(&type_name, name.pos), define],
            pos,
        ),
    ];
    let params: Vec<Form> = fields
        .iter()
        .map(|_| sym(&gensyms.fresh("field"), pos))
        .collect();
    let mut construct = vec![
        Form::symbol(Name::qualified("jank.runtime", "new-instance"), pos),
        class.clone(),
    ];
    construct.extend(params.iter().cloned());
    expansion.push(list(
        vec![
            core("defn", pos),
            sym(&format!("->{type_name}"), name.pos),
            vector(params, pos),
            list(construct, pos),
        ],
        pos,
    ));
    if kind == "record" {
        let map = sym(&gensyms.fresh("m"), pos);
        expansion.push(list(
            vec![
                core("defn", pos),
                sym(&format!("map->{type_name}"), name.pos),
                vector(vec![map.clone()], pos),
                list(
                    vec![
                        Form::symbol(Name::qualified("jank.runtime", "map->record"), pos),
                        class.clone(),
                        map,
                    ],
                    pos,
                ),
            ],
            pos,
        ));
    }
    let mut extend = vec![core("extend", pos), class.clone()];
    let owner = Owner {
        type_name: &type_name,
        fields: &fields,
    };
    for (protocol, methods) in inline_groups(specs, what, Some(&owner), gensyms)? {
        extend.push(protocol);
        extend.push(methods);
    }
    if extend.len() > 2 {
        expansion.push(list(extend, pos));
    }
    expansion.push(class);
    Ok(list(expansion, pos))
}

/// `(reify P (method [this args*] body)* ...)` →
/// `(jank.runtime/reify *ns* 'reify__N P {:method (fn ...)} ...)`.
pub fn reify(form: &Form, args: &[Form], gensyms: &mut Gensyms) -> Result<Form, ExpandError> {
    let pos = form.pos;
    let mut call = vec![
        Form::symbol(Name::qualified("jank.runtime", "reify"), pos),
        core("*ns*", pos),
        quote(sym(&gensyms.fresh("reify"), pos)),
    ];
    for (protocol, methods) in inline_groups(args, "reify", None, gensyms)? {
        call.push(protocol);
        call.push(methods);
    }
    Ok(list(call, pos))
}

/// The deftype or defrecord whose inline methods are being expanded.
struct Owner<'a> {
    type_name: &'a str,
    fields: &'a [Field],
}

/// The protocols implemented inline and their method maps, each method's
/// body seeing the owner's fields (a reify has no owner).
fn inline_groups(
    specs: &[Form],
    what: &str,
    owner: Option<&Owner>,
    gensyms: &mut Gensyms,
) -> Result<Vec<(Form, Form)>, ExpandError> {
    let mut groups = Vec::new();
    for (written_protocol, methods) in grouped(specs, &format!("`{what}` expects a protocol name"))?
    {
        let written = written_protocol.as_symbol().filter(|n| n.ns.is_none());
        let protocol = if let Some(interface) =
            written.and_then(|n| jank_runtime_abi::java_classes::host_interface(&n.name))
        {
            // A record is a map: get, count and calls answer as one, so
            // only its toString can be its own.
            if what == "defrecord" && interface.protocol != "Object" {
                return Err(ExpandError::new(
                    written_protocol.pos,
                    format!(
                        "`defrecord` cannot implement {}: a record answers it as the map it is",
                        interface.class
                    ),
                ));
            }
            host_methods_only(interface, methods, what)?;
            if what == "defrecord" {
                record_keeps_its_equality(methods)?;
            }
            Form::symbol(
                Name::qualified(
                    jank_runtime_abi::java_classes::HOST_INTERFACE_NS,
                    interface.protocol,
                ),
                written_protocol.pos,
            )
        } else if let Some(class) =
            written.and_then(|n| jank_runtime_abi::java_classes::resolve(&n.name))
        {
            return Err(ExpandError::new(
                written_protocol.pos,
                format!("`{what}` cannot implement the Java class or interface {class}: jankwasm implements protocols and, of the host's interfaces, only {}", host_interfaces_text()),
            ));
        } else {
            written_protocol.clone()
        };
        if !matches!(protocol.kind, FormKind::Symbol(_)) {
            return Err(ExpandError::new(
                protocol.pos,
                format!("`{what}` expects a protocol name, got {protocol}"),
            ));
        }
        let methods = methods
            .iter()
            .map(|method| with_fields(method, owner, gensyms))
            .collect::<Result<Vec<_>, _>>()?;
        groups.push((protocol.clone(), method_map(&methods, protocol.pos)?));
    }
    Ok(groups)
}

/// The host interfaces' methods the runtime calls, for error messages:
/// "toString (java.lang.Object), ... and invoke (clojure.lang.IFn)".
fn host_interfaces_text() -> String {
    let listed: Vec<String> = jank_runtime_abi::java_classes::HOST_INTERFACES
        .iter()
        .flat_map(|interface| {
            interface
                .methods
                .iter()
                .map(|method| format!("{method} ({})", interface.class))
        })
        .collect();
    match listed.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The name an inline method `(name [params] body...)` is written with.
fn method_name(method: &Form) -> Option<&Name> {
    match &method.kind {
        FormKind::List(items) => items.first().and_then(Form::as_symbol),
        _ => None,
    }
}

/// Refuses `equals` and `hashCode` in a defrecord, as Clojure does: a
/// record's equality and hash are those of its class and entries.
fn record_keeps_its_equality(methods: &[Form]) -> Result<(), ExpandError> {
    for method in methods {
        if let Some(name) = method_name(method)
            .filter(|n| n.ns.is_none() && matches!(&*n.name, "equals" | "hashCode"))
        {
            return Err(ExpandError::new(
                method.pos,
                format!(
                    "`defrecord` cannot implement {} of java.lang.Object: a record's equality and hash are its class's and entries'",
                    name.name
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a method of a host interface the runtime never calls: it would
/// be defined and silently ignored.
fn host_methods_only(
    interface: &jank_runtime_abi::java_classes::HostInterface,
    methods: &[Form],
    what: &str,
) -> Result<(), ExpandError> {
    for method in methods {
        if let Some(name) =
            method_name(method).filter(|n| !interface.methods.contains(&n.name.as_str()))
        {
            return Err(ExpandError::new(
                method.pos,
                format!(
                    "`{what}` cannot implement {} of {}: of the host's interfaces' methods, jankwasm's runtime calls only {}",
                    name.name,
                    interface.class,
                    host_interfaces_text()
                ),
            ));
        }
    }
    Ok(())
}

/// `(name [this args*] body*)` → `(name [p0 p1*] (let [field (instance-field
/// p0 i)*] (jank.runtime/type-fields* T p0 [field*] [mutable-field i]* (let
/// [this p0] (let [args p1*] body*)))))`: the immutable fields the body names,
/// the mutable ones, then the parameters (which shadow them, as in Clojure);
/// `loop` for the inner `let` when the body recurs. A reify's method, or one of
/// a type without fields, has no field forms.
fn with_fields(
    method: &Form,
    owner: Option<&Owner>,
    gensyms: &mut Gensyms,
) -> Result<Form, ExpandError> {
    let FormKind::List(items) = &method.kind else {
        return Err(ExpandError::new(
            method.pos,
            format!("expected a method like (name [this args*] body), got {method}"),
        ));
    };
    let (Some(name), Some(params)) = (items.first(), items.get(1)) else {
        return Err(ExpandError::new(
            method.pos,
            format!("a method needs a name and a parameter vector, got {method}"),
        ));
    };
    let FormKind::Vector(params) = &params.kind else {
        return Err(ExpandError::new(
            params.pos,
            format!("method {name} needs one parameter vector (write each arity as its own method), got {params}"),
        ));
    };
    if params.is_empty() {
        return Err(ExpandError::new(
            method.pos,
            format!("method {name} needs at least one parameter (the instance)"),
        ));
    }
    let pos = method.pos;
    let body = &items[2..];
    let fresh: Vec<Form> = params
        .iter()
        .map(|p| sym(&gensyms.fresh("p"), p.pos))
        .collect();
    // The other parameters: a loop when the body recurs, since a method's
    // `recur` passes them without the instance, as in Clojure.
    let mut rest = Vec::new();
    for (param, value) in params[1..].iter().zip(&fresh[1..]) {
        rest.push(param.clone());
        rest.push(value.clone());
    }
    let head = if body.iter().any(|form| form.mentions("recur")) {
        "loop"
    } else {
        "let"
    };
    let mut inner = vec![core(head, pos), vector(rest, pos)];
    inner.extend(body.iter().cloned());
    let mut method_body = list(
        vec![
            core("let", pos),
            vector(vec![params[0].clone(), fresh[0].clone()], pos),
            list(inner, pos),
        ],
        pos,
    );
    if let Some(owner) = owner.filter(|owner| !owner.fields.is_empty()) {
        let mut bindings = Vec::new();
        let mut immutable = Vec::new();
        let mut mutable = Vec::new();
        for (index, field) in owner.fields.iter().enumerate() {
            if field.mutable {
                mutable.push(sym(&field.name, pos));
                mutable.push(int(index as i64, pos));
            } else if body.iter().any(|form| form.mentions(&field.name)) {
                bindings.push(sym(&field.name, pos));
                bindings.push(list(
                    vec![
                        Form::symbol(Name::qualified("jank.runtime", "instance-field"), pos),
                        fresh[0].clone(),
                        int(index as i64, pos),
                    ],
                    pos,
                ));
                immutable.push(sym(&field.name, pos));
            }
        }
        method_body = list(
            vec![
                Form::symbol(Name::qualified(TYPE_FIELDS.0, TYPE_FIELDS.1), pos),
                sym(owner.type_name, pos),
                fresh[0].clone(),
                vector(immutable, pos),
                vector(mutable, pos),
                method_body,
            ],
            pos,
        );
        if !bindings.is_empty() {
            method_body = list(
                vec![core("let", pos), vector(bindings, pos), method_body],
                pos,
            );
        }
    }
    Ok(list(
        vec![name.clone(), vector(fresh, pos), method_body],
        pos,
    ))
}
