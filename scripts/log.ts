// just log: who pushed what, when, from which git commit.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runLog } from './lib/recipes/log.js';

export const spec: RecipeSpec = {
  summary: 'Who pushed what, when, from which git commit: the newest 20 pushes per layer (--limit N), older ones with --before ID; --path narrows it to the pushes that changed a file or folder.',
  positionals: [{ name: 'BRANCH', optional: true }],
  options: ['layer', 'limit', 'before', 'path', 'role'],
};
export const main = (args: Args) => runLog(args);

if (isMain(import.meta.url)) await runRecipe('log', spec, main);
