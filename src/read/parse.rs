//! The recursive-descent reader for one top-level form: collections, reader
//! macros (`'`, `@`, `^`, `` ` ``, `~`), the `#` dispatch table, strings,
//! characters, and the context that `#()` and `#?@` need.

use std::collections::BTreeMap;

/// The one feature `#?` and `#?@` take besides `:default`. Not jank's
/// `:jank`: a `:jank` branch in real code calls jank's C++ runtime
/// (`cpp/...`, `#cpp`), which a wasm patch cannot reach, while the
/// `:default` branch beside it is portable Clojure that jankwasm runs.
pub const PLATFORM_FEATURE: &str = "jankwasm";

use super::cursor::Cursor;
use super::error::{CollectionKind, ReadError, ReadErrorKind};
use super::form::{Form, FormKind, Name};
use super::number::parse_number;
use super::token::{self, ends_symbol_token, is_macro, is_whitespace};
use super::{syntax_quote, ReadEnv};
use crate::source::Pos;
use jank_runtime_abi::java_uuid::Uuid;

/// Deeper nesting is an error rather than a stack overflow.
pub const MAX_DEPTH: usize = 256;
/// Each nested syntax-quote multiplies the size of its expansion, so a
/// handful of backquotes in a row can exhaust memory; real code nests two or three.
pub const MAX_SYNTAX_QUOTE_DEPTH: usize = 8;
/// The most forms one syntax-quote may rebuild. Within the depth limit, a
/// quote under each of several nested syntax-quotes still multiplies the
/// expansion: 350 characters of them took the compiler minutes.
pub const MAX_SYNTAX_QUOTE_FORMS: usize = 1 << 15;
/// `fn*` takes at most 20 fixed parameters, as in Clojure.
const MAX_ANON_FN_PARAM: u32 = 20;

/// What reading from the current position produced.
enum Step {
    Form(Form),
    /// The forms a `#?@` chose, to go into the enclosing collection.
    Splice {
        forms: Vec<Form>,
        pos: Pos,
    },
    /// A closing delimiter, already consumed.
    Close {
        delimiter: char,
        pos: Pos,
    },
    End,
}

/// What one reader macro or token produced.
enum Read {
    Form(Form),
    Splice(Vec<Form>),
    /// `#_`, `#!` and reader conditionals with no matching feature.
    Nothing,
}

/// The `%` parameters seen inside the `#()` being read.
#[derive(Default)]
struct AnonFnParams {
    fixed: BTreeMap<u32, Name>,
    rest: Option<Name>,
}

/// Reads one top-level form; lives for one `Reader::next_form` call, with
/// the reader's cursor and gensym counter borrowed and the caller's env.
pub(super) struct FormReader<'r, 'a> {
    cursor: &'r mut Cursor<'a>,
    next_gensym_id: &'r mut u64,
    env: &'r dyn ReadEnv,
    /// Set while reading the body of a `#()`, where `%` is a parameter.
    anon_fn_params: Option<AnonFnParams>,
    depth: usize,
    syntax_quote_depth: usize,
    /// Above zero while reading a reader-conditional branch that is not
    /// chosen: as in Clojure, its tagged literals (another dialect's `#js`,
    /// `#cpp`) are read over, not refused.
    suppressed_depth: usize,
}

fn error<T>(pos: Pos, kind: ReadErrorKind) -> Result<T, ReadError> {
    Err(ReadError::new(pos, kind))
}

fn core_symbol(name: &str, pos: Pos) -> Form {
    Form::symbol(Name::qualified("clojure.core", name), pos)
}

impl<'r, 'a> FormReader<'r, 'a> {
    pub fn new(
        cursor: &'r mut Cursor<'a>,
        next_gensym_id: &'r mut u64,
        env: &'r dyn ReadEnv,
    ) -> Self {
        Self {
            cursor,
            next_gensym_id,
            env,
            anon_fn_params: None,
            depth: 0,
            syntax_quote_depth: 0,
            suppressed_depth: 0,
        }
    }

    pub fn read_top_level(&mut self) -> Result<Option<Form>, ReadError> {
        match self.read_step()? {
            Step::Form(form) => Ok(Some(form)),
            Step::Splice { pos, .. } => error(pos, ReadErrorKind::SpliceOutsideCollection),
            Step::Close { delimiter, pos } => {
                error(pos, ReadErrorKind::UnmatchedDelimiter(delimiter))
            }
            Step::End => Ok(None),
        }
    }

    fn take_gensym_id(&mut self) -> u64 {
        let id = *self.next_gensym_id;
        *self.next_gensym_id += 1;
        id
    }

    fn skip_whitespace_and_comments(&mut self) {
        loop {
            match self.cursor.peek() {
                Some(c) if is_whitespace(c) => {
                    self.cursor.bump();
                }
                Some(';') => self.cursor.bump_while(|c| c != '\n'),
                _ => return,
            }
        }
    }

    fn read_step(&mut self) -> Result<Step, ReadError> {
        loop {
            self.skip_whitespace_and_comments();
            let pos = self.cursor.pos();
            let Some(c) = self.cursor.peek() else {
                return Ok(Step::End);
            };
            if matches!(c, ')' | ']' | '}') {
                self.cursor.bump();
                return Ok(Step::Close { delimiter: c, pos });
            }
            if self.depth >= MAX_DEPTH {
                return error(pos, ReadErrorKind::TooDeep(MAX_DEPTH));
            }
            self.depth += 1;
            let read = self.read_starting_with(c, pos);
            self.depth -= 1;
            match read? {
                Read::Form(form) => return Ok(Step::Form(form)),
                Read::Splice(forms) => return Ok(Step::Splice { forms, pos }),
                Read::Nothing => {}
            }
        }
    }

    /// The form that must follow a prefix such as `'` or `^`.
    fn read_required(&mut self, prefix: &'static str, prefix_pos: Pos) -> Result<Form, ReadError> {
        match self.read_step()? {
            Step::Form(form) => Ok(form),
            Step::Splice { pos, .. } => error(pos, ReadErrorKind::SpliceOutsideCollection),
            Step::Close { delimiter, pos } => error(
                pos,
                ReadErrorKind::MissingFormAfter {
                    prefix,
                    found: delimiter,
                },
            ),
            Step::End => error(prefix_pos, ReadErrorKind::EofAfter(prefix)),
        }
    }

    /// The items up to the closing delimiter of `kind`, whose opening
    /// delimiter (already consumed) starts at `open`.
    fn read_items(&mut self, open: Pos, kind: CollectionKind) -> Result<Vec<Form>, ReadError> {
        let mut items = Vec::new();
        loop {
            match self.read_step()? {
                Step::Form(form) => items.push(form),
                Step::Splice { forms, .. } => items.extend(forms),
                Step::Close { delimiter, .. } if delimiter == kind.closing_delimiter() => {
                    return Ok(items)
                }
                Step::Close { delimiter, pos } => {
                    return error(
                        pos,
                        ReadErrorKind::MismatchedDelimiter {
                            found: delimiter,
                            kind,
                            open,
                        },
                    )
                }
                Step::End => return error(open, ReadErrorKind::Unterminated(kind)),
            }
        }
    }

    fn read_starting_with(&mut self, c: char, pos: Pos) -> Result<Read, ReadError> {
        let form = match c {
            '(' => {
                self.cursor.bump();
                Form::list(self.read_items(pos, CollectionKind::List)?, pos)
            }
            '[' => {
                self.cursor.bump();
                Form::vector(self.read_items(pos, CollectionKind::Vector)?, pos)
            }
            '{' => {
                self.cursor.bump();
                let items = self.read_items(pos, CollectionKind::Map)?;
                map_form(items, pos)?
            }
            '"' => self.read_string(pos)?,
            '\\' => self.read_char(pos)?,
            '\'' => self.read_wrapped(Name::bare("quote"), "'", pos)?,
            '@' => self.read_wrapped(Name::qualified("clojure.core", "deref"), "@", pos)?,
            '~' => {
                self.cursor.bump();
                let (name, prefix) = if self.cursor.eat('@') {
                    ("unquote-splicing", "~@")
                } else {
                    ("unquote", "~")
                };
                let operand = self.read_required(prefix, pos)?;
                Form::list(vec![core_symbol(name, pos), operand], pos)
            }
            '`' => self.read_syntax_quote(pos)?,
            '^' => {
                self.cursor.bump();
                self.read_with_metadata("^", pos)?
            }
            '#' => {
                self.cursor.bump();
                return self.read_dispatch(pos);
            }
            '%' if self.anon_fn_params.is_some() => self.read_anon_fn_param(pos)?,
            c if c.is_ascii_digit() => self.read_number(pos)?,
            '+' | '-'
                if self
                    .cursor
                    .peek_second()
                    .is_some_and(|c| c.is_ascii_digit()) =>
            {
                self.read_number(pos)?
            }
            _ => {
                let text = self.read_symbol_token();
                let kind =
                    token::interpret(text, self.env).map_err(|kind| ReadError::new(pos, kind))?;
                Form::new(kind, pos)
            }
        };
        Ok(Read::Form(form))
    }

    /// A token for a symbol, keyword or character name: the current
    /// character (whatever it is) and everything up to whitespace or a
    /// terminating macro character.
    fn read_symbol_token(&mut self) -> &'a str {
        let start = self.cursor.offset();
        self.cursor.bump();
        self.cursor.bump_while(|c| !ends_symbol_token(c));
        self.cursor.text_since(start)
    }

    fn read_number(&mut self, pos: Pos) -> Result<Form, ReadError> {
        let start = self.cursor.offset();
        self.cursor.bump();
        self.cursor
            .bump_while(|c| !is_whitespace(c) && !is_macro(c));
        let text = self.cursor.text_since(start);
        parse_number(text)
            .map(|kind| Form::new(kind, pos))
            .map_err(|kind| ReadError::new(pos, kind))
    }

    /// `'x` → `(quote x)`, `@x` → `(clojure.core/deref x)`, `#'x` → `(var x)`;
    /// `pos` is that of the prefix, whose last character is next.
    fn read_wrapped(
        &mut self,
        head: Name,
        prefix: &'static str,
        pos: Pos,
    ) -> Result<Form, ReadError> {
        self.cursor.bump();
        let operand = self.read_required(prefix, pos)?;
        Ok(Form::list(vec![Form::symbol(head, pos), operand], pos))
    }

    fn read_syntax_quote(&mut self, pos: Pos) -> Result<Form, ReadError> {
        self.cursor.bump();
        if self.syntax_quote_depth >= MAX_SYNTAX_QUOTE_DEPTH {
            return error(
                pos,
                ReadErrorKind::SyntaxQuoteTooDeep(MAX_SYNTAX_QUOTE_DEPTH),
            );
        }
        self.syntax_quote_depth += 1;
        let quoted = self.read_required("`", pos);
        self.syntax_quote_depth -= 1;
        let mut expanded = syntax_quote::expand(&quoted?, pos, self.env, self.next_gensym_id)?;
        expanded.pos = pos;
        Ok(expanded)
    }

    /// `^meta target` (or the old `#^`). Several stacked `^` merge the way
    /// Clojure's reader does: the inner metadata is read first and each outer
    /// entry is assoc'ed onto it, so on a conflicting key the outer
    /// (leftmost) value wins.
    fn read_with_metadata(&mut self, prefix: &'static str, pos: Pos) -> Result<Form, ReadError> {
        let meta = self.read_required(prefix, pos)?;
        let meta_pos = meta.pos;
        let entries = metadata_entries(meta)?;
        let mut target = self.read_required(prefix, pos)?;
        if !target.can_carry_meta() {
            return error(target.pos, ReadErrorKind::MetadataTarget);
        }
        let mut merged = match target.meta.take().map(|existing| existing.kind) {
            Some(FormKind::Map(existing)) => existing,
            _ => Vec::new(),
        };
        for (key, value) in entries {
            match merged
                .iter_mut()
                .find(|(existing, _)| existing.data_eq(&key))
            {
                Some(entry) => entry.1 = value,
                None => merged.push((key, value)),
            }
        }
        if !merged.is_empty() {
            target.meta = Some(Box::new(Form::new(FormKind::Map(merged), meta_pos)));
        }
        Ok(target)
    }

    /// After `#` (consumed), at `hash_pos`.
    fn read_dispatch(&mut self, hash_pos: Pos) -> Result<Read, ReadError> {
        let Some(c) = self.cursor.peek() else {
            return error(hash_pos, ReadErrorKind::EofAfter("#"));
        };
        let form = match c {
            '{' => {
                self.cursor.bump();
                let items = self.read_items(hash_pos, CollectionKind::Set)?;
                reject_duplicate_elements(&items)?;
                Form::new(FormKind::Set(items), hash_pos)
            }
            '(' => self.read_anon_fn(hash_pos)?,
            '"' => self.read_regex(hash_pos)?,
            '\'' => self.read_wrapped(Name::bare("var"), "#'", hash_pos)?,
            '^' => {
                self.cursor.bump();
                self.read_with_metadata("#^", hash_pos)?
            }
            '_' => {
                self.cursor.bump();
                return self.discard_next(hash_pos);
            }
            '!' => {
                self.cursor.bump_while(|c| c != '\n');
                return Ok(Read::Nothing);
            }
            '?' => {
                self.cursor.bump();
                return self.read_conditional(hash_pos);
            }
            ':' => {
                self.cursor.bump();
                self.read_namespaced_map(hash_pos)?
            }
            '#' => {
                self.cursor.bump();
                self.read_symbolic_value(hash_pos)?
            }
            c if c.is_alphabetic() => {
                let tag = self.read_symbol_token();
                if self.suppressed_depth > 0 {
                    self.read_suppressed_tagged_value(hash_pos)?
                } else if tag == "uuid" {
                    self.read_uuid(hash_pos)?
                } else if tag == "inst" {
                    self.read_inst(hash_pos)?
                } else {
                    return error(hash_pos, ReadErrorKind::TaggedLiteral(tag.to_string()));
                }
            }
            c => return error(hash_pos, ReadErrorKind::UnknownDispatch(c)),
        };
        Ok(Read::Form(form))
    }

    /// The string literal after a `#uuid` or `#inst` tag (`prefix`) and its
    /// position; anything else standing there is `malformed`, given the
    /// form in backquotes or "a splice".
    fn read_tag_string(
        &mut self,
        hash_pos: Pos,
        prefix: &'static str,
        malformed: fn(String) -> ReadErrorKind,
    ) -> Result<(String, Pos), ReadError> {
        match self.read_step()? {
            Step::Form(form) => match form.kind {
                FormKind::Str(text) => Ok((text, form.pos)),
                _ => error(form.pos, malformed(format!("`{form}`"))),
            },
            Step::Splice { pos, .. } => error(pos, malformed("a splice".into())),
            Step::Close { delimiter, pos } => error(
                pos,
                ReadErrorKind::MissingFormAfter {
                    prefix,
                    found: delimiter,
                },
            ),
            Step::End => error(hash_pos, ReadErrorKind::EofAfter(prefix)),
        }
    }

    /// `#uuid "8-4-4-4-12 hex digits"`.
    fn read_uuid(&mut self, hash_pos: Pos) -> Result<Form, ReadError> {
        let (text, pos) = self.read_tag_string(hash_pos, "#uuid", ReadErrorKind::MalformedUuid)?;
        match Uuid::parse(&text) {
            Some(uuid) => Ok(Form::new(FormKind::Uuid(uuid), hash_pos)),
            None => error(pos, ReadErrorKind::MalformedUuid(format!("{text:?}"))),
        }
    }

    /// `#inst "yyyy-MM-ddTHH:mm:ss.fff+hh:mm"`, everything after the year optional.
    fn read_inst(&mut self, hash_pos: Pos) -> Result<Form, ReadError> {
        let (text, pos) = self.read_tag_string(hash_pos, "#inst", |what| {
            ReadErrorKind::MalformedInst(format!("found {what}"))
        })?;
        match jank_runtime_abi::java_instant::parse(&text) {
            Ok(ms) => Ok(Form::new(FormKind::Inst(ms), hash_pos)),
            Err(e) => error(pos, ReadErrorKind::MalformedInst(e.to_string())),
        }
    }

    /// `#tag value` in a branch no reader conditional chose: the value is
    /// read (so the branch ends where Clojure ends it) and stands as nil.
    fn read_suppressed_tagged_value(&mut self, hash_pos: Pos) -> Result<Form, ReadError> {
        match self.read_step()? {
            Step::Form(_) | Step::Splice { .. } => Ok(Form::new(FormKind::Nil, hash_pos)),
            Step::Close { delimiter, pos } => error(
                pos,
                ReadErrorKind::MissingFormAfter {
                    prefix: "#",
                    found: delimiter,
                },
            ),
            Step::End => error(hash_pos, ReadErrorKind::EofAfter("#")),
        }
    }

    /// `#_`: reads the next form (or splice) and drops it.
    fn discard_next(&mut self, hash_pos: Pos) -> Result<Read, ReadError> {
        match self.read_step()? {
            Step::Form(_) | Step::Splice { .. } => Ok(Read::Nothing),
            Step::Close { delimiter, pos } => error(
                pos,
                ReadErrorKind::MissingFormAfter {
                    prefix: "#_",
                    found: delimiter,
                },
            ),
            Step::End => error(hash_pos, ReadErrorKind::EofAfter("#_")),
        }
    }

    /// `#(...)` → `(fn* [p1__N# ...] (...))` with `%`, `%n` and `%&`
    /// replaced by the parameters; unused lower-numbered parameters are
    /// still declared so `%2` alone takes two arguments.
    fn read_anon_fn(&mut self, hash_pos: Pos) -> Result<Form, ReadError> {
        if self.anon_fn_params.is_some() {
            return error(hash_pos, ReadErrorKind::NestedAnonFn);
        }
        let body_pos = self.cursor.pos();
        self.cursor.bump();
        self.anon_fn_params = Some(AnonFnParams::default());
        let body = self.read_items(hash_pos, CollectionKind::AnonFn);
        let used = self.anon_fn_params.take().unwrap_or_default();
        let body = body?;
        let highest = used.fixed.keys().next_back().copied().unwrap_or(0);
        let mut params = Vec::new();
        for index in 1..=highest {
            let name = match used.fixed.get(&index) {
                Some(name) => name.clone(),
                None => Name::bare(format!("p{index}__{}#", self.take_gensym_id())),
            };
            params.push(Form::symbol(name, hash_pos));
        }
        if let Some(rest) = used.rest {
            params.push(Form::symbol(Name::bare("&"), hash_pos));
            params.push(Form::symbol(rest, hash_pos));
        }
        Ok(Form::list(
            vec![
                Form::symbol(Name::bare("fn*"), hash_pos),
                Form::vector(params, hash_pos),
                Form::list(body, body_pos),
            ],
            hash_pos,
        ))
    }

    /// `%`, `%n` or `%&` inside `#()`.
    fn read_anon_fn_param(&mut self, pos: Pos) -> Result<Form, ReadError> {
        let text = self.read_symbol_token();
        let suffix = text.get(1..).unwrap_or_default();
        let index = match suffix {
            "" => Some(1),
            "&" => None,
            digits => match digits.parse::<u32>() {
                Ok(index)
                    if (1..=MAX_ANON_FN_PARAM).contains(&index) && !digits.starts_with('+') =>
                {
                    Some(index)
                }
                _ => return error(pos, ReadErrorKind::InvalidArgLiteral(text.to_string())),
            },
        };
        let Some(params) = self.anon_fn_params.as_ref() else {
            // Only called inside #(); reading `%` as a symbol is the safe fallback.
            return Ok(Form::symbol(Name::bare(text), pos));
        };
        let existing = match index {
            Some(index) => params.fixed.get(&index).cloned(),
            None => params.rest.clone(),
        };
        let name = match existing {
            Some(name) => name,
            None => {
                let id = self.take_gensym_id();
                let name = Name::bare(match index {
                    Some(index) => format!("p{index}__{id}#"),
                    None => format!("rest__{id}#"),
                });
                if let Some(params) = self.anon_fn_params.as_mut() {
                    match index {
                        Some(index) => {
                            params.fixed.insert(index, name.clone());
                        }
                        None => params.rest = Some(name.clone()),
                    }
                }
                name
            }
        };
        Ok(Form::symbol(name, pos))
    }

    /// `#?(feature form ...)` and `#?@(...)`: the first form whose feature
    /// is `:jank` or `:default` (in written order, as Clojure does with the
    /// platform feature and `:default`), or nothing when none matches.
    fn read_conditional(&mut self, hash_pos: Pos) -> Result<Read, ReadError> {
        let splicing = self.cursor.eat('@');
        let prefix = if splicing { "#?@" } else { "#?" };
        match self.cursor.peek() {
            None => return error(hash_pos, ReadErrorKind::EofAfter(prefix)),
            Some('(') => {
                self.cursor.bump();
            }
            Some(_) => return error(self.cursor.pos(), ReadErrorKind::ReaderConditionalNotList),
        }
        let mut chosen = None;
        let mut forms = 0;
        while let Some(mut items) = self.conditional_items(hash_pos, false)? {
            forms += items.len();
            let (Some(feature), true) = (items.pop(), items.is_empty()) else {
                continue;
            };
            let FormKind::Keyword(feature_name) = &feature.kind else {
                return error(feature.pos, ReadErrorKind::ReaderConditionalFeature);
            };
            let matches = chosen.is_none()
                && feature_name.ns.is_none()
                && (feature_name.name == PLATFORM_FEATURE || feature_name.name == "default");
            let Some(mut branch) = self.conditional_items(hash_pos, !matches)? else {
                break;
            };
            forms += branch.len();
            if matches && branch.len() == 1 {
                chosen = branch.pop();
            }
        }
        if forms % 2 != 0 {
            return error(hash_pos, ReadErrorKind::ReaderConditionalOddForms);
        }
        Ok(match chosen {
            None => Read::Nothing,
            Some(form) if !splicing => Read::Form(form),
            Some(Form {
                kind: FormKind::List(items) | FormKind::Vector(items),
                ..
            }) => Read::Splice(items),
            Some(form) => return error(form.pos, ReadErrorKind::SpliceNotSequential),
        })
    }

    /// The forms of the next item of a reader conditional opened at
    /// `hash_pos` (one, or what a `#?@` inside spliced), read over as an
    /// unchosen branch when `suppressed`; None at its closing `)`.
    fn conditional_items(
        &mut self,
        hash_pos: Pos,
        suppressed: bool,
    ) -> Result<Option<Vec<Form>>, ReadError> {
        self.suppressed_depth += usize::from(suppressed);
        let step = self.read_step();
        self.suppressed_depth -= usize::from(suppressed);
        match step? {
            Step::Form(form) => Ok(Some(vec![form])),
            Step::Splice { forms, .. } => Ok(Some(forms)),
            Step::Close { delimiter: ')', .. } => Ok(None),
            Step::Close { delimiter, pos } => error(
                pos,
                ReadErrorKind::MismatchedDelimiter {
                    found: delimiter,
                    kind: CollectionKind::ReaderConditional,
                    open: hash_pos,
                },
            ),
            Step::End => error(
                hash_pos,
                ReadErrorKind::Unterminated(CollectionKind::ReaderConditional),
            ),
        }
    }

    /// `#:ns{...}`, `#::{...}` and `#::alias{...}`: bare keys (keywords and
    /// symbols) take the namespace, `:_/k` keys lose theirs.
    fn read_namespaced_map(&mut self, hash_pos: Pos) -> Result<Form, ReadError> {
        let auto_resolved = self.cursor.eat(':');
        let prefix_pos = self.cursor.pos();
        let written_ns = match self.cursor.peek() {
            None => return error(hash_pos, ReadErrorKind::EofAfter("#:")),
            Some('{') => None,
            Some(c) if is_whitespace(c) && !auto_resolved => {
                return error(prefix_pos, ReadErrorKind::NamespacedMapWithoutNamespace)
            }
            Some(c) if is_whitespace(c) => None,
            Some(_) => Some(self.read_symbol_token()),
        };
        self.cursor.bump_while(is_whitespace);
        let map_pos = self.cursor.pos();
        if !self.cursor.eat('{') {
            return error(map_pos, ReadErrorKind::NamespacedMapWithoutMap);
        }
        let ns = match (auto_resolved, written_ns) {
            (true, None) => self.env.current_ns().to_string(),
            (false, None) => {
                return error(prefix_pos, ReadErrorKind::NamespacedMapWithoutNamespace)
            }
            (auto_resolved, Some(text)) => {
                let Some(Name { ns: None, name }) = token::split_name(text) else {
                    return error(
                        prefix_pos,
                        ReadErrorKind::InvalidNamespacedMapPrefix(text.to_string()),
                    );
                };
                if auto_resolved {
                    self.env.resolve_alias(&name).ok_or_else(|| {
                        ReadError::new(
                            prefix_pos,
                            ReadErrorKind::UnknownAlias {
                                token: format!("#::{name}"),
                                alias: name.clone(),
                            },
                        )
                    })?
                } else {
                    name
                }
            }
        };
        let items = self.read_items(hash_pos, CollectionKind::NamespacedMap)?;
        let items = items.into_iter().enumerate().map(|(index, item)| {
            if index % 2 == 0 {
                qualify_key(item, &ns)
            } else {
                item
            }
        });
        map_form(items.collect(), hash_pos)
    }

    fn read_symbolic_value(&mut self, hash_pos: Pos) -> Result<Form, ReadError> {
        let text = match self.cursor.peek() {
            Some(c) if !ends_symbol_token(c) => self.read_symbol_token(),
            _ => "",
        };
        let value = match text {
            "Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            _ => {
                return error(
                    hash_pos,
                    ReadErrorKind::UnknownSymbolicValue(text.to_string()),
                )
            }
        };
        Ok(Form::new(FormKind::Double(value), hash_pos))
    }

    fn read_string(&mut self, pos: Pos) -> Result<Form, ReadError> {
        self.cursor.bump();
        let mut text = String::new();
        loop {
            let escape_pos = self.cursor.pos();
            match self.cursor.bump() {
                None => return error(pos, ReadErrorKind::UnterminatedString),
                Some('"') => return Ok(Form::new(FormKind::Str(text), pos)),
                Some('\\') => text.push(self.read_string_escape(pos, escape_pos)?),
                Some(c) => text.push(c),
            }
        }
    }

    /// After `\` (consumed) in a string starting at `string_pos`.
    fn read_string_escape(&mut self, string_pos: Pos, escape_pos: Pos) -> Result<char, ReadError> {
        let Some(c) = self.cursor.bump() else {
            return error(string_pos, ReadErrorKind::UnterminatedString);
        };
        Ok(match c {
            '"' => '"',
            '\\' => '\\',
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'u' => self.read_unicode_escape(escape_pos)?,
            // Clojure's string octal escape is `\NNN` (up to three digits, at
            // most 377); `\oNNN` is the character-literal spelling.
            '0'..='7' => {
                let mut value = c.to_digit(8).unwrap_or(0);
                let mut written = format!("\\{c}");
                for _ in 0..2 {
                    match self.cursor.peek().and_then(|d| d.to_digit(8)) {
                        Some(digit) => {
                            value = value * 8 + digit;
                            written.extend(self.cursor.bump());
                        }
                        None => break,
                    }
                }
                if value > 0o377 {
                    return error(escape_pos, ReadErrorKind::OctalOutOfRange(written));
                }
                char::from_u32(value).unwrap_or('\0')
            }
            other => return error(escape_pos, ReadErrorKind::InvalidStringEscape(other)),
        })
    }

    /// After `\u` (consumed): four hex digits, and a second `\uXXXX` when
    /// the first is a UTF-16 high surrogate (how Java text spells non-BMP
    /// characters).
    fn read_unicode_escape(&mut self, escape_pos: Pos) -> Result<char, ReadError> {
        let high = self.read_four_hex_digits(escape_pos)?;
        if !(0xD800..=0xDFFF).contains(&high) {
            return Ok(char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        let lone = || {
            ReadError::new(
                escape_pos,
                ReadErrorKind::LoneSurrogate(format!("\\u{high:04X}")),
            )
        };
        if high >= 0xDC00
            || self.cursor.peek() != Some('\\')
            || self.cursor.peek_second() != Some('u')
        {
            return Err(lone());
        }
        let low_pos = self.cursor.pos();
        self.cursor.bump();
        self.cursor.bump();
        let low = self.read_four_hex_digits(low_pos)?;
        if !(0xDC00..=0xDFFF).contains(&low) {
            return Err(lone());
        }
        let combined = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        char::from_u32(combined).ok_or_else(lone)
    }

    fn read_four_hex_digits(&mut self, escape_pos: Pos) -> Result<u32, ReadError> {
        let mut value = 0;
        let mut written = String::from("\\u");
        for _ in 0..4 {
            match self.cursor.peek() {
                Some(c) if c.is_ascii_hexdigit() => {
                    value = value * 16 + c.to_digit(16).unwrap_or(0);
                    written.push(c);
                    self.cursor.bump();
                }
                Some(c) if c != '"' => {
                    written.push(c);
                    return error(escape_pos, ReadErrorKind::InvalidUnicodeEscape(written));
                }
                _ => return error(escape_pos, ReadErrorKind::InvalidUnicodeEscape(written)),
            }
        }
        Ok(value)
    }

    /// `\c`, `\newline`, `\uXXXX`, `\oNNN`: the character after `\` always
    /// belongs to the literal, so `\(` and `\;` are characters too.
    fn read_char(&mut self, pos: Pos) -> Result<Form, ReadError> {
        self.cursor.bump();
        if self.cursor.peek().is_none() {
            return error(pos, ReadErrorKind::UnterminatedChar);
        }
        let text = self.read_symbol_token();
        let invalid = || ReadError::new(pos, ReadErrorKind::InvalidCharacter(text.to_string()));
        let mut chars = text.chars();
        let first = chars.next().ok_or_else(invalid)?;
        let rest = chars.as_str();
        let c = if rest.is_empty() {
            first
        } else if let Some(c) = token::named_char(text) {
            c
        } else if first == 'u' {
            if rest.len() != 4 || !rest.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(invalid());
            }
            let code = u32::from_str_radix(rest, 16).map_err(|_| invalid())?;
            char::from_u32(code).ok_or_else(invalid)?
        } else if first == 'o' {
            if rest.len() > 3 || !rest.chars().all(|c| c.is_digit(8)) {
                return Err(invalid());
            }
            let code = u32::from_str_radix(rest, 8).map_err(|_| invalid())?;
            if code > 0o377 {
                return error(pos, ReadErrorKind::OctalOutOfRange(format!("\\{text}")));
            }
            char::from_u32(code).ok_or_else(invalid)?
        } else {
            return Err(invalid());
        };
        Ok(Form::new(FormKind::Char(c), pos))
    }

    /// `#"..."`: the pattern text exactly as written; `\` escapes the next
    /// character only so that `\"` does not end the literal.
    fn read_regex(&mut self, hash_pos: Pos) -> Result<Form, ReadError> {
        self.cursor.bump();
        let mut pattern = String::new();
        loop {
            match self.cursor.bump() {
                None => return error(hash_pos, ReadErrorKind::UnterminatedRegex),
                Some('"') => return Ok(Form::new(FormKind::Regex(pattern), hash_pos)),
                Some('\\') => {
                    pattern.push('\\');
                    let escaped = self
                        .cursor
                        .bump()
                        .ok_or(ReadError::new(hash_pos, ReadErrorKind::UnterminatedRegex))?;
                    pattern.push(escaped);
                }
                Some(c) => pattern.push(c),
            }
        }
    }
}

/// `:k` → `:ns/k` and `k` → `ns/k`; `:_/k` → `:k`; other keys unchanged.
fn qualify_key(key: Form, ns: &str) -> Form {
    let requalify = |name: Name| match name.ns.as_deref() {
        None => Name::qualified(ns, name.name),
        Some("_") => Name::bare(name.name),
        Some(_) => name,
    };
    let kind = match key.kind {
        FormKind::Keyword(name) => FormKind::Keyword(requalify(name)),
        FormKind::Symbol(name) => FormKind::Symbol(requalify(name)),
        other => other,
    };
    Form { kind, ..key }
}

/// The metadata map entries `^meta` stands for.
fn metadata_entries(meta: Form) -> Result<Vec<(Form, Form)>, ReadError> {
    let pos = meta.pos;
    let keyword = |name: &str| Form::keyword(Name::bare(name), pos);
    Ok(match meta.kind {
        FormKind::Map(entries) => entries,
        FormKind::Keyword(_) => vec![(meta, Form::new(FormKind::Bool(true), pos))],
        FormKind::Symbol(_) | FormKind::Str(_) => vec![(keyword("tag"), meta)],
        // Clojure 1.12 param-tags: `^[long String] Foo/bar`.
        FormKind::Vector(_) => vec![(keyword("param-tags"), meta)],
        _ => return error(pos, ReadErrorKind::InvalidMetadata),
    })
}

fn map_form(items: Vec<Form>, pos: Pos) -> Result<Form, ReadError> {
    if items.len() % 2 != 0 {
        return error(pos, ReadErrorKind::OddMapForms);
    }
    let mut entries: Vec<(Form, Form)> = Vec::with_capacity(items.len() / 2);
    let mut items = items.into_iter();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        if entries.iter().any(|(existing, _)| existing.data_eq(&key)) {
            return error(key.pos, ReadErrorKind::DuplicateKey(key.to_string()));
        }
        entries.push((key, value));
    }
    Ok(Form::new(FormKind::Map(entries), pos))
}

fn reject_duplicate_elements(items: &[Form]) -> Result<(), ReadError> {
    for (index, item) in items.iter().enumerate() {
        if items
            .iter()
            .take(index)
            .any(|earlier| earlier.data_eq(item))
        {
            return error(
                item.pos,
                ReadErrorKind::DuplicateSetElement(item.to_string()),
            );
        }
    }
    Ok(())
}
