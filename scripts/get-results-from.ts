// just get-results-from BRANCH: exact-sync the result layers down from another branch's space.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { requireArg } from './lib/recipes/args.js';
import { resultLayers, runGet } from './lib/recipes/sync-recipes.js';

export const usage = 'just get-results-from BRANCH [--dry-run] [--force]';
export const main = (args: Args) => runGet(args, { recipe: 'get-results-from', pick: resultLayers, branch: requireArg(args, 'BRANCH', usage) });

if (isMain(import.meta.url)) await runRecipe('get-results-from', usage, main);
