//! The number tower: longs, BigInts (only within the i64 range), ratios and
//! doubles with Clojure's contagion (long op ratio is a ratio, an integral
//! ratio result is a BigInt such as `1N`, anything op double is a double),
//! overflow checks (`long overflow`) and division (`(/ 1 2)` is 1/2,
//! `Divide by zero`).

use std::cmp::Ordering;

use crate::error::{class_cast, divide_by_zero, illegal_argument, overflow, R};
use crate::object::{alloc, double, int, Obj, Object};

/// A number unboxed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    Int(i64),
    /// A clojure.lang.BigInt whose value fits an i64 (`1N`).
    BigInt(i64),
    /// Normalised: denominator > 1, no common factor.
    Ratio(i64, i64),
    Double(f64),
}

impl Num {
    pub fn to_f64(self) -> f64 {
        match self {
            Num::Int(i) | Num::BigInt(i) => i as f64,
            Num::Ratio(n, d) => n as f64 / d as f64,
            Num::Double(d) => d,
        }
    }

    /// As an exact fraction (integers have denominator 1).
    fn fraction(self) -> Option<(i128, i128)> {
        match self {
            Num::Int(i) | Num::BigInt(i) => Some((i128::from(i), 1)),
            Num::Ratio(n, d) => Some((i128::from(n), i128::from(d))),
            Num::Double(_) => None,
        }
    }

    pub fn is_zero(self) -> bool {
        match self {
            Num::Int(i) | Num::BigInt(i) => i == 0,
            Num::Ratio(..) => false,
            Num::Double(d) => d == 0.0,
        }
    }

    pub fn signum(self) -> i32 {
        match self {
            Num::Int(i) | Num::BigInt(i) => i.signum() as i32,
            Num::Ratio(n, _) => n.signum() as i32,
            Num::Double(d) if d > 0.0 => 1,
            Num::Double(d) if d < 0.0 => -1,
            Num::Double(_) => 0,
        }
    }
}

/// The number inside `value`, or a ClassCastException.
pub fn num(value: Obj) -> R<Num> {
    match *value {
        Object::Int(i) => Ok(Num::Int(i)),
        Object::BigInt(i) => Ok(Num::BigInt(i)),
        Object::Ratio(n, d) => Ok(Num::Ratio(n, d)),
        Object::Double(d) => Ok(Num::Double(d)),
        _ => Err(class_cast(value, "java.lang.Number")),
    }
}

/// The long inside `value`, for fns that need an integer (ClassCastException otherwise).
pub fn long(value: Obj) -> R<i64> {
    match *value {
        Object::Int(i) => Ok(i),
        _ => Err(class_cast(value, "java.lang.Long")),
    }
}

pub fn boxed(n: Num) -> Obj {
    match n {
        Num::Int(i) => int(i),
        Num::BigInt(i) => alloc(Object::BigInt(i)),
        Num::Ratio(n, d) => alloc(Object::Ratio(n, d)),
        Num::Double(d) => double(d),
    }
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The normalised number numerator/denominator (denominator non-zero); an
/// integral value is a long when `long` (long op long), else a BigInt.
pub fn ratio(numerator: i128, denominator: i128, long: bool) -> R<Num> {
    let g = gcd(numerator, denominator).max(1);
    let (mut n, mut d) = (numerator / g, denominator / g);
    if d < 0 {
        n = n.checked_neg().ok_or_else(overflow)?;
        d = -d;
    }
    let n = i64::try_from(n).map_err(|_| overflow())?;
    if d == 1 {
        return Ok(if long { Num::Int(n) } else { Num::BigInt(n) });
    }
    Ok(Num::Ratio(n, i64::try_from(d).map_err(|_| overflow())?))
}

fn fraction_op(
    a: Num,
    b: Num,
    op: impl Fn((i128, i128), (i128, i128)) -> Option<(i128, i128)>,
) -> Option<R<Num>> {
    let (x, y) = (a.fraction()?, b.fraction()?);
    Some(
        op(x, y)
            .ok_or_else(overflow)
            .and_then(|(n, d)| ratio(n, d, false)),
    )
}

pub fn add(a: Num, b: Num) -> R<Num> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.checked_add(y).map(Num::Int).ok_or_else(overflow),
        _ => fraction_op(a, b, |(an, ad), (bn, bd)| {
            Some((
                an.checked_mul(bd)?.checked_add(bn.checked_mul(ad)?)?,
                ad.checked_mul(bd)?,
            ))
        })
        .unwrap_or_else(|| Ok(Num::Double(a.to_f64() + b.to_f64()))),
    }
}

pub fn negate(a: Num) -> R<Num> {
    match a {
        Num::Int(x) => x.checked_neg().map(Num::Int).ok_or_else(overflow),
        Num::BigInt(x) => x.checked_neg().map(Num::BigInt).ok_or_else(overflow),
        Num::Ratio(n, d) => Ok(Num::Ratio(n.checked_neg().ok_or_else(overflow)?, d)),
        Num::Double(d) => Ok(Num::Double(-d)),
    }
}

pub fn subtract(a: Num, b: Num) -> R<Num> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.checked_sub(y).map(Num::Int).ok_or_else(overflow),
        _ => fraction_op(a, b, |(an, ad), (bn, bd)| {
            Some((
                an.checked_mul(bd)?.checked_sub(bn.checked_mul(ad)?)?,
                ad.checked_mul(bd)?,
            ))
        })
        .unwrap_or_else(|| Ok(Num::Double(a.to_f64() - b.to_f64()))),
    }
}

pub fn multiply(a: Num, b: Num) -> R<Num> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.checked_mul(y).map(Num::Int).ok_or_else(overflow),
        _ => fraction_op(a, b, |(an, ad), (bn, bd)| {
            Some((an.checked_mul(bn)?, ad.checked_mul(bd)?))
        })
        .unwrap_or_else(|| Ok(Num::Double(a.to_f64() * b.to_f64()))),
    }
}

pub fn divide(a: Num, b: Num) -> R<Num> {
    if let (Some((an, ad)), Some((bn, bd))) = (a.fraction(), b.fraction()) {
        if bn == 0 {
            return Err(divide_by_zero());
        }
        let longs = matches!((a, b), (Num::Int(_), Num::Int(_)));
        return ratio(
            an.checked_mul(bd).ok_or_else(overflow)?,
            ad.checked_mul(bn).ok_or_else(overflow)?,
            longs,
        );
    }
    Ok(Num::Double(a.to_f64() / b.to_f64()))
}

/// Truncating division of exact numbers as a fraction, or None for doubles.
fn exact_quotient(a: Num, b: Num) -> Option<R<i128>> {
    let ((an, ad), (bn, bd)) = (a.fraction()?, b.fraction()?);
    if bn == 0 {
        return Some(Err(divide_by_zero()));
    }
    Some(
        an.checked_mul(bd)
            .zip(ad.checked_mul(bn))
            .map(|(n, d)| n / d)
            .ok_or_else(overflow),
    )
}

fn double_quotient(a: f64, b: f64) -> R<f64> {
    if b == 0.0 {
        return Err(divide_by_zero());
    }
    Ok((a / b).trunc())
}

pub fn quot(a: Num, b: Num) -> R<Num> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) if y != 0 => Ok(Num::Int(x.wrapping_div(y))),
        _ => match exact_quotient(a, b) {
            Some(q) => Ok(Num::BigInt(i64::try_from(q?).map_err(|_| overflow())?)),
            None => double_quotient(a.to_f64(), b.to_f64()).map(Num::Double),
        },
    }
}

pub fn rem(a: Num, b: Num) -> R<Num> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) if y != 0 => Ok(Num::Int(x.wrapping_rem(y))),
        _ => match exact_quotient(a, b) {
            Some(q) => {
                let q = Num::BigInt(i64::try_from(q?).map_err(|_| overflow())?);
                subtract(a, multiply(q, b)?)
            }
            None => {
                let (x, y) = (a.to_f64(), b.to_f64());
                Ok(Num::Double(x - double_quotient(x, y)? * y))
            }
        },
    }
}

/// `(mod n d)`: the remainder with the sign of the divisor.
pub fn modulo(a: Num, b: Num) -> R<Num> {
    let m = rem(a, b)?;
    if m.is_zero() || (a.signum() > 0) == (b.signum() > 0) {
        Ok(m)
    } else {
        add(m, b)
    }
}

/// Numeric comparison; None when a NaN is involved.
pub fn compare(a: Num, b: Num) -> Option<Ordering> {
    match (a.fraction(), b.fraction()) {
        (Some((an, ad)), Some((bn, bd))) => Some((an * bd).cmp(&(bn * ad))),
        _ => a.to_f64().partial_cmp(&b.to_f64()),
    }
}

/// `==`.
pub fn num_equal(a: Num, b: Num) -> bool {
    compare(a, b) == Some(Ordering::Equal)
}

/// `=` on numbers: equal value within the same category (integer, ratio, floating).
pub fn equiv(a: Num, b: Num) -> bool {
    match (a, b) {
        (Num::Int(x) | Num::BigInt(x), Num::Int(y) | Num::BigInt(y)) => x == y,
        (Num::Ratio(an, ad), Num::Ratio(bn, bd)) => an == bn && ad == bd,
        (Num::Double(x), Num::Double(y)) => x == y,
        _ => false,
    }
}

/// `abs` (1.11): Long/MIN_VALUE stays itself, like Math/abs.
pub fn abs(a: Num) -> Num {
    match a {
        Num::Int(i) => Num::Int(i.wrapping_abs()),
        Num::BigInt(i) => Num::BigInt(i.wrapping_abs()),
        Num::Ratio(n, d) => Num::Ratio(n.wrapping_abs(), d),
        Num::Double(d) => Num::Double(d.abs()),
    }
}

/// The long an integer-valued argument holds, for even?/odd? and friends.
pub fn integer_arg(value: Obj) -> R<i64> {
    match *value {
        Object::Int(i) => Ok(i),
        _ if value.is_number() => Err(illegal_argument(format!(
            "Argument must be an integer: {}",
            crate::print::str_of(value)?
        ))),
        _ => Err(class_cast(value, "java.lang.Number")),
    }
}

/// `(long x)`/`(int x)`: truncates doubles and ratios, takes chars' code points.
pub fn to_long(value: Obj) -> R<i64> {
    match *value {
        Object::Int(i) | Object::BigInt(i) => Ok(i),
        Object::Double(d) => {
            let limit = (1u64 << 63) as f64;
            if !(-limit..limit).contains(&d) {
                return Err(illegal_argument(format!(
                    "Value out of range for long: {}",
                    crate::print::str_of(value)?
                )));
            }
            Ok(d as i64)
        }
        Object::Ratio(n, d) => Ok(n / d),
        Object::Char(c) => Ok(i64::from(u32::from(c))),
        _ => Err(class_cast(value, "java.lang.Number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contagion_and_ratios() {
        assert_eq!(add(Num::Int(1), Num::Int(2)).ok(), Some(Num::Int(3)));
        assert_eq!(
            add(Num::Int(1), Num::Double(0.5)).ok(),
            Some(Num::Double(1.5))
        );
        assert_eq!(
            divide(Num::Int(1), Num::Int(2)).ok(),
            Some(Num::Ratio(1, 2))
        );
        assert_eq!(divide(Num::Int(4), Num::Int(2)).ok(), Some(Num::Int(2)));
        assert_eq!(
            divide(Num::Int(3), Num::Int(-6)).ok(),
            Some(Num::Ratio(-1, 2))
        );
        assert_eq!(
            add(Num::Ratio(1, 2), Num::Ratio(1, 2)).ok(),
            Some(Num::BigInt(1))
        );
        assert_eq!(
            multiply(Num::Ratio(1, 3), Num::Int(3)).ok(),
            Some(Num::BigInt(1))
        );
        assert_eq!(
            add(Num::Ratio(1, 2), Num::Double(0.25)).ok(),
            Some(Num::Double(0.75))
        );
        assert_eq!(
            divide(Num::Double(1.0), Num::Int(0)).ok(),
            Some(Num::Double(f64::INFINITY))
        );
    }

    #[test]
    fn errors() {
        assert!(add(Num::Int(i64::MAX), Num::Int(1)).is_err());
        assert!(multiply(Num::Int(1 << 40), Num::Int(1 << 40)).is_err());
        assert!(negate(Num::Int(i64::MIN)).is_err());
        assert!(divide(Num::Int(1), Num::Int(0)).is_err());
        assert!(quot(Num::Int(1), Num::Int(0)).is_err());
        assert!(rem(Num::Double(1.0), Num::Int(0)).is_err());
    }

    #[test]
    fn quot_rem_mod() {
        assert_eq!(quot(Num::Int(7), Num::Int(2)).ok(), Some(Num::Int(3)));
        assert_eq!(rem(Num::Int(-7), Num::Int(2)).ok(), Some(Num::Int(-1)));
        assert_eq!(modulo(Num::Int(-7), Num::Int(2)).ok(), Some(Num::Int(1)));
        assert_eq!(modulo(Num::Int(7), Num::Int(-2)).ok(), Some(Num::Int(-1)));
        assert_eq!(
            quot(Num::Double(7.0), Num::Int(2)).ok(),
            Some(Num::Double(3.0))
        );
        assert_eq!(
            rem(Num::Double(7.5), Num::Int(2)).ok(),
            Some(Num::Double(1.5))
        );
        assert_eq!(
            rem(Num::Ratio(7, 2), Num::Int(2)).ok(),
            Some(Num::Ratio(3, 2))
        );
    }

    #[test]
    fn comparisons_and_equality() {
        assert_eq!(
            compare(Num::Ratio(1, 2), Num::Double(0.5)),
            Some(Ordering::Equal)
        );
        assert_eq!(compare(Num::Ratio(1, 3), Num::Int(1)), Some(Ordering::Less));
        assert!(num_equal(Num::Int(1), Num::Double(1.0)));
        assert!(!equiv(Num::Int(1), Num::Double(1.0)));
        assert!(!equiv(Num::Ratio(1, 2), Num::Double(0.5)));
        assert!(compare(Num::Double(f64::NAN), Num::Int(1)).is_none());
    }
}
