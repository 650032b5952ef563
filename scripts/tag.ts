// just tag NAME: tag the versioned layer's branch state (e.g. paper-v1).
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runTag } from './lib/recipes/versioned.js';

export const spec: RecipeSpec = { summary: "Tag the versioned layer's state on this branch (e.g. paper-v1).", positionals: [{ name: 'NAME' }], options: ['dry-run', 'quiet', 'role'] };
export const main = (args: Args) => runTag(args);

if (isMain(import.meta.url)) await runRecipe('tag', spec, main);
