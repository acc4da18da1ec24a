//! The value model: every jank value is an [`Obj`], a never-null pointer to a
//! heap [`Object`] inside the collector's [`GcBox`]. All objects are made by
//! [`alloc`], which registers them with the collector ([`crate::gc`]); nil,
//! true, false and the empty list are static singletons and keywords are
//! interned (weakly: the collector drops unreachable ones), so `identical?`
//! holds for them.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ops::Deref;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::coll::{Map, Set, Vector};
use crate::error::Exception;
use crate::function::Function;
use crate::gc::{self, GcBox};
use crate::seq::{LazySeq, Range};

/// A jank value: a pointer to an object's [`GcBox`], an i32 in wasm32.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Obj(NonNull<GcBox>);

impl Obj {
    pub(crate) fn from_cell(cell: NonNull<GcBox>) -> Obj {
        Obj(cell)
    }

    /// The object's cell, mark included.
    pub(crate) fn cell(&self) -> &GcBox {
        // SAFETY: every Obj comes from `alloc` or is a static singleton, and
        // the collector frees an object only when nothing reachable refers to
        // it (see `crate::gc`), so a live Obj's cell is allocated.
        unsafe { self.0.as_ref() }
    }

    /// The object's address, for identity hashes and printing.
    pub fn addr(self) -> usize {
        self.0.as_ptr() as usize
    }

    /// `identical?`: the same object.
    pub fn identical(self, other: Obj) -> bool {
        self.0 == other.0
    }
}

impl Deref for Obj {
    type Target = Object;

    fn deref(&self) -> &Object {
        let cell = self.cell();
        #[cfg(test)]
        assert!(!cell.is_tombstone(), "use of a collected object");
        &cell.object
    }
}

/// The namespace and name of a keyword or symbol.
pub struct Named {
    pub ns: Option<Box<str>>,
    pub name: Box<str>,
}

impl Named {
    /// `ns/name`, or `name` without a namespace.
    pub fn qualified(&self) -> String {
        match &self.ns {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// A persistent list cell: `first` followed by the list `rest`.
pub struct ListNode {
    pub first: Obj,
    pub rest: Obj,
    pub count: usize,
}

/// A clojure.lang.PersistentQueue, built as Clojure's: `front` is a seq (a
/// one-value list, or a seq over a vector that was the rear) holding the
/// first values, nil only when the queue is empty; `rear` is the vector the
/// later values were conjoined onto, nil when there are none. `conj` adds to
/// `rear`; `pop` steps `front` and, once it runs out, takes `rear`'s seq as
/// the new front: both amortized O(1).
pub struct Queue {
    pub count: usize,
    pub front: Obj,
    pub rear: Obj,
}

/// A var: a named, rebindable root value.
pub struct Var {
    pub ns: Box<str>,
    pub name: Box<str>,
    pub root: Cell<Option<Obj>>,
}

impl Var {
    /// `ns/name`.
    pub fn qualified(&self) -> String {
        format!("{}/{}", self.ns, self.name)
    }
}

/// An atom or a ref: its value, its watches (a hash map of key to fn) and
/// its validator (nil or a fn). A ref changes only inside a transaction
/// (`core::refs`).
pub struct Atom {
    pub value: Cell<Obj>,
    pub watches: Cell<Obj>,
    pub validator: Cell<Obj>,
    pub kind: ReferenceKind,
}

/// Which reference type an [`Atom`] is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    Atom,
    Ref,
}

/// A delay: its thunk until forced, then its value, or what the thunk threw
/// (thrown again by every later force, as Clojure's Delay does).
pub enum DelayState {
    Pending(Obj),
    Done(Obj),
    Failed(Obj),
}

/// Every kind of jank value.
pub enum Object {
    Nil,
    Bool(bool),
    Int(i64),
    /// A clojure.lang.BigInt (`1N`), any size.
    BigInt(Box<num_bigint::BigInt>),
    /// A java.math.BigInteger (`numerator`, `biginteger`): a BigInt printed without `N`.
    BigInteger(Box<num_bigint::BigInt>),
    Double(f64),
    /// A normalised ratio: denominator > 1, no common factor.
    Ratio(Box<num_rational::BigRational>),
    /// A java.math.BigDecimal (`1.50M`): unscaled digits and a scale.
    Decimal(Box<bigdecimal::BigDecimal>),
    Char(char),
    Str(Box<str>),
    Keyword(Named),
    Symbol(Named),
    EmptyList,
    List(ListNode),
    /// A seq of `first` followed by `more` (any seqable, nil for none).
    Cons(Obj, Obj),
    Vector(Box<Vector>),
    Map(Map),
    Set(Set),
    /// A seq over a vector object from an index (always < its count).
    VecSeq(Obj, usize),
    /// A seq over a snapshot of values from an index (always < its length).
    ArraySeq(Rc<[Obj]>, usize),
    /// A seq over a string object's chars from a byte offset (always < its length).
    StrSeq(Obj, usize),
    /// Clojure's ChunkedCons: a chunk's values from an index (always < its
    /// length), then the seqable `more` (nil for none). What `map`,
    /// `filter` and `keep` make of a chunked seq ([`crate::seq::chunk_of`]).
    Chunked(Rc<[Obj]>, usize, Obj),
    Range(Box<Range>),
    Lazy(Box<LazySeq>),
    Queue(Queue),
    /// clojure.lang.PersistentQueue$Seq, a queue's seq: the values of the
    /// seq `front` (a queue's front), then those of the seq `rear` (a
    /// vector's seq), nil when there are none.
    QueueSeq(Obj, Obj),
    /// A JVM class, by its full name from `jank_runtime_abi::java_classes`:
    /// what `class` returns and `instance?` tests against.
    Class(&'static str),
    Fn(Box<Function>),
    Var(Var),
    Atom(Box<Atom>),
    Volatile(Cell<Obj>),
    /// A transient collection: the persistent value it stands for, None after `persistent!`.
    Transient(Cell<Option<Obj>>),
    Reduced(Obj),
    Delay(RefCell<DelayState>),
    /// A promise: None until `deliver` gives it its value, which never changes after.
    Promise(Cell<Option<Obj>>),
    Exception(Box<Exception>),
    Regex(Box<crate::regex::Pattern>),
    Matcher(Box<crate::regex::Matcher>),
    MultiFn(Box<crate::core::multi::MultiFn>),
    /// A java.util.Date (`#inst "..."`): milliseconds since the epoch.
    Inst(i64),
    /// A java.util.UUID (`#uuid "..."`, `random-uuid`, `parse-uuid`).
    Uuid(jank_runtime_abi::java_uuid::Uuid),
    /// A record (`defrecord`): a map of its class.
    Record(Box<crate::record::Record>),
    /// An instance of a `deftype` or a `reify`.
    Instance(Box<crate::record::Instance>),
    /// A namespace, interned by name (`*ns*`, `the-ns`): only its name is
    /// known at run time, the compiler owns what it holds.
    Namespace(Box<str>),
    /// One of the page's streams, the roots of `*out*`, `*err*` and `*in*`.
    Stream(Stream),
    /// A clojure.lang.TaggedLiteral (`tagged-literal`): its tag and form.
    TaggedLiteral(Obj, Obj),
    /// A clojure.lang.ReaderConditional (`reader-conditional`): its form and
    /// whether it splices (`#?@`).
    ReaderConditional(Obj, bool),
    /// A structmap's basis (`create-struct`): its keys, in order. The
    /// structmaps it makes are maps (`core::structs`).
    StructDef(Box<[Obj]>),
    /// A java.math.MathContext (`with-precision`'s `*math-context*`).
    MathContext(Box<crate::number::MathContext>),
    /// A plain java.lang.Object (`(Object.)`): only its identity, which code
    /// uses as a sentinel no other value equals.
    Plain,
    /// A java.lang.StringBuilder (`(StringBuilder.)`): its text, which
    /// `.append`, `.insert`, `.reverse` ... change in place
    /// (`core::java::string_builder`).
    StringBuilder(RefCell<String>),
}

/// The streams a page has: output and error output go to the host's
/// `write`, input is what `with-in-str` gives (`core::input`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
    In,
}

// Objects stay small in wasm32: the big payloads are boxed, and a cell is
// the object plus an aligned mark.
#[cfg(target_arch = "wasm32")]
const _: () = assert!(std::mem::size_of::<Object>() <= 24);
#[cfg(target_arch = "wasm32")]
const _: () = assert!(std::mem::size_of::<GcBox>() <= 32);

/// Makes an object. Every object of the runtime is made here.
pub fn alloc(object: Object) -> Obj {
    gc::register(object)
}

/// Makes an object the collector never frees.
pub fn alloc_permanent(object: Object) -> Obj {
    gc::permanently(|| gc::register(object))
}

/// A singleton that never changes, so sharing it is sound.
struct Immutable(GcBox);

// SAFETY: only Nil, Bool and EmptyList are stored, which have no interior
// mutability, and their mark is IMMORTAL, which the collector never writes.
unsafe impl Sync for Immutable {}

static NIL: Immutable = Immutable(GcBox::immortal(Object::Nil));
static TRUE: Immutable = Immutable(GcBox::immortal(Object::Bool(true)));
static FALSE: Immutable = Immutable(GcBox::immortal(Object::Bool(false)));
static EMPTY_LIST: Immutable = Immutable(GcBox::immortal(Object::EmptyList));

fn singleton(value: &'static Immutable) -> Obj {
    Obj(NonNull::from(&value.0))
}

pub fn nil() -> Obj {
    singleton(&NIL)
}

pub fn boolean(value: bool) -> Obj {
    singleton(if value { &TRUE } else { &FALSE })
}

pub fn empty_list() -> Obj {
    singleton(&EMPTY_LIST)
}

/// The boxed integers that are shared like Java's Long cache (so
/// `(identical? 1 1)` holds): -SMALL_INT_LIMIT..SMALL_INT_LIMIT.
const SMALL_INT_LIMIT: i64 = jank_runtime_abi::JANK_SMALL_INT_LIMIT as i64;

/// One shared boxed integer, padded to jank_patch_abi.h's stride.
#[repr(C, align(32))]
struct SmallInt(GcBox);

#[cfg(target_arch = "wasm32")]
const _: () = assert!(std::mem::size_of::<SmallInt>() == jank_runtime_abi::JANK_SMALL_INT_STRIDE);

/// The shared boxed integers in value order, one array, so patches can
/// compare and add them by address (jank_patch_abi.h, "Small integers").
struct SmallInts([SmallInt; 2 * SMALL_INT_LIMIT as usize]);

// SAFETY: only `Object::Int`s are stored, which have no interior mutability,
// and their mark is IMMORTAL, which the collector never writes.
unsafe impl Sync for SmallInts {}

static SMALL_INTS: SmallInts = SmallInts(small_ints());

const fn small_ints() -> [SmallInt; 2 * SMALL_INT_LIMIT as usize] {
    let mut boxes =
        [const { std::mem::MaybeUninit::<SmallInt>::uninit() }; 2 * SMALL_INT_LIMIT as usize];
    let mut i = 0;
    while i < boxes.len() {
        boxes[i] = std::mem::MaybeUninit::new(SmallInt(GcBox::immortal(Object::Int(
            i as i64 - SMALL_INT_LIMIT,
        ))));
        i += 1;
    }
    // SAFETY: every element was initialized above; MaybeUninit<T> has T's layout.
    unsafe { std::mem::transmute(boxes) }
}

/// The box of 0 among the shared boxed integers (`jank_small_ints`).
pub fn small_int_zero() -> *const GcBox {
    &SMALL_INTS.0[SMALL_INT_LIMIT as usize].0
}

pub fn int(value: i64) -> Obj {
    if (-SMALL_INT_LIMIT..SMALL_INT_LIMIT).contains(&value) {
        return Obj(NonNull::from(
            &SMALL_INTS.0[(value + SMALL_INT_LIMIT) as usize].0,
        ));
    }
    gc::register_with(|| Object::Int(value))
}

pub fn double(value: f64) -> Obj {
    gc::register_with(|| Object::Double(value))
}

pub fn string(value: impl Into<Box<str>>) -> Obj {
    alloc(Object::Str(value.into()))
}

pub fn character(value: char) -> Obj {
    alloc(Object::Char(value))
}

fn named(ns: Option<&str>, name: &str) -> Named {
    Named {
        ns: ns.map(Into::into),
        name: name.into(),
    }
}

/// Interned keywords by (namespace, name).
type KeywordTable = HashMap<(Option<Box<str>>, Box<str>), Obj>;

thread_local! {
    static KEYWORDS: RefCell<KeywordTable> = RefCell::new(HashMap::new());
}

/// The interned keyword `:ns/name` (`:name` when ns is None).
pub fn keyword(ns: Option<&str>, name: &str) -> Obj {
    let key: (Option<Box<str>>, Box<str>) = (ns.map(Into::into), name.into());
    KEYWORDS.with(|table| {
        *table
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| alloc(Object::Keyword(named(ns, name))))
    })
}

/// The keyword `:ns/name` if it is interned (`find-keyword`).
pub fn find_keyword(ns: Option<&str>, name: &str) -> Option<Obj> {
    let key: (Option<Box<str>>, Box<str>) = (ns.map(Into::into), name.into());
    KEYWORDS.with(|table| table.borrow().get(&key).copied())
}

/// Drops the interned keywords `keep` rejects (the collector's weak table);
/// fails when the table is in use.
pub(crate) fn forget_keywords(keep: impl Fn(Obj) -> bool) -> Result<(), std::cell::BorrowMutError> {
    KEYWORDS.with(|table| {
        table.try_borrow_mut()?.retain(|_, keyword| keep(*keyword));
        Ok(())
    })
}

/// The symbol `ns/name` (`name` when ns is None).
pub fn symbol(ns: Option<&str>, name: &str) -> Obj {
    alloc(Object::Symbol(named(ns, name)))
}

/// Splits `ns/name` the way Clojure's `Symbol.intern` of one string does: at
/// the first `/`, except that `/` alone is a name without a namespace.
pub fn split_qualified(text: &str) -> (Option<&str>, &str) {
    match text.find('/') {
        Some(i) if text != "/" => (Some(&text[..i]), &text[i + 1..]),
        _ => (None, text),
    }
}

/// `(if x ...)`: everything but nil and false.
pub fn truthy(value: Obj) -> bool {
    !matches!(*value, Object::Nil | Object::Bool(false))
}

impl Object {
    pub fn is_nil(&self) -> bool {
        matches!(self, Object::Nil)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Object::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The Java class Clojure reports for a value of this kind (error messages, `str`).
    pub fn class_name(&self) -> &'static str {
        match self {
            Object::Nil => "nil",
            Object::Bool(_) => "java.lang.Boolean",
            Object::Int(_) => "java.lang.Long",
            Object::BigInt(_) => "clojure.lang.BigInt",
            Object::BigInteger(_) => "java.math.BigInteger",
            Object::Double(_) => "java.lang.Double",
            Object::Ratio(_) => "clojure.lang.Ratio",
            Object::Decimal(_) => "java.math.BigDecimal",
            Object::Char(_) => "java.lang.Character",
            Object::Str(_) => "java.lang.String",
            Object::Keyword(_) => "clojure.lang.Keyword",
            Object::Symbol(_) => "clojure.lang.Symbol",
            Object::EmptyList => "clojure.lang.PersistentList$EmptyList",
            Object::List(_) => "clojure.lang.PersistentList",
            Object::Cons(..) => "clojure.lang.Cons",
            Object::Vector(v) => match v.1 {
                crate::coll::VectorClass::Persistent => "clojure.lang.PersistentVector",
                crate::coll::VectorClass::MapEntry => "clojure.lang.MapEntry",
            },
            Object::Map(m) if m.is_array() => "clojure.lang.PersistentArrayMap",
            Object::Map(m) if m.is_sorted() => "clojure.lang.PersistentTreeMap",
            Object::Map(_) => "clojure.lang.PersistentHashMap",
            Object::Set(s) if s.is_sorted() => "clojure.lang.PersistentTreeSet",
            Object::Set(_) => "clojure.lang.PersistentHashSet",
            Object::VecSeq(..) => "clojure.lang.PersistentVector$ChunkedSeq",
            Object::ArraySeq(..) => "clojure.lang.ArraySeq",
            Object::StrSeq(..) => "clojure.lang.StringSeq",
            Object::Chunked(..) => "clojure.lang.ChunkedCons",
            Object::Range(_) => "clojure.lang.LongRange",
            Object::Lazy(_) => "clojure.lang.LazySeq",
            Object::Queue(_) => "clojure.lang.PersistentQueue",
            Object::QueueSeq(..) => "clojure.lang.PersistentQueue$Seq",
            Object::Class(_) => "java.lang.Class",
            Object::Uuid(_) => "java.util.UUID",
            Object::Inst(_) => "java.util.Date",
            Object::Fn(_) => "clojure.lang.AFunction",
            Object::Var(_) => "clojure.lang.Var",
            Object::Atom(atom) => match atom.kind {
                ReferenceKind::Atom => "clojure.lang.Atom",
                ReferenceKind::Ref => "clojure.lang.Ref",
            },
            Object::Volatile(_) => "clojure.lang.Volatile",
            Object::Transient(_) => "clojure.lang.ATransientCollection",
            Object::Reduced(_) => "clojure.lang.Reduced",
            Object::Delay(_) => "clojure.lang.Delay",
            Object::Promise(_) => "clojure.core$promise$reify",
            Object::Exception(e) => e.class,
            Object::Regex(_) => "java.util.regex.Pattern",
            Object::Matcher(_) => "java.util.regex.Matcher",
            Object::MultiFn(_) => "clojure.lang.MultiFn",
            Object::Namespace(_) => "clojure.lang.Namespace",
            Object::Stream(Stream::Out) => "java.io.OutputStreamWriter",
            Object::Stream(Stream::Err) => "java.io.PrintWriter",
            Object::Stream(Stream::In) => "clojure.lang.LineNumberingPushbackReader",
            Object::TaggedLiteral(..) => "clojure.lang.TaggedLiteral",
            Object::ReaderConditional(..) => "clojure.lang.ReaderConditional",
            Object::StructDef(_) => "clojure.lang.PersistentStructMap$Def",
            Object::MathContext(_) => "java.math.MathContext",
            Object::Plain => "java.lang.Object",
            Object::StringBuilder(_) => "java.lang.StringBuilder",
            Object::Record(record) => record.class.name,
            Object::Instance(instance) => instance.class.name,
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(
            self,
            Object::Int(_)
                | Object::BigInt(_)
                | Object::BigInteger(_)
                | Object::Double(_)
                | Object::Ratio(_)
                | Object::Decimal(_)
        )
    }

    /// ISeq: lists and every seq kind.
    pub fn is_seq(&self) -> bool {
        matches!(
            self,
            Object::EmptyList
                | Object::List(_)
                | Object::Cons(..)
                | Object::VecSeq(..)
                | Object::ArraySeq(..)
                | Object::StrSeq(..)
                | Object::Chunked(..)
                | Object::Range(_)
                | Object::Lazy(_)
                | Object::QueueSeq(..)
        )
    }

    /// Sequential: vectors, lists, queues and seqs.
    pub fn is_sequential(&self) -> bool {
        matches!(self, Object::Vector(_) | Object::Queue(_)) || self.is_seq()
    }

    /// What `seq` accepts: nil, strings, collections and seqs.
    pub fn is_seqable(&self) -> bool {
        self.is_seq()
            || matches!(
                self,
                Object::Nil
                    | Object::Str(_)
                    | Object::Vector(_)
                    | Object::Map(_)
                    | Object::Set(_)
                    | Object::Record(_)
                    | Object::Queue(_)
                    | Object::StringBuilder(_)
            )
    }

    /// IFn: what `call` accepts without a ClassCastException.
    pub fn is_ifn(&self) -> bool {
        matches!(
            self,
            Object::Fn(_)
                | Object::MultiFn(_)
                | Object::Var(_)
                | Object::Keyword(_)
                | Object::Symbol(_)
                | Object::Map(_)
                | Object::Set(_)
                | Object::Vector(_)
                | Object::Promise(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singletons_and_keywords_are_identical() {
        assert!(nil().identical(nil()));
        assert!(boolean(true).identical(boolean(true)));
        assert!(!boolean(true).identical(boolean(false)));
        assert!(keyword(None, "a").identical(keyword(None, "a")));
        assert!(!keyword(Some("x"), "a").identical(keyword(None, "a")));
        assert!(!truthy(nil()) && !truthy(boolean(false)) && truthy(int(0)));
    }

    #[test]
    fn qualified_names_split_like_clojure() {
        assert_eq!(split_qualified("a/b"), (Some("a"), "b"));
        assert_eq!(split_qualified("/"), (None, "/"));
        assert_eq!(split_qualified("ab"), (None, "ab"));
        assert_eq!(split_qualified("a/b/c"), (Some("a"), "b/c"));
    }
}
