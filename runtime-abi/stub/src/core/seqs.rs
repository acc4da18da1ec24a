//! clojure.core's eager seq fns: access (`first`, `next`, `last`, `nthnext`,
//! ...), `reduce`, searching (`some`, `every?`), sorting (a stable merge sort
//! with Clojure comparator semantics), `reverse`, `mapv`/`filterv`, and
//! forcing (`doall`, `dorun`, `run!`).

use super::{core, core_collecting, VARIADIC};
use crate::coll::vector_obj;
use crate::equality::compare_by;
use crate::error::{class_cast, overflow, R};
use crate::function::call;
use crate::gc::{inhibited, poll, RootFrame, RootedSeq};
use crate::number::to_long;
use crate::object::{boolean, empty_list, int, nil, truthy, DelayState, Obj, Object};
use crate::seq::{first, list_of, next, rest, seq, seq_of, to_vec, SeqIter, Walked};

/// `(reduce f coll)` / `(reduce f init coll)`, stopping at a `reduced` value.
/// It may collect as it goes: `f`, the accumulator and the rest are rooted.
pub fn reduce(f: Obj, init: Option<Obj>, coll: Obj) -> R {
    let roots = RootFrame::new(&[f, nil(), nil()]);
    let mut items = RootedSeq::new(coll, &roots, 2);
    let mut acc = match init {
        Some(init) => init,
        None => match items.next() {
            None => return call(f, &[]),
            Some(x) => x?,
        },
    };
    if let Some(op) = crate::core::numbers::long_op(f) {
        return reduce_longs(f, op, acc, items, &roots);
    }
    loop {
        roots.set(1, acc);
        let Some(x) = items.next() else {
            return Ok(acc);
        };
        acc = call(f, &[acc, x?])?;
        if let Object::Reduced(inner) = &*acc {
            return Ok(*inner);
        }
    }
}

/// Realizes the first `limit` steps of `coll` (all without a limit), `keep`
/// rooted, collecting as it goes.
fn force(limit: Option<i64>, coll: Obj, keep: Obj) -> R<()> {
    let roots = RootFrame::new(&[keep, nil()]);
    let mut s = inhibited(|| seq(coll))?;
    let mut taken = 0;
    while let Some(current) = s {
        if limit.is_some_and(|n| taken >= n) {
            break;
        }
        taken += 1;
        roots.set(1, current);
        poll();
        s = inhibited(|| next(current))?;
    }
    Ok(())
}

/// The rest of `reduce` when `f` is clojure.core's `+` or `*` (`op` on two
/// longs, None on overflow): while the running value and each item are
/// longs, the value stays unboxed, as `f` would compute it; anything else is
/// passed to `f`. Neither fn ever returns a `reduced` value.
fn reduce_longs(
    f: Obj,
    op: fn(i64, i64) -> Option<i64>,
    acc: Obj,
    mut items: RootedSeq,
    roots: &RootFrame,
) -> R {
    let mut boxed_total = acc;
    loop {
        let Object::Int(mut total) = *boxed_total else {
            roots.set(1, boxed_total);
            let Some(x) = items.next() else {
                return Ok(boxed_total);
            };
            boxed_total = call(f, &[boxed_total, x?])?;
            continue;
        };
        loop {
            match items.next_unboxed() {
                None => return Ok(int(total)),
                Some(item) => match item? {
                    Walked::Long(x) => total = op(total, x).ok_or_else(overflow)?,
                    Walked::Value(x) => {
                        boxed_total = call(f, &[int(total), x])?;
                        break;
                    }
                },
            }
        }
    }
}

/// A stable sort by a comparator that may throw, with the comparisons
/// java.util.Arrays.sort makes (`timsort`).
pub fn java_sort(mut items: Vec<Obj>, cmp: &mut dyn FnMut(Obj, Obj) -> R<i32>) -> R<Vec<Obj>> {
    super::timsort::sort(&mut items, cmp)?;
    Ok(items)
}

/// Compares with `comparator`, or `compare` when None.
fn comparing(comparator: Option<Obj>) -> impl FnMut(Obj, Obj) -> R<i32> {
    move |a, b| compare_by(comparator, a, b)
}

/// `(sort coll)`: a seq, or () when empty.
fn sort(comparator: Option<Obj>, coll: Obj) -> R {
    let sorted = java_sort(to_vec(coll)?, &mut comparing(comparator))?;
    with_meta_of(coll, sorted)
}

/// A sorted seq of `items`, carrying `coll`'s metadata as Clojure's `sort`
/// gives its seq (`()` when empty).
fn with_meta_of(coll: Obj, items: Vec<Obj>) -> R {
    if items.is_empty() {
        return Ok(empty_list());
    }
    let sorted = seq_of(items);
    let meta = crate::meta::meta(coll)?;
    if meta.is_nil() {
        Ok(sorted)
    } else {
        crate::meta::with_meta(sorted, meta)
    }
}

/// `(sort-by keyfn comparator? coll)`: as Clojure's, the key fn is called on
/// both items of every comparison.
fn sort_by(keyfn: Obj, comparator: Option<Obj>, coll: Obj) -> R {
    let mut by_key = comparing(comparator);
    let sorted = java_sort(to_vec(coll)?, &mut |a, b| {
        by_key(call(keyfn, &[a])?, call(keyfn, &[b])?)
    })?;
    with_meta_of(coll, sorted)
}

/// `max-key`/`min-key`: the later value wins ties, as in Clojure.
/// `min-key`/`max-key` exactly as Clojure's: one value is returned without
/// calling `k`; the first two are compared strictly (`first` wins when
/// `first_wins`), each later one replaces the best when `later_wins` (so a
/// NaN key, unordered, keeps what it meets).
fn extreme_key(
    k: Obj,
    xs: &[Obj],
    first_wins: fn(std::cmp::Ordering) -> bool,
    later_wins: fn(std::cmp::Ordering) -> bool,
) -> R {
    use crate::core::numbers::compare_with;
    let [x, rest @ ..] = xs else {
        unreachable!("arity 2 or more")
    };
    let Some((y, more)) = rest.split_first() else {
        return Ok(*x);
    };
    let (kx, ky) = (call(k, &[*x])?, call(k, &[*y])?);
    let (mut best, mut best_key) = if compare_with(kx, ky, first_wins)? {
        (*x, kx)
    } else {
        (*y, ky)
    };
    for w in more {
        let kw = call(k, &[*w])?;
        if compare_with(kw, best_key, later_wins)? {
            best = *w;
            best_key = kw;
        }
    }
    Ok(best)
}

fn nth_next(coll: Obj, n: i64) -> R {
    let mut s = seq(coll)?;
    for _ in 0..n {
        match s {
            Some(current) => s = next(current)?,
            None => break,
        }
    }
    Ok(s.unwrap_or_else(nil))
}

pub fn install() {
    core("seq", 1, 1, |_, a| Ok(seq(a[0])?.unwrap_or_else(nil)));
    core("first", 1, 1, |_, a| first(a[0]));
    core("rest", 1, 1, |_, a| rest(a[0]));
    core("next", 1, 1, |_, a| Ok(next(a[0])?.unwrap_or_else(nil)));
    core("second", 1, 1, |_, a| first(rest(a[0])?));
    core("ffirst", 1, 1, |_, a| first(first(a[0])?));
    core("nfirst", 1, 1, |_, a| {
        Ok(next(first(a[0])?)?.unwrap_or_else(nil))
    });
    core("fnext", 1, 1, |_, a| first(rest(a[0])?));
    core("nnext", 1, 1, |_, a| {
        Ok(next(rest(a[0])?)?.unwrap_or_else(nil))
    });
    core_collecting("last", 1, 1, |_, a| {
        let roots = RootFrame::new(&[nil(), nil()]);
        let mut last = nil();
        let mut items = RootedSeq::new(a[0], &roots, 0);
        loop {
            roots.set(1, last);
            match items.next() {
                Some(x) => last = x?,
                None => return Ok(last),
            }
        }
    });
    core("butlast", 1, 1, |_, a| {
        let mut items = to_vec(a[0])?;
        items.pop();
        Ok(seq_of(items))
    });
    core("nthnext", 2, 2, |_, a| match seq(a[0])? {
        // Clojure looks at the count only for a non-empty coll.
        None => Ok(nil()),
        Some(_) => nth_next(a[0], to_long(a[1])?),
    });
    core("nthrest", 2, 2, |_, a| {
        let mut coll = a[0];
        for _ in 0..to_long(a[1])? {
            match seq(coll)? {
                Some(s) => coll = rest(s)?,
                None => break,
            }
        }
        Ok(coll)
    });
    core("cons", 2, 2, |_, a| crate::seq::cons(a[0], a[1]));
    core_collecting("reduce", 2, 3, |_, a| match a {
        [f, coll] => reduce(*f, None, *coll),
        [f, init, coll] => reduce(*f, Some(*init), *coll),
        _ => unreachable!("arity 2..=3"),
    });
    core("reverse", 1, 1, |_, a| {
        let mut items = to_vec(a[0])?;
        items.reverse();
        Ok(list_of(&items))
    });
    core("sort", 1, 2, |_, a| match a {
        [coll] => sort(None, *coll),
        [comparator, coll] => sort(Some(*comparator), *coll),
        _ => unreachable!("arity 1..=2"),
    });
    core("sort-by", 2, 3, |_, a| match a {
        [keyfn, coll] => sort_by(*keyfn, None, *coll),
        [keyfn, comparator, coll] => sort_by(*keyfn, Some(*comparator), *coll),
        _ => unreachable!("arity 2..=3"),
    });
    core_collecting("some", 2, 2, |_, a| {
        let roots = RootFrame::new(&[a[0], nil()]);
        for x in RootedSeq::new(a[1], &roots, 1) {
            let result = call(a[0], &[x?])?;
            if truthy(result) {
                return Ok(result);
            }
        }
        Ok(nil())
    });
    core_collecting("every?", 2, 2, |_, a| {
        let roots = RootFrame::new(&[a[0], nil()]);
        for x in RootedSeq::new(a[1], &roots, 1) {
            if !truthy(call(a[0], &[x?])?) {
                return Ok(boolean(false));
            }
        }
        Ok(boolean(true))
    });
    core_collecting("not-every?", 2, 2, |_, a| {
        let roots = RootFrame::new(&[a[0], nil()]);
        for x in RootedSeq::new(a[1], &roots, 1) {
            if !truthy(call(a[0], &[x?])?) {
                return Ok(boolean(true));
            }
        }
        Ok(boolean(false))
    });
    core_collecting("not-any?", 2, 2, |_, a| {
        let roots = RootFrame::new(&[a[0], nil()]);
        for x in RootedSeq::new(a[1], &roots, 1) {
            if truthy(call(a[0], &[x?])?) {
                return Ok(boolean(false));
            }
        }
        Ok(boolean(true))
    });
    core("distinct?", 1, VARIADIC, |_, a| {
        let mut seen = crate::coll::Set::empty();
        for x in a {
            if seen.contains(*x)? {
                return Ok(boolean(false));
            }
            seen = seen.conj(*x)?;
        }
        Ok(boolean(true))
    });
    core("empty?", 1, 1, |_, a| Ok(boolean(seq(a[0])?.is_none())));
    core_collecting("mapv", 2, VARIADIC, |_, a| match a {
        [f, coll] => {
            // The fn, the walk, then each value made so far.
            let roots = RootFrame::new(&[*f, nil()]);
            let mut mapped = Vec::new();
            for x in RootedSeq::new(*coll, &roots, 1) {
                let y = call(*f, &[x?])?;
                roots.push(y);
                mapped.push(y);
            }
            Ok(vector_obj(mapped))
        }
        [f, colls @ ..] => {
            // The fn, each walk, each walk's current item, then each value
            // made so far: an item stays rooted while the next walk steps.
            let mut slots = vec![nil(); 1 + 2 * colls.len()];
            slots[0] = *f;
            let roots = RootFrame::new(&slots);
            let mut walks: Vec<RootedSeq> = (0..colls.len())
                .map(|i| RootedSeq::new(colls[i], &roots, 1 + i))
                .collect();
            let item_slot = 1 + colls.len();
            let mut mapped = Vec::new();
            let mut items = Vec::with_capacity(colls.len());
            loop {
                items.clear();
                for (i, walk) in walks.iter_mut().enumerate() {
                    let Some(item) = walk.next() else {
                        return Ok(vector_obj(mapped));
                    };
                    let item = item?;
                    roots.set(item_slot + i, item);
                    items.push(item);
                }
                let y = call(*f, &items)?;
                roots.push(y);
                mapped.push(y);
            }
        }
        [] => unreachable!("arity 2.."),
    });
    core("filterv", 2, 2, |_, a| {
        let mut kept = Vec::new();
        for x in SeqIter::new(a[1]) {
            let x = x?;
            if truthy(call(a[0], &[x])?) {
                kept.push(x);
            }
        }
        Ok(vector_obj(kept))
    });
    core_collecting("dorun", 1, 2, |_, a| {
        let (limit, coll) = match a {
            [coll] => (None, *coll),
            [n, coll] => (Some(to_long(*n)?), *coll),
            _ => unreachable!("arity 1..=2"),
        };
        force(limit, coll, nil())?;
        Ok(nil())
    });
    core_collecting("doall", 1, 2, |_, a| {
        let coll = a[a.len() - 1];
        let limit = if a.len() == 2 {
            Some(to_long(a[0])?)
        } else {
            None
        };
        // The head stays rooted: doall returns it, realized.
        force(limit, coll, coll)?;
        Ok(coll)
    });
    core_collecting("run!", 2, 2, |_, a| {
        let roots = RootFrame::new(&[a[0], nil()]);
        for x in RootedSeq::new(a[1], &roots, 1) {
            let result = call(a[0], &[x?])?;
            if let Object::Reduced(_) = &*result {
                break;
            }
        }
        Ok(nil())
    });
    core("realized?", 1, 1, |_, a| match &*a[0] {
        Object::Lazy(lazy) => Ok(boolean(lazy.is_realized())),
        Object::Delay(state) => Ok(boolean(!matches!(&*state.borrow(), DelayState::Pending(_)))),
        Object::Promise(cell) => Ok(boolean(cell.get().is_some())),
        _ => Err(class_cast(a[0], "clojure.lang.IPending")),
    });
    core("max-key", 2, VARIADIC, |_, a| {
        extreme_key(
            a[0],
            &a[1..],
            |o| o == std::cmp::Ordering::Greater,
            |o| o != std::cmp::Ordering::Less,
        )
    });
    core("min-key", 2, VARIADIC, |_, a| {
        extreme_key(
            a[0],
            &a[1..],
            |o| o == std::cmp::Ordering::Less,
            |o| o != std::cmp::Ordering::Greater,
        )
    });
    core("take-last", 2, 2, |_, a| {
        let items = to_vec(a[1])?;
        let n = usize::try_from(to_long(a[0])?.max(0))
            .unwrap_or(0)
            .min(items.len());
        Ok(seq_of(items[items.len() - n..].to_vec()))
    });
    core("split-at", 2, 2, |_, a| {
        Ok(vector_obj([
            crate::core::lazy::take(a[0], a[1]),
            crate::core::lazy::drop(a[0], a[1]),
        ]))
    });
    core("split-with", 2, 2, |_, a| {
        Ok(vector_obj([
            crate::core::lazy::take_while(a[0], a[1]),
            crate::core::lazy::drop_while(a[0], a[1]),
        ]))
    });
    // With a transducer, the first output is computed at once, as Clojure's
    // `chunkIteratorSeq` does.
    core("sequence", 1, VARIADIC, |_, a| match a {
        [coll] if coll.is_seq() => Ok(*coll),
        [coll] => Ok(seq(*coll)?.unwrap_or_else(empty_list)),
        [xform, colls @ ..] => {
            let outputs = crate::core::lazy::transformer_seq(&[*xform], colls)?;
            Ok(if outputs.is_nil() {
                empty_list()
            } else {
                outputs
            })
        }
        [] => unreachable!("arity 1.."),
    });
    core("shuffle", 1, 1, |_, a| {
        // Clojure copies a java.util.Collection: not nil, a string or a map.
        let collection =
            matches!(*a[0], Object::Vector(_) | Object::Set(_) | Object::Queue(_)) || a[0].is_seq();
        if !collection {
            return Err(crate::error::class_cast(a[0], "java.util.Collection"));
        }
        let mut items = to_vec(a[0])?;
        for i in (1..items.len()).rev() {
            let j = (crate::core::misc::random() * (i + 1) as f64) as usize;
            items.swap(i, j.min(i));
        }
        Ok(vector_obj(items))
    });
    core("rand-nth", 1, 1, |_, a| {
        let n = crate::core::colls::count(a[0])?;
        crate::core::colls::nth(
            a[0],
            int((crate::core::misc::random() * n as f64) as i64),
            None,
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equality::compare;
    use crate::object::int;

    #[test]
    fn java_sort_is_stable() {
        let pairs: Vec<Obj> = [(1, 0), (0, 1), (1, 2), (0, 3)]
            .iter()
            .map(|(k, i)| vector_obj([int(*k), int(*i)]))
            .collect();
        let first_of = |v: Obj| match &*v {
            Object::Vector(v) => v.0[0],
            _ => nil(),
        };
        let sorted = java_sort(pairs, &mut |a, b| compare(first_of(a), first_of(b)))
            .ok()
            .unwrap();
        let text = crate::print::pr_str(vector_obj(sorted)).ok().unwrap();
        assert_eq!(text, "[[0 1] [0 3] [1 0] [1 2]]");
    }
}
