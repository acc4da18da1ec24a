//! Reads a side module's `dylink.0` section with wasmparser's reader, as
//! Emscripten 3.1.6's `getDylinkMetadata` (src/library_dylink.js) reads it:
//! the section must be the first one, MEM_INFO, NEEDED and EXPORT_INFO are
//! decoded, other subsections are skipped by their size, and the section must
//! end exactly where the last subsection ends (the loader's `offset == end`).
//!
//! Where 3.1.6 is looser than the tool-conventions format, this reader is
//! stricter, because every such module is a compiler bug: a known subsection
//! whose declared size is more than its fields use (3.1.6 ignores the size and
//! misreads what follows), a repeated MEM_INFO (3.1.6 keeps the last), and the
//! legacy `dylink` section (3.1.6 still reads it, newer loaders do not;
//! jankwasm only emits `dylink.0`).

use wasmparser::{
    BinaryReader, BinaryReaderError, CustomSectionReader, Dylink0Subsection, Subsection,
    Subsections, SymbolFlags,
};

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
const PREAMBLE_LEN: usize = 8;
const SUBSECTION_MEM_INFO: u8 = 1;
const SUBSECTION_NEEDED: u8 = 2;
const SUBSECTION_EXPORT_INFO: u8 = 3;

/// One subsection as wasmparser frames it: decoded by `Dylink0Subsection`
/// when 3.1.6 reads it, and its declared bytes kept for the exact-size check.
struct Framed<'a> {
    id: u8,
    offset: usize,
    body: &'a [u8],
    decoded: Option<Dylink0Subsection<'a>>,
}

impl<'a> Subsection<'a> for Framed<'a> {
    fn from_reader(id: u8, reader: BinaryReader<'a>) -> wasmparser::Result<Self> {
        let offset = reader.original_position();
        let body = reader.clone().read_bytes(reader.bytes_remaining())?;
        // 3.1.6 skips the ids it does not know (IMPORT_INFO, RUNTIME_PATH, ...)
        // unread, so malformed contents there are not an error.
        let decoded = match id {
            SUBSECTION_MEM_INFO | SUBSECTION_NEEDED | SUBSECTION_EXPORT_INFO => {
                Some(Dylink0Subsection::from_reader(id, reader)?)
            }
            _ => None,
        };
        Ok(Framed {
            id,
            offset: usize_from(offset),
            body,
            decoded,
        })
    }
}

impl Framed<'_> {
    /// Whether the fields end before the declared size: the same subsection
    /// still decodes with its last byte dropped.
    fn has_unused_bytes(&self) -> bool {
        let Some(shorter) = self.body.split_last().map(|(_, rest)| rest) else {
            return false;
        };
        let reader = BinaryReader::new(shorter, self.offset as u64);
        Dylink0Subsection::from_reader(self.id, reader).is_ok()
    }
}

fn usize_from(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}

fn malformed(error: BinaryReaderError) -> DylinkError {
    DylinkError::Malformed {
        offset: usize_from(error.offset()),
        reason: error.message().to_string(),
    }
}

/// Parses the `dylink.0` section, which must be the module's first section.
pub fn parse_dylink(wasm: &[u8]) -> Result<DylinkInfo, HarnessError> {
    parse(wasm).map_err(HarnessError::Dylink)
}

fn parse(wasm: &[u8]) -> Result<DylinkInfo, DylinkError> {
    if wasm.len() < PREAMBLE_LEN || &wasm[..4] != WASM_MAGIC {
        return Err(DylinkError::NotWasm);
    }
    // 3.1.6: `failIf(binary[8] !== 0, 'need the dylink section to be first')`.
    if wasm.get(PREAMBLE_LEN) != Some(&0) {
        return Err(DylinkError::NotFirst);
    }
    let mut module = BinaryReader::new(&wasm[PREAMBLE_LEN + 1..], PREAMBLE_LEN as u64 + 1);
    let custom = module
        .read_reader()
        .and_then(CustomSectionReader::new)
        .map_err(malformed)?;
    match custom.name() {
        "dylink.0" => {}
        "dylink" => return Err(DylinkError::Legacy),
        name => {
            return Err(DylinkError::FirstSectionNotDylink {
                name: name.to_string(),
            })
        }
    }

    let mut info = DylinkInfo::default();
    let mut saw_mem_info = false;
    for framed in Subsections::<Framed>::new(custom.data_reader()) {
        let framed = framed.map_err(malformed)?;
        let Some(decoded) = &framed.decoded else {
            continue;
        };
        if framed.has_unused_bytes() {
            return Err(DylinkError::SubsectionSize {
                id: framed.id,
                offset: framed.offset,
                declared: framed.body.len(),
            });
        }
        match decoded {
            Dylink0Subsection::MemInfo(mem_info) => {
                if saw_mem_info {
                    return Err(DylinkError::DuplicateMemInfo);
                }
                saw_mem_info = true;
                info.mem_size = mem_info.memory_size;
                info.mem_p2align = mem_info.memory_alignment;
                info.table_size = mem_info.table_size;
                info.table_p2align = mem_info.table_alignment;
            }
            Dylink0Subsection::Needed(libraries) => {
                info.needed
                    .extend(libraries.iter().map(|name| name.to_string()));
            }
            Dylink0Subsection::ExportInfo(exports) => {
                info.tls_exports.extend(
                    exports
                        .iter()
                        .filter(|export| export.flags.contains(SymbolFlags::TLS))
                        .map(|export| export.name.to_string()),
                );
            }
            // `Framed` decodes only the three ids above.
            _ => {}
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn module_with_first_section(section: &[u8]) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend_from_slice(section);
        wasm
    }

    /// A module whose first section is `dylink.0` with this payload; the
    /// payload starts at byte 19.
    fn dylink(payload: &[u8]) -> Vec<u8> {
        let mut body = vec![8];
        body.extend_from_slice(b"dylink.0");
        body.extend_from_slice(payload);
        let mut section = vec![0, body.len() as u8];
        section.extend_from_slice(&body);
        module_with_first_section(&section)
    }

    const PAYLOAD_OFFSET: usize = 19;

    fn malformed_at(result: Result<DylinkInfo, DylinkError>) -> usize {
        match result {
            Err(DylinkError::Malformed { offset, .. }) => offset,
            other => panic!("not malformed: {other:?}"),
        }
    }

    #[test]
    fn reads_mem_info_needed_and_export_info() {
        let info = parse(&dylink(&[
            1, 4, 20, 2, 1, 0, // MEM_INFO
            2, 5, 1, 3, b'l', b'i', b'b', // NEEDED ["lib"]
            3, 8, 2, 2, b't', b'l', 0x80, 0x02, 0, 0, // EXPORT_INFO [("tl", TLS), ("", 0)]
            9, 2, 0xaa, 0xbb, // unknown, skipped
            4, 1, 0xff, // IMPORT_INFO, skipped unread as 3.1.6 does
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
        assert_eq!(parse(&dylink(&[])), Err(DylinkError::MissingMemInfo));
        assert_eq!(
            parse(&dylink(&[1, 4, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0])),
            Err(DylinkError::DuplicateMemInfo)
        );
        assert_eq!(
            parse(&dylink(&[1, 5, 0, 0, 0, 0, 0])),
            Err(DylinkError::SubsectionSize {
                id: 1,
                offset: PAYLOAD_OFFSET + 2,
                declared: 5
            })
        );
    }

    #[test]
    fn malformed_bytes_are_reported_where_they_are() {
        // A trailing byte too few to be a subsection: its size is missing.
        assert_eq!(
            malformed_at(parse(&dylink(&[1, 4, 0, 0, 0, 0, 0]))),
            PAYLOAD_OFFSET + 7
        );
        // A subsection claiming bytes past the section.
        assert_eq!(malformed_at(parse(&dylink(&[9, 5, 0]))), PAYLOAD_OFFSET + 2);
        // MEM_INFO's fields run past its declared size.
        assert_eq!(
            malformed_at(parse(&dylink(&[1, 3, 0, 0, 0, 0]))),
            PAYLOAD_OFFSET + 5
        );
        // A field that does not fit in 32 bits.
        let overflow = parse(&dylink(&[1, 8, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0]));
        assert!(malformed_at(overflow) >= PAYLOAD_OFFSET + 2);
        // A library name that is not UTF-8.
        assert!(matches!(
            parse(&dylink(&[1, 4, 0, 0, 0, 0, 2, 3, 1, 1, 0xff])),
            Err(DylinkError::Malformed { .. })
        ));
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
