// driver.js: runs a conformance plan against a conformance main module the
// way a jank page applies patches: each patch is written into the module's
// own file system (MEMFS) at a unique path, then
// jank_hot_reload_load_patch(path, symbol) is called through ccall.
//
//   node --no-experimental-fetch driver.js MAIN.js PLAN
//
// PLAN has one step a line:
//   load HOST_FILE FS_PATH SYMBOL   write HOST_FILE's bytes to FS_PATH and load it
//   call NS/NAME [ARG...]           call the var (ARGs: integers, :keywords)
// and every step prints one line, in order, to stdout.
'use strict';

const fs = require('fs');
const path = require('path');

const [mainJs, planFile] = process.argv.slice(2);
if (!mainJs || !planFile) {
  console.error('usage: node --no-experimental-fetch driver.js MAIN.js PLAN');
  process.exit(2);
}
const steps = fs
  .readFileSync(planFile, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => line.trim().split(/\s+/));

function run(Module) {
  for (const [op, ...operands] of steps) {
    if (op === 'load') {
      const [hostFile, fsPath, symbol] = operands;
      Module.FS.writeFile(fsPath, fs.readFileSync(hostFile));
      const status = Module.ccall(
        'jank_hot_reload_load_patch',
        'number',
        ['string', 'string'],
        [fsPath, symbol],
      );
      console.log(`load ${fsPath} ${symbol} -> ${status}`);
    } else if (op === 'call') {
      const [qualified, ...args] = operands;
      const result = Module.ccall(
        'jank_conformance_call',
        'string',
        ['string', 'string'],
        [qualified, args.join(' ')],
      );
      console.log(`(${[qualified, ...args].join(' ')}) -> ${result}`);
    } else {
      throw new Error(`unknown plan step: ${op}`);
    }
  }
}

require(path.resolve(mainJs))()
  .then(run)
  .catch((error) => {
    console.error(`driver: ${error && error.stack ? error.stack : error}`);
    process.exit(1);
  });
