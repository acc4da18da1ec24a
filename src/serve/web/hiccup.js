// hiccup.js: turns hiccup-style data read by edn.js into DOM. Split in two
// so Node can test the first half: `toNodes` normalizes the data into plain
// element nodes (no DOM), and `renderInto` builds DOM from them.
//
// Accepted: `[:tag.class#id {attrs} & children]`, `[:<> & children]`
// (a fragment), lists and sets of children (what `for` and `map` return),
// strings, numbers, characters and keywords as text; nil, true and false
// render nothing. Attributes: `:class` (a string or a collection of them),
// `:style` (a string or a map), `:on-<event>` (the value is handed to the
// app's event handler when the event fires), and anything else as a plain
// attribute (true = present, false/nil = absent).

import { Char, Keyword, List, Sym } from './edn.js';

export class HiccupError extends Error {
  constructor(message) {
    super(message);
    this.name = 'HiccupError';
  }
}

const TAG_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;
const ATTRIBUTE_NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*$/;
const SVG_NS = 'http://www.w3.org/2000/svg';

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

function element(form) {
  const head = form[0];
  if (!(head instanceof Keyword)) {
    throw new HiccupError(`a hiccup vector must start with a tag keyword, not ${text(head)}`);
  }
  const rest = form.slice(1);
  if (head.name === '<>' && head.ns === null) return rest.flatMap(toNodes);
  const { tag, classes, id } = parseTag(head);
  const node = { tag, attrs: {}, events: {}, children: [] };
  if (id) node.attrs.id = id;
  let children = rest;
  if (rest[0] instanceof Map) {
    children = rest.slice(1);
    for (const [key, value] of rest[0]) {
      const name = nameOf(key);
      if (name.startsWith('on-')) {
        node.events[name.slice(3)] = value;
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
  node.children = children.flatMap(toNodes);
  return [node];
}

// The element nodes and text strings `form` stands for (a fragment or a
// seq stands for several).
export function toNodes(form) {
  if (form === null || form === undefined || form === true || form === false) return [];
  if (Array.isArray(form)) return element(form);
  if (form instanceof List) return form.items.flatMap(toNodes);
  if (form instanceof Set) return [...form].flatMap(toNodes);
  if (form instanceof Map) throw new HiccupError('a map cannot be rendered as a child');
  if (typeof form === 'object' && !(form instanceof Keyword || form instanceof Char || form instanceof Sym)) {
    throw new HiccupError(`cannot render ${form.constructor?.name ?? 'this value'}`);
  }
  return [text(form)];
}

// The visible text of nodes, as DOM textContent would give it.
export function textOf(nodes) {
  return nodes.map((n) => (typeof n === 'string' ? n : textOf(n.children))).join('');
}

// Every element node in document order, for finding elements in tests.
export function elementsOf(nodes) {
  return nodes.flatMap((n) => (typeof n === 'string' ? [] : [n, ...elementsOf(n.children)]));
}

function toDom(document, node, onEvent, namespace) {
  if (typeof node === 'string') return document.createTextNode(node);
  const ns = node.tag === 'svg' ? SVG_NS : namespace;
  const el = ns ? document.createElementNS(ns, node.tag) : document.createElement(node.tag);
  for (const [name, value] of Object.entries(node.attrs)) el.setAttribute(name, value);
  for (const [event, value] of Object.entries(node.events)) {
    el.addEventListener(event, (domEvent) => onEvent(value, domEvent));
  }
  for (const child of node.children) el.appendChild(toDom(document, child, onEvent, ns));
  return el;
}

// Replaces container's children with the DOM for `form`; `onEvent(value,
// domEvent)` runs for every `:on-*` attribute's event.
export function renderInto(container, form, onEvent) {
  const document = container.ownerDocument;
  const nodes = toNodes(form);
  container.replaceChildren(...nodes.map((node) => toDom(document, node, onEvent, null)));
  return nodes;
}
