// just log: who pushed what, when, from which git commit.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { runLog } from './lib/recipes/log.js';

export const usage = 'just log [BRANCH] [--layer NAME] [--limit N]';
export const main = (args: Args) => runLog(args);

if (isMain(import.meta.url)) await runRecipe('log', usage, main);
