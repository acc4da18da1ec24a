//! Vars and the namespace table: interning `ns/name`, roots, and the first
//! use of the table installing the native clojure.core, clojure.set,
//! clojure.string and jank.runtime vars (wasm32-unknown-unknown has no
//! constructors, so every entry point that reaches a var goes through here).
//! Vars are never removed, so they are permanent objects: the collector's
//! roots.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

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
