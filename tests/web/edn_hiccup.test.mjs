// Unit tests of src/serve/web/edn.js, hiccup.js, events.js and effects.js
// (run by tests/browser/web_loader.rs with `node --test`): the EDN the stub
// prints reads back to the right data, hiccup data normalizes to the right
// element nodes, DOM events become the documented event map, and effect
// requests are read, answered, refused and their callbacks let go.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Char, List, Tagged, kw, readEdn, sym } from '../../src/serve/web/edn.js';
import { HiccupError, elementsOf, textOf, toNodes } from '../../src/serve/web/hiccup.js';
import { ELEMENT_KEY, JankFn, Opaque, decodeValue, encodeReply } from '../../src/serve/web/decode.js';
import { PageEffects } from '../../src/serve/web/effects.js';
import { eventData, handlerArgument } from '../../src/serve/web/events.js';

test('scalars read back as JS values', () => {
  assert.equal(readEdn('nil'), null);
  assert.equal(readEdn('true'), true);
  assert.equal(readEdn('false'), false);
  assert.equal(readEdn('-42'), -42);
  assert.equal(readEdn('7N'), 7);
  assert.equal(readEdn('1.5'), 1.5);
  assert.equal(readEdn('2.5M'), 2.5);
  assert.equal(readEdn('1e3'), 1000);
  assert.equal(readEdn('1/4'), 0.25);
  assert.equal(readEdn('##Inf'), Infinity);
  assert.equal(readEdn('##-Inf'), -Infinity);
  assert.ok(Number.isNaN(readEdn('##NaN')));
  assert.equal(readEdn('"a\\"b\\\\c\\nd\\te"'), 'a"b\\c\nd\te');
  assert.equal(readEdn('"\\u00e9"'), 'é');
  assert.deepEqual(readEdn('\\a'), new Char('a'));
  assert.deepEqual(readEdn('\\newline'), new Char('\n'));
  assert.deepEqual(readEdn('\\space'), new Char(' '));
  assert.deepEqual(readEdn('\\u0041'), new Char('A'));
  assert.deepEqual(readEdn('\\('), new Char('('));
});

test('keywords and symbols are interned with their namespace', () => {
  assert.equal(readEdn(':a'), kw('a'));
  assert.equal(readEdn(':ns.x/b'), kw('ns.x/b'));
  assert.equal(kw('ns.x/b').ns, 'ns.x');
  assert.equal(kw('ns.x/b').name, 'b');
  assert.equal(readEdn('clojure.core//'), sym('clojure.core//'));
  assert.equal(sym('clojure.core//').name, '/');
  assert.equal(readEdn('foo?'), sym('foo?'));
  assert.equal(String(readEdn(':x/y')), ':x/y');
});

test('collections, commas, comments and discards', () => {
  assert.deepEqual(readEdn('[1 [2 3] ()]'), [1, [2, 3], new List([])]);
  const map = readEdn('{:a 1, :b [2], "c" nil}');
  assert.equal(map.get(kw('a')), 1);
  assert.deepEqual(map.get(kw('b')), [2]);
  assert.equal(map.get('c'), null);
  assert.deepEqual(readEdn('#{1 2}'), new Set([1, 2]));
  assert.deepEqual(readEdn('(1 #_ 2 ; note\n 3)'), new List([1, 3]));
});

test('tagged values the stub prints are kept', () => {
  const v = readEdn("#'demo.app/view");
  assert.ok(v instanceof Tagged);
  assert.equal(v.tag, 'var');
  assert.equal(v.value, sym('demo.app/view'));
  const obj = readEdn('#object[clojure.lang.Atom 0x1 {:status :ready, :val 1}]');
  assert.equal(obj.tag, 'object');
  assert.equal(obj.value[0], sym('clojure.lang.Atom'));
});

test('malformed text is an error with its offset', () => {
  assert.throws(() => readEdn('[1 2'), /missing \] at offset 4/);
  assert.throws(() => readEdn('{:a}'), /even number of forms/);
  assert.throws(() => readEdn('"abc'), /unterminated string/);
  assert.throws(() => readEdn('1 2'), /unexpected text after the form at offset 2/);
  assert.throws(() => readEdn(')'), /unexpected \)/);
});

test('hiccup normalizes tags, classes, ids, attributes and events', () => {
  const form = readEdn(
    '[:div.app.dark#root {:class ["x" :y], :style {:color "red", :margin-top "2px"}, :title "t", ' +
      ':hidden false, :disabled true, :on-click :go} [:h1 "Count: " 3] nil ([:li "a"] [:li "b"]) [:<> "x" \\y]]',
  );
  const [root] = toNodes(form);
  assert.equal(root.tag, 'div');
  assert.deepEqual(root.attrs, { id: 'root', style: 'color: red; margin-top: 2px', title: 't', disabled: '', class: 'app dark x y' });
  assert.deepEqual(root.events, { click: { handler: kw('go'), preventDefault: false, stopPropagation: false } });
  assert.equal(textOf([root]), 'Count: 3abxy');
  assert.deepEqual(elementsOf([root]).map((n) => n.tag), ['div', 'h1', 'li', 'li']);
});

test('hiccup refuses what it cannot render safely', () => {
  assert.throws(() => toNodes(readEdn('["div"]')), HiccupError);
  assert.throws(() => toNodes(readEdn('[:div {:onclick "alert(1)"}]')), /invalid attribute :onclick/);
  assert.throws(() => toNodes(readEdn('[:scr<ipt]')), /invalid tag name/);
  assert.throws(() => toNodes(readEdn('[:div {:a 1} {:b 2}]')), /map cannot be rendered/);
});

test('keys and event modifiers are read from the attributes', () => {
  const [form] = toNodes(readEdn(
    '[:form {:key 7, :on-submit.prevent-default [:add], :on-click.stop-propagation.prevent-default :x, :on-input nil}]',
  ));
  assert.equal(form.key, '7');
  assert.deepEqual(form.attrs, {});
  assert.deepEqual(form.events, {
    submit: { handler: [kw('add')], preventDefault: true, stopPropagation: false },
    click: { handler: kw('x'), preventDefault: true, stopPropagation: true },
  });
  assert.throws(() => toNodes(readEdn('[:a {:on-click.later :x}]')), /invalid event attribute :on-click.later on :a/);
  assert.throws(() => toNodes([kw('p'), new Opaque('clojure.lang.Atom@1f')]), /cannot render clojure.lang.Atom@1f/);
});

test('a key in an element vector\'s metadata is its key, over a :key attribute', () => {
  const text = (tag, s) => [tag, ...new Uint8Array(Uint32Array.of(s.length).buffer), ...new TextEncoder().encode(s)];
  const number = (n) => [3, ...new Uint8Array(Float64Array.of(n).buffer)];
  // [^{:key 7} [:li {:key 1} "a"] ^{:key nil} [:li {:key 2}]] as the stub encodes it.
  const bytes = Uint8Array.of(8, 2, 0, 0, 0,
    14, ...number(7), 8, 3, 0, 0, 0, ...text(5, 'li'), 10, 1, 0, 0, 0, ...text(5, 'key'), ...number(1), ...text(4, 'a'),
    14, 0, 8, 2, 0, 0, 0, ...text(5, 'li'), 10, 1, 0, 0, 0, ...text(5, 'key'), ...number(2));
  const value = decodeValue(bytes);
  assert.equal(value[0][ELEMENT_KEY], 7);
  assert.equal(value[1][ELEMENT_KEY], null);
  assert.equal(value.length, 2);
  const [first, second] = toNodes([kw('<>'), ...value]);
  assert.equal(first.key, '7');
  assert.equal(second.key, null);
  assert.throws(() => decodeValue(Uint8Array.of(14, 0, 0)), /a key without its vector at byte 2/);
});

test('a DOM event becomes the documented event map', () => {
  const input = { type: 'text', value: 'milk', id: 'new-todo' };
  const keydown = eventData({
    type: 'keydown', target: input, key: 'Enter', code: 'Enter',
    altKey: false, ctrlKey: true, metaKey: false, shiftKey: false,
  });
  assert.deepEqual([...keydown], [
    [kw('type'), 'keydown'], [kw('value'), 'milk'], [kw('key'), 'Enter'], [kw('code'), 'Enter'],
    [kw('alt-key'), false], [kw('ctrl-key'), true], [kw('meta-key'), false], [kw('shift-key'), false],
    [kw('target-id'), 'new-todo'],
  ]);
  const box = { type: 'checkbox', value: 'on', checked: true, id: '' };
  const click = eventData({ type: 'click', target: box, clientX: 3, clientY: 4, altKey: false, ctrlKey: false, metaKey: false, shiftKey: true });
  assert.equal(click.get(kw('checked')), true);
  assert.equal(click.get(kw('client-x')), 3);
  assert.equal(click.get(kw('client-y')), 4);
  assert.equal(click.has(kw('target-id')), false);
  const form = {
    id: 'f', elements: [
      { name: 'title', type: 'text', value: 'bread' },
      { name: 'urgent', type: 'checkbox', value: 'yes', checked: false },
      { name: 'size', type: 'radio', value: 'big', checked: true },
      { name: '', type: 'text', value: 'unnamed' },
      { name: 'go', type: 'submit', value: 'Add' },
    ],
  };
  const submit = eventData({ type: 'submit', target: form });
  assert.deepEqual([...submit.get(kw('form-data'))], [[kw('title'), 'bread'], [kw('size'), 'big']]);
  assert.deepEqual(handlerArgument([kw('set-text')], keydown), [kw('set-text'), keydown]);
  assert.equal(handlerArgument(kw('increment'), keydown), kw('increment'));
});

test('an effect request holds fns as handles, and a reply is one scalar', () => {
  // [:set-timeout <fn at 0x1234> 10] as the stub encodes it.
  const request = Uint8Array.of(8, 3, 0, 0, 0, 5, 11, 0, 0, 0, ...new TextEncoder().encode('set-timeout'),
    13, 0x34, 0x12, 0, 0, 3, ...new Uint8Array(Float64Array.of(10).buffer));
  assert.deepEqual(decodeValue(request), [kw('set-timeout'), new JankFn(0x1234), 10]);
  assert.deepEqual([...encodeReply(null)], [0]);
  assert.deepEqual([...encodeReply(true)], [2]);
  assert.deepEqual([...encodeReply('#/')], [4, 2, 0, 0, 0, 35, 47]);
  assert.equal(decodeValue(encodeReply(7)), 7);
  assert.throws(() => encodeReply({}), /nil, a boolean, a number or a string/);
});

test('the page carries out effects, refuses misuse and releases callbacks it drops', () => {
  const released = [];
  const timers = new Map();
  const storage = new Map();
  const window = {
    setTimeout: (f) => { timers.set(timers.size + 1, f); return timers.size; },
    clearTimeout: (id) => timers.delete(id),
    localStorage: {
      getItem: (k) => storage.get(k) ?? null,
      setItem: (k, v) => storage.set(k, v),
      removeItem: (k) => storage.delete(k),
    },
    document: { title: '' },
    location: { hash: '#/active' },
  };
  const effects = new PageEffects({ window });
  effects.attach({ release: (handle) => released.push(handle) });
  const id = effects.carryOut([kw('set-timeout'), new JankFn(40), 5]);
  assert.equal(effects.carryOut([kw('clear-timeout'), id]), null);
  assert.deepEqual(released, [40]);
  assert.equal(effects.carryOut([kw('clear-timeout'), null]), null);
  effects.carryOut([kw('local-storage-set'), 'k', 'v']);
  assert.equal(effects.carryOut([kw('local-storage-get'), 'k']), 'v');
  assert.equal(effects.carryOut([kw('local-storage-get'), 'missing']), null);
  effects.carryOut([kw('set-title'), 'hi']);
  assert.equal(window.document.title, 'hi');
  assert.equal(effects.carryOut([kw('location-hash')]), '#/active');
  assert.throws(
    () => effects.carryOut([kw('set-timeout'), 10, new JankFn(41)]),
    /jank.browser: no effect set-timeout taking a number, a fn/,
  );
  assert.throws(() => effects.carryOut([kw('teleport')]), /no effect teleport taking no arguments/);
});
