//! clojure.string: join, split (by a pattern, or a plain string or char),
//! split-lines, case changes, trimming, blank?, prefix/suffix/substring
//! tests, replace and replace-first (strings, chars, or a pattern with a
//! Java replacement string or a fn of the match), reverse, index-of, escape.

use super::def;
use crate::coll::vector_obj;
use crate::error::{illegal_argument, R};
use crate::function::call;
use crate::number::to_long;
use crate::object::{boolean, int, nil, string, Obj, Object};
use crate::print::str_of;
use crate::regex::{all_matches, groups_value, regex_of, Groups};
use crate::seq::SeqIter;
use jank_runtime_abi::java_regex::JavaRegex;

/// What clojure.string's fns taking a CharSequence make of `value`: its
/// `toString` (Clojure calls it on whatever it is given), nil refused.
fn char_sequence(value: Obj) -> R<String> {
    if value.is_nil() {
        return Err(crate::error::class_cast(value, "java.lang.CharSequence"));
    }
    str_of(value)
}

/// A clojure.string fn's string argument (hinted `^CharSequence`): nil is
/// a NullPointerException, another value a ClassCastException.
fn string_arg(value: &Obj) -> R<&str> {
    value
        .as_str()
        .ok_or_else(|| crate::error::class_cast(*value, "java.lang.CharSequence"))
}

fn string_fn(name: &'static str, min: usize, max: usize, f: crate::function::NativeFn) {
    def("clojure.string", name, min, max, f);
}

/// Java's `Character.isWhitespace`: the space, line and paragraph
/// separators but the no-break spaces, and the controls \t \n \x0B \f \r
/// \x1C-\x1F (not U+0085, which Rust's White_Space has).
pub(crate) fn is_java_whitespace(c: char) -> bool {
    (c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{85}'))
        || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// A literal separator or pattern argument: a string or a char.
fn literal(value: &Obj) -> R<String> {
    match &**value {
        Object::Str(s) => Ok(s.to_string()),
        Object::Char(c) => Ok(c.to_string()),
        _ => Err(illegal_argument(format!(
            "clojure.string supports string and char patterns, not {}",
            value.class_name()
        ))),
    }
}

/// Java's `String.split(literal, limit)`.
fn split(s: &str, separator: &str, limit: i64) -> Vec<String> {
    let mut parts: Vec<String> = if separator.is_empty() {
        s.chars().map(String::from).collect()
    } else if limit > 0 {
        s.splitn(limit as usize, separator)
            .map(String::from)
            .collect()
    } else {
        s.split(separator).map(String::from).collect()
    };
    if separator.is_empty() && limit > 0 && parts.len() > limit as usize {
        let tail: String = parts.split_off(limit as usize - 1).concat();
        parts.push(tail);
    }
    if limit == 0 {
        while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].is_empty() && !s.is_empty() {
            parts.clear();
        }
    }
    parts
}

/// Java's `Pattern.split(input, limit)`: a zero-width match at the start
/// makes no leading empty string; no match at all gives the input.
pub(crate) fn split_by_pattern(s: &str, regex: &JavaRegex, limit: i64) -> R<Vec<String>> {
    let mut parts = Vec::new();
    let mut index = 0;
    let limited = limit > 0;
    for groups in all_matches(regex, s)? {
        let Some((start, end)) = groups[0] else {
            continue;
        };
        if !limited || (parts.len() as i64) < limit - 1 {
            if index == 0 && start == 0 && start == end {
                continue;
            }
            parts.push(s[index..start].to_string());
            index = end;
        } else {
            break;
        }
    }
    if index == 0 {
        return Ok(vec![s.to_string()]);
    }
    parts.push(s[index..].to_string());
    if limit == 0 {
        while parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
    }
    Ok(parts)
}

/// Appends what a Java replacement string (`$1`, `${name}`, `\$`) makes of
/// one match, as `Matcher.appendReplacement` does.
fn expand_replacement(
    out: &mut String,
    replacement: &str,
    s: &str,
    groups: &Groups,
    regex: &JavaRegex,
) -> R<()> {
    let group_text = |index: usize| groups[index].map_or("", |(start, end)| &s[start..end]);
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => out.push(escaped),
                None => {
                    return Err(illegal_argument("character to be escaped is missing"));
                }
            },
            '$' => {
                if chars.peek() == Some(&'{') {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    let index = regex
                        .find
                        .capture_names()
                        .position(|n| n == Some(name.as_str()))
                        .ok_or_else(|| {
                            illegal_argument(format!("No group with name {{{name}}}"))
                        })?;
                    out.push_str(group_text(index));
                    continue;
                }
                let Some(first) = chars.next().and_then(|d| d.to_digit(10)) else {
                    return Err(illegal_argument("Illegal group reference"));
                };
                let mut index = first as usize;
                if index >= groups.len() {
                    return Err(crate::error::error(
                        "java.lang.IndexOutOfBoundsException",
                        format!("No group {index}"),
                    ));
                }
                while let Some(digit) = chars.peek().and_then(|d| d.to_digit(10)) {
                    let longer = index * 10 + digit as usize;
                    if longer >= groups.len() {
                        break;
                    }
                    index = longer;
                    chars.next();
                }
                out.push_str(group_text(index));
            }
            other => out.push(other),
        }
    }
    Ok(())
}

/// `replace`/`replace-first` with a pattern: at most `limit` matches become a
/// Java replacement string's expansion, or what a fn returns for `re-groups`
/// of the match (taken literally).
fn replace_matches(s: &str, regex: &JavaRegex, replacement: Obj, limit: usize) -> R {
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    for groups in all_matches(regex, s)?.into_iter().take(limit) {
        let Some((start, end)) = groups[0] else {
            continue;
        };
        out.push_str(&s[copied..start]);
        match &*replacement {
            Object::Str(template) => expand_replacement(&mut out, template, s, &groups, regex)?,
            _ => {
                let value = call(replacement, &[groups_value(s, &groups)])?;
                // Matcher.appendReplacement takes the fn's String, nothing else.
                let Object::Str(text) = &*value else {
                    return Err(crate::error::class_cast(value, "java.lang.String"));
                };
                out.push_str(text);
            }
        }
        copied = end;
    }
    out.push_str(&s[copied..]);
    Ok(string(out))
}

fn strings(parts: Vec<String>) -> Obj {
    vector_obj(parts.into_iter().map(string))
}

/// The char index of the byte offset `byte` in `s`.
fn char_index(s: &str, byte: usize) -> Obj {
    int(s[..byte].chars().count() as i64)
}

/// The byte offset of the char index `index` (clamped to the string).
fn byte_offset(s: &str, index: i64) -> usize {
    if index <= 0 {
        return 0;
    }
    s.char_indices()
        .nth(index as usize)
        .map_or(s.len(), |(b, _)| b)
}

fn install_basics() {
    string_fn("join", 1, 2, |_, a| {
        let (separator, coll) = match *a {
            [coll] => (String::new(), coll),
            [sep, coll] => (str_of(sep)?, coll),
            _ => unreachable!("arity 1..=2"),
        };
        let mut out = String::new();
        for (i, item) in SeqIter::new(coll).enumerate() {
            if i > 0 {
                out.push_str(&separator);
            }
            out.push_str(&str_of(item?)?);
        }
        Ok(string(out))
    });
    string_fn("split", 2, 3, |_, a| {
        let limit = match a.get(2) {
            Some(n) => to_long(*n)?,
            None => 0,
        };
        if let Some(regex) = regex_of(&a[1]) {
            return Ok(strings(split_by_pattern(
                string_arg(&a[0])?,
                &regex,
                limit,
            )?));
        }
        Ok(strings(split(string_arg(&a[0])?, &literal(&a[1])?, limit)))
    });
    string_fn("split-lines", 1, 1, |_, a| {
        let normalized = string_arg(&a[0])?.replace("\r\n", "\n");
        Ok(strings(split(&normalized, "\n", 0)))
    });
    string_fn("upper-case", 1, 1, |_, a| {
        Ok(string(char_sequence(a[0])?.to_uppercase()))
    });
    string_fn("lower-case", 1, 1, |_, a| {
        Ok(string(char_sequence(a[0])?.to_lowercase()))
    });
    string_fn("capitalize", 1, 1, |_, a| {
        let s = &char_sequence(a[0])?;
        let mut chars = s.chars();
        Ok(string(match chars.next() {
            Some(first) => {
                first.to_uppercase().collect::<String>() + &chars.as_str().to_lowercase()
            }
            None => String::new(),
        }))
    });
    string_fn("trim", 1, 1, |_, a| {
        Ok(string(string_arg(&a[0])?.trim_matches(is_java_whitespace)))
    });
    string_fn("triml", 1, 1, |_, a| {
        Ok(string(
            string_arg(&a[0])?.trim_start_matches(is_java_whitespace),
        ))
    });
    string_fn("trimr", 1, 1, |_, a| {
        Ok(string(
            string_arg(&a[0])?.trim_end_matches(is_java_whitespace),
        ))
    });
    // Matcher/quoteReplacement: `\` and `$` escaped, for a literal replacement.
    string_fn("re-quote-replacement", 1, 1, |_, a| {
        let mut quoted = String::new();
        for c in string_arg(&a[0])?.chars() {
            if matches!(c, '\\' | '$') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        Ok(string(quoted.as_str()))
    });
    string_fn("trim-newline", 1, 1, |_, a| {
        Ok(string(string_arg(&a[0])?.trim_end_matches(['\n', '\r'])))
    });
    string_fn("blank?", 1, 1, |_, a| match &*a[0] {
        Object::Nil => Ok(boolean(true)),
        _ => Ok(boolean(string_arg(&a[0])?.chars().all(is_java_whitespace))),
    });
    string_fn("starts-with?", 2, 2, |_, a| {
        Ok(boolean(
            char_sequence(a[0])?.starts_with(string_arg(&a[1])?),
        ))
    });
    string_fn("ends-with?", 2, 2, |_, a| {
        Ok(boolean(char_sequence(a[0])?.ends_with(string_arg(&a[1])?)))
    });
    string_fn("includes?", 2, 2, |_, a| {
        Ok(boolean(char_sequence(a[0])?.contains(&literal(&a[1])?)))
    });
    string_fn("reverse", 1, 1, |_, a| {
        Ok(string(string_arg(&a[0])?.chars().rev().collect::<String>()))
    });
}

fn install_search() {
    string_fn("replace", 3, 3, |_, a| {
        if let Some(regex) = regex_of(&a[1]) {
            return replace_matches(&char_sequence(a[0])?, &regex, a[2], usize::MAX);
        }
        // A char is replaced by a char and a string by a string, as in Clojure.
        if matches!(
            (&*a[1], &*a[2]),
            (Object::Char(_), Object::Str(_)) | (Object::Str(_), Object::Char(_))
        ) {
            return Err(illegal_argument(format!(
                "Invalid match arg: {}",
                crate::print::pr_str(a[1])?
            )));
        }
        let (from, to) = (literal(&a[1])?, literal(&a[2])?);
        Ok(string(char_sequence(a[0])?.replace(&from, &to)))
    });
    string_fn("replace-first", 3, 3, |_, a| {
        if let Some(regex) = regex_of(&a[1]) {
            return replace_matches(string_arg(&a[0])?, &regex, a[2], 1);
        }
        let (from, to) = (literal(&a[1])?, literal(&a[2])?);
        Ok(string(string_arg(&a[0])?.replacen(&from, &to, 1)))
    });
    string_fn("index-of", 2, 3, |_, a| {
        let s = string_arg(&a[0])?;
        let start = match a.get(2) {
            Some(from) => byte_offset(s, to_long(*from)?),
            None => 0,
        };
        Ok(s[start..]
            .find(&literal(&a[1])?)
            .map_or_else(nil, |i| char_index(s, start + i)))
    });
    string_fn("last-index-of", 2, 3, |_, a| {
        let s = string_arg(&a[0])?;
        let needle = literal(&a[1])?;
        let end = match a.get(2) {
            Some(from) => (byte_offset(s, to_long(*from)?) + needle.len()).min(s.len()),
            None => s.len(),
        };
        let end = (0..=end)
            .rev()
            .find(|b| s.is_char_boundary(*b))
            .unwrap_or(0);
        Ok(s[..end]
            .rfind(&needle)
            .map_or_else(nil, |i| char_index(s, i)))
    });
    string_fn("escape", 2, 2, |_, a| {
        let mut out = String::new();
        for c in string_arg(&a[0])?.chars() {
            let replacement = call(a[1], &[crate::object::character(c)])?;
            if replacement.is_nil() {
                out.push(c);
            } else {
                out.push_str(&str_of(replacement)?);
            }
        }
        Ok(string(out))
    });
}

pub fn install() {
    install_basics();
    install_search();
    install_char_tables();
}

/// clojure.core's `char-escape-string` and `char-name-string`: maps from a
/// char to how `pr` writes it inside a string and as a char literal.
fn install_char_tables() {
    let table = |entries: &[(char, &str)]| {
        let pairs = entries
            .iter()
            .map(|(c, text)| (crate::object::character(*c), string(*text)));
        // Distinct char keys: building the map cannot fail.
        crate::coll::map_obj(
            crate::coll::Map::from_pairs(pairs, false)
                .unwrap_or_else(|_| crate::coll::Map::empty()),
        )
    };
    let escapes = table(&[
        ('\n', "\\n"),
        ('\t', "\\t"),
        ('\r', "\\r"),
        ('"', "\\\""),
        ('\\', "\\\\"),
        ('\u{c}', "\\f"),
        ('\u{8}', "\\b"),
    ]);
    let names = table(&[
        ('\n', "newline"),
        ('\t', "tab"),
        (' ', "space"),
        ('\u{8}', "backspace"),
        ('\u{c}', "formfeed"),
        ('\r', "return"),
    ]);
    for (name, value) in [("char-escape-string", escapes), ("char-name-string", names)] {
        crate::var::bind_root(crate::var::intern_raw("clojure.core", name), value);
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn split_like_java() {
        assert_eq!(split("a,b,,c,,", ",", 0), ["a", "b", "", "c"]);
        assert_eq!(split(",a", ",", 0), ["", "a"]);
        assert_eq!(split("a,b,c", ",", 2), ["a", "b,c"]);
        assert_eq!(split("abc", "", 0), ["a", "b", "c"]);
        assert_eq!(split("", ",", 0), [""]);
        assert_eq!(split(",,", ",", 0), Vec::<String>::new());
        assert_eq!(split("a,b,,", ",", -1), ["a", "b", "", ""]);
    }
}
