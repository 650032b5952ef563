// just tag NAME: tag the versioned layer's branch state (e.g. paper-v1).
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { runTag } from './lib/recipes/versioned.js';

export const usage = 'just tag NAME [--dry-run]';
export const main = (args: Args) => runTag(args);

if (isMain(import.meta.url)) await runRecipe('tag', usage, main);
