//! Real-loader conformance: patches emitted directly by jankwasm, loaded by
//! Emscripten 3.1.6's own `dlopen` into a MAIN_MODULE built by emcc from
//! runtime-abi/conformance/conformance_runtime.c, run under Node.
//!
//! Each test writes a plan (runtime-abi/conformance/driver.js): the driver
//! writes every patch into the module's MEMFS at a unique path and calls
//! `jank_hot_reload_load_patch(path, "jank_patch_symbols_<id>")`, as a jank
//! page does, then calls vars and prints their values. Two main modules are
//! built once per test run under target/: the extended one (every helper of
//! jank_patch_abi.h) and the seed one (exactly the seed helpers and limits).

use jank_runtime_abi::{Helper, Origin, ValType};
use jankwasm::lower::{Abi, PatchOptions};
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use pretty_assertions::assert_eq;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn work_root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("real_loader")
}

/// emcc and node, or a clear skip (a failure under CI).
fn tools_available() -> bool {
    let missing: Vec<&str> = [("emcc", "--version"), ("node", "--version")]
        .into_iter()
        .filter(|(tool, flag)| Command::new(tool).arg(flag).output().is_err())
        .map(|(tool, _)| tool)
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have {missing:?} (.ci/run installs emscripten and nodejs)"
    );
    eprintln!("skipping: {missing:?} not installed (.ci/run installs them)");
    false
}

/// A wasm function signature: parameter and result types.
type Signature = (Vec<wasmparser::ValType>, Vec<wasmparser::ValType>);

/// A built conformance main module: its JS glue and its exported functions' signatures.
struct MainModule {
    js: PathBuf,
    exports: BTreeMap<String, Signature>,
}

/// A helper's signature as jank_patch_abi.h declares it.
fn header_signature(helper: Helper) -> Signature {
    let wasm = |types: &[ValType]| {
        types
            .iter()
            .map(|ty| match ty {
                ValType::I32 => wasmparser::ValType::I32,
                ValType::I64 => wasmparser::ValType::I64,
                ValType::F64 => wasmparser::ValType::F64,
            })
            .collect()
    };
    (wasm(helper.params()), wasm(helper.results()))
}

/// Exported functions of a wasm module with their signatures.
fn exported_functions(wasm: &[u8]) -> BTreeMap<String, Signature> {
    let mut types = Vec::new();
    let mut function_types = Vec::new();
    let mut exports = BTreeMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.expect("the main module parses") {
            wasmparser::Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty.expect("a function type");
                    types.push((ty.params().to_vec(), ty.results().to_vec()));
                }
            }
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if let wasmparser::TypeRef::Func(ty) = import.expect("an import").ty {
                        function_types.push(ty);
                    }
                }
            }
            wasmparser::Payload::FunctionSection(reader) => {
                for ty in reader {
                    function_types.push(ty.expect("a function"));
                }
            }
            wasmparser::Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.expect("an export");
                    if export.kind == wasmparser::ExternalKind::Func {
                        exports.insert(export.name.to_string(), export.index);
                    }
                }
            }
            _ => {}
        }
    }
    exports
        .into_iter()
        .map(|(name, index)| {
            let ty = function_types[index as usize] as usize;
            (name, types[ty].clone())
        })
        .collect()
}

/// Builds the conformance main module with emcc (-O1: Debian's emscripten
/// lacks the `acorn` node module its -O2 JS optimizer needs).
fn build_main(seed: bool) -> Result<MainModule, String> {
    let flavour = if seed { "seed" } else { "extended" };
    let dir = work_root().join(format!("main-{flavour}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let js = dir.join("conformance.js");
    let mut command = Command::new("emcc");
    command
        .args(["-O1", "-Wall", "-Wextra", "-Werror"])
        .args(["-sMAIN_MODULE=2", "-sWASM_BIGINT", "-sMODULARIZE=1"])
        .args(["-sALLOW_MEMORY_GROWTH=1", "-sFORCE_FILESYSTEM=1"])
        .args(["-sEXPORTED_RUNTIME_METHODS=FS,ccall", "--no-entry"])
        .arg("-I")
        .arg(manifest_dir().join("runtime-abi"));
    if seed {
        command.arg("-DJANK_CONFORMANCE_SEED");
    }
    let output = command
        .arg(manifest_dir().join("runtime-abi/conformance/conformance_runtime.c"))
        .arg("-o")
        .arg(&js)
        .output()
        .map_err(|e| format!("running emcc: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "emcc failed to build the {flavour} main module:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let wasm = std::fs::read(js.with_extension("wasm")).map_err(|e| format!("{e}"))?;
    Ok(MainModule {
        js,
        exports: exported_functions(&wasm),
    })
}

fn main_module(seed: bool) -> &'static MainModule {
    static EXTENDED: OnceLock<Result<MainModule, String>> = OnceLock::new();
    static SEED: OnceLock<Result<MainModule, String>> = OnceLock::new();
    let cell = if seed { &SEED } else { &EXTENDED };
    match cell.get_or_init(|| build_main(seed)) {
        Ok(module) => module,
        Err(error) => panic!("{error}"),
    }
}

/// One step of a plan.
enum Step<'a> {
    /// Emit `source` in namespace `ns` as patch `id` and load it from `/tmp/jank_patch_<id>.wasm`.
    Load { id: u64, source: &'a str },
    /// Load the patch emitted as `id` again, from the path another patch used.
    LoadAt {
        id: u64,
        source: &'a str,
        path: String,
    },
    /// Call a var with integer/:keyword arguments.
    Call(&'a str),
}

/// Emits every patch of `steps` (in one session, as a dev server would),
/// runs them against the main module and returns what the driver printed.
fn run(name: &str, seed: bool, ns: &str, steps: &[Step<'_>]) -> String {
    let main = main_module(seed);
    let dir = work_root().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let abi = if seed { Abi::Seed } else { Abi::Extended };
    let mut session = Session::new();
    let mut plan = String::new();
    for step in steps {
        let (id, source, fs_path) = match step {
            Step::Call(call) => {
                writeln!(plan, "call {call}").unwrap();
                continue;
            }
            Step::Load { id, source } => (*id, *source, format!("/tmp/jank_patch_{id}.wasm")),
            Step::LoadAt { id, source, path } => (*id, *source, path.clone()),
        };
        session.enter_ns(ns);
        let file = SourceFile::new(format!("patch{id}.jank"), source);
        let patch = session
            .compile(&file, &PatchOptions { patch_id: id, abi })
            .unwrap_or_else(|d| panic!("patch {id} does not compile: {}", d.render(&file)));
        for helper in imported_helpers(&patch.bytes) {
            assert!(
                main.exports.contains_key(&helper),
                "patch {id} imports `{helper}`, which the {} main module does not export",
                if seed { "seed" } else { "extended" }
            );
        }
        let host_file = dir.join(format!("patch{id}.wasm"));
        std::fs::write(&host_file, &patch.bytes).unwrap();
        writeln!(
            plan,
            "load {} {fs_path} {}",
            host_file.display(),
            patch.symbols_export
        )
        .unwrap();
    }
    let plan_file = dir.join("plan");
    std::fs::write(&plan_file, plan).unwrap();
    let output = Command::new("node")
        .arg("--no-experimental-fetch")
        .arg(manifest_dir().join("runtime-abi/conformance/driver.js"))
        .arg(&main.js)
        .arg(&plan_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        output.status.success(),
        "node failed on {name}:\n{stdout}{stderr}"
    );
    stdout + &stderr
}

fn imported_helpers(wasm: &[u8]) -> Vec<String> {
    let mut helpers = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ImportSection(reader) = payload.unwrap() {
            for import in reader.into_imports() {
                let import = import.unwrap();
                if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                    helpers.push(import.name.to_string());
                }
            }
        }
    }
    helpers
}

fn lines(expected: &[&str]) -> String {
    expected.iter().map(|line| format!("{line}\n")).collect()
}

#[test]
fn ggg_reloads_to_the_new_definition() {
    if !tools_available() {
        return;
    }
    let printed = run(
        "ggg",
        false,
        "eita",
        &[
            Step::Load {
                id: 1,
                source: "(defn ggg [v] (+ 48 v))",
            },
            Step::Call("eita/ggg 10"),
            Step::Load {
                id: 2,
                source: "(defn ggg [v] (+ 49 v))",
            },
            Step::Call("eita/ggg 10"),
        ],
    );
    assert_eq!(
        printed,
        lines(&[
            "load /tmp/jank_patch_1.wasm jank_patch_symbols_1 -> 0",
            "(eita/ggg 10) -> 58",
            "load /tmp/jank_patch_2.wasm jank_patch_symbols_2 -> 0",
            "(eita/ggg 10) -> 59",
        ])
    );
}

#[test]
fn strings_keywords_and_several_fns_are_relocated() {
    if !tools_available() {
        return;
    }
    let source = r#"
(def greeting "hello, jank")
(defn greet [n] (str greeting " #" n))
(defn tag [v] [:tagged v :ns/qualified "line\n" \λ 'sym])
(defn pick [k] (k {:a "alpha" :b "beta"} "neither"))
(defn sum3 [a b c] (+ a b c))
(defn chain [v] (sum3 (count (greet v)) (count (tag v)) v))
"#;
    let printed = run(
        "relocations",
        false,
        "eita",
        &[
            Step::Load { id: 3, source },
            Step::Call("eita/greet 3"),
            Step::Call("eita/tag 7"),
            Step::Call("eita/pick :b"),
            Step::Call("eita/pick :z"),
            Step::Call("eita/chain 5"),
        ],
    );
    assert_eq!(
        printed,
        lines(&[
            "load /tmp/jank_patch_3.wasm jank_patch_symbols_3 -> 0",
            "(eita/greet 3) -> \"hello, jank #3\"",
            "(eita/tag 7) -> [:tagged 7 :ns/qualified \"line\\n\" \\λ sym]",
            "(eita/pick :b) -> \"beta\"",
            "(eita/pick :z) -> \"neither\"",
            "(eita/chain 5) -> 25",
        ])
    );
}

#[test]
fn closures_multi_arity_and_exceptions() {
    if !tools_available() {
        return;
    }
    let source = r#"
(defn make-adder [n] (fn [x] (+ x n)))
(defn use-adder [a b] ((make-adder a) b))
(defn multi ([] :none) ([a] [:one a]) ([a b & more] [:many a b more]))
(def fib (fn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))))
(defn counter [start]
  (let [step (fn [k] (* k 2))]
    (loop [i 0 acc start] (if (< i 3) (recur (inc i) (step acc)) acc))))
(defn boom [x] (throw (ex-info "boom" {:x x})))
(defn safe [x]
  (try (boom x)
       (catch Exception e [(ex-message e) (ex-data e)])
       (finally (println "finally ran for" x))))
"#;
    let printed = run(
        "closures",
        false,
        "eita",
        &[
            Step::Load { id: 4, source },
            Step::Call("eita/use-adder 10 5"),
            Step::Call("eita/multi"),
            Step::Call("eita/multi 1"),
            Step::Call("eita/multi 1 2 3 4"),
            Step::Call("eita/fib 15"),
            Step::Call("eita/counter 5"),
            Step::Call("eita/safe 4"),
            Step::Call("eita/boom 1"),
        ],
    );
    assert_eq!(
        printed,
        lines(&[
            "load /tmp/jank_patch_4.wasm jank_patch_symbols_4 -> 0",
            "(eita/use-adder 10 5) -> 15",
            "(eita/multi) -> :none",
            "(eita/multi 1) -> [:one 1]",
            "(eita/multi 1 2 3 4) -> [:many 1 2 (3 4)]",
            "(eita/fib 15) -> 610",
            "(eita/counter 5) -> 40",
            "finally ran for 4",
            "(eita/safe 4) -> [\"boom\" {:x 4}]",
            "(eita/boom 1) -> THREW #error {:message \"boom\", :data {:x 1}}",
        ])
    );
}

#[test]
fn fifty_reloads_of_one_var_the_last_wins() {
    if !tools_available() {
        return;
    }
    const RELOADS: u64 = 50;
    let sources: Vec<String> = (0..RELOADS)
        .map(|i| {
            format!(
                "(def label-{i} \"patch {i}\")\n\
                 (defn hot [v] (+ {i} v))\n\
                 (defn keep-{i} [] [label-{i} :k-{i} ((fn [x] (* x {i})) 2) (hot 0)])\n"
            )
        })
        .collect();
    let calls: Vec<String> = (0..RELOADS).map(|i| format!("eita/keep-{i}")).collect();
    let mut steps = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        steps.push(Step::Load {
            id: 1000 + i as u64,
            source,
        });
        steps.push(Step::Call("eita/hot 1"));
    }
    for call in &calls {
        steps.push(Step::Call(call));
    }
    // A path that was loaded before is a collision: dlopen hands back the old
    // module, whose exports lack the new symbol, so the load fails visibly.
    steps.push(Step::LoadAt {
        id: 2000,
        source: "(defn hot [v] (+ 999 v))",
        path: "/tmp/jank_patch_1000.wasm".to_string(),
    });
    steps.push(Step::Call("eita/hot 1"));
    let printed = run("fifty", false, "eita", &steps);

    let mut expected = Vec::new();
    for i in 0..RELOADS {
        let id = 1000 + i;
        expected.push(format!(
            "load /tmp/jank_patch_{id}.wasm jank_patch_symbols_{id} -> 0"
        ));
        expected.push(format!("(eita/hot 1) -> {}", i + 1));
    }
    for i in 0..RELOADS {
        expected.push(format!(
            "(eita/keep-{i}) -> [\"patch {i}\" :k-{i} {} {}]",
            2 * i,
            RELOADS - 1
        ));
    }
    expected.push("load /tmp/jank_patch_1000.wasm jank_patch_symbols_2000 -> -1".to_string());
    expected.push(format!("(eita/hot 1) -> {RELOADS}"));
    let (stdout, stderr): (Vec<&str>, Vec<&str>) = printed
        .lines()
        .partition(|line| !line.starts_with("jank_hot_reload_load_patch"));
    let expected_refs: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(stdout.join("\n") + "\n", lines(&expected_refs));
    assert_eq!(
        stderr,
        [
            "jank_hot_reload_load_patch: dlsym jank_patch_symbols_2000: Tried to lookup unknown symbol \"jank_patch_symbols_2000\" in dynamic lib: /tmp/jank_patch_1000.wasm"
        ]
    );
}

#[test]
fn the_extended_main_module_exports_every_helper_with_the_header_signature() {
    if !tools_available() {
        return;
    }
    let exports = &main_module(false).exports;
    for helper in Helper::ALL
        .into_iter()
        .filter(|h| h.origin() != Origin::Host)
    {
        assert_eq!(
            exports.get(helper.name()),
            Some(&header_signature(helper)),
            "{}",
            helper.c_declaration()
        );
    }
}

#[test]
fn the_seed_main_module_exports_exactly_the_seed_helpers() {
    if !tools_available() {
        return;
    }
    let exports = &main_module(true).exports;
    let exported_helpers: BTreeSet<&str> = Helper::ALL
        .into_iter()
        .map(Helper::name)
        .filter(|name| exports.contains_key(*name))
        .collect();
    let seed_helpers: BTreeSet<&str> = Helper::ALL
        .into_iter()
        .filter(|helper| helper.is_seed())
        .map(Helper::name)
        .collect();
    assert_eq!(exported_helpers, seed_helpers);
}

#[test]
fn seed_patches_run_against_the_seed_runtime() {
    if !tools_available() {
        return;
    }
    let closure = r#"
(defn make-adder [n] (fn [x] (+ x n)))
(defn use-adder [a b] ((make-adder a) b))
(defn pair-with [a] (fn [b c] [a b c]))
(defn use-pair [a b c] ((pair-with a) b c))
"#;
    let maps = r#"
(defn mk [v] (hash-map :v v :twice (+ v v)))
(defn lit [v] {:v v :k :kw})
(defn many [a b c d] (vector a b c d (+ a b c d) (list a b c d a b c)))
(defn cmp [a b] (if (< a b) [:less true \x] [:not-less false nil]))
"#;
    let printed = run(
        "seed",
        true,
        "eita",
        &[
            Step::Load {
                id: 1,
                source: "(defn ggg [v] (+ 48 v))",
            },
            Step::Call("eita/ggg 10"),
            Step::Load {
                id: 2,
                source: "(defn ggg [v] (+ 49 v))",
            },
            Step::Call("eita/ggg 10"),
            Step::Load {
                id: 3,
                source: closure,
            },
            Step::Call("eita/use-adder 10 5"),
            Step::Call("eita/use-pair 1 2 3"),
            Step::Load {
                id: 4,
                source: maps,
            },
            Step::Call("eita/mk 4"),
            Step::Call("eita/lit 4"),
            Step::Call("eita/many 1 2 3 4"),
            Step::Call("eita/cmp 1 2"),
            Step::Call("eita/cmp 3 2"),
            Step::Load {
                id: 5,
                source: common::GGG,
            },
            Step::Call("eita/ggg 10"),
        ],
    );
    assert_eq!(
        printed,
        lines(&[
            "load /tmp/jank_patch_1.wasm jank_patch_symbols_1 -> 0",
            "(eita/ggg 10) -> 58",
            "load /tmp/jank_patch_2.wasm jank_patch_symbols_2 -> 0",
            "(eita/ggg 10) -> 59",
            "load /tmp/jank_patch_3.wasm jank_patch_symbols_3 -> 0",
            "(eita/use-adder 10 5) -> 15",
            "(eita/use-pair 1 2 3) -> [1 2 3]",
            "load /tmp/jank_patch_4.wasm jank_patch_symbols_4 -> 0",
            "(eita/mk 4) -> {:v 4, :twice 8}",
            "(eita/lit 4) -> {:v 4, :k :kw}",
            "(eita/many 1 2 3 4) -> [1 2 3 4 10 (1 2 3 4 1 2 3)]",
            "(eita/cmp 1 2) -> [:less true \\x]",
            "(eita/cmp 3 2) -> [:not-less false nil]",
            "load /tmp/jank_patch_5.wasm jank_patch_symbols_5 -> 0",
            ":FROM_CLJ_..._I_MEAN_JANK_IN_WASM!! 60 #{999 3 15 30}",
            "(eita/ggg 10) -> 58",
        ])
    );
}
