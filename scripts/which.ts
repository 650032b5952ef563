// just which PATH…: whether each file equals the remote's, and which push made the remote's content.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runWhich } from './lib/recipes/which.js';

export const spec: RecipeSpec = {
  summary: 'Which push made each file: whether it equals what the remote holds, and who pushed that content, when, from which git commit (full SHA, +dirty), branch and recipe. PATH is a file or folder in a layer folder.',
  positionals: [{ name: 'PATH', rest: true }],
  options: [],
};
export const main = (args: Args) => runWhich(args);

if (isMain(import.meta.url)) await runRecipe('which', spec, main);
