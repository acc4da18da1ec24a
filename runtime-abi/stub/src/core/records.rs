//! The run-time half of `defrecord`, `deftype` and `reify` (the compiler
//! expands them into calls of these; `crate::record` holds the classes and
//! values): defining a class, constructing (`->R`, `(R. ...)`, `map->R`),
//! reading a field inside a method, assigning a type's mutable field
//! (`set!` inside its methods), and making a reify. `record?` is here.

use super::colls::get;
use super::{core, def, VARIADIC};
use crate::coll::{map_obj, Map};
use crate::error::{class_cast, illegal_argument, R};
use crate::object::{alloc, boolean, keyword, nil, Obj, Object};
use crate::record::{self, DefinedClass, Instance, Kind, Record};
use crate::seq::SeqIter;
use std::cell::Cell;
use std::rc::Rc;

/// A namespace's name from `*ns*` (a namespace) or a symbol.
fn namespace_name(value: Obj) -> R<String> {
    match &*value {
        Object::Namespace(name) => Ok(name.to_string()),
        Object::Symbol(named) => Ok(named.qualified()),
        _ => Err(class_cast(value, "clojure.lang.Namespace")),
    }
}

fn symbol_name(value: Obj) -> R<String> {
    match &*value {
        Object::Symbol(named) if named.ns.is_none() => Ok(named.name.to_string()),
        _ => Err(illegal_argument(format!(
            "expected an unqualified symbol, got {}",
            crate::print::pr_str(value)?
        ))),
    }
}

/// The full name of the class `name` defined in the namespace `ns`, as
/// Clojure's namespace-munge makes it (`my-app.core` → `my_app.core.Point`).
fn class_name(ns: &str, name: &str) -> String {
    format!("{}.{name}", ns.replace('-', "_"))
}

/// The defined class a class value stands for.
fn defined_class(class: Obj) -> R<Rc<DefinedClass>> {
    let Object::Class(name) = &*class else {
        return Err(class_cast(class, "java.lang.Class"));
    };
    record::defined(name)
        .ok_or_else(|| illegal_argument(format!("No matching ctor found for class {name}")))
}

/// The index of the field `name` of `class` that code in the methods of the
/// class named `owner` (None: any other code) may read by name: a mutable
/// field only from its own class's methods.
fn field_index(class: &DefinedClass, name: &str, owner: Option<&str>) -> Option<usize> {
    let index = class.fields.iter().position(|field| **field == *name)?;
    (!class.is_mutable(index) || owner == Some(class.name)).then_some(index)
}

/// The value of `target`'s field `name` as code outside its type's methods
/// reads it (`(.-name target)`): None when `target` is no record or type
/// instance, or has no such field, or the field is mutable (private).
pub(crate) fn public_field(target: Obj, name: &str) -> Option<Obj> {
    match &*target {
        Object::Record(r) => {
            field_index(&r.class, name, None).and_then(|i| r.values.get(i).copied())
        }
        Object::Instance(i) => field_index(&i.class, name, None).and_then(|index| i.field(index)),
        _ => None,
    }
}

/// A field's index as the compiler passes it (a long), None when negative.
fn field_position(index: Obj) -> R<Option<usize>> {
    match *index {
        Object::Int(index) => Ok(usize::try_from(index).ok()),
        _ => Err(class_cast(index, "java.lang.Long")),
    }
}

fn construct(class: Rc<DefinedClass>, values: &[Obj]) -> R {
    if values.len() != class.fields.len() {
        return Err(illegal_argument(format!(
            "No matching ctor found for class {} ({} arguments, {} fields)",
            class.name,
            values.len(),
            class.fields.len()
        )));
    }
    let values: Box<[Obj]> = values.into();
    Ok(match class.kind {
        Kind::Record => alloc(Object::Record(Box::new(Record {
            class,
            values,
            ext: Map::empty(),
        }))),
        Kind::Type | Kind::Reify => alloc(Object::Instance(Box::new(Instance {
            class,
            values: values.iter().copied().map(Cell::new).collect(),
            impls: nil(),
        }))),
    })
}

pub(super) fn install() {
    // (define-class :record|:type ns 'Name '[fields] '[mutable-fields]?):
    // the class value; the mutable fields (a type's) are named among fields.
    def("jank.runtime", "define-class", 4, 5, |_, a| {
        let kind = match &*a[0] {
            Object::Keyword(k) if &*k.name == "record" => Kind::Record,
            Object::Keyword(k) if &*k.name == "type" => Kind::Type,
            _ => return Err(illegal_argument("define-class takes :record or :type")),
        };
        let name = class_name(&namespace_name(a[1])?, &symbol_name(a[2])?);
        let fields = SeqIter::new(a[3])
            .map(|field| symbol_name(field?).map(String::into_boxed_str))
            .collect::<R<Vec<_>>>()?;
        let mutable_names = match a.get(4) {
            Some(names) => SeqIter::new(*names)
                .map(|field| symbol_name(field?))
                .collect::<R<Vec<_>>>()?,
            None => Vec::new(),
        };
        if let Some(unknown) = mutable_names
            .iter()
            .find(|named| !fields.iter().any(|field| **field == ***named))
        {
            return Err(illegal_argument(format!(
                "define-class: mutable field {unknown} is not a field of {name}"
            )));
        }
        if kind == Kind::Record && !mutable_names.is_empty() {
            return Err(illegal_argument(
                ":volatile-mutable or :unsynchronized-mutable not supported for record fields",
            ));
        }
        let mutable = fields
            .iter()
            .map(|field| mutable_names.iter().any(|named| **field == **named))
            .collect();
        let class = record::define(&name, kind, fields, mutable);
        Ok(alloc(Object::Class(class.name)))
    });
    // (new-instance class & field-values): `(R. a b)`, `->R`.
    def("jank.runtime", "new-instance", 1, VARIADIC, |_, a| {
        construct(defined_class(a[0])?, &a[1..])
    });
    // (map->record class m): the fields from m's keys (nil when missing),
    // its other keys kept.
    def("jank.runtime", "map->record", 2, 2, |_, a| {
        let class = defined_class(a[0])?;
        if class.kind != Kind::Record {
            return Err(illegal_argument(format!("{} is not a record", class.name)));
        }
        let mut values = Vec::with_capacity(class.fields.len());
        let mut ext = match &*a[1] {
            Object::Map(m) => m.clone(),
            Object::Record(r) => Map::from_pairs(r.entries(), true)?,
            Object::Nil => Map::empty(),
            _ => return Err(class_cast(a[1], "java.util.Map")),
        };
        for field in class.fields.iter() {
            let key = keyword(None, field);
            values.push(ext.get(key)?.unwrap_or_else(nil));
            ext = ext.dissoc(key)?;
        }
        Ok(alloc(Object::Record(Box::new(Record {
            class,
            values: values.into_boxed_slice(),
            ext,
        }))))
    });
    // (field-named x "name" "owner"?): `(.-name x)`, a record's or type's
    // field. A type's mutable field is private, as on the JVM: only code in
    // the methods of its class (the compiler passes the class's name as
    // `owner` there) reads it by name.
    def("jank.runtime", "field-named", 2, 3, |_, a| {
        let name = super::text(&a[1])?;
        let owner = a.get(2).map(super::text).transpose()?;
        let no_field = |class: &str| {
            illegal_argument(format!("No matching field found: {name} for class {class}"))
        };
        match &*a[0] {
            Object::Record(r) => field_index(&r.class, name, owner)
                .and_then(|index| r.values.get(index).copied())
                .ok_or_else(|| no_field(r.class.name)),
            Object::Instance(i) => field_index(&i.class, name, owner)
                .and_then(|index| i.field(index))
                .ok_or_else(|| no_field(i.class.name)),
            Object::Nil => Err(no_field("nil")),
            other => Err(no_field(other.class_name())),
        }
    });
    // (instance-field this index): a field inside the class's own methods.
    def("jank.runtime", "instance-field", 2, 2, |_, a| {
        let index = field_position(a[1])?;
        let value = match &*a[0] {
            Object::Record(r) => index.and_then(|at| r.values.get(at).copied()),
            Object::Instance(instance) => index.and_then(|at| instance.field(at)),
            _ => return Err(class_cast(a[0], "clojure.lang.IType")),
        };
        match value {
            Some(value) => Ok(value),
            None => Err(illegal_argument(format!(
                "no field {}",
                crate::print::pr_str(a[1])?
            ))),
        }
    });
    // (set-field! this index value): `(set! field value)` of a mutable field
    // inside its type's methods; the value.
    def("jank.runtime", "set-field!", 3, 3, |_, a| {
        let Object::Instance(instance) = &*a[0] else {
            return Err(class_cast(a[0], "clojure.lang.IType"));
        };
        let cell = field_position(a[1])?
            .filter(|&index| instance.class.is_mutable(index))
            .and_then(|index| instance.values.get(index));
        let Some(cell) = cell else {
            return Err(illegal_argument(format!(
                "no mutable field {}",
                crate::print::pr_str(a[1])?
            )));
        };
        cell.set(a[2]);
        Ok(a[2])
    });
    // (set-field-named! x "name" value "owner"): `(set! (.-name x) value)`
    // inside the methods of the class named `owner`, which declares `name`
    // mutable; the value.
    def("jank.runtime", "set-field-named!", 4, 4, |_, a| {
        let name = super::text(&a[1])?;
        let owner = super::text(&a[3])?;
        let cell = match &*a[0] {
            Object::Instance(i) => field_index(&i.class, name, Some(owner))
                .filter(|&index| i.class.is_mutable(index))
                .and_then(|index| i.values.get(index)),
            _ => None,
        };
        let Some(cell) = cell else {
            let class = match &*a[0] {
                Object::Nil => "nil",
                other => other.class_name(),
            };
            return Err(illegal_argument(format!(
                "No matching field found: {name} for class {class}"
            )));
        };
        cell.set(a[2]);
        Ok(a[2])
    });
    // (reify ns 'site P1 {:m fn} P2 {...}): an instance of the reify class
    // named for its site, carrying its own method maps by protocol var.
    def("jank.runtime", "reify", 2, VARIADIC, |_, a| {
        let name = format!(
            "{}${}",
            namespace_name(a[0])?.replace('-', "_"),
            symbol_name(a[1])?
        );
        let class = match record::defined(&name) {
            Some(class) => class,
            None => record::define(&name, Kind::Reify, Vec::new(), Vec::new()),
        };
        let pairs = &a[2..];
        if pairs.len() % 2 != 0 {
            return Err(illegal_argument(
                "reify takes protocol and method map pairs",
            ));
        }
        let mut impls = Map::empty();
        for pair in pairs.chunks(2) {
            let var = get(pair[0], keyword(None, "var"), nil())?;
            if !matches!(*var, Object::Var(_)) {
                return Err(illegal_argument(format!(
                    "{} is not a protocol",
                    crate::print::pr_str(pair[0])?
                )));
            }
            impls.insert(var, pair[1])?;
        }
        Ok(alloc(Object::Instance(Box::new(Instance {
            class,
            values: Box::new([]),
            impls: map_obj(impls),
        }))))
    });
    core("record?", 1, 1, |_, a| {
        Ok(boolean(matches!(*a[0], Object::Record(_))))
    });
}
