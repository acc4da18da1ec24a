//! clojure.set: union, intersection, difference, select, project, rename,
//! rename-keys, index, map-invert, join, subset? and superset?, following
//! clojure/set.clj so results (and their printed order) match.

use super::colls::{assoc, conj, contains, count, disj, dissoc, get, nth, select_keys};
use super::{def, VARIADIC};
use crate::coll::{map_obj, set_obj, vector_obj, Map, Set};
use crate::error::R;
use crate::function::call;
use crate::object::{boolean, int, nil, truthy, Obj, Object};
use crate::seq::{seq, seq_first, to_vec, SeqIter};

fn set_fn(name: &'static str, min: usize, max: usize, f: crate::function::NativeFn) {
    def("clojure.set", name, min, max, f);
}

fn fold(init: Obj, items: Obj, step: impl Fn(Obj, Obj) -> R) -> R {
    let mut acc = init;
    for item in SeqIter::new(items) {
        acc = step(acc, item?)?;
    }
    Ok(acc)
}

fn union(s1: Obj, s2: Obj) -> R {
    if count(s1)? < count(s2)? {
        fold(s2, s1, conj)
    } else {
        fold(s1, s2, conj)
    }
}

fn intersection(s1: Obj, s2: Obj) -> R {
    let (s1, s2) = if count(s2)? < count(s1)? {
        (s2, s1)
    } else {
        (s1, s2)
    };
    fold(s1, s1, |result, item| {
        if contains(s2, item)? {
            Ok(result)
        } else {
            disj(result, item)
        }
    })
}

fn difference(s1: Obj, s2: Obj) -> R {
    if count(s1)? < count(s2)? {
        fold(s1, s1, |result, item| {
            if contains(s2, item)? {
                disj(result, item)
            } else {
                Ok(result)
            }
        })
    } else {
        fold(s1, s2, disj)
    }
}

fn rename_keys(map: Obj, kmap: Obj) -> R {
    let mut result = map;
    for old in SeqIter::new(kmap) {
        result = dissoc(
            result,
            crate::core::colls::nth(old?, crate::object::int(0), None)?,
        )?;
    }
    fold(result, kmap, |m, pair| {
        let old = crate::core::colls::nth(pair, crate::object::int(0), None)?;
        let new = crate::core::colls::nth(pair, crate::object::int(1), None)?;
        if contains(map, old)? {
            assoc(m, new, get(map, old, nil())?)
        } else {
            Ok(m)
        }
    })
}

/// The rows of `rows` grouped by their values at the keys `ks`.
fn index(rows: Obj, ks: Obj) -> R {
    fold(map_obj(Map::empty()), rows, |m, x| {
        let key = select_keys(x, ks)?;
        let group = conj(get(m, key, set_obj(Set::empty()))?, x)?;
        assoc(m, key, group)
    })
}

fn map_invert(map: Obj) -> R {
    let mut result = Map::empty();
    if let Object::Map(m) = &*map {
        for (k, v) in m.entries() {
            result.insert(v, k)?;
        }
    }
    Ok(map_obj(result))
}

/// The keys (`part` 0) or values (1) of a map's entries, as a vector.
fn entry_parts(map: Obj, part: i64) -> R {
    let parts = to_vec(map)?
        .into_iter()
        .map(|entry| nth(entry, int(part), None))
        .collect::<R<Vec<_>>>()?;
    Ok(vector_obj(parts))
}

/// `(join xrel yrel)` on the keys the first rows share, or `(join xrel yrel
/// km)` on the keys of xrel's rows that km maps to keys of yrel's: every
/// pair of matching rows merged, indexing the smaller relation.
fn join(xrel: Obj, yrel: Obj, key_map: Option<Obj>) -> R {
    let empty = set_obj(Set::empty());
    let smaller_first = count(xrel)? <= count(yrel)?;
    let (r, s) = if smaller_first {
        (xrel, yrel)
    } else {
        (yrel, xrel)
    };
    let (index_keys, lookup_keys, rename) = match key_map {
        Some(km) => {
            let k = if smaller_first { map_invert(km)? } else { km };
            (entry_parts(k, 1)?, entry_parts(k, 0)?, Some(k))
        }
        None => {
            let (Some(x), Some(y)) = (seq(xrel)?, seq(yrel)?) else {
                return Ok(empty);
            };
            let keys_of = |row| {
                Ok::<_, crate::error::Thrown>(set_obj(Set::from_items(to_vec(entry_parts(
                    row, 0,
                )?)?)?))
            };
            let shared = intersection(keys_of(seq_first(x))?, keys_of(seq_first(y))?)?;
            (shared, shared, None)
        }
    };
    let idx = index(r, index_keys)?;
    fold(empty, s, |joined, row| {
        let mut key = select_keys(row, lookup_keys)?;
        if let Some(k) = rename {
            key = rename_keys(key, k)?;
        }
        let found = get(idx, key, nil())?;
        fold(joined, found, |acc, partner| conj(acc, conj(partner, row)?))
    })
}

/// clojure.set's bubble-max-key: the set with the greatest `key` (the
/// last of equals, as max-key picks) first, then the others in order.
fn bubbled_max(sets: &[Obj], key: impl Fn(Obj) -> R<i64>) -> R<Vec<Obj>> {
    let mut largest = 0;
    let mut largest_key = key(sets[0])?;
    for (i, set) in sets.iter().enumerate().skip(1) {
        let k = key(*set)?;
        if k >= largest_key {
            (largest, largest_key) = (i, k);
        }
    }
    let mut ordered = vec![sets[largest]];
    ordered.extend(
        sets.iter()
            .filter(|set| !set.identical(sets[largest]))
            .copied(),
    );
    Ok(ordered)
}

fn set_of(items: Vec<Obj>) -> R {
    Ok(set_obj(Set::from_items(items)?))
}

pub fn install() {
    set_fn("union", 0, VARIADIC, |_, a| match a {
        [] => Ok(set_obj(Set::empty())),
        [only] => Ok(*only),
        [s1, s2] => union(*s1, *s2),
        // The largest set (the last of equals) takes in the others, in order.
        _ => {
            let sets = bubbled_max(a, |s| Ok(count(s)? as i64))?;
            sets[1..]
                .iter()
                .try_fold(sets[0], |acc, s| fold(acc, *s, conj))
        }
    });
    set_fn("intersection", 1, VARIADIC, |_, a| match a {
        [only] => Ok(*only),
        [s1, s2] => intersection(*s1, *s2),
        // The smallest set (the last of equals) is narrowed by the others.
        _ => {
            let sets = bubbled_max(a, |s| Ok(-(count(s)? as i64)))?;
            sets[1..]
                .iter()
                .try_fold(sets[0], |acc, s| intersection(acc, *s))
        }
    });
    set_fn("difference", 1, VARIADIC, |_, a| {
        a[1..].iter().try_fold(a[0], |acc, s| difference(acc, *s))
    });
    set_fn("select", 2, 2, |_, a| {
        let pred = a[0];
        fold(a[1], a[1], |s, k| {
            if truthy(call(pred, &[k])?) {
                Ok(s)
            } else {
                disj(s, k)
            }
        })
    });
    set_fn("project", 2, 2, |_, a| {
        let rows = to_vec(a[0])?
            .into_iter()
            .map(|row| select_keys(row, a[1]))
            .collect::<R<Vec<_>>>()?;
        Ok(crate::meta::carry(a[0], set_of(rows)?))
    });
    set_fn("rename-keys", 2, 2, |_, a| rename_keys(a[0], a[1]));
    set_fn("rename", 2, 2, |_, a| {
        let rows = to_vec(a[0])?
            .into_iter()
            .map(|row| rename_keys(row, a[1]))
            .collect::<R<Vec<_>>>()?;
        Ok(crate::meta::carry(a[0], set_of(rows)?))
    });
    set_fn("index", 2, 2, |_, a| index(a[0], a[1]));
    set_fn("map-invert", 1, 1, |_, a| map_invert(a[0]));
    set_fn("join", 2, 3, |_, a| join(a[0], a[1], a.get(2).copied()));
    set_fn("subset?", 2, 2, |_, a| {
        if count(a[0])? > count(a[1])? {
            return Ok(boolean(false));
        }
        for item in SeqIter::new(a[0]) {
            if !contains(a[1], item?)? {
                return Ok(boolean(false));
            }
        }
        Ok(boolean(true))
    });
    set_fn("superset?", 2, 2, |_, a| {
        if count(a[0])? < count(a[1])? {
            return Ok(boolean(false));
        }
        for item in SeqIter::new(a[1]) {
            if !contains(a[0], item?)? {
                return Ok(boolean(false));
            }
        }
        Ok(boolean(true))
    });
}
