// just put-inputs: maintainers exact-sync the input layers up to main.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { inputLayers, runPut } from './lib/recipes/sync-recipes.js';

export const usage = 'just put-inputs [--dry-run] [--force] [--layer NAME]';
export const main = (args: Args) => runPut(args, { recipe: 'put-inputs', pick: inputLayers, toMain: true, maintainersOnly: true });

if (isMain(import.meta.url)) await runRecipe('put-inputs', usage, main);
