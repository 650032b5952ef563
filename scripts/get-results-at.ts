// just get-results-at REV: exact-sync the versioned layers down from a past revision or tag.
import { isMain, PULL_OPTIONS, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runGet, versionedLayers } from './lib/recipes/sync-recipes.js';

export const spec: RecipeSpec = { summary: 'Pull the versioned layers (processed/ on the Hub) at a past revision or tag.', positionals: [{ name: 'REV' }], options: PULL_OPTIONS };
export const main = (args: Args) => runGet(args, { recipe: 'get-results-at', pick: versionedLayers, revision: args._[0]!, none: 'No layer of this project is versioned (on a Hub dataset), so there are no past revisions to read.' });

if (isMain(import.meta.url)) await runRecipe('get-results-at', spec, main);
