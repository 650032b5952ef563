// just state-clean [BRANCH…]: forget spaces this working copy's state record no longer needs.
import { isMain, runRecipe, type Args, type RecipeSpec } from './lib/cli.js';
import { runStateClean } from './lib/recipes/state-clean.js';

export const spec: RecipeSpec = {
  summary: "Forget the state record of branches gone from git, of remotes strata.yaml no longer names, of past revisions read over 30 days ago (or of the BRANCHes named).",
  positionals: [{ name: 'BRANCH', optional: true, rest: true }],
  options: ['older-than', 'dry-run', 'quiet'],
  optionHelp: { 'older-than': 'forget past revisions (get-results-at) last read more than DAYS ago (default 30)' },
};
export const main = (args: Args) => runStateClean(args);

if (isMain(import.meta.url)) await runRecipe('state-clean', spec, main);
