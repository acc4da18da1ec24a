//! The number and text statics of Long, Integer, Double, Boolean and
//! String: parsing (`Long/parseLong`, with a radix too), `valueOf`,
//! `toString` in a radix, the unsigned `toBinaryString`/`toHexString`/
//! `toOctalString` (Integer's of the 32-bit two's complement), `bitCount`,
//! `signum`, `Double/isNaN`... A parameter the member has one overload for
//! takes any number, as Clojure's compiler converts it (`(Long/toString
//! 1.5)` is "1"); `valueOf`, overloaded for strings and numbers, takes a
//! string or a value of its own class only.

use super::character::digit;
use super::{
    def, double_param, int_from_long, int_param, long_param, no_matching_method, null_target,
    string::equals_ignore_case,
};
use crate::core::numbers::parse_double;
use crate::error::{class_cast, number_format, Thrown, R};
use crate::object::{boolean, double, int, string, Obj, Object};
use crate::print::{java_double, str_of};

/// Java's NumberFormatException for text that is no number in `radix`.
fn for_input_string(text: &str, radix: i32) -> Thrown {
    if radix == 10 {
        number_format(format!("For input string: \"{text}\""))
    } else {
        number_format(format!("For input string: \"{text}\" under radix {radix}"))
    }
}

/// `Long.parseLong(text, radix)` within `min..=max` (Integer's range for
/// `parseInt`): an optional sign, then digits as `Character.digit` reads
/// them (any script's decimal digits, Latin letters past 9).
fn parse_integer(text: Obj, radix: i32, min: i64, max: i64) -> R<i64> {
    let text = match &*text {
        Object::Str(s) => s,
        Object::Nil => return Err(number_format("Cannot parse null string")),
        _ => return Err(class_cast(text, "java.lang.String")),
    };
    if radix < 2 {
        return Err(number_format(format!(
            "radix {radix} less than Character.MIN_RADIX"
        )));
    }
    if radix > 36 {
        return Err(number_format(format!(
            "radix {radix} greater than Character.MAX_RADIX"
        )));
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() {
        return Err(for_input_string(text, radix));
    }
    let mut magnitude: i128 = 0;
    for c in digits.chars() {
        let value = digit(c, radix);
        if value < 0 {
            return Err(for_input_string(text, radix));
        }
        magnitude = magnitude * i128::from(radix) + i128::from(value);
        // Past every long: stop before the i128 could overflow.
        if magnitude > i128::from(u64::MAX) {
            return Err(for_input_string(text, radix));
        }
    }
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value)
        .ok()
        .filter(|value| (min..=max).contains(value))
        .ok_or_else(|| for_input_string(text, radix))
}

/// The radix argument of a parse method: any number, as an int.
fn parse_radix(args: &[Obj]) -> R<i32> {
    args.get(1).map_or(Ok(10), |radix| int_param(*radix))
}

/// `Long.toString(value, radix)`: a radix outside 2..=36 is 10.
fn signed_in_radix(value: i64, radix: i32) -> String {
    let radix = if (2..=36).contains(&radix) { radix } else { 10 };
    let digits = unsigned_in_radix(value.unsigned_abs(), radix as u32);
    if value < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// The digits of `value` in `radix` (2..=36), lowercase.
fn unsigned_in_radix(mut value: u64, radix: u32) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit((value % u64::from(radix)) as u32, radix).unwrap_or('?'));
        value /= u64::from(radix);
        if value == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}

/// Long's `toBinaryString` and the like: the 64 bits as an unsigned number.
fn long_unsigned(value: Obj, radix: u32) -> R {
    Ok(string(unsigned_in_radix(long_param(value)? as u64, radix)))
}

/// Integer's: the 32 bits of the int, as an unsigned number.
fn int_unsigned(value: Obj, radix: u32) -> R {
    Ok(string(unsigned_in_radix(
        u64::from(int_param(value)? as u32),
        radix,
    )))
}

/// `Double.parseDouble`: Java's trim first; the empty string has its own
/// message.
fn parse_java_double(text: Obj) -> R<f64> {
    let text = match &*text {
        Object::Str(s) => s,
        Object::Nil => return Err(null_target("String.trim")),
        _ => return Err(class_cast(text, "java.lang.String")),
    };
    if text.trim_matches(|c| c <= ' ').is_empty() {
        return Err(number_format("empty String"));
    }
    parse_double(text).ok_or_else(|| for_input_string(text, 10))
}

fn install_long() {
    def("java-parse-long", 1, 2, |_, a| {
        Ok(int(parse_integer(
            a[0],
            parse_radix(a)?,
            i64::MIN,
            i64::MAX,
        )?))
    });
    // valueOf(String), valueOf(long), valueOf(String, int).
    def("java-long-value-of", 1, 2, |_, a| match (&*a[0], a.len()) {
        (Object::Int(_), 1) => Ok(a[0]),
        (Object::Str(_) | Object::Nil, _) | (_, 2) => Ok(int(parse_integer(
            a[0],
            parse_radix(a)?,
            i64::MIN,
            i64::MAX,
        )?)),
        _ => Err(no_matching_method("valueOf", 1, None)),
    });
    def("java-long-to-string", 1, 2, |_, a| {
        let radix = a.get(1).map_or(Ok(10), |radix| int_param(*radix))?;
        Ok(string(signed_in_radix(long_param(a[0])?, radix)))
    });
    def("java-long-to-binary-string", 1, 1, |_, a| {
        long_unsigned(a[0], 2)
    });
    def("java-long-to-octal-string", 1, 1, |_, a| {
        long_unsigned(a[0], 8)
    });
    def("java-long-to-hex-string", 1, 1, |_, a| {
        long_unsigned(a[0], 16)
    });
    def("java-long-bit-count", 1, 1, |_, a| {
        Ok(int(i64::from(long_param(a[0])?.count_ones())))
    });
    def("java-long-signum", 1, 1, |_, a| {
        Ok(int(long_param(a[0])?.signum()))
    });
}

fn install_integer() {
    def("java-parse-int", 1, 2, |_, a| {
        let (min, max) = (i64::from(i32::MIN), i64::from(i32::MAX));
        Ok(int(parse_integer(a[0], parse_radix(a)?, min, max)?))
    });
    // valueOf(String), valueOf(int), valueOf(String, int).
    def("java-integer-value-of", 1, 2, |_, a| {
        match (&*a[0], a.len()) {
            (Object::Int(i), 1) => Ok(int(i64::from(int_from_long(*i)?))),
            (Object::Str(_) | Object::Nil, _) | (_, 2) => {
                let (min, max) = (i64::from(i32::MIN), i64::from(i32::MAX));
                Ok(int(parse_integer(a[0], parse_radix(a)?, min, max)?))
            }
            _ => Err(no_matching_method("valueOf", 1, None)),
        }
    });
    def("java-integer-to-string", 1, 2, |_, a| {
        let radix = a.get(1).map_or(Ok(10), |radix| int_param(*radix))?;
        Ok(string(signed_in_radix(i64::from(int_param(a[0])?), radix)))
    });
    def("java-integer-to-binary-string", 1, 1, |_, a| {
        int_unsigned(a[0], 2)
    });
    def("java-integer-to-octal-string", 1, 1, |_, a| {
        int_unsigned(a[0], 8)
    });
    def("java-integer-to-hex-string", 1, 1, |_, a| {
        int_unsigned(a[0], 16)
    });
    def("java-integer-bit-count", 1, 1, |_, a| {
        Ok(int(i64::from(int_param(a[0])?.count_ones())))
    });
}

fn install_double_and_text() {
    def("java-parse-double", 1, 1, |_, a| {
        Ok(double(parse_java_double(a[0])?))
    });
    // valueOf(String), valueOf(double).
    def("java-double-value-of", 1, 1, |_, a| match &*a[0] {
        Object::Double(_) => Ok(a[0]),
        Object::Str(_) | Object::Nil => Ok(double(parse_java_double(a[0])?)),
        _ => Err(no_matching_method("valueOf", 1, None)),
    });
    def("java-double-to-string", 1, 1, |_, a| {
        Ok(string(java_double(double_param(a[0])?)))
    });
    def("java-double-is-nan", 1, 1, |_, a| {
        Ok(boolean(double_param(a[0])?.is_nan()))
    });
    def("java-double-is-infinite", 1, 1, |_, a| {
        Ok(boolean(double_param(a[0])?.is_infinite()))
    });
    def("java-boolean-parse-boolean", 1, 1, |_, a| match &*a[0] {
        Object::Nil => Ok(boolean(false)),
        Object::Str(s) => Ok(boolean(equals_ignore_case(s, "true"))),
        _ => Err(class_cast(a[0], "java.lang.String")),
    });
    // The reflector picks valueOf(char[]) for nil, which throws.
    def("java-string-value-of", 1, 1, |_, a| {
        if a[0].is_nil() {
            return Err(null_target("String.valueOf(char[])"));
        }
        Ok(string(str_of(a[0])?))
    });
}

pub(super) fn install() {
    install_long();
    install_integer();
    install_double_and_text();
}

#[cfg(test)]
mod tests {
    use super::{signed_in_radix, unsigned_in_radix};

    #[test]
    fn radix_text_like_java() {
        assert_eq!(signed_in_radix(-255, 16), "-ff");
        assert_eq!(signed_in_radix(255, 37), "255");
        assert_eq!(signed_in_radix(i64::MIN, 36), "-1y2p0ij32e8e8");
        assert_eq!(unsigned_in_radix(u64::MAX, 16), "ffffffffffffffff");
        assert_eq!(unsigned_in_radix(u64::from(-8i32 as u32), 8), "37777777770");
        assert_eq!(unsigned_in_radix(0, 2), "0");
    }
}
