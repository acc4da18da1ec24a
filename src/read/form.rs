//! The reader's output: jank data with the position it was read at.

use crate::source::Pos;

/// A namespace-qualified or bare name, as in symbols and keywords.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    pub ns: Option<String>,
    pub name: String,
}

impl Name {
    pub fn bare(name: impl Into<String>) -> Self {
        Self { ns: None, name: name.into() }
    }

    pub fn qualified(ns: impl Into<String>, name: impl Into<String>) -> Self {
        Self { ns: Some(ns.into()), name: name.into() }
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.ns {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// One read form. `meta` is the metadata map attached with `^` (already
/// merged when several were stacked); only symbols and collections carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub kind: FormKind,
    pub pos: Pos,
    pub meta: Option<Box<Form>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FormKind {
    Nil,
    Bool(bool),
    Int(i64),
    /// An integer with the `N` suffix or too large for i64, as its decimal digits.
    BigInt(String),
    Double(f64),
    /// A decimal with the `M` suffix, as written without the suffix.
    BigDecimal(String),
    /// numerator/denominator in lowest terms, denominator > 1.
    Ratio(i64, i64),
    Char(char),
    Str(String),
    Regex(String),
    Keyword(Name),
    Symbol(Name),
    List(Vec<Form>),
    Vector(Vec<Form>),
    /// Key/value pairs in source order (duplicate keys are a read error).
    Map(Vec<(Form, Form)>),
    Set(Vec<Form>),
}

impl Form {
    pub fn new(kind: FormKind, pos: Pos) -> Self {
        Self { kind, pos, meta: None }
    }

    pub fn symbol(name: Name, pos: Pos) -> Self {
        Self::new(FormKind::Symbol(name), pos)
    }

    pub fn list(items: Vec<Form>, pos: Pos) -> Self {
        Self::new(FormKind::List(items), pos)
    }

    /// The symbol's name when this form is a symbol.
    pub fn as_symbol(&self) -> Option<&Name> {
        match &self.kind {
            FormKind::Symbol(name) => Some(name),
            _ => None,
        }
    }

    /// True for a bare or qualified symbol spelled exactly `text`.
    pub fn is_symbol(&self, text: &str) -> bool {
        matches!(&self.kind, FormKind::Symbol(n) if n.ns.is_none() && n.name == text)
    }
}
