// The guards a sync runs between planning and moving anything: every rule of guards/rules.ts
// for a pull or a push of one layer, as one list. `checkPull` and `checkPush` throw its first
// refusal that --force does not pass (naming the others); `status` prints the same list.
// Recipes run the checks for every layer before any layer moves.
import type { RunContext } from '../context.js';
import { changes } from '../plan/plan.js';
import type { Prepared } from '../prepare.js';
import { describeSpace } from '../space.js';
import { refusal, refuse, type Refusal } from './refusal.js';
import { emptyLocalLayer, heldElsewhere, heldRevision, remoteLimits, remoteMissing, someonePushed, tooManyDeletes, tooManyRecycles, unpushableNames, unreadableFolders, unsharedWork } from './rules.js';

/** pullRefusals: every pull rule that says no for this layer, in the order a user should hear them. */
export function pullRefusals(ctx: RunContext, p: Prepared): Refusal[] {
  const where = describeSpace(p.space);
  const { recycleDir, deleteThreshold } = ctx.config;
  const found: (Refusal | null)[] = [];
  const missing = remoteMissing(p.plan, p.head !== null || p.plan.remoteFiles > 0 || p.remote.refused.length > 0, where, recycleDir);
  const elsewhere = missing && heldElsewhere(p);
  if (elsewhere) {
    // Not a typo: the folder holds another space's files (get-results-from), and this one is empty.
    found.push(
      refusal(
        'held-elsewhere',
        `${p.layer.local}/ holds the files of ${elsewhere} (pulled with get-results-from), and ${where} holds none yet: pulling it would recycle all ${p.plan.items.filter((i) => i.kind === 'recycle').length} of them. Nothing was changed.`,
        `To empty the folder for this branch, run again with --force (the files go to ${recycleDir}/; they are still on that space).`,
      ),
    );
  } else found.push(missing);
  found.push(unsharedWork(p.plan), tooManyRecycles(p.plan, deleteThreshold, where, recycleDir));
  return found.filter((r): r is Refusal => r !== null);
}

/**
 * pushRefusals: every push rule that says no for this layer, and the head to build on.
 * The head comes early: a working copy that is behind must hear "someone pushed" first, and
 * then nothing about deletes that only being behind would cause.
 * With `force`, the second reading of the head is skipped (nothing would act on it).
 */
export async function pushRefusals(ctx: RunContext, p: Prepared, force: boolean, warn: (m: string) => void): Promise<{ refusals: Refusal[]; base: string | null }> {
  const found: (Refusal | null)[] = [heldRevision(p), unpushableNames(p.plan, p.layer.local), remoteLimits(p.plan, p.backend.limits, p.layer.local, warn)];
  const head = await someonePushed(p, warn);
  found.push(head.refusal);
  if (!head.refusal && !force && changes(p.plan).length > 0) {
    // A plan made from a listing taken while someone else's push was landing would be
    // refused for the wrong reason, or carry their half-written state: read the head again.
    // (Skipped when there is nothing to push, so a no-op costs no extra request.)
    const again = await p.backend.head(p.space);
    if (again !== p.head) {
      found.push(refusal('pushed-while-planning', `someone else pushed to ${describeSpace(p.space)} while this push was being planned. Nothing was changed.`, 'Wait a moment, take their changes with `just get-results --keep`, then push again.', { exitCode: 4 }));
    }
  }
  const conflict = found.some((r) => r?.exitCode === 4);
  // Behind someone else's push, the plan deletes their new files: rules that count the plan's
  // deletes would only repeat that, and their "--force" would skip the conflict too.
  if (!conflict) found.push(emptyLocalLayer(p.plan, p.local.exists, p.layer.local, p.scope), unreadableFolders(p), tooManyDeletes(p.plan, ctx.config.deleteThreshold));
  return { refusals: found.filter((r): r is Refusal => r !== null), base: head.base };
}

/** checkPull: the pull guards for one layer; --force passes them all. */
export function checkPull(ctx: RunContext, p: Prepared, force: boolean): void {
  if (force) return;
  refuse(`${p.layer.name}: `, pullRefusals(ctx, p), force);
}

/** checkPush: the push guards for one layer; returns the head to build on. */
export async function checkPush(ctx: RunContext, p: Prepared, force: boolean, warn: (m: string) => void): Promise<string | null> {
  const { refusals, base } = await pushRefusals(ctx, p, force, warn);
  refuse(`${p.layer.name}: `, refusals, force, warn);
  return base;
}
