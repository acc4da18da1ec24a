//! clojure.core's numeric fns: arithmetic (the promoting `+' -' *' inc' dec'`
//! too), comparison, predicates, coercions across the tower (`bigint`,
//! `biginteger`, `bigdec`, `rationalize`), bit operations and 1.11's
//! parse-long/parse-double.

use std::cmp::Ordering;

use super::{core, text, VARIADIC};
use crate::error::{arity, class_cast, illegal_argument, overflow, R};
use crate::function::Function;
use crate::number::{self, boxed, integer_arg, num, to_long, Num, Overflow};
use crate::object::{boolean, character, double, int, nil, Obj, Object};

/// Two longs go straight to the overflow-checked i64 op, without unboxing
/// into the tower (the common case of every loop counter).
fn longs(a: Obj, b: Obj, op: fn(i64, i64) -> Option<i64>) -> Option<R> {
    match (&*a, &*b) {
        (Object::Int(x), Object::Int(y)) => Some(op(*x, *y).map(int).ok_or_else(overflow)),
        _ => None,
    }
}

pub fn add(a: Obj, b: Obj) -> R {
    longs(a, b, i64::checked_add).unwrap_or_else(|| Ok(boxed(number::add(num(a)?, num(b)?)?)))
}

pub fn subtract(a: Obj, b: Obj) -> R {
    longs(a, b, i64::checked_sub).unwrap_or_else(|| Ok(boxed(number::subtract(num(a)?, num(b)?)?)))
}

pub fn multiply(a: Obj, b: Obj) -> R {
    longs(a, b, i64::checked_mul).unwrap_or_else(|| Ok(boxed(number::multiply(num(a)?, num(b)?)?)))
}

pub fn divide(a: Obj, b: Obj) -> R {
    Ok(boxed(number::divide(num(a)?, num(b)?)?))
}

pub fn inc(a: Obj) -> R {
    add(a, int(1))
}

pub fn dec(a: Obj) -> R {
    subtract(a, int(1))
}

/// A comparison of two numbers (false when a NaN is involved).
pub fn compare_with(a: Obj, b: Obj, test: fn(Ordering) -> bool) -> R<bool> {
    if let (Object::Int(x), Object::Int(y)) = (&*a, &*b) {
        return Ok(test(x.cmp(y)));
    }
    Ok(number::compare(&num(a)?, &num(b)?).is_some_and(test))
}

pub fn number_equal(a: Obj, b: Obj) -> R<bool> {
    Ok(number::num_equal(&num(a)?, &num(b)?))
}

/// The long operation of clojure.core's `+` or `*` when `f` is that fn
/// (its native, not a fn that calls it): what `reduce` computes unboxed.
pub fn long_op(f: Obj) -> Option<fn(i64, i64) -> Option<i64>> {
    let Object::Fn(function) = &*f else {
        return None;
    };
    match **function {
        Function::Native { name: PLUS, .. } => Some(i64::checked_add),
        Function::Native { name: TIMES, .. } => Some(i64::checked_mul),
        _ => None,
    }
}

const PLUS: &str = "clojure.core/+";
const TIMES: &str = "clojure.core/*";

fn fold(args: &[Obj], identity: i64, op: fn(Obj, Obj) -> R) -> R {
    match args {
        [] => Ok(int(identity)),
        [x] => {
            num(*x)?;
            Ok(*x)
        }
        [x, rest @ ..] => rest.iter().try_fold(*x, |acc, y| op(acc, *y)),
    }
}

/// `(< a b c)` and friends: every adjacent pair passes.
fn chain(args: &[Obj], test: fn(Ordering) -> bool) -> R {
    // One argument is true whatever it is: Clojure's `([x] true)`.
    for pair in args.windows(2) {
        if !compare_with(pair[0], pair[1], test)? {
            return Ok(boolean(false));
        }
    }
    Ok(boolean(true))
}

/// `+'` and friends: long overflow promotes to BigInt.
fn promoting(args: &[Obj], identity: i64, op: fn(&Num, &Num, Overflow) -> R<Num>) -> R {
    match args {
        [] => Ok(int(identity)),
        [x] => {
            num(*x)?;
            Ok(*x)
        }
        [x, rest @ ..] => {
            let mut acc = num(*x)?;
            for y in rest {
                acc = op(&acc, &num(*y)?, Overflow::Promote)?;
            }
            Ok(boxed(acc))
        }
    }
}

/// `(bigint x)`/`(bigdec x)` of a string: Java's constructors' syntax.
fn parsed<T>(value: Obj, parse: fn(&str) -> Option<T>) -> R<Option<T>> {
    match &*value {
        Object::Str(s) => parse(s)
            .map(Some)
            .ok_or_else(|| crate::error::number_format(format!("For input string: \"{s}\""))),
        _ => Ok(None),
    }
}

fn binary(args: &[Obj], op: fn(Num, Num) -> R<Num>) -> R {
    Ok(boxed(op(num(args[0])?, num(args[1])?)?))
}

/// `max`/`min`: one argument is returned unchecked, as Clojure's `([x] x)`.
fn extreme(args: &[Obj], pick_left: fn(Ordering) -> bool) -> R {
    let mut best = args[0];
    if args.len() > 1 {
        num(best)?;
    }
    for x in &args[1..] {
        let (b, y) = (num(best)?, num(*x)?);
        if b.to_f64().is_nan() {
            continue;
        }
        if y.to_f64().is_nan() || !number::compare(&b, &y).is_some_and(pick_left) {
            best = *x;
        }
    }
    Ok(best)
}

fn predicate(args: &[Obj], test: fn(&Num) -> bool) -> R {
    Ok(boolean(test(&num(args[0])?)))
}

fn parse_long(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

/// Java's Double.parseDouble on the forms Clojure programs use (after
/// Java's `trim`, which strips every char up to the space).
pub(crate) fn parse_double(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c| c <= ' ');
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let negative = t.starts_with('-');
    let special = match body {
        "Infinity" => Some(f64::INFINITY),
        "NaN" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Some(if negative { -v } else { v });
    }
    let body = body.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(body);
    if body.is_empty()
        || body.starts_with(['+', '-'])
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let value: f64 = body.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// Clojure's `RT.intCast`: a double must lie within int's range before it is
/// truncated (NaN passes, as 0); other numbers must fit once they are longs.
pub(crate) fn int_cast(value: Obj) -> R<i32> {
    if let Object::Double(d) = *value {
        if d < f64::from(i32::MIN) || d > f64::from(i32::MAX) {
            return Err(illegal_argument(format!(
                "Value out of range for int: {}",
                crate::print::str_of(value)?
            )));
        }
        return Ok(d as i32);
    }
    let long = to_long(value)?;
    i32::try_from(long).map_err(|_| illegal_argument(format!("Value out of range for int: {long}")))
}

/// Numbers.bitOpsCast: only a long takes part in a bit operation.
fn bit_operand(value: Obj) -> R<i64> {
    match *value {
        Object::Int(i) => Ok(i),
        Object::Nil => Err(class_cast(value, "java.lang.Long")),
        _ => Err(illegal_argument(format!(
            "bit operation not supported for: class {}",
            value.class_name()
        ))),
    }
}

fn bits(args: &[Obj], op: fn(i64, i64) -> i64) -> R {
    let mut acc = bit_operand(args[0])?;
    for x in &args[1..] {
        acc = op(acc, bit_operand(*x)?);
    }
    Ok(int(acc))
}

pub fn install() {
    // `(jank.runtime/math-context precision :MODE)`: what `with-precision` binds.
    super::def("jank.runtime", "math-context", 2, 2, |_, a| {
        let precision = to_long(a[0])?;
        let precision = u64::try_from(precision).map_err(|_| illegal_argument("Digits < 0"))?;
        let rounding = match &*a[1] {
            Object::Keyword(name) => number::Rounding::named(&name.name),
            _ => None,
        }
        .ok_or_else(|| class_cast(a[1], "java.math.RoundingMode"))?;
        Ok(crate::object::alloc(Object::MathContext(Box::new(
            number::MathContext {
                precision,
                rounding,
            },
        ))))
    });
    core("+", 0, VARIADIC, |_, a| fold(a, 0, add));
    core("*", 0, VARIADIC, |_, a| fold(a, 1, multiply));
    core("-", 1, VARIADIC, |_, a| match a {
        [x] => Ok(boxed(number::negate(num(*x)?)?)),
        _ => fold(a, 0, subtract),
    });
    core("/", 1, VARIADIC, |_, a| match a {
        [x] => divide(int(1), *x),
        _ => fold(a, 1, divide),
    });
    core("inc", 1, 1, |_, a| inc(a[0]));
    core("dec", 1, 1, |_, a| dec(a[0]));
    core("+'", 0, VARIADIC, |_, a| promoting(a, 0, number::add_with));
    core("*'", 0, VARIADIC, |_, a| {
        promoting(a, 1, number::multiply_with)
    });
    core("-'", 1, VARIADIC, |_, a| match a {
        [x] => Ok(boxed(number::negate_with(&num(*x)?, Overflow::Promote)?)),
        _ => promoting(a, 0, number::subtract_with),
    });
    core("inc'", 1, 1, |_, a| {
        promoting(&[a[0], int(1)], 0, number::add_with)
    });
    core("dec'", 1, 1, |_, a| {
        promoting(&[a[0], int(1)], 0, number::subtract_with)
    });
    core("bigint", 1, 1, |_, a| {
        let value = match parsed(a[0], number::parse_bigint)? {
            Some(b) => b,
            None if matches!(*a[0], Object::BigInt(_)) => return Ok(a[0]),
            None => number::to_bigint(a[0])?,
        };
        Ok(boxed(Num::BigInt(value)))
    });
    core("biginteger", 1, 1, |_, a| {
        let value = match parsed(a[0], number::parse_bigint)? {
            Some(b) => b,
            None => number::to_bigint(a[0])?,
        };
        Ok(number::boxed_big_integer(value))
    });
    core("bigdec", 1, 1, |_, a| {
        let value = match parsed(a[0], number::parse_decimal)? {
            Some(d) => d,
            None if matches!(*a[0], Object::Decimal(_)) => return Ok(a[0]),
            None => number::to_decimal(a[0])?,
        };
        Ok(boxed(Num::Decimal(value)))
    });
    core("rationalize", 1, 1, |_, a| {
        Ok(boxed(number::rationalize(a[0])?))
    });
    core("decimal?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Decimal(_))))
    });
    core("quot", 2, 2, |_, a| binary(a, number::quot));
    core("rem", 2, 2, |_, a| binary(a, number::rem));
    core("mod", 2, 2, |_, a| binary(a, number::modulo));
    core("max", 1, VARIADIC, |_, a| {
        extreme(a, |o| o == Ordering::Greater)
    });
    core("min", 1, VARIADIC, |_, a| {
        extreme(a, |o| o == Ordering::Less)
    });
    core("abs", 1, 1, |_, a| Ok(boxed(number::abs(num(a[0])?)?)));
    core("<", 1, VARIADIC, |_, a| chain(a, |o| o == Ordering::Less));
    core(">", 1, VARIADIC, |_, a| {
        chain(a, |o| o == Ordering::Greater)
    });
    core("<=", 1, VARIADIC, |_, a| {
        chain(a, |o| o != Ordering::Greater)
    });
    core(">=", 1, VARIADIC, |_, a| chain(a, |o| o != Ordering::Less));
    core("==", 1, VARIADIC, |_, a| chain(a, |o| o == Ordering::Equal));
    core("zero?", 1, 1, |_, a| predicate(a, Num::is_zero));
    core("pos?", 1, 1, |_, a| predicate(a, |n| n.signum() > 0));
    core("neg?", 1, 1, |_, a| predicate(a, |n| n.signum() < 0));
    core("even?", 1, 1, |_, a| {
        Ok(boolean(integer_arg(a[0])? % 2 == 0))
    });
    core("odd?", 1, 1, |_, a| {
        Ok(boolean(integer_arg(a[0])? % 2 != 0))
    });
    core("number?", 1, 1, |_, a| Ok(boolean(a[0].is_number())));
    core("integer?", 1, 1, |_, a| {
        Ok(boolean(matches!(
            *a[0],
            Object::Int(_) | Object::BigInt(_) | Object::BigInteger(_)
        )))
    });
    core("int?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Int(_))))
    });
    core("nat-int?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Int(i) if i >= 0)))
    });
    core("pos-int?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Int(i) if i > 0)))
    });
    core("neg-int?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Int(i) if i < 0)))
    });
    core("double?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Double(_))))
    });
    core("float?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Double(_))))
    });
    core("ratio?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Ratio(_))))
    });
    core("rational?", 1, 1, |_, a| {
        Ok(boolean(matches!(
            *a[0],
            Object::Int(_)
                | Object::BigInt(_)
                | Object::BigInteger(_)
                | Object::Ratio(_)
                | Object::Decimal(_)
        )))
    });
    core("NaN?", 1, 1, |_, a| {
        Ok(boolean(num(a[0])?.to_f64().is_nan()))
    });
    core("infinite?", 1, 1, |_, a| {
        Ok(boolean(num(a[0])?.to_f64().is_infinite()))
    });
    core("numerator", 1, 1, |_, a| match &*a[0] {
        Object::Ratio(r) => Ok(number::boxed_big_integer(r.numer().clone())),
        _ => Err(class_cast(a[0], "clojure.lang.Ratio")),
    });
    core("denominator", 1, 1, |_, a| match &*a[0] {
        Object::Ratio(r) => Ok(number::boxed_big_integer(r.denom().clone())),
        _ => Err(class_cast(a[0], "clojure.lang.Ratio")),
    });
    core("long", 1, 1, |_, a| Ok(int(to_long(a[0])?)));
    core("int", 1, 1, |_, a| Ok(int(i64::from(int_cast(a[0])?))));
    core("double", 1, 1, |_, a| Ok(double(num(a[0])?.to_f64())));
    // There is no 32-bit float value (as in jank): `float` checks Float's
    // range as Clojure's RT.floatCast does (infinities too), rounds to a
    // float, and gives the double of that float's shortest decimal, which
    // prints as the JVM prints the float (`(float 0.1)` is 0.1).
    core("float", 1, 1, |_, a| {
        let value = num(a[0])?.to_f64();
        if value.abs() > f64::from(f32::MAX) {
            return Err(illegal_argument(format!(
                "Value out of range for float: {}",
                crate::print::str_of(a[0])?
            )));
        }
        let rounded = value as f32;
        Ok(double(
            rounded.to_string().parse().unwrap_or(f64::from(rounded)),
        ))
    });
    core("num", 1, 1, |_, a| {
        num(a[0])?;
        Ok(a[0])
    });
    core("char", 1, 1, |_, a| match *a[0] {
        Object::Char(_) => Ok(a[0]),
        _ => {
            let code = to_long(a[0])?;
            // A Java char is 16 bits: larger code points are out of range.
            u32::try_from(code)
                .ok()
                .filter(|code| *code <= 0xFFFF)
                .and_then(char::from_u32)
                .map(character)
                .ok_or_else(|| illegal_argument(format!("Value out of range for char: {code}")))
        }
    });
    core("bit-and", 2, VARIADIC, |_, a| bits(a, |x, y| x & y));
    core("bit-or", 2, VARIADIC, |_, a| bits(a, |x, y| x | y));
    core("bit-xor", 2, VARIADIC, |_, a| bits(a, |x, y| x ^ y));
    core("bit-and-not", 2, VARIADIC, |_, a| bits(a, |x, y| x & !y));
    core("bit-not", 1, 1, |_, a| Ok(int(!bit_operand(a[0])?)));
    core("bit-shift-left", 2, 2, |_, a| {
        bits(a, |x, n| x.wrapping_shl((n & 63) as u32))
    });
    core("bit-shift-right", 2, 2, |_, a| {
        bits(a, |x, n| x.wrapping_shr((n & 63) as u32))
    });
    core("unsigned-bit-shift-right", 2, 2, |_, a| {
        bits(a, |x, n| ((x as u64) >> (n & 63)) as i64)
    });
    core("bit-test", 2, 2, |_, a| {
        Ok(boolean(
            (bit_operand(a[0])? >> (bit_operand(a[1])? & 63)) & 1 == 1,
        ))
    });
    core("bit-set", 2, 2, |_, a| bits(a, |x, n| x | (1 << (n & 63))));
    core("bit-clear", 2, 2, |_, a| {
        bits(a, |x, n| x & !(1 << (n & 63)))
    });
    core("bit-flip", 2, 2, |_, a| bits(a, |x, n| x ^ (1 << (n & 63))));
    core("parse-long", 1, 1, |_, a| {
        Ok(parse_long(text(&a[0])?).map_or_else(nil, int))
    });
    core("parse-double", 1, 1, |_, a| {
        Ok(parse_double(text(&a[0])?).map_or_else(nil, double))
    });
    core("parse-boolean", 1, 1, |_, a| {
        Ok(match text(&a[0])? {
            "true" => boolean(true),
            "false" => boolean(false),
            _ => nil(),
        })
    });
    core("not=", 1, VARIADIC, |_, a| {
        for pair in a.windows(2) {
            if !crate::equality::equiv(pair[0], pair[1])? {
                return Ok(boolean(true));
            }
        }
        Ok(boolean(false))
    });
    core("=", 1, VARIADIC, |_, a| {
        for pair in a.windows(2) {
            if !crate::equality::equiv(pair[0], pair[1])? {
                return Ok(boolean(false));
            }
        }
        Ok(boolean(true))
    });
    core("compare", 2, 2, |_, a| {
        Ok(int(i64::from(crate::equality::compare(a[0], a[1])?)))
    });
    core("hash", 1, 1, |_, a| {
        Ok(int(i64::from(crate::equality::hasheq(a[0])?)))
    });
    core("identical?", 2, 2, |_, a| Ok(boolean(a[0].identical(a[1]))));
    core("rand", 0, 1, |_, a| match a {
        [] => Ok(double(crate::core::misc::random())),
        [n] => Ok(double(crate::core::misc::random() * num(*n)?.to_f64())),
        _ => Err(arity(a.len(), "clojure.core/rand")),
    });
    core("rand-int", 1, 1, |_, a| {
        Ok(int(
            (crate::core::misc::random() * num(a[0])?.to_f64()) as i64
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        assert_eq!(parse_long("42"), Some(42));
        assert_eq!(parse_long("-7"), Some(-7));
        assert_eq!(parse_long("+7"), Some(7));
        assert_eq!(parse_long("1.0"), None);
        assert_eq!(parse_long(""), None);
        assert_eq!(parse_double("1.5"), Some(1.5));
        assert_eq!(parse_double("-1e3"), Some(-1000.0));
        assert_eq!(parse_double("Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_double("abc"), None);
    }
}
