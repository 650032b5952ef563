// just get-inputs: exact-sync the input layers (external, profiles) down from main.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { inputLayers, runGet } from './lib/recipes/sync-recipes.js';

export const usage = 'just get-inputs [--dry-run] [--force] [--layer NAME]';
export const main = (args: Args) => runGet(args, { recipe: 'get-inputs', pick: inputLayers });

if (isMain(import.meta.url)) await runRecipe('get-inputs', usage, main);
