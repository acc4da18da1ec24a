//! Vars and the namespace table: interning `ns/name`, roots, and the first
//! use of the table installing the native clojure.core, clojure.set,
//! clojure.string and jank.runtime vars (wasm32-unknown-unknown has no
//! constructors, so every entry point that reaches a var goes through here).
//! Vars are never removed, so they are permanent objects: the collector's
//! roots.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use crate::error::{illegal_state, R};
use crate::object::{alloc_permanent, Obj, Object, Var};

/// Every var by (namespace, name).
type VarTable = HashMap<(Box<str>, Box<str>), Obj>;

thread_local! {
    static VARS: RefCell<VarTable> = RefCell::new(HashMap::new());
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

fn ensure_runtime() {
    if !INSTALLED.with(|installed| installed.replace(true)) {
        // The native library lives as long as its vars.
        crate::gc::permanently(crate::core::install);
    }
}

/// The var `ns/name`, created unbound when missing, without installing the runtime.
pub(crate) fn intern_raw(ns: &str, name: &str) -> Obj {
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

/// The var `ns/name` if it exists.
pub fn find(ns: &str, name: &str) -> Option<Obj> {
    ensure_runtime();
    VARS.with(|vars| {
        vars.borrow()
            .get(&(Box::<str>::from(ns), Box::<str>::from(name)))
            .copied()
    })
}

fn as_var(var: &Obj) -> &Var {
    match &**var {
        Object::Var(v) => v,
        _ => unreachable!("callers pass vars"),
    }
}

/// The var's root; throws when it is unbound.
pub fn deref(var: Obj) -> R {
    let v = as_var(&var);
    v.root
        .get()
        .ok_or_else(|| illegal_state(format!("Var {} is unbound.", v.qualified())))
}

pub fn bind_root(var: Obj, value: Obj) {
    as_var(&var).root.set(Some(value));
}

pub fn is_bound(var: Obj) -> bool {
    as_var(&var).root.get().is_some()
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
