// decode.js: reads the compact binary form of a jank value that the stub's
// `jank_host_encode` writes (runtime-abi/stub/src/encode.rs) into the same JS
// data edn.js reads from printed text: vectors are Arrays, seqs List, maps
// Map, sets Set, keywords and symbols interned Keyword/Sym, characters Char,
// numbers Numbers. A vector whose metadata has `:key` (reagent's
// `^{:key k}`) holds that key under ELEMENT_KEY. Any other value (a fn, an
// atom) is an Opaque holding its `str` text, which hiccup.js refuses to
// render. An effect's request (jankwasm.host/effect, see effects.js) also
// holds fns as a JankFn: the value handle of a fn the stub retained for the
// host.

import { Char, List, kw, sym } from './edn.js';

export class Opaque {
  constructor(text) {
    this.text = text;
  }

  toString() {
    return this.text;
  }
}

export class JankFn {
  constructor(handle) {
    this.handle = handle;
  }
}

export class DecodeError extends Error {
  constructor(message, offset) {
    super(`${message} at byte ${offset}`);
    this.name = 'DecodeError';
  }
}

export const TAG = {
  NIL: 0, FALSE: 1, TRUE: 2, NUMBER: 3, STRING: 4, KEYWORD: 5, SYMBOL: 6, CHAR: 7,
  VECTOR: 8, LIST: 9, MAP: 10, SET: 11, OPAQUE: 12, FN: 13, KEYED: 14,
};

// Where a decoded vector holds the `:key` of its metadata.
export const ELEMENT_KEY = Symbol('jank-element-key');

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Short ASCII text (tags, classes, most cell text) is read byte by byte:
// cheaper than a TextDecoder call per string.
const SHORT_TEXT = 64;

// Reads values one at a time from `offset` on (hiccup.js reads a view's
// elements with it, skipping what did not change).
export class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = 0;
  }

  need(count) {
    if (this.offset + count > this.bytes.length) throw new DecodeError('truncated value', this.offset);
  }

  u32() {
    this.need(4);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  text() {
    const length = this.u32();
    this.need(length);
    const start = this.offset;
    this.offset += length;
    if (length <= SHORT_TEXT) {
      let ascii = '';
      for (let i = start; i < start + length; i++) {
        const byte = this.bytes[i];
        if (byte >= 0x80) return utf8.decode(this.bytes.subarray(start, start + length));
        ascii += String.fromCharCode(byte);
      }
      return ascii;
    }
    return utf8.decode(this.bytes.subarray(start, start + length));
  }

  value() {
    this.need(1);
    const tag = this.bytes[this.offset++];
    switch (tag) {
      case TAG.NIL: return null;
      case TAG.FALSE: return false;
      case TAG.TRUE: return true;
      case TAG.NUMBER: {
        this.need(8);
        const value = this.view.getFloat64(this.offset, true);
        this.offset += 8;
        return value;
      }
      case TAG.STRING: return this.text();
      case TAG.KEYWORD: return kw(this.text());
      case TAG.SYMBOL: return sym(this.text());
      case TAG.CHAR: return new Char(this.text());
      case TAG.OPAQUE: return new Opaque(this.text());
      case TAG.FN: return new JankFn(this.u32());
      case TAG.VECTOR: return this.items();
      case TAG.KEYED: {
        const key = this.value();
        this.need(1);
        if (this.bytes[this.offset] !== TAG.VECTOR) throw new DecodeError('a key without its vector', this.offset);
        const vector = this.value();
        vector[ELEMENT_KEY] = key;
        return vector;
      }
      case TAG.LIST: return new List(this.items());
      case TAG.SET: return new Set(this.items());
      case TAG.MAP: {
        const count = this.u32();
        const map = new Map();
        for (let i = 0; i < count; i++) {
          const key = this.value();
          map.set(key, this.value());
        }
        return map;
      }
      default:
        throw new DecodeError(`unknown tag ${tag}`, this.offset - 1);
    }
  }

  items() {
    const count = this.u32();
    const items = new Array(count);
    for (let i = 0; i < count; i++) items[i] = this.value();
    return items;
  }
}

// A reply to an effect, in the same form: nil, a boolean, a number or a
// string (what the stub accepts back).
export function encodeReply(value) {
  if (value === null || value === undefined) return Uint8Array.of(TAG.NIL);
  if (value === true || value === false) return Uint8Array.of(value ? TAG.TRUE : TAG.FALSE);
  if (typeof value === 'number') {
    const bytes = new Uint8Array(9);
    bytes[0] = TAG.NUMBER;
    new DataView(bytes.buffer).setFloat64(1, value, true);
    return bytes;
  }
  if (typeof value === 'string') {
    const utf8 = new TextEncoder().encode(value);
    const bytes = new Uint8Array(5 + utf8.length);
    bytes[0] = TAG.STRING;
    new DataView(bytes.buffer).setUint32(1, utf8.length, true);
    bytes.set(utf8, 5);
    return bytes;
  }
  throw new TypeError(`an effect replies nil, a boolean, a number or a string, not ${typeof value}`);
}

// The JS data for the encoded bytes of one value.
export function decodeValue(bytes) {
  const reader = new Reader(bytes);
  const value = reader.value();
  if (reader.offset !== bytes.length) throw new DecodeError('trailing bytes after the value', reader.offset);
  return value;
}
