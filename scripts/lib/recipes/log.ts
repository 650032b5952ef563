// log: who pushed what, when, from which git commit — the S3/folder journal or Hub commits,
// in one format.
import { openProject } from '../context.js';
import { roleFlag } from './sync-recipes.js';
import { StrataError } from '../errors.js';
import type { Args } from '../cli.js';
import { openBackend } from '../remotes/index.js';
import { describeSpace, spaceFor } from '../space.js';
import { bytes } from '../ui/format.js';
import { Reporter } from '../ui/reporter.js';

export async function runLog(args: Args): Promise<void> {
  const ctx = await openProject(process.cwd(), roleFlag(args));
  const out = new Reporter({});
  const limit = Number(args.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1) throw new StrataError(`--limit must be a whole number, not "${args.limit}".`, undefined, 2);
  const named = typeof args._[0] === 'string' && args._[0] ? args._[0] : undefined;
  const branch = named ?? ctx.git.branch ?? ctx.config.mainBranch;
  const layers = ctx.config.layers.filter((l) => typeof args.layer !== 'string' || l.name === args.layer);
  const logs = [];
  for (const layer of layers) {
    const space = spaceFor(layer, branch, ctx.config.mainBranch);
    const backend = await openBackend(space.remote, ctx.config);
    logs.push({ layer, space, entries: await backend.log(space, limit), exists: () => backend.exists(space) });
  }
  // A branch named on the command line with no trace anywhere is a typo, not "no pushes".
  if (named && named !== ctx.config.mainBranch && logs.every((l) => !l.entries.length) && !(await Promise.all(logs.map((l) => l.exists()))).some(Boolean)) {
    throw new StrataError(`No layer has a space for branch "${named}" on the remote.`, 'Check the name (`git branch -a`); a branch gets a space with its first put-results.', 2);
  }
  for (const { layer, space, entries } of logs) {
    out.say(`${layer.name} · ${describeSpace(space)}`);
    if (!entries.length) out.say('  no pushes recorded');
    for (const e of entries) {
      const sha = e.gitSha ? e.gitSha.slice(0, 8) + (e.dirty ? '+dirty' : '') : 'no commit';
      out.say(
        `  ${e.id.padEnd(8)} ${e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${e.user}@${e.host}  git ${sha} (${e.branch})  ${e.recipe}: ` +
          (e.status === 'interrupted'
            ? `INTERRUPTED (planned ${e.uploaded} written, ${e.deleted} deleted; a later push completed or continues it)`
            : `${e.uploaded} written, ${e.deleted} deleted, ${bytes(e.bytes)}`),
      );
    }
    out.say('');
  }
}
