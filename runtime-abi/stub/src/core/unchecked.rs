//! clojure.core's unchecked arithmetic and the narrowing casts. Longs wrap
//! where `+` would throw (Numbers.unchecked_add and friends); any other
//! number computes as the checked operation does. The `-int` variants take
//! each argument's intValue and wrap at 32 bits; `unchecked-int` and
//! `unchecked-long` truncate as RT.uncheckedIntCast/LongCast do, while
//! `byte` and `short` check their range as RT.byteCast/shortCast do.

use num_traits::ToPrimitive;

use super::core;
use crate::error::{arithmetic, class_cast, illegal_argument, R};
use crate::number::{self, boxed, low_bits, num, out_of_range, to_long, Num};
use crate::object::{double, int, Obj, Object};

/// Wrapping when both are longs, else the checked operation.
fn long_or(a: Obj, b: Obj, wrapping: fn(i64, i64) -> i64, checked: fn(Num, Num) -> R<Num>) -> R {
    match (&*a, &*b) {
        (Object::Int(x), Object::Int(y)) => Ok(int(wrapping(*x, *y))),
        _ => Ok(boxed(checked(num(a)?, num(b)?)?)),
    }
}

/// Number.longValue: truncating, the low 64 bits of a big integer.
fn long_value(value: Obj) -> R<i64> {
    Ok(match &*value {
        Object::Int(i) => *i,
        Object::Double(d) => *d as i64,
        Object::BigInt(b) | Object::BigInteger(b) => low_bits(b),
        Object::Ratio(r) => low_bits(&r.trunc().to_integer()),
        Object::Decimal(d) => low_bits(&d.with_scale(0).into_bigint_and_exponent().0),
        _ => return Err(class_cast(value, "java.lang.Number")),
    })
}

/// Number.intValue: as `long_value`, but a double or ratio saturates at
/// the int range first, as Java's double-to-int conversion does; a char is
/// its code (RT.uncheckedIntCast takes chars, uncheckedLongCast does not).
fn int_value(value: Obj) -> R<i32> {
    Ok(match &*value {
        Object::Char(c) => u32::from(*c) as i32,
        Object::Double(d) => *d as i32,
        Object::Ratio(r) => r.to_f64().unwrap_or(f64::NAN) as i32,
        _ => long_value(value)? as i32,
    })
}

/// An argument of a `-int` operation: Clojure reaches Numbers' int
/// methods by reflection, which takes only integral boxes.
fn int_argument(name: &str, value: Obj) -> R<i32> {
    match &*value {
        Object::Int(i) => Ok(*i as i32),
        _ => Err(illegal_argument(format!(
            "No matching method {name} found taking 2 args"
        ))),
    }
}

fn int_op(name: &'static str, a: &[Obj], op: fn(i32, i32) -> R<i32>) -> R {
    let x = int_argument(name, a[0])?;
    let y = a.get(1).map_or(Ok(0), |y| int_argument(name, *y))?;
    Ok(int(i64::from(op(x, y)?)))
}

/// RT.byteCast/shortCast: a long in range, else IllegalArgumentException.
fn narrow(value: Obj, kind: &str, range: std::ops::RangeInclusive<i64>) -> R {
    let n = to_long(value)?;
    if range.contains(&n) {
        Ok(int(n))
    } else {
        Err(out_of_range(value, kind)?)
    }
}

pub(super) fn install() {
    core("unchecked-add", 2, 2, |_, a| {
        long_or(a[0], a[1], i64::wrapping_add, number::add)
    });
    core("unchecked-subtract", 2, 2, |_, a| {
        long_or(a[0], a[1], i64::wrapping_sub, number::subtract)
    });
    core("unchecked-multiply", 2, 2, |_, a| {
        long_or(a[0], a[1], i64::wrapping_mul, number::multiply)
    });
    core("unchecked-inc", 1, 1, |_, a| {
        long_or(a[0], int(1), i64::wrapping_add, number::add)
    });
    core("unchecked-dec", 1, 1, |_, a| {
        long_or(a[0], int(1), i64::wrapping_sub, number::subtract)
    });
    core("unchecked-negate", 1, 1, |_, a| match &*a[0] {
        Object::Int(i) => Ok(int(i.wrapping_neg())),
        _ => Ok(boxed(number::negate(num(a[0])?)?)),
    });
    core("unchecked-add-int", 2, 2, |_, a| {
        int_op("unchecked_int_add", a, |x, y| Ok(x.wrapping_add(y)))
    });
    core("unchecked-subtract-int", 2, 2, |_, a| {
        int_op("unchecked_int_subtract", a, |x, y| Ok(x.wrapping_sub(y)))
    });
    core("unchecked-multiply-int", 2, 2, |_, a| {
        int_op("unchecked_int_multiply", a, |x, y| Ok(x.wrapping_mul(y)))
    });
    core("unchecked-divide-int", 2, 2, |_, a| {
        int_op("unchecked_int_divide", a, |x, y| {
            x.checked_div(y)
                .or_else(|| (y == -1).then(|| x.wrapping_neg()))
                .ok_or_else(|| arithmetic("/ by zero"))
        })
    });
    core("unchecked-remainder-int", 2, 2, |_, a| {
        int_op("unchecked_int_remainder", a, |x, y| {
            x.checked_rem(y)
                .or_else(|| (y == -1).then_some(0))
                .ok_or_else(|| arithmetic("/ by zero"))
        })
    });
    core("unchecked-inc-int", 1, 1, |_, a| {
        int_op("unchecked_int_inc", &a[..1], |x, _| Ok(x.wrapping_add(1)))
    });
    core("unchecked-dec-int", 1, 1, |_, a| {
        int_op("unchecked_int_dec", &a[..1], |x, _| Ok(x.wrapping_sub(1)))
    });
    core("unchecked-negate-int", 1, 1, |_, a| {
        int_op("unchecked_int_negate", &a[..1], |x, _| Ok(x.wrapping_neg()))
    });
    core("unchecked-int", 1, 1, |_, a| {
        Ok(int(i64::from(int_value(a[0])?)))
    });
    core("unchecked-long", 1, 1, |_, a| Ok(int(long_value(a[0])?)));
    core("unchecked-double", 1, 1, |_, a| match &*a[0] {
        Object::Char(_) => Err(class_cast(a[0], "java.lang.Number")),
        _ => Ok(double(num(a[0])?.to_f64())),
    });
    core("byte", 1, 1, |_, a| narrow(a[0], "byte", -128..=127));
    core("short", 1, 1, |_, a| narrow(a[0], "short", -32768..=32767));
}
