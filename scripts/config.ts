// just config: the effective configuration, where each value came from, secrets redacted.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runConfig } from './lib/recipes/config.js';

export const spec: RecipeSpec = { summary: 'The effective configuration, where each value came from (secrets redacted).', options: ['role'] };
export const main = (args: Args) => runConfig(args);

if (isMain(import.meta.url)) await runRecipe('config', spec, main);
