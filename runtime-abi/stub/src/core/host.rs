//! `jankwasm.host/effect`, the one door from jank to the browser that
//! `jank.browser` (src/jank/jank/browser.jank) is written over: it hands the
//! host a request through the `host.effect` import and returns the host's
//! reply, or throws the host's refusal as an ex-info. The wire format is in
//! jank_patch_abi.h, beside the import.

use super::{def, VARIADIC};
use crate::coll::Map;
use crate::encode::{self, FN};
use crate::error::{ex_info, illegal_argument, Thrown, R};
use crate::object::{alloc, boolean, double, int, keyword, nil, string, Obj, Object};

pub(super) fn install() {
    def("jankwasm.host", "effect", 1, VARIADIC, |_, a| effect(a));
}

/// `[op & args]` as the host reads it: the compact encoding, except that a
/// fn is tag `FN` and its address (a u32).
fn request(args: &[Obj]) -> R<Vec<u8>> {
    let mut out = vec![encode::VECTOR];
    let count = u32::try_from(args.len())
        .map_err(|_| illegal_argument("too many arguments for an effect"))?;
    out.extend_from_slice(&count.to_le_bytes());
    for &arg in args {
        if matches!(&*arg, Object::Fn(_) | Object::MultiFn(_)) {
            out.push(FN);
            let address = u32::try_from(arg.addr())
                .map_err(|_| illegal_argument("a fn outside wasm32's address space"))?;
            out.extend_from_slice(&address.to_le_bytes());
        } else {
            encode::encode(&mut out, arg)?;
        }
    }
    Ok(out)
}

/// Retains every fn of an accepted request once for the host, which releases
/// it when it will no longer call it: a registered callback stays alive. No
/// safe point falls inside the import, so retaining after it is in time.
fn retain_callbacks(args: &[Obj]) {
    for &arg in args {
        if matches!(&*arg, Object::Fn(_) | Object::MultiFn(_)) {
            crate::gc::retain(arg);
        }
    }
}

/// A reply: one scalar in the compact encoding (nil, a boolean, a number, a
/// string). Numbers that are whole come back as integers (timer ids).
fn reply_value(bytes: &[u8]) -> Option<Obj> {
    let (&tag, rest) = bytes.split_first()?;
    match tag {
        encode::NIL if rest.is_empty() => Some(nil()),
        encode::FALSE if rest.is_empty() => Some(boolean(false)),
        encode::TRUE if rest.is_empty() => Some(boolean(true)),
        encode::NUMBER => {
            let value = f64::from_le_bytes(rest.try_into().ok()?);
            let whole = value.fract() == 0.0 && value.abs() < 9.0e15;
            Some(if whole {
                int(value as i64)
            } else {
                double(value)
            })
        }
        encode::STRING => {
            let (length, text) = rest.split_at_checked(4)?;
            let length = u32::from_le_bytes(length.try_into().ok()?);
            (usize::try_from(length).ok()? == text.len())
                .then(|| std::str::from_utf8(text).ok().map(string))?
        }
        _ => None,
    }
}

/// The ex-info a refused effect throws: the host's message, and the op in
/// its data as `:effect`.
fn refused(op: Obj, message: &str) -> Thrown {
    let data = Map::from_pairs([(keyword(None, "effect"), op)], true)
        .map(|map| alloc(Object::Map(map)))
        .unwrap_or_else(|_| nil());
    Thrown(ex_info(string(message), data, nil()))
}

fn effect(args: &[Obj]) -> R {
    let bytes = request(args)?;
    let (status, reply) = imports::call(&bytes);
    let op = args[0];
    if status < 0 {
        let message = String::from_utf8_lossy(&reply);
        return Err(refused(op, &message));
    }
    retain_callbacks(args);
    reply_value(&reply).ok_or_else(|| {
        refused(
            op,
            "the host's reply to an effect is not nil, a boolean, a number or a string",
        )
    })
}

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "host")]
    extern "C" {
        #[link_name = "effect"]
        fn host_effect(request: *const u8, length: i32) -> i32;
        #[link_name = "effect_reply"]
        fn host_effect_reply(reply: *mut u8);
    }

    /// Sends `request`; returns the status (negative: refused) and the reply
    /// (the refusal's message when refused).
    pub fn call(request: &[u8]) -> (i32, Vec<u8>) {
        let length = i32::try_from(request.len()).unwrap_or(i32::MAX);
        // SAFETY: the host reads `length` bytes at `request` during the call.
        let status = crate::gc::host_callback(|| unsafe { host_effect(request.as_ptr(), length) });
        let reply_length = if status < 0 {
            status.unsigned_abs() - 1
        } else {
            status.unsigned_abs()
        };
        let mut reply = vec![0u8; reply_length as usize];
        // SAFETY: the host writes exactly the reply length it announced.
        crate::gc::host_callback(|| unsafe { host_effect_reply(reply.as_mut_ptr()) });
        (status, reply)
    }
}

/// Outside wasm (the stub's unit tests) there is no host to ask.
#[cfg(not(target_arch = "wasm32"))]
mod imports {
    pub fn call(_request: &[u8]) -> (i32, Vec<u8>) {
        let message = b"no host: the stub runs outside wasm".to_vec();
        (-1 - message.len() as i32, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::pr_str;

    fn reply(bytes: &[u8]) -> Option<String> {
        reply_value(bytes).map(|value| pr_str(value).ok().expect("a reply prints"))
    }

    #[test]
    fn replies_are_scalars_and_whole_numbers_are_integers() {
        let mut three = vec![encode::NUMBER];
        three.extend_from_slice(&3.0f64.to_le_bytes());
        let mut half = vec![encode::NUMBER];
        half.extend_from_slice(&0.5f64.to_le_bytes());
        let mut text = vec![encode::STRING, 2, 0, 0, 0];
        text.extend_from_slice(b"#/");
        assert_eq!(reply(&[encode::NIL]).as_deref(), Some("nil"));
        assert_eq!(reply(&[encode::TRUE]).as_deref(), Some("true"));
        assert_eq!(reply(&three).as_deref(), Some("3"));
        assert_eq!(reply(&half).as_deref(), Some("0.5"));
        assert_eq!(reply(&text).as_deref(), Some("\"#/\""));
        assert_eq!(reply(&[encode::STRING, 9, 0, 0, 0, b'x']), None);
        assert_eq!(reply(&[encode::VECTOR, 0, 0, 0, 0]), None);
        assert_eq!(reply(&[]), None);
    }

    #[test]
    fn outside_wasm_every_effect_is_refused_with_its_op_in_the_data() {
        let Err(Thrown(exception)) = effect(&[keyword(None, "log"), string("hi")]) else {
            panic!("an effect outside wasm must be refused");
        };
        let printed = pr_str(exception).ok().expect("an exception prints");
        assert!(
            printed.contains("no host: the stub runs outside wasm"),
            "{printed}"
        );
        assert!(printed.contains(":effect :log"), "{printed}");
    }
}
