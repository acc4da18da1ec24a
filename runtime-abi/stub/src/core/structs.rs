//! Structmaps, Clojure's pre-record maps with a fixed set of keys:
//! `create-struct` makes the basis (its keys in order), `struct` and
//! `struct-map` make maps holding every basis key first (nil when not
//! given), `accessor` a fn reading one basis key. The maps they make are
//! ordinary maps here: unlike the JVM's PersistentStructMap they let
//! `dissoc` remove a basis key, an accessor reads any map, and a basis of
//! more than eight keys makes a hash map, whose order is not the basis's.

use super::{core, VARIADIC};
use crate::coll::{map_obj, Map};
use crate::error::{class_cast, illegal_argument, R};
use crate::function::native;
use crate::object::{alloc, nil, Obj, Object};

fn basis(value: Obj) -> R<Box<[Obj]>> {
    match &*value {
        Object::StructDef(keys) => Ok(keys.clone()),
        _ => Err(class_cast(value, "clojure.lang.PersistentStructMap$Def")),
    }
}

/// The basis keys of `def` with `values` in order (nil past their end),
/// then `extra` pairs, as if by assoc.
fn struct_map(def: Obj, values: &[Obj], extra: &[Obj]) -> R {
    let keys = basis(def)?;
    if values.len() > keys.len() {
        return Err(illegal_argument("Too many arguments to struct constructor"));
    }
    if extra.len() % 2 != 0 {
        return Err(illegal_argument(format!(
            "No value supplied for key: {}",
            crate::print::str_of(extra[extra.len() - 1])?
        )));
    }
    let pairs = keys
        .iter()
        .enumerate()
        .map(|(i, key)| (*key, values.get(i).copied().unwrap_or_else(nil)))
        .chain(extra.chunks_exact(2).map(|pair| (pair[0], pair[1])));
    Ok(map_obj(Map::from_pairs(pairs.collect::<Vec<_>>(), true)?))
}

pub(super) fn install() {
    core("create-struct", 0, VARIADIC, |_, a| {
        if a.is_empty() {
            return Err(illegal_argument("Must supply keys"));
        }
        Ok(alloc(Object::StructDef(a.into())))
    });
    core("struct", 1, VARIADIC, |_, a| struct_map(a[0], &a[1..], &[]));
    core("struct-map", 1, VARIADIC, |_, a| {
        struct_map(a[0], &[], &a[1..])
    });
    core("accessor", 2, 2, |_, a| {
        let keys = basis(a[0])?;
        let mut known = false;
        for key in keys.iter() {
            known |= crate::equality::equiv(*key, a[1])?;
        }
        if !known {
            return Err(illegal_argument("Not a key of struct"));
        }
        Ok(native(
            "clojure.core/accessor/fn",
            1,
            1,
            &[a[1]],
            |key, a| super::colls::get(a[0], key[0], nil()),
        ))
    });
}
