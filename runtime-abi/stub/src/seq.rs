//! The seq abstraction: `seq`/`first`/`rest`/`next` over every seqable kind,
//! lazy seqs (realized once, by a jank fn or a native thunk), long ranges
//! (finite and infinite), chunks (Clojure's chunked seqs: finite long
//! ranges, vector seqs and chunked conses hand over 32 values at a time, see
//! [`chunk_of`]), and [`SeqIter`], which walks any seqable without realizing
//! more than it yields.

use std::cell::{BorrowError, RefCell};
use std::rc::Rc;

use crate::error::{illegal_argument, R};
use crate::function::{call, NativeFn};
use crate::object::{alloc, empty_list, int, nil, ListNode, Obj, Object};

/// What realizes a lazy seq.
#[derive(Clone)]
pub enum Thunk {
    /// A jank fn of no arguments.
    Fn(Obj),
    /// A native step over its captured values.
    Native(NativeFn, Rc<[Obj]>),
}

enum LazyState {
    Unrealized(Thunk),
    /// The thunk's value, not yet turned into a seq.
    Value(Obj),
    Realized(Option<Obj>),
}

/// A lazy seq.
pub struct LazySeq {
    state: RefCell<LazyState>,
    /// True for the kinds Clojure implements as ASeq (iterate, repeat, cycle,
    /// non-long ranges): `str` prints them as lists, not `clojure.lang.LazySeq@…`.
    pub aseq: bool,
}

impl LazySeq {
    /// Runs the thunk once (again after it threw), leaving its value.
    fn value(&self) -> R<Option<Obj>> {
        let thunk = match &*self.state.borrow() {
            LazyState::Unrealized(thunk) => thunk.clone(),
            LazyState::Value(v) => return Ok(Some(*v)),
            LazyState::Realized(_) => return Ok(None),
        };
        let value = match thunk {
            Thunk::Fn(f) => call(f, &[])?,
            Thunk::Native(f, data) => f(&data, &[])?,
        };
        let unrealized = matches!(&*self.state.borrow(), LazyState::Unrealized(_));
        if unrealized {
            *self.state.borrow_mut() = LazyState::Value(value);
        }
        Ok(Some(value))
    }

    /// The realized seq (None when empty).
    pub fn seq(&self) -> R<Option<Obj>> {
        if let Some(mut value) = self.value()? {
            while let Object::Lazy(inner) = &*value {
                value = match inner.value()? {
                    Some(v) => v,
                    None => match &*inner.state.borrow() {
                        LazyState::Realized(s) => s.unwrap_or_else(nil),
                        _ => unreachable!("a lazy seq without a value is realized"),
                    },
                };
            }
            let realized = seq(value)?;
            *self.state.borrow_mut() = LazyState::Realized(realized);
        }
        match &*self.state.borrow() {
            LazyState::Realized(s) => Ok(*s),
            _ => unreachable!("seq() leaves the lazy seq realized"),
        }
    }

    /// Calls `visit` with what the lazy seq holds: its thunk's fn or captured
    /// values, its value, or its realized seq. Fails when the state is
    /// borrowed (a realization is running).
    pub(crate) fn trace(&self, visit: &mut dyn FnMut(Obj)) -> Result<(), BorrowError> {
        match &*self.state.try_borrow()? {
            LazyState::Unrealized(Thunk::Fn(f)) => visit(*f),
            LazyState::Unrealized(Thunk::Native(_, data)) => data.iter().for_each(|v| visit(*v)),
            LazyState::Value(v) => visit(*v),
            LazyState::Realized(s) => s.iter().for_each(|v| visit(*v)),
        }
        Ok(())
    }

    pub fn is_realized(&self) -> bool {
        !matches!(&*self.state.borrow(), LazyState::Unrealized(_))
    }
}

/// A lazy seq realized by the 0-arity jank fn `thunk`.
pub fn lazy_fn(thunk: Obj) -> Obj {
    alloc(Object::Lazy(Box::new(LazySeq {
        state: RefCell::new(LazyState::Unrealized(Thunk::Fn(thunk))),
        aseq: false,
    })))
}

/// A lazy seq realized by `f(data, [])`.
pub fn lazy(data: &[Obj], f: NativeFn) -> Obj {
    lazy_kind(data, f, false)
}

/// As [`lazy`], for what Clojure implements as an ASeq (prints as a list under `str`).
pub fn lazy_aseq(data: &[Obj], f: NativeFn) -> Obj {
    lazy_kind(data, f, true)
}

fn lazy_kind(data: &[Obj], f: NativeFn, aseq: bool) -> Obj {
    alloc(Object::Lazy(Box::new(LazySeq {
        state: RefCell::new(LazyState::Unrealized(Thunk::Native(f, data.into()))),
        aseq,
    })))
}

/// A long range: `remaining` values from `start` by `step`; None is endless.
pub struct Range {
    pub start: i64,
    pub step: i64,
    pub remaining: Option<u64>,
}

/// `(range start end step)` over longs (() when empty; `step` 0 repeats start).
pub fn long_range(start: i64, end: Option<i64>, step: i64) -> Obj {
    let remaining = match end {
        None => None,
        Some(end) => {
            let (span, by) = (i128::from(end) - i128::from(start), i128::from(step));
            if span == 0 || (by > 0 && span < 0) || (by < 0 && span > 0) {
                return empty_list();
            }
            (by != 0).then(|| ((span + by - by.signum()) / by) as u64)
        }
    };
    alloc(Object::Range(Box::new(Range {
        start,
        step,
        remaining,
    })))
}

/// The most values one chunk holds, as Clojure's (a vector's leaf, a
/// LongRange's chunk).
pub const CHUNK_SIZE: usize = 32;

/// Clojure's `chunk-first` and `chunk-rest` of a chunked seq `s` (a seq
/// returned by [`seq`]): the values of its first chunk and the seqable after
/// them. None when `s` is not chunked: Clojure chunks finite long ranges,
/// vectors' seqs (at the 32-value boundaries of the vector's leaves) and
/// chunked conses, and so does this runtime.
pub fn chunk_of(s: Obj) -> Option<(Rc<[Obj]>, Obj)> {
    match &*s {
        Object::Range(r) => {
            let remaining = r.remaining?;
            let size = remaining.min(CHUNK_SIZE as u64);
            let (start, step) = (r.start, r.step);
            let items = (0..size as i64)
                .map(|i| int(start.wrapping_add(step.wrapping_mul(i))))
                .collect();
            let rest = if remaining > size {
                alloc(Object::Range(Box::new(Range {
                    start: start.wrapping_add(step.wrapping_mul(size as i64)),
                    step,
                    remaining: Some(remaining - size),
                })))
            } else {
                empty_list()
            };
            Some((items, rest))
        }
        Object::VecSeq(v, i) => {
            let Object::Vector(vector) = &**v else {
                unreachable!("a VecSeq is over a vector")
            };
            let end = ((i / CHUNK_SIZE + 1) * CHUNK_SIZE).min(vector.0.len());
            let items = (*i..end).map(|index| vector.0[index]).collect();
            let rest = if end < vector.0.len() {
                alloc(Object::VecSeq(*v, end))
            } else {
                empty_list()
            };
            Some((items, rest))
        }
        Object::Chunked(items, i, more) => {
            let chunk = if *i == 0 {
                items.clone()
            } else {
                items[*i..].into()
            };
            Some((chunk, chunked_more(*more)))
        }
        _ => None,
    }
}

/// Clojure's `chunk-cons`: the values of `chunk` then the seqable `more`;
/// just `more` when the chunk is empty.
pub fn chunk_cons(chunk: Vec<Obj>, more: Obj) -> Obj {
    if chunk.is_empty() {
        return more;
    }
    alloc(Object::Chunked(chunk.into(), 0, more))
}

/// What follows a chunked cons's last value: its `more`, or () for none.
fn chunked_more(more: Obj) -> Obj {
    if more.is_nil() {
        empty_list()
    } else {
        more
    }
}

/// A list of `items`.
pub fn list_of(items: &[Obj]) -> Obj {
    let mut list = empty_list();
    for (i, item) in items.iter().enumerate().rev() {
        list = alloc(Object::List(ListNode {
            first: *item,
            rest: list,
            count: items.len() - i,
        }));
    }
    list
}

/// A seq of `items`, nil when there are none.
pub fn seq_of(items: Vec<Obj>) -> Obj {
    if items.is_empty() {
        return nil();
    }
    alloc(Object::ArraySeq(items.into(), 0))
}

/// `(cons x coll)`.
pub fn cons(x: Obj, coll: Obj) -> R {
    if coll.is_nil() {
        return Ok(list_of(&[x]));
    }
    if coll.is_seq() {
        return Ok(alloc(Object::Cons(x, coll)));
    }
    Ok(alloc(Object::Cons(x, seq(coll)?.unwrap_or_else(nil))))
}

/// `(seq x)`: None for nil and empty collections.
pub fn seq(x: Obj) -> R<Option<Obj>> {
    Ok(match &*x {
        Object::Nil | Object::EmptyList => None,
        Object::List(_)
        | Object::Cons(..)
        | Object::VecSeq(..)
        | Object::ArraySeq(..)
        | Object::StrSeq(..)
        | Object::Chunked(..)
        | Object::Range(_)
        | Object::QueueSeq(..) => Some(x),
        Object::Lazy(lazy) => lazy.seq()?,
        Object::Queue(queue) => crate::queue::queue_seq(queue)?,
        Object::Vector(v) if v.0.is_empty() => None,
        Object::Vector(_) => Some(alloc(Object::VecSeq(x, 0))),
        Object::Record(r) => {
            let entries: Vec<Obj> = r
                .entries()
                .into_iter()
                .map(|(k, v)| crate::coll::entry_obj(k, v))
                .collect();
            Some(seq_of(entries)).filter(|s| !s.is_nil())
        }
        Object::Map(m) => {
            let entries: Vec<Obj> = m
                .entries()
                .into_iter()
                .map(|(k, v)| crate::coll::entry_obj(k, v))
                .collect();
            Some(seq_of(entries)).filter(|s| !s.is_nil())
        }
        Object::Set(s) => Some(seq_of(s.items())).filter(|s| !s.is_nil()),
        Object::Str(s) if s.is_empty() => None,
        Object::Str(_) => Some(alloc(Object::StrSeq(x, 0))),
        // A CharSequence: a StringSeq over its text as it is now.
        Object::StringBuilder(text) if text.borrow().is_empty() => None,
        Object::StringBuilder(text) => {
            let snapshot = alloc(Object::Str(text.borrow().as_str().into()));
            Some(alloc(Object::StrSeq(snapshot, 0)))
        }
        Object::Transient(t) => match t.get() {
            Some(coll) => seq(coll)?,
            None => None,
        },
        _ => {
            return Err(illegal_argument(format!(
                "Don't know how to create ISeq from: {}",
                x.class_name()
            )))
        }
    })
}

/// The first value of a seq returned by [`seq`].
pub fn seq_first(s: Obj) -> Obj {
    match &*s {
        Object::List(node) => node.first,
        Object::Cons(first, _) => *first,
        Object::VecSeq(v, i) => match &**v {
            Object::Vector(items) => items.0[*i],
            _ => unreachable!("a VecSeq is over a vector"),
        },
        Object::ArraySeq(items, i) => items[*i],
        Object::StrSeq(text, i) => crate::object::character(
            text.as_str()
                .and_then(|t| t[*i..].chars().next())
                .expect("a StrSeq is before the end of a string"),
        ),
        Object::Chunked(items, i, _) => items[*i],
        Object::Range(r) => int(r.start),
        Object::QueueSeq(front, _) => seq_first(*front),
        _ => unreachable!("seq_first of a non-seq"),
    }
}

/// What follows the first value of a seq returned by [`seq`], unrealized.
pub fn seq_more(s: Obj) -> Obj {
    match &*s {
        Object::List(node) => node.rest,
        Object::Cons(_, more) if more.is_nil() => empty_list(),
        Object::Cons(_, more) => *more,
        Object::VecSeq(v, i) => match &**v {
            Object::Vector(items) if i + 1 < items.0.len() => alloc(Object::VecSeq(*v, i + 1)),
            _ => empty_list(),
        },
        Object::ArraySeq(items, i) if i + 1 < items.len() => {
            alloc(Object::ArraySeq(items.clone(), i + 1))
        }
        Object::StrSeq(text, i) => {
            let t = text.as_str().expect("a StrSeq is over a string");
            let next = i + t[*i..].chars().next().map_or(1, char::len_utf8);
            if next < t.len() {
                alloc(Object::StrSeq(*text, next))
            } else {
                empty_list()
            }
        }
        Object::Chunked(items, i, more) if i + 1 < items.len() => {
            alloc(Object::Chunked(items.clone(), i + 1, *more))
        }
        Object::Chunked(_, _, more) => chunked_more(*more),
        Object::Range(r) => match r.remaining {
            Some(1) => empty_list(),
            remaining => alloc(Object::Range(Box::new(Range {
                start: r.start.wrapping_add(r.step),
                step: r.step,
                remaining: remaining.map(|n| n - 1),
            }))),
        },
        Object::QueueSeq(front, rear) => crate::queue::seq_rest(*front, *rear),
        _ => empty_list(),
    }
}

/// `(first x)`.
pub fn first(x: Obj) -> R {
    Ok(seq(x)?.map_or_else(nil, seq_first))
}

/// `(rest x)`: never nil.
pub fn rest(x: Obj) -> R {
    Ok(seq(x)?.map_or_else(empty_list, seq_more))
}

/// `(next x)`.
pub fn next(x: Obj) -> R<Option<Obj>> {
    match seq(x)? {
        Some(s) => seq(seq_more(s)),
        None => Ok(None),
    }
}

enum IterState {
    /// A seqable not yet turned into a seq.
    Pending(Obj),
    /// A vector's items from an index.
    Vector(Obj, usize),
    /// A snapshot's items from an index, and the seq they came from.
    Array(Rc<[Obj]>, usize, Obj),
    /// A chunk's items from an index, the seqable after the chunk, and the
    /// chunked seq they came from.
    Chunk(Rc<[Obj]>, usize, Obj, Obj),
    /// A long range's next value, step and remaining count (None: endless).
    Range(i64, i64, Option<u64>),
    Done,
}

/// Walks a seqable, realizing each step only when the next value is asked for.
pub struct SeqIter {
    state: IterState,
}

impl SeqIter {
    pub fn new(coll: Obj) -> SeqIter {
        SeqIter {
            state: IterState::Pending(coll),
        }
    }

    /// The object that keeps the unwalked rest alive (nil when none does):
    /// what a loop that collects as it walks roots.
    pub fn anchor(&self) -> Obj {
        match &self.state {
            IterState::Pending(coll)
            | IterState::Vector(coll, _)
            | IterState::Array(_, _, coll)
            | IterState::Chunk(_, _, _, coll) => *coll,
            IterState::Range(..) | IterState::Done => nil(),
        }
    }

    /// The unwalked rest, as a seqable (nil when done).
    pub fn remainder(&self) -> Obj {
        match &self.state {
            IterState::Pending(coll) => *coll,
            IterState::Vector(v, i) => match &**v {
                Object::Vector(items) if *i < items.0.len() => alloc(Object::VecSeq(*v, *i)),
                _ => nil(),
            },
            IterState::Array(items, i, _) if *i < items.len() => {
                alloc(Object::ArraySeq(items.clone(), *i))
            }
            IterState::Chunk(items, i, more, _) if *i < items.len() => {
                alloc(Object::Chunked(items.clone(), *i, *more))
            }
            IterState::Chunk(_, _, more, _) => *more,
            IterState::Range(start, step, remaining) if *remaining != Some(0) => {
                alloc(Object::Range(Box::new(Range {
                    start: *start,
                    step: *step,
                    remaining: *remaining,
                })))
            }
            _ => nil(),
        }
    }

    /// Whether the next step may realize a lazy seq, which runs code that
    /// can print (what a streamed `prn` writes out before it).
    pub fn may_realize(&self) -> bool {
        let unrealized = |coll: &Obj| matches!(&**coll, Object::Lazy(lazy) if !lazy.is_realized());
        match &self.state {
            IterState::Pending(coll) => unrealized(coll),
            IterState::Chunk(items, i, more, _) => *i >= items.len() && unrealized(more),
            IterState::Vector(..)
            | IterState::Array(..)
            | IterState::Range(..)
            | IterState::Done => false,
        }
    }

    /// Walks past the values the iterator holds already (the rest of a
    /// chunk, a vector, a snapshot or a long range), realizing nothing, and
    /// returns how many there were: `count` takes a chunk at a time.
    pub fn skip_held(&mut self) -> usize {
        match &mut self.state {
            IterState::Vector(v, i) => {
                let Object::Vector(items) = &**v else {
                    unreachable!("IterState::Vector holds a vector")
                };
                let skipped = items.0.len().saturating_sub(*i);
                *i += skipped;
                skipped
            }
            IterState::Array(items, i, _) | IterState::Chunk(items, i, _, _) => {
                let skipped = items.len().saturating_sub(*i);
                *i += skipped;
                skipped
            }
            IterState::Range(start, step, Some(remaining)) => {
                let skipped = usize::try_from(*remaining).unwrap_or(usize::MAX);
                *start = start.wrapping_add(step.wrapping_mul(skipped as i64));
                *remaining -= skipped as u64;
                skipped
            }
            IterState::Range(_, _, None) | IterState::Pending(_) | IterState::Done => 0,
        }
    }
}

/// A value [`SeqIter::next_unboxed`] walked to: a long range's values come
/// unboxed.
pub enum Walked {
    Long(i64),
    Value(Obj),
}

impl SeqIter {
    /// The next value as [`Iterator::next`] gives it, except that a long
    /// range's value is not boxed: for loops that keep longs unboxed.
    pub fn next_unboxed(&mut self) -> Option<R<Walked>> {
        if let IterState::Range(start, step, remaining) = &mut self.state {
            if *remaining == Some(0) {
                self.state = IterState::Done;
                return None;
            }
            let value = *start;
            *start = start.wrapping_add(*step);
            *remaining = remaining.map(|n| n - 1);
            return Some(Ok(Walked::Long(value)));
        }
        Some(self.next()?.map(|value| match *value {
            Object::Int(i) => Walked::Long(i),
            _ => Walked::Value(value),
        }))
    }
}

impl Iterator for SeqIter {
    type Item = R<Obj>;

    fn next(&mut self) -> Option<R<Obj>> {
        loop {
            match &mut self.state {
                IterState::Done => return None,
                IterState::Vector(v, i) => {
                    let Object::Vector(items) = &**v else {
                        unreachable!("IterState::Vector holds a vector")
                    };
                    let Some(item) = items.0.get(*i) else {
                        self.state = IterState::Done;
                        return None;
                    };
                    *i += 1;
                    return Some(Ok(*item));
                }
                IterState::Array(items, i, _) => {
                    let Some(item) = items.get(*i).copied() else {
                        self.state = IterState::Done;
                        return None;
                    };
                    *i += 1;
                    return Some(Ok(item));
                }
                IterState::Chunk(items, i, more, _) => {
                    let Some(item) = items.get(*i).copied() else {
                        self.state = IterState::Pending(*more);
                        continue;
                    };
                    *i += 1;
                    return Some(Ok(item));
                }
                IterState::Range(start, step, remaining) => {
                    if *remaining == Some(0) {
                        self.state = IterState::Done;
                        return None;
                    }
                    let value = *start;
                    *start = start.wrapping_add(*step);
                    *remaining = remaining.map(|n| n - 1);
                    return Some(Ok(int(value)));
                }
                IterState::Pending(coll) => {
                    let coll = *coll;
                    match &*coll {
                        Object::Vector(_) => self.state = IterState::Vector(coll, 0),
                        Object::VecSeq(v, i) => self.state = IterState::Vector(*v, *i),
                        Object::ArraySeq(items, i) => {
                            self.state = IterState::Array(items.clone(), *i, coll)
                        }
                        Object::Range(r) => {
                            self.state = IterState::Range(r.start, r.step, r.remaining)
                        }
                        Object::Chunked(items, i, more) => {
                            self.state = IterState::Chunk(items.clone(), *i, *more, coll)
                        }
                        // A queue's seq whose front is all that is left walks
                        // as that front (a vector's seq walks in place).
                        Object::QueueSeq(front, rear) if rear.is_nil() => {
                            self.state = IterState::Pending(*front)
                        }
                        _ => match seq(coll) {
                            Err(e) => {
                                self.state = IterState::Done;
                                return Some(Err(e));
                            }
                            Ok(None) => self.state = IterState::Done,
                            // A realized lazy seq's seq walks as itself.
                            Ok(Some(s)) if walks_in_place(s) => self.state = IterState::Pending(s),
                            Ok(Some(s)) => {
                                self.state = IterState::Pending(seq_more(s));
                                return Some(Ok(seq_first(s)));
                            }
                        },
                    }
                }
            }
        }
    }
}

/// Whether [`SeqIter`] walks the seq `s` by index, without a node per value.
fn walks_in_place(s: Obj) -> bool {
    matches!(
        &*s,
        Object::VecSeq(..) | Object::ArraySeq(..) | Object::Range(_) | Object::Chunked(..)
    )
}

/// Every value of a seqable (realizing it all).
pub fn to_vec(coll: Obj) -> R<Vec<Obj>> {
    SeqIter::new(coll).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::pr_str;

    #[test]
    fn ranges_and_lists() {
        assert_eq!(
            pr_str(long_range(0, Some(5), 1)).ok().unwrap(),
            "(0 1 2 3 4)"
        );
        assert_eq!(
            pr_str(long_range(0, Some(10), 3)).ok().unwrap(),
            "(0 3 6 9)"
        );
        assert_eq!(pr_str(long_range(5, Some(0), -2)).ok().unwrap(), "(5 3 1)");
        assert_eq!(pr_str(long_range(0, Some(0), 1)).ok().unwrap(), "()");
        assert_eq!(pr_str(list_of(&[int(1), int(2)])).ok().unwrap(), "(1 2)");
        assert_eq!(
            pr_str(cons(int(0), nil()).ok().unwrap()).ok().unwrap(),
            "(0)"
        );
    }

    #[test]
    fn infinite_range_is_lazy() {
        let endless = long_range(0, None, 1);
        let firsts: Vec<i64> = SeqIter::new(endless)
            .take(3)
            .map(|x| match *x.ok().unwrap() {
                Object::Int(i) => i,
                _ => -1,
            })
            .collect();
        assert_eq!(firsts, [0, 1, 2]);
    }
}
