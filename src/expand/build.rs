//! Small constructors for the forms macros produce.

use crate::read::{Form, FormKind, Name};
use crate::source::Pos;

pub fn sym(name: &str, pos: Pos) -> Form {
    Form::symbol(Name::bare(name), pos)
}

pub fn core(name: &str, pos: Pos) -> Form {
    Form::symbol(Name::qualified("clojure.core", name), pos)
}

pub fn list(items: Vec<Form>, pos: Pos) -> Form {
    Form::list(items, pos)
}

pub fn vector(items: Vec<Form>, pos: Pos) -> Form {
    Form::new(FormKind::Vector(items), pos)
}

pub fn keyword(name: &str, pos: Pos) -> Form {
    Form::new(FormKind::Keyword(Name::bare(name)), pos)
}

pub fn nil(pos: Pos) -> Form {
    Form::new(FormKind::Nil, pos)
}

pub fn int(value: i64, pos: Pos) -> Form {
    Form::new(FormKind::Int(value), pos)
}

pub fn quote(form: Form) -> Form {
    let pos = form.pos;
    list(vec![sym("quote", pos), form], pos)
}

/// `(do forms...)`, or the single form itself.
pub fn body(mut forms: Vec<Form>, pos: Pos) -> Form {
    match forms.len() {
        0 => nil(pos),
        1 => forms.remove(0),
        _ => {
            forms.insert(0, sym("do", pos));
            list(forms, pos)
        }
    }
}
