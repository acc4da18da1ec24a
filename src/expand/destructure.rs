//! Clojure's destructuring: binding patterns (vectors with `&` and `:as`,
//! maps with `:keys :strs :syms :or :as`, nested) rewritten into plain
//! `let*` bindings of symbols.

use super::build::{core, int, list, nil, sym};
use super::{ExpandError, Gensyms};
use crate::read::{Form, FormKind, Name};

/// Flattens `[pattern init ...]` pairs into `[symbol init ...]` pairs.
pub fn destructure(
    pairs: &[Form],
    gensyms: &mut Gensyms,
    out: &mut Vec<Form>,
) -> Result<(), ExpandError> {
    for pair in pairs.chunks(2) {
        let [pattern, init] = pair else {
            return Err(ExpandError::new(
                pair[0].pos,
                "binding vector requires an even number of forms",
            ));
        };
        bind(pattern, init.clone(), gensyms, out)?;
    }
    Ok(())
}

/// True when a binding pattern is a plain symbol (no destructuring needed).
pub fn is_simple(pattern: &Form) -> bool {
    matches!(&pattern.kind, FormKind::Symbol(name) if name.ns.is_none())
}

fn bind(
    pattern: &Form,
    init: Form,
    gensyms: &mut Gensyms,
    out: &mut Vec<Form>,
) -> Result<(), ExpandError> {
    match &pattern.kind {
        FormKind::Symbol(name) if name.ns.is_none() => {
            out.push(pattern.clone());
            out.push(init);
            Ok(())
        }
        FormKind::Symbol(name) => Err(ExpandError::new(
            pattern.pos,
            format!("can't bind qualified symbol `{name}` as a local"),
        )),
        FormKind::Vector(items) => bind_vector(pattern, items, init, gensyms, out),
        FormKind::Map(entries) => bind_map(pattern, entries, init, gensyms, out),
        _ => Err(ExpandError::new(
            pattern.pos,
            format!("unsupported binding form: {pattern}"),
        )),
    }
}

fn bind_vector(
    pattern: &Form,
    items: &[Form],
    init: Form,
    gensyms: &mut Gensyms,
    out: &mut Vec<Form>,
) -> Result<(), ExpandError> {
    let pos = pattern.pos;
    let whole = sym(&gensyms.fresh("vec"), pos);
    out.push(whole.clone());
    out.push(init);
    let mut index = 0i64;
    let mut rest_seen = false;
    let mut iter = items.iter();
    while let Some(item) = iter.next() {
        if item.is_symbol("&") {
            if rest_seen {
                return Err(ExpandError::new(
                    item.pos,
                    "`&` may appear only once in a binding vector",
                ));
            }
            let Some(rest) = iter.next() else {
                return Err(ExpandError::new(
                    item.pos,
                    "`&` must be followed by a binding form",
                ));
            };
            if rest.is_symbol("&")
                || matches!(&rest.kind, FormKind::Keyword(k) if k.name == "as" && k.ns.is_none())
            {
                return Err(ExpandError::new(
                    rest.pos,
                    "`&` must be followed by a binding form",
                ));
            }
            rest_seen = true;
            let value = list(
                vec![
                    core("nthnext", item.pos),
                    whole.clone(),
                    int(index, item.pos),
                ],
                item.pos,
            );
            bind(rest, value, gensyms, out)?;
        } else if matches!(&item.kind, FormKind::Keyword(k) if k.name == "as" && k.ns.is_none()) {
            let Some(alias) = iter.next() else {
                return Err(ExpandError::new(
                    item.pos,
                    "`:as` must be followed by a symbol",
                ));
            };
            if !is_simple(alias) {
                return Err(ExpandError::new(
                    alias.pos,
                    "`:as` must be followed by a symbol",
                ));
            }
            if let Some(extra) = iter.next() {
                return Err(ExpandError::new(
                    extra.pos,
                    "nothing may follow `:as name` in a binding vector",
                ));
            }
            out.push(alias.clone());
            out.push(whole.clone());
        } else {
            if rest_seen {
                return Err(ExpandError::new(
                    item.pos,
                    "only `:as` may follow the `&` binding",
                ));
            }
            let value = list(
                vec![
                    core("nth", item.pos),
                    whole.clone(),
                    int(index, item.pos),
                    nil(item.pos),
                ],
                item.pos,
            );
            bind(item, value, gensyms, out)?;
            index += 1;
        }
    }
    Ok(())
}

fn bind_map(
    pattern: &Form,
    entries: &[(Form, Form)],
    init: Form,
    gensyms: &mut Gensyms,
    out: &mut Vec<Form>,
) -> Result<(), ExpandError> {
    let pos = pattern.pos;
    let whole = sym(&gensyms.fresh("map"), pos);
    out.push(whole.clone());
    out.push(init);
    // A seq bound to a map pattern is read as keyword arguments, as Clojure
    // 1.11 does: a lone map is itself, a trailing map is merged in.
    out.push(whole.clone());
    out.push(list(
        vec![
            sym("if", pos),
            list(vec![core("seq?", pos), whole.clone()], pos),
            list(
                vec![core("seq-to-map-for-destructuring", pos), whole.clone()],
                pos,
            ),
            whole.clone(),
        ],
        pos,
    ));
    let defaults = entries
        .iter()
        .find_map(|(k, v)| is_option(k, "or").then_some(v));
    let defaults: &[(Form, Form)] = match defaults.map(|d| &d.kind) {
        None => &[],
        Some(FormKind::Map(d)) => d,
        Some(_) => {
            return Err(ExpandError::new(
                pattern.pos,
                "`:or` must be followed by a map",
            ))
        }
    };
    for (key, value) in entries {
        if is_option(key, "or") {
            continue;
        }
        if is_option(key, "as") {
            if !is_simple(value) {
                return Err(ExpandError::new(
                    value.pos,
                    "`:as` must be followed by a symbol",
                ));
            }
            out.push(value.clone());
            out.push(whole.clone());
            continue;
        }
        if let FormKind::Keyword(option) = &key.kind {
            if let Some(kind) = KeysKind::from_name(&option.name) {
                let FormKind::Vector(names) = &value.kind else {
                    return Err(ExpandError::new(
                        value.pos,
                        format!("`{key}` must be followed by a vector of names"),
                    ));
                };
                for name_form in names {
                    let (local, lookup) = keys_entry(kind, option.ns.as_deref(), name_form)?;
                    let local_form = Form::symbol(Name::bare(local.clone()), name_form.pos);
                    let value = lookup_with_default(&whole, lookup, &local, defaults, name_form);
                    out.push(local_form);
                    out.push(value);
                }
                continue;
            }
        }
        // {pattern key}: bind pattern to (get m key)
        let local_default = match &key.kind {
            FormKind::Symbol(n) if n.ns.is_none() => Some(n.name.clone()),
            _ => None,
        };
        let value = match local_default {
            Some(local) => lookup_with_default(&whole, value.clone(), &local, defaults, key),
            None => list(
                vec![core("get", key.pos), whole.clone(), value.clone()],
                key.pos,
            ),
        };
        bind(key, value, gensyms, out)?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum KeysKind {
    Keys,
    Strs,
    Syms,
}

impl KeysKind {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "keys" => Some(Self::Keys),
            "strs" => Some(Self::Strs),
            "syms" => Some(Self::Syms),
            _ => None,
        }
    }
}

fn is_option(key: &Form, option: &str) -> bool {
    matches!(&key.kind, FormKind::Keyword(k) if k.ns.is_none() && k.name == option)
}

/// The local a `:keys`/`:strs`/`:syms` entry binds and the key it looks up.
fn keys_entry(
    kind: KeysKind,
    option_ns: Option<&str>,
    name_form: &Form,
) -> Result<(String, Form), ExpandError> {
    let pos = name_form.pos;
    let name = match &name_form.kind {
        FormKind::Symbol(n) => n.clone(),
        FormKind::Keyword(n) if matches!(kind, KeysKind::Keys) => n.clone(),
        _ => {
            return Err(ExpandError::new(
                pos,
                format!("unsupported name in destructuring: {name_form}"),
            ))
        }
    };
    let key_ns = name.ns.clone().or_else(|| option_ns.map(str::to_string));
    let key = match kind {
        KeysKind::Keys => Form::new(
            FormKind::Keyword(Name {
                ns: key_ns,
                name: name.name.clone(),
            }),
            pos,
        ),
        KeysKind::Strs => Form::new(FormKind::Str(name.name.clone()), pos),
        KeysKind::Syms => super::build::quote(Form::symbol(
            Name {
                ns: key_ns,
                name: name.name.clone(),
            },
            pos,
        )),
    };
    Ok((name.name, key))
}

fn lookup_with_default(
    whole: &Form,
    key: Form,
    local: &str,
    defaults: &[(Form, Form)],
    at: &Form,
) -> Form {
    let pos = at.pos;
    let mut call = vec![core("get", pos), whole.clone(), key];
    if let Some((_, default)) = defaults.iter().find(|(k, _)| k.is_symbol(local)) {
        call.push(default.clone());
    }
    list(call, pos)
}
