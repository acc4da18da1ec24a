//! Printing forms as readable Clojure text: what error messages quote and
//! what reads back as the same form (`read(print(f)) == f`, positions aside).

use std::fmt::{self, Display, Formatter, Write};

use super::form::{Form, FormKind};
use super::token::char_name;

impl Display for Form {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(meta) = &self.meta {
            write!(f, "^{meta} ")?;
        }
        match &self.kind {
            FormKind::Nil => f.write_str("nil"),
            FormKind::Bool(value) => write!(f, "{value}"),
            FormKind::Int(value) => write!(f, "{value}"),
            FormKind::BigInt(digits) => write!(f, "{digits}N"),
            FormKind::Double(value) => write_double(f, *value),
            FormKind::BigDecimal(digits) => write!(f, "{digits}M"),
            FormKind::Ratio(numerator, denominator) => write!(f, "{numerator}/{denominator}"),
            FormKind::Char(c) => write_char(f, *c),
            FormKind::Str(text) => write_string(f, text),
            FormKind::Regex(pattern) => write!(f, "#\"{pattern}\""),
            FormKind::Uuid(uuid) => write!(f, "#uuid \"{}\"", uuid.text()),
            FormKind::Inst(ms) => {
                write!(f, "#inst \"{}\"", jank_runtime_abi::java_instant::text(*ms))
            }
            FormKind::Keyword(name) => write!(f, ":{name}"),
            FormKind::Symbol(name) => write!(f, "{name}"),
            FormKind::List(items) => write_seq(f, "(", items, ")"),
            FormKind::Vector(items) => write_seq(f, "[", items, "]"),
            FormKind::Set(items) => write_seq(f, "#{", items, "}"),
            FormKind::Map(entries) => {
                f.write_char('{')?;
                for (index, (key, value)) in entries.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key} {value}")?;
                }
                f.write_char('}')
            }
        }
    }
}

fn write_seq(f: &mut Formatter<'_>, open: &str, items: &[Form], close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            f.write_char(' ')?;
        }
        write!(f, "{item}")?;
    }
    f.write_str(close)
}

/// Like Clojure, a double always shows a dot or an exponent so it reads back
/// as a double; Rust's `{:?}` is the shortest text that round-trips.
fn write_double(f: &mut Formatter<'_>, value: f64) -> fmt::Result {
    if value.is_nan() {
        f.write_str("##NaN")
    } else if value.is_infinite() {
        f.write_str(if value > 0.0 { "##Inf" } else { "##-Inf" })
    } else {
        write!(f, "{value:?}")
    }
}

/// Invisible characters print as `\uXXXX` so the text shows what it holds.
fn write_char(f: &mut Formatter<'_>, c: char) -> fmt::Result {
    match char_name(c) {
        Some(name) => write!(f, "\\{name}"),
        None if is_invisible(c) => write!(f, "\\u{:04x}", u32::from(c)),
        None => write!(f, "\\{c}"),
    }
}

fn write_string(f: &mut Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if c.is_control() => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Control and whitespace characters, all of which are in the BMP and so
/// fit a four-digit `\u` escape.
fn is_invisible(c: char) -> bool {
    (c.is_control() || c.is_whitespace()) && u32::from(c) <= 0xFFFF
}
