//! The methods every Java object has, and Comparable's: `(.toString x)`,
//! `(.equals x y)`, `(.hashCode x)` and `(.compareTo x y)`, on any target but
//! nil (a NullPointerException). `equals` is Java's, not `=`: numbers equal
//! only within their class (`(.equals 1 1.0)` is false, and so is
//! `(.equals 1.0M 1.00M)`), and collections compare their elements so.

use super::{def, no_matching_method, null_reflection_target};
use crate::equality::{compare, equiv, java_hash_code};
use crate::error::{class_cast, R};
use crate::object::{boolean, int, string, Obj, Object};
use crate::print::str_of;
use crate::seq::SeqIter;

/// The entries of a java.util.Map: a map's or a record's.
fn map_entries(value: Obj) -> Option<Vec<(Obj, Obj)>> {
    match &*value {
        Object::Map(m) => Some(m.entries()),
        Object::Record(r) => Some(r.entries()),
        _ => None,
    }
}

/// The entry of `key` in a map or record (found as `get` finds it, by `=`).
fn map_find(map: Obj, key: Obj) -> R<Option<(Obj, Obj)>> {
    match &*map {
        Object::Map(m) => m.find(key),
        Object::Record(r) => r.find(key),
        _ => Ok(None),
    }
}

/// APersistentMap.mapEquals: `other` is a map of as many entries, each key
/// of `map` in it with an equal (Java's `equals`) value.
fn map_equals(map: Obj, other: Obj) -> R<bool> {
    let (Some(entries), Some(other_entries)) = (map_entries(map), map_entries(other)) else {
        return Ok(false);
    };
    if entries.len() != other_entries.len() {
        return Ok(false);
    }
    for (key, value) in entries {
        match map_find(other, key)? {
            Some((_, other_value)) if java_equals(value, other_value)? => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Java's `equals` (Clojure's `Util.equals` on a non-nil value).
pub fn java_equals(a: Obj, b: Obj) -> R<bool> {
    if a.identical(b) {
        return Ok(true);
    }
    Ok(match (&*a, &*b) {
        (_, Object::Nil) => false,
        (Object::Int(x), Object::Int(y)) => x == y,
        // Double.equals compares the bits, with every NaN one NaN.
        (Object::Double(x), Object::Double(y)) => {
            (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
        }
        (Object::BigInt(x), Object::BigInt(y)) | (Object::BigInteger(x), Object::BigInteger(y)) => {
            x == y
        }
        (Object::Ratio(x), Object::Ratio(y)) => x == y,
        // BigDecimal.equals: the same value at the same scale.
        (Object::Decimal(x), Object::Decimal(y)) => {
            x.as_bigint_and_exponent() == y.as_bigint_and_exponent()
        }
        (x, _) if x.is_number() => false,
        (Object::Map(_) | Object::Record(_), _) => map_equals(a, b)?,
        (x, y) if x.is_sequential() => {
            if !y.is_sequential() {
                return Ok(false);
            }
            let (mut xs, mut ys) = (SeqIter::new(a), SeqIter::new(b));
            loop {
                match (xs.next(), ys.next()) {
                    (None, None) => break true,
                    (Some(x), Some(y)) => {
                        let (x, y) = (x?, y?);
                        let equal = if x.is_nil() {
                            y.is_nil()
                        } else {
                            java_equals(x, y)?
                        };
                        if !equal {
                            break false;
                        }
                    }
                    _ => break false,
                }
            }
        }
        // Sets compare their elements by `=` (their `contains`), and
        // strings, chars, keywords, symbols, UUIDs, dates and deftypes (their
        // own `equals`) are equal as `=` says; other values only to themselves.
        _ => equiv(a, b)?,
    })
}

/// Double.compare: -0.0 below 0.0, NaN above everything and equal to itself.
fn compare_doubles(x: f64, y: f64) -> i32 {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => 0,
        (true, false) => 1,
        (false, true) => -1,
        (false, false) => x.total_cmp(&y) as i32,
    }
}

/// `compareTo` of a Comparable: an argument of the target's class (a Ratio
/// takes any number), nil a NullPointerException; a value that is no
/// Comparable has no such method.
fn compare_to(a: Obj, b: Obj) -> R<i32> {
    let same_class = match &*a {
        Object::Str(_)
        | Object::Int(_)
        | Object::Double(_)
        | Object::BigInteger(_)
        | Object::Decimal(_)
        | Object::Char(_)
        | Object::Bool(_)
        | Object::Keyword(_)
        | Object::Symbol(_)
        | Object::Uuid(_)
        | Object::Inst(_)
        | Object::StringBuilder(_) => a.class_name() == b.class_name(),
        Object::Vector(_) => matches!(*b, Object::Vector(_)),
        Object::Ratio(_) => b.is_number(),
        _ => return Err(no_matching_method("compareTo", 1, Some(a.class_name()))),
    };
    if !same_class {
        let class = match *a {
            Object::Vector(_) => "clojure.lang.IPersistentVector",
            Object::Ratio(_) => "java.lang.Number",
            _ => a.class_name(),
        };
        return Err(class_cast(b, class));
    }
    match (&*a, &*b) {
        (Object::Double(x), Object::Double(y)) => Ok(compare_doubles(*x, *y)),
        _ => compare(a, b),
    }
}

/// The class object `target` of `(.method target)`.
fn class_target(target: Obj, method: &str) -> R<&'static str> {
    match *target {
        Object::Class(name) => Ok(name),
        Object::Nil => Err(null_reflection_target()),
        _ => Err(no_matching_method(method, 0, Some(target.class_name()))),
    }
}

pub(super) fn install() {
    // A namespace's getName is its name as a symbol; a keyword's or
    // symbol's (clojure.lang.Named) is its name.
    def("java-get-name", 1, 1, |_, a| match &*a[0] {
        Object::Namespace(name) => Ok(crate::object::symbol(None, name)),
        Object::Keyword(named) | Object::Symbol(named) => Ok(string(named.name.as_ref())),
        _ => Ok(string(class_target(a[0], "getName")?)),
    });
    // ExceptionInfo's getData: what ex-data answers, on an ExceptionInfo only.
    def("java-exception-info-get-data", 1, 1, |_, a| match &*a[0] {
        Object::Exception(e) if a[0].class_name() == "clojure.lang.ExceptionInfo" => {
            Ok(e.data.unwrap_or_else(crate::object::nil))
        }
        Object::Nil => Err(null_reflection_target()),
        _ => Err(no_matching_method("getData", 0, Some(a[0].class_name()))),
    });
    def("java-named-get-namespace", 1, 1, |_, a| match &*a[0] {
        Object::Keyword(named) | Object::Symbol(named) => {
            Ok(named.ns.as_deref().map_or_else(crate::object::nil, string))
        }
        Object::Nil => Err(null_reflection_target()),
        _ => Err(no_matching_method(
            "getNamespace",
            0,
            Some(a[0].class_name()),
        )),
    });
    // A nested class (`java.util.Map$Entry`) is simply `Entry`.
    def("java-class-get-simple-name", 1, 1, |_, a| {
        let name = class_target(a[0], "getSimpleName")?;
        Ok(string(name.rsplit(['.', '$']).next().unwrap_or(name)))
    });
    def("java-object-to-string", 1, 1, |_, a| {
        if a[0].is_nil() {
            return Err(null_reflection_target());
        }
        Ok(string(str_of(a[0])?))
    });
    def("java-object-equals", 2, 2, |_, a| {
        if a[0].is_nil() {
            return Err(null_reflection_target());
        }
        Ok(boolean(java_equals(a[0], a[1])?))
    });
    def("java-object-hash-code", 1, 1, |_, a| {
        if a[0].is_nil() {
            return Err(null_reflection_target());
        }
        Ok(int(i64::from(java_hash_code(a[0])?)))
    });
    def("java-comparable-compare-to", 2, 2, |_, a| {
        if a[0].is_nil() {
            return Err(null_reflection_target());
        }
        Ok(int(i64::from(compare_to(a[0], a[1])?)))
    });
}
