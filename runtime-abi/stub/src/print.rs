//! Printing exactly as Clojure 1.11 prints: `pr` (readable: quoted strings,
//! `\a` chars), `print` (display), and `str` (Java's `toString`: nil is "",
//! collections print readably, a lazy seq is `clojure.lang.LazySeq@…`), with
//! doubles as Java's `Double.toString` and `##Inf`/`##-Inf`/`##NaN`.

use std::fmt::Write as _;

use crate::equality::java_hash_code;
use crate::error::{Exception, R};
use crate::object::{nil, DelayState, Obj, Object};
use crate::seq::SeqIter;

/// Java's `Double.toString`: the shortest digits that round-trip, plain for
/// 1e-3 <= |d| < 1e7 (`100.0`, `0.001`), else `d.dddE±n` (`1.0E10`, `1.5E-4`).
pub fn java_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .into();
    }
    let mut scientific = format!("{:e}", value.abs());
    if !scientific.contains('.') {
        // Java picks, among one- and two-digit decimals that round to the
        // value, the closest (Double.MIN_VALUE is 4.9E-324, not 5.0E-324).
        let two_digits = format!("{:.1e}", value.abs());
        if two_digits.parse::<f64>() == Ok(value.abs()) {
            scientific = two_digits;
        }
    }
    let (mantissa, exponent) = scientific.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} has a decimal exponent");
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    if (-3..7).contains(&exponent) {
        if exponent < 0 {
            return format!("{sign}0.{}{digits}", "0".repeat((-exponent - 1) as usize));
        }
        let point = exponent as usize + 1;
        if digits.len() <= point {
            return format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()));
        }
        return format!("{sign}{}.{}", &digits[..point], &digits[point..]);
    }
    let fraction = if digits.len() > 1 { &digits[1..] } else { "0" };
    format!("{sign}{}.{fraction}E{exponent}", &digits[..1])
}

fn char_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\n' => "newline",
        '\t' => "tab",
        ' ' => "space",
        '\u{8}' => "backspace",
        '\u{c}' => "formfeed",
        '\r' => "return",
        _ => return None,
    })
}

fn write_escaped(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{c}' => out.push_str("\\f"),
            '\u{8}' => out.push_str("\\b"),
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// A fn's class name as Clojure munges it: `user/my-fn?` is `user$my_fn_QMARK_`.
pub fn munge(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '/' => out.push('$'),
            '-' => out.push('_'),
            '?' => out.push_str("_QMARK_"),
            '!' => out.push_str("_BANG_"),
            '*' => out.push_str("_STAR_"),
            '+' => out.push_str("_PLUS_"),
            '>' => out.push_str("_GT_"),
            '<' => out.push_str("_LT_"),
            '=' => out.push_str("_EQ_"),
            '\'' => out.push_str("_SINGLEQUOTE_"),
            _ => out.push(c),
        }
    }
    out
}

fn identity_hex(value: Obj) -> String {
    format!("{:x}", value.addr() as u32)
}

/// `*print-length*` and `*print-level*` as the outermost collection being
/// printed found them, and how many collections deep the printer is.
#[derive(Clone, Copy, Default)]
struct PrintLimits {
    length: Option<usize>,
    level: Option<i64>,
    depth: i64,
}

thread_local! {
    static LIMITS: std::cell::Cell<PrintLimits> = std::cell::Cell::new(PrintLimits::default());
    /// `*print-length*` and `*print-level*`, interned once.
    static LIMIT_VARS: [Obj; 2] = [
        crate::var::intern("clojure.core", "*print-length*"),
        crate::var::intern("clojure.core", "*print-level*"),
    ];
    static NAMESPACE_MAPS_VAR: Obj = crate::var::intern("clojure.core", "*print-namespace-maps*");
}

/// Restores the printer's depth when a collection has been printed.
struct Nested(PrintLimits);

impl Drop for Nested {
    fn drop(&mut self) {
        LIMITS.with(|limits| limits.set(self.0));
    }
}

/// Enters a collection: `None` when it is deeper than `*print-level*` and
/// prints as `#`, else the guard that leaves it and how many of its items
/// `*print-length*` lets print. Code printed for the compiler
/// (`pr_str_with_meta`) is never cut short.
fn enter_collection() -> Option<(Nested, Option<usize>)> {
    let outer = LIMITS.with(std::cell::Cell::get);
    let mut limits = outer;
    if outer.depth == 0 && !FOR_COMPILER.with(std::cell::Cell::get) {
        let [length_var, level_var] = LIMIT_VARS.with(|vars| *vars);
        let long = |var| match crate::var::current(var).as_deref() {
            Some(Object::Int(n)) => Some(*n),
            _ => None,
        };
        // A negative length never counts down to zero: everything prints.
        limits.length = long(length_var).and_then(|n| usize::try_from(n).ok());
        limits.level = long(level_var);
    }
    if limits.level.is_some_and(|level| limits.depth >= level) {
        return None;
    }
    limits.depth += 1;
    LIMITS.with(|cell| cell.set(limits));
    Some((Nested(outer), limits.length))
}

/// Prints `items` apart by `separator`, `...` in place of those past `length`.
fn write_items(
    out: &mut String,
    items: impl Iterator<Item = R<Obj>>,
    readably: bool,
    length: Option<usize>,
) -> R<()> {
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if length == Some(i) {
            out.push_str("...");
            break;
        }
        write(out, item?, readably)?;
    }
    Ok(())
}

/// A seq's items as [`write_items`] writes them; when printing to a stream,
/// what is printed so far is written out before a lazy step is realized,
/// so output the realizing code prints lands where Clojure's does.
fn write_seq_items(out: &mut String, value: Obj, readably: bool, length: Option<usize>) -> R<()> {
    let mut items = SeqIter::new(value);
    let mut pull = |out: &mut String| {
        if items.may_realize() {
            flush_streamed(out);
        }
        items.next().transpose()
    };
    let Some(mut current) = pull(out)? else {
        return Ok(());
    };
    // print-sequential destructures `[x & xs]`, so each step realizes the
    // item after the one it prints, before printing it.
    let mut remaining = length;
    loop {
        let following = pull(out)?;
        if remaining == Some(0) {
            out.push_str("...");
            return Ok(());
        }
        write(out, current, readably)?;
        let Some(next) = following else {
            return Ok(());
        };
        out.push(' ');
        current = next;
        remaining = remaining.map(|n| n - 1);
    }
}

/// Writes out and empties `out` when printing streams to an output.
fn flush_streamed(out: &mut String) {
    if let Some(fd) = STREAMED_TO.with(std::cell::Cell::get) {
        if !out.is_empty() {
            crate::io::write(fd, out);
            out.clear();
        }
    }
}

/// A map's or record's entries as `k v, k v`, `...` in place of those past `length`.
fn write_entries(
    out: &mut String,
    entries: impl Iterator<Item = (Obj, Obj)>,
    readably: bool,
    length: Option<usize>,
    lifted: bool,
) -> R<()> {
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if length == Some(i) {
            out.push_str("...");
            break;
        }
        match (&*k, lifted) {
            (Object::Keyword(key), true) => {
                write!(out, ":{}", key.name).expect("writing to a String")
            }
            (Object::Symbol(key), true) => out.push_str(&key.name),
            _ => write(out, k, readably)?,
        }
        out.push(' ');
        write(out, v, readably)?;
    }
    Ok(())
}

/// Clojure's print-throwable: the root cause's message and data, every
/// exception of the cause chain under `:via` (with `:at`, its innermost
/// frame), then the root cause's frames under `:trace`.
fn write_exception(out: &mut String, e: &Exception, readably: bool) -> R<()> {
    let mut chain = vec![e];
    while let Object::Exception(cause) = &*chain[chain.len() - 1].cause {
        chain.push(cause);
    }
    let root = chain[chain.len() - 1];
    out.push_str("#error {\n :cause ");
    write(out, root.message, readably)?;
    if let Some(data) = root.data {
        out.push_str("\n :data ");
        write(out, data, readably)?;
    }
    out.push_str("\n :via\n [");
    for (i, link) in chain.iter().enumerate() {
        if i > 0 {
            out.push_str("\n  ");
        }
        write!(out, "{{:type {}\n   :message ", link.class).expect("writing to a String");
        write(out, link.message, readably)?;
        if let Some(data) = link.data {
            out.push_str("\n   :data ");
            write(out, data, readably)?;
        }
        if let Some(at) = link.frames().first() {
            out.push_str("\n   :at ");
            write(out, at.element(), readably)?;
        }
        out.push('}');
    }
    out.push_str("]\n :trace\n [");
    for (i, frame) in root.frames().iter().enumerate() {
        if i > 0 {
            out.push_str("\n  ");
        }
        write(out, frame.element(), readably)?;
    }
    out.push_str("]}");
    Ok(())
}

/// What the `toString` a `deftype`, `defrecord` or `reify` implemented
/// (`Object (toString [this] ...)`) returns for `value`, if it has one.
fn own_to_string(value: Obj) -> R<Option<String>> {
    let Some(method) = crate::core::protocols::host_method(value, "Object", "toString")? else {
        return Ok(None);
    };
    let returned = crate::function::call(method, &[value])?;
    match &*returned {
        Object::Str(s) => Ok(Some(s.to_string())),
        _ => Err(crate::error::class_cast(returned, "java.lang.String")),
    }
}

/// `#object[class 0xhex to-string]`, as Clojure's print-method of an
/// Object: the object's toString is printed as a string is, so `pr` quotes
/// it and `print` does not.
fn write_object(out: &mut String, class: &str, hex: &str, to_string: &str, readably: bool) {
    write!(out, "#object[{class} 0x{hex} ").expect("writing to a String");
    if readably {
        write_escaped(out, to_string);
    } else {
        out.push_str(to_string);
    }
    out.push(']');
}

fn write_reference(out: &mut String, value: Obj, class: &str, held: Obj, readably: bool) -> R<()> {
    write!(
        out,
        "#object[{class} 0x{} {{:status :ready, :val ",
        identity_hex(value)
    )
    .expect("writing to a String");
    write(out, held, readably)?;
    out.push_str("}]");
    Ok(())
}

thread_local! {
    /// The output `pr` and friends print to while they print (None for
    /// `pr-str`, which builds a string).
    static STREAMED_TO: std::cell::Cell<Option<i32>> = const { std::cell::Cell::new(None) };
    /// Set while `pr_str_with_meta` prints: Clojure's `*print-meta*`.
    static PRINT_META: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Set while `pr_str_with_meta` prints code for the compiler, which
    /// `*print-length*` and `*print-level*` must not cut short.
    static FOR_COMPILER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `pr-str` with `*print-meta*` on: symbols and collections print their
/// metadata as `^{...}` before them, so code read back keeps it (how a
/// macro's expansion returns to the compiler with its `^:dynamic`s).
pub fn pr_str_with_meta(value: Obj) -> R<String> {
    let was = PRINT_META.with(|flag| flag.replace(true));
    let was_for_compiler = FOR_COMPILER.with(|flag| flag.replace(true));
    let printed = pr_str(value);
    PRINT_META.with(|flag| flag.set(was));
    FOR_COMPILER.with(|flag| flag.set(was_for_compiler));
    printed
}

/// The namespace every key of a map shares, when each is a keyword or
/// symbol with a namespace: Clojure prints such a map as `#:ns{:k v}`
/// (`*print-namespace-maps*`, which clojure.main and the REPL bind to true
/// around everything they run).
fn lifted_namespace(entries: &[(Obj, Obj)]) -> Option<&str> {
    let mut shared: Option<&str> = None;
    for (key, _) in entries {
        let (Object::Keyword(name) | Object::Symbol(name)) = &**key else {
            return None;
        };
        let ns = name.ns.as_deref()?;
        match shared {
            Some(seen) if seen != ns => return None,
            _ => shared = Some(ns),
        }
    }
    shared
}

/// Prints `value` as `pr` (readably) or `print` does: with the
/// print-method a `defmethod` gave it, if any, writing to `*out*` (captured
/// into `out`), else as the runtime prints values.
pub fn write(out: &mut String, value: Obj, readably: bool) -> R<()> {
    if !FOR_COMPILER.with(std::cell::Cell::get) {
        if let Some(method) = crate::core::multi::user_print_method(value)? {
            // `print` binds *print-readably* false, which the method and
            // the print-method calls it makes for nested values see.
            let readably_var = crate::var::intern("clojure.core", "*print-readably*");
            crate::var::push_bindings(vec![(readably_var, crate::object::boolean(readably))]);
            let (called, printed) = crate::core::dynamic::with_out_str(|| {
                let writer = crate::var::deref(crate::var::intern("clojure.core", "*out*"))?;
                crate::function::call(method, &[value, writer])
            });
            crate::var::pop_bindings();
            called?;
            out.push_str(&printed);
            return Ok(());
        }
    }
    write_builtin(out, value, readably)
}

fn write_builtin(out: &mut String, value: Obj, readably: bool) -> R<()> {
    let carries_meta = matches!(
        &*value,
        Object::Symbol(_)
            | Object::List(_)
            | Object::EmptyList
            | Object::Vector(_)
            | Object::Map(_)
            | Object::Record(_)
            | Object::Set(_)
    );
    if readably && carries_meta && PRINT_META.with(std::cell::Cell::get) {
        // As print-meta: nothing for an empty map, `^Tag` for one holding
        // only `:tag` (for the compiler only a symbol tag, which reads back
        // as written: `^:x` would read as `{:x true}`).
        if let Object::Map(m) = &*crate::meta::meta(value)? {
            let tag = crate::object::keyword(None, "tag");
            let for_compiler = FOR_COMPILER.with(std::cell::Cell::get);
            let shorthand = |tag: Obj| !for_compiler || matches!(*tag, Object::Symbol(_));
            match m.len() {
                0 => {}
                1 if m.get(tag)?.is_some_and(shorthand) => {
                    out.push('^');
                    write(out, m.get(tag)?.unwrap_or_else(nil), true)?;
                    out.push(' ');
                }
                _ => {
                    out.push('^');
                    write(out, crate::meta::meta(value)?, true)?;
                    out.push(' ');
                }
            }
        }
    }
    let collection = matches!(
        &*value,
        Object::Vector(_) | Object::Map(_) | Object::Record(_) | Object::Set(_)
    ) || value.is_seq();
    let (_nested, length) = if collection {
        match enter_collection() {
            Some(entered) => (Some(entered.0), entered.1),
            None => {
                out.push('#');
                return Ok(());
            }
        }
    } else {
        (None, None)
    };
    match &*value {
        Object::Nil => out.push_str("nil"),
        Object::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Object::Int(i) => write!(out, "{i}").expect("writing to a String"),
        Object::BigInt(i) => write!(out, "{i}N").expect("writing to a String"),
        Object::BigInteger(i) => write!(out, "{i}").expect("writing to a String"),
        Object::Decimal(d) => {
            write!(out, "{}M", crate::number::decimal_text(d)).expect("writing to a String")
        }
        Object::Double(d) if d.is_nan() => out.push_str("##NaN"),
        Object::Double(d) if d.is_infinite() => {
            out.push_str(if *d > 0.0 { "##Inf" } else { "##-Inf" })
        }
        Object::Double(d) => out.push_str(&java_double(*d)),
        Object::Ratio(r) => {
            write!(out, "{}/{}", r.numer(), r.denom()).expect("writing to a String")
        }
        Object::Char(c) if readably => {
            out.push('\\');
            match char_name(*c) {
                Some(name) => out.push_str(name),
                None => out.push(*c),
            }
        }
        Object::Char(c) => out.push(*c),
        Object::Str(s) if readably => write_escaped(out, s),
        Object::Str(s) => out.push_str(s),
        Object::Keyword(n) => {
            out.push(':');
            out.push_str(&n.qualified());
        }
        Object::Symbol(n) => out.push_str(&n.qualified()),
        Object::Vector(v) => {
            out.push('[');
            write_items(out, v.0.iter().map(|x| Ok(*x)), readably, length)?;
            out.push(']');
        }
        Object::Map(m) => {
            let entries = m.entries();
            let lifted = NAMESPACE_MAPS_VAR
                .with(|var| crate::var::current(*var))
                .is_some_and(crate::object::truthy)
                .then(|| lifted_namespace(&entries))
                .flatten();
            if let Some(ns) = lifted {
                write!(out, "#:{ns}").expect("writing to a String");
            }
            out.push('{');
            let lifted = lifted.is_some();
            write_entries(out, entries.into_iter(), readably, length, lifted)?;
            out.push('}');
        }
        Object::Record(r) => {
            write!(out, "#{}{{", r.class.name).expect("writing to a String");
            write_entries(out, r.entries().into_iter(), readably, length, false)?;
            out.push('}');
        }
        Object::Instance(instance) => {
            let class = instance.class.name;
            let hex = identity_hex(value);
            let to_string = match own_to_string(value)? {
                Some(to_string) => to_string,
                None => format!("{class}@{hex}"),
            };
            write_object(out, class, &hex, &to_string, readably);
        }
        Object::Set(s) => {
            out.push_str("#{");
            write_items(out, s.items().into_iter().map(Ok), readably, length)?;
            out.push('}');
        }
        o if o.is_seq() => {
            out.push('(');
            write_seq_items(out, value, readably, length)?;
            out.push(')');
        }
        // A local var (`with-local-vars`) has no namespace or name.
        Object::Var(var) if var.ns.is_empty() => out.push_str("#<Var: --unnamed-->"),
        Object::Var(var) => write!(out, "#'{}", var.qualified()).expect("writing to a String"),
        Object::Fn(f) => {
            let class = munge(&f.name());
            let hex = identity_hex(value);
            write_object(out, &class, &hex, &format!("{class}@{hex}"), readably);
        }
        Object::Atom(atom) => {
            write_reference(out, value, value.class_name(), atom.value.get(), readably)?
        }
        Object::Volatile(cell) => {
            write_reference(out, value, value.class_name(), cell.get(), readably)?
        }
        Object::Reduced(held) => write_reference(out, value, value.class_name(), *held, readably)?,
        Object::Delay(state) => {
            let (status, held) = match &*state.borrow() {
                DelayState::Done(v) => (":ready", *v),
                DelayState::Failed(e) => (":failed", *e),
                DelayState::Pending(_) => (":pending", nil()),
            };
            write!(
                out,
                "#object[clojure.lang.Delay 0x{} {{:status {status}, :val ",
                identity_hex(value)
            )
            .expect("writing to a String");
            write(out, held, readably)?;
            out.push_str("}]");
        }
        Object::Promise(cell) => {
            let (status, held) = match cell.get() {
                Some(v) => (":ready", v),
                None => (":pending", nil()),
            };
            write!(
                out,
                "#object[{} 0x{} {{:status {status}, :val ",
                value.class_name(),
                identity_hex(value)
            )
            .expect("writing to a String");
            write(out, held, readably)?;
            out.push_str("}]");
        }
        Object::Transient(_) => write!(
            out,
            "#object[{} 0x{}]",
            value.class_name(),
            identity_hex(value)
        )
        .expect("writing to a String"),
        Object::Exception(e) => write_exception(out, e, readably)?,
        Object::Regex(pattern) => write_pattern(out, &pattern.source),
        Object::Class(name) => out.push_str(name),
        Object::Inst(ms) => write!(
            out,
            "#inst \"{}\"",
            jank_runtime_abi::java_instant::text(*ms)
        )
        .expect("writing to a String"),
        // print-method prints a UUID's tag for `print` too; only `str` drops it.
        Object::Uuid(uuid) => {
            write!(out, "#uuid \"{}\"", uuid.text()).expect("writing to a String")
        }
        Object::Matcher(_) => write!(
            out,
            "#object[{} 0x{}]",
            value.class_name(),
            identity_hex(value)
        )
        .expect("writing to a String"),
        // No print-method of its own: Object's, over its toString.
        Object::Queue(_) => write_object(
            out,
            value.class_name(),
            &identity_hex(value),
            &str_of(value)?,
            readably,
        ),
        Object::MultiFn(_) => {
            let (class, hex) = (value.class_name(), identity_hex(value));
            write_object(out, class, &hex, &format!("{class}@{hex}"), readably);
        }
        Object::Namespace(name) => write_object(
            out,
            "clojure.lang.Namespace",
            &identity_hex(value),
            name,
            readably,
        ),
        Object::Stream(_) | Object::StructDef(_) | Object::Plain => {
            let (class, hex) = (value.class_name(), identity_hex(value));
            write_object(out, class, &hex, &format!("{class}@{hex}"), readably);
        }
        Object::MathContext(context) => write_object(
            out,
            "java.math.MathContext",
            &identity_hex(value),
            &context.text(),
            readably,
        ),
        Object::StringBuilder(text) => {
            let text = text.borrow().clone();
            write_object(
                out,
                value.class_name(),
                &identity_hex(value),
                &text,
                readably,
            )
        }
        Object::TaggedLiteral(tag, form) => {
            out.push('#');
            write(out, *tag, readably)?;
            out.push(' ');
            write(out, *form, readably)?;
        }
        Object::ReaderConditional(form, splicing) => {
            out.push_str(if *splicing { "#?@" } else { "#?" });
            write(out, *form, readably)?;
        }
        _ => unreachable!("every seq kind prints as a list"),
    }
    Ok(())
}

/// A pattern as Clojure prints one (readably or not): `#"source"`, with a
/// `"` the source does not escape escaped.
fn write_pattern(out: &mut String, source: &str) {
    out.push_str("#\"");
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push('\\');
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            }
            '"' => out.push_str("\\\""),
            other => out.push(other),
        }
    }
    out.push('"');
}

thread_local! {
    /// `*print-readably*` and `*print-meta*`, interned once.
    static PRINT_VARS: [Obj; 2] = [
        crate::var::intern("clojure.core", "*print-readably*"),
        crate::var::intern("clojure.core", "*print-meta*"),
    ];
}

/// Prints `values` separated by spaces as `pr` (`readably`) or `print` does
/// under the current `*print-readably*` and `*print-meta*`: `pr` prints as
/// `print` when `*print-readably*` is false, and shows metadata when
/// `*print-meta*` is true as well.
pub fn print_values(values: &[Obj], readably: bool) -> R<String> {
    // A string built inside a streamed print (a toString calling pr-str) is
    // not part of the stream.
    let was = STREAMED_TO.with(|streamed| streamed.replace(None));
    let (out, printed) = print_values_partly(values, readably);
    STREAMED_TO.with(|streamed| streamed.set(was));
    printed.map(|()| out)
}

/// `pr`/`prn`/`print`/`println` to `fd`: the values as [`print_values`]
/// prints them (and a newline), written out as they go where realizing a
/// lazy seq may print too, and as far as they got when printing throws.
pub fn print_to(fd: i32, values: &[Obj], readably: bool, newline: bool) -> R<()> {
    let was = STREAMED_TO.with(|streamed| streamed.replace(Some(fd)));
    let (mut out, printed) = print_values_partly(values, readably);
    STREAMED_TO.with(|streamed| streamed.set(was));
    if printed.is_ok() && newline {
        out.push('\n');
    }
    if !out.is_empty() {
        crate::io::write(fd, &out);
    }
    printed
}

/// What printing `values` wrote before it ended, and how it ended.
fn print_values_partly(values: &[Obj], readably: bool) -> (String, R<()>) {
    let [readably_var, meta_var] = PRINT_VARS.with(|vars| *vars);
    let bound_true = |var| crate::var::current(var).is_some_and(crate::object::truthy);
    let readably = readably && bound_true(readably_var);
    let with_meta = readably && bound_true(meta_var);
    let was = PRINT_META.with(|flag| flag.replace(flag.get() || with_meta));
    let mut out = String::new();
    let mut printed = Ok(());
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        printed = write(&mut out, *value, readably);
        if printed.is_err() {
            break;
        }
    }
    PRINT_META.with(|flag| flag.set(was));
    (out, printed)
}

/// `pr-str` of one value.
pub fn pr_str(value: Obj) -> R<String> {
    print_values(&[value], true)
}

/// `str` of one value: Java's `toString`.
pub fn str_of(value: Obj) -> R<String> {
    if let Some(to_string) = own_to_string(value)? {
        return Ok(to_string);
    }
    Ok(match &*value {
        Object::Nil => String::new(),
        Object::Str(s) => s.to_string(),
        Object::Char(c) => c.to_string(),
        Object::Double(d) => java_double(*d),
        Object::BigInt(i) => i.to_string(),
        Object::Decimal(d) => crate::number::decimal_text(d),
        Object::Lazy(lazy) if !lazy.aseq => {
            format!("clojure.lang.LazySeq@{:x}", java_hash_code(value)? as u32)
        }
        Object::Fn(f) => format!("{}@{}", munge(&f.name()), identity_hex(value)),
        // A record's toString is Object's, over its map hashCode, and so
        // is a queue's, over its list hashCode.
        Object::Record(r) => format!("{}@{:x}", r.class.name, java_hash_code(value)? as u32),
        Object::Queue(_) => format!("{}@{:x}", value.class_name(), java_hash_code(value)? as u32),
        Object::Regex(pattern) => pattern.source.to_string(),
        Object::Class(name) => format!("class {name}"),
        Object::Uuid(uuid) => uuid.text(),
        Object::Inst(ms) => jank_runtime_abi::java_instant::date_string(*ms),
        Object::Namespace(name) => name.to_string(),
        Object::MathContext(context) => context.text(),
        Object::StringBuilder(text) => text.borrow().clone(),
        // Neither overrides Object.toString, which shows the hashCode.
        Object::TaggedLiteral(..) | Object::ReaderConditional(..) => {
            format!("{}@{:x}", value.class_name(), java_hash_code(value)? as u32)
        }
        Object::Stream(_)
        | Object::StructDef(_)
        | Object::Atom(_)
        | Object::Volatile(_)
        | Object::Reduced(_)
        | Object::Transient(_)
        | Object::Matcher(_)
        | Object::MultiFn(_)
        | Object::Delay(_)
        | Object::Promise(_)
        | Object::Plain
        | Object::Instance(_) => {
            format!("{}@{}", value.class_name(), identity_hex(value))
        }
        Object::Exception(e) => {
            let mut out = e.class.to_string();
            if !e.message.is_nil() {
                out.push_str(": ");
                out.push_str(&str_of(e.message)?);
            }
            if let Some(data) = e.data {
                out.push(' ');
                out.push_str(&pr_str(data)?);
            }
            out
        }
        _ => pr_str(value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coll::vector_obj;
    use crate::object::{character, double, int, keyword, nil, string};

    /// `print-str` of one value.
    pub fn print_str(value: Obj) -> R<String> {
        let mut out = String::new();
        write(&mut out, value, false)?;
        Ok(out)
    }

    #[test]
    fn doubles_print_like_java() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1234567.0, "1234567.0"),
            (1e7, "1.0E7"),
            (1e10, "1.0E10"),
            (1.5e-4, "1.5E-4"),
            (0.001, "0.001"),
            (0.0012, "0.0012"),
            (-2.5, "-2.5"),
            (12.375, "12.375"),
            (1.0 / 3.0, "0.3333333333333333"),
            (2.0 / 3.0, "0.6666666666666666"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1.0E21"),
            (123456789.123, "1.23456789123E8"),
            (-0.0, "-0.0"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
        ];
        for (value, text) in cases {
            assert_eq!(java_double(value), text, "{value:e}");
        }
        assert_eq!(pr_str(double(f64::INFINITY)).ok().unwrap(), "##Inf");
        assert_eq!(print_str(double(f64::NEG_INFINITY)).ok().unwrap(), "##-Inf");
        assert_eq!(pr_str(double(f64::NAN)).ok().unwrap(), "##NaN");
        assert_eq!(str_of(double(f64::INFINITY)).ok().unwrap(), "Infinity");
    }

    #[test]
    fn strings_and_chars() {
        let v = vector_obj([
            string("a\"b\n"),
            character('c'),
            character('\n'),
            nil(),
            keyword(Some("ns"), "k"),
        ]);
        assert_eq!(
            pr_str(v).ok().unwrap(),
            "[\"a\\\"b\\n\" \\c \\newline nil :ns/k]"
        );
        assert_eq!(print_str(v).ok().unwrap(), "[a\"b\n c \n nil :ns/k]");
        assert_eq!(str_of(v).ok().unwrap(), pr_str(v).ok().unwrap());
        assert_eq!(str_of(nil()).ok().unwrap(), "");
        assert_eq!(str_of(character('x')).ok().unwrap(), "x");
        assert_eq!(str_of(int(-3)).ok().unwrap(), "-3");
        assert_eq!(str_of(keyword(None, "a")).ok().unwrap(), ":a");
    }
}
