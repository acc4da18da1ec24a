//! Jank frames: a patch's `jank.frames` custom section (which jank fn each of
//! its functions runs, and where it is written), and the mapping of a wasm
//! backtrace captured at a throw or a trap onto those fns.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The custom section a patch carries its frame table in.
pub const FRAMES_SECTION: &str = "jank.frames";

/// One jank fn on the stack of a throw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JankFrame {
    /// `ns/name`.
    pub name: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The text of that line, trimmed (empty when unknown).
    pub source: String,
}

impl fmt::Display for JankFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}:{}:{})",
            self.name, self.file, self.line, self.column
        )
    }
}

/// A patch's functions by index in its function index space.
pub type FrameTable = HashMap<u32, JankFrame>;

/// A loaded patch's `jank.frames` section, read into a [`FrameTable`] the
/// first time a throw or a trap passes through the patch: most patches never
/// see one, and loading is what an edit waits for.
#[derive(Debug)]
pub struct LazyFrameTable {
    section: Box<[u8]>,
    table: OnceLock<FrameTable>,
}

impl LazyFrameTable {
    /// The frame table of patch `wasm`, None when it has no frames section.
    pub fn of(wasm: &[u8]) -> Option<Self> {
        Some(Self {
            section: frames_section(wasm)?.into(),
            table: OnceLock::new(),
        })
    }

    pub fn get(&self, index: u32) -> Option<&JankFrame> {
        self.table
            .get_or_init(|| parse_table(&self.section))
            .get(&index)
    }
}

/// The custom section by which a patch promises to keep its live object
/// references in its shadow-stack frame across calls (jank_patch_abi.h,
/// "Collection inside calls").
pub const FRAME_ROOTS_SECTION: &str = "jank.frame_roots";

/// Whether `wasm` promises to keep its roots in its frames.
pub fn keeps_roots_in_frames(wasm: &[u8]) -> bool {
    custom_section(wasm, FRAME_ROOTS_SECTION) == Some(&[1][..])
}

/// The payload of `wasm`'s `jank.frames` section.
fn frames_section(wasm: &[u8]) -> Option<&[u8]> {
    custom_section(wasm, FRAMES_SECTION)
}

/// The payload of `wasm`'s custom section `name`. Sections are walked, not
/// parsed: the code section is skipped whole.
fn custom_section<'w>(wasm: &'w [u8], name: &str) -> Option<&'w [u8]> {
    let mut parser = wasmparser::Parser::new(0);
    let mut rest = wasm;
    loop {
        let (consumed, payload) = match parser.parse(rest, true).ok()? {
            wasmparser::Chunk::Parsed { consumed, payload } => (consumed, payload),
            wasmparser::Chunk::NeedMoreData(_) => return None,
        };
        match payload {
            wasmparser::Payload::CustomSection(section) if section.name() == name => {
                return Some(section.data());
            }
            wasmparser::Payload::CodeSectionStart { size, .. } => {
                parser.skip_section();
                rest = rest.get(consumed + size as usize..)?;
                continue;
            }
            wasmparser::Payload::End(_) => return None,
            _ => {}
        }
        rest = rest.get(consumed..)?;
    }
}

/// The frame table of patch `wasm`; empty when it has none (a patch from
/// another compiler) or a line does not parse.
pub fn read_frame_table(wasm: &[u8]) -> FrameTable {
    frames_section(wasm).map(parse_table).unwrap_or_default()
}

/// A `jank.frames` payload: `file\t<file>`, then one line per function.
fn parse_table(section: &[u8]) -> FrameTable {
    let mut table = FrameTable::new();
    let Ok(text) = std::str::from_utf8(section) else {
        return table;
    };
    let mut lines = text.lines();
    let Some(file) = lines.next().and_then(|first| first.strip_prefix("file\t")) else {
        return table;
    };
    for line in lines {
        if let Some((index, frame)) = parse_line(file, line) {
            table.insert(index, frame);
        }
    }
    table
}

/// `index\tname\tline\tcolumn\tsource`, a function of a patch from `file`.
fn parse_line(file: &str, line: &str) -> Option<(u32, JankFrame)> {
    let mut fields = line.split('\t');
    let index = fields.next()?.parse().ok()?;
    let name = fields.next()?.to_string();
    let file = file.to_string();
    let line = fields.next()?.parse().ok()?;
    let column = fields.next()?.parse().ok()?;
    let source = fields.next().unwrap_or_default().to_string();
    Some((
        index,
        JankFrame {
            name,
            file,
            line,
            column,
            source,
        },
    ))
}

/// The jank frames of `backtrace`, innermost first: the frames of loaded
/// patches (found by module name in `tables`), not the runtime's own.
pub fn jank_frames(
    backtrace: &wasmtime::WasmBacktrace,
    tables: &HashMap<String, LazyFrameTable>,
) -> Vec<JankFrame> {
    backtrace
        .frames()
        .iter()
        .filter_map(|frame| {
            let table = tables.get(frame.module().name()?)?;
            table.get(frame.func_index()).cloned()
        })
        .collect()
}
