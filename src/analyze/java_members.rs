//! The members of java.lang classes that portable Clojure code uses and
//! that have an exact jankwasm counterpart: static constants
//! (`Long/MAX_VALUE`, `Math/PI`) become literals, static methods
//! (`Math/sqrt`, `Long/parseLong`, `Character/isDigit`) and instance methods
//! of Object, Throwable, String, Class and the collection interfaces
//! (`(.equals a b)`, `(.getMessage e)`, `(.indexOf s "x")`, `(.getKey e)`)
//! become the clojure.core or clojure.math fn, or the
//! `jank.runtime/java-...` native, computing what the Java method computes.
//! A static field holding a runtime value (`clojure.lang.PersistentQueue/EMPTY`)
//! becomes the runtime var holding it. Any other member, or a member called
//! with an arity Java has no overload for, stays interop: refused at compile time.

use std::ops::RangeInclusive;

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

/// How many arguments a method takes (after the target, for an instance
/// method): one row per member, so overloads of several arities share it.
type Arity = RangeInclusive<usize>;

/// A Java method and the fn computing the same, called with the same
/// arguments (the target first, for an instance method).
pub struct JavaMethod {
    pub function: Name,
    arity: Arity,
    instance: bool,
}

impl JavaMethod {
    fn new(ns: &str, name: &str, arity: &Arity, instance: bool) -> JavaMethod {
        JavaMethod {
            function: Name::qualified(ns, name),
            arity: arity.clone(),
            instance,
        }
    }

    /// The diagnostic's message when `member` (`Long/toString`, `.indexOf`)
    /// is called with `given` arguments (after the target) and Java has no
    /// overload of that arity; None when it has.
    pub fn arity_error(&self, member: &str, given: usize) -> Option<String> {
        if self.arity.contains(&given) {
            return None;
        }
        let (min, max) = (*self.arity.start(), *self.arity.end());
        let takes = match max - min {
            0 => arguments(min),
            1 => format!("{min} or {}", arguments(max)),
            _ => format!("{min} to {}", arguments(max)),
        };
        let after_target = if self.instance {
            " after its target"
        } else {
            ""
        };
        Some(format!(
            "Java interop (`{member}` with {}) is not supported by jankwasm: `{member}` takes {takes}{after_target}",
            arguments(given)
        ))
    }
}

/// "1 argument", "3 arguments".
fn arguments(count: usize) -> String {
    if count == 1 {
        "1 argument".to_string()
    } else {
        format!("{count} arguments")
    }
}

/// What `Class/member` stands for.
pub enum StaticMember {
    /// A constant field: its value.
    Literal(FormKind),
    /// A field whose value the runtime makes: the var holding it.
    Field(Name),
    /// A method: the fn computing what it computes.
    Method(JavaMethod),
}

const CORE: &str = "clojure.core";
const MATH: &str = "clojure.math";
const RUNTIME: &str = "jank.runtime";

/// Static methods: class, method, arity, and the fn computing the same.
/// Parameter conversions and exceptions: `runtime-abi/stub/src/core/java/`.
#[rustfmt::skip]
const STATIC_METHODS: &[(&str, &str, Arity, &str, &str)] = &[
    ("System", "currentTimeMillis", 0..=0, RUNTIME, "current-time-millis"),
    ("System", "nanoTime", 0..=0, RUNTIME, "nano-time"),
    ("Long", "parseLong", 1..=2, RUNTIME, "java-parse-long"),
    ("Long", "valueOf", 1..=2, RUNTIME, "java-long-value-of"),
    ("Long", "toString", 1..=2, RUNTIME, "java-long-to-string"),
    ("Long", "toBinaryString", 1..=1, RUNTIME, "java-long-to-binary-string"),
    ("Long", "toOctalString", 1..=1, RUNTIME, "java-long-to-octal-string"),
    ("Long", "toHexString", 1..=1, RUNTIME, "java-long-to-hex-string"),
    ("Long", "bitCount", 1..=1, RUNTIME, "java-long-bit-count"),
    ("Long", "signum", 1..=1, RUNTIME, "java-long-signum"),
    ("Integer", "parseInt", 1..=2, RUNTIME, "java-parse-int"),
    ("Integer", "valueOf", 1..=2, RUNTIME, "java-integer-value-of"),
    ("Integer", "toString", 1..=2, RUNTIME, "java-integer-to-string"),
    ("Integer", "toBinaryString", 1..=1, RUNTIME, "java-integer-to-binary-string"),
    ("Integer", "toOctalString", 1..=1, RUNTIME, "java-integer-to-octal-string"),
    ("Integer", "toHexString", 1..=1, RUNTIME, "java-integer-to-hex-string"),
    ("Integer", "bitCount", 1..=1, RUNTIME, "java-integer-bit-count"),
    ("Double", "parseDouble", 1..=1, RUNTIME, "java-parse-double"),
    ("Double", "valueOf", 1..=1, RUNTIME, "java-double-value-of"),
    ("Double", "toString", 1..=1, RUNTIME, "java-double-to-string"),
    ("Double", "isNaN", 1..=1, RUNTIME, "java-double-is-nan"),
    ("Double", "isInfinite", 1..=1, RUNTIME, "java-double-is-infinite"),
    ("Boolean", "parseBoolean", 1..=1, RUNTIME, "java-boolean-parse-boolean"),
    ("String", "valueOf", 1..=1, RUNTIME, "java-string-value-of"),
    ("Character", "isDigit", 1..=1, RUNTIME, "java-character-is-digit"),
    ("Character", "isLetter", 1..=1, RUNTIME, "java-character-is-letter"),
    ("Character", "isLetterOrDigit", 1..=1, RUNTIME, "java-character-is-letter-or-digit"),
    ("Character", "isAlphabetic", 1..=1, RUNTIME, "java-character-is-alphabetic"),
    ("Character", "isWhitespace", 1..=1, RUNTIME, "java-character-is-whitespace"),
    ("Character", "isUpperCase", 1..=1, RUNTIME, "java-character-is-upper-case"),
    ("Character", "isLowerCase", 1..=1, RUNTIME, "java-character-is-lower-case"),
    ("Character", "toUpperCase", 1..=1, RUNTIME, "java-character-to-upper-case"),
    ("Character", "toLowerCase", 1..=1, RUNTIME, "java-character-to-lower-case"),
    ("Character", "getNumericValue", 1..=1, RUNTIME, "java-character-get-numeric-value"),
    ("Character", "digit", 2..=2, RUNTIME, "java-character-digit"),
    ("Math", "abs", 1..=1, CORE, "abs"),
    ("Math", "max", 2..=2, CORE, "max"),
    ("Math", "min", 2..=2, CORE, "min"),
    ("Math", "sqrt", 1..=1, MATH, "sqrt"),
    ("Math", "cbrt", 1..=1, MATH, "cbrt"),
    ("Math", "pow", 2..=2, MATH, "pow"),
    ("Math", "exp", 1..=1, MATH, "exp"),
    ("Math", "expm1", 1..=1, MATH, "expm1"),
    ("Math", "log", 1..=1, MATH, "log"),
    ("Math", "log10", 1..=1, MATH, "log10"),
    ("Math", "log1p", 1..=1, MATH, "log1p"),
    ("Math", "sin", 1..=1, MATH, "sin"),
    ("Math", "cos", 1..=1, MATH, "cos"),
    ("Math", "tan", 1..=1, MATH, "tan"),
    ("Math", "asin", 1..=1, MATH, "asin"),
    ("Math", "acos", 1..=1, MATH, "acos"),
    ("Math", "atan", 1..=1, MATH, "atan"),
    ("Math", "atan2", 2..=2, MATH, "atan2"),
    ("Math", "sinh", 1..=1, MATH, "sinh"),
    ("Math", "cosh", 1..=1, MATH, "cosh"),
    ("Math", "tanh", 1..=1, MATH, "tanh"),
    ("Math", "hypot", 2..=2, MATH, "hypot"),
    ("Math", "floor", 1..=1, MATH, "floor"),
    ("Math", "ceil", 1..=1, MATH, "ceil"),
    ("Math", "rint", 1..=1, MATH, "rint"),
    ("Math", "round", 1..=1, MATH, "round"),
    ("Math", "signum", 1..=1, MATH, "signum"),
    ("Math", "random", 0..=0, MATH, "random"),
    ("Math", "toRadians", 1..=1, MATH, "to-radians"),
    ("Math", "toDegrees", 1..=1, MATH, "to-degrees"),
    ("Math", "floorDiv", 2..=2, MATH, "floor-div"),
    ("Math", "floorMod", 2..=2, MATH, "floor-mod"),
    ("Math", "addExact", 2..=2, MATH, "add-exact"),
    ("Math", "subtractExact", 2..=2, MATH, "subtract-exact"),
    ("Math", "multiplyExact", 2..=2, MATH, "multiply-exact"),
    ("Math", "incrementExact", 1..=1, MATH, "increment-exact"),
    ("Math", "decrementExact", 1..=1, MATH, "decrement-exact"),
    ("Math", "negateExact", 1..=1, MATH, "negate-exact"),
    ("Math", "ulp", 1..=1, MATH, "ulp"),
    ("Math", "nextUp", 1..=1, MATH, "next-up"),
    ("Math", "nextDown", 1..=1, MATH, "next-down"),
    ("Math", "nextAfter", 2..=2, MATH, "next-after"),
    ("Math", "copySign", 2..=2, MATH, "copy-sign"),
    ("Math", "getExponent", 1..=1, MATH, "get-exponent"),
    ("Math", "scalb", 2..=2, MATH, "scalb"),
    ("Math", "IEEEremainder", 2..=2, MATH, "IEEE-remainder"),
];

/// `class/member`, for a class named bare (`Math`) or in full
/// (`java.lang.Math`); a class outside java.lang only in full, as Clojure
/// imports no other.
pub fn static_member(class: &str, member: &str) -> Option<StaticMember> {
    let class = class.strip_prefix("java.lang.").unwrap_or(class);
    let literal = |kind| Some(StaticMember::Literal(kind));
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
        _ => STATIC_METHODS
            .iter()
            .find(|(owner, name, ..)| *owner == class && *name == member)
            .map(|(_, _, arity, ns, name)| {
                StaticMember::Method(JavaMethod::new(ns, name, arity, false))
            }),
    }
}

/// Instance methods: name, arity after the target, and the fn called with
/// the target and the arguments. Any target but nil for Object's and
/// Comparable's (`toString` .. `compareTo`), a string for String's, a
/// collection implementing the declaring interface for the collection
/// interfaces' (`size` .. `val`; `indexOf`, `lastIndexOf`, `contains` and
/// `isEmpty` take a string or a collection), a class (or, `getName`, a
/// namespace, keyword or symbol) for Class's, a keyword or symbol for
/// `getNamespace`; a StringBuilder for its own (`reverse` .. `deleteCharAt`),
/// which also takes String's `length`, `charAt`, `indexOf`, `lastIndexOf`
/// and `isEmpty`, and Writer's `append`.
#[rustfmt::skip]
const INSTANCE_METHODS: &[(&str, Arity, &str, &str)] = &[
    ("getMessage", 0..=0, CORE, "ex-message"),
    ("getCause", 0..=0, CORE, "ex-cause"),
    ("getData", 0..=0, RUNTIME, "java-exception-info-get-data"),
    ("toString", 0..=0, RUNTIME, "java-object-to-string"),
    ("equals", 1..=1, RUNTIME, "java-object-equals"),
    ("hashCode", 0..=0, RUNTIME, "java-object-hash-code"),
    ("compareTo", 1..=1, RUNTIME, "java-comparable-compare-to"),
    ("write", 1..=1, RUNTIME, "java-writer-write"),
    ("append", 1..=1, RUNTIME, "java-writer-append"),
    ("flush", 0..=0, RUNTIME, "java-writer-flush"),
    ("length", 0..=0, RUNTIME, "java-string-length"),
    ("isEmpty", 0..=0, RUNTIME, "java-is-empty"),
    ("isBlank", 0..=0, RUNTIME, "java-string-is-blank"),
    ("charAt", 1..=1, RUNTIME, "java-string-char-at"),
    ("substring", 1..=2, RUNTIME, "java-string-substring"),
    ("indexOf", 1..=2, RUNTIME, "java-index-of"),
    ("lastIndexOf", 1..=2, RUNTIME, "java-last-index-of"),
    ("contains", 1..=1, RUNTIME, "java-contains"),
    ("startsWith", 1..=2, RUNTIME, "java-string-starts-with"),
    ("endsWith", 1..=1, RUNTIME, "java-string-ends-with"),
    ("matches", 1..=1, RUNTIME, "java-string-matches"),
    ("split", 1..=2, RUNTIME, "java-string-split"),
    ("equalsIgnoreCase", 1..=1, RUNTIME, "java-string-equals-ignore-case"),
    ("toUpperCase", 0..=0, RUNTIME, "java-string-to-upper-case"),
    ("toLowerCase", 0..=0, RUNTIME, "java-string-to-lower-case"),
    ("trim", 0..=0, RUNTIME, "java-string-trim"),
    ("strip", 0..=0, RUNTIME, "java-string-strip"),
    ("concat", 1..=1, RUNTIME, "java-string-concat"),
    ("replace", 2..=2, RUNTIME, "java-string-replace"),
    ("repeat", 1..=1, RUNTIME, "java-string-repeat"),
    ("toCharArray", 0..=0, RUNTIME, "java-string-to-char-array"),
    ("size", 0..=0, RUNTIME, "java-collection-size"),
    ("count", 0..=0, RUNTIME, "java-collection-count"),
    ("get", 1..=1, RUNTIME, "java-collection-get"),
    ("containsKey", 1..=1, RUNTIME, "java-map-contains-key"),
    ("nth", 1..=2, RUNTIME, "java-indexed-nth"),
    ("valAt", 1..=2, RUNTIME, "java-lookup-val-at"),
    ("getKey", 0..=0, RUNTIME, "java-map-entry-get-key"),
    ("key", 0..=0, RUNTIME, "java-map-entry-key"),
    ("getValue", 0..=0, RUNTIME, "java-map-entry-get-value"),
    ("val", 0..=0, RUNTIME, "java-map-entry-val"),
    ("getName", 0..=0, RUNTIME, "java-get-name"),
    ("getSimpleName", 0..=0, RUNTIME, "java-class-get-simple-name"),
    ("getNamespace", 0..=0, RUNTIME, "java-named-get-namespace"),
    ("reverse", 0..=0, RUNTIME, "java-string-builder-reverse"),
    ("insert", 2..=2, RUNTIME, "java-string-builder-insert"),
    ("setLength", 1..=1, RUNTIME, "java-string-builder-set-length"),
    ("deleteCharAt", 1..=1, RUNTIME, "java-string-builder-delete-char-at"),
];

/// The method `(.method target args...)` names, whatever its arity.
pub fn instance_method(method: &str) -> Option<JavaMethod> {
    INSTANCE_METHODS
        .iter()
        .find(|(name, ..)| *name == method)
        .map(|(_, arity, ns, name)| JavaMethod::new(ns, name, arity, true))
}
