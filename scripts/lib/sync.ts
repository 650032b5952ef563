// The sync of one layer after planning: pull() and push() apply a plan the guards passed
// (executors that decide nothing), then remember what the remote now holds in the state
// record (state/transitions.ts says how). The stages before — space, listings, hashing, plan — are prepare.ts.
import fs from 'node:fs';
import { TransferError } from './errors.js';
import { changeRecord, type RunContext } from './context.js';
import { applyPull } from './apply/pull.js';
import { Recycler } from './apply/recycle.js';
import { afterClaim, afterPull, afterPush, afterUnchangedPush, pushedRow } from './state/transitions.js';
import { changes } from './plan/plan.js';
import type { TransferEvents } from './remotes/types.js';
import type { Prepared } from './prepare.js';

export interface Outcome {
  prepared: Prepared;
  failed: { key: string; error: string }[];
  recycleFolder?: string;
}

/** keepUnshared (pull --keep) leaves unshared local work as it is and applies the rest of the plan. */
export function keepUnshared(p: Prepared): void {
  p.plan = {
    ...p.plan,
    items: p.plan.items.map((i) =>
      // The reason keeps what was decided (it says whose change is set aside); the kind becomes skip.
      i.unshared ? { ...i, kind: 'skip', bytes: 0, unshared: false, kept: true, reason: `${i.deletedHere ? 'kept deleted' : 'kept yours'} (--keep): ${i.reason}` } : i,
    ),
  };
}

/** pull applies a prepared pull plan that the guards (checkPull) have passed: it decides nothing. */
export async function pull(ctx: RunContext, p: Prepared, opts: { events: TransferEvents }): Promise<Outcome> {
  // Temp files of a killed run: under the lock, none of them is being written now.
  for (const tmp of p.local.temps) await fs.promises.rm(tmp, { force: true });
  const recycler = new Recycler(ctx.config.projectRoot, ctx.config.recycleDir, p.layer.name);
  const result = await applyPull(p.backend, p.space, p.plan, p.localRoot, recycler, { transfers: ctx.config.transfers, events: opts.events });

  // Remember what the remote held: it is what this working copy now shares with it.
  p.state.save(
    afterPull(before(p), {
      space: p.space,
      hashed: p.hashed,
      scope: p.scope,
      head: p.head,
      items: p.plan.items,
      learnt: p.learnt,
      written: result.written,
      recycled: result.recycled,
      failed: result.failed.length > 0,
      now: new Date().toISOString(),
    }),
  );
  return { prepared: p, failed: result.failed, recycleFolder: recycler.count ? recycler.folder : undefined };
}

/** push applies a checked push plan and records the new head. */
export async function push(ctx: RunContext, p: Prepared, base: string | null, opts: { recipe: string; events: TransferEvents }): Promise<Outcome> {
  const now = () => new Date().toISOString();
  if (!changes(p.plan).length) {
    // Nothing to change: no journal record, no commit; just remember the sync.
    p.state.save(afterUnchangedPush(before(p), { space: p.space, hashed: p.hashed, scope: p.scope, base, head: p.head, learnt: p.learnt, now: now() }));
    return { prepared: p, failed: [] };
  }
  // Each file written is staged as it finishes (its rows, not a map of the push): the record
  // takes them with the save below, in the transaction that moves the head.
  const staging = p.state.stage();
  const result = await p.backend.push(p.space, p.plan, {
    localRoot: p.localRoot,
    record: changeRecord(ctx, opts.recipe, p.layer.name, p.space.branch),
    expectedHead: base,
    pending: p.state.space(p.space.id)?.pending,
    seedSpace: p.seedSpace,
    seedHead: p.seedHead,
    mainBranch: ctx.config.mainBranch,
    transfers: ctx.config.transfers,
    events: opts.events,
    onClaim: async (claim) => p.state.save(afterClaim(before(p), p.space, claim)),
    written: { add: (item, digests, tag) => staging.add(item.key, pushedRow(item.local!, digests, tag)), read: () => staging.digests() },
  });
  p.state.save(
    afterPush(before(p), {
      space: p.space,
      hashed: p.hashed,
      scope: p.scope,
      base,
      items: p.plan.items,
      learnt: p.learnt,
      result: { head: result.head, failed: result.failed.length > 0, created: result.created },
      now: now(),
    }),
  );
  if (result.failed.length) {
    throw new TransferError(
      `${p.layer.name}: ${result.failed.length} file(s) did not transfer${result.deletesSkipped ? `; ${result.deletesSkipped} remote delete(s) were skipped` : ''}:\n` +
        result.failed.slice(0, 20).map((f) => `    ${f.key}: ${f.error}`).join('\n'),
      result.failed,
    );
  }
  return { prepared: p, failed: [] };
}

/** The record a transition starts from: the folder's and this space's. */
function before(p: Prepared) {
  return { folder: p.state.folder, space: p.state.space(p.space.id) };
}
