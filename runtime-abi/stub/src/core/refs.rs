//! Refs and transactions (`ref`, `dosync`, `alter`, `commute`, `ref-set`,
//! `ensure`, `io!`) for a runtime with one thread: a transaction never
//! conflicts, so it runs once. What stays of Clojure's STM is what a single
//! thread can see: a ref changes only inside a transaction, nested
//! transactions join the outermost one, validators run at commit (a failing
//! one undoes the transaction with "Invalid reference state"), watches are
//! called after commit, and a transaction that throws leaves every ref as
//! it found it.

use std::cell::RefCell;

use super::misc::{new_reference, notify_watches, reference_state, validate};
use super::{core, def, text, VARIADIC};
use crate::error::{class_cast, illegal_state, R};
use crate::function::call;
use crate::gc;
use crate::object::{nil, Atom, Obj, Object, ReferenceKind};

thread_local! {
    /// The running transaction's log: each ref it changed, with the value
    /// it had before (both retained, so a collection keeps them for the
    /// undo). None outside a transaction.
    static TRANSACTION: RefCell<Option<Vec<(Obj, Obj)>>> = const { RefCell::new(None) };
}

fn in_transaction() -> bool {
    TRANSACTION.with(|log| log.borrow().is_some())
}

fn ref_state(value: &Obj) -> R<&Atom> {
    match &**value {
        Object::Atom(state) if state.kind == ReferenceKind::Ref => Ok(state),
        _ => Err(class_cast(*value, "clojure.lang.Ref")),
    }
}

/// The ref `value` inside the running transaction.
fn transactional(value: &Obj) -> R<&Atom> {
    let state = ref_state(value)?;
    if !in_transaction() {
        return Err(illegal_state("No transaction running"));
    }
    Ok(state)
}

/// Sets a ref inside the running transaction, logging its value before the
/// transaction's first change of it.
fn set_in_transaction(reference: Obj, value: Obj) -> R {
    let state = transactional(&reference)?;
    TRANSACTION.with(|log| {
        if let Some(log) = log.borrow_mut().as_mut() {
            if !log.iter().any(|(logged, _)| logged.identical(reference)) {
                let before = state.value.get();
                gc::retain(reference);
                gc::retain(before);
                log.push((reference, before));
            }
        }
    });
    state.value.set(value);
    Ok(value)
}

/// Undoes a transaction's changes and lets go of what its log retained.
fn undo(log: &[(Obj, Obj)]) {
    for (reference, before) in log.iter().rev() {
        if let Object::Atom(state) = &**reference {
            state.value.set(*before);
        }
    }
    release(log);
}

fn release(log: &[(Obj, Obj)]) {
    for (reference, before) in log {
        gc::release(*reference);
        gc::release(*before);
    }
}

/// Runs `body` (a fn of no arguments) as a transaction, or as part of the
/// running one.
fn run_in_transaction(body: Obj) -> R {
    if in_transaction() {
        return call(body, &[]);
    }
    TRANSACTION.with(|log| *log.borrow_mut() = Some(Vec::new()));
    let result = call(body, &[]);
    let log = TRANSACTION
        .with(|log| log.borrow_mut().take())
        .unwrap_or_default();
    let value = match result {
        Ok(value) => value,
        Err(thrown) => {
            undo(&log);
            return Err(thrown);
        }
    };
    for (reference, _) in &log {
        let state = reference_state(reference)?;
        if let Err(invalid) = validate(state.validator.get(), state.value.get()) {
            undo(&log);
            return Err(invalid);
        }
    }
    let notified = log.iter().try_for_each(|(reference, before)| {
        let now = reference_state(reference)?.value.get();
        notify_watches(*reference, *before, now)
    });
    release(&log);
    notified.map(|()| value)
}

/// Between host calls no transaction is running: one a trap cut short is
/// undone.
pub fn forget_cut_transaction() {
    if let Some(log) = TRANSACTION.with(|log| log.try_borrow_mut().ok()?.take()) {
        undo(&log);
    }
}

/// `ref-min-history` and `ref-max-history`: Clojure's default bound, or
/// the ref after "setting" it.
fn history_bound(args: &[Obj], default: i64) -> R {
    ref_state(&args[0])?;
    Ok(match args.get(1) {
        Some(_) => args[0],
        None => crate::object::int(default),
    })
}

/// `(f current args...)` for `alter` and `commute`.
fn apply_to_current(reference: Obj, f: Obj, args: &[Obj]) -> R {
    let mut all = vec![transactional(&reference)?.value.get()];
    all.extend_from_slice(args);
    call(f, &all)
}

pub fn install() {
    core("ref", 1, VARIADIC, |_, a| {
        new_reference(a[0], &a[1..], ReferenceKind::Ref)
    });
    def("jank.runtime", "run-in-transaction", 1, 1, |_, a| {
        run_in_transaction(a[0])
    });
    def("jank.runtime", "check-io", 1, 1, |_, a| {
        if in_transaction() {
            return Err(illegal_state(text(&a[0])?));
        }
        Ok(nil())
    });
    core("ref-set", 2, 2, |_, a| set_in_transaction(a[0], a[1]));
    // One thread: a commute's fn sees what an alter's would, and its value
    // is the one committed.
    for name in ["alter", "commute"] {
        core(name, 2, VARIADIC, |_, a| {
            let value = apply_to_current(a[0], a[1], &a[2..])?;
            set_in_transaction(a[0], value)
        });
    }
    core("ensure", 1, 1, |_, a| Ok(transactional(&a[0])?.value.get()));
    // No history is kept: no transaction ever reads an older value.
    core("ref-history-count", 1, 1, |_, a| {
        ref_state(&a[0])?;
        Ok(crate::object::int(0))
    });
    core("ref-min-history", 1, 2, |_, a| history_bound(a, 0));
    core("ref-max-history", 1, 2, |_, a| history_bound(a, 10));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::long;
    use crate::object::int;

    #[test]
    fn a_transaction_a_trap_cut_short_is_undone() {
        let reference =
            new_reference(int(1), &[], ReferenceKind::Ref).unwrap_or_else(|_| panic!("a ref"));
        assert!(set_in_transaction(reference, int(2)).is_err());
        TRANSACTION.with(|log| *log.borrow_mut() = Some(Vec::new()));
        assert!(set_in_transaction(reference, int(2)).is_ok());
        assert!(set_in_transaction(reference, int(3)).is_ok());
        forget_cut_transaction();
        assert!(!in_transaction());
        let state = ref_state(&reference).unwrap_or_else(|_| panic!("still a ref"));
        assert!(matches!(long(state.value.get()), Ok(1)));
    }
}
