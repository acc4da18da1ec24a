//! Where `require` finds a namespace's file: source-path roots, the file a
//! namespace maps to under each (`app.my-util` → `app/my_util.jank`, then
//! `.cljc`), and the root a file implies by the `ns` it declares. The
//! loader that analyzes what it finds is `FileLoader`.

use crate::analyze::namespaces::Namespaces;
use crate::analyze::{ast::Unit, LoadError, MacroExpander, NamespaceLoader};
use crate::expand::Gensyms;
use crate::read::{self, Form, FormKind, PlainEnv};
use crate::source::SourceFile;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Namespaces jankwasm ships, written in jank: loaded like files when no
/// source path has them, under the name `<jankwasm>/<path>`.
pub const BUILTIN_NAMESPACES: &[(&str, &str)] = &[
    ("clojure.data", include_str!("../jank/clojure/data.jank")),
    ("clojure.edn", include_str!("../jank/clojure/edn.jank")),
    ("clojure.test", include_str!("../jank/clojure/test.jank")),
    ("clojure.walk", include_str!("../jank/clojure/walk.jank")),
    ("clojure.zip", include_str!("../jank/clojure/zip.jank")),
    ("jank.browser", include_str!("../jank/jank/browser.jank")),
];

/// Dialect adapters jankwasm ships in place of a project's own file of that
/// name: the file's jank branches call jank's C++ runtime (`cpp/...`), which
/// a wasm patch cannot reach, so jankwasm's version of the same vars is
/// loaded instead, from wherever the namespace is required.
pub const ADAPTER_NAMESPACES: &[(&str, &str)] = &[(
    "clojure.core-test.portability",
    include_str!("../jank/clojure/core_test/portability.jank"),
)];

/// The extensions a namespace's file may have, in the order they are tried.
pub const SOURCE_EXTENSIONS: [&str; 2] = ["jank", "cljc"];

/// The roots namespaces are looked up under, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourcePaths {
    roots: Vec<PathBuf>,
}

impl SourcePaths {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a root, unless it is there already.
    pub fn add(&mut self, root: impl Into<PathBuf>) {
        let root = root.into();
        if !self.roots.contains(&root) {
            self.roots.push(root);
        }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// Every file `ns` may be in, in lookup order.
    pub fn candidates(&self, ns: &str) -> Vec<PathBuf> {
        let relative = ns_relative_path(ns);
        let mut candidates = Vec::with_capacity(self.roots.len() * SOURCE_EXTENSIONS.len());
        for root in &self.roots {
            for ext in SOURCE_EXTENSIONS {
                candidates.push(root.join(format!("{relative}.{ext}")));
            }
        }
        candidates
    }
}

/// `app.my-util` → `app/my_util`: Clojure's munging of a namespace into a path.
pub fn ns_relative_path(ns: &str) -> String {
    ns.replace('-', "_").replace('.', "/")
}

/// The namespace a source text declares with its first `ns` form, if any.
/// Read leniently: a text that does not read declares nothing here, and its
/// compilation reports why.
pub fn declared_ns(text: &str) -> Option<String> {
    let env = PlainEnv::new();
    let mut reader = read::Reader::new(text);
    while let Ok(Some(form)) = reader.next_form(&env) {
        if let Some(name) = ns_form_name(&form) {
            return name;
        }
    }
    None
}

/// For an `ns` form, the namespace it names (None when it names none).
fn ns_form_name(form: &Form) -> Option<Option<String>> {
    let FormKind::List(items) = &form.kind else {
        return None;
    };
    items.first().filter(|head| head.is_symbol("ns"))?;
    Some(
        items
            .get(1)
            .and_then(Form::as_symbol)
            .filter(|name| name.ns.is_none())
            .map(|name| name.name.clone()),
    )
}

/// What a text's namespace forms say, read without compiling it.
#[derive(Debug, Default, PartialEq, Eq)]
struct NamespaceForms {
    declared: Option<String>,
    /// Every namespace its `ns` form and top-level `require`/`use` name.
    required: Vec<String>,
}

fn namespace_forms(text: &str) -> NamespaceForms {
    let env = PlainEnv::new();
    let mut reader = read::Reader::new(text);
    let mut found = NamespaceForms::default();
    while let Ok(Some(form)) = reader.next_form(&env) {
        let FormKind::List(items) = &form.kind else {
            continue;
        };
        let Some(head) = items.first().and_then(Form::as_symbol) else {
            continue;
        };
        match head.name.as_str() {
            "ns" => {
                let name = items
                    .get(1)
                    .and_then(Form::as_symbol)
                    .filter(|n| n.ns.is_none());
                if let (None, Some(name)) = (&found.declared, name) {
                    found.declared = Some(name.name.clone());
                }
                for clause in items.iter().skip(2) {
                    let FormKind::List(clause) = &clause.kind else {
                        continue;
                    };
                    let is_load = clause.first().is_some_and(|head| {
                        matches!(&head.kind, FormKind::Keyword(k) if k.ns.is_none() && (k.name == "require" || k.name == "use"))
                    });
                    if is_load {
                        for spec in &clause[1..] {
                            libspec_names(spec, None, &mut found.required);
                        }
                    }
                }
            }
            "require" | "use" => {
                for arg in &items[1..] {
                    if let FormKind::List(quoted) = &arg.kind {
                        if let [quote, spec] = quoted.as_slice() {
                            if quote.is_symbol("quote") {
                                libspec_names(spec, None, &mut found.required);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// The namespaces a libspec names, prefix lists flattened.
fn libspec_names(spec: &Form, prefix: Option<&str>, out: &mut Vec<String>) {
    let qualify = |name: &str| match prefix {
        Some(prefix) => format!("{prefix}.{name}"),
        None => name.to_string(),
    };
    match &spec.kind {
        FormKind::Symbol(name) if name.ns.is_none() => out.push(qualify(&name.name)),
        FormKind::Vector(items) | FormKind::List(items) => {
            let Some(lib) = items.first().and_then(Form::as_symbol) else {
                return;
            };
            let is_prefix_list = items.len() > 1
                && items[1..]
                    .iter()
                    .all(|item| !matches!(item.kind, FormKind::Keyword(_)));
            if is_prefix_list && prefix.is_none() {
                for item in &items[1..] {
                    libspec_names(item, Some(&lib.name), out);
                }
            } else {
                out.push(qualify(&lib.name));
            }
        }
        _ => {}
    }
}

/// The order to compile `texts` in so that each comes after the texts
/// declaring the namespaces it requires; otherwise the order given. A cycle
/// is broken where it was entered first (compiling it reports the cycle).
pub fn dependency_order(texts: &[&str]) -> Vec<usize> {
    let forms: Vec<NamespaceForms> = texts.iter().map(|text| namespace_forms(text)).collect();
    let declaring: HashMap<&str, usize> = forms
        .iter()
        .enumerate()
        .filter_map(|(index, forms)| Some((forms.declared.as_deref()?, index)))
        .collect();
    let mut order = Vec::with_capacity(texts.len());
    let mut state = vec![Visit::New; texts.len()];
    for start in 0..texts.len() {
        visit(start, &forms, &declaring, &mut state, &mut order);
    }
    order
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    InProgress,
    Done,
}

fn visit(
    index: usize,
    forms: &[NamespaceForms],
    declaring: &HashMap<&str, usize>,
    state: &mut [Visit],
    order: &mut Vec<usize>,
) {
    if state[index] != Visit::New {
        return;
    }
    state[index] = Visit::InProgress;
    for required in &forms[index].required {
        if let Some(&dependency) = declaring.get(required.as_str()) {
            visit(dependency, forms, declaring, state, order);
        }
    }
    state[index] = Visit::Done;
    order.push(index);
}

/// The root a file lives under, when its path ends with the path its
/// namespace maps to: `src/app/core.jank` declaring `app.core` → `src`.
pub fn root_of(file: &Path, ns: &str) -> Option<PathBuf> {
    let relative = Path::new(&ns_relative_path(ns)).to_path_buf();
    let stem = file.with_extension("");
    let mut root = stem.as_path();
    for _ in relative.components() {
        root = root.parent()?;
    }
    if root.join(&relative) != stem {
        return None;
    }
    Some(if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root.to_path_buf()
    })
}

/// A namespace brought in by `require`: its file and the forms analyzed from it.
#[derive(Debug)]
pub struct LoadedNamespace {
    pub ns: String,
    pub source: SourceFile,
    pub unit: Unit,
}

/// Loads required namespaces from source paths for one compilation,
/// recording each in the order it finished (dependencies first).
pub struct FileLoader<'p> {
    paths: &'p SourcePaths,
    /// The namespaces being loaded, outermost first, to name a cycle's chain.
    loading: Vec<String>,
    pub loaded: Vec<LoadedNamespace>,
    /// Whether the files loaded drop their top-level values (a script's).
    discards_values: bool,
}

impl<'p> FileLoader<'p> {
    pub fn new(paths: &'p SourcePaths, discards_values: bool) -> Self {
        Self {
            paths,
            loading: Vec::new(),
            loaded: Vec::new(),
            discards_values,
        }
    }
}

impl FileLoader<'_> {
    /// The first file for `ns` on the source paths, else the namespace
    /// jankwasm ships under that name.
    fn find(&self, ns: &str) -> Result<SourceFile, LoadError> {
        if let Some((_, text)) = ADAPTER_NAMESPACES.iter().find(|(name, _)| *name == ns) {
            let name = format!("<jankwasm>/{}.jank", ns_relative_path(ns));
            return Ok(SourceFile::new(name, *text));
        }
        let candidates = self.paths.candidates(ns);
        if let Some(path) = candidates.iter().find(|path| path.is_file()) {
            let text = std::fs::read_to_string(path).map_err(|e| LoadError::Unreadable {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            return Ok(SourceFile::new(path.display().to_string(), text));
        }
        if let Some((_, text)) = BUILTIN_NAMESPACES.iter().find(|(name, _)| *name == ns) {
            let name = format!("<jankwasm>/{}.jank", ns_relative_path(ns));
            return Ok(SourceFile::new(name, *text));
        }
        Err(LoadError::NotFound {
            ns: ns.to_string(),
            searched: candidates.iter().map(|p| p.display().to_string()).collect(),
        })
    }
}

impl NamespaceLoader for FileLoader<'_> {
    fn cycle_through(&self, requirer: &str, ns: &str) -> Option<Vec<String>> {
        // The text compiled is not loaded through here: before the first
        // load, its namespace (the requirer) is the whole chain.
        let stack: Vec<&str> = if self.loading.is_empty() {
            vec![requirer]
        } else {
            self.loading.iter().map(String::as_str).collect()
        };
        let start = stack.iter().position(|loading| *loading == ns)?;
        let mut chain: Vec<String> = stack[start..].iter().map(|s| s.to_string()).collect();
        chain.push(ns.to_string());
        Some(chain)
    }

    fn load(
        &mut self,
        ns: &str,
        namespaces: &mut Namespaces,
        gensyms: &mut Gensyms,
        expander: Option<&mut dyn MacroExpander>,
    ) -> Result<(), LoadError> {
        if self.loading.is_empty() {
            self.loading.push(namespaces.current().to_string());
        }
        let source = self.find(ns)?;
        namespaces.enter("user");
        self.loading.push(ns.to_string());
        let discards_values = self.discards_values;
        let analyzed = super::analyze_source(
            namespaces,
            gensyms,
            Some(self),
            expander,
            None,
            discards_values,
            &source,
        );
        self.loading.pop();
        let unit = analyzed.map_err(|mut diagnostic| {
            diagnostic.origin.get_or_insert_with(|| source.clone());
            LoadError::InFile(diagnostic)
        })?;
        if !namespaces.exists(ns) {
            return Err(LoadError::NotDefined {
                ns: ns.to_string(),
                path: source.name.to_string(),
            });
        }
        self.loaded.push(LoadedNamespace {
            ns: ns.to_string(),
            source,
            unit,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_maps_to_a_path_with_underscores_for_dashes() {
        assert_eq!(ns_relative_path("app.my-util"), "app/my_util");
        let mut paths = SourcePaths::new();
        paths.add("src");
        paths.add("test");
        paths.add("src");
        assert_eq!(
            paths.candidates("a.b-c"),
            [
                "src/a/b_c.jank",
                "src/a/b_c.cljc",
                "test/a/b_c.jank",
                "test/a/b_c.cljc"
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn the_root_of_a_file_is_where_its_namespace_path_starts() {
        assert_eq!(
            root_of(Path::new("proj/src/app/core.jank"), "app.core"),
            Some(PathBuf::from("proj/src"))
        );
        assert_eq!(
            root_of(Path::new("app/my_util.cljc"), "app.my-util"),
            Some(PathBuf::from("."))
        );
        assert_eq!(root_of(Path::new("src/app/core.jank"), "other.core"), None);
    }

    #[test]
    fn the_declared_namespace_is_the_first_ns_forms_name() {
        assert_eq!(
            declared_ns("; hi\n(def x 1)\n(ns app.core (:require [a.b]))\n(ns later)"),
            Some("app.core".to_string())
        );
        assert_eq!(declared_ns("(println 1)"), None);
        assert_eq!(declared_ns("(ns"), None);
    }

    #[test]
    fn texts_are_ordered_after_the_namespaces_they_require() {
        let texts = [
            "(ns app.core (:require [app.util :as u] [app views [model :refer [m]]]))",
            "(ns app.model)",
            "(ns app.util (:use app.model))",
            "(ns app.views)\n(require '[app.model] 'other.lib)",
            "(ns loose)",
        ];
        assert_eq!(dependency_order(&texts), [1, 2, 3, 0, 4]);
        let cycle = ["(ns a (:require b))", "(ns b (:require a))"];
        assert_eq!(dependency_order(&cycle), [1, 0]);
    }
}
