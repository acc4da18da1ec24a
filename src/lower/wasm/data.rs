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
                    self.bytes.extend_from_slice(&0u32.to_le_bytes());
                }
            }
        }
        start
    }

    /// Pointer slots and what each must hold after relocation.
    pub fn relocs(&self) -> &[(u32, RelocTarget)] {
        &self.relocs
    }

    /// The finished bytes, padded so the segment covers all of `mem_size` (the loader does not zero memory).
    pub fn finish(mut self) -> Vec<u8> {
        self.align(16);
        self.bytes
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Word {
    Value(u32),
    Pointer(RelocTarget),
}
