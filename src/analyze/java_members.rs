//! The members of java.lang classes that portable Clojure code uses and
//! that have an exact jankwasm counterpart: static constants
//! (`Long/MAX_VALUE`, `Math/PI`) become literals, static methods
//! (`Math/sqrt`, `Long/parseLong`) and a few instance methods of
//! Throwable and String (`(.getMessage e)`, `(.toUpperCase s)`) become the
//! clojure.math, clojure.core, clojure.string or runtime fn computing what
//! the Java method computes. A static field holding a runtime value
//! (`clojure.lang.PersistentQueue/EMPTY`) becomes the runtime var holding
//! it. Any other member stays interop, refused.

use crate::read::{FormKind, Name};

/// The full name of the Throwable class `name` names, when its
/// constructor is `(Class. message?)`/`(Class. message? cause)`: any Java
/// Throwable jankwasm knows but ExceptionInfo (made by `ex-info`).
pub fn throwable_class(name: &Name) -> Option<&'static str> {
    if name.ns.is_some() {
        return None;
    }
    jank_runtime_abi::java_classes::resolve(&name.name).filter(|class| {
        *class != "clojure.lang.ExceptionInfo"
            && jank_runtime_abi::java_classes::is_instance("java.lang.Throwable", class)
    })
}

/// What `Class/member` stands for.
pub enum StaticMember {
    /// A constant field: its value.
    Literal(FormKind),
    /// A field whose value the runtime makes: the var holding it.
    Field(Name),
    /// A method: the fn computing what it computes.
    Var(Name),
}

const MATH_METHODS: &[(&str, &str, &str)] = &[
    ("abs", "clojure.core", "abs"),
    ("max", "clojure.core", "max"),
    ("min", "clojure.core", "min"),
    ("sqrt", "clojure.math", "sqrt"),
    ("cbrt", "clojure.math", "cbrt"),
    ("pow", "clojure.math", "pow"),
    ("exp", "clojure.math", "exp"),
    ("expm1", "clojure.math", "expm1"),
    ("log", "clojure.math", "log"),
    ("log10", "clojure.math", "log10"),
    ("log1p", "clojure.math", "log1p"),
    ("sin", "clojure.math", "sin"),
    ("cos", "clojure.math", "cos"),
    ("tan", "clojure.math", "tan"),
    ("asin", "clojure.math", "asin"),
    ("acos", "clojure.math", "acos"),
    ("atan", "clojure.math", "atan"),
    ("atan2", "clojure.math", "atan2"),
    ("sinh", "clojure.math", "sinh"),
    ("cosh", "clojure.math", "cosh"),
    ("tanh", "clojure.math", "tanh"),
    ("hypot", "clojure.math", "hypot"),
    ("floor", "clojure.math", "floor"),
    ("ceil", "clojure.math", "ceil"),
    ("rint", "clojure.math", "rint"),
    ("round", "clojure.math", "round"),
    ("signum", "clojure.math", "signum"),
    ("random", "clojure.math", "random"),
    ("toRadians", "clojure.math", "to-radians"),
    ("toDegrees", "clojure.math", "to-degrees"),
    ("floorDiv", "clojure.math", "floor-div"),
    ("floorMod", "clojure.math", "floor-mod"),
    ("addExact", "clojure.math", "add-exact"),
    ("subtractExact", "clojure.math", "subtract-exact"),
    ("multiplyExact", "clojure.math", "multiply-exact"),
    ("incrementExact", "clojure.math", "increment-exact"),
    ("decrementExact", "clojure.math", "decrement-exact"),
    ("negateExact", "clojure.math", "negate-exact"),
    ("ulp", "clojure.math", "ulp"),
    ("nextUp", "clojure.math", "next-up"),
    ("nextDown", "clojure.math", "next-down"),
    ("nextAfter", "clojure.math", "next-after"),
    ("copySign", "clojure.math", "copy-sign"),
    ("getExponent", "clojure.math", "get-exponent"),
    ("scalb", "clojure.math", "scalb"),
    ("IEEEremainder", "clojure.math", "IEEE-remainder"),
];

/// `class/member`, for a class named bare (`Math`) or in full
/// (`java.lang.Math`); a class outside java.lang only in full, as Clojure
/// imports no other.
pub fn static_member(class: &str, member: &str) -> Option<StaticMember> {
    let class = class.strip_prefix("java.lang.").unwrap_or(class);
    let literal = |kind| Some(StaticMember::Literal(kind));
    let var = |ns: &str, name: &str| Some(StaticMember::Var(Name::qualified(ns, name)));
    match (class, member) {
        ("clojure.lang.PersistentQueue", "EMPTY") => Some(StaticMember::Field(Name::qualified(
            "jank.runtime",
            "empty-queue",
        ))),
        ("Long", "MAX_VALUE") => literal(FormKind::Int(i64::MAX)),
        ("Long", "MIN_VALUE") => literal(FormKind::Int(i64::MIN)),
        ("Integer", "MAX_VALUE") => literal(FormKind::Int(i32::MAX.into())),
        ("Integer", "MIN_VALUE") => literal(FormKind::Int(i32::MIN.into())),
        ("Double", "MAX_VALUE") => literal(FormKind::Double(f64::MAX)),
        ("Double", "MIN_VALUE") => literal(FormKind::Double(f64::from_bits(1))),
        ("Double", "POSITIVE_INFINITY") => literal(FormKind::Double(f64::INFINITY)),
        ("Double", "NEGATIVE_INFINITY") => literal(FormKind::Double(f64::NEG_INFINITY)),
        ("Double", "NaN") => literal(FormKind::Double(f64::NAN)),
        ("Math", "PI") => literal(FormKind::Double(std::f64::consts::PI)),
        ("Math", "E") => literal(FormKind::Double(std::f64::consts::E)),
        ("Long", "parseLong") => var("jank.runtime", "java-parse-long"),
        ("Integer", "parseInt") => var("jank.runtime", "java-parse-int"),
        ("Double", "parseDouble") => var("jank.runtime", "java-parse-double"),
        ("Math", method) => MATH_METHODS
            .iter()
            .find(|(name, _, _)| *name == method)
            .and_then(|(_, ns, name)| var(ns, name)),
        _ => None,
    }
}

/// Instance methods: name, how many arguments after the target, and the fn
/// called with the target and those arguments.
const INSTANCE_METHODS: &[(&str, usize, &str, &str)] = &[
    ("getMessage", 0, "clojure.core", "ex-message"),
    ("getCause", 0, "clojure.core", "ex-cause"),
    ("toString", 0, "clojure.core", "str"),
    ("toUpperCase", 0, "clojure.string", "upper-case"),
    ("toLowerCase", 0, "clojure.string", "lower-case"),
    ("length", 0, "clojure.core", "count"),
    ("charAt", 1, "clojure.core", "nth"),
    ("substring", 1, "clojure.core", "subs"),
    ("substring", 2, "clojure.core", "subs"),
    ("startsWith", 1, "clojure.string", "starts-with?"),
    ("endsWith", 1, "clojure.string", "ends-with?"),
];

/// The fn standing for `(.method target args...)` with `arguments` arguments
/// after the target.
pub fn instance_method(method: &str, arguments: usize) -> Option<Name> {
    INSTANCE_METHODS
        .iter()
        .find(|(name, count, _, _)| *name == method && *count == arguments)
        .map(|(_, _, ns, name)| Name::qualified(*ns, *name))
}
