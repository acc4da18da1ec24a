//! The reader: jank/Clojure source text in, positioned `Form`s out.
//!
//! Reading is incremental (`Reader::next_form`) because an `ns` form read
//! earlier changes how `::kw` and syntax-quote resolve later; the compiler
//! passes what it knows through `ReadEnv`. Syntax-quote, `#()`, reader
//! conditionals and namespaced maps are all expanded here, so later stages
//! only ever see plain data.
//!
//! Choices where Clojure leaves room or jank differs:
//! - `#?` takes the first branch whose feature is `:jankwasm` or `:default`,
//!   in written order (Clojure's rule). Not `:jank`: jank's branches call
//!   its C++ runtime, which a patch cannot reach (`parse::PLATFORM_FEATURE`).
//! - `^[...]` is Clojure 1.12 param-tags: `{:param-tags [...]}`.
//! - Stacked metadata merges like Clojure: on a conflicting key the outer
//!   (leftmost) `^` wins.
//! - String octal escapes are Clojure's `\NNN`; `\oNNN` is for characters.
//! - Regex literals are never equal to each other, so they never count as
//!   duplicate set elements or map keys (Clojure compares patterns by identity).

mod cursor;
mod error;
mod form;
mod number;
mod parse;
mod print;
mod syntax_quote;
mod token;

use std::collections::{HashMap, HashSet};

pub use error::{CollectionKind, ReadError, ReadErrorKind};
pub use form::{Form, FormKind, Name};
pub use parse::{MAX_DEPTH, MAX_SYNTAX_QUOTE_DEPTH, MAX_SYNTAX_QUOTE_FORMS};

/// What the reader needs from the compiler: the current namespace and aliases, for ::kw and syntax-quote.
pub trait ReadEnv {
    fn current_ns(&self) -> &str;
    /// The full namespace an alias names in the current ns (e.g. "set" -> "clojure.set").
    fn resolve_alias(&self, alias: &str) -> Option<String>;
    /// How syntax-quote qualifies a bare or aliased symbol (e.g. `map` -> clojure.core/map, `foo` -> user/foo, `set/union` -> clojure.set/union).
    fn syntax_quote_symbol(&self, name: &Name) -> Name;
}

/// Reads the top-level forms of one source text in order.
pub struct Reader<'a> {
    cursor: cursor::Cursor<'a>,
    /// Numbers the gensyms of syntax-quote (`x#`) and `#()` parameters.
    next_gensym_id: u64,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            cursor: cursor::Cursor::new(text),
            next_gensym_id: 1,
        }
    }

    /// Reads the next top-level form; Ok(None) at end of input. Incremental because an `ns` form read earlier changes how ::kw resolves later.
    pub fn next_form(&mut self, env: &dyn ReadEnv) -> Result<Option<Form>, ReadError> {
        parse::FormReader::new(&mut self.cursor, &mut self.next_gensym_id, env).read_top_level()
    }

    /// The byte offset just past what has been read: after `next_form`, the end of that form.
    pub fn offset(&self) -> usize {
        self.cursor.offset()
    }
}

/// Every top-level form of `text`, all read with the same `env`.
pub fn read_all(text: &str, env: &dyn ReadEnv) -> Result<Vec<Form>, ReadError> {
    let mut reader = Reader::new(text);
    let mut forms = Vec::new();
    while let Some(form) = reader.next_form(env)? {
        forms.push(form);
    }
    Ok(forms)
}

/// A simple ReadEnv for tests/tools: ns "user", no aliases, symbols qualified with current ns except clojure.core names the caller lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainEnv {
    pub ns: String,
    pub aliases: HashMap<String, String>,
    pub core_names: HashSet<String>,
}

impl PlainEnv {
    pub fn new() -> Self {
        Self {
            ns: "user".to_string(),
            aliases: HashMap::new(),
            core_names: HashSet::new(),
        }
    }

    /// This env, with `names` resolving to clojure.core under syntax-quote.
    pub fn with_core_names<'n>(mut self, names: impl IntoIterator<Item = &'n str>) -> Self {
        self.core_names
            .extend(names.into_iter().map(str::to_string));
        self
    }

    /// This env, with `alias` naming namespace `ns`.
    pub fn with_alias(mut self, alias: &str, ns: &str) -> Self {
        self.aliases.insert(alias.to_string(), ns.to_string());
        self
    }
}

impl Default for PlainEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadEnv for PlainEnv {
    fn current_ns(&self) -> &str {
        &self.ns
    }

    fn resolve_alias(&self, alias: &str) -> Option<String> {
        self.aliases.get(alias).cloned()
    }

    fn syntax_quote_symbol(&self, name: &Name) -> Name {
        match &name.ns {
            Some(qualifier) => {
                let ns = self
                    .resolve_alias(qualifier)
                    .unwrap_or_else(|| qualifier.clone());
                Name::qualified(ns, name.name.clone())
            }
            None if self.core_names.contains(&name.name) => {
                Name::qualified("clojure.core", name.name.clone())
            }
            None => Name::qualified(self.ns.clone(), name.name.clone()),
        }
    }
}
