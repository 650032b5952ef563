// just put-results-for RUN: exact-sync one analysis folder of processed/ up to this branch's space.
import { isMain, PUSH_OPTIONS, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { PUTS, runPut } from './lib/recipes/sync-recipes.js';

export const spec: RecipeSpec = { summary: 'Push one run folder of processed/ (RUN is read from where you stand).', positionals: [{ name: 'RUN' }], options: PUSH_OPTIONS.filter((o) => o !== 'layer') };
export const main = (args: Args) => runPut(args, { ...PUTS.results, recipe: 'put-results-for', scope: args._[0]! });

if (isMain(import.meta.url)) await runRecipe('put-results-for', spec, main);
