//! What both backends agree on before they emit anything: which registry
//! entry each top-level form becomes, and with which signature
//! (runtime-abi/jank_patch_abi.h, "Registry"); how clojure.core's inlined fns
//! map to helpers; what `case` throws without a match; how a `catch` of
//! ExceptionInfo tests the thrown value; which closure slots `letfn` fills in.

use crate::analyze::ast::{
    CatchClass, Const, Expr, ExprKind, FnExpr, Intrinsic, LocalId, TopLevel, VarRef,
};
use jank_runtime_abi::Helper;
use rustc_hash::FxHashMap;

/// How a top-level form reaches the registry.
pub enum EntryBody<'u> {
    /// Numeric signature: a bare `void *f(void *p0..)` the registry wraps (seed-compatible).
    PlainFn(&'u FnExpr),
    /// "def", "defonce" or "eval": a `void *f(void)` thunk.
    Thunk(&'u Expr),
}

pub struct PlannedEntry<'u> {
    pub qualified_name: String,
    pub signature: String,
    pub body: EntryBody<'u>,
}

/// A top-level form's part in the patch.
pub enum Planned<'u> {
    Entry(PlannedEntry<'u>),
    /// `(def x)`: the var is interned, nothing is bound.
    Declare(&'u VarRef),
}

pub fn plan(form: &TopLevel) -> Planned<'_> {
    match form {
        TopLevel::Def {
            var, init, once, ..
        } => match &init.kind {
            ExprKind::Fn(function) if function.is_plain() && !once => {
                Planned::Entry(PlannedEntry {
                    qualified_name: var.to_string(),
                    signature: function.arities[0].params.len().to_string(),
                    body: EntryBody::PlainFn(function),
                })
            }
            _ => Planned::Entry(PlannedEntry {
                qualified_name: var.to_string(),
                signature: if *once { "defonce" } else { "def" }.to_string(),
                body: EntryBody::Thunk(init),
            }),
        },
        TopLevel::Declare { var, .. } => Planned::Declare(var),
        TopLevel::Eval { ns, expr } => Planned::Entry(PlannedEntry {
            qualified_name: ns.clone(),
            signature: EVAL_SIGNATURE.to_string(),
            body: EntryBody::Thunk(expr),
        }),
    }
}

/// The registry signature of a form evaluated for its value.
pub const EVAL_SIGNATURE: &str = "eval";

/// A value a patch creates once, when it loads, and keeps.
#[derive(Debug, Clone, PartialEq)]
pub enum Constant {
    Value(Const),
    /// A fn without captures, made from the backend's descriptor number `desc`.
    Fn {
        desc: u32,
    },
    /// A seed-ABI fn: `jank_make_fn_wrapper` around the backend's function number `function`.
    Wrapper {
        function: u32,
        arity: u32,
    },
}

/// The patch's constants and var handles, each with a stable index; parts of
/// a collection constant always come before it, so creating them in index
/// order works.
#[derive(Debug, Default)]
pub struct Pool {
    pub constants: Vec<Constant>,
    pub vars: Vec<VarRef>,
    /// Each value constant's index by its printed structure (see
    /// `constant_key`), so a lookup costs one print, not one per constant.
    value_index: FxHashMap<String, u32>,
}

impl Pool {
    /// The index of `constant`, registering its parts first.
    pub fn constant(&mut self, constant: &Const) -> u32 {
        let key = constant_key(constant);
        if let Some(index) = self.value_index.get(&key) {
            return *index;
        }
        self.register_parts(constant);
        self.constants.push(Constant::Value(constant.clone()));
        let index = (self.constants.len() - 1) as u32;
        self.value_index.insert(key, index);
        index
    }

    /// Registers what `constant` is made of (an occurrence: the parts of
    /// the collection it stands for, which it makes itself).
    fn register_parts(&mut self, constant: &Const) {
        match constant {
            Const::List(items) | Const::Vector(items) | Const::Set(items) => {
                for item in items {
                    self.constant(item);
                }
            }
            Const::Map(entries) => {
                for (key, value) in entries {
                    self.constant(key);
                    self.constant(value);
                }
            }
            Const::Occurrence { value, .. } => self.register_parts(value),
            _ => {}
        }
    }

    /// Registers a made-once fn constant (`Constant::Fn` or `Constant::Wrapper`).
    pub fn fn_constant(&mut self, constant: Constant) -> u32 {
        self.constants.push(constant);
        (self.constants.len() - 1) as u32
    }

    /// The index of the handle of `var`.
    pub fn var(&mut self, var: &VarRef) -> u32 {
        if let Some(index) = self.vars.iter().position(|v| v == var) {
            return index as u32;
        }
        self.vars.push(var.clone());
        (self.vars.len() - 1) as u32
    }
}

/// Constants are the same when their printed structure is, so `0.0`/`-0.0`
/// and `1`/`1.0` stay distinct and NaN matches NaN.
fn constant_key(constant: &Const) -> String {
    format!("{constant:?}")
}

/// clojure.core vars the lowering itself calls.
pub fn core_var(name: &str) -> VarRef {
    VarRef {
        ns: "clojure.core".to_string(),
        name: name.to_string(),
    }
}

/// How the full helper set lowers one of clojure.core's inlined fns, its
/// arguments evaluated in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inline {
    /// A helper of the same arguments returns the value.
    Helper(Helper),
    /// A helper of the same arguments returns true or false (the header's
    /// comparisons), so a branch can test the answer against true alone.
    Comparison(Helper),
    /// `jank_equiv`'s 0 or 1, boxed as false or true.
    Equiv,
    /// The two values are the same object.
    Identical,
    /// The value is the nil constant.
    IsNil,
    /// The value is nil or false.
    Not,
}

pub fn inline(op: Intrinsic) -> Inline {
    match op {
        Intrinsic::Add => Inline::Helper(Helper::Add),
        Intrinsic::Subtract => Inline::Helper(Helper::Subtract),
        Intrinsic::Multiply => Inline::Helper(Helper::Multiply),
        Intrinsic::Divide => Inline::Helper(Helper::Divide),
        Intrinsic::Inc => Inline::Helper(Helper::Inc),
        Intrinsic::Dec => Inline::Helper(Helper::Dec),
        Intrinsic::Less => Inline::Comparison(Helper::Less),
        Intrinsic::LessEqual => Inline::Comparison(Helper::LessEqual),
        Intrinsic::Greater => Inline::Comparison(Helper::Greater),
        Intrinsic::GreaterEqual => Inline::Comparison(Helper::GreaterEqual),
        Intrinsic::NumberEqual => Inline::Comparison(Helper::NumberEqual),
        Intrinsic::Equiv => Inline::Equiv,
        Intrinsic::Identical => Inline::Identical,
        Intrinsic::IsNil => Inline::IsNil,
        Intrinsic::Not => Inline::Not,
    }
}

/// A `case` without a matching clause or default throws
/// `(jank.runtime/new-throwable NO_MATCHING_CLAUSE_CLASS (str NO_MATCHING_CLAUSE value))`:
/// Clojure's IllegalArgumentException "No matching clause: value".
pub const NO_MATCHING_CLAUSE: &str = "No matching clause: ";

/// The class of the no-matching-clause exception.
pub const NO_MATCHING_CLAUSE_CLASS: &str = "java.lang.IllegalArgumentException";

/// The fns that build the no-matching-clause exception: `str`, then
/// `jank.runtime/new-throwable` (called with the class's name and the message).
pub fn no_matching_clause_fns() -> (VarRef, VarRef) {
    (
        core_var("str"),
        VarRef {
            ns: "jank.runtime".into(),
            name: "new-throwable".into(),
        },
    )
}

/// How a catch clause that takes only some thrown values tests one: call
/// the var with the leading constant (if any) and the thrown value; the
/// clause takes it when the answer is not nil (`ex-data` for ExceptionInfo,
/// `jank.runtime/instance-or-nil` of the class's name for another class).
/// None for a clause that takes everything.
pub fn catch_test(class: CatchClass) -> Option<(VarRef, Option<Const>)> {
    match class {
        CatchClass::Any => None,
        CatchClass::ExceptionInfo => Some((core_var("ex-data"), None)),
        CatchClass::Class(name) => Some((
            VarRef {
                ns: "jank.runtime".into(),
                name: "instance-or-nil".into(),
            },
            Some(Const::Str(name.to_string())),
        )),
    }
}

/// For `letfn`: each fn is made with nil in the slots of its siblings, then
/// slot `slot` of binding `fn_index`'s environment is set to binding
/// `sibling_index`'s fn, for every (fn_index, slot, sibling_index) listed.
pub fn letfn_back_patches(bindings: &[(LocalId, FnExpr)]) -> Vec<(usize, usize, usize)> {
    let mut patches = Vec::new();
    for (fn_index, (_, function)) in bindings.iter().enumerate() {
        for (slot, captured) in function.captures.iter().enumerate() {
            if let Some(sibling_index) = bindings.iter().position(|(id, _)| id == captured) {
                patches.push((fn_index, slot, sibling_index));
            }
        }
    }
    patches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_constants_share_an_index_and_parts_come_first() {
        let mut pool = Pool::default();
        let one = Const::Int(1);
        let nested = Const::List(vec![one.clone(), Const::Vector(vec![one.clone()])]);
        let index = pool.constant(&nested);
        assert_eq!(pool.constant(&nested), index);
        assert_eq!(
            pool.constant(&one),
            0,
            "the innermost part was registered first"
        );
        assert_eq!(pool.constants.len(), 3, "1, [1] and (1 [1]), each once");
        assert_ne!(pool.constant(&Const::Double(1.0)), 0, "1.0 is not 1");
        assert_ne!(
            pool.constant(&Const::Double(-0.0)),
            pool.constant(&Const::Double(0.0))
        );
    }
}
