//! The fields of a `deftype` or `defrecord` inside its inline methods, which
//! the expander wraps in `(jank.runtime/type-fields* T this-param
//! [immutable-field*] [mutable-field index]* body)` (`expand::TYPE_FIELDS`).
//!
//! An immutable field is a local bound to its value when the method starts.
//! A mutable field (a deftype's `^:unsynchronized-mutable` or
//! `^:volatile-mutable` one) is no local: as in Clojure, where the method
//! reads the instance's field each time, every read is
//! `(jank.runtime/instance-field this-param index)` and `(set! field v)` is
//! `(jank.runtime/set-field! this-param index v)`, so a read sees what another
//! method or a later `set!` stored. A fn made inside the method (a `letfn`'s,
//! a `reify`'s methods, a lazy seq's body) captures the value the field has
//! when the fn is made, as Clojure closes over it like a local, and it
//! cannot `set!` it. Mutable fields are private to the
//! type's methods: there `(.-field x)` and `(set! (.-field x) v)` reach them,
//! anywhere else `(.-field x)` finds no such field, as the JVM's reflection.

use super::ast::*;
use super::{Analyzer, Binding, Ctx, Result, ScopeEntry};
use crate::read::{Form, FormKind, Name};
use crate::source::Pos;

/// A mutable field in scope: the local holding the instance (the method's
/// first parameter, by its generated name) and the field's index.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MutableField {
    instance: String,
    index: i64,
}

/// A mutable field whose value a fn captures, and the local holding it.
#[derive(Debug)]
pub(super) struct CapturedField {
    field: MutableField,
    local: LocalId,
}

/// A deftype or defrecord method body being analyzed.
#[derive(Debug)]
pub(super) struct TypeMethod {
    /// The class's name as the runtime has it (`my_app.core.Counter`).
    class_name: String,
    mutable_fields: Vec<String>,
}

/// Why `set!` of a field is refused, after Clojure's "Cannot assign to
/// non-mutable" (a message the rejected corpus matches).
const HOW_TO_MUTATE: &str =
    "only a deftype field declared ^:unsynchronized-mutable or ^:volatile-mutable can be set!";

impl Analyzer<'_> {
    /// `(jank.runtime/type-fields* T this-param [immutable-field*]
    /// [mutable-field index]* body)`: the body, with the mutable fields in
    /// scope and the immutable ones (bound just outside) known as fields.
    pub(super) fn analyze_type_fields(
        &mut self,
        form: &Form,
        args: &[Form],
        ctx: Ctx,
    ) -> Result<Expr> {
        const MALFORMED: &str =
            "malformed jank.runtime/type-fields*: it is written by deftype and defrecord";
        let [type_name, instance, immutable, mutable, body] = args else {
            return Err(self.error(form.pos, MALFORMED));
        };
        let (
            Some(type_name),
            Some(instance),
            FormKind::Vector(immutable),
            FormKind::Vector(mutable),
        ) = (
            type_name.as_symbol().filter(|n| n.ns.is_none()),
            instance.as_symbol().filter(|n| n.ns.is_none()),
            &immutable.kind,
            &mutable.kind,
        )
        else {
            return Err(self.error(form.pos, MALFORMED));
        };
        let mut immutable_locals = Vec::with_capacity(immutable.len());
        for field in immutable {
            match field
                .as_symbol()
                .and_then(|name| self.innermost(&name.name))
                .map(|entry| &entry.binding)
            {
                Some(Binding::Local(id)) => immutable_locals.push(*id),
                _ => return Err(self.error(field.pos, MALFORMED)),
            }
        }
        let mut mutable_fields = Vec::with_capacity(mutable.len() / 2);
        for pair in mutable.chunks(2) {
            match (
                pair[0].as_symbol().filter(|n| n.ns.is_none()),
                pair.get(1).map(|i| &i.kind),
            ) {
                (Some(name), Some(FormKind::Int(index))) => mutable_fields.push(ScopeEntry {
                    name: name.name.clone(),
                    binding: Binding::MutableField(MutableField {
                        instance: instance.name.clone(),
                        index: *index,
                    }),
                    fn_depth: self.fn_frames.len(),
                }),
                _ => return Err(self.error(pair[0].pos, MALFORMED)),
            }
        }
        self.immutable_field_locals.extend(immutable_locals);
        let scope_len = self.scope.len();
        let mutable_names = mutable_fields.iter().map(|f| f.name.clone()).collect();
        self.scope.extend(mutable_fields);
        self.type_methods.push(TypeMethod {
            class_name: format!(
                "{}.{}",
                self.namespaces.current().replace('-', "_"),
                type_name.name
            ),
            mutable_fields: mutable_names,
        });
        let result = self.analyze(body, ctx);
        self.type_methods.pop();
        self.scope.truncate(scope_len);
        result
    }

    /// The innermost scope entry named `name`.
    pub(super) fn innermost(&self, name: &str) -> Option<&ScopeEntry> {
        self.scope.iter().rev().find(|entry| entry.name == name)
    }

    /// A read of a mutable field: its instance's current value.
    fn read_mutable_field(&mut self, field: &MutableField, pos: Pos) -> Result<Expr> {
        let read = Form::list(
            vec![
                Form::symbol(Name::qualified("jank.runtime", "instance-field"), pos),
                Form::symbol(Name::bare(&field.instance), pos),
                Form::new(FormKind::Int(field.index), pos),
            ],
            pos,
        );
        self.analyze(&read, Ctx::expression())
    }

    /// The class whose methods are being analyzed, when `field` is one of
    /// its mutable fields: code there may read and set it by name.
    pub(super) fn mutable_field_owner(&self, field: &str) -> Option<String> {
        self.type_methods
            .last()
            .filter(|method| method.mutable_fields.iter().any(|f| f == field))
            .map(|method| method.class_name.clone())
    }

    /// A mutable field's value where it is read: in the method body itself
    /// the instance's current value; inside a fn made there (at any depth),
    /// a local holding the value the field had when the outermost such fn
    /// was made, as Clojure closes over a field. That fn's frame records the
    /// local, for `with_field_values` to bind where the fn is made.
    pub(super) fn mutable_field_value(&mut self, field: &MutableField, pos: Pos) -> Result<Expr> {
        let Some((bound_at, name)) =
            self.scope
                .iter()
                .rev()
                .find_map(|entry| match &entry.binding {
                    Binding::MutableField(bound) if bound == field => {
                        Some((entry.fn_depth, entry.name.clone()))
                    }
                    _ => None,
                })
        else {
            return Err(self.error(
                pos,
                format!("mutable field {} is out of scope", field.index),
            ));
        };
        let Some(frame) = self.fn_frames.get(bound_at) else {
            return self.read_mutable_field(field, pos);
        };
        let known = frame
            .field_values
            .iter()
            .find(|captured| captured.field == *field)
            .map(|captured| captured.local);
        let local = match known {
            Some(local) => local,
            None => {
                let local = LocalId(self.locals.0.len() as u32);
                self.locals.0.push(name);
                if let Some(frame) = self.fn_frames.get_mut(bound_at) {
                    frame.field_values.push(CapturedField {
                        field: field.clone(),
                        local,
                    });
                }
                local
            }
        };
        self.capture(local, bound_at);
        Ok(Expr {
            kind: ExprKind::Local(local),
            pos,
        })
    }

    /// `made`, a fn or a letfn made in a method body, after the locals
    /// holding the current values of the mutable fields its fns capture.
    pub(super) fn with_field_values(
        &mut self,
        captured: Vec<CapturedField>,
        made: Expr,
    ) -> Result<Expr> {
        if captured.is_empty() {
            return Ok(made);
        }
        let pos = made.pos;
        let mut bindings = Vec::with_capacity(captured.len());
        for CapturedField { field, local } in captured {
            bindings.push((local, self.read_mutable_field(&field, pos)?));
        }
        Ok(Expr {
            kind: ExprKind::Let {
                bindings,
                body: Box::new(made),
            },
            pos,
        })
    }

    /// `(set! name value)` where `name` is a local or a mutable field: the
    /// field's assignment inside its type's method body (not in a fn made
    /// there, as in Clojure); a local of any other kind is refused.
    pub(super) fn set_local(
        &mut self,
        name: &str,
        target: &Form,
        value: &Form,
        form: &Form,
        ctx: Ctx,
    ) -> Result<Expr> {
        let Some(entry) = self.innermost(name).cloned() else {
            return Err(self.error(target.pos, format!("no local {name}")));
        };
        match entry.binding {
            Binding::MutableField(field) if entry.fn_depth == self.fn_frames.len() => {
                let pos = form.pos;
                let set = Form::list(
                    vec![
                        Form::symbol(Name::qualified("jank.runtime", "set-field!"), pos),
                        Form::symbol(Name::bare(&field.instance), target.pos),
                        Form::new(FormKind::Int(field.index), target.pos),
                        value.clone(),
                    ],
                    pos,
                );
                self.analyze(&set, ctx)
            }
            Binding::MutableField(_) => Err(self.error(
                target.pos,
                format!("cannot assign to non-mutable: {name} (a fn made inside a method captures the mutable field's value: set! it in the method itself)"),
            )),
            Binding::Local(id) => {
                let why = if self.immutable_field_locals.contains(&id) {
                    format!(" ({name} is an immutable field: {HOW_TO_MUTATE})")
                } else {
                    String::new()
                };
                Err(self.error(
                    target.pos,
                    format!("cannot assign to non-mutable: {name}{why}"),
                ))
            }
        }
    }

    /// `(set! (.-field x) value)`: inside the methods of a type declaring
    /// `field` mutable, the assignment of that field of `x` (an instance of
    /// the type); anywhere else a compile error.
    pub(super) fn set_field_named(
        &mut self,
        field: &str,
        instance: &Form,
        target: &Form,
        value: &Form,
        form: &Form,
        ctx: Ctx,
    ) -> Result<Expr> {
        let Some(owner) = self.mutable_field_owner(field) else {
            let why = match self.type_methods.last() {
                Some(method) => format!(
                    "{field} is not a mutable field of {} ({HOW_TO_MUTATE})",
                    method.class_name
                ),
                None => return Err(self.error(
                    target.pos,
                    format!("`set!` of {target} is not supported by jankwasm: only a var can be set, and a deftype's field only inside its own methods when declared ^:unsynchronized-mutable or ^:volatile-mutable"),
                )),
            };
            return Err(self.error(target.pos, format!("cannot assign to {target}: {why}")));
        };
        let pos = form.pos;
        let set = Form::list(
            vec![
                Form::symbol(Name::qualified("jank.runtime", "set-field-named!"), pos),
                instance.clone(),
                Form::new(FormKind::Str(field.into()), target.pos),
                value.clone(),
                Form::new(FormKind::Str(owner), target.pos),
            ],
            pos,
        );
        self.analyze(&set, ctx)
    }
}
