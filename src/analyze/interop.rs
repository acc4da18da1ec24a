//! Member access written as host interop, rewritten into the calls that
//! compute it: `(.-field x)` and `(.field x)` read a record's or type's
//! field by name (`(.field x)` when some record or type compiled so far
//! declares a field of that name), `(.method x args*)` becomes the jankwasm fn computing a
//! known java.lang method (`java_members`), and the `.` special form
//! (`(. x member args*)`, `(. x (member args*))`, `(. Class member args*)`)
//! is the same member access spelled out, as Clojure's own macroexpansion of
//! the sugar produces it. Anything else is refused, naming the member.

use super::ast::Expr;
use super::java_members;
use super::{Analyzer, Ctx, Result};
use crate::read::{Form, FormKind, Name};

impl Analyzer<'_> {
    /// `(.member target args*)`: the field or method it reads, or None when
    /// `head` is no member access.
    pub(super) fn member_access(
        &mut self,
        head: &Name,
        form: &Form,
        args: &[Form],
        ctx: Ctx,
    ) -> Option<Result<Expr>> {
        let member = head.name.strip_prefix('.').filter(|m| !m.is_empty())?;
        if head.ns.is_some() || head.name == ".." {
            return None;
        }
        // `(.-field x)`: a record's or type's field, by name (a type's
        // mutable field only inside its methods).
        if let Some(field) = member.strip_prefix('-').filter(|f| !f.is_empty()) {
            if args.len() == 1 {
                return Some(self.field_read(field, &args[0], form, ctx));
            }
        } else if let Some(method) =
            java_members::instance_method(member).filter(|_| !args.is_empty())
        {
            if let Some(message) = method.arity_error(&head.name, args.len() - 1) {
                return Some(Err(self.error(form.pos, message)));
            }
            let mut call = vec![Form::symbol(method.function, form.pos)];
            call.extend(args.iter().cloned());
            return Some(self.analyze(&Form::list(call, form.pos), ctx));
        } else if args.len() == 1 && self.namespaces.is_record_field(member) {
            // No method of that name takes no arguments: as Clojure's
            // reflector does then, a field of that name, when some record
            // or type has one (any other name stays refused interop).
            return Some(self.field_read(member, &args[0], form, ctx));
        }
        Some(Err(self.error(
            form.pos,
            format!(
                "Java/C++ interop (`{}`) is not supported by jankwasm",
                head.name
            ),
        )))
    }

    /// Notes the field names a `define-class` call (`expand::DEFINE_CLASS`)
    /// declares: `(define-class kind ns 'T '[field*] ...)`.
    pub(super) fn note_record_fields(&mut self, args: &[Form]) {
        let Some(FormKind::List(quoted)) = args.get(3).map(|form| &form.kind) else {
            return;
        };
        if let [_, Form {
            kind: FormKind::Vector(fields),
            ..
        }] = quoted.as_slice()
        {
            self.namespaces.note_record_fields(
                fields
                    .iter()
                    .filter_map(|field| field.as_symbol().map(|name| name.name.as_str())),
            );
        }
    }

    fn field_read(&mut self, field: &str, target: &Form, form: &Form, ctx: Ctx) -> Result<Expr> {
        let mut call = vec![
            Form::symbol(Name::qualified("jank.runtime", "field-named"), form.pos),
            target.clone(),
            Form::new(FormKind::Str(field.into()), form.pos),
        ];
        if let Some(owner) = self.mutable_field_owner(field) {
            call.push(Form::new(FormKind::Str(owner), form.pos));
        }
        self.analyze(&Form::list(call, form.pos), ctx)
    }

    /// The `.` special form: `(. target member args*)` or
    /// `(. target (member args*))` as the sugar it stands for, a static
    /// member `(Class/member args*)` when `target` names a class.
    pub(super) fn dot_form(&mut self, form: &Form, args: &[Form], ctx: Ctx) -> Result<Expr> {
        let malformed = || {
            "malformed member expression: expected (. target member args*) or (. target (member args*))"
                .to_string()
        };
        let [target, member_form, rest @ ..] = args else {
            return Err(self.error(form.pos, malformed()));
        };
        // `(. x (member))` names a method even with no arguments; only
        // `(. x member)` may read a field.
        let (member, member_args, method_only): (&Name, Vec<Form>, bool) = match &member_form.kind {
            FormKind::Symbol(member) => (member, rest.to_vec(), false),
            FormKind::List(items) if rest.is_empty() => match items.split_first() {
                Some((first, member_args)) => match first.as_symbol() {
                    Some(member) => (member, member_args.to_vec(), true),
                    None => return Err(self.error(member_form.pos, malformed())),
                },
                None => return Err(self.error(member_form.pos, malformed())),
            },
            _ => return Err(self.error(member_form.pos, malformed())),
        };
        if member.ns.is_some() {
            return Err(self.error(member_form.pos, malformed()));
        }
        let static_class = target
            .as_symbol()
            .filter(|class| class.ns.is_none() && !self.is_local(&class.name))
            .filter(|class| {
                self.namespaces.resolve_class(&class.name).is_some()
                    || self.static_member(&class.name, &member.name).is_some()
            });
        let call = match static_class {
            Some(class) => {
                let mut call = vec![Form::symbol(
                    Name::qualified(&class.name, &member.name),
                    member_form.pos,
                )];
                call.extend(member_args);
                call
            }
            None if method_only && java_members::instance_method(&member.name).is_none() => {
                return Err(self.error(
                    form.pos,
                    format!(
                        "Java/C++ interop (`(. target ({} ...))`) is not supported by jankwasm: \
                         no method of that name is known",
                        member.name
                    ),
                ));
            }
            None => {
                let mut call = vec![
                    Form::symbol(Name::bare(format!(".{}", member.name)), member_form.pos),
                    target.clone(),
                ];
                call.extend(member_args);
                call
            }
        };
        self.analyze(&Form::list(call, form.pos), ctx)
    }
}
