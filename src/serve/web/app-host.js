// app-host.js: runs a jank app on the stub runtime by its three vars:
// `state` (an atom, usually a defonce so reloads keep it), `view` (a fn of the
// atom's current value returning hiccup data) and `handle` (a fn of an event
// value, as written in an `:on-*` attribute). Patches rebind the vars; the
// host only looks them up on each render and event, so an edited view or
// handler takes effect on the next render while the atom keeps its value.

import { keyword } from './loader.js';
import { Char, Keyword, List, readEdn } from './edn.js';

export const DEFAULT_APP = { ns: 'demo.app', state: 'state', view: 'view', handler: 'handle' };

export class AppHost {
  constructor(runtime, names = {}) {
    this.runtime = runtime;
    this.names = { ...DEFAULT_APP, ...names };
  }

  varOf(name) {
    return this.runtime.intern(this.names.ns, name);
  }

  // Whether the app's view has been loaded (a page may connect before the
  // server has sent the app).
  ready() {
    return this.runtime.isBound(this.varOf(this.names.view));
  }

  // The hiccup data `(view @state)` returns, read back from its printed form
  // (`(view nil)` while `state` is unbound). Throws JankThrown when the view
  // throws.
  view() {
    const rt = this.runtime;
    const stateVar = this.varOf(this.names.state);
    const state = rt.isBound(stateVar)
      ? rt.invoke(rt.intern('clojure.core', 'deref'), [rt.deref(stateVar)])
      : rt.box(null);
    const tree = rt.invoke(this.varOf(this.names.view), [state]);
    const printed = rt.prStr(tree);
    rt.safePoint();
    return readEdn(printed);
  }

  // The app's current state, printed (for tests and the console).
  statePrinted() {
    const rt = this.runtime;
    const stateVar = this.varOf(this.names.state);
    if (!rt.isBound(stateVar)) return null;
    const printed = rt.prStr(rt.invoke(rt.intern('clojure.core', 'deref'), [rt.deref(stateVar)]));
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

  // An event value (as edn.js read it) as a jank value: scalars, keywords,
  // and vectors/lists of them.
  toJank(value) {
    const rt = this.runtime;
    if (value instanceof Keyword) return rt.box(keyword(value.ns ? `${value.ns}/${value.name}` : value.name));
    if (value instanceof Char) return rt.box(value.text);
    if (Array.isArray(value) || value instanceof List) {
      const items = (Array.isArray(value) ? value : value.items).map((item) => this.toJank(item));
      const maker = Array.isArray(value) ? 'vector' : 'list';
      return rt.invoke(rt.intern('clojure.core', maker), items);
    }
    return rt.box(value);
  }
}
