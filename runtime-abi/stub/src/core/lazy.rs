//! clojure.core's lazy seq fns (lazy where Clojure is: `map`, `filter`,
//! `range`, `iterate`, `concat`, `partition`, ...), each a native thunk that
//! realizes one step, plus transducers (`(map f)`, `(filter p)`, `cat`, ...),
//! `transduce`, and jank.runtime/lazy-seq, which the `lazy-seq` macro calls.

use std::cell::Cell;

use super::{core, core_collecting, def, VARIADIC};
use crate::coll::{set_obj, vector_obj, Set};
use crate::equality::equiv;
use crate::error::R;
use crate::function::{call, native, Callee};
use crate::gc::RootFrame;
use crate::number::{self, num, to_long, Num};
use crate::object::{alloc, boolean, empty_list, int, nil, truthy, Obj, Object};
use crate::seq::{
    chunk_cons, chunk_of, lazy, lazy_aseq, lazy_fn, list_of, long_range, seq, seq_first, seq_more,
    SeqIter,
};

/// A seq of `x` then the seq `rest`.
fn link(x: Obj, rest: Obj) -> Obj {
    alloc(Object::Cons(x, rest))
}

fn is_pos(n: Obj) -> R<bool> {
    Ok(num(n)?.signum() > 0)
}

fn dec(n: Obj) -> R {
    Ok(number::boxed(number::subtract(num(n)?, Num::Int(1))?))
}

/// `(map f coll)`: a chunk at a time over a chunked seq, as Clojure's.
fn map1(f: Obj, coll: Obj) -> Obj {
    lazy(&[f, coll], |d, _| {
        let Some(s) = seq(d[1])? else {
            return Ok(nil());
        };
        if let Some((chunk, rest)) = chunk_of(s) {
            let f = Callee::of(&d[0], 1);
            let mut mapped = Vec::with_capacity(chunk.len());
            for x in chunk.iter() {
                mapped.push(f.call(&[*x])?);
            }
            return Ok(chunk_cons(mapped, map1(d[0], rest)));
        }
        Ok(link(call(d[0], &[seq_first(s)])?, map1(d[0], seq_more(s))))
    })
}

thread_local! {
    /// What the step fn of `for`'s innermost binding returns for an item a
    /// `:when` drops (0) and for one a `:while` stops at (1): objects no
    /// body can return.
    static FOR_MARKERS: [Obj; 2] = [
        crate::object::alloc_permanent(Object::Plain),
        crate::object::alloc_permanent(Object::Plain),
    ];
}

/// What a `for` body's step returned for an item.
enum ForStep {
    Value(Obj),
    Skip,
    Stop,
}

fn for_step(f: &Callee, x: Obj) -> R<ForStep> {
    let value = f.call(&[x])?;
    let [skip, stop] = FOR_MARKERS.with(|markers| *markers);
    Ok(if value.identical(skip) {
        ForStep::Skip
    } else if value.identical(stop) {
        ForStep::Stop
    } else {
        ForStep::Value(value)
    })
}

/// `(jank.runtime/for-items step coll)`: the innermost binding of a `for`,
/// whose expansion folds the body and the binding's `:let`, `:when` and
/// `:while` into `step`. A chunk at a time over a chunked seq (a `:while`
/// ending the chunk and the seq), one item at a time otherwise, as
/// Clojure's `for` does.
fn for_items(step: Obj, coll: Obj) -> Obj {
    lazy(&[step, coll], |d, _| {
        let f = Callee::of(&d[0], 1);
        let mut coll = d[1];
        loop {
            let Some(s) = seq(coll)? else {
                return Ok(nil());
            };
            if let Some((chunk, rest)) = chunk_of(s) {
                let mut produced = Vec::with_capacity(chunk.len());
                for x in chunk.iter() {
                    match for_step(&f, *x)? {
                        ForStep::Value(value) => produced.push(value),
                        ForStep::Skip => {}
                        ForStep::Stop => return Ok(chunk_cons(produced, nil())),
                    }
                }
                return Ok(chunk_cons(produced, for_items(d[0], rest)));
            }
            match for_step(&f, seq_first(s))? {
                ForStep::Value(value) => return Ok(link(value, for_items(d[0], seq_more(s)))),
                ForStep::Skip => coll = seq_more(s),
                ForStep::Stop => return Ok(nil()),
            }
        }
    })
}

/// `(map f c1 c2 ...)`: stops at the shortest coll.
pub fn map_colls(f: Obj, colls: &[Obj]) -> Obj {
    if let [coll] = colls {
        return map1(f, *coll);
    }
    let mut data = vec![f];
    data.extend_from_slice(colls);
    lazy(&data, |d, _| {
        let mut firsts = Vec::with_capacity(d.len() - 1);
        let mut rests = Vec::with_capacity(d.len() - 1);
        for coll in &d[1..] {
            let Some(s) = seq(*coll)? else {
                return Ok(nil());
            };
            firsts.push(seq_first(s));
            rests.push(seq_more(s));
        }
        Ok(link(call(d[0], &firsts)?, map_colls(d[0], &rests)))
    })
}

/// `(filter pred coll)`, or `remove` when `keep_when` is false; a chunk at
/// a time over a chunked seq, as Clojure's.
pub(crate) fn filter(pred: Obj, coll: Obj, keep_when: bool) -> Obj {
    lazy(&[pred, coll, boolean(keep_when)], |d, _| {
        let mut coll = d[1];
        let keep_when = truthy(d[2]);
        loop {
            let Some(s) = seq(coll)? else {
                return Ok(nil());
            };
            if let Some((chunk, rest)) = chunk_of(s) {
                let pred = Callee::of(&d[0], 1);
                let mut kept = Vec::with_capacity(chunk.len());
                for x in chunk.iter() {
                    if truthy(pred.call(&[*x])?) == keep_when {
                        kept.push(*x);
                    }
                }
                return Ok(chunk_cons(kept, filter(d[0], rest, keep_when)));
            }
            let x = seq_first(s);
            if truthy(call(d[0], &[x])?) == keep_when {
                return Ok(link(x, filter(d[0], seq_more(s), keep_when)));
            }
            coll = seq_more(s);
        }
    })
}

/// `(keep f coll)` / `(keep-indexed f coll)` (`index` is nil for keep); a
/// chunk at a time over a chunked seq, as Clojure's.
fn keep(f: Obj, coll: Obj, index: Obj) -> Obj {
    lazy(&[f, coll, index], |d, _| {
        let (mut coll, mut index) = (d[1], d[2]);
        loop {
            let Some(s) = seq(coll)? else {
                return Ok(nil());
            };
            if let Some((chunk, rest)) = chunk_of(s) {
                let mut kept = Vec::with_capacity(chunk.len());
                for x in chunk.iter() {
                    let value = if index.is_nil() {
                        call(d[0], &[*x])?
                    } else {
                        let value = call(d[0], &[index, *x])?;
                        index = crate::core::numbers::inc(index)?;
                        value
                    };
                    if !value.is_nil() {
                        kept.push(value);
                    }
                }
                return Ok(chunk_cons(kept, keep(d[0], rest, index)));
            }
            let value = if index.is_nil() {
                call(d[0], &[seq_first(s)])?
            } else {
                call(d[0], &[index, seq_first(s)])?
            };
            let next_index = if index.is_nil() {
                index
            } else {
                crate::core::numbers::inc(index)?
            };
            if !value.is_nil() {
                return Ok(link(value, keep(d[0], seq_more(s), next_index)));
            }
            coll = seq_more(s);
            index = next_index;
        }
    })
}

/// `(map-indexed f coll)` from `index`; a chunk at a time over a chunked
/// seq, as Clojure's.
fn map_indexed(f: Obj, coll: Obj, index: i64) -> Obj {
    lazy(&[f, coll, int(index)], |d, _| {
        let Some(s) = seq(d[1])? else {
            return Ok(nil());
        };
        let i = to_long(d[2])?;
        if let Some((chunk, rest)) = chunk_of(s) {
            let mut mapped = Vec::with_capacity(chunk.len());
            for (offset, x) in chunk.iter().enumerate() {
                mapped.push(call(d[0], &[int(i + offset as i64), *x])?);
            }
            return Ok(chunk_cons(
                mapped,
                map_indexed(d[0], rest, i + chunk.len() as i64),
            ));
        }
        Ok(link(
            call(d[0], &[d[2], seq_first(s)])?,
            map_indexed(d[0], seq_more(s), i + 1),
        ))
    })
}

/// `(take n coll)`.
pub fn take(n: Obj, coll: Obj) -> Obj {
    lazy(&[n, coll], |d, _| {
        if !is_pos(d[0])? {
            return Ok(nil());
        }
        let Some(s) = seq(d[1])? else {
            return Ok(nil());
        };
        Ok(link(seq_first(s), take(dec(d[0])?, seq_more(s))))
    })
}

/// `(take-while pred coll)`.
pub fn take_while(pred: Obj, coll: Obj) -> Obj {
    lazy(&[pred, coll], |d, _| {
        let Some(s) = seq(d[1])? else {
            return Ok(nil());
        };
        let x = seq_first(s);
        if !truthy(call(d[0], &[x])?) {
            return Ok(nil());
        }
        Ok(link(x, take_while(d[0], seq_more(s))))
    })
}

/// `(drop n coll)`.
pub fn drop(n: Obj, coll: Obj) -> Obj {
    lazy(&[n, coll], |d, _| {
        let (mut n, mut coll) = (d[0], d[1]);
        loop {
            let s = seq(coll)?;
            match s {
                Some(current) if is_pos(n)? => {
                    n = dec(n)?;
                    coll = seq_more(current);
                }
                _ => return Ok(s.unwrap_or_else(nil)),
            }
        }
    })
}

/// `(drop-while pred coll)`.
pub fn drop_while(pred: Obj, coll: Obj) -> Obj {
    lazy(&[pred, coll], |d, _| {
        let mut coll = d[1];
        loop {
            let s = seq(coll)?;
            match s {
                Some(current) if truthy(call(d[0], &[seq_first(current)])?) => {
                    coll = seq_more(current)
                }
                _ => return Ok(s.unwrap_or_else(nil)),
            }
        }
    })
}

fn take_nth(n: Obj, coll: Obj) -> Obj {
    lazy(&[n, coll], |d, _| {
        let Some(s) = seq(d[1])? else {
            return Ok(nil());
        };
        Ok(link(seq_first(s), take_nth(d[0], drop(d[0], s))))
    })
}

/// The concatenation of the seqable `current` and then each coll of the seqable `colls`.
fn cat_seq(current: Obj, colls: Obj) -> Obj {
    lazy(&[current, colls], |d, _| {
        let (mut current, mut colls) = (d[0], d[1]);
        loop {
            if let Some(s) = seq(current)? {
                return Ok(link(seq_first(s), cat_seq(seq_more(s), colls)));
            }
            let Some(more) = seq(colls)? else {
                return Ok(nil());
            };
            current = seq_first(more);
            colls = seq_more(more);
        }
    })
}

/// `(concat c1 c2 ...)`.
/// `clojure.core/concat`'s native, by name (what `apply` recognizes).
pub const CONCAT: &str = "clojure.core/concat";

pub fn concat(colls: &[Obj]) -> Obj {
    cat_seq(nil(), list_of(colls))
}

/// `concat` of the colls a seq holds, walking that seq only as far as the
/// result is walked (`(apply concat colls)`).
pub fn concat_lazily(colls: Obj) -> Obj {
    cat_seq(nil(), colls)
}

fn interleave(colls: &[Obj]) -> Obj {
    lazy(colls, |d, _| {
        let mut firsts = Vec::with_capacity(d.len());
        let mut rests = Vec::with_capacity(d.len());
        for coll in d {
            let Some(s) = seq(*coll)? else {
                return Ok(nil());
            };
            firsts.push(seq_first(s));
            rests.push(seq_more(s));
        }
        let mut result = interleave(&rests);
        for x in firsts.into_iter().rev() {
            result = link(x, result);
        }
        Ok(result)
    })
}

/// `(interpose sep coll)`; `leading` puts sep before the first value.
fn interpose(sep: Obj, coll: Obj, leading: bool) -> Obj {
    lazy(&[sep, coll, boolean(leading)], |d, _| {
        let Some(s) = seq(d[1])? else {
            return Ok(nil());
        };
        let rest = link(seq_first(s), interpose(d[0], seq_more(s), true));
        Ok(if truthy(d[2]) { link(d[0], rest) } else { rest })
    })
}

/// The first `n` values of the seqable `coll` (fewer when it ends) and what follows.
fn split(n: usize, coll: Obj) -> R<(Vec<Obj>, Obj)> {
    let mut taken = Vec::with_capacity(n.min(64));
    let mut coll = coll;
    while taken.len() < n {
        let Some(s) = seq(coll)? else { break };
        taken.push(seq_first(s));
        coll = seq_more(s);
    }
    Ok((taken, coll))
}

fn nthrest(coll: Obj, n: usize) -> R {
    let mut coll = coll;
    for _ in 0..n {
        match seq(coll)? {
            Some(s) => coll = seq_more(s),
            None => break,
        }
    }
    Ok(coll)
}

fn count_arg(n: Obj) -> R<usize> {
    Ok(usize::try_from(to_long(n)?).unwrap_or(0))
}

/// `(partition n step pad coll)` (pad travels in the data as a 1-vector, false
/// when absent); `all` makes it partition-all.
pub(crate) fn partition(n: Obj, step: Obj, pad: Option<Obj>, coll: Obj, all: bool) -> Obj {
    let data = [
        n,
        step,
        pad.map_or_else(|| boolean(false), |p| vector_obj([p])),
        coll,
        boolean(all),
    ];
    lazy(&data, |d, _| {
        let (n, step, all) = (count_arg(d[0])?, count_arg(d[1])?, truthy(d[4]));
        let pad = match &*d[2] {
            Object::Vector(v) => Some(v.0[0]),
            _ => None,
        };
        let Some(s) = seq(d[3])? else {
            return Ok(nil());
        };
        let (chunk, _) = split(n, s)?;
        if chunk.len() == n || all {
            let rest = partition(d[0], d[1], pad, nthrest(s, step)?, all);
            return Ok(link(piece(chunk), rest));
        }
        match pad {
            Some(pad) => {
                let mut padded = chunk;
                let (extra, _) = split(n - padded.len(), pad)?;
                padded.extend(extra);
                Ok(list_of(&[piece(padded)]))
            }
            None => Ok(nil()),
        }
    })
}

/// One piece of `partition`, `partition-all` or `partition-by`: a seq, not
/// a list (Clojure's pieces are lazy seqs: `list?` is false).
fn piece(items: Vec<Obj>) -> Obj {
    if items.is_empty() {
        empty_list()
    } else {
        crate::seq::seq_of(items)
    }
}

fn partition_by(f: Obj, coll: Obj) -> Obj {
    lazy(&[f, coll], |d, _| {
        let Some(s) = seq(d[1])? else {
            return Ok(nil());
        };
        let first = seq_first(s);
        let key = call(d[0], &[first])?;
        let mut run = vec![first];
        let mut rest = seq_more(s);
        while let Some(current) = seq(rest)? {
            let x = seq_first(current);
            if !equiv(key, call(d[0], &[x])?)? {
                break;
            }
            run.push(x);
            rest = seq_more(current);
        }
        Ok(link(piece(run), partition_by(d[0], rest)))
    })
}

fn distinct(coll: Obj, seen: Obj) -> Obj {
    lazy(&[coll, seen], |d, _| {
        let Object::Set(seen) = &*d[1] else {
            unreachable!("distinct keeps a set")
        };
        let mut coll = d[0];
        loop {
            let Some(s) = seq(coll)? else {
                return Ok(nil());
            };
            let x = seq_first(s);
            if !seen.contains(x)? {
                return Ok(link(x, distinct(seq_more(s), set_obj(seen.conj(x)?))));
            }
            coll = seq_more(s);
        }
    })
}

/// `(dedupe coll)`: `previous` is a 1-vector of the last value, or nil at the start.
fn dedupe(coll: Obj, previous: Obj) -> Obj {
    lazy(&[coll, previous], |d, _| {
        let mut coll = d[0];
        loop {
            let Some(s) = seq(coll)? else {
                return Ok(nil());
            };
            let x = seq_first(s);
            let repeated = match &*d[1] {
                Object::Vector(v) => equiv(v.0[0], x)?,
                _ => false,
            };
            if !repeated {
                return Ok(link(x, dedupe(seq_more(s), vector_obj([x]))));
            }
            coll = seq_more(s);
        }
    })
}

/// `(iterate f x)` after x: f(x), f(f(x)), ...
fn iterate_after(f: Obj, x: Obj) -> Obj {
    lazy_aseq(&[f, x], |d, _| {
        let y = call(d[0], &[d[1]])?;
        Ok(link(y, iterate_after(d[0], y)))
    })
}

pub(crate) fn repeat(x: Obj, remaining: Option<i64>) -> Obj {
    let data = [x, remaining.map_or_else(nil, int)];
    lazy_aseq(&data, |d, _| {
        let remaining = if d[1].is_nil() {
            None
        } else {
            Some(to_long(d[1])?)
        };
        if remaining.is_some_and(|n| n <= 0) {
            return Ok(nil());
        }
        Ok(link(d[0], repeat(d[0], remaining.map(|n| n - 1))))
    })
}

fn repeatedly(f: Obj, remaining: Option<i64>) -> Obj {
    let data = [f, remaining.map_or_else(nil, int)];
    lazy(&data, |d, _| {
        let remaining = if d[1].is_nil() {
            None
        } else {
            Some(to_long(d[1])?)
        };
        if remaining.is_some_and(|n| n <= 0) {
            return Ok(nil());
        }
        Ok(link(
            call(d[0], &[])?,
            repeatedly(d[0], remaining.map(|n| n - 1)),
        ))
    })
}

/// `(cycle coll)` from `current`, restarting at `all`.
fn cycle(all: Obj, current: Obj) -> Obj {
    lazy_aseq(&[all, current], |d, _| {
        let s = match seq(d[1])? {
            Some(s) => s,
            None => match seq(d[0])? {
                Some(s) => s,
                None => return Ok(nil()),
            },
        };
        Ok(link(seq_first(s), cycle(d[0], seq_more(s))))
    })
}

/// `(range start end step)` over numbers that are not all longs.
fn numeric_range(start: Obj, end: Obj, step: Obj) -> Obj {
    lazy_aseq(&[start, end, step], |d, _| {
        let (start, end, step) = (num(d[0])?, num(d[1])?, num(d[2])?);
        let order = number::compare(&start, &end);
        let done = match step.signum() {
            1 => order != Some(std::cmp::Ordering::Less),
            -1 => order != Some(std::cmp::Ordering::Greater),
            _ => order == Some(std::cmp::Ordering::Equal),
        };
        if done {
            return Ok(nil());
        }
        Ok(link(
            d[0],
            numeric_range(number::boxed(number::add(start, step)?), d[1], d[2]),
        ))
    })
}

fn range(args: &[Obj]) -> R {
    let longs = args.iter().all(|a| matches!(**a, Object::Int(_)));
    let long_at = |i: usize| match *args[i] {
        Object::Int(v) => v,
        _ => 0,
    };
    match args.len() {
        0 => Ok(long_range(0, None, 1)),
        1 if longs => Ok(long_range(0, Some(long_at(0)), 1)),
        2 if longs => Ok(long_range(long_at(0), Some(long_at(1)), 1)),
        3 if longs => Ok(long_range(long_at(0), Some(long_at(1)), long_at(2))),
        1 => Ok(numeric_range(int(0), args[0], int(1))),
        2 => Ok(numeric_range(args[0], args[1], int(1))),
        _ => Ok(numeric_range(args[0], args[1], args[2])),
    }
}

/// `(reductions f init coll)`.
fn reductions(f: Obj, init: Obj, coll: Obj) -> Obj {
    if let Object::Reduced(inner) = &*init {
        return list_of(&[*inner]);
    }
    link(
        init,
        lazy(&[f, init, coll], |d, _| {
            let Some(s) = seq(d[2])? else {
                return Ok(nil());
            };
            Ok(reductions(
                d[0],
                call(d[0], &[d[1], seq_first(s)])?,
                seq_more(s),
            ))
        }),
    )
}

/// `(tree-seq branch? children root)`.
fn tree_seq(branch: Obj, children: Obj, root: Obj) -> Obj {
    lazy(&[branch, children, root], |d, _| {
        let below = if truthy(call(d[0], &[d[2]])?) {
            let walk = native("clojure.core/tree-seq/walk", 1, 1, &d[..2], |w, a| {
                Ok(tree_seq(w[0], w[1], a[0]))
            });
            cat_seq(nil(), map1(walk, call(d[1], &[d[2]])?))
        } else {
            nil()
        };
        Ok(link(d[2], below))
    })
}

fn flatten(x: Obj) -> R {
    let branch = native("clojure.core/sequential?", 1, 1, &[], |_, a| {
        Ok(boolean(a[0].is_sequential()))
    });
    let children = native("clojure.core/seq", 1, 1, &[], |_, a| {
        Ok(seq(a[0])?.unwrap_or_else(nil))
    });
    let all = tree_seq(branch, children, x);
    let not_sequential = native("clojure.core/flatten/leaf?", 1, 1, &[], |_, a| {
        Ok(boolean(!a[0].is_sequential()))
    });
    Ok(filter(not_sequential, crate::seq::rest(all)?, true))
}

// ---- transducers ----

/// A reducing fn over `rf` whose step (result, input) is `step(data, result, input)`;
/// arity 0 and 1 delegate to `rf` (data[0]).
fn reducing(data: &[Obj], step: crate::function::NativeFn) -> Obj {
    native("clojure.core/rf", 0, 2, data, step)
}

/// As [`reducing`], for the transducers whose step takes several inputs at
/// once (`(sequence (map f) c1 c2)` steps with one item of each coll).
fn reducing_multi(data: &[Obj], step: crate::function::NativeFn) -> Obj {
    native("clojure.core/rf", 0, VARIADIC, data, step)
}

/// The init and completion arities every transducer's reducing fn shares.
fn rf_arities(d: &[Obj], a: &[Obj], step: impl FnOnce(Obj, Obj) -> R) -> R {
    match *a {
        [] => call(d[0], &[]),
        [result] => call(d[0], &[result]),
        [result, input] => step(result, input),
        _ => unreachable!("reducing fns take 0..=2 arguments"),
    }
}

fn volatile(value: Obj) -> Obj {
    alloc(Object::Volatile(Cell::new(value)))
}

fn volatile_cell(v: &Obj) -> &Cell<Obj> {
    match &**v {
        Object::Volatile(cell) => cell,
        _ => unreachable!("transducer state is a volatile"),
    }
}

fn reduced(value: Obj) -> Obj {
    if let Object::Reduced(_) = &*value {
        return value;
    }
    alloc(Object::Reduced(value))
}

/// A transducer: called with rf, makes `reducing([rf, params.., state..], step)`.
fn transducer(name: &'static str, params: &[Obj], make: crate::function::NativeFn) -> Obj {
    native(name, 1, 1, params, make)
}

fn with_rf(rf: Obj, rest: &[Obj]) -> Vec<Obj> {
    let mut data = vec![rf];
    data.extend_from_slice(rest);
    data
}

fn map_xf(f: Obj) -> Obj {
    transducer("clojure.core/map", &[f], |p, a| {
        Ok(reducing_multi(&with_rf(a[0], p), |d, a| match a {
            [result, inputs @ ..] if inputs.len() > 1 => {
                call(d[0], &[*result, call(d[1], inputs)?])
            }
            _ => rf_arities(d, a, |r, x| call(d[0], &[r, call(d[1], &[x])?])),
        }))
    })
}

pub(crate) fn filter_xf(pred: Obj, keep_when: bool) -> Obj {
    transducer(
        "clojure.core/filter",
        &[pred, boolean(keep_when)],
        |p, a| {
            Ok(reducing(&with_rf(a[0], p), |d, a| {
                rf_arities(d, a, |r, x| {
                    if truthy(call(d[1], &[x])?) == truthy(d[2]) {
                        call(d[0], &[r, x])
                    } else {
                        Ok(r)
                    }
                })
            }))
        },
    )
}

fn keep_xf(f: Obj, indexed: bool) -> Obj {
    transducer("clojure.core/keep", &[f, boolean(indexed)], |p, a| {
        Ok(reducing(
            &with_rf(a[0], &[p[0], p[1], volatile(int(0))]),
            |d, a| {
                rf_arities(d, a, |r, x| {
                    let value = if truthy(d[2]) {
                        let index = volatile_cell(&d[3]);
                        let i = index.get();
                        index.set(crate::core::numbers::inc(i)?);
                        call(d[1], &[i, x])?
                    } else {
                        call(d[1], &[x])?
                    };
                    if value.is_nil() {
                        Ok(r)
                    } else {
                        call(d[0], &[r, value])
                    }
                })
            },
        ))
    })
}

fn map_indexed_xf(f: Obj) -> Obj {
    transducer("clojure.core/map-indexed", &[f], |p, a| {
        Ok(reducing(
            &with_rf(a[0], &[p[0], volatile(int(0))]),
            |d, a| {
                rf_arities(d, a, |r, x| {
                    let index = volatile_cell(&d[2]);
                    let i = index.get();
                    index.set(crate::core::numbers::inc(i)?);
                    call(d[0], &[r, call(d[1], &[i, x])?])
                })
            },
        ))
    })
}

fn take_xf(n: Obj) -> Obj {
    transducer("clojure.core/take", &[n], |p, a| {
        Ok(reducing(&with_rf(a[0], &[volatile(p[0])]), |d, a| {
            rf_arities(d, a, |r, x| {
                let remaining = volatile_cell(&d[1]);
                let n = remaining.get();
                let next = dec(n)?;
                remaining.set(next);
                let result = if is_pos(n)? { call(d[0], &[r, x])? } else { r };
                Ok(if is_pos(next)? {
                    result
                } else {
                    reduced(result)
                })
            })
        }))
    })
}

fn drop_xf(n: Obj) -> Obj {
    transducer("clojure.core/drop", &[n], |p, a| {
        Ok(reducing(&with_rf(a[0], &[volatile(p[0])]), |d, a| {
            rf_arities(d, a, |r, x| {
                let remaining = volatile_cell(&d[1]);
                let n = remaining.get();
                remaining.set(dec(n)?);
                if is_pos(n)? {
                    Ok(r)
                } else {
                    call(d[0], &[r, x])
                }
            })
        }))
    })
}

fn take_while_xf(pred: Obj) -> Obj {
    transducer("clojure.core/take-while", &[pred], |p, a| {
        Ok(reducing(&with_rf(a[0], p), |d, a| {
            rf_arities(d, a, |r, x| {
                if truthy(call(d[1], &[x])?) {
                    call(d[0], &[r, x])
                } else {
                    Ok(reduced(r))
                }
            })
        }))
    })
}

fn drop_while_xf(pred: Obj) -> Obj {
    transducer("clojure.core/drop-while", &[pred], |p, a| {
        Ok(reducing(
            &with_rf(a[0], &[p[0], volatile(boolean(true))]),
            |d, a| {
                rf_arities(d, a, |r, x| {
                    let dropping = volatile_cell(&d[2]);
                    if truthy(dropping.get()) && truthy(call(d[1], &[x])?) {
                        return Ok(r);
                    }
                    dropping.set(boolean(false));
                    call(d[0], &[r, x])
                })
            },
        ))
    })
}

fn take_nth_xf(n: Obj) -> Obj {
    transducer("clojure.core/take-nth", &[n], |p, a| {
        Ok(reducing(
            &with_rf(a[0], &[p[0], volatile(int(-1))]),
            |d, a| {
                rf_arities(d, a, |r, x| {
                    let index = volatile_cell(&d[2]);
                    let i = to_long(index.get())? + 1;
                    index.set(int(i));
                    let n = to_long(d[1])?;
                    // Clojure's `(rem i n)`: a step of 0 divides by zero.
                    if n == 0 {
                        return Err(crate::error::error(
                            "java.lang.ArithmeticException",
                            "Divide by zero",
                        ));
                    }
                    if i % n == 0 {
                        call(d[0], &[r, x])
                    } else {
                        Ok(r)
                    }
                })
            },
        ))
    })
}

fn distinct_xf() -> Obj {
    transducer("clojure.core/distinct", &[], |_, a| {
        Ok(reducing(
            &[a[0], volatile(set_obj(Set::empty()))],
            |d, a| {
                rf_arities(d, a, |r, x| {
                    let seen = volatile_cell(&d[1]);
                    let Object::Set(set) = &*seen.get() else {
                        unreachable!("distinct keeps a set")
                    };
                    if set.contains(x)? {
                        return Ok(r);
                    }
                    seen.set(set_obj(set.conj(x)?));
                    call(d[0], &[r, x])
                })
            },
        ))
    })
}

fn dedupe_xf() -> Obj {
    transducer("clojure.core/dedupe", &[], |_, a| {
        Ok(reducing(&[a[0], volatile(nil())], |d, a| {
            rf_arities(d, a, |r, x| {
                let previous = volatile_cell(&d[1]);
                let repeated = match &*previous.get() {
                    Object::Vector(v) => equiv(v.0[0], x)?,
                    _ => false,
                };
                previous.set(vector_obj([x]));
                if repeated {
                    Ok(r)
                } else {
                    call(d[0], &[r, x])
                }
            })
        }))
    })
}

fn interpose_xf(sep: Obj) -> Obj {
    transducer("clojure.core/interpose", &[sep], |p, a| {
        Ok(reducing(
            &with_rf(a[0], &[p[0], volatile(boolean(false))]),
            |d, a| {
                rf_arities(d, a, |r, x| {
                    let started = volatile_cell(&d[2]);
                    if !truthy(started.get()) {
                        started.set(boolean(true));
                        return call(d[0], &[r, x]);
                    }
                    let with_sep = call(d[0], &[r, d[1]])?;
                    if let Object::Reduced(_) = &*with_sep {
                        return Ok(with_sep);
                    }
                    call(d[0], &[with_sep, x])
                })
            },
        ))
    })
}

/// `cat` applied to rf: reduces each input collection into the result.
fn cat_rf(rf: Obj) -> Obj {
    reducing(&[rf], |d, a| {
        rf_arities(d, a, |r, x| {
            let mut acc = r;
            for item in SeqIter::new(x) {
                acc = call(d[0], &[acc, item?])?;
                if let Object::Reduced(_) = &*acc {
                    return Ok(reduced(acc));
                }
            }
            Ok(acc)
        })
    })
}

pub(crate) fn partition_all_xf(n: Obj) -> Obj {
    transducer("clojure.core/partition-all", &[n], |p, a| {
        Ok(reducing(
            &with_rf(a[0], &[p[0], volatile(vector_obj([]))]),
            |d, a| {
                let buffer = volatile_cell(&d[2]);
                match *a {
                    [] => call(d[0], &[]),
                    [result] => complete_with_pending(d[0], buffer, result),
                    [result, input] => {
                        let filled = crate::core::colls::conj(buffer.get(), input)?;
                        if crate::core::colls::count(filled)? < count_arg(d[1])? {
                            buffer.set(filled);
                            return Ok(result);
                        }
                        buffer.set(vector_obj([]));
                        call(d[0], &[result, filled])
                    }
                    _ => unreachable!("reducing fns take 0..=2 arguments"),
                }
            },
        ))
    })
}

fn mapcat_xf(f: Obj) -> Obj {
    transducer("clojure.core/mapcat", &[f], |p, a| {
        let inner = cat_rf(a[0]);
        Ok(reducing_multi(&[inner, p[0]], |d, a| match a {
            [result, inputs @ ..] if inputs.len() > 1 => {
                call(d[0], &[*result, call(d[1], inputs)?])
            }
            _ => rf_arities(d, a, |r, x| call(d[0], &[r, call(d[1], &[x])?])),
        }))
    })
}

/// `(partition-by f)`: runs of inputs with equal `(f input)`, each flushed
/// as a vector when the next run starts and at completion.
fn partition_by_xf(f: Obj) -> Obj {
    transducer("clojure.core/partition-by", &[f], |p, a| {
        let state = [volatile(vector_obj([])), volatile(nil())];
        Ok(reducing(
            &with_rf(a[0], &[p[0], state[0], state[1]]),
            |d, a| {
                let (buffer, previous) = (volatile_cell(&d[2]), volatile_cell(&d[3]));
                match *a {
                    [] => call(d[0], &[]),
                    [result] => complete_with_pending(d[0], buffer, result),
                    [result, input] => {
                        let key = call(d[1], &[input])?;
                        // The previous key is held in a 1-vector: none before the first input.
                        let same_run = match &*previous.replace(vector_obj([key])) {
                            Object::Vector(v) => equiv(v.0[0], key)?,
                            _ => true,
                        };
                        if same_run {
                            buffer.set(crate::core::colls::conj(buffer.get(), input)?);
                            return Ok(result);
                        }
                        let run = buffer.replace(vector_obj([]));
                        let stepped = call(d[0], &[result, run])?;
                        if !matches!(&*stepped, Object::Reduced(_)) {
                            buffer.set(vector_obj([input]));
                        }
                        Ok(stepped)
                    }
                    _ => unreachable!("reducing fns take 0..=2 arguments"),
                }
            },
        ))
    })
}

/// `(halt-when pred retf)`: an input matching `pred` ends the reduction,
/// whose result is then `(retf (rf result) input)`, or the input without
/// `retf`, carried out of the completion under `:clojure.core/halt`.
fn halt_when_xf(pred: Obj, retf: Obj) -> Obj {
    transducer("clojure.core/halt-when", &[pred, retf], |p, a| {
        Ok(reducing(&with_rf(a[0], p), |d, a| {
            let halt = crate::object::keyword(Some("clojure.core"), "halt");
            match *a {
                [] => call(d[0], &[]),
                [result] => match &*result {
                    Object::Map(m) => match m.find(halt)? {
                        Some((_, value)) => Ok(value),
                        None => call(d[0], &[result]),
                    },
                    _ => call(d[0], &[result]),
                },
                [result, input] => {
                    if !truthy(call(d[1], &[input])?) {
                        return call(d[0], &[result, input]);
                    }
                    let value = if truthy(d[2]) {
                        call(d[2], &[call(d[0], &[result])?, input])?
                    } else {
                        input
                    };
                    let halted = crate::coll::Map::from_pairs([(halt, value)], true)?;
                    Ok(reduced(crate::coll::map_obj(halted)))
                }
                _ => unreachable!("reducing fns take 0..=2 arguments"),
            }
        }))
    })
}

/// The completion step of a partitioning transducer: the partition still
/// in `buffer`, if any, goes to `rf` (its reduced result unwrapped), then
/// `rf` completes.
fn complete_with_pending(rf: Obj, buffer: &Cell<Obj>, result: Obj) -> R {
    let pending = buffer.replace(vector_obj([]));
    let result = if crate::core::colls::count(pending)? > 0 {
        unreduced(call(rf, &[result, pending])?)
    } else {
        result
    };
    call(rf, &[result])
}

fn unreduced(value: Obj) -> Obj {
    match &*value {
        Object::Reduced(inner) => *inner,
        _ => value,
    }
}

/// How many outputs a step of [`transformer_seq`] gathers, as the chunks
/// of Clojure's `chunkIteratorSeq` over a TransformerIterator.
const TRANSFORMED_CHUNK: usize = 32;

/// The reducing fn at the bottom of a [`transformer_seq`]: each output is
/// appended to `buffer` (a volatile vector) and the result is ignored.
fn buffering_rf(buffer: Obj) -> Obj {
    native(
        "clojure.core/sequence/rf",
        0,
        2,
        &[buffer],
        |d, a| match *a {
            [] | [_] => Ok(nil()),
            [_, output] => {
                let buffer = volatile_cell(&d[0]);
                buffer.set(crate::core::colls::conj(buffer.get(), output)?);
                Ok(nil())
            }
            _ => unreachable!("arity 0..=2"),
        },
    )
}

/// `(sequence xform coll)`, `(sequence xform c1 c2 ...)` and `eduction`: the
/// outputs of `xforms` (applied right to left, as `comp` does) over the
/// items of `colls` (tuples of one item of each when there are several,
/// stepped as several inputs), as Clojure's `chunkIteratorSeq` over a
/// TransformerIterator walks them: the first output is computed at once,
/// then each realization takes a chunk of up to 32 and computes the output
/// after it. The completion step runs once, when the source ends or a step
/// is reduced.
pub fn transformer_seq(xforms: &[Obj], colls: &[Obj]) -> R {
    outputs_from(&transformer(xforms, colls)?)
}

/// An eduction: as [`transformer_seq`], with nothing computed until it is walked.
fn eduction(xforms: &[Obj], coll: Obj) -> R {
    let state = transformer(xforms, &[coll])?;
    Ok(lazy(&state, |d, _| {
        Ok(seq(outputs_from(d)?)?.unwrap_or_else(nil))
    }))
}

/// The state a [`transformer_seq`] walks: `[rf, source, buffer, multi, done]`,
/// where the buffer is a volatile vector of the outputs not yet taken and
/// `done` a volatile that is true once the completion step has run.
fn transformer(xforms: &[Obj], colls: &[Obj]) -> R<[Obj; 5]> {
    let buffer = volatile(vector_obj([]));
    let mut rf = buffering_rf(buffer);
    for xform in xforms.iter().rev() {
        rf = call(*xform, &[rf])?;
    }
    let (source, multi) = match colls {
        [coll] => (*coll, false),
        _ => {
            let tuple = native("clojure.core/sequence/tuple", 0, VARIADIC, &[], |_, a| {
                Ok(vector_obj(a.iter().copied()))
            });
            (map_colls(tuple, colls), true)
        }
    };
    Ok([
        rf,
        volatile(source),
        buffer,
        boolean(multi),
        volatile(boolean(false)),
    ])
}

/// Steps the source until the buffer holds `wanted` outputs or the
/// transformation has completed.
fn pump(state: &[Obj], wanted: usize) -> R<()> {
    let (rf, source, buffer, multi, done) = (
        state[0],
        volatile_cell(&state[1]),
        volatile_cell(&state[2]),
        truthy(state[3]),
        volatile_cell(&state[4]),
    );
    while !truthy(done.get()) && crate::core::colls::count(buffer.get())? < wanted {
        let Some(s) = seq(source.get())? else {
            done.set(boolean(true));
            call(rf, &[nil()])?;
            break;
        };
        source.set(seq_more(s));
        let stepped = if multi {
            let mut inputs = vec![nil()];
            inputs.extend(crate::seq::to_vec(seq_first(s))?);
            call(rf, &inputs)?
        } else {
            call(rf, &[nil(), seq_first(s)])?
        };
        if let Object::Reduced(_) = &*stepped {
            done.set(boolean(true));
            call(rf, &[nil()])?;
        }
    }
    Ok(())
}

/// nil when no output is left, else a lazy seq of the outputs from here.
fn outputs_from(state: &[Obj]) -> R {
    pump(state, 1)?;
    if crate::core::colls::count(volatile_cell(&state[2]).get())? == 0 {
        return Ok(nil());
    }
    Ok(lazy(state, |d, _| {
        pump(d, TRANSFORMED_CHUNK)?;
        let buffer = volatile_cell(&d[2]);
        let mut outputs = crate::seq::to_vec(buffer.get())?;
        let left = outputs.split_off(outputs.len().min(TRANSFORMED_CHUNK));
        buffer.set(vector_obj(left));
        Ok(chunk_cons(outputs, outputs_from(d)?))
    }))
}

/// `(transduce xform f init coll)`: collects while it runs (the calls to
/// `xform` and `f` may run jank code), so its arguments and the reducing fn
/// `xform` makes are rooted until `reduce` roots its own state.
fn transduce(xform: Obj, f: Obj, init: Option<Obj>, coll: Obj) -> R {
    let roots = RootFrame::new(&[xform, f, coll, init.unwrap_or_else(nil), nil()]);
    let rf = call(xform, &[f])?;
    roots.set(4, rf);
    let init = match init {
        Some(init) => init,
        None => call(f, &[])?,
    };
    let result = crate::core::seqs::reduce(rf, Some(init), coll)?;
    call(rf, &[result])
}

/// `(into to xform from)`.
pub fn transduce_into(to: Obj, xform: Obj, from: Obj) -> R {
    let conj = native("clojure.core/conj", 0, 2, &[], |_, a| match *a {
        [] => Ok(vector_obj([])),
        [coll] => Ok(coll),
        [coll, x] => crate::core::colls::conj(coll, x),
        _ => unreachable!("arity 0..=2"),
    });
    transduce(xform, conj, Some(to), from)
}

/// `(replace smap)`'s fn: x's value in smap, or x.
fn replacer(smap: Obj) -> Obj {
    native("clojure.core/replace/fn", 1, 1, &[smap], |d, a| {
        let entry = crate::core::colls::find(d[0], a[0])?;
        if entry.is_nil() {
            Ok(a[0])
        } else {
            crate::core::colls::nth(entry, int(1), None)
        }
    })
}

/// Registers a clojure.core fn that is a transducer with one argument and
/// a lazy seq over `coll` with two, as `(take n)` and `(take n coll)`:
/// `transducer_or_seq!("take", n, coll: take_xf(n); take(n, coll))`.
macro_rules! transducer_or_seq {
    ($name:literal, $x:ident, $coll:ident: $xf:expr; $seq:expr) => {
        core($name, 1, 2, |_, a| match *a {
            [$x] => Ok($xf),
            [$x, $coll] => Ok($seq),
            _ => unreachable!("arity 1..=2"),
        })
    };
}

pub fn install() {
    def("jank.runtime", "lazy-seq", 1, 1, |_, a| Ok(lazy_fn(a[0])));
    def("jank.runtime", "for-items", 2, 2, |_, a| {
        Ok(for_items(a[0], a[1]))
    });
    for (name, marker) in ["for-skip", "for-stop"]
        .into_iter()
        .zip(FOR_MARKERS.with(|m| *m))
    {
        crate::var::bind_root(crate::var::intern_raw("jank.runtime", name), marker);
    }
    core("map", 1, VARIADIC, |_, a| match a {
        [f] => Ok(map_xf(*f)),
        [f, colls @ ..] => Ok(map_colls(*f, colls)),
        [] => unreachable!("arity 1.."),
    });
    transducer_or_seq!("filter", pred, coll: filter_xf(pred, true); filter(pred, coll, true));
    transducer_or_seq!("remove", pred, coll: filter_xf(pred, false); filter(pred, coll, false));
    transducer_or_seq!("keep", f, coll: keep_xf(f, false); keep(f, coll, nil()));
    transducer_or_seq!("keep-indexed", f, coll: keep_xf(f, true); keep(f, coll, int(0)));
    transducer_or_seq!("map-indexed", f, coll: map_indexed_xf(f); map_indexed(f, coll, 0));
    transducer_or_seq!("take", n, coll: take_xf(n); take(n, coll));
    transducer_or_seq!("take-while", pred, coll: take_while_xf(pred); take_while(pred, coll));
    transducer_or_seq!("drop", n, coll: drop_xf(n); drop(n, coll));
    transducer_or_seq!("drop-while", pred, coll: drop_while_xf(pred); drop_while(pred, coll));
    transducer_or_seq!("take-nth", n, coll: take_nth_xf(n); take_nth(n, coll));
    core("distinct", 0, 1, |_, a| match *a {
        [] => Ok(distinct_xf()),
        [coll] => Ok(distinct(coll, set_obj(Set::empty()))),
        _ => unreachable!("arity 0..=1"),
    });
    core("dedupe", 0, 1, |_, a| match *a {
        [] => Ok(dedupe_xf()),
        [coll] => Ok(dedupe(coll, nil())),
        _ => unreachable!("arity 0..=1"),
    });
    transducer_or_seq!("interpose", sep, coll: interpose_xf(sep); interpose(sep, coll, false));
    core("mapcat", 1, VARIADIC, |_, a| match a {
        [f] => Ok(mapcat_xf(*f)),
        [f, colls @ ..] => {
            // Clojure's `(apply concat (apply map f colls))` takes the seq of
            // the mapped colls at once: the first call of `f` happens here.
            let mapped = map_colls(*f, colls);
            seq(mapped)?;
            Ok(cat_seq(nil(), mapped))
        }
        [] => unreachable!("arity 1.."),
    });
    core("cat", 1, 1, |_, a| Ok(cat_rf(a[0])));
    core("replace", 1, 2, |_, a| match *a {
        [smap] => Ok(map_xf(replacer(smap))),
        [smap, coll] => match &*coll {
            Object::Vector(v) => {
                let f = replacer(smap);
                let items = v.0.iter().map(|x| call(f, &[*x])).collect::<R<Vec<_>>>()?;
                Ok(vector_obj(items))
            }
            _ => Ok(map1(replacer(smap), coll)),
        },
        _ => unreachable!("arity 1..=2"),
    });
    core("concat", 0, VARIADIC, |_, a| Ok(concat(a)));
    core("interleave", 0, VARIADIC, |_, a| match a {
        [] => Ok(empty_list()),
        [coll] => Ok(lazy(&[*coll], |d, _| Ok(seq(d[0])?.unwrap_or_else(nil)))),
        _ => Ok(interleave(a)),
    });
    core("partition", 2, 4, |_, a| match *a {
        [n, coll] => Ok(partition(n, n, None, coll, false)),
        [n, step, coll] => Ok(partition(n, step, None, coll, false)),
        [n, step, pad, coll] => Ok(partition(n, step, Some(pad), coll, false)),
        _ => unreachable!("arity 2..=4"),
    });
    core("partition-all", 1, 3, |_, a| match *a {
        [n] => Ok(partition_all_xf(n)),
        [n, coll] => Ok(partition(n, n, None, coll, true)),
        [n, step, coll] => Ok(partition(n, step, None, coll, true)),
        _ => unreachable!("arity 1..=3"),
    });
    transducer_or_seq!("partition-by", f, coll: partition_by_xf(f); partition_by(f, coll));
    core("halt-when", 1, 2, |_, a| {
        Ok(halt_when_xf(a[0], a.get(1).copied().unwrap_or_else(nil)))
    });
    // An Eduction is a seq of its outputs here, realized (once) when first
    // walked; Clojure's runs the transformation again on each walk.
    core("eduction", 1, VARIADIC, |_, a| {
        let (coll, xforms) = a.split_last().expect("arity 1..");
        eduction(xforms, *coll)
    });
    core("iterate", 2, 2, |_, a| {
        Ok(lazy_aseq(&[a[0], a[1]], |d, _| {
            Ok(link(d[1], iterate_after(d[0], d[1])))
        }))
    });
    core("repeat", 1, 2, |_, a| match *a {
        [x] => Ok(repeat(x, None)),
        [n, x] => Ok(repeat(x, Some(to_long(n)?))),
        _ => unreachable!("arity 1..=2"),
    });
    core("repeatedly", 1, 2, |_, a| match *a {
        [f] => Ok(repeatedly(f, None)),
        [n, f] => Ok(repeatedly(f, Some(to_long(n)?))),
        _ => unreachable!("arity 1..=2"),
    });
    // Clojure's Cycle takes `(seq coll)` at once: a bad coll throws here.
    core("cycle", 1, 1, |_, a| match seq(a[0])? {
        None => Ok(empty_list()),
        Some(_) => Ok(cycle(a[0], a[0])),
    });
    core("range", 0, 3, |_, a| range(a));
    core("reductions", 2, 3, |_, a| match *a {
        [f, coll] => Ok(lazy(&[f, coll], |d, _| match seq(d[1])? {
            Some(s) => Ok(reductions(d[0], seq_first(s), seq_more(s))),
            None => Ok(list_of(&[call(d[0], &[])?])),
        })),
        [f, init, coll] => Ok(reductions(f, init, coll)),
        _ => unreachable!("arity 2..=3"),
    });
    core("drop-last", 1, 2, |_, a| {
        let (n, coll) = match *a {
            [coll] => (int(1), coll),
            [n, coll] => (n, coll),
            _ => unreachable!("arity 1..=2"),
        };
        let first_of_pair = native("clojure.core/drop-last/fn", 2, 2, &[], |_, a| Ok(a[0]));
        Ok(map_colls(first_of_pair, &[coll, drop(n, coll)]))
    });
    core("tree-seq", 3, 3, |_, a| Ok(tree_seq(a[0], a[1], a[2])));
    core("flatten", 1, 1, |_, a| flatten(a[0]));
    core_collecting("transduce", 3, 4, |_, a| match *a {
        [xform, f, coll] => transduce(xform, f, None, coll),
        [xform, f, init, coll] => transduce(xform, f, Some(init), coll),
        _ => unreachable!("arity 3..=4"),
    });
    core("completing", 1, 2, |_, a| {
        let finish = a.get(1).copied().unwrap_or_else(nil);
        Ok(native(
            "clojure.core/completing/fn",
            0,
            2,
            &[a[0], finish],
            |d, a| match *a {
                [] => call(d[0], &[]),
                [x] if d[1].is_nil() => Ok(x),
                [x] => call(d[1], &[x]),
                [acc, x] => call(d[0], &[acc, x]),
                _ => unreachable!("arity 0..=2"),
            },
        ))
    });
    core("reduced", 1, 1, |_, a| Ok(alloc(Object::Reduced(a[0]))));
    core("reduced?", 1, 1, |_, a| {
        Ok(boolean(matches!(&*a[0], Object::Reduced(_))))
    });
    core("unreduced", 1, 1, |_, a| match &*a[0] {
        Object::Reduced(inner) => Ok(*inner),
        _ => Ok(a[0]),
    });
    core("ensure-reduced", 1, 1, |_, a| Ok(reduced(a[0])));
}
