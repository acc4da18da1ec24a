//! The number tower with Clojure's contagion: longs, BigInts (arbitrary
//! precision, num-bigint), ratios (num-rational), BigDecimals (bigdecimal)
//! and doubles. An operation takes the wider of its operands' kinds (long <
//! BigInt < ratio < BigDecimal < double, as clojure.lang.Numbers' `combine`);
//! long arithmetic is overflow-checked (`long overflow`) unless it is one of
//! the promoting `+' -' *' inc' dec'`, which go on as BigInts; an integral
//! ratio result is a BigInt (`(* 1/2 2)` is `1N`), while long division stays a
//! long (`(/ 4 2)` is `2`).

use std::cmp::Ordering;

use bigdecimal::BigDecimal;
use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::error::{arithmetic, class_cast, divide_by_zero, illegal_argument, overflow, R};
use crate::object::{alloc, double, int, Obj, Object};

/// A number unboxed.
#[derive(Clone, Debug, PartialEq)]
pub enum Num {
    Int(i64),
    /// A clojure.lang.BigInt (or a java.math.BigInteger, which computes as one).
    BigInt(BigInt),
    /// Normalised: denominator > 1, no common factor.
    Ratio(BigRational),
    Decimal(BigDecimal),
    Double(f64),
}

/// What an operation computes in: the wider of its operands' kinds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Long,
    BigInt,
    Ratio,
    Decimal,
    Double,
}

impl Num {
    fn kind(&self) -> Kind {
        match self {
            Num::Int(_) => Kind::Long,
            Num::BigInt(_) => Kind::BigInt,
            Num::Ratio(_) => Kind::Ratio,
            Num::Decimal(_) => Kind::Decimal,
            Num::Double(_) => Kind::Double,
        }
    }

    pub fn to_f64(&self) -> f64 {
        match self {
            Num::Int(i) => *i as f64,
            Num::BigInt(b) => b.to_f64().unwrap_or(f64::NAN),
            Num::Ratio(r) => ratio_to_f64(r),
            Num::Decimal(d) => d.to_f64().unwrap_or(f64::NAN),
            Num::Double(d) => *d,
        }
    }

    /// The exact integer value of a long or BigInt.
    fn big(&self) -> Option<BigInt> {
        match self {
            Num::Int(i) => Some(BigInt::from(*i)),
            Num::BigInt(b) => Some(b.clone()),
            _ => None,
        }
    }

    /// The exact value as a fraction (None for doubles).
    fn fraction(&self) -> Option<BigRational> {
        match self {
            Num::Int(_) | Num::BigInt(_) => self.big().map(BigRational::from_integer),
            Num::Ratio(r) => Some(r.clone()),
            Num::Decimal(d) => {
                let (unscaled, scale) = d.as_bigint_and_exponent();
                let power = BigInt::from(10).pow(scale.unsigned_abs() as u32);
                Some(if scale >= 0 {
                    BigRational::new(unscaled, power)
                } else {
                    BigRational::from_integer(unscaled * power)
                })
            }
            Num::Double(_) => None,
        }
    }

    /// As a BigDecimal, which a ratio is only when its expansion terminates.
    fn decimal(&self) -> R<BigDecimal> {
        match self {
            Num::Int(i) => Ok(BigDecimal::from(*i)),
            Num::BigInt(b) => Ok(BigDecimal::new(b.clone(), 0)),
            Num::Ratio(r) => match math_context() {
                Some(context) => context.round(r, 0),
                None => exact_decimal(r, 0),
            },
            Num::Decimal(d) => Ok(d.clone()),
            Num::Double(d) => Err(class_cast_number(*d)),
        }
    }

    pub fn is_zero(&self) -> bool {
        match self {
            Num::Int(i) => *i == 0,
            Num::BigInt(b) => b.is_zero(),
            Num::Ratio(_) => false,
            Num::Decimal(d) => d.is_zero(),
            Num::Double(d) => *d == 0.0,
        }
    }

    pub fn signum(&self) -> i32 {
        match self {
            Num::Int(i) => i.signum() as i32,
            Num::BigInt(b) => sign(b.signum().to_i32()),
            Num::Ratio(r) => sign(r.numer().signum().to_i32()),
            Num::Decimal(d) => sign(d.signum().to_i32()),
            Num::Double(d) if *d > 0.0 => 1,
            Num::Double(d) if *d < 0.0 => -1,
            Num::Double(_) => 0,
        }
    }
}

/// Clojure's `Ratio.doubleValue`: the quotient rounded to 16 significant
/// digits (MathContext.DECIMAL64, half-even), then read as a double, so
/// `(double 11/6)` is 1.833333333333333 as on the JVM.
fn ratio_to_f64(r: &BigRational) -> f64 {
    const DIGITS: usize = 16;
    let (numer, denom) = (r.numer().abs(), r.denom());
    let ten = BigInt::from(10);
    // The power of ten that leaves 16 digits before the point.
    let mut exponent =
        DIGITS as i64 - 1 - (numer.to_string().len() as i64 - denom.to_string().len() as i64);
    let scaled = |e: i64| {
        if e >= 0 {
            (&numer * ten.pow(e as u32), denom.clone())
        } else {
            (numer.clone(), denom * ten.pow(e.unsigned_abs() as u32))
        }
    };
    let (mut n, mut d) = scaled(exponent);
    let limit = ten.pow(DIGITS as u32);
    let floor = ten.pow(DIGITS as u32 - 1);
    if n.div_floor(&d) >= limit {
        exponent -= 1;
        (n, d) = scaled(exponent);
    } else if n.div_floor(&d) < floor {
        exponent += 1;
        (n, d) = scaled(exponent);
    }
    let (mut q, rest) = n.div_rem(&d);
    let twice = rest * 2;
    if twice > d || (twice == d && q.is_odd()) {
        q += 1;
    }
    let sign = if r.is_negative() { "-" } else { "" };
    format!("{sign}{q}e{}", -exponent)
        .parse()
        .unwrap_or(f64::NAN)
}

fn sign(value: Option<i32>) -> i32 {
    value.unwrap_or(0)
}

/// Only reached by a programming error: doubles never widen to decimals.
fn class_cast_number(value: f64) -> crate::error::Thrown {
    class_cast(double(value), "java.math.BigDecimal")
}

/// The number inside `value`, or a ClassCastException.
pub fn num(value: Obj) -> R<Num> {
    match &*value {
        Object::Int(i) => Ok(Num::Int(*i)),
        Object::BigInt(b) | Object::BigInteger(b) => Ok(Num::BigInt((**b).clone())),
        Object::Ratio(r) => Ok(Num::Ratio((**r).clone())),
        Object::Decimal(d) => Ok(Num::Decimal((**d).clone())),
        Object::Double(d) => Ok(Num::Double(*d)),
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
        Num::BigInt(b) => alloc(Object::BigInt(Box::new(b))),
        Num::Ratio(r) => alloc(Object::Ratio(Box::new(r))),
        Num::Decimal(d) => alloc(Object::Decimal(Box::new(d))),
        Num::Double(d) => double(d),
    }
}

/// A java.math.BigInteger (what `numerator` and `biginteger` return): it
/// computes as a BigInt but prints without the `N`.
pub fn boxed_big_integer(value: BigInt) -> Obj {
    alloc(Object::BigInteger(Box::new(value)))
}

/// A ratio result: a BigInt when it is integral (Clojure's Numbers.divide of BigIntegers).
fn normalised(r: BigRational) -> Num {
    if r.is_integer() {
        Num::BigInt(r.to_integer())
    } else {
        Num::Ratio(r)
    }
}

/// `num`/`den` as a ratio, a BigInt when integral; `Divide by zero` for a zero `den`.
pub fn make_ratio(numerator: BigInt, denominator: BigInt) -> R<Num> {
    if denominator.is_zero() {
        return Err(divide_by_zero());
    }
    Ok(normalised(BigRational::new(numerator, denominator)))
}

/// Java's `BigDecimal.divide(divisor)`: the exact quotient at the smallest
/// scale at least `preferred`, or an ArithmeticException when the decimal
/// expansion does not terminate.
fn exact_decimal(value: &BigRational, preferred: i64) -> R<BigDecimal> {
    let mut rest = value.denom().clone();
    let (two, five) = (BigInt::from(2), BigInt::from(5));
    let (mut twos, mut fives) = (0i64, 0i64);
    while rest.is_even() {
        rest /= &two;
        twos += 1;
    }
    while (&rest % &five).is_zero() {
        rest /= &five;
        fives += 1;
    }
    if rest != BigInt::from(1) {
        return Err(arithmetic(
            "Non-terminating decimal expansion; no exact representable decimal result.",
        ));
    }
    let scale = twos.max(fives).max(preferred);
    let unscaled = if scale >= 0 {
        value.numer() * BigInt::from(10).pow(scale as u32) / value.denom()
    } else {
        value.numer() / (value.denom() * BigInt::from(10).pow(scale.unsigned_abs() as u32))
    };
    Ok(BigDecimal::new(unscaled, scale))
}

/// java.math.RoundingMode: how a BigDecimal result drops digits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rounding {
    Up,
    Down,
    Ceiling,
    Floor,
    HalfUp,
    HalfDown,
    HalfEven,
    /// Any dropped digit is an ArithmeticException.
    Unnecessary,
}

impl Rounding {
    const NAMES: [(&'static str, Rounding); 8] = [
        ("UP", Rounding::Up),
        ("DOWN", Rounding::Down),
        ("CEILING", Rounding::Ceiling),
        ("FLOOR", Rounding::Floor),
        ("HALF_UP", Rounding::HalfUp),
        ("HALF_DOWN", Rounding::HalfDown),
        ("HALF_EVEN", Rounding::HalfEven),
        ("UNNECESSARY", Rounding::Unnecessary),
    ];

    pub fn named(name: &str) -> Option<Rounding> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| *r)
    }

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("HALF_UP", |(n, _)| n)
    }

    /// `value` rounded to an integer.
    fn integer(self, value: &BigRational) -> R<BigInt> {
        let (truncated, remainder) = value.numer().div_rem(value.denom());
        if remainder.is_zero() {
            return Ok(truncated);
        }
        let away = &truncated + value.numer().signum();
        let positive = value.numer().is_positive();
        let half = (remainder.abs() * 2u8).cmp(value.denom());
        let rounded_away = match self {
            Rounding::Up => true,
            Rounding::Down => false,
            Rounding::Ceiling => positive,
            Rounding::Floor => !positive,
            Rounding::HalfUp => half != Ordering::Less,
            Rounding::HalfDown => half == Ordering::Greater,
            Rounding::HalfEven => match half {
                Ordering::Equal => truncated.is_odd(),
                other => other == Ordering::Greater,
            },
            Rounding::Unnecessary => return Err(arithmetic("Rounding necessary")),
        };
        Ok(if rounded_away { away } else { truncated })
    }
}

/// java.math.MathContext, the value of `*math-context*` (`with-precision`):
/// BigDecimal arithmetic rounds its results to `precision` significant
/// digits (0: unlimited, as without one).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MathContext {
    pub precision: u64,
    pub rounding: Rounding,
}

impl MathContext {
    /// Java's `MathContext.toString`.
    pub fn text(&self) -> String {
        format!(
            "precision={} roundingMode={}",
            self.precision,
            self.rounding.name()
        )
    }

    /// `value` as Java's BigDecimal arithmetic gives it under this context:
    /// rounded to `precision` digits and, when that is exact, at the scale
    /// closest to `preferred` that keeps it exact.
    fn round(&self, value: &BigRational, preferred: i64) -> R<BigDecimal> {
        if value.is_zero() {
            return Ok(BigDecimal::new(BigInt::zero(), preferred));
        }
        let ten = BigInt::from(10);
        let magnitude = value.abs();
        // The exponent of the leading digit: 10^exponent <= |value| < 10^(exponent+1).
        let digits = |n: &BigInt| n.to_string().trim_start_matches('-').len() as i64;
        let mut exponent = digits(magnitude.numer()) - digits(magnitude.denom());
        if BigRational::from_integer(ten.clone()).pow(exponent as i32) > magnitude {
            exponent -= 1;
        }
        let precision = i64::try_from(self.precision).unwrap_or(i64::MAX);
        let mut scale = precision - 1 - exponent;
        let scaled = value * BigRational::from_integer(ten.clone()).pow(scale as i32);
        let mut unscaled = self.rounding.integer(&scaled)?;
        let exact = scaled.is_integer();
        if unscaled.abs() == ten.pow(self.precision as u32) {
            unscaled /= &ten;
            scale -= 1;
        }
        if exact {
            while scale > preferred && (&unscaled % &ten).is_zero() {
                unscaled /= &ten;
                scale -= 1;
            }
        }
        Ok(BigDecimal::new(unscaled, scale))
    }
}

thread_local! {
    static MATH_CONTEXT_VAR: Obj = crate::var::intern("clojure.core", "*math-context*");
}

/// The current `*math-context*`, when it limits the precision.
fn math_context() -> Option<MathContext> {
    let bound = MATH_CONTEXT_VAR.with(|var| crate::var::current(*var))?;
    match &*bound {
        Object::MathContext(context) if context.precision > 0 => Some(**context),
        _ => None,
    }
}

/// A BigDecimal result of `+`, `-` or `*` under the current `*math-context*`.
fn in_context(exact: BigDecimal) -> R<BigDecimal> {
    match math_context() {
        Some(context) => {
            let preferred = exact.fractional_digit_count();
            let value = Num::Decimal(exact)
                .fraction()
                .unwrap_or_else(BigRational::zero);
            context.round(&value, preferred)
        }
        None => Ok(exact),
    }
}

/// Whether a long operation that overflows promotes to BigInt (`+'`) or throws (`+`).
#[derive(Clone, Copy, PartialEq)]
pub enum Overflow {
    Throw,
    Promote,
}

/// One arithmetic operation in each kind it can compute in.
struct Op {
    long: fn(i64, i64) -> Option<i64>,
    integer: fn(BigInt, BigInt) -> BigInt,
    fraction: fn(BigRational, BigRational) -> BigRational,
    decimal: fn(BigDecimal, BigDecimal) -> BigDecimal,
    double: fn(f64, f64) -> f64,
}

const ADD: Op = Op {
    long: i64::checked_add,
    integer: |x, y| x + y,
    fraction: |x, y| x + y,
    decimal: |x, y| x + y,
    double: |x, y| x + y,
};

const SUBTRACT: Op = Op {
    long: i64::checked_sub,
    integer: |x, y| x - y,
    fraction: |x, y| x - y,
    decimal: |x, y| x - y,
    double: |x, y| x - y,
};

const MULTIPLY: Op = Op {
    long: i64::checked_mul,
    integer: |x, y| x * y,
    fraction: |x, y| x * y,
    // BigDecimal.multiply's scale is the sum of both scales, even when one
    // factor is 1 (bigdecimal's `*` returns the other factor then).
    decimal: |x, y| {
        let ((x, x_scale), (y, y_scale)) = (x.into_bigint_and_scale(), y.into_bigint_and_scale());
        BigDecimal::new(x * y, x_scale + y_scale)
    },
    double: |x, y| x * y,
};

/// `op` in the wider kind of `a` and `b`.
fn arithmetic_op(a: &Num, b: &Num, op: &Op, mode: Overflow) -> R<Num> {
    if let (Num::Int(x), Num::Int(y)) = (a, b) {
        return match (op.long)(*x, *y) {
            Some(v) => Ok(Num::Int(v)),
            None if mode == Overflow::Promote => Ok(Num::BigInt((op.integer)(
                BigInt::from(*x),
                BigInt::from(*y),
            ))),
            None => Err(overflow()),
        };
    }
    Ok(match a.kind().max(b.kind()) {
        Kind::Long | Kind::BigInt => Num::BigInt((op.integer)(
            a.big().unwrap_or_default(),
            b.big().unwrap_or_default(),
        )),
        Kind::Ratio => {
            let (x, y) = fractions(a, b);
            normalised((op.fraction)(x, y))
        }
        Kind::Decimal => Num::Decimal(in_context((op.decimal)(a.decimal()?, b.decimal()?))?),
        Kind::Double => Num::Double((op.double)(a.to_f64(), b.to_f64())),
    })
}

fn fractions(a: &Num, b: &Num) -> (BigRational, BigRational) {
    (
        a.fraction().unwrap_or_else(BigRational::zero),
        b.fraction().unwrap_or_else(BigRational::zero),
    )
}

pub fn add_with(a: &Num, b: &Num, mode: Overflow) -> R<Num> {
    arithmetic_op(a, b, &ADD, mode)
}

pub fn add(a: Num, b: Num) -> R<Num> {
    add_with(&a, &b, Overflow::Throw)
}

pub fn negate_with(a: &Num, mode: Overflow) -> R<Num> {
    Ok(match a {
        Num::Int(x) => match x.checked_neg() {
            Some(v) => Num::Int(v),
            None if mode == Overflow::Promote => Num::BigInt(-BigInt::from(*x)),
            None => return Err(overflow()),
        },
        Num::BigInt(x) => Num::BigInt(-x),
        Num::Ratio(r) => Num::Ratio(-r),
        Num::Decimal(d) => Num::Decimal(in_context(-d)?),
        Num::Double(d) => Num::Double(-d),
    })
}

pub fn negate(a: Num) -> R<Num> {
    negate_with(&a, Overflow::Throw)
}

pub fn subtract_with(a: &Num, b: &Num, mode: Overflow) -> R<Num> {
    arithmetic_op(a, b, &SUBTRACT, mode)
}

pub fn subtract(a: Num, b: Num) -> R<Num> {
    subtract_with(&a, &b, Overflow::Throw)
}

pub fn multiply_with(a: &Num, b: &Num, mode: Overflow) -> R<Num> {
    arithmetic_op(a, b, &MULTIPLY, mode)
}

pub fn multiply(a: Num, b: Num) -> R<Num> {
    multiply_with(&a, &b, Overflow::Throw)
}

/// `/`: exact numbers divide exactly (a long when two longs divide evenly,
/// else a ratio or BigInt); a zero exact divisor is `Divide by zero`.
pub fn divide(a: Num, b: Num) -> R<Num> {
    let kind = a.kind().max(b.kind());
    if kind != Kind::Double && b.is_zero() {
        return Err(divide_by_zero());
    }
    Ok(match kind {
        Kind::Long => {
            let (x, y) = (a.big().unwrap_or_default(), b.big().unwrap_or_default());
            match normalised(BigRational::new(x, y)) {
                Num::BigInt(q) => q.to_i64().map_or(Num::BigInt(q), Num::Int),
                ratio => ratio,
            }
        }
        Kind::BigInt | Kind::Ratio => {
            let (x, y) = fractions(&a, &b);
            normalised(x / y)
        }
        Kind::Decimal => {
            let (x, y) = (a.decimal()?, b.decimal()?);
            let preferred = x.fractional_digit_count() - y.fractional_digit_count();
            let (x, y) = fractions(&Num::Decimal(x), &Num::Decimal(y));
            Num::Decimal(match math_context() {
                Some(context) => context.round(&(x / y), preferred)?,
                None => exact_decimal(&(x / y), preferred)?,
            })
        }
        Kind::Double => Num::Double(a.to_f64() / b.to_f64()),
    })
}

/// BigDecimal.divideToIntegralValue's result: the integer at the preferred
/// scale, as far as trailing zeros allow when that scale is negative.
fn integral_decimal(mut integer: BigInt, preferred: i64) -> BigDecimal {
    if preferred >= 0 {
        return BigDecimal::new(integer * BigInt::from(10).pow(preferred as u32), preferred);
    }
    let (ten, mut scale) = (BigInt::from(10), 0);
    while scale > preferred && !integer.is_zero() && (&integer % &ten).is_zero() {
        integer /= &ten;
        scale -= 1;
    }
    BigDecimal::new(integer, scale)
}

/// `BigDecimal.divideToIntegralValue`, under the `*math-context*` when one
/// limits the precision: an integer quotient with more digits than that is
/// an ArithmeticException.
fn decimal_quotient(x: &BigDecimal, y: &BigDecimal) -> R<BigDecimal> {
    let preferred = x.fractional_digit_count() - y.fractional_digit_count();
    let (fx, fy) = fractions(&Num::Decimal(x.clone()), &Num::Decimal(y.clone()));
    if fy.is_zero() {
        return Err(divide_by_zero());
    }
    let context = match math_context() {
        Some(context) if fx.abs() >= fy.abs() => context,
        _ => {
            return Ok(integral_decimal(
                (&fx / &fy).trunc().to_integer(),
                preferred,
            ))
        }
    };
    let truncating = MathContext {
        precision: context.precision,
        rounding: Rounding::Down,
    };
    let ten = BigInt::from(10);
    let (mut unscaled, mut scale) = truncating
        .round(&(&fx / &fy), preferred)?
        .into_bigint_and_exponent();
    if scale < 0 {
        let product = BigDecimal::new(unscaled.clone(), scale) * y;
        if (x - product).abs() >= y.abs() {
            return Err(arithmetic("Division impossible"));
        }
    } else if scale > 0 {
        unscaled /= ten.pow(scale as u32);
        scale = 0;
    }
    let digits = unscaled.abs().to_string().len() as u64;
    if preferred > scale && context.precision > digits {
        let zeros = (context.precision - digits).min((preferred - scale) as u64);
        return Ok(BigDecimal::new(
            unscaled * ten.pow(zeros as u32),
            scale + zeros as i64,
        ));
    }
    while scale > preferred && !unscaled.is_zero() && (&unscaled % &ten).is_zero() {
        unscaled /= &ten;
        scale -= 1;
    }
    Ok(BigDecimal::new(unscaled, scale))
}

/// Numbers.quotient on doubles: the quotient through a long when it fits
/// (so `(quot -0.0 5)` is 0.0), else through a BigInteger, which an
/// infinite or NaN quotient cannot become.
fn double_quotient(a: f64, b: f64) -> R<f64> {
    if b == 0.0 {
        return Err(divide_by_zero());
    }
    let quotient = a / b;
    let limit = (1u64 << 63) as f64;
    if (-limit..=limit).contains(&quotient) {
        Ok(quotient as i64 as f64)
    } else if quotient.is_finite() {
        Ok(quotient.trunc())
    } else {
        Err(crate::error::number_format("Infinite or NaN"))
    }
}

/// The truncated quotient of two exact numbers, as an integer.
fn exact_quotient(a: &Num, b: &Num) -> R<BigInt> {
    let (x, y) = fractions(a, b);
    if y.is_zero() {
        return Err(divide_by_zero());
    }
    Ok((x / y).trunc().to_integer())
}

pub fn quot(a: Num, b: Num) -> R<Num> {
    match (&a, &b) {
        (Num::Int(x), Num::Int(y)) if *y != 0 => Ok(Num::Int(x.wrapping_div(*y))),
        _ => match a.kind().max(b.kind()) {
            Kind::Double => double_quotient(a.to_f64(), b.to_f64()).map(Num::Double),
            Kind::Decimal => decimal_quotient(&a.decimal()?, &b.decimal()?).map(Num::Decimal),
            _ => exact_quotient(&a, &b).map(Num::BigInt),
        },
    }
}

pub fn rem(a: Num, b: Num) -> R<Num> {
    match (&a, &b) {
        (Num::Int(x), Num::Int(y)) if *y != 0 => Ok(Num::Int(x.wrapping_rem(*y))),
        _ => match a.kind().max(b.kind()) {
            Kind::Double => {
                let (x, y) = (a.to_f64(), b.to_f64());
                Ok(Num::Double(x - double_quotient(x, y)? * y))
            }
            // Exact, whatever the `*math-context*`: only the quotient obeys it.
            Kind::Decimal => {
                let (x, y) = (a.decimal()?, b.decimal()?);
                let quotient = decimal_quotient(&x, &y)?;
                Ok(Num::Decimal(&x - quotient * y))
            }
            _ => {
                let q = Num::BigInt(exact_quotient(&a, &b)?);
                subtract_with(
                    &a,
                    &multiply_with(&q, &b, Overflow::Throw)?,
                    Overflow::Throw,
                )
            }
        },
    }
}

/// `(mod n d)`: the remainder with the sign of the divisor.
pub fn modulo(a: Num, b: Num) -> R<Num> {
    let m = rem(a.clone(), b.clone())?;
    if m.is_zero() || (a.signum() > 0) == (b.signum() > 0) {
        Ok(m)
    } else {
        add_with(&m, &b, Overflow::Throw)
    }
}

/// Numeric comparison; None when a NaN is involved.
pub fn compare(a: &Num, b: &Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(y)),
        _ => match (a.fraction(), b.fraction()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => a.to_f64().partial_cmp(&b.to_f64()),
        },
    }
}

/// `==`.
pub fn num_equal(a: &Num, b: &Num) -> bool {
    compare(a, b) == Some(Ordering::Equal)
}

/// `=` on numbers: equal value within the same category (integer, ratio,
/// decimal, floating); decimals compare by value (`(= 1.0M 1.00M)`).
pub fn equiv(a: &Num, b: &Num) -> bool {
    let category = |n: &Num| match n.kind() {
        Kind::Long | Kind::BigInt => Kind::Long,
        kind => kind,
    };
    category(a) == category(b) && num_equal(a, b)
}

/// `abs` (1.11): Long/MIN_VALUE stays itself, like Math/abs; a BigDecimal
/// is rounded to the `*math-context*`.
pub fn abs(a: Num) -> R<Num> {
    Ok(match a {
        Num::Int(i) => Num::Int(i.wrapping_abs()),
        Num::BigInt(b) => Num::BigInt(b.abs()),
        Num::Ratio(r) => Num::Ratio(r.abs()),
        Num::Decimal(d) => Num::Decimal(in_context(d.abs())?),
        Num::Double(d) => Num::Double(d.abs()),
    })
}

/// The long an integer-valued argument holds, for even?/odd? and friends
/// (a BigInt's low 64 bits, as RT.uncheckedLongCast).
pub fn integer_arg(value: Obj) -> R<i64> {
    match &*value {
        Object::Int(i) => Ok(*i),
        Object::BigInt(b) | Object::BigInteger(b) => Ok(low_bits(b)),
        _ if value.is_number() => Err(illegal_argument(format!(
            "Argument must be an integer: {}",
            crate::print::str_of(value)?
        ))),
        _ => Err(class_cast(value, "java.lang.Number")),
    }
}

pub(crate) fn low_bits(b: &BigInt) -> i64 {
    let magnitude = b.iter_u64_digits().next().unwrap_or(0) as i64;
    if b.is_negative() {
        magnitude.wrapping_neg()
    } else {
        magnitude
    }
}

pub(crate) fn out_of_range(value: Obj, kind: &str) -> R<crate::error::Thrown> {
    Ok(illegal_argument(format!(
        "Value out of range for {kind}: {}",
        crate::print::str_of(value)?
    )))
}

fn double_to_long(value: Obj, d: f64) -> R<i64> {
    // RT.longCast compares in doubles, where Long/MAX_VALUE is 2^63: that
    // and NaN pass, and Java's cast saturates them (as `as` does).
    let limit = (1u64 << 63) as f64;
    if d < -limit || d > limit {
        return Err(out_of_range(value, "long")?);
    }
    Ok(d as i64)
}

/// `(long x)`/`(int x)`: truncates doubles, ratios and decimals, takes chars' code points.
pub fn to_long(value: Obj) -> R<i64> {
    match &*value {
        Object::Int(i) => Ok(*i),
        Object::BigInt(b) | Object::BigInteger(b) => match b.to_i64() {
            Some(i) => Ok(i),
            None => Err(out_of_range(value, "long")?),
        },
        Object::Double(d) => double_to_long(value, *d),
        Object::Ratio(r) => match r.trunc().to_integer().to_i64() {
            Some(i) => Ok(i),
            None => Err(out_of_range(value, "long")?),
        },
        Object::Decimal(d) => double_to_long(value, d.to_f64().unwrap_or(f64::NAN)),
        Object::Char(c) => Ok(i64::from(u32::from(*c))),
        _ => Err(class_cast(value, "java.lang.Number")),
    }
}

/// `(bigint x)`: integers as they are, others truncated (doubles through
/// their decimal form, as BigDecimal/valueOf).
pub fn to_bigint(value: Obj) -> R<BigInt> {
    match num(value)? {
        Num::Int(i) => Ok(BigInt::from(i)),
        Num::BigInt(b) => Ok(b),
        Num::Ratio(r) => Ok(r.trunc().to_integer()),
        Num::Decimal(d) => Ok(decimal_integer(&d)),
        Num::Double(d) => Ok(decimal_integer(&double_decimal(value, d)?)),
    }
}

/// BigDecimal.toBigInteger: the integer part.
fn decimal_integer(d: &BigDecimal) -> BigInt {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let power = BigInt::from(10).pow(scale.unsigned_abs() as u32);
    if scale >= 0 {
        unscaled / power
    } else {
        unscaled * power
    }
}

/// BigDecimal/valueOf of a double: its Double.toString digits.
fn double_decimal(value: Obj, d: f64) -> R<BigDecimal> {
    if !d.is_finite() {
        return Err(crate::error::number_format(format!(
            "Character {} is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark.",
            if d.is_nan() { 'N' } else { 'I' }
        )));
    }
    parse_decimal(&crate::print::str_of(value)?)
        .ok_or_else(|| class_cast(value, "java.math.BigDecimal"))
}

/// `(bigdec x)`.
pub fn to_decimal(value: Obj) -> R<BigDecimal> {
    match num(value)? {
        Num::Double(d) => double_decimal(value, d),
        n => n.decimal(),
    }
}

/// `(rationalize x)`: doubles and decimals as the exact fraction of their
/// decimal digits; other numbers unchanged.
pub fn rationalize(value: Obj) -> R<Num> {
    let n = num(value)?;
    let decimal = match &n {
        Num::Double(d) => double_decimal(value, *d)?,
        Num::Decimal(d) => d.clone(),
        _ => return Ok(n),
    };
    Num::Decimal(decimal)
        .fraction()
        .map(normalised)
        .ok_or_else(|| class_cast(value, "java.lang.Number"))
}

/// A BigDecimal from Java's `new BigDecimal(String)` syntax.
pub fn parse_decimal(text: &str) -> Option<BigDecimal> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let mantissa = body.split(['e', 'E']).next().unwrap_or("");
    if !mantissa.bytes().any(|b| b.is_ascii_digit())
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    text.parse().ok()
}

/// A BigInt from decimal digits with an optional sign.
pub fn parse_bigint(text: &str) -> Option<BigInt> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

/// Java's `BigDecimal.toString`: plain digits unless the exponent is
/// positive or the number is very small, then scientific (`1E+3`).
pub fn decimal_text(d: &BigDecimal) -> String {
    let (unscaled, scale) = d.as_bigint_and_exponent();
    let digits = unscaled.abs().to_string();
    let mut out = String::from(if unscaled.is_negative() { "-" } else { "" });
    let adjusted = digits.len() as i64 - 1 - scale;
    if scale >= 0 && adjusted >= -6 {
        let scale = scale as usize;
        if scale == 0 {
            out.push_str(&digits);
        } else if digits.len() > scale {
            let (whole, fraction) = digits.split_at(digits.len() - scale);
            out.push_str(&format!("{whole}.{fraction}"));
        } else {
            out.push_str("0.");
            out.push_str(&"0".repeat(scale - digits.len()));
            out.push_str(&digits);
        }
        return out;
    }
    let (first, rest) = digits.split_at(1);
    out.push_str(first);
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    out.push('E');
    if adjusted > 0 {
        out.push('+');
    }
    out.push_str(&adjusted.to_string());
    out
}

/// `BigInteger.hashCode`: 31-polynomial of the magnitude's big-endian
/// 32-bit words, times the sign.
pub fn big_integer_hash_code(value: &BigInt) -> u32 {
    let words = value.magnitude().to_u32_digits();
    let hash = words
        .iter()
        .rev()
        .fold(0u32, |h, w| h.wrapping_mul(31).wrapping_add(*w));
    if value.is_negative() {
        hash.wrapping_neg()
    } else {
        hash
    }
}

/// Clojure's hasheq of a BigDecimal: zero is 0, others hash their
/// trailing-zero-stripped form (`BigDecimal.hashCode`: 31 * unscaled + scale).
pub fn decimal_hash(d: &BigDecimal) -> u32 {
    if d.is_zero() {
        return 0;
    }
    let (mut unscaled, mut scale) = d.as_bigint_and_exponent();
    let ten = BigInt::from(10);
    while (&unscaled % &ten).is_zero() {
        unscaled /= &ten;
        scale -= 1;
    }
    big_integer_hash_code(&unscaled)
        .wrapping_mul(31)
        .wrapping_add(scale as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(i: i64) -> Num {
        Num::BigInt(BigInt::from(i))
    }

    fn ratio(n: i64, d: i64) -> Num {
        Num::Ratio(BigRational::new(BigInt::from(n), BigInt::from(d)))
    }

    fn dec(text: &str) -> Num {
        Num::Decimal(parse_decimal(text).expect("a decimal"))
    }

    #[test]
    fn contagion_and_ratios() {
        assert_eq!(add(Num::Int(1), Num::Int(2)).ok(), Some(Num::Int(3)));
        assert_eq!(
            add(Num::Int(1), Num::Double(0.5)).ok(),
            Some(Num::Double(1.5))
        );
        assert_eq!(divide(Num::Int(1), Num::Int(2)).ok(), Some(ratio(1, 2)));
        assert_eq!(divide(Num::Int(4), Num::Int(2)).ok(), Some(Num::Int(2)));
        assert_eq!(divide(Num::Int(3), Num::Int(-6)).ok(), Some(ratio(-1, 2)));
        assert_eq!(add(ratio(1, 2), ratio(1, 2)).ok(), Some(big(1)));
        assert_eq!(multiply(ratio(1, 3), Num::Int(3)).ok(), Some(big(1)));
        assert_eq!(add(Num::Int(1), big(1)).ok(), Some(big(2)));
        assert_eq!(
            add(ratio(1, 2), Num::Double(0.25)).ok(),
            Some(Num::Double(0.75))
        );
        assert_eq!(
            divide(Num::Double(1.0), Num::Int(0)).ok(),
            Some(Num::Double(f64::INFINITY))
        );
        assert_eq!(add(ratio(1, 2), dec("0.5")).ok(), Some(dec("1.0")));
    }

    #[test]
    fn promotion() {
        let max = Num::Int(i64::MAX);
        assert!(add(max.clone(), Num::Int(1)).is_err());
        let promoted = add_with(&max, &Num::Int(1), Overflow::Promote).ok();
        assert_eq!(promoted, Some(Num::BigInt(BigInt::from(i64::MAX) + 1)));
        assert_eq!(
            add_with(&Num::Int(1), &Num::Int(2), Overflow::Promote).ok(),
            Some(Num::Int(3))
        );
        assert_eq!(
            negate_with(&Num::Int(i64::MIN), Overflow::Promote).ok(),
            Some(Num::BigInt(-BigInt::from(i64::MIN)))
        );
    }

    #[test]
    fn decimals() {
        assert_eq!(
            decimal_text(&parse_decimal("1.50").expect("a decimal")),
            "1.50"
        );
        assert_eq!(
            decimal_text(&parse_decimal("1e3").expect("a decimal")),
            "1E+3"
        );
        assert_eq!(
            decimal_text(&parse_decimal("0.0000001").expect("a decimal")),
            "1E-7"
        );
        assert_eq!(
            decimal_text(&parse_decimal("0.001").expect("a decimal")),
            "0.001"
        );
        let Ok(Num::Decimal(product)) = multiply(dec("1.50"), Num::Int(2)) else {
            panic!("a decimal product")
        };
        assert_eq!(decimal_text(&product), "3.00");
        let Ok(Num::Decimal(quotient)) = divide(dec("3"), Num::Int(2)) else {
            panic!("a decimal quotient")
        };
        assert_eq!(decimal_text(&quotient), "1.5");
        assert!(divide(dec("1"), dec("3")).is_err());
        assert_eq!(decimal_hash(&parse_decimal("1.5").expect("a decimal")), 466);
        assert_eq!(decimal_hash(&parse_decimal("1.00").expect("a decimal")), 31);
        assert!(equiv(&dec("1.0"), &dec("1.00")));
        assert!(!equiv(&ratio(1, 2), &dec("0.5")));
        assert!(num_equal(&ratio(1, 2), &dec("0.5")));
    }

    #[test]
    fn errors() {
        assert!(add(Num::Int(i64::MAX), Num::Int(1)).is_err());
        assert!(multiply(Num::Int(1 << 40), Num::Int(1 << 40)).is_err());
        assert!(negate(Num::Int(i64::MIN)).is_err());
        assert!(divide(Num::Int(1), Num::Int(0)).is_err());
        assert!(divide(ratio(1, 2), big(0)).is_err());
        assert!(quot(Num::Int(1), Num::Int(0)).is_err());
        assert!(rem(Num::Double(1.0), Num::Int(0)).is_err());
    }

    #[test]
    fn quot_rem_mod() {
        assert_eq!(quot(Num::Int(7), Num::Int(2)).ok(), Some(Num::Int(3)));
        assert_eq!(rem(Num::Int(-7), Num::Int(2)).ok(), Some(Num::Int(-1)));
        assert_eq!(modulo(Num::Int(-7), Num::Int(2)).ok(), Some(Num::Int(1)));
        assert_eq!(modulo(Num::Int(7), Num::Int(-2)).ok(), Some(Num::Int(-1)));
        assert_eq!(modulo(big(-7), Num::Int(2)).ok(), Some(big(1)));
        assert_eq!(quot(big(7), Num::Int(2)).ok(), Some(big(3)));
        assert_eq!(
            quot(Num::Double(7.0), Num::Int(2)).ok(),
            Some(Num::Double(3.0))
        );
        assert_eq!(
            rem(Num::Double(7.5), Num::Int(2)).ok(),
            Some(Num::Double(1.5))
        );
        assert_eq!(rem(ratio(7, 2), Num::Int(2)).ok(), Some(ratio(3, 2)));
        assert_eq!(rem(dec("7.5"), Num::Int(2)).ok(), Some(dec("1.5")));
        let Ok(Num::Decimal(q)) = quot(dec("7.5"), Num::Int(2)) else {
            panic!("a decimal quotient")
        };
        assert_eq!(decimal_text(&q), "3.0");
        let Ok(Num::Decimal(q)) = quot(dec("100"), dec("0.5")) else {
            panic!("a decimal quotient")
        };
        assert_eq!(decimal_text(&q), "2.0E+2");
    }

    #[test]
    fn comparisons_and_hashes() {
        assert_eq!(
            compare(&ratio(1, 2), &Num::Double(0.5)),
            Some(Ordering::Equal)
        );
        assert_eq!(compare(&ratio(1, 3), &Num::Int(1)), Some(Ordering::Less));
        assert!(num_equal(&Num::Int(1), &Num::Double(1.0)));
        assert!(!equiv(&Num::Int(1), &Num::Double(1.0)));
        assert!(equiv(&Num::Int(1), &big(1)));
        assert!(!equiv(&ratio(1, 2), &Num::Double(0.5)));
        assert!(compare(&Num::Double(f64::NAN), &Num::Int(1)).is_none());
        assert_eq!(ratio(11, 6).to_f64(), 1.833333333333333);
        assert_eq!(ratio(-1, 3).to_f64(), -0.3333333333333333);
        assert_eq!(ratio(7381, 2520).to_f64(), 2.928968253968254);
        let huge: BigInt = "12345678901234567890".parse().expect("digits");
        assert_eq!(big_integer_hash_code(&huge) as i32, -1_436_577_082);
    }
}
