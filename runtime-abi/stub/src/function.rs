//! Fn objects and calls: native fns, patch fns described by a `jank_fn_desc`
//! (called through the function table with `self` first and a rest seq for a
//! variadic arity), seed-style wrappers without `self`, and calling anything
//! callable (vars, keywords, symbols, maps, sets, vectors); `apply`.

use std::borrow::Cow;
use std::cell::Cell;
use std::ffi::{c_char, c_void, CStr};
use std::rc::Rc;

use crate::core::colls::{get, lookup, nth};
use crate::error::{arity, class_cast, error, from_null_return, illegal_state, R};
use crate::object::{alloc, nil, Obj, Object};
use crate::print::pr_str;
use crate::seq::{cons, seq, seq_of, SeqIter};

/// A native fn: `f(captured values, arguments)`.
pub type NativeFn = fn(&[Obj], &[Obj]) -> R;

/// The most fixed parameters a patch fn arity or seed wrapper may have.
pub const MAX_PARAMS: usize = jank_runtime_abi::JANK_MAX_PARAMS;

// `patch_calls!` below has one arm per parameter count.
const _: () = assert!(MAX_PARAMS == 10, "patch_calls! covers 0..=10 parameters");

/// `jank_arity`, as a patch lays it out in its data segment.
#[repr(C)]
pub struct ArityDesc {
    pub param_count: i32,
    pub variadic: i32,
    pub fn_ptr: *const c_void,
}

/// `jank_fn_desc`: a name, then `arity_count` arities.
#[repr(C)]
pub struct FnDesc {
    pub name: *const c_char,
    pub arity_count: i32,
    pub arities: [ArityDesc; 0],
}

/// A fn object.
pub enum Function {
    Native {
        name: &'static str,
        min: usize,
        max: usize,
        f: NativeFn,
        data: Rc<[Obj]>,
        /// Whether `f` may collect while it runs: it keeps every value it
        /// holds across jank code in a `gc::RootFrame`. Every other native
        /// runs `gc::inhibited`.
        collects: bool,
    },
    /// A fn compiled into a patch, with its closure environment.
    Patch {
        desc: *const FnDesc,
        env: Box<[Cell<Obj>]>,
    },
    /// A seed-style fixed-arity fn without `self`.
    Wrapper {
        name: Box<str>,
        fn_ptr: *const c_void,
        arity: usize,
    },
}

/// `max` of a native fn that takes any number of arguments.
pub const VARIADIC: usize = usize::MAX;

/// A native fn of `min..=max` arguments closing over `data`.
pub fn native(name: &'static str, min: usize, max: usize, data: &[Obj], f: NativeFn) -> Obj {
    alloc(Object::Fn(Box::new(Function::Native {
        name,
        min,
        max,
        f,
        data: data.into(),
        collects: false,
    })))
}

/// Whether calling `value` may collect: anything but a native that runs
/// inhibited (a patch fn, a collecting native, a multimethod whose methods
/// are patch fns, any other callable).
pub fn may_collect(value: Obj) -> bool {
    !matches!(
        &*value,
        Object::Fn(function) if matches!(**function, Function::Native { collects: false, .. })
    )
}

/// A native fn, closing over nothing, that roots its own state and so may
/// collect while it runs (see `Function::Native::collects`).
pub fn collecting_native(name: &'static str, min: usize, max: usize, f: NativeFn) -> Obj {
    alloc(Object::Fn(Box::new(Function::Native {
        name,
        min,
        max,
        f,
        data: Rc::new([]),
        collects: true,
    })))
}

impl Function {
    /// `ns/name` for messages and printing.
    pub fn name(&self) -> Cow<'_, str> {
        match self {
            Function::Native { name, .. } => Cow::Borrowed(name),
            Function::Patch { desc, .. } => {
                // SAFETY: a desc stays in its patch's memory, which is never freed;
                // its name is NUL-terminated (or NULL).
                let name = unsafe { (**desc).name };
                if name.is_null() {
                    Cow::Borrowed("fn")
                } else {
                    // SAFETY: as above.
                    unsafe { CStr::from_ptr(name) }.to_string_lossy()
                }
            }
            Function::Wrapper { name, .. } => Cow::Borrowed(name),
        }
    }

    pub(crate) fn arities(desc: *const FnDesc) -> &'static [ArityDesc] {
        // SAFETY: the desc lies in never-freed patch memory with arity_count
        // arities right after its header.
        unsafe {
            let count = usize::try_from((*desc).arity_count).unwrap_or(0);
            std::slice::from_raw_parts(
                std::ptr::addr_of!((*desc).arities).cast::<ArityDesc>(),
                count,
            )
        }
    }

    fn invoke(&self, this: Obj, args: &[Obj]) -> R {
        match self {
            Function::Native {
                min,
                max,
                f,
                data,
                collects,
                ..
            } => {
                if args.len() < *min || args.len() > *max {
                    return Err(arity(args.len(), &self.name()));
                }
                if *collects {
                    f(data, args)
                } else {
                    crate::gc::inhibited(|| f(data, args))
                }
            }
            Function::Wrapper {
                fn_ptr, arity: n, ..
            } => {
                if args.len() != *n {
                    return Err(arity(args.len(), &self.name()));
                }
                check_pointer(*fn_ptr)?;
                nested(self, || {
                    // SAFETY: the registry made this wrapper from a patch's
                    // function of exactly `n` value parameters.
                    unsafe { call_wrapper(*fn_ptr, args) }.ok_or_else(from_null_return)
                })
            }
            Function::Patch { desc, .. } => {
                let arities = Function::arities(*desc);
                let fixed = arities
                    .iter()
                    .find(|a| a.variadic == 0 && usize::try_from(a.param_count) == Ok(args.len()));
                let chosen = fixed.or_else(|| {
                    arities.iter().find(|a| {
                        a.variadic != 0
                            && usize::try_from(a.param_count).is_ok_and(|n| n <= args.len())
                    })
                });
                let Some(chosen) = chosen else {
                    return Err(arity(args.len(), &self.name()));
                };
                let params = chosen.param_count as usize;
                let rest = (chosen.variadic != 0).then(|| seq_of(args[params..].to_vec()));
                nested(self, || call_arity(chosen, this, &args[..params], rest))
            }
        }
    }
}

/// Patch fn calls nested deeper than this throw a StackOverflowError instead
/// of exhausting the native stack: a plain non-tail recursion reaches 10,000
/// as on the JVM, and the harness's wasm stack (`MAX_WASM_STACK`) holds this
/// many simple levels. A recursion whose levels pass through more runtime
/// frames (through `map`, `apply`, a lazy seq) may still exhaust the native
/// stack first; the host reports that trap naming the jank fn. A host with a
/// smaller stack lowers the limit (`set_max_call_depth`).
pub const MAX_CALL_DEPTH: u32 = jank_runtime_abi::JANK_MAX_CALL_DEPTH as u32;

thread_local! {
    /// Patch fn calls now on the stack, counted from `CALL_DEPTH_FLOOR`. A
    /// trap skips the decrement, so a safe point (where no call is live)
    /// puts it back: `reset_call_depth`.
    static CALL_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the count starts: MAX_CALL_DEPTH less the host's limit.
    /// Patches compare the count with JANK_MAX_CALL_DEPTH itself, so a
    /// higher start is how a lower limit reaches them too.
    static CALL_DEPTH_FLOOR: Cell<u32> = const { Cell::new(0) };
}

/// The most nested patch fn calls before a StackOverflowError.
fn max_call_depth() -> u32 {
    MAX_CALL_DEPTH - CALL_DEPTH_FLOOR.get()
}

/// Runs the call `f` of `function` one level deeper, or throws
/// StackOverflowError naming `function` when that is past the limit.
fn nested(function: &Function, f: impl FnOnce() -> R) -> R {
    let depth = CALL_DEPTH.get();
    if depth >= MAX_CALL_DEPTH {
        return Err(error(
            "java.lang.StackOverflowError",
            format!(
                "stack overflow: more than {} nested calls, calling {}",
                max_call_depth(),
                function.name()
            ),
        ));
    }
    CALL_DEPTH.set(depth + 1);
    let result = f();
    CALL_DEPTH.set(depth);
    result
}

/// At a safe point no call is live: forget the levels a trap left counted.
pub fn reset_call_depth() {
    CALL_DEPTH.set(CALL_DEPTH_FLOOR.get());
}

/// Sets the most nested patch fn calls (at most MAX_CALL_DEPTH, at least 1)
/// and answers the limit now in force. Only between calls: it restarts the
/// count.
pub fn set_max_call_depth(limit: u32) -> u32 {
    CALL_DEPTH_FLOOR.set(MAX_CALL_DEPTH - limit.clamp(1, MAX_CALL_DEPTH));
    reset_call_depth();
    max_call_depth()
}

/// The count of nested calls, which patches calling a var's fn directly
/// keep too (`jank_direct_calls.depth`). Its address never changes: wasm32
/// has one thread.
pub fn call_depth() -> *const Cell<u32> {
    CALL_DEPTH.with(|depth| depth as *const Cell<u32>)
}

fn check_pointer(fn_ptr: *const c_void) -> R<()> {
    if fn_ptr.is_null() {
        return Err(error(
            "java.lang.IllegalStateException",
            "fn object without a function pointer",
        ));
    }
    Ok(())
}

fn call_arity(arity_desc: &ArityDesc, this: Obj, args: &[Obj], rest: Option<Obj>) -> R {
    if args.len() > MAX_PARAMS {
        return Err(error(
            "java.lang.IllegalStateException",
            format!("fn arity with {} parameters", args.len()),
        ));
    }
    check_pointer(arity_desc.fn_ptr)?;
    // SAFETY: the patch declared this function with `self`, `args.len()` value
    // parameters and a rest parameter exactly when `rest` is Some.
    unsafe { call_patch(arity_desc.fn_ptr, this, args, rest) }.ok_or_else(from_null_return)
}

macro_rules! obj_type {
    ($a:ident) => {
        Obj
    };
}

macro_rules! patch_calls {
    ($($n:literal: ($($a:ident),*);)*) => {
        /// Calls `f(this, args.., [rest])` through the function table.
        ///
        /// # Safety
        /// `ptr` must be a function of exactly that wasm signature.
        unsafe fn call_patch(ptr: *const c_void, this: Obj, args: &[Obj], rest: Option<Obj>) -> Option<Obj> {
            match (args, rest) {
                $(
                    (&[$($a),*], None) => {
                        let f: extern "C" fn(Obj $(, obj_type!($a))*) -> Option<Obj> = std::mem::transmute(ptr);
                        f(this $(, $a)*)
                    }
                    (&[$($a),*], Some(rest)) => {
                        let f: extern "C" fn(Obj $(, obj_type!($a))*, Obj) -> Option<Obj> = std::mem::transmute(ptr);
                        f(this $(, $a)*, rest)
                    }
                )*
                _ => unreachable!("arities are checked against MAX_PARAMS"),
            }
        }

        /// Calls the seed-style `f(args..)` through the function table.
        ///
        /// # Safety
        /// `ptr` must be a function of exactly that wasm signature.
        unsafe fn call_wrapper(ptr: *const c_void, args: &[Obj]) -> Option<Obj> {
            match args {
                $(
                    &[$($a),*] => {
                        let f: extern "C" fn($(obj_type!($a)),*) -> Option<Obj> = std::mem::transmute(ptr);
                        f($($a),*)
                    }
                )*
                _ => unreachable!("wrapper arities are checked against MAX_PARAMS"),
            }
        }
    };
}

patch_calls! {
    0: ();
    1: (a0);
    2: (a0, a1);
    3: (a0, a1, a2);
    4: (a0, a1, a2, a3);
    5: (a0, a1, a2, a3, a4);
    6: (a0, a1, a2, a3, a4, a5);
    7: (a0, a1, a2, a3, a4, a5, a6);
    8: (a0, a1, a2, a3, a4, a5, a6, a7);
    9: (a0, a1, a2, a3, a4, a5, a6, a7, a8);
    10: (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9);
}

/// A patch fn object (`jank_make_fn`).
pub fn patch_fn(desc: *const FnDesc, env: &[Obj]) -> Obj {
    alloc(Object::Fn(Box::new(Function::Patch {
        desc,
        env: env.iter().map(|v| Cell::new(*v)).collect(),
    })))
}

/// A seed-style wrapper (`jank_make_fn_wrapper`, registry "N").
pub fn wrapper_fn(name: &str, fn_ptr: *const c_void, arity: usize) -> R {
    if arity > MAX_PARAMS {
        return Err(error(
            "java.lang.IllegalArgumentException",
            format!("fn wrapper arity {arity} is above {MAX_PARAMS}"),
        ));
    }
    Ok(alloc(Object::Fn(Box::new(Function::Wrapper {
        name: name.into(),
        fn_ptr,
        arity,
    }))))
}

/// A callable resolved once for many calls of `argc` arguments (a chunk's
/// worth, in `map` and `filter`): a native fn that accepts them and does not
/// collect is called straight, skipping [`call`]'s dispatch and arity check
/// at every value; anything else goes through [`call`].
pub enum Callee<'f> {
    Native(NativeFn, &'f [Obj]),
    Any(Obj),
}

impl<'f> Callee<'f> {
    pub fn of(f: &'f Obj, argc: usize) -> Callee<'f> {
        if let Object::Fn(function) = &**f {
            if let Function::Native {
                min,
                max,
                f: native,
                data,
                collects: false,
                ..
            } = &**function
            {
                if (*min..=*max).contains(&argc) {
                    return Callee::Native(*native, data);
                }
            }
        }
        Callee::Any(*f)
    }

    /// As `call(f, args)`.
    pub fn call(&self, args: &[Obj]) -> R {
        match self {
            Callee::Native(native, data) => crate::gc::inhibited(|| native(data, args)),
            Callee::Any(f) => call(*f, args),
        }
    }
}

/// Calls any callable with `args`.
pub fn call(f: Obj, args: &[Obj]) -> R {
    match &*f {
        Object::Fn(function) => function.invoke(f, args),
        // Dispatch holds the arguments across the dispatch fn's call.
        Object::MultiFn(_) => crate::gc::inhibited(|| crate::core::multi::invoke(f, args)),
        Object::Var(var) => match crate::var::current(f) {
            Some(root) => call(root, args),
            None => Err(illegal_state(format!(
                "Attempting to call unbound fn: #'{}",
                var.qualified()
            ))),
        },
        Object::Keyword(_) | Object::Symbol(_) => match *args {
            [coll] => lookup(coll, f, None),
            [coll, not_found] => lookup(coll, f, Some(not_found)),
            _ => Err(arity(args.len(), &pr_str(f)?)),
        },
        Object::Map(_) => match *args {
            [key] => get(f, key, nil()),
            [key, default] => get(f, key, default),
            _ => Err(arity(args.len(), f.class_name())),
        },
        // A set is a fn of one argument only (APersistentSet has no
        // not-found arity).
        Object::Set(_) => match *args {
            [key] => get(f, key, nil()),
            _ => Err(arity(args.len(), f.class_name())),
        },
        Object::Vector(_) => match *args {
            [index] => nth(f, index, None),
            _ => Err(arity(args.len(), f.class_name())),
        },
        // Calling a promise delivers it (once; later calls give nil).
        Object::Promise(cell) => match *args {
            [value] if cell.get().is_none() => {
                cell.set(Some(value));
                Ok(f)
            }
            [_] => Ok(nil()),
            _ => Err(arity(args.len(), f.class_name())),
        },
        // A transient is called as the collection it stands for.
        Object::Transient(t) => match t.get() {
            Some(inner) => call(inner, args),
            None => Err(crate::core::colls::transient_used()),
        },
        // A deftype or reify that implements IFn's invoke.
        Object::Instance(_) => match crate::core::protocols::host_method(f, "IFn", "invoke")? {
            Some(invoke) => {
                let mut with_self = Vec::with_capacity(args.len() + 1);
                with_self.push(f);
                with_self.extend_from_slice(args);
                call(invoke, &with_self)
            }
            None => Err(class_cast(f, "clojure.lang.IFn")),
        },
        _ => Err(class_cast(f, "clojure.lang.IFn")),
    }
}

/// `(apply f fixed.. rest)`: a variadic patch fn gets the unrealized tail of
/// `rest` beyond what its arities need.
pub fn apply(f: Obj, fixed: &[Obj], rest: Obj) -> R {
    let target = match &*f {
        Object::Var(_) => crate::var::current(f).unwrap_or(f),
        _ => f,
    };
    let patch_desc = match &*target {
        Object::Fn(function) => match &**function {
            Function::Patch { desc, .. } => Some(*desc),
            _ => None,
        },
        _ => None,
    };
    if let Some(desc) = patch_desc {
        let arities = Function::arities(desc);
        if let Some(variadic) = arities.iter().find(|a| a.variadic != 0) {
            let needed = arities
                .iter()
                .map(|a| a.param_count.max(0) as usize)
                .max()
                .unwrap_or(0)
                + 1;
            let mut args = fixed.to_vec();
            let mut items = SeqIter::new(rest);
            while args.len() < needed {
                match items.next() {
                    Some(item) => args.push(item?),
                    None => return call(target, &args),
                }
            }
            let params = variadic.param_count as usize;
            let mut tail = items.remainder();
            for item in args[params..].iter().rev() {
                tail = cons(*item, tail)?;
            }
            return call_arity(
                variadic,
                target,
                &args[..params],
                Some(seq(tail)?.unwrap_or_else(nil)),
            );
        }
    }
    // Clojure's concat takes its colls as a lazy rest seq, so `(apply
    // concat (map f (range)))` is lazy in them too.
    if let Object::Fn(function) = &*target {
        if matches!(
            &**function,
            Function::Native {
                name: crate::core::lazy::CONCAT,
                ..
            }
        ) {
            let mut colls = seq(rest)?.unwrap_or_else(nil);
            for coll in fixed.iter().rev() {
                colls = cons(*coll, colls)?;
            }
            return Ok(crate::core::lazy::concat_lazily(colls));
        }
    }
    let mut args = fixed.to_vec();
    for item in SeqIter::new(rest) {
        args.push(item?);
    }
    call(target, &args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::int;
    use crate::print::pr_str;

    extern "C" fn fixed_two(_this: Obj, a: Obj, b: Obj) -> Option<Obj> {
        Some(crate::seq::list_of(&[b, a]))
    }

    extern "C" fn variadic_one(_this: Obj, a: Obj, rest: Obj) -> Option<Obj> {
        Some(crate::coll::vector_obj([a, rest]))
    }

    extern "C" fn seed_one(a: Obj) -> Option<Obj> {
        Some(a)
    }

    #[repr(C)]
    struct Desc2 {
        name: *const c_char,
        arity_count: i32,
        arities: [ArityDesc; 2],
    }

    fn test_fn() -> Obj {
        let desc = Box::leak(Box::new(Desc2 {
            name: c"user/f".as_ptr(),
            arity_count: 2,
            arities: [
                ArityDesc {
                    param_count: 2,
                    variadic: 0,
                    fn_ptr: fixed_two as *const c_void,
                },
                ArityDesc {
                    param_count: 1,
                    variadic: 1,
                    fn_ptr: variadic_one as *const c_void,
                },
            ],
        }));
        patch_fn((desc as *const Desc2).cast(), &[])
    }

    fn show(result: R) -> String {
        match result {
            Ok(v) => pr_str(v).ok().unwrap(),
            Err(e) => format!("threw {}", crate::print::str_of(e.0).ok().unwrap()),
        }
    }

    #[test]
    fn arity_dispatch() {
        let f = test_fn();
        assert_eq!(show(call(f, &[int(1), int(2)])), "(2 1)");
        assert_eq!(show(call(f, &[int(1)])), "[1 nil]");
        assert_eq!(show(call(f, &[int(1), int(2), int(3)])), "[1 (2 3)]");
        assert_eq!(
            show(call(f, &[])),
            "threw clojure.lang.ArityException: Wrong number of args (0) passed to: user/f"
        );
        let seed = wrapper_fn("user/g", seed_one as *const c_void, 1)
            .ok()
            .unwrap();
        assert_eq!(show(call(seed, &[int(7)])), "7");
        assert_eq!(
            show(call(seed, &[])),
            "threw clojure.lang.ArityException: Wrong number of args (0) passed to: user/g"
        );
    }

    #[test]
    fn apply_keeps_an_endless_tail_lazy() {
        let f = test_fn();
        let endless = crate::seq::long_range(0, None, 1);
        let result = apply(f, &[], endless).ok().unwrap();
        let Object::Vector(v) = &*result else {
            panic!("expected a vector")
        };
        assert_eq!(pr_str(v.0[0]).ok().unwrap(), "0");
        let firsts = SeqIter::new(v.0[1])
            .take(3)
            .map(|x| pr_str(x.ok().unwrap()).ok().unwrap())
            .collect::<Vec<_>>();
        assert_eq!(firsts, ["1", "2", "3"]);
        assert_eq!(
            show(apply(f, &[int(1)], crate::coll::vector_obj([int(2)]))),
            "(2 1)"
        );
    }
}
