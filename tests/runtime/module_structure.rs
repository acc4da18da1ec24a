//! The emitted module has the shape Emscripten's loader requires.

use crate::common;
use jank_wasmtime_harness::parse_dylink;
use pretty_assertions::assert_eq;
use wasmparser::{Parser, Payload, TypeRef};

#[derive(Debug, Default)]
struct Shape {
    sections: Vec<String>,
    imports: Vec<String>,
    exports: Vec<String>,
    mem_size: u32,
    table_size: u32,
    data_len: u32,
    element_count: u32,
}

fn shape(bytes: &[u8]) -> Shape {
    let mut shape = Shape::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.unwrap() {
            Payload::CustomSection(custom) => {
                shape.sections.push(format!("custom:{}", custom.name()));
                if custom.name() == "dylink.0" {
                    // The reader holds MEM_INFO exact and table_p2align 0.
                    let dylink = parse_dylink(bytes).expect("a dylink.0 the loader accepts");
                    let data = custom.data();
                    assert_eq!(data[0], 1, "MEM_INFO subsection first");
                    // MEM_INFO is at most 20 bytes, so its size is one byte.
                    assert_eq!(usize::from(data[1]) + 2, data.len(), "nothing trails it");
                    shape.mem_size = dylink.mem_size;
                    shape.table_size = dylink.table_size;
                }
            }
            Payload::TypeSection(_) => shape.sections.push("type".into()),
            Payload::ImportSection(imports) => {
                shape.sections.push("import".into());
                for import in imports.into_imports() {
                    let import = import.unwrap();
                    let kind = match import.ty {
                        TypeRef::Func(_) => "func",
                        TypeRef::Table(t) => {
                            assert_eq!(t.maximum, None, "table import has no maximum");
                            "table"
                        }
                        TypeRef::Memory(m) => {
                            assert_eq!(m.maximum, None);
                            "memory"
                        }
                        TypeRef::Global(g) => {
                            if import.name == "__stack_pointer" {
                                assert!(g.mutable);
                            } else {
                                assert!(!g.mutable, "{} is immutable", import.name);
                            }
                            "global"
                        }
                        _ => "other",
                    };
                    shape
                        .imports
                        .push(format!("{}.{}:{kind}", import.module, import.name));
                }
            }
            Payload::FunctionSection(_) => shape.sections.push("function".into()),
            Payload::GlobalSection(_) => shape.sections.push("global".into()),
            Payload::ExportSection(exports) => {
                shape.sections.push("export".into());
                for export in exports {
                    shape.exports.push(export.unwrap().name.to_string());
                }
            }
            Payload::StartSection { .. } => shape.sections.push("start".into()),
            Payload::ElementSection(elements) => {
                shape.sections.push("element".into());
                for element in elements {
                    if let wasmparser::ElementItems::Functions(funcs) = element.unwrap().items {
                        shape.element_count += funcs.count();
                    }
                }
            }
            Payload::CodeSectionStart { .. } => shape.sections.push("code".into()),
            Payload::DataSection(data) => {
                shape.sections.push("data".into());
                for segment in data {
                    shape.data_len += segment.unwrap().data.len() as u32;
                }
            }
            _ => {}
        }
    }
    shape
}

#[test]
fn ggg_patch_has_the_side_module_layout() {
    let patch = common::compile(common::GGG, 42).unwrap();
    let shape = shape(&patch.bytes);
    assert_eq!(
        shape.sections,
        [
            "custom:dylink.0",
            "type",
            "import",
            "function",
            "global",
            "export",
            "start",
            "element",
            "code",
            "data",
            "custom:jank.frame_roots"
        ]
    );
    assert_eq!(
        &shape.imports[..5],
        [
            "env.memory:memory",
            "env.__indirect_function_table:table",
            "env.__memory_base:global",
            "env.__table_base:global",
            "env.__stack_pointer:global",
        ]
    );
    let helpers: Vec<&str> = shape.imports[5..].iter().map(|s| s.as_str()).collect();
    assert!(
        helpers
            .iter()
            .all(|h| h.starts_with("env.jank_") && h.ends_with(":func")),
        "{helpers:?}"
    );
    assert!(
        helpers.contains(&"env.jank_add:func"),
        "+ is inlined: {helpers:?}"
    );
    assert!(
        helpers.contains(&"env.jank_make_fn:func"),
        "#() is a fn object: {helpers:?}"
    );
    assert_eq!(shape.exports, ["jank_patch_symbols_42"]);
    assert_eq!(
        shape.mem_size, shape.data_len,
        "data covers all of mem_size"
    );
    assert_eq!(
        shape.table_size, shape.element_count,
        "table_size is the element count"
    );
    assert_eq!(shape.table_size, 2, "ggg and the #() arity");
    assert_eq!(patch.entries.len(), 1);
    assert_eq!(patch.entries[0].qualified_name, "eita/ggg");
    assert_eq!(patch.entries[0].signature, "1");
}

#[test]
fn every_export_carries_the_patch_id() {
    for id in [0, 7, 123_456_789] {
        let patch = common::compile("(defn f [] 1) (f)", id).unwrap();
        assert_eq!(
            shape(&patch.bytes).exports,
            [format!("jank_patch_symbols_{id}")]
        );
    }
}

#[test]
fn a_patch_without_helpers_or_arrays_imports_only_the_basics() {
    let patch = common::compile("(defn f [x] x)", 1).unwrap();
    let shape = shape(&patch.bytes);
    assert_eq!(
        shape.imports,
        [
            "env.memory:memory",
            "env.__indirect_function_table:table",
            "env.__memory_base:global",
            "env.__table_base:global",
        ]
    );
}

/// The loads the start function makes, as wasmparser names them: the
/// relocation loop reads its slot list with `i32.load16_u` (a list of u16
/// word indices) or, past 256 KiB of data, with `I32Load` entries of u32.
fn start_function_loads(bytes: &[u8]) -> Vec<String> {
    let mut start = None;
    let mut imported_funcs = 0;
    let mut defined = 0;
    let mut loads = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.unwrap() {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import.unwrap().ty, TypeRef::Func(_)) {
                        imported_funcs += 1;
                    }
                }
            }
            Payload::StartSection { func, .. } => start = Some(func),
            Payload::CodeSectionEntry(body) => {
                if Some(imported_funcs + defined) == start {
                    for op in body.get_operators_reader().unwrap() {
                        let name = format!("{:?}", op.unwrap());
                        if name.starts_with("I32Load") {
                            loads.push(name.split(' ').next().unwrap_or("").to_string());
                        }
                    }
                }
                defined += 1;
            }
            _ => {}
        }
    }
    loads
}

/// A patch's pointer slots (symbol entries, fn descriptors) hold their
/// unrelocated offsets, and the start function adds the bases: with a store
/// each when there are a few, with a loop over a list of u16 slot indices
/// when there are more, and over u32 indices when the data passes 256 KiB
/// (here, a fn's 300,000-character name does).
/// Each way, every fn and name reaches the runtime intact.
#[test]
fn pointer_slots_are_relocated_by_stores_or_by_a_loop_over_their_list() {
    let defs: String = (0..8)
        .map(|i| format!("(defn f{i} [x] (+ x {i}))\n"))
        .collect();
    let long_name = "f".repeat(300_000);
    let cases = [
        ("(defn f [x] (inc x))\n(f 41)".to_string(), 0, "42"),
        (format!("{defs}(f7 35)"), 2, "42"),
        (
            format!("(defn {long_name} [x] (* 2 x))\n{defs}({long_name} (f7 14))"),
            2,
            "42",
        ),
    ];
    for (index, (source, loops, answer)) in cases.iter().enumerate() {
        let patch = common::compile(source, 1).unwrap();
        let loads = start_function_loads(&patch.bytes);
        let narrow = loads.iter().filter(|l| l.starts_with("I32Load16U")).count();
        let wide = loads.iter().filter(|l| *l == "I32Load").count();
        let (expected_narrow, expected_wide) = match index {
            2 => (0, 2 * loops),
            _ => (*loops, *loops),
        };
        assert_eq!(
            (narrow, wide),
            (expected_narrow, expected_wide),
            "case {index}: {loads:?}"
        );
        let mut runtime = jank_wasmtime_harness::Runtime::new().unwrap();
        let outcomes = runtime
            .load_patch(&patch.bytes, &patch.symbols_export)
            .unwrap();
        let last = outcomes.last().expect("a value");
        assert_eq!(
            last.result.as_ref().map(|v| v.printed.as_str()).ok(),
            Some(*answer),
            "case {index}"
        );
        let names: Vec<&str> = outcomes.iter().map(|o| o.qualified_name.as_str()).collect();
        assert!(names.iter().all(|n| n.starts_with("user")), "{names:?}");
    }
}
