// just put-results: exact-sync processed/ up to this branch's space (analysts: not on main).
import { isMain, PUSH_OPTIONS, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { PUTS, runPut } from './lib/recipes/sync-recipes.js';

export const spec: RecipeSpec = { summary: "Push processed/ to this branch's space (analysts: from a branch, not main).", options: PUSH_OPTIONS };
export const main = (args: Args) => runPut(args, PUTS.results);

if (isMain(import.meta.url)) await runRecipe('put-results', spec, main);
