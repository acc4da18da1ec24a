// drive.mjs: runs a script of steps against src/serve/web's loader, app host
// and patch acknowledgement in Node, for tests/web_loader.rs. Reads
// {"stub": path, "app": {...}|null, "steps": [...]} as JSON on stdin and
// prints one JSON result per step (a JSON array) on stdout. A step that fails
// reports its error instead of stopping the script.
//
// Steps:
//   {"op":"load","file":F,"symbol":S}    → {"outcomes":[...],"output":..} | {"loadError":{kind,message}}
//   {"op":"ack","file":F,"id":N,"symbol":S} → the patch_ack the page would send (load_ms dropped)
//   {"op":"ackMessage","message":M}      → the patch_ack for the patch message M as given
//   {"op":"call","ns":..,"name":..,"args":[1,"s",{"keyword":"k"}]} → {"value":..,"output":..} | {"thrown":..}
//   {"op":"view"}                        → {"text":..,"buttons":[..]} of the app's rendered hiccup
//   {"op":"click","button":TEXT}         → dispatches that button's :on-click value → {"returned":..}
//   {"op":"state"}                       → {"state": pr-str of @state}
//   {"op":"patches"}                     → {"patches":[{symbolsExport,memoryBase,tableBase,memSize,tableSize}]}
//   {"op":"stack"}                       → {"stackPointer": the stub's __stack_pointer}

import { readFileSync } from 'node:fs';
import { JankRuntime, JankThrown, LoadError, keyword } from '../../src/serve/web/loader.js';
import { AppHost } from '../../src/serve/web/app-host.js';
import { StubBackend, acknowledge } from '../../src/serve/web/client.js';
import { elementsOf, textOf, toNodes } from '../../src/serve/web/hiccup.js';

const input = JSON.parse(readFileSync(0, 'utf8'));
const runtime = await JankRuntime.create(readFileSync(input.stub));
const app = new AppHost(runtime, input.app ?? {});
const backend = new StubBackend(runtime, input.app ?? {});

const toArg = (arg) => (arg && typeof arg === 'object' && 'keyword' in arg ? keyword(arg.keyword) : arg);
const failure = (error) => {
  if (error instanceof JankThrown) return { thrown: error.printed, output: runtime.takeOutput() };
  if (error instanceof LoadError) return { loadError: { kind: error.kind, message: error.message }, output: runtime.takeOutput() };
  return { jsError: String(error.stack ?? error) };
};

function withoutTiming(ack) {
  if (!(typeof ack.load_ms === 'number' && ack.load_ms >= 0)) throw new Error(`bad load_ms ${ack.load_ms}`);
  delete ack.load_ms;
  return ack;
}

function rendered() {
  const nodes = toNodes(app.view());
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
      return { returned: app.dispatch(button.events.click), output: runtime.takeOutput() };
    }
    case 'state':
      return { state: app.statePrinted() };
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
    default:
      throw new Error(`unknown step ${step.op}`);
  }
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
