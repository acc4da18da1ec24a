//! The stub's collector as the harness drives it: the host interface the
//! header declares, constants a patch makes at load surviving collections,
//! values dying after `call_var`, and a main module without a collector.

mod common;
use common::*;
use jank_wasmtime_harness::{Arg, GcPolicy, HarnessError, Runtime, STUB_WASM};

/// `JANK_HOST ret name(params);` lines of the header, as (name, whether
/// each parameter is 64-bit, has a result): every type there is a pointer,
/// an i32 or an `int64_t`.
fn host_declarations() -> Vec<(String, Vec<bool>, bool)> {
    jank_runtime_abi::HEADER
        .lines()
        .filter_map(|line| line.strip_prefix("JANK_HOST "))
        .map(|decl| {
            let (head, params) = decl.split_once('(').expect("a declaration");
            let name = head.rsplit([' ', '*']).next().expect("a name").to_string();
            let params = params.trim_end_matches(");");
            let wide = if params.trim() == "void" {
                Vec::new()
            } else {
                params
                    .split(',')
                    .map(|p| p.trim_start().starts_with("int64_t"))
                    .collect()
            };
            let returns = !head.trim_start().starts_with("void ") || head.contains('*');
            (name, wide, returns)
        })
        .collect()
}

#[test]
fn the_real_stub_exports_the_headers_host_interface() {
    use wasmtime::{Engine, ExternType, Module};
    let module = Module::new(&Engine::default(), STUB_WASM).unwrap();
    let declarations = host_declarations();
    let names: Vec<&str> = declarations.iter().map(|d| d.0.as_str()).collect();
    for expected in [
        "malloc",
        "jank_host_gc_collect",
        "jank_host_gc_safe_point",
        "jank_host_permanent_begin",
        "jank_host_retain",
        "jank_host_gc_stats",
        "jank_host_seed_random",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    for (name, params, returns) in declarations {
        let Some(ExternType::Func(ty)) = module.get_export(&name) else {
            panic!("the stub does not export {name}");
        };
        assert!(
            ty.params().map(|p| p.is_i64()).eq(params.iter().copied())
                && ty.params().all(|p| p.is_i32() || p.is_i64()),
            "{name}: {ty:?}"
        );
        assert_eq!(ty.results().len(), usize::from(returns), "{name}: {ty:?}");
    }
}

/// A patch whose start function makes a vector constant (holding a string it
/// also makes) and keeps it in a global, as jankwasm's start function does;
/// the entry `user/constant` (seed signature "0") returns it.
fn constant_patch(id: u32) -> BuiltPatch {
    build_patch(&PatchSpec {
        id,
        imports: r#"
          (import "env" "__stack_pointer" (global $sp (mut i32)))
          (import "env" "jank_make_string_n" (func $string (param i32 i32) (result i32)))
          (import "env" "jank_make_vector" (func $vector (param i32 i32) (result i32)))
          (import "env" "jank_box_integer" (func $box (param i64) (result i32)))"#,
        strings: &[("text", "made at load")],
        funcs: r#"
          (global $constant (mut i32) (i32.const 0))
          (func $get (result i32) global.get $constant)
          (func $make
            global.get $sp i32.const 16 i32.sub global.set $sp
            global.get $sp
            global.get $mb i32.const @text@ i32.add i32.const 12 call $string
            i32.store
            global.get $sp i64.const 123456789 call $box i32.store offset=4
            i32.const 2 global.get $sp call $vector global.set $constant
            global.get $sp i32.const 16 i32.add global.set $sp)"#,
        entries: &[("user/constant", "0", "$get")],
        start_extra: "call $make",
        ..PatchSpec::default()
    })
}

#[test]
fn constants_made_while_a_patch_loads_survive_collections() {
    let mut rt = real_runtime();
    rt.set_gc_policy(GcPolicy::EverySafePoint).unwrap();
    let before = rt.gc_stats().unwrap().expect("a collector");
    let built = constant_patch(21);
    let outcomes = rt.load_patch(&built.wasm, &built.symbols_export).unwrap();
    assert_eq!(outcomes.len(), 1);
    let after = rt.gc_stats().unwrap().expect("a collector");
    assert!(
        after.permanent_objects >= before.permanent_objects + 3,
        "the string, the boxed integer and the vector are permanent: {before:?} then {after:?}"
    );
    for round in 0..20 {
        rt.collect_garbage().unwrap();
        // Churn: fill what the collection freed with new objects.
        rt.call_var(
            "clojure.core",
            "repeat",
            &[Arg::Int(50), Arg::Str(format!("churn {round}"))],
        )
        .unwrap();
        assert_eq!(
            rt.call_var("user", "constant", &[]).unwrap().printed,
            "[\"made at load\" 123456789]"
        );
    }
}

#[test]
fn values_die_after_call_var_and_the_heap_stays_flat() {
    let mut rt = real_runtime();
    let mut heap = Vec::new();
    for call in 0..3000 {
        let text = format!("value {call}");
        let printed = rt
            .call_var(
                "clojure.core",
                "repeat",
                &[Arg::Int(40), Arg::Str(text.clone())],
            )
            .unwrap()
            .printed;
        assert!(printed.starts_with(&format!("(\"{text}\" \"{text}\"")));
        if call % 500 == 499 {
            heap.push(rt.gc_stats().unwrap().expect("a collector").heap_bytes);
        }
    }
    let stats = rt.gc_stats().unwrap().expect("a collector");
    assert!(stats.collections > 0, "{stats:?}");
    let first = heap[0];
    assert!(
        heap.iter().all(|&bytes| bytes < first.max(4 << 20) * 2),
        "heap bytes every 500 calls: {heap:?}"
    );
    let memory = rt.memory_bytes();
    for _ in 0..2000 {
        rt.call_var(
            "clojure.core",
            "repeat",
            &[Arg::Int(40), Arg::Str("again".into())],
        )
        .unwrap();
    }
    assert_eq!(rt.memory_bytes(), memory, "linear memory stopped growing");
}

#[test]
fn without_collection_the_same_calls_keep_growing() {
    let mut rt = real_runtime();
    rt.set_gc_policy(GcPolicy::Off).unwrap();
    rt.call_var(
        "clojure.core",
        "repeat",
        &[Arg::Int(40), Arg::Str("warm-up".into())],
    )
    .unwrap();
    let start = rt.gc_stats().unwrap().expect("a collector").heap_bytes;
    for _ in 0..2000 {
        rt.call_var(
            "clojure.core",
            "repeat",
            &[Arg::Int(40), Arg::Str("kept".into())],
        )
        .unwrap();
    }
    let grown = rt.gc_stats().unwrap().expect("a collector");
    assert_eq!(grown.collections, 0);
    assert!(
        grown.heap_bytes > start + (4 << 20),
        "{start} then {}",
        grown.heap_bytes
    );
    let freed = rt.collect_garbage().unwrap().expect("a collector");
    assert!(freed > 2000 * 40, "freed {freed}");
    let collected = rt.gc_stats().unwrap().expect("a collector");
    assert!(
        collected.heap_bytes < start + (128 << 10),
        "{start} then {}",
        collected.heap_bytes
    );
}

#[test]
fn a_main_module_without_a_collector_still_loads_and_calls() {
    let mut rt: Runtime = fake_runtime();
    assert!(!rt.has_collector());
    assert_eq!(rt.collect_garbage().unwrap(), None);
    assert_eq!(rt.gc_stats().unwrap(), None);
    rt.set_gc_policy(GcPolicy::EverySafePoint).unwrap();
    let outcomes = rt
        .load_patch(&ggg_patch(5, 48), "jank_patch_symbols_5")
        .unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(
        rt.call_var("eita", "ggg", &[Arg::Int(10)]).unwrap().printed,
        "58"
    );
}

#[test]
fn a_patch_cannot_import_the_collectors_entry_points() {
    for entry in [
        "jank_host_gc_collect",
        "jank_host_gc_safe_point",
        "jank_host_permanent_begin",
        "jank_host_permanent_end",
    ] {
        let mut rt = real_runtime();
        let result = if entry.starts_with("jank_host_gc") {
            "(result i32)"
        } else {
            ""
        };
        let wasm = side_module(
            &mem_info(0, 0, 0, 0),
            &format!(
                r#"(module (import "env" "{entry}" (func {result}))
                  (func $symbols (param i32) (result i32) i32.const 0)
                  (export "jank_patch_symbols_1" (func $symbols)))"#
            ),
        );
        match rt.load_patch(&wasm, "jank_patch_symbols_1") {
            Err(HarnessError::Link { import, reason }) => {
                assert_eq!(import, format!("env.{entry}"));
                assert!(reason.contains("host-only"), "{reason}");
            }
            other => panic!("expected a link error for {entry}, got {other:?}"),
        }
    }
}
