// status: per layer, what get and put would do, unshared local work, and remote changes
// since the last sync — the same plans the sync recipes build, rendered, with no transfer.
import { openProject, withLock } from '../context.js';
import { putRecipeFor, roleFlag, warnPlacement } from './sync-recipes.js';
import type { Args } from '../cli.js';
import { describeCommit } from '../git.js';
import { describeSpace } from '../space.js';
import { pullRefusals, pushRefusals } from '../guards/checks.js';
import { refusalLines, type Refusal } from '../guards/refusal.js';
import { heldElsewhere, roleRule } from '../guards/rules.js';
import { changes } from '../plan/plan.js';
import { prepare } from '../prepare.js';
import { countsText, itemLine } from '../ui/format.js';
import { Reporter } from '../ui/reporter.js';

/** wouldBeRefused: the refusals a real run would show, in the same words, under "get/put would be refused:". */
function wouldBeRefused(what: 'get' | 'put', refusals: Refusal[]): string[] {
  return refusalLines(refusals).map((line, i) => (i === 0 ? `  ${what} would be refused: ${line}` : `  ${line}`));
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
      const held = get.state.folder.revision;
      if (held) out.say(`  the folder holds revision ${held.rev}${held.commit ? ` (commit ${held.commit.slice(0, 8)})` : ''}, pulled with get-results-at on ${held.pulledAt}: \`just get-results\` returns it to the branch head; a put would roll the branch back (refused unless --force)`);
      const elsewhere = heldElsewhere(get);
      if (elsewhere) out.say(`  the folder holds the files of ${elsewhere} (its last full sync, e.g. get-results-from): \`just get-results\` makes it this branch's again`);
      const record = get.state.space(get.space.id);
      if (!record) out.say('  never synced from this working copy');
      else {
        out.say(`  last synced ${record.syncedAt || 'partly'} (remote head ${record.head ?? 'none'}; now ${get.head ?? 'none'})`);
        const { count, first } = get.sinceSync;
        if (count) {
          out.say(`  remote changes since your last sync: ${count}`);
          for (const c of first) out.say(`    ${c}`);
          if (count > first.length) out.say(`    … and ${count - first.length} more`);
        } else out.say('  no remote changes since your last sync');
      }
      const getChanges = changes(get.plan);
      out.say(`  get would: ${countsText(get.plan)}`);
      // The same rules a real get and put run, rendered the same way (role first, as put checks it).
      for (const line of wouldBeRefused('get', pullRefusals(ctx, get))) out.say(line);
      for (const i of getChanges.slice(0, 10)) out.say('    ' + itemLine(layer.name, i));
      const putChanges = changes(put.plan);
      out.say(`  put would: ${countsText(put.plan)} → ${describeSpace(put.space)}`);
      const role = roleRule(ctx, putRecipeFor(layer), [layer]);
      const refusals = role ? [role] : (await pushRefusals(ctx, put, false, () => undefined)).refusals;
      for (const line of wouldBeRefused('put', refusals)) out.say(line);
      for (const i of putChanges.slice(0, 10)) out.say('    ' + itemLine(layer.name, i));
      for (const r of get.plan.refused) out.say(`  ! remote key ${JSON.stringify(r.key)} is refused: ${r.reason}`);
    }
  });
}
