//! The patch's data segment: NUL-terminated strings, fn descriptors and the
//! patch_symbol array, placed at `__memory_base`, with the pointer slots that
//! must be relocated at load time.

use rustc_hash::FxHashMap;

/// What a pointer slot in the data segment must hold after relocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelocTarget {
    /// `__memory_base + offset`.
    Data(u32),
    /// `__table_base + slot`: the table entry of the patch's function `slot`.
    Table(u32),
}

impl RelocTarget {
    /// What the slot holds before relocation, and what relocating it adds
    /// its base to.
    pub fn unrelocated(self) -> u32 {
        match self {
            RelocTarget::Data(offset) => offset,
            RelocTarget::Table(slot) => slot,
        }
    }
}

#[derive(Debug, Default)]
pub struct DataBuilder {
    bytes: Vec<u8>,
    strings: FxHashMap<Vec<u8>, u32>,
    relocs: Vec<(u32, RelocTarget)>,
}

impl DataBuilder {
    /// The offset of `text` as a NUL-terminated string, stored once.
    pub fn string(&mut self, text: &str) -> u32 {
        self.bytes_nul(text.as_bytes())
    }

    /// The offset of `bytes` followed by a NUL, stored once.
    pub fn bytes_nul(&mut self, bytes: &[u8]) -> u32 {
        if let Some(offset) = self.strings.get(bytes) {
            return *offset;
        }
        let offset = self.bytes.len() as u32;
        self.bytes.extend_from_slice(bytes);
        self.bytes.push(0);
        self.strings.insert(bytes.to_vec(), offset);
        offset
    }

    fn align(&mut self, alignment: usize) {
        while self.bytes.len() % alignment != 0 {
            self.bytes.push(0);
        }
    }

    /// Appends 4-byte words (each a plain value or a relocated pointer); returns the offset of the first.
    pub fn words(&mut self, words: &[Word]) -> u32 {
        self.align(4);
        let start = self.bytes.len() as u32;
        for word in words {
            let offset = self.bytes.len() as u32;
            match word {
                Word::Value(value) => self.bytes.extend_from_slice(&value.to_le_bytes()),
                Word::Pointer(target) => {
                    self.relocs.push((offset, *target));
                    self.bytes
                        .extend_from_slice(&target.unrelocated().to_le_bytes());
                }
            }
        }
        start
    }

    /// Pointer slots and what each must hold after relocation. Each slot
    /// holds its target's offset (or table slot) before it, so relocating
    /// it is adding the base.
    pub fn relocs(&self) -> &[(u32, RelocTarget)] {
        &self.relocs
    }

    /// Appends the word indices (offset / 4) of `slots`, as u16s when every
    /// one fits, else as u32s, for the start function to walk.
    pub fn slot_list(&mut self, slots: &[u32]) -> SlotList {
        let narrow = slots.iter().all(|slot| slot / 4 <= u32::from(u16::MAX));
        self.align(4);
        let start = self.bytes.len() as u32;
        for slot in slots {
            let index = slot / 4;
            if narrow {
                self.bytes.extend_from_slice(&(index as u16).to_le_bytes());
            } else {
                self.bytes.extend_from_slice(&index.to_le_bytes());
            }
        }
        SlotList {
            start,
            end: self.bytes.len() as u32,
            entry_bytes: if narrow { 2 } else { 4 },
        }
    }

    /// The finished bytes, padded so the segment covers all of `mem_size` (the loader does not zero memory).
    pub fn finish(mut self) -> Vec<u8> {
        self.align(16);
        self.bytes
    }
}

/// A list of pointer slots in the data segment: entries of `entry_bytes`
/// (2 or 4) from offset `start` to `end`, each a slot's offset / 4.
#[derive(Debug, Clone, Copy)]
pub struct SlotList {
    pub start: u32,
    pub end: u32,
    pub entry_bytes: u32,
}

#[derive(Debug, Clone, Copy)]
pub enum Word {
    Value(u32),
    Pointer(RelocTarget),
}
