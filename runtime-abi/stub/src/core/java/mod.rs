//! The java.lang members the analyzer maps to runtime fns
//! (`src/analyze/java_members.rs`): String's instance methods (`string`),
//! Character's statics (`character`), Long's, Integer's, Double's, Boolean's
//! and String's number and text statics (`number`), Object's `toString`,
//! `equals`, `hashCode` and Comparable's `compareTo` (`object`), the
//! collection interfaces' methods (`collection`), and
//! java.io.Writer's `write`, `append` and `flush` on the page's streams, and
//! java.lang.StringBuilder's (`string_builder`). Each is a
//! `jank.runtime/java-...` native computing what the Java member computes,
//! with the exceptions Clojure's compiler and reflector throw for the
//! arguments it is given.
//!
//! Strings are Rust `str`s: an index or a length counts chars (code points),
//! as jankwasm's `count` and `subs` do, where Java counts UTF-16 units; the
//! two agree on every string without chars beyond U+FFFF. `hashCode` and
//! `compareTo` use UTF-16 units, as Java does.

mod character;
mod collection;
mod number;
mod object;
mod string;
mod string_builder;

use crate::error::{class_cast, error, illegal_argument, Thrown, R};
use crate::number::to_long;
use crate::object::{Obj, Object};

/// Writes `text` to `writer`, one of the page's output streams (`*out*`,
/// `*err*`): what `(.write w s)` and print-method's :default do.
pub(crate) fn write_to_writer(writer: Obj, text: &str) -> R<()> {
    match &*writer {
        Object::Stream(crate::object::Stream::Out) => crate::io::write(crate::io::STDOUT, text),
        Object::Stream(crate::object::Stream::Err) => crate::io::write(crate::io::STDERR, text),
        _ => return Err(class_cast(writer, "java.io.Writer")),
    }
    Ok(())
}

/// `jank.runtime/<name>`.
fn def(name: &'static str, min: usize, max: usize, f: crate::function::NativeFn) {
    super::def("jank.runtime", name, min, max, f);
}

/// The NullPointerException of an instance method called on nil: Clojure's
/// reflector asks the target for its class first.
fn null_reflection_target() -> Thrown {
    error(
        "java.lang.NullPointerException",
        "Cannot invoke \"Object.getClass()\" because \"target\" is null",
    )
}

/// The NullPointerException of a method called on nil.
fn null_target(member: &str) -> Thrown {
    error(
        "java.lang.NullPointerException",
        format!("Cannot invoke {member} on nil"),
    )
}

/// What Clojure's reflector throws when no method of `class` named `method`
/// takes `args` arguments of the kinds given (a no-argument call looks for
/// a field too). `class` is None for a static method.
fn no_matching_method(method: &str, args: usize, class: Option<&str>) -> Thrown {
    let for_class = class.map_or(String::new(), |class| format!(" for class {class}"));
    if args == 0 {
        return illegal_argument(format!("No matching field found: {method}{for_class}"));
    }
    illegal_argument(format!(
        "No matching method {method} found taking {args} args{for_class}"
    ))
}

/// The string `target` of `(.method target ...)` with `args` arguments: nil
/// is a NullPointerException, a value of another class has no such method.
fn string_target<'a>(target: &'a Obj, method: &str, args: usize) -> R<&'a str> {
    match &**target {
        Object::Str(s) => Ok(s),
        Object::Nil => Err(null_reflection_target()),
        _ => Err(no_matching_method(method, args, Some(target.class_name()))),
    }
}

/// A `String` parameter of the only method of its arity: nil is a
/// NullPointerException, another value a ClassCastException.
fn string_param(value: &Obj) -> R<&str> {
    value
        .as_str()
        .ok_or_else(|| class_cast(*value, "java.lang.String"))
}

/// An int from a long, as the compiler's conversion to an `int` parameter
/// checks it.
fn int_from_long(value: i64) -> R<i32> {
    i32::try_from(value).map_err(|_| crate::error::arithmetic("integer overflow"))
}

/// An `int` parameter of the only method of its arity, which takes any
/// number: doubles and ratios are truncated, then the value must fit in an
/// int; nil is a NullPointerException, another value a ClassCastException.
fn int_param(value: Obj) -> R<i32> {
    match *value {
        Object::Double(d) if d.is_nan() => Ok(0),
        Object::Double(d) => {
            if d.trunc() < f64::from(i32::MIN) || d.trunc() > f64::from(i32::MAX) {
                return Err(crate::error::arithmetic("integer overflow"));
            }
            Ok(d as i32)
        }
        _ => int_from_long(long_param(value)?),
    }
}

/// A `long` parameter of the only method of its arity: any number, as
/// `(long x)` takes it; nil is a NullPointerException, a char or another
/// value a ClassCastException.
fn long_param(value: Obj) -> R<i64> {
    if !value.is_number() {
        return Err(class_cast(value, "java.lang.Number"));
    }
    to_long(value)
}

/// A `double` parameter of the only method of its arity: any number.
fn double_param(value: Obj) -> R<f64> {
    Ok(crate::number::num(value)?.to_f64())
}

/// An `int` parameter of a method with overloads of the same arity, which
/// the reflector matches only with a long (or int): None for another value.
fn overloaded_int(value: Obj) -> Option<R<i32>> {
    match *value {
        Object::Int(i) => Some(int_from_long(i)),
        _ => None,
    }
}

/// What `(.write w x)` and `(.append w x)` write: a string, or a char (or
/// an int code point, for write).
fn writer_text(value: Obj, code_points: bool) -> R<String> {
    match &*value {
        Object::Str(text) => Ok(text.to_string()),
        Object::Char(c) => Ok(c.to_string()),
        Object::Int(code) if code_points => u32::try_from(*code)
            .ok()
            .and_then(char::from_u32)
            .map(String::from)
            .ok_or_else(|| illegal_argument(format!("Not a char code point: {code}"))),
        _ => Err(no_matching_method(
            if code_points { "write" } else { "append" },
            1,
            Some("java.io.Writer"),
        )),
    }
}

/// java.io.Writer's `write`, `append` and `flush` on the page's streams
/// (what a print-method is handed).
fn install_writer() {
    def("java-writer-write", 2, 2, |_, a| {
        write_to_writer(a[0], &writer_text(a[1], true)?)?;
        Ok(crate::object::nil())
    });
    def("java-writer-append", 2, 2, |_, a| {
        if string_builder::builder_text(&a[0]).is_some() {
            return string_builder::append(a[0], a[1]);
        }
        write_to_writer(a[0], &writer_text(a[1], false)?)?;
        Ok(a[0])
    });
    def("java-writer-flush", 1, 1, |_, a| {
        write_to_writer(a[0], "")?;
        Ok(crate::object::nil())
    });
}

pub fn install() {
    install_writer();
    string::install();
    character::install();
    number::install();
    object::install();
    collection::install();
    string_builder::install();
}
