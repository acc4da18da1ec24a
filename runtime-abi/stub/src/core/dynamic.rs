//! Dynamic scope: `push-thread-bindings`/`pop-thread-bindings` (what
//! `binding` expands to; only a var whose metadata says `:dynamic` may be
//! bound), `with-redefs-fn` (what `with-redefs` expands to: roots replaced
//! for the call, restored after it even when it throws), `bound?`,
//! `thread-bound?`, `get-thread-bindings`, `bound-fn*`, `with-bindings*` (what
//! `with-bindings` expands to)
//! and `jank.runtime/with-out-str-fn` (what `with-out-str`
//! expands to), local vars (`with-local-vars`, `var-set`) and the standard
//! dynamic vars (`*out*`, `*err*`, `*in*`, `*print-readably*`, ...).

use super::colls::get;
use super::{core, def, def_collecting, VARIADIC};
use crate::coll::{map_obj, Map};
use crate::error::{class_cast, illegal_state, R};
use crate::function::call;
use crate::gc::RootFrame;
use crate::object::{
    alloc, boolean, int, keyword, nil, string, truthy, DelayState, Obj, Object, Stream,
};
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
    // `*out*` is the page's output while the body runs, even inside
    // `(binding [*out* *err*] ...)`, as Clojure binds it to the string's writer.
    // The body may run long: it collects, with the body's fn rooted.
    def_collecting("jank.runtime", "with-out-str-fn", 1, 1, |_, a| {
        let _body = RootFrame::new(&[a[0]]);
        let (result, printed) = with_out_str(|| call(a[0], &[]));
        result.map(|_| string(printed))
    });
    core("var-set", 2, 2, |_, a| var_set(a[0], a[1]));
    // `(.close x)` as `with-open` calls it: the page's streams are the only
    // closeable values, and stay open (the host owns them); anything else
    // has no close method, as on the JVM.
    def("jank.runtime", "close", 1, 1, |_, a| match &*a[0] {
        Object::Stream(_) => Ok(nil()),
        Object::Nil => Err(crate::error::error(
            "java.lang.NullPointerException",
            "Cannot invoke \"Object.getClass()\" because \"target\" is null",
        )),
        object => Err(crate::error::illegal_argument(format!(
            "No matching field found: close for class {}",
            object.class_name()
        ))),
    });
    def("jank.runtime", "local-var", 0, 0, |_, _| local_var());
    install_standard_vars();
}

/// `(var-set v value)`: sets `v`'s innermost thread binding, as Var.set
/// does; a var without one cannot be set.
fn var_set(the_var: Obj, value: Obj) -> R {
    let Object::Var(v) = &*var_arg(the_var)? else {
        unreachable!("var_arg returns vars")
    };
    if var::set_binding(the_var, value) {
        return Ok(value);
    }
    let name = if v.ns.is_empty() {
        "--unnamed--".to_string()
    } else {
        v.name.to_string()
    };
    Err(illegal_state(format!(
        "Can't change/establish root binding of: {name} with set"
    )))
}

/// An unnamed dynamic var for `with-local-vars` (Clojure's `Var/create`):
/// no namespace, no root, printed `#<Var: --unnamed-->`.
fn local_var() -> R {
    let made = alloc(Object::Var(var::Var {
        ns: "".into(),
        name: "".into(),
        root: std::cell::Cell::new(None),
    }));
    crate::meta::reset_meta(made, dynamic_meta()?)?;
    Ok(made)
}

fn dynamic_meta() -> R {
    Ok(map_obj(Map::from_pairs(
        vec![(keyword(None, "dynamic"), boolean(true))],
        true,
    )?))
}

thread_local! {
    /// The roots of `*out*`, `*err*` and `*in*`.
    static STREAMS: [Obj; 3] = [Stream::Out, Stream::Err, Stream::In]
        .map(|stream| crate::object::alloc_permanent(Object::Stream(stream)));
}

/// Runs `body` as `with-out-str` does: `*out*` bound to a string's
/// writer, which is the page's output here, captured.
pub(crate) fn with_out_str<T>(body: impl FnOnce() -> T) -> (T, String) {
    let out = var::intern("clojure.core", "*out*");
    var::push_bindings(vec![(out, standard_stream(Stream::Out))]);
    let captured = crate::io::capture_out(body);
    var::pop_bindings();
    captured
}

fn standard_stream(stream: Stream) -> Obj {
    STREAMS.with(|streams| streams[stream as usize])
}

/// The vars clojure.main binds (its `with-bindings`) around a script or a
/// REPL session, which is why `(set! *print-length* 10)` or `(set!
/// *warn-on-reflection* true)` works at the top of a file: the runtime
/// keeps them bound in a frame under every other, with their roots as
/// values (`*print-namespace-maps*` true).
const CLOJURE_MAIN_BINDINGS: [&str; 10] = [
    "*math-context*",
    "*print-meta*",
    "*print-length*",
    "*print-level*",
    "*print-namespace-maps*",
    "*data-readers*",
    "*default-data-reader-fn*",
    "*command-line-args*",
    "*unchecked-math*",
    "*warn-on-reflection*",
];

/// `{:major 1, :minor 11, :incremental 1, :qualifier nil}`: the Clojure
/// whose semantics the runtime follows (`clojure-version` says "1.11.1").
fn clojure_version() -> Obj {
    let keyword = |name| keyword(None, name);
    let parts = [
        (keyword("major"), int(1)),
        (keyword("minor"), int(11)),
        (keyword("incremental"), int(1)),
        (keyword("qualifier"), nil()),
    ];
    // Four distinct keywords: building the array map cannot fail.
    map_obj(Map::from_pairs(parts, true).unwrap_or_else(|_| Map::empty()))
}

/// clojure.core's standard dynamic vars with their JVM roots. `*out*` and
/// `*err*` are the page's output and error output (binding `*out*` to
/// `*err*` sends printing there), `*in*` its input (`read-line`); the
/// printing and reading flags are read by `pr` and `read-string`.
fn install_standard_vars() {
    let roots = [
        ("*out*", standard_stream(Stream::Out)),
        ("*err*", standard_stream(Stream::Err)),
        ("*in*", standard_stream(Stream::In)),
        ("*flush-on-newline*", boolean(true)),
        ("*print-meta*", boolean(false)),
        ("*print-readably*", boolean(true)),
        ("*read-eval*", boolean(true)),
        ("*unchecked-math*", boolean(false)),
        ("*data-readers*", map_obj(Map::empty())),
        ("*default-data-reader-fn*", nil()),
        ("*repl*", boolean(false)),
        ("*math-context*", nil()),
        ("*print-length*", nil()),
        ("*print-level*", nil()),
        ("*print-namespace-maps*", boolean(false)),
        ("*command-line-args*", nil()),
        ("*warn-on-reflection*", boolean(false)),
        ("*clojure-version*", clojure_version()),
        // Assertions are always compiled in (`assert`, `:pre`/`:post`).
        ("*assert*", boolean(true)),
    ];
    for (name, root) in roots {
        let the_var = var::intern_raw("clojure.core", name);
        var::bind_root(the_var, root);
        // Neither step can throw: a one-key array map, metadata on a var.
        let marked = dynamic_meta().and_then(|meta| crate::meta::reset_meta(the_var, meta));
        debug_assert!(marked.is_ok(), "marking clojure.core/{name} dynamic");
    }
    let namespace_maps = var::intern_raw("clojure.core", "*print-namespace-maps*");
    let session = CLOJURE_MAIN_BINDINGS.map(|name| {
        let the_var = var::intern_raw("clojure.core", name);
        let value = if the_var.identical(namespace_maps) {
            boolean(true)
        } else {
            var::current(the_var).unwrap_or_else(nil)
        };
        (the_var, value)
    });
    var::push_session_bindings(session.to_vec());
}
