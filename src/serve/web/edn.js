// edn.js: reads the text jank's pr-str prints back into JS data, so the page
// can render what a jank view returns. It covers what the stub prints: nil,
// booleans, integers (with N), doubles (##Inf ##-Inf ##NaN, M), ratios,
// strings, characters, keywords, symbols, lists, vectors, maps, sets, and
// tagged values (#'var, #object[...], #error {...}) kept as Tagged.
//
// Representation: vectors are Arrays, lists are List, maps are Map, sets are
// Set, keywords and symbols are interned Keyword/Sym objects (so they
// work as Map keys), characters are Char.

export class Keyword {
  constructor(ns, name) {
    this.ns = ns;
    this.name = name;
  }

  toString() {
    return this.ns ? `:${this.ns}/${this.name}` : `:${this.name}`;
  }
}

export class Sym {
  constructor(ns, name) {
    this.ns = ns;
    this.name = name;
  }

  toString() {
    return this.ns ? `${this.ns}/${this.name}` : this.name;
  }
}

export class List {
  constructor(items) {
    this.items = items;
  }
}

export class Char {
  constructor(text) {
    this.text = text;
  }

  toString() {
    return this.text;
  }
}

export class Tagged {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

export class EdnError extends Error {
  constructor(message, offset) {
    super(`${message} at offset ${offset}`);
    this.name = 'EdnError';
    this.offset = offset;
  }
}

const keywords = new Map();
const symbols = new Map();

function interned(table, Kind, qualified) {
  let found = table.get(qualified);
  if (!found) {
    // A lone `/` (or one at either end) is part of a plain name.
    const slash = qualified.indexOf('/');
    const split = slash > 0 && slash < qualified.length - 1;
    found = split
      ? new Kind(qualified.slice(0, slash), qualified.slice(slash + 1))
      : new Kind(null, qualified);
    table.set(qualified, found);
  }
  return found;
}

// The keyword :qualified (`kw('a')`, `kw('ns/a')`), identical for equal names.
export const kw = (qualified) => interned(keywords, Keyword, qualified);
export const sym = (qualified) => interned(symbols, Sym, qualified);

const NAMED_CHARS = {
  newline: '\n',
  space: ' ',
  tab: '\t',
  backspace: '\b',
  formfeed: '\f',
  return: '\r',
};
const STRING_ESCAPES = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\' };
const DELIMITERS = new Set(['(', ')', '[', ']', '{', '}', '"', ';']);
const isWhitespace = (c) => c === ' ' || c === ',' || c === '\n' || c === '\t' || c === '\r' || c === '\f';

class Reader {
  constructor(text) {
    this.text = text;
    this.pos = 0;
  }

  fail(message) {
    return new EdnError(message, this.pos);
  }

  skipSpace() {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (isWhitespace(c)) this.pos++;
      else if (c === ';') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
      } else if (c === '#' && t[this.pos + 1] === '_') {
        this.pos += 2;
        this.read();
      } else break;
    }
  }

  // A run of symbol/number characters.
  token() {
    const start = this.pos;
    const t = this.text;
    while (this.pos < t.length && !isWhitespace(t[this.pos]) && !DELIMITERS.has(t[this.pos])) this.pos++;
    return t.slice(start, this.pos);
  }

  read() {
    this.skipSpace();
    const t = this.text;
    if (this.pos >= t.length) throw this.fail('unexpected end of input');
    const c = t[this.pos];
    switch (c) {
      case '(':
        this.pos++;
        return new List(this.readUntil(')'));
      case '[':
        this.pos++;
        return this.readUntil(']');
      case '{':
        this.pos++;
        return this.toMap(this.readUntil('}'));
      case ')':
      case ']':
      case '}':
        throw this.fail(`unexpected ${c}`);
      case '"':
        return this.readString();
      case '\\':
        return this.readChar();
      case ':':
        this.pos++;
        return kw(this.token());
      case '#':
        return this.readDispatch();
      default:
        return this.readAtom(this.token());
    }
  }

  readUntil(close) {
    const items = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) throw this.fail(`missing ${close}`);
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.read());
    }
  }

  toMap(items) {
    if (items.length % 2 !== 0) throw this.fail('a map literal needs an even number of forms');
    const map = new Map();
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
    return map;
  }

  readString() {
    const t = this.text;
    let out = '';
    this.pos++;
    while (this.pos < t.length) {
      const c = t[this.pos++];
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = t[this.pos++];
      if (e in STRING_ESCAPES) out += STRING_ESCAPES[e];
      else if (e === 'u') {
        out += String.fromCharCode(parseInt(t.slice(this.pos, this.pos + 4), 16));
        this.pos += 4;
      } else throw this.fail(`unknown string escape \\${e}`);
    }
    throw this.fail('unterminated string');
  }

  readChar() {
    this.pos++;
    // The character itself may be a delimiter (`\(`, `\"`).
    const first = this.text[this.pos++];
    if (first === undefined) throw this.fail('unterminated character');
    const name = first + this.token();
    if (name.length === 1) return new Char(name);
    if (name in NAMED_CHARS) return new Char(NAMED_CHARS[name]);
    if (name[0] === 'u' && name.length === 5) return new Char(String.fromCharCode(parseInt(name.slice(1), 16)));
    if (name[0] === 'o' && name.length > 1) return new Char(String.fromCharCode(parseInt(name.slice(1), 8)));
    // A surrogate pair prints as one character.
    if ([...name].length === 1) return new Char(name);
    throw this.fail(`unknown character \\${name}`);
  }

  readDispatch() {
    const t = this.text;
    const next = t[this.pos + 1];
    if (next === '{') {
      this.pos += 2;
      return new Set(this.readUntil('}'));
    }
    if (next === '#') {
      this.pos += 2;
      const name = this.token();
      const special = { Inf: Infinity, '-Inf': -Infinity, NaN: NaN }[name];
      if (special === undefined) throw this.fail(`unknown symbolic value ##${name}`);
      return special;
    }
    if (next === "'") {
      this.pos += 2;
      return new Tagged('var', this.read());
    }
    this.pos++;
    const tag = this.token();
    if (!tag) throw this.fail('unknown dispatch');
    return new Tagged(tag, this.read());
  }

  readAtom(token) {
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (/^[+-]?\d/.test(token)) return this.readNumber(token);
    if (!token) throw this.fail(`unexpected ${this.text[this.pos]}`);
    return sym(token);
  }

  readNumber(token) {
    const ratio = /^([+-]?\d+)\/(\d+)$/.exec(token);
    if (ratio) return Number(ratio[1]) / Number(ratio[2]);
    const body = token.replace(/[NM]$/, '');
    const value = Number(body);
    if (Number.isNaN(value)) throw this.fail(`invalid number ${token}`);
    return value;
  }
}

// The one form `text` holds (surrounding whitespace allowed).
export function readEdn(text) {
  const reader = new Reader(text);
  const value = reader.read();
  reader.skipSpace();
  if (reader.pos !== text.length) throw reader.fail('unexpected text after the form');
  return value;
}
