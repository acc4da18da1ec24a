// client.js: the page side of `jankwasm serve`. It keeps a WebSocket to the
// server, loads every patch the server pushes into the page's jank runtime,
// acknowledges each load, and shows a connection badge and an error overlay.
//
// Protocol (JSON text frames on ws://<host>:<ws-port>/repl, compatible with
// the seed prototype's browser client, plus acknowledgements):
//   page → server  {"type":"handshake","client":"jank-wasm-browser","version":"1.0.0",
//                   "last_patch_id":N|null}   (the highest patch id this page has loaded)
//   server → page  {"type":"handshake_ack","server":...,"version":...,"replay":n}
//   server → page  {"type":"patch","id":N,"data":<base64 wasm>,
//                   "symbolName":"jank_patch_symbols_<id>","symbols":[...],"timestamp":ms}
//   page → server  {"type":"patch_ack","id":N,"ok":bool,"error":string|null,"load_ms":number,
//                   "results":[{"name":"ns/x","value":"<pr-str>"} | {"name":...,"error":"<printed exception>"}],
//                   "output":"<stdout of the load>","stderr":"<stderr of the load>"}
//   server → page  {"type":"error","kind":"compile"|...,"error":"<text>","diagnostics":[...]}
//                   shown in the overlay
//   page → server  {"type":"eval","code":"<jank source>","ns":"demo.app","request_id":"page-1",
//                   "timestamp":ms}   from the page's REPL box or jankClient.eval(code)
//   server → page  {"type":"eval_result","request_id":...,"result":"<pr-str of the last form>",
//                   "values":[...],"output":"...","errors":[...]}  the answer to that eval,
//                   given by this page's own load of the forms (definitions reach every
//                   page; the other forms run in this page only)
//   server → page  {"type":"error","request_id":...}  an eval that did not compile
//   server → page  {"type":"stylesheet","path":"/css/app.css"}  a saved stylesheet: every
//                   <link rel="stylesheet"> with that URL path is swapped for a fresh copy
// A patch's `symbols` entries may say `"hooks":["before-load"|"after-load"]`
// (the def's ^:dev/before-load or ^:dev/after-load metadata): the page calls
// each such fn, with no arguments, before or after every later patch it
// loads. A failing hook is shown in the HUD; the patch loads regardless.
// src/serve/protocol.rs is the authoritative description. Patches are loaded
// one at a time in the order they arrive. After a disconnect the client
// reconnects with exponential backoff (0.25 s doubling to 5 s) and handshakes
// again with last_patch_id; the server then resends the definitions the page
// lacks.
//
// Two back-ends, chosen by what the page provides (or forced with
// <meta name="jank-backend" content="stub|emscripten">):
//   emscripten  The page is jank's real WebAssembly build, an Emscripten
//               MAIN_MODULE exposing `Module` with `FS` and `ccall`. Each
//               patch is written to Module.FS at /tmp/jank_patch_<id>.wasm (a
//               new path per patch: dlopen returns the old handle for a
//               reused path) and loaded with
//               Module.ccall('jank_hot_reload_load_patch', 'number',
//               ['string', 'string'], [path, symbolName]); 0 means loaded.
//               jank's registry reports no values, so `results` is empty and
//               printed output goes to the page's own Module.print.
//   stub        The demo host, for machines without jank: runtime-abi's stub
//               main module (from <meta name="jank-stub-url">, else the
//               server's config.json `stub_url`, else jank_stub.wasm beside
//               this script) with loader.js linking patches exactly as
//               wasmtime-harness does; values and exceptions are reported per
//               registry entry. If the page has an element with
//               data-jank-app, the app in it is rendered with hiccup.js:
//               data-jank-app names the namespace (default demo.app), whose
//               `state` atom, `view` fn, `handle` fn and optional `init`
//               fn app-host.js uses; data-jank-state, data-jank-view,
//               data-jank-handle and data-jank-init name other vars of
//               that namespace instead.
//
// Where the server is: ?ws=<url> in the page's address, else
// <meta name="jank-ws-url" content="ws://...">, else
// <meta name="jank-ws-port" content="7888"> on the page's host, else
// `ws_url` from config.json beside this script (the server serves the
// browser files and /_jankwasm/config.json under /_jankwasm/), else
// ws://<page host>:7888/repl. A page includes the client with
// <script type="module" src="/_jankwasm/start.js"></script>.

import { JankRuntime, LoadError } from './loader.js';
import { AppHost, DEFAULT_APP } from './app-host.js';
import { PageEffects } from './effects.js';
import { renderEncoded, renderedBytes } from './hiccup.js';
import { eventData, handlerArgument } from './events.js';

export const CLIENT_NAME = 'jank-wasm-browser';
export const CLIENT_VERSION = '1.0.0';
const DEFAULT_WS_PORT = 7888;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5000;

export function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

// The demo host's back-end: the stub runtime, and the app it renders.
export class StubBackend {
  static async create(stubSource, { appNames, onWrite, effects } = {}) {
    const runtime = await JankRuntime.create(stubSource, {
      onWrite,
      ...(effects ? { effects: (request) => effects.carryOut(request) } : {}),
    });
    effects?.attach(runtime);
    return new StubBackend(runtime, appNames, effects);
  }

  constructor(runtime, appNames, effects = null) {
    this.kind = 'stub';
    this.runtime = runtime;
    // The page's jank.browser effects (effects.js), for the console and tests.
    this.effects = effects;
    this.app = appNames ? new AppHost(runtime, appNames) : null;
  }

  // Loads one patch: `{ok, error, results, output}`. An entry that throws
  // makes the load fail with that exception (entries after it do not run).
  async load(bytes, symbolName) {
    try {
      const outcomes = await this.runtime.loadPatch(bytes, symbolName);
      const results = outcomes.map((o) => ('error' in o ? { name: o.name, error: o.error } : { name: o.name, value: o.value }));
      const failed = outcomes.find((o) => 'error' in o);
      return {
        ok: !failed,
        error: failed ? `${failed.name}: uncaught exception: ${failed.error}` : null,
        results,
        ...this.printed(),
      };
    } catch (error) {
      return { ok: false, error: error.message, results: [], ...this.printed() };
    }
  }

  printed() {
    return { output: this.runtime.takeOutput(), stderr: this.runtime.takeStderr() };
  }

  // Calls the fn of the var `ns/name` with no arguments; returns an error
  // text, or null. What it prints goes to the console.
  callHook(qualified) {
    const slash = qualified.indexOf('/');
    try {
      const rt = this.runtime;
      rt.invoke(rt.deref(rt.intern(qualified.slice(0, slash), qualified.slice(slash + 1))), []);
      rt.safePoint();
      return null;
    } catch (error) {
      return errorMessage(error);
    } finally {
      const output = this.runtime.takeOutput();
      if (output) console.info(output);
    }
  }
}

// jank's real runtime, an Emscripten MAIN_MODULE.
export class EmscriptenBackend {
  constructor(module) {
    this.kind = 'emscripten';
    this.module = module;
    this.app = null;
  }

  async load(bytes, symbolName, id) {
    const path = `/tmp/jank_patch_${id}.wasm`;
    try {
      const fs = this.module.FS;
      if (!fs.analyzePath('/tmp').exists) fs.mkdir('/tmp');
      fs.writeFile(path, bytes);
      const status = this.module.ccall('jank_hot_reload_load_patch', 'number', ['string', 'string'], [path, symbolName]);
      return {
        ok: status === 0,
        error: status === 0 ? null : `jank_hot_reload_load_patch(${path}, ${symbolName}) returned ${status}`,
        results: [],
        output: '',
        stderr: '',
      };
    } catch (error) {
      return { ok: false, error: error.message, results: [], output: '', stderr: '' };
    }
  }
}

// Loads a `patch` message with `backend` and builds its `patch_ack`.
export async function acknowledge(backend, message) {
  const started = now();
  const refused = (error) => ({ ok: false, error, results: [], output: '', stderr: '' });
  let outcome;
  if (!Number.isSafeInteger(message.id) || message.id < 0) {
    outcome = refused('malformed patch message: id must be a non-negative integer');
  } else if (typeof message.data !== 'string' || typeof message.symbolName !== 'string') {
    outcome = refused('malformed patch message: data and symbolName must be strings');
  } else {
    let bytes = null;
    try {
      bytes = decodeBase64(message.data);
    } catch {
      outcome = refused('malformed patch message: data is not base64');
    }
    if (bytes) outcome = await backend.load(bytes, message.symbolName, message.id);
  }
  return {
    type: 'patch_ack',
    id: message.id,
    ok: outcome.ok,
    error: outcome.error,
    load_ms: now() - started,
    results: outcome.results,
    output: outcome.output,
    stderr: outcome.stderr,
  };
}

// The text a server `error` message carries, whatever its shape: a string,
// `{message}`, or a list of diagnostics.
export function errorText(message) {
  const body = message.error ?? message.message ?? message.diagnostics ?? message;
  const describe = (item) => {
    if (typeof item === 'string') return item;
    if (item && typeof item === 'object') {
      if (typeof item.rendered === 'string') return item.rendered;
      const where = [item.file, item.line, item.col ?? item.column].filter((p) => p !== undefined && p !== null).join(':');
      if (typeof item.message === 'string') return where ? `${where}: ${item.message}` : item.message;
      if (Array.isArray(item.diagnostics)) return item.diagnostics.map(describe).join('\n');
    }
    return JSON.stringify(item);
  };
  return Array.isArray(body) ? body.map(describe).join('\n') : describe(body);
}

const STYLE = `
#jank-badge{position:fixed;right:10px;top:10px;z-index:2147483646;font:12px/1.4 system-ui,sans-serif;
  padding:3px 9px;border-radius:10px;color:#fff;background:#8a8a8a;box-shadow:0 1px 4px rgba(0,0,0,.3)}
#jank-badge[data-status=connected]{background:#2e7d32}
#jank-badge[data-status=disconnected]{background:#c62828}
#jank-overlay{position:fixed;left:0;right:0;top:0;max-height:45vh;z-index:2147483647;background:rgba(30,0,0,.92);
  color:#fff;font:14px/1.5 ui-monospace,monospace;padding:20px 32px;overflow:auto;box-shadow:0 2px 12px rgba(0,0,0,.4)}
#jank-overlay[hidden]{display:none}
#jank-overlay h2{margin:0 0 12px;color:#ff8a80;font:600 18px system-ui,sans-serif}
#jank-overlay pre{white-space:pre-wrap;margin:0}
#jank-overlay button{position:absolute;top:12px;right:16px;font-size:18px;background:none;color:#fff;border:0;cursor:pointer}
#jank-repl{position:fixed;left:10px;bottom:10px;z-index:2147483645;display:flex;flex-direction:column;gap:4px;
  font:13px/1.4 ui-monospace,monospace;max-width:60vw}
#jank-repl input{font:inherit;width:28rem;max-width:60vw;padding:3px 8px;border:1px solid #bbb;border-radius:6px}
#jank-repl output{white-space:pre-wrap;padding:2px 8px;border-radius:4px;background:rgba(255,255,255,.92);
  box-shadow:0 1px 4px rgba(0,0,0,.2)}
#jank-repl output:empty{display:none}
#jank-repl output[data-ok=false]{color:#b71c1c}
`;

// The badge and the error overlay: a panel along the top of the page, so
// the app below it stays usable (it keeps running its last good definitions)
// and the REPL box in the bottom left corner stays in view.
export class PageUi {
  constructor(document) {
    this.document = document;
    const style = document.createElement('style');
    style.textContent = STYLE;
    document.head.appendChild(style);
    this.badge = document.createElement('div');
    this.badge.id = 'jank-badge';
    this.overlay = document.createElement('div');
    this.overlay.id = 'jank-overlay';
    this.overlay.hidden = true;
    this.overlay.setAttribute('role', 'alert');
    this.overlayTitle = document.createElement('h2');
    this.overlayText = document.createElement('pre');
    const close = document.createElement('button');
    close.textContent = '×';
    close.title = 'dismiss';
    close.addEventListener('click', () => this.clearError());
    this.overlay.append(close, this.overlayTitle, this.overlayText);
    this.repl = this.replBox(document);
    document.body.append(this.badge, this.overlay, this.repl.form);
    this.setStatus('connecting', 'connecting…');
    // Set by start(): evaluates a line typed into the REPL box.
    this.onEval = null;
  }

  // A one-line REPL: the code goes to the server as an `eval`, and the
  // answer (this page's values, printed output, errors) shows above it.
  replBox(document) {
    const form = document.createElement('form');
    form.id = 'jank-repl';
    const output = document.createElement('output');
    const input = document.createElement('input');
    input.name = 'code';
    input.autocomplete = 'off';
    input.spellcheck = false;
    input.placeholder = 'jank> evaluate in the page';
    form.append(output, input);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const code = input.value.trim();
      if (!code || !this.onEval) return;
      const answer = await this.onEval(code);
      output.dataset.ok = String(answer.ok);
      output.textContent = replText(answer);
      if (answer.ok) input.value = '';
    });
    return { form, output, input };
  }

  setStatus(status, label) {
    this.badge.dataset.status = status;
    this.badge.textContent = `jank: ${label}`;
  }

  showError(title, text) {
    this.overlayTitle.textContent = title;
    this.overlayText.textContent = text;
    this.overlay.hidden = false;
  }

  clearError() {
    this.overlay.hidden = true;
  }
}

// What the REPL box shows for an eval's answer.
export function replText(answer) {
  const lines = [];
  if (answer.output) lines.push(answer.output.replace(/\n$/, ''));
  if (answer.ok) lines.push(`=> ${answer.value ?? 'nil'}`);
  else lines.push(answer.error);
  return lines.join('\n');
}

const ERROR_TITLES = { compile: 'Compile error', eval: 'Evaluation error', protocol: 'Protocol error' };

// The WebSocket session: handshake, patches, acknowledgements, reconnects.
export class HotReloadClient {
  constructor({ url, backend, ui, render, WebSocketImpl = globalThis.WebSocket, log = console }) {
    this.url = url;
    this.backend = backend;
    this.ui = ui;
    this.render = render;
    this.WebSocketImpl = WebSocketImpl;
    this.log = log;
    this.socket = null;
    this.status = 'connecting';
    this.backoff = BACKOFF_FIRST_MS;
    this.loads = Promise.resolve();
    this.acks = [];
    // The highest patch id loaded (or tried), sent with every handshake so a
    // reconnect is not sent what the page has.
    this.lastPatchId = null;
    this.stopped = false;
    // The page's `eval`s awaiting their answer, by request_id.
    this.pendingEvals = new Map();
    this.evalCount = 0;
    // The reload hooks the patches so far defined: "ns/name" → ["before-load", ...].
    this.hooks = new Map();
    this.document = ui?.document ?? globalThis.document;
  }

  // Calls every hook of `kind`; returns the error texts of those that threw.
  runHooks(kind) {
    if (typeof this.backend.callHook !== 'function') return [];
    const errors = [];
    for (const [name, kinds] of this.hooks) {
      if (!kinds.includes(kind)) continue;
      const error = this.backend.callHook(name);
      if (error) errors.push(`${name} (${kind}): ${error}`);
    }
    return errors;
  }

  // Records the hooks (or their end) that a loaded patch's defs declare.
  learnHooks(symbols) {
    if (!Array.isArray(symbols)) return;
    for (const symbol of symbols) {
      if (symbol?.signature === 'eval' || typeof symbol?.name !== 'string') continue;
      const kinds = Array.isArray(symbol.hooks) ? symbol.hooks : [];
      if (kinds.length) this.hooks.set(symbol.name, kinds);
      else this.hooks.delete(symbol.name);
    }
  }

  // Sends `code` to be evaluated (in `ns`, else the server's default) and
  // resolves with `{ok, value, values, output, error}` once this page has
  // run it; never rejects.
  eval(code, ns = null) {
    if (!this.socket || this.socket.readyState !== 1) {
      return Promise.resolve({ ok: false, error: 'not connected to jankwasm serve', values: [], output: '' });
    }
    this.evalCount += 1;
    const requestId = `page-${this.evalCount}`;
    const answered = new Promise((resolve) => this.pendingEvals.set(requestId, resolve));
    this.send({ type: 'eval', code, ns, request_id: requestId, timestamp: Date.now() });
    return answered;
  }

  // Answers the pending eval `message` names; false when it names none.
  settleEval(message, answer) {
    const resolve = this.pendingEvals.get(message.request_id);
    if (!resolve) return false;
    this.pendingEvals.delete(message.request_id);
    resolve(answer);
    return true;
  }

  connect() {
    if (this.stopped) return;
    const socket = new this.WebSocketImpl(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.send({ type: 'handshake', client: CLIENT_NAME, version: CLIENT_VERSION, last_patch_id: this.lastPatchId });
    });
    socket.addEventListener('message', (event) => this.onMessage(event.data));
    socket.addEventListener('close', () => this.onClose(socket));
    // A failed connection also closes; the retry is scheduled there.
    socket.addEventListener('error', () => {});
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close();
  }

  onClose(socket) {
    if (socket !== this.socket || this.stopped) return;
    for (const resolve of this.pendingEvals.values()) {
      resolve({ ok: false, error: 'disconnected before the answer came', values: [], output: '' });
    }
    this.pendingEvals.clear();
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.setStatus('disconnected', `disconnected, retrying in ${(delay / 1000).toFixed(1)} s`);
    setTimeout(() => this.connect(), delay);
  }

  setStatus(status, label) {
    this.status = status;
    this.ui?.setStatus(status, label);
  }

  send(message) {
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(message));
  }

  onMessage(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      this.log.warn('jank: ignoring a frame that is not JSON', data);
      return;
    }
    switch (message.type) {
      case 'handshake_ack':
        this.backoff = BACKOFF_FIRST_MS;
        this.setStatus('connected', 'connected');
        break;
      case 'patch':
        // A failure here must not stop the chain: later patches still load.
        this.loads = this.loads
          .then(() => this.onPatch(message))
          .catch((error) => this.log.error('jank: handling a patch failed', error));
        break;
      case 'error':
        // A compile error is also broadcast for every page's overlay, so an
        // answer to this page's eval goes to the REPL box only.
        if (!this.settleEval(message, { ok: false, error: errorText(message), values: [], output: '' })) {
          this.ui?.showError(ERROR_TITLES[message.kind] ?? 'Error', errorText(message));
        }
        break;
      case 'eval_result': {
        const errors = Array.isArray(message.errors) ? message.errors : [];
        const answer = {
          ok: errors.length === 0,
          value: message.result ?? null,
          values: Array.isArray(message.values) ? message.values : [],
          output: typeof message.output === 'string' ? message.output : '',
          error: errors.join('\n') || null,
        };
        if (!this.settleEval(message, answer)) this.log.info('jank:', message.result ?? message);
        break;
      }
      case 'stylesheet':
        if (typeof message.path === 'string' && this.document) reloadStylesheet(this.document, message.path);
        break;
      default:
        this.log.warn(`jank: ignoring a message of type ${message.type}`);
    }
  }

  async onPatch(message) {
    const hookErrors = this.runHooks('before-load');
    const ack = await acknowledge(this.backend, message);
    if (Number.isSafeInteger(message.id)) this.lastPatchId = Math.max(this.lastPatchId ?? message.id, message.id);
    if (ack.output) this.log.info(ack.output);
    if (ack.stderr) this.log.error(ack.stderr);
    if (ack.ok) hookErrors.push(...this.runHooks('after-load'));
    let renderError = null;
    if (ack.ok && this.render) renderError = this.render();
    this.acks.push(ack);
    this.send(ack);
    // Hooks run around the patches after the one defining them.
    if (ack.ok) this.learnHooks(message.symbols);
    // A form that threw: its exception with the jank frames it passed.
    const thrown = (ack.results ?? []).filter((result) => result.error).map((result) => result.error);
    if (!ack.ok) this.ui?.showError('Load error', ack.error);
    else if (thrown.length) this.ui?.showError('Runtime error', thrown.join('\n'));
    else if (renderError) this.ui?.showError('Runtime error', renderError);
    else if (hookErrors.length) this.ui?.showError('Reload hook error', hookErrors.join('\n'));
    else this.ui?.clearError();
  }
}

// Swaps every stylesheet link whose URL path is `path` for a fresh copy of
// the file; the old link goes once the new one has loaded, so the page is
// never unstyled. Returns how many links were swapped.
export function reloadStylesheet(document, path) {
  let swapped = 0;
  for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
    const url = new URL(link.href, document.baseURI);
    if (url.pathname !== path || link.dataset.jankReplaced) continue;
    url.searchParams.set('jank-reload', String(Date.now()));
    const fresh = link.cloneNode();
    fresh.href = url.href;
    link.dataset.jankReplaced = 'true';
    const drop = () => link.remove();
    fresh.addEventListener('load', drop, { once: true });
    fresh.addEventListener('error', drop, { once: true });
    link.after(fresh);
    swapped += 1;
  }
  return swapped;
}

function meta(document, name) {
  return document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? null;
}

// The server's config.json beside this script, or {} when there is none.
async function serverConfig() {
  try {
    const response = await fetch(new URL('config.json', import.meta.url), { cache: 'no-store' });
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

// Where the WebSocket server is, from the page or `config` (see the header
// comment).
export function serverUrl(location, document, config = {}) {
  const fromQuery = new URLSearchParams(location.search).get('ws');
  if (fromQuery) return fromQuery;
  const fromMeta = meta(document, 'jank-ws-url');
  if (fromMeta) return fromMeta;
  const host = location.hostname || '127.0.0.1';
  const port = meta(document, 'jank-ws-port');
  if (!port && typeof config.ws_url === 'string') return config.ws_url;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port ?? DEFAULT_WS_PORT}/repl`;
}

// Where the stub main module is.
export function stubUrl(location, document, config = {}) {
  const chosen = meta(document, 'jank-stub-url') ?? config.stub_url;
  return chosen ? new URL(chosen, location.href) : new URL('jank_stub.wasm', import.meta.url);
}

// Waits for an Emscripten Module's runtime to be initialized.
function emscriptenReady(module) {
  if (module.calledRun) return Promise.resolve();
  return new Promise((resolve) => {
    const previous = module.onRuntimeInitialized;
    module.onRuntimeInitialized = () => {
      if (previous) previous();
      resolve();
    };
  });
}

// The text an error from jank or the renderer shows in the HUD.
function errorMessage(error) {
  return error instanceof LoadError ? error.printed ?? error.message : String(error);
}

// Renders the app into its element and sends its events to jank. A render
// after an event waits for the next animation frame (many events, one
// render) and happens only when the state's value or the view fn changed; a
// patch renders at once, as it may have changed anything the view calls.
// A failed render leaves the last good DOM in place.
export class AppRenderer {
  constructor({ backend, element, ui, log, window = globalThis }) {
    this.backend = backend;
    this.app = backend.app;
    this.element = element;
    this.ui = ui;
    this.log = log;
    this.window = window;
    this.frameRequested = false;
    this.collectionPending = false;
    // The two buffers views are copied into, in turn (see viewBuffer).
    this.buffers = [null, null];
    this.onEvent = (handler, domEvent) => this.handleEvent(handler, domEvent);
  }

  // A Uint8Array of `length` bytes to copy a view into: of the renderer's
  // two buffers, the one the element's last render does not hold (that
  // render's bytes are what this one is compared with). Reusing them
  // spares the browser a fresh allocation of the whole page's encoding
  // (half a megabyte for 5,000 table rows) on every render.
  viewBuffer(length) {
    const held = renderedBytes(this.element)?.buffer;
    const slot = this.buffers[0] !== null && this.buffers[0] === held ? 1 : 0;
    if (this.buffers[slot] === null || this.buffers[slot].byteLength < length) {
      this.buffers[slot] = new ArrayBuffer(length + (length >>> 2));
    }
    return new Uint8Array(this.buffers[slot], 0, length);
  }

  // Renders now; returns an error text for the HUD, or null.
  render({ force = true } = {}) {
    try {
      if (!this.app.ready()) return null;
      this.app.initialize();
      const view = this.app.view({ force, into: (length) => this.viewBuffer(length) });
      if (view !== null) {
        this.collectLater();
        renderEncoded(this.element, view, this.onEvent);
      }
      return null;
    } catch (error) {
      this.collectLater();
      return errorMessage(error);
    } finally {
      this.flushOutput();
    }
  }

  // Collects the view's garbage (the hiccup of a whole page) in a task of
  // its own, which runs once the frame showing the render is drawn: the
  // collection is no part of the time from a change to its paint. A safe
  // point reached sooner (an event's) collects it instead.
  collectLater() {
    if (this.collectionPending) return;
    this.collectionPending = true;
    this.window.setTimeout(() => {
      this.collectionPending = false;
      try {
        this.backend.runtime.safePoint();
      } catch (error) {
        this.ui.showError('Runtime error', errorMessage(error));
      }
    }, 0);
  }

  // Asks for a render at the next animation frame (a hidden page gets no
  // frames, so there it renders on the next turn of the event loop).
  schedule() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    const run = () => {
      this.frameRequested = false;
      const error = this.render({ force: false });
      if (error) this.ui.showError('Runtime error', error);
    };
    const visible = this.window.document?.visibilityState !== 'hidden';
    if (visible && typeof this.window.requestAnimationFrame === 'function') this.window.requestAnimationFrame(run);
    else setTimeout(run, 0);
  }

  handleEvent(handler, domEvent) {
    try {
      this.app.dispatch(handlerArgument(handler, eventData(domEvent)));
    } catch (error) {
      this.ui.showError('Runtime error', errorMessage(error));
    }
    this.flushOutput();
    this.schedule();
  }

  flushOutput() {
    const output = this.backend.runtime.takeOutput();
    if (output) this.log.info(output);
  }
}

// The app's names from its element's data attributes (DEFAULT_APP for those
// missing).
export function appConfig(element) {
  const names = { ns: element.dataset.jankApp || DEFAULT_APP.ns };
  if (element.dataset.jankState) names.state = element.dataset.jankState;
  if (element.dataset.jankView) names.view = element.dataset.jankView;
  if (element.dataset.jankHandle) names.handler = element.dataset.jankHandle;
  if (element.dataset.jankInit) names.init = element.dataset.jankInit;
  return names;
}

// Starts the client in a page: picks the back-end, builds the UI, connects.
export async function start({ window = globalThis, log = console } = {}) {
  const document = window.document;
  const ui = new PageUi(document);
  const config = await serverConfig();
  const forced = meta(document, 'jank-backend');
  const module = window.Module;
  const useEmscripten = forced ? forced === 'emscripten' : Boolean(module && module.ccall && module.FS);
  // The app the page renders, and the namespace its REPL box evaluates in.
  const appElement = document.querySelector('[data-jank-app]');
  const appNs = appElement ? appConfig(appElement).ns : null;
  let backend;
  let render = null;
  let renderer = null;
  try {
    if (useEmscripten) {
      await emscriptenReady(module);
      backend = new EmscriptenBackend(module);
    } else {
      const appNames = appElement ? appConfig(appElement) : undefined;
      // jank.browser's effects; a callback's throw goes to the HUD, and its
      // state changes render at the next frame.
      const effects = new PageEffects({
        window,
        onError: (error, title = 'Effect callback error') => ui.showError(title, errorMessage(error)),
        afterCallback: () => {
          renderer?.flushOutput();
          renderer?.schedule();
        },
      });
      backend = await StubBackend.create(stubUrl(window.location, document, config), { appNames, effects });
      if (appElement) {
        renderer = new AppRenderer({ backend, element: appElement, ui, log, window });
        render = () => renderer.render();
      }
    }
  } catch (error) {
    ui.setStatus('disconnected', 'runtime failed to start');
    ui.showError('Runtime error', `the jank runtime could not start: ${error.message}`);
    throw error;
  }
  const client = new HotReloadClient({ url: serverUrl(window.location, document, config), backend, ui, render, log });
  // The app's renderer, for the console and benchmarks (null without an app).
  client.renderer = renderer;
  ui.onEval = (code) => client.eval(code, appNs);
  window.jankClient = client;
  client.connect();
  return client;
}
