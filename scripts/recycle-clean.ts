// just recycle-clean: prune the local recycle folder.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { runRecycleClean } from './lib/recipes/recycle-clean.js';

export const usage = 'just recycle-clean [--older-than DAYS | --all] [--dry-run]';
export const main = (args: Args) => runRecycleClean(args);

if (isMain(import.meta.url)) await runRecipe('recycle-clean', usage, main);
