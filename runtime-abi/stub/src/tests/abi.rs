//! The exported helpers as a patch and a loader use them: values, calls,
//! closures, the registry, and the pending-exception protocol.

use std::ffi::{c_char, c_void, CStr};

use crate::abi::*;
use crate::function::ArityDesc;
use crate::io::take_output;
use crate::object::Obj;

fn pr(value: Option<Obj>) -> String {
    let mut length = 0;
    // SAFETY: length is writable; the text stays valid until the next call.
    unsafe {
        let text = jank_host_pr_str(value, &mut length);
        assert!(!text.is_null(), "printing threw");
        String::from_utf8(std::slice::from_raw_parts(text, length as usize).to_vec())
            .expect("UTF-8")
    }
}

/// Takes the pending exception and shows it as `str` does.
fn thrown() -> String {
    let exception = jank_exception_take();
    let mut length = 0;
    // SAFETY: as in `pr`.
    unsafe {
        let text = jank_host_str(Some(exception), &mut length);
        String::from_utf8(std::slice::from_raw_parts(text, length as usize).to_vec())
            .expect("UTF-8")
    }
}

fn kw(name: &CStr) -> Obj {
    // SAFETY: NUL-terminated literals.
    unsafe { jank_make_keyword(c"".as_ptr(), name.as_ptr()) }
}

fn call_var(ns: &CStr, name: &CStr, args: &[Option<Obj>]) -> Option<Obj> {
    // SAFETY: NUL-terminated literals; args holds args.len() values.
    unsafe { jank_call_var(ns.as_ptr(), name.as_ptr(), args.len() as i32, args.as_ptr()) }
}

/// A patch fn arity `(fn [x] (+ x 1))`.
extern "C" fn add_one(_this: Obj, x: Obj) -> Option<Obj> {
    jank_add(Some(x), Some(jank_box_integer(1)))
}

/// A patch fn arity `(fn [x] (throw (ex-info "bad" {:x x})))`.
extern "C" fn throws(_this: Obj, x: Obj) -> Option<Obj> {
    let pair = [Some(kw(c"x")), Some(x)];
    // SAFETY: two pairs' worth of values.
    let data = unsafe { jank_make_map(1, pair.as_ptr()) };
    let message = unsafe { jank_make_string(c"bad".as_ptr()) };
    let error = call_var(c"clojure.core", c"ex-info", &[Some(message), data])?;
    jank_exception_set(Some(error));
    None
}

/// A closure arity `(fn [y] (+ captured y))` reading its environment.
extern "C" fn adds_captured(this: Obj, y: Obj) -> Option<Obj> {
    let env = jank_closure_env(Some(this));
    // SAFETY: the fn was made with one captured value.
    let captured = unsafe { *env };
    jank_add(Some(captured), Some(y))
}

#[repr(C)]
struct Desc1 {
    name: *const c_char,
    arity_count: i32,
    arities: [ArityDesc; 1],
}

fn make_fn(name: &'static CStr, f: *const c_void, env: &[Option<Obj>]) -> Obj {
    let desc = Box::leak(Box::new(Desc1 {
        name: name.as_ptr(),
        arity_count: 1,
        arities: [ArityDesc {
            param_count: 1,
            variadic: 0,
            fn_ptr: f,
        }],
    }));
    // SAFETY: a leaked descriptor of one arity; env holds env.len() values.
    unsafe {
        jank_make_fn(
            (desc as *const Desc1).cast(),
            env.len() as i32,
            env.as_ptr(),
        )
    }
    .expect("made")
}

#[test]
fn the_lead_key_example() {
    take_output();
    let v = Some(jank_box_integer(7));
    let f = make_fn(c"user/f", add_one as *const c_void, &[]);
    let items = [Some(jank_box_integer(1)), Some(jank_box_integer(5)), v];
    // SAFETY: the arrays hold the counts passed.
    let (vector, set999) = unsafe {
        (
            jank_make_vector(3, items.as_ptr()),
            jank_make_set(1, [Some(jank_box_integer(999))].as_ptr()),
        )
    };
    let mapped = call_var(c"clojure.core", c"mapv", &[Some(f), vector]);
    let as_set = call_var(c"clojure.core", c"set", &[mapped]);
    let union = call_var(c"clojure.set", c"union", &[set999, as_set]);
    let sum = jank_add(Some(jank_box_integer(50)), v);
    let printed = call_var(c"clojure.core", c"println", &[Some(kw(c"kw")), sum, union]);
    assert_eq!(pr(printed), "nil");
    assert_eq!(take_output(), ":kw 57 #{999 6 2 8}\n");
}

#[test]
fn exceptions_propagate_as_null_plus_pending() {
    let f = make_fn(c"user/g", throws as *const c_void, &[]);
    let items = [Some(jank_box_integer(1))];
    // SAFETY: one element.
    let vector = unsafe { jank_make_vector(1, items.as_ptr()) };
    let lazy = call_var(c"clojure.core", c"map", &[Some(f), vector]);
    assert!(lazy.is_some(), "map is lazy, so nothing threw yet");
    // SAFETY: one argument.
    assert!(unsafe { jank_println(1, [lazy].as_ptr()) }.is_none());
    assert_eq!(thrown(), "clojure.lang.ExceptionInfo: bad {:x 1}");
    assert_eq!(
        pr(Some(jank_exception_take())),
        "nil",
        "the slot is empty after a take"
    );

    assert!(jank_divide(Some(jank_box_integer(1)), Some(jank_box_integer(0))).is_none());
    assert_eq!(thrown(), "java.lang.ArithmeticException: Divide by zero");
    assert!(jank_add(Some(jank_box_integer(i64::MAX)), Some(jank_box_integer(1))).is_none());
    assert_eq!(thrown(), "java.lang.ArithmeticException: long overflow");
    assert!(jank_less(Some(jank_box_integer(1)), Some(kw(c"a"))).is_none());
    assert!(thrown()
        .starts_with("java.lang.ClassCastException: class clojure.lang.Keyword cannot be cast"));
    // SAFETY: no arguments.
    assert!(unsafe { jank_call(Some(jank_box_integer(3)), 0, std::ptr::null()) }.is_none());
    assert!(thrown().starts_with("java.lang.ClassCastException: class java.lang.Long cannot be cast to class clojure.lang.IFn"));
    assert!(call_var(c"user", c"missing", &[]).is_none());
    assert_eq!(
        thrown(),
        "java.lang.RuntimeException: No such var: user/missing"
    );
    assert!(call_var(c"clojure.core", c"nth", &[Some(kw(c"a"))]).is_none());
    assert_eq!(
        thrown(),
        "clojure.lang.ArityException: Wrong number of args (1) passed to: clojure.core/nth"
    );
    assert_eq!(
        jank_equiv(Some(jank_box_integer(1)), Some(jank_box_double(1.0))),
        0
    );
    assert_eq!(
        pr(jank_number_equal(
            Some(jank_box_integer(1)),
            Some(jank_box_double(1.0))
        )),
        "true"
    );
}

#[test]
fn vars_closures_and_callables() {
    // SAFETY: NUL-terminated literals.
    let var = unsafe { jank_var_intern_c(c"user".as_ptr(), c"x".as_ptr()) };
    assert_eq!(pr(Some(var)), "#'user/x");
    assert_eq!(jank_var_is_bound(Some(var)), 0);
    assert!(jank_var_deref(Some(var)).is_none());
    assert_eq!(
        thrown(),
        "java.lang.IllegalStateException: Var user/x is unbound."
    );
    // SAFETY: no arguments.
    assert!(unsafe { jank_call(Some(var), 0, std::ptr::null()) }.is_none());
    assert_eq!(
        thrown(),
        "java.lang.IllegalStateException: Attempting to call unbound fn: #'user/x"
    );

    let closure = make_fn(
        c"user/adder",
        adds_captured as *const c_void,
        &[Some(jank_box_integer(40))],
    );
    jank_var_bind_root(Some(var), Some(closure));
    assert_eq!(jank_var_is_bound(Some(var)), 1);
    // SAFETY: one argument each.
    unsafe {
        assert_eq!(
            pr(jank_call(
                Some(var),
                1,
                [Some(jank_box_integer(2))].as_ptr()
            )),
            "42"
        );
        let pairs = [Some(kw(c"a")), Some(jank_box_integer(1))];
        let map = jank_make_map(1, pairs.as_ptr());
        assert_eq!(pr(jank_call(Some(kw(c"a")), 1, [map].as_ptr())), "1");
        assert_eq!(pr(jank_call(map, 1, [Some(kw(c"a"))].as_ptr())), "1");
        let list = jank_make_list(
            2,
            [
                Some(jank_make_char(97).expect("a char")),
                Some(jank_box_boolean(0)),
            ]
            .as_ptr(),
        );
        assert_eq!(pr(list), "(\\a false)");
        assert_eq!(
            pr(Some(jank_make_string_n(b"a\0b".as_ptr(), 3))),
            "\"a\u{0}b\""
        );
        assert_eq!(
            pr(Some(jank_make_symbol(c"ns".as_ptr(), c"s".as_ptr()))),
            "ns/s"
        );
        assert_eq!(pr(jank_make_regex(b"a+\\d".as_ptr(), 4)), "#\"a+\\d\"");
        assert!(jank_make_regex(b"(a".as_ptr(), 2).is_none());
        assert!(pr(Some(jank_exception_take())).contains("PatternSyntaxException"));
    }
    assert_eq!(jank_unbox_integer(Some(jank_box_integer(-5))), -5);
    assert_eq!(jank_unbox_integer(Some(jank_box_double(1.5))), 0);
    assert_eq!(jank_unbox_double(Some(jank_box_integer(3))), 3.0);
    assert_eq!(jank_truthy(Some(jank_nil_value())), 0);
    assert_eq!(jank_truthy(Some(jank_box_boolean(0))), 0);
    assert_eq!(jank_truthy(Some(jank_box_integer(0))), 1);
    assert!(jank_make_char(0xD800).is_none());
    thrown();
}

/// A seed-style fixed-arity fn `(defn twice [x] (* 2 x))`.
extern "C" fn twice(x: Obj) -> Option<Obj> {
    jank_multiply(Some(jank_box_integer(2)), Some(x))
}

extern "C" fn def_value() -> Option<Obj> {
    Some(jank_box_integer(10))
}

extern "C" fn def_other() -> Option<Obj> {
    Some(jank_box_integer(20))
}

extern "C" fn eval_twice_ten() -> Option<Obj> {
    // SAFETY: NUL-terminated literals; one argument.
    unsafe {
        let ten = jank_deref_var(c"app".as_ptr(), c"state".as_ptr())?;
        jank_call_var(c"app".as_ptr(), c"twice".as_ptr(), 1, [Some(ten)].as_ptr())
    }
}

extern "C" fn eval_throws() -> Option<Obj> {
    jank_exception_set(Some(jank_box_integer(99)));
    None
}

fn register(name: &CStr, signature: &CStr, f: *const c_void) -> Option<Obj> {
    let entry = PatchSymbol {
        qualified_name: name.as_ptr(),
        signature: signature.as_ptr(),
        fn_ptr: f,
    };
    // SAFETY: a valid entry.
    unsafe { jank_hot_reload_register(&entry) }
}

#[test]
fn the_registry_binds_defs_and_evaluates() {
    assert!(register(c"app/twice", c"1", twice as *const c_void).is_some());
    assert_eq!(
        pr(register(
            c"app/state",
            c"defonce",
            def_value as *const c_void
        )),
        "10"
    );
    assert_eq!(
        pr(register(
            c"app/state",
            c"defonce",
            def_other as *const c_void
        )),
        "10",
        "defonce keeps its state"
    );
    assert_eq!(
        pr(register(c"app", c"eval", eval_twice_ten as *const c_void)),
        "20"
    );
    assert_eq!(
        pr(register(c"app/state", c"def", def_other as *const c_void)),
        "20",
        "def rebinds"
    );
    assert_eq!(
        pr(register(c"my.ns//", c"def", def_value as *const c_void)),
        "10"
    );
    // SAFETY: NUL-terminated literals.
    assert_eq!(
        pr(unsafe { jank_deref_var(c"my.ns".as_ptr(), c"/".as_ptr()) }),
        "10"
    );
    assert!(register(c"app", c"eval", eval_throws as *const c_void).is_none());
    assert_eq!(pr(Some(jank_exception_take())), "99");
    assert!(register(c"app/bad", c"what", def_value as *const c_void).is_none());
    assert!(thrown().contains("unknown registry signature"));
    // SAFETY: one argument.
    let wrapped = unsafe { jank_call_var(c"app".as_ptr(), c"twice".as_ptr(), 0, std::ptr::null()) };
    assert!(wrapped.is_none());
    assert_eq!(
        thrown(),
        "clojure.lang.ArityException: Wrong number of args (0) passed to: app/twice"
    );
    let seed = jank_make_fn_wrapper(twice as *const c_void, 1);
    // SAFETY: one argument.
    assert_eq!(
        pr(unsafe { jank_call(seed, 1, [Some(jank_box_integer(4))].as_ptr()) }),
        "8"
    );
}

#[test]
fn malloc_is_aligned_and_zeroed() {
    let p = malloc(100);
    assert_eq!(p as usize % 16, 0);
    // SAFETY: 100 bytes were reserved.
    assert!(unsafe { std::slice::from_raw_parts(p, 100) }
        .iter()
        .all(|b| *b == 0));
}

#[test]
fn values_encode_to_the_compact_form_the_page_reads() {
    let value = super::reader::eval_source(
        "[:p {:id \"x\"} nil true false 1 2.5 1/2 \\é \"é\" 'a/b (map inc [1]) #{} (atom 1)]",
    )
    .ok()
    .expect("the source evaluates");
    let mut length = 0;
    // SAFETY: length is writable; the bytes stay valid until the next call.
    let bytes = unsafe {
        let bytes = jank_host_encode(Some(value), &mut length);
        assert!(!bytes.is_null(), "encoding threw");
        std::slice::from_raw_parts(bytes, length as usize).to_vec()
    };
    let number = |n: f64| {
        let mut out = vec![3];
        out.extend(n.to_le_bytes());
        out
    };
    let text = |tag: u8, s: &str| {
        let mut out = vec![tag];
        out.extend((s.len() as u32).to_le_bytes());
        out.extend(s.as_bytes());
        out
    };
    let mut expected = vec![8, 14, 0, 0, 0];
    expected.extend(text(5, "p"));
    expected.extend([10, 1, 0, 0, 0]);
    expected.extend(text(5, "id"));
    expected.extend(text(4, "x"));
    expected.extend([0, 2, 1]);
    expected.extend(number(1.0));
    expected.extend(number(2.5));
    expected.extend(number(0.5));
    expected.extend(text(7, "é"));
    expected.extend(text(4, "é"));
    expected.extend(text(6, "a/b"));
    expected.extend([9, 1, 0, 0, 0]);
    expected.extend(number(2.0));
    expected.extend([11, 0, 0, 0, 0]);
    assert_eq!(bytes[..expected.len()], expected[..]);
    let atom = &bytes[expected.len()..];
    assert_eq!(atom[0], 12);
    assert!(
        String::from_utf8_lossy(&atom[5..]).starts_with("clojure.lang.Atom@"),
        "{atom:?}"
    );
}

#[test]
fn a_vector_with_a_key_in_its_metadata_encodes_the_key_first() {
    let value = super::reader::eval_source(
        "[(with-meta [:li] {:key 7 :x 1}) (with-meta [:b] {:doc \"d\"}) (with-meta [:i] {:key nil})]",
    )
    .ok()
    .expect("the source evaluates");
    let mut length = 0;
    // SAFETY: length is writable; the bytes stay valid until the next call.
    let bytes = unsafe {
        let bytes = jank_host_encode(Some(value), &mut length);
        assert!(!bytes.is_null(), "encoding threw");
        std::slice::from_raw_parts(bytes, length as usize).to_vec()
    };
    let element = |tag: &str| {
        let mut out = vec![8, 1, 0, 0, 0, 5];
        out.extend((tag.len() as u32).to_le_bytes());
        out.extend(tag.as_bytes());
        out
    };
    let mut expected = vec![8, 3, 0, 0, 0];
    expected.push(14);
    expected.push(3);
    expected.extend(7.0f64.to_le_bytes());
    expected.extend(element("li"));
    expected.extend(element("b"));
    expected.extend([14, 0]);
    expected.extend(element("i"));
    assert_eq!(bytes, expected);
}

#[test]
fn encoding_a_seq_that_throws_is_a_pending_exception() {
    let value = super::reader::eval_source("(map (fn [x] (throw (ex-info \"no\" {}))) [1])")
        .ok()
        .expect("the source evaluates");
    let mut length = 0;
    // SAFETY: length is writable.
    let bytes = unsafe { jank_host_encode(Some(value), &mut length) };
    assert!(bytes.is_null());
    let message = thrown();
    assert!(message.contains("no"), "{message}");
}

#[test]
fn number_literals_big_integers_decimals_and_ratios() {
    // SAFETY: NUL-terminated literals.
    let (big, decimal, bad) = unsafe {
        (
            jank_big_integer_create(c"-123456789012345678901234567890".as_ptr()),
            jank_big_decimal_create(c"1.50".as_ptr()),
            jank_big_integer_create(c"12x".as_ptr()),
        )
    };
    assert_eq!(pr(big), "-123456789012345678901234567890N");
    assert_eq!(pr(decimal), "1.50M");
    assert!(bad.is_none());
    assert!(thrown().contains("For input string: \"12x\""));
    let third = jank_ratio_create(Some(jank_box_integer(2)), Some(jank_box_integer(6)));
    assert_eq!(pr(third), "1/3");
    let whole = jank_ratio_create(Some(jank_box_integer(6)), Some(jank_box_integer(3)));
    assert_eq!(pr(whole), "2N");
    let huge = jank_ratio_create(big, Some(jank_box_integer(4)));
    assert_eq!(pr(huge), "-61728394506172839450617283945/2");
    assert!(jank_ratio_create(Some(jank_box_integer(1)), Some(jank_box_integer(0))).is_none());
    assert_eq!(thrown(), "java.lang.ArithmeticException: Divide by zero");
}

/// A var's `jank_direct_calls` record as a patch reads it: `depth`, `fn`,
/// then `with_self` and `plain`, each `JANK_MAX_PARAMS + 1` words.
fn direct_calls(var: Obj) -> Vec<usize> {
    let words = 2 + 2 * (crate::function::MAX_PARAMS + 1);
    let record = jank_var_direct_calls(Some(var)).cast::<usize>();
    // SAFETY: the record is that many pointer-sized words and lives for ever.
    unsafe { std::slice::from_raw_parts(record, words) }.to_vec()
}

/// The entries a record names: (with self, arity) pairs with their pointers.
fn direct_entries(record: &[usize]) -> Vec<(bool, usize, usize)> {
    let count = crate::function::MAX_PARAMS + 1;
    let mut entries = Vec::new();
    for arity in 0..count {
        if record[2 + arity] != 0 {
            entries.push((true, arity, record[2 + arity]));
        }
        if record[2 + count + arity] != 0 {
            entries.push((false, arity, record[2 + count + arity]));
        }
    }
    entries
}

#[test]
fn a_var_s_direct_call_record_follows_its_root_and_its_bindings() {
    // SAFETY: NUL-terminated literals.
    let var = unsafe { jank_var_intern_c(c"user".as_ptr(), c"direct".as_ptr()) };
    let record = direct_calls(var);
    assert_eq!(record[0], crate::function::call_depth() as usize);
    assert_eq!(record[1], 0, "unbound: no fn");
    assert!(direct_entries(&record).is_empty());

    let closure = make_fn(
        c"user/direct",
        adds_captured as *const c_void,
        &[Some(jank_box_integer(40))],
    );
    jank_var_bind_root(Some(var), Some(closure));
    let record = direct_calls(var);
    assert_eq!(record[1], closure.addr());
    assert_eq!(
        direct_entries(&record),
        [(true, 1, adds_captured as *const c_void as usize)]
    );

    let wrapper = jank_make_fn_wrapper(twice as *const c_void, 1).expect("made");
    jank_var_bind_root(Some(var), Some(wrapper));
    let record = direct_calls(var);
    assert_eq!(record[1], wrapper.addr());
    assert_eq!(
        direct_entries(&record),
        [(false, 1, twice as *const c_void as usize)]
    );

    crate::var::push_bindings(vec![(var, closure)]);
    let bound = direct_calls(var);
    assert_eq!(
        (bound[1], direct_entries(&bound)),
        (0, vec![]),
        "thread-bound: jank_call"
    );
    assert!(crate::var::pop_bindings());
    assert_eq!(direct_calls(var)[1], wrapper.addr(), "the binding popped");

    // SAFETY: NUL-terminated literals.
    let inc = unsafe { jank_deref_var(c"clojure.core".as_ptr(), c"inc".as_ptr()) };
    jank_var_bind_root(Some(var), inc);
    let record = direct_calls(var);
    assert_eq!(
        (record[1], direct_entries(&record)),
        (0, vec![]),
        "a native: jank_call"
    );

    let not_a_var = direct_calls(jank_box_integer(1));
    assert_eq!((not_a_var[1], direct_entries(&not_a_var)), (0, vec![]));
}

#[test]
fn small_integers_lie_in_one_array_in_value_order() {
    let zero = jank_small_ints() as usize;
    assert_eq!(zero, jank_box_integer(0).addr());
    let stride = jank_box_integer(1).addr() - zero;
    for value in -128..128i64 {
        assert_eq!(
            jank_box_integer(value).addr() as i64,
            zero as i64 + value * stride as i64,
            "{value}"
        );
    }
}
