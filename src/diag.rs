//! Diagnostics: one typed error per failure, rendered once as
//! `file:line:col: error: message`, the source line and a caret.

use crate::source::{Pos, SourceFile};
use std::fmt;

/// A compile error located in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: std::rc::Rc<str>,
    pub pos: Pos,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: &SourceFile, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            file: file.name.clone(),
            pos,
            message: message.into(),
        }
    }

    /// The diagnostic with its source line and a caret under the column.
    pub fn render(&self, source: &SourceFile) -> String {
        let mut out = format!("{self}\n");
        if let Some(line) = source.line_text(self.pos.line) {
            let gutter = self.pos.line.to_string();
            let caret_offset: String = line
                .chars()
                .take(self.pos.col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!("{gutter} | {line}\n"));
            out.push_str(&format!("{} | {caret_offset}^\n", " ".repeat(gutter.len())));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: error: {}", self.file, self.pos, self.message)
    }
}

impl std::error::Error for Diagnostic {}
