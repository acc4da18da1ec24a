//! What a REPL needs from the runtime: namespaces as values (`*ns*`,
//! `create-ns`, `the-ns`, `ns-name`), `require` at run time, each nREPL
//! session's `*1 *2 *3 *e`, `find-var` and `special-symbol?`, which `jankwasm.repl/run` keeps in a var per
//! session so the collector sees them as roots, and clojure.stacktrace.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{core, def, text, VARIADIC};
use crate::coll::vector_obj;
use crate::error::{class_cast, illegal_argument, R};
use crate::function::call;
use crate::io;
use crate::object::{alloc_permanent, boolean, nil, symbol, Obj, Object};
use crate::print::{pr_str, str_of};
use crate::var::{bind_root, deref, intern_raw, is_bound};

thread_local! {
    static NAMESPACES: RefCell<HashMap<Box<str>, Obj>> = RefCell::new(HashMap::new());
    /// The namespace each macro being expanded is expanded in (its
    /// `resolve-in` context), innermost last: `resolve` inside a macro
    /// answers as that namespace would, as Clojure's does under `*ns*`.
    /// Each entry is arguments of a running `expanding-in` call, which keep
    /// them alive.
    static EXPANSION_CONTEXTS: RefCell<Vec<[Obj; 4]>> = const { RefCell::new(Vec::new()) };
}

/// Clojure 1.11's special forms, as `special-symbol?` answers (Compiler.java's
/// `specials`), whatever subset jankwasm compiles.
const CLOJURE_SPECIAL_FORMS: &[(Option<&str>, &str)] = &[
    (None, "def"),
    (None, "loop*"),
    (None, "recur"),
    (None, "if"),
    (None, "case*"),
    (None, "let*"),
    (None, "letfn*"),
    (None, "do"),
    (None, "fn*"),
    (None, "quote"),
    (None, "var"),
    (Some("clojure.core"), "import*"),
    (None, "."),
    (None, "set!"),
    (None, "deftype*"),
    (None, "reify*"),
    (None, "try"),
    (None, "throw"),
    (None, "monitor-enter"),
    (None, "monitor-exit"),
    (None, "catch"),
    (None, "finally"),
    (None, "new"),
    (None, "&"),
];

/// Whether the runtime knows namespace `ns`: `user`, one a var lives in,
/// or one `create-ns`/`the-ns`/`*ns*` made.
pub(super) fn known_namespace(ns: &str) -> bool {
    // `user` exists from the start, as on the JVM.
    ns == "user"
        || NAMESPACES.with(|namespaces| namespaces.borrow().contains_key(ns))
        || crate::var::namespace_has_vars(ns)
}

/// `(find-var 'ns/name)`: the var, nil when the namespace has no such var
/// (a namespace is known by a var in it or by `create-ns`/`the-ns`).
fn find_var(name: Obj) -> R {
    let Object::Symbol(n) = &*name else {
        return Err(class_cast(name, "clojure.lang.Symbol"));
    };
    let Some(ns) = n.ns.as_deref() else {
        return Err(illegal_argument("Symbol must be namespace-qualified"));
    };
    if !known_namespace(ns) {
        return Err(illegal_argument(format!("No such namespace: {ns}")));
    }
    Ok(crate::var::find(ns, &n.name).unwrap_or_else(nil))
}

/// `(jank.runtime/resolve-in ns aliases refers excluded sym)`: `resolve` of
/// a symbol known only at run time, with what the compiler knew of the
/// namespace `ns` (aliases: alias -> namespace symbol; refers: name ->
/// qualified symbol; excluded: clojure.core names hidden from it). The var,
/// the class a JVM class name names, or nil.
fn resolve_in(args: &[Obj]) -> R {
    let [ns, aliases, refers, excluded, name] = args else {
        unreachable!("arity 5")
    };
    let expanding = EXPANSION_CONTEXTS.with(|contexts| contexts.borrow().last().copied());
    let [ns, aliases, refers, excluded] = match &expanding {
        Some([ns, aliases, refers, excluded]) => [ns, aliases, refers, excluded],
        None => [ns, aliases, refers, excluded],
    };
    let Object::Symbol(n) = &**name else {
        return Err(class_cast(*name, "clojure.lang.Symbol"));
    };
    let Object::Symbol(current) = &**ns else {
        return Err(class_cast(*ns, "clojure.lang.Symbol"));
    };
    let found = |ns: &str, name: &str| crate::var::find(ns, name).unwrap_or_else(nil);
    if let Some(qualifier) = n.ns.as_deref() {
        let target = super::colls::get(*aliases, symbol(None, qualifier), nil())?;
        let target = match &*target {
            Object::Symbol(t) => t.name.to_string(),
            _ => qualifier.to_string(),
        };
        return Ok(found(&target, &n.name));
    }
    if let Some(var) = crate::var::find(&current.name, &n.name) {
        return Ok(var);
    }
    if let Object::Symbol(referred) = &*super::colls::get(*refers, *name, nil())? {
        return Ok(found(referred.ns.as_deref().unwrap_or(""), &referred.name));
    }
    // A JVM class jankwasm knows resolves to the class, as in Clojure.
    if let Some(class) = jank_runtime_abi::java_classes::resolve(&n.name) {
        return Ok(super::classes::class_value(class));
    }
    let mut hidden = n.name.contains('.');
    for excluded_name in crate::seq::to_vec(*excluded)? {
        hidden |= crate::equality::equiv(excluded_name, *name)?;
    }
    if hidden {
        return Ok(nil());
    }
    Ok(found("clojure.core", &n.name))
}

/// The REPL vars, in the order a session's saved vector holds them.
const REPL_VARS: [&str; 4] = ["*1", "*2", "*3", "*e"];

/// The namespace object named `name`, one per name.
pub fn namespace(name: &str) -> Obj {
    NAMESPACES.with(|namespaces| {
        *namespaces
            .borrow_mut()
            .entry(name.into())
            .or_insert_with(|| alloc_permanent(Object::Namespace(name.into())))
    })
}

/// `remove-ns`: the namespace object named `name` is made anew if it comes back.
pub(super) fn forget_namespace(name: &str) {
    NAMESPACES.with(|namespaces| namespaces.borrow_mut().remove(name));
}

fn namespace_of(value: Obj) -> R {
    match &*value {
        Object::Namespace(_) => Ok(value),
        Object::Symbol(n) if n.ns.is_none() => Ok(namespace(&n.name)),
        _ => Err(class_cast(value, "clojure.lang.Symbol")),
    }
}

pub(super) fn install() {
    core("create-ns", 1, 1, |_, a| namespace_of(a[0]));
    core("the-ns", 1, 1, |_, a| namespace_of(a[0]));
    core("find-var", 1, 1, |_, a| find_var(a[0]));
    // `(intern ns name)` / `(intern ns name value)`: the var `name` of an
    // existing namespace, made when missing, bound to `value` when given.
    // The compiler knows only the vars it compiled, so code reaches an
    // interned var through the var itself (`var-get`, `deref`).
    core("intern", 2, 3, |_, a| {
        let ns = match &*a[0] {
            Object::Namespace(name) => name.to_string(),
            Object::Symbol(n) if n.ns.is_none() && known_namespace(&n.name) => n.name.to_string(),
            Object::Symbol(n) => {
                return Err(crate::error::error(
                    "java.lang.Exception",
                    format!("No namespace: {} found", n.qualified()),
                ))
            }
            _ => return Err(class_cast(a[0], "clojure.lang.Symbol")),
        };
        let Object::Symbol(name) = &*a[1] else {
            return Err(class_cast(a[1], "clojure.lang.Symbol"));
        };
        let var = intern_raw(&ns, &name.name);
        if let Some(value) = a.get(2) {
            bind_root(var, *value);
        }
        Ok(var)
    });
    core("find-ns", 1, 1, |_, a| match &*a[0] {
        Object::Symbol(n) if n.ns.is_none() && known_namespace(&n.name) => Ok(namespace(&n.name)),
        Object::Symbol(_) => Ok(nil()),
        _ => Err(class_cast(a[0], "clojure.lang.Symbol")),
    });
    // Sorted by name (Clojure's order is its map's).
    core("all-ns", 0, 0, |_, _| {
        let mut names = crate::var::namespaces_with_vars();
        NAMESPACES.with(|namespaces| names.extend(namespaces.borrow().keys().cloned()));
        Ok(crate::seq::seq_of(
            names.iter().map(|name| namespace(name)).collect(),
        ))
    });
    def("jank.runtime", "resolve-in", 5, 5, |_, a| resolve_in(a));
    // `(expanding-in ns aliases refers excluded macro-fn & args)`: how the
    // compiler calls a macro (see `resolve-in` for the context); the
    // expansion comes back as its printed text, metadata included.
    def("jank.runtime", "expanding-in", 5, VARIADIC, |_, a| {
        EXPANSION_CONTEXTS.with(|contexts| contexts.borrow_mut().push([a[0], a[1], a[2], a[3]]));
        let expansion = call(a[4], &a[5..]);
        EXPANSION_CONTEXTS.with(|contexts| contexts.borrow_mut().pop());
        // Printed here, with its metadata, for the compiler to read back.
        Ok(crate::object::string(crate::print::pr_str_with_meta(
            expansion?,
        )?))
    });
    core("special-symbol?", 1, 1, |_, a| {
        Ok(boolean(match &*a[0] {
            Object::Symbol(n) => CLOJURE_SPECIAL_FORMS
                .iter()
                .any(|(ns, name)| n.ns.as_deref() == *ns && n.name.as_ref() == *name),
            _ => false,
        }))
    });
    core("ns-name", 1, 1, |_, a| match &*namespace_of(a[0])? {
        Object::Namespace(name) => Ok(symbol(None, name)),
        _ => unreachable!("namespace_of returns namespaces"),
    });
    // Every namespace a form requires was compiled and pushed before the
    // form (the compiler checks `require` when it reads it), so there is
    // nothing left to load when the call runs.
    core("require", 1, super::VARIADIC, |_, _| Ok(nil()));
    for name in REPL_VARS {
        bind_root(intern_raw("clojure.core", name), nil());
    }
    def("jankwasm.repl", "run", 2, 2, |_, a| run(text(&a[0])?, a[1]));
    // `(record session value)`: what `run` does after a thunk that
    // returned `value` (a def's var, whose making cannot throw).
    def("jankwasm.repl", "record", 2, 2, |_, a| {
        record(text(&a[0])?, Ok(a[1]))?;
        Ok(a[1])
    });
}

/// Runs `thunk` for nREPL session `session`: the REPL vars hold that
/// session's values while it runs, and afterwards its value becomes `*1`
/// (or what it threw `*e`), as nREPL's session middleware does.
fn run(session: &str, thunk: Obj) -> R {
    let (_, values) = session_values(session)?;
    set_repl_vars(&values);
    let result = call(thunk, &[]);
    record(
        session,
        result
            .as_ref()
            .map(|value| *value)
            .map_err(|thrown| thrown.0),
    )?;
    result
}

/// The var keeping session `session`'s `*1 *2 *3 *e` (a root of the
/// collector), and those values.
fn session_values(session: &str) -> R<(Obj, Vec<Obj>)> {
    let saved = intern_raw("jankwasm.repl", session);
    let mut values = if is_bound(saved) {
        match &*deref(saved)? {
            Object::Vector(v) => v.0.iter().copied().collect::<Vec<Obj>>(),
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    values.resize(4, nil());
    Ok((saved, values))
}

fn set_repl_vars(values: &[Obj]) {
    for (name, value) in REPL_VARS.iter().zip(values) {
        bind_root(intern_raw("clojure.core", name), *value);
    }
}

/// Makes `outcome` session `session`'s latest: a value becomes `*1` (the
/// others move down), an exception `*e`; the REPL vars then hold that
/// session's values.
fn record(session: &str, outcome: Result<Obj, Obj>) -> R<()> {
    let (saved, mut values) = session_values(session)?;
    match outcome {
        Ok(value) => {
            values[2] = values[1];
            values[1] = values[0];
            values[0] = value;
        }
        Err(thrown) => values[3] = thrown,
    }
    set_repl_vars(&values);
    bind_root(saved, vector_obj(values));
    Ok(())
}

/// clojure.stacktrace, as Clojure 1.11 writes it: what CIDER shows in its
/// error buffer when the server has no cider-nrepl
/// (`(clojure.stacktrace/print-cause-trace *e)`). The stack of an exception
/// is the jank frames of its first throw, each a `[class method file line]`
/// vector as `Throwable->map`'s `:trace` holds them (no StackTraceElement
/// objects here), which `print-trace-element` also takes.
pub(super) fn install_stacktrace() {
    def("clojure.stacktrace", "root-cause", 1, 1, |_, a| {
        root_cause(a[0])
    });
    def("clojure.stacktrace", "print-trace-element", 1, 1, |_, a| {
        io::write(io::STDOUT, &trace_element_text(a[0])?);
        Ok(nil())
    });
    def("clojure.stacktrace", "print-throwable", 1, 1, |_, a| {
        io::write(io::STDOUT, &throwable_text(a[0])?);
        Ok(nil())
    });
    def("clojure.stacktrace", "print-stack-trace", 1, 2, |_, a| {
        io::write(io::STDOUT, &stack_trace_text(a[0], limit(a.get(1))?)?);
        Ok(nil())
    });
    def("clojure.stacktrace", "print-cause-trace", 1, 2, |_, a| {
        let limit = limit(a.get(1))?;
        let mut out = stack_trace_text(a[0], limit)?;
        let mut current = a[0];
        while let Object::Exception(e) = &*current {
            if e.cause.is_nil() {
                break;
            }
            current = e.cause;
            out.push_str("Caused by: ");
            out.push_str(&stack_trace_text(current, limit)?);
        }
        io::write(io::STDOUT, &out);
        Ok(nil())
    });
    // `(e)`: the root cause of `*e`, eight frames of it.
    def("clojure.stacktrace", "e", 0, 0, |_, _| {
        let last = deref(intern_raw("clojure.core", "*e"))?;
        io::write(io::STDOUT, &stack_trace_text(root_cause(last)?, Some(8))?);
        Ok(nil())
    });
}

fn root_cause(value: Obj) -> R {
    let mut cause = value;
    while let Object::Exception(e) = &*cause {
        if e.cause.is_nil() {
            break;
        }
        cause = e.cause;
    }
    Ok(cause)
}

/// print-stack-trace's `n`: nil for every frame, else at most that many.
fn limit(n: Option<&Obj>) -> R<Option<usize>> {
    match n {
        Some(n) if !n.is_nil() => Ok(Some(usize::try_from(crate::number::long(*n)?).unwrap_or(0))),
        _ => Ok(None),
    }
}

/// print-stack-trace's text: the throwable, ` at ` its innermost frame (or
/// `[empty stack trace]`), then each further frame indented, up to `limit`.
fn stack_trace_text(value: Obj, limit: Option<usize>) -> R<String> {
    let Object::Exception(e) = &*value else {
        return Err(class_cast(value, "java.lang.Throwable"));
    };
    let mut out = throwable_text(value)?;
    out.push_str("\n at ");
    let frames = e.frames();
    match frames.first() {
        Some(first) => out.push_str(&frame_text(
            &first.class(),
            "invoke",
            &first.file,
            first.line,
        )),
        None => out.push_str("[empty stack trace]"),
    }
    out.push('\n');
    let rest = frames.iter().skip(1);
    let shown = limit.map_or(usize::MAX, |n| n.saturating_sub(1));
    for frame in rest.take(shown) {
        out.push_str("    ");
        out.push_str(&frame_text(
            &frame.class(),
            "invoke",
            &frame.file,
            frame.line,
        ));
        out.push('\n');
    }
    Ok(out)
}

/// print-trace-element of a `[class method file line]` vector.
fn trace_element_text(element: Obj) -> R<String> {
    let items = crate::seq::to_vec(element)?;
    let [class, method, file, line] = items.as_slice() else {
        return Err(illegal_argument(
            "a trace element is a [class method file line] vector",
        ));
    };
    let file = if file.is_nil() {
        String::new()
    } else {
        str_of(*file)?
    };
    Ok(frame_text(
        &str_of(*class)?,
        &str_of(*method)?,
        &file,
        u32::try_from(crate::number::long(*line)?).unwrap_or(0),
    ))
}

/// One frame as print-trace-element prints it: an anonymous fn's class
/// (`ns$name__123`) called through `invoke` as `ns/name`, any other as
/// `class.method`, then ` (file:line)`.
fn frame_text(class: &str, method: &str, file: &str, line: u32) -> String {
    let anonymous = class.split_once('$').and_then(|(ns, rest)| {
        let (name, digits) = rest.rsplit_once("__")?;
        let word =
            |text: &str| !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || c == '_');
        let ns_ok = !ns.is_empty()
            && ns
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        (ns_ok && word(name) && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
            .then(|| format!("{ns}/{name}"))
    });
    let shown = match anonymous {
        Some(fn_name) if method == "invoke" => fn_name,
        _ => format!("{class}.{method}"),
    };
    format!("{shown} ({file}:{line})")
}

/// `class: message`, and the data map on the next line for an ex-info, as
/// clojure.stacktrace/print-throwable writes it (printf's `%s` of a nil
/// message is `null`).
fn throwable_text(value: Obj) -> R<String> {
    let Object::Exception(e) = &*value else {
        return Err(class_cast(value, "java.lang.Throwable"));
    };
    let message = if e.message.is_nil() {
        "null".to_string()
    } else {
        str_of(e.message)?
    };
    let mut out = format!("{}: {message}", e.class);
    if let Some(data) = e.data {
        out.push('\n');
        out.push_str(&pr_str(data)?);
    }
    Ok(out)
}
