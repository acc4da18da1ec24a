//! Persistent collections: vectors (an RRB vector), maps (an array map that
//! keeps insertion order up to 8 entries, then a hash map) and hash sets.
//! Hash maps and sets iterate in the order Clojure's PersistentHashMap does
//! (by the 5-bit chunks of the hash, low bits first, nil first, collisions in
//! insertion order), so their printed order matches Clojure's.

use imbl::OrdMap;

use crate::equality::{equiv, hasheq};
use crate::error::R;
use crate::object::{alloc, Obj, Object};

/// Array maps hold at most this many entries; one more makes a hash map.
pub const ARRAY_MAP_LIMIT: usize = 8;

/// A persistent vector.
#[derive(Clone, Default)]
pub struct Vector(pub imbl::Vector<Obj>);

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

/// A persistent map.
#[derive(Clone)]
pub enum Map {
    /// At most [`ARRAY_MAP_LIMIT`] entries in insertion order.
    Array(Vec<(Obj, Obj)>),
    Hash(HashTable<(Obj, Obj)>),
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

    pub fn is_array(&self) -> bool {
        matches!(self, Map::Array(_))
    }

    pub fn len(&self) -> usize {
        match self {
            Map::Array(entries) => entries.len(),
            Map::Hash(table) => table.count(),
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
        }
    }

    /// The entries in iteration (and printing) order.
    pub fn entries(&self) -> Vec<(Obj, Obj)> {
        match self {
            Map::Array(entries) => entries.clone(),
            Map::Hash(table) => table.iter().copied().collect(),
        }
    }

    /// Calls `visit` with every entry, in no particular order and without
    /// copying them (the collector traces maps with it).
    pub fn for_each_entry(&self, mut visit: impl FnMut(Obj, Obj)) {
        match self {
            Map::Array(entries) => entries.iter().for_each(|&(k, v)| visit(k, v)),
            Map::Hash(table) => table.iter().for_each(|&(k, v)| visit(k, v)),
        }
    }

    /// An empty map of the same kind (`(empty m)`).
    pub fn emptied(&self) -> Map {
        match self {
            Map::Array(_) => Map::empty(),
            Map::Hash(_) => Map::Hash(HashTable::default()),
        }
    }
}

/// A persistent hash set.
#[derive(Clone)]
pub struct Set(pub HashTable<Obj>);

impl Set {
    pub fn empty() -> Set {
        Set(HashTable::default())
    }

    pub fn from_items(items: impl IntoIterator<Item = Obj>) -> R<Set> {
        let mut table = HashTable::default();
        for item in items {
            table.insert(item)?;
        }
        Ok(Set(table))
    }

    pub fn len(&self) -> usize {
        self.0.count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element equal to `key`.
    pub fn get(&self, key: Obj) -> R<Option<Obj>> {
        Ok(self.0.find(key)?.copied())
    }

    pub fn contains(&self, key: Obj) -> R<bool> {
        Ok(self.0.find(key)?.is_some())
    }

    /// With `item` (an existing equal element is kept).
    pub fn conj(&self, item: Obj) -> R<Set> {
        let mut set = self.clone();
        set.insert(item)?;
        Ok(set)
    }

    /// Adds `item` in place (an existing equal element is kept).
    pub fn insert(&mut self, item: Obj) -> R<()> {
        self.0.insert(item)
    }

    pub fn disj(&self, item: Obj) -> R<Set> {
        let mut table = self.0.clone();
        table.remove(item)?;
        Ok(Set(table))
    }

    /// The elements in iteration (and printing) order.
    pub fn items(&self) -> Vec<Obj> {
        self.0.iter().copied().collect()
    }
}

pub fn vector_obj(items: impl IntoIterator<Item = Obj>) -> Obj {
    vector_from(items.into_iter().collect())
}

pub fn vector_from(items: imbl::Vector<Obj>) -> Obj {
    alloc(Object::Vector(Box::new(Vector(items))))
}

pub fn map_obj(map: Map) -> Obj {
    alloc(Object::Map(map))
}

pub fn set_obj(set: Set) -> Obj {
    alloc(Object::Set(set))
}

/// A map entry, which Clojure prints and compares as a 2-vector.
pub fn entry_obj(key: Obj, value: Obj) -> Obj {
    vector_obj([key, value])
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
