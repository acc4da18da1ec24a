//! Exceptions: the `Thrown` error of every fallible runtime operation, the
//! exception objects runtime errors and `ex-info` make, and the ABI's pending
//! exception slot (a throw across the ABI is the slot plus a NULL return).

use std::cell::{Cell, OnceCell};

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
    /// The jank frames of its first throw, innermost first, as the host
    /// reported them while they were on the stack (unset until thrown, and
    /// empty when the host knows no jank frames).
    pub trace: OnceCell<Box<[TraceFrame]>>,
}

/// One jank fn a throw passed through: what a JVM StackTraceElement says of
/// a Clojure fn, plus the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceFrame {
    /// `ns/name`, as the patch's `jank.frames` section names the fn.
    pub name: Box<str>,
    pub file: Box<str>,
    pub line: u32,
    pub column: u32,
}

impl Exception {
    /// The jank frames of its first throw (none before it was thrown).
    pub fn frames(&self) -> &[TraceFrame] {
        self.trace.get().map_or(&[], |frames| frames)
    }
}

impl TraceFrame {
    /// The frame as Clojure's `StackTraceElement->vec` gives a fn's JVM
    /// frame, `[user$bad_div invoke "app.jank" 50]`: the fn's class, its
    /// method, the file and the line (Clojure's frames have no column).
    pub fn element(&self) -> Obj {
        crate::coll::vector_obj([
            crate::object::symbol(None, &self.class()),
            crate::object::symbol(None, "invoke"),
            string(&*self.file),
            crate::object::int(i64::from(self.line)),
        ])
    }

    /// The class Clojure compiles the fn into (`user$bad_div`).
    pub fn class(&self) -> String {
        crate::print::munge(&self.name)
    }
}

/// Reads the frames a host hands over (jank_patch_abi.h, `exception_frames`):
/// one `name\tfile\tline\tcolumn` line per frame; a line that does not
/// parse is left out.
pub fn parse_trace(text: &str) -> Box<[TraceFrame]> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next()?.into();
            let file = fields.next()?.into();
            let line = fields.next()?.parse().ok()?;
            let column = fields.next()?.parse().ok()?;
            Some(TraceFrame {
                name,
                file,
                line,
                column,
            })
        })
        .collect()
}

pub const EX_INFO: &str = "clojure.lang.ExceptionInfo";

/// `(ex-info message data cause)`.
pub fn ex_info(message: Obj, data: Obj, cause: Obj) -> Obj {
    alloc(Object::Exception(Box::new(Exception {
        class: EX_INFO,
        message,
        data: Some(data),
        cause,
        trace: OnceCell::new(),
    })))
}

/// A runtime error of `class` with `message`.
pub fn error(class: &'static str, message: impl Into<Box<str>>) -> Thrown {
    Thrown(alloc(Object::Exception(Box::new(Exception {
        class,
        message: string(message),
        data: None,
        cause: nil(),
        trace: OnceCell::new(),
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
        trace: OnceCell::new(),
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
    crate::io::exception_thrown(thrown.0);
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
