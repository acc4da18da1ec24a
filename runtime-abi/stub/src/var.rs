//! Vars and the namespace table: interning `ns/name`, roots, and the first
//! use of the table installing the native clojure.core, clojure.set,
//! clojure.string and jank.runtime vars (wasm32-unknown-unknown has no
//! constructors, so every entry point that reaches a var goes through here).
//! Vars are permanent objects, the collector's roots: `ns-unmap` hides
//! them and `remove-ns` takes them out of the table, never out of the heap,
//! as code compiled before may hold them.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use crate::error::{illegal_state, R};
pub use crate::object::Var;
use crate::object::{alloc_permanent, Obj, Object};

/// Every var by (namespace, name).
type VarTable = HashMap<(Box<str>, Box<str>), Obj>;

/// One `binding` form's vars and values.
type Frame = Vec<(Obj, Obj)>;

thread_local! {
    static VARS: RefCell<VarTable> = RefCell::new(HashMap::new());
    /// Thread bindings of dynamic vars, innermost frame last.
    static BINDINGS: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
    /// Vars `ns-unmap` took away from their namespace until interned again
    /// (a def): the var object stays in the table, so code loaded with it and
    /// a later def share it.
    static UNMAPPED: RefCell<HashSet<(Box<str>, Box<str>)>> = RefCell::new(HashSet::new());
}

fn ensure_runtime() {
    if !INSTALLED.with(|installed| installed.replace(true)) {
        // The native library lives as long as its vars.
        crate::gc::permanently(crate::core::install);
    }
}

/// The var `ns/name`, created unbound when missing, without installing the runtime.
pub(crate) fn intern_raw(ns: &str, name: &str) -> Obj {
    UNMAPPED.with(|unmapped| {
        let mut unmapped = unmapped.borrow_mut();
        if !unmapped.is_empty() {
            unmapped.remove(&(Box::<str>::from(ns), Box::<str>::from(name)));
        }
    });
    VARS.with(|vars| {
        *vars
            .borrow_mut()
            .entry((ns.into(), name.into()))
            .or_insert_with(|| {
                alloc_permanent(Object::Var(Var {
                    ns: ns.into(),
                    name: name.into(),
                    root: Cell::new(None),
                }))
            })
    })
}

/// The var `ns/name`, created unbound when missing.
pub fn intern(ns: &str, name: &str) -> Obj {
    ensure_runtime();
    intern_raw(ns, name)
}

/// The var `ns/name` if it exists (and `ns-unmap` did not take it away).
pub fn find(ns: &str, name: &str) -> Option<Obj> {
    ensure_runtime();
    let key = (Box::<str>::from(ns), Box::<str>::from(name));
    if UNMAPPED.with(|unmapped| unmapped.borrow().contains(&key)) {
        return None;
    }
    VARS.with(|vars| vars.borrow().get(&key).copied())
}

fn as_var(var: &Obj) -> &Var {
    match &**var {
        Object::Var(v) => v,
        _ => unreachable!("callers pass vars"),
    }
}

/// The var's innermost thread binding, else its root.
pub fn current(var: Obj) -> Option<Obj> {
    thread_binding(var).or_else(|| as_var(&var).root.get())
}

/// The var's innermost thread binding, if it has one.
pub fn thread_binding(var: Obj) -> Option<Obj> {
    BINDINGS.with(|frames| {
        frames.borrow().iter().rev().find_map(|frame| {
            frame
                .iter()
                .find(|(bound_var, _)| bound_var.identical(var))
                .map(|(_, value)| *value)
        })
    })
}

/// `(var-set var value)`, `set!` of a var: changes the var's innermost
/// thread binding; a var without one throws, as Clojure's Var.set does.
pub fn set_thread_binding(var: Obj, value: Obj) -> R {
    let set = BINDINGS.with(|frames| {
        let mut frames = frames.borrow_mut();
        let binding = frames.iter_mut().rev().find_map(|frame| {
            frame
                .iter_mut()
                .find(|(bound_var, _)| bound_var.identical(var))
        });
        binding.map(|binding| binding.1 = value).is_some()
    });
    if set {
        Ok(value)
    } else {
        Err(illegal_state(format!(
            "Can't change/establish root binding of: {} with set",
            as_var(&var).name
        )))
    }
}

/// Every var with a thread binding and its innermost value, outermost first.
pub fn thread_bindings() -> Vec<(Obj, Obj)> {
    let mut found: Vec<(Obj, Obj)> = Vec::new();
    BINDINGS.with(|frames| {
        for frame in frames.borrow().iter() {
            for (var, value) in frame {
                match found.iter_mut().find(|(seen, _)| seen.identical(*var)) {
                    Some(entry) => entry.1 = *value,
                    None => found.push((*var, *value)),
                }
            }
        }
    });
    found
}

/// The var's value (its thread binding, else its root); throws when unbound.
pub fn deref(var: Obj) -> R {
    current(var)
        .ok_or_else(|| illegal_state(format!("Var {} is unbound.", as_var(&var).qualified())))
}

/// `push-thread-bindings`: binds each var of `frame` (all dynamic) until the
/// matching pop.
pub fn push_bindings(frame: Frame) {
    BINDINGS.with(|frames| frames.borrow_mut().push(frame));
}

/// `var-set`: replaces the var's innermost thread binding; false when it
/// has none.
pub fn set_binding(var: Obj, value: Obj) -> bool {
    BINDINGS.with(|frames| {
        let mut frames = frames.borrow_mut();
        let bound = frames.iter_mut().rev().find_map(|frame| {
            frame
                .iter_mut()
                .find(|(bound_var, _)| bound_var.identical(var))
        });
        match bound {
            Some(binding) => {
                binding.1 = value;
                true
            }
            None => false,
        }
    })
}

/// `pop-thread-bindings`: false when no frame was pushed.
pub fn pop_bindings() -> bool {
    BINDINGS.with(|frames| frames.borrow_mut().pop().is_some())
}

/// Calls `visit` with every bound var's value (collector roots: a trap can
/// leave a frame pushed).
pub fn for_each_binding(mut visit: impl FnMut(Obj)) -> Result<(), std::cell::BorrowError> {
    BINDINGS.with(|frames| {
        for frame in frames.try_borrow()?.iter() {
            for (var, value) in frame {
                visit(*var);
                visit(*value);
            }
        }
        Ok(())
    })
}

pub fn bind_root(var: Obj, value: Obj) {
    as_var(&var).root.set(Some(value));
}

pub fn is_bound(var: Obj) -> bool {
    as_var(&var).root.get().is_some()
}

/// Whether any var lives in namespace `ns`.
pub fn namespace_has_vars(ns: &str) -> bool {
    ensure_runtime();
    VARS.with(|vars| vars.borrow().keys().any(|(var_ns, _)| &**var_ns == ns))
}

/// The namespace of every var, each once.
pub fn namespaces_with_vars() -> std::collections::BTreeSet<Box<str>> {
    ensure_runtime();
    VARS.with(|vars| vars.borrow().keys().map(|(ns, _)| ns.clone()).collect())
}

/// `ns-unmap`: takes `ns/name` away from its namespace until it is
/// interned again; false when there was no such var.
pub fn unmap(ns: &str, name: &str) -> bool {
    if find(ns, name).is_none() {
        return false;
    }
    UNMAPPED.with(|unmapped| unmapped.borrow_mut().insert((ns.into(), name.into())));
    true
}

/// `remove-ns`: takes every var of `ns` out of the table.
pub fn remove_namespace(ns: &str) {
    ensure_runtime();
    VARS.with(|vars| vars.borrow_mut().retain(|(var_ns, _), _| &**var_ns != ns));
    UNMAPPED.with(|unmapped| unmapped.borrow_mut().retain(|(var_ns, _)| &**var_ns != ns));
}

/// The vars of namespace `ns` (but those `ns-unmap` took away), by name.
pub fn vars_in(ns: &str) -> std::collections::BTreeMap<Box<str>, Obj> {
    ensure_runtime();
    let unmapped = UNMAPPED.with(|unmapped| unmapped.borrow().clone());
    VARS.with(|vars| {
        vars.borrow()
            .iter()
            .filter(|(key, _)| &*key.0 == ns && !unmapped.contains(*key))
            .map(|((_, name), var)| (name.clone(), *var))
            .collect()
    })
}

/// Every bound var as `ns/name`, sorted (what runtime_vars.txt lists).
#[cfg(test)]
pub fn bound_names() -> Vec<String> {
    ensure_runtime();
    let mut names: Vec<String> = VARS.with(|vars| {
        vars.borrow()
            .values()
            .filter(|v| is_bound(**v))
            .map(|v| as_var(v).qualified())
            .collect()
    });
    names.sort();
    names
}
