// just get-results: exact-sync the result layers down from this branch's space (main's when it has none yet).
import { isMain, PULL_OPTIONS, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { resultLayers, runGet } from './lib/recipes/sync-recipes.js';

export const spec: RecipeSpec = { summary: "Pull the result layers (interim/, processed/) from this branch's space (main's if it has none yet).", options: PULL_OPTIONS };
export const main = (args: Args) => runGet(args, { recipe: 'get-results', pick: resultLayers });

if (isMain(import.meta.url)) await runRecipe('get-results', spec, main);
