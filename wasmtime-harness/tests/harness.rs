//! Loads hand-written side modules (WAT plus a hand-built `dylink.0`) into
//! the fake WAT stub and the real stub, and checks what the loader accepts,
//! rejects and runs.

mod common;

use common::*;
use jank_wasmtime_harness::{
    parse_dylink, Arg, DylinkError, DylinkInfo, EntryOutcome, HarnessError, Runtime, Thrown, Value,
    UNINITIALIZED_BYTE,
};

fn value(printed: &str) -> Result<Value, Thrown> {
    Ok(Value {
        printed: printed.into(),
    })
}

fn call_int(rt: &mut Runtime, ns: &str, name: &str, arg: i64) -> String {
    rt.call_var(ns, name, &[Arg::Int(arg)])
        .expect("the call succeeds")
        .printed
}

#[test]
fn parse_dylink_reads_the_minimal_patch() {
    let info = parse_dylink(&ggg_patch(42, 48)).unwrap();
    assert_eq!(
        info,
        DylinkInfo {
            mem_size: 28,
            mem_p2align: 2,
            table_size: 1,
            table_p2align: 0,
            needed: vec![],
            tls_exports: vec![]
        }
    );
}

#[test]
fn seed_entry_binds_then_a_later_patch_rebinds() {
    for (stub, mut rt) in runtimes() {
        let sp = rt.stack_pointer();
        let outcomes = rt
            .load_patch(&ggg_patch(42, 48), "jank_patch_symbols_42")
            .unwrap();
        assert_eq!(outcomes.len(), 1, "{stub}");
        assert_eq!(outcomes[0].qualified_name, "eita/ggg");
        assert_eq!(outcomes[0].signature, "1");
        assert!(
            outcomes[0].result.is_ok(),
            "{stub}: {:?}",
            outcomes[0].result
        );
        assert_eq!(call_int(&mut rt, "eita", "ggg", 10), "58", "{stub}");

        let outcomes = rt
            .load_patch(&ggg_patch(43, 49), "jank_patch_symbols_43")
            .unwrap();
        assert_eq!(outcomes.len(), 1);
        assert_eq!(call_int(&mut rt, "eita", "ggg", 10), "59", "{stub}");
        assert_eq!(
            rt.stack_pointer(),
            sp,
            "{stub}: calls leave the shadow stack balanced"
        );

        // Each patch got its own malloc'd data and its own table slot.
        let [first, second] = rt.patches() else {
            panic!("two patches")
        };
        assert_ne!(first.memory_base, 0);
        assert_eq!(first.memory_base % 16, 0, "memAlign is at least 16");
        assert!(
            second.memory_base >= first.memory_base + 28
                || second.memory_base + 28 <= first.memory_base
        );
        assert_eq!(second.table_base, first.table_base + 1);
        assert!(first.table_base >= 1, "{stub}: slot 0 is the main module's");
        assert_eq!(
            rt.read_memory(first.memory_base, 11).unwrap(),
            b"eita/ggg\x001\x00"
        );
    }
}

#[test]
fn data_lands_at_an_aligned_malloced_memory_base() {
    for (stub, mut rt) in runtimes() {
        // Unbalance malloc so that alignment has work to do.
        rt.load_patch(&ggg_patch(42, 48), "jank_patch_symbols_42")
            .unwrap();
        let built = build_patch(&PatchSpec {
            id: 7,
            imports: r#"(import "env" "jank_make_string_n" (func $str (param i32 i32) (result i32)))"#,
            funcs: r#"(func $greeting (result i32)
                global.get $mb i32.const @greeting@ i32.add i32.const 14 call $str)"#,
            strings: &[("greeting", "hi from memory")],
            entries: &[("user/greeting", "def", "$greeting")],
            mem_p2align: 6,
            uncovered: 8,
            ..PatchSpec::default()
        });
        let outcomes = rt.load_patch(&built.wasm, &built.symbols_export).unwrap();
        assert_eq!(
            outcomes,
            vec![EntryOutcome {
                qualified_name: "user/greeting".into(),
                signature: "def".into(),
                result: value("#'user/greeting"),
            }],
            "{stub}"
        );
        let info = &rt.patches()[1];
        assert_eq!(info.memory_base % 64, 0, "{stub}: 2^mem_p2align alignment");
        assert_eq!(info.dylink.mem_size, built.data_len + 8);
        assert_eq!(
            rt.read_memory(info.memory_base, 14).unwrap(),
            b"hi from memory"
        );
        // Reserved memory is not zeroed: the bytes no segment covers keep the
        // loader's fill pattern.
        let uncovered = rt
            .read_memory(info.memory_base + built.data_len, 8)
            .unwrap();
        assert_eq!(uncovered, vec![UNINITIALIZED_BYTE; 8], "{stub}");
        // A string is not callable: the stub throws, the harness reports it.
        assert!(matches!(
            rt.call_var("user", "greeting", &[]),
            Err(HarnessError::Thrown(_))
        ));
    }
}

const PRINTLN_IMPORTS: &str = r#"
  (import "env" "__stack_pointer" (global $sp (mut i32)))
  (import "env" "jank_make_string_n" (func $str (param i32 i32) (result i32)))
  (import "env" "jank_box_integer" (func $box (param i64) (result i32)))
  (import "env" "jank_println" (func $println (param i32 i32) (result i32)))
"#;

/// `(println "hello" 58)`, with the argument array on the shadow stack.
const PRINTLN_FUNCS: &str = r#"
  (func $hello (result i32) (local $args i32) (local $r i32)
    global.get $sp i32.const 16 i32.sub local.tee $args global.set $sp
    local.get $args global.get $mb i32.const @hello@ i32.add i32.const 5 call $str i32.store
    local.get $args i64.const 58 call $box i32.store offset=4
    i32.const 2 local.get $args call $println local.set $r
    local.get $args i32.const 16 i32.add global.set $sp
    local.get $r)
"#;

#[test]
fn println_output_is_captured() {
    for (stub, mut rt) in runtimes() {
        let built = build_patch(&PatchSpec {
            id: 8,
            imports: PRINTLN_IMPORTS,
            funcs: PRINTLN_FUNCS,
            strings: &[("hello", "hello")],
            entries: &[("user", "eval", "$hello")],
            ..PatchSpec::default()
        });
        let sp = rt.stack_pointer();
        let outcomes = rt.load_patch(&built.wasm, &built.symbols_export).unwrap();
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].qualified_name, "user");
        assert_eq!(outcomes[0].result, value("nil"), "{stub}");
        assert_eq!(rt.take_output(), "hello 58\n", "{stub}");
        assert_eq!(rt.take_output(), "", "taking empties the capture");
        assert_eq!(rt.stack_pointer(), sp);
    }
}

#[test]
fn an_uncaught_exception_stops_the_rest_of_the_patch() {
    for (stub, mut rt) in runtimes() {
        let built = build_patch(&PatchSpec {
            id: 9,
            imports: &format!(
                "{PRINTLN_IMPORTS}{}",
                r#"(import "env" "jank_exception_set" (func $throw (param i32)))"#
            ),
            funcs: &format!(
                "{PRINTLN_FUNCS}{}",
                r#"(func $boom (result i32)
                    global.get $mb i32.const @boom@ i32.add i32.const 4 call $str call $throw
                    i32.const 0)"#
            ),
            strings: &[("hello", "hello"), ("boom", "boom")],
            entries: &[("user/boom", "def", "$boom"), ("user", "eval", "$hello")],
            ..PatchSpec::default()
        });
        let outcomes = rt.load_patch(&built.wasm, &built.symbols_export).unwrap();
        assert_eq!(
            outcomes,
            vec![EntryOutcome {
                qualified_name: "user/boom".into(),
                signature: "def".into(),
                result: Err(Thrown {
                    printed: "\"boom\"".into(),
                    frames: Vec::new(),
                }),
            }],
            "{stub}"
        );
        assert_eq!(
            rt.take_output(),
            "",
            "{stub}: the entry after the throw did not run"
        );
        // The def never bound, so calling it throws too.
        match rt.call_var("user", "boom", &[]) {
            Err(HarnessError::Thrown(_)) => {}
            other => panic!("{stub}: expected a thrown exception, got {other:?}"),
        }
    }
}

#[test]
fn call_var_reports_exceptions_as_thrown() {
    let mut rt = fake_runtime();
    match rt.call_var("user", "nothing-here", &[Arg::Int(1)]) {
        Err(HarnessError::Thrown(Thrown { printed, .. })) => assert_eq!(printed, "\"unbound var\""),
        other => panic!("expected Thrown, got {other:?}"),
    }
    rt.load_patch(&ggg_patch(42, 48), "jank_patch_symbols_42")
        .unwrap();
    match rt.call_var("eita", "ggg", &[]) {
        Err(HarnessError::Thrown(Thrown { printed, .. })) => {
            assert_eq!(printed, "\"wrong number of args\"")
        }
        other => panic!("expected Thrown, got {other:?}"),
    }
}

#[test]
fn a_value_whose_printing_throws_is_reported_as_thrown() {
    let mut rt = fake_runtime();
    let built = build_patch(&PatchSpec {
        id: 15,
        imports: r#"(import "env" "fake_unprintable" (func $unprintable (result i32)))"#,
        funcs: "(func $make (result i32) call $unprintable)",
        entries: &[("user/make", "0", "$make")],
        ..PatchSpec::default()
    });
    rt.load_patch(&built.wasm, &built.symbols_export).unwrap();
    match rt.call_var("user", "make", &[]) {
        Err(HarnessError::Thrown(Thrown { printed, .. })) => {
            assert_eq!(printed, "\"cannot print\"")
        }
        other => panic!("expected Thrown, got {other:?}"),
    }
    // The exception was taken: nothing is left pending for the next call.
    rt.load_patch(&ggg_patch(42, 48), "jank_patch_symbols_42")
        .unwrap();
    assert_eq!(call_int(&mut rt, "eita", "ggg", 0), "48");
}

#[test]
fn call_var_boxes_every_argument_kind() {
    for (stub, mut rt) in runtimes() {
        let built = build_patch(&PatchSpec {
            id: 10,
            imports: PRINTLN_IMPORTS,
            funcs: r#"
              (func $echo (param i32) (result i32) local.get 0)
              (func $show (param i32 i32 i32) (result i32) (local $args i32) (local $r i32)
                global.get $sp i32.const 16 i32.sub local.tee $args global.set $sp
                local.get $args local.get 0 i32.store
                local.get $args local.get 1 i32.store offset=4
                local.get $args local.get 2 i32.store offset=8
                i32.const 3 local.get $args call $println local.set $r
                local.get $args i32.const 16 i32.add global.set $sp
                local.get $r)"#,
            entries: &[("user/echo", "1", "$echo"), ("user/show", "3", "$show")],
            ..PatchSpec::default()
        });
        rt.load_patch(&built.wasm, &built.symbols_export).unwrap();
        let echo =
            |rt: &mut Runtime, arg: Arg| rt.call_var("user", "echo", &[arg]).unwrap().printed;
        assert_eq!(echo(&mut rt, Arg::Int(-1234)), "-1234", "{stub}");
        assert_eq!(echo(&mut rt, Arg::Nil), "nil", "{stub}");
        assert_eq!(
            echo(&mut rt, Arg::Str("two words".into())),
            "\"two words\"",
            "{stub}"
        );
        assert_eq!(
            echo(&mut rt, Arg::Keyword("plain".into())),
            ":plain",
            "{stub}"
        );
        assert_eq!(
            echo(&mut rt, Arg::Keyword("my.ns/kw".into())),
            ":my.ns/kw",
            "{stub}"
        );
        let double = echo(&mut rt, Arg::Double(2.5));
        assert_eq!(
            double,
            if stub == "fake stub" {
                "#double"
            } else {
                "2.5"
            }
        );

        let shown = rt.call_var(
            "user",
            "show",
            &[
                Arg::Str("hi".into()),
                Arg::Keyword("k/w".into()),
                Arg::Int(3),
            ],
        );
        assert_eq!(shown.unwrap().printed, "nil");
        assert_eq!(rt.take_output(), "hi :k/w 3\n", "{stub}");
        match rt.call_var("user", "echo\0", &[]) {
            Err(HarnessError::InvalidArgument(_)) => {}
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }
}

#[test]
fn constructors_run_once_after_the_start_function() {
    for (stub, mut rt) in runtimes() {
        let built = build_patch(&PatchSpec {
            id: 11,
            imports: PRINTLN_IMPORTS,
            funcs: r#"
              (global $started (mut i32) (i32.const 0))
              (func $ctors (local $args i32)
                ;; Prints how many times the start function ran before.
                global.get $sp i32.const 16 i32.sub local.tee $args global.set $sp
                local.get $args global.get $started i64.extend_i32_u call $box i32.store
                i32.const 1 local.get $args call $println drop
                local.get $args i32.const 16 i32.add global.set $sp)"#,
            start_extra: "global.get $started i32.const 1 i32.add global.set $started",
            extra: r#"(export "__wasm_call_ctors" (func $ctors))"#,
            ..PatchSpec::default()
        });
        let outcomes = rt.load_patch(&built.wasm, &built.symbols_export).unwrap();
        assert!(outcomes.is_empty());
        assert_eq!(rt.take_output(), "1\n", "{stub}");
    }
}

#[test]
fn a_trap_is_reported_and_the_runtime_stays_usable() {
    for (stub, mut rt) in runtimes() {
        let sp = rt.stack_pointer();
        let built = build_patch(&PatchSpec {
            id: 12,
            imports: r#"(import "env" "__stack_pointer" (global $sp (mut i32)))"#,
            funcs: r#"(func $crash (result i32)
                global.get $sp i32.const 64 i32.sub global.set $sp
                unreachable)"#,
            entries: &[("user/crash", "def", "$crash")],
            ..PatchSpec::default()
        });
        match rt.load_patch(&built.wasm, &built.symbols_export) {
            Err(HarnessError::Trap {
                message, during, ..
            }) => {
                assert!(message.contains("unreachable"), "{stub}: {message}");
                assert!(during.contains("user/crash"), "{during}");
            }
            other => panic!("{stub}: expected a trap, got {other:?}"),
        }
        assert_eq!(rt.stack_pointer(), sp, "{stub}: restored after the trap");
        rt.load_patch(&ggg_patch(42, 48), "jank_patch_symbols_42")
            .unwrap();
        assert_eq!(call_int(&mut rt, "eita", "ggg", 1), "49", "{stub}");
    }
}

#[test]
fn stack_overflow_traps_and_restores_the_stack_pointer() {
    // The wasm stack may grow to MAX_WASM_STACK on this thread's own stack.
    jank_wasmtime_harness::on_host_stack(|| {
        for (stub, mut rt) in runtimes() {
            let built = build_patch(&PatchSpec {
                id: 13,
                imports: r#"(import "env" "__stack_pointer" (global $sp (mut i32)))"#,
                funcs: r#"(func $rec (param i32) (result i32)
                    global.get $sp i32.const 16 i32.sub global.set $sp
                    local.get 0 call $rec
                    global.get $sp i32.const 16 i32.add global.set $sp)"#,
                entries: &[("user/rec", "1", "$rec")],
                ..PatchSpec::default()
            });
            rt.load_patch(&built.wasm, &built.symbols_export).unwrap();
            let sp = rt.stack_pointer();
            match rt.call_var("user", "rec", &[Arg::Int(1)]) {
                Err(HarnessError::Trap { message, .. }) => {
                    assert!(
                        message.contains("the 6 MiB wasm stack is exhausted"),
                        "{stub}: {message}"
                    )
                }
                other => panic!("{stub}: expected a trap, got {other:?}"),
            }
            assert_eq!(rt.stack_pointer(), sp, "{stub}");
            rt.load_patch(&ggg_patch(42, 48), "jank_patch_symbols_42")
                .unwrap();
            assert_eq!(call_int(&mut rt, "eita", "ggg", 2), "50", "{stub}");
        }
    });
}

#[test]
fn an_unbalanced_stack_pointer_is_an_abi_violation() {
    let mut rt = fake_runtime();
    let built = build_patch(&PatchSpec {
        id: 14,
        imports: r#"(import "env" "__stack_pointer" (global $sp (mut i32)))
                    (import "env" "jank_nil_value" (func $nil (result i32)))"#,
        funcs: r#"(func $leak (result i32)
            global.get $sp i32.const 16 i32.sub global.set $sp
            call $nil)"#,
        entries: &[("user/leak", "def", "$leak")],
        ..PatchSpec::default()
    });
    let sp = rt.stack_pointer();
    match rt.load_patch(&built.wasm, &built.symbols_export) {
        Err(HarnessError::Protocol(message)) => assert!(message.contains("__stack_pointer")),
        other => panic!("expected an ABI violation, got {other:?}"),
    }
    assert_eq!(rt.stack_pointer(), sp);
}

#[test]
fn a_trapping_start_function_is_a_trap() {
    let mut rt = fake_runtime();
    let wasm = side_module(
        &mem_info(0, 0, 0, 0),
        &format!(
            r#"(module {PATCH_IMPORTS}
              (func $start unreachable)
              (func $symbols (param i32) (result i32) i32.const 0)
              (start $start)
              (export "jank_patch_symbols_1" (func $symbols)))"#
        ),
    );
    match rt.load_patch(&wasm, "jank_patch_symbols_1") {
        Err(HarnessError::Trap { message, .. }) => assert!(message.contains("unreachable")),
        other => panic!("expected a trap, got {other:?}"),
    }
}

// ---- what the loader rejects ---------------------------------------------

/// A valid patch with `imports` added and nothing else: for link errors.
fn patch_importing(imports: &str) -> Vec<u8> {
    side_module(
        &mem_info(0, 0, 0, 0),
        &format!(
            r#"(module {imports}
              (func $symbols (param i32) (result i32) i32.const 0)
              (export "jank_patch_symbols_1" (func $symbols)))"#
        ),
    )
}

fn expect_link_error(rt: &mut Runtime, wasm: &[u8], import: &str, reason_part: &str) {
    match rt.load_patch(wasm, "jank_patch_symbols_1") {
        Err(HarnessError::Link {
            import: got,
            reason,
        }) => {
            assert_eq!(got, import);
            assert!(
                reason.contains(reason_part),
                "`{reason}` lacks `{reason_part}`"
            );
        }
        other => panic!("expected a link error on {import}, got {other:?}"),
    }
}

#[test]
fn rejects_a_dylink_section_that_is_not_first() {
    for (_, mut rt) in runtimes() {
        let wat = format!(
            r#"(module {PATCH_IMPORTS}
              (func $symbols (param i32) (result i32) i32.const 0)
              (export "jank_patch_symbols_1" (func $symbols)))"#
        );
        let after_types = side_module_at(&mem_info(0, 0, 0, 0), &wat, 1);
        let err = rt
            .load_patch(&after_types, "jank_patch_symbols_1")
            .unwrap_err();
        assert!(
            matches!(err, HarnessError::Dylink(DylinkError::NotFirst)),
            "{err:?}"
        );
        assert!(err
            .to_string()
            .contains("need the dylink section to be first"));

        let without = wat::parse_str(&wat).unwrap();
        assert!(matches!(
            rt.load_patch(&without, "jank_patch_symbols_1"),
            Err(HarnessError::Dylink(DylinkError::NotFirst))
        ));
        assert!(rt.patches().is_empty());
    }
}

#[test]
fn rejects_table_alignment_and_trailing_bytes() {
    let mut rt = fake_runtime();
    let wat = format!(
        r#"(module {PATCH_IMPORTS}
          (func $symbols (param i32) (result i32) i32.const 0)
          (export "jank_patch_symbols_1" (func $symbols)))"#
    );
    let aligned = side_module(&mem_info(0, 0, 0, 1), &wat);
    assert!(matches!(
        rt.load_patch(&aligned, "jank_patch_symbols_1"),
        Err(HarnessError::Dylink(DylinkError::TableAlign {
            table_p2align: 1
        }))
    ));
    let mut payload = mem_info(0, 0, 0, 0);
    payload.push(0);
    let trailing = side_module(&payload, &wat);
    let err = rt
        .load_patch(&trailing, "jank_patch_symbols_1")
        .unwrap_err();
    assert!(
        matches!(err, HarnessError::Dylink(DylinkError::Malformed { .. })),
        "{err:?}"
    );
    assert_eq!(err.kind(), "dylink");
    // An unknown subsection is skipped by its size...
    let mut payload = mem_info(0, 0, 0, 0);
    payload.extend([7, 2, 0xaa, 0xbb]);
    assert!(rt
        .load_patch(&side_module(&payload, &wat), "jank_patch_symbols_1")
        .is_ok());
    // ...but may not claim bytes past the section.
    let mut payload = mem_info(0, 0, 0, 0);
    payload.extend([7, 9, 0xaa]);
    assert!(matches!(
        rt.load_patch(&side_module(&payload, &wat), "jank_patch_symbols_1"),
        Err(HarnessError::Dylink(DylinkError::Malformed { .. }))
    ));
}

#[test]
fn rejects_bad_base_and_table_imports() {
    for (_, mut rt) in runtimes() {
        let mutable_base = side_module(
            &mem_info(4, 2, 0, 0),
            r#"(module
              (import "env" "memory" (memory 0))
              (import "env" "__memory_base" (global $mb (mut i32)))
              (func $symbols (param i32) (result i32) i32.const 0)
              (export "jank_patch_symbols_1" (func $symbols))
              (data (global.get $mb) "abcd"))"#,
        );
        expect_link_error(&mut rt, &mutable_base, "env.__memory_base", "immutable i32");
        expect_link_error(
            &mut rt,
            &patch_importing(r#"(import "env" "__table_base" (global i64))"#),
            "env.__table_base",
            "immutable i32",
        );
        expect_link_error(
            &mut rt,
            &patch_importing(r#"(import "env" "__indirect_function_table" (table 0 10 funcref))"#),
            "env.__indirect_function_table",
            "maximum",
        );
        expect_link_error(
            &mut rt,
            &patch_importing(r#"(import "env" "memory" (memory 0 100))"#),
            "env.memory",
            "maximum",
        );
        expect_link_error(
            &mut rt,
            &patch_importing(r#"(import "env" "memory" (memory 60000))"#),
            "env.memory",
            "requires at least 60000 pages",
        );
        expect_link_error(
            &mut rt,
            &patch_importing(r#"(import "env" "__stack_pointer" (global i32))"#),
            "env.__stack_pointer",
            "mutable i32",
        );
        assert!(rt.patches().is_empty());
    }
}

#[test]
fn rejects_helpers_with_the_wrong_signature_or_missing() {
    for (_, mut rt) in runtimes() {
        expect_link_error(
            &mut rt,
            &patch_importing(
                r#"(import "env" "jank_box_integer" (func (param i32) (result i32)))"#,
            ),
            "env.jank_box_integer",
            "imported function does not match the expected type: the patch imports \
             (param i32) (result i32), the main module exports (param i64) (result i32)",
        );
        expect_link_error(
            &mut rt,
            &patch_importing(r#"(import "env" "jank_no_such_helper" (func))"#),
            "env.jank_no_such_helper",
            "does not export",
        );
        expect_link_error(
            &mut rt,
            &patch_importing(r#"(import "env" "jank_box_integer" (global i32))"#),
            "env.jank_box_integer",
            "only functions",
        );
    }
}

#[test]
fn rejects_got_and_foreign_imports() {
    for (stub, mut rt) in runtimes() {
        expect_link_error(
            &mut rt,
            &patch_importing(r#"(import "GOT.mem" "some_data" (global (mut i32)))"#),
            "GOT.mem.some_data",
            "GOT imports are not supported",
        );
        expect_link_error(
            &mut rt,
            &patch_importing(r#"(import "GOT.func" "jank_box_integer" (global (mut i32)))"#),
            "GOT.func.jank_box_integer",
            "GOT imports are not supported",
        );
        expect_link_error(
            &mut rt,
            &patch_importing(
                r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#,
            ),
            "wasi_snapshot_preview1.fd_write",
            "only `env` imports",
        );
        // Nothing was reserved for the rejected patches: the next patch gets
        // the slot it gets in a fresh runtime.
        rt.load_patch(&ggg_patch(42, 48), "jank_patch_symbols_42")
            .unwrap();
        let mut fresh = runtime_for(stub);
        fresh
            .load_patch(&ggg_patch(42, 48), "jank_patch_symbols_42")
            .unwrap();
        assert_eq!(
            rt.patches()[0].table_base,
            fresh.patches()[0].table_base,
            "{stub}"
        );
    }
}

#[test]
fn rejects_a_missing_or_mistyped_symbols_export() {
    let mut rt = fake_runtime();
    let wasm = ggg_patch(42, 48);
    match rt.load_patch(&wasm, "jank_patch_symbols_41") {
        Err(HarnessError::MissingExport { name, reason, .. }) => {
            assert_eq!(name, "jank_patch_symbols_41");
            assert!(reason.contains("jank_patch_symbols_42"), "{reason}");
        }
        other => panic!("expected MissingExport, got {other:?}"),
    }
    // The 257-byte patch of the reference doc predates the count parameter.
    let old_style = side_module(
        &mem_info(0, 0, 0, 0),
        &format!(
            r#"(module {PATCH_IMPORTS}
              (func $get (result i32) global.get $mb)
              (export "jank_patch_symbols_1" (func $get)))"#
        ),
    );
    match rt.load_patch(&old_style, "jank_patch_symbols_1") {
        Err(HarnessError::MissingExport { reason, .. }) => assert!(reason.contains("int *count")),
        other => panic!("expected MissingExport, got {other:?}"),
    }
}

#[test]
fn rejects_needed_libraries() {
    let mut rt = fake_runtime();
    let mut payload = mem_info(0, 0, 0, 0);
    payload.extend([2, 6, 1, 4, b'l', b'i', b'b', b'c']);
    let wasm = side_module(&payload, "(module)");
    assert!(matches!(
        rt.load_patch(&wasm, "jank_patch_symbols_1"),
        Err(HarnessError::Dylink(DylinkError::Needed { .. }))
    ));
}

#[test]
fn a_stub_without_the_host_interface_is_rejected() {
    let no_malloc = wat::parse_str(
        r#"(module (memory (export "memory") 1)
             (table (export "__indirect_function_table") 1 funcref)
             (global (export "__stack_pointer") (mut i32) (i32.const 1024)))"#,
    )
    .unwrap();
    match Runtime::with_stub(&no_malloc) {
        Err(HarnessError::MissingExport { name, .. }) => assert_eq!(name, "malloc"),
        Err(other) => panic!("expected MissingExport, got {other:?}"),
        Ok(_) => panic!("expected MissingExport"),
    }
    let other_import = wat::parse_str(r#"(module (import "env" "abort" (func)))"#).unwrap();
    match Runtime::with_stub(&other_import) {
        Err(HarnessError::Link { import, .. }) => assert_eq!(import, "env.abort"),
        Err(other) => panic!("expected Link, got {other:?}"),
        Ok(_) => panic!("expected Link"),
    }
}

// ---- the real stub only ----------------------------------------------------

#[test]
fn the_real_stub_exports_every_helper_with_the_headers_signature() {
    use jank_runtime_abi::{Helper, Origin, ValType as Abi};
    use wasmtime::{Engine, ExternType, Module, ValType};
    let module = Module::new(&Engine::default(), jank_wasmtime_harness::STUB_WASM).unwrap();
    let abi = |t: ValType| match t {
        ValType::I32 => Some(Abi::I32),
        ValType::I64 => Some(Abi::I64),
        ValType::F64 => Some(Abi::F64),
        _ => None,
    };
    let mut wrong = Vec::new();
    // Host helpers come from the page's JavaScript, not the runtime.
    for helper in Helper::ALL
        .into_iter()
        .filter(|h| h.origin() != Origin::Host)
    {
        match module.get_export(helper.name()) {
            Some(ExternType::Func(ty)) => {
                let params: Vec<_> = ty.params().map(abi).collect();
                let results: Vec<_> = ty.results().map(abi).collect();
                let want_params: Vec<_> = helper.params().iter().copied().map(Some).collect();
                let want_results: Vec<_> = helper.results().iter().copied().map(Some).collect();
                if params != want_params || results != want_results {
                    wrong.push(format!("{}: exported as {ty:?}", helper.c_declaration()));
                }
            }
            other => wrong.push(format!("{}: export is {other:?}", helper.name())),
        }
    }
    assert!(
        wrong.is_empty(),
        "helpers that do not match jank_patch_abi.h:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_real_stub_runs_clojure_core() {
    let mut rt = real_runtime();
    let sum = rt
        .call_var("clojure.core", "+", &[Arg::Int(1), Arg::Double(2.5)])
        .unwrap();
    assert_eq!(sum.printed, "3.5");
    let printed = rt
        .call_var(
            "clojure.core",
            "println",
            &[Arg::Str("hi".into()), Arg::Keyword("k".into())],
        )
        .unwrap();
    assert_eq!(printed.printed, "nil");
    assert_eq!(rt.take_output(), "hi :k\n");
}
