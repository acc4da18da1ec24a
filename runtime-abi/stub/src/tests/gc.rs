//! The collector at safe points: what it frees (tombstones prove it), what
//! it keeps (values read back after the collection and after the freed memory
//! is reused), and when it refuses to run.

use crate::error::{set_pending, take_pending, Thrown};
use crate::gc::{self, Refusal};
use crate::object::{keyword, Obj, Object};
use crate::print::pr_str;
use crate::tests::reader::eval_source;
use crate::var;

fn eval(source: &str) -> Obj {
    eval_source(source)
        .ok()
        .unwrap_or_else(|| panic!("{source} evaluates"))
}

fn printed(value: Obj) -> String {
    pr_str(value).ok().expect("prints")
}

/// Binds `gc-test/name` to `value`, which makes it reachable.
fn root(name: &str, value: Obj) -> Obj {
    let v = var::intern("gc-test", name);
    var::bind_root(v, value);
    v
}

fn collect() -> u32 {
    gc::collect().expect("a safe point")
}

fn is_freed(value: Obj) -> bool {
    value.cell().is_tombstone()
}

/// Collects, then fills the freed memory with new objects, so a kept value
/// that pointed into it would print wrong (or hit a tombstone).
fn collect_and_churn() {
    collect();
    eval("(doall (map (fn [i] [i (str i) {:i i}]) (range 500)))");
}

#[test]
fn unreachable_values_are_freed_and_reachable_ones_survive() {
    let kept = eval("(vec (map inc (range 100)))");
    root("kept", kept);
    let garbage = eval("(doall (map str (range 1000)))");
    let freed = collect();
    assert!(freed >= 1000, "freed {freed}");
    assert!(is_freed(garbage));
    assert!(!is_freed(kept));
    collect_and_churn();
    assert_eq!(
        printed(kept),
        printed(eval("(vec (range 1 101))")),
        "the kept vector reads back unchanged"
    );
}

#[test]
fn closures_atoms_lazy_seqs_and_delays_keep_what_they_hold() {
    let counter = eval("(let [a (atom {:n 1})] (fn [] (swap! a update :n inc)))");
    root("counter", counter);
    let unrealized = eval("(let [k (str \"k\" 7)] (lazy-seq (cons k (map inc [1 2]))))");
    root("unrealized", unrealized);
    let endless = eval("(iterate (fn [x] (* 2 x)) 1)");
    root("endless", endless);
    let pending = eval("(let [v [1 2 3]] (delay (reduce + v)))");
    root("pending", pending);
    assert_eq!(
        printed(
            crate::seq::first(crate::seq::rest(endless).ok().unwrap())
                .ok()
                .unwrap()
        ),
        "2"
    );

    for expected in ["{:n 2}", "{:n 3}", "{:n 4}"] {
        collect_and_churn();
        let result = crate::function::call(counter, &[]).ok().expect("calls");
        assert_eq!(printed(result), expected);
    }
    collect_and_churn();
    assert_eq!(printed(unrealized), "(\"k7\" 2 3)");
    collect_and_churn();
    assert_eq!(printed(unrealized), "(\"k7\" 2 3)");
    let tenth = crate::core::colls::nth(endless, crate::object::int(10), None);
    assert_eq!(printed(tenth.ok().unwrap()), "1024");
    collect_and_churn();
    let forced = crate::function::call(var::find("clojure.core", "force").unwrap(), &[pending]);
    assert_eq!(printed(forced.ok().unwrap()), "6");
}

#[test]
fn sorted_collections_keep_their_comparator_fns() {
    let by_distance = eval("(let [origin 10] (sorted-set-by (fn [a b] (compare (abs (- a origin)) (abs (- b origin)))) 1 12 10))");
    root("by_distance", by_distance);
    let descending = eval("(let [flip (fn [a b] (> a b))] (sorted-map-by flip 1 :a 3 :c))");
    root("descending", descending);
    collect_and_churn();
    let conj = var::find("clojure.core", "conj").unwrap();
    let grown = crate::function::call(conj, &[by_distance, crate::object::int(7)]);
    assert_eq!(printed(grown.ok().unwrap()), "#{10 12 7 1}");
    let assoc = var::find("clojure.core", "assoc").unwrap();
    let added = crate::function::call(
        assoc,
        &[descending, crate::object::int(2), keyword(None, "b")],
    );
    assert_eq!(printed(added.ok().unwrap()), "{3 :c, 2 :b, 1 :a}");
}

#[test]
fn metadata_lives_as_long_as_its_value() {
    let tagged = eval("(with-meta [1 2] {:source (str \"sensor-\" 7)})");
    root("tagged", tagged);
    let dropped = eval("(with-meta [3] {:gone (str \"x\" 1)})");
    let dropped_meta = crate::meta::meta(dropped).ok().unwrap();
    collect_and_churn();
    assert!(is_freed(dropped) && is_freed(dropped_meta));
    assert_eq!(
        printed(crate::meta::meta(tagged).ok().unwrap()),
        "{:source \"sensor-7\"}"
    );
    let fresh = eval("[3]");
    assert_eq!(printed(crate::meta::meta(fresh).ok().unwrap()), "nil");
}

#[test]
fn matchers_keep_their_pattern_and_text() {
    let matcher = eval("(re-matcher (re-pattern (str \"[a-z]\" \"+\")) (str \"one \" \"two\"))");
    root("matcher", matcher);
    let re_find = var::find("clojure.core", "re-find").unwrap();
    let first = crate::function::call(re_find, &[matcher]);
    assert_eq!(printed(first.ok().unwrap()), "\"one\"");
    collect_and_churn();
    let second = crate::function::call(re_find, &[matcher]);
    assert_eq!(printed(second.ok().unwrap()), "\"two\"");
}

#[test]
fn multimethods_keep_their_dispatch_fn_methods_and_preferences() {
    let defmulti = var::find("jank.runtime", "defmulti*").unwrap();
    let add_method = var::find("jank.runtime", "add-method").unwrap();
    let the_var = var::intern("gc-test", "speak");
    let dispatch = eval("(let [k (keyword (str \"ki\" \"nd\"))] (fn [x] (get x k)))");
    let multi = crate::function::call(
        defmulti,
        &[the_var, crate::object::string("speak"), dispatch],
    );
    let multi = multi.ok().unwrap();
    var::bind_root(the_var, multi);
    let method = eval("(let [s (str \"wo\" \"of\")] (fn [_] s))");
    let value = keyword(None, "dog");
    assert!(crate::function::call(add_method, &[multi, value, method]).is_ok());
    collect_and_churn();
    let answer = crate::function::call(multi, &[eval("{:kind :dog}")]);
    assert_eq!(printed(answer.ok().unwrap()), "\"woof\"");
}

#[test]
fn thread_bindings_are_roots() {
    let the_var = var::intern("gc-test", "dynamic");
    let bound = eval("(vec (map str (range 3)))");
    var::push_bindings(vec![(the_var, bound)]);
    collect_and_churn();
    let seen = var::deref(the_var).ok().unwrap();
    assert!(seen.identical(bound));
    assert_eq!(printed(seen), "[\"0\" \"1\" \"2\"]");
    assert!(var::pop_bindings());
    assert!(!var::pop_bindings(), "one frame was pushed");
}

#[test]
fn cycles_are_collected_when_unreachable_and_kept_when_reachable() {
    let source = "(let [a (atom nil)] (reset! a (fn [] a)) a)";
    let lonely = eval(source);
    let rooted = eval(source);
    root("cycle", rooted);
    collect_and_churn();
    assert!(is_freed(lonely));
    assert!(!is_freed(rooted));
    let Object::Atom(atom) = &*rooted else {
        panic!("an atom")
    };
    let inner = crate::function::call(atom.value.get(), &[]).ok().unwrap();
    assert!(inner.identical(rooted), "the fn still returns its atom");
}

#[test]
fn permanent_retained_and_pending_values_are_roots() {
    gc::permanent_begin();
    let constant = eval("[:a \"b\" {:c 1.5}]");
    gc::permanent_end();
    let retained = eval("(list 1 2 (str \"three\"))");
    gc::retain(retained);
    gc::retain(retained);
    set_pending(Thrown(eval("(ex-info \"pending\" {:k [1 2]})")));
    collect_and_churn();
    assert_eq!(printed(constant), "[:a \"b\" {:c 1.5}]");
    assert_eq!(printed(retained), "(1 2 \"three\")");
    let exception = take_pending().expect("still pending");
    let ex_data = var::find("clojure.core", "ex-data").expect("ex-data");
    let data = crate::function::call(ex_data, &[exception]).ok().unwrap();
    assert_eq!(printed(data), "{:k [1 2]}");

    gc::release(retained);
    collect_and_churn();
    assert!(!is_freed(retained), "retained twice, released once");
    gc::release(retained);
    collect();
    assert!(is_freed(retained));
    assert!(is_freed(exception), "taken, so no longer a root");
    assert!(!is_freed(constant));
}

#[test]
fn keywords_stay_identical_while_reachable_and_leave_the_table_after() {
    let reachable = keyword(Some("gc-test"), "kept");
    root("keyword", eval("{:x 1}"));
    root("keyword-holder", crate::coll::vector_obj([reachable]));
    let unreachable = keyword(Some("gc-test"), "dropped");
    collect_and_churn();
    assert!(keyword(Some("gc-test"), "kept").identical(reachable));
    assert!(is_freed(unreachable));
    let again = keyword(Some("gc-test"), "dropped");
    assert_eq!(printed(again), ":gc-test/dropped");
    assert!(again.identical(keyword(Some("gc-test"), "dropped")));
}

#[test]
fn collection_is_refused_where_frames_may_be_live() {
    let garbage = eval("[1 2 3]");
    gc::permanent_begin();
    assert_eq!(gc::collect(), Err(Refusal::NotASafePoint));
    gc::permanent_end();
    assert_eq!(gc::host_callback(gc::collect), Err(Refusal::NotASafePoint));
    assert!(!is_freed(garbage));

    let delay = eval("(delay 1)");
    root("borrowed", delay);
    let Object::Delay(state) = &*delay else {
        panic!("a delay")
    };
    let borrow = state.borrow_mut();
    assert_eq!(gc::collect(), Err(Refusal::InUse));
    assert!(
        !is_freed(garbage),
        "nothing is freed by a refused collection"
    );
    drop(borrow);
    collect();
    assert!(is_freed(garbage));
}

#[test]
fn native_library_survives_many_collections() {
    for round in 0..5 {
        collect();
        let value = eval(&format!(
            "(reduce + (map #(* % %) (filter even? (range {round} 50))))"
        ));
        let expected: i64 = (round..50).filter(|n| n % 2 == 0).map(|n| n * n).sum();
        assert_eq!(printed(value), expected.to_string());
    }
    let stats = gc::stats();
    assert!(stats.collections >= 5);
    assert!(
        stats.permanent_objects > 500,
        "vars and natives are permanent"
    );
}

#[test]
fn a_mutable_field_keeps_the_value_set_last() {
    let class = "(jank.runtime/define-class :type 'gc-test 'Cell '[label value] '[value])";
    let cell = eval(&format!(
        "(jank.runtime/new-instance {class} \"cell\" (vec (map inc (range 10))))"
    ));
    root("cell", cell);
    let first = eval("(jank.runtime/instance-field gc-test/cell 1)");
    let assigned = eval("(jank.runtime/set-field! gc-test/cell 1 (vec (map str (range 50))))");
    collect_and_churn();
    assert!(
        is_freed(first),
        "the value the field held before is garbage"
    );
    assert!(!is_freed(assigned));
    assert_eq!(
        printed(eval("(jank.runtime/instance-field gc-test/cell 1)")),
        printed(eval("(vec (map str (range 50)))")),
        "the field reads back the value set last"
    );
    assert_eq!(
        printed(eval("(jank.runtime/instance-field gc-test/cell 0)")),
        "\"cell\""
    );
}
