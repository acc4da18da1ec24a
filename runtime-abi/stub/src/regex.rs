//! Regex patterns and matchers (java.util.regex's Pattern and Matcher as
//! Clojure uses them): `re-pattern`, `re-matcher`, `re-find`, `re-matches`,
//! `re-seq`, `re-groups`, and the matching that clojure.string's `split`,
//! `replace` and `replace-first` do with a pattern. Syntax and what differs
//! from Java: `jank_runtime_abi::java_regex`. Compiled patterns are cached by
//! source, so a literal evaluated in a loop compiles once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use jank_runtime_abi::java_regex::{compile, JavaRegex};

use crate::coll::vector_obj;
use crate::core::core;
use crate::error::{class_cast, error, illegal_state, R};
use crate::object::{alloc, nil, string, Obj, Object};
use crate::seq::list_of;

/// A compiled pattern and the Java source it was compiled from.
pub struct Pattern {
    pub source: Box<str>,
    pub regex: Rc<JavaRegex>,
}

/// Where a matcher is: the next search position and the last match's groups.
pub struct MatcherState {
    next: usize,
    groups: Option<Groups>,
}

/// A matcher over a string object: its pattern, its text and its position.
pub struct Matcher {
    pub pattern: Obj,
    pub text: Obj,
    pub state: RefCell<MatcherState>,
}

/// The byte ranges of a match's groups (group 0 the whole match); None for
/// a group that did not take part.
pub type Groups = Vec<Option<(usize, usize)>>;

thread_local! {
    static COMPILED: RefCell<HashMap<Box<str>, Rc<JavaRegex>>> = RefCell::new(HashMap::new());
}

fn syntax_error(source: &str, message: &str) -> crate::error::Thrown {
    error(
        "java.util.regex.PatternSyntaxException",
        format!("{message} near index 0\n{source}"),
    )
}

/// The compiled regex of a Java pattern source, from the cache when it was
/// compiled before; a PatternSyntaxException when it is not a pattern.
pub fn compiled(source: &str) -> R<Rc<JavaRegex>> {
    if let Some(regex) = COMPILED.with(|cache| cache.borrow().get(source).cloned()) {
        return Ok(regex);
    }
    let compiled = Rc::new(compile(source).map_err(|e| syntax_error(source, &e))?);
    COMPILED.with(|cache| {
        cache
            .borrow_mut()
            .insert(source.into(), Rc::clone(&compiled))
    });
    Ok(compiled)
}

/// `(re-pattern source)` for a string source.
pub fn pattern(source: &str) -> R {
    Ok(alloc(Object::Regex(Box::new(Pattern {
        source: source.into(),
        regex: compiled(source)?,
    }))))
}

fn as_pattern(value: &Obj) -> R<&Pattern> {
    match &**value {
        Object::Regex(p) => Ok(p),
        _ => Err(class_cast(*value, "java.util.regex.Pattern")),
    }
}

fn as_text(value: &Obj) -> R<&str> {
    value
        .as_str()
        .ok_or_else(|| class_cast(*value, "java.lang.CharSequence"))
}

fn regex_failure(e: fancy_regex::Error) -> crate::error::Thrown {
    error("java.lang.StackOverflowError", e.to_string())
}

/// The groups of the first match at or after byte `from`.
pub fn find_at(regex: &JavaRegex, text: &str, from: usize) -> R<Option<Groups>> {
    if from > text.len() {
        return Ok(None);
    }
    let captures = regex
        .find
        .captures_from_pos(text, from)
        .map_err(regex_failure)?;
    Ok(captures.map(|c| {
        (0..c.len())
            .map(|i| c.get(i).map(|m| (m.start(), m.end())))
            .collect()
    }))
}

/// Where the search after a match of `range` starts, as Java's `find` does:
/// its end, or one char further for an empty match.
pub fn next_search(text: &str, (start, end): (usize, usize)) -> usize {
    if start == end {
        end + text[end..].chars().next().map_or(1, char::len_utf8)
    } else {
        end
    }
}

/// Every match from the start, in order, as Java's repeated `find` sees them.
pub fn all_matches(regex: &JavaRegex, text: &str) -> R<Vec<Groups>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(groups) = find_at(regex, text, from)? {
        let whole = groups[0].unwrap_or((from, from));
        from = next_search(text, whole);
        found.push(groups);
    }
    Ok(found)
}

/// `re-groups` of a match: the whole match as a string when the pattern has
/// no groups, else a vector of every group (nil for one that did not take part).
pub fn groups_value(text: &str, groups: &Groups) -> Obj {
    let part = |group: &Option<(usize, usize)>| match group {
        Some((start, end)) => string(&text[*start..*end]),
        None => nil(),
    };
    if groups.len() == 1 {
        return part(&groups[0]);
    }
    vector_obj(groups.iter().map(part))
}

fn matcher(pattern_obj: Obj, text: Obj) -> R {
    as_pattern(&pattern_obj)?;
    as_text(&text)?;
    Ok(alloc(Object::Matcher(Box::new(Matcher {
        pattern: pattern_obj,
        text,
        state: RefCell::new(MatcherState {
            next: 0,
            groups: None,
        }),
    }))))
}

/// `(re-find matcher)`: the next match's groups, or nil.
fn find_next(matcher_obj: Obj) -> R {
    let Object::Matcher(m) = &*matcher_obj else {
        return Err(class_cast(matcher_obj, "java.util.regex.Matcher"));
    };
    let text = as_text(&m.text)?;
    let regex = &as_pattern(&m.pattern)?.regex;
    let from = m.state.borrow().next;
    let found = find_at(regex, text, from)?;
    let mut state = m.state.borrow_mut();
    match found {
        Some(groups) => {
            let whole = groups[0].unwrap_or((from, from));
            state.next = next_search(text, whole);
            let value = groups_value(text, &groups);
            state.groups = Some(groups);
            Ok(value)
        }
        None => {
            state.next = text.len() + 1;
            state.groups = None;
            Ok(nil())
        }
    }
}

fn re_groups(matcher_obj: Obj) -> R {
    let Object::Matcher(m) = &*matcher_obj else {
        return Err(class_cast(matcher_obj, "java.util.regex.Matcher"));
    };
    let text = as_text(&m.text)?;
    match &m.state.borrow().groups {
        Some(groups) => Ok(groups_value(text, groups)),
        None => Err(illegal_state("No match found")),
    }
}

fn re_matches(pattern_obj: Obj, text_obj: Obj) -> R {
    let regex = &as_pattern(&pattern_obj)?.regex;
    let text = as_text(&text_obj)?;
    let captures = regex.whole.captures(text).map_err(regex_failure)?;
    Ok(match captures {
        Some(c) => {
            let groups: Groups = (0..c.len())
                .map(|i| c.get(i).map(|m| (m.start(), m.end())))
                .collect();
            groups_value(text, &groups)
        }
        None => nil(),
    })
}

fn re_seq(pattern_obj: Obj, text_obj: Obj) -> R {
    let regex = &as_pattern(&pattern_obj)?.regex;
    let text = as_text(&text_obj)?;
    let values: Vec<Obj> = all_matches(regex, text)?
        .iter()
        .map(|groups| groups_value(text, groups))
        .collect();
    Ok(if values.is_empty() {
        nil()
    } else {
        list_of(&values)
    })
}

/// The compiled regex of a pattern argument, or None for another value.
pub fn regex_of(value: &Obj) -> Option<Rc<JavaRegex>> {
    match &**value {
        Object::Regex(p) => Some(Rc::clone(&p.regex)),
        _ => None,
    }
}

pub fn install() {
    core("re-pattern", 1, 1, |_, a| match &*a[0] {
        Object::Regex(_) => Ok(a[0]),
        _ => pattern(as_text(&a[0])?),
    });
    core("re-matcher", 2, 2, |_, a| matcher(a[0], a[1]));
    core("re-find", 1, 2, |_, a| match *a {
        [m] => find_next(m),
        [p, s] => find_next(matcher(p, s)?),
        _ => Err(crate::error::arity(a.len(), "clojure.core/re-find")),
    });
    core("re-groups", 1, 1, |_, a| re_groups(a[0]));
    core("re-matches", 2, 2, |_, a| re_matches(a[0], a[1]));
    core("re-seq", 2, 2, |_, a| re_seq(a[0], a[1]));
}
