//! Values handed from one part of a program to another: `promise` and
//! `deliver`, and the tap set (`add-tap`, `remove-tap`, `tap>`). A page runs
//! one thread, so `tap>` calls each tap at once, in the order they were added
//! (Clojure hands values to a tap thread), and dereferencing a promise nobody
//! delivered is an error instead of blocking forever.

use std::cell::Cell;

use super::core;
use crate::error::{class_cast, illegal_state, R};
use crate::function::call;
use crate::object::{alloc, boolean, nil, Obj, Object};

/// The taps, oldest first, as a vector in the var `jank.runtime/taps`: vars
/// are the collector's roots, so the taps stay alive while they are set.
fn taps() -> R<Vec<Obj>> {
    crate::seq::to_vec(crate::var::deref(taps_var())?)
}

fn taps_var() -> Obj {
    crate::var::intern_raw("jank.runtime", "taps")
}

fn set_taps(taps: Vec<Obj>) {
    crate::var::bind_root(taps_var(), crate::coll::vector_obj(taps));
}

/// The value `promise` holds, or an error: nothing can deliver it while the
/// only thread waits.
pub fn deref_promise(value: Obj) -> R {
    match &*value {
        Object::Promise(cell) => cell.get().ok_or_else(|| {
            illegal_state(
                "deref of a promise that was never delivered: it would block forever (a page runs one thread)",
            )
        }),
        _ => Err(class_cast(value, "clojure.lang.IBlockingDeref")),
    }
}

/// `(deref promise timeout-ms timeout-val)`: no thread can deliver it while
/// this one waits, so an undelivered promise answers `timeout-val` at once.
pub fn deref_promise_or(value: Obj, timeout_val: Obj) -> R {
    match &*value {
        Object::Promise(cell) => Ok(cell.get().unwrap_or(timeout_val)),
        _ => Err(class_cast(value, "clojure.lang.IBlockingDeref")),
    }
}

pub(super) fn install() {
    core("promise", 0, 0, |_, _| {
        Ok(alloc(Object::Promise(Cell::new(None))))
    });
    // As Clojure: the first delivery wins and returns the promise; later
    // ones do nothing and return nil.
    // `(deliver p v)` is `(p v)`, as in Clojure.
    core("deliver", 2, 2, |_, a| call(a[0], &[a[1]]));
    set_taps(Vec::new());
    core("add-tap", 1, 1, |_, a| {
        let mut current = taps()?;
        if !current.iter().any(|t| t.identical(a[0])) {
            current.push(a[0]);
        }
        set_taps(current);
        Ok(nil())
    });
    core("remove-tap", 1, 1, |_, a| {
        let mut current = taps()?;
        current.retain(|t| !t.identical(a[0]));
        set_taps(current);
        Ok(nil())
    });
    // A tap that throws is skipped, as Clojure's tap loop catches Throwable.
    core("tap>", 1, 1, |_, a| {
        for tap in taps()? {
            let _ = call(tap, &[a[0]]);
        }
        Ok(boolean(true))
    });
}
