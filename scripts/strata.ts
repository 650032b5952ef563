#!/usr/bin/env node
// strata RECIPE [args…]: the one command a project's Justfile calls. It only maps a recipe
// name to its script (rspack's x.mjs: a command tree, nothing else).
import { runRecipe } from './lib/cli.js';

const RECIPES = [
  'get-inputs', 'get-results', 'get-results-from', 'get-results-for', 'get-results-at',
  'put-results', 'put-results-for', 'put-inputs', 'put-interim',
  'status', 'log', 'which', 'browse', 'config', 'policy', 'recycle-clean', 'state-clean', 'branch-clean', 'tag', 'pr-create', 'promote', 'demo',
];

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || !RECIPES.includes(name)) {
  process.stderr.write(`${name && !RECIPES.includes(name) ? `Unknown recipe "${name}".\n` : ''}Usage: strata RECIPE [options]\nRecipes: ${RECIPES.join(', ')}\n`);
  process.exitCode = name && name !== '--help' && name !== '-h' ? 2 : 0;
} else {
  let mod: { main: Parameters<typeof runRecipe>[2]; spec: Parameters<typeof runRecipe>[1] } | undefined;
  try {
    mod = await import(`./${name}.js`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !String((e as Error).message).includes(`${name}.js`)) throw e;
    process.stderr.write(`The recipe "${name}" is not available in this version of Strata.\n`);
    process.exitCode = 2;
  }
  if (mod) await runRecipe(name, mod.spec, mod.main, rest);
}
