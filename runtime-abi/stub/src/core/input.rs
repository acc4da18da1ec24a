//! Standard input as a page has it: none, except the strings `with-in-str`
//! gives its body. `read-line` (and `read`) read from the innermost one;
//! outside any, it is at end of input and `read-line` answers nil, as
//! Clojure's does on an empty stdin.

use std::cell::RefCell;

use super::{def, text};
use crate::error::R;
use crate::function::call;
use crate::object::{nil, string};

thread_local! {
    /// Each `with-in-str` being run: its text and how much was read.
    static INPUTS: RefCell<Vec<(String, usize)>> = const { RefCell::new(Vec::new()) };
}

/// The next line of the innermost input without its terminator (`\n`,
/// `\r\n` or `\r`, as BufferedReader.readLine), None at its end.
fn read_line() -> Option<String> {
    INPUTS.with(|inputs| {
        let mut inputs = inputs.borrow_mut();
        let (input, at) = inputs.last_mut()?;
        let rest = &input[*at..];
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = rest[..end].to_string();
        let terminator = match &rest[end..] {
            t if t.starts_with("\r\n") => 2,
            "" => 0,
            _ => 1,
        };
        *at += end + terminator;
        Some(line)
    })
}

/// Runs `read` on what is left of the innermost input (nothing outside any
/// `with-in-str`) and the line it starts on, which answers a value and how
/// many bytes it consumed.
pub(super) fn with_rest<T>(read: impl FnOnce(&str, usize) -> R<(T, usize)>) -> R<T> {
    let (rest, line) = INPUTS.with(|inputs| {
        inputs
            .borrow()
            .last()
            .map(|(input, at)| {
                (
                    input[*at..].to_string(),
                    1 + input[..*at].matches('\n').count(),
                )
            })
            .unwrap_or((String::new(), 1))
    });
    let (value, used) = read(&rest, line)?;
    INPUTS.with(|inputs| {
        if let Some((_, at)) = inputs.borrow_mut().last_mut() {
            *at += used;
        }
    });
    Ok(value)
}

pub(super) fn install() {
    super::core("read-line", 0, 0, |_, _| {
        Ok(read_line().map_or_else(nil, string))
    });
    def("jank.runtime", "with-in-str-fn", 2, 2, |_, a| {
        let input = text(&a[0])?.to_string();
        INPUTS.with(|inputs| inputs.borrow_mut().push((input, 0)));
        let result = call(a[1], &[]);
        INPUTS.with(|inputs| inputs.borrow_mut().pop());
        result
    });
}
