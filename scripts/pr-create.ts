// just pr-create TITLE: open a Hub pull request carrying the branch's remote state.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { runPrCreate } from './lib/recipes/versioned.js';

export const usage = 'just pr-create TITLE [--dry-run]';
export const main = (args: Args) => runPrCreate(args);

if (isMain(import.meta.url)) await runRecipe('pr-create', usage, main);
