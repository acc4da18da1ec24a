//! C++ text for functions, descriptors and the load-time initializer.
//! Every intermediate value is a temporary declared at the top of its
//! function, so the `goto`s that implement unwinding and `recur` never jump
//! over an initialization.

use crate::analyze::ast::*;
use crate::diag::{Failure, InternalError};
use crate::lower::plan::{
    catch_test, inline, letfn_back_patches, no_matching_clause_fns, Constant, Inline, Pool,
    NO_MATCHING_CLAUSE, NO_MATCHING_CLAUSE_CLASS,
};
use crate::source::{Pos, SourceFile};
use jank_runtime_abi::Helper;
use std::fmt::Write as _;

/// A C string literal with every byte outside printable ASCII escaped.
pub fn c_string(text: &str) -> String {
    let mut out = String::from("\"");
    for byte in text.bytes() {
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'?' => out.push_str("\\?"),
            0x20..=0x7e => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\{byte:03o}");
            }
        }
    }
    out.push('"');
    out
}

/// A local's name as a C identifier: unique by id, readable by its jank name.
fn munge(id: LocalId, name: &str) -> String {
    let mut out = format!("l{}_", id.0);
    for c in name.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' => out.push(c),
            '-' | '_' => out.push('_'),
            '?' => out.push_str("_Q"),
            '!' => out.push_str("_B"),
            '*' => out.push_str("_S"),
            '>' => out.push_str("_GT"),
            '<' => out.push_str("_LT"),
            '=' => out.push_str("_EQ"),
            '+' => out.push_str("_PLUS"),
            '%' => out.push_str("_PCT"),
            '&' => out.push_str("_AMP"),
            '#' => out.push_str("_H"),
            '.' => out.push_str("_DOT"),
            '\'' => out.push_str("_QUOTE"),
            other => {
                let _ = write!(out, "_u{:x}", other as u32);
            }
        }
    }
    out
}

pub struct CppModule<'u> {
    source: &'u SourceFile,
    local_names: &'u LocalNames,
    pub pool: Pool,
    declarations: Vec<String>,
    descriptors: Vec<String>,
    functions: Vec<String>,
    next_function: u32,
}

type Result<T> = std::result::Result<T, Failure>;

impl<'u> CppModule<'u> {
    pub fn new(source: &'u SourceFile, local_names: &'u LocalNames) -> Self {
        Self {
            source,
            local_names,
            pool: Pool::default(),
            declarations: Vec::new(),
            descriptors: Vec::new(),
            functions: Vec::new(),
            next_function: 0,
        }
    }

    /// A compiler bug found while emitting the form at `pos`.
    fn internal(&self, pos: Pos, message: impl Into<String>) -> Failure {
        InternalError::new(self.source, pos, message).into()
    }

    fn function_name(&mut self) -> String {
        self.next_function += 1;
        format!("jank_fn_{}", self.next_function - 1)
    }

    /// A `void *f(void)` thunk computing `expr`; returns its name.
    pub fn thunk(&mut self, expr: &Expr) -> Result<String> {
        let name = self.function_name();
        let mut emitter = FnEmitter::new(self);
        let value = emitter.expr(expr)?;
        let text = emitter.finish(&format!("static void *{name}(void)"), &value);
        self.declarations
            .push(format!("static void *{name}(void);"));
        self.functions.push(text);
        Ok(name)
    }

    /// A seed-style `void *f(void *p0..)` for a plain fn; returns its name.
    pub fn plain_fn(&mut self, function: &FnExpr) -> Result<String> {
        self.arity(function, &function.arities[0], false)
    }

    fn arity(&mut self, function: &FnExpr, arity: &Arity, with_self: bool) -> Result<String> {
        let name = self.function_name();
        let mut params = Vec::new();
        if with_self {
            params.push("void *self".to_string());
        }
        let mut emitter = FnEmitter::new(self);
        let mut recur_vars = Vec::new();
        for param in arity.params.iter().chain(arity.rest.iter()) {
            let c_name = emitter.bind(*param);
            params.push(format!("void *{c_name}"));
            recur_vars.push(c_name);
        }
        if let (Some(self_local), true) = (function.self_local, with_self) {
            emitter.names.insert(self_local, "self".to_string());
        }
        if !function.captures.is_empty() {
            emitter.line("void **env = jank_closure_env(self);".to_string());
            for (slot, captured) in function.captures.iter().enumerate() {
                let c_name = emitter.declare_local(*captured);
                emitter.line(format!("{c_name} = env[{slot}];"));
            }
        }
        emitter.line("recur_top:;".to_string());
        emitter
            .recur
            .push((RecurTarget::FnArity, "recur_top".to_string(), recur_vars));
        let value = emitter.expr(&arity.body)?;
        let signature = format!(
            "void *{name}({})",
            if params.is_empty() {
                "void".to_string()
            } else {
                params.join(", ")
            }
        );
        let text = emitter.finish(&format!("static {signature}"), &value);
        self.declarations.push(format!("static {signature};"));
        self.functions.push(text);
        Ok(name)
    }

    /// Compiles every arity and writes the descriptor; returns its index.
    fn descriptor(&mut self, function: &FnExpr) -> Result<u32> {
        let mut arities = Vec::new();
        for arity in &function.arities {
            let name = self.arity(function, arity, true)?;
            arities.push(format!(
                "{{{}, {}, (void *){name}}}",
                arity.params.len(),
                u32::from(arity.rest.is_some())
            ));
        }
        let index = self.descriptors.len() as u32;
        self.descriptors.push(format!(
            "static struct {{ const char *name; int32_t arity_count; jank_arity arities[{count}]; }} jank_desc_{index} = {{{}, {count}, {{{}}}}};",
            c_string(&function.name),
            arities.join(", "),
            count = arities.len(),
        ));
        Ok(index)
    }

    /// Declarations, descriptors, functions and the initializer, in that order.
    pub fn finish(mut self) -> String {
        let mut init = FnEmitter::new(&mut self);
        for index in 0..init.module.pool.vars.len() {
            let var = init.module.pool.vars[index].clone();
            let handle = init.helper(
                Helper::VarInternC,
                &[c_string(&var.ns), c_string(&var.name)],
            );
            init.line(format!("jank_var_{index} = {handle};"));
        }
        for index in 0..init.module.pool.constants.len() {
            let constant = init.module.pool.constants[index].clone();
            let value = init.create_constant(&constant);
            init.line(format!("jank_const_{index} = {value};"));
        }
        let init_text =
            init.finish_void("__attribute__((constructor)) static void jank_patch_init(void)");
        let mut out = String::new();
        for index in 0..self.pool.vars.len() {
            let _ = writeln!(out, "static void *jank_var_{index};");
        }
        for index in 0..self.pool.constants.len() {
            let _ = writeln!(out, "static void *jank_const_{index};");
        }
        for declaration in &self.declarations {
            let _ = writeln!(out, "{declaration}");
        }
        out.push('\n');
        for descriptor in &self.descriptors {
            let _ = writeln!(out, "{descriptor}");
        }
        out.push('\n');
        for function in &self.functions {
            let _ = writeln!(out, "{function}");
        }
        out.push_str(&init_text);
        out.push('\n');
        out
    }
}

/// Emits one function body.
struct FnEmitter<'m, 'u> {
    module: &'m mut CppModule<'u>,
    lines: Vec<String>,
    temps: u32,
    names: std::collections::HashMap<LocalId, String>,
    declared_locals: Vec<String>,
    throw_label: String,
    labels: u32,
    recur: Vec<(RecurTarget, String, Vec<String>)>,
    indent: usize,
}

impl<'m, 'u> FnEmitter<'m, 'u> {
    fn new(module: &'m mut CppModule<'u>) -> Self {
        Self {
            module,
            lines: Vec::new(),
            temps: 0,
            names: std::collections::HashMap::new(),
            declared_locals: Vec::new(),
            throw_label: "unwind".to_string(),
            labels: 0,
            recur: Vec::new(),
            indent: 1,
        }
    }

    fn line(&mut self, text: String) {
        self.lines
            .push(format!("{}{text}", "    ".repeat(self.indent)));
    }

    fn temp(&mut self) -> String {
        self.temps += 1;
        format!("t{}", self.temps)
    }

    fn label(&mut self, kind: &str) -> String {
        self.labels += 1;
        format!("{kind}_{}", self.labels)
    }

    /// Names a parameter.
    fn bind(&mut self, id: LocalId) -> String {
        let name = munge(id, self.module.local_names.name(id));
        self.names.insert(id, name.clone());
        name
    }

    /// Names a local declared at the top of the function. A `finally` body
    /// is emitted twice (normal and unwinding exit); its locals are declared
    /// once and shared, since only one of the two copies ever runs.
    fn declare_local(&mut self, id: LocalId) -> String {
        let name = self.bind(id);
        if !self.declared_locals.contains(&name) {
            self.declared_locals.push(name.clone());
        }
        name
    }

    fn finish(self, signature: &str, value: &str) -> String {
        let mut out = format!("{signature}\n{{\n");
        self.declarations(&mut out);
        for line in &self.lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = write!(out, "    return {value};\nunwind:\n    return 0;\n}}\n");
        out
    }

    fn finish_void(self, signature: &str) -> String {
        let mut out = format!("{signature}\n{{\n");
        self.declarations(&mut out);
        for line in &self.lines {
            let _ = writeln!(out, "{line}");
        }
        out.push_str("    return;\nunwind:\n    return;\n}\n");
        out
    }

    fn declarations(&self, out: &mut String) {
        let mut names: Vec<String> = (1..=self.temps).map(|t| format!("t{t}")).collect();
        names.extend(self.declared_locals.iter().cloned());
        if !names.is_empty() {
            let _ = writeln!(out, "    void *{};", names.join(", *"));
        }
    }

    /// Calls a helper that returns a value into a new temporary, followed by
    /// the unwinding check when the header says it may throw; returns the temporary.
    fn helper(&mut self, helper: Helper, args: &[String]) -> String {
        let call = helper_call(helper, args);
        let temp = self.unchecked(call);
        self.check_thrown(helper, &temp);
        temp
    }

    /// Calls a `void` helper as a statement.
    fn helper_statement(&mut self, helper: Helper, args: &[String]) {
        self.line(format!("{};", helper_call(helper, args)));
    }

    fn check_thrown(&mut self, helper: Helper, temp: &str) {
        if helper.may_throw() {
            let label = self.throw_label.clone();
            self.line(format!("if (!{temp}) goto {label};"));
        }
    }

    fn unchecked(&mut self, call: String) -> String {
        let temp = self.temp();
        self.line(format!("{temp} = {call};"));
        temp
    }

    fn constant(&mut self, constant: &Const) -> String {
        format!("jank_const_{}", self.module.pool.constant(constant))
    }

    fn var(&mut self, var: &VarRef) -> String {
        format!("jank_var_{}", self.module.pool.var(var))
    }

    fn truthy(&mut self, value: &str) -> String {
        let nil = self.constant(&Const::Nil);
        let falsy = self.constant(&Const::Bool(false));
        format!("({value} != {nil} && {value} != {falsy})")
    }

    fn boolean(&mut self, condition: &str) -> String {
        let yes = self.constant(&Const::Bool(true));
        let no = self.constant(&Const::Bool(false));
        format!("(({condition}) ? {yes} : {no})")
    }

    /// Evaluates `exprs` into temporaries.
    fn values(&mut self, exprs: &[Expr]) -> Result<Vec<String>> {
        let mut values = Vec::with_capacity(exprs.len());
        for expr in exprs {
            let value = self.expr(expr)?;
            let temp = self.unchecked(value);
            values.push(temp);
        }
        Ok(values)
    }

    /// `helper(leading.., count, {values})` in its own block so the array's
    /// initialization is never jumped over, then the unwinding check when it may throw.
    fn with_array(
        &mut self,
        helper: Helper,
        leading: &[String],
        count: usize,
        values: &[String],
    ) -> String {
        let temp = self.temp();
        let mut args = leading.to_vec();
        args.push(count.to_string());
        if values.is_empty() {
            args.push("0".to_string());
            self.line(format!("{temp} = {};", helper_call(helper, &args)));
        } else {
            args.push("args".to_string());
            self.line(format!(
                "{{ void *args[] = {{{}}}; {temp} = {}; }}",
                values.join(", "),
                helper_call(helper, &args)
            ));
        }
        self.check_thrown(helper, &temp);
        temp
    }

    fn expr(&mut self, expr: &Expr) -> Result<String> {
        Ok(match &expr.kind {
            ExprKind::Const(constant) => self.constant(constant),
            ExprKind::Vector(items) => {
                let values = self.values(items)?;
                self.with_array(Helper::MakeVector, &[], values.len(), &values)
            }
            ExprKind::Set(items) => {
                let values = self.values(items)?;
                self.with_array(Helper::MakeSet, &[], values.len(), &values)
            }
            ExprKind::Map(entries) => {
                let flat: Vec<Expr> = entries
                    .iter()
                    .flat_map(|(k, v)| [k.clone(), v.clone()])
                    .collect();
                let values = self.values(&flat)?;
                self.with_array(Helper::MakeMap, &[], entries.len(), &values)
            }
            ExprKind::Local(id) => self.names.get(id).cloned().ok_or_else(|| {
                self.module.internal(
                    expr.pos,
                    format!(
                        "local `{}` has no storage in this function",
                        self.module.local_names.name(*id)
                    ),
                )
            })?,
            ExprKind::VarValue(var) => {
                let handle = self.var(var);
                self.helper(Helper::VarDeref, &[handle])
            }
            ExprKind::TheVar(var) => self.var(var),
            ExprKind::Def { var, init, once } => {
                let handle = self.var(var);
                match init {
                    None => handle,
                    Some(init) => {
                        let result = self.temp();
                        if *once {
                            let is_bound =
                                helper_call(Helper::VarIsBound, std::slice::from_ref(&handle));
                            let nil = self.constant(&Const::Nil);
                            self.line(format!("if ({is_bound}) {result} = {nil}; else {{"));
                            self.indent += 1;
                        }
                        let value = self.expr(init)?;
                        let bound = self.helper(Helper::VarBindRoot, &[handle, value]);
                        self.line(format!("{result} = {bound};"));
                        if *once {
                            self.indent -= 1;
                            self.line("}".to_string());
                        }
                        result
                    }
                }
            }
            ExprKind::Fn(function) => self.make_fn(function)?,
            ExprKind::Call { callee, args } => {
                let callee = match &callee.kind {
                    ExprKind::VarValue(var) => self.var(var),
                    _ => {
                        let value = self.expr(callee)?;
                        self.unchecked(value)
                    }
                };
                let values = self.values(args)?;
                self.with_array(Helper::Call, &[callee], values.len(), &values)
            }
            ExprKind::Intrinsic { op, args } => self.intrinsic(*op, args)?,
            ExprKind::If {
                test,
                then,
                otherwise,
            } => {
                let test = self.expr(test)?;
                let test = self.truthy(&test);
                let result = self.temp();
                self.line(format!("if {test} {{"));
                self.indent += 1;
                let then = self.expr(then)?;
                self.line(format!("{result} = {then};"));
                self.indent -= 1;
                self.line("} else {".to_string());
                self.indent += 1;
                let otherwise = self.expr(otherwise)?;
                self.line(format!("{result} = {otherwise};"));
                self.indent -= 1;
                self.line("}".to_string());
                result
            }
            ExprKind::Do { statements, ret } => {
                for statement in statements {
                    let value = self.expr(statement)?;
                    self.line(format!("(void){value};"));
                }
                self.expr(ret)?
            }
            ExprKind::Let { bindings, body } => {
                for (id, init) in bindings {
                    let value = self.expr(init)?;
                    let name = self.declare_local(*id);
                    self.line(format!("{name} = {value};"));
                }
                self.expr(body)?
            }
            ExprKind::Loop { id, bindings, body } => {
                let mut vars = Vec::new();
                for (local, init) in bindings {
                    let value = self.expr(init)?;
                    let name = self.declare_local(*local);
                    self.line(format!("{name} = {value};"));
                    vars.push(name);
                }
                let label = self.label("loop");
                self.line(format!("{label}:;"));
                self.recur.push((RecurTarget::Loop(*id), label, vars));
                let value = self.expr(body)?;
                self.recur.pop();
                value
            }
            ExprKind::Recur { target, args } => {
                let values = self.values(args)?;
                let Some((_, label, vars)) = self
                    .recur
                    .iter()
                    .rev()
                    .find(|(t, _, _)| t == target)
                    .cloned()
                else {
                    return Err(self.module.internal(expr.pos, "recur target not found"));
                };
                for (var, value) in vars.iter().zip(&values) {
                    self.line(format!("{var} = {value};"));
                }
                self.line(format!("goto {label};"));
                self.constant(&Const::Nil)
            }
            ExprKind::LetFn { bindings, body } => {
                let nil = self.constant(&Const::Nil);
                let mut names = Vec::new();
                for (id, _) in bindings {
                    let name = self.declare_local(*id);
                    self.line(format!("{name} = {nil};"));
                    names.push(name);
                }
                for ((_, function), name) in bindings.iter().zip(&names) {
                    let value = self.make_fn(function)?;
                    self.line(format!("{name} = {value};"));
                }
                for (fn_index, slot, sibling_index) in letfn_back_patches(bindings) {
                    let env =
                        helper_call(Helper::ClosureEnv, std::slice::from_ref(&names[fn_index]));
                    self.line(format!("{env}[{slot}] = {};", names[sibling_index]));
                }
                self.expr(body)?
            }
            ExprKind::Throw(value) => {
                let value = self.expr(value)?;
                let label = self.throw_label.clone();
                self.helper_statement(Helper::ExceptionSet, &[value]);
                self.line(format!("goto {label};"));
                self.constant(&Const::Nil)
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
        })
    }

    fn make_fn(&mut self, function: &FnExpr) -> Result<String> {
        let desc = self.module.descriptor(function)?;
        if function.captures.is_empty() {
            let index = self.module.pool.fn_constant(Constant::Fn { desc });
            return Ok(format!("jank_const_{index}"));
        }
        let mut env = Vec::new();
        for captured in &function.captures {
            let name = self.names.get(captured).cloned().ok_or_else(|| {
                self.module
                    .internal(function.pos, "captured local has no storage")
            })?;
            env.push(name);
        }
        Ok(self.with_array(Helper::MakeFn, &[descriptor_address(desc)], env.len(), &env))
    }

    fn intrinsic(&mut self, op: Intrinsic, args: &[Expr]) -> Result<String> {
        let values = self.values(args)?;
        Ok(match inline(op) {
            Inline::Helper(helper) | Inline::Comparison(helper) => self.helper(helper, &values),
            Inline::Equiv => self.boolean(&helper_call(Helper::Equiv, &values)),
            Inline::Identical => self.boolean(&format!("{} == {}", values[0], values[1])),
            Inline::IsNil => {
                let nil = self.constant(&Const::Nil);
                self.boolean(&format!("{} == {nil}", values[0]))
            }
            Inline::Not => {
                let truthy = self.truthy(&values[0]);
                self.boolean(&format!("!{truthy}"))
            }
        })
    }

    fn try_expr(
        &mut self,
        body: &Expr,
        catches: &[Catch],
        finally: Option<&Expr>,
    ) -> Result<String> {
        if catches.is_empty() && finally.is_none() {
            return self.expr(body);
        }
        let outer = self.throw_label.clone();
        let caught = self.label("caught");
        let unwinding = self.label("unwinding");
        let normal = self.label("normal");
        let result = self.temp();
        self.throw_label = caught.clone();
        let value = self.expr(body)?;
        self.line(format!("{result} = {value};"));
        self.line(format!("goto {normal};"));
        self.line(format!("{caught}:;"));
        self.throw_label = unwinding.clone();
        let thrown = self.helper(Helper::ExceptionTake, &[]);
        for catch in catches {
            let name = self.declare_local(catch.local);
            let test = catch_test(catch.class);
            if let Some((test, leading)) = &test {
                let test = self.var(test);
                let nil = self.constant(&Const::Nil);
                let mut arguments = Vec::new();
                if let Some(leading) = leading {
                    arguments.push(self.constant(leading));
                }
                arguments.push(thrown.clone());
                let answer = self.with_array(Helper::Call, &[test], arguments.len(), &arguments);
                self.line(format!("if ({answer} != {nil}) {{"));
                self.indent += 1;
            }
            self.line(format!("{name} = {thrown};"));
            let value = self.expr(&catch.body)?;
            self.line(format!("{result} = {value};"));
            self.line(format!("goto {normal};"));
            if test.is_some() {
                self.indent -= 1;
                self.line("}".to_string());
            }
        }
        self.helper_statement(Helper::ExceptionSet, std::slice::from_ref(&thrown));
        self.line(format!("{unwinding}:;"));
        self.throw_label = outer.clone();
        if let Some(finally) = finally {
            let pending = self.helper(Helper::ExceptionTake, &[]);
            let value = self.expr(finally)?;
            self.line(format!("(void){value};"));
            self.helper_statement(Helper::ExceptionSet, &[pending]);
        }
        self.line(format!("goto {outer};"));
        self.line(format!("{normal}:;"));
        if let Some(finally) = finally {
            let value = self.expr(finally)?;
            self.line(format!("(void){value};"));
        }
        Ok(result)
    }

    fn case(
        &mut self,
        test: &Expr,
        clauses: &[CaseClause],
        default: Option<&Expr>,
    ) -> Result<String> {
        let value = self.expr(test)?;
        let value = self.unchecked(value);
        let result = self.temp();
        for clause in clauses {
            let mut tests = Vec::new();
            for constant in &clause.tests {
                let constant = self.constant(constant);
                tests.push(helper_call(Helper::Equiv, &[value.clone(), constant]));
            }
            self.line(format!("if ({}) {{", tests.join(" || ")));
            self.indent += 1;
            let body = self.expr(&clause.body)?;
            self.line(format!("{result} = {body};"));
            self.indent -= 1;
            self.line("} else {".to_string());
            self.indent += 1;
        }
        match default {
            Some(default) => {
                let body = self.expr(default)?;
                self.line(format!("{result} = {body};"));
            }
            None => {
                let (str_fn, new_throwable_fn) = no_matching_clause_fns();
                let prefix = self.constant(&Const::Str(NO_MATCHING_CLAUSE.to_string()));
                let str_var = self.var(&str_fn);
                let message =
                    self.with_array(Helper::Call, &[str_var], 2, &[prefix, value.clone()]);
                let class = self.constant(&Const::Str(NO_MATCHING_CLAUSE_CLASS.to_string()));
                let new_throwable = self.var(&new_throwable_fn);
                let error = self.with_array(Helper::Call, &[new_throwable], 2, &[class, message]);
                let label = self.throw_label.clone();
                self.helper_statement(Helper::ExceptionSet, &[error]);
                self.line(format!("goto {label};"));
            }
        }
        for _ in clauses {
            self.indent -= 1;
            self.line("}".to_string());
        }
        Ok(result)
    }

    fn create_constant(&mut self, constant: &Constant) -> String {
        match constant {
            Constant::Fn { desc } => self.helper(
                Helper::MakeFn,
                &[descriptor_address(*desc), "0".to_string(), "0".to_string()],
            ),
            Constant::Wrapper { function, arity } => self.helper(
                Helper::MakeFnWrapper,
                &[format!("(void *)jank_fn_{function}"), arity.to_string()],
            ),
            Constant::Value(value) => self.create_value(value),
        }
    }

    fn create_value(&mut self, value: &Const) -> String {
        let (helper, args) = match value {
            Const::Occurrence { value, .. } => return self.create_value(value),
            Const::Nil => (Helper::NilValue, Vec::new()),
            Const::Bool(b) => (Helper::BoxBoolean, vec![i32::from(*b).to_string()]),
            Const::Int(i) => (Helper::BoxInteger, vec![int64_literal(*i)]),
            Const::BigInt(digits) => (Helper::BigIntegerCreate, vec![c_string(digits)]),
            Const::BigDecimal(digits) => (Helper::BigDecimalCreate, vec![c_string(digits)]),
            Const::Uuid(uuid) => (Helper::MakeUuid, vec![c_string(&uuid.text())]),
            Const::Ratio(numerator, denominator) => {
                let parts = [*numerator, *denominator]
                    .map(|part| self.helper(Helper::BoxInteger, &[int64_literal(part)]));
                (Helper::RatioCreate, parts.to_vec())
            }
            Const::Double(d) if d.is_nan() => {
                (Helper::BoxDouble, vec!["__builtin_nan(\"\")".to_string()])
            }
            Const::Double(d) if d.is_infinite() => (
                Helper::BoxDouble,
                vec![format!(
                    "{}__builtin_inf()",
                    if *d < 0.0 { "-" } else { "" }
                )],
            ),
            Const::Double(d) => (Helper::BoxDouble, vec![format!("{d:?}")]),
            Const::Char(c) => (Helper::MakeChar, vec![(*c as u32).to_string()]),
            Const::Str(s) => (Helper::MakeStringN, vec![c_string(s), s.len().to_string()]),
            Const::Regex { source, .. } => (
                Helper::MakeRegex,
                vec![c_string(source), source.len().to_string()],
            ),
            Const::Keyword(name) | Const::Symbol(name) => (
                if matches!(value, Const::Keyword(_)) {
                    Helper::MakeKeyword
                } else {
                    Helper::MakeSymbol
                },
                vec![
                    c_string(name.ns.as_deref().unwrap_or("")),
                    c_string(&name.name),
                ],
            ),
            Const::List(items) | Const::Vector(items) | Const::Set(items) => {
                let values: Vec<String> = items.iter().map(|item| self.constant(item)).collect();
                let helper = match value {
                    Const::List(_) => Helper::MakeList,
                    Const::Vector(_) => Helper::MakeVector,
                    _ => Helper::MakeSet,
                };
                return self.with_array(helper, &[], values.len(), &values);
            }
            Const::Map(entries) => {
                let values: Vec<String> = entries
                    .iter()
                    .flat_map(|(k, v)| [self.constant(k), self.constant(v)])
                    .collect();
                return self.with_array(Helper::MakeMap, &[], entries.len(), &values);
            }
        };
        self.helper(helper, &args)
    }
}

/// `name(args..)` for a helper; the caller decides what to do with its result.
fn helper_call(helper: Helper, args: &[String]) -> String {
    debug_assert_eq!(
        helper.params().len(),
        args.len(),
        "{}",
        helper.c_declaration()
    );
    format!("{}({})", helper.name(), args.join(", "))
}

/// An int64_t literal (INT64_MIN has no literal of its own in C).
fn int64_literal(value: i64) -> String {
    if value == i64::MIN {
        "INT64_MIN".to_string()
    } else {
        format!("INT64_C({value})")
    }
}

/// A fn descriptor's address as `jank_make_fn` takes it.
fn descriptor_address(desc: u32) -> String {
    format!("(const jank_fn_desc *)&jank_desc_{desc}")
}
