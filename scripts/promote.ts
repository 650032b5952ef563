// just promote BRANCH: maintainers make main's results equal a branch's.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runPromote } from './lib/recipes/versioned.js';

export const spec: RecipeSpec = { summary: "Maintainers: make main's results equal a branch's.", positionals: [{ name: 'BRANCH' }], options: ['dry-run', 'quiet', 'role'] };
export const main = (args: Args) => runPromote(args);

if (isMain(import.meta.url)) await runRecipe('promote', spec, main);
