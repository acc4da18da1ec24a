//! Which reads of a local are its last: after one, no path through the fn
//! reads that local again, so its root slot can be cleared before a call
//! (as the JVM clears locals), and a seq a fn walks is not kept by the fn
//! that passed it on.
//!
//! Expressions are walked in evaluation order, which is a topological order
//! of every path through a fn body once loop back-edges are set aside: a read
//! with no later read in that order has no later read on any path, unless it
//! sits in a loop the local is bound outside of (the next iteration reads it
//! again). A local bound by a loop (or by the arity, whose body `recur` can
//! restart) is re-assigned before the next iteration reads it.

use crate::analyze::ast::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// The `ExprKind::Local` nodes of `body` (by address) that are their local's
/// last read; `params` are bound at the start of `body`, which may loop.
pub fn last_reads(params: &[LocalId], body: &Expr) -> FxHashSet<*const Expr> {
    let mut walk = Walk {
        depth: 1,
        ..Walk::default()
    };
    for param in params {
        walk.bound.insert(*param, 1);
    }
    walk.expr(body);
    walk.last
        .into_iter()
        .filter_map(|(local, read)| {
            let bound = walk.bound.get(&local).copied().unwrap_or(0);
            (read.depth == bound).then_some(read.node).flatten()
        })
        .collect()
}

/// The latest read of a local so far: its node (None for a read that is no
/// node of its own, such as a capture) and the loop depth it happened at.
struct Read {
    node: Option<*const Expr>,
    depth: u32,
}

#[derive(Default)]
struct Walk {
    depth: u32,
    /// The loop depth each local is bound at.
    bound: FxHashMap<LocalId, u32>,
    last: FxHashMap<LocalId, Read>,
}

impl Walk {
    fn read(&mut self, local: LocalId, node: Option<*const Expr>) {
        let depth = self.depth;
        self.last.insert(local, Read { node, depth });
    }

    fn bind(&mut self, local: LocalId) {
        self.bound.insert(local, self.depth);
    }

    fn exprs<'e>(&mut self, exprs: impl IntoIterator<Item = &'e Expr>) {
        for expr in exprs {
            self.expr(expr);
        }
    }

    /// Operands evaluated in order and used together (a call's fn and
    /// arguments, an intrinsic's or recur's arguments, a collection's
    /// items). A local read for an operand that waits while a later one may
    /// collect is read again once all are evaluated, as no node: its value
    /// is on the stack or in an argument array until then, so its slot must
    /// not be cleared by a later operand's read.
    fn operands<'e>(&mut self, operands: impl IntoIterator<Item = &'e Expr>) {
        let operands: Vec<&Expr> = operands.into_iter().collect();
        let last_collecting = operands.iter().rposition(|expr| super::may_collect(expr));
        self.exprs(operands.iter().copied());
        for expr in &operands[..last_collecting.unwrap_or(0)] {
            if let ExprKind::Local(local) = &expr.kind {
                self.read(*local, None);
            }
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Local(local) => self.read(*local, Some(expr as *const Expr)),
            ExprKind::Const(_) | ExprKind::VarValue(_) | ExprKind::TheVar(_) => {}
            ExprKind::Vector(items) | ExprKind::Set(items) => self.operands(items),
            ExprKind::Map(entries) => {
                self.operands(entries.iter().flat_map(|(key, value)| [key, value]))
            }
            ExprKind::Def { init, .. } => self.exprs(init.as_deref()),
            // Making a fn reads what it captures; its body runs elsewhere.
            ExprKind::Fn(function) => self.captures(function),
            ExprKind::Call { callee, args } => {
                self.operands(std::iter::once(&**callee).chain(args))
            }
            ExprKind::Intrinsic { args, .. } => self.operands(args),
            ExprKind::If {
                test,
                then,
                otherwise,
            } => self.exprs([&**test, &**then, &**otherwise]),
            ExprKind::Do { statements, ret } => {
                self.exprs(statements);
                self.expr(ret);
            }
            ExprKind::Let { bindings, body } => {
                for (local, init) in bindings {
                    self.expr(init);
                    self.bind(*local);
                }
                self.expr(body);
            }
            ExprKind::Loop { bindings, body, .. } => {
                for (_, init) in bindings {
                    self.expr(init);
                }
                self.depth += 1;
                for (local, _) in bindings {
                    self.bind(*local);
                }
                self.expr(body);
                self.depth -= 1;
            }
            ExprKind::Recur { args, .. } => self.operands(args),
            ExprKind::LetFn { bindings, body } => {
                for (local, _) in bindings {
                    self.bind(*local);
                }
                for (_, function) in bindings {
                    self.captures(function);
                }
                // Each fn's environment is patched with its siblings after all are made.
                for (local, _) in bindings {
                    self.read(*local, None);
                }
                self.expr(body);
            }
            ExprKind::Throw(value) => self.expr(value),
            ExprKind::Try {
                body,
                catches,
                finally,
            } => {
                self.expr(body);
                for catch in catches {
                    self.bind(catch.local);
                    self.expr(&catch.body);
                }
                self.exprs(finally.as_deref());
            }
            ExprKind::Case {
                test,
                clauses,
                default,
            } => {
                self.expr(test);
                self.exprs(clauses.iter().map(|clause| &clause.body));
                self.exprs(default.as_deref());
            }
        }
    }

    fn captures(&mut self, function: &FnExpr) {
        for local in &function.captures {
            self.read(*local, None);
        }
    }
}
