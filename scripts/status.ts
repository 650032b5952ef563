// just status: per layer, what get and put would do, unshared work, remote changes. No transfers.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runStatus } from './lib/recipes/status.js';

export const spec: RecipeSpec = { summary: 'What get and put would do, unshared local work, remote changes since your last sync. Changes nothing.', options: ['layer', 'role'] };
export const main = (args: Args) => runStatus(args);

if (isMain(import.meta.url)) await runRecipe('status', spec, main);
