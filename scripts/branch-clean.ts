// just branch-clean BRANCH: remove a merged branch's remote space.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { runBranchClean } from './lib/recipes/branch-clean.js';

export const usage = 'just branch-clean BRANCH [--dry-run]';
export const main = (args: Args) => runBranchClean(args);

if (isMain(import.meta.url)) await runRecipe('branch-clean', usage, main);
