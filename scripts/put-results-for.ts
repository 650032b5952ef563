// just put-results-for RUN: exact-sync one analysis folder of processed/ up to this branch's space.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { requireArg } from './lib/recipes/args.js';
import { runPut, sharedResultLayers } from './lib/recipes/sync-recipes.js';

export const usage = 'just put-results-for RUN [--dry-run] [--force]';
export const main = (args: Args) => runPut(args, { recipe: 'put-results-for', pick: sharedResultLayers, toMain: false, maintainersOnly: false, scope: requireArg(args, 'RUN', usage) });

if (isMain(import.meta.url)) await runRecipe('put-results-for', usage, main);
