//! Metadata: a side table from an object to its metadata map, so objects
//! without metadata (almost all) pay nothing for it. `with-meta` copies the
//! object (Clojure's IObj values: collections, seqs, symbols, fns) and files
//! the copy's map; vars and atoms (IReference) change their own metadata in
//! place. A var's metadata always has `:name` and `:ns` (the namespace's
//! name as a symbol: the runtime has no namespace objects).
//!
//! For the collector the table is weak in the object and strong in the map:
//! a map is traced when its object is, and an entry leaves the table when
//! its object is freed (before the address can be reused).

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use crate::coll::{map_obj, Map};
use crate::error::{class_cast, R};
use crate::function::{apply, call, native, VARIADIC};
use crate::object::{alloc, keyword, nil, symbol, Obj, Object};
use crate::seq::seq;

thread_local! {
    /// Object address to (the object, its metadata map). Looked up for
    /// every vector a view encodes (its `^{:key k}`): addresses hash well
    /// with Fx, several times cheaper than SipHash here.
    static META: RefCell<FxHashMap<usize, (Obj, Obj)>> = RefCell::new(FxHashMap::default());
    /// Var address to the map its def last gave it (`init-var-meta!`),
    /// traced with the var (vars are permanent).
    static DEF_META: RefCell<FxHashMap<usize, Obj>> = RefCell::new(FxHashMap::default());
}

/// The metadata stored for `value`, nil when none.
fn stored(value: Obj) -> Obj {
    META.with(|table| table.borrow().get(&value.addr()).map(|entry| entry.1))
        .unwrap_or_else(nil)
}

/// Files `meta` for `value`; nil removes a value's entry, except a var's,
/// whose nil metadata stays set.
fn store(value: Obj, meta: Obj) {
    META.with(|table| {
        let mut table = table.borrow_mut();
        if meta.is_nil() && !matches!(*value, Object::Var(_)) {
            table.remove(&value.addr());
        } else {
            table.insert(value.addr(), (value, meta));
        }
    });
}

/// The `:key` of `value`'s metadata (reagent's `^{:key k}` on a hiccup
/// element), when it has metadata with one.
pub fn key_of(value: Obj) -> R<Option<Obj>> {
    let meta = META.with(|table| table.borrow().get(&value.addr()).map(|entry| entry.1));
    match meta.as_deref() {
        Some(Object::Map(map)) => map.get(keyword(None, "key")),
        _ => Ok(None),
    }
}

fn has_entry(value: Obj) -> bool {
    META.with(|table| table.borrow().contains_key(&value.addr()))
}

/// `(meta value)`. A var whose metadata was never set answers `:name` and
/// `:ns`; once set (by its def or `reset-meta!`), the map is what was set.
pub fn meta(value: Obj) -> R {
    match &*value {
        Object::Var(var) if !has_entry(value) => {
            let mut map = Map::empty();
            map.insert(keyword(None, "name"), symbol(None, &var.name))?;
            map.insert(keyword(None, "ns"), crate::core::repl::namespace(&var.ns))?;
            Ok(map_obj(map))
        }
        _ => Ok(stored(value)),
    }
}

/// Metadata must be a map or nil, as IObj.withMeta's IPersistentMap parameter.
fn check_map(meta: Obj) -> R<()> {
    match &*meta {
        Object::Nil | Object::Map(_) => Ok(()),
        _ => Err(class_cast(meta, "clojure.lang.IPersistentMap")),
    }
}

/// A copy of `value` that can carry its own metadata.
fn copy(value: Obj) -> R {
    Ok(alloc(match &*value {
        Object::Vector(items) => Object::Vector(items.clone()),
        Object::Map(map) => Object::Map(map.clone()),
        Object::Record(record) => Object::Record(record.clone()),
        // A reify is an IObj; a deftype is not.
        Object::Instance(instance) if instance.class.kind == crate::record::Kind::Reify => {
            Object::Instance(instance.clone())
        }
        Object::Set(set) => Object::Set(set.clone()),
        Object::EmptyList => Object::EmptyList,
        Object::List(node) => Object::List(crate::object::ListNode {
            first: node.first,
            rest: node.rest,
            count: node.count,
        }),
        Object::Cons(first, more) => Object::Cons(*first, *more),
        Object::Symbol(named) => Object::Symbol(crate::object::Named {
            ns: named.ns.clone(),
            name: named.name.clone(),
        }),
        Object::VecSeq(items, index) => Object::VecSeq(*items, *index),
        Object::ArraySeq(items, index) => Object::ArraySeq(items.clone(), *index),
        Object::StrSeq(text, index) => Object::StrSeq(*text, *index),
        Object::Chunked(items, index, more) => Object::Chunked(items.clone(), *index, *more),
        Object::Queue(queue) => crate::queue::copy(queue),
        Object::QueueSeq(front, rear) => Object::QueueSeq(*front, *rear),
        Object::Range(range) => Object::Range(Box::new(crate::seq::Range {
            start: range.start,
            step: range.step,
            remaining: range.remaining,
        })),
        Object::Lazy(_) => {
            // A lazy seq takes metadata as its realized seq, like LazySeq.withMeta.
            return match seq(value)? {
                Some(realized) => copy(realized),
                None => Ok(alloc(Object::EmptyList)),
            };
        }
        Object::Fn(_) => {
            // Like Clojure's RestFn wrapper: a new fn that calls the old one.
            return Ok(native(
                "clojure.core/with-meta/fn",
                0,
                VARIADIC,
                &[value],
                |d, a| call(d[0], a),
            ));
        }
        _ => return Err(class_cast(value, "clojure.lang.IObj")),
    }))
}

/// `(with-meta value meta)`.
pub fn with_meta(value: Obj, meta: Obj) -> R {
    check_map(meta)?;
    let copied = copy(value)?;
    store(copied, meta);
    Ok(copied)
}

/// `value` without metadata: itself when it has none, else a copy.
pub fn without_meta(value: Obj) -> R {
    if stored(value).is_nil() {
        Ok(value)
    } else {
        with_meta(value, nil())
    }
}

/// `(vary-meta value f & args)`.
fn vary_meta(value: Obj, f: Obj, args: &[Obj]) -> R {
    let current = meta(value)?;
    let changed = apply(f, &[current], crate::seq::seq_of(args.to_vec()))?;
    with_meta(value, changed)
}

fn reference(value: Obj) -> R<Obj> {
    match &*value {
        Object::Var(_) | Object::Atom(_) => Ok(value),
        _ => Err(class_cast(value, "clojure.lang.IReference")),
    }
}

/// Sets a var's or an atom's own metadata (`reset-meta!`).
pub fn reset_meta(value: Obj, meta: Obj) -> R {
    let target = reference(value)?;
    check_map(meta)?;
    store(target, meta);
    Ok(meta)
}

/// `(alter-meta! ref f & args)`: the ref's metadata becomes `(apply f meta args)`.
fn alter_meta(value: Obj, f: Obj, args: &[Obj]) -> R {
    let target = reference(value)?;
    let changed = apply(f, &[meta(target)?], crate::seq::seq_of(args.to_vec()))?;
    reset_meta(target, changed)
}

/// `result`, made from the collection `from` by conj, assoc, dissoc, disj,
/// pop, into or empty, with `from`'s metadata, as Clojure's persistent
/// collections pass theirs on; a seq made from it gets none.
pub fn carry(from: Obj, result: Obj) -> Obj {
    let is_collection = matches!(
        *from,
        Object::Vector(_)
            | Object::Map(_)
            | Object::Record(_)
            | Object::Set(_)
            | Object::List(_)
            | Object::EmptyList
            | Object::Queue(_)
    );
    if is_collection && !result.identical(from) {
        let meta = stored(from);
        if !meta.is_nil() {
            store(result, meta);
        }
    }
    result
}

/// `(jank.runtime/init-var-meta! var map)`: gives the var the metadata map
/// its def compiled to, unless the var already has that def's map (so what
/// `alter-meta!` changed since stays); returns the var.
fn init_var_meta(var: Obj, def_meta: Obj) -> R {
    let target = reference(var)?;
    let last = DEF_META.with(|table| table.borrow().get(&target.addr()).copied());
    let unchanged = match last {
        Some(last) => crate::equality::equiv(last, def_meta)?,
        None => false,
    };
    if !unchanged {
        DEF_META.with(|table| table.borrow_mut().insert(target.addr(), def_meta));
        reset_meta(target, with_namespace_object(def_meta)?)?;
    }
    Ok(target)
}

/// A def's compiled metadata map, whose `:ns` is the namespace's name, with
/// the namespace object there instead, as a var's `:ns` is on the JVM.
fn with_namespace_object(def_meta: Obj) -> R {
    let Object::Map(map) = &*def_meta else {
        return Ok(def_meta);
    };
    let ns_key = keyword(None, "ns");
    match map.get(ns_key)?.as_deref() {
        Some(Object::Symbol(name)) if name.ns.is_none() => {
            let namespace = crate::core::repl::namespace(&name.name);
            crate::core::colls::assoc(def_meta, ns_key, namespace)
        }
        _ => Ok(def_meta),
    }
}

/// Calls `visit` with the metadata of `value`, which the collector keeps as
/// long as the value.
pub(crate) fn trace(value: Obj, visit: &mut dyn FnMut(Obj)) -> Result<(), ()> {
    META.with(|table| {
        let table = table.try_borrow().map_err(|_| ())?;
        if let Some(entry) = table.get(&value.addr()) {
            visit(entry.1);
        }
        Ok(())
    })?;
    if matches!(*value, Object::Var(_)) {
        DEF_META.with(|table| {
            let table = table.try_borrow().map_err(|_| ())?;
            table
                .get(&value.addr())
                .copied()
                .into_iter()
                .for_each(visit);
            Ok(())
        })?;
    }
    Ok(())
}

/// Drops the entries of objects the collector is about to free.
pub(crate) fn forget(keep: impl Fn(Obj) -> bool) -> Result<(), std::cell::BorrowMutError> {
    META.with(|table| {
        table.try_borrow_mut()?.retain(|_, entry| keep(entry.0));
        Ok(())
    })
}

pub fn install() {
    use crate::core::core;
    core("meta", 1, 1, |_, a| meta(a[0]));
    core("with-meta", 2, 2, |_, a| with_meta(a[0], a[1]));
    core("vary-meta", 2, VARIADIC, |_, a| {
        vary_meta(a[0], a[1], &a[2..])
    });
    core("reset-meta!", 2, 2, |_, a| reset_meta(a[0], a[1]));
    crate::core::def("jank.runtime", "init-var-meta!", 2, 2, |_, a| {
        init_var_meta(a[0], a[1])
    });
    core("alter-meta!", 2, VARIADIC, |_, a| {
        alter_meta(a[0], a[1], &a[2..])
    });
}
