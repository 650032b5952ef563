// How a sync changes the state record, as pure functions: each takes the record before and
// what the sync did, and returns the rows to write (a StateChange) — only the rows that
// differ, so a sync that changed nothing writes a head and a time, not a million rows. sync.ts
// calls them and hands the result to the store; test/unit/state-transitions.test.ts has a row
// per case.
import type { Entry } from '../listing/entry.js';
import type { PlanItem } from '../plan/plan.js';
import type { Claim, Digests, FileRecord, FolderRecord, RemoteRecord, SpaceRecord, StateChange } from './record.js';
import { emptySpace } from './record.js';

/** The space a sync ran against, as the record names it. */
export interface SyncedSpace {
  id: string;
  branch: string;
  /** get-results-at: the revision read. */
  revision?: string;
}

export interface Before {
  folder: FolderRecord;
  space: SpaceRecord | undefined;
}

export interface PullFacts {
  space: SyncedSpace;
  /** The hash cache's changes found while planning (files hashed; null: gone from the folder). */
  hashed: ReadonlyMap<string, FileRecord | null>;
  scope: string;
  /** The space's head the plan was made against. */
  head: string | null;
  items: readonly PlanItem[];
  written: ReadonlyMap<string, FileRecord>;
  recycled: readonly string[];
  failed: boolean;
  now: string;
}

/** afterPull: the remote's files this pull saw (or wrote) are shared; a whole, successful pull moves the folder to this space. */
export function afterPull(before: Before, f: PullFacts): StateChange {
  const previous = before.space?.remote ?? new Map<string, RemoteRecord>();
  const next = scoped(before.space, f.scope);
  const files = new Map<string, FileRecord | null>(f.hashed);
  for (const item of f.items) {
    const r = item.remote;
    if (!r) continue;
    if (item.kind === 'skip') {
      // A kept file differs from the remote: record only what the remote holds.
      next.remote.set(item.key, remoteRecord(r.size, r.tag, item.kept ? { ...r.digests } : { ...r.digests, ...item.local!.digests }));
    } else {
      const w = f.written.get(item.key);
      if (!w) continue;
      next.remote.set(item.key, remoteRecord(r.size, r.tag, w.digests));
      files.set(item.key, { size: w.size, mtimeMs: w.mtimeMs, digests: w.digests });
    }
  }
  // A removed file leaves the hash cache; a replaced one keeps the hashes its download just gave.
  for (const key of f.recycled) if (!f.written.has(key)) files.set(key, null);
  let folder: FolderRecord | undefined;
  if (f.failed) {
    // Keys this run did not get to keep what the last sync knew, so a re-run does not take
    // files it never touched for unshared work.
    const recycled = new Set(f.recycled);
    for (const [key, r] of previous) if (!next.remote.has(key) && !recycled.has(key)) next.remote.set(key, r);
  } else {
    if (f.scope) next.scopeHeads = { ...next.scopeHeads, [f.scope]: f.head };
    else {
      next.head = f.head;
      delete next.scopeHeads;
      // The folder now equals this space (at this revision, for get-results-at).
      folder = { basis: f.space.id };
      if (f.space.revision) folder.revision = { rev: f.space.revision, commit: f.head, branch: f.space.branch, pulledAt: f.now };
    }
    next.syncedAt = f.now;
  }
  return change(before.space, next, f.space, { files, folder });
}

export interface UnchangedPushFacts {
  space: SyncedSpace;
  hashed: ReadonlyMap<string, FileRecord | null>;
  scope: string;
  /** The head the guards checked against (the record's, or an unfinished own push's). */
  base: string | null;
  head: string | null;
  items: readonly PlanItem[];
  now: string;
}

/** afterUnchangedPush: nothing to push — no journal record, no commit; the sync is remembered. */
export function afterUnchangedPush(before: Before, f: UnchangedPushFacts): StateChange {
  const next = scoped(before.space, f.scope);
  for (const i of f.items) next.remote.set(i.key, remoteRecord(i.remote!.size, i.remote!.tag, { ...i.remote!.digests, ...i.local!.digests }));
  if (!f.scope || f.base === (before.space?.head ?? null)) next.head = f.head;
  else next.scopeHeads = { ...next.scopeHeads, [f.scope]: f.head };
  next.syncedAt = f.now;
  return change(before.space, next, f.space, { files: new Map(f.hashed), folder: f.scope ? undefined : { basis: f.space.id } });
}

/** afterClaim: a push claimed a journal sequence; a re-run after a kill may continue it. */
export function afterClaim(before: Before, space: SyncedSpace, claim: Claim): StateChange {
  const next = { ...copy(before.space), pending: claim };
  return change(before.space, next, space, {});
}

export interface PushFacts {
  space: SyncedSpace;
  hashed: ReadonlyMap<string, FileRecord | null>;
  scope: string;
  base: string | null;
  local: readonly Entry[];
  /** The remote listing the plan was made against. */
  remote: readonly Entry[];
  result: {
    written: ReadonlyMap<string, Digests>;
    tags: ReadonlyMap<string, string>;
    head: string | null;
    failed: boolean;
    /** A Hub repo or branch this push created before it failed. */
    created?: string | null;
  };
  now: string;
}

/** afterPush: the local files are what the space now holds; a failed push keeps only what it learnt. */
export function afterPush(before: Before, f: PushFacts): StateChange {
  const files = new Map<string, FileRecord | null>(f.hashed);
  for (const e of f.local) {
    const written = f.result.written.get(e.key);
    if (written) files.set(e.key, { size: e.size, mtimeMs: e.mtimeMs!, digests: { ...e.digests, ...written } });
  }
  if (f.result.failed) {
    if (!f.result.created) return { files };
    // The push created the Hub repo or branch, then failed: the space now exists and holds
    // exactly what the plan was made against (main's files), so remember that as synced.
    const created = scoped(before.space, '');
    for (const r of f.remote) created.remote.set(r.key, remoteRecord(r.size, r.tag, { ...r.digests }));
    created.head = f.result.created;
    delete created.pending;
    return change(before.space, created, f.space, { files });
  }
  const wasFullySynced = f.base === (before.space?.head ?? null);
  const next = scoped(before.space, f.scope);
  const remoteByKey = new Map(f.remote.map((e) => [e.key, e]));
  for (const e of f.local) {
    const r = remoteByKey.get(e.key);
    const written = f.result.written.get(e.key);
    next.remote.set(e.key, remoteRecord(e.size, f.result.tags.get(e.key) ?? (written ? undefined : r?.tag), { ...(written ? {} : r?.digests), ...e.digests, ...written }));
  }
  // Only a push built on the whole space's head may advance it; a run folder pushed from a
  // scoped sync advances that folder's head.
  if (!f.scope || wasFullySynced) {
    next.head = f.result.head;
    delete next.scopeHeads;
  } else next.scopeHeads = { ...next.scopeHeads, [f.scope]: f.result.head };
  next.syncedAt = f.now;
  delete next.pending;
  return change(before.space, next, f.space, { files, folder: f.scope ? undefined : { basis: f.space.id } });
}

/** diffRemote: the rows that make `before` into `next` (equal records are not written again). */
export function diffRemote(before: ReadonlyMap<string, RemoteRecord>, next: ReadonlyMap<string, RemoteRecord>): { put: [string, RemoteRecord][]; drop: string[] } {
  const put: [string, RemoteRecord][] = [];
  const drop: string[] = [];
  for (const [key, r] of next) {
    const b = before.get(key);
    if (!b || !sameRecord(b, r)) put.push([key, r]);
  }
  for (const key of before.keys()) if (!next.has(key)) drop.push(key);
  return { put, drop };
}

/** applySpace: the in-memory record after a save (so a later stage of the same run sees it). */
export function applySpace(before: SpaceRecord | undefined, c: NonNullable<StateChange['space']>): SpaceRecord {
  const remote = new Map(before?.remote);
  for (const [k, r] of c.remote.put) remote.set(k, r);
  for (const k of c.remote.drop) remote.delete(k);
  return { ...c.meta, remote };
}

// ---- helpers ----

function remoteRecord(size: number, tag: string | undefined, digests: Digests): RemoteRecord {
  return tag === undefined ? { size, digests } : { size, tag, digests };
}

function copy(s: SpaceRecord | undefined, keys = true): SpaceRecord {
  if (!s) return emptySpace();
  const out: SpaceRecord = { head: s.head, syncedAt: s.syncedAt, remote: keys ? new Map(s.remote) : new Map() };
  if (s.pending) out.pending = s.pending;
  if (s.scopeHeads) out.scopeHeads = { ...s.scopeHeads };
  return out;
}

// The space record with the keys in scope cleared (they are re-filled from this sync); keys
// outside a scoped sync keep what the last full sync saw.
function scoped(s: SpaceRecord | undefined, scope: string): SpaceRecord {
  const out = copy(s, scope !== '');
  for (const k of out.remote.keys()) if (k.startsWith(scope + '/')) out.remote.delete(k);
  return out;
}

function change(before: SpaceRecord | undefined, next: SpaceRecord, space: SyncedSpace, rest: { files?: Map<string, FileRecord | null>; folder?: FolderRecord }): StateChange {
  const { remote, ...meta } = next;
  const out: StateChange = { space: { name: space.id, revision: space.revision !== undefined, meta, remote: diffRemote(before?.remote ?? new Map(), remote) } };
  if (rest.files?.size) out.files = rest.files;
  if (rest.folder) out.folder = rest.folder;
  return out;
}

function sameRecord(a: RemoteRecord, b: RemoteRecord): boolean {
  if (a.size !== b.size || a.tag !== b.tag) return false;
  const ak = Object.keys(a.digests) as (keyof Digests)[];
  return ak.length === Object.keys(b.digests).length && ak.every((k) => a.digests[k] === b.digests[k]);
}
