//! Classes as values: `class`, `type` and `instance?` over the JVM classes
//! jankwasm's values stand for (`jank_runtime_abi::java_classes`). The
//! compiler turns a class name in code into a call of `jank.runtime/class-named`,
//! and a `catch` of a class tests with `jank.runtime/instance-or-nil`.

use jank_runtime_abi::java_classes;

use super::colls::get;
use super::{core, def, text};
use crate::error::{class_cast, illegal_argument};
use crate::object::{alloc, boolean, keyword, nil, Obj, Object};

/// The class of `value`, nil for nil.
fn class_of(value: Obj) -> Obj {
    match &*value {
        Object::Nil => nil(),
        object => class_value(object.class_name()),
    }
}

/// The value standing for the class named `name`; equal to every other one
/// for that name.
pub(crate) fn class_value(name: &'static str) -> Obj {
    alloc(Object::Class(name))
}

pub fn install() {
    def("jank.runtime", "class-named", 1, 1, |_, a| {
        let written = text(&a[0])?;
        java_classes::resolve(written)
            .map(class_value)
            .ok_or_else(|| illegal_argument(format!("no such class: {written}")))
    });
    // How a `catch` of a class tests what was thrown: the value when it is
    // an instance of the class named, else nil. A thrown value that is not a
    // Throwable stands for the ClassCastException the JVM throws in its place,
    // so `(catch Exception e ...)` takes it and `(catch Error e ...)` does not.
    def("jank.runtime", "instance-or-nil", 2, 2, |_, a| {
        let class = text(&a[0])?;
        let thrown_as = match &*a[1] {
            Object::Nil => return Ok(nil()),
            object @ Object::Exception(_) => object.class_name(),
            _ => "java.lang.ClassCastException",
        };
        Ok(if crate::record::is_instance(class, thrown_as) {
            a[1]
        } else {
            nil()
        })
    });
    core("class", 1, 1, |_, a| Ok(class_of(a[0])));
    core("type", 1, 1, |_, a| {
        let tagged = get(crate::meta::meta(a[0])?, keyword(None, "type"), nil())?;
        Ok(if tagged.is_nil() {
            class_of(a[0])
        } else {
            tagged
        })
    });
    // `(cast c x)`: x when nil or an instance of c.
    core("cast", 2, 2, |_, a| {
        let Object::Class(class) = &*a[0] else {
            return Err(class_cast(a[0], "java.lang.Class"));
        };
        match &*a[1] {
            Object::Nil => Ok(a[1]),
            object if crate::record::is_instance(class, object.class_name()) => Ok(a[1]),
            object => Err(crate::error::error(
                "java.lang.ClassCastException",
                format!("Cannot cast {} to {class}", object.class_name()),
            )),
        }
    });
    core("instance?", 2, 2, |_, a| {
        let Object::Class(class) = &*a[0] else {
            return Err(class_cast(a[0], "java.lang.Class"));
        };
        Ok(boolean(match &*a[1] {
            Object::Nil => false,
            object => crate::record::is_instance(class, object.class_name()),
        }))
    });
}
