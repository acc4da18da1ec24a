//! The browser side's JavaScript under Node: src/serve/web/loader.js links
//! patches emitted by the jankwasm binary against the stub main module the
//! way wasmtime-harness does (checked side by side with the harness), the
//! app host renders and drives the demo app, the page client builds its
//! patch acknowledgements, and edn.js/hiccup.js pass their unit tests.
//! Every scenario is a script of steps run by tests/web/drive.mjs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use jank_wasmtime_harness::{HarnessError, Runtime, STUB_WASM};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

const DEMO_APP: &str = include_str!("../../src/serve/web/demo/app.jank");
const GGG: &str = include_str!("../../examples/eita.jank");

/// Node, or None (after saying why) when it is missing outside CI.
fn node() -> Option<&'static str> {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("node");
    }
    if std::env::var_os("CI").is_some() {
        panic!("node is not installed (.ci/run installs it)");
    }
    eprintln!("skipping: node not installed (.ci/run installs it)");
    None
}

/// A scratch directory holding the stub and the patches of one test.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("jank_stub.wasm"), STUB_WASM).expect("write the stub");
        Workspace { dir }
    }

    fn stub(&self) -> PathBuf {
        self.dir.path().join("jank_stub.wasm")
    }

    /// `jankwasm emit --patch-id id` of `source`; the patch's path.
    fn emit(&self, source: &str, id: u64) -> PathBuf {
        let input = self.dir.path().join(format!("source_{id}.jank"));
        let output = self.dir.path().join(format!("patch_{id}.wasm"));
        std::fs::write(&input, source).expect("write the source");
        let run = Command::new(env!("CARGO_BIN_EXE_jankwasm"))
            .args(["emit", "--frames", "--patch-id", &id.to_string(), "-o"])
            .arg(&output)
            .arg(&input)
            .output()
            .expect("run jankwasm emit");
        assert!(
            run.status.success(),
            "jankwasm emit failed:\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        output
    }
}

fn load(file: &Path, id: u64) -> Value {
    json!({"op": "load", "file": file, "symbol": format!("jank_patch_symbols_{id}")})
}

fn call(ns: &str, name: &str, args: Value) -> Value {
    json!({"op": "call", "ns": ns, "name": name, "args": args})
}

/// Runs drive.mjs with `steps` (and the app's names, if any); one result per step.
fn drive(node: &str, workspace: &Workspace, app: Value, steps: Vec<Value>) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web/drive.mjs");
    let mut child = Command::new(node)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let input = json!({"stub": workspace.stub(), "app": app, "steps": steps});
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("node's stdin");
        stdin
            .write_all(input.to_string().as_bytes())
            .expect("write the script");
    }
    let output = child.wait_with_output().expect("wait for node");
    assert!(
        output.status.success(),
        "drive.mjs failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> =
        serde_json::from_slice(&output.stdout).expect("drive.mjs prints JSON");
    for result in &results {
        assert!(
            result.get("jsError").is_none(),
            "JavaScript error: {result}"
        );
    }
    results
}

/// The members of a printed set `#{...}`, in any order.
fn set_members(printed: &str) -> Vec<String> {
    let inner = printed
        .trim()
        .strip_prefix("#{")
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or_else(|| panic!("not a set: {printed}"));
    let mut members: Vec<String> = inner.split(' ').map(str::to_string).collect();
    members.sort();
    members
}

#[test]
fn ggg_returns_58_prints_its_set_and_returns_59_after_a_reload() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let first = ws.emit(GGG, 42);
    let second = ws.emit(&GGG.replace("(+ 48 v)", "(+ 49 v)"), 43);
    let results = drive(
        node,
        &ws,
        Value::Null,
        vec![
            load(&first, 42),
            call("eita", "ggg", json!([10])),
            load(&second, 43),
            call("eita", "ggg", json!([10])),
        ],
    );

    assert_eq!(
        results[0]["outcomes"],
        json!([
            {"name": "eita/ggg", "signature": "1", "value": "#'eita/ggg"},
            {"name": "eita", "signature": "eval", "value": "nil"}
        ])
    );
    let loaded_output = results[0]["output"].as_str().unwrap();
    assert!(
        loaded_output.ends_with("\n(ggg 10) => 58\n"),
        "{loaded_output:?}"
    );

    assert_eq!(results[1]["value"], "58");
    let printed = results[1]["output"].as_str().unwrap();
    let (head, set) = printed.split_once("#{").expect("a set is printed");
    assert_eq!(head, ":FROM_CLJ_..._I_MEAN_JANK_IN_WASM!! 60 ");
    assert_eq!(
        set_members(&format!("#{{{}", set.trim_end())),
        ["15", "3", "30", "999"]
    );

    assert_eq!(results[3]["value"], "59");
}

#[test]
fn a_closure_made_before_a_reload_keeps_its_code_and_captures() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let first = ws.emit("(defn adder [n] (fn [x] (+ x n))) (def add5 (adder 5))", 1);
    let second = ws.emit(
        "(defn adder [n] (fn [x] (* x n))) (def times3 (adder 3))",
        2,
    );
    let results = drive(
        node,
        &ws,
        Value::Null,
        vec![
            load(&first, 1),
            load(&second, 2),
            call("user", "add5", json!([1])),
            call("user", "times3", json!([7])),
        ],
    );
    assert_eq!(results[2]["value"], "6");
    assert_eq!(results[3]["value"], "21");
}

#[test]
fn defonce_keeps_its_value_across_a_reload_while_def_is_replaced() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let v1 = "(defonce counter (atom 0)) (def label \"v1\") (defn bump [] (swap! counter inc))";
    let v2 = "(defonce counter (atom 100)) (def label \"v2\") (defn bump [] (swap! counter + 10))
              (defn report [] (str label \": \" @counter))";
    let first = ws.emit(v1, 1);
    let second = ws.emit(v2, 2);
    let results = drive(
        node,
        &ws,
        Value::Null,
        vec![
            load(&first, 1),
            call("user", "bump", json!([])),
            call("user", "bump", json!([])),
            load(&second, 2),
            call("user", "bump", json!([])),
            call("user", "report", json!([])),
            call("user", "report", json!([1])),
        ],
    );
    assert_eq!(results[2]["value"], "2");
    assert_eq!(
        results[3]["outcomes"],
        json!([
            {"name": "user/counter", "signature": "defonce", "value": "#'user/counter"},
            {"name": "user/label", "signature": "def", "value": "#'user/label"},
            {"name": "user/bump", "signature": "0", "value": "#'user/bump"},
            {"name": "user/report", "signature": "0", "value": "#'user/report"}
        ])
    );
    assert_eq!(results[4]["value"], "12");
    assert_eq!(results[5]["value"], "\"v2: 12\"");
    // An exception from a call comes back printed.
    let thrown = results[6]["thrown"].as_str().unwrap();
    assert!(thrown.contains("Wrong number of args (1)"), "{thrown}");
}

#[test]
fn the_demo_app_renders_counts_clicks_and_keeps_the_count_across_view_and_handler_edits() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let app = ws.emit(DEMO_APP, 1);
    let new_view = ws.emit(&DEMO_APP.replace("\"Count: \"", "\"Clicks: \""), 2);
    let new_handler = ws.emit(
        &DEMO_APP.replace(
            ":increment (swap! state update :count inc)",
            ":increment (swap! state update :count + 10)",
        ),
        3,
    );
    let button = |text: &str| json!({"op": "click", "button": text});
    let view = json!({"op": "view"});
    let results = drive(
        node,
        &ws,
        json!({"ns": "demo.app"}),
        vec![
            load(&app, 1),
            view.clone(),
            button("+"),
            button("+"),
            button("+"),
            button("-"),
            view.clone(),
            load(&new_view, 2),
            view.clone(),
            button("+"),
            load(&new_handler, 3),
            button("+"),
            view.clone(),
            json!({"op": "state"}),
        ],
    );
    assert_eq!(
        results[0]["outcomes"],
        json!([
            {"name": "demo.app/state", "signature": "defonce", "value": "#'demo.app/state"},
            {"name": "demo.app/view", "signature": "1", "value": "#'demo.app/view"},
            {"name": "demo.app/handle", "signature": "1", "value": "#'demo.app/handle"}
        ])
    );
    assert_eq!(
        results[1],
        json!({"text": "Count: 0even-+reset", "buttons": ["-", "+", "reset"]})
    );
    assert_eq!(results[2]["returned"], "{:count 1}");
    assert_eq!(results[5]["returned"], "{:count 2}");
    assert_eq!(results[6]["text"], "Count: 2even-+reset");
    // The view changed; the count did not.
    assert_eq!(results[8]["text"], "Clicks: 2even-+reset");
    assert_eq!(results[9]["returned"], "{:count 3}");
    // The handler changed (the reload also brings back "Count: "); the count did not.
    assert_eq!(results[11]["returned"], "{:count 13}");
    assert_eq!(results[12]["text"], "Count: 13odd-+reset");
    assert_eq!(results[13]["state"], "{:count 13}");
}

#[test]
fn patch_acks_carry_values_output_and_errors_and_a_failed_load_changes_nothing() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let good = ws.emit("(defn f [x] (* x 2)) (println \"hello\") (f 21)", 7);
    let throws = ws.emit(
        "(def a 1) (def boom (throw (ex-info \"boom\" {:at 2}))) (def after 3)",
        8,
    );
    let results = drive(
        node,
        &ws,
        Value::Null,
        vec![
            json!({"op": "ack", "file": good, "id": 7, "symbol": "jank_patch_symbols_7"}),
            json!({"op": "ack", "file": throws, "id": 8, "symbol": "jank_patch_symbols_8"}),
            // The wrong export name: a link-time refusal, nothing loaded.
            json!({"op": "ack", "file": good, "id": 9, "symbol": "jank_patch_symbols_9"}),
            json!({"op": "patches"}),
            call("user", "f", json!([5])),
            call("user", "after", json!([])),
            json!({"op": "ackMessage", "message": {"type": "patch", "id": 10, "data": "not base64!",
                                                    "symbolName": "jank_patch_symbols_10"}}),
            json!({"op": "ackMessage", "message": {"type": "patch", "id": "../x", "data": "AA==",
                                                    "symbolName": "jank_patch_symbols_10"}}),
        ],
    );
    assert_eq!(
        results[6],
        json!({"type": "patch_ack", "id": 10, "ok": false,
               "error": "malformed patch message: data is not base64",
               "results": [], "output": "", "stderr": ""})
    );
    assert_eq!(
        results[7]["error"],
        "malformed patch message: id must be a non-negative integer"
    );
    assert_eq!(
        results[0],
        json!({
            "type": "patch_ack", "id": 7, "ok": true, "error": null,
            "results": [
                {"name": "user/f", "value": "#'user/f"},
                {"name": "user", "value": "nil"},
                {"name": "user", "value": "42"}
            ],
            "output": "hello\n",
            "stderr": ""
        })
    );
    let thrown = &results[1];
    assert_eq!(thrown["ok"], false);
    assert_eq!(
        thrown["results"][0],
        json!({"name": "user/a", "value": "#'user/a"})
    );
    assert_eq!(thrown["results"][1]["name"], "user/boom");
    let printed = thrown["results"][1]["error"].as_str().unwrap();
    assert!(
        printed.contains("boom") && printed.contains("{:at 2}"),
        "{printed}"
    );
    assert_eq!(thrown["results"].as_array().unwrap().len(), 2);
    assert!(
        thrown["error"]
            .as_str()
            .unwrap()
            .starts_with("user/boom: uncaught exception: "),
        "{thrown}"
    );

    let refused = &results[2];
    assert_eq!(refused["ok"], false);
    assert_eq!(refused["results"], json!([]));
    assert!(
        refused["error"].as_str().unwrap().starts_with(
            "the patch has no usable export `jank_patch_symbols_9`: not exported (the patch exports"
        ),
        "{refused}"
    );
    let patches = results[3]["patches"].as_array().unwrap();
    assert_eq!(patches.len(), 2, "the refused patch reserved nothing");
    assert_eq!(results[4]["value"], "10");
    assert!(results[5]["thrown"]
        .as_str()
        .unwrap()
        .contains("Attempting to call unbound fn: #'user/after"));
}

#[test]
fn the_js_loader_places_patches_where_the_wasmtime_harness_does() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let sources = [
        (GGG.to_string(), 42),
        (DEMO_APP.to_string(), 43),
        (GGG.replace("(+ 48 v)", "(+ 49 v)"), 44),
    ];
    let patches: Vec<(PathBuf, u64)> = sources
        .iter()
        .map(|(text, id)| (ws.emit(text, *id), *id))
        .collect();
    let mut steps: Vec<Value> = patches.iter().map(|(file, id)| load(file, *id)).collect();
    steps.push(json!({"op": "patches"}));
    let results = drive(node, &ws, Value::Null, steps);

    let mut runtime = Runtime::new().expect("the harness runtime");
    for (index, (file, id)) in patches.iter().enumerate() {
        let bytes = std::fs::read(file).expect("read the patch");
        let outcomes = runtime
            .load_patch(&bytes, &format!("jank_patch_symbols_{id}"))
            .expect("the harness loads the patch");
        let harness: Vec<Value> = outcomes
            .into_iter()
            .map(|o| {
                let printed = o.result.expect("no entry throws").printed;
                json!({"name": o.qualified_name, "signature": o.signature, "value": printed})
            })
            .collect();
        assert_eq!(results[index]["outcomes"], json!(harness));
        assert_eq!(results[index]["output"], runtime.take_output());
    }
    let harness: Vec<Value> = runtime
        .patches()
        .iter()
        .map(|p| {
            json!({
                "symbolsExport": p.symbols_export,
                "memoryBase": p.memory_base,
                "tableBase": p.table_base,
                "memSize": p.dylink.mem_size,
                "tableSize": p.dylink.table_size,
            })
        })
        .collect();
    assert_eq!(results[3]["patches"], json!(harness));
}

#[test]
fn edn_and_hiccup_unit_tests_pass() {
    let Some(node) = node() else { return };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web/edn_hiccup.test.mjs");
    let output = Command::new(node)
        .arg("--test")
        .arg(&script)
        .output()
        .expect("run node --test");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "node --test failed:\n{report}");
    assert!(report.contains("# fail 0"), "{report}");
}

/// Hand-made side modules the loaders must refuse, each with one defect.
mod defective {
    use wasm_encoder::{
        CodeSection, CustomSection, EntityType, ExportKind, ExportSection, Function,
        FunctionSection, GlobalType, ImportSection, MemoryType, Module, RefType, TableType,
        TypeSection, ValType,
    };

    /// How a module departs from a well-formed patch.
    #[derive(Default)]
    pub struct Defect {
        pub no_dylink: bool,
        pub table_p2align: u8,
        /// Bytes appended to `dylink.0` after its MEM_INFO subsection.
        pub dylink_tail: &'static [u8],
        pub table_maximum: Option<u64>,
        pub mutable_memory_base: bool,
        pub got_import: bool,
        /// A helper import as (name, params): the result is always i32.
        pub helper: Option<(&'static str, Vec<ValType>)>,
        /// Another name for the `patch_symbol *(int *)` export than `SYMBOLS`.
        pub symbols_export: Option<&'static str>,
    }

    /// The export a well-formed module has and the loaders are asked for.
    pub const SYMBOLS: &str = "jank_patch_symbols_1";

    /// A patch importing what `defect` says, exporting its symbols function.
    pub fn module(defect: &Defect) -> Vec<u8> {
        let mut module = Module::new();
        if !defect.no_dylink {
            // MEM_INFO: mem_size 0, mem_p2align 0, table_size 0, table_p2align.
            let mut data = vec![1, 4, 0, 0, 0, defect.table_p2align];
            data.extend_from_slice(defect.dylink_tail);
            module.section(&CustomSection {
                name: "dylink.0".into(),
                data: data.into(),
            });
        }
        let mut types = TypeSection::new();
        types.ty().function([ValType::I32], [ValType::I32]);
        if let Some((_, params)) = &defect.helper {
            types.ty().function(params.clone(), [ValType::I32]);
        }
        module.section(&types);

        let mut imports = ImportSection::new();
        imports.import(
            "env",
            "memory",
            MemoryType {
                minimum: 0,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            },
        );
        imports.import(
            "env",
            "__indirect_function_table",
            TableType {
                element_type: RefType::FUNCREF,
                table64: false,
                minimum: 0,
                maximum: defect.table_maximum,
                shared: false,
            },
        );
        imports.import(
            "env",
            "__memory_base",
            GlobalType {
                val_type: ValType::I32,
                mutable: defect.mutable_memory_base,
                shared: false,
            },
        );
        if defect.got_import {
            imports.import(
                "GOT.mem",
                "counter",
                GlobalType {
                    val_type: ValType::I32,
                    mutable: true,
                    shared: false,
                },
            );
        }
        let imported_functions = if let Some((name, _)) = &defect.helper {
            imports.import("env", name, EntityType::Function(1));
            1
        } else {
            0
        };
        module.section(&imports);

        let mut functions = FunctionSection::new();
        functions.function(0);
        module.section(&functions);
        let mut exports = ExportSection::new();
        exports.export(
            defect.symbols_export.unwrap_or(SYMBOLS),
            ExportKind::Func,
            imported_functions,
        );
        module.section(&exports);
        let mut code = CodeSection::new();
        let mut body = Function::new([]);
        body.instructions().i32_const(0).end();
        code.function(&body);
        module.section(&code);
        module.finish()
    }
}

#[test]
fn the_js_loader_refuses_defective_patches_as_the_harness_does() {
    use defective::{module, Defect, SYMBOLS};
    use wasm_encoder::ValType;

    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let cases = [
        Defect {
            no_dylink: true,
            ..Defect::default()
        },
        Defect {
            table_p2align: 1,
            ..Defect::default()
        },
        // A byte too few to be a subsection.
        Defect {
            dylink_tail: &[0],
            ..Defect::default()
        },
        Defect {
            dylink_tail: &[1, 4, 0, 0, 0, 0],
            ..Defect::default()
        },
        // NEEDED with no libraries, declaring one byte more than that uses.
        Defect {
            dylink_tail: &[2, 2, 0, 0],
            ..Defect::default()
        },
        Defect {
            dylink_tail: &[2, 5, 1, 3, b'l', b'i', b'b'],
            ..Defect::default()
        },
        Defect {
            table_maximum: Some(10),
            ..Defect::default()
        },
        Defect {
            mutable_memory_base: true,
            ..Defect::default()
        },
        Defect {
            got_import: true,
            ..Defect::default()
        },
        Defect {
            helper: Some(("jank_box_integer", vec![ValType::I32])),
            ..Defect::default()
        },
        Defect {
            helper: Some(("jank_not_a_helper", vec![])),
            ..Defect::default()
        },
        Defect {
            symbols_export: Some("jank_patch_symbols_2"),
            ..Defect::default()
        },
    ];
    let mut steps = Vec::new();
    let mut harness_errors = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let bytes = module(case);
        let file = ws.dir.path().join(format!("defective_{index}.wasm"));
        std::fs::write(&file, &bytes).expect("write the module");
        steps.push(json!({"op": "load", "file": file, "symbol": SYMBOLS}));
        let mut runtime = Runtime::new().expect("the harness runtime");
        let error = runtime
            .load_patch(&bytes, SYMBOLS)
            .expect_err("the harness refuses it");
        let code = match &error {
            HarnessError::Dylink(dylink) => Value::from(dylink.code()),
            _ => Value::Null,
        };
        harness_errors
            .push(json!({"kind": error.kind(), "code": code, "message": error.to_string()}));
    }
    steps.push(json!({"op": "patches"}));
    let results = drive(node, &ws, Value::Null, steps);
    let js_errors: Vec<Value> = results[..cases.len()]
        .iter()
        .map(|r| {
            let error = &r["loadError"];
            assert!(error.is_object(), "not refused: {r}");
            error.clone()
        })
        .collect();
    // Failures are told apart by kind and code. The wording is the same too,
    // except for bytes neither reader can read: there the harness words what
    // wasmparser says and the page its own reader's finding.
    let without_malformed_wording = |errors: &[Value]| -> Vec<Value> {
        errors
            .iter()
            .map(|error| {
                let mut error = error.clone();
                if error["code"] == "malformed" {
                    error["message"] = Value::Null;
                }
                error
            })
            .collect()
    };
    assert_eq!(
        without_malformed_wording(&js_errors),
        without_malformed_wording(&harness_errors)
    );
    let codes: Vec<&Value> = js_errors.iter().map(|error| &error["code"]).collect();
    assert_eq!(
        codes[..6],
        [
            "not-first",
            "table-align",
            "malformed",
            "duplicate-mem-info",
            "subsection-size",
            "needed"
        ]
    );
    assert_eq!(results[cases.len()]["patches"], json!([]));
}

#[test]
fn a_call_that_overflows_the_stack_is_a_trap_and_the_runtime_stays_usable() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    // Levels larger than a plain recursion's (locals live across the call),
    // so the engine's stack runs out before the loader's call-depth limit.
    let source = "(defn down [n] (let [a (str n) b [a]] (+ (count a) (down (inc n)) (count b)))) \
                  (defn ok [x] (* x 3))";
    let file = ws.emit(source, 1);
    let results = drive(
        node,
        &ws,
        Value::Null,
        vec![
            load(&file, 1),
            call("user", "down", json!([0])),
            call("user", "ok", json!([14])),
            call("user", "down", json!([0])),
            call("user", "ok", json!([5])),
            json!({"op": "stack"}),
        ],
    );
    let before = drive(node, &ws, Value::Null, vec![json!({"op": "stack"})]);
    // The traps skipped the epilogues; the loader put the stack pointer back.
    assert_eq!(results[5], before[0]);
    assert!(before[0]["stackPointer"].as_i64().is_some_and(|sp| sp > 0));
    for trapped in [&results[1], &results[3]] {
        assert_eq!(trapped["loadError"]["kind"], "trap", "{trapped}");
        let message = trapped["loadError"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(
                "wasm trap while calling a jank fn: StackOverflowError: \
                 the engine's call stack ran out in user/down ("
            ),
            "{message}"
        );
    }
    assert_eq!(results[2]["value"], "42");
    assert_eq!(results[4]["value"], "15");
}

#[test]
fn the_page_client_sends_eval_and_routes_each_answer_by_request_id() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let results = drive(node, &ws, Value::Null, vec![json!({"op": "clientEvals"})]);
    let result = &results[0];
    let sent = result["sent"].as_array().expect("what the client sent");
    assert_eq!(sent[0]["type"], "handshake");
    assert_eq!(sent[1]["type"], "eval");
    assert_eq!(sent[1]["code"], "(+ 1 2)");
    assert_eq!(sent[1]["ns"], "demo.app");
    assert_eq!(sent[1]["request_id"], "page-1");
    assert_eq!(sent[2]["request_id"], "page-2");

    assert_eq!(result["answered"]["ok"], true);
    assert_eq!(result["answered"]["value"], "3");
    assert_eq!(result["shown"], "hi\n=> 3");
    assert_eq!(result["failed"]["ok"], false);
    assert_eq!(
        result["failed"]["error"],
        "<page>:1:1: error: unterminated list"
    );
    assert_eq!(result["dropped"]["ok"], false);
    assert!(
        result["dropped"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("disconnected")),
        "{result}"
    );
    assert_eq!(result["offline"]["ok"], false);
    // Only the error that answered no eval reached the overlay.
    assert_eq!(
        result["overlay"],
        json!([{"title": "Compile error", "text": "broadcast to every page"}])
    );
}

#[test]
fn the_page_reads_jank_data_from_its_encoding_as_it_reads_it_printed() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let source = r#"
        (defn scalars [] [nil true false -42 1.5 (/ 1 4) ##Inf \a \newline "a\"b\nc" "é✓" :k :ns.x/k 'sym 'ns/sym])
        (defn nested [] {:a [1 (list 2 3) #{4}] "b" {:c (map inc (range 3))} [1 2] nil})
        (defn table [] [:table (for [i (range 200)] [:tr {:key i} [:td (str "cell " i)] [:td i]])])
        (defn empties [] [[] () {} #{} ""])"#;
    let patch = ws.emit(source, 1);
    let decodes = |name: &str| json!({"op": "decodes", "ns": "user", "name": name});
    let results = drive(
        node,
        &ws,
        Value::Null,
        vec![
            load(&patch, 1),
            decodes("scalars"),
            decodes("nested"),
            decodes("table"),
            decodes("empties"),
        ],
    );
    for result in &results[1..] {
        assert_eq!(result["decoded"], true, "{result}");
    }
    assert!(results[3]["printed"]
        .as_str()
        .unwrap()
        .contains("[:tr {:key 199} [:td \"cell 199\"] [:td 199]]"));
}

#[test]
fn an_on_vector_gets_the_event_map_appended_and_a_keyword_comes_alone() {
    let Some(node) = node() else { return };
    let ws = Workspace::new();
    let app = ws.emit(
        "(ns form.app) (defonce state (atom {})) (defn view [s] [:p])
         (defn handle [event] (reset! state event))",
        1,
    );
    let input =
        json!({"type": "input", "target": {"type": "text", "value": "milk", "id": "new-todo"}});
    let key = json!({"type": "keydown", "key": "Escape", "code": "Escape", "altKey": false,
                     "ctrlKey": false, "metaKey": false, "shiftKey": true,
                     "target": {"type": "text", "value": "x", "id": ""}});
    let submit = json!({"type": "submit", "target": {"id": "f", "elements": [
        {"name": "title", "type": "text", "value": "bread"}]}});
    let results = drive(
        node,
        &ws,
        json!({"ns": "form.app"}),
        vec![
            load(&app, 1),
            json!({"op": "event", "on": "[:set-text 3]", "event": input}),
            json!({"op": "event", "on": "[:key]", "event": key}),
            json!({"op": "event", "on": "[:add]", "event": submit}),
            json!({"op": "event", "on": ":clear", "event": input}),
        ],
    );
    assert_eq!(
        results[1]["returned"],
        r#"[:set-text 3 {:type "input", :value "milk", :target-id "new-todo"}]"#
    );
    assert_eq!(
        results[2]["returned"],
        r#"[:key {:type "keydown", :value "x", :key "Escape", :code "Escape", :alt-key false, :ctrl-key false, :meta-key false, :shift-key true}]"#
    );
    assert_eq!(
        results[3]["returned"],
        r#"[:add {:type "submit", :target-id "f", :form-data {:title "bread"}}]"#
    );
    assert_eq!(results[4]["returned"], ":clear");
}
