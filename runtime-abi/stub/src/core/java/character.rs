//! java.lang.Character's statics: `(Character/isDigit c)` is
//! `(jank.runtime/java-character-is-digit c)`. Most take a char or an int
//! code point (Java's two overloads; the reflector matches an int only with
//! a long), `isAlphabetic` only an int. The Unicode properties are those of
//! the runtime's tables (Rust's and regex-syntax's Unicode, newer than JDK
//! 17's Unicode 13: chars assigned since then, and the few dozen whose
//! properties Unicode changed, differ; every other char of planes 0 and 1
//! was checked against JDK 17). `getNumericValue` knows decimal digits,
//! Latin letters, Latin-1's superscripts and fractions and the numeric CJK
//! compatibility ideographs; any other char of a number category (a Roman
//! numeral, a circled digit, a fraction: general categories Nl and No) is
//! an UnsupportedOperationException rather than a wrong answer.

use std::cell::OnceCell;

use regex_syntax::hir::{Class, HirKind};

use super::{def, int_param, no_matching_method, overloaded_int};
use crate::core::strings::is_java_whitespace;
use crate::error::{unsupported, R};
use crate::object::{boolean, character, int, Obj, Object};

/// The code point ranges of a Unicode general category.
struct Category {
    ranges: Vec<(char, char)>,
}

impl Category {
    fn new(name: &str) -> Category {
        let parsed = regex_syntax::Parser::new().parse(&format!("\\p{{{name}}}"));
        let ranges = match parsed.as_ref().map(|hir| hir.kind()) {
            Ok(HirKind::Class(Class::Unicode(class))) => class
                .ranges()
                .iter()
                .map(|range| (range.start(), range.end()))
                .collect(),
            _ => {
                debug_assert!(false, "\\p{{{name}}} is a Unicode class");
                Vec::new()
            }
        };
        Category { ranges }
    }

    /// The range holding `c`, if any.
    fn range_of(&self, c: char) -> Option<(char, char)> {
        let index = self.ranges.partition_point(|(_, end)| *end < c);
        self.ranges
            .get(index)
            .copied()
            .filter(|(start, _)| *start <= c)
    }
}

thread_local! {
    static DECIMAL_DIGITS: OnceCell<Category> = const { OnceCell::new() };
    static LETTERS: OnceCell<Category> = const { OnceCell::new() };
    static NUMBERS: OnceCell<Category> = const { OnceCell::new() };
}

/// The range of the general category `name` (in `table`, read at its first
/// use) that holds `c`, if any.
fn category_range(
    table: &'static std::thread::LocalKey<OnceCell<Category>>,
    name: &str,
    c: char,
) -> Option<(char, char)> {
    table.with(|cell| cell.get_or_init(|| Category::new(name)).range_of(c))
}

/// `Character.isDigit`: general category Nd.
fn is_digit(c: char) -> bool {
    category_range(&DECIMAL_DIGITS, "Nd", c).is_some()
}

/// `Character.isLetter`: general categories Lu, Ll, Lt, Lm and Lo.
fn is_letter(c: char) -> bool {
    category_range(&LETTERS, "L", c).is_some()
}

/// The value of a decimal digit: Unicode encodes each script's digits 0 to 9
/// in contiguous runs of ten, so it is the distance from the run's start.
fn decimal_digit(c: char) -> Option<u32> {
    let (start, _) = category_range(&DECIMAL_DIGITS, "Nd", c)?;
    Some((u32::from(c) - u32::from(start)) % 10)
}

/// The value Java gives a Latin letter as a digit: ASCII and fullwidth a-z,
/// either case, are 10 to 35.
fn latin_letter_digit(c: char) -> Option<u32> {
    let offset = match c {
        'a'..='z' => u32::from(c) - u32::from('a'),
        'A'..='Z' => u32::from(c) - u32::from('A'),
        '\u{ff41}'..='\u{ff5a}' => u32::from(c) - 0xff41,
        '\u{ff21}'..='\u{ff3a}' => u32::from(c) - 0xff21,
        _ => return None,
    };
    Some(10 + offset)
}

/// `Character.digit(c, radix)`.
pub(super) fn digit(c: char, radix: i32) -> i32 {
    if !(2..=36).contains(&radix) {
        return -1;
    }
    decimal_digit(c)
        .or_else(|| latin_letter_digit(c))
        .and_then(|value| i32::try_from(value).ok())
        .filter(|value| *value < radix)
        .unwrap_or(-1)
}

/// `Character.getNumericValue(c)`: -1 for a char without a numeric value,
/// -2 for one whose value is no non-negative integer (a fraction).
fn numeric_value(c: char) -> R<i64> {
    if let Some(value) = decimal_digit(c).or_else(|| latin_letter_digit(c)) {
        return Ok(i64::from(value));
    }
    match c {
        '\u{b9}' => return Ok(1),
        '\u{b2}' => return Ok(2),
        '\u{b3}' => return Ok(3),
        '\u{bc}' | '\u{bd}' | '\u{be}' => return Ok(-2),
        // The CJK compatibility ideographs with a numeric value: letters (Lo).
        '\u{f9b2}' => return Ok(0),
        '\u{f978}' => return Ok(2),
        '\u{f96b}' => return Ok(3),
        '\u{f9d1}' | '\u{f9d3}' => return Ok(6),
        '\u{2f890}' => return Ok(9),
        '\u{f973}' | '\u{f9fd}' => return Ok(10),
        _ => {}
    }
    if category_range(&NUMBERS, "N", c).is_some() {
        return Err(unsupported(format!(
            "Character/getNumericValue of U+{:04X}: jankwasm knows the numeric values of decimal digits, Latin letters and Latin-1's superscripts and fractions only",
            u32::from(c)
        )));
    }
    Ok(-1)
}

/// `Character.toUpperCase(c)`: the simple (one char) mapping. Rust's
/// `to_uppercase` is the full one; where that is several chars, the simple
/// mapping is the char itself but for Greek letters with ypogegrammeni.
pub(crate) fn simple_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(single), None) => single,
        _ => match c {
            '\u{1f80}'..='\u{1f87}' | '\u{1f90}'..='\u{1f97}' | '\u{1fa0}'..='\u{1fa7}' => {
                char::from_u32(u32::from(c) + 8).unwrap_or(c)
            }
            '\u{1fb3}' => '\u{1fbc}',
            '\u{1fc3}' => '\u{1fcc}',
            '\u{1ff3}' => '\u{1ffc}',
            _ => c,
        },
    }
}

/// `Character.toLowerCase(c)`: the simple mapping (İ's full one is two chars).
pub(crate) fn simple_lower(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

/// A char argument of a method overloaded for `char` and `int`: the char, or
/// the code point (None when it is no char: Java answers as for no
/// property), or the reflector's refusal.
fn char_or_code_point(method: &str, args: usize, value: Obj) -> R<Result<char, i32>> {
    if let Object::Char(c) = *value {
        return Ok(Ok(c));
    }
    match overloaded_int(value) {
        Some(code_point) => {
            let code_point = code_point?;
            Ok(u32::try_from(code_point)
                .ok()
                .and_then(char::from_u32)
                .ok_or(code_point))
        }
        None => Err(no_matching_method(method, args, None)),
    }
}

/// A `Character/isX` test of a char or code point.
fn has_property(method: &str, value: Obj, property: fn(char) -> bool) -> R {
    let c = char_or_code_point(method, 1, value)?;
    Ok(boolean(c.is_ok_and(property)))
}

/// `Character/toUpperCase` and `toLowerCase`: a char for a char, an int
/// for a code point (a code point that is no char maps to itself).
fn map_case(method: &str, value: Obj, map: fn(char) -> char) -> R {
    Ok(match char_or_code_point(method, 1, value)? {
        Ok(c) if matches!(*value, Object::Char(_)) => character(map(c)),
        Ok(c) => int(i64::from(u32::from(map(c)))),
        Err(code_point) => int(i64::from(code_point)),
    })
}

pub(super) fn install() {
    def("java-character-is-digit", 1, 1, |_, a| {
        has_property("isDigit", a[0], is_digit)
    });
    def("java-character-is-letter", 1, 1, |_, a| {
        has_property("isLetter", a[0], is_letter)
    });
    def("java-character-is-letter-or-digit", 1, 1, |_, a| {
        has_property("isLetterOrDigit", a[0], |c| is_letter(c) || is_digit(c))
    });
    def("java-character-is-whitespace", 1, 1, |_, a| {
        has_property("isWhitespace", a[0], is_java_whitespace)
    });
    // Lu or Other_Uppercase, Ll or Other_Lowercase: Rust's Uppercase and Lowercase.
    def("java-character-is-upper-case", 1, 1, |_, a| {
        has_property("isUpperCase", a[0], char::is_uppercase)
    });
    def("java-character-is-lower-case", 1, 1, |_, a| {
        has_property("isLowerCase", a[0], char::is_lowercase)
    });
    // isAlphabetic has only the int overload: a char is a ClassCastException.
    def("java-character-is-alphabetic", 1, 1, |_, a| {
        let code_point = int_param(a[0])?;
        Ok(boolean(
            u32::try_from(code_point)
                .ok()
                .and_then(char::from_u32)
                .is_some_and(char::is_alphabetic),
        ))
    });
    def("java-character-to-upper-case", 1, 1, |_, a| {
        map_case("toUpperCase", a[0], simple_upper)
    });
    def("java-character-to-lower-case", 1, 1, |_, a| {
        map_case("toLowerCase", a[0], simple_lower)
    });
    def(
        "java-character-get-numeric-value",
        1,
        1,
        |_, a| match char_or_code_point("getNumericValue", 1, a[0])? {
            Ok(c) => Ok(int(numeric_value(c)?)),
            Err(_) => Ok(int(-1)),
        },
    );
    def("java-character-digit", 2, 2, |_, a| {
        let c = char_or_code_point("digit", 2, a[0])?;
        let radix = overloaded_int(a[1]).ok_or_else(|| no_matching_method("digit", 2, None))??;
        Ok(int(i64::from(c.map_or(-1, |c| digit(c, radix)))))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_every_script() {
        assert!(is_digit('7') && is_digit('\u{665}') && !is_digit('\u{b2}') && !is_digit('a'));
        assert_eq!(decimal_digit('\u{665}'), Some(5));
        assert_eq!(decimal_digit('\u{1d7ff}'), Some(9));
        assert_eq!(digit('f', 16), 15);
        assert_eq!(digit('g', 16), -1);
        assert_eq!(digit('\u{ff21}', 16), 10);
        assert_eq!(digit('7', 1), -1);
    }

    #[test]
    fn numeric_values() {
        assert_eq!(numeric_value('Z').ok(), Some(35));
        assert_eq!(numeric_value('\u{b2}').ok(), Some(2));
        assert_eq!(numeric_value('\u{bd}').ok(), Some(-2));
        assert_eq!(numeric_value('-').ok(), Some(-1));
        assert!(numeric_value('\u{2167}').is_err());
    }

    #[test]
    fn simple_case_mappings() {
        assert_eq!(simple_upper('ß'), 'ß');
        assert_eq!(simple_upper('\u{1fb3}'), '\u{1fbc}');
        assert_eq!(simple_upper('\u{1f80}'), '\u{1f88}');
        assert_eq!(simple_upper('\u{1f88}'), '\u{1f88}');
        assert_eq!(simple_lower('\u{130}'), 'i');
        assert_eq!(simple_upper('a'), 'A');
    }
}
