//! Namespaces as the runtime sees them, for reflection (`ns-interns`,
//! `ns-publics`, `ns-refers`, `ns-map`, `ns-aliases`, `ns-resolve`,
//! `requiring-resolve`, `loaded-libs`) and change (`ns-unmap`,
//! `ns-unalias`, `remove-ns`). A namespace's vars are the var
//! table's; what only the compiler decides (aliases, referred names,
//! clojure.core names excluded, private vars, libs required) it tells the
//! runtime with `(jank.runtime/note-ns! ns aliases refers excluded privates
//! libs)` after each form that changes them (`ns`, `require`, `use`, a
//! private def).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{core, def};
use crate::coll::{map_obj, set_obj, Map, Set};
use crate::error::{class_cast, error, illegal_argument, R};
use crate::object::{alloc, nil, symbol, Obj, Object};
use crate::seq::to_vec;

/// What the compiler told the runtime of one namespace.
#[derive(Default)]
struct Facts {
    /// alias -> namespace.
    aliases: BTreeMap<Box<str>, Box<str>>,
    /// name -> (namespace, name) of a var referred by name.
    refers: BTreeMap<Box<str>, (Box<str>, Box<str>)>,
    /// clojure.core names it does not refer.
    excluded: BTreeSet<Box<str>>,
    privates: BTreeSet<Box<str>>,
    /// The libs it required.
    libs: BTreeSet<Box<str>>,
}

thread_local! {
    static FACTS: RefCell<HashMap<Box<str>, Facts>> = RefCell::new(HashMap::new());
}

/// The name of a symbol, or a class cast error.
fn symbol_name(value: Obj) -> R<(Option<Box<str>>, Box<str>)> {
    match &*value {
        Object::Symbol(n) => Ok((n.ns.clone(), n.name.clone())),
        _ => Err(class_cast(value, "clojure.lang.Symbol")),
    }
}

fn names(values: Obj) -> R<BTreeSet<Box<str>>> {
    to_vec(values)?
        .into_iter()
        .map(|value| symbol_name(value).map(|(_, name)| name))
        .collect()
}

fn map_entries(map: Obj) -> R<Vec<(Obj, Obj)>> {
    match &*map {
        Object::Map(m) => Ok(m.entries()),
        Object::Nil => Ok(Vec::new()),
        _ => Err(class_cast(map, "clojure.lang.IPersistentMap")),
    }
}

/// `(jank.runtime/note-ns! 'ns '{alias ns} '{name ns/name} '[excluded] '[privates] '[libs])`.
fn note(args: &[Obj]) -> R {
    let [ns, aliases, refers, excluded, privates, libs] = args else {
        unreachable!("arity 6")
    };
    let (_, ns) = symbol_name(*ns)?;
    let mut facts = Facts {
        excluded: names(*excluded)?,
        privates: names(*privates)?,
        libs: names(*libs)?,
        ..Facts::default()
    };
    for (alias, target) in map_entries(*aliases)? {
        facts
            .aliases
            .insert(symbol_name(alias)?.1, symbol_name(target)?.1);
    }
    for (name, var) in map_entries(*refers)? {
        let (var_ns, var_name) = symbol_name(var)?;
        facts
            .refers
            .insert(symbol_name(name)?.1, (var_ns.unwrap_or_default(), var_name));
    }
    FACTS.with(|all| all.borrow_mut().insert(ns, facts));
    Ok(nil())
}

fn with_facts<T>(ns: &str, read: impl FnOnce(&Facts) -> T) -> T {
    FACTS.with(|all| match all.borrow().get(ns) {
        Some(facts) => read(facts),
        None => read(&Facts::default()),
    })
}

/// The namespace `alias` stands for in namespace `ns` (`::alias/k`).
pub(super) fn alias_target(ns: &str, alias: &str) -> Option<String> {
    with_facts(ns, |facts| {
        facts.aliases.get(alias).map(|target| target.to_string())
    })
}

/// The name of the namespace `value` (a namespace or a symbol naming a
/// known one), as `the-ns` finds it.
fn ns_name(value: Obj) -> R<Box<str>> {
    match &*value {
        Object::Namespace(name) => Ok(name.clone()),
        Object::Symbol(n) if n.ns.is_none() && super::repl::known_namespace(&n.name) => {
            Ok(n.name.clone())
        }
        Object::Symbol(n) => Err(error(
            "java.lang.Exception",
            format!("No namespace: {} found", n.qualified()),
        )),
        _ => Err(class_cast(value, "clojure.lang.Symbol")),
    }
}

/// A map of name symbols to values, sorted by name (an array map when small,
/// as Clojure's reduce of assoc gives one).
fn symbol_map(entries: BTreeMap<Box<str>, Obj>) -> R {
    let small = entries.len() <= 8;
    Ok(map_obj(Map::from_pairs(
        entries
            .into_iter()
            .map(|(name, value)| (symbol(None, &name), value)),
        small,
    )?))
}

/// The vars interned in `ns`, by name; only the public ones when `public`.
fn interns(ns: &str, public: bool) -> BTreeMap<Box<str>, Obj> {
    let mut vars = crate::var::vars_in(ns);
    if public {
        with_facts(ns, |facts| {
            vars.retain(|name, _| !facts.privates.contains(name));
        });
    }
    vars
}

/// The vars `ns` refers to from other namespaces: clojure.core's public
/// vars (unless excluded or shadowed by its own) and the names referred.
fn refers(ns: &str) -> BTreeMap<Box<str>, Obj> {
    let own = crate::var::vars_in(ns);
    let mut found = BTreeMap::new();
    if ns != "clojure.core" {
        with_facts(ns, |facts| {
            for (name, var) in interns("clojure.core", true) {
                if !facts.excluded.contains(&name) && !own.contains_key(&name) {
                    found.insert(name, var);
                }
            }
        });
    }
    with_facts(ns, |facts| {
        for (name, (var_ns, var_name)) in &facts.refers {
            if let Some(var) = crate::var::find(var_ns, var_name) {
                found.insert(name.clone(), var);
            }
        }
    });
    found
}

/// `(ns-resolve ns sym)`: the var or class `sym` names in `ns`, or nil.
fn ns_resolve(ns: &str, name: Obj) -> R {
    let (qualifier, name) = symbol_name(name)?;
    if let Some(qualifier) = qualifier {
        let target = with_facts(ns, |facts| facts.aliases.get(&qualifier).cloned());
        let target = target.unwrap_or(qualifier);
        return Ok(crate::var::find(&target, &name).unwrap_or_else(nil));
    }
    if let Some(var) = crate::var::find(ns, &name) {
        return Ok(var);
    }
    if let Some(var) = refers(ns).remove(&name) {
        return Ok(var);
    }
    Ok(jank_runtime_abi::java_classes::resolve(&name)
        .map_or_else(nil, |class| alloc(Object::Class(class))))
}

/// `(requiring-resolve 'ns/name)`: the var, once its namespace is loaded. A
/// page cannot load code when it runs, so the namespace must have been
/// required (its patch loaded) before.
fn requiring_resolve(name: Obj) -> R {
    let Object::Symbol(crate::object::Named {
        ns: Some(ns),
        name: var_name,
    }) = &*name
    else {
        return Err(illegal_argument(format!(
            "Not a qualified symbol: {}",
            crate::print::str_of(name)?
        )));
    };
    if !super::repl::known_namespace(ns) {
        let path = ns.replace('.', "/").replace('-', "_");
        return Err(error(
            "java.io.FileNotFoundException",
            format!("Could not locate {path}__init.class, {path}.clj or {path}.cljc on classpath."),
        ));
    }
    Ok(crate::var::find(ns, var_name).unwrap_or_else(nil))
}

/// `(loaded-libs)`: the libs required so far, as a sorted set of symbols.
fn loaded_libs() -> R {
    let libs: BTreeSet<Box<str>> = FACTS.with(|all| {
        all.borrow()
            .values()
            .flat_map(|facts| facts.libs.iter().cloned())
            .collect()
    });
    let mut set = Set::sorted(None);
    for lib in libs {
        set.insert(symbol(None, &lib))?;
    }
    Ok(set_obj(set))
}

pub(super) fn install() {
    def("jank.runtime", "note-ns!", 6, 6, |_, a| note(a));
    core("ns-interns", 1, 1, |_, a| {
        symbol_map(interns(&ns_name(a[0])?, false))
    });
    core("ns-publics", 1, 1, |_, a| {
        symbol_map(interns(&ns_name(a[0])?, true))
    });
    core("ns-refers", 1, 1, |_, a| {
        symbol_map(refers(&ns_name(a[0])?))
    });
    core("ns-map", 1, 1, |_, a| {
        let ns = ns_name(a[0])?;
        let mut all = refers(&ns);
        all.extend(interns(&ns, false));
        symbol_map(all)
    });
    core("ns-aliases", 1, 1, |_, a| {
        let ns = ns_name(a[0])?;
        let aliases = with_facts(&ns, |facts| facts.aliases.clone());
        symbol_map(
            aliases
                .into_iter()
                .map(|(alias, target)| (alias, super::repl::namespace(&target)))
                .collect(),
        )
    });
    // `(ns-resolve ns sym)` / `(ns-resolve ns env sym)`: nil for a name `env` binds.
    core("ns-resolve", 2, 3, |_, a| {
        let ns = ns_name(a[0])?;
        if let [_, env, name] = a {
            if super::colls::contains(*env, *name)? {
                return Ok(nil());
            }
            return ns_resolve(&ns, *name);
        }
        ns_resolve(&ns, a[1])
    });
    core("requiring-resolve", 1, 1, |_, a| requiring_resolve(a[0]));
    // `(ns-unmap ns name)`: name no longer maps to its var in ns (the var
    // itself lives on where it is referenced).
    core("ns-unmap", 2, 2, |_, a| {
        let ns = ns_name(a[0])?;
        let (_, name) = symbol_name(a[1])?;
        if !crate::var::unmap(&ns, &name) {
            FACTS.with(|all| {
                let mut all = all.borrow_mut();
                let facts = all.entry(ns).or_default();
                if facts.refers.remove(&name).is_none() {
                    facts.excluded.insert(name);
                }
            });
        }
        Ok(nil())
    });
    core("ns-unalias", 2, 2, |_, a| {
        let ns = ns_name(a[0])?;
        let (_, alias) = symbol_name(a[1])?;
        FACTS.with(|all| {
            if let Some(facts) = all.borrow_mut().get_mut(&ns) {
                facts.aliases.remove(&alias);
            }
        });
        Ok(nil())
    });
    // `(remove-ns 'ns)`: the namespace it removed, nil when there was none.
    core("remove-ns", 1, 1, |_, a| {
        let (_, ns) = symbol_name(a[0])?;
        if &*ns == "clojure.core" {
            return Err(illegal_argument("Cannot remove clojure namespace"));
        }
        if !super::repl::known_namespace(&ns) {
            return Ok(nil());
        }
        let removed = super::repl::namespace(&ns);
        super::repl::forget_namespace(&ns);
        crate::var::remove_namespace(&ns);
        FACTS.with(|all| all.borrow_mut().remove(&ns));
        Ok(removed)
    });
    core("loaded-libs", 0, 0, |_, _| loaded_libs());
}
