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
        Self {
            ns: None,
            name: name.into(),
        }
    }

    pub fn qualified(ns: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            ns: Some(ns.into()),
            name: name.into(),
        }
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
    /// `#uuid "..."`, checked to be canonical when read.
    Uuid(jank_runtime_abi::java_uuid::Uuid),
    /// `#inst "..."`: a java.util.Date, as milliseconds since the epoch.
    Inst(i64),
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
        Self {
            kind,
            pos,
            meta: None,
        }
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

    /// Whether this form contains the bare symbol `name` anywhere (quoted or
    /// not, shadowed or not: a conservative answer).
    pub fn mentions(&self, name: &str) -> bool {
        match &self.kind {
            FormKind::Symbol(n) => n.ns.is_none() && n.name == name,
            FormKind::List(items) | FormKind::Vector(items) | FormKind::Set(items) => {
                items.iter().any(|item| item.mentions(name))
            }
            FormKind::Map(entries) => entries
                .iter()
                .any(|(k, v)| k.mentions(name) || v.mentions(name)),
            _ => false,
        }
    }
}

impl Form {
    pub fn keyword(name: Name, pos: Pos) -> Self {
        Self::new(FormKind::Keyword(name), pos)
    }

    pub fn vector(items: Vec<Form>, pos: Pos) -> Self {
        Self::new(FormKind::Vector(items), pos)
    }

    /// Only symbols and collections carry `^` metadata, as in Clojure.
    pub fn can_carry_meta(&self) -> bool {
        matches!(
            self.kind,
            FormKind::Symbol(_)
                | FormKind::List(_)
                | FormKind::Vector(_)
                | FormKind::Map(_)
                | FormKind::Set(_)
        )
    }

    /// Clojure's `=` on the data, which is what duplicate map keys and set
    /// elements are judged by: positions and metadata are ignored, a list
    /// equals a vector with equal items, maps and sets ignore order, `1`
    /// equals `1N` but not `1.0`, `##NaN` equals nothing, and two regex
    /// literals are never equal (they are distinct objects in Clojure).
    pub fn data_eq(&self, other: &Form) -> bool {
        use FormKind::*;
        match (&self.kind, &other.kind) {
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Int(a), BigInt(b)) | (BigInt(b), Int(a)) => a.to_string() == *b,
            (BigInt(a), BigInt(b)) => a == b,
            (Double(a), Double(b)) => a == b,
            (BigDecimal(a), BigDecimal(b)) => a == b,
            (Ratio(an, ad), Ratio(bn, bd)) => an == bn && ad == bd,
            (Char(a), Char(b)) => a == b,
            (Str(a), Str(b)) => a == b,
            (Keyword(a), Keyword(b)) | (Symbol(a), Symbol(b)) => a == b,
            (List(a) | Vector(a), List(b) | Vector(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.data_eq(y))
            }
            (Set(a), Set(b)) => {
                a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.data_eq(y)))
            }
            (Map(a), Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(ak, av)| b.iter().any(|(bk, bv)| ak.data_eq(bk) && av.data_eq(bv)))
            }
            _ => false,
        }
    }

    /// Structural identity ignoring positions only: kinds, order and
    /// metadata must match exactly, doubles compare by bit pattern except
    /// that every NaN equals every NaN. This is what "reads back the same"
    /// means for a printed form.
    pub fn eq_ignoring_positions(&self, other: &Form) -> bool {
        let meta_matches = match (&self.meta, &other.meta) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignoring_positions(b),
            _ => false,
        };
        meta_matches && kinds_match_ignoring_positions(&self.kind, &other.kind)
    }
}

fn kinds_match_ignoring_positions(a: &FormKind, b: &FormKind) -> bool {
    use FormKind::*;
    let all_match = |xs: &[Form], ys: &[Form]| {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| x.eq_ignoring_positions(y))
    };
    match (a, b) {
        (Double(x), Double(y)) => (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits(),
        (List(xs), List(ys)) | (Vector(xs), Vector(ys)) | (Set(xs), Set(ys)) => all_match(xs, ys),
        (Map(xs), Map(ys)) => {
            xs.len() == ys.len()
                && xs.iter().zip(ys).all(|((xk, xv), (yk, yv))| {
                    xk.eq_ignoring_positions(yk) && xv.eq_ignoring_positions(yv)
                })
        }
        (List(_) | Vector(_) | Set(_) | Map(_) | Double(_), _) => false,
        _ => a == b,
    }
}
