//! clojure.set: union, intersection, difference, select, project, rename,
//! rename-keys, index, map-invert, subset? and superset?, following
//! clojure/set.clj so results (and their printed order) match.

use super::colls::{assoc, conj, contains, count, disj, dissoc, get, select_keys};
use super::{def, VARIADIC};
use crate::coll::{map_obj, set_obj, Map, Set};
use crate::error::R;
use crate::function::call;
use crate::object::{boolean, nil, truthy, Obj, Object};
use crate::seq::{to_vec, SeqIter};

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

fn set_of(items: Vec<Obj>) -> R {
    Ok(set_obj(Set::from_items(items)?))
}

pub fn install() {
    set_fn("union", 0, VARIADIC, |_, a| match a {
        [] => Ok(set_obj(Set::empty())),
        [first, rest @ ..] => rest.iter().try_fold(*first, |acc, s| union(acc, *s)),
    });
    set_fn("intersection", 1, VARIADIC, |_, a| {
        if a.len() <= 2 {
            return if a.len() == 1 {
                Ok(a[0])
            } else {
                intersection(a[0], a[1])
            };
        }
        let mut sets = a.to_vec();
        let mut counts = Vec::with_capacity(sets.len());
        for s in &sets {
            counts.push(count(*s)?);
        }
        let mut order: Vec<usize> = (0..sets.len()).collect();
        order.sort_by_key(|i| counts[*i]);
        sets = order.into_iter().map(|i| a[i]).collect();
        sets[1..]
            .iter()
            .try_fold(sets[0], |acc, s| intersection(acc, *s))
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
        set_of(rows)
    });
    set_fn("rename-keys", 2, 2, |_, a| rename_keys(a[0], a[1]));
    set_fn("rename", 2, 2, |_, a| {
        let rows = to_vec(a[0])?
            .into_iter()
            .map(|row| rename_keys(row, a[1]))
            .collect::<R<Vec<_>>>()?;
        set_of(rows)
    });
    set_fn("index", 2, 2, |_, a| {
        let ks = a[1];
        fold(map_obj(Map::empty()), a[0], |m, x| {
            let key = select_keys(x, ks)?;
            let group = conj(get(m, key, set_obj(Set::empty()))?, x)?;
            assoc(m, key, group)
        })
    });
    set_fn("map-invert", 1, 1, |_, a| {
        let mut result = Map::empty();
        if let Object::Map(m) = &*a[0] {
            for (k, v) in m.entries() {
                result.insert(v, k)?;
            }
        }
        Ok(map_obj(result))
    });
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
