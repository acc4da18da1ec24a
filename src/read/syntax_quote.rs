//! Syntax-quote (`` ` ``) expansion at read time, the way Clojure's
//! LispReader does it: symbols are qualified through the `ReadEnv`, `x#`
//! becomes one gensym per syntax-quote, `~x` is the expression itself, `~@x`
//! splices, and collections become `seq`/`concat` calls that rebuild them.
//! Every synthesized form takes the position of the form it rebuilds.

use std::collections::HashMap;

use super::error::{ReadError, ReadErrorKind};
use super::form::{Form, FormKind, Name};
use super::parse::{MAX_DEPTH, MAX_SYNTAX_QUOTE_FORMS};

/// The deepest form a syntax-quote builds, the deepest the reader accepts
/// from source: each level is rebuilt three deep, inside
/// `(seq (concat (list ..)))`, and quotes under nested syntax-quotes
/// multiply that until compiling the result overflows the stack.
pub const MAX_BUILT_DEPTH: usize = MAX_DEPTH;
use super::ReadEnv;
use crate::source::Pos;

/// Symbols syntax-quote leaves unqualified because they name special forms.
const SPECIAL_FORMS: &[&str] = &[
    "def",
    "loop*",
    "recur",
    "if",
    "case*",
    "let*",
    "letfn*",
    "do",
    "fn*",
    "quote",
    "var",
    "throw",
    "try",
    "catch",
    "finally",
    "monitor-enter",
    "monitor-exit",
    "new",
    "set!",
    ".",
    "&",
];

/// Expands the form read after the `` ` `` at `pos`. `next_gensym_id` numbers
/// gensyms and is shared with `#()` parameters so names never collide within
/// a reader. A form of more than [`MAX_SYNTAX_QUOTE_FORMS`] forms is refused
/// (at `pos`): each form is rebuilt by several. So is one whose rebuilding
/// would nest deeper than [`MAX_BUILT_DEPTH`] (at the form that would go
/// too deep).
pub(super) fn expand(
    form: &Form,
    pos: Pos,
    env: &dyn ReadEnv,
    next_gensym_id: &mut u64,
) -> Result<Form, ReadError> {
    SyntaxQuoter {
        env,
        next_gensym_id,
        gensyms: HashMap::new(),
        pos,
        forms_left: MAX_SYNTAX_QUOTE_FORMS,
    }
    .expand(form, 0)
}

/// True for `(clojure.core/<name> ...)`, how the reader spells `~x`/`~@x`.
fn is_core_call(form: &Form, name: &str) -> bool {
    match &form.kind {
        FormKind::List(items) => items
            .first()
            .and_then(Form::as_symbol)
            .is_some_and(|head| head.ns.as_deref() == Some("clojure.core") && head.name == name),
        _ => false,
    }
}

/// The operand of `(clojure.core/unquote x)` or `(clojure.core/unquote-splicing x)`.
fn operand(form: &Form) -> Form {
    match &form.kind {
        FormKind::List(items) => items.get(1).cloned(),
        _ => None,
    }
    .unwrap_or_else(|| Form::new(FormKind::Nil, form.pos))
}

fn core_symbol(name: &str, pos: Pos) -> Form {
    Form::symbol(Name::qualified("clojure.core", name), pos)
}

fn quote(form: Form, pos: Pos) -> Form {
    Form::list(vec![Form::symbol(Name::bare("quote"), pos), form], pos)
}

struct SyntaxQuoter<'s> {
    env: &'s dyn ReadEnv,
    next_gensym_id: &'s mut u64,
    /// `x#` → the gensym it stands for within this syntax-quote.
    gensyms: HashMap<String, String>,
    /// Where the `` ` `` is, for the error when the form is too large.
    pos: Pos,
    /// How many more forms this syntax-quote may rebuild.
    forms_left: usize,
}

impl SyntaxQuoter<'_> {
    /// The form that rebuilds `form`; `depth` is how deep in the whole
    /// expansion it will sit.
    fn expand(&mut self, form: &Form, depth: usize) -> Result<Form, ReadError> {
        let pos = form.pos;
        self.forms_left = self.forms_left.checked_sub(1).ok_or_else(|| {
            ReadError::new(
                self.pos,
                ReadErrorKind::SyntaxQuoteTooLarge(MAX_SYNTAX_QUOTE_FORMS),
            )
        })?;
        if depth > MAX_BUILT_DEPTH {
            return Err(ReadError::new(
                pos,
                ReadErrorKind::SyntaxQuoteBuildsTooDeep(MAX_BUILT_DEPTH),
            ));
        }
        // Metadata wraps the rebuilt form in `(with-meta form meta)`.
        let depth = depth + usize::from(form.meta.is_some());
        if is_core_call(form, "unquote") {
            return Ok(operand(form));
        }
        if is_core_call(form, "unquote-splicing") {
            return Err(ReadError::new(
                pos,
                ReadErrorKind::UnquoteSplicingOutsideCollection,
            ));
        }
        let expanded = match &form.kind {
            FormKind::Symbol(name) => quote(Form::symbol(self.qualify(name), pos), pos),
            FormKind::List(items) if items.is_empty() => {
                Form::list(vec![core_symbol("list", pos)], pos)
            }
            FormKind::List(items) => self.seq_concat(items, pos, depth)?,
            FormKind::Vector(items) => self.apply("vector", items, pos, depth)?,
            FormKind::Set(items) => self.apply("hash-set", items, pos, depth)?,
            FormKind::Map(entries) => {
                let flattened: Vec<Form> = entries
                    .iter()
                    .flat_map(|(k, v)| [k.clone(), v.clone()])
                    .collect();
                self.apply("hash-map", &flattened, pos, depth)?
            }
            FormKind::Regex(_) | FormKind::Uuid(_) => quote(Form::new(form.kind.clone(), pos), pos),
            FormKind::Nil
            | FormKind::Bool(_)
            | FormKind::Int(_)
            | FormKind::BigInt(_)
            | FormKind::Double(_)
            | FormKind::BigDecimal(_)
            | FormKind::Ratio(..)
            | FormKind::Char(_)
            | FormKind::Str(_)
            | FormKind::Inst(_)
            | FormKind::Keyword(_) => Form::new(form.kind.clone(), pos),
        };
        match &form.meta {
            Some(meta) => {
                let meta = self.expand(meta, depth)?;
                Ok(Form::list(
                    vec![core_symbol("with-meta", pos), expanded, meta],
                    pos,
                ))
            }
            None => Ok(expanded),
        }
    }

    fn qualify(&mut self, name: &Name) -> Name {
        if name.ns.is_none() {
            if SPECIAL_FORMS.contains(&name.name.as_str()) {
                return name.clone();
            }
            if let Some(stem) = name.name.strip_suffix('#') {
                return Name::bare(self.gensym(&name.name, stem));
            }
            // `Foo.` (constructor call) and `.method` stay as written: with no
            // host classes there is nothing to qualify them with.
            if name.name.ends_with('.') || name.name.starts_with('.') {
                return name.clone();
            }
        }
        self.env.syntax_quote_symbol(name)
    }

    fn gensym(&mut self, written: &str, stem: &str) -> String {
        if let Some(existing) = self.gensyms.get(written) {
            return existing.clone();
        }
        let id = *self.next_gensym_id;
        *self.next_gensym_id += 1;
        let generated = format!("{stem}__{id}__auto__");
        self.gensyms.insert(written.to_string(), generated.clone());
        generated
    }

    /// `(clojure.core/apply clojure.core/<constructor> (seq (concat ...)))`.
    fn apply(
        &mut self,
        constructor: &str,
        items: &[Form],
        pos: Pos,
        depth: usize,
    ) -> Result<Form, ReadError> {
        let items = self.seq_concat(items, pos, depth + 1)?;
        Ok(Form::list(
            vec![
                core_symbol("apply", pos),
                core_symbol(constructor, pos),
                items,
            ],
            pos,
        ))
    }

    /// `(clojure.core/seq (clojure.core/concat part...))` where each item is
    /// `(list expanded)`, `(list x)` for `~x`, or `x` itself for `~@x`.
    fn seq_concat(&mut self, items: &[Form], pos: Pos, depth: usize) -> Result<Form, ReadError> {
        let mut concat = vec![core_symbol("concat", pos)];
        for item in items {
            let part = if is_core_call(item, "unquote-splicing") {
                operand(item)
            } else {
                let element = if is_core_call(item, "unquote") {
                    operand(item)
                } else {
                    self.expand(item, depth + 3)?
                };
                Form::list(vec![core_symbol("list", item.pos), element], item.pos)
            };
            concat.push(part);
        }
        Ok(Form::list(
            vec![core_symbol("seq", pos), Form::list(concat, pos)],
            pos,
        ))
    }
}
