// drive.mjs: runs a script of steps against src/serve/web's loader, app host
// and patch acknowledgement in Node, for tests/browser/web_loader.rs. Reads
// {"stub": path, "app": {...}|null, "steps": [...]} as JSON on stdin and
// prints one JSON result per step (a JSON array) on stdout. A step that fails
// reports its error instead of stopping the script.
//
// Steps:
//   {"op":"load","file":F,"symbol":S}    → {"outcomes":[...],"output":..} | {"loadError":{kind,code,message}}
//   {"op":"ack","file":F,"id":N,"symbol":S} → the patch_ack the page would send (load_ms dropped)
//   {"op":"ackMessage","message":M}      → the patch_ack for the patch message M as given
//   {"op":"call","ns":..,"name":..,"args":[1,"s",{"keyword":"k"}]} → {"value":..,"output":..} | {"thrown":..}
//   {"op":"view"}                        → {"text":..,"buttons":[..]} of the app's rendered hiccup
//   {"op":"click","button":TEXT}         → dispatches that button's :on-click value → {"returned":..}
//   {"op":"state"}                       → {"state": pr-str of @state}
//   {"op":"event","on":EDN,"event":E}    → calls the handler as an `:on-*` value EDN would be
//                                          for the fake DOM event E → {"returned":..}
//   {"op":"decodes","ns":..,"name":..}   → {"decoded": whether decode.js reads the var's value
//                                          exactly as edn.js reads its pr-str, "printed":..}
//   {"op":"patches"}                     → {"patches":[{symbolsExport,memoryBase,tableBase,memSize,tableSize}]}
//   {"op":"stack"}                       → {"stackPointer": the stub's __stack_pointer}
//   {"op":"clientEvals"}                 → what the page client's `eval` sent and resolved to,
//                                          against a scripted WebSocket (see clientEvals below)

import { readFileSync } from 'node:fs';
import { JankRuntime, JankThrown, LoadError, keyword } from '../../src/serve/web/loader.js';
import { AppHost } from '../../src/serve/web/app-host.js';
import { HotReloadClient, StubBackend, acknowledge, replText } from '../../src/serve/web/client.js';
import { elementsOf, textOf, toNodes } from '../../src/serve/web/hiccup.js';
import { decodeValue } from '../../src/serve/web/decode.js';
import { readEdn } from '../../src/serve/web/edn.js';
import { eventData, handlerArgument } from '../../src/serve/web/events.js';
import { isDeepStrictEqual } from 'node:util';

const input = JSON.parse(readFileSync(0, 'utf8'));
const runtime = await JankRuntime.create(readFileSync(input.stub));
const app = new AppHost(runtime, input.app ?? {});
const backend = new StubBackend(runtime, input.app ?? {});

const toArg = (arg) => (arg && typeof arg === 'object' && 'keyword' in arg ? keyword(arg.keyword) : arg);
const failure = (error) => {
  if (error instanceof JankThrown) return { thrown: error.printed, output: runtime.takeOutput() };
  if (error instanceof LoadError) {
    return { loadError: { kind: error.kind, code: error.code ?? null, message: error.message }, output: runtime.takeOutput() };
  }
  return { jsError: String(error.stack ?? error) };
};

function withoutTiming(ack) {
  if (!(typeof ack.load_ms === 'number' && ack.load_ms >= 0)) throw new Error(`bad load_ms ${ack.load_ms}`);
  delete ack.load_ms;
  return ack;
}

function rendered() {
  const nodes = toNodes(decodeValue(app.view()));
  return { nodes, text: textOf(nodes), buttons: elementsOf(nodes).filter((n) => n.tag === 'button') };
}

async function run(step) {
  switch (step.op) {
    case 'load': {
      const outcomes = await runtime.loadPatch(readFileSync(step.file), step.symbol);
      return { outcomes, output: runtime.takeOutput() };
    }
    case 'ack': {
      const message = {
        type: 'patch',
        id: step.id,
        data: readFileSync(step.file).toString('base64'),
        symbolName: step.symbol,
        symbols: [],
        timestamp: Date.now(),
      };
      return withoutTiming(await acknowledge(backend, message));
    }
    case 'ackMessage':
      return withoutTiming(await acknowledge(backend, step.message));
    case 'call': {
      const value = runtime.callVar(step.ns, step.name, (step.args ?? []).map(toArg));
      return { value, output: runtime.takeOutput() };
    }
    case 'view': {
      const { text, buttons } = rendered();
      return { text, buttons: buttons.map((b) => textOf(b.children)) };
    }
    case 'click': {
      const button = rendered().buttons.find((b) => textOf(b.children) === step.button);
      if (!button) throw new Error(`no button ${JSON.stringify(step.button)}`);
      if (!('click' in button.events)) throw new Error(`button ${step.button} has no :on-click`);
      return { returned: app.dispatch(button.events.click.handler), output: runtime.takeOutput() };
    }
    case 'state':
      return { state: app.statePrinted() };
    case 'event': {
      const argument = handlerArgument(readEdn(step.on), eventData(step.event));
      return { returned: app.dispatch(argument), output: runtime.takeOutput() };
    }
    case 'decodes': {
      const value = runtime.invoke(runtime.intern(step.ns, step.name), []);
      const printed = runtime.prStr(value);
      const decoded = decodeValue(runtime.encoded(value));
      runtime.safePoint();
      return { decoded: isDeepStrictEqual(decoded, readEdn(printed)), printed };
    }
    case 'patches':
      return {
        patches: runtime.patches.map((p) => ({
          symbolsExport: p.symbolsExport,
          memoryBase: p.memoryBase,
          tableBase: p.tableBase,
          memSize: p.dylink.memSize,
          tableSize: p.dylink.tableSize,
        })),
      };
    case 'stack':
      return { stackPointer: runtime.stackPointer.value };
    case 'clientEvals':
      return clientEvals();
    default:
      throw new Error(`unknown step ${step.op}`);
  }
}

// A WebSocket the script plays the server of: it records what the client
// sends and delivers what the script says.
class ScriptedSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.sent = [];
    this.listeners = {};
    ScriptedSocket.last = this;
  }
  addEventListener(type, listener) {
    (this.listeners[type] ??= []).push(listener);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = 3;
  }
  fire(type, data) {
    for (const listener of this.listeners[type] ?? []) listener({ data });
  }
}

// The page's `eval`: the request it sends, an answer and a compile error
// routed by request_id (the error to the REPL, not the overlay), an error
// for nobody (to the overlay), a disconnect settling what is pending, and
// an eval while not connected.
async function clientEvals() {
  const overlay = [];
  const ui = { setStatus() {}, showError: (title, text) => overlay.push({ title, text }), clearError() {} };
  const quiet = { info() {}, warn() {}, error() {} };
  const client = new HotReloadClient({ url: 'ws://scripted/repl', backend, ui, render: null, WebSocketImpl: ScriptedSocket, log: quiet });
  client.connect();
  const socket = ScriptedSocket.last;
  socket.fire('open');
  const answered = client.eval('(+ 1 2)', 'demo.app');
  const failed = client.eval('(+ 1');
  const dropped = client.eval(':never-answered');
  socket.fire('message', JSON.stringify({ type: 'eval_result', request_id: 'page-1', result: '3', values: ['3'], output: 'hi\n', errors: [] }));
  socket.fire('message', JSON.stringify({ type: 'error', kind: 'compile', request_id: 'page-2', error: '<page>:1:1: error: unterminated list' }));
  socket.fire('message', JSON.stringify({ type: 'error', kind: 'compile', error: 'broadcast to every page' }));
  socket.readyState = 3;
  socket.fire('close');
  client.stop();
  const settled = { answered: await answered, failed: await failed, dropped: await dropped };
  return {
    sent: socket.sent,
    ...settled,
    shown: replText(settled.answered),
    offline: await client.eval('(+ 1 1)'),
    overlay,
  };
}

const results = [];
for (const step of input.steps) {
  try {
    results.push(await run(step));
  } catch (error) {
    results.push(failure(error));
  }
}
process.stdout.write(JSON.stringify(results));
