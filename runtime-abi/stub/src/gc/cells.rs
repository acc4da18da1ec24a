//! Where collectable objects live: blocks of [`GcBox`] cells. Making an
//! object takes a cell from the free list of partly used blocks, or else the
//! next cell of an empty block (a bump pointer, which reads nothing: popping
//! a list through a heap larger than the cache waits on memory at every
//! object); freeing one is writing its mark. No allocator call and no
//! registry entry per object (those were a third of a lazy pipeline's time):
//! the sweep walks the blocks, so they are the registry. It lists the free
//! cells of partly used blocks in address order, keeps empty blocks for the
//! bump pointer and gives back the empty blocks beyond a reserve.
//!
//! A free cell's mark is [`FREE`]; on the free list its object slot holds
//! the next free cell. Cells are counted in `heap_bytes` while they hold an
//! object, as the allocator counted each object's box before, so the
//! collector's pacing is unchanged; free cells are not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::ptr::{self, NonNull};
use std::sync::atomic::Ordering;

use super::{GcBox, HEAP_BYTES};

/// The mark of a free cell.
pub(super) const FREE: u32 = u32::MAX - 2;

/// Cells per block (64 KiB of 32-byte cells in wasm32).
const BLOCK_CELLS: usize = 2048;

const CELL_BYTES: usize = std::mem::size_of::<GcBox>();

fn block_layout() -> Layout {
    Layout::new::<[GcBox; BLOCK_CELLS]>()
}

thread_local! {
    /// The first free cell of the partly used blocks (null: none).
    static FREE_LIST: Cell<*mut GcBox> = const { Cell::new(ptr::null_mut()) };
    /// The next cell of the block being filled, and the end of that block.
    static BUMP: Cell<*mut GcBox> = const { Cell::new(ptr::null_mut()) };
    static BUMP_END: Cell<*mut GcBox> = const { Cell::new(ptr::null_mut()) };
    /// Empty blocks, to fill after the one being filled.
    static EMPTY: RefCell<Vec<NonNull<GcBox>>> = const { RefCell::new(Vec::new()) };
    /// Every block's first cell, in address order.
    static BLOCKS: RefCell<Vec<NonNull<GcBox>>> = const { RefCell::new(Vec::new()) };
}

/// A cell for a new object: its contents are not initialized.
#[inline(always)]
pub(super) fn take() -> NonNull<GcBox> {
    let cell = match NonNull::new(FREE_LIST.get()) {
        Some(cell) => {
            // SAFETY: a listed cell is free, so its slot holds the next one.
            FREE_LIST.set(unsafe { next_free(cell) });
            cell
        }
        None => {
            let bump = BUMP.get();
            match NonNull::new(bump) {
                Some(cell) if bump < BUMP_END.get() => {
                    // SAFETY: below the end of the block being filled.
                    BUMP.set(unsafe { bump.add(1) });
                    cell
                }
                _ => start_block(),
            }
        }
    };
    HEAP_BYTES.fetch_add(CELL_BYTES, Ordering::Relaxed);
    cell
}

/// Starts filling an empty block (a new one when none is left); returns its
/// first cell.
#[cold]
fn start_block() -> NonNull<GcBox> {
    let kept = EMPTY.with(|empty| empty.try_borrow_mut().ok().and_then(|mut e| e.pop()));
    let block = kept.unwrap_or_else(add_block);
    // SAFETY: both are within the block or one past its end.
    unsafe {
        BUMP.set(block.as_ptr().add(1));
        BUMP_END.set(block.as_ptr().add(BLOCK_CELLS));
    }
    block
}

/// A new block of free cells.
fn add_block() -> NonNull<GcBox> {
    let layout = block_layout();
    // SAFETY: a layout of non-zero size.
    let block = NonNull::new(unsafe { System.alloc(layout) }.cast::<GcBox>());
    let Some(block) = block else {
        super::note_failure(layout.size());
        std::alloc::handle_alloc_error(layout);
    };
    let listed = BLOCKS.with(|blocks| {
        let Ok(mut blocks) = blocks.try_borrow_mut() else {
            return false;
        };
        if blocks.try_reserve(1).is_err() {
            return false;
        }
        let at = blocks.partition_point(|b| b.as_ptr() < block.as_ptr());
        blocks.insert(at, block);
        true
    });
    if !listed {
        // SAFETY: the block came from `System.alloc(layout)` just now.
        unsafe { System.dealloc(block.as_ptr().cast(), layout) };
        super::note_failure(layout.size());
        std::alloc::handle_alloc_error(layout);
    }
    for cell in cells(block) {
        // SAFETY: nothing uses the new block's cells yet.
        unsafe { set_free_mark(cell) };
    }
    block
}

/// Marks `cell` free, its slot pointing at `next`.
///
/// # Safety
/// `cell` is a cell of a block holding no object (never made, or dropped).
unsafe fn set_free(cell: *mut GcBox, next: *mut GcBox) {
    ptr::addr_of_mut!((*cell).mark).write(Cell::new(FREE));
    ptr::addr_of_mut!((*cell).object)
        .cast::<*mut GcBox>()
        .write(next);
}

/// # Safety
/// `cell` is free.
unsafe fn next_free(cell: NonNull<GcBox>) -> *mut GcBox {
    ptr::addr_of!((*cell.as_ptr()).object)
        .cast::<*mut GcBox>()
        .read()
}

/// The cells of `block`.
fn cells(block: NonNull<GcBox>) -> impl DoubleEndedIterator<Item = NonNull<GcBox>> {
    // SAFETY: every index is within the block.
    (0..BLOCK_CELLS).map(move |i| unsafe { block.add(i) })
}

fn mark_of(cell: NonNull<GcBox>) -> u32 {
    // SAFETY: every cell of a block has its mark written (free or not); a
    // free cell's object slot is not read.
    unsafe { (*ptr::addr_of!((*cell.as_ptr()).mark)).get() }
}

/// # Safety
/// `cell` holds no object (it was dropped).
unsafe fn set_free_mark(cell: NonNull<GcBox>) {
    ptr::addr_of_mut!((*cell.as_ptr()).mark).write(Cell::new(FREE));
}

/// The cell holding an object at address `word`, if there is one.
pub(super) fn object_at(word: usize) -> Option<NonNull<GcBox>> {
    BLOCKS.with(|blocks| {
        let blocks = blocks.try_borrow().ok()?;
        let after = blocks.partition_point(|b| b.as_ptr() as usize <= word);
        let block = *blocks.get(after.checked_sub(1)?)?;
        let offset = word - block.as_ptr() as usize;
        if offset >= BLOCK_CELLS * CELL_BYTES || offset % CELL_BYTES != 0 {
            return None;
        }
        // SAFETY: the offset is a whole cell within the block.
        let cell = unsafe { block.add(offset / CELL_BYTES) };
        super::holds_object(mark_of(cell)).then_some(cell)
    })
}

/// Calls `visit` with every cell that holds an object.
pub(super) fn for_each_object(mut visit: impl FnMut(&GcBox)) {
    BLOCKS.with(|blocks| {
        for block in blocks.borrow().iter() {
            for cell in cells(*block) {
                if super::holds_object(mark_of(cell)) {
                    // SAFETY: the cell holds an object.
                    visit(unsafe { cell.as_ref() });
                }
            }
        }
    });
}

/// What the sweep's judge did with an object's cell.
pub(super) enum Swept {
    /// The object is live.
    Kept,
    /// The object was dropped: the cell is free. Test builds never free a
    /// cell (their `free` leaves a tombstone).
    #[cfg_attr(test, allow(dead_code))]
    Freed,
    /// The object was garbage but its cell stays taken (stress mode's
    /// poisoned objects, test builds' tombstones).
    Retired,
}

/// Judges every object cell (`judge` drops or retires the garbage), lists
/// the free cells of partly used blocks in address order, and keeps the
/// empty blocks for the bump pointer until they hold `reserve` bytes (what
/// the allocations before the next collection need), giving back the rest.
/// Returns the garbage objects. Fails when the block lists are in use.
pub(super) fn sweep(
    reserve: usize,
    mut judge: impl FnMut(NonNull<GcBox>) -> Swept,
) -> Result<usize, super::Refusal> {
    let kept_empty_blocks = reserve.div_ceil(BLOCK_CELLS * CELL_BYTES);
    let in_use = |_| super::Refusal::InUse;
    BLOCKS.with(|blocks| {
        EMPTY.with(|empty| {
            let mut blocks = blocks.try_borrow_mut().map_err(in_use)?;
            let mut empty = empty.try_borrow_mut().map_err(in_use)?;
            empty.clear();
            let (mut garbage, mut freed) = (0, 0);
            let (mut head, mut tail): (*mut GcBox, *mut GcBox) = (ptr::null_mut(), ptr::null_mut());
            blocks.retain(|block| {
                let (mut free_cells, mut settled_cells) = (0, 0);
                for cell in cells(*block) {
                    let mark = mark_of(cell);
                    let free = mark == FREE
                        || (super::holds_object(mark)
                            && match judge(cell) {
                                Swept::Kept => false,
                                Swept::Freed => {
                                    // SAFETY: the judge dropped the object.
                                    unsafe { set_free_mark(cell) };
                                    garbage += 1;
                                    freed += 1;
                                    true
                                }
                                Swept::Retired => {
                                    garbage += 1;
                                    false
                                }
                            });
                    free_cells += usize::from(free);
                    settled_cells += usize::from(super::is_settled(mark_of(cell)));
                }
                if settled_cells == BLOCK_CELLS {
                    // Every cell is retired for good: no sweep, mark or
                    // object lookup has anything to do there again, and
                    // leaving the block out keeps stress mode's sweeps
                    // proportional to the live heap, not to all it ever
                    // allocated. Its memory stays taken, as a retired cell's
                    // always does.
                    return false;
                }
                if free_cells == BLOCK_CELLS {
                    if empty.len() < kept_empty_blocks && empty.try_reserve(1).is_ok() {
                        empty.push(*block);
                        return true;
                    }
                    // SAFETY: the block came from `System.alloc(block_layout())`
                    // and none of its cells holds an object or is listed.
                    unsafe { System.dealloc(block.as_ptr().cast(), block_layout()) };
                    return false;
                }
                for cell in cells(*block).filter(|cell| mark_of(*cell) == FREE) {
                    let cell = cell.as_ptr();
                    if tail.is_null() {
                        head = cell;
                    } else {
                        // SAFETY: `tail` is the free cell listed last.
                        unsafe { set_free(tail, cell) };
                    }
                    tail = cell;
                }
                true
            });
            if !tail.is_null() {
                // SAFETY: `tail` is a free cell of a kept block.
                unsafe { set_free(tail, ptr::null_mut()) };
            }
            // Fill the lowest empty block first.
            empty.reverse();
            FREE_LIST.set(head);
            BUMP.set(ptr::null_mut());
            BUMP_END.set(ptr::null_mut());
            HEAP_BYTES.fetch_sub(freed * CELL_BYTES, Ordering::Relaxed);
            Ok(garbage)
        })
    })
}
