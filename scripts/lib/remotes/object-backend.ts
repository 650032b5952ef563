// The backend for S3 and plain folders: spaces are key prefixes of one object store, the
// history of each is its push journal (journal.ts), and a push is carried out by the object
// push executor (object-push.ts).
import pMap from 'p-map';
import type { Layer } from '../config/layers.js';
import { TransferError } from '../errors.js';
import { screenKeys } from '../listing/keys.js';
import { screenInOrder } from '../listing/screen-in-order.js';
import type { StoredObject } from './object-store.js';
import { compareKeys, type Entry, type KeySample } from '../listing/entry.js';
import type { Digests } from '../state/record.js';
import type { Plan } from '../plan/plan.js';
import { branchSpacesRoot, type Space } from '../space.js';
import { Journal } from './journal.js';
import { journalOrigins } from './journal-origins.js';
import { pushObjects } from './object-push.js';
import { clampRange, rangeFileMissing } from './read-range.js';
import type { ObjectStore } from './object-store.js';
import type { Backend, Baseline, LogPage, LogQuery, Origin, PushContext, PushResult, RemoteListing, RemoteStream } from './types.js';

const NONE: KeySample = { count: 0, keyAt: () => undefined };

export class ObjectBackend implements Backend {
  private readonly journal: Journal;
  constructor(readonly store: ObjectStore) {
    this.journal = new Journal(store);
  }
  get kind() {
    return this.store.kind;
  }

  async list(space: Space, scope = '', expected: KeySample = NONE): Promise<RemoteListing> {
    const prefix = scope ? `${space.root}/${scope.replace(/\/+$/, '')}` : space.root;
    const raw = await this.store.list(prefix, listingSplits(expected, scope));
    if (scope) for (const o of raw) o.key = `${scope.replace(/\/+$/, '')}/${o.key}`;
    return screenKeys(raw);
  }

  listInOrder(space: Space, scope: string, expected: KeySample = NONE): RemoteStream | undefined {
    const refused: RemoteStream['refused'] = [];
    const base = scope.replace(/\/+$/, '');
    if (this.store.listInOrder) return { entries: this.store.listInOrder(space.root, base, refused), refused };
    if (!this.store.listPages) return undefined;
    const pages = this.store.listPages(base ? `${space.root}/${base}` : space.root, listingSplits(expected, scope, true));
    return { entries: screenInOrder(base ? inScope(pages, base) : pages, refused), refused };
  }

  head(space: Space): Promise<string | null> {
    return this.journal.head(space);
  }

  /** An empty new branch space starts from main's: files equal to main's are copied inside the store. */
  async baseline(_space: Space, mainSpace: Space, scope: string, own: RemoteListing): Promise<Baseline> {
    if (own.entries.length) return {};
    return { seedSpace: mainSpace, seed: (await this.list(mainSpace, scope)).entries };
  }

  /** The branches with a space for the layer: PREFIX/branches/ walked one folder level at a time (branchSpaces). */
  async branches(layer: Layer, mainBranch: string, layerPaths: readonly string[]): Promise<string[]> {
    const found = await branchSpaces(this.store, branchSpacesRoot(layer), layer.path, layerPaths);
    return found.filter((b) => b !== mainBranch).sort(compareKeys);
  }

  async exists(space: Space): Promise<boolean> {
    if ((await this.head(space)) !== null) return true;
    return (await this.store.list(space.root)).length > 0;
  }

  async openRead(space: Space, entry: Entry) {
    return this.store.read(`${space.root}/${entry.name ?? entry.key}`);
  }

  /** readRange: the store's ranged read of the object (S3: a GET with Range; folders: a read at an offset). */
  async readRange(space: Space, entry: Entry, start: number, end: number): Promise<Uint8Array> {
    const range = clampRange(entry, start, end);
    if (!range) return new Uint8Array(0);
    const bytes = await this.store.readRange(`${space.root}/${entry.name ?? entry.key}`, range.start, range.end);
    if (!bytes) throw rangeFileMissing(space, entry);
    return bytes;
  }

  async remoteDigests(space: Space, entry: Entry): Promise<Digests> {
    return this.store.digests ? this.store.digests(`${space.root}/${entry.name ?? entry.key}`) : {};
  }

  push(space: Space, plan: Plan, ctx: PushContext): Promise<PushResult> {
    return pushObjects(this.store, this.journal, space, plan, ctx);
  }

  log(space: Space, query: LogQuery): Promise<LogPage> {
    return this.journal.log(space, query);
  }

  /** The journal, newest first, as far as it takes to name the push behind every file. */
  origins(space: Space, head: string | null, files: readonly Entry[]): Promise<Map<string, Origin>> {
    return journalOrigins(this.journal.newestFirst(space, { head }), files, (file) => this.remoteDigests(space, file));
  }

  /** ownsHead: the journal record at the head is this working copy's unfinished claim. */
  ownsHead(space: Space, pending: { seq: number; id: string }, head: string): Promise<boolean> {
    return this.journal.owns(space, pending, head);
  }

  async removeSpace(space: Space): Promise<number> {
    const files = await this.store.list(space.root);
    const failed = await this.store.delete(files.map((f) => `${space.root}/${f.key}`));
    // The journal goes only with all the data: a space left half-removed keeps its history.
    if (!failed.length) failed.push(...(await this.journal.remove(space)));
    if (failed.length) {
      throw new TransferError(
        `${failed.length} of ${files.length} file(s) of ${space.root}/ could not be removed (the space is only partly removed):\n` + failed.slice(0, 20).map((f) => `    ${f.key}: ${f.error}`).join('\n'),
        failed,
      );
    }
    return files.length;
  }
}

/** Folders listed at once while walking the branch spaces. */
const FOLDERS_IN_FLIGHT = 8;

/**
 * branchSpaces: every B whose folder `root`/B/`layerPath` exists (on S3: holds an object), with
 * one delimiter listing per branch-name prefix — and, for a layer path of several folders, one
 * more per prefix holding its first. Under a prefix B, a sub-folder named like the first folder
 * of any layer path is one of B's spaces, never a part of a longer branch name, because
 * branchCollides refuses a branch with such a part after its first; so the walk never enters a
 * space, whatever data it holds. Every other sub-folder x continues a longer name, B/x. At the
 * top every folder starts a branch name: a first part may be anything ("interim" is a valid branch).
 */
async function branchSpaces(store: ObjectStore, root: string, layerPath: string, layerPaths: readonly string[]): Promise<string[]> {
  const [first, ...rest] = layerPath.split('/') as [string, ...string[]];
  const spaceStarts = new Set([layerPath, ...layerPaths].map((p) => p.split('/')[0]));
  const found: string[] = [];
  let level = await store.folders(root);
  while (level.length) {
    const longer = await pMap(
      level,
      async (branch) => {
        const subs = await store.folders(`${root}/${branch}`);
        if (subs.includes(first) && (await holdsPath(store, `${root}/${branch}/${first}`, rest))) found.push(branch);
        return subs.filter((x) => !spaceStarts.has(x)).map((x) => `${branch}/${x}`);
      },
      { concurrency: FOLDERS_IN_FLIGHT },
    );
    level = longer.flat();
  }
  return found;
}

/**
 * holdsPath: `folder`/`rest` exists, asked with one listing of its parent. A folder a delimiter
 * listing names holds at least one object (S3 has no empty folders; a plain folder's are pruned).
 */
async function holdsPath(store: ObjectStore, folder: string, rest: string[]): Promise<boolean> {
  if (!rest.length) return true;
  const parent = [folder, ...rest.slice(0, -1)].join('/');
  return (await store.folders(parent)).includes(rest[rest.length - 1]!);
}

// A listing is a chain of pages of 1,000 keys, each waiting for the one before. Above a few
// pages it is cut into ranges listed side by side, at keys the space is expected to hold.
const LISTING_RANGES = 4;
const KEYS_PER_RANGE = 2_000;
// A streamed listing holds the few ranges being listed ahead of planning: none much larger than this.
const KEYS_PER_STREAMED_RANGE = 20_000;

/**
 * listingSplits picks split keys (relative to the listed prefix, key order) from keys expected
 * in scope: up to LISTING_RANGES ranges; for a streamed listing also no range much above
 * KEYS_PER_STREAMED_RANGE keys.
 */
export function listingSplits(expected: KeySample, scope = '', streamed = false): string[] {
  const base = scope ? `${scope.replace(/\/+$/, '')}/` : '';
  let ranges = Math.min(LISTING_RANGES, Math.floor(expected.count / KEYS_PER_RANGE));
  if (streamed) ranges = Math.max(ranges, Math.ceil(expected.count / KEYS_PER_STREAMED_RANGE));
  if (ranges < 2) return [];
  const splits: string[] = [];
  for (let i = 1; i < ranges; i++) {
    const key = expected.keyAt(Math.floor((expected.count * i) / ranges));
    if (key?.startsWith(base)) splits.push(key.slice(base.length));
  }
  return [...new Set(splits)].sort(compareKeys);
}

/** inScope: a run folder's pages with layer-relative keys. */
async function* inScope(pages: AsyncIterable<StoredObject[]>, scope: string): AsyncGenerator<StoredObject[]> {
  for await (const page of pages) {
    for (const o of page) o.key = `${scope}/${o.key}`;
    yield page;
  }
}
