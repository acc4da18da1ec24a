//! clojure.pprint's data printer: `pprint` and `write`, laid out as Clojure
//! 1.11's simple dispatch lays data out (clojure/pprint/dispatch.clj over the
//! pretty writer). A collection is a logical block: printed on one line when
//! it fits within `*print-right-margin*` (the text that follows it up to the
//! next place a line may break included), else broken at every separator
//! (lists, vectors and maps, `:linear`), or only before an element that
//! does not fit (sets, `:fill`, unless the block starts within
//! `*print-miser-width*` of the margin, where they break like the others).
//! A map entry is a block of its own: its value goes under its key when the
//! entry does not fit. `(quote x)`, `(var x)` and `(clojure.core/deref x)`
//! print as `'x`, `#'x` and `@x`; anything else prints as `pr` does.

use super::def;
use crate::coll::{map_obj, Map};
use crate::error::{illegal_argument, R};
use crate::io;
use crate::object::{boolean, int, keyword, nil, string, truthy, Obj, Object};
use crate::print::pr_str;
use crate::var::{bind_root, deref, intern_raw};

/// A piece of output: text that never breaks, or a logical block.
enum Doc {
    Text(String),
    Block(Box<Block>),
}

struct Block {
    prefix: String,
    items: Vec<Doc>,
    /// Between items; the spaces at its end become the line break.
    separator: &'static str,
    fill: bool,
    suffix: String,
    /// The block's width on one line.
    flat: usize,
    /// A map entry is in it (printing one turns miser mode off for the rest
    /// of the call, as pprint-map's `.set_miser_width` does).
    has_map_entry: bool,
}

impl Doc {
    fn width(&self) -> usize {
        match self {
            Doc::Text(text) => text.chars().count(),
            Doc::Block(block) => block.flat,
        }
    }

    fn has_map_entry(&self) -> bool {
        matches!(self, Doc::Block(block) if block.has_map_entry)
    }

    fn flat_text(&self, out: &mut String) {
        match self {
            Doc::Text(text) => out.push_str(text),
            Doc::Block(block) => {
                out.push_str(&block.prefix);
                for (i, item) in block.items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(block.separator);
                    }
                    item.flat_text(out);
                }
                out.push_str(&block.suffix);
            }
        }
    }
}

fn block(
    prefix: &str,
    items: Vec<Doc>,
    separator: &'static str,
    fill: bool,
    suffix: &str,
    map_entry: bool,
) -> Doc {
    let separators = separator.len() * items.len().saturating_sub(1);
    let flat = prefix.chars().count()
        + items.iter().map(Doc::width).sum::<usize>()
        + separators
        + suffix.chars().count();
    let has_map_entry = map_entry || items.iter().any(Doc::has_map_entry);
    Doc::Block(Box::new(Block {
        prefix: prefix.into(),
        items,
        separator,
        fill,
        suffix: suffix.into(),
        flat,
        has_map_entry,
    }))
}

/// `value` as a document, following simple-dispatch.
fn doc(value: Obj) -> R<Doc> {
    Ok(match &*value {
        Object::Vector(v) => {
            let items = v.0.iter().map(|item| doc(*item)).collect::<R<_>>()?;
            block("[", items, " ", false, "]", false)
        }
        Object::Map(m) => {
            let mut entries = Vec::new();
            for (k, v) in m.entries() {
                entries.push(block("", vec![doc(k)?, doc(v)?], " ", false, "", true));
            }
            block("{", entries, ", ", false, "}", false)
        }
        Object::Set(s) => {
            let items = s.items().into_iter().map(doc).collect::<R<_>>()?;
            block("#{", items, " ", true, "}", false)
        }
        // pprint-pqueue.
        Object::Queue(_) => {
            let items = crate::seq::to_vec(value)?;
            let items = items.into_iter().map(doc).collect::<R<_>>()?;
            block("<-(", items, " ", false, ")-<", false)
        }
        o if o.is_seq() => {
            let items = crate::seq::to_vec(value)?;
            if let Some(reader_macro) = reader_macro(&items)? {
                return Ok(reader_macro);
            }
            let items = items.into_iter().map(doc).collect::<R<_>>()?;
            block("(", items, " ", false, ")", false)
        }
        _ => Doc::Text(pr_str(value)?),
    })
}

/// pprint-reader-macro: `'x`, `#'x`, `@x` for those two-item lists.
fn reader_macro(items: &[Obj]) -> R<Option<Doc>> {
    let [head, arg] = items else {
        return Ok(None);
    };
    let Object::Symbol(name) = &**head else {
        return Ok(None);
    };
    let prefix = match (name.ns.as_deref(), name.name.as_ref()) {
        (None, "quote") => "'",
        (None, "var") => "#'",
        (Some("clojure.core"), "deref") => "@",
        _ => return Ok(None),
    };
    Ok(Some(block(prefix, vec![doc(*arg)?], " ", false, "", false)))
}

struct Layout {
    out: String,
    column: usize,
    margin: usize,
    miser_width: usize,
}

impl Layout {
    fn text(&mut self, text: &str) {
        self.out.push_str(text);
        self.column += text.chars().count();
    }

    fn newline(&mut self, indent: usize) {
        let kept = self.out.trim_end_matches(' ').len();
        self.out.truncate(kept);
        self.out.push('\n');
        self.out.push_str(&" ".repeat(indent));
        self.column = indent;
    }

    fn fits(&self, width: usize) -> bool {
        self.column + width <= self.margin
    }

    /// Lays `doc` out from the current column; `trailing` is the width of
    /// what follows it before the next possible break. Whether it took more
    /// than one line.
    fn lay_out(&mut self, doc: &Doc, trailing: usize) -> bool {
        let Doc::Block(b) = doc else {
            if let Doc::Text(text) = doc {
                self.text(text);
            }
            return false;
        };
        if self.fits(b.flat + trailing) {
            let mut flat = String::new();
            doc.flat_text(&mut flat);
            self.text(&flat);
            if b.has_map_entry {
                self.miser_width = 0;
            }
            return false;
        }
        self.text(&b.prefix);
        let indent = self.column;
        let miser = indent + self.miser_width >= self.margin;
        let linear = !b.fill || miser;
        let kept_separator = b.separator.trim_end_matches(' ');
        let mut previous_broke = false;
        for (i, item) in b.items.iter().enumerate() {
            let last = i + 1 == b.items.len();
            let after = if last {
                b.suffix.chars().count() + trailing
            } else {
                kept_separator.len()
            };
            if i > 0 {
                if linear || previous_broke || !self.fits(b.separator.len() + item.width() + after)
                {
                    self.text(kept_separator);
                    self.newline(indent);
                } else {
                    self.text(b.separator);
                }
            }
            previous_broke = self.lay_out(item, after);
            if let Doc::Block(inner) = item {
                if inner.has_map_entry {
                    self.miser_width = 0;
                }
            }
        }
        self.text(&b.suffix);
        true
    }
}

/// A `clojure.pprint` var's value as a column count.
fn columns(name: &'static str) -> R<usize> {
    let value = deref(intern_raw("clojure.pprint", name))?;
    let n = crate::number::long(value)?;
    usize::try_from(n).map_err(|_| illegal_argument(format!("{name} must not be negative")))
}

/// `value` laid out as pprint prints it, without the final newline.
fn pretty(value: Obj, margin: usize, miser_width: usize) -> R<String> {
    let doc = doc(value)?;
    let mut layout = Layout {
        out: String::new(),
        column: 0,
        margin,
        miser_width,
    };
    layout.lay_out(&doc, 0);
    Ok(layout.out)
}

/// `(write object & options)`: `:stream` true (the default: `*out*`) or nil
/// (the text is returned); `:pretty` (default true), `:right-margin` and
/// `:miser-width`. Other options of Clojure's (`:base`, `:level`, ...) are
/// refused rather than ignored.
fn write(args: &[Obj]) -> R {
    let [value, options @ ..] = args else {
        unreachable!("arity 1+")
    };
    if options.len() % 2 == 1 {
        return Err(illegal_argument(
            "write takes its options as keyword/value pairs",
        ));
    }
    let mut options_map = Map::empty();
    for pair in options.chunks_exact(2) {
        options_map.insert(pair[0], pair[1])?;
    }
    let option = |name: &str| -> R<Option<Obj>> {
        let key = keyword(None, name);
        options_map.get(key)
    };
    for (key, _) in options_map.entries() {
        let known = matches!(&*key, Object::Keyword(k) if k.ns.is_none()
            && matches!(k.name.as_ref(), "stream" | "pretty" | "right-margin" | "miser-width"));
        if !known {
            return Err(illegal_argument(format!(
                "clojure.pprint/write: the option {} is not supported",
                pr_str(key)?
            )));
        }
    }
    let margin = match option("right-margin")? {
        Some(m) => usize::try_from(crate::number::long(m)?).unwrap_or(0),
        None => columns("*print-right-margin*")?,
    };
    let miser = match option("miser-width")? {
        Some(m) => usize::try_from(crate::number::long(m)?).unwrap_or(0),
        None => columns("*print-miser-width*")?,
    };
    let pretty_on = match option("pretty")? {
        Some(p) => truthy(p),
        None => true,
    };
    let text = if pretty_on {
        pretty(*value, margin, miser)?
    } else {
        pr_str(*value)?
    };
    match option("stream")? {
        None => {
            io::write(io::STDOUT, &text);
            Ok(nil())
        }
        Some(stream) if stream.is_nil() => Ok(string(text)),
        Some(stream) if matches!(&*stream, Object::Bool(true)) => {
            io::write(io::STDOUT, &text);
            Ok(nil())
        }
        Some(stream) => Err(illegal_argument(format!(
            "clojure.pprint/write: no writer {} here; :stream is true (*out*) or nil (a string)",
            pr_str(stream)?
        ))),
    }
}

pub(super) fn install() {
    for (name, default) in [("*print-right-margin*", 72), ("*print-miser-width*", 40)] {
        let var = intern_raw("clojure.pprint", name);
        bind_root(var, int(default));
        // Neither step can throw: a one-key array map, metadata on a var.
        let dynamic = Map::from_pairs(vec![(keyword(None, "dynamic"), boolean(true))], true)
            .and_then(|map| crate::meta::reset_meta(var, map_obj(map)));
        debug_assert!(dynamic.is_ok(), "binding clojure.pprint/{name}'s metadata");
    }
    def("clojure.pprint", "pprint", 1, 1, |_, a| {
        let text = pretty(
            a[0],
            columns("*print-right-margin*")?,
            columns("*print-miser-width*")?,
        )?;
        io::write(io::STDOUT, &format!("{text}\n"));
        Ok(nil())
    });
    def("clojure.pprint", "write", 1, super::VARIADIC, |_, a| {
        write(a)
    });
    def("clojure.pprint", "print-table", 1, 2, |_, a| {
        let (keys, rows) = match a {
            [rows] => (None, *rows),
            [keys, rows] => (Some(*keys), *rows),
            _ => unreachable!("arity 1..=2"),
        };
        print_table(keys, rows)
    });
}

/// `(print-table ks rows)`, or the first row's keys for `ks`: a blank line,
/// then a header row of the keys, a rule, and a row per map, each column
/// right-aligned to its widest `str` (nothing for no rows).
fn print_table(keys: Option<Obj>, rows: Obj) -> R {
    let rows = crate::seq::to_vec(rows)?;
    let Some(first) = rows.first() else {
        return Ok(nil());
    };
    let keys = match keys {
        Some(keys) => crate::seq::to_vec(keys)?,
        None => crate::seq::SeqIter::new(*first)
            .map(|entry| super::colls::nth(entry?, int(0), None))
            .collect::<R<Vec<Obj>>>()?,
    };
    let headers = keys
        .iter()
        .map(|key| crate::print::str_of(*key))
        .collect::<R<Vec<String>>>()?;
    let cells = rows
        .iter()
        .map(|row| {
            keys.iter()
                .map(|key| crate::print::str_of(super::colls::get(*row, *key, nil())?))
                .collect::<R<Vec<String>>>()
        })
        .collect::<R<Vec<Vec<String>>>>()?;
    let widths: Vec<usize> = (0..keys.len())
        .map(|column| {
            cells
                .iter()
                .map(|row| row[column].chars().count())
                .fold(headers[column].chars().count(), usize::max)
        })
        .collect();
    let line = |leader: &str, divider: &str, trailer: &str, row: &[String]| {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:>width$}"))
            .collect();
        format!("{leader}{}{trailer}\n", padded.join(divider))
    };
    let rules: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
    let mut text = String::from("\n");
    text.push_str(&line("| ", " | ", " |", &headers));
    text.push_str(&line("|-", "-+-", "-|", &rules));
    for row in &cells {
        text.push_str(&line("| ", " | ", " |", row));
    }
    io::write(io::STDOUT, &text);
    Ok(nil())
}
