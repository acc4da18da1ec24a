//! `Runtime::load_patch`: what Emscripten 3.1.6's `loadWebAssemblyModule`
//! plus the caller's `dlsym` and registry loop do with a jankwasm patch.
//!
//! The sequence follows src/library_dylink.js: read `dylink.0`; reserve
//! `mem_size` bytes with the main module's malloc, aligned to
//! `max(2^mem_p2align, 16)` (`alignMemory(getMemory(size + align), align)`);
//! take `tableBase = table_size ? table.length : 0` and grow the table by
//! `table_size`; instantiate with `env.memory`, `env.__indirect_function_table`,
//! the immutable `env.__memory_base`/`env.__table_base`, `env.__stack_pointer`
//! and every other `env.X` from the main module's export `X` (the start function
//! runs here); call an exported `__wasm_call_ctors`. Then, as jank's host does,
//! call `jank_patch_symbols_<id>(&count)` and hand each entry to
//! `jank_hot_reload_register`, stopping at the first that throws.
//!
//! With a stub that has a collector, instantiation and constructors run in a
//! permanent bracket (`jank_host_permanent_begin`/`_end`: the patch keeps
//! what they make in its own globals), and each registry entry is followed by
//! a safe point.
//!
//! Deliberate differences, all stricter or more visible than 3.1.6:
//! - A patch is fully checked (imports, exports, compilation) before anything
//!   is reserved, so a rejected patch leaves memory and table untouched
//!   (3.1.6 reserves first and leaks on failure).
//! - GOT imports and imports from modules other than `env` are rejected: the
//!   ABI forbids GOT imports, and an unresolved GOT entry would poison every
//!   later dlopen in the process.
//! - An `env.X` the main module does not export is a link error at load time;
//!   3.1.6 links a stub that aborts on the first call.
//! - The reserved memory is filled with 0xA5 before instantiation: 3.1.6's
//!   malloc'd memory is not zeroed, so a patch whose data segments do not
//!   cover `mem_size` reads garbage there, and this makes that reproducible.
//! - Exported functions do not get extra table slots (3.1.6's `updateGOT`
//!   gives each never-seen export name one): patches address the table only
//!   relative to `__table_base`, and the host calls exports directly.
//! - `NEEDED` libraries are an error (there is no file system to load from).
//! - Importing one of the collector's host-only entry points is a link error:
//!   a patch frame is live whenever patch code runs, so it is never a safe
//!   point.

use wasmparser::{Parser, Payload, TypeRef};
use wasmtime::{
    Extern, ExternType, Global, GlobalType, Instance, Module, Mutability, Ref, Val, ValType,
};

use crate::dylink::parse_dylink;
use crate::error::{DylinkError, HarnessError};
use crate::frames::{keeps_roots_in_frames, LazyFrameTable};
use crate::runtime::{is_interrupted, trap_error, EntryOutcome, PatchInfo, Runtime, Value};

/// The pattern the loader fills a patch's reserved memory with.
pub const UNINITIALIZED_BYTE: u8 = 0xA5;
/// The collector's host entry points that are only sound between host calls
/// (jank_patch_abi.h): a patch importing one is rejected.
const COLLECTOR_ENTRY_POINTS: &[&str] = &[
    "jank_host_gc_collect",
    "jank_host_gc_safe_point",
    "jank_host_permanent_begin",
    "jank_host_permanent_end",
];
/// Bytes per `patch_symbol`: three wasm32 pointers.
const PATCH_SYMBOL_SIZE: u32 = 12;

/// How one import of the patch is satisfied, decided before anything is
/// reserved.
enum Supply {
    Memory,
    Table,
    MemoryBase,
    TableBase,
    StackPointer,
    Main(Extern),
}

fn link(import: impl Into<String>, reason: impl Into<String>) -> HarnessError {
    HarnessError::Link {
        import: import.into(),
        reason: reason.into(),
    }
}

fn missing_export(name: &str, reason: impl Into<String>) -> HarnessError {
    HarnessError::MissingExport {
        module: "patch".into(),
        name: name.into(),
        reason: reason.into(),
    }
}

/// The checks that need the raw import types (before wasmtime compiles the
/// module, since e.g. a mutable `__memory_base` used in a data segment offset
/// does not even validate).
fn check_imports(wasm: &[u8]) -> Result<(), HarnessError> {
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| HarnessError::Compile {
            what: "patch".into(),
            message: e.to_string(),
        })?;
        let Payload::ImportSection(reader) = payload else {
            continue;
        };
        for import in reader.into_imports() {
            let import = import.map_err(|e| HarnessError::Compile {
                what: "patch".into(),
                message: e.to_string(),
            })?;
            check_import(import.module, import.name, &import.ty)?;
        }
    }
    Ok(())
}

fn check_import(module: &str, name: &str, ty: &TypeRef) -> Result<(), HarnessError> {
    let qualified = format!("{module}.{name}");
    match module {
        "env" => {}
        "GOT.mem" | "GOT.func" => {
            return Err(link(
                qualified,
                "GOT imports are not supported: patches never import GOT entries \
                 (jank_patch_abi.h), since one unresolved GOT symbol breaks every later dlopen",
            ))
        }
        other => {
            return Err(link(
                qualified,
                format!("the loader supplies only `env` imports; `{other}` is not provided"),
            ))
        }
    }
    match (name, ty) {
        ("memory", TypeRef::Memory(memory)) => {
            if memory.memory64 {
                return Err(link(
                    qualified,
                    "a 64-bit memory; the main module's memory is wasm32",
                ));
            }
            if memory.shared {
                return Err(link(
                    qualified,
                    "a shared memory; the main module's memory is not shared",
                ));
            }
            if let Some(max) = memory.maximum {
                return Err(link(
                    qualified,
                    format!("declares a maximum ({max} pages); import the memory with none"),
                ));
            }
        }
        ("memory", _) => return Err(link(qualified, "must be a memory import")),
        ("__indirect_function_table", TypeRef::Table(table)) => {
            if table.table64 || table.element_type != wasmparser::RefType::FUNCREF {
                return Err(link(qualified, "must be a 32-bit funcref table"));
            }
            if let Some(max) = table.maximum {
                return Err(link(
                    qualified,
                    format!(
                        "declares a maximum ({max}); the main module's table grows without \
                         one (LinkError in Emscripten)"
                    ),
                ));
            }
        }
        ("__indirect_function_table", _) => return Err(link(qualified, "must be a table import")),
        ("__memory_base" | "__table_base", TypeRef::Global(global)) => {
            if global.content_type != wasmparser::ValType::I32 || global.mutable {
                return Err(link(
                    qualified,
                    "must be an immutable i32 global: the loader passes a plain number, and \
                     mutable globals cannot be used in constant expressions",
                ));
            }
        }
        ("__memory_base" | "__table_base", _) => {
            return Err(link(qualified, "must be an immutable i32 global import"))
        }
        ("__stack_pointer", TypeRef::Global(global)) => {
            if global.content_type != wasmparser::ValType::I32 || !global.mutable {
                return Err(link(
                    qualified,
                    "must be a mutable i32 global (the shared shadow stack)",
                ));
            }
        }
        ("__stack_pointer", _) => {
            return Err(link(qualified, "must be a mutable i32 global import"))
        }
        (name, TypeRef::Func(_)) if COLLECTOR_ENTRY_POINTS.contains(&name) => {
            return Err(link(
                qualified,
                "is a host-only entry point: run from a patch, a collection would free values \
                 its own frames hold",
            ))
        }
        (_, TypeRef::Func(_)) => {}
        (_, _) => {
            return Err(link(
                qualified,
                "only functions are resolved from the main module's exports",
            ))
        }
    }
    Ok(())
}

/// A wasm function type as the header would write it, for link errors.
fn describe(ty: &wasmtime::FuncType) -> String {
    let list = |types: &mut dyn Iterator<Item = ValType>| {
        types.map(|t| t.to_string()).collect::<Vec<_>>().join(" ")
    };
    format!(
        "(param {}) (result {})",
        list(&mut ty.params()),
        list(&mut ty.results())
    )
}

impl Runtime {
    /// Loads a patch as `dlopen` would, then runs its registry entries in
    /// order through `jank_hot_reload_register`. `symbols_export` is the
    /// `jank_patch_symbols_<id>` export to call. Stops at the first entry
    /// that throws; that entry's outcome is the last one returned.
    pub fn load_patch(
        &mut self,
        wasm: &[u8],
        symbols_export: &str,
    ) -> Result<Vec<EntryOutcome>, HarnessError> {
        self.scratch_reset();
        let dylink = parse_dylink(wasm)?;
        if !dylink.needed.is_empty() {
            return Err(DylinkError::Needed {
                needed: dylink.needed,
            }
            .into());
        }
        let mem_align = dylink.mem_align().ok_or(DylinkError::MemAlign {
            mem_p2align: dylink.mem_p2align,
        })?;
        check_imports(wasm)?;
        let module = self
            .compile_patch(wasm)
            .map_err(|e| HarnessError::Compile {
                what: "patch".into(),
                message: format!("{e:#}"),
            })?;
        let supplies = self.plan_imports(&module)?;
        self.check_exports(&module, symbols_export)?;
        if !keeps_roots_in_frames(wasm) {
            self.note_unrooted_patch()?;
        }
        if let Some((name, table)) = module.name().zip(LazyFrameTable::of(wasm)) {
            self.store
                .data_mut()
                .frame_tables
                .insert(name.to_string(), table);
        }

        // Reserve memory, as `alignMemory(getMemory(mem_size + memAlign), memAlign)`.
        let memory_base = if dylink.mem_size > 0 {
            let request = dylink
                .mem_size
                .checked_add(mem_align)
                .filter(|&r| r <= i32::MAX as u32)
                .ok_or(DylinkError::MemSize {
                    mem_size: dylink.mem_size,
                })?;
            let raw = self.malloc(request, "the patch's data")?;
            let base = raw.div_ceil(mem_align) * mem_align;
            let poison = vec![UNINITIALIZED_BYTE; dylink.mem_size as usize];
            self.write_bytes(base, &poison)?;
            base
        } else {
            0
        };
        // Reserve table slots.
        let table_len = self.table.size(&self.store);
        let table_base = if dylink.table_size > 0 { table_len } else { 0 };
        let table_base = u32::try_from(table_base).map_err(|_| HarnessError::Alloc {
            what: "table slots".into(),
            reason: "the table has more than 2^32 slots".into(),
        })?;
        let growth =
            (u64::from(table_base) + u64::from(dylink.table_size)).saturating_sub(table_len);
        if growth > 0 {
            self.table
                .grow(&mut self.store, growth, Ref::Func(None))
                .map_err(|e| HarnessError::Alloc {
                    what: format!("{growth} table slots"),
                    reason: format!("{e:#}"),
                })?;
        }

        let memory_base_global = self.const_i32(memory_base, "__memory_base")?;
        let table_base_global = self.const_i32(table_base, "__table_base")?;
        let imports: Vec<Extern> = supplies
            .into_iter()
            .map(|supply| match supply {
                Supply::Memory => self.memory.into(),
                Supply::Table => self.table.into(),
                Supply::MemoryBase => memory_base_global.into(),
                Supply::TableBase => table_base_global.into(),
                Supply::StackPointer => self.stack_pointer.into(),
                Supply::Main(export) => export,
            })
            .collect();

        let info = PatchInfo {
            symbols_export: symbols_export.to_string(),
            dylink,
            memory_base,
            table_base,
        };
        // What the start function and constructors make, the patch keeps in
        // its globals and data for ever.
        let instance = self.permanently(|runtime| runtime.instantiate(&module, &imports, info))?;

        let symbols = instance
            .get_typed_func::<i32, i32>(&mut self.store, symbols_export)
            .map_err(|e| missing_export(symbols_export, format!("{e:#}")))?;
        let count_slot = self.scratch_alloc(4)?;
        self.write_bytes(count_slot, &0u32.to_le_bytes())?;
        let array = self.call(&symbols, count_slot as i32, || {
            format!("calling {symbols_export}")
        })?;
        let count = self.read_u32(count_slot, "the patch_symbol count")? as i32;
        if count < 0 {
            return Err(HarnessError::Protocol(format!(
                "{symbols_export} returned count {count}"
            )));
        }
        let count = count as u32;
        let array = array as u32;
        let array_len = count.checked_mul(PATCH_SYMBOL_SIZE).ok_or_else(|| {
            HarnessError::Protocol(format!("{symbols_export} returned count {count}"))
        })?;
        self.read_bytes(array, array_len, "the patch_symbol array")?;

        let mut outcomes = Vec::new();
        for index in 0..count {
            let entry = array + index * PATCH_SYMBOL_SIZE;
            let name_ptr = self.read_u32(entry, "patch_symbol.qualified_name")?;
            let signature_ptr = self.read_u32(entry + 4, "patch_symbol.signature")?;
            let qualified_name = self.read_c_string(name_ptr, "patch_symbol.qualified_name")?;
            let signature = self.read_c_string(signature_ptr, "patch_symbol.signature")?;
            let register = self.funcs.register.clone();
            let value = self.call(&register, entry as i32, || {
                format!("registering {qualified_name} ({signature})")
            })?;
            let result = if value == 0 {
                Err(self.take_exception()?)
            } else if signature == "eval" {
                Ok(Value {
                    printed: self.pr_str(value)?,
                })
            } else {
                // A def evaluates to its var, as in Clojure. Printing the bound
                // value instead would realize it, and a lazy seq such as
                // `(def xs (iterate inc 0))` never ends.
                Ok(Value {
                    printed: format!("#'{qualified_name}"),
                })
            };
            let threw = result.is_err();
            outcomes.push(EntryOutcome {
                qualified_name,
                signature,
                result,
            });
            // The entry's value is printed and its frames are gone; what
            // later entries use, they reach through vars.
            self.safe_point()?;
            if threw {
                break;
            }
        }
        Ok(outcomes)
    }

    /// Instantiates the patch (applying its segments and running its start
    /// function) and calls its `__wasm_call_ctors` if it has one.
    fn instantiate(
        &mut self,
        module: &Module,
        imports: &[Extern],
        info: PatchInfo,
    ) -> Result<Instance, HarnessError> {
        // Instantiation traps like any call.
        let saved_sp = self.stack_pointer.get(&mut self.store);
        let instance = match Instance::new(&mut self.store, module, imports) {
            Ok(instance) => instance,
            Err(e) => {
                self.restore_stack_pointer(saved_sp)?;
                return Err(
                    if e.downcast_ref::<wasmtime::Trap>().is_some() || is_interrupted(&e) {
                        let trap = trap_error(
                            "instantiating the patch (segments, start function)".into(),
                            e,
                            &self.store.data().frame_tables,
                        );
                        self.out_of_memory_or(trap)
                    } else {
                        link("(instantiation)", format!("{e:#}"))
                    },
                );
            }
        };
        self.instances.push(instance);
        self.patches.push(info);

        if let Some(ctors) = instance.get_func(&mut self.store, "__wasm_call_ctors") {
            let ctors = ctors
                .typed::<(), ()>(&self.store)
                .map_err(|e| missing_export("__wasm_call_ctors", format!("{e:#}")))?;
            self.call(&ctors, (), || {
                "running the patch's __wasm_call_ctors".into()
            })?;
        }
        Ok(instance)
    }

    fn const_i32(&mut self, value: u32, name: &str) -> Result<Global, HarnessError> {
        Global::new(
            &mut self.store,
            GlobalType::new(ValType::I32, Mutability::Const),
            Val::I32(value as i32),
        )
        .map_err(|e| link(format!("env.{name}"), format!("{e:#}")))
    }

    /// Resolves every import against the main module, checking what wasmtime
    /// would otherwise report without naming the import.
    fn plan_imports(&mut self, module: &Module) -> Result<Vec<Supply>, HarnessError> {
        let mut supplies = Vec::new();
        for import in module.imports() {
            let name = import.name();
            let qualified = format!("{}.{}", import.module(), name);
            let supply = match (name, import.ty()) {
                ("memory", ExternType::Memory(ty)) => {
                    let pages = self.memory.size(&self.store);
                    if ty.minimum() > pages {
                        return Err(link(
                            qualified,
                            format!(
                                "requires at least {} pages; the main module's memory has {pages}",
                                ty.minimum()
                            ),
                        ));
                    }
                    Supply::Memory
                }
                ("__indirect_function_table", ExternType::Table(ty)) => {
                    // The table only grows, so a minimum met now is met at
                    // instantiation.
                    let slots = self.table.size(&self.store);
                    if ty.minimum() > slots {
                        return Err(link(
                            qualified,
                            format!(
                                "requires at least {} slots; the main module's table has {slots}",
                                ty.minimum()
                            ),
                        ));
                    }
                    Supply::Table
                }
                ("__memory_base", _) => Supply::MemoryBase,
                ("__table_base", _) => Supply::TableBase,
                ("__stack_pointer", _) => Supply::StackPointer,
                (_, ExternType::Func(wanted)) => {
                    let Some(export) = self.exports.get(name).cloned() else {
                        return Err(link(
                            qualified,
                            format!(
                                "the main module does not export `{name}` (not a helper of \
                                 jank_patch_abi.h?)"
                            ),
                        ));
                    };
                    let Extern::Func(func) = &export else {
                        return Err(link(
                            qualified,
                            format!("the main module's `{name}` is not a function"),
                        ));
                    };
                    let actual = func.ty(&self.store);
                    if !wasmtime::FuncType::eq(&wanted, &actual) {
                        return Err(link(
                            qualified,
                            format!(
                                "imported function does not match the expected type: the patch \
                                 imports {}, the main module exports {}",
                                describe(&wanted),
                                describe(&actual)
                            ),
                        ));
                    }
                    Supply::Main(export)
                }
                // check_imports has rejected every other shape.
                (_, _) => return Err(link(qualified, "unsupported import")),
            };
            supplies.push(supply);
        }
        Ok(supplies)
    }

    /// The exports the loader and host call must have the right types.
    fn check_exports(&self, module: &Module, symbols_export: &str) -> Result<(), HarnessError> {
        let func_type = |name: &str| match module.get_export(name) {
            Some(ExternType::Func(ty)) => Ok(Some(ty)),
            Some(_) => Err(missing_export(name, "is not a function")),
            None => Ok(None),
        };
        match func_type(symbols_export)? {
            None => {
                let exported: Vec<&str> = module.exports().map(|e| e.name()).collect();
                return Err(missing_export(
                    symbols_export,
                    format!("not exported (the patch exports {exported:?})"),
                ));
            }
            Some(ty) => {
                let ok = ty.params().map(|p| p.is_i32()).eq([true])
                    && ty.results().map(|r| r.is_i32()).eq([true]);
                if !ok {
                    return Err(missing_export(
                        symbols_export,
                        format!(
                            "is {}; must be patch_symbol *(int *count): (param i32) (result i32)",
                            describe(&ty)
                        ),
                    ));
                }
            }
        }
        if let Some(ty) = func_type("__wasm_call_ctors")? {
            if ty.params().len() != 0 || ty.results().len() != 0 {
                return Err(missing_export(
                    "__wasm_call_ctors",
                    "must take and return nothing",
                ));
            }
        }
        Ok(())
    }
}
