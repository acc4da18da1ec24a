//! Dynamic scope: `push-thread-bindings`/`pop-thread-bindings` (what
//! `binding` expands to; only a var whose metadata says `:dynamic` may be
//! bound), `with-redefs-fn` (what `with-redefs` expands to: roots replaced
//! for the call, restored after it even when it throws), `bound?`,
//! `thread-bound?`, `get-thread-bindings`, `bound-fn*`, `with-bindings*` (what
//! `with-bindings` expands to)
//! and `jank.runtime/with-out-str-fn` (what `with-out-str`
//! expands to).

use super::colls::get;
use super::{core, def, VARIADIC};
use crate::coll::{map_obj, Map};
use crate::error::{class_cast, illegal_state, R};
use crate::function::call;
use crate::object::{alloc, boolean, keyword, nil, string, truthy, DelayState, Obj, Object};
use crate::var;
use std::cell::RefCell;

fn var_arg(value: Obj) -> R<Obj> {
    match &*value {
        Object::Var(_) => Ok(value),
        _ => Err(class_cast(value, "clojure.lang.Var")),
    }
}

fn entries(map: Obj) -> R<Vec<(Obj, Obj)>> {
    match &*map {
        Object::Map(m) => m
            .entries()
            .into_iter()
            .map(|(k, v)| Ok((var_arg(k)?, v)))
            .collect(),
        Object::Nil => Ok(Vec::new()),
        _ => Err(class_cast(map, "clojure.lang.Associative")),
    }
}

fn push_thread_bindings(map: Obj) -> R {
    let frame = entries(map)?;
    for (the_var, _) in &frame {
        let dynamic = get(
            crate::meta::meta(*the_var)?,
            keyword(None, "dynamic"),
            nil(),
        )?;
        if !truthy(dynamic) {
            let Object::Var(v) = &**the_var else {
                return Err(class_cast(*the_var, "clojure.lang.Var"));
            };
            return Err(illegal_state(format!(
                "Can't dynamically bind non-dynamic var: {}",
                v.qualified()
            )));
        }
    }
    var::push_bindings(frame);
    Ok(nil())
}

fn with_redefs_fn(map: Obj, thunk: Obj) -> R {
    let redefs = entries(map)?;
    let saved: Vec<(Obj, Option<Obj>)> = redefs
        .iter()
        .map(|(the_var, _)| {
            let Object::Var(v) = &**the_var else {
                return (*the_var, None);
            };
            (*the_var, v.root.get())
        })
        .collect();
    for (the_var, value) in &redefs {
        var::bind_root(*the_var, *value);
    }
    let result = call(thunk, &[]);
    for (the_var, root) in saved {
        if let (Object::Var(_), Some(root)) = (&*the_var, root) {
            var::bind_root(the_var, root);
        }
    }
    result
}

/// `f`, run with the thread bindings in force now (`bound-fn*`).
fn bound_fn(f: Obj) -> R {
    let bindings = map_obj(Map::from_pairs(var::thread_bindings(), false)?);
    Ok(crate::function::native(
        "clojure.core/bound-fn*",
        0,
        VARIADIC,
        &[bindings, f],
        |captured, args| {
            push_thread_bindings(captured[0])?;
            let result = call(captured[1], args);
            var::pop_bindings();
            result
        },
    ))
}

pub fn install() {
    core("push-thread-bindings", 1, 1, |_, a| {
        push_thread_bindings(a[0])
    });
    core("pop-thread-bindings", 0, 0, |_, _| {
        if var::pop_bindings() {
            Ok(nil())
        } else {
            Err(illegal_state("Pop without matching push"))
        }
    });
    core("with-redefs-fn", 2, 2, |_, a| with_redefs_fn(a[0], a[1]));
    core("var-set", 2, 2, |_, a| match &*a[0] {
        Object::Var(_) => var::set_thread_binding(a[0], a[1]),
        _ => Err(class_cast(a[0], "clojure.lang.Var")),
    });
    core("thread-bound?", 0, VARIADIC, |_, a| {
        for the_var in a {
            if var::thread_binding(var_arg(*the_var)?).is_none() {
                return Ok(boolean(false));
            }
        }
        Ok(boolean(true))
    });
    core("get-thread-bindings", 0, 0, |_, _| {
        Ok(map_obj(Map::from_pairs(var::thread_bindings(), false)?))
    });
    core("with-bindings*", 2, VARIADIC, |_, a| {
        push_thread_bindings(a[0])?;
        let result = call(a[1], &a[2..]);
        var::pop_bindings();
        result
    });
    core("bound-fn*", 1, 1, |_, a| bound_fn(a[0]));
    // A page has one thread, so a future runs its body at once, with the
    // caller's bindings conveyed as Clojure's future conveys them; deref
    // gives its value, or throws what it threw, each time (a forced delay).
    core("future-call", 1, 1, |_, a| {
        let future = alloc(Object::Delay(RefCell::new(DelayState::Pending(bound_fn(
            a[0],
        )?))));
        // What the body threw is kept for deref, not thrown here.
        let _ = super::misc::force(future);
        Ok(future)
    });
    core("bound?", 1, VARIADIC, |_, a| {
        for the_var in a {
            if var::current(var_arg(*the_var)?).is_none() {
                return Ok(boolean(false));
            }
        }
        Ok(boolean(true))
    });
    def("jank.runtime", "with-out-str-fn", 1, 1, |_, a| {
        let (result, printed) = crate::io::capture_out(|| call(a[0], &[]));
        result.map(|_| string(printed))
    });
}
