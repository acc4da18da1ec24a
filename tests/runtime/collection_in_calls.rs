//! Collection inside one long call (issue 11): a lazy pipeline walked by
//! `count`, a `reduce` and a `loop` of map updates keep their heap small
//! while they run, because the stub collects at `jank_gc_poll` and inside its
//! own seq-walking loops; a patch without the `jank.frame_roots` section
//! turns that off (its frames keep values in wasm locals).

use crate::common;
use jank_wasmtime_harness::{GcPolicy, GcStats, Runtime, FRAME_ROOTS_SECTION};
use pretty_assertions::assert_eq;

/// Far below what these programs allocate in all (hundreds of MiB), far
/// above what they keep live at any moment.
const SMALL_HEAP: u32 = 32 << 20;

/// Loads `text` as one patch and returns each top-level value, printed,
/// with the collector's figures after the load.
fn run(runtime: &mut Runtime, wasm: &[u8], export: &str) -> (Vec<String>, GcStats) {
    let values = runtime
        .load_patch(wasm, export)
        .unwrap()
        .into_iter()
        .map(|outcome| match outcome.result {
            Ok(value) => value.printed,
            Err(thrown) => panic!("{} threw {}", outcome.qualified_name, thrown.printed),
        })
        .collect();
    (values, runtime.gc_stats().unwrap().expect("a collector"))
}

/// Compiles `source` as one patch and loads it into a new runtime (under
/// stress collection when `stress`): each top-level value, printed, the
/// collector's figures, and the runtime.
fn run_source(source: &str, stress: bool) -> (Vec<String>, GcStats, Runtime) {
    let patch = common::compile(source, 1).unwrap();
    let mut runtime = Runtime::new().unwrap();
    if stress {
        runtime.set_gc_policy(GcPolicy::Stress).unwrap();
    }
    let (values, stats) = run(&mut runtime, &patch.bytes, &patch.symbols_export);
    (values, stats, runtime)
}

/// Linear memory stayed far below what the program allocated in all.
fn assert_small_heap(runtime: &Runtime, stats: &GcStats) {
    assert!(
        runtime.memory_bytes() < u64::from(SMALL_HEAP),
        "linear memory grew to {} bytes: {stats:?}",
        runtime.memory_bytes()
    );
}

/// A patch's bytes without its `jank.frame_roots` section, the last one:
/// id 0, its size, the name's length and the name, then the byte 1.
fn without_frame_roots(wasm: &[u8]) -> Vec<u8> {
    let name = FRAME_ROOTS_SECTION.as_bytes();
    let mut section = vec![0, (name.len() + 2) as u8, name.len() as u8];
    section.extend_from_slice(name);
    section.push(1);
    assert!(
        wasm.ends_with(&section),
        "the patch ends with its frame_roots section"
    );
    wasm[..wasm.len() - section.len()].to_vec()
}

/// The last two pass a seq on from a local at its last read: the local's
/// slot is cleared, as the JVM clears locals, so the walk is not retained.
const PIPELINE: &str = "(count (filter even? (map inc (range 1000000))))
(reduce + (map inc (range 1000000)))
(count (loop [m {} i 0]
         (if (< i 100000) (recur (update m (rem i 1000) (fnil inc 0)) (inc i)) m)))
(let [s (map inc (range 1000000))] (count s))
(defn walk [xs] (reduce + xs))
(walk (map inc (range 1000000)))";

#[test]
fn long_calls_collect_as_they_go() {
    let patch = common::compile(PIPELINE, 1).unwrap();
    let mut runtime = Runtime::new().unwrap();
    let (values, stats) = run(&mut runtime, &patch.bytes, &patch.symbols_export);
    assert_eq!(
        values,
        [
            "500000",
            "500000500000",
            "1000",
            "1000000",
            "#'user/walk",
            "500000500000"
        ]
    );
    assert!(
        stats.collections > 10,
        "collections inside the calls: {stats:?}"
    );
    assert_small_heap(&runtime, &stats);
}

#[test]
fn a_patch_without_frame_roots_is_collected_only_between_calls() {
    let patch = common::compile("(count (filter even? (map inc (range 300000))))", 1).unwrap();
    let stripped = without_frame_roots(&patch.bytes);
    assert!(!jank_wasmtime_harness::keeps_roots_in_frames(&stripped));
    let mut runtime = Runtime::new().unwrap();
    let (values, stats) = run(&mut runtime, &stripped, &patch.symbols_export);
    assert_eq!(values, ["150000"]);
    // One collection at most: the safe point after the entry.
    assert!(stats.collections <= 1, "{stats:?}");

    // The runtime stays that way for every later patch, rooted or not.
    let rooted = common::compile("(count (filter even? (map inc (range 300000))))", 2).unwrap();
    let (values, after) = run(&mut runtime, &rooted.bytes, &rooted.symbols_export);
    assert_eq!(values, ["150000"]);
    assert!(after.collections <= stats.collections + 1, "{after:?}");
}

/// `mapv` and `into` collect while they run, with their fn, their walk and
/// what they have made so far rooted: the garbage of a `count` inside
/// `mapv`'s fn and of the items `into` walks past goes while they run (they
/// ran with collection inhibited before, and grew the heap to hundreds of
/// MiB), and what they made reads back intact.
#[test]
fn mapv_and_into_collect_with_their_state_rooted() {
    let source =
        "(def made (mapv (fn [n] (str \"n\" (count (map inc (range n))))) (repeat 40 100000)))
(count (filter #(= \"n100000\" %) made))
(sort (into #{} (map (fn [x] (str \"s\" (rem x 10))) (range 3000000))))
(count (into [] (map (fn [x] (str x)) (range 200000))))";
    let (values, stats, runtime) = run_source(source, false);
    assert_eq!(
        values,
        [
            "#'user/made",
            "40",
            "(\"s0\" \"s1\" \"s2\" \"s3\" \"s4\" \"s5\" \"s6\" \"s7\" \"s8\" \"s9\")",
            "200000"
        ]
    );
    assert_small_heap(&runtime, &stats);
}

/// The same state under stress collection (every safe point collects,
/// collected objects are poisoned): a value `mapv` or `into` made or holds
/// and failed to root would print as `jankwasm.gc/collected-object`.
#[test]
fn mapv_and_into_keep_what_they_made_under_stress_collection() {
    let source = "(mapv (fn [n] (str \"n\" (count (map inc (range n))))) [3 40 70])
(into [(str \"a\" 1)] (map (fn [x] (str \"v\" x)) (range 3)))
(into (sorted-set) (map (fn [x] (str \"s\" (rem x 3))) (range 2000)))
(into {} (map (fn [x] [(str \"k\" (rem x 2)) (str \"v\" x)]) (range 2000)))
(into () (map (fn [x] (str \"l\" x)) (range 3)))
(into [] (map (fn [x] (str x))) (range 3))";
    let (values, _, _) = run_source(source, true);
    assert_eq!(
        values,
        [
            "[\"n3\" \"n40\" \"n70\"]",
            "[\"a1\" \"v0\" \"v1\" \"v2\"]",
            "#{\"s0\" \"s1\" \"s2\"}",
            "{\"k0\" \"v1998\", \"k1\" \"v1999\"}",
            "(\"l2\" \"l1\" \"l0\")",
            "[\"0\" \"1\" \"2\"]"
        ]
    );
}

/// `transduce`, `into` with a transducer, `mapv` over several collections
/// and `with-out-str` collect while they run too (each ran with collection
/// inhibited before: the first two grew the heap past 1 GiB at five million
/// items), with their fns, walks and state rooted.
#[test]
fn transducers_multi_coll_mapv_and_with_out_str_collect() {
    let source = "(transduce (map inc) + 0 (range 2000000))
(transduce (comp (map inc) (filter even?) (map str)) (completing (fn [n s] (+ n (count s)))) 0 (range 1000000))
(count (into [] (comp (map (fn [x] (str \"i\" x))) (filter #(= 2 (count %)))) (range 2000000)))
(count (mapv (fn [a b] (str a (count (map inc (range b))))) (range 40) (repeat 40 100000)))
(count (with-out-str (dotimes [i 300000] (print (str i)))))";
    let (values, stats, runtime) = run_source(source, false);
    assert_eq!(values, ["2000001000000", "2944451", "10", "40", "1688890"]);
    assert_small_heap(&runtime, &stats);
}

/// The same under stress collection: a value one of them made or holds and
/// failed to root would print as `jankwasm.gc/collected-object`.
#[test]
fn transducers_multi_coll_mapv_and_with_out_str_keep_their_state_under_stress() {
    let source = "(transduce (comp (map (fn [x] (str \"t\" x))) (partition-all 2) (map vec)) conj [(str \"a\")] (range 5))
(into [(str \"b\")] (comp (map (fn [x] (str \"u\" x))) (distinct) (take 3)) [1 1 2 3 4])
(mapv (fn [a b c] (str a b c)) (map str (range 3)) [(str \"x\") (str \"y\") (str \"z\")] (list (str \"p\") (str \"q\") (str \"r\") (str \"s\")))
(with-out-str (doseq [s (map (fn [x] (str \"w\" x)) (range 3))] (print s)))";
    let (values, _, _) = run_source(source, true);
    assert_eq!(
        values,
        [
            "[\"a\" [\"t0\" \"t1\"] [\"t2\" \"t3\"] [\"t4\"]]",
            "[\"b\" \"u1\" \"u2\" \"u3\"]",
            "[\"0xp\" \"1yq\" \"2zr\"]",
            "\"w0w1w2\""
        ]
    );
}
