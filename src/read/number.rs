//! Number literals, following Clojure's number patterns: decimal, hex
//! (`0x2A`), leading-zero octal (`017`), radix (`2r1010`) integers with an
//! optional `N` (BigInt) suffix and promotion to BigInt past i64; doubles
//! (`1.`, `1e10`) with an optional `M` (BigDecimal) suffix; and ratios
//! reduced to lowest terms.

use super::error::ReadErrorKind;
use super::form::FormKind;

/// Parses a whole number token (a sign and digit start, up to whitespace or
/// a macro character); anything that is not exactly a number is an error.
pub(super) fn parse_number(token: &str) -> Result<FormKind, ReadErrorKind> {
    let (negative, body) = match (token.strip_prefix('-'), token.strip_prefix('+')) {
        (Some(body), _) => (true, body),
        (None, Some(body)) => (false, body),
        (None, None) => (false, token),
    };
    if let Some(kind) = parse_integer(negative, body, token)? {
        return Ok(kind);
    }
    if let Some(decimal) = body.strip_suffix('M').filter(|d| is_decimal_literal(d)) {
        let written = token.strip_suffix('M').unwrap_or(decimal);
        return Ok(FormKind::BigDecimal(written.to_string()));
    }
    if is_decimal_literal(body) {
        return token
            .parse::<f64>()
            .map(FormKind::Double)
            .map_err(|_| ReadErrorKind::InvalidNumber(token.to_string()));
    }
    if let Some((numerator, denominator)) = body.split_once('/') {
        if is_digits(numerator) && is_digits(denominator) {
            return parse_ratio(negative, numerator, denominator, token);
        }
    }
    Err(ReadErrorKind::InvalidNumber(token.to_string()))
}

/// `Ok(None)` when the body is not shaped like an integer at all.
fn parse_integer(
    negative: bool,
    body: &str,
    token: &str,
) -> Result<Option<FormKind>, ReadErrorKind> {
    // Radix digits run to the end of the token, so a trailing `N` is a
    // digit there (as in Clojure), never the BigInt suffix.
    if let Some((radix_text, digits)) = body.split_once(['r', 'R']) {
        let radix_shaped = is_digits(radix_text)
            && radix_text.len() <= 2
            && !radix_text.starts_with('0')
            && !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_alphanumeric());
        if !radix_shaped {
            return Ok(None);
        }
        let radix: u32 = radix_text
            .parse()
            .map_err(|_| ReadErrorKind::InvalidNumber(token.to_string()))?;
        if !(2..=36).contains(&radix) {
            return Err(ReadErrorKind::InvalidRadix {
                radix,
                token: token.to_string(),
            });
        }
        return integer_value(negative, digits, radix, false, token).map(Some);
    }
    let (body, big) = match body.strip_suffix('N') {
        Some(body) => (body, true),
        None => (body, false),
    };
    let (digits, radix) = if body == "0" {
        (body, 10)
    } else if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        (hex, 16)
    } else if let Some(octal) = body.strip_prefix('0') {
        if !is_digits(octal) {
            return Ok(None);
        }
        // `09` is all digits but not octal: Clojure rejects it rather than
        // reading it as decimal.
        if !octal.chars().all(|c| c.is_digit(8)) {
            return Err(ReadErrorKind::InvalidNumber(token.to_string()));
        }
        (octal, 8)
    } else if is_digits(body) {
        (body, 10)
    } else {
        return Ok(None);
    };
    integer_value(negative, digits, radix, big, token).map(Some)
}

/// An Int when it fits i64 and no `N` was written, else a BigInt.
fn integer_value(
    negative: bool,
    digits: &str,
    radix: u32,
    big: bool,
    token: &str,
) -> Result<FormKind, ReadErrorKind> {
    let magnitude =
        to_decimal(digits, radix).ok_or_else(|| ReadErrorKind::InvalidNumber(token.to_string()))?;
    Ok(signed_integer(negative, magnitude, big))
}

fn signed_integer(negative: bool, magnitude: String, big: bool) -> FormKind {
    let signed = if negative && magnitude != "0" {
        format!("-{magnitude}")
    } else {
        magnitude
    };
    match signed.parse::<i64>() {
        Ok(value) if !big => FormKind::Int(value),
        _ => FormKind::BigInt(signed),
    }
}

/// The decimal digits (no leading zeros) of `digits` in `radix`, or None if
/// a digit is invalid. Arbitrary length: limbs of nine decimal digits.
fn to_decimal(digits: &str, radix: u32) -> Option<String> {
    const LIMB: u64 = 1_000_000_000;
    let mut limbs: Vec<u64> = vec![0]; // little-endian
    for c in digits.chars() {
        let mut carry = u64::from(c.to_digit(radix)?);
        for limb in &mut limbs {
            let value = *limb * u64::from(radix) + carry;
            *limb = value % LIMB;
            carry = value / LIMB;
        }
        while carry > 0 {
            limbs.push(carry % LIMB);
            carry /= LIMB;
        }
    }
    let mut text = String::new();
    let mut limbs = limbs.iter().rev();
    text.push_str(&limbs.next().copied().unwrap_or(0).to_string());
    for limb in limbs {
        text.push_str(&format!("{limb:09}"));
    }
    Some(text)
}

fn parse_ratio(
    negative: bool,
    numerator: &str,
    denominator: &str,
    token: &str,
) -> Result<FormKind, ReadErrorKind> {
    let out_of_range = || ReadErrorKind::RatioOutOfRange(token.to_string());
    let numerator: u128 = numerator.parse().map_err(|_| out_of_range())?;
    let denominator: u128 = denominator.parse().map_err(|_| out_of_range())?;
    if denominator == 0 {
        return Err(ReadErrorKind::RatioDivideByZero(token.to_string()));
    }
    let divisor = gcd(numerator, denominator);
    let (numerator, denominator) = (numerator / divisor, denominator / divisor);
    if denominator == 1 {
        return Ok(signed_integer(negative, numerator.to_string(), false));
    }
    let magnitude = i128::try_from(numerator).map_err(|_| out_of_range())?;
    let numerator =
        i64::try_from(if negative { -magnitude } else { magnitude }).map_err(|_| out_of_range())?;
    let denominator = i64::try_from(denominator).map_err(|_| out_of_range())?;
    Ok(FormKind::Ratio(numerator, denominator))
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit())
}

/// `[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?`, Clojure's float pattern without
/// sign or suffix.
fn is_decimal_literal(body: &str) -> bool {
    let integer_digits = body
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(body.len());
    if integer_digits == 0 {
        return false;
    }
    let mut rest = body.get(integer_digits..).unwrap_or_default();
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    match rest.strip_prefix(['e', 'E']) {
        Some(exponent) => is_digits(exponent.strip_prefix(['+', '-']).unwrap_or(exponent)),
        None => rest.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FormKind::*;

    fn read(token: &str) -> FormKind {
        match parse_number(token) {
            Ok(kind) => kind,
            Err(error) => panic!("{token}: {error}"),
        }
    }

    #[test]
    fn integers() {
        assert_eq!(read("42"), Int(42));
        assert_eq!(read("-42"), Int(-42));
        assert_eq!(read("+7"), Int(7));
        assert_eq!(read("0"), Int(0));
        assert_eq!(read("-0"), Int(0));
        assert_eq!(read("0x2A"), Int(42));
        assert_eq!(read("0X2a"), Int(42));
        assert_eq!(read("-0x10"), Int(-16));
        assert_eq!(read("017"), Int(15));
        assert_eq!(read("00"), Int(0));
        assert_eq!(read("2r1010"), Int(10));
        assert_eq!(read("-2r11"), Int(-3));
        assert_eq!(read("36rZZ"), Int(1295));
        assert_eq!(read("36rzz"), Int(1295));
        assert_eq!(read("-9223372036854775808"), Int(i64::MIN));
        assert_eq!(read("9223372036854775807"), Int(i64::MAX));
    }

    #[test]
    fn big_integers() {
        assert_eq!(read("7N"), BigInt("7".into()));
        assert_eq!(read("-0N"), BigInt("0".into()));
        assert_eq!(read("0x10N"), BigInt("16".into()));
        assert_eq!(
            read("9223372036854775808"),
            BigInt("9223372036854775808".into())
        );
        assert_eq!(
            read("-9223372036854775809"),
            BigInt("-9223372036854775809".into())
        );
        assert_eq!(
            read("0xFFFFFFFFFFFFFFFFFF"),
            BigInt("4722366482869645213695".into())
        );
        assert_eq!(
            read("1000000000000000000000"),
            BigInt("1000000000000000000000".into())
        );
        assert_eq!(read("36rN"), Int(23), "N is a digit in radix 36");
    }

    #[test]
    fn decimals() {
        assert_eq!(read("1.5"), Double(1.5));
        assert_eq!(read("-1.5"), Double(-1.5));
        assert_eq!(read("1."), Double(1.0));
        assert_eq!(read("1e10"), Double(1e10));
        assert_eq!(read("1.5E-3"), Double(1.5e-3));
        assert_eq!(read("09.5"), Double(9.5));
        assert_eq!(read("1.5M"), BigDecimal("1.5".into()));
        assert_eq!(read("-2M"), BigDecimal("-2".into()));
        assert_eq!(read("1e400"), Double(f64::INFINITY));
    }

    #[test]
    fn ratios() {
        assert_eq!(read("1/2"), Ratio(1, 2));
        assert_eq!(read("-3/6"), Ratio(-1, 2));
        assert_eq!(read("4/2"), Int(2));
        assert_eq!(read("0/5"), Int(0));
        assert_eq!(read("+6/4"), Ratio(3, 2));
        assert_eq!(
            read("40000000000000000000/2"),
            BigInt("20000000000000000000".into())
        );
    }

    #[test]
    fn invalid_numbers() {
        for token in [
            "1.2.3", "09", "1x", "0x", "0xG", "1/2/3", "1/-2", "1.5N", "1e", "2r", "1-2", "08N",
        ] {
            assert_eq!(
                parse_number(token),
                Err(ReadErrorKind::InvalidNumber(token.into())),
                "{token}"
            );
        }
        assert_eq!(
            parse_number("37r1"),
            Err(ReadErrorKind::InvalidRadix {
                radix: 37,
                token: "37r1".into()
            })
        );
        assert_eq!(
            parse_number("2r12"),
            Err(ReadErrorKind::InvalidNumber("2r12".into()))
        );
        assert_eq!(
            parse_number("1/0"),
            Err(ReadErrorKind::RatioDivideByZero("1/0".into()))
        );
        assert_eq!(
            parse_number("1/99999999999999999999"),
            Err(ReadErrorKind::RatioOutOfRange(
                "1/99999999999999999999".into()
            ))
        );
    }
}
