// just get-results-for RUN: exact-sync one analysis folder of processed/ down from this branch's space.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { requireArg } from './lib/recipes/args.js';
import { runGet, sharedResultLayers } from './lib/recipes/sync-recipes.js';

export const usage = 'just get-results-for RUN [--dry-run] [--force]';
export const main = (args: Args) => runGet(args, { recipe: 'get-results-for', pick: sharedResultLayers, scope: requireArg(args, 'RUN', usage) });

if (isMain(import.meta.url)) await runRecipe('get-results-for', usage, main);
