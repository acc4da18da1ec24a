//! java.lang.String's instance methods: `(.indexOf s "x")` is
//! `(jank.runtime/java-string-index-of s "x")`. The target must be a
//! string: nil is a NullPointerException, another value the reflector's
//! IllegalArgumentException. Indices count chars (see the module above).
//! Two return a vector where Java returns an array: `split` (a String[])
//! and `toCharArray` (a char[]).

use super::{def, int_param, no_matching_method, overloaded_int, string_param, string_target};
use crate::coll::vector_obj;
use crate::core::strings::{is_java_whitespace, split_by_pattern};
use crate::error::{class_cast, error, illegal_argument, R};
use crate::object::{boolean, character, int, string, Obj, Object};

/// The argument of `indexOf`/`lastIndexOf`: a string, or a code point as
/// an int (Java's `indexOf(int ch)`; a char is no int to the reflector).
/// None for a code point that is no char, which no string holds.
fn searched(method: &str, args: usize, value: Obj) -> R<Option<Vec<char>>> {
    if let Some(code_point) = overloaded_int(value) {
        let code_point = u32::try_from(code_point?).ok().and_then(char::from_u32);
        return Ok(code_point.map(|c| vec![c]));
    }
    match &*value {
        Object::Str(s) => Ok(Some(s.chars().collect())),
        Object::Nil => Err(class_cast(value, "java.lang.String")),
        _ => Err(no_matching_method(method, args, Some("java.lang.String"))),
    }
}

/// The `fromIndex` argument of `indexOf`/`lastIndexOf`.
fn from_index(method: &str, args: &[Obj], default: i64) -> R<i64> {
    match args.get(2) {
        None => Ok(default),
        Some(from) => match overloaded_int(*from) {
            Some(from) => Ok(i64::from(from?)),
            None => Err(no_matching_method(method, 2, Some("java.lang.String"))),
        },
    }
}

/// Java's `indexOf(str, fromIndex)` over chars: a negative start is 0, and
/// the empty string is found at the start, or at the end past it.
pub(super) fn index_of(text: &[char], needle: &[char], from: i64) -> i64 {
    let from = usize::try_from(from.max(0)).unwrap_or(usize::MAX);
    let Some(last_start) = text.len().checked_sub(needle.len()) else {
        return -1;
    };
    if from > last_start {
        return if needle.is_empty() {
            text.len() as i64
        } else {
            -1
        };
    }
    (from..=last_start)
        .find(|start| text[*start..].starts_with(needle))
        .map_or(-1, |start| start as i64)
}

/// Java's `lastIndexOf(str, fromIndex)` over chars: the last match starting
/// at or before `from`.
pub(super) fn last_index_of(text: &[char], needle: &[char], from: i64) -> i64 {
    let Some(last_start) = text.len().checked_sub(needle.len()) else {
        return -1;
    };
    let Ok(from) = usize::try_from(from) else {
        return -1;
    };
    (0..=from.min(last_start))
        .rev()
        .find(|start| text[*start..].starts_with(needle))
        .map_or(-1, |start| start as i64)
}

/// Java's `equalsIgnoreCase`: the same length, and each pair of chars equal
/// once upper-cased, or once upper- then lower-cased (one char at a time).
pub(crate) fn equals_ignore_case(a: &str, b: &str) -> bool {
    use super::character::{simple_lower, simple_upper};
    a.chars().count() == b.chars().count()
        && a.chars().zip(b.chars()).all(|(x, y)| {
            let (upper_x, upper_y) = (simple_upper(x), simple_upper(y));
            x == y || upper_x == upper_y || simple_lower(upper_x) == simple_lower(upper_y)
        })
}

/// `replace(char, char)` or `replace(CharSequence, CharSequence)`.
fn replace(text: &str, target: Obj, replacement: Obj) -> R {
    match (&*target, &*replacement) {
        (Object::Char(from), Object::Char(to)) => Ok(string(
            text.chars()
                .map(|c| if c == *from { *to } else { c })
                .collect::<String>(),
        )),
        (Object::Str(_) | Object::Nil, Object::Str(_) | Object::Nil) => {
            let from = target
                .as_str()
                .ok_or_else(|| class_cast(target, "java.lang.CharSequence"))?;
            let to = replacement
                .as_str()
                .ok_or_else(|| class_cast(replacement, "java.lang.CharSequence"))?;
            Ok(string(text.replace(from, to)))
        }
        _ => Err(no_matching_method("replace", 2, Some("java.lang.String"))),
    }
}

/// `repeat(count)`: a negative count is refused, and so is a result longer
/// than a Java string can be.
fn repeat(text: &str, count: i32) -> R {
    let count = usize::try_from(count)
        .map_err(|_| illegal_argument(format!("count is negative: {count}")))?;
    if text.len().saturating_mul(count) > i32::MAX as usize {
        return Err(error(
            "java.lang.OutOfMemoryError",
            format!(
                "Repeating {} bytes String {count} times will produce a String exceeding maximum size.",
                text.len()
            ),
        ));
    }
    Ok(string(text.repeat(count)))
}

/// `(.indexOf s x)` and `(.indexOf s x from)` of a string `a[0]`.
pub(super) fn index_of_method(a: &[Obj]) -> R {
    let text: Vec<char> = string_target(&a[0], "indexOf", a.len() - 1)?
        .chars()
        .collect();
    let Some(needle) = searched("indexOf", a.len() - 1, a[1])? else {
        return Ok(int(-1));
    };
    Ok(int(index_of(&text, &needle, from_index("indexOf", a, 0)?)))
}

/// `(.lastIndexOf s x)` and `(.lastIndexOf s x from)` of a string `a[0]`.
pub(super) fn last_index_of_method(a: &[Obj]) -> R {
    let text: Vec<char> = string_target(&a[0], "lastIndexOf", a.len() - 1)?
        .chars()
        .collect();
    let Some(needle) = searched("lastIndexOf", a.len() - 1, a[1])? else {
        return Ok(int(-1));
    };
    let from = from_index("lastIndexOf", a, text.len() as i64)?;
    Ok(int(last_index_of(&text, &needle, from)))
}

/// `(.contains s x)` of a string `a[0]`.
pub(super) fn contains_method(a: &[Obj]) -> R {
    let text = string_target(&a[0], "contains", 1)?;
    let needle = a[1]
        .as_str()
        .ok_or_else(|| class_cast(a[1], "java.lang.CharSequence"))?;
    Ok(boolean(text.contains(needle)))
}

fn install_searches() {
    def("java-string-starts-with", 2, 3, |_, a| {
        let text: Vec<char> = string_target(&a[0], "startsWith", a.len() - 1)?
            .chars()
            .collect();
        let prefix: Vec<char> = string_param(&a[1])?.chars().collect();
        let offset = match a.get(2) {
            Some(offset) => int_param(*offset)?,
            None => 0,
        };
        Ok(boolean(usize::try_from(offset).is_ok_and(|offset| {
            text.get(offset..)
                .is_some_and(|rest| rest.starts_with(&prefix))
        })))
    });
    def("java-string-ends-with", 2, 2, |_, a| {
        let text = string_target(&a[0], "endsWith", 1)?;
        Ok(boolean(text.ends_with(string_param(&a[1])?)))
    });
    def("java-string-matches", 2, 2, |_, a| {
        let text = string_target(&a[0], "matches", 1)?;
        let regex = crate::regex::compiled(string_param(&a[1])?)?;
        let matched = regex
            .whole
            .is_match(text)
            .map_err(|e| error("java.lang.StackOverflowError", e.to_string()))?;
        Ok(boolean(matched))
    });
    def("java-string-split", 2, 3, |_, a| {
        let text = string_target(&a[0], "split", a.len() - 1)?;
        let regex = crate::regex::compiled(string_param(&a[1])?)?;
        let limit = match a.get(2) {
            Some(limit) => int_param(*limit)?,
            None => 0,
        };
        let parts = split_by_pattern(text, &regex, i64::from(limit))?;
        Ok(vector_obj(parts.into_iter().map(string)))
    });
}

fn install_comparisons() {
    def("java-string-is-blank", 1, 1, |_, a| {
        let text = string_target(&a[0], "isBlank", 0)?;
        Ok(boolean(text.chars().all(is_java_whitespace)))
    });
    def("java-string-equals-ignore-case", 2, 2, |_, a| {
        let text = string_target(&a[0], "equalsIgnoreCase", 1)?;
        if a[1].is_nil() {
            return Ok(boolean(false));
        }
        Ok(boolean(equals_ignore_case(text, string_param(&a[1])?)))
    });
}

fn install_parts() {
    def("java-string-length", 1, 1, |_, a| {
        if let Some(builder) = super::string_builder::builder_text(&a[0]) {
            return super::string_builder::length(builder);
        }
        Ok(int(
            string_target(&a[0], "length", 0)?.chars().count() as i64
        ))
    });
    def("java-string-char-at", 2, 2, |_, a| {
        if let Some(builder) = super::string_builder::builder_text(&a[0]) {
            return super::string_builder::char_at(builder, a[1]);
        }
        let text = string_target(&a[0], "charAt", 1)?;
        let index = int_param(a[1])?;
        usize::try_from(index)
            .ok()
            .and_then(|index| text.chars().nth(index))
            .map(character)
            .ok_or_else(|| {
                error(
                    "java.lang.StringIndexOutOfBoundsException",
                    format!("String index out of range: {index}"),
                )
            })
    });
    def("java-string-substring", 2, 3, |_, a| {
        let text = string_target(&a[0], "substring", a.len() - 1)?;
        let begin = int_param(a[1])?;
        let end = match a.get(2) {
            Some(end) => Some(i64::from(int_param(*end)?)),
            None => None,
        };
        crate::core::misc::substring(text, i64::from(begin), end)
    });
    def("java-string-to-char-array", 1, 1, |_, a| {
        let text = string_target(&a[0], "toCharArray", 0)?;
        Ok(vector_obj(text.chars().map(character)))
    });
    def("java-string-to-upper-case", 1, 1, |_, a| {
        Ok(string(
            string_target(&a[0], "toUpperCase", 0)?.to_uppercase(),
        ))
    });
    def("java-string-to-lower-case", 1, 1, |_, a| {
        Ok(string(
            string_target(&a[0], "toLowerCase", 0)?.to_lowercase(),
        ))
    });
    // trim strips every char up to the space; strip, Character.isWhitespace.
    def("java-string-trim", 1, 1, |_, a| {
        Ok(string(
            string_target(&a[0], "trim", 0)?.trim_matches(|c| c <= ' '),
        ))
    });
    def("java-string-strip", 1, 1, |_, a| {
        Ok(string(
            string_target(&a[0], "strip", 0)?.trim_matches(is_java_whitespace),
        ))
    });
}

fn install_builders() {
    def("java-string-concat", 2, 2, |_, a| {
        let text = string_target(&a[0], "concat", 1)?;
        Ok(string(format!("{text}{}", string_param(&a[1])?)))
    });
    def("java-string-replace", 3, 3, |_, a| {
        replace(string_target(&a[0], "replace", 2)?, a[1], a[2])
    });
    def("java-string-repeat", 2, 2, |_, a| {
        repeat(string_target(&a[0], "repeat", 1)?, int_param(a[1])?)
    });
}

pub(super) fn install() {
    install_searches();
    install_comparisons();
    install_parts();
    install_builders();
}

#[cfg(test)]
mod tests {
    use super::{equals_ignore_case, index_of, last_index_of};

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn searches_like_java() {
        let text = chars("abcb");
        assert_eq!(index_of(&text, &chars("b"), 0), 1);
        assert_eq!(index_of(&text, &chars("b"), 2), 3);
        assert_eq!(index_of(&text, &chars("b"), -5), 1);
        assert_eq!(index_of(&text, &chars("z"), 0), -1);
        assert_eq!(index_of(&text, &chars(""), 9), 4);
        assert_eq!(index_of(&text, &chars("abcbx"), 0), -1);
        assert_eq!(last_index_of(&text, &chars("b"), 4), 3);
        assert_eq!(last_index_of(&text, &chars("b"), 2), 1);
        assert_eq!(last_index_of(&text, &chars(""), 10), 4);
        assert_eq!(last_index_of(&text, &chars(""), -1), -1);
        assert_eq!(last_index_of(&text, &chars("abcbx"), 9), -1);
    }

    #[test]
    fn ignores_case_like_java() {
        assert!(equals_ignore_case("ABC", "abc"));
        assert!(equals_ignore_case("ΣΑΣ", "σας"));
        assert!(!equals_ignore_case("ß", "SS"));
        assert!(equals_ignore_case("ǅ", "ǆ"));
    }
}
