// just put-interim: maintainers exact-sync interim/ up to this branch's space (main's, on main).
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { maintainerResultLayers, runPut } from './lib/recipes/sync-recipes.js';

export const usage = 'just put-interim [--dry-run] [--force]';
export const main = (args: Args) => runPut(args, { recipe: 'put-interim', pick: maintainerResultLayers, toMain: false, maintainersOnly: true });

if (isMain(import.meta.url)) await runRecipe('put-interim', usage, main);
