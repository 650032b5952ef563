// which: for each local file, or every file under a folder, whether it equals what the remote
// holds, and which push made the remote's content — who, when, the git commit (full SHA and
// whether the tree was dirty), branch and recipe. The lab's "which data made this figure?".
// Per layer: the pull plan `status` makes (one listing of each side, compared by content),
// then the push behind each remote file, from one reading of the history.
import type { Args } from '../cli.js';
import { openProject, withLock } from '../context.js';
import { StrataError } from '../errors.js';
import { layerPath, type LayerPath } from '../layer-path.js';
import { excludeMatcher } from '../listing/exclude.js';
import { atOrUnder } from '../listing/keys.js';
import type { PlanItem } from '../plan/plan.js';
import { describeSpace } from '../space.js';
import { prepare, type Prepared } from '../prepare.js';
import { compare, comparisonLine, originLines, type Comparison } from '../ui/provenance.js';
import { Reporter } from '../ui/reporter.js';

const parentOf = (key: string) => (key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '');

/** commonFolder: the deepest folder holding every one of `folders` ('' is the layer folder). */
function commonFolder(folders: string[]): string {
  const split = folders.map((f) => (f ? f.split('/') : []));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join('/');
}

export async function runWhich(args: Args): Promise<void> {
  const ctx = await openProject(process.cwd());
  const { config } = ctx;
  const out = new Reporter({});
  const branch = ctx.git.branch ?? config.mainBranch;
  const asked = args._.map((given) => layerPath(config.projectRoot, config.layers, given));
  await withLock(ctx, (m) => out.warn(m), async () => {
    // One plan per layer, over the narrowest folder holding every path asked in it: a file's
    // folder, since a listing names folders, not single files.
    const layers: { paths: LayerPath[]; p: Prepared }[] = [];
    for (const layer of config.layers) {
      const paths = asked.filter((a) => a.layer === layer);
      if (!paths.length) continue;
      const scope = commonFolder(paths.map((a) => (a.folder ? a.key : parentOf(a.key))));
      layers.push({ paths, p: await prepare(ctx, layer, 'pull', { branch, scope, fallbackToMain: true, keepSame: true }) });
    }
    refuseUnknown(layers, excludeMatcher(config.excludes));
    for (const { paths, p } of layers) {
      const items = p.plan.items.filter((i) => paths.some((a) => atOrUnder(i.key, a.key)));
      const origins = await p.backend.origins(p.space, p.head, items.flatMap((i) => (i.remote ? [i.remote] : [])));
      out.say(`${p.layer.name} · ${describeSpace(p.space)}`);
      if (p.fellBackFrom) out.say(`  (branch "${p.fellBackFrom.branch}" has no ${p.layer.name} space yet: compared with ${config.mainBranch}'s, as get-results reads it)`);
      const held = p.state.folder.revision;
      if (held) out.say(`  (the folder holds revision ${held.rev} from get-results-at; compared with the branch head)`);
      for (const item of items) {
        out.say(`  ${p.layer.local}/${item.key}  ${comparisonLine(item)}`);
        for (const line of originLines(item.remote ? origins.get(item.key) : undefined, compare(item))) out.say(`    ${line}`);
      }
      out.say(`  ${counts(items)}`);
      out.say('');
    }
  });
}

/** refuseUnknown: a path that names nothing here or on the remote is a typo, said before any answer. */
function refuseUnknown(layers: { paths: LayerPath[]; p: Prepared }[], excluded: (key: string) => boolean): void {
  const problems: string[] = [];
  for (const { paths, p } of layers) {
    for (const a of paths) {
      if (p.plan.items.some((i) => atOrUnder(i.key, a.key))) continue;
      const where = `${p.layer.local}/${a.key}`.replace(/\/$/, '');
      const named = a.given.replace(/\/+$/, '') === where ? where : `${a.given} (${where})`;
      if (a.key && excluded(a.key)) problems.push(`${named} is excluded from syncing (Strata's own list or strata.yaml's exclude:): no push ever carries it`);
      else problems.push(`${named}: no such file or folder here or in ${describeSpace(p.space)}`);
    }
  }
  if (problems.length) {
    throw new StrataError(problems.join('\n'), 'Check the path: it is read from where you stand, else from the project root (data/processed/…).', 2);
  }
}

/** counts: "3 files: 2 same, 1 differs". */
function counts(items: PlanItem[]): string {
  const tally = new Map<Comparison, number>();
  for (const i of items) tally.set(compare(i), (tally.get(compare(i)) ?? 0) + 1);
  const order: Comparison[] = ['same', 'differs', 'only here', 'only on the remote'];
  return `${items.length} file${items.length === 1 ? '' : 's'}: ${order.filter((c) => tally.get(c)).map((c) => `${tally.get(c)} ${c}`).join(', ')}`;
}
