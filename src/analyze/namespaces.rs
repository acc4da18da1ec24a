//! Compile-time knowledge of namespaces: which vars exist, what each
//! namespace aliases and refers, and which namespace is current. It outlives
//! one compilation (a file's `ns` form applies to the forms after it, an
//! editor session keeps its requires), and it is how the reader resolves
//! `::kw` and syntax-quoted symbols.

use super::ast::VarRef;
use crate::read::{Form, FormKind, Name, ReadEnv};
use crate::source::Pos;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

pub const CORE_NS: &str = "clojure.core";

/// clojure.core vars the analyzer answers itself, at compile time
/// (`*file*`: the file being compiled).
const COMPILE_TIME_CORE_VARS: &[&str] = &["*file*"];

/// The java.lang classes Clojure imports into every namespace: syntax-quote
/// writes them out as `java.lang.Exception`, as Clojure does.
const JAVA_LANG_CLASSES: &[&str] = &[
    "ArithmeticException",
    "Boolean",
    "Character",
    "Class",
    "Double",
    "Exception",
    "IllegalArgumentException",
    "IllegalStateException",
    "Integer",
    "Long",
    "Math",
    "Number",
    "Object",
    "RuntimeException",
    "String",
    "System",
    "Throwable",
];

/// clojure.repl: its `doc` is a macro the analyzer expands from what it knows
/// of a var, so the namespace exists without runtime vars.
pub const REPL_NS: &str = "clojure.repl";

/// What is known about a var at compile time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VarInfo {
    pub doc: Option<String>,
    /// Printed argument vectors, e.g. `["[v]", "[a b & more]"]`.
    pub arglists: Vec<String>,
    pub private: bool,
    /// Set by `defmacro`: a call of it is expanded at compile time.
    pub is_macro: bool,
    /// Where it was defined, when a patch defined it.
    pub defined_at: Option<(Rc<str>, Pos)>,
    /// The reload hooks its metadata names it (`^:dev/before-load`,
    /// `^:dev/after-load`): a page calls it around each patch.
    pub reload_hooks: Vec<ReloadHook>,
    /// Its metadata map as a quoted form when its def carries metadata of
    /// its own (see `metadata::var_meta_map`), given to the var where a
    /// patch takes the var itself (`#'x`).
    pub meta: Option<Form>,

    /// Defined by the runtime itself (runtime-abi's var list), not a patch.
    pub runtime: bool,
}

/// When a page calls a reload hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadHook {
    BeforeLoad,
    AfterLoad,
}

impl ReloadHook {
    /// The metadata key's name under `dev/`, as pages are told it.
    pub fn name(self) -> &'static str {
        match self {
            ReloadHook::BeforeLoad => "before-load",
            ReloadHook::AfterLoad => "after-load",
        }
    }
}

/// A name that completes a prefix typed in the current namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The text to insert, qualified as the prefix was (`str/join`).
    pub text: String,
    /// The namespace of the var it names; None for a namespace or alias.
    pub ns: Option<String>,
    pub kind: CompletionKind,
    /// Printed argument vectors, when known.
    pub arglists: Vec<String>,
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Function,
    Macro,
    SpecialForm,
    Var,
    Namespace,
}

impl CompletionKind {
    /// A var's kind. The runtime binds a native fn to every var it defines
    /// itself, except the earmuffed REPL vars (`*1`, `*e`); a var a patch
    /// defined is a function when it was written with argument vectors.
    fn of(name: &str, info: &VarInfo) -> Self {
        let earmuffed = name.len() > 1 && name.starts_with('*');
        if info.is_macro {
            CompletionKind::Macro
        } else if !info.arglists.is_empty() || (info.runtime && !earmuffed) {
            CompletionKind::Function
        } else {
            CompletionKind::Var
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Namespace {
    pub aliases: HashMap<String, String>,
    /// Bare names referred from other namespaces (`:refer [x]`).
    pub refers: HashMap<String, VarRef>,
    pub vars: BTreeMap<String, VarInfo>,
    /// clojure.core names hidden by `(:refer-clojure :exclude [...])`.
    pub excluded_core: HashSet<String>,
    /// The libs it required (`loaded-libs`).
    pub required: BTreeSet<String>,
    /// JVM classes jankwasm knows that `:import` named, by short name
    /// (`PersistentQueue` for clojure.lang.PersistentQueue).
    pub imported_classes: HashMap<String, &'static str>,
}

/// Every namespace the compiler knows, and the current one. Namespaces are
/// shared until changed, so the snapshot a compilation takes for rollback,
/// and a new session, copy pointers rather than clojure.core's hundreds of
/// vars.
#[derive(Debug, Clone, PartialEq)]
pub struct Namespaces {
    namespaces: BTreeMap<String, Rc<Namespace>>,
    current: String,
    /// Whether code compiled so far refers to `clojure.core/intern`, the one
    /// way a var comes to exist without a definition the compiler sees.
    interns: bool,
    /// The field names of every record and type compiled so far, in any
    /// namespace: `(.name x)` names a field only if one of them is `name`.
    record_fields: BTreeSet<String>,
}

thread_local! {
    /// The runtime's namespaces (runtime-abi's var list), built once per
    /// thread and shared by every session on it.
    static RUNTIME_NAMESPACES: BTreeMap<String, Rc<Namespace>> = {
        let mut namespaces: BTreeMap<String, Namespace> = BTreeMap::new();
        let unbound = jank_runtime_abi::UNBOUND_CORE_VARS.iter().map(|name| (CORE_NS, *name));
        for (ns, name) in jank_runtime_abi::runtime_vars().chain(unbound) {
            namespaces
                .entry(ns.to_string())
                .or_default()
                .vars
                .insert(
                    name.to_string(),
                    VarInfo {
                        runtime: true,
                        ..VarInfo::default()
                    },
                );
        }
        namespaces.into_iter().map(|(name, ns)| (name, Rc::new(ns))).collect()
    };
}

impl Default for Namespaces {
    fn default() -> Self {
        Self::new()
    }
}

impl Namespaces {
    /// The runtime's namespaces (from runtime-abi's var list), clojure.repl
    /// and an empty `user`.
    pub fn new() -> Self {
        let mut namespaces = RUNTIME_NAMESPACES.with(Clone::clone);
        namespaces.entry(REPL_NS.to_string()).or_default();
        namespaces.entry("user".to_string()).or_default();
        Self {
            namespaces,
            current: "user".to_string(),
            interns: false,
            record_fields: BTreeSet::new(),
        }
    }

    /// What the runtime needs to resolve a symbol as the current namespace
    /// would, since it has no aliases or refers of its own: the quoted
    /// namespace name, aliases (alias -> namespace), refers (name ->
    /// qualified symbol) and excluded clojure.core names, the leading
    /// arguments of `jank.runtime/resolve-in` and `expanding-in`.
    pub fn resolution_context(&self, pos: Pos) -> [Form; 4] {
        self.resolution_context_of(self.current(), pos)
    }

    /// `resolution_context` of namespace `current`.
    fn resolution_context_of(&self, current: &str, pos: Pos) -> [Form; 4] {
        let symbol = |text: &str| Form::symbol(Name::bare(text), pos);
        let quote = |quoted: Form| Form::list(vec![symbol("quote"), quoted], pos);
        let ns = self.get(current);
        let mut aliases: Vec<(Form, Form)> = ns
            .map(|ns| {
                ns.aliases
                    .iter()
                    .map(|(alias, target)| (symbol(alias), symbol(target)))
                    .collect()
            })
            .unwrap_or_default();
        let mut refers: Vec<(Form, Form)> = ns
            .map(|ns| {
                ns.refers
                    .iter()
                    .map(|(name, var)| {
                        (
                            symbol(name),
                            Form::symbol(Name::qualified(var.ns.clone(), var.name.clone()), pos),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut excluded: Vec<Form> = ns
            .map(|ns| ns.excluded_core.iter().map(|name| symbol(name)).collect())
            .unwrap_or_default();
        // Hash order would make the same source compile to different patches.
        aliases.sort_by_key(|(alias, _)| alias.to_string());
        refers.sort_by_key(|(name, _)| name.to_string());
        excluded.sort_by_key(Form::to_string);
        [
            quote(symbol(current)),
            quote(Form::new(FormKind::Map(aliases), pos)),
            quote(Form::new(FormKind::Map(refers), pos)),
            quote(Form::new(FormKind::Vector(excluded), pos)),
        ]
    }

    /// `(jank.runtime/note-ns! 'ns 'aliases 'refers 'excluded 'privates
    /// 'libs)` for each namespace with something the runtime cannot know
    /// (an alias, refer, exclusion, private var or required lib), for its
    /// reflection fns (`ns-publics`, `ns-aliases`, ...).
    pub fn note_forms(&self, pos: Pos) -> Vec<Form> {
        let symbol = |text: &str| Form::symbol(Name::bare(text), pos);
        let quote = |quoted: Form| Form::list(vec![symbol("quote"), quoted], pos);
        let mut notes = Vec::new();
        for (name, ns) in &self.namespaces {
            let privates: Vec<Form> = ns
                .vars
                .iter()
                .filter(|(_, info)| info.private)
                .map(|(name, _)| symbol(name))
                .collect();
            if ns.aliases.is_empty()
                && ns.refers.is_empty()
                && ns.excluded_core.is_empty()
                && ns.required.is_empty()
                && privates.is_empty()
            {
                continue;
            }
            let libs = ns.required.iter().map(|lib| symbol(lib)).collect();
            let mut items = vec![Form::symbol(
                Name::qualified("jank.runtime", "note-ns!"),
                pos,
            )];
            items.extend(self.resolution_context_of(name, pos));
            items.push(quote(Form::new(FormKind::Vector(privates), pos)));
            items.push(quote(Form::new(FormKind::Vector(libs), pos)));
            notes.push(Form::list(items, pos));
        }
        notes
    }

    pub fn current(&self) -> &str {
        &self.current
    }

    /// Makes `ns` current, creating it when new (`ns` / `in-ns`).
    pub fn enter(&mut self, ns: &str) {
        self.namespaces.entry(ns.to_string()).or_default();
        self.current = ns.to_string();
    }

    pub fn exists(&self, ns: &str) -> bool {
        self.namespaces.contains_key(ns)
    }

    pub fn get(&self, ns: &str) -> Option<&Namespace> {
        self.namespaces.get(ns).map(|ns| &**ns)
    }

    /// The full name of the JVM class `written` names in the current
    /// namespace: an imported class by its short name, a java.lang class
    /// by its own, any known class in full.
    pub fn resolve_class(&self, written: &str) -> Option<&'static str> {
        self.imported_class(written)
            .or_else(|| jank_runtime_abi::java_classes::resolve(written))
    }

    /// The full name of the class the current namespace imported as `short`.
    pub fn imported_class(&self, short: &str) -> Option<&'static str> {
        self.namespaces
            .get(&self.current)
            .and_then(|namespace| namespace.imported_classes.get(short).copied())
    }

    pub fn current_mut(&mut self) -> &mut Namespace {
        Rc::make_mut(self.namespaces.entry(self.current.clone()).or_default())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.namespaces.keys().map(String::as_str)
    }

    pub fn var_info(&self, var: &VarRef) -> Option<&VarInfo> {
        self.namespaces.get(&var.ns)?.vars.get(&var.name)
    }

    /// Records a var defined in the current namespace and returns it.
    pub fn define(&mut self, name: &str, info: VarInfo) -> VarRef {
        let current = self.current.clone();
        Rc::make_mut(self.namespaces.entry(current.clone()).or_default())
            .vars
            .insert(name.to_string(), info);
        VarRef {
            ns: current,
            name: name.to_string(),
        }
    }

    /// Records a var of namespace `ns` (creating it when new) and returns it.
    pub fn define_in(&mut self, ns: &str, name: &str, info: VarInfo) -> VarRef {
        Rc::make_mut(self.namespaces.entry(ns.to_string()).or_default())
            .vars
            .insert(name.to_string(), info);
        VarRef {
            ns: ns.to_string(),
            name: name.to_string(),
        }
    }

    /// `(ns-unmap ns name)`: `name` no longer means the var it mapped to in
    /// `ns` (its own, one it referred, or clojure.core's).
    pub fn unmap(&mut self, ns: &str, name: &str) {
        let Some(namespace) = self.namespaces.get_mut(ns) else {
            return;
        };
        let namespace = Rc::make_mut(namespace);
        if namespace.vars.remove(name).is_none() && namespace.refers.remove(name).is_none() {
            namespace.excluded_core.insert(name.to_string());
        }
    }

    /// `(ns-unalias ns alias)`.
    pub fn unalias(&mut self, ns: &str, alias: &str) {
        if let Some(namespace) = self.namespaces.get_mut(ns) {
            Rc::make_mut(namespace).aliases.remove(alias);
        }
    }

    /// `(remove-ns ns)`: forgets the namespace (not clojure.core, nor the
    /// current one, which the forms after it compile in).
    pub fn remove(&mut self, ns: &str) {
        if ns != CORE_NS && ns != self.current {
            self.namespaces.remove(ns);
        }
    }

    /// Notes the fields of a record or type being defined.
    pub fn note_record_fields<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) {
        self.record_fields
            .extend(fields.into_iter().map(str::to_string));
    }

    /// Whether some record or type compiled so far has a field `name`.
    pub fn is_record_field(&self, name: &str) -> bool {
        self.record_fields.contains(name)
    }

    /// Notes that compiled code refers to `clojure.core/intern`.
    pub fn note_intern(&mut self) {
        self.interns = true;
    }

    /// Whether compiled code may have interned vars at run time.
    pub fn interns_at_run_time(&self) -> bool {
        self.interns
    }

    /// Marks the var `name` of the current namespace as a macro (`defmacro`).
    pub fn mark_macro(&mut self, name: &str) {
        let current = self.current.clone();
        if let Some(info) = Rc::make_mut(self.namespaces.entry(current).or_default())
            .vars
            .get_mut(name)
        {
            info.is_macro = true;
        }
    }

    /// The namespace an alias or full name refers to from the current namespace.
    pub fn resolve_ns(&self, ns_or_alias: &str) -> Option<&str> {
        if let Some(target) = self
            .namespaces
            .get(&self.current)
            .and_then(|ns| ns.aliases.get(ns_or_alias))
        {
            return Some(target);
        }
        self.namespaces
            .get_key_value(ns_or_alias)
            .map(|(name, _)| name.as_str())
    }

    /// The var a symbol names from the current namespace, if any.
    pub fn resolve_var(&self, name: &Name) -> Option<VarRef> {
        match &name.ns {
            Some(qualifier) => {
                let ns = self.resolve_ns(qualifier)?;
                self.namespaces
                    .get(ns)?
                    .vars
                    .contains_key(&name.name)
                    .then(|| VarRef {
                        ns: ns.to_string(),
                        name: name.name.clone(),
                    })
            }
            None => {
                let current = self.namespaces.get(&self.current)?;
                if current.vars.contains_key(&name.name) {
                    return Some(VarRef {
                        ns: self.current.clone(),
                        name: name.name.clone(),
                    });
                }
                if let Some(var) = current.refers.get(&name.name) {
                    return Some(var.clone());
                }
                let core_has = self
                    .namespaces
                    .get(CORE_NS)
                    .is_some_and(|core| core.vars.contains_key(&name.name));
                (core_has && !current.excluded_core.contains(&name.name)).then(|| VarRef {
                    ns: CORE_NS.to_string(),
                    name: name.name.clone(),
                })
            }
        }
    }

    /// What `prefix` completes to in the current namespace, sorted by text:
    /// with a qualifier (`str/`), the public vars of the namespace it names;
    /// else the names a bare symbol resolves to (own vars, refers,
    /// clojure.core's public vars unless excluded) and namespaces by alias or
    /// full name. Where names coincide, the one a bare symbol would resolve
    /// to comes first.
    pub fn completions(&self, prefix: &str) -> Vec<Completion> {
        let Some(current) = self.namespaces.get(&self.current) else {
            return Vec::new();
        };
        let mut found: BTreeMap<String, Completion> = BTreeMap::new();
        let mut add =
            |text: String, ns: Option<&str>, kind: CompletionKind, info: Option<&VarInfo>| {
                if text.starts_with(prefix) {
                    found.entry(text.clone()).or_insert(Completion {
                        text,
                        ns: ns.map(str::to_string),
                        kind,
                        arglists: info.map(|i| i.arglists.clone()).unwrap_or_default(),
                        doc: info.and_then(|i| i.doc.clone()),
                    });
                }
            };
        match prefix.split_once('/') {
            Some((qualifier, _)) if !qualifier.is_empty() => {
                let target = self
                    .resolve_ns(qualifier)
                    .and_then(|target| Some((target, self.namespaces.get(target)?)));
                if let Some((target, namespace)) = target {
                    for (name, info) in &namespace.vars {
                        if !info.private {
                            add(
                                format!("{qualifier}/{name}"),
                                Some(target),
                                CompletionKind::of(name, info),
                                Some(info),
                            );
                        }
                    }
                }
            }
            _ => {
                for (name, info) in &current.vars {
                    add(
                        name.clone(),
                        Some(&self.current),
                        CompletionKind::of(name, info),
                        Some(info),
                    );
                }
                for (name, var) in &current.refers {
                    let info = self.var_info(var);
                    let kind =
                        info.map_or(CompletionKind::Var, |info| CompletionKind::of(name, info));
                    add(name.clone(), Some(&var.ns), kind, info);
                }
                for special in crate::analyze::SPECIAL_FORMS {
                    add(special.to_string(), None, CompletionKind::SpecialForm, None);
                }
                for name in crate::expand::core_macro_names().chain(["ns", "defonce", "defmacro"]) {
                    if !current.excluded_core.contains(name) {
                        add(name.to_string(), Some(CORE_NS), CompletionKind::Macro, None);
                    }
                }
                if let Some(core) = self.namespaces.get(CORE_NS) {
                    for (name, info) in &core.vars {
                        if !current.excluded_core.contains(name) && !info.private {
                            add(
                                name.clone(),
                                Some(CORE_NS),
                                CompletionKind::of(name, info),
                                Some(info),
                            );
                        }
                    }
                }
                for alias in current.aliases.keys() {
                    add(alias.clone(), None, CompletionKind::Namespace, None);
                }
                for name in self.namespaces.keys() {
                    add(name.clone(), None, CompletionKind::Namespace, None);
                }
            }
        }
        found.into_values().collect()
    }

    /// True when a bare symbol in the current namespace means the clojure.core var `core_name`.
    pub fn refers_to_core(&self, name: &Name, core_name: &str) -> bool {
        match &name.ns {
            Some(qualifier) => {
                name.name == core_name && self.resolve_ns(qualifier) == Some(CORE_NS)
            }
            None => {
                name.name == core_name
                    && self.namespaces.get(&self.current).is_some_and(|ns| {
                        !ns.vars.contains_key(core_name)
                            && !ns.refers.contains_key(core_name)
                            && !ns.excluded_core.contains(core_name)
                    })
            }
        }
    }
}

impl ReadEnv for Namespaces {
    fn current_ns(&self) -> &str {
        &self.current
    }

    fn resolve_alias(&self, alias: &str) -> Option<String> {
        self.namespaces
            .get(&self.current)?
            .aliases
            .get(alias)
            .cloned()
    }

    fn syntax_quote_symbol(&self, name: &Name) -> Name {
        if let Some(var) = self.resolve_var(name) {
            return Name::qualified(var.ns, var.name);
        }
        match &name.ns {
            Some(qualifier) => {
                // A static member's class is named in full (`java.lang.Math/abs`).
                let ns = match self.resolve_ns(qualifier) {
                    Some(ns) => ns.to_string(),
                    None if JAVA_LANG_CLASSES.contains(&qualifier.as_str()) => {
                        format!("java.lang.{qualifier}")
                    }
                    None => self
                        .resolve_class(qualifier)
                        .unwrap_or(qualifier)
                        .to_string(),
                };
                Name::qualified(ns, name.name.clone())
            }
            None if crate::expand::is_core_macro(&name.name)
                || COMPILE_TIME_CORE_VARS.contains(&name.name.as_str()) =>
            {
                Name::qualified(CORE_NS, name.name.clone())
            }
            None if JAVA_LANG_CLASSES.contains(&name.name.as_str()) => {
                Name::bare(format!("java.lang.{}", name.name))
            }
            // Any other java.lang class jankwasm knows (`IndexOutOfBoundsException`).
            None if !name.name.contains('.') => match self.resolve_class(&name.name) {
                Some(class) => Name::bare(class),
                None => Name::qualified(self.current.clone(), name.name.clone()),
            },
            None => Name::qualified(self.current.clone(), name.name.clone()),
        }
    }
}
