// status: per layer, what get and put would do, unshared local work, and remote changes
// since the last sync — the same plans the sync recipes build, rendered, with no transfer.
import type { Layer } from '../config/load.js';
import { openProject, withLock, type RunContext } from '../context.js';
import { roleFlag, warnPlacement } from './sync-recipes.js';
import type { Args } from '../cli.js';
import { StrataError } from '../errors.js';
import { describeCommit } from '../git.js';
import { sameContent } from '../listing/digest.js';
import { describeSpace } from '../space.js';
import { unpushableNames } from '../plan/guards.js';
import { checkPull, checkPush, heldElsewhere } from '../checks.js';
import { prepare } from '../sync.js';
import { countsText, itemLine } from '../ui/format.js';
import { Reporter } from '../ui/reporter.js';

/** roleRefusal says why this role may not push this layer from here (the recipes' role rules), or null. */
function roleRefusal(ctx: RunContext, layer: Layer): string | null {
  const { config, git } = ctx;
  if (config.role === 'maintainer') return null;
  if (layer.kind === 'input' || layer.writers === 'maintainers') return 'maintainers only';
  if (git.detached || git.branch === config.mainBranch) return `analysts push from a branch, not ${git.branch ?? 'a detached HEAD'}`;
  return null;
}

/** refusedBy runs a real guard and returns its refusal's first line (without the layer name), or null: status says what get and put would say. */
async function refusedBy(layer: Layer, guard: () => unknown): Promise<string | null> {
  try {
    await guard();
    return null;
  } catch (e) {
    if (!(e instanceof StrataError) || e.exitCode === 2) throw e;
    return e.message.split('\n')[0]!.replace(new RegExp(`^${layer.name}: `), '');
  }
}

export async function runStatus(args: Args): Promise<void> {
  const ctx = await openProject(process.cwd(), roleFlag(args));
  const out = new Reporter({ quiet: false });
  const { git, config } = ctx;
  const branch = git.branch ?? config.mainBranch;
  await warnPlacement(ctx, out);
  out.say(`Project ${config.projectRoot} · branch ${git.branch ?? '(detached)'} · git ${describeCommit(git)} · role ${config.role}`);
  await withLock(ctx, (m) => out.warn(m), async () => {
    for (const layer of config.layers) {
      if (typeof args.layer === 'string' && layer.name !== args.layer) continue;
      const get = await prepare(ctx, layer, 'pull', { branch, fallbackToMain: true });
      const put = await prepare(ctx, layer, 'push', { branch });
      out.say('');
      out.say(`${layer.name}  (${layer.local}/ ⇄ ${describeSpace(get.space)})`);
      if (get.fellBackFrom) out.say(`  branch "${get.fellBackFrom.branch}" has no space for this layer yet: get reads ${config.mainBranch}'s`);
      const held = get.state.revision;
      if (held) out.say(`  the folder holds revision ${held.rev}${held.commit ? ` (commit ${held.commit.slice(0, 8)})` : ''}, pulled with get-results-at on ${held.pulledAt}: \`just get-results\` returns it to the branch head; a put would roll the branch back (refused unless --force)`);
      const elsewhere = heldElsewhere(get);
      if (elsewhere) out.say(`  the folder holds the files of ${elsewhere} (its last full sync, e.g. get-results-from): \`just get-results\` makes it this branch's again`);
      const record = get.state.spaces[get.space.id];
      if (!record) out.say('  never synced from this working copy');
      else {
        out.say(`  last synced ${record.syncedAt || 'partly'} (remote head ${record.head ?? 'none'}; now ${get.head ?? 'none'})`);
        const changed: string[] = [];
        const byKey = new Map(get.remote.entries.map((e) => [e.key, e]));
        for (const e of get.remote.entries) {
          const r = record.remote[e.key];
          if (!r) changed.push(`+ ${e.key}`);
          else if (r.size !== e.size || sameContent(r.digests, e.digests) === false) changed.push(`~ ${e.key}`);
        }
        for (const key of Object.keys(record.remote)) if (!byKey.has(key)) changed.push(`- ${key}`);
        if (changed.length) {
          out.say(`  remote changes since your last sync: ${changed.length}`);
          for (const c of changed.slice(0, 20)) out.say(`    ${c}`);
          if (changed.length > 20) out.say(`    … and ${changed.length - 20} more`);
        } else out.say('  no remote changes since your last sync');
      }
      const unshared = get.plan.items.filter((i) => i.unshared);
      if (unshared.length) {
        out.say(`  unshared local work: ${unshared.length} file(s)`);
        for (const i of unshared.slice(0, 20)) out.say(`    ${i.key}`);
      }
      const getChanges = get.plan.items.filter((i) => i.kind !== 'skip');
      out.say(`  get would: ${countsText(get.plan)}`);
      const getRefusal = await refusedBy(layer, () => checkPull(ctx, get, false));
      if (getRefusal) out.say(`  get would be refused: ${getRefusal}`);
      for (const i of getChanges.slice(0, 10)) out.say('    ' + itemLine(layer.name, i));
      const putChanges = put.plan.items.filter((i) => i.kind !== 'skip');
      out.say(`  put would: ${countsText(put.plan)} → ${describeSpace(put.space)}`);
      // The same guards a real push runs (role first, as the recipes check it).
      const refusal = roleRefusal(ctx, layer) ?? (await refusedBy(layer, () => checkPush(ctx, put, false, () => undefined)));
      if (refusal) out.say(`  put would be refused: ${refusal}`);
      const names = unpushableNames(put.plan, layer.local);
      if (names) for (const line of names.split('\n').slice(1)) out.say(`  ${line}`);
      for (const i of putChanges.slice(0, 10)) out.say('    ' + itemLine(layer.name, i));
      for (const r of get.plan.refused) out.say(`  ! remote key ${JSON.stringify(r.key)} is refused: ${r.reason}`);
    }
  });
}
