//! Source positions and source files: what every stage uses to point back at
//! the text a construct came from.

use std::fmt;
use std::rc::Rc;

/// A 1-based line and column (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const fn new(line: u32, col: u32) -> Self {
        Self { line, col }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A named piece of jank source text (a file, an editor buffer, a request body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub name: Rc<str>,
    pub text: Rc<str>,
}

impl SourceFile {
    pub fn new(name: impl Into<Rc<str>>, text: impl Into<Rc<str>>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// The text of 1-based line `line`, without its line terminator.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        self.text
            .split('\n')
            .nth(index)
            .map(|l| l.trim_end_matches('\r'))
    }
}
