//! A compact binary form of a value for the host (`jank_host_encode`), so a
//! page can read a view's hiccup data without printing and re-reading it.
//!
//! Each value is one tag byte, then:
//! - `NIL`, `FALSE`, `TRUE`: nothing;
//! - `NUMBER`: an f64, little-endian (integers, ratios and big ints as the
//!   nearest double, as JavaScript holds numbers);
//! - `STRING`, `KEYWORD`, `SYMBOL`, `CHAR`, `OPAQUE`: a u32 byte length and
//!   that much UTF-8 (keywords and symbols `ns/name` without the colon;
//!   `OPAQUE` is any other value, as `str` prints it: a fn, an atom, a var);
//! - `VECTOR`, `LIST` (every seq), `SET`: a u32 count, then the items;
//! - `MAP`: a u32 entry count, then key and value of each entry;
//! - `KEYED`: a vector whose metadata has `:key` (reagent's `^{:key k}` on a
//!   hiccup element): the key, then the vector.
//!
//! A value's encoding depends on nothing before it, so equal bytes at any
//! offset are an equal value: the page compares a render's bytes with the
//! last render's to skip what did not change.
//!
//! Realizing a lazy seq may throw; encoding then fails with that exception.

use crate::coll::Map;
use crate::error::{illegal_argument, R};
use crate::object::{Named, Obj, Object};
use crate::print::str_of;
use crate::seq::SeqIter;

pub const NIL: u8 = 0;
pub const FALSE: u8 = 1;
pub const TRUE: u8 = 2;
pub const NUMBER: u8 = 3;
pub const STRING: u8 = 4;
pub const KEYWORD: u8 = 5;
pub const SYMBOL: u8 = 6;
pub const CHAR: u8 = 7;
pub const VECTOR: u8 = 8;
pub const LIST: u8 = 9;
pub const MAP: u8 = 10;
pub const SET: u8 = 11;
pub const OPAQUE: u8 = 12;
/// Only in an effect's request (core/host.rs): a fn, as its u32 address.
pub const FN: u8 = 13;
pub const KEYED: u8 = 14;

/// How deep collections may nest: deeper data is almost surely a cycle
/// through a lazy seq, and would overflow the wasm stack.
const MAX_DEPTH: usize = 2_000;

/// Appends the encoding of `value` to `out`.
pub fn encode(out: &mut Vec<u8>, value: Obj) -> R<()> {
    encode_at(out, value, 0)
}

/// A tag and a u32 (a length or a count) in one write: a view of thousands
/// of elements writes one per value.
fn tagged(out: &mut Vec<u8>, tag: u8, length: usize) -> R<()> {
    let [a, b, c, d] = u32::try_from(length)
        .map_err(|_| illegal_argument("a value too large to encode"))?
        .to_le_bytes();
    out.extend_from_slice(&[tag, a, b, c, d]);
    Ok(())
}

fn text(out: &mut Vec<u8>, tag: u8, text: &str) -> R<()> {
    tagged(out, tag, text.len())?;
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// A keyword or symbol as `ns/name`, written without building that string
/// (a view names a tag keyword per element).
fn named(out: &mut Vec<u8>, tag: u8, named: &Named) -> R<()> {
    match &named.ns {
        Some(ns) => {
            tagged(out, tag, ns.len() + 1 + named.name.len())?;
            out.extend_from_slice(ns.as_bytes());
            out.push(b'/');
        }
        None => tagged(out, tag, named.name.len())?,
    }
    out.extend_from_slice(named.name.as_bytes());
    Ok(())
}

fn number(out: &mut Vec<u8>, value: f64) {
    let [a, b, c, d, e, f, g, h] = value.to_le_bytes();
    out.extend_from_slice(&[NUMBER, a, b, c, d, e, f, g, h]);
}

/// Writes `tag`, a count placeholder and the items; the count is patched
/// once known (a seq's length is known only once walked).
fn sequence(
    out: &mut Vec<u8>,
    tag: u8,
    items: impl Iterator<Item = R<Obj>>,
    depth: usize,
) -> R<()> {
    out.push(tag);
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    let mut count = 0usize;
    for item in items {
        encode_at(out, item?, depth + 1)?;
        count += 1;
    }
    let count =
        u32::try_from(count).map_err(|_| illegal_argument("a value too large to encode"))?;
    out[at..at + 4].copy_from_slice(&count.to_le_bytes());
    Ok(())
}

fn encode_at(out: &mut Vec<u8>, value: Obj, depth: usize) -> R<()> {
    if depth > MAX_DEPTH {
        return Err(illegal_argument(format!(
            "cannot encode data nested deeper than {MAX_DEPTH} levels"
        )));
    }
    match &*value {
        Object::Nil => out.push(NIL),
        Object::Bool(false) => out.push(FALSE),
        Object::Bool(true) => out.push(TRUE),
        Object::Int(i) => number(out, *i as f64),
        Object::Double(d) => number(out, *d),
        Object::BigInt(_) | Object::BigInteger(_) | Object::Ratio(_) | Object::Decimal(_) => {
            number(out, crate::number::num(value)?.to_f64())
        }
        Object::Char(c) => text(out, CHAR, c.encode_utf8(&mut [0; 4]))?,
        Object::Str(s) => text(out, STRING, s)?,
        Object::Keyword(n) => named(out, KEYWORD, n)?,
        Object::Symbol(n) => named(out, SYMBOL, n)?,
        Object::Vector(v) => {
            if let Some(key) = crate::meta::key_of(value)? {
                out.push(KEYED);
                encode_at(out, key, depth + 1)?;
            }
            // Leaf by leaf: plain slices, where the vector's own iterator
            // looks each item up through its tree.
            tagged(out, VECTOR, v.0.len())?;
            for leaf in v.0.leaves() {
                for &item in leaf {
                    encode_at(out, item, depth + 1)?;
                }
            }
        }
        Object::Map(m) => {
            tagged(out, MAP, m.len())?;
            // An array map (an element's attributes) is read in place.
            let copied;
            let entries = match m {
                Map::Array(entries) => entries,
                _ => {
                    copied = m.entries();
                    &copied
                }
            };
            for &(k, v) in entries {
                encode_at(out, k, depth + 1)?;
                encode_at(out, v, depth + 1)?;
            }
        }
        Object::Set(s) => sequence(out, SET, s.items().into_iter().map(Ok), depth)?,
        o if o.is_seq() => sequence(out, LIST, SeqIter::new(value), depth)?,
        _ => text(out, OPAQUE, &str_of(value)?)?,
    }
    Ok(())
}
