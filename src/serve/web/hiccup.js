// hiccup.js: turns hiccup-style data into DOM. Split in two so Node can
// test the first half: `toNodes` normalizes the data (as edn.js or decode.js
// read it) into plain element nodes (no DOM), and `renderInto` brings a live
// DOM in line with them, changing only what differs. `renderEncoded` does
// the same from the stub's encoding of a view (decode.js) and skips what did
// not change without decoding it: an element whose bytes equal those it was
// rendered from last time is left as it is (see readElement).
//
// Accepted: `[:tag.class#id {attrs} & children]`, `[:<> & children]`
// (a fragment), lists and sets of children (what `for` and `map` return),
// strings, numbers, characters and keywords as text; nil, true and false
// render nothing. Attributes: `:class` (a string or a collection of them),
// `:style` (a string or a map), `:key` (identifies the element among its
// siblings across renders; not a DOM attribute), `:on-<event>` (the value
// is handed to the app's event handler when the DOM event <event> fires;
// `:on-submit.prevent-default`, `:on-click.stop-propagation` and both
// together call those methods of the event first), `:value` and `:checked`
// (set as the element's properties, so an input shows what the app says),
// `:autofocus` (an element made with it takes the focus), and anything
// else as a plain attribute (true = present, false/nil = absent). A key in
// the element vector's metadata (`^{:key k} [:li ...]`, as reagent reads it)
// takes the place of a `:key` attribute.

import { Char, Keyword, List, Sym } from './edn.js';
import { DecodeError, ELEMENT_KEY, Opaque, Reader, TAG } from './decode.js';

export class HiccupError extends Error {
  constructor(message) {
    super(message);
    this.name = 'HiccupError';
  }
}

const TAG_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;
const ATTRIBUTE_NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*$/;
const SVG_NS = 'http://www.w3.org/2000/svg';
const EVENT_MODIFIERS = ['prevent-default', 'stop-propagation'];

const nameOf = (key) => (key instanceof Keyword || key instanceof Sym ? key.name : String(key));

// Plain text for a scalar, as `str` would print it (keywords keep their colon).
function text(value) {
  if (value instanceof Keyword || value instanceof Char || value instanceof Sym) return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
  }
  return String(value);
}

function parseTag(keyword) {
  const [head, ...rest] = keyword.name.split(/(?=[.#])/);
  if (!TAG_NAME.test(head)) throw new HiccupError(`invalid tag name ${keyword}`);
  const classes = [];
  let id = null;
  for (const part of rest) {
    if (part[0] === '.') classes.push(part.slice(1));
    else id = part.slice(1);
  }
  return { tag: head, classes, id };
}

function classList(value) {
  if (value === null || value === false) return [];
  if (Array.isArray(value)) return value.flatMap(classList);
  if (value instanceof List) return value.items.flatMap(classList);
  if (value instanceof Set) return [...value].flatMap(classList);
  return [nameOf(value)];
}

function styleText(value) {
  if (!(value instanceof Map)) return text(value);
  return [...value]
    .filter(([, v]) => v !== null && v !== false)
    .map(([k, v]) => `${nameOf(k)}: ${nameOf(v)}`)
    .join('; ');
}

// Tags parsed so far: keywords are interned, and a view repeats few tags.
const parsedTags = new Map();

function parsedTag(keyword) {
  let parsed = parsedTags.get(keyword);
  if (!parsed) {
    parsed = parseTag(keyword);
    parsedTags.set(keyword, parsed);
  }
  return parsed;
}

function headKeyword(head) {
  if (head === undefined) throw new HiccupError('an empty vector cannot be rendered');
  if (!(head instanceof Keyword)) {
    throw new HiccupError(`a hiccup vector must start with a tag keyword, not ${text(head)}`);
  }
  return head;
}

const isFragment = (head) => head.name === '<>' && head.ns === null;

// The node of an element with tag keyword `head`, attribute map `attrs`
// (or null) and metadata key `key` (undefined when there is none), with no
// children yet.
function elementNode(head, attrs, key) {
  const { tag, classes: tagClasses, id } = parsedTag(head);
  const classes = [...tagClasses];
  const node = { tag, key: null, attrs: {}, events: {}, children: [] };
  if (id) node.attrs.id = id;
  if (attrs !== null) {
    for (const [attrKey, value] of attrs) {
      const name = nameOf(attrKey);
      if (name.startsWith('on-')) {
        const [type, ...modifiers] = name.slice(3).split('.');
        const unknown = modifiers.find((m) => !EVENT_MODIFIERS.includes(m));
        if (!type || unknown !== undefined) {
          throw new HiccupError(`invalid event attribute ${text(attrKey)} on :${tag} (modifiers: .${EVENT_MODIFIERS.join(', .')})`);
        }
        if (value === null || value === false) continue;
        node.events[type] = {
          handler: value,
          preventDefault: modifiers.includes('prevent-default'),
          stopPropagation: modifiers.includes('stop-propagation'),
        };
      } else if (name === 'key') {
        if (value !== null) node.key = text(value);
      } else if (name === 'class') {
        classes.push(...classList(value));
      } else if (name === 'style') {
        node.attrs.style = styleText(value);
      } else {
        if (!ATTRIBUTE_NAME.test(name) || /^on/i.test(name)) {
          throw new HiccupError(`invalid attribute ${text(attrKey)} on :${tag}`);
        }
        if (value === null || value === false) continue;
        node.attrs[name] = value === true ? '' : nameOf(value);
      }
    }
  }
  if (key !== undefined) node.key = key === null ? null : text(key);
  if (classes.length) node.attrs.class = classes.join(' ');
  return node;
}

// Appends the node `form` (a hiccup vector) stands for to `out`, or a
// fragment's nodes.
function appendElement(out, form) {
  const head = headKeyword(form[0]);
  if (isFragment(head)) {
    for (let i = 1; i < form.length; i++) appendNodes(out, form[i]);
    return;
  }
  const attrs = form[1] instanceof Map ? form[1] : null;
  const node = elementNode(head, attrs, form[ELEMENT_KEY]);
  for (let i = attrs === null ? 1 : 2; i < form.length; i++) appendNodes(node.children, form[i]);
  out.push(node);
}

// Appends the element nodes and text strings `form` stands for to `out`.
function appendNodes(out, form) {
  if (form === null || form === undefined || form === true || form === false) return;
  if (Array.isArray(form)) {
    appendElement(out, form);
  } else if (form instanceof List) {
    for (const item of form.items) appendNodes(out, item);
  } else if (form instanceof Set) {
    for (const item of form) appendNodes(out, item);
  } else if (form instanceof Map) {
    throw new HiccupError('a map cannot be rendered as a child');
  } else if (form instanceof Opaque) {
    throw new HiccupError(`cannot render ${form.text}`);
  } else if (typeof form === 'object' && !(form instanceof Keyword || form instanceof Char || form instanceof Sym)) {
    throw new HiccupError(`cannot render ${form.constructor?.name ?? 'this value'}`);
  } else {
    out.push(text(form));
  }
}

// The element nodes and text strings `form` stands for (a fragment or a
// seq stands for several).
export function toNodes(form) {
  const nodes = [];
  appendNodes(nodes, form);
  return nodes;
}

// The visible text of nodes, as DOM textContent would give it.
export function textOf(nodes) {
  return nodes.map((n) => (typeof n === 'string' ? n : textOf(n.children))).join('');
}

// Every element node in document order, for finding elements in tests.
export function elementsOf(nodes) {
  return nodes.flatMap((n) => (typeof n === 'string' ? [] : [n, ...elementsOf(n.children)]));
}

// What the renderers remember on each element they made: its key and tag,
// the attributes and events it was last given, and where in the bytes of
// the encoded render `gen` (see renderEncoded) it came from.
const RENDERED = Symbol('jank-rendered');
// What renderEncoded remembers on its container: the last render's bytes
// and generation.
const LAST_RENDER = Symbol('jank-last-render');
// Attributes that are the element's live state: set as properties, and only
// when they differ, so the caret and selection of an input stay put.
const PROPERTIES = new Set(['value', 'checked']);
// Each encoded render's number, unique in the page.
let generations = 0;

function setAttribute(el, name, value) {
  if (PROPERTIES.has(name) && name in el) {
    const wanted = name === 'checked' ? value !== null : value ?? '';
    if (el[name] !== wanted) el[name] = wanted;
  } else if (value === null) {
    el.removeAttribute(name);
  } else {
    el.setAttribute(name, value);
  }
}

// Records where in this render's bytes the element of `state` comes from
// (nowhere for a render of data).
function placed(state, node, context) {
  state.gen = node.start === undefined ? undefined : context.gen;
  state.start = node.start;
  state.end = node.end;
}

function updateElement(el, node, context) {
  const state = el[RENDERED];
  for (const name of Object.keys(state.attrs)) {
    if (!(name in node.attrs)) setAttribute(el, name, null);
  }
  let live = false;
  for (const [name, value] of Object.entries(node.attrs)) {
    // Properties are compared with the live element: the user changes them.
    if (PROPERTIES.has(name)) live = true;
    if (state.attrs[name] !== value || PROPERTIES.has(name)) setAttribute(el, name, value);
  }
  state.attrs = node.attrs;
  state.events = node.events;
  state.onEvent = context.onEvent;
  for (const type of Object.keys(node.events)) {
    if (state.listening.has(type)) continue;
    state.listening.add(type);
    // One listener per event type, reading the element's current events, so
    // a render that changes a handler's value adds nothing.
    el.addEventListener(type, (domEvent) => {
      const spec = el[RENDERED].events[type];
      if (!spec) return;
      if (spec.preventDefault) domEvent.preventDefault();
      if (spec.stopPropagation) domEvent.stopPropagation();
      el[RENDERED].onEvent(spec.handler, domEvent);
    });
  }
  const namespace = node.tag === 'svg' ? SVG_NS : el.namespaceURI === SVG_NS ? SVG_NS : null;
  if (patchChildren(el, node.children, context, namespace)) live = true;
  // A select's value names one of its options, which now exist.
  if (node.tag === 'select' && 'value' in node.attrs) setAttribute(el, 'value', node.attrs.value);
  // An element holding state the user changes (a :value, a :checked) is
  // never skipped: each render sets that state again.
  state.live = live;
  placed(state, node, context);
}

function createElement(document, node, context, namespace) {
  const ns = node.tag === 'svg' ? SVG_NS : namespace;
  const el = ns ? document.createElementNS(ns, node.tag) : document.createElement(node.tag);
  el[RENDERED] = { key: node.key, tag: node.tag, attrs: {}, events: {}, listening: new Set() };
  updateElement(el, node, context);
  if ('autofocus' in node.attrs) context.autofocus = el;
  return el;
}

const isText = (dom) => dom.nodeType === 3;
const keyOf = (dom) => dom[RENDERED]?.key ?? null;
const isKept = (node) => node.kept !== undefined;

// Whether `dom` can be updated into `node` in place: text into text, and an
// element with neither key into one of the same tag.
function reusable(dom, node) {
  if (typeof node === 'string') return isText(dom);
  const state = dom[RENDERED];
  return state !== undefined && state.key === null && node.key === null && state.tag === node.tag;
}

// Whether `dom`, the next child in place, is the one `node` updates: text
// for text, an element of the same tag and key (or neither keyed).
function linesUp(dom, node) {
  if (dom === null) return false;
  if (typeof node === 'string') return isText(dom);
  const state = dom[RENDERED];
  return state !== undefined && state.tag === node.tag && state.key === node.key;
}

// The keyed children from `cursor` on, and the keys nodes[from..] want.
function keyTables(nodes, from, cursor) {
  const keyed = new Map();
  const wanted = new Set();
  for (let i = from; i < nodes.length; i++) {
    const node = nodes[i];
    if (typeof node !== 'string' && node.key !== null) wanted.add(`${node.tag}#${node.key}`);
  }
  for (let dom = cursor; dom; dom = dom.nextSibling) {
    const key = keyOf(dom);
    if (key !== null) keyed.set(`${dom[RENDERED].tag}#${key}`, dom);
  }
  return { keyed, wanted };
}

// Brings parent's children in line with `nodes`: keyed elements are found by
// tag and key wherever they are (and moved only when out of place), unkeyed
// ones are matched in order. Elements kept keep their focus, caret, scroll
// and anything else the user gave them. Returns whether a child holds live
// state (see updateElement).
function patchChildren(parent, nodes, context, namespace) {
  let cursor = parent.firstChild;
  let live = false;
  // While the children line up with the nodes (most renders), no tables of
  // keys are needed; from the first that does not, they are made.
  let tables = null;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    // Most of a large render: an element kept where it is.
    if (tables === null && cursor !== null && node.kept === cursor) {
      placed(cursor[RENDERED], node, context);
      cursor = cursor.nextSibling;
      continue;
    }
    let match = null;
    if (tables === null && linesUp(cursor, node)) {
      match = cursor;
    } else {
      tables ??= keyTables(nodes, i, cursor);
      // Keyed elements no longer wanted would sit in the way of matching.
      while (cursor && keyOf(cursor) !== null && !tables.wanted.has(`${cursor[RENDERED].tag}#${keyOf(cursor)}`)) {
        const gone = cursor;
        cursor = cursor.nextSibling;
        gone.remove();
      }
      if (typeof node !== 'string' && node.key !== null) {
        match = tables.keyed.get(`${node.tag}#${node.key}`) ?? null;
        tables.keyed.delete(`${node.tag}#${node.key}`);
      } else if (cursor && reusable(cursor, node)) {
        match = cursor;
      }
    }
    if (match === null) {
      const created = typeof node === 'string'
        ? context.document.createTextNode(node)
        : createElement(context.document, isKept(node) ? unkept(node, context) : node, context, namespace);
      if (created[RENDERED]?.live) live = true;
      parent.insertBefore(created, cursor);
      continue;
    }
    if (match === cursor) cursor = cursor.nextSibling;
    else parent.insertBefore(match, cursor);
    if (typeof node === 'string') {
      if (match.data !== node) match.data = node;
    } else if (isKept(node) && node.kept === match) {
      placed(match[RENDERED], node, context);
    } else {
      updateElement(match, isKept(node) ? unkept(node, context) : node, context);
      if (match[RENDERED].live) live = true;
    }
  }
  while (cursor) {
    const gone = cursor;
    cursor = cursor.nextSibling;
    gone.remove();
  }
  return live;
}

// Brings container's children in line with the DOM `form` stands for,
// changing only what differs from the last render (see patchChildren);
// `onEvent(handler, domEvent)` runs for every `:on-*` attribute's event.
// Returns the nodes. Throws HiccupError, with the DOM untouched, when `form`
// cannot be rendered.
export function renderInto(container, form, onEvent) {
  const nodes = toNodes(form);
  const context = { document: container.ownerDocument, onEvent, autofocus: null };
  delete container[LAST_RENDER];
  patchChildren(container, nodes, context, null);
  // `autofocus` works only as a page loads; an element made with it later
  // (an edit box that appears) takes the focus here instead.
  context.autofocus?.focus();
  return nodes;
}

// ---- rendering the stub's encoding -----------------------------------------
//
// A view of thousands of rows where one cell changed is encoded into bytes
// that differ from the last render's in a few places. renderEncoded reads
// the bytes into nodes as toNodes would, except that an element whose bytes
// equal those the DOM element in its place was made from last time becomes
// a "kept" node, read no further: the patch leaves that element alone. An
// encoded value depends on nothing before it (runtime-abi/stub/src/encode.rs),
// so equal bytes mean an equal element wherever they are. An element whose
// subtree holds live state (a :value, a :checked) is never kept, so each
// render sets that state as the app says.

// The number of equal bytes at the start of `a` and `b`, compared four at a
// time (both are copies starting at offset 0 of their buffers).
function commonPrefix(a, b) {
  const length = Math.min(a.length, b.length);
  const words = length >>> 2;
  const wa = new Int32Array(a.buffer, a.byteOffset, words);
  const wb = new Int32Array(b.buffer, b.byteOffset, words);
  let word = 0;
  while (word < words && wa[word] === wb[word]) word++;
  let at = word * 4;
  while (at < length && a[at] === b[at]) at++;
  return at;
}

// The number of equal bytes at the end of `a` and `b`.
function commonSuffix(a, b) {
  const length = Math.min(a.length, b.length);
  let count = 0;
  const ea = a.length;
  const eb = b.length;
  // Four at a time when the two ends are aligned alike.
  if ((ea - eb) % 4 === 0) {
    while (count < ea % 4 && count < length && a[ea - 1 - count] === b[eb - 1 - count]) count++;
    if (count === ea % 4) {
      const wa = new Int32Array(a.buffer, a.byteOffset, ea >>> 2);
      const wb = new Int32Array(b.buffer, b.byteOffset, eb >>> 2);
      let ia = wa.length - 1;
      let ib = wb.length - 1;
      while (ia >= 0 && ib >= 0 && wa[ia] === wb[ib]) {
        ia--;
        ib--;
        count += 4;
      }
    }
  }
  while (count < length && a[ea - 1 - count] === b[eb - 1 - count]) count++;
  return count;
}

// Whether the `length` bytes at `at` in this render equal those at `oldAt`
// in the last one: at once when both lie in the part the two renders share
// at their start or their end, or span the first or last byte where the
// renders differ (an ancestor of the change: a table's body, half a
// megabyte); else byte by byte.
function sameBytes(context, at, oldAt, length) {
  const { bytes, previous } = context;
  if (at + length > bytes.length) return false;
  if (at === oldAt) {
    if (at + length <= context.prefix) return true;
    if (context.firstDifference >= at && context.firstDifference < at + length) return false;
  }
  if (at - oldAt === context.delta) {
    if (at >= bytes.length - context.suffix) return true;
    if (context.lastDifference >= at && context.lastDifference < at + length) return false;
  }
  const old = previous.bytes;
  for (let i = 0; i < length; i++) {
    if (bytes[at + i] !== old[oldAt + i]) return false;
  }
  return true;
}

// A kept node for `dom` when the element at `at` is the one `dom` was made
// from last time, else null.
function keptAt(context, at, dom) {
  const state = dom?.[RENDERED];
  if (state === undefined || context.previous === null || state.gen !== context.previous.gen) return null;
  if (state.live || state.onEvent !== context.onEvent) return null;
  const length = state.end - state.start;
  if (!sameBytes(context, at, state.start, length)) return null;
  return { kept: dom, tag: state.tag, key: state.key, start: at, end: at + length };
}

// Reads the child at the reader's offset into `out` (a seq or fragment
// adds several nodes, nil none). `guess` is the DOM node likely made from
// it last time, or null; returns the guess for the child after it.
function readChild(reader, out, guess, context) {
  reader.need(1);
  const tag = reader.bytes[reader.offset];
  if (tag === TAG.VECTOR || tag === TAG.KEYED) return readElement(reader, out, guess, context);
  if (tag === TAG.LIST) {
    reader.offset++;
    const count = reader.u32();
    let next = guess;
    for (let i = 0; i < count; i++) next = readChild(reader, out, next, context);
    return next;
  }
  const before = out.length;
  appendNodes(out, reader.value());
  return out.length > before && guess !== null && isText(guess) ? guess.nextSibling : guess;
}

// Reads a hiccup vector (or a fragment) at the reader's offset into `out`;
// see readChild.
function readElement(reader, out, guess, context) {
  const start = reader.offset;
  const kept = keptAt(context, start, guess);
  if (kept !== null) {
    reader.offset = kept.end;
    out.push(kept);
    return guess.nextSibling;
  }
  let key;
  if (reader.bytes[start] === TAG.KEYED) {
    reader.offset++;
    key = reader.value();
    reader.need(1);
    if (reader.bytes[reader.offset] !== TAG.VECTOR) throw new DecodeError('a key without its vector', reader.offset);
  }
  reader.offset++;
  const count = reader.u32();
  const head = headKeyword(count === 0 ? undefined : reader.value());
  let next = guess;
  if (isFragment(head)) {
    for (let i = 1; i < count; i++) next = readChild(reader, out, next, context);
    return next;
  }
  let attrs = null;
  if (count > 1) {
    reader.need(1);
    if (reader.bytes[reader.offset] === TAG.MAP) attrs = reader.value();
  }
  const node = elementNode(head, attrs, key);
  // The element this one will likely update: its children guess ours.
  const state = guess?.[RENDERED];
  const likely = state !== undefined && state.tag === node.tag && state.key === node.key;
  let childGuess = likely ? guess.firstChild : null;
  for (let i = attrs === null ? 1 : 2; i < count; i++) {
    childGuess = readChild(reader, node.children, childGuess, context);
  }
  node.start = start;
  node.end = reader.offset;
  out.push(node);
  return likely ? guess.nextSibling : guess;
}

// The full node of a kept node the patch cannot keep (its element ended up
// elsewhere): its bytes read again, guessing nothing.
function unkept(node, context) {
  const reader = new Reader(context.bytes);
  reader.offset = node.start;
  const out = [];
  readElement(reader, out, null, context);
  return out[0];
}

// The bytes of the last render of the stub's encoding into `container`
// (null when its last render was of data, or none): renderEncoded reads
// them again on the next render, so they must stay as they are until then.
export function renderedBytes(container) {
  return container[LAST_RENDER]?.bytes ?? null;
}

// renderInto for the stub's encoding of a view (`bytes`, a copy the
// renderer keeps until the next render): reads only what differs from the
// last render and patches only that. Throws HiccupError, with the DOM
// untouched, when the view cannot be rendered.
export function renderEncoded(container, bytes, onEvent) {
  const previous = container[LAST_RENDER] ?? null;
  const context = {
    document: container.ownerDocument,
    onEvent,
    autofocus: null,
    bytes,
    gen: ++generations,
    previous,
    prefix: previous ? commonPrefix(previous.bytes, bytes) : 0,
    suffix: previous ? commonSuffix(previous.bytes, bytes) : 0,
    delta: previous ? bytes.length - previous.bytes.length : 0,
    // Where (in this render) the first and the last differing bytes of the
    // two renders are, -1 when there is no such byte (one render's bytes
    // start or end the other's).
    firstDifference: -1,
    lastDifference: -1,
  };
  if (previous) {
    const shorter = Math.min(bytes.length, previous.bytes.length);
    if (context.prefix < shorter) context.firstDifference = context.prefix;
    if (context.suffix < shorter) context.lastDifference = bytes.length - 1 - context.suffix;
  }
  const reader = new Reader(bytes);
  const nodes = [];
  readChild(reader, nodes, container.firstChild, context);
  if (reader.offset !== bytes.length) throw new DecodeError('trailing bytes after the value', reader.offset);
  // From here elements take this render's places in `bytes`; an element the
  // patch does not reach keeps an older generation, never to be kept.
  container[LAST_RENDER] = { bytes, gen: context.gen };
  patchChildren(container, nodes, context, null);
  context.autofocus?.focus();
}
