// effects.js: the page's side of jank.browser (src/jank/jank/browser.jank).
// The stub's host.effect import (loader.js) hands `carryOut` each request,
// `[op, ...args]`, and gives jank what it returns. Callback fns arrive as
// JankFn handles the stub retained for the page; the page releases each
// when it will no longer call it (a timer that fired or was cleared, a fetch
// that answered, a replaced hash listener). Callbacks run from the browser's
// event loop, never inside the import; one that throws is reported through
// `onError(error, title)` and the others go on, as is a fetch that gets no response (its
// callback gets `{:ok false :error ...}` too). After each, `afterCallback`
// runs (the app renderer schedules a render there: a callback may have
// changed the state).

import { JankFn } from './decode.js';

// The kind of each argument, for a refusal's message.
function kinds(args) {
  if (args.length === 0) return 'no arguments';
  return args
    .map((arg) => {
      if (arg === null) return 'nil';
      if (arg instanceof JankFn) return 'a fn';
      if (typeof arg === 'boolean') return 'a boolean';
      if (typeof arg === 'number') return 'a number';
      if (typeof arg === 'string') return 'a string';
      return 'a keyword';
    })
    .join(', ');
}

const isFn = (value) => value instanceof JankFn;

export class PageEffects {
  constructor({ window = globalThis, onError = () => {}, afterCallback = () => {} } = {}) {
    this.window = window;
    this.onError = onError;
    this.afterCallback = afterCallback;
    this.runtime = null;
    // Timer and frame ids the page holds a callback for, to release it on clear.
    this.timers = new Map();
    this.frames = new Map();
    this.hashListener = null;
    this.onHashChange = (event) => {
      if (this.hashListener === null) return;
      const oldHash = event.oldURL ? new URL(event.oldURL).hash : '';
      this.call(this.hashListener, [this.window.location.hash, oldHash], false);
    };
  }

  // The runtime whose fns the callbacks are (created after this object, as
  // it needs `carryOut`).
  attach(runtime) {
    this.runtime = runtime;
  }

  // Calls the callback `fn` with JS arguments; `once` releases it after.
  call(fn, args, once) {
    const rt = this.runtime;
    try {
      rt.invoke(fn.handle, args.map((arg) => rt.box(arg)));
    } catch (error) {
      this.onError(error);
    } finally {
      if (once) rt.release(fn.handle);
      rt.safePoint();
    }
    this.afterCallback();
  }

  // Carries out one request; returns the reply or throws to refuse it.
  carryOut([op, ...args]) {
    const name = op?.name;
    const w = this.window;
    const refuse = () => {
      throw new Error(`jank.browser: no effect ${name} taking ${kinds(args)}`);
    };
    switch (name) {
      case 'set-timeout': {
        const [fn, ms] = args;
        if (!isFn(fn) || typeof ms !== 'number' || args.length !== 2) refuse();
        const id = w.setTimeout(() => {
          this.timers.delete(id);
          this.call(fn, [], true);
        }, ms);
        this.timers.set(id, fn);
        return id;
      }
      case 'clear-timeout':
      case 'cancel-animation-frame': {
        const [id] = args;
        if (args.length !== 1 || (id !== null && typeof id !== 'number')) refuse();
        const held = name === 'clear-timeout' ? this.timers : this.frames;
        const fn = held.get(id);
        if (fn) {
          held.delete(id);
          if (name === 'clear-timeout') w.clearTimeout(id);
          else w.cancelAnimationFrame(id);
          this.runtime.release(fn.handle);
        }
        return null;
      }
      case 'request-animation-frame': {
        const [fn] = args;
        if (!isFn(fn) || args.length !== 1) refuse();
        const id = w.requestAnimationFrame((time) => {
          this.frames.delete(id);
          this.call(fn, [time], true);
        });
        this.frames.set(id, fn);
        return id;
      }
      case 'fetch': {
        const [url, fn] = args;
        if (typeof url !== 'string' || !isFn(fn) || args.length !== 2) refuse();
        w.fetch(url).then(
          async (response) => this.call(fn, [response.status, await response.text(), null], true),
          (error) => {
            const message = `${url}: ${error.message}`;
            this.onError(new Error(message), 'Fetch failed');
            this.call(fn, [null, null, message], true);
          },
        );
        return null;
      }
      case 'local-storage-get':
        if (typeof args[0] !== 'string' || args.length !== 1) refuse();
        return w.localStorage.getItem(args[0]);
      case 'local-storage-set':
        if (typeof args[0] !== 'string' || typeof args[1] !== 'string' || args.length !== 2) refuse();
        w.localStorage.setItem(args[0], args[1]);
        return null;
      case 'local-storage-remove':
        if (typeof args[0] !== 'string' || args.length !== 1) refuse();
        w.localStorage.removeItem(args[0]);
        return null;
      case 'log':
        if (typeof args[0] !== 'string' || args.length !== 1) refuse();
        w.console.log(args[0]);
        return null;
      case 'set-title':
        if (typeof args[0] !== 'string' || args.length !== 1) refuse();
        w.document.title = args[0];
        return null;
      case 'location-hash':
        if (args.length !== 0) refuse();
        return w.location.hash;
      case 'set-location-hash':
        if (typeof args[0] !== 'string' || args.length !== 1) refuse();
        w.location.hash = args[0];
        return null;
      case 'on-hash-change': {
        const [fn] = args;
        if (args.length !== 1 || (fn !== null && !isFn(fn))) refuse();
        if (this.hashListener) this.runtime.release(this.hashListener.handle);
        else if (fn) w.addEventListener('hashchange', this.onHashChange);
        if (!fn) w.removeEventListener('hashchange', this.onHashChange);
        this.hashListener = fn;
        return null;
      }
      default:
        return refuse();
    }
  }
}
