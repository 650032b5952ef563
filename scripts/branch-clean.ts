// just branch-clean BRANCH: remove a merged branch's remote space.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runBranchClean } from './lib/recipes/branch-clean.js';

export const spec: RecipeSpec = { summary: "Maintainers: remove a merged branch's remote space (asks first, or --yes).", positionals: [{ name: 'BRANCH' }], options: ['dry-run', 'yes', 'quiet', 'role'] };
export const main = (args: Args) => runBranchClean(args);

if (isMain(import.meta.url)) await runRecipe('branch-clean', spec, main);
