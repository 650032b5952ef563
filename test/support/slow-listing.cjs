// A folder that is slow to list, the way a network share can be: loaded into one Strata
// process under test with NODE_OPTIONS=--require=<this file>, it makes every fs.readdirSync of
// SLOW_LISTING_UNDER or a folder inside it take SLOW_LISTING_MS longer. The wait is a real
// synchronous sleep (Atomics.wait), so it blocks the event loop exactly as a slow share blocks
// a synchronous scan. The first slowed call prints "slow listing: <folder>" on stderr, so a
// test knows the scan has begun. Plain CommonJS: Node loads it before any TypeScript exists.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const under = process.env.SLOW_LISTING_UNDER;
const ms = Number(process.env.SLOW_LISTING_MS ?? 0);

if (under && ms > 0) {
  // Strata scans the real folder (through symbolic links), so compare real paths.
  const root = fs.realpathSync(under);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const readdirSync = fs.readdirSync;
  let announced = false;
  fs.readdirSync = function slowReaddirSync(dir, ...rest) {
    const where = path.resolve(String(dir));
    if (where === root || where.startsWith(root + path.sep)) {
      if (!announced) {
        announced = true;
        fs.writeSync(2, `slow listing: ${root}\n`);
      }
      Atomics.wait(sleeper, 0, 0, ms);
    }
    return readdirSync.call(this, dir, ...rest);
  };
}
