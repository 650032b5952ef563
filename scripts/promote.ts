// just promote BRANCH: maintainers make main's results equal a branch's.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { runPromote } from './lib/recipes/versioned.js';

export const usage = 'just promote BRANCH [--dry-run]';
export const main = (args: Args) => runPromote(args);

if (isMain(import.meta.url)) await runRecipe('promote', usage, main);
