//! The seed helper set (`--abi seed`): only what jank's hot_reload.cpp
//! exports today. Vars are reached by name through `jank_call_var` and
//! `jank_deref_var`, every other call goes through clojure.core's `apply`,
//! values the seed cannot box are built by calling clojure.core (`boolean`,
//! `char`, `list`, `array-map`), and fns are `jank_make_fn_wrapper`s with
//! their captures bound by `partial`. What cannot be expressed so is
//! rejected, naming the extension helper it would need.

use super::{FnCodegen, GlobalRef, HelperSet, Operand, Result};
use crate::analyze::ast::*;
use crate::diag::Failure;
use crate::lower::plan::{core_var, Constant};
use jank_runtime_abi::{Helper, JANK_SEED_CALL_VAR_MAX_ARGS, JANK_SEED_WRAPPER_MAX_ARITY};
use wasm_encoder::Instruction as I;

pub(super) struct Seed;

impl HelperSet for Seed {
    fn admit(&self, codegen: &FnCodegen<'_, '_>, expr: &Expr) -> Result<()> {
        codegen.seed_check(expr)
    }

    fn var_value(&self, codegen: &mut FnCodegen<'_, '_>, var: &VarRef) {
        codegen.data_string(&var.ns);
        codegen.data_string(&var.name);
        codegen.helper(Helper::DerefVar);
    }

    fn map(&self, codegen: &mut FnCodegen<'_, '_>, entries: &[(Expr, Expr)]) -> Result<()> {
        let flat: Vec<Expr> = entries
            .iter()
            .flat_map(|(k, v)| [k.clone(), v.clone()])
            .collect();
        let values = codegen.values(&flat)?;
        codegen.seed_build(&core_var("array-map"), &values);
        Ok(())
    }

    fn make_fn(&self, codegen: &mut FnCodegen<'_, '_>, function: &FnExpr) -> Result<()> {
        codegen.seed_make_fn(function)
    }

    fn call(&self, codegen: &mut FnCodegen<'_, '_>, callee: &Expr, args: &[Expr]) -> Result<()> {
        if let ExprKind::VarValue(var) = &callee.kind {
            let values = codegen.values(args)?;
            codegen.seed_call_var(var, &values);
            return Ok(());
        }
        let function = codegen.operand(callee)?;
        let values = codegen.values(args)?;
        codegen.seed_apply(function, &values);
        Ok(())
    }

    /// No inlined arithmetic: the clojure.core fn of the same name.
    fn intrinsic(
        &self,
        codegen: &mut FnCodegen<'_, '_>,
        op: Intrinsic,
        args: &[Expr],
    ) -> Result<()> {
        let values = codegen.values(args)?;
        codegen.seed_call_var(&core_var(op.core_name()), &values);
        Ok(())
    }

    fn truthy(&self, codegen: &mut FnCodegen<'_, '_>) {
        codegen.helper(Helper::Truthy);
    }

    fn equals_constant(&self, codegen: &mut FnCodegen<'_, '_>, value: u32, constant: &Const) {
        let expected = GlobalRef::Constant(codegen.module.pool.constant(constant));
        codegen.seed_call_var(
            &core_var("="),
            &[Operand::Local(value), Operand::Global(expected)],
        );
        codegen.truthy();
    }

    fn create_value(&self, codegen: &mut FnCodegen<'_, '_>, value: &Const) {
        codegen.create_seed_value(value);
    }

    /// jank's seed runtime collects only between calls.
    fn roots_in_frame(&self) -> bool {
        false
    }
}

impl FnCodegen<'_, '_> {
    /// The error for a construct the seed ABI cannot express.
    fn seed_lacks(&self, pos: crate::source::Pos, construct: &str, helper: Helper) -> Failure {
        self.module.error(
            pos,
            format!("{construct} needs the extension helper `{}`, which the seed ABI (`--abi seed`) does not have", helper.name()),
        )
        .into()
    }

    /// Seed ABI: `jank_call_var(ns, name, argc, args)` over evaluated values, through `apply` past 5 arguments.
    fn seed_call_var(&mut self, var: &VarRef, values: &[Operand]) {
        if values.len() <= JANK_SEED_CALL_VAR_MAX_ARGS {
            self.data_string(&var.ns);
            self.data_string(&var.name);
            self.push(I::I32Const(values.len() as i32));
            self.array(values);
            self.helper(Helper::CallVar);
            return;
        }
        self.data_string(&var.ns);
        self.data_string(&var.name);
        self.helper(Helper::DerefVar);
        let function = self.new_local();
        self.set_local(function);
        self.seed_apply(Operand::Local(function), values);
    }

    /// Seed ABI: `(apply f [values])`, the one way to call a value.
    fn seed_apply(&mut self, function: Operand, values: &[Operand]) {
        self.collection(Helper::MakeVector, values.len(), values);
        let arguments = self.new_local();
        self.set_local(arguments);
        self.seed_call_var(&core_var("apply"), &[function, Operand::Local(arguments)]);
    }

    /// Rejects what the seed ABI cannot express, naming the helper it would
    /// need. Every kind of expression is listed: a new one needs a decision here.
    fn seed_check(&self, expr: &Expr) -> Result<()> {
        let missing = match &expr.kind {
            ExprKind::TheVar(_) => Some(("`var` (#')", Helper::VarInternC)),
            ExprKind::Def { .. } => Some(("a `def` inside an expression", Helper::VarBindRoot)),
            ExprKind::Throw(_) => Some(("`throw`", Helper::ExceptionSet)),
            ExprKind::Try {
                catches, finally, ..
            } if !catches.is_empty() || finally.is_some() => {
                Some(("`try` with `catch` or `finally`", Helper::ExceptionTake))
            }
            ExprKind::LetFn { .. } => Some(("`letfn`", Helper::ClosureEnv)),
            ExprKind::Case { default: None, .. } => {
                Some(("`case` without a default", Helper::ExceptionSet))
            }
            ExprKind::Fn(function) => {
                let [arity] = function.arities.as_slice() else {
                    return Err(self.seed_lacks(
                        expr.pos,
                        "a fn with several arities",
                        Helper::MakeFn,
                    ));
                };
                if arity.rest.is_some() {
                    return Err(self.seed_lacks(expr.pos, "a variadic fn", Helper::MakeFn));
                }
                if function.self_local.is_some() {
                    return Err(self.seed_lacks(
                        expr.pos,
                        "a named fn that calls itself",
                        Helper::MakeFn,
                    ));
                }
                if function.captures.len() + arity.params.len() > JANK_SEED_WRAPPER_MAX_ARITY {
                    return Err(self.seed_lacks(
                        expr.pos,
                        &format!("a fn of more than {JANK_SEED_WRAPPER_MAX_ARITY} parameters and captured locals"),
                        Helper::MakeFn,
                    ));
                }
                None
            }
            ExprKind::Const(constant) if contains_nul_string(constant) => {
                Some(("a string containing NUL", Helper::MakeStringN))
            }
            // Each of these lowers through seed helpers (calls go through
            // jank_call_var or `apply`, maps through `array-map`, a `try`
            // without handlers is its body); what they contain is checked
            // on its own.
            ExprKind::Const(_)
            | ExprKind::Vector(_)
            | ExprKind::Map(_)
            | ExprKind::Set(_)
            | ExprKind::Local(_)
            | ExprKind::VarValue(_)
            | ExprKind::Call { .. }
            | ExprKind::Intrinsic { .. }
            | ExprKind::If { .. }
            | ExprKind::Do { .. }
            | ExprKind::Let { .. }
            | ExprKind::Loop { .. }
            | ExprKind::Recur { .. }
            | ExprKind::Try { .. }
            | ExprKind::Case { .. } => None,
        };
        match missing {
            Some((construct, helper)) => Err(self.seed_lacks(expr.pos, construct, helper)),
            None => Ok(()),
        }
    }

    /// Seed ABI: a fixed-arity fn wrapper, with its captures bound by `partial`.
    fn seed_make_fn(&mut self, function: &FnExpr) -> Result<()> {
        let arity = function.arities[0].params.len() as u32;
        if function.captures.is_empty() {
            let slot = self.module.plain_fn(function)?;
            let index = self.module.pool.fn_constant(Constant::Wrapper {
                function: slot,
                arity,
            });
            self.global(GlobalRef::Constant(index));
            return Ok(());
        }
        let slot = self.module.captures_first_fn(function)?;
        let mut arguments = Vec::with_capacity(function.captures.len() + 1);
        self.global(GlobalRef::TableBase);
        self.push(I::I32Const(slot as i32));
        self.push(I::I32Add);
        self.push(I::I32Const((function.captures.len() as u32 + arity) as i32));
        self.helper(Helper::MakeFnWrapper);
        let wrapper = self.new_local();
        self.set_local(wrapper);
        arguments.push(Operand::Local(wrapper));
        for captured in &function.captures {
            arguments.push(Operand::Local(
                self.locals.get(captured).copied().ok_or_else(|| {
                    self.module
                        .internal(function.pos, "captured local has no storage")
                })?,
            ));
        }
        self.seed_call_var(&core_var("partial"), &arguments);
        Ok(())
    }

    /// Seed ABI constants: what has no helper of its own is made by calling clojure.core.
    fn create_seed_value(&mut self, value: &Const) {
        match value {
            Const::Occurrence { value, .. } => self.create_seed_value(value),
            Const::Bool(b) => {
                if *b {
                    self.push(I::I64Const(1));
                    self.helper(Helper::BoxInteger);
                } else {
                    self.helper(Helper::NilValue);
                }
                let argument = self.new_local();
                self.set_local(argument);
                self.seed_call_var(&core_var("boolean"), &[Operand::Local(argument)]);
            }
            Const::Char(c) => {
                self.push(I::I64Const(i64::from(u32::from(*c))));
                self.helper(Helper::BoxInteger);
                let argument = self.new_local();
                self.set_local(argument);
                self.seed_call_var(&core_var("char"), &[Operand::Local(argument)]);
            }
            Const::Str(s) => {
                self.data_string(s);
                self.helper(Helper::MakeString);
            }
            Const::Regex { source, .. } => {
                self.data_string(source);
                self.helper(Helper::MakeString);
                let argument = self.new_local();
                self.set_local(argument);
                self.seed_call_var(&core_var("re-pattern"), &[Operand::Local(argument)]);
            }
            Const::BigInt(digits) | Const::BigDecimal(digits) => {
                self.data_string(digits);
                self.helper(Helper::MakeString);
                let argument = self.new_local();
                self.set_local(argument);
                let constructor = match value {
                    Const::BigInt(_) => "bigint",
                    _ => "bigdec",
                };
                self.seed_call_var(&core_var(constructor), &[Operand::Local(argument)]);
            }
            Const::Uuid(uuid) => {
                self.data_string(&uuid.text());
                self.helper(Helper::MakeString);
                let argument = self.new_local();
                self.set_local(argument);
                self.seed_call_var(&core_var("parse-uuid"), &[Operand::Local(argument)]);
            }
            Const::Ratio(numerator, denominator) => {
                let parts = [*numerator, *denominator].map(|part| {
                    self.push(I::I64Const(part));
                    self.helper(Helper::BoxInteger);
                    let local = self.new_local();
                    self.set_local(local);
                    Operand::Local(local)
                });
                self.seed_call_var(&core_var("/"), &parts);
            }
            Const::List(items) => {
                let elements = self.element_operands(items);
                self.seed_build(&core_var("list"), &elements);
            }
            Const::Map(entries) => {
                let elements = self.entry_operands(entries);
                self.seed_build(&core_var("array-map"), &elements);
            }
            // The seed boxes these itself (nil, numbers, keywords, symbols,
            // vectors and sets have seed helpers).
            Const::Nil
            | Const::Int(_)
            | Const::Double(_)
            | Const::Keyword(_)
            | Const::Symbol(_)
            | Const::Vector(_)
            | Const::Set(_) => self.create_value(value),
        }
    }

    /// `(apply constructor [values])` through the seed helpers.
    fn seed_build(&mut self, constructor: &VarRef, values: &[Operand]) {
        self.data_string(&constructor.ns);
        self.data_string(&constructor.name);
        self.helper(Helper::DerefVar);
        let function = self.new_local();
        self.set_local(function);
        self.seed_apply(Operand::Local(function), values);
    }
}

fn contains_nul_string(constant: &Const) -> bool {
    match constant {
        Const::Str(s) | Const::Regex { source: s, .. } => s.contains('\0'),
        Const::List(items) | Const::Vector(items) | Const::Set(items) => {
            items.iter().any(contains_nul_string)
        }
        Const::Map(entries) => entries
            .iter()
            .any(|(k, v)| contains_nul_string(k) || contains_nul_string(v)),
        _ => false,
    }
}
