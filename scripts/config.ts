// just config: the effective configuration, where each value came from, secrets redacted.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { runConfig } from './lib/recipes/config.js';

export const usage = 'just config';
export const main = (args: Args) => runConfig(args);

if (isMain(import.meta.url)) await runRecipe('config', usage, main);
