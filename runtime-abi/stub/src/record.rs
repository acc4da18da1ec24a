//! Classes defined at run time: records (`defrecord`), types (`deftype`) and
//! `reify`. A class is registered by its name as Clojure makes it
//! (`my_app.core.Point` for `Point` in `my-app.core`) with its kind and
//! fields; `Object::Class` stands for it as for a JVM class, so `instance?`,
//! `extend` and protocol dispatch take it like one, and its lineage is its
//! kind's interfaces (`jank_runtime_abi::java_classes::RECORD_SUPERS`, ...).
//!
//! A record is a map: its fields in declaration order, then any other keys
//! (Clojure's `__extmap`). It equals only a record of the same class with
//! equal entries, prints as `#user.Point{:x 1, :y 2}`, and dissoc of a field
//! gives a plain map. A type's fields are read only by its own methods, and
//! those declared `^:unsynchronized-mutable` or `^:volatile-mutable` are
//! private to them: only they read them by name and `set!` them. A `reify`
//! carries its own protocol implementations, since its methods close over the
//! locals where it was made.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use jank_runtime_abi::java_classes;

use crate::coll::Map;
use crate::error::R;
use crate::object::{keyword, Obj, Object};

/// What a defined class's instances are.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Record,
    Type,
    Reify,
}

impl Kind {
    fn supers(self) -> &'static [&'static str] {
        match self {
            Kind::Record => java_classes::RECORD_SUPERS,
            Kind::Type => java_classes::TYPE_SUPERS,
            Kind::Reify => java_classes::REIFY_SUPERS,
        }
    }
}

/// A class defined at run time: its full name, kind, field names and which
/// of them are mutable (a type's `^:unsynchronized-mutable` or
/// `^:volatile-mutable` fields, private to its methods).
pub struct DefinedClass {
    pub name: &'static str,
    pub kind: Kind,
    pub fields: Box<[Box<str>]>,
    pub mutable: Box<[bool]>,
}

impl DefinedClass {
    /// Whether the field at `index` is mutable.
    pub fn is_mutable(&self, index: usize) -> bool {
        self.mutable.get(index).copied().unwrap_or(false)
    }
}

thread_local! {
    /// The classes defined so far by name; a redefinition replaces the entry
    /// (instances made before keep the definition they were made with).
    static CLASSES: RefCell<HashMap<&'static str, Rc<DefinedClass>>> = RefCell::new(HashMap::new());
}

/// Registers the class `name` (leaked once per name: class names are few
/// and `Object::Class` holds a static name); `mutable` flags its fields in
/// order (shorter than `fields` when the last ones are not mutable).
pub fn define(
    name: &str,
    kind: Kind,
    fields: Vec<Box<str>>,
    mutable: Vec<bool>,
) -> Rc<DefinedClass> {
    CLASSES.with(|classes| {
        let mut classes = classes.borrow_mut();
        let name: &'static str = match classes.get_key_value(name) {
            Some((known, _)) => known,
            None => Box::leak(name.into()),
        };
        let class = Rc::new(DefinedClass {
            name,
            kind,
            fields: fields.into_boxed_slice(),
            mutable: mutable.into_boxed_slice(),
        });
        classes.insert(name, Rc::clone(&class));
        class
    })
}

/// The class defined as `name`, if any.
pub fn defined(name: &str) -> Option<Rc<DefinedClass>> {
    CLASSES.with(|classes| classes.borrow().get(name).cloned())
}

/// Whether a value of class `actual` is an instance of `class`, defined
/// classes included.
pub fn is_instance(class: &str, actual: &str) -> bool {
    java_classes::is_instance(class, actual)
        || defined(actual).is_some_and(|defined| defined.kind.supers().contains(&class))
}

/// The classes a value of class `actual` is an instance of, nearest first
/// (what protocol dispatch searches).
pub fn lineage(actual: &'static str) -> Vec<&'static str> {
    match defined(actual) {
        Some(defined) => std::iter::once(actual)
            .chain(defined.kind.supers().iter().copied())
            .chain(std::iter::once("java.lang.Object"))
            .collect(),
        None => java_classes::lineage(actual).collect(),
    }
}

/// A record: its class, its fields' values in order, and its other keys.
#[derive(Clone)]
pub struct Record {
    pub class: Rc<DefinedClass>,
    pub values: Box<[Obj]>,
    pub ext: Map,
}

impl Record {
    /// The index of the field `key` names (an unqualified keyword).
    fn field(&self, key: Obj) -> Option<usize> {
        let Object::Keyword(named) = &*key else {
            return None;
        };
        if named.ns.is_some() {
            return None;
        }
        self.class.fields.iter().position(|f| **f == *named.name)
    }

    pub fn len(&self) -> usize {
        self.values.len() + self.ext.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries in Clojure's order: the fields, then the other keys.
    pub fn entries(&self) -> Vec<(Obj, Obj)> {
        self.class
            .fields
            .iter()
            .zip(self.values.iter())
            .map(|(name, value)| (keyword(None, name), *value))
            .chain(self.ext.entries())
            .collect()
    }

    pub fn find(&self, key: Obj) -> R<Option<(Obj, Obj)>> {
        match self.field(key) {
            Some(i) => Ok(Some((key, self.values[i]))),
            None => self.ext.find(key),
        }
    }

    pub fn get(&self, key: Obj) -> R<Option<Obj>> {
        Ok(self.find(key)?.map(|(_, value)| value))
    }

    pub fn assoc(&self, key: Obj, value: Obj) -> R<Record> {
        let mut record = self.clone();
        match self.field(key) {
            Some(i) => record.values[i] = value,
            None => record.ext.insert(key, value)?,
        }
        Ok(record)
    }

    /// Without `key`: still a record unless `key` is a field, then a plain
    /// map of the rest, as in Clojure.
    pub fn without(&self, key: Obj) -> R<Result<Record, Map>> {
        if self.field(key).is_none() {
            let mut record = self.clone();
            record.ext = self.ext.dissoc(key)?;
            return Ok(Ok(record));
        }
        let kept = self
            .entries()
            .into_iter()
            .filter(|(k, _)| !k.identical(key));
        Ok(Err(Map::from_pairs(kept, true)?))
    }

    /// Calls `visit` with every value the record holds (the collector).
    pub fn for_each_reference(&self, mut visit: impl FnMut(Obj)) {
        self.values.iter().for_each(|value| visit(*value));
        self.ext.for_each_entry(|k, v| {
            visit(k);
            visit(v);
        });
        self.ext.for_each_comparator(visit);
    }
}

/// An instance of a type or a reify: its class, its fields' values (each a
/// cell, since a mutable field is assigned in place by the type's methods;
/// the collector traces what they hold when it runs) and, for a reify, its
/// protocol implementations (a map of protocol var to method map; nil for a
/// type).
#[derive(Clone)]
pub struct Instance {
    pub class: Rc<DefinedClass>,
    pub values: Box<[Cell<Obj>]>,
    pub impls: Obj,
}

impl Instance {
    /// The value of the field at `index`, if there is one.
    pub fn field(&self, index: usize) -> Option<Obj> {
        self.values.get(index).map(Cell::get)
    }

    /// Calls `visit` with every value the instance holds (the collector).
    pub fn for_each_reference(&self, mut visit: impl FnMut(Obj)) {
        self.values.iter().for_each(|value| visit(value.get()));
        visit(self.impls);
    }
}
