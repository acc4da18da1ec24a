//! The collector: a non-moving mark-sweep collector that the host runs at
//! safe points, plus the allocator statistics it paces itself by.
//!
//! Why tracing and not reference counting: an [`Obj`] is a plain `Copy`
//! pointer, held as such by every collection, seq, closure environment and
//! patch (patches keep values in wasm locals, on the shadow stack and in
//! their own globals, none of which could maintain counts), and the object
//! graph has cycles (`letfn` closures capture each other, an atom can hold a
//! fn that reaches the atom). So objects are registered when made and freed
//! only by tracing from roots. Collectable objects live in blocks of cells
//! ([`cells`]), which are also the registry the sweep walks.
//!
//! When it runs, at two kinds of safe point:
//! - between host-initiated calls, when the host asks (`jank_host_gc_collect`,
//!   or `jank_host_gc_safe_point`, which collects once the heap has grown
//!   enough): no patch or runtime frame is live;
//! - inside a call ([`poll`]), so a long computation does not keep all its
//!   garbage until it returns: at a patch's loop back-edge (`jank_gc_poll`)
//!   and at each step of the runtime's own seq-walking loops (`count`,
//!   `reduce`, `dorun`, ...: [`RootedSeq`]).
//!
//! Inside a call every live reference must be found, in three kinds of frame:
//! - patch frames keep every object they still use after a call in a root
//!   area of their shadow-stack frame (locals are mirrored there when
//!   assigned). The collector finds root areas by their magic word; a slot
//!   keeps an object when it holds a registered object's address (a slot
//!   not yet assigned holds a stale word, which at worst keeps garbage a
//!   little longer). Argument arrays are not roots, so a seq passed to
//!   `count` is not kept by its caller, and a local passed at its last read
//!   has its slot cleared first;
//! - runtime frames that hold values across the jank code they run (a lazy
//!   seq being realized, `swap!`, `sort` with a comparator, every helper but
//!   `jank_call`) run [`inhibited`]: no in-call collection happens while one
//!   is on the stack;
//! - the few loops that do collect keep their state in a [`RootFrame`].
//!
//! A patch that does not keep its roots in its frame (one made by emcc from
//! the C++ lowering, or for the seed helper set) lacks the `jank.frame_roots`
//! custom section; a host loading one turns collection inside calls off
//! (`jank_host_gc_in_calls`), and from then on collections happen only
//! between calls.
//!
//! A request inside a `host.write` callback (the one way the host regains
//! control while the runtime runs) or inside a permanent bracket is refused,
//! and so is one that finds an object's state borrowed (a trap left it so):
//! a leak is always preferred to a use-after-free. A trap skips the ends of
//! inhibited sections and root frames; the next safe point between calls,
//! where neither can be live, forgets them.
//!
//! Stress mode (`jank_host_gc_stress`) collects at every safe point of
//! either kind and, instead of freeing an object, turns it into the symbol
//! `jankwasm.gc/collected-object` (its memory is kept), so a value the
//! collector missed shows up in the program's output instead of corrupting
//! memory later.
//!
//! Roots at a safe point between calls:
//! - permanent objects: everything made between `jank_host_permanent_begin`
//!   and `_end` (the host brackets a patch's instantiation and constructors,
//!   since a patch keeps its constants and var handles in wasm globals the
//!   collector cannot see), every var (vars are never removed), the native
//!   library installed with the var table, and the small-integer cache;
//! - the pending exception;
//! - values the host retained with `jank_host_retain`;
//! - inside a call, also the root frames and the shadow stack.
//!
//! Everything reachable from a root is kept: var roots, atom values, watches
//! and validators, closure environments, lazy seqs' thunks and realized
//! values, delays, collections' items, exceptions' messages, data and causes,
//! and every kept object's metadata (`crate::meta`, weak in the object).
//! Interned keywords are weak: an unreachable keyword leaves the intern table
//! (nothing can compare it for identity any more), so making keywords at run
//! time does not grow the heap for ever.
//!
//! Marks are collection numbers, so no pass clears them; static singletons
//! carry [`IMMORTAL`] and are never written. In test builds freed objects
//! become tombstones that stay allocated, and touching one panics, so the
//! unit tests catch any use after free.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::function::Function;
use crate::object::{DelayState, Obj, Object};

/// The mark of a static singleton: never collected, never written.
pub(crate) const IMMORTAL: u32 = u32::MAX;
/// The mark of a freed object kept as a tombstone (test builds).
#[cfg(test)]
pub(crate) const TOMBSTONE: u32 = u32::MAX - 1;
/// Marks count up to here before they start again from 1 (above it:
/// [`cells::FREE`], then the test builds' tombstone, then [`IMMORTAL`]).
const LAST_EPOCH: u32 = u32::MAX - 3;

mod cells;

/// Heap growth since the last collection below which
/// `jank_host_gc_safe_point` does not collect (it also waits for the heap to
/// double, so collection work stays proportional to allocation).
pub const MIN_GROWTH_BYTES: usize = 1 << 20;

/// A heap cell: the collector's mark, then the object.
#[repr(C)]
pub struct GcBox {
    mark: Cell<u32>,
    pub(crate) object: Object,
}

impl GcBox {
    /// A cell for a static singleton.
    pub(crate) const fn immortal(object: Object) -> GcBox {
        GcBox {
            mark: Cell::new(IMMORTAL),
            object,
        }
    }

    /// True for a freed object (test builds keep them as tombstones).
    #[cfg(test)]
    pub(crate) fn is_tombstone(&self) -> bool {
        self.mark.get() == TOMBSTONE
    }
}

/// Why a collection did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Inside a permanent bracket or a `host.write` callback: runtime or
    /// patch frames are live.
    NotASafePoint,
    /// Some object's state (or a runtime table) is borrowed, which only
    /// happens when a trap cut a call short.
    InUse,
}

/// What `jank_host_gc_stats` reports (`jank_gc_stats` in the header).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Collections completed.
    pub collections: u32,
    /// Collectable objects now, garbage not yet collected included.
    pub objects: u32,
    /// Permanent objects.
    pub permanent_objects: u32,
    /// Objects the last collection freed.
    pub freed_last: u32,
    /// Distinct values the host has retained.
    pub retained: u32,
    /// Bytes the runtime's allocator has handed out and not got back.
    pub heap_bytes: u32,
}

/// What the collector knows besides the cells.
struct Heap {
    /// Objects that live for ever; roots of every collection.
    permanent: Vec<Obj>,
    /// The mark of the latest collection.
    epoch: u32,
    collections: u32,
    freed_last: u32,
    /// `heap_bytes()` right after the latest collection.
    bytes_after_collection: usize,
}

thread_local! {
    static HEAP: RefCell<Heap> = const {
        RefCell::new(Heap {
            permanent: Vec::new(),
            epoch: 0,
            collections: 0,
            freed_last: 0,
            bytes_after_collection: 0,
        })
    };
    /// Collectable objects (in [`cells`]), garbage not yet swept included.
    static OBJECTS: Cell<usize> = const { Cell::new(0) };
    /// Open permanent brackets.
    static PERMANENT_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Open `host.write` calls.
    static HOST_CALLBACK_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Values the host retained, by address, with their retain counts.
    static RETAINED: RefCell<HashMap<usize, (Obj, u32)>> = RefCell::new(HashMap::new());
    /// Open [`inhibited`] sections.
    static INHIBITED: Cell<u32> = const { Cell::new(0) };
    /// The slots of the open [`RootFrame`]s, innermost last.
    static ROOT_SLOTS: RefCell<Vec<Obj>> = const { RefCell::new(Vec::new()) };
    /// Whether [`poll`] may collect (the host turns it off once it loaded a
    /// patch that does not keep its roots in its frame).
    static IN_CALL: Cell<bool> = const { Cell::new(true) };
    /// Stress mode: collect at every safe point, poison instead of freeing.
    static STRESS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, whose Rust frames hold values the collector cannot see across
/// the jank code `f` may run: no collection happens inside it.
pub fn inhibited<T>(f: impl FnOnce() -> T) -> T {
    INHIBITED.with(|depth| depth.set(depth.get().saturating_add(1)));
    let result = f();
    INHIBITED.with(|depth| depth.set(depth.get().saturating_sub(1)));
    result
}

/// Slots on the runtime's root stack for the state of a loop that collects
/// ([`poll`]) while it runs; they are popped when the frame is dropped.
pub struct RootFrame {
    base: usize,
}

impl RootFrame {
    /// A frame of `values.len()` slots holding `values`.
    pub fn new(values: &[Obj]) -> RootFrame {
        ROOT_SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            let base = slots.len();
            slots.extend_from_slice(values);
            RootFrame { base }
        })
    }

    /// Sets slot `index` of this frame.
    pub fn set(&self, index: usize, value: Obj) {
        ROOT_SLOTS.with(|slots| slots.borrow_mut()[self.base + index] = value);
    }

    /// Adds a slot holding `value`, for state that grows as the loop runs
    /// (the values a `mapv` has made). Only the innermost open frame may
    /// grow: a frame opened after it would pop the new slot with its own.
    pub fn push(&self, value: Obj) {
        ROOT_SLOTS.with(|slots| slots.borrow_mut().push(value));
    }

    /// Drops the slots past the first `len` (those `push` added).
    pub fn truncate(&self, len: usize) {
        ROOT_SLOTS.with(|slots| slots.borrow_mut().truncate(self.base + len));
    }
}

impl Drop for RootFrame {
    fn drop(&mut self) {
        ROOT_SLOTS.with(|slots| slots.borrow_mut().truncate(self.base));
    }
}

/// A seq walked by a loop that collects as it goes: the unwalked rest is
/// rooted in slot `slot` of the loop's frame from the start and again after
/// every step (a step may move the walk into objects the old rest does not
/// reach, such as a map's fresh entries), and everything walked is garbage
/// once the loop's own state lets go of it.
pub struct RootedSeq<'f> {
    items: crate::seq::SeqIter,
    frame: &'f RootFrame,
    slot: usize,
}

impl<'f> RootedSeq<'f> {
    pub fn new(coll: Obj, frame: &'f RootFrame, slot: usize) -> RootedSeq<'f> {
        frame.set(slot, coll);
        RootedSeq {
            items: crate::seq::SeqIter::new(coll),
            frame,
            slot,
        }
    }
}

impl RootedSeq<'_> {
    /// A safe point, then the next value as `SeqIter::next_unboxed` gives it.
    pub fn next_unboxed(&mut self) -> Option<crate::error::R<crate::seq::Walked>> {
        poll();
        let step = inhibited(|| self.items.next_unboxed());
        self.frame.set(self.slot, self.items.anchor());
        step
    }

    /// As `SeqIter::skip_held`: no safe point, since nothing is realized.
    pub fn skip_held(&mut self) -> usize {
        self.items.skip_held()
    }
}

impl Iterator for RootedSeq<'_> {
    type Item = crate::error::R<Obj>;

    /// A safe point, then the next value (realized with collection inhibited:
    /// a lazy seq's realization holds it in Rust frames), the rest rooted.
    fn next(&mut self) -> Option<Self::Item> {
        poll();
        let step = inhibited(|| self.items.next());
        self.frame.set(self.slot, self.items.anchor());
        step
    }
}

/// A safe point inside a call: collects when the heap has grown enough (or
/// always, in stress mode), unless a frame on the stack holds values the
/// collector cannot see.
pub fn poll() {
    let allowed = IN_CALL.with(Cell::get)
        && INHIBITED.with(Cell::get) == 0
        && is_safe_point()
        && cfg!(target_arch = "wasm32");
    if allowed && (STRESS.with(Cell::get) || grown_enough().unwrap_or(false)) {
        // A refusal (a borrowed table) only delays the collection.
        let _ = collect_now(Scan::CallInProgress);
    }
}

/// Whether collections may happen inside calls.
pub fn set_in_calls(on: bool) {
    IN_CALL.with(|enabled| enabled.set(on));
}

/// Stress mode on or off.
pub fn set_stress(on: bool) {
    STRESS.with(|stress| stress.set(on));
}

/// Between calls no inhibited section or root frame can be open: forgets
/// those a trap cut short.
pub fn forget_cut_frames() {
    INHIBITED.with(|depth| depth.set(0));
    ROOT_SLOTS.with(|slots| {
        if let Ok(mut slots) = slots.try_borrow_mut() {
            slots.clear();
        }
    });
}

/// Registers a new object: permanent inside a permanent bracket, else
/// collectable.
pub(crate) fn register(object: Object) -> Obj {
    register_with(|| object)
}

/// [`register`] of the object `make` returns, inlined where numbers are
/// boxed, so the object is written straight into its cell: a whole `GcBox`
/// built on the stack first and then copied was read back with loads that
/// straddle the stores that built it, and waiting for those stores was half
/// of the time of every allocation.
#[inline(always)]
pub(crate) fn register_with(make: impl FnOnce() -> Object) -> Obj {
    if PERMANENT_DEPTH.with(Cell::get) > 0 {
        return register_permanent(make());
    }
    let cell = cells::take();
    // SAFETY: a taken cell is allocated and holds no object.
    unsafe {
        std::ptr::addr_of_mut!((*cell.as_ptr()).mark).write(Cell::new(0));
        std::ptr::addr_of_mut!((*cell.as_ptr()).object).write(make());
    }
    OBJECTS.with(|objects| objects.set(objects.get() + 1));
    Obj::from_cell(cell)
}

/// A permanent object has a box of its own, outside the cells the sweep walks.
#[cold]
fn register_permanent(object: Object) -> Obj {
    let value = Obj::from_cell(NonNull::from(Box::leak(Box::new(GcBox {
        mark: Cell::new(0),
        object,
    }))));
    let registered = HEAP.with(|heap| {
        let mut heap = heap.borrow_mut();
        // Growing the list must not abort (a trap) while the heap is
        // borrowed: that would stop every later collection.
        let grown = heap.permanent.try_reserve(1).is_ok();
        if grown {
            heap.permanent.push(value);
        }
        grown
    });
    if !registered {
        std::alloc::handle_alloc_error(Layout::new::<Obj>());
    }
    value
}

/// Whether a cell with this mark holds an object (its contents may be
/// read): not a free cell, nor a test build's tombstone.
fn holds_object(mark: u32) -> bool {
    #[cfg(test)]
    if mark == TOMBSTONE {
        return false;
    }
    mark != cells::FREE
}

/// Whether a cell with this mark stays as it is for good: stress mode's
/// poisoned objects (never freed, never marked) and test builds' tombstones.
fn is_settled(mark: u32) -> bool {
    #[cfg(test)]
    if mark == TOMBSTONE {
        return true;
    }
    mark == IMMORTAL
}

/// Starts a permanent bracket: objects made until the matching
/// [`permanent_end`] are never collected. Brackets nest.
pub fn permanent_begin() {
    refill_reserve();
    PERMANENT_DEPTH.with(|depth| depth.set(depth.get().saturating_add(1)));
}

/// Ends a permanent bracket (does nothing when none is open).
pub fn permanent_end() {
    PERMANENT_DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
}

/// Runs `make` in a permanent bracket.
pub fn permanently<T>(make: impl FnOnce() -> T) -> T {
    permanent_begin();
    let made = make();
    permanent_end();
    made
}

/// Runs `call`, which hands control to the host (`host.write`); the host
/// cannot collect until it returns.
pub fn host_callback<T>(call: impl FnOnce() -> T) -> T {
    HOST_CALLBACK_DEPTH.with(|depth| depth.set(depth.get().saturating_add(1)));
    let result = call();
    HOST_CALLBACK_DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    result
}

/// Keeps `value` alive across safe points until a matching [`release`].
pub fn retain(value: Obj) {
    RETAINED.with(|retained| {
        retained
            .borrow_mut()
            .entry(value.addr())
            .or_insert((value, 0))
            .1 += 1;
    });
}

/// Undoes one [`retain`] of `value`; a value never retained is ignored.
pub fn release(value: Obj) {
    RETAINED.with(|retained| {
        let mut retained = retained.borrow_mut();
        if let Some((_, count)) = retained.get_mut(&value.addr()) {
            *count -= 1;
            if *count == 0 {
                retained.remove(&value.addr());
            }
        }
    });
}

/// Collects now: frees every collectable object no root reaches, and
/// returns how many it freed.
pub fn collect() -> Result<u32, Refusal> {
    if !is_safe_point() {
        return Err(Refusal::NotASafePoint);
    }
    collect_now(Scan::BetweenCalls)
}

/// Where a collection looks for roots besides the runtime's own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// No frame is live.
    BetweenCalls,
    /// Frames are live: the root frames and the shadow stack too.
    CallInProgress,
}

fn collect_now(scan: Scan) -> Result<u32, Refusal> {
    let collected = mark_and_sweep(scan);
    refill_reserve();
    collected
}

fn mark_and_sweep(scan: Scan) -> Result<u32, Refusal> {
    let stack_words = match scan {
        Scan::BetweenCalls => Vec::new(),
        Scan::CallInProgress => shadow_stack_words(),
    };
    HEAP.with(|heap| {
        let mut heap = heap.try_borrow_mut().map_err(|_| Refusal::InUse)?;
        let epoch = heap.next_epoch();
        let mut marker = Marker {
            epoch,
            stack: Vec::new(),
        };
        for root in &heap.permanent {
            marker.mark(*root);
        }
        if scan == Scan::CallInProgress {
            for word in stack_words {
                if let Some(cell) = cells::object_at(word) {
                    marker.mark(Obj::from_cell(cell));
                }
            }
            ROOT_SLOTS.with(|slots| {
                let slots = slots.try_borrow().map_err(|_| Refusal::InUse)?;
                slots.iter().for_each(|root| marker.mark(*root));
                Ok(())
            })?;
        }
        if let Some(pending) = crate::error::pending() {
            marker.mark(pending);
        }
        crate::var::for_each_binding(|value| marker.mark(value)).map_err(|_| Refusal::InUse)?;
        RETAINED.with(|retained| {
            let retained = retained.try_borrow().map_err(|_| Refusal::InUse)?;
            for (value, _) in retained.values() {
                marker.mark(*value);
            }
            Ok(())
        })?;
        marker.drain()?;
        crate::object::forget_keywords(|keyword| is_marked(keyword, epoch))
            .map_err(|_| Refusal::InUse)?;
        crate::meta::forget(|value| is_marked(value, epoch)).map_err(|_| Refusal::InUse)?;

        let stress = STRESS.with(Cell::get);
        // The next collection comes after this much growth.
        let reserve = heap.bytes_after_collection.max(MIN_GROWTH_BYTES);
        let freed = cells::sweep(reserve, |cell| {
            // SAFETY: the cell holds an object.
            let mark = unsafe { cell.as_ref() }.mark.get();
            // A poisoned object (stress mode) is immortal.
            if mark == epoch || mark == IMMORTAL {
                return cells::Swept::Kept;
            }
            // SAFETY: unmarked means unreachable from every root, and at a
            // safe point nothing else holds the pointer.
            unsafe { free(cell, stress) }
        })?;
        OBJECTS.with(|objects| objects.set(objects.get().saturating_sub(freed)));
        let freed = u32::try_from(freed).unwrap_or(u32::MAX);
        heap.collections = heap.collections.wrapping_add(1);
        heap.freed_last = freed;
        heap.bytes_after_collection = heap_bytes();
        Ok(freed)
    })
}

/// Whether the host asks from a safe point: outside every permanent bracket
/// and `host.write` callback, so no patch or runtime frame is live.
pub fn is_safe_point() -> bool {
    PERMANENT_DEPTH.with(Cell::get) == 0 && HOST_CALLBACK_DEPTH.with(Cell::get) == 0
}

/// Collects when the heap has grown by at least its size after the last
/// collection (and by [`MIN_GROWTH_BYTES`]) since then; Ok(None) when it
/// did not need to.
pub fn safe_point() -> Result<Option<u32>, Refusal> {
    if !STRESS.with(Cell::get) && !grown_enough()? {
        return Ok(None);
    }
    collect().map(Some)
}

/// Whether the heap has grown by at least its size after the last
/// collection, and by [`MIN_GROWTH_BYTES`], since then.
fn grown_enough() -> Result<bool, Refusal> {
    let floor = HEAP.with(|heap| heap.try_borrow().map(|h| h.bytes_after_collection));
    let floor = floor.map_err(|_| Refusal::InUse)?;
    Ok(heap_bytes().saturating_sub(floor) >= floor.max(MIN_GROWTH_BYTES))
}

/// The words in the root areas of the patch frames on the live part of the
/// shadow stack that could be an object's address (objects are 8-byte
/// aligned). A root area is `MAGIC, n, slot 0 .. slot n-1` (jank_patch_abi.h,
/// "Collection inside calls"); everything else on the stack, the runtime's
/// own spilled locals included, is not a root.
#[cfg(target_arch = "wasm32")]
fn shadow_stack_words() -> Vec<usize> {
    use jank_runtime_abi::{JANK_FRAME_ROOTS_MAGIC, JANK_FRAME_ROOTS_MAX_SLOTS};
    extern "C" {
        /// The shadow stack's top (it grows down), defined by wasm-ld.
        static __stack_high: u8;
    }
    let deepest = 0u32;
    let low = std::hint::black_box(&deepest) as *const u32 as usize;
    let high = std::ptr::addr_of!(__stack_high) as usize;
    // SAFETY: [low, high) is the live shadow stack, readable memory.
    let read = |at: usize| unsafe { (at as *const u32).read() } as usize;
    let mut words = Vec::new();
    let mut at = low.next_multiple_of(4);
    while at + 8 <= high {
        if read(at) == JANK_FRAME_ROOTS_MAGIC {
            let slots = read(at + 4);
            let end = at + 8 + 4 * slots;
            if slots <= JANK_FRAME_ROOTS_MAX_SLOTS && end <= high {
                for slot in (at + 8..end).step_by(4) {
                    let word = read(slot);
                    if word != 0 && word % 8 == 0 {
                        words.push(word);
                    }
                }
            }
        }
        at += 4;
    }
    words
}

/// Native test builds have no shadow stack; [`poll`] never collects there.
#[cfg(not(target_arch = "wasm32"))]
fn shadow_stack_words() -> Vec<usize> {
    Vec::new()
}

/// The collector's figures now.
pub fn stats() -> GcStats {
    let saturate = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let objects = OBJECTS.with(Cell::get);
    let (permanent_objects, collections, freed_last) = HEAP.with(|heap| {
        heap.try_borrow().map_or((0, 0, 0), |h| {
            (h.permanent.len(), h.collections, h.freed_last)
        })
    });
    GcStats {
        collections,
        objects: saturate(objects),
        permanent_objects: saturate(permanent_objects),
        freed_last,
        retained: saturate(RETAINED.with(|r| r.try_borrow().map_or(0, |r| r.len()))),
        heap_bytes: saturate(heap_bytes()),
    }
}

impl Heap {
    /// A fresh mark; when marks run out, every object's mark restarts at 0.
    fn next_epoch(&mut self) -> u32 {
        if self.epoch >= LAST_EPOCH {
            cells::for_each_object(|cell| {
                if cell.mark.get() != IMMORTAL {
                    cell.mark.set(0);
                }
            });
            for value in &self.permanent {
                value.cell().mark.set(0);
            }
            self.epoch = 0;
        }
        self.epoch += 1;
        self.epoch
    }
}

fn is_marked(value: Obj, epoch: u32) -> bool {
    let mark = value.cell().mark.get();
    mark == epoch || mark == IMMORTAL
}

/// Frees one collectable object.
///
/// # Safety
/// `cell` came from [`register`], is not permanent, and nothing reachable
/// refers to it.
#[cfg(not(test))]
unsafe fn free(cell: NonNull<GcBox>, stress: bool) -> cells::Swept {
    if stress {
        poison(cell);
        cells::Swept::Retired
    } else {
        let object = std::ptr::addr_of_mut!((*cell.as_ptr()).object);
        // Most garbage is numbers and seq nodes, which own nothing: this
        // test is cheaper than the call into the enum's drop.
        if !matches!(
            *object,
            Object::Int(_) | Object::Double(_) | Object::Cons(..) | Object::List(_)
        ) {
            std::ptr::drop_in_place(object);
        }
        cells::Swept::Freed
    }
}

/// Stress mode's free: the object becomes a symbol naming what happened and
/// its memory is never reused, so a missed root is visible, not corrupting.
///
/// # Safety
/// As [`free`].
#[cfg(not(test))]
unsafe fn poison(cell: NonNull<GcBox>) {
    let collected = Object::Symbol(crate::object::Named {
        ns: Some("jankwasm.gc".into()),
        name: "collected-object".into(),
    });
    let contents = std::ptr::replace(std::ptr::addr_of_mut!((*cell.as_ptr()).object), collected);
    drop(contents);
    (*cell.as_ptr()).mark.set(IMMORTAL);
}

/// Test builds drop the object's contents but keep the cell as a tombstone,
/// so a later use panics instead of reading reused memory.
///
/// # Safety
/// As in the wasm build: nothing reachable refers to `cell`.
#[cfg(test)]
unsafe fn free(cell: NonNull<GcBox>, _stress: bool) -> cells::Swept {
    let contents = std::ptr::replace(std::ptr::addr_of_mut!((*cell.as_ptr()).object), Object::Nil);
    drop(contents);
    (*cell.as_ptr()).mark.set(TOMBSTONE);
    cells::Swept::Retired
}

/// The mark phase's state: the collection's mark and the objects marked but
/// not yet traced (an explicit stack, so long lists do not overflow the
/// wasm call stack).
struct Marker {
    epoch: u32,
    stack: Vec<Obj>,
}

impl Marker {
    fn mark(&mut self, value: Obj) {
        mark_into(self.epoch, &mut self.stack, value);
    }

    /// Traces until every reachable object is marked.
    fn drain(&mut self) -> Result<(), Refusal> {
        while let Some(value) = self.stack.pop() {
            let (epoch, stack) = (self.epoch, &mut self.stack);
            trace(&value, &mut |child| mark_into(epoch, stack, child))?;
            crate::meta::trace(value, &mut |meta| mark_into(epoch, stack, meta))
                .map_err(|_| Refusal::InUse)?;
        }
        Ok(())
    }
}

fn mark_into(epoch: u32, stack: &mut Vec<Obj>, value: Obj) {
    let mark = &value.cell().mark;
    let seen = mark.get();
    #[cfg(test)]
    assert!(seen != TOMBSTONE, "a collected object is reachable");
    if seen == IMMORTAL || seen == epoch {
        return;
    }
    mark.set(epoch);
    stack.push(value);
}

/// Calls `visit` with every value `value` refers to directly. The match lists
/// every kind, so a new kind cannot be added without saying what it holds.
fn trace(value: &Obj, visit: &mut dyn FnMut(Obj)) -> Result<(), Refusal> {
    match &**value {
        Object::Nil
        | Object::Bool(_)
        | Object::Int(_)
        | Object::BigInt(_)
        | Object::BigInteger(_)
        | Object::Decimal(_)
        | Object::Double(_)
        | Object::Ratio(..)
        | Object::Char(_)
        | Object::Str(_)
        | Object::Keyword(_)
        | Object::Symbol(_)
        | Object::Namespace(_)
        | Object::EmptyList
        | Object::Regex(_)
        | Object::Class(_)
        | Object::Uuid(_)
        | Object::Inst(_)
        | Object::Stream(_)
        | Object::MathContext(_)
        | Object::Plain
        | Object::StringBuilder(_)
        | Object::Range(_) => {}
        Object::TaggedLiteral(tag, form) => {
            visit(*tag);
            visit(*form);
        }
        Object::ReaderConditional(form, _) => visit(*form),
        Object::StructDef(keys) => keys.iter().for_each(|key| visit(*key)),
        Object::MultiFn(multi) => {
            visit(multi.dispatch);
            visit(multi.default);
            visit(multi.hierarchy);
            visit(multi.methods.get());
            visit(multi.prefers.get());
        }
        Object::Matcher(matcher) => {
            visit(matcher.pattern);
            visit(matcher.text);
        }
        Object::List(node) => {
            visit(node.first);
            visit(node.rest);
        }
        Object::Cons(first, more) => {
            visit(*first);
            visit(*more);
        }
        Object::Vector(items) => items.0.iter().for_each(|item| visit(*item)),
        Object::Map(map) => {
            map.for_each_entry(|key, val| {
                visit(key);
                visit(val);
            });
            map.for_each_comparator(&mut *visit);
        }
        Object::Set(set) => set.for_each_reference(&mut *visit),
        Object::Record(record) => record.for_each_reference(&mut *visit),
        Object::Instance(instance) => instance.for_each_reference(&mut *visit),
        Object::VecSeq(coll, _) | Object::StrSeq(coll, _) => visit(*coll),
        Object::Queue(queue) => {
            visit(queue.front);
            visit(queue.rear);
        }
        Object::QueueSeq(front, rear) => {
            visit(*front);
            visit(*rear);
        }
        Object::ArraySeq(items, _) => items.iter().for_each(|item| visit(*item)),
        Object::Chunked(items, _, more) => {
            items.iter().for_each(|item| visit(*item));
            visit(*more);
        }
        Object::Lazy(lazy) => lazy.trace(visit).map_err(|_| Refusal::InUse)?,
        Object::Fn(function) => match &**function {
            Function::Native { data, .. } => data.iter().for_each(|item| visit(*item)),
            Function::Patch { env, .. } => env.iter().for_each(|slot| visit(slot.get())),
            Function::Wrapper { .. } => {}
        },
        Object::Var(var) => var.root.get().into_iter().for_each(&mut *visit),
        Object::Atom(atom) => {
            visit(atom.value.get());
            visit(atom.watches.get());
            visit(atom.validator.get());
        }
        Object::Volatile(cell) => visit(cell.get()),
        Object::Transient(cell) => cell.get().into_iter().for_each(&mut *visit),
        Object::Reduced(inner) => visit(*inner),
        Object::Promise(cell) => cell.get().into_iter().for_each(&mut *visit),
        Object::Delay(state) => match &*state.try_borrow().map_err(|_| Refusal::InUse)? {
            DelayState::Pending(v) | DelayState::Done(v) | DelayState::Failed(v) => visit(*v),
        },
        Object::Exception(exception) => {
            visit(exception.message);
            exception.data.into_iter().for_each(&mut *visit);
            visit(exception.cause);
        }
    }
    Ok(())
}

/// Bytes handed out by the allocator and not yet given back.
pub fn heap_bytes() -> usize {
    HEAP_BYTES.load(Ordering::Relaxed)
}

static HEAP_BYTES: AtomicUsize = AtomicUsize::new(0);

/// The last allocation that failed, until the host takes it: the bytes it
/// asked for (0: none) and the bytes then in use. Rust aborts (a trap) right
/// after a failed allocation; this is how the host tells that trap apart.
static FAILED_REQUEST: AtomicUsize = AtomicUsize::new(0);
static FAILED_IN_USE: AtomicUsize = AtomicUsize::new(0);

fn note_failure(requested: usize) {
    FAILED_IN_USE.store(heap_bytes(), Ordering::Relaxed);
    FAILED_REQUEST.store(requested.max(1), Ordering::Relaxed);
    release_reserve();
}

/// Memory held back for the collector: the collection after an allocation
/// failed runs in a full heap, and its mark stack needs room (a trap there
/// would leave the heap borrowed and stop every later collection). A failed
/// allocation gives it back; a permanent bracket or a collection takes it
/// again. Not counted in `heap_bytes`.
static RESERVE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
const RESERVE_LAYOUT: Layout = Layout::new::<[u8; 1 << 20]>();

fn release_reserve() {
    let block = RESERVE.swap(std::ptr::null_mut(), Ordering::Relaxed);
    if !block.is_null() {
        // SAFETY: the block came from `System.alloc(RESERVE_LAYOUT)` and the
        // swap made this its only owner.
        unsafe { System.dealloc(block, RESERVE_LAYOUT) };
    }
}

fn refill_reserve() {
    if RESERVE.load(Ordering::Relaxed).is_null() {
        // SAFETY: a non-zero-sized layout; a NULL result is kept as "none".
        let block = unsafe { System.alloc(RESERVE_LAYOUT) };
        RESERVE.store(block, Ordering::Relaxed);
    }
}

/// (bytes requested, bytes in use) of the allocation that failed since the
/// last call, if one did.
pub fn take_allocation_failure() -> Option<(usize, usize)> {
    match FAILED_REQUEST.swap(0, Ordering::Relaxed) {
        0 => None,
        requested => Some((requested, FAILED_IN_USE.load(Ordering::Relaxed))),
    }
}

/// The system allocator (dlmalloc in wasm), counting the bytes in use.
pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to `System`; only the counter is added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = System.alloc(layout);
        if block.is_null() {
            note_failure(layout.size());
        } else {
            HEAP_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = System.alloc_zeroed(layout);
        if block.is_null() {
            note_failure(layout.size());
        } else {
            HEAP_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        System.dealloc(block, layout);
        HEAP_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(block, layout, new_size);
        if moved.is_null() {
            note_failure(new_size);
        } else {
            HEAP_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            HEAP_BYTES.fetch_add(new_size, Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coll::vector_obj;
    use crate::object::{int, string};

    #[test]
    fn marks_restart_when_collection_numbers_run_out() {
        let kept = vector_obj([string("kept"), int(1000)]);
        retain(kept);
        HEAP.with(|heap| heap.borrow_mut().epoch = LAST_EPOCH - 1);
        let garbage = string("garbage");
        for _ in 0..3 {
            collect().expect("a safe point");
        }
        assert_eq!(HEAP.with(|heap| heap.borrow().epoch), 2);
        assert!(garbage.cell().is_tombstone());
        assert!(!kept.cell().is_tombstone());
        let Object::Vector(items) = &*kept else {
            panic!("a vector")
        };
        assert_eq!(items.0[0].as_str(), Some("kept"));
    }
}
