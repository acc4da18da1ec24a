//! Jank frames: a patch's `jank.frames` custom section (which jank fn each of
//! its functions runs, and where it is written), and the mapping of a wasm
//! backtrace captured at a throw or a trap onto those fns.

use std::collections::HashMap;
use std::fmt;

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

/// The frame table of patch `wasm`; empty when it has none (a patch from
/// another compiler) or a line does not parse.
pub fn read_frame_table(wasm: &[u8]) -> FrameTable {
    let mut table = FrameTable::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(wasmparser::Payload::CustomSection(section)) = payload else {
            continue;
        };
        if section.name() != FRAMES_SECTION {
            continue;
        }
        let Ok(text) = std::str::from_utf8(section.data()) else {
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
    tables: &HashMap<String, FrameTable>,
) -> Vec<JankFrame> {
    backtrace
        .frames()
        .iter()
        .filter_map(|frame| {
            let table = tables.get(frame.module().name()?)?;
            table.get(&frame.func_index()).cloned()
        })
        .collect()
}
