//! Which of a function's mirrored locals need their root slot: those whose
//! value a collection could free while the function still reads it. The
//! others' mirroring stores are dropped and the slots that stay are packed,
//! which keeps patches small and their stores few.
//!
//! Decided on the function's finished op stream, where a block only branches
//! forward and a loop only back to its start: a local needs a slot when a
//! collecting op lies between its first assignment and its last read, with a
//! read inside a loop counting as a read at the loop's end (the next
//! iteration reads the value again) and an assignment inside one as one at
//! the loop's start.

use super::Op;
use rustc_hash::{FxHashMap, FxHashSet};
use wasm_encoder::Instruction as I;

/// Where a mirrored local is assigned and read, in op positions.
#[derive(Default)]
struct Span {
    first: Option<usize>,
    last: Option<usize>,
}

impl Span {
    fn widen(&mut self, from: usize, to: usize) {
        self.first = Some(self.first.map_or(from, |first| first.min(from)));
        self.last = Some(self.last.map_or(to, |last| last.max(to)));
    }
}

/// The mirrored locals (keys of `slots`, a local's slot in the root area)
/// that must keep a slot. `roots` is the local holding the root area's
/// address: every op sequence starting with a read of it is a slot store of
/// three ops (mirroring or clearing), which reads no local for itself.
/// `params` are assigned on entry; `pinned` locals keep their slot whatever
/// their reads (the fn object, whose environment holds the captured values
/// the body reads).
pub fn needed(
    ops: &[Op],
    roots: u32,
    slots: &FxHashMap<u32, u32>,
    params: u32,
    pinned: &[u32],
    collects: impl Fn(&Op) -> bool,
) -> FxHashSet<u32> {
    let mut spans: FxHashMap<u32, Span> = FxHashMap::default();
    for param in (0..params).filter(|param| slots.contains_key(param)) {
        spans.entry(param).or_default().widen(0, 0);
    }
    let mut collections = Vec::new();
    let mut open: Vec<(usize, bool)> = Vec::new();
    let mut loops: Vec<(usize, usize)> = Vec::new();
    let mut in_store = 0;
    for (at, op) in ops.iter().enumerate() {
        if in_store > 0 {
            in_store -= 1;
            continue;
        }
        if collects(op) {
            collections.push(at);
        }
        match op {
            Op::I(I::LocalGet(local)) if *local == roots => in_store = 2,
            Op::I(I::LocalGet(local) | I::LocalSet(local) | I::LocalTee(local))
            | Op::Live(local)
                if slots.contains_key(local) =>
            {
                spans.entry(*local).or_default().widen(at, at);
            }
            Op::I(I::Block(_) | I::If(_)) => open.push((at, false)),
            Op::I(I::Loop(_)) => open.push((at, true)),
            Op::I(I::End) => {
                if let Some((start, true)) = open.pop() {
                    loops.push((start, at));
                }
            }
            _ => {}
        }
    }
    // A loop's ops are inside every loop that encloses it, so one pass over
    // the loops, innermost first (the order their ends were met), widens a
    // span as far as nesting requires.
    for (start, end) in loops {
        for span in spans.values_mut() {
            let touches_loop = [span.first, span.last]
                .into_iter()
                .flatten()
                .any(|at| (start..=end).contains(&at));
            if touches_loop {
                span.widen(start, end);
            }
        }
    }
    spans
        .into_iter()
        .filter(|(local, span)| {
            pinned.contains(local)
                || match (span.first, span.last) {
                    (Some(first), Some(last)) => {
                        collections.iter().any(|at| (first..=last).contains(at))
                    }
                    _ => false,
                }
        })
        .map(|(local, _)| local)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jank_runtime_abi::Helper;
    use wasm_encoder::BlockType;

    const ROOTS: u32 = 9;

    fn mirror(local: u32, slot: u64) -> [Op; 3] {
        [
            Op::I(I::LocalGet(ROOTS)),
            Op::I(I::LocalGet(local)),
            Op::I(I::I32Store(super::super::mem_arg(4 * slot))),
        ]
    }

    fn needed_of(ops: &[Op], mirrored: &[u32]) -> Vec<u32> {
        let slots = mirrored
            .iter()
            .enumerate()
            .map(|(slot, local)| (*local, slot as u32))
            .collect();
        let mut needed: Vec<u32> = needed(ops, ROOTS, &slots, 1, &[], |op| {
            matches!(op, Op::Helper(Helper::Call | Helper::GcPoll))
        })
        .into_iter()
        .collect();
        needed.sort_unstable();
        needed
    }

    #[test]
    fn a_local_needs_a_slot_only_when_read_after_a_collection() {
        let mut ops = Vec::from(mirror(0, 0));
        ops.extend([Op::I(I::LocalSet(1))]);
        ops.extend(mirror(1, 1));
        ops.extend([
            Op::I(I::LocalGet(0)),
            Op::Helper(Helper::Call),
            Op::I(I::LocalGet(1)),
        ]);
        assert_eq!(needed_of(&ops, &[0, 1]), vec![1]);
    }

    #[test]
    fn a_read_inside_a_loop_lasts_to_its_back_edge_poll() {
        let mut ops = Vec::from(mirror(0, 0));
        ops.extend([
            Op::I(I::Loop(BlockType::Empty)),
            Op::I(I::LocalGet(0)),
            Op::I(I::Drop),
            Op::Helper(Helper::GcPoll),
            Op::I(I::Br(0)),
            Op::I(I::End),
        ]);
        assert_eq!(needed_of(&ops, &[0]), vec![0]);
    }

    #[test]
    fn a_value_waiting_for_its_consumer_is_live_until_the_marker() {
        let mut ops = Vec::from(mirror(0, 0));
        ops.extend([
            Op::I(I::LocalGet(0)),
            Op::Helper(Helper::Call),
            Op::Live(0),
            Op::Helper(Helper::MakeVector),
        ]);
        assert_eq!(needed_of(&ops, &[0]), vec![0]);
        let without_marker: Vec<Op> = ops
            .into_iter()
            .filter(|op| !matches!(op, Op::Live(_)))
            .collect();
        assert_eq!(needed_of(&without_marker, &[0]), Vec::<u32>::new());
    }
}
