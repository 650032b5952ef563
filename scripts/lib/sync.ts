// The sync of one layer, stage by stage: list both sides → hash only what a size match
// leaves in doubt → plan (pure) → guards → apply → remember. Recipes call prepare() and
// then pull() or push(); `status` stops after prepare(). The guards between are in guards.ts.
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import type { Layer } from './config/layers.js';
import { StrataError, TransferError } from './errors.js';
import { changeRecord, type RunContext } from './context.js';
import { applyPull } from './apply/pull.js';
import { Recycler } from './apply/recycle.js';
import { hashFile } from './listing/digest.js';
import type { Entry } from './listing/entry.js';
import { excludeMatcher } from './listing/exclude.js';
import { normaliseKey } from './listing/keys.js';
import { listLocal, type LocalListing } from './listing/local.js';
import { loadState, saveState, sharedDigests, type LayerState, type RemoteRecord } from './listing/state.js';
import { match } from './plan/match.js';
import { buildPlan, changes, digestsWanted, type Direction, type Plan } from './plan/plan.js';
import { openBackend } from './remotes/index.js';
import type { Backend, Baseline, RemoteListing, TransferEvents } from './remotes/types.js';
import { atRevision, branchCollides, spaceFor, type Space } from './space.js';

export interface Prepared {
  layer: Layer;
  direction: Direction;
  space: Space;
  /** Set when a branch had no space yet and main's was read instead (pull only). */
  fellBackFrom?: Space;
  backend: Backend;
  state: LayerState;
  head: string | null;
  localRoot: string;
  local: LocalListing;
  remote: RemoteListing;
  seedSpace?: Space;
  /** Hub: a new branch is created from this main commit; its plan was made against main's files. */
  seedHead?: string | null;
  plan: Plan;
  scope: string;
}

export interface PrepareOptions {
  /** The branch whose space to use (results); inputs always use main. */
  branch: string;
  /** Limit to one folder of the layer (a RUN), relative to the layer. */
  scope?: string;
  /** Pull: read main's space when the branch has none yet. */
  fallbackToMain?: boolean;
  /** Read a specific revision (Hub layers: commit, branch or tag). */
  revision?: string;
}

const HASHERS = 4;

/**
 * prepare runs the stages of a sync up to the plan: choose the space → read the state record
 * and the head → list both sides → hash what a size match leaves in doubt → plan. Nothing is
 * changed; `status` stops here, the recipes go on to the guards and pull() or push().
 */
export async function prepare(ctx: RunContext, layer: Layer, direction: Direction, opts: PrepareOptions): Promise<Prepared> {
  const { config } = ctx;
  const scope = runScope(opts.scope);
  const { space, backend, fellBackFrom } = await chooseSpace(ctx, layer, direction, opts);
  const state = loadState(config.projectRoot, layer.name);
  const head = await backend.head(space);
  if (opts.revision && head === null) {
    throw new StrataError(`${space.remote.url} has no revision "${opts.revision}".`, 'Use a commit id from `just log`, a tag, or a branch name.', 2);
  }
  const localRoot = path.join(config.projectRoot, layer.local);
  const exclude = excludeMatcher(config.excludes);
  const local = listLocal(localRoot, exclude, state, scope);
  const { remote, seedHead, seedSpace, seed } = await listRemote(ctx, backend, space, head, direction, scope, local.entries, state, exclude);

  const shared = (key: string) => sharedDigests(state, key);
  // One merge of the listings serves both the hashing stage and the planner (entries are
  // shared objects, so digests filled in between are seen by the planner).
  const pairs = match(local.entries, remote.entries);
  const wanted = digestsWanted({ direction, layer: layer.name, space: space.id, local: local.entries, remote: remote.entries, seed, shared, pairs });
  await hashInDoubt(layer, localRoot, state, wanted);
  // What the folder was made equal to last: a deletion is a key that basis had and the folder lacks.
  const basis = state.spaces[state.basis ?? space.id] ?? state.spaces[space.id];
  const synced = (key: string) => basis?.remote[key];
  const plan = buildPlan({ direction, layer: layer.name, space: space.id, local: local.entries, remote: remote.entries, seed, shared, synced, refused: direction === 'push' ? local.refused : remote.refused, pairs });
  return { layer, direction, space, fellBackFrom, backend, state, head, localRoot, local, remote, seedSpace, seedHead, plan, scope };
}

/** runScope: a run folder inside the layer, without leading or trailing slashes ('' for the whole layer). */
function runScope(given: string | undefined): string {
  const scope = (given ?? '').replace(/^\/+|\/+$/g, '');
  if (scope && scope.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new StrataError(`"${given}" is not a folder inside the layer.`, 'Give a run folder name like `plate-42` or `2026-11-run3`.', 2);
  }
  return scope;
}

/**
 * chooseSpace: the branch's space (main's for inputs), at a past revision when asked (only a
 * versioned remote has them), or main's for a pull when the branch has none yet.
 */
async function chooseSpace(ctx: RunContext, layer: Layer, direction: Direction, opts: PrepareOptions): Promise<{ space: Space; backend: Backend; fellBackFrom?: Space }> {
  const { config } = ctx;
  const collision = layer.kind === 'result' && !layer.remote.startsWith('hf:') && opts.branch !== config.mainBranch && branchCollides(opts.branch, config.layers.map((l) => l.path));
  if (collision) throw new StrataError(`The branch name "${opts.branch}" cannot name a remote space: ${collision}.`, 'Rename the branch (git branch -m NEW-NAME).', 2);
  let space = spaceFor(layer, opts.branch, config.mainBranch);
  const backend = await openBackend(space.remote, config);
  if (opts.revision) {
    if (!backend.versioned) throw new StrataError(`${layer.name} is not a versioned layer (its remote is ${space.remote.url}): it has no past revisions.`, 'Only layers on a Hub dataset keep history.', 2);
    space = atRevision(space, opts.revision);
  }
  if (direction === 'pull' && opts.fallbackToMain && !space.isMain && !(await backend.exists(space))) {
    return { space: spaceFor(layer, config.mainBranch, config.mainBranch), backend, fellBackFrom: space };
  }
  return { space, backend };
}

/**
 * listRemote: what the space holds (excluded keys left out), with the digests a previous
 * sync knew; for a push to a space with no history yet, what it starts from (the backend's
 * baseline: main's files on the Hub, main's files to copy inside the store on S3 and folders).
 */
async function listRemote(
  ctx: RunContext,
  backend: Backend,
  space: Space,
  head: string | null,
  direction: Direction,
  scope: string,
  local: Entry[],
  state: LayerState,
  exclude: (key: string) => boolean,
): Promise<{ remote: RemoteListing; seedHead?: string | null; seedSpace?: Space; seed?: Entry[] }> {
  // An excluded key is acknowledged: a refused key another tool put there stops being reported.
  const visible = (listing: RemoteListing): RemoteListing => ({
    entries: listing.entries.filter((e) => !exclude(e.key)),
    refused: listing.refused.filter((r) => !exclude(normaliseKey(r.key))),
  });
  let remote = visible(await backend.list(space, scope, local));
  let base: Baseline = {};
  if (direction === 'push' && head === null && !space.isMain) {
    base = await backend.baseline(space, spaceFor(space.layer, ctx.config.mainBranch, ctx.config.mainBranch), scope, remote);
    if (base.remote) remote = visible(base.remote);
    if (base.seed && base.seedSpace) reuseRemoteDigests(base.seed, state, base.seedSpace);
  }
  reuseRemoteDigests(remote.entries, state, space);
  await fillRemoteDigests(backend, space, local, remote.entries);
  return { remote, seedHead: base.seedHead, seedSpace: base.seedSpace, seed: base.seed };
}

/** hashInDoubt hashes the local files the planner cannot decide on by size (HASHERS at a time) and caches the hashes. */
async function hashInDoubt(layer: Layer, localRoot: string, state: LayerState, wanted: ReturnType<typeof digestsWanted>): Promise<void> {
  const limit = pLimit(HASHERS);
  await Promise.all(
    wanted.map(({ entry, names }) =>
      limit(async () => {
        const file = path.join(localRoot, ...(entry.name ?? entry.key).split('/'));
        try {
          Object.assign(entry.digests, await hashFile(file, names));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new StrataError(`Cannot read ${layer.local}/${entry.key} (${code ?? (e as Error).message}).`, code === 'EACCES' || code === 'EPERM' ? 'Make it readable (chmod u+r), or move it out of the data folder.' : 'Check the file, then run again.', 2);
        }
        state.files[entry.key] = { size: entry.size, mtimeMs: entry.mtimeMs!, digests: { ...entry.digests } };
      }),
    ),
  );
}

// A remote file whose change tag is what it was at the last sync has the content it had then.
function reuseRemoteDigests(entries: Entry[], state: LayerState, space: Space) {
  const record = state.spaces[space.id];
  if (!record) return;
  for (const e of entries) {
    const r = record.remote[e.key];
    if (r && e.tag && r.tag === e.tag && r.size === e.size) e.digests = { ...r.digests, ...e.digests };
  }
}

// Plain-folder remotes list no hashes: hash the remote side of size-equal pairs (the only ones in doubt).
async function fillRemoteDigests(backend: Backend, space: Space, local: Entry[], remote: Entry[]) {
  if (!backend.remoteDigests) return;
  const byKey = new Map(local.map((e) => [e.key, e]));
  const limit = pLimit(HASHERS);
  await Promise.all(
    remote
      .filter((r) => Object.keys(r.digests).length === 0 && byKey.get(r.key)?.size === r.size)
      .map((r) => limit(async () => Object.assign(r.digests, await backend.remoteDigests!(space, r)))),
  );
}

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
