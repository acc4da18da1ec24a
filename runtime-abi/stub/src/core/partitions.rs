//! Cutting collections into vectors and counting part of them: Clojure
//! 1.12's `partitionv`, `partitionv-all` and `splitv-at` (what jank's
//! clojure.core has), `bounded-count`, the deprecated `replicate`, and
//! `random-sample` (each item kept with probability `prob`, drawn from the
//! runtime's fixed-seed `rand`).

use super::core;
use super::lazy::{drop, filter, filter_xf, map_colls, partition, partition_all_xf, repeat, take};
use crate::coll::vector_obj;
use crate::error::R;
use crate::number::to_long;
use crate::object::{int, Obj, Object};
use crate::seq::{to_vec, SeqIter};

/// `clojure.core/vec`, to turn each partition into a vector lazily.
fn vec_fn() -> R {
    crate::var::deref(crate::var::intern("clojure.core", "vec"))
}

/// Whether `count` answers without walking `coll` (Clojure's `counted?`).
fn counted(coll: Obj) -> bool {
    match &*coll {
        Object::Vector(_)
        | Object::Map(_)
        | Object::Set(_)
        | Object::List(_)
        | Object::EmptyList
        | Object::ArraySeq(..)
        | Object::VecSeq(..)
        | Object::Queue(_) => true,
        Object::Range(r) => r.remaining.is_some(),
        _ => false,
    }
}

/// `(fn [_] (< (rand) prob))`, as Clojure's `random-sample` filters with.
fn sample_pred(prob: Obj) -> Obj {
    crate::function::native("clojure.core/random-sample", 1, 1, &[prob], |d, _| {
        Ok(crate::object::boolean(
            super::misc::random() < crate::number::num(d[0])?.to_f64(),
        ))
    })
}

pub(super) fn install() {
    core("partitionv", 2, 4, |_, a| {
        let parts = match *a {
            [n, coll] => partition(n, n, None, coll, false),
            [n, step, coll] => partition(n, step, None, coll, false),
            [n, step, pad, coll] => partition(n, step, Some(pad), coll, false),
            _ => unreachable!("arity 2..=4"),
        };
        Ok(map_colls(vec_fn()?, &[parts]))
    });
    core("partitionv-all", 1, 3, |_, a| match *a {
        [n] => Ok(partition_all_xf(n)),
        [n, coll] => Ok(map_colls(vec_fn()?, &[partition(n, n, None, coll, true)])),
        [n, step, coll] => Ok(map_colls(
            vec_fn()?,
            &[partition(n, step, None, coll, true)],
        )),
        _ => unreachable!("arity 1..=3"),
    });
    core("splitv-at", 2, 2, |_, a| {
        Ok(vector_obj([
            vector_obj(to_vec(take(a[0], a[1]))?),
            drop(a[0], a[1]),
        ]))
    });
    core("bounded-count", 2, 2, |_, a| {
        if counted(a[1]) {
            return Ok(int(super::colls::count(a[1])? as i64));
        }
        let limit = to_long(a[0])?;
        let mut seen = 0;
        let mut items = SeqIter::new(a[1]);
        while seen < limit {
            match items.next() {
                Some(item) => {
                    item?;
                    seen += 1;
                }
                None => break,
            }
        }
        Ok(int(seen))
    });
    core("random-sample", 1, 2, |_, a| match *a {
        [prob] => Ok(filter_xf(sample_pred(prob), true)),
        [prob, coll] => Ok(filter(sample_pred(prob), coll, true)),
        _ => unreachable!("arity 1..=2"),
    });
    core("replicate", 2, 2, |_, a| {
        Ok(repeat(a[1], Some(to_long(a[0])?)))
    });
}
