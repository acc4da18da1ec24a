//! The exports: every `JANK_HELPER` of jank_patch_abi.h with exactly its wasm
//! signature, and the `JANK_HOST` interface (`malloc`, the registry entry
//! point, printing and encoding for the host, the collector's entry points). Errors become the pending exception plus a
//! NULL return here, at the boundary, and nowhere else.

use std::alloc::Layout;
use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr};

use num_bigint::BigInt;

use crate::coll::{map_obj, set_obj, vector_obj, Map, Set};
use crate::core::numbers;
use crate::encode::encode;
use crate::equality::equiv;
use crate::error::{
    class_cast, error, from_null_return, illegal_argument, illegal_state, number_format,
    set_pending, take_pending, R,
};
use crate::function::{call, patch_fn, wrapper_fn, FnDesc, Function, MAX_PARAMS};
use crate::gc;
use crate::number::{self, Num};
use crate::object::{
    boolean, character, double, int, keyword, nil, string, symbol, truthy, Obj, Object,
};
use crate::print::{pr_str, str_of};
use crate::seq::list_of;
use crate::var;

/// `patch_symbol`: one registry entry.
#[repr(C)]
pub struct PatchSymbol {
    pub qualified_name: *const c_char,
    pub signature: *const c_char,
    pub fn_ptr: *const c_void,
}

/// The boundary of a helper whose Rust frames hold values across the jank
/// code they may run (realizing a lazy seq, hashing one, printing): no
/// collection runs inside it (`gc::inhibited`).
fn guarded(f: impl FnOnce() -> R) -> Option<Obj> {
    boundary(gc::inhibited(f))
}

/// The boundary of a helper that holds nothing across the jank code it runs
/// (`jank_call`, a registry entry), so collections inside stay possible.
/// The ABI's form of a result: the value, or NULL with the exception pending.
fn boundary(result: R) -> Option<Obj> {
    match result {
        Ok(value) => Some(value),
        Err(thrown) => {
            set_pending(thrown);
            None
        }
    }
}

/// A value argument; NULL (a patch that failed to propagate a throw) is an error.
fn value(v: Option<Obj>) -> R {
    v.ok_or_else(|| illegal_state("NULL passed where a jank value was expected"))
}

/// # Safety
/// `text` is NULL or NUL-terminated.
unsafe fn c_string(text: *const c_char) -> String {
    if text.is_null() {
        return String::new();
    }
    CStr::from_ptr(text).to_string_lossy().into_owned()
}

/// The `count` values at `elements`, read in place: every call passes its
/// arguments this way, and copying them cost an allocation per call.
///
/// # Safety
/// `elements` holds `count` values (or count <= 0), which stay there for
/// `'a` (a patch's argument array lives in its frame until the call returns).
unsafe fn values<'a>(count: i32, elements: *const Option<Obj>) -> R<&'a [Obj]> {
    let Ok(count) = usize::try_from(count) else {
        return Ok(&[]);
    };
    if count == 0 || elements.is_null() {
        return Ok(&[]);
    }
    let items = std::slice::from_raw_parts(elements, count);
    if let Some(missing) = items.iter().find(|v| v.is_none()) {
        value(*missing)?;
    }
    // SAFETY: `Option<Obj>` has `Obj`'s layout (the NonNull niche), and no
    // item is None.
    Ok(std::slice::from_raw_parts(elements.cast::<Obj>(), count))
}

fn ns_part(ns: &str) -> Option<&str> {
    (!ns.is_empty()).then_some(ns)
}

// ---- seed helpers ----

#[no_mangle]
pub extern "C" fn jank_box_integer(value: i64) -> Obj {
    int(value)
}

#[no_mangle]
pub extern "C" fn jank_unbox_integer(value: Option<Obj>) -> i64 {
    match value.as_deref() {
        Some(Object::Int(i)) => *i,
        _ => 0,
    }
}

#[no_mangle]
pub extern "C" fn jank_add_integers(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    guarded(|| numbers::add(value(left)?, value(right)?))
}

#[no_mangle]
pub extern "C" fn jank_box_double(value: f64) -> Obj {
    double(value)
}

#[no_mangle]
pub extern "C" fn jank_unbox_double(value: Option<Obj>) -> f64 {
    match value {
        Some(v) if v.is_number() => crate::number::num(v).map_or(0.0, |n| n.to_f64()),
        _ => 0.0,
    }
}

/// # Safety
/// `utf8` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jank_make_string(utf8: *const c_char) -> Obj {
    string(c_string(utf8))
}

/// # Safety
/// `ns` and `name` are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jank_make_keyword(ns: *const c_char, name: *const c_char) -> Obj {
    let ns = c_string(ns);
    keyword(ns_part(&ns), &c_string(name))
}

/// # Safety
/// `ns` and `name` are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jank_make_symbol(ns: *const c_char, name: *const c_char) -> Obj {
    let ns = c_string(ns);
    symbol(ns_part(&ns), &c_string(name))
}

/// # Safety
/// `text` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jank_make_uuid(text: *const c_char) -> Option<Obj> {
    let text = c_string(text);
    guarded(|| {
        jank_runtime_abi::java_uuid::Uuid::parse(&text)
            .map(|uuid| crate::object::alloc(Object::Uuid(uuid)))
            .ok_or_else(|| crate::error::illegal_argument(format!("Invalid UUID string: {text}")))
    })
}

/// # Safety
/// `elements` holds `count` values.
#[no_mangle]
pub unsafe extern "C" fn jank_make_vector(count: i32, elements: *const Option<Obj>) -> Option<Obj> {
    guarded(|| values(count, elements).map(|items| vector_obj(items.iter().copied())))
}

/// # Safety
/// `elements` holds `count` values.
#[no_mangle]
pub unsafe extern "C" fn jank_make_set(count: i32, elements: *const Option<Obj>) -> Option<Obj> {
    guarded(|| {
        values(count, elements)
            .and_then(|items| Ok(set_obj(Set::from_items(items.iter().copied())?)))
    })
}

fn no_such_var(ns: &str, name: &str) -> crate::error::Thrown {
    error(
        "java.lang.RuntimeException",
        format!("No such var: {ns}/{name}"),
    )
}

/// # Safety
/// `ns`/`name` are NUL-terminated; `args` holds `argc` values.
#[no_mangle]
pub unsafe extern "C" fn jank_call_var(
    ns: *const c_char,
    name: *const c_char,
    argc: i32,
    args: *const Option<Obj>,
) -> Option<Obj> {
    let (ns, name) = (c_string(ns), c_string(name));
    let args = values(argc, args);
    guarded(|| {
        call(
            var::find(&ns, &name).ok_or_else(|| no_such_var(&ns, &name))?,
            args?,
        )
    })
}

/// # Safety
/// `ns` and `name` are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jank_deref_var(ns: *const c_char, name: *const c_char) -> Option<Obj> {
    let (ns, name) = (c_string(ns), c_string(name));
    guarded(|| {
        var::find(&ns, &name)
            .ok_or_else(|| no_such_var(&ns, &name))
            .and_then(var::deref)
    })
}

/// # Safety
/// `args` holds `argc` values.
#[no_mangle]
pub unsafe extern "C" fn jank_println(argc: i32, args: *const Option<Obj>) -> Option<Obj> {
    guarded(|| values(argc, args).and_then(crate::core::misc::println))
}

#[no_mangle]
pub extern "C" fn jank_nil_value() -> Obj {
    nil()
}

#[no_mangle]
pub extern "C" fn jank_truthy(value: Option<Obj>) -> i32 {
    i32::from(value.is_some_and(truthy))
}

#[no_mangle]
pub extern "C" fn jank_make_fn_wrapper(fn_ptr: *const c_void, arity: i32) -> Option<Obj> {
    guarded(|| {
        wrapper_fn(
            "fn",
            fn_ptr,
            usize::try_from(arity).map_err(|_| illegal_argument("negative fn wrapper arity"))?,
        )
    })
}

// ---- ext: values ----

#[no_mangle]
pub extern "C" fn jank_box_boolean(value: i32) -> Obj {
    boolean(value != 0)
}

#[no_mangle]
pub extern "C" fn jank_make_char(codepoint: i32) -> Option<Obj> {
    guarded(|| {
        u32::try_from(codepoint)
            .ok()
            .and_then(char::from_u32)
            .map(character)
            .ok_or_else(|| illegal_argument(format!("Value out of range for char: {codepoint}")))
    })
}

/// A literal's number from its text, or a NumberFormatException naming it.
fn parsed_number<T>(text: &str, parse: fn(&str) -> Option<T>, make: fn(T) -> Num) -> R {
    parse(text)
        .map(|value| number::boxed(make(value)))
        .ok_or_else(|| number_format(format!("For input string: \"{text}\"")))
}

/// # Safety
/// `digits` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jank_big_integer_create(digits: *const c_char) -> Option<Obj> {
    guarded(|| parsed_number(&c_string(digits), number::parse_bigint, Num::BigInt))
}

/// # Safety
/// `digits` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jank_big_decimal_create(digits: *const c_char) -> Option<Obj> {
    guarded(|| parsed_number(&c_string(digits), number::parse_decimal, Num::Decimal))
}

#[no_mangle]
pub extern "C" fn jank_ratio_create(
    numerator: Option<Obj>,
    denominator: Option<Obj>,
) -> Option<Obj> {
    let integer = |v: Option<Obj>| -> R<BigInt> {
        let v = value(v)?;
        match number::num(v)? {
            Num::Int(i) => Ok(BigInt::from(i)),
            Num::BigInt(b) => Ok(b),
            _ => Err(class_cast(v, "java.math.BigInteger")),
        }
    };
    guarded(|| {
        integer(numerator)
            .and_then(|n| number::make_ratio(n, integer(denominator)?))
            .map(number::boxed)
    })
}

/// # Safety
/// `utf8` holds `length` bytes.
#[no_mangle]
pub unsafe extern "C" fn jank_make_string_n(utf8: *const u8, length: i32) -> Obj {
    let length = usize::try_from(length).unwrap_or(0);
    if utf8.is_null() || length == 0 {
        return string("");
    }
    string(String::from_utf8_lossy(std::slice::from_raw_parts(utf8, length)).into_owned())
}

/// # Safety
/// `source` holds `length` bytes.
#[no_mangle]
pub unsafe extern "C" fn jank_make_regex(source: *const u8, length: i32) -> Option<Obj> {
    let length = usize::try_from(length).unwrap_or(0);
    let source = if source.is_null() || length == 0 {
        String::new()
    } else {
        String::from_utf8_lossy(std::slice::from_raw_parts(source, length)).into_owned()
    };
    guarded(|| crate::regex::pattern(&source))
}

/// # Safety
/// `elements` holds `count` values.
#[no_mangle]
pub unsafe extern "C" fn jank_make_list(count: i32, elements: *const Option<Obj>) -> Option<Obj> {
    guarded(|| values(count, elements).map(list_of))
}

/// # Safety
/// `elements` holds `2 * pair_count` values.
#[no_mangle]
pub unsafe extern "C" fn jank_make_map(
    pair_count: i32,
    elements: *const Option<Obj>,
) -> Option<Obj> {
    let items = values(pair_count.saturating_mul(2), elements);
    guarded(|| {
        let items = items?;
        Ok(map_obj(Map::from_pairs(
            items.chunks_exact(2).map(|p| (p[0], p[1])),
            true,
        )?))
    })
}

// ---- ext: vars ----

fn var_arg(v: Option<Obj>) -> R {
    let v = value(v)?;
    match *v {
        Object::Var(_) => Ok(v),
        _ => Err(class_cast(v, "clojure.lang.Var")),
    }
}

/// # Safety
/// `ns` and `name` are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn jank_var_intern_c(ns: *const c_char, name: *const c_char) -> Obj {
    var::intern(&c_string(ns), &c_string(name))
}

#[no_mangle]
pub extern "C" fn jank_var_deref(var: Option<Obj>) -> Option<Obj> {
    guarded(|| var_arg(var).and_then(var::deref))
}

#[no_mangle]
pub extern "C" fn jank_var_bind_root(var: Option<Obj>, root: Option<Obj>) -> Option<Obj> {
    guarded(|| {
        let (var, root) = (var_arg(var)?, value(root)?);
        var::bind_root(var, root);
        Ok(var)
    })
}

#[no_mangle]
pub extern "C" fn jank_var_is_bound(var: Option<Obj>) -> i32 {
    i32::from(var_arg(var).is_ok_and(var::is_bound))
}

// ---- ext: fns and calls ----

#[no_mangle]
pub extern "C" fn jank_var_direct_calls(var: Option<Obj>) -> *const var::DirectCalls {
    match var {
        Some(var) => var::direct_calls(var),
        None => var::direct_calls(nil()),
    }
}

/// # Safety
/// `desc` is a `jank_fn_desc` in never-freed memory; `env` holds `env_count` values.
#[no_mangle]
pub unsafe extern "C" fn jank_make_fn(
    desc: *const FnDesc,
    env_count: i32,
    env: *const Option<Obj>,
) -> Option<Obj> {
    guarded(|| {
        if desc.is_null() {
            return Err(illegal_argument("jank_make_fn without a descriptor"));
        }
        Ok(patch_fn(desc, values(env_count, env)?))
    })
}

#[no_mangle]
pub extern "C" fn jank_closure_env(f: Option<Obj>) -> *mut Obj {
    match f.as_deref() {
        Some(Object::Fn(function)) => match &**function {
            Function::Patch { env, .. } => env.as_ptr().cast_mut().cast(),
            _ => std::ptr::null_mut(),
        },
        _ => std::ptr::null_mut(),
    }
}

/// # Safety
/// `args` holds `argc` values.
#[no_mangle]
pub unsafe extern "C" fn jank_call(
    callable: Option<Obj>,
    argc: i32,
    args: *const Option<Obj>,
) -> Option<Obj> {
    let args = values(argc, args);
    boundary((|| {
        let callable = value(callable)?;
        let args = args?;
        if crate::var::call_must_not_collect(callable) {
            gc::inhibited(|| call(callable, args))
        } else {
            call(callable, args)
        }
    })())
}

/// A safe point inside a call: patches call it at every loop back-edge.
#[no_mangle]
pub extern "C" fn jank_gc_poll() {
    gc::poll();
}

// ---- ext: exceptions ----

/// Not jank's `jank_throw`, which unwinds: this records the exception and
/// returns, and the patch unwinds by returning NULL itself.
#[no_mangle]
pub extern "C" fn jank_exception_set(thrown: Option<Obj>) {
    // `(throw nil)` throws a NullPointerException, as on the JVM.
    let thrown = match thrown {
        Some(value) if !value.is_nil() => crate::error::Thrown(value),
        _ => crate::error::error("java.lang.NullPointerException", "Cannot throw nil"),
    };
    set_pending(thrown);
}

#[no_mangle]
pub extern "C" fn jank_exception_take() -> Obj {
    take_pending().unwrap_or_else(nil)
}

// ---- ext: inlined clojure.core ----

fn binary(left: Option<Obj>, right: Option<Obj>, op: fn(Obj, Obj) -> R) -> Option<Obj> {
    guarded(|| op(value(left)?, value(right)?))
}

fn comparison(
    left: Option<Obj>,
    right: Option<Obj>,
    test: fn(std::cmp::Ordering) -> bool,
) -> Option<Obj> {
    guarded(|| {
        Ok(boolean(numbers::compare_with(
            value(left)?,
            value(right)?,
            test,
        )?))
    })
}

#[no_mangle]
pub extern "C" fn jank_add(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    binary(left, right, numbers::add)
}

#[no_mangle]
pub extern "C" fn jank_subtract(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    binary(left, right, numbers::subtract)
}

#[no_mangle]
pub extern "C" fn jank_multiply(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    binary(left, right, numbers::multiply)
}

#[no_mangle]
pub extern "C" fn jank_divide(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    binary(left, right, numbers::divide)
}

#[no_mangle]
pub extern "C" fn jank_inc(operand: Option<Obj>) -> Option<Obj> {
    guarded(|| value(operand).and_then(numbers::inc))
}

#[no_mangle]
pub extern "C" fn jank_dec(operand: Option<Obj>) -> Option<Obj> {
    guarded(|| value(operand).and_then(numbers::dec))
}

#[no_mangle]
pub extern "C" fn jank_less(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    comparison(left, right, |o| o.is_lt())
}

#[no_mangle]
pub extern "C" fn jank_less_equal(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    comparison(left, right, |o| o.is_le())
}

#[no_mangle]
pub extern "C" fn jank_greater(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    comparison(left, right, |o| o.is_gt())
}

#[no_mangle]
pub extern "C" fn jank_greater_equal(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    comparison(left, right, |o| o.is_ge())
}

#[no_mangle]
pub extern "C" fn jank_number_equal(left: Option<Obj>, right: Option<Obj>) -> Option<Obj> {
    guarded(|| Ok(boolean(numbers::number_equal(value(left)?, value(right)?)?)))
}

#[no_mangle]
pub extern "C" fn jank_small_ints() -> *const c_void {
    crate::object::small_int_zero().cast()
}

#[no_mangle]
pub extern "C" fn jank_equiv(left: Option<Obj>, right: Option<Obj>) -> i32 {
    match (left, right) {
        (Some(l), Some(r)) => i32::from(gc::inhibited(|| equiv(l, r)).unwrap_or(false)),
        _ => 0,
    }
}

// ---- host interface ----

/// Reserves `size` bytes, 16-byte aligned and zeroed, never moved or freed.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn malloc(size: i32) -> *mut u8 {
    let size = usize::try_from(size).unwrap_or(0).max(1);
    match Layout::from_size_align(size, 16) {
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { std::alloc::alloc_zeroed(layout) },
        Err(_) => std::ptr::null_mut(),
    }
}

/// Splits a registry name at its last `/` that leaves a non-empty name
/// (`clojure.core//` is the var `/` of clojure.core).
fn split_registry_name(name: &str) -> Option<(&str, &str)> {
    let mut slash = name.rfind('/')?;
    if slash + 1 == name.len() {
        slash = name[..slash].rfind('/')?;
    }
    let (ns, var_name) = (&name[..slash], &name[slash + 1..]);
    (!ns.is_empty()).then_some((ns, var_name))
}

/// Calls a registry thunk `void *f(void)`.
fn call_thunk(fn_ptr: *const c_void) -> R {
    if fn_ptr.is_null() {
        return Err(illegal_argument("registry entry without a function"));
    }
    // SAFETY: registry "def", "defonce" and "eval" entries point at `void *f(void)`.
    let thunk: extern "C" fn() -> Option<Obj> = unsafe { std::mem::transmute(fn_ptr) };
    thunk().ok_or_else(from_null_return)
}

fn register(name: &str, signature: &str, fn_ptr: *const c_void) -> R {
    if signature == "eval" {
        return call_thunk(fn_ptr);
    }
    let (ns, var_name) = split_registry_name(name)
        .ok_or_else(|| illegal_argument(format!("registry name `{name}` is not ns/name")))?;
    let target = var::intern(ns, var_name);
    let value = match signature {
        "defonce" if var::is_bound(target) => return var::deref(target),
        "def" | "defonce" => call_thunk(fn_ptr)?,
        digits
            if !digits.is_empty()
                && digits.len() <= 2
                && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let arity: usize = digits.parse().map_err(|_| illegal_argument("bad arity"))?;
            if arity > MAX_PARAMS {
                return Err(illegal_argument(format!(
                    "registry arity {arity} is above {MAX_PARAMS}"
                )));
            }
            wrapper_fn(name, fn_ptr, arity)?
        }
        _ => {
            return Err(illegal_argument(format!(
                "unknown registry signature `{signature}` for {name}"
            )))
        }
    };
    var::bind_root(target, value);
    Ok(value)
}

/// # Safety
/// `entry` points at a `patch_symbol` with NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn jank_hot_reload_register(entry: *const PatchSymbol) -> Option<Obj> {
    if entry.is_null() {
        return boundary(Err(illegal_argument("NULL registry entry")));
    }
    // A host registers entries from the top, never from inside a call: the
    // calls an earlier entry's trap cut short (a stack overflow in the
    // engine, say) no longer count towards this one's depth.
    forget_cut_calls();
    let entry = &*entry;
    let (name, signature) = (c_string(entry.qualified_name), c_string(entry.signature));
    boundary(register(&name, &signature, entry.fn_ptr))
}

thread_local! {
    static HOST_TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static HOST_BYTES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Fills `buffer` for the host with `fill` and returns its address, valid
/// until the next call with the same buffer, setting `*length`; NULL with a
/// pending exception when `fill` threw.
///
/// # Safety
/// `length` is NULL or writable.
unsafe fn host_out(
    buffer: &'static std::thread::LocalKey<RefCell<Vec<u8>>>,
    fill: impl FnOnce(&mut Vec<u8>) -> R<()>,
    length: *mut i32,
) -> *const u8 {
    let (pointer, len) = buffer.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        buffer.clear();
        match gc::inhibited(|| fill(&mut buffer)) {
            Ok(()) => (
                buffer.as_ptr(),
                i32::try_from(buffer.len()).unwrap_or(i32::MAX),
            ),
            Err(thrown) => {
                set_pending(thrown);
                (std::ptr::null(), 0)
            }
        }
    });
    if !length.is_null() {
        *length = len;
    }
    pointer
}

/// Stores `text` for the host and returns its address, setting `*length`.
///
/// # Safety
/// `length` is NULL or writable.
unsafe fn host_text(text: R<String>, length: *mut i32) -> *const u8 {
    host_out(
        &HOST_TEXT,
        |buffer| text.map(|text| buffer.extend_from_slice(text.as_bytes())),
        length,
    )
}

/// # Safety
/// `length` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jank_host_pr_str(v: Option<Obj>, length: *mut i32) -> *const u8 {
    host_text(value(v).and_then(pr_str), length)
}

/// # Safety
/// `length` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jank_host_str(v: Option<Obj>, length: *mut i32) -> *const u8 {
    host_text(value(v).and_then(str_of), length)
}

/// The value in the compact binary form of [`crate::encode`], valid until the
/// next call; NULL with a pending exception when realizing a seq threw.
///
/// # Safety
/// `length` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jank_host_encode(v: Option<Obj>, length: *mut i32) -> *const u8 {
    host_out(
        &HOST_BYTES,
        |buffer| value(v).and_then(|v| encode(buffer, v)),
        length,
    )
}

// ---- host interface: the collector ----

/// Objects made from now until `jank_host_permanent_end` are never collected.
#[no_mangle]
pub extern "C" fn jank_host_permanent_begin() {
    gc::permanent_begin();
}

#[no_mangle]
pub extern "C" fn jank_host_permanent_end() {
    gc::permanent_end();
}

/// The count a collection returns to the host: objects freed, or -1 when it
/// was refused.
fn collection_count(outcome: Result<Option<u32>, gc::Refusal>) -> i32 {
    match outcome {
        Ok(freed) => freed.map_or(0, |n| i32::try_from(n).unwrap_or(i32::MAX)),
        Err(_) => -1,
    }
}

#[no_mangle]
pub extern "C" fn jank_host_seed_random(seed: i64) {
    crate::core::misc::seed_random(seed as u64);
}

/// Lowers the limit of nested fn calls (see the header); between calls only.
#[no_mangle]
pub extern "C" fn jank_host_set_max_call_depth(limit: i32) -> i32 {
    let limit = u32::try_from(limit).unwrap_or(1);
    crate::function::set_max_call_depth(limit) as i32
}

#[no_mangle]
pub extern "C" fn jank_host_gc_collect() -> i32 {
    forget_cut_calls();
    collection_count(gc::collect().map(Some))
}

#[no_mangle]
pub extern "C" fn jank_host_gc_safe_point() -> i32 {
    forget_cut_calls();
    collection_count(gc::safe_point())
}

/// The host asks for a collection only between its calls: when that is so,
/// no fn call is live, whatever a trap left counted.
fn forget_cut_calls() {
    if gc::is_safe_point() {
        crate::function::reset_call_depth();
        gc::forget_cut_frames();
        crate::core::refs::forget_cut_transaction();
    }
}

/// Stress mode on (non-zero) or off: every safe point collects, and
/// collected objects are poisoned instead of freed (`crate::gc`).
#[no_mangle]
pub extern "C" fn jank_host_gc_stress(on: i32) {
    gc::set_stress(on != 0);
}

/// Whether collections may happen inside calls (non-zero, the default) or
/// only between them: off once a patch without the `jank.frame_roots` custom
/// section is loaded, since its frames keep values in wasm locals.
#[no_mangle]
pub extern "C" fn jank_host_gc_in_calls(on: i32) {
    gc::set_in_calls(on != 0);
}

#[no_mangle]
pub extern "C" fn jank_host_retain(v: Option<Obj>) -> Option<Obj> {
    if let Some(value) = v {
        gc::retain(value);
    }
    v
}

#[no_mangle]
pub extern "C" fn jank_host_release(v: Option<Obj>) {
    if let Some(value) = v {
        gc::release(value);
    }
}

thread_local! {
    static HOST_STATS: std::cell::Cell<gc::GcStats> = std::cell::Cell::new(gc::GcStats::default());
}

/// The collector's figures, in a buffer valid until the next call.
#[no_mangle]
pub extern "C" fn jank_host_gc_stats() -> *const gc::GcStats {
    HOST_STATS.with(|slot| {
        slot.set(gc::stats());
        slot.as_ptr().cast_const()
    })
}

thread_local! {
    static HOST_ALLOCATION_FAILURE: std::cell::Cell<[u32; 2]> = const { std::cell::Cell::new([0; 2]) };
}

/// The allocation that failed since the last call, as [bytes requested,
/// bytes in use] in a buffer valid until the next call; NULL when none did.
/// Allocates nothing: the heap may be full.
#[no_mangle]
pub extern "C" fn jank_host_out_of_memory() -> *const u32 {
    let Some((requested, in_use)) = gc::take_allocation_failure() else {
        return std::ptr::null();
    };
    let saturate = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    HOST_ALLOCATION_FAILURE.with(|slot| {
        slot.set([saturate(requested), saturate(in_use)]);
        slot.as_ptr().cast::<u32>().cast_const()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_split_at_the_last_useful_slash() {
        assert_eq!(split_registry_name("user/f"), Some(("user", "f")));
        assert_eq!(
            split_registry_name("clojure.core//"),
            Some(("clojure.core", "/"))
        );
        assert_eq!(split_registry_name("a.b/c/d"), Some(("a.b/c", "d")));
        assert_eq!(split_registry_name("f"), None);
        assert_eq!(split_registry_name("/f"), None);
    }
}
