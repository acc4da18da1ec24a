// app-host.js: runs a jank app on the stub runtime by three vars of its
// namespace: `state` (an atom, usually a defonce so reloads keep it), `view`
// (a fn of the atom's current value returning hiccup data) and `handle` (a
// fn of an event value: what an `:on-*` attribute says, with the event map
// of events.js appended when that is a vector). The page names them (see
// client.js: data-jank-app, data-jank-state, data-jank-view,
// data-jank-handle, data-jank-init). Patches rebind the vars; the host
// looks them up on each render and event, so an edited view or handler
// takes effect on the next render while the atom keeps its value. An
// optional fourth var, `init` (a fn of no arguments), runs once in each
// page, before the first render after it is defined: the place for what
// only a page can do (jank.browser effects: reading localStorage and the
// location hash, adding listeners), since the headless runtime also loads
// the namespace.
//
// Data crosses from jank in the stub's compact encoding (decode.js), never
// printed and re-read; event values cross back built by the header's
// jank_make_* helpers.

import { keyword } from './loader.js';
import { Char, Keyword, List, Sym } from './edn.js';

export const DEFAULT_APP = { ns: 'demo.app', state: 'state', view: 'view', handler: 'handle', init: 'init' };

export class AppHost {
  constructor(runtime, names = {}) {
    this.runtime = runtime;
    this.names = { ...DEFAULT_APP, ...names };
    // The state value and view fn of the last render, retained so that their
    // addresses stay theirs: an unchanged pair means an unchanged page.
    this.rendered = null;
    this.initialized = false;
  }

  // Runs the app's `init` fn the first time it is called with `init`
  // defined (the server may send a file's forms in several patches, so the
  // view can render before `init` exists); later calls do nothing. Throws
  // JankThrown when it throws; it is not run again then either.
  initialize() {
    if (this.initialized) return;
    const rt = this.runtime;
    const initVar = this.varOf(this.names.init);
    if (!rt.isBound(initVar)) return;
    this.initialized = true;
    try {
      rt.invoke(rt.deref(initVar), []);
    } finally {
      rt.safePoint();
    }
  }

  varOf(name) {
    return this.runtime.intern(this.names.ns, name);
  }

  // Whether the app's view has been loaded (a page may connect before the
  // server has sent the app).
  ready() {
    return this.runtime.isBound(this.varOf(this.names.view));
  }

  // The handle of the state's current value (nil while `state` is unbound).
  stateValue() {
    const rt = this.runtime;
    const stateVar = this.varOf(this.names.state);
    return rt.isBound(stateVar)
      ? rt.invoke(rt.intern('clojure.core', 'deref'), [rt.deref(stateVar)])
      : rt.box(null);
  }

  // The hiccup data `(view @state)` returns, in the stub's encoding (a copy:
  // hiccup.js's renderEncoded, or decode.js's decodeValue, reads it), or
  // null when neither the state's value nor the view fn changed since the
  // last call and `force` is unset. Throws JankThrown when the view throws.
  // `into(length)` gives the Uint8Array the bytes are copied into (a new
  // one unless the caller reuses its own). It reaches no safe point: the
  // view's garbage waits for the caller's (AppRenderer collects once the
  // frame is drawn) or the next call's.
  view({ force = true, into = (length) => new Uint8Array(length) } = {}) {
    const rt = this.runtime;
    const state = this.stateValue();
    const viewFn = rt.deref(this.varOf(this.names.view));
    const unchanged = this.rendered && this.rendered.state === state && this.rendered.view === viewFn;
    if (unchanged && !force) return null;
    try {
      const encoded = rt.encoded(rt.invoke(viewFn, [state]));
      const bytes = into(encoded.length);
      bytes.set(encoded);
      return bytes;
    } finally {
      this.remember(state, viewFn);
    }
  }

  remember(state, viewFn) {
    const rt = this.runtime;
    rt.retain(state);
    rt.retain(viewFn);
    if (this.rendered) {
      rt.release(this.rendered.state);
      rt.release(this.rendered.view);
    }
    this.rendered = { state, view: viewFn };
  }

  // The app's current state, printed (for tests and the console).
  statePrinted() {
    const rt = this.runtime;
    if (!rt.isBound(this.varOf(this.names.state))) return null;
    const printed = rt.prStr(this.stateValue());
    rt.safePoint();
    return printed;
  }

  // Calls `(handle value)`; returns what it returned, printed.
  dispatch(value) {
    const rt = this.runtime;
    const argument = this.toJank(value);
    const printed = rt.prStr(rt.invoke(this.varOf(this.names.handler), [argument]));
    rt.safePoint();
    return printed;
  }

  // JS data as a jank value: scalars, keywords, symbols, characters, and
  // vectors (Arrays), lists, sets and maps of them.
  toJank(value) {
    const rt = this.runtime;
    if (value instanceof Keyword) return rt.box(keyword(value.ns ? `${value.ns}/${value.name}` : value.name));
    if (value instanceof Sym) return rt.invoke(rt.intern('clojure.core', 'symbol'), [rt.box(value.toString())]);
    if (value instanceof Char) return rt.invoke(rt.intern('clojure.core', 'first'), [rt.box(value.text)]);
    if (Array.isArray(value)) return rt.collection('vector', value.map((item) => this.toJank(item)));
    if (value instanceof List) return rt.collection('list', value.items.map((item) => this.toJank(item)));
    if (value instanceof Set) return rt.collection('set', [...value].map((item) => this.toJank(item)));
    if (value instanceof Map) {
      return rt.collection('map', [...value].flatMap(([k, v]) => [this.toJank(k), this.toJank(v)]));
    }
    return rt.box(value);
  }
}
