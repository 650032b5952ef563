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
  /**
   * What the sync will do: every change, never the files that stay as they are (`same`
   * counts them), so that a plan's size follows the changes, not the layer. Planned with
   * `keepSame` (which, tests), the unchanged pairs are here too, as `skip` items.
   */
  items: PlanItem[];
  /** Pairs decided `skip` and left out of `items`. */
  same: number;
  /** Files on each side, in scope. */
  localFiles: number;
  remoteFiles: number;
  /** Local files per folder ('.' for the layer's top), for the Hub's limit on a folder's files. */
  folders: Map<string, number>;
  /** Remote keys refused as unsafe (SPEC §6.9), with why. */
  refused: { key: string; reason: string }[];
}

export interface PlannerInput {
  direction: Direction;
  layer: string;
  space: string;
  /** push to a new branch space: main's listing, whose equal files are copied server-side. */
  seed?: readonly Entry[];
  /** pull: every content the key held in any space at its last sync (unshared-work check). */
  shared: (key: string) => Digests[];
  /** Keep `skip` items in the plan (small scopes only). */
  keepSame?: boolean;
}

/**
 * Planner decides pairs one at a time, in key order, and keeps only what a sync needs after
 * planning: the changes and the counts. It is pure: `wanted` says which hashes a pair needs
 * before it can be decided, the caller hashes them, then `add` decides it.
 */
export class Planner {
  private readonly items: PlanItem[] = [];
  private same = 0;
  private localFiles = 0;
  private remoteFiles = 0;
  private readonly folders = new Map<string, number>();
  private readonly seedByKey = new Map<string, Entry>();
  // One seed entry per size is enough: it says which digests a same-size local file needs
  // (all of main's entries carry the same kinds). Kept as the first, never a growing array —
  // copying arrays per entry was quadratic when many files share a size (image tiles).
  private readonly seedBySize = new Map<number, Entry>();
  private readonly seedByDigest = new Map<string, Entry>();

  constructor(readonly input: PlannerInput) {
    // Main's listing has its digests by now (the listing's own, or the record's for unchanged
    // tags): indexed once here, not looked for again per file.
    for (const e of input.seed ?? []) {
      this.seedByKey.set(e.key, e);
      if (!this.seedBySize.has(e.size)) this.seedBySize.set(e.size, e);
      for (const v of Object.values(e.digests)) if (v) this.seedByDigest.set(`${e.size}:${v}`, e);
    }
  }

  /**
   * wanted: the digests a pair's local file needs before planning — only where a size match
   * leaves the content in doubt, or where unshared work must be told apart from files Strata
   * itself put there.
   */
  wanted(pair: Pair): DigestName[] {
    const l = pair.local;
    if (!l) return [];
    const names = new Set<DigestName>();
    const want = (d: Digests) => {
      for (const n of Object.keys(d) as DigestName[]) if (l.digests[n] === undefined) names.add(n);
    };
    if (pair.remote && pair.remote.size === l.size) {
      if (Object.keys(pair.remote.digests).length) want(pair.remote.digests);
      else if (l.digests.md5 === undefined) names.add('md5');
    }
    if (this.input.direction === 'pull' && (!pair.remote || pair.remote.size !== l.size || !sameKnown(l, pair.remote))) {
      for (const d of this.input.shared(pair.key)) want(d);
    }
    if (this.input.direction === 'push' && !pair.remote && this.input.seed) {
      const candidate = this.seedByKey.get(pair.key);
      const sameSize = candidate && candidate.size === l.size ? candidate : this.seedBySize.get(l.size);
      if (sameSize) want(sameSize.digests);
    }
    return [...names];
  }

  /**
   * add decides a pair. Unknown content (no shared digest) counts as different: transfer
   * rather than trust. `synced` (pull): what the folder's basis space held for the key at this
   * working copy's last sync of it — asked only where the decision needs it.
   */
  add(pair: Pair, synced: () => RemoteRecord | undefined = () => undefined): PlanItem {
    // shared() reads the state record: asked only for the pairs that differ.
    const item = this.input.direction === 'pull' ? decidePull(pair, () => this.input.shared(pair.key), synced) : decidePush(pair, (l) => this.findSeed(l));
    if (pair.local) {
      this.localFiles++;
      const slash = pair.key.lastIndexOf('/');
      const dir = slash < 0 ? '.' : pair.key.slice(0, slash);
      this.folders.set(dir, (this.folders.get(dir) ?? 0) + 1);
    }
    if (pair.remote) this.remoteFiles++;
    if (item.kind !== 'skip' || this.input.keepSame) this.items.push(item);
    else this.same++;
    return item;
  }

  plan(refused: { key: string; reason: string }[] = []): Plan {
    const { direction, layer, space } = this.input;
    return { version: 1, direction, layer, space, items: this.items, same: this.same, localFiles: this.localFiles, remoteFiles: this.remoteFiles, folders: this.folders, refused };
  }

  private findSeed(l: Entry): Entry | undefined {
    for (const v of Object.values(l.digests)) {
      const hit = v ? this.seedByDigest.get(`${l.size}:${v}`) : undefined;
      if (hit && sameContent(l.digests, hit.digests) === true) return hit;
    }
    return undefined;
  }
}

export interface PlanInput extends PlannerInput {
  local: readonly Entry[];
  remote: readonly Entry[];
  /** pull: what this space held for the key at this working copy's last sync of it, if anything. */
  synced?: (key: string) => RemoteRecord | undefined;
  refused?: { key: string; reason: string }[];
}

/** digestsWanted: Planner.wanted over two small listings (tests). */
export function digestsWanted(input: Omit<PlanInput, 'refused'>): { entry: Entry; names: DigestName[] }[] {
  const planner = new Planner(input);
  return match(input.local, input.remote).flatMap((pair) => {
    const names = planner.wanted(pair);
    return names.length ? [{ entry: pair.local!, names }] : [];
  });
}

/** buildPlan: a plan of two small listings in memory, every pair kept (tests, and what fits in memory anyway). */
export function buildPlan(input: PlanInput): Plan {
  const planner = new Planner({ keepSame: true, ...input });
  for (const pair of match(input.local, input.remote)) planner.add(pair, () => input.synced?.(pair.key));
  return planner.plan(input.refused);
}

function sameKnown(l: Entry, r: Entry): boolean {
  return l.size === r.size && sameContent(l.digests, r.digests) === true;
}

/** isShared: the local content equals what some space held for this key at its last sync. */
function isShared(l: Entry, shared: Digests[]): boolean {
  return shared.some((d) => sameContent(l.digests, d) === true);
}

/** unchangedSince: the remote file is what this working copy saw at its last sync. */
function unchangedSince(r: Entry, rec: RemoteRecord): boolean {
  if (r.size !== rec.size) return false;
  if (r.tag !== undefined && rec.tag !== undefined && r.tag === rec.tag) return true;
  return sameContent(r.digests, rec.digests) === true;
}

// Reasons say which side changed since the last sync (`synced`), so that "changed on both
// sides" sends people to a teammate only when a teammate really changed the file too.
function decidePull({ key, local, remote }: Pair, shared: () => Digests[], syncedRecord: () => RemoteRecord | undefined): PlanItem {
  if (remote && !local) {
    const synced = syncedRecord();
    // Synced before and gone here: the deletion is local work, not a missing download.
    if (synced) {
      const theirs = !unchangedSince(remote, synced);
      return { kind: 'download', key, reason: theirs ? 'deleted here, changed on remote' : 'deleted here since the last sync', bytes: remote.size, remote, unshared: true, deletedHere: true };
    }
    return { kind: 'download', key, reason: 'new on remote', bytes: remote.size, remote };
  }
  if (local && !remote) {
    const synced = syncedRecord();
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
    const synced = syncedRecord();
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

/** countKinds tallies a plan for summaries (unchanged files included). */
export function countKinds(plan: Plan): Record<ItemKind, { files: number; bytes: number }> {
  const out = Object.fromEntries(['upload', 'copy', 'download', 'delete', 'recycle', 'skip'].map((k) => [k, { files: 0, bytes: 0 }])) as Record<
    ItemKind,
    { files: number; bytes: number }
  >;
  out.skip.files = plan.same;
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

/** unchangedFiles: the files a sync left as they were because they are equal (not those --keep kept). */
export function unchangedFiles(plan: Plan): number {
  return countKinds(plan).skip.files - plan.items.filter((i) => i.kept).length;
}
