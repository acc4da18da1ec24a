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
use crate::analyze::ast::{FnExpr, LocalNames, TopLevel, Unit};
use crate::diag::{Diagnostic, Failure, InternalError};
use crate::source::{Pos, SourceFile};
use codegen::{CallingConvention, FnCodegen, FuncDef, GlobalRef, Op};
use data::{DataBuilder, RelocTarget, Word};
use jank_runtime_abi::JANK_SEED_REGISTRY_MAX_ARITY;
use std::collections::HashMap;
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
    frames: HashMap<u32, (String, Pos)>,
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
            frames: HashMap::new(),
        }
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
