// events.js: the event map a jank app's handler gets for a DOM event. Keys
// appear only when the event has them:
//   :type         the DOM event type, "input", "click", "keydown", ...
//   :value        the target's value (inputs, textareas, selects)
//   :checked      the target's checked state (checkboxes, radio buttons)
//   :key :code    the key pressed (keyboard events), as the DOM names them
//   :alt-key :ctrl-key :meta-key :shift-key   modifier keys (keyboard, mouse)
//   :client-x :client-y                       the pointer (mouse events)
//   :target-id    the id of the element the event happened on, when it has one
//   :form-data    on submit: the form's fields, a map of name (keyword) to value
// An `:on-*` value that is a vector gets this map appended:
// `[:set-text]` arrives as `[:set-text {:type "input" :value "..."}]`.

import { kw } from './edn.js';

const MODIFIERS = [
  ['altKey', 'alt-key'],
  ['ctrlKey', 'ctrl-key'],
  ['metaKey', 'meta-key'],
  ['shiftKey', 'shift-key'],
];

// The event map of `domEvent`, as a Map of Keyword to JS value.
export function eventData(domEvent) {
  const data = new Map([[kw('type'), domEvent.type]]);
  const target = domEvent.target;
  if (target && typeof target.value === 'string' && 'value' in target) data.set(kw('value'), target.value);
  if (target && (target.type === 'checkbox' || target.type === 'radio')) data.set(kw('checked'), Boolean(target.checked));
  if (typeof domEvent.key === 'string') data.set(kw('key'), domEvent.key);
  if (typeof domEvent.code === 'string') data.set(kw('code'), domEvent.code);
  for (const [property, name] of MODIFIERS) {
    if (typeof domEvent[property] === 'boolean') data.set(kw(name), domEvent[property]);
  }
  if (typeof domEvent.clientX === 'number') {
    data.set(kw('client-x'), domEvent.clientX);
    data.set(kw('client-y'), domEvent.clientY);
  }
  if (target && typeof target.id === 'string' && target.id !== '') data.set(kw('target-id'), target.id);
  if (domEvent.type === 'submit' && target && typeof target.elements === 'object') data.set(kw('form-data'), formData(target));
  return data;
}

// A form's named fields: text as typed, a checkbox as its value when checked
// (else absent), the chosen radio button's value, as FormData would send them.
function formData(form) {
  const fields = new Map();
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    if ((field.type === 'checkbox' || field.type === 'radio') && !field.checked) continue;
    if (field.type === 'submit' || field.type === 'button') continue;
    fields.set(kw(field.name), field.value);
  }
  return fields;
}

// What a handler is called with: the `:on-*` value, with the event map
// appended when it is a vector.
export function handlerArgument(handler, data) {
  return Array.isArray(handler) ? [...handler, data] : handler;
}
