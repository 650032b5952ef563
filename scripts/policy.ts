// just policy: print the S3 bucket policy that makes the server enforce the role table.
import { isMain, runRecipe, type Args } from './lib/cli.js';
import { runPolicy } from './lib/recipes/policy.js';

export const usage = 'just policy --analysts USER[,USER…] --maintainers USER[,USER…] [--account AWS-ACCOUNT-ID]';
export const main = (args: Args) => runPolicy(args, usage);

if (isMain(import.meta.url)) await runRecipe('policy', usage, main);
