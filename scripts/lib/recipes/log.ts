// log: who pushed what, when, from which git commit — the S3/folder journal or Hub commits,
// in one format. `--path` narrows it to the layer holding that local path and the pushes that
// changed a file at or under it.
import fs from 'node:fs';
import path from 'node:path';
import { openProject } from '../context.js';
import { roleFlag } from './sync-recipes.js';
import { StrataError } from '../errors.js';
import type { Args } from '../cli.js';
import type { Layer } from '../config/layers.js';
import { layerPath } from '../layer-path.js';
import { openBackend } from '../remotes/index.js';
import { describeSpace, spaceFor } from '../space.js';
import { bytes, when } from '../ui/format.js';
import { Reporter } from '../ui/reporter.js';

export async function runLog(args: Args): Promise<void> {
  const ctx = await openProject(process.cwd(), roleFlag(args));
  const out = new Reporter({});
  const limit = Number(args.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1) throw new StrataError(`--limit must be a whole number, not "${args.limit}".`, undefined, 2);
  const named = typeof args._[0] === 'string' && args._[0] ? args._[0] : undefined;
  const branch = named ?? ctx.git.branch ?? ctx.config.mainBranch;
  const narrowed = typeof args.path === 'string' ? layerPath(ctx.config.projectRoot, ctx.config.layers, args.path) : undefined;
  if (narrowed && typeof args.layer === 'string' && args.layer !== narrowed.layer.name) {
    throw new StrataError(`--path ${args.path} lies in layer ${narrowed.layer.name}, not in --layer ${args.layer}.`, 'Give one of the two.', 2);
  }
  const layers = ctx.config.layers.filter((l) => (narrowed ? l === narrowed.layer : typeof args.layer !== 'string' || l.name === args.layer));
  const logs = [];
  for (const layer of layers) {
    const space = spaceFor(layer, branch, ctx.config.mainBranch);
    const backend = await openBackend(space.remote, ctx.config);
    logs.push({ layer, space, entries: await backend.log(space, limit, narrowed?.key), exists: () => backend.exists(space) });
  }
  // A branch named on the command line with no trace anywhere is a typo, not "no pushes".
  // Only the layers that follow the branch count: input layers always show main's history.
  const ofBranch = logs.filter((l) => l.space.branch === named);
  if (named && named !== ctx.config.mainBranch && ofBranch.length && ofBranch.every((l) => !l.entries.length) && !(await Promise.all(ofBranch.map((l) => l.exists()))).some(Boolean)) {
    throw new StrataError(`No layer has a space for branch "${named}" on the remote.`, namesLayerPath(ctx.config.projectRoot, ctx.config.layers, named) ? `To see the pushes that changed a file or folder: just log --path ${named}` : 'Check the name (`git branch -a`); a branch gets a space with its first put-results.', 2);
  }
  for (const { layer, space, entries } of logs) {
    out.say(`${layer.name} · ${describeSpace(space)}${narrowed ? ` · pushes that changed ${layer.local}/${narrowed.key}`.replace(/\/$/, '') : ''}`);
    if (!entries.length) out.say(narrowed ? '  no push changed it' : '  no pushes recorded');
    for (const e of entries) {
      const sha = e.gitSha ? e.gitSha.slice(0, 8) + (e.dirty ? '+dirty' : '') : 'no commit';
      out.say(
        `  ${e.id.padEnd(8)} ${when(e.time)}  ${e.user}@${e.host}  git ${sha} (${e.branch})  ${e.recipe}: ` +
          (e.status === 'interrupted'
            ? `INTERRUPTED (planned ${e.uploaded} written, ${e.deleted} deleted; a later push completed or continues it)`
            : `${e.uploaded} written, ${e.deleted} deleted, ${bytes(e.bytes)}`),
      );
    }
    out.say('');
  }
}

/** namesLayerPath: a word given as BRANCH names a file or folder in a layer (just log data/processed/x.csv). */
function namesLayerPath(projectRoot: string, layers: Layer[], word: string): boolean {
  try {
    const p = layerPath(projectRoot, layers, word);
    return word.startsWith(`${p.layer.local}/`) || fs.existsSync(path.join(projectRoot, p.layer.local, ...p.key.split('/')));
  } catch {
    return false;
  }
}
