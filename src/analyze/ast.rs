//! The analyzed program: what the lowering backends consume. Every name is
//! resolved (locals to `LocalId`s, globals to `VarRef`s), every special form
//! is checked, and every node keeps the position of the source it came from.

use crate::read::Name;
use crate::source::Pos;

/// A local binding (parameter, let/loop/letfn binding, catch binding, fn self-name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalId(pub u32);

/// A fully qualified var.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarRef {
    pub ns: String,
    pub name: String,
}

impl std::fmt::Display for VarRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.ns, self.name)
    }
}

/// Compile-time constant data: literals and everything under `quote`.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Nil,
    Bool(bool),
    Int(i64),
    Double(f64),
    /// A BigInt literal (`12N`, or an integer too large for a long): its decimal digits.
    BigInt(String),
    /// A BigDecimal literal (`1.50M`): its text without the `M`.
    BigDecimal(String),
    /// A ratio literal in lowest terms, denominator > 1.
    Ratio(i64, i64),
    Char(char),
    Str(String),
    Keyword(Name),
    Symbol(Name),
    List(Vec<Const>),
    Vector(Vec<Const>),
    /// Key/value pairs in source order.
    Map(Vec<(Const, Const)>),
    Set(Vec<Const>),
    /// A java.util.UUID (`#uuid "..."`).
    Uuid(jank_runtime_abi::java_uuid::Uuid),
    /// A regex pattern from its java.util.regex source (checked to compile).
    /// Each literal is its own pattern object, as in Clojure, where
    /// `(= #"a" #"a")` is false: `literal` numbers the literals of a unit.
    Regex {
        source: String,
        literal: u32,
    },
    /// A non-empty collection written at one place in the source (a literal
    /// or a quoted form): each place makes its own value, as on the JVM,
    /// where `(identical? [1] [1])` is false and `(compare #{1} #{1})`
    /// throws. `literal` numbers them within a unit, as for regexes.
    Occurrence {
        value: Box<Const>,
        literal: u32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Const(Const),
    /// Collection literals with at least one non-constant element.
    Vector(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Set(Vec<Expr>),
    Local(LocalId),
    /// The value of a var (its root at the time of evaluation).
    VarValue(VarRef),
    /// `(var x)` / `#'x`: the var itself.
    TheVar(VarRef),
    /// A def that is not a top-level form (top-level defs become registry entries).
    Def {
        var: VarRef,
        init: Option<Box<Expr>>,
        once: bool,
    },
    Fn(Box<FnExpr>),
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
    },
    /// A clojure.core function Clojure inlines: lowered without a var call.
    Intrinsic {
        op: Intrinsic,
        args: Vec<Expr>,
    },
    If {
        test: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// Statements evaluated for effect, then the value of `ret`.
    Do {
        statements: Vec<Expr>,
        ret: Box<Expr>,
    },
    Let {
        bindings: Vec<(LocalId, Expr)>,
        body: Box<Expr>,
    },
    Loop {
        id: LoopId,
        bindings: Vec<(LocalId, Expr)>,
        body: Box<Expr>,
    },
    Recur {
        target: RecurTarget,
        args: Vec<Expr>,
    },
    LetFn {
        bindings: Vec<(LocalId, FnExpr)>,
        body: Box<Expr>,
    },
    Throw(Box<Expr>),
    Try {
        body: Box<Expr>,
        catches: Vec<Catch>,
        finally: Option<Box<Expr>>,
    },
    Case {
        test: Box<Expr>,
        clauses: Vec<CaseClause>,
        default: Option<Box<Expr>>,
    },
}

/// Identifies a `loop*` so `recur` can name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoopId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecurTarget {
    Loop(LoopId),
    /// The arity of the innermost fn.
    FnArity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intrinsic {
    Add,
    Subtract,
    Multiply,
    Divide,
    Inc,
    Dec,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    NumberEqual,
    Equiv,
    Identical,
    IsNil,
    Not,
}

impl Intrinsic {
    pub const ALL: [Intrinsic; 15] = [
        Intrinsic::Add,
        Intrinsic::Subtract,
        Intrinsic::Multiply,
        Intrinsic::Divide,
        Intrinsic::Inc,
        Intrinsic::Dec,
        Intrinsic::Less,
        Intrinsic::LessEqual,
        Intrinsic::Greater,
        Intrinsic::GreaterEqual,
        Intrinsic::NumberEqual,
        Intrinsic::Equiv,
        Intrinsic::Identical,
        Intrinsic::IsNil,
        Intrinsic::Not,
    ];

    /// Whether Clojure inlines a call with `argc` arguments (`+` folds any count from 2).
    pub fn accepts(self, argc: usize) -> bool {
        match self {
            Intrinsic::Add | Intrinsic::Subtract | Intrinsic::Multiply | Intrinsic::Divide => {
                argc >= 2
            }
            Intrinsic::Inc | Intrinsic::Dec | Intrinsic::IsNil | Intrinsic::Not => argc == 1,
            _ => argc == 2,
        }
    }

    /// The clojure.core function this stands for.
    pub fn core_name(self) -> &'static str {
        match self {
            Intrinsic::Add => "+",
            Intrinsic::Subtract => "-",
            Intrinsic::Multiply => "*",
            Intrinsic::Divide => "/",
            Intrinsic::Inc => "inc",
            Intrinsic::Dec => "dec",
            Intrinsic::Less => "<",
            Intrinsic::LessEqual => "<=",
            Intrinsic::Greater => ">",
            Intrinsic::GreaterEqual => ">=",
            Intrinsic::NumberEqual => "==",
            Intrinsic::Equiv => "=",
            Intrinsic::Identical => "identical?",
            Intrinsic::IsNil => "nil?",
            Intrinsic::Not => "not",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FnExpr {
    /// `ns/name` for printing and errors.
    pub name: String,
    /// The local a named `fn*` binds to itself.
    pub self_local: Option<LocalId>,
    pub arities: Vec<Arity>,
    /// Locals of enclosing scopes this fn reads, in env-slot order.
    pub captures: Vec<LocalId>,
    pub pos: Pos,
}

impl FnExpr {
    /// A fn a registry can bind from a bare function pointer: one fixed arity, no environment, no self reference.
    pub fn is_plain(&self) -> bool {
        self.captures.is_empty()
            && self.self_local.is_none()
            && matches!(self.arities.as_slice(), [arity] if arity.rest.is_none())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arity {
    pub params: Vec<LocalId>,
    pub rest: Option<LocalId>,
    pub body: Expr,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Catch {
    pub class: CatchClass,
    pub local: LocalId,
    pub body: Expr,
}

/// Which thrown values a catch clause takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchClass {
    /// `:default`, `Throwable`, `Exception`, `Object`: any thrown value.
    Any,
    /// `ExceptionInfo`: values made by `ex-info`.
    ExceptionInfo,
    /// Another Throwable class the runtime knows (`RuntimeException`,
    /// `ArithmeticException`, ...): what `instance?` of it accepts.
    Class(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseClause {
    pub tests: Vec<Const>,
    pub body: Expr,
}

/// One analyzed top-level form, in source order.
#[derive(Debug, Clone, PartialEq)]
pub enum TopLevel {
    /// `(def name init)`, `(defonce name init)`: a registry entry that binds the var.
    Def {
        var: VarRef,
        init: Expr,
        once: bool,
        pos: Pos,
    },
    /// `(def name)`: interns the var without binding it.
    Declare { var: VarRef, pos: Pos },
    /// Any other form: evaluated for its value in namespace `ns`.
    Eval { ns: String, expr: Expr },
}

/// Names of locals, indexed by `LocalId`, for readable generated code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalNames(pub Vec<String>);

impl LocalNames {
    pub fn name(&self, id: LocalId) -> &str {
        self.0
            .get(id.0 as usize)
            .map(String::as_str)
            .unwrap_or("local")
    }
}

/// What the analyzer hands a backend: the top-level forms of one patch.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub forms: Vec<TopLevel>,
    pub locals: LocalNames,
    /// The user macros its forms expanded (sorted, each once): what must
    /// be recompiled when one of them is redefined.
    pub macros_used: Vec<VarRef>,
}
