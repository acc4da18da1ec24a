//! Patch ids that never repeat for a served directory, across restarts: the
//! next free id lives in `.jankwasm/patch-id`. Ids are reserved in blocks, so
//! the file is written once per block rather than once per patch; a crash
//! skips the rest of a block, which only leaves a gap.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// How many ids one write of the counter file reserves.
const BLOCK: u64 = 256;
/// The largest patch id: ids reach pages as JSON numbers, which JavaScript
/// holds exactly only up to 2^53 - 1 (`Number.MAX_SAFE_INTEGER`).
pub const MAX_PATCH_ID: u64 = (1 << 53) - 1;

#[derive(Debug, thiserror::Error)]
pub enum PatchIdError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path} does not hold a patch id: {text:?}")]
    Corrupt { path: PathBuf, text: String },
    #[error("no patch id after {after}: ids stop at {MAX_PATCH_ID}")]
    Exhausted { after: u64 },
}

#[derive(Debug)]
pub struct PatchIds {
    path: PathBuf,
    next: u64,
    /// Ids below this are reserved in the file.
    reserved_until: u64,
}

impl PatchIds {
    /// The counter of the project in `dir` (`dir/.jankwasm/patch-id`), starting at 1.
    pub fn open(dir: &Path) -> Result<Self, PatchIdError> {
        let path = dir.join(".jankwasm").join("patch-id");
        let next = match fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&next| next <= MAX_PATCH_ID)
                .ok_or_else(|| PatchIdError::Corrupt {
                    path: path.clone(),
                    text,
                })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => 1,
            Err(source) => return Err(PatchIdError::Read { path, source }),
        };
        let mut ids = Self {
            path,
            next: next.max(1),
            reserved_until: 0,
        };
        ids.reserve(ids.next)?;
        Ok(ids)
    }

    /// The next id, never handed out before for this directory.
    pub fn allocate(&mut self) -> Result<u64, PatchIdError> {
        if self.next > MAX_PATCH_ID {
            return Err(PatchIdError::Exhausted {
                after: MAX_PATCH_ID,
            });
        }
        if self.next >= self.reserved_until {
            self.reserve(self.next)?;
        }
        let id = self.next;
        self.next += 1;
        Ok(id)
    }

    /// Makes every later id greater than `seen` (an id a page reports having
    /// loaded, perhaps from before the counter file was lost). An id that
    /// leaves no later one ([`MAX_PATCH_ID`] or above) is refused, and the
    /// counter stays where it was.
    pub fn skip_past(&mut self, seen: u64) -> Result<(), PatchIdError> {
        if seen >= MAX_PATCH_ID {
            return Err(PatchIdError::Exhausted { after: seen });
        }
        if seen >= self.next {
            self.next = seen + 1;
            if self.next >= self.reserved_until {
                self.reserve(self.next)?;
            }
        }
        Ok(())
    }

    /// The id `allocate` returns next.
    pub fn peek(&self) -> u64 {
        self.next
    }

    fn reserve(&mut self, from: u64) -> Result<(), PatchIdError> {
        let until = from + BLOCK;
        let write_error = |source| PatchIdError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(parent) = self.path.parent() {
            fs::create_dir_all(parent).map_err(write_error)?;
        }
        // Write then rename, so a crash never leaves a truncated counter.
        let temporary = self.path.with_extension("tmp");
        fs::write(&temporary, format!("{until}\n")).map_err(write_error)?;
        fs::rename(&temporary, &self.path).map_err(write_error)?;
        self.reserved_until = until;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_continue_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = PatchIds::open(dir.path()).unwrap();
        let a = first.allocate().unwrap();
        let b = first.allocate().unwrap();
        assert_eq!((a, b), (1, 2));
        drop(first);
        let mut second = PatchIds::open(dir.path()).unwrap();
        assert!(second.allocate().unwrap() > b);
    }

    #[test]
    fn a_block_boundary_writes_the_next_block() {
        let dir = tempfile::tempdir().unwrap();
        let mut ids = PatchIds::open(dir.path()).unwrap();
        let last = (0..BLOCK + 3).map(|_| ids.allocate().unwrap()).last();
        assert_eq!(last, Some(BLOCK + 3));
        let stored: u64 = fs::read_to_string(dir.path().join(".jankwasm/patch-id"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(stored > BLOCK + 3);
    }

    #[test]
    fn skip_past_moves_beyond_a_pages_ids() {
        let dir = tempfile::tempdir().unwrap();
        let mut ids = PatchIds::open(dir.path()).unwrap();
        ids.skip_past(1000).unwrap();
        assert_eq!(ids.allocate().unwrap(), 1001);
        drop(ids);
        assert!(PatchIds::open(dir.path()).unwrap().peek() > 1001);
    }

    #[test]
    fn ids_past_the_largest_are_refused_and_leave_the_counter() {
        let dir = tempfile::tempdir().unwrap();
        let mut ids = PatchIds::open(dir.path()).unwrap();
        for seen in [MAX_PATCH_ID, u64::MAX - BLOCK, u64::MAX] {
            assert!(matches!(
                ids.skip_past(seen),
                Err(PatchIdError::Exhausted { after }) if after == seen
            ));
        }
        assert_eq!(ids.allocate().unwrap(), 1);
        ids.skip_past(MAX_PATCH_ID - 1).unwrap();
        assert_eq!(ids.allocate().unwrap(), MAX_PATCH_ID);
        assert!(matches!(
            ids.allocate(),
            Err(PatchIdError::Exhausted {
                after: MAX_PATCH_ID
            })
        ));
    }

    #[test]
    fn a_counter_past_the_largest_id_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(".jankwasm")).unwrap();
        fs::write(
            dir.path().join(".jankwasm/patch-id"),
            format!("{}\n", u64::MAX),
        )
        .unwrap();
        assert!(matches!(
            PatchIds::open(dir.path()),
            Err(PatchIdError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_corrupt_counter_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(".jankwasm")).unwrap();
        fs::write(dir.path().join(".jankwasm/patch-id"), "banana").unwrap();
        assert!(matches!(
            PatchIds::open(dir.path()),
            Err(PatchIdError::Corrupt { .. })
        ));
    }
}
