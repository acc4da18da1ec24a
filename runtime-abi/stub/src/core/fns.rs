//! clojure.core's higher-order fns: `identity`, `constantly`, `comp`,
//! `partial`, `complement`, `juxt`, `apply`, `fnil`, `some-fn`,
//! `every-pred`, `memoize`, `trampoline` and `preserving-reduced`.

use std::cell::Cell;

use super::{core, VARIADIC};
use crate::coll::{map_obj, vector_obj, Map};
use crate::function::{apply, call, native};
use crate::object::{alloc, boolean, int, nil, truthy, Obj, Object};

fn joined(head: &[Obj], tail: &[Obj]) -> Vec<Obj> {
    let mut all = head.to_vec();
    all.extend_from_slice(tail);
    all
}

pub fn install() {
    // A reducing fn whose reduced result stays reduced once more, so the
    // reduce that called it stops too (`cat`'s inner reduce).
    core("preserving-reduced", 1, 1, |_, a| {
        Ok(native(
            "clojure.core/preserving-reduced/fn",
            2,
            2,
            &[a[0]],
            |d, a| {
                let ret = call(d[0], a)?;
                Ok(match *ret {
                    Object::Reduced(_) => alloc(Object::Reduced(ret)),
                    _ => ret,
                })
            },
        ))
    });
    core("identity", 1, 1, |_, a| Ok(a[0]));
    core("constantly", 1, 1, |_, a| {
        Ok(native(
            "clojure.core/constantly/fn",
            0,
            VARIADIC,
            &[a[0]],
            |d, _| Ok(d[0]),
        ))
    });
    core("comp", 0, VARIADIC, |_, a| match a {
        [] => Ok(native("clojure.core/identity", 1, 1, &[], |_, a| Ok(a[0]))),
        [f] => Ok(*f),
        fs => Ok(native("clojure.core/comp/fn", 0, VARIADIC, fs, |d, a| {
            let (last, others) = d.split_last().expect("comp of two or more fns");
            let mut value = call(*last, a)?;
            for f in others.iter().rev() {
                value = call(*f, &[value])?;
            }
            Ok(value)
        })),
    });
    core("partial", 1, VARIADIC, |_, a| match a {
        [f] => Ok(*f),
        _ => Ok(native("clojure.core/partial/fn", 0, VARIADIC, a, |d, a| {
            call(d[0], &joined(&d[1..], a))
        })),
    });
    core("complement", 1, 1, |_, a| {
        Ok(native(
            "clojure.core/complement/fn",
            0,
            VARIADIC,
            &[a[0]],
            |d, a| Ok(boolean(!truthy(call(d[0], a)?))),
        ))
    });
    core("juxt", 1, VARIADIC, |_, a| {
        Ok(native("clojure.core/juxt/fn", 0, VARIADIC, a, |d, a| {
            Ok(vector_obj(
                d.iter()
                    .map(|f| call(*f, a))
                    .collect::<Result<Vec<_>, _>>()?,
            ))
        }))
    });
    core("comparator", 1, 1, |_, a| {
        Ok(native(
            "clojure.core/comparator/fn",
            2,
            2,
            &[a[0]],
            |d, a| {
                Ok(int(if truthy(call(d[0], &[a[0], a[1]])?) {
                    -1
                } else if truthy(call(d[0], &[a[1], a[0]])?) {
                    1
                } else {
                    0
                }))
            },
        ))
    });
    core("apply", 2, VARIADIC, |_, a| {
        let (f, middle, last) = (a[0], &a[1..a.len() - 1], a[a.len() - 1]);
        apply(f, middle, last)
    });
    core("fnil", 2, 4, |_, a| {
        Ok(native("clojure.core/fnil/fn", 1, VARIADIC, a, |d, a| {
            let mut args = a.to_vec();
            for (arg, default) in args.iter_mut().zip(&d[1..]) {
                if arg.is_nil() {
                    *arg = *default;
                }
            }
            call(d[0], &args)
        }))
    });
    core("some-fn", 1, VARIADIC, |_, a| {
        Ok(native("clojure.core/some-fn/fn", 0, VARIADIC, a, |d, a| {
            // `or` over the first three arguments returns its last value
            // when none is truthy; `some` over the rest returns nil.
            let mut last = nil();
            for (pass, p, x) in predicate_calls(d, a) {
                let value = call(p, &[x])?;
                if truthy(value) {
                    return Ok(value);
                }
                last = if pass == Pass::Rest { nil() } else { value };
            }
            Ok(last)
        }))
    });
    core("every-pred", 1, VARIADIC, |_, a| {
        Ok(native(
            "clojure.core/every-pred/fn",
            0,
            VARIADIC,
            a,
            |d, a| {
                for (_, p, x) in predicate_calls(d, a) {
                    if !truthy(call(p, &[x])?) {
                        return Ok(boolean(false));
                    }
                }
                Ok(boolean(true))
            },
        ))
    });
    core("memoize", 1, 1, |_, a| {
        let cache = alloc(Object::Volatile(Cell::new(map_obj(Map::empty()))));
        Ok(native(
            "clojure.core/memoize/fn",
            0,
            VARIADIC,
            &[a[0], cache],
            |d, a| {
                let Object::Volatile(cell) = &*d[1] else {
                    unreachable!("memoize keeps a volatile")
                };
                let key = vector_obj(a.iter().copied());
                let Object::Map(cached) = &*cell.get() else {
                    unreachable!("memoize caches in a map")
                };
                if let Some(value) = cached.get(key)? {
                    return Ok(value);
                }
                let value = call(d[0], a)?;
                let Object::Map(cached) = &*cell.get() else {
                    unreachable!("memoize caches in a map")
                };
                cell.set(map_obj(cached.assoc(key, value)?));
                Ok(value)
            },
        ))
    });
    core("trampoline", 1, VARIADIC, |_, a| {
        let mut value = call(a[0], &a[1..])?;
        while let Object::Fn(_) = &*value {
            value = call(value, &[])?;
        }
        Ok(value)
    });
}

/// Which arguments of a `some-fn`/`every-pred` call a predicate call is on.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    FirstThree,
    Rest,
}

/// The (predicate, argument) calls of `some-fn` and `every-pred`, in the
/// order Clojure's make them: every predicate over the first three
/// arguments, then, over the rest, each argument through every predicate
/// (up to three predicates) or each predicate through every argument.
fn predicate_calls<'a>(
    preds: &'a [Obj],
    args: &'a [Obj],
) -> impl Iterator<Item = (Pass, Obj, Obj)> + 'a {
    let (first, rest) = args.split_at(args.len().min(3));
    let first_pass = preds
        .iter()
        .flat_map(move |p| first.iter().map(move |x| (Pass::FirstThree, *p, *x)));
    let rest_pass: Box<dyn Iterator<Item = (Pass, Obj, Obj)>> = if preds.len() <= 3 {
        Box::new(
            rest.iter()
                .flat_map(move |x| preds.iter().map(move |p| (Pass::Rest, *p, *x))),
        )
    } else {
        Box::new(
            preds
                .iter()
                .flat_map(move |p| rest.iter().map(move |x| (Pass::Rest, *p, *x))),
        )
    };
    first_pass.chain(rest_pass)
}
