//! `require` and `use`, in an `ns` form or on their own: libspecs parsed
//! (prefix lists, `:as`, `:refer`, `:rename`, `:only`, `:exclude`, the
//! `:reload` flags), namespaces the session does not know yet brought in
//! through the `NamespaceLoader`, and the aliases and refers recorded in the
//! current namespace. All of it happens at compile time, as in Clojure.

use super::ast::VarRef;
use super::{Analyzer, Result};
use crate::diag::Diagnostic;
use crate::expand::Gensyms;
use crate::read::{Form, FormKind};
use crate::source::Pos;
use std::collections::HashMap;

use super::namespaces::Namespaces;
use super::MacroExpander;

/// Where the analyzer gets a namespace it must require and does not know:
/// the session's source paths, which read and analyze the namespace's file
/// into the same namespaces (its own requires load through the same loader).
pub trait NamespaceLoader {
    /// The chain of requires that leads back to `ns` when `ns` is being
    /// loaded already (`requirer` is the namespace asking).
    fn cycle_through(&self, requirer: &str, ns: &str) -> Option<Vec<String>>;

    /// Loads `ns`, running the macros its file calls through `expander`.
    fn load(
        &mut self,
        ns: &str,
        namespaces: &mut Namespaces,
        gensyms: &mut Gensyms,
        expander: Option<&mut dyn MacroExpander>,
    ) -> std::result::Result<(), LoadError>;
}

/// Why a namespace could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("could not locate namespace {ns}: searched {}", searched.join(", "))]
    NotFound { ns: String, searched: Vec<String> },
    #[error("cyclic require: {}", chain.join(" -> "))]
    Cycle { chain: Vec<String> },
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path} was loaded for namespace {ns} but does not define it")]
    NotDefined { ns: String, path: String },
    /// A compile error inside the loaded file, at its own position there.
    #[error(transparent)]
    InFile(Diagnostic),
}

/// Whether the named vars of a namespace are referred as well as loaded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RequireKind {
    Require,
    Use,
}

/// One lib to load, with its options, from a flattened libspec.
struct Libspec<'f> {
    lib: String,
    pos: Pos,
    options: &'f [Form],
}

impl Analyzer<'_> {
    /// `(require 'a.b '[c.d :as d] :reload)` and `(use ...)` at top level.
    pub(super) fn require_form(
        &mut self,
        form: &Form,
        args: &[Form],
        kind: RequireKind,
    ) -> Result<()> {
        let what = match kind {
            RequireKind::Require => "require",
            RequireKind::Use => "use",
        };
        if args.is_empty() {
            return Err(self.error(form.pos, format!("`{what}` requires at least one libspec")));
        }
        let mut specs = Vec::new();
        for arg in args {
            if let FormKind::Keyword(_) = arg.kind {
                specs.push(arg);
                continue;
            }
            let Some(spec) = quoted_form(arg) else {
                return Err(self.error(
                    arg.pos,
                    format!("`{what}` takes quoted libspecs, e.g. '[clojure.set :as set]"),
                ));
            };
            specs.push(spec);
        }
        self.require_specs(&specs, kind)
    }

    /// The libspecs and flags of one `(:require ...)`/`(:use ...)` clause or
    /// `require`/`use` call, already unquoted.
    pub(super) fn require_specs(&mut self, specs: &[&Form], kind: RequireKind) -> Result<()> {
        let mut reload = false;
        let mut libspecs = Vec::new();
        for spec in specs {
            match &spec.kind {
                FormKind::Keyword(flag) if flag.ns.is_none() => match flag.name.as_str() {
                    "reload" | "reload-all" => reload = true,
                    "verbose" => {}
                    other => {
                        return Err(
                            self.error(spec.pos, format!("unsupported require flag :{other}"))
                        )
                    }
                },
                _ => self.flatten_libspec(spec, None, &mut libspecs)?,
            }
        }
        for libspec in libspecs {
            self.apply_libspec(&libspec, kind, reload)?;
        }
        Ok(())
    }

    /// `x`, `[x opts...]`, and prefix lists `(prefix x [y opts...])`.
    fn flatten_libspec<'f>(
        &self,
        spec: &'f Form,
        prefix: Option<&str>,
        out: &mut Vec<Libspec<'f>>,
    ) -> Result<()> {
        let qualify = |name: &str| match prefix {
            Some(prefix) => format!("{prefix}.{name}"),
            None => name.to_string(),
        };
        let items: &[Form] = match &spec.kind {
            FormKind::Symbol(name) if name.ns.is_none() => {
                out.push(Libspec {
                    lib: qualify(&name.name),
                    pos: spec.pos,
                    options: &[],
                });
                return Ok(());
            }
            FormKind::Vector(items) | FormKind::List(items) if !items.is_empty() => items,
            _ => return Err(self.error(spec.pos, format!("unsupported libspec: {spec}"))),
        };
        let Some(lib) = items[0].as_symbol().filter(|n| n.ns.is_none()) else {
            return Err(self.error(
                items[0].pos,
                format!(
                    "libspec must start with a namespace symbol, got {}",
                    items[0]
                ),
            ));
        };
        let is_prefix_list = items.len() > 1
            && items[1..]
                .iter()
                .all(|item| !matches!(item.kind, FormKind::Keyword(_)));
        if is_prefix_list {
            if prefix.is_some() {
                return Err(self.error(spec.pos, "prefix lists cannot be nested"));
            }
            let prefix = lib.name.clone();
            for item in &items[1..] {
                self.flatten_libspec(item, Some(&prefix), out)?;
            }
            return Ok(());
        }
        out.push(Libspec {
            lib: qualify(&lib.name),
            pos: items[0].pos,
            options: &items[1..],
        });
        Ok(())
    }

    fn apply_libspec(&mut self, spec: &Libspec<'_>, kind: RequireKind, reload: bool) -> Result<()> {
        // `[x :as-alias y]` only names x, as in Clojure: nothing loads.
        let alias_only = !spec.options.is_empty()
            && spec.options.chunks(2).all(|pair| {
                matches!(&pair[0].kind, FormKind::Keyword(k) if k.ns.is_none() && k.name == "as-alias")
            });
        if let Some(loader) = self.loader.as_deref().filter(|_| !alias_only) {
            if let Some(chain) = loader.cycle_through(self.namespaces.current(), &spec.lib) {
                return Err(self.error(spec.pos, LoadError::Cycle { chain }.to_string()));
            }
        }
        if !alias_only && (reload || !self.namespaces.exists(&spec.lib)) {
            self.load_namespace(&spec.lib, spec.pos)?;
        }
        if !alias_only {
            self.namespaces
                .current_mut()
                .required
                .insert(spec.lib.clone());
        }
        if spec.options.len() % 2 != 0 {
            return Err(self.error(spec.pos, "libspec options must come in keyword/value pairs"));
        }
        let mut refer = match kind {
            RequireKind::Require => Refer::Names(Vec::new()),
            RequireKind::Use => Refer::All,
        };
        let mut exclude: Vec<String> = Vec::new();
        let mut rename: HashMap<String, String> = HashMap::new();
        for pair in spec.options.chunks(2) {
            let (option, value) = (&pair[0], &pair[1]);
            let option_name = match &option.kind {
                FormKind::Keyword(k) if k.ns.is_none() => k.name.as_str(),
                _ => {
                    return Err(self.error(
                        option.pos,
                        format!("libspec options are keywords, got {option}"),
                    ))
                }
            };
            match (option_name, &value.kind) {
                ("as" | "as-alias", FormKind::Symbol(alias)) if alias.ns.is_none() => {
                    self.namespaces
                        .current_mut()
                        .aliases
                        .insert(alias.name.clone(), spec.lib.clone());
                }
                ("refer" | "only", FormKind::Vector(names) | FormKind::List(names)) => {
                    refer = Refer::Names(self.symbol_names(names, option_name)?);
                }
                ("refer", FormKind::Keyword(all)) if all.ns.is_none() && all.name == "all" => {
                    refer = Refer::All;
                }
                ("exclude", FormKind::Vector(names) | FormKind::List(names)) => {
                    exclude = self
                        .symbol_names(names, "exclude")?
                        .into_iter()
                        .map(|(name, _)| name)
                        .collect();
                }
                ("rename", FormKind::Map(entries)) => {
                    for (from, to) in entries {
                        match (from.as_symbol(), to.as_symbol()) {
                            (Some(from), Some(to)) if from.ns.is_none() && to.ns.is_none() => {
                                rename.insert(from.name.clone(), to.name.clone());
                            }
                            _ => {
                                return Err(self.error(
                                    from.pos,
                                    "`:rename` takes a map of symbols to symbols",
                                ))
                            }
                        }
                    }
                }
                _ => {
                    return Err(self.error(
                        option.pos,
                        format!("unsupported libspec option {option} {value}"),
                    ))
                }
            }
        }
        let referred: Vec<(String, Pos)> = match refer {
            Refer::All => self
                .namespaces
                .get(&spec.lib)
                .map(|ns| {
                    ns.vars
                        .iter()
                        .filter(|(name, info)| !info.private && !exclude.contains(name))
                        .map(|(name, _)| (name.clone(), spec.pos))
                        .collect()
                })
                .unwrap_or_default(),
            Refer::Names(names) => names,
        };
        for (name, pos) in referred {
            let exists = self
                .namespaces
                .get(&spec.lib)
                .is_some_and(|ns| ns.vars.contains_key(&name));
            if !exists {
                return Err(self.error(pos, format!("{name} does not exist in {}", spec.lib)));
            }
            let local_name = rename.get(&name).cloned().unwrap_or_else(|| name.clone());
            let var = VarRef {
                ns: spec.lib.clone(),
                name,
            };
            self.namespaces.current_mut().refers.insert(local_name, var);
        }
        Ok(())
    }

    fn symbol_names(&self, names: &[Form], option: &str) -> Result<Vec<(String, Pos)>> {
        names
            .iter()
            .map(|form| match form.as_symbol() {
                Some(name) if name.ns.is_none() => Ok((name.name.clone(), form.pos)),
                _ => Err(self.error(form.pos, format!("`:{option}` takes symbols, got {form}"))),
            })
            .collect()
    }

    /// Asks the loader for `ns`, keeping the current namespace (the loaded
    /// file's `ns` form changes it while it is analyzed).
    fn load_namespace(&mut self, ns: &str, pos: Pos) -> Result<()> {
        let Some(loader) = self.loader.as_deref_mut() else {
            if self.namespaces.exists(ns) {
                return Ok(());
            }
            return Err(self.error(
                pos,
                format!("could not locate namespace {ns} (no source paths to load it from)"),
            ));
        };
        let current = self.namespaces.current().to_string();
        let loaded = loader.load(
            ns,
            self.namespaces,
            self.gensyms,
            self.expander
                .as_deref_mut()
                .map(|expander| expander as &mut dyn MacroExpander),
        );
        self.namespaces.enter(&current);
        match loaded {
            Ok(()) => Ok(()),
            Err(LoadError::InFile(diagnostic)) => Err(diagnostic),
            Err(other) => Err(self.error(pos, other.to_string())),
        }
    }
}

/// What a libspec refers into the current namespace.
enum Refer {
    All,
    Names(Vec<(String, Pos)>),
}

/// The form inside `(quote form)`.
pub(super) fn quoted_form(form: &Form) -> Option<&Form> {
    match &form.kind {
        FormKind::List(items) if items.len() == 2 && items[0].is_symbol("quote") => Some(&items[1]),
        _ => None,
    }
}

impl Analyzer<'_> {
    /// A quoted symbol argument of `what`.
    fn quoted_symbol(&self, what: &str, arg: &Form) -> Result<crate::read::Name> {
        quoted_form(arg)
            .and_then(Form::as_symbol)
            .filter(|name| name.ns.is_none())
            .cloned()
            .ok_or_else(|| {
                self.error(
                    arg.pos,
                    format!("`{what}` takes quoted unqualified symbols, got {arg}"),
                )
            })
    }

    fn existing_namespace(&self, name: &crate::read::Name, pos: Pos) -> Result<String> {
        if self.namespaces.exists(&name.name) {
            Ok(name.name.clone())
        } else {
            Err(self.error(pos, format!("No namespace: {} found", name.name)))
        }
    }

    /// Top-level `(alias 'a 'ns)`, `(refer 'ns filters...)` and
    /// `(refer-clojure filters...)`: they change how the forms after them
    /// resolve names, so they take effect at compile time, with quoted
    /// arguments, like `require`; code that reflects on namespaces tells the
    /// runtime (`Namespaces::note_forms`).
    pub(super) fn namespace_op(&mut self, what: &str, form: &Form, args: &[Form]) -> Result<()> {
        match what {
            "alias" => {
                let [alias, target] = args else {
                    return Err(self.error(form.pos, "`alias` takes an alias and a namespace"));
                };
                let alias = self.quoted_symbol(what, alias)?;
                let target = self.quoted_symbol(what, target)?;
                let target = self.existing_namespace(&target, args[1].pos)?;
                self.namespaces
                    .current_mut()
                    .aliases
                    .insert(alias.name, target);
            }
            "refer" => {
                let Some((lib, filters)) = args.split_first() else {
                    return Err(self.error(form.pos, "`refer` takes a namespace and filters"));
                };
                let lib_name = self.quoted_symbol(what, lib)?;
                let lib_name = self.existing_namespace(&lib_name, lib.pos)?;
                let options = self.unquoted_filters(what, filters)?;
                let spec = Libspec {
                    lib: lib_name,
                    pos: lib.pos,
                    options: &options,
                };
                self.apply_libspec(&spec, RequireKind::Use, false)?;
            }
            _ => self.refer_clojure_again(form, args)?,
        }
        Ok(())
    }

    /// `(refer-clojure filters...)` in a namespace that refers clojure.core
    /// already: as on the JVM it only maps names again, so a name unmapped
    /// before comes back unless `:exclude` names it (or `:only` leaves it
    /// out); nothing already mapped goes away.
    fn refer_clojure_again(&mut self, form: &Form, args: &[Form]) -> Result<()> {
        let options = self.unquoted_filters("refer-clojure", args)?;
        let filter = |key: &str| {
            options
                .chunks(2)
                .find_map(|pair| match (&pair[0].kind, pair.get(1)) {
                    (FormKind::Keyword(k), Some(value)) if k.ns.is_none() && k.name == key => {
                        Some(value)
                    }
                    _ => None,
                })
        };
        let names = |value: &Form| -> Result<Vec<String>> {
            match &value.kind {
                FormKind::Vector(items) | FormKind::List(items) => Ok(self
                    .symbol_names(items, "refer-clojure")?
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect()),
                _ => Err(self.error(
                    value.pos,
                    format!("`refer-clojure` filters take a vector of symbols, got {value}"),
                )),
            }
        };
        let excluded = filter("exclude").map(names).transpose()?;
        let only = filter("only").map(names).transpose()?;
        if options.len() % 2 != 0 || (!options.is_empty() && excluded.is_none() && only.is_none()) {
            return Err(self.error(
                form.pos,
                "`refer-clojure` takes `:exclude` or `:only` and a quoted vector of symbols",
            ));
        }
        let current = &mut self.namespaces.current_mut().excluded_core;
        match (only, excluded) {
            (Some(only), _) => current.retain(|name| !only.contains(name)),
            (None, excluded) => {
                let excluded = excluded.unwrap_or_default();
                current.retain(|name| excluded.contains(name));
            }
        }
        Ok(())
    }

    /// `:keyword 'value` filters, the values unquoted.
    fn unquoted_filters(&self, what: &str, filters: &[Form]) -> Result<Vec<Form>> {
        filters
            .iter()
            .map(|filter| match &filter.kind {
                FormKind::Keyword(_) => Ok(filter.clone()),
                _ => quoted_form(filter).cloned().ok_or_else(|| {
                    self.error(
                        filter.pos,
                        format!("`{what}` takes keywords and quoted values, got {filter}"),
                    )
                }),
            })
            .collect()
    }

    /// Top-level `(ns-unmap 'ns 'name)`, `(ns-unalias 'ns 'alias)` and
    /// `(remove-ns 'ns)` with quoted arguments (or `*ns*`): the forms after
    /// them compile without the mapping; the call itself still runs, for
    /// the runtime's side.
    pub(super) fn namespace_change(&mut self, what: &str, args: &[Form]) {
        let ns_of = |form: &Form| match quoted_form(form).and_then(Form::as_symbol) {
            Some(name) if name.ns.is_none() => Some(name.name.clone()),
            _ => form
                .as_symbol()
                .filter(|name| name.ns.is_none() && name.name == "*ns*")
                .map(|_| self.namespaces.current().to_string()),
        };
        let name_of = |form: &Form| {
            quoted_form(form)
                .and_then(Form::as_symbol)
                .filter(|name| name.ns.is_none())
                .map(|name| name.name.clone())
        };
        match (what, args) {
            ("ns-unmap", [ns, name]) => {
                if let (Some(ns), Some(name)) = (ns_of(ns), name_of(name)) {
                    self.namespaces.unmap(&ns, &name);
                }
            }
            ("ns-unalias", [ns, alias]) => {
                if let (Some(ns), Some(alias)) = (ns_of(ns), name_of(alias)) {
                    self.namespaces.unalias(&ns, &alias);
                }
            }
            ("remove-ns", [ns]) => {
                if let Some(ns) = name_of(ns) {
                    self.namespaces.remove(&ns);
                }
            }
            _ => {}
        }
    }
}
