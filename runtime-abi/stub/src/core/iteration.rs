//! `iteration` (Clojure 1.11): the values of successive calls of a step fn,
//! each given the key the previous result made, as for paged APIs. It is a
//! lazy seq here; Clojure's is a Seqable and IReduceInit that calls `step`
//! again each time it is walked (the values are the same).

use super::core;
use crate::error::{illegal_argument, R};
use crate::function::call;
use crate::object::{alloc, keyword, nil, truthy, Obj, Object};
use crate::seq::lazy;

/// `data`: step, somef, vf, kf (nil: the defaults `some?`, `identity`,
/// `identity`) and the key to call step with.
fn steps(data: &[Obj], _: &[Obj]) -> R {
    let [step, somef, vf, kf, k] = data else {
        unreachable!("five values")
    };
    let apply = |f: Obj, ret: Obj| if f.is_nil() { Ok(ret) } else { call(f, &[ret]) };
    let ret = call(*step, &[*k])?;
    let some = if somef.is_nil() {
        !ret.is_nil()
    } else {
        truthy(call(*somef, &[ret])?)
    };
    if !some {
        return Ok(nil());
    }
    let value = apply(*vf, ret)?;
    let next_k = apply(*kf, ret)?;
    let rest = if next_k.is_nil() {
        nil()
    } else {
        lazy(&[*step, *somef, *vf, *kf, next_k], steps)
    };
    Ok(alloc(Object::Cons(value, rest)))
}

pub(super) fn install() {
    core("iteration", 1, super::VARIADIC, |_, a| {
        let (step, options) = (a[0], &a[1..]);
        if options.len() % 2 != 0 {
            return Err(illegal_argument(
                "iteration takes its options as keyword value pairs",
            ));
        }
        let mut chosen = [nil(); 4];
        for pair in options.chunks_exact(2) {
            let slot = ["somef", "vf", "kf", "initk"]
                .iter()
                .position(|name| pair[0].identical(keyword(None, name)));
            if let Some(slot) = slot {
                chosen[slot] = pair[1];
            }
        }
        let [somef, vf, kf, initk] = chosen;
        Ok(lazy(&[step, somef, vf, kf, initk], steps))
    });
}
