//! Function bodies: analyzed expressions to wasm instructions. Every value is
//! an i32 object pointer; a helper or call that returns NULL has thrown, and
//! control branches to the innermost handler (a `try`, or the function's
//! exit, which returns NULL to its caller). Calls and collection literals
//! pass their values in an array in this function's shadow-stack frame.
//! What depends on the helper set (`--abi`) is a `HelperSet`, in
//! `codegen/extended.rs` and `codegen/seed.rs`; the rest is shared here.

use super::data::RelocTarget;
use super::ModuleBuilder;
use crate::analyze::ast::*;
use crate::diag::Failure;
use crate::lower::plan::{
    catch_test, letfn_back_patches, no_matching_clause_fns, Constant, NO_MATCHING_CLAUSE,
    NO_MATCHING_CLAUSE_CLASS,
};
use crate::lower::Abi;
use jank_runtime_abi::{Helper, JANK_FRAME_ROOTS_MAGIC};
use rustc_hash::{FxHashMap, FxHashSet};
use wasm_encoder::{BlockType, Instruction as I, MemArg, ValType};

mod extended;
mod last_use;
mod root_slots;
mod seed;

/// How the constructs that need particular helpers are lowered with one
/// helper set (`Abi`); everything else is shared by both sets.
trait HelperSet {
    /// Rejects, naming the helper it would need, what this set cannot express.
    fn admit(&self, codegen: &FnCodegen<'_, '_>, expr: &Expr) -> Result<()>;
    /// The root value of a var.
    fn var_value(&self, codegen: &mut FnCodegen<'_, '_>, var: &VarRef);
    /// A map literal with evaluated entries.
    fn map(&self, codegen: &mut FnCodegen<'_, '_>, entries: &[(Expr, Expr)]) -> Result<()>;
    /// A fn value.
    fn make_fn(&self, codegen: &mut FnCodegen<'_, '_>, function: &FnExpr) -> Result<()>;
    /// A call of any callee.
    fn call(&self, codegen: &mut FnCodegen<'_, '_>, callee: &Expr, args: &[Expr]) -> Result<()>;
    /// One of clojure.core's inlined fns.
    fn intrinsic(
        &self,
        codegen: &mut FnCodegen<'_, '_>,
        op: Intrinsic,
        args: &[Expr],
    ) -> Result<()>;
    /// Leaves 1 when intrinsic `op` of `args` would answer a truthy value,
    /// else 0, and says true; or emits nothing and says false, when this
    /// set has no cheaper way than boxing the answer and testing it.
    fn intrinsic_condition(
        &self,
        _codegen: &mut FnCodegen<'_, '_>,
        _op: Intrinsic,
        _args: &[Expr],
    ) -> Result<bool> {
        Ok(false)
    }
    /// Leaves 1 when the value on the stack is neither nil nor false, else 0.
    fn truthy(&self, codegen: &mut FnCodegen<'_, '_>);
    /// Leaves 1 when local `value` equals `constant` (a `case` test), else 0.
    fn equals_constant(&self, codegen: &mut FnCodegen<'_, '_>, value: u32, constant: &Const);
    /// Whether patches keep their live references in their frames and poll
    /// at loop back-edges (jank_patch_abi.h, "Collection inside calls").
    fn roots_in_frame(&self) -> bool;
    /// Code that makes a constant value (run by the start function).
    fn create_value(&self, codegen: &mut FnCodegen<'_, '_>, value: &Const);
}

fn helper_set(abi: Abi) -> &'static dyn HelperSet {
    match abi {
        Abi::Extended => &extended::Extended,
        Abi::Seed => &seed::Seed,
    }
}

/// A global, resolved to an index when the module is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalRef {
    MemoryBase,
    TableBase,
    StackPointer,
    Constant(u32),
    Var(u32),
    /// The `jank_direct_calls` record of a var the patch calls, k-th of them.
    DirectCalls(u32),
    /// The address of the shared box of -JANK_SMALL_INT_LIMIT.
    SmallIntLow,
    /// The bytes of the shared small integers, 0 when there are none.
    SmallIntSpan,
}

/// One instruction, with calls and globals still symbolic.
#[derive(Debug, Clone)]
pub enum Op {
    I(I<'static>),
    /// Call the imported helper.
    Helper(Helper),
    /// `jank_call` through a quiet var (`jank_runtime_abi::quiet_runtime_vars`):
    /// not a safe point, so no local needs a root slot across it.
    QuietCall,
    Global(GlobalRef),
    GlobalSet(GlobalRef),
    /// Call defined function k (an index among the module's defined
    /// functions, always one defined before the caller).
    Call(u32),
    /// `call_indirect` through the table of a function of this many i32
    /// parameters and an i32 result.
    CallIndirect(u32),
    /// No code: the value of this local is still in use here, waiting on the
    /// stack or in an argument array for the op that consumes it. Read by
    /// the root slot analysis, gone once a function is finished.
    Live(u32),
}

impl Op {
    /// The helper this op calls, if it calls one.
    pub fn helper(&self) -> Option<Helper> {
        match self {
            Op::Helper(helper) => Some(*helper),
            Op::QuietCall => Some(Helper::Call),
            _ => None,
        }
    }
}

/// A defined function: `params` i32 parameters, `results` (0 or 1) i32 result, `locals` extra i32 locals.
#[derive(Debug, Clone)]
pub struct FuncDef {
    pub params: u32,
    pub results: u32,
    pub locals: u32,
    pub ops: Vec<Op>,
}

/// The block every function opens around its body for unwinding: a branch
/// here leaves the function returning NULL (label 0 is the result block).
const FUNCTION_THROW_LABEL: usize = 1;

pub fn mem_arg(offset: u64) -> MemArg {
    MemArg {
        offset,
        align: 2,
        target: wasm_encoder::MemArgTarget::Memory(0),
        ordering: None,
    }
}

/// How a compiled arity receives its fn object, captures and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallingConvention {
    /// `(self, p0.., rest?)`: captures come from `jank_closure_env(self)`.
    WithSelf,
    /// `(p0..)`: a seed-style fn with nothing captured.
    Plain,
    /// `(c0.., p0..)`: a seed-ABI closure, its captures bound first by `partial`.
    CapturesFirst,
}

/// An evaluated value that needs no code of its own to be read again: a
/// local, or a global (a constant or a var handle, set once at load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    Local(u32),
    Global(GlobalRef),
}

/// Where `recur` jumps and which locals it assigns.
struct RecurFrame {
    target: RecurTarget,
    label: usize,
    locals: Vec<u32>,
}

/// Generates one function.
///
/// With a helper set whose patches keep their roots in their frames, every
/// object local is mirrored into a slot of the frame's root area when it is
/// assigned, and no object waits on the wasm operand stack across anything
/// that may collect ([`may_collect`]): the runtime's collector scans the
/// shadow stack, never wasm locals.
pub struct FnCodegen<'m, 'u> {
    module: &'m mut ModuleBuilder<'u>,
    helpers: &'static dyn HelperSet,
    params: u32,
    next_local: u32,
    locals: FxHashMap<LocalId, u32>,
    ops: Vec<Op>,
    /// Open blocks/loops; a label's absolute index is its position here.
    labels: usize,
    throw_label: usize,
    recur: Vec<RecurFrame>,
    frame_size: u32,
    /// Bytes of the frame held by argument arrays still being filled; a
    /// nested array starts above them.
    frame_top: u32,
    frame_local: Option<u32>,
    scratch: Option<u32>,
    roots_in_frame: bool,
    /// A local that only marks root slot stores: each is `local.get roots;
    /// value; i32.store offset=4*slot` until `root_area` places the area in
    /// the frame and makes the stores relative to the frame itself.
    roots_local: Option<u32>,
    /// Each mirrored local's slot in the root area.
    root_slots: FxHashMap<u32, u32>,
    /// Mirrored locals whose slot stays whatever their reads: the fn object
    /// whose environment holds the captured values the body reads.
    pinned_roots: Vec<u32>,
    /// The reads of a local after which the body never reads it again
    /// (`last_use`): a call argument that is one clears the local's slot.
    last_reads: FxHashSet<*const Expr>,
    /// Whether calls and arithmetic take the patch's fast paths (direct
    /// calls, small integers): in fn bodies and loops, not in the rest of
    /// the registry's thunks, which runs once.
    fast_paths: bool,
    /// `ns/name` of the fn this arity belongs to: a direct call of the var
    /// of that name (a recursion) is inlined, so each level of it takes one
    /// wasm frame, not two.
    fn_name: Option<String>,
    /// The scratch locals of inlined direct calls (`DirectCallInputs`).
    direct_call_scratch: Option<[u32; 3]>,
}

type Result<T> = std::result::Result<T, Failure>;

impl<'m, 'u> FnCodegen<'m, 'u> {
    /// Starts a function of `params` i32 parameters whose body leaves one value.
    pub fn new(module: &'m mut ModuleBuilder<'u>, params: u32) -> Self {
        let helpers = helper_set(module.abi);
        let mut codegen = Self {
            helpers,
            module,
            params,
            next_local: params,
            locals: FxHashMap::default(),
            ops: Vec::new(),
            labels: 0,
            throw_label: FUNCTION_THROW_LABEL,
            recur: Vec::new(),
            frame_size: 0,
            frame_top: 0,
            frame_local: None,
            scratch: None,
            roots_in_frame: helpers.roots_in_frame(),
            roots_local: None,
            root_slots: FxHashMap::default(),
            pinned_roots: Vec::new(),
            last_reads: FxHashSet::default(),
            fast_paths: false,
            fn_name: None,
            direct_call_scratch: None,
        };
        codegen.open(BlockType::Result(ValType::I32), false);
        codegen.open(BlockType::Empty, false);
        codegen
    }

    /// One arity of `function` in the given convention, its body a recur target.
    pub fn arity(
        module: &'m mut ModuleBuilder<'u>,
        function: &FnExpr,
        arity: &Arity,
        convention: CallingConvention,
    ) -> Result<FuncDef> {
        let leading: Vec<Option<LocalId>> = match convention {
            CallingConvention::WithSelf => vec![function.self_local],
            CallingConvention::Plain => Vec::new(),
            CallingConvention::CapturesFirst => {
                function.captures.iter().copied().map(Some).collect()
            }
        };
        let param_count =
            leading.len() as u32 + arity.params.len() as u32 + u32::from(arity.rest.is_some());
        let mut codegen = FnCodegen::new(module, param_count);
        codegen.fast_paths = true;
        codegen.fn_name = Some(function.name.clone());
        for (index, local) in leading.iter().enumerate() {
            if let Some(local) = local {
                codegen.locals.insert(*local, index as u32);
            }
        }
        let mut recur_locals = Vec::new();
        for (index, param) in arity.params.iter().chain(arity.rest.iter()).enumerate() {
            let wasm_local = leading.len() as u32 + index as u32;
            codegen.locals.insert(*param, wasm_local);
            recur_locals.push(wasm_local);
        }
        // Captured values need no slots: `self` keeps its environment alive.
        for param in 0..param_count {
            codegen.mirror(param);
        }
        if convention == CallingConvention::WithSelf && !function.captures.is_empty() {
            codegen.pinned_roots.push(0);
            let env = codegen.new_local();
            codegen.push(I::LocalGet(0));
            codegen.helper(Helper::ClosureEnv);
            codegen.push(I::LocalSet(env));
            for (slot, captured) in function.captures.iter().enumerate() {
                let local = codegen.new_local();
                codegen.push(I::LocalGet(env));
                codegen.push(I::I32Load(mem_arg(4 * slot as u64)));
                codegen.push(I::LocalSet(local));
                codegen.locals.insert(*captured, local);
            }
        }
        let loop_start = codegen.ops.len();
        codegen.open(BlockType::Result(ValType::I32), true);
        let loop_label = codegen.labels - 1;
        codegen.recur.push(RecurFrame {
            target: RecurTarget::FnArity,
            label: loop_label,
            locals: recur_locals,
        });
        let params: Vec<LocalId> = leading
            .iter()
            .flatten()
            .chain(&arity.params)
            .chain(&arity.rest)
            .copied()
            .collect();
        codegen.body(&params, &arity.body)?;
        codegen.return_checked_tail();
        if codegen.branches_to(loop_label) {
            codegen.close();
        } else {
            codegen.unwrap_innermost(loop_start);
        }
        Ok(codegen.finish())
    }

    /// Lowers a fn body whose parameters are `params`.
    pub fn body(&mut self, params: &[LocalId], body: &Expr) -> Result<()> {
        if self.roots_in_frame {
            self.last_reads = last_use::last_reads(params, body);
        }
        self.expr(body)
    }

    /// Clears the root slots of the call arguments in `args` that are their
    /// local's last read: the call owns those values now (`jank_call` takes
    /// over its argument array), and nothing in this fn reads them again.
    fn release_last_reads(&mut self, args: &[Expr]) {
        let Some(roots) = self.roots_local else {
            return;
        };
        for arg in args {
            let ExprKind::Local(id) = &arg.kind else {
                continue;
            };
            if !self.last_reads.contains(&(arg as *const Expr)) {
                continue;
            }
            let Some(slot) = self.locals.get(id).and_then(|l| self.root_slots.get(l)) else {
                continue;
            };
            let offset = 4 * u64::from(*slot);
            self.push(I::LocalGet(roots));
            self.push(I::I32Const(0));
            self.push(I::I32Store(mem_arg(offset)));
        }
    }

    /// The start function: relocations, var handles, constants.
    pub fn start(module: &'m mut ModuleBuilder<'u>, relocs: &[(u32, RelocTarget)]) -> FuncDef {
        let mut codegen = FnCodegen::new(module, 0);
        let slots_of = |table: bool| -> Vec<(u32, u32)> {
            relocs
                .iter()
                .filter(|(_, target)| matches!(target, RelocTarget::Table(_)) == table)
                .map(|(slot, target)| (*slot, target.unrelocated()))
                .collect()
        };
        codegen.relocate(&slots_of(false), GlobalRef::MemoryBase);
        codegen.relocate(&slots_of(true), GlobalRef::TableBase);
        for index in 0..codegen.module.pool.vars.len() {
            let var = codegen.module.pool.vars[index].clone();
            codegen.data_string(&var.ns);
            codegen.data_string(&var.name);
            codegen.helper(Helper::VarInternC);
            codegen
                .ops
                .push(Op::GlobalSet(GlobalRef::Var(index as u32)));
        }
        if codegen.module.uses_small_ints() {
            let zero = codegen.new_local();
            codegen.helper(Helper::SmallInts);
            codegen.push(I::LocalTee(zero));
            codegen.push(I::I32Const(super::SMALL_INT_BELOW_ZERO));
            codegen.push(I::I32Sub);
            codegen.ops.push(Op::GlobalSet(GlobalRef::SmallIntLow));
            codegen.push(I::I32Const(2 * super::SMALL_INT_BELOW_ZERO));
            codegen.push(I::I32Const(0));
            codegen.push(I::LocalGet(zero));
            codegen.push(I::Select);
            codegen.ops.push(Op::GlobalSet(GlobalRef::SmallIntSpan));
        }
        for (record, var) in codegen.module.direct_calls.clone().into_iter().enumerate() {
            codegen.global(GlobalRef::Var(var));
            codegen.helper(Helper::VarDirectCalls);
            codegen
                .ops
                .push(Op::GlobalSet(GlobalRef::DirectCalls(record as u32)));
        }
        for index in 0..codegen.module.pool.constants.len() {
            let constant = codegen.module.pool.constants[index].clone();
            codegen.create_constant(&constant);
            codegen
                .ops
                .push(Op::GlobalSet(GlobalRef::Constant(index as u32)));
        }
        codegen.push(I::I32Const(0));
        let mut func = codegen.finish();
        func.results = 0;
        let end = func.ops.pop();
        func.ops.push(Op::I(I::Drop));
        func.ops.extend(end);
        func
    }

    /// Closes the function: frame prologue/epilogue around the body.
    pub fn finish(mut self) -> FuncDef {
        self.return_checked_tail();
        if self.branches_to(FUNCTION_THROW_LABEL) {
            // Leave the throw block with the body's value, or NULL when it threw.
            self.br(0);
            self.close();
            self.push(I::I32Const(0));
            self.close();
        } else {
            // Nothing unwinds to the exit: the result and throw blocks around the body go.
            self.ops.drain(..2);
        }
        let root_area = self.root_area();
        self.ops.retain(|op| !matches!(op, Op::Live(_)));
        if let Some(area) = root_area {
            // The header the runtime finds root areas by, the magic word then
            // the slot count, in one store; a wasm function has fewer locals
            // (50,000 in wasmtime and V8) than the most slots a header may
            // declare.
            let frame = self.frame();
            let slots = self.root_slots.len() as u32;
            self.frame_size = area + 8 + 4 * slots;
            let header = u64::from(JANK_FRAME_ROOTS_MAGIC as u32) | u64::from(slots) << 32;
            self.ops.splice(
                0..0,
                [
                    Op::I(I::LocalGet(frame)),
                    Op::I(I::I64Const(header as i64)),
                    Op::I(I::I64Store(mem_arg(u64::from(area)))),
                ],
            );
        }
        let mut ops = Vec::new();
        if let (Some(frame), true) = (self.frame_local, self.frame_size > 0) {
            let size = self.frame_size.next_multiple_of(16) as i32;
            ops.push(Op::Global(GlobalRef::StackPointer));
            ops.push(Op::I(I::I32Const(size)));
            ops.push(Op::I(I::I32Sub));
            ops.push(Op::I(I::LocalTee(frame)));
            ops.push(Op::GlobalSet(GlobalRef::StackPointer));
            ops.append(&mut self.ops);
            // The result stays on the operand stack under the frame's release.
            ops.push(Op::I(I::LocalGet(frame)));
            ops.push(Op::I(I::I32Const(size)));
            ops.push(Op::I(I::I32Add));
            ops.push(Op::GlobalSet(GlobalRef::StackPointer));
        } else {
            ops = self.ops;
        }
        ops.push(Op::I(I::End));
        let locals = compact_locals(self.params, &mut ops);
        FuncDef {
            params: self.params,
            results: 1,
            locals,
            ops,
        }
    }

    fn push(&mut self, instruction: I<'static>) {
        self.ops.push(Op::I(instruction));
    }

    /// Stores object local `local` in its slot of the frame's root area.
    fn mirror(&mut self, local: u32) {
        if !self.roots_in_frame {
            return;
        }
        let roots = match self.roots_local {
            Some(roots) => roots,
            None => {
                let roots = self.new_local();
                self.roots_local = Some(roots);
                roots
            }
        };
        let next = self.root_slots.len() as u32;
        let slot = *self.root_slots.entry(local).or_insert(next);
        self.push(I::LocalGet(roots));
        self.push(I::LocalGet(local));
        self.push(I::I32Store(mem_arg(4 * u64::from(slot))));
    }

    /// The root area's offset in the frame, above the argument arrays; None
    /// when no local needs a slot (`root_slots`). The slot stores of locals
    /// that need none go (each is `local.get roots; local.get x | i32.const
    /// 0; i32.store`); those that stay are numbered again from 0 and store
    /// through the frame address.
    fn root_area(&mut self) -> Option<u32> {
        let roots = self.roots_local?;
        let module = &*self.module;
        let needed = root_slots::needed(
            &self.ops,
            roots,
            &self.root_slots,
            self.params,
            &self.pinned_roots,
            |op| match op {
                Op::Helper(helper) => matches!(helper, Helper::Call | Helper::GcPoll),
                Op::QuietCall => false,
                Op::Call(function) => module.call_may_collect(*function),
                Op::CallIndirect(_) => true,
                _ => false,
            },
        );
        let mut kept_slots: Vec<(u32, u32)> = self
            .root_slots
            .iter()
            .filter(|(local, _)| needed.contains(local))
            .map(|(local, slot)| (*slot, *local))
            .collect();
        kept_slots.sort_unstable();
        let renumbered: FxHashMap<u32, u32> = kept_slots
            .iter()
            .enumerate()
            .map(|(index, (slot, _))| (*slot, index as u32))
            .collect();
        let area = self.frame_size.next_multiple_of(4);
        let frame = (!kept_slots.is_empty()).then(|| self.frame());
        let ops = std::mem::take(&mut self.ops);
        let mut kept = Vec::with_capacity(ops.len());
        let mut at = 0;
        while at < ops.len() {
            match &ops[at..] {
                [Op::I(I::LocalGet(local)), value, Op::I(I::I32Store(store)), ..]
                    if *local == roots =>
                {
                    let slot = renumbered.get(&((store.offset / 4) as u32));
                    if let (Some(slot), Some(frame)) = (slot, frame) {
                        let offset = u64::from(area + 8 + 4 * slot);
                        kept.push(Op::I(I::LocalGet(frame)));
                        kept.push(value.clone());
                        kept.push(Op::I(I::I32Store(mem_arg(offset))));
                    }
                    at += 3;
                }
                _ => {
                    kept.push(ops[at].clone());
                    at += 1;
                }
            }
        }
        self.ops = kept;
        self.root_slots = kept_slots
            .iter()
            .enumerate()
            .map(|(index, (_, local))| (*local, index as u32))
            .collect();
        frame.map(|_| area)
    }

    /// When the value on the stack flows straight out of the function, a
    /// NULL check on it is redundant: NULL is what the function returns when
    /// something threw.
    fn return_checked_tail(&mut self) {
        let Some(at) = self.checked_result_tail() else {
            return;
        };
        if let Op::I(I::BrIf(depth)) = self.ops[at + 2] {
            if self.labels.checked_sub(1 + depth as usize) == Some(FUNCTION_THROW_LABEL) {
                self.ops.truncate(at);
            }
        }
    }

    /// Whether any branch emitted so far targets the label with absolute index `label`.
    fn branches_to(&self, label: usize) -> bool {
        let mut open = 0usize;
        for op in &self.ops {
            match op {
                Op::I(I::Block(_) | I::Loop(_) | I::If(_)) => open += 1,
                Op::I(I::End) => open = open.saturating_sub(1),
                Op::I(I::Br(depth) | I::BrIf(depth))
                    if open.checked_sub(1 + *depth as usize) == Some(label) =>
                {
                    return true;
                }
                Op::I(I::BrTable(..)) => return true,
                _ => {}
            }
        }
        false
    }

    /// Removes the innermost open block or loop, opened at `open_index`, which
    /// no branch targets; branches that crossed it to reach an outer label
    /// become one level shallower.
    fn unwrap_innermost(&mut self, open_index: usize) {
        let mut nested = 0u32;
        for op in &mut self.ops[open_index + 1..] {
            match op {
                Op::I(I::Block(_) | I::Loop(_) | I::If(_)) => nested += 1,
                Op::I(I::End) => nested -= 1,
                Op::I(I::Br(depth) | I::BrIf(depth)) if *depth > nested => *depth -= 1,
                _ => {}
            }
        }
        self.ops.remove(open_index);
        self.labels -= 1;
    }

    fn new_local(&mut self) -> u32 {
        self.next_local += 1;
        self.next_local - 1
    }

    fn scratch(&mut self) -> u32 {
        match self.scratch {
            Some(local) => local,
            None => {
                let local = self.new_local();
                self.scratch = Some(local);
                local
            }
        }
    }

    fn open(&mut self, block_type: BlockType, is_loop: bool) {
        self.push(if is_loop {
            I::Loop(block_type)
        } else {
            I::Block(block_type)
        });
        self.labels += 1;
    }

    fn close(&mut self) {
        self.push(I::End);
        self.labels -= 1;
    }

    /// Branches to the label with absolute index `label`.
    fn br(&mut self, label: usize) {
        let depth = (self.labels - 1 - label) as u32;
        self.push(I::Br(depth));
    }

    fn br_if(&mut self, label: usize) {
        let depth = (self.labels - 1 - label) as u32;
        self.push(I::BrIf(depth));
    }

    /// Calls a helper; when the header says it may throw, unwinds to the
    /// current handler if it returned NULL.
    fn helper(&mut self, helper: Helper) {
        self.ops.push(Op::Helper(helper));
        if helper.may_throw() {
            self.check_thrown();
        }
    }

    /// Calls `helper`, or the patch's function that answers as it does
    /// without a call into the runtime when the operands are shared small
    /// integers, when it has one.
    fn small_int_or_helper(&mut self, helper: Helper) {
        if !self.fast_paths {
            return self.helper(helper);
        }
        match self.module.small_int_op(helper) {
            Some(function) => {
                self.ops.push(Op::Call(function));
                if helper.may_throw() {
                    self.check_thrown();
                }
            }
            None => self.helper(helper),
        }
    }

    fn check_thrown(&mut self) {
        let scratch = self.scratch();
        self.push(I::LocalTee(scratch));
        self.push(I::I32Eqz);
        self.br_if(self.throw_label);
        self.push(I::LocalGet(scratch));
    }

    fn global(&mut self, global: GlobalRef) {
        self.ops.push(Op::Global(global));
    }

    fn constant(&mut self, constant: &Const) {
        let index = self.module.pool.constant(constant);
        self.global(GlobalRef::Constant(index));
    }

    /// Pushes `__memory_base + offset` of `text` stored as a C string.
    fn data_string(&mut self, text: &str) {
        let offset = self.module.data.string(text);
        self.global(GlobalRef::MemoryBase);
        self.push(I::I32Const(offset as i32));
        self.push(I::I32Add);
    }

    fn frame(&mut self) -> u32 {
        match self.frame_local {
            Some(local) => local,
            None => {
                let local = self.new_local();
                self.frame_local = Some(local);
                local
            }
        }
    }

    fn push_operand(&mut self, operand: Operand) {
        match operand {
            Operand::Local(local) => self.push(I::LocalGet(local)),
            Operand::Global(global) => self.global(global),
        }
    }

    /// Reserves `count` slots of the frame above the arrays being filled; returns their offset.
    fn reserve_slots(&mut self, count: usize) -> u32 {
        let base = self.frame_top;
        self.frame_top += 4 * count as u32;
        self.frame_size = self.frame_size.max(self.frame_top);
        base
    }

    /// Pushes the address of the array at `base` in the frame.
    fn push_slots_address(&mut self, frame: u32, base: u32) {
        self.push(I::LocalGet(frame));
        if base > 0 {
            self.push(I::I32Const(base as i32));
            self.push(I::I32Add);
        }
    }

    /// Stores already evaluated values in the frame and pushes the array's address.
    fn array(&mut self, values: &[Operand]) {
        if values.is_empty() {
            self.push(I::I32Const(0));
            return;
        }
        let frame = self.frame();
        let base = self.reserve_slots(values.len());
        for (index, value) in values.iter().enumerate() {
            self.push(I::LocalGet(frame));
            self.push_operand(*value);
            self.push(I::I32Store(mem_arg(u64::from(base) + 4 * index as u64)));
        }
        self.frame_top = base;
        self.push_slots_address(frame, base);
    }

    /// Evaluates `exprs` straight into frame slots and pushes the array's
    /// address. A throw while filling leaves through a branch, which drops the
    /// values pending on the stack. Argument arrays are not roots: a value
    /// that a later expression's collection must not free goes through a
    /// mirrored local first.
    fn array_of(&mut self, exprs: &[Expr]) -> Result<()> {
        if exprs.is_empty() {
            self.push(I::I32Const(0));
            return Ok(());
        }
        let (frame, base) = self.fill_slots(exprs)?;
        self.push_slots_address(frame, base);
        Ok(())
    }

    /// Evaluates `exprs` (at least one) straight into frame slots, as
    /// [`FnCodegen::array_of`] does; the frame local and the array's offset.
    fn fill_slots(&mut self, exprs: &[Expr]) -> Result<(u32, u32)> {
        let last_collecting = exprs.iter().rposition(may_collect);
        let waiting: Vec<Option<Operand>> = exprs
            .iter()
            .enumerate()
            .map(|(index, expr)| match last_collecting {
                Some(last) if self.roots_in_frame && index < last => self.operand(expr).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<_>>()?;
        let frame = self.frame();
        let base = self.reserve_slots(exprs.len());
        for (index, expr) in exprs.iter().enumerate() {
            self.push(I::LocalGet(frame));
            match waiting[index] {
                Some(operand) => self.push_operand(operand),
                None => self.expr(expr)?,
            }
            self.push(I::I32Store(mem_arg(u64::from(base) + 4 * index as u64)));
        }
        self.frame_top = base;
        self.still_live(waiting.into_iter().flatten());
        Ok((frame, base))
    }

    /// Whether a call of `var` calls the fn being lowered (its name is the var's).
    fn calls_itself(&self, var: &VarRef) -> bool {
        self.fn_name.as_deref().is_some_and(|name| {
            name.strip_prefix(var.ns.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                == Some(var.name.as_str())
        })
    }

    fn direct_call_scratch(&mut self) -> [u32; 3] {
        match self.direct_call_scratch {
            Some(scratch) => scratch,
            None => {
                let scratch = [self.new_local(), self.new_local(), self.new_local()];
                self.direct_call_scratch = Some(scratch);
                scratch
            }
        }
    }

    /// Stores the value on the stack in `local`. A helper result just
    /// checked for NULL is teed into `local` instead of through the scratch local.
    fn set_local(&mut self, local: u32) {
        if let Some(at) = self.checked_result_tail() {
            self.ops.pop();
            self.ops[at] = Op::I(I::LocalTee(local));
        } else {
            self.push(I::LocalSet(local));
        }
        self.mirror(local);
    }

    /// Evaluates each of `exprs` onto the stack, in order. A value that
    /// would wait there while a later expression may collect goes through a
    /// mirrored local instead.
    fn stacked(&mut self, exprs: &[&Expr]) -> Result<()> {
        let mut waiting = Vec::new();
        for (index, expr) in exprs.iter().copied().enumerate() {
            if self.roots_in_frame && exprs[index + 1..].iter().copied().any(may_collect) {
                let operand = self.operand(expr)?;
                self.push_operand(operand);
                waiting.push(operand);
            } else {
                self.expr(expr)?;
            }
        }
        self.still_live(waiting);
        Ok(())
    }

    /// Discards the value on the stack: a checked helper result keeps only
    /// its NULL check, a plain read is not emitted at all.
    fn drop_value(&mut self) {
        if let Some(at) = self.checked_result_tail() {
            self.ops.pop();
            self.ops.remove(at);
            return;
        }
        match self.ops.last() {
            Some(Op::I(I::LocalGet(_)) | Op::Global(_)) => {
                self.ops.pop();
            }
            _ => self.push(I::Drop),
        }
    }

    /// When the code ends with `check_thrown`'s `local.tee s; i32.eqz; br_if; local.get s`,
    /// the index of that `local.tee`.
    fn checked_result_tail(&self) -> Option<usize> {
        let scratch = self.scratch?;
        match self.ops.as_slice() {
            [.., Op::I(I::LocalTee(tee)), Op::I(I::I32Eqz), Op::I(I::BrIf(_)), Op::I(I::LocalGet(get))]
                if *tee == scratch && *get == scratch =>
            {
                Some(self.ops.len() - 4)
            }
            _ => None,
        }
    }

    /// Marks that the locals among `operands` are in use up to here: their
    /// values waited, on the stack or in an argument array (neither of which
    /// is a root), while later expressions may have collected.
    fn still_live(&mut self, operands: impl IntoIterator<Item = Operand>) {
        for operand in operands {
            if let Operand::Local(local) = operand {
                self.ops.push(Op::Live(local));
            }
        }
    }

    /// Evaluates an expression into an operand: constants, locals and var
    /// handles are read where they are used, anything else goes to a fresh local.
    fn operand(&mut self, expr: &Expr) -> Result<Operand> {
        self.helpers.admit(self, expr)?;
        Ok(match &expr.kind {
            ExprKind::Const(constant) => {
                Operand::Global(GlobalRef::Constant(self.module.pool.constant(constant)))
            }
            ExprKind::Local(id) => Operand::Local(self.local(*id, expr)?),
            ExprKind::TheVar(var) => Operand::Global(GlobalRef::Var(self.module.pool.var(var))),
            _ => {
                self.expr(expr)?;
                let local = self.new_local();
                self.set_local(local);
                Operand::Local(local)
            }
        })
    }

    /// Evaluates each expression, in order, into an operand.
    fn values(&mut self, exprs: &[Expr]) -> Result<Vec<Operand>> {
        exprs.iter().map(|expr| self.operand(expr)).collect()
    }

    /// `helper(count, array)` over already evaluated values.
    fn collection(&mut self, helper: Helper, count: usize, values: &[Operand]) {
        self.push(I::I32Const(count as i32));
        self.array(values);
        self.helper(helper);
    }

    /// `helper(count, array)` with the array filled by evaluating `exprs`.
    fn collection_of(&mut self, helper: Helper, exprs: &[Expr]) -> Result<()> {
        self.push(I::I32Const(exprs.len() as i32));
        self.array_of(exprs)?;
        self.helper(helper);
        Ok(())
    }

    /// Leaves 1 when the value on the stack is neither nil nor false, else 0.
    fn truthy(&mut self) {
        let helpers = self.helpers;
        helpers.truthy(self);
    }

    /// Turns an i32 condition on the stack into true or false.
    fn boolean(&mut self) {
        let condition = self.new_local();
        self.push(I::LocalSet(condition));
        self.constant(&Const::Bool(true));
        self.constant(&Const::Bool(false));
        self.push(I::LocalGet(condition));
        self.push(I::Select);
    }

    /// Lowers one expression, leaving its value on the stack.
    pub fn expr(&mut self, expr: &Expr) -> Result<()> {
        self.helpers.admit(self, expr)?;
        match &expr.kind {
            ExprKind::Const(constant) => self.constant(constant),
            ExprKind::Vector(items) => self.collection_of(Helper::MakeVector, items)?,
            ExprKind::Set(items) => self.collection_of(Helper::MakeSet, items)?,
            ExprKind::Map(entries) => {
                let helpers = self.helpers;
                helpers.map(self, entries)?;
            }
            ExprKind::Local(id) => {
                let local = self.local(*id, expr)?;
                self.push(I::LocalGet(local));
            }
            ExprKind::VarValue(var) => {
                let helpers = self.helpers;
                helpers.var_value(self, var);
            }
            ExprKind::TheVar(var) => {
                let index = self.module.pool.var(var);
                self.global(GlobalRef::Var(index));
            }
            ExprKind::Def { var, init, once } => self.def(var, init.as_deref(), *once)?,
            ExprKind::Fn(function) => self.make_fn(function)?,
            ExprKind::Call { callee, args } => self.call(callee, args)?,
            ExprKind::Intrinsic { op, args } => self.intrinsic(*op, args)?,
            ExprKind::If {
                test,
                then,
                otherwise,
            } => self.if_else(test, then, otherwise, Self::expr)?,
            ExprKind::Do { statements, ret } => self.do_then(statements, ret, Self::expr)?,
            ExprKind::Let { bindings, body } => {
                self.let_bindings(bindings)?;
                self.expr(body)?;
            }
            ExprKind::Loop { id, bindings, body } => {
                let mut loop_locals = Vec::new();
                for (local_id, init) in bindings {
                    self.expr(init)?;
                    let local = self.new_local();
                    self.set_local(local);
                    self.locals.insert(*local_id, local);
                    loop_locals.push(local);
                }
                self.open(BlockType::Result(ValType::I32), true);
                self.recur.push(RecurFrame {
                    target: RecurTarget::Loop(*id),
                    label: self.labels - 1,
                    locals: loop_locals,
                });
                let outer = std::mem::replace(&mut self.fast_paths, true);
                self.expr(body)?;
                self.fast_paths = outer;
                self.recur.pop();
                self.close();
            }
            ExprKind::Recur { target, args } => self.recur_to(*target, args, expr)?,
            ExprKind::LetFn { bindings, body } => self.letfn(bindings, body)?,
            ExprKind::Throw(value) => {
                self.expr(value)?;
                self.helper(Helper::ExceptionSet);
                self.br(self.throw_label);
            }
            ExprKind::Try {
                body,
                catches,
                finally,
            } => self.try_expr(body, catches, finally.as_deref())?,
            ExprKind::Case {
                test,
                clauses,
                default,
            } => self.case(test, clauses, default.as_deref())?,
        }
        Ok(())
    }

    fn local(&self, id: LocalId, at: &Expr) -> Result<u32> {
        self.locals.get(&id).copied().ok_or_else(|| {
            self.module.internal(
                at.pos,
                format!(
                    "local `{}` has no storage in this function",
                    self.module.local_names.name(id)
                ),
            )
        })
    }

    fn def(&mut self, var: &VarRef, init: Option<&Expr>, once: bool) -> Result<()> {
        let index = self.module.pool.var(var);
        let Some(init) = init else {
            self.global(GlobalRef::Var(index));
            return Ok(());
        };
        // A defonce of a bound var is nil, as Clojure's `(when-not
        // (.hasRoot v) (def ...))`.
        if once {
            self.global(GlobalRef::Var(index));
            self.helper(Helper::VarIsBound);
            self.push(I::If(BlockType::Result(ValType::I32)));
            self.labels += 1;
            self.constant(&Const::Nil);
            self.push(I::Else);
        }
        self.global(GlobalRef::Var(index));
        self.expr(init)?;
        self.helper(Helper::VarBindRoot);
        if once {
            self.close();
        }
        Ok(())
    }

    /// A fn value (how it is made depends on the helper set).
    fn make_fn(&mut self, function: &FnExpr) -> Result<()> {
        let helpers = self.helpers;
        helpers.make_fn(self, function)
    }

    fn call(&mut self, callee: &Expr, args: &[Expr]) -> Result<()> {
        let helpers = self.helpers;
        helpers.call(self, callee, args)
    }

    /// Sets each of the data segment's pointer `slots`, given as (slot,
    /// unrelocated value, which the slot also holds), to `base` + the value:
    /// one store each for a few, else a loop that adds `base` to the slots
    /// listed in the data segment, which costs about as much code as five
    /// stores, and two bytes a slot.
    fn relocate(&mut self, slots: &[(u32, u32)], base: GlobalRef) {
        const LOOP_FROM: usize = 6;
        if slots.len() < LOOP_FROM {
            for (slot, value) in slots {
                self.global(GlobalRef::MemoryBase);
                self.global(base);
                self.push(I::I32Const(*value as i32));
                self.push(I::I32Add);
                self.push(I::I32Store(mem_arg(u64::from(*slot))));
            }
            return;
        }
        let offsets: Vec<u32> = slots.iter().map(|(slot, _)| *slot).collect();
        let list = self.module.data.slot_list(&offsets);
        let (cursor, slot) = (self.new_local(), self.new_local());
        let entry = MemArg {
            align: list.entry_bytes.trailing_zeros(),
            ..mem_arg(0)
        };
        self.global(GlobalRef::MemoryBase);
        self.push(I::I32Const(list.start as i32));
        self.push(I::I32Add);
        self.push(I::LocalSet(cursor));
        self.push(I::Loop(BlockType::Empty));
        self.global(GlobalRef::MemoryBase);
        self.push(I::LocalGet(cursor));
        self.push(if list.entry_bytes == 2 {
            I::I32Load16U(entry)
        } else {
            I::I32Load(entry)
        });
        self.push(I::I32Const(2));
        self.push(I::I32Shl);
        self.push(I::I32Add);
        self.push(I::LocalTee(slot));
        self.push(I::LocalGet(slot));
        self.push(I::I32Load(mem_arg(0)));
        self.global(base);
        self.push(I::I32Add);
        self.push(I::I32Store(mem_arg(0)));
        self.push(I::LocalGet(cursor));
        self.push(I::I32Const(list.entry_bytes as i32));
        self.push(I::I32Add);
        self.push(I::LocalTee(cursor));
        self.global(GlobalRef::MemoryBase);
        self.push(I::I32Const(list.end as i32));
        self.push(I::I32Add);
        self.push(I::I32LtU);
        self.push(I::BrIf(0));
        self.push(I::End);
    }

    /// An `if` whose branches `branch` lowers (to a value, or to a condition).
    fn if_else(
        &mut self,
        test: &Expr,
        then: &Expr,
        otherwise: &Expr,
        branch: fn(&mut Self, &Expr) -> Result<()>,
    ) -> Result<()> {
        self.condition(test)?;
        self.push(I::If(BlockType::Result(ValType::I32)));
        self.labels += 1;
        branch(self, then)?;
        self.push(I::Else);
        branch(self, otherwise)?;
        self.close();
        Ok(())
    }

    /// A `do`'s statements, their values dropped, then its last form as
    /// `last` lowers it.
    fn do_then(
        &mut self,
        statements: &[Expr],
        ret: &Expr,
        last: fn(&mut Self, &Expr) -> Result<()>,
    ) -> Result<()> {
        for statement in statements {
            self.expr(statement)?;
            self.drop_value();
        }
        last(self, ret)
    }

    /// Binds each of a `let`'s locals in turn.
    fn let_bindings(&mut self, bindings: &[(LocalId, Expr)]) -> Result<()> {
        for (id, init) in bindings {
            self.expr(init)?;
            let local = self.new_local();
            self.set_local(local);
            self.locals.insert(*id, local);
        }
        Ok(())
    }

    /// Lowers a branch's `test`, leaving 1 when its value is truthy, else 0.
    /// An intrinsic that answers a boolean branches on the answer without
    /// boxing it (when the helper set can), and so do the `if`, `let` and
    /// `do` that `and`, `or` and `when` expand to, branch by branch.
    fn condition(&mut self, test: &Expr) -> Result<()> {
        self.helpers.admit(self, test)?;
        match &test.kind {
            ExprKind::Intrinsic { op, args } => {
                let helpers = self.helpers;
                if !helpers.intrinsic_condition(self, *op, args)? {
                    self.intrinsic(*op, args)?;
                    self.truthy();
                }
            }
            ExprKind::If {
                test,
                then,
                otherwise,
            } => self.if_else(test, then, otherwise, Self::condition)?,
            ExprKind::Let { bindings, body } => {
                self.let_bindings(bindings)?;
                self.condition(body)?;
            }
            ExprKind::Do { statements, ret } => self.do_then(statements, ret, Self::condition)?,
            _ => {
                self.expr(test)?;
                self.truthy();
            }
        }
        Ok(())
    }

    fn intrinsic(&mut self, op: Intrinsic, args: &[Expr]) -> Result<()> {
        let helpers = self.helpers;
        helpers.intrinsic(self, op, args)
    }

    /// Evaluates the new values onto the stack, all before any is assigned
    /// (so `(recur b a)` swaps), then assigns them; a local passed back to
    /// itself is left alone.
    fn recur_to(&mut self, target: RecurTarget, args: &[Expr], at: &Expr) -> Result<()> {
        let Some(frame) = self.recur.iter().rev().find(|frame| frame.target == target) else {
            return Err(self.module.internal(at.pos, "recur target not found"));
        };
        let (label, locals) = (frame.label, frame.locals.clone());
        let mut assigned = Vec::with_capacity(locals.len());
        let mut values = Vec::with_capacity(locals.len());
        for (local, arg) in locals.iter().zip(args) {
            if let ExprKind::Local(id) = &arg.kind {
                if self.locals.get(id) == Some(local) {
                    continue;
                }
            }
            values.push(arg);
            assigned.push(*local);
        }
        self.stacked(&values)?;
        for local in assigned.iter().rev() {
            self.push(I::LocalSet(*local));
        }
        for local in &assigned {
            self.mirror(*local);
        }
        if self.roots_in_frame {
            self.helper(Helper::GcPoll);
        }
        self.br(label);
        Ok(())
    }

    /// Makes every fn with placeholder slots for its letfn siblings, then fills the slots in.
    fn letfn(&mut self, bindings: &[(LocalId, FnExpr)], body: &Expr) -> Result<()> {
        for (id, _) in bindings {
            let local = self.new_local();
            self.constant(&Const::Nil);
            self.push(I::LocalSet(local));
            self.locals.insert(*id, local);
        }
        for (id, function) in bindings {
            self.make_fn(function)?;
            let local = self.locals[id];
            self.push(I::LocalSet(local));
            self.mirror(local);
        }
        for (fn_index, slot, sibling_index) in letfn_back_patches(bindings) {
            self.push(I::LocalGet(self.locals[&bindings[fn_index].0]));
            self.helper(Helper::ClosureEnv);
            self.push(I::LocalGet(self.locals[&bindings[sibling_index].0]));
            self.push(I::I32Store(mem_arg(4 * slot as u64)));
        }
        self.expr(body)
    }

    fn try_expr(&mut self, body: &Expr, catches: &[Catch], finally: Option<&Expr>) -> Result<()> {
        if catches.is_empty() && finally.is_none() {
            return self.expr(body);
        }
        let outer_throw = self.throw_label;
        // $done: the value after finally.
        self.open(BlockType::Result(ValType::I32), false);
        // $normal: the value of the body or a catch, before finally.
        self.open(BlockType::Result(ValType::I32), false);
        let normal = self.labels - 1;
        // $unwinding: an exception is pending and must leave after finally.
        self.open(BlockType::Empty, false);
        let unwinding = self.labels - 1;
        self.open(BlockType::Empty, false);
        self.throw_label = self.labels - 1;
        self.expr(body)?;
        self.br(normal);
        self.close();
        self.throw_label = unwinding;
        let thrown = self.new_local();
        self.helper(Helper::ExceptionTake);
        self.push(I::LocalSet(thrown));
        self.mirror(thrown);
        for catch in catches {
            let local = self.new_local();
            self.locals.insert(catch.local, local);
            self.push(I::LocalGet(thrown));
            self.push(I::LocalSet(local));
            self.mirror(local);
            match catch_test(catch.class) {
                None => {
                    self.expr(&catch.body)?;
                    self.br(normal);
                }
                Some(test) => {
                    self.catch_takes(&test, thrown);
                    self.push(I::If(BlockType::Empty));
                    self.labels += 1;
                    self.expr(&catch.body)?;
                    self.br(normal);
                    self.close();
                }
            }
        }
        self.push(I::LocalGet(thrown));
        self.helper(Helper::ExceptionSet);
        self.close();
        self.throw_label = outer_throw;
        if let Some(finally) = finally {
            let pending = self.new_local();
            self.helper(Helper::ExceptionTake);
            self.push(I::LocalSet(pending));
            self.mirror(pending);
            self.expr(finally)?;
            self.drop_value();
            self.push(I::LocalGet(pending));
            self.helper(Helper::ExceptionSet);
        }
        self.br(outer_throw);
        self.close();
        if let Some(finally) = finally {
            let value = self.new_local();
            self.push(I::LocalSet(value));
            self.mirror(value);
            self.expr(finally)?;
            self.drop_value();
            self.push(I::LocalGet(value));
        }
        self.close();
        Ok(())
    }

    /// Leaves 1 when the catch clause tested by `test` (`plan::catch_test`)
    /// takes `thrown`, else 0.
    fn catch_takes(&mut self, (test, leading): &(VarRef, Option<Const>), thrown: u32) {
        let index = self.module.pool.var(test);
        self.global(GlobalRef::Var(index));
        let mut arguments = Vec::new();
        if let Some(leading) = leading {
            arguments.push(Operand::Global(GlobalRef::Constant(
                self.module.pool.constant(leading),
            )));
        }
        arguments.push(Operand::Local(thrown));
        self.push(I::I32Const(arguments.len() as i32));
        self.array(&arguments);
        self.helper(Helper::Call);
        self.constant(&Const::Nil);
        self.push(I::I32Ne);
    }

    fn case(&mut self, test: &Expr, clauses: &[CaseClause], default: Option<&Expr>) -> Result<()> {
        self.expr(test)?;
        let value = self.new_local();
        self.push(I::LocalSet(value));
        self.mirror(value);
        for clause in clauses {
            for (index, constant) in clause.tests.iter().enumerate() {
                let helpers = self.helpers;
                helpers.equals_constant(self, value, constant);
                if index > 0 {
                    self.push(I::I32Or);
                }
            }
            self.push(I::If(BlockType::Result(ValType::I32)));
            self.labels += 1;
            self.expr(&clause.body)?;
            self.push(I::Else);
        }
        match default {
            Some(default) => self.expr(default)?,
            None => {
                let (str_var, _) = no_matching_clause_fns();
                let prefix = self
                    .module
                    .pool
                    .constant(&Const::Str(NO_MATCHING_CLAUSE.to_string()));
                let index = self.module.pool.var(&str_var);
                self.global(GlobalRef::Var(index));
                self.push(I::I32Const(2));
                self.array(&[
                    Operand::Global(GlobalRef::Constant(prefix)),
                    Operand::Local(value),
                ]);
                self.helper(Helper::Call);
                self.throw_no_matching_clause();
            }
        }
        for _ in clauses {
            self.close();
        }
        Ok(())
    }

    /// Throws the no-matching-clause exception with the message on the stack.
    fn throw_no_matching_clause(&mut self) {
        let message = self.new_local();
        self.set_local(message);
        let class = self
            .module
            .pool
            .constant(&Const::Str(NO_MATCHING_CLAUSE_CLASS.to_string()));
        let (_, new_throwable) = no_matching_clause_fns();
        let index = self.module.pool.var(&new_throwable);
        self.global(GlobalRef::Var(index));
        self.push(I::I32Const(2));
        self.array(&[
            Operand::Global(GlobalRef::Constant(class)),
            Operand::Local(message),
        ]);
        self.helper(Helper::Call);
        self.helper(Helper::ExceptionSet);
        self.br(self.throw_label);
    }

    /// Code that creates a constant (run by the start function).
    fn create_constant(&mut self, constant: &Constant) {
        match constant {
            Constant::Fn { desc } => {
                self.global(GlobalRef::MemoryBase);
                self.push(I::I32Const(*desc as i32));
                self.push(I::I32Add);
                self.push(I::I32Const(0));
                self.push(I::I32Const(0));
                self.helper(Helper::MakeFn);
            }
            Constant::Wrapper { function, arity } => {
                self.global(GlobalRef::TableBase);
                self.push(I::I32Const(*function as i32));
                self.push(I::I32Add);
                self.push(I::I32Const(*arity as i32));
                self.helper(Helper::MakeFnWrapper);
            }
            Constant::Value(value) => {
                let helpers = self.helpers;
                helpers.create_value(self, value);
            }
        }
    }

    /// The constants of a collection constant's elements (made before it, in pool order).
    fn element_operands(&mut self, items: &[Const]) -> Vec<Operand> {
        items
            .iter()
            .map(|item| Operand::Global(GlobalRef::Constant(self.module.pool.constant(item))))
            .collect()
    }

    /// A constant map's keys and values, alternating, as operands.
    fn entry_operands(&mut self, entries: &[(Const, Const)]) -> Vec<Operand> {
        entries
            .iter()
            .flat_map(|(key, value)| [key, value])
            .map(|item| Operand::Global(GlobalRef::Constant(self.module.pool.constant(item))))
            .collect()
    }

    fn create_value(&mut self, value: &Const) {
        match value {
            Const::Occurrence { value, .. } => self.create_value(value),
            Const::Nil => self.helper(Helper::NilValue),
            Const::Bool(b) => {
                self.push(I::I32Const(i32::from(*b)));
                self.helper(Helper::BoxBoolean);
            }
            Const::Int(i) => {
                self.push(I::I64Const(*i));
                self.helper(Helper::BoxInteger);
            }
            Const::Double(d) => {
                self.push(I::F64Const((*d).into()));
                self.helper(Helper::BoxDouble);
            }
            Const::BigInt(digits) => {
                self.data_string(digits);
                self.helper(Helper::BigIntegerCreate);
            }
            Const::BigDecimal(digits) => {
                self.data_string(digits);
                self.helper(Helper::BigDecimalCreate);
            }
            Const::Uuid(uuid) => {
                self.data_string(&uuid.text());
                self.helper(Helper::MakeUuid);
            }
            Const::Ratio(numerator, denominator) => {
                self.push(I::I64Const(*numerator));
                self.helper(Helper::BoxInteger);
                self.push(I::I64Const(*denominator));
                self.helper(Helper::BoxInteger);
                self.helper(Helper::RatioCreate);
            }
            Const::Char(c) => {
                self.push(I::I32Const(*c as i32));
                self.helper(Helper::MakeChar);
            }
            Const::Str(s) => {
                let offset = self.module.data.bytes_nul(s.as_bytes());
                self.global(GlobalRef::MemoryBase);
                self.push(I::I32Const(offset as i32));
                self.push(I::I32Add);
                self.push(I::I32Const(s.len() as i32));
                self.helper(Helper::MakeStringN);
            }
            Const::Regex { source, .. } => {
                let offset = self.module.data.bytes_nul(source.as_bytes());
                self.global(GlobalRef::MemoryBase);
                self.push(I::I32Const(offset as i32));
                self.push(I::I32Add);
                self.push(I::I32Const(source.len() as i32));
                self.helper(Helper::MakeRegex);
            }
            Const::Keyword(name) | Const::Symbol(name) => {
                self.data_string(name.ns.as_deref().unwrap_or(""));
                self.data_string(&name.name);
                self.helper(if matches!(value, Const::Keyword(_)) {
                    Helper::MakeKeyword
                } else {
                    Helper::MakeSymbol
                });
            }
            Const::List(items) | Const::Vector(items) | Const::Set(items) => {
                let elements = self.element_operands(items);
                let helper = match value {
                    Const::List(_) => Helper::MakeList,
                    Const::Vector(_) => Helper::MakeVector,
                    _ => Helper::MakeSet,
                };
                self.collection(helper, elements.len(), &elements);
            }
            Const::Map(entries) => {
                let elements = self.entry_operands(entries);
                self.collection(Helper::MakeMap, entries.len(), &elements);
            }
        }
    }
}

/// Renumbers the locals `ops` use after the `params` parameters densely, in
/// order of first use, dropping those never used (the root area's marker
/// local, scratch locals a peephole made redundant); returns their count.
/// Every declared local is a slot of the engine's frame (V8's baseline
/// compiler spills each one), so unused ones cost stack depth in recursion.
fn compact_locals(params: u32, ops: &mut [Op]) -> u32 {
    let mut renumbered: FxHashMap<u32, u32> = FxHashMap::default();
    for op in ops.iter_mut() {
        if let Op::I(I::LocalGet(local) | I::LocalSet(local) | I::LocalTee(local)) = op {
            if *local >= params {
                let next = params + renumbered.len() as u32;
                *local = *renumbered.entry(*local).or_insert(next);
            }
        }
    }
    renumbered.len() as u32
}

/// Whether `callee` is a quiet var, a call through which never collects
/// (`jank_runtime_abi::quiet_runtime_vars`).
fn is_quiet_callee(callee: &Expr) -> bool {
    static QUIET: std::sync::LazyLock<FxHashSet<(&str, &str)>> =
        std::sync::LazyLock::new(|| jank_runtime_abi::quiet_runtime_vars().collect());
    matches!(&callee.kind, ExprKind::VarValue(var) if QUIET.contains(&(var.ns.as_str(), var.name.as_str())))
}

/// Whether evaluating `expr` may run a collection: it calls something
/// (`jank_call`) other than a quiet var, or loops (every back-edge polls).
/// Helpers never collect, and a fn expression only makes a fn.
fn may_collect(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Call { callee, args } => !is_quiet_callee(callee) || args.iter().any(may_collect),
        ExprKind::Loop { .. } | ExprKind::Recur { .. } => true,
        ExprKind::Const(_)
        | ExprKind::Local(_)
        | ExprKind::VarValue(_)
        | ExprKind::TheVar(_)
        | ExprKind::Fn(_) => false,
        ExprKind::Vector(items) | ExprKind::Set(items) => items.iter().any(may_collect),
        ExprKind::Map(entries) => entries
            .iter()
            .any(|(key, value)| may_collect(key) || may_collect(value)),
        ExprKind::Def { init, .. } => init.as_deref().is_some_and(may_collect),
        ExprKind::Intrinsic { args, .. } => args.iter().any(may_collect),
        ExprKind::If {
            test,
            then,
            otherwise,
        } => may_collect(test) || may_collect(then) || may_collect(otherwise),
        ExprKind::Do { statements, ret } => statements.iter().any(may_collect) || may_collect(ret),
        ExprKind::Let { bindings, body } => {
            bindings.iter().any(|(_, init)| may_collect(init)) || may_collect(body)
        }
        ExprKind::LetFn { body, .. } => may_collect(body),
        ExprKind::Throw(value) => may_collect(value),
        // A catch test calls clojure.core.
        ExprKind::Try { .. } => true,
        ExprKind::Case {
            test,
            clauses,
            default,
        } => {
            may_collect(test)
                || clauses.iter().any(|clause| may_collect(&clause.body))
                || default.as_deref().is_some_and(may_collect)
        }
    }
}
