// hiccup.js: turns hiccup-style data (as edn.js or decode.js read it) into
// DOM. Split in two so Node can test the first half: `toNodes` normalizes
// the data into plain element nodes (no DOM), and `renderInto` brings a
// live DOM in line with them, changing only what differs.
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
// else as a plain attribute (true = present, false/nil = absent).

import { Char, Keyword, List, Sym } from './edn.js';
import { Opaque } from './decode.js';

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

// Appends the node `form` (a hiccup vector) stands for to `out`, or a
// fragment's nodes.
function appendElement(out, form) {
  const head = form[0];
  if (!(head instanceof Keyword)) {
    throw new HiccupError(`a hiccup vector must start with a tag keyword, not ${text(head)}`);
  }
  if (head.name === '<>' && head.ns === null) {
    for (let i = 1; i < form.length; i++) appendNodes(out, form[i]);
    return;
  }
  const { tag, classes: tagClasses, id } = parsedTag(head);
  const classes = [...tagClasses];
  const node = { tag, key: null, attrs: {}, events: {}, children: [] };
  if (id) node.attrs.id = id;
  let firstChild = 1;
  if (form[1] instanceof Map) {
    firstChild = 2;
    for (const [key, value] of form[1]) {
      const name = nameOf(key);
      if (name.startsWith('on-')) {
        const [type, ...modifiers] = name.slice(3).split('.');
        const unknown = modifiers.find((m) => !EVENT_MODIFIERS.includes(m));
        if (!type || unknown !== undefined) {
          throw new HiccupError(`invalid event attribute ${text(key)} on :${tag} (modifiers: .${EVENT_MODIFIERS.join(', .')})`);
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
          throw new HiccupError(`invalid attribute ${text(key)} on :${tag}`);
        }
        if (value === null || value === false) continue;
        node.attrs[name] = value === true ? '' : nameOf(value);
      }
    }
  }
  if (classes.length) node.attrs.class = classes.join(' ');
  for (let i = firstChild; i < form.length; i++) appendNodes(node.children, form[i]);
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

// What renderInto remembers on each element it made: its key, the
// attributes and events it was last given.
const RENDERED = Symbol('jank-rendered');
// Attributes that are the element's live state: set as properties, and only
// when they differ, so the caret and selection of an input stay put.
const PROPERTIES = new Set(['value', 'checked']);

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

function updateElement(el, node, context) {
  const state = el[RENDERED];
  for (const name of Object.keys(state.attrs)) {
    if (!(name in node.attrs)) setAttribute(el, name, null);
  }
  for (const [name, value] of Object.entries(node.attrs)) {
    // Properties are compared with the live element: the user changes them.
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
  patchChildren(el, node.children, context, namespace);
  // A select's value names one of its options, which now exist.
  if (node.tag === 'select' && 'value' in node.attrs) setAttribute(el, 'value', node.attrs.value);
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

// Whether `dom` can be updated into `node` in place: text into text, and an
// element with neither key into one of the same tag.
function reusable(dom, node) {
  if (typeof node === 'string') return isText(dom);
  const state = dom[RENDERED];
  return state !== undefined && state.key === null && node.key === null && state.tag === node.tag;
}

// Brings parent's children in line with `nodes`: keyed elements are found by
// tag and key wherever they are (and moved only when out of place), unkeyed
// ones are matched in order. Elements kept keep their focus, caret, scroll
// and anything else the user gave them.
function patchChildren(parent, nodes, context, namespace) {
  // Most children have no key: the tables of keys are made only when needed.
  const keyed = new Map();
  const wantedKeys = new Set();
  for (const node of nodes) {
    if (typeof node !== 'string' && node.key !== null) wantedKeys.add(`${node.tag}#${node.key}`);
  }
  for (let dom = parent.firstChild; dom; dom = dom.nextSibling) {
    const key = keyOf(dom);
    if (key !== null) keyed.set(`${dom[RENDERED].tag}#${key}`, dom);
  }
  let cursor = parent.firstChild;
  // Keyed elements no longer wanted would sit in the way of matching.
  const skipUnwanted = () => {
    while (cursor && keyOf(cursor) !== null && !wantedKeys.has(`${cursor[RENDERED].tag}#${keyOf(cursor)}`)) {
      const gone = cursor;
      cursor = cursor.nextSibling;
      gone.remove();
    }
  };
  for (const node of nodes) {
    skipUnwanted();
    let match = null;
    if (typeof node !== 'string' && node.key !== null) {
      match = keyed.get(`${node.tag}#${node.key}`) ?? null;
      keyed.delete(`${node.tag}#${node.key}`);
    } else if (cursor && reusable(cursor, node)) {
      match = cursor;
    }
    if (match === null) {
      const created = typeof node === 'string'
        ? context.document.createTextNode(node)
        : createElement(context.document, node, context, namespace);
      parent.insertBefore(created, cursor);
      continue;
    }
    if (match === cursor) cursor = cursor.nextSibling;
    else parent.insertBefore(match, cursor);
    if (typeof node === 'string') {
      if (match.data !== node) match.data = node;
    } else {
      updateElement(match, node, context);
    }
  }
  while (cursor) {
    const gone = cursor;
    cursor = cursor.nextSibling;
    gone.remove();
  }
}

// Brings container's children in line with the DOM `form` stands for,
// changing only what differs from the last render (see patchChildren);
// `onEvent(handler, domEvent)` runs for every `:on-*` attribute's event.
// Returns the nodes. Throws HiccupError, with the DOM untouched, when `form`
// cannot be rendered.
export function renderInto(container, form, onEvent) {
  const nodes = toNodes(form);
  const context = { document: container.ownerDocument, onEvent, autofocus: null };
  patchChildren(container, nodes, context, null);
  // `autofocus` works only as a page loads; an element made with it later
  // (an edit box that appears) takes the focus here instead.
  context.autofocus?.focus();
  return nodes;
}
