// just get-results-from BRANCH: exact-sync the result layers down from another branch's space.
import { isMain, PULL_OPTIONS, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { resultLayers, runGet } from './lib/recipes/sync-recipes.js';

export const spec: RecipeSpec = { summary: "Pull the result layers from another branch's space.", positionals: [{ name: 'BRANCH' }], options: PULL_OPTIONS };
export const main = (args: Args) => runGet(args, { recipe: 'get-results-from', pick: resultLayers, branch: args._[0]! });

if (isMain(import.meta.url)) await runRecipe('get-results-from', spec, main);
