//! clojure.core's remaining fns: type predicates, `not`, strings and names
//! (`str`, `subs`, `name`, `keyword`, `symbol`, `gensym`), printing (`pr`,
//! `println`, `pr-str`, ...), atoms and volatiles, exceptions (`ex-info` and
//! friends), `alter-var-root`, collection hashes, UUIDs, and the random
//! source behind `rand`, `shuffle` and `random-uuid` (seeded by the host).

use std::cell::{Cell, RefCell};

use super::{core, def, text, VARIADIC};
use crate::coll::vector_obj;
use crate::coll::{map_obj, HashTable, Map};
use crate::equality::{hash_ordered, hash_unordered, mix_collection_hash};
use crate::error::{class_cast, error, ex_info, illegal_argument, illegal_state, Exception, R};
use crate::function::call;
use crate::io;
use crate::number::long;
use crate::object::{
    alloc, boolean, find_keyword, int, keyword, nil, split_qualified, string, symbol, truthy, Atom,
    DelayState, Obj, Object, ReferenceKind,
};
use crate::print::str_of;
use crate::seq::SeqIter;
use jank_runtime_abi::java_uuid::Uuid;

thread_local! {
    static RANDOM_STATE: Cell<u64> = const { Cell::new(0x2545_f491_4f6c_dd1d) };
    static GENSYM_COUNTER: Cell<u64> = const { Cell::new(1000) };
}

/// Seeds the generator behind `rand`, `shuffle` and `random-uuid`
/// (`jank_host_seed_random`). Zero would stop xorshift, so it keeps the
/// fixed seed a runtime starts with.
pub fn seed_random(seed: u64) {
    if seed != 0 {
        RANDOM_STATE.with(|state| state.set(seed));
    }
}

/// 64 uniform bits from the xorshift generator.
fn random_bits() -> u64 {
    RANDOM_STATE.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        x
    })
}

/// A uniform double in [0, 1).
pub fn random() -> f64 {
    (random_bits() >> 11) as f64 / (1u64 << 53) as f64
}

/// `pr-str` and friends: what `pr` or `print` would print, with what
/// realizing a lazy seq prints meanwhile in its place, as they print to a
/// StringWriter bound to `*out*`.
fn printed(args: &[Obj], readably: bool, newline: bool) -> R<String> {
    let (printed, text) = super::dynamic::with_out_str(|| {
        crate::print::print_to(io::STDOUT, args, readably, newline)
    });
    printed.map(|()| text)
}

/// `println` of `args`: what the seed's jank_println does.
pub fn println(args: &[Obj]) -> R {
    emit(args, false, true)
}

/// `(Throwable->map e)`: `{:via [{:type :message :data? :at?}...] :trace
/// [...] :cause? :data?}`, as Clojure builds it, the stack being the jank
/// frames of each exception's first throw (`:at` its innermost, `:trace`
/// the root cause's, each as `[class method file line]`).
fn throwable_map(value: Obj) -> R {
    let Some(outer) = exception(&value) else {
        return Err(class_cast(value, "java.lang.Throwable"));
    };
    let mut chain = vec![outer];
    while let Some(cause) = exception(&chain[chain.len() - 1].cause) {
        chain.push(cause);
    }
    let mut via = Vec::new();
    for link in &chain {
        let mut entry = vec![
            (keyword(None, "type"), symbol(None, link.class)),
            (keyword(None, "message"), link.message),
        ];
        if let Some(data) = link.data {
            entry.push((keyword(None, "data"), data));
        }
        if let Some(at) = link.frames().first() {
            entry.push((keyword(None, "at"), at.element()));
        }
        via.push(map_obj(Map::from_pairs(entry, true)?));
    }
    let root = chain[chain.len() - 1];
    let trace = root.frames().iter().map(|frame| frame.element());
    let mut pairs = vec![
        (keyword(None, "via"), vector_obj(via)),
        (keyword(None, "trace"), vector_obj(trace)),
    ];
    if !root.message.is_nil() {
        pairs.push((keyword(None, "cause"), root.message));
    }
    if let Some(data) = root.data {
        pairs.push((keyword(None, "data"), data));
    }
    Ok(map_obj(Map::from_pairs(pairs, true)?))
}

fn emit(args: &[Obj], readably: bool, newline: bool) -> R {
    crate::print::print_to(io::STDOUT, args, readably, newline)?;
    Ok(nil())
}

/// For a keyword or symbol, whether it has a namespace.
fn qualified(value: &Obj) -> Option<bool> {
    match &**value {
        Object::Keyword(n) | Object::Symbol(n) => Some(n.ns.is_some()),
        _ => None,
    }
}

fn exception(value: &Obj) -> Option<&Exception> {
    match &**value {
        Object::Exception(e) => Some(e),
        _ => None,
    }
}

/// An atom, for the fns of clojure.lang.IAtom (a ref is not one).
fn atom_state(value: &Obj) -> R<&Atom> {
    match &**value {
        Object::Atom(atom) if atom.kind == ReferenceKind::Atom => Ok(atom),
        _ => Err(class_cast(*value, "clojure.lang.IAtom")),
    }
}

/// An atom or a ref, for the fns of clojure.lang.IRef (watches, validators).
pub(super) fn reference_state(value: &Obj) -> R<&Atom> {
    match &**value {
        Object::Atom(atom) => Ok(atom),
        _ => Err(class_cast(*value, "clojure.lang.IRef")),
    }
}

/// Checks `value` against the atom's validator (Clojure's "Invalid reference state").
pub(super) fn validate(validator: Obj, value: Obj) -> R<()> {
    if validator.is_nil() || truthy(call(validator, &[value])?) {
        return Ok(());
    }
    Err(illegal_state("Invalid reference state"))
}

/// Calls the watches of `reference` (an atom or a ref) with a change.
pub(super) fn notify_watches(reference: Obj, old: Obj, new: Obj) -> R<()> {
    if let Object::Map(watches) = &*reference_state(&reference)?.watches.get() {
        for (key, watch) in watches.entries() {
            call(watch, &[key, reference, old, new])?;
        }
    }
    Ok(())
}

/// A new atom or ref holding `value`, with the `:validator` and `:meta`
/// of `options` (key-value pairs); the value is validated.
pub(super) fn new_reference(value: Obj, options: &[Obj], kind: ReferenceKind) -> R {
    let (mut validator, mut meta) = (nil(), nil());
    for option in options.chunks(2) {
        let given = option.get(1).copied().unwrap_or_else(nil);
        if option[0].identical(keyword(None, "validator")) {
            validator = given;
        } else if option[0].identical(keyword(None, "meta")) {
            meta = given;
        }
    }
    validate(validator, value)?;
    let watches = map_obj(Map::Hash(HashTable::default()));
    let reference = alloc(Object::Atom(Box::new(Atom {
        value: Cell::new(value),
        watches: Cell::new(watches),
        validator: Cell::new(validator),
        kind,
    })));
    if !meta.is_nil() {
        crate::meta::reset_meta(reference, meta)?;
    }
    Ok(reference)
}

/// Sets an atom after validating, then calls its watches; returns the old value.
fn set_atom(atom: Obj, new: Obj) -> R {
    let state = atom_state(&atom)?;
    validate(state.validator.get(), new)?;
    let old = state.value.replace(new);
    notify_watches(atom, old, new)?;
    Ok(old)
}

fn volatile_cell(value: &Obj) -> R<&Cell<Obj>> {
    match &**value {
        Object::Volatile(cell) => Ok(cell),
        _ => Err(class_cast(*value, "clojure.lang.Volatile")),
    }
}

/// `(f old args..)`.
fn updated(f: Obj, old: Obj, args: &[Obj]) -> R {
    let mut all = vec![old];
    all.extend_from_slice(args);
    call(f, &all)
}

pub(crate) fn substring(s: &str, start: i64, end: Option<i64>) -> R {
    let length = s.chars().count() as i64;
    let end_index = end.unwrap_or(length);
    if start < 0 || end_index > length || start > end_index {
        return Err(error(
            "java.lang.StringIndexOutOfBoundsException",
            format!("begin {start}, end {end_index}, length {length}"),
        ));
    }
    Ok(string(
        s.chars()
            .skip(start as usize)
            .take((end_index - start) as usize)
            .collect::<String>(),
    ))
}

fn install_hashes() {
    // Both take a java.lang.Iterable: nil is a NullPointerException.
    core("hash-ordered-coll", 1, 1, |_, a| {
        if a[0].is_nil() {
            return Err(class_cast(a[0], "java.lang.Iterable"));
        }
        Ok(int(i64::from(hash_ordered(SeqIter::new(a[0]))?)))
    });
    core("hash-unordered-coll", 1, 1, |_, a| {
        if a[0].is_nil() {
            return Err(class_cast(a[0], "java.lang.Iterable"));
        }
        Ok(int(i64::from(hash_unordered(SeqIter::new(a[0]))?)))
    });
    core("mix-collection-hash", 2, 2, |_, a| {
        let (hash, count) = (long(a[0])?, long(a[1])?);
        Ok(int(i64::from(mix_collection_hash(
            hash as i32,
            count as i32,
        ))))
    });
    core("find-keyword", 1, 2, |_, a| {
        let found = match a {
            [ns, name] => find_keyword(Some(text(ns)?), text(name)?),
            [k] => match &**k {
                Object::Keyword(_) => Some(*k),
                Object::Symbol(n) => find_keyword(n.ns.as_deref(), &n.name),
                Object::Str(s) => {
                    let (ns, name) = split_qualified(s);
                    find_keyword(ns, name)
                }
                _ => None,
            },
            _ => None,
        };
        Ok(found.unwrap_or_else(nil))
    });
    // A java.util.Date (`#inst`) is the one Inst.
    core("inst?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Inst(_))))
    });
    // `#inst "..."` in code: the reader has checked the text.
    def("jank.runtime", "instant", 1, 1, |_, a| {
        Ok(alloc(Object::Inst(crate::number::to_long(a[0])?)))
    });
    core("inst-ms", 1, 1, |_, a| {
        if let Object::Inst(ms) = *a[0] {
            return Ok(int(ms));
        }
        let class = match &*a[0] {
            Object::Nil => "nil",
            object => object.class_name(),
        };
        Err(illegal_argument(format!(
            "No implementation of method: :inst-ms* of protocol: #'clojure.core/Inst found for class: {class}"
        )))
    });
    // What `time` reads: System/nanoTime, on the host's monotonic clock.
    def("jank.runtime", "nano-time", 0, 0, |_, _| {
        Ok(int(io::nano_time()))
    });
    // System/currentTimeMillis, on the host's wall clock.
    def("jank.runtime", "current-time-millis", 0, 0, |_, _| {
        Ok(int(io::current_time_millis()))
    });
    // The Clojure release whose semantics jankwasm follows (its oracle).
    core("clojure-version", 0, 0, |_, _| Ok(string("1.11.1")));
    // `(test v)`: calls the fn under `:test` in v's metadata.
    core("test", 1, 1, |_, a| {
        let test = super::colls::get(crate::meta::meta(a[0])?, keyword(None, "test"), nil())?;
        if !truthy(test) {
            return Ok(keyword(None, "no-test"));
        }
        call(test, &[])?;
        Ok(keyword(None, "ok"))
    });
}

fn install_uuids() {
    core("uuid?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Uuid(_))))
    });
    core("parse-uuid", 1, 1, |_, a| match &*a[0] {
        Object::Str(text) => {
            Ok(Uuid::parse(text).map_or_else(nil, |uuid| alloc(Object::Uuid(uuid))))
        }
        _ => Err(class_cast(a[0], "java.lang.String")),
    });
    core("random-uuid", 0, 0, |_, _| {
        Ok(alloc(Object::Uuid(Uuid::random(
            random_bits(),
            random_bits(),
        ))))
    });
}

fn install_predicates() {
    core("nil?", 1, 1, |_, a| Ok(boolean(a[0].is_nil())));
    core("some?", 1, 1, |_, a| Ok(boolean(!a[0].is_nil())));
    core("true?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Bool(true))))
    });
    core("false?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Bool(false))))
    });
    core("boolean?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Bool(_))))
    });
    core("string?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Str(_))))
    });
    core("char?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Char(_))))
    });
    core("keyword?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Keyword(_))))
    });
    core("symbol?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Symbol(_))))
    });
    core("ident?", 1, 1, |_, a| {
        Ok(boolean(qualified(&a[0]).is_some()))
    });
    core("simple-ident?", 1, 1, |_, a| {
        Ok(boolean(qualified(&a[0]) == Some(false)))
    });
    core("qualified-ident?", 1, 1, |_, a| {
        Ok(boolean(qualified(&a[0]) == Some(true)))
    });
    core("simple-keyword?", 1, 1, |_, a| {
        Ok(boolean(
            matches!(&*a[0], Object::Keyword(n) if n.ns.is_none()),
        ))
    });
    core("qualified-keyword?", 1, 1, |_, a| {
        Ok(boolean(
            matches!(&*a[0], Object::Keyword(n) if n.ns.is_some()),
        ))
    });
    core("simple-symbol?", 1, 1, |_, a| {
        Ok(boolean(
            matches!(&*a[0], Object::Symbol(n) if n.ns.is_none()),
        ))
    });
    core("qualified-symbol?", 1, 1, |_, a| {
        Ok(boolean(
            matches!(&*a[0], Object::Symbol(n) if n.ns.is_some()),
        ))
    });
    core("fn?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Fn(_))))
    });
    core("ifn?", 1, 1, |_, a| Ok(boolean(a[0].is_ifn())));
    core("map?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Map(_) | Object::Record(_))))
    });
    core("vector?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Vector(_))))
    });
    core("set?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Set(_))))
    });
    // IPersistentList: lists and queues.
    core("list?", 1, 1, |_, a| {
        Ok(boolean(matches!(
            *a[0],
            Object::List(_) | Object::EmptyList | Object::Queue(_)
        )))
    });
    core("seq?", 1, 1, |_, a| Ok(boolean(a[0].is_seq())));
    core("coll?", 1, 1, |_, a| {
        Ok(boolean(
            a[0].is_seq()
                || matches!(
                    *a[0],
                    Object::Vector(_)
                        | Object::Map(_)
                        | Object::Record(_)
                        | Object::Set(_)
                        | Object::Queue(_)
                ),
        ))
    });
    core("sequential?", 1, 1, |_, a| {
        Ok(boolean(a[0].is_sequential()))
    });
    core("associative?", 1, 1, |_, a| {
        Ok(boolean(matches!(
            *a[0],
            Object::Map(_) | Object::Record(_) | Object::Vector(_)
        )))
    });
    core("indexed?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Vector(_))))
    });
    core("counted?", 1, 1, |_, a| {
        Ok(boolean(matches!(
            *a[0],
            Object::Vector(_)
                | Object::Map(_)
                | Object::Record(_)
                | Object::Set(_)
                | Object::List(_)
                | Object::EmptyList
                | Object::ArraySeq(..)
                | Object::VecSeq(..)
                | Object::Range(_)
                | Object::Queue(_)
        )))
    });
    core("seqable?", 1, 1, |_, a| Ok(boolean(a[0].is_seqable())));
    core("var?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Var(_))))
    });
    core("volatile?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Volatile(_))))
    });
    core("any?", 1, 1, |_, _| Ok(boolean(true)));
    core("not", 1, 1, |_, a| Ok(boolean(!truthy(a[0]))));
    core("boolean", 1, 1, |_, a| Ok(boolean(truthy(a[0]))));
}

fn install_names() {
    core("str", 0, VARIADIC, |_, a| {
        let mut out = String::new();
        for value in a {
            out.push_str(&str_of(*value)?);
        }
        Ok(string(out))
    });
    core("subs", 2, 3, |_, a| {
        let end = match a.get(2) {
            Some(e) => Some(crate::number::to_long(*e)?),
            None => None,
        };
        let s = a[0]
            .as_str()
            .ok_or_else(|| class_cast(a[0], "java.lang.String"))?;
        substring(s, crate::number::to_long(a[1])?, end)
    });
    core("name", 1, 1, |_, a| match &*a[0] {
        Object::Str(_) => Ok(a[0]),
        Object::Keyword(n) | Object::Symbol(n) => Ok(string(&*n.name)),
        _ => Err(class_cast(a[0], "clojure.lang.Named")),
    });
    core("namespace", 1, 1, |_, a| match &*a[0] {
        Object::Keyword(n) | Object::Symbol(n) => Ok(n.ns.as_deref().map_or_else(nil, string)),
        _ => Err(class_cast(a[0], "clojure.lang.Named")),
    });
    core("keyword", 1, 2, |_, a| match *a {
        [name] => Ok(match &*name {
            Object::Keyword(_) => name,
            Object::Symbol(n) => keyword(n.ns.as_deref(), &n.name),
            Object::Str(s) => {
                let (ns, name) = split_qualified(s);
                keyword(ns, name)
            }
            _ => nil(),
        }),
        [ns, name] => {
            let ns = if ns.is_nil() {
                None
            } else {
                Some(text(&a[0])?)
            };
            Ok(keyword(ns, text(&name)?))
        }
        _ => unreachable!("arity 1..=2"),
    });
    core("symbol", 1, 2, |_, a| match *a {
        [name] => match &*name {
            Object::Symbol(_) => Ok(name),
            Object::Keyword(n) => Ok(symbol(n.ns.as_deref(), &n.name)),
            Object::Var(v) => Ok(symbol(Some(&v.ns), &v.name)),
            Object::Str(s) => {
                let (ns, name) = split_qualified(s);
                Ok(symbol(ns, name))
            }
            _ => Err(illegal_argument("no conversion to symbol")),
        },
        [ns, name] => {
            let ns = if ns.is_nil() {
                None
            } else {
                Some(text(&a[0])?)
            };
            Ok(symbol(ns, text(&name)?))
        }
        _ => unreachable!("arity 1..=2"),
    });
    core("gensym", 0, 1, |_, a| {
        let prefix = match a.first() {
            Some(p) => str_of(*p)?,
            None => "G__".to_string(),
        };
        let id = GENSYM_COUNTER.with(|c| {
            let id = c.get();
            c.set(id + 1);
            id
        });
        Ok(symbol(None, &format!("{prefix}{id}")))
    });
}

fn install_printing() {
    core("pr", 0, VARIADIC, |_, a| emit(a, true, false));
    core("prn", 0, VARIADIC, |_, a| emit(a, true, true));
    core("print", 0, VARIADIC, |_, a| emit(a, false, false));
    core("println", 0, VARIADIC, |_, a| println(a));
    core("newline", 0, 0, |_, _| emit(&[], false, true));
    core("flush", 0, 0, |_, _| Ok(nil()));
    core("pr-str", 0, VARIADIC, |_, a| {
        Ok(string(printed(a, true, false)?))
    });
    core("prn-str", 0, VARIADIC, |_, a| {
        Ok(string(printed(a, true, true)?))
    });
    core("print-str", 0, VARIADIC, |_, a| {
        Ok(string(printed(a, false, false)?))
    });
    core("println-str", 0, VARIADIC, |_, a| {
        Ok(string(printed(a, false, true)?))
    });
}

/// Forces a delay: runs its thunk once, caching the value or the exception.
pub fn force(value: Obj) -> R {
    let Object::Delay(state) = &*value else {
        return Ok(value);
    };
    let thunk = match &*state.borrow() {
        DelayState::Done(v) => return Ok(*v),
        DelayState::Failed(e) => return Err(crate::error::Thrown(*e)),
        DelayState::Pending(thunk) => *thunk,
    };
    let result = call(thunk, &[]);
    *state.borrow_mut() = match &result {
        Ok(v) => DelayState::Done(*v),
        Err(e) => DelayState::Failed(e.0),
    };
    result
}

fn install_references() {
    // `(alter-var-root v f & args)`: the root becomes `(apply f root args)`.
    core("alter-var-root", 2, VARIADIC, |_, a| {
        let Object::Var(var) = &*a[0] else {
            return Err(class_cast(a[0], "clojure.lang.Var"));
        };
        let Some(root) = var.root.get() else {
            return Err(illegal_state(format!(
                "Var {} is unbound, so alter-var-root has no value to pass",
                var.qualified()
            )));
        };
        let mut args = vec![root];
        args.extend_from_slice(&a[2..]);
        let altered = call(a[1], &args)?;
        crate::var::bind_root(a[0], altered);
        Ok(altered)
    });
    def("jank.runtime", "delay", 1, 1, |_, a| {
        Ok(alloc(Object::Delay(RefCell::new(DelayState::Pending(
            a[0],
        )))))
    });
    core("force", 1, 1, |_, a| force(a[0]));
    core("delay?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Delay(_))))
    });
    core("atom", 1, VARIADIC, |_, a| {
        new_reference(a[0], &a[1..], ReferenceKind::Atom)
    });
    core("deref", 1, 3, |_, a| match (&*a[0], a) {
        (_, [_, _]) => Err(crate::error::arity(2, "clojure.core/deref")),
        (_, [promise, _, timeout_val]) => super::handoff::deref_promise_or(*promise, *timeout_val),
        (Object::Promise(_), _) => super::handoff::deref_promise(a[0]),
        (Object::Atom(atom), _) => Ok(atom.value.get()),
        (Object::Volatile(cell), _) => Ok(cell.get()),
        (Object::Var(_), _) => crate::var::deref(a[0]),
        (Object::Reduced(inner), _) => Ok(*inner),
        (Object::Delay(_), _) => force(a[0]),
        // A deftype or reify that implements IDeref's deref.
        (Object::Instance(_), _) => match super::protocols::host_method(a[0], "IDeref", "deref")? {
            Some(deref) => call(deref, &[a[0]]),
            None => Err(class_cast(a[0], "java.util.concurrent.Future")),
        },
        // Not an IDeref: deref-future casts it.
        _ => Err(class_cast(a[0], "java.util.concurrent.Future")),
    });
    core("reset!", 2, 2, |_, a| {
        set_atom(a[0], a[1])?;
        Ok(a[1])
    });
    core("swap!", 2, VARIADIC, |_, a| {
        let new = updated(a[1], atom_state(&a[0])?.value.get(), &a[2..])?;
        set_atom(a[0], new)?;
        Ok(new)
    });
    core("swap-vals!", 2, VARIADIC, |_, a| {
        let new = updated(a[1], atom_state(&a[0])?.value.get(), &a[2..])?;
        let old = set_atom(a[0], new)?;
        Ok(vector_obj([old, new]))
    });
    core("reset-vals!", 2, 2, |_, a| {
        let old = set_atom(a[0], a[1])?;
        Ok(vector_obj([old, a[1]]))
    });
    core("compare-and-set!", 3, 3, |_, a| {
        if !atom_state(&a[0])?.value.get().identical(a[1]) {
            return Ok(boolean(false));
        }
        set_atom(a[0], a[2])?;
        Ok(boolean(true))
    });
    core("add-watch", 3, 3, |_, a| {
        let state = reference_state(&a[0])?;
        state
            .watches
            .set(crate::core::colls::assoc(state.watches.get(), a[1], a[2])?);
        Ok(a[0])
    });
    core("remove-watch", 2, 2, |_, a| {
        let state = reference_state(&a[0])?;
        state
            .watches
            .set(crate::core::colls::dissoc(state.watches.get(), a[1])?);
        Ok(a[0])
    });
    core("set-validator!", 2, 2, |_, a| {
        let state = reference_state(&a[0])?;
        validate(a[1], state.value.get())?;
        state.validator.set(a[1]);
        Ok(nil())
    });
    core("get-validator", 1, 1, |_, a| {
        Ok(reference_state(&a[0])?.validator.get())
    });
    core("volatile!", 1, 1, |_, a| {
        Ok(alloc(Object::Volatile(Cell::new(a[0]))))
    });
    core("vreset!", 2, 2, |_, a| {
        volatile_cell(&a[0])?.set(a[1]);
        Ok(a[1])
    });
    core("vswap!", 2, VARIADIC, |_, a| {
        let cell = volatile_cell(&a[0])?;
        let new = updated(a[1], cell.get(), &a[2..])?;
        cell.set(new);
        Ok(new)
    });
    core("var-get", 1, 1, |_, a| match &*a[0] {
        Object::Var(_) => crate::var::deref(a[0]),
        _ => Err(class_cast(a[0], "clojure.lang.Var")),
    });
    core("bound?", 1, VARIADIC, |_, a| {
        for v in a {
            match &**v {
                Object::Var(_) if crate::var::is_bound(*v) => {}
                Object::Var(_) => return Ok(boolean(false)),
                _ => return Err(class_cast(*v, "clojure.lang.Var")),
            }
        }
        Ok(boolean(true))
    });
}

fn install_exceptions() {
    core("ex-info", 2, 3, |_, a| {
        if !matches!(*a[0], Object::Str(_) | Object::Nil) {
            return Err(class_cast(a[0], "java.lang.String"));
        }
        match &*a[1] {
            Object::Map(_) => {}
            Object::Nil => return Err(illegal_argument("Additional data must be non-nil.")),
            _ => return Err(class_cast(a[1], "clojure.lang.IPersistentMap")),
        }
        Ok(ex_info(a[0], a[1], a.get(2).copied().unwrap_or_else(nil)))
    });
    // `(Object.)`: a value equal only to itself.
    def("jank.runtime", "new-object", 0, 0, |_, _| {
        Ok(crate::object::alloc(Object::Plain))
    });
    // `(Exception. msg cause)` and the other Throwable constructors, which
    // the analyzer calls with the class's full name.
    def("jank.runtime", "new-throwable", 1, 3, |_, a| {
        let class = text(&a[0])?;
        let class = jank_runtime_abi::java_classes::resolve(class)
            .filter(|c| jank_runtime_abi::java_classes::is_instance("java.lang.Throwable", c))
            .ok_or_else(|| illegal_argument(format!("{class} is not a Throwable class")))?;
        let no_ctor = || illegal_argument(format!("No matching ctor found for class {class}"));
        // Throwable(cause) takes the cause's toString as its message.
        let (message, cause) = match a[1..] {
            [] => (nil(), nil()),
            [only] => match &*only {
                Object::Exception(_) => (string(str_of(only)?), only),
                Object::Str(_) | Object::Nil => (only, nil()),
                _ => return Err(no_ctor()),
            },
            [message, cause] => {
                let message_ok = matches!(&*message, Object::Str(_) | Object::Nil);
                let cause_ok = matches!(&*cause, Object::Exception(_) | Object::Nil);
                if !(message_ok && cause_ok) {
                    return Err(no_ctor());
                }
                (message, cause)
            }
            _ => unreachable!("arity 1..=3"),
        };
        Ok(alloc(Object::Exception(Box::new(Exception {
            class,
            message,
            data: None,
            cause,
            trace: std::cell::OnceCell::new(),
        }))))
    });
    core("Throwable->map", 1, 1, |_, a| throwable_map(a[0]));
    // jank's name for Throwable->map.
    core("ex-map", 1, 1, |_, a| throwable_map(a[0]));
    core("ex-message", 1, 1, |_, a| {
        Ok(exception(&a[0]).map_or_else(nil, |e| e.message))
    });
    core("ex-data", 1, 1, |_, a| {
        Ok(exception(&a[0]).and_then(|e| e.data).unwrap_or_else(nil))
    });
    core("ex-cause", 1, 1, |_, a| {
        Ok(exception(&a[0]).map_or_else(nil, |e| e.cause))
    });
}

pub fn install() {
    install_predicates();
    install_uuids();
    install_hashes();
    install_names();
    install_printing();
    install_references();
    install_exceptions();
}
