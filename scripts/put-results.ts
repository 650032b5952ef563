// just put-results: exact-sync processed/ up to this branch's space (analysts: not on main).
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { runPut, sharedResultLayers } from './lib/recipes/sync-recipes.js';

export const usage = 'just put-results [--dry-run] [--force]';
export const main = (args: Args) => runPut(args, { recipe: 'put-results', pick: sharedResultLayers, toMain: false, maintainersOnly: false });

if (isMain(import.meta.url)) await runRecipe('put-results', usage, main);
