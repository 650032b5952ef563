// What the browse pages read, and only read: the layers and the branches that have a space,
// two spaces (or revisions) compared, a space's history, one file with the push behind it and
// a preview. Everything comes from the backends' own read calls (list, log, origins,
// readRange); nothing here writes to a remote, the state record or the working copy.
import fs from 'node:fs';
import path from 'node:path';
import pMap from 'p-map';
import type { Layer } from '../config/layers.js';
import type { RunContext } from '../context.js';
import { StrataError } from '../errors.js';
import { hashFile, sameContent } from '../listing/digest.js';
import { compareKeys, type DigestName, type Entry } from '../listing/entry.js';
import { openBackend } from '../remotes/index.js';
import type { Backend, LogEntry, LogPage, Origin, RemoteListing } from '../remotes/types.js';
import { atRevision, spaceFor, type Space } from '../space.js';
import { compareListings, undecided, type Comparison } from './compare.js';
import { preview, type Preview } from './preview.js';

/** A space as the pages name it: a layer on a branch, and for a versioned layer maybe a revision. */
export interface SpaceRef {
  layer: string;
  branch: string;
  /** Hub layers: a tag or commit of the branch's repo. */
  rev?: string;
}

export interface LayerOverview {
  layer: Layer;
  /** Branches (main first) with a space for this layer, each with its newest push. */
  spaces: { branch: string; last?: LogEntry }[];
  tags: string[];
}

export interface FileView {
  space: Space;
  entry: Entry;
  origin?: Origin;
  /** The working copy's file at the same key, against the remote's. */
  local: 'same' | 'differs' | 'not here' | 'unknown';
  preview: Preview | { kind: 'error'; message: string };
}

/** Files whose local copy is hashed to compare it (bigger ones are compared by size only). */
const HASH_LOCAL_UP_TO = 2 * 1024 ** 3;

export class RemoteReader {
  private readonly backends = new Map<string, Promise<Backend>>();

  constructor(readonly ctx: RunContext) {}

  get config() {
    return this.ctx.config;
  }

  layer(name: string): Layer {
    const layer = this.config.layers.find((l) => l.name === name);
    if (!layer) throw new StrataError(`No layer is named "${name}".`, `The layers are: ${this.config.layers.map((l) => l.name).join(', ')}.`, 2);
    return layer;
  }

  space(ref: SpaceRef): Space {
    const layer = this.layer(ref.layer);
    const space = spaceFor(layer, ref.branch, this.config.mainBranch);
    return ref.rev ? atRevision(space, ref.rev) : space;
  }

  backend(space: Space): Promise<Backend> {
    const key = space.remote.url;
    let b = this.backends.get(key);
    if (!b) {
      b = openBackend(space.remote, this.config);
      this.backends.set(key, b);
    }
    return b;
  }

  /** overview: per layer, main and every branch that has a space on the remote, each with its newest push. */
  async overview(): Promise<LayerOverview[]> {
    const main = this.config.mainBranch;
    return pMap(
      this.config.layers,
      async (layer) => {
        const backend = await this.backend(spaceFor(layer, main, main));
        const [others, refs] = await Promise.all([this.spaceBranches(layer), backend.versioned ? backend.versioned.refs() : { tags: [] }]);
        const spaces = await pMap(
          [main, ...others],
          async (branch) => {
            const space = spaceFor(layer, branch, main);
            const page = await backend.log(space, { limit: 1 });
            return { branch, last: page.entries[0] };
          },
          { concurrency: 8 },
        );
        return { layer, spaces, tags: refs.tags };
      },
      { concurrency: 4 },
    );
  }

  /** branches: main, then every branch that has a space for some layer on the remote, for the compare form. */
  async branches(): Promise<string[]> {
    const perLayer = await pMap(this.config.layers, (layer) => this.spaceBranches(layer), { concurrency: 4 });
    return [this.config.mainBranch, ...[...new Set(perLayer.flat())].sort(compareKeys)];
  }

  /**
   * spaceBranches: the branches other than main with a space for the layer, as the remote
   * itself lists them — a teammate's branch this working copy's git never fetched included.
   * None for an input layer: inputs live on main only.
   */
  private async spaceBranches(layer: Layer): Promise<string[]> {
    if (layer.kind === 'input') return [];
    const main = this.config.mainBranch;
    const backend = await this.backend(spaceFor(layer, main, main));
    return backend.branches(layer, main, this.config.layers.map((l) => l.path));
  }

  /** list: every file of a space, sorted by key. */
  async list(space: Space): Promise<Entry[]> {
    return (await this.listing(space)).entries;
  }

  /** listing: the space's files and the names the key rule refused (never pulled, so shown apart). */
  async listing(space: Space): Promise<RemoteListing> {
    return (await this.backend(space)).list(space);
  }

  /** compare: what `b` adds, changes and deletes against `a`; a pair no listing digest decides is hashed by the remote. */
  async compare(a: Space, b: Space): Promise<{ comparison: Comparison; origins: Map<string, Origin> }> {
    const [backendA, backendB] = await Promise.all([this.backend(a), this.backend(b)]);
    const [listA, listB] = await Promise.all([this.list(a), this.list(b)]);
    // A plain folder lists no digests: the pairs its sizes and times cannot decide are hashed.
    const decided = new Map<string, boolean>();
    const ask = undecided(listA, listB);
    if (ask.length && backendA.remoteDigests && backendB.remoteDigests) {
      await pMap(
        ask,
        async ([x, y]) => {
          const [dx, dy] = await Promise.all([backendA.remoteDigests!(a, x), backendB.remoteDigests!(b, y)]);
          decided.set(x.key, sameContent(dx, dy) ?? false);
        },
        { concurrency: 8 },
      );
    }
    const comparison = compareListings(listA, listB, (x) => decided.get(x.key));
    // The push behind each file b added or changed, from one reading of b's history.
    const touched = comparison.differences.flatMap((d) => (d.b ? [d.b] : []));
    const origins = touched.length ? await backendB.origins(b, await backendB.head(b), touched) : new Map<string, Origin>();
    return { comparison, origins };
  }

  async history(space: Space, before?: string, limit = 50): Promise<LogPage> {
    return (await this.backend(space)).log(space, { limit, before });
  }

  /** entry: one file of a space, found by listing its folder. */
  async entry(space: Space, key: string): Promise<Entry | undefined> {
    const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
    const listing = await (await this.backend(space)).list(space, folder);
    return listing.entries.find((e) => e.key === key);
  }

  async file(space: Space, key: string): Promise<FileView | undefined> {
    const entry = await this.entry(space, key);
    if (!entry) return undefined;
    const backend = await this.backend(space);
    const [origins, local, shown] = await Promise.all([
      backend.head(space).then((head) => backend.origins(space, head, [entry])),
      this.localComparison(space, backend, entry),
      preview(key, { size: entry.size, read: (start, end) => backend.readRange(space, entry, start, end) }).catch((e: Error) => ({ kind: 'error' as const, message: e.message })),
    ]);
    return { space, entry, origin: origins.get(key), local, preview: shown };
  }

  /** bytes: a whole file, for an image the page shows (the caller bounds its size). */
  async bytes(space: Space, entry: Entry): Promise<Uint8Array> {
    return (await this.backend(space)).readRange(space, entry, 0, entry.size);
  }

  /** localComparison: the working copy's file at the key against the remote's, by content. */
  private async localComparison(space: Space, backend: Backend, entry: Entry): Promise<FileView['local']> {
    const file = path.join(this.config.projectRoot, space.layer.local, ...entry.key.split('/'));
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) return 'not here';
    if (stat.size !== entry.size) return 'differs';
    if (stat.size > HASH_LOCAL_UP_TO) return 'unknown';
    let remote = entry.digests;
    if (!Object.keys(remote).length && backend.remoteDigests) remote = await backend.remoteDigests(space, entry);
    const names = Object.keys(remote) as DigestName[];
    if (!names.length) return 'unknown';
    const mine = await hashFile(file, names);
    const same = sameContent(mine, remote);
    return same === null ? 'unknown' : same ? 'same' : 'differs';
  }
}
