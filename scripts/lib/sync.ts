// The sync of one layer after planning: pull() and push() apply a plan the guards passed
// (executors that decide nothing), then remember what the remote now holds in the state
// record. The stages before — space, listings, hashing, plan — are prepare.ts.
import fs from 'node:fs';
import { TransferError } from './errors.js';
import { changeRecord, type RunContext } from './context.js';
import { applyPull } from './apply/pull.js';
import { Recycler } from './apply/recycle.js';
import { saveState, type LayerState, type RemoteRecord } from './listing/state.js';
import { changes } from './plan/plan.js';
import type { TransferEvents } from './remotes/types.js';
import type { Space } from './space.js';
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
  const previous = { ...(p.state.spaces[p.space.id]?.remote ?? {}) };
  const record = scopedRecord(p.state, p.space, p.scope);
  for (const item of p.plan.items) {
    const r = item.remote;
    if (!r) continue;
    if (item.kind === 'skip') {
      // A kept file differs from the remote: record only what the remote holds.
      record.remote[item.key] = { size: r.size, tag: r.tag, digests: item.kept ? { ...r.digests } : { ...r.digests, ...item.local!.digests } };
    } else {
      const w = result.written.get(item.key);
      if (!w) continue;
      record.remote[item.key] = { size: r.size, tag: r.tag, digests: w.digests };
      p.state.files[item.key] = { size: w.size, mtimeMs: w.mtimeMs, digests: w.digests };
    }
  }
  // A removed file leaves the hash cache; a replaced one keeps the hashes its download just gave.
  for (const key of result.recycled) if (!result.written.has(key)) delete p.state.files[key];
  if (result.failed.length) {
    // Keys this run did not get to keep what the last sync knew, so a re-run does not take
    // files it never touched for unshared work.
    const recycled = new Set(result.recycled);
    for (const [key, r] of Object.entries(previous)) if (!(key in record.remote) && !recycled.has(key)) record.remote[key] = r;
  }
  if (!result.failed.length) {
    if (p.scope) (record.scopeHeads ??= {})[p.scope] = p.head;
    else {
      record.head = p.head;
      delete record.scopeHeads;
      // The folder now equals this space (at this revision, for get-results-at).
      p.state.basis = p.space.id;
      if (p.space.revision) p.state.revision = { rev: p.space.revision, commit: p.head, branch: p.space.branch, pulledAt: new Date().toISOString() };
      else delete p.state.revision;
    }
    record.syncedAt = new Date().toISOString();
  }
  await saveState(ctx.config.projectRoot, p.layer.name, p.state);
  return { prepared: p, failed: result.failed, recycleFolder: recycler.count ? recycler.folder : undefined };
}

// The space record with the keys in scope cleared (they are re-filled from this sync);
// keys outside a scoped sync keep what the last full sync saw.
function scopedRecord(state: LayerState, space: Space, scope: string) {
  const record = (state.spaces[space.id] ??= { head: null, syncedAt: '', remote: {} });
  const fresh: Record<string, RemoteRecord> = {};
  for (const [k, v] of Object.entries(record.remote)) if (scope && !k.startsWith(scope + '/')) fresh[k] = v;
  record.remote = fresh;
  return record;
}

/** push applies a checked push plan and records the new head. */
export async function push(ctx: RunContext, p: Prepared, base: string | null, opts: { recipe: string; events: TransferEvents }): Promise<Outcome> {
  const state = p.state;
  const record = (state.spaces[p.space.id] ??= { head: null, syncedAt: '', remote: {} });
  if (!changes(p.plan).length) {
    // Nothing to change: no journal record, no commit; just remember the sync.
    const fresh = scopedRecord(state, p.space, p.scope);
    for (const i of p.plan.items) fresh.remote[i.key] = { size: i.remote!.size, tag: i.remote!.tag, digests: { ...i.remote!.digests, ...i.local!.digests } };
    if (!p.scope || base === record.head) fresh.head = p.head;
    else (fresh.scopeHeads ??= {})[p.scope] = p.head;
    fresh.syncedAt = new Date().toISOString();
    if (!p.scope) {
      state.basis = p.space.id;
      delete state.revision;
    }
    await saveState(ctx.config.projectRoot, p.layer.name, state);
    return { prepared: p, failed: [] };
  }
  const result = await p.backend.push(p.space, p.plan, {
    localRoot: p.localRoot,
    record: changeRecord(ctx, opts.recipe, p.layer.name, p.space.branch),
    expectedHead: base,
    pending: record.pending,
    seedSpace: p.seedSpace,
    seedHead: p.seedHead,
    mainBranch: ctx.config.mainBranch,
    transfers: ctx.config.transfers,
    events: opts.events,
    onClaim: async (claim) => {
      record.pending = claim;
      await saveState(ctx.config.projectRoot, p.layer.name, state);
    },
  });

  for (const e of p.local.entries) {
    const written = result.written.get(e.key);
    if (written) state.files[e.key] = { size: e.size, mtimeMs: e.mtimeMs!, digests: { ...e.digests, ...written } };
  }
  if (result.failed.length && result.created) {
    // The push created the Hub repo or branch, then failed: the space now exists and holds
    // exactly what the plan was made against (main's files), so remember that as synced.
    const created = scopedRecord(state, p.space, '');
    for (const r of p.remote.entries) created.remote[r.key] = { size: r.size, tag: r.tag, digests: { ...r.digests } };
    created.head = result.created;
    delete created.pending;
  }
  if (result.failed.length) {
    await saveState(ctx.config.projectRoot, p.layer.name, state);
    throw new TransferError(
      `${p.layer.name}: ${result.failed.length} file(s) did not transfer${result.deletesSkipped ? `; ${result.deletesSkipped} remote delete(s) were skipped` : ''}:\n` +
        result.failed.slice(0, 20).map((f) => `    ${f.key}: ${f.error}`).join('\n'),
      result.failed,
    );
  }
  const wasFullySynced = base === record.head;
  const fresh = scopedRecord(state, p.space, p.scope);
  const remoteByKey = new Map(p.remote.entries.map((e) => [e.key, e]));
  for (const e of p.local.entries) {
    const r = remoteByKey.get(e.key);
    const written = result.written.get(e.key);
    fresh.remote[e.key] = {
      size: e.size,
      tag: result.tags.get(e.key) ?? (written ? undefined : r?.tag),
      digests: { ...(written ? {} : r?.digests), ...e.digests, ...written },
    };
  }
  // Only a push built on the whole space's head may advance it; a run folder pushed from a
  // scoped sync advances that folder's head.
  if (!p.scope || wasFullySynced) {
    fresh.head = result.head;
    delete fresh.scopeHeads;
  } else (fresh.scopeHeads ??= {})[p.scope] = result.head;
  fresh.syncedAt = new Date().toISOString();
  delete fresh.pending;
  if (!p.scope) {
    state.basis = p.space.id;
    delete state.revision;
  }
  await saveState(ctx.config.projectRoot, p.layer.name, state);
  return { prepared: p, failed: [] };
}
