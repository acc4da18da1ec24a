//! Exceptions: the `Thrown` error of every fallible runtime operation, the
//! exception objects runtime errors and `ex-info` make, and the ABI's pending
//! exception slot (a throw across the ABI is the slot plus a NULL return).

use std::cell::Cell;

use crate::object::{alloc, nil, string, Obj, Object};

/// A thrown jank value (any value can be thrown; runtime errors throw exception objects).
pub struct Thrown(pub Obj);

/// The result of anything that can throw.
pub type R<T = Obj> = Result<T, Thrown>;

/// An exception object: `ex-info`'s or a runtime error's.
pub struct Exception {
    /// The Java class Clojure would throw, e.g. `java.lang.ArithmeticException`.
    pub class: &'static str,
    /// A string, or nil.
    pub message: Obj,
    /// The data map: `Some` exactly for `clojure.lang.ExceptionInfo`.
    pub data: Option<Obj>,
    /// The cause, or nil.
    pub cause: Obj,
}

pub const EX_INFO: &str = "clojure.lang.ExceptionInfo";

/// `(ex-info message data cause)`.
pub fn ex_info(message: Obj, data: Obj, cause: Obj) -> Obj {
    alloc(Object::Exception(Box::new(Exception {
        class: EX_INFO,
        message,
        data: Some(data),
        cause,
    })))
}

/// A runtime error of `class` with `message`.
pub fn error(class: &'static str, message: impl Into<Box<str>>) -> Thrown {
    Thrown(alloc(Object::Exception(Box::new(Exception {
        class,
        message: string(message),
        data: None,
        cause: nil(),
    }))))
}

pub fn arithmetic(message: &str) -> Thrown {
    error("java.lang.ArithmeticException", message)
}

/// What Clojure 1.11's Math/*Exact arithmetic throws.
pub fn overflow() -> Thrown {
    arithmetic("long overflow")
}

pub fn divide_by_zero() -> Thrown {
    arithmetic("Divide by zero")
}

/// What Java's number parsers throw for text that is not a number.
pub fn number_format(message: impl Into<Box<str>>) -> Thrown {
    error("java.lang.NumberFormatException", message)
}

pub fn illegal_argument(message: impl Into<Box<str>>) -> Thrown {
    error("java.lang.IllegalArgumentException", message)
}

pub fn illegal_state(message: impl Into<Box<str>>) -> Thrown {
    error("java.lang.IllegalStateException", message)
}

pub fn unsupported(message: impl Into<Box<str>>) -> Thrown {
    error("java.lang.UnsupportedOperationException", message)
}

/// `(nth [1] 5)`: Clojure's IndexOutOfBoundsException has no message.
pub fn index_out_of_bounds() -> Thrown {
    Thrown(alloc(Object::Exception(Box::new(Exception {
        class: "java.lang.IndexOutOfBoundsException",
        message: nil(),
        data: None,
        cause: nil(),
    }))))
}

/// Using `value` as an instance of `class` it is not; nil gives a NullPointerException.
pub fn class_cast(value: Obj, class: &str) -> Thrown {
    if value.is_nil() {
        return error(
            "java.lang.NullPointerException",
            format!("Cannot use nil as {class}"),
        );
    }
    error(
        "java.lang.ClassCastException",
        format!(
            "class {} cannot be cast to class {class}",
            value.class_name()
        ),
    )
}

/// A call with an argument count no arity of `name` accepts.
pub fn arity(count: usize, name: &str) -> Thrown {
    error(
        "clojure.lang.ArityException",
        format!("Wrong number of args ({count}) passed to: {name}"),
    )
}

thread_local! {
    static PENDING: Cell<Option<Obj>> = const { Cell::new(None) };
}

/// Makes `thrown` the pending exception (at the ABI boundary).
pub fn set_pending(thrown: Thrown) {
    crate::io::exception_thrown(thrown.0.addr());
    PENDING.with(|slot| slot.set(Some(thrown.0)));
}

/// The pending exception, left pending (a root of the collector).
pub fn pending() -> Option<Obj> {
    PENDING.with(Cell::get)
}

/// Takes the pending exception, clearing the slot.
pub fn take_pending() -> Option<Obj> {
    PENDING.with(Cell::take)
}

/// The exception behind a NULL returned by patch code.
pub fn from_null_return() -> Thrown {
    match take_pending() {
        Some(value) => Thrown(value),
        None => illegal_state("a patch function returned NULL without a pending exception"),
    }
}
