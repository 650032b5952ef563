// just get-results-for RUN: exact-sync one analysis folder of processed/ down from this branch's space.
import { isMain, PULL_OPTIONS, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runGet, sharedResultLayers } from './lib/recipes/sync-recipes.js';

export const spec: RecipeSpec = { summary: 'Pull one run folder of processed/ (RUN is read from where you stand).', positionals: [{ name: 'RUN' }], options: PULL_OPTIONS.filter((o) => o !== 'layer') };
export const main = (args: Args) => runGet(args, { recipe: 'get-results-for', pick: sharedResultLayers, scope: args._[0]! });

if (isMain(import.meta.url)) await runRecipe('get-results-for', spec, main);
