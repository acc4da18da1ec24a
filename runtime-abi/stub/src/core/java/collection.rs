//! The methods of java.util's and clojure.lang's collection interfaces that
//! Clojure code calls as interop: `(.size c)`, `(.get m k)`, `(.indexOf v x)`,
//! `(.getKey e)`. Each checks that the target's class implements the
//! interface declaring the method (`java_classes`), as the reflector finds
//! the method on the target's class, then computes it as the clojure.core
//! fn over that collection does: `.indexOf` and `.contains` compare with `=`
//! (Clojure's collections implement them with `Util.equiv`). The methods a
//! string shares (`indexOf`, `lastIndexOf`, `contains`, `isEmpty`) take
//! either, by the target's class.

use super::{def, no_matching_method, null_reflection_target, string};
use crate::core::colls::{contains, count, get, lookup, nth};
use crate::equality::equiv;
use crate::error::{class_cast, R};
use crate::object::{boolean, int, nil, Obj, Object};
use crate::seq::SeqIter;

/// Whether `target`'s class implements `interface`.
fn implements(target: Obj, interface: &str) -> bool {
    crate::record::is_instance(interface, target.class_name())
}

/// The target of `(.method target ...)` with `args` arguments when its class
/// implements one of `interfaces`: nil is a NullPointerException, any other
/// class has no such method.
fn target_of(target: Obj, interfaces: &[&str], method: &str, args: usize) -> R<Obj> {
    if target.is_nil() {
        return Err(null_reflection_target());
    }
    if interfaces
        .iter()
        .any(|interface| implements(target, interface))
    {
        return Ok(target);
    }
    Err(no_matching_method(method, args, Some(target.class_name())))
}

/// `(.method target)`: `compute` of the target when its class implements
/// one of `interfaces`, else, as the reflector looks for a field when no
/// method takes no arguments, a record's or type's field of that name
/// (`(.key r)` of a record with a field `key`).
fn no_argument_member(
    target: Obj,
    interfaces: &[&str],
    method: &str,
    compute: impl FnOnce(Obj) -> R,
) -> R {
    match target_of(target, interfaces, method, 0) {
        Ok(target) => compute(target),
        Err(missing) => crate::core::records::public_field(target, method).ok_or(missing),
    }
}

/// The index of the first (or, `last`, the final) value of the list
/// `target` equal to `value`, or -1.
fn list_index_of(target: Obj, value: Obj, last: bool) -> R<i64> {
    let mut found = -1;
    for (index, item) in SeqIter::new(target).enumerate() {
        if equiv(item?, value)? {
            found = index as i64;
            if !last {
                break;
            }
        }
    }
    Ok(found)
}

/// `.get` of a java.util.List: an int index within bounds.
fn list_get(target: Obj, index: Obj) -> R {
    match *index {
        Object::Int(i) if i32::try_from(i).is_ok() => nth(target, index, None),
        // RT.intCast, as the reflector converts the argument.
        Object::Int(_) => Err(crate::error::arithmetic("integer overflow")),
        _ => Err(class_cast(index, "java.lang.Number")),
    }
}

/// `(.indexOf target x from?)` (or `.lastIndexOf`, `last`) of a
/// StringBuilder, a string or a java.util.List.
fn index_of_member(a: &[Obj], last: bool) -> R {
    if let Some(builder) = super::string_builder::builder_text(&a[0]) {
        return super::string_builder::index_of(builder, a, last);
    }
    if a[0].as_str().is_some() {
        return if last {
            string::last_index_of_method(a)
        } else {
            string::index_of_method(a)
        };
    }
    let method = if last { "lastIndexOf" } else { "indexOf" };
    let list = target_of(a[0], &["java.util.List"], method, a.len() - 1)?;
    if a.len() != 2 {
        return Err(no_matching_method(
            method,
            a.len() - 1,
            Some(list.class_name()),
        ));
    }
    Ok(int(list_index_of(list, a[1], last)?))
}

fn install_shared_with_string() {
    def("java-index-of", 2, 3, |_, a| index_of_member(a, false));
    def("java-last-index-of", 2, 3, |_, a| index_of_member(a, true));
    def("java-contains", 2, 2, |_, a| {
        if a[0].as_str().is_some() {
            return string::contains_method(a);
        }
        let coll = target_of(a[0], &["java.util.Collection"], "contains", 1)?;
        if implements(coll, "java.util.Set") {
            return Ok(boolean(contains(coll, a[1])?));
        }
        Ok(boolean(list_index_of(coll, a[1], false)? >= 0))
    });
    def("java-is-empty", 1, 1, |_, a| {
        if let Some(text) = a[0].as_str() {
            return Ok(boolean(text.is_empty()));
        }
        if let Some(builder) = super::string_builder::builder_text(&a[0]) {
            return Ok(boolean(builder.borrow().is_empty()));
        }
        no_argument_member(
            a[0],
            &["java.util.Collection", "java.util.Map"],
            "isEmpty",
            |coll| Ok(boolean(SeqIter::new(coll).next().transpose()?.is_none())),
        )
    });
}

fn install_collection_methods() {
    def("java-collection-size", 1, 1, |_, a| {
        no_argument_member(
            a[0],
            &["java.util.Collection", "java.util.Map"],
            "size",
            |coll| Ok(int(count(coll)? as i64)),
        )
    });
    def("java-collection-count", 1, 1, |_, a| {
        no_argument_member(
            a[0],
            &["clojure.lang.Counted", "clojure.lang.IPersistentCollection"],
            "count",
            |coll| Ok(int(count(coll)? as i64)),
        )
    });
    def("java-collection-get", 2, 2, |_, a| {
        let coll = target_of(
            a[0],
            &[
                "java.util.Map",
                "java.util.List",
                "clojure.lang.IPersistentSet",
            ],
            "get",
            1,
        )?;
        if implements(coll, "java.util.List") {
            return list_get(coll, a[1]);
        }
        get(coll, a[1], nil())
    });
    def("java-map-contains-key", 2, 2, |_, a| {
        let coll = target_of(
            a[0],
            &["java.util.Map", "clojure.lang.Associative"],
            "containsKey",
            1,
        )?;
        Ok(boolean(contains(coll, a[1])?))
    });
    def("java-indexed-nth", 2, 3, |_, a| {
        let coll = target_of(a[0], &["clojure.lang.Indexed"], "nth", a.len() - 1)?;
        nth(coll, a[1], a.get(2).copied())
    });
    def("java-lookup-val-at", 2, 3, |_, a| {
        let coll = target_of(a[0], &["clojure.lang.ILookup"], "valAt", a.len() - 1)?;
        lookup(coll, a[1], a.get(2).copied())
    });
}

/// A map entry's key (`index` 0) or value (1), for `method`.
fn entry_part(target: Obj, index: usize, method: &str) -> R {
    no_argument_member(target, &["java.util.Map$Entry"], method, |entry| {
        nth(entry, int(index as i64), None)
    })
}

fn install_entry_methods() {
    def("java-map-entry-get-key", 1, 1, |_, a| {
        entry_part(a[0], 0, "getKey")
    });
    def("java-map-entry-key", 1, 1, |_, a| {
        entry_part(a[0], 0, "key")
    });
    def("java-map-entry-get-value", 1, 1, |_, a| {
        entry_part(a[0], 1, "getValue")
    });
    def("java-map-entry-val", 1, 1, |_, a| {
        entry_part(a[0], 1, "val")
    });
}

pub(super) fn install() {
    install_shared_with_string();
    install_collection_methods();
    install_entry_methods();
}
