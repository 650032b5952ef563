// just put-inputs: maintainers exact-sync the input layers up to main.
import { isMain, PUSH_OPTIONS, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { PUTS, runPut } from './lib/recipes/sync-recipes.js';

export const spec: RecipeSpec = { summary: 'Maintainers: push the input layers (external/, raw/profiles/) to main.', options: PUSH_OPTIONS };
export const main = (args: Args) => runPut(args, PUTS.inputs);

if (isMain(import.meta.url)) await runRecipe('put-inputs', spec, main);
