// just pr-create TITLE: open a Hub pull request carrying the branch's remote state.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runPrCreate } from './lib/recipes/versioned.js';

export const spec: RecipeSpec = { summary: "Open a Hub pull request carrying this branch's remote state (nothing uploaded from disk).", positionals: [{ name: 'TITLE', rest: true }], options: ['dry-run', 'quiet', 'role'] };
export const main = (args: Args) => runPrCreate(args);

if (isMain(import.meta.url)) await runRecipe('pr-create', spec, main);
