// The guards a sync runs between planning and moving anything (SPEC §6): for a pull, a
// remote with nothing there, unshared work and too many recycles; for a push, a folder held
// at a past revision, unpushable names, someone else's push, an empty folder, unreadable
// folders and too many deletes. Recipes run them for every layer before any layer moves;
// `status` runs the same ones to say what a real get or put would say.
import type { RunContext } from './context.js';
import { ConflictError, RefusedError } from './errors.js';
import { emptyLocalLayer, remoteMissing, tooManyDeletes, tooManyRecycles, unpushableNames, unsharedWork } from './plan/guards.js';
import { describeSpace } from './space.js';
import type { Prepared } from './sync.js';

/**
 * checkPull runs the pull guards: a missing remote, unshared work, too many recycles.
 * Recipes run it for every layer before any layer moves; --force passes them all.
 */
export function checkPull(ctx: RunContext, p: Prepared, force: boolean): void {
  if (force) return;
  const where = describeSpace(p.space);
  const missing = remoteMissing(p.plan, p.head !== null || p.remote.entries.length > 0 || p.remote.refused.length > 0, where);
  const elsewhere = heldElsewhere(p);
  if (missing && elsewhere) {
    // Not a typo: the folder holds another space's files (get-results-from), and this one is empty.
    throw new RefusedError(
      `${p.layer.name}: ${p.layer.local}/ holds the files of ${elsewhere} (pulled with get-results-from), and ${where} holds none yet: pulling it would recycle all ${p.plan.items.filter((i) => i.kind === 'recycle').length} of them. Nothing was changed.`,
      `To empty the folder for this branch, run again with --force (the files go to ${ctx.config.recycleDir}/; they are still on that space).`,
    );
  }
  if (missing) {
    throw new RefusedError(
      `${p.layer.name}: ${missing} Nothing was changed.`,
      `Check the remote in \`just config\` (a typo, letter case, the bucket or dataset name) and that the share is mounted. If the remote really is empty, run again with --force: your files go to ${ctx.config.recycleDir}/, never deleted.`,
    );
  }
  const unshared = unsharedWork(p.plan);
  if (unshared) {
    throw new RefusedError(
      `${p.layer.name}: ${unshared}`,
      'Keep your versions (and your deletions) and take the rest with --keep (then push), push that work first, or run again with --force to take the remote\'s version (replaced files go to the recycle folder, never deleted).',
    );
  }
  const tooMany = tooManyRecycles(p.plan, ctx.config.deleteThreshold);
  if (tooMany) {
    throw new RefusedError(`${p.layer.name}: ${tooMany} Nothing was changed.`, `Run with --dry-run to see the list and check the remote (${where}). If that is what you want, run again with --force: the files go to ${ctx.config.recycleDir}/, never deleted.`);
  }
}

/** heldElsewhere names the space the folder was last made equal to, when that is not the one being pulled. */
export function heldElsewhere(p: Prepared): string | null {
  const basis = p.state.basis;
  if (!basis || basis === p.space.id || p.state.revision) return null;
  // Another branch of the same remote; a space of another remote means the remote changed (a typo, a move).
  const url = p.space.remote.url;
  if (!basis.startsWith(`${url}/`) && !basis.startsWith(`${url}@`)) return null;
  return basis.endsWith(`/${p.layer.path}`) ? basis.slice(0, -p.layer.path.length - 1).replace(/\/branches\/(.+)$/, ' branch $1').replace(/^(.*)@(.+)$/, '$1 branch $2') : basis;
}

/** shortHead shows a Hub commit id as `just log` does (8 characters); journal numbers stay whole. */
function shortHead(head: string | null): string {
  return head && /^[0-9a-f]{40}$/.test(head) ? head.slice(0, 8) : String(head);
}

/**
 * checkHead enforces SPEC §6.7 before a push: the space must be where this working copy
 * last saw it. Returns the head to build on.
 */
export async function checkHead(p: Prepared, force: boolean, warn: (m: string) => void): Promise<string | null> {
  const record = p.state.spaces[p.space.id];
  const scoped = p.scope && record?.scopeHeads && p.scope in record.scopeHeads;
  const seen = scoped ? record!.scopeHeads![p.scope]! : (record?.head ?? null);
  if (p.head === seen) return seen;
  if (record?.pending && p.head !== null && (await p.backend.ownsHead?.(p.space, record.pending, p.head))) {
    warn(`${p.layer.name}: continuing this working copy's interrupted push${p.backend.kind === 'hf' ? '' : ` (journal record ${record.pending.seq})`}.`);
    return p.head;
  }
  const where = describeSpace(p.space);
  if (force) {
    warn(`${p.layer.name}: ${where} changed since your last sync; pushing anyway (--force): the remote becomes exactly your folder — files they added or changed are replaced or deleted.`);
    return p.head;
  }
  throw new ConflictError(
    record
      ? `${p.layer.name}: ${where} changed since this working copy last synced it (someone else pushed: remote head ${shortHead(p.head)}, you last saw ${seen ? shortHead(seen) : 'nothing'}). Nothing was changed.`
      : `${p.layer.name}: ${where} already has history that this working copy has never synced. Nothing was changed.`,
    'Run `just status` to see what changed; take their changes with `just get-results --keep` (your unshared files stay as they are), then push again. --force makes the remote exactly your folder.',
  );
}

/**
 * checkPush runs every guard of a push (empty layer, delete threshold, remote head) and
 * returns the head to build on. Recipes check all layers before applying any.
 */
export async function checkPush(ctx: RunContext, p: Prepared, force: boolean, warn: (m: string) => void): Promise<string | null> {
  // A folder pulled at a past revision pushed as it is would roll the branch back to it.
  const held = p.state.revision;
  if (held && !force) {
    throw new RefusedError(
      `${p.layer.name}: ${p.layer.local}/ holds revision ${held.rev}${held.commit ? ` (commit ${held.commit.slice(0, 8)})` : ''}, pulled with get-results-at; pushing it would roll ${describeSpace(p.space)} back to that revision. Nothing was changed.`,
      'To return the folder to the branch head: just get-results. To really make the branch equal that revision, run again with --force.',
    );
  }
  // One key rule both ways: a name a teammate's pull would refuse is never pushed, --force or not.
  const names = unpushableNames(p.plan, p.layer.local);
  if (names) {
    throw new RefusedError(
      `${p.layer.name}: ${names}`,
      'Rename each file as shown (or, to keep it only here, add a pattern for it under "exclude:" in strata.yaml), then push again. Nothing was changed; --force does not push these names.',
    );
  }
  // The head first: a working copy that is behind must hear "someone pushed", not a delete
  // warning whose --force would also skip this check.
  const base = await checkHead(p, force, warn);
  if (!force && p.plan.items.some((i) => i.kind !== 'skip')) {
    // A plan made from a listing taken while someone else's push was landing would be
    // refused for the wrong reason, or carry their half-written state: read the head again.
    // (Skipped when there is nothing to push, so a no-op costs no extra request.)
    const again = await p.backend.head(p.space);
    if (again !== p.head) {
      throw new ConflictError(`${p.layer.name}: someone else pushed to ${describeSpace(p.space)} while this push was being planned. Nothing was changed.`, 'Wait a moment, take their changes with `just get-results --keep`, then push again.');
    }
  }
  const empty = emptyLocalLayer(p.plan, p.local.exists, p.scope);
  if (empty && !force) {
    throw new RefusedError(`${p.layer.name}: ${empty}`, `Check that ${p.layer.local}/ holds the data (is the share mounted? right project?). To really empty the remote, run again with --force.`);
  }
  const unreadable = p.local.skipped.filter((s) => s.reason.startsWith('cannot read folder')).map((s) => s.key);
  const blind = p.plan.items.filter((i) => i.kind === 'delete' && unreadable.some((d) => d === '.' || i.key.startsWith(d + '/')));
  if (blind.length && !force) {
    throw new RefusedError(
      `${p.layer.name}: ${unreadable.map((d) => `${p.layer.local}/${d}`).join(', ')} cannot be read, and pushing would delete the ${blind.length} remote file(s) in it.`,
      'Make the folder readable (or check the disk), then push again. --force pushes anyway and deletes them.',
    );
  }
  const tooMany = tooManyDeletes(p.plan, ctx.config.deleteThreshold);
  if (tooMany && !force) {
    throw new RefusedError(`${p.layer.name}: ${tooMany}`, 'Run with --dry-run to see the list. If that is what you want, run again with --force.');
  }
  return base;
}
