// just get-inputs: exact-sync the input layers (external, profiles) down from main.
import { isMain, PULL_OPTIONS, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { inputLayers, runGet } from './lib/recipes/sync-recipes.js';

export const spec: RecipeSpec = { summary: 'Pull the input layers (external/, raw/profiles/) from main.', options: PULL_OPTIONS };
export const main = (args: Args) => runGet(args, { recipe: 'get-inputs', pick: inputLayers });

if (isMain(import.meta.url)) await runRecipe('get-inputs', spec, main);
