// just get-results-at REV: exact-sync the versioned layers down from a past revision or tag.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { requireArg } from './lib/recipes/args.js';
import { runGet, versionedLayers } from './lib/recipes/sync-recipes.js';

export const usage = 'just get-results-at REV [--dry-run] [--force]';
export const main = (args: Args) => runGet(args, { recipe: 'get-results-at', pick: versionedLayers, revision: requireArg(args, 'REV', usage), none: 'No layer of this project is versioned (on a Hub dataset), so there are no past revisions to read.' });

if (isMain(import.meta.url)) await runRecipe('get-results-at', usage, main);
