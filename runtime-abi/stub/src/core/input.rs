//! Standard input as a page has it: none, except the strings `with-in-str`
//! gives its body. `read-line` reads from the innermost one; outside any, it
//! is at end of input and answers nil, as Clojure's does on an empty stdin.

use std::cell::RefCell;

use super::{def, text};
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
