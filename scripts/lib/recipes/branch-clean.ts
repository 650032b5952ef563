// branch-clean BRANCH: remove a merged branch's remote space, every result layer of it.
// Main is never removed; --dry-run lists what would go. This working copy's state record
// forgets those spaces too.
import { openProject, withLock } from '../context.js';
import { RefusedError, StrataError } from '../errors.js';
import type { Args } from '../cli.js';
import { openBackend } from '../remotes/index.js';
import { describeSpace, spaceFor } from '../space.js';
import { Reporter } from '../ui/reporter.js';
import { MAINTAINER_HINT, roleFlag } from './sync-recipes.js';
import { confirm } from '../ui/confirm.js';
import { branchSpaces, forgetNamed } from './state-clean.js';

export async function runBranchClean(args: Args): Promise<void> {
  const branch = args._[0];
  if (!branch) throw new StrataError('branch-clean needs the branch whose remote space to remove.', 'Usage: just branch-clean BRANCH', 2);
  const ctx = await openProject(process.cwd(), roleFlag(args));
  const out = new Reporter({ quiet: args.quiet });
  if (branch === ctx.config.mainBranch) throw new RefusedError(`branch-clean never removes ${ctx.config.mainBranch}'s space.`);
  if (ctx.config.role !== 'maintainer') {
    throw new RefusedError(`branch-clean deletes a branch's remote files for everyone: it is for maintainers.`, `Ask a maintainer. ${MAINTAINER_HINT}`);
  }
  await withLock(ctx, (m) => out.warn(m), async () => {
    for (const layer of ctx.config.layers.filter((l) => l.kind === 'result')) {
      const space = spaceFor(layer, branch, ctx.config.mainBranch);
      const backend = await openBackend(space.remote, ctx.config);
      if (!(await backend.exists(space))) {
        out.say(`${layer.name}: no space for branch "${branch}"`);
        continue;
      }
      const files = (await backend.list(space)).entries.length;
      if (args.dryRun) {
        out.say(`${layer.name}: would remove ${describeSpace(space)} (${files} files and its journal)`);
        continue;
      }
      if (!args.yes && !(await confirm(`Remove ${describeSpace(space)} (${files} files, for everyone)? [y/N] `))) {
        throw new RefusedError(`${layer.name}: not removed.`, 'Run with --yes to remove without asking (e.g. in scripts).');
      }
      const removed = await backend.removeSpace(space);
      out.say(`${layer.name}: removed ${describeSpace(space)} (${removed} files)`);
    }
    // The removed spaces leave this working copy's state record too (not one its folder holds).
    if (!args.dryRun) forgetNamed(ctx.config.projectRoot, branchSpaces(ctx, [branch]));
  });
  if (args.dryRun) out.say('Dry run: nothing was changed.');
}
