//! Sorted collections: `sorted-map`, `sorted-set` and their `-by` forms,
//! `subseq`/`rsubseq` (following clojure/core.clj: which tests start from a
//! key and which walk from an end), `rseq` of sorted colls and vectors, and
//! `sorted?`/`reversible?`.

use super::{core, VARIADIC};
use crate::coll::{entry_obj, map_obj, set_obj, Map, Set, SortedTable};
use crate::error::{arity, class_cast, illegal_argument, R};
use crate::function::call;
use crate::object::{boolean, empty_list, int, nil, truthy, Obj, Object};
use crate::print::pr_str;
use crate::seq::seq_of;
use crate::var;

fn sorted_map(comparator: Option<Obj>, kvs: &[Obj]) -> R {
    if let [.., last] = kvs {
        if kvs.len() % 2 == 1 {
            return Err(illegal_argument(format!(
                "No value supplied for key: {}",
                pr_str(*last)?
            )));
        }
    }
    let mut map = Map::sorted(comparator);
    for pair in kvs.chunks_exact(2) {
        map.insert(pair[0], pair[1])?;
    }
    Ok(map_obj(map))
}

fn sorted_set(comparator: Option<Obj>, items: &[Obj]) -> R {
    let mut set = Set::sorted(comparator);
    for item in items {
        set.insert(*item)?;
    }
    Ok(set_obj(set))
}

/// A sorted coll's elements as seq items (map entries for a map), with the
/// table that orders them and how to read an item's key.
enum SortedView<'a> {
    Map(&'a SortedTable<(Obj, Obj)>),
    Set(&'a SortedTable<Obj>),
}

impl SortedView<'_> {
    fn of(coll: &Obj) -> R<SortedView<'_>> {
        match &**coll {
            Object::Map(Map::Sorted(table)) => Ok(SortedView::Map(table)),
            Object::Set(Set::Sorted(table)) => Ok(SortedView::Set(table)),
            _ => Err(class_cast(*coll, "clojure.lang.Sorted")),
        }
    }

    fn count(&self) -> usize {
        match self {
            SortedView::Map(table) => table.count(),
            SortedView::Set(table) => table.count(),
        }
    }

    /// The key of the item at `index` (which is in bounds).
    fn key(&self, index: usize) -> Obj {
        match self {
            SortedView::Map(table) => table.at(index).map_or_else(nil, |entry| entry.0),
            SortedView::Set(table) => table.at(index).copied().unwrap_or_else(nil),
        }
    }

    /// The seq item at `index` (which is in bounds): an entry for a map.
    fn item(&self, index: usize) -> Obj {
        match self {
            SortedView::Map(table) => table
                .at(index)
                .map_or_else(nil, |&(key, value)| entry_obj(key, value)),
            SortedView::Set(table) => table.at(index).copied().unwrap_or_else(nil),
        }
    }

    fn compare(&self, a: Obj, b: Obj) -> R<i32> {
        match self {
            SortedView::Map(table) => table.compare(a, b),
            SortedView::Set(table) => table.compare(a, b),
        }
    }

    fn start_from(&self, key: Obj, ascending: bool) -> R<Option<usize>> {
        match self {
            SortedView::Map(table) => table.start_from(key, ascending),
            SortedView::Set(table) => table.start_from(key, ascending),
        }
    }

    /// `(test (compare (key item) bound) 0)`: clojure.core's mk-bound-fn.
    fn within(&self, index: usize, test: Obj, bound: Obj) -> R<bool> {
        let order = self.compare(self.key(index), bound)?;
        Ok(truthy(call(test, &[int(i64::from(order)), int(0)])?))
    }

    /// Indices from `start` in one direction.
    fn walk(&self, start: usize, ascending: bool) -> Box<dyn Iterator<Item = usize>> {
        if ascending {
            Box::new(start..self.count())
        } else {
            Box::new((0..=start).rev())
        }
    }

    /// The items from `start` (skipping it unless `keep_start`), while the
    /// test holds against its bound when there is one, as a seq. None are nil
    /// when `nil_when_empty` (a `next` in core.clj), else () (a `take-while`).
    fn collect(
        &self,
        start: usize,
        ascending: bool,
        keep_start: bool,
        until: Option<(Obj, Obj)>,
        nil_when_empty: bool,
    ) -> R {
        let mut items = Vec::new();
        for index in self.walk(start, ascending).skip(usize::from(!keep_start)) {
            if let Some((test, bound)) = until {
                if !self.within(index, test, bound)? {
                    break;
                }
            }
            items.push(self.item(index));
        }
        Ok(if items.is_empty() && !nil_when_empty {
            empty_list()
        } else {
            seq_of(items)
        })
    }
}

/// Whether `test` is one of clojure.core's fns named in `names` (core.clj
/// tests `(#{> >=} test)` by identity of the fn values).
fn is_core_fn(test: Obj, names: [&str; 2]) -> R<bool> {
    for name in names {
        if let Some(var) = var::find("clojure.core", name) {
            if var::deref(var)?.identical(test) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// `subseq` (ascending) and `rsubseq` (descending) with one test: a test
/// towards the walk's direction starts from the key, the others walk from
/// the first item while they hold.
fn subseq_one(coll: Obj, test: Obj, key: Obj, ascending: bool) -> R {
    let view = SortedView::of(&coll)?;
    let from_key = is_core_fn(test, if ascending { [">", ">="] } else { ["<", "<="] })?;
    if from_key {
        let Some(start) = view.start_from(key, ascending)? else {
            return Ok(nil());
        };
        let keep_start = view.within(start, test, key)?;
        return view.collect(start, ascending, keep_start, None, true);
    }
    if view.count() == 0 {
        return Ok(empty_list());
    }
    let first = if ascending { 0 } else { view.count() - 1 };
    view.collect(first, ascending, true, Some((test, key)), false)
}

/// `subseq`/`rsubseq` with a start and an end test: from the key of the
/// walk's start test, while the other test holds.
fn subseq_two(coll: Obj, start: (Obj, Obj), end: (Obj, Obj), ascending: bool) -> R {
    let view = SortedView::of(&coll)?;
    let (from, until) = if ascending {
        (start, end)
    } else {
        (end, start)
    };
    let Some(index) = view.start_from(from.1, ascending)? else {
        return Ok(nil());
    };
    let keep_start = view.within(index, from.0, from.1)?;
    view.collect(index, ascending, keep_start, Some(until), false)
}

fn rseq(coll: Obj) -> R {
    Ok(match &*coll {
        Object::Vector(v) => seq_of(v.0.iter().rev().copied().collect()),
        Object::Map(Map::Sorted(table)) => seq_of(
            table
                .iter()
                .rev()
                .map(|&(key, value)| entry_obj(key, value))
                .collect(),
        ),
        Object::Set(Set::Sorted(table)) => seq_of(table.iter().rev().copied().collect()),
        _ => return Err(class_cast(coll, "clojure.lang.Reversible")),
    })
}

fn is_sorted(coll: Obj) -> bool {
    match &*coll {
        Object::Map(m) => m.is_sorted(),
        Object::Set(s) => s.is_sorted(),
        _ => false,
    }
}

pub fn install() {
    core("sorted-map", 0, VARIADIC, |_, a| sorted_map(None, a));
    core("sorted-map-by", 1, VARIADIC, |_, a| {
        sorted_map(Some(a[0]), &a[1..])
    });
    core("sorted-set", 0, VARIADIC, |_, a| sorted_set(None, a));
    core("sorted-set-by", 1, VARIADIC, |_, a| {
        sorted_set(Some(a[0]), &a[1..])
    });
    core("subseq", 3, 5, |_, a| match *a {
        [coll, test, key] => subseq_one(coll, test, key, true),
        [coll, start_test, start_key, end_test, end_key] => {
            subseq_two(coll, (start_test, start_key), (end_test, end_key), true)
        }
        _ => Err(arity(a.len(), "clojure.core/subseq")),
    });
    core("rsubseq", 3, 5, |_, a| match *a {
        [coll, test, key] => subseq_one(coll, test, key, false),
        [coll, start_test, start_key, end_test, end_key] => {
            subseq_two(coll, (start_test, start_key), (end_test, end_key), false)
        }
        _ => Err(arity(a.len(), "clojure.core/rsubseq")),
    });
    core("rseq", 1, 1, |_, a| rseq(a[0]));
    core("sorted?", 1, 1, |_, a| Ok(boolean(is_sorted(a[0]))));
    core("reversible?", 1, 1, |_, a| {
        Ok(boolean(
            matches!(*a[0], Object::Vector(_)) || is_sorted(a[0]),
        ))
    });
}
