//! Diagnostics: one typed error per failure, rendered once as
//! `file:line:col: error: message`, the source line and a caret. A user's
//! mistake is a `Diagnostic`; a compiler bug caught on the way (a lowering
//! that breaks the helper ABI, a module that does not validate) is an
//! `InternalError`, and `Failure` is either.

use crate::source::{Pos, SourceFile};
use std::fmt;

/// A compile error located in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: std::rc::Rc<str>,
    pub pos: Pos,
    pub message: String,
    /// The text it points into when that is not the text being compiled
    /// (a file loaded by `require`), so it renders with its own line.
    pub origin: Option<SourceFile>,
}

impl Diagnostic {
    pub fn new(file: &SourceFile, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            file: file.name.clone(),
            pos,
            message: message.into(),
            origin: None,
        }
    }

    /// The diagnostic with its source line and a caret under the column.
    /// `source` is the text being compiled; a diagnostic from a loaded file
    /// renders with that file's line instead.
    pub fn render(&self, source: &SourceFile) -> String {
        let source = self.origin.as_ref().unwrap_or(source);
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

/// A bug in jankwasm, not in the program: what lowering produced breaks an
/// invariant (the helper ABI, wasm validity, its own bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{pos}: internal compiler error: {message}")]
pub struct InternalError {
    pub file: std::rc::Rc<str>,
    /// The form being lowered, or 1:1 when the whole module is at fault.
    pub pos: Pos,
    pub message: String,
}

impl InternalError {
    pub fn new(file: &SourceFile, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            file: file.name.clone(),
            pos,
            message: message.into(),
        }
    }
}

/// Why a compilation produced nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Diagnostic(#[from] Diagnostic),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

impl Failure {
    /// A diagnostic with its source line and caret; an internal error as is.
    pub fn render(&self, source: &SourceFile) -> String {
        match self {
            Failure::Diagnostic(diagnostic) => diagnostic.render(source),
            Failure::Internal(internal) => format!("{internal}\n"),
        }
    }
}
