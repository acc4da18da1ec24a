//! Protocols at run time. The compiler expands `defprotocol` into a var whose
//! root is a protocol map, `{:var #'P, :sigs {...}, :impls {class {:m fn}}}`
//! as in Clojure, made by `jank.runtime/define-protocol`, and into method
//! fns that ask `jank.runtime/protocol-method` for the fn registered for the
//! class of their first argument. `extend` (and so `extend-type` and
//! `extend-protocol`) replaces a class's method map in the var's root, so a
//! protocol fn finds implementations added after it was made, and a
//! re-evaluated `defprotocol` keeps them.
//!
//! Lookup order: a reify's own methods, the value's own class, then its
//! superclasses and interfaces in `jank_runtime_abi::java_classes` order (a
//! record's, type's or reify's in `crate::record`'s), then java.lang.Object;
//! nil has only the nil entry.

use super::colls::{assoc, get};
use super::{core, def, VARIADIC};
use crate::error::{illegal_argument, R};
use crate::object::{alloc, boolean, keyword, nil, Obj, Object};
use crate::seq::seq_of;
use crate::var::{bind_root, current};
use jank_runtime_abi::java_classes;

fn key(name: &str) -> Obj {
    keyword(None, name)
}

/// The protocol map a protocol value or its var stands for, or an error
/// naming what was given instead.
fn protocol_map(value: Obj) -> R {
    let protocol = match &*value {
        Object::Var(_) => current(value).unwrap_or_else(nil),
        _ => value,
    };
    match &*protocol {
        Object::Map(m) if m.get(key("sigs"))?.is_some() && m.get(key("var"))?.is_some() => {
            Ok(protocol)
        }
        _ => Err(illegal_argument(format!(
            "{} is not a protocol",
            crate::print::pr_str(value)?
        ))),
    }
}

/// The method map registered for `value`'s class or the nearest of its
/// supers, or nil; a reify's own implementations come first.
fn implementations_for(protocol: Obj, value: Obj) -> R {
    if let Object::Instance(instance) = &*value {
        let own = get(instance.impls, get(protocol, key("var"), nil())?, nil())?;
        if !own.is_nil() {
            return Ok(own);
        }
    }
    let impls = get(protocol, key("impls"), nil())?;
    let Object::Map(impls) = &*impls else {
        return Ok(nil());
    };
    let class = match &*value {
        Object::Nil => return Ok(impls.get(nil())?.unwrap_or_else(nil)),
        object => object.class_name(),
    };
    for name in crate::record::lineage(class) {
        if let Some(methods) = impls.get(alloc(Object::Class(name)))? {
            return Ok(methods);
        }
    }
    Ok(nil())
}

/// The fn a `deftype`, `defrecord` or `reify` gave `value` for `method` of
/// a host interface (`jank_runtime_abi::java_classes::HOST_INTERFACES`), if
/// it gave one. Only instances of those can have one.
pub fn host_method(value: Obj, protocol: &str, method: &str) -> R<Option<Obj>> {
    if !matches!(&*value, Object::Instance(_) | Object::Record(_)) {
        return Ok(None);
    }
    let var = crate::var::intern_raw(java_classes::HOST_INTERFACE_NS, protocol);
    let Some(protocol) = current(var) else {
        return Ok(None);
    };
    let methods = implementations_for(protocol, value)?;
    let found = get(methods, key(method), nil())?;
    Ok((!found.is_nil()).then_some(found))
}

/// Binds each host interface's protocol (`jank.runtime.host/Object`, ...),
/// as `defprotocol` would.
fn define_host_interfaces() -> R<()> {
    for interface in java_classes::HOST_INTERFACES {
        let var = crate::var::intern_raw(java_classes::HOST_INTERFACE_NS, interface.protocol);
        let mut sigs = crate::coll::map_obj(crate::coll::Map::empty());
        for method in interface.methods {
            let sig = crate::coll::map_obj(crate::coll::Map::empty());
            let sig = assoc(sig, key("name"), crate::object::symbol(None, method))?;
            sigs = assoc(sigs, key(method), sig)?;
        }
        let impls = crate::coll::map_obj(crate::coll::Map::empty());
        bind_root(var, new_protocol(var, sigs, impls)?);
    }
    Ok(())
}

/// Clojure's protocol map, `{:var var, :sigs sigs, :impls impls}`.
fn new_protocol(var: Obj, sigs: Obj, impls: Obj) -> R {
    let protocol = crate::coll::map_obj(crate::coll::Map::empty());
    let protocol = assoc(protocol, key("var"), var)?;
    let protocol = assoc(protocol, key("sigs"), sigs)?;
    assoc(protocol, key("impls"), impls)
}

pub(super) fn install() {
    if define_host_interfaces().is_err() {
        unreachable!("building the host interfaces' protocol maps cannot throw");
    }
    // (define-protocol (var P) sigs): P's new root, keeping the
    // implementations of the protocol it replaces.
    def("jank.runtime", "define-protocol", 2, 2, |_, a| {
        let previous = current(a[0])
            .filter(|root| protocol_map(*root).is_ok())
            .map_or_else(|| Ok(nil()), |root| get(root, key("impls"), nil()))?;
        let impls = if previous.is_nil() {
            crate::coll::map_obj(crate::coll::Map::empty())
        } else {
            previous
        };
        new_protocol(a[0], a[1], impls)
    });
    // (protocol-method (var P) :method value): the fn implementing :method
    // for value's class.
    def("jank.runtime", "protocol-method", 3, 3, |_, a| {
        let protocol = protocol_map(a[0])?;
        let methods = implementations_for(protocol, a[2])?;
        let method = get(methods, a[1], nil())?;
        if method.is_nil() {
            let class = match &*a[2] {
                Object::Nil => "nil",
                object => object.class_name(),
            };
            return Err(illegal_argument(format!(
                "No implementation of method: {} of protocol: {} found for class: {class}",
                crate::print::pr_str(a[1])?,
                crate::print::pr_str(get(protocol, key("var"), nil())?)?
            )));
        }
        Ok(method)
    });
    core("extend", 1, VARIADIC, |_, a| {
        let (target, pairs) = (a[0], &a[1..]);
        if !matches!(&*target, Object::Nil | Object::Class(_)) {
            return Err(illegal_argument(format!(
                "extend takes a class or nil to extend, got {}",
                crate::print::pr_str(target)?
            )));
        }
        if pairs.len() % 2 != 0 {
            return Err(illegal_argument(
                "extend takes protocol and method map pairs",
            ));
        }
        for pair in pairs.chunks(2) {
            let var = get(protocol_map(pair[0])?, key("var"), nil())?;
            let protocol = protocol_map(var)?;
            let impls = assoc(get(protocol, key("impls"), nil())?, target, pair[1])?;
            bind_root(var, assoc(protocol, key("impls"), impls)?);
        }
        Ok(nil())
    });
    core("satisfies?", 2, 2, |_, a| {
        let protocol = protocol_map(a[0])?;
        Ok(boolean(!implementations_for(protocol, a[1])?.is_nil()))
    });
    core("extends?", 2, 2, |_, a| {
        let impls = get(protocol_map(a[0])?, key("impls"), nil())?;
        let Object::Map(impls) = &*impls else {
            return Ok(boolean(false));
        };
        Ok(boolean(impls.get(a[1])?.is_some()))
    });
    core("extenders", 1, 1, |_, a| {
        let impls = get(protocol_map(a[0])?, key("impls"), nil())?;
        let Object::Map(impls) = &*impls else {
            return Ok(nil());
        };
        let classes: Vec<Obj> = impls.entries().into_iter().map(|(k, _)| k).collect();
        Ok(if classes.is_empty() {
            nil()
        } else {
            seq_of(classes)
        })
    });
}
