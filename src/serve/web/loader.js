// loader.js: links jankwasm patches (Emscripten SIDE_MODULEs) against the
// runtime-abi stub main module in a browser or in Node, doing what
// wasmtime-harness/src/loader.rs does under wasmtime (which in turn follows
// Emscripten 3.1.6's loadWebAssemblyModule plus jank's registry loop):
//
//   1. read `dylink.0` (it must be the first section; MEM_INFO is required,
//      sizes are exact, table_p2align must be 0, NEEDED is refused);
//   2. check every import and the exports the host calls, and compile, before
//      anything is reserved, so a rejected patch leaves memory and table as
//      they were;
//   3. reserve `mem_size` bytes with the stub's malloc, aligned to
//      max(2^mem_p2align, 16), filled with 0xA5 (malloc'd memory is not
//      zeroed in Emscripten; the fill makes a patch that relies on zeroes fail
//      the same way every time);
//   4. `__table_base = table_size ? table.length : 0`, grow the table;
//   5. instantiate with env.memory, env.__indirect_function_table, immutable
//      env.__memory_base/__table_base, env.__stack_pointer and every other
//      env.X from the stub's export X (data/element segments and the start
//      function run here; 3.1.6 does not call __wasm_apply_data_relocs, so
//      neither does this loader), then call an exported __wasm_call_ctors;
//   6. call `jank_patch_symbols_<id>(&count)` and hand each patch_symbol to the
//      stub's `jank_hot_reload_register`, stopping at the first that throws.
//
// Values come back printed by `jank_host_pr_str` (or encoded by
// `jank_host_encode`, for decode.js); exceptions are taken with
// `jank_exception_take`. Everything the stub prints goes through its one
// import, host.write(fd, utf8, length), and is collected per load or call.
// An ES module; it needs only decode.js (an effect's request and reply).

import { decodeValue, encodeReply } from './decode.js';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const SUBSECTION_MEM_INFO = 1;
const SUBSECTION_NEEDED = 2;
const SUBSECTION_EXPORT_INFO = 3;
const SYMBOL_TLS = 0x100;
const WASM_PAGE = 65536;
// The pattern a patch's reserved memory is filled with before instantiation.
// The collector's host-only entry points, which a patch must never import
// (as wasmtime-harness/src/loader.rs).
const COLLECTOR_ENTRY_POINTS = [
  'jank_host_gc_collect',
  'jank_host_gc_safe_point',
  'jank_host_permanent_begin',
  'jank_host_permanent_end',
];

export const UNINITIALIZED_BYTE = 0xa5;
// Bytes per patch_symbol: three wasm32 pointers.
const PATCH_SYMBOL_SIZE = 12;
const SCRATCH_INITIAL = 4096;
// Nested jank fn calls past which a call throws a catchable
// StackOverflowError (jank_host_set_max_call_depth), below the runtime's own
// 12,000: V8's ~1 MB stack held 11,200 levels of a plain non-tail recursion
// in Chromium, not yet tiered up, and not 11,600 (README, "Deep recursion").
// The rest is left for the JS frames an event handler calls from and for fns
// with larger frames; a recursion whose levels are larger still (through
// `map`, say) exhausts the engine's stack first, which is a trap naming the
// jank fn.
const PAGE_MAX_CALL_DEPTH = 10500;
// Frames an engine error keeps for finding the jank fns of a throw or trap.
const TRAP_TRACE_FRAMES = 100;
// Longest C string read back (names and signatures are short; anything longer
// is a missing NUL).
const MAX_C_STRING = 1 << 20;

// Why loading or calling failed. `kind` is one of: compile, dylink, link,
// missing-export, trap, thrown, protocol, invalid-argument, alloc (the
// harness's HarnessError::kind). A dylink error also has a `code`, the
// harness's DylinkError::code: callers and tests tell failures apart by these
// two fields, never by the message's wording.
export class LoadError extends Error {
  constructor(kind, message, cause, code) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'LoadError';
    this.kind = kind;
    if (code !== undefined) this.code = code;
  }
}

// A jank exception that escaped to the host, printed by pr-str.
export class JankThrown extends LoadError {
  constructor(printed) {
    super('thrown', `uncaught exception: ${printed}`);
    this.name = 'JankThrown';
    this.printed = printed;
  }
}

// A keyword argument for `box`/`callVar`: `keyword('a')` is :a,
// `keyword('ns/a')` is :ns/a.
export class Keyword {
  constructor(qualified) {
    this.qualified = qualified;
  }
}
export const keyword = (qualified) => new Keyword(qualified);

const dylinkError = (code, message) => new LoadError('dylink', `dylink.0: ${message}`, undefined, code);
// A field the reader could not read; `offset` counts from the module's start.
const malformedDylink = (message, offset) => dylinkError('malformed', `malformed at byte ${offset}: ${message}`);
const linkError = (importName, reason) =>
  new LoadError('link', `link error on import \`${importName}\`: ${reason}`);
const missingExport = (module, name, reason) =>
  new LoadError('missing-export', `the ${module} has no usable export \`${name}\`: ${reason}`);

// A cursor over module bytes that never reads past `end`; `fail(message,
// offset)` builds the error for a truncated or malformed field.
class ByteReader {
  constructor(bytes, offset, end, fail) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
    this.fail = fail;
  }

  u8(what) {
    if (this.offset >= this.end) throw this.fail(`truncated while reading the ${what}`, this.offset);
    return this.bytes[this.offset++];
  }

  // An unsigned LEB128 that fits in 32 bits (every field read here does).
  leb(what) {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) break;
        return value;
      }
    }
    throw this.fail(`the ${what} does not fit in 32 bits`, this.offset);
  }

  // A LEB128 of up to 64 bits (memory64 limits), as a Number.
  leb64(what) {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw this.fail(`the ${what} is not a valid LEB128`, this.offset);
  }

  bytesOf(length, what) {
    const start = this.offset;
    if (start + length > this.end) throw this.fail(`truncated while reading the ${what}`, this.offset);
    this.offset = start + length;
    return this.bytes.subarray(start, start + length);
  }

  string(what) {
    const length = this.leb(what);
    const raw = this.bytesOf(length, what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw this.fail(`the ${what} is not UTF-8`, this.offset);
    }
  }
}

function asBytes(source) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) {
    return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }
  throw new LoadError('invalid-argument', 'module bytes must be a Uint8Array or an ArrayBuffer');
}

// Reads the `dylink.0` section the way 3.1.6's getDylinkMetadata does, and
// as strictly as the harness's parse_dylink: first section, exact subsection
// sizes, MEM_INFO once, no legacy `dylink`, nothing after the last subsection.
export function parseDylink(source) {
  const wasm = asBytes(source);
  if (wasm.length < 8 || WASM_MAGIC.some((byte, i) => wasm[i] !== byte)) {
    throw dylinkError('not-wasm', 'not a wasm module (no \\0asm magic number)');
  }
  if (wasm[8] !== 0) {
    throw dylinkError(
      'not-first',
      'need the dylink section to be first (the first section is not a custom section)',
    );
  }
  const reader = new ByteReader(wasm, 9, wasm.length, malformedDylink);
  const sectionSize = reader.leb('custom section size');
  const end = reader.offset + sectionSize;
  if (end > wasm.length) throw malformedDylink('truncated while reading the custom section', reader.offset);
  reader.end = end;
  const name = reader.string('custom section name');
  if (name === 'dylink') throw dylinkError('legacy', 'the legacy `dylink` section is not accepted; emit `dylink.0`');
  if (name !== 'dylink.0') {
    throw dylinkError('not-first', `need the dylink section to be first (the first custom section is \`${name}\`)`);
  }

  const info = {
    memSize: 0,
    memP2align: 0,
    tableSize: 0,
    tableP2align: 0,
    needed: [],
    tlsExports: [],
  };
  let sawMemInfo = false;
  while (reader.offset < end) {
    // Too few bytes left to be a subsection is malformed: 3.1.6 fails
    // `assert(offset == end)`.
    const id = reader.u8('subsection id');
    const size = reader.leb('subsection size');
    const bodyStart = reader.offset;
    const bodyEnd = bodyStart + size;
    if (bodyEnd > end) throw malformedDylink(`subsection ${id} declares ${size} bytes, past the end of dylink.0`, bodyStart);
    const sub = new ByteReader(wasm, bodyStart, bodyEnd, malformedDylink);
    const fullyRead = () => {
      if (sub.offset !== sub.end) {
        throw dylinkError(
          'subsection-size',
          `subsection ${id} at byte ${bodyStart} declares ${size} bytes, more than its fields use`,
        );
      }
    };
    if (id === SUBSECTION_MEM_INFO) {
      if (sawMemInfo) throw dylinkError('duplicate-mem-info', 'MEM_INFO appears twice');
      sawMemInfo = true;
      info.memSize = sub.leb('MEM_INFO mem_size');
      info.memP2align = sub.leb('MEM_INFO mem_p2align');
      info.tableSize = sub.leb('MEM_INFO table_size');
      info.tableP2align = sub.leb('MEM_INFO table_p2align');
      fullyRead();
    } else if (id === SUBSECTION_NEEDED) {
      const count = sub.leb('NEEDED count');
      for (let i = 0; i < count; i++) info.needed.push(sub.string('NEEDED library name'));
      fullyRead();
    } else if (id === SUBSECTION_EXPORT_INFO) {
      const count = sub.leb('EXPORT_INFO count');
      for (let i = 0; i < count; i++) {
        const symbol = sub.string('EXPORT_INFO symbol name');
        const flags = sub.leb('EXPORT_INFO flags');
        if (flags & SYMBOL_TLS) info.tlsExports.push(symbol);
      }
      fullyRead();
    }
    // 3.1.6 skips unknown ids (newer IMPORT_INFO, RUNTIME_PATH, ...).
    reader.offset = bodyEnd;
  }
  if (!sawMemInfo) throw dylinkError('missing-mem-info', 'no MEM_INFO subsection');
  if (info.tableP2align !== 0) {
    throw dylinkError('table-align', `invalid tableAlign: table_p2align is ${info.tableP2align}, must be 0`);
  }
  return info;
}

// The data alignment the loader gives a module: max(2^mem_p2align, 16)
// (16 is Emscripten's STACK_ALIGN); null when it does not fit in 32 bits.
export function memAlign(info) {
  if (info.memP2align > 31) return null;
  return Math.max(2 ** info.memP2align, 16);
}

const VALUE_TYPES = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

// What the loader needs of a module's interface that the JS API does not
// reflect: function types of imports and exports, memory/table limits and
// global mutability. Reads the type, import, function and export sections.
export function readInterface(source, what) {
  const wasm = asBytes(source);
  const fail = (message) => new LoadError('compile', `cannot compile the ${what}: ${message}`);
  const reader = new ByteReader(wasm, 8, wasm.length, fail);
  const types = [];
  const imports = [];
  const functionTypes = [];
  const exports = [];
  const valueType = (r, field) => {
    const code = r.u8(field);
    const name = VALUE_TYPES[code];
    if (!name) throw fail(`unsupported value type 0x${code.toString(16)} in the ${field}`);
    return name;
  };
  const limits = (r, field) => {
    const flags = r.u8(`${field} limits`);
    const is64 = (flags & 0x04) !== 0;
    const read = (name) => (is64 ? r.leb64(name) : r.leb(name));
    const minimum = read(`${field} minimum`);
    const maximum = flags & 0x01 ? read(`${field} maximum`) : null;
    return { minimum, maximum, shared: (flags & 0x02) !== 0, is64 };
  };
  while (reader.offset < wasm.length) {
    const id = reader.u8('section id');
    const size = reader.leb('section size');
    const section = new ByteReader(wasm, reader.offset, reader.offset + size, fail);
    if (section.end > wasm.length) throw fail(`section ${id} runs past the end of the module`);
    reader.offset = section.end;
    if (id === 1) {
      const count = section.leb('type count');
      for (let i = 0; i < count; i++) {
        const form = section.u8('type form');
        if (form !== 0x60) throw fail(`type ${i} is not a function type`);
        const params = [];
        const results = [];
        for (let n = section.leb('param count'); n > 0; n--) params.push(valueType(section, 'param'));
        for (let n = section.leb('result count'); n > 0; n--) results.push(valueType(section, 'result'));
        types.push({ params, results });
      }
    } else if (id === 2) {
      const count = section.leb('import count');
      for (let i = 0; i < count; i++) {
        const module = section.string('import module');
        const name = section.string('import name');
        const kind = section.u8('import kind');
        const entry = { module, name };
        if (kind === 0) {
          entry.kind = 'function';
          entry.type = types[section.leb('import type index')];
          functionTypes.push(entry.type);
        } else if (kind === 1) {
          entry.kind = 'table';
          entry.elementType = valueType(section, 'table element type');
          Object.assign(entry, limits(section, 'table'));
        } else if (kind === 2) {
          entry.kind = 'memory';
          Object.assign(entry, limits(section, 'memory'));
        } else if (kind === 3) {
          entry.kind = 'global';
          entry.valueType = valueType(section, 'global type');
          entry.mutable = section.u8('global mutability') === 1;
        } else {
          entry.kind = `kind ${kind}`;
        }
        imports.push(entry);
      }
    } else if (id === 3) {
      const count = section.leb('function count');
      for (let i = 0; i < count; i++) functionTypes.push(types[section.leb('function type index')]);
    } else if (id === 7) {
      const count = section.leb('export count');
      for (let i = 0; i < count; i++) {
        const name = section.string('export name');
        const kind = section.u8('export kind');
        const index = section.leb('export index');
        exports.push({ name, kind: ['function', 'table', 'memory', 'global'][kind] ?? `kind ${kind}`, index });
      }
    }
  }
  const exportTypes = new Map();
  for (const entry of exports) {
    if (entry.kind === 'function') exportTypes.set(entry.name, functionTypes[entry.index] ?? null);
  }
  return { imports, exports, exportTypes };
}

// A wasm function type as the header would write it, for link errors.
const describe = (type) => `(param ${type.params.join(' ')}) (result ${type.results.join(' ')})`;
const sameType = (a, b) =>
  a.params.length === b.params.length &&
  a.results.length === b.results.length &&
  a.params.every((t, i) => t === b.params[i]) &&
  a.results.every((t, i) => t === b.results[i]);

// The checks on a patch's imports that the harness's check_import makes.
function checkImport(entry) {
  const qualified = `${entry.module}.${entry.name}`;
  if (entry.module === 'GOT.mem' || entry.module === 'GOT.func') {
    throw linkError(
      qualified,
      'GOT imports are not supported: patches never import GOT entries (jank_patch_abi.h), ' +
        'since one unresolved GOT symbol breaks every later dlopen',
    );
  }
  if (entry.module !== 'env') {
    throw linkError(qualified, `the loader supplies only \`env\` imports; \`${entry.module}\` is not provided`);
  }
  switch (entry.name) {
    case 'memory':
      if (entry.kind !== 'memory') throw linkError(qualified, 'must be a memory import');
      if (entry.is64) throw linkError(qualified, "a 64-bit memory; the main module's memory is wasm32");
      if (entry.shared) throw linkError(qualified, "a shared memory; the main module's memory is not shared");
      if (entry.maximum !== null) {
        throw linkError(qualified, `declares a maximum (${entry.maximum} pages); import the memory with none`);
      }
      return;
    case '__indirect_function_table':
      if (entry.kind !== 'table') throw linkError(qualified, 'must be a table import');
      if (entry.is64 || entry.elementType !== 'funcref') throw linkError(qualified, 'must be a 32-bit funcref table');
      if (entry.maximum !== null) {
        throw linkError(
          qualified,
          `declares a maximum (${entry.maximum}); the main module's table grows without one (LinkError in Emscripten)`,
        );
      }
      return;
    case '__memory_base':
    case '__table_base':
      if (entry.kind !== 'global') throw linkError(qualified, 'must be an immutable i32 global import');
      if (entry.valueType !== 'i32' || entry.mutable) {
        throw linkError(
          qualified,
          'must be an immutable i32 global: the loader passes a plain number, and mutable globals ' +
            'cannot be used in constant expressions',
        );
      }
      return;
    case '__stack_pointer':
      if (entry.kind !== 'global') throw linkError(qualified, 'must be a mutable i32 global import');
      if (entry.valueType !== 'i32' || !entry.mutable) {
        throw linkError(qualified, 'must be a mutable i32 global (the shared shadow stack)');
      }
      return;
    default:
      if (entry.kind !== 'function') {
        throw linkError(qualified, "only functions are resolved from the main module's exports");
      }
  }
}

// Compiles without blocking: browsers refuse synchronous compilation of
// large modules on the main thread.
async function compile(bytes, what) {
  try {
    return await WebAssembly.compile(bytes);
  } catch (error) {
    throw new LoadError('compile', `cannot compile the ${what}: ${error.message}`, error);
  }
}

// Writes everything the stub prints into per-stream buffers, and to an
// optional listener as it happens.
class OutputSink {
  constructor(onWrite) {
    this.onWrite = onWrite;
    this.decoders = { 1: new TextDecoder(), 2: new TextDecoder() };
    this.text = { 1: '', 2: '' };
  }

  write(fd, bytes) {
    const decoder = this.decoders[fd];
    if (!decoder) throw new Error(`host.write: unknown fd ${fd}`);
    const text = decoder.decode(bytes, { stream: true });
    this.text[fd] += text;
    if (this.onWrite) this.onWrite(fd, text);
  }

  take(fd) {
    const text = this.text[fd];
    this.text[fd] = '';
    return text;
  }
}

// The stub main module plus every patch loaded into it. Create with
// `await JankRuntime.create(stubBytes)`.
// Where each exception was thrown: the JavaScript stack text at the throw,
// by exception address, until the exception reaches the host. A rethrow of
// the same exception keeps the first (deepest) stack.
class ThrowSites {
  constructor() {
    this.stacks = new Map();
  }

  // False for a rethrow of an exception recorded already (the first
  // throw's stack is the deepest).
  record(exception, stack) {
    if (this.stacks.has(exception)) return false;
    this.stacks.set(exception, stack || '');
    return true;
  }

  take(exception) {
    const stack = this.stacks.get(exception);
    this.stacks.clear();
    return stack;
  }
}

// Whether a patch promises to keep its live references in its frames' root
// areas (a `jank.frame_roots` section holding the byte 1).
function keepsRootsInFrames(module) {
  const sections = WebAssembly.Module.customSections(module, 'jank.frame_roots');
  return sections.length === 1 && new Uint8Array(sections[0]).join() === '1';
}

// A patch's `jank.frames` section: which jank fn each of its functions runs
// and where it is written, by function index (jankwasm's lower/wasm/encode.rs).
// Read into a table the first time a throw passes through the patch: most
// patches never see one, and loading is what an edit waits for.
function lazyFrameTable(module) {
  const sections = WebAssembly.Module.customSections(module, 'jank.frames');
  let table = null;
  return {
    get(index) {
      table ??= readFrameTable(sections);
      return table.get(index);
    },
  };
}

function readFrameTable(sections) {
  const table = new Map();
  for (const section of sections) {
    const [first, ...lines] = new TextDecoder().decode(section).split('\n');
    if (!first.startsWith('file\t')) continue;
    const file = first.slice('file\t'.length);
    for (const line of lines) {
      const [index, name, lineNo, column, source = ''] = line.split('\t');
      if (column === undefined) continue;
      table.set(Number(index), { name, file, line: Number(lineNo), column: Number(column), source });
    }
  }
  return table;
}

// The jank frames in a JavaScript stack text, innermost first: V8 names a
// wasm frame `wasm://wasm/<module name>-<hash>:wasm-function[<index>]`, and
// a patch's module name is its symbols export.
function jankFrames(stack, tables) {
  const frames = [];
  for (const match of (stack ?? '').matchAll(/wasm:\/\/wasm\/(.+?)-[0-9a-f]+:wasm-function\[(\d+)\]/g)) {
    const frame = tables.get(match[1])?.get(Number(match[2]));
    if (frame) frames.push(frame);
  }
  return frames;
}

// The most frames a throw hands the stub for its exception's trace,
// innermost first (the JVM's default depth; the harness's MAX_TRACE_FRAMES).
const MAX_TRACE_FRAMES = 1024;

// The stub's trace text of jank frames: `name\tfile\tline\tcolumn` a line
// (jank_patch_abi.h, host.exception_frames).
function traceText(frames) {
  const clean = (text) => String(text).replace(/[\t\n]/g, ' ');
  return frames
    .slice(0, MAX_TRACE_FRAMES)
    .map((f) => `${clean(f.name)}\t${clean(f.file)}\t${f.line}\t${f.column}\n`)
    .join('');
}

// An exception as the host reports it: printed, then per jank frame
// `  at fn (file:line:col)` and its source line (as the wasmtime harness).
export function withFrames({ printed, frames = [] }) {
  let text = printed;
  for (const frame of frames) {
    text += `\n  at ${frame.name} (${frame.file}:${frame.line}:${frame.column})`;
    if (frame.source) text += `\n     | ${frame.source}`;
  }
  return text;
}

// The effects of a runtime with no browser: every one refused, naming it.
function refuseEffect([op]) {
  throw new Error(`jank.browser's ${op} needs a browser page; this runtime has none`);
}

export class JankRuntime {
  // `stub` is the stub's bytes (Uint8Array/ArrayBuffer), a Response, or a
  // URL to fetch. `onWrite(fd, text)` sees printed output as it is written.
  // `effects(request)` carries out a jank.browser effect (effects.js): the
  // request is `[op, ...args]` as decode.js reads it (op a Keyword, fns as
  // JankFn), and it returns nil, a boolean, a number or a string, or throws
  // to refuse; without it every effect is refused (no browser here).
  static async create(stub, { onWrite, effects = refuseEffect } = {}) {
    let bytes = stub;
    if (typeof stub === 'string' || stub instanceof URL) bytes = await fetch(stub);
    if (typeof Response !== 'undefined' && bytes instanceof Response) {
      if (!bytes.ok) throw new LoadError('compile', `cannot fetch the stub main module: HTTP ${bytes.status}`);
      bytes = await bytes.arrayBuffer();
    }
    bytes = asBytes(bytes);
    const module = await compile(bytes, 'stub main module');
    const stubInterface = readInterface(bytes, 'stub main module');
    const sink = new OutputSink(onWrite);
    const throws = new ThrowSites();
    // Each loaded patch's frame table, by its module name.
    const frameTables = new Map();
    let memory = null;
    let pendingReply = new Uint8Array(0);
    let thrownFrames = new Uint8Array(0);
    const host = {
      write(fd, ptr, length) {
        const start = ptr >>> 0;
        if (length < 0 || start + length > memory.buffer.byteLength) {
          throw new Error(`host.write: ${length} bytes at 0x${start.toString(16)} are outside memory`);
        }
        sink.write(fd, new Uint8Array(memory.buffer, start, length));
      },
      // jank_patch_abi.h: the clock `time` reads, in milliseconds.
      now() {
        return performance.now();
      },
      // jank_patch_abi.h: System/currentTimeMillis's clock.
      wall_clock() {
        return Date.now();
      },
      // jank_patch_abi.h: the reply, or a refusal's message, waits for
      // effect_reply; callbacks run later, never inside this import.
      effect(ptr, length) {
        let status;
        try {
          const request = decodeValue(new Uint8Array(memory.buffer, ptr >>> 0, length).slice());
          pendingReply = encodeReply(effects(request));
          status = pendingReply.length;
        } catch (error) {
          pendingReply = new TextEncoder().encode(error instanceof Error ? error.message : String(error));
          status = -pendingReply.length - 1;
        }
        return status;
      },
      effect_reply(ptr) {
        new Uint8Array(memory.buffer, ptr >>> 0, pendingReply.length).set(pendingReply);
        pendingReply = new Uint8Array(0);
      },
      // jank_patch_abi.h: records the jank frames while the throw is on the
      // stack and answers their length as the exception's trace, which
      // exception_frames copies (0 for a rethrow).
      exception_thrown(exception) {
        // Deep enough for the jank frames under the runtime's own.
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = TRAP_TRACE_FRAMES;
        let stack;
        try {
          stack = new Error().stack;
        } finally {
          Error.stackTraceLimit = limit;
        }
        if (!throws.record(exception >>> 0, stack)) return 0;
        thrownFrames = new TextEncoder().encode(traceText(jankFrames(stack, frameTables)));
        return thrownFrames.length;
      },
      exception_frames(ptr) {
        new Uint8Array(memory.buffer, ptr >>> 0, thrownFrames.length).set(thrownFrames);
        thrownFrames = new Uint8Array(0);
      },
    };
    const imports = {};
    for (const entry of WebAssembly.Module.imports(module)) {
      if (entry.module !== 'host' || !(entry.name in host)) {
        throw linkError(
          `${entry.module}.${entry.name}`,
          'the host provides only host.write, host.now, host.wall_clock, host.exception_thrown, host.exception_frames, host.effect and host.effect_reply to the stub',
        );
      }
      imports.host = host;
    }
    let instance;
    try {
      instance = await WebAssembly.instantiate(module, imports);
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        throw new LoadError('trap', `wasm trap while instantiating the stub (start function): ${error.message}`, error);
      }
      throw linkError('(stub instantiation)', error.message);
    }
    memory = instance.exports.memory;
    return new JankRuntime(instance, stubInterface, sink, throws, frameTables);
  }

  constructor(instance, stubInterface, sink, throws, frameTables) {
    const exports = instance.exports;
    const need = (name, test, reason) => {
      if (!test(exports[name])) throw missingExport('stub main module', name, reason);
      return exports[name];
    };
    this.exports = exports;
    this.exportTypes = stubInterface.exportTypes;
    this.sink = sink;
    this.throws = throws;
    // Each loaded patch's frame table, by its module name (shared with the
    // host's exception_thrown).
    this.frameTables = frameTables;
    this.memory = need('memory', (m) => m instanceof WebAssembly.Memory, 'no exported memory');
    this.table = need(
      '__indirect_function_table',
      (t) => t instanceof WebAssembly.Table,
      'no exported table',
    );
    this.stackPointer = need(
      '__stack_pointer',
      (g) => g instanceof WebAssembly.Global,
      'no exported global',
    );
    const isFunction = (f) => typeof f === 'function';
    for (const name of [
      'malloc',
      'jank_hot_reload_register',
      'jank_host_pr_str',
      'jank_host_str',
      'jank_exception_take',
      'jank_var_intern_c',
      'jank_var_deref',
      'jank_var_is_bound',
      'jank_call',
      'jank_box_integer',
      'jank_box_double',
      'jank_box_boolean',
      'jank_make_string_n',
      'jank_make_keyword',
      'jank_nil_value',
    ]) {
      need(name, isFunction, 'not an exported function');
    }
    this.instances = [instance];
    this.patches = [];
    // Loads run one at a time: each reserves table slots from table.length
    // and instantiates asynchronously in between.
    this.queue = Promise.resolve();
    this.scratch = { base: 0, size: 0, used: 0 };
    // As an Emscripten main module does at startup (a Rust cdylib usually has none).
    if (typeof exports.__wasm_call_ctors === 'function') {
      this.call(exports.__wasm_call_ctors, [], () => "running the stub's __wasm_call_ctors");
    }
    // Without a seed every page would draw the same rand and random-uuid values.
    if (typeof exports.jank_host_seed_random === 'function') {
      const seed = new BigInt64Array(1);
      globalThis.crypto.getRandomValues(seed);
      this.call(exports.jank_host_seed_random, [seed[0]], () => "seeding the stub's random generator");
    }
    this.callOptional('jank_host_set_max_call_depth', 'setting the call-depth limit', [PAGE_MAX_CALL_DEPTH]);
    const base = this.malloc(SCRATCH_INITIAL, "the host's scratch area");
    this.scratch = { base, size: SCRATCH_INITIAL, used: 0 };
  }

  // Everything the stub wrote to stdout since the last take.
  takeOutput() {
    return this.sink.take(1);
  }

  // Everything the stub wrote to stderr since the last take.
  takeStderr() {
    return this.sink.take(2);
  }

  // Loads a patch as dlopen would, then runs its registry entries in order.
  // Resolves to one outcome per entry run: `{name, signature, value}` (the
  // printed value; a def evaluates to its var `#'ns/name`) or
  // `{name, signature, error}` (the printed exception, which stops the
  // patch). Rejects with a LoadError when the patch cannot be linked.
  loadPatch(wasmBytes, symbolsExport) {
    const run = this.queue.then(() => this.loadNow(asBytes(wasmBytes), symbolsExport));
    this.queue = run.catch(() => {});
    return run;
  }

  async loadNow(wasm, symbolsExport) {
    const dylink = parseDylink(wasm);
    if (dylink.needed.length > 0) {
      throw dylinkError(
        'needed',
        `NEEDED libraries ${JSON.stringify(dylink.needed)} cannot be loaded: patches are self-contained`,
      );
    }
    const align = memAlign(dylink);
    if (align === null) throw dylinkError('mem-align', `mem_p2align ${dylink.memP2align} is too large`);
    const patchInterface = readInterface(wasm, 'patch');
    patchInterface.imports.forEach(checkImport);
    const module = await compile(wasm, 'patch');
    const supplies = this.planImports(patchInterface.imports);
    this.checkExports(patchInterface, symbolsExport);
    this.frameTables.set(symbolsExport, lazyFrameTable(module));

    this.scratchReset();
    // Reserve memory, as alignMemory(getMemory(mem_size + memAlign), memAlign).
    let memoryBase = 0;
    if (dylink.memSize > 0) {
      const request = dylink.memSize + align;
      if (request > 0x7fffffff) {
        throw dylinkError('mem-size', `mem_size ${dylink.memSize} plus its alignment does not fit in 32-bit memory`);
      }
      const raw = this.malloc(request, "the patch's data");
      memoryBase = Math.ceil(raw / align) * align;
      this.bytes(memoryBase, dylink.memSize).fill(UNINITIALIZED_BYTE);
    }
    // Reserve table slots.
    const tableLength = this.table.length;
    const tableBase = dylink.tableSize > 0 ? tableLength : 0;
    const growth = Math.max(0, tableBase + dylink.tableSize - tableLength);
    if (growth > 0) {
      try {
        this.table.grow(growth);
      } catch (error) {
        throw new LoadError('alloc', `cannot reserve ${growth} table slots: ${error.message}`, error);
      }
    }

    // jank_patch_abi.h, "Collection inside calls": a patch without the
    // `jank.frame_roots` section keeps values in wasm locals, so from now on
    // the stub collects only between calls.
    if (!keepsRootsInFrames(module)) {
      this.callOptional('jank_host_gc_in_calls', 'turning collection inside calls off', [0]);
    }

    const env = {};
    for (const [name, supply] of supplies) {
      env[name] =
        supply === 'memory' ? this.memory
        : supply === 'table' ? this.table
        : supply === '__memory_base' ? new WebAssembly.Global({ value: 'i32', mutable: false }, memoryBase)
        : supply === '__table_base' ? new WebAssembly.Global({ value: 'i32', mutable: false }, tableBase)
        : supply === '__stack_pointer' ? this.stackPointer
        : this.exports[name];
    }
    // Instantiation applies data and element segments and runs the start
    // function, so it traps like any call.
    const savedSp = this.stackPointer.value;
    let instance;
    // Everything the patch makes while it starts (its constants and var
    // handles, kept in its own globals) must outlive every collection.
    this.callOptional('jank_host_permanent_begin', 'opening the permanent bracket');
    try {
      instance = await WebAssembly.instantiate(module, { env });
      if (typeof instance.exports.__wasm_call_ctors === 'function') {
        this.call(instance.exports.__wasm_call_ctors, [], () => "running the patch's __wasm_call_ctors");
      }
    } catch (error) {
      this.stackPointer.value = savedSp;
      if (error instanceof WebAssembly.LinkError || error instanceof WebAssembly.CompileError) {
        throw linkError('(instantiation)', error.message);
      }
      // A trap, or the engine's stack overflow (a RangeError in V8).
      if (error instanceof LoadError) throw error;
      throw trapError('instantiating the patch (segments, start function)', error, this.frameTables);
    } finally {
      this.callOptional('jank_host_permanent_end', 'closing the permanent bracket');
    }
    this.instances.push(instance);
    const info = { symbolsExport, dylink, memoryBase, tableBase };
    this.patches.push(info);

    const symbols = instance.exports[symbolsExport];
    const countSlot = this.scratchAlloc(4);
    this.view().setUint32(countSlot, 0, true);
    const array = this.call(symbols, [countSlot], () => `calling ${symbolsExport}`) >>> 0;
    const count = this.view().getInt32(countSlot, true);
    if (count < 0) throw new LoadError('protocol', `ABI violation: ${symbolsExport} returned count ${count}`);
    this.bytes(array, count * PATCH_SYMBOL_SIZE, 'the patch_symbol array');

    const outcomes = [];
    for (let index = 0; index < count; index++) {
      const entry = array + index * PATCH_SYMBOL_SIZE;
      const name = this.cString(this.view().getUint32(entry, true), 'patch_symbol.qualified_name');
      const signature = this.cString(this.view().getUint32(entry + 4, true), 'patch_symbol.signature');
      const value = this.call(
        this.exports.jank_hot_reload_register,
        [entry],
        () => `registering ${name} (${signature})`,
      );
      if (value === 0) {
        outcomes.push({ name, signature, error: withFrames(this.takeException()) });
        break;
      }
      // A def evaluates to its var, as in Clojure. Printing the bound value
      // instead would realize it, and a lazy seq such as
      // `(def xs (iterate inc 0))` never ends.
      const printed = signature === 'eval' ? this.prStr(value) : `#'${name}`;
      outcomes.push({ name, signature, value: printed });
      this.safePoint();
    }
    return outcomes;
  }

  // Resolves every import against the stub, checking what the engine would
  // otherwise report without naming the import. Returns [name, supply] pairs.
  planImports(imports) {
    const supplies = [];
    for (const entry of imports) {
      const qualified = `${entry.module}.${entry.name}`;
      if (entry.kind === 'function' && COLLECTOR_ENTRY_POINTS.includes(entry.name)) {
        throw linkError(
          qualified,
          'is a host-only entry point: run from a patch, a collection would free values its own frames hold',
        );
      }
      if (entry.name === 'memory') {
        const pages = this.memory.buffer.byteLength / WASM_PAGE;
        if (entry.minimum > pages) {
          throw linkError(
            qualified,
            `requires at least ${entry.minimum} pages; the main module's memory has ${pages}`,
          );
        }
        supplies.push([entry.name, 'memory']);
      } else if (entry.name === '__indirect_function_table') {
        // The table only grows, so a minimum met now is met at instantiation.
        if (entry.minimum > this.table.length) {
          throw linkError(
            qualified,
            `requires at least ${entry.minimum} slots; the main module's table has ${this.table.length}`,
          );
        }
        supplies.push([entry.name, 'table']);
      } else if (['__memory_base', '__table_base', '__stack_pointer'].includes(entry.name)) {
        supplies.push([entry.name, entry.name]);
      } else {
        const provided = this.exports[entry.name];
        if (provided === undefined) {
          throw linkError(
            qualified,
            `the main module does not export \`${entry.name}\` (not a helper of jank_patch_abi.h?)`,
          );
        }
        if (typeof provided !== 'function') {
          throw linkError(qualified, `the main module's \`${entry.name}\` is not a function`);
        }
        const actual = this.exportTypes.get(entry.name);
        if (actual && entry.type && !sameType(entry.type, actual)) {
          throw linkError(
            qualified,
            `imported function does not match the expected type: the patch imports ${describe(entry.type)}, ` +
              `the main module exports ${describe(actual)}`,
          );
        }
        supplies.push([entry.name, 'main']);
      }
    }
    return supplies;
  }

  // The exports the loader and host call must have the right types.
  checkExports(patchInterface, symbolsExport) {
    const find = (name) => patchInterface.exports.find((e) => e.name === name);
    const symbols = find(symbolsExport);
    if (!symbols) {
      const exported = JSON.stringify(patchInterface.exports.map((e) => e.name));
      throw missingExport('patch', symbolsExport, `not exported (the patch exports ${exported})`);
    }
    if (symbols.kind !== 'function') throw missingExport('patch', symbolsExport, 'is not a function');
    const type = patchInterface.exportTypes.get(symbolsExport);
    if (!type || !sameType(type, { params: ['i32'], results: ['i32'] })) {
      throw missingExport(
        'patch',
        symbolsExport,
        `is ${type ? describe(type) : 'of unknown type'}; must be patch_symbol *(int *count): (param i32) (result i32)`,
      );
    }
    const ctors = find('__wasm_call_ctors');
    if (ctors) {
      const ctorsType = patchInterface.exportTypes.get('__wasm_call_ctors');
      if (ctors.kind !== 'function') throw missingExport('patch', '__wasm_call_ctors', 'is not a function');
      if (!ctorsType || ctorsType.params.length !== 0 || ctorsType.results.length !== 0) {
        throw missingExport('patch', '__wasm_call_ctors', 'must take and return nothing');
      }
    }
  }

  // Calls `name` in namespace `ns` with JS arguments boxed by the stub
  // (see `box`) and returns the result printed by pr-str. Throws JankThrown
  // when the call throws.
  callVar(ns, name, args = []) {
    try {
      return this.prStr(this.invoke(this.intern(ns, name), args.map((arg) => this.box(arg))));
    } finally {
      // After a throw or a trap too nothing of the call is live, and the
      // safe point also forgets the calls a trap cut short.
      this.safePoint();
    }
  }

  // A safe point of the stub's collector (jank_patch_abi.h, JANK_HOST): no
  // patch frame is live, so garbage may be reclaimed. Every value handle the
  // host holds is invalid afterwards. A no-op for main modules without one.
  safePoint() {
    this.callOptional('jank_host_gc_safe_point', 'collecting garbage at a safe point');
  }

  callOptional(name, what, args = []) {
    const entry = this.exports[name];
    if (typeof entry === 'function') this.call(entry, args, () => what);
  }

  // The var ns/name (created unbound when missing), as a value handle.
  intern(ns, name) {
    this.scratchReset();
    const nsPtr = this.scratchCString(ns);
    const namePtr = this.scratchCString(name);
    return this.valueOrThrown(
      this.call(this.exports.jank_var_intern_c, [nsPtr, namePtr], () => `interning ${ns}/${name}`),
    );
  }

  // Whether the var handle has a root value.
  isBound(varHandle) {
    return this.call(this.exports.jank_var_is_bound, [varHandle], () => 'checking a var') !== 0;
  }

  // The root value of a var handle; throws JankThrown when unbound.
  deref(varHandle) {
    return this.valueOrThrown(this.call(this.exports.jank_var_deref, [varHandle], () => 'dereferencing a var'));
  }

  // Calls any callable value with value handles; returns the result handle.
  invoke(callable, argHandles) {
    this.scratchReset();
    const array = this.scratchAlloc(4 * argHandles.length);
    argHandles.forEach((handle, i) => this.view().setUint32(array + 4 * i, handle >>> 0, true));
    return this.valueOrThrown(
      this.call(this.exports.jank_call, [callable, argHandles.length, array], () => 'calling a jank fn'),
    );
  }

  // A jank value from a JS one: null/undefined → nil, booleans, integers
  // (Number or BigInt) → integer, other numbers → double, strings,
  // Keyword (`keyword('a')`) → :a.
  box(value) {
    const e = this.exports;
    if (value === null || value === undefined) return this.call(e.jank_nil_value, [], () => 'making nil');
    if (typeof value === 'boolean') return this.call(e.jank_box_boolean, [value ? 1 : 0], () => 'boxing a boolean');
    if (typeof value === 'bigint') return this.call(e.jank_box_integer, [value], () => `boxing ${value}`);
    if (typeof value === 'number') {
      return Number.isSafeInteger(value)
        ? this.call(e.jank_box_integer, [BigInt(value)], () => `boxing ${value}`)
        : this.call(e.jank_box_double, [value], () => `boxing ${value}`);
    }
    if (typeof value === 'string') {
      const utf8 = new TextEncoder().encode(value);
      const ptr = this.scratchAlloc(utf8.length);
      this.bytes(ptr, utf8.length).set(utf8);
      return this.valueOrThrown(
        this.call(e.jank_make_string_n, [ptr, utf8.length], () => `making the string ${JSON.stringify(value)}`),
      );
    }
    if (value instanceof Keyword) {
      // `ns/name`, except that a lone `/` (or one at either end) is part of a plain name.
      const k = value.qualified;
      const slash = k.indexOf('/');
      const qualified = slash > 0 && slash < k.length - 1;
      const nsPtr = this.scratchCString(qualified ? k.slice(0, slash) : '');
      const namePtr = this.scratchCString(qualified ? k.slice(slash + 1) : k);
      return this.call(e.jank_make_keyword, [nsPtr, namePtr], () => `making :${k}`);
    }
    throw new LoadError('invalid-argument', `invalid argument: cannot pass ${typeof value} to jank`);
  }

  // A vector, list or set of value handles, or a map of handles
  // k0 v0 k1 v1 ..., made by the header's jank_make_* helpers.
  collection(kind, handles) {
    const helper = { vector: 'jank_make_vector', list: 'jank_make_list', set: 'jank_make_set', map: 'jank_make_map' }[kind];
    if (!helper) throw new LoadError('invalid-argument', `invalid argument: no collection kind ${kind}`);
    this.scratchReset();
    const array = this.scratchAlloc(4 * handles.length);
    handles.forEach((handle, i) => this.view().setUint32(array + 4 * i, handle >>> 0, true));
    const count = kind === 'map' ? handles.length / 2 : handles.length;
    return this.valueOrThrown(this.call(this.exports[helper], [count, array], () => `making a ${kind}`));
  }

  // pr-str of a value handle; throws JankThrown when printing throws.
  prStr(handle) {
    return this.hostText(this.exports.jank_host_pr_str, handle, 'printing with jank_host_pr_str');
  }

  // The compact binary form of a value handle (jank_host_encode, read by
  // decode.js): a view of stub memory, valid until the next call into the
  // stub. Throws JankThrown when realizing a seq throws.
  encoded(handle) {
    const encode = this.exports.jank_host_encode;
    if (typeof encode !== 'function') {
      throw missingExport('stub main module', 'jank_host_encode', 'not an exported function');
    }
    const lengthSlot = this.scratchAlloc(4);
    this.view().setUint32(lengthSlot, 0, true);
    const ptr = this.call(encode, [handle, lengthSlot], () => 'encoding with jank_host_encode') >>> 0;
    if (ptr === 0) throw new JankThrown(withFrames(this.takeException()));
    return this.bytes(ptr, this.view().getUint32(lengthSlot, true), 'encoded value');
  }

  // Keeps a value handle valid across safe points until released.
  retain(handle) {
    this.callOptional('jank_host_retain', 'retaining a value', [handle]);
  }

  release(handle) {
    this.callOptional('jank_host_release', 'releasing a value', [handle]);
  }

  // str of a value handle (for display).
  str(handle) {
    return this.hostText(this.exports.jank_host_str, handle, 'printing with jank_host_str');
  }

  hostText(printer, handle, during) {
    const text = this.printed(printer, handle, during);
    if (text === null) throw new JankThrown(withFrames(this.takeException()));
    return text;
  }

  // The text a host printer returns, or null when printing threw.
  printed(printer, handle, during) {
    const lengthSlot = this.scratchAlloc(4);
    this.view().setUint32(lengthSlot, 0, true);
    const ptr = this.call(printer, [handle, lengthSlot], () => during) >>> 0;
    if (ptr === 0) return null;
    const length = this.view().getUint32(lengthSlot, true);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(ptr, length, 'printed text'));
    } catch (error) {
      if (error instanceof LoadError) throw error;
      throw new LoadError('protocol', 'ABI violation: jank_host_pr_str returned text that is not UTF-8');
    }
  }

  valueOrThrown(handle) {
    if (handle !== 0) return handle;
    throw new JankThrown(withFrames(this.takeException()));
  }

  // Takes the pending exception after something returned NULL, and prints it
  // once (an exception whose printing throws is reported as unprintable).
  takeException() {
    const take = this.exports.jank_exception_take;
    const exception = this.call(take, [], () => 'taking the pending exception');
    if (exception === 0) {
      throw new LoadError('protocol', 'ABI violation: NULL was returned ("threw") but no exception is pending');
    }
    const frames = jankFrames(this.throws.take(exception), this.frameTables);
    const printed = this.printed(this.exports.jank_host_pr_str, exception, 'printing the exception');
    if (printed !== null) return { printed, frames };
    this.call(take, [], () => 'taking the pending exception');
    return { printed: '<an exception whose printing threw>', frames };
  }

  // Every call into wasm goes through here: a trap becomes a LoadError of
  // kind `trap` and leaves __stack_pointer as it was before the call (a trap
  // skips the epilogues that would have restored it), and a call that
  // returns with the stack pointer moved is an ABI violation.
  call(fn, args, during) {
    const saved = this.stackPointer.value;
    // The engine's own RangeError at a stack overflow keeps this many
    // frames: enough to reach the jank fn under the runtime's frames.
    const traceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = TRAP_TRACE_FRAMES;
    let result;
    try {
      result = fn(...args);
    } catch (error) {
      Error.stackTraceLimit = traceLimit;
      this.stackPointer.value = saved;
      const outOfMemory = error instanceof LoadError ? null : this.outOfMemory();
      if (outOfMemory) throw new LoadError('trap', `wasm trap while ${during()}: ${outOfMemory}`, error);
      throw trapError(during(), error, this.frameTables);
    }
    Error.stackTraceLimit = traceLimit;
    const now = this.stackPointer.value;
    if (now !== saved) {
      this.stackPointer.value = saved;
      throw new LoadError(
        'protocol',
        `ABI violation: __stack_pointer was 0x${(saved >>> 0).toString(16)} before ${during()} and ` +
          `0x${(now >>> 0).toString(16)} after it returned`,
      );
    }
    return result;
  }

  // After a trap: "out of memory: N bytes requested, M in use" when an
  // allocation the stub could not satisfy caused it (the header's
  // jank_host_out_of_memory, which allocates nothing), else null.
  outOfMemory() {
    const query = this.exports.jank_host_out_of_memory;
    if (typeof query !== 'function') return null;
    let at;
    try {
      at = query() >>> 0;
    } catch {
      return null;
    }
    if (at === 0) return null;
    const view = this.view();
    const requested = view.getUint32(at, true);
    const inUse = view.getUint32(at + 4, true);
    return `out of memory: ${requested} bytes requested, ${inUse} in use`;
  }

  // The stub's malloc; a NULL result is an error rather than address 0.
  malloc(size, what) {
    if (size > 0x7fffffff) {
      throw new LoadError('alloc', `cannot reserve ${size} bytes for ${what}: larger than 2 GiB`);
    }
    const ptr = this.call(this.exports.malloc, [size], () => `malloc(${size}) for ${what}`) >>> 0;
    if (ptr === 0) throw new LoadError('alloc', `cannot reserve ${size} bytes for ${what}: malloc returned NULL`);
    return ptr;
  }

  scratchReset() {
    this.scratch.used = 0;
  }

  // `size` bytes of scratch, 16-byte aligned. malloc'd memory is never
  // freed, so growing abandons the old block.
  scratchAlloc(size) {
    const start = (this.scratch.used + 15) & ~15;
    if (start + size <= this.scratch.size) {
      this.scratch.used = start + size;
      return this.scratch.base + start;
    }
    let newSize = Math.max(this.scratch.size * 2, 16);
    while (newSize < size) newSize *= 2;
    const base = this.malloc(newSize, "the host's scratch area");
    this.scratch = { base, size: newSize, used: size };
    return base;
  }

  // `text` NUL-terminated in scratch.
  scratchCString(text) {
    if (text.includes('\0')) throw new LoadError('invalid-argument', `invalid argument: ${JSON.stringify(text)} contains NUL`);
    const utf8 = new TextEncoder().encode(text);
    const ptr = this.scratchAlloc(utf8.length + 1);
    const target = this.bytes(ptr, utf8.length + 1);
    target.set(utf8);
    target[utf8.length] = 0;
    return ptr;
  }

  // A view of `length` bytes of stub memory at `addr` (valid until memory
  // grows, which any call into wasm may do).
  bytes(addr, length, what = 'memory') {
    const buffer = this.memory.buffer;
    if (addr < 0 || length < 0 || addr + length > buffer.byteLength) {
      throw new LoadError(
        'protocol',
        `ABI violation: ${what}: ${length} bytes at 0x${addr.toString(16)} are outside memory (${buffer.byteLength} bytes)`,
      );
    }
    return new Uint8Array(buffer, addr, length);
  }

  view() {
    return new DataView(this.memory.buffer);
  }

  // The NUL-terminated UTF-8 string at `addr`.
  cString(addr, what) {
    const memory = new Uint8Array(this.memory.buffer);
    if (addr === 0 || addr >= memory.length) {
      throw new LoadError('protocol', `ABI violation: ${what}: pointer 0x${addr.toString(16)} is outside memory`);
    }
    const limit = Math.min(memory.length, addr + MAX_C_STRING);
    let end = addr;
    while (end < limit && memory[end] !== 0) end++;
    if (end === limit) throw new LoadError('protocol', `ABI violation: ${what} at 0x${addr.toString(16)} has no NUL terminator`);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(memory.subarray(addr, end));
    } catch {
      throw new LoadError('protocol', `ABI violation: ${what} at 0x${addr.toString(16)} is not UTF-8`);
    }
  }
}

// A wasm call failure as a LoadError: the engine's own message, and for
// anything that is not a trap (a host function throwing) the same kind. The
// engine's stack can run out before the runtime's call-depth limit throws a
// catchable StackOverflowError (a fn with a large frame, V8's ~1 MB stack):
// that one names the innermost jank fn of the stack the engine kept.
function trapError(during, error, frameTables = new Map()) {
  if (error instanceof LoadError) return error;
  let message = error.message;
  if (error instanceof RangeError) {
    const [innermost] = jankFrames(error.stack, frameTables);
    const where = innermost ? ` in ${innermost.name} (${innermost.file}:${innermost.line}:${innermost.column})` : '';
    message = `StackOverflowError: the engine's call stack ran out${where} (${message})`;
  }
  return new LoadError('trap', `wasm trap while ${during}: ${message}`, error);
}
