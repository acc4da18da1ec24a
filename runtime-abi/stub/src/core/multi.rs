//! Hierarchies and multimethods, following clojure/core.clj and
//! clojure.lang.MultiFn: `make-hierarchy`, `derive`, `underive`, `isa?`,
//! `parents`, `ancestors`, `descendants` over `{:parents :ancestors
//! :descendants}` maps (the global one in `clojure.core/global-hierarchy`),
//! and multimethods: `defmulti`'s `jank.runtime/defmulti*` (a re-evaluated
//! defmulti keeps its methods), `defmethod`'s `jank.runtime/add-method`,
//! `get-method`, `methods`, `remove-method`, `remove-all-methods`,
//! `prefer-method` and `prefers`. A class is a child of its supers
//! (`isa?`, `parents`, `ancestors`, `supers`, `class?`).

use std::cell::Cell;

use super::colls::{assoc, conj, contains, count, disj, dissoc, get};
use super::{core, def, VARIADIC};
use crate::coll::{map_obj, set_obj, Map, Set};
use crate::equality::equiv;
use crate::error::{error, illegal_argument, R};
use crate::function::call;
use crate::object::{alloc, boolean, keyword, nil, Obj, Object};
use crate::print::{pr_str, str_of};
use crate::seq::{to_vec, SeqIter};
use crate::var;

/// A multimethod: its dispatch fn, default dispatch value, hierarchy (a
/// reference to deref at each call), and its method and preference tables.
pub struct MultiFn {
    pub name: Box<str>,
    pub dispatch: Obj,
    pub default: Obj,
    pub hierarchy: Obj,
    /// dispatch value -> method fn (a hash map, as Clojure's).
    pub methods: Cell<Obj>,
    /// dispatch value -> set of dispatch values it is preferred to.
    pub prefers: Cell<Obj>,
}

fn kw(name: &str) -> Obj {
    keyword(None, name)
}

fn empty_hash_map() -> Obj {
    map_obj(Map::from_pairs([], false).unwrap_or_else(|_| Map::empty()))
}

fn make_hierarchy() -> R {
    let mut map = Map::empty();
    for part in ["parents", "descendants", "ancestors"] {
        map.insert(kw(part), map_obj(Map::empty()))?;
    }
    Ok(map_obj(map))
}

fn global_hierarchy_var() -> Obj {
    var::intern("clojure.core", "global-hierarchy")
}

fn global_hierarchy() -> R {
    var::deref(global_hierarchy_var())
}

/// `((part h) tag)`.
fn lookup(h: Obj, part: &str, tag: Obj) -> R {
    get(get(h, kw(part), nil())?, tag, nil())
}

/// `(isa? h child parent)`.
fn isa(h: Obj, child: Obj, parent: Obj) -> R<bool> {
    if equiv(child, parent)? || contains(lookup(h, "ancestors", child)?, parent)? {
        return Ok(true);
    }
    // A class is a child of its supers, and of what the hierarchy derives
    // from any of them.
    if let Object::Class(class) = &*child {
        if let Object::Class(super_class) = &*parent {
            if crate::record::is_instance(super_class, class) {
                return Ok(true);
            }
        }
        for super_name in crate::record::lineage(class).into_iter().skip(1) {
            let ancestors = lookup(h, "ancestors", super::classes::class_value(super_name))?;
            if contains(ancestors, parent)? {
                return Ok(true);
            }
        }
    }
    if let (Object::Vector(c), Object::Vector(p)) = (&*child, &*parent) {
        if c.0.len() == p.0.len() {
            for (x, y) in c.0.iter().zip(p.0.iter()) {
                if !isa(h, *x, *y)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
    }
    Ok(false)
}

fn not_empty(coll: Obj) -> R {
    Ok(if coll.is_nil() || count(coll)? == 0 {
        nil()
    } else {
        coll
    })
}

/// `(reduce conj set items)`.
fn conj_all(set: Obj, items: impl IntoIterator<Item = Obj>) -> R {
    items.into_iter().try_fold(set, conj)
}

/// core.clj's `tf` inside `derive`: every one of `source` and its `sources`
/// gets `target` and `target`'s `targets`.
fn propagate(m: Obj, source: Obj, sources: Obj, target: Obj, targets: Obj) -> R {
    let mut result = m;
    let mut keys = vec![source];
    keys.extend(to_vec(get(sources, source, nil())?)?);
    for k in keys {
        let mut added = vec![target];
        added.extend(to_vec(get(targets, target, nil())?)?);
        let current = get(targets, k, set_obj(Set::empty()))?;
        result = assoc(result, k, conj_all(current, added)?)?;
    }
    Ok(result)
}

fn assertion(expression: &str) -> crate::error::Thrown {
    error(
        "java.lang.AssertionError",
        format!("Assert failed: {expression}"),
    )
}

/// `(derive h tag parent)`.
fn derive(h: Obj, tag: Obj, parent: Obj) -> R {
    if equiv(tag, parent)? {
        return Err(assertion("(not= tag parent)"));
    }
    if !is_class_or_named(tag) {
        return Err(assertion(
            "(or (class? tag) (instance? clojure.lang.Named tag))",
        ));
    }
    if !is_named(parent) {
        return Err(assertion("(instance? clojure.lang.Named parent)"));
    }
    let tp = get(h, kw("parents"), nil())?;
    let td = get(h, kw("descendants"), nil())?;
    let ta = get(h, kw("ancestors"), nil())?;
    if contains(get(tp, tag, nil())?, parent)? {
        return Ok(h);
    }
    if contains(get(ta, tag, nil())?, parent)? {
        return Err(error(
            "java.lang.Exception",
            format!(
                "{} already has {} as ancestor",
                str_of(tag)?,
                str_of(parent)?
            ),
        ));
    }
    if contains(get(ta, parent, nil())?, tag)? {
        return Err(error(
            "java.lang.Exception",
            format!(
                "Cyclic derivation: {} has {} as ancestor",
                str_of(parent)?,
                str_of(tag)?
            ),
        ));
    }
    let parents = conj(get(tp, tag, set_obj(Set::empty()))?, parent)?;
    let mut map = Map::empty();
    map.insert(kw("parents"), assoc(tp, tag, parents)?)?;
    map.insert(kw("ancestors"), propagate(ta, tag, td, parent, ta)?)?;
    map.insert(kw("descendants"), propagate(td, parent, ta, tag, td)?)?;
    Ok(map_obj(map))
}

/// `(underive h tag parent)`: the hierarchy rebuilt from the remaining
/// parent links, as core.clj does.
fn underive(h: Obj, tag: Obj, parent: Obj) -> R {
    let parent_map = get(h, kw("parents"), nil())?;
    // Clojure calls `(parentMap tag)`: a value without :parents throws.
    let tag_parents = crate::function::call(parent_map, &[tag])?;
    if !contains(tag_parents, parent)? {
        return Ok(h);
    }
    let remaining = disj(tag_parents, parent)?;
    let new_parents = if count(remaining)? > 0 {
        assoc(parent_map, tag, remaining)?
    } else {
        dissoc(parent_map, tag)?
    };
    let mut result = make_hierarchy()?;
    for entry in SeqIter::new(new_parents) {
        let entry = entry?;
        let child = super::colls::nth(entry, crate::object::int(0), None)?;
        for each in SeqIter::new(super::colls::nth(entry, crate::object::int(1), None)?) {
            result = derive(result, child, each?)?;
        }
    }
    Ok(result)
}

/// A keyword or a symbol (clojure.lang.Named); strings are not.
fn is_named(value: Obj) -> bool {
    matches!(&*value, Object::Keyword(_) | Object::Symbol(_))
}

/// What derive takes as a child: a class, or a Named tag.
fn is_class_or_named(value: Obj) -> bool {
    matches!(&*value, Object::Class(_)) || is_named(value)
}

/// A class's supers, as `supers` gives them (nil for none). The class
/// tables list every super, not which are direct, so `parents` of a class
/// gives them all too.
fn class_supers(value: Obj) -> Option<Vec<Obj>> {
    let Object::Class(class) = &*value else {
        return None;
    };
    let supers: Vec<Obj> = crate::record::lineage(class)
        .into_iter()
        .skip(1)
        .map(super::classes::class_value)
        .collect();
    Some(supers)
}

/// `(parents h tag)`/`(ancestors h tag)`: the hierarchy's, and for a class
/// its supers too (and, for ancestors, what the hierarchy derives them from).
fn parents_or_ancestors(h: Obj, tag: Obj, part: &str) -> R {
    let derived = lookup(h, part, tag)?;
    let Some(supers) = class_supers(tag) else {
        return not_empty(derived);
    };
    let mut result = conj_all(set_obj(Set::empty()), supers.iter().copied())?;
    if part == "ancestors" {
        for each in &supers {
            result = conj_all(result, to_vec(lookup(h, part, *each)?)?)?;
        }
    }
    not_empty(conj_all(result, to_vec(derived)?)?)
}

fn is_qualified(value: Obj) -> bool {
    matches!(&*value, Object::Keyword(n) | Object::Symbol(n) if n.ns.is_some())
}

/// `(derive tag parent)` on the global hierarchy.
fn derive_global(tag: Obj, parent: Obj) -> R {
    if !is_qualified(parent) {
        return Err(assertion("(namespace parent)"));
    }
    if !is_qualified(tag) && !matches!(&*tag, Object::Class(_)) {
        return Err(assertion(
            "(or (class? tag) (and (instance? clojure.lang.Named tag) (namespace tag)))",
        ));
    }
    let updated = derive(global_hierarchy()?, tag, parent)?;
    var::bind_root(global_hierarchy_var(), updated);
    Ok(nil())
}

fn hierarchy_and_tag(args: &[Obj]) -> R<(Obj, Obj)> {
    Ok(match *args {
        [tag] => (global_hierarchy()?, tag),
        [h, tag] => (h, tag),
        _ => return Err(illegal_argument("expected (f tag) or (f h tag)")),
    })
}

fn as_multi(value: &Obj) -> R<&MultiFn> {
    match &**value {
        Object::MultiFn(m) => Ok(m),
        _ => Err(crate::error::class_cast(*value, "clojure.lang.MultiFn")),
    }
}

/// The multimethod's hierarchy now (its reference dereffed).
fn current_hierarchy(m: &MultiFn) -> R {
    match &*m.hierarchy {
        Object::Var(_) => var::deref(m.hierarchy),
        Object::Atom(atom) => Ok(atom.value.get()),
        _ => Ok(m.hierarchy),
    }
}

/// MultiFn.prefers: x is preferred to y directly or through parents.
fn prefers(m: &MultiFn, h: Obj, x: Obj, y: Obj) -> R<bool> {
    if contains(get(m.prefers.get(), x, nil())?, y)? {
        return Ok(true);
    }
    for p in SeqIter::new(lookup(h, "parents", y)?) {
        if prefers(m, h, x, p?)? {
            return Ok(true);
        }
    }
    for p in SeqIter::new(lookup(h, "parents", x)?) {
        if prefers(m, h, p?, y)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn dominates(m: &MultiFn, h: Obj, x: Obj, y: Obj) -> R<bool> {
    Ok(prefers(m, h, x, y)? || isa(h, x, y)?)
}

/// MultiFn.getMethod: the best method for `value`, else the default's.
fn find_method(m: &MultiFn, value: Obj) -> R<Option<Obj>> {
    let h = current_hierarchy(m)?;
    let Object::Map(table) = &*m.methods.get() else {
        return Ok(None);
    };
    let mut best: Option<(Obj, Obj)> = None;
    for (k, method) in table.entries() {
        if !isa(h, value, k)? {
            continue;
        }
        let best_key = match best {
            Some((best_key, _)) if !dominates(m, h, k, best_key)? => best_key,
            _ => {
                best = Some((k, method));
                k
            }
        };
        if !dominates(m, h, best_key, k)? {
            return Err(multiple_methods(m, value, k, best_key));
        }
    }
    match best {
        Some((_, method)) => Ok(Some(method)),
        None => table.get(m.default),
    }
}

fn multiple_methods(m: &MultiFn, value: Obj, a: Obj, b: Obj) -> crate::error::Thrown {
    let show = |v: Obj| pr_str(v).unwrap_or_default();
    illegal_argument(format!(
        "Multiple methods in multimethod '{}' match dispatch value: {} -> {} and {}, and neither is preferred",
        m.name,
        show(value),
        show(a),
        show(b)
    ))
}

/// Calls a multimethod: its dispatch fn on the arguments picks the method.
pub fn invoke(multi: Obj, args: &[Obj]) -> R {
    let m = as_multi(&multi)?;
    let value = call(m.dispatch, args)?;
    match find_method(m, value)? {
        Some(method) => call(method, args),
        None => Err(illegal_argument(format!(
            "No method in multimethod '{}' for dispatch value: {}",
            m.name,
            str_of(value)?
        ))),
    }
}

/// `(jank.runtime/defmulti* var name dispatch-fn & options)`: the var's
/// multimethod when it already holds one (re-evaluation keeps the methods),
/// else a new one.
fn defmulti(the_var: Obj, name: Obj, dispatch: Obj, options: &[Obj]) -> R {
    if var::is_bound(the_var) {
        let current = var::deref(the_var)?;
        if matches!(*current, Object::MultiFn(_)) {
            return Ok(current);
        }
    }
    if options.len() % 2 != 0 {
        return Err(illegal_argument("defmulti options must be key/value pairs"));
    }
    let mut default = kw("default");
    let mut hierarchy = global_hierarchy_var();
    for pair in options.chunks_exact(2) {
        match &*pair[0] {
            Object::Keyword(k) if k.ns.is_none() && &*k.name == "default" => default = pair[1],
            Object::Keyword(k) if k.ns.is_none() && &*k.name == "hierarchy" => hierarchy = pair[1],
            _ => {
                return Err(illegal_argument(format!(
                    "unknown defmulti option {}",
                    pr_str(pair[0])?
                )))
            }
        }
    }
    Ok(alloc(Object::MultiFn(Box::new(MultiFn {
        name: str_of(name)?.into(),
        dispatch,
        default,
        hierarchy,
        methods: Cell::new(empty_hash_map()),
        prefers: Cell::new(empty_hash_map()),
    }))))
}

fn prefer_method(multi: Obj, x: Obj, y: Obj) -> R {
    let m = as_multi(&multi)?;
    let h = current_hierarchy(m)?;
    if prefers(m, h, y, x)? {
        return Err(error(
            "java.lang.IllegalStateException",
            format!(
                "Preference conflict in multimethod '{}': {} is already preferred to {}",
                m.name,
                pr_str(y)?,
                pr_str(x)?
            ),
        ));
    }
    let preferred = conj(get(m.prefers.get(), x, set_obj(Set::empty()))?, y)?;
    m.prefers.set(assoc(m.prefers.get(), x, preferred)?);
    Ok(multi)
}

fn update_methods(multi: Obj, change: impl FnOnce(Obj) -> R) -> R {
    let m = as_multi(&multi)?;
    m.methods.set(change(m.methods.get())?);
    Ok(multi)
}

/// clojure.core/print-method's dispatch value for `value`: a keyword
/// `:type` in its metadata, else its class.
fn print_dispatch(value: Obj) -> R {
    let tagged = get(crate::meta::meta(value)?, kw("type"), nil())?;
    if matches!(&*tagged, Object::Keyword(_)) {
        return Ok(tagged);
    }
    Ok(match &*value {
        Object::Nil => nil(),
        object => super::classes::class_value(object.class_name()),
    })
}

thread_local! {
    /// clojure.core/print-method's var, which the printer consults for
    /// every value it prints (vars are permanent).
    static PRINT_METHOD_VAR: Cell<Option<Obj>> = const { Cell::new(None) };
}

fn print_method_var() -> Obj {
    PRINT_METHOD_VAR.with(|cached| {
        cached.get().unwrap_or_else(|| {
            let the_var = var::intern("clojure.core", "print-method");
            cached.set(Some(the_var));
            the_var
        })
    })
}

/// `clojure.core/print-method`, a multimethod as in Clojure: its :default
/// method prints as the runtime's printer does (to `*out*`, the only writer
/// a page has), and a `defmethod` for a type, class or `:type` tag is what
/// `pr`, `print` and `str` of a collection print that value with.
fn install_print_method() {
    let dispatch =
        crate::function::native("clojure.core/print-method/dispatch", 2, 2, &[], |_, a| {
            print_dispatch(a[0])
        });
    let default_method =
        crate::function::native("clojure.core/print-method/default", 2, 2, &[], |_, a| {
            let readably = var::current(var::intern("clojure.core", "*print-readably*"))
                .is_some_and(crate::object::truthy);
            let text = crate::print::print_values(&[a[0]], readably)?;
            super::java::write_to_writer(a[1], &text)?;
            Ok(nil())
        });
    let methods =
        assoc(empty_hash_map(), kw("default"), default_method).unwrap_or_else(|_| empty_hash_map());
    let print_method = crate::object::alloc_permanent(Object::MultiFn(Box::new(MultiFn {
        name: "clojure.core/print-method".into(),
        dispatch,
        default: kw("default"),
        hierarchy: global_hierarchy_var(),
        methods: Cell::new(methods),
        prefers: Cell::new(empty_hash_map()),
    })));
    var::bind_root(print_method_var(), print_method);
}

/// The print-method a `defmethod` gave `value`'s dispatch value, if any
/// (None when only the :default method applies, which is the printer's own
/// printing).
pub fn user_print_method(value: Obj) -> R<Option<Obj>> {
    let multi = var::deref(print_method_var())?;
    let Object::MultiFn(m) = &*multi else {
        return Ok(None);
    };
    let table = m.methods.get();
    let Object::Map(methods) = &*table else {
        return Ok(None);
    };
    let default = methods.get(kw("default"))?;
    if methods.len() <= usize::from(default.is_some()) {
        return Ok(None);
    }
    let found = find_method(m, print_dispatch(value)?)?;
    Ok(found.filter(|method| default.is_none_or(|default| !method.identical(default))))
}

pub fn install() {
    install_print_method();
    var::bind_root(
        global_hierarchy_var(),
        make_hierarchy().unwrap_or_else(|_| nil()),
    );
    core("make-hierarchy", 0, 0, |_, _| make_hierarchy());
    core("isa?", 2, 3, |_, a| match *a {
        [child, parent] => Ok(boolean(isa(global_hierarchy()?, child, parent)?)),
        [h, child, parent] => Ok(boolean(isa(h, child, parent)?)),
        _ => Err(crate::error::arity(a.len(), "clojure.core/isa?")),
    });
    core("derive", 2, 3, |_, a| match *a {
        [tag, parent] => derive_global(tag, parent),
        [h, tag, parent] => derive(h, tag, parent),
        _ => Err(crate::error::arity(a.len(), "clojure.core/derive")),
    });
    core("underive", 2, 3, |_, a| match *a {
        [tag, parent] => {
            let updated = underive(global_hierarchy()?, tag, parent)?;
            var::bind_root(global_hierarchy_var(), updated);
            Ok(nil())
        }
        [h, tag, parent] => underive(h, tag, parent),
        _ => Err(crate::error::arity(a.len(), "clojure.core/underive")),
    });
    core("parents", 1, 2, |_, a| {
        let (h, tag) = hierarchy_and_tag(a)?;
        parents_or_ancestors(h, tag, "parents")
    });
    core("ancestors", 1, 2, |_, a| {
        let (h, tag) = hierarchy_and_tag(a)?;
        parents_or_ancestors(h, tag, "ancestors")
    });
    core("descendants", 1, 2, |_, a| {
        let (h, tag) = hierarchy_and_tag(a)?;
        if matches!(&*tag, Object::Class(_)) {
            return Err(error(
                "java.lang.UnsupportedOperationException",
                "Can't get descendants of classes",
            ));
        }
        not_empty(lookup(h, "descendants", tag)?)
    });
    core("supers", 1, 1, |_, a| match class_supers(a[0]) {
        Some(supers) if !supers.is_empty() => Ok(set_obj(Set::from_items(supers)?)),
        Some(_) => Ok(nil()),
        None => Err(crate::error::class_cast(a[0], "java.lang.Class")),
    });
    core("class?", 1, 1, |_, a| {
        Ok(boolean(matches!(&*a[0], Object::Class(_))))
    });
    def("jank.runtime", "defmulti*", 3, VARIADIC, |_, a| {
        defmulti(a[0], a[1], a[2], &a[3..])
    });
    def("jank.runtime", "add-method", 3, 3, |_, a| {
        let (value, method) = (a[1], a[2]);
        update_methods(a[0], |table| assoc(table, value, method))
    });
    core("get-method", 2, 2, |_, a| {
        Ok(find_method(as_multi(&a[0])?, a[1])?.unwrap_or_else(nil))
    });
    core("methods", 1, 1, |_, a| Ok(as_multi(&a[0])?.methods.get()));
    core("remove-method", 2, 2, |_, a| {
        let value = a[1];
        update_methods(a[0], |table| dissoc(table, value))
    });
    core("remove-all-methods", 1, 1, |_, a| {
        update_methods(a[0], |_| Ok(empty_hash_map()))
    });
    core("prefer-method", 3, 3, |_, a| {
        prefer_method(a[0], a[1], a[2])
    });
    core("prefers", 1, 1, |_, a| Ok(as_multi(&a[0])?.prefers.get()));
}
