// How a sync changes the state record, as pure functions: each takes the record before and
// what the sync did, and returns the rows to write (a StateChange) — only the rows that
// differ, so a sync that changed nothing writes a head and a time, not a million rows. The
// rows of files a sync leaves as they are come from planning (`Learnt`: found while the
// listings and the record were merged in key order), so no transition needs a space's rows in
// memory. sync.ts calls them and hands the result to the store;
// test/unit/state-transitions.test.ts has a row per case.
import type { Entry } from '../listing/entry.js';
import type { PlanItem } from '../plan/plan.js';
import type { Claim, Digests, FileRecord, FolderRecord, RemoteRecord, SpaceRecord, StagedRow, StateChange } from './record.js';
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

/**
 * What planning learnt of the files a sync leaves as they are, against the record's rows in
 * scope: `put`, the equal pairs whose row (sameRow) differs from the record's (a new change
 * tag, a digest learnt); `gone`, keys the record has that neither side has any more.
 */
export interface Learnt {
  put: [string, RemoteRecord][];
  gone: string[];
}

/** sameRow: the row an equal pair leaves — the remote's size and tag, every digest either side knows. */
export function sameRow(local: Entry, remote: Entry): RemoteRecord {
  return remoteRecord(remote.size, remote.tag, { ...remote.digests, ...local.digests });
}

export interface PullFacts {
  space: SyncedSpace;
  /** The hash cache's changes found while planning (files hashed; null: gone from the folder). */
  hashed: ReadonlyMap<string, FileRecord | null>;
  scope: string;
  /** The space's head the plan was made against. */
  head: string | null;
  items: readonly PlanItem[];
  learnt: Learnt;
  written: ReadonlyMap<string, FileRecord>;
  recycled: readonly string[];
  failed: boolean;
  now: string;
}

/** afterPull: the remote's files this pull saw (or wrote) are shared; a whole, successful pull moves the folder to this space. */
export function afterPull(before: Before, f: PullFacts): StateChange {
  const put = new Map(f.learnt.put);
  const drop: string[] = [];
  const files = new Map<string, FileRecord | null>(f.hashed);
  const recycled = new Set(f.recycled);
  for (const item of f.items) {
    const r = item.remote;
    if (item.kind === 'skip') {
      // A kept file differs from the remote: record only what the remote holds.
      if (r) put.set(item.key, item.kept ? remoteRecord(r.size, r.tag, { ...r.digests }) : sameRow(item.local!, r));
    } else if (r) {
      // A download that failed leaves the key as the last sync knew it, so a re-run does not
      // take a file it never touched for unshared work.
      const w = f.written.get(item.key);
      if (!w) continue;
      put.set(item.key, remoteRecord(r.size, r.tag, w.digests));
      files.set(item.key, { size: w.size, mtimeMs: w.mtimeMs, digests: w.digests });
    } else if (!f.failed || recycled.has(item.key)) drop.push(item.key);
  }
  // A removed file leaves the hash cache; a replaced one keeps the hashes its download just gave.
  for (const key of f.recycled) if (!f.written.has(key)) files.set(key, null);
  const next = copy(before.space);
  let folder: FolderRecord | undefined;
  if (!f.failed) {
    drop.push(...f.learnt.gone);
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
  return change(next, f.space, put, drop, { files, folder });
}

export interface UnchangedPushFacts {
  space: SyncedSpace;
  hashed: ReadonlyMap<string, FileRecord | null>;
  scope: string;
  /** The head the guards checked against (the record's, or an unfinished own push's). */
  base: string | null;
  head: string | null;
  learnt: Learnt;
  now: string;
}

/** afterUnchangedPush: nothing to push — no journal record, no commit; the sync is remembered. */
export function afterUnchangedPush(before: Before, f: UnchangedPushFacts): StateChange {
  const next = copy(before.space);
  if (!f.scope || f.base === (before.space?.head ?? null)) next.head = f.head;
  else next.scopeHeads = { ...next.scopeHeads, [f.scope]: f.head };
  next.syncedAt = f.now;
  return change(next, f.space, new Map(f.learnt.put), f.learnt.gone, { files: new Map(f.hashed), folder: f.scope ? undefined : { basis: f.space.id } });
}

/** afterClaim: a push claimed a journal sequence; a re-run after a kill may continue it. */
export function afterClaim(before: Before, space: SyncedSpace, claim: Claim): StateChange {
  const next = { ...copy(before.space), pending: claim };
  return change(next, space, new Map(), [], {});
}

export interface PushFacts {
  space: SyncedSpace;
  hashed: ReadonlyMap<string, FileRecord | null>;
  scope: string;
  base: string | null;
  /** The plan's changes, with the local and remote entries each was decided on. */
  items: readonly PlanItem[];
  learnt: Learnt;
  /**
   * What happened. The files written are not here: each was staged as it finished
   * (`pushedRow`, LayerState.stage), and the change says whether their rows of the space go
   * in (`StateChange.staged`).
   */
  result: {
    head: string | null;
    failed: boolean;
    /** A Hub repo or branch this push created before it failed. */
    created?: string | null;
  };
  now: string;
}

/**
 * pushedRow: the rows a file the push wrote leaves, staged as it finishes — the hash cache's
 * and the space's share one set of digests (every digest the local file and the write know)
 * and the backend's new change tag, if it gave one.
 */
export function pushedRow(local: Entry, written: Digests, tag?: string): StagedRow {
  const row: StagedRow = { size: local.size, mtimeMs: local.mtimeMs!, digests: { ...local.digests, ...written } };
  if (tag !== undefined) row.tag = tag;
  return row;
}

const moves = (item: PlanItem) => item.kind === 'upload' || item.kind === 'copy';

/**
 * afterPush: the local files are what the space now holds; a failed push keeps only what it
 * learnt. The files it wrote are staged rows (`pushedRow`): their hash-cache rows are kept
 * whatever the outcome, their rows of the space only when the push succeeded.
 */
export function afterPush(before: Before, f: PushFacts): StateChange {
  const files = new Map<string, FileRecord | null>(f.hashed);
  if (f.result.failed) {
    if (!f.result.created) return { files, staged: { remote: false } };
    // The push created the Hub repo or branch, then failed: the space now exists and holds
    // exactly what the plan was made against (main's files), so remember that as synced.
    const put = new Map(f.learnt.put);
    const drop = [...f.learnt.gone];
    for (const { key, remote } of f.items) {
      if (remote) put.set(key, remoteRecord(remote.size, remote.tag, { ...remote.digests }));
      else drop.push(key);
    }
    const created = { ...copy(before.space), head: f.result.created };
    delete created.pending;
    delete created.scopeHeads;
    return { ...change(created, f.space, put, drop, { files }), staged: { remote: false } };
  }
  const wasFullySynced = f.base === (before.space?.head ?? null);
  const put = new Map(f.learnt.put);
  const drop = [...f.learnt.gone];
  for (const item of f.items) {
    const { key, local, remote: r } = item;
    if (!local) drop.push(key);
    // A push that succeeded wrote every upload and copy: those rows are staged. An unchanged
    // pair (planned with keepSame) keeps the remote's row, with what the local side knows.
    else if (!moves(item)) put.set(key, remoteRecord(local.size, r?.tag, { ...r?.digests, ...local.digests }));
  }
  const next = copy(before.space);
  // Only a push built on the whole space's head may advance it; a run folder pushed from a
  // scoped sync advances that folder's head.
  if (!f.scope || wasFullySynced) {
    next.head = f.result.head;
    delete next.scopeHeads;
  } else next.scopeHeads = { ...next.scopeHeads, [f.scope]: f.result.head };
  next.syncedAt = f.now;
  delete next.pending;
  return { ...change(next, f.space, put, drop, { files, folder: f.scope ? undefined : { basis: f.space.id } }), staged: { remote: true } };
}

/** sameRecord: two rows say the same (equal records are not written again). */
export function sameRecord(a: RemoteRecord, b: RemoteRecord): boolean {
  if (a.size !== b.size || a.tag !== b.tag) return false;
  const ak = Object.keys(a.digests) as (keyof Digests)[];
  return ak.length === Object.keys(b.digests).length && ak.every((k) => a.digests[k] === b.digests[k]);
}

/** applySpace: the in-memory record after a save (so a later stage of the same run sees it). */
export function applySpace(c: NonNullable<StateChange['space']>): SpaceRecord {
  return { ...c.meta };
}

// ---- helpers ----

function remoteRecord(size: number, tag: string | undefined, digests: Digests): RemoteRecord {
  return tag === undefined ? { size, digests } : { size, tag, digests };
}

function copy(s: SpaceRecord | undefined): SpaceRecord {
  if (!s) return emptySpace();
  const out: SpaceRecord = { head: s.head, syncedAt: s.syncedAt };
  if (s.pending) out.pending = s.pending;
  if (s.scopeHeads) out.scopeHeads = { ...s.scopeHeads };
  return out;
}

function change(next: SpaceRecord, space: SyncedSpace, put: Map<string, RemoteRecord>, drop: string[], rest: { files?: Map<string, FileRecord | null>; folder?: FolderRecord }): StateChange {
  const out: StateChange = { space: { name: space.id, revision: space.revision !== undefined, meta: next, remote: { put, drop } } };
  if (rest.files?.size) out.files = rest.files;
  if (rest.folder) out.folder = rest.folder;
  return out;
}
