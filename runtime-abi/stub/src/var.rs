//! Vars and the namespace table: interning `ns/name`, roots, and the first
//! use of the table installing the native clojure.core, clojure.set,
//! clojure.string and jank.runtime vars (wasm32-unknown-unknown has no
//! constructors, so every entry point that reaches a var goes through here).
//! Vars are permanent objects, the collector's roots: `ns-unmap` hides
//! them and `remove-ns` takes them out of the table, never out of the heap,
//! as code compiled before may hold them. A var that patches call directly
//! has a [`DirectCalls`] record, kept current through every change of its
//! root or thread bindings.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use crate::error::{illegal_state, R};
use crate::function::{may_collect, Function, MAX_PARAMS};
pub use crate::object::Var;
use crate::object::{alloc_permanent, Obj, Object};

/// Every var by (namespace, name).
type VarTable = HashMap<(Box<str>, Box<str>), Obj>;

/// One `binding` form's vars and values.
type Frame = Vec<(Obj, Obj)>;

/// `jank_direct_calls` (jank_patch_abi.h): how a patch calls the var's fn
/// through the function table instead of through `jank_call`. Every field
/// is NULL (0) unless the var's value is a patch fn and the var has no
/// thread binding.
#[repr(C)]
pub struct DirectCalls {
    /// The count of nested fn calls ([`crate::function::call_depth`]).
    depth: *const Cell<u32>,
    /// The var's value.
    function: Cell<Option<Obj>>,
    /// Fixed arity N of a fn made by `jank_make_fn`: `f(self, p0..pN-1)`.
    with_self: [Cell<usize>; MAX_PARAMS + 1],
    /// Fixed arity N of a seed-style fn: `f(p0..pN-1)`.
    plain: [Cell<usize>; MAX_PARAMS + 1],
}

impl DirectCalls {
    /// Points every call at `jank_call`.
    fn clear(&self) {
        self.function.set(None);
        for slot in self.with_self.iter().chain(&self.plain) {
            slot.set(0);
        }
    }

    /// Describes `value`, the var's value now.
    fn describe(&self, value: Obj) {
        self.clear();
        let Object::Fn(function) = &*value else {
            return;
        };
        match &**function {
            Function::Patch { desc, .. } => {
                for arity in Function::arities(*desc) {
                    let slot = usize::try_from(arity.param_count)
                        .ok()
                        .and_then(|n| self.with_self.get(n));
                    if let (0, Some(slot)) = (arity.variadic, slot) {
                        // The first arity of a count is the one `call` takes.
                        if slot.get() == 0 {
                            slot.set(arity.fn_ptr as usize);
                        }
                    }
                }
            }
            Function::Wrapper { fn_ptr, arity, .. } => {
                if let Some(slot) = self.plain.get(*arity) {
                    slot.set(*fn_ptr as usize);
                }
            }
            Function::Native { .. } => return,
        }
        self.function.set(Some(value));
    }
}

thread_local! {
    /// The direct-call record of each var patches asked for, by the var's address.
    static DIRECT_CALLS: RefCell<HashMap<usize, &'static DirectCalls>> =
        RefCell::new(HashMap::new());
    static VARS: RefCell<VarTable> = RefCell::new(HashMap::new());
    /// Thread bindings of dynamic vars, innermost frame last.
    static BINDINGS: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
    /// How many of the outermost frames are the session's
    /// (`push_session_bindings`), which no `pop-thread-bindings` removes.
    static SESSION_FRAMES: Cell<usize> = const { Cell::new(0) };
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
    /// The addresses of the quiet vars (`is_quiet`), sorted.
    static QUIET: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// Vars `ns-unmap` took away from their namespace until interned again
    /// (a def): the var object stays in the table, so code loaded with it and
    /// a later def share it.
    static UNMAPPED: RefCell<HashSet<(Box<str>, Box<str>)>> = RefCell::new(HashSet::new());
}

fn ensure_runtime() {
    if !INSTALLED.with(|installed| installed.replace(true)) {
        // The native library lives as long as its vars.
        crate::gc::permanently(crate::core::install);
        let mut quiet: Vec<usize> = VARS.with(|vars| {
            vars.borrow()
                .values()
                .filter(|var| {
                    as_var(var)
                        .root
                        .get()
                        .is_some_and(|root| !may_collect(root))
                })
                .map(|var| var.addr())
                .collect()
        });
        quiet.sort_unstable();
        QUIET.with(|cell| *cell.borrow_mut() = quiet);
    }
}

/// Whether `var` is quiet: a runtime var whose root was a native that never
/// collects when the runtime started (runtime_vars.txt lists it without
/// `collects`). Patches keep no roots across their calls through it.
fn is_quiet(var: Obj) -> bool {
    QUIET.with(|quiet| quiet.borrow().binary_search(&var.addr()).is_ok())
}

/// Whether a call of `callable` from a patch must run with collection
/// inhibited: a quiet var that now holds something that may collect (it was
/// redefined, or is bound). A quiet var holding its native needs nothing
/// more: that native runs inhibited anyway.
pub fn call_must_not_collect(callable: Obj) -> bool {
    matches!(&*callable, Object::Var(_))
        && current(callable).is_some_and(may_collect)
        && is_quiet(callable)
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
    let bound: Vec<Obj> = frame.iter().map(|(var, _)| *var).collect();
    BINDINGS.with(|frames| frames.borrow_mut().push(frame));
    bound.into_iter().for_each(refresh_direct_calls);
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

/// Binds the vars of `frame` for the whole session, under every frame
/// `push_bindings` pushes, as clojure.main binds its vars around a script.
pub fn push_session_bindings(frame: Frame) {
    push_bindings(frame);
    SESSION_FRAMES.with(|count| count.set(count.get() + 1));
}

/// `pop-thread-bindings`: false when no frame was pushed.
pub fn pop_bindings() -> bool {
    let session = SESSION_FRAMES.with(Cell::get);
    let popped = BINDINGS.with(|frames| {
        let mut frames = frames.borrow_mut();
        if frames.len() > session {
            frames.pop()
        } else {
            None
        }
    });
    match popped {
        Some(frame) => {
            frame
                .into_iter()
                .for_each(|(var, _)| refresh_direct_calls(var));
            true
        }
        None => false,
    }
}

/// A record that sends every call to `jank_call`.
fn empty_direct_calls() -> &'static DirectCalls {
    Box::leak(Box::new(DirectCalls {
        depth: crate::function::call_depth(),
        function: Cell::new(None),
        with_self: Default::default(),
        plain: Default::default(),
    }))
}

/// The direct-call record of `var` (`jank_var_direct_calls`), made on the
/// first request; it lives as long as the var, for ever. Anything but a var
/// gets a record that is always empty.
pub fn direct_calls(var: Obj) -> &'static DirectCalls {
    thread_local! {
        static NOT_A_VAR: &'static DirectCalls = empty_direct_calls();
    }
    if !matches!(*var, Object::Var(_)) {
        return NOT_A_VAR.with(|record| *record);
    }
    if let Some(record) = DIRECT_CALLS.with(|table| table.borrow().get(&var.addr()).copied()) {
        return record;
    }
    let record = empty_direct_calls();
    DIRECT_CALLS.with(|table| table.borrow_mut().insert(var.addr(), record));
    refresh_direct_calls(var);
    record
}

/// Brings `var`'s direct-call record, if it has one, up to date: after any
/// change of its root or of its thread bindings, before the next call.
fn refresh_direct_calls(var: Obj) {
    let Some(record) = DIRECT_CALLS.with(|table| table.borrow().get(&var.addr()).copied()) else {
        return;
    };
    match as_var(&var).root.get() {
        Some(root) if thread_binding(var).is_none() => record.describe(root),
        _ => record.clear(),
    }
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
    refresh_direct_calls(var);
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

/// Every bound var as `ns/name`, followed by ` collects` when a call
/// through it may collect (not `is_quiet`), sorted (what runtime_vars.txt
/// lists).
#[cfg(test)]
pub fn bound_names() -> Vec<String> {
    ensure_runtime();
    let mut names: Vec<String> = VARS.with(|vars| {
        vars.borrow()
            .values()
            .filter(|v| is_bound(**v))
            .map(|v| {
                let marker = if is_quiet(*v) { "" } else { " collects" };
                format!("{}{marker}", as_var(v).qualified())
            })
            .collect()
    });
    names.sort();
    names
}
