//! Lowering: an analyzed `Unit` to a loadable patch. `wasm` writes the
//! SIDE_MODULE directly; `cpp` writes the same program as C++ for emcc, kept
//! to compare against. Both name the construct and its position when they
//! cannot lower something.

pub mod cpp;
mod plan;
pub mod wasm;

/// Which helper set a patch may import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Abi {
    /// Every helper of jank_patch_abi.h.
    #[default]
    Extended,
    /// Only the helpers jank's runtime exports today (`JANK_HELPER(seed)`).
    Seed,
}

/// What identifies one patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchOptions {
    pub patch_id: u64,
    pub abi: Abi,
}

impl PatchOptions {
    /// `jank_patch_symbols_<id>`: the one export, unique per patch id.
    pub fn symbols_export(&self) -> String {
        format!("jank_patch_symbols_{}", self.patch_id)
    }
}

/// One registry entry of a patch, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub qualified_name: String,
    pub signature: String,
}

/// A lowered patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub id: u64,
    pub bytes: Vec<u8>,
    pub symbols_export: String,
    pub entries: Vec<Entry>,
}
