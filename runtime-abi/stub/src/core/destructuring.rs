//! `destructure` and `maybe-destructured`, the fns macros call to expand
//! destructuring binding forms into plain ones, ported from Clojure 1.11's.
//! One difference: a map pattern reads a seq of keyword arguments through
//! `(clojure.core/seq-to-map-for-destructuring m)`, which is what the JVM's
//! inlined `PersistentArrayMap/createAsIfByAssoc` code computes, since
//! jankwasm compiles no Java interop.

use super::core;
use crate::coll::vector_obj;
use crate::error::{error, R};
use crate::function::call;
use crate::object::{keyword, nil, symbol, Obj, Object};
use crate::seq::{list_of, to_vec};

fn core_sym(name: &str) -> Obj {
    symbol(Some("clojure.core"), name)
}

fn gensym(prefix: &str) -> R {
    let gensym = crate::var::find("clojure.core", "gensym").ok_or_else(|| {
        error(
            "java.lang.IllegalStateException",
            "clojure.core/gensym is missing",
        )
    })?;
    call(crate::var::deref(gensym)?, &[crate::object::string(prefix)])
}

fn is_symbol(value: Obj, name: &str) -> bool {
    matches!(&*value, Object::Symbol(n) if n.ns.is_none() && &*n.name == name)
}

fn is_keyword(value: Obj, name: &str) -> bool {
    matches!(&*value, Object::Keyword(n) if n.ns.is_none() && &*n.name == name)
}

/// `value` with the metadata of `source`, if it has any.
fn with_meta_of(value: Obj, source: Obj) -> R {
    let meta = crate::meta::meta(source)?;
    if meta.is_nil() {
        Ok(value)
    } else {
        crate::meta::with_meta(value, meta)
    }
}

/// Binds pattern `b` to `v` into `bvec`.
fn pb(bvec: &mut Vec<Obj>, b: Obj, v: Obj) -> R<()> {
    match &*b {
        Object::Symbol(_) => {
            bvec.extend([b, v]);
            Ok(())
        }
        Object::Vector(_) => pvec(bvec, b, v),
        Object::Map(_) => pmap(bvec, b, v),
        _ => Err(error(
            "java.lang.Exception",
            format!("Unsupported binding form: {}", crate::print::str_of(b)?),
        )),
    }
}

fn pvec(bvec: &mut Vec<Obj>, b: Obj, val: Obj) -> R<()> {
    let (gvec, gseq, gfirst) = (gensym("vec__")?, gensym("seq__")?, gensym("first__")?);
    let items = to_vec(b)?;
    let has_rest = items.iter().any(|item| is_symbol(*item, "&"));
    bvec.extend([gvec, val]);
    if has_rest {
        bvec.extend([gseq, list_of(&[core_sym("seq"), gvec])]);
    }
    let (mut n, mut seen_rest, mut at) = (0i64, false, 0);
    while at < items.len() {
        let firstb = items[at];
        let second = items.get(at + 1).copied().unwrap_or_else(nil);
        if is_symbol(firstb, "&") {
            pb(bvec, second, gseq)?;
            at += 2;
            seen_rest = true;
        } else if is_keyword(firstb, "as") {
            return pb(bvec, second, gvec);
        } else if seen_rest {
            return Err(error(
                "java.lang.Exception",
                "Unsupported binding form, only :as can follow & parameter",
            ));
        } else {
            if has_rest {
                bvec.extend([
                    gfirst,
                    list_of(&[core_sym("first"), gseq]),
                    gseq,
                    list_of(&[core_sym("next"), gseq]),
                ]);
                pb(bvec, firstb, gfirst)?;
            } else {
                let nth = list_of(&[core_sym("nth"), gvec, crate::object::int(n), nil()]);
                pb(bvec, firstb, nth)?;
            }
            n += 1;
            at += 1;
        }
    }
    Ok(())
}

fn pmap(bvec: &mut Vec<Obj>, b: Obj, v: Obj) -> R<()> {
    let get = |key: &str| super::colls::get(b, keyword(None, key), nil());
    let gmap = gensym("map__")?;
    let defaults = get("or")?;
    let as_name = get("as")?;
    let read_seq = list_of(&[
        symbol(None, "if"),
        list_of(&[core_sym("seq?"), gmap]),
        list_of(&[core_sym("seq-to-map-for-destructuring"), gmap]),
        gmap,
    ]);
    bvec.extend([gmap, v, gmap, read_seq]);
    if !as_name.is_nil() {
        bvec.extend([as_name, gmap]);
    }
    // `:keys`, `:syms` and `:strs` (plain or qualified) become
    // name -> key entries.
    let Object::Map(pattern) = &*b else {
        unreachable!("pb passes maps")
    };
    let mut bes = super::colls::dissoc(
        super::colls::dissoc(b, keyword(None, "as"))?,
        keyword(None, "or"),
    )?;
    for (mk, names) in pattern.entries() {
        let Object::Keyword(k) = &*mk else {
            continue;
        };
        let kind = &*k.name;
        if !matches!(kind, "keys" | "syms" | "strs") {
            continue;
        }
        bes = super::colls::dissoc(bes, mk)?;
        for name in to_vec(names)? {
            let (name_ns, bare) = match &*name {
                Object::Symbol(n) | Object::Keyword(n) => (n.ns.clone(), n.name.clone()),
                _ => (None, crate::print::str_of(name)?.into()),
            };
            let ns = k.ns.clone().or(name_ns);
            let key = match kind {
                "keys" => keyword(ns.as_deref(), &bare),
                "syms" => list_of(&[symbol(None, "quote"), symbol(ns.as_deref(), &bare)]),
                _ => crate::object::string(crate::print::str_of(name)?),
            };
            bes = super::colls::assoc(bes, name, key)?;
        }
    }
    let Object::Map(entries) = &*bes else {
        unreachable!("dissoc and assoc of a map give maps")
    };
    for (bb, bk) in entries.entries() {
        let named = matches!(&*bb, Object::Symbol(_) | Object::Keyword(_));
        let local = match &*bb {
            Object::Symbol(n) | Object::Keyword(n) => with_meta_of(symbol(None, &n.name), bb)?,
            _ => bb,
        };
        let bv = if super::colls::contains(defaults, local)? {
            let default = super::colls::get(defaults, local, nil())?;
            list_of(&[core_sym("get"), gmap, bk, default])
        } else {
            list_of(&[core_sym("get"), gmap, bk])
        };
        if named {
            bvec.extend([local, bv]);
        } else {
            pb(bvec, bb, bv)?;
        }
    }
    Ok(())
}

/// `(destructure bindings)`: the binding vector with every pattern
/// expanded; unchanged when every name is a symbol.
fn destructure(bindings: Obj) -> R {
    let items = to_vec(bindings)?;
    let pairs: Vec<&[Obj]> = items.chunks_exact(2).collect();
    if pairs
        .iter()
        .all(|pair| matches!(*pair[0], Object::Symbol(_)))
    {
        return Ok(bindings);
    }
    let mut bvec = Vec::new();
    for pair in pairs {
        pb(&mut bvec, pair[0], pair[1])?;
    }
    Ok(vector_obj(bvec))
}

/// `(maybe-destructured params body)`: `(params & body)` when every param
/// is a symbol, else gensyms for the patterns and a `let` destructuring them.
fn maybe_destructured(params: Obj, body: Obj) -> R {
    let items = to_vec(params)?;
    if items
        .iter()
        .all(|param| matches!(**param, Object::Symbol(_)))
    {
        return crate::seq::cons(params, body);
    }
    let (mut new_params, mut lets) = (Vec::new(), Vec::new());
    for param in items {
        if matches!(*param, Object::Symbol(_)) {
            new_params.push(param);
        } else {
            let gparam = gensym("p__")?;
            new_params.push(gparam);
            lets.extend([param, gparam]);
        }
    }
    let new_params = with_meta_of(vector_obj(new_params), params)?;
    let mut let_form = vec![core_sym("let"), vector_obj(lets)];
    let_form.extend(to_vec(body)?);
    Ok(list_of(&[new_params, list_of(&let_form)]))
}

pub(super) fn install() {
    core("destructure", 1, 1, |_, a| destructure(a[0]));
    core("maybe-destructured", 2, 2, |_, a| {
        maybe_destructured(a[0], a[1])
    });
}
