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
