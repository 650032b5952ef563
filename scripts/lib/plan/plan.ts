// The plan is data (changesets' release plan): a read-only list of what a sync will do,
// built by pure functions from listings. `--dry-run` prints it; `status` renders it; the
// executors carry it out and know nothing about how it was decided.
import type { DigestName, Entry } from '../listing/entry.js';
import { sameContent } from '../listing/digest.js';
import type { Digests, RemoteRecord } from '../state/record.js';
import { match, type Pair } from './match.js';

export type Direction = 'pull' | 'push';
export type ItemKind = 'upload' | 'copy' | 'download' | 'delete' | 'recycle' | 'skip';

export interface PlanItem {
  kind: ItemKind;
  key: string;
  reason: string;
  bytes: number;
  local?: Entry;
  remote?: Entry;
  /** copy: the key in the seed space (main) whose content equals the local file. */
  from?: Entry;
  /**
   * pull: the item would undo unshared work — replace or remove a local file changed since
   * the last sync, or restore one deleted here since the last sync.
   */
  unshared?: boolean;
  /** pull: the remote has this file, and it was deleted here since the last sync. */
  deletedHere?: boolean;
  /** pull --keep: unshared work left as it is (the remote's version was not applied). */
  kept?: boolean;
}

export interface Plan {
  version: 1;
  direction: Direction;
  layer: string;
  /** The space synced with (its id). */
  space: string;
  items: PlanItem[];
  /** Remote keys refused as unsafe (SPEC §6.9), with why. */
  refused: { key: string; reason: string }[];
}

export interface PlanInput {
  direction: Direction;
  layer: string;
  space: string;
  local: readonly Entry[];
  remote: readonly Entry[];
  /** push to a new branch space: main's listing, whose equal files are copied server-side. */
  seed?: readonly Entry[];
  /** pull: every content the key held in any space at its last sync (unshared-work check). */
  shared: (key: string) => Digests[];
  /** pull: what this space held for the key at this working copy's last sync of it, if anything. */
  synced?: (key: string) => RemoteRecord | undefined;
  refused?: { key: string; reason: string }[];
  /** match(local, remote), when the caller already has it (prepare computes it once for both stages). */
  pairs?: Pair[];
}

/**
 * digestsWanted lists the local files that need hashing before planning, and which digests:
 * only where a size match leaves the content in doubt, or where unshared work must be told
 * apart from files Strata itself put there. Pure; the caller hashes and fills `digests`.
 */
export function digestsWanted(input: Omit<PlanInput, 'refused'>): { entry: Entry; names: DigestName[] }[] {
  const seedByKey = new Map((input.seed ?? []).map((e) => [e.key, e]));
  // One seed entry per size is enough: it says which digests a same-size local file needs
  // (all of main's entries carry the same kinds). Kept as the first, never a growing array —
  // copying arrays per entry was quadratic when many files share a size (image tiles).
  const seedBySize = new Map<number, Entry>();
  for (const e of input.seed ?? []) if (!seedBySize.has(e.size)) seedBySize.set(e.size, e);
  const out: { entry: Entry; names: DigestName[] }[] = [];
  for (const pair of input.pairs ?? match(input.local, input.remote)) {
    const l = pair.local;
    if (!l) continue;
    const names = new Set<DigestName>();
    const want = (d: Digests) => {
      for (const n of Object.keys(d) as DigestName[]) if (l.digests[n] === undefined) names.add(n);
    };
    if (pair.remote && pair.remote.size === l.size) {
      if (Object.keys(pair.remote.digests).length) want(pair.remote.digests);
      else if (l.digests.md5 === undefined) names.add('md5');
    }
    if (input.direction === 'pull' && (!pair.remote || pair.remote.size !== l.size || !sameKnown(l, pair.remote))) {
      for (const d of input.shared(pair.key)) want(d);
    }
    if (input.direction === 'push' && !pair.remote && input.seed) {
      const candidate = seedByKey.get(pair.key);
      const sameSize = candidate && candidate.size === l.size ? candidate : seedBySize.get(l.size);
      if (sameSize) want(sameSize.digests);
    }
    if (names.size) out.push({ entry: l, names: [...names] });
  }
  return out;
}

function sameKnown(l: Entry, r: Entry): boolean {
  return l.size === r.size && sameContent(l.digests, r.digests) === true;
}

/** isShared: the local content equals what some space held for this key at its last sync. */
function isShared(l: Entry, shared: Digests[]): boolean {
  return shared.some((d) => sameContent(l.digests, d) === true);
}

/** buildPlan decides every pair. Unknown content (no shared digest) counts as different: transfer rather than trust. */
export function buildPlan(input: PlanInput): Plan {
  const items: PlanItem[] = [];
  const seedByDigest = new Map<string, Entry>();
  for (const e of input.seed ?? []) for (const v of Object.values(e.digests)) if (v) seedByDigest.set(`${e.size}:${v}`, e);
  const findSeed = (l: Entry): Entry | undefined => {
    for (const v of Object.values(l.digests)) {
      const hit = v ? seedByDigest.get(`${l.size}:${v}`) : undefined;
      if (hit && sameContent(l.digests, hit.digests) === true) return hit;
    }
    return undefined;
  };
  for (const pair of input.pairs ?? match(input.local, input.remote)) {
    // shared() reads the state record: asked only for the pairs that differ.
    items.push(input.direction === 'pull' ? decidePull(pair, () => input.shared(pair.key), input.synced?.(pair.key)) : decidePush(pair, findSeed));
  }
  return { version: 1, direction: input.direction, layer: input.layer, space: input.space, items, refused: input.refused ?? [] };
}

/** unchangedSince: the remote file is what this working copy saw at its last sync. */
function unchangedSince(r: Entry, rec: RemoteRecord): boolean {
  if (r.size !== rec.size) return false;
  if (r.tag !== undefined && rec.tag !== undefined && r.tag === rec.tag) return true;
  return sameContent(r.digests, rec.digests) === true;
}

// Reasons say which side changed since the last sync (`synced`), so that "changed on both
// sides" sends people to a teammate only when a teammate really changed the file too.
function decidePull({ key, local, remote }: Pair, shared: () => Digests[], synced: RemoteRecord | undefined): PlanItem {
  if (remote && !local) {
    // Synced before and gone here: the deletion is local work, not a missing download.
    if (synced) {
      const theirs = !unchangedSince(remote, synced);
      return { kind: 'download', key, reason: theirs ? 'deleted here, changed on remote' : 'deleted here since the last sync', bytes: remote.size, remote, unshared: true, deletedHere: true };
    }
    return { kind: 'download', key, reason: 'new on remote', bytes: remote.size, remote };
  }
  if (local && !remote) {
    const unshared = !isShared(local, shared());
    const reason = !unshared ? 'deleted on remote' : synced ? 'changed here, deleted on remote' : 'only here, never synced';
    return { kind: 'recycle', key, reason, bytes: local.size, local, unshared };
  }
  const l = local!;
  const r = remote!;
  if (l.size === r.size && sameContent(l.digests, r.digests) === true) return { kind: 'skip', key, reason: 'same', bytes: 0, local: l, remote: r };
  const unshared = !isShared(l, shared());
  let reason = 'changed on remote (local copy recycled)';
  if (unshared) {
    if (!synced) reason = 'differs from the remote, never synced here';
    else if (unchangedSince(r, synced)) reason = 'changed here';
    else reason = 'changed on both sides';
  }
  return { kind: 'download', key, reason, bytes: r.size, local: l, remote: r, unshared };
}

function decidePush({ key, local, remote }: Pair, findSeed: (l: Entry) => Entry | undefined): PlanItem {
  if (local && !remote) {
    const from = findSeed(local);
    if (from) return { kind: 'copy', key, reason: `same as main's ${from.key} (copied inside the store)`, bytes: 0, local, from };
    return { kind: 'upload', key, reason: 'new here', bytes: local.size, local };
  }
  if (remote && !local) return { kind: 'delete', key, reason: 'not here any more', bytes: 0, remote };
  const l = local!;
  const r = remote!;
  if (l.size === r.size && sameContent(l.digests, r.digests) === true) return { kind: 'skip', key, reason: 'same', bytes: 0, local: l, remote: r };
  return { kind: 'upload', key, reason: l.size === r.size ? 'content changed' : 'size changed', bytes: l.size, local: l, remote: r };
}

/** countKinds tallies a plan for summaries. */
export function countKinds(plan: Plan): Record<ItemKind, { files: number; bytes: number }> {
  const out = Object.fromEntries(['upload', 'copy', 'download', 'delete', 'recycle', 'skip'].map((k) => [k, { files: 0, bytes: 0 }])) as Record<
    ItemKind,
    { files: number; bytes: number }
  >;
  for (const item of plan.items) {
    out[item.kind].files++;
    out[item.kind].bytes += item.kind === 'delete' || item.kind === 'recycle' ? (item.remote?.size ?? item.local?.size ?? 0) : item.bytes;
  }
  return out;
}

/** changes are the items that do something. */
export function changes(plan: Plan): PlanItem[] {
  return plan.items.filter((i) => i.kind !== 'skip');
}
