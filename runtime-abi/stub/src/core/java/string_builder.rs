//! java.lang.StringBuilder: `(StringBuilder. init?)` is
//! `(jank.runtime/new-string-builder init?)`, and its methods are natives
//! here (`reverse`, `insert`, `setLength`, `deleteCharAt`) or branches of
//! the natives it shares with strings and writers (`append`, `length`,
//! `charAt`, `indexOf`, `lastIndexOf`, `isEmpty`; `toString` is `str`'s).
//! Its text lives in the object's RefCell and changes in place; indices
//! count chars, as a string's do (see the module above).

use std::cell::RefCell;

use super::{def, int_param, no_matching_method, null_reflection_target};
use crate::error::{error, illegal_argument, R};
use crate::object::{alloc, character, int, Obj, Object};

const CLASS: &str = "java.lang.StringBuilder";

/// The text of `target` when it is a StringBuilder.
pub(super) fn builder_text(target: &Obj) -> Option<&RefCell<String>> {
    match &**target {
        Object::StringBuilder(text) => Some(text),
        _ => None,
    }
}

/// The builder of `(.method target ...)` with `args` arguments: nil is a
/// NullPointerException, another class has no such method.
fn builder_target<'a>(target: &'a Obj, method: &str, args: usize) -> R<&'a RefCell<String>> {
    match &**target {
        Object::Nil => Err(null_reflection_target()),
        _ => builder_text(target)
            .ok_or_else(|| no_matching_method(method, args, Some(target.class_name()))),
    }
}

/// What `append` and `insert` add for `value`: Java's `String.valueOf`,
/// "null" for nil, else what `str` gives.
fn value_text(value: Obj) -> R<String> {
    if value.is_nil() {
        return Ok("null".to_string());
    }
    crate::print::str_of(value)
}

/// The char index `index` of `text` as a byte offset, when it is at most
/// its length.
fn byte_offset(text: &str, index: i32) -> Option<usize> {
    let index = usize::try_from(index).ok()?;
    text.char_indices()
        .map(|(offset, _)| offset)
        .chain(std::iter::once(text.len()))
        .nth(index)
}

fn out_of_bounds(what: &str, index: i32, length: usize) -> crate::error::Thrown {
    error(
        "java.lang.StringIndexOutOfBoundsException",
        format!("{what} {index}, length {length}"),
    )
}

/// `(.append sb x)`.
pub(super) fn append(builder: Obj, value: Obj) -> R {
    let text = value_text(value)?;
    let Some(cell) = builder_text(&builder) else {
        return Err(no_matching_method("append", 1, Some(builder.class_name())));
    };
    cell.borrow_mut().push_str(&text);
    Ok(builder)
}

/// `(.length sb)`.
pub(super) fn length(cell: &RefCell<String>) -> R {
    Ok(int(cell.borrow().chars().count() as i64))
}

/// `(.charAt sb i)`.
pub(super) fn char_at(cell: &RefCell<String>, index: Obj) -> R {
    let index = int_param(index)?;
    let text = cell.borrow();
    usize::try_from(index)
        .ok()
        .and_then(|i| text.chars().nth(i))
        .map(character)
        .ok_or_else(|| out_of_bounds("index", index, text.chars().count()))
}

/// `(.indexOf sb s)`/`(.lastIndexOf sb s)` and their `fromIndex` forms:
/// StringBuilder searches only for a string.
pub(super) fn index_of(cell: &RefCell<String>, a: &[Obj], last: bool) -> R {
    let needle: Vec<char> = match &*a[1] {
        Object::Str(s) => s.chars().collect(),
        Object::Nil => {
            return Err(error(
                "java.lang.NullPointerException",
                "Cannot read field \"value\" because \"tgtStr\" is null",
            ))
        }
        // The reflector's cast of the argument to indexOf's String parameter.
        _ => {
            return Err(error(
                "java.lang.ClassCastException",
                format!("Cannot cast {} to java.lang.String", a[1].class_name()),
            ))
        }
    };
    let text: Vec<char> = cell.borrow().chars().collect();
    let from = match a.get(2) {
        Some(from) => i64::from(int_param(*from)?),
        None if last => text.len() as i64,
        None => 0,
    };
    Ok(int(if last {
        super::string::last_index_of(&text, &needle, from)
    } else {
        super::string::index_of(&text, &needle, from)
    }))
}

pub(super) fn install() {
    def("new-string-builder", 0, 1, |_, a| {
        let text = match a.first().map(|init| (*init, &**init)) {
            None => String::new(),
            Some((_, Object::Str(s))) => s.to_string(),
            Some((_, Object::StringBuilder(text))) => text.borrow().clone(),
            // A capacity: nothing to keep but its check.
            Some((_, Object::Int(capacity))) => {
                if *capacity < 0 {
                    return Err(error(
                        "java.lang.NegativeArraySizeException",
                        capacity.to_string(),
                    ));
                }
                String::new()
            }
            Some((_, Object::Nil)) => {
                return Err(error(
                    "java.lang.NullPointerException",
                    "Cannot invoke \"java.lang.CharSequence.length()\" because \"seq\" is null",
                ))
            }
            Some(_) => {
                return Err(illegal_argument(format!(
                    "No matching ctor found for class {CLASS}"
                )))
            }
        };
        Ok(alloc(Object::StringBuilder(RefCell::new(text))))
    });
    def("java-string-builder-reverse", 1, 1, |_, a| {
        let cell = builder_target(&a[0], "reverse", 0)?;
        let reversed: String = cell.borrow().chars().rev().collect();
        *cell.borrow_mut() = reversed;
        Ok(a[0])
    });
    def("java-string-builder-insert", 3, 3, |_, a| {
        let cell = builder_target(&a[0], "insert", 2)?;
        let index = match *a[1] {
            Object::Int(_) | Object::Double(_) => int_param(a[1])?,
            _ => return Err(no_matching_method("insert", 2, Some(CLASS))),
        };
        let inserted = value_text(a[2])?;
        let mut text = cell.borrow_mut();
        let offset = byte_offset(&text, index)
            .ok_or_else(|| out_of_bounds("offset", index, text.chars().count()))?;
        text.insert_str(offset, &inserted);
        Ok(a[0])
    });
    def("java-string-builder-set-length", 2, 2, |_, a| {
        let cell = builder_target(&a[0], "setLength", 1)?;
        let length = int_param(a[1])?;
        let Ok(wanted) = usize::try_from(length) else {
            return Err(error(
                "java.lang.StringIndexOutOfBoundsException",
                format!("String index out of range: {length}"),
            ));
        };
        let mut text = cell.borrow_mut();
        match byte_offset(&text, length) {
            Some(offset) => text.truncate(offset),
            // Longer: padded with NUL chars, as Java's setLength does.
            None => {
                let missing = wanted - text.chars().count();
                text.extend(std::iter::repeat_n('\0', missing));
            }
        }
        Ok(crate::object::nil())
    });
    def("java-string-builder-delete-char-at", 2, 2, |_, a| {
        let cell = builder_target(&a[0], "deleteCharAt", 1)?;
        let index = int_param(a[1])?;
        let mut text = cell.borrow_mut();
        let length = text.chars().count();
        let offset = usize::try_from(index)
            .ok()
            .filter(|i| *i < length)
            .and_then(|_| byte_offset(&text, index))
            .ok_or_else(|| out_of_bounds("index", index, length))?;
        text.remove(offset);
        Ok(a[0])
    });
}
