//! Macroexpansion of clojure.core's macros: one form in, the expanded form
//! out, positions carried over so errors still point at the user's text.
//! The analyzer decides when a head symbol names one of these macros (it
//! knows about locals and namespaces); this module only rewrites forms.

pub(crate) mod build;
mod core_macros;
mod destructure;
mod protocols;

pub use core_macros::{core_macro_names, expand_core_macro, is_core_macro};
pub use protocols::{DEFINE_CLASS, TYPE_FIELDS};

use crate::source::Pos;

/// A macro used wrongly, at the position of the offending form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExpandError {
    pub pos: Pos,
    pub message: String,
}

impl ExpandError {
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        Self {
            pos,
            message: message.into(),
        }
    }
}

/// Fresh names for the locals macros introduce (`vec__12`, `and__13`).
#[derive(Debug, Default)]
pub struct Gensyms {
    next: u64,
}

impl Gensyms {
    pub fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}__{}", self.next)
    }
}
