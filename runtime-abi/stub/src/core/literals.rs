//! The reader's data for code it does not evaluate: `tagged-literal`
//! (clojure.lang.TaggedLiteral, a tag symbol and a form: `#tag form`) and
//! `reader-conditional` (clojure.lang.ReaderConditional, `#?(...)` or
//! `#?@(...)`), with their predicates. Keyword lookup reads their parts
//! (`colls::get`); they print as Clojure prints them (`print.rs`).

use super::core;
use crate::error::class_cast;
use crate::object::{alloc, boolean, Object};

pub(super) fn install() {
    core("tagged-literal", 2, 2, |_, a| match &*a[0] {
        Object::Symbol(_) => Ok(alloc(Object::TaggedLiteral(a[0], a[1]))),
        _ => Err(class_cast(a[0], "clojure.lang.Symbol")),
    });
    core("tagged-literal?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::TaggedLiteral(..))))
    });
    core("reader-conditional", 2, 2, |_, a| match &*a[1] {
        Object::Bool(splicing) => Ok(alloc(Object::ReaderConditional(a[0], *splicing))),
        _ => Err(class_cast(a[1], "java.lang.Boolean")),
    });
    core("reader-conditional?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::ReaderConditional(..))))
    });
}
