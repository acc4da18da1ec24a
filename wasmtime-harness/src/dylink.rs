//! Reads a side module's `dylink.0` section the way Emscripten 3.1.6's
//! `getDylinkMetadata` (src/library_dylink.js) reads it from raw bytes:
//! the section must be the first one, known subsections are decoded field by
//! field, unknown ones are skipped by their size, and the section must end
//! exactly where the last subsection ends (the loader's `offset == end`
//! assertion).
//!
//! Where 3.1.6 is looser than the tool-conventions format, this reader is
//! stricter, because every such module is a compiler bug: a known subsection
//! whose declared size differs from what its fields use (3.1.6 ignores the
//! size and misreads what follows), a repeated MEM_INFO (3.1.6 keeps the last),
//! and the legacy `dylink` section (3.1.6 still reads it, newer loaders do not;
//! jankwasm only emits `dylink.0`).

use crate::error::{DylinkError, HarnessError};

/// The `dylink.0` metadata of a side module.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DylinkInfo {
    /// Bytes of linear memory the module's data needs, reserved at load.
    pub mem_size: u32,
    /// log2 of the data's alignment (the loader aligns to at least 16).
    pub mem_p2align: u32,
    /// Table slots the module's element segments fill, from `__table_base`.
    pub table_size: u32,
    /// log2 of the table alignment; the loader asserts it is 0.
    pub table_p2align: u32,
    /// Libraries the module needs loaded first (NEEDED subsection).
    pub needed: Vec<String>,
    /// Exports flagged as thread-local (EXPORT_INFO with the TLS flag).
    pub tls_exports: Vec<String>,
}

impl DylinkInfo {
    /// The alignment the loader gives the module's data: `max(2^mem_p2align, 16)`
    /// (16 is Emscripten's STACK_ALIGN). None when it does not fit in 32 bits.
    pub fn mem_align(&self) -> Option<u32> {
        let align = 1u32.checked_shl(self.mem_p2align)?;
        Some(align.max(16))
    }
}

const WASM_MAGIC: &[u8; 4] = b"\0asm";
const SUBSECTION_MEM_INFO: u8 = 1;
const SUBSECTION_NEEDED: u8 = 2;
const SUBSECTION_EXPORT_INFO: u8 = 3;
const SYMBOL_TLS: u32 = 0x100;

/// A cursor over the module bytes that never reads past `end`.
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self, what: &'static str) -> Result<u8, DylinkError> {
        if self.offset >= self.end {
            return Err(DylinkError::Truncated { what });
        }
        let byte = self.bytes[self.offset];
        self.offset += 1;
        Ok(byte)
    }

    /// An unsigned LEB128 that fits in 32 bits (every dylink.0 field does).
    fn leb(&mut self, what: &'static str) -> Result<u32, DylinkError> {
        let mut value: u64 = 0;
        for shift in (0..35).step_by(7) {
            let byte = self.u8(what)?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return u32::try_from(value).map_err(|_| DylinkError::LebOverflow { what });
            }
        }
        Err(DylinkError::LebOverflow { what })
    }

    fn string(&mut self, what: &'static str) -> Result<String, DylinkError> {
        let len = self.leb(what)? as usize;
        let start = self.offset;
        let stop = start.checked_add(len).filter(|&s| s <= self.end);
        let Some(stop) = stop else {
            return Err(DylinkError::Truncated { what });
        };
        self.offset = stop;
        String::from_utf8(self.bytes[start..stop].to_vec())
            .map_err(|_| DylinkError::BadUtf8 { what })
    }
}

/// Parses the `dylink.0` section, which must be the module's first section.
pub fn parse_dylink(wasm: &[u8]) -> Result<DylinkInfo, HarnessError> {
    parse(wasm).map_err(HarnessError::Dylink)
}

fn parse(wasm: &[u8]) -> Result<DylinkInfo, DylinkError> {
    if wasm.len() < 8 || &wasm[..4] != WASM_MAGIC {
        return Err(DylinkError::NotWasm);
    }
    // 3.1.6: `failIf(binary[8] !== 0, 'need the dylink section to be first')`.
    if wasm.get(8) != Some(&0) {
        return Err(DylinkError::NotFirst);
    }
    let mut reader = Reader {
        bytes: wasm,
        offset: 9,
        end: wasm.len(),
    };
    let section_size = reader.leb("custom section size")? as usize;
    let end = reader
        .offset
        .checked_add(section_size)
        .filter(|&e| e <= wasm.len())
        .ok_or(DylinkError::Truncated {
            what: "custom section",
        })?;
    reader.end = end;
    let name = reader.string("custom section name")?;
    match name.as_str() {
        "dylink.0" => {}
        "dylink" => return Err(DylinkError::Legacy),
        _ => return Err(DylinkError::FirstSectionNotDylink { name }),
    }

    let mut info = DylinkInfo::default();
    let mut saw_mem_info = false;
    while reader.offset < end {
        let id_offset = reader.offset;
        let header = reader
            .u8("subsection id")
            .and_then(|id| Ok((id, reader.leb("subsection size")?)));
        let (id, size) = match header {
            Ok(header) => header,
            // Bytes too few to be a subsection: 3.1.6 reads past the section
            // and fails `assert(offset == end)`.
            Err(DylinkError::Truncated { .. }) => {
                return Err(DylinkError::TrailingBytes {
                    count: end - id_offset,
                })
            }
            Err(e) => return Err(e),
        };
        let body_start = reader.offset;
        let body_end = body_start
            .checked_add(size as usize)
            .filter(|&e| e <= end)
            .ok_or(DylinkError::SubsectionOverrun { id, size })?;
        match id {
            SUBSECTION_MEM_INFO => {
                if saw_mem_info {
                    return Err(DylinkError::DuplicateMemInfo);
                }
                saw_mem_info = true;
                let mut sub = Reader {
                    bytes: wasm,
                    offset: body_start,
                    end: body_end,
                };
                info.mem_size = sub.leb("MEM_INFO mem_size")?;
                info.mem_p2align = sub.leb("MEM_INFO mem_p2align")?;
                info.table_size = sub.leb("MEM_INFO table_size")?;
                info.table_p2align = sub.leb("MEM_INFO table_p2align")?;
                check_fully_read(id, size, &sub)?;
            }
            SUBSECTION_NEEDED => {
                let mut sub = Reader {
                    bytes: wasm,
                    offset: body_start,
                    end: body_end,
                };
                let count = sub.leb("NEEDED count")?;
                for _ in 0..count {
                    info.needed.push(sub.string("NEEDED library name")?);
                }
                check_fully_read(id, size, &sub)?;
            }
            SUBSECTION_EXPORT_INFO => {
                let mut sub = Reader {
                    bytes: wasm,
                    offset: body_start,
                    end: body_end,
                };
                let count = sub.leb("EXPORT_INFO count")?;
                for _ in 0..count {
                    let symbol = sub.string("EXPORT_INFO symbol name")?;
                    let flags = sub.leb("EXPORT_INFO flags")?;
                    if flags & SYMBOL_TLS != 0 {
                        info.tls_exports.push(symbol);
                    }
                }
                check_fully_read(id, size, &sub)?;
            }
            // 3.1.6 skips unknown ids (newer IMPORT_INFO, RUNTIME_PATH, ...).
            _ => {}
        }
        reader.offset = body_end;
    }

    if !saw_mem_info {
        // 3.1.6 would fail `assert(tableAlign === 1)` on the missing field.
        return Err(DylinkError::MissingMemInfo);
    }
    if info.table_p2align != 0 {
        return Err(DylinkError::TableAlign {
            table_p2align: info.table_p2align,
        });
    }
    Ok(info)
}

fn check_fully_read(id: u8, size: u32, sub: &Reader<'_>) -> Result<(), DylinkError> {
    if sub.offset != sub.end {
        return Err(DylinkError::SubsectionSize {
            id,
            declared: size,
            unused: sub.end - sub.offset,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module_with_first_section(section: &[u8]) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend_from_slice(section);
        wasm
    }

    fn dylink(payload: &[u8]) -> Vec<u8> {
        let mut body = vec![8];
        body.extend_from_slice(b"dylink.0");
        body.extend_from_slice(payload);
        let mut section = vec![0, body.len() as u8];
        section.extend_from_slice(&body);
        module_with_first_section(&section)
    }

    #[test]
    fn reads_mem_info_needed_and_export_info() {
        let info = parse(&dylink(&[
            1, 4, 20, 2, 1, 0, // MEM_INFO
            2, 5, 1, 3, b'l', b'i', b'b', // NEEDED ["lib"]
            3, 6, 1, 2, b't', b'l', 0x80, 0x02, // EXPORT_INFO [("tl", TLS)]
            9, 2, 0xaa, 0xbb, // unknown, skipped
        ]))
        .unwrap();
        assert_eq!(info.mem_size, 20);
        assert_eq!(info.mem_p2align, 2);
        assert_eq!(info.table_size, 1);
        assert_eq!(info.needed, vec!["lib".to_string()]);
        assert_eq!(info.tls_exports, vec!["tl".to_string()]);
        assert_eq!(info.mem_align(), Some(16));
    }

    #[test]
    fn mem_align_is_at_least_sixteen_and_overflow_is_none() {
        let mut info = DylinkInfo {
            mem_p2align: 6,
            ..DylinkInfo::default()
        };
        assert_eq!(info.mem_align(), Some(64));
        info.mem_p2align = 40;
        assert_eq!(info.mem_align(), None);
    }

    #[test]
    fn rejects_what_the_loader_rejects() {
        assert_eq!(
            parse(b"\0asm\x01\0\0\0\x01\x01\x00"),
            Err(DylinkError::NotFirst)
        );
        assert_eq!(parse(b"nope"), Err(DylinkError::NotWasm));
        assert_eq!(
            parse(&dylink(&[1, 4, 0, 0, 0, 1])),
            Err(DylinkError::TableAlign { table_p2align: 1 })
        );
        assert_eq!(
            parse(&dylink(&[1, 4, 0, 0, 0, 0, 0])),
            Err(DylinkError::TrailingBytes { count: 1 })
        );
        assert_eq!(
            parse(&dylink(&[9, 5, 0])),
            Err(DylinkError::SubsectionOverrun { id: 9, size: 5 })
        );
        assert_eq!(parse(&dylink(&[])), Err(DylinkError::MissingMemInfo));
        assert_eq!(
            parse(&dylink(&[1, 5, 0, 0, 0, 0, 0])),
            Err(DylinkError::SubsectionSize {
                id: 1,
                declared: 5,
                unused: 1
            })
        );
        assert_eq!(
            parse(&dylink(&[1, 3, 0, 0, 0, 0])),
            Err(DylinkError::Truncated {
                what: "MEM_INFO table_p2align"
            })
        );
        assert_eq!(
            parse(&dylink(&[1, 8, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0])),
            Err(DylinkError::LebOverflow {
                what: "MEM_INFO mem_size"
            })
        );
    }

    #[test]
    fn rejects_the_legacy_section_and_other_names() {
        let mut body = vec![6];
        body.extend_from_slice(b"dylink");
        body.extend_from_slice(&[0, 0, 0, 0, 0]);
        let mut section = vec![0, body.len() as u8];
        section.extend_from_slice(&body);
        assert_eq!(
            parse(&module_with_first_section(&section)),
            Err(DylinkError::Legacy)
        );
        assert_eq!(
            parse(&module_with_first_section(&[
                0, 5, 4, b'n', b'a', b'm', b'e'
            ])),
            Err(DylinkError::FirstSectionNotDylink {
                name: "name".into()
            })
        );
    }
}
