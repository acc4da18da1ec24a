//! Test support: a fake stub main module written in WAT (enough of the jank
//! runtime to run the test patches: integers, strings, keywords, vars, fixed
//! arity fns, exceptions, printing) and helpers that turn WAT into side
//! modules with a hand-built `dylink.0` section.

#![allow(dead_code)]

use jank_wasmtime_harness::Runtime;

/// The fake main module. Values are pointers to `tag:i32` objects:
/// 0 nil (the static object at 16), 1 integer (i64 at +8), 2 double (f64 at
/// +8), 3 string and 4 keyword (len at +4, UTF-8 at +8), 5 var (name string
/// at +4, root at +8 or 0, next var at +12), 6 fn (table index at +4, arity
/// at +8), 7 a value whose printing throws. Printing goes through a buffer at 4096; the shadow stack is
/// 8192..65536; malloc bumps from 65536 and never frees.
pub const FAKE_STUB_WAT: &str = r##"
(module
  (import "host" "write" (func $write (param i32 i32 i32)))
  (type $f0 (func (result i32)))
  (type $f1 (func (param i32) (result i32)))
  (type $f2 (func (param i32 i32) (result i32)))
  (type $f3 (func (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; Slot 0 stays null, as in an Emscripten main module.
  (table (export "__indirect_function_table") 1 funcref)
  (global $sp (export "__stack_pointer") (mut i32) (i32.const 65536))
  (global $heap (mut i32) (i32.const 65536))
  (global $vars (mut i32) (i32.const 0))
  (global $pending (mut i32) (i32.const 0))
  (global $out (mut i32) (i32.const 4096))
  (data (i32.const 1024) "unbound var")
  (data (i32.const 1040) "wrong number of args")
  (data (i32.const 1064) "not callable")
  (data (i32.const 1080) "bad signature")
  (data (i32.const 1100) "nil")
  (data (i32.const 1104) "#double")
  (data (i32.const 1112) "#'")
  (data (i32.const 1116) "#fn")
  (data (i32.const 1124) "cannot print")

  (func $malloc (export "malloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    global.get $heap i32.const 15 i32.add i32.const -16 i32.and local.set $ptr
    local.get $ptr local.get $size i32.add local.set $end
    (block $ok
      (loop $grow
        local.get $end memory.size i32.const 16 i32.shl i32.le_u br_if $ok
        i32.const 1 memory.grow i32.const -1 i32.eq
        if i32.const 0 return end
        br $grow))
    local.get $end global.set $heap
    local.get $ptr)

  (func $obj (param $tag i32) (param $size i32) (result i32) (local $p i32)
    local.get $size call $malloc local.tee $p local.get $tag i32.store
    local.get $p)

  (func $nil (export "jank_nil_value") (result i32) i32.const 16)

  (func $box_integer (export "jank_box_integer") (param $v i64) (result i32) (local $p i32)
    i32.const 1 i32.const 16 call $obj local.tee $p local.get $v i64.store offset=8
    local.get $p)

  (func $unbox_integer (export "jank_unbox_integer") (param $v i32) (result i64)
    local.get $v i32.load i32.const 1 i32.eq
    if (result i64) local.get $v i64.load offset=8 else i64.const 0 end)

  (func (export "jank_add_integers") (param $a i32) (param $b i32) (result i32)
    local.get $a call $unbox_integer local.get $b call $unbox_integer i64.add
    call $box_integer)

  (func (export "jank_box_double") (param $v f64) (result i32) (local $p i32)
    i32.const 2 i32.const 16 call $obj local.tee $p local.get $v f64.store offset=8
    local.get $p)

  (func $make_text (param $tag i32) (param $src i32) (param $len i32) (result i32) (local $p i32)
    local.get $tag local.get $len i32.const 8 i32.add call $obj local.set $p
    local.get $p local.get $len i32.store offset=4
    local.get $p i32.const 8 i32.add local.get $src local.get $len memory.copy
    local.get $p)

  (func $string_n (export "jank_make_string_n") (param $s i32) (param $n i32) (result i32)
    i32.const 3 local.get $s local.get $n call $make_text)

  (func $strlen (param $s i32) (result i32) (local $n i32)
    (block $done
      (loop $l
        local.get $s local.get $n i32.add i32.load8_u i32.eqz br_if $done
        local.get $n i32.const 1 i32.add local.set $n
        br $l))
    local.get $n)

  (func (export "jank_make_string") (param $s i32) (result i32)
    local.get $s local.get $s call $strlen call $string_n)

  ;; A text object holding "ns/name", or "name" when ns is "".
  (func $join (param $tag i32) (param $ns i32) (param $name i32) (result i32)
    (local $nl i32) (local $ml i32) (local $len i32) (local $p i32) (local $dst i32)
    local.get $ns call $strlen local.set $nl
    local.get $name call $strlen local.set $ml
    local.get $nl
    if (result i32) local.get $nl local.get $ml i32.add i32.const 1 i32.add
    else local.get $ml end
    local.set $len
    local.get $tag local.get $len i32.const 8 i32.add call $obj local.set $p
    local.get $p local.get $len i32.store offset=4
    local.get $p i32.const 8 i32.add local.set $dst
    local.get $nl
    if
      local.get $dst local.get $ns local.get $nl memory.copy
      local.get $dst local.get $nl i32.add i32.const 47 i32.store8
      local.get $dst local.get $nl i32.add i32.const 1 i32.add local.set $dst
    end
    local.get $dst local.get $name local.get $ml memory.copy
    local.get $p)

  (func (export "jank_make_keyword") (param $ns i32) (param $name i32) (result i32)
    i32.const 4 local.get $ns local.get $name call $join)

  (func $text_eq (param $a i32) (param $b i32) (result i32) (local $n i32) (local $i i32)
    local.get $a i32.load offset=4 local.tee $n local.get $b i32.load offset=4 i32.ne
    if i32.const 0 return end
    (block $done
      (loop $l
        local.get $i local.get $n i32.ge_u br_if $done
        local.get $a local.get $i i32.add i32.load8_u offset=8
        local.get $b local.get $i i32.add i32.load8_u offset=8
        i32.ne if i32.const 0 return end
        local.get $i i32.const 1 i32.add local.set $i
        br $l))
    i32.const 1)

  (func $intern (param $name i32) (result i32) (local $v i32)
    global.get $vars local.set $v
    (block $done
      (loop $l
        local.get $v i32.eqz br_if $done
        local.get $v i32.load offset=4 local.get $name call $text_eq
        if local.get $v return end
        local.get $v i32.load offset=12 local.set $v
        br $l))
    i32.const 5 i32.const 16 call $obj local.tee $v local.get $name i32.store offset=4
    local.get $v i32.const 0 i32.store offset=8
    local.get $v global.get $vars i32.store offset=12
    local.get $v global.set $vars
    local.get $v)

  (func (export "jank_var_intern_c") (param $ns i32) (param $name i32) (result i32)
    i32.const 3 local.get $ns local.get $name call $join call $intern)

  (func $throw (param $v i32) (result i32)
    local.get $v global.set $pending
    i32.const 0)

  (func (export "jank_exception_set") (param $v i32)
    local.get $v global.set $pending)

  (func (export "jank_exception_take") (result i32) (local $v i32)
    global.get $pending local.set $v
    i32.const 0 global.set $pending
    local.get $v)

  (func $throw_text (param $ptr i32) (param $len i32) (result i32)
    local.get $ptr local.get $len call $string_n call $throw)

  (func (export "jank_call") (param $f i32) (param $argc i32) (param $args i32) (result i32)
    (local $tag i32)
    local.get $f i32.load local.tee $tag i32.const 5 i32.eq
    if
      local.get $f i32.load offset=8 local.tee $f i32.eqz
      if i32.const 1024 i32.const 11 call $throw_text return end
      local.get $f i32.load local.set $tag
    end
    local.get $tag i32.const 6 i32.ne
    if i32.const 1064 i32.const 12 call $throw_text return end
    local.get $f i32.load offset=8 local.get $argc i32.ne
    if i32.const 1040 i32.const 20 call $throw_text return end
    (block $a3
      (block $a2
        (block $a1
          (block $a0
            local.get $argc br_table $a0 $a1 $a2 $a3)
          local.get $f i32.load offset=4 call_indirect (type $f0) return)
        local.get $args i32.load
        local.get $f i32.load offset=4 call_indirect (type $f1) return)
      local.get $args i32.load local.get $args i32.load offset=4
      local.get $f i32.load offset=4 call_indirect (type $f2) return)
    local.get $args i32.load local.get $args i32.load offset=4 local.get $args i32.load offset=8
    local.get $f i32.load offset=4 call_indirect (type $f3))

  (func $bind (param $name i32) (param $v i32)
    i32.const 3 local.get $name local.get $name call $strlen call $make_text call $intern
    local.get $v i32.store offset=8)

  ;; Signatures "0".."3" (seed fns), "def" and "eval".
  (func (export "jank_hot_reload_register") (param $e i32) (result i32)
    (local $name i32) (local $sig i32) (local $fn i32) (local $v i32) (local $c i32)
    local.get $e i32.load local.set $name
    local.get $e i32.load offset=4 local.set $sig
    local.get $e i32.load offset=8 local.set $fn
    local.get $sig i32.load8_u local.set $c
    local.get $c i32.const 48 i32.ge_u local.get $c i32.const 51 i32.le_u i32.and
    local.get $sig i32.load8_u offset=1 i32.eqz i32.and
    if
      i32.const 6 i32.const 16 call $obj local.tee $v local.get $fn i32.store offset=4
      local.get $v local.get $c i32.const 48 i32.sub i32.store offset=8
      local.get $name local.get $v call $bind
      local.get $v return
    end
    local.get $c i32.const 100 i32.eq local.get $sig i32.load8_u offset=3 i32.eqz i32.and
    if
      local.get $fn call_indirect (type $f0) local.tee $v i32.eqz
      if i32.const 0 return end
      local.get $name local.get $v call $bind
      local.get $v return
    end
    local.get $c i32.const 101 i32.eq
    if local.get $fn call_indirect (type $f0) return end
    i32.const 1080 i32.const 13 call $throw_text)

  (func $emit (param $src i32) (param $len i32)
    global.get $out local.get $src local.get $len memory.copy
    global.get $out local.get $len i32.add global.set $out)

  (func $emit_byte (param $b i32)
    global.get $out local.get $b i32.store8
    global.get $out i32.const 1 i32.add global.set $out)

  (func $emit_int (param $v i64) (local $buf i32) (local $neg i32)
    i32.const 3100 local.set $buf
    local.get $v i64.const 0 i64.lt_s local.set $neg
    local.get $neg if i64.const 0 local.get $v i64.sub local.set $v end
    (loop $l
      local.get $buf i32.const 1 i32.sub local.tee $buf
      local.get $v i64.const 10 i64.rem_u i32.wrap_i64 i32.const 48 i32.add i32.store8
      local.get $v i64.const 10 i64.div_u local.tee $v i64.const 0 i64.ne br_if $l)
    local.get $neg if i32.const 45 call $emit_byte end
    local.get $buf i32.const 3100 local.get $buf i32.sub call $emit)

  (func $emit_value (param $v i32) (param $readably i32) (local $tag i32)
    local.get $v i32.load local.set $tag
    (block $done
      local.get $tag i32.eqz
      if i32.const 1100 i32.const 3 call $emit br $done end
      local.get $tag i32.const 1 i32.eq
      if local.get $v i64.load offset=8 call $emit_int br $done end
      local.get $tag i32.const 2 i32.eq
      if i32.const 1104 i32.const 7 call $emit br $done end
      local.get $tag i32.const 3 i32.eq
      if
        local.get $readably if i32.const 34 call $emit_byte end
        local.get $v i32.const 8 i32.add local.get $v i32.load offset=4 call $emit
        local.get $readably if i32.const 34 call $emit_byte end
        br $done
      end
      local.get $tag i32.const 4 i32.eq
      if
        i32.const 58 call $emit_byte
        local.get $v i32.const 8 i32.add local.get $v i32.load offset=4 call $emit
        br $done
      end
      local.get $tag i32.const 5 i32.eq
      if
        i32.const 1112 i32.const 2 call $emit
        local.get $v i32.load offset=4 local.tee $v i32.const 8 i32.add
        local.get $v i32.load offset=4 call $emit
        br $done
      end
      i32.const 1116 i32.const 3 call $emit))

  ;; A value (tag 7) whose printing throws, as a failing lazy seq's would.
  (func (export "fake_unprintable") (result i32)
    i32.const 7 i32.const 16 call $obj)

  (func $printed (param $v i32) (param $len_out i32) (param $readably i32) (result i32)
    local.get $v i32.load i32.const 7 i32.eq
    if i32.const 1124 i32.const 12 call $throw_text return end
    i32.const 4096 global.set $out
    local.get $v local.get $readably call $emit_value
    local.get $len_out global.get $out i32.const 4096 i32.sub i32.store
    i32.const 4096)

  (func (export "jank_host_pr_str") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.const 1 call $printed)

  (func (export "jank_host_str") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.const 0 call $printed)

  (func (export "jank_println") (param $argc i32) (param $args i32) (result i32) (local $i i32)
    i32.const 4096 global.set $out
    (block $done
      (loop $l
        local.get $i local.get $argc i32.ge_u br_if $done
        local.get $i if i32.const 32 call $emit_byte end
        local.get $args local.get $i i32.const 4 i32.mul i32.add i32.load
        i32.const 0 call $emit_value
        local.get $i i32.const 1 i32.add local.set $i
        br $l))
    i32.const 10 call $emit_byte
    i32.const 1 i32.const 4096 global.get $out i32.const 4096 i32.sub call $write
    i32.const 16)
)
"##;

pub fn fake_stub() -> Vec<u8> {
    wat::parse_str(FAKE_STUB_WAT).expect("the fake stub parses")
}

pub fn fake_runtime() -> Runtime {
    Runtime::with_stub(&fake_stub()).expect("the fake stub instantiates")
}

pub fn real_runtime() -> Runtime {
    Runtime::new().expect("the real stub instantiates")
}

/// A fresh runtime around the stub `runtimes()` labels `label`.
pub fn runtime_for(label: &str) -> Runtime {
    if label == "fake stub" {
        fake_runtime()
    } else {
        real_runtime()
    }
}

/// Both main modules, labelled, for tests whose outcome must not depend on
/// which one runs the patch.
pub fn runtimes() -> Vec<(&'static str, Runtime)> {
    vec![("fake stub", fake_runtime()), ("real stub", real_runtime())]
}

pub fn uleb(mut value: u32) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A MEM_INFO subsection.
pub fn mem_info(mem_size: u32, mem_p2align: u32, table_size: u32, table_p2align: u32) -> Vec<u8> {
    let mut body = uleb(mem_size);
    body.extend(uleb(mem_p2align));
    body.extend(uleb(table_size));
    body.extend(uleb(table_p2align));
    let mut sub = vec![1];
    sub.extend(uleb(body.len() as u32));
    sub.extend(body);
    sub
}

pub fn custom_section(name: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = uleb(name.len() as u32);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    let mut section = vec![0];
    section.extend(uleb(body.len() as u32));
    section.extend(body);
    section
}

/// The WAT module with a `dylink.0` section carrying `payload` inserted
/// after `sections_before` of its sections (0: first, as the loader needs).
pub fn side_module_at(payload: &[u8], wat: &str, sections_before: usize) -> Vec<u8> {
    let module = wat::parse_str(wat).expect("test WAT parses");
    let mut offset = 8;
    for _ in 0..sections_before {
        // id byte, then a uleb size.
        let mut pos = offset + 1;
        let mut size = 0usize;
        let mut shift = 0;
        loop {
            let byte = module[pos];
            pos += 1;
            size |= ((byte & 0x7f) as usize) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        offset = pos + size;
    }
    let mut out = module[..offset].to_vec();
    out.extend(custom_section("dylink.0", payload));
    out.extend_from_slice(&module[offset..]);
    out
}

pub fn side_module(payload: &[u8], wat: &str) -> Vec<u8> {
    side_module_at(payload, wat, 0)
}

pub const PATCH_IMPORTS: &str = r#"
  (import "env" "memory" (memory 0))
  (import "env" "__indirect_function_table" (table 0 funcref))
  (import "env" "__memory_base" (global $mb i32))
  (import "env" "__table_base" (global $tb i32))
"#;

/// The seed-style patch: one entry `eita/ggg` with signature "1" whose fn is
/// `jank_add_integers(p0, jank_box_integer(addend))`. Data at `__memory_base`:
/// "eita/ggg\0" at 0, "1\0" at 9, the patch_symbol at 16 (28 bytes in all),
/// relocated by the start function like LLVM's output.
pub fn ggg_patch(id: u32, addend: i64) -> Vec<u8> {
    let wat = format!(
        r#"(module {PATCH_IMPORTS}
  (import "env" "jank_box_integer" (func $box (param i64) (result i32)))
  (import "env" "jank_add_integers" (func $add (param i32 i32) (result i32)))
  (func $ggg (param i32) (result i32)
    local.get 0 i64.const {addend} call $box call $add)
  (func $symbols (param $count i32) (result i32)
    local.get $count i32.const 1 i32.store
    global.get $mb i32.const 16 i32.add)
  (func $relocs
    global.get $mb global.get $mb i32.store offset=16
    global.get $mb global.get $mb i32.const 9 i32.add i32.store offset=20
    global.get $mb global.get $tb i32.store offset=24)
  (export "jank_patch_symbols_{id}" (func $symbols))
  (start $relocs)
  (elem (global.get $tb) func $ggg)
  (data (global.get $mb) "eita/ggg\00" "1\00" "\00\00\00\00\00" "\00\00\00\00\00\00\00\00\00\00\00\00"))"#
    );
    side_module(&mem_info(28, 2, 1, 0), &wat)
}

/// A registry patch laid out the way jankwasm lays one out: NUL-terminated
/// strings from `__memory_base`, then (16-aligned) the `patch_symbol` array,
/// filled in by the start function; entry k's fn is table slot
/// `__table_base + k`.
pub struct PatchSpec<'a> {
    pub id: u32,
    /// Imports beyond memory, table and the two bases.
    pub imports: &'a str,
    /// Function definitions; `@label@` stands for the memory offset of the
    /// string `label` from `strings` (add `__memory_base`).
    pub funcs: &'a str,
    /// Extra strings the functions use, as (label, text).
    pub strings: &'a [(&'a str, &'a str)],
    /// (qualified name, signature, WAT function name) per entry, in order.
    pub entries: &'a [(&'a str, &'a str, &'a str)],
    pub mem_p2align: u32,
    /// Bytes reserved past the data that no data segment covers.
    pub uncovered: u32,
    /// Extra module fields (exports, globals, ...).
    pub extra: &'a str,
    /// Code appended to the start function.
    pub start_extra: &'a str,
}

impl Default for PatchSpec<'_> {
    fn default() -> Self {
        PatchSpec {
            id: 1,
            imports: "",
            funcs: "",
            strings: &[],
            entries: &[],
            mem_p2align: 2,
            uncovered: 0,
            extra: "",
            start_extra: "",
        }
    }
}

pub struct BuiltPatch {
    pub wasm: Vec<u8>,
    pub symbols_export: String,
    /// Data bytes (without `uncovered`).
    pub data_len: u32,
    pub string_offsets: Vec<(String, u32)>,
}

pub fn build_patch(spec: &PatchSpec<'_>) -> BuiltPatch {
    let mut data: Vec<u8> = Vec::new();
    let mut string_offsets = Vec::new();
    let push_string = |data: &mut Vec<u8>, text: &str| {
        let offset = data.len() as u32;
        data.extend_from_slice(text.as_bytes());
        data.push(0);
        offset
    };
    for (label, text) in spec.strings {
        let offset = push_string(&mut data, text);
        string_offsets.push((label.to_string(), offset));
    }
    let mut entry_strings = Vec::new();
    for (name, signature, _) in spec.entries {
        let name_offset = push_string(&mut data, name);
        let signature_offset = push_string(&mut data, signature);
        entry_strings.push((name_offset, signature_offset));
    }
    while data.len() % 16 != 0 {
        data.push(0);
    }
    let entries_offset = data.len() as u32;
    data.extend(std::iter::repeat_n(0u8, 12 * spec.entries.len()));

    let mut relocs = String::new();
    for (k, (name_offset, signature_offset)) in entry_strings.iter().enumerate() {
        let at = entries_offset + 12 * k as u32;
        relocs.push_str(&format!(
            "global.get $mb global.get $mb i32.const {name_offset} i32.add i32.store offset={at}\n\
             global.get $mb global.get $mb i32.const {signature_offset} i32.add i32.store offset={}\n\
             global.get $mb global.get $tb i32.const {k} i32.add i32.store offset={}\n",
            at + 4,
            at + 8
        ));
    }
    let mut funcs = spec.funcs.to_string();
    for (label, offset) in &string_offsets {
        funcs = funcs.replace(&format!("@{label}@"), &offset.to_string());
    }
    let elem = if spec.entries.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = spec.entries.iter().map(|(_, _, f)| *f).collect();
        format!("(elem (global.get $tb) func {})", names.join(" "))
    };
    let escaped: String = data.iter().map(|b| format!("\\{b:02x}")).collect();
    let symbols_export = format!("jank_patch_symbols_{}", spec.id);
    let count = spec.entries.len();
    let wat = format!(
        r#"(module {PATCH_IMPORTS} {imports}
  {funcs}
  (func $symbols (param $count i32) (result i32)
    local.get $count i32.const {count} i32.store
    global.get $mb i32.const {entries_offset} i32.add)
  (func $relocs {relocs} {start_extra})
  (export "{symbols_export}" (func $symbols))
  (start $relocs)
  {elem}
  (data (global.get $mb) "{escaped}")
  {extra})"#,
        imports = spec.imports,
        extra = spec.extra,
        start_extra = spec.start_extra,
    );
    let data_len = data.len() as u32;
    let payload = mem_info(data_len + spec.uncovered, spec.mem_p2align, count as u32, 0);
    BuiltPatch {
        wasm: side_module(&payload, &wat),
        symbols_export,
        data_len,
        string_offsets,
    }
}
