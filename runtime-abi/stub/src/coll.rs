//! Persistent collections: vectors (an RRB vector), maps (an array map that
//! keeps insertion order up to 8 entries, then a hash map, or a sorted map),
//! and hash or sorted sets.
//! Hash maps and sets iterate in the order Clojure's PersistentHashMap does
//! (by the 5-bit chunks of the hash, low bits first, nil first, collisions in
//! insertion order), so their printed order matches Clojure's.

use imbl::OrdMap;

use crate::equality::{compare_by, equiv, hasheq};
use crate::error::R;
use crate::object::{alloc, Obj, Object};

/// Array maps hold at most this many entries; one more makes a hash map.
pub const ARRAY_MAP_LIMIT: usize = 8;

/// A persistent vector, and the JVM class it stands for.
#[derive(Clone, Default)]
pub struct Vector(pub imbl::Vector<Obj>, pub VectorClass);

/// Map entries print, compare and index as 2-vectors, but on the JVM only a
/// clojure.lang.MapEntry answers `key`, `val` and `map-entry?`; anything
/// built from one (`conj`, `assoc`, `pop`) is a PersistentVector again.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum VectorClass {
    #[default]
    Persistent,
    MapEntry,
}

/// What a hash table stores: a map entry or a set element.
pub trait Entry: Clone {
    fn key(&self) -> Obj;
    /// Takes what `newer` (with an equal key) brings: a map keeps its key and
    /// takes the value, a set keeps its element.
    fn update(&mut self, newer: Self);
}

impl Entry for (Obj, Obj) {
    fn key(&self) -> Obj {
        self.0
    }

    fn update(&mut self, newer: Self) {
        self.1 = newer.1;
    }
}

impl Entry for Obj {
    fn key(&self) -> Obj {
        *self
    }

    fn update(&mut self, _newer: Self) {}
}

/// Entries bucketed by hash, ordered like Clojure's hash trie.
#[derive(Clone)]
pub struct HashTable<E: Entry> {
    buckets: OrdMap<u64, Vec<E>>,
    count: usize,
}

/// Same key: identical, or `=`.
fn same_key(a: Obj, b: Obj) -> R<bool> {
    Ok(a.identical(b) || equiv(a, b)?)
}

/// The position of a key in iteration order: nil first, then the hash with its
/// 5-bit chunks reversed (chunk 0 most significant), as the trie walks them.
fn slot(key: Obj) -> R<u64> {
    if key.is_nil() {
        return Ok(0);
    }
    let hash = hasheq(key)? as u32;
    let mut order = 0u64;
    for chunk in 0..7 {
        let bits = if chunk == 6 { 2 } else { 5 };
        order = (order << bits) | u64::from((hash >> (chunk * 5)) & ((1 << bits) - 1));
    }
    Ok(order + 1)
}

impl<E: Entry> Default for HashTable<E> {
    fn default() -> Self {
        HashTable {
            buckets: OrdMap::new(),
            count: 0,
        }
    }
}

impl<E: Entry> HashTable<E> {
    pub fn count(&self) -> usize {
        self.count
    }

    pub fn find(&self, key: Obj) -> R<Option<&E>> {
        let Some(bucket) = self.buckets.get(&slot(key)?) else {
            return Ok(None);
        };
        for entry in bucket {
            if same_key(entry.key(), key)? {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }

    /// Adds `entry`, or updates the entry of an equal key in place.
    pub fn insert(&mut self, entry: E) -> R<()> {
        let slot = slot(entry.key())?;
        let mut bucket = self.buckets.get(&slot).cloned().unwrap_or_default();
        for existing in bucket.iter_mut() {
            if same_key(existing.key(), entry.key())? {
                existing.update(entry);
                self.buckets.insert(slot, bucket);
                return Ok(());
            }
        }
        bucket.push(entry);
        self.buckets.insert(slot, bucket);
        self.count += 1;
        Ok(())
    }

    /// Removes the entry of `key`; false when there was none.
    pub fn remove(&mut self, key: Obj) -> R<bool> {
        let slot = slot(key)?;
        let Some(bucket) = self.buckets.get(&slot) else {
            return Ok(false);
        };
        let mut kept = Vec::with_capacity(bucket.len());
        let mut found = false;
        for entry in bucket {
            if !found && same_key(entry.key(), key)? {
                found = true;
            } else {
                kept.push(entry.clone());
            }
        }
        if found {
            if kept.is_empty() {
                self.buckets.remove(&slot);
            } else {
                self.buckets.insert(slot, kept);
            }
            self.count -= 1;
        }
        Ok(found)
    }

    pub fn iter(&self) -> impl Iterator<Item = &E> + '_ {
        self.buckets.values().flatten()
    }
}

/// Entries kept in the order of a comparator (a fn, or `compare` when None),
/// as Clojure's PersistentTreeMap/Set: one entry per key the comparator calls
/// equal. Every lookup calls the comparator, so a comparator that throws (or
/// keys `compare` cannot order) makes the operation throw.
#[derive(Clone)]
pub struct SortedTable<E: Entry> {
    entries: imbl::Vector<E>,
    comparator: Option<Obj>,
}

impl<E: Entry> SortedTable<E> {
    pub fn new(comparator: Option<Obj>) -> SortedTable<E> {
        SortedTable {
            entries: imbl::Vector::new(),
            comparator,
        }
    }

    /// The comparator fn; None for `compare`.
    pub fn comparator(&self) -> Option<Obj> {
        self.comparator
    }

    pub fn count(&self) -> usize {
        self.entries.len()
    }

    pub fn compare(&self, a: Obj, b: Obj) -> R<i32> {
        compare_by(self.comparator, a, b)
    }

    /// The index of the first entry whose key is not below `key`, and
    /// whether that entry's key is equal to it.
    fn search(&self, key: Obj) -> R<(usize, bool)> {
        let (mut low, mut high) = (0, self.entries.len());
        while low < high {
            let middle = low + (high - low) / 2;
            // Key first, as Clojure's tree compares, so a comparator that
            // throws or tells its arguments apart sees them in Clojure's order.
            let order = self.compare(key, self.entries[middle].key())?;
            if order == 0 {
                return Ok((middle, true));
            }
            if order > 0 {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        Ok((low, false))
    }

    pub fn find(&self, key: Obj) -> R<Option<&E>> {
        let (index, found) = self.search(key)?;
        Ok(found.then(|| &self.entries[index]))
    }

    /// Adds `entry`, or updates the entry of an equal key in place.
    pub fn insert(&mut self, entry: E) -> R<()> {
        let (index, found) = self.search(entry.key())?;
        if found {
            self.entries[index].update(entry);
        } else {
            self.entries.insert(index, entry);
        }
        Ok(())
    }

    /// Removes the entry of `key`; false when there was none.
    pub fn remove(&mut self, key: Obj) -> R<bool> {
        let (index, found) = self.search(key)?;
        if found {
            self.entries.remove(index);
        }
        Ok(found)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &E> + '_ {
        self.entries.iter()
    }

    /// Where a seq from `key` starts (Clojure's `Sorted.seqFrom`): ascending,
    /// the index of the first entry not below `key`; descending, the index of
    /// the last entry not above it. None when there is no such entry.
    pub fn start_from(&self, key: Obj, ascending: bool) -> R<Option<usize>> {
        let (index, found) = self.search(key)?;
        Ok(if ascending {
            (index < self.entries.len()).then_some(index)
        } else if found {
            Some(index)
        } else {
            index.checked_sub(1)
        })
    }

    /// The entry at `index` in comparator order.
    pub fn at(&self, index: usize) -> Option<&E> {
        self.entries.get(index)
    }

    /// Calls `visit` with the comparator, which the collector must keep.
    pub fn for_each_comparator(&self, mut visit: impl FnMut(Obj)) {
        if let Some(comparator) = self.comparator {
            visit(comparator);
        }
    }
}

/// A persistent map.
#[derive(Clone)]
pub enum Map {
    /// At most [`ARRAY_MAP_LIMIT`] entries in insertion order.
    Array(Vec<(Obj, Obj)>),
    Hash(HashTable<(Obj, Obj)>),
    Sorted(Box<SortedTable<(Obj, Obj)>>),
}

impl Map {
    pub fn empty() -> Map {
        Map::Array(Vec::new())
    }

    /// A map of `pairs` (later duplicates replace earlier values in place):
    /// an array map when `array` and the pairs fit, else a hash map.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Obj, Obj)>, array: bool) -> R<Map> {
        let mut map = if array {
            Map::empty()
        } else {
            Map::Hash(HashTable::default())
        };
        for (k, v) in pairs {
            map.insert(k, v)?;
        }
        Ok(map)
    }

    /// An empty sorted map ordered by `comparator` (`compare` when None).
    pub fn sorted(comparator: Option<Obj>) -> Map {
        Map::Sorted(Box::new(SortedTable::new(comparator)))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Map::Array(_))
    }

    pub fn is_sorted(&self) -> bool {
        matches!(self, Map::Sorted(_))
    }

    pub fn len(&self) -> usize {
        match self {
            Map::Array(entries) => entries.len(),
            Map::Hash(table) => table.count(),
            Map::Sorted(table) => table.count(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry of `key`.
    pub fn find(&self, key: Obj) -> R<Option<(Obj, Obj)>> {
        match self {
            Map::Array(entries) => {
                for &(k, v) in entries {
                    if same_key(k, key)? {
                        return Ok(Some((k, v)));
                    }
                }
                Ok(None)
            }
            Map::Hash(table) => Ok(table.find(key)?.copied()),
            Map::Sorted(table) => Ok(table.find(key)?.copied()),
        }
    }

    pub fn get(&self, key: Obj) -> R<Option<Obj>> {
        Ok(self.find(key)?.map(|(_, v)| v))
    }

    pub fn assoc(&self, key: Obj, value: Obj) -> R<Map> {
        let mut map = self.clone();
        map.insert(key, value)?;
        Ok(map)
    }

    /// Associates in place (an existing key keeps its position); the ninth
    /// entry of an array map makes it a hash map.
    pub fn insert(&mut self, key: Obj, value: Obj) -> R<()> {
        match self {
            Map::Array(entries) => {
                for entry in entries.iter_mut() {
                    if same_key(entry.0, key)? {
                        entry.1 = value;
                        return Ok(());
                    }
                }
                if entries.len() < ARRAY_MAP_LIMIT {
                    entries.push((key, value));
                    return Ok(());
                }
                let mut table = HashTable::default();
                for entry in entries.iter() {
                    table.insert(*entry)?;
                }
                table.insert((key, value))?;
                *self = Map::Hash(table);
                Ok(())
            }
            Map::Hash(table) => table.insert((key, value)),
            Map::Sorted(table) => table.insert((key, value)),
        }
    }

    pub fn dissoc(&self, key: Obj) -> R<Map> {
        match self {
            Map::Array(entries) => {
                let mut kept = Vec::with_capacity(entries.len());
                for &(k, v) in entries {
                    if !same_key(k, key)? {
                        kept.push((k, v));
                    }
                }
                Ok(Map::Array(kept))
            }
            Map::Hash(table) => {
                let mut table = table.clone();
                table.remove(key)?;
                Ok(Map::Hash(table))
            }
            Map::Sorted(table) => {
                let mut table = table.clone();
                table.remove(key)?;
                Ok(Map::Sorted(table))
            }
        }
    }

    /// The entries in iteration (and printing) order.
    pub fn entries(&self) -> Vec<(Obj, Obj)> {
        match self {
            Map::Array(entries) => entries.clone(),
            Map::Hash(table) => table.iter().copied().collect(),
            Map::Sorted(table) => table.iter().copied().collect(),
        }
    }

    /// Calls `visit` with every entry, in no particular order and without
    /// copying them (the collector traces maps with it).
    pub fn for_each_entry(&self, mut visit: impl FnMut(Obj, Obj)) {
        match self {
            Map::Array(entries) => entries.iter().for_each(|&(k, v)| visit(k, v)),
            Map::Hash(table) => table.iter().for_each(|&(k, v)| visit(k, v)),
            Map::Sorted(table) => table.iter().for_each(|&(k, v)| visit(k, v)),
        }
    }

    /// An empty map of the same kind (`(empty m)`).
    pub fn emptied(&self) -> Map {
        match self {
            Map::Array(_) => Map::empty(),
            Map::Hash(_) => Map::Hash(HashTable::default()),
            Map::Sorted(table) => Map::sorted(table.comparator()),
        }
    }

    /// A sorted map's comparator fn, which the collector must keep.
    pub fn for_each_comparator(&self, visit: impl FnMut(Obj)) {
        if let Map::Sorted(table) = self {
            table.for_each_comparator(visit);
        }
    }
}

/// A persistent set: hashed, or sorted by a comparator.
#[derive(Clone)]
pub enum Set {
    Hash(HashTable<Obj>),
    Sorted(Box<SortedTable<Obj>>),
}

impl Set {
    pub fn empty() -> Set {
        Set::Hash(HashTable::default())
    }

    /// An empty sorted set ordered by `comparator` (`compare` when None).
    pub fn sorted(comparator: Option<Obj>) -> Set {
        Set::Sorted(Box::new(SortedTable::new(comparator)))
    }

    pub fn from_items(items: impl IntoIterator<Item = Obj>) -> R<Set> {
        let mut set = Set::empty();
        for item in items {
            set.insert(item)?;
        }
        Ok(set)
    }

    pub fn is_sorted(&self) -> bool {
        matches!(self, Set::Sorted(_))
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Hash(table) => table.count(),
            Set::Sorted(table) => table.count(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element equal to `key`.
    pub fn get(&self, key: Obj) -> R<Option<Obj>> {
        Ok(match self {
            Set::Hash(table) => table.find(key)?.copied(),
            Set::Sorted(table) => table.find(key)?.copied(),
        })
    }

    pub fn contains(&self, key: Obj) -> R<bool> {
        Ok(self.get(key)?.is_some())
    }

    /// With `item` (an existing equal element is kept).
    pub fn conj(&self, item: Obj) -> R<Set> {
        let mut set = self.clone();
        set.insert(item)?;
        Ok(set)
    }

    /// Adds `item` in place (an existing equal element is kept).
    pub fn insert(&mut self, item: Obj) -> R<()> {
        match self {
            Set::Hash(table) => table.insert(item),
            Set::Sorted(table) => table.insert(item),
        }
    }

    pub fn disj(&self, item: Obj) -> R<Set> {
        let mut set = self.clone();
        match &mut set {
            Set::Hash(table) => table.remove(item)?,
            Set::Sorted(table) => table.remove(item)?,
        };
        Ok(set)
    }

    /// The elements in iteration (and printing) order.
    pub fn items(&self) -> Vec<Obj> {
        match self {
            Set::Hash(table) => table.iter().copied().collect(),
            Set::Sorted(table) => table.iter().copied().collect(),
        }
    }

    /// Calls `visit` with every element and a sorted set's comparator,
    /// without copying them (the collector traces sets with it).
    pub fn for_each_reference(&self, mut visit: impl FnMut(Obj)) {
        match self {
            Set::Hash(table) => table.iter().for_each(|item| visit(*item)),
            Set::Sorted(table) => {
                table.iter().for_each(|item| visit(*item));
                table.for_each_comparator(visit);
            }
        }
    }

    /// An empty set of the same kind (`(empty s)`).
    pub fn emptied(&self) -> Set {
        match self {
            Set::Hash(_) => Set::empty(),
            Set::Sorted(table) => Set::sorted(table.comparator()),
        }
    }
}

pub fn vector_obj(items: impl IntoIterator<Item = Obj>) -> Obj {
    vector_from(items.into_iter().collect())
}

pub fn vector_from(items: imbl::Vector<Obj>) -> Obj {
    alloc(Object::Vector(Box::new(Vector(
        items,
        VectorClass::Persistent,
    ))))
}

pub fn map_obj(map: Map) -> Obj {
    alloc(Object::Map(map))
}

pub fn record_obj(record: crate::record::Record) -> Obj {
    alloc(Object::Record(Box::new(record)))
}

pub fn set_obj(set: Set) -> Obj {
    alloc(Object::Set(set))
}

/// A map entry (see [`VectorClass`]).
pub fn entry_obj(key: Obj, value: Obj) -> Obj {
    alloc(Object::Vector(Box::new(Vector(
        imbl::vector![key, value],
        VectorClass::MapEntry,
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::{int, keyword, nil};
    use crate::print::pr_str;

    fn kw(name: &str) -> Obj {
        keyword(None, name)
    }

    #[test]
    fn array_maps_keep_insertion_order_and_positions() {
        let map = Map::from_pairs([(kw("b"), int(1)), (kw("a"), int(2))], true)
            .ok()
            .unwrap();
        let map = map.assoc(kw("b"), int(3)).ok().unwrap();
        assert_eq!(pr_str(map_obj(map.clone())).ok().unwrap(), "{:b 3, :a 2}");
        let map = map
            .dissoc(kw("b"))
            .ok()
            .unwrap()
            .assoc(kw("b"), int(4))
            .ok()
            .unwrap();
        assert_eq!(pr_str(map_obj(map)).ok().unwrap(), "{:a 2, :b 4}");
    }

    #[test]
    fn the_ninth_entry_makes_a_hash_map() {
        let mut map = Map::empty();
        for i in 0..8 {
            map = map.assoc(int(i), int(i)).ok().unwrap();
        }
        assert!(map.is_array());
        map = map.assoc(int(8), int(8)).ok().unwrap();
        assert!(!map.is_array());
        assert_eq!(map.len(), 9);
        assert_eq!(
            map.get(int(3))
                .ok()
                .flatten()
                .map(|v| pr_str(v).ok().unwrap()),
            Some("3".to_string())
        );
    }

    #[test]
    fn hash_sets_iterate_like_clojure() {
        let set = Set::from_items((0..10).map(int)).ok().unwrap();
        assert_eq!(pr_str(set_obj(set)).ok().unwrap(), "#{0 7 1 4 6 3 2 9 5 8}");
        let set = Set::from_items([int(1), int(2), int(3)]).ok().unwrap();
        assert_eq!(pr_str(set_obj(set)).ok().unwrap(), "#{1 3 2}");
        let set = Set::from_items([int(1), nil()]).ok().unwrap();
        assert_eq!(pr_str(set_obj(set)).ok().unwrap(), "#{nil 1}");
    }
}
