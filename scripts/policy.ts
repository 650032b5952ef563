// just policy: print the S3 bucket policy that makes the server enforce the role table.
import { isMain, runRecipe, usageLine, type Args, type RecipeSpec } from './lib/cli.js';
import { runPolicy } from './lib/recipes/policy.js';

export const spec: RecipeSpec = { summary: 'Print the S3 bucket policy that makes the server enforce the roles, and its set-up.', options: ['analysts', 'maintainers', 'account'] };
export const main = (args: Args) => runPolicy(args, usageLine('policy', spec));

if (isMain(import.meta.url)) await runRecipe('policy', spec, main);
