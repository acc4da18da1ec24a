//! Direct lowering to an Emscripten SIDE_MODULE: the analyzed `Unit` becomes
//! wasm bytes with `dylink.0` first, imports of `env.memory`,
//! `env.__indirect_function_table`, `env.__memory_base`, `env.__table_base`,
//! `env.__stack_pointer` (when argument arrays are used) and the `jank_*`
//! helpers it calls, one data segment at `__memory_base` covering all of
//! `mem_size`, one element segment at `__table_base` whose length is
//! `table_size`, a start function that relocates data pointers (idempotent)
//! and creates the patch's constants and var handles, and one export,
//! `jank_patch_symbols_<id>`. The module is validated before it is returned.
//! Facts about the loader: docs/emscripten-side-modules.md.

mod codegen;
mod data;
mod encode;
mod verify;

use super::plan::{plan, EntryBody, Planned, PlannedEntry, Pool, EVAL_SIGNATURE};
use super::{Abi, Entry, Patch, PatchOptions};
use crate::analyze::ast::Const;
use crate::analyze::ast::{FnExpr, LocalNames, TopLevel, Unit};
use crate::diag::{Diagnostic, Failure, InternalError};
use crate::source::{Pos, SourceFile};
use codegen::{CallingConvention, FnCodegen, FuncDef, GlobalRef, Op};
use data::{DataBuilder, RelocTarget, Word};
use jank_runtime_abi::{
    Helper, JANK_MAX_CALL_DEPTH, JANK_MAX_PARAMS, JANK_SEED_REGISTRY_MAX_ARITY,
    JANK_SMALL_INT_LIMIT, JANK_SMALL_INT_STRIDE,
};
use rustc_hash::FxHashMap;
use wasm_encoder::Instruction as I;

/// Lowers `unit` into a validated patch.
pub fn lower(unit: &Unit, options: &PatchOptions, source: &SourceFile) -> Result<Patch, Failure> {
    lower_with(unit, options, source, Frames::Omitted)
}

/// Whether a patch carries its frame table (a name section and the
/// `jank.frames` section): what a host needs to name the jank fns of a
/// throw, at about a fifth more bytes, so only for hosts that show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frames {
    Included,
    Omitted,
}

/// Lowers `unit` into a validated patch, with or without its frame table.
pub fn lower_with(
    unit: &Unit,
    options: &PatchOptions,
    source: &SourceFile,
    frames: Frames,
) -> Result<Patch, Failure> {
    let mut module = ModuleBuilder::new(source, &unit.locals, options.abi);
    let mut entries = Vec::new();
    let mut entry_words = Vec::new();
    for form in &unit.forms {
        let entry = match plan(form) {
            Planned::Declare(_) if options.abi == Abi::Seed => continue,
            Planned::Declare(var) => {
                module.pool.var(var);
                continue;
            }
            Planned::Entry(entry) => entry,
        };
        if options.abi == Abi::Seed {
            seed_registry_accepts(&entry, top_level_pos(form), source)?;
        }
        let slot = match entry.body {
            EntryBody::PlainFn(function) => module.plain_fn(function)?,
            EntryBody::Thunk(expr) if entry.signature == EVAL_SIGNATURE => {
                module.thunk(expr, &format!("{}/eval", entry.qualified_name))?
            }
            EntryBody::Thunk(expr) => module.thunk(expr, &entry.qualified_name)?,
        };
        let PlannedEntry {
            qualified_name,
            signature,
            ..
        } = entry;
        let name_offset = module.data.string(&qualified_name);
        let signature_offset = module.data.string(&signature);
        entry_words.extend([
            Word::Pointer(RelocTarget::Data(name_offset)),
            Word::Pointer(RelocTarget::Data(signature_offset)),
            Word::Pointer(RelocTarget::Table(slot)),
        ]);
        entries.push(Entry {
            qualified_name,
            signature,
        });
    }
    let symbols_offset = module.data.words(&entry_words);
    let getter = module.symbols_getter(symbols_offset, entries.len() as u32);
    let bytes = encode::encode(module, getter, &options.symbols_export(), frames)?;
    Ok(Patch {
        id: options.patch_id,
        bytes,
        symbols_export: options.symbols_export(),
        entries,
    })
}

/// `jank_direct_calls`'s layout in wasm32: `depth`, `fn`, then the
/// `with_self` and `plain` arrays of `JANK_MAX_PARAMS + 1` entries.
const DEPTH_FIELD: u64 = 0;
const FN_FIELD: u64 = 4;
const WITH_SELF_FIELD: u64 = 8;
const PLAIN_FIELD: u64 = WITH_SELF_FIELD + 4 * (JANK_MAX_PARAMS as u64 + 1);

/// Where a direct call finds its inputs: the direct caller's parameters, or,
/// inlined into a patch fn, the var's globals and the fn's frame.
pub(super) struct DirectCallInputs {
    /// Pushes the address of the var's `jank_direct_calls` record.
    pub record: Op,
    /// Pushes the var.
    pub var: Op,
    /// The local holding the arguments' array, and the array's offset from it.
    pub args: (u32, u32),
    /// Scratch locals: the arity's table index, the depth's address, the depth.
    pub scratch: [u32; 3],
}

/// A direct call with `argc` arguments as one block that leaves the
/// callee's result (NULL when it threw): straight to the arity the var's
/// record names, counting the call in the record's depth, or through
/// `jank_call` when the record names none or the calls nest too deep
/// (jank_patch_abi.h has the rules). No argument leaves its array (the
/// caller's frame holds them for the whole call) and nothing is allocated
/// between reading the record and the call.
pub(super) fn direct_call_ops(inputs: &DirectCallInputs, argc: u32) -> Vec<Op> {
    use wasm_encoder::{BlockType, ValType};
    let [entry, depth_cell, depth] = inputs.scratch;
    let (args, base) = inputs.args;
    let mut ops = vec![
        Op::I(I::Block(BlockType::Result(ValType::I32))),
        inputs.record.clone(),
        Op::I(I::I32Load(codegen::mem_arg(DEPTH_FIELD))),
        Op::I(I::LocalTee(depth_cell)),
        Op::I(I::I32Load(codegen::mem_arg(0))),
        Op::I(I::LocalTee(depth)),
        Op::I(I::I32Const(JANK_MAX_CALL_DEPTH as i32)),
        Op::I(I::I32LtU),
        Op::I(I::If(BlockType::Empty)),
    ];
    for (field, with_self) in [(WITH_SELF_FIELD, true), (PLAIN_FIELD, false)] {
        ops.extend([
            inputs.record.clone(),
            Op::I(I::I32Load(codegen::mem_arg(field + 4 * u64::from(argc)))),
            Op::I(I::LocalTee(entry)),
            Op::I(I::If(BlockType::Empty)),
            Op::I(I::LocalGet(depth_cell)),
            Op::I(I::LocalGet(depth)),
            Op::I(I::I32Const(1)),
            Op::I(I::I32Add),
            Op::I(I::I32Store(codegen::mem_arg(0))),
        ]);
        if with_self {
            ops.push(inputs.record.clone());
            ops.push(Op::I(I::I32Load(codegen::mem_arg(FN_FIELD))));
        }
        for arg in 0..argc {
            ops.push(Op::I(I::LocalGet(args)));
            ops.push(Op::I(I::I32Load(codegen::mem_arg(
                u64::from(base) + 4 * u64::from(arg),
            ))));
        }
        // The callee's result stays on the stack under the depth's restore.
        ops.extend([
            Op::I(I::LocalGet(entry)),
            Op::CallIndirect(argc + u32::from(with_self)),
            Op::I(I::LocalGet(depth_cell)),
            Op::I(I::LocalGet(depth)),
            Op::I(I::I32Store(codegen::mem_arg(0))),
            Op::I(I::Br(2)),
            Op::I(I::End),
        ]);
    }
    ops.extend([
        Op::I(I::End),
        inputs.var.clone(),
        Op::I(I::I32Const(argc as i32)),
    ]);
    ops.push(Op::I(I::LocalGet(args)));
    if base > 0 {
        ops.push(Op::I(I::I32Const(base as i32)));
        ops.push(Op::I(I::I32Add));
    }
    ops.extend([Op::Helper(Helper::Call), Op::I(I::End)]);
    ops
}

/// The body of [`ModuleBuilder::direct_caller`].
fn direct_caller_body(argc: u32) -> FuncDef {
    let (record, var, args) = (0, 1, 2);
    let inputs = DirectCallInputs {
        record: Op::I(I::LocalGet(record)),
        var: Op::I(I::LocalGet(var)),
        args: (args, 0),
        scratch: [3, 4, 5],
    };
    let mut ops = direct_call_ops(&inputs, argc);
    ops.push(Op::I(I::End));
    FuncDef {
        params: 3,
        results: 1,
        locals: 3,
        ops,
    }
}

/// The bytes between the box of -JANK_SMALL_INT_LIMIT and the box of 0.
const SMALL_INT_BELOW_ZERO: i32 = (JANK_SMALL_INT_LIMIT * JANK_SMALL_INT_STRIDE) as i32;

/// How a small-integer fast path computes its answer from the addresses of
/// its operands, which are both shared small integers.
enum SmallIntAnswer {
    /// A box at `a + b + offset` (or `a + offset` for one operand) when that
    /// is a small integer too; `negate_b` subtracts `b` instead.
    Address { offset: i32, negate_b: bool },
    /// true or false by an address comparison.
    Boolean(I<'static>),
    /// 1 or 0 by an address comparison (`jank_equiv`'s int).
    Flag(I<'static>),
}

/// The body of [`ModuleBuilder::small_int_op`]: `$lo` is the address of the
/// box of -JANK_SMALL_INT_LIMIT and `$span` the bytes of the array (0 when
/// the runtime has none), so `x - $lo <u $span` tests "x is a shared small
/// integer"; for two operands, `(a - $lo) | (b - $lo) <u $span` tests both
/// ($span is a power of two).
fn small_int_body(helper: Helper, mut boolean: impl FnMut(bool) -> GlobalRef) -> Option<FuncDef> {
    use wasm_encoder::BlockType;
    let stride = JANK_SMALL_INT_STRIDE as i32;
    let answer = match helper {
        Helper::Add => SmallIntAnswer::Address {
            offset: -SMALL_INT_BELOW_ZERO,
            negate_b: false,
        },
        Helper::Subtract => SmallIntAnswer::Address {
            offset: SMALL_INT_BELOW_ZERO,
            negate_b: true,
        },
        Helper::Inc => SmallIntAnswer::Address {
            offset: stride,
            negate_b: false,
        },
        Helper::Dec => SmallIntAnswer::Address {
            offset: -stride,
            negate_b: false,
        },
        Helper::Less => SmallIntAnswer::Boolean(I::I32LtU),
        Helper::LessEqual => SmallIntAnswer::Boolean(I::I32LeU),
        Helper::Greater => SmallIntAnswer::Boolean(I::I32GtU),
        Helper::GreaterEqual => SmallIntAnswer::Boolean(I::I32GeU),
        Helper::NumberEqual => SmallIntAnswer::Boolean(I::I32Eq),
        Helper::Equiv => SmallIntAnswer::Flag(I::I32Eq),
        _ => return None,
    };
    let operands = helper.params().len() as u32;
    let (a, b, result) = (0, 1, operands);
    let lo = Op::Global(GlobalRef::SmallIntLow);
    let span = Op::Global(GlobalRef::SmallIntSpan);
    let mut ops = vec![Op::I(I::LocalGet(a)), lo.clone(), Op::I(I::I32Sub)];
    if operands == 2 {
        ops.extend([
            Op::I(I::LocalGet(b)),
            lo.clone(),
            Op::I(I::I32Sub),
            Op::I(I::I32Or),
        ]);
    }
    ops.extend([
        span.clone(),
        Op::I(I::I32LtU),
        Op::I(I::If(BlockType::Empty)),
    ]);
    match answer {
        SmallIntAnswer::Address { offset, negate_b } => {
            ops.push(Op::I(I::LocalGet(a)));
            if operands == 2 {
                ops.push(Op::I(I::LocalGet(b)));
                ops.push(Op::I(if negate_b { I::I32Sub } else { I::I32Add }));
                ops.push(lo.clone());
                ops.push(Op::I(if negate_b { I::I32Add } else { I::I32Sub }));
            }
            ops.extend([
                Op::I(I::I32Const(offset)),
                Op::I(I::I32Add),
                Op::I(I::LocalTee(result)),
                lo,
                Op::I(I::I32Sub),
                span,
                Op::I(I::I32LtU),
                Op::I(I::If(BlockType::Empty)),
                Op::I(I::LocalGet(result)),
                Op::I(I::Return),
                Op::I(I::End),
            ]);
        }
        SmallIntAnswer::Boolean(compare) => ops.extend([
            Op::Global(boolean(true)),
            Op::Global(boolean(false)),
            Op::I(I::LocalGet(a)),
            Op::I(I::LocalGet(b)),
            Op::I(compare),
            Op::I(I::Select),
            Op::I(I::Return),
        ]),
        SmallIntAnswer::Flag(compare) => ops.extend([
            Op::I(I::LocalGet(a)),
            Op::I(I::LocalGet(b)),
            Op::I(compare),
            Op::I(I::Return),
        ]),
    }
    ops.push(Op::I(I::End));
    for operand in 0..operands {
        ops.push(Op::I(I::LocalGet(operand)));
    }
    ops.extend([Op::Helper(helper), Op::I(I::End)]);
    Some(FuncDef {
        params: operands,
        results: 1,
        locals: 1,
        ops,
    })
}

/// The seed registry parses the signature as an arity (0–4) and wraps a bare fn pointer: nothing else.
fn seed_registry_accepts(
    entry: &PlannedEntry<'_>,
    pos: Pos,
    source: &SourceFile,
) -> Result<(), Diagnostic> {
    match entry.body {
        EntryBody::PlainFn(function) if function.arities[0].params.len() <= JANK_SEED_REGISTRY_MAX_ARITY => Ok(()),
        EntryBody::PlainFn(_) => Err(Diagnostic::new(
            source,
            pos,
            format!("the seed registry binds fns of at most {JANK_SEED_REGISTRY_MAX_ARITY} parameters (`--abi seed`)"),
        )),
        EntryBody::Thunk(_) => Err(Diagnostic::new(
            source,
            pos,
            format!(
                "the seed registry binds only single fixed-arity fns; `{}` needs the extension registry (signature \"{}\"), not available with `--abi seed`",
                entry.qualified_name, entry.signature
            ),
        )),
    }
}

fn top_level_pos(form: &TopLevel) -> Pos {
    match form {
        TopLevel::Def { pos, .. } | TopLevel::Declare { pos, .. } => *pos,
        TopLevel::Eval { expr, .. } => expr.pos,
    }
}

/// Everything a patch module is assembled from.
pub(crate) struct ModuleBuilder<'u> {
    source: &'u SourceFile,
    abi: Abi,
    local_names: &'u LocalNames,
    data: DataBuilder,
    funcs: Vec<FuncDef>,
    /// Table slot k holds defined function `table[k]`.
    table: Vec<u32>,
    pool: Pool,
    /// The jank fn (name, where it is written) each defined function
    /// implements, for the patch's frame table.
    frames: FxHashMap<u32, (String, Pos)>,
    /// The var (its pool index) of each direct-call record global.
    direct_calls: Vec<u32>,
    /// The defined function that calls a var with N arguments through its
    /// record, by N.
    direct_callers: FxHashMap<u32, u32>,
    /// The defined function that computes a helper's answer for small
    /// integers by address, by the helper.
    small_int_ops: FxHashMap<Helper, u32>,
}

impl<'u> ModuleBuilder<'u> {
    fn new(source: &'u SourceFile, local_names: &'u LocalNames, abi: Abi) -> Self {
        Self {
            source,
            abi,
            local_names,
            data: DataBuilder::default(),
            funcs: Vec::new(),
            table: Vec::new(),
            pool: Pool::default(),
            frames: FxHashMap::default(),
            direct_calls: Vec::new(),
            direct_callers: FxHashMap::default(),
            small_int_ops: FxHashMap::default(),
        }
    }

    /// Whether the patch uses the shared small integers (its start function
    /// then asks for them).
    fn uses_small_ints(&self) -> bool {
        !self.small_int_ops.is_empty()
    }

    /// The defined function of `helper`'s parameters that answers as the
    /// helper does, by address when its operands are shared small integers
    /// (jank_patch_abi.h, "Small integers") and through the helper otherwise;
    /// None for a helper without such a path.
    fn small_int_op(&mut self, helper: Helper) -> Option<u32> {
        if let Some(index) = self.small_int_ops.get(&helper) {
            return Some(*index);
        }
        let func = small_int_body(helper, |value| {
            GlobalRef::Constant(self.pool.constant(&Const::Bool(value)))
        })?;
        let index = self.add_func(func);
        self.small_int_ops.insert(helper, index);
        Some(index)
    }

    /// Whether a call of defined function `function` may run a collection:
    /// every one but the small-integer paths, which fall back to helpers.
    fn call_may_collect(&self, function: u32) -> bool {
        !self.small_int_ops.values().any(|index| *index == function)
    }

    /// The direct-call record global of the var with pool index `var`.
    fn direct_calls_record(&mut self, var: u32) -> u32 {
        let at = self.direct_calls.iter().position(|v| *v == var);
        at.unwrap_or_else(|| {
            self.direct_calls.push(var);
            self.direct_calls.len() - 1
        }) as u32
    }

    /// The defined function `(record, var, args) -> value` that makes a
    /// direct call with `argc` arguments (at `args`): [`direct_call_ops`].
    fn direct_caller(&mut self, argc: u32) -> u32 {
        if let Some(index) = self.direct_callers.get(&argc) {
            return *index;
        }
        let func = direct_caller_body(argc);
        let index = self.add_func(func);
        self.direct_callers.insert(argc, index);
        index
    }

    fn error(&self, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.source, pos, message)
    }

    /// A compiler bug found while lowering the form at `pos`.
    fn internal(&self, pos: Pos, message: impl Into<String>) -> Failure {
        InternalError::new(self.source, pos, message).into()
    }

    /// Adds a defined function and returns its index among defined functions.
    fn add_func(&mut self, func: FuncDef) -> u32 {
        self.funcs.push(func);
        (self.funcs.len() - 1) as u32
    }

    /// Reserves a table slot for defined function `func`.
    fn table_slot(&mut self, func: u32) -> u32 {
        self.table.push(func);
        (self.table.len() - 1) as u32
    }

    /// A `() -> value` function computing `expr`, in the table.
    fn thunk(&mut self, expr: &crate::analyze::ast::Expr, name: &str) -> Result<u32, Failure> {
        let mut codegen = FnCodegen::new(self, 0);
        codegen.body(&[], expr)?;
        let func = codegen.finish();
        let index = self.add_func(func);
        self.frames.insert(index, (name.to_string(), expr.pos));
        Ok(self.table_slot(index))
    }

    /// Records that defined function `index` runs jank fn `function`.
    fn fn_frame(&mut self, index: u32, function: &FnExpr) {
        self.frames
            .insert(index, (function.name.clone(), function.pos));
    }

    /// A fn registered by a numeric signature: `void *f(void *p0..)`, no self, in the table.
    fn plain_fn(&mut self, function: &FnExpr) -> Result<u32, Failure> {
        let func = FnCodegen::arity(
            self,
            function,
            &function.arities[0],
            CallingConvention::Plain,
        )?;
        let index = self.add_func(func);
        self.fn_frame(index, function);
        Ok(self.table_slot(index))
    }

    /// A seed-ABI closure body: `void *f(captures.., params..)`, wrapped and partially applied by the caller.
    fn captures_first_fn(&mut self, function: &FnExpr) -> Result<u32, Failure> {
        let func = FnCodegen::arity(
            self,
            function,
            &function.arities[0],
            CallingConvention::CapturesFirst,
        )?;
        let index = self.add_func(func);
        self.fn_frame(index, function);
        Ok(self.table_slot(index))
    }

    /// Compiles every arity of `function` and lays out its `jank_fn_desc`; returns the descriptor's offset.
    fn fn_descriptor(&mut self, function: &FnExpr) -> Result<u32, Failure> {
        let mut arity_words = Vec::new();
        for arity in &function.arities {
            let func = FnCodegen::arity(self, function, arity, CallingConvention::WithSelf)?;
            let index = self.add_func(func);
            self.fn_frame(index, function);
            let slot = self.table_slot(index);
            arity_words.extend([
                Word::Value(arity.params.len() as u32),
                Word::Value(u32::from(arity.rest.is_some())),
                Word::Pointer(RelocTarget::Table(slot)),
            ]);
        }
        let name = self.data.string(&function.name);
        let mut words = vec![
            Word::Pointer(RelocTarget::Data(name)),
            Word::Value(function.arities.len() as u32),
        ];
        words.extend(arity_words);
        Ok(self.data.words(&words))
    }

    /// `jank_patch_symbols_<id>(int *count)`: stores the count, returns the array.
    fn symbols_getter(&mut self, symbols_offset: u32, count: u32) -> u32 {
        let ops = vec![
            Op::I(I::LocalGet(0)),
            Op::I(I::I32Const(count as i32)),
            Op::I(I::I32Store(codegen::mem_arg(0))),
            Op::Global(GlobalRef::MemoryBase),
            Op::I(I::I32Const(symbols_offset as i32)),
            Op::I(I::I32Add),
            Op::I(I::End),
        ];
        self.add_func(FuncDef {
            params: 1,
            results: 1,
            locals: 0,
            ops,
        })
    }
}
