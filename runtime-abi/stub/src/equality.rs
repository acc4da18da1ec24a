//! Equality, hashing and comparison as Clojure 1.11 defines them: `=` (by
//! value and category for numbers, sequentially for vectors/lists/seqs, by
//! content for maps and sets), `hash` (Murmur3 `hasheq`, bit for bit, so hash
//! collections iterate in Clojure's order), Java's `hashCode` (for the
//! `clojure.lang.LazySeq@…` that `str` of a lazy seq gives), `compare` and
//! comparator fns.

use std::cmp::Ordering;

use num_traits::ToPrimitive;

use crate::error::{class_cast, R};
use crate::function::call;
use crate::number::{self, num, to_long};
use crate::object::{truthy, Obj, Object};
use crate::seq::SeqIter;

/// `=`.
pub fn equiv(a: Obj, b: Obj) -> R<bool> {
    // `(= ##NaN ##NaN)` is false as on the JVM, though the two literals are
    // one pooled value here.
    if a.identical(b) && !matches!(*a, Object::Double(d) if d.is_nan()) {
        return Ok(true);
    }
    Ok(match (&*a, &*b) {
        // A deftype's own `equals` (Util.equiv: the left value's equals).
        (Object::Instance(_), _) => match host_object_method(a, "equals")? {
            Some(equals) => truthy(call(equals, &[a, b])?),
            None => false,
        },
        (Object::Nil, _) | (_, Object::Nil) => false,
        (x, y) if x.is_number() && y.is_number() => number::equiv(&num(a)?, &num(b)?),
        (Object::Bool(x), Object::Bool(y)) => x == y,
        (Object::Char(x), Object::Char(y)) => x == y,
        (Object::Str(x), Object::Str(y)) => x == y,
        (Object::Keyword(x), Object::Keyword(y)) | (Object::Symbol(x), Object::Symbol(y)) => {
            x.ns == y.ns && x.name == y.name
        }
        (Object::Class(x), Object::Class(y)) => x == y,
        (Object::Uuid(x), Object::Uuid(y)) => x == y,
        (Object::Inst(x), Object::Inst(y)) => x == y,
        (Object::TaggedLiteral(tag, form), Object::TaggedLiteral(other_tag, other_form)) => {
            equiv(*tag, *other_tag)? && equiv(*form, *other_form)?
        }
        (Object::ReaderConditional(form, splicing), Object::ReaderConditional(other, same)) => {
            splicing == same && equiv(*form, *other)?
        }
        (Object::Vector(x), Object::Vector(y)) => {
            if x.0.len() != y.0.len() {
                return Ok(false);
            }
            for (p, q) in x.0.iter().zip(y.0.iter()) {
                if !equiv(*p, *q)? {
                    return Ok(false);
                }
            }
            true
        }
        (x, y) if x.is_sequential() && y.is_sequential() => {
            let (mut xs, mut ys) = (SeqIter::new(a), SeqIter::new(b));
            loop {
                match (xs.next().transpose()?, ys.next().transpose()?) {
                    (None, None) => return Ok(true),
                    (Some(p), Some(q)) if equiv(p, q)? => continue,
                    _ => return Ok(false),
                }
            }
        }
        (Object::Map(x), Object::Map(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in x.entries() {
                match y.find(k)? {
                    Some((_, w)) if equiv(v, w)? => {}
                    _ => return Ok(false),
                }
            }
            true
        }
        // A record equals a record of its class with equal entries, never a
        // plain map (it is not a MapEquivalence).
        (Object::Record(x), Object::Record(y)) => {
            if x.class.name != y.class.name || x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in x.entries() {
                match y.find(k)? {
                    Some((_, w)) if equiv(v, w)? => {}
                    _ => return Ok(false),
                }
            }
            true
        }
        (Object::Set(x), Object::Set(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for item in x.items() {
                if !y.contains(item)? {
                    return Ok(false);
                }
            }
            true
        }
        _ => false,
    })
}

// ---- Murmur3 as clojure.lang.Murmur3 (seed 0), in Java int arithmetic ----

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

fn mix_k1(k1: u32) -> u32 {
    k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

fn mix_h1(h1: u32, k1: u32) -> u32 {
    (h1 ^ k1)
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

fn fmix(mut h1: u32, length: u32) -> u32 {
    h1 ^= length;
    h1 ^= h1 >> 16;
    h1 = h1.wrapping_mul(0x85eb_ca6b);
    h1 ^= h1 >> 13;
    h1 = h1.wrapping_mul(0xc2b2_ae35);
    h1 ^ (h1 >> 16)
}

fn hash_int(input: u32) -> u32 {
    if input == 0 {
        return 0;
    }
    fmix(mix_h1(0, mix_k1(input)), 4)
}

fn hash_long(input: i64) -> u32 {
    if input == 0 {
        return 0;
    }
    let low = input as u32;
    let high = ((input as u64) >> 32) as u32;
    fmix(mix_h1(mix_h1(0, mix_k1(low)), mix_k1(high)), 8)
}

fn hash_unencoded_chars(text: &str) -> u32 {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut h1 = 0;
    for pair in units.chunks_exact(2) {
        h1 = mix_h1(h1, mix_k1(u32::from(pair[0]) | (u32::from(pair[1]) << 16)));
    }
    if let [.., last] = units.as_slice() {
        if units.len() % 2 == 1 {
            h1 ^= mix_k1(u32::from(*last));
        }
    }
    fmix(h1, 2 * units.len() as u32)
}

fn mix_coll_hash(hash: u32, count: u32) -> u32 {
    fmix(mix_h1(0, mix_k1(hash)), count)
}

/// Murmur3.mixCollHash (`mix-collection-hash`).
pub fn mix_collection_hash(hash: i32, count: i32) -> i32 {
    mix_coll_hash(hash as u32, count as u32) as i32
}

/// Murmur3.hashOrdered (`hash-ordered-coll`, and a sequential's `hash`).
pub fn hash_ordered(items: impl IntoIterator<Item = R<Obj>>) -> R<i32> {
    let (mut hash, mut count) = (1u32, 0u32);
    for item in items {
        hash = hash.wrapping_mul(31).wrapping_add(hasheq(item?)? as u32);
        count = count.wrapping_add(1);
    }
    Ok(mix_coll_hash(hash, count) as i32)
}

/// Murmur3.hashUnordered (`hash-unordered-coll`, and a set's `hash`).
pub fn hash_unordered(items: impl IntoIterator<Item = R<Obj>>) -> R<i32> {
    let (mut hash, mut count) = (0u32, 0u32);
    for item in items {
        hash = hash.wrapping_add(hasheq(item?)? as u32);
        count = count.wrapping_add(1);
    }
    Ok(mix_coll_hash(hash, count) as i32)
}

/// Java's `String.hashCode` (over UTF-16 code units).
fn string_hash_code(text: &str) -> u32 {
    text.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(u32::from(unit))
    })
}

/// clojure.lang.Util.hashCombine.
fn hash_combine(seed: u32, hash: u32) -> u32 {
    let seed = seed as i32;
    (seed
        ^ (hash as i32)
            .wrapping_add(0x9e37_79b9_u32 as i32)
            .wrapping_add(seed << 6)
            .wrapping_add(seed >> 2)) as u32
}

/// Java's `Double.hashCode`.
fn double_hash_code(value: f64) -> u32 {
    let bits = if value.is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        value.to_bits()
    };
    (bits ^ (bits >> 32)) as u32
}

fn symbol_hash_code(ns: Option<&str>, name: &str) -> u32 {
    hash_combine(string_hash_code(name), ns.map_or(0, string_hash_code))
}

fn symbol_hasheq(ns: Option<&str>, name: &str) -> u32 {
    hash_combine(hash_unencoded_chars(name), ns.map_or(0, string_hash_code))
}

/// A value with identity semantics hashes its address.
fn identity_hash(value: Obj) -> u32 {
    hash_int(value.addr() as u32)
}

/// The fn a deftype or reify gave `value` for Object's `method`, if any.
fn host_object_method(value: Obj, method: &str) -> R<Option<Obj>> {
    crate::core::protocols::host_method(value, "Object", method)
}

/// A deftype's own `hashCode`, as Java's int, or its identity hash.
fn instance_hash(value: Obj) -> R<i32> {
    match host_object_method(value, "hashCode")? {
        // Its int return value, as the compiled method's RT.intCast.
        Some(hash_code) => crate::core::numbers::int_cast(call(hash_code, &[value])?),
        None => Ok(identity_hash(value) as i32),
    }
}

/// `hash`: clojure.lang.Util.hasheq.
pub fn hasheq(value: Obj) -> R<i32> {
    Ok(match &*value {
        // Not IHashEq: its hashCode.
        Object::Instance(_) => instance_hash(value)? as u32,
        Object::Nil => 0,
        Object::Int(i) => hash_long(*i),
        Object::BigInt(b) | Object::BigInteger(b) => match b.to_i64() {
            Some(i) => hash_long(i),
            None => number::big_integer_hash_code(b),
        },
        Object::Decimal(d) => number::decimal_hash(d),
        Object::Double(d) if *d == 0.0 => 0,
        Object::Double(d) => double_hash_code(*d),
        Object::Ratio(r) => {
            number::big_integer_hash_code(r.numer()) ^ number::big_integer_hash_code(r.denom())
        }
        Object::Bool(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        Object::Char(c) => u32::from(*c),
        Object::Str(s) => hash_int(string_hash_code(s)),
        Object::Symbol(n) => symbol_hasheq(n.ns.as_deref(), &n.name),
        Object::Keyword(n) => symbol_hasheq(n.ns.as_deref(), &n.name).wrapping_add(0x9e37_79b9),
        Object::Class(name) => hash_int(string_hash_code(name)),
        // Util.hasheq of a plain Object: its hashCode, unmixed.
        Object::Uuid(uuid) => uuid.hash_code() as u32,
        Object::Inst(ms) => jank_runtime_abi::java_instant::hash(*ms) as u32,
        // Neither is IHashEq: their hashCode, as TaggedLiteral and
        // ReaderConditional compute it.
        Object::TaggedLiteral(tag, form) => (java_hash_code(*tag)? as u32)
            .wrapping_mul(31)
            .wrapping_add(java_hash_code(*form)? as u32),
        Object::ReaderConditional(form, splicing) => (java_hash_code(*form)? as u32)
            .wrapping_mul(31)
            .wrapping_add(u32::from(*splicing)),
        Object::Map(m) => map_hasheq(m.entries())?,
        // defrecord's hasheq: the hash of its class name's symbol, xor the
        // map hash of its entries.
        Object::Record(r) => symbol_hasheq(None, r.class.name) ^ map_hasheq(r.entries())?,
        Object::Set(s) => hash_unordered(s.items().into_iter().map(Ok))? as u32,
        o if o.is_sequential() => hash_ordered(SeqIter::new(value))? as u32,
        _ => identity_hash(value),
    } as i32)
}

/// APersistentMap.mapHasheq: the unordered hash of the entries as 2-vectors.
fn map_hasheq(entries: Vec<(Obj, Obj)>) -> R<u32> {
    let count = entries.len() as u32;
    let mut hash = 0u32;
    for (k, v) in entries {
        let entry = 31u32
            .wrapping_mul(31u32.wrapping_add(hasheq(k)? as u32))
            .wrapping_add(hasheq(v)? as u32);
        hash = hash.wrapping_add(mix_coll_hash(entry, 2));
    }
    Ok(mix_coll_hash(hash, count))
}

/// APersistentMap.mapHash: the sum of each entry's key and value hashCodes xored.
fn map_hash_code(entries: Vec<(Obj, Obj)>) -> R<u32> {
    let mut hash = 0u32;
    for (k, v) in entries {
        hash = hash.wrapping_add((java_hash_code(k)? ^ java_hash_code(v)?) as u32);
    }
    Ok(hash)
}

/// Java's `hashCode` of the value, as `Object.toString` of a LazySeq shows it.
pub fn java_hash_code(value: Obj) -> R<i32> {
    Ok(match &*value {
        Object::Nil => 0,
        Object::Int(i) => (*i ^ ((*i as u64) >> 32) as i64) as u32,
        Object::BigInt(b) | Object::BigInteger(b) => number::big_integer_hash_code(b),
        // Double.hashCode, -0.0's too (hasheq makes it 0).
        Object::Double(d) => double_hash_code(*d),
        // BigDecimal.hashCode: 31 * the unscaled value's + the scale, unstripped.
        Object::Decimal(d) => {
            let (unscaled, scale) = d.as_bigint_and_exponent();
            number::big_integer_hash_code(&unscaled)
                .wrapping_mul(31)
                .wrapping_add(scale as u32)
        }
        Object::Str(s) => string_hash_code(s),
        Object::Symbol(n) => symbol_hash_code(n.ns.as_deref(), &n.name),
        Object::Keyword(n) => symbol_hash_code(n.ns.as_deref(), &n.name).wrapping_add(0x9e37_79b9),
        Object::Map(m) => map_hash_code(m.entries())?,
        // defrecord's hashCode is APersistentMap.mapHash, as a map's.
        Object::Record(r) => map_hash_code(r.entries())?,
        Object::Set(s) => {
            let mut hash = 0u32;
            for item in s.items() {
                hash = hash.wrapping_add(java_hash_code(item)? as u32);
            }
            hash
        }
        o if o.is_sequential() => {
            let mut hash = 1u32;
            for item in SeqIter::new(value) {
                hash = hash
                    .wrapping_mul(31)
                    .wrapping_add(java_hash_code(item?)? as u32);
            }
            hash
        }
        _ => hasheq(value)? as u32,
    } as i32)
}

fn ordering(o: Ordering) -> i32 {
    o as i32
}

/// Java's `String.compareTo`: the difference of the first differing UTF-16
/// units, else of the lengths.
fn compare_strings(a: &str, b: &str) -> i32 {
    let mut xs = a.encode_utf16();
    let mut ys = b.encode_utf16();
    let (mut xn, mut yn) = (0i32, 0i32);
    loop {
        match (xs.next(), ys.next()) {
            (Some(x), Some(y)) if x != y => return i32::from(x) - i32::from(y),
            (Some(_), Some(_)) => {
                xn += 1;
                yn += 1;
            }
            (Some(_), None) => return xn + 1 + xs.count() as i32 - yn,
            (None, Some(_)) => return xn - (yn + 1 + ys.count() as i32),
            (None, None) => return xn - yn,
        }
    }
}

/// `compare`: Clojure's Util.compare (nil first, numbers numerically, strings,
/// keywords and symbols like Java, vectors by length then elements).
pub fn compare(a: Obj, b: Obj) -> R<i32> {
    if a.identical(b) {
        return Ok(0);
    }
    match (&*a, &*b) {
        (Object::Nil, _) => Ok(-1),
        (_, Object::Nil) => Ok(1),
        (x, y) if x.is_number() && y.is_number() => {
            // Numbers.compare: neither less than the other is 0, so NaN
            // compares equal to every number.
            Ok(number::compare(&num(a)?, &num(b)?).map_or(0, ordering))
        }
        (x, _) if x.is_number() => Err(class_cast(b, "java.lang.Number")),
        (Object::Str(x), Object::Str(y)) => Ok(compare_strings(x, y)),
        // Comparable since Java 11, by the same rule as String.
        (Object::StringBuilder(x), Object::StringBuilder(y)) => {
            Ok(compare_strings(&x.borrow(), &y.borrow()))
        }
        (Object::Char(x), Object::Char(y)) => Ok(*x as i32 - *y as i32),
        (Object::Bool(x), Object::Bool(y)) => Ok(ordering(x.cmp(y))),
        (Object::Uuid(x), Object::Uuid(y)) => Ok(ordering(x.compare(*y))),
        (Object::Inst(x), Object::Inst(y)) => Ok(ordering(x.cmp(y))),
        (Object::Keyword(x), Object::Keyword(y)) | (Object::Symbol(x), Object::Symbol(y)) => {
            Ok(match (&x.ns, &y.ns) {
                (None, Some(_)) => -1,
                (Some(_), None) => 1,
                (Some(p), Some(q)) if p != q => compare_strings(p, q),
                _ => compare_strings(&x.name, &y.name),
            })
        }
        (Object::Vector(x), Object::Vector(y)) => {
            if x.0.len() != y.0.len() {
                return Ok(ordering(x.0.len().cmp(&y.0.len())));
            }
            for (p, q) in x.0.iter().zip(y.0.iter()) {
                let c = compare(*p, *q)?;
                if c != 0 {
                    return Ok(c);
                }
            }
            Ok(0)
        }
        (
            Object::Str(_)
            | Object::Char(_)
            | Object::Bool(_)
            | Object::Keyword(_)
            | Object::Symbol(_)
            | Object::Vector(_)
            | Object::StringBuilder(_),
            _,
        ) => Err(class_cast(b, a.class_name())),
        _ => Err(class_cast(a, "java.lang.Comparable")),
    }
}

/// Compares with a comparator fn as Clojure's AFunction.compare reads its
/// answer (a boolean means "less than", asked both ways), or with `compare`
/// when None.
pub fn compare_by(comparator: Option<Obj>, a: Obj, b: Obj) -> R<i32> {
    let Some(f) = comparator else {
        return compare(a, b);
    };
    let result = call(f, &[a, b])?;
    match &*result {
        Object::Bool(true) => Ok(-1),
        Object::Bool(false) => Ok(if truthy(call(f, &[b, a])?) { 1 } else { 0 }),
        _ if result.is_number() => Ok(to_long(result)? as i32),
        _ => Err(class_cast(result, "java.lang.Number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coll::{vector_obj, Map};
    use crate::object::{boolean, double, int, keyword, nil, string, symbol};
    use crate::seq::list_of;

    fn eq(a: Obj, b: Obj) -> bool {
        equiv(a, b).ok().unwrap()
    }

    fn hash(a: Obj) -> i32 {
        hasheq(a).ok().unwrap()
    }

    #[test]
    fn equality() {
        assert!(!eq(int(1), double(1.0)));
        assert!(eq(int(1), int(1)));
        assert!(eq(double(0.0), double(-0.0)));
        assert!(!eq(double(f64::NAN), double(f64::NAN)));
        assert!(eq(vector_obj([int(1), int(2)]), list_of(&[int(1), int(2)])));
        assert!(!eq(vector_obj([int(1)]), list_of(&[int(1), int(2)])));
        assert!(eq(vector_obj([]), list_of(&[])));
        assert!(!eq(nil(), list_of(&[])));
        assert!(eq(string("a"), string("a")));
        assert!(eq(symbol(Some("a"), "b"), symbol(Some("a"), "b")));
        let m1 = Map::from_pairs(
            [(keyword(None, "a"), int(1)), (keyword(None, "b"), int(2))],
            true,
        )
        .ok()
        .unwrap();
        let m2 = Map::from_pairs(
            [(keyword(None, "b"), int(2)), (keyword(None, "a"), int(1))],
            false,
        )
        .ok()
        .unwrap();
        assert!(eq(crate::coll::map_obj(m1), crate::coll::map_obj(m2)));
    }

    #[test]
    fn hashes_match_clojure() {
        assert_eq!(hash(nil()), 0);
        assert_eq!(hash(int(1)), 1_392_991_556);
        assert_eq!(hash(int(42)), 1_871_679_806);
        assert_eq!(hash(double(1.0)), 1_072_693_248);
        assert_eq!(hash(string("a")), 1_455_541_201);
        assert_eq!(hash(keyword(None, "a")), -2_123_407_586);
        assert_eq!(hash(boolean(true)), 1231);
        assert_eq!(hash(vector_obj([])), -2_017_569_654);
        assert_eq!(
            hash(vector_obj([int(1), int(2)])),
            hash(list_of(&[int(1), int(2)]))
        );
    }

    #[test]
    fn comparisons() {
        assert_eq!(compare(string("a"), string("c")).ok(), Some(-2));
        assert_eq!(compare(string("a"), string("abc")).ok(), Some(-2));
        assert_eq!(compare(nil(), int(1)).ok(), Some(-1));
        assert_eq!(compare(int(2), double(1.5)).ok(), Some(1));
        assert_eq!(
            compare(keyword(None, "a"), keyword(Some("x"), "a")).ok(),
            Some(-1)
        );
        assert_eq!(
            compare(vector_obj([int(1), int(2)]), vector_obj([int(1), int(3)])).ok(),
            Some(-1)
        );
        assert!(compare(int(1), string("a")).is_err());
    }
}
