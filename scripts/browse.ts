// just browse: the remote's layers, branches, history and files in the browser, read-only.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runBrowse } from './lib/recipes/browse.js';

export const spec: RecipeSpec = {
  summary: "Look at the remote's data in your browser without pulling it: each layer and the branches with a space, a branch against main, the history of pushes, and a file with a preview (CSV, parquet, images, text). Read-only; serves 127.0.0.1 only, under a random token.",
  options: ['open', 'port'],
  interrupted: 'browse stopped.',
};
export const main = (args: Args) => runBrowse(args);

if (isMain(import.meta.url)) await runRecipe('browse', spec, main);
