//! `format` and `printf`: java.util.Formatter's common directives
//! (`%[index$][flags][width][.precision]conversion` with conversions
//! `s S d o x X e E f g G h H c C b B n %`, flags `- 0 + space , ( #` and
//! the relative index `<`), taking
//! the argument types Java takes (`%d` a long or BigInteger, not a
//! clojure.lang.BigInt; `%f` a double or BigDecimal) and throwing Java's
//! exceptions with Java's messages for what it refuses. Floating-point
//! digits round half-up from the double's shortest decimal form, as Java's
//! Formatter does (`(format "%.2f" 0.125)` is "0.13").

use bigdecimal::{BigDecimal, RoundingMode};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use super::{core, text, VARIADIC};
use crate::error::{error, Thrown, R};
use crate::io;
use crate::number::parse_decimal;
use crate::object::{nil, string, Obj, Object};
use crate::print::str_of;

/// One `%` directive.
struct Spec {
    /// The directive as written, for error messages.
    written: String,
    index: Option<usize>,
    /// `%<s`: the argument the previous directive took.
    relative: bool,
    flags: String,
    width: Option<usize>,
    precision: Option<usize>,
    conversion: char,
}

fn format_error(class: &'static str, message: String) -> Thrown {
    error(class, message)
}

fn conversion_mismatch(conversion: char, value: Obj) -> Thrown {
    format_error(
        "java.util.IllegalFormatConversionException",
        format!("{conversion} != {}", value.class_name()),
    )
}

/// Reads the directive after a `%` at `chars[*at]`, advancing past it.
fn parse_spec(chars: &[char], at: &mut usize) -> R<Spec> {
    let start = *at;
    let digits = |at: &mut usize| {
        let begin = *at;
        while chars.get(*at).is_some_and(char::is_ascii_digit) {
            *at += 1;
        }
        chars[begin..*at].iter().collect::<String>()
    };
    let mut index = None;
    let first = digits(at);
    let mut width_text = first.clone();
    if chars.get(*at) == Some(&'$') && !first.is_empty() {
        *at += 1;
        index = first.parse::<usize>().ok();
        width_text.clear();
    }
    let mut flags = String::new();
    let mut relative = false;
    if width_text.is_empty() {
        while let Some(c) = chars.get(*at).filter(|c| "-0+ ,(#<".contains(**c)) {
            if *c == '<' {
                relative = true;
            } else {
                flags.push(*c);
            }
            *at += 1;
        }
        width_text = digits(at);
    } else if let Some(zeros) = width_text.strip_prefix('0') {
        // `%05d`: the leading zero is the flag, the rest the width.
        flags.push('0');
        width_text = zeros.to_string();
    }
    let mut precision = None;
    if chars.get(*at) == Some(&'.') {
        *at += 1;
        let text = digits(at);
        if text.is_empty() {
            let rest: String = chars[*at..].iter().take(1).collect();
            return Err(format_error(
                "java.util.UnknownFormatConversionException",
                format!(
                    "Conversion = '{}'",
                    if rest.is_empty() { "." } else { &rest }
                ),
            ));
        }
        precision = text.parse().ok();
    }
    let Some(&conversion) = chars.get(*at) else {
        return Err(format_error(
            "java.util.UnknownFormatConversionException",
            "Conversion = '%'".to_string(),
        ));
    };
    *at += 1;
    let written: String = std::iter::once('%')
        .chain(chars[start..*at].iter().copied())
        .collect();
    Ok(Spec {
        written,
        index,
        relative,
        flags,
        width: width_text.parse().ok().filter(|w| *w > 0),
        precision,
        conversion,
    })
}

/// `(format fmt & args)`.
pub fn format(template: &str, args: &[Obj]) -> R<String> {
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::new();
    let (mut at, mut next) = (0, 0);
    let mut previous = None;
    while at < chars.len() {
        if chars[at] != '%' {
            out.push(chars[at]);
            at += 1;
            continue;
        }
        at += 1;
        let spec = parse_spec(&chars, &mut at)?;
        match spec.conversion {
            'n' => out.push('\n'),
            '%' => out.push_str(&pad(&spec, "%".to_string())),
            _ => {
                let position = match spec.index {
                    _ if spec.relative => previous,
                    Some(i) => i.checked_sub(1),
                    None => {
                        next += 1;
                        Some(next - 1)
                    }
                };
                previous = position;
                let Some(&value) = position.and_then(|p| args.get(p)) else {
                    return Err(format_error(
                        "java.util.MissingFormatArgumentException",
                        format!("Format specifier '{}'", spec.written),
                    ));
                };
                out.push_str(&convert(&spec, value)?);
            }
        }
    }
    Ok(out)
}

fn check_flags(spec: &Spec, allowed: &str) -> R<()> {
    if let Some(flag) = spec.flags.chars().find(|f| !allowed.contains(*f)) {
        return Err(format_error(
            "java.util.FormatFlagsConversionMismatchException",
            format!("Conversion = {}, Flags = {flag}", spec.conversion),
        ));
    }
    if (spec.flags.contains('-') || spec.flags.contains('0')) && spec.width.is_none() {
        return Err(format_error(
            "java.util.MissingFormatWidthException",
            spec.written.clone(),
        ));
    }
    Ok(())
}

fn no_precision(spec: &Spec) -> R<()> {
    match spec.precision {
        Some(p) => Err(format_error(
            "java.util.IllegalFormatPrecisionException",
            p.to_string(),
        )),
        None => Ok(()),
    }
}

fn convert(spec: &Spec, value: Obj) -> R<String> {
    let upper = spec.conversion.is_ascii_uppercase();
    let text = match spec.conversion.to_ascii_lowercase() {
        's' => {
            check_flags(spec, "-#")?;
            let shown = if value.is_nil() {
                "null".to_string()
            } else {
                str_of(value)?
            };
            match spec.precision {
                Some(p) => shown.chars().take(p).collect(),
                None => shown,
            }
        }
        'b' => {
            check_flags(spec, "-")?;
            let truth = !matches!(*value, Object::Nil | Object::Bool(false));
            let shown = truth.to_string();
            match spec.precision {
                Some(p) => shown.chars().take(p).collect(),
                None => shown,
            }
        }
        'c' => {
            check_flags(spec, "-")?;
            no_precision(spec)?;
            match *value {
                Object::Char(c) => c.to_string(),
                Object::Nil => "null".to_string(),
                _ => return Err(conversion_mismatch(spec.conversion, value)),
            }
        }
        // Integer.toHexString of the argument's hashCode.
        'h' => {
            check_flags(spec, "-")?;
            let shown = if value.is_nil() {
                "null".to_string()
            } else {
                format!("{:x}", crate::equality::java_hash_code(value)? as u32)
            };
            match spec.precision {
                Some(p) => shown.chars().take(p).collect(),
                None => shown,
            }
        }
        'd' | 'o' | 'x' if !upper || spec.conversion == 'X' => {
            no_precision(spec)?;
            return integer(spec, value);
        }
        'e' | 'f' if spec.conversion != 'F' => {
            check_flags(spec, "-0+ ,(#")?;
            return floating(spec, value);
        }
        'g' => {
            check_flags(spec, "-0+ ,(")?;
            return floating(spec, value);
        }
        _ => {
            return Err(format_error(
                "java.util.UnknownFormatConversionException",
                format!("Conversion = '{}'", spec.conversion),
            ))
        }
    };
    Ok(pad(spec, if upper { text.to_uppercase() } else { text }))
}

/// Width padding: spaces on the left, or on the right with `-`.
fn pad(spec: &Spec, text: String) -> String {
    let length = text.chars().count();
    match spec.width {
        Some(width) if width > length => {
            let fill = " ".repeat(width - length);
            if spec.flags.contains('-') {
                text + &fill
            } else {
                fill + &text
            }
        }
        _ => text,
    }
}

/// Sign, grouping, zero padding and parentheses around a number's digits.
fn signed(spec: &Spec, negative: bool, digits: String) -> String {
    let digits = if spec.flags.contains(',') {
        group(&digits)
    } else {
        digits
    };
    let (prefix, suffix) = match (negative, spec.flags.contains('(')) {
        (true, true) => ("(", ")"),
        (true, false) => ("-", ""),
        (false, _) if spec.flags.contains('+') => ("+", ""),
        (false, _) if spec.flags.contains(' ') => (" ", ""),
        _ => ("", ""),
    };
    let mut body = digits;
    if spec.flags.contains('0') {
        let used = prefix.len() + suffix.len() + body.chars().count();
        if let Some(width) = spec.width.filter(|w| *w > used) {
            body = "0".repeat(width - used) + &body;
        }
    }
    pad(spec, format!("{prefix}{body}{suffix}"))
}

/// `1234567.5` as `1,234,567.5`: groups of three in the integer part.
fn group(digits: &str) -> String {
    let (whole, rest) = match digits.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => digits.split_at(i),
        None => (digits, ""),
    };
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out + rest
}

fn integer(spec: &Spec, value: Obj) -> R<String> {
    let number = match &*value {
        Object::Int(i) => BigInt::from(*i),
        Object::BigInteger(b) => (**b).clone(),
        Object::Nil => return Ok(pad(spec, "null".to_string())),
        _ => return Err(conversion_mismatch(spec.conversion, value)),
    };
    if spec.conversion == 'd' {
        check_flags(spec, "-0+ ,(")?;
        return Ok(signed(spec, number.is_negative(), number.abs().to_string()));
    }
    check_flags(spec, "-0#")?;
    let radix = if spec.conversion == 'o' { 8 } else { 16 };
    // A negative long prints as its two's complement; a BigInteger keeps its sign.
    let (negative, magnitude) = match *value {
        Object::Int(i) if i < 0 => (false, BigInt::from(i as u64)),
        _ => (number.is_negative(), number.abs()),
    };
    let mut digits = magnitude.to_str_radix(radix);
    if spec.conversion == 'X' {
        digits = digits.to_uppercase();
    }
    if spec.flags.contains('#') {
        digits = format!(
            "{}{digits}",
            if radix == 8 {
                "0"
            } else if spec.conversion == 'X' {
                "0X"
            } else {
                "0x"
            }
        );
    }
    Ok(signed(spec, negative, digits))
}

fn floating(spec: &Spec, value: Obj) -> R<String> {
    let decimal = match &*value {
        Object::Double(d) if d.is_nan() => return Ok(pad(spec, "NaN".to_string())),
        Object::Double(d) if d.is_infinite() => {
            let sign = if *d < 0.0 {
                "-"
            } else if spec.flags.contains('+') {
                "+"
            } else {
                ""
            };
            return Ok(pad(spec, format!("{sign}Infinity")));
        }
        Object::Double(d) => shortest_decimal(*d),
        Object::Decimal(d) => Some((**d).clone()),
        Object::Nil => return Ok(pad(spec, "null".to_string())),
        _ => return Err(conversion_mismatch(spec.conversion, value)),
    };
    let Some(decimal) = decimal else {
        return Err(conversion_mismatch(spec.conversion, value));
    };
    let negative = decimal.is_negative()
        || matches!(*value, Object::Double(d) if d == 0.0 && d.is_sign_negative());
    let magnitude = decimal.abs();
    let precision = spec.precision.unwrap_or(6) as i64;
    let digits = match spec.conversion {
        'f' => plain(&magnitude.with_scale_round(precision, RoundingMode::HalfUp)),
        'g' | 'G' => general(&magnitude, precision, spec.conversion == 'G'),
        _ => scientific(&magnitude, precision, spec.conversion == 'E'),
    };
    Ok(signed(spec, negative, digits))
}

/// `%g`: `precision` significant digits (6 by default, at least 1), in
/// plain digits when the rounded value is from 10^-4 up to 10^precision,
/// else in scientific notation.
fn general(value: &BigDecimal, precision: i64, upper: bool) -> String {
    let precision = precision.max(1);
    if value.is_zero() {
        return plain(&value.with_scale_round(precision - 1, RoundingMode::HalfUp));
    }
    let significant =
        std::num::NonZeroU64::new(precision as u64).unwrap_or(std::num::NonZeroU64::MIN);
    let rounded = value.with_precision_round(significant, RoundingMode::HalfUp);
    let (unscaled, scale) = rounded.as_bigint_and_exponent();
    let exponent = unscaled.to_string().len() as i64 - 1 - scale;
    if (-4..precision).contains(&exponent) {
        plain(&rounded.with_scale_round(precision - 1 - exponent, RoundingMode::HalfUp))
    } else {
        scientific(value, precision - 1, upper)
    }
}

/// A double's shortest round-trip digits as a decimal (Java's Formatter
/// rounds from these, not from the binary value).
fn shortest_decimal(value: f64) -> Option<BigDecimal> {
    parse_decimal(&format!("{value:e}"))
}

/// A non-negative decimal of non-negative scale in plain digits.
fn plain(value: &BigDecimal) -> String {
    let (unscaled, scale) = value.as_bigint_and_exponent();
    let digits = unscaled.to_string();
    if scale <= 0 {
        return digits + &"0".repeat(scale.unsigned_abs() as usize);
    }
    let scale = scale as usize;
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    format!("{whole}.{fraction}")
}

/// `d.ddddde+XX`, `precision` digits after the point, half-up.
fn scientific(value: &BigDecimal, precision: i64, upper: bool) -> String {
    let (unscaled, scale) = value.as_bigint_and_exponent();
    // value / 10^exponent, exactly: the same digits at another scale.
    let shifted = |exponent: i64| {
        BigDecimal::new(unscaled.clone(), scale + exponent)
            .with_scale_round(precision, RoundingMode::HalfUp)
    };
    let exponent = if value.is_zero() {
        0
    } else {
        unscaled.to_string().len() as i64 - 1 - scale
    };
    let ten = BigDecimal::from(10);
    let mut mantissa = shifted(exponent);
    // Rounding up to 10.0 moves the point once more.
    let exponent = if mantissa >= ten {
        mantissa = shifted(exponent + 1);
        exponent + 1
    } else {
        exponent
    };
    let sign = if exponent < 0 { '-' } else { '+' };
    let e = if upper { 'E' } else { 'e' };
    format!("{}{e}{sign}{:02}", plain(&mantissa), exponent.abs())
}

pub fn install() {
    core("format", 1, VARIADIC, |_, a| {
        Ok(string(format(text(&a[0])?, &a[1..])?))
    });
    core("printf", 1, VARIADIC, |_, a| {
        io::write(io::STDOUT, &format(text(&a[0])?, &a[1..])?);
        Ok(nil())
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{character, double, int};

    fn f(template: &str, args: &[Obj]) -> String {
        format(template, args).unwrap_or_else(|_| "threw".to_string())
    }

    #[test]
    fn directives() {
        assert_eq!(
            f(
                "%5.2f|%-5d|%05d|%+d",
                &[double(3.24159), int(42), int(42), int(42)]
            ),
            " 3.24|42   |00042|+42"
        );
        assert_eq!(
            f("%,d|%x|%o|%X", &[int(1234567), int(255), int(8), int(255)]),
            "1,234,567|ff|10|FF"
        );
        assert_eq!(
            f(
                "%e|%c|%b|%s%n%%",
                &[double(12345.678), character('a'), nil(), string("hi")]
            ),
            "1.234568e+04|a|false|hi\n%"
        );
        assert_eq!(
            f(
                "%.2f %.2f %.0f",
                &[double(0.125), double(2.675), double(2.5)]
            ),
            "0.13 2.68 3"
        );
        assert_eq!(f("%x", &[int(-1)]), "ffffffffffffffff");
        assert_eq!(f("%2$s %1$s", &[string("a"), string("b")]), "b a");
        assert_eq!(
            f("%10s|%-10s|", &[string("a"), string("b")]),
            "         a|b         |"
        );
        assert_eq!(f("%(,.2f", &[double(-1234.5)]), "(1,234.50)");
        assert_eq!(f("%.3s", &[string("abcdef")]), "abc");
        assert_eq!(
            f(
                "%.2e %e %.1e",
                &[double(9.999), double(0.0), double(-0.00015)]
            ),
            "1.00e+01 0.000000e+00 -1.5e-04"
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(f("%q", &[int(1)]), "threw");
        assert_eq!(f("%d", &[double(1.5)]), "threw");
        assert_eq!(f("%d %d", &[int(1)]), "threw");
        assert_eq!(f("%-d", &[int(1)]), "threw");
        assert_eq!(f("%f", &[int(1)]), "threw");
    }
}
