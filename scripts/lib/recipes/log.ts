// log: who pushed what, when, from which git commit — the S3/folder journal or Hub commits,
// in one format. `--path` narrows it to the layer holding that local path and the pushes that
// changed a file at or under it. Each layer shows a page, the newest --limit pushes, and ends
// with the command that shows the page before it (`--before`): the history is never read
// whole to show its newest end.
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
  const before = typeof args.before === 'string' ? args.before : undefined;
  if (before !== undefined && layers.length > 1) {
    throw new StrataError(`--before continues one layer's history (ids differ between layers), and this shows ${layers.length} layers.`, 'Add --layer NAME or --path PATH, as the `older:` line of `just log` does.', 2);
  }
  const logs = [];
  for (const layer of layers) {
    const space = spaceFor(layer, branch, ctx.config.mainBranch);
    const backend = await openBackend(space.remote, ctx.config);
    const page = await backend.log(space, { limit, path: narrowed?.key, before });
    logs.push({ layer, space, ...page, exists: () => backend.exists(space) });
  }
  // A branch named on the command line with no trace anywhere is a typo, not "no pushes".
  // Only the layers that follow the branch count: input layers always show main's history.
  const ofBranch = logs.filter((l) => l.space.branch === named);
  if (named && named !== ctx.config.mainBranch && ofBranch.length && ofBranch.every((l) => !l.entries.length) && !(await Promise.all(ofBranch.map((l) => l.exists()))).some(Boolean)) {
    throw new StrataError(`No layer has a space for branch "${named}" on the remote.`, namesLayerPath(ctx.config.projectRoot, ctx.config.layers, named) ? `To see the pushes that changed a file or folder: just log --path ${named}` : 'Check the name (`git branch -a`); a branch gets a space with its first put-results.', 2);
  }
  for (const { layer, space, entries, older } of logs) {
    out.say(`${layer.name} · ${describeSpace(space)}${narrowed ? ` · pushes that changed ${layer.local}/${narrowed.key}`.replace(/\/$/, '') : ''}${before ? ` · before ${before}` : ''}`);
    if (!entries.length) out.say(narrowed ? `  no push changed it${before ? ' before that one' : ''}` : before ? '  no older pushes' : '  no pushes recorded');
    for (const e of entries) {
      const sha = e.gitSha ? e.gitSha.slice(0, 8) + (e.dirty ? '+dirty' : '') : 'no commit';
      out.say(
        `  ${e.id.padEnd(8)} ${when(e.time)}  ${e.user}@${e.host}  git ${sha} (${e.branch})  ${e.recipe}: ` +
          (e.status === 'interrupted'
            ? `INTERRUPTED (planned ${e.uploaded} written, ${e.deleted} deleted; a later push completed or continues it)`
            : `${e.uploaded} written, ${e.deleted} deleted, ${bytes(e.bytes)}`),
      );
    }
    if (older) out.say(`  older: ${olderCommand({ branch: named, layer: layer.name, path: typeof args.path === 'string' ? args.path : undefined, before: older, limit: args.limit === undefined ? undefined : limit })}`);
    out.say('');
  }
}

/** olderCommand: the `just log` that shows the page after this one, for the same layer (or path) and branch. */
export function olderCommand(o: { branch?: string; layer: string; path?: string; before: string; limit?: number }): string {
  const words = ['just', 'log'];
  if (o.branch) words.push(shellWord(o.branch));
  words.push(...(o.path !== undefined ? ['--path', shellWord(o.path)] : ['--layer', shellWord(o.layer)]), '--before', o.before);
  if (o.limit !== undefined) words.push('--limit', String(o.limit));
  return words.join(' ');
}

/** shellWord: a word as a shell reads it back (quoted when it holds anything but plain characters). */
function shellWord(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
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
