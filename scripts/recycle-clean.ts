// just recycle-clean: prune the local recycle folder.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runRecycleClean } from './lib/recipes/recycle-clean.js';

export const spec: RecipeSpec = { summary: 'Prune the local recycle folder (default: older than 30 days).', options: ['older-than', 'all', 'dry-run'] };
export const main = (args: Args) => runRecycleClean(args);

if (isMain(import.meta.url)) await runRecipe('recycle-clean', spec, main);
