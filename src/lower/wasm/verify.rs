//! The ABI checks between lowering and encoding, run in tests and debug
//! builds: every call of a helper the header declares `throws` is
//! NULL-checked (or its value is the function's own result, where NULL
//! already means "threw"), a seed patch calls only seed helpers, and the
//! encoded module imports exactly the header's signatures. A failure is a
//! compiler bug, never the program's fault.

use super::codegen::{FuncDef, GlobalRef, Op};
use crate::lower::Abi;
use jank_runtime_abi::Helper;
use wasm_encoder::Instruction as I;
use wasmparser::{CompositeInnerType, Parser, Payload, TypeRef};

/// Whether the checks run: always in tests and debug builds, never in release.
pub const ENABLED: bool = cfg!(debug_assertions);

/// Checks every helper call of the lowered functions (defined function `index` of `funcs`).
pub fn functions(funcs: &[FuncDef], abi: Abi) -> Result<(), String> {
    for (index, func) in funcs.iter().enumerate() {
        for (at, op) in func.ops.iter().enumerate() {
            let Some(helper) = op.helper() else {
                continue;
            };
            if abi == Abi::Seed && !helper.is_seed() {
                return Err(format!(
                    "function {index} calls `{}` in a seed patch",
                    helper.name()
                ));
            }
            let rest = &func.ops[at + 1..];
            if helper.may_throw() && !is_null_checked(rest) && !is_returned(rest) {
                return Err(format!(
                    "function {index}, instruction {at}: the result of `{}`, which may throw, is not NULL-checked",
                    helper.name()
                ));
            }
        }
    }
    Ok(())
}

/// `[local.tee x] i32.eqz br_if`: the check `FnCodegen::helper` emits, with
/// or without the value kept, after the value leaves the blocks it is the
/// result of (an inlined direct call's `jank_call`).
fn is_null_checked(rest: &[Op]) -> bool {
    let after_blocks = rest
        .iter()
        .position(|op| !matches!(op, Op::I(I::End)))
        .map_or(rest, |at| &rest[at..]);
    matches!(
        after_blocks,
        [
            Op::I(I::LocalTee(_)),
            Op::I(I::I32Eqz),
            Op::I(I::BrIf(_)),
            ..
        ] | [Op::I(I::I32Eqz), Op::I(I::BrIf(_)), ..]
    )
}

/// The value leaves the function as its result: only block ends, the exit
/// sequence (`br` to the result block, the unreachable NULL), and the frame
/// epilogue that releases the frame under it follow it.
fn is_returned(rest: &[Op]) -> bool {
    let mut at = skip_ends(rest, 0);
    if matches!(rest.get(at), Some(Op::I(I::Br(_)))) {
        if !matches!(
            rest.get(at + 1..at + 4),
            Some([Op::I(I::End), Op::I(I::I32Const(0)), Op::I(I::End)])
        ) {
            return false;
        }
        at = skip_ends(rest, at + 4);
    }
    if let Some(
        [Op::I(I::LocalGet(_)), Op::I(I::I32Const(_)), Op::I(I::I32Add), Op::GlobalSet(GlobalRef::StackPointer)],
    ) = rest.get(at..at + 4)
    {
        at += 4;
    }
    at + 1 == rest.len() && matches!(rest[at], Op::I(I::End))
}

/// The index of the first op at or after `at` that is not a block end, or the
/// last op (the function's own end).
fn skip_ends(rest: &[Op], mut at: usize) -> usize {
    while at + 1 < rest.len() && matches!(rest[at], Op::I(I::End)) {
        at += 1;
    }
    at
}

/// Checks the encoded module's function imports: each is a header helper
/// imported from `env` with the header's wasm signature (a seed helper in a
/// seed patch).
pub fn imports(bytes: &[u8], abi: Abi) -> Result<(), String> {
    let mut types = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub_type in group.map_err(|e| e.to_string())?.into_types() {
                        types.push(match sub_type.composite_type.inner {
                            CompositeInnerType::Func(func) => Some(func),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| e.to_string())?;
                    let TypeRef::Func(type_index) = import.ty else {
                        continue;
                    };
                    let helper = Helper::from_name(import.name).ok_or_else(|| {
                        format!(
                            "imports `{}`, which jank_patch_abi.h does not declare",
                            import.name
                        )
                    })?;
                    if import.module != "env" {
                        return Err(format!(
                            "imports `{}` from `{}`, not `env`",
                            import.name, import.module
                        ));
                    }
                    if abi == Abi::Seed && !helper.is_seed() {
                        return Err(format!(
                            "a seed patch imports the extension helper `{}`",
                            helper.name()
                        ));
                    }
                    let ty = types
                        .get(type_index as usize)
                        .cloned()
                        .flatten()
                        .ok_or_else(|| format!("`{}` has no function type", helper.name()))?;
                    if !same_types(ty.params(), helper.params())
                        || !same_types(ty.results(), helper.results())
                    {
                        return Err(format!(
                            "imports `{}` as {ty}, but the header declares `{}`",
                            helper.name(),
                            helper.c_declaration()
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn same_types(wasm: &[wasmparser::ValType], header: &[jank_runtime_abi::ValType]) -> bool {
    wasm.len() == header.len()
        && wasm.iter().zip(header).all(|(wasm, header)| {
            matches!(
                (wasm, header),
                (wasmparser::ValType::I32, jank_runtime_abi::ValType::I32)
                    | (wasmparser::ValType::I64, jank_runtime_abi::ValType::I64)
                    | (wasmparser::ValType::F64, jank_runtime_abi::ValType::F64)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{EntityType, ImportSection, Module, TypeSection, ValType};

    fn func(ops: Vec<Op>) -> FuncDef {
        FuncDef {
            params: 1,
            results: 1,
            locals: 2,
            ops,
        }
    }

    fn call_then(helper: Helper, after: &[Op]) -> FuncDef {
        let mut ops = vec![
            Op::I(I::Block(wasm_encoder::BlockType::Empty)),
            Op::I(I::LocalGet(0)),
            Op::Helper(helper),
        ];
        ops.extend_from_slice(after);
        func(ops)
    }

    #[test]
    fn a_checked_throwing_call_passes_in_every_form_the_codegen_emits() {
        let kept = [
            Op::I(I::LocalTee(1)),
            Op::I(I::I32Eqz),
            Op::I(I::BrIf(0)),
            Op::I(I::LocalGet(1)),
            Op::I(I::Drop),
            Op::I(I::End),
            Op::I(I::End),
        ];
        let dropped = [
            Op::I(I::I32Eqz),
            Op::I(I::BrIf(0)),
            Op::I(I::End),
            Op::I(I::End),
        ];
        let returned_through_the_frame = [
            Op::I(I::End),
            Op::I(I::LocalGet(1)),
            Op::I(I::I32Const(16)),
            Op::I(I::I32Add),
            Op::GlobalSet(GlobalRef::StackPointer),
            Op::I(I::End),
        ];
        let returned_past_the_exit = [
            Op::I(I::Br(0)),
            Op::I(I::End),
            Op::I(I::I32Const(0)),
            Op::I(I::End),
            Op::I(I::End),
        ];
        for after in [
            &kept[..],
            &dropped,
            &returned_through_the_frame,
            &returned_past_the_exit,
        ] {
            let funcs = [call_then(Helper::Call, after)];
            assert_eq!(functions(&funcs, Abi::Extended), Ok(()), "{after:?}");
        }
    }

    #[test]
    fn an_unchecked_throwing_call_is_an_internal_error() {
        let stored = [
            Op::I(I::LocalSet(1)),
            Op::I(I::LocalGet(1)),
            Op::I(I::End),
            Op::I(I::End),
        ];
        let funcs = [func(vec![]), call_then(Helper::MakeList, &stored)];
        assert_eq!(
            functions(&funcs, Abi::Extended),
            Err("function 1, instruction 2: the result of `jank_make_list`, which may throw, is not NULL-checked".to_string())
        );
        let returned_but_replaced = [
            Op::I(I::LocalGet(1)),
            Op::I(I::I32Const(16)),
            Op::I(I::I32Add),
            Op::GlobalSet(GlobalRef::StackPointer),
            Op::I(I::Drop),
            Op::I(I::LocalGet(1)),
            Op::I(I::End),
        ];
        assert!(functions(
            &[call_then(Helper::Call, &returned_but_replaced)],
            Abi::Extended
        )
        .is_err());
        let nothrow = [call_then(Helper::BoxInteger, &stored)];
        assert_eq!(functions(&nothrow, Abi::Extended), Ok(()));
    }

    #[test]
    fn a_seed_patch_may_call_only_seed_helpers() {
        let after = [
            Op::I(I::I32Eqz),
            Op::I(I::BrIf(0)),
            Op::I(I::End),
            Op::I(I::End),
        ];
        assert_eq!(
            functions(&[call_then(Helper::Call, &after)], Abi::Seed),
            Err("function 0 calls `jank_call` in a seed patch".to_string())
        );
        assert_eq!(
            functions(&[call_then(Helper::CallVar, &after)], Abi::Seed),
            Ok(())
        );
    }

    fn module_importing(name: &str, params: &[ValType], results: &[ValType]) -> Vec<u8> {
        let mut types = TypeSection::new();
        types
            .ty()
            .function(params.iter().copied(), results.iter().copied());
        let mut imports = ImportSection::new();
        imports.import("env", name, EntityType::Function(0));
        let mut module = Module::new();
        module.section(&types).section(&imports);
        module.finish()
    }

    #[test]
    fn imports_must_have_the_headers_signatures() {
        let right = module_importing("jank_unbox_integer", &[ValType::I32], &[ValType::I64]);
        assert_eq!(imports(&right, Abi::Seed), Ok(()));
        let wrong = module_importing("jank_unbox_integer", &[ValType::I32], &[ValType::I32]);
        assert_eq!(
            imports(&wrong, Abi::Extended),
            Err("imports `jank_unbox_integer` as (func (param i32) (result i32)), but the header declares `int64_t jank_unbox_integer(jank_object_ref value);`".to_string())
        );
        let janks_throw = module_importing("jank_throw", &[ValType::I32], &[]);
        assert_eq!(
            imports(&janks_throw, Abi::Extended),
            Err("imports `jank_throw`, which jank_patch_abi.h does not declare".to_string())
        );
        let extension = module_importing("jank_exception_set", &[ValType::I32], &[]);
        assert_eq!(imports(&extension, Abi::Extended), Ok(()));
        assert_eq!(
            imports(&extension, Abi::Seed),
            Err("a seed patch imports the extension helper `jank_exception_set`".to_string())
        );
    }
}
