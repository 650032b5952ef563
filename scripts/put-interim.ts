// just put-interim: maintainers exact-sync interim/ up to this branch's space (main's, on main).
import { isMain, PUSH_OPTIONS, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { PUTS, runPut } from './lib/recipes/sync-recipes.js';

export const spec: RecipeSpec = { summary: "Maintainers: push interim/ to this branch's space (main's, on main).", options: PUSH_OPTIONS };
export const main = (args: Args) => runPut(args, PUTS.interim);

if (isMain(import.meta.url)) await runRecipe('put-interim', spec, main);
