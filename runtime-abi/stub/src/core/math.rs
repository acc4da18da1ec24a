//! clojure.math (Clojure 1.11): java.lang.Math's functions over doubles
//! (arguments coerced as a `^double` parameter coerces them), its exact long
//! arithmetic, and the constants `E` and `PI`.

use super::def;
use crate::error::{arithmetic, R};
use crate::number::{num, to_long};
use crate::object::{double, int, Obj};
use crate::var::{bind_root, intern_raw};

const NS: &str = "clojure.math";

fn arg(value: Obj) -> R<f64> {
    Ok(num(value)?.to_f64())
}

/// `clojure.math/name` as a fn of doubles giving a double: `(x)` or `(x y)`.
macro_rules! doubles {
    ($name:literal, |$x:ident| $body:expr) => {
        def(NS, $name, 1, 1, |_, a| {
            let $x = arg(a[0])?;
            Ok(double($body))
        })
    };
    ($name:literal, |$x:ident, $y:ident| $body:expr) => {
        def(NS, $name, 2, 2, |_, a| {
            let ($x, $y) = (arg(a[0])?, arg(a[1])?);
            Ok(double($body))
        })
    };
}

/// `clojure.math/name` as a fn of longs giving a long, `long overflow` when
/// the exact result does not fit: `(x)` or `(x y)`.
macro_rules! exact {
    ($name:literal, |$x:ident| $body:expr) => {
        def(NS, $name, 1, 1, |_, a| {
            let $x = to_long(a[0])?;
            $body.map(int).ok_or_else(|| arithmetic("long overflow"))
        })
    };
    ($name:literal, |$x:ident, $y:ident| $body:expr) => {
        def(NS, $name, 2, 2, |_, a| {
            let ($x, $y) = (to_long(a[0])?, to_long(a[1])?);
            $body.map(int).ok_or_else(|| arithmetic("long overflow"))
        })
    };
}

/// Java's Math.IEEEremainder: x - n*y for the integer n nearest x/y, the
/// even one on a tie.
fn ieee_remainder(x: f64, y: f64) -> f64 {
    let r = x % y;
    if !r.is_finite() || r == 0.0 || y.is_infinite() {
        return r;
    }
    let (ay, ar) = (y.abs(), r.abs());
    // Whether the truncated quotient is odd: the remainder modulo 2|y| is at least |y|.
    let odd = (x % (2.0 * ay)).abs() >= ay;
    if 2.0 * ar > ay || (2.0 * ar == ay && odd) {
        r - ay.copysign(r)
    } else {
        r
    }
}

/// Java's Math.round(double): the closest long, ties up, NaN 0, clamped.
fn round(x: f64) -> i64 {
    if x.is_nan() {
        return 0;
    }
    // x - floor(x) is exact, so 0.49999999999999994 rounds to 0 (where
    // floor(x + 0.5) would not); the cast saturates, as Java clamps.
    let floor = x.floor();
    (if x - floor >= 0.5 { floor + 1.0 } else { floor }) as i64
}

/// Java's Math.getExponent(double): the unbiased exponent; 1024 for NaN
/// and infinities, -1023 for zero and subnormals.
fn exponent(x: f64) -> i64 {
    ((x.to_bits() >> 52) & 0x7ff) as i64 - 1023
}

/// Java's Math.nextUp: the least double greater than x (NaN and +Inf
/// stay themselves; both zeros step to the least subnormal).
fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let bits = x.to_bits();
    f64::from_bits(if x > 0.0 { bits + 1 } else { bits - 1 })
}

/// Java's Math.nextDown: the greatest double less than x.
fn next_down(x: f64) -> f64 {
    -next_up(-x)
}

/// Java's Math.ulp(double): the gap to the next double away from zero.
fn ulp(x: f64) -> f64 {
    let magnitude = x.abs();
    if !magnitude.is_finite() {
        return magnitude;
    }
    if magnitude == f64::MAX {
        return 2f64.powi(971);
    }
    next_up(magnitude) - magnitude
}

/// Java's Math.nextAfter: the double next to start toward direction.
fn next_after(start: f64, direction: f64) -> f64 {
    if start.is_nan() || direction.is_nan() {
        f64::NAN
    } else if start == direction {
        direction
    } else if direction > start {
        next_up(start)
    } else {
        next_down(start)
    }
}

/// Java's Math.scalb: d × 2^n, rounded once.
fn scalb(d: f64, n: i64) -> f64 {
    // Steps of at most 2^1000 keep each product exact until the last.
    let mut remaining = n.clamp(-2200, 2200);
    let mut value = d;
    while remaining != 0 {
        let step = remaining.clamp(-1000, 1000);
        value *= 2f64.powi(step as i32);
        remaining -= step;
    }
    value
}

/// Java's Math.signum: -1.0, 1.0, or the zero or NaN itself.
fn signum(x: f64) -> f64 {
    if x == 0.0 || x.is_nan() {
        x
    } else {
        1f64.copysign(x)
    }
}

pub fn install() {
    bind_root(intern_raw(NS, "E"), double(std::f64::consts::E));
    bind_root(intern_raw(NS, "PI"), double(std::f64::consts::PI));
    doubles!("sin", |x| x.sin());
    doubles!("cos", |x| x.cos());
    doubles!("tan", |x| x.tan());
    doubles!("asin", |x| x.asin());
    doubles!("acos", |x| x.acos());
    doubles!("atan", |x| x.atan());
    doubles!("sinh", |x| x.sinh());
    doubles!("cosh", |x| x.cosh());
    doubles!("tanh", |x| x.tanh());
    // JDK 17's constants for the conversions.
    doubles!("to-radians", |x| x * 0.017453292519943295);
    doubles!("to-degrees", |x| x * 57.29577951308232);
    doubles!("exp", |x| x.exp());
    doubles!("expm1", |x| x.exp_m1());
    doubles!("log", |x| x.ln());
    doubles!("log10", |x| x.log10());
    doubles!("log1p", |x| x.ln_1p());
    doubles!("sqrt", |x| x.sqrt());
    doubles!("cbrt", |x| x.cbrt());
    doubles!("ceil", |x| x.ceil());
    doubles!("floor", |x| x.floor());
    doubles!("rint", |x| x.round_ties_even());
    doubles!("signum", |x| signum(x));
    doubles!("ulp", |x| ulp(x));
    doubles!("next-up", |x| next_up(x));
    doubles!("next-down", |x| next_down(x));
    doubles!("atan2", |y, x| y.atan2(x));
    doubles!("pow", |x, y| x.powf(y));
    doubles!("hypot", |x, y| x.hypot(y));
    doubles!("IEEE-remainder", |x, y| ieee_remainder(x, y));
    doubles!("copy-sign", |magnitude, sign| magnitude.copysign(sign));
    doubles!("next-after", |start, direction| next_after(
        start, direction
    ));
    def(NS, "round", 1, 1, |_, a| Ok(int(round(arg(a[0])?))));
    def(NS, "get-exponent", 1, 1, |_, a| {
        Ok(int(exponent(arg(a[0])?)))
    });
    def(NS, "scalb", 2, 2, |_, a| {
        Ok(double(scalb(arg(a[0])?, to_long(a[1])?)))
    });
    def(NS, "random", 0, 0, |_, _| Ok(double(super::misc::random())));
    exact!("add-exact", |x, y| x.checked_add(y));
    exact!("subtract-exact", |x, y| x.checked_sub(y));
    exact!("multiply-exact", |x, y| x.checked_mul(y));
    exact!("increment-exact", |x| x.checked_add(1));
    exact!("decrement-exact", |x| x.checked_sub(1));
    exact!("negate-exact", |x| x.checked_neg());
    def(NS, "floor-div", 2, 2, |_, a| {
        let (x, y) = (to_long(a[0])?, to_long(a[1])?);
        if y == 0 {
            return Err(arithmetic("/ by zero"));
        }
        // Long.MIN_VALUE / -1 wraps, as in Java.
        let quotient = x.wrapping_div(y);
        let floored = if x.wrapping_rem(y) != 0 && ((x < 0) != (y < 0)) {
            quotient - 1
        } else {
            quotient
        };
        Ok(int(floored))
    });
    def(NS, "floor-mod", 2, 2, |_, a| {
        let (x, y) = (to_long(a[0])?, to_long(a[1])?);
        if y == 0 {
            return Err(arithmetic("/ by zero"));
        }
        let r = x.wrapping_rem(y);
        Ok(int(if r != 0 && ((r < 0) != (y < 0)) {
            r + y
        } else {
            r
        }))
    });
}
