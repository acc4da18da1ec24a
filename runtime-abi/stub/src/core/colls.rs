//! clojure.core's collection fns: constructors, lookup (`get`, `nth`,
//! `contains?`, `find`), `count`, `conj`/`assoc`/`dissoc`/`disj`, nested
//! updates, map utilities (`merge`, `select-keys`, `zipmap`, `frequencies`,
//! `group-by`, `update-keys`, ...), stacks (`peek`/`pop`) and transients.

use std::cell::Cell;

use super::{arg_or, core, core_collecting, VARIADIC};
use crate::coll::{
    entry_obj, map_obj, record_obj, set_obj, vector_from, vector_obj, Map, Set, VectorClass,
};
use crate::error::{
    class_cast, error, illegal_argument, illegal_state, index_out_of_bounds, unsupported, R,
};
use crate::function::{apply, call};
use crate::gc::{RootFrame, RootedSeq};
use crate::number::to_long;
use crate::object::{
    alloc, boolean, character, empty_list, int, nil, truthy, ListNode, Obj, Object,
};
use crate::seq::{cons, list_of, seq, seq_of, to_vec, SeqIter};

/// An index argument: numbers truncate to a long (`nth`), anything else is a ClassCastException.
fn index_arg(index: Obj) -> R<i64> {
    if !index.is_number() {
        return Err(class_cast(index, "java.lang.Number"));
    }
    to_long(index)
}

/// The char at `index` (in chars) of `text`.
fn char_at(text: &str, index: i64) -> Option<Obj> {
    usize::try_from(index)
        .ok()
        .and_then(|i| text.chars().nth(i))
        .map(character)
}

/// `(get coll key)` (`not_found` None) or `(get coll key not-found)`: a
/// deftype or reify implementing ILookup has the arity of its `valAt` that
/// Clojure calls, the one-key one for the first, the other for the second
/// (even when not-found is nil).
pub fn lookup(coll: Obj, key: Obj, not_found: Option<Obj>) -> R {
    if !matches!(*coll, Object::Instance(_)) {
        return get(coll, key, not_found.unwrap_or_else(nil));
    }
    let val_at = crate::core::protocols::host_method(coll, "ILookup", "valAt")?;
    match (val_at, not_found) {
        (Some(val_at), None) => call(val_at, &[coll, key]),
        (Some(val_at), Some(not_found)) => call(val_at, &[coll, key, not_found]),
        (None, not_found) => Ok(not_found.unwrap_or_else(nil)),
    }
}

/// `(get coll key default)`; for the runtime's own lookups, where a nil
/// default is `(get coll key)` (see [`lookup`]).
pub fn get(coll: Obj, key: Obj, default: Obj) -> R {
    Ok(match &*coll {
        Object::Map(m) => m.get(key)?.unwrap_or(default),
        Object::Record(r) => r.get(key)?.unwrap_or(default),
        Object::Set(s) => s.get(key)?.unwrap_or(default),
        Object::Vector(v) => match *key {
            Object::Int(i) => usize::try_from(i)
                .ok()
                .and_then(|i| v.0.get(i).copied())
                .unwrap_or(default),
            _ => default,
        },
        Object::Str(s) => match *key {
            Object::Int(i) => char_at(s, i).unwrap_or(default),
            _ => default,
        },
        Object::Transient(t) => match t.get() {
            Some(inner) => get(inner, key, default)?,
            None => return Err(transient_used()),
        },
        Object::TaggedLiteral(tag, form) => match &*key {
            Object::Keyword(k) if k.ns.is_none() && &*k.name == "tag" => *tag,
            Object::Keyword(k) if k.ns.is_none() && &*k.name == "form" => *form,
            _ => default,
        },
        Object::ReaderConditional(form, splicing) => match &*key {
            Object::Keyword(k) if k.ns.is_none() && &*k.name == "form" => *form,
            Object::Keyword(k) if k.ns.is_none() && &*k.name == "splicing?" => {
                crate::object::boolean(*splicing)
            }
            _ => default,
        },
        // A deftype or reify that implements ILookup's valAt.
        Object::Instance(_) => return lookup(coll, key, (!default.is_nil()).then_some(default)),
        _ => default,
    })
}

/// `(nth coll index)` (throws out of bounds) or `(nth coll index default)`.
pub fn nth(coll: Obj, index: Obj, default: Option<Obj>) -> R {
    // A transient vector is read as the vector it stands for.
    if let Object::Transient(t) = &*coll {
        if let Some(vector) = t.get().filter(|inner| matches!(**inner, Object::Vector(_))) {
            return nth(vector, index, default);
        }
    }
    let i = index_arg(index)?;
    let missing = || default.ok_or_else(index_out_of_bounds);
    match &*coll {
        Object::Nil => Ok(default.unwrap_or_else(nil)),
        Object::Vector(v) => usize::try_from(i)
            .ok()
            .and_then(|i| v.0.get(i).copied())
            .map_or_else(missing, Ok),
        // Out of range without a default: String.charAt's exception.
        Object::Str(s) => match (char_at(s, i), default) {
            (Some(c), _) => Ok(c),
            (None, Some(default)) => Ok(default),
            (None, None) => Err(error(
                "java.lang.StringIndexOutOfBoundsException",
                format!("String index out of range: {i}"),
            )),
        },
        // A StringBuilder: its charAt's exception.
        Object::StringBuilder(text) => {
            let text = text.borrow();
            match (char_at(&text, i), default) {
                (Some(c), _) => Ok(c),
                (None, Some(default)) => Ok(default),
                (None, None) => Err(error(
                    "java.lang.StringIndexOutOfBoundsException",
                    format!("index {i}, length {}", text.chars().count()),
                )),
            }
        }
        Object::Map(_) | Object::Set(_) => Err(unsupported(format!(
            "nth not supported on this type: {}",
            coll.class_name().rsplit('.').next().unwrap_or("")
        ))),
        // RT.nthFrom walks any Sequential, a queue included.
        o if o.is_seq() || matches!(o, Object::Queue(_)) => {
            if i < 0 {
                return missing();
            }
            match SeqIter::new(coll).nth(i as usize) {
                Some(item) => item,
                None => missing(),
            }
        }
        _ => Err(unsupported(format!(
            "nth not supported on this type: {}",
            coll.class_name().rsplit('.').next().unwrap_or("")
        ))),
    }
}

fn count_unsupported(coll: Obj) -> crate::error::Thrown {
    unsupported(format!(
        "count not supported on this type: {}",
        coll.class_name().rsplit('.').next().unwrap_or("")
    ))
}

/// `(count coll)`.
pub fn count(coll: Obj) -> R<usize> {
    Ok(match &*coll {
        Object::Nil | Object::EmptyList => 0,
        Object::Str(s) => s.chars().count(),
        Object::StringBuilder(text) => text.borrow().chars().count(),
        Object::Vector(v) => v.0.len(),
        Object::Map(m) => m.len(),
        Object::Record(r) => r.len(),
        Object::Set(s) => s.len(),
        Object::List(node) => node.count,
        Object::ArraySeq(items, i) => items.len() - i,
        Object::Queue(queue) => queue.count,
        Object::Range(r) => match r.remaining {
            Some(n) => n as usize,
            None => {
                return Err(error(
                    "java.lang.ArithmeticException",
                    "count of an endless range",
                ))
            }
        },
        Object::Transient(t) => match t.get() {
            Some(inner) => count(inner)?,
            None => return Err(transient_used()),
        },
        o if o.is_seq() => {
            let roots = RootFrame::new(&[nil()]);
            let mut items = RootedSeq::new(coll, &roots, 0);
            let mut n: usize = 0;
            while let Some(item) = items.next() {
                item?;
                n = n.saturating_add(1).saturating_add(items.skip_held());
            }
            n
        }
        // A deftype or reify that implements Counted's count.
        Object::Instance(_) => match crate::core::protocols::host_method(coll, "Counted", "count")?
        {
            Some(method) => usize::try_from(to_long(call(method, &[coll])?)?)
                .map_err(|_| illegal_argument("count returned a negative number"))?,
            None => return Err(count_unsupported(coll)),
        },
        _ => return Err(count_unsupported(coll)),
    })
}

/// Conjoins onto a map in place: an entry (a 2-vector), a map or a seq of
/// entries; nil adds nothing.
fn conj_entry(map: &mut Map, x: Obj) -> R<()> {
    each_entry(x, |k, v| map.insert(k, v))
}

/// Calls `insert` with each key and value `x` conjoins onto a map.
fn each_entry(x: Obj, mut insert: impl FnMut(Obj, Obj) -> R<()>) -> R<()> {
    match &*x {
        Object::Nil => Ok(()),
        Object::Vector(pair) if pair.0.len() == 2 => insert(pair.0[0], pair.0[1]),
        Object::Vector(_) => Err(illegal_argument("Vector arg to map conj must be a pair")),
        _ => {
            for entry in SeqIter::new(x) {
                let entry = entry?;
                insert(nth(entry, int(0), None)?, nth(entry, int(1), None)?)?;
            }
            Ok(())
        }
    }
}

/// `(conj coll x)`.
pub fn conj(coll: Obj, x: Obj) -> R {
    let result = conj_keeping_no_meta(coll, x)?;
    Ok(crate::meta::carry(coll, result))
}

fn conj_keeping_no_meta(coll: Obj, x: Obj) -> R {
    match &*coll {
        Object::Nil => Ok(list_of(&[x])),
        Object::Vector(v) => {
            let mut items = v.0.clone();
            items.push_back(x);
            Ok(vector_from(items))
        }
        Object::Map(m) => {
            let mut map = m.clone();
            conj_entry(&mut map, x)?;
            Ok(map_obj(map))
        }
        Object::Record(r) => {
            // defrecord's cons takes a vector's first two items, whatever
            // its length.
            if let Object::Vector(_) = &*x {
                let (k, v) = (nth(x, int(0), None)?, nth(x, int(1), None)?);
                return Ok(record_obj(r.assoc(k, v)?));
            }
            let mut record = (**r).clone();
            each_entry(x, |k, v| {
                record = record.assoc(k, v)?;
                Ok(())
            })?;
            Ok(record_obj(record))
        }
        Object::Set(s) => Ok(set_obj(s.conj(x)?)),
        Object::EmptyList => Ok(list_of(&[x])),
        Object::Queue(queue) => Ok(crate::queue::conj(queue, x)),
        Object::List(node) => Ok(alloc(Object::List(ListNode {
            first: x,
            rest: coll,
            count: node.count + 1,
        }))),
        o if o.is_seq() => cons(x, coll),
        _ => Err(class_cast(coll, "clojure.lang.IPersistentCollection")),
    }
}

/// `(assoc coll key value)`.
pub fn assoc(coll: Obj, key: Obj, value: Obj) -> R {
    let result = assoc_keeping_no_meta(coll, key, value)?;
    Ok(crate::meta::carry(coll, result))
}

fn assoc_keeping_no_meta(coll: Obj, key: Obj, value: Obj) -> R {
    match &*coll {
        Object::Nil => Ok(map_obj(Map::empty().assoc(key, value)?)),
        Object::Map(m) => Ok(map_obj(m.assoc(key, value)?)),
        Object::Record(r) => Ok(record_obj(r.assoc(key, value)?)),
        Object::Vector(v) => {
            let Object::Int(i) = *key else {
                return Err(illegal_argument("Key must be integer"));
            };
            let mut items = v.0.clone();
            match usize::try_from(i) {
                Ok(i) if i < items.len() => {
                    items.set(i, value);
                }
                Ok(i) if i == items.len() => items.push_back(value),
                _ => return Err(index_out_of_bounds()),
            }
            Ok(vector_from(items))
        }
        _ => Err(class_cast(coll, "clojure.lang.Associative")),
    }
}

pub(crate) fn dissoc(coll: Obj, key: Obj) -> R {
    let result = dissoc_keeping_no_meta(coll, key)?;
    Ok(crate::meta::carry(coll, result))
}

fn dissoc_keeping_no_meta(coll: Obj, key: Obj) -> R {
    match &*coll {
        Object::Nil => Ok(coll),
        Object::Map(m) => Ok(map_obj(m.dissoc(key)?)),
        Object::Record(r) => Ok(match r.without(key)? {
            Ok(record) => record_obj(record),
            Err(map) => map_obj(map),
        }),
        _ => Err(class_cast(coll, "clojure.lang.IPersistentMap")),
    }
}

pub(crate) fn disj(coll: Obj, key: Obj) -> R {
    let result = disj_keeping_no_meta(coll, key)?;
    Ok(crate::meta::carry(coll, result))
}

fn disj_keeping_no_meta(coll: Obj, key: Obj) -> R {
    match &*coll {
        Object::Nil => Ok(coll),
        Object::Set(s) => Ok(set_obj(s.disj(key)?)),
        _ => Err(class_cast(coll, "clojure.lang.IPersistentSet")),
    }
}

/// `(contains? coll key)`.
pub fn contains(coll: Obj, key: Obj) -> R<bool> {
    Ok(match &*coll {
        Object::Nil => false,
        Object::Map(m) => m.find(key)?.is_some(),
        Object::Record(r) => r.find(key)?.is_some(),
        Object::Set(s) => s.contains(key)?,
        Object::Vector(v) => {
            matches!(*key, Object::Int(i) if usize::try_from(i).is_ok_and(|i| i < v.0.len()))
        }
        Object::Str(s) => {
            matches!(*key, Object::Int(i) if usize::try_from(i).is_ok_and(|i| i < s.chars().count()))
        }
        Object::Transient(t) => match t.get() {
            Some(inner) => contains(inner, key)?,
            None => return Err(transient_used()),
        },
        _ => {
            return Err(illegal_argument(format!(
                "contains? not supported on type: {}",
                coll.class_name()
            )))
        }
    })
}

pub(crate) fn find(coll: Obj, key: Obj) -> R {
    Ok(match &*coll {
        Object::Map(m) => m.find(key)?.map_or_else(nil, |(k, v)| entry_obj(k, v)),
        Object::Record(r) => r.find(key)?.map_or_else(nil, |(k, v)| entry_obj(k, v)),
        Object::Vector(v) => match *key {
            Object::Int(i) => usize::try_from(i)
                .ok()
                .and_then(|i| v.0.get(i))
                .map_or_else(nil, |x| entry_obj(key, *x)),
            _ => nil(),
        },
        Object::Nil => nil(),
        _ => return Err(class_cast(coll, "java.util.Map")),
    })
}

/// The map a map argument holds (None for nil).
fn map_arg(coll: Obj) -> R<Option<Map>> {
    match &*coll {
        Object::Nil => Ok(None),
        Object::Map(m) => Ok(Some(m.clone())),
        Object::Record(r) => Ok(Some(Map::from_pairs(r.entries(), true)?)),
        _ => Err(class_cast(coll, "java.util.Map")),
    }
}

/// `(key e)`/`(val e)` of a map entry.
fn entry_part(entry: Obj, index: usize) -> R {
    match &*entry {
        Object::Vector(v) if v.1 == VectorClass::MapEntry => Ok(v.0[index]),
        _ => Err(class_cast(entry, "java.util.Map$Entry")),
    }
}

/// `(vec coll)`.
pub fn vec(coll: Obj) -> R {
    // `(with-meta v nil)` of a vector: a map entry becomes a plain vector.
    if let Object::Vector(v) = &*coll {
        return match v.1 {
            crate::coll::VectorClass::Persistent => crate::meta::without_meta(coll),
            crate::coll::VectorClass::MapEntry => Ok(vector_obj(v.0.iter().copied())),
        };
    }
    // RT.toArray takes a String but no other CharSequence.
    if !coll.is_seqable() || matches!(*coll, Object::StringBuilder(_)) {
        let class = coll.class_name();
        return Err(error(
            "java.lang.RuntimeException",
            format!("Unable to convert: class {class} to Object[]"),
        ));
    }
    Ok(vector_obj(to_vec(coll)?))
}

fn pairs(args: &[Obj]) -> R<Vec<(Obj, Obj)>> {
    if args.len() % 2 == 1 {
        return Err(illegal_argument(format!(
            "No value supplied for key: {}",
            crate::print::pr_str(args[args.len() - 1])?
        )));
    }
    Ok(args.chunks_exact(2).map(|p| (p[0], p[1])).collect())
}

/// An array map of `pairs` whatever their number (`array-map`).
fn array_map(pairs: Vec<(Obj, Obj)>) -> R {
    let mut entries: Vec<(Obj, Obj)> = Vec::with_capacity(pairs.len());
    'pairs: for (k, v) in pairs {
        for entry in entries.iter_mut() {
            if crate::equality::equiv(entry.0, k)? {
                entry.1 = v;
                continue 'pairs;
            }
        }
        entries.push((k, v));
    }
    Ok(map_obj(Map::Array(entries)))
}

/// `(into to from)`, building vectors, maps and sets in place and
/// collecting as it walks `from`: `to`, the walk and what has been added are
/// rooted.
pub fn into(to: Obj, from: Obj) -> R {
    let roots = RootFrame::new(&[to, nil(), to]);
    let result = into_keeping_no_meta(to, from, &roots)?;
    Ok(crate::meta::carry(to, result))
}

/// Items [`Added`] roots one by one before it roots the collection they
/// went into instead.
const SNAPSHOT_ITEMS: usize = 1024;

/// What an `into` has added to its copy of a persistent collection, rooted:
/// each item in a pushed slot of the frame (slots 0 to 2 are `into`'s),
/// until every [`SNAPSHOT_ITEMS`] the collection so far takes their place
/// in slot 2, so items a set or map drops are not kept to the end.
struct Added<'f> {
    roots: &'f RootFrame,
    pushed: usize,
}

impl Added<'_> {
    /// Roots `item`, about to be added to the collection `so_far` makes.
    fn add(&mut self, item: R, so_far: impl FnOnce() -> Obj) -> R {
        let item = item?;
        if self.pushed == SNAPSHOT_ITEMS {
            self.roots.set(2, so_far());
            self.roots.truncate(3);
            self.pushed = 0;
        }
        self.roots.push(item);
        self.pushed += 1;
        Ok(item)
    }
}

/// Slot 1 of `roots` walks `from`; slot 2 holds the accumulator.
fn into_keeping_no_meta(to: Obj, from: Obj, roots: &RootFrame) -> R {
    let walk = || RootedSeq::new(from, roots, 1);
    let mut added = Added { roots, pushed: 0 };
    match &*to {
        Object::Vector(v) => {
            let mut items = v.0.clone();
            for item in walk() {
                let item = added.add(item, || vector_from(items.clone()))?;
                items.push_back(item);
            }
            Ok(vector_from(items))
        }
        Object::Map(m) => {
            let mut map = m.clone();
            for item in walk() {
                let item = added.add(item, || map_obj(map.clone()))?;
                conj_entry(&mut map, item)?;
            }
            Ok(map_obj(map))
        }
        Object::Set(s) => {
            let mut set = s.clone();
            for item in walk() {
                let item = added.add(item, || set_obj(set.clone()))?;
                set.insert(item)?;
            }
            Ok(set_obj(set))
        }
        Object::Transient(_) => Err(class_cast(to, "clojure.lang.IPersistentCollection")),
        _ => {
            let mut acc = to;
            for item in walk() {
                acc = conj(acc, item?)?;
                roots.set(2, acc);
            }
            Ok(acc)
        }
    }
}

/// The empty collection of coll's kind.
fn empty(coll: Obj) -> R {
    let emptied = match &*coll {
        // A record has no empty one of its class.
        Object::Record(r) => {
            return Err(unsupported(format!("Can't create empty: {}", r.class.name)))
        }
        // clojure.lang.MapEntry's empty is null.
        Object::Vector(v) if v.1 == VectorClass::MapEntry => return Ok(nil()),
        Object::Vector(_) => vector_obj([]),
        Object::Map(m) => map_obj(m.emptied()),
        Object::Set(s) => set_obj(s.emptied()),
        // PersistentQueue.empty: EMPTY with the queue's metadata (a fresh
        // one then, since the shared EMPTY must not take it).
        Object::Queue(_) if crate::meta::meta(coll).is_ok_and(|m| m.is_nil()) => {
            return Ok(crate::queue::empty_queue())
        }
        Object::Queue(_) => crate::queue::fresh_empty(),
        // A list's empty list keeps its metadata (a fresh one, since the
        // shared empty list must not take it); other seqs' has none.
        Object::List(_) | Object::EmptyList
            if !crate::meta::meta(coll).is_ok_and(|m| m.is_nil()) =>
        {
            alloc(Object::EmptyList)
        }
        o if o.is_seq() => return Ok(empty_list()),
        _ => return Ok(nil()),
    };
    Ok(crate::meta::carry(coll, emptied))
}

fn peek(coll: Obj) -> R {
    match &*coll {
        Object::Nil | Object::EmptyList => Ok(nil()),
        Object::Vector(v) => Ok(v.0.last().copied().unwrap_or_else(nil)),
        Object::List(node) => Ok(node.first),
        Object::Queue(queue) => Ok(crate::queue::peek(queue)),
        _ => Err(class_cast(coll, "clojure.lang.IPersistentStack")),
    }
}

fn pop(coll: Obj) -> R {
    let result = pop_keeping_no_meta(coll)?;
    // A list's pop is its rest, a value of its own that keeps its own metadata.
    Ok(match &*coll {
        Object::Vector(_) | Object::Queue(_) => crate::meta::carry(coll, result),
        _ => result,
    })
}

fn pop_keeping_no_meta(coll: Obj) -> R {
    match &*coll {
        Object::Nil => Ok(nil()),
        Object::EmptyList => Err(illegal_state("Can't pop empty list")),
        Object::List(node) => Ok(node.rest),
        Object::Queue(queue) => crate::queue::pop(coll, queue),
        Object::Vector(v) if v.0.is_empty() => Err(illegal_state("Can't pop empty vector")),
        Object::Vector(v) => {
            let mut items = v.0.clone();
            items.pop_back();
            Ok(vector_from(items))
        }
        _ => Err(class_cast(coll, "clojure.lang.IPersistentStack")),
    }
}

fn subvec(v: Obj, start: Obj, end: Option<Obj>) -> R {
    let Object::Vector(items) = &*v else {
        return Err(class_cast(v, "clojure.lang.IPersistentVector"));
    };
    let start = i64::from(super::numbers::int_cast(start)?);
    let end = match end {
        Some(e) => i64::from(super::numbers::int_cast(e)?),
        None => items.0.len() as i64,
    };
    if start < 0 || end < start || end > items.0.len() as i64 {
        return Err(index_out_of_bounds());
    }
    let mut all = items.0.clone();
    Ok(vector_from(all.slice(start as usize..end as usize)))
}

fn get_in(m: Obj, keys: Obj, default: Option<Obj>) -> R {
    let mut current = m;
    let sentinel = alloc(Object::Plain);
    for key in SeqIter::new(keys) {
        let key = key?;
        match default {
            None => current = get(current, key, nil())?,
            Some(default) => {
                current = get(current, key, sentinel)?;
                if current.identical(sentinel) {
                    return Ok(default);
                }
            }
        }
    }
    Ok(current)
}

fn assoc_in(m: Obj, keys: &[Obj], value: Obj) -> R {
    match keys {
        [] => assoc(m, nil(), value),
        [k] => assoc(m, *k, value),
        [k, rest @ ..] => assoc(m, *k, assoc_in(get(m, *k, nil())?, rest, value)?),
    }
}

fn update_in(m: Obj, keys: &[Obj], f: Obj, args: &[Obj]) -> R {
    match keys {
        [] => {
            let old = get(m, nil(), nil())?;
            assoc(m, nil(), apply(f, &[old], seq_of(args.to_vec()))?)
        }
        [k] => assoc(
            m,
            *k,
            apply(f, &[get(m, *k, nil())?], seq_of(args.to_vec()))?,
        ),
        [k, rest @ ..] => assoc(m, *k, update_in(get(m, *k, nil())?, rest, f, args)?),
    }
}

pub(crate) fn transient_used() -> crate::error::Thrown {
    error(
        "java.lang.IllegalAccessError",
        "Transient used after persistent! call",
    )
}

/// Applies `op` to a transient's collection, keeping the result in it.
fn transient_update(t: Obj, op: impl FnOnce(Obj) -> R) -> R {
    let Object::Transient(cell) = &*t else {
        return Err(class_cast(t, "clojure.lang.ITransientCollection"));
    };
    let inner = cell.get().ok_or_else(transient_used)?;
    let updated = op(inner)?;
    cell.set(Some(updated));
    Ok(t)
}

fn transient(coll: Obj) -> R {
    match &*coll {
        // Sorted collections are not editable in Clojure either.
        Object::Map(m) if m.is_sorted() => {
            Err(class_cast(coll, "clojure.lang.IEditableCollection"))
        }
        Object::Set(s) if s.is_sorted() => {
            Err(class_cast(coll, "clojure.lang.IEditableCollection"))
        }
        // What persistent! returns has no metadata, as in Clojure.
        Object::Vector(_) | Object::Map(_) | Object::Set(_) => Ok(alloc(Object::Transient(
            Cell::new(Some(crate::meta::without_meta(coll)?)),
        ))),
        _ => Err(class_cast(coll, "clojure.lang.IEditableCollection")),
    }
}

/// The vector, map or set a reduction builds, from `(transient {})` style code.
fn map_from_fold(items: Obj, mut step: impl FnMut(&mut Map, Obj) -> R<()>) -> R {
    let mut acc = Map::empty();
    for item in SeqIter::new(items) {
        step(&mut acc, item?)?;
    }
    Ok(map_obj(acc))
}

/// `(reduce-kv f init coll)`.
fn reduce_kv(f: Obj, init: Obj, coll: Obj) -> R {
    let mut acc = init;
    let entries: Vec<(Obj, Obj)> = match &*coll {
        Object::Nil => Vec::new(),
        Object::Map(m) => m.entries(),
        Object::Record(r) => r.entries(),
        Object::Vector(v) => {
            v.0.iter()
                .enumerate()
                .map(|(i, x)| (int(i as i64), *x))
                .collect()
        }
        _ => return Err(class_cast(coll, "clojure.core.protocols/IKVReduce")),
    };
    for (k, v) in entries {
        acc = call(f, &[acc, k, v])?;
        if let Object::Reduced(inner) = &*acc {
            return Ok(*inner);
        }
    }
    Ok(acc)
}

/// `(select-keys m keys)`: an array map in the order of `keys` until it grows past 8.
pub(crate) fn select_keys(m: Obj, keys: Obj) -> R {
    let mut result = Map::empty();
    for key in SeqIter::new(keys) {
        let key = key?;
        // Clojure's RT.find: nil finds nothing, a map or vector its entry,
        // anything else is cast to a java.util.Map and fails.
        match &*m {
            Object::Nil => {}
            Object::Map(map) => {
                if let Some((k, v)) = map.find(key)? {
                    result.insert(k, v)?;
                }
            }
            Object::Record(record) => {
                if let Some((k, v)) = record.find(key)? {
                    result.insert(k, v)?;
                }
            }
            Object::Vector(_) => {
                if contains(m, key)? {
                    result.insert(key, get(m, key, nil())?)?;
                }
            }
            _ => return Err(class_cast(m, "java.util.Map")),
        }
    }
    Ok(crate::meta::carry(m, map_obj(result)))
}

fn merge_into(acc: Obj, m: Obj) -> R {
    if acc.is_nil() {
        return conj(map_obj(Map::empty()), m);
    }
    conj(acc, m)
}

/// `(seq-to-map-for-destructuring s)`: what a map destructuring of rest
/// args (`& {:keys [a]}`) binds: its only element when it has one, `{}`
/// when empty, else the map of its key/value pairs as if by assoc, a
/// trailing map's entries last (Clojure 1.11's `(f :a 1 {:b 2})`).
fn seq_to_map_for_destructuring(s: Obj) -> R {
    let mut items = crate::seq::to_vec(s)?;
    match items.len() {
        0 => return Ok(map_obj(Map::empty())),
        1 => return Ok(items[0]),
        n if n % 2 == 1 => {
            let trailing = items.pop().unwrap_or_else(nil);
            let entries = conj(map_obj(Map::empty()), trailing)?;
            if let Object::Map(m) = &*entries {
                for (key, value) in m.entries() {
                    items.extend([key, value]);
                }
            }
        }
        _ => {}
    }
    Ok(map_obj(Map::from_pairs(
        items.chunks_exact(2).map(|pair| (pair[0], pair[1])),
        true,
    )?))
}

pub fn install() {
    core("seq-to-map-for-destructuring", 1, 1, |_, a| {
        seq_to_map_for_destructuring(a[0])
    });
    core("vector", 0, VARIADIC, |_, a| {
        Ok(vector_obj(a.iter().copied()))
    });
    core("vec", 1, 1, |_, a| vec(a[0]));
    core("list", 0, VARIADIC, |_, a| Ok(list_of(a)));
    core("list*", 1, VARIADIC, |_, a| {
        let (items, last) = a.split_at(a.len() - 1);
        let mut result = seq(last[0])?.unwrap_or_else(nil);
        for item in items.iter().rev() {
            result = cons(*item, result)?;
        }
        Ok(result)
    });
    core("hash-map", 0, VARIADIC, |_, a| {
        Ok(map_obj(Map::from_pairs(pairs(a)?, false)?))
    });
    core("array-map", 0, VARIADIC, |_, a| array_map(pairs(a)?));
    core("hash-set", 0, VARIADIC, |_, a| {
        Ok(set_obj(Set::from_items(a.iter().copied())?))
    });
    core("set", 1, 1, |_, a| match &*a[0] {
        Object::Set(_) => crate::meta::without_meta(a[0]),
        _ => Ok(set_obj(Set::from_items(to_vec(a[0])?)?)),
    });
    core("get", 2, 3, |_, a| lookup(a[0], a[1], a.get(2).copied()));
    core("nth", 2, 3, |_, a| nth(a[0], a[1], a.get(2).copied()));
    core_collecting("count", 1, 1, |_, a| Ok(int(count(a[0])? as i64)));
    core("conj", 0, VARIADIC, |_, a| match a {
        [] => Ok(vector_obj([])),
        [coll, items @ ..] => items.iter().try_fold(*coll, |acc, x| conj(acc, *x)),
    });
    core("assoc", 3, VARIADIC, |_, a| {
        if a.len() % 2 == 0 {
            return Err(illegal_argument(
                "assoc expects even number of arguments after map/vector, found odd number",
            ));
        }
        a[1..]
            .chunks_exact(2)
            .try_fold(a[0], |acc, kv| assoc(acc, kv[0], kv[1]))
    });
    core("dissoc", 1, VARIADIC, |_, a| {
        a[1..].iter().try_fold(a[0], |acc, k| dissoc(acc, *k))
    });
    core("disj", 1, VARIADIC, |_, a| {
        a[1..].iter().try_fold(a[0], |acc, k| disj(acc, *k))
    });
    core("contains?", 2, 2, |_, a| Ok(boolean(contains(a[0], a[1])?)));
    core("find", 2, 2, |_, a| find(a[0], a[1]));
    core("keys", 1, 1, |_, a| match &*a[0] {
        Object::Map(m) => Ok(seq_of(m.entries().into_iter().map(|(k, _)| k).collect())),
        Object::Record(r) => Ok(seq_of(r.entries().into_iter().map(|(k, _)| k).collect())),
        _ => Ok(seq_of(
            SeqIter::new(a[0])
                .map(|e| entry_part(e?, 0))
                .collect::<R<Vec<Obj>>>()?,
        )),
    });
    core("vals", 1, 1, |_, a| match &*a[0] {
        Object::Map(m) => Ok(seq_of(m.entries().into_iter().map(|(_, v)| v).collect())),
        Object::Record(r) => Ok(seq_of(r.entries().into_iter().map(|(_, v)| v).collect())),
        _ => Ok(seq_of(
            SeqIter::new(a[0])
                .map(|e| entry_part(e?, 1))
                .collect::<R<Vec<Obj>>>()?,
        )),
    });
    core("key", 1, 1, |_, a| entry_part(a[0], 0));
    core("val", 1, 1, |_, a| entry_part(a[0], 1));
    core("map-entry?", 1, 1, |_, a| {
        Ok(boolean(
            matches!(&*a[0], Object::Vector(v) if v.1 == VectorClass::MapEntry),
        ))
    });
    core("merge", 0, VARIADIC, |_, a| {
        if !a.iter().any(|m| truthy(*m)) {
            return Ok(nil());
        }
        a[1..].iter().try_fold(a[0], |acc, m| merge_into(acc, *m))
    });
    core("merge-with", 1, VARIADIC, |_, a| {
        let (f, maps) = (a[0], &a[1..]);
        if !maps.iter().any(|m| truthy(*m)) {
            return Ok(nil());
        }
        let mut acc = maps[0];
        for m in &maps[1..] {
            let Some(other) = map_arg(*m)? else { continue };
            if acc.is_nil() {
                acc = map_obj(Map::empty());
            }
            for (k, v) in other.entries() {
                let merged = if contains(acc, k)? {
                    call(f, &[get(acc, k, nil())?, v])?
                } else {
                    v
                };
                acc = assoc(acc, k, merged)?;
            }
        }
        Ok(acc)
    });
    core("select-keys", 2, 2, |_, a| select_keys(a[0], a[1]));
    core("zipmap", 2, 2, |_, a| {
        let mut result = Map::empty();
        for (k, v) in SeqIter::new(a[0]).zip(SeqIter::new(a[1])) {
            result.insert(k?, v?)?;
        }
        Ok(map_obj(result))
    });
    core_collecting("into", 0, 3, |_, a| match a {
        [] => Ok(vector_obj([])),
        [to] => Ok(*to),
        [to, from] => into(*to, *from),
        [to, xform, from] => crate::core::lazy::transduce_into(*to, *xform, *from),
        _ => unreachable!("arity 0..=3"),
    });
    core("empty", 1, 1, |_, a| empty(a[0]));
    core("not-empty", 1, 1, |_, a| {
        Ok(if seq(a[0])?.is_some() { a[0] } else { nil() })
    });
    core("peek", 1, 1, |_, a| peek(a[0]));
    core("pop", 1, 1, |_, a| pop(a[0]));
    core("subvec", 2, 3, |_, a| subvec(a[0], a[1], a.get(2).copied()));
    core("get-in", 2, 3, |_, a| get_in(a[0], a[1], a.get(2).copied()));
    core("assoc-in", 3, 3, |_, a| {
        assoc_in(a[0], &to_vec(a[1])?, a[2])
    });
    core("update", 3, VARIADIC, |_, a| {
        let old = get(a[0], a[1], nil())?;
        assoc(a[0], a[1], apply(a[2], &[old], seq_of(a[3..].to_vec()))?)
    });
    core("update-in", 3, VARIADIC, |_, a| {
        update_in(a[0], &to_vec(a[1])?, a[2], &a[3..])
    });
    // Both keep the map's metadata; update-vals edits a hash or array map in
    // place and builds anything else (a sorted map, a record) anew from {}.
    core("update-keys", 2, 2, |_, a| {
        let mut result = Map::empty();
        if let Some(m) = map_arg(a[0])? {
            for (k, v) in m.entries() {
                result.insert(call(a[1], &[k])?, v)?;
            }
        }
        Ok(crate::meta::carry(a[0], map_obj(result)))
    });
    core("update-vals", 2, 2, |_, a| {
        let Some(m) = map_arg(a[0])? else {
            return Ok(map_obj(Map::empty()));
        };
        let editable = matches!(&*a[0], Object::Map(_)) && !m.is_sorted();
        let mut result = if editable { m.clone() } else { Map::empty() };
        for (k, v) in m.entries() {
            result.insert(k, call(a[1], &[v])?)?;
        }
        Ok(crate::meta::carry(a[0], map_obj(result)))
    });
    core("frequencies", 1, 1, |_, a| {
        map_from_fold(a[0], |acc, x| {
            let n = match acc.get(x)? {
                Some(n) => crate::core::numbers::inc(n)?,
                None => int(1),
            };
            acc.insert(x, n)
        })
    });
    core("group-by", 2, 2, |_, a| {
        let f = a[0];
        map_from_fold(a[1], |acc, x| {
            let k = call(f, &[x])?;
            let group = conj(acc.get(k)?.unwrap_or_else(|| vector_obj([])), x)?;
            acc.insert(k, group)
        })
    });
    core("reduce-kv", 3, 3, |_, a| reduce_kv(a[0], a[1], a[2]));
    core("transient", 1, 1, |_, a| transient(a[0]));
    core("persistent!", 1, 1, |_, a| {
        let Object::Transient(cell) = &*a[0] else {
            return Err(class_cast(a[0], "clojure.lang.ITransientCollection"));
        };
        cell.take().ok_or_else(transient_used)
    });
    core("conj!", 0, 2, |_, a| match a {
        [] => transient(vector_obj([])),
        [t] => Ok(*t),
        [t, x] => transient_update(*t, |c| conj(c, *x)),
        _ => unreachable!("arity 0..=2"),
    });
    core("assoc!", 3, VARIADIC, |_, a| {
        transient_update(a[0], |c| {
            a[1..]
                .chunks(2)
                .try_fold(c, |acc, kv| assoc(acc, kv[0], arg_or(kv, 1, nil())))
        })
    });
    core("dissoc!", 2, VARIADIC, |_, a| {
        transient_update(a[0], |c| {
            a[1..].iter().try_fold(c, |acc, k| dissoc(acc, *k))
        })
    });
    core("disj!", 2, VARIADIC, |_, a| {
        transient_update(a[0], |c| a[1..].iter().try_fold(c, |acc, k| disj(acc, *k)))
    });
    core("pop!", 1, 1, |_, a| transient_update(a[0], pop));
}
