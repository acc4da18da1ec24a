//! Assembles the sections of a patch in the order the loader requires
//! (`dylink.0` first), when asked with the name and frame sections that map
//! its functions back to jank fns, and validates the result.

use super::codegen::{FnCodegen, GlobalRef, Op};
use super::{verify, Frames, ModuleBuilder};
use crate::diag::Failure;
use crate::lower::Abi;
use crate::source::Pos;
use jank_runtime_abi::Helper;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};
use wasm_encoder::{
    CodeSection, ConstExpr, CustomSection, DataSection, ElementSection, Elements, Encode,
    EntityType, ExportKind, ExportSection, Function, FunctionSection, GlobalSection, GlobalType,
    ImportSection, MemoryType, Module, NameMap, NameSection, RefType, StartSection, TableType,
    TypeSection, ValType,
};

/// `2^4 = 16`: the alignment the loader gives side-module memory anyway.
const MEM_P2ALIGN: u32 = 4;

pub fn encode(
    mut module: ModuleBuilder<'_>,
    getter: u32,
    export_name: &str,
    with_frames: Frames,
) -> Result<Vec<u8>, Failure> {
    let relocs = module.data.relocs().to_vec();
    let start = FnCodegen::start(&mut module, &relocs);
    let start_func = module.add_func(start);
    if verify::ENABLED {
        verify::functions(&module.funcs, module.abi)
            .map_err(|message| module.internal(Pos::new(1, 1), message))?;
    }
    let data = std::mem::take(&mut module.data).finish();

    let helpers: Vec<Helper> = module
        .funcs
        .iter()
        .flat_map(|f| f.ops.iter())
        .filter_map(Op::helper)
        .collect::<BTreeSet<Helper>>()
        .into_iter()
        .collect();
    let uses_stack = module.funcs.iter().flat_map(|f| f.ops.iter()).any(|op| {
        matches!(
            op,
            Op::Global(GlobalRef::StackPointer) | Op::GlobalSet(GlobalRef::StackPointer)
        )
    });

    let mut types = Types::default();

    let mut imports = ImportSection::new();
    imports.import(
        "env",
        "memory",
        EntityType::Memory(MemoryType {
            minimum: 0,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        }),
    );
    imports.import(
        "env",
        "__indirect_function_table",
        EntityType::Table(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: 0,
            maximum: None,
            shared: false,
        }),
    );
    let immutable_i32 = GlobalType {
        val_type: ValType::I32,
        mutable: false,
        shared: false,
    };
    imports.import("env", "__memory_base", EntityType::Global(immutable_i32));
    imports.import("env", "__table_base", EntityType::Global(immutable_i32));
    if uses_stack {
        imports.import(
            "env",
            "__stack_pointer",
            EntityType::Global(GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            }),
        );
    }
    for helper in &helpers {
        let ty = types.of(wasm_types(helper.params()), wasm_types(helper.results()));
        imports.import("env", helper.name(), EntityType::Function(ty));
    }
    // By `Helper as usize`: a lookup for every helper call the patch makes.
    let mut helper_index = vec![u32::MAX; Helper::ALL.len()];
    for (index, helper) in helpers.iter().enumerate() {
        helper_index[*helper as usize] = index as u32;
    }
    let first_defined = helpers.len() as u32;
    let first_own_global = if uses_stack { 3 } else { 2 };
    let constants = module.pool.constants.len() as u32;
    let vars = module.pool.vars.len() as u32;
    let direct_calls = module.direct_calls.len() as u32;
    let global_index = |global: GlobalRef| -> u32 {
        match global {
            GlobalRef::MemoryBase => 0,
            GlobalRef::TableBase => 1,
            GlobalRef::StackPointer => 2,
            GlobalRef::Constant(k) => first_own_global + k,
            GlobalRef::Var(k) => first_own_global + constants + k,
            GlobalRef::DirectCalls(k) => first_own_global + constants + vars + k,
            GlobalRef::SmallIntLow => first_own_global + constants + vars + direct_calls,
            GlobalRef::SmallIntSpan => first_own_global + constants + vars + direct_calls + 1,
        }
    };

    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();
    // Identical functions (a top-level form written twice, the same fn in
    // two places) are emitted once; `function_index[f]` is where defined
    // function `f` ended up.
    let mut emitted: FxHashMap<(u32, u32, Vec<u8>), u32> = FxHashMap::default();
    let mut function_index = Vec::with_capacity(module.funcs.len());
    for func in &module.funcs {
        let mut body = Function::new([(func.locals, ValType::I32)]);
        for op in &func.ops {
            match op {
                Op::I(instruction) => body.instruction(instruction),
                Op::Live(_) => continue,
                Op::Helper(helper) => body.instruction(&wasm_encoder::Instruction::Call(
                    helper_index[*helper as usize],
                )),
                Op::QuietCall => body.instruction(&wasm_encoder::Instruction::Call(
                    helper_index[Helper::Call as usize],
                )),
                Op::Global(g) => {
                    body.instruction(&wasm_encoder::Instruction::GlobalGet(global_index(*g)))
                }
                Op::GlobalSet(g) => {
                    body.instruction(&wasm_encoder::Instruction::GlobalSet(global_index(*g)))
                }
                Op::Call(callee) => body.instruction(&wasm_encoder::Instruction::Call(
                    function_index[*callee as usize],
                )),
                Op::CallIndirect(params) => {
                    body.instruction(&wasm_encoder::Instruction::CallIndirect {
                        type_index: types.of_i32s(*params, 1),
                        table_index: 0,
                    })
                }
            };
        }
        let next = emitted.len() as u32;
        let key = (func.params, func.results, body.into_raw_body());
        let index = *emitted
            .entry(key)
            .or_insert_with_key(|(params, results, raw)| {
                functions.function(types.of_i32s(*params, *results));
                code.raw(raw);
                next
            });
        function_index.push(first_defined + index);
    }

    let mut globals = GlobalSection::new();
    let mutable_i32 = GlobalType {
        val_type: ValType::I32,
        mutable: true,
        shared: false,
    };
    let small_int_globals = if module.uses_small_ints() { 2 } else { 0 };
    for _ in 0..(constants + vars + direct_calls + small_int_globals) {
        globals.global(mutable_i32, &ConstExpr::i32_const(0));
    }

    let mut exports = ExportSection::new();
    exports.export(
        export_name,
        ExportKind::Func,
        function_index[getter as usize],
    );

    let mut elements = ElementSection::new();
    let table_funcs: Vec<u32> = module
        .table
        .iter()
        .map(|f| function_index[*f as usize])
        .collect();
    if !table_funcs.is_empty() {
        elements.active(
            None,
            &ConstExpr::global_get(1),
            Elements::Functions(table_funcs.as_slice().into()),
        );
    }

    let frames = frame_table(&module, &function_index);
    let mut names = NameSection::new();
    names.module(export_name);
    let mut function_names = NameMap::new();
    for (index, frame) in &frames {
        function_names.append(*index, &frame.name);
    }
    names.functions(&function_names);

    let mut data_section = DataSection::new();
    if !data.is_empty() {
        data_section.active(0, &ConstExpr::global_get(0), data.iter().copied());
    }

    let mut wasm = Module::new();
    wasm.section(&CustomSection {
        name: "dylink.0".into(),
        data: dylink(data.len() as u32, table_funcs.len() as u32).into(),
    });
    wasm.section(&types.section);
    wasm.section(&imports);
    wasm.section(&functions);
    if !globals.is_empty() {
        wasm.section(&globals);
    }
    wasm.section(&exports);
    wasm.section(&StartSection {
        function_index: function_index[start_func as usize],
    });
    if !elements.is_empty() {
        wasm.section(&elements);
    }
    wasm.section(&code);
    if !data_section.is_empty() {
        wasm.section(&data_section);
    }
    if module.abi == Abi::Extended {
        wasm.section(&CustomSection {
            name: FRAME_ROOTS_SECTION.into(),
            data: [1u8][..].into(),
        });
    }
    if with_frames == Frames::Included {
        wasm.section(&names);
        wasm.section(&CustomSection {
            name: FRAMES_SECTION.into(),
            data: frames_payload(&module.source.name, &frames)
                .into_bytes()
                .into(),
        });
    }
    let bytes = wasm.finish();
    wasmparser::Validator::new_with_features(PATCH_FEATURES)
        .validate_all(&bytes)
        .map_err(|e| {
            module.internal(
                Pos::new(1, 1),
                format!("the emitted module does not validate: {e}"),
            )
        })?;
    if verify::ENABLED {
        verify::imports(&bytes, module.abi)
            .map_err(|message| module.internal(Pos::new(1, 1), message))?;
    }
    Ok(bytes)
}

/// The type section being built, each function type once.
#[derive(Default)]
struct Types {
    section: TypeSection,
    indices: FxHashMap<(Vec<ValType>, Vec<ValType>), u32>,
    /// The types of the patch's own functions and indirect calls, which
    /// take and return only i32s, by (params, results).
    i32s: FxHashMap<(u32, u32), u32>,
}

impl Types {
    fn of(&mut self, params: Vec<ValType>, results: Vec<ValType>) -> u32 {
        let next = self.indices.len() as u32;
        let section = &mut self.section;
        *self
            .indices
            .entry((params, results))
            .or_insert_with_key(|(params, results)| {
                section
                    .ty()
                    .function(params.iter().copied(), results.iter().copied());
                next
            })
    }

    fn of_i32s(&mut self, params: u32, results: u32) -> u32 {
        if let Some(index) = self.i32s.get(&(params, results)) {
            return *index;
        }
        let index = self.of(
            vec![ValType::I32; params as usize],
            vec![ValType::I32; results as usize],
        );
        self.i32s.insert((params, results), index);
        index
    }
}

/// The wasm features a patch may use: the MVP plus the imported mutable
/// `__stack_pointer` (what Emscripten 3.1.6's MAIN_MODULE and every engine
/// the pages run on accept). Validating against exactly these both keeps
/// the compiler from emitting a newer instruction by accident and skips the
/// checks of every proposal a patch never uses.
const PATCH_FEATURES: wasmparser::WasmFeatures =
    wasmparser::WasmFeatures::WASM1.union(wasmparser::WasmFeatures::MUTABLE_GLOBAL);

/// The custom section by which a patch promises to keep its live object
/// references in its shadow-stack frame across calls (jank_patch_abi.h,
/// "Collection inside calls"); a host loading a patch without it tells the
/// runtime to collect only between calls.
pub const FRAME_ROOTS_SECTION: &str = "jank.frame_roots";

/// The custom section that maps a patch's functions to the jank fns they
/// run: a first line `file\t<source file>` (a patch comes from one file),
/// then one line per function, `index\tname\tline\tcolumn\tsource`, where
/// index is in the function index space (imports first) and source is the
/// text of that line, for error displays that have no source file. A host that
/// catches a throw or a trap maps its wasm frames through it; the name
/// section carries the same names for the browser's own stacks.
pub const FRAMES_SECTION: &str = "jank.frames";

/// One jank fn a defined function runs.
struct Frame {
    name: String,
    pos: Pos,
    source_line: String,
}

/// The frames of the defined functions, by final function index; a function
/// emitted once for several identical bodies keeps the first one's frame.
fn frame_table(module: &ModuleBuilder<'_>, function_index: &[u32]) -> BTreeMap<u32, Frame> {
    let mut frames = BTreeMap::new();
    for (defined, (name, pos)) in &module.frames {
        let Some(&index) = function_index.get(*defined as usize) else {
            continue;
        };
        let earlier = frames
            .get(&index)
            .is_some_and(|(first, _): &(u32, Frame)| first < defined);
        if !earlier {
            let frame = Frame {
                name: name.clone(),
                pos: *pos,
                source_line: module
                    .source
                    .line_text(pos.line)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            };
            frames.insert(index, (*defined, frame));
        }
    }
    frames
        .into_iter()
        .map(|(index, (_, frame))| (index, frame))
        .collect()
}

fn frames_payload(file: &str, frames: &BTreeMap<u32, Frame>) -> String {
    // Tabs and newlines would break the line format; no jank name or file has them.
    let clean = |text: &str| text.replace(['\t', '\n'], " ");
    let mut payload = format!("file\t{}\n", clean(file));
    for (index, frame) in frames {
        payload.push_str(&format!(
            "{index}\t{}\t{}\t{}\t{}\n",
            clean(&frame.name),
            frame.pos.line,
            frame.pos.col,
            clean(&frame.source_line)
        ));
    }
    payload
}

/// The `dylink.0` payload: one exact MEM_INFO subsection.
fn dylink(mem_size: u32, table_size: u32) -> Vec<u8> {
    let mut mem_info = Vec::new();
    mem_size.encode(&mut mem_info);
    MEM_P2ALIGN.encode(&mut mem_info);
    table_size.encode(&mut mem_info);
    0u32.encode(&mut mem_info);
    let mut payload = vec![1u8];
    mem_info.len().encode(&mut payload);
    payload.extend(mem_info);
    payload
}

fn wasm_types(types: &[jank_runtime_abi::ValType]) -> Vec<ValType> {
    types
        .iter()
        .map(|t| match t {
            jank_runtime_abi::ValType::I32 => ValType::I32,
            jank_runtime_abi::ValType::I64 => ValType::I64,
            jank_runtime_abi::ValType::F64 => ValType::F64,
        })
        .collect()
}
