//! The full helper set of jank_patch_abi.h (`--abi extended`, the default):
//! vars through their handles, calls through `jank_call` (a var a patch
//! defines through its direct-call record first), Clojure's inlined
//! arithmetic and comparisons as helpers, fns as `jank_make_fn` descriptors.

use super::{FnCodegen, GlobalRef, HelperSet, Op, Operand, Result};
use crate::analyze::ast::*;
use crate::lower::plan::{inline, Constant, Inline};
use crate::lower::wasm::{direct_call_ops, DirectCallInputs};
use jank_runtime_abi::{Helper, JANK_MAX_PARAMS as MAX_PARAMS};
use rustc_hash::FxHashSet;
use std::sync::LazyLock;
use wasm_encoder::Instruction as I;

/// Whether the runtime defines `var` (runtime_vars.txt): a native, which a
/// direct call could never reach.
fn is_runtime_var(var: &VarRef) -> bool {
    static RUNTIME_VARS: LazyLock<FxHashSet<(&str, &str)>> =
        LazyLock::new(|| jank_runtime_abi::runtime_vars().collect());
    RUNTIME_VARS.contains(&(var.ns.as_str(), var.name.as_str()))
}

pub(super) struct Extended;

impl HelperSet for Extended {
    fn admit(&self, _codegen: &FnCodegen<'_, '_>, _expr: &Expr) -> Result<()> {
        Ok(())
    }

    fn var_value(&self, codegen: &mut FnCodegen<'_, '_>, var: &VarRef) {
        let index = codegen.module.pool.var(var);
        codegen.global(GlobalRef::Var(index));
        codegen.helper(Helper::VarDeref);
    }

    fn map(&self, codegen: &mut FnCodegen<'_, '_>, entries: &[(Expr, Expr)]) -> Result<()> {
        let flat: Vec<Expr> = entries
            .iter()
            .flat_map(|(k, v)| [k.clone(), v.clone()])
            .collect();
        codegen.push(I::I32Const(entries.len() as i32));
        codegen.array_of(&flat)?;
        codegen.helper(Helper::MakeMap);
        Ok(())
    }

    /// Made once at load when it captures nothing, else on every evaluation.
    fn make_fn(&self, codegen: &mut FnCodegen<'_, '_>, function: &FnExpr) -> Result<()> {
        let desc = codegen.module.fn_descriptor(function)?;
        if function.captures.is_empty() {
            let index = codegen.module.pool.fn_constant(Constant::Fn { desc });
            codegen.global(GlobalRef::Constant(index));
            return Ok(());
        }
        let mut env = Vec::with_capacity(function.captures.len());
        for captured in &function.captures {
            env.push(Operand::Local(
                codegen.locals.get(captured).copied().ok_or_else(|| {
                    codegen
                        .module
                        .internal(function.pos, "captured local has no storage")
                })?,
            ));
        }
        codegen.global(GlobalRef::MemoryBase);
        codegen.push(I::I32Const(desc as i32));
        codegen.push(I::I32Add);
        codegen.push(I::I32Const(env.len() as i32));
        codegen.array(&env);
        codegen.helper(Helper::MakeFn);
        Ok(())
    }

    fn call(&self, codegen: &mut FnCodegen<'_, '_>, callee: &Expr, args: &[Expr]) -> Result<()> {
        // A var whose value a patch defines: straight to its arity when the
        // var's direct-call record allows (runtime natives never do).
        if let ExprKind::VarValue(var) = &callee.kind {
            if codegen.fast_paths && args.len() <= MAX_PARAMS && !is_runtime_var(var) {
                let index = codegen.module.pool.var(var);
                let record = codegen.module.direct_calls_record(index);
                if codegen.calls_itself(var) && !args.is_empty() {
                    let args_at = codegen.fill_slots(args)?;
                    codegen.release_last_reads(args);
                    let inputs = DirectCallInputs {
                        record: Op::Global(GlobalRef::DirectCalls(record)),
                        var: Op::Global(GlobalRef::Var(index)),
                        args: args_at,
                        scratch: codegen.direct_call_scratch(),
                    };
                    codegen
                        .ops
                        .extend(direct_call_ops(&inputs, args.len() as u32));
                    codegen.check_thrown();
                    return Ok(());
                }
                let caller = codegen.module.direct_caller(args.len() as u32);
                codegen.global(GlobalRef::DirectCalls(record));
                codegen.global(GlobalRef::Var(index));
                codegen.array_of(args)?;
                codegen.release_last_reads(args);
                codegen.ops.push(Op::Call(caller));
                codegen.check_thrown();
                return Ok(());
            }
        }
        let waiting_callee = match &callee.kind {
            // A var is callable itself: one helper call instead of a deref and a call.
            ExprKind::VarValue(var) => {
                let index = codegen.module.pool.var(var);
                codegen.global(GlobalRef::Var(index));
                None
            }
            // The fn position is evaluated first and waits on the stack, or
            // in a mirrored local when evaluating an argument may collect.
            _ if codegen.roots_in_frame && args.iter().any(super::may_collect) => {
                let callee = codegen.operand(callee)?;
                codegen.push_operand(callee);
                Some(callee)
            }
            _ => {
                codegen.expr(callee)?;
                None
            }
        };
        codegen.push(I::I32Const(args.len() as i32));
        codegen.array_of(args)?;
        codegen.still_live(waiting_callee);
        codegen.release_last_reads(args);
        if super::is_quiet_callee(callee) {
            codegen.ops.push(Op::QuietCall);
            codegen.check_thrown();
        } else {
            codegen.helper(Helper::Call);
        }
        Ok(())
    }

    fn intrinsic(
        &self,
        codegen: &mut FnCodegen<'_, '_>,
        op: Intrinsic,
        args: &[Expr],
    ) -> Result<()> {
        codegen.stacked(&args.iter().collect::<Vec<_>>())?;
        match inline(op) {
            Inline::Helper(helper) | Inline::Comparison(helper) => {
                codegen.small_int_or_helper(helper)
            }
            Inline::Equiv => {
                codegen.small_int_or_helper(Helper::Equiv);
                codegen.boolean();
            }
            Inline::Identical => {
                codegen.push(I::I32Eq);
                codegen.boolean();
            }
            Inline::IsNil => {
                codegen.constant(&Const::Nil);
                codegen.push(I::I32Eq);
                codegen.boolean();
            }
            Inline::Not => {
                codegen.truthy();
                codegen.push(I::I32Eqz);
                codegen.boolean();
            }
        }
        Ok(())
    }

    /// The answer as an i32: the comparisons' helpers and small-integer
    /// paths return exactly true or false, compared with the true constant;
    /// the rest compute an i32 before boxing it.
    fn intrinsic_condition(
        &self,
        codegen: &mut FnCodegen<'_, '_>,
        op: Intrinsic,
        args: &[Expr],
    ) -> Result<bool> {
        let stacked =
            |codegen: &mut FnCodegen<'_, '_>| codegen.stacked(&args.iter().collect::<Vec<_>>());
        match (inline(op), args) {
            (Inline::Helper(_), _) => return Ok(false),
            (Inline::Not, [arg]) => {
                codegen.condition(arg)?;
                codegen.push(I::I32Eqz);
            }
            (Inline::Not, _) => return Ok(false),
            (Inline::Comparison(helper), _) => {
                stacked(codegen)?;
                codegen.small_int_or_helper(helper);
                codegen.constant(&Const::Bool(true));
                codegen.push(I::I32Eq);
            }
            (Inline::Equiv, _) => {
                stacked(codegen)?;
                codegen.small_int_or_helper(Helper::Equiv);
            }
            (Inline::Identical, _) => {
                stacked(codegen)?;
                codegen.push(I::I32Eq);
            }
            (Inline::IsNil, _) => {
                stacked(codegen)?;
                codegen.constant(&Const::Nil);
                codegen.push(I::I32Eq);
            }
        }
        Ok(true)
    }

    /// Compares with nil and false, which are constants: no helper call.
    fn truthy(&self, codegen: &mut FnCodegen<'_, '_>) {
        let scratch = codegen.new_local();
        codegen.push(I::LocalTee(scratch));
        codegen.constant(&Const::Nil);
        codegen.push(I::I32Ne);
        codegen.push(I::LocalGet(scratch));
        codegen.constant(&Const::Bool(false));
        codegen.push(I::I32Ne);
        codegen.push(I::I32And);
    }

    fn equals_constant(&self, codegen: &mut FnCodegen<'_, '_>, value: u32, constant: &Const) {
        codegen.push(I::LocalGet(value));
        codegen.constant(constant);
        codegen.helper(Helper::Equiv);
    }

    fn create_value(&self, codegen: &mut FnCodegen<'_, '_>, value: &Const) {
        codegen.create_value(value);
    }

    fn roots_in_frame(&self) -> bool {
        true
    }
}
